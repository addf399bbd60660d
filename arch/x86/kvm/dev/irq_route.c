// SPDX-License-Identifier: GPL-2.0-only
/*
 * The GSI routing table and MSI decoding (interface in irq_route.h):
 * validating and building the table of KVM_SET_GSI_ROUTING with in-tree's
 * rules, the default table, the GSI lookup and fan-out, and the MSI
 * address/data format of SDM Vol. 3A 11.11.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "irq_route.h"

int kvmx_irq_routing_check(const struct kvm_irq_routing *r)
{
	if (r->nr > KVMX_MAX_IRQ_ROUTES || r->flags)
		return -EINVAL;
	return 0;
}

bool kvmx_msi_invalid(u32 address_hi, unsigned int flags)
{
	/*
	 * With 32-bit x2APIC IDs in address_hi bits 31:8, bits 7:0 are
	 * reserved; in-tree refuses them so they stay free for later use.
	 */
	return (flags & KVMX_MSI_X2APIC_FORMAT) && (address_hi & 0xff);
}

void kvmx_msi_decode(u32 address_lo, u32 address_hi, u32 data,
		     unsigned int flags, struct kvmx_irq_msg *msg)
{
	u32 dest = (address_lo >> KVMX_MSI_ADDR_DEST_SHIFT) & 0xff;

	/*
	 * SDM 11.11.1 defines only bits 19:12; the wider IDs are KVM's: the
	 * x2APIC API's address_hi (in-tree) and the paravirtual bits 11:5,
	 * which only apply to the compatibility (non-remappable) format and
	 * only when address_hi does not already carry the high bits.
	 */
	if ((flags & KVMX_MSI_X2APIC_FORMAT) && (address_hi & ~0xffU))
		dest |= address_hi & ~0xffU;
	else if ((flags & KVMX_MSI_EXT_DEST_ID) &&
		 !(address_lo & KVMX_MSI_ADDR_REMAPPABLE))
		dest |= ((address_lo >> KVMX_MSI_ADDR_EXT_DEST_SHIFT) & 0x7f)
			<< 8;

	msg->dest = dest;
	msg->logical = address_lo & KVMX_MSI_ADDR_DM_LOGICAL;
	msg->redir_hint = address_lo & KVMX_MSI_ADDR_RH;
	msg->vector = data & 0xff;
	msg->mode = (data >> KVMX_MSI_DATA_DM_SHIFT) & 7;
	msg->level = data & KVMX_MSI_DATA_LEVEL;
	msg->assert = true;
}

int kvmx_signal_msi(const struct kvm_msi *msi, unsigned int flags,
		    struct kvmx_irq_msg *msg)
{
	if (msi->flags & ~KVM_MSI_VALID_DEVID)
		return -EINVAL;
	if (kvmx_msi_invalid(msi->address_hi, flags))
		return -EINVAL;
	kvmx_msi_decode(msi->address_lo, msi->address_hi, msi->data, flags,
			msg);
	return 0;
}

/* One entry's own checks (in-tree kvm_set_routing_entry and its caller). */
static int route_check(const struct kvm_irq_routing_entry *ue,
		       unsigned int flags)
{
	if (ue->gsi >= KVMX_MAX_IRQ_ROUTES)
		return -EINVAL;

	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (ue->flags || (flags & KVMX_ROUTE_SPLIT_IRQCHIP))
			return -EINVAL;
		switch (ue->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_MASTER:
		case KVM_IRQCHIP_PIC_SLAVE:
			return ue->u.irqchip.pin < 8 ? 0 : -EINVAL;
		case KVM_IRQCHIP_IOAPIC:
			return ue->u.irqchip.pin < KVMX_IRQCHIP_NUM_PINS ?
			       0 : -EINVAL;
		default:
			return -EINVAL;
		}
	case KVM_IRQ_ROUTING_MSI:
		if (ue->flags & ~KVM_MSI_VALID_DEVID)
			return -EINVAL;
		return kvmx_msi_invalid(ue->u.msi.address_hi, flags) ?
		       -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static void route_copy(struct kvmx_irq_route *e,
		       const struct kvm_irq_routing_entry *ue)
{
	memset(e, 0, sizeof(*e));
	e->gsi = ue->gsi;
	e->type = ue->type;
	if (ue->type == KVM_IRQ_ROUTING_IRQCHIP) {
		e->irqchip.irqchip = ue->u.irqchip.irqchip;
		e->irqchip.pin = ue->u.irqchip.pin;
		if (ue->u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE)
			e->irqchip.pin += 8;
	} else {
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
	}
}

/*
 * In-tree allows one route per irqchip for a GSI (the same line wired to
 * the PIC and the IOAPIC), but an MSI route only alone.
 */
static int gsi_check(const struct kvmx_irq_route *e, unsigned int n)
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		for (j = i + 1; j < n; j++) {
			if (e[i].type != KVM_IRQ_ROUTING_IRQCHIP ||
			    e[j].type != KVM_IRQ_ROUTING_IRQCHIP ||
			    e[i].irqchip.irqchip == e[j].irqchip.irqchip)
				return -EINVAL;
		}
	}
	return 0;
}

int kvmx_irq_routes_build(struct kvmx_irq_routes *rt,
			  const struct kvm_irq_routing_entry *ue, u32 nr,
			  unsigned int flags)
{
	u32 i, g, nr_gsis = 0;
	int r;

	if (nr > KVMX_MAX_IRQ_ROUTES)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		r = route_check(&ue[i], flags);
		if (r)
			return r;
		if (ue[i].gsi >= nr_gsis)
			nr_gsis = ue[i].gsi + 1;
	}
	if (!nr_gsis)
		nr_gsis = 1;	/* in-tree: max GSI + 1, even when empty */

	rt->nr = nr;
	rt->nr_gsis = nr_gsis;
	memset(rt->chip, 0xff, sizeof(rt->chip));

	/*
	 * A stable counting sort by GSI: first[] first counts each GSI's
	 * routes, then holds where each GSI's run starts.
	 */
	memset(rt->first, 0, (nr_gsis + 1) * sizeof(rt->first[0]));
	for (i = 0; i < nr; i++)
		rt->first[ue[i].gsi + 1]++;
	for (g = 0; g < nr_gsis; g++)
		rt->first[g + 1] += rt->first[g];
	for (i = 0; i < nr; i++)
		route_copy(&rt->e[rt->first[ue[i].gsi]++], &ue[i]);
	/* each first[g] now holds the end of run g: shift back by one */
	for (g = nr_gsis; g > 0; g--)
		rt->first[g] = rt->first[g - 1];
	rt->first[0] = 0;

	for (g = 0; g < nr_gsis; g++) {
		r = gsi_check(&rt->e[rt->first[g]],
			      rt->first[g + 1] - rt->first[g]);
		if (r)
			return r;
	}
	/* the reverse map keeps the last route given for a pin, as in-tree */
	for (i = 0; i < nr; i++) {
		u32 chip = ue[i].u.irqchip.irqchip, pin = ue[i].u.irqchip.pin;

		if (ue[i].type != KVM_IRQ_ROUTING_IRQCHIP)
			continue;
		if (chip == KVM_IRQCHIP_PIC_SLAVE)
			pin += 8;
		rt->chip[chip][pin] = ue[i].gsi;
	}
	return 0;
}

#define IOAPIC_ROUTE(g)							\
	{ .gsi = (g), .type = KVM_IRQ_ROUTING_IRQCHIP,			\
	  .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = (g) } }
#define PIC_ROUTE(g)							\
	{ .gsi = (g), .type = KVM_IRQ_ROUTING_IRQCHIP,			\
	  .u.irqchip = { .irqchip = (g) < 8 ? KVM_IRQCHIP_PIC_MASTER :	\
					      KVM_IRQCHIP_PIC_SLAVE,	\
			 .pin = (g) % 8 } }
#define BOTH_ROUTES(g)	IOAPIC_ROUTE(g), PIC_ROUTE(g)

static const struct kvm_irq_routing_entry default_routes[] = {
	BOTH_ROUTES(0), BOTH_ROUTES(1), BOTH_ROUTES(2), BOTH_ROUTES(3),
	BOTH_ROUTES(4), BOTH_ROUTES(5), BOTH_ROUTES(6), BOTH_ROUTES(7),
	BOTH_ROUTES(8), BOTH_ROUTES(9), BOTH_ROUTES(10), BOTH_ROUTES(11),
	BOTH_ROUTES(12), BOTH_ROUTES(13), BOTH_ROUTES(14), BOTH_ROUTES(15),
	IOAPIC_ROUTE(16), IOAPIC_ROUTE(17), IOAPIC_ROUTE(18), IOAPIC_ROUTE(19),
	IOAPIC_ROUTE(20), IOAPIC_ROUTE(21), IOAPIC_ROUTE(22), IOAPIC_ROUTE(23),
};
_Static_assert(sizeof(default_routes) ==
	       KVMX_NR_DEFAULT_ROUTES * sizeof(default_routes[0]),
	       "KVMX_NR_DEFAULT_ROUTES");

void kvmx_irq_routes_default(struct kvm_irq_routing_entry *ue)
{
	memcpy(ue, default_routes, sizeof(default_routes));
}

int kvmx_irq_routes_build_default(struct kvmx_irq_routes *rt)
{
	return kvmx_irq_routes_build(rt, default_routes,
				     KVMX_NR_DEFAULT_ROUTES, 0);
}

unsigned int kvmx_irq_routes_map_gsi(const struct kvmx_irq_routes *rt,
				     u32 gsi,
				     const struct kvmx_irq_route **ent)
{
	if (gsi >= rt->nr_gsis) {
		*ent = NULL;
		return 0;
	}
	*ent = &rt->e[rt->first[gsi]];
	return rt->first[gsi + 1] - rt->first[gsi];
}

int kvmx_irq_routes_chip_pin(const struct kvmx_irq_routes *rt, u32 irqchip,
			     u32 pin)
{
	if (irqchip >= KVM_NR_IRQCHIPS || pin >= KVMX_IRQCHIP_NUM_PINS)
		return -1;
	return rt->chip[irqchip][pin];
}

static int route_set(const struct kvmx_irq_route *e, int level,
		     unsigned int flags, const struct kvmx_irq_route_ops *ops,
		     void *ctx)
{
	struct kvmx_irq_msg msg;

	if (e->type == KVM_IRQ_ROUTING_MSI) {
		/* an MSI is a message, not a line: nothing to lower */
		if (kvmx_msi_invalid(e->msi.address_hi, flags))
			return -EINVAL;
		if (!level)
			return -1;
		kvmx_msi_decode(e->msi.address_lo, e->msi.address_hi,
				e->msi.data, flags, &msg);
		return ops->set_msi(ctx, &msg);
	}
	if (e->irqchip.irqchip == KVM_IRQCHIP_IOAPIC)
		return ops->set_ioapic(ctx, e->irqchip.pin, level);
	return ops->set_pic(ctx, e->irqchip.pin, level);
}

int kvmx_irq_routes_set(const struct kvmx_irq_routes *rt, u32 gsi, int level,
			unsigned int flags,
			const struct kvmx_irq_route_ops *ops, void *ctx)
{
	const struct kvmx_irq_route *e;
	unsigned int i, n;
	int ret = -1, r;

	/*
	 * The guest may use either the PIC or the IOAPIC; the line goes to
	 * both and the unused one ignores it.
	 */
	n = kvmx_irq_routes_map_gsi(rt, gsi, &e);
	for (i = 0; i < n; i++) {
		r = route_set(&e[i], level, flags, ops, ctx);
		if (r < 0)
			continue;
		ret = r + (ret < 0 ? 0 : ret);
	}
	return ret;
}
