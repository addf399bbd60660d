// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd nested paging: the NPT entry format the core builds its tables
 * in, the per-VM top level that adapts the core's 4-level tables to a host
 * running 5-level paging, and loading the root into a vCPU's VMCB.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <asm/pgtable.h>
#include "svm.h"

/*
 * Nested page table entries use the legacy long-mode format (APM Vol. 2
 * 15.25.5).  The nested walk treats every guest access as a user access,
 * so U/S must be set at every level or nothing is reachable.
 */
#define NPT_P			BIT_ULL(0)
#define NPT_RW			BIT_ULL(1)
#define NPT_US			BIT_ULL(2)
#define NPT_A			BIT_ULL(5)
#define NPT_PS			BIT_ULL(7)
#define NPT_NX			BIT_ULL(63)
#define NPT_TABLE_BITS		(NPT_P | NPT_RW | NPT_US)

/* completed by svm_npt_format_init(): huge pages and the MMIO marker */
struct kvmx_tdp_format svm_npt_format = {
	.table_bits	= NPT_TABLE_BITS,
	.present_mask	= NPT_P,
	.leaf_read	= NPT_P | NPT_US,
	.leaf_write	= NPT_RW,
	.leaf_exec	= 0,
	.leaf_noexec	= NPT_NX,
	.leaf_attr	= 0,
	.huge_bit	= NPT_PS,
	.accessed_bit	= NPT_A,
	.sw_host_writable = BIT_ULL(52),	/* bits 62:52 are software's */
	.max_level	= 2,
};

/*
 * 1 GiB leaves need the host CPU's 1 GiB pages (the nested walk follows
 * the host's paging rules, APM 15.25.5).  The MMIO marker is a present
 * entry with an address bit above MAXPHYADDR set: those bits are reserved,
 * so any access through it is a #NPF with the RSVD bit in its error code
 * (APM 15.25.6) instead of a walk to memory.  With a 52-bit MAXPHYADDR
 * there is no such bit, and no marker.
 */
void svm_npt_format_init(void)
{
	if (boot_cpu_has(X86_FEATURE_GBPAGES))
		svm_npt_format.max_level = 3;
	if (boot_cpu_data.x86_phys_bits < 52)
		svm_npt_format.mmio_value = NPT_P | NPT_RW | NPT_US |
					    BIT_ULL(51);
}

/*
 * The nested walk has the depth of the host's own paging when VMRUN runs
 * (APM 15.25.3): with CR4.LA57 set in the host it is five levels, and there
 * is no control to ask for four.  The core builds four (48-bit GPAs, all it
 * ever maps), so such a VM gets one extra page on top whose first entry
 * points at the core's root; every other entry stays not present.
 */
int svm_vm_init(struct kvmx_vm *vm)
{
	struct svm_vm *svm_vm = vm->backend;
	struct page *page;

	if (!pgtable_l5_enabled())
		return 0;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	svm_vm->npt_l5 = page_address(page);
	svm_vm->npt_l5_pa = page_to_phys(page);
	return 0;
}

void svm_vm_destroy(struct kvmx_vm *vm)
{
	struct svm_vm *svm_vm = vm->backend;

	if (svm_vm->npt_l5)
		free_page((unsigned long)svm_vm->npt_l5);
	svm_vm->npt_l5 = NULL;
}

void svm_set_tdp_root(struct kvmx_vcpu *vcpu, u64 root_hpa)
{
	struct svm_vm *svm_vm = vcpu->vm->backend;
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 n_cr3 = root_hpa;

	if (svm_vm->npt_l5) {
		WRITE_ONCE(svm_vm->npt_l5[0], root_hpa | NPT_TABLE_BITS);
		n_cr3 = svm_vm->npt_l5_pa;
	}
	svm->vmcb->control.n_cr3 = n_cr3;
	svm->tdp_root_set = true;
	/* nothing cached under the old root may be used with the new one */
	svm->asid_generation = 0;
}
