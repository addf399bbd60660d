// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arithmetic flags: the eight ALU operations of opcodes 00-3F and
 * 80-83 with the CF/PF/AF/ZF/SF/OF they leave (SDM Vol. 1 3.4.3.1 and
 * Appendix A), and the condition codes Jcc/SETcc/CMOVcc test (SDM Vol. 1
 * Appendix B).  Flags come from the operands and the result directly, as
 * the carry and borrow chains, so one formula serves every operand size.
 */
#include "internal.h"

/* PF: set when the low byte of the result has an even number of ones. */
static u64 emu_parity(u64 res)
{
	u8 v = res;

	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return (v & 1) ? 0 : EMU_PF;
}

u64 emu_szp(u64 res, unsigned int bytes)
{
	u64 f = emu_parity(res);

	if (!(res & emu_mask(bytes)))
		f |= EMU_ZF;
	if ((res >> (bytes * 8 - 1)) & 1)
		f |= EMU_SF;
	return f;
}

/*
 * Run one ALU operation on bytes-wide operands and replace the six
 * arithmetic flags in *rflags.  For the logical operations AF is
 * undefined; the result leaves it clear, as the processors we compare
 * against do.
 */
u64 emu_alu(unsigned int op, u64 a, u64 b, unsigned int bytes, u64 *rflags)
{
	unsigned int msb = bytes * 8 - 1;
	u64 mask = emu_mask(bytes);
	u64 res, chain, f = 0, in;

	a &= mask;
	b &= mask;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		in = (op == ALU_ADC && (*rflags & EMU_CF)) ? 1 : 0;
		res = (a + b + in) & mask;
		/*
		 * The carry out of each bit: both inputs set, or one set and
		 * the carry into it (visible as a clear result bit).
		 */
		chain = (a & b) | ((a | b) & ~res);
		if ((~(a ^ b) & (a ^ res)) >> msb & 1)
			f |= EMU_OF;
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		in = (op == ALU_SBB && (*rflags & EMU_CF)) ? 1 : 0;
		res = (a - b - in) & mask;
		/* The borrow out of each bit. */
		chain = (~a & b) | ((~a | b) & res);
		if (((a ^ b) & (a ^ res)) >> msb & 1)
			f |= EMU_OF;
		break;
	case ALU_OR:
		res = a | b;
		chain = 0;
		break;
	case ALU_AND:
		res = a & b;
		chain = 0;
		break;
	default:
		res = a ^ b;
		chain = 0;
		break;
	}
	if ((chain >> msb) & 1)
		f |= EMU_CF;
	if (chain & 0x8)
		f |= EMU_AF;
	f |= emu_szp(res, bytes);
	*rflags = (*rflags & ~EMU_ARITH) | f;
	return res;
}

bool emu_cond(u64 rflags, unsigned int cc)
{
	bool cf = rflags & EMU_CF, zf = rflags & EMU_ZF;
	bool sf = rflags & EMU_SF, of = rflags & EMU_OF;
	bool pf = rflags & EMU_PF;
	bool r;

	switch ((cc >> 1) & 7) {
	case 0:
		r = of;
		break;
	case 1:
		r = cf;
		break;
	case 2:
		r = zf;
		break;
	case 3:
		r = cf || zf;
		break;
	case 4:
		r = sf;
		break;
	case 5:
		r = pf;
		break;
	case 6:
		r = sf != of;
		break;
	default:
		r = zf || sf != of;
		break;
	}
	/* Odd condition codes are the negations (SDM Vol. 2 Appendix B.1.4.7). */
	return (cc & 1) ? !r : r;
}
