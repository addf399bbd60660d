/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SSE and AVX move forms, as the vector decoder (decode_vex.c) finds
 * them and the vector executor (vector.c) runs them.  Only those two
 * files see this; the rest of the emulator knows a vector move only as
 * handler H_VEC with d->v filled in.
 */
#ifndef KVMX_EMULATE_VECTOR_H
#define KVMX_EMULATE_VECTOR_H

#include "internal.h"

/* The mandatory prefix, numbered as VEX.pp is (SDM Vol. 2 2.3.5.6). */
enum emu_vec_pp {
	PP_NONE,
	PP_66,
	PP_F3,
	PP_F2,
};

/* How the moved bytes meet the destination register. */
enum emu_vec_kind {
	VK_FULL,	/* the whole vector: 16 bytes, or 32 with VEX.L */
	VK_GPR,		/* MOVD/MOVQ: a GPR or m32/m64, zero-extended */
	VK_ZEXT,	/* MOVQ: 8 bytes, the rest of the XMM zeroed */
	VK_SCALAR,	/* MOVSS/MOVSD: memory zero-extends, a reg merges */
	VK_LOW,		/* MOVLPS/MOVLPD, MOVHLPS: bytes 7:0 replaced */
	VK_HIGH,	/* MOVHPS/MOVHPD, MOVLHPS: bytes 15:8 replaced */
};

#define VF_STORE	0x01	/* ModRM.reg is the source, r/m the dest */
#define VF_ALIGN	0x02	/* memory aligned to the size or #GP(0) */
#define VF_MEMONLY	0x04	/* mod = 3 is #UD */
#define VF_L0		0x08	/* VEX.L = 1 is #UD */
#define VF_LIG		0x10	/* VEX.L ignored */
#define VF_NDS		0x20	/* VEX.vvvv gives the merged bytes */
#define VF_NDS_REG	0x40	/* ... with a register source only */

struct emu_vec_form {
	u8 map;		/* EMU_MAP_0F or EMU_MAP_0F38 */
	u8 op;
	u8 pp;		/* enum emu_vec_pp */
	u8 kind;	/* enum emu_vec_kind */
	u8 size;	/* bytes moved; 0: 16, or 32 with VEX.L */
	u8 flags;
};

#endif /* KVMX_EMULATE_VECTOR_H */
