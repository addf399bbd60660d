// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decode of the SSE and AVX moves: the legacy SSE forms, which a
 * mandatory 66, F3 or F2 prefix selects in the 0F and 0F 38 maps, and
 * their VEX encodings (C5 two-byte and C4 three-byte prefixes, SDM Vol. 2
 * 2.3), with the register extensions, vector length, vvvv operand, map
 * and implied prefix VEX carries.  Only the forms in the table below are
 * claimed (handler H_VEC); any other byte sequence goes back to decode.c
 * as it was.  vector.c checks and executes them.
 */
#include "vector.h"

#define F0F(op, pp, kind, size, flags) \
	{ EMU_MAP_0F, op, pp, kind, size, flags }

/* Every form exists in legacy SSE and VEX encodings (SDM Vol. 2 ch. 3-5). */
static const struct emu_vec_form emu_vec_forms[] = {
	/* MOVUPS, MOVUPD, MOVSS, MOVSD */
	F0F(0x10, PP_NONE, VK_FULL, 0, 0),
	F0F(0x10, PP_66, VK_FULL, 0, 0),
	F0F(0x10, PP_F3, VK_SCALAR, 4, VF_LIG | VF_NDS_REG),
	F0F(0x10, PP_F2, VK_SCALAR, 8, VF_LIG | VF_NDS_REG),
	F0F(0x11, PP_NONE, VK_FULL, 0, VF_STORE),
	F0F(0x11, PP_66, VK_FULL, 0, VF_STORE),
	F0F(0x11, PP_F3, VK_SCALAR, 4, VF_STORE | VF_LIG | VF_NDS_REG),
	F0F(0x11, PP_F2, VK_SCALAR, 8, VF_STORE | VF_LIG | VF_NDS_REG),
	/* MOVLPS (MOVHLPS with a register source), MOVLPD */
	F0F(0x12, PP_NONE, VK_LOW, 8, VF_L0 | VF_NDS),
	F0F(0x12, PP_66, VK_LOW, 8, VF_L0 | VF_NDS | VF_MEMONLY),
	F0F(0x13, PP_NONE, VK_LOW, 8, VF_STORE | VF_L0 | VF_MEMONLY),
	F0F(0x13, PP_66, VK_LOW, 8, VF_STORE | VF_L0 | VF_MEMONLY),
	/* MOVHPS (MOVLHPS with a register source), MOVHPD */
	F0F(0x16, PP_NONE, VK_HIGH, 8, VF_L0 | VF_NDS),
	F0F(0x16, PP_66, VK_HIGH, 8, VF_L0 | VF_NDS | VF_MEMONLY),
	F0F(0x17, PP_NONE, VK_HIGH, 8, VF_STORE | VF_L0 | VF_MEMONLY),
	F0F(0x17, PP_66, VK_HIGH, 8, VF_STORE | VF_L0 | VF_MEMONLY),
	/* MOVAPS, MOVAPD */
	F0F(0x28, PP_NONE, VK_FULL, 0, VF_ALIGN),
	F0F(0x28, PP_66, VK_FULL, 0, VF_ALIGN),
	F0F(0x29, PP_NONE, VK_FULL, 0, VF_STORE | VF_ALIGN),
	F0F(0x29, PP_66, VK_FULL, 0, VF_STORE | VF_ALIGN),
	/* MOVNTPS, MOVNTPD */
	F0F(0x2b, PP_NONE, VK_FULL, 0, VF_STORE | VF_ALIGN | VF_MEMONLY),
	F0F(0x2b, PP_66, VK_FULL, 0, VF_STORE | VF_ALIGN | VF_MEMONLY),
	/* MOVD/MOVQ with a GPR or memory (REX.W, VEX.W: 64 bits) */
	F0F(0x6e, PP_66, VK_GPR, 4, VF_L0),
	F0F(0x7e, PP_66, VK_GPR, 4, VF_STORE | VF_L0),
	/* MOVDQA, MOVDQU */
	F0F(0x6f, PP_66, VK_FULL, 0, VF_ALIGN),
	F0F(0x6f, PP_F3, VK_FULL, 0, 0),
	F0F(0x7f, PP_66, VK_FULL, 0, VF_STORE | VF_ALIGN),
	F0F(0x7f, PP_F3, VK_FULL, 0, VF_STORE),
	/* MOVQ xmm, xmm/m64 and MOVQ xmm/m64, xmm */
	F0F(0x7e, PP_F3, VK_ZEXT, 8, VF_L0),
	F0F(0xd6, PP_66, VK_ZEXT, 8, VF_STORE | VF_L0),
	/* MOVNTDQ, MOVNTDQA */
	F0F(0xe7, PP_66, VK_FULL, 0, VF_STORE | VF_ALIGN | VF_MEMONLY),
	{ EMU_MAP_0F38, 0x2a, PP_66, VK_FULL, 0, VF_ALIGN | VF_MEMONLY },
};

static const struct emu_vec_form *emu_vec_find(u8 map, u8 op, u8 pp)
{
	unsigned int i;

	for (i = 0; i < EMU_ARRAY_SIZE(emu_vec_forms); i++) {
		const struct emu_vec_form *f = &emu_vec_forms[i];

		if (f->map == map && f->op == op && f->pp == pp)
			return f;
	}
	return NULL;
}

/* A form was found: decode.c goes on with ModRM (no immediates here). */
static int emu_vec_claim(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
			 const struct emu_vec_form *f)
{
	/* Without access to the vector registers the caller cannot do these. */
	if (!ctxt->ops->get_vreg || !ctxt->ops->set_vreg)
		return KVMX_EMU_UNHANDLED;
	d->two_byte = true;
	d->b = f->op;
	d->v.form = f;
	d->map = f->map;
	ctxt->opcode = (f->map == EMU_MAP_0F38 ? 0x3800 : 0x0f00) | f->op;
	d->desc.flags = D_MODRM;
	if (f->flags & VF_MEMONLY)
		d->desc.flags |= D_MEMONLY;
	d->desc.handler = H_VEC;
	return KVMX_EMU_OK;
}

/*
 * 0F xx or 0F 38 xx with the legacy prefixes as the mandatory prefix: F3
 * or F2 (the last one) over 66 (SDM Vol. 2 2.1.2).  REX.W selects MOVQ
 * for 66 0F 6E/7E and is ignored by the others.
 */
static int emu_sse(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	const struct emu_vec_form *f;
	u8 start = d->len, op, map = EMU_MAP_0F, pp;
	int r;

	r = emu_byte(ctxt, d, &op);
	if (r != KVMX_EMU_OK)
		return r;
	if (op == 0x38) {
		map = EMU_MAP_0F38;
		r = emu_byte(ctxt, d, &op);
		if (r != KVMX_EMU_OK)
			return r;
	}
	if (d->rep)
		pp = d->rep == 0xf3 ? PP_F3 : PP_F2;
	else
		pp = d->opsize_prefix ? PP_66 : PP_NONE;
	f = emu_vec_find(map, op, pp);
	if (!f) {
		/* Not ours: decode.c reads the opcode bytes again. */
		d->len = start;
		return KVMX_EMU_OK;
	}
	d->v.w = d->rex & 8;
	return emu_vec_claim(ctxt, d, f);
}

/*
 * C4 (three-byte) or C5 (two-byte) VEX (SDM Vol. 2 2.3.5).  R, X, B and
 * vvvv are stored inverted.  Outside 64-bit mode these bytes are LES and
 * LDS unless the next byte's top bits are 11 (a register operand, invalid
 * for LES/LDS), and then R and X are necessarily 0, B and W are ignored
 * and so is the top bit of vvvv as a register number.
 */
static int emu_vex(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	const struct emu_vec_form *f;
	u8 start = d->len, b1, b2, op, map = EMU_MAP_0F, rxb;
	bool is64 = emu_is64(ctxt);
	int r;

	r = emu_byte(ctxt, d, &b1);
	if (r != KVMX_EMU_OK)
		return r;
	if (!is64 && (b1 & 0xc0) != 0xc0) {
		d->len = start;
		return KVMX_EMU_OK;
	}
	if (!ctxt->ops->get_vreg || !ctxt->ops->set_vreg)
		return KVMX_EMU_UNHANDLED;
	/*
	 * VEX is #UD in real and virtual-8086 mode, and after a 66, F2, F3,
	 * LOCK or REX prefix (SDM Vol. 2 2.3.2, 2.3.3).
	 */
	if (!emu_protected(ctxt) || d->opsize_prefix || d->rep || d->lock ||
	    d->rex)
		return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
	if (d->b == 0xc4) {
		rxb = (~b1 >> 5) & 7;
		/* m-mmmm: 1 is 0F, 2 is 0F 38; no other map is ours. */
		if ((b1 & 0x1f) == 2)
			map = EMU_MAP_0F38;
		else if ((b1 & 0x1f) != 1)
			map = EMU_MAP_1;
		r = emu_byte(ctxt, d, &b2);
		if (r != KVMX_EMU_OK)
			return r;
	} else {
		rxb = (~b1 >> 5) & 4;
		b2 = b1 & 0x7f;		/* W = 0 */
	}
	r = emu_byte(ctxt, d, &op);
	if (r != KVMX_EMU_OK)
		return r;
	d->v.vex = true;
	d->v.l = b2 & 4;
	d->v.vvvv = (~b2 >> 3) & 15;
	if (is64) {
		/* The REX bits, as emu_modrm() reads them. */
		d->rex = 0x40 | rxb | ((b2 & 0x80) >> 4);
		d->v.w = b2 & 0x80;
	}
	ctxt->opcode = (map == EMU_MAP_0F38 ? 0x3800 : 0x0f00) | op;
	/* Reserved maps are #UD, but a later CPU may define them. */
	f = emu_vec_find(map, op, b2 & 3);
	if (!f)
		return KVMX_EMU_UNHANDLED;
	return emu_vec_claim(ctxt, d, f);
}

/*
 * Called with the first byte after the legacy prefixes in d->b.  Returns
 * OK with d->desc.handler H_VEC for a vector move, OK with the handler
 * left H_NONE (and d->len as it was) for anything else, or the exception
 * or UNHANDLED the vector decode ran into.
 */
int emu_vec_decode(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	if (d->b == 0xc4 || d->b == 0xc5)
		return emu_vex(ctxt, d);
	if (d->b == 0x0f)
		return emu_sse(ctxt, d);
	return KVMX_EMU_OK;
}
