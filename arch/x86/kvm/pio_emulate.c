// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emulator's port callbacks, for INS and OUTS (with or without REP):
 * each batch of elements the emulator asks for becomes one KVM_EXIT_IO
 * with its count, the data in the vCPU's PIO page as for IN/OUT.  An IN
 * batch waits for the VMM; the instruction runs again at the next
 * KVM_RUN and takes the data from here, once.  An OUT batch is done once
 * queued, like an MMIO write.  The I/O permission checks (CPL against
 * IOPL, the TSS bitmap) were the hardware's, before the exit that brought
 * the instruction here (SDM Vol. 3C 26.1.1, APM Vol. 2 15.10.2).
 */
#include <linux/mm.h>
#include "emulation.h"

static void pio_queue(struct kvmx_emulation *e, u16 port, unsigned int size,
		      unsigned int count, bool out)
{
	e->exit = KVMX_EMUL_EXIT_PIO;
	e->is_write = out;
	e->port = port;
	e->pio_size = size;
	e->pio_count = count;
}

static bool pio_batch_ok(unsigned int size, unsigned int count)
{
	return (size == 1 || size == 2 || size == 4) && count &&
	       size * count <= KVMX_EMUL_PIO_MAX;
}

/*
 * An in-kernel device on the port (io_bus.c) takes the whole batch,
 * element by element, if it takes the first one.
 */
static bool pio_device(struct kvmx_vcpu *vcpu, u16 port, void *buf,
		       unsigned int size, unsigned int count, bool out)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		void *el = buf + i * size;
		int r = out ? kvmx_io_bus_write(vcpu, KVMX_PIO_BUS, port,
						size, el) :
			      kvmx_io_bus_read(vcpu, KVMX_PIO_BUS, port,
					       size, el);

		if (r && !i)
			return false;
	}
	return true;
}

int kvmx_emul_pio_in(struct kvmx_emu_ctxt *ctxt, u16 port, void *buf,
		     unsigned int size, unsigned int count)
{
	struct kvmx_emulation *e = emul_of(ctxt);

	if (!pio_batch_ok(size, count))
		return emul_fail(ctxt);
	if (e->pio_answered && e->pio_answer_port == port &&
	    e->pio_answer_size == size && e->pio_answer_count == count) {
		e->pio_answered = false;
		memcpy(buf, e->pio_answer, size * count);
		return KVMX_EMU_OK;
	}
	if (e->exit != KVMX_EMUL_EXIT_NONE)
		return KVMX_EMU_USER;
	if (pio_device(emul_vcpu(ctxt), port, buf, size, count, false))
		return KVMX_EMU_OK;
	pio_queue(e, port, size, count, false);
	return KVMX_EMU_USER;
}

int kvmx_emul_pio_out(struct kvmx_emu_ctxt *ctxt, u16 port, const void *buf,
		      unsigned int size, unsigned int count)
{
	struct kvmx_vcpu *vcpu = emul_vcpu(ctxt);
	struct kvmx_emulation *e = emul_of(ctxt);

	if (!pio_batch_ok(size, count))
		return emul_fail(ctxt);
	if (e->exit != KVMX_EMUL_EXIT_NONE)
		return KVMX_EMU_USER;
	if (pio_device(vcpu, port, (void *)buf, size, count, true))
		return KVMX_EMU_OK;
	/* an OUT into a coalesced PIO zone goes to the ring, no exit */
	if (count == 1 && kvmx_coalesced_write(vcpu->vm, port, size, buf, true))
		return KVMX_EMU_OK;
	pio_queue(e, port, size, count, true);
	memcpy(vcpu->pio_data, buf, size * count);
	return KVMX_EMU_OK;
}

void kvmx_emul_fill_pio_exit(struct kvmx_vcpu *vcpu, struct kvmx_emulation *e)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = e->is_write ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = e->pio_size;
	run->io.port = e->port;
	run->io.count = e->pio_count;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->stat.io_exits++;
}

/* At KVM_RUN after an IN exit: keep the VMM's data for the rerun. */
void kvmx_emul_pio_answered(struct kvmx_vcpu *vcpu, struct kvmx_emulation *e)
{
	if (e->is_write)
		return;
	e->pio_answered = true;
	e->pio_answer_port = e->port;
	e->pio_answer_size = e->pio_size;
	e->pio_answer_count = e->pio_count;
	memcpy(e->pio_answer, vcpu->pio_data, e->pio_size * e->pio_count);
}
