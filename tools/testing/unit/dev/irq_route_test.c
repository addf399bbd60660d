// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the interrupt routing model (arch/x86/kvm/dev/irq_route.c):
 * KVM_SET_GSI_ROUTING validation (one test per error condition of
 * in-tree), the default table, lookup and fan-out with in-tree's result
 * combination, MSI decoding of every field (SDM Vol. 3A 11.11, plus the
 * x2APIC API and extended destination IDs), KVM_SIGNAL_MSI checks, and a
 * random-table fuzz loop.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/errno.h>
#include "devtest.h"
#include "irq_route.h"

static struct kvmx_irq_routes *rt_new(void)
{
	/* garbage-filled, as the glue need not zero it */
	struct kvmx_irq_routes *rt = malloc(sizeof(*rt));

	memset(rt, 0xa5, sizeof(*rt));
	return rt;
}

static struct kvm_irq_routing_entry chip(u32 gsi, u32 irqchip, u32 pin)
{
	struct kvm_irq_routing_entry e;

	memset(&e, 0, sizeof(e));
	e.gsi = gsi;
	e.type = KVM_IRQ_ROUTING_IRQCHIP;
	e.u.irqchip.irqchip = irqchip;
	e.u.irqchip.pin = pin;
	return e;
}

static struct kvm_irq_routing_entry msi(u32 gsi, u32 lo, u32 hi, u32 data)
{
	struct kvm_irq_routing_entry e;

	memset(&e, 0, sizeof(e));
	e.gsi = gsi;
	e.type = KVM_IRQ_ROUTING_MSI;
	e.u.msi.address_lo = lo;
	e.u.msi.address_hi = hi;
	e.u.msi.data = data;
	return e;
}

/* Build a table from one entry, or two. */
static int build1(struct kvmx_irq_routes *rt, struct kvm_irq_routing_entry a,
		  unsigned int flags)
{
	return kvmx_irq_routes_build(rt, &a, 1, flags);
}

static int build2(struct kvmx_irq_routes *rt, struct kvm_irq_routing_entry a,
		  struct kvm_irq_routing_entry b, unsigned int flags)
{
	struct kvm_irq_routing_entry ue[2] = { a, b };

	return kvmx_irq_routes_build(rt, ue, 2, flags);
}

DEVTEST(route_header_checks)
{
	struct kvm_irq_routing r = { .nr = 4096, .flags = 0 };

	DEV_EXPECT_EQ(0, kvmx_irq_routing_check(&r));
	r.nr = 4097;
	DEV_EXPECT_EQ(-EINVAL, kvmx_irq_routing_check(&r));
	r.nr = 0;
	DEV_EXPECT_EQ(0, kvmx_irq_routing_check(&r));
	r.flags = 1;
	DEV_EXPECT_EQ(-EINVAL, kvmx_irq_routing_check(&r));
}

DEVTEST(route_entry_errors)
{
	struct kvmx_irq_routes *rt = rt_new();
	struct kvm_irq_routing_entry e;

	/* GSI range */
	DEV_EXPECT_EQ(0, build1(rt, chip(4095, KVM_IRQCHIP_IOAPIC, 0), 0));
	DEV_EXPECT_EQ(4096, rt->nr_gsis);
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(4096, KVM_IRQCHIP_IOAPIC, 0), 0));
	DEV_EXPECT_EQ(-EINVAL, build1(rt, msi(~0U, 0xfee00000, 0, 0), 0));
	/* types: 0, the Hyper-V/Xen ones we do not offer, garbage */
	e = chip(1, KVM_IRQCHIP_IOAPIC, 1);
	e.type = 0;
	DEV_EXPECT_EQ(-EINVAL, build1(rt, e, 0));
	e.type = 3;
	DEV_EXPECT_EQ(-EINVAL, build1(rt, e, 0));
	e.type = 4;
	DEV_EXPECT_EQ(-EINVAL, build1(rt, e, 0));
	e.type = 0x80000001;
	DEV_EXPECT_EQ(-EINVAL, build1(rt, e, 0));
	/* flags: none on irqchip routes, only VALID_DEVID on MSI */
	e = chip(1, KVM_IRQCHIP_IOAPIC, 1);
	e.flags = KVM_MSI_VALID_DEVID;
	DEV_EXPECT_EQ(-EINVAL, build1(rt, e, 0));
	e = msi(1, 0xfee00000, 0, 0x30);
	e.flags = KVM_MSI_VALID_DEVID;
	e.u.msi.devid = 0x1234;
	DEV_EXPECT_EQ(0, build1(rt, e, 0));
	e.flags = 2;
	DEV_EXPECT_EQ(-EINVAL, build1(rt, e, 0));
	e.flags = 0x80000000;
	DEV_EXPECT_EQ(-EINVAL, build1(rt, e, 0));
	/* irqchips and their pins */
	DEV_EXPECT_EQ(0, build1(rt, chip(1, KVM_IRQCHIP_PIC_MASTER, 7), 0));
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(1, KVM_IRQCHIP_PIC_MASTER, 8), 0));
	DEV_EXPECT_EQ(0, build1(rt, chip(1, KVM_IRQCHIP_PIC_SLAVE, 7), 0));
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(1, KVM_IRQCHIP_PIC_SLAVE, 8), 0));
	DEV_EXPECT_EQ(0, build1(rt, chip(1, KVM_IRQCHIP_IOAPIC, 23), 0));
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(1, KVM_IRQCHIP_IOAPIC, 24), 0));
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(1, KVM_IRQCHIP_IOAPIC, ~0U), 0));
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(1, 3, 0), 0));
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(1, ~0U, 0), 0));
	/* split irqchip: no irqchip routes, MSIs fine */
	DEV_EXPECT_EQ(-EINVAL, build1(rt, chip(1, KVM_IRQCHIP_IOAPIC, 1),
				      KVMX_ROUTE_SPLIT_IRQCHIP));
	DEV_EXPECT_EQ(0, build1(rt, msi(1, 0xfee00000, 0, 0x30),
				KVMX_ROUTE_SPLIT_IRQCHIP));
	/* x2APIC API: address_hi bits 7:0 reserved */
	DEV_EXPECT_EQ(-EINVAL, build1(rt, msi(1, 0xfee00000, 0x1, 0x30),
				      KVMX_MSI_X2APIC_FORMAT));
	DEV_EXPECT_EQ(0, build1(rt, msi(1, 0xfee00000, 0x100, 0x30),
				KVMX_MSI_X2APIC_FORMAT));
	DEV_EXPECT_EQ(0, build1(rt, msi(1, 0xfee00000, 0xff, 0x30), 0));
	/* one irqchip route per chip per GSI; an MSI route only alone */
	DEV_EXPECT_EQ(-EINVAL, build2(rt, chip(5, KVM_IRQCHIP_IOAPIC, 5),
				      chip(5, KVM_IRQCHIP_IOAPIC, 6), 0));
	DEV_EXPECT_EQ(-EINVAL, build2(rt, chip(5, KVM_IRQCHIP_PIC_MASTER, 5),
				      chip(5, KVM_IRQCHIP_PIC_MASTER, 5), 0));
	DEV_EXPECT_EQ(0, build2(rt, chip(5, KVM_IRQCHIP_PIC_MASTER, 5),
				chip(5, KVM_IRQCHIP_PIC_SLAVE, 5), 0));
	DEV_EXPECT_EQ(-EINVAL, build2(rt, msi(5, 0xfee00000, 0, 0),
				      chip(5, KVM_IRQCHIP_IOAPIC, 5), 0));
	DEV_EXPECT_EQ(-EINVAL, build2(rt, chip(5, KVM_IRQCHIP_IOAPIC, 5),
				      msi(5, 0xfee00000, 0, 0), 0));
	DEV_EXPECT_EQ(-EINVAL, build2(rt, msi(5, 0xfee00000, 0, 0),
				      msi(5, 0xfee00000, 0, 0), 0));
	DEV_EXPECT_EQ(0, build2(rt, msi(5, 0xfee00000, 0, 0),
				msi(6, 0xfee00000, 0, 0), 0));
	/* the same pin from two GSIs is fine */
	DEV_EXPECT_EQ(0, build2(rt, chip(5, KVM_IRQCHIP_IOAPIC, 5),
				chip(6, KVM_IRQCHIP_IOAPIC, 5), 0));
	/* a bad entry anywhere fails the table */
	{
		struct kvm_irq_routing_entry ue[3] = {
			chip(0, KVM_IRQCHIP_IOAPIC, 0),
			chip(1, KVM_IRQCHIP_IOAPIC, 1),
			chip(2, KVM_IRQCHIP_IOAPIC, 99),
		};

		DEV_EXPECT_EQ(-EINVAL, kvmx_irq_routes_build(rt, ue, 3, 0));
		DEV_EXPECT_EQ(0, kvmx_irq_routes_build(rt, ue, 2, 0));
		DEV_EXPECT_EQ(-EINVAL, kvmx_irq_routes_build(rt, ue, 4097, 0));
	}
	free(rt);
}

DEVTEST(route_empty_and_lookup)
{
	struct kvmx_irq_routes *rt = rt_new();
	const struct kvmx_irq_route *e;

	DEV_EXPECT_EQ(0, kvmx_irq_routes_build(rt, NULL, 0, 0));
	DEV_EXPECT_EQ(0, rt->nr);
	DEV_EXPECT_EQ(1, rt->nr_gsis);
	DEV_EXPECT_EQ(0, kvmx_irq_routes_map_gsi(rt, 0, &e));
	DEV_EXPECT_EQ(0, kvmx_irq_routes_map_gsi(rt, ~0U, &e));
	DEV_EXPECT(!e, "no routes");
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_IOAPIC, 0));
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_chip_pin(rt, 3, 0));
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_chip_pin(rt, 0, 24));
	free(rt);
}

DEVTEST(route_default_table)
{
	struct kvmx_irq_routes *rt = rt_new();
	const struct kvmx_irq_route *e;
	unsigned int gsi, n;

	DEV_EXPECT_EQ(0, kvmx_irq_routes_build_default(rt));
	DEV_EXPECT_EQ(40, rt->nr);
	DEV_EXPECT_EQ(24, rt->nr_gsis);
	for (gsi = 0; gsi < 24; gsi++) {
		n = kvmx_irq_routes_map_gsi(rt, gsi, &e);
		DEV_EXPECT_EQ(gsi < 16 ? 2 : 1, n);
		/* in-tree order: the IOAPIC route first, then the PIC's */
		DEV_EXPECT_EQ(KVM_IRQ_ROUTING_IRQCHIP, e[0].type);
		DEV_EXPECT_EQ(KVM_IRQCHIP_IOAPIC, e[0].irqchip.irqchip);
		DEV_EXPECT_EQ(gsi, e[0].irqchip.pin);
		DEV_EXPECT_EQ(gsi, e[0].gsi);
		DEV_EXPECT_EQ(gsi, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_IOAPIC,
							    gsi));
		if (n < 2)
			continue;
		DEV_EXPECT_EQ(gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
					KVM_IRQCHIP_PIC_SLAVE,
			      e[1].irqchip.irqchip);
		/* slave pins are kept as 8-15, as in-tree */
		DEV_EXPECT_EQ(gsi, e[1].irqchip.pin);
		DEV_EXPECT_EQ(gsi, kvmx_irq_routes_chip_pin(rt,
				e[1].irqchip.irqchip, gsi));
	}
	DEV_EXPECT_EQ(0, kvmx_irq_routes_map_gsi(rt, 24, &e));
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_PIC_MASTER, 8));
	/* the entries as the glue can pass them on itself */
	{
		struct kvm_irq_routing_entry ue[KVMX_NR_DEFAULT_ROUTES];

		memset(ue, 0x5a, sizeof(ue));
		kvmx_irq_routes_default(ue);
		DEV_EXPECT_EQ(0, ue[0].gsi);
		DEV_EXPECT_EQ(KVM_IRQCHIP_IOAPIC, ue[0].u.irqchip.irqchip);
		DEV_EXPECT_EQ(KVM_IRQCHIP_PIC_MASTER, ue[1].u.irqchip.irqchip);
		DEV_EXPECT_EQ(0, ue[1].u.irqchip.pin);
		DEV_EXPECT_EQ(KVM_IRQCHIP_PIC_SLAVE, ue[31].u.irqchip.irqchip);
		DEV_EXPECT_EQ(7, ue[31].u.irqchip.pin);
		DEV_EXPECT_EQ(23, ue[39].gsi);
		DEV_EXPECT_EQ(0, ue[39].flags | ue[39].pad);
		DEV_EXPECT_EQ(0, kvmx_irq_routes_build(rt, ue, 40, 0));
	}
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_PIC_SLAVE, 0));
	free(rt);
}

struct fan {
	unsigned int pic[16], ioapic[24], msis;
	int last_level;
	int ret_pic, ret_ioapic, ret_msi;
	char order[8];
	unsigned int n;
	struct kvmx_irq_msg msg;
};

/* Record one call of a target, in call order. */
static int f_note(struct fan *f, char what, int level, int ret)
{
	f->last_level = level;
	if (f->n < 7)
		f->order[f->n++] = what;
	return ret;
}

static int f_pic(void *ctx, unsigned int pin, int level)
{
	struct fan *f = ctx;

	f->pic[pin]++;
	return f_note(f, 'p', level, f->ret_pic);
}

static int f_ioapic(void *ctx, unsigned int pin, int level)
{
	struct fan *f = ctx;

	f->ioapic[pin]++;
	return f_note(f, 'i', level, f->ret_ioapic);
}

static int f_msi(void *ctx, const struct kvmx_irq_msg *msg)
{
	struct fan *f = ctx;

	f->msis++;
	f->msg = *msg;
	return f_note(f, 'm', 1, f->ret_msi);
}

static const struct kvmx_irq_route_ops fan_ops = {
	.set_pic = f_pic, .set_ioapic = f_ioapic, .set_msi = f_msi,
};

DEVTEST(route_fanout)
{
	struct kvmx_irq_routes *rt = rt_new();
	struct kvm_irq_routing_entry ue[] = {
		chip(9, KVM_IRQCHIP_PIC_SLAVE, 1),
		msi(30, 0xfee01000, 0, 0x4031),
		chip(2, KVM_IRQCHIP_IOAPIC, 2),
		chip(9, KVM_IRQCHIP_IOAPIC, 9),
		chip(9, KVM_IRQCHIP_PIC_MASTER, 3),
		chip(3, KVM_IRQCHIP_IOAPIC, 2),	/* pin 2 again: GSI 3 wins */
	};
	struct fan f;
	const struct kvmx_irq_route *e;

	DEV_EXPECT_EQ(0, kvmx_irq_routes_build(rt, ue, 6, 0));
	DEV_EXPECT_EQ(31, rt->nr_gsis);
	DEV_EXPECT_EQ(3, kvmx_irq_routes_map_gsi(rt, 9, &e));
	DEV_EXPECT_EQ(3, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_IOAPIC, 2));
	DEV_EXPECT_EQ(9, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_PIC_SLAVE, 9));
	DEV_EXPECT_EQ(9, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_PIC_MASTER, 3));
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_chip_pin(rt, KVM_IRQCHIP_PIC_SLAVE, 1));

	/* the routes of a GSI run in the order given; results add up */
	memset(&f, 0, sizeof(f));
	f.ret_pic = 1;
	f.ret_ioapic = 2;
	DEV_EXPECT_EQ(4, kvmx_irq_routes_set(rt, 9, 1, 0, &fan_ops, &f));
	DEV_EXPECT(!strcmp(f.order, "pip"), "order %s", f.order);
	DEV_EXPECT_EQ(1, f.pic[9]);
	DEV_EXPECT_EQ(1, f.pic[3]);
	DEV_EXPECT_EQ(1, f.ioapic[9]);
	/* negative results are skipped; all negative gives -1 */
	f.ret_pic = -1;
	DEV_EXPECT_EQ(2, kvmx_irq_routes_set(rt, 9, 0, 0, &fan_ops, &f));
	DEV_EXPECT_EQ(0, f.last_level);
	f.ret_ioapic = -1;
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_set(rt, 9, 1, 0, &fan_ops, &f));
	f.ret_ioapic = 0;
	DEV_EXPECT_EQ(0, kvmx_irq_routes_set(rt, 9, 1, 0, &fan_ops, &f));
	/* GSIs without routes, in and out of the table */
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_set(rt, 10, 1, 0, &fan_ops, &f));
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_set(rt, 31, 1, 0, &fan_ops, &f));
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_set(rt, ~0U, 1, 0, &fan_ops, &f));
	/* MSI: only on level 1; the decoded message */
	f.ret_msi = 1;
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_set(rt, 30, 0, 0, &fan_ops, &f));
	DEV_EXPECT_EQ(0, f.msis);
	DEV_EXPECT_EQ(1, kvmx_irq_routes_set(rt, 30, 1, 0, &fan_ops, &f));
	DEV_EXPECT_EQ(1, f.msis);
	DEV_EXPECT_EQ(1, f.msg.dest);
	DEV_EXPECT_EQ(0x31, f.msg.vector);
	free(rt);
}

DEVTEST(route_fanout_msi_invalid_later)
{
	struct kvmx_irq_routes *rt = rt_new();
	struct fan f;

	/* built before the x2APIC API was enabled, fired after it: the
	 * route is refused at delivery, as in-tree kvm_set_msi() does */
	DEV_EXPECT_EQ(0, build1(rt, msi(0, 0xfee00000, 0x7, 0x30), 0));
	memset(&f, 0, sizeof(f));
	f.ret_msi = 1;
	DEV_EXPECT_EQ(-1, kvmx_irq_routes_set(rt, 0, 1, KVMX_MSI_X2APIC_FORMAT,
					      &fan_ops, &f));
	DEV_EXPECT_EQ(0, f.msis);
	DEV_EXPECT_EQ(1, kvmx_irq_routes_set(rt, 0, 1, 0, &fan_ops, &f));
	free(rt);
}

DEVTEST(msi_decode_fields)
{
	struct kvmx_irq_msg m;
	unsigned int dm;

	/* SDM 11.11.1: 0xFEE, dest 19:12, RH bit 3, DM bit 2 */
	kvmx_msi_decode(0xfeeab000, 0, 0x0041, 0, &m);
	DEV_EXPECT_EQ(0xab, m.dest);
	DEV_EXPECT(!m.logical && !m.redir_hint, "physical, no hint");
	DEV_EXPECT_EQ(0x41, m.vector);
	DEV_EXPECT_EQ(KVMX_APIC_DM_FIXED, m.mode);
	DEV_EXPECT(!m.level && m.assert, "edge assert");
	kvmx_msi_decode(0xfee0300c, 0, 0xc1ff, 0, &m);
	DEV_EXPECT_EQ(0x03, m.dest);
	DEV_EXPECT(m.logical && m.redir_hint, "logical, hint");
	DEV_EXPECT_EQ(0xff, m.vector);
	DEV_EXPECT_EQ(KVMX_APIC_DM_LOWEST, m.mode);
	DEV_EXPECT(m.level, "level trigger");
	/* the data's level bit is not used (in-tree): always an assert */
	kvmx_msi_decode(0xfee00000, 0, 0x8030, 0, &m);
	DEV_EXPECT(m.level && m.assert, "level, de-assert ignored");
	/* every delivery mode, data bits 10:8 */
	for (dm = 0; dm < 8; dm++) {
		kvmx_msi_decode(0xfee00000, 0, dm << 8 | 0x20, 0, &m);
		DEV_EXPECT_EQ(dm, m.mode);
		DEV_EXPECT_EQ(0x20, m.vector);
	}
	/* bits above 15 of data and outside the fields of the address are
	 * ignored; the 0xFEE prefix is not checked (in-tree) */
	kvmx_msi_decode(0x12345ff3, 0xffffffff, 0xffff0042, 0, &m);
	DEV_EXPECT_EQ(0x45, m.dest);
	DEV_EXPECT_EQ(0x42, m.vector);
	DEV_EXPECT(!m.logical && !m.redir_hint, "bits 3:2 clear");
	/* without the x2APIC API address_hi is ignored */
	kvmx_msi_decode(0xfee01000, 0x12345600, 0x30, 0, &m);
	DEV_EXPECT_EQ(0x01, m.dest);
}

DEVTEST(msi_decode_wide_dest)
{
	struct kvmx_irq_msg m;

	/* x2APIC API: address_hi bits 31:8 are dest bits 31:8 */
	kvmx_msi_decode(0xfee78000, 0x12345600, 0x30, KVMX_MSI_X2APIC_FORMAT,
			&m);
	DEV_EXPECT_EQ(0x12345678, m.dest);
	kvmx_msi_decode(0xfeeff000, 0xffffff00, 0x30, KVMX_MSI_X2APIC_FORMAT,
			&m);
	DEV_EXPECT_EQ(0xffffffff, m.dest);
	/* extended destination ID: address bits 11:5 are dest bits 14:8 */
	kvmx_msi_decode(0xfee34fe0, 0, 0x30, KVMX_MSI_EXT_DEST_ID, &m);
	DEV_EXPECT_EQ(0x7f34, m.dest);
	kvmx_msi_decode(0xfee12020, 0, 0x30, KVMX_MSI_EXT_DEST_ID, &m);
	DEV_EXPECT_EQ(0x0112, m.dest);
	/* ... with DM and RH still decoded from bits 2 and 3 */
	kvmx_msi_decode(0xfee1202c, 0, 0x30, KVMX_MSI_EXT_DEST_ID, &m);
	DEV_EXPECT_EQ(0x0112, m.dest);
	DEV_EXPECT(m.logical && m.redir_hint, "dm rh");
	/* not in the remappable format (bit 4) */
	kvmx_msi_decode(0xfee12030, 0, 0x30, KVMX_MSI_EXT_DEST_ID, &m);
	DEV_EXPECT_EQ(0x12, m.dest);
	/* not without the feature */
	kvmx_msi_decode(0xfee34fe0, 0, 0x30, 0, &m);
	DEV_EXPECT_EQ(0x34, m.dest);
	/* both: a non-zero address_hi wins, else bits 11:5 */
	kvmx_msi_decode(0xfee34fe0, 0x00000100, 0x30,
			KVMX_MSI_X2APIC_FORMAT | KVMX_MSI_EXT_DEST_ID, &m);
	DEV_EXPECT_EQ(0x134, m.dest);
	kvmx_msi_decode(0xfee34fe0, 0, 0x30,
			KVMX_MSI_X2APIC_FORMAT | KVMX_MSI_EXT_DEST_ID, &m);
	DEV_EXPECT_EQ(0x7f34, m.dest);
}

DEVTEST(signal_msi_checks)
{
	struct kvm_msi k;
	struct kvmx_irq_msg m;

	memset(&k, 0, sizeof(k));
	k.address_lo = 0xfee05004;
	k.data = 0x4052;
	DEV_EXPECT_EQ(0, kvmx_signal_msi(&k, 0, &m));
	DEV_EXPECT_EQ(0x05, m.dest);
	DEV_EXPECT(m.logical, "logical");
	DEV_EXPECT_EQ(0x52, m.vector);
	k.flags = KVM_MSI_VALID_DEVID;		/* accepted, devid ignored */
	k.devid = 77;
	DEV_EXPECT_EQ(0, kvmx_signal_msi(&k, 0, &m));
	k.flags = 2;
	DEV_EXPECT_EQ(-EINVAL, kvmx_signal_msi(&k, 0, &m));
	k.flags = 0;
	k.address_hi = 0x80;
	DEV_EXPECT_EQ(0, kvmx_signal_msi(&k, 0, &m));
	DEV_EXPECT_EQ(-EINVAL, kvmx_signal_msi(&k, KVMX_MSI_X2APIC_FORMAT, &m));
	k.address_hi = 0x200;
	DEV_EXPECT_EQ(0, kvmx_signal_msi(&k, KVMX_MSI_X2APIC_FORMAT, &m));
	DEV_EXPECT_EQ(0x205, m.dest);
	DEV_EXPECT(kvmx_msi_invalid(0x1, KVMX_MSI_X2APIC_FORMAT), "invalid");
	DEV_EXPECT(!kvmx_msi_invalid(0x1, 0), "valid");
}

DEVTEST(route_fuzz)
{
	struct kvmx_irq_routes *rt = rt_new();
	static struct kvm_irq_routing_entry ue[KVMX_MAX_IRQ_ROUTES];
	unsigned int iter, i, ok = 0;
	u32 g;

	srand(66);
	for (iter = 0; iter < 3000; iter++) {
		u32 nr = rand() % (iter % 10 ? 64 : KVMX_MAX_IRQ_ROUTES + 1);
		u32 span = 1 + rand() % (iter % 3 ? 64 : 8192);
		unsigned int flags = rand() & 7;
		unsigned int total = 0;
		int r;

		/* every other table mostly valid: distinct GSIs, good pins */
		bool nice = iter & 1;

		for (i = 0; i < nr; i++) {
			u32 c = rand() % (nice ? 3 : 4);
			u32 gsi = nice ? i * 2 + rand() % 2 : rand() % span;

			if (rand() % 2)
				ue[i] = chip(gsi, c, nice && c < 2 ? rand() % 8 :
						    rand() % (nice ? 24 : 26));
			else
				ue[i] = msi(gsi, rand(), rand() % 3, rand());
			if (!(rand() % 500))
				ue[i].type = rand();
			if (!(rand() % 500))
				ue[i].flags = rand() % 3;
		}
		r = kvmx_irq_routes_build(rt, ue, nr, flags);
		DEV_EXPECT(r == 0 || r == -EINVAL, "r %d", r);
		if (r)
			continue;
		ok++;
		DEV_EXPECT_EQ(nr, rt->nr);
		for (g = 0; g < rt->nr_gsis; g++) {
			const struct kvmx_irq_route *e;
			unsigned int n = kvmx_irq_routes_map_gsi(rt, g, &e);

			DEV_EXPECT(n <= 3, "gsi %u has %u", g, n);
			for (i = 0; i < n; i++)
				DEV_EXPECT_EQ(g, e[i].gsi);
			total += n;
		}
		DEV_EXPECT_EQ(nr, total);
	}
	DEV_EXPECT(ok > 100, "only %u tables built", ok);
	free(rt);
}
