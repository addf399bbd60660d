// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events on VMX: programming the event the core chose (vcpu->inject) into
 * the VM-entry interruption-information fields, the interrupt and NMI
 * windows, the guest interruptibility state (STI/MOV SS shadow and, with
 * virtual NMIs, NMI blocking), and on the way out the IDT-vectoring
 * information of an exit that cut an event's delivery short.  The core
 * decides what to deliver and re-delivers; this file only translates.
 */
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmx.h"

/* enum kvmx_event_type -> interruption type (SDM Vol. 3C table 25-17) */
static const u8 vmx_intr_type[] = {
	[KVMX_EVENT_EXTINT]		= INTR_TYPE_EXT_INTR,
	[KVMX_EVENT_NMI]		= INTR_TYPE_NMI,
	[KVMX_EVENT_HW_EXCEPTION]	= INTR_TYPE_HW_EXCEPTION,
	[KVMX_EVENT_SW_INT]		= INTR_TYPE_SW_INTR,
	[KVMX_EVENT_SW_EXCEPTION]	= INTR_TYPE_SW_EXCEPTION,
	[KVMX_EVENT_PRIV_SW_EXCEPTION]	= INTR_TYPE_PRIV_SW_EXCEPTION,
};

/*
 * The hardware exceptions VM entry delivers with an error code, and only
 * those, when the guest is in protected mode (SDM Vol. 3C 26.2.1.3).
 */
#define VMX_EXC_ERROR_CODE	(BIT(X86_TRAP_DF) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP) | BIT(X86_TRAP_PF) | \
				 BIT(X86_TRAP_AC))

#define VMX_SHADOW	(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS)

u32 vmx_get_interruptibility(struct kvmx_vcpu *vcpu)
{
	u32 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	return (intr & INTERRUPTIBILITY_STI ? KVMX_BLOCK_STI : 0) |
	       (intr & INTERRUPTIBILITY_MOV_SS ? KVMX_BLOCK_MOV_SS : 0) |
	       (intr & INTERRUPTIBILITY_NMI ? KVMX_BLOCK_NMI : 0);
}

void vmx_set_interruptibility(struct kvmx_vcpu *vcpu, u32 bits)
{
	u32 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	u32 want = intr & ~(VMX_SHADOW | INTERRUPTIBILITY_NMI);

	if (bits & KVMX_BLOCK_STI)
		want |= INTERRUPTIBILITY_STI;
	if (bits & KVMX_BLOCK_MOV_SS)
		want |= INTERRUPTIBILITY_MOV_SS;
	if (bits & KVMX_BLOCK_NMI)
		want |= INTERRUPTIBILITY_NMI;
	if (want != intr)
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, want);
}

/*
 * The backend completed the instruction at RIP itself (MOV DR, CR8,
 * ICEBP): move past it, end an STI/MOV SS shadow as a completed
 * instruction does, and with RFLAGS.TF let the single-step trap happen
 * right after the entry through the pending debug exceptions, as the SDM
 * advises for an emulated instruction (Vol. 3C 27.2.1).  #DB exits, so
 * the core sees it like any other single-step.
 */
void vmx_skip_insn(struct kvmx_vcpu *vcpu, u32 insn_len, bool step)
{
	u32 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	vcpu->regs[KVMX_REG_RIP] += insn_len;
	if (intr & VMX_SHADOW)
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, intr & ~VMX_SHADOW);
	if (step && (vcpu->rflags & X86_EFLAGS_TF))
		vmcs_write(VMCS_GUEST_PENDING_DBG,
			   vmcs_read(VMCS_GUEST_PENDING_DBG) | PENDING_DBG_BS);
}

/* A fault the instruction that exited raises: the core delivers it. */
void vmx_exit_fault(struct kvmx_exit *exit, u8 vector, bool has_error,
		    u32 error_code)
{
	exit->reason = KVMX_EXIT_EXCEPTION;
	exit->insn_len = 0;
	exit->exc.vector = vector;
	exit->exc.has_error = has_error;
	exit->exc.error_code = has_error ? error_code : 0;
	exit->exc.dr6 = 0;
}

/*
 * VM-entry interruption information, error code and instruction length
 * for vcpu->inject (SDM Vol. 3C 25.8.3, checks in 26.2.1.3 and 26.3.1.5).
 * Where the request would fail the entry checks, it is made to pass them
 * the way delivery would end anyway: an NMI or external interrupt clears
 * a shadow it could not have been delivered in (NMI delivery sets NMI
 * blocking again), and an exception carries an error code exactly when
 * the CPU would push one, of at most 16 bits.
 */
static void vmx_inject(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx,
		       u32 *intr)
{
	const struct kvmx_event *ev = &vcpu->inject;
	u32 type, info;

	if (ev->type >= ARRAY_SIZE(vmx_intr_type))
		return;
	type = vmx_intr_type[ev->type];
	info = INTR_INFO_VALID | type << INTR_INFO_TYPE_SHIFT | ev->vector;

	switch (type) {
	case INTR_TYPE_HW_EXCEPTION:
		if (ev->vector < 32 && (VMX_EXC_ERROR_CODE & BIT(ev->vector)) &&
		    (vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE)) {
			info |= INTR_INFO_ERR_VALID;
			vmcs_write(VMCS_ENTRY_EXCEPTION_ERR,
				   ev->has_error ? (u16)ev->error_code : 0);
		}
		/*
		 * Delivering #DB clears DR7.GD so that the handler can use
		 * the debug registers (SDM Vol. 3B 18.2.4); injection does
		 * not do it (SDM Vol. 3C 27.2), so it is done here.
		 */
		if (ev->vector == X86_TRAP_DB && (vmx->dr7 & VMX_DR7_GD))
			vmx_set_dr(vcpu, 7, vmx->dr7 & ~VMX_DR7_GD);
		break;
	case INTR_TYPE_SW_INTR:
	case INTR_TYPE_SW_EXCEPTION:
	case INTR_TYPE_PRIV_SW_EXCEPTION:
		vmcs_write(VMCS_ENTRY_INSN_LEN, ev->insn_len);
		break;
	case INTR_TYPE_NMI:
		*intr &= ~(VMX_SHADOW | INTERRUPTIBILITY_NMI);
		break;
	case INTR_TYPE_EXT_INTR:
		*intr &= ~VMX_SHADOW;
		break;
	}
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

/*
 * Before entry, IRQs off, after run.c wrote RFLAGS: the windows the core
 * asked for, the event to deliver, and the entry checks on the guest
 * interruptibility state that a VMM-provided state may violate (26.3.1.5):
 * no STI shadow with IF=0, not both shadows, and with a shadow the
 * pending single-step trap (BS) exactly when TF=1 and DEBUGCTL.BTF=0.
 */
void vmx_events_before_entry(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 proc = vmx->proc & ~(PROC_INTR_WINDOW_EXITING |
				 PROC_NMI_WINDOW_EXITING);
	u32 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY), want = intr;

	if (vcpu->irq_window)
		proc |= PROC_INTR_WINDOW_EXITING;
	if (vcpu->nmi_window)
		proc |= PROC_NMI_WINDOW_EXITING;
	if (proc != vmx->proc) {
		vmx->proc = proc;
		vmcs_write(VMCS_PROC_CTLS, proc);
	}

	if (vcpu->inject.type != KVMX_EVENT_NONE)
		vmx_inject(vcpu, vmx, &want);

	if ((want & INTERRUPTIBILITY_STI) &&
	    ((want & INTERRUPTIBILITY_MOV_SS) ||
	     !(vcpu->rflags & X86_EFLAGS_IF)))
		want &= ~INTERRUPTIBILITY_STI;
	if (want != intr)
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, want);

	if (want & VMX_SHADOW) {
		u64 pend = vmcs_read(VMCS_GUEST_PENDING_DBG);
		u64 fixed = pend & ~(u64)PENDING_DBG_BS;

		if ((vcpu->rflags & X86_EFLAGS_TF) &&
		    !(vmx->debugctl & DEBUGCTLMSR_BTF))
			fixed |= PENDING_DBG_BS;
		if (fixed != pend)
			vmcs_write(VMCS_GUEST_PENDING_DBG, fixed);
	}
}

/* The entry did not happen: the event must not linger for the next one. */
void vmx_events_entry_failed(void)
{
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
}

/*
 * IDT-vectoring information (SDM Vol. 3C 28.2.4): the event whose
 * delivery the exit interrupted, for the core to deliver again.  For the
 * software types the exit's instruction length is that of the INT n /
 * INT3 / INTO / INT1 (28.2.5).  An interrupted NMI leaves virtual-NMI
 * blocking as if it had been delivered; it must be clear for the NMI to
 * be injected again (26.3.1.5).
 */
void vmx_report_vectoring(struct kvmx_exit *exit)
{
	u32 idt = vmcs_read(VMCS_IDT_VECTORING_INFO);
	struct kvmx_event *ev = &exit->vectoring;
	u32 intr;

	if (!(idt & INTR_INFO_VALID))
		return;
	switch ((idt & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT) {
	case INTR_TYPE_EXT_INTR:
		ev->type = KVMX_EVENT_EXTINT;
		break;
	case INTR_TYPE_NMI:
		ev->type = KVMX_EVENT_NMI;
		intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
		if (intr & INTERRUPTIBILITY_NMI)
			vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
				   intr & ~INTERRUPTIBILITY_NMI);
		break;
	case INTR_TYPE_HW_EXCEPTION:
		ev->type = KVMX_EVENT_HW_EXCEPTION;
		break;
	case INTR_TYPE_SW_INTR:
		ev->type = KVMX_EVENT_SW_INT;
		break;
	case INTR_TYPE_SW_EXCEPTION:
		ev->type = KVMX_EVENT_SW_EXCEPTION;
		break;
	case INTR_TYPE_PRIV_SW_EXCEPTION:
		ev->type = KVMX_EVENT_PRIV_SW_EXCEPTION;
		break;
	default:
		return;
	}
	ev->vector = idt & INTR_INFO_VECTOR_MASK;
	if (ev->type >= KVMX_EVENT_SW_INT)
		ev->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
	if (idt & INTR_INFO_ERR_VALID) {
		ev->has_error = true;
		ev->error_code = vmcs_read(VMCS_IDT_VECTORING_ERR);
	}
}

/*
 * A fault in an IRET that had already unblocked NMIs reports it in bit 12
 * of the exit interruption information or EPT-violation qualification;
 * the IRET runs again after the fault is handled, so NMIs must be blocked
 * again until then (SDM Vol. 3C 28.2.3).  Not when the exit interrupted
 * an event's delivery (the bit is undefined then) nor for #DF.
 */
void vmx_nmi_unblocked_by_iret(struct kvmx_exit *exit, bool unblocked)
{
	u32 intr;

	if (!unblocked || exit->vectoring.type != KVMX_EVENT_NONE)
		return;
	intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	if (!(intr & INTERRUPTIBILITY_NMI))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   intr | INTERRUPTIBILITY_NMI);
}
