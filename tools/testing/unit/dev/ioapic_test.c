// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the IOAPIC model (arch/x86/kvm/dev/ioapic.c): register
 * window, ID/version/arbitration, redirection table halves and read-only
 * bits, edge and level pins with remote IRR and EOI re-delivery, masking,
 * ack callbacks, the storm guard, RTC coalescing, state round trips and a
 * fuzz loop.  Expectations are hand-computed from the 82093AA datasheet
 * and in-tree KVM's documented behaviour.  Tests give pin p vector 0x40+p
 * so a delivered message names its pin.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/errno.h>
#include "devtest.h"
#include "ioapic.h"

#define BASE	KVMX_IOAPIC_DEFAULT_BASE

struct env {
	struct kvmx_ioapic io;
	struct kvmx_ioapic_ops ops;
	unsigned int delivered[KVMX_IOAPIC_NUM_PINS];	/* by vector - 0x40 */
	unsigned int nr_delivered;
	struct kvmx_irq_msg last;
	int deliver_ret;
	unsigned int acks[KVMX_IOAPIC_NUM_PINS];
	int ack_lowers;		/* pin whose line ack() lowers, or -1 */
	unsigned int mask_events;
	u64 now, armed_at;
	unsigned int arms, cancels;
};

static int t_deliver(void *opaque, const struct kvmx_irq_msg *msg)
{
	struct env *e = opaque;

	e->last = *msg;
	e->nr_delivered++;
	if (msg->vector >= 0x40 && msg->vector < 0x40 + KVMX_IOAPIC_NUM_PINS)
		e->delivered[msg->vector - 0x40]++;
	return e->deliver_ret;
}

static void t_ack(void *opaque, unsigned int pin)
{
	struct env *e = opaque;

	e->acks[pin]++;
	if (e->ack_lowers == (int)pin)
		kvmx_ioapic_set_irq(&e->io, pin, 0, false);
}

static void t_mask(void *opaque, unsigned int pin, bool masked)
{
	((struct env *)opaque)->mask_events++;
}

static u64 t_now(void *opaque)
{
	return ((struct env *)opaque)->now;
}

static void t_arm(void *opaque, u64 deadline)
{
	struct env *e = opaque;

	e->armed_at = deadline;
	e->arms++;
}

static void t_cancel(void *opaque)
{
	((struct env *)opaque)->cancels++;
}

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	e->ops.deliver = t_deliver;
	e->ops.ack = t_ack;
	e->ops.mask_changed = t_mask;
	e->ops.now_ns = t_now;
	e->ops.arm = t_arm;
	e->ops.cancel = t_cancel;
	e->ops.opaque = e;
	e->deliver_ret = 1;
	e->ack_lowers = -1;
	kvmx_ioapic_init(&e->io, &e->ops);
	return e;
}

static u32 rd(struct env *e, u64 off)
{
	u32 v = 0xdeadbeef;

	kvmx_ioapic_mmio_read(&e->io, BASE + off, 4, &v);
	return v;
}

static void wr(struct env *e, u64 off, u32 v)
{
	kvmx_ioapic_mmio_write(&e->io, BASE + off, 4, &v);
}

static u32 ind_rd(struct env *e, u32 reg)
{
	wr(e, KVMX_IOAPIC_IOREGSEL, reg);
	return rd(e, KVMX_IOAPIC_IOWIN);
}

static void ind_wr(struct env *e, u32 reg, u32 v)
{
	wr(e, KVMX_IOAPIC_IOREGSEL, reg);
	wr(e, KVMX_IOAPIC_IOWIN, v);
}

/* Program pin @pin: vector 0x40+pin, @flags in the low half, dest @dest. */
static void set_rte(struct env *e, unsigned int pin, u32 flags, u8 dest)
{
	ind_wr(e, 0x11 + 2 * pin, (u32)dest << 24);
	ind_wr(e, 0x10 + 2 * pin, (0x40 + pin) | flags);
}

#define LEVEL	((u32)KVMX_RTE_LEVEL)
#define MASKED	((u32)KVMX_RTE_MASKED)
#define RIRR	((u32)KVMX_RTE_REMOTE_IRR)

DEVTEST(ioapic_id_version_arb)
{
	struct env *e = env_new();
	unsigned int i;

	DEV_EXPECT_EQ(0x00170011, ind_rd(e, KVMX_IOAPIC_REG_VER));
	DEV_EXPECT_EQ(0, ind_rd(e, KVMX_IOAPIC_REG_ID));
	ind_wr(e, KVMX_IOAPIC_REG_ID, 0xffffffff);	/* only bits 27:24 */
	DEV_EXPECT_EQ(0x0f000000, ind_rd(e, KVMX_IOAPIC_REG_ID));
	DEV_EXPECT_EQ(0x0f000000, ind_rd(e, KVMX_IOAPIC_REG_ARB));
	ind_wr(e, KVMX_IOAPIC_REG_ID, 0x05000000);
	DEV_EXPECT_EQ(0x05000000, ind_rd(e, KVMX_IOAPIC_REG_ID));
	ind_wr(e, KVMX_IOAPIC_REG_VER, 0);		/* read-only */
	ind_wr(e, KVMX_IOAPIC_REG_ARB, 0);
	DEV_EXPECT_EQ(0x00170011, ind_rd(e, KVMX_IOAPIC_REG_VER));
	DEV_EXPECT_EQ(0x05000000, ind_rd(e, KVMX_IOAPIC_REG_ARB));
	/* registers 3-0xf are not decoded: they read as the RTE of index
	 * (sel - 0x10) >> 1 wrapped, i.e. out of range, all ones */
	DEV_EXPECT_EQ(0xffffffff, ind_rd(e, 0x03));
	/* power-on: every pin masked, everything else zero */
	for (i = 0; i < KVMX_IOAPIC_NUM_PINS; i++) {
		DEV_EXPECT_EQ(0x00010000, ind_rd(e, 0x10 + 2 * i));
		DEV_EXPECT_EQ(0, ind_rd(e, 0x11 + 2 * i));
	}
	free(e);
}

DEVTEST(ioapic_regsel_and_window)
{
	struct env *e = env_new();
	u64 v64 = ~0ULL;
	u16 v16 = 0;
	u8 v8 = 0;
	u32 v = 0x12345678;

	wr(e, KVMX_IOAPIC_IOREGSEL, 0x1234);		/* 8-bit register */
	DEV_EXPECT_EQ(0x34, rd(e, KVMX_IOAPIC_IOREGSEL));
	/* 0x34 -> pin 18's low half */
	DEV_EXPECT_EQ(0x00010000, rd(e, KVMX_IOAPIC_IOWIN));
	ind_wr(e, KVMX_IOAPIC_REG_ID, 0x0a000000);
	wr(e, KVMX_IOAPIC_IOREGSEL, KVMX_IOAPIC_REG_ID);
	kvmx_ioapic_mmio_read(&e->io, BASE + 0x10, 8, &v64);
	DEV_EXPECT_EQ(0x0a000000, v64);
	kvmx_ioapic_mmio_read(&e->io, BASE + 0x10, 2, &v16);
	DEV_EXPECT_EQ(0, v16);
	wr(e, KVMX_IOAPIC_IOREGSEL, KVMX_IOAPIC_REG_VER);
	kvmx_ioapic_mmio_read(&e->io, BASE + 0x10, 1, &v8);
	DEV_EXPECT_EQ(0x11, v8);
	/* 1- and 8-byte writes: the low byte / low 32 bits */
	v8 = 0x12;
	kvmx_ioapic_mmio_write(&e->io, BASE, 1, &v8);
	DEV_EXPECT_EQ(0x12, rd(e, 0));
	v64 = 0xffffffff00000020ULL;
	kvmx_ioapic_mmio_write(&e->io, BASE, 8, &v64);
	DEV_EXPECT_EQ(0x20, rd(e, 0));
	/* odd lengths are ignored */
	v64 = 0x10;
	kvmx_ioapic_mmio_write(&e->io, BASE, 3, &v64);
	DEV_EXPECT_EQ(0x20, rd(e, 0));
	/* other offsets read 0, writes ignored; 0x40 (EOI reg) included */
	DEV_EXPECT_EQ(0, rd(e, 0x40));
	DEV_EXPECT_EQ(0, rd(e, 0x04));
	DEV_EXPECT_EQ(0, rd(e, 0xfc));
	wr(e, 0x40, 0x40);
	wr(e, 0x04, 0x55);
	DEV_EXPECT_EQ(0x20, rd(e, 0));
	/* outside the window */
	DEV_EXPECT_EQ(-EOPNOTSUPP,
		      kvmx_ioapic_mmio_read(&e->io, BASE + 0x100, 4, &v));
	DEV_EXPECT_EQ(-EOPNOTSUPP,
		      kvmx_ioapic_mmio_write(&e->io, BASE - 4, 4, &v));
	DEV_EXPECT(kvmx_ioapic_in_range(&e->io, BASE + 0xff), "last byte");
	DEV_EXPECT(!kvmx_ioapic_in_range(&e->io, 0), "zero");
	free(e);
}

DEVTEST(ioapic_rte_halves_readonly_bits)
{
	struct env *e = env_new();

	/* every writable bit of the low half, plus the read-only ones */
	ind_wr(e, 0x10 + 2 * 5, 0xffffffff);
	DEV_EXPECT_EQ(0xffffffff & ~(KVMX_RTE_DELIVS | KVMX_RTE_REMOTE_IRR),
		      ind_rd(e, 0x10 + 2 * 5));
	ind_wr(e, 0x11 + 2 * 5, 0xab00ffff);	/* reserved bits kept too */
	DEV_EXPECT_EQ(0xab00ffff, ind_rd(e, 0x11 + 2 * 5));
	/* the low half is untouched by a high write and vice versa */
	DEV_EXPECT_EQ(0xffffffff & ~(KVMX_RTE_DELIVS | KVMX_RTE_REMOTE_IRR),
		      ind_rd(e, 0x10 + 2 * 5));
	ind_wr(e, 0x10 + 2 * 5, 0x00010042);
	DEV_EXPECT_EQ(0xab00ffff, ind_rd(e, 0x11 + 2 * 5));
	DEV_EXPECT_EQ(0x00010042, ind_rd(e, 0x10 + 2 * 5));
	DEV_EXPECT_EQ(0xab00ffff00010042ULL, e->io.redirtbl[5]);
	/* pin 23's halves are 0x3e/0x3f; 0x40 is past the table */
	ind_wr(e, 0x3f, 0x11000000);
	DEV_EXPECT_EQ(0x11000000, ind_rd(e, 0x3f));
	DEV_EXPECT_EQ(0xffffffff, ind_rd(e, 0x40));
	DEV_EXPECT_EQ(0xffffffff, ind_rd(e, 0xff));
	ind_wr(e, 0x40, 0);			/* ignored, no crash */
	/* remote IRR set by delivery survives writes of a level entry */
	set_rte(e, 3, LEVEL, 1);
	kvmx_ioapic_set_irq(&e->io, 3, 1, false);
	DEV_EXPECT(ind_rd(e, 0x16) & RIRR, "remote IRR after delivery");
	ind_wr(e, 0x16, 0x43 | LEVEL);		/* writing 0 to it */
	DEV_EXPECT(ind_rd(e, 0x16) & RIRR, "remote IRR is read-only");
	ind_wr(e, 0x17, 0x02000000);
	DEV_EXPECT(ind_rd(e, 0x16) & RIRR, "high half keeps it");
	/* ... and switching the pin to edge clears it (in-tree, Linux) */
	ind_wr(e, 0x16, 0x43);
	DEV_EXPECT(!(ind_rd(e, 0x16) & RIRR), "edge clears remote IRR");
	free(e);
}

DEVTEST(ioapic_mask_notifier)
{
	struct env *e = env_new();

	set_rte(e, 0, 0, 0);			/* unmask: one event */
	DEV_EXPECT_EQ(1, e->mask_events);
	set_rte(e, 0, 0, 1);			/* no change */
	DEV_EXPECT_EQ(1, e->mask_events);
	set_rte(e, 0, MASKED, 1);
	DEV_EXPECT_EQ(2, e->mask_events);
	free(e);
}

DEVTEST(ioapic_edge)
{
	struct env *e = env_new();

	set_rte(e, 4, KVMX_APIC_DM_LOWEST << 8 | (u32)KVMX_RTE_DEST_LOGICAL,
		0x0c);
	DEV_EXPECT_EQ(1, kvmx_ioapic_set_irq(&e->io, 4, 1, false));
	DEV_EXPECT_EQ(1, e->delivered[4]);
	DEV_EXPECT_EQ(0x0c, e->last.dest);
	DEV_EXPECT_EQ(0x44, e->last.vector);
	DEV_EXPECT_EQ(KVMX_APIC_DM_LOWEST, e->last.mode);
	DEV_EXPECT(e->last.logical, "logical");
	DEV_EXPECT(!e->last.level, "edge");
	DEV_EXPECT(e->last.assert && !e->last.redir_hint, "assert");
	/* held high: no new edge, coalesced */
	DEV_EXPECT_EQ(0, kvmx_ioapic_set_irq(&e->io, 4, 1, false));
	DEV_EXPECT_EQ(1, e->delivered[4]);
	/* edge never sets remote IRR; an EOI does not re-deliver */
	DEV_EXPECT(!(ind_rd(e, 0x18) & RIRR), "no remote IRR");
	kvmx_ioapic_eoi(&e->io, 0x44, false);
	DEV_EXPECT_EQ(1, e->delivered[4]);
	DEV_EXPECT_EQ(1, e->acks[4]);
	DEV_EXPECT_EQ(1, kvmx_ioapic_set_irq(&e->io, 4, 0, false));
	DEV_EXPECT_EQ(1, kvmx_ioapic_set_irq(&e->io, 4, 1, false));
	DEV_EXPECT_EQ(2, e->delivered[4]);
	/* each delivery mode and physical destination */
	set_rte(e, 4, KVMX_APIC_DM_NMI << 8, 0xff);
	kvmx_ioapic_set_irq(&e->io, 4, 0, false);
	kvmx_ioapic_set_irq(&e->io, 4, 1, false);
	DEV_EXPECT_EQ(KVMX_APIC_DM_NMI, e->last.mode);
	DEV_EXPECT(!e->last.logical, "physical");
	DEV_EXPECT_EQ(0xff, e->last.dest);
	/* the deliver() result is returned (KVM_IRQ_LINE_STATUS) */
	e->deliver_ret = 3;
	kvmx_ioapic_set_irq(&e->io, 4, 0, false);
	DEV_EXPECT_EQ(3, kvmx_ioapic_set_irq(&e->io, 4, 1, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_ioapic_set_irq(&e->io, 24, 1, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_ioapic_set_irq(&e->io, ~0U, 1, false));
	free(e);
}

DEVTEST(ioapic_masked_edge_lost)
{
	struct env *e = env_new();

	set_rte(e, 1, MASKED, 0);
	DEV_EXPECT_EQ(-1, kvmx_ioapic_set_irq(&e->io, 1, 1, false));
	DEV_EXPECT_EQ(0, e->nr_delivered);
	set_rte(e, 1, 0, 0);			/* unmask: edge is gone */
	DEV_EXPECT_EQ(0, e->nr_delivered);
	/* the line is still high, so raising again is no edge */
	DEV_EXPECT_EQ(0, kvmx_ioapic_set_irq(&e->io, 1, 1, false));
	DEV_EXPECT_EQ(0, e->nr_delivered);
	kvmx_ioapic_set_irq(&e->io, 1, 0, false);
	DEV_EXPECT_EQ(1, kvmx_ioapic_set_irq(&e->io, 1, 1, false));
	DEV_EXPECT_EQ(1, e->delivered[1]);
	free(e);
}

DEVTEST(ioapic_level_remote_irr_eoi)
{
	struct env *e = env_new();

	set_rte(e, 10, LEVEL, 2);
	DEV_EXPECT_EQ(1, kvmx_ioapic_set_irq(&e->io, 10, 1, false));
	DEV_EXPECT_EQ(1, e->delivered[10]);
	DEV_EXPECT(e->last.level, "level trigger");
	DEV_EXPECT(ind_rd(e, 0x10 + 20) & RIRR, "remote IRR set");
	/* re-asserting while awaiting EOI: nothing */
	DEV_EXPECT_EQ(-1, kvmx_ioapic_set_irq(&e->io, 10, 1, false));
	DEV_EXPECT_EQ(1, e->delivered[10]);
	/* an EOI of another vector does nothing */
	kvmx_ioapic_eoi(&e->io, 0x41, true);
	DEV_EXPECT(ind_rd(e, 0x10 + 20) & RIRR, "other vector");
	/* directed EOI (no broadcast to the pins): ack only */
	kvmx_ioapic_eoi(&e->io, 0x4a, false);
	DEV_EXPECT_EQ(1, e->acks[10]);
	DEV_EXPECT(ind_rd(e, 0x10 + 20) & RIRR, "not broadcast");
	/* EOI with the line still high: delivered again */
	kvmx_ioapic_eoi(&e->io, 0x4a, true);
	DEV_EXPECT_EQ(2, e->acks[10]);
	DEV_EXPECT_EQ(2, e->delivered[10]);
	DEV_EXPECT(ind_rd(e, 0x10 + 20) & RIRR, "set again");
	/* line lowered, then EOI: remote IRR clears, nothing sent */
	DEV_EXPECT_EQ(1, kvmx_ioapic_set_irq(&e->io, 10, 0, false));
	kvmx_ioapic_eoi(&e->io, 0x4a, true);
	DEV_EXPECT_EQ(2, e->delivered[10]);
	DEV_EXPECT(!(ind_rd(e, 0x10 + 20) & RIRR), "cleared");
	/* no APIC matched (deliver < 0): remote IRR still set (in-tree) */
	e->deliver_ret = -1;
	DEV_EXPECT_EQ(-1, kvmx_ioapic_set_irq(&e->io, 10, 1, false));
	DEV_EXPECT(ind_rd(e, 0x10 + 20) & RIRR, "set on -1");
	/* all coalesced (0): not set */
	e->deliver_ret = 0;
	kvmx_ioapic_set_irq(&e->io, 10, 0, false);
	kvmx_ioapic_eoi(&e->io, 0x4a, true);	/* clears; line low */
	DEV_EXPECT_EQ(0, kvmx_ioapic_set_irq(&e->io, 10, 1, false));
	DEV_EXPECT(!(ind_rd(e, 0x10 + 20) & RIRR), "not set on 0");
	free(e);
}

DEVTEST(ioapic_level_mask_unmask)
{
	struct env *e = env_new();

	set_rte(e, 7, LEVEL | MASKED, 0);
	DEV_EXPECT_EQ(-1, kvmx_ioapic_set_irq(&e->io, 7, 1, false));
	DEV_EXPECT_EQ(0, e->nr_delivered);
	set_rte(e, 7, LEVEL, 0);		/* unmask while asserted */
	DEV_EXPECT_EQ(1, e->delivered[7]);
	/* masked when EOIed: not re-sent, remote IRR clear, and unmask
	 * sends it again because the line is still high */
	set_rte(e, 7, LEVEL | MASKED, 0);
	kvmx_ioapic_eoi(&e->io, 0x47, true);
	DEV_EXPECT_EQ(1, e->delivered[7]);
	DEV_EXPECT(!(ind_rd(e, 0x10 + 14) & RIRR), "cleared while masked");
	set_rte(e, 7, LEVEL, 0);
	DEV_EXPECT_EQ(2, e->delivered[7]);
	/* lowered while masked: unmask sends nothing */
	set_rte(e, 7, LEVEL | MASKED, 0);
	kvmx_ioapic_eoi(&e->io, 0x47, true);
	kvmx_ioapic_set_irq(&e->io, 7, 0, false);
	set_rte(e, 7, LEVEL, 0);
	DEV_EXPECT_EQ(2, e->delivered[7]);
	/* an edge pin with the line high turned level: sent */
	set_rte(e, 9, MASKED, 0);
	kvmx_ioapic_set_irq(&e->io, 9, 1, false);
	set_rte(e, 9, LEVEL, 0);
	DEV_EXPECT_EQ(1, e->delivered[9]);
	free(e);
}

DEVTEST(ioapic_ack_resample)
{
	struct env *e = env_new();

	/* two pins sharing a vector both get the EOI */
	set_rte(e, 2, LEVEL, 0);
	ind_wr(e, 0x10 + 2 * 3, 0x42);		/* pin 3, edge, vector 0x42 */
	kvmx_ioapic_set_irq(&e->io, 2, 1, false);
	kvmx_ioapic_eoi(&e->io, 0x42, true);
	DEV_EXPECT_EQ(1, e->acks[2]);
	DEV_EXPECT_EQ(1, e->acks[3]);
	DEV_EXPECT_EQ(2, e->delivered[2]);
	/* a resampling irqfd lowers the line from the ack: no re-send */
	e->ack_lowers = 2;
	kvmx_ioapic_eoi(&e->io, 0x42, true);
	DEV_EXPECT_EQ(2, e->delivered[2]);
	DEV_EXPECT(!(ind_rd(e, 0x14) & RIRR), "cleared");
	DEV_EXPECT(!(e->io.irr & (1 << 2)), "line low");
	free(e);
}

DEVTEST(ioapic_storm_guard)
{
	struct env *e = env_new();
	unsigned int i;

	set_rte(e, 11, LEVEL, 0);
	e->now = 1000;
	kvmx_ioapic_set_irq(&e->io, 11, 1, false);
	for (i = 1; i < KVMX_IOAPIC_STORM_COUNT; i++)
		kvmx_ioapic_eoi(&e->io, 0x4b, true);
	DEV_EXPECT_EQ(KVMX_IOAPIC_STORM_COUNT, e->delivered[11]);
	DEV_EXPECT_EQ(0, e->arms);
	/* the 10000th successive EOI defers */
	kvmx_ioapic_eoi(&e->io, 0x4b, true);
	DEV_EXPECT_EQ(KVMX_IOAPIC_STORM_COUNT, e->delivered[11]);
	DEV_EXPECT_EQ(1, e->arms);
	DEV_EXPECT_EQ(1000 + KVMX_IOAPIC_STORM_DELAY_NS, e->armed_at);
	DEV_EXPECT(!(ind_rd(e, 0x10 + 22) & RIRR), "waiting, not in service");
	/* an early or spurious expiry re-arms and sends nothing */
	kvmx_ioapic_expire(&e->io, 2000);
	DEV_EXPECT_EQ(KVMX_IOAPIC_STORM_COUNT, e->delivered[11]);
	DEV_EXPECT_EQ(2, e->arms);
	/* a late expiry sends it */
	kvmx_ioapic_expire(&e->io, 1000 + 5 * KVMX_IOAPIC_STORM_DELAY_NS);
	DEV_EXPECT_EQ(KVMX_IOAPIC_STORM_COUNT + 1, e->delivered[11]);
	DEV_EXPECT(ind_rd(e, 0x10 + 22) & RIRR, "in service");
	/* a second expiry is stale: nothing */
	kvmx_ioapic_expire(&e->io, ~0ULL);
	DEV_EXPECT_EQ(KVMX_IOAPIC_STORM_COUNT + 1, e->delivered[11]);
	/* the count restarts: the next EOIs re-deliver at once */
	kvmx_ioapic_eoi(&e->io, 0x4b, true);
	DEV_EXPECT_EQ(KVMX_IOAPIC_STORM_COUNT + 2, e->delivered[11]);
	/* a lowered line resets the run */
	kvmx_ioapic_set_irq(&e->io, 11, 0, false);
	kvmx_ioapic_eoi(&e->io, 0x4b, true);
	DEV_EXPECT_EQ(0, e->io.eoi_count[11]);
	/* reset cancels a pending deferral */
	kvmx_ioapic_set_irq(&e->io, 11, 1, false);
	e->io.eoi_count[11] = KVMX_IOAPIC_STORM_COUNT - 1;
	kvmx_ioapic_eoi(&e->io, 0x4b, true);
	DEV_EXPECT(e->io.storm_armed, "armed");
	kvmx_ioapic_reset(&e->io);
	DEV_EXPECT(!e->io.storm_armed && e->cancels == 1, "cancelled");
	free(e);
}

DEVTEST(ioapic_rtc_coalescing)
{
	struct env *e = env_new();

	set_rte(e, 8, 0, 0);
	e->deliver_ret = 2;			/* two APICs took it */
	DEV_EXPECT_EQ(2, kvmx_ioapic_set_irq(&e->io, 8, 1, true));
	kvmx_ioapic_set_irq(&e->io, 8, 0, true);
	DEV_EXPECT_EQ(0, kvmx_ioapic_set_irq(&e->io, 8, 1, true));
	DEV_EXPECT_EQ(1, e->delivered[8]);
	kvmx_ioapic_set_irq(&e->io, 8, 0, true);
	kvmx_ioapic_eoi(&e->io, 0x48, false);
	DEV_EXPECT_EQ(0, kvmx_ioapic_set_irq(&e->io, 8, 1, true));
	kvmx_ioapic_set_irq(&e->io, 8, 0, true);
	kvmx_ioapic_eoi(&e->io, 0x48, false);
	DEV_EXPECT_EQ(2, kvmx_ioapic_set_irq(&e->io, 8, 1, true));
	DEV_EXPECT_EQ(2, e->delivered[8]);
	/* without line_status there is no coalescing report */
	kvmx_ioapic_set_irq(&e->io, 8, 0, false);
	DEV_EXPECT_EQ(2, kvmx_ioapic_set_irq(&e->io, 8, 1, false));
	kvmx_ioapic_rtc_restore(&e->io, 0);
	kvmx_ioapic_set_irq(&e->io, 8, 0, true);
	DEV_EXPECT_EQ(2, kvmx_ioapic_set_irq(&e->io, 8, 1, true));
	free(e);
}

DEVTEST(ioapic_state_irr)
{
	struct env *e = env_new();
	struct kvm_ioapic_state s;

	set_rte(e, 0, 0, 0);			/* edge, delivered */
	set_rte(e, 1, MASKED, 0);		/* edge, masked: pending */
	set_rte(e, 2, LEVEL, 0);		/* level, asserted */
	kvmx_ioapic_set_irq(&e->io, 0, 1, false);
	kvmx_ioapic_set_irq(&e->io, 1, 1, false);
	kvmx_ioapic_set_irq(&e->io, 2, 1, false);
	wr(e, 0, 0x13);
	ind_wr(e, KVMX_IOAPIC_REG_ID, 0x03000000);
	wr(e, 0, 0x13);
	kvmx_ioapic_get_state(&e->io, &s);
	DEV_EXPECT_EQ(BASE, s.base_address);
	DEV_EXPECT_EQ(0x13, s.ioregsel);
	DEV_EXPECT_EQ(3, s.id);
	DEV_EXPECT_EQ(0x6, s.irr);
	DEV_EXPECT_EQ(0x42, s.redirtbl[2].fields.vector);
	DEV_EXPECT_EQ(1, s.redirtbl[2].fields.remote_irr);
	DEV_EXPECT_EQ(1, s.redirtbl[2].fields.trig_mode);
	DEV_EXPECT_EQ(1, s.redirtbl[1].fields.mask);
	DEV_EXPECT_EQ(0, s.redirtbl[0].fields.mask);

	/* import into a fresh IOAPIC: pending pins are raised again, the
	 * level pin awaiting EOI is not re-sent; garbage above pin 23 and
	 * in pad is ignored */
	struct env *f = env_new();

	s.irr |= 0xff000000;
	s.pad = 0x1234;
	DEV_EXPECT_EQ(0, kvmx_ioapic_set_state(&f->io, &s));
	DEV_EXPECT_EQ(0, f->nr_delivered);
	DEV_EXPECT_EQ(0x6, f->io.irr);
	DEV_EXPECT_EQ(0x13, rd(f, 0));
	DEV_EXPECT_EQ(0x03000000, ind_rd(f, 0));
	/* the EOI now re-sends the level pin */
	kvmx_ioapic_eoi(&f->io, 0x42, true);
	DEV_EXPECT_EQ(1, f->delivered[2]);
	/* a level pin not yet in service is sent on import */
	s.redirtbl[2].fields.remote_irr = 0;
	kvmx_ioapic_set_state(&f->io, &s);
	DEV_EXPECT_EQ(2, f->delivered[2]);
	/* unmasked pending edge is sent on import and leaves irr */
	s.redirtbl[1].fields.mask = 0;
	kvmx_ioapic_set_state(&f->io, &s);
	DEV_EXPECT_EQ(1, f->delivered[1]);
	kvmx_ioapic_get_state(&f->io, &s);
	DEV_EXPECT_EQ(0x4, s.irr);
	free(e);
	free(f);
}

DEVTEST(ioapic_state_random_round_trip)
{
	struct env *e = env_new();
	struct kvm_ioapic_state s0, s1, s2;
	unsigned int iter, i;

	srand(6);
	for (iter = 0; iter < 2000; iter++) {
		unsigned char *p = (unsigned char *)&s0;

		for (i = 0; i < sizeof(s0); i++)
			p[i] = rand();
		e->deliver_ret = rand() % 4 - 1;
		kvmx_ioapic_set_state(&e->io, &s0);
		kvmx_ioapic_get_state(&e->io, &s1);
		DEV_EXPECT(!(s1.irr & ~0xffffffU), "irr bits");
		DEV_EXPECT_EQ(0, s1.pad);
		DEV_EXPECT_EQ(s0.base_address, s1.base_address);
		DEV_EXPECT_EQ(s0.id, s1.id);
		DEV_EXPECT_EQ(s0.ioregsel, s1.ioregsel);
		/* a state that came out of the model is a fixed point */
		kvmx_ioapic_set_state(&e->io, &s1);
		kvmx_ioapic_get_state(&e->io, &s2);
		DEV_EXPECT(!memcmp(&s1, &s2, sizeof(s1)), "iter %u", iter);
		/* and reads never crash with any imported ioregsel */
		rd(e, KVMX_IOAPIC_IOWIN);
		wr(e, KVMX_IOAPIC_IOWIN, rand());
	}
	free(e);
}

DEVTEST(ioapic_fuzz)
{
	struct env *e = env_new();
	unsigned int iter, pin;

	srand(60);
	e->ack_lowers = -1;
	for (iter = 0; iter < 200000; iter++) {
		u64 v = ((u64)rand() << 32) | rand();
		unsigned int len = 1U << (rand() % 4);

		switch (rand() % 8) {
		case 0:
			kvmx_ioapic_mmio_write(&e->io, BASE + (rand() & 0x1ff),
					       len, &v);
			break;
		case 1:
			wr(e, 0, rand() % 0x42);
			wr(e, 0x10, v);
			break;
		case 2:
			kvmx_ioapic_mmio_read(&e->io, BASE + (rand() & 0x1ff),
					      len, &v);
			break;
		case 3:
		case 4:
			kvmx_ioapic_set_irq(&e->io, rand() % 26, rand() & 1,
					    rand() & 1);
			break;
		case 5:
			kvmx_ioapic_eoi(&e->io, 0x40 + rand() % 26, rand() & 1);
			break;
		case 6:
			e->now += rand() % 20000000;
			kvmx_ioapic_expire(&e->io, e->now);
			break;
		default:
			e->deliver_ret = rand() % 4 - 1;
			e->ack_lowers = rand() % 30 - 5;
			break;
		}
		DEV_EXPECT(!(e->io.irr & ~0xffffffU), "irr");
		DEV_EXPECT(e->io.id <= 0xf, "id");
		DEV_EXPECT(e->io.ioregsel <= 0xff, "ioregsel");
		DEV_EXPECT(e->io.rtc_pending_eoi >= 0, "rtc");
		for (pin = 0; pin < KVMX_IOAPIC_NUM_PINS; pin++) {
			u64 r = e->io.redirtbl[pin];

			DEV_EXPECT(!(r & KVMX_RTE_DELIVS), "delivery status");
			DEV_EXPECT((r & KVMX_RTE_LEVEL) ||
				   !(r & KVMX_RTE_REMOTE_IRR),
				   "edge pin with remote IRR");
		}
	}
	free(e);
}
