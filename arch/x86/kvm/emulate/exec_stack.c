// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stack instructions, for a stack (or an operand) in device memory:
 * PUSH r/m (FF /6), POP r/m (8F /0), PUSH r (50-57), POP r (58-5F) and
 * PUSH imm (68, 6A), on 16-, 32- and 64-bit stacks (SDM Vol. 2 PUSH, POP;
 * Vol. 3A 3.4.5 for the stack width).  The push or pop is done first and
 * rSP moved only once every access succeeded.
 */
#include "internal.h"

/* The stack pointer's width: 64 in 64-bit mode, else SS.B (SDM 3A 3.4.5). */
static unsigned int emu_stack_size(struct kvmx_emu_ctxt *ctxt)
{
	if (emu_is64(ctxt))
		return 8;
	return emu_seg(ctxt, KVMX_EMU_SS)->db ? 4 : 2;
}

/*
 * Push bytes of val: the write at the new top of stack first, then rSP
 * at the stack width.  The operand size (bytes) is decode's: in 64-bit
 * mode 64, or 16 with 66 unless REX.W is there too (D_STACK64); 32-bit
 * pushes do not exist there.
 */
static int emu_push(struct kvmx_emu_ctxt *ctxt, unsigned int bytes, u64 val)
{
	unsigned int sp_size = emu_stack_size(ctxt);
	u64 sp = (ctxt->regs[KVMX_EMU_RSP] - bytes) & emu_mask(sp_size);
	int r;

	r = emu_mem_write(ctxt, KVMX_EMU_SS, sp, sp_size, &val, bytes);
	if (r != KVMX_EMU_OK)
		return r;
	emu_reg_set_ad(ctxt, KVMX_EMU_RSP, sp_size, sp);
	return KVMX_EMU_OK;
}

/* PUSH r/m (FF /6). */
static int exec_push_rm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize;
	u64 val;
	int r;

	if (d->lock)
		return emu_ud(ctxt);
	if (emu_is64(ctxt))
		bytes = (d->opsize_prefix && !(d->rex & 8)) ? 2 : 8;
	r = emu_get_rm(ctxt, d, bytes, EMU_READ, &val);
	if (r != KVMX_EMU_OK)
		return r;
	return emu_push(ctxt, bytes, val);
}

/*
 * POP r/m (8F /0) and POP r (58+r).  With rSP as the base, the address is
 * computed with rSP already incremented (SDM Vol. 2 POP); POP into rSP
 * itself leaves the popped value there.
 */
static int exec_pop(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize, sp_size = emu_stack_size(ctxt);
	u64 val = 0, sp = ctxt->regs[KVMX_EMU_RSP] & emu_mask(sp_size);
	int r;

	if (d->desc.handler == H_POP_RM && emu_group_op(d))
		return KVMX_EMU_UNHANDLED;	/* 8F /1-7: XOP in AMD's map */
	r = emu_mem_read(ctxt, KVMX_EMU_SS, sp, sp_size, &val, bytes,
			 EMU_READ);
	if (r != KVMX_EMU_OK)
		return r;
	sp = (sp + bytes) & emu_mask(sp_size);
	if (d->desc.handler == H_POP_RM && d->e.type == OP_MEM) {
		if (d->e.rsp_base)
			d->e.ea = (d->e.ea + bytes) & emu_mask(d->adsize);
		r = emu_mem_write(ctxt, d->e.seg, d->e.ea, d->adsize, &val,
				  bytes);
		if (r != KVMX_EMU_OK)
			return r;
		emu_reg_set_ad(ctxt, KVMX_EMU_RSP, sp_size, sp);
		return KVMX_EMU_OK;
	}
	emu_reg_set_ad(ctxt, KVMX_EMU_RSP, sp_size, sp);
	emu_reg_set(ctxt, d, d->desc.handler == H_POP_RM ? d->e.reg : d->rm,
		    bytes, val);
	return KVMX_EMU_OK;
}

int emu_exec_stack(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	switch (d->desc.handler) {
	case H_PUSH_REG:
		/* PUSH rSP pushes the value it had before (SDM Vol. 2 PUSH). */
		return emu_push(ctxt, d->opsize,
				emu_reg_get(ctxt, d, d->rm, d->opsize));
	case H_PUSH_IMM:
		/* decode sign-extended the immediate to the operand size */
		return emu_push(ctxt, d->opsize, d->imm);
	case H_POP_RM:
	case H_POP_REG:
		return exec_pop(ctxt, d);
	default:
		return exec_push_rm(ctxt, d);
	}
}
