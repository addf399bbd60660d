// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential tests: every instruction form the emulator handles, with
 * random prefixes (66, 67, segment overrides, LOCK, REP, REX), random
 * ModRM/SIB/displacement encodings, random registers, flags and memory,
 * run on this CPU (native.c) and through the emulator against a copy of
 * the same memory; the GPRs, the defined arithmetic flags, rIP and memory
 * must agree.  The encodings are built so that the memory operand lands
 * in the data area whatever the addressing form.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "native.h"

#define CASES_PER_FORM	1000

#define F_BYTE		0x00001		/* 8-bit operands */
#define F_MODRM		0x00002
#define F_IMM8		0x00004
#define F_IMMZ		0x00008		/* imm16/imm32 */
#define F_LOCK		0x00010		/* LOCK allowed with memory */
#define F_MEMONLY	0x00020
#define F_MOFFS		0x00040
#define F_STR		0x00080		/* string instruction, REP allowed */
#define F_REPNE		0x00100		/* REPNE/REPE meaningful */
#define F_BTREG		0x00200		/* reg operand is a bit offset */
#define F_ACC		0x00400		/* compares the accumulator */
#define F_STACK		0x00800		/* PUSH/POP: rSP addresses the stack */
#define F_NO66		0x01000
#define F_0F		0x02000
#define F_UNDEF_AF	0x04000		/* AF undefined (logic) */
#define F_UNDEF_BT	0x08000		/* OF SF ZF AF PF undefined (BT*) */
#define F_GRP		0x10000		/* ModRM.reg fixed to grp */
#define F_POP		0x20000
#define F_NOREX		0x40000		/* REX.W makes it another insn */
#define F_W64		0x80000		/* needs 66/REX.W choice only */
#define F_0F38		0x100000	/* 0F 38 map */
#define F_F3		0x200000	/* mandatory F3 prefix */
#define F_OPREG		0x400000	/* register in the opcode's low bits */
#define F_SHIFT		0x800000	/* group 2, SHLD/SHRD: count rules */
#define F_MUL		0x1000000	/* SF ZF AF PF undefined */
#define F_DIV		0x2000000	/* all flags undefined, #DE possible */
#define F_BSF		0x4000000	/* bit scans: zero sources matter */
#define F_CX8		0x8000000	/* CMPXCHG8B/16B */
#define F_REXW		0x10000000	/* REX.W always (CMPXCHG16B) */
#define F_NOREXW	0x20000000	/* REX.W never (CMPXCHG8B) */

struct form {
	char name[32];
	u8 op;
	u8 grp;
	u32 flags;
	u64 undef;	/* arithmetic flags undefined whatever the inputs */
};

static const char *const cc[16] = { "o", "no", "b", "ae", "e", "ne", "be",
				    "a", "s", "ns", "p", "np", "l", "ge",
				    "le", "g" };
static struct form forms[400];
static bool cpu_is_amd;
static unsigned int nr_forms;

static void add(const char *name, u8 op, u32 flags, u8 grp)
{
	struct form *f = &forms[nr_forms++];

	snprintf(f->name, sizeof(f->name), "%s", name);
	f->op = op;
	f->flags = flags;
	f->grp = grp;
	f->undef = 0;
}

/* The flags the SDM leaves undefined for the last form added. */
static void undef(u64 flags)
{
	forms[nr_forms - 1].undef = flags;
}

#define FL_CF	0x001ULL
#define FL_PF	0x004ULL
#define FL_AF	0x010ULL
#define FL_ZF	0x040ULL
#define FL_SF	0x080ULL
#define FL_OF	0x800ULL
#define FL_ALL	(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Shifts, MUL/DIV, bit scans, MOVBE, CMPXCHG8B/16B, PUSH/POP r, CMOVcc. */
static void build_forms2(void)
{
	static const char *const sh[8] = { "rol", "ror", "rcl", "rcr", "shl",
					   "shr", "sal", "sar" };
	static const char *const md[4] = { "mul", "imul", "div", "idiv" };
	char n[32];
	unsigned int i;

	for (i = 0; i < 8; i++) {
		snprintf(n, sizeof(n), "%s_Eb_Ib", sh[i]);
		add(n, 0xc0, F_MODRM | F_GRP | F_BYTE | F_IMM8 | F_SHIFT, i);
		snprintf(n, sizeof(n), "%s_Ev_Ib", sh[i]);
		add(n, 0xc1, F_MODRM | F_GRP | F_IMM8 | F_SHIFT, i);
		snprintf(n, sizeof(n), "%s_Eb_1", sh[i]);
		add(n, 0xd0, F_MODRM | F_GRP | F_BYTE | F_SHIFT, i);
		snprintf(n, sizeof(n), "%s_Ev_1", sh[i]);
		add(n, 0xd1, F_MODRM | F_GRP | F_SHIFT, i);
		snprintf(n, sizeof(n), "%s_Eb_CL", sh[i]);
		add(n, 0xd2, F_MODRM | F_GRP | F_BYTE | F_SHIFT, i);
		snprintf(n, sizeof(n), "%s_Ev_CL", sh[i]);
		add(n, 0xd3, F_MODRM | F_GRP | F_SHIFT, i);
	}
	add("shld_Ev_Gv_Ib", 0xa4, F_0F | F_MODRM | F_IMM8 | F_SHIFT, 0);
	add("shld_Ev_Gv_CL", 0xa5, F_0F | F_MODRM | F_SHIFT, 0);
	add("shrd_Ev_Gv_Ib", 0xac, F_0F | F_MODRM | F_IMM8 | F_SHIFT, 0);
	add("shrd_Ev_Gv_CL", 0xad, F_0F | F_MODRM | F_SHIFT, 0);
	for (i = 0; i < 4; i++) {
		snprintf(n, sizeof(n), "%s_Eb", md[i]);
		add(n, 0xf6, F_MODRM | F_GRP | F_BYTE | (i < 2 ? F_MUL : F_DIV),
		    4 + i);
		undef(i < 2 ? FL_SF | FL_ZF | FL_AF | FL_PF : FL_ALL);
		snprintf(n, sizeof(n), "%s_Ev", md[i]);
		add(n, 0xf7, F_MODRM | F_GRP | (i < 2 ? F_MUL : F_DIV), 4 + i);
		undef(i < 2 ? FL_SF | FL_ZF | FL_AF | FL_PF : FL_ALL);
	}
	add("test_Eb_Ib_alias", 0xf6, F_MODRM | F_GRP | F_BYTE | F_IMM8 |
	    F_UNDEF_AF, 1);
	add("test_Ev_Iz_alias", 0xf7, F_MODRM | F_GRP | F_IMMZ | F_UNDEF_AF, 1);
	add("imul_Gv_Ev", 0xaf, F_0F | F_MODRM | F_MUL, 0);
	undef(FL_SF | FL_ZF | FL_AF | FL_PF);
	add("imul_Gv_Ev_Iz", 0x69, F_MODRM | F_IMMZ | F_MUL, 0);
	undef(FL_SF | FL_ZF | FL_AF | FL_PF);
	add("imul_Gv_Ev_Ib", 0x6b, F_MODRM | F_IMM8 | F_MUL, 0);
	undef(FL_SF | FL_ZF | FL_AF | FL_PF);
	add("movbe_Gv_Mv", 0xf0, F_0F38 | F_MODRM | F_MEMONLY, 0);
	add("movbe_Mv_Gv", 0xf1, F_0F38 | F_MODRM | F_MEMONLY, 0);
	add("cmpxchg8b_Mq", 0xc7, F_0F | F_MODRM | F_GRP | F_MEMONLY | F_LOCK |
	    F_CX8 | F_NOREXW, 1);
	add("cmpxchg16b_Mdq", 0xc7, F_0F | F_MODRM | F_GRP | F_MEMONLY |
	    F_LOCK | F_CX8 | F_REXW, 1);
	add("bsf_Gv_Ev", 0xbc, F_0F | F_MODRM | F_BSF, 0);
	undef(FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
	add("bsr_Gv_Ev", 0xbd, F_0F | F_MODRM | F_BSF, 0);
	undef(FL_CF | FL_OF | FL_SF | FL_AF | FL_PF);
	add("popcnt_Gv_Ev", 0xb8, F_0F | F_F3 | F_MODRM | F_BSF, 0);
	add("tzcnt_Gv_Ev", 0xbc, F_0F | F_F3 | F_MODRM | F_BSF, 0);
	undef(FL_OF | FL_SF | FL_AF | FL_PF);
	add("lzcnt_Gv_Ev", 0xbd, F_0F | F_F3 | F_MODRM | F_BSF, 0);
	undef(FL_OF | FL_SF | FL_AF | FL_PF);
	add("push_Zv", 0x50, F_OPREG | F_STACK, 0);
	add("pop_Zv", 0x58, F_OPREG | F_STACK | F_POP, 0);
	add("push_Iz", 0x68, F_IMMZ | F_STACK, 0);
	add("push_Ib", 0x6a, F_IMM8 | F_STACK, 0);
	for (i = 0; i < 16; i++) {
		snprintf(n, sizeof(n), "cmov%s_Gv_Ev", cc[i]);
		add(n, 0x40 + i, F_0F | F_MODRM, 0);
	}
}

static void build_forms(void)
{
	static const char *const alu[8] = { "add", "or", "adc", "sbb", "and",
					    "sub", "xor", "cmp" };
	static const char *const bt[4] = { "bt", "bts", "btr", "btc" };
	char n[32];
	unsigned int i;
	u32 lk, lg;

	for (i = 0; i < 8; i++) {
		lk = i == 7 ? 0 : F_LOCK;
		lg = (i == 1 || i == 4 || i == 6) ? F_UNDEF_AF : 0;
		snprintf(n, sizeof(n), "%s_Eb_Gb", alu[i]);
		add(n, i * 8 + 0, F_MODRM | F_BYTE | lk | lg, 0);
		snprintf(n, sizeof(n), "%s_Ev_Gv", alu[i]);
		add(n, i * 8 + 1, F_MODRM | lk | lg, 0);
		snprintf(n, sizeof(n), "%s_Gb_Eb", alu[i]);
		add(n, i * 8 + 2, F_MODRM | F_BYTE | lg, 0);
		snprintf(n, sizeof(n), "%s_Gv_Ev", alu[i]);
		add(n, i * 8 + 3, F_MODRM | lg, 0);
		snprintf(n, sizeof(n), "%s_AL_Ib", alu[i]);
		add(n, i * 8 + 4, F_BYTE | F_IMM8 | lg, 0);
		snprintf(n, sizeof(n), "%s_rAX_Iz", alu[i]);
		add(n, i * 8 + 5, F_IMMZ | lg, 0);
		snprintf(n, sizeof(n), "%s_Eb_Ib", alu[i]);
		add(n, 0x80, F_MODRM | F_GRP | F_BYTE | F_IMM8 | lk | lg, i);
		snprintf(n, sizeof(n), "%s_Ev_Iz", alu[i]);
		add(n, 0x81, F_MODRM | F_GRP | F_IMMZ | lk | lg, i);
		snprintf(n, sizeof(n), "%s_Ev_Ib", alu[i]);
		add(n, 0x83, F_MODRM | F_GRP | F_IMM8 | lk | lg, i);
	}
	add("test_Eb_Gb", 0x84, F_MODRM | F_BYTE | F_UNDEF_AF, 0);
	add("test_Ev_Gv", 0x85, F_MODRM | F_UNDEF_AF, 0);
	add("test_AL_Ib", 0xa8, F_BYTE | F_IMM8 | F_UNDEF_AF, 0);
	add("test_rAX_Iz", 0xa9, F_IMMZ | F_UNDEF_AF, 0);
	add("test_Eb_Ib", 0xf6, F_MODRM | F_GRP | F_BYTE | F_IMM8 | F_UNDEF_AF, 0);
	add("test_Ev_Iz", 0xf7, F_MODRM | F_GRP | F_IMMZ | F_UNDEF_AF, 0);
	add("not_Eb", 0xf6, F_MODRM | F_GRP | F_BYTE | F_LOCK, 2);
	add("not_Ev", 0xf7, F_MODRM | F_GRP | F_LOCK, 2);
	add("neg_Eb", 0xf6, F_MODRM | F_GRP | F_BYTE | F_LOCK, 3);
	add("neg_Ev", 0xf7, F_MODRM | F_GRP | F_LOCK, 3);
	add("inc_Eb", 0xfe, F_MODRM | F_GRP | F_BYTE | F_LOCK, 0);
	add("dec_Eb", 0xfe, F_MODRM | F_GRP | F_BYTE | F_LOCK, 1);
	add("inc_Ev", 0xff, F_MODRM | F_GRP | F_LOCK, 0);
	add("dec_Ev", 0xff, F_MODRM | F_GRP | F_LOCK, 1);
	add("mov_Eb_Gb", 0x88, F_MODRM | F_BYTE, 0);
	add("mov_Ev_Gv", 0x89, F_MODRM, 0);
	add("mov_Gb_Eb", 0x8a, F_MODRM | F_BYTE, 0);
	add("mov_Gv_Ev", 0x8b, F_MODRM, 0);
	add("mov_Eb_Ib", 0xc6, F_MODRM | F_GRP | F_BYTE | F_IMM8, 0);
	add("mov_Ev_Iz", 0xc7, F_MODRM | F_GRP | F_IMMZ, 0);
	add("mov_AL_Ob", 0xa0, F_MOFFS | F_BYTE, 0);
	add("mov_rAX_Ov", 0xa1, F_MOFFS, 0);
	add("mov_Ob_AL", 0xa2, F_MOFFS | F_BYTE, 0);
	add("mov_Ov_rAX", 0xa3, F_MOFFS, 0);
	add("movzx_Gv_Eb", 0xb6, F_0F | F_MODRM, 0);
	add("movzx_Gv_Ew", 0xb7, F_0F | F_MODRM, 0);
	add("movsx_Gv_Eb", 0xbe, F_0F | F_MODRM, 0);
	add("movsx_Gv_Ew", 0xbf, F_0F | F_MODRM, 0);
	add("movsxd_Gv_Ed", 0x63, F_MODRM, 0);
	add("xchg_Eb_Gb", 0x86, F_MODRM | F_BYTE | F_LOCK, 0);
	add("xchg_Ev_Gv", 0x87, F_MODRM | F_LOCK, 0);
	add("cmpxchg_Eb_Gb", 0xb0, F_0F | F_MODRM | F_BYTE | F_LOCK | F_ACC, 0);
	add("cmpxchg_Ev_Gv", 0xb1, F_0F | F_MODRM | F_LOCK | F_ACC, 0);
	add("xadd_Eb_Gb", 0xc0, F_0F | F_MODRM | F_BYTE | F_LOCK, 0);
	add("xadd_Ev_Gv", 0xc1, F_0F | F_MODRM | F_LOCK, 0);
	for (i = 0; i < 4; i++) {
		snprintf(n, sizeof(n), "%s_Ev_Gv", bt[i]);
		add(n, 0xa3 + i * 8, F_0F | F_MODRM | F_BTREG | F_UNDEF_BT |
		    (i ? F_LOCK : 0), 0);
		snprintf(n, sizeof(n), "%s_Ev_Ib", bt[i]);
		add(n, 0xba, F_0F | F_MODRM | F_GRP | F_IMM8 | F_UNDEF_BT |
		    (i ? F_LOCK : 0), 4 + i);
	}
	for (i = 0; i < 16; i++) {
		snprintf(n, sizeof(n), "set%s_Eb", cc[i]);
		add(n, 0x90 + i, F_0F | F_MODRM | F_BYTE, 0);
	}
	add("movnti_My_Gy", 0xc3, F_0F | F_MODRM | F_MEMONLY | F_NO66, 0);
	add("movsb", 0xa4, F_STR | F_BYTE, 0);
	add("movs", 0xa5, F_STR, 0);
	add("cmpsb", 0xa6, F_STR | F_BYTE | F_REPNE, 0);
	add("cmps", 0xa7, F_STR | F_REPNE, 0);
	add("stosb", 0xaa, F_STR | F_BYTE, 0);
	add("stos", 0xab, F_STR, 0);
	add("lodsb", 0xac, F_STR | F_BYTE, 0);
	add("lods", 0xad, F_STR, 0);
	add("scasb", 0xae, F_STR | F_BYTE | F_REPNE, 0);
	add("scas", 0xaf, F_STR | F_REPNE, 0);
	add("push_Ev", 0xff, F_MODRM | F_GRP | F_STACK, 6);
	add("pop_Ev", 0x8f, F_MODRM | F_GRP | F_STACK | F_POP, 0);
	build_forms2();
}

struct tcase {
	u8 insn[32];		/* room to build; more than 15 is rejected */
	unsigned int len;
	struct native_run in;
	u8 mem[NATIVE_DATA_SIZE];
	u8 seg;			/* 0 none, else the override byte */
	bool lock;
	u64 undef;		/* SDM-undefined: compared only on AMD */
	u64 unpredictable;	/* not compared on any CPU */
};

static u64 mask_of(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

static bool fits_s32(s64 v)
{
	return v >= -0x80000000LL && v <= 0x7fffffffLL;
}

/* The multiplicative inverse of odd m modulo 2^64 (Newton's iteration). */
static u64 inverse(u64 m)
{
	u64 x = m;
	int i;

	for (i = 0; i < 6; i++)
		x *= 2 - m * x;
	return x;
}

static void shuffle(struct unit_rng *r, u8 *p, unsigned int n)
{
	unsigned int i, j;
	u8 t;

	for (i = n; i > 1; i--) {
		j = rng_below(r, i);
		t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
}

static void put_le(u8 *p, u64 v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (i * 8);
}

/* The value of register e at a width, AH..BH without REX. */
static u64 *reg_slot(struct tcase *t, unsigned int e, bool rex,
		     unsigned int bytes, unsigned int *shift)
{
	*shift = 0;
	if (bytes == 1 && !rex && e >= 4 && e < 8) {
		*shift = 8;
		return &t->in.regs[e - 4];
	}
	return &t->in.regs[e];
}

static u64 get_src(struct tcase *t, u8 *m, unsigned int e, bool rex,
		   unsigned int bytes)
{
	unsigned int sh;
	u64 v = 0;

	if (m) {
		memcpy(&v, m, bytes);
		return v;
	}
	v = *reg_slot(t, e, rex, bytes, &sh);
	return (v >> sh) & mask_of(bytes);
}

static void set_src(struct tcase *t, u8 *m, unsigned int e, bool rex,
		    unsigned int bytes, u64 v)
{
	unsigned int sh;
	u64 *p;

	if (m) {
		memcpy(m, &v, bytes);
		return;
	}
	p = reg_slot(t, e, rex, bytes, &sh);
	*p = (*p & ~(mask_of(bytes) << sh)) | ((v & mask_of(bytes)) << sh);
}

/*
 * Per-form adjustments once the operands are placed: m is the memory
 * operand (NULL for a register one, e), bytes the operand size.  Counts
 * and undefined flags of the shifts, dividends that mostly fit, zero
 * sources for the bit scans, equal CMPXCHG8B operands.  False: try again.
 */
static bool fixup_case(struct unit_rng *r, const struct form *f,
		       struct tcase *t, u8 *m, unsigned int e, bool rex,
		       unsigned int bytes, u32 fixed, unsigned int dreg)
{
	unsigned int bits = bytes * 8, c, op = f->grp;
	u64 v, hi;

	t->undef = f->undef;
	t->unpredictable = 0;
	if (f->flags & F_SHIFT) {
		if (f->op == 0xd0 || f->op == 0xd1)
			c = 1;
		else if (f->flags & F_IMM8)
			c = t->insn[t->len - 1];
		else
			c = t->in.regs[1] & 0xff;
		c &= bytes == 8 ? 63 : 31;
		if (!c)
			return true;
		if (f->flags & F_0F) {		/* SHLD/SHRD */
			/*
			 * Beyond 16 bits the result itself is undefined: the
			 * emulator gives AMD's, but not AMD's CF; from 16 OF
			 * follows no rule we found.
			 */
			if (bytes == 2 && c > 16 && !cpu_is_amd)
				return false;
			t->undef = FL_AF | (c > 1 ? FL_OF : 0);
			if (bytes == 2 && c >= 16)
				t->unpredictable = FL_OF | (c > 16 ? FL_CF : 0);
		} else if (op >= 4) {		/* shifts */
			t->undef = FL_AF | (c > 1 ? FL_OF : 0);
			if (op != 7 && c >= bits)
				t->undef |= FL_CF;
		} else {			/* rotates */
			t->undef = c > 1 ? FL_OF : 0;
		}
		return true;
	}
	if ((f->flags & F_DIV) && rng_below(r, 16)) {
		/* The divisor, and the dividend's high half: AH or rDX. */
		if (!m && e == (bytes == 1 ? 4 : 2))
			return true;	/* the divisor is the high half */
		if (fixed & (bytes == 1 ? 1 : 4))
			return true;	/* it addresses the operand */
		v = get_src(t, m, e, rex, bytes);
		if (rng_below(r, 16) == 0)
			v = 0;
		else if (!v)
			v = 1 + rng_below(r, 100);
		set_src(t, m, e, rex, bytes, v);
		if (!v)
			return true;
		if (f->grp == 6) {
			hi = rng64(r) % v;
		} else {
			/* A high half that is the sign of the low one, or a
			 * small value: the quotient then mostly fits. */
			u64 av = (s64)(v << (64 - bits)) < 0 ?
				 -(v | ~mask_of(bytes)) : v;

			hi = rng_below(r, 2) ? rng64(r) % (av / 2 + 1) : 0;
			if (rng_below(r, 2))
				hi = -hi - 1;
			if (rng_below(r, 2)) {
				u64 lo = t->in.regs[0] & mask_of(bytes);

				hi = (lo >> (bits - 1)) & 1 ? ~0ULL : 0;
			}
		}
		if (bytes == 1)
			t->in.regs[0] = (t->in.regs[0] & ~0xff00ULL) |
					((hi & 0xff) << 8);
		else
			set_src(t, NULL, 2, true, bytes, hi);
		return true;
	}
	if ((f->flags & F_BSF) && rng_below(r, 4) == 0) {
		set_src(t, m, e, rex, bytes, 0);
		/*
		 * BSF/BSR of zero leave the destination alone on AMD; Intel
		 * clears bits 63:32 of a 32-bit one.  Let both agree.
		 */
		if (!cpu_is_amd && bytes == 4 && !(fixed & (1u << dreg)))
			t->in.regs[dreg] &= 0xffffffffULL;
		return true;
	}
	if ((f->flags & F_CX8) && m && rng_below(r, 2)) {
		unsigned int h = bytes / 2;

		memcpy(m, &t->in.regs[0], h);
		memcpy(m + h, &t->in.regs[2], h);
	}
	return true;
}

/*
 * Build one random encoding of form f with registers and memory that put
 * its memory operand (if any) in the data area.  False: try again.
 */
static bool gen_case(struct unit_rng *r, const struct form *f,
		     struct tcase *t)
{
	u64 data = (u64)(unsigned long)native_data(), seg_base = 0;
	u8 pfx[8];
	unsigned int np = 0, i, n = 0, opsize, adsize, mod = 3, reg = 0, rm = 0;
	unsigned int disp_len = 0, imm_len = 0, disp_off = 0, scale = 1;
	int base = -1, index = -1;
	bool o66 = false, o67 = false, rip_rel = false, mem = false;
	u8 rex = 0, sib = 0, seg = 0, rep = 0;
	u64 ea, target, disp = 0, fixed = 0;
	u32 x;

	for (i = 0; i < 16; i++)
		t->in.regs[i] = rng64(r);
	t->in.regs[4] = data + 0x1000 + rng_below(r, 0x100);
	t->in.rflags = 2 | (rng64(r) & 0x8d5);	/* arithmetic flags and DF */
	for (i = 0; i < sizeof(t->mem); i += 8) {
		u64 v = rng64(r);

		memcpy(t->mem + i, &v, 8);
	}

	/* Prefixes. */
	x = rng_below(r, 20);
	if (x < 10)
		seg = 0;
	else if (x < 14)
		seg = 0x26 + (x - 10) * 8;	/* ES CS SS DS: ignored */
	else if (x < 16)
		seg = 0x64;
	else
		seg = 0x65;
	if (seg)
		pfx[np++] = seg;
	if (!(f->flags & F_NO66) && rng_below(r, 3) == 0) {
		o66 = true;
		pfx[np++] = 0x66;
	}
	if ((f->flags & (F_MODRM | F_MOFFS | F_STR)) && rng_below(r, 4) == 0) {
		o67 = true;
		pfx[np++] = 0x67;
	}
	if (f->flags & F_STR) {
		x = rng_below(r, 3);
		if (x == 1 || (x == 2 && !(f->flags & F_REPNE)))
			rep = 0xf3;
		else if (x == 2)
			rep = 0xf2;
	}
	if (f->flags & F_F3)
		rep = 0xf3;
	if (rep)
		pfx[np++] = rep;
	shuffle(r, pfx, np);
	if (rng_below(r, 2))
		rex = 0x40 | rng_below(r, 16);
	if (f->flags & F_REXW)
		rex |= 0x48;
	if (f->flags & F_NOREXW)
		rex &= ~8;
	if (rex == 0x40 && (f->flags & F_NOREXW) && rng_below(r, 2))
		rex = 0;

	opsize = (f->flags & F_BYTE) ? 1 : (rex & 8) ? 8 : o66 ? 2 : 4;
	if (f->flags & F_STACK)
		opsize = (rex & 8) ? 8 : o66 ? 2 : 8;
	if (f->flags & F_CX8)
		opsize = (rex & 8) ? 16 : 8;
	adsize = o67 ? 4 : 8;

	/* ModRM, SIB, displacement. */
	if (f->flags & F_MODRM) {
		if ((f->flags & F_MEMONLY) || rng_below(r, 4))
			mod = rng_below(r, 3);
		reg = (f->flags & F_GRP) ? f->grp : rng_below(r, 8);
		rm = rng_below(r, 8);
		if (mod != 3) {
			mem = true;
			if (rm == 4)
				sib = rng64(r);
			if (mod == 1)
				disp_len = 1;
			else if (mod == 2)
				disp_len = 4;
			if (rm == 4) {
				scale = 1u << (sib >> 6);
				index = ((sib >> 3) & 7) | ((rex & 2) << 2);
				if (index == 4)
					index = -1;
				base = (sib & 7) | ((rex & 1) << 3);
				if ((sib & 7) == 5 && mod == 0) {
					base = -1;
					disp_len = 4;
				}
			} else if (rm == 5 && mod == 0) {
				rip_rel = true;
				disp_len = 4;
			} else {
				base = rm | ((rex & 1) << 3);
			}
		}
	} else if (f->flags & (F_MOFFS | F_STR)) {
		mem = true;
	}
	if (mem && rng_below(r, 3) == 0 && (f->flags & F_LOCK))
		t->lock = true;
	else
		t->lock = false;
	if (f->flags & F_IMM8)
		imm_len = 1;
	else if (f->flags & F_IMMZ)
		imm_len = opsize == 2 ? 2 : 4;
	else if (f->flags & F_MOFFS)
		imm_len = adsize;

	/* Lay out the bytes; displacement and moffs are filled in below. */
	if (t->lock)
		t->insn[n++] = 0xf0;
	memcpy(t->insn + n, pfx, np);
	n += np;
	if (rex)
		t->insn[n++] = rex;
	if (f->flags & (F_0F | F_0F38))
		t->insn[n++] = 0x0f;
	if (f->flags & F_0F38)
		t->insn[n++] = 0x38;
	t->insn[n++] = f->op;
	if (f->flags & F_OPREG)
		t->insn[n - 1] |= rng_below(r, 8);
	if (f->flags & F_MODRM) {
		t->insn[n++] = (mod << 6) | ((reg & 7) << 3) | (rm & 7);
		if (mem && rm == 4)
			t->insn[n++] = sib;
	}
	disp_off = n;
	n += disp_len;
	for (i = 0; i < imm_len; i++)
		t->insn[n + i] = rng64(r);
	n += imm_len;
	if (n > 15)
		return false;
	t->len = n;
	reg |= (rex & 4) << 1;

	if (seg == 0x64)
		seg_base = native_fs_base();
	else if (seg == 0x65)
		seg_base = native_gs_base();
	t->seg = seg;

	/* The memory target: well inside the data area. */
	target = data + 0x300 + rng_below(r, NATIVE_DATA_SIZE - 0x600);
	if ((f->flags & F_REXW) && rng_below(r, 8))
		target &= ~15ULL;	/* CMPXCHG16B: mostly aligned */
	if (f->flags & F_STR) {
		u64 di_lin = data + 0x300 +
			     rng_below(r, NATIVE_DATA_SIZE - 0x600);
		u64 si = target - seg_base, di = di_lin;
		unsigned int so = target - data, dof = di_lin - data;
		int k;

		if (o67 && (si >> 32 || di >> 32))
			return false;
		if (o67) {
			si |= rng64(r) << 32;
			di |= rng64(r) << 32;
		}
		t->in.regs[6] = si;
		t->in.regs[7] = di;
		if (rep)
			t->in.regs[1] = (o67 ? rng64(r) << 32 : 0) |
					rng_below(r, 9);
		/* Make CMPS and SCAS see equal elements for a while. */
		for (k = -64; (f->flags & F_REPNE) && k < 64; k++) {
			if (rng_below(r, 16) == 0)
				continue;
			if (f->op & 8)
				t->mem[dof + k] = 0x5a;
			else
				t->mem[dof + k] = t->mem[so + k];
		}
		if ((f->flags & F_REPNE) && (f->op & 8) && rng_below(r, 4))
			t->in.regs[0] = 0x5a5a5a5a5a5a5a5aULL;
		return true;
	}
	if (!mem)
		goto done;

	ea = target - seg_base;
	if (o67 && ea >> 32)
		return false;
	if (f->flags & F_MOFFS) {
		put_le(t->insn + n - imm_len, ea, imm_len);
		goto done;
	}
	if (disp_len == 1)
		disp = (u64)(s64)(s8)rng64(r);
	else if (disp_len == 4)
		disp = (u64)(s64)(s32)rng64(r);
	if (rip_rel) {
		disp = ea - (native_insn_addr() + t->len);
		if (!o67 && !fits_s32((s64)disp))
			return false;
		disp = (u64)(s64)(s32)disp;
	} else if (base < 0 && index < 0) {
		if (!o67 && !fits_s32((s64)ea))
			return false;
		disp = (u64)(s64)(s32)ea;
	} else if (base < 0) {
		if (disp_len == 4)
			disp = (u64)(s64)(s32)(rng64(r) & 0xfff) - 0x800;
		disp += (ea - disp) & (scale - 1);
		t->in.regs[index] = (ea - disp) / scale;
		if (o67)
			t->in.regs[index] = (t->in.regs[index] & 0xffffffffULL) |
					    (rng64(r) << 32);
		fixed |= 1u << index;
	} else if (base == index) {
		u64 m = scale + 1;

		if (!(m & 1)) {
			if ((ea - disp) & 1)
				disp = disp_len == 1 ? (u64)(s64)(s8)(disp + 1) :
				       (u64)(s64)(s32)(disp + 1);
			if ((ea - disp) & 1)
				return false;
			t->in.regs[base] = (ea - disp) >> 1;
		} else {
			t->in.regs[base] = (ea - disp) * inverse(m);
		}
		fixed |= 1u << base;
	} else {
		if (f->flags & F_STACK && base == 4) {
			if (index >= 0)
				t->in.regs[index] = rng_below(r, 8);
			if (disp_len == 4)
				disp = (u64)(s64)(s32)rng_below(r, 64);
		}
		if (index >= 0) {
			fixed |= 1u << index;
			ea -= t->in.regs[index] * scale;
		}
		if ((f->flags & F_POP) && base == 4)
			ea -= opsize;
		t->in.regs[base] = ea - disp;
		if (o67 && base != 4)
			t->in.regs[base] = (t->in.regs[base] & 0xffffffffULL) |
					   (rng64(r) << 32);
		fixed |= 1u << base;
	}
	if ((f->flags & F_STACK) && (fixed & 0x10) && !(base == 4 && index != 4))
		return false;
	put_le(t->insn + disp_off, disp, disp_len);
	if ((f->flags & F_STACK) && (fixed & 0x10)) {
		u64 sp = t->in.regs[4];

		if (sp < data + 0x40 || sp > data + NATIVE_DATA_SIZE - 0x40)
			return false;
	}
	if (f->flags & F_BTREG) {
		s64 off;

		if (fixed & (1u << reg))
			return false;
		off = (s64)rng_below(r, 401) - 200;
		t->in.regs[reg] = (rng64(r) & ~mask_of(opsize)) |
				  ((u64)off & mask_of(opsize));
	}
done:
	if (!fixup_case(r, f, t, mem ? t->mem + (target - data) : NULL,
			rm | ((rex & 1) << 3), !!rex, opsize, fixed, reg))
		return false;
	if ((f->flags & F_ACC) && !(fixed & 1) && rng_below(r, 2)) {
		u64 v;

		if (mem) {
			v = 0;
			memcpy(&v, t->mem + (target - data), opsize);
		} else {
			unsigned int e = rm | ((rex & 1) << 3);

			v = t->in.regs[e];
			if (opsize == 1 && !rex && e >= 4 && e < 8)
				v = t->in.regs[e - 4] >> 8;
		}
		t->in.regs[0] = (t->in.regs[0] & ~mask_of(opsize)) |
				(v & mask_of(opsize));
	}
	return true;
}

static u8 emu_mem[NATIVE_DATA_SIZE];
static unsigned int fault_cases;	/* per form: #DE or #GP on both sides */

static void hex(char *out, size_t n, const u8 *p, unsigned int len)
{
	unsigned int i;

	out[0] = 0;
	for (i = 0; i < len && 3 * i + 3 < n; i++)
		sprintf(out + 3 * i, "%02x ", p[i]);
}

/* Run t through the emulator; the result, with *c holding its state. */
static int emulate(struct unit_rng *r, struct tcase *t,
		   struct kvmx_emu_ctxt *c, struct fake_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->base = (u64)(unsigned long)native_data();
	g->size = NATIVE_DATA_SIZE;
	g->mem = emu_mem;
	g->code_base = native_code_base();
	g->code_size = native_code_size();
	g->code = native_code();
	g->no_cmpxchg = rng_below(r, 4) == 0;
	memcpy(emu_mem, t->mem, sizeof(emu_mem));
	fake_ctxt64(c, g);
	c->seg[KVMX_EMU_FS].base = native_fs_base();
	c->seg[KVMX_EMU_GS].base = native_gs_base();
	memcpy(c->regs, t->in.regs, sizeof(c->regs));
	c->rip = native_insn_addr();
	c->rflags = t->in.rflags;
	/* Sometimes hand over bytes as decode assists would. */
	c->insn_len = rng_below(r, 16);
	memcpy(c->insn_bytes, native_code() + (native_insn_addr() -
	       native_code_base()), c->insn_len);
	return kvmx_emulate(c);
}

static const char *const reg_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* Compare one case; false (with notes when asked) on any difference. */
static bool check_case(struct unit_rng *r, const struct form *f,
		       struct tcase *t, bool notes)
{
	u64 fmask = 0x8d5 | 0x400;	/* arithmetic flags and DF */
	struct native_run out = t->in;
	struct kvmx_emu_ctxt c;
	struct fake_guest g;
	bool ok = true;
	char b[64];
	unsigned int i;
	int sig, res;

	if (f->flags & F_UNDEF_AF)
		fmask &= ~0x10ULL;
	if (f->flags & F_UNDEF_BT)
		fmask &= ~(0x800ULL | 0x80 | 0x40 | 0x10 | 0x4);
	if (!cpu_is_amd || getenv("UNIT_DIFF_UNDEF_ALL"))
		fmask &= ~t->undef;
	fmask &= ~t->unpredictable;
	memcpy(native_data(), t->mem, NATIVE_DATA_SIZE);
	sig = native_exec(t->insn, t->len, &out);
	res = emulate(r, t, &c, &g);
	hex(b, sizeof(b), t->insn, t->len);
	if (sig == SIGFPE || (sig == SIGSEGV && (f->flags & F_REXW))) {
		/* #DE, or CMPXCHG16B's #GP: nothing done on either side. */
		if (res == KVMX_EMU_EXCEPTION &&
		    c.exception.vector == (sig == SIGFPE ? KVMX_EMU_VEC_DE :
					   KVMX_EMU_VEC_GP) &&
		    c.rip == native_insn_addr() &&
		    !memcmp(c.regs, t->in.regs, sizeof(c.regs)) &&
		    c.rflags == t->in.rflags &&
		    !memcmp(emu_mem, t->mem, sizeof(emu_mem))) {
			fault_cases++;
			return true;
		}
		if (notes)
			unit_note("%s: %s: native signal %d, emulator %d vector %u",
				  f->name, b, sig, res, c.exception.vector);
		return false;
	}
	if (sig) {
		if (notes)
			unit_note("%s: %s: native signal %d", f->name, b, sig);
		return false;
	}
	if (res != KVMX_EMU_OK) {
		if (notes)
			unit_note("%s: %s: emulator result %d (vector %u)",
				  f->name, b, res, c.exception.vector);
		return false;
	}
	if (c.rip != native_insn_addr() + t->len) {
		if (notes)
			unit_note("%s: %s: length %llu, not %u", f->name, b,
				  (unsigned long long)(c.rip -
						       native_insn_addr()),
				  t->len);
		ok = false;
	}
	for (i = 0; i < 16; i++) {
		if (out.regs[i] == c.regs[i])
			continue;
		if (notes)
			unit_note("%s: %s: %s in %016llx cpu %016llx emu %016llx",
				  f->name, b, reg_names[i],
				  (unsigned long long)t->in.regs[i],
				  (unsigned long long)out.regs[i],
				  (unsigned long long)c.regs[i]);
		ok = false;
	}
	if ((out.rflags ^ c.rflags) & fmask) {
		if (notes)
			unit_note("%s: %s: rflags in %03llx cpu %03llx emu %03llx",
				  f->name, b,
				  (unsigned long long)(t->in.rflags & fmask),
				  (unsigned long long)(out.rflags & fmask),
				  (unsigned long long)(c.rflags & fmask));
		ok = false;
	}
	for (i = 0; i < NATIVE_DATA_SIZE; i++) {
		if (native_data()[i] == emu_mem[i])
			continue;
		if (notes)
			unit_note("%s: %s: memory +%#x cpu %02x emu %02x",
				  f->name, b, i, native_data()[i], emu_mem[i]);
		ok = false;
		break;
	}
	return ok;
}

/* LOCK where the instruction does not allow it: #UD on both sides. */
static bool check_bad_lock(struct unit_rng *r, const struct form *f,
			   struct tcase *t, bool notes)
{
	struct native_run out = t->in;
	struct kvmx_emu_ctxt c;
	struct fake_guest g;
	char b[64];
	int sig, res;

	memcpy(native_data(), t->mem, NATIVE_DATA_SIZE);
	sig = native_exec(t->insn, t->len, &out);
	res = emulate(r, t, &c, &g);
	if (sig == SIGILL && res == KVMX_EMU_EXCEPTION &&
	    c.exception.vector == KVMX_EMU_VEC_UD &&
	    c.rip == native_insn_addr() && !g.writes)
		return true;
	if (notes) {
		hex(b, sizeof(b), t->insn, t->len);
		unit_note("%s: %s: native signal %d, emulator %d vector %u",
			  f->name, b, sig, res, c.exception.vector);
	}
	return false;
}

/* A form whose LOCK is #UD here: no memory operand, or not lockable. */
static bool make_bad_lock(struct unit_rng *r, const struct form *f,
			  struct tcase *t)
{
	unsigned int i, modrm_at;

	if (t->lock)
		return false;
	if (f->flags & F_LOCK) {
		/* Only the register form is #UD; find the ModRM byte. */
		for (i = 0; i < t->len; i++) {
			u8 x = t->insn[i];

			if (x == 0x66 || x == 0x67 || x == 0x26 || x == 0x2e ||
			    x == 0x36 || x == 0x3e || x == 0x64 || x == 0x65 ||
			    (x & 0xf0) == 0x40 || x == 0x0f)
				continue;
			break;
		}
		modrm_at = i + 1;
		if (modrm_at >= t->len || (t->insn[modrm_at] >> 6) != 3)
			return false;
	}
	(void)r;
	if (t->len >= 15)
		return false;	/* the LOCK would make it too long */
	memmove(t->insn + 1, t->insn, t->len);
	t->insn[0] = 0xf0;
	t->len++;
	return true;
}

void emu_diff_tests(void)
{
	static struct tcase t;
	struct unit_rng r = { unit_seed ^ 0xd1ff };
	unsigned int i, k, bad, notes, bad_lock = 0, lock_cases = 0;
	char why[128], name[64];

	if (!native_init(why, sizeof(why))) {
		unit_skip("diff", "%s", why);
		return;
	}
	build_forms();
	cpu_is_amd = native_cpu_is_amd();
	for (i = 0; i < nr_forms; i++) {
		const struct form *f = &forms[i];

		bad = 0;
		notes = 0;
		fault_cases = 0;
		for (k = 0; k < CASES_PER_FORM; k++) {
			while (!gen_case(&r, f, &t))
				;
			if (!check_case(&r, f, &t, notes < 3 || unit_verbose)) {
				bad++;
				notes++;
			}
		}
		snprintf(name, sizeof(name), "diff.%s", f->name);
		if (unit_verbose && fault_cases)
			unit_note("%s: %u cases fault on both sides", name,
				  fault_cases);
		if (bad)
			unit_fail(name, "%u of %u cases differ from the CPU",
				  bad, CASES_PER_FORM);
		else
			unit_pass(name);
	}
	/* LOCK #UD across all forms. */
	for (i = 0; i < nr_forms; i++) {
		for (k = 0; k < 40; k++) {
			while (!gen_case(&r, &forms[i], &t))
				;
			if (!make_bad_lock(&r, &forms[i], &t))
				continue;
			lock_cases++;
			if (!check_bad_lock(&r, &forms[i], &t, bad_lock < 5))
				bad_lock++;
		}
	}
	if (bad_lock)
		unit_fail("diff.lock_ud", "%u of %u cases", bad_lock,
			  lock_cases);
	else if (!lock_cases)
		unit_fail("diff.lock_ud", "no cases generated");
	else
		unit_pass("diff.lock_ud");
}
