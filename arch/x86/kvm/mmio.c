// SPDX-License-Identifier: GPL-2.0-only
/*
 * MMIO: a guest access to guest-physical memory no memslot backs, or a
 * write to a read-only slot, stops at a TDP fault with no instruction
 * decoded.  The instruction emulator (emulate/) runs the instruction at
 * RIP against callbacks here: RAM goes through the memslots, MMIO writes
 * become KVM_EXIT_MMIO (or go to a coalesced ring), and an MMIO read exits
 * to the VMM for its data, after which the next KVM_RUN runs the
 * instruction again with the answer (the emulator replays what it read
 * before).  One MMIO access is handed to the VMM per exit.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <kvmx/core_private.h>
#include "emulate/emulate.h"

/* One MMIO access (or one part of a split one). */
struct kvmx_mmio_part {
	u64 gpa;
	u8 len;
	u8 data[8];
};

/* An instruction being emulated, kept across its MMIO exits. */
struct kvmx_mmio {
	struct kvmx_emu_ctxt ctxt;	/* its replay buffer survives exits */
	bool active;			/* waiting for the VMM's answer */
	u64 rip;			/* where it is */
	bool failed;			/* a callback could not go on */

	/* the access handed to the VMM by this run */
	bool exit_queued;
	bool is_write;
	u64 gpa;
	u8 len;
	u8 data[8];

	/*
	 * What this instruction already got across its exits, for when it
	 * runs again: the VMM's answers to its reads, and the writes handed
	 * over (or coalesced), by address.  An access split at a page
	 * boundary has two parts; one part may be done when the other
	 * exits, and must not be asked or sent twice.
	 */
	struct kvmx_mmio_part answers[2], written[2];
	unsigned int nr_answers, nr_written;
};

/* Remember a part in @list of two (the older one goes first). */
static void mmio_remember(struct kvmx_mmio_part *list, unsigned int *nr,
			  u64 gpa, u8 len, const void *data)
{
	struct kvmx_mmio_part *e = &list[(*nr)++ % 2];

	e->gpa = gpa;
	e->len = len;
	memcpy(e->data, data, len);
}

static struct kvmx_mmio_part *mmio_find(struct kvmx_mmio_part *list,
					unsigned int nr, u64 gpa, u8 len)
{
	unsigned int i;

	for (i = 0; i < min_t(unsigned int, nr, 2); i++)
		if (list[i].gpa == gpa && list[i].len == len)
			return &list[i];
	return NULL;
}

static struct kvmx_vcpu *ctxt_vcpu(struct kvmx_emu_ctxt *ctxt)
{
	return ctxt->opaque;
}

static struct kvmx_mmio *vcpu_mmio(struct kvmx_vcpu *vcpu)
{
	return vcpu->mmio;
}

/* Linear to guest-physical for the emulator, or its #PF. */
static int mmio_translate(struct kvmx_emu_ctxt *ctxt, u64 la, u32 access,
			  u64 *gpa)
{
	struct kvmx_vcpu *vcpu = ctxt_vcpu(ctxt);
	u32 error;

	if (ctxt->cpl == 3)
		access |= KVMX_PF_USER;
	if (kvmx_gva_to_gpa(vcpu, la, access, gpa, &error))
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

static int mmio_fail(struct kvmx_mmio *m)
{
	m->failed = true;
	return KVMX_EMU_USER;
}

static int mmio_fetch(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		      unsigned int len)
{
	struct kvmx_vcpu *vcpu = ctxt_vcpu(ctxt);
	u64 gpa;
	int r = mmio_translate(ctxt, la, KVMX_PF_FETCH, &gpa);

	if (r != KVMX_EMU_OK)
		return r;
	/* code in MMIO (or in a vanished slot) is not something we run */
	if (kvmx_read_guest(vcpu->vm, gpa, buf, len))
		return mmio_fail(vcpu_mmio(vcpu));
	return KVMX_EMU_OK;
}

/* One access within a page: RAM, or the MMIO access of this run. */
static int mmio_access_page(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
			    unsigned int len, bool write)
{
	struct kvmx_vcpu *vcpu = ctxt_vcpu(ctxt);
	struct kvmx_mmio *m = vcpu_mmio(vcpu);
	u64 gpa;
	int r = mmio_translate(ctxt, la, write ? KVMX_PF_WRITE : 0, &gpa);

	if (r != KVMX_EMU_OK)
		return r;
	if (mmio_is_ram(vcpu->vm, gpa, write)) {
		r = write ? kvmx_write_guest(vcpu, gpa, buf, len) :
			    kvmx_read_guest(vcpu->vm, gpa, buf, len);
		return r ? mmio_fail(m) : KVMX_EMU_OK;
	}
	if (len > sizeof(m->data))
		return mmio_fail(m);
	if (write && mmio_find(m->written, m->nr_written, gpa, len))
		return KVMX_EMU_OK;	/* sent at an earlier exit */
	if (!write) {
		struct kvmx_mmio_part *a = mmio_find(m->answers, m->nr_answers,
						     gpa, len);

		if (a) {
			memcpy(buf, a->data, len);
			return KVMX_EMU_OK;
		}
	}
	/* a second MMIO access: the first one exits first */
	if (m->exit_queued)
		return KVMX_EMU_USER;
	if (write)
		mmio_remember(m->written, &m->nr_written, gpa, len, buf);
	if (write && kvmx_coalesced_write(vcpu->vm, gpa, len, buf, false))
		return KVMX_EMU_OK;
	m->exit_queued = true;
	m->is_write = write;
	m->gpa = gpa;
	m->len = len;
	memset(m->data, 0, sizeof(m->data));
	if (write)
		memcpy(m->data, buf, len);
	/* a write is done once queued; a read waits for the VMM */
	return write ? KVMX_EMU_OK : KVMX_EMU_USER;
}

/* Split at page boundaries: each page is translated on its own. */
static int mmio_access(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		       unsigned int len, bool write)
{
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

static int mmio_read(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		     unsigned int len)
{
	return mmio_access(ctxt, la, buf, len, false);
}

static int mmio_write(struct kvmx_emu_ctxt *ctxt, u64 la, const void *buf,
		      unsigned int len)
{
	return mmio_access(ctxt, la, (void *)buf, len, true);
}

static const struct kvmx_emu_ops kvmx_mmio_emu_ops = {
	.fetch	= mmio_fetch,
	.read	= mmio_read,
	.write	= mmio_write,
};

static void mmio_load_seg(struct kvmx_vcpu *vcpu, struct kvmx_emu_seg *s,
			  enum kvmx_seg which)
{
	struct kvm_segment k;

	kvmx_backend->get_segment(vcpu, &k, which);
	*s = (struct kvmx_emu_seg){
		.base = k.base, .limit = k.limit, .selector = k.selector,
		.type = k.type, .s = k.s, .dpl = k.dpl, .present = k.present,
		.db = k.db, .l = k.l, .g = k.g, .unusable = k.unusable,
	};
}

/* The vCPU's state into the context; the replay state stays. */
static void mmio_load_ctxt(struct kvmx_vcpu *vcpu, struct kvmx_emu_ctxt *c)
{
	const struct kvmx_backend *b = kvmx_backend;
	int i;

	memcpy(c->regs, vcpu->regs, sizeof(c->regs));
	c->rip = vcpu->regs[KVMX_REG_RIP];
	c->rflags = vcpu->rflags;
	c->cr0 = b->get_cr(vcpu, 0);
	c->cr4 = b->get_cr(vcpu, 4);
	c->efer = b->get_efer(vcpu);
	for (i = 0; i < KVMX_EMU_NR_SREGS; i++)
		mmio_load_seg(vcpu, &c->seg[i], (enum kvmx_seg)i);
	c->mode = kvmx_emu_mode(c->cr0, c->efer, c->rflags,
				&c->seg[KVMX_EMU_CS]);
	c->cpl = kvmx_guest_cpl(vcpu);
	c->ops = &kvmx_mmio_emu_ops;
	c->opaque = vcpu;
	c->insn_len = 0;
}

static void mmio_store_regs(struct kvmx_vcpu *vcpu,
			    const struct kvmx_emu_ctxt *c)
{
	memcpy(vcpu->regs, c->regs, sizeof(c->regs));
	vcpu->rflags = c->rflags;
}

static enum kvmx_resume mmio_internal_error(struct kvmx_vcpu *vcpu,
					    struct kvmx_mmio *m, u64 gpa)
{
	u64 data[4] = { 0, gpa, m->ctxt.opcode, 0 };

	memcpy(&data[3], m->ctxt.insn_bytes,
	       min_t(size_t, sizeof(data[3]), m->ctxt.insn_len));
	vcpu->stat.insn_emulation_fail++;
	m->active = false;
	kvmx_report_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
				   ARRAY_SIZE(data), data);
	return KVMX_EXIT_TO_USER;
}

static void mmio_fill_exit(struct kvmx_vcpu *vcpu, struct kvmx_mmio *m)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = m->gpa;
	run->mmio.len = m->len;
	run->mmio.is_write = m->is_write;
	memcpy(run->mmio.data, m->data, sizeof(run->mmio.data));
	vcpu->stat.mmio_exits++;
}

/* Run the instruction at RIP once; @gpa only names it in error reports. */
static enum kvmx_resume mmio_run(struct kvmx_vcpu *vcpu, struct kvmx_mmio *m,
				 u64 gpa)
{
	enum kvmx_emu_result r;
	struct kvmx_emu_exception *e = &m->ctxt.exception;

	mmio_load_ctxt(vcpu, &m->ctxt);
	m->exit_queued = false;
	m->failed = false;
	m->rip = vcpu->regs[KVMX_REG_RIP];
	vcpu->stat.insn_emulation++;
	r = kvmx_emulate(&m->ctxt);
	if (m->failed)
		return mmio_internal_error(vcpu, m, gpa);

	switch (r) {
	case KVMX_EMU_OK:
		mmio_store_regs(vcpu, &m->ctxt);
		vcpu->regs[KVMX_REG_RIP] = m->ctxt.rip;
		/* the side effects of completing it (shadows, stepping) */
		kvmx_skip_insn(vcpu, 0);
		m->active = false;
		break;
	case KVMX_EMU_USER:
		/* REP keeps its finished iterations; RIP stays */
		mmio_store_regs(vcpu, &m->ctxt);
		m->active = true;
		m->rip = vcpu->regs[KVMX_REG_RIP];
		break;
	case KVMX_EMU_EXCEPTION:
		mmio_store_regs(vcpu, &m->ctxt);
		m->active = false;
		m->exit_queued = false;
		if (e->vector == X86_TRAP_PF)
			kvmx_backend->set_cr(vcpu, 2, e->cr2);
		kvmx_queue_exception(vcpu, e->vector, e->error_code_valid,
				     e->error_code);
		return KVMX_RESUME_GUEST;
	case KVMX_EMU_RETRY:
		m->active = false;
		return KVMX_RESUME_GUEST;
	default:
		return mmio_internal_error(vcpu, m, gpa);
	}
	if (!m->exit_queued)
		return KVMX_RESUME_GUEST;
	mmio_fill_exit(vcpu, m);
	return KVMX_EXIT_TO_USER;
}

static struct kvmx_mmio *mmio_get(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->mmio)
		vcpu->mmio = kzalloc(sizeof(struct kvmx_mmio),
				     GFP_KERNEL_ACCOUNT);
	return vcpu->mmio;
}

/* A TDP fault no RAM could satisfy: emulate the instruction behind it. */
enum kvmx_resume kvmx_emulate_mmio(struct kvmx_vcpu *vcpu, u64 gpa, int *err)
{
	struct kvmx_mmio *m = mmio_get(vcpu);

	if (!m) {
		*err = -ENOMEM;
		return KVMX_EXIT_TO_USER;
	}
	m->nr_answers = 0;
	m->nr_written = 0;
	m->ctxt.replay_len = 0;
	return mmio_run(vcpu, m, gpa);
}

/*
 * At KVM_RUN: the VMM answered an MMIO read (or saw a write while the
 * instruction had more to do): run the instruction again.  If the VMM
 * moved RIP meanwhile, it took the instruction over; drop it.  Returns
 * 0 to go on into the guest, 1 if another exit is ready in kvm_run, or
 * -errno.
 */
int kvmx_complete_mmio_exit(struct kvmx_vcpu *vcpu)
{
	struct kvmx_mmio *m = vcpu->mmio;

	if (!m || !m->active)
		return 0;
	m->active = false;
	if (vcpu->regs[KVMX_REG_RIP] != m->rip)
		return 0;
	if (!m->is_write)
		mmio_remember(m->answers, &m->nr_answers, m->gpa, m->len,
			      vcpu->run->mmio.data);
	return mmio_run(vcpu, m, m->gpa) == KVMX_EXIT_TO_USER;
}

void kvmx_mmio_free(struct kvmx_vcpu *vcpu)
{
	kfree(vcpu->mmio);
	vcpu->mmio = NULL;
}
