// SPDX-License-Identifier: GPL-2.0-only
/*
 * The op server guest (guest_ops.h): its guest half, a loop executing the
 * request the host left in guest_op_req, and the host half posting
 * requests and decoding answers.
 */
#include <stdbool.h>

#include "kvm_util.h"
#include "guest.h"
#include "guest_ops.h"

struct guest_op_req {
	uint64_t op, index, value;
};

/* Guest data, written by the host through guest_op_post(). */
struct guest_op_req guest_op_req;

static int op_rdtscp(uint64_t *val, uint32_t *aux)
{
	register uint64_t vec asm("r11");
	uint32_t lo, hi, c;

	asm volatile(GUEST_SAFE_ASM("rdtscp")
		     : "=&r"(vec), "=a"(lo), "=d"(hi), "=c"(c) : : "r10", "memory");
	*val = lo | ((uint64_t)hi << 32);
	*aux = c;
	return (int)vec;
}

static void guest_op_server(void)
{
	for (;;) {
		volatile struct guest_op_req *req = &guest_op_req;
		uint32_t index = req->index, aux = 0;
		uint64_t value = req->value, out = 0;
		int vec = GUEST_NO_EXCEPTION;

		switch (req->op) {
		case GOP_RDMSR:
			vec = rdmsr_safe(index, &out);
			break;
		case GOP_WRMSR:
			vec = wrmsr_safe(index, value);
			break;
		case GOP_XSETBV:
			vec = xsetbv_safe(index, value);
			break;
		case GOP_XGETBV:
			vec = GUEST_SAFE_ECX_TO_EDX_EAX("xgetbv", index, &out);
			break;
		case GOP_RDTSC:
			out = guest_rdtsc();
			break;
		case GOP_RDTSCP:
			vec = op_rdtscp(&out, &aux);
			break;
		case GOP_RDPMC:
			vec = GUEST_SAFE_ECX_TO_EDX_EAX("rdpmc", index, &out);
			break;
		default:
			GUEST_ASSERT_MSG(0, "unknown op %lu", req->op);
		}
		ucall(UCALL_SYNC, 4, GUEST_OP_DONE, (uint64_t)(int64_t)vec,
		      out, (uint64_t)aux);
	}
}

struct kvm_vm *vm_create_op_guest(struct kvm_vcpu **vcpu)
{
	return vm_create_guest(vcpu, guest_op_server);
}

void guest_op_post(struct kvm_vcpu *vcpu, enum guest_op op, uint32_t index,
		   uint64_t value)
{
	struct guest_op_req *req = addr_gpa2hva(vcpu->vm,
				(uint64_t)(uintptr_t)&guest_op_req);

	req->op = op;
	req->index = index;
	req->value = value;
}

bool guest_op_answer(struct kvm_vcpu *vcpu, struct guest_op_result *res)
{
	struct ucall uc;

	if (get_ucall(vcpu, &uc) != UCALL_SYNC || uc.args[0] != GUEST_OP_DONE)
		return false;
	res->vector = (int)uc.args[1];
	res->value = uc.args[2];
	res->aux = uc.args[3];
	return true;
}

struct guest_op_result guest_op(struct kvm_vcpu *vcpu, enum guest_op op,
				uint32_t index, uint64_t value)
{
	struct guest_op_result res;
	struct ucall uc;

	guest_op_post(vcpu, op, index, value);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC &&
		    guest_op_answer(vcpu, &res),
		    "op %d (0x%x, 0x%lx): no answer from the guest", op, index,
		    value);
	return res;
}
