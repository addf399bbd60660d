// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debugging: the guest's own debug registers as KVM_GET/SET_DEBUGREGS
 * show them, KVM_SET_GUEST_DEBUG (single-step through RFLAGS.TF, software
 * and hardware breakpoints, KVM_EXIT_DEBUG), and the intercepted
 * exceptions that come back to the core: handed to the debugger or
 * delivered to the guest.  Also kvmx_skip_insn(), which completes an
 * instruction the core handled, with its architectural side effects.
 */
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <kvmx/core_private.h>

#define KVMX_GUESTDBG_VALID	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP | \
				 KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)
/* DR6 bits that read as 1 (SDM Vol. 3B 18.2.3) */
#define KVMX_DR6_FIXED_1	0xfffe0ff0ULL
/* DR6 bits an exception reports: B0-B3, BD, BS, BT */
#define KVMX_DR6_CAUSE		(0xfULL | DR_STEP | BIT(13) | BIT(15))

static u64 kvmx_linear_rip(struct kvmx_vcpu *vcpu)
{
	struct kvm_segment cs;

	kvmx_backend->get_segment(vcpu, &cs, KVMX_SEG_CS);
	return cs.base + vcpu->regs[KVMX_REG_RIP];
}

/* KVM_EXIT_DEBUG for the debugger (kvm_run->debug.arch). */
static void kvmx_debug_exit(struct kvmx_vcpu *vcpu, u8 vector, u64 dr6)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.exception = vector;
	run->debug.arch.pc = kvmx_linear_rip(vcpu);
	run->debug.arch.dr6 = dr6 | KVMX_DR6_FIXED_1;
	run->debug.arch.dr7 = (vcpu->guest_debug & KVM_GUESTDBG_USE_HW_BP) ?
			      vcpu->debug_dr7 :
			      kvmx_backend->get_dr(vcpu, 7);
}

/* Deliver #DB to the guest, its cause in DR6 first (SDM 18.2.3). */
static void kvmx_queue_db(struct kvmx_vcpu *vcpu, u64 cause)
{
	u64 dr6 = kvmx_backend->get_dr(vcpu, 6);

	dr6 = (dr6 & ~0xfULL) | KVMX_DR6_FIXED_1 | (cause & KVMX_DR6_CAUSE);
	kvmx_backend->set_dr(vcpu, 6, dr6 & 0xffffffffULL);
	kvmx_queue_exception(vcpu, X86_TRAP_DB, false, 0);
}

/*
 * The instruction at RIP was carried out by the core: move past it.  As
 * on hardware, it ends an STI/MOV SS shadow, and with RFLAGS.TF set it
 * traps afterwards (a single-step #DB, or the debugger's exit).
 */
void kvmx_skip_insn(struct kvmx_vcpu *vcpu, u32 len)
{
	u32 block;

	vcpu->regs[KVMX_REG_RIP] += len;
	block = kvmx_backend->get_interruptibility(vcpu);
	if (block & (KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS))
		kvmx_backend->set_interruptibility(vcpu, block &
			~(KVMX_BLOCK_STI | KVMX_BLOCK_MOV_SS));
	if (!(vcpu->rflags & X86_EFLAGS_TF))
		return;
	if (vcpu->tf_by_debugger)
		vcpu->debug_step_pending = true;
	else
		kvmx_queue_db(vcpu, DR_STEP);
}

/* Called by the run loop after an exit handled in the kernel. */
bool kvmx_debug_step_exit(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->debug_step_pending)
		return false;
	vcpu->debug_step_pending = false;
	kvmx_debug_exit(vcpu, X86_TRAP_DB, DR_STEP);
	return true;
}

/* Before entry / after exit: the debugger's TF, invisible to the VMM. */
void kvmx_debug_before_entry(struct kvmx_vcpu *vcpu)
{
	if ((vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP) &&
	    !(vcpu->rflags & X86_EFLAGS_TF)) {
		vcpu->rflags |= X86_EFLAGS_TF;
		vcpu->tf_by_debugger = true;
	}
}

void kvmx_debug_after_exit(struct kvmx_vcpu *vcpu)
{
	if (vcpu->tf_by_debugger &&
	    !(vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP)) {
		vcpu->rflags &= ~X86_EFLAGS_TF;
		vcpu->tf_by_debugger = false;
	}
}

/* RFLAGS as the VMM sees it: without a TF only the debugger set. */
u64 kvmx_visible_rflags(struct kvmx_vcpu *vcpu)
{
	return vcpu->tf_by_debugger ? vcpu->rflags & ~X86_EFLAGS_TF :
				      vcpu->rflags;
}

long kvmx_set_guest_debug(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvm_guest_debug dbg;

	if (copy_from_user(&dbg, argp, sizeof(dbg)))
		return -EFAULT;
	/*
	 * Bits kvmx does not know (or implement: BLOCKIRQ) are ignored, as
	 * in-tree ignores what it does not know; KVM_CAP_SET_GUEST_DEBUG2,
	 * which would list the valid ones, is not offered.
	 */
	dbg.control &= KVMX_GUESTDBG_VALID;
	if (dbg.control & (KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP)) {
		if (vcpu->ev.exception.type != KVMX_EVENT_NONE)
			return -EBUSY;
		if (dbg.control & KVM_GUESTDBG_INJECT_DB)
			kvmx_queue_db(vcpu, 0);
		else
			kvmx_queue_exception(vcpu, X86_TRAP_BP, false, 0);
	}
	if (!(dbg.control & KVM_GUESTDBG_ENABLE))
		dbg.control = 0;
	/* TF the debugger set stays out of the guest's RFLAGS */
	vcpu->rflags = kvmx_visible_rflags(vcpu);
	vcpu->tf_by_debugger = false;
	vcpu->guest_debug = dbg.control & ~(KVM_GUESTDBG_INJECT_DB |
					    KVM_GUESTDBG_INJECT_BP);
	vcpu->debug_dr7 = dbg.arch.debugreg[7];
	vcpu->debug_step_pending = false;
	kvmx_backend->set_guest_debug(vcpu, &dbg);
	return 0;
}

/*
 * An intercepted exception: #DB and #BP go to the debugger when it asked
 * for them; everything else (and those, otherwise) goes back to the
 * guest as if nothing had intercepted it.
 */
enum kvmx_resume kvmx_exit_exception(struct kvmx_vcpu *vcpu,
				     const struct kvmx_exit *exit, int *err)
{
	u8 vector = exit->exc.vector;
	struct kvmx_event *ex;

	switch (vector) {
	case X86_TRAP_DB:
		if (vcpu->guest_debug & (KVM_GUESTDBG_SINGLESTEP |
					 KVM_GUESTDBG_USE_HW_BP)) {
			kvmx_debug_exit(vcpu, X86_TRAP_DB, exit->exc.dr6);
			return KVMX_EXIT_TO_USER;
		}
		kvmx_queue_db(vcpu, exit->exc.dr6);
		return KVMX_RESUME_GUEST;
	case X86_TRAP_BP:
		if (vcpu->guest_debug & KVM_GUESTDBG_USE_SW_BP) {
			kvmx_debug_exit(vcpu, X86_TRAP_BP, 0);
			return KVMX_EXIT_TO_USER;
		}
		/* INT3 is a trap: the guest's handler returns past it */
		ex = &vcpu->ev.exception;
		kvmx_queue_exception(vcpu, X86_TRAP_BP, false, 0);
		if (exit->insn_len) {
			ex->type = KVMX_EVENT_SW_EXCEPTION;
			ex->insn_len = exit->insn_len;
		} else {
			vcpu->regs[KVMX_REG_RIP] += 1;
		}
		return KVMX_RESUME_GUEST;
	}
	kvmx_queue_exception(vcpu, vector, exit->exc.has_error,
			     exit->exc.error_code);
	return KVMX_RESUME_GUEST;
}

void kvmx_get_debugregs(struct kvmx_vcpu *vcpu, struct kvm_debugregs *d)
{
	int i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < 4; i++)
		d->db[i] = kvmx_backend->get_dr(vcpu, i);
	d->dr6 = kvmx_backend->get_dr(vcpu, 6);
	d->dr7 = kvmx_backend->get_dr(vcpu, 7);
}

int kvmx_set_debugregs(struct kvmx_vcpu *vcpu, const struct kvm_debugregs *d)
{
	int i;

	/* DR6/DR7 bits 63:32 are reserved (SDM Vol. 3B 18.2.4) */
	if (d->flags || (d->dr6 >> 32) || (d->dr7 >> 32))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		kvmx_backend->set_dr(vcpu, i, d->db[i]);
	kvmx_backend->set_dr(vcpu, 6, d->dr6);
	kvmx_backend->set_dr(vcpu, 7, d->dr7);
	return 0;
}
