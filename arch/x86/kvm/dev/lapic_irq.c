// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local APIC model's interrupt logic: accepting messages into IRR/TMR
 * or the pending NMI/SMI/INIT/SIPI events, task and processor priority,
 * the hand-over to the vendor injection path (IRR -> ISR), EOI, errors
 * (ESR and the error LVT), the local sources behind the LVT, the ICR's
 * IPI messages and destination matching.  SDM Vol. 3A 11.5-11.8, 11.12.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "lapic.h"

static bool test_vec(const struct kvmx_lapic *apic, u32 base, u8 vec)
{
	u32 w = kvmx_lapic_reg(apic, base + 0x10 * (vec >> 5));

	return w & (1U << (vec & 31));
}

static void assign_vec(struct kvmx_lapic *apic, u32 base, u8 vec, bool set)
{
	u32 off = base + 0x10 * (vec >> 5), w = kvmx_lapic_reg(apic, off);

	if (set)
		w |= 1U << (vec & 31);
	else
		w &= ~(1U << (vec & 31));
	kvmx_lapic_set_reg(apic, off, w);
}

/* The highest vector set in a 256-bit register (ISR, TMR, IRR), or -1. */
static int highest_vec(const struct kvmx_lapic *apic, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = kvmx_lapic_reg(apic, base + 0x10 * i);

		if (w)
			return 32 * i + 31 - __builtin_clz(w);
	}
	return -1;
}

int kvmx_lapic_highest_irr(const struct kvmx_lapic *apic)
{
	return highest_vec(apic, KVMX_APIC_IRR);
}

int kvmx_lapic_highest_isr(const struct kvmx_lapic *apic)
{
	return highest_vec(apic, KVMX_APIC_ISR);
}

bool kvmx_lapic_pending_eoi(const struct kvmx_lapic *apic, u8 vector)
{
	return test_vec(apic, KVMX_APIC_ISR, vector) ||
	       test_vec(apic, KVMX_APIC_IRR, vector);
}

/* SDM 11.8.3.1: PPR is TPR if its class is at least the highest in-service
 * class, else that class with sub-class 0. */
static u32 compute_ppr(const struct kvmx_lapic *apic)
{
	u32 tpr = kvmx_lapic_reg(apic, KVMX_APIC_TPR) & 0xff;
	int isr = kvmx_lapic_highest_isr(apic);
	u32 isrv = isr < 0 ? 0 : isr;

	return (tpr & 0xf0) >= (isrv & 0xf0) ? tpr : isrv & 0xf0;
}

static int deliverable(const struct kvmx_lapic *apic, u32 ppr)
{
	int irr = kvmx_lapic_highest_irr(apic);

	if (irr < 0 || (u32)(irr & 0xf0) <= ppr)
		return -1;
	return irr;
}

static void kick(struct kvmx_lapic *apic)
{
	if (apic->ops->kick)
		apic->ops->kick(apic->ops->opaque);
}

void kvmx_lapic_update_ppr(struct kvmx_lapic *apic)
{
	u32 old = kvmx_lapic_reg(apic, KVMX_APIC_PPR), ppr = compute_ppr(apic);

	kvmx_lapic_set_reg(apic, KVMX_APIC_PPR, ppr);
	/* a lower PPR (EOI, TPR write) can unblock a pending interrupt */
	if (ppr < old && deliverable(apic, ppr) >= 0)
		kick(apic);
}

/*
 * SDM 11.6.2.4 (arbitration priority): TPR if its class is at least the
 * highest requested one and above the highest in-service one, else the
 * highest of the three classes.
 */
u32 kvmx_lapic_arb_priority(const struct kvmx_lapic *apic)
{
	u32 tpr = kvmx_lapic_reg(apic, KVMX_APIC_TPR) & 0xff;
	int irr = kvmx_lapic_highest_irr(apic);
	int isr = kvmx_lapic_highest_isr(apic);
	u32 irrv = irr < 0 ? 0 : irr & 0xf0, isrv = isr < 0 ? 0 : isr & 0xf0;
	u32 cls = tpr & 0xf0;

	if (cls >= irrv && cls > isrv)
		return tpr;
	if (irrv > cls)
		cls = irrv;
	if (isrv > cls)
		cls = isrv;
	return cls;
}

bool kvmx_lapic_is_focus(const struct kvmx_lapic *apic, u8 vector)
{
	u32 svr = kvmx_lapic_reg(apic, KVMX_APIC_SVR);

	return !(svr & KVMX_APIC_SVR_NO_FOCUS) &&
	       kvmx_lapic_pending_eoi(apic, vector);
}

/*
 * SDM 11.5.3: record an error and signal it through the error LVT.  An
 * error raised by that very delivery (an illegal vector in the error
 * LVT) is only recorded, so the guest cannot make this recurse.
 */
void kvmx_lapic_error(struct kvmx_lapic *apic, u32 esr_bit)
{
	u32 lvt = kvmx_lapic_reg(apic, KVMX_APIC_LVTERR);

	apic->esr_pending |= esr_bit;
	if (apic->in_error || (lvt & KVMX_APIC_LVT_MASKED) ||
	    !kvmx_lapic_hw_enabled(apic))
		return;
	apic->in_error = 1;
	kvmx_lapic_accept(apic, KVMX_APIC_DM_FIXED, lvt & 0xff, false, true);
	apic->in_error = 0;
}

int kvmx_lapic_accept(struct kvmx_lapic *apic, u8 mode, u8 vector,
		      bool level, bool assert)
{
	struct kvmx_lapic_events *ev = &apic->ev;

	switch (mode) {
	case KVMX_APIC_DM_FIXED:
	case KVMX_APIC_DM_LOWEST:
		if (level && !assert)
			return 0;
		if (!kvmx_lapic_hw_enabled(apic) ||
		    !kvmx_lapic_sw_enabled(apic))
			return 0;
		/* 11.5.2: vectors 0-15 are illegal and are not accepted */
		if (vector < 16) {
			kvmx_lapic_error(apic, KVMX_APIC_ESR_RECV_ILLEGAL);
			return 0;
		}
		assign_vec(apic, KVMX_APIC_TMR, vector, level);
		assign_vec(apic, KVMX_APIC_IRR, vector, true);
		break;
	case KVMX_APIC_DM_SMI:
		ev->smi = true;
		break;
	case KVMX_APIC_DM_NMI:
		if (ev->nmi != ~0U)
			ev->nmi++;
		break;
	case KVMX_APIC_DM_INIT:
		/* the INIT level de-assert only synchronised arbitration IDs
		 * on P6 (11.6.1); nothing to do */
		if (level && !assert)
			return 0;
		ev->init = true;
		ev->sipi = false;
		break;
	case KVMX_APIC_DM_SIPI:
		ev->sipi = true;
		ev->sipi_vector = vector;
		break;
	case KVMX_APIC_DM_REMRD:
		ev->unhalt = true;
		break;
	default:
		/* ExtINT: the 8259 supplies the vector, see accept_pic_intr */
		return 0;
	}
	kick(apic);
	return 1;
}

void kvmx_lapic_take_events(struct kvmx_lapic *apic,
			    struct kvmx_lapic_events *ev)
{
	*ev = apic->ev;
	memset(&apic->ev, 0, sizeof(apic->ev));
}

bool kvmx_lapic_has_events(const struct kvmx_lapic *apic)
{
	const struct kvmx_lapic_events *ev = &apic->ev;

	return ev->nmi || ev->smi || ev->init || ev->sipi || ev->unhalt;
}

int kvmx_lapic_local_deliver(struct kvmx_lapic *apic, enum kvmx_lapic_lvt lvt)
{
	u32 reg, mode = KVMX_APIC_DM_FIXED;
	bool level = false;
	int r;

	if ((unsigned int)lvt >= KVMX_LVT_NR ||
	    (lvt == KVMX_LVT_CMCI && !apic->cfg.cmci))
		return 0;
	reg = kvmx_lapic_reg(apic, lvt == KVMX_LVT_CMCI ? KVMX_APIC_LVTCMCI :
			     KVMX_APIC_LVTT + 0x10 * lvt);
	if (!kvmx_lapic_hw_enabled(apic) || (reg & KVMX_APIC_LVT_MASKED))
		return 0;
	if (lvt != KVMX_LVT_TIMER && lvt != KVMX_LVT_ERROR)
		mode = (reg & KVMX_APIC_DM_MASK) >> KVMX_APIC_DM_SHIFT;
	/* 11.5.1: only the LINT pins have a trigger mode */
	if (lvt == KVMX_LVT_LINT0 || lvt == KVMX_LVT_LINT1)
		level = reg & KVMX_APIC_LEVEL;
	r = kvmx_lapic_accept(apic, mode, reg & 0xff, level, true);
	if (r && lvt == KVMX_LVT_PMC && apic->cfg.lvtpc_self_mask)
		kvmx_lapic_set_reg(apic, KVMX_APIC_LVTPC,
				   reg | KVMX_APIC_LVT_MASKED);
	return r;
}

bool kvmx_lapic_accept_pic_intr(const struct kvmx_lapic *apic)
{
	u32 lvt0 = kvmx_lapic_reg(apic, KVMX_APIC_LVT0);

	if (!kvmx_lapic_hw_enabled(apic))
		return true;
	return !(lvt0 & KVMX_APIC_LVT_MASKED) &&
	       (lvt0 & KVMX_APIC_DM_MASK) ==
	       KVMX_APIC_DM_EXTINT << KVMX_APIC_DM_SHIFT;
}

bool kvmx_lapic_lint0_nmi(const struct kvmx_lapic *apic)
{
	u32 lvt0 = kvmx_lapic_reg(apic, KVMX_APIC_LVT0);

	return (lvt0 & (KVMX_APIC_DM_MASK | KVMX_APIC_LVT_MASKED)) ==
	       KVMX_APIC_DM_NMI << KVMX_APIC_DM_SHIFT;
}

int kvmx_lapic_has_interrupt(struct kvmx_lapic *apic)
{
	u32 ppr;

	if (!kvmx_lapic_hw_enabled(apic))
		return -1;
	ppr = compute_ppr(apic);
	kvmx_lapic_set_reg(apic, KVMX_APIC_PPR, ppr);
	return deliverable(apic, ppr);
}

void kvmx_lapic_ack(struct kvmx_lapic *apic, u8 vector, bool auto_eoi)
{
	assign_vec(apic, KVMX_APIC_IRR, vector, false);
	if (!auto_eoi)
		assign_vec(apic, KVMX_APIC_ISR, vector, true);
	kvmx_lapic_update_ppr(apic);
}

int kvmx_lapic_get_interrupt(struct kvmx_lapic *apic)
{
	int v = kvmx_lapic_has_interrupt(apic);

	if (v >= 0)
		kvmx_lapic_ack(apic, v, false);
	return v;
}

/* SDM 11.8.5: EOI retires the highest in-service vector; a level one is
 * broadcast to the IOAPICs unless SVR suppresses it (directed EOI). */
int kvmx_lapic_eoi(struct kvmx_lapic *apic)
{
	int v = kvmx_lapic_highest_isr(apic);
	bool level;

	if (v < 0)
		return -1;
	assign_vec(apic, KVMX_APIC_ISR, v, false);
	level = test_vec(apic, KVMX_APIC_TMR, v);
	if (apic->ops->eoi)
		apic->ops->eoi(apic->ops->opaque, v, level, level &&
			       !(kvmx_lapic_reg(apic, KVMX_APIC_SVR) &
				 KVMX_APIC_SVR_SUPPRESS_EOI));
	kvmx_lapic_update_ppr(apic);
	return v;
}

/*
 * An ICR write (11.6.1): the message goes out at once, so the delivery
 * status bit is never seen set.  Fixed and lowest-priority messages with
 * vectors 0-15 are not sent (ESR send-illegal-vector, 11.5.3); the INIT
 * level de-assert is dropped (no effect since the Pentium 4, 11.6.1).
 */
void kvmx_lapic_send_icr(struct kvmx_lapic *apic, u32 low, u32 high)
{
	struct kvmx_lapic_ipi ipi = {
		.vector = low & KVMX_APIC_VECTOR_MASK,
		.mode = (low & KVMX_APIC_DM_MASK) >> KVMX_APIC_DM_SHIFT,
		.shorthand = (low & KVMX_APIC_SHORT_MASK) >>
			     KVMX_APIC_SHORT_SHIFT,
		.logical = low & KVMX_APIC_DEST_LOGICAL,
		.level = low & KVMX_APIC_LEVEL,
		.x2apic = kvmx_lapic_x2apic_mode(apic),
	};

	/* the assert bit only qualifies level messages (in-tree) */
	ipi.assert = (low & KVMX_APIC_ICR_ASSERT) || !ipi.level;
	ipi.dest = ipi.x2apic ? high : high >> 24;
	if (ipi.mode <= KVMX_APIC_DM_LOWEST && ipi.vector < 16) {
		kvmx_lapic_error(apic, KVMX_APIC_ESR_SEND_ILLEGAL);
		return;
	}
	if (ipi.mode == KVMX_APIC_DM_INIT && ipi.level && !ipi.assert)
		return;
	if (ipi.shorthand == KVMX_APIC_SH_SELF) {
		kvmx_lapic_accept(apic, ipi.mode, ipi.vector, ipi.level,
				  ipi.assert);
		return;
	}
	if (apic->ops->send_ipi)
		apic->ops->send_ipi(apic->ops->opaque, &ipi);
}

static bool match_logical(const struct kvmx_lapic *t, u32 mda)
{
	u32 ldr = kvmx_lapic_reg(t, KVMX_APIC_LDR), lid;

	/* 11.12.10.2: x2APIC cluster in 31:16, one-hot member in 15:0 */
	if (kvmx_lapic_x2apic_mode(t))
		return (ldr >> 16) == (mda >> 16) && (ldr & mda & 0xffff);
	/* 11.6.2.2: flat (DFR model 1111b) or cluster (0000b) */
	lid = ldr >> 24;
	switch (kvmx_lapic_reg(t, KVMX_APIC_DFR)) {
	case 0xffffffff:
		return lid & mda;
	case 0x0fffffff:
		return (lid >> 4) == (mda >> 4) && (lid & mda & 0xf);
	}
	return false;
}

bool kvmx_lapic_match_dest(const struct kvmx_lapic *target,
			   const struct kvmx_lapic *source, u8 shorthand,
			   u32 dest, bool logical)
{
	bool x2 = kvmx_lapic_x2apic_mode(target);
	u32 mda = dest;

	if (!kvmx_lapic_hw_enabled(target))
		return false;
	switch (shorthand) {
	case KVMX_APIC_SH_SELF:
		return target == source;
	case KVMX_APIC_SH_ALL:
		return true;
	case KVMX_APIC_SH_ALL_BUT_SELF:
		return target != source;
	case KVMX_APIC_SH_NONE:
		break;
	default:
		return false;
	}
	/* in-tree: without interrupt remapping, 0xff from an IOAPIC or MSI
	 * is the broadcast for x2APIC targets too */
	if (!source && !target->cfg.broadcast_quirk_disabled && x2 &&
	    dest == 0xff)
		mda = 0xffffffff;
	if (mda == (x2 ? 0xffffffff : 0xff))
		return true;
	if (logical)
		return match_logical(target, mda);
	/* in-tree's hotplug rule: IDs above 0xff name x2APIC IDs */
	if (x2 || mda > 0xff)
		return mda == target->cfg.x2apic_id;
	return mda == kvmx_lapic_reg(target, KVMX_APIC_ID) >> 24;
}
