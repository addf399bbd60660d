// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark's guest: 64-bit C run by the selftest library's long-mode
 * VM (no libc, see tools/testing/selftests/kvm/include/guest.h).  Each
 * operation is first checked once (so that a KVM which gets it wrong is
 * reported, not timed), then repeated in a tight loop between two reads of
 * the TSC.  The guest's TSC is the emulated host's plus a constant offset
 * (neither KVM scales it unless asked), so the differences are host TSC
 * cycles; the loop's own few instructions are included.
 */
#include "guest.h"
#include "bench.h"

static inline uint32_t op_cpuid(void)
{
	uint32_t a = 0, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
	return a;
}

/* KVM's hypercall ABI: number in RAX, arguments in RBX, RCX, RDX, RSI. */
static inline uint64_t op_vmcall(void)
{
	uint64_t r = BENCH_HC_NR;

	asm volatile("vmcall" : "+a"(r) : "b"(0UL), "c"(0UL), "d"(0UL), "S"(0UL)
		     : "memory");
	return r;
}

static inline uint64_t op_vmmcall(void)
{
	uint64_t r = BENCH_HC_NR;

	asm volatile("vmmcall" : "+a"(r) : "b"(0UL), "c"(0UL), "d"(0UL), "S"(0UL)
		     : "memory");
	return r;
}

static inline uint64_t op_rdmsr(void)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(BENCH_MSR_EFER)
		     : "memory");
	return lo | (uint64_t)hi << 32;
}

/* TSC cycles of @n operations; the results are left unchecked here. */
static uint64_t timed_loop(uint64_t op, uint64_t n)
{
	uint64_t t0, i;

	t0 = bench_rdtsc();
	switch (op) {
	case OP_CPUID:
		for (i = 0; i < n; i++)
			op_cpuid();
		break;
	case OP_VMCALL:
		for (i = 0; i < n; i++)
			op_vmcall();
		break;
	case OP_VMMCALL:
		for (i = 0; i < n; i++)
			op_vmmcall();
		break;
	case OP_RDMSR:
		for (i = 0; i < n; i++)
			op_rdmsr();
		break;
	}
	return bench_rdtsc() - t0;
}

/* One operation, checked: what a correct KVM returns. */
static void check_once(uint64_t op)
{
	switch (op) {
	case OP_CPUID:
		/* Leaf 0's EAX: the highest basic leaf; 1 and up exist. */
		GUEST_ASSERT_NE(op_cpuid(), 0);
		break;
	case OP_VMCALL:
		GUEST_ASSERT_EQ(op_vmcall(), -BENCH_KVM_ENOSYS);
		break;
	case OP_VMMCALL:
		GUEST_ASSERT_EQ(op_vmmcall(), -BENCH_KVM_ENOSYS);
		break;
	case OP_RDMSR:
		/* The library starts the vCPU in long mode: LME and LMA. */
		GUEST_ASSERT_EQ(op_rdmsr() & BENCH_EFER_LME_LMA,
				BENCH_EFER_LME_LMA);
		break;
	default:
		GUEST_ASSERT_MSG(0, "unknown op %lu", op);
	}
}

void guest_bench(uint64_t op, uint64_t iters, uint64_t runs, uint64_t warmup)
{
	uint64_t r;

	if (op == OP_PIO) {
		/* Each OUT is one KVM_EXIT_IO; the host times its KVM_RUNs. */
		for (;;)
			outb(BENCH_PIO_PORT, 0);
	}
	check_once(op);
	timed_loop(op, warmup);
	for (r = 0; r < runs; r++)
		ucall(UCALL_SYNC, 2, r, timed_loop(op, iters));
}
