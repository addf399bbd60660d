// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the 8254 model (arch/x86/kvm/dev/pit.c): counts at given
 * times in every mode and RW mode, latch and read-back, status, BCD, the
 * gate through port 0x61, counter 0's IRQ0 edges over many periods with
 * late expire() calls under both reinjection policies, the minimum
 * period, state round trips (also mid-activity into a fresh model), the
 * PIT wired to the PIC as the glue will do it, and a fuzz loop.  Expected times are computed here independently, in 128-bit
 * arithmetic, from the 8254 datasheet's mode descriptions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "devtest.h"
#include "pic.h"
#include "pit.h"

#define F 1193182ULL
#define T0 5000000000ULL	/* the clock when the tests start */

struct pi_env {
	struct kvmx_pit pit;
	u64 now;
	bool armed;
	u64 deadline;
	unsigned int arms, cancels;
	int irq_level;
	unsigned int pulses;
	u64 last_pulse_at;
	bool ack_in_pulse;	/* ack from inside set_irq0 (AEOI-like) */
};

static void pi_set_irq0(void *o, int level)
{
	struct pi_env *e = o;

	if (level && !e->irq_level) {
		e->pulses++;
		e->last_pulse_at = e->now;
	}
	e->irq_level = level;
	if (!level && e->ack_in_pulse)
		kvmx_pit_irq0_acked(&e->pit);
}

static u64 pi_now(void *o)
{
	return ((struct pi_env *)o)->now;
}

static void pi_arm(void *o, u64 deadline)
{
	struct pi_env *e = o;

	e->armed = true;
	e->deadline = deadline;
	e->arms++;
}

static void pi_cancel(void *o)
{
	struct pi_env *e = o;

	e->armed = false;
	e->cancels++;
}

static const struct kvmx_pit_ops pi_ops = {
	.now_ns = pi_now,
	.arm = pi_arm,
	.cancel = pi_cancel,
	.set_irq0 = pi_set_irq0,
};

static void pi_init(struct pi_env *e)
{
	memset(e, 0, sizeof(*e));
	e->now = T0;
	kvmx_pit_init(&e->pit, &pi_ops, e);
}

/* The first ns at which @t ticks have passed since @base. */
static u64 at(u64 base, u64 t)
{
	return base + (u64)(((unsigned __int128)t * 1000000000ULL + F - 1) / F);
}

static void outb(struct pi_env *e, u16 port, u8 v)
{
	if (port == 0x61)
		kvmx_pit_speaker_write(&e->pit, v);
	else
		kvmx_pit_write(&e->pit, port, v);
}

static u8 inb(struct pi_env *e, u16 port)
{
	u8 v = 0x5a;

	if (port == 0x61)
		return kvmx_pit_speaker_read(&e->pit);
	kvmx_pit_read(&e->pit, port, &v);
	return v;
}

/* Counter latch command, then LSB and MSB (the counter in RW mode 3). */
static u16 latched(struct pi_env *e, unsigned int ch)
{
	u16 v;

	outb(e, 0x43, ch << 6);
	v = inb(e, 0x40 + ch);
	return v | inb(e, 0x40 + ch) << 8;
}

/* Read-back of the status byte of one counter. */
static u8 status(struct pi_env *e, unsigned int ch)
{
	outb(e, 0x43, 0xe0 | 2 << ch);
	return inb(e, 0x40 + ch);
}

/* Programs counter @ch in RW mode 3 with @mode and initial count @n. */
static void program(struct pi_env *e, unsigned int ch, unsigned int mode,
		    u32 n)
{
	outb(e, 0x43, ch << 6 | 0x30 | mode << 1);
	outb(e, 0x40 + ch, n & 0xff);
	outb(e, 0x40 + ch, n >> 8 & 0xff);
}

/* The glue's timer firing at e->now (it is no longer armed). */
static void fire(struct pi_env *e)
{
	e->armed = false;
	kvmx_pit_expire(&e->pit, e->now);
}

DEVTEST(pit_reset_state)
{
	struct pi_env env, *e = &env;
	struct kvm_pit_state2 s;
	unsigned int i;

	pi_init(e);
	kvmx_pit_get_state(&e->pit, &s);
	for (i = 0; i < 3; i++) {
		DEV_EXPECT_EQ(0xff, s.channels[i].mode);
		DEV_EXPECT_EQ(0x10000, s.channels[i].count);
		DEV_EXPECT_EQ(i != 2, s.channels[i].gate);
	}
	DEV_EXPECT_EQ(0, s.flags);
	DEV_EXPECT(!e->armed, "no IRQ0 before programming");
	DEV_EXPECT_EQ(-EOPNOTSUPP, kvmx_pit_write(&e->pit, 0x44, 0));
	DEV_EXPECT_EQ(0, inb(e, 0x43));
	DEV_EXPECT_EQ(-EINVAL, kvmx_pit_set_gate(&e->pit, 3, 1));
}

DEVTEST(pit_mode0_counts_and_irq)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	outb(e, 0x43, 0x30);	/* counter 0, LSB then MSB, mode 0 */
	DEV_EXPECT_EQ(0x40 | 0x30, status(e, 0));	/* OUT low, null */
	outb(e, 0x40, 0x00);
	outb(e, 0x40, 0x10);	/* N = 4096 */
	DEV_EXPECT(e->armed, "armed");
	DEV_EXPECT_EQ(at(T0, 4096), e->deadline);
	DEV_EXPECT_EQ(4096, latched(e, 0));
	e->now = at(T0, 100);
	DEV_EXPECT_EQ(3996, latched(e, 0));
	e->now = at(T0, 101) - 1;	/* one ns before the next tick */
	DEV_EXPECT_EQ(3996, latched(e, 0));
	DEV_EXPECT_EQ(0x30, status(e, 0));
	e->now = at(T0, 4096);
	DEV_EXPECT_EQ(0, latched(e, 0));
	DEV_EXPECT_EQ(0xb0, status(e, 0));	/* OUT high */
	fire(e);
	DEV_EXPECT_EQ(1, e->pulses);
	DEV_EXPECT(!e->armed, "one-shot");
	/* it wraps and counts on, OUT stays high */
	e->now = at(T0, 5000);
	DEV_EXPECT_EQ((4096 - 5000) & 0xffff, latched(e, 0));
	DEV_EXPECT_EQ(0xb0, status(e, 0));
	/* a late expire of a one-shot still gives one edge */
	program(e, 0, 0, 10);
	e->now += 1000000;
	fire(e);
	DEV_EXPECT_EQ(2, e->pulses);
	DEV_EXPECT_EQ(0, kvmx_pit_lost_ticks(&e->pit));
}

DEVTEST(pit_rw_modes)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	outb(e, 0x43, 0x14);	/* counter 0 LSB only, mode 2 */
	outb(e, 0x40, 200);
	e->now = at(T0, 50);
	DEV_EXPECT_EQ(150, inb(e, 0x40));
	DEV_EXPECT_EQ(150, inb(e, 0x40));	/* every read is LSB */
	outb(e, 0x43, 0x24);	/* MSB only */
	outb(e, 0x40, 0x02);	/* N = 0x200 */
	e->now += at(0, 0x10);
	DEV_EXPECT_EQ(0x01, inb(e, 0x40));	/* 0x1f0 >> 8 */
	outb(e, 0x43, 0x34);	/* LSB then MSB: the flip-flops */
	outb(e, 0x40, 0x34);
	DEV_EXPECT_EQ(KVMX_PIT_RW_WORD1, e->pit.ch[0].s.write_state);
	outb(e, 0x40, 0x12);
	DEV_EXPECT_EQ(0x1234, e->pit.ch[0].s.count);
	DEV_EXPECT_EQ(0x34, inb(e, 0x40));
	DEV_EXPECT_EQ(0x12, inb(e, 0x40));
	e->now += at(0, 0x34);
	DEV_EXPECT_EQ(0x00, inb(e, 0x40));
	DEV_EXPECT_EQ(0x12, inb(e, 0x40));
	/* a control word restarts the flip-flop */
	inb(e, 0x40);
	outb(e, 0x43, 0x34);
	DEV_EXPECT_EQ(KVMX_PIT_RW_WORD0, e->pit.ch[0].s.read_state);
}

DEVTEST(pit_latch_and_read_back)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	program(e, 2, 0, 1000);
	outb(e, 0x61, 1);	/* gate 2 high: starts counting... */
	/* mode 0 with gate low had suspended at 0: resumes now */
	e->now = at(T0, 10);
	outb(e, 0x43, 0x80);	/* latch counter 2 */
	e->now = at(T0, 500);
	outb(e, 0x43, 0x80);	/* ignored: not read yet */
	DEV_EXPECT_EQ(990 & 0xff, inb(e, 0x42));
	e->now = at(T0, 600);
	DEV_EXPECT_EQ(990 >> 8, inb(e, 0x42));
	DEV_EXPECT_EQ(400, latched(e, 2));
	/* read-back of count and status: status first, then the count */
	outb(e, 0x43, 0xc8);
	e->now = at(T0, 700);
	DEV_EXPECT_EQ(0x30, inb(e, 0x42));
	DEV_EXPECT_EQ(400 & 0xff, inb(e, 0x42));
	DEV_EXPECT_EQ(400 >> 8, inb(e, 0x42));
	DEV_EXPECT_EQ(300 & 0xff, inb(e, 0x42));	/* live again */
	inb(e, 0x42);
	/* read-back of several counters at once, count only */
	program(e, 1, 2, 50);
	outb(e, 0x43, 0xde);	/* /STATUS, counters 0, 1, 2 */
	e->now += 100000;
	DEV_EXPECT_EQ(50, inb(e, 0x41));
	DEV_EXPECT_EQ(0, inb(e, 0x41));
	DEV_EXPECT_EQ(300 & 0xff, inb(e, 0x42));
	/* status of an unprogrammed counter 0 */
	DEV_EXPECT_EQ(0x00, status(e, 0));
}

DEVTEST(pit_bcd)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	outb(e, 0x43, 0x31);	/* mode 0, BCD */
	outb(e, 0x40, 0x00);
	outb(e, 0x40, 0x10);	/* 1000 decimal */
	DEV_EXPECT_EQ(at(T0, 1000), e->deadline);
	e->now = at(T0, 1);
	DEV_EXPECT_EQ(0x0999, latched(e, 0));
	e->now = at(T0, 1001);
	DEV_EXPECT_EQ(0x9999, latched(e, 0));	/* wraps at 10^4 */
	DEV_EXPECT_EQ(0xb1, status(e, 0));
	/* 0 means 10^4 in BCD */
	outb(e, 0x43, 0x35);	/* mode 2, BCD */
	outb(e, 0x40, 0);
	outb(e, 0x40, 0);
	DEV_EXPECT_EQ(at(e->now, 10000), e->deadline);
	e->now += at(0, 1);
	DEV_EXPECT_EQ(0x9999, latched(e, 0));
}

/* Mode 2 and 3 counts and OUT at every tick over two periods. */
DEVTEST(pit_periodic_modes_counts)
{
	static const u32 ns[] = { 10, 5, 3 };
	struct pi_env env, *e = &env;
	unsigned int i, d;

	pi_init(e);
	for (i = 0; i < 3; i++) {
		u32 n = ns[i];
		u64 base;

		program(e, 1, 2, n);
		base = e->now;
		for (d = 0; d < 2 * n; d++) {
			e->now = at(base, d);
			DEV_EXPECT_EQ(n - d % n, latched(e, 1));
			DEV_EXPECT_EQ(d % n != n - 1, status(e, 1) >> 7);
		}
		program(e, 1, 3, n);
		base = e->now;
		for (d = 0; d < 2 * n; d++) {
			u32 p = d % n, high = (n + 1) / 2, want;

			/* by hand from "Mode 3": even by twos; odd -1/-3 */
			if (!(n & 1))
				want = n - 2 * (p % (n / 2));
			else if (p < high)
				want = p ? n - 1 - 2 * (p - 1) : n;
			else
				want = p == high ? n : n - 3 - 2 * (p - high - 1);
			e->now = at(base, d);
			DEV_EXPECT_EQ(want, latched(e, 1));
			DEV_EXPECT_EQ(p < high, status(e, 1) >> 7);
		}
	}
	/* N = 5 in mode 3, written out: 5 4 2 | 5 2 | 5 */
	program(e, 1, 3, 5);
	DEV_EXPECT_EQ(5, latched(e, 1));
	e->now = at(e->pit.ch[1].s.count_load_time, 2);
	DEV_EXPECT_EQ(2, latched(e, 1));
	e->now = at(e->pit.ch[1].s.count_load_time, 4);
	DEV_EXPECT_EQ(2, latched(e, 1));
}

DEVTEST(pit_mode1_and_5_gate_trigger)
{
	struct pi_env env, *e = &env;
	u64 t0;

	pi_init(e);
	program(e, 2, 1, 100);	/* gate 2 low: waits for a trigger */
	DEV_EXPECT_EQ(0xc0 | 0x32, status(e, 2));	/* OUT high, null */
	e->now += 1000000;
	DEV_EXPECT_EQ(100, latched(e, 2));
	t0 = e->now;
	outb(e, 0x61, 0x01);	/* rising gate: the one-shot starts */
	DEV_EXPECT_EQ(0x01 | 0, inb(e, 0x61) & 0x21);	/* OUT2 low */
	e->now = at(t0, 40);
	DEV_EXPECT_EQ(60, latched(e, 2));
	outb(e, 0x61, 0x00);	/* a low gate does not stop mode 1 */
	e->now = at(t0, 60);
	DEV_EXPECT_EQ(40, latched(e, 2));
	outb(e, 0x61, 0x01);	/* retrigger */
	t0 = e->now;
	e->now = at(t0, 99);
	DEV_EXPECT_EQ(0, inb(e, 0x61) & 0x20);
	e->now = at(t0, 100);
	DEV_EXPECT_EQ(0x20, inb(e, 0x61) & 0x20);
	/* mode 5: OUT low for one tick at the terminal count */
	outb(e, 0x61, 0x00);
	program(e, 2, 5, 10);
	outb(e, 0x61, 0x01);
	t0 = e->now;
	e->now = at(t0, 9);
	DEV_EXPECT_EQ(0x20, inb(e, 0x61) & 0x20);
	e->now = at(t0, 10);
	DEV_EXPECT_EQ(0, inb(e, 0x61) & 0x20);
	e->now = at(t0, 11);
	DEV_EXPECT_EQ(0x20, inb(e, 0x61) & 0x20);
	/* counter 0 in mode 1 (gate tied high) waits for ever */
	program(e, 0, 1, 10);
	DEV_EXPECT(!e->armed, "no trigger on counter 0");
}

DEVTEST(pit_mode4_strobe_irq)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	program(e, 0, 4, 20);
	/* OUT low during tick 20, the rising edge at 21 */
	DEV_EXPECT_EQ(at(T0, 21), e->deadline);
	e->now = at(T0, 20);
	DEV_EXPECT_EQ(0x38, status(e, 0));
	e->now = at(T0, 21);
	DEV_EXPECT_EQ(0xb8, status(e, 0));
	fire(e);
	DEV_EXPECT_EQ(1, e->pulses);
	DEV_EXPECT(!e->armed, "once");
}

DEVTEST(pit_gate_mode0_and_2)
{
	struct pi_env env, *e = &env;
	u64 t0;

	pi_init(e);
	outb(e, 0x61, 0x01);
	program(e, 2, 0, 1000);
	t0 = e->now;
	e->now = at(t0, 100);
	outb(e, 0x61, 0x00);	/* suspend at 900 */
	e->now += 50000000;
	DEV_EXPECT_EQ(900, latched(e, 2));
	outb(e, 0x61, 0x01);	/* resume */
	t0 = e->now;
	e->now = at(t0, 50);
	DEV_EXPECT_EQ(850, latched(e, 2));
	e->now = at(t0, 900);
	DEV_EXPECT_EQ(0x21, inb(e, 0x61) & 0x21);
	/* mode 2: a low gate forces OUT high, rising edge reloads */
	program(e, 2, 2, 100);
	t0 = e->now;
	e->now = at(t0, 30);
	outb(e, 0x61, 0x00);
	DEV_EXPECT_EQ(0x20, inb(e, 0x61) & 0x21);
	e->now += 1000000;
	DEV_EXPECT_EQ(70, latched(e, 2));
	outb(e, 0x61, 0x01);
	DEV_EXPECT_EQ(100, latched(e, 2));
}

DEVTEST(pit_speaker_port)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	DEV_EXPECT_EQ(0, inb(e, 0x61) & 0x03);
	outb(e, 0x61, 0x03);
	DEV_EXPECT_EQ(0x03, inb(e, 0x61) & 0x03);
	DEV_EXPECT(e->pit.flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON, "data on");
	e->now = 1ULL << 34;
	DEV_EXPECT_EQ(0, inb(e, 0x61) & 0x10);
	e->now += 1 << 14;
	DEV_EXPECT_EQ(0x10, inb(e, 0x61) & 0x10);
	outb(e, 0x61, 0x00);
	DEV_EXPECT_EQ(0, inb(e, 0x61) & 0x03);
	DEV_EXPECT(!e->pit.flags, "data off");
}

/*
 * Linux's HZ=1000 PIT: mode 2, N = 1193.  Over many periods the deadline
 * of tick k is exactly at(T0, k * N) however late expire() comes; with
 * reinjection every tick is delivered after the previous one's ack.
 */
DEVTEST(pit_periodic_reinject_no_drift)
{
	struct pi_env env, *e = &env;
	u64 k = 0, due = 0, late = 0;
	unsigned int i;

	pi_init(e);
	srand(1);
	program(e, 0, 2, 1193);
	for (i = 0; i < 3000; i++) {
		DEV_EXPECT(e->armed, "armed at %u", i);
		DEV_EXPECT_EQ(at(T0, (k + 1) * 1193), e->deadline);
		/* fire up to ~3 periods late */
		e->now = e->deadline + (rand() % 4 ? rand() % 1000 :
					rand() % 3000000);
		fire(e);
		while (at(T0, (k + 1) * 1193) <= e->now)
			k++, due++;
		/* the guest acks each delivered tick after a while */
		if (rand() % 3 == 0) {
			while (e->pulses < due && kvmx_pit_pending(&e->pit))
				kvmx_pit_irq0_acked(&e->pit);
		} else {
			kvmx_pit_irq0_acked(&e->pit);
		}
	}
	while (kvmx_pit_pending(&e->pit))
		kvmx_pit_irq0_acked(&e->pit);
	late = kvmx_pit_lost_ticks(&e->pit);
	DEV_EXPECT_EQ(due, e->pulses);
	DEV_EXPECT(late > 0, "some expires were late");
	/* mid-pulse acks (auto-EOI) deliver one at a time, no recursion */
	kvmx_pit_irq0_acked(&e->pit);
	e->ack_in_pulse = true;
	e->now = at(T0, (k + 10) * 1193);
	due = e->pulses;
	fire(e);
	DEV_EXPECT_EQ(due + 10, e->pulses);
}

DEVTEST(pit_periodic_coalesce)
{
	struct pi_env env, *e = &env;
	u64 lost0;

	pi_init(e);
	kvmx_pit_set_reinject(&e->pit, false);
	program(e, 0, 3, 11932);	/* 100 Hz square wave */
	e->now = at(T0, 5 * 11932) + 7;
	fire(e);
	DEV_EXPECT_EQ(1, e->pulses);
	DEV_EXPECT_EQ(4, kvmx_pit_lost_ticks(&e->pit));
	DEV_EXPECT_EQ(at(T0, 6 * 11932), e->deadline);
	/* no ack needed without reinjection */
	e->now = e->deadline;
	fire(e);
	DEV_EXPECT_EQ(2, e->pulses);
	lost0 = kvmx_pit_lost_ticks(&e->pit);
	/* an early expire re-arms and sends nothing */
	e->now = e->deadline - 1;
	fire(e);
	DEV_EXPECT_EQ(2, e->pulses);
	DEV_EXPECT(e->armed, "re-armed");
	DEV_EXPECT_EQ(lost0, kvmx_pit_lost_ticks(&e->pit));
}

DEVTEST(pit_reinject_backlog_rules)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	program(e, 0, 2, 1193);
	e->now = at(T0, 10 * 1193);
	fire(e);
	DEV_EXPECT_EQ(1, e->pulses);
	DEV_EXPECT_EQ(9, kvmx_pit_pending(&e->pit));
	kvmx_pit_irq0_acked(&e->pit);
	DEV_EXPECT_EQ(2, e->pulses);
	/* unmasking IRQ0 drops the backlog */
	kvmx_pit_irq0_mask(&e->pit, true);
	DEV_EXPECT_EQ(8, kvmx_pit_pending(&e->pit));
	kvmx_pit_irq0_mask(&e->pit, false);
	DEV_EXPECT_EQ(0, kvmx_pit_pending(&e->pit));
	kvmx_pit_irq0_acked(&e->pit);
	DEV_EXPECT_EQ(2, e->pulses);
	/* the next tick goes out at once (nothing awaits an ack) */
	e->now = e->deadline;
	fire(e);
	DEV_EXPECT_EQ(3, e->pulses);
	/* HPET legacy: counter 0 does not drive IRQ0 */
	{
		struct kvm_pit_state2 s;

		kvmx_pit_get_state(&e->pit, &s);
		s.flags |= KVM_PIT_FLAGS_HPET_LEGACY;
		DEV_EXPECT_EQ(0, kvmx_pit_set_state(&e->pit, &s));
		DEV_EXPECT(!e->armed, "HPET legacy");
		s.flags = 0;
		DEV_EXPECT_EQ(0, kvmx_pit_set_state(&e->pit, &s));
		DEV_EXPECT(e->armed, "back");
	}
	/* counter 0's gate (only a state can lower it in a PC) */
	kvmx_pit_set_gate(&e->pit, 0, 0);
	DEV_EXPECT(!e->armed, "mode 2 stopped by its gate");
	e->now += 12345;
	kvmx_pit_set_gate(&e->pit, 0, 1);
	DEV_EXPECT(e->armed, "reloaded");
	DEV_EXPECT_EQ(at(e->now, 1193), e->deadline);
	kvmx_pit_reset(&e->pit);
	DEV_EXPECT(!e->armed, "reset cancels");
}

DEVTEST(pit_min_period)
{
	struct pi_env env, *e = &env;

	pi_init(e);
	kvmx_pit_set_min_period(&e->pit, 200000);
	program(e, 0, 2, 2);	/* 1.7 us asked */
	DEV_EXPECT(e->deadline - T0 >= 200000, "clamped: %llu",
		   (unsigned long long)(e->deadline - T0));
	DEV_EXPECT(e->deadline - T0 < 201000, "not more");
	e->now = T0 + 1000000000;
	fire(e);
	/* about 5000 edges in a second, not 600000 */
	DEV_EXPECT(kvmx_pit_lost_ticks(&e->pit) < 5001, "rate limited");
	e->now = T0 + 1000000000 + at(0, 2);
	DEV_EXPECT_EQ(2, latched(e, 0));	/* counts unaffected */
}

static u32 rng = 7;

static u32 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void random_channel(struct kvm_pit_channel_state *c, u64 now)
{
	static const u8 modes[] = { 0, 1, 2, 3, 4, 5, 0xff };

	c->count = rnd() % 0x10000 + 1;
	c->latched_count = rnd();
	c->count_latched = rnd() % 4;
	c->status_latched = rnd() & 1;
	c->status = rnd();
	c->read_state = rnd() % 5;
	c->write_state = rnd() % 5;
	c->write_latch = rnd();
	c->rw_mode = rnd() % 4;
	c->mode = modes[rnd() % 7];
	c->bcd = rnd() & 1;
	c->gate = rnd() & 1;
	c->count_load_time = now - rnd() % 100000000;
}

static bool stopped(const struct kvm_pit_channel_state *c)
{
	return !c->gate && (c->mode == 0 || c->mode == 2 || c->mode == 3 ||
			    c->mode == 4);
}

static u64 ticks(u64 ns)
{
	return (unsigned __int128)ns * F / 1000000000ULL;
}

DEVTEST(pit_state_round_trip)
{
	struct pi_env env, *e = &env;
	struct kvm_pit_state2 a, b, c;
	unsigned int i, j;

	pi_init(e);
	for (i = 0; i < 3000; i++) {
		memset(&a, 0, sizeof(a));
		for (j = 0; j < 3; j++)
			random_channel(&a.channels[j], e->now);
		a.flags = rnd() & 3;
		DEV_EXPECT_EQ(0, kvmx_pit_set_state(&e->pit, &a));
		kvmx_pit_get_state(&e->pit, &b);
		/*
		 * A counter stopped by its gate comes back with its load
		 * time normalised to the same tick count.
		 */
		for (j = 0; j < 3; j++) {
			struct kvm_pit_channel_state *ca = &a.channels[j];
			struct kvm_pit_channel_state *cb = &b.channels[j];

			if (stopped(ca)) {
				DEV_EXPECT_EQ(ticks(e->now - ca->count_load_time),
					      ticks(e->now - cb->count_load_time));
				cb->count_load_time = ca->count_load_time;
			}
		}
		DEV_EXPECT(!memcmp(&a, &b, sizeof(a)), "identity %u", i);
		kvmx_pit_get_state(&e->pit, &b);
		DEV_EXPECT_EQ(0, kvmx_pit_set_state(&e->pit, &b));
		kvmx_pit_get_state(&e->pit, &c);
		DEV_EXPECT(!memcmp(&b, &c, sizeof(b)), "round trip %u", i);
		e->now += rnd() % 1000;
	}
	kvmx_pit_get_state(&e->pit, &a);
	b = a;
	b.channels[1].mode = 6;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pit_set_state(&e->pit, &b));
	b = a;
	b.channels[0].count = 0;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pit_set_state(&e->pit, &b));
	b = a;
	b.channels[2].count = 0x10001;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pit_set_state(&e->pit, &b));
	b = a;
	b.flags = 4;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pit_set_state(&e->pit, &b));
	b = a;
	b.channels[0].read_state = 5;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pit_set_state(&e->pit, &b));
	kvmx_pit_get_state(&e->pit, &c);
	DEV_EXPECT(!memcmp(&a, &c, sizeof(a)), "refused sets change nothing");
	/* a load time in the future is taken as now */
	b = a;
	b.channels[1].count_load_time = e->now + 1000;
	b.channels[1].gate = 1;
	DEV_EXPECT_EQ(0, kvmx_pit_set_state(&e->pit, &b));
	kvmx_pit_get_state(&e->pit, &c);
	DEV_EXPECT_EQ(e->now, c.channels[1].count_load_time);
	/* garbage: accepted or refused, never a crash */
	for (i = 0; i < 5000; i++) {
		u8 *p = (u8 *)&a;

		for (j = 0; j < sizeof(a); j++)
			p[j] = rnd() % 4 ? rnd() % 5 : rnd();
		kvmx_pit_set_state(&e->pit, &a);
		e->now += rnd() % 100000;
		fire(e);
		latched(e, rnd() % 3);
	}
}

/*
 * Mid-activity save/restore into a fresh model: counter 0 periodic and
 * counter 2 suspended by its gate; the restored PIT reads the same counts
 * and fires the next IRQ0 edge at the same time.
 */
DEVTEST(pit_state_mid_activity)
{
	struct pi_env env1, env2, *e = &env1, *f = &env2;
	struct kvm_pit_state2 s;

	pi_init(e);
	program(e, 0, 2, 1193);
	outb(e, 0x61, 0x01);
	program(e, 2, 0, 30000);
	e->now = at(T0, 7 * 1193 + 500);
	fire(e);
	outb(e, 0x61, 0x00);
	e->now += 123456;
	kvmx_pit_get_state(&e->pit, &s);

	pi_init(f);
	f->now = e->now;
	DEV_EXPECT_EQ(0, kvmx_pit_set_state(&f->pit, &s));
	DEV_EXPECT(f->armed, "restored timer");
	DEV_EXPECT_EQ(e->deadline, f->deadline);
	DEV_EXPECT_EQ(latched(e, 0), latched(f, 0));
	DEV_EXPECT_EQ(latched(e, 2), latched(f, 2));
	DEV_EXPECT_EQ(30000 - (7 * 1193 + 500), latched(f, 2));
	f->now = f->deadline;
	fire(f);
	DEV_EXPECT_EQ(1, f->pulses);
}

DEVTEST(pit_fuzz)
{
	struct pi_env env, *e = &env;
	unsigned int i, bad = 0;

	pi_init(e);
	for (i = 0; i < 200000; i++) {
		switch (rnd() % 8) {
		case 0:
		case 1:
			outb(e, 0x40 + rnd() % 4, rnd());
			break;
		case 2:
			inb(e, 0x40 + rnd() % 4);
			break;
		case 3:
			outb(e, 0x61, rnd());
			break;
		case 4:
			e->now += rnd() % 5000000;
			if (e->armed && e->deadline <= e->now)
				fire(e);
			break;
		case 5:
			kvmx_pit_irq0_acked(&e->pit);
			break;
		case 6:
			kvmx_pit_set_reinject(&e->pit, rnd() & 1);
			break;
		default:
			inb(e, 0x61);
			break;
		}
		if (e->armed && e->deadline + 6000000000ULL < e->now)
			bad++;	/* an event due long ago was not handled */
		if (e->pit.ch[rnd() % 3].s.read_state > 4)
			bad++;
	}
	DEV_EXPECT_EQ(0, bad);
}

/*
 * The PIT wired to the PIC the way the glue will do it: IRQ0 pulses into
 * PIC input 0, the PIC's EOI of IRQ 0 is deferred and then forwarded as
 * kvmx_pit_irq0_acked().  Ticks found late are all taken by the guest,
 * one INTA/EOI each, with reinjection on.
 */
struct wired {
	struct pi_env pe;
	struct kvmx_pic pic;
	unsigned int deferred_acks;
};

static void w_set_int(void *o, bool level)
{
}

static void w_acked(void *o, unsigned int irq)
{
	struct wired *w = o;

	if (irq == 0)
		w->deferred_acks++;
}

static const struct kvmx_pic_ops w_pic_ops = {
	.set_int = w_set_int,
	.irq_acked = w_acked,
};

static void w_set_irq0(void *o, int level)
{
	struct wired *w = o;

	kvmx_pic_set_irq(&w->pic, 0, level);
}

static const struct kvmx_pit_ops w_pit_ops = {
	.now_ns = pi_now,
	.arm = pi_arm,
	.cancel = pi_cancel,
	.set_irq0 = w_set_irq0,
};

DEVTEST(pit_pic_irq0_wired)
{
	static struct wired w;
	struct pi_env *e = &w.pe;
	unsigned int i, vectors = 0, due;
	u8 cmd[] = { 0x11, 0x20, 0x04, 0x01, 0x00 };

	memset(&w, 0, sizeof(w));
	e->now = T0;
	/* pi_now and pi_arm take the pi_env, the first member of w */
	kvmx_pit_init(&e->pit, &w_pit_ops, &w);
	kvmx_pic_init(&w.pic, &w_pic_ops, &w);
	kvmx_pic_write(&w.pic, 0x20, cmd[0]);
	for (i = 1; i < 5; i++)
		kvmx_pic_write(&w.pic, 0x21, cmd[i]);
	program(e, 0, 2, 11932);
	for (i = 0; i < 50; i++) {
		e->now = e->deadline + (i % 5 == 0 ? at(0, 3 * 11932) : 0);
		fire(e);
		/* the guest takes every interrupt the PIC offers */
		while (kvmx_pic_output(&w.pic)) {
			DEV_EXPECT_EQ(0x20, kvmx_pic_intack(&w.pic));
			vectors++;
			kvmx_pic_write(&w.pic, 0x20, 0x20);
			while (w.deferred_acks) {
				w.deferred_acks--;
				kvmx_pit_irq0_acked(&e->pit);
			}
		}
	}
	due = (e->now - T0) * F / 1000000000ULL / 11932;
	DEV_EXPECT_EQ(due, vectors);
	DEV_EXPECT_EQ(0, kvmx_pit_pending(&e->pit));
	DEV_EXPECT(kvmx_pit_lost_ticks(&e->pit) >= 30, "late ticks: %llu",
		   (unsigned long long)kvmx_pit_lost_ticks(&e->pit));
}
