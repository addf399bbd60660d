// SPDX-License-Identifier: GPL-2.0-only
/*
 * Model-specific registers: one table of what each MSR kvmx implements
 * does for a read and a write, used by the guest's RDMSR/WRMSR exits and
 * by KVM_GET/SET_MSRS alike ("host" accesses may do what a guest may
 * not, as in-tree).  MSRs whose guest value lives in the VMCB/VMCS go to
 * the backend after the core validated them.  Also the index lists, the
 * feature MSRs of the system fd, and the machine-check ioctls.
 */
#include <linux/moduleparam.h>
#include <linux/uaccess.h>
#include <linux/nospec.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/mce.h>
#include <asm/nospec-branch.h>
#include <asm/processor-flags.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

static bool ignore_msrs;
module_param(ignore_msrs, bool, 0644);
MODULE_PARM_DESC(ignore_msrs, "Unknown MSRs read as 0 and ignore writes instead of #GP");

/* variable-range MTRR pairs start at 0x200 (SDM Vol. 3A 12.11.2.3) */
#define KVMX_MTRR_VAR_BASE	0x200
#define KVMX_MTRRCAP_VALUE	(0x500 | KVMX_NR_VAR_MTRR) /* WC, FIX, VCNT */
#define KVMX_MISC_ENABLE_RESET	(MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL)
#define KVMX_UCODE_REV		0x100000000ULL	/* what in-tree reports */
#define KVMX_MCE_CAP_SUPPORTED	(MCG_CTL_P | MCG_SER_P)

/* The CPUID bits some MSRs depend on (leaf, register, bit). */
#define KVMX_HAS(vcpu, fn, reg, bit) \
	kvmx_guest_has(vcpu, fn, KVMX_CPUID_##reg, bit)

static bool kvmx_guest_intel(struct kvmx_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvmx_find_cpuid(vcpu, 0, 0);

	return e && e->ebx == 0x756e6547;	/* "Genu" */
}

/* 48 or 57 bits of linear address, as the guest's CPUID says. */
static u8 kvmx_guest_va_bits(struct kvmx_vcpu *vcpu)
{
	return KVMX_HAS(vcpu, 7, ECX, 16) ? 57 : 48;
}

bool kvmx_noncanonical(struct kvmx_vcpu *vcpu, u64 la)
{
	u8 shift = 64 - kvmx_guest_va_bits(vcpu);

	return (u64)((s64)(la << shift) >> shift) != la;
}

static u64 kvmx_canonicalize(struct kvmx_vcpu *vcpu, u64 la)
{
	u8 shift = 64 - kvmx_guest_va_bits(vcpu);

	return (u64)((s64)(la << shift) >> shift);
}

/* PAT entries are 0, 1, 4, 5, 6 or 7 (SDM Vol. 3A 12.12.2). */
static bool kvmx_pat_valid(u64 pat)
{
	if (pat & 0xf8f8f8f8f8f8f8f8ULL)
		return false;
	return (pat | ((pat & 0x0202020202020202ULL) << 1)) == pat;
}

/* MTRR memory types: UC, WC, WT, WP, WB (SDM Vol. 3A 12.11.4). */
static bool kvmx_mtrr_type_valid(u8 t)
{
	return t < 8 && (BIT(t) & 0x73);
}

static bool kvmx_mtrr_valid(u32 index, u64 data)
{
	u64 phys_rsvd = ~0ULL << boot_cpu_data.x86_phys_bits;
	int i;

	if (index == MSR_MTRRdefType)
		return !(data & ~0xcffULL) && kvmx_mtrr_type_valid(data & 0xff);
	if (index >= MSR_MTRRfix64K_00000 && index <= MSR_MTRRfix4K_F8000) {
		for (i = 0; i < 8; i++)
			if (!kvmx_mtrr_type_valid((data >> (i * 8)) & 0xff))
				return false;
		return true;
	}
	/* variable ranges: base has type + address, mask has V + address */
	if ((index - KVMX_MTRR_VAR_BASE) & 1)
		return !(data & (phys_rsvd | 0x7ff));
	return !(data & (phys_rsvd | 0xf00)) &&
	       kvmx_mtrr_type_valid(data & 0xff);
}

/* The slot of an MTRR in vcpu->msrs, or NULL. */
static u64 *kvmx_mtrr_slot(struct kvmx_vcpu *vcpu, u32 index)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;

	switch (index) {
	case MSR_MTRRdefType:
		return &m->mtrr_def_type;
	case MSR_MTRRfix64K_00000:
		return &m->mtrr_fixed[0];
	case MSR_MTRRfix16K_80000:
	case MSR_MTRRfix16K_A0000:
		return &m->mtrr_fixed[1 + index - MSR_MTRRfix16K_80000];
	case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
		return &m->mtrr_fixed[3 + index - MSR_MTRRfix4K_C0000];
	}
	if (index >= KVMX_MTRR_VAR_BASE &&
	    index < (KVMX_MTRR_VAR_BASE + 2 * KVMX_NR_VAR_MTRR))
		return &m->mtrr_var[index - KVMX_MTRR_VAR_BASE];
	return NULL;
}

/* IA32_MCG_* and IA32_MCi_* (SDM Vol. 3B 16.3), as in-tree emulates them. */
static int kvmx_get_mce_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *data,
			    bool host)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;
	u32 nbanks = m->mcg_cap & 0xff;

	switch (index) {
	case MSR_IA32_MCG_CAP:
		*data = m->mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = m->mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(m->mcg_cap & MCG_CTL_P) && !host)
			return KVMX_MSR_GP;
		*data = m->mcg_ctl;
		return 0;
	}
	if (index >= MSR_IA32_MC0_CTL &&
	    index < MSR_IA32_MC0_CTL + 4 * nbanks) {
		u32 off = array_index_nospec(index - MSR_IA32_MC0_CTL,
					     4 * nbanks);

		*data = m->mce_banks[off];
		return 0;
	}
	return KVMX_MSR_UNKNOWN;
}

static int kvmx_set_mce_msr(struct kvmx_vcpu *vcpu, u32 index, u64 data,
			    bool host)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;
	u32 nbanks = m->mcg_cap & 0xff;
	u32 off;

	switch (index) {
	case MSR_IA32_MCG_CAP:
		/* read-only for the guest; the VMM uses KVM_X86_SETUP_MCE */
		if (!host)
			return KVMX_MSR_GP;
		if ((data & ~(KVMX_MCE_CAP_SUPPORTED | 0xff | 0xff0000)) ||
		    (data & 0xff) > KVMX_MCE_MAX_BANKS)
			return KVMX_MSR_GP;
		m->mcg_cap = data;
		return 0;
	case MSR_IA32_MCG_STATUS:
		m->mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(m->mcg_cap & MCG_CTL_P) && !host)
			return KVMX_MSR_GP;
		if (data != 0 && data != ~0ULL)
			return KVMX_MSR_GP;
		m->mcg_ctl = data;
		return 0;
	}
	if (index < MSR_IA32_MC0_CTL || index >= MSR_IA32_MC0_CTL + 4 * nbanks)
		return KVMX_MSR_UNKNOWN;
	off = array_index_nospec(index - MSR_IA32_MC0_CTL, 4 * nbanks);
	switch (off & 3) {
	case 0:
		/* MCi_CTL: all ones or zero (AMD lets bit 10 be clear) */
		if (data != 0 && (data | BIT_ULL(10)) != ~0ULL)
			return KVMX_MSR_GP;
		break;
	case 1:
		/* MCi_STATUS: only zero from the guest (in-tree's rule
		 * without MCG_STATUS-based permission) */
		if (!host && data)
			return KVMX_MSR_GP;
		break;
	}
	m->mce_banks[off] = data;
	return 0;
}

/* EFER by WRMSR: the guest's CPUID allows the bits; LMA is the CPU's. */
static int kvmx_set_efer_msr(struct kvmx_vcpu *vcpu, u64 data, bool host)
{
	u64 old = kvmx_backend->get_efer(vcpu);

	if (data & ~kvmx_efer_allowed(vcpu))
		return KVMX_MSR_GP;
	if (!host) {
		/* LME cannot change while paging is on (SDM Vol. 3A 9.8.5) */
		if ((kvmx_backend->get_cr(vcpu, 0) & X86_CR0_PG) &&
		    ((data ^ old) & EFER_LME))
			return KVMX_MSR_GP;
		data = (data & ~EFER_LMA) | (old & EFER_LMA);
	}
	kvmx_backend->set_efer(vcpu, data);
	return 0;
}

static int kvmx_get_seg_base(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			     u64 *data)
{
	struct kvm_segment s;

	kvmx_backend->get_segment(vcpu, &s, seg);
	*data = s.base;
	return 0;
}

static int kvmx_set_seg_base(struct kvmx_vcpu *vcpu, enum kvmx_seg seg,
			     u64 data)
{
	struct kvm_segment s;

	if (kvmx_noncanonical(vcpu, data))
		return KVMX_MSR_GP;
	kvmx_backend->get_segment(vcpu, &s, seg);
	s.base = data;
	kvmx_backend->set_segment(vcpu, &s, seg);
	return 0;
}

static bool kvmx_guest_has_spec_ctrl(struct kvmx_vcpu *vcpu)
{
	return KVMX_HAS(vcpu, 7, EDX, 26) ||		/* IBRS/IBPB */
	       KVMX_HAS(vcpu, 0x80000008, EBX, 14) ||	/* AMD IBRS */
	       KVMX_HAS(vcpu, 0x80000008, EBX, 24);	/* AMD SSBD */
}

static u64 kvmx_spec_ctrl_valid_bits(void)
{
	u64 bits = SPEC_CTRL_IBRS;

	if (boot_cpu_has(X86_FEATURE_STIBP))
		bits |= SPEC_CTRL_STIBP;
	if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD) ||
	    boot_cpu_has(X86_FEATURE_AMD_SSBD))
		bits |= SPEC_CTRL_SSBD;
	return bits;
}

static bool kvmx_host_has_spec_ctrl(void)
{
	return boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL);
}

/* Checks for the MSRs the backend holds; KVMX_MSR_* or 0. */
static int kvmx_check_backend_msr(struct kvmx_vcpu *vcpu, u32 index,
				  u64 *data, bool write, bool host)
{
	switch (index) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
		if (write && kvmx_noncanonical(vcpu, *data))
			return KVMX_MSR_GP;
		return 0;
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_SYSENTER_ESP:
		/* in-tree canonicalises rather than faulting (AMD keeps
		 * all 64 bits, Intel faults: neither is emulated) */
		if (write)
			*data = kvmx_canonicalize(vcpu, *data);
		return 0;
	case MSR_IA32_CR_PAT:
		if (write && !kvmx_pat_valid(*data))
			return KVMX_MSR_GP;
		return 0;
	case MSR_TSC_AUX:
		if (!boot_cpu_has(X86_FEATURE_RDTSCP))
			return KVMX_MSR_UNKNOWN;
		if (!host && !KVMX_HAS(vcpu, 0x80000001, EDX, 27) &&
		    !KVMX_HAS(vcpu, 7, ECX, 22))	/* RDTSCP, RDPID */
			return KVMX_MSR_GP;
		if (write && (*data >> 32)) {
			if (kvmx_guest_intel(vcpu))
				return KVMX_MSR_GP;
			*data = (u32)*data;
		}
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		/* no LBR/BTF virtualisation: only 0 is accepted, as in-tree
		 * does without those features */
		if (write && *data)
			return KVMX_MSR_GP;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		if (!kvmx_host_has_spec_ctrl())
			return KVMX_MSR_UNKNOWN;
		if (!host && !kvmx_guest_has_spec_ctrl(vcpu))
			return KVMX_MSR_GP;
		if (write && (*data & ~kvmx_spec_ctrl_valid_bits()))
			return KVMX_MSR_GP;
		return 0;
	}
	return 0;
}

static bool kvmx_is_backend_msr(u32 index)
{
	switch (index) {
#define KVMX_MSR_CASE(msr) case msr:
	KVMX_BACKEND_MSRS(KVMX_MSR_CASE)
#undef KVMX_MSR_CASE
		return true;
	}
	return false;
}

int kvmx_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *data, bool host)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;
	u64 *slot;
	int r;

	if (kvmx_is_backend_msr(index)) {
		r = kvmx_check_backend_msr(vcpu, index, data, false, host);
		if (r)
			return r;
		return kvmx_backend->get_msr(vcpu, index, data) ?
		       KVMX_MSR_UNKNOWN : 0;
	}

	switch (index) {
	case MSR_EFER:
		*data = kvmx_backend->get_efer(vcpu);
		return 0;
	case MSR_FS_BASE:
		return kvmx_get_seg_base(vcpu, KVMX_SEG_FS, data);
	case MSR_GS_BASE:
		return kvmx_get_seg_base(vcpu, KVMX_SEG_GS, data);
	case MSR_IA32_TSC:
		*data = rdtsc() + m->tsc_offset;
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!host && !KVMX_HAS(vcpu, 7, EBX, 1))
			return KVMX_MSR_GP;
		*data = m->tsc_adjust;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
	case KVMX_MSR_X2APIC_FIRST ... KVMX_MSR_X2APIC_LAST:
		return kvmx_apic_get_msr(vcpu, index, data);
	case MSR_IA32_MISC_ENABLE:
		*data = m->misc_enable;
		return 0;
	case MSR_MTRRcap:
		*data = KVMX_MTRRCAP_VALUE;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = KVMX_UCODE_REV;
		return 0;
	case MSR_IA32_PRED_CMD:
		/* write-only */
		return KVMX_MSR_GP;
	}
	slot = kvmx_mtrr_slot(vcpu, index);
	if (slot) {
		*data = *slot;
		return 0;
	}
	return kvmx_get_mce_msr(vcpu, index, data, host);
}

int kvmx_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 data, bool host)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;
	u64 *slot;
	int r;

	if (kvmx_is_backend_msr(index)) {
		r = kvmx_check_backend_msr(vcpu, index, &data, true, host);
		if (r)
			return r;
		return kvmx_backend->set_msr(vcpu, index, data) ?
		       KVMX_MSR_UNKNOWN : 0;
	}

	switch (index) {
	case MSR_EFER:
		return kvmx_set_efer_msr(vcpu, data, host);
	case MSR_FS_BASE:
		return kvmx_set_seg_base(vcpu, KVMX_SEG_FS, data);
	case MSR_GS_BASE:
		return kvmx_set_seg_base(vcpu, KVMX_SEG_GS, data);
	case MSR_IA32_TSC: {
		u64 offset = data - rdtsc();

		/* a guest's write moves TSC_ADJUST along (SDM 17.17.3) */
		if (!host)
			m->tsc_adjust += offset - m->tsc_offset;
		kvmx_set_tsc_offset(vcpu, offset);
		return 0;
	}
	case MSR_IA32_TSC_ADJUST:
		if (!host) {
			if (!KVMX_HAS(vcpu, 7, EBX, 1))
				return KVMX_MSR_GP;
			kvmx_set_tsc_offset(vcpu, m->tsc_offset +
					    (data - m->tsc_adjust));
		}
		m->tsc_adjust = data;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
	case KVMX_MSR_X2APIC_FIRST ... KVMX_MSR_X2APIC_LAST:
		return kvmx_apic_set_msr(vcpu, index, data);
	case MSR_IA32_APICBASE:
		if (vcpu->apic)
			return kvmx_apic_set_base(vcpu, data, host);
		if (data & (0x2ffULL | X2APIC_ENABLE |
			    (~0ULL << boot_cpu_data.x86_phys_bits)))
			return KVMX_MSR_GP;
		vcpu->apic_base = data;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		m->misc_enable = data;
		return 0;
	case MSR_MTRRcap:
		/* read-only; the VMM may write back the same value */
		return host && data == KVMX_MTRRCAP_VALUE ? 0 : KVMX_MSR_GP;
	case MSR_IA32_UCODE_REV:
		/* writes trigger a microcode update on hardware: ignored */
		return 0;
	case MSR_IA32_PRED_CMD:
		if (!boot_cpu_has(X86_FEATURE_IBPB))
			return KVMX_MSR_UNKNOWN;
		if (!host && !kvmx_guest_has_spec_ctrl(vcpu) &&
		    !KVMX_HAS(vcpu, 0x80000008, EBX, 12))
			return KVMX_MSR_GP;
		if (data & ~PRED_CMD_IBPB)
			return KVMX_MSR_GP;
		if (data)
			wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		return 0;
	}
	slot = kvmx_mtrr_slot(vcpu, index);
	if (slot) {
		if (!kvmx_mtrr_valid(index, data))
			return KVMX_MSR_GP;
		*slot = data;
		return 0;
	}
	return kvmx_set_mce_msr(vcpu, index, data, host);
}

/* ignore_msrs: an unknown MSR reads as 0 and swallows writes. */
static int kvmx_msr_unknown_policy(int r, u64 *data)
{
	if (r != KVMX_MSR_UNKNOWN || !ignore_msrs)
		return r;
	if (data)
		*data = 0;
	return 0;
}

int kvmx_get_msr_checked(struct kvmx_vcpu *vcpu, u32 index, u64 *data,
			 bool host)
{
	return kvmx_msr_unknown_policy(kvmx_get_msr(vcpu, index, data, host),
				       data);
}

int kvmx_set_msr_checked(struct kvmx_vcpu *vcpu, u32 index, u64 data,
			 bool host)
{
	return kvmx_msr_unknown_policy(kvmx_set_msr(vcpu, index, data, host),
				       NULL);
}

void kvmx_set_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset)
{
	vcpu->msrs.tsc_offset = offset;
	kvmx_backend->set_tsc_offset(vcpu, offset);
}

void kvmx_msrs_reset(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;
	u64 mcg_cap = m->mcg_cap;

	memset(m, 0, sizeof(*m));
	m->misc_enable = KVMX_MISC_ENABLE_RESET;
	/* the machine-check setup survives a reset, as in-tree */
	m->mcg_cap = mcg_cap ?: KVMX_MCE_MAX_BANKS;
	kvmx_set_tsc_offset(vcpu, vcpu->vm->tsc_offset);
}
