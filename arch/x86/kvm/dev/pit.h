/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PC's 8254 programmable interval timer as a pure device model (Intel
 * 8254 datasheet, order number 231164): three counters clocked at
 * 1193182 Hz behind ports 0x40-0x43, with counter 2's gate and output on
 * port 0x61 (the speaker port, as far as in-tree KVM's dummy speaker goes)
 * and counter 0 driving IRQ0, with KVM's reinjection policy for ticks
 * the guest has not taken yet, and the KVM_GET/SET_PIT2 state.  This
 * header is the whole interface for the kernel glue.
 *
 * Time: every count is computed from the nanoseconds elapsed since it was
 * loaded, read through ops->now_ns (a monotonic clock: in the kernel
 * ktime_get(), which is also what in-tree KVM keeps in count_load_time).
 * Counter 0's output edges are timer events: the model asks for one with
 * ops->arm(deadline) (absolute, same clock; replaces any armed one) or
 * drops it with ops->cancel(), and the glue calls kvmx_pit_expire() when
 * the deadline has passed: late is fine (missed edges are counted, the
 * schedule does not drift), early is harmless (re-armed).
 *
 * Locking and context: the glue serialises every call into one PIT.  The
 * ops are called with that lock held and must not call back into the PIT
 * synchronously; set_irq0 goes to the PIC/IOAPIC, whose EOI later calls
 * kvmx_pit_irq0_acked() (defer that until the locks are dropped; the
 * model tolerates re-entry there, but the glue's locks may not).
 * Nothing here sleeps or allocates; kvmx_pit_init() sets every field.
 */
#ifndef KVMX_DEV_PIT_H
#define KVMX_DEV_PIT_H

#include <linux/types.h>
#include <linux/stddef.h>
#include "../../../../include/uapi/linux/kvm.h"

#define KVMX_PIT_FREQ_HZ	1193182ULL

/* Ports: counters 0-2 and the control word at 0x40-0x43; 0x61. */
#define KVMX_PIT_PORT_BASE	0x40
#define KVMX_PIT_PORT_SPEAKER	0x61

/* Port 0x61 bits the PIT owns (read: all four; write: gate and data). */
#define KVMX_PIT_SPK_GATE2	0x01
#define KVMX_PIT_SPK_DATA	0x02
#define KVMX_PIT_SPK_REFRESH	0x10
#define KVMX_PIT_SPK_OUT2	0x20

/* read_state / write_state / count_latched values (in-tree KVM's). */
#define KVMX_PIT_RW_LSB		1
#define KVMX_PIT_RW_MSB		2
#define KVMX_PIT_RW_WORD0	3
#define KVMX_PIT_RW_WORD1	4

/* mode of a counter never programmed since reset (as in-tree KVM). */
#define KVMX_PIT_MODE_NONE	0xff

struct kvmx_pit_ops {
	u64 (*now_ns)(void *opaque);
	/* Call kvmx_pit_expire() at or after @deadline_ns. */
	void (*arm)(void *opaque, u64 deadline_ns);
	void (*cancel)(void *opaque);
	/*
	 * Counter 0's output to IRQ0: GSI 0, which the default routing
	 * sends to PIC input 0 and IOAPIC pin 0 (QEMU's table moves it to
	 * pin 2); each edge is delivered as set 1 then set 0.
	 */
	void (*set_irq0)(void *opaque, int level);
};

struct kvmx_pit_channel {
	/*
	 * The ABI fields in in-tree KVM's meanings: count is the initial
	 * count as written (0 stored as 0x10000; BCD digits when bcd),
	 * count_load_time the clock value at which counting started (for
	 * a stopped counter, see below).
	 */
	struct kvm_pit_channel_state s;
	/* control word written, no count yet: not counting, null count */
	bool idle;
	/* modes 1 and 5: count written, waiting for a gate trigger */
	bool waiting;
	/* gate low in modes 0, 2, 3, 4: counting stopped at frozen_ticks */
	bool frozen;
	u64 frozen_ticks;
};

struct kvmx_pit {
	struct kvmx_pit_channel ch[3];
	u32 flags;		/* KVM_PIT_FLAGS_* of struct kvm_pit_state2 */

	/* counter 0's IRQ0 schedule */
	bool timer_on;		/* an event is armed */
	u64 next_edge;		/* index (from 1) of the next output edge */
	u64 min_period_ns;	/* shortest periodic IRQ0 interval allowed */

	/* reinjection (KVM_REINJECT_CONTROL) */
	bool reinject;
	bool awaiting_ack;	/* a tick was delivered and not acked yet */
	u32 pending;		/* ticks due and not delivered yet */
	bool delivering;	/* inside irq0 delivery (re-entry guard) */
	u64 lost_ticks;		/* edges found late by kvmx_pit_expire() */
	u64 delivered;		/* IRQ0 pulses sent */

	const struct kvmx_pit_ops *ops;
	void *opaque;
};

/*
 * Creation state as KVM_CREATE_PIT2 leaves it: every counter unprogrammed
 * (mode 0xff, count 0x10000), gates of counters 0 and 1 high (tied high
 * in a PC) and of counter 2 low, flags 0, reinjection on, no minimum
 * period.  Sets every field.  kvmx_pit_reset() does the same again,
 * keeping ops, reinject policy and minimum period.
 */
void kvmx_pit_init(struct kvmx_pit *pit, const struct kvmx_pit_ops *ops,
		   void *opaque);
void kvmx_pit_reset(struct kvmx_pit *pit);

/*
 * Periodic IRQ0 edges (modes 2 and 3) come no faster than every @ns (the
 * glue passes in-tree's min_timer_period_us * 1000 so that a guest cannot
 * flood the host with timer events); counts read back are not affected.
 */
void kvmx_pit_set_min_period(struct kvmx_pit *pit, u64 ns);

/*
 * Guest byte accesses to ports 0x40-0x43 (@port is the absolute port).
 * Return 0, or -EOPNOTSUPP for another port.  Reading 0x43 returns 0.
 */
int kvmx_pit_read(struct kvmx_pit *pit, u16 port, u8 *val);
int kvmx_pit_write(struct kvmx_pit *pit, u16 port, u8 val);

/*
 * Port 0x61 as in-tree KVM emulates it when KVM_CREATE_PIT2 was given
 * KVM_PIT_SPEAKER_DUMMY (the glue registers the port only then; without
 * it port 0x61 exits to userspace): reads return gate 2 (bit 0), speaker
 * data (bit 1, the KVM_PIT_FLAGS_SPEAKER_DATA_ON flag), a refresh bit
 * toggling every 2^14 ns (bit 4) and OUT2 (bit 5); writes set gate 2 from
 * bit 0 and the speaker data flag from bit 1.
 */
u8 kvmx_pit_speaker_read(struct kvmx_pit *pit);
void kvmx_pit_speaker_write(struct kvmx_pit *pit, u8 val);

/* Gate input of counter @channel (0..2) to @level; -EINVAL otherwise. */
int kvmx_pit_set_gate(struct kvmx_pit *pit, unsigned int channel, int level);

/* The timer armed through ops->arm fired at @now_ns (maybe late). */
void kvmx_pit_expire(struct kvmx_pit *pit, u64 now_ns);

/*
 * The guest acknowledged IRQ0 (the glue's ack notifier on GSI 0: the PIC's
 * or IOAPIC's EOI of the pin it is routed to).  With reinjection on, the next queued tick is
 * delivered now.
 */
void kvmx_pit_irq0_acked(struct kvmx_pit *pit);

/*
 * IRQ0 was masked or unmasked at the PIC/IOAPIC (mask notifier): on
 * unmask the backlog of queued ticks is dropped, as in-tree KVM does, so
 * an unmask does not release a burst.
 */
void kvmx_pit_irq0_mask(struct kvmx_pit *pit, bool masked);

/*
 * KVM_REINJECT_CONTROL: on, every tick is delivered, one at a time, each
 * after the previous one was acked; off, ticks that come due while one is
 * outstanding or that expire() finds late are merged into one.  Switching
 * drops the backlog.
 */
void kvmx_pit_set_reinject(struct kvmx_pit *pit, bool reinject);

/* Counters for the glue's statistics and the tests. */
u32 kvmx_pit_pending(const struct kvmx_pit *pit);
u64 kvmx_pit_lost_ticks(const struct kvmx_pit *pit);

/*
 * KVM_GET_PIT2 / KVM_SET_PIT2 (KVM_GET/SET_PIT: the glue converts, keeping
 * flags).  Set returns -EINVAL, changing nothing, for a state in-tree KVM
 * cannot produce (mode not 0-5 or 0xff, rw_mode > 3, read/write_state >
 * 4, count_latched > 3, status_latched/bcd/gate > 1, count 0 or above
 * 0x10000, unknown flags).  Unlike in-tree KVM, which restarts every
 * counter from its initial count on SET, count_load_time is honoured, so
 * a counter goes on where it was (a time in the future is taken as now);
 * counter 0's next IRQ0 edge follows from it (edges before now count as
 * delivered), and the reinjection backlog is dropped.
 */
void kvmx_pit_get_state(struct kvmx_pit *pit, struct kvm_pit_state2 *state);
int kvmx_pit_set_state(struct kvmx_pit *pit,
		       const struct kvm_pit_state2 *state);

#endif /* KVMX_DEV_PIT_H */
