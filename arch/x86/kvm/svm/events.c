// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd events: programming the core's choice (vcpu->inject) into
 * EVENTINJ, the interrupt and NMI windows, the interrupt shadow and NMI
 * blocking, the report of an event an exit cut short (EXITINTINFO), and
 * the backend's own one-instruction single-steps.
 *
 * SVM has no NMI blocking state the VMM can see (without vNMI): NMIs are
 * blocked from the injection of one until the guest's next IRET (SDM
 * Vol. 3A 6.7.1), so the backend tracks that itself, intercepting IRET
 * while blocked.  The IRET intercept comes before the IRET executes
 * (APM 15.8); the blocking ends only once it completed, which a single
 * step shows.
 *
 * Single steps (RFLAGS.TF, #DB intercepted) stand in for the instruction
 * decoding SVM offers only with decode assists, which not every CPU (nor
 * QEMU's) has: to see the end of an IRET, to get past an interrupt shadow
 * for an NMI window, to check a MOV to CR4 against the guest's CPUID
 * after the fact, and to run a guest MOV DR with the guest's own debug
 * registers while the debugger's are in use.  A step only starts at an
 * entry that injects nothing (an event would be delivered first, with
 * our TF in the frame it pushes); the faults the stepped instruction can
 * raise exit too, so TF never reaches a guest stack.
 */
#include <linux/bits.h>
#include <linux/smp.h>
/* 6.1's asm/debugreg.h needs these first */
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/special_insns.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
/* smp_send_reschedule() traces the IPI on 6.5 and later */
#include <trace/events/ipi.h>
#include "svm.h"

/* Faults a stepped MOV CR4, MOV DR or IRET may raise. */
#define SVM_STEP_FAULTS		(BIT(X86_TRAP_UD) | BIT(X86_TRAP_NP) | \
				 BIT(X86_TRAP_SS) | BIT(X86_TRAP_GP) | \
				 BIT(X86_TRAP_PF))

/*
 * Always intercepted: #DB and #AC so that no guest can hang the CPU in
 * an endless chain of them during delivery (CVE-2015-8104, CVE-2015-5307),
 * each comes to the core, which gives the host control in between; #MC
 * so the host's handler sees it.
 */
#define SVM_EXCEPTIONS		(BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) | \
				 BIT(X86_TRAP_MC))

u32 svm_get_interruptibility(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u32 bits = 0;

	/* SVM has one shadow bit for both causes (APM 15.21.5); in-tree
	 * KVM reports both, and so do we */
	if (svm->vmcb->control.interrupt_state & SVM_INTERRUPT_SHADOW)
		bits |= KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS;
	if (svm->nmi_blocked)
		bits |= KVMX_BLOCK_NMI;
	return bits;
}

void svm_set_interruptibility(struct kvmx_vcpu *vcpu, u32 bits)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	if (bits & (KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS))
		c->interrupt_state |= SVM_INTERRUPT_SHADOW;
	else
		c->interrupt_state &= ~SVM_INTERRUPT_SHADOW;
	/* the VMM's word wins over our guesses from the last exit */
	svm->skip_valid = false;
	svm->nmi_blocked = bits & KVMX_BLOCK_NMI;
	if (!svm->nmi_blocked && svm->step.kind == SVM_STEP_IRET)
		svm->step.kind = SVM_STEP_NONE;
}

void svm_events_reset(struct svm_vcpu *svm)
{
	svm->nmi_blocked = false;
	memset(&svm->step, 0, sizeof(svm->step));
	memset(&svm->soft, 0, sizeof(svm->soft));
	svm->skip_valid = false;
}

void svm_step_request(struct svm_vcpu *svm, enum svm_step_kind kind)
{
	svm->step.kind = kind;
	svm->step.active = false;
}

/*
 * Software interrupts and exceptions push the address after their
 * instruction.  The CPU takes it from NEXT_RIP with NRIP save, else from
 * RIP (APM 15.20): move RIP there and set both, and remember it so that
 * a delivery cut short can be put back on the instruction.
 */
static void svm_inject_soft(struct svm_vcpu *svm, u8 insn_len)
{
	struct vmcb *vmcb = svm->vmcb;

	svm->soft.active = true;
	svm->soft.old_rip = vmcb->save.rip;
	vmcb->save.rip += insn_len;
	svm->soft.next_rip = vmcb->save.rip;
	vmcb->control.next_rip = vmcb->save.rip;
}

/* vcpu->inject into EVENTINJ (APM 15.20); the backend adds nothing. */
static void svm_inject(struct kvmx_vcpu *vcpu)
{
	const struct kvmx_event *ev = &vcpu->inject;
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 inj = SVM_EVENT_VALID | ev->vector;
	u64 type;

	svm->vmcb->control.event_inj = 0;
	switch (ev->type) {
	case KVMX_EVENT_EXTINT:
		type = SVM_EVENT_TYPE_INTR;
		break;
	case KVMX_EVENT_NMI:
		type = SVM_EVENT_TYPE_NMI;
		svm->nmi_blocked = true;
		break;
	case KVMX_EVENT_HW_EXCEPTION:
		type = SVM_EVENT_TYPE_EXCEPT;
		if (ev->has_error)
			inj |= SVM_EVENT_EV |
				((u64)ev->error_code << SVM_EVENT_ERR_SHIFT);
		break;
	case KVMX_EVENT_SW_INT:
		type = SVM_EVENT_TYPE_SOFT;
		svm_inject_soft(svm, ev->insn_len);
		break;
	case KVMX_EVENT_SW_EXCEPTION:
	case KVMX_EVENT_PRIV_SW_EXCEPTION:
		/* INT3/INTO/INT1 as exceptions, past their instruction, as
		 * in-tree KVM does: no IDT gate DPL check */
		type = SVM_EVENT_TYPE_EXCEPT;
		svm_inject_soft(svm, ev->insn_len);
		break;
	default:
		return;
	}
	svm->vmcb->control.event_inj = inj | (type << SVM_EVENT_TYPE_SHIFT);
}

/*
 * Interrupt window: a virtual interrupt (V_IRQ) that ignores the TPR is
 * taken as soon as RFLAGS.IF=1 and no shadow; intercepting VINTR turns
 * that moment into an exit (APM 15.21.4).  V_TPR is the guest's CR8 with
 * V_INTR_MASKING, kept in step with the core's copy.
 *
 * NMI window: while NMIs are blocked, the IRET intercept (then a step)
 * ends it; an interrupt shadow ends after one stepped instruction; an
 * event being injected is delivered at VMRUN, after which a self-IPI
 * (pending, host IF=1 across VMRUN) exits at once.
 */
static void svm_set_windows(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;
	u64 vintr = c->vintr & ~(SVM_VINTR_TPR | SVM_VINTR_IRQ |
				 SVM_VINTR_PRIO | SVM_VINTR_IGN_TPR);

	vintr |= vcpu->cr8 & SVM_VINTR_TPR;
	c->intercept_misc1 &= ~SVM_INTERCEPT1_VINTR;
	if (vcpu->irq_window && (c->interrupt_state & SVM_INTERRUPT_SHADOW) &&
	    !c->event_inj && svm->step.kind == SVM_STEP_NONE) {
		/*
		 * In a shadow, step past it first; the window is asked for
		 * again at the next entry.  The hardware would hold V_IRQ
		 * back itself, but QEMU's emulated SVM loses the shadow of
		 * the VMCB when VMRUN follows the host's STI (vmenter.S) and
		 * takes the virtual interrupt inside it.
		 */
		svm_step_request(svm, SVM_STEP_SHADOW);
	} else if (vcpu->irq_window) {
		vintr |= SVM_VINTR_IRQ | SVM_VINTR_PRIO | SVM_VINTR_IGN_TPR;
		c->intercept_misc1 |= SVM_INTERCEPT1_VINTR;
	}
	c->vintr = vintr;

	if (!vcpu->nmi_window || svm->nmi_blocked ||
	    svm->step.kind != SVM_STEP_NONE)
		return;
	if (vcpu->inject.type != KVMX_EVENT_NONE)
		smp_send_reschedule(smp_processor_id());
	else if (c->interrupt_state & SVM_INTERRUPT_SHADOW)
		svm_step_request(svm, SVM_STEP_SHADOW);
}

/* Start a requested step at this entry, or drop it (see the top). */
static void svm_step_begin(struct svm_vcpu *svm)
{
	struct vmcb_save *save = &svm->vmcb->save;

	if (svm->step.kind == SVM_STEP_NONE)
		return;
	if (svm->vmcb->control.event_inj) {
		/* the instruction exits again once it runs again */
		svm->step.kind = SVM_STEP_NONE;
		return;
	}
	svm->step.active = true;
	svm->step.rip = save->rip;
	svm->step.cr4 = save->cr4;
	svm->step.dr6 = svm->dr6;
	svm->step.tf_added = !(save->rflags & X86_EFLAGS_TF);
	save->rflags |= X86_EFLAGS_TF;
}

static bool svm_stepping(struct svm_vcpu *svm, enum svm_step_kind kind)
{
	return svm->step.active && svm->step.kind == kind;
}

/*
 * Just before the world switch (IRQs off), with the register file
 * already copied into the VMCB.
 */
void svm_events_before_run(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;
	u32 exceptions = SVM_EXCEPTIONS;

	/* the core completed the instruction of the last exit: any
	 * interrupt shadow it was in is over */
	if (svm->skip_valid && svm->vmcb->save.rip == svm->skip_rip)
		c->interrupt_state &= ~SVM_INTERRUPT_SHADOW;
	svm->skip_valid = false;

	svm_inject(vcpu);
	svm_set_windows(vcpu);
	svm_step_begin(svm);

	if (svm->nmi_blocked && !svm_stepping(svm, SVM_STEP_IRET))
		c->intercept_misc1 |= SVM_INTERCEPT1_IRET;
	else
		c->intercept_misc1 &= ~SVM_INTERCEPT1_IRET;
	/* CR4 bits the guest's CPUID lacks may still be valid to the CPU */
	if (svm_stepping(svm, SVM_STEP_CR4))
		c->intercept_cr &= ~SVM_INTERCEPT_CR4_WRITE;
	else
		c->intercept_cr |= SVM_INTERCEPT_CR4_WRITE;
	/*
	 * An interrupt waits behind the TPR alone: a MOV to CR8 (which only
	 * changes V_TPR) is stepped so that the core sees the new TPR right
	 * after it.  Not a V_IRQ of that priority: QEMU's emulated SVM
	 * aborts when a CR8 write meets a pending V_IRQ.
	 */
	if (vcpu->tpr_window && !svm_stepping(svm, SVM_STEP_CR8))
		c->intercept_cr |= SVM_INTERCEPT_CR8_WRITE;
	else
		c->intercept_cr &= ~SVM_INTERCEPT_CR8_WRITE;

	if (svm->guest_debug & KVM_GUESTDBG_USE_SW_BP)
		exceptions |= BIT(X86_TRAP_BP);
	if (svm->step.active)
		exceptions |= SVM_STEP_FAULTS;
	c->intercept_exceptions = exceptions;
}

/*
 * EXITINTINFO (APM 15.7.2) as the core's vectoring event.  A software
 * interrupt or INT3/INTO of the guest's own is reported as nothing: RIP
 * is still on its instruction, which raises it again when it runs again.
 * One we injected (soft.active) had RIP moved past its instruction: put
 * back, and reported with its length so the core injects it again.
 */
static void svm_report_vectoring(struct kvmx_vcpu *vcpu,
				 struct kvmx_exit *exit, u64 intinfo)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct kvmx_event *ev = &exit->vectoring;
	u32 type = (intinfo & SVM_EVENT_TYPE) >> SVM_EVENT_TYPE_SHIFT;
	bool ours = false;

	if (svm->soft.active && (intinfo & SVM_EVENT_VALID) &&
	    vcpu->regs[KVMX_REG_RIP] == svm->soft.next_rip) {
		vcpu->regs[KVMX_REG_RIP] = svm->soft.old_rip;
		ours = true;
	}
	svm->soft.active = false;
	if (!(intinfo & SVM_EVENT_VALID))
		return;

	ev->vector = intinfo & SVM_EVENT_VECTOR;
	switch (type) {
	case SVM_EVENT_TYPE_INTR:
		ev->type = KVMX_EVENT_EXTINT;
		return;
	case SVM_EVENT_TYPE_NMI:
		ev->type = KVMX_EVENT_NMI;
		return;
	case SVM_EVENT_TYPE_SOFT:
	case SVM_EVENT_TYPE_EXCEPT:
		break;
	default:
		return;
	}
	if (type == SVM_EVENT_TYPE_SOFT || ev->vector == X86_TRAP_BP ||
	    ev->vector == X86_TRAP_OF) {
		if (ours) {
			ev->type = vcpu->inject.type;
			ev->insn_len = svm->soft.next_rip - svm->soft.old_rip;
		} else {
			ev->vector = 0;
		}
		return;
	}
	ev->type = KVMX_EVENT_HW_EXCEPTION;
	ev->has_error = intinfo & SVM_EVENT_EV;
	if (ev->has_error)
		ev->error_code = intinfo >> SVM_EVENT_ERR_SHIFT;
}

/* The stepped MOV to CR4 set a bit the guest's CPUID does not offer. */
static void svm_step_cr4_check(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (!(svm->vmcb->save.cr4 & ~kvmx_cr4_allowed(vcpu)))
		return;
	/* undo it: as if the MOV had raised #GP(0) (SDM Vol. 3A 2.5) */
	svm->vmcb->save.cr4 = svm->step.cr4;
	vcpu->regs[KVMX_REG_RIP] = svm->step.rip;
	kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
	/* a trap of the MOV (guest TF, breakpoint) did not happen */
	if (exit->reason == KVMX_EXIT_EXCEPTION &&
	    exit->exc.vector == X86_TRAP_DB)
		exit->reason = KVMX_EXIT_NONE;
}

/*
 * The exit that ends a step.  The step's own #DB (BS, with TF ours) is
 * dropped, and DR6.BS put back as the guest had it.  TF goes again unless
 * a completed IRET loaded RFLAGS from the guest's stack.
 */
static void svm_step_end(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	enum svm_step_kind kind = svm->step.kind;
	bool done = vcpu->regs[KVMX_REG_RIP] != svm->step.rip;
	bool own_db = svm->step.tf_added &&
		      exit->reason == KVMX_EXIT_EXCEPTION &&
		      exit->exc.vector == X86_TRAP_DB &&
		      (exit->exc.dr6 & DR_STEP);

	svm->step.kind = SVM_STEP_NONE;
	svm->step.active = false;
	if (svm->step.tf_added && (!done || kind != SVM_STEP_IRET))
		vcpu->rflags &= ~X86_EFLAGS_TF;
	if (own_db) {
		exit->exc.dr6 &= ~(u64)DR_STEP;
		svm->dr6 = (svm->dr6 & ~(u64)DR_STEP) |
			   (svm->step.dr6 & DR_STEP);
		if (!exit->exc.dr6) {
			memset(&exit->exc, 0, sizeof(exit->exc));
			exit->reason = KVMX_EXIT_NONE;
		}
	}
	if (!done)
		return;

	switch (kind) {
	case SVM_STEP_IRET:
		svm->nmi_blocked = false;
		fallthrough;
	case SVM_STEP_SHADOW:
		if (exit->reason == KVMX_EXIT_NONE && vcpu->nmi_window)
			exit->reason = KVMX_EXIT_NMI_WINDOW;
		break;
	case SVM_STEP_CR4:
		svm_step_cr4_check(vcpu, exit);
		break;
	default:
		break;
	}
}

/*
 * After the exit was translated: the vectoring event, a step's end, the
 * guest's CR8, and where an instruction exit's instruction ends.
 */
void svm_events_after_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &svm->vmcb->control;

	vcpu->cr8 = c->vintr & SVM_VINTR_TPR;
	if (exit->reason == KVMX_EXIT_FAIL_ENTRY) {
		/* nothing was delivered: hand the injection back */
		if (svm->soft.active)
			vcpu->regs[KVMX_REG_RIP] = svm->soft.old_rip;
		svm->soft.active = false;
		exit->vectoring = vcpu->inject;
		svm->step.active = false;
		svm->step.kind = SVM_STEP_NONE;
		return;
	}
	svm_report_vectoring(vcpu, exit, c->exit_int_info);
	if (svm->step.active)
		svm_step_end(vcpu, exit);
	if (exit->insn_len) {
		svm->skip_rip = vcpu->regs[KVMX_REG_RIP] + exit->insn_len;
		svm->skip_valid = true;
	}
}
