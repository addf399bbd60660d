// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emulator's memory callbacks: linear addresses through the guest's
 * paging, then RAM through the memslots, or MMIO.  A guest access to
 * guest-physical memory no memslot backs, or a write to a read-only slot,
 * becomes KVM_EXIT_MMIO (or goes to a coalesced ring); a read waits for
 * the VMM's data, after which the instruction runs again and the answer
 * is taken from here (emulation.c).  One MMIO exit carries at most 8
 * bytes, so a vector access goes out in parts, one per exit.
 */
#include <linux/mm.h>
#include <kvmx/irq.h>
#include "emulation.h"

/* Remember a part in @list of @size (the oldest goes first). */
static void mmio_remember(struct kvmx_mmio_part *list, unsigned int size,
			  unsigned int *nr, u64 gpa, u8 len, const void *data)
{
	struct kvmx_mmio_part *p = &list[(*nr)++ % size];

	p->gpa = gpa;
	p->len = len;
	memcpy(p->data, data, len);
}

static struct kvmx_mmio_part *mmio_find(struct kvmx_mmio_part *list,
					unsigned int size, unsigned int nr,
					u64 gpa, u8 len)
{
	unsigned int i;

	for (i = 0; i < min(nr, size); i++)
		if (list[i].gpa == gpa && list[i].len == len)
			return &list[i];
	return NULL;
}

#define mmio_remember_answer(e, gpa, len, data)				\
	mmio_remember((e)->answers, KVMX_EMUL_PARTS, &(e)->nr_answers,	\
		      gpa, len, data)
#define mmio_remember_write(e, gpa, len, data)				\
	mmio_remember((e)->written, KVMX_EMUL_WRITES, &(e)->nr_written,	\
		      gpa, len, data)

/* Linear to guest-physical for the emulator, or its #PF. */
static int mmio_translate(struct kvmx_emu_ctxt *ctxt, u64 la, u32 access,
			  u64 *gpa)
{
	struct kvmx_vcpu *vcpu = emul_vcpu(ctxt);
	struct kvmx_emulation *e = emul_of(ctxt);
	u32 error;

	if (ctxt->cpl == 3)
		access |= KVMX_PF_USER;
	if (!e->paging_loaded) {
		kvmx_paging_state_regs(vcpu, &e->paging, ctxt->cr0,
				       ctxt->cr4, ctxt->efer, ctxt->cpl);
		e->paging_loaded = true;
	}
	if (kvmx_gva_to_gpa_with(vcpu, &e->paging, la, access, gpa, &error))
		return kvmx_emu_set_pf(ctxt, la, error);
	return KVMX_EMU_OK;
}

/* Is @gpa RAM the guest may access this way?  (Racy, as the MMU is.) */
static bool mmio_is_ram(struct kvmx_vm *vm, u64 gpa, bool write)
{
	struct kvmx_memslot *slot;
	bool ram;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	ram = slot && !(write && (slot->flags & KVM_MEM_READONLY));
	srcu_read_unlock(&vm->srcu, idx);
	return ram;
}

int kvmx_emul_fetch(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		    unsigned int len)
{
	struct kvmx_vcpu *vcpu = emul_vcpu(ctxt);
	u64 gpa;
	int r = mmio_translate(ctxt, la, KVMX_PF_FETCH, &gpa);

	if (r != KVMX_EMU_OK)
		return r;
	/* code in MMIO (or in a vanished slot) is not something we run */
	if (kvmx_read_guest(vcpu->vm, gpa, buf, len))
		return emul_fail(ctxt);
	return KVMX_EMU_OK;
}

/* One MMIO part (at most 8 bytes): answered, sent, or this run's exit. */
static int mmio_part(struct kvmx_emu_ctxt *ctxt, u64 gpa, void *buf,
		     unsigned int len, bool write)
{
	struct kvmx_vcpu *vcpu = emul_vcpu(ctxt);
	struct kvmx_emulation *e = emul_of(ctxt);

	ctxt->device_access = true;
	if (write && mmio_find(e->written, KVMX_EMUL_WRITES, e->nr_written,
			       gpa, len))
		return KVMX_EMU_OK;	/* sent at an earlier exit */
	if (!write) {
		struct kvmx_mmio_part *a = mmio_find(e->answers,
						     KVMX_EMUL_PARTS,
						     e->nr_answers, gpa, len);

		if (a) {
			memcpy(buf, a->data, len);
			return KVMX_EMU_OK;
		}
	}
	/* a second access to the VMM: the first one exits first */
	if (e->exit != KVMX_EMUL_EXIT_NONE)
		return KVMX_EMU_USER;
	/* an in-kernel device (an ioeventfd) or a coalesced zone: no exit,
	 * and remembered, so that a run again does not repeat it */
	if (!kvmx_apic_mmio(vcpu, gpa, write, len, buf)) {
		if (write)
			mmio_remember_write(e, gpa, len, buf);
		else
			mmio_remember_answer(e, gpa, len, buf);
		return KVMX_EMU_OK;
	}
	if (write) {
		mmio_remember_write(e, gpa, len, buf);
		if (!kvmx_io_bus_write(vcpu, KVMX_MMIO_BUS, gpa, len, buf) ||
		    kvmx_coalesced_write(vcpu->vm, gpa, len, buf, false))
			return KVMX_EMU_OK;
	} else if (!kvmx_io_bus_read(vcpu, KVMX_MMIO_BUS, gpa, len, buf)) {
		mmio_remember_answer(e, gpa, len, buf);
		return KVMX_EMU_OK;
	}
	e->exit = KVMX_EMUL_EXIT_MMIO;
	e->is_write = write;
	e->gpa = gpa;
	e->len = len;
	memset(e->data, 0, sizeof(e->data));
	if (write)
		memcpy(e->data, buf, len);
	/* a write is done once queued; a read waits for the VMM */
	return write ? KVMX_EMU_OK : KVMX_EMU_USER;
}

/* One access within a page at @gpa: RAM, or MMIO in parts of 8 bytes. */
static int mmio_access_gpa(struct kvmx_emu_ctxt *ctxt, u64 gpa, void *buf,
			   unsigned int len, bool write)
{
	struct kvmx_vcpu *vcpu = emul_vcpu(ctxt);
	int r;

	if (mmio_is_ram(vcpu->vm, gpa, write)) {
		r = write ? kvmx_write_guest(vcpu, gpa, buf, len) :
			    kvmx_read_guest(vcpu->vm, gpa, buf, len);
		return r ? emul_fail(ctxt) : KVMX_EMU_OK;
	}
	while (len) {
		unsigned int n = min_t(unsigned int, len, 8);

		r = mmio_part(ctxt, gpa, buf, n, write);
		if (r != KVMX_EMU_OK)
			return r;
		gpa += n;
		buf += n;
		len -= n;
	}
	return KVMX_EMU_OK;
}

static int mmio_access_page(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
			    unsigned int len, bool write)
{
	u64 gpa;
	int r = mmio_translate(ctxt, la, write ? KVMX_PF_WRITE : 0, &gpa);

	if (r != KVMX_EMU_OK)
		return r;
	return mmio_access_gpa(ctxt, gpa, buf, len, write);
}

/*
 * Is this data access the one whose fault led to the emulation, so that
 * its address is the fault's (emulation.c)?  Only the first access of
 * the run is asked, and only if the instruction touches nothing but its
 * ModRM operand, within one page, the same way (a write for a write
 * fault) and at the same page offset.  A guest that changed its tables
 * since the fault sees the access go where its translation then led,
 * as if it had completed before the change.
 */
static bool mmio_hinted(struct kvmx_emu_ctxt *ctxt, u64 la, unsigned int len,
			bool write, u64 *gpa)
{
	struct kvmx_emulation *e = emul_of(ctxt);
	u8 hint = e->hint_access;

	if (likely(!hint))
		return false;
	e->hint_access = 0;
	if (!ctxt->modrm_only ||
	    hint != (write ? KVMX_EMUL_HINT_WRITE : KVMX_EMUL_HINT_READ) ||
	    offset_in_page(la) != offset_in_page(e->hint_gpa) ||
	    offset_in_page(la) + len > PAGE_SIZE)
		return false;
	*gpa = e->hint_gpa;
	return true;
}

/* Split at page boundaries: each page is translated on its own. */
static int mmio_access(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		       unsigned int len, bool write)
{
	u64 gpa;

	if (mmio_hinted(ctxt, la, len, write, &gpa))
		return mmio_access_gpa(ctxt, gpa, buf, len, write);
	while (len) {
		unsigned int n = min_t(unsigned int, len,
				       PAGE_SIZE - offset_in_page(la));
		int r = mmio_access_page(ctxt, la, buf, n, write);

		if (r != KVMX_EMU_OK)
			return r;
		la += n;
		buf += n;
		len -= n;
	}
	return KVMX_EMU_OK;
}

int kvmx_emul_read(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		   unsigned int len)
{
	int r = mmio_access(ctxt, la, buf, len, false);

	/* done: the emulator has the data now (emulation.h) */
	if (r == KVMX_EMU_OK)
		emul_of(ctxt)->nr_answers = 0;
	return r;
}

int kvmx_emul_write(struct kvmx_emu_ctxt *ctxt, u64 la, const void *buf,
		    unsigned int len)
{
	return mmio_access(ctxt, la, (void *)buf, len, true);
}

void kvmx_emul_fill_mmio_exit(struct kvmx_vcpu *vcpu,
			      struct kvmx_emulation *e)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = e->gpa;
	run->mmio.len = e->len;
	run->mmio.is_write = e->is_write;
	memcpy(run->mmio.data, e->data, sizeof(run->mmio.data));
	vcpu->stat.mmio_exits++;
}

/* At KVM_RUN after an MMIO exit: keep a read's answer for the rerun. */
void kvmx_emul_mmio_answered(struct kvmx_vcpu *vcpu, struct kvmx_emulation *e)
{
	if (!e->is_write)
		mmio_remember_answer(e, e->gpa, e->len, vcpu->run->mmio.data);
}

/*
 * LOCKed read-modify-writes and XCHG.  On RAM the CPU's atomicity holds
 * against the other vCPUs: a compare-and-exchange on the guest page.  The
 * emulator has just read *old, so where no atomic exchange is possible
 * (MMIO, which has no atomicity to offer; an access that crosses a page;
 * CMPXCHG16B's 16 bytes) the new value is simply written, one read and one
 * write as in-tree.
 */
int kvmx_emul_cmpxchg(struct kvmx_emu_ctxt *ctxt, u64 la, void *old,
		      const void *new, unsigned int len)
{
	struct kvmx_vcpu *vcpu = emul_vcpu(ctxt);
	u64 gpa;
	int r;

	/* not a plain access: it walks */
	emul_of(ctxt)->hint_access = 0;
	if (len <= 8 && offset_in_page(la) + len <= PAGE_SIZE) {
		r = mmio_translate(ctxt, la, KVMX_PF_WRITE, &gpa);
		if (r != KVMX_EMU_OK)
			return r;
		if (mmio_is_ram(vcpu->vm, gpa, true) &&
		    kvmx_cmpxchg_guest(vcpu, gpa, old, new, len) >= 0)
			return KVMX_EMU_OK;
	}
	return kvmx_emul_write(ctxt, la, new, len);
}
