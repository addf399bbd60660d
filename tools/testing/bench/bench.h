/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvmx-bench: the exit-cost benchmark (make bench).  Shared by the guest
 * code (guest.c), the per-row host drivers (rows.c), the module swapping
 * (modswap.c) and main.c.  See Documentation/benchmarks.rst.
 */
#ifndef KVMX_BENCH_H
#define KVMX_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* What the guest does in its measured loop (guest_bench()'s first arg). */
enum bench_op {
	OP_CPUID,	/* CPUID leaf 0 */
	OP_VMCALL,	/* Intel hypercall */
	OP_VMMCALL,	/* AMD hypercall */
	OP_RDMSR,	/* RDMSR of EFER */
	OP_PIO,		/* OUT to BENCH_PIO_PORT forever: timed by the host */
};

/*
 * The hypercall: a number no KVM defines (include/uapi/linux/kvm_para.h
 * stops at 12), so that both KVMs do the same minimal work: decode it,
 * return -KVM_ENOSYS in RAX, skip the instruction.
 */
#define BENCH_HC_NR		0xbe0cUL
#define BENCH_KVM_ENOSYS	1000UL

/*
 * EFER: read by RDMSR in the kernel on both KVMs and intercepted on both
 * (in-tree SVM passes it through only to SEV-ES guests; VMX never).  The
 * SYSENTER MSRs, FS/GS bases and (VMX) the TSC are passed through.
 */
#define BENCH_MSR_EFER		0xc0000080U
#define BENCH_EFER_LME_LMA	0x500UL

/* POST-code port: nothing in either kernel claims it without an irqchip. */
#define BENCH_PIO_PORT		0x80

/* Guest entry: warms up, then reports @runs timings of @iters ops each. */
void guest_bench(uint64_t op, uint64_t iters, uint64_t runs, uint64_t warmup);

struct bench_cfg {
	uint64_t iters;		/* operations per timed run */
	uint64_t runs;		/* timed runs (the median is reported) */
	uint64_t warmup;	/* untimed operations before the first run */
	unsigned int row_timeout; /* seconds per row before it is n/a */
};

#define BENCH_MAX_RUNS	64
#define BENCH_ERR_LEN	240

/* The outcome of one row: per-run TSC cycles (and ns where host-timed). */
struct bench_result {
	uint64_t cycles[BENCH_MAX_RUNS];
	uint64_t ns[BENCH_MAX_RUNS];	/* 0: not measured (guest-timed) */
	unsigned int n;
	char err[BENCH_ERR_LEN];	/* non-empty: the row failed */
};

struct bench_row {
	const char *name;	/* one word, for the BENCH lines and table.awk */
	/* Fills @res (err on failure); runs in a child process of its own. */
	void (*run)(const struct bench_cfg *cfg, struct bench_result *res);
};

extern const struct bench_row bench_rows[];
extern const unsigned int bench_nr_rows;

/* modswap.c: unload / load a module set of the rig's initramfs. */
int modset_unload(const char *vendor_module, char *err, size_t len);
int modset_load(const char *dir, char *err, size_t len);

/* The emulated host's TSC, read from userspace. */
static inline uint64_t bench_rdtsc(void)
{
	uint32_t lo, hi;

	/* LFENCE: RDTSC may run before earlier instructions (SDM vol. 2B). */
	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return lo | (uint64_t)hi << 32;
}

#endif /* KVMX_BENCH_H */
