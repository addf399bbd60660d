// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests of the SSE and AVX moves: every form in its legacy
 * SSE encoding and in VEX.128 and VEX.256 where they exist, 1,000 random
 * cases each (random XMM/YMM, GPRs, flags and memory; random segment and
 * address-size prefixes, REX or VEX bits, two- or three-byte VEX, W where
 * it is ignored, ModRM/SIB/displacement and RIP-relative addressing), run
 * on this CPU (native_vec.c) and through the emulator on a copy of the
 * memory and registers; vector registers, GPRs, flags, rIP and memory
 * must agree.  Some cases are meant to fault: misaligned MOVDQA, MOVAPS
 * and MOVNT*, register operands of memory-only forms, VEX.L or vvvv where
 * they must be 0 or 1111, a prefix before VEX, LOCK.  There the CPU's
 * signal (SIGILL for #UD, SIGSEGV for #GP, SIGBUS for #SS) must match the
 * emulator's exception, and the emulator must have changed nothing.
 */
#include <signal.h>
#include <string.h>
#include "native_vec.h"

#define VCASES		1000

#define CR4_OSFXSR	0x200ULL
#define CR4_OSXMMEXCPT	0x400ULL
#define CR4_OSXSAVE	0x40000ULL

/* The test's own view of each form, written from the SDM. */
#define T_STORE		0x001	/* ModRM.reg is the source */
#define T_ALIGN		0x002	/* #GP(0) unless aligned */
#define T_MEMONLY	0x004	/* mod = 3 is #UD */
#define T_GPR		0x008	/* mod 3: r/m is a GPR; W: 64 bits */
#define T_L0		0x010	/* VEX.128 only */
#define T_NDS		0x020	/* VEX.vvvv is a source */
#define T_NDS_REG	0x040	/* ... in the register form */
#define T_LIG		0x080	/* VEX.L=1 unpredictable: keep 0 */
#define T_256		0x100	/* VEX.256 exists */
#define T_SSE41		0x200	/* legacy form needs SSE4.1 */
#define T_AVX2_256	0x400	/* VEX.256 needs AVX2 */

enum { E_SSE, E_VEX128, E_VEX256 };

struct vform {
	const char *name;
	u8 map;			/* 1: 0F, 2: 0F 38 */
	u8 op;
	u8 pp;			/* 0: none, 1: 66, 2: F3, 3: F2 */
	u16 flags;
};

static const struct vform vforms[] = {
	{ "movups_load", 1, 0x10, 0, T_256 },
	{ "movupd_load", 1, 0x10, 1, T_256 },
	{ "movss_load", 1, 0x10, 2, T_LIG | T_NDS_REG },
	{ "movsd_load", 1, 0x10, 3, T_LIG | T_NDS_REG },
	{ "movups_store", 1, 0x11, 0, T_STORE | T_256 },
	{ "movupd_store", 1, 0x11, 1, T_STORE | T_256 },
	{ "movss_store", 1, 0x11, 2, T_STORE | T_LIG | T_NDS_REG },
	{ "movsd_store", 1, 0x11, 3, T_STORE | T_LIG | T_NDS_REG },
	{ "movlps_load", 1, 0x12, 0, T_L0 | T_NDS },	/* mod 3: MOVHLPS */
	{ "movlpd_load", 1, 0x12, 1, T_L0 | T_NDS | T_MEMONLY },
	{ "movlps_store", 1, 0x13, 0, T_STORE | T_L0 | T_MEMONLY },
	{ "movlpd_store", 1, 0x13, 1, T_STORE | T_L0 | T_MEMONLY },
	{ "movhps_load", 1, 0x16, 0, T_L0 | T_NDS },	/* mod 3: MOVLHPS */
	{ "movhpd_load", 1, 0x16, 1, T_L0 | T_NDS | T_MEMONLY },
	{ "movhps_store", 1, 0x17, 0, T_STORE | T_L0 | T_MEMONLY },
	{ "movhpd_store", 1, 0x17, 1, T_STORE | T_L0 | T_MEMONLY },
	{ "movaps_load", 1, 0x28, 0, T_ALIGN | T_256 },
	{ "movapd_load", 1, 0x28, 1, T_ALIGN | T_256 },
	{ "movaps_store", 1, 0x29, 0, T_STORE | T_ALIGN | T_256 },
	{ "movapd_store", 1, 0x29, 1, T_STORE | T_ALIGN | T_256 },
	{ "movntps", 1, 0x2b, 0, T_STORE | T_ALIGN | T_MEMONLY | T_256 },
	{ "movntpd", 1, 0x2b, 1, T_STORE | T_ALIGN | T_MEMONLY | T_256 },
	{ "movd_load", 1, 0x6e, 1, T_GPR | T_L0 },
	{ "movd_store", 1, 0x7e, 1, T_STORE | T_GPR | T_L0 },
	{ "movdqa_load", 1, 0x6f, 1, T_ALIGN | T_256 },
	{ "movdqu_load", 1, 0x6f, 2, T_256 },
	{ "movdqa_store", 1, 0x7f, 1, T_STORE | T_ALIGN | T_256 },
	{ "movdqu_store", 1, 0x7f, 2, T_STORE | T_256 },
	{ "movq_load", 1, 0x7e, 2, T_L0 },
	{ "movq_store", 1, 0xd6, 1, T_STORE | T_L0 },
	{ "movntdq", 1, 0xe7, 1, T_STORE | T_ALIGN | T_MEMONLY | T_256 },
	{ "movntdqa", 2, 0x2a, 1, T_ALIGN | T_MEMONLY | T_256 | T_SSE41 |
				  T_AVX2_256 },
};

struct vcase {
	u8 insn[32];
	unsigned int len;
	struct native_run in;
	struct native_vec vin;
	u8 mem[NATIVE_DATA_SIZE];
};

/* n is a multiple of 8. */
static void fill_random(struct unit_rng *r, void *p, size_t n)
{
	size_t i;
	u64 v;

	for (i = 0; i < n; i += 8) {
		v = rng64(r);
		memcpy((u8 *)p + i, &v, 8);
	}
}

static bool fits_s32(u64 v)
{
	return (u64)(s64)(s32)v == v;
}

/*
 * ModRM (mod < 3, reg given), SIB and displacement at p so that the
 * operand's effective address is ea, with the registers it uses solved
 * for that (xb: REX.X/B bits, a32: 67 prefix).  next_rip_at: the
 * instruction's address minus p's offset, for RIP-relative forms.
 * Returns the bytes written, or 0 to try another case.
 */
static unsigned int put_mem(struct unit_rng *r, struct vcase *t, u8 *p,
			    unsigned int mod, unsigned int reg, unsigned int xb,
			    bool a32, u64 ea, u64 p_addr)
{
	u64 amask = a32 ? 0xffffffffULL : ~0ULL, disp = 0, v;
	unsigned int rm = rng_below(r, 8), n = 0, dlen, scale = 0;
	int base = -1, index = -1;
	bool riprel = false;
	u8 sib;

	p[n++] = (mod << 6) | ((reg & 7) << 3) | rm;
	if (rm == 4) {
		sib = rng64(r);
		p[n++] = sib;
		scale = sib >> 6;
		index = ((sib >> 3) & 7) | ((xb & 2) << 2);
		if (index == 4)
			index = -1;
		base = (sib & 7) | ((xb & 1) << 3);
		if ((sib & 7) == 5 && mod == 0)
			base = -1;
	} else if (rm == 5 && mod == 0) {
		riprel = true;
	} else {
		base = rm | ((xb & 1) << 3);
	}
	dlen = mod == 1 ? 1 : (mod == 2 || base < 0) ? 4 : 0;
	if (dlen == 1)
		disp = (u64)(s64)(s8)rng64(r);
	else if (dlen == 4)
		disp = (u64)(s64)(s32)(rng64(r) >> 34);
	if (riprel) {
		/* Relative to the next instruction: nothing follows disp32. */
		disp = ea - (p_addr + n + 4);
		if (!fits_s32(disp))
			return 0;
	} else if (base < 0 && index < 0) {
		disp = ea;
		if (!a32 && !fits_s32(disp))
			return 0;
	} else if (base < 0) {
		disp += (ea - disp) & ((1u << scale) - 1);
		t->in.regs[index] = ((ea - disp) & amask) >> scale;
	} else if (base == index) {
		/* Only [r + r*1] is solved here: 2v + disp = ea. */
		if (scale || ((ea - disp) & 1))
			return 0;
		t->in.regs[base] = ((ea - disp) & amask) >> 1;
	} else {
		if (index >= 0)
			t->in.regs[index] = rng_below(r, 2) ? rng64(r) :
					    rng_below(r, 0x1000);
		v = index >= 0 ? t->in.regs[index] << scale : 0;
		t->in.regs[base] = (ea - disp - v) & amask;
	}
	if (a32) {
		/* The upper halves do not take part in 32-bit addressing. */
		if (base >= 0)
			t->in.regs[base] |= rng64(r) << 32;
		if (index >= 0 && index != base)
			t->in.regs[index] = (u32)t->in.regs[index] |
					    (rng64(r) << 32);
	}
	if (dlen == 1 && (disp + 0x80) > 0xff)
		return 0;
	memcpy(p + n, &disp, dlen);
	return n + dlen;
}

static u64 seg_base_of(u8 seg)
{
	if (seg == 0x64)
		return native_fs_base();
	return seg == 0x65 ? native_gs_base() : 0;
}

/* One random encoding of form f in encoding enc; false: try again. */
static bool gen_vcase(struct unit_rng *r, const struct vform *f, int enc,
		      struct vcase *t)
{
	static const u8 segs[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };
	static const u8 not_before_vex[] = { 0x66, 0xf2, 0xf3, 0xf0, 0x40 };
	static const u8 mand[] = { 0, 0x66, 0xf3, 0xf2 };
	u64 data = (u64)(unsigned long)native_data(), lin;
	unsigned int np = 0, n = 0, mod, reg, rm, vl, m, i, j;
	unsigned int rx;
	u8 pfx[8], seg = 0, x;
	bool vex = enc != E_SSE, a32, w = rng_below(r, 2), two, l;
	unsigned int vvvv = 0;

	fill_random(r, t->in.regs, sizeof(t->in.regs));
	t->in.regs[4] = data + 0x1000 + rng_below(r, 0x100);
	t->in.rflags = 2 | (rng64(r) & 0x8d5);
	fill_random(r, &t->vin, sizeof(t->vin));
	fill_random(r, t->mem, sizeof(t->mem));

	if (rng_below(r, 2))
		pfx[np++] = seg = segs[rng_below(r, sizeof(segs))];
	a32 = rng_below(r, 4) == 0;
	if (a32)
		pfx[np++] = 0x67;
	if (!vex && f->pp)
		pfx[np++] = mand[f->pp];
	/* 66 under F3/F2 is neither the mandatory prefix nor an opsize. */
	if (!vex && f->pp >= 2 && rng_below(r, 3) == 0)
		pfx[np++] = 0x66;
	for (i = np; i > 1; i--) {
		j = rng_below(r, i);
		x = pfx[i - 1];
		pfx[i - 1] = pfx[j];
		pfx[j] = x;
	}
	/* The other of F2/F3 first: the last one seen counts. */
	if (!vex && f->pp >= 2 && rng_below(r, 6) == 0)
		t->insn[n++] = f->pp == 2 ? 0xf2 : 0xf3;
	if (rng_below(r, 24) == 0)
		t->insn[n++] = 0xf0;		/* LOCK: #UD */
	memcpy(t->insn + n, pfx, np);
	n += np;

	if (f->flags & T_MEMONLY)
		m = rng_below(r, 20) == 0;
	else
		m = rng_below(r, 4) == 0;
	mod = m ? 3 : rng_below(r, 3);
	reg = rng_below(r, 8);
	rm = rng_below(r, 8);
	if (!vex) {
		if (rng_below(r, 2)) {
			x = 0x40 | rng_below(r, 16);
			t->insn[n++] = x;
			reg |= (x & 4) << 1;
			w = x & 8;
			rx = x & 3;		/* X, B */
		} else {
			rx = 0;
			w = false;
		}
		t->insn[n++] = 0x0f;
		if (f->map == 2)
			t->insn[n++] = 0x38;
	} else {
		if (rng_below(r, 24) == 0) {
			x = rng_below(r, sizeof(not_before_vex));
			x = not_before_vex[x];
			t->insn[n++] = x == 0x40 ? x | rng_below(r, 16) : x;
		}
		two = f->map == 1 && rng_below(r, 2);
		if (two) {
			rx = 0;
			w = false;
		} else {
			rx = rng_below(r, 4);	/* X, B */
		}
		reg |= rng_below(r, 2) << 3;
		l = enc == E_VEX256;
		if ((f->flags & T_L0) && rng_below(r, 16) == 0)
			l = true;
		if ((f->flags & T_NDS) || ((f->flags & T_NDS_REG) && mod == 3))
			vvvv = rng_below(r, 16);
		else if (rng_below(r, 16) == 0)
			vvvv = 1 + rng_below(r, 15);
		x = ((~vvvv & 15) << 3) | (l << 2) | f->pp;
		if (two) {
			t->insn[n++] = 0xc5;
			t->insn[n++] = ((reg & 8) ? 0 : 0x80) | x;
		} else {
			t->insn[n++] = 0xc4;
			t->insn[n++] = ((reg & 8) ? 0 : 0x80) |
				       ((rx & 2) ? 0 : 0x40) |
				       ((rx & 1) ? 0 : 0x20) | f->map;
			t->insn[n++] = (w ? 0x80 : 0) | x;
		}
	}
	t->insn[n++] = f->op;

	if (mod == 3) {
		t->insn[n++] = 0xc0 | ((reg & 7) << 3) | rm;
		t->len = n;
		return true;
	}
	/* The target: 32-aligned, or misaligned now and then. */
	vl = enc == E_VEX256 ? 32 : 16;
	lin = data + 0x100 + (rng_below(r, NATIVE_DATA_SIZE - 0x240) & ~31u);
	if (!(f->flags & T_ALIGN))
		lin += rng_below(r, 32);
	else if (rng_below(r, 8) == 0)
		lin += 1 + rng_below(r, vl - 1);
	lin -= seg_base_of(seg);
	if (a32 && lin >> 32)
		return false;
	i = put_mem(r, t, t->insn + n, mod, reg, rx, a32, lin,
		    native_vec_insn_addr() + n);
	if (!i)
		return false;
	t->len = n + i;
	return t->len <= 15;
}

static u8 emu_mem[NATIVE_DATA_SIZE];

static int run_emu(struct unit_rng *r, const struct vcase *t,
		   struct kvmx_emu_ctxt *c, struct fake_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->base = (u64)(unsigned long)native_data();
	g->size = NATIVE_DATA_SIZE;
	g->mem = emu_mem;
	g->code_base = native_code_base();
	g->code_size = native_code_size();
	g->code = native_code();
	memcpy(emu_mem, t->mem, sizeof(emu_mem));
	memcpy(g->vregs, t->vin.v, sizeof(g->vregs));
	fake_ctxt64(c, g);
	c->ops = &fake_ops_vec;
	c->cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	/* x87, SSE, YMM; sometimes the AVX-512 state bits as well. */
	c->xcr0 = rng_below(r, 2) ? 0x7 : 0xe7;
	c->seg[KVMX_EMU_FS].base = native_fs_base();
	c->seg[KVMX_EMU_GS].base = native_gs_base();
	memcpy(c->regs, t->in.regs, sizeof(c->regs));
	c->rip = native_vec_insn_addr();
	c->rflags = t->in.rflags;
	c->insn_len = rng_below(r, 16);
	memcpy(c->insn_bytes, native_code() + (c->rip - native_code_base()),
	       c->insn_len);
	return kvmx_emulate(c);
}

static void hexs(char *out, const u8 *p, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len && i < 20; i++)
		sprintf(out + 3 * i, "%02x ", p[i]);
}

static int sig_vector(int sig)
{
	switch (sig) {
	case SIGILL:
		return KVMX_EMU_VEC_UD;
	case SIGSEGV:
		return KVMX_EMU_VEC_GP;
	case SIGBUS:
		return KVMX_EMU_VEC_SS;
	default:
		return -1;
	}
}

/* Compare one case; *ran counts those the CPU completed. */
static bool check_vcase(struct unit_rng *r, const char *name,
			const struct vcase *t, bool notes, unsigned int *ran)
{
	unsigned int vbytes = native_has_avx() ? 32 : 16, i;
	struct native_run out = t->in;
	struct native_vec vout = t->vin;
	struct kvmx_emu_ctxt c;
	struct fake_guest g;
	char b[64] = "";
	int sig, res;

	memcpy(native_data(), t->mem, NATIVE_DATA_SIZE);
	sig = native_vec_exec(t->insn, t->len, &out, &vout);
	res = run_emu(r, t, &c, &g);
	hexs(b, t->insn, t->len);
	if (sig) {
		if (res == KVMX_EMU_EXCEPTION &&
		    c.exception.vector == sig_vector(sig) &&
		    c.rip == native_vec_insn_addr() && !g.writes &&
		    !g.vreg_writes &&
		    !memcmp(c.regs, t->in.regs, sizeof(c.regs)))
			return true;
		if (notes)
			unit_note("%s: %s: CPU signal %d, emulator %d vector %u (writes %u/%u)",
				  name, b, sig, res, c.exception.vector,
				  g.writes, g.vreg_writes);
		return false;
	}
	(*ran)++;
	if (res != KVMX_EMU_OK) {
		if (notes)
			unit_note("%s: %s: CPU ran it, emulator %d vector %u",
				  name, b, res, c.exception.vector);
		return false;
	}
	if (c.rip != native_vec_insn_addr() + t->len || g.vreg_bad ||
	    memcmp(c.regs, out.regs, sizeof(c.regs)) ||
	    ((c.rflags ^ out.rflags) & 0xcd5)) {
		if (notes)
			unit_note("%s: %s: GPRs, flags, rIP or callbacks differ",
				  name, b);
		return false;
	}
	for (i = 0; i < 16; i++) {
		if (!memcmp(g.vregs[i], vout.v[i], vbytes))
			continue;
		if (notes)
			unit_note("%s: %s: ymm%u differs (cpu %016llx..., emu %016llx...)",
				  name, b, i,
				  *(unsigned long long *)vout.v[i],
				  *(unsigned long long *)g.vregs[i]);
		return false;
	}
	if (memcmp(emu_mem, native_data(), NATIVE_DATA_SIZE)) {
		if (notes)
			unit_note("%s: %s: memory differs", name, b);
		return false;
	}
	return true;
}

static void run_vform(struct unit_rng *r, const struct vform *f, int enc)
{
	static struct vcase t;
	unsigned int k, bad = 0, ran = 0;
	char name[64];

	snprintf(name, sizeof(name), "vector.diff.%s%s%s",
		 enc == E_SSE ? "" : "v", f->name,
		 enc == E_VEX256 ? "_256" :
		 enc == E_VEX128 && (f->flags & T_256) ? "_128" : "");
	if (enc != E_SSE && !native_has_avx()) {
		unit_skip(name, "this CPU or OS has no AVX");
		return;
	}
	if ((enc == E_SSE && (f->flags & T_SSE41) && !native_has_sse41()) ||
	    (enc == E_VEX256 && (f->flags & T_AVX2_256) &&
	     !native_has_avx2())) {
		unit_skip(name, "this CPU has no %s",
			  enc == E_SSE ? "SSE4.1" : "AVX2");
		return;
	}
	for (k = 0; k < VCASES; k++) {
		while (!gen_vcase(r, f, enc, &t))
			;
		if (!check_vcase(r, name, &t, bad < 3 || unit_verbose, &ran))
			bad++;
	}
	if (bad)
		unit_fail(name, "%u of %u cases differ from the CPU", bad,
			  VCASES);
	else if (ran < VCASES / 2)
		unit_fail(name, "only %u of %u cases ran on the CPU", ran,
			  VCASES);
	else
		unit_pass(name);
}

void emu_vector_diff_tests(void)
{
	struct unit_rng r = { unit_seed ^ 0x5e5e };
	char why[128];
	unsigned int i;

	if (!native_vec_init(why, sizeof(why))) {
		unit_skip("vector.diff", "%s", why);
		return;
	}
	for (i = 0; i < sizeof(vforms) / sizeof(vforms[0]); i++) {
		run_vform(&r, &vforms[i], E_SSE);
		run_vform(&r, &vforms[i], E_VEX128);
		if (vforms[i].flags & T_256)
			run_vform(&r, &vforms[i], E_VEX256);
	}
}
