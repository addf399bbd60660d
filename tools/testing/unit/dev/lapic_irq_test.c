// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the local APIC model's interrupt logic: PPR/TPR/ISR and
 * the injection path, EOI with level TMR and suppression, destination
 * matching (physical, flat, cluster, x2APIC cluster, shorthands), the ICR
 * with every delivery mode and shorthand on a three-APIC fake bus, ESR
 * and the LVT's local sources.
 */
#include <string.h>
#include "lapic_test.h"

static struct lt_env E, E1, E2;

DEVTEST(lapic_priority)
{
	struct lt_env *e = &E;

	lt_init_id(e, 0);
	lt_enable(e);
	lt_mw(e, KVMX_APIC_TPR, 0x30);
	DEV_EXPECT_EQ(0x30, lt_mr(e, KVMX_APIC_PPR));
	DEV_EXPECT_EQ(3, kvmx_lapic_get_cr8(&e->apic));
	/* IRR class not above PPR class: blocked */
	kvmx_lapic_deliver(&e->apic, 0x3f, false);
	DEV_EXPECT_EQ(-1, kvmx_lapic_has_interrupt(&e->apic));
	kvmx_lapic_deliver(&e->apic, 0x51, false);
	DEV_EXPECT_EQ(0x51, kvmx_lapic_has_interrupt(&e->apic));
	DEV_EXPECT_EQ(0x51, kvmx_lapic_get_interrupt(&e->apic));
	DEV_EXPECT(lt_isr(e, 0x51) && !lt_irr(e, 0x51), "IRR -> ISR");
	DEV_EXPECT_EQ(0x50, lt_mr(e, KVMX_APIC_PPR));
	/* same class as in service: blocked */
	kvmx_lapic_deliver(&e->apic, 0x5f, false);
	DEV_EXPECT_EQ(-1, kvmx_lapic_has_interrupt(&e->apic));
	/* TPR of the in-service class wins with its sub-class */
	lt_mw(e, KVMX_APIC_TPR, 0x5a);
	DEV_EXPECT_EQ(0x5a, lt_mr(e, KVMX_APIC_PPR));
	lt_mw(e, KVMX_APIC_TPR, 0x4f);
	DEV_EXPECT_EQ(0x50, lt_mr(e, KVMX_APIC_PPR));
	kvmx_lapic_set_cr8(&e->apic, 0x16);	/* only 3:0 count */
	DEV_EXPECT_EQ(0x60, lt_mr(e, KVMX_APIC_TPR));
	DEV_EXPECT_EQ(0x60, lt_mr(e, KVMX_APIC_PPR));
	/* arbitration priority (11.6.2.4) */
	DEV_EXPECT_EQ(0x60, kvmx_lapic_arb_priority(&e->apic));
	kvmx_lapic_set_cr8(&e->apic, 0);
	lt_mw(e, KVMX_APIC_TPR, 0x08);
	DEV_EXPECT_EQ(0x50, kvmx_lapic_arb_priority(&e->apic));
	kvmx_lapic_deliver(&e->apic, 0x92, false);
	DEV_EXPECT_EQ(0x90, kvmx_lapic_arb_priority(&e->apic));
	DEV_EXPECT_EQ(0, lt_mr(e, KVMX_APIC_APR));	/* in-tree: reads 0 */
	/* EOI lowers PPR and kicks for the now deliverable 0x5f */
	DEV_EXPECT_EQ(0x92, kvmx_lapic_get_interrupt(&e->apic));
	e->kicks = 0;
	lt_mw(e, KVMX_APIC_EOI, 0);
	DEV_EXPECT_EQ(0x50, lt_mr(e, KVMX_APIC_PPR));
	lt_mw(e, KVMX_APIC_EOI, 0);
	DEV_EXPECT_EQ(0x08, lt_mr(e, KVMX_APIC_PPR));
	DEV_EXPECT(e->kicks >= 1, "kick after EOI");
	DEV_EXPECT_EQ(0x5f, kvmx_lapic_has_interrupt(&e->apic));
	/* auto-EOI acknowledge: no ISR */
	kvmx_lapic_ack(&e->apic, 0x5f, true);
	DEV_EXPECT(!lt_isr(e, 0x5f) && !lt_irr(e, 0x5f), "auto-EOI");
	DEV_EXPECT_EQ(0x3f, kvmx_lapic_highest_irr(&e->apic));
	DEV_EXPECT_EQ(-1, kvmx_lapic_highest_isr(&e->apic));
	DEV_EXPECT(kvmx_lapic_pending_eoi(&e->apic, 0x3f), "pending 0x3f");
	/* focus: vector pending here, unless SVR bit 9 disables checking */
	DEV_EXPECT(kvmx_lapic_is_focus(&e->apic, 0x3f), "focus");
	lt_mw(e, KVMX_APIC_SVR, 0x3ff);
	DEV_EXPECT(!kvmx_lapic_is_focus(&e->apic, 0x3f), "focus off");
}

DEVTEST(lapic_eoi)
{
	struct kvmx_lapic_config cfg;
	struct lt_env *e = &E;

	lt_init_id(e, 0);
	lt_enable(e);
	/* EOI without ISR: nothing */
	lt_mw(e, KVMX_APIC_EOI, 0);
	DEV_EXPECT_EQ(0, e->neoi);
	kvmx_lapic_deliver(&e->apic, 0x40, true);
	DEV_EXPECT(lt_tmr(e, 0x40), "level sets TMR");
	kvmx_lapic_get_interrupt(&e->apic);
	kvmx_lapic_deliver(&e->apic, 0x80, false);
	DEV_EXPECT(!lt_tmr(e, 0x80), "edge clears TMR");
	kvmx_lapic_get_interrupt(&e->apic);
	/* nested: the highest in service goes first */
	lt_mw(e, KVMX_APIC_EOI, 0);
	lt_mw(e, KVMX_APIC_EOI, 0);
	DEV_EXPECT_EQ(2, e->neoi);
	DEV_EXPECT_EQ(0x80, e->eoi[0].vector);
	DEV_EXPECT(!e->eoi[0].level && !e->eoi[0].broadcast, "edge EOI");
	DEV_EXPECT_EQ(0x40, e->eoi[1].vector);
	DEV_EXPECT(e->eoi[1].level && e->eoi[1].broadcast, "level EOI");
	/* a level de-assert message is dropped */
	DEV_EXPECT_EQ(0, kvmx_lapic_accept(&e->apic, 0, 0x41, true, false));

	/* SVR bit 12 suppresses the broadcast (directed EOI) */
	lt_default_config(&cfg, 0);
	cfg.directed_eoi = true;
	lt_init(e, &cfg);
	lt_mw(e, KVMX_APIC_SVR, 0x11ff);
	kvmx_lapic_deliver(&e->apic, 0x40, true);
	kvmx_lapic_get_interrupt(&e->apic);
	DEV_EXPECT_EQ(0x40, kvmx_lapic_eoi(&e->apic));
	DEV_EXPECT(e->eoi[0].level && !e->eoi[0].broadcast, "suppressed");
	DEV_EXPECT_EQ(-1, kvmx_lapic_eoi(&e->apic));
}

DEVTEST(lapic_dest_match)
{
	struct lt_env *e = &E;
	const struct kvmx_lapic *a = &E.apic;

	lt_init_id(e, 3);
	/* physical and broadcast */
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 3, false), "phys 3");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, NULL, 0, 4, false), "phys 4");
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 0xff, false), "bcast");
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 0xff, true), "lbcast");
	lt_mw(e, KVMX_APIC_ID, 0x07000000);
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 7, false), "written ID");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, NULL, 0, 3, false), "old ID");
	/* flat: LDR bit set in the destination bitmap */
	lt_mw(e, KVMX_APIC_LDR, 0x04000000);
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 0x0c, true), "flat hit");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, NULL, 0, 0x0b, true), "flat miss");
	/* cluster: cluster 2, member bit 1 */
	lt_mw(e, KVMX_APIC_DFR, 0x0fffffff);
	lt_mw(e, KVMX_APIC_LDR, 0x22000000);
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 0x22, true), "cl hit");
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 0x2f, true), "cl multi");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, NULL, 0, 0x21, true), "cl member");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, NULL, 0, 0x12, true), "cl cluster");
	/* an undefined DFR model matches no logical destination */
	e->apic.regs[KVMX_APIC_DFR + 3] = 0x5f;
	DEV_EXPECT(!kvmx_lapic_match_dest(a, NULL, 0, 0x22, true), "bad DFR");
	/* in-tree hotplug rule: destinations above 0xff are x2APIC IDs */
	lt_init_id(e, 0x105);
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 0x105, false), "0x105");
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 5, false), "xAPIC 5");
	/* x2APIC: cluster 0x10, member bit 5 */
	DEV_EXPECT_EQ(0, lt_to_x2apic(e));
	DEV_EXPECT_EQ(0x100020, kvmx_lapic_reg(a, KVMX_APIC_LDR));
	DEV_EXPECT(kvmx_lapic_match_dest(a, a, 0, 0x105, false), "x2 phys");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, a, 0, 5, false), "x2 phys 5");
	DEV_EXPECT(kvmx_lapic_match_dest(a, a, 0, 0x100030, true), "x2 log");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, a, 0, 0x100010, true), "x2 mbr");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, a, 0, 0x110020, true), "x2 cl");
	DEV_EXPECT(kvmx_lapic_match_dest(a, a, 0, 0xffffffff, false), "x2 bc");
	DEV_EXPECT(kvmx_lapic_match_dest(a, a, 0, 0xffffffff, true), "x2 lbc");
	/* 0xff: an IPI's physical 0xff is just ID 0xff; non-IPI: quirk */
	DEV_EXPECT(!kvmx_lapic_match_dest(a, a, 0, 0xff, false), "x2 0xff IPI");
	DEV_EXPECT(kvmx_lapic_match_dest(a, NULL, 0, 0xff, false), "quirk");
	e->apic.cfg.broadcast_quirk_disabled = true;
	DEV_EXPECT(!kvmx_lapic_match_dest(a, NULL, 0, 0xff, false), "no quirk");
	/* shorthands */
	lt_init_id(&E1, 1);
	DEV_EXPECT(kvmx_lapic_match_dest(a, a, 1, 0, false), "self");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, &E1.apic, 1, 0, false), "self o");
	DEV_EXPECT(kvmx_lapic_match_dest(a, a, 2, 0, false), "all");
	DEV_EXPECT(!kvmx_lapic_match_dest(a, a, 3, 0, false), "all-but s");
	DEV_EXPECT(kvmx_lapic_match_dest(a, &E1.apic, 3, 0, false), "all-but");
	DEV_EXPECT_EQ(2, kvmx_lapic_lowest_prio_pick(0x42, 4));
	DEV_EXPECT_EQ(0, kvmx_lapic_lowest_prio_pick(0x42, 0));
}

static void bus3(struct lt_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	lt_init_id(&E, 0);
	lt_init_id(&E1, 1);
	lt_init_id(&E2, 2);
	lt_bus_add(bus, &E);
	lt_bus_add(bus, &E1);
	lt_bus_add(bus, &E2);
	lt_enable(&E);
	lt_enable(&E1);
	lt_enable(&E2);
}

static void icr(struct lt_env *e, u32 dest, u32 low)
{
	lt_mw(e, KVMX_APIC_ICR2, dest << 24);
	lt_mw(e, KVMX_APIC_ICR, low);
}

DEVTEST(lapic_icr)
{
	struct kvmx_lapic_events ev;
	struct lt_bus bus;
	int r;

	bus3(&bus);
	/* fixed, physical; delivery status reads 0 */
	icr(&E, 1, 0x00001040);
	DEV_EXPECT(lt_irr(&E1, 0x40) && !lt_irr(&E2, 0x40), "fixed");
	DEV_EXPECT_EQ(0x40, lt_mr(&E, KVMX_APIC_ICR));
	DEV_EXPECT_EQ(0x01000000, lt_mr(&E, KVMX_APIC_ICR2));
	DEV_EXPECT(E1.kicks >= 1, "receiver kicked");
	/* level-triggered fixed sets the receiver's TMR */
	icr(&E, 2, 0x0000c041);
	DEV_EXPECT(lt_irr(&E2, 0x41) && lt_tmr(&E2, 0x41), "level");
	/* logical flat */
	lt_mw(&E1, KVMX_APIC_LDR, 0x02000000);
	lt_mw(&E2, KVMX_APIC_LDR, 0x04000000);
	icr(&E, 0x06, 0x00000842);
	DEV_EXPECT(lt_irr(&E1, 0x42) && lt_irr(&E2, 0x42), "logical");
	/* lowest priority: exactly one of the two (vector hashing) */
	icr(&E, 0x06, 0x00000943);
	DEV_EXPECT(lt_irr(&E1, 0x43) != lt_irr(&E2, 0x43), "lowest");
	DEV_EXPECT(lt_irr(&E2, 0x43), "0x43 %% 2 = 1: the second");
	/* shorthands */
	E.nipi = 0;
	lt_mw(&E, KVMX_APIC_ICR, 0x00044050);
	DEV_EXPECT(lt_irr(&E, 0x50) && !lt_irr(&E1, 0x50), "self");
	DEV_EXPECT_EQ(0, E.nipi);
	lt_mw(&E, KVMX_APIC_ICR, 0x00084051);
	DEV_EXPECT(lt_irr(&E, 0x51) && lt_irr(&E1, 0x51) && lt_irr(&E2, 0x51),
		   "all");
	lt_mw(&E, KVMX_APIC_ICR, 0x000c4052);
	DEV_EXPECT(!lt_irr(&E, 0x52) && lt_irr(&E1, 0x52) && lt_irr(&E2, 0x52),
		   "all but self");
	/* broadcast physical 0xff */
	icr(&E, 0xff, 0x00000053);
	DEV_EXPECT(lt_irr(&E, 0x53) && lt_irr(&E2, 0x53), "0xff");
	/* NMI, SMI, INIT, SIPI as events */
	icr(&E, 1, 0x00004400);
	icr(&E, 1, 0x00004400);
	icr(&E, 1, 0x00004200);
	icr(&E, 2, 0x00004500);
	icr(&E, 2, 0x0000069a);
	DEV_EXPECT(kvmx_lapic_has_events(&E1.apic), "events");
	kvmx_lapic_take_events(&E1.apic, &ev);
	DEV_EXPECT_EQ(2, ev.nmi);
	DEV_EXPECT(ev.smi && !ev.init && !ev.sipi, "SMI");
	DEV_EXPECT(!kvmx_lapic_has_events(&E1.apic), "taken");
	kvmx_lapic_take_events(&E2.apic, &ev);
	DEV_EXPECT(ev.init && ev.sipi && !ev.nmi, "INIT+SIPI");
	DEV_EXPECT_EQ(0x9a, ev.sipi_vector);
	/* INIT level de-assert: not sent, and ignored by receivers */
	E.nipi = 0;
	icr(&E, 2, 0x00008500);
	DEV_EXPECT_EQ(0, E.nipi);
	DEV_EXPECT(!kvmx_lapic_has_events(&E2.apic), "de-assert ignored");
	DEV_EXPECT_EQ(0, kvmx_lapic_accept(&E2.apic, KVMX_APIC_DM_INIT, 0,
					   true, false));
	/* INIT discards an earlier SIPI (in-tree) */
	kvmx_lapic_accept(&E2.apic, KVMX_APIC_DM_SIPI, 0x10, false, true);
	kvmx_lapic_accept(&E2.apic, KVMX_APIC_DM_INIT, 0, false, true);
	kvmx_lapic_take_events(&E2.apic, &ev);
	DEV_EXPECT(ev.init && !ev.sipi, "INIT after SIPI");
	/* ExtINT messages are not accepted; delivery mode 3 unhalts */
	r = kvmx_lapic_accept(&E2.apic, KVMX_APIC_DM_EXTINT, 0x30, false, true);
	DEV_EXPECT_EQ(0, r);
	icr(&E, 2, 0x00000300);
	kvmx_lapic_take_events(&E2.apic, &ev);
	DEV_EXPECT(ev.unhalt, "remote read kick");
	/* the message fields the glue sees */
	E.nipi = 0;
	icr(&E, 0x0a, 0x0000cd00 | 0x21);
	DEV_EXPECT_EQ(1, E.nipi);
	DEV_EXPECT_EQ(0x0a, E.ipi[0].dest);
	DEV_EXPECT_EQ(KVMX_APIC_DM_INIT, E.ipi[0].mode);
	DEV_EXPECT(E.ipi[0].logical && E.ipi[0].level && E.ipi[0].assert &&
		   !E.ipi[0].x2apic, "fields");
	/* a sw-disabled APIC drops fixed IPIs but takes NMIs */
	lt_mw(&E1, KVMX_APIC_SVR, 0xff);
	icr(&E, 1, 0x00000060);
	icr(&E, 1, 0x00000400);
	DEV_EXPECT(!lt_irr(&E1, 0x60), "sw disabled");
	kvmx_lapic_take_events(&E1.apic, &ev);
	DEV_EXPECT_EQ(1, ev.nmi);

	/* x2APIC: 32-bit destination and SELF IPI */
	bus3(&bus);
	lt_to_x2apic(&E);
	lt_to_x2apic(&E2);
	kvmx_lapic_msr_write(&E.apic, 0x80f, 0x1ff);
	kvmx_lapic_msr_write(&E2.apic, 0x80f, 0x1ff);
	kvmx_lapic_msr_write(&E.apic, 0x830, (2ULL << 32) | 0x61);
	DEV_EXPECT(lt_irr(&E2, 0x61), "x2APIC physical");
	kvmx_lapic_msr_write(&E.apic, 0x830, (0x4ULL << 32) | 0x862);
	DEV_EXPECT(lt_irr(&E2, 0x62), "x2APIC cluster 0 bit 2");
	kvmx_lapic_msr_write(&E.apic, 0x830, (0xffffffffULL << 32) | 0x63);
	DEV_EXPECT(lt_irr(&E, 0x63) && lt_irr(&E2, 0x63), "x2APIC bcast");
	DEV_EXPECT(!lt_irr(&E1, 0x63), "xAPIC target of 0xffffffff");
	E.nipi = 0;
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x83f, 0x64));
	DEV_EXPECT(lt_irr(&E, 0x64), "SELF IPI");
	DEV_EXPECT_EQ(0, E.nipi);
	{
		u64 v;

		DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_read(&E.apic, 0x83f, &v));
	}
}

DEVTEST(lapic_esr)
{
	struct lt_bus bus;
	u64 v;

	bus3(&bus);
	/* illegal vector on send: nothing sent, error latched on write */
	E.nipi = 0;
	icr(&E, 1, 0x0000000f);
	DEV_EXPECT_EQ(0, E.nipi);
	DEV_EXPECT(!lt_irr(&E1, 0x0f), "not delivered");
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_ESR));
	lt_mw(&E, KVMX_APIC_ESR, 0);
	DEV_EXPECT_EQ(KVMX_APIC_ESR_SEND_ILLEGAL, lt_mr(&E, KVMX_APIC_ESR));
	lt_mw(&E, KVMX_APIC_ESR, 0);
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_ESR));
	/* NMI with vector 0 is fine */
	icr(&E, 1, 0x00000400);
	lt_mw(&E, KVMX_APIC_ESR, 0);
	DEV_EXPECT_EQ(0, lt_mr(&E, KVMX_APIC_ESR));
	/* illegal vector on receive, with the error LVT unmasked */
	lt_mw(&E1, KVMX_APIC_LVTERR, 0xe0);
	DEV_EXPECT_EQ(0, kvmx_lapic_deliver(&E1.apic, 3, false));
	DEV_EXPECT(lt_irr(&E1, 0xe0), "error interrupt");
	lt_mw(&E1, KVMX_APIC_ESR, 0xffffffff);
	DEV_EXPECT_EQ(KVMX_APIC_ESR_RECV_ILLEGAL, lt_mr(&E1, KVMX_APIC_ESR));
	/* an illegal error vector only records (no recursion) */
	lt_mw(&E1, KVMX_APIC_LVTERR, 0x05);
	lt_mw(&E1, KVMX_APIC_LVT1, 0x02);	/* fixed, vector 2 */
	DEV_EXPECT_EQ(0, kvmx_lapic_local_deliver(&E1.apic, KVMX_LVT_LINT1));
	lt_mw(&E1, KVMX_APIC_ESR, 0);
	DEV_EXPECT_EQ(KVMX_APIC_ESR_RECV_ILLEGAL, lt_mr(&E1, KVMX_APIC_ESR));
	/* x2APIC: SELF IPI with an illegal vector, ESR write must be 0 */
	lt_to_x2apic(&E);
	kvmx_lapic_msr_write(&E.apic, 0x83f, 0x01);
	DEV_EXPECT_EQ(-EINVAL, kvmx_lapic_msr_write(&E.apic, 0x828, 5));
	DEV_EXPECT_EQ(0, kvmx_lapic_msr_write(&E.apic, 0x828, 0));
	kvmx_lapic_msr_read(&E.apic, 0x828, &v);
	DEV_EXPECT_EQ(KVMX_APIC_ESR_SEND_ILLEGAL, v);
}

DEVTEST(lapic_lvt_local)
{
	struct kvmx_lapic_events ev;
	struct lt_env *e = &E;

	lt_init_id(e, 0);
	lt_enable(e);
	/* LINT0 ExtINT masked or not, and APIC disabled */
	lt_mw(e, KVMX_APIC_LVT0, 0x10700);
	DEV_EXPECT(!kvmx_lapic_accept_pic_intr(&e->apic), "masked ExtINT");
	lt_mw(e, KVMX_APIC_LVT0, 0x00700);
	DEV_EXPECT(kvmx_lapic_accept_pic_intr(&e->apic), "ExtINT");
	DEV_EXPECT_EQ(0, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_LINT0));
	lt_mw(e, KVMX_APIC_LVT0, 0x00400);
	DEV_EXPECT(!kvmx_lapic_accept_pic_intr(&e->apic), "NMI LINT0");
	DEV_EXPECT(kvmx_lapic_lint0_nmi(&e->apic), "NMI watchdog mode");
	DEV_EXPECT_EQ(1, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_LINT0));
	kvmx_lapic_take_events(&e->apic, &ev);
	DEV_EXPECT_EQ(1, ev.nmi);
	kvmx_lapic_set_base(&e->apic, 0xfee00000, false);
	DEV_EXPECT(kvmx_lapic_accept_pic_intr(&e->apic), "disabled APIC");
	DEV_EXPECT(!kvmx_lapic_lint0_nmi(&e->apic), "reset on disable");
	DEV_EXPECT_EQ(0, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_LINT0));

	/* LINT1 level fixed sets TMR; masked delivers nothing */
	lt_init_id(e, 0);
	lt_enable(e);
	lt_mw(e, KVMX_APIC_LVT1, 0x08070);
	DEV_EXPECT_EQ(1, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_LINT1));
	DEV_EXPECT(lt_irr(e, 0x70) && lt_tmr(e, 0x70), "level LINT1");
	lt_mw(e, KVMX_APIC_LVT1, 0x18071);
	DEV_EXPECT_EQ(0, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_LINT1));
	/* thermal fixed; PMC masks itself (Intel) */
	lt_mw(e, KVMX_APIC_LVTTHMR, 0x72);
	DEV_EXPECT_EQ(1, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_THERMAL));
	DEV_EXPECT(lt_irr(e, 0x72) && !lt_tmr(e, 0x72), "thermal edge");
	lt_mw(e, KVMX_APIC_LVTPC, 0x73);
	DEV_EXPECT_EQ(1, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_PMC));
	DEV_EXPECT_EQ(0x10073, lt_mr(e, KVMX_APIC_LVTPC));
	/* CMCI absent, out of range */
	DEV_EXPECT_EQ(0, kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_CMCI));
	DEV_EXPECT_EQ(0, kvmx_lapic_local_deliver(&e->apic, 99));
	/* PMC as NMI */
	lt_mw(e, KVMX_APIC_LVTPC, 0x400);
	kvmx_lapic_local_deliver(&e->apic, KVMX_LVT_PMC);
	kvmx_lapic_take_events(&e->apic, &ev);
	DEV_EXPECT_EQ(1, ev.nmi);
}
