// SPDX-License-Identifier: GPL-2.0-only
/*
 * A vCPU with an in-kernel LAPIC between entries: kicks from other
 * threads, the interrupt (or PIC ExtINT) to inject at the next entry,
 * NMI/INIT/SIPI, the MP state (KVM_GET/SET_MP_STATE), and HLT, which
 * blocks the vCPU thread in the kernel until something wakes it, after an
 * adaptive spell of polling (halt_poll_ns).
 */
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcuwait.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/smp.h>
#include <asm/processor-flags.h>
/* smp_send_reschedule() traces the IPI on 6.5 and later */
#include <trace/events/ipi.h>
#include <kvmx/irq.h>

/*
 * Halt polling, as in-tree: a halted vCPU first spins this long for a
 * wakeup (cheaper than sleeping when one comes soon); the window grows
 * from halt_poll_ns_grow_start by halt_poll_ns_grow while wakeups come
 * within halt_poll_ns, and drops to 0 when a sleep outlasts it.
 */
static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "Longest halt polling window (ns), 0: off");
static unsigned int halt_poll_ns_grow = 2;
module_param(halt_poll_ns_grow, uint, 0644);
static unsigned int halt_poll_ns_grow_start = 10000;
module_param(halt_poll_ns_grow_start, uint, 0644);
static unsigned int halt_poll_ns_shrink;
module_param(halt_poll_ns_shrink, uint, 0644);

void kvmx_vcpu_kick(struct kvmx_vcpu *vcpu)
{
	int cpu, me;

	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	/* the request before in_guest / the waiter; pairs with entry */
	smp_mb__after_atomic();
	if (rcuwait_wake_up(&vcpu->wait))
		return;
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu >= 0 && cpu != me && READ_ONCE(vcpu->in_guest))
		smp_send_reschedule(cpu);
	put_cpu();
}

/* Interrupts are open in the guest: RFLAGS.IF, no STI/MOV SS shadow. */
static bool apic_window_open(struct kvmx_vcpu *vcpu)
{
	return (vcpu->rflags & X86_EFLAGS_IF) &&
	       !(kvmx_backend->get_interruptibility(vcpu) &
		 (KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS));
}

/* Under the lock: an ExtINT from the 8259 (or a split VMM's) waiting. */
static bool apic_extint_pending(struct kvmx_vcpu_apic *a)
{
	if (!kvmx_lapic_accept_pic_intr(&a->model))
		return false;
	if (a->chip->mode == KVMX_IRQCHIP_FULL)
		return kvmx_pic_output(&a->chip->pic);
	return a->pending_extint >= 0;
}

/*
 * Under the lock: collect the LAPIC's NMIs, INIT and SIPI into the vCPU
 * (NMIs into the core's queue, at most two as KVM_NMI keeps them).
 */
static void apic_take_events_locked(struct kvmx_vcpu_apic *a)
{
	struct kvmx_vcpu *vcpu = a->vcpu;
	struct kvmx_lapic_events ev;

	if (!kvmx_lapic_has_events(&a->model))
		return;
	kvmx_lapic_take_events(&a->model, &ev);
	while (ev.nmi-- && vcpu->ev.nmi_pending < 2)
		vcpu->ev.nmi_pending++;
	if (ev.init) {
		a->init_pending = true;
		a->sipi_pending = false;	/* INIT discards a SIPI */
	}
	if (ev.sipi) {
		a->sipi_pending = true;
		a->sipi_vector = ev.sipi_vector;
	}
}

/*
 * Under the lock: the priority class of the highest IRR vector when only
 * the TPR holds it back (it beats the ISR's class but not CR8), else 0.
 */
static u8 apic_tpr_class(struct kvmx_vcpu_apic *a, u64 cr8)
{
	int irr = kvmx_lapic_highest_irr(&a->model);
	int isr = kvmx_lapic_highest_isr(&a->model);

	if (irr < 0 || (isr >= 0 && (irr >> 4) <= (isr >> 4)) ||
	    (irr >> 4) > cr8 || kvmx_lapic_has_interrupt(&a->model) >= 0)
		return 0;
	return irr >> 4;
}

/*
 * Before an entry: move what the LAPIC or the PIC has for the vCPU into
 * the core's queues.  An interrupt is acknowledged (IRR to ISR, or the
 * 8259's INTA) only when it can be delivered at this entry; otherwise the
 * interrupt window is asked for and the choice is made again after it.
 */
void kvmx_apic_before_entry(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;
	int vec;

	if (!a) {
		/* nothing without a LAPIC looks at it: never block entry */
		if (test_bit(KVMX_REQ_EVENT, &vcpu->requests))
			kvmx_check_request(vcpu, KVMX_REQ_EVENT);
		return;
	}
	if (!kvmx_check_request(vcpu, KVMX_REQ_EVENT) && !a->window_wanted)
		return;
	a->window_wanted = false;
	vcpu->tpr_window = 0;
	flags = kvmx_irqchip_lock(a->chip);
	apic_take_events_locked(a);
	if (a->init_pending || a->sipi_pending ||
	    a->pending_ioapic_eoi >= 0) {
		/* the run loop handles them before the next entry */
		kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	} else if (vcpu->ev.interrupt.type == KVMX_EVENT_NONE) {
		/* the 8259's ExtINT goes first, as in-tree */
		vec = apic_extint_pending(a) ? 256 :
		      kvmx_lapic_has_interrupt(&a->model);
		if (vec >= 0 && !apic_window_open(vcpu)) {
			a->window_wanted = true;
		} else if (vec >= 0) {
			if (vec < 256)
				kvmx_lapic_ack(&a->model, vec, false);
			else if (a->chip->mode == KVMX_IRQCHIP_FULL)
				vec = kvmx_pic_intack(&a->chip->pic);
			else
				vec = a->pending_extint;
			a->pending_extint = -1;
			vcpu->ev.interrupt.type = KVMX_EVENT_EXTINT;
			vcpu->ev.interrupt.vector = vec;
			vcpu->ev.interrupt.insn_len = 0;
			vcpu->ev.interrupt.has_error = false;
			/* another one waiting: look again after this one */
			a->window_wanted =
				kvmx_lapic_has_interrupt(&a->model) >= 0 ||
				apic_extint_pending(a);
		}
	} else if (kvmx_lapic_has_interrupt(&a->model) >= 0 ||
		   apic_extint_pending(a)) {
		/* another one behind the queued interrupt */
		a->window_wanted = true;
	}
	vcpu->cr8 = kvmx_lapic_get_cr8(&a->model);
	a->entry_cr8 = vcpu->cr8;
	if (vcpu->ev.interrupt.type == KVMX_EVENT_NONE && !a->window_wanted)
		vcpu->tpr_window = apic_tpr_class(a, vcpu->cr8);
	kvmx_irqchip_unlock(a->chip, flags);
}

/* An event that ends HLT (in-tree kvm_vcpu_has_events()). */
static bool apic_wakes_halt(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	bool irq;
	unsigned long flags;

	if (vcpu->ev.nmi_pending || vcpu->ev.nmi_injected ||
	    vcpu->ev.exception.type != KVMX_EVENT_NONE ||
	    vcpu->ev.interrupt.type != KVMX_EVENT_NONE ||
	    a->init_pending || a->sipi_pending)
		return true;
	if (!(vcpu->rflags & X86_EFLAGS_IF))
		return false;
	flags = kvmx_irqchip_lock(a->chip);
	irq = kvmx_lapic_has_interrupt(&a->model) >= 0 ||
	      apic_extint_pending(a);
	kvmx_irqchip_unlock(a->chip, flags);
	return irq;
}

/* Collect the LAPIC's events; INIT resets the vCPU, SIPI starts an AP. */
static void apic_accept_events(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	struct kvm_segment cs;
	unsigned long flags;

	flags = kvmx_irqchip_lock(a->chip);
	apic_take_events_locked(a);
	kvmx_irqchip_unlock(a->chip, flags);

	if (a->init_pending) {
		a->init_pending = false;
		kvmx_vcpu_init_reset(vcpu);
		/* SDM Vol. 3A 9.4: the BSP restarts, APs wait for a SIPI */
		vcpu->mp_state = a->model.cfg.bsp &&
				 (vcpu->apic_base & KVMX_APIC_BASE_BSP) ?
				 KVM_MP_STATE_RUNNABLE :
				 KVM_MP_STATE_INIT_RECEIVED;
	}
	if (a->sipi_pending) {
		a->sipi_pending = false;
		/* a SIPI counts only in wait-for-SIPI (SDM Vol. 3A 8.4.4.1) */
		if (vcpu->mp_state == KVM_MP_STATE_INIT_RECEIVED) {
			kvmx_backend->get_segment(vcpu, &cs, KVMX_SEG_CS);
			cs.selector = a->sipi_vector << 8;
			cs.base = (u64)a->sipi_vector << 12;
			kvmx_backend->set_segment(vcpu, &cs, KVMX_SEG_CS);
			vcpu->regs[KVMX_REG_RIP] = 0;
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		}
	}
}

/* Adapt the polling window to how long this halt lasted. */
static void apic_halt_poll_adjust(struct kvmx_vcpu *vcpu, u64 block_ns,
				  bool polled_ok)
{
	u32 cur = vcpu->halt_poll_ns, max = READ_ONCE(halt_poll_ns);

	if (!max || block_ns > max) {
		cur = halt_poll_ns_shrink ? cur / halt_poll_ns_shrink : 0;
	} else if (!polled_ok && cur < max) {
		cur = cur ? cur * READ_ONCE(halt_poll_ns_grow) :
			    READ_ONCE(halt_poll_ns_grow_start);
		cur = min(cur, max);
	}
	vcpu->halt_poll_ns = cur;
}

/*
 * Wait for a kick: poll for up to halt_poll_ns, then sleep.  The request
 * bit is the wakeup: kvmx_vcpu_kick() sets it before it wakes us, and it
 * was cleared before the caller looked at the vCPU's state, so nothing
 * that came in between is missed.
 */
static void apic_block(struct kvmx_vcpu *vcpu)
{
	u64 start = ktime_get_ns(), end;
	bool polled_ok = false;

	if (vcpu->halt_poll_ns) {
		u64 stop = start + vcpu->halt_poll_ns;

		vcpu->stat.halt_attempted_poll++;
		do {
			if (test_bit(KVMX_REQ_EVENT, &vcpu->requests)) {
				polled_ok = true;
				vcpu->stat.halt_successful_poll++;
				break;
			}
			cpu_relax();
		/*
		 * Not while another task waits for this CPU: it may be the
		 * very one that would wake us (in-tree's rule too).
		 */
		} while (!need_resched() && single_task_running() &&
			 !signal_pending(current) && ktime_get_ns() < stop);
	}
	if (!polled_ok) {
		rcuwait_wait_event(&vcpu->wait,
				   test_bit(KVMX_REQ_EVENT, &vcpu->requests) ||
				   signal_pending(current),
				   TASK_INTERRUPTIBLE);
		vcpu->stat.halt_wakeup++;
	}
	end = ktime_get_ns();
	apic_halt_poll_adjust(vcpu, end - start, polled_ok);
}

/*
 * At the top of each round of the run loop: until the vCPU may run
 * (RUNNABLE), handle its events and block.  Returns 0 to enter the guest,
 * or -EINTR (kvm_run says KVM_EXIT_INTR) when a signal ends the wait.
 */
int kvmx_apic_vcpu_runnable(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;

	/*
	 * The common case costs no lock: a running vCPU's INIT or SIPI is
	 * taken by kvmx_apic_before_entry(), which then skips the entry.
	 */
	if (!a || (vcpu->mp_state == KVM_MP_STATE_RUNNABLE &&
		   !a->init_pending && !a->sipi_pending))
		return 0;
	for (;;) {
		/* cleared first: a kick after this point wakes apic_block() */
		kvmx_check_request(vcpu, KVMX_REQ_EVENT);
		apic_accept_events(vcpu);
		if (vcpu->mp_state == KVM_MP_STATE_HALTED &&
		    apic_wakes_halt(vcpu))
			vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
		if (vcpu->mp_state == KVM_MP_STATE_RUNNABLE) {
			/* let the entry look at what woke us */
			kvmx_make_request(vcpu, KVMX_REQ_EVENT);
			return 0;
		}
		if (signal_pending(current)) {
			vcpu->stat.signal_exits++;
			vcpu->run->exit_reason = KVM_EXIT_INTR;
			return -EINTR;
		}
		apic_block(vcpu);
	}
}

/*
 * KVM_RUN of a vCPU that was never started (an AP before its INIT): as
 * in-tree, wait once for its events, then -EAGAIN (or -EINTR).
 */
int kvmx_apic_run_uninitialized(struct kvmx_vcpu *vcpu)
{
	kvmx_check_request(vcpu, KVMX_REQ_EVENT);
	apic_accept_events(vcpu);
	if (vcpu->mp_state == KVM_MP_STATE_UNINITIALIZED) {
		apic_block(vcpu);
		apic_accept_events(vcpu);
	}
	if (signal_pending(current)) {
		vcpu->stat.signal_exits++;
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	return -EAGAIN;
}

/* HLT with the in-kernel LAPIC: the vCPU blocks at the next round. */
void kvmx_apic_halt(struct kvmx_vcpu *vcpu)
{
	vcpu->mp_state = KVM_MP_STATE_HALTED;
}

/* A level-triggered EOI a split irqchip's IOAPIC must see, or -1. */
int kvmx_apic_take_ioapic_eoi(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;
	int v;

	if (!a || READ_ONCE(a->pending_ioapic_eoi) < 0)
		return -1;
	flags = kvmx_irqchip_lock(a->chip);
	v = a->pending_ioapic_eoi;
	a->pending_ioapic_eoi = -1;
	kvmx_irqchip_unlock(a->chip, flags);
	return v;
}

int kvmx_get_mp_state(struct kvmx_vcpu *vcpu, struct kvm_mp_state *mp)
{
	if (!vcpu->apic) {
		mp->mp_state = KVM_MP_STATE_RUNNABLE;
		return 0;
	}
	apic_accept_events(vcpu);
	mp->mp_state = vcpu->mp_state;
	return 0;
}

int kvmx_set_mp_state(struct kvmx_vcpu *vcpu, const struct kvm_mp_state *mp)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;

	switch (mp->mp_state) {
	case KVM_MP_STATE_RUNNABLE:
		break;
	case KVM_MP_STATE_UNINITIALIZED:
	case KVM_MP_STATE_INIT_RECEIVED:
	case KVM_MP_STATE_HALTED:
	case KVM_MP_STATE_SIPI_RECEIVED:
		if (!a)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (mp->mp_state == KVM_MP_STATE_SIPI_RECEIVED) {
		/* in-tree: wait-for-SIPI with the last SIPI vector pending */
		vcpu->mp_state = KVM_MP_STATE_INIT_RECEIVED;
		a->sipi_pending = true;
	} else {
		vcpu->mp_state = mp->mp_state;
	}
	if (a)
		kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	return 0;
}

/* KVM_SET_VCPU_EVENTS' sipi_vector (KVM_VCPUEVENT_VALID_SIPI_VECTOR). */
void kvmx_apic_set_sipi_vector(struct kvmx_vcpu *vcpu, u8 vector)
{
	if (vcpu->apic)
		vcpu->apic->sipi_vector = vector;
}

/*
 * KVM_INTERRUPT with an in-kernel LAPIC: refused when the PIC is in the
 * kernel too (-ENXIO); with a split irqchip the VMM's 8259 hands its
 * vector over, one at a time (-EEXIST while one waits), as in-tree.
 */
int kvmx_apic_user_extint(struct kvmx_vcpu *vcpu, u32 vector)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;

	if (a->chip->mode == KVMX_IRQCHIP_FULL)
		return -ENXIO;
	if (a->pending_extint >= 0)
		return -EEXIST;
	a->pending_extint = vector;
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	return 0;
}
