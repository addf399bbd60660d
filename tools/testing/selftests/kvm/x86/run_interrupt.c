// SPDX-License-Identifier: GPL-2.0-only
/*
 * Getting a vCPU out of KVM_RUN: kvm_run.immediate_exit (KVM_RUN returns
 * EINTR without entering the guest, but still completes a pending IN),
 * a signal sent to the vCPU thread while the guest spins (EINTR with
 * KVM_EXIT_INTR, and the vCPU resumes where it was), and
 * KVM_SET_SIGNAL_MASK (the mask in force during KVM_RUN).
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "kvmx_test.h"
#include "guest16.h"

/* Spins until the host sets the flag, then reports through port 0x50. */
REALMODE_CODE(spin,
	"spin_loop: cmpb $0, " REALMODE_ADDR(spin, spin_flag) "\n\t"
	"je spin_loop\n\t"
	"mov $0x77, %al\n\t"
	"out %al, $0x50\n\t"
	"hlt\n\t"
	".globl spin_flag\n"
	"spin_flag: .byte 0\n\t");
extern const unsigned char spin_flag[];

REALMODE_CODE(in_then_hlt,
	"xor %eax, %eax\n\t"
	"in $0x60, %ax\n\t"
	"hlt\n\t");

#define EXIT_SENTINEL 0x5a5a5a5a

TEST(immediate_exit_eintr)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, spin_start,
					       spin_end - spin_start);
	struct kvm_regs regs;

	vcpu->run->immediate_exit = 1;
	vcpu->run->exit_reason = EXIT_SENTINEL;
	EXPECT_ERRNO(EINTR, ioctl(vcpu->fd, KVM_RUN, 0));
	/* The guest did not run: RIP is still at the first instruction. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0, regs.rip);
	TH_LOG("exit_reason after immediate_exit: 0x%x", vcpu->run->exit_reason);
	/* KVM leaves exit_reason alone on this path (no KVM_EXIT_INTR). */
	EXPECT_EQ(EXIT_SENTINEL, vcpu->run->exit_reason);
	/* And again: it is level-triggered, not consumed. */
	EXPECT_ERRNO(EINTR, ioctl(vcpu->fd, KVM_RUN, 0));
	EXPECT_EQ(1, vcpu->run->immediate_exit);
	kvm_vm_free(vm);
}

/*
 * The way VMMs finish an instruction before saving state: after an IN
 * exit the data is written and KVM_RUN with immediate_exit completes the
 * IN (AX loaded, RIP past it) and returns EINTR before the guest runs on.
 */
TEST(immediate_exit_completes_pending_in)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, in_then_hlt_start,
					       in_then_hlt_end - in_then_hlt_start);
	struct kvm_regs before, after;
	uint16_t v = 0xbeef;

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_IN, 0x60, 2);
	vcpu_regs_get(vcpu, &before);
	memcpy(vcpu_io_data(vcpu), &v, 2);
	vcpu->run->immediate_exit = 1;
	EXPECT_ERRNO(EINTR, ioctl(vcpu->fd, KVM_RUN, 0));
	vcpu_regs_get(vcpu, &after);
	EXPECT_EQ(0xbeef, after.rax & 0xffff);
	/* "in $imm8, %ax" is 2 bytes; the HLT has not executed. */
	EXPECT_EQ(before.rip + 2, after.rip) TH_LOG("rip 0x%llx -> 0x%llx",
						    before.rip, after.rip);
	vcpu->run->immediate_exit = 0;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
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

static void install_sigusr1(void)
{
	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	struct sigaction sa = { .sa_handler = on_sigusr1, .sa_flags = 0 };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
}

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->started = 1;
	r->ret = ioctl(r->vcpu->fd, KVM_RUN, 0);
	r->err = errno;
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Keeps signalling the thread until KVM_RUN has returned: a signal that
 * lands just before the thread enters the ioctl would otherwise be lost.
 */
static void kick_until_done(pthread_t t, struct runner *r)
{
	int i;

	for (i = 0; i < 200; i++) {
		sleep_ms(50);
		pthread_kill(t, SIGUSR1);
		if (pthread_tryjoin_np(t, NULL) == 0)
			return;
	}
	pthread_join(t, NULL);
}

TEST(signal_interrupts_spinning_guest)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, spin_start,
					       spin_end - spin_start);
	uint8_t *flag = addr_gpa2hva(vm, REALMODE_BASE + (spin_flag - spin_start));
	struct runner r = { .vcpu = vcpu };
	struct kvm_regs regs;
	pthread_t t;

	install_sigusr1();
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &r));
	while (!r.started)
		sleep_ms(1);
	sleep_ms(100);	/* let it spin in the guest for a while */
	kick_until_done(t, &r);

	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason)
		TH_LOG("exit %s", exit_reason_str(vcpu->run->exit_reason));
	/* Stopped inside the loop (cmpb is 5 bytes, je 2). */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_LE(regs.rip, 7);

	/* Resume: the guest continues where it was and sees the flag. */
	*flag = 1;
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, 0x50, 1);
	EXPECT_EQ(0x77, *(uint8_t *)vcpu_io_data(vcpu));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

/* The same vCPU can be interrupted and resumed several times. */
TEST(signal_interrupt_repeatedly)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, spin_start,
					       spin_end - spin_start);
	uint8_t *flag = addr_gpa2hva(vm, REALMODE_BASE + (spin_flag - spin_start));
	int i;

	install_sigusr1();
	for (i = 0; i < 3; i++) {
		struct runner r = { .vcpu = vcpu };
		pthread_t t;

		ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &r));
		while (!r.started)
			sleep_ms(1);
		kick_until_done(t, &r);
		EXPECT_EQ(-1, r.ret);
		EXPECT_EQ(EINTR, r.err);
		EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	}
	*flag = 1;
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, 0x50, 1);
	kvm_vm_free(vm);
}

static int set_kvm_sigmask(struct kvm_vcpu *vcpu, const sigset_t *set)
{
	struct {
		struct kvm_signal_mask m;
		uint8_t bits[8];
	} arg;

	arg.m.len = 8;	/* the kernel's sigset_t */
	memcpy(arg.bits, set, 8);
	return ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &arg);
}

/*
 * QEMU's pattern: the thread blocks its kick signal and lets KVM unblock
 * it only during KVM_RUN.  A kick that is already pending makes KVM_RUN
 * return EINTR at once; it stays pending (blocked) afterwards.
 */
TEST(signal_mask_unblocks_during_run)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, spin_start,
					       spin_end - spin_start);
	sigset_t block, none, pending;

	install_sigusr1();
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &block, NULL));
	ASSERT_EQ(0, set_kvm_sigmask(vcpu, &none));
	raise(SIGUSR1);

	EXPECT_ERRNO(EINTR, ioctl(vcpu->fd, KVM_RUN, 0));
	EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	sigpending(&pending);
	EXPECT_TRUE(sigismember(&pending, SIGUSR1));
	kvm_vm_free(vm);
}

TEST(signal_mask_bad_length)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, spin_start,
					       spin_end - spin_start);
	struct {
		struct kvm_signal_mask m;
		uint8_t bits[16];
	} arg = { .m.len = 16 };

	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &arg));
	arg.m.len = 4;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, &arg));
	/* NULL clears the mask. */
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_SIGNAL_MASK, NULL));
	kvm_vm_free(vm);
}

/* KVM_RUN takes no argument. */
TEST(run_with_argument_einval)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, spin_start,
					       spin_end - spin_start);

	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_RUN, 1));
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
