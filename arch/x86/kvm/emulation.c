// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running the instruction emulator (emulate/) for a vCPU: after a TDP
 * fault no RAM could satisfy (MMIO, a write to a read-only slot) and for
 * string port I/O.  The vCPU's state goes into the emulator's context,
 * the result comes back into the vCPU: registers written back, an
 * exception queued, or an exit to the VMM (KVM_EXIT_MMIO, KVM_EXIT_IO)
 * after which the next KVM_RUN runs the instruction again with the VMM's
 * answer (the emulator replays what it read before).  One access is
 * handed to the VMM per exit.
 *
 * An instruction the emulator cannot run is reported to the VMM as
 * KVM_INTERNAL_ERROR_EMULATION with its bytes, as in-tree KVM does: at
 * CPL 0 (or with KVM_CAP_EXIT_ON_EMULATION_FAILURE) the VMM decides; at
 * CPL > 0 the guest gets #UD, so a guest's user space cannot stop the VM.
 */
#include <linux/ratelimit.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "emulation.h"

static void kvmx_emul_get_seg(struct kvmx_emu_ctxt *ctxt, unsigned int seg,
			      struct kvmx_emu_seg *s);

static const struct kvmx_emu_ops kvmx_emul_ops = {
	.fetch		= kvmx_emul_fetch,
	.read		= kvmx_emul_read,
	.write		= kvmx_emul_write,
	.cmpxchg	= kvmx_emul_cmpxchg,
	.pio_in		= kvmx_emul_pio_in,
	.pio_out	= kvmx_emul_pio_out,
	.get_vreg	= kvmx_emul_get_vreg,
	.set_vreg	= kvmx_emul_set_vreg,
	.get_seg	= kvmx_emul_get_seg,
};

static void emul_load_seg(struct kvmx_vcpu *vcpu, struct kvmx_emu_seg *s,
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

static void kvmx_emul_get_seg(struct kvmx_emu_ctxt *ctxt, unsigned int seg,
			      struct kvmx_emu_seg *s)
{
	emul_load_seg(emul_vcpu(ctxt), s, (enum kvmx_seg)seg);
}

/*
 * The data segments the emulator reads only if the instruction uses them
 * (in 64-bit mode FS and GS alone, for their bases): left to
 * kvmx_emul_get_seg().  CS and SS are read here, for the mode and CPL.
 */
#define EMUL_LAZY_SEGS	(BIT(KVMX_EMU_ES) | BIT(KVMX_EMU_DS) |	\
			 BIT(KVMX_EMU_FS) | BIT(KVMX_EMU_GS))

/* The vCPU's state into the context; the replay state stays. */
static void emul_load_ctxt(struct kvmx_vcpu *vcpu, struct kvmx_emu_ctxt *c)
{
	const struct kvmx_backend *b = kvmx_backend;

	BUILD_BUG_ON((int)KVMX_EMU_ES != KVMX_SEG_ES ||
		     (int)KVMX_EMU_CS != KVMX_SEG_CS ||
		     (int)KVMX_EMU_SS != KVMX_SEG_SS ||
		     (int)KVMX_EMU_DS != KVMX_SEG_DS ||
		     (int)KVMX_EMU_FS != KVMX_SEG_FS ||
		     (int)KVMX_EMU_GS != KVMX_SEG_GS);
	memcpy(c->regs, vcpu->regs, sizeof(c->regs));
	c->rip = vcpu->regs[KVMX_REG_RIP];
	c->rflags = vcpu->rflags;
	c->cr0 = b->get_cr(vcpu, 0);
	c->cr4 = b->get_cr(vcpu, 4);
	c->efer = b->get_efer(vcpu);
	c->xcr0 = vcpu->xcr0;
	/* the instruction ran on this CPU up to its fault */
	c->no_tzcnt = !boot_cpu_has(X86_FEATURE_BMI1);
	c->no_lzcnt = !boot_cpu_has(X86_FEATURE_ABM);
	emul_load_seg(vcpu, &c->seg[KVMX_EMU_CS], KVMX_SEG_CS);
	emul_load_seg(vcpu, &c->seg[KVMX_EMU_SS], KVMX_SEG_SS);
	c->seg_pending = EMUL_LAZY_SEGS;
	c->mode = kvmx_emu_mode(c->cr0, c->efer, c->rflags,
				&c->seg[KVMX_EMU_CS]);
	/* kvmx_guest_cpl() from the registers just read (SDM Vol. 3A 5.5) */
	if (!(c->cr0 & X86_CR0_PE))
		c->cpl = 0;
	else if (c->rflags & X86_EFLAGS_VM)
		c->cpl = 3;
	else
		c->cpl = c->seg[KVMX_EMU_SS].dpl;
	c->ops = &kvmx_emul_ops;
	c->opaque = vcpu;
}

static void emul_store_regs(struct kvmx_vcpu *vcpu,
			    const struct kvmx_emu_ctxt *c)
{
	memcpy(vcpu->regs, c->regs, sizeof(c->regs));
	vcpu->rflags = c->rflags;
}

/*
 * KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION: the flags word,
 * the instruction's size and bytes (the emulation_failure layout, three
 * u64s of data[]), then the exit that led here and the guest-physical
 * address, for bug reports.
 */
static void emul_report_failure(struct kvmx_vcpu *vcpu,
				struct kvmx_emulation *e, u64 gpa)
{
	struct kvm_run *run = vcpu->run;
	const struct kvmx_emu_ctxt *c = &e->ctxt;
	u8 size = min_t(u8, c->insn_len, sizeof(run->emulation_failure.insn_bytes));

	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	memset(&run->internal, 0, sizeof(run->internal));
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.flags =
		KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = size;
	memcpy(run->emulation_failure.insn_bytes, c->insn_bytes, size);
	run->internal.data[3] = gpa;
	run->internal.data[4] = c->opcode;
	run->internal.data[5] = vcpu->last_cpu;
	run->emulation_failure.ndata = 6;
}

/* The emulator could not run the instruction at RIP. */
static enum kvmx_resume emul_failed(struct kvmx_vcpu *vcpu,
				    struct kvmx_emulation *e, u64 gpa)
{
	const struct kvmx_emu_ctxt *c = &e->ctxt;
	bool to_user = vcpu->vm->exit_on_emulation_failure ||
		       kvmx_guest_cpl(vcpu) == 0;

	vcpu->stat.insn_emulation_fail++;
	e->active = false;
	pr_warn_ratelimited("kvmx: cannot emulate opcode %#x at rip %#llx (gpa %#llx, bytes %*ph)%s\n",
			    c->opcode, vcpu->regs[KVMX_REG_RIP], gpa,
			    min_t(int, c->insn_len, KVMX_EMU_MAX_INSN),
			    c->insn_bytes, to_user ? "" : ": #UD");
	/* as in-tree: without the capability the guest gets #UD as well */
	if (!vcpu->vm->exit_on_emulation_failure)
		kvmx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	if (!to_user)
		return KVMX_RESUME_GUEST;
	emul_report_failure(vcpu, e, gpa);
	return KVMX_EXIT_TO_USER;
}

/* Run the instruction at RIP once; @gpa only names it in error reports. */
static enum kvmx_resume emul_run(struct kvmx_vcpu *vcpu,
				 struct kvmx_emulation *e, u64 gpa)
{
	struct kvmx_emu_exception *x = &e->ctxt.exception;
	enum kvmx_emu_result r;

	emul_load_ctxt(vcpu, &e->ctxt);
	e->exit = KVMX_EMUL_EXIT_NONE;
	e->failed = false;
	e->paging_loaded = false;
	e->rip = vcpu->regs[KVMX_REG_RIP];
	vcpu->stat.insn_emulation++;
	r = kvmx_emulate(&e->ctxt);
	/* a run again walks: the guest may have changed its tables since */
	e->hint_access = 0;
	if (e->failed)
		return emul_failed(vcpu, e, gpa);

	switch (r) {
	case KVMX_EMU_OK:
		emul_store_regs(vcpu, &e->ctxt);
		vcpu->regs[KVMX_REG_RIP] = e->ctxt.rip;
		/* the side effects of completing it (shadows, stepping) */
		kvmx_skip_insn(vcpu, 0);
		e->active = false;
		break;
	case KVMX_EMU_USER:
		/* REP keeps its finished iterations; RIP stays */
		emul_store_regs(vcpu, &e->ctxt);
		e->active = true;
		break;
	case KVMX_EMU_EXCEPTION:
		emul_store_regs(vcpu, &e->ctxt);
		e->active = false;
		if (x->vector == X86_TRAP_PF)
			kvmx_backend->set_cr(vcpu, 2, x->cr2);
		kvmx_queue_exception(vcpu, x->vector, x->error_code_valid,
				     x->error_code);
		/* a write queued by an earlier iteration still goes out */
		break;
	case KVMX_EMU_RETRY:
		e->active = false;
		return KVMX_RESUME_GUEST;
	default:
		return emul_failed(vcpu, e, gpa);
	}

	switch (e->exit) {
	case KVMX_EMUL_EXIT_MMIO:
		kvmx_emul_fill_mmio_exit(vcpu, e);
		return KVMX_EXIT_TO_USER;
	case KVMX_EMUL_EXIT_PIO:
		kvmx_emul_fill_pio_exit(vcpu, e);
		return KVMX_EXIT_TO_USER;
	default:
		/* nothing for the VMM: go on (a USER without an exit runs
		 * the instruction again) */
		e->active = false;
		return KVMX_RESUME_GUEST;
	}
}

static struct kvmx_emulation *emul_get(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->emul)
		vcpu->emul = kzalloc(sizeof(*vcpu->emul), GFP_KERNEL_ACCOUNT);
	return vcpu->emul;
}

/* A new instruction: nothing from an earlier one may be replayed. */
static struct kvmx_emulation *emul_start(struct kvmx_vcpu *vcpu,
					 const u8 *bytes, u8 len)
{
	struct kvmx_emulation *e = emul_get(vcpu);

	if (!e)
		return NULL;
	e->nr_answers = 0;
	e->nr_written = 0;
	e->pio_answered = false;
	e->hint_access = 0;
	e->ctxt.replay_len = 0;
	e->ctxt.insn_len = len;
	if (len)
		memcpy(e->ctxt.insn_bytes, bytes, len);
	return e;
}

/* A TDP fault no RAM could satisfy: emulate the instruction behind it. */
enum kvmx_resume kvmx_emulate_mmio(struct kvmx_vcpu *vcpu,
				   const struct kvmx_exit *exit, int *err)
{
	struct kvmx_emulation *e = emul_start(vcpu, exit->tdp.insn_bytes,
					      exit->tdp.insn_len);

	if (!e) {
		*err = -ENOMEM;
		return KVMX_EXIT_TO_USER;
	}
	/*
	 * The CPU faulted on the final address of a data access, so the
	 * guest's translation of it succeeded, with its rights checked and
	 * its accessed and dirty flags set: the access the emulator makes
	 * first may skip its walk if it is that very one (mmio.c decides).
	 * Not if an event's delivery faulted: the access was not the
	 * instruction's.
	 */
	if ((exit->tdp.access & (KVMX_TDP_MMIO | KVMX_TDP_FINAL)) ==
	    (KVMX_TDP_MMIO | KVMX_TDP_FINAL) &&
	    exit->vectoring.type == KVMX_EVENT_NONE &&
	    (exit->tdp.access & (KVMX_TDP_READ | KVMX_TDP_WRITE))) {
		e->hint_access = exit->tdp.access & KVMX_TDP_WRITE ?
				 KVMX_EMUL_HINT_WRITE : KVMX_EMUL_HINT_READ;
		e->hint_gpa = exit->tdp.gpa;
	}
	return emul_run(vcpu, e, exit->tdp.gpa);
}

/* INS or OUTS (any REP): the emulator walks the guest's memory. */
enum kvmx_resume kvmx_emulate_string_io(struct kvmx_vcpu *vcpu,
					const struct kvmx_exit *exit,
					int *err)
{
	struct kvmx_emulation *e = emul_start(vcpu, NULL, 0);

	if (!e) {
		*err = -ENOMEM;
		return KVMX_EXIT_TO_USER;
	}
	return emul_run(vcpu, e, 0);
}

/*
 * At KVM_RUN: the VMM answered an MMIO read or an IN (or saw a write
 * while the instruction had more to do): run the instruction again.  If
 * the VMM moved RIP meanwhile, it took the instruction over; drop it.
 * Returns 0 to go on into the guest, 1 if another exit is ready in
 * kvm_run, or -errno.
 */
int kvmx_complete_emulation_exit(struct kvmx_vcpu *vcpu)
{
	struct kvmx_emulation *e = vcpu->emul;

	if (!e || !e->active)
		return 0;
	e->active = false;
	if (vcpu->regs[KVMX_REG_RIP] != e->rip)
		return 0;
	if (e->exit == KVMX_EMUL_EXIT_MMIO)
		kvmx_emul_mmio_answered(vcpu, e);
	else if (e->exit == KVMX_EMUL_EXIT_PIO)
		kvmx_emul_pio_answered(vcpu, e);
	e->ctxt.insn_len = 0;
	return emul_run(vcpu, e, e->gpa) == KVMX_EXIT_TO_USER;
}

void kvmx_emulation_free(struct kvmx_vcpu *vcpu)
{
	kfree(vcpu->emul);
	vcpu->emul = NULL;
}
