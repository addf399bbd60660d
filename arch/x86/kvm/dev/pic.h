/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PC's pair of cascaded 8259A programmable interrupt controllers as a
 * pure device model (Intel 8259A datasheet, wired as in a PC: master at
 * ports 0x20/0x21, slave at 0xa0/0xa1 on master input IR2, the PIIX/ICH
 * edge/level control registers ELCR1/ELCR2 at 0x4d0/0x4d1).  It owns the
 * ICW1-ICW4 initialisation sequence, OCW1-OCW3, priority resolution with
 * rotation, special mask and special fully nested modes, edge/level input
 * sensing, the INTA cycle (vector, spurious IRQ 7/15), poll mode, the INT
 * output to the CPU, and the KVM_GET/SET_IRQCHIP state of each chip.  This
 * header is the whole interface for the kernel glue.
 *
 * Locking and context: the glue serialises every call into one PIC (one
 * lock around each entry point).  The ops below are called from inside
 * the entry points with that lock held and must not call back into the
 * PIC: irq_acked in particular (which in-tree KVM turns into ack
 * notifiers, e.g. the PIT's reinjection) has to be deferred by the glue
 * until it has dropped the lock.  Nothing here sleeps or allocates;
 * struct kvmx_pic is allocated by the glue and set up by kvmx_pic_init().
 */
#ifndef KVMX_DEV_PIC_H
#define KVMX_DEV_PIC_H

#include <linux/types.h>
#include <linux/stddef.h>
#include "../../../../include/uapi/linux/kvm.h"

#define KVMX_PIC_NR_IRQS	16

/* The I/O ports the PIC decodes (byte accesses only). */
#define KVMX_PIC_MASTER_CMD	0x20
#define KVMX_PIC_MASTER_DATA	0x21
#define KVMX_PIC_SLAVE_CMD	0xa0
#define KVMX_PIC_SLAVE_DATA	0xa1
#define KVMX_PIC_ELCR1		0x4d0
#define KVMX_PIC_ELCR2		0x4d1

/*
 * Which ELCR bits may be set: IRQ 0, 1, 2 (timer, keyboard, cascade), 8
 * (RTC) and 13 (FPU error) are always edge-triggered in a PC; the same
 * masks as in-tree KVM, so states move between the two unchanged.
 */
#define KVMX_PIC_ELCR1_MASK	0xf8
#define KVMX_PIC_ELCR2_MASK	0xde

struct kvmx_pic_ops {
	/*
	 * The master's INT output (to the CPU's INTR pin, through LINT0 or
	 * the IOAPIC's ExtINT pin) changed to @level.  Called only on a
	 * change; on rising, the glue kicks the vCPU that accepts PIC
	 * interrupts, which later calls kvmx_pic_intack().  Required.
	 */
	void (*set_int)(void *opaque, bool level);
	/*
	 * The in-service bit of @irq (0..15) was cleared by an EOI (any
	 * OCW2 form, auto-EOI, poll with auto-EOI), or a latched edge
	 * request of @irq was discarded by ICW1: the glue runs the ack
	 * notifiers of that IRQ (the PIT's kvmx_pit_irq0_acked() for 0)
	 * after dropping the PIC lock.  May be NULL.
	 */
	void (*irq_acked)(void *opaque, unsigned int irq);
	/*
	 * The guest changed the mask bit of @irq in OCW1 (or ICW1 unmasked
	 * it): the glue runs the mask notifiers (the PIT's
	 * kvmx_pit_irq0_mask()).  May be NULL.
	 */
	void (*irq_mask_changed)(void *opaque, unsigned int irq, bool masked);
};

struct kvmx_pic_chip {
	/* The registers, in the ABI layout and in-tree KVM's meanings. */
	struct kvm_pic_state s;
	/*
	 * ICW1 SNGL: no ICW3 follows and, on the master, IR2 is an
	 * ordinary input with no slave behind it.  Not in the ABI (in-tree
	 * KVM ignores SNGL): a state import clears it.
	 */
	bool single;
};

struct kvmx_pic {
	struct kvmx_pic_chip chip[2];	/* [0] master, [1] slave */
	/* A device on master IR2 besides the cascade (set_irq(2, ...)). */
	bool ext_irq2;
	bool output;			/* the master's INT output */
	const struct kvmx_pic_ops *ops;
	void *opaque;
};

/*
 * Power-on state, as in-tree KVM creates it: both chips in normal
 * operation (no ICW sequence pending), everything zero (vector base 0,
 * nothing masked), the PC ELCR masks.  Sets every field.
 */
void kvmx_pic_init(struct kvmx_pic *pic, const struct kvmx_pic_ops *ops,
		   void *opaque);

/* True when @port is one of the six ports above. */
bool kvmx_pic_decodes(u16 port);

/*
 * Guest byte accesses to @port.  Return 0, or -EOPNOTSUPP when the PIC
 * does not decode @port (the read then leaves *val alone).
 */
int kvmx_pic_read(struct kvmx_pic *pic, u16 port, u8 *val);
int kvmx_pic_write(struct kvmx_pic *pic, u16 port, u8 val);

/*
 * Drives input @irq (0..15; 8..15 are the slave's IR0..IR7) to @level
 * (0 or not).  Where several sources share one IRQ the glue ORs their
 * levels and passes the result.  An edge-triggered input latches a
 * request on a rising edge; a level-triggered one (ELCR bit set) requests
 * while high.  Returns, as in-tree KVM's kvm_pic_set_irq() does for
 * KVM_IRQ_LINE_STATUS: -1 when the input is masked, 0 when the request
 * was already pending (coalesced), 1 otherwise; -EINVAL for a bad @irq.
 */
int kvmx_pic_set_irq(struct kvmx_pic *pic, unsigned int irq, int level);

/* The master's INT output level (what set_int last reported). */
bool kvmx_pic_output(const struct kvmx_pic *pic);

/*
 * The CPU's interrupt acknowledge cycle: returns the vector (0..255) of
 * the highest-priority request and moves it from IRR to ISR (auto-EOI
 * clears it again at once), asking the slave for the vector when the
 * master's winner is the cascade input.  With no request left (it was
 * masked or its level dropped since INT rose) the vector of IRQ 7 of the
 * chip that was asked is returned and no ISR bit is set: the spurious
 * IRQ 7 or 15 (8259A datasheet, "Interrupt Sequence").
 */
int kvmx_pic_intack(struct kvmx_pic *pic);

/*
 * KVM_GET_IRQCHIP / KVM_SET_IRQCHIP for KVM_IRQCHIP_PIC_MASTER (0) and
 * KVM_IRQCHIP_PIC_SLAVE (1).  Both return -EINVAL for another @chip; set
 * returns -EINVAL (changing nothing) for a state in-tree KVM cannot
 * produce: init_state > 3, priority_add > 7, irq_base not a multiple of
 * 8, a flag field other than 0/1.  ELCR bits outside the PC mask are
 * dropped.  The INT output is recomputed (set_int may be called).
 */
int kvmx_pic_get_state(const struct kvmx_pic *pic, unsigned int chip,
		       struct kvm_pic_state *state);
int kvmx_pic_set_state(struct kvmx_pic *pic, unsigned int chip,
		       const struct kvm_pic_state *state);

#endif /* KVMX_DEV_PIC_H */
