// SPDX-License-Identifier: GPL-2.0-only
/*
 * Object lifetimes: many vCPUs, many VMs created and destroyed in a loop,
 * fds closed in every order (a vCPU keeps its VM alive, a VM needs no
 * /dev/kvm fd), fds closed while a vCPU runs, and KVM fds used from a
 * forked child (refused with EIO: a VM belongs to the mm that made it).
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "kvmx_test.h"
#include "guest16.h"

REALMODE_CODE(just_hlt,
	"hlt\n\t");

REALMODE_CODE(spin_forever,
	"1: jmp 1b\n\t");

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

TEST(many_vcpus)
{
	int max = kvm_check_cap(KVM_CAP_MAX_VCPUS);
	int n = max < 64 ? max : 64, i;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, just_hlt_start,
					       just_hlt_end - just_hlt_start);

	for (i = 1; i < n; i++)
		vm_vcpu_add_realmode(vm, i);
	/* Run them in reverse order of creation. */
	for (i = n - 1; i >= 0; i--) {
		vcpu_run(vm->vcpus[i]);
		vcpu_assert_exit(vm->vcpus[i], KVM_EXIT_HLT);
	}
	kvm_vm_free(vm);
}

TEST(many_vms_in_a_loop)
{
	int i;

	for (i = 0; i < 100; i++) {
		struct kvm_vcpu *vcpu;
		struct kvm_vm *vm = vm_create_realmode(&vcpu, just_hlt_start,
						       just_hlt_end - just_hlt_start);

		vm_vcpu_add_realmode(vm, 1);
		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
		kvm_vm_free(vm);
	}
}

TEST(many_vms_alive_at_once)
{
	struct kvm_vm *vms[16];
	struct kvm_vcpu *vcpus[16];
	int i;

	for (i = 0; i < 16; i++)
		vms[i] = vm_create_realmode(&vcpus[i], just_hlt_start,
					    just_hlt_end - just_hlt_start);
	for (i = 0; i < 16; i++) {
		vcpu_run(vcpus[i]);
		vcpu_assert_exit(vcpus[i], KVM_EXIT_HLT);
	}
	/* Free in an order unrelated to creation. */
	for (i = 0; i < 16; i++)
		kvm_vm_free(vms[(i * 7) % 16]);
}

/* A vCPU fd keeps its VM alive: the vCPU still runs, memory included. */
TEST(vm_fd_closed_before_vcpu)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, just_hlt_start,
					       just_hlt_end - just_hlt_start);
	struct kvm_regs r;

	close(vm->fd);
	vm->fd = -1;
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ(1, r.rip);
	kvm_vm_free(vm);
}

/* /dev/kvm can go first; the VM does not need it. */
TEST(kvm_fd_closed_first)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(NULL, just_hlt_start,
					       just_hlt_end - just_hlt_start);

	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	vcpu = vm_vcpu_add_realmode(vm, 0);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

TEST(vcpu_fds_closed_first)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, just_hlt_start,
					       just_hlt_end - just_hlt_start);
	struct kvm_vcpu *v1 = vm_vcpu_add_realmode(vm, 1);

	vcpu_run(vcpu);
	vcpu_free(vcpu);
	vcpu_free(v1);
	/* The VM is still usable: more vCPUs, more memory. */
	vcpu = vm_vcpu_add_realmode(vm, 2);
	vm_add_memslot(vm, 1, 0x10000000, 0x100000, 0, NULL);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

/* Memory unmapped by the VMM while a slot still points at it. */
TEST(slot_memory_unmapped_before_vm)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, just_hlt_start,
					       just_hlt_end - just_hlt_start);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	munmap(vm->slots[0].hva, vm->slots[0].size);
	vm->slots[0].owned = false;
	kvm_vm_free(vm);
}

struct runner {
	struct kvm_vcpu *vcpu;
	int ret, err;
	volatile int started;
};

static void on_sigusr1(int sig)
{
}

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->started = 1;
	r->ret = ioctl(r->vcpu->fd, KVM_RUN, 0);
	r->err = errno;
	return NULL;
}

/* Closing the fds of a running vCPU: the run goes on until interrupted. */
TEST(fds_closed_while_running)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, spin_forever_start,
					       spin_forever_end - spin_forever_start);
	struct runner r = { .vcpu = vcpu };
	pthread_t t;
	int i, fd = vcpu->fd;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &r));
	while (!r.started)
		sleep_ms(1);
	sleep_ms(50);
	/* The thread's ioctl holds the file: closing only drops our fd. */
	close(vm->fd);
	vm->fd = -1;
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	close(fd);
	vcpu->fd = -1;
	for (i = 0; i < 200; i++) {
		sleep_ms(50);
		pthread_kill(t, SIGUSR1);
		if (pthread_tryjoin_np(t, NULL) == 0)
			break;
	}
	if (i == 200)
		pthread_join(t, NULL);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	kvm_vm_free(vm);
}

/* A VM belongs to the process that created it: a child gets EIO. */
TEST(forked_child_gets_eio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, just_hlt_start,
					       just_hlt_end - just_hlt_start);
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct kvm_regs r;
		int bad = 0, fd;

		if (ioctl(vcpu->fd, KVM_RUN, 0) != -1 || errno != EIO)
			bad |= 1;
		if (ioctl(vcpu->fd, KVM_GET_REGS, &r) != -1 || errno != EIO)
			bad |= 2;
		if (ioctl(vm->fd, KVM_CREATE_VCPU, 5) != -1 || errno != EIO)
			bad |= 4;
		if (ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000) != -1 ||
		    errno != EIO)
			bad |= 8;
		/* /dev/kvm itself is not tied to a process. */
		fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
		if (fd < 0)
			bad |= 16;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child's failures (bits): run 1, get_regs 2, create_vcpu 4, set_tss_addr 8, create_vm 16");
	/* The parent's VM is unaffected. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
