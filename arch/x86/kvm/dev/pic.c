// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PC's cascaded 8259A pair: initialisation and operation command
 * words, priority resolution, input sensing, the INTA cycle and the
 * KVM_GET/SET_IRQCHIP state.  Section names in the comments are those of
 * the Intel 8259A datasheet (order number 231468); the ELCR is described
 * in the PIIX/ICH datasheets ("Edge/Level Triggered Control Register").
 * pic.h is the interface.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "pic.h"

/* ICW1 (A0 = 0, D4 = 1). */
#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define ICW1_SEL	0x10
/* ICW4. */
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
/* OCW3 (A0 = 0, D4:D3 = 01). */
#define OCW3_SEL	0x08
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_P		0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40
/* The poll word: I (an interrupt is pending) and W2-W0 (its level). */
#define POLL_INT	0x80
#define POLL_NONE	0x07	/* in-tree's answer when nothing is pending */

#define CASCADE_IRQ	2
#define NO_IRQ		(-1)

static const u8 elcr_masks[2] = { KVMX_PIC_ELCR1_MASK, KVMX_PIC_ELCR2_MASK };

/*
 * Priority of level @irq: 0 is the highest.  priority_add is the level
 * that currently has the highest priority; after a rotation the level
 * just serviced becomes the lowest ("Rotation (Equal Priority Devices)").
 */
static unsigned int prio(const struct kvm_pic_state *s, unsigned int irq)
{
	return (irq - s->priority_add) & 7;
}

/* The highest-priority level set in @mask, or NO_IRQ. */
static int highest(const struct kvm_pic_state *s, u8 mask)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		unsigned int irq = (s->priority_add + i) & 7;

		if (mask & (1u << irq))
			return irq;
	}
	return NO_IRQ;
}

/*
 * The in-service levels that block lower-priority requests.  In special
 * mask mode a masked level does not ("Special Mask Mode": a set mask bit
 * "enables interrupts from all other levels ... that are not masked").
 */
static u8 blocking_isr(const struct kvm_pic_state *s)
{
	return s->special_mask ? s->isr & ~s->imr : s->isr;
}

/*
 * The level this chip would present on INT now, or NO_IRQ: the highest
 * unmasked request, provided no in-service level of equal or higher
 * priority blocks it ("Fully Nested Mode").  In special fully nested mode
 * the master's cascade input is not blocked by its own in-service bit, so
 * a higher-priority request on the slave gets through while a lower one
 * on the same slave is in service ("Special Fully Nested Mode").
 */
static int chip_request(const struct kvmx_pic_chip *c, bool master)
{
	const struct kvm_pic_state *s = &c->s;
	int req = highest(s, s->irr & ~s->imr);
	u8 isr = blocking_isr(s);
	int cur;

	if (req == NO_IRQ)
		return NO_IRQ;
	if (master && !c->single && s->special_fully_nested_mode &&
	    req == CASCADE_IRQ)
		isr &= ~(1u << CASCADE_IRQ);
	cur = highest(s, isr);
	if (cur != NO_IRQ && prio(s, cur) <= prio(s, req))
		return NO_IRQ;
	return req;
}

static void notify_acked(struct kvmx_pic *pic, unsigned int chip,
			 unsigned int irq)
{
	if (pic->ops->irq_acked)
		pic->ops->irq_acked(pic->opaque, chip * 8 + irq);
}

/*
 * One input line of one chip changed to @level.  ELCR-level inputs
 * request while high; edge inputs latch IRR on a low-to-high transition
 * and keep it until INTA ("Edge and Level Triggered Modes").  last_irr
 * holds the line levels (as in-tree KVM's does).  Returns what
 * kvmx_pic_set_irq() returns.
 */
static int chip_set_line(struct kvm_pic_state *s, unsigned int irq, bool level)
{
	u8 bit = 1u << irq;
	int ret = 1;

	if (level) {
		if ((s->elcr & bit) || !(s->last_irr & bit)) {
			ret = !(s->irr & bit);
			s->irr |= bit;
		}
		s->last_irr |= bit;
	} else {
		if (s->elcr & bit)
			s->irr &= ~bit;
		s->last_irr &= ~bit;
	}
	return (s->imr & bit) ? -1 : ret;
}

/*
 * Recompute the slave's INT (the master's IR2 line, ORed with any other
 * device the glue puts on IRQ 2) and then the master's INT to the CPU.
 * Called after everything that can change a request or a priority.
 */
static void pic_update(struct kvmx_pic *pic)
{
	struct kvmx_pic_chip *m = &pic->chip[0];
	bool slave_int = false;
	bool out;

	if (!m->single)
		slave_int = chip_request(&pic->chip[1], false) != NO_IRQ;
	chip_set_line(&m->s, CASCADE_IRQ, slave_int || pic->ext_irq2);

	out = chip_request(m, true) != NO_IRQ;
	if (out != pic->output) {
		pic->output = out;
		pic->ops->set_int(pic->opaque, out);
	}
}

/*
 * Clears in-service level @irq (EOI) and tells the glue; an EOI of a level
 * not in service changes nothing and is not reported.
 */
static void chip_eoi(struct kvmx_pic *pic, unsigned int chip, unsigned int irq)
{
	struct kvm_pic_state *s = &pic->chip[chip].s;

	if (!(s->isr & (1u << irq)))
		return;
	s->isr &= ~(1u << irq);
	notify_acked(pic, chip, irq);
}

/*
 * The acknowledge of level @irq, by INTA or by a poll read: set its ISR
 * bit and drop an edge request from IRR (a level request stays while the
 * line is high); with auto-EOI the ISR bit goes again at the end of the
 * cycle, optionally rotating ("Automatic End of Interrupt Mode").
 */
static void chip_ack(struct kvmx_pic *pic, unsigned int chip, unsigned int irq)
{
	struct kvm_pic_state *s = &pic->chip[chip].s;
	u8 bit = 1u << irq;

	s->isr |= bit;
	if (!(s->elcr & bit))
		s->irr &= ~bit;
	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (irq + 1) & 7;
		chip_eoi(pic, chip, irq);
	}
}

int kvmx_pic_intack(struct kvmx_pic *pic)
{
	struct kvmx_pic_chip *m = &pic->chip[0], *sl = &pic->chip[1];
	int irq = chip_request(m, true), irq2;
	int vector;

	if (irq == NO_IRQ) {
		vector = m->s.irq_base + 7;
	} else if (irq == CASCADE_IRQ && !m->single) {
		/* the slave puts its vector on the bus in the second cycle */
		chip_ack(pic, 0, irq);
		irq2 = chip_request(sl, false);
		if (irq2 == NO_IRQ) {
			vector = sl->s.irq_base + 7;
		} else {
			chip_ack(pic, 1, irq2);
			vector = sl->s.irq_base + irq2;
		}
	} else {
		chip_ack(pic, 0, irq);
		vector = m->s.irq_base + irq;
	}
	pic_update(pic);
	return vector & 0xff;
}

/*
 * ICW1 starts the initialisation sequence ("Initialization Command
 * Words"): the edge sense circuit is reset (so a latched edge request is
 * dropped and an input must go low to high again), IMR is cleared, IR7
 * gets the lowest priority, special mask mode goes and the status read is
 * set to IRR; without IC4 every ICW4 function is cleared.  The ISR is
 * left alone, as on the chip.  LTIM (D3) is ignored: in a PC the ELCR
 * replaces it, as the PIIX/ICH datasheets say of ICW1 bit 3.  ADI (D2)
 * only matters in 8080 mode.
 */
static void chip_icw1(struct kvmx_pic *pic, unsigned int chip, u8 val)
{
	struct kvmx_pic_chip *c = &pic->chip[chip];
	struct kvm_pic_state *s = &c->s;
	u8 dropped = s->irr & ~s->elcr;
	u8 unmasked = s->imr;
	unsigned int irq;

	s->init4 = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	s->irr &= s->elcr;
	s->imr = 0;
	s->priority_add = 0;
	s->special_mask = 0;
	s->read_reg_select = 0;
	if (!s->init4) {
		s->special_fully_nested_mode = 0;
		s->auto_eoi = 0;
	}
	s->init_state = 1;
	/*
	 * The master's cascade input is re-sensed rather than lost: the
	 * slave's INT may stay high across the master's initialisation
	 * and would otherwise never be seen again (in-tree KVM re-latches
	 * it the same way).
	 */
	if (chip == 0)
		s->last_irr &= ~(1u << CASCADE_IRQ);

	for (irq = 0; irq < 8; irq++) {
		if (dropped & (1u << irq))
			notify_acked(pic, chip, irq);
		if ((unmasked & (1u << irq)) && pic->ops->irq_mask_changed)
			pic->ops->irq_mask_changed(pic->opaque, chip * 8 + irq,
						   false);
	}
	pic_update(pic);
}

/* OCW2: EOI, rotation and priority commands (R, SL, EOI in D7-D5). */
static void chip_ocw2(struct kvmx_pic *pic, unsigned int chip, u8 val)
{
	struct kvm_pic_state *s = &pic->chip[chip].s;
	unsigned int level = val & 7;
	int irq;

	switch (val >> 5) {
	case 0:	/* rotate in automatic EOI mode (clear) */
	case 4:	/* rotate in automatic EOI mode (set) */
		s->rotate_on_auto_eoi = val >> 7;
		return;
	case 1:	/* non-specific EOI */
	case 5:	/* rotate on non-specific EOI */
		/*
		 * The highest-priority in-service level; in special mask
		 * mode a masked IS bit is not cleared by a non-specific
		 * EOI ("End of Interrupt").
		 */
		irq = highest(s, blocking_isr(s));
		if (irq == NO_IRQ)
			return;
		if (val & 0x80)
			s->priority_add = (irq + 1) & 7;
		chip_eoi(pic, chip, irq);
		break;
	case 3:	/* specific EOI of L2-L0 */
		chip_eoi(pic, chip, level);
		break;
	case 6:	/* set priority: L2-L0 becomes the lowest */
		s->priority_add = (level + 1) & 7;
		break;
	case 7:	/* rotate on specific EOI */
		s->priority_add = (level + 1) & 7;
		chip_eoi(pic, chip, level);
		break;
	default:	/* 2: no operation */
		return;
	}
	pic_update(pic);
}

/* OCW3: the read register, poll command and special mask mode. */
static void chip_ocw3(struct kvmx_pic *pic, unsigned int chip, u8 val)
{
	struct kvm_pic_state *s = &pic->chip[chip].s;

	if (val & OCW3_P)
		s->poll = 1;
	if (val & OCW3_RR)
		s->read_reg_select = val & OCW3_RIS;
	if (val & OCW3_ESMM) {
		s->special_mask = !!(val & OCW3_SMM);
		pic_update(pic);
	}
}

/* A0 = 1 writes: OCW1 in operation, else the next ICW of the sequence. */
static void chip_write_data(struct kvmx_pic *pic, unsigned int chip, u8 val)
{
	struct kvmx_pic_chip *c = &pic->chip[chip];
	struct kvm_pic_state *s = &c->s;
	unsigned int irq;
	u8 diff;

	switch (s->init_state) {
	case 0:
		diff = s->imr ^ val;
		s->imr = val;
		for (irq = 0; irq < 8 && pic->ops->irq_mask_changed; irq++)
			if (diff & (1u << irq))
				pic->ops->irq_mask_changed(pic->opaque,
							   chip * 8 + irq,
							   val & (1u << irq));
		pic_update(pic);
		break;
	case 1:
		/* ICW2: T7-T3 of the vector (8086 mode) */
		s->irq_base = val & 0xf8;
		if (!c->single)
			s->init_state = 2;
		else
			s->init_state = s->init4 ? 3 : 0;
		break;
	case 2:
		/*
		 * ICW3: the PC's wiring is fixed (the slave on master IR2,
		 * slave ID 2), so the value is not needed.
		 */
		s->init_state = s->init4 ? 3 : 0;
		break;
	default:
		/*
		 * ICW4: SFNM and AEOI.  uPM (8086 vs 8080 mode) is ignored:
		 * an x86 CPU only runs the 8086 INTA protocol; BUF and M/S
		 * only concern the bus buffers.
		 */
		s->special_fully_nested_mode = !!(val & ICW4_SFNM);
		s->auto_eoi = !!(val & ICW4_AEOI);
		s->init_state = 0;
		break;
	}
}

/*
 * Poll mode ("The Poll Command"): the read after OCW3 with P set acts as
 * an interrupt acknowledge and returns I (bit 7) and the level.  With
 * nothing pending I is 0 and the datasheet leaves W2-W0 open; in-tree
 * KVM reads 0x07 there, and so do we.  Polling the master whose winner is IR2 reports 2:
 * software then polls the slave.
 */
static u8 chip_poll(struct kvmx_pic *pic, unsigned int chip)
{
	struct kvm_pic_state *m = &pic->chip[0].s;
	int irq = chip_request(&pic->chip[chip], chip == 0);

	pic->chip[chip].s.poll = 0;
	if (irq == NO_IRQ)
		return POLL_NONE;
	chip_ack(pic, chip, irq);
	if (chip == 1) {
		/*
		 * The slave's request was taken by polling, not through the
		 * master: drop the master's latched cascade request so that
		 * it does not turn into a spurious IRQ 15, and re-sense the
		 * line for a further slave request (as in-tree KVM does).
		 */
		m->irr &= ~(1u << CASCADE_IRQ);
		m->last_irr &= ~(1u << CASCADE_IRQ);
	}
	pic_update(pic);
	return POLL_INT | irq;
}

bool kvmx_pic_decodes(u16 port)
{
	switch (port) {
	case KVMX_PIC_MASTER_CMD:
	case KVMX_PIC_MASTER_DATA:
	case KVMX_PIC_SLAVE_CMD:
	case KVMX_PIC_SLAVE_DATA:
	case KVMX_PIC_ELCR1:
	case KVMX_PIC_ELCR2:
		return true;
	}
	return false;
}

int kvmx_pic_read(struct kvmx_pic *pic, u16 port, u8 *val)
{
	unsigned int chip = (port >> 7) & 1;
	struct kvm_pic_state *s = &pic->chip[chip].s;

	if (!kvmx_pic_decodes(port))
		return -EOPNOTSUPP;
	if (port == KVMX_PIC_ELCR1 || port == KVMX_PIC_ELCR2)
		*val = pic->chip[port & 1].s.elcr;
	else if (s->poll)
		*val = chip_poll(pic, chip);
	else if (port & 1)
		*val = s->imr;
	else
		*val = s->read_reg_select ? s->isr : s->irr;
	return 0;
}

/*
 * ELCR writes: bits outside the mask read back 0.  A level input follows
 * its line at once, so one that is high now requests.
 */
static void elcr_write(struct kvmx_pic *pic, unsigned int chip, u8 val)
{
	struct kvm_pic_state *s = &pic->chip[chip].s;

	s->elcr = val & s->elcr_mask;
	s->irr = (s->irr & ~s->elcr) | (s->last_irr & s->elcr);
	pic_update(pic);
}

int kvmx_pic_write(struct kvmx_pic *pic, u16 port, u8 val)
{
	unsigned int chip = (port >> 7) & 1;

	if (!kvmx_pic_decodes(port))
		return -EOPNOTSUPP;
	if (port == KVMX_PIC_ELCR1 || port == KVMX_PIC_ELCR2)
		elcr_write(pic, port & 1, val);
	else if (port & 1)
		chip_write_data(pic, chip, val);
	else if (val & ICW1_SEL)
		chip_icw1(pic, chip, val);
	else if (val & OCW3_SEL)
		chip_ocw3(pic, chip, val);
	else
		chip_ocw2(pic, chip, val);
	return 0;
}

int kvmx_pic_set_irq(struct kvmx_pic *pic, unsigned int irq, int level)
{
	struct kvm_pic_state *s;
	int ret;

	if (irq >= KVMX_PIC_NR_IRQS)
		return -EINVAL;
	s = &pic->chip[irq >> 3].s;
	if (irq == CASCADE_IRQ) {
		/* the line is the OR of the device and the slave's INT */
		bool was = s->irr & (1u << CASCADE_IRQ);

		pic->ext_irq2 = level;
		pic_update(pic);
		if (s->imr & (1u << CASCADE_IRQ))
			return -1;
		return !(was && level);
	}
	ret = chip_set_line(s, irq & 7, level);
	pic_update(pic);
	return ret;
}

bool kvmx_pic_output(const struct kvmx_pic *pic)
{
	return pic->output;
}

int kvmx_pic_get_state(const struct kvmx_pic *pic, unsigned int chip,
		       struct kvm_pic_state *state)
{
	if (chip > KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	*state = pic->chip[chip].s;
	return 0;
}

static bool flag_ok(u8 v)
{
	return v <= 1;
}

int kvmx_pic_set_state(struct kvmx_pic *pic, unsigned int chip,
		       const struct kvm_pic_state *state)
{
	struct kvmx_pic_chip *c;

	if (chip > KVM_IRQCHIP_PIC_SLAVE)
		return -EINVAL;
	if (state->init_state > 3 || state->priority_add > 7 ||
	    (state->irq_base & 7) || !flag_ok(state->read_reg_select) ||
	    !flag_ok(state->poll) || !flag_ok(state->special_mask) ||
	    !flag_ok(state->auto_eoi) || !flag_ok(state->rotate_on_auto_eoi) ||
	    !flag_ok(state->special_fully_nested_mode) ||
	    !flag_ok(state->init4))
		return -EINVAL;
	c = &pic->chip[chip];
	c->s = *state;
	c->s.elcr_mask &= elcr_masks[chip];
	c->s.elcr &= c->s.elcr_mask;
	c->single = false;
	pic_update(pic);
	return 0;
}

void kvmx_pic_init(struct kvmx_pic *pic, const struct kvmx_pic_ops *ops,
		   void *opaque)
{
	memset(pic, 0, sizeof(*pic));
	pic->ops = ops;
	pic->opaque = opaque;
	pic->chip[0].s.elcr_mask = KVMX_PIC_ELCR1_MASK;
	pic->chip[1].s.elcr_mask = KVMX_PIC_ELCR2_MASK;
}
