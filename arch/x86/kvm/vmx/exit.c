// SPDX-License-Identifier: GPL-2.0-only
/*
 * Translation of a VM exit (basic exit reason, qualification, interruption
 * and IDT-vectoring information, SDM Vol. 3C 28.2) into the core's struct
 * kvmx_exit.  A few exits concern state only this backend holds and are
 * finished here (KVMX_EXIT_NONE): MOV to CR0/CR4 touching hidden bits,
 * MOV CR8, MOV DR.  Faults an exiting instruction raises go to the core
 * as exceptions, which it delivers.
 */
#define pr_fmt(fmt) "kvm-intel: " fmt

#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmx.h"

/* Everything useful for diagnosing a refused entry, once per vCPU. */
void vmx_dump_vmcs(struct vmx_vcpu *vmx)
{
	enum kvmx_seg seg;

	if (vmx->dead_reported)
		return;
	vmx->dead_reported = true;
	pr_err("VMCS of vCPU %u: pin %#lx proc %#lx proc2 %#lx exit %#lx entry %#lx\n",
	       vmx->vcpu->id, vmcs_read(VMCS_PIN_CTLS),
	       vmcs_read(VMCS_PROC_CTLS), vmcs_read(VMCS_PROC_CTLS2),
	       vmcs_read(VMCS_EXIT_CTLS), vmcs_read(VMCS_ENTRY_CTLS));
	pr_err(" guest cr0 %#lx (shadow %#lx) cr3 %#lx cr4 %#lx (shadow %#lx) efer %#lx\n",
	       vmcs_read(VMCS_GUEST_CR0), vmcs_read(VMCS_CR0_SHADOW),
	       vmcs_read(VMCS_GUEST_CR3), vmcs_read(VMCS_GUEST_CR4),
	       vmcs_read(VMCS_CR4_SHADOW), vmcs_read(VMCS_GUEST_EFER));
	pr_err(" rip %#lx rsp %#lx rflags %#lx dr7 %#lx intr %#lx act %#lx pend-dbg %#lx entry-intr %#lx eptp %#lx\n",
	       vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_GUEST_RSP),
	       vmcs_read(VMCS_GUEST_RFLAGS), vmcs_read(VMCS_GUEST_DR7),
	       vmcs_read(VMCS_GUEST_INTERRUPTIBILITY),
	       vmcs_read(VMCS_GUEST_ACTIVITY), vmcs_read(VMCS_GUEST_PENDING_DBG),
	       vmcs_read(VMCS_ENTRY_INTR_INFO), vmcs_read(VMCS_EPT_POINTER));
	for (seg = KVMX_SEG_ES; seg < KVMX_NR_SEGS; seg++)
		pr_err(" seg %d: sel %#06lx base %#lx limit %#lx ar %#lx\n", seg,
		       vmcs_read(VMCS_GUEST_SEL(seg)),
		       vmcs_read(VMCS_GUEST_BASE(seg)),
		       vmcs_read(VMCS_GUEST_LIMIT(seg)),
		       vmcs_read(VMCS_GUEST_AR(seg)));
	pr_err(" gdtr %#lx/%#lx idtr %#lx/%#lx host cr0 %#lx cr3 %#lx cr4 %#lx\n",
	       vmcs_read(VMCS_GUEST_GDTR_BASE), vmcs_read(VMCS_GUEST_GDTR_LIMIT),
	       vmcs_read(VMCS_GUEST_IDTR_BASE), vmcs_read(VMCS_GUEST_IDTR_LIMIT),
	       vmcs_read(VMCS_HOST_CR0), vmcs_read(VMCS_HOST_CR3),
	       vmcs_read(VMCS_HOST_CR4));
	if (vmx->vapic)
		pr_err(" virtual-APIC page %#lx TPR threshold %#lx VTPR %#x\n",
		       vmcs_read(VMCS_VIRTUAL_APIC_PAGE_ADDR),
		       vmcs_read(VMCS_TPR_THRESHOLD),
		       *(u32 *)(vmx->vapic + VMX_VAPIC_TPR));
}

/* An instruction the core completes, with its length (28.2.5). */
static void vmx_exit_insn(struct kvmx_exit *exit,
			  enum kvmx_exit_reason reason)
{
	exit->reason = reason;
	exit->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
}

static void vmx_exit_unhandled(struct kvmx_exit *exit, u64 qual)
{
	exit->reason = KVMX_EXIT_UNHANDLED;
	exit->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
	exit->hw_info[0] = qual;
	exit->hw_info[1] = vmcs_read(VMCS_EXIT_INTR_INFO);
	exit->hw_info[2] = vmcs_read(VMCS_IDT_VECTORING_INFO);
	exit->hw_info[3] = vmcs_read(VMCS_GUEST_PHYS_ADDR);
}

/*
 * MOV to CR0/CR4 exits only when it changes a bit the guest does not own
 * (25.6.6): CR0.NE/CD/NW, or CR4 bits VMX or the guest's CPUID forbid.
 * A legal value goes into the read shadow and the guest executes the same
 * instruction again: it then matches the shadow, does not exit, and the
 * CPU performs everything else (PE/PG, long-mode activation, PDPTE loads,
 * the remaining #GP checks) natively.  An illegal one faults with #GP(0).
 * Without the TPR shadow (tpr.c) MOV to/from CR8 exits and works on
 * vcpu->cr8, the TPR[7:4] the core keeps in step with its local APIC.
 */
static void vmx_exit_cr(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit,
			u64 qual)
{
	unsigned int gpr = CR_QUAL_GPR(qual);
	u32 insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
	u64 val = vcpu->regs[gpr];

	if (!vmx_guest_64bit())
		val = (u32)val;
	exit->reason = KVMX_EXIT_NONE;

	switch (CR_QUAL_TYPE(qual) << 4 | CR_QUAL_CR(qual)) {
	case CR_ACCESS_MOV_TO_CR << 4 | 0:
		if (!kvmx_cr0_valid(val))
			vmx_exit_fault(exit, X86_TRAP_GP, true, 0);
		else
			vmcs_write(VMCS_CR0_SHADOW, val);
		return;
	case CR_ACCESS_MOV_TO_CR << 4 | 4:
		if ((val & ~kvmx_cr4_allowed(vcpu)) || (val & vmx_caps.cr4_mask))
			vmx_exit_fault(exit, X86_TRAP_GP, true, 0);
		else
			vmcs_write(VMCS_CR4_SHADOW, val);
		return;
	case CR_ACCESS_MOV_TO_CR << 4 | 8:
		/* bits 63:4 are reserved (SDM Vol. 3A 2.5), as the shadow checks */
		if (val & ~0xfULL) {
			vmx_exit_fault(exit, X86_TRAP_GP, true, 0);
			return;
		}
		vcpu->cr8 = val & 0xf;
		vmx_skip_insn(vcpu, insn_len, true);
		return;
	case CR_ACCESS_MOV_FROM_CR << 4 | 8:
		vcpu->regs[gpr] = vcpu->cr8;
		vmx_skip_insn(vcpu, insn_len, true);
		return;
	}
	vmx_exit_unhandled(exit, qual);
}

/*
 * Exit reason 0: a host NMI, or an exception the exception bitmap
 * intercepts (#DB, #AC, #BP).
 */
static void vmx_exit_exception(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit,
			       u64 qual)
{
	u32 intr = vmcs_read(VMCS_EXIT_INTR_INFO);
	u32 type = (intr & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT;
	u8 vector = intr & INTR_INFO_VECTOR_MASK;

	if (!(intr & INTR_INFO_VALID)) {
		vmx_exit_unhandled(exit, qual);
		return;
	}
	if (type == INTR_TYPE_NMI) {
		/*
		 * A host NMI arrived in guest mode and became this exit
		 * instead of being delivered (SDM Vol. 3C 28.1), so the host
		 * has not seen it yet.  INT 2 runs the host's NMI handler
		 * through its IDT gate, on the NMI stack, as a real NMI
		 * would; a real NMI nesting into it is handled by the same
		 * entry logic that copes with an NMI after an IRET inside
		 * the handler.  Interrupts are still off: nothing runs
		 * before it.
		 */
		asm volatile("int $2");
		exit->reason = KVMX_EXIT_NMI;
		return;
	}

	vmx_nmi_unblocked_by_iret(exit, (intr & INTR_INFO_NMI_UNBLOCKED_IRET) &&
				  vector != X86_TRAP_DF);
	vmx_exit_fault(exit, vector, intr & INTR_INFO_ERR_VALID,
		       (intr & INTR_INFO_ERR_VALID) ?
		       vmcs_read(VMCS_EXIT_INTR_ERR) : 0);

	switch (type) {
	case INTR_TYPE_SW_EXCEPTION:
		/* INT3/INTO: RIP is on the instruction (28.2.5) */
		exit->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
		break;
	case INTR_TYPE_PRIV_SW_EXCEPTION:
		/*
		 * INT1 (ICEBP): a trap, yet the exit leaves RIP on the
		 * instruction; step past it so the #DB the core delivers
		 * returns after it.  It reports no DR6 bits.
		 */
		vmx_skip_insn(vcpu, vmcs_read(VMCS_EXIT_INSN_LEN), false);
		break;
	default:
		/* #DB: the qualification has the DR6 bits (table 28-1) */
		if (vector == X86_TRAP_DB)
			exit->exc.dr6 = qual & (DB_QUAL_TRAPS | DB_QUAL_BD |
						DB_QUAL_BS);
		break;
	}
}

static void vmx_exit_io(struct kvmx_exit *exit, u64 qual)
{
	vmx_exit_insn(exit, KVMX_EXIT_IO);
	exit->io.port = qual >> IO_QUAL_PORT_SHIFT;
	exit->io.size = (qual & IO_QUAL_SIZE_MASK) + 1;
	exit->io.in = !!(qual & IO_QUAL_IN);
	exit->io.string = !!(qual & IO_QUAL_STRING);
	exit->io.rep = !!(qual & IO_QUAL_REP);
}

static void vmx_exit_ept_violation(struct kvmx_exit *exit, u64 qual)
{
	exit->reason = KVMX_EXIT_TDP_FAULT;
	exit->tdp.gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
	exit->tdp.access = (qual & EPT_QUAL_READ ? KVMX_TDP_READ : 0) |
			   (qual & EPT_QUAL_WRITE ? KVMX_TDP_WRITE : 0) |
			   (qual & EPT_QUAL_FETCH ? KVMX_TDP_FETCH : 0) |
			   (qual & EPT_QUAL_PERM_MASK ? KVMX_TDP_PRESENT : 0);
	vmx_nmi_unblocked_by_iret(exit, qual & EPT_QUAL_NMI_UNBLOCKED_IRET);
}

/* Exits that are just "the instruction at RIP, this long, for the core". */
static const u8 vmx_insn_exits[] = {
	[EXIT_REASON_CPUID]	= KVMX_EXIT_CPUID,
	[EXIT_REASON_HLT]	= KVMX_EXIT_HLT,
	[EXIT_REASON_INVD]	= KVMX_EXIT_INVD,
	[EXIT_REASON_RDPMC]	= KVMX_EXIT_RDPMC,
	[EXIT_REASON_VMCALL]	= KVMX_EXIT_HYPERCALL,
	[EXIT_REASON_RDMSR]	= KVMX_EXIT_RDMSR,
	[EXIT_REASON_WRMSR]	= KVMX_EXIT_WRMSR,
	[EXIT_REASON_MWAIT]	= KVMX_EXIT_MWAIT,
	[EXIT_REASON_MONITOR]	= KVMX_EXIT_MWAIT,
	[EXIT_REASON_PAUSE]	= KVMX_EXIT_PAUSE,
	[EXIT_REASON_WBINVD]	= KVMX_EXIT_INVD,
	[EXIT_REASON_XSETBV]	= KVMX_EXIT_XSETBV,
};

void vmx_translate_exit(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 reason = vmcs_read(VMCS_EXIT_REASON);
	u64 qual = vmcs_read(VMCS_EXIT_QUAL);

	if (unlikely(reason & EXIT_REASON_ENTRY_FAILED)) {
		/*
		 * Invalid guest state, MSR loading or a machine check during
		 * entry (26.8): the full exit reason, bit 31 included, is
		 * what KVM reports as hardware_entry_failure_reason.
		 */
		exit->reason = KVMX_EXIT_FAIL_ENTRY;
		exit->hw_reason = reason;
		exit->hw_info[0] = qual;
		pr_err_ratelimited("VM entry failed, exit reason %#x qualification %#llx\n",
				   reason, qual);
		vmx_dump_vmcs(vmx);
		vmx_events_entry_failed();
		return;
	}

	reason &= EXIT_REASON_BASIC_MASK;
	exit->hw_reason = reason;
	vmx_report_vectoring(exit);

	if (reason < ARRAY_SIZE(vmx_insn_exits) && vmx_insn_exits[reason]) {
		vmx_exit_insn(exit, vmx_insn_exits[reason]);
		return;
	}

	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		vmx_exit_exception(vcpu, exit, qual);
		return;
	case EXIT_REASON_EXTERNAL_INTR:
		/* still pending in the APIC: taken once the core enables IRQs */
		exit->reason = KVMX_EXIT_EXTERNAL_INTR;
		return;
	case EXIT_REASON_TRIPLE_FAULT:
		exit->reason = KVMX_EXIT_SHUTDOWN;
		return;
	case EXIT_REASON_INTR_WINDOW:
		exit->reason = KVMX_EXIT_IRQ_WINDOW;
		return;
	case EXIT_REASON_NMI_WINDOW:
		exit->reason = KVMX_EXIT_NMI_WINDOW;
		return;
	case EXIT_REASON_IO:
		vmx_exit_io(exit, qual);
		return;
	case EXIT_REASON_EPT_VIOLATION:
		vmx_exit_ept_violation(exit, qual);
		return;
	case EXIT_REASON_EPT_MISCONFIG:
		/*
		 * The core's MMIO marker (write without read, SDM 29.3.3.1);
		 * there is no qualification (28.2.1), only the address.
		 */
		exit->reason = KVMX_EXIT_TDP_FAULT;
		exit->tdp.gpa = vmcs_read(VMCS_GUEST_PHYS_ADDR);
		exit->tdp.access = KVMX_TDP_MMIO;
		return;
	case EXIT_REASON_CR_ACCESS:
		vmx_exit_cr(vcpu, exit, qual);
		return;
	case EXIT_REASON_TPR_BELOW_THRESHOLD:
		/*
		 * Trap-like (30.1.2): the guest's MOV to CR8 is complete and
		 * RIP past it; run.c already took the new VTPR into
		 * vcpu->cr8, so the core sees the waiting interrupt become
		 * deliverable before the next entry.
		 */
		exit->reason = KVMX_EXIT_NONE;
		return;
	case EXIT_REASON_DR_ACCESS:
		vmx_exit_mov_dr(vcpu, exit, qual,
				vmcs_read(VMCS_EXIT_INSN_LEN));
		return;
	case EXIT_REASON_GETSEC:
	case EXIT_REASON_VMCLEAR ... EXIT_REASON_VMXON:
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
		/*
		 * VMX and SMX instructions exit unconditionally (25.1.2);
		 * the guest's CPUID offers neither, so they are #UD as on a
		 * CPU without them, like in-tree without nested VMX.
		 */
		vmx_exit_fault(exit, X86_TRAP_UD, false, 0);
		return;
	}
	vmx_exit_unhandled(exit, qual);
}
