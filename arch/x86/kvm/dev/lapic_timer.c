// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local APIC model's timer (SDM Vol. 3A 11.5.4): one-shot, periodic
 * and TSC-deadline modes, the divide configuration, the current count,
 * and the one host timer of the glue (ops->arm/cancel, kvmx_lapic_expire).
 * The APIC bus runs at 1 / cfg.bus_cycle_ns GHz (in-tree: 1 ns per
 * cycle unless KVM_CAP_X86_APIC_BUS_CYCLES_NS changes it).  Periodic
 * deadlines advance by whole periods from the previous deadline, so a
 * late expire() never shifts the phase; periods missed entirely are
 * coalesced into the one interrupt (an IRR bit holds one instance, and
 * in-tree coalesces the same way).  Periodic mode is clamped to
 * cfg.min_period_ns (in-tree's min_timer_period_us) against a guest that
 * would flood the host with timer interrupts.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "lapic.h"

static u64 now(const struct kvmx_lapic *apic)
{
	return apic->ops->now_ns(apic->ops->opaque);
}

static void arm(struct kvmx_lapic *apic, u64 ns)
{
	apic->armed = true;
	apic->armed_ns = ns;
	apic->ops->arm(apic->ops->opaque, ns);
}

static void disarm(struct kvmx_lapic *apic)
{
	if (apic->armed)
		apic->ops->cancel(apic->ops->opaque);
	apic->armed = false;
}

static bool mode_is(const struct kvmx_lapic *apic, u32 mode)
{
	return apic->timer_mode == mode;
}

/* SDM Figure 11-10: bits 3,1:0 select divide by 2, 4, ... 128, then 1. */
static u32 tdcr_divide(u32 tdcr)
{
	u32 e = (tdcr & 3) | ((tdcr & 8) >> 1);

	return e == 7 ? 1 : 2U << e;
}

static u64 tick_ns(const struct kvmx_lapic *apic)
{
	return (u64)apic->cfg.bus_cycle_ns * apic->divide;
}

static void clamp_period(struct kvmx_lapic *apic)
{
	if (mode_is(apic, KVMX_APIC_LVTT_PERIODIC) && apic->period_ns &&
	    apic->period_ns < apic->cfg.min_period_ns)
		apic->period_ns = apic->cfg.min_period_ns;
}

void kvmx_lapic_timer_reset(struct kvmx_lapic *apic)
{
	disarm(apic);
	apic->timer_mode = KVMX_APIC_LVTT_ONESHOT;
	apic->divide = 2;
	apic->period_ns = 0;
	apic->target_ns = 0;
	apic->tscdeadline = 0;
}

/*
 * 11.5.4.1: switching into or out of TSC-deadline mode disarms the timer
 * (and, as in-tree, zeroes the initial count); one-shot <-> periodic
 * keeps counting and only changes what happens at expiry.
 */
void kvmx_lapic_timer_lvtt_written(struct kvmx_lapic *apic)
{
	u32 mode = kvmx_lapic_reg(apic, KVMX_APIC_LVTT) &
		   KVMX_APIC_LVTT_MODE_MASK;

	if (mode == apic->timer_mode)
		return;
	if (mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE) !=
	    (mode == KVMX_APIC_LVTT_TSCDEADLINE)) {
		disarm(apic);
		kvmx_lapic_set_reg(apic, KVMX_APIC_TMICT, 0);
		apic->period_ns = 0;
		apic->tscdeadline = 0;
	}
	apic->timer_mode = mode;
	clamp_period(apic);
}

/* Count from now: the first expiry @first_ns away (0: not armed). */
static void start_count(struct kvmx_lapic *apic, u64 first_ns)
{
	apic->target_ns = now(apic) + first_ns;
	if (first_ns)
		arm(apic, apic->target_ns);
}

/* 11.5.4: writing the initial count (re)starts the count; 0 stops it. */
void kvmx_lapic_timer_set_tmict(struct kvmx_lapic *apic, u32 val)
{
	/* 11.5.4.1: ignored in TSC-deadline mode */
	if (mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE))
		return;
	disarm(apic);
	kvmx_lapic_set_reg(apic, KVMX_APIC_TMICT, val);
	apic->period_ns = val * tick_ns(apic);
	clamp_period(apic);
	start_count(apic, apic->period_ns);
}

/* A new divisor while counting rescales the time left (as in-tree). */
void kvmx_lapic_timer_tdcr_written(struct kvmx_lapic *apic)
{
	u32 old = apic->divide, div;
	u64 n, left = 0;

	div = tdcr_divide(kvmx_lapic_reg(apic, KVMX_APIC_TDCR));
	apic->divide = div;
	if (div == old || !apic->armed ||
	    mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE))
		return;
	n = now(apic);
	if (apic->target_ns > n)
		left = apic->target_ns - n;
	left = left / old * div + left % old * div / old;
	apic->period_ns = kvmx_lapic_reg(apic, KVMX_APIC_TMICT) * tick_ns(apic);
	clamp_period(apic);
	disarm(apic);
	apic->target_ns = n + left;
	arm(apic, apic->target_ns);
}

/*
 * 11.5.4: the current count, from the time left to the next expiry.  It
 * drops by one per whole tick elapsed and reaches 0 at the expiry, so a
 * partial tick rounds up (in-tree rounds down, a difference of one count
 * inside a tick that no guest can rely on).
 */
u32 kvmx_lapic_timer_current(struct kvmx_lapic *apic)
{
	u32 tmict = kvmx_lapic_reg(apic, KVMX_APIC_TMICT);
	u64 n, left, count;

	if (mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE) || !tmict ||
	    !apic->period_ns || !apic->armed)
		return 0;
	n = now(apic);
	if (n < apic->target_ns)
		left = apic->target_ns - n;
	else if (mode_is(apic, KVMX_APIC_LVTT_PERIODIC))
		/* expiry due but not yet processed: the count has reloaded */
		left = apic->period_ns -
		       (n - apic->target_ns) % apic->period_ns;
	else
		return 0;
	count = (left + tick_ns(apic) - 1) / tick_ns(apic);
	return count > tmict ? tmict : count;
}

static void fire(struct kvmx_lapic *apic)
{
	kvmx_lapic_local_deliver(apic, KVMX_LVT_TIMER);
}

void kvmx_lapic_expire(struct kvmx_lapic *apic, u64 now_ns)
{
	u64 missed;

	if (!apic->armed)
		return;
	if (now_ns < apic->armed_ns) {
		/* early: the glue's timer may be coarser than ours */
		arm(apic, apic->armed_ns);
		return;
	}
	apic->armed = false;
	if (mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE)) {
		/* 11.5.4.1: the timer disarms and the MSR reads 0 again */
		apic->tscdeadline = 0;
		fire(apic);
		return;
	}
	fire(apic);
	if (mode_is(apic, KVMX_APIC_LVTT_PERIODIC) && apic->period_ns) {
		missed = (now_ns - apic->target_ns) / apic->period_ns;
		apic->target_ns += (missed + 1) * apic->period_ns;
		arm(apic, apic->target_ns);
	}
}

u64 kvmx_lapic_tscdeadline_read(const struct kvmx_lapic *apic)
{
	if (!kvmx_lapic_hw_enabled(apic) ||
	    !mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE))
		return 0;
	return apic->tscdeadline;
}

static void start_tscdeadline(struct kvmx_lapic *apic)
{
	u64 ns;

	if (!apic->tscdeadline)
		return;
	ns = apic->ops->tsc_to_ns(apic->ops->opaque, apic->tscdeadline);
	if (ns > now(apic)) {
		arm(apic, ns);
		return;
	}
	/* a deadline already passed fires at once */
	apic->tscdeadline = 0;
	fire(apic);
}

void kvmx_lapic_tscdeadline_write(struct kvmx_lapic *apic, u64 tsc)
{
	if (!kvmx_lapic_hw_enabled(apic) ||
	    !mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE))
		return;
	disarm(apic);
	apic->tscdeadline = tsc;
	start_tscdeadline(apic);
}

/*
 * After KVM_SET_LAPIC: the mode and divisor from the new LVTT and TDCR,
 * and the count resumed with @tmcct left (in-tree: TMCCT 0 or above the
 * initial count restarts a full period).  Unlike in-tree a one-shot timer
 * saved after it fired (TMCCT 0) is not fired a second time.  A
 * TSC-deadline timer keeps its deadline if the mode stays TSC-deadline.
 */
void kvmx_lapic_timer_restore(struct kvmx_lapic *apic, u32 tmcct)
{
	u32 mode = kvmx_lapic_reg(apic, KVMX_APIC_LVTT) &
		   KVMX_APIC_LVTT_MODE_MASK;
	u32 tmict = kvmx_lapic_reg(apic, KVMX_APIC_TMICT);
	u64 first;

	disarm(apic);
	if (mode != KVMX_APIC_LVTT_TSCDEADLINE ||
	    !mode_is(apic, KVMX_APIC_LVTT_TSCDEADLINE))
		apic->tscdeadline = 0;
	apic->timer_mode = mode;
	apic->divide = tdcr_divide(kvmx_lapic_reg(apic, KVMX_APIC_TDCR));
	apic->period_ns = 0;
	apic->target_ns = 0;
	if (mode == KVMX_APIC_LVTT_TSCDEADLINE) {
		if (kvmx_lapic_hw_enabled(apic))
			start_tscdeadline(apic);
		return;
	}
	if (mode != KVMX_APIC_LVTT_ONESHOT && mode != KVMX_APIC_LVTT_PERIODIC)
		return;
	apic->period_ns = tmict * tick_ns(apic);
	clamp_period(apic);
	first = tmcct * tick_ns(apic);
	if (!tmcct && mode == KVMX_APIC_LVTT_ONESHOT)
		return;
	if (!tmcct || first > apic->period_ns)
		first = apic->period_ns;
	start_count(apic, first);
}
