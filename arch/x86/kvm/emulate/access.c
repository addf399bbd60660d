// SPDX-License-Identifier: GPL-2.0-only
/*
 * From an effective address to a checked linear access: segment bases,
 * limits and types outside 64-bit mode (SDM Vol. 3A 3.4.5, 5.3, 5.4),
 * the FS/GS bases and canonical checks in 64-bit mode (SDM Vol. 3A 3.3.7.1,
 * 6.15 #GP/#SS), alignment checks (SDM Vol. 3A 6.15 #AC), and the calls to
 * the caller's memory and port-input callbacks with the replay record.
 */
#include "internal.h"

bool emu_canonical(const struct kvmx_emu_ctxt *ctxt, u64 linear)
{
	unsigned int bits = (ctxt->cr4 & EMU_CR4_LA57) ? 57 : 48;

	return (u64)((s64)(linear << (64 - bits)) >> (64 - bits)) == linear;
}

/* A stack-segment access faults with #SS, any other with #GP (both code 0). */
static int emu_seg_fault(struct kvmx_emu_ctxt *ctxt, unsigned int seg)
{
	return emu_exception(ctxt, seg == KVMX_EMU_SS ? KVMX_EMU_VEC_SS :
			     KVMX_EMU_VEC_GP, true, 0);
}

static int emu_seg_check(struct kvmx_emu_ctxt *ctxt, unsigned int seg,
			 u64 ea, unsigned int len, enum emu_access acc)
{
	const struct kvmx_emu_seg *s = emu_seg(ctxt, seg);
	u64 last = ea + len - 1, upper;
	bool code = s->type & 8;

	if (emu_protected(ctxt)) {
		/* A null selector leaves the segment unusable (SDM 3A 3.4.2). */
		if (s->unusable || !s->present)
			return emu_seg_fault(ctxt, seg);
		/*
		 * Code is never writable, and readable only with type bit 1;
		 * data is writable only with type bit 1 (SDM 3A 3.4.5.1).
		 */
		if (code && (acc != EMU_READ || !(s->type & 2)))
			return emu_seg_fault(ctxt, seg);
		if (!code && acc != EMU_READ && !(s->type & 2))
			return emu_seg_fault(ctxt, seg);
		/* Expand-down: valid offsets are limit+1 .. 64K-1 or 4G-1. */
		if (!code && (s->type & 4)) {
			upper = s->db ? 0xffffffffULL : 0xffffULL;
			if (ea <= s->limit || last > upper)
				return emu_seg_fault(ctxt, seg);
			return KVMX_EMU_OK;
		}
	}
	if (last > s->limit)
		return emu_seg_fault(ctxt, seg);
	return KVMX_EMU_OK;
}

/*
 * The linear address of len bytes at seg:ea, or the exception the access
 * raises.  ea is already truncated to the address size.
 */
int emu_linear(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
	       unsigned int adsize, unsigned int len, enum emu_access acc,
	       u64 *linear)
{
	u64 la;
	int r;

	if (emu_is64(ctxt)) {
		/* Only FS and GS have a base in 64-bit mode. */
		la = ea;
		if (seg == KVMX_EMU_FS || seg == KVMX_EMU_GS)
			la += emu_seg(ctxt, seg)->base;
		if (!emu_canonical(ctxt, la) ||
		    !emu_canonical(ctxt, la + len - 1))
			return emu_seg_fault(ctxt, seg);
	} else {
		r = emu_seg_check(ctxt, seg, ea & emu_mask(adsize), len, acc);
		if (r != KVMX_EMU_OK)
			return r;
		la = (emu_seg(ctxt, seg)->base + ea) & 0xffffffffULL;
	}
	/* #AC: CR0.AM, RFLAGS.AC, CPL 3 and a misaligned operand. */
	if (len > 1 && len <= 8 && !(len & (len - 1)) && (la & (len - 1)) &&
	    ctxt->cpl == 3 && (ctxt->cr0 & EMU_CR0_AM) &&
	    (ctxt->rflags & EMU_AC))
		return emu_exception(ctxt, KVMX_EMU_VEC_AC, true, 0);
	*linear = la;
	return KVMX_EMU_OK;
}

/* Take len bytes from the replay record, if an earlier run left them. */
static bool emu_replay_take(struct kvmx_emu_ctxt *ctxt, void *buf,
			    unsigned int len)
{
	if (ctxt->replay_pos + len > ctxt->replay_len)
		return false;
	memcpy(buf, ctxt->replay + ctxt->replay_pos, len);
	ctxt->replay_pos += len;
	return true;
}

/* Record a completed read; only one at the end of the record extends it. */
static void emu_replay_add(struct kvmx_emu_ctxt *ctxt, const void *buf,
			   unsigned int len)
{
	if (ctxt->replay_pos == ctxt->replay_len &&
	    ctxt->replay_len + len <= sizeof(ctxt->replay)) {
		memcpy(ctxt->replay + ctxt->replay_len, buf, len);
		ctxt->replay_len += len;
		ctxt->replay_pos += len;
	}
}

/*
 * A read of a checked linear address.  Reads an earlier run of this
 * instruction completed before it returned KVMX_EMU_USER are answered
 * from ctxt->replay, in order, so a second MMIO read of the same
 * instruction does not repeat the first; new reads are appended there.
 */
int emu_read_linear(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		    unsigned int len)
{
	int r;

	if (emu_replay_take(ctxt, buf, len))
		return KVMX_EMU_OK;
	if (!ctxt->ops->read)
		return KVMX_EMU_UNHANDLED;
	r = ctxt->ops->read(ctxt, la, buf, len);
	if (r == KVMX_EMU_OK)
		emu_replay_add(ctxt, buf, len);
	return r;
}

/*
 * A data read.  acc is EMU_RMW for the read half of a read-modify-write,
 * so a destination the write would fault on faults before the read.
 */
int emu_mem_read(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
		 unsigned int adsize, void *buf, unsigned int len,
		 enum emu_access acc)
{
	u64 la;
	int r;

	r = emu_linear(ctxt, seg, ea, adsize, len, acc, &la);
	if (r != KVMX_EMU_OK)
		return r;
	return emu_read_linear(ctxt, la, buf, len);
}

/*
 * Port input (INS) is a read as far as replay goes: the data of an IN
 * that completed before a later access returned KVMX_EMU_USER must not
 * be asked from the port again.
 */
int emu_pio_in(struct kvmx_emu_ctxt *ctxt, u16 port, void *buf,
	       unsigned int size, unsigned int count)
{
	int r;

	if (emu_replay_take(ctxt, buf, size * count))
		return KVMX_EMU_OK;
	if (!ctxt->ops->pio_in)
		return KVMX_EMU_UNHANDLED;
	r = ctxt->ops->pio_in(ctxt, port, buf, size, count);
	if (r == KVMX_EMU_OK)
		emu_replay_add(ctxt, buf, size * count);
	return r;
}

/* The next read starts a new record (a REP iteration is done). */
void emu_replay_reset(struct kvmx_emu_ctxt *ctxt)
{
	ctxt->replay_len = 0;
	ctxt->replay_pos = 0;
}

int emu_write_linear(struct kvmx_emu_ctxt *ctxt, u64 la, const void *buf,
		     unsigned int len)
{
	if (!ctxt->ops->write)
		return KVMX_EMU_UNHANDLED;
	return ctxt->ops->write(ctxt, la, buf, len);
}

int emu_mem_write(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
		  unsigned int adsize, const void *buf, unsigned int len)
{
	u64 la;
	int r;

	r = emu_linear(ctxt, seg, ea, adsize, len, EMU_WRITE, &la);
	if (r != KVMX_EMU_OK)
		return r;
	return emu_write_linear(ctxt, la, buf, len);
}

/*
 * Compare-and-exchange len (<= 16) bytes: *old receives what memory held.
 * Without a cmpxchg callback it is a read and a conditional write.
 */
int emu_mem_cmpxchg(struct kvmx_emu_ctxt *ctxt, unsigned int seg, u64 ea,
		    unsigned int adsize, void *old, const void *new,
		    unsigned int len)
{
	u8 cur[16];
	u64 la;
	int r;

	if (len > sizeof(cur))
		return KVMX_EMU_UNHANDLED;
	r = emu_linear(ctxt, seg, ea, adsize, len, EMU_RMW, &la);
	if (r != KVMX_EMU_OK)
		return r;
	if (ctxt->ops->cmpxchg)
		return ctxt->ops->cmpxchg(ctxt, la, old, new, len);
	if (!ctxt->ops->read || !ctxt->ops->write)
		return KVMX_EMU_UNHANDLED;
	r = ctxt->ops->read(ctxt, la, cur, len);
	if (r != KVMX_EMU_OK)
		return r;
	if (!memcmp(cur, old, len))
		r = ctxt->ops->write(ctxt, la, new, len);
	memcpy(old, cur, len);
	return r;
}
