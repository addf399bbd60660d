// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local APIC model's register file: RESET/INIT, the IA32_APIC_BASE
 * state machine, and the two ways the guest reaches the registers (the
 * xAPIC MMIO page and the x2APIC MSRs) with their size, alignment and #GP
 * rules.  Interrupt acceptance, priority, EOI and the ICR are in
 * lapic_irq.c, the timer in lapic_timer.c, KVM_GET/SET_LAPIC in
 * lapic_state.c.  SDM Vol. 3A chapter 11 throughout.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "lapic.h"

/* 11.4.8: the Pentium 4/Xeon version, as in-tree */
#define APIC_VERSION		0x14
#define APIC_LVR_DIRECTED_EOI	(1U << 24)
#define APIC_MMIO_SIZE		0x1000

#define REG_BIT(off)		(1ULL << ((off) >> 4))
#define REG_BITS(off, n)	(REG_BIT(off) * ((1ULL << (n)) - 1))

u32 kvmx_lapic_reg(const struct kvmx_lapic *apic, u32 off)
{
	u32 v;

	memcpy(&v, apic->regs + (off & 0x3f0), sizeof(v));
	return v;
}

void kvmx_lapic_set_reg(struct kvmx_lapic *apic, u32 off, u32 val)
{
	memcpy(apic->regs + (off & 0x3f0), &val, sizeof(val));
}

static unsigned int nr_lvt(const struct kvmx_lapic *apic)
{
	return apic->cfg.cmci ? KVMX_LVT_NR : KVMX_LVT_NR - 1;
}

static u32 lvt_off(unsigned int i)
{
	if (i == KVMX_LVT_CMCI)
		return KVMX_APIC_LVTCMCI;
	return KVMX_APIC_LVTT + 0x10 * i;
}

/* SDM 11.4.8: version 0x14, max LVT entry in bits 23:16, bit 24 when EOI
 * broadcast suppression is offered (in-tree's condition is the glue's). */
u32 kvmx_lapic_version(const struct kvmx_lapic *apic)
{
	return APIC_VERSION | ((nr_lvt(apic) - 1) << 16) |
	       (apic->cfg.directed_eoi ? APIC_LVR_DIRECTED_EOI : 0);
}

/* SDM 11.12.10.2: the logical x2APIC ID is derived from the x2APIC ID. */
u32 kvmx_lapic_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1U << (id & 0xf));
}

bool kvmx_lapic_sw_enabled(const struct kvmx_lapic *apic)
{
	return kvmx_lapic_reg(apic, KVMX_APIC_SVR) & KVMX_APIC_SVR_ENABLE;
}

/* The writable bits of each LVT entry (SDM Figure 11-8); delivery status
 * and remote IRR are read-only. */
static u32 lvt_writable(const struct kvmx_lapic *apic, unsigned int i)
{
	u32 m = KVMX_APIC_VECTOR_MASK | KVMX_APIC_LVT_MASKED;

	switch (i) {
	case KVMX_LVT_TIMER:
		if (apic->cfg.tsc_deadline)
			m |= KVMX_APIC_LVTT_TSCDEADLINE;
		return m | KVMX_APIC_LVTT_PERIODIC;
	case KVMX_LVT_LINT0:
	case KVMX_LVT_LINT1:
		return m | KVMX_APIC_DM_MASK | KVMX_APIC_LVT_POLARITY |
		       KVMX_APIC_LEVEL;
	case KVMX_LVT_ERROR:
		return m;
	default:	/* thermal, PMC, CMCI */
		return m | KVMX_APIC_DM_MASK;
	}
}

/* The defined (not reserved) bits, for x2APIC's reserved-bit #GP. */
static u32 lvt_defined(const struct kvmx_lapic *apic, unsigned int i)
{
	u32 m = lvt_writable(apic, i) | KVMX_APIC_DELIV_STATUS;

	if (i == KVMX_LVT_LINT0 || i == KVMX_LVT_LINT1)
		m |= KVMX_APIC_LVT_REMOTE_IRR;
	return m;
}

static u32 svr_writable(const struct kvmx_lapic *apic)
{
	u32 m = 0x3ff;

	if (apic->cfg.directed_eoi)
		m |= KVMX_APIC_SVR_SUPPRESS_EOI;
	return m;
}

/*
 * The registers' power-up values (SDM 11.4.7.1, 11.12.5.1): everything
 * zero except LVTs masked, DFR all ones and SVR 0xff.  The ID and, in
 * x2APIC mode, the derived LDR are the callers' business.
 */
static void reset_regs(struct kvmx_lapic *apic)
{
	u32 id = kvmx_lapic_reg(apic, KVMX_APIC_ID);
	u32 ldr = kvmx_lapic_reg(apic, KVMX_APIC_LDR);
	unsigned int i;

	kvmx_lapic_timer_reset(apic);
	memset(apic->regs, 0, sizeof(apic->regs));
	kvmx_lapic_set_reg(apic, KVMX_APIC_ID, id);
	kvmx_lapic_set_reg(apic, KVMX_APIC_LVR, kvmx_lapic_version(apic));
	for (i = 0; i < nr_lvt(apic); i++)
		kvmx_lapic_set_reg(apic, lvt_off(i), KVMX_APIC_LVT_MASKED);
	kvmx_lapic_set_reg(apic, KVMX_APIC_DFR, 0xffffffff);
	kvmx_lapic_set_reg(apic, KVMX_APIC_SVR, 0xff);
	if (kvmx_lapic_x2apic_mode(apic))
		kvmx_lapic_set_reg(apic, KVMX_APIC_LDR, ldr);
	apic->esr_pending = 0;
	kvmx_lapic_timer_lvtt_written(apic);
}

static void set_xapic_id(struct kvmx_lapic *apic)
{
	kvmx_lapic_set_reg(apic, KVMX_APIC_ID,
			   (apic->cfg.x2apic_id & 0xff) << 24);
}

static void set_x2apic_id(struct kvmx_lapic *apic)
{
	kvmx_lapic_set_reg(apic, KVMX_APIC_ID, apic->cfg.x2apic_id);
	kvmx_lapic_set_reg(apic, KVMX_APIC_LDR,
			   kvmx_lapic_x2apic_ldr(apic->cfg.x2apic_id));
}

static void notify_base(struct kvmx_lapic *apic)
{
	u64 base = apic->apic_base & KVMX_APIC_BASE_ADDR_MASK;

	if (apic->ops->base_changed)
		apic->ops->base_changed(apic->ops->opaque, base,
					kvmx_lapic_hw_enabled(apic) &&
					!kvmx_lapic_x2apic_mode(apic));
}

void kvmx_lapic_reset(struct kvmx_lapic *apic, bool init)
{
	if (!init) {
		apic->apic_base = KVMX_APIC_DEFAULT_BASE | KVMX_APIC_BASE_EN |
				  (apic->cfg.bsp ? KVMX_APIC_BASE_BSP : 0);
		set_xapic_id(apic);
		memset(&apic->ev, 0, sizeof(apic->ev));
	}
	reset_regs(apic);
	/* In-tree's KVM_X86_QUIRK_LINT0_REENABLED: BIOSes expect the BSP's
	 * LINT0 in virtual-wire mode right after RESET. */
	if (!init && apic->cfg.bsp && apic->cfg.lint0_reenabled)
		kvmx_lapic_set_reg(apic, KVMX_APIC_LVT0,
				   KVMX_APIC_DM_EXTINT << KVMX_APIC_DM_SHIFT);
	if (!init)
		notify_base(apic);
}

void kvmx_lapic_init(struct kvmx_lapic *apic,
		     const struct kvmx_lapic_config *cfg,
		     const struct kvmx_lapic_ops *ops)
{
	memset(apic, 0, sizeof(*apic));
	apic->cfg = *cfg;
	if (!apic->cfg.bus_cycle_ns)
		apic->cfg.bus_cycle_ns = 1;
	/* bounds the count-to-ns products to 63 bits */
	if (apic->cfg.bus_cycle_ns > (1U << 24))
		apic->cfg.bus_cycle_ns = 1U << 24;
	if (!apic->cfg.maxphyaddr || apic->cfg.maxphyaddr > 52)
		apic->cfg.maxphyaddr = 52;
	apic->ops = ops;
	apic->divide = 2;
	kvmx_lapic_reset(apic, false);
}

/*
 * IA32_APIC_BASE (SDM 11.4.4 and Figure 11-27 "Local x2APIC State
 * Transitions"): reserved bits 7:0, 9, 10 without x2APIC and those at or
 * above MAXPHYADDR; EN=0 EXTD=1 is invalid; the guest cannot go from
 * x2APIC to xAPIC nor from disabled to x2APIC directly (the host can, as
 * in-tree, to restore state).  Disabling loses the register state
 * (11.12.5.1: "all the APIC register states ... are not preserved").
 */
int kvmx_lapic_set_base(struct kvmx_lapic *apic, u64 value, bool host)
{
	u64 old = apic->apic_base, changed = old ^ value;
	u64 reserved = 0x2ffULL | (~0ULL << apic->cfg.maxphyaddr);
	bool en = value & KVMX_APIC_BASE_EN, extd = value & KVMX_APIC_BASE_EXTD;

	if (!changed)
		return 0;
	if (!apic->cfg.x2apic)
		reserved |= KVMX_APIC_BASE_EXTD;
	if ((value & reserved) || (extd && !en))
		return -EINVAL;
	if (!host && (old & KVMX_APIC_BASE_EXTD) && en && !extd)
		return -EINVAL;
	if (!host && !(old & KVMX_APIC_BASE_EN) && extd)
		return -EINVAL;

	apic->apic_base = value;
	if ((changed & KVMX_APIC_BASE_EN) && !en) {
		reset_regs(apic);
	} else if (changed & (KVMX_APIC_BASE_EN | KVMX_APIC_BASE_EXTD)) {
		/* the ID register's form follows the mode (11.12.5.1) */
		if (extd)
			set_x2apic_id(apic);
		else
			set_xapic_id(apic);
		kvmx_lapic_update_ppr(apic);
	}
	if (changed & (KVMX_APIC_BASE_ADDR_MASK | KVMX_APIC_BASE_EN |
		       KVMX_APIC_BASE_EXTD))
		notify_base(apic);
	return 0;
}

void kvmx_lapic_set_cr8(struct kvmx_lapic *apic, u64 cr8)
{
	kvmx_lapic_set_reg(apic, KVMX_APIC_TPR, (cr8 & 0xf) << 4);
	kvmx_lapic_update_ppr(apic);
}

u64 kvmx_lapic_get_cr8(const struct kvmx_lapic *apic)
{
	return (kvmx_lapic_reg(apic, KVMX_APIC_TPR) >> 4) & 0xf;
}

/* The registers a read may name in the current mode (SDM Table 11-1 and
 * Table 11-6): x2APIC has no APR, DFR or ICR2; EOI and SELF IPI are
 * write-only. */
static u64 readable_regs(const struct kvmx_lapic *apic)
{
	u64 m = REG_BIT(KVMX_APIC_ID) | REG_BIT(KVMX_APIC_LVR) |
		REG_BIT(KVMX_APIC_TPR) | REG_BIT(KVMX_APIC_PPR) |
		REG_BIT(KVMX_APIC_LDR) | REG_BIT(KVMX_APIC_SVR) |
		REG_BITS(KVMX_APIC_ISR, 8) | REG_BITS(KVMX_APIC_TMR, 8) |
		REG_BITS(KVMX_APIC_IRR, 8) | REG_BIT(KVMX_APIC_ESR) |
		REG_BIT(KVMX_APIC_ICR) | REG_BITS(KVMX_APIC_LVTT, 6) |
		REG_BIT(KVMX_APIC_TMICT) | REG_BIT(KVMX_APIC_TMCCT) |
		REG_BIT(KVMX_APIC_TDCR);

	if (apic->cfg.cmci)
		m |= REG_BIT(KVMX_APIC_LVTCMCI);
	if (!kvmx_lapic_x2apic_mode(apic))
		m |= REG_BIT(KVMX_APIC_APR) | REG_BIT(KVMX_APIC_DFR) |
		     REG_BIT(KVMX_APIC_ICR2);
	return m;
}

/* One 32-bit register, @off 16-byte aligned and readable. */
static u32 read_reg(struct kvmx_lapic *apic, u32 off)
{
	switch (off) {
	case KVMX_APIC_APR:
		/* in-tree: reads 0 (kvmx_lapic_arb_priority() has the value) */
		return 0;
	case KVMX_APIC_PPR:
		kvmx_lapic_update_ppr(apic);
		break;
	case KVMX_APIC_TMCCT:
		return kvmx_lapic_timer_current(apic);
	}
	return kvmx_lapic_reg(apic, off);
}

static void set_svr(struct kvmx_lapic *apic, u32 val)
{
	unsigned int i;

	kvmx_lapic_set_reg(apic, KVMX_APIC_SVR, val & svr_writable(apic));
	/* 11.4.7.2: software disable masks every LVT entry */
	if (!(val & KVMX_APIC_SVR_ENABLE)) {
		for (i = 0; i < nr_lvt(apic); i++)
			kvmx_lapic_set_reg(apic, lvt_off(i),
					   kvmx_lapic_reg(apic, lvt_off(i)) |
					   KVMX_APIC_LVT_MASKED);
		kvmx_lapic_timer_lvtt_written(apic);
	}
}

static int lvt_index(u32 off)
{
	if (off == KVMX_APIC_LVTCMCI)
		return KVMX_LVT_CMCI;
	if (off >= KVMX_APIC_LVTT && off <= KVMX_APIC_LVTERR)
		return (off - KVMX_APIC_LVTT) >> 4;
	return -1;
}

/* Reserved bits of the 32-bit registers in x2APIC mode (Table 11-6). */
static bool x2apic_reserved(const struct kvmx_lapic *apic, u32 off, u32 val)
{
	int lvt = lvt_index(off);

	if (lvt >= 0)
		return val & ~lvt_defined(apic, lvt);
	switch (off) {
	case KVMX_APIC_TPR:
	case KVMX_APIC_SELF_IPI:
		return val & ~0xffU;
	case KVMX_APIC_SVR:
		return val & ~svr_writable(apic);
	case KVMX_APIC_EOI:
	case KVMX_APIC_ESR:
		return val;	/* only 0 may be written */
	case KVMX_APIC_TDCR:
		return val & ~0xbU;
	}
	return false;
}

/*
 * One 32-bit register write (not the x2APIC ICR).  Returns -EINVAL where
 * x2APIC raises #GP; the MMIO path ignores that (in-tree drops such
 * writes).
 */
static int write_reg(struct kvmx_lapic *apic, u32 off, u32 val)
{
	bool x2 = kvmx_lapic_x2apic_mode(apic);
	int lvt = lvt_index(off);

	if (x2 && x2apic_reserved(apic, off, val))
		return -EINVAL;
	if (lvt >= 0) {
		if ((unsigned int)lvt >= nr_lvt(apic))
			return -EINVAL;
		if (!kvmx_lapic_sw_enabled(apic))
			val |= KVMX_APIC_LVT_MASKED;
		kvmx_lapic_set_reg(apic, off, val & lvt_writable(apic, lvt));
		if (lvt == KVMX_LVT_TIMER)
			kvmx_lapic_timer_lvtt_written(apic);
		return 0;
	}

	switch (off) {
	case KVMX_APIC_ID:
		if (x2)
			return -EINVAL;
		kvmx_lapic_set_reg(apic, off, val & 0xff000000);
		return 0;
	case KVMX_APIC_TPR:
		kvmx_lapic_set_reg(apic, off, val & 0xff);
		kvmx_lapic_update_ppr(apic);
		return 0;
	case KVMX_APIC_EOI:
		kvmx_lapic_eoi(apic);
		return 0;
	case KVMX_APIC_LDR:
		if (x2)
			return -EINVAL;
		kvmx_lapic_set_reg(apic, off, val & 0xff000000);
		return 0;
	case KVMX_APIC_DFR:
		if (x2)
			return -EINVAL;
		kvmx_lapic_set_reg(apic, off, val | 0x0fffffff);
		return 0;
	case KVMX_APIC_SVR:
		set_svr(apic, val);
		return 0;
	case KVMX_APIC_ESR:
		/* 11.5.3: a write latches the errors seen since the last one */
		kvmx_lapic_set_reg(apic, off, apic->esr_pending);
		apic->esr_pending = 0;
		return 0;
	case KVMX_APIC_ICR:	/* xAPIC only: x2APIC goes via write_icr() */
		kvmx_lapic_set_reg(apic, off, val & 0x000ccfff);
		kvmx_lapic_send_icr(apic, val & 0x000ccfff,
				    kvmx_lapic_reg(apic, KVMX_APIC_ICR2));
		return 0;
	case KVMX_APIC_ICR2:
		if (x2)
			return -EINVAL;
		kvmx_lapic_set_reg(apic, off, val & 0xff000000);
		return 0;
	case KVMX_APIC_TMICT:
		kvmx_lapic_timer_set_tmict(apic, val);
		return 0;
	case KVMX_APIC_TDCR:
		kvmx_lapic_set_reg(apic, off, val & 0xb);
		kvmx_lapic_timer_tdcr_written(apic);
		return 0;
	case KVMX_APIC_SELF_IPI:
		if (!x2)
			return -EINVAL;
		val = (val & 0xff) | KVMX_APIC_SH_SELF << KVMX_APIC_SHORT_SHIFT;
		kvmx_lapic_send_icr(apic, val, 0);
		return 0;
	}
	return -EINVAL;	/* read-only or reserved */
}

static bool mmio_decoded(const struct kvmx_lapic *apic, u64 gpa, u32 *off)
{
	u64 base = apic->apic_base & KVMX_APIC_BASE_ADDR_MASK;

	if (!kvmx_lapic_hw_enabled(apic) || kvmx_lapic_x2apic_mode(apic) ||
	    gpa < base || gpa - base >= APIC_MMIO_SIZE)
		return false;
	*off = gpa - base;
	return true;
}

int kvmx_lapic_mmio_read(struct kvmx_lapic *apic, u64 gpa, void *data,
			 unsigned int len)
{
	u32 off, val;

	if (!mmio_decoded(apic, gpa, &off))
		return -EOPNOTSUPP;
	memset(data, 0, len);
	/* 11.4.1: registers are 32 bits wide at 16-byte strides */
	if (len != 1 && len != 2 && len != 4)
		return 0;
	if ((off & 0xf) + len > 4 || off >= KVM_APIC_REG_SIZE ||
	    !(readable_regs(apic) & REG_BIT(off)))
		return 0;
	val = read_reg(apic, off & ~0xfU);
	memcpy(data, (u8 *)&val + (off & 0xf), len);
	return 0;
}

int kvmx_lapic_mmio_write(struct kvmx_lapic *apic, u64 gpa, const void *data,
			  unsigned int len)
{
	u32 off, val;

	if (!mmio_decoded(apic, gpa, &off))
		return -EOPNOTSUPP;
	if (len != 4 || (off & 0xf) || off >= KVM_APIC_REG_SIZE)
		return 0;
	memcpy(&val, data, sizeof(val));
	write_reg(apic, off, val);
	return 0;
}

int kvmx_lapic_msr_read(struct kvmx_lapic *apic, u32 msr, u64 *val)
{
	u32 off = (msr - KVMX_MSR_X2APIC_FIRST) << 4;

	*val = 0;
	if (!kvmx_lapic_x2apic_mode(apic) || msr < KVMX_MSR_X2APIC_FIRST ||
	    msr > KVMX_MSR_X2APIC_LAST || off >= KVM_APIC_REG_SIZE ||
	    !(readable_regs(apic) & REG_BIT(off)))
		return -EINVAL;
	if (off == KVMX_APIC_ICR) {
		/* 11.12.9: one 64-bit register, destination in 63:32 */
		*val = kvmx_lapic_reg(apic, KVMX_APIC_ICR) |
		       (u64)kvmx_lapic_reg(apic, KVMX_APIC_ICR2) << 32;
		return 0;
	}
	*val = read_reg(apic, off);
	return 0;
}

int kvmx_lapic_msr_write(struct kvmx_lapic *apic, u32 msr, u64 val)
{
	u32 off = (msr - KVMX_MSR_X2APIC_FIRST) << 4;

	if (!kvmx_lapic_x2apic_mode(apic) || msr < KVMX_MSR_X2APIC_FIRST ||
	    msr > KVMX_MSR_X2APIC_LAST || off >= KVM_APIC_REG_SIZE)
		return -EINVAL;
	if (off == KVMX_APIC_ICR) {
		/* reserved: 31:20, 17:16, 13; busy is ignored (in-tree) */
		if (val & 0xfff32000ULL)
			return -EINVAL;
		val &= ~(u64)KVMX_APIC_DELIV_STATUS;
		kvmx_lapic_set_reg(apic, KVMX_APIC_ICR, (u32)val);
		kvmx_lapic_set_reg(apic, KVMX_APIC_ICR2, val >> 32);
		kvmx_lapic_send_icr(apic, (u32)val, val >> 32);
		return 0;
	}
	/* bits 63:32 are reserved in every other register */
	if (val >> 32)
		return -EINVAL;
	return write_reg(apic, off, (u32)val);
}
