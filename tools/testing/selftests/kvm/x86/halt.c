// SPDX-License-Identifier: GPL-2.0-only
/*
 * HLT with the in-kernel irqchip: KVM keeps the vCPU in the kernel
 * (KVM_RUN does not return, there is no KVM_EXIT_HLT) until something can
 * wake it (SDM Vol. 2A HLT: an enabled interrupt, NMI, SMI, INIT and
 * others):
 *  - the LAPIC timer, not before it expires;
 *  - KVM_IRQ_LINE on an IOAPIC pin the guest routed to itself;
 *  - KVM_SIGNAL_MSI (fixed delivery);
 *  - a signal to the vCPU thread ends KVM_RUN with EINTR and
 *    KVM_EXIT_INTR while the vCPU stays KVM_MP_STATE_HALTED; the next
 *    KVM_RUN halts again until an interrupt comes;
 *  - with IF=0 a maskable interrupt does not end HLT (it waits in the
 *    IRR), an NMI (KVM_SIGNAL_MSI, NMI delivery mode) does.
 * The vCPU runs on a thread of its own; the host watches it from the
 * outside: "still in KVM_RUN after 300 ms" shows blocking in the kernel.
 * The guest installs its own IDT handlers (lapic_irq.h).
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "lapic.h"
#include "lapic_irq.h"

#define IOAPIC_BASE	0xfec00000UL
#define IOAPIC_PIN	20	/* a GSI only the IOAPIC has (not the PICs) */
#define WAIT_MS		20000

enum { MODE_TIMER, MODE_IRQ_LINE, MODE_MSI, MODE_SIGNAL, MODE_IF0 };

static uint64_t tsc_per_ms;
/* Guest -> host: the guest is about to execute HLT (count). */
static volatile uint64_t about_to_halt;

static void guest_halt_until(unsigned int vec)
{
	guest_cli();
	while (!guest_lapic_irqs[0][vec]) {
		about_to_halt++;
		asm volatile("sti; hlt; cli" ::: "memory");
	}
	guest_sti();
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

static void guest_halt(uint64_t mode)
{
	uint64_t t0;

	xapic_write(APIC_SPIV, 0x1ff);
	switch (mode) {
	case MODE_TIMER:
		xapic_write(APIC_TDCR, 0xb);
		xapic_write(APIC_LVTT, 0x40);
		t0 = guest_rdtsc();
		xapic_write(APIC_TMICT, 20000000);	/* 20 ms */
		guest_halt_until(0x40);
		/* Less 25% for TSC frequency rounding. */
		GUEST_ASSERT_MSG(guest_rdtsc() - t0 >= 15 * tsc_per_ms,
				 "woken after %lu TSC cycles, %lu per ms",
				 guest_rdtsc() - t0, tsc_per_ms);
		GUEST_ASSERT_EQ(guest_lapic_irqs[0][0x40], 1);
		break;
	case MODE_IRQ_LINE:
		/* Edge, fixed, physical destination APIC 0 (IOAPIC 3.2.4). */
		ioapic_write(0x11 + 2 * IOAPIC_PIN, 0);
		ioapic_write(0x10 + 2 * IOAPIC_PIN, 0x50);
		guest_halt_until(0x50);
		break;
	case MODE_MSI:
		guest_halt_until(0x52);
		break;
	case MODE_SIGNAL:
		guest_halt_until(0x53);
		break;
	case MODE_IF0:
		guest_cli();
		about_to_halt++;
		asm volatile("hlt" ::: "memory");
		/* Only the NMI ended the HLT; 0x54 waits in the IRR. */
		GUEST_ASSERT_EQ(guest_lapic_irqs[0][LAPIC_NMI_VECTOR], 1);
		GUEST_ASSERT_EQ(guest_lapic_irqs[0][0x54], 0);
		GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x54), 1);
		guest_sti();
		GUEST_ASSERT_EQ(guest_lapic_irqs[0][0x54], 1);
		break;
	}
}

struct run_thread {
	struct kvm_vcpu *vcpu;
	pthread_t tid;
	volatile int eintr;	/* KVM_RUN ended by a signal */
	volatile int hold;	/* after an EINTR: wait for the host */
	volatile int bad_intr;	/* EINTR without KVM_EXIT_INTR */
	volatile int done;
	volatile uint64_t ucall;	/* the ucall that ended the run */
	struct ucall uc;
	int err;		/* another errno of KVM_RUN */
};

static void *run_fn(void *arg)
{
	struct run_thread *t = arg;

	for (;;) {
		int r = __vcpu_run(t->vcpu);

		if (r < 0 && errno == EINTR) {
			if (t->vcpu->run->exit_reason != KVM_EXIT_INTR)
				t->bad_intr++;
			__atomic_add_fetch(&t->eintr, 1, __ATOMIC_SEQ_CST);
			while (t->hold)
				usleep(1000);
			continue;
		}
		if (r < 0) {
			t->err = errno;
			break;
		}
		t->ucall = get_ucall(t->vcpu, &t->uc);
		if (t->ucall == UCALL_PRINTF) {
			fprintf(stderr, "# guest: %s\n", t->uc.msg);
			continue;
		}
		break;
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void on_sigusr1(int sig)
{
}

struct halt_ctx {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct run_thread t;
};

static void halt_start(struct __test_metadata *_metadata,
		       struct halt_ctx *c, uint64_t mode)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	c->vm = lapic_vm_create();
	c->vcpu = lapic_vcpu_add(c->vm, 0, (void (*)(void))guest_halt, false);
	vcpu_set_args(c->vcpu, 1, mode);
	tsc_per_ms = vcpu_tsc_khz(c->vcpu);
	sync_global_to_guest(c->vm, tsc_per_ms);
	guest_lapic_auto_eoi = 1;
	sync_global_to_guest(c->vm, guest_lapic_auto_eoi);
	memset(&c->t, 0, sizeof(c->t));
	c->t.vcpu = c->vcpu;
	ASSERT_EQ(0, pthread_create(&c->t.tid, NULL, run_fn, &c->t));
}

static uint64_t guest_halts(struct halt_ctx *c)
{
	return *(volatile uint64_t *)addr_gpa2hva(c->vm,
				(uint64_t)(uintptr_t)&about_to_halt);
}

/* Waits until the guest said it halts, then 300 ms: it must still be in. */
static void expect_blocked(struct __test_metadata *_metadata,
			   struct halt_ctx *c, uint64_t halts)
{
	int i;

	for (i = 0; i < WAIT_MS / 10 && guest_halts(c) < halts && !c->t.done; i++)
		sleep_ms(10);
	ASSERT_LE(halts, guest_halts(c)) TH_LOG("the guest never got to HLT");
	sleep_ms(300);
	ASSERT_EQ(0, c->t.done) TH_LOG("KVM_RUN returned: exit %s, ucall %s",
				       exit_reason_str(c->vcpu->run->exit_reason),
				       ucall_name(c->t.ucall));
}

/* Waits for the thread; the run must have ended with GUEST_DONE. */
static void halt_finish(struct __test_metadata *_metadata, struct halt_ctx *c)
{
	int i;

	for (i = 0; i < WAIT_MS / 10 && !c->t.done; i++)
		sleep_ms(10);
	ASSERT_EQ(1, c->t.done) TH_LOG("the vCPU did not wake up");
	pthread_join(c->t.tid, NULL);
	EXPECT_EQ(0, c->t.err);
	EXPECT_EQ(0, c->t.bad_intr);
	if (c->t.ucall == UCALL_ASSERT)
		TH_LOG("guest assertion: %s (line %lu)", c->t.uc.msg,
		       (unsigned long)c->t.uc.line);
	if (c->t.ucall == UCALL_NONE)
		vcpu_dump_exit(stderr, c->vcpu);
	EXPECT_EQ(UCALL_DONE, c->t.ucall) TH_LOG("got %s", ucall_name(c->t.ucall));
	kvm_vm_free(c->vm);
}

static void send_msi(struct __test_metadata *_metadata, struct kvm_vm *vm,
		     uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = APIC_DEFAULT_PHYS_BASE,	/* destination 0 */
		.data = data,
	};

	/* 1: delivered to one vCPU; 0 would be "blocked", <0 an error. */
	EXPECT_EQ(1, ioctl(vm->fd, KVM_SIGNAL_MSI, &msi));
}

FIXTURE(halt) {};
FIXTURE_SETUP(halt) {}
FIXTURE_TEARDOWN(halt) {}

TEST_F_TIMEOUT(halt, woken_by_timer, 60)
{
	struct halt_ctx c;

	REQUIRE_IRQCHIP();
	halt_start(_metadata, &c, MODE_TIMER);
	halt_finish(_metadata, &c);
}

TEST_F_TIMEOUT(halt, woken_by_irq_line, 60)
{
	struct kvm_irq_level l = { .irq = IOAPIC_PIN };
	struct halt_ctx c;

	REQUIRE_IRQCHIP();
	halt_start(_metadata, &c, MODE_IRQ_LINE);
	expect_blocked(_metadata, &c, 1);
	l.level = 1;
	ASSERT_EQ(0, ioctl(c.vm->fd, KVM_IRQ_LINE, &l));
	l.level = 0;
	ASSERT_EQ(0, ioctl(c.vm->fd, KVM_IRQ_LINE, &l));
	halt_finish(_metadata, &c);
}

TEST_F_TIMEOUT(halt, woken_by_msi, 60)
{
	struct halt_ctx c;

	REQUIRE_IRQCHIP();
	if (kvm_check_cap(KVM_CAP_SIGNAL_MSI) <= 0)
		TEST_SKIP(return, "KVM_CAP_SIGNAL_MSI not reported");
	halt_start(_metadata, &c, MODE_MSI);
	expect_blocked(_metadata, &c, 1);
	send_msi(_metadata, c.vm, 0x52);
	halt_finish(_metadata, &c);
}

TEST_F_TIMEOUT(halt, signal_while_halted, 60)
{
	struct kvm_mp_state mp;
	struct halt_ctx c;
	int i;

	REQUIRE_IRQCHIP();
	if (kvm_check_cap(KVM_CAP_SIGNAL_MSI) <= 0)
		TEST_SKIP(return, "KVM_CAP_SIGNAL_MSI not reported");
	halt_start(_metadata, &c, MODE_SIGNAL);
	expect_blocked(_metadata, &c, 1);
	c.t.hold = 1;
	for (i = 0; i < 100 && !c.t.eintr; i++) {
		pthread_kill(c.t.tid, SIGUSR1);
		sleep_ms(20);
	}
	ASSERT_LE(1, c.t.eintr);
	EXPECT_EQ(0, c.t.done);
	/* Out of KVM_RUN, still halted: nothing woke the vCPU. */
	vcpu_ioctl(c.vcpu, KVM_GET_MP_STATE, &mp);
	EXPECT_EQ(KVM_MP_STATE_HALTED, mp.mp_state);
	EXPECT_EQ(1, guest_halts(&c));
	c.t.hold = 0;
	/* Back in KVM_RUN: halted again, no exit. */
	sleep_ms(300);
	EXPECT_EQ(0, c.t.done);
	EXPECT_EQ(1, guest_halts(&c));
	send_msi(_metadata, c.vm, 0x53);
	halt_finish(_metadata, &c);
}

TEST_F_TIMEOUT(halt, if0_only_nmi_wakes, 60)
{
	struct kvm_mp_state mp;
	struct halt_ctx c;
	int i;

	REQUIRE_IRQCHIP();
	if (kvm_check_cap(KVM_CAP_SIGNAL_MSI) <= 0)
		TEST_SKIP(return, "KVM_CAP_SIGNAL_MSI not reported");
	halt_start(_metadata, &c, MODE_IF0);
	expect_blocked(_metadata, &c, 1);
	/* A fixed interrupt with IF=0: it stays halted. */
	send_msi(_metadata, c.vm, 0x54);
	sleep_ms(300);
	ASSERT_EQ(0, c.t.done);
	c.t.hold = 1;
	for (i = 0; i < 100 && !c.t.eintr; i++) {
		pthread_kill(c.t.tid, SIGUSR1);
		sleep_ms(20);
	}
	ASSERT_LE(1, c.t.eintr);
	vcpu_ioctl(c.vcpu, KVM_GET_MP_STATE, &mp);
	EXPECT_EQ(KVM_MP_STATE_HALTED, mp.mp_state);
	c.t.hold = 0;
	/* NMI delivery mode (MSI data bits 10:8 = 100b). */
	send_msi(_metadata, c.vm, 0x400);
	halt_finish(_metadata, &c);
}

TEST_HARNESS_MAIN
