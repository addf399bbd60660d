// SPDX-License-Identifier: GPL-2.0-only
/*
 * One trip into the guest: syncing RSP/RIP/RFLAGS with the VMCS, saving
 * the host state a VM exit clobbers and putting it back afterwards,
 * switching what VMX leaves alone (CR2, KERNEL_GS_BASE), handing a host
 * NMI to the host, re-queueing an event whose delivery the exit cut short,
 * and translating the exit into the core's struct kvmx_exit.  MOV to
 * CR0/CR4 that only touches hidden bits and MOV DR are finished here, as
 * they concern state only this backend holds.
 */
#define pr_fmt(fmt) "kvm-intel: " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/version.h>
#include <asm/special_insns.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
/* native_load_gs_index() moved out of special_insns.h in 6.2 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <asm/gsseg.h>
#endif
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include "vmx.h"

static u16 vmx_read_ldt(void)
{
	u16 sel;

	asm volatile("sldt %0" : "=r" (sel));
	return sel;
}

static void vmx_load_ldt(u16 sel)
{
	asm volatile("lldt %0" : : "r" (sel));
}

/*
 * Before entry: write the host state that can change while the vCPU stays
 * on this CPU (CR3 is per process, CR4 per task for TSD and friends, the
 * FS base per thread), and remember what the exit will clobber.
 */
static void vmx_prepare_host(struct vmx_vcpu *vmx, struct vmx_host_save *h)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();
	u64 fs_base;

	if (unlikely(cr3 != vmx->host_cr3)) {
		vmx->host_cr3 = cr3;
		vmcs_write(VMCS_HOST_CR3, cr3);
	}
	if (unlikely(cr4 != vmx->host_cr4)) {
		vmx->host_cr4 = cr4;
		vmcs_write(VMCS_HOST_CR4, cr4);
	}
	rdmsrl(MSR_FS_BASE, fs_base);
	if (fs_base != vmx->host_fs_base) {
		vmx->host_fs_base = fs_base;
		vmcs_write(VMCS_HOST_FS_BASE, fs_base);
	}
	h->fs_base = fs_base;

	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	h->ldt = vmx_read_ldt();
	h->dr7 = native_get_debugreg(7);
	rdmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);

	/*
	 * KERNEL_GS_BASE is not in the VMCS, yet a 64-bit guest's SWAPGS
	 * changes it: switch it by hand around each entry.  It holds the
	 * user GS base of this thread while we are in the kernel.
	 */
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	if (vmx->kernel_gs_base != h->kernel_gs_base)
		wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);

	/* CR2 is not switched by VMX either (SDM Vol. 3C 27.3, 28.5) */
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
}

/*
 * After the exit (SDM Vol. 3C 28.5): DS/ES/FS/GS hold the selectors from
 * the VMCS (0) with FS/GS bases from it, LDTR is unusable, the TR limit is
 * 0x67, GDTR/IDTR limits are 0xffff, DR7 is 0x400, DEBUGCTL is 0.  Put the
 * host's real values back before anything else can notice.
 */
static void vmx_restore_host(struct vmx_vcpu *vmx, struct vmx_host_save *h)
{
	u64 guest_kgs;

	vmx->cr2 = native_read_cr2();
	rdmsrl(MSR_KERNEL_GS_BASE, guest_kgs);
	vmx->kernel_gs_base = guest_kgs;

	if (unlikely(h->ds))
		loadsegment(ds, h->ds);
	if (unlikely(h->es))
		loadsegment(es, h->es);
	if (unlikely(h->fs)) {
		/* loading the selector also reloads the base: undo that */
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	/*
	 * The user GS selector is reloaded behind SWAPGS by the kernel's
	 * helper, which changes the inactive (user) GS base, i.e.
	 * KERNEL_GS_BASE: so restore that MSR after it, not before.
	 */
	if (unlikely(h->gs))
		native_load_gs_index(h->gs);
	if (guest_kgs != h->kernel_gs_base || unlikely(h->gs))
		wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);

	if (unlikely(h->ldt))
		vmx_load_ldt(h->ldt);

	/*
	 * An oversized GDT limit would let LAR/LSL and segment loads look
	 * past the GDT page; restore it.  The IDT limit matters less (no
	 * vector is above 255) but costs one LIDT to get right.
	 */
	native_load_gdt(&vmx->host_gdt);
	if (vmx->host_idt.size != 0xffff)
		native_load_idt(&vmx->host_idt);
	/*
	 * TR limit 0x67 hides the I/O bitmap of an ioperm() task; the
	 * kernel's helper reloads TR at once for such a task and otherwise
	 * marks the limit stale so a later switch to one reloads it.
	 */
	invalidate_tss_limit();

	if (h->dr7 != VMX_DR7_RESET)
		native_set_debugreg(7, h->dr7);
	if (h->debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, h->debugctl);
}

static void vmx_regs_to_vmcs(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u64 rip = vcpu->regs[KVMX_REG_RIP];

	vmcs_write(VMCS_GUEST_RSP, vcpu->regs[KVMX_REG_RSP]);
	vmcs_write(VMCS_GUEST_RIP, rip);
	vmcs_write(VMCS_GUEST_RFLAGS, vcpu->rflags);

	/*
	 * The core moved RIP past an instruction (or userspace set it): an
	 * STI or MOV SS shadow belonged to the old instruction, and keeping
	 * it could fail the entry checks (26.3.1.5) against a new RFLAGS.
	 */
	if (rip != vmx->exit_rip) {
		u32 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

		if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
			vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
				   intr & ~(INTERRUPTIBILITY_STI |
					    INTERRUPTIBILITY_MOV_SS));
	}
}

static void vmx_regs_from_vmcs(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	vcpu->regs[KVMX_REG_RSP] = vmcs_read(VMCS_GUEST_RSP);
	vmx->exit_rip = vmcs_read(VMCS_GUEST_RIP);
	vcpu->regs[KVMX_REG_RIP] = vmx->exit_rip;
	vcpu->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
}

/* Everything useful for diagnosing a refused entry, once per vCPU. */
static void vmx_dump_vmcs(struct vmx_vcpu *vmx)
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
	pr_err(" rip %#lx rsp %#lx rflags %#lx dr7 %#lx intr %#lx act %#lx entry-intr %#lx eptp %#lx\n",
	       vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_GUEST_RSP),
	       vmcs_read(VMCS_GUEST_RFLAGS), vmcs_read(VMCS_GUEST_DR7),
	       vmcs_read(VMCS_GUEST_INTERRUPTIBILITY),
	       vmcs_read(VMCS_GUEST_ACTIVITY), vmcs_read(VMCS_ENTRY_INTR_INFO),
	       vmcs_read(VMCS_EPT_POINTER));
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
}

/* The world switch itself did not happen: say why. */
static int vmx_enter_failed(struct kvmx_vcpu *vcpu, int ret,
			    struct kvmx_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	exit->reason = KVMX_EXIT_FAIL_ENTRY;
	switch (ret) {
	case VMX_ENTER_FAIL_VALID:
		/*
		 * Bad control or host-state fields (26.2): the VM-instruction
		 * error number, as KVM reports it in
		 * hardware_entry_failure_reason.
		 */
		exit->hw_reason = vmcs_read(VMCS_INSN_ERROR);
		pr_err_ratelimited("VM entry failed, VM-instruction error %llu\n",
				   exit->hw_reason);
		vmx_dump_vmcs(vmx);
		return 0;
	case VMX_ENTER_FAULT:
		/* VMX was switched off by the emergency path: nothing ran */
		return -EIO;
	default:
		kvmx_vm_mark_dead(vcpu->vm,
				  "kvm-intel: VM entry impossible (no current VMCS)");
		return -EIO;
	}
}

/*
 * An exit that interrupted the delivery of an event to the guest (SDM Vol.
 * 3C 28.2.4, e.g. an EPT violation on the guest's IDT or stack) loses the
 * event unless it is injected again on the next entry (27.6).
 */
static void vmx_requeue_event(struct vmx_vcpu *vmx)
{
	u32 idt = vmcs_read(VMCS_IDT_VECTORING_INFO);
	u32 type;

	if (!(idt & INTR_INFO_VALID))
		return;
	type = (idt & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT;
	vmcs_write(VMCS_ENTRY_INTR_INFO,
		   idt & (INTR_INFO_VALID | INTR_INFO_ERR_VALID |
			  INTR_INFO_TYPE_MASK | INTR_INFO_VECTOR_MASK));
	if (idt & INTR_INFO_ERR_VALID)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERR,
			   vmcs_read(VMCS_IDT_VECTORING_ERR));
	/* software events restart from the instruction that raised them */
	if (type == INTR_TYPE_SW_INTR || type == INTR_TYPE_PRIV_SW_EXCEPTION ||
	    type == INTR_TYPE_SW_EXCEPTION)
		vmcs_write(VMCS_ENTRY_INSN_LEN, vmcs_read(VMCS_EXIT_INSN_LEN));
	/* an NMI cannot be injected while NMIs are blocked (26.3.1.5) */
	if (type == INTR_TYPE_NMI) {
		u32 intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

		if (intr & INTERRUPTIBILITY_NMI)
			vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
				   intr & ~INTERRUPTIBILITY_NMI);
	}
}

static void vmx_inject_gp(struct vmx_vcpu *vmx)
{
	u32 info = INTR_INFO_VALID | INTR_TYPE_HW_EXCEPTION <<
		   INTR_INFO_TYPE_SHIFT | X86_TRAP_GP;

	/* real mode has no error codes, and entry refuses one (26.2.1.3) */
	if (vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE) {
		info |= INTR_INFO_ERR_VALID;
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERR, 0);
	}
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
}

/* 64-bit code segment in IA-32e mode: GPR operands are 64 bits wide */
static bool vmx_guest_64bit(void)
{
	return (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA) &&
	       (vmcs_read(VMCS_GUEST_AR(KVMX_SEG_CS)) & SEG_AR_L);
}

/*
 * MOV to CR0/CR4 exits only when it changes a bit the guest does not own
 * (25.3): CR0.NE/CD/NW or hidden CR4 bits.  For legal values, record the
 * guest's new view in the read shadow and let the guest execute the same
 * instruction again: it then matches the shadow, does not exit, and the
 * CPU performs everything else (PE/PG, long-mode activation, PDPTE loads)
 * natively.  Illegal values get the #GP the CPU would raise.
 */
static bool vmx_handle_cr_write(struct kvmx_vcpu *vcpu, u64 qual)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 val = vcpu->regs[CR_QUAL_GPR(qual)];

	if (CR_QUAL_TYPE(qual) != CR_ACCESS_MOV_TO_CR)
		return false;
	if (!vmx_guest_64bit())
		val = (u32)val;

	switch (CR_QUAL_CR(qual)) {
	case 0:
		/* reserved high half, or NW without CD (SDM Vol. 3A 2.5) */
		if ((val >> 32) ||
		    ((val & X86_CR0_NW) && !(val & X86_CR0_CD))) {
			vmx_inject_gp(vmx);
			return true;
		}
		vmcs_write(VMCS_CR0_SHADOW, val);
		return true;
	case 4:
		/* VMXE (no nested VMX) and bits this CPU lacks */
		if (val & vmx_caps.cr4_mask) {
			vmx_inject_gp(vmx);
			return true;
		}
		vmcs_write(VMCS_CR4_SHADOW, val);
		return true;
	}
	return false;
}

/*
 * MOV DR always exits: VMX switches DR7 but not DR0-3/DR6, which belong to
 * the host's breakpoints.  The guest gets its own set of values, kept here
 * and never loaded into hardware (so guest breakpoints do not fire yet).
 * Privilege, CR4.DE and DR7.GD faults come before the exit (25.1.1).
 */
static bool vmx_handle_dr(struct kvmx_vcpu *vcpu, u64 qual, u32 insn_len)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned int dr = DR_QUAL_DR(qual), gpr = DR_QUAL_GPR(qual);
	unsigned long *reg;

	if (dr == 4 || dr == 5)		/* aliases of 6 and 7 when !CR4.DE */
		dr += 2;
	reg = dr < 4 ? &vmx->dr[dr] : dr == 6 ? &vmx->dr6 : &vmx->dr7;

	if (qual & DR_QUAL_FROM_DR) {
		vcpu->regs[gpr] = *reg;
	} else {
		u64 val = vcpu->regs[gpr];

		if (!vmx_guest_64bit())
			val = (u32)val;
		else if (dr >= 6 && (val >> 32)) {
			vmx_inject_gp(vmx);
			return true;
		}
		if (dr == 6)
			val |= VMX_DR6_RESET;
		else if (dr == 7)
			val |= VMX_DR7_RESET;
		*reg = val;
	}
	vcpu->regs[KVMX_REG_RIP] += insn_len;
	return true;
}

static void vmx_exit_io(struct kvmx_exit *exit, u64 qual)
{
	exit->reason = KVMX_EXIT_IO;
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
}

static void vmx_exit_unhandled(struct kvmx_exit *exit, u64 qual)
{
	exit->reason = KVMX_EXIT_UNHANDLED;
	exit->hw_info[0] = qual;
	exit->hw_info[1] = vmcs_read(VMCS_EXIT_INTR_INFO);
	exit->hw_info[2] = vmcs_read(VMCS_IDT_VECTORING_INFO);
	exit->hw_info[3] = vmcs_read(VMCS_GUEST_PHYS_ADDR);
}

static void vmx_translate_exit(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 reason = vmcs_read(VMCS_EXIT_REASON);
	u64 qual = vmcs_read(VMCS_EXIT_QUAL);
	u32 intr;

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
		return;
	}

	reason &= EXIT_REASON_BASIC_MASK;
	exit->hw_reason = reason;
	vmx_requeue_event(vmx);

	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		intr = vmcs_read(VMCS_EXIT_INTR_INFO);
		if ((intr & INTR_INFO_VALID) &&
		    ((intr & INTR_INFO_TYPE_MASK) >> INTR_INFO_TYPE_SHIFT) ==
		    INTR_TYPE_NMI) {
			/*
			 * A host NMI arrived in guest mode and became this
			 * exit instead of being delivered (SDM Vol. 3C 28.1),
			 * so the host has not seen it yet.  INT 2 runs the
			 * host's NMI handler through its IDT gate, on the NMI
			 * stack, as a real NMI would; a real NMI nesting into
			 * it is handled by the same entry logic that copes
			 * with an NMI after an IRET inside the handler.
			 * Interrupts are still off: nothing runs before it.
			 */
			asm volatile("int $2");
			exit->reason = KVMX_EXIT_NMI;
			return;
		}
		vmx_exit_unhandled(exit, qual);
		return;
	case EXIT_REASON_EXTERNAL_INTR:
		/* still pending in the APIC: taken once the core enables IRQs */
		exit->reason = KVMX_EXIT_EXTERNAL_INTR;
		return;
	case EXIT_REASON_TRIPLE_FAULT:
		exit->reason = KVMX_EXIT_SHUTDOWN;
		return;
	case EXIT_REASON_CPUID:
		/* unconditional in VMX non-root operation (25.1.2) */
		exit->reason = KVMX_EXIT_CPUID;
		exit->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
		return;
	case EXIT_REASON_HLT:
		exit->reason = KVMX_EXIT_HLT;
		exit->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
		return;
	case EXIT_REASON_IO:
		vmx_exit_io(exit, qual);
		exit->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
		return;
	case EXIT_REASON_EPT_VIOLATION:
		vmx_exit_ept_violation(exit, qual);
		return;
	case EXIT_REASON_EPT_MISCONFIG:
		/* a bad entry in the core's tables; no qualification (28.2.1) */
		vmx_exit_unhandled(exit, vmcs_read(VMCS_GUEST_PHYS_ADDR));
		return;
	case EXIT_REASON_CR_ACCESS:
		if (vmx_handle_cr_write(vcpu, qual)) {
			exit->reason = KVMX_EXIT_NONE;
			return;
		}
		break;
	case EXIT_REASON_DR_ACCESS:
		if (vmx_handle_dr(vcpu, qual, vmcs_read(VMCS_EXIT_INSN_LEN))) {
			exit->reason = KVMX_EXIT_NONE;
			return;
		}
		break;
	}
	exit->insn_len = vmcs_read(VMCS_EXIT_INSN_LEN);
	vmx_exit_unhandled(exit, qual);
}

int vmx_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_host_save host;
	int ret;

	memset(exit, 0, sizeof(*exit));
	if (unlikely(this_cpu_read(vmx_cpu.current_vmcs) != vmx)) {
		kvmx_vm_mark_dead(vcpu->vm, "kvm-intel: run without a loaded VMCS");
		return -EIO;
	}
	if (unlikely(!vmx->eptp)) {
		/* the core has not given us an EPT root: entry would fail */
		exit->reason = KVMX_EXIT_INVALID_STATE;
		return 0;
	}

	vmx_regs_to_vmcs(vcpu, vmx);
	vmx_prepare_host(vmx, &host);
	ret = kvmx_vmx_enter(vcpu->regs, vmx->launched);
	vmx_restore_host(vmx, &host);
	if (unlikely(ret))
		return vmx_enter_failed(vcpu, ret, exit);

	/*
	 * Any exit, even a failed entry that reports an exit reason, leaves
	 * the VMCS launched: follow KVM and VMRESUME from now on.
	 */
	vmx->launched = true;
	vmx_regs_from_vmcs(vcpu, vmx);
	if (!vmx_caps.lma_saved) {
		/*
		 * Older CPUs do not copy EFER.LMA into the "IA-32e mode
		 * guest" entry control on exit (IA32_VMX_MISC bit 5); the
		 * guest may have switched long mode on or off by itself.
		 */
		vmx_sync_ia32e_mode(vmcs_read(VMCS_GUEST_EFER));
	}
	vmx_translate_exit(vcpu, exit);
	return 0;
}
