// SPDX-License-Identifier: GPL-2.0-only
/*
 * Execution of the SSE and AVX moves decode_vex.c found: the exception
 * checks of SDM Vol. 2 2.4 and 2.8 (CR0.EM/TS, CR4.OSFXSR/OSXSAVE, XCR0,
 * VEX.L and VEX.vvvv, alignment), then the move between a vector register
 * and memory, a GPR or another vector register.  The emulator itself only
 * copies bytes: vector registers are read and written through the
 * caller's get_vreg/set_vreg callbacks, never touched here (kvm.ko must
 * not use SSE or AVX instructions itself).
 */
#include "vector.h"

#define EMU_CR0_EM		0x4ULL		/* bit 2 */
#define EMU_CR0_TS		0x8ULL		/* bit 3 */
#define EMU_CR4_OSFXSR		0x200ULL	/* bit 9 */
#define EMU_CR4_OSXSAVE		0x40000ULL	/* bit 18 */
#define EMU_XCR0_SSE_YMM	0x6ULL		/* bits 1 and 2 */

/*
 * The checks before any access (SDM Vol. 2 2.8, the exception-class
 * tables; Vol. 3A 13.1.3).  Legacy SSE: #UD with CR0.EM or without
 * CR4.OSFXSR.  VEX: #UD without CR4.OSXSAVE or with XCR0 lacking SSE or
 * YMM state (CR0.EM and CR4.OSFXSR do not matter), with VEX.L where only
 * VEX.128 exists, or with vvvv other than 1111 where it names no operand.
 * Then #NM with CR0.TS for both.
 */
static int emu_vec_check(struct kvmx_emu_ctxt *ctxt, const struct emu_insn *d)
{
	const struct emu_vec_form *f = d->v.form;
	bool nds = (f->flags & VF_NDS) ||
		   ((f->flags & VF_NDS_REG) && d->e.type == OP_REG);

	if (d->v.vex) {
		if (!(ctxt->cr4 & EMU_CR4_OSXSAVE) ||
		    (ctxt->xcr0 & EMU_XCR0_SSE_YMM) != EMU_XCR0_SSE_YMM)
			return emu_ud(ctxt);
		if ((f->flags & VF_L0) && d->v.l)
			return emu_ud(ctxt);
		if (!nds && d->v.vvvv)
			return emu_ud(ctxt);
	} else if ((ctxt->cr0 & EMU_CR0_EM) || !(ctxt->cr4 & EMU_CR4_OSFXSR)) {
		return emu_ud(ctxt);
	}
	if (ctxt->cr0 & EMU_CR0_TS)
		return emu_exception(ctxt, KVMX_EMU_VEC_NM, false, 0);
	return KVMX_EMU_OK;
}

/*
 * The memory operand.  The aligned forms (MOVDQA, MOVAPS, MOVAPD, the
 * MOVNTs) raise #GP(0) for a linear address not aligned to the operand,
 * on the stack segment too (SDM Vol. 3A 6.15, interrupt 13), once the
 * segment checks passed.  The others are #AC-checked by emu_linear() as
 * any access of up to 8 bytes; 16- and 32-byte unaligned moves never #AC.
 */
static int emu_vec_mem(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
		       void *buf, unsigned int size, bool write)
{
	u64 la;
	int r;

	if (d->v.form->flags & VF_ALIGN) {
		r = emu_linear(ctxt, d->e.seg, d->e.ea, d->adsize, size,
			       write ? EMU_WRITE : EMU_READ, &la);
		if (r != KVMX_EMU_OK)
			return r;
		if (la & (size - 1))
			return emu_exception(ctxt, KVMX_EMU_VEC_GP, true, 0);
	}
	if (write)
		return emu_mem_write(ctxt, d->e.seg, d->e.ea, d->adsize, buf,
				     size);
	return emu_mem_read(ctxt, d->e.seg, d->e.ea, d->adsize, buf, size,
			    EMU_READ);
}

/* The register VEX.vvvv names; outside 64-bit mode only XMM0-7 exist. */
static unsigned int emu_vvvv(const struct kvmx_emu_ctxt *ctxt,
			     const struct emu_insn *d)
{
	return emu_is64(ctxt) ? d->v.vvvv : d->v.vvvv & 7;
}

/*
 * Write the moved bytes into vector register dst.  Full moves and the
 * zero-extending ones start from zero; MOVLPS/MOVHPS and the register
 * forms of MOVSS/MOVSD keep the rest of the low 128 bits, from dst itself
 * (legacy SSE) or from the vvvv register (VEX).  Legacy SSE writes 16
 * bytes and leaves bits 255:128 alone; VEX writes 32, zero-extended.
 */
static int emu_vec_put(struct kvmx_emu_ctxt *ctxt, const struct emu_insn *d,
		       unsigned int dst, const u8 *val, unsigned int size)
{
	const struct emu_vec_form *f = d->v.form;
	bool merge = f->kind == VK_LOW || f->kind == VK_HIGH ||
		     (f->kind == VK_SCALAR && d->e.type == OP_REG);
	u8 out[32];
	int r;

	memset(out, 0, sizeof(out));
	if (merge) {
		r = ctxt->ops->get_vreg(ctxt, d->v.vex ? emu_vvvv(ctxt, d) :
					dst, out, 16);
		if (r != KVMX_EMU_OK)
			return r;
	}
	memcpy(out + (f->kind == VK_HIGH ? 8 : 0), val, size);
	return ctxt->ops->set_vreg(ctxt, dst, out, d->v.vex ? 32 : 16);
}

int emu_vec_execute(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	const struct emu_vec_form *f = d->v.form;
	unsigned int size = f->size, src_off = 0;
	bool mem = d->e.type == OP_MEM;
	u8 val[32];
	u64 gpr;
	int r;

	r = emu_vec_check(ctxt, d);
	if (r != KVMX_EMU_OK)
		return r;
	if (!size)
		size = d->v.l ? 32 : 16;
	if (f->kind == VK_GPR && d->v.w)
		size = 8;
	memset(val, 0, sizeof(val));

	if (f->flags & VF_STORE) {
		/* MOVHPS/MOVHPD store bytes 15:8. */
		if (f->kind == VK_HIGH)
			src_off = 8;
		r = ctxt->ops->get_vreg(ctxt, d->reg, val,
					size > 16 ? 32 : 16);
		if (r != KVMX_EMU_OK)
			return r;
		if (mem)
			return emu_vec_mem(ctxt, d, val + src_off, size, true);
		if (f->kind == VK_GPR) {
			gpr = 0;
			memcpy(&gpr, val, size);
			/* A 32-bit destination clears bits 63:32. */
			emu_reg_set_ad(ctxt, d->e.reg, size, gpr);
			return KVMX_EMU_OK;
		}
		return emu_vec_put(ctxt, d, d->e.reg, val, size);
	}

	if (mem) {
		r = emu_vec_mem(ctxt, d, val, size, false);
	} else if (f->kind == VK_GPR) {
		gpr = ctxt->regs[d->e.reg];
		memcpy(val, &gpr, size);
		r = KVMX_EMU_OK;
	} else {
		/* MOVHLPS takes the source's bytes 15:8. */
		if (f->kind == VK_LOW)
			src_off = 8;
		r = ctxt->ops->get_vreg(ctxt, d->e.reg, val,
					size > 16 ? 32 : 16);
	}
	if (r != KVMX_EMU_OK)
		return r;
	return emu_vec_put(ctxt, d, d->reg, val + src_off, size);
}
