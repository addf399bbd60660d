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

/*
 * One guest entry.  mmu_lock is read-held while in guest mode so that a
 * memslot change (write side) never runs while a vCPU uses the mappings
 * it is about to tear down.
 */
static int kvmx_enter_guest(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct kvmx_vm *vm = vcpu->vm;
	int r = 0;

	memset(exit, 0, sizeof(*exit));
	down_read(&vm->mmu_lock);
	preempt_disable();

	if (kvmx_check_request(vcpu, KVMX_REQ_TDP_ROOT))
		kvmx_backend->set_tdp_root(vcpu, vm->tdp.root_hpa);
	if (kvmx_check_request(vcpu, KVMX_REQ_TLB_FLUSH))
		kvmx_backend->flush_tlb(vcpu);

	local_irq_disable();
	/* last look with IRQs off: a kick or signal from now on exits us */
	if (!signal_pending(current) && !need_resched() &&
	    !READ_ONCE(vm->dead)) {
		WRITE_ONCE(vcpu->in_guest, true);
		r = kvmx_backend->run(vcpu, exit);
		WRITE_ONCE(vcpu->in_guest, false);
		vcpu->last_cpu = smp_processor_id();
	}
	/* a host interrupt that ended the run is taken here */
	local_irq_enable();

	preempt_enable();
	up_read(&vm->mmu_lock);
	return r;
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

	r = kvmx_complete_user_exit(vcpu);
	if (r)
		goto out;
	/* as in-tree, immediate_exit leaves exit_reason untouched */
	if (READ_ONCE(run->immediate_exit)) {
		r = -EINTR;
		goto out;
	}

	for (;;) {
		if (signal_pending(current)) {
			run->exit_reason = KVM_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (READ_ONCE(vcpu->vm->dead)) {
			r = -EIO;
			break;
		}
		cond_resched();

		r = kvmx_enter_guest(vcpu, &exit);
		if (r)
			break;
		if (kvmx_handle_exit(vcpu, &exit, &r) == KVMX_EXIT_TO_USER)
			break;
	}

out:
	run->if_flag = !!(vcpu->rflags & X86_EFLAGS_IF);
	run->cr8 = vcpu->cr8;
	run->apic_base = vcpu->apic_base;
	/* KVM_INTERRUPT is not implemented yet: never claim readiness */
	run->ready_for_interrupt_injection = 0;
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
	kvmx_vcpu_put(vcpu);
	kvmx_sigset_deactivate(vcpu);
	return r;
}
