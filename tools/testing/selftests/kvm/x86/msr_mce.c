// SPDX-License-Identifier: GPL-2.0-only
/*
 * Machine-check architecture as KVM emulates it: the capabilities it
 * supports (KVM_X86_GET_MCE_CAP_SUPPORTED), a vCPU's MCG_CAP and bank
 * count (KVM_X86_SETUP_MCE), the MCG and MCi MSRs as the guest sees them
 * (SDM Vol. 3B 16.3: MCG_CTL only with MCG_CTL_P, MCi_CTL all zeros or
 * all ones, MCi_STATUS writable with zero only, banks past the count do
 * not exist), and errors injected with KVM_X86_SET_MCE: corrected errors
 * logged in the bank (OVER on a second one), uncorrected errors raising
 * #MC with CR4.MCE, a shutdown without it (SDM 16.7 / 6.15 "#MC").
 */
#include <stdlib.h>
#include <unistd.h>

#include "kvmx_test.h"

#define MCG_CTL_P	(1ULL << 8)
#define MCG_SER_P	(1ULL << 24)
#define MCG_STATUS_RIPV	(1ULL << 0)
#define MCG_STATUS_EIPV	(1ULL << 1)
#define MCG_STATUS_MCIP	(1ULL << 2)
#define MCI_STATUS_VAL	(1ULL << 63)
#define MCI_STATUS_OVER	(1ULL << 62)
#define MCI_STATUS_UC	(1ULL << 61)
#define MCI_STATUS_EN	(1ULL << 60)
#define MCI_STATUS_MISCV (1ULL << 59)
#define MCI_STATUS_ADDRV (1ULL << 58)
#define MCI_STATUS_PCC	(1ULL << 57)
#define KVM_MAX_MCE_BANKS 32
#define NR_BANKS	10

static uint64_t get_mce_cap_supported(void)
{
	uint64_t cap = 0;
	int fd = kvm_open();

	kvm_ioctl_ok(fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &cap);
	close(fd);
	return cap;
}

TEST(mce_cap_supported)
{
	uint64_t cap = get_mce_cap_supported();

	TH_LOG("KVM_X86_GET_MCE_CAP_SUPPORTED: 0x%lx", cap);
	EXPECT_TRUE(cap & MCG_CTL_P);
	EXPECT_TRUE(cap & MCG_SER_P);
	/* KVM_CAP_MCE answers the number of banks KVM can emulate. */
	EXPECT_EQ(KVM_MAX_MCE_BANKS, kvm_check_cap(KVM_CAP_MCE));
	/* No bank count in the supported capabilities. */
	EXPECT_EQ(0, cap & 0xff);
}

FIXTURE(mce) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(mce)
{
	self->vm = vm_create_op_guest(&self->vcpu);
}

FIXTURE_TEARDOWN(mce)
{
	kvm_vm_free(self->vm);
}

TEST_F(mce, setup_mce_validation)
{
	uint64_t cap;

	cap = 0;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_X86_SETUP_MCE, &cap));
	cap = KVM_MAX_MCE_BANKS + 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_X86_SETUP_MCE, &cap));
	cap = NR_BANKS | 1ULL << 63;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_X86_SETUP_MCE, &cap));
	cap = KVM_MAX_MCE_BANKS | MCG_CTL_P;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_X86_SETUP_MCE, &cap));
}

/* Before KVM_X86_SETUP_MCE: all of KVM's banks, no MCG_CTL. */
TEST_F(mce, default_mcg_cap)
{
	uint64_t v;

	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_IA32_MCG_CAP, &v));
	EXPECT_EQ(KVM_MAX_MCE_BANKS, v);
	EXPECT_EQ(GP_VECTOR, guest_op_rdmsr(self->vcpu, MSR_IA32_MCG_CTL, &v));
}

static void setup_mce(struct kvm_vcpu *vcpu, uint64_t cap)
{
	vcpu_ioctl(vcpu, KVM_X86_SETUP_MCE, &cap);
}

TEST_F(mce, guest_view_of_mce_msrs)
{
	const uint64_t cap = NR_BANKS | MCG_CTL_P;
	uint64_t v;

	setup_mce(self->vcpu, cap);
	EXPECT_EQ(cap, vcpu_get_msr(self->vcpu, MSR_IA32_MCG_CAP));
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_IA32_MCG_CAP, &v));
	EXPECT_EQ(cap, v);
	/* MCG_CAP is read-only. */
	EXPECT_EQ(GP_VECTOR, guest_op_wrmsr(self->vcpu, MSR_IA32_MCG_CAP, cap));
	/* MCG_CTL and MCi_CTL start all ones: every error reported. */
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_IA32_MCG_CTL, &v));
	EXPECT_EQ(~0ULL, v);
	EXPECT_EQ(GUEST_NO_EXCEPTION,
		  guest_op_rdmsr(self->vcpu, MSR_IA32_MCx_CTL(NR_BANKS - 1), &v));
	EXPECT_EQ(~0ULL, v);
	/* All zeros or all ones. */
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_wrmsr(self->vcpu, MSR_IA32_MCG_CTL, 0));
	EXPECT_EQ(0, vcpu_get_msr(self->vcpu, MSR_IA32_MCG_CTL));
	EXPECT_EQ(GP_VECTOR, guest_op_wrmsr(self->vcpu, MSR_IA32_MCG_CTL, 0x1));
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_wrmsr(self->vcpu, MSR_IA32_MCx_CTL(2), 0));
	EXPECT_EQ(GP_VECTOR, guest_op_wrmsr(self->vcpu, MSR_IA32_MCx_CTL(2), 0xf0));
	/* Status: zero only (no McStatusWrEn). */
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_wrmsr(self->vcpu, MSR_IA32_MCx_STATUS(1), 0));
	EXPECT_EQ(GP_VECTOR,
		  guest_op_wrmsr(self->vcpu, MSR_IA32_MCx_STATUS(1), MCI_STATUS_VAL));
	/* The host may write anything there (to restore state). */
	vcpu_set_msr(self->vcpu, MSR_IA32_MCx_STATUS(1), MCI_STATUS_VAL | 0x55);
	EXPECT_EQ(GUEST_NO_EXCEPTION,
		  guest_op_rdmsr(self->vcpu, MSR_IA32_MCx_STATUS(1), &v));
	EXPECT_EQ(MCI_STATUS_VAL | 0x55, v);
	/* No bank NR_BANKS. */
	EXPECT_EQ(GP_VECTOR,
		  guest_op_rdmsr(self->vcpu, MSR_IA32_MCx_CTL(NR_BANKS), &v));
	EXPECT_EQ(GP_VECTOR,
		  guest_op_rdmsr(self->vcpu, MSR_IA32_MCx_STATUS(NR_BANKS), &v));
}

TEST_F(mce, set_mce_validation)
{
	struct kvm_x86_mce m = { .status = MCI_STATUS_VAL, .bank = NR_BANKS };

	setup_mce(self->vcpu, NR_BANKS | MCG_CTL_P);
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_X86_SET_MCE, &m));
	m.bank = 0;
	m.status = 0x1234;	/* not valid */
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_X86_SET_MCE, &m));
}

TEST_F(mce, corrected_error_logged)
{
	const uint64_t st = MCI_STATUS_VAL | MCI_STATUS_EN | MCI_STATUS_ADDRV |
			    MCI_STATUS_MISCV | 0x0135;
	struct kvm_x86_mce m = { .status = st, .addr = 0x12345000,
				 .misc = 0x86, .bank = 3 };
	uint64_t v;

	setup_mce(self->vcpu, NR_BANKS | MCG_CTL_P);
	vcpu_ioctl(self->vcpu, KVM_X86_SET_MCE, &m);
	EXPECT_EQ(st, vcpu_get_msr(self->vcpu, MSR_IA32_MCx_STATUS(3)));
	EXPECT_EQ(0x12345000, vcpu_get_msr(self->vcpu, MSR_IA32_MCx_ADDR(3)));
	EXPECT_EQ(0x86, vcpu_get_msr(self->vcpu, MSR_IA32_MCx_MISC(3)));
	/* The guest sees it, and runs on: no #MC for a corrected error. */
	EXPECT_EQ(GUEST_NO_EXCEPTION,
		  guest_op_rdmsr(self->vcpu, MSR_IA32_MCx_STATUS(3), &v));
	EXPECT_EQ(st, v);
	/* A second one while the first is still valid: overflow. */
	m.addr = 0x6789a000;
	vcpu_ioctl(self->vcpu, KVM_X86_SET_MCE, &m);
	EXPECT_EQ(st | MCI_STATUS_OVER,
		  vcpu_get_msr(self->vcpu, MSR_IA32_MCx_STATUS(3)));
	EXPECT_EQ(0x6789a000, vcpu_get_msr(self->vcpu, MSR_IA32_MCx_ADDR(3)));
}

/* Guest data: what the #MC handler saw. */
static volatile uint64_t mc_count, mc_mcg_status, mc_bank_status;

static void guest_mc_handler(struct guest_exception_frame *f)
{
	mc_count++;
	mc_mcg_status = guest_rdmsr(MSR_IA32_MCG_STATUS);
	mc_bank_status = guest_rdmsr(MSR_IA32_MCx_STATUS(2));
	/* Done with it (SDM 16.7): clear MCIP. */
	guest_wrmsr(MSR_IA32_MCG_STATUS, 0);
}

static void set_cr4_mce(struct kvm_vcpu *vcpu, bool on)
{
	struct kvm_sregs s;

	vcpu_sregs_get(vcpu, &s);
	s.cr4 = on ? s.cr4 | X86_CR4_MCE : s.cr4 & ~X86_CR4_MCE;
	vcpu_sregs_set(vcpu, &s);
}

static const uint64_t uc_status = MCI_STATUS_VAL | MCI_STATUS_UC |
	MCI_STATUS_EN | MCI_STATUS_PCC | 0x0150;

TEST_F(mce, uncorrected_error_raises_mc)
{
	struct kvm_x86_mce m = { .status = uc_status, .bank = 2,
		.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_EIPV };
	struct guest_op_result res;

	setup_mce(self->vcpu, NR_BANKS | MCG_CTL_P);
	set_cr4_mce(self->vcpu, true);
	vm_install_exception_handler(self->vm, MC_VECTOR, guest_mc_handler);
	vcpu_ioctl(self->vcpu, KVM_X86_SET_MCE, &m);
	/* The #MC comes first, then the guest executes the request. */
	res = guest_op(self->vcpu, GOP_RDMSR, MSR_IA32_MCx_STATUS(2), 0);
	sync_global_from_guest(self->vm, mc_count);
	sync_global_from_guest(self->vm, mc_mcg_status);
	sync_global_from_guest(self->vm, mc_bank_status);
	EXPECT_EQ(1, mc_count);
	EXPECT_EQ(MCG_STATUS_MCIP | MCG_STATUS_EIPV, mc_mcg_status);
	EXPECT_EQ(uc_status, mc_bank_status);
	EXPECT_EQ(GUEST_NO_EXCEPTION, res.vector);
	EXPECT_EQ(uc_status, res.value);
}

/* Uncorrected error reporting disabled in the bank: nothing happens. */
TEST_F(mce, uncorrected_error_ignored_when_bank_disabled)
{
	struct kvm_x86_mce m = { .status = uc_status, .bank = 2,
		.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_EIPV };
	uint64_t v;

	setup_mce(self->vcpu, NR_BANKS | MCG_CTL_P);
	set_cr4_mce(self->vcpu, true);
	vm_install_exception_handler(self->vm, MC_VECTOR, guest_mc_handler);
	vcpu_set_msr(self->vcpu, MSR_IA32_MCx_CTL(2), 0);
	vcpu_ioctl(self->vcpu, KVM_X86_SET_MCE, &m);
	EXPECT_EQ(GUEST_NO_EXCEPTION,
		  guest_op_rdmsr(self->vcpu, MSR_IA32_MCx_STATUS(2), &v));
	EXPECT_EQ(0, v);
	sync_global_from_guest(self->vm, mc_count);
	EXPECT_EQ(0, mc_count);
}

/* Without CR4.MCE a machine check shuts the processor down. */
TEST_F(mce, uncorrected_error_without_cr4_mce_shuts_down)
{
	struct kvm_x86_mce m = { .status = uc_status, .bank = 2,
		.mcg_status = MCG_STATUS_MCIP | MCG_STATUS_EIPV };

	setup_mce(self->vcpu, NR_BANKS | MCG_CTL_P);
	set_cr4_mce(self->vcpu, false);
	vcpu_ioctl(self->vcpu, KVM_X86_SET_MCE, &m);
	guest_op_post(self->vcpu, GOP_RDTSC, 0, 0);
	vcpu_run(self->vcpu);
	vcpu_assert_exit(self->vcpu, KVM_EXIT_SHUTDOWN);
}

TEST_HARNESS_MAIN
