// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fake guest behind the emulator's callbacks in the unit tests: flat
 * memory, a code window, an MMIO range and I/O ports following the exit
 * protocol of Documentation/emulator.rst.
 */
#include <string.h>
#include "unit.h"

#define PF_W	2
#define PF_U	4
#define PF_I	16

static bool in_range(u64 base, size_t size, u64 a, unsigned int len)
{
	return a >= base && a - base <= size && size - (a - base) >= len;
}

static bool in_mmio(struct fake_guest *g, u64 a, unsigned int len)
{
	return g->mmio_size && a < g->mmio_base + g->mmio_size &&
	       a + len > g->mmio_base;
}

static int fake_fetch(struct kvmx_emu_ctxt *c, u64 a, void *buf,
		      unsigned int len)
{
	struct fake_guest *g = c->opaque;

	g->fetches++;
	g->last_fetch = a;
	g->last_fetch_len = len;
	/* The emulator promises never to fetch across a page. */
	if ((a & 4095) + len > 4096)
		return KVMX_EMU_UNHANDLED;
	if (in_range(g->code_base, g->code_size, a, len)) {
		memcpy(buf, g->code + (a - g->code_base), len);
		return KVMX_EMU_OK;
	}
	if (in_range(g->base, g->size, a, len)) {
		memcpy(buf, g->mem + (a - g->base), len);
		return KVMX_EMU_OK;
	}
	return kvmx_emu_set_pf(c, a, PF_U | PF_I);
}

static int fake_mmio(struct fake_guest *g, u64 a, void *buf,
		     unsigned int len, bool write)
{
	if (g->pending)
		return KVMX_EMU_USER;
	if (write) {
		g->pending = true;
		g->pending_write = true;
		g->pending_addr = a;
		g->pending_len = len;
		memcpy(g->pending_data, buf, len);
		g->mmio_writes++;
		return KVMX_EMU_OK;
	}
	if (g->have_data && g->pending_addr == a && g->pending_len == len) {
		memcpy(buf, g->pending_data, len);
		g->have_data = false;
		return KVMX_EMU_OK;
	}
	g->pending = true;
	g->pending_write = false;
	g->pending_addr = a;
	g->pending_len = len;
	g->mmio_reads++;
	return KVMX_EMU_USER;
}

static int fake_read(struct kvmx_emu_ctxt *c, u64 a, void *buf,
		     unsigned int len)
{
	struct fake_guest *g = c->opaque;

	g->reads++;
	g->last_read = a;
	if (in_mmio(g, a, len)) {
		c->device_access = true;
		return fake_mmio(g, a, buf, len, false);
	}
	if (in_range(g->base, g->size, a, len)) {
		memcpy(buf, g->mem + (a - g->base), len);
		return KVMX_EMU_OK;
	}
	return kvmx_emu_set_pf(c, a, PF_U);
}

static int fake_write(struct kvmx_emu_ctxt *c, u64 a, const void *buf,
		      unsigned int len)
{
	struct fake_guest *g = c->opaque;

	g->writes++;
	g->last_write = a;
	if (in_mmio(g, a, len)) {
		c->device_access = true;
		return fake_mmio(g, a, (void *)buf, len, true);
	}
	if (in_range(g->base, g->size, a, len)) {
		memcpy(g->mem + (a - g->base), buf, len);
		return KVMX_EMU_OK;
	}
	return kvmx_emu_set_pf(c, a, PF_U | PF_W);
}

static int fake_cmpxchg(struct kvmx_emu_ctxt *c, u64 a, void *old,
			const void *new, unsigned int len)
{
	struct fake_guest *g = c->opaque;
	u8 cur[16];

	if (len > sizeof(cur))
		return KVMX_EMU_UNHANDLED;
	if (in_mmio(g, a, len))
		return KVMX_EMU_UNHANDLED;
	if (!in_range(g->base, g->size, a, len))
		return kvmx_emu_set_pf(c, a, PF_U | PF_W);
	if (g->cmpxchg_races) {
		g->cmpxchg_races--;
		g->mem[a - g->base] ^= 1;
	}
	g->reads++;
	memcpy(cur, g->mem + (a - g->base), len);
	if (!memcmp(cur, old, len)) {
		memcpy(g->mem + (a - g->base), new, len);
		g->writes++;
	}
	memcpy(old, cur, len);
	return KVMX_EMU_OK;
}

/* The contract of emulate.h: XMM (16) or YMM (32) of registers 0-15. */
static bool vreg_ok(struct fake_guest *g, unsigned int reg,
		    unsigned int bytes)
{
	if (reg < 16 && (bytes == 16 || bytes == 32))
		return true;
	g->vreg_bad++;
	return false;
}

static int fake_get_vreg(struct kvmx_emu_ctxt *c, unsigned int reg,
			 void *buf, unsigned int bytes)
{
	struct fake_guest *g = c->opaque;

	if (!vreg_ok(g, reg, bytes))
		return KVMX_EMU_UNHANDLED;
	g->vreg_reads++;
	memcpy(buf, g->vregs[reg], bytes);
	return KVMX_EMU_OK;
}

/* 16 bytes keep bits 255:128, 32 write the whole YMM. */
static int fake_set_vreg(struct kvmx_emu_ctxt *c, unsigned int reg,
			 const void *buf, unsigned int bytes)
{
	struct fake_guest *g = c->opaque;

	if (!vreg_ok(g, reg, bytes))
		return KVMX_EMU_UNHANDLED;
	g->vreg_writes++;
	memcpy(g->vregs[reg], buf, bytes);
	return KVMX_EMU_OK;
}

const struct kvmx_emu_ops fake_ops_vec = {
	.fetch = fake_fetch,
	.read = fake_read,
	.write = fake_write,
	.cmpxchg = fake_cmpxchg,
	.get_vreg = fake_get_vreg,
	.set_vreg = fake_set_vreg,
};

/* emulate.h: 1, 2 or 4 bytes, a count of them within 64 bytes. */
static bool pio_ok(struct fake_guest *g, unsigned int size,
		   unsigned int count)
{
	if ((size == 1 || size == 2 || size == 4) && count &&
	    size * count <= 64)
		return true;
	g->pio_bad++;
	return false;
}

static int fake_pio_in(struct kvmx_emu_ctxt *c, u16 port, void *buf,
		       unsigned int size, unsigned int count)
{
	struct fake_guest *g = c->opaque;
	unsigned int i, len = size * count;

	if (!pio_ok(g, size, count))
		return KVMX_EMU_UNHANDLED;
	g->pio_ins++;
	if (!g->pio_exits) {
		for (i = 0; i < len; i++)
			((u8 *)buf)[i] = g->pio_next++;
		g->pio_port = port;
		g->pio_size = size;
		g->pio_count = count;
		return KVMX_EMU_OK;
	}
	if (g->pio_pending)
		return KVMX_EMU_USER;
	if (g->pio_have_data && g->pio_port == port && g->pio_size == size &&
	    g->pio_count == count) {
		memcpy(buf, g->pio_data, len);
		g->pio_have_data = false;
		return KVMX_EMU_OK;
	}
	g->pio_pending = true;
	g->pio_have_data = false;
	g->pio_port = port;
	g->pio_size = size;
	g->pio_count = count;
	return KVMX_EMU_USER;
}

static int fake_pio_out(struct kvmx_emu_ctxt *c, u16 port, const void *buf,
			unsigned int size, unsigned int count)
{
	struct fake_guest *g = c->opaque;
	unsigned int len = size * count;

	if (!pio_ok(g, size, count))
		return KVMX_EMU_UNHANDLED;
	g->pio_outs++;
	if (g->pio_exits && g->pio_pending)
		return KVMX_EMU_USER;
	g->pio_pending = g->pio_exits;
	g->pio_port = port;
	g->pio_size = size;
	g->pio_count = count;
	memcpy(g->pio_data, buf, len);
	if (g->pio_log_len + len <= sizeof(g->pio_log)) {
		memcpy(g->pio_log + g->pio_log_len, buf, len);
		g->pio_log_len += len;
	}
	return KVMX_EMU_OK;
}

const struct kvmx_emu_ops fake_ops = {
	.fetch = fake_fetch,
	.read = fake_read,
	.write = fake_write,
	.cmpxchg = fake_cmpxchg,
	.pio_in = fake_pio_in,
	.pio_out = fake_pio_out,
};

const struct kvmx_emu_ops fake_ops_nocmpxchg = {
	.fetch = fake_fetch,
	.read = fake_read,
	.write = fake_write,
	.pio_in = fake_pio_in,
	.pio_out = fake_pio_out,
};

void fake_seg(struct kvmx_emu_seg *s, u64 base, u32 limit, u8 type, u8 db)
{
	memset(s, 0, sizeof(*s));
	s->base = base;
	s->limit = limit;
	s->type = type;
	s->s = 1;
	s->present = 1;
	s->db = db;
	s->g = limit > 0xfffff;
	s->dpl = 3;
}

void fake_ctxt64(struct kvmx_emu_ctxt *c, struct fake_guest *g)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < KVMX_EMU_NR_SREGS; i++)
		fake_seg(&c->seg[i], 0, 0xffffffff, 3, 1);
	fake_seg(&c->seg[KVMX_EMU_CS], 0, 0xffffffff, 0xb, 0);
	c->seg[KVMX_EMU_CS].l = 1;
	c->mode = KVMX_EMU_MODE_LONG64;
	c->cpl = 3;
	c->cr0 = 0x80050033ULL;		/* PG, AM, WP, NE, ET, MP, PE */
	c->cr4 = 0;
	c->efer = 0xd01;		/* LMA, LME, NXE, SCE */
	c->rflags = 2;
	c->ops = g->no_cmpxchg ? &fake_ops_nocmpxchg : &fake_ops;
	c->opaque = g;
}
