// SPDX-License-Identifier: GPL-2.0-only
/*
 * The 8254 interval timer: counting in the six modes, the control word
 * with counter latch and read-back commands, the byte flip-flops, gates,
 * counter 0's IRQ0 edges with KVM's reinjection policy, port 0x61 and the
 * KVM_GET/SET_PIT2 state.  Section names in the comments are those of the
 * Intel 8254 datasheet (order number 231164).  pit.h is the interface.
 *
 * A counter is not stepped: its value and OUT are computed from the ticks
 * of the 1193182 Hz clock elapsed since counting started
 * (count_load_time), floor(ns * f / 1e9).  An event at tick t is due at
 * the first nanosecond whose floor reaches t, ceil(t * 1e9 / f), so the
 * count the guest reads when an IRQ0 edge is delivered has just reached
 * that edge, and deadlines computed from the tick index never drift.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "pit.h"

#define NSEC_PER_SEC_ULL	1000000000ULL

/* Control word fields ("Control Word Format"). */
#define CW_SC_SHIFT		6
#define CW_RW_SHIFT		4
#define CW_MODE_SHIFT		1
#define CW_BCD			0x01
#define CW_READ_BACK		3
/* Read-back command: D5 = /COUNT, D4 = /STATUS, D3-D1 = counters 2-0. */
#define RB_NO_COUNT		0x20
#define RB_NO_STATUS		0x10
/* Status byte ("Read-Back Command", status format). */
#define ST_OUTPUT		0x80
#define ST_NULL_COUNT		0x40

static u64 ns_to_ticks(u64 ns)
{
	return ns / NSEC_PER_SEC_ULL * KVMX_PIT_FREQ_HZ +
	       ns % NSEC_PER_SEC_ULL * KVMX_PIT_FREQ_HZ / NSEC_PER_SEC_ULL;
}

/* The first nanosecond at which ns_to_ticks() reaches @t. */
static u64 ticks_to_ns(u64 t)
{
	return t / KVMX_PIT_FREQ_HZ * NSEC_PER_SEC_ULL +
	       (t % KVMX_PIT_FREQ_HZ * NSEC_PER_SEC_ULL + KVMX_PIT_FREQ_HZ - 1) /
	       KVMX_PIT_FREQ_HZ;
}

static u64 now(struct kvmx_pit *pit)
{
	return pit->ops->now_ns(pit->opaque);
}

/* The counter wraps at 2^16 in binary and at 10^4 in BCD. */
static u32 modulus(const struct kvmx_pit_channel *c)
{
	return c->s.bcd ? 10000 : 0x10000;
}

static u32 bcd_to_bin(u32 v)
{
	return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
	       ((v >> 12) & 0xf) * 1000;
}

static u32 bin_to_bcd(u32 v)
{
	return v % 10 | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
	       (v / 1000 % 10) << 12;
}

/*
 * The initial count N as a number of clock ticks: a written 0 means the
 * maximum, 2^16 or 10^4 ("Counter Operation", initial count 0).
 */
static u32 initial(const struct kvmx_pit_channel *c)
{
	u32 n;

	if (c->s.count >= 0x10000)
		return modulus(c);
	n = c->s.bcd ? bcd_to_bin(c->s.count) : c->s.count;
	return n ? n : modulus(c);
}

static bool valid_mode(u8 mode)
{
	return mode <= 5;
}

static bool periodic(u8 mode)
{
	return mode == 2 || mode == 3;
}

/* Modes in which a low gate suspends counting ("Gate" table). */
static bool gate_stops(u8 mode)
{
	return mode == 0 || mode == 2 || mode == 3 || mode == 4;
}

static u64 elapsed(const struct kvmx_pit_channel *c, u64 t)
{
	s64 load = c->s.count_load_time;

	if (c->frozen)
		return c->frozen_ticks;
	if ((s64)t <= load)
		return 0;
	return ns_to_ticks(t - load);
}

/* The value in the counting element at @t, as the bus would show it. */
static u32 get_count(const struct kvmx_pit_channel *c, u64 t)
{
	u32 n = initial(c), m = modulus(c), v, p, high;
	u64 d;

	if (c->idle || c->waiting || !valid_mode(c->s.mode)) {
		v = n;
		goto out;
	}
	d = elapsed(c, t);
	switch (c->s.mode) {
	case 2:
		/* N, N-1, ..., 1, then reloaded with N */
		v = n - d % n;
		break;
	case 3:
		/*
		 * Square wave: decrements by two, reloading at each half.
		 * For odd N the high half is (N+1)/2 ticks (N, N-1, N-3,
		 * ..., 2) and the low half (N-1)/2 (N, N-3, ..., 2).
		 */
		p = d % n;
		if (!(n & 1)) {
			v = n - 2 * (p % (n / 2));
			break;
		}
		high = (n + 1) / 2;
		if (p >= high)
			p -= high;	/* the low half restarts from N */
		v = p ? n - 1 - 2 * (p - 1) : n;
		if (p && d % n >= high)
			v -= 2;		/* it starts by taking away three */
		break;
	default:
		/* one-shot modes count on past zero, wrapping */
		v = (n + m - d % m) % m;
		break;
	}
out:
	v %= m;
	return c->s.bcd ? bin_to_bcd(v) : v;
}

/* The OUT pin at @t ("Mode Definitions"). */
static bool get_out(const struct kvmx_pit_channel *c, u64 t)
{
	u32 n = initial(c);
	u64 d;

	if (!valid_mode(c->s.mode))
		return false;
	if (c->idle)
		return c->s.mode != 0;	/* mode 0 starts low, others high */
	if (c->waiting)
		return true;
	if (periodic(c->s.mode) && !c->s.gate)
		return true;		/* a low gate forces OUT high */
	d = elapsed(c, t);
	switch (c->s.mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return d % n != n - 1;
	case 3:
		return d % n < (n + 1) / 2;
	default:
		return d != n;		/* modes 4, 5: low for one tick */
	}
}

/* ---- counter 0 and IRQ0 ---- */

/* The IRQ0 interval of a periodic counter 0 in ticks. */
static u64 period_ticks(const struct kvmx_pit *pit)
{
	u64 p = initial(&pit->ch[0]), min = ns_to_ticks(pit->min_period_ns);

	if (ticks_to_ns(min) < pit->min_period_ns)
		min++;
	return p > min ? p : min;
}

/*
 * The tick (from count_load_time) of counter 0's rising OUT edge number
 * @idx (from 1): every period in modes 2 and 3 (the reload), once at the
 * terminal count in modes 0 and 1, and one tick after it in modes 4 and
 * 5, where OUT was low for that tick.  False when there is none.
 */
static bool edge_tick(const struct kvmx_pit *pit, u64 idx, u64 *tick)
{
	const struct kvmx_pit_channel *c = &pit->ch[0];

	if (periodic(c->s.mode)) {
		*tick = idx * period_ticks(pit);
		return true;
	}
	if (idx != 1)
		return false;
	*tick = initial(c) + (c->s.mode >= 4);
	return true;
}

static bool irq0_running(const struct kvmx_pit *pit)
{
	const struct kvmx_pit_channel *c = &pit->ch[0];

	return !(pit->flags & KVM_PIT_FLAGS_HPET_LEGACY) &&
	       valid_mode(c->s.mode) && !c->idle && !c->waiting && !c->frozen;
}

/* Arms the event for counter 0's next edge, or cancels it. */
static void irq0_schedule(struct kvmx_pit *pit)
{
	s64 load = pit->ch[0].s.count_load_time, deadline;
	u64 tick;

	if (!irq0_running(pit) || !edge_tick(pit, pit->next_edge, &tick)) {
		if (pit->timer_on)
			pit->ops->cancel(pit->opaque);
		pit->timer_on = false;
		return;
	}
	deadline = load + (s64)ticks_to_ns(tick);
	pit->timer_on = true;
	pit->ops->arm(pit->opaque, deadline > 0 ? deadline : 0);
}

/* The edge to deliver first after counter 0 was (re)started at @t. */
static void irq0_restart(struct kvmx_pit *pit, u64 t)
{
	const struct kvmx_pit_channel *c = &pit->ch[0];
	u64 e = elapsed(c, t), tick;

	if (periodic(c->s.mode))
		pit->next_edge = e / period_ticks(pit) + 1;
	else
		pit->next_edge = edge_tick(pit, 1, &tick) && e >= tick ? 2 : 1;
}

static void drop_backlog(struct kvmx_pit *pit)
{
	pit->pending = 0;
	pit->awaiting_ack = false;
}

/*
 * Sends the IRQ0 pulses that are due: with reinjection one queued tick
 * when the previous one was acked, without it the one merged tick.  An
 * ack arriving from inside set_irq0 is picked up by this loop rather than
 * by a nested call.
 */
static void irq0_deliver(struct kvmx_pit *pit)
{
	if (pit->delivering)
		return;
	pit->delivering = true;
	while (pit->pending && !(pit->reinject && pit->awaiting_ack)) {
		if (pit->reinject) {
			pit->pending--;
			pit->awaiting_ack = true;
		} else {
			pit->pending = 0;
		}
		pit->delivered++;
		pit->ops->set_irq0(pit->opaque, 1);
		pit->ops->set_irq0(pit->opaque, 0);
	}
	pit->delivering = false;
}

void kvmx_pit_expire(struct kvmx_pit *pit, u64 now_ns)
{
	const struct kvmx_pit_channel *c = &pit->ch[0];
	u64 due = 0, e, last, tick;

	if (!pit->timer_on)
		return;
	pit->timer_on = false;
	if (!irq0_running(pit))
		return;
	e = elapsed(c, now_ns);
	if (periodic(c->s.mode)) {
		last = e / period_ticks(pit);
		if (last >= pit->next_edge) {
			due = last - pit->next_edge + 1;
			pit->next_edge = last + 1;
		}
	} else if (edge_tick(pit, pit->next_edge, &tick) && e >= tick) {
		due = 1;
		pit->next_edge++;
	}
	if (due) {
		pit->lost_ticks += due - 1;
		if (!pit->reinject)
			pit->pending = 1;
		else if (pit->pending > (u32)~0u - due)
			pit->pending = (u32)~0u;
		else
			pit->pending += due;
		irq0_deliver(pit);
	}
	irq0_schedule(pit);
}

void kvmx_pit_irq0_acked(struct kvmx_pit *pit)
{
	if (!pit->reinject)
		return;
	pit->awaiting_ack = false;
	irq0_deliver(pit);
}

void kvmx_pit_irq0_mask(struct kvmx_pit *pit, bool masked)
{
	if (!masked)
		drop_backlog(pit);
}

void kvmx_pit_set_reinject(struct kvmx_pit *pit, bool reinject)
{
	if (pit->reinject == reinject)
		return;
	pit->reinject = reinject;
	drop_backlog(pit);
}

u32 kvmx_pit_pending(const struct kvmx_pit *pit)
{
	return pit->pending;
}

u64 kvmx_pit_lost_ticks(const struct kvmx_pit *pit)
{
	return pit->lost_ticks;
}

void kvmx_pit_set_min_period(struct kvmx_pit *pit, u64 ns)
{
	pit->min_period_ns = ns;
	if (pit->timer_on)
		irq0_schedule(pit);
}

/* ---- programming ---- */

/*
 * A complete initial count was written: counting starts now in modes 0,
 * 2, 3 and 4 (suspended while the gate is low), at the next gate trigger
 * in modes 1 and 5.  A new count restarts the counter at once in every
 * mode; the datasheet defers it to the end of the period in modes 2 and 3
 * and to the next trigger in 1 and 5, which in-tree KVM does not model
 * either.
 */
static void load_count(struct kvmx_pit *pit, unsigned int ch, u32 val)
{
	struct kvmx_pit_channel *c = &pit->ch[ch];
	u64 t = now(pit);

	c->s.count = val ? val : 0x10000;
	c->s.count_load_time = t;
	c->idle = false;
	c->waiting = c->s.mode == 1 || c->s.mode == 5;
	c->frozen = !c->waiting && !c->s.gate && gate_stops(c->s.mode);
	c->frozen_ticks = 0;
	if (ch == 0) {
		drop_backlog(pit);
		pit->next_edge = 1;
		irq0_schedule(pit);
	}
}

static void latch_count(struct kvmx_pit *pit, unsigned int ch)
{
	struct kvmx_pit_channel *c = &pit->ch[ch];

	/* a second latch before the first was read is ignored */
	if (c->s.count_latched)
		return;
	c->s.latched_count = get_count(c, now(pit));
	c->s.count_latched = c->s.rw_mode ? c->s.rw_mode : KVMX_PIT_RW_LSB;
}

static void latch_status(struct kvmx_pit *pit, unsigned int ch)
{
	struct kvmx_pit_channel *c = &pit->ch[ch];
	u8 mode = valid_mode(c->s.mode) ? c->s.mode : 0;

	if (c->s.status_latched)
		return;
	c->s.status = (get_out(c, now(pit)) ? ST_OUTPUT : 0) |
		      (c->idle || c->waiting ? ST_NULL_COUNT : 0) |
		      c->s.rw_mode << CW_RW_SHIFT | mode << CW_MODE_SHIFT |
		      c->s.bcd;
	c->s.status_latched = 1;
}

static void write_control(struct kvmx_pit *pit, u8 val)
{
	unsigned int ch = val >> CW_SC_SHIFT, rw = (val >> CW_RW_SHIFT) & 3;
	struct kvmx_pit_channel *c;

	if (ch == CW_READ_BACK) {
		for (ch = 0; ch < 3; ch++) {
			if (!(val & (2u << ch)))
				continue;
			if (!(val & RB_NO_COUNT))
				latch_count(pit, ch);
			if (!(val & RB_NO_STATUS))
				latch_status(pit, ch);
		}
		return;
	}
	if (!rw) {
		latch_count(pit, ch);	/* counter latch command */
		return;
	}
	/*
	 * A control word resets the counter's logic: OUT goes to its
	 * initial state, counting stops until a count is written, and the
	 * byte flip-flops restart ("Write Operations").  Modes 6 and 7 are
	 * modes 2 and 3 (X10, X11).
	 */
	c = &pit->ch[ch];
	c->s.rw_mode = rw;
	c->s.read_state = rw;
	c->s.write_state = rw;
	c->s.mode = (val >> CW_MODE_SHIFT) & 7;
	if (c->s.mode > 5)
		c->s.mode -= 4;
	c->s.bcd = val & CW_BCD;
	c->idle = true;
	c->waiting = false;
	c->frozen = false;
	if (ch == 0)
		irq0_schedule(pit);
}

static void write_counter(struct kvmx_pit *pit, unsigned int ch, u8 val)
{
	struct kvm_pit_channel_state *s = &pit->ch[ch].s;

	switch (s->write_state) {
	case KVMX_PIT_RW_MSB:
		load_count(pit, ch, val << 8);
		break;
	case KVMX_PIT_RW_WORD0:
		s->write_latch = val;
		s->write_state = KVMX_PIT_RW_WORD1;
		break;
	case KVMX_PIT_RW_WORD1:
		s->write_state = KVMX_PIT_RW_WORD0;
		load_count(pit, ch, s->write_latch | val << 8);
		break;
	default:	/* LSB, or never programmed */
		load_count(pit, ch, val);
		break;
	}
}

/*
 * Reads: a latched status first, then a latched count, else the live
 * count through the read flip-flop ("Read Operations").
 */
static u8 read_counter(struct kvmx_pit *pit, unsigned int ch)
{
	struct kvmx_pit_channel *c = &pit->ch[ch];
	struct kvm_pit_channel_state *s = &c->s;
	u32 count;

	if (s->status_latched) {
		s->status_latched = 0;
		return s->status;
	}
	switch (s->count_latched) {
	case KVMX_PIT_RW_LSB:
		s->count_latched = 0;
		return s->latched_count;
	case KVMX_PIT_RW_MSB:
		s->count_latched = 0;
		return s->latched_count >> 8;
	case KVMX_PIT_RW_WORD0:
		s->count_latched = KVMX_PIT_RW_MSB;
		return s->latched_count;
	}
	count = get_count(c, now(pit));
	switch (s->read_state) {
	case KVMX_PIT_RW_MSB:
		return count >> 8;
	case KVMX_PIT_RW_WORD0:
		s->read_state = KVMX_PIT_RW_WORD1;
		return count;
	case KVMX_PIT_RW_WORD1:
		s->read_state = KVMX_PIT_RW_WORD0;
		return count >> 8;
	default:
		return count;
	}
}

int kvmx_pit_read(struct kvmx_pit *pit, u16 port, u8 *val)
{
	if (port < KVMX_PIT_PORT_BASE || port > KVMX_PIT_PORT_BASE + 3)
		return -EOPNOTSUPP;
	port -= KVMX_PIT_PORT_BASE;
	/* the control word register is write-only (0, as in-tree KVM) */
	*val = port == 3 ? 0 : read_counter(pit, port);
	return 0;
}

int kvmx_pit_write(struct kvmx_pit *pit, u16 port, u8 val)
{
	if (port < KVMX_PIT_PORT_BASE || port > KVMX_PIT_PORT_BASE + 3)
		return -EOPNOTSUPP;
	port -= KVMX_PIT_PORT_BASE;
	if (port == 3)
		write_control(pit, val);
	else
		write_counter(pit, port, val);
	return 0;
}

/*
 * The gate ("Gate" table): in modes 0 and 4 a low gate suspends counting;
 * in modes 2 and 3 it also forces OUT high and its rising edge restarts
 * the count; in modes 1 and 5 only the rising edge matters: it (re)starts
 * the count.
 */
int kvmx_pit_set_gate(struct kvmx_pit *pit, unsigned int channel, int level)
{
	struct kvmx_pit_channel *c;
	u64 t;

	if (channel > 2)
		return -EINVAL;
	c = &pit->ch[channel];
	level = !!level;
	if (c->s.gate == level)
		return 0;
	c->s.gate = level;
	if (c->idle || !valid_mode(c->s.mode))
		return 0;
	t = now(pit);
	if (gate_stops(c->s.mode) && !level) {
		c->frozen_ticks = elapsed(c, t);
		c->frozen = true;
	} else if (c->s.mode == 0 || c->s.mode == 4) {
		/* resume where it stopped */
		c->s.count_load_time = t - ticks_to_ns(c->frozen_ticks);
		c->frozen = false;
	} else if (level) {
		c->s.count_load_time = t;
		c->frozen = false;
		c->waiting = false;
		if (channel == 0)
			pit->next_edge = 1;
	}
	if (channel == 0)
		irq0_schedule(pit);
	return 0;
}

u8 kvmx_pit_speaker_read(struct kvmx_pit *pit)
{
	u64 t = now(pit);

	/* in-tree KVM's stand-in for the ~15 us refresh request toggle */
	return (pit->ch[2].s.gate ? KVMX_PIT_SPK_GATE2 : 0) |
	       (pit->flags & KVM_PIT_FLAGS_SPEAKER_DATA_ON ?
		KVMX_PIT_SPK_DATA : 0) |
	       ((t >> 14) & 1 ? KVMX_PIT_SPK_REFRESH : 0) |
	       (get_out(&pit->ch[2], t) ? KVMX_PIT_SPK_OUT2 : 0);
}

void kvmx_pit_speaker_write(struct kvmx_pit *pit, u8 val)
{
	if (val & KVMX_PIT_SPK_DATA)
		pit->flags |= KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	else
		pit->flags &= ~KVM_PIT_FLAGS_SPEAKER_DATA_ON;
	kvmx_pit_set_gate(pit, 2, val & KVMX_PIT_SPK_GATE2);
}

/* ---- state ---- */

void kvmx_pit_get_state(struct kvmx_pit *pit, struct kvm_pit_state2 *state)
{
	u64 t = now(pit);
	unsigned int i;

	memset(state, 0, sizeof(*state));
	for (i = 0; i < 3; i++) {
		const struct kvmx_pit_channel *c = &pit->ch[i];

		state->channels[i] = c->s;
		/* a stopped counter as if it had counted up to now */
		if (c->frozen)
			state->channels[i].count_load_time =
				t - ticks_to_ns(c->frozen_ticks);
	}
	state->flags = pit->flags;
}

static bool channel_ok(const struct kvm_pit_channel_state *s)
{
	return (valid_mode(s->mode) || s->mode == KVMX_PIT_MODE_NONE) &&
	       s->rw_mode <= 3 && s->read_state <= KVMX_PIT_RW_WORD1 &&
	       s->write_state <= KVMX_PIT_RW_WORD1 && s->count_latched <= 3 &&
	       s->status_latched <= 1 && s->bcd <= 1 && s->gate <= 1 &&
	       s->count && s->count <= 0x10000;
}

int kvmx_pit_set_state(struct kvmx_pit *pit,
		       const struct kvm_pit_state2 *state)
{
	u64 t = now(pit);
	unsigned int i;

	if (state->flags & ~(KVM_PIT_FLAGS_HPET_LEGACY |
			     KVM_PIT_FLAGS_SPEAKER_DATA_ON))
		return -EINVAL;
	for (i = 0; i < 3; i++)
		if (!channel_ok(&state->channels[i]))
			return -EINVAL;
	for (i = 0; i < 3; i++) {
		struct kvmx_pit_channel *c = &pit->ch[i];

		c->s = state->channels[i];
		if (c->s.count_load_time > (s64)t)
			c->s.count_load_time = t;
		c->idle = false;
		c->waiting = false;
		c->frozen = false;
		if (!c->s.gate && gate_stops(c->s.mode)) {
			c->frozen_ticks = elapsed(c, t);
			c->frozen = true;
		}
	}
	pit->flags = state->flags;
	drop_backlog(pit);
	irq0_restart(pit, t);
	irq0_schedule(pit);
	return 0;
}

void kvmx_pit_reset(struct kvmx_pit *pit)
{
	u64 t = now(pit);
	unsigned int i;

	if (pit->timer_on)
		pit->ops->cancel(pit->opaque);
	pit->timer_on = false;
	for (i = 0; i < 3; i++) {
		struct kvmx_pit_channel *c = &pit->ch[i];

		memset(c, 0, sizeof(*c));
		c->s.mode = KVMX_PIT_MODE_NONE;
		c->s.count = 0x10000;
		c->s.gate = i != 2;
		c->s.count_load_time = t;
	}
	pit->flags = 0;
	pit->next_edge = 1;
	drop_backlog(pit);
}

void kvmx_pit_init(struct kvmx_pit *pit, const struct kvmx_pit_ops *ops,
		   void *opaque)
{
	memset(pit, 0, sizeof(*pit));
	pit->ops = ops;
	pit->opaque = opaque;
	pit->reinject = true;
	kvmx_pit_reset(pit);
}
