// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel local APIC timer (SDM Vol. 3A 11.5.4), from guests that
 * take its interrupts through their IDT:
 *  - one-shot: one interrupt, not before the programmed time, then the
 *    current count stays 0; the current count falls while it runs;
 *  - periodic: the interrupts keep their rate (count vs. elapsed guest
 *    TSC over many periods, wide bounds); masking the LVT entry stops
 *    delivery while the count goes on, unmasking brings them back, an
 *    initial count of 0 stops the timer;
 *  - the divide configuration: the current count falls at 1/D of the
 *    divide-by-1 rate (rates against the guest TSC, compared with each
 *    other);
 *  - a masked LVT timer expiring sets nothing in the IRR;
 *  - the minimum period: a periodic initial count of 1 (1 ns on KVM's
 *    1 GHz APIC bus) is clamped by KVM (min_timer_period_us, 200 us by
 *    default), so the guest still runs and sees a bounded rate;
 *  - TSC-deadline mode (KVM_CAP_TSC_DEADLINE_TIMER; KVM_GET_SUPPORTED_CPUID
 *    of 6.1/6.12 does not list CPUID.1:ECX[24], the VMM sets it as
 *    api.rst says): not before the deadline, the MSR reads 0 after it,
 *    writing 0 disarms, a past deadline fires at once, TMICT is ignored.
 * Periods are milliseconds long so that a slow emulated host (QEMU TCG
 * running the L1 kernel) keeps up; "no interrupt" checks wait several
 * periods: on a loaded host they can only miss a bug, never fail a
 * correct KVM.  Saving and restoring a running timer is in lapic_state.
 */
#include "lapic.h"

#define TDCR_DIV1	0xb
#define TDCR_DIV2	0x0
#define TDCR_DIV16	0x3
#define TDCR_DIV128	0xa

#define PERIOD_NS	10000000	/* 10 ms at divide-by-1 */

/* Guest TSC cycles per millisecond (the host's KVM_GET_TSC_KHZ). */
static uint64_t tsc_per_ms;

static void guest_apic_on(void)
{
	xapic_write(APIC_SPIV, 0x1ff);
	xapic_write(APIC_TDCR, TDCR_DIV1);
}

/*
 * Takes @n interrupts of @vec in all with IF=1 while spinning (EOI after
 * each, also for one taken before the call), failing after @ms.
 */
static void guest_spin_irqs(unsigned int vec, uint64_t n, uint64_t ms)
{
	uint64_t t0 = guest_rdtsc();

	guest_sti();
	while (guest_lapic_irqs_all[vec] < n) {
		GUEST_ASSERT_MSG(guest_rdtsc() - t0 < ms * tsc_per_ms,
				 "vector 0x%x: %lu of %lu interrupts in %lu ms, TMCCT %u, IRR %u ISR %u",
				 vec, guest_lapic_irqs_all[vec], n, ms,
				 xapic_read(APIC_TMCCT),
				 xapic_vec_bit(APIC_IRR, vec),
				 xapic_vec_bit(APIC_ISR, vec));
		/* One may have come before the call: EOI by the ISR. */
		if (xapic_vec_bit(APIC_ISR, vec))
			xapic_write(APIC_EOI, 0);
		asm volatile("pause" ::: "memory");
	}
	xapic_write(APIC_EOI, 0);
}

/*
 * With IF=0, the interrupts of @vec so far including one that may already
 * be waiting in the IRR (it fired before the change the caller made).
 */
static uint64_t guest_count_with_irr(unsigned int vec)
{
	return guest_lapic_irqs_all[vec] + xapic_vec_bit(APIC_IRR, vec);
}

/* After @ms with IF=1: @expect interrupts of @vec in all, none pending. */
static void guest_expect_quiet(unsigned int vec, uint64_t expect,
			       uint64_t ms)
{
	guest_sti();
	guest_delay_tsc(ms * tsc_per_ms);
	guest_cli();
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[vec], expect);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, vec), 0);
	/* The one that was pending, if any, is still in service. */
	xapic_write(APIC_EOI, 0);
	guest_sti();
}

static void guest_oneshot(void)
{
	uint64_t t0, t1;
	uint32_t c0, c1;

	guest_apic_on();
	xapic_write(APIC_LVTT, 0x40);
	guest_cli();
	t0 = guest_rdtsc();
	xapic_write(APIC_TMICT, PERIOD_NS);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), PERIOD_NS);
	c0 = xapic_read(APIC_TMCCT);
	GUEST_ASSERT(c0 <= PERIOD_NS);
	guest_delay_tsc(tsc_per_ms / 2);
	c1 = xapic_read(APIC_TMCCT);
	/* Counting down (or already expired on a very slow host). */
	GUEST_ASSERT_MSG(c1 < c0, "current count %u then %u", c0, c1);
	guest_sti();
	guest_take_irqs(0x40, 1);
	t1 = guest_rdtsc();
	/* Not early: 10 ms, less 20% for the TSC frequency's rounding. */
	GUEST_ASSERT_MSG(t1 - t0 >= 8 * tsc_per_ms,
			 "one-shot after %lu TSC cycles, %lu per ms",
			 t1 - t0, tsc_per_ms);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), 0x40);
	/* One-shot: nothing in the next three periods. */
	guest_expect_quiet(0x40, 1, 30);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), PERIOD_NS);
}

static void guest_periodic_rate(void)
{
	const uint64_t n = 20;
	uint64_t t0, t1, periods, i;

	guest_apic_on();
	xapic_write(APIC_LVTT, APIC_LVT_PERIODIC | 0x41);
	xapic_write(APIC_TMICT, PERIOD_NS);
	guest_take_irqs(0x41, 1);
	t0 = guest_rdtsc();
	for (i = 0; i < n; i++)
		guest_take_irqs(0x41, 2 + i);
	t1 = guest_rdtsc();
	periods = (t1 - t0) / (tsc_per_ms * PERIOD_NS / 1000000);
	/*
	 * Never faster than the period (a tick may be lost on a loaded host,
	 * never gained), and not ten times slower (ticks lost to a starved
	 * host thread).
	 */
	GUEST_ASSERT_MSG(n <= periods + 2 && 10 * n + 10 >= periods,
			 "%lu interrupts in %lu periods (%lu TSC cycles)",
			 n, periods, t1 - t0);
	GUEST_ASSERT(xapic_read(APIC_TMCCT) <= PERIOD_NS);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), PERIOD_NS);
}

static void guest_periodic_mask(void)
{
	uint64_t n;

	guest_apic_on();
	xapic_write(APIC_LVTT, APIC_LVT_PERIODIC | 0x41);
	xapic_write(APIC_TMICT, PERIOD_NS);
	guest_take_irqs(0x41, 2);

	/* Masked: the timer keeps running but delivers nothing. */
	guest_cli();
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_LVT_PERIODIC | 0x41);
	n = guest_count_with_irr(0x41);
	guest_expect_quiet(0x41, n, 30);
	GUEST_ASSERT(xapic_read(APIC_TMCCT) <= PERIOD_NS);
	GUEST_ASSERT_NE(xapic_read(APIC_TMCCT), 0);
	/*
	 * Unmasked: the ticks come back.  (KVM delivers the tick that
	 * expired while masked at once, with IF=1 before the wait starts.)
	 */
	xapic_write(APIC_LVTT, APIC_LVT_PERIODIC | 0x41);
	guest_spin_irqs(0x41, n + 2, 5000);
	/* Rewriting the initial count restarts it: still periodic. */
	xapic_write(APIC_TMICT, PERIOD_NS);
	guest_spin_irqs(0x41, guest_lapic_irqs_all[0x41] + 2, 5000);

	/* Initial count 0 stops the timer. */
	guest_cli();
	xapic_write(APIC_TMICT, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);
	n = guest_count_with_irr(0x41);
	guest_expect_quiet(0x41, n, 30);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);
}

/*
 * A one-shot expiring while masked delivers nothing (SDM 11.5.1).  (When
 * KVM's timer fires on a slow host is its business: whether unmasking
 * soon after the count reached 0 still delivers is not checked.)
 */
static void guest_masked_oneshot(void)
{
	guest_apic_on();
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | 0x42);
	xapic_write(APIC_TMICT, PERIOD_NS / 10);
	guest_delay_tsc(30 * tsc_per_ms);
	guest_cli();
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x42), 0);
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x42], 0);
	guest_sti();
}

/*
 * Periodic with initial count 1 (1 ns): KVM clamps the period (its
 * min_timer_period_us, 200 us by default), so the host is not flooded and
 * the guest keeps running: with IF=0 it gets through 5 ms of TSC while
 * the ticks coalesce in the IRR, takes one interrupt once IF=1, and the
 * timer stops on command.  Ticks are not taken one by one at the clamped
 * rate: 5 kHz of injections livelocks a QEMU TCG host even on the
 * reference.
 */
static void guest_min_period(void)
{
	uint64_t n;

	guest_apic_on();
	guest_cli();
	xapic_write(APIC_LVTT, APIC_LVT_PERIODIC | 0x43);
	xapic_write(APIC_TMICT, 1);
	guest_delay_tsc(5 * tsc_per_ms);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x43), 1);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), 1);
	xapic_write(APIC_TMICT, 0);
	guest_wait_irq(0x43, 1);
	guest_cli();
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x43], 1);
	xapic_write(APIC_EOI, 0);
	n = guest_count_with_irr(0x43);
	guest_expect_quiet(0x43, n, 10);
}

/* Counts per million TSC cycles at divide setting @tdcr, masked one-shot. */
static uint64_t guest_count_rate(uint32_t tdcr)
{
	uint64_t t0, t1;
	uint32_t c0, c1;

	xapic_write(APIC_TDCR, tdcr);
	xapic_write(APIC_TMICT, 0xffffffff);
	t0 = guest_rdtsc();
	c0 = xapic_read(APIC_TMCCT);
	guest_delay_tsc(20 * tsc_per_ms);
	c1 = xapic_read(APIC_TMCCT);
	t1 = guest_rdtsc();
	GUEST_ASSERT_EQ(xapic_read(APIC_TDCR), tdcr);
	GUEST_ASSERT_MSG(c1 < c0, "div %x: count %u then %u", tdcr, c0, c1);
	xapic_write(APIC_TMICT, 0);
	return (uint64_t)(c0 - c1) * 1000000 / (t1 - t0);
}

static void guest_divide(void)
{
	static const struct { uint32_t tdcr, div; } d[] = {
		{ TDCR_DIV2, 2 }, { TDCR_DIV16, 16 }, { TDCR_DIV128, 128 },
	};
	uint64_t r1, r;
	unsigned int i;

	guest_apic_on();
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | 0x44);
	r1 = guest_count_rate(TDCR_DIV1);
	/*
	 * KVM's APIC bus runs at 1 GHz: 1e6 counts per ms at div 1, so
	 * r1 * tsc_per_ms is about 1e12 (loosely: this is the wall clock).
	 */
	GUEST_ASSERT_MSG(r1 * tsc_per_ms >= 500000000000ULL &&
			 r1 * tsc_per_ms <= 2000000000000ULL,
			 "div 1: %lu counts per 1e6 TSC cycles, %lu cycles/ms",
			 r1, tsc_per_ms);
	for (i = 0; i < ARRAY_SIZE(d); i++) {
		r = guest_count_rate(d[i].tdcr);
		/* r1 / r within 25% of the divisor. */
		GUEST_ASSERT_MSG(4 * r1 >= 3 * d[i].div * r &&
				 4 * r1 <= 5 * d[i].div * r,
				 "div %u: rate %lu vs %lu at div 1", d[i].div,
				 r, r1);
	}
	/* A divided one-shot still fires: 1 ms at divide-by-16. */
	xapic_write(APIC_TDCR, TDCR_DIV16);
	xapic_write(APIC_LVTT, 0x44);
	xapic_write(APIC_TMICT, 1000000 / 16);
	guest_take_irqs(0x44, 1);
}

static void guest_tsc_deadline(void)
{
	uint32_t a, b, c, d;
	uint64_t dl, t;

	guest_cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(c & (1U << 24));
	guest_apic_on();
	xapic_write(APIC_LVTT, APIC_LVT_TSCDEADLINE | 0x45);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_TSCDEADLINE | 0x45);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_TSC_DEADLINE), 0);
	/* TMICT is ignored in TSC-deadline mode (SDM 11.5.4.1). */
	xapic_write(APIC_TMICT, 1000);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);

	/* Spin with IF=1: the first TSC read after the interrupt. */
	dl = guest_rdtsc() + 5 * tsc_per_ms;
	guest_wrmsr(MSR_IA32_TSC_DEADLINE, dl);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_TSC_DEADLINE), dl);
	while (!guest_lapic_irqs_all[0x45])
		asm volatile("pause" ::: "memory");
	t = guest_rdtsc();
	xapic_write(APIC_EOI, 0);
	GUEST_ASSERT_MSG(t >= dl, "interrupt seen at %lu, deadline %lu",
			 t, dl);
	/* Fired: the deadline reads 0 again. */
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_TSC_DEADLINE), 0);

	/* HLT until the deadline. */
	dl = guest_rdtsc() + 5 * tsc_per_ms;
	guest_wrmsr(MSR_IA32_TSC_DEADLINE, dl);
	guest_take_irqs(0x45, 2);
	GUEST_ASSERT(guest_rdtsc() >= dl);

	/* Writing 0 disarms. */
	guest_cli();
	guest_wrmsr(MSR_IA32_TSC_DEADLINE, guest_rdtsc() + tsc_per_ms);
	guest_wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_TSC_DEADLINE), 0);
	guest_expect_quiet(0x45, guest_count_with_irr(0x45), 10);

	/* A deadline already passed fires at once. */
	guest_wrmsr(MSR_IA32_TSC_DEADLINE, guest_rdtsc() - 1000);
	guest_take_irqs(0x45, 3);

	/* Masked: expires, but no interrupt. */
	guest_cli();
	xapic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_LVT_TSCDEADLINE | 0x45);
	guest_wrmsr(MSR_IA32_TSC_DEADLINE, guest_rdtsc() + tsc_per_ms);
	guest_expect_quiet(0x45, 3, 10);
}

static void run_timer_guest(struct __test_metadata *_metadata,
			    void (*guest)(void), bool tsc_deadline)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest, false);
	if (tsc_deadline) {
		struct kvm_cpuid2 *c = kvm_cpuid_dup(kvm_get_supported_cpuid(), 0);
		struct kvm_cpuid_entry2 *e = kvm_cpuid_find(c, 1, 0);

		ASSERT_NE(NULL, e);
		e->ecx |= 1U << 24;
		vcpu_set_cpuid(vcpu, c);
		free(c);
	}
	tsc_per_ms = vcpu_tsc_khz(vcpu);
	sync_global_to_guest(vm, tsc_per_ms);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST(oneshot)
{
	REQUIRE_IRQCHIP();
	run_timer_guest(_metadata, guest_oneshot, false);
}

TEST(periodic_rate)
{
	REQUIRE_IRQCHIP();
	run_timer_guest(_metadata, guest_periodic_rate, false);
}

TEST(periodic_mask_stop)
{
	REQUIRE_IRQCHIP();
	run_timer_guest(_metadata, guest_periodic_mask, false);
}

TEST(masked_oneshot)
{
	REQUIRE_IRQCHIP();
	run_timer_guest(_metadata, guest_masked_oneshot, false);
}

TEST(min_period_clamped)
{
	REQUIRE_IRQCHIP();
	run_timer_guest(_metadata, guest_min_period, false);
}

TEST(divide_config)
{
	REQUIRE_IRQCHIP();
	run_timer_guest(_metadata, guest_divide, false);
}

TEST(tsc_deadline)
{
	REQUIRE_IRQCHIP();
	if (kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER) <= 0)
		TEST_SKIP(return, "KVM_CAP_TSC_DEADLINE_TIMER not reported");
	run_timer_guest(_metadata, guest_tsc_deadline, true);
}

TEST_HARNESS_MAIN
