// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer (and AFL++) harnesses for the emulator's pure parts, built
 * by the unit Makefile with clang -fsanitize=fuzzer,address,undefined:
 *
 *  libfuzz         kvmx_emulate(): the input is the mode, control
 *                  registers, flags, GPRs, segments, rIP, prefetched
 *                  bytes, replay state, the instruction bytes, a script of
 *                  what each callback does (succeed, #PF, #GP, ask
 *                  userspace, lose a LOCK race) and the memory behind every
 *                  address.  An instruction that asks userspace runs again
 *                  with its replay state, as the kernel's MMIO path does.
 *  libfuzz-paging  kvmx_paging_walk() (-DLIBFUZZ_PAGING): the registers,
 *                  the access and 8 pages of guest-physical memory.
 *
 * Anything the sanitizers catch is a crash; so is a broken contract
 * (abort()): a result outside the enum, insn_len above 15, a loop of
 * accesses, a fetch across a page, oversized accesses, rIP moving without
 * success, an exception vector the emulator never raises; for the walker
 * a read outside its memory, more reads than five levels times the
 * retries, or an error code that does not describe the access.  Missing
 * input bytes read as zero, so every input is valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "paging.h"

/* The input, consumed front to back; zeros once it runs out. */
struct lf_in {
	const u8 *p;
	size_t n;
};

static u64 take(struct lf_in *in, unsigned int bytes)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < bytes && in->n; i++, in->n--)
		v |= (u64)*in->p++ << (8 * i);
	return v;
}

static void lf_bug(const char *why)
{
	fprintf(stderr, "libfuzz: %s\n", why);
	abort();
}

#ifndef LIBFUZZ_PAGING

#define LF_MEM		4096
#define LF_MAX_ACCESSES	(3 * 1024 + 64)
#define LF_RUNS		4	/* runs of one instruction across exits */

struct lf_env {
	u8 code[16];
	u64 rip;		/* where code[] is */
	u8 mem[LF_MEM];		/* behind every other address, wrapped */
	u8 vregs[16][32];
	const u8 *script;	/* one byte per callback: what it does */
	size_t script_len, script_pos;
	unsigned int accesses;
};

enum { LF_OK, LF_PF, LF_GP, LF_USER, LF_RACE };

static int lf_step(struct kvmx_emu_ctxt *c, u64 a, bool *race)
{
	struct lf_env *e = c->opaque;
	u8 b;

	if (++e->accesses > LF_MAX_ACCESSES)
		lf_bug("too many accesses (a loop?)");
	if (!e->script_len)
		return KVMX_EMU_OK;
	b = e->script[e->script_pos++ % e->script_len];
	switch (b >> 5) {
	case 4:
		return kvmx_emu_set_pf(c, a, b & 0x1f);
	case 5:
		return kvmx_emu_set_exception(c, KVMX_EMU_VEC_GP, true, 0);
	case 6:
		return KVMX_EMU_USER;
	case 7:
		if (race)
			*race = true;
		return KVMX_EMU_OK;
	default:
		return KVMX_EMU_OK;
	}
}

static void lf_copy_out(struct lf_env *e, u64 a, void *buf, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		((u8 *)buf)[i] = e->mem[(a + i) % LF_MEM];
}

static void lf_copy_in(struct lf_env *e, u64 a, const void *buf,
		       unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		e->mem[(a + i) % LF_MEM] = ((const u8 *)buf)[i];
}

static int lf_fetch(struct kvmx_emu_ctxt *c, u64 a, void *buf,
		    unsigned int len)
{
	struct lf_env *e = c->opaque;
	unsigned int i;
	int r;

	/* emulate.h: never across a page, never more than an instruction */
	if (!len || len > KVMX_EMU_MAX_INSN || (a & 4095) + len > 4096)
		lf_bug("fetch breaks the contract");
	r = lf_step(c, a, NULL);
	if (r != KVMX_EMU_OK)
		return r;
	for (i = 0; i < len; i++) {
		u64 off = a + i - e->rip;

		((u8 *)buf)[i] = off < sizeof(e->code) ? e->code[off] :
				 e->mem[(a + i) % LF_MEM];
	}
	return KVMX_EMU_OK;
}

static int lf_read(struct kvmx_emu_ctxt *c, u64 a, void *buf,
		   unsigned int len)
{
	int r;

	if (!len || len > 64)
		lf_bug("read size");
	r = lf_step(c, a, NULL);
	if (r == KVMX_EMU_OK)
		lf_copy_out(c->opaque, a, buf, len);
	return r;
}

static int lf_write(struct kvmx_emu_ctxt *c, u64 a, const void *buf,
		    unsigned int len)
{
	int r;

	if (!len || len > 64)
		lf_bug("write size");
	r = lf_step(c, a, NULL);
	if (r == KVMX_EMU_OK)
		lf_copy_in(c->opaque, a, buf, len);
	return r;
}

static int lf_cmpxchg(struct kvmx_emu_ctxt *c, u64 a, void *old,
		      const void *new, unsigned int len)
{
	bool race = false;
	u8 cur[16];
	int r;

	if (!len || len > sizeof(cur))
		lf_bug("cmpxchg size");
	r = lf_step(c, a, &race);
	if (r != KVMX_EMU_OK)
		return r;
	lf_copy_out(c->opaque, a, cur, len);
	/* a race: another CPU changed memory before our exchange */
	if (race)
		cur[0] ^= 1;
	else if (!memcmp(cur, old, len))
		lf_copy_in(c->opaque, a, new, len);
	memcpy(old, cur, len);
	return KVMX_EMU_OK;
}

static void lf_pio_check(unsigned int size, unsigned int count)
{
	if ((size != 1 && size != 2 && size != 4) || !count ||
	    size * count > 64)
		lf_bug("port I/O breaks the contract");
}

static int lf_pio_in(struct kvmx_emu_ctxt *c, u16 port, void *buf,
		     unsigned int size, unsigned int count)
{
	int r;

	lf_pio_check(size, count);
	r = lf_step(c, port, NULL);
	if (r == KVMX_EMU_OK)
		lf_copy_out(c->opaque, port, buf, size * count);
	return r;
}

static int lf_pio_out(struct kvmx_emu_ctxt *c, u16 port, const void *buf,
		      unsigned int size, unsigned int count)
{
	lf_pio_check(size, count);
	return lf_step(c, port, NULL);
}

static int lf_get_vreg(struct kvmx_emu_ctxt *c, unsigned int reg, void *buf,
		       unsigned int bytes)
{
	struct lf_env *e = c->opaque;

	if (reg >= 16 || (bytes != 16 && bytes != 32))
		lf_bug("get_vreg breaks the contract");
	memcpy(buf, e->vregs[reg], bytes);
	return KVMX_EMU_OK;
}

static int lf_set_vreg(struct kvmx_emu_ctxt *c, unsigned int reg,
		       const void *buf, unsigned int bytes)
{
	struct lf_env *e = c->opaque;

	if (reg >= 16 || (bytes != 16 && bytes != 32))
		lf_bug("set_vreg breaks the contract");
	memcpy(e->vregs[reg], buf, bytes);
	return KVMX_EMU_OK;
}

/* Bit 0: no cmpxchg; bit 1: no vector registers; bit 2: no port I/O. */
static const struct kvmx_emu_ops lf_ops[8] = {
#define LF_OPS(i) [i] = {						\
	.fetch = lf_fetch, .read = lf_read, .write = lf_write,		\
	.cmpxchg = (i) & 1 ? NULL : lf_cmpxchg,				\
	.get_vreg = (i) & 2 ? NULL : lf_get_vreg,			\
	.set_vreg = (i) & 2 ? NULL : lf_set_vreg,			\
	.pio_in = (i) & 4 ? NULL : lf_pio_in,				\
	.pio_out = (i) & 4 ? NULL : lf_pio_out }
	LF_OPS(0), LF_OPS(1), LF_OPS(2), LF_OPS(3),
	LF_OPS(4), LF_OPS(5), LF_OPS(6), LF_OPS(7),
#undef LF_OPS
};

/* A register value: small, any, just below 2^64, or 16-bit. */
static u64 lf_value(struct lf_in *in)
{
	u8 sel = take(in, 1);

	switch (sel & 3) {
	case 0:
		return sel >> 2;
	case 1:
		return take(in, 8);
	case 2:
		return (u64)-1 - (sel >> 2);
	default:
		return take(in, 2);
	}
}

static void lf_seg(struct lf_in *in, struct kvmx_emu_seg *s, bool code,
		   u8 db, u8 cpl)
{
	u8 a = take(in, 1);

	memset(s, 0, sizeof(*s));
	s->s = 1;
	s->present = 1;
	if (!(a & 1)) {		/* flat, as most guests have it */
		s->limit = 0xffffffff;
		s->g = 1;
		s->type = code ? 0xb : 0x3;
		s->db = db;
		s->dpl = cpl;
		return;
	}
	s->base = a & 2 ? take(in, 8) : take(in, 4);
	s->limit = a & 4 ? 0xffffffff : take(in, 4);
	s->type = take(in, 1);
	s->dpl = s->type >> 4;
	s->type &= 15;
	s->s = !(a & 8);
	s->present = !(a & 16);
	s->unusable = !!(a & 32);
	s->db = (a >> 6) & 1;
	s->g = a >> 7;
}

static void lf_ctxt(struct lf_in *in, struct lf_env *e,
		    struct kvmx_emu_ctxt *c)
{
	u8 b0 = take(in, 1), b1 = take(in, 1), sel, db;
	unsigned int i;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->mode = b0 % (KVMX_EMU_MODE_LONG64 + 1);
	c->cpl = (b0 >> 3) & 3;
	c->ops = &lf_ops[b0 >> 5];
	c->opaque = e;
	/* PE, ET, PG; AM, EM, TS, WP from the input */
	c->cr0 = 0x80000011ULL | (b1 & 1 ? 1ULL << 18 : 0) |
		 (b1 & 2 ? 1ULL << 2 : 0) | (b1 & 4 ? 1ULL << 3 : 0) |
		 (b1 & 8 ? 1ULL << 16 : 0);
	c->cr4 = (b1 & 16 ? 1ULL << 12 : 0) | (b1 & 32 ? 1ULL << 9 : 0) |
		 (b1 & 64 ? 1ULL << 18 : 0);
	c->efer = b1 & 128 ? 0 : 0xd01;
	c->xcr0 = take(in, 1) & 7;
	c->rflags = (take(in, 3) & 0x3f7fd5) | 2;
	c->insn_len = take(in, 1) % (KVMX_EMU_MAX_INSN + 2);
	sel = take(in, 1);
	c->replay_len = sel & 0x80 ? (sel & 0x7f) % 81 : 0;
	for (i = 0; i < KVMX_EMU_NR_REGS; i++)
		c->regs[i] = lf_value(in);

	sel = take(in, 1);
	switch (sel & 3) {
	case 0:			/* the end of a page: fetches split */
		c->rip = 4096 - (sel >> 4);
		break;
	case 1:
		c->rip = take(in, 8);
		break;
	case 2:
		c->rip = take(in, 4);
		break;
	default:		/* canonical */
		c->rip = (u64)((s64)(take(in, 6) << 16) >> 16);
		break;
	}
	if (c->mode != KVMX_EMU_MODE_LONG64)
		c->rip = (u32)c->rip;
	db = c->mode == KVMX_EMU_MODE_PROT32 ||
	     c->mode == KVMX_EMU_MODE_COMPAT32;
	for (i = 0; i < KVMX_EMU_NR_SREGS; i++)
		lf_seg(in, &c->seg[i], i == KVMX_EMU_CS, db, c->cpl);
	c->seg[KVMX_EMU_CS].l = c->mode == KVMX_EMU_MODE_LONG64;

	e->rip = c->rip;
	for (i = 0; i < sizeof(e->code); i++)
		e->code[i] = take(in, 1);
	memcpy(c->insn_bytes, e->code, sizeof(c->insn_bytes));

	e->script_len = take(in, 1) % 33;
	if (e->script_len > in->n)
		e->script_len = in->n;
	e->script = in->p;
	e->script_pos = 0;
	in->p += e->script_len;
	in->n -= e->script_len;

	memset(e->mem, 0, sizeof(e->mem));
	n = in->n < sizeof(e->mem) ? in->n : sizeof(e->mem);
	memcpy(e->mem, in->p, n);
	memcpy(c->replay, e->mem, sizeof(c->replay));
	memcpy(e->vregs, e->mem + 64, sizeof(e->vregs));
}

static int lf_emulate(const u8 *data, size_t size)
{
	static struct lf_env e;
	struct lf_in in = { data, size };
	struct kvmx_emu_ctxt c;
	unsigned int run;

	lf_ctxt(&in, &e, &c);
	for (run = 0; run < LF_RUNS; run++) {
		u64 rip0 = c.rip;
		int r;

		e.accesses = 0;
		r = kvmx_emulate(&c);
		if (c.insn_len > KVMX_EMU_MAX_INSN)
			lf_bug("insn_len above 15");
		switch (r) {
		case KVMX_EMU_OK:
			return 0;
		case KVMX_EMU_EXCEPTION:
			if (!emu_vector_expected(c.exception.vector))
				lf_bug("unexpected vector");
			fallthrough;
		case KVMX_EMU_USER:
		case KVMX_EMU_UNHANDLED:
		case KVMX_EMU_RETRY:
			if (c.rip != rip0)
				lf_bug("rip moved without success");
			break;
		default:
			lf_bug("invalid result");
		}
		if (r != KVMX_EMU_USER)
			return 0;
		/* the VMM answered: the same instruction again, as mmio.c */
		c.insn_len = 0;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	return lf_emulate(data, size);
}

#else /* LIBFUZZ_PAGING */

#define LP_PAGES	8
#define LP_SIZE		(LP_PAGES * 4096)
#define LP_TRIES	4	/* the walker's retries (paging.c) */

struct lp_env {
	u8 mem[LP_SIZE];
	const u8 *races;	/* per cmpxchg: lose the race if odd */
	size_t nraces, pos;
	unsigned int reads, cmpxchgs;
};

static int lp_read(void *o, u64 gpa, u64 *pte, unsigned int size)
{
	struct lp_env *e = o;

	if (size != 4 && size != 8)
		lf_bug("PTE size");
	if (gpa % size)
		lf_bug("misaligned PTE");
	if (++e->reads > 5 * LP_TRIES)
		lf_bug("too many PTE reads (a loop?)");
	if (gpa >= LP_SIZE)
		return -1;
	*pte = 0;
	memcpy(pte, e->mem + gpa, size);
	return 0;
}

static int lp_cmpxchg(void *o, u64 gpa, u64 old, u64 new, unsigned int size)
{
	struct lp_env *e = o;
	u64 cur = 0;

	if ((size != 4 && size != 8) || gpa % size)
		lf_bug("cmpxchg size");
	if (++e->cmpxchgs > 5 * LP_TRIES)
		lf_bug("too many cmpxchgs");
	if (gpa >= LP_SIZE)
		lf_bug("cmpxchg of an entry never read");
	memcpy(&cur, e->mem + gpa, size);
	if (e->nraces && (e->races[e->pos++ % e->nraces] & 1)) {
		cur ^= 1ULL << 9;
		memcpy(e->mem + gpa, &cur, size);
		return 1;
	}
	if (cur != old)
		return 1;
	if ((new & ~old) & ~0x60ULL)
		lf_bug("cmpxchg sets more than A and D");
	memcpy(e->mem + gpa, &new, size);
	return 0;
}

static const struct kvmx_paging_ops lp_ops = {
	.read_pte = lp_read,
	.cmpxchg_pte = lp_cmpxchg,
};

static int lf_paging(const u8 *data, size_t size)
{
	static struct lp_env e;
	struct lf_in in = { data, size };
	struct kvmx_paging p = { .ops = &lp_ops, .opaque = &e };
	u32 access, error = 0, allowed;
	u64 la, gpa = 0;
	unsigned int i;
	size_t n;
	int r;

	p.cr0 = take(&in, 4);
	p.cr3 = take(&in, 8);
	p.cr4 = take(&in, 4);
	p.efer = take(&in, 2);
	for (i = 0; i < 4; i++)
		p.pdptes[i] = take(&in, 8);
	i = take(&in, 1);
	p.ac = i & 1;
	p.cpl = (i >> 1) & 3;
	p.no_gbpages = (i >> 3) & 1;
	p.maxphyaddr = take(&in, 1);
	p.pkru = take(&in, 4);
	access = take(&in, 4);
	la = take(&in, 8);
	e.nraces = take(&in, 1) % 9;
	if (e.nraces > in.n)
		e.nraces = in.n;
	e.races = in.p;
	e.pos = 0;
	in.p += e.nraces;
	in.n -= e.nraces;
	memset(e.mem, 0, sizeof(e.mem));
	n = in.n < sizeof(e.mem) ? in.n : sizeof(e.mem);
	memcpy(e.mem, in.p, n);
	e.reads = e.cmpxchgs = 0;

	r = kvmx_paging_walk(&p, la, access, &gpa, &error);
	switch (r) {
	case KVMX_PG_OK:
		if ((gpa & 0xfff) != (la & 0xfff))
			lf_bug("page offset lost");
		break;
	case KVMX_PG_FAULT:
		allowed = KVMX_PG_P | KVMX_PG_W | KVMX_PG_U | KVMX_PG_RSVD |
			  KVMX_PG_I | KVMX_PG_PK;
		if (error & ~allowed)
			lf_bug("unknown error code bits");
		if ((error & (KVMX_PG_RSVD | KVMX_PG_PK)) &&
		    !(error & KVMX_PG_P))
			lf_bug("RSVD or PK without P");
		if ((error & KVMX_PG_RSVD) && (error & KVMX_PG_PK))
			lf_bug("RSVD and PK");
		if (!!(error & KVMX_PG_W) != !!(access & KVMX_PG_W))
			lf_bug("W/R does not match the access");
		if ((error & KVMX_PG_U) && ((access & KVMX_PG_IMPLICIT) ||
					    !(access & KVMX_PG_U)))
			lf_bug("U/S does not match the access");
		if ((error & KVMX_PG_I) && !(access & KVMX_PG_I))
			lf_bug("I/D without a fetch");
		break;
	case KVMX_PG_RETRY:
		if (!e.nraces)
			lf_bug("RETRY without a race");
		break;
	default:
		lf_bug("invalid result");
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	return lf_paging(data, size);
}

#endif /* LIBFUZZ_PAGING */
