// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MSR side of the ioctl ABI: KVM_GET_MSR_INDEX_LIST (what a VMM saves
 * and restores), KVM_GET_MSR_FEATURE_INDEX_LIST and the system fd's
 * KVM_GET_MSRS, the vCPU's KVM_GET/SET_MSRS, and the machine-check
 * ioctls (KVM_X86_GET_MCE_CAP_SUPPORTED, KVM_X86_SETUP_MCE,
 * KVM_X86_SET_MCE).
 */
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/mce.h>
#include <asm/trapnr.h>
#include <asm/msr.h>
#include <kvmx/core_private.h>

/* At most this many entries per KVM_GET/SET_MSRS, as in-tree. */
#define KVMX_MAX_IO_MSRS	256

/* MSRs with state, in the order a VMM restores them safely. */
static const u32 kvmx_state_msrs[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_CR_PAT, MSR_IA32_TSC, MSR_TSC_AUX, MSR_IA32_SPEC_CTRL,
	MSR_IA32_TSC_ADJUST, MSR_IA32_TSC_DEADLINE, MSR_IA32_MISC_ENABLE, MSR_IA32_MCG_STATUS,
	MSR_IA32_MCG_CTL, MSR_IA32_UCODE_REV,
};

/* Feature MSRs readable from the system fd (KVM_GET_MSRS on /dev/kvm). */
static const u32 kvmx_feature_msrs[] = {
	MSR_IA32_UCODE_REV, MSR_IA32_ARCH_CAPABILITIES,
};

static u32 kvmx_msr_list[ARRAY_SIZE(kvmx_state_msrs)];
static u32 kvmx_msr_list_nr;

/* Drop the MSRs this host cannot back (TSC_AUX, SPEC_CTRL). */
void kvmx_msr_lists_init(void)
{
	unsigned int i;

	kvmx_msr_list_nr = 0;
	for (i = 0; i < ARRAY_SIZE(kvmx_state_msrs); i++) {
		u32 msr = kvmx_state_msrs[i];

		if (msr == MSR_TSC_AUX && !boot_cpu_has(X86_FEATURE_RDTSCP))
			continue;
		if (msr == MSR_IA32_SPEC_CTRL &&
		    !boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL))
			continue;
		kvmx_msr_list[kvmx_msr_list_nr++] = msr;
	}
}

static long kvmx_copy_msr_list(void __user *argp, const u32 *msrs, u32 nr)
{
	struct kvm_msr_list __user *ulist = argp;
	struct kvm_msr_list list;
	u32 room;

	if (copy_from_user(&list, ulist, sizeof(list)))
		return -EFAULT;
	room = list.nmsrs;
	/* the count is written back even when the buffer is too small */
	list.nmsrs = nr;
	if (copy_to_user(ulist, &list, sizeof(list)))
		return -EFAULT;
	if (room < nr)
		return -E2BIG;
	if (copy_to_user(ulist->indices, msrs, nr * sizeof(u32)))
		return -EFAULT;
	return 0;
}

long kvmx_get_msr_index_list(void __user *argp)
{
	return kvmx_copy_msr_list(argp, kvmx_msr_list, kvmx_msr_list_nr);
}

long kvmx_get_msr_feature_index_list(void __user *argp)
{
	return kvmx_copy_msr_list(argp, kvmx_feature_msrs,
				  ARRAY_SIZE(kvmx_feature_msrs));
}

/*
 * ARCH_CAPABILITIES as a guest may see it: the host's "not affected"
 * bits, which stay true in a guest, and nothing that promises a control.
 */
static u64 kvmx_arch_capabilities(void)
{
	u64 host = 0, keep = ARCH_CAP_RDCL_NO | ARCH_CAP_SSB_NO |
		   ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO |
		   ARCH_CAP_TAA_NO | ARCH_CAP_SKIP_VMENTRY_L1DFLUSH;

	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &host);
	return host & keep;
}

static int kvmx_get_feature_msr(u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_UCODE_REV:
		*data = 0x100000000ULL;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		*data = kvmx_arch_capabilities();
		return 0;
	}
	return KVMX_MSR_UNKNOWN;
}

/*
 * The common walk of KVM_GET/SET_MSRS: copy the header and entries in,
 * run do_msr on each until one fails, copy the entries back for a read;
 * return how many succeeded.
 */
static long kvmx_msrs_walk(void __user *argp, bool write,
			   int (*do_msr)(void *ctx, u32 index, u64 *data),
			   void *ctx)
{
	struct kvm_msrs __user *umsrs = argp;
	struct kvm_msr_entry *e;
	struct kvm_msrs hdr;
	long r;
	u32 i;

	if (copy_from_user(&hdr, umsrs, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= KVMX_MAX_IO_MSRS)
		return -E2BIG;
	e = memdup_user(umsrs->entries, hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++)
		if (do_msr(ctx, e[i].index, &e[i].data))
			break;
	r = i;
	if (!write && copy_to_user(umsrs->entries, e, hdr.nmsrs * sizeof(*e)))
		r = -EFAULT;
	kfree(e);
	return r;
}

static int kvmx_feature_msr_op(void *ctx, u32 index, u64 *data)
{
	return kvmx_get_feature_msr(index, data);
}

long kvmx_dev_get_msrs(void __user *argp)
{
	return kvmx_msrs_walk(argp, false, kvmx_feature_msr_op, NULL);
}

static int kvmx_vcpu_get_msr_op(void *vcpu, u32 index, u64 *data)
{
	return kvmx_get_msr_checked(vcpu, index, data, true);
}

static int kvmx_vcpu_set_msr_op(void *vcpu, u32 index, u64 *data)
{
	return kvmx_set_msr_checked(vcpu, index, *data, true);
}

long kvmx_vcpu_get_msrs(struct kvmx_vcpu *vcpu, void __user *argp)
{
	return kvmx_msrs_walk(argp, false, kvmx_vcpu_get_msr_op, vcpu);
}

long kvmx_vcpu_set_msrs(struct kvmx_vcpu *vcpu, void __user *argp)
{
	return kvmx_msrs_walk(argp, true, kvmx_vcpu_set_msr_op, vcpu);
}

long kvmx_get_mce_cap_supported(void __user *argp)
{
	u64 cap = MCG_CTL_P | MCG_SER_P;

	return copy_to_user(argp, &cap, sizeof(cap)) ? -EFAULT : 0;
}

/* KVM_X86_SETUP_MCE: bank count and capabilities of the guest's MCA. */
long kvmx_setup_mce(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;
	u32 nbanks, i;
	u64 cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	nbanks = cap & 0xff;
	if (!nbanks || nbanks > KVMX_MCE_MAX_BANKS)
		return -EINVAL;
	if (cap & ~(u64)(MCG_CTL_P | MCG_SER_P | 0xff | 0xff0000))
		return -EINVAL;
	m->mcg_cap = cap;
	/* reporting enabled everywhere, as firmware would leave it */
	if (cap & MCG_CTL_P)
		m->mcg_ctl = ~0ULL;
	for (i = 0; i < nbanks; i++)
		m->mce_banks[4 * i] = ~0ULL;
	return 0;
}

/*
 * KVM_X86_SET_MCE: log an error in a bank and, for an uncorrected one,
 * raise #MC (or shut down, when one is in progress or CR4.MCE is clear),
 * following SDM Vol. 3B 16.3 as in-tree does.
 */
long kvmx_set_mce(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvmx_vcpu_msrs *m = &vcpu->msrs;
	u32 nbanks = m->mcg_cap & 0xff;
	struct kvm_x86_mce mce;
	u64 *bank;

	if (copy_from_user(&mce, argp, sizeof(mce)))
		return -EFAULT;
	if (mce.bank >= nbanks || !(mce.status & MCI_STATUS_VAL))
		return -EINVAL;
	bank = &m->mce_banks[array_index_nospec(4 * mce.bank, 4 * nbanks)];

	if (mce.status & MCI_STATUS_UC) {
		/* reporting disabled: the error is dropped */
		if (((m->mcg_cap & MCG_CTL_P) && m->mcg_ctl != ~0ULL) ||
		    bank[0] != ~0ULL)
			return 0;
		if ((m->mcg_status & MCG_STATUS_MCIP) ||
		    !(kvmx_backend->get_cr(vcpu, 4) & X86_CR4_MCE)) {
			vcpu->ev.triple_fault = true;
			return 0;
		}
		if (bank[1] & MCI_STATUS_VAL)
			mce.status |= MCI_STATUS_OVER;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		m->mcg_status = mce.mcg_status;
		bank[1] = mce.status;
		kvmx_queue_exception(vcpu, X86_TRAP_MC, false, 0);
	} else if (!(bank[1] & MCI_STATUS_VAL) || !(bank[1] & MCI_STATUS_UC)) {
		if (bank[1] & MCI_STATUS_VAL)
			mce.status |= MCI_STATUS_OVER;
		bank[2] = mce.addr;
		bank[3] = mce.misc;
		bank[1] = mce.status;
	} else {
		bank[1] |= MCI_STATUS_OVER;
	}
	return 0;
}
