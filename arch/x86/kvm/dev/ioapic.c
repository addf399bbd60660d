// SPDX-License-Identifier: GPL-2.0-only
/*
 * The I/O APIC model (interface and locking rules in ioapic.h): register
 * window decoding, the redirection table, pin input handling for edge and
 * level triggers, the EOI broadcast with its storm guard, and the
 * KVM_GET/SET_IRQCHIP state.  Behaviour follows the Intel 82093AA
 * datasheet where in-tree KVM follows it, and in-tree KVM where guests and
 * VMMs depend on its particular choices (noted where they differ).
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "ioapic.h"

#define ALL_PINS_MASK	((1U << KVMX_IOAPIC_NUM_PINS) - 1)

static bool rte_level(u64 rte)
{
	return rte & KVMX_RTE_LEVEL;
}

void kvmx_ioapic_pin_msg(const struct kvmx_ioapic *io, unsigned int pin,
			 struct kvmx_irq_msg *msg)
{
	u64 rte = pin < KVMX_IOAPIC_NUM_PINS ? io->redirtbl[pin] : 0;

	/*
	 * 82093AA 3.2.4: the destination is RTE bits 63:56 (an APIC ID, or
	 * a logical set with DESTMOD); polarity only says which input level
	 * is "asserted", and the pin levels given to us are already logical
	 * (KVM_CAP_IOAPIC_POLARITY_IGNORED), so it plays no part.
	 */
	msg->dest = (u32)(rte >> KVMX_RTE_DEST_SHIFT);
	msg->vector = rte & KVMX_RTE_VECTOR_MASK;
	msg->mode = (rte & KVMX_RTE_DM_MASK) >> KVMX_RTE_DM_SHIFT;
	msg->logical = rte & KVMX_RTE_DEST_LOGICAL;
	msg->level = rte_level(rte);
	msg->assert = true;
	msg->redir_hint = false;
}

/*
 * Send @pin's interrupt unless it is masked or, for a level pin, the last
 * one still awaits its EOI (remote IRR, 82093AA 3.2.4).  A level pin's
 * remote IRR is set whenever delivery was attempted (in-tree sets it even
 * when no APIC matched, so an unroutable level line does not storm).
 */
static int ioapic_service(struct kvmx_ioapic *io, unsigned int pin,
			  bool line_status)
{
	u64 *rte = &io->redirtbl[pin];
	struct kvmx_irq_msg msg;
	int ret;

	if ((*rte & KVMX_RTE_MASKED) ||
	    (rte_level(*rte) && (*rte & KVMX_RTE_REMOTE_IRR)))
		return -1;

	kvmx_ioapic_pin_msg(io, pin, &msg);
	if (!msg.level)
		io->irr_delivered |= 1U << pin;

	ret = io->ops->deliver(io->ops->opaque, &msg);

	if (pin == KVMX_IOAPIC_RTC_PIN && line_status) {
		io->rtc_pending_eoi = ret < 0 ? 0 : ret;
		io->rtc_vector = msg.vector;
	}
	if (ret && msg.level)
		*rte |= KVMX_RTE_REMOTE_IRR;
	return ret;
}

static void storm_cancel(struct kvmx_ioapic *io)
{
	if (io->storm_armed && io->ops->cancel)
		io->ops->cancel(io->ops->opaque);
	io->storm_armed = false;
}

void kvmx_ioapic_reset(struct kvmx_ioapic *io)
{
	unsigned int i;

	storm_cancel(io);
	for (i = 0; i < KVMX_IOAPIC_NUM_PINS; i++) {
		io->redirtbl[i] |= KVMX_RTE_MASKED;
		io->eoi_count[i] = 0;
	}
	io->base_address = KVMX_IOAPIC_DEFAULT_BASE;
	io->ioregsel = 0;
	io->irr = 0;
	io->irr_delivered = 0;
	io->id = 0;
	io->rtc_pending_eoi = 0;
	io->rtc_vector = 0;
}

void kvmx_ioapic_init(struct kvmx_ioapic *io,
		      const struct kvmx_ioapic_ops *ops)
{
	memset(io, 0, sizeof(*io));
	io->ops = ops;
	kvmx_ioapic_reset(io);
}

bool kvmx_ioapic_in_range(const struct kvmx_ioapic *io, u64 gpa)
{
	return gpa >= io->base_address &&
	       gpa - io->base_address < KVMX_IOAPIC_MEM_LENGTH;
}

static u32 ioapic_read_indirect(const struct kvmx_ioapic *io)
{
	u32 index;
	u64 rte;

	switch (io->ioregsel) {
	case KVMX_IOAPIC_REG_VER:
		/* 82093AA 3.2.2: maximum redirection entry in bits 23:16 */
		return ((KVMX_IOAPIC_NUM_PINS - 1) << 16) | KVMX_IOAPIC_VERSION;
	case KVMX_IOAPIC_REG_ID:
	case KVMX_IOAPIC_REG_ARB:
		/*
		 * 3.2.1/3.2.3: a 4-bit ID in bits 27:24.  The arbitration ID
		 * is loaded from the ID on the real chip; in-tree reads it
		 * as the ID too.
		 */
		return (io->id & 0xf) << 24;
	default:
		break;
	}
	/* In-tree: any other index reads as the halves of an all-ones RTE */
	index = (io->ioregsel - KVMX_IOAPIC_REG_REDTBL) >> 1;
	rte = index < KVMX_IOAPIC_NUM_PINS ? io->redirtbl[index] : ~0ULL;
	return (io->ioregsel & 1) ? (u32)(rte >> 32) : (u32)rte;
}

static void ioapic_write_rte(struct kvmx_ioapic *io, unsigned int pin, u32 val)
{
	u64 *rte = &io->redirtbl[pin];
	u64 keep = KVMX_RTE_DELIVS | KVMX_RTE_REMOTE_IRR;
	u64 old = *rte, new;

	if (io->ioregsel & 1)
		new = (old & 0xffffffffULL) | ((u64)val << 32);
	else
		new = (old & ~0xffffffffULL) | val;
	/* delivery status and remote IRR are read-only (82093AA 3.2.4) */
	new = (new & ~keep) | (old & keep);
	/*
	 * Linux and Xen clear a stuck remote IRR by switching the pin to
	 * edge and back (IOAPICs without an EOI register): edge clears it.
	 */
	if (!rte_level(new))
		new &= ~KVMX_RTE_REMOTE_IRR;
	*rte = new;

	if (((old ^ new) & KVMX_RTE_MASKED) && io->ops->mask_changed)
		io->ops->mask_changed(io->ops->opaque, pin,
				      new & KVMX_RTE_MASKED);
	/*
	 * A level line that is asserted is delivered as soon as the entry
	 * allows it: unmasking it, or making it level, sends the interrupt.
	 * Edges that arrived while masked are lost.
	 */
	if (rte_level(new) && (io->irr & (1U << pin)))
		ioapic_service(io, pin, false);
}

static void ioapic_write_indirect(struct kvmx_ioapic *io, u32 val)
{
	u32 index;

	switch (io->ioregsel) {
	case KVMX_IOAPIC_REG_VER:
	case KVMX_IOAPIC_REG_ARB:
		return;		/* read-only */
	case KVMX_IOAPIC_REG_ID:
		io->id = (val >> 24) & 0xf;
		return;
	default:
		break;
	}
	index = (io->ioregsel - KVMX_IOAPIC_REG_REDTBL) >> 1;
	if (index < KVMX_IOAPIC_NUM_PINS)
		ioapic_write_rte(io, index, val);
}

int kvmx_ioapic_mmio_read(struct kvmx_ioapic *io, u64 gpa, unsigned int len,
			  void *val)
{
	u64 result;

	if (!kvmx_ioapic_in_range(io, gpa))
		return -EOPNOTSUPP;

	switch ((gpa - io->base_address) & 0xff) {
	case KVMX_IOAPIC_IOREGSEL:
		result = io->ioregsel;
		break;
	case KVMX_IOAPIC_IOWIN:
		result = ioapic_read_indirect(io);
		break;
	default:
		result = 0;
		break;
	}
	/* little-endian: the low @len bytes of the value */
	if (len == 1 || len == 2 || len == 4 || len == 8)
		memcpy(val, &result, len);
	return 0;
}

int kvmx_ioapic_mmio_write(struct kvmx_ioapic *io, u64 gpa, unsigned int len,
			   const void *val)
{
	u64 data = 0;

	if (!kvmx_ioapic_in_range(io, gpa))
		return -EOPNOTSUPP;
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return 0;
	memcpy(&data, val, len);

	switch ((gpa - io->base_address) & 0xff) {
	case KVMX_IOAPIC_IOREGSEL:
		/* 82093AA 3.1.1: an 8-bit register */
		io->ioregsel = data & 0xff;
		break;
	case KVMX_IOAPIC_IOWIN:
		ioapic_write_indirect(io, (u32)data);
		break;
	default:
		break;
	}
	return 0;
}

static bool rtc_coalesced(const struct kvmx_ioapic *io, unsigned int pin,
			  bool line_status)
{
	return pin == KVMX_IOAPIC_RTC_PIN && line_status &&
	       io->rtc_pending_eoi > 0;
}

int kvmx_ioapic_set_irq(struct kvmx_ioapic *io, unsigned int pin, int level,
			bool line_status)
{
	u32 bit, old_irr;

	if (pin >= KVMX_IOAPIC_NUM_PINS)
		return -EINVAL;
	bit = 1U << pin;

	if (!level) {
		io->irr &= ~bit;
		return 1;
	}
	/*
	 * The RTC is edge-triggered, but a VMM slewing the guest clock wants
	 * to know whether the previous tick was EOIed yet (in-tree rule).
	 */
	if (rtc_coalesced(io, pin, line_status))
		return 0;

	old_irr = io->irr;
	io->irr |= bit;
	if (!rte_level(io->redirtbl[pin])) {
		/* only a rising edge raises an edge-triggered interrupt */
		io->irr_delivered &= ~bit;
		if (old_irr & bit)
			return 0;
	}
	return ioapic_service(io, pin, line_status);
}

static void storm_defer(struct kvmx_ioapic *io)
{
	if (io->storm_armed)
		return;
	io->storm_deadline = io->ops->now_ns(io->ops->opaque) +
			     KVMX_IOAPIC_STORM_DELAY_NS;
	io->storm_armed = true;
	io->ops->arm(io->ops->opaque, io->storm_deadline);
}

static void ioapic_eoi_pin(struct kvmx_ioapic *io, unsigned int pin,
			   bool level)
{
	u64 *rte = &io->redirtbl[pin];

	if (io->ops->ack)
		io->ops->ack(io->ops->opaque, pin);

	/*
	 * Only a level EOI broadcast reaches the pins (SDM Vol. 3A 11.8.5);
	 * a pin the guest turned to edge since has no remote IRR to clear.
	 */
	if (!level || !rte_level(*rte))
		return;

	*rte &= ~KVMX_RTE_REMOTE_IRR;
	if ((*rte & KVMX_RTE_MASKED) || !(io->irr & (1U << pin))) {
		io->eoi_count[pin] = 0;
		return;
	}
	/*
	 * Still asserted: re-deliver at once, as in-tree does.  A guest that
	 * EOIs without quieting its device would spin here forever; real
	 * hardware takes a moment to re-send, so after many successive
	 * re-deliveries the next one waits a little (in-tree's guard).  The
	 * line stays in irr meanwhile; any pin found deliverable when the
	 * timer fires is sent then.
	 */
	if (++io->eoi_count[pin] >= KVMX_IOAPIC_STORM_COUNT) {
		io->eoi_count[pin] = 0;
		storm_defer(io);
		return;
	}
	ioapic_service(io, pin, false);
}

void kvmx_ioapic_eoi(struct kvmx_ioapic *io, u8 vector, bool level)
{
	unsigned int pin;

	if (io->rtc_pending_eoi > 0 && vector == io->rtc_vector)
		io->rtc_pending_eoi--;

	for (pin = 0; pin < KVMX_IOAPIC_NUM_PINS; pin++) {
		if ((io->redirtbl[pin] & KVMX_RTE_VECTOR_MASK) == vector)
			ioapic_eoi_pin(io, pin, level);
	}
}

void kvmx_ioapic_expire(struct kvmx_ioapic *io, u64 now_ns)
{
	unsigned int pin;

	if (!io->storm_armed)
		return;
	if (now_ns < io->storm_deadline) {
		/* early: keep waiting */
		io->ops->arm(io->ops->opaque, io->storm_deadline);
		return;
	}
	io->storm_armed = false;
	for (pin = 0; pin < KVMX_IOAPIC_NUM_PINS; pin++) {
		if (rte_level(io->redirtbl[pin]) && (io->irr & (1U << pin)))
			ioapic_service(io, pin, false);
	}
}

void kvmx_ioapic_get_state(const struct kvmx_ioapic *io,
			   struct kvm_ioapic_state *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	s->base_address = io->base_address;
	s->ioregsel = io->ioregsel;
	s->id = io->id;
	s->irr = io->irr & ~io->irr_delivered;
	for (i = 0; i < KVMX_IOAPIC_NUM_PINS; i++)
		s->redirtbl[i].bits = io->redirtbl[i];
}

int kvmx_ioapic_set_state(struct kvmx_ioapic *io,
			  const struct kvm_ioapic_state *s)
{
	u32 irr = s->irr & ALL_PINS_MASK;
	unsigned int i;

	storm_cancel(io);
	io->base_address = s->base_address;
	io->ioregsel = s->ioregsel;
	io->id = s->id;
	for (i = 0; i < KVMX_IOAPIC_NUM_PINS; i++) {
		io->redirtbl[i] = s->redirtbl[i].bits;
		io->eoi_count[i] = 0;
	}
	io->irr = 0;
	io->irr_delivered = 0;
	io->rtc_pending_eoi = 0;
	for (i = 0; i < KVMX_IOAPIC_NUM_PINS; i++) {
		if (irr & (1U << i))
			kvmx_ioapic_set_irq(io, i, 1, true);
	}
	return 0;
}

void kvmx_ioapic_rtc_restore(struct kvmx_ioapic *io, unsigned int pending)
{
	io->rtc_pending_eoi = pending > 0x7fffffff ? 0x7fffffff : pending;
	io->rtc_vector = io->redirtbl[KVMX_IOAPIC_RTC_PIN] &
			 KVMX_RTE_VECTOR_MASK;
}
