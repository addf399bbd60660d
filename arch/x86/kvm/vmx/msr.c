// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest MSRs kvm-intel holds (backend.h, KVMX_BACKEND_MSRS): those in
 * the VMCS guest-state area (SYSENTER_*, DEBUGCTL, PAT), those loaded
 * around entries as user-return MSRs (STAR, LSTAR, SYSCALL_MASK, TSC_AUX),
 * KERNEL_GS_BASE (swapped by run.c), CSTAR and SPEC_CTRL.  Also the MSR
 * bitmaps, which decide which guest RDMSR/WRMSR exit, and the TSC offset.
 */
#define pr_fmt(fmt) "kvm-intel: " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/page.h>
#include "vmx.h"

/*
 * MSR bitmap layout (SDM Vol. 3C 25.6.9): four 1-KiB bit arrays, reads of
 * 0-0x1fff, reads of 0xc0000000-0xc0001fff, then the same two for
 * writes.  A set bit makes the access exit; MSRs outside both ranges
 * always exit.
 */
#define VMX_MSR_LOW_LAST	0x1fffu
#define VMX_MSR_HIGH_FIRST	0xc0000000u
#define VMX_MSR_HIGH_BITS	(1024 * 8)
#define VMX_MSR_WRITE_BITS	(2048 * 8)

static void vmx_msr_passthrough(void *bitmap, u32 msr)
{
	unsigned long *bits = bitmap;
	unsigned int bit;

	if (msr <= VMX_MSR_LOW_LAST)
		bit = msr;
	else if (msr - VMX_MSR_HIGH_FIRST <= VMX_MSR_LOW_LAST)
		bit = VMX_MSR_HIGH_BITS + (msr - VMX_MSR_HIGH_FIRST);
	else
		return;
	__clear_bit(bit, bits);
	__clear_bit(VMX_MSR_WRITE_BITS + bit, bits);
}

/*
 * The only MSRs a guest reaches directly: their guest values live in the
 * VMCS guest-state area, which every entry loads and every exit saves
 * (SDM Vol. 3C 26.3.2.1, 28.3.1; FS/GS base with the segment registers),
 * or in hardware only while the guest runs (KERNEL_GS_BASE, run.c).  The
 * hardware checks the values a WRMSR writes (canonical addresses), so
 * nothing the guest writes can fail an entry or reach the host.
 */
static const u32 vmx_passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static void *vmx_alloc_msr_bitmap(bool passthrough)
{
	void *bitmap = (void *)__get_free_page(GFP_KERNEL);
	unsigned int i;

	if (!bitmap)
		return NULL;
	memset(bitmap, 0xff, PAGE_SIZE);
	for (i = 0; passthrough && i < ARRAY_SIZE(vmx_passthrough_msrs); i++)
		vmx_msr_passthrough(bitmap, vmx_passthrough_msrs[i]);
	return bitmap;
}

/*
 * STAR, LSTAR and SYSCALL_MASK are what the guest's SYSCALL/SYSRET use;
 * TSC_AUX is what its RDTSCP/RDPID read.  The host needs its own values
 * only back in user space, so they are user-return MSRs.  CSTAR is not:
 * Intel CPUs never use it (SYSCALL outside 64-bit mode is #UD, SDM Vol.
 * 2B SYSCALL), so the guest's value only needs to read back.  TSC_AUX
 * may be missing (no RDTSCP or RDPID): then the guest cannot run RDTSCP
 * either (main.c leaves the control off).
 */
int vmx_msr_init(void)
{
	int slot;

	slot = kvmx_define_user_return_msr(MSR_STAR);
	if (slot < 0)
		return slot;
	vmx_caps.ur_star = slot;
	slot = kvmx_define_user_return_msr(MSR_LSTAR);
	if (slot < 0)
		return slot;
	vmx_caps.ur_lstar = slot;
	slot = kvmx_define_user_return_msr(MSR_SYSCALL_MASK);
	if (slot < 0)
		return slot;
	vmx_caps.ur_sfmask = slot;
	vmx_caps.ur_tsc_aux = kvmx_define_user_return_msr(MSR_TSC_AUX);

	vmx_caps.has_spec_ctrl = boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL);

	vmx_caps.msr_bitmap = vmx_alloc_msr_bitmap(true);
	vmx_caps.msr_bitmap_all = vmx_alloc_msr_bitmap(false);
	if (!vmx_caps.msr_bitmap || !vmx_caps.msr_bitmap_all) {
		vmx_msr_exit();
		return -ENOMEM;
	}
	return 0;
}

void vmx_msr_exit(void)
{
	free_page((unsigned long)vmx_caps.msr_bitmap);
	free_page((unsigned long)vmx_caps.msr_bitmap_all);
	vmx_caps.msr_bitmap = NULL;
	vmx_caps.msr_bitmap_all = NULL;
}

/* The values after RESET (SDM Vol. 3A table 9-1) of what is kept here. */
void vmx_msr_reset(struct vmx_vcpu *vmx)
{
	vmx->kernel_gs_base = 0;
	vmx->star = 0;
	vmx->lstar = 0;
	vmx->cstar = 0;
	vmx->sfmask = 0;
	vmx->tsc_aux = 0;
	vmx->spec_ctrl = 0;
	vmx->debugctl = 0;
	vmx->pat = VMX_PAT_RESET;
}

int vmx_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (index) {
	case MSR_IA32_SYSENTER_CS:
		*val = (u32)vmcs_read(VMCS_GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*val = vmcs_read(VMCS_GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*val = vmcs_read(VMCS_GUEST_SYSENTER_EIP);
		break;
	case MSR_STAR:
		*val = vmx->star;
		break;
	case MSR_LSTAR:
		*val = vmx->lstar;
		break;
	case MSR_CSTAR:
		*val = vmx->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*val = vmx->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		*val = vmx->kernel_gs_base;
		break;
	case MSR_IA32_CR_PAT:
		*val = vmx_caps.has_pat ? vmcs_read(VMCS_GUEST_PAT) : vmx->pat;
		break;
	case MSR_TSC_AUX:
		*val = vmx->tsc_aux;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		*val = vmx->debugctl;
		break;
	case MSR_IA32_SPEC_CTRL:
		*val = vmx->spec_ctrl;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/*
 * Values the host's own WRMSR (user-return MSRs, KERNEL_GS_BASE) or a VM
 * entry check (26.3.1.1: SYSENTER_ESP/EIP) would refuse.  The core has
 * validated them already; this only keeps a core bug from becoming a
 * host #GP or a failed entry.
 */
static bool vmx_msr_addr_ok(u64 val)
{
	return __is_canonical_address(val, boot_cpu_has(X86_FEATURE_LA57) ?
					   57 : 48);
}

int vmx_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (index) {
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
		if (!vmx_msr_addr_ok(val))
			return -EINVAL;
		break;
	}

	switch (index) {
	case MSR_IA32_SYSENTER_CS:
		vmcs_write(VMCS_GUEST_SYSENTER_CS, (u32)val);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmcs_write(VMCS_GUEST_SYSENTER_ESP, val);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmcs_write(VMCS_GUEST_SYSENTER_EIP, val);
		break;
	case MSR_STAR:
		vmx->star = val;
		break;
	case MSR_LSTAR:
		vmx->lstar = val;
		break;
	case MSR_CSTAR:
		vmx->cstar = val;
		break;
	case MSR_SYSCALL_MASK:
		vmx->sfmask = val;
		break;
	case MSR_KERNEL_GS_BASE:
		vmx->kernel_gs_base = val;
		break;
	case MSR_IA32_CR_PAT:
		if (vmx_caps.has_pat)
			vmcs_write(VMCS_GUEST_PAT, val);
		else
			vmx->pat = val;
		break;
	case MSR_TSC_AUX:
		vmx->tsc_aux = val;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		/*
		 * Entry loads the VMCS field (ENTRY_LOAD_DEBUG_CTLS).  Only
		 * BTF (single-step on branches) reaches the hardware: LBR
		 * would overwrite the host's branch records, BTS would write
		 * into the host's DS save area (SDM Vol. 3B 18.4).  The
		 * guest reads back what it wrote.
		 */
		vmx->debugctl = val;
		vmcs_write(VMCS_GUEST_DEBUGCTL, val & DEBUGCTLMSR_BTF);
		break;
	case MSR_IA32_SPEC_CTRL:
		vmx->spec_ctrl = val;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

/* Guest TSC = host TSC + offset ("use TSC offsetting", SDM 26.6.5). */
void vmx_set_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset)
{
	vmcs_write(VMCS_TSC_OFFSET, offset);
}

/*
 * Just before entry, IRQs off: the guest's user-return MSRs into the
 * hardware (a WRMSR only when the CPU holds another value), and the MSR
 * bitmap.  With an MSR filter (KVM_X86_SET_MSR_FILTER) every access
 * exits, so that the core applies the filter to all MSRs, the passed
 * through ones included.
 */
void vmx_msrs_before_entry(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx)
{
	void *bitmap = vmx_caps.msr_bitmap;

	kvmx_set_user_return_msr(vmx_caps.ur_star, vmx->star);
	kvmx_set_user_return_msr(vmx_caps.ur_lstar, vmx->lstar);
	kvmx_set_user_return_msr(vmx_caps.ur_sfmask, vmx->sfmask);
	if ((vmx_caps.proc2 & PROC2_RDTSCP) && vmx_caps.ur_tsc_aux >= 0)
		kvmx_set_user_return_msr(vmx_caps.ur_tsc_aux, vmx->tsc_aux);

	if (rcu_access_pointer(vcpu->vm->msr_filter))
		bitmap = vmx_caps.msr_bitmap_all;
	if (bitmap != vmx->msr_bitmap_in_vmcs) {
		vmx->msr_bitmap_in_vmcs = bitmap;
		vmcs_write(VMCS_MSR_BITMAP, __pa(bitmap));
	}
}
