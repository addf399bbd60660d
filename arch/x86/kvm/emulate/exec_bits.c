// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bit counting and byte order on an r/m source: BSF/BSR (0F BC/BD),
 * POPCNT, TZCNT and LZCNT (F3 0F B8/BC/BD), and MOVBE (0F 38 F0/F1,
 * memory only) (SDM Vol. 2 under each name).  F3 0F BC/BD are taken as
 * TZCNT/LZCNT, as on every CPU with BMI1/ABM; the emulator does not see
 * CPUID, and on older CPUs they would be BSF/BSR.
 */
#include "internal.h"

static unsigned int emu_ctz(u64 v, unsigned int bits)
{
	unsigned int n = 0;

	while (n < bits && !((v >> n) & 1))
		n++;
	return n;
}

static unsigned int emu_clz(u64 v, unsigned int bits)
{
	unsigned int n = 0;

	while (n < bits && !((v >> (bits - 1 - n)) & 1))
		n++;
	return n;
}

static unsigned int emu_popcount(u64 v)
{
	unsigned int n = 0;

	for (; v; v &= v - 1)
		n++;
	return n;
}

static u64 emu_bswap(u64 v, unsigned int bytes)
{
	u64 r = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		r |= ((v >> (i * 8)) & 0xff) << ((bytes - 1 - i) * 8);
	return r;
}

/* MOVBE Gv, Mv (F0) and MOVBE Mv, Gv (F1): a move with the bytes swapped. */
static int exec_movbe(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize;
	u64 val, unused = 0;
	int r;

	if (d->b & 1)
		return emu_put_rm(ctxt, d, bytes, &unused,
				  emu_bswap(emu_reg_get(ctxt, d, d->reg, bytes),
					    bytes), false);
	r = emu_get_rm(ctxt, d, bytes, EMU_READ, &val);
	if (r != KVMX_EMU_OK)
		return r;
	emu_reg_set(ctxt, d, d->reg, bytes, emu_bswap(val, bytes));
	return KVMX_EMU_OK;
}

int emu_exec_bits(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize, bits = bytes * 8;
	u64 src, fl = ctxt->rflags, res;
	int r;

	if (d->desc.handler == H_MOVBE)
		return exec_movbe(ctxt, d);
	r = emu_get_rm(ctxt, d, bytes, EMU_READ, &src);
	if (r != KVMX_EMU_OK)
		return r;
	switch (d->desc.handler) {
	case H_BSF:
		/*
		 * ZF: the source is zero, and then the destination is left
		 * alone (as AMD documents; Intel calls it undefined).  CF,
		 * OF, SF, AF and PF are undefined: AMD CPUs clear them but
		 * PF, which is the parity of the index (of 0 for a zero
		 * source); so do we.
		 */
		fl &= ~EMU_ARITH;
		if (!src) {
			ctxt->rflags = fl | EMU_ZF | EMU_PF;
			return KVMX_EMU_OK;
		}
		res = d->b & 1 ? bits - 1 - emu_clz(src, bits) :
		      emu_ctz(src, bits);
		fl |= emu_szp(res, 1) & EMU_PF;
		break;
	case H_POPCNT:
		/* OF, SF, AF, CF and PF are cleared, ZF is a zero source. */
		res = emu_popcount(src);
		fl &= ~EMU_ARITH;
		if (!src)
			fl |= EMU_ZF;
		break;
	default:
		/*
		 * TZCNT/LZCNT: CF a zero source, ZF a zero result.  OF, SF,
		 * AF and PF are undefined: AMD CPUs keep OF and clear the
		 * others; so do we.
		 */
		res = d->b & 1 ? emu_clz(src, bits) : emu_ctz(src, bits);
		fl &= ~(EMU_ARITH & ~EMU_OF);
		if (!src)
			fl |= EMU_CF;
		if (!res)
			fl |= EMU_ZF;
		break;
	}
	emu_reg_set(ctxt, d, d->reg, bytes, res);
	ctxt->rflags = fl;
	return KVMX_EMU_OK;
}
