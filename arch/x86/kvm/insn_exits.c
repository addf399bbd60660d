// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instructions the core completes for the guest: the KVM hypercall ABI
 * (VMCALL/VMMCALL), INVD/WBINVD, MONITOR/MWAIT, RDPMC and PAUSE.
 */
#include <linux/mm.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <kvmx/core_private.h>

/*
 * The KVM hypercall ABI (Documentation/virt/kvm/x86/hypercalls.rst):
 * number in RAX, arguments in RBX, RCX, RDX, RSI, result in RAX; errors
 * are negative KVM_E* values.
 */
#define KVMX_HC_VAPIC_POLL_IRQ	1
#define KVMX_HC_MAP_GPA_RANGE	12
#define KVMX_HC_ENOSYS		1000
#define KVMX_HC_EINVAL		22
#define KVMX_HC_EPERM		1
#define KVMX_EXIT_HYPERCALL_LONG_MODE	BIT(0)

/* Hypercalls the VMM may ask to receive (KVM_CAP_EXIT_HYPERCALL). */
#define KVMX_EXIT_HYPERCALL_VALID	BIT(KVMX_HC_MAP_GPA_RANGE)

u64 kvmx_exit_hypercall_mask(void)
{
	return KVMX_EXIT_HYPERCALL_VALID;
}

long kvmx_enable_exit_hypercall(struct kvmx_vm *vm, u64 mask)
{
	if (mask & ~(u64)KVMX_EXIT_HYPERCALL_VALID)
		return -EINVAL;
	WRITE_ONCE(vm->exit_hypercalls, mask);
	return 0;
}

/* 64-bit mode: IA-32e with a 64-bit code segment (SDM Vol. 3A 2.2). */
bool kvmx_guest_64bit(struct kvmx_vcpu *vcpu)
{
	struct kvm_segment cs;

	if (!(kvmx_backend->get_efer(vcpu) & EFER_LMA))
		return false;
	kvmx_backend->get_segment(vcpu, &cs, KVMX_SEG_CS);
	return cs.l;
}

/* The current privilege level (SDM Vol. 3A 5.5). */
int kvmx_guest_cpl(struct kvmx_vcpu *vcpu)
{
	struct kvm_segment ss;

	if (!(kvmx_backend->get_cr(vcpu, 0) & X86_CR0_PE))
		return 0;
	if (vcpu->rflags & X86_EFLAGS_VM)
		return 3;
	kvmx_backend->get_segment(vcpu, &ss, KVMX_SEG_SS);
	return ss.dpl;
}

static void kvmx_hypercall_done(struct kvmx_vcpu *vcpu, u64 ret, bool op64,
				u32 insn_len)
{
	vcpu->regs[KVMX_REG_RAX] = op64 ? ret : (u32)ret;
	kvmx_skip_insn(vcpu, insn_len);
}

enum kvmx_resume kvmx_exit_hypercall(struct kvmx_vcpu *vcpu,
				     const struct kvmx_exit *exit, int *err)
{
	bool op64 = kvmx_guest_64bit(vcpu);
	u64 mask = op64 ? ~0ULL : 0xffffffffULL;
	u64 nr = vcpu->regs[KVMX_REG_RAX] & mask;
	u64 a0 = vcpu->regs[KVMX_REG_RBX] & mask;
	u64 a1 = vcpu->regs[KVMX_REG_RCX] & mask;
	u64 a2 = vcpu->regs[KVMX_REG_RDX] & mask;
	u64 ret = -KVMX_HC_ENOSYS;
	struct kvm_run *run = vcpu->run;

	if (kvmx_guest_cpl(vcpu) != 0) {
		kvmx_hypercall_done(vcpu, -KVMX_HC_EPERM, op64, exit->insn_len);
		return KVMX_RESUME_GUEST;
	}

	switch (nr) {
	case KVMX_HC_VAPIC_POLL_IRQ:
		ret = 0;
		break;
	case KVMX_HC_MAP_GPA_RANGE:
		if (!(READ_ONCE(vcpu->vm->exit_hypercalls) &
		      BIT(KVMX_HC_MAP_GPA_RANGE)))
			break;
		if (!PAGE_ALIGNED(a0) || !a1 ||
		    (a0 >> PAGE_SHIFT) + a1 <= (a0 >> PAGE_SHIFT)) {
			ret = -KVMX_HC_EINVAL;
			break;
		}
		run->exit_reason = KVM_EXIT_HYPERCALL;
		run->hypercall.nr = nr;
		run->hypercall.args[0] = a0;
		run->hypercall.args[1] = a1;
		run->hypercall.args[2] = a2;
		run->hypercall.args[3] = 0;
		run->hypercall.args[4] = 0;
		run->hypercall.args[5] = 0;
		run->hypercall.ret = 0;
		run->hypercall.flags = op64 ? KVMX_EXIT_HYPERCALL_LONG_MODE : 0;
		vcpu->hypercall.pending = true;
		vcpu->hypercall.op64 = op64;
		vcpu->hypercall.insn_len = exit->insn_len;
		return KVMX_EXIT_TO_USER;
	}
	kvmx_hypercall_done(vcpu, ret, op64, exit->insn_len);
	return KVMX_RESUME_GUEST;
}

/* The VMM answered a KVM_EXIT_HYPERCALL: its result goes to RAX. */
void kvmx_complete_hypercall_exit(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->hypercall.pending)
		return;
	vcpu->hypercall.pending = false;
	kvmx_hypercall_done(vcpu, READ_ONCE(vcpu->run->hypercall.ret),
			    vcpu->hypercall.op64, vcpu->hypercall.insn_len);
}

/*
 * INVD and WBINVD: guest memory is ordinary write-back host memory, so
 * there is nothing to write back or throw away (in-tree does the same
 * without non-coherent DMA).  MONITOR/MWAIT: treated as NOPs, in-tree's
 * default (KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS); a guest spinning on them
 * just polls.  PAUSE: a yield point, nothing else.
 */
enum kvmx_resume kvmx_exit_skip(struct kvmx_vcpu *vcpu,
				const struct kvmx_exit *exit, int *err)
{
	kvmx_skip_insn(vcpu, exit->insn_len);
	return KVMX_RESUME_GUEST;
}

/* RDPMC without a virtual PMU: #GP, as on a CPU with no counters. */
enum kvmx_resume kvmx_exit_rdpmc(struct kvmx_vcpu *vcpu,
				 const struct kvmx_exit *exit, int *err)
{
	kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
	return KVMX_RESUME_GUEST;
}
