// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emulator's entry points: the mode from the registers that define it,
 * kvmx_emulate() (decode, execute, advance rIP), and the helpers callbacks
 * use to report an exception.
 */
#include "internal.h"

#define EMU_RF		0x10000ULL

enum kvmx_emu_mode kvmx_emu_mode(u64 cr0, u64 efer, u64 rflags,
				 const struct kvmx_emu_seg *cs)
{
	if (!(cr0 & EMU_CR0_PE))
		return KVMX_EMU_MODE_REAL;
	if (efer & EMU_EFER_LMA) {
		if (cs->l)
			return KVMX_EMU_MODE_LONG64;
		return cs->db ? KVMX_EMU_MODE_COMPAT32 : KVMX_EMU_MODE_COMPAT16;
	}
	if (rflags & EMU_VM)
		return KVMX_EMU_MODE_VM86;
	return cs->db ? KVMX_EMU_MODE_PROT32 : KVMX_EMU_MODE_PROT16;
}

int emu_exception(struct kvmx_emu_ctxt *ctxt, u8 vector, bool has_ec,
		  u32 ec)
{
	ctxt->exception.vector = vector;
	ctxt->exception.error_code_valid = has_ec;
	ctxt->exception.error_code = has_ec ? ec : 0;
	ctxt->exception.cr2 = 0;
	return KVMX_EMU_EXCEPTION;
}

int kvmx_emu_set_exception(struct kvmx_emu_ctxt *ctxt, u8 vector,
			   bool error_code_valid, u32 error_code)
{
	return emu_exception(ctxt, vector, error_code_valid, error_code);
}

int kvmx_emu_set_pf(struct kvmx_emu_ctxt *ctxt, u64 cr2, u32 error_code)
{
	emu_exception(ctxt, KVMX_EMU_VEC_PF, true, error_code);
	ctxt->exception.cr2 = cr2;
	return KVMX_EMU_EXCEPTION;
}

/* Instructions whose only data accesses are to the ModRM operand. */
static bool emu_modrm_only(const struct emu_insn *d)
{
	if (d->e.type != OP_MEM || (d->desc.flags & D_MOFFS))
		return false;
	switch (d->desc.handler) {
	case H_ALU:
	case H_TEST:
	case H_MOV:
	case H_MOVZX:
	case H_MOVSX:
	case H_MOVSXD:
	case H_GRP3:
	case H_GRP4:
	case H_SETCC:
	case H_CMOV:
	case H_MOVNTI:
	case H_SHIFT:
	case H_SHLD:
	case H_IMUL2:
	case H_IMUL3:
	case H_MOVBE:
	case H_BSF:
	case H_POPCNT:
	case H_TZCNT:
		return true;
	default:
		/* BT's bit offset moves the access; the rest touch more */
		return false;
	}
}

enum kvmx_emu_result kvmx_emulate(struct kvmx_emu_ctxt *ctxt)
{
	struct emu_insn d;
	int r;

	if (ctxt->replay_len > sizeof(ctxt->replay))
		ctxt->replay_len = 0;
	ctxt->replay_pos = 0;
	ctxt->opcode = 0;
	ctxt->modrm_only = false;
	r = emu_decode(ctxt, &d);
	if (r != KVMX_EMU_OK) {
		/* Report what was seen, for the internal-error exit. */
		ctxt->insn_len = d.avail;
		goto out;
	}
	ctxt->insn_len = d.len;
	ctxt->modrm_only = emu_modrm_only(&d);
	r = emu_execute(ctxt, &d);
	if (r == EMU_RACED)
		r = KVMX_EMU_RETRY;
	if (r == KVMX_EMU_OK && !d.no_advance) {
		ctxt->rip += d.len;
		if (!emu_is64(ctxt))
			ctxt->rip &= 0xffffffffULL;
		/* A completed instruction clears RF (SDM Vol. 3A 18.3.1.1). */
		ctxt->rflags &= ~EMU_RF;
	}
out:
	if (r != KVMX_EMU_USER)
		emu_replay_reset(ctxt);
	switch (r) {
	case KVMX_EMU_OK:
	case KVMX_EMU_EXCEPTION:
	case KVMX_EMU_USER:
	case KVMX_EMU_RETRY:
		return r;
	default:
		return KVMX_EMU_UNHANDLED;
	}
}
