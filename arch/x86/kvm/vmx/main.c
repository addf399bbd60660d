// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-intel module lifetime: checks that the CPU has VT-x and that the
 * firmware left it usable, probes the VMX capability MSRs into vmx_caps
 * (the controls every VMCS is built with), allocates a VMXON region for
 * every possible CPU, enters and leaves VMX operation per CPU on the core's
 * request (cpu_enable / cpu_disable), and registers the backend with
 * kvm.ko.  The VMCS, the state ops and the world switch live in vmcs.c,
 * state.c, run.c and vmenter.S.
 */
#define pr_fmt(fmt) "kvm-intel: " fmt

#include <linux/module.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include "vmx.h"

struct vmx_caps vmx_caps __read_mostly;
DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);

void vmx_insn_failed(const char *insn, unsigned long arg)
{
	pr_err_ratelimited("%s failed (operand %#lx) on CPU %d\n",
			   insn, arg, raw_smp_processor_id());
}

/*
 * Fit a wish list of controls to what the CPU allows (SDM Vol. 3D A.3-A.5):
 * the low half of a capability MSR has the bits that must be 1 ("allowed
 * 0-settings" that are 0), the high half the bits that may be 1.
 */
static int vmx_adjust_ctls(u32 msr, u32 required, u32 optional,
			   u32 unwanted, const char *what, u32 *result)
{
	u32 must1, may1, ctls;
	u64 val;

	rdmsrl(msr, val);
	must1 = lower_32_bits(val);
	may1 = upper_32_bits(val);
	ctls = (required | optional | must1) & may1;

	if ((ctls & required) != required) {
		pr_err("%s controls lack required bits %#x\n", what,
		       required & ~ctls);
		return -EIO;
	}
	if (must1 & unwanted) {
		pr_err("%s controls force unsupported bits %#x\n", what,
		       must1 & unwanted);
		return -EIO;
	}
	*result = ctls;
	return 0;
}

/*
 * "Use TPR shadow" (SDM Vol. 3C 25.6.2, 30.1) replaces the CR8 exits
 * when the CPU offers it without forcing CR8-load/store exiting on, and
 * the tpr_shadow parameter allows it (tpr.c).
 */
static bool vmx_probe_tpr_shadow(u32 msr)
{
	u32 cr8_exits = PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
	u64 val;

	rdmsrl(msr, val);
	return vmx_tpr_shadow_wanted() &&
	       (upper_32_bits(val) & PROC_TPR_SHADOW) &&
	       !(lower_32_bits(val) & cr8_exits);
}

/*
 * One line at load on what the CPU offers for APIC virtualisation
 * (SDM Vol. 3C 30) and whether the TPR shadow is in use.
 */
static void vmx_report_apic_virt(u32 proc_msr)
{
	u64 proc, proc2;

	rdmsrl(proc_msr, proc);
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, proc2);
	pr_info("TPR shadow %s (CPU: %s), APIC-access page %s, allowed-1 proc %#x proc2 %#x\n",
		vmx_caps.has_tpr_shadow ? "on" : "off",
		upper_32_bits(proc) & PROC_TPR_SHADOW ? "offered" : "absent",
		upper_32_bits(proc2) & PROC2_VIRT_APIC_ACCESS ? "offered" : "absent",
		upper_32_bits(proc), upper_32_bits(proc2));
}

static int vmx_probe_controls(bool true_ctls)
{
	u32 entry_may, proc2_opt = PROC2_VPID | PROC2_WBINVD_EXITING;
	u32 proc_msr = true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
		       MSR_IA32_VMX_PROCBASED_CTLS;
	u32 tpr;
	int ret;

	/*
	 * External interrupts and NMIs always end the run so the host keeps
	 * control.  Virtual NMIs give the guest its own NMI blocking, which
	 * the CPU sets on NMI injection and clears on the guest's IRET, and
	 * make NMI-window exiting available (SDM Vol. 3C 25.6.1, 26.7.6).
	 * "Acknowledge interrupt on exit" is never asked for: the interrupt
	 * then stays pending in the local APIC and is taken by the host's
	 * own handler once the core re-enables interrupts.
	 */
	ret = vmx_adjust_ctls(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			      MSR_IA32_VMX_PINBASED_CTLS,
			      PIN_EXT_INTR_EXITING | PIN_NMI_EXITING |
			      PIN_VIRTUAL_NMIS,
			      0, 0, "pin-based", &vmx_caps.pin);
	if (ret)
		return ret;

	/*
	 * Every port access exits (no I/O bitmaps), and every MSR access
	 * but those of the few MSRs the VMCS switches (msr.c's bitmap).  CR8
	 * accesses go to the TPR shadow (tpr.c), or exit without one because
	 * they would reach the real TPR; MOV DR exits because VMX switches
	 * DR7 only, not DR0-3; RDPMC exits because it would read the host's
	 * counters.  The TSC is offset, not intercepted.  With EPT the
	 * guest owns CR3 and INVLPG, so those must not be forced on.
	 * Interrupt- and NMI-window exiting must be available; they are
	 * switched on per entry when the core asks for a window (events.c).
	 */
	vmx_caps.has_tpr_shadow = vmx_probe_tpr_shadow(proc_msr);
	tpr = vmx_caps.has_tpr_shadow ? PROC_TPR_SHADOW :
	      PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING;
	ret = vmx_adjust_ctls(proc_msr,
			      PROC_HLT_EXITING | PROC_UNCOND_IO_EXITING | tpr |
			      PROC_MOV_DR_EXITING | PROC_RDPMC_EXITING |
			      PROC_MWAIT_EXITING | PROC_MONITOR_EXITING |
			      PROC_TSC_OFFSETTING | PROC_MSR_BITMAPS |
			      PROC_INTR_WINDOW_EXITING |
			      PROC_NMI_WINDOW_EXITING | PROC_SECONDARY_CTLS,
			      0,
			      PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING |
			      PROC_INVLPG_EXITING | PROC_IO_BITMAPS |
			      PROC_RDTSC_EXITING |
			      (vmx_caps.has_tpr_shadow ? 0 : PROC_TPR_SHADOW),
			      "primary processor-based", &vmx_caps.proc);
	if (ret)
		return ret;
	vmx_caps.proc &= ~(PROC_INTR_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING);

	/*
	 * EPT and unrestricted guest let the guest run real mode and its own
	 * paging natively.  RDTSCP (and RDPID) and INVPCID work in the guest
	 * when the host has them (RDTSCP needs the guest's TSC_AUX loaded,
	 * i.e. a user-return slot for it); XSAVES stays off so the guest
	 * gets #UD, matching a CPUID that does not list it.  WBINVD exits
	 * when the CPU can make it: a guest flushing all caches would
	 * stall the host for nothing (guest memory is coherent).
	 */
	if (boot_cpu_has(X86_FEATURE_RDTSCP) && vmx_caps.ur_tsc_aux >= 0)
		proc2_opt |= PROC2_RDTSCP;
	if (boot_cpu_has(X86_FEATURE_INVPCID))
		proc2_opt |= PROC2_INVPCID;
	ret = vmx_adjust_ctls(MSR_IA32_VMX_PROCBASED_CTLS2,
			      PROC2_EPT | PROC2_UNRESTRICTED_GUEST,
			      proc2_opt, 0, "secondary processor-based",
			      &vmx_caps.proc2);
	if (ret)
		return ret;

	/*
	 * 64-bit host; EFER switched by the CPU both ways; the guest's DR7
	 * and DEBUGCTL saved on exit and loaded on entry.  PAT is switched
	 * only when all four PAT controls exist (they always come together
	 * in practice); EPT entries carry "ignore PAT" anyway.
	 */
	ret = vmx_adjust_ctls(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
			      MSR_IA32_VMX_EXIT_CTLS,
			      EXIT_HOST_ADDR_SPACE_SIZE | EXIT_SAVE_EFER |
			      EXIT_LOAD_EFER | EXIT_SAVE_DEBUG_CTLS,
			      EXIT_SAVE_PAT | EXIT_LOAD_PAT,
			      EXIT_ACK_INTR_ON_EXIT | EXIT_LOAD_PERF_GLOBAL_CTRL,
			      "VM-exit", &vmx_caps.exit);
	if (ret)
		return ret;

	ret = vmx_adjust_ctls(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
			      MSR_IA32_VMX_ENTRY_CTLS,
			      ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG_CTLS |
			      ENTRY_IA32E_MODE_GUEST,
			      ENTRY_LOAD_PAT,
			      ENTRY_SMM | ENTRY_LOAD_PERF_GLOBAL_CTRL,
			      "VM-entry", &entry_may);
	if (ret)
		return ret;
	/* IA-32e mode guest follows the guest's EFER.LMA, off at reset */
	vmx_caps.entry = entry_may & ~ENTRY_IA32E_MODE_GUEST;

	vmx_caps.has_pat = (vmx_caps.exit & EXIT_SAVE_PAT) &&
			   (vmx_caps.exit & EXIT_LOAD_PAT) &&
			   (vmx_caps.entry & ENTRY_LOAD_PAT);
	if (!vmx_caps.has_pat) {
		vmx_caps.exit &= ~(EXIT_SAVE_PAT | EXIT_LOAD_PAT);
		vmx_caps.entry &= ~ENTRY_LOAD_PAT;
	}
	vmx_report_apic_virt(proc_msr);
	return 0;
}

static struct kvmx_tdp_format vmx_ept_format;

static int vmx_probe_ept_vpid(void)
{
	u64 cap;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, cap);
	vmx_caps.ept_vpid = cap;

	/* the core builds 4-level write-back tables (SDM Vol. 3C 29.3) */
	if (!(cap & VMXCAP_EPT_WALK_4) || !(cap & VMXCAP_EPT_MT_WB) ||
	    !(cap & VMXCAP_EPT_INVEPT) ||
	    !(cap & (VMXCAP_EPT_INVEPT_SINGLE | VMXCAP_EPT_INVEPT_ALL))) {
		pr_err("EPT lacks 4-level walks, WB tables or INVEPT (cap %#llx)\n",
		       cap);
		return -EIO;
	}

	if (cap & VMXCAP_EPT_2MB)
		vmx_ept_format.max_level = (cap & VMXCAP_EPT_1GB) ? 3 : 2;

	vmx_caps.has_vpid = (vmx_caps.proc2 & PROC2_VPID) &&
			    (cap & VMXCAP_VPID_INVVPID) &&
			    (cap & (VMXCAP_VPID_INVVPID_SINGLE |
				    VMXCAP_VPID_INVVPID_ALL));
	if (!vmx_caps.has_vpid) {
		vmx_caps.proc2 &= ~PROC2_VPID;
		pr_info("running without VPID\n");
	}
	return 0;
}

static int vmx_probe(void)
{
	u64 basic, misc;
	int ret;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_caps.revision_id = basic & VMXCAP_BASIC_REVISION_MASK;
	vmx_caps.vmcs_size = (basic >> VMXCAP_BASIC_SIZE_SHIFT) &
			     VMXCAP_BASIC_SIZE_MASK;
	/* one page per VMCS and VMXON region, anywhere, write-back (A.1) */
	if (vmx_caps.vmcs_size > PAGE_SIZE ||
	    (basic & VMXCAP_BASIC_32BIT_ADDRESSES) ||
	    ((basic >> VMXCAP_BASIC_MEMTYPE_SHIFT) & VMXCAP_BASIC_MEMTYPE_MASK) !=
	    VMXCAP_BASIC_MEMTYPE_WB) {
		pr_err("unsupported IA32_VMX_BASIC %#llx\n", basic);
		return -EIO;
	}

	/*
	 * Bit 55: the TRUE_* MSRs report which default-1 controls may be
	 * cleared (A.2); we need that to run without CR3 exiting.
	 */
	ret = vmx_probe_controls(basic & VMXCAP_BASIC_TRUE_CTLS);
	if (ret)
		return ret;
	ret = vmx_probe_ept_vpid();
	if (ret)
		return ret;

	rdmsrl(MSR_IA32_VMX_MISC, misc);
	vmx_caps.lma_saved = misc & VMXCAP_MISC_SAVES_LMA;

	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_caps.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_caps.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_caps.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_caps.cr4_fixed1);

	/*
	 * The guest owns every CR0 bit the hardware lets it have.  PE and PG
	 * are free with unrestricted guest (SDM 26.3.1.1); the other FIXED0
	 * bits (NE) are forced on, and CD/NW are kept off in hardware so the
	 * guest never runs uncached; its view of all of them lives in the
	 * read shadow.  For CR4, VMXE is forced on and hidden, and the bits
	 * FIXED1 does not allow are hidden too (writing them exits -> #GP).
	 */
	vmx_caps.cr0_mask = (vmx_caps.cr0_fixed0 &
			     ~(u64)(X86_CR0_PE | X86_CR0_PG)) |
			    X86_CR0_CD | X86_CR0_NW;
	vmx_caps.cr4_mask = vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1;
	return 0;
}

/* ---- per-CPU VMX operation (called by the core with IRQs off) ---- */

static inline bool vmx_vmxon(u64 pa)
{
	bool fail;

	asm volatile("vmxon %[pa]" CC_SET(be)
		     : CC_OUT(be) (fail) : [pa] "m" (pa) : "cc", "memory");
	return !fail;
}

static int vmx_cpu_enable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	unsigned long cr0, cr4;
	u64 feat;

	if (vc->vmx_on)
		return 0;
	if (!vc->vmxon_region)
		return -ENOMEM;

	/*
	 * IA32_FEATURE_CONTROL (SDM Vol. 3C 24.7): VMXON outside SMX needs
	 * bit 2, and the MSR must be locked.  Linux normally locks it at
	 * boot; if the firmware left it open, enable and lock it like KVM.
	 */
	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat))
		return -EIO;
	if (!(feat & FEAT_CTL_LOCKED)) {
		feat |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		if (wrmsrl_safe(MSR_IA32_FEAT_CTL, feat))
			return -EIO;
	} else if (!(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		return -EIO;
	}

	/* somebody else (another hypervisor) already uses VMX here */
	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;

	/*
	 * VMXON requires CR0 and CR4 to honour IA32_VMX_CR0/CR4_FIXED0/1
	 * (24.8).  A Linux host already has PE, NE and PG; VMXE is the only
	 * bit we have to set.  Refuse rather than flip other host bits.
	 */
	cr0 = native_read_cr0();
	cr4 = __read_cr4() | X86_CR4_VMXE;
	if ((cr0 & vmx_caps.cr0_fixed0) != vmx_caps.cr0_fixed0 ||
	    (cr0 & ~vmx_caps.cr0_fixed1) ||
	    (cr4 & vmx_caps.cr4_fixed0) != vmx_caps.cr4_fixed0 ||
	    (cr4 & ~vmx_caps.cr4_fixed1)) {
		pr_err_ratelimited("CPU %d: CR0 %#lx / CR4 %#lx violate the VMX fixed bits\n",
				   smp_processor_id(), cr0, cr4);
		return -EIO;
	}

	cr4_set_bits_irqsoff(X86_CR4_VMXE);
	if (!vmx_vmxon(__pa(vc->vmxon_region))) {
		cr4_clear_bits_irqsoff(X86_CR4_VMXE);
		pr_err_ratelimited("CPU %d: VMXON failed\n", smp_processor_id());
		return -EBUSY;
	}
	vc->vmx_on = true;

	/*
	 * Whoever used VMX on this CPU before may have left EPT-tagged
	 * translations behind whose EPTPs we could reuse.
	 */
	if (vmx_caps.ept_vpid & VMXCAP_EPT_INVEPT_ALL)
		vmx_invept(INVEPT_ALL_CONTEXT, 0);
	return 0;
}

/*
 * Also the emergency (crash / NMI shutdown) path: no locks, no sleeping,
 * nothing but this CPU's own state.
 */
static void vmx_cpu_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	if (!vc->vmx_on)
		return;
	/* VMXOFF leaves active VMCSs' data in the CPU: write it back first */
	vmx_clear_loaded_vmcss();
	asm volatile("vmxoff" ::: "cc", "memory");
	cr4_clear_bits_irqsoff(X86_CR4_VMXE);
	vc->vmx_on = false;
}

/* ---- VMs: nothing VMX-specific is per VM yet ---- */

struct vmx_vm {
	u32 unused;
};

static int vmx_vm_init(struct kvmx_vm *vm)
{
	return 0;
}

static void vmx_vm_destroy(struct kvmx_vm *vm)
{
}

/*
 * EPT entries (SDM Vol. 3C 29.3.2): bits 0-2 read/write/execute, both in
 * tables and in leaves; leaves carry the memory type in bits 5:3 and
 * "ignore PAT" in bit 6, so guest memory is always write-back whatever
 * the guest's PAT says (the guest has no devices to map uncached), and
 * bit 7 in a level-2 or level-3 entry makes it a 2 MiB or 1 GiB leaf.  The
 * MMIO marker is write without read, an EPT misconfiguration on any
 * access (29.3.3.1).  Accessed/dirty flags stay off (EPTP bit 6 clear), so
 * page aging drops leaves instead.  max_level follows the CPU's EPT
 * capabilities (vmx_probe_ept_vpid()).
 */
static struct kvmx_tdp_format vmx_ept_format = {
	.table_bits	= EPT_READ | EPT_WRITE | EPT_EXEC,
	.present_mask	= EPT_READ | EPT_WRITE | EPT_EXEC,
	.leaf_read	= EPT_READ,
	.leaf_write	= EPT_WRITE,
	.leaf_exec	= EPT_EXEC,
	.leaf_noexec	= 0,
	.leaf_attr	= (EPT_MT_WB << EPT_MT_SHIFT) | EPT_IGNORE_PAT,
	.huge_bit	= EPT_LEAF_HUGE,
	.accessed_bit	= 0,
	.sw_host_writable = BIT_ULL(52),	/* bits 56:52 are ignored */
	.mmio_value	= EPT_WRITE,
	.max_level	= 1,
};

static const struct kvmx_backend vmx_backend = {
	.name		= "vmx",
	.owner		= THIS_MODULE,
	.vm_size	= sizeof(struct vmx_vm),
	.vcpu_size	= sizeof(struct vmx_vcpu),
	.tdp_format	= &vmx_ept_format,
	.cpu_enable	= vmx_cpu_enable,
	.cpu_disable	= vmx_cpu_disable,
	.vm_init	= vmx_vm_init,
	.vm_destroy	= vmx_vm_destroy,
	.vcpu_create	= vmx_vcpu_create,
	.vcpu_free	= vmx_vcpu_free,
	.vcpu_reset	= vmx_vcpu_reset,
	.vcpu_load	= vmx_vcpu_load,
	.vcpu_put	= vmx_vcpu_put,
	.get_segment	= vmx_get_segment,
	.set_segment	= vmx_set_segment,
	.get_dtable	= vmx_get_dtable,
	.set_dtable	= vmx_set_dtable,
	.get_cr		= vmx_get_cr,
	.set_cr		= vmx_set_cr,
	.get_efer	= vmx_get_efer,
	.set_efer	= vmx_set_efer,
	.run		= vmx_run,
	.set_tdp_root	= vmx_set_tdp_root,
	.flush_tlb	= vmx_flush_tlb,
	.get_msr	= vmx_get_msr,
	.set_msr	= vmx_set_msr,
	.set_tsc_offset	= vmx_set_tsc_offset,
	.get_dr		= vmx_get_dr,
	.set_dr		= vmx_set_dr,
	.set_guest_debug = vmx_set_guest_debug,
	.get_interruptibility = vmx_get_interruptibility,
	.set_interruptibility = vmx_set_interruptibility,
	.get_pdptrs	= vmx_get_pdptrs,
	.set_pdptrs	= vmx_set_pdptrs,
};

static void vmx_free_vmxon_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);

		free_page((unsigned long)vc->vmxon_region);
		vc->vmxon_region = NULL;
	}
}

static int vmx_alloc_vmxon_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);
		struct page *page;

		INIT_LIST_HEAD(&vc->loaded);
		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_free_vmxon_regions();
			return -ENOMEM;
		}
		vc->vmxon_region = page_address(page);
		/* the region starts with the VMCS revision id (24.11.5) */
		*(u32 *)vc->vmxon_region = vmx_caps.revision_id;
	}
	return 0;
}

static int __init vmx_init(void)
{
	u64 feat;
	int ret;

	/* CPUID.1:ECX[5] = VMX (SDM Vol. 3C 24.6) */
	if (!(cpuid_ecx(1) & BIT(5))) {
		pr_err("VMX not supported\n");
		return -ENODEV;
	}

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat)) {
		pr_err("VMX not supported\n");
		return -ENODEV;
	}
	if ((feat & FEAT_CTL_LOCKED) &&
	    !(feat & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		pr_err("VMX disabled by BIOS\n");
		return -ENODEV;
	}

	/* the MSR side first: the controls depend on its user-return slots */
	ret = vmx_msr_init();
	if (ret)
		return ret;
	ret = vmx_probe();
	if (ret)
		goto free_msr;
	ret = vmx_vpid_init();
	if (ret)
		goto free_msr;
	ret = vmx_alloc_vmxon_regions();
	if (ret)
		goto free_msr;

	/* last: from here on /dev/kvm is live */
	ret = kvmx_register_backend(&vmx_backend);
	if (ret)
		goto free_vmxon;
	return 0;

free_vmxon:
	vmx_free_vmxon_regions();
free_msr:
	vmx_msr_exit();
	return ret;
}

static void __exit vmx_exit(void)
{
	/* first: no VM can exist after this, so no CPU is in VMX operation */
	kvmx_unregister_backend(&vmx_backend);
	vmx_free_vmxon_regions();
	vmx_msr_exit();
}

module_init(vmx_init);
module_exit(vmx_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvmx Intel VT-x backend");
