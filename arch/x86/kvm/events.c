// SPDX-License-Identifier: GPL-2.0-only
/*
 * Event delivery: the core's queues of exceptions, NMIs and interrupts
 * (vcpu->ev), the choice of what the backend injects at each entry, the
 * re-queueing of an event whose delivery an exit interrupted, and the
 * userspace side of it: KVM_INTERRUPT, KVM_NMI, KVM_GET/SET_VCPU_EVENTS,
 * and the kvm_run fields for a userspace interrupt controller
 * (ready_for_interrupt_injection, if_flag, request_interrupt_window).
 */
#include <linux/bits.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

/* Exceptions that push an error code (SDM Vol. 3A 6.15, table 6-1). */
#define KVMX_EXC_WITH_ERROR	(BIT(X86_TRAP_DF) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP) | BIT(X86_TRAP_PF) | \
				 BIT(X86_TRAP_AC) | BIT(21) | BIT(29) | BIT(30))
/* "Contributory" exceptions (SDM Vol. 3A 6.15, table 6-4). */
#define KVMX_EXC_CONTRIBUTORY	(BIT(X86_TRAP_DE) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP))

static bool kvmx_protected_mode(struct kvmx_vcpu *vcpu)
{
	return kvmx_backend->get_cr(vcpu, 0) & X86_CR0_PE;
}

/*
 * VM entry refuses an error code for a vector that has none, or in real
 * mode (SDM Vol. 3C 26.2.1.3); in-tree KVM drops it in real mode too.
 */
static bool kvmx_exc_error_ok(struct kvmx_vcpu *vcpu, u8 vector)
{
	return vector < 32 && (KVMX_EXC_WITH_ERROR & BIT(vector)) &&
	       kvmx_protected_mode(vcpu);
}

void kvmx_queue_exception(struct kvmx_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code)
{
	struct kvmx_event *ex = &vcpu->ev.exception;

	if (ex->type != KVMX_EVENT_NONE) {
		u8 prev = ex->vector;
		bool prev_contrib = KVMX_EXC_CONTRIBUTORY & BIT(prev & 31);
		bool new_contrib = KVMX_EXC_CONTRIBUTORY & BIT(vector & 31);

		/* SDM Vol. 3A 6.15, table 6-5: #DF, or shutdown after #DF */
		if (prev == X86_TRAP_DF) {
			vcpu->ev.triple_fault = true;
			ex->type = KVMX_EVENT_NONE;
			return;
		}
		if ((prev_contrib && new_contrib) ||
		    (prev == X86_TRAP_PF && (new_contrib ||
					     vector == X86_TRAP_PF))) {
			vector = X86_TRAP_DF;
			has_error = true;
			error_code = 0;
		}
		/* otherwise the two are handled serially: the new one now,
		 * the old one again when its instruction re-executes */
	}
	ex->type = KVMX_EVENT_HW_EXCEPTION;
	ex->vector = vector;
	ex->insn_len = 0;
	ex->has_error = has_error && kvmx_exc_error_ok(vcpu, vector);
	ex->error_code = ex->has_error ? error_code : 0;
	vcpu->ev.exception_pending = true;
}
EXPORT_SYMBOL_GPL(kvmx_queue_exception);

/* Interrupts can be taken: IF=1, no STI/MOV SS shadow (SDM 6.8.3). */
static bool kvmx_irq_window_open(struct kvmx_vcpu *vcpu, u32 block)
{
	return (vcpu->rflags & X86_EFLAGS_IF) &&
	       !(block & (KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS));
}

/*
 * Choose what the backend delivers at this entry and which windows it
 * opens.  Events whose delivery already started go first, in the order
 * in-tree KVM uses (exception, NMI, interrupt); a new NMI only when NMIs
 * are not blocked.  An external interrupt from KVM_INTERRUPT is injected
 * as soon as it is queued: the VMM asked only when the guest was ready.
 */
void kvmx_events_before_entry(struct kvmx_vcpu *vcpu)
{
	struct kvmx_event *inj = &vcpu->inject;
	bool want_irq_window = READ_ONCE(vcpu->run->request_interrupt_window);
	u32 block;

	/* the in-kernel LAPIC's interrupt, NMIs, into the queues first */
	kvmx_apic_before_entry(vcpu);
	if (vcpu->apic && vcpu->apic->window_wanted)
		want_irq_window = true;
	inj->type = KVMX_EVENT_NONE;
	vcpu->nmi_window = false;

	if (vcpu->ev.exception.type != KVMX_EVENT_NONE) {
		*inj = vcpu->ev.exception;
		vcpu->ev.exception_pending = false;
		/*
		 * The error code as the mode at delivery has it: VM entry
		 * refuses one the vector does not push, or a missing one
		 * (SDM Vol. 3C 26.2.1.3), and the VMM's KVM_SET_VCPU_EVENTS
		 * or SREGS may not agree with it.
		 */
		if (inj->type == KVMX_EVENT_HW_EXCEPTION &&
		    inj->has_error != kvmx_exc_error_ok(vcpu, inj->vector)) {
			inj->has_error = !inj->has_error;
			inj->error_code = 0;
		}
	} else if (vcpu->ev.nmi_injected) {
		inj->type = KVMX_EVENT_NMI;
		inj->vector = X86_TRAP_NMI;
	} else if (vcpu->ev.interrupt.type != KVMX_EVENT_NONE) {
		*inj = vcpu->ev.interrupt;
	}

	if (vcpu->ev.nmi_pending) {
		block = kvmx_backend->get_interruptibility(vcpu);
		if (inj->type == KVMX_EVENT_NONE &&
		    !(block & (KVMX_BLOCK_NMI | KVMX_BLOCK_STI |
			       KVMX_BLOCK_MOV_SS))) {
			vcpu->ev.nmi_pending--;
			vcpu->ev.nmi_injected = true;
			inj->type = KVMX_EVENT_NMI;
			inj->vector = X86_TRAP_NMI;
		}
		vcpu->nmi_window = vcpu->ev.nmi_pending != 0;
	}
	/*
	 * An interrupt or NMI delivered now ends any shadow, and an NMI is
	 * delivered only unblocked: VM entry insists on both (SDM Vol. 3C
	 * 26.3.1.5), and a VMM may have set them together through
	 * KVM_SET_VCPU_EVENTS.
	 */
	if (inj->type == KVMX_EVENT_EXTINT || inj->type == KVMX_EVENT_NMI) {
		u32 drop = KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS |
			   (inj->type == KVMX_EVENT_NMI ? KVMX_BLOCK_NMI : 0);
		u32 now = kvmx_backend->get_interruptibility(vcpu);

		if (now & drop)
			kvmx_backend->set_interruptibility(vcpu, now & ~drop);
	}

	/*
	 * The VMM's request_interrupt_window: exit when the guest can take
	 * an interrupt (kvmx_stop_after_exit() then reports it).  Asked of
	 * the backend even when the window is open already: the exit then
	 * comes before the first guest instruction, as in-tree, where the
	 * check is made only after an exit.
	 */
	vcpu->irq_window = want_irq_window;
}

/* Store an event whose delivery an exit cut short, to inject it again. */
static void kvmx_requeue(struct kvmx_vcpu *vcpu, const struct kvmx_event *ev)
{
	switch (ev->type) {
	case KVMX_EVENT_NMI:
		vcpu->ev.nmi_injected = true;
		break;
	case KVMX_EVENT_EXTINT:
	case KVMX_EVENT_SW_INT:
		vcpu->ev.interrupt = *ev;
		break;
	case KVMX_EVENT_HW_EXCEPTION:
	case KVMX_EVENT_SW_EXCEPTION:
	case KVMX_EVENT_PRIV_SW_EXCEPTION:
		/* an exception raised meanwhile (by the exit's handler)
		 * would combine with it; none is queued yet here */
		vcpu->ev.exception = *ev;
		vcpu->ev.exception_pending = false;
		break;
	}
}

/* After an entry really happened: what was injected is delivered. */
void kvmx_events_after_exit(struct kvmx_vcpu *vcpu,
			    const struct kvmx_exit *exit)
{
	switch (vcpu->inject.type) {
	case KVMX_EVENT_NONE:
		break;
	case KVMX_EVENT_NMI:
		vcpu->ev.nmi_injected = false;
		break;
	case KVMX_EVENT_EXTINT:
	case KVMX_EVENT_SW_INT:
		vcpu->ev.interrupt.type = KVMX_EVENT_NONE;
		break;
	default:
		vcpu->ev.exception.type = KVMX_EVENT_NONE;
		break;
	}
	vcpu->inject.type = KVMX_EVENT_NONE;
	if (exit->vectoring.type != KVMX_EVENT_NONE)
		kvmx_requeue(vcpu, &exit->vectoring);
}

/*
 * kvm_run's view for a userspace interrupt controller, as in-tree: ready
 * when interrupts are open and no interrupt is already queued.
 */
bool kvmx_ready_for_interrupt(struct kvmx_vcpu *vcpu)
{
	return vcpu->ev.interrupt.type == KVMX_EVENT_NONE &&
	       kvmx_irq_window_open(vcpu,
				    kvmx_backend->get_interruptibility(vcpu));
}

/*
 * request_interrupt_window with the window open and nothing else to
 * deliver: KVM_RUN reports KVM_EXIT_IRQ_WINDOW_OPEN before any guest
 * instruction runs.  In-tree enters the guest and takes the window exit
 * at once; the guest sees no difference, and SVM's virtual-interrupt
 * window need not be trusted to open on the very first instruction
 * (QEMU's emulated SVM opens it one late after VMRUN).
 */
bool kvmx_irq_window_open_at_entry(struct kvmx_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->request_interrupt_window) &&
	       vcpu->ev.exception.type == KVMX_EVENT_NONE &&
	       !vcpu->ev.nmi_injected && !vcpu->ev.nmi_pending &&
	       kvmx_ready_for_interrupt(vcpu);
}

/* KVM_INTERRUPT without an in-kernel irqchip: queue it, as in-tree. */
int kvmx_ioctl_interrupt(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, argp, sizeof(irq)))
		return -EFAULT;
	if (irq.irq >= 256)
		return -EINVAL;
	if (vcpu->apic)
		return kvmx_apic_user_extint(vcpu, irq.irq);
	vcpu->ev.interrupt.type = KVMX_EVENT_EXTINT;
	vcpu->ev.interrupt.vector = irq.irq;
	vcpu->ev.interrupt.insn_len = 0;
	vcpu->ev.interrupt.has_error = false;
	return 0;
}

/*
 * KVM_NMI: at most two NMIs are remembered (one being handled, one
 * latched, SDM Vol. 3A 6.7.1); only one while NMIs are blocked.
 */
int kvmx_ioctl_nmi(struct kvmx_vcpu *vcpu)
{
	unsigned int limit = 2;

	if (vcpu->ev.nmi_injected ||
	    (kvmx_backend->get_interruptibility(vcpu) & KVMX_BLOCK_NMI))
		limit = 1;
	if (vcpu->ev.nmi_pending < limit)
		vcpu->ev.nmi_pending++;
	return 0;
}

void kvmx_get_vcpu_events(struct kvmx_vcpu *vcpu,
			  struct kvm_vcpu_events *e)
{
	u32 block = kvmx_backend->get_interruptibility(vcpu);
	const struct kvmx_event *ex = &vcpu->ev.exception;

	memset(e, 0, sizeof(*e));
	/* without KVM_CAP_EXCEPTION_PAYLOAD a pending exception is
	 * reported as injected, as in-tree */
	e->exception.injected = ex->type != KVMX_EVENT_NONE;
	e->exception.nr = ex->vector;
	e->exception.has_error_code = ex->has_error;
	e->exception.error_code = ex->error_code;

	/* software interrupts are re-executed, not reported (in-tree) */
	e->interrupt.injected = vcpu->ev.interrupt.type == KVMX_EVENT_EXTINT;
	e->interrupt.nr = vcpu->ev.interrupt.vector;
	e->interrupt.soft = 0;
	e->interrupt.shadow = (block & KVMX_BLOCK_MOV_SS ?
			       KVM_X86_SHADOW_INT_MOV_SS : 0) |
			      (block & KVMX_BLOCK_STI ?
			       KVM_X86_SHADOW_INT_STI : 0);

	e->nmi.injected = vcpu->ev.nmi_injected;
	/* a count (0-2), as in-tree reports it since 6.4 (6.1: 0 or 1) */
	e->nmi.pending = vcpu->ev.nmi_pending;
	e->nmi.masked = !!(block & KVMX_BLOCK_NMI);

	/* no SMM: smi fields stay zero but are valid */
	e->flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
		   KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
}

int kvmx_set_vcpu_events(struct kvmx_vcpu *vcpu,
			 const struct kvm_vcpu_events *e)
{
	u32 block;

	if (e->flags & ~(KVM_VCPUEVENT_VALID_NMI_PENDING |
			 KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			 KVM_VCPUEVENT_VALID_SHADOW |
			 KVM_VCPUEVENT_VALID_SMM))
		return -EINVAL;	/* PAYLOAD, TRIPLE_FAULT: caps not offered */
	if (e->exception.injected &&
	    (e->exception.nr > 31 || e->exception.nr == X86_TRAP_NMI))
		return -EINVAL;
	/* no SMM support, as in-tree built without CONFIG_KVM_SMM */
	if ((e->flags & KVM_VCPUEVENT_VALID_SMM) &&
	    (e->smi.smm || e->smi.pending || e->smi.smm_inside_nmi))
		return -EINVAL;

	vcpu->ev.exception.type = KVMX_EVENT_NONE;
	vcpu->ev.exception_pending = false;
	if (e->exception.injected) {
		struct kvmx_event *ex = &vcpu->ev.exception;

		ex->type = KVMX_EVENT_HW_EXCEPTION;
		ex->vector = e->exception.nr;
		ex->insn_len = 0;
		ex->has_error = e->exception.has_error_code &&
				kvmx_exc_error_ok(vcpu, ex->vector);
		ex->error_code = ex->has_error ? e->exception.error_code : 0;
	}

	/* a software interrupt has no instruction length here: the guest
	 * re-executes its INT n instead */
	vcpu->ev.interrupt.type = KVMX_EVENT_NONE;
	if (e->interrupt.injected && !e->interrupt.soft) {
		vcpu->ev.interrupt.type = KVMX_EVENT_EXTINT;
		vcpu->ev.interrupt.vector = e->interrupt.nr;
		vcpu->ev.interrupt.insn_len = 0;
		vcpu->ev.interrupt.has_error = false;
	}

	if (e->flags & KVM_VCPUEVENT_VALID_SIPI_VECTOR)
		kvmx_apic_set_sipi_vector(vcpu, e->sipi_vector);
	block = kvmx_backend->get_interruptibility(vcpu);
	if (e->flags & KVM_VCPUEVENT_VALID_SHADOW) {
		block &= ~(KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS);
		if (e->interrupt.shadow & KVM_X86_SHADOW_INT_MOV_SS)
			block |= KVMX_BLOCK_MOV_SS;
		if (e->interrupt.shadow & KVM_X86_SHADOW_INT_STI)
			block |= KVMX_BLOCK_STI;
	}
	vcpu->ev.nmi_injected = e->nmi.injected;
	if (e->nmi.masked)
		block |= KVMX_BLOCK_NMI;
	else
		block &= ~KVMX_BLOCK_NMI;
	/* as many as KVM_NMI would have kept in this state (see above) */
	if (e->flags & KVM_VCPUEVENT_VALID_NMI_PENDING)
		vcpu->ev.nmi_pending = min_t(unsigned int, e->nmi.pending,
					     e->nmi.injected ||
					     (block & KVMX_BLOCK_NMI) ? 1 : 2);
	kvmx_backend->set_interruptibility(vcpu, block);
	return 0;
}

/* Reset: nothing queued, nothing blocked. */
void kvmx_events_reset(struct kvmx_vcpu *vcpu)
{
	memset(&vcpu->ev, 0, sizeof(vcpu->ev));
	vcpu->inject.type = KVMX_EVENT_NONE;
	vcpu->irq_window = false;
	vcpu->nmi_window = false;
}
