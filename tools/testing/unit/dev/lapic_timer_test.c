// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the local APIC model's timer (one-shot, periodic with
 * late expiries, TSC-deadline, divide encodings, current count, minimum
 * period), of KVM_GET/SET_LAPIC in xAPIC and x2APIC layouts with and
 * without 32-bit x2APIC IDs, and a fuzz loop over every entry point.
 */
#include <stdlib.h>
#include <string.h>
#include "lapic_test.h"

static struct lt_env T, T2;

/* Timer with vector 0xef in @mode, divide by 1 (TDCR 0xb). */
static void timer_setup(struct lt_env *e, u32 mode)
{
	lt_init_id(e, 0);
	lt_enable(e);
	lt_mw(e, KVMX_APIC_TDCR, 0xb);
	lt_mw(e, KVMX_APIC_LVTT, mode | 0xef);
}

DEVTEST(lapic_timer_oneshot)
{
	struct lt_env *e = &T;

	timer_setup(e, KVMX_APIC_LVTT_ONESHOT);
	e->now = 1000;
	lt_mw(e, KVMX_APIC_TMICT, 5000);
	DEV_EXPECT(e->armed, "armed");
	DEV_EXPECT_EQ(6000, e->armed_at);
	DEV_EXPECT_EQ(5000, lt_mr(e, KVMX_APIC_TMCCT));
	e->now = 2500;
	DEV_EXPECT_EQ(3500, lt_mr(e, KVMX_APIC_TMCCT));
	DEV_EXPECT_EQ(5000, lt_mr(e, KVMX_APIC_TMICT));
	/* an early call re-arms and delivers nothing */
	lt_expire(e, 5999);
	DEV_EXPECT(!lt_irr(e, 0xef) && e->armed && e->armed_at == 6000,
		   "early expire");
	/* late: delivered, stopped, count 0 */
	e->now = 6400;
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_TMCCT));
	lt_expire(e, 6400);
	DEV_EXPECT(lt_irr(e, 0xef), "delivered");
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_TMCCT));
	kvmx_lapic_get_interrupt(&e->apic);
	lt_expire(e, 99999);
	DEV_EXPECT(!lt_irr(e, 0xef), "one shot only");
	/* re-write restarts; 0 stops */
	lt_mw(e, KVMX_APIC_TMICT, 100);
	DEV_EXPECT(e->armed && e->armed_at == 6500, "restart");
	e->cancels = 0;
	lt_mw(e, KVMX_APIC_TMICT, 0);
	DEV_EXPECT(!e->armed && e->cancels == 1, "stopped");
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_TMCCT));
	lt_expire(e, 7000);
	DEV_EXPECT(!lt_irr(e, 0xef) && lt_isr(e, 0xef), "stale expire");
	/* masked: counts and expires but delivers nothing */
	lt_mw(e, KVMX_APIC_EOI, 0);
	lt_mw(e, KVMX_APIC_LVTT, 0x100ef);
	lt_mw(e, KVMX_APIC_TMICT, 10);
	lt_expire(e, e->armed_at);
	DEV_EXPECT(!lt_irr(e, 0xef) && !e->armed, "masked");
	/* one-shot is not clamped */
	lt_mw(e, KVMX_APIC_LVTT, 0xef);
	lt_mw(e, KVMX_APIC_TMICT, 1);
	DEV_EXPECT_EQ(e->now + 1, e->armed_at);
}

DEVTEST(lapic_timer_periodic)
{
	struct lt_env *e = &T;
	u64 t0;

	timer_setup(e, KVMX_APIC_LVTT_PERIODIC);
	e->now = 0;
	lt_mw(e, KVMX_APIC_TMICT, 1000000);
	DEV_EXPECT_EQ(1000000, e->armed_at);
	/* late by 300 ns: next deadline is still on the grid */
	e->now = 1000300;
	DEV_EXPECT_EQ(1000000 - 300, lt_mr(e, KVMX_APIC_TMCCT));
	lt_expire(e, 1000300);
	DEV_EXPECT(lt_irr(e, 0xef), "tick 1");
	DEV_EXPECT_EQ(2000000, e->armed_at);
	DEV_EXPECT_EQ(1000000 - 300, lt_mr(e, KVMX_APIC_TMCCT));
	kvmx_lapic_get_interrupt(&e->apic);
	lt_mw(e, KVMX_APIC_EOI, 0);
	/* 2.5 periods late: one interrupt, phase kept */
	e->now = 4500000;
	lt_expire(e, 4500000);
	DEV_EXPECT(lt_irr(e, 0xef), "tick 2");
	DEV_EXPECT_EQ(5000000, e->armed_at);
	DEV_EXPECT_EQ(500000, lt_mr(e, KVMX_APIC_TMCCT));
	/* a thousand exact ticks: no drift */
	t0 = e->armed_at;
	for (int i = 0; i < 1000; i++)
		lt_expire(e, e->armed_at + (i % 7) * 1000);
	DEV_EXPECT_EQ(t0 + 1000ULL * 1000000, e->armed_at);
	/* periodic -> one-shot: the running count ends at its expiry */
	lt_mw(e, KVMX_APIC_LVTT, KVMX_APIC_LVTT_ONESHOT | 0xef);
	DEV_EXPECT(e->armed, "still counting");
	lt_expire(e, e->armed_at);
	DEV_EXPECT(!e->armed, "one-shot now");

	/* minimum period clamp (200 us) in periodic mode only */
	timer_setup(e, KVMX_APIC_LVTT_PERIODIC);
	e->now = 10;
	lt_mw(e, KVMX_APIC_TMICT, 100);
	DEV_EXPECT_EQ(200010, e->armed_at);
	lt_expire(e, 200010);
	DEV_EXPECT_EQ(400010, e->armed_at);
	DEV_EXPECT(lt_mr(e, KVMX_APIC_TMCCT) <= 100, "count within TMICT");
	/* one-shot -> periodic clamps the running period */
	timer_setup(e, KVMX_APIC_LVTT_ONESHOT);
	e->now = 0;
	lt_mw(e, KVMX_APIC_TMICT, 50);
	lt_mw(e, KVMX_APIC_LVTT, KVMX_APIC_LVTT_PERIODIC | 0xef);
	lt_expire(e, 50);
	DEV_EXPECT_EQ(200050, e->armed_at);
}

DEVTEST(lapic_timer_divide)
{
	static const u32 div[8] = { 2, 4, 8, 16, 32, 64, 128, 1 };
	struct lt_env *e = &T;
	u32 tdcr;

	for (tdcr = 0; tdcr < 16; tdcr++) {
		u32 d = div[(tdcr & 3) | ((tdcr & 8) >> 1)];

		timer_setup(e, KVMX_APIC_LVTT_ONESHOT);
		lt_mw(e, KVMX_APIC_TDCR, tdcr);
		DEV_EXPECT_EQ(tdcr & 0xb, lt_mr(e, KVMX_APIC_TDCR));
		e->now = 100;
		lt_mw(e, KVMX_APIC_TMICT, 1000);
		DEV_EXPECT(e->armed_at == 100 + 1000ULL * d, "tdcr %#x", tdcr);
		e->now = 100 + 10 * d;
		DEV_EXPECT_EQ(990, lt_mr(e, KVMX_APIC_TMCCT));
		/* not a whole tick more: the count has not moved yet */
		e->now = 100 + 10 * d + d - 1;
		DEV_EXPECT_EQ(990, lt_mr(e, KVMX_APIC_TMCCT));
		e->now = 100 + 11 * d;
		DEV_EXPECT_EQ(989, lt_mr(e, KVMX_APIC_TMCCT));
	}
	/* changing the divisor mid-count rescales what is left */
	timer_setup(e, KVMX_APIC_LVTT_ONESHOT);
	lt_mw(e, KVMX_APIC_TDCR, 0);		/* by 2 */
	e->now = 0;
	lt_mw(e, KVMX_APIC_TMICT, 1000);	/* 2000 ns */
	e->now = 1000;				/* 500 ticks left */
	lt_mw(e, KVMX_APIC_TDCR, 1);		/* by 4 */
	DEV_EXPECT_EQ(3000, e->armed_at);
	DEV_EXPECT_EQ(500, lt_mr(e, KVMX_APIC_TMCCT));
	/* the APIC bus clock from the config */
	{
		struct kvmx_lapic_config cfg;

		lt_default_config(&cfg, 0);
		cfg.bus_cycle_ns = 10;
		lt_init(e, &cfg);
		lt_enable(e);
		lt_mw(e, KVMX_APIC_TDCR, 0xb);
		lt_mw(e, KVMX_APIC_LVTT, 0xef);
		e->now = 0;
		lt_mw(e, KVMX_APIC_TMICT, 7);
		DEV_EXPECT_EQ(70, e->armed_at);
	}
}

DEVTEST(lapic_timer_tsc_deadline)
{
	struct lt_env *e = &T;
	struct kvmx_lapic_config cfg;

	timer_setup(e, KVMX_APIC_LVTT_TSCDEADLINE);
	e->tsc_offset = 1000;		/* guest TSC = now + 1000 */
	e->now = 500;
	DEV_EXPECT_EQ(0, kvmx_lapic_tscdeadline_read(&e->apic));
	kvmx_lapic_tscdeadline_write(&e->apic, 11000);
	DEV_EXPECT(e->armed && e->armed_at == 10000, "armed at TSC 11000");
	DEV_EXPECT_EQ(11000, kvmx_lapic_tscdeadline_read(&e->apic));
	/* TMICT writes ignored, TMCCT reads 0 */
	lt_mw(e, KVMX_APIC_TMICT, 77);
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_TMICT));
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_TMCCT));
	DEV_EXPECT_EQ(10000, e->armed_at);
	lt_expire(e, 10050);
	DEV_EXPECT(lt_irr(e, 0xef), "fired");
	DEV_EXPECT_EQ(0, kvmx_lapic_tscdeadline_read(&e->apic));
	DEV_EXPECT(!e->armed, "disarmed after firing");
	kvmx_lapic_get_interrupt(&e->apic);
	lt_mw(e, KVMX_APIC_EOI, 0);
	/* 0 disarms */
	kvmx_lapic_tscdeadline_write(&e->apic, 50000);
	e->cancels = 0;
	kvmx_lapic_tscdeadline_write(&e->apic, 0);
	DEV_EXPECT(!e->armed && e->cancels == 1, "0 disarms");
	/* a deadline in the past fires at once */
	kvmx_lapic_tscdeadline_write(&e->apic, 1);
	DEV_EXPECT(lt_irr(e, 0xef) && !e->armed, "past deadline");
	DEV_EXPECT_EQ(0, kvmx_lapic_tscdeadline_read(&e->apic));
	kvmx_lapic_get_interrupt(&e->apic);
	lt_mw(e, KVMX_APIC_EOI, 0);
	/* leaving the mode disarms and the MSR reads 0; writes ignored */
	kvmx_lapic_tscdeadline_write(&e->apic, 90000);
	lt_mw(e, KVMX_APIC_LVTT, KVMX_APIC_LVTT_ONESHOT | 0xef);
	DEV_EXPECT(!e->armed, "mode switch disarms");
	DEV_EXPECT_EQ(0, kvmx_lapic_tscdeadline_read(&e->apic));
	kvmx_lapic_tscdeadline_write(&e->apic, 90000);
	DEV_EXPECT(!e->armed, "ignored in one-shot mode");
	/* and entering it stops a one-shot count */
	lt_mw(e, KVMX_APIC_TMICT, 1000);
	DEV_EXPECT(e->armed, "one-shot counting");
	lt_mw(e, KVMX_APIC_LVTT, KVMX_APIC_LVTT_TSCDEADLINE | 0xef);
	DEV_EXPECT(!e->armed, "one-shot stopped");
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_TMICT));
	/* masked: the deadline passes without an interrupt */
	lt_mw(e, KVMX_APIC_LVTT, KVMX_APIC_LVTT_TSCDEADLINE | 0x100ef);
	kvmx_lapic_tscdeadline_write(&e->apic, 5000);
	lt_expire(e, e->armed_at);
	DEV_EXPECT(!lt_irr(e, 0xef), "masked deadline");
	DEV_EXPECT_EQ(0, kvmx_lapic_tscdeadline_read(&e->apic));
	/* without the feature mode 2 cannot be selected */
	lt_default_config(&cfg, 0);
	cfg.tsc_deadline = false;
	lt_init(e, &cfg);
	lt_enable(e);
	lt_mw(e, KVMX_APIC_LVTT, KVMX_APIC_LVTT_TSCDEADLINE | 0xef);
	kvmx_lapic_tscdeadline_write(&e->apic, 5000);
	DEV_EXPECT(!e->armed, "no TSC-deadline mode");
}

static u32 page_reg(const struct kvm_lapic_state *s, u32 off)
{
	u32 v;

	memcpy(&v, s->regs + off, 4);
	return v;
}

static void set_page_reg(struct kvm_lapic_state *s, u32 off, u32 v)
{
	memcpy(s->regs + off, &v, 4);
}

DEVTEST(lapic_state_xapic)
{
	struct kvm_lapic_state s, s2;
	struct lt_env *a = &T, *b = &T2;

	timer_setup(a, KVMX_APIC_LVTT_PERIODIC);
	lt_mw(a, KVMX_APIC_ID, 0x04000000);
	lt_mw(a, KVMX_APIC_TPR, 0x20);
	lt_mw(a, KVMX_APIC_LDR, 0x08000000);
	lt_mw(a, KVMX_APIC_LVT1, 0x400);
	kvmx_lapic_deliver(&a->apic, 0x81, true);
	kvmx_lapic_deliver(&a->apic, 0x60, false);
	kvmx_lapic_get_interrupt(&a->apic);
	a->now = 1000;
	lt_mw(a, KVMX_APIC_TMICT, 1000000);
	a->now = 251000;
	kvmx_lapic_get_state(&a->apic, &s);
	DEV_EXPECT_EQ(750000, page_reg(&s, KVMX_APIC_TMCCT));
	DEV_EXPECT_EQ(0x04000000, page_reg(&s, KVMX_APIC_ID));
	DEV_EXPECT_EQ(0x80, page_reg(&s, KVMX_APIC_PPR));

	lt_init_id(b, 0);
	b->now = 9000000;
	DEV_EXPECT_EQ(0, kvmx_lapic_set_state(&b->apic, &s));
	DEV_EXPECT(b->armed && b->armed_at == 9750000, "resumed count");
	DEV_EXPECT_EQ(0x04000000, lt_mr(b, KVMX_APIC_ID));
	DEV_EXPECT(lt_isr(b, 0x81) && lt_tmr(b, 0x81) && lt_irr(b, 0x60),
		   "vectors");
	kvmx_lapic_get_state(&b->apic, &s2);
	DEV_EXPECT(!memcmp(&s, &s2, sizeof(s)), "round trip");
	/* level EOI after restore still reaches the IOAPIC */
	lt_mw(b, KVMX_APIC_EOI, 0);
	DEV_EXPECT(b->neoi == 1 && b->eoi[0].broadcast, "restored TMR");
	/* periodic period continues after the resumed part */
	lt_expire(b, 9750000);
	DEV_EXPECT_EQ(10750000, b->armed_at);

	/* a one-shot saved after it fired does not fire again */
	timer_setup(a, KVMX_APIC_LVTT_ONESHOT);
	a->now = 0;
	lt_mw(a, KVMX_APIC_TMICT, 100);
	lt_expire(a, 100);
	kvmx_lapic_get_interrupt(&a->apic);
	lt_mw(a, KVMX_APIC_EOI, 0);
	kvmx_lapic_get_state(&a->apic, &s);
	DEV_EXPECT_EQ(0, page_reg(&s, KVMX_APIC_TMCCT));
	lt_init_id(b, 0);
	kvmx_lapic_set_state(&b->apic, &s);
	DEV_EXPECT(!b->armed, "spent one-shot");
	/* a saved count above the initial count restarts a full period */
	set_page_reg(&s, KVMX_APIC_TMCCT, 500);
	b->now = 40;
	kvmx_lapic_set_state(&b->apic, &s);
	DEV_EXPECT_EQ(140, b->armed_at);
	set_page_reg(&s, KVMX_APIC_TMCCT, 30);
	kvmx_lapic_set_state(&b->apic, &s);
	DEV_EXPECT_EQ(70, b->armed_at);
	/* LVR is ours */
	set_page_reg(&s, KVMX_APIC_LVR, 0x12345678);
	kvmx_lapic_set_state(&b->apic, &s);
	DEV_EXPECT_EQ(0x50014, lt_mr(b, KVMX_APIC_LVR));

	/* TSC-deadline: the deadline survives SET_LAPIC in the same mode */
	timer_setup(b, KVMX_APIC_LVTT_TSCDEADLINE);
	kvmx_lapic_tscdeadline_write(&b->apic, 7777);
	kvmx_lapic_get_state(&b->apic, &s);
	kvmx_lapic_set_state(&b->apic, &s);
	DEV_EXPECT(b->armed && b->armed_at == 7777, "deadline kept");
	DEV_EXPECT_EQ(7777, kvmx_lapic_tscdeadline_read(&b->apic));
}

DEVTEST(lapic_state_x2apic)
{
	struct kvm_lapic_state s, s2;
	struct kvmx_lapic_config cfg;
	struct lt_env *a = &T, *b = &T2;
	int fmt;

	for (fmt = 0; fmt < 2; fmt++) {
		lt_default_config(&cfg, 0x1234);
		cfg.x2apic_format = fmt;
		lt_init(a, &cfg);
		lt_init(b, &cfg);
		lt_to_x2apic(a);
		lt_to_x2apic(b);
		kvmx_lapic_msr_write(&a->apic, 0x80f, 0x1ff);
		kvmx_lapic_msr_write(&a->apic, 0x808, 0x10);
		kvmx_lapic_msr_write(&a->apic, 0x830, (7ULL << 32) | 0x4400);
		kvmx_lapic_get_state(&a->apic, &s);
		DEV_EXPECT_EQ(fmt ? 0x1234 : 0x34000000,
			      page_reg(&s, KVMX_APIC_ID));
		DEV_EXPECT_EQ(0x1230010, page_reg(&s, KVMX_APIC_LDR));
		DEV_EXPECT_EQ(0x4400, page_reg(&s, KVMX_APIC_ICR));
		DEV_EXPECT_EQ(7, page_reg(&s, KVMX_APIC_ICR2));
		DEV_EXPECT_EQ(0, kvmx_lapic_set_state(&b->apic, &s));
		kvmx_lapic_get_state(&b->apic, &s2);
		DEV_EXPECT(!memcmp(&s, &s2, sizeof(s)), "round trip fmt %d", fmt);
		DEV_EXPECT_EQ(0x10, kvmx_lapic_reg(&b->apic, KVMX_APIC_TPR));
		{
			u64 v;

			kvmx_lapic_msr_read(&b->apic, 0x830, &v);
			DEV_EXPECT_EQ((7ULL << 32) | 0x4400, v);
			kvmx_lapic_msr_read(&b->apic, 0x802, &v);
			DEV_EXPECT_EQ(0x1234, v);
		}
		/* another ID: refused with 32-bit IDs, else ignored */
		set_page_reg(&s, KVMX_APIC_ID, 0x99);
		set_page_reg(&s, KVMX_APIC_LDR, 0x5);
		set_page_reg(&s, KVMX_APIC_TPR, 0x30);
		DEV_EXPECT_EQ(fmt ? -EINVAL : 0,
			      kvmx_lapic_set_state(&b->apic, &s));
		DEV_EXPECT_EQ(fmt ? 0x10 : 0x30,
			      kvmx_lapic_reg(&b->apic, KVMX_APIC_TPR));
		DEV_EXPECT_EQ(0x1234, kvmx_lapic_reg(&b->apic, KVMX_APIC_ID));
		DEV_EXPECT_EQ(0x1230010, kvmx_lapic_reg(&b->apic, KVMX_APIC_LDR));
	}
	/* xAPIC mode with 32-bit IDs: the page keeps the xAPIC layout */
	lt_default_config(&cfg, 0x12);
	cfg.x2apic_format = true;
	lt_init(a, &cfg);
	kvmx_lapic_get_state(&a->apic, &s);
	DEV_EXPECT_EQ(0x12000000, page_reg(&s, KVMX_APIC_ID));
}

static u32 rnd(void)
{
	return (u32)random();
}

/* PPR as SDM 11.8.3.1 computes it, for the invariant checks. */
static u32 ref_ppr(const struct kvmx_lapic *a)
{
	u32 tpr = kvmx_lapic_reg(a, KVMX_APIC_TPR) & 0xff;
	int isr = kvmx_lapic_highest_isr(a);
	u32 isrv = isr < 0 ? 0 : isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
}

static void fuzz_step(struct lt_env *e)
{
	u32 off = (rnd() % 0x41) << 4, v = rnd();
	struct kvmx_lapic_events ev;
	struct kvm_lapic_state s;
	u8 buf[8];

	if (rnd() % 3 == 0)
		v &= 0xff | (rnd() % 2 ? 0x700 : 0) | (rnd() % 2 ? 0x60000 : 0);
	e->now += rnd() % 5000;
	switch (rnd() % 14) {
	case 0:
		lt_mw(e, off, v);
		break;
	case 1:
		kvmx_lapic_mmio_read(&e->apic, KVMX_APIC_DEFAULT_BASE +
				     (rnd() % 0x1010), buf, 1 + rnd() % 8);
		break;
	case 2:
		kvmx_lapic_msr_write(&e->apic, 0x800 + rnd() % 0x100,
				     rnd() % 4 ? v : ((u64)rnd() << 32) | v);
		break;
	case 3: {
		u64 x;

		kvmx_lapic_msr_read(&e->apic, 0x7f0 + rnd() % 0x120, &x);
		break;
	}
	case 4:
		kvmx_lapic_accept(&e->apic, rnd() % 8, rnd(), rnd() % 2,
				  rnd() % 2);
		break;
	case 5:
		lt_expire(e, e->armed ? e->armed_at +
				  rnd() % 3000000 : e->now);
		break;
	case 6:
		kvmx_lapic_get_interrupt(&e->apic);
		break;
	case 7:
		kvmx_lapic_set_base(&e->apic, (rnd() % 4 ? 0xfee00000ULL :
					       (u64)v << 12) |
				    (rnd() % 4) << 10 | (rnd() % 9 ? 0 : v & 0x3ff),
				    rnd() % 2);
		break;
	case 8:
		kvmx_lapic_tscdeadline_write(&e->apic, e->now + rnd() % 100000);
		break;
	case 9:
		kvmx_lapic_local_deliver(&e->apic, rnd() % 8);
		break;
	case 10:
		kvmx_lapic_take_events(&e->apic, &ev);
		break;
	case 11:
		kvmx_lapic_get_state(&e->apic, &s);
		kvmx_lapic_set_state(&e->apic, &s);
		break;
	case 12:
		kvmx_lapic_reset(&e->apic, rnd() % 2);
		break;
	default:
		lt_mw(e, KVMX_APIC_SVR, 0x100 | v);
		break;
	}
}

DEVTEST(lapic_fuzz)
{
	struct kvm_lapic_state s, s2;
	struct lt_env *e = &T;
	unsigned int i, j, bad = 0;

	srandom(6);
	lt_init_id(e, 3);
	for (i = 0; i < 200000; i++) {
		fuzz_step(e);
		if (ref_ppr(&e->apic) != kvmx_lapic_reg(&e->apic, KVMX_APIC_PPR))
			bad++;
		if (e->armed != e->apic.armed || (e->armed &&
						  e->armed_at != e->apic.armed_ns))
			bad++;
		if (kvmx_lapic_has_interrupt(&e->apic) >= 0 &&
		    (kvmx_lapic_has_interrupt(&e->apic) & 0xf0) <=
		    kvmx_lapic_reg(&e->apic, KVMX_APIC_PPR))
			bad++;
	}
	DEV_EXPECT_EQ(0, bad);

	/* export -> import -> export is identical, in both modes */
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < 20; j++)
			fuzz_step(e);
		kvmx_lapic_get_state(&e->apic, &s);
		lt_init_id(&T2, 3);
		T2.now = e->now;
		kvmx_lapic_set_base(&T2.apic, e->apic.apic_base, true);
		if (kvmx_lapic_set_state(&T2.apic, &s))
			bad++;
		kvmx_lapic_get_state(&T2.apic, &s2);
		if (memcmp(&s, &s2, sizeof(s)))
			bad++;
	}
	DEV_EXPECT_EQ(0, bad);

	/* random garbage pages: accepted or refused, never a crash */
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < sizeof(s.regs); j++)
			s.regs[j] = rnd();
		if (i & 1)
			lt_to_x2apic(e);
		e->apic.cfg.x2apic_format = i & 2;
		kvmx_lapic_set_state(&e->apic, &s);
		for (j = 0; j < 50; j++)
			fuzz_step(e);
		kvmx_lapic_get_state(&e->apic, &s2);
	}
}
