// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the dual 8259A model (arch/x86/kvm/dev/pic.c): the Linux
 * and SeaBIOS initialisation sequences, EOI forms, rotation, poll mode,
 * special mask and special fully nested modes, the cascade, spurious IRQ
 * 7/15, edge and level inputs, the ELCR, the INT callback, and state
 * round trips and a fuzz loop.  Expectations are worked out by hand from
 * the 8259A datasheet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "devtest.h"
#include "pic.h"

struct pt_env {
	struct kvmx_pic pic;
	bool intr;
	unsigned int int_calls;
	unsigned int acked[32];
	unsigned int nacked;
	unsigned int mask_calls;
};

static void pt_set_int(void *o, bool level)
{
	struct pt_env *e = o;

	e->intr = level;
	e->int_calls++;
}

static void pt_acked(void *o, unsigned int irq)
{
	struct pt_env *e = o;

	if (e->nacked < 32)
		e->acked[e->nacked] = irq;
	e->nacked++;
}

static void pt_masked(void *o, unsigned int irq, bool masked)
{
	struct pt_env *e = o;

	e->mask_calls++;
}

static const struct kvmx_pic_ops pt_ops = {
	.set_int = pt_set_int,
	.irq_acked = pt_acked,
	.irq_mask_changed = pt_masked,
};

static void pt_init(struct pt_env *e)
{
	memset(e, 0, sizeof(*e));
	kvmx_pic_init(&e->pic, &pt_ops, e);
}

static void outb(struct pt_env *e, u16 port, u8 val)
{
	kvmx_pic_write(&e->pic, port, val);
}

static u8 inb(struct pt_env *e, u16 port)
{
	u8 v = 0x5a;

	kvmx_pic_read(&e->pic, port, &v);
	return v;
}

static void pulse(struct pt_env *e, unsigned int irq)
{
	kvmx_pic_set_irq(&e->pic, irq, 1);
	kvmx_pic_set_irq(&e->pic, irq, 0);
}

/* Linux's init_8259A(): everything masked around the ICWs, no AEOI. */
static void linux_init(struct pt_env *e)
{
	outb(e, 0x21, 0xff);
	outb(e, 0xa1, 0xff);
	outb(e, 0x20, 0x11);	/* ICW1: edge, cascade, ICW4 */
	outb(e, 0x21, 0x30);	/* ICW2: IRQ0 -> 0x30 */
	outb(e, 0x21, 0x04);	/* ICW3: slave on IR2 */
	outb(e, 0x21, 0x01);	/* ICW4: 8086, normal EOI */
	outb(e, 0xa0, 0x11);
	outb(e, 0xa1, 0x38);
	outb(e, 0xa1, 0x02);	/* ICW3: slave ID 2 */
	outb(e, 0xa1, 0x01);
	outb(e, 0x21, 0x00);
	outb(e, 0xa1, 0x00);
}

/* SeaBIOS's pic_setup(): bases 0x08 and 0x70, only the cascade open. */
static void seabios_init(struct pt_env *e)
{
	outb(e, 0x20, 0x11);
	outb(e, 0xa0, 0x11);
	outb(e, 0x21, 0x08);
	outb(e, 0xa1, 0x70);
	outb(e, 0x21, 0x04);
	outb(e, 0xa1, 0x02);
	outb(e, 0x21, 0x01);
	outb(e, 0xa1, 0x01);
	outb(e, 0x21, 0xfb);
	outb(e, 0xa1, 0xff);
}

DEVTEST(pic_power_on_state)
{
	struct pt_env env, *e = &env;
	struct kvm_pic_state s;

	pt_init(e);
	DEV_EXPECT_EQ(0, kvmx_pic_get_state(&e->pic, 0, &s));
	DEV_EXPECT_EQ(0xf8, s.elcr_mask);
	DEV_EXPECT_EQ(0, s.init_state);
	DEV_EXPECT_EQ(0, s.imr);
	DEV_EXPECT_EQ(0, kvmx_pic_get_state(&e->pic, 1, &s));
	DEV_EXPECT_EQ(0xde, s.elcr_mask);
	DEV_EXPECT_EQ(-EINVAL, kvmx_pic_get_state(&e->pic, 2, &s));
	DEV_EXPECT(!kvmx_pic_output(&e->pic), "INT low");
	DEV_EXPECT_EQ(-EOPNOTSUPP, kvmx_pic_write(&e->pic, 0x22, 0));
	DEV_EXPECT(!kvmx_pic_decodes(0x4d2), "0x4d2 not decoded");
	DEV_EXPECT(kvmx_pic_decodes(0xa1), "0xa1 decoded");
}

DEVTEST(pic_linux_init_and_eoi)
{
	struct pt_env env, *e = &env;
	struct kvm_pic_state s;

	pt_init(e);
	linux_init(e);
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0x30, s.irq_base);
	DEV_EXPECT_EQ(0, s.init_state);
	DEV_EXPECT_EQ(1, s.init4);
	DEV_EXPECT_EQ(0, s.auto_eoi);
	kvmx_pic_get_state(&e->pic, 1, &s);
	DEV_EXPECT_EQ(0x38, s.irq_base);

	DEV_EXPECT_EQ(1, kvmx_pic_set_irq(&e->pic, 1, 1));
	DEV_EXPECT(e->intr, "INT raised by IRQ1");
	DEV_EXPECT_EQ(0x31, kvmx_pic_intack(&e->pic));
	DEV_EXPECT(!e->intr, "INT low while IRQ1 in service");
	outb(e, 0x20, 0x0b);	/* OCW3: read ISR */
	DEV_EXPECT_EQ(0x02, inb(e, 0x20));
	outb(e, 0x20, 0x0a);	/* OCW3: read IRR */
	DEV_EXPECT_EQ(0x00, inb(e, 0x20));
	outb(e, 0x20, 0x20);	/* non-specific EOI */
	DEV_EXPECT_EQ(1, e->nacked);
	DEV_EXPECT_EQ(1, e->acked[0]);
	outb(e, 0x20, 0x0b);
	DEV_EXPECT_EQ(0x00, inb(e, 0x20));
	/* an EOI with nothing in service is not reported */
	outb(e, 0x20, 0x20);
	outb(e, 0x20, 0x63);
	DEV_EXPECT_EQ(1, e->nacked);
}

DEVTEST(pic_seabios_init_and_cascade)
{
	struct pt_env env, *e = &env;

	pt_init(e);
	seabios_init(e);
	DEV_EXPECT_EQ(0xfb, inb(e, 0x21));
	DEV_EXPECT_EQ(0xff, inb(e, 0xa1));
	kvmx_pic_set_irq(&e->pic, 8, 1);	/* RTC, masked on the slave */
	DEV_EXPECT(!e->intr, "masked on the slave");
	outb(e, 0xa1, 0xfe);
	DEV_EXPECT(e->intr, "slave IR0 through master IR2");
	DEV_EXPECT_EQ(0x70, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x0b);
	DEV_EXPECT_EQ(0x04, inb(e, 0x20));
	outb(e, 0xa0, 0x0b);
	DEV_EXPECT_EQ(0x01, inb(e, 0xa0));
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	DEV_EXPECT_EQ(2, e->nacked);
	DEV_EXPECT_EQ(8, e->acked[0]);
	DEV_EXPECT_EQ(2, e->acked[1]);
	/* master IR2 masked: the slave's request waits */
	kvmx_pic_set_irq(&e->pic, 8, 0);
	outb(e, 0x21, 0xff);
	kvmx_pic_set_irq(&e->pic, 8, 1);
	DEV_EXPECT(!e->intr, "cascade masked");
	outb(e, 0x21, 0xfb);
	DEV_EXPECT(e->intr, "cascade unmasked");
	DEV_EXPECT_EQ(0x70, kvmx_pic_intack(&e->pic));
}

DEVTEST(pic_fully_nested_priority)
{
	struct pt_env env, *e = &env;

	pt_init(e);
	linux_init(e);
	pulse(e, 5);
	pulse(e, 3);
	DEV_EXPECT_EQ(0x33, kvmx_pic_intack(&e->pic));
	DEV_EXPECT(!e->intr, "IRQ5 blocked by IRQ3 in service");
	pulse(e, 1);
	DEV_EXPECT(e->intr, "IRQ1 nests over IRQ3");
	DEV_EXPECT_EQ(0x31, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);	/* ends IRQ1, the highest in service */
	DEV_EXPECT_EQ(1, e->acked[0]);
	DEV_EXPECT(!e->intr, "IRQ3 still in service");
	outb(e, 0x20, 0x63);	/* specific EOI of IRQ3 */
	DEV_EXPECT_EQ(3, e->acked[1]);
	DEV_EXPECT(e->intr, "IRQ5 now");
	DEV_EXPECT_EQ(0x35, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x65);
	DEV_EXPECT(!e->intr, "nothing left");
}

DEVTEST(pic_auto_eoi)
{
	struct pt_env env, *e = &env;

	pt_init(e);
	outb(e, 0x20, 0x11);
	outb(e, 0x21, 0x20);
	outb(e, 0x21, 0x04);
	outb(e, 0x21, 0x03);	/* ICW4: AEOI */
	pulse(e, 4);
	DEV_EXPECT_EQ(0x24, kvmx_pic_intack(&e->pic));
	DEV_EXPECT_EQ(1, e->nacked);
	DEV_EXPECT_EQ(4, e->acked[0]);
	outb(e, 0x20, 0x0b);
	DEV_EXPECT_EQ(0, inb(e, 0x20));
	/* rotate in AEOI: the serviced level becomes the lowest */
	outb(e, 0x20, 0x80);
	pulse(e, 4);
	DEV_EXPECT_EQ(0x24, kvmx_pic_intack(&e->pic));
	pulse(e, 4);
	pulse(e, 6);
	DEV_EXPECT_EQ(0x26, kvmx_pic_intack(&e->pic));
	DEV_EXPECT_EQ(0x24, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x00);	/* rotate in AEOI off */
	pulse(e, 4);
	pulse(e, 6);
	/* priority_add stays 5 (after IRQ4): 5, 6, 7, 0.. 4 */
	DEV_EXPECT_EQ(0x26, kvmx_pic_intack(&e->pic));
	DEV_EXPECT_EQ(0x24, kvmx_pic_intack(&e->pic));
	/* ICW1 without IC4 clears AEOI */
	outb(e, 0x20, 0x10);
	outb(e, 0x21, 0x20);
	outb(e, 0x21, 0x04);
	outb(e, 0x21, 0x00);	/* OCW1 now: nothing masked */
	pulse(e, 4);
	DEV_EXPECT_EQ(0x24, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x0b);
	DEV_EXPECT_EQ(0x10, inb(e, 0x20));
}

DEVTEST(pic_rotation_and_set_priority)
{
	struct pt_env env, *e = &env;
	struct kvm_pic_state s;

	pt_init(e);
	linux_init(e);
	pulse(e, 0);
	DEV_EXPECT_EQ(0x30, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0xa0);	/* rotate on non-specific EOI */
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(1, s.priority_add);
	pulse(e, 0);
	pulse(e, 7);
	pulse(e, 1);
	DEV_EXPECT_EQ(0x31, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x61);
	DEV_EXPECT_EQ(0x37, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x67);
	DEV_EXPECT_EQ(0x30, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x60);
	/* set priority: IRQ4 lowest, so IRQ5 highest */
	outb(e, 0x20, 0xc4);
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(5, s.priority_add);
	pulse(e, 4);
	pulse(e, 5);
	pulse(e, 3);
	DEV_EXPECT_EQ(0x35, kvmx_pic_intack(&e->pic));
	/* rotate on specific EOI of 5: 6 highest, so 3 before 4 */
	outb(e, 0x20, 0xe5);
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(6, s.priority_add);
	DEV_EXPECT_EQ(0x33, kvmx_pic_intack(&e->pic));
	/* in rotated priority IRQ4 (lower than 3 now) stays blocked */
	DEV_EXPECT(!e->intr, "IRQ4 below IRQ3");
	outb(e, 0x20, 0x20);
	DEV_EXPECT_EQ(0x34, kvmx_pic_intack(&e->pic));
	/* OCW2 0x40 is a no-op */
	outb(e, 0x20, 0x40);
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0x10, s.isr);
}

DEVTEST(pic_poll_mode)
{
	struct pt_env env, *e = &env;
	struct kvm_pic_state s;

	pt_init(e);
	linux_init(e);
	outb(e, 0x20, 0x0c);	/* poll */
	DEV_EXPECT_EQ(0x07, inb(e, 0x20));	/* none: in-tree's 0x07 */
	pulse(e, 6);
	outb(e, 0x20, 0x0c);
	DEV_EXPECT_EQ(0x86, inb(e, 0x21));	/* either port */
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0x40, s.isr);
	DEV_EXPECT_EQ(0, s.poll);
	DEV_EXPECT_EQ(0x00, inb(e, 0x21));	/* IMR again */
	outb(e, 0x20, 0x66);
	/* polling the cascade: master says 2, then the slave its level */
	pulse(e, 13);
	outb(e, 0x20, 0x0c);
	DEV_EXPECT_EQ(0x82, inb(e, 0x20));
	outb(e, 0xa0, 0x0c);
	DEV_EXPECT_EQ(0x85, inb(e, 0xa0));
	kvmx_pic_get_state(&e->pic, 1, &s);
	DEV_EXPECT_EQ(0x20, s.isr);
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	/* a slave polled directly leaves no stale cascade request */
	pulse(e, 12);
	outb(e, 0xa0, 0x0c);
	DEV_EXPECT_EQ(0x84, inb(e, 0xa0));
	DEV_EXPECT(!e->intr, "no cascade request left");
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0, s.irr & 4);
}

DEVTEST(pic_special_mask_mode)
{
	struct pt_env env, *e = &env;

	pt_init(e);
	linux_init(e);
	pulse(e, 3);
	DEV_EXPECT_EQ(0x33, kvmx_pic_intack(&e->pic));
	pulse(e, 5);
	DEV_EXPECT(!e->intr, "IRQ5 blocked");
	outb(e, 0x21, 0x08);	/* mask IRQ3 */
	outb(e, 0x20, 0x68);	/* OCW3: set special mask */
	DEV_EXPECT(e->intr, "IRQ5 enabled below the masked level");
	DEV_EXPECT_EQ(0x35, kvmx_pic_intack(&e->pic));
	/* a non-specific EOI skips the masked IS bit */
	outb(e, 0x20, 0x20);
	DEV_EXPECT_EQ(5, e->acked[e->nacked - 1]);
	outb(e, 0x20, 0x0b);
	DEV_EXPECT_EQ(0x08, inb(e, 0x20));
	outb(e, 0x20, 0x48);	/* reset special mask */
	outb(e, 0x21, 0x00);
	pulse(e, 5);
	DEV_EXPECT(!e->intr, "fully nested again");
	outb(e, 0x20, 0x20);
	DEV_EXPECT_EQ(3, e->acked[e->nacked - 1]);
	DEV_EXPECT(e->intr, "IRQ5 after IRQ3");
}

DEVTEST(pic_special_fully_nested)
{
	struct pt_env env, *e = &env;
	int sfnm;

	for (sfnm = 0; sfnm < 2; sfnm++) {
		pt_init(e);
		linux_init(e);
		outb(e, 0x20, 0x11);
		outb(e, 0x21, 0x30);
		outb(e, 0x21, 0x04);
		outb(e, 0x21, sfnm ? 0x11 : 0x01);
		outb(e, 0x21, 0x00);
		pulse(e, 12);
		DEV_EXPECT_EQ(0x3c, kvmx_pic_intack(&e->pic));
		pulse(e, 9);	/* higher on the same slave */
		DEV_EXPECT_EQ(sfnm, e->intr);
		if (sfnm)
			DEV_EXPECT_EQ(0x39, kvmx_pic_intack(&e->pic));
		pulse(e, 3);	/* below the cascade: blocked either way */
		DEV_EXPECT_EQ(0, e->intr);
	}
}

DEVTEST(pic_spurious_7_and_15)
{
	struct pt_env env, *e = &env;
	struct kvm_pic_state s;

	pt_init(e);
	linux_init(e);
	/* nothing pending at all */
	DEV_EXPECT_EQ(0x37, kvmx_pic_intack(&e->pic));
	/* a level request that went away before INTA */
	outb(e, 0x4d0, 0x20);
	kvmx_pic_set_irq(&e->pic, 5, 1);
	DEV_EXPECT(e->intr, "level IRQ5");
	kvmx_pic_set_irq(&e->pic, 5, 0);
	DEV_EXPECT(!e->intr, "withdrawn");
	DEV_EXPECT_EQ(0x37, kvmx_pic_intack(&e->pic));
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0, s.isr);
	/* masked after INT rose */
	pulse(e, 6);
	outb(e, 0x21, 0x40);
	DEV_EXPECT_EQ(0x37, kvmx_pic_intack(&e->pic));
	outb(e, 0x21, 0x00);
	DEV_EXPECT_EQ(0x36, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);
	/* slave level request withdrawn: master IR2 was latched -> 15 */
	outb(e, 0x4d1, 0x08);
	kvmx_pic_set_irq(&e->pic, 11, 1);
	kvmx_pic_set_irq(&e->pic, 11, 0);
	DEV_EXPECT_EQ(0x3f, kvmx_pic_intack(&e->pic));
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0x04, s.isr);
	kvmx_pic_get_state(&e->pic, 1, &s);
	DEV_EXPECT_EQ(0x00, s.isr);
}

DEVTEST(pic_edge_and_level)
{
	struct pt_env env, *e = &env;

	pt_init(e);
	linux_init(e);
	/* edge: one request per rising edge, the high level is no request */
	DEV_EXPECT_EQ(1, kvmx_pic_set_irq(&e->pic, 4, 1));
	DEV_EXPECT_EQ(1, kvmx_pic_set_irq(&e->pic, 4, 1));	/* no edge */
	DEV_EXPECT_EQ(1, kvmx_pic_set_irq(&e->pic, 4, 0));
	/* a second edge while the first is still in IRR is coalesced */
	DEV_EXPECT_EQ(0, kvmx_pic_set_irq(&e->pic, 4, 1));
	DEV_EXPECT_EQ(0x34, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);
	kvmx_pic_set_irq(&e->pic, 4, 1);
	DEV_EXPECT(!e->intr, "no new edge");
	kvmx_pic_set_irq(&e->pic, 4, 0);
	DEV_EXPECT(!e->intr, "falling edge");
	kvmx_pic_set_irq(&e->pic, 4, 1);
	DEV_EXPECT(e->intr, "new edge");
	DEV_EXPECT_EQ(0x34, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);
	kvmx_pic_set_irq(&e->pic, 4, 0);
	/* a latched edge survives the line dropping before INTA */
	pulse(e, 4);
	DEV_EXPECT(e->intr, "latched");
	DEV_EXPECT_EQ(0x34, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);
	/* level: requests while high, again after EOI */
	outb(e, 0x4d1, 0x08);	/* IRQ11 level */
	DEV_EXPECT_EQ(0x08, inb(e, 0x4d1));
	kvmx_pic_set_irq(&e->pic, 11, 1);
	DEV_EXPECT_EQ(0x3b, kvmx_pic_intack(&e->pic));
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	DEV_EXPECT(e->intr, "still high");
	DEV_EXPECT_EQ(0x3b, kvmx_pic_intack(&e->pic));
	kvmx_pic_set_irq(&e->pic, 11, 0);
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	DEV_EXPECT(!e->intr, "dropped");
	/* switching an input that is high to level makes it request */
	kvmx_pic_set_irq(&e->pic, 10, 1);
	DEV_EXPECT_EQ(0x3a, kvmx_pic_intack(&e->pic));
	outb(e, 0xa0, 0x20);
	outb(e, 0x20, 0x20);
	DEV_EXPECT(!e->intr, "edge done");
	outb(e, 0x4d1, 0x0c);
	DEV_EXPECT(e->intr, "level now");
	/* return values: masked -1, coalesced 0, new 1, bad irq */
	outb(e, 0x21, 0x80);
	DEV_EXPECT_EQ(-1, kvmx_pic_set_irq(&e->pic, 7, 1));
	DEV_EXPECT_EQ(-EINVAL, kvmx_pic_set_irq(&e->pic, 16, 1));
}

DEVTEST(pic_elcr_masks)
{
	struct pt_env env, *e = &env;

	pt_init(e);
	outb(e, 0x4d0, 0xff);
	outb(e, 0x4d1, 0xff);
	DEV_EXPECT_EQ(0xf8, inb(e, 0x4d0));
	DEV_EXPECT_EQ(0xde, inb(e, 0x4d1));
	/* IRQ0 cannot be level: it stays an edge input */
	outb(e, 0x21, 0);
	kvmx_pic_set_irq(&e->pic, 0, 1);
	DEV_EXPECT_EQ(0x00, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);
	DEV_EXPECT(!e->intr, "IRQ0 edge");
}

DEVTEST(pic_int_callback_on_change_only)
{
	struct pt_env env, *e = &env;

	pt_init(e);
	linux_init(e);
	e->int_calls = 0;
	pulse(e, 3);
	DEV_EXPECT_EQ(1, e->int_calls);
	pulse(e, 4);		/* INT already high */
	DEV_EXPECT_EQ(1, e->int_calls);
	kvmx_pic_intack(&e->pic);
	DEV_EXPECT_EQ(2, e->int_calls);
	pulse(e, 1);
	DEV_EXPECT_EQ(3, e->int_calls);
	DEV_EXPECT(kvmx_pic_output(&e->pic), "output high");
}

DEVTEST(pic_icw1_resets)
{
	struct pt_env env, *e = &env;
	struct kvm_pic_state s;

	pt_init(e);
	linux_init(e);
	outb(e, 0x4d0, 0x08);	/* IRQ3 level */
	outb(e, 0x21, 0xf0);
	kvmx_pic_set_irq(&e->pic, 3, 1);
	pulse(e, 1);
	outb(e, 0x20, 0x6a);	/* special mask on, read ISR */
	e->nacked = 0;
	e->mask_calls = 0;
	outb(e, 0x20, 0x11);
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0x08, s.irr);	/* the level request stays */
	DEV_EXPECT_EQ(0, s.imr);
	DEV_EXPECT_EQ(0, s.special_mask);
	DEV_EXPECT_EQ(0, s.read_reg_select);
	DEV_EXPECT_EQ(1, s.init_state);
	DEV_EXPECT_EQ(1, e->nacked);	/* the dropped IRQ1 edge */
	DEV_EXPECT_EQ(1, e->acked[0]);
	DEV_EXPECT_EQ(4, e->mask_calls);
	/* single mode: no ICW3 */
	outb(e, 0x20, 0x13);
	outb(e, 0x21, 0x40);
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(3, s.init_state);
	outb(e, 0x21, 0x01);
	kvmx_pic_get_state(&e->pic, 0, &s);
	DEV_EXPECT_EQ(0, s.init_state);
	/* in single mode IR2 is an ordinary input */
	kvmx_pic_set_irq(&e->pic, 3, 0);
	outb(e, 0x21, 0xfb);
	kvmx_pic_set_irq(&e->pic, 2, 1);
	DEV_EXPECT_EQ(0x42, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);
	kvmx_pic_set_irq(&e->pic, 2, 0);
	/* LTIM is ignored: the ELCR decides */
	outb(e, 0x4d0, 0x00);
	outb(e, 0x20, 0x19);
	outb(e, 0x21, 0x30);
	outb(e, 0x21, 0x04);
	outb(e, 0x21, 0x01);
	kvmx_pic_set_irq(&e->pic, 5, 1);
	DEV_EXPECT_EQ(0x35, kvmx_pic_intack(&e->pic));
	outb(e, 0x20, 0x20);
	DEV_EXPECT(!e->intr, "IRQ5 still edge");
}

static u32 rng_state = 1;

static u32 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void random_state(struct kvm_pic_state *s, u8 mask)
{
	s->last_irr = rnd();
	s->irr = rnd();
	s->imr = rnd();
	s->isr = rnd();
	s->priority_add = rnd() & 7;
	s->irq_base = rnd() & 0xf8;
	s->read_reg_select = rnd() & 1;
	s->poll = rnd() & 1;
	s->special_mask = rnd() & 1;
	s->init_state = rnd() & 3;
	s->auto_eoi = rnd() & 1;
	s->rotate_on_auto_eoi = rnd() & 1;
	s->special_fully_nested_mode = rnd() & 1;
	s->init4 = rnd() & 1;
	s->elcr_mask = mask;
	s->elcr = rnd() & mask;
}

DEVTEST(pic_state_round_trip)
{
	struct pt_env env, *e = &env;
	struct kvm_pic_state a, b, c;
	unsigned int i, chip;

	pt_init(e);
	for (i = 0; i < 2000; i++) {
		chip = i & 1;
		random_state(&a, chip ? 0xde : 0xf8);
		/* the cascade line level is the model's own business */
		DEV_EXPECT_EQ(0, kvmx_pic_set_state(&e->pic, chip, &a));
		kvmx_pic_get_state(&e->pic, chip, &b);
		DEV_EXPECT_EQ(0, kvmx_pic_set_state(&e->pic, chip, &b));
		kvmx_pic_get_state(&e->pic, chip, &c);
		DEV_EXPECT(!memcmp(&b, &c, sizeof(b)), "round trip %u", i);
		if (chip)
			DEV_EXPECT(!memcmp(&a, &b, sizeof(a)), "slave %u", i);
	}
	/* what in-tree KVM cannot produce is refused, state unchanged */
	random_state(&a, 0xf8);
	kvmx_pic_set_state(&e->pic, 0, &a);
	kvmx_pic_get_state(&e->pic, 0, &a);
	b = a;
	b.init_state = 4;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pic_set_state(&e->pic, 0, &b));
	b = a;
	b.irq_base = 0x31;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pic_set_state(&e->pic, 0, &b));
	b = a;
	b.priority_add = 8;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pic_set_state(&e->pic, 0, &b));
	b = a;
	b.auto_eoi = 2;
	DEV_EXPECT_EQ(-EINVAL, kvmx_pic_set_state(&e->pic, 0, &b));
	DEV_EXPECT_EQ(-EINVAL, kvmx_pic_set_state(&e->pic, 2, &a));
	kvmx_pic_get_state(&e->pic, 0, &c);
	DEV_EXPECT(!memcmp(&a, &c, sizeof(a)), "unchanged");
	/* ELCR bits the PC does not have are dropped */
	b = a;
	b.elcr_mask = 0xff;
	b.elcr = 0xff;
	DEV_EXPECT_EQ(0, kvmx_pic_set_state(&e->pic, 0, &b));
	kvmx_pic_get_state(&e->pic, 0, &c);
	DEV_EXPECT_EQ(0xf8, c.elcr_mask);
	DEV_EXPECT_EQ(0xf8, c.elcr);
	/* garbage of every kind: accepted or refused, never a crash */
	for (i = 0; i < 5000; i++) {
		u8 *p = (u8 *)&a;
		unsigned int j;

		for (j = 0; j < sizeof(a); j++)
			p[j] = rnd() % 5 ? rnd() & 1 : rnd();
		kvmx_pic_set_state(&e->pic, rnd() % 3, &a);
		kvmx_pic_intack(&e->pic);
	}
}

/* The last INT reported equals what the registers say now. */
static bool output_consistent(struct pt_env *e)
{
	return e->intr == kvmx_pic_output(&e->pic);
}

DEVTEST(pic_fuzz)
{
	static const u16 ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	struct pt_env env, *e = &env;
	struct kvm_pic_state s;
	unsigned int i, bad = 0;

	pt_init(e);
	linux_init(e);
	for (i = 0; i < 200000; i++) {
		u16 port = ports[rnd() % 6];
		int v;

		switch (rnd() % 6) {
		case 0:
			outb(e, port, rnd());
			break;
		case 1:
			inb(e, port);
			break;
		case 2:
		case 3:
			kvmx_pic_set_irq(&e->pic, rnd() % 17, rnd() & 1);
			break;
		case 4:
			v = kvmx_pic_intack(&e->pic);
			if (v < 0 || v > 255)
				bad++;
			break;
		default:
			outb(e, (rnd() & 1) ? 0x20 : 0xa0, 0x20);
			break;
		}
		if (!output_consistent(e))
			bad++;
		kvmx_pic_get_state(&e->pic, rnd() & 1, &s);
		if (s.init_state > 3 || s.priority_add > 7 || (s.irq_base & 7) ||
		    (s.elcr & ~s.elcr_mask))
			bad++;
	}
	DEV_EXPECT_EQ(0, bad);
}
