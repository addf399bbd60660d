// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_CREATE_VCPU: ids, duplicates, the id limit (KVM_CAP_MAX_VCPU_ID),
 * the fd it returns, and the per-vCPU kvm_run mapping.
 */
#include <fcntl.h>
#include <sys/mman.h>
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

TEST_F(vm, id_0)
{
	int fd = ioctl(self->vm, KVM_CREATE_VCPU, 0);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

TEST_F(vm, duplicate_id_eexist)
{
	int fd = ioctl(self->vm, KVM_CREATE_VCPU, 0);

	ASSERT_GE(fd, 0);
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_CREATE_VCPU, 0));
	/* Still a duplicate after its fd is closed: the vCPU lives on. */
	close(fd);
	EXPECT_ERRNO(EEXIST, ioctl(self->vm, KVM_CREATE_VCPU, 0));
}

TEST_F(vm, ids_need_not_be_dense)
{
	int a = ioctl(self->vm, KVM_CREATE_VCPU, 5);
	int b = ioctl(self->vm, KVM_CREATE_VCPU, 2);
	int c = ioctl(self->vm, KVM_CREATE_VCPU, 100);

	EXPECT_GE(a, 0);
	EXPECT_GE(b, 0);
	EXPECT_GE(c, 0);
	close(a);
	close(b);
	close(c);
}

TEST_F(vm, id_limit)
{
	int max_id = ioctl(self->kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID);
	int fd;

	ASSERT_GT(max_id, 0);
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_CREATE_VCPU, max_id));
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_CREATE_VCPU, max_id + 1));
	EXPECT_ERRNO(EINVAL, ioctl(self->vm, KVM_CREATE_VCPU, 0xffffffffUL));
	/* The largest id below the limit is fine. */
	fd = ioctl(self->vm, KVM_CREATE_VCPU, max_id - 1);
	EXPECT_GE(fd, 0) TH_LOG("id %d: errno %d", max_id - 1, errno);
	if (fd >= 0)
		close(fd);
}

/* Each vCPU fd maps its own kvm_run. */
TEST_F(vm, separate_kvm_run_per_vcpu)
{
	size_t size = kvm_vcpu_mmap_size();
	int a = ioctl(self->vm, KVM_CREATE_VCPU, 0);
	int b = ioctl(self->vm, KVM_CREATE_VCPU, 1);
	struct kvm_run *ra, *rb;

	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ra = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	rb = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, b, 0);
	ASSERT_NE(MAP_FAILED, ra);
	ASSERT_NE(MAP_FAILED, rb);
	ra->immediate_exit = 1;
	EXPECT_EQ(0, rb->immediate_exit);
	munmap(ra, size);
	munmap(rb, size);
	close(a);
	close(b);
}

/* KVM_CREATE_VCPU on a VM of another process's making is refused. */
TEST_F(vm, create_vcpu_from_other_process_eio)
{
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int r = ioctl(self->vm, KVM_CREATE_VCPU, 0);

		_exit(r == -1 && errno == EIO ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child: KVM_CREATE_VCPU on the parent's VM did not fail with EIO");
}

TEST_HARNESS_MAIN
