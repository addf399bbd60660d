// SPDX-License-Identifier: GPL-2.0-only
/*
 * Multiplication and division: MUL, IMUL, DIV, IDIV of group 3 (F6/F7
 * /4-/7) on the accumulator pair, and the two- and three-operand IMUL
 * (0F AF, 69, 6B) (SDM Vol. 2 "MUL", "IMUL", "DIV", "IDIV").  Products
 * and dividends up to 128 bits are built from 64-bit halves, since the
 * kernel has no 128-bit division helpers.  A zero divisor or a quotient
 * that does not fit raises #DE with nothing written.
 */
#include "internal.h"

/* The 128-bit product of two 64-bit values, unsigned. */
static u64 emu_mulu128(u64 a, u64 b, u64 *hi)
{
	u64 a0 = (u32)a, a1 = a >> 32, b0 = (u32)b, b1 = b >> 32;
	u64 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	u64 mid = (p00 >> 32) + (u32)p01 + (u32)p10;

	*hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
	return (mid << 32) | (u32)p00;
}

/* The same, signed: correct the high half for negative factors. */
static u64 emu_muls128(u64 a, u64 b, u64 *hi)
{
	u64 lo = emu_mulu128(a, b, hi);

	if ((s64)a < 0)
		*hi -= b;
	if ((s64)b < 0)
		*hi -= a;
	return lo;
}

/* (hi:lo) / d for hi < d, so the quotient fits: long division. */
static u64 emu_divu128(u64 hi, u64 lo, u64 d, u64 *rem)
{
	u64 q = 0, carry;
	int i;

	for (i = 63; i >= 0; i--) {
		carry = hi >> 63;
		hi = (hi << 1) | ((lo >> i) & 1);
		q <<= 1;
		if (carry || hi >= d) {
			hi -= d;
			q |= 1;
		}
	}
	*rem = hi;
	return q;
}

/*
 * Divide the 2n-bit dividend hi:lo (already sign- or zero-extended to 128
 * bits) by the n-bit divisor d (extended to 64): false for #DE, a zero
 * divisor or a quotient outside the n-bit range (SDM Vol. 2 DIV, IDIV).
 */
static bool emu_divide(bool sign, u64 hi, u64 lo, u64 d, unsigned int bytes,
		       u64 *q, u64 *rem)
{
	bool neg_a = sign && (s64)hi < 0, neg_b = sign && (s64)d < 0;
	u64 bits = bytes * 8, limit;

	if (neg_a) {
		lo = -lo;
		hi = ~hi + !lo;
	}
	if (neg_b)
		d = -d;
	if (!d || hi >= d)
		return false;
	*q = emu_divu128(hi, lo, d, rem);
	if (!sign)
		return *q <= emu_mask(bytes);
	/* The magnitude allowed: 2^(n-1) - 1, or 2^(n-1) for a negative. */
	limit = (1ULL << (bits - 1)) - (neg_a == neg_b);
	if (*q > limit)
		return false;
	if (neg_a != neg_b)
		*q = -*q;
	if (neg_a)
		*rem = -*rem;
	return true;
}

/*
 * MUL and IMUL leave CF and OF set when the high half is significant;
 * SF, ZF, AF and PF are undefined (SDM Vol. 2 MUL, IMUL): they are left
 * as they were, as AMD CPUs leave them.
 */
static void emu_mul_flags(struct kvmx_emu_ctxt *ctxt, bool overflow)
{
	ctxt->rflags &= ~(EMU_CF | EMU_OF);
	if (overflow)
		ctxt->rflags |= EMU_CF | EMU_OF;
}

/* F6/F7 /4 MUL, /5 IMUL: rDX:rAX (AX for bytes) = rAX * r/m. */
static void exec_mul(struct kvmx_emu_ctxt *ctxt, bool sign, u64 src,
		     unsigned int bytes)
{
	u64 a = ctxt->regs[KVMX_EMU_RAX], lo, hi;
	bool overflow;

	if (bytes == 8) {
		lo = sign ? emu_muls128(a, src, &hi) : emu_mulu128(a, src, &hi);
		overflow = sign ? hi != (u64)((s64)lo >> 63) : hi != 0;
	} else {
		if (sign)
			lo = (u64)((s64)emu_sext(a, bytes) *
				   (s64)emu_sext(src, bytes));
		else
			lo = (a & emu_mask(bytes)) * (src & emu_mask(bytes));
		hi = lo >> (bytes * 8);
		overflow = sign ? emu_sext(lo, bytes) != emu_sext(lo, 2 * bytes)
				: (hi & emu_mask(bytes)) != 0;
	}
	if (bytes == 1) {
		emu_reg_set_ad(ctxt, KVMX_EMU_RAX, 2, lo);
	} else {
		emu_reg_set_ad(ctxt, KVMX_EMU_RAX, bytes, lo);
		emu_reg_set_ad(ctxt, KVMX_EMU_RDX, bytes, hi);
	}
	emu_mul_flags(ctxt, overflow);
}

/* F6/F7 /6 DIV, /7 IDIV: rAX = rDX:rAX / r/m, rDX = the remainder. */
static int exec_div(struct kvmx_emu_ctxt *ctxt, bool sign, u64 src,
		    unsigned int bytes)
{
	u64 a = ctxt->regs[KVMX_EMU_RAX], dx = ctxt->regs[KVMX_EMU_RDX];
	u64 hi = 0, lo, q, rem;

	if (bytes == 8) {
		hi = dx;
		lo = a;
	} else if (bytes == 1) {
		lo = a & 0xffff;
	} else {
		lo = ((dx & emu_mask(bytes)) << (bytes * 8)) |
		     (a & emu_mask(bytes));
	}
	if (sign) {
		if (bytes < 8) {
			lo = emu_sext(lo, 2 * bytes);
			hi = (s64)lo < 0 ? ~0ULL : 0;
		}
		src = emu_sext(src, bytes);
	} else {
		src &= emu_mask(bytes);
	}
	if (!emu_divide(sign, hi, lo, src, bytes, &q, &rem))
		return emu_exception(ctxt, KVMX_EMU_VEC_DE, false, 0);
	if (bytes == 1) {
		emu_reg_set_ad(ctxt, KVMX_EMU_RAX, 2,
			       ((rem & 0xff) << 8) | (q & 0xff));
	} else {
		emu_reg_set_ad(ctxt, KVMX_EMU_RAX, bytes, q);
		emu_reg_set_ad(ctxt, KVMX_EMU_RDX, bytes, rem);
	}
	/*
	 * All six arithmetic flags are undefined.  AMD CPUs keep CF and OF,
	 * set AF and clear SF, ZF and PF; so do we.
	 */
	ctxt->rflags = (ctxt->rflags & ~(EMU_SF | EMU_ZF | EMU_PF)) | EMU_AF;
	return KVMX_EMU_OK;
}

int emu_exec_muldiv(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int op = emu_group_op(d);
	u64 src;
	int r;

	if (d->lock)
		return emu_ud(ctxt);
	r = emu_get_rm(ctxt, d, d->opsize, EMU_READ, &src);
	if (r != KVMX_EMU_OK)
		return r;
	if (op <= 5) {
		exec_mul(ctxt, op == 5, src, d->opsize);
		return KVMX_EMU_OK;
	}
	return exec_div(ctxt, op == 7, src, d->opsize);
}

/* IMUL Gv, Ev (0F AF) and IMUL Gv, Ev, imm (69, 6B): a truncated product. */
int emu_exec_imul(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize;
	u64 a, b, lo, hi;
	bool overflow;
	int r;

	r = emu_get_rm(ctxt, d, bytes, EMU_READ, &a);
	if (r != KVMX_EMU_OK)
		return r;
	b = d->desc.handler == H_IMUL2 ? emu_reg_get(ctxt, d, d->reg, bytes) :
	    d->imm;
	if (bytes == 8) {
		lo = emu_muls128(a, b, &hi);
		overflow = hi != (u64)((s64)lo >> 63);
	} else {
		lo = (u64)((s64)emu_sext(a, bytes) * (s64)emu_sext(b, bytes));
		overflow = emu_sext(lo, bytes) != lo;
	}
	emu_reg_set(ctxt, d, d->reg, bytes, lo);
	emu_mul_flags(ctxt, overflow);
	return KVMX_EMU_OK;
}
