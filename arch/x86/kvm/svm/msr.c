// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd MSRs: which guest MSR accesses exit (the MSR permission map),
 * where the backend keeps the MSRs of KVMX_BACKEND_MSRS (the VMCB state
 * save area for those VMRUN or VMLOAD/VMSAVE switch, the backend's own
 * fields for TSC_AUX and SPEC_CTRL, which are switched in software), and
 * the TSC offset.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <asm/cpufeature.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include "svm.h"

/*
 * The MSR permission map (APM Vol. 2 15.11): three 2 KiB vectors for the
 * MSRs 0000_0000-0000_1FFF, C000_0000-C000_1FFF and C001_0000-C001_1FFF,
 * two bits per MSR (read, then write); a set bit makes the access exit.
 */
#define SVM_MSRPM_RANGE		0x2000
#define SVM_MSRPM_VECTOR_BYTES	0x800

static const u32 svm_msrpm_bases[] = { 0, 0xc0000000, 0xc0010000 };

/*
 * The only MSRs a guest reaches directly.  Their guest values live in the
 * VMCB and are switched by VMLOAD/VMSAVE (FS/GS/KERNEL_GS_BASE, STAR,
 * LSTAR, CSTAR, SFMASK, SYSENTER_*; APM 15.5.2), and the host's come back
 * through the host's own VMLOAD on every exit, so a guest write can
 * neither reach the host nor get lost.  Every other access exits.
 */
static const u32 svm_direct_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static void svm_msrpm_allow(u8 *msrpm, u32 msr)
{
	unsigned int i;
	u32 bit;

	for (i = 0; i < ARRAY_SIZE(svm_msrpm_bases); i++) {
		if (msr - svm_msrpm_bases[i] >= SVM_MSRPM_RANGE)
			continue;
		bit = (msr - svm_msrpm_bases[i]) * 2;
		msrpm[i * SVM_MSRPM_VECTOR_BYTES + bit / 8] &=
			~(3u << (bit % 8));
		return;
	}
}

/* Called at module load on the all-ones map (svm.c). */
void svm_msrpm_init(void *msrpm)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(svm_direct_msrs); i++)
		svm_msrpm_allow(msrpm, svm_direct_msrs[i]);
}

/*
 * The power-on values of what the backend holds; the VMCB's save area
 * was just cleared by svm_vcpu_reset().
 */
void svm_msrs_reset(struct svm_vcpu *svm)
{
	svm->tsc_aux = 0;
	svm->spec_ctrl = 0;
	svm->vmcb->control.virt_ext &= ~SVM_VIRT_EXT_LBR;
}

/*
 * What vmenter.S switches around VMRUN: fills sc[] with the guest's
 * SPEC_CTRL and the host's (what the kernel last wrote on this CPU), or
 * returns NULL when there is nothing to switch: the host has no
 * SPEC_CTRL, the CPU switches it itself from the VMCB (V_SPEC_CTRL), or
 * both values are the same.  Called with IRQs off.
 */
u64 *svm_spec_ctrl_for_entry(struct svm_vcpu *svm, u64 sc[2])
{
	if (svm_has_v_spec_ctrl || !boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
		return NULL;
	sc[0] = svm->spec_ctrl;
	sc[1] = this_cpu_read(x86_spec_ctrl_current);
	return sc[0] == sc[1] ? NULL : sc;
}

/* The field of the VMCB save area that holds a 64-bit guest MSR. */
static u64 *svm_vmcb_msr(struct svm_vcpu *svm, u32 index)
{
	struct vmcb_save *save = &svm->vmcb->save;

	switch (index) {
	case MSR_STAR:
		return &save->star;
	case MSR_LSTAR:
		return &save->lstar;
	case MSR_CSTAR:
		return &save->cstar;
	case MSR_SYSCALL_MASK:
		return &save->sfmask;
	case MSR_KERNEL_GS_BASE:
		return &save->kernel_gs_base;
	case MSR_IA32_SYSENTER_CS:
		return &save->sysenter_cs;
	case MSR_IA32_CR_PAT:
		return &save->g_pat;
	}
	return NULL;
}

int svm_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *val)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save *save = &svm->vmcb->save;
	u64 *field = svm_vmcb_msr(svm, index);

	if (field) {
		*val = *field;
		return 0;
	}
	switch (index) {
	case MSR_IA32_SYSENTER_ESP:
		*val = save->sysenter_esp;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		*val = save->sysenter_eip;
		return 0;
	case MSR_TSC_AUX:
		*val = svm->tsc_aux;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*val = save->dbgctl;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		*val = svm_has_v_spec_ctrl ? save->spec_ctrl : svm->spec_ctrl;
		return 0;
	}
	return -ENOENT;
}

int svm_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 val)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_save *save = &svm->vmcb->save;
	u64 *field = svm_vmcb_msr(svm, index);

	if (field) {
		*field = val;
		return 0;
	}
	switch (index) {
	/*
	 * AMD CPUs keep only the low 32 bits of these two (in-tree KVM
	 * drops the rest for a guest that is not Intel, and VMSAVE would
	 * drop them on real hardware anyway).
	 */
	case MSR_IA32_SYSENTER_ESP:
		save->sysenter_esp = (u32)val;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
		save->sysenter_eip = (u32)val;
		return 0;
	case MSR_TSC_AUX:
		/* bits 63:32 are reserved: the WRMSR at entry would #GP */
		if (val >> 32)
			return -EINVAL;
		svm->tsc_aux = val;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		/*
		 * VMRUN switches DBGCTL only with LBR virtualization (APM
		 * 15.23); without it the guest's value could only be
		 * loaded into the host's MSR, so, like in-tree KVM, the
		 * write is dropped.
		 */
		if (!svm_has_lbrv)
			return 0;
		save->dbgctl = val;
		if (val)
			svm->vmcb->control.virt_ext |= SVM_VIRT_EXT_LBR;
		else
			svm->vmcb->control.virt_ext &= ~SVM_VIRT_EXT_LBR;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		if (svm_has_v_spec_ctrl)
			save->spec_ctrl = val;
		else
			svm->spec_ctrl = val;
		return 0;
	}
	return -ENOENT;
}

/*
 * With an MSR filter (KVM_X86_SET_MSR_FILTER) every access exits, so
 * that the core applies the filter to all MSRs, the direct ones included.
 */
void svm_msrpm_before_run(struct kvmx_vcpu *vcpu)
{
	to_svm(vcpu)->vmcb->control.msrpm_base_pa =
		rcu_access_pointer(vcpu->vm->msr_filter) ? svm_msrpm_all_pa :
							   svm_msrpm_pa;
}

/* RDTSC/RDTSCP read host TSC + offset without exiting (APM 15.30.1). */
void svm_set_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset)
{
	to_svm(vcpu)->vmcb->control.tsc_offset = offset;
}
