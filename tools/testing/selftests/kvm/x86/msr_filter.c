// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSR accesses handed to userspace: KVM_CAP_X86_USER_SPACE_MSR turns a
 * guest RDMSR/WRMSR that KVM would answer with #GP into KVM_EXIT_X86_RDMSR
 * / KVM_EXIT_X86_WRMSR, for the reasons userspace enabled (an unknown MSR,
 * an invalid value, an MSR denied by KVM_X86_SET_MSR_FILTER).  Userspace
 * completes the access through run->msr: data for a read, error = 1 for a
 * #GP.  A filtered MSR without the exit enabled is a #GP.
 */
#include <stdlib.h>

#include "kvmx_test.h"

#define MSR_UNKNOWN	0xdeadbeef

FIXTURE(umsr) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(umsr)
{
	self->vm = vm_create_op_guest(&self->vcpu);
}

FIXTURE_TEARDOWN(umsr)
{
	kvm_vm_free(self->vm);
}

/*
 * Posts a guest RDMSR/WRMSR and runs until the exit to userspace, which
 * must be @exit_reason for @msr with @reason; returns the kvm_run.
 */
static struct kvm_run *run_to_msr_exit(struct __test_metadata *_metadata,
				       struct kvm_vcpu *vcpu, enum guest_op op,
				       uint32_t msr, uint64_t value,
				       uint32_t reason)
{
	struct kvm_run *run = vcpu->run;

	guest_op_post(vcpu, op, msr, value);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, op == GOP_RDMSR ? KVM_EXIT_X86_RDMSR
					       : KVM_EXIT_X86_WRMSR);
	EXPECT_EQ(msr, run->msr.index);
	EXPECT_EQ(reason, run->msr.reason);
	if (op == GOP_WRMSR) {
		EXPECT_EQ(value, run->msr.data);
	}
	return run;
}

/* Completes the exit with @error / @data; returns the guest's answer. */
static struct guest_op_result complete(struct kvm_vcpu *vcpu, uint8_t error,
				       uint64_t data)
{
	struct guest_op_result res;
	struct ucall uc;

	vcpu->run->msr.error = error;
	vcpu->run->msr.data = data;
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC &&
		    guest_op_answer(vcpu, &res), "no answer from the guest");
	return res;
}

/* Both just say "supported" (1), not the mask of reasons. */
TEST(capabilities)
{
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_X86_USER_SPACE_MSR));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_X86_MSR_FILTER));
}

TEST_F(umsr, enable_invalid_reasons)
{
	EXPECT_ERRNO(EINVAL, __vm_enable_cap(self->vm, KVM_CAP_X86_USER_SPACE_MSR,
					     1ULL << 3));
	EXPECT_ERRNO(EINVAL, __vm_enable_cap(self->vm, KVM_CAP_X86_USER_SPACE_MSR,
					     1ULL << 63));
}

TEST_F(umsr, unknown_msr_read_completed_by_userspace)
{
	struct guest_op_result res;

	vm_enable_cap(self->vm, KVM_CAP_X86_USER_SPACE_MSR,
		      KVM_MSR_EXIT_REASON_UNKNOWN);
	run_to_msr_exit(_metadata, self->vcpu, GOP_RDMSR, MSR_UNKNOWN, 0,
			KVM_MSR_EXIT_REASON_UNKNOWN);
	res = complete(self->vcpu, 0, 0x1122334455667788ULL);
	EXPECT_EQ(GUEST_NO_EXCEPTION, res.vector);
	EXPECT_EQ(0x1122334455667788ULL, res.value);
	/* error = 1: the guest gets #GP instead. */
	run_to_msr_exit(_metadata, self->vcpu, GOP_RDMSR, MSR_UNKNOWN, 0,
			KVM_MSR_EXIT_REASON_UNKNOWN);
	EXPECT_EQ(GP_VECTOR, complete(self->vcpu, 1, 0).vector);
}

TEST_F(umsr, unknown_msr_write_completed_by_userspace)
{
	vm_enable_cap(self->vm, KVM_CAP_X86_USER_SPACE_MSR,
		      KVM_MSR_EXIT_REASON_UNKNOWN);
	run_to_msr_exit(_metadata, self->vcpu, GOP_WRMSR, MSR_UNKNOWN,
			0xabcdef0012345678ULL, KVM_MSR_EXIT_REASON_UNKNOWN);
	EXPECT_EQ(GUEST_NO_EXCEPTION, complete(self->vcpu, 0, 0).vector);
	run_to_msr_exit(_metadata, self->vcpu, GOP_WRMSR, MSR_UNKNOWN, 5,
			KVM_MSR_EXIT_REASON_UNKNOWN);
	EXPECT_EQ(GP_VECTOR, complete(self->vcpu, 1, 0).vector);
}

/* Only the reasons asked for exit: known MSRs stay in the kernel. */
TEST_F(umsr, other_reasons_stay_in_kernel)
{
	uint64_t v;

	vm_enable_cap(self->vm, KVM_CAP_X86_USER_SPACE_MSR,
		      KVM_MSR_EXIT_REASON_FILTER);
	EXPECT_EQ(GP_VECTOR, guest_op_rdmsr(self->vcpu, MSR_UNKNOWN, &v));
	vcpu_set_msr(self->vcpu, MSR_STAR, 0x77);
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_STAR, &v));
	EXPECT_EQ(0x77, v);
}

/* A value KVM refuses (PAT type 2) goes to userspace with reason INVAL. */
TEST_F(umsr, invalid_value_exit)
{
	vm_enable_cap(self->vm, KVM_CAP_X86_USER_SPACE_MSR,
		      KVM_MSR_EXIT_REASON_INVAL);
	run_to_msr_exit(_metadata, self->vcpu, GOP_WRMSR, MSR_IA32_CR_PAT,
			0x0202020202020202ULL, KVM_MSR_EXIT_REASON_INVAL);
	EXPECT_EQ(GP_VECTOR, complete(self->vcpu, 1, 0).vector);
	EXPECT_EQ(PAT_RESET_VALUE, vcpu_get_msr(self->vcpu, MSR_IA32_CR_PAT));
}

/* A filter with one range of one MSR, @flags denied (bitmap bit clear). */
static int deny_one(struct kvm_vm *vm, uint32_t msr, uint32_t flags)
{
	static uint8_t deny_bitmap[8];
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges[0] = { .flags = flags, .nmsrs = 1, .base = msr,
			       .bitmap = deny_bitmap },
	};

	return ioctl(vm->fd, KVM_X86_SET_MSR_FILTER, &f);
}

TEST_F(umsr, filter_denied_read_is_gp)
{
	uint64_t v;

	ASSERT_EQ(0, deny_one(self->vm, MSR_STAR, KVM_MSR_FILTER_READ));
	vcpu_set_msr(self->vcpu, MSR_STAR, 0x1234);
	EXPECT_EQ(GP_VECTOR, guest_op_rdmsr(self->vcpu, MSR_STAR, &v));
	/* Writes are not filtered; the host's own accesses never are. */
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_wrmsr(self->vcpu, MSR_STAR, 0x5678));
	EXPECT_EQ(0x5678, vcpu_get_msr(self->vcpu, MSR_STAR));
}

TEST_F(umsr, filter_denied_goes_to_userspace)
{
	struct guest_op_result res;
	struct kvm_msr_filter empty;
	uint64_t v;

	vm_enable_cap(self->vm, KVM_CAP_X86_USER_SPACE_MSR,
		      KVM_MSR_EXIT_REASON_FILTER);
	ASSERT_EQ(0, deny_one(self->vm, MSR_IA32_SYSENTER_CS,
			      KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE));
	vcpu_set_msr(self->vcpu, MSR_IA32_SYSENTER_CS, 0x10);
	run_to_msr_exit(_metadata, self->vcpu, GOP_RDMSR, MSR_IA32_SYSENTER_CS,
			0, KVM_MSR_EXIT_REASON_FILTER);
	res = complete(self->vcpu, 0, 0x99);
	EXPECT_EQ(GUEST_NO_EXCEPTION, res.vector);
	EXPECT_EQ(0x99, res.value);
	run_to_msr_exit(_metadata, self->vcpu, GOP_WRMSR, MSR_IA32_SYSENTER_CS,
			0x33, KVM_MSR_EXIT_REASON_FILTER);
	EXPECT_EQ(GUEST_NO_EXCEPTION, complete(self->vcpu, 0, 0).vector);
	/* Userspace handled it: KVM's own copy did not change. */
	EXPECT_EQ(0x10, vcpu_get_msr(self->vcpu, MSR_IA32_SYSENTER_CS));

	/* An empty filter lets everything through again. */
	memset(&empty, 0, sizeof(empty));
	empty.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	ASSERT_EQ(0, ioctl(self->vm->fd, KVM_X86_SET_MSR_FILTER, &empty));
	EXPECT_EQ(GUEST_NO_EXCEPTION,
		  guest_op_rdmsr(self->vcpu, MSR_IA32_SYSENTER_CS, &v));
	EXPECT_EQ(0x10, v);
}

TEST_F(umsr, filter_invalid)
{
	static uint8_t bitmap[8];
	struct kvm_msr_filter f = { .flags = 1U << 5 };

	EXPECT_ERRNO(EINVAL, ioctl(self->vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* A range with bits of neither READ nor WRITE. */
	f.flags = 0;
	f.ranges[0] = (struct kvm_msr_filter_range){ .flags = 1U << 7,
		.nmsrs = 1, .base = MSR_STAR, .bitmap = bitmap };
	EXPECT_ERRNO(EINVAL, ioctl(self->vm->fd, KVM_X86_SET_MSR_FILTER, &f));
	/* A bitmap larger than KVM's maximum. */
	f.ranges[0].flags = KVM_MSR_FILTER_READ;
	f.ranges[0].nmsrs = KVM_MSR_FILTER_MAX_BITMAP_SIZE * 8 + 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vm->fd, KVM_X86_SET_MSR_FILTER, &f));
}

TEST_HARNESS_MAIN
