/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A long-mode guest that executes one instruction per host request: the
 * host posts an operation (RDMSR 0x10, WRMSR 0x277 value, XSETBV ...) into
 * the guest's memory and runs the vCPU; the guest executes it with
 * exceptions caught (GUEST_SAFE_ASM) and answers with a ucall carrying the
 * vector (or GUEST_NO_EXCEPTION) and the value read.  Tests use it to
 * compare what the host sets through ioctls with what the guest sees, and
 * the other way round, without writing a guest function per case.
 */
#ifndef KVMX_SELFTEST_GUEST_OPS_H
#define KVMX_SELFTEST_GUEST_OPS_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;
struct kvm_vm;

enum guest_op {
	GOP_RDMSR,	/* index: the MSR */
	GOP_WRMSR,	/* index: the MSR, value */
	GOP_XSETBV,	/* index: the XCR, value */
	GOP_XGETBV,	/* index: the XCR */
	GOP_RDTSC,
	GOP_RDTSCP,	/* value read: the TSC; aux: ECX */
	GOP_RDPMC,	/* index: the counter */
};

/* The ucall a guest_ops guest answers with: SYNC, args[0] = this. */
#define GUEST_OP_DONE	0x6f70646f6e65ULL

struct guest_op_result {
	int vector;		/* GUEST_NO_EXCEPTION or the vector */
	uint64_t value;		/* what a read returned */
	uint32_t aux;		/* RDTSCP: TSC_AUX */
};

/* A long-mode VM whose vCPU 0 runs the op server (see guest.h). */
struct kvm_vm *vm_create_op_guest(struct kvm_vcpu **vcpu);
/* Posts a request; the next KVM_RUN executes it. */
void guest_op_post(struct kvm_vcpu *vcpu, enum guest_op op, uint32_t index,
		   uint64_t value);
/* Decodes the answer from the vCPU's last exit; false if it is none. */
bool guest_op_answer(struct kvm_vcpu *vcpu, struct guest_op_result *res);
/* Post, run to the answer (any other exit fails the test), decode. */
struct guest_op_result guest_op(struct kvm_vcpu *vcpu, enum guest_op op,
				uint32_t index, uint64_t value);

/* RDMSR in the guest: the vector, *value if there was none. */
static inline int guest_op_rdmsr(struct kvm_vcpu *vcpu, uint32_t msr,
				 uint64_t *value)
{
	struct guest_op_result r = guest_op(vcpu, GOP_RDMSR, msr, 0);

	*value = r.value;
	return r.vector;
}

static inline int guest_op_wrmsr(struct kvm_vcpu *vcpu, uint32_t msr,
				 uint64_t value)
{
	return guest_op(vcpu, GOP_WRMSR, msr, value).vector;
}

#endif /* KVMX_SELFTEST_GUEST_OPS_H */
