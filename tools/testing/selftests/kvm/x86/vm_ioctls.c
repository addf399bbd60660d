// SPDX-License-Identifier: GPL-2.0-only
/*
 * x86 VM ioctls around real-mode support: KVM_SET_TSS_ADDR (the address
 * must leave room for the 3-page TSS below 4 GiB) and
 * KVM_SET_IDENTITY_MAP_ADDR (only before the first vCPU exists).
 */
#include <unistd.h>

#include "kvmx_test.h"

FIXTURE(vm) {
	int kvm, vm;
};

FIXTURE_SETUP(vm)
{
	self->kvm = kvm_open();
	self->vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(self->vm, 0);
}

FIXTURE_TEARDOWN(vm)
{
	close(self->vm);
	close(self->kvm);
}

TEST_F(vm, set_tss_addr)
{
	EXPECT_EQ(0, ioctl(self->vm, KVM_SET_TSS_ADDR, 0xfffbd000UL));
}

/* The 3 pages must fit below 4 GiB: 0xfffff000 - 2 pages is the last. */
TEST_F(vm, set_tss_addr_limit)
{
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_SET_TSS_ADDR, 0xffffe000UL));
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_SET_TSS_ADDR, 0xfffff000UL));
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_SET_TSS_ADDR, 0x100000000UL));
	EXPECT_EQ(0, ioctl(self->vm, KVM_SET_TSS_ADDR, 0xffffd000UL));
}

TEST_F(vm, set_identity_map_addr_before_vcpus)
{
	uint64_t addr = 0xfeffc000;

	EXPECT_EQ(0, ioctl(self->vm, KVM_SET_IDENTITY_MAP_ADDR, &addr));
}

TEST_F(vm, set_identity_map_addr_after_vcpu)
{
	uint64_t addr = 0xfeffc000;
	int vcpu = ioctl(self->vm, KVM_CREATE_VCPU, 0);

	ASSERT_GE(vcpu, 0);
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_SET_IDENTITY_MAP_ADDR, &addr));
	/* Even once the vCPU's fd is gone: the vCPU still exists. */
	close(vcpu);
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_SET_IDENTITY_MAP_ADDR, &addr));
}

TEST_F(vm, set_identity_map_addr_bad_pointer)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_SET_IDENTITY_MAP_ADDR, NULL));
}

TEST_F(vm, unknown_vm_ioctl_enotty)
{
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, _IO(KVMIO, 0x3f), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(self->vm, _IO(KVMIO, 0xff), 0));
}

TEST_F(vm, bad_pointers_efault)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vm, KVM_SET_USER_MEMORY_REGION,
				   (void *)8));
}

TEST_HARNESS_MAIN
