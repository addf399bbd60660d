// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's RDMSR and WRMSR: the VM's MSR filter (KVM_X86_SET_MSR_FILTER)
 * first, then the MSR itself (msrs.c); a refused access becomes #GP, or,
 * when the VMM asked for it (KVM_CAP_X86_USER_SPACE_MSR), a
 * KVM_EXIT_X86_RDMSR/WRMSR that the next KVM_RUN completes.
 */
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/trapnr.h>
#include <kvmx/core_private.h>

/* The x2APIC range is never filtered, as in-tree. */
#define KVMX_X2APIC_MSR_FIRST	0x800
#define KVMX_X2APIC_MSR_LAST	0x8ff

static void kvmx_free_msr_filter(struct kvmx_msr_filter *f)
{
	u32 i;

	if (!f)
		return;
	for (i = 0; i < f->nranges; i++)
		kfree(f->ranges[i].bitmap);
	kfree(f);
}

void kvmx_msr_filter_destroy(struct kvmx_vm *vm)
{
	kvmx_free_msr_filter(rcu_dereference_protected(vm->msr_filter, 1));
	RCU_INIT_POINTER(vm->msr_filter, NULL);
}

/* Is this guest access allowed by the filter? */
static bool kvmx_msr_allowed(struct kvmx_vcpu *vcpu, u32 index, u32 rw)
{
	const struct kvmx_msr_filter *f;
	bool allowed = true;
	u32 i;

	if (index >= KVMX_X2APIC_MSR_FIRST && index <= KVMX_X2APIC_MSR_LAST)
		return true;
	rcu_read_lock();
	f = rcu_dereference(vcpu->vm->msr_filter);
	if (f) {
		allowed = !(f->flags & KVM_MSR_FILTER_DEFAULT_DENY);
		for (i = 0; i < f->nranges; i++) {
			u32 base = f->ranges[i].base;

			if (!(f->ranges[i].flags & rw) || index < base ||
			    index - base >= f->ranges[i].nmsrs)
				continue;
			allowed = test_bit(index - base, f->ranges[i].bitmap);
			break;
		}
	}
	rcu_read_unlock();
	return allowed;
}

long kvmx_set_msr_filter(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_msr_filter uf;
	struct kvmx_msr_filter *f, *old;
	bool empty = true;
	long r = 0;
	u32 i;

	if (copy_from_user(&uf, argp, sizeof(uf)))
		return -EFAULT;
	if (uf.flags & ~KVM_MSR_FILTER_VALID_MASK)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(uf.ranges); i++)
		empty &= !uf.ranges[i].nmsrs;
	/* deny-all with no exception would make every MSR unusable */
	if (empty && (uf.flags & KVM_MSR_FILTER_DEFAULT_DENY))
		return -EINVAL;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->flags = uf.flags;
	for (i = 0; i < ARRAY_SIZE(uf.ranges); i++) {
		const struct kvm_msr_filter_range *ur = &uf.ranges[i];
		size_t bytes = BITS_TO_LONGS(ur->nmsrs) * sizeof(long);

		if (!ur->nmsrs)
			continue;
		if ((ur->flags & ~KVM_MSR_FILTER_RANGE_VALID_MASK) ||
		    !ur->flags || bytes > KVM_MSR_FILTER_MAX_BITMAP_SIZE) {
			r = -EINVAL;
			goto out_free;
		}
		f->ranges[f->nranges].bitmap = memdup_user((const void __user *)ur->bitmap,
							   bytes);
		if (IS_ERR(f->ranges[f->nranges].bitmap)) {
			r = PTR_ERR(f->ranges[f->nranges].bitmap);
			f->ranges[f->nranges].bitmap = NULL;
			goto out_free;
		}
		f->ranges[f->nranges].flags = ur->flags;
		f->ranges[f->nranges].nmsrs = ur->nmsrs;
		f->ranges[f->nranges].base = ur->base;
		f->nranges++;
	}

	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->msr_filter,
					lockdep_is_held(&vm->lock));
	rcu_assign_pointer(vm->msr_filter, f);
	mutex_unlock(&vm->lock);
	synchronize_rcu();
	kvmx_free_msr_filter(old);
	return 0;

out_free:
	kvmx_free_msr_filter(f);
	return r;
}

long kvmx_enable_user_space_msr(struct kvmx_vm *vm, u64 reasons)
{
	if (reasons & ~(u64)KVM_MSR_EXIT_REASON_VALID_MASK)
		return -EINVAL;
	mutex_lock(&vm->lock);
	vm->user_space_msr = reasons;
	mutex_unlock(&vm->lock);
	return 0;
}

/* Hand the access to the VMM if it asked for this kind of failure. */
static bool kvmx_msr_to_user(struct kvmx_vcpu *vcpu, u32 index, u64 data,
			     bool read, u32 reason, u8 insn_len)
{
	struct kvm_run *run = vcpu->run;

	if (!(READ_ONCE(vcpu->vm->user_space_msr) & reason))
		return false;
	run->exit_reason = read ? KVM_EXIT_X86_RDMSR : KVM_EXIT_X86_WRMSR;
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.error = 0;
	run->msr.reason = reason;
	run->msr.index = index;
	run->msr.data = data;
	vcpu->msrs.user_exit_pending = true;
	vcpu->msrs.user_exit_read = read;
	vcpu->msrs.user_exit_insn_len = insn_len;
	return true;
}

static u32 kvmx_msr_fail_reason(int r)
{
	return r == KVMX_MSR_UNKNOWN ? KVM_MSR_EXIT_REASON_UNKNOWN :
				       KVM_MSR_EXIT_REASON_INVAL;
}

enum kvmx_resume kvmx_exit_rdmsr(struct kvmx_vcpu *vcpu,
				 const struct kvmx_exit *exit, int *err)
{
	u32 index = vcpu->regs[KVMX_REG_RCX];
	u64 data = 0;
	int r;

	if (!kvmx_msr_allowed(vcpu, index, KVM_MSR_FILTER_READ)) {
		if (kvmx_msr_to_user(vcpu, index, 0, true,
				     KVM_MSR_EXIT_REASON_FILTER, exit->insn_len))
			return KVMX_EXIT_TO_USER;
		kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return KVMX_RESUME_GUEST;
	}
	r = kvmx_get_msr_checked(vcpu, index, &data, false);
	if (r) {
		if (kvmx_msr_to_user(vcpu, index, 0, true,
				     kvmx_msr_fail_reason(r), exit->insn_len))
			return KVMX_EXIT_TO_USER;
		kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return KVMX_RESUME_GUEST;
	}
	vcpu->regs[KVMX_REG_RAX] = (u32)data;
	vcpu->regs[KVMX_REG_RDX] = data >> 32;
	kvmx_skip_insn(vcpu, exit->insn_len);
	return KVMX_RESUME_GUEST;
}

enum kvmx_resume kvmx_exit_wrmsr(struct kvmx_vcpu *vcpu,
				 const struct kvmx_exit *exit, int *err)
{
	u32 index = vcpu->regs[KVMX_REG_RCX];
	u64 data = (u32)vcpu->regs[KVMX_REG_RAX] |
		   (vcpu->regs[KVMX_REG_RDX] << 32);
	int r;

	if (!kvmx_msr_allowed(vcpu, index, KVM_MSR_FILTER_WRITE)) {
		if (kvmx_msr_to_user(vcpu, index, data, false,
				     KVM_MSR_EXIT_REASON_FILTER, exit->insn_len))
			return KVMX_EXIT_TO_USER;
		kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return KVMX_RESUME_GUEST;
	}
	r = kvmx_set_msr_checked(vcpu, index, data, false);
	if (r) {
		if (kvmx_msr_to_user(vcpu, index, data, false,
				     kvmx_msr_fail_reason(r), exit->insn_len))
			return KVMX_EXIT_TO_USER;
		kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return KVMX_RESUME_GUEST;
	}
	kvmx_skip_insn(vcpu, exit->insn_len);
	return KVMX_RESUME_GUEST;
}

/* The VMM answered a KVM_EXIT_X86_RDMSR/WRMSR: finish the instruction. */
void kvmx_complete_msr_exit(struct kvmx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (!vcpu->msrs.user_exit_pending)
		return;
	vcpu->msrs.user_exit_pending = false;
	if (READ_ONCE(run->msr.error)) {
		kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return;
	}
	if (vcpu->msrs.user_exit_read) {
		u64 data = READ_ONCE(run->msr.data);

		vcpu->regs[KVMX_REG_RAX] = (u32)data;
		vcpu->regs[KVMX_REG_RDX] = data >> 32;
	}
	kvmx_skip_insn(vcpu, vcpu->msrs.user_exit_insn_len);
}
