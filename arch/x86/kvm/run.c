// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_RUN: the loop that enters the guest through the backend and
 * dispatches each exit, until an exit needs the VMM, a signal arrives, or
 * something fails.  Between entries the vCPU stays loaded on its CPU (the
 * preempt notifier moves it if the thread migrates) and the guest FPU state
 * stays swapped in.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <asm/fpu/api.h>
#include <asm/processor-flags.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

/*
 * Requests that must be handled before guest code runs: a TLB flush asked
 * by kvmx_flush_remote_tlbs() after the entry-time check would otherwise
 * be missed until the next exit.
 */
#define KVMX_ENTRY_REQUESTS	(BIT(KVMX_REQ_TLB_FLUSH) | BIT(KVMX_REQ_TDP_ROOT) | \
				 BIT(KVMX_REQ_EVENT))

/*
 * One guest entry.  Returns 1 if the guest really ran (then *exit says why
 * it stopped), 0 if the entry was skipped because something needs
 * attention first, or -errno.
 */
static int kvmx_enter_guest(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct kvmx_vm *vm = vcpu->vm;
	bool xcr0_loaded;
	int r = 0;

	memset(exit, 0, sizeof(*exit));
	preempt_disable();

	if (kvmx_check_request(vcpu, KVMX_REQ_TDP_ROOT))
		kvmx_backend->set_tdp_root(vcpu, vm->tdp.root_hpa);
	if (kvmx_check_request(vcpu, KVMX_REQ_TLB_FLUSH))
		kvmx_backend->flush_tlb(vcpu);
	kvmx_events_before_entry(vcpu);
	kvmx_debug_before_entry(vcpu);

	local_irq_disable();
	/*
	 * From here a remote flush sees in_guest and IPIs us (the IPI waits
	 * in the CPU until the guest runs, then exits it); a request made
	 * before that is seen now.  Full barrier between the two, paired
	 * with kvmx_flush_remote_tlbs().
	 */
	WRITE_ONCE(vcpu->in_guest, true);
	smp_mb();
	/* last look with IRQs off: a kick or signal from now on exits us */
	if (!signal_pending(current) && !need_resched() &&
	    !READ_ONCE(vm->dead) &&
	    !(READ_ONCE(vcpu->requests) & KVMX_ENTRY_REQUESTS)) {
		/*
		 * The guest's FPU state is the task's (fpu_swap_kvm_fpstate()
		 * in kvmx_vcpu_run()), and a context switch since then (a
		 * preemption, a migration, cond_resched()) saved the
		 * registers and left them to be reloaded on the way back to
		 * user space.  The guest is not user space: reload them now,
		 * with the host's XCR0 still in place, or the guest runs on
		 * whatever the last task left in them.
		 */
		if (test_thread_flag(TIF_NEED_FPU_LOAD))
			switch_fpu_return();
		xcr0_loaded = kvmx_load_guest_xcr0(vcpu);
		r = kvmx_backend->run(vcpu, exit);
		if (xcr0_loaded)
			kvmx_put_guest_xcr0(vcpu);
		vcpu->last_cpu = smp_processor_id();
		if (!r && exit->reason != KVMX_EXIT_INVALID_STATE &&
		    exit->reason != KVMX_EXIT_FAIL_ENTRY) {
			kvmx_events_after_exit(vcpu, exit);
			r = 1;
		}
	}
	WRITE_ONCE(vcpu->in_guest, false);
	/* a host interrupt that ended the run is taken here */
	local_irq_enable();
	kvmx_debug_after_exit(vcpu);

	preempt_enable();
	return r;
}

/*
 * After an exit handled in the kernel, reasons to stop anyway: a
 * single-stepped instruction the core completed, a triple fault, or the
 * VMM waiting for a chance to inject (request_interrupt_window).
 */
static bool kvmx_stop_after_exit(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (vcpu->ev.triple_fault) {
		vcpu->ev.triple_fault = false;
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		return true;
	}
	if (kvmx_debug_step_exit(vcpu))
		return true;
	if (vcpu->apic) {
		int vector = kvmx_apic_take_ioapic_eoi(vcpu);

		if (vector >= 0) {
			/* split irqchip: the VMM's IOAPIC sees the EOI */
			run->exit_reason = KVM_EXIT_IOAPIC_EOI;
			run->eoi.vector = vector;
			return true;
		}
	}
	if (READ_ONCE(run->request_interrupt_window) &&
	    kvmx_ready_for_interrupt(vcpu)) {
		run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
		return true;
	}
	return false;
}

int kvmx_vcpu_run(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct kvmx_exit exit;
	int r;

	kvmx_sigset_activate(vcpu);
	kvmx_vcpu_load(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	run->flags = 0;
	vcpu->has_run = true;

	/* what the VMM answered for the last exit */
	r = kvmx_complete_user_exit(vcpu);
	if (r)
		goto out;
	r = kvmx_complete_emulation_exit(vcpu);
	if (r) {
		r = r > 0 ? 0 : r;	/* another MMIO exit is in kvm_run */
		goto out;
	}
	kvmx_complete_msr_exit(vcpu);
	kvmx_complete_hypercall_exit(vcpu);
	/* as in-tree, immediate_exit leaves exit_reason untouched */
	if (READ_ONCE(run->immediate_exit)) {
		r = -EINTR;
		goto out;
	}
	if (vcpu->apic && vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED) {
		r = kvmx_apic_run_uninitialized(vcpu);
		goto out;
	}
	if (kvmx_irq_window_open_at_entry(vcpu)) {
		run->exit_reason = KVM_EXIT_IRQ_WINDOW_OPEN;
		goto out;
	}

	for (;;) {
		if (signal_pending(current)) {
			vcpu->stat.signal_exits++;
			run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (READ_ONCE(vcpu->vm->dead)) {
			r = -EIO;
			break;
		}
		/* e.g. KVM_X86_SET_MCE on a vCPU that cannot take it */
		if (vcpu->ev.triple_fault) {
			vcpu->ev.triple_fault = false;
			run->exit_reason = KVM_EXIT_SHUTDOWN;
			r = 0;
			break;
		}
		/* until user space harvests and resets it */
		if (kvmx_dirty_ring_soft_full(vcpu)) {
			run->exit_reason = KVM_EXIT_DIRTY_RING_FULL;
			r = 0;
			break;
		}
		/* halted or waiting for SIPI: block until it may run */
		r = kvmx_apic_vcpu_runnable(vcpu);
		if (r)
			break;
		cond_resched();

		r = kvmx_enter_guest(vcpu, &exit);
		if (r < 0)
			break;
		if (r > 0 && vcpu->apic)
			kvmx_apic_cr8_after_exit(vcpu);
		if (r == 0 && exit.reason == KVMX_EXIT_NONE)
			continue;	/* skipped: signal, resched, dead VM */
		if (kvmx_handle_exit(vcpu, &exit, &r) == KVMX_EXIT_TO_USER)
			break;
		if (kvmx_stop_after_exit(vcpu))
			break;
	}

out:
	run->if_flag = !!(vcpu->rflags & X86_EFLAGS_IF);
	run->cr8 = vcpu->cr8;
	run->apic_base = vcpu->apic_base;
	run->ready_for_interrupt_injection = kvmx_ready_for_interrupt(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	kvmx_vcpu_put(vcpu);
	kvmx_sigset_deactivate(vcpu);
	return r;
}
