// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz-style negative tests of the interrupt controllers' state ABI:
 * KVM_SET_LAPIC, KVM_SET_IRQCHIP (PIC master, PIC slave, IOAPIC) and
 * KVM_SET_PIT2 with random contents and with one-field mutations of a
 * state the kernel gave, each followed (often) by a short KVM_RUN of a
 * guest that has interrupts enabled and halts, so that whatever timers
 * and pending interrupts the state left behind do fire.
 *
 * What must hold: every SET either succeeds or fails with a plain errno
 * (EINVAL, EFAULT), never a kernel-internal one; KVM_RUN comes back
 * (bounded by a timer signal: EINTR is fine) with a plain errno or an
 * exit; and after a restore of the good state the guest still runs to
 * its ucall.  The rig then checks the modules unload and the kernel log
 * is clean (no WARN, no oops, no leak).
 *
 * IRQFUZZ_SEED=<number> reproduces a run.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "kvmx_test.h"
#include "guest_irq.h"

#define ITERS		1000
#define RUN_EVERY	3	/* a fuzzed KVM_RUN after every so many SETs */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void seed(const char *name)
{
	const char *env = getenv("IRQFUZZ_SEED");
	uint64_t s = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);

	printf("# IRQFUZZ_SEED=%llu\n", (unsigned long long)s);
	rng = s;
	while (*name)
		rng = rng * 131 + (unsigned char)*name++;
}

/* Random bytes, or @good with one byte, bit or 32-bit word changed. */
static void fuzz_buf(void *buf, const void *good, size_t len)
{
	uint8_t *b = buf;
	size_t i;

	if (rnd() % 4 == 0) {
		for (i = 0; i < len; i++)
			b[i] = rnd();
		return;
	}
	memcpy(buf, good, len);
	switch (rnd() % 3) {
	case 0:
		b[rnd() % len] ^= 1u << (rnd() % 8);
		break;
	case 1:
		b[rnd() % len] = rnd();
		break;
	default:
		i = (rnd() % (len / 4)) * 4;
		memcpy(b + i, (uint32_t[]){ (uint32_t[]){ 0, 1, 0xff,
			0xffffffff, 0x80000000 }[rnd() % 5] }, 4);
		break;
	}
}

/* SET's answer: 0 or a plain errno, nothing else. */
#define EXPECT_PLAIN(r) do {						\
	int __r = (r), __e = errno;					\
	if (__r)							\
		EXPECT_TRUE(__r == -1 && (__e == EINVAL || __e == EFAULT)) \
			TH_LOG("r %d errno %d", __r, __e);		\
} while (0)

/* Enables the APIC and interrupts, then halts over and over. */
static void guest_code(void)
{
	*(volatile uint32_t *)(0xfee00000UL + 0xf0) = 0x1ff;
	GUEST_SYNC(1);
	for (;;)
		asm volatile("sti; hlt; cli" ::: "memory");
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/* A KVM_RUN bounded by a 20 ms timer: any exit or EINTR is fine. */
static void bounded_run(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu)
{
	struct itimerval t = { .it_value = { .tv_usec = 20000 } };
	int r, e;

	setitimer(ITIMER_REAL, &t, NULL);
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	e = errno;
	memset(&t, 0, sizeof(t));
	setitimer(ITIMER_REAL, &t, NULL);
	if (r)
		EXPECT_TRUE(e == EINTR || e == EINVAL || e == EFAULT ||
			    e == EAGAIN)
			TH_LOG("KVM_RUN: errno %d", e);
}

struct good_state {
	struct kvm_lapic_state lapic;
	struct kvm_irqchip chip[3];
	struct kvm_pit_state2 pit;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
};

static void save_good(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
		      struct good_state *g)
{
	int i;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &g->lapic);
	for (i = 0; i < 3; i++) {
		g->chip[i].chip_id = i;
		vm_ioctl(vm, KVM_GET_IRQCHIP, &g->chip[i]);
	}
	vm_ioctl(vm, KVM_GET_PIT2, &g->pit);
	vcpu_regs_get(vcpu, &g->regs);
	vcpu_sregs_get(vcpu, &g->sregs);
}

static void restore_good(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			 const struct good_state *g)
{
	int i;

	vcpu_sregs_set(vcpu, (struct kvm_sregs *)&g->sregs);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, (void *)&g->lapic);
	for (i = 0; i < 3; i++)
		vm_ioctl(vm, KVM_SET_IRQCHIP, (void *)&g->chip[i]);
	vm_ioctl(vm, KVM_SET_PIT2, (void *)&g->pit);
	vcpu_regs_set(vcpu, (struct kvm_regs *)&g->regs);
}

TEST(irqchip_state_fuzz)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct kvm_lapic_state lapic;
	struct kvm_pit_state2 pit2;
	struct kvm_irqchip chip;
	struct good_state *g;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int i, which;

	if (kvm_check_cap(KVM_CAP_IRQCHIP) <= 0 ||
	    kvm_check_cap(KVM_CAP_PIT2) <= 0)
		TEST_SKIP(return, "no in-kernel irqchip or PIT");
	seed(__func__);
	signal(SIGALRM, on_alarm);
	g = calloc(1, sizeof(*g));
	ASSERT_NE(NULL, g);

	vm = vm_create_guest(NULL, NULL);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vm_ioctl(vm, KVM_CREATE_PIT2, &pit);
	vcpu = vm_vcpu_add_guest(vm, 0, guest_code);
	vcpu_install_irq_handlers(vcpu);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	save_good(vm, vcpu, g);

	for (i = 0; i < ITERS; i++) {
		which = rnd() % 5;
		switch (which) {
		case 0:
			fuzz_buf(&lapic, &g->lapic, sizeof(lapic));
			EXPECT_PLAIN(ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic));
			break;
		case 1:
		case 2:
		case 3:
			fuzz_buf(&chip, &g->chip[which - 1], sizeof(chip));
			/* a valid chip id mostly, to get past that check */
			if (rnd() % 8)
				chip.chip_id = which - 1;
			EXPECT_PLAIN(ioctl(vm->fd, KVM_SET_IRQCHIP, &chip));
			break;
		default:
			fuzz_buf(&pit2, &g->pit, sizeof(pit2));
			EXPECT_PLAIN(ioctl(vm->fd, KVM_SET_PIT2, &pit2));
			break;
		}
		if (i % RUN_EVERY == 0)
			bounded_run(_metadata, vcpu);
		/* something for the interrupt controllers to chew on */
		if (rnd() % 4 == 0) {
			struct kvm_irq_level l = { .irq = rnd() % 24,
						   .level = rnd() & 1 };

			EXPECT_EQ(0, ioctl(vm->fd, KVM_IRQ_LINE, &l));
		}
		if (i % 16 == 15) {
			/* the good state still runs */
			restore_good(vm, vcpu, g);
			bounded_run(_metadata, vcpu);
		}
		if (!_metadata->passed)
			break;
	}
	restore_good(vm, vcpu, g);
	kvm_vm_free(vm);
	free(g);
}

TEST_HARNESS_MAIN
