/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the emulator's files share and nobody else sees: the decoded
 * instruction, its operands, the opcode descriptors, and the helpers each
 * file provides (decode.c decodes, access.c turns effective addresses into
 * checked linear accesses, flags.c computes RFLAGS, exec.c and string.c
 * execute).
 */
#ifndef KVMX_EMULATE_INTERNAL_H
#define KVMX_EMULATE_INTERNAL_H

#include <linux/string.h>
#include "emulate.h"

#define EMU_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define EMU_CF		0x0001ULL
#define EMU_PF		0x0004ULL
#define EMU_AF		0x0010ULL
#define EMU_ZF		0x0040ULL
#define EMU_SF		0x0080ULL
#define EMU_DF		0x0400ULL
#define EMU_OF		0x0800ULL
#define EMU_AC		0x40000ULL
#define EMU_VM		0x20000ULL
#define EMU_ARITH	(EMU_CF | EMU_PF | EMU_AF | EMU_ZF | EMU_SF | EMU_OF)

#define EMU_CR0_PE	0x1ULL
#define EMU_CR0_AM	0x40000ULL
#define EMU_CR4_LA57	0x1000ULL
#define EMU_EFER_LMA	0x400ULL

/*
 * A result internal to the emulator: a LOCKed write found memory changed
 * since it was read; the new value is in the operand and the instruction
 * computes again.
 */
#define EMU_RACED	100

/* Opcode descriptor flags. */
#define D_MODRM		0x0001	/* a ModRM byte follows */
#define D_BYTE		0x0002	/* 8-bit operands */
#define D_IMM8		0x0004	/* imm8 */
#define D_IMM8S		0x0008	/* imm8 sign-extended to the operand size */
#define D_IMMZ		0x0010	/* imm16 or imm32 (sign-extended for 64) */
#define D_MOFFS		0x0020	/* an address-size offset, no ModRM */
#define D_MEMONLY	0x0040	/* mod = 3 is #UD */
#define D_LOCK		0x0080	/* LOCK allowed with a memory destination */
#define D_STACK64	0x0100	/* operand size 64 by default in 64-bit mode */
#define D_NO64		0x0200	/* #UD in 64-bit mode */
#define D_GRP		0x0400	/* ModRM.reg selects the operation */
#define D_OPREG		0x0800	/* register in opcode bits 2:0 (+ REX.B) */

/* What executes an opcode (exec.c, string.c). */
enum emu_handler {
	H_NONE,			/* unhandled */
	H_ALU,			/* ADD..CMP, op from opcode or ModRM.reg */
	H_ALU_ACC,		/* ADD..CMP AL/rAX, imm */
	H_TEST,
	H_TEST_ACC,
	H_MOV,			/* 88-8B, C6, C7 */
	H_MOV_MOFFS,
	H_MOVZX,
	H_MOVSX,
	H_MOVSXD,
	H_GRP3,			/* F6/F7: TEST, NOT, NEG */
	H_GRP4,			/* FE: INC, DEC */
	H_GRP5,			/* FF: INC, DEC, PUSH */
	H_POP_RM,		/* 8F /0 */
	H_XCHG,
	H_CMPXCHG,
	H_XADD,
	H_BT,			/* 0F A3/AB/B3/BB, reg bit offset */
	H_BT_IMM,		/* 0F BA /4-7 */
	H_SETCC,
	H_CMOV,			/* 0F 40-4F */
	H_MOVNTI,
	H_MOVS,
	H_CMPS,
	H_STOS,
	H_LODS,
	H_SCAS,
	H_SHIFT,		/* C0/C1, D0-D3: group 2 (exec_shift.c) */
	H_SHLD,			/* 0F A4/A5/AC/AD */
	H_IMUL2,		/* 0F AF (exec_muldiv.c) */
	H_IMUL3,		/* 69, 6B */
	H_PUSH_REG,		/* 50-57 (exec_stack.c) */
	H_POP_REG,		/* 58-5F */
	H_PUSH_IMM,		/* 68, 6A */
	H_CMPXCHG8B,		/* 0F C7 /1 */
	H_MOVBE,		/* 0F 38 F0/F1 (exec_bits.c) */
	H_BSF,			/* 0F BC, 0F BD */
	H_POPCNT,		/* F3 0F B8 */
	H_TZCNT,		/* F3 0F BC, F3 0F BD */
	H_INS,			/* 6C/6D (string_io.c) */
	H_OUTS,			/* 6E/6F */
	H_VEC,			/* SSE/AVX moves (decode_vex.c, vector.c) */
};

struct emu_opdesc {
	u16 flags;
	u8 handler;
};

enum emu_op_type {
	OP_NONE,
	OP_REG,
	OP_MEM,
	OP_IMM,
};

/* The opcode maps (SDM Vol. 2 A.3): one byte, 0F xx, 0F 38 xx. */
enum emu_map {
	EMU_MAP_1,
	EMU_MAP_0F,
	EMU_MAP_0F38,
};

/* The ModRM r/m operand once decoded. */
struct emu_rm {
	u8 type;		/* OP_REG or OP_MEM */
	u8 reg;			/* OP_REG: register number */
	u8 seg;			/* OP_MEM: segment (override applied) */
	bool stack;		/* OP_MEM: SS by default (rSP/rBP base) */
	bool rsp_base;		/* OP_MEM: rSP is the base (POP adjusts) */
	u64 ea;			/* OP_MEM: effective address, adsize-masked */
};

/* An SSE or AVX move, as decode_vex.c found it. */
struct emu_vec {
	const struct emu_vec_form *form;
	bool vex;		/* VEX-encoded */
	bool l;			/* VEX.L: 256 bits */
	bool w;			/* REX.W or VEX.W (64-bit mode only) */
	u8 vvvv;		/* VEX.vvvv un-inverted: 0 names no register */
};

/* A decoded instruction. */
struct emu_insn {
	u8 len;			/* bytes decoded so far, then the length */
	u8 avail;		/* bytes in ctxt->insn_bytes */
	u8 opsize;		/* operand size in bytes: 1, 2, 4, 8 */
	u8 adsize;		/* address size in bytes: 2, 4, 8 */
	u8 rep;			/* 0, 0xf2 or 0xf3, the last one seen */
	bool lock;
	bool opsize_prefix;
	bool adsize_prefix;
	s8 seg_override;	/* -1: none */
	u8 rex;			/* 0: none */
	bool two_byte;		/* 0F map (also set for 0F 38) */
	u8 map;			/* EMU_MAP_1, EMU_MAP_0F, EMU_MAP_0F38 */
	u8 b;			/* opcode byte */
	struct emu_opdesc desc;
	u8 modrm;
	u8 mod, reg, rm;	/* reg and rm include REX.R/REX.B */
	bool rip_rel;
	struct emu_rm e;	/* the r/m operand */
	u64 imm;		/* sign- or zero-extended per descriptor */
	u64 moffs;
	bool no_advance;	/* REP cut short: rIP stays */
	struct emu_vec v;	/* handler H_VEC */
};

static inline bool emu_is64(const struct kvmx_emu_ctxt *ctxt)
{
	return ctxt->mode == KVMX_EMU_MODE_LONG64;
}

static inline bool emu_protected(const struct kvmx_emu_ctxt *ctxt)
{
	return ctxt->mode != KVMX_EMU_MODE_REAL &&
	       ctxt->mode != KVMX_EMU_MODE_VM86;
}

/* A segment register, from ops->get_seg at its first use (emulate.h). */
static inline const struct kvmx_emu_seg *emu_seg(struct kvmx_emu_ctxt *ctxt,
						 unsigned int seg)
{
	if (ctxt->seg_pending & (1u << seg)) {
		ctxt->seg_pending &= ~(1u << seg);
		ctxt->ops->get_seg(ctxt, seg, &ctxt->seg[seg]);
	}
	return &ctxt->seg[seg];
}

static inline u64 emu_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

static inline u64 emu_sext(u64 v, unsigned int bytes)
{
	unsigned int shift = 64 - bytes * 8;

	return bytes >= 8 ? v : (u64)((s64)(v << shift) >> shift);
}

int emu_exception(struct kvmx_emu_ctxt *ctxt, u8 vector, bool has_ec,
		  u32 ec);

/* decode.c */
int emu_decode(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_byte(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d, u8 *out);

/* decode_vex.c, vector.c: SSE and AVX moves */
int emu_vec_decode(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_vec_execute(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);

/* regs: exec.c */
u64 emu_reg_get(const struct kvmx_emu_ctxt *ctxt, const struct emu_insn *d,
		unsigned int reg, unsigned int bytes);
void emu_reg_set(struct kvmx_emu_ctxt *ctxt, const struct emu_insn *d,
		 unsigned int reg, unsigned int bytes, u64 val);
void emu_reg_set_ad(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
		    unsigned int bytes, u64 val);

/* access.c */
bool emu_canonical(const struct kvmx_emu_ctxt *ctxt, u64 linear);
enum emu_access {
	EMU_READ,
	EMU_WRITE,
	EMU_RMW,
};

int emu_linear(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
	       unsigned int adsize, unsigned int len, enum emu_access acc,
	       u64 *linear);
int emu_mem_read(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
		 unsigned int adsize, void *buf, unsigned int len,
		 enum emu_access acc);
void emu_replay_reset(struct kvmx_emu_ctxt *ctxt);
int emu_mem_write(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
		  unsigned int adsize, const void *buf, unsigned int len);
int emu_mem_cmpxchg(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
		    unsigned int adsize, void *old, const void *new,
		    unsigned int len);
/* Already checked linear addresses (string I/O batches). */
int emu_read_linear(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		    unsigned int len);
int emu_write_linear(struct kvmx_emu_ctxt *ctxt, u64 la, const void *buf,
		     unsigned int len);
/* Port input through ctxt->replay, as a memory read is. */
int emu_pio_in(struct kvmx_emu_ctxt *ctxt, u16 port, void *buf,
	       unsigned int size, unsigned int count);

/* flags.c */
enum emu_alu_op {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP,
};

u64 emu_alu(unsigned int op, u64 a, u64 b, unsigned int bytes, u64 *rflags);
bool emu_cond(u64 rflags, unsigned int cc);
/* PF, ZF and SF of a bytes-wide result. */
u64 emu_szp(u64 res, unsigned int bytes);

/* exec.c, string.c */
int emu_execute(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_string(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);

/* exec.c: operand access for the handlers in the exec_*.c files. */
#define EMU_LOCK_TRIES	16	/* a LOCKed operation recomputes this often */

static inline unsigned int emu_group_op(const struct emu_insn *d)
{
	return (d->modrm >> 3) & 7;
}

static inline int emu_ud(struct kvmx_emu_ctxt *ctxt)
{
	return emu_exception(ctxt, KVMX_EMU_VEC_UD, false, 0);
}

int emu_get_rm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
	       unsigned int bytes, enum emu_access acc, u64 *val);
int emu_put_rm(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
	       unsigned int bytes, u64 *orig, u64 val, bool locked);

/* exec_shift.c, exec_muldiv.c, exec_stack.c, exec_bits.c, string_io.c */
int emu_exec_shift(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_exec_shld(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_exec_muldiv(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_exec_imul(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_exec_stack(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_exec_bits(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_exec_cmpxchg8b(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);
int emu_string_io(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d);

#endif /* KVMX_EMULATE_INTERNAL_H */
