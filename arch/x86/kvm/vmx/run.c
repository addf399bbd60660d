// SPDX-License-Identifier: GPL-2.0-only
/*
 * One trip into the guest: syncing RSP/RIP/RFLAGS with the VMCS, the
 * event, MSR and debug-register work of the last moment, saving the host
 * state a VM exit clobbers and putting it back afterwards, switching what
 * VMX leaves alone (CR2, KERNEL_GS_BASE, SPEC_CTRL), then handing the
 * exit to exit.c for translation.
 */
#define pr_fmt(fmt) "kvm-intel: " fmt

#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/version.h>
#include <asm/cpufeature.h>
#include <asm/special_insns.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
/* native_load_gs_index() moved out of special_insns.h in 6.2 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#include <asm/gsseg.h>
#endif
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>
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

static void vmx_regs_to_vmcs(struct kvmx_vcpu *vcpu)
{
	vmcs_write(VMCS_GUEST_RSP, vcpu->regs[KVMX_REG_RSP]);
	vmcs_write(VMCS_GUEST_RIP, vcpu->regs[KVMX_REG_RIP]);
	vmcs_write(VMCS_GUEST_RFLAGS, vcpu->rflags);
}

static void vmx_regs_from_vmcs(struct kvmx_vcpu *vcpu)
{
	vcpu->regs[KVMX_REG_RSP] = vmcs_read(VMCS_GUEST_RSP);
	vcpu->regs[KVMX_REG_RIP] = vmcs_read(VMCS_GUEST_RIP);
	vcpu->rflags = vmcs_read(VMCS_GUEST_RFLAGS);
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
 * SPEC_CTRL (SDM Vol. 4 / Intel's speculative-execution guidance): the
 * guest's value goes in right before the entry, and the host's
 * (x86_spec_ctrl_current, what the kernel last wrote on this CPU) back
 * in vmenter.S right after the exit, before the first RET, where the
 * kernel's IBRS-based mitigations need it: also when the two are equal if
 * the kernel runs with IBRS set on each kernel entry (X86_FEATURE_KERNEL_IBRS),
 * because the guest may have cleared it.  The guest's writes always exit,
 * so its value is known without reading the MSR back.
 */
static unsigned long vmx_spec_ctrl_enter(struct vmx_vcpu *vmx, u64 *host)
{
	unsigned long flags = 0;

	*host = 0;
	if (!vmx_caps.has_spec_ctrl)
		return 0;
	*host = this_cpu_read(x86_spec_ctrl_current);
	if (vmx->spec_ctrl != *host) {
		native_wrmsrl(MSR_IA32_SPEC_CTRL, vmx->spec_ctrl);
		flags = VMX_RUN_SPEC_CTRL;
	}
	if (cpu_feature_enabled(X86_FEATURE_KERNEL_IBRS))
		flags = VMX_RUN_SPEC_CTRL;
	return flags;
}

int vmx_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_host_save host;
	unsigned long flags;
	u64 host_spec_ctrl;
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

	vmx_update_cr4_mask(vcpu);
	vmx_regs_to_vmcs(vcpu);
	vmx_events_before_entry(vcpu, vmx);
	vmx_tpr_before_entry(vcpu, vmx);
	vmx_msrs_before_entry(vcpu, vmx);
	vmx_prepare_host(vmx, &host);
	vmx_debug_before_entry(vmx, &host);
	kvmx_timer_wait(vcpu);

	/* last: from the guest's SPEC_CTRL on, no RET until the exit */
	flags = vmx->launched ? VMX_RUN_RESUME : 0;
	flags |= vmx_spec_ctrl_enter(vmx, &host_spec_ctrl);
	ret = kvmx_vmx_enter(vcpu->regs, flags, host_spec_ctrl);

	vmx_debug_after_exit(&host);
	vmx_restore_host(vmx, &host);
	if (unlikely(ret)) {
		vmx_events_entry_failed();
		return vmx_enter_failed(vcpu, ret, exit);
	}

	/*
	 * Any exit, even a failed entry that reports an exit reason, leaves
	 * the VMCS launched: follow KVM and VMRESUME from now on.
	 */
	vmx->launched = true;
	vmx_regs_from_vmcs(vcpu);
	vmx_tpr_after_exit(vcpu, vmx);
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
