/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt routing as a pure model: the GSI routing table of
 * KVM_SET_GSI_ROUTING (validation with in-tree's rules and errno, the
 * default table KVM_CREATE_IRQCHIP installs, the lookup and the fan-out of
 * a GSI level change to the PIC, IOAPIC and MSI targets), the decoding of
 * an MSI address/data pair into an interrupt message (SDM Vol. 3A 11.11)
 * and the input checks of KVM_SIGNAL_MSI.  This header is the whole
 * interface for the kernel glue.
 *
 * The table is built by kvmx_irq_routes_build() into a struct the glue
 * allocates (about 100 KiB: kvzalloc it) and then publishes (RCU, as
 * in-tree); a built table is only read, so lookups need no lock.
 */
#ifndef KVMX_DEV_IRQ_ROUTE_H
#define KVMX_DEV_IRQ_ROUTE_H

#include <linux/types.h>
#include <linux/stddef.h>
#include "../../../../include/uapi/linux/kvm.h"
#include "irq_msg.h"

#define KVMX_MAX_IRQ_ROUTES	4096	/* in-tree KVM_MAX_IRQ_ROUTES (x86) */
#define KVMX_IRQCHIP_NUM_PINS	KVM_IOAPIC_NUM_PINS
#define KVMX_PIC_NUM_PINS	16	/* master 0-7, slave 8-15 */
#define KVMX_NR_DEFAULT_ROUTES	40	/* GSI 0-15: IOAPIC + PIC, 16-23 */

/*
 * VM configuration the MSI rules depend on (flags of the calls below).
 * X2APIC_FORMAT: KVM_CAP_X2APIC_API with KVM_X2APIC_API_USE_32BIT_IDS was
 * enabled, so address_hi bits 31:8 carry destination ID bits 31:8 and
 * address_hi bits 7:0 must be zero.
 * EXT_DEST_ID: decode address_lo bits 11:5 as destination ID bits 14:8
 * (the guest ABI of KVM_FEATURE_MSI_EXT_DEST_ID).  In-tree KVM does not
 * decode them (QEMU moves them into address_hi before KVM sees them), so
 * a drop-in glue leaves this clear.
 * SPLIT_IRQCHIP: KVM_CAP_SPLIT_IRQCHIP; irqchip routes are refused.
 */
#define KVMX_MSI_X2APIC_FORMAT	(1U << 0)
#define KVMX_MSI_EXT_DEST_ID	(1U << 1)
#define KVMX_ROUTE_SPLIT_IRQCHIP (1U << 2)

/* MSI address and data fields (SDM Vol. 3A 11.11.1, 11.11.2). */
#define KVMX_MSI_ADDR_DEST_SHIFT	12	/* bits 19:12 */
#define KVMX_MSI_ADDR_EXT_DEST_SHIFT	5	/* bits 11:5 (paravirtual) */
#define KVMX_MSI_ADDR_REMAPPABLE	(1U << 4)
#define KVMX_MSI_ADDR_RH		(1U << 3)
#define KVMX_MSI_ADDR_DM_LOGICAL	(1U << 2)
#define KVMX_MSI_DATA_DM_SHIFT		8	/* bits 10:8 */
#define KVMX_MSI_DATA_ASSERT		(1U << 14)
#define KVMX_MSI_DATA_LEVEL		(1U << 15)

/* One route; the PIC slave's pins are stored as 8-15 (as in-tree). */
struct kvmx_irq_route {
	u32 gsi;
	u32 type;		/* KVM_IRQ_ROUTING_IRQCHIP or _MSI */
	union {
		struct {
			u32 irqchip;	/* KVM_IRQCHIP_* */
			u32 pin;
		} irqchip;
		struct {
			u32 address_lo;
			u32 address_hi;
			u32 data;
		} msi;
	};
};

struct kvmx_irq_routes {
	u32 nr;			/* routes in e[] */
	u32 nr_gsis;		/* highest GSI + 1 (in-tree nr_rt_entries) */
	/* the GSI routed to each chip pin (the last one given), or -1 */
	s32 chip[KVM_NR_IRQCHIPS][KVMX_IRQCHIP_NUM_PINS];
	/* e[first[g]] .. e[first[g + 1] - 1] are GSI g's, in given order */
	u16 first[KVMX_MAX_IRQ_ROUTES + 1];
	struct kvmx_irq_route e[KVMX_MAX_IRQ_ROUTES];
};

/*
 * KVM_SET_GSI_ROUTING's header checks: -EINVAL for nr above 4096 or any
 * flags.  (The glue's first check, as in-tree: -EINVAL without an
 * in-kernel irqchip, split or not.)
 */
int kvmx_irq_routing_check(const struct kvm_irq_routing *r);

/*
 * Build @rt from @nr entries.  -EINVAL, as in-tree, for: a GSI >= 4096;
 * an unknown type; flags other than KVM_MSI_VALID_DEVID on an MSI route
 * (accepted there and the devid ignored, as in-tree) or any flags on an
 * irqchip route; an irqchip other than PIC master/slave/IOAPIC, a PIC pin
 * above 7 or an IOAPIC pin above 23; an irqchip route with
 * KVMX_ROUTE_SPLIT_IRQCHIP; an MSI with address_hi bits 7:0 set under
 * KVMX_MSI_X2APIC_FORMAT; a GSI with two routes to the same irqchip, or
 * with an MSI route and any other route.  On error @rt is garbage.
 */
int kvmx_irq_routes_build(struct kvmx_irq_routes *rt,
			  const struct kvm_irq_routing_entry *ue, u32 nr,
			  unsigned int flags);

/*
 * The table in-tree installs at KVM_CREATE_IRQCHIP (kernel irqchip; a
 * split irqchip starts with an empty one, nr = 0): GSI i to IOAPIC pin i
 * for 0-23 and to PIC pin i for 0-15 (the PIT's GSI 0 goes to IOAPIC pin
 * 0; the VMM's ACPI override to pin 2 comes with the VMM's own table).
 * kvmx_irq_routes_default() fills @ue[KVMX_NR_DEFAULT_ROUTES].
 */
void kvmx_irq_routes_default(struct kvm_irq_routing_entry *ue);
int kvmx_irq_routes_build_default(struct kvmx_irq_routes *rt);

/* GSI @gsi's routes: sets *@ent to the first, returns how many (0-3). */
unsigned int kvmx_irq_routes_map_gsi(const struct kvmx_irq_routes *rt,
				     u32 gsi,
				     const struct kvmx_irq_route **ent);
/* The GSI routed to a chip pin (PIC slave pins 8-15), or -1. */
int kvmx_irq_routes_chip_pin(const struct kvmx_irq_routes *rt, u32 irqchip,
			     u32 pin);

/*
 * The targets of a GSI level change; @ctx is the caller's (typically its
 * IRQ source ID).  Each returns as the chip's set_irq does (< 0: not
 * delivered, else the count delivered).
 */
struct kvmx_irq_route_ops {
	int (*set_pic)(void *ctx, unsigned int pin, int level);	/* 0-15 */
	int (*set_ioapic)(void *ctx, unsigned int pin, int level);
	int (*set_msi)(void *ctx, const struct kvmx_irq_msg *msg);
};

/*
 * Fan a level change of @gsi out to its routes, as in-tree kvm_set_irq():
 * an MSI route fires only on level 1 (and not when invalid under
 * @flags); the result is -1 if no target took it, else the sum of the
 * non-negative results (KVM_IRQ_LINE_STATUS).  A GSI without routes
 * gives -1.
 */
int kvmx_irq_routes_set(const struct kvmx_irq_routes *rt, u32 gsi, int level,
			unsigned int flags,
			const struct kvmx_irq_route_ops *ops, void *ctx);

/* In-tree's MSI validity rule (see KVMX_MSI_X2APIC_FORMAT). */
bool kvmx_msi_invalid(u32 address_hi, unsigned int flags);
/*
 * Decode an MSI (SDM Vol. 3A 11.11): destination ID from address bits
 * 19:12 (extended per @flags), DM and RH bits; vector, delivery mode and
 * trigger mode from data.  The data's level bit is not used (in-tree
 * delivers every MSI as an assert); the address's 0xfee prefix is not
 * checked (in-tree does not either).
 */
void kvmx_msi_decode(u32 address_lo, u32 address_hi, u32 data,
		     unsigned int flags, struct kvmx_irq_msg *msg);
/*
 * KVM_SIGNAL_MSI's checks (after the glue's own: -EINVAL without an
 * in-kernel irqchip): -EINVAL for flags other than KVM_MSI_VALID_DEVID
 * (accepted and ignored, as in-tree) and for an invalid address_hi; then
 * *@msg is the message to deliver.
 */
int kvmx_signal_msi(const struct kvm_msi *msi, unsigned int flags,
		    struct kvmx_irq_msg *msg);

#endif /* KVMX_DEV_IRQ_ROUTE_H */
