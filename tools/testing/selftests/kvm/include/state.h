/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The whole architectural state of a vCPU as a VMM saves and restores it
 * for live migration or snapshots: every KVM_GET_* ioctl of the vCPU
 * state ABI into one struct, put back with the matching KVM_SET_* in the
 * order VMMs use, and compared field by field.  Also: a fresh VM with
 * the same memory slots and contents as another, so that a vCPU can be
 * "migrated" between VMs within one test.
 */
#ifndef KVMX_SELFTEST_STATE_H
#define KVMX_SELFTEST_STATE_H

#include <stdbool.h>
#include <stdio.h>

#include "kvm_util.h"

struct vcpu_state {
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_CPUID2 */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool has_sregs2;		/* KVM_CAP_SREGS2 */
	struct kvm_sregs2 sregs2;
	struct kvm_fpu fpu;
	/* KVM_GET_XSAVE2 when KVM_CAP_XSAVE2 says its size, else 4 KiB. */
	struct kvm_xsave *xsave;
	size_t xsave_size;
	bool has_xcrs;			/* KVM_CAP_XCRS */
	struct kvm_xcrs xcrs;
	struct kvm_msrs *msrs;		/* every MSR of the index list */
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	struct kvm_mp_state mp_state;
	long tsc_khz;			/* KVM_GET_TSC_KHZ, 0 if no cap */
};

/*
 * KVM_GET_MSR_INDEX_LIST (cached): the MSRs a VMM must save and restore.
 * Returns their number and sets *list (owned by the library).
 */
unsigned int kvm_msr_index_list(const uint32_t **list);

/* All of the vCPU's state; every ioctl must succeed. */
struct vcpu_state *vcpu_state_save(struct kvm_vcpu *vcpu);
/*
 * Puts @st into @vcpu, in QEMU's order: CPUID, TSC rate, REGS, XSAVE (or
 * FPU), XCRS, SREGS2 (or SREGS), MSRS, MP_STATE, VCPU_EVENTS, DEBUGREGS.
 * REGS goes before VCPU_EVENTS because KVM_SET_REGS drops a pending
 * exception.
 */
void vcpu_state_load(struct kvm_vcpu *vcpu, const struct vcpu_state *st);
void vcpu_state_free(struct vcpu_state *st);

/*
 * Compares two saved states, printing one "# ..." line to @f per
 * difference (the field by name), and returns the number of differences.
 * MSRs that count time are exempt from equality (see lib/state.c): the
 * TSC must only not go backwards.
 */
unsigned int vcpu_state_diff(FILE *f, const struct vcpu_state *a,
			     const struct vcpu_state *b);

/* The value of @msr in a saved state; fails the test if it is absent. */
uint64_t vcpu_state_msr(const struct vcpu_state *st, uint32_t msr);

/*
 * A fresh VM with the same memory slots as @src (new anonymous memory,
 * contents copied) and the same library bookkeeping (mode, allocator),
 * but no vCPU.
 */
struct kvm_vm *vm_clone_memory(struct kvm_vm *src);

/*
 * KVM_RUN with immediate_exit set: KVM finishes the instruction behind
 * the last exit (an IN/OUT or MMIO that went to userspace) and returns
 * EINTR without running the guest further.  Until then that instruction
 * is half done and its completion is in no state userspace can save
 * (Documentation/virt/kvm/api.rst, "kvm_run" exit notes): VMMs do this
 * before saving state.
 */
void vcpu_complete_exit(struct kvm_vcpu *vcpu);

/*
 * Live migration inside one process: completes the last exit
 * (vcpu_complete_exit()), saves @vcpu's state, makes a fresh
 * VM with a copy of the memory (vm_clone_memory()), adds a vCPU with the
 * same id, loads the state, and checks that reading it back gives the
 * state saved (up to the TSC, see vcpu_state_diff()), printing the
 * differences.  Returns the new vCPU (its VM is ->vm) and the number of
 * differences through @ndiff.  The old VM is left alone: the caller frees
 * it.
 */
struct kvm_vcpu *vcpu_migrate(struct kvm_vcpu *vcpu, unsigned int *ndiff);

#endif /* KVMX_SELFTEST_STATE_H */
