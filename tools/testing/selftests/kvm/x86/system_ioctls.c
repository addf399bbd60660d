// SPDX-License-Identifier: GPL-2.0-only
/*
 * System ioctls on /dev/kvm: API version, VM creation and its type
 * argument, capabilities (on /dev/kvm and on a VM fd), the vCPU mmap size,
 * the MSR index list protocol (E2BIG and the count written back), the
 * supported CPUID protocol, and the error numbers of ioctls issued on the
 * wrong kind of fd.
 */
#include <fcntl.h>
#include <unistd.h>

#include "kvmx_test.h"

FIXTURE(kvm) {
	int kvm;
};

FIXTURE_SETUP(kvm)
{
	self->kvm = kvm_open();
}

FIXTURE_TEARDOWN(kvm)
{
	close(self->kvm);
}

TEST_F(kvm, api_version_is_12)
{
	EXPECT_EQ(12, ioctl(self->kvm, KVM_GET_API_VERSION, 0));
	EXPECT_EQ(KVM_API_VERSION, 12);
}

/* System ioctls without an argument reject a non-zero one. */
TEST_F(kvm, argless_ioctls_reject_arg)
{
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, KVM_GET_API_VERSION, 1));
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 1));
}

TEST_F(kvm, create_vm_type_0)
{
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);

	ASSERT_GE(vm, 0);
	/* VM fds are close-on-exec, like every KVM fd. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(vm, F_GETFD) & FD_CLOEXEC);
	close(vm);
}

TEST_F(kvm, create_vm_bad_type)
{
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, KVM_CREATE_VM, 0xdead));
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, KVM_CREATE_VM, -1L));
}

TEST_F(kvm, create_many_vms_from_one_fd)
{
	int vms[8], i;

	for (i = 0; i < 8; i++)
		ASSERT_GE(vms[i] = ioctl(self->kvm, KVM_CREATE_VM, 0), 0);
	for (i = 0; i < 8; i++)
		close(vms[i]);
}

struct cap_expect {
	long cap;
	const char *name;
	int min;	/* the value must be >= min */
	int exact;	/* ... and == exact if exact >= 0 */
};

#define CAP(c, min, exact) { KVM_CAP_##c, #c, min, exact }

static const struct cap_expect basic_caps[] = {
	CAP(USER_MEMORY, 1, 1),
	CAP(SET_TSS_ADDR, 1, 1),
	CAP(SET_IDENTITY_MAP_ADDR, 1, 1),
	CAP(IMMEDIATE_EXIT, 1, 1),
	CAP(CHECK_EXTENSION_VM, 1, 1),
	CAP(NR_VCPUS, 1, -1),
	CAP(MAX_VCPUS, 1, -1),
	CAP(MAX_VCPU_ID, 1, -1),
	CAP(NR_MEMSLOTS, 1, -1),
	CAP(DESTROY_MEMORY_REGION_WORKS, 1, 1),
	CAP(JOIN_MEMORY_REGIONS_WORKS, 1, 1),
	CAP(EXT_CPUID, 1, 1),
	CAP(READONLY_MEM, 1, 1),
};

TEST_F(kvm, basic_capabilities)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(basic_caps); i++) {
		const struct cap_expect *c = &basic_caps[i];
		int v = ioctl(self->kvm, KVM_CHECK_EXTENSION, c->cap);

		TH_LOG("KVM_CAP_%s = %d", c->name, v);
		EXPECT_GE(v, c->min) TH_LOG("KVM_CAP_%s", c->name);
		if (c->exact >= 0) {
			EXPECT_EQ(c->exact, v) TH_LOG("KVM_CAP_%s", c->name);
		}
	}
}

TEST_F(kvm, vcpu_limits_consistent)
{
	int nr = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	int max = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	int max_id = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);

	EXPECT_GT(nr, 0);
	EXPECT_LE(nr, max);
	EXPECT_GE(max_id, max);
}

TEST_F(kvm, unknown_capability_is_0)
{
	EXPECT_EQ(0, ioctl(self->kvm, KVM_CHECK_EXTENSION, 100000));
	EXPECT_EQ(0, ioctl(self->kvm, KVM_CHECK_EXTENSION, 0x7fffffffL));
	EXPECT_EQ(0, ioctl(self->kvm, KVM_CHECK_EXTENSION, -1L));
	/* Numbers of other architectures' capabilities. */
	EXPECT_EQ(0, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_S390_PSW));
	EXPECT_EQ(0, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_PPC_SEGSTATE));
	EXPECT_EQ(0, ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI));
}

/* KVM_CAP_CHECK_EXTENSION_VM: the VM fd answers like /dev/kvm does. */
TEST_F(kvm, capabilities_on_vm_fd)
{
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	unsigned int i;

	ASSERT_GE(vm, 0);
	for (i = 0; i < ARRAY_SIZE(basic_caps); i++) {
		const struct cap_expect *c = &basic_caps[i];

		EXPECT_EQ(ioctl(self->kvm, KVM_CHECK_EXTENSION, c->cap),
			  ioctl(vm, KVM_CHECK_EXTENSION, c->cap))
			TH_LOG("KVM_CAP_%s", c->name);
	}
	EXPECT_EQ(0, ioctl(vm, KVM_CHECK_EXTENSION, 100000));
	close(vm);
}

TEST_F(kvm, vcpu_mmap_size_is_3_pages)
{
	/* kvm_run, the PIO data page, the coalesced MMIO ring. */
	EXPECT_EQ(3 * PAGE_SIZE, ioctl(self->kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_EQ(1, KVM_PIO_PAGE_OFFSET);
	EXPECT_EQ(2, KVM_COALESCED_MMIO_PAGE_OFFSET);
}

TEST_F(kvm, msr_index_list)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	uint32_t n, i;
	bool tsc = false;

	EXPECT_ERRNO(E2BIG, ioctl(self->kvm, KVM_GET_MSR_INDEX_LIST, &probe));
	n = probe.nmsrs;
	ASSERT_GT(n, 0) TH_LOG("nmsrs not updated on E2BIG");
	TH_LOG("%u MSRs", n);

	list = calloc(1, sizeof(*list) + (n + 16) * sizeof(uint32_t));
	ASSERT_TRUE(list != NULL);

	/* One too few: E2BIG again, with the count written back. */
	list->nmsrs = n - 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->kvm, KVM_GET_MSR_INDEX_LIST, list));
	EXPECT_EQ(n, list->nmsrs);

	/* More room than needed: success, count set to the real one. */
	list->nmsrs = n + 16;
	ASSERT_EQ(0, ioctl(self->kvm, KVM_GET_MSR_INDEX_LIST, list));
	EXPECT_EQ(n, list->nmsrs);
	/* (EFER is not listed: VMMs save it with KVM_GET_SREGS.) */
	for (i = 0; i < list->nmsrs; i++)
		tsc |= list->indices[i] == MSR_IA32_TSC;
	EXPECT_TRUE(tsc) TH_LOG("IA32_TSC (0x10) not in the MSR index list");
	free(list);
}

TEST_F(kvm, msr_index_list_bad_pointer)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->kvm, KVM_GET_MSR_INDEX_LIST, NULL));
}

TEST_F(kvm, supported_cpuid)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));

	ASSERT_TRUE(c != NULL);
	c->nent = 0;
	EXPECT_ERRNO(E2BIG, ioctl(self->kvm, KVM_GET_SUPPORTED_CPUID, c));
	c->nent = 1;
	EXPECT_ERRNO(E2BIG, ioctl(self->kvm, KVM_GET_SUPPORTED_CPUID, c));
	c->nent = 256;
	ASSERT_EQ(0, ioctl(self->kvm, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_GT(c->nent, 1);
	EXPECT_LT(c->nent, 256);
	EXPECT_EQ(0, c->entries[0].function);
	free(c);
}

/*
 * An ioctl on the wrong kind of fd.  KVM's answers: /dev/kvm and vCPU
 * fds say EINVAL for what they do not know, VM fds say ENOTTY.
 */
TEST_F(kvm, ioctl_on_wrong_fd)
{
	int vm = ioctl(self->kvm, KVM_CREATE_VM, 0);
	int vcpu;
	struct kvm_regs regs;

	ASSERT_GE(vm, 0);
	ASSERT_GE(vcpu = ioctl(vm, KVM_CREATE_VCPU, 0), 0);

	/* VM ioctls on /dev/kvm. */
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, KVM_CREATE_VCPU, 0));
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, KVM_SET_TSS_ADDR, 0xfffbd000));
	/* vCPU ioctls on /dev/kvm and on the VM fd. */
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, KVM_RUN, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(vm, KVM_RUN, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(vm, KVM_GET_REGS, &regs));
	/* System and VM ioctls on the vCPU fd. */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu, KVM_CREATE_VM, 0));
	EXPECT_ERRNO(EINVAL, ioctl(vcpu, KVM_CREATE_VCPU, 1));
	EXPECT_ERRNO(EINVAL, ioctl(vcpu, KVM_GET_API_VERSION, 0));
	/* System ioctls on the VM fd (KVM_CHECK_EXTENSION is valid there). */
	EXPECT_ERRNO(ENOTTY, ioctl(vm, KVM_GET_API_VERSION, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(vm, KVM_CREATE_VM, 0));
	EXPECT_ERRNO(ENOTTY, ioctl(vm, KVM_GET_VCPU_MMAP_SIZE, 0));
	/* A non-KVM ioctl number on each fd. */
	EXPECT_ERRNO(EINVAL, ioctl(self->kvm, _IO(0x12, 0x34), 0));
	EXPECT_ERRNO(ENOTTY, ioctl(vm, _IO(0x12, 0x34), 0));
	EXPECT_ERRNO(EINVAL, ioctl(vcpu, _IO(0x12, 0x34), 0));
	close(vcpu);
	close(vm);
}

TEST_HARNESS_MAIN
