/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The I/O APIC as a pure device model (Intel 82093AA datasheet, as KVM
 * models it: one IOAPIC of 24 pins, version 0x11, at 0xfec00000 by
 * default): the IOREGSEL/IOWIN register window, the ID, version and
 * arbitration registers, the redirection table, edge and level pins with
 * remote IRR, the EOI broadcast from the local APICs with an interrupt
 * storm guard, and the KVM_GET/SET_IRQCHIP state (struct kvm_ioapic_state).
 * This header is the whole interface for the kernel glue.
 *
 * Locking and context: the glue serialises every call into the model (one
 * lock) and allocates struct kvmx_ioapic (any memory: kvmx_ioapic_init()
 * sets every field).  The ops are called from inside the entry points;
 * deliver() must not call back into the model, ack() may (see ops).
 * Nothing here sleeps or allocates.
 */
#ifndef KVMX_DEV_IOAPIC_H
#define KVMX_DEV_IOAPIC_H

#include <linux/types.h>
#include <linux/stddef.h>
#include "../../../../include/uapi/linux/kvm.h"
#include "irq_msg.h"

#define KVMX_IOAPIC_NUM_PINS		KVM_IOAPIC_NUM_PINS	/* 24 */
#define KVMX_IOAPIC_VERSION		0x11
#define KVMX_IOAPIC_DEFAULT_BASE	0xfec00000ULL
#define KVMX_IOAPIC_MEM_LENGTH		0x100

/* Direct registers (82093AA 3.1), offsets in the MMIO window. */
#define KVMX_IOAPIC_IOREGSEL		0x00
#define KVMX_IOAPIC_IOWIN		0x10

/* Indirect registers (82093AA 3.2), selected by IOREGSEL. */
#define KVMX_IOAPIC_REG_ID		0x00
#define KVMX_IOAPIC_REG_VER		0x01
#define KVMX_IOAPIC_REG_ARB		0x02
#define KVMX_IOAPIC_REG_REDTBL		0x10	/* 2 per pin: low, high */

/* Redirection table entry fields (82093AA 3.2.4). */
#define KVMX_RTE_VECTOR_MASK		0xffULL
#define KVMX_RTE_DM_SHIFT		8
#define KVMX_RTE_DM_MASK		(7ULL << 8)
#define KVMX_RTE_DEST_LOGICAL		(1ULL << 11)
#define KVMX_RTE_DELIVS			(1ULL << 12)
#define KVMX_RTE_POLARITY		(1ULL << 13)
#define KVMX_RTE_REMOTE_IRR		(1ULL << 14)
#define KVMX_RTE_LEVEL			(1ULL << 15)
#define KVMX_RTE_MASKED			(1ULL << 16)
#define KVMX_RTE_DEST_SHIFT		56

/*
 * In-tree's storm guard: after this many successive EOIs that find a
 * level line still asserted (each re-delivering at once), the next
 * re-delivery is deferred by KVMX_IOAPIC_STORM_DELAY_NS.
 */
#define KVMX_IOAPIC_STORM_COUNT		10000
#define KVMX_IOAPIC_STORM_DELAY_NS	10000000ULL	/* HZ / 100 */

/* The RTC's pin, whose coalescing KVM_IRQ_LINE_STATUS reports. */
#define KVMX_IOAPIC_RTC_PIN		8

struct kvmx_ioapic_ops {
	/*
	 * Route @msg to the local APICs (irq_msg.h).  Returns as in-tree's
	 * kvm_irq_delivery_to_apic(): < 0 if no APIC matched, else the
	 * number of APICs that accepted it (0: all coalesced).  Must not call
	 * back into this model.
	 */
	int (*deliver)(void *opaque, const struct kvmx_irq_msg *msg);
	/*
	 * The EOI of the vector of @pin (kvmx_ioapic_eoi()): run the ack
	 * notifiers of the pin's GSI (resampling irqfds, the PIT).  Called
	 * before remote IRR is cleared; may call kvmx_ioapic_set_irq() (the
	 * glue drops its lock around the notifiers, as in-tree does), and
	 * the model re-reads the pin's state afterwards.  May be NULL.
	 */
	void (*ack)(void *opaque, unsigned int pin);
	/* A guest write changed the mask bit of @pin (in-tree's mask
	 * notifiers, used by the PIT).  May be NULL. */
	void (*mask_changed)(void *opaque, unsigned int pin, bool masked);
	/* Monotonic clock, nanoseconds. */
	u64 (*now_ns)(void *opaque);
	/*
	 * Start the model's one timer for absolute time @deadline_ns (the
	 * storm guard's deferred delivery); when it fires the glue calls
	 * kvmx_ioapic_expire() (late is fine).  cancel() stops it; a stale
	 * expire() after cancel() is harmless.
	 */
	void (*arm)(void *opaque, u64 deadline_ns);
	void (*cancel)(void *opaque);
	void *opaque;
};

struct kvmx_ioapic {
	u64 base_address;
	u32 ioregsel;
	u32 id;
	u32 irr;		/* line levels (edge: until lowered) */
	u32 irr_delivered;	/* edge pins whose current edge was delivered */
	u64 redirtbl[KVMX_IOAPIC_NUM_PINS];
	u32 eoi_count[KVMX_IOAPIC_NUM_PINS];	/* successive re-deliveries */
	bool storm_armed;
	u64 storm_deadline;
	int rtc_pending_eoi;	/* APICs yet to EOI the last RTC interrupt */
	u8 rtc_vector;
	const struct kvmx_ioapic_ops *ops;
};

/* Set up a powered-on IOAPIC (all pins masked, default base). */
void kvmx_ioapic_init(struct kvmx_ioapic *io,
		      const struct kvmx_ioapic_ops *ops);
/*
 * Reset as in-tree's kvm_ioapic_reset(): every pin masked (the other
 * redirection-table bits are kept), base back to the default, IOREGSEL,
 * ID, IRR and the storm guard cleared.
 */
void kvmx_ioapic_reset(struct kvmx_ioapic *io);

/* The MMIO window: [base_address, base_address + 0x100). */
bool kvmx_ioapic_in_range(const struct kvmx_ioapic *io, u64 gpa);
/*
 * Guest MMIO at @gpa, @len bytes (1, 2, 4 or 8; other lengths are
 * ignored).  Only IOREGSEL (0x00) and IOWIN (0x10) decode; the rest of the
 * window reads 0 and ignores writes, including 0x40 (the EOI register of
 * version 0x20 IOAPICs, which in-tree does not model either).  An 8-byte
 * read returns the 32-bit register zero-extended; an 8-byte write uses
 * the low 32 bits.  Returns -EOPNOTSUPP outside the window, else 0.
 */
int kvmx_ioapic_mmio_read(struct kvmx_ioapic *io, u64 gpa, unsigned int len,
			  void *val);
int kvmx_ioapic_mmio_write(struct kvmx_ioapic *io, u64 gpa, unsigned int len,
			   const void *val);

/*
 * The level of input @pin (the glue ORs the pin's sources first).
 * @line_status: the caller wants the RTC's coalescing reported (in-tree's
 * KVM_IRQ_LINE_STATUS rule for pin 8).  Returns as in-tree: 1 for a
 * de-assert, 0 if coalesced (an edge while the line is already high, a
 * level line awaiting EOI re-asserted, the RTC not yet EOIed), -1 if
 * masked or awaiting EOI, else the deliver() result.  -EINVAL for a pin
 * out of range.
 */
int kvmx_ioapic_set_irq(struct kvmx_ioapic *io, unsigned int pin, int level,
			bool line_status);

/*
 * A local APIC EOIed @vector.  For every pin routed to @vector: ack(),
 * then, if @level (the APIC's TMR bit was set and it broadcasts EOIs,
 * i.e. no directed-EOI suppression) and the pin is level-triggered, clear
 * remote IRR and, when the line is still asserted and unmasked, deliver
 * again (deferred by the storm guard, see above).  The RTC's pending-EOI
 * count drops when @vector is the vector it was delivered with.  From the
 * LAPIC model's eoi(vector, level, broadcast) callback (lapic.h) the glue
 * passes @level = level && broadcast.
 */
void kvmx_ioapic_eoi(struct kvmx_ioapic *io, u8 vector, bool level);

/* The timer armed through ops->arm() fired at @now_ns. */
void kvmx_ioapic_expire(struct kvmx_ioapic *io, u64 now_ns);

/*
 * KVM_GET_IRQCHIP / KVM_SET_IRQCHIP.  As in-tree, the exported irr leaves
 * out the edge pins whose edge was already delivered, and import re-raises
 * every pin of the imported irr (delivering what is deliverable now).
 * Import keeps the fields the guest cannot produce but userspace may set
 * (any id or ioregsel, the read-only RTE bits) as in-tree does, ignores
 * pad and irr bits above pin 23, and always succeeds (returns 0).  The RTC
 * pending-EOI count restarts from what the re-raise delivered; the glue
 * may recount it with kvmx_ioapic_rtc_restore() from the APICs' IRR/ISR.
 */
void kvmx_ioapic_get_state(const struct kvmx_ioapic *io,
			   struct kvm_ioapic_state *s);
int kvmx_ioapic_set_state(struct kvmx_ioapic *io,
			  const struct kvm_ioapic_state *s);
void kvmx_ioapic_rtc_restore(struct kvmx_ioapic *io, unsigned int pending);

/* The decoded message of @pin's entry, as delivery would send it. */
void kvmx_ioapic_pin_msg(const struct kvmx_ioapic *io, unsigned int pin,
			 struct kvmx_irq_msg *msg);

#endif /* KVMX_DEV_IOAPIC_H */
