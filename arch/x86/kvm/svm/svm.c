// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd: the AMD-V backend's module lifetime.  Probes the CPU (SVM,
 * nested paging, firmware lock, ASID count), owns the per-CPU host save
 * areas and the shared I/O and MSR permission maps, turns SVM on and off on
 * each CPU when the core asks, and registers the backend's op table with
 * kvm.ko.  The VMCB and the state ops are in vcpu.c, the world switch and
 * exit translation in run.c and vmenter.S.
 */
#define pr_fmt(fmt) "kvm-amd: " fmt

#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include "svm.h"

DEFINE_PER_CPU(struct svm_cpu, svm_cpu_data);

u32 svm_max_asid;
bool svm_has_nrips;
bool svm_has_lbrv;
bool svm_has_v_spec_ctrl;
int svm_tsc_aux_slot = -ENODEV;
u64 svm_iopm_pa;
u64 svm_msrpm_pa;
u64 svm_msrpm_all_pa;

static struct page *svm_iopm;
static struct page *svm_msrpm;
static struct page *svm_msrpm_all;

/*
 * The IOPM is 12 KiB and the MSRPM 8 KiB, both physically contiguous and
 * 4 KiB aligned (APM Vol. 2 15.10.1, 15.11).  Every port access exits,
 * and every MSR access but those of the MSRs the VMCB switches (msr.c);
 * with an MSR filter, the all-ones map makes those exit too.  The core
 * decides what the accesses do.  The hardware only reads the maps, so one
 * copy of each serves every VM.
 */
#define SVM_IOPM_ORDER		2
#define SVM_IOPM_SIZE		(12 * 1024)
#define SVM_MSRPM_ORDER		1
#define SVM_MSRPM_SIZE		(8 * 1024)

/*
 * Called with IRQs off on each CPU.  EFER.SVME already set and not by us
 * means another hypervisor is running on this CPU: sharing SVM with it
 * would corrupt its state (and ours), so refuse.
 */
static int svm_cpu_enable(void)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu_data);
	u64 efer;

	if (sc->enabled)
		return 0;
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("CPU %d: EFER.SVME already set, another hypervisor is active\n",
		       smp_processor_id());
		return -EBUSY;
	}
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, sc->hsave_pa);
	svm_asid_cpu_init(sc);
	sc->last_vmcb = NULL;
	sc->enabled = true;
	return 0;
}

/*
 * Also the emergency (crash, NMI shutdown) path: no locks, no printing.
 * A crash may land between our CLGI and STGI; STGI first so the CPU does
 * not stay deaf to INIT and NMI once SVM is off (STGI itself needs SVME).
 */
static void svm_cpu_disable(void)
{
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu_data);
	u64 efer;

	if (!sc->enabled)
		return;
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		svm_stgi();
		wrmsrl(MSR_VM_HSAVE_PA, 0);
		wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	}
	sc->enabled = false;
}

static const struct kvmx_backend svm_backend = {
	.name		= "svm",
	.owner		= THIS_MODULE,
	.vm_size	= sizeof(struct svm_vm),
	.vcpu_size	= sizeof(struct svm_vcpu),
	.tdp_format	= &svm_npt_format,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
	.vm_init	= svm_vm_init,
	.vm_destroy	= svm_vm_destroy,
	.vcpu_create	= svm_vcpu_create,
	.vcpu_free	= svm_vcpu_free,
	.vcpu_reset	= svm_vcpu_reset,
	.vcpu_load	= svm_vcpu_load,
	.vcpu_put	= svm_vcpu_put,
	.get_segment	= svm_get_segment,
	.set_segment	= svm_set_segment,
	.get_dtable	= svm_get_dtable,
	.set_dtable	= svm_set_dtable,
	.get_cr		= svm_get_cr,
	.set_cr		= svm_set_cr,
	.get_efer	= svm_get_efer,
	.set_efer	= svm_set_efer,
	.run		= svm_run,
	.set_tdp_root	= svm_set_tdp_root,
	.flush_tlb	= svm_flush_tlb,
	.get_msr	= svm_get_msr,
	.set_msr	= svm_set_msr,
	.set_tsc_offset	= svm_set_tsc_offset,
	.get_dr		= svm_get_dr,
	.set_dr		= svm_set_dr,
	.set_guest_debug = svm_set_guest_debug,
	.get_interruptibility = svm_get_interruptibility,
	.set_interruptibility = svm_set_interruptibility,
};

/*
 * SVM itself, nested paging (the core has no shadow paging), and the
 * firmware's VM_CR.SVMDIS lock, which makes setting EFER.SVME #GP
 * (APM Vol. 2 15.4, 15.30.1).
 */
static int svm_check_cpu(void)
{
	u32 features, nasids;
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("SVM not supported by this CPU\n");
		return -ENODEV;
	}
	if (boot_cpu_data.extended_cpuid_level < 0x8000000a) {
		pr_err("SVM feature leaf (CPUID 0x8000000a) missing\n");
		return -ENODEV;
	}
	features = cpuid_edx(0x8000000a);
	if (!(features & SVM_CPUID_NP)) {
		pr_err("nested paging (NPT) not supported by this CPU\n");
		return -ENODEV;
	}
	if (!rdmsrl_safe(MSR_VM_CR, &vm_cr) && (vm_cr & SVM_VM_CR_SVMDIS)) {
		pr_err("SVM disabled by firmware (VM_CR.SVMDIS); enable it in the BIOS setup\n");
		return -ENODEV;
	}
	/* ASID 0 is the host's, so at least two are needed. */
	nasids = cpuid_ebx(0x8000000a);
	if (nasids < 2) {
		pr_err("CPU reports %u ASIDs, need at least 2\n", nasids);
		return -ENODEV;
	}
	svm_max_asid = nasids - 1;
	svm_has_nrips = features & SVM_CPUID_NRIPS;
	svm_has_lbrv = features & SVM_CPUID_LBRV;
	svm_has_v_spec_ctrl = features & SVM_CPUID_V_SPEC_CTRL;
	/*
	 * The guest's TSC_AUX (RDTSCP, RDPID) is loaded as a user-return
	 * MSR: the host needs its own back only in user space (vDSO getcpu).
	 */
	if (boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID))
		svm_tsc_aux_slot = kvmx_define_user_return_msr(MSR_TSC_AUX);
	return 0;
}

static void svm_free_cpu_areas(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu_data, cpu);

		if (sc->hsave)
			__free_page(sc->hsave);
		if (sc->host_vmsave)
			__free_page(sc->host_vmsave);
		sc->hsave = NULL;
		sc->host_vmsave = NULL;
	}
}

static int svm_alloc_cpu_areas(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sc = per_cpu_ptr(&svm_cpu_data, cpu);
		int node = cpu_to_node(cpu);

		sc->hsave = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		sc->host_vmsave = alloc_pages_node(node,
						   GFP_KERNEL | __GFP_ZERO, 0);
		if (!sc->hsave || !sc->host_vmsave) {
			svm_free_cpu_areas();
			return -ENOMEM;
		}
		sc->hsave_pa = page_to_phys(sc->hsave);
		sc->host_vmsave_pa = page_to_phys(sc->host_vmsave);
	}
	return 0;
}

static void svm_free_maps(void)
{
	if (svm_iopm)
		__free_pages(svm_iopm, SVM_IOPM_ORDER);
	if (svm_msrpm)
		__free_pages(svm_msrpm, SVM_MSRPM_ORDER);
	if (svm_msrpm_all)
		__free_pages(svm_msrpm_all, SVM_MSRPM_ORDER);
	svm_msrpm_all = NULL;
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

static int svm_alloc_maps(void)
{
	svm_iopm = alloc_pages(GFP_KERNEL, SVM_IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	svm_msrpm_all = alloc_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	if (!svm_iopm || !svm_msrpm || !svm_msrpm_all) {
		svm_free_maps();
		return -ENOMEM;
	}
	memset(page_address(svm_iopm), 0xff, SVM_IOPM_SIZE);
	memset(page_address(svm_msrpm), 0xff, SVM_MSRPM_SIZE);
	svm_msrpm_init(page_address(svm_msrpm));
	memset(page_address(svm_msrpm_all), 0xff, SVM_MSRPM_SIZE);
	svm_iopm_pa = page_to_phys(svm_iopm);
	svm_msrpm_pa = page_to_phys(svm_msrpm);
	svm_msrpm_all_pa = page_to_phys(svm_msrpm_all);
	return 0;
}

static int __init svm_init(void)
{
	int r;

	r = svm_check_cpu();
	if (r)
		return r;
	svm_npt_format_init();
	r = svm_alloc_maps();
	if (r)
		return r;
	r = svm_alloc_cpu_areas();
	if (r)
		goto free_maps;
	/* Last: from here on /dev/kvm exists and VMs may be created. */
	r = kvmx_register_backend(&svm_backend);
	if (r)
		goto free_cpu_areas;
	return 0;

free_cpu_areas:
	svm_free_cpu_areas();
free_maps:
	svm_free_maps();
	return r;
}

static void __exit svm_exit(void)
{
	/* First: no VM, and SVM off on every CPU, once this returns. */
	kvmx_unregister_backend(&svm_backend);
	svm_free_cpu_areas();
	svm_free_maps();
}

module_init(svm_init);
module_exit(svm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvmx AMD-V (SVM) backend");
