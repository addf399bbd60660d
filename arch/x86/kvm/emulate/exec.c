// SPDX-License-Identifier: GPL-2.0-only
/*
 * Execution of the non-string instructions: MOV in its forms, the ALU
 * group, TEST, INC/DEC/NOT/NEG, XCHG, CMPXCHG(8B/16B), XADD, BT*, SETcc,
 * CMOVcc, MOVNTI, and the dispatch to the exec_*.c files (shifts,
 * MUL/DIV, the stack, bit scans and MOVBE) and string*.c.  Each handler
 * does its memory accesses first and updates registers and flags only
 * once they all succeeded, so an exception or an exit to userspace leaves
 * the registers as they were.
 */
#include "internal.h"

/* Byte registers 4-7 are AH, CH, DH, BH unless a REX prefix is present. */
static bool emu_high_byte(const struct emu_insn *d, unsigned int reg,
			  unsigned int bytes)
{
	return bytes == 1 && !d->rex && reg >= 4 && reg < 8;
}

u64 emu_reg_get(const struct kvmx_emu_ctxt *ctxt, const struct emu_insn *d,
		unsigned int reg, unsigned int bytes)
{
	if (emu_high_byte(d, reg, bytes))
		return (ctxt->regs[reg - 4] >> 8) & 0xff;
	return ctxt->regs[reg] & emu_mask(bytes);
}

/*
 * 8- and 16-bit writes keep the rest of the register, 32-bit writes clear
 * bits 63:32 (SDM Vol. 1 3.4.1.1).
 */
void emu_reg_set(struct kvmx_emu_ctxt *ctxt, const struct emu_insn *d,
		 unsigned int reg, unsigned int bytes, u64 val)
{
	u64 *r;

	if (emu_high_byte(d, reg, bytes)) {
		r = &ctxt->regs[reg - 4];
		*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
		return;
	}
	emu_reg_set_ad(ctxt, reg, bytes, val);
}

/* A register used as an address (rSI, rDI, rCX, rSP) at a given width. */
void emu_reg_set_ad(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
		    unsigned int bytes, u64 val)
{
	u64 *r = &ctxt->regs[reg];

	if (bytes >= 4)
		*r = val & emu_mask(bytes);
	else
		*r = (*r & ~emu_mask(bytes)) | (val & emu_mask(bytes));
}

/* The r/m operand's value; acc says whether a write will follow. */
int emu_get_rm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
	       unsigned int bytes, enum emu_access acc, u64 *val)
{
	*val = 0;
	if (d->e.type == OP_REG) {
		*val = emu_reg_get(ctxt, d, d->e.reg, bytes);
		return KVMX_EMU_OK;
	}
	/* x86 is little-endian, so the low bytes of *val are the operand. */
	return emu_mem_read(ctxt, d->e.seg, d->e.ea, d->adsize, val, bytes,
			    acc);
}

/*
 * Store the r/m operand.  A LOCKed (or always-locked) store to memory is a
 * compare-exchange against the value read; if memory changed meanwhile,
 * *orig gets the new value and the caller computes again (EMU_RACED).
 */
int emu_put_rm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
	       unsigned int bytes, u64 *orig, u64 val, bool locked)
{
	u64 old;
	int r;

	if (d->e.type == OP_REG) {
		emu_reg_set(ctxt, d, d->e.reg, bytes, val);
		return KVMX_EMU_OK;
	}
	if (!locked)
		return emu_mem_write(ctxt, d->e.seg, d->e.ea, d->adsize, &val,
				     bytes);
	old = *orig;
	r = emu_mem_cmpxchg(ctxt, d->e.seg, d->e.ea, d->adsize, &old, &val,
			    bytes);
	if (r != KVMX_EMU_OK)
		return r;
	old &= emu_mask(bytes);
	if (old != (*orig & emu_mask(bytes))) {
		*orig = old;
		return EMU_RACED;
	}
	return KVMX_EMU_OK;
}

/* ADD..CMP with the r/m operand as destination: 00-39 (even forms), 80-83. */
static int exec_alu_rm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
		      unsigned int op, u64 src)
{
	unsigned int bytes = d->opsize, tries;
	u64 dst, res, fl;
	int r;

	if (op == ALU_CMP && d->lock)
		return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
	r = emu_get_rm(ctxt, d, bytes, op == ALU_CMP ? EMU_READ : EMU_RMW,
		       &dst);
	if (r != KVMX_EMU_OK)
		return r;
	for (tries = 0; tries < EMU_LOCK_TRIES; tries++) {
		fl = ctxt->rflags;
		res = emu_alu(op, dst, src, bytes, &fl);
		if (op != ALU_CMP) {
			r = emu_put_rm(ctxt, d, bytes, &dst, res, d->lock);
			if (r == EMU_RACED)
				continue;
			if (r != KVMX_EMU_OK)
				return r;
		}
		ctxt->rflags = fl;
		return KVMX_EMU_OK;
	}
	return KVMX_EMU_RETRY;
}

static int exec_alu(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int op, bytes = d->opsize;
	u64 src, dst, fl;
	int r;

	if (!d->two_byte && d->b >= 0x80)
		return exec_alu_rm(ctxt, d, emu_group_op(d), d->imm);
	op = (d->b >> 3) & 7;
	if (!(d->b & 2))	/* r/m, reg */
		return exec_alu_rm(ctxt, d, op,
				   emu_reg_get(ctxt, d, d->reg, bytes));
	/* reg, r/m */
	r = emu_get_rm(ctxt, d, bytes, EMU_READ, &src);
	if (r != KVMX_EMU_OK)
		return r;
	dst = emu_reg_get(ctxt, d, d->reg, bytes);
	fl = ctxt->rflags;
	dst = emu_alu(op, dst, src, bytes, &fl);
	if (op != ALU_CMP)
		emu_reg_set(ctxt, d, d->reg, bytes, dst);
	ctxt->rflags = fl;
	return KVMX_EMU_OK;
}

/* 04/05, 0C/0D, ... 3C/3D: AL/AX/EAX/RAX with an immediate. */
static int exec_alu_acc(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int op = (d->b >> 3) & 7, bytes = d->opsize;
	u64 res, fl = ctxt->rflags;

	res = emu_alu(op, ctxt->regs[KVMX_EMU_RAX], d->imm, bytes, &fl);
	if (op != ALU_CMP)
		emu_reg_set_ad(ctxt, KVMX_EMU_RAX, bytes, res);
	ctxt->rflags = fl;
	return KVMX_EMU_OK;
}

/* TEST r/m, reg (84/85), r/m, imm (F6/F7 /0), AL/rAX, imm (A8/A9). */
static int exec_test(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d, u64 src)
{
	u64 dst;
	int r;

	r = emu_get_rm(ctxt, d, d->opsize, EMU_READ, &dst);
	if (r != KVMX_EMU_OK)
		return r;
	emu_alu(ALU_AND, dst, src, d->opsize, &ctxt->rflags);
	return KVMX_EMU_OK;
}

/* MOV 88-8B, C6/C7 /0. */
static int exec_mov(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize;
	u64 val = 0;
	int r;

	if (d->b == 0xc6 || d->b == 0xc7) {
		/* C6/C7 /7 with mod 3 are XABORT/XBEGIN; the rest #UD. */
		if (emu_group_op(d))
			return KVMX_EMU_UNHANDLED;
		return emu_put_rm(ctxt, d, bytes, &val, d->imm, false);
	}
	if (!(d->b & 2))
		return emu_put_rm(ctxt, d, bytes, &val,
				  emu_reg_get(ctxt, d, d->reg, bytes), false);
	r = emu_get_rm(ctxt, d, bytes, EMU_READ, &val);
	if (r != KVMX_EMU_OK)
		return r;
	emu_reg_set(ctxt, d, d->reg, bytes, val);
	return KVMX_EMU_OK;
}

/* A0-A3: the accumulator and a memory offset (no ModRM). */
static int exec_mov_moffs(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int seg = d->seg_override >= 0 ? d->seg_override : KVMX_EMU_DS;
	unsigned int bytes = d->opsize;
	u64 ea = d->moffs & emu_mask(d->adsize), val = 0;
	int r;

	if (d->b & 2) {
		val = ctxt->regs[KVMX_EMU_RAX];
		return emu_mem_write(ctxt, seg, ea, d->adsize, &val, bytes);
	}
	r = emu_mem_read(ctxt, seg, ea, d->adsize, &val, bytes, EMU_READ);
	if (r != KVMX_EMU_OK)
		return r;
	emu_reg_set(ctxt, d, KVMX_EMU_RAX, bytes, val);
	return KVMX_EMU_OK;
}

/* MOVZX/MOVSX 0F B6/B7/BE/BF, MOVSXD 63: a narrower source, extended. */
static int exec_movx(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int src_bytes;
	u64 val = 0;
	int r;

	if (d->desc.handler == H_MOVSXD) {
		/* 63 is ARPL outside 64-bit mode. */
		if (!emu_is64(ctxt))
			return KVMX_EMU_UNHANDLED;
		src_bytes = d->opsize == 8 ? 4 : d->opsize;
	} else {
		src_bytes = (d->b & 1) ? 2 : 1;
	}
	r = emu_get_rm(ctxt, d, src_bytes, EMU_READ, &val);
	if (r != KVMX_EMU_OK)
		return r;
	if (d->desc.handler != H_MOVZX)
		val = emu_sext(val, src_bytes);
	emu_reg_set(ctxt, d, d->reg, d->opsize, val);
	return KVMX_EMU_OK;
}

/* NOT and NEG (F6/F7 /2, /3), INC and DEC (FE/FF /0, /1). */
static int exec_unary(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
		      unsigned int what)
{
	unsigned int bytes = d->opsize, tries;
	u64 dst, res, fl;
	int r;

	r = emu_get_rm(ctxt, d, bytes, EMU_RMW, &dst);
	if (r != KVMX_EMU_OK)
		return r;
	for (tries = 0; tries < EMU_LOCK_TRIES; tries++) {
		fl = ctxt->rflags;
		switch (what) {
		case 0:		/* INC: CF is not touched */
			res = emu_alu(ALU_ADD, dst, 1, bytes, &fl);
			fl = (fl & ~EMU_CF) | (ctxt->rflags & EMU_CF);
			break;
		case 1:		/* DEC */
			res = emu_alu(ALU_SUB, dst, 1, bytes, &fl);
			fl = (fl & ~EMU_CF) | (ctxt->rflags & EMU_CF);
			break;
		case 2:		/* NOT: no flags */
			res = ~dst & emu_mask(bytes);
			break;
		default:	/* NEG: 0 - dst, CF = (dst != 0) */
			res = emu_alu(ALU_SUB, 0, dst, bytes, &fl);
			break;
		}
		r = emu_put_rm(ctxt, d, bytes, &dst, res, d->lock);
		if (r == EMU_RACED)
			continue;
		if (r != KVMX_EMU_OK)
			return r;
		ctxt->rflags = fl;
		return KVMX_EMU_OK;
	}
	return KVMX_EMU_RETRY;
}

static int exec_grp3(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	switch (emu_group_op(d)) {
	case 0:
	case 1:		/* undocumented, decoded by CPUs as /0 */
		if (d->lock)
			return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
		return exec_test(ctxt, d, d->imm);
	case 2:
		return exec_unary(ctxt, d, 2);
	case 3:
		return exec_unary(ctxt, d, 3);
	default:		/* MUL, IMUL, DIV, IDIV */
		return emu_exec_muldiv(ctxt, d);
	}
}

static int exec_grp45(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int op = emu_group_op(d);

	if (op <= 1)
		return exec_unary(ctxt, d, op);
	if (op == 6 && d->b == 0xff)
		return emu_exec_stack(ctxt, d);
	/* CALL/JMP (near and far) and the #UD encodings. */
	return KVMX_EMU_UNHANDLED;
}

/* XCHG r/m, reg (86/87): with memory always locked (SDM Vol. 2 XCHG). */
static int exec_xchg(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize, tries;
	u64 src = emu_reg_get(ctxt, d, d->reg, bytes), dst;
	int r;

	r = emu_get_rm(ctxt, d, bytes, EMU_RMW, &dst);
	if (r != KVMX_EMU_OK)
		return r;
	for (tries = 0; tries < EMU_LOCK_TRIES; tries++) {
		r = emu_put_rm(ctxt, d, bytes, &dst, src, true);
		if (r == EMU_RACED)
			continue;
		if (r != KVMX_EMU_OK)
			return r;
		emu_reg_set(ctxt, d, d->reg, bytes, dst);
		return KVMX_EMU_OK;
	}
	return KVMX_EMU_RETRY;
}

/*
 * CMPXCHG r/m, reg (0F B0/B1).  Flags as CMP accumulator, destination.
 * Equal: destination = source.  Not equal: the accumulator gets the
 * destination; a memory destination is written back unchanged (the CPU
 * always writes it, SDM Vol. 2 CMPXCHG), a register one is left alone
 * (not even zero-extended, as the CPUs we compare against do).
 */
static int exec_cmpxchg(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize, tries;
	u64 acc = ctxt->regs[KVMX_EMU_RAX] & emu_mask(bytes);
	u64 src = emu_reg_get(ctxt, d, d->reg, bytes), dst, fl;
	int r;

	r = emu_get_rm(ctxt, d, bytes, EMU_RMW, &dst);
	if (r != KVMX_EMU_OK)
		return r;
	for (tries = 0; tries < EMU_LOCK_TRIES; tries++) {
		fl = ctxt->rflags;
		emu_alu(ALU_CMP, acc, dst, bytes, &fl);
		if ((fl & EMU_ZF) || d->e.type == OP_MEM) {
			r = emu_put_rm(ctxt, d, bytes, &dst,
				       (fl & EMU_ZF) ? src : dst, d->lock);
			if (r == EMU_RACED)
				continue;
			if (r != KVMX_EMU_OK)
				return r;
		}
		if (!(fl & EMU_ZF))
			emu_reg_set_ad(ctxt, KVMX_EMU_RAX, bytes, dst);
		ctxt->rflags = fl;
		return KVMX_EMU_OK;
	}
	return KVMX_EMU_RETRY;
}

/*
 * CMPXCHG8B m64 / CMPXCHG16B m128 (0F C7 /1): compare rDX:rAX (EDX:EAX)
 * with memory; equal: ZF set and rCX:rBX stored; else ZF clear and memory
 * loaded into rDX:rAX.  Memory is written either way, unchanged when not
 * equal, as with CMPXCHG.  16B is REX.W and needs a 16-byte aligned
 * operand, else #GP(0) (SDM Vol. 2 CMPXCHG8B/CMPXCHG16B).
 */
int emu_exec_cmpxchg8b(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	bool wide = emu_is64(ctxt) && (d->rex & 8), equal;
	unsigned int half = wide ? 8 : 4, len = 2 * half, tries, seg = d->e.seg;
	u64 cur[2] = { 0, 0 }, cmp[2], new[2], old[2], la;
	u8 *c8 = (u8 *)cmp, *n8 = (u8 *)new;
	int r;

	if (emu_group_op(d) != 1)
		return KVMX_EMU_UNHANDLED;	/* RDRAND, XSAVES, VMPTRLD... */
	if (d->e.type != OP_MEM)
		return emu_ud(ctxt);
	if (wide) {
		r = emu_linear(ctxt, seg, d->e.ea, d->adsize, len, EMU_RMW,
			       &la);
		if (r != KVMX_EMU_OK)
			return r;
		if (la & 15)
			return emu_exception(ctxt, KVMX_EMU_VEC_GP, true, 0);
	}
	memcpy(c8, &ctxt->regs[KVMX_EMU_RAX], half);
	memcpy(c8 + half, &ctxt->regs[KVMX_EMU_RDX], half);
	memcpy(n8, &ctxt->regs[KVMX_EMU_RBX], half);
	memcpy(n8 + half, &ctxt->regs[KVMX_EMU_RCX], half);
	r = emu_mem_read(ctxt, seg, d->e.ea, d->adsize, cur, len, EMU_RMW);
	if (r != KVMX_EMU_OK)
		return r;
	for (tries = 0; tries < EMU_LOCK_TRIES; tries++) {
		equal = !memcmp(cur, cmp, len);
		if (d->lock) {
			memcpy(old, cur, len);
			r = emu_mem_cmpxchg(ctxt, seg, d->e.ea, d->adsize, old,
					    equal ? new : cur, len);
			if (r == KVMX_EMU_OK && memcmp(old, cur, len)) {
				memcpy(cur, old, len);
				continue;
			}
		} else {
			r = emu_mem_write(ctxt, seg, d->e.ea, d->adsize,
					  equal ? new : cur, len);
		}
		if (r != KVMX_EMU_OK)
			return r;
		ctxt->rflags &= ~EMU_ZF;
		if (equal) {
			ctxt->rflags |= EMU_ZF;
		} else if (wide) {
			ctxt->regs[KVMX_EMU_RAX] = cur[0];
			ctxt->regs[KVMX_EMU_RDX] = cur[1];
		} else {
			emu_reg_set_ad(ctxt, KVMX_EMU_RAX, 4, cur[0]);
			emu_reg_set_ad(ctxt, KVMX_EMU_RDX, 4, cur[0] >> 32);
		}
		return KVMX_EMU_OK;
	}
	return KVMX_EMU_RETRY;
}

/* XADD r/m, reg (0F C0/C1): reg gets the old destination, then r/m the sum. */
static int exec_xadd(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize, tries;
	u64 src = emu_reg_get(ctxt, d, d->reg, bytes), dst, res, fl;
	int r;

	r = emu_get_rm(ctxt, d, bytes, EMU_RMW, &dst);
	if (r != KVMX_EMU_OK)
		return r;
	for (tries = 0; tries < EMU_LOCK_TRIES; tries++) {
		fl = ctxt->rflags;
		res = emu_alu(ALU_ADD, dst, src, bytes, &fl);
		if (d->e.type == OP_REG) {
			emu_reg_set(ctxt, d, d->reg, bytes, dst);
			emu_reg_set(ctxt, d, d->e.reg, bytes, res);
			ctxt->rflags = fl;
			return KVMX_EMU_OK;
		}
		r = emu_put_rm(ctxt, d, bytes, &dst, res, d->lock);
		if (r == EMU_RACED)
			continue;
		if (r != KVMX_EMU_OK)
			return r;
		emu_reg_set(ctxt, d, d->reg, bytes, dst);
		ctxt->rflags = fl;
		return KVMX_EMU_OK;
	}
	return KVMX_EMU_RETRY;
}

/*
 * BT/BTS/BTR/BTC.  A register bit offset with a memory operand is signed
 * and may select a bit outside the operand: the operand moves by whole
 * operand-size units (SDM Vol. 2 BT, "bit base").  CF gets the bit; OF,
 * SF, AF and PF are undefined and ZF unchanged, so only CF is written.
 */
static int exec_bt(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
		   unsigned int what, u64 offset)
{
	unsigned int bytes = d->opsize, bits = bytes * 8, tries;
	u64 dst, res, bit;
	s64 units;
	int r;

	if (what == 0 && d->lock)
		return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
	if (d->desc.handler == H_BT && d->e.type == OP_MEM) {
		units = (s64)emu_sext(offset, bytes) >> (bytes == 2 ? 4 :
							bytes == 4 ? 5 : 6);
		d->e.ea = (d->e.ea + (u64)units * bytes) & emu_mask(d->adsize);
	}
	bit = 1ULL << (offset & (bits - 1));
	r = emu_get_rm(ctxt, d, bytes, what ? EMU_RMW : EMU_READ, &dst);
	if (r != KVMX_EMU_OK)
		return r;
	for (tries = 0; tries < EMU_LOCK_TRIES; tries++) {
		switch (what) {
		case 1:
			res = dst | bit;
			break;
		case 2:
			res = dst & ~bit;
			break;
		case 3:
			res = dst ^ bit;
			break;
		default:
			res = dst;
			break;
		}
		if (what) {
			r = emu_put_rm(ctxt, d, bytes, &dst, res, d->lock);
			if (r == EMU_RACED)
				continue;
			if (r != KVMX_EMU_OK)
				return r;
		}
		ctxt->rflags &= ~EMU_CF;
		if (dst & bit)
			ctxt->rflags |= EMU_CF;
		return KVMX_EMU_OK;
	}
	return KVMX_EMU_RETRY;
}

static int exec_bt_any(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	/* 0F A3/AB/B3/BB: BT, BTS, BTR, BTC in bits 4:3 of the opcode. */
	if (d->desc.handler == H_BT)
		return exec_bt(ctxt, d, (d->b >> 3) & 3,
			       emu_reg_get(ctxt, d, d->reg, d->opsize));
	/* 0F BA /4-7; /0-3 are #UD. */
	if (emu_group_op(d) < 4)
		return KVMX_EMU_UNHANDLED;
	return exec_bt(ctxt, d, emu_group_op(d) - 4, d->imm);
}

/*
 * CMOVcc Gv, Ev (0F 40-4F): the source is read whatever the condition
 * (a memory operand can fault even when nothing moves), and a 32-bit
 * destination has bits 63:32 cleared either way (SDM Vol. 2 CMOVcc).
 */
static int exec_cmov(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int bytes = d->opsize;
	u64 val;
	int r;

	r = emu_get_rm(ctxt, d, bytes, EMU_READ, &val);
	if (r != KVMX_EMU_OK)
		return r;
	if (!emu_cond(ctxt->rflags, d->b & 0xf))
		val = emu_reg_get(ctxt, d, d->reg, bytes);
	emu_reg_set(ctxt, d, d->reg, bytes, val);
	return KVMX_EMU_OK;
}

int emu_execute(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	u64 val = 0;

	switch (d->desc.handler) {
	case H_ALU:
		return exec_alu(ctxt, d);
	case H_ALU_ACC:
		return exec_alu_acc(ctxt, d);
	case H_TEST:
		return exec_test(ctxt, d,
				 emu_reg_get(ctxt, d, d->reg, d->opsize));
	case H_TEST_ACC:
		emu_alu(ALU_AND, ctxt->regs[KVMX_EMU_RAX], d->imm, d->opsize,
			&ctxt->rflags);
		return KVMX_EMU_OK;
	case H_MOV:
		return exec_mov(ctxt, d);
	case H_MOV_MOFFS:
		return exec_mov_moffs(ctxt, d);
	case H_MOVZX:
	case H_MOVSX:
	case H_MOVSXD:
		return exec_movx(ctxt, d);
	case H_GRP3:
		return exec_grp3(ctxt, d);
	case H_GRP4:
	case H_GRP5:
		return exec_grp45(ctxt, d);
	case H_POP_RM:
	case H_PUSH_REG:
	case H_POP_REG:
	case H_PUSH_IMM:
		return emu_exec_stack(ctxt, d);
	case H_XCHG:
		return exec_xchg(ctxt, d);
	case H_CMPXCHG:
		return exec_cmpxchg(ctxt, d);
	case H_XADD:
		return exec_xadd(ctxt, d);
	case H_BT:
	case H_BT_IMM:
		return exec_bt_any(ctxt, d);
	case H_CMOV:
		return exec_cmov(ctxt, d);
	case H_SETCC:
		return emu_put_rm(ctxt, d, 1, &val,
				  emu_cond(ctxt->rflags, d->b & 0xf), false);
	case H_MOVNTI:
		return emu_put_rm(ctxt, d, d->opsize, &val,
				  emu_reg_get(ctxt, d, d->reg, d->opsize),
				  false);
	case H_MOVS:
	case H_CMPS:
	case H_STOS:
	case H_LODS:
	case H_SCAS:
		return emu_string(ctxt, d);
	case H_INS:
	case H_OUTS:
		return emu_string_io(ctxt, d);
	case H_SHIFT:
		return emu_exec_shift(ctxt, d);
	case H_SHLD:
		return emu_exec_shld(ctxt, d);
	case H_IMUL2:
	case H_IMUL3:
		return emu_exec_imul(ctxt, d);
	case H_CMPXCHG8B:
		return emu_exec_cmpxchg8b(ctxt, d);
	case H_MOVBE:
	case H_BSF:
	case H_POPCNT:
	case H_TZCNT:
		return emu_exec_bits(ctxt, d);
	case H_VEC:
		return emu_vec_execute(ctxt, d);
	default:
		return KVMX_EMU_UNHANDLED;
	}
}
