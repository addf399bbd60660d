// SPDX-License-Identifier: GPL-2.0-only
/*
 * The decoder/executor fuzzer: random instruction bytes (biased towards
 * the prefixes and opcodes the emulator knows, so execution gets deep),
 * random modes, registers, segments and flags, against callbacks that
 * map any address into a small buffer and now and then fault or ask for
 * userspace.  Under ASan/UBSan (the unit Makefile) any out-of-bounds
 * access or undefined behaviour aborts; the test itself checks that every
 * call ends in a valid result, within 15 bytes, with a bounded number of
 * accesses, and that rIP moves only on success.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"

#define FUZZ_DEFAULT_ITERS	300000
#define FUZZ_MAX_ACCESSES	(3 * 1024 + 64)

struct fuzz_env {
	struct unit_rng r;
	u8 code[16];
	u64 rip;
	u8 buf[4096];
	unsigned int accesses;
	unsigned int fault_rate;	/* 1 in n accesses faults or exits */
	bool broken;			/* a callback saw its contract broken */
};

/* kvmx_emulate() turns any odd callback result into UNHANDLED: flag it. */
static int fuzz_broken(struct fuzz_env *f)
{
	f->broken = true;
	return -1;
}

static int fuzz_maybe_fail(struct kvmx_emu_ctxt *c, struct fuzz_env *f,
			   u64 a)
{
	u32 x;

	if (++f->accesses > FUZZ_MAX_ACCESSES)
		return -1;
	if (!f->fault_rate || rng_below(&f->r, f->fault_rate))
		return KVMX_EMU_OK;
	x = rng_below(&f->r, 3);
	if (x == 0)
		return kvmx_emu_set_pf(c, a, 4);
	if (x == 1)
		return KVMX_EMU_USER;
	return kvmx_emu_set_exception(c, 13, true, 0);
}

static int fuzz_fetch(struct kvmx_emu_ctxt *c, u64 a, void *b,
		      unsigned int len)
{
	struct fuzz_env *f = c->opaque;
	unsigned int i;
	int r;

	if (!len || len > 15 || (a & 4095) + len > 4096)
		return fuzz_broken(f);	/* the emulator broke its own promise */
	r = fuzz_maybe_fail(c, f, a);
	if (r)
		return r;
	for (i = 0; i < len; i++) {
		u64 off = a + i - f->rip;

		((u8 *)b)[i] = off < sizeof(f->code) ? f->code[off] :
			       f->buf[(a + i) % sizeof(f->buf)];
	}
	return KVMX_EMU_OK;
}

static int fuzz_read(struct kvmx_emu_ctxt *c, u64 a, void *b,
		     unsigned int len)
{
	struct fuzz_env *f = c->opaque;
	unsigned int i;
	int r;

	if (!len || len > 64)
		return fuzz_broken(f);
	r = fuzz_maybe_fail(c, f, a);
	if (r)
		return r;
	for (i = 0; i < len; i++)
		((u8 *)b)[i] = f->buf[(a + i) % sizeof(f->buf)];
	return KVMX_EMU_OK;
}

static int fuzz_write(struct kvmx_emu_ctxt *c, u64 a, const void *b,
		      unsigned int len)
{
	struct fuzz_env *f = c->opaque;
	unsigned int i;
	int r;

	if (!len || len > 64)
		return fuzz_broken(f);
	r = fuzz_maybe_fail(c, f, a);
	if (r)
		return r;
	for (i = 0; i < len; i++)
		f->buf[(a + i) % sizeof(f->buf)] = ((const u8 *)b)[i];
	return KVMX_EMU_OK;
}

static int fuzz_cmpxchg(struct kvmx_emu_ctxt *c, u64 a, void *old,
			const void *new, unsigned int len)
{
	struct fuzz_env *f = c->opaque;
	u8 cur[16];
	unsigned int i;
	int r;

	if (!len || len > 16)
		return fuzz_broken(f);
	r = fuzz_maybe_fail(c, f, a);
	if (r)
		return r;
	for (i = 0; i < len; i++)
		cur[i] = f->buf[(a + i) % sizeof(f->buf)];
	/* Sometimes pretend another CPU changed it (the LOCK retry path). */
	if (!memcmp(cur, old, len) && rng_below(&f->r, 8))
		for (i = 0; i < len; i++)
			f->buf[(a + i) % sizeof(f->buf)] =
				((const u8 *)new)[i];
	else
		cur[0] ^= 1;
	memcpy(old, cur, len);
	return KVMX_EMU_OK;
}

/* Ports: emulate.h allows 1, 2 or 4 bytes, up to 64 bytes a call. */
static int fuzz_pio(struct kvmx_emu_ctxt *c, u16 port, unsigned int size,
		    unsigned int count)
{
	struct fuzz_env *f = c->opaque;

	if ((size != 1 && size != 2 && size != 4) || !count ||
	    size * count > 64)
		return fuzz_broken(f);
	return fuzz_maybe_fail(c, f, port);
}

static int fuzz_pio_in(struct kvmx_emu_ctxt *c, u16 port, void *b,
		       unsigned int size, unsigned int count)
{
	struct fuzz_env *f = c->opaque;
	int r = fuzz_pio(c, port, size, count);

	if (r)
		return r;
	memcpy(b, f->buf + port % 64, size * count);
	return KVMX_EMU_OK;
}

static int fuzz_pio_out(struct kvmx_emu_ctxt *c, u16 port, const void *b,
			unsigned int size, unsigned int count)
{
	struct fuzz_env *f = c->opaque;
	int r = fuzz_pio(c, port, size, count);

	if (r)
		return r;
	memcpy(f->buf + port % 64, b, size * count);
	return KVMX_EMU_OK;
}

static const struct kvmx_emu_ops fuzz_ops = {
	.fetch = fuzz_fetch,
	.read = fuzz_read,
	.write = fuzz_write,
	.cmpxchg = fuzz_cmpxchg,
	.pio_in = fuzz_pio_in,
	.pio_out = fuzz_pio_out,
};

static const struct kvmx_emu_ops fuzz_ops_plain = {
	.fetch = fuzz_fetch,
	.read = fuzz_read,
	.write = fuzz_write,
};

static u8 fuzz_byte(struct unit_rng *r)
{
	static const u8 likely[] = {
		0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64,
		0x65, 0x40, 0x48, 0x4c, 0x41, 0x0f, 0x80, 0x81, 0x83, 0x88,
		0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0xf6, 0xf7, 0xfe, 0xff, 0x8f,
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab,
		0xac, 0xad, 0xae, 0xaf, 0x86, 0x87, 0xb0, 0xb1, 0xc0, 0xc1,
		0xba, 0xbb, 0xb3, 0xab, 0x63, 0x84, 0x85, 0x04, 0x24, 0x25,
		0x05, 0x44, 0x84, 0xc3, 0x9f, 0xb6, 0xbf,
		/* shifts, MUL/DIV, stack, string I/O, 0F 38, bit scans */
		0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0x69, 0x6b,
		0x50, 0x55, 0x58, 0x5c, 0x68, 0x6a, 0x6c, 0x6d, 0x6e, 0x6f,
		0x38, 0xf0, 0xf1, 0xc7, 0x0f, 0xaf, 0xa4, 0xa5, 0xac, 0xad,
		0xb8, 0xbc, 0xbd,
	};

	if (rng_below(r, 2))
		return likely[rng_below(r, sizeof(likely))];
	return rng64(r);
}

static void fuzz_seg(struct unit_rng *r, struct kvmx_emu_seg *s)
{
	s->base = rng_below(r, 4) ? rng64(r) & 0xffffffff : rng64(r);
	s->limit = rng_below(r, 2) ? 0xffffffff : rng64(r);
	s->type = rng64(r) & 15;
	s->s = 1;
	s->present = rng_below(r, 16) != 0;
	s->unusable = rng_below(r, 16) == 0;
	s->db = rng64(r) & 1;
	s->l = 0;
	s->dpl = rng64(r) & 3;
}

static unsigned long fuzz_results[5];

static const char *fuzz_one(struct fuzz_env *f, struct kvmx_emu_ctxt *c)
{
	struct unit_rng *r = &f->r;
	u64 rip0;
	unsigned int i;
	int res;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < sizeof(f->code); i++)
		f->code[i] = fuzz_byte(r);
	/* Now and then an escape sequence random bytes rarely make. */
	if (rng_below(r, 8) == 0) {
		static const u8 esc[][3] = {
			{ 0x0f, 0x38, 0xf0 }, { 0x0f, 0x38, 0xf1 },
			{ 0xf3, 0x0f, 0xb8 }, { 0xf3, 0x0f, 0xbc },
			{ 0xf3, 0x0f, 0xbd }, { 0x0f, 0xc7, 0x0e },
			{ 0x48, 0x0f, 0xc7 }, { 0xf3, 0x6c, 0x6d },
		};

		memcpy(f->code + rng_below(r, 4),
		       esc[rng_below(r, sizeof(esc) / sizeof(esc[0]))], 3);
	}
	for (i = 0; i < 16; i++) {
		u32 k = rng_below(r, 4);

		c->regs[i] = k == 0 ? rng64(r) : k == 1 ? rng_below(r, 16) :
			     k == 2 ? rng64(r) & 0xffff : (u64)-1 -
			     rng_below(r, 4);
	}
	c->mode = rng_below(r, KVMX_EMU_MODE_LONG64 + 1);
	c->cpl = rng64(r) & 3;
	c->cr0 = rng64(r) & 0x80050033ULL;
	c->cr4 = rng64(r) & 0x1000;
	c->efer = 0xd01;
	c->rflags = (rng64(r) & 0x40cd5) | 2;
	for (i = 0; i < KVMX_EMU_NR_SREGS; i++)
		fuzz_seg(r, &c->seg[i]);
	c->rip = rng_below(r, 2) ? rng64(r) : 4096 - rng_below(r, 16);
	if (c->mode == KVMX_EMU_MODE_LONG64 && rng_below(r, 4))
		c->rip = (u64)(s64)(rng64(r) << 16) >> 16;
	if (c->mode != KVMX_EMU_MODE_LONG64)
		c->rip &= 0xffffffff;
	f->rip = c->rip;
	/* Keep the CS limit above rip most of the time. */
	if (c->mode != KVMX_EMU_MODE_LONG64 && rng_below(r, 8))
		c->seg[KVMX_EMU_CS].limit = 0xffffffff;
	c->insn_len = rng_below(r, 3) ? 0 : rng_below(r, 17);
	memcpy(c->insn_bytes, f->code, sizeof(c->insn_bytes));
	c->replay_len = rng_below(r, 8) ? 0 : rng_below(r, 80);
	c->ops = rng_below(r, 4) ? &fuzz_ops : &fuzz_ops_plain;
	c->opaque = f;
	f->accesses = 0;
	f->broken = false;
	f->fault_rate = rng_below(r, 3) ? 0 : 1 + rng_below(r, 8);

	rip0 = c->rip;
	res = kvmx_emulate(c);
	if (res >= 0 && res < 5)
		fuzz_results[res]++;
	if (f->accesses > FUZZ_MAX_ACCESSES)
		return "too many accesses (a loop?)";
	if (f->broken)
		return "a callback was called outside its contract";
	if (c->insn_len > KVMX_EMU_MAX_INSN)
		return "insn_len above 15";
	switch (res) {
	case KVMX_EMU_OK:
		return NULL;
	case KVMX_EMU_EXCEPTION:
		switch (c->exception.vector) {
		case KVMX_EMU_VEC_DE:
		case KVMX_EMU_VEC_UD:
		case KVMX_EMU_VEC_SS:
		case KVMX_EMU_VEC_GP:
		case KVMX_EMU_VEC_PF:
		case KVMX_EMU_VEC_AC:
			break;
		default:
			return "unexpected vector";
		}
		fallthrough;
	case KVMX_EMU_USER:
	case KVMX_EMU_UNHANDLED:
	case KVMX_EMU_RETRY:
		if (c->rip != rip0)
			return "rip moved without success";
		return NULL;
	default:
		return "invalid result";
	}
}

void emu_fuzz_tests(void)
{
	static struct fuzz_env f;
	struct kvmx_emu_ctxt c;
	const char *env = getenv("UNIT_FUZZ_ITERS"), *why;
	unsigned long iters = env ? strtoul(env, NULL, 0) : FUZZ_DEFAULT_ITERS;
	unsigned long i, bad = 0;
	char hexs[64];
	unsigned int k;

	f.r.s = unit_seed ^ 0xf022;
	for (k = 0; k < sizeof(f.buf); k++)
		f.buf[k] = rng64(&f.r);
	for (i = 0; i < iters; i++) {
		why = fuzz_one(&f, &c);
		if (!why)
			continue;
		if (bad++ < 5) {
			for (k = 0; k < 15; k++)
				sprintf(hexs + 3 * k, "%02x ", f.code[k]);
			unit_note("fuzz: %s: mode %u bytes %s", why, c.mode,
				  hexs);
		}
	}
	if (bad)
		unit_fail("emu.fuzz", "%lu of %lu inputs misbehaved", bad, iters);
	else
		unit_pass("emu.fuzz");
	if (unit_verbose)
		unit_note("fuzz: %lu inputs: %lu ok, %lu exception, %lu user, %lu unhandled, %lu retry",
			  iters, fuzz_results[0], fuzz_results[1],
			  fuzz_results[2], fuzz_results[3], fuzz_results[4]);
}
