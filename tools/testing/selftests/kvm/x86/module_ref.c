// SPDX-License-Identifier: GPL-2.0-only
/*
 * Module references: every KVM fd pins the vendor module (kvm_amd or
 * kvm_intel, named by $KVMX_VENDOR_MODULE), so it cannot be unloaded while
 * a VM lives, and everything is released when the fds go, including when
 * the owner is SIGKILLed in the middle of KVM_RUN.
 *
 * Only delete_module() on a module that must be busy is ever tried: an
 * unload that unexpectedly succeeded would break every later test.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvmx_test.h"
#include "guest16.h"

REALMODE_CODE(spin,
	"1: jmp 1b\n\t");

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The module's reference count, or -1 if it has none (built in, absent). */
static long module_refcnt(const char *mod)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mod);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Polls for up to @ms for the count to drop back to @want. */
static long wait_refcnt(const char *mod, long want, int ms)
{
	long v = module_refcnt(mod);

	while (v != want && ms > 0) {
		sleep_ms(20);
		ms -= 20;
		v = module_refcnt(mod);
	}
	return v;
}

#define REQUIRE_REFCNT(mod, base) do {					\
	base = module_refcnt(mod);					\
	if (base < 0)							\
		TEST_SKIP(return, "no /sys/module/%s/refcnt (module not loaded, or built in)", mod); \
} while (0)

TEST(vm_pins_vendor_module)
{
	const char *mod = vendor_module_name();
	long base, held;
	int kvm, vm;

	REQUIRE_REFCNT(mod, base);
	TH_LOG("%s refcnt baseline %ld", mod, base);
	kvm = kvm_open();
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_GE(vm, 0);
	close(kvm);
	/* Only the VM fd is left open: it alone must hold the module. */
	held = module_refcnt(mod);
	TH_LOG("with a VM open: %ld", held);
	ASSERT_GT(held, base);

	if (getuid() != 0)
		TEST_SKIP(goto out, "not root: delete_module not tried");
	errno = 0;
	ASSERT_EQ(-1, syscall(SYS_delete_module, mod, O_NONBLOCK))
		TH_LOG("%s was UNLOADED with a VM open", mod);
	EXPECT_EQ(EWOULDBLOCK, errno)
		TH_LOG("delete_module(%s): errno %d (%s)", mod, errno,
		       strerrorname_np(errno) ?: "?");
out:
	close(vm);
	EXPECT_EQ(base, wait_refcnt(mod, base, 5000));
}

TEST(kvm_fd_vcpu_fd_and_mapping_pin_module)
{
	const char *mod = vendor_module_name();
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_run *run;
	long base;
	int kvm;

	REQUIRE_REFCNT(mod, base);
	vm = vm_create_realmode(&vcpu, spin_start, spin_end - spin_start);
	run = vcpu->run;
	vcpu->run = NULL;	/* keep the mapping past kvm_vm_free() */
	kvm_vm_free(vm);
	/* The kvm_run mapping still references the vCPU file. */
	EXPECT_GT(module_refcnt(mod), base);
	munmap(run, kvm_vcpu_mmap_size());
	EXPECT_EQ(base, wait_refcnt(mod, base, 5000));

	/* A bare /dev/kvm fd pins it too. */
	kvm = kvm_open();
	EXPECT_GT(module_refcnt(mod), base);
	close(kvm);
	EXPECT_EQ(base, wait_refcnt(mod, base, 5000));
}

static void *spin_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;

	ioctl(vcpu->fd, KVM_RUN, 0);
	return NULL;
}

/*
 * A child with a VM, memory and @nr_vcpus vCPU threads all spinning in
 * KVM_RUN, SIGKILLed.  Afterwards the module holds no more references
 * than before and KVM still works.
 */
static void kill_running_child(struct __test_metadata *_metadata,
			       int nr_vcpus)
{
	const char *mod = vendor_module_name();
	long base = module_refcnt(mod);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int pipefd[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pthread_t t;
		int i;

		vm = vm_create_realmode(&vcpu, spin_start, spin_end - spin_start);
		vm_add_memslot(vm, 1, 0x10000000, 16 << 20, 0, NULL);
		for (i = 1; i < nr_vcpus; i++) {
			struct kvm_vcpu *v = vm_vcpu_add_realmode(vm, i);

			pthread_create(&t, NULL, spin_thread, v);
		}
		if (write(pipefd[1], "r", 1) != 1)
			_exit(2);
		ioctl(vcpu->fd, KVM_RUN, 0);
		_exit(1);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	close(pipefd[0]);
	sleep_ms(300);	/* well inside KVM_RUN by now */
	if (base >= 0) {
		EXPECT_GT(module_refcnt(mod), base);
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		TH_LOG("child status 0x%x", status);
	if (base >= 0) {
		long now = wait_refcnt(mod, base, 10000);

		EXPECT_EQ(base, now) TH_LOG("%s refcnt %ld, baseline %ld",
					    mod, now, base);
	} else {
		TH_LOG("no refcnt for %s: only checking that KVM still works", mod);
	}
	/* KVM is still in working order. */
	vm = vm_create_realmode(&vcpu, spin_start, spin_end - spin_start);
	vcpu->run->immediate_exit = 1;
	EXPECT_ERRNO(EINTR, ioctl(vcpu->fd, KVM_RUN, 0));
	kvm_vm_free(vm);
}

TEST(sigkill_in_kvm_run_releases_all)
{
	kill_running_child(_metadata, 1);
}

TEST(sigkill_with_4_running_vcpus_releases_all)
{
	kill_running_child(_metadata, 4);
}

TEST_HARNESS_MAIN
