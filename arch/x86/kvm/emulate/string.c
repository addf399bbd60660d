// SPDX-License-Identifier: GPL-2.0-only
/*
 * The string instructions MOVS, CMPS, STOS, LODS and SCAS, with and
 * without REP/REPE/REPNE (SDM Vol. 1 7.3.9, Vol. 2 REP).  rSI, rDI and rCX
 * are used at the address size, move by the operand size in the direction
 * RFLAGS.DF gives, and are updated after every iteration, so a fault or an
 * exit to userspace in iteration n leaves the n - 1 before it done and
 * rIP at the instruction, as the CPU leaves them.
 */
#include "internal.h"

/*
 * Iterations per call.  A REP cut short here returns OK with rIP not
 * advanced: the guest re-executes the instruction for the rest, exactly
 * as after an interrupt between iterations.
 */
#define EMU_REP_BATCH	1024

static int emu_string_once(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
			   u64 *fl)
{
	unsigned int bytes = d->opsize, ad = d->adsize;
	unsigned int src_seg = d->seg_override >= 0 ? d->seg_override :
			       KVMX_EMU_DS;
	u64 si = ctxt->regs[KVMX_EMU_RSI] & emu_mask(ad);
	u64 di = ctxt->regs[KVMX_EMU_RDI] & emu_mask(ad);
	u64 a = 0, b = 0;
	int r;

	switch (d->desc.handler) {
	case H_MOVS:
		r = emu_mem_read(ctxt, src_seg, si, ad, &a, bytes, EMU_READ);
		if (r != KVMX_EMU_OK)
			return r;
		return emu_mem_write(ctxt, KVMX_EMU_ES, di, ad, &a, bytes);
	case H_STOS:
		a = ctxt->regs[KVMX_EMU_RAX];
		return emu_mem_write(ctxt, KVMX_EMU_ES, di, ad, &a, bytes);
	case H_LODS:
		r = emu_mem_read(ctxt, src_seg, si, ad, &a, bytes, EMU_READ);
		if (r == KVMX_EMU_OK)
			emu_reg_set(ctxt, d, KVMX_EMU_RAX, bytes, a);
		return r;
	case H_CMPS:
		/* The first operand DS:rSI minus the second ES:rDI. */
		r = emu_mem_read(ctxt, src_seg, si, ad, &a, bytes, EMU_READ);
		if (r != KVMX_EMU_OK)
			return r;
		r = emu_mem_read(ctxt, KVMX_EMU_ES, di, ad, &b, bytes,
				 EMU_READ);
		if (r == KVMX_EMU_OK)
			emu_alu(ALU_CMP, a, b, bytes, fl);
		return r;
	default:	/* SCAS: the accumulator minus ES:rDI */
		r = emu_mem_read(ctxt, KVMX_EMU_ES, di, ad, &b, bytes,
				 EMU_READ);
		if (r == KVMX_EMU_OK)
			emu_alu(ALU_CMP, ctxt->regs[KVMX_EMU_RAX], b, bytes,
				fl);
		return r;
	}
}

/* Which of rSI and rDI an instruction steps. */
static void emu_string_step(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int h = d->desc.handler, ad = d->adsize;
	u64 delta = (ctxt->rflags & EMU_DF) ? -(u64)d->opsize : d->opsize;

	if (h == H_MOVS || h == H_CMPS || h == H_LODS)
		emu_reg_set_ad(ctxt, KVMX_EMU_RSI, ad,
			       ctxt->regs[KVMX_EMU_RSI] + delta);
	if (h != H_LODS)
		emu_reg_set_ad(ctxt, KVMX_EMU_RDI, ad,
			       ctxt->regs[KVMX_EMU_RDI] + delta);
}

int emu_string(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	bool compare = d->desc.handler == H_CMPS || d->desc.handler == H_SCAS;
	unsigned int ad = d->adsize, n;
	u64 count, fl;
	int r;

	if (d->lock)
		return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
	if (!d->rep) {
		fl = ctxt->rflags;
		r = emu_string_once(ctxt, d, &fl);
		if (r != KVMX_EMU_OK)
			return r;
		emu_string_step(ctxt, d);
		ctxt->rflags = fl;
		return KVMX_EMU_OK;
	}
	/* REPNE is only defined for CMPS and SCAS. */
	if (d->rep == 0xf2 && !compare)
		return KVMX_EMU_UNHANDLED;
	for (n = 0; ; n++) {
		count = ctxt->regs[KVMX_EMU_RCX] & emu_mask(ad);
		if (!count)
			return KVMX_EMU_OK;
		if (n == EMU_REP_BATCH) {
			d->no_advance = true;
			return KVMX_EMU_OK;
		}
		fl = ctxt->rflags;
		r = emu_string_once(ctxt, d, &fl);
		if (r != KVMX_EMU_OK)
			return r;
		emu_string_step(ctxt, d);
		emu_reg_set_ad(ctxt, KVMX_EMU_RCX, ad, count - 1);
		ctxt->rflags = fl;
		/* This iteration is architectural now; no replay of it. */
		emu_replay_reset(ctxt);
		/* REPE stops on a difference, REPNE on a match. */
		if (compare && !!(fl & EMU_ZF) != (d->rep == 0xf3))
			return KVMX_EMU_OK;
	}
}
