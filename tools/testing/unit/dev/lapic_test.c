// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the local APIC model's registers: RESET and INIT values,
 * xAPIC MMIO sizes and writable bits, the x2APIC MSRs and their #GP
 * cases, the IA32_APIC_BASE state machine.  The interrupt logic is tested
 * in lapic_irq_test.c, the timer and state in lapic_timer_test.c; this
 * file also holds the fake glue (lapic_test.h) all three use.
 */
#include <string.h>
#include "lapic_test.h"

static u64 lt_now(void *o)
{
	return ((struct lt_env *)o)->now;
}

static u64 lt_tsc_to_ns(void *o, u64 tsc)
{
	s64 off = ((struct lt_env *)o)->tsc_offset;

	return (s64)tsc < off ? 0 : tsc - off;
}

static void lt_arm(void *o, u64 ns)
{
	struct lt_env *e = o;

	e->armed = true;
	e->armed_at = ns;
	e->arms++;
}

static void lt_cancel(void *o)
{
	struct lt_env *e = o;

	e->armed = false;
	e->cancels++;
}

static void lt_kick(void *o)
{
	((struct lt_env *)o)->kicks++;
}

static void lt_eoi(void *o, u8 vector, bool level, bool broadcast)
{
	struct lt_env *e = o;

	if (e->neoi < LT_LOG) {
		e->eoi[e->neoi].vector = vector;
		e->eoi[e->neoi].level = level;
		e->eoi[e->neoi].broadcast = broadcast;
	}
	e->neoi++;
}

static void lt_base(void *o, u64 base, bool on)
{
	struct lt_env *e = o;

	e->base = base;
	e->mmio_on = on;
	e->base_calls++;
}

/* The glue's routing: every matching APIC, or one for lowest priority. */
static void lt_send_ipi(void *o, const struct kvmx_lapic_ipi *ipi)
{
	struct lt_env *e = o, *hit[LT_MAX_APICS];
	struct lt_bus *bus = e->bus;
	unsigned int i, n = 0;

	if (e->nipi < LT_LOG)
		e->ipi[e->nipi] = *ipi;
	e->nipi++;
	if (!bus)
		return;
	for (i = 0; i < bus->n; i++)
		if (kvmx_lapic_match_dest(&bus->env[i]->apic, &e->apic,
					  ipi->shorthand, ipi->dest,
					  ipi->logical))
			hit[n++] = bus->env[i];
	if (ipi->mode == KVMX_APIC_DM_LOWEST && n) {
		hit[0] = hit[kvmx_lapic_lowest_prio_pick(ipi->vector, n)];
		n = 1;
	}
	for (i = 0; i < n; i++)
		kvmx_lapic_accept(&hit[i]->apic, ipi->mode, ipi->vector,
				  ipi->level, ipi->assert);
}

void lt_default_config(struct kvmx_lapic_config *cfg, u32 id)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->x2apic_id = id;
	cfg->bsp = id == 0;
	cfg->x2apic = true;
	cfg->tsc_deadline = true;
	cfg->maxphyaddr = 46;
	cfg->lint0_reenabled = true;
	cfg->lvtpc_self_mask = true;
	cfg->min_period_ns = 200000;
}

static const struct kvmx_lapic_ops lt_ops = {
	.now_ns = lt_now, .tsc_to_ns = lt_tsc_to_ns, .arm = lt_arm,
	.cancel = lt_cancel, .send_ipi = lt_send_ipi, .kick = lt_kick,
	.eoi = lt_eoi, .base_changed = lt_base,
};

void lt_init(struct lt_env *e, const struct kvmx_lapic_config *cfg)
{
	memset(e, 0, sizeof(*e));
	e->ops = lt_ops;
	e->ops.opaque = e;
	kvmx_lapic_init(&e->apic, cfg, &e->ops);
}

void lt_init_id(struct lt_env *e, u32 id)
{
	struct kvmx_lapic_config cfg;

	lt_default_config(&cfg, id);
	lt_init(e, &cfg);
}

void lt_bus_add(struct lt_bus *bus, struct lt_env *e)
{
	bus->env[bus->n++] = e;
	e->bus = bus;
}

u32 lt_mr(struct lt_env *e, u32 off)
{
	u32 v = 0xdeadbeef;

	if (kvmx_lapic_mmio_read(&e->apic, KVMX_APIC_DEFAULT_BASE + off, &v, 4))
		return 0xdeadbeef;
	return v;
}

void lt_mw(struct lt_env *e, u32 off, u32 val)
{
	kvmx_lapic_mmio_write(&e->apic, KVMX_APIC_DEFAULT_BASE + off, &val, 4);
}

/* Software-enable with spurious vector 0xff. */
void lt_enable(struct lt_env *e)
{
	lt_mw(e, KVMX_APIC_SVR, 0x1ff);
}

int lt_to_x2apic(struct lt_env *e)
{
	return kvmx_lapic_set_base(&e->apic, e->apic.apic_base |
				   KVMX_APIC_BASE_EXTD, false);
}

static bool bit256(struct lt_env *e, u32 base, u8 vec)
{
	return kvmx_lapic_reg(&e->apic, base + 0x10 * (vec >> 5)) &
	       (1U << (vec & 31));
}

bool lt_irr(struct lt_env *e, u8 vec) { return bit256(e, KVMX_APIC_IRR, vec); }
bool lt_isr(struct lt_env *e, u8 vec) { return bit256(e, KVMX_APIC_ISR, vec); }
bool lt_tmr(struct lt_env *e, u8 vec) { return bit256(e, KVMX_APIC_TMR, vec); }

static u64 msr_r(struct lt_env *e, u32 msr, int *r)
{
	u64 v = ~0ULL;

	*r = kvmx_lapic_msr_read(&e->apic, msr, &v);
	return v;
}

static struct lt_env E;

DEVTEST(lapic_reset_values)
{
	struct kvmx_lapic_config cfg;
	unsigned int off;

	lt_init_id(&E, 0);
	DEV_EXPECT_EQ(0xfee00900, kvmx_lapic_get_base(&E.apic));
	DEV_EXPECT_EQ(1, E.base_calls);
	DEV_EXPECT_EQ(0xfee00000, E.base);
	DEV_EXPECT(E.mmio_on, "MMIO decoded after RESET");
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_ID));
	DEV_EXPECT_EQ(0x50014, lt_mr(&E, KVMX_APIC_LVR));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_TPR));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_APR));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_PPR));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_LDR));
	DEV_EXPECT_EQ(0xffffffff, lt_mr(&E, KVMX_APIC_DFR));
	DEV_EXPECT_EQ(0xff, lt_mr(&E, KVMX_APIC_SVR));
	/* the BSP's LINT0 in virtual wire mode (in-tree quirk) */
	DEV_EXPECT_EQ(0x700, lt_mr(&E, KVMX_APIC_LVT0));
	for (off = KVMX_APIC_LVTT; off <= KVMX_APIC_LVTERR; off += 0x10)
		if (off != KVMX_APIC_LVT0)
			DEV_EXPECT_EQ(0x10000, lt_mr(&E, off));
	for (off = KVMX_APIC_ISR; off < KVMX_APIC_ESR; off += 0x10)
		DEV_EXPECT_EQ(0, lt_mr(&E, off));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_TMICT));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_TDCR));
	DEV_EXPECT(kvmx_lapic_accept_pic_intr(&E.apic), "LINT0 ExtINT");

	/* an AP: no BSP bit, LINT0 masked, ID in 31:24 */
	lt_init_id(&E, 5);
	DEV_EXPECT_EQ(0xfee00800, kvmx_lapic_get_base(&E.apic));
	DEV_EXPECT_EQ(0x05000000, lt_mr(&E, KVMX_APIC_ID));
	DEV_EXPECT_EQ(0x10000, lt_mr(&E, KVMX_APIC_LVT0));
	DEV_EXPECT(!kvmx_lapic_accept_pic_intr(&E.apic), "LINT0 masked");

	/* CMCI: max LVT 6; directed EOI: bit 24 */
	lt_default_config(&cfg, 1);
	cfg.cmci = true;
	cfg.directed_eoi = true;
	lt_init(&E, &cfg);
	DEV_EXPECT_EQ(0x1060014, lt_mr(&E, KVMX_APIC_LVR));
	DEV_EXPECT_EQ(0x10000, lt_mr(&E, KVMX_APIC_LVTCMCI));

	/* INIT keeps the ID (even a written one) and the mode */
	lt_init_id(&E, 3);
	lt_mw(&E, KVMX_APIC_ID, 0x07000000);
	lt_mw(&E, KVMX_APIC_TPR, 0x20);
	kvmx_lapic_reset(&E.apic, true);
	DEV_EXPECT_EQ(0x07000000, lt_mr(&E, KVMX_APIC_ID));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_TPR));
	DEV_EXPECT_EQ(0, lt_to_x2apic(&E));
	kvmx_lapic_reset(&E.apic, true);
	DEV_EXPECT(kvmx_lapic_x2apic_mode(&E.apic), "INIT keeps x2APIC");
	kvmx_lapic_reset(&E.apic, false);
	DEV_EXPECT(!kvmx_lapic_x2apic_mode(&E.apic), "RESET: xAPIC");
	DEV_EXPECT_EQ(0x03000000, lt_mr(&E, KVMX_APIC_ID));
}

DEVTEST(lapic_mmio_sizes)
{
	u8 b[8];
	u32 v;

	lt_init_id(&E, 0x12);
	/* bytes and words inside one register */
	memset(b, 0xaa, sizeof(b));
	DEV_EXPECT_EQ(0, kvmx_lapic_mmio_read(&E.apic, 0xfee00023, b, 1));
	DEV_EXPECT_EQ(0x12, b[0]);
	DEV_EXPECT_EQ(0, kvmx_lapic_mmio_read(&E.apic, 0xfee00022, b, 2));
	DEV_EXPECT_EQ(0x12, b[1]);
	DEV_EXPECT_EQ(0, b[0]);
	/* crossing the 32-bit register or 8 bytes: zeros */
	memset(b, 0xaa, sizeof(b));
	kvmx_lapic_mmio_read(&E.apic, 0xfee00022, b, 4);
	DEV_EXPECT_EQ(0, b[0] | b[1] | b[2] | b[3]);
	memset(b, 0xaa, sizeof(b));
	kvmx_lapic_mmio_read(&E.apic, 0xfee00030, b, 8);
	DEV_EXPECT_EQ(0, b[0] | b[7]);
	/* write-only and reserved registers read 0 */
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_EOI));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_SELF_IPI));
	DEV_EXPECT_EQ(0, lt_mr(&E, 0x010));
	DEV_EXPECT_EQ(0, lt_mr(&E, 0x3a0));
	DEV_EXPECT_EQ(0, lt_mr(&E, 0x800));
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_LVTCMCI));	/* no CMCI */
	/* writes must be 4 aligned bytes */
	v = 0x40;
	kvmx_lapic_mmio_write(&E.apic, 0xfee00080, &v, 2);
	kvmx_lapic_mmio_write(&E.apic, 0xfee00081, &v, 4);
	kvmx_lapic_mmio_write(&E.apic, 0xfee00084, &v, 4);
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_TPR));
	kvmx_lapic_mmio_write(&E.apic, 0xfee00080, &v, 4);
	DEV_EXPECT_EQ(0x40, lt_mr(&E, KVMX_APIC_TPR));
	/* outside the page */
	DEV_EXPECT_EQ(-EOPNOTSUPP,
		      kvmx_lapic_mmio_read(&E.apic, 0xfee01000, &v, 4));
	DEV_EXPECT_EQ(-EOPNOTSUPP,
		      kvmx_lapic_mmio_write(&E.apic, 0xfedff000, &v, 4));

	/* relocation: the glue hears the new base, the old page is gone */
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&E.apic, 0xfec00800, false));
	DEV_EXPECT_EQ(0xfec00000, E.base);
	DEV_EXPECT(E.mmio_on, "relocated page decoded");
	DEV_EXPECT_EQ(-EOPNOTSUPP,
		      kvmx_lapic_mmio_read(&E.apic, 0xfee00080, &v, 4));
	DEV_EXPECT_EQ(0, kvmx_lapic_mmio_read(&E.apic, 0xfec00080, &v, 4));
	DEV_EXPECT_EQ(0x40, v);
	/* disabled or x2APIC: not decoded */
	DEV_EXPECT_EQ(0, lt_to_x2apic(&E));
	DEV_EXPECT(!E.mmio_on, "no MMIO in x2APIC mode");
	DEV_EXPECT_EQ(-EOPNOTSUPP,
		      kvmx_lapic_mmio_read(&E.apic, 0xfec00080, &v, 4));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&E.apic, 0xfec00000, false));
	DEV_EXPECT_EQ(-EOPNOTSUPP,
		      kvmx_lapic_mmio_write(&E.apic, 0xfec00080, &v, 4));
}

DEVTEST(lapic_xapic_writable_bits)
{
	struct kvmx_lapic_config cfg;
	u32 off;

	lt_init_id(&E, 1);
	lt_mw(&E, KVMX_APIC_ID, 0xffffffff);
	DEV_EXPECT_EQ(0xff000000, lt_mr(&E, KVMX_APIC_ID));
	lt_mw(&E, KVMX_APIC_TPR, 0xffffffff);
	DEV_EXPECT_EQ(0xff, lt_mr(&E, KVMX_APIC_TPR));
	DEV_EXPECT_EQ(0xff, lt_mr(&E, KVMX_APIC_PPR));
	lt_mw(&E, KVMX_APIC_TPR, 0);
	lt_mw(&E, KVMX_APIC_LDR, 0xffffffff);
	DEV_EXPECT_EQ(0xff000000, lt_mr(&E, KVMX_APIC_LDR));
	lt_mw(&E, KVMX_APIC_DFR, 0);
	DEV_EXPECT_EQ(0x0fffffff, lt_mr(&E, KVMX_APIC_DFR));
	lt_mw(&E, KVMX_APIC_ICR2, 0xffffffff);
	DEV_EXPECT_EQ(0xff000000, lt_mr(&E, KVMX_APIC_ICR2));
	lt_mw(&E, KVMX_APIC_TDCR, 0xffffffff);
	DEV_EXPECT_EQ(0xb, lt_mr(&E, KVMX_APIC_TDCR));
	lt_mw(&E, KVMX_APIC_SVR, 0xffffffff);
	DEV_EXPECT_EQ(0x3ff, lt_mr(&E, KVMX_APIC_SVR));

	/* LVT writable bits with the APIC software-enabled (Figure 11-8) */
	lt_mw(&E, KVMX_APIC_LVTT, 0xffffffff);
	DEV_EXPECT_EQ(0x000700ff, lt_mr(&E, KVMX_APIC_LVTT));
	lt_mw(&E, KVMX_APIC_LVTTHMR, 0xffffffff);
	DEV_EXPECT_EQ(0x000107ff, lt_mr(&E, KVMX_APIC_LVTTHMR));
	lt_mw(&E, KVMX_APIC_LVTPC, 0xffffffff);
	DEV_EXPECT_EQ(0x000107ff, lt_mr(&E, KVMX_APIC_LVTPC));
	lt_mw(&E, KVMX_APIC_LVT0, 0xffffffff);
	DEV_EXPECT_EQ(0x0001a7ff, lt_mr(&E, KVMX_APIC_LVT0));
	lt_mw(&E, KVMX_APIC_LVT1, 0xffffffff);
	DEV_EXPECT_EQ(0x0001a7ff, lt_mr(&E, KVMX_APIC_LVT1));
	lt_mw(&E, KVMX_APIC_LVTERR, 0xffffffff);
	DEV_EXPECT_EQ(0x000100ff, lt_mr(&E, KVMX_APIC_LVTERR));
	lt_mw(&E, KVMX_APIC_LVT1, 0x000004ee);
	DEV_EXPECT_EQ(0x000004ee, lt_mr(&E, KVMX_APIC_LVT1));
	/* software disable masks all and keeps them masked */
	lt_mw(&E, KVMX_APIC_SVR, 0xff);
	for (off = KVMX_APIC_LVTT; off <= KVMX_APIC_LVTERR; off += 0x10)
		DEV_EXPECT(lt_mr(&E, off) & KVMX_APIC_LVT_MASKED, "LVT %#x", off);
	lt_mw(&E, KVMX_APIC_LVT1, 0x000004ee);
	DEV_EXPECT_EQ(0x000104ee, lt_mr(&E, KVMX_APIC_LVT1));
	/* read-only registers ignore writes */
	lt_mw(&E, KVMX_APIC_LVR, 0);
	DEV_EXPECT_EQ(0x50014, lt_mr(&E, KVMX_APIC_LVR));
	lt_mw(&E, KVMX_APIC_PPR, 0x40);
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_PPR));
	lt_mw(&E, KVMX_APIC_ISR + 0x10, 1);
	lt_mw(&E, KVMX_APIC_IRR + 0x10, 1);
	lt_mw(&E, KVMX_APIC_TMR + 0x10, 1);
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_ISR + 0x10) |
		      lt_mr(&E, KVMX_APIC_IRR + 0x10) |
		      lt_mr(&E, KVMX_APIC_TMR + 0x10));
	lt_mw(&E, KVMX_APIC_TMCCT, 5);
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_TMCCT));
	/* no TSC deadline: mode bit 18 is not writable */
	lt_default_config(&cfg, 1);
	cfg.tsc_deadline = false;
	cfg.directed_eoi = true;
	lt_init(&E, &cfg);
	lt_mw(&E, KVMX_APIC_SVR, 0xffffffff);
	DEV_EXPECT_EQ(0x13ff, lt_mr(&E, KVMX_APIC_SVR));
	lt_mw(&E, KVMX_APIC_LVTT, 0xffffffff);
	DEV_EXPECT_EQ(0x000300ff, lt_mr(&E, KVMX_APIC_LVTT));
}

DEVTEST(lapic_x2apic_msrs)
{
	static const u32 gp_read[] = {
		0x800, 0x801, 0x804, 0x807, 0x809, 0x80b, 0x80c, 0x80e,
		0x829, 0x82e, 0x82f, 0x831, 0x83a, 0x83d, 0x83f, 0x840, 0x8ff,
	};
	static const u32 gp_write[] = {
		0x800, 0x802, 0x803, 0x809, 0x80a, 0x80c, 0x80d, 0x80e,
		0x810, 0x817, 0x818, 0x820, 0x827, 0x831, 0x839, 0x840, 0x8ff,
	};
	unsigned int i;
	int r;
	u64 v;

	lt_init_id(&E, 0x23);
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_read(&E.apic, 0x802, &v));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x808, 0));
	DEV_EXPECT_EQ(0, lt_to_x2apic(&E));
	DEV_EXPECT_EQ(0x23, msr_r(&E, 0x802, &r));
	DEV_EXPECT_EQ(0x50014, msr_r(&E, 0x803, &r));
	DEV_EXPECT_EQ(0x20008, msr_r(&E, 0x80d, &r));
	DEV_EXPECT_EQ(0, r);
	for (i = 0; i < sizeof(gp_read) / sizeof(gp_read[0]); i++) {
		msr_r(&E, gp_read[i], &r);
		DEV_EXPECT(r == -EINVAL, "read %#x: %d", gp_read[i], r);
	}
	for (i = 0; i < sizeof(gp_write) / sizeof(gp_write[0]); i++) {
		r = kvmx_lapic_msr_write(&E.apic, gp_write[i], 0);
		DEV_EXPECT(r == -EINVAL, "write %#x: %d", gp_write[i], r);
	}
	/* reserved bits */
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x808, 0x100));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x808, 1ULL << 32));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x80b, 1));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x80f, 0x5ff));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x80f, 0x11ff));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x828, 1));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x830, 1 << 13));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x830, 1 << 16));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x830, 1 << 20));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x832, 1 << 19));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x832, 0x100));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x835, 1 << 11));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x837, 0x700));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x83e, 4));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x83f, 0x100));
	/* valid writes and read-back */
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x80f, 0x3ff));
	DEV_EXPECT_EQ(0x3ff, msr_r(&E, 0x80f, &r));
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x808, 0x42));
	DEV_EXPECT_EQ(0x42, msr_r(&E, 0x808, &r));
	DEV_EXPECT_EQ(0x42, msr_r(&E, 0x80a, &r));
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x80b, 0));
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x828, 0));
	/* delivery status and remote IRR are read-only, not reserved */
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x835, 0x1f7ff));
	DEV_EXPECT_EQ(0x1a7ff, msr_r(&E, 0x835, &r));
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x832, 0x610ef));
	DEV_EXPECT_EQ(0x600ef, msr_r(&E, 0x832, &r));
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x838, 0xffffffff));
	DEV_EXPECT_EQ(0xffffffff, msr_r(&E, 0x838, &r));
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x83e, 0xb));
	DEV_EXPECT_EQ(0xb, msr_r(&E, 0x83e, &r));
	/* 64-bit ICR, the busy bit ignored */
	E.nipi = 0;
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x830,
					       0x0000012300001030ULL));
	DEV_EXPECT_EQ(0x0000012300000030ULL, msr_r(&E, 0x830, &r));
	DEV_EXPECT_EQ(1, E.nipi);
	DEV_EXPECT_EQ(0x123, E.ipi[0].dest);
	DEV_EXPECT(E.ipi[0].x2apic, "x2APIC IPI");
	/* out of the range */
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x7ff, 0));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x900, 0));

	/* CMCI present: 0x82f valid, max LVT 6 */
	{
		struct kvmx_lapic_config cfg;

		lt_default_config(&cfg, 2);
		cfg.cmci = true;
		lt_init(&E, &cfg);
		lt_to_x2apic(&E);
		DEV_EXPECT_EQ(0x10000, msr_r(&E, 0x82f, &r));
		DEV_EXPECT_EQ(0, r);
		lt_mw(&E, KVMX_APIC_SVR, 0x1ff);	/* MMIO is off */
		DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x80f, 0x1ff));
		DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x82f, 0x4f1));
		DEV_EXPECT_EQ(0x4f1, msr_r(&E, 0x82f, &r));
		DEV_EXPECT_EQ(0x60014, msr_r(&E, 0x803, &r));
	}
}

DEVTEST(lapic_apic_base_state_machine)
{
	struct kvmx_lapic_config cfg;
	struct lt_env *e = &E;
	const u64 X = 0xfee00000 | KVMX_APIC_BASE_EN, X2 = X | KVMX_APIC_BASE_EXTD;
	const u64 D = 0xfee00000;

	lt_init_id(e, 1);
	/* reserved: bits 7:0, 9, at or above MAXPHYADDR (46) */
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X | 1, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X | 0x80, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X | 0x200, true));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X | 1ULL << 46, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X | 1ULL << 63, true));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X | 1ULL << 45, false));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X, false));
	/* invalid state EN=0 EXTD=1, from every state, also for the host */
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic,
				D | KVMX_APIC_BASE_EXTD, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic,
				D | KVMX_APIC_BASE_EXTD, true));
	/* BSP bit is writable; same value is a no-op */
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X | KVMX_APIC_BASE_BSP, false));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X, false));
	/* xAPIC -> x2APIC -> xAPIC (#GP) -> disabled -> x2APIC (#GP) */
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X2, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X, false));
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic,
				D | KVMX_APIC_BASE_EXTD, false));
	DEV_EXPECT_EQ(X2, kvmx_lapic_get_base(&e->apic));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, D, false));
	DEV_EXPECT(!kvmx_lapic_hw_enabled(&e->apic), "disabled");
	DEV_EXPECT(!e->mmio_on, "no MMIO when disabled");
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X2, false));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X, false));
	DEV_EXPECT(e->mmio_on, "MMIO again");
	DEV_EXPECT_EQ(0x01000000, lt_mr(e, KVMX_APIC_ID));
	/* the host may do both direct transitions */
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X2, false));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X, true));
	DEV_EXPECT_EQ(0x01000000, lt_mr(e, KVMX_APIC_ID));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, D, true));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X2, true));
	DEV_EXPECT(kvmx_lapic_x2apic_mode(&e->apic), "host: disabled -> x2APIC");

	/* disabling loses the register state but keeps the ID */
	lt_init_id(e, 1);
	lt_enable(e);
	lt_mw(e, KVMX_APIC_ID, 0x09000000);
	lt_mw(e, KVMX_APIC_TPR, 0x30);
	lt_mw(e, KVMX_APIC_LVT1, 0x400);
	kvmx_lapic_deliver(&e->apic, 0x40, false);
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, D, false));
	DEV_EXPECT_EQ(0, kvmx_lapic_set_base(&e->apic, X, false));
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_TPR));
	DEV_EXPECT_EQ(0xff, lt_mr(e, KVMX_APIC_SVR));
	DEV_EXPECT_EQ(0x10000, lt_mr(e, KVMX_APIC_LVT1));
	DEV_EXPECT(!lt_irr(e, 0x40), "IRR cleared");
	/* in-tree: re-enabling sets the xAPIC ID from the vCPU's ID */
	DEV_EXPECT_EQ(0x01000000, lt_mr(e, KVMX_APIC_ID));
	/* a disabled APIC accepts nothing and matches nothing */
	kvmx_lapic_set_base(&e->apic, D, false);
	DEV_EXPECT_EQ(0, kvmx_lapic_deliver(&e->apic, 0x40, false));
	DEV_EXPECT(!kvmx_lapic_match_dest(&e->apic, NULL, 0, 0xff, false),
		   "disabled APIC matched");
	DEV_EXPECT_EQ(-1, kvmx_lapic_has_interrupt(&e->apic));

	/* without x2APIC in CPUID, EXTD is reserved */
	lt_default_config(&cfg, 1);
	cfg.x2apic = false;
	lt_init(e, &cfg);
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_set_base(&e->apic, X2, true));
}

/* The x2APIC forms of the 256-bit registers, the count and every LVT. */
DEVTEST(lapic_x2apic_regs)
{
	static const struct { u32 msr, writable; } lvt[] = {
		{ 0x832, 0x000700ff }, { 0x833, 0x000107ff },
		{ 0x834, 0x000107ff }, { 0x835, 0x0001a7ff },
		{ 0x836, 0x0001a7ff }, { 0x837, 0x000100ff },
	};
	unsigned int i;
	int r;

	lt_init_id(&E, 7);
	lt_to_x2apic(&E);
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x80f, 0x1ff));
	kvmx_lapic_deliver(&E.apic, 0x21, true);
	kvmx_lapic_deliver(&E.apic, 0xfe, false);
	kvmx_lapic_get_interrupt(&E.apic);
	DEV_EXPECT_EQ(1U << 1, msr_r(&E, 0x821, &r));	/* IRR 0x21 */
	DEV_EXPECT_EQ(1U << 1, msr_r(&E, 0x819, &r));	/* TMR 0x21 */
	DEV_EXPECT_EQ(1U << 30, msr_r(&E, 0x817, &r));	/* ISR 0xfe */
	DEV_EXPECT_EQ(0xf0, msr_r(&E, 0x80a, &r));
	DEV_EXPECT_EQ(0, r);
	for (i = 0; i < sizeof(lvt) / sizeof(lvt[0]); i++) {
		u32 reserved = ~(lvt[i].writable | KVMX_APIC_DELIV_STATUS |
				 (lvt[i].msr == 0x835 || lvt[i].msr == 0x836 ?
				  KVMX_APIC_LVT_REMOTE_IRR : 0));
		unsigned int b;

		DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, lvt[i].msr,
						       ~reserved));
		DEV_EXPECT(msr_r(&E, lvt[i].msr, &r) == lvt[i].writable,
			   "LVT %#x", lvt[i].msr);
		for (b = 0; b < 32; b++)
			if (reserved & (1U << b))
				DEV_EXPECT(kvmx_lapic_msr_write(&E.apic, lvt[i].msr,
								1U << b) == -EINVAL,
					   "LVT %#x bit %u", lvt[i].msr, b);
	}
	/* the count through the MSRs */
	E.now = 0;
	kvmx_lapic_msr_write(&E.apic, 0x83e, 0xb);
	kvmx_lapic_msr_write(&E.apic, 0x832, 0x10040);
	kvmx_lapic_msr_write(&E.apic, 0x838, 1000);
	E.now = 400;
	DEV_EXPECT_EQ(600, msr_r(&E, 0x839, &r));
	/* EOI through the MSR retires 0xfe */
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x80b, 0));
	DEV_EXPECT_EQ(0, msr_r(&E, 0x817, &r));
	DEV_EXPECT_EQ(0xfe, E.eoi[0].vector);
}
