// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shifts and rotates: group 2 (C0/C1 by imm8, D0/D1 by 1, D2/D3 by
 * CL: ROL ROR RCL RCR SHL SHR SAL SAR) and the double shifts SHLD/SHRD
 * (0F A4/A5/AC/AD), with the count masking and the flags of SDM Vol. 2
 * "SAL/SAR/SHL/SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").  Where the SDM
 * calls a flag or result undefined, the value is the one the AMD CPUs
 * the differential tests ran on produce (AF set by the shifts, OF from
 * the last step); Documentation/emulator.rst says which of those the
 * tests leave out on other CPUs.
 */
#include "internal.h"

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

static u64 emu_msb(u64 v, unsigned int bits)
{
	return (v >> (bits - 1)) & 1;
}

/*
 * One group-2 operation by a masked count c (1..63) on a bits-wide dst;
 * returns the result and sets CF/OF (and for shifts SF/ZF/PF/AF) in *fl.
 */
static u64 emu_shift(unsigned int op, u64 dst, unsigned int c,
		     unsigned int bits, u64 *fl)
{
	u64 mask = emu_mask(bits / 8), res, cf, of, f = *fl;
	unsigned int i, n;

	dst &= mask;
	switch (op) {
	case SH_ROL:
	case SH_ROR:
		/* The data rotates by c mod width; CF/OF follow the result. */
		n = c & (bits - 1);
		res = dst;
		if (n && op == SH_ROL)
			res = ((dst << n) | (dst >> (bits - n))) & mask;
		else if (n)
			res = ((dst >> n) | (dst << (bits - n))) & mask;
		if (op == SH_ROL) {
			cf = res & 1;
			of = emu_msb(res, bits) ^ cf;
		} else {
			cf = emu_msb(res, bits);
			of = cf ^ emu_msb(res, bits - 1);
		}
		f &= ~(EMU_CF | EMU_OF);
		break;
	case SH_RCL:
	case SH_RCR:
		/* Through CF: a (width + 1)-bit rotate (SDM: mod 9, mod 17). */
		n = c % (bits + 1);
		cf = f & EMU_CF ? 1 : 0;
		res = dst;
		for (i = 0; i < n; i++) {
			u64 out;

			if (op == SH_RCL) {
				out = emu_msb(res, bits);
				res = ((res << 1) | cf) & mask;
			} else {
				out = res & 1;
				res = (res >> 1) | (cf << (bits - 1));
			}
			cf = out;
		}
		if (op == SH_RCL)
			of = emu_msb(res, bits) ^ cf;
		else
			of = emu_msb(res, bits) ^ emu_msb(res, bits - 1);
		f &= ~(EMU_CF | EMU_OF);
		break;
	case SH_SHL:
	case SH_SAL:
		res = c >= bits ? 0 : (dst << c) & mask;
		cf = c > bits ? 0 : (dst >> (bits - c)) & 1;
		of = emu_msb(res, bits) ^ cf;
		f = (f & ~EMU_ARITH) | emu_szp(res, bits / 8) | EMU_AF;
		break;
	case SH_SHR:
		res = c >= bits ? 0 : dst >> c;
		cf = c > bits ? 0 : (dst >> (c - 1)) & 1;
		of = c == 1 ? emu_msb(dst, bits) : 0;
		f = (f & ~EMU_ARITH) | emu_szp(res, bits / 8) | EMU_AF;
		break;
	default:	/* SAR */
		n = c >= bits ? bits - 1 : c;
		res = (u64)((s64)emu_sext(dst, bits / 8) >> n) & mask;
		cf = ((u64)((s64)emu_sext(dst, bits / 8) >> (n - 1)) & 1);
		if (c >= bits)
			cf = emu_msb(dst, bits);
		of = 0;
		f = (f & ~EMU_ARITH) | emu_szp(res, bits / 8) | EMU_AF;
		break;
	}
	if (cf)
		f |= EMU_CF;
	if (of)
		f |= EMU_OF;
	*fl = f;
	return res;
}

/*
 * SHLD and SHRD by c (1..63).  A 16-bit operand takes counts up to 31,
 * beyond its width, where the SDM leaves the result undefined: AMD CPUs
 * then shift the 48-bit pattern dst:src:src (SHLD) or src:src:dst (SHRD),
 * and so do we.  CF is the last bit shifted out (AMD's differs beyond
 * 16).  OF, defined only for a count of 1, is MSB(res) ^ CF for SHLD and
 * the top two bits of the result for SHRD, as AMD computes it for any
 * count.
 */
static u64 emu_shxd(bool right, u64 dst, u64 src, unsigned int c,
		    unsigned int bits, u64 *fl)
{
	u64 mask = emu_mask(bits / 8), v, res, cf, of, f;

	dst &= mask;
	src &= mask;
	if (bits == 16 && right) {
		v = (src << 32) | (src << 16) | dst;
		res = (v >> c) & mask;
		cf = (v >> (c - 1)) & 1;
	} else if (bits == 16) {
		v = (dst << 32) | (src << 16) | src;
		res = (v >> (32 - c)) & mask;
		cf = (v >> (48 - c)) & 1;
	} else if (right) {
		res = ((dst >> c) | (src << (bits - c))) & mask;
		cf = (dst >> (c - 1)) & 1;
	} else {
		res = ((dst << c) | (src >> (bits - c))) & mask;
		cf = (dst >> (bits - c)) & 1;
	}
	of = emu_msb(res, bits) ^ (right ? emu_msb(res, bits - 1) : cf);
	f = (*fl & ~EMU_ARITH) | emu_szp(res, bits / 8) | EMU_AF;
	if (cf)
		f |= EMU_CF;
	if (of)
		f |= EMU_OF;
	*fl = f;
	return res;
}

/*
 * A count of zero (after masking) changes neither flags nor the
 * destination.  The CPU still reads a memory destination, and whether it
 * writes it back is not defined; we never do, so a device register sees
 * no write that changes nothing.
 */
static int emu_shift_rm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
			unsigned int op, unsigned int count, u64 src)
{
	unsigned int bytes = d->opsize, bits = bytes * 8;
	u64 dst, res, fl = ctxt->rflags, unused = 0;
	int r;

	count &= bytes == 8 ? 63 : 31;
	r = emu_get_rm(ctxt, d, bytes, EMU_RMW, &dst);
	if (r != KVMX_EMU_OK)
		return r;
	if (!count) {
		/* A register is written: a 32-bit one has 63:32 cleared. */
		if (d->e.type == OP_REG)
			emu_reg_set(ctxt, d, d->e.reg, bytes, dst);
		return KVMX_EMU_OK;
	}
	if (d->desc.handler == H_SHIFT)
		res = emu_shift(op, dst, count, bits, &fl);
	else		/* 0F AC/AD (bit 3 set) are SHRD */
		res = emu_shxd(d->b & 8, dst, src, count, bits, &fl);
	r = emu_put_rm(ctxt, d, bytes, &unused, res, false);
	if (r == KVMX_EMU_OK)
		ctxt->rflags = fl;
	return r;
}

int emu_exec_shift(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int count;

	if (d->b <= 0xc1)
		count = d->imm;
	else if (d->b <= 0xd1)
		count = 1;
	else
		count = ctxt->regs[KVMX_EMU_RCX] & 0xff;
	return emu_shift_rm(ctxt, d, emu_group_op(d), count, 0);
}

int emu_exec_shld(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int count = (d->b & 1) ? ctxt->regs[KVMX_EMU_RCX] & 0xff :
			     d->imm;

	return emu_shift_rm(ctxt, d, 0, count,
			    emu_reg_get(ctxt, d, d->reg, d->opsize));
}
