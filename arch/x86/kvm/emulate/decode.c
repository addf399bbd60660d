// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instruction decode: fetching the bytes at CS:rIP (from the caller's
 * pre-fetched bytes first), legacy and REX prefixes, the one-byte, 0F and
 * 0F 38 opcode maps (with their mandatory-prefix columns) as far as the
 * executor handles them, ModRM/SIB in 16-, 32-
 * and 64-bit addressing including RIP-relative, displacements and
 * immediates (SDM Vol. 2 chapter 2).  Decode never executes anything and
 * touches guest memory only through the fetch callback.
 */
#include "internal.h"

/* The one-byte map (SDM Vol. 2 Table A-2); H_NONE entries are unhandled. */
static const struct emu_opdesc emu_map1[256] = {
	/* ADD: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x00] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x01] = { D_MODRM | D_LOCK, H_ALU },
	[0x02] = { D_MODRM | D_BYTE, H_ALU },
	[0x03] = { D_MODRM, H_ALU },
	[0x04] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x05] = { D_IMMZ, H_ALU_ACC },
	/* OR: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x08] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x09] = { D_MODRM | D_LOCK, H_ALU },
	[0x0a] = { D_MODRM | D_BYTE, H_ALU },
	[0x0b] = { D_MODRM, H_ALU },
	[0x0c] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x0d] = { D_IMMZ, H_ALU_ACC },
	/* ADC: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x10] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x11] = { D_MODRM | D_LOCK, H_ALU },
	[0x12] = { D_MODRM | D_BYTE, H_ALU },
	[0x13] = { D_MODRM, H_ALU },
	[0x14] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x15] = { D_IMMZ, H_ALU_ACC },
	/* SBB: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x18] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x19] = { D_MODRM | D_LOCK, H_ALU },
	[0x1a] = { D_MODRM | D_BYTE, H_ALU },
	[0x1b] = { D_MODRM, H_ALU },
	[0x1c] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x1d] = { D_IMMZ, H_ALU_ACC },
	/* AND: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x20] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x21] = { D_MODRM | D_LOCK, H_ALU },
	[0x22] = { D_MODRM | D_BYTE, H_ALU },
	[0x23] = { D_MODRM, H_ALU },
	[0x24] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x25] = { D_IMMZ, H_ALU_ACC },
	/* SUB: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x28] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x29] = { D_MODRM | D_LOCK, H_ALU },
	[0x2a] = { D_MODRM | D_BYTE, H_ALU },
	[0x2b] = { D_MODRM, H_ALU },
	[0x2c] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x2d] = { D_IMMZ, H_ALU_ACC },
	/* XOR: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x30] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x31] = { D_MODRM | D_LOCK, H_ALU },
	[0x32] = { D_MODRM | D_BYTE, H_ALU },
	[0x33] = { D_MODRM, H_ALU },
	[0x34] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x35] = { D_IMMZ, H_ALU_ACC },
	/* CMP: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz */
	[0x38] = { D_MODRM | D_BYTE | D_LOCK, H_ALU },
	[0x39] = { D_MODRM | D_LOCK, H_ALU },
	[0x3a] = { D_MODRM | D_BYTE, H_ALU },
	[0x3b] = { D_MODRM, H_ALU },
	[0x3c] = { D_BYTE | D_IMM8, H_ALU_ACC },
	[0x3d] = { D_IMMZ, H_ALU_ACC },
	[0x50 ... 0x57] = { D_OPREG | D_STACK64, H_PUSH_REG },
	[0x58 ... 0x5f] = { D_OPREG | D_STACK64, H_POP_REG },
	[0x63] = { D_MODRM, H_MOVSXD },
	[0x68] = { D_IMMZ | D_STACK64, H_PUSH_IMM },
	[0x69] = { D_MODRM | D_IMMZ, H_IMUL3 },
	[0x6a] = { D_IMM8S | D_STACK64, H_PUSH_IMM },
	[0x6b] = { D_MODRM | D_IMM8S, H_IMUL3 },
	[0x6c] = { D_BYTE, H_INS },
	[0x6d] = { 0, H_INS },
	[0x6e] = { D_BYTE, H_OUTS },
	[0x6f] = { 0, H_OUTS },
	[0x80] = { D_MODRM | D_GRP | D_BYTE | D_IMM8 | D_LOCK, H_ALU },
	[0x81] = { D_MODRM | D_GRP | D_IMMZ | D_LOCK, H_ALU },
	[0x82] = { D_MODRM | D_GRP | D_BYTE | D_IMM8 | D_LOCK | D_NO64, H_ALU },
	[0x83] = { D_MODRM | D_GRP | D_IMM8S | D_LOCK, H_ALU },
	[0x84] = { D_MODRM | D_BYTE, H_TEST },
	[0x85] = { D_MODRM, H_TEST },
	[0x86] = { D_MODRM | D_BYTE | D_LOCK, H_XCHG },
	[0x87] = { D_MODRM | D_LOCK, H_XCHG },
	[0x88] = { D_MODRM | D_BYTE, H_MOV },
	[0x89] = { D_MODRM, H_MOV },
	[0x8a] = { D_MODRM | D_BYTE, H_MOV },
	[0x8b] = { D_MODRM, H_MOV },
	[0x8f] = { D_MODRM | D_GRP | D_STACK64, H_POP_RM },
	[0xa0] = { D_MOFFS | D_BYTE, H_MOV_MOFFS },
	[0xa1] = { D_MOFFS, H_MOV_MOFFS },
	[0xa2] = { D_MOFFS | D_BYTE, H_MOV_MOFFS },
	[0xa3] = { D_MOFFS, H_MOV_MOFFS },
	[0xa4] = { D_BYTE, H_MOVS },
	[0xa5] = { 0, H_MOVS },
	[0xa6] = { D_BYTE, H_CMPS },
	[0xa7] = { 0, H_CMPS },
	[0xa8] = { D_BYTE | D_IMM8, H_TEST_ACC },
	[0xa9] = { D_IMMZ, H_TEST_ACC },
	[0xaa] = { D_BYTE, H_STOS },
	[0xab] = { 0, H_STOS },
	[0xac] = { D_BYTE, H_LODS },
	[0xad] = { 0, H_LODS },
	[0xae] = { D_BYTE, H_SCAS },
	[0xaf] = { 0, H_SCAS },
	/* group 2: ROL ROR RCL RCR SHL SHR SAL SAR by imm8, 1 and CL */
	[0xc0] = { D_MODRM | D_GRP | D_BYTE | D_IMM8, H_SHIFT },
	[0xc1] = { D_MODRM | D_GRP | D_IMM8, H_SHIFT },
	[0xc6] = { D_MODRM | D_GRP | D_BYTE | D_IMM8, H_MOV },
	[0xc7] = { D_MODRM | D_GRP | D_IMMZ, H_MOV },
	[0xd0] = { D_MODRM | D_GRP | D_BYTE, H_SHIFT },
	[0xd1] = { D_MODRM | D_GRP, H_SHIFT },
	[0xd2] = { D_MODRM | D_GRP | D_BYTE, H_SHIFT },
	[0xd3] = { D_MODRM | D_GRP, H_SHIFT },
	[0xf6] = { D_MODRM | D_GRP | D_BYTE | D_LOCK, H_GRP3 },
	[0xf7] = { D_MODRM | D_GRP | D_LOCK, H_GRP3 },
	[0xfe] = { D_MODRM | D_GRP | D_BYTE | D_LOCK, H_GRP4 },
	[0xff] = { D_MODRM | D_GRP | D_LOCK, H_GRP5 },
};

/* The two-byte map, 0F xx (SDM Vol. 2 Table A-3), without prefixes. */
static const struct emu_opdesc emu_map2[256] = {
	[0x40 ... 0x4f] = { D_MODRM, H_CMOV },
	[0x90 ... 0x9f] = { D_MODRM | D_BYTE, H_SETCC },
	[0xa3] = { D_MODRM, H_BT },
	[0xa4] = { D_MODRM | D_IMM8, H_SHLD },
	[0xa5] = { D_MODRM, H_SHLD },
	[0xab] = { D_MODRM | D_LOCK, H_BT },
	[0xac] = { D_MODRM | D_IMM8, H_SHLD },
	[0xad] = { D_MODRM, H_SHLD },
	[0xaf] = { D_MODRM, H_IMUL2 },
	[0xb0] = { D_MODRM | D_BYTE | D_LOCK, H_CMPXCHG },
	[0xb1] = { D_MODRM | D_LOCK, H_CMPXCHG },
	[0xb3] = { D_MODRM | D_LOCK, H_BT },
	[0xb6] = { D_MODRM, H_MOVZX },
	[0xb7] = { D_MODRM, H_MOVZX },
	[0xba] = { D_MODRM | D_GRP | D_IMM8 | D_LOCK, H_BT_IMM },
	[0xbb] = { D_MODRM | D_LOCK, H_BT },
	[0xbc] = { D_MODRM, H_BSF },
	[0xbd] = { D_MODRM, H_BSF },
	[0xbe] = { D_MODRM, H_MOVSX },
	[0xbf] = { D_MODRM, H_MOVSX },
	[0xc0] = { D_MODRM | D_BYTE | D_LOCK, H_XADD },
	[0xc1] = { D_MODRM | D_LOCK, H_XADD },
	[0xc3] = { D_MODRM | D_MEMONLY, H_MOVNTI },
	/* /1 CMPXCHG8B/16B; the rest of group 9 is not ours */
	[0xc7] = { D_MODRM | D_GRP | D_LOCK, H_CMPXCHG8B },
};

/* 0F xx with F3 (SDM Vol. 2 Table A-3, the F3 rows). */
static const struct emu_opdesc emu_map2_f3[256] = {
	[0xb8] = { D_MODRM, H_POPCNT },
	[0xbc] = { D_MODRM, H_TZCNT },		/* TZCNT */
	[0xbd] = { D_MODRM, H_TZCNT },		/* LZCNT */
};

/* The three-byte map 0F 38 xx (SDM Vol. 2 Table A-4), without prefixes. */
static const struct emu_opdesc emu_map3_38[256] = {
	[0xf0] = { D_MODRM | D_MEMONLY, H_MOVBE },
	[0xf1] = { D_MODRM | D_MEMONLY, H_MOVBE },
};

/*
 * An escaped opcode map and its mandatory-prefix columns (SDM Vol. 2
 * 2.1.2, A.2.4.1).  With F2 or F3 (the last one seen) the entry comes
 * from .f2 or .f3, and an empty one there is unhandled: the prefix makes
 * it another instruction.  With 66 an entry of .p66 wins and the 66 is
 * not an operand-size override; without one, .none applies with 66 as
 * operand size.  NULL columns are empty.  Legacy SSE forms go in .p66,
 * .f3 and .f2.
 */
struct emu_opmap {
	const struct emu_opdesc *none, *p66, *f3, *f2;
};

static const struct emu_opmap emu_maps[] = {
	[EMU_MAP_0F] = { .none = emu_map2, .f3 = emu_map2_f3 },
	[EMU_MAP_0F38] = { .none = emu_map3_38 },
};

static struct emu_opdesc emu_lookup(const struct kvmx_emu_ctxt *ctxt,
				     struct emu_insn *d)
{
	const struct emu_opmap *m = &emu_maps[d->map];
	const struct emu_opdesc *col = m->none;
	static const struct emu_opdesc none;

	/*
	 * F3 0F BC/BD are TZCNT/LZCNT only on CPUs with BMI1/LZCNT; the
	 * others ignore the F3 and run BSF/BSR (SDM Vol. 2, TZCNT, LZCNT).
	 */
	if (d->rep == 0xf3 && d->map == EMU_MAP_0F &&
	    ((d->b == 0xbc && ctxt->no_tzcnt) ||
	     (d->b == 0xbd && ctxt->no_lzcnt)))
		return emu_map2[d->b];
	if (d->rep) {
		col = d->rep == 0xf3 ? m->f3 : m->f2;
	} else if (d->opsize_prefix && m->p66 &&
		   m->p66[d->b].handler != H_NONE) {
		d->opsize_prefix = false;
		col = m->p66;
	}
	return col ? col[d->b] : none;
}

/*
 * Make byte d->len available in ctxt->insn_bytes.  Bytes are fetched up
 * to the end of the page (never across it: the next page may not be
 * mapped even though the instruction ends before it) and never past the
 * CS limit, so a fault is raised only for a byte the instruction needs.
 */
static int emu_fetch_more(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	u64 ip = ctxt->rip + d->avail, linear;
	unsigned int n = KVMX_EMU_MAX_INSN - d->avail;
	const struct kvmx_emu_seg *cs = emu_seg(ctxt, KVMX_EMU_CS);
	int r;

	if (emu_is64(ctxt)) {
		linear = ip;
		/* A non-canonical rIP faults on fetch (SDM Vol. 3A 6.15). */
		if (!emu_canonical(ctxt, linear))
			return emu_exception(ctxt, KVMX_EMU_VEC_GP, true, 0);
	} else {
		ip &= 0xffffffffULL;
		if (ip > cs->limit)
			return emu_exception(ctxt, KVMX_EMU_VEC_GP, true, 0);
		if (n > (u64)cs->limit - ip + 1)
			n = cs->limit - ip + 1;
		linear = (cs->base + ip) & 0xffffffffULL;
	}
	if (n > 4096 - (linear & 4095))
		n = 4096 - (linear & 4095);
	if (!ctxt->ops->fetch)
		return KVMX_EMU_UNHANDLED;
	r = ctxt->ops->fetch(ctxt, linear, ctxt->insn_bytes + d->avail, n);
	if (r != KVMX_EMU_OK)
		return r;
	d->avail += n;
	return KVMX_EMU_OK;
}

/* The next instruction byte; #GP(0) past 15 bytes (SDM Vol. 2 2.3.11). */
int emu_byte(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d, u8 *out)
{
	int r;

	if (d->len >= KVMX_EMU_MAX_INSN)
		return emu_exception(ctxt, KVMX_EMU_VEC_GP, true, 0);
	if (d->len >= d->avail) {
		r = emu_fetch_more(ctxt, d);
		if (r != KVMX_EMU_OK)
			return r;
	}
	*out = ctxt->insn_bytes[d->len++];
	return KVMX_EMU_OK;
}

/* A little-endian immediate or displacement of n bytes, zero-extended. */
static int emu_bytes(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
		     unsigned int n, u64 *out)
{
	unsigned int i;
	u64 v = 0;
	u8 b;
	int r;

	/*
	 * All of them already fetched (avail is at most 15, so none is past
	 * the limit emu_byte() checks): take them without a call per byte.
	 */
	if (d->len + n <= d->avail) {
		for (i = 0; i < n; i++)
			v |= (u64)ctxt->insn_bytes[d->len + i] << (i * 8);
		d->len += n;
		*out = v;
		return KVMX_EMU_OK;
	}
	for (i = 0; i < n; i++) {
		r = emu_byte(ctxt, d, &b);
		if (r != KVMX_EMU_OK)
			return r;
		v |= (u64)b << (i * 8);
	}
	*out = v;
	return KVMX_EMU_OK;
}

/*
 * Legacy prefixes in any order, then REX in 64-bit mode, which counts
 * only when it comes last (SDM Vol. 2 2.2.1).  In 64-bit mode the ES, CS,
 * SS and DS overrides are ignored (SDM Vol. 1 3.3.7.1).
 */
static int emu_prefixes(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	u8 b;
	int r;

	for (;;) {
		r = emu_byte(ctxt, d, &b);
		if (r != KVMX_EMU_OK)
			return r;
		switch (b) {
		case 0x66:
			d->opsize_prefix = true;
			break;
		case 0x67:
			d->adsize_prefix = true;
			break;
		case 0xf0:
			d->lock = true;
			break;
		case 0xf2:
		case 0xf3:
			d->rep = b;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			if (!emu_is64(ctxt))
				d->seg_override = (b >> 3) & 3;
			break;
		case 0x64:
		case 0x65:
			d->seg_override = KVMX_EMU_FS + (b & 1);
			break;
		default:
			if (emu_is64(ctxt) && (b & 0xf0) == 0x40) {
				d->rex = b;
				continue;
			}
			d->b = b;
			return KVMX_EMU_OK;
		}
		/* A legacy prefix after REX cancels the REX. */
		d->rex = 0;
	}
}

static void emu_sizes(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	bool d32;

	if (emu_is64(ctxt)) {
		if (d->rex & 8)
			d->opsize = 8;
		else if (d->desc.flags & D_STACK64)
			d->opsize = d->opsize_prefix ? 2 : 8;
		else
			d->opsize = d->opsize_prefix ? 2 : 4;
		d->adsize = d->adsize_prefix ? 4 : 8;
	} else {
		d32 = ctxt->mode == KVMX_EMU_MODE_PROT32 ||
		      ctxt->mode == KVMX_EMU_MODE_COMPAT32;
		d->opsize = (d32 != d->opsize_prefix) ? 4 : 2;
		d->adsize = (d32 != d->adsize_prefix) ? 4 : 2;
	}
	if (d->desc.flags & D_BYTE)
		d->opsize = 1;
}

/* 16-bit addressing: the eight base/index pairs of SDM Vol. 2 Table 2-1. */
static int emu_modrm16(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	static const s8 base[8] = { KVMX_EMU_RBX, KVMX_EMU_RBX, KVMX_EMU_RBP,
				    KVMX_EMU_RBP, -1, -1, KVMX_EMU_RBP,
				    KVMX_EMU_RBX };
	static const s8 index[8] = { KVMX_EMU_RSI, KVMX_EMU_RDI, KVMX_EMU_RSI,
				     KVMX_EMU_RDI, KVMX_EMU_RSI, KVMX_EMU_RDI,
				     -1, -1 };
	unsigned int rm = d->modrm & 7;
	u64 ea = 0, disp = 0;
	int r = KVMX_EMU_OK;

	if (d->mod == 0 && rm == 6) {
		r = emu_bytes(ctxt, d, 2, &disp);
	} else {
		if (base[rm] >= 0)
			ea += ctxt->regs[base[rm]];
		if (index[rm] >= 0)
			ea += ctxt->regs[index[rm]];
		if (base[rm] == KVMX_EMU_RBP)
			d->e.stack = true;
		if (d->mod == 1) {
			r = emu_bytes(ctxt, d, 1, &disp);
			disp = emu_sext(disp, 1);
		} else if (d->mod == 2) {
			r = emu_bytes(ctxt, d, 2, &disp);
		}
	}
	d->e.ea = (ea + disp) & 0xffff;
	return r;
}

/* 32- and 64-bit addressing, SIB and RIP-relative (SDM Vol. 2 2.1.5, 2.2.1.6). */
static int emu_modrm32(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int rm = d->modrm & 7, base, index, scale;
	u64 ea = 0, disp = 0;
	u8 sib;
	int r;

	if (rm == 4) {
		r = emu_byte(ctxt, d, &sib);
		if (r != KVMX_EMU_OK)
			return r;
		scale = sib >> 6;
		index = ((sib >> 3) & 7) | ((d->rex & 2) << 2);
		base = (sib & 7) | ((d->rex & 1) << 3);
		/* Index 100b without REX.X means none; R12 is an index. */
		if (index != KVMX_EMU_RSP)
			ea += ctxt->regs[index] << scale;
		if ((base & 7) == 5 && d->mod == 0) {
			r = emu_bytes(ctxt, d, 4, &disp);
			if (r != KVMX_EMU_OK)
				return r;
			disp = emu_sext(disp, 4);
		} else {
			ea += ctxt->regs[base];
			if (base == KVMX_EMU_RSP || base == KVMX_EMU_RBP)
				d->e.stack = true;
			d->e.rsp_base = base == KVMX_EMU_RSP;
		}
	} else if (rm == 5 && d->mod == 0) {
		r = emu_bytes(ctxt, d, 4, &disp);
		if (r != KVMX_EMU_OK)
			return r;
		disp = emu_sext(disp, 4);
		/* In 64-bit mode this is rIP-relative, to the next instruction. */
		d->rip_rel = emu_is64(ctxt);
	} else {
		base = rm | ((d->rex & 1) << 3);
		ea += ctxt->regs[base];
		if (base == KVMX_EMU_RSP || base == KVMX_EMU_RBP)
			d->e.stack = true;
	}
	if (d->mod == 1) {
		r = emu_bytes(ctxt, d, 1, &disp);
		disp = emu_sext(disp, 1);
	} else if (d->mod == 2) {
		r = emu_bytes(ctxt, d, 4, &disp);
		disp = emu_sext(disp, 4);
	} else {
		r = KVMX_EMU_OK;
	}
	d->e.ea = (ea + disp) & emu_mask(d->adsize);
	return r;
}

static int emu_modrm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	int r;

	r = emu_byte(ctxt, d, &d->modrm);
	if (r != KVMX_EMU_OK)
		return r;
	d->mod = d->modrm >> 6;
	d->reg = ((d->modrm >> 3) & 7) | ((d->rex & 4) << 1);
	d->rm = (d->modrm & 7) | ((d->rex & 1) << 3);
	if (d->mod == 3) {
		d->e.type = OP_REG;
		d->e.reg = d->rm;
		return KVMX_EMU_OK;
	}
	d->e.type = OP_MEM;
	if (d->adsize == 2)
		r = emu_modrm16(ctxt, d);
	else
		r = emu_modrm32(ctxt, d);
	if (d->seg_override >= 0)
		d->e.seg = d->seg_override;
	else
		d->e.seg = d->e.stack ? KVMX_EMU_SS : KVMX_EMU_DS;
	return r;
}

static int emu_immediate(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	u16 f = d->desc.flags;
	unsigned int n;
	int r = KVMX_EMU_OK;

	/* F6/F7 take an immediate only for TEST (/0 and its alias /1). */
	if (d->desc.handler == H_GRP3 && (d->modrm & 0x30) == 0)
		f |= d->opsize == 1 ? D_IMM8 : D_IMMZ;
	if (f & (D_IMM8 | D_IMM8S)) {
		r = emu_bytes(ctxt, d, 1, &d->imm);
		if (f & D_IMM8S)
			d->imm = emu_sext(d->imm, 1) & emu_mask(d->opsize);
	} else if (f & D_IMMZ) {
		n = d->opsize == 2 ? 2 : 4;
		r = emu_bytes(ctxt, d, n, &d->imm);
		d->imm = emu_sext(d->imm, n) & emu_mask(d->opsize);
	} else if (f & D_MOFFS) {
		r = emu_bytes(ctxt, d, d->adsize, &d->moffs);
	}
	return r;
}

/*
 * Decode the instruction at CS:rIP into *d.  Returns OK, EXCEPTION (a
 * fetch fault, #GP for more than 15 bytes, #UD for a LOCK the instruction
 * does not allow) or UNHANDLED.
 */
int emu_decode(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	u8 b;
	int r;

	memset(d, 0, sizeof(*d));
	d->seg_override = -1;
	d->avail = ctxt->insn_len <= KVMX_EMU_MAX_INSN ? ctxt->insn_len : 0;

	r = emu_prefixes(ctxt, d);
	if (r != KVMX_EMU_OK)
		return r;
	/* SSE and AVX moves are decode_vex.c's (handler H_VEC). */
	r = emu_vec_decode(ctxt, d);
	if (r != KVMX_EMU_OK)
		return r;
	if (d->desc.handler != H_VEC && d->b == 0x0f) {
		r = emu_byte(ctxt, d, &b);
		if (r != KVMX_EMU_OK)
			return r;
		d->two_byte = true;
		d->map = EMU_MAP_0F;
		ctxt->opcode = 0x0f00 | b;
		if (b == 0x38) {
			r = emu_byte(ctxt, d, &b);
			if (r != KVMX_EMU_OK)
				return r;
			d->map = EMU_MAP_0F38;
			/* Reported as 0x38XX; insn_bytes has it all. */
			ctxt->opcode = 0x3800 | b;
		} else if (b == 0x3a) {
			return KVMX_EMU_UNHANDLED;	/* 0F 3A: none ours */
		}
		d->b = b;
		/* 66 0F C3 is not a 16-bit MOVNTI but reserved. */
		if (d->map == EMU_MAP_0F && d->opsize_prefix && b == 0xc3)
			return KVMX_EMU_UNHANDLED;
		d->desc = emu_lookup(ctxt, d);
	} else if (d->desc.handler != H_VEC) {
		ctxt->opcode = d->b;
		d->desc = emu_map1[d->b];
	}
	if (d->desc.handler == H_NONE)
		return KVMX_EMU_UNHANDLED;
	if ((d->desc.flags & D_NO64) && emu_is64(ctxt))
		return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
	emu_sizes(ctxt, d);

	if (d->desc.flags & D_OPREG)
		d->rm = (d->b & 7) | ((d->rex & 1) << 3);
	if (d->desc.flags & D_MODRM) {
		r = emu_modrm(ctxt, d);
		if (r != KVMX_EMU_OK)
			return r;
		if ((d->desc.flags & D_MEMONLY) && d->e.type != OP_MEM)
			return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
	}
	r = emu_immediate(ctxt, d);
	if (r != KVMX_EMU_OK)
		return r;
	if (d->rip_rel)
		d->e.ea = (d->e.ea + ctxt->rip + d->len) & emu_mask(d->adsize);
	/*
	 * LOCK is #UD unless the instruction is one of the read-modify-write
	 * forms with a memory destination (SDM Vol. 2 LOCK).  The executor
	 * refines this per ModRM.reg for the groups.
	 */
	if (d->lock && (!(d->desc.flags & D_LOCK) || d->e.type != OP_MEM))
		return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
	return KVMX_EMU_OK;
}
