// SPDX-License-Identifier: GPL-2.0-only
/*
 * The TPR shadow (SDM Vol. 3C 30.1-30.3): with "use TPR shadow" the
 * guest's MOV to and from CR8 work on the TPR byte of a per-vCPU
 * virtual-APIC page instead of exiting.  The core keeps the TPR as
 * vcpu->cr8; this file copies it into the page before each entry and
 * back after each exit, and sets the TPR threshold so that a guest that
 * lowers CR8 below an interrupt waiting behind the TPR exits at once
 * (trap-like exit 43, "TPR below threshold").  Without the feature (the
 * module parameter off, or a CPU without it) CR8 accesses exit and
 * exit.c completes them.
 */
#define pr_fmt(fmt) "kvm-intel: " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include "vmx.h"

static bool tpr_shadow = true;
module_param(tpr_shadow, bool, 0444);
MODULE_PARM_DESC(tpr_shadow,
		 "Use the TPR shadow when the CPU has it: MOV CR8 does not exit (default on)");

/* Module init: does the user want the TPR shadow at all? */
bool vmx_tpr_shadow_wanted(void)
{
	return tpr_shadow;
}

int vmx_tpr_vcpu_create(struct vmx_vcpu *vmx)
{
	unsigned long page;

	if (!vmx_caps.has_tpr_shadow)
		return 0;
	/* 4-KByte aligned, within the physical-address width (26.2.1.1) */
	page = __get_free_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	vmx->vapic = (void *)page;
	return 0;
}

void vmx_tpr_vcpu_free(struct vmx_vcpu *vmx)
{
	free_page((unsigned long)vmx->vapic);
	vmx->vapic = NULL;
}

/* With the other controls, once per VMCS (vmcs.c). */
void vmx_tpr_write_controls(struct vmx_vcpu *vmx)
{
	if (!vmx->vapic)
		return;
	vmcs_write(VMCS_VIRTUAL_APIC_PAGE_ADDR, __pa(vmx->vapic));
	vmx->tpr_threshold = 0;
	vmcs_write(VMCS_TPR_THRESHOLD, 0);
}

/*
 * Before an entry, after the core chose vcpu->cr8 and vcpu->tpr_window.
 * MOV to CR8 writes VTPR[7:4] from the source and clears the rest of the
 * register (30.3), so cr8 << 4 is what the guest would read back.  A
 * guest write that leaves VTPR[7:4] below the threshold exits after the
 * instruction (30.1.2): the threshold is the priority class waiting
 * behind the TPR, so the exit comes exactly when that interrupt becomes
 * deliverable.  Without virtual-interrupt delivery, entry requires
 * threshold[3:0] <= VTPR[7:4] (26.2.1.1); the core's class never exceeds
 * its CR8, but clamp anyway rather than fail the entry.
 */
void vmx_tpr_before_entry(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	u32 cr8 = vcpu->cr8 & 0xf;
	u32 threshold = min_t(u32, vcpu->tpr_window & 0xf, cr8);

	if (!vmx->vapic)
		return;
	WRITE_ONCE(*(u32 *)(vmx->vapic + VMX_VAPIC_TPR), cr8 << 4);
	if (threshold != vmx->tpr_threshold) {
		vmx->tpr_threshold = threshold;
		vmcs_write(VMCS_TPR_THRESHOLD, threshold);
	}
}

/* After every exit: the guest's MOV to CR8 may have changed VTPR. */
void vmx_tpr_after_exit(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	if (!vmx->vapic)
		return;
	vcpu->cr8 = (READ_ONCE(*(u32 *)(vmx->vapic + VMX_VAPIC_TPR)) >> 4) &
		    0xf;
}
