// SPDX-License-Identifier: GPL-2.0-only
/*
 * The string I/O instructions INS (6C/6D) and OUTS (6E/6F), with and
 * without REP (SDM Vol. 2 INS, OUTS, REP): the port in DX, memory at
 * ES:rDI for INS (no override) and seg:rSI for OUTS (DS unless
 * overridden), rSI/rDI/rCX at the address size, stepping by the operand
 * size in the direction of RFLAGS.DF.
 *
 * The I/O permission checks (CPL > IOPL, the TSS I/O bitmap, and VM86's
 * bitmap) are not done here: the CPU did them before the I/O
 * instruction's VM exit, or before the access that faulted (SDM Vol. 3C
 * 26.1.1, AMD APM Vol. 2 15.10.2), and a guest that failed them took its
 * #GP without an exit.
 *
 * A REP is done in batches: as many elements as fit in 64 bytes, lie in
 * one page on the memory side and do not wrap the address size, one
 * pio_in/pio_out call each (emulate.h describes the callbacks) and one
 * memory access per element.  The registers move once per finished batch, so an exit to
 * userspace or a fault leaves the batches before it done, as the CPU
 * leaves the iterations before a fault.
 */
#include "internal.h"

#define EMU_IO_BATCH_BYTES	64
#define EMU_IO_MAX_ELEMS	1024	/* per call, as EMU_REP_BATCH */

/*
 * How many of the count elements starting at seg:ea one batch takes, and
 * the linear address of its lowest byte.  The first element is checked
 * as the CPU checks it, so its fault is the instruction's; the batch
 * shrinks to one element if the last one would fault, so the elements
 * before it still complete first.
 */
static int emu_io_batch(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
			unsigned int seg, u64 ea, enum emu_access acc,
			u64 count, unsigned int *n, u64 *low)
{
	unsigned int size = d->opsize, ad = d->adsize, room;
	bool down = ctxt->rflags & EMU_DF;
	struct kvmx_emu_exception saved;
	u64 la, la_last, ea_last, ad_room;
	int r;

	r = emu_linear(ctxt, seg, ea, ad, size, acc, &la);
	if (r != KVMX_EMU_OK)
		return r;
	/* Elements left in the page, in the direction of travel. */
	if ((la & 4095) + size > 4096)
		room = 1;	/* this one straddles two pages already */
	else if (down)
		room = ((la & 4095) + size) / size;
	else
		room = (4096 - (la & 4095)) / size;
	/* ... and after it before rSI/rDI would wrap at the address size. */
	ad_room = (down ? ea : emu_mask(ad) - ea) / size;
	*n = EMU_IO_BATCH_BYTES / size;
	if (*n > room)
		*n = room;
	if (*n - 1 > ad_room)
		*n = ad_room + 1;
	if (*n > count)
		*n = count;
	if (*n > 1) {
		/* A probe: its exception, if any, is not the instruction's. */
		saved = ctxt->exception;
		ea_last = down ? ea - (u64)(*n - 1) * size :
			  ea + (u64)(*n - 1) * size;
		if (emu_linear(ctxt, seg, ea_last, ad, size, acc,
			       &la_last) != KVMX_EMU_OK)
			*n = 1;
		ctxt->exception = saved;
	}
	*low = down ? la - (u64)(*n - 1) * size : la;
	return KVMX_EMU_OK;
}

/* The linear address of element i of a batch starting at first. */
static u64 emu_io_elem(u64 first, unsigned int i, unsigned int size,
		       bool down)
{
	return down ? first - (u64)i * size : first + (u64)i * size;
}

/* One batch of at most count elements; *done gets the number done. */
static int emu_io_once(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d,
		       u64 count, unsigned int *done)
{
	bool ins = d->desc.handler == H_INS, down = ctxt->rflags & EMU_DF;
	unsigned int size = d->opsize, ad = d->adsize, n, seg, i;
	u16 port = ctxt->regs[KVMX_EMU_RDX];
	u8 buf[EMU_IO_BATCH_BYTES];
	u64 ea, low, first;
	int r;

	if (ins) {
		seg = KVMX_EMU_ES;
		ea = ctxt->regs[KVMX_EMU_RDI] & emu_mask(ad);
	} else {
		seg = d->seg_override >= 0 ? d->seg_override : KVMX_EMU_DS;
		ea = ctxt->regs[KVMX_EMU_RSI] & emu_mask(ad);
	}
	r = emu_io_batch(ctxt, d, seg, ea, ins ? EMU_WRITE : EMU_READ, count,
			 &n, &low);
	if (r != KVMX_EMU_OK)
		return r;
	/*
	 * The port side is one call for the batch; the memory side one
	 * access per element, in the order of the iterations, so that a
	 * device behind the memory operand sees the accesses the CPU makes.
	 */
	first = down ? low + (u64)(n - 1) * size : low;
	if (ins) {
		r = emu_pio_in(ctxt, port, buf, size, n);
		for (i = 0; r == KVMX_EMU_OK && i < n; i++)
			r = emu_write_linear(ctxt, emu_io_elem(first, i, size,
							       down),
					     buf + i * size, size);
	} else {
		if (!ctxt->ops->pio_out)
			return KVMX_EMU_UNHANDLED;
		ctxt->device_access = false;
		for (i = 0, r = KVMX_EMU_OK; r == KVMX_EMU_OK && i < n; i++) {
			r = emu_read_linear(ctxt, emu_io_elem(first, i, size,
							      down),
					    buf + i * size, size);
			/* from a device: this element alone, then its OUT */
			if (r == KVMX_EMU_OK && ctxt->device_access) {
				n = i + 1;
				break;
			}
		}
		if (r == KVMX_EMU_OK)
			r = ctxt->ops->pio_out(ctxt, port, buf, size, n);
	}
	if (r != KVMX_EMU_OK)
		return r;
	ea = down ? ea - (u64)n * size : ea + (u64)n * size;
	emu_reg_set_ad(ctxt, ins ? KVMX_EMU_RDI : KVMX_EMU_RSI, ad, ea);
	*done = n;
	return KVMX_EMU_OK;
}

int emu_string_io(struct kvmx_emu_ctxt *ctxt, struct emu_insn *d)
{
	unsigned int ad = d->adsize, done, total = 0;
	u64 count;
	int r;

	if (d->lock)
		return emu_ud(ctxt);
	/* No 64-bit form: REX.W leaves the operand size at 32 bits. */
	if (d->opsize == 8)
		d->opsize = 4;
	if (!d->rep)
		return emu_io_once(ctxt, d, 1, &done);
	/* REPNE is not defined for INS/OUTS. */
	if (d->rep == 0xf2)
		return KVMX_EMU_UNHANDLED;
	for (;;) {
		count = ctxt->regs[KVMX_EMU_RCX] & emu_mask(ad);
		if (!count)
			return KVMX_EMU_OK;
		if (total >= EMU_IO_MAX_ELEMS) {
			d->no_advance = true;
			return KVMX_EMU_OK;
		}
		r = emu_io_once(ctxt, d, count, &done);
		if (r != KVMX_EMU_OK)
			return r;
		emu_reg_set_ad(ctxt, KVMX_EMU_RCX, ad, count - done);
		total += done;
		/* This batch is architectural now; no replay of it. */
		emu_replay_reset(ctxt);
	}
}
