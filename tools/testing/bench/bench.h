/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The benchmarks (make bench): kvmx-bench, the exit costs, with its guest
 * code (guest.c), per-row host drivers (rows.c; the interrupt and eventfd
 * rows in irq_rows.c and irq_guest.c, irq_bench.h) and main.c; and what it
 * shares with kvmx-mmu-bench (mmu.h): the module swapping (modswap.c) and
 * the driver (driver.c).  See Documentation/benchmarks.rst.
 */
#ifndef KVMX_BENCH_H
#define KVMX_BENCH_H

#include <stdbool.h>
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
	/*
	 * 0 or 1: the configured round trips per run; N: 1/N of them (and of
	 * the warm-up), for rows whose round trip costs tens of thousands of
	 * cycles, so that they do not dominate the boot's time.
	 */
	unsigned int iters_div;
};

extern const struct bench_row bench_rows[];
extern const unsigned int bench_nr_rows;

/* rows.c, for the rows of other files (irq_rows.c) */
struct kvm_vcpu;
/* Ends the row: @res->err gets the reason. */
void row_fail(struct bench_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Runs @vcpu, collecting the guest's per-run timings (its SYNC ucalls). */
void guest_timed_runs(const struct bench_cfg *cfg, struct kvm_vcpu *vcpu,
		      struct bench_result *res);
/* KVM_RUNs of @n rounds, each checked; false (and @res->err) if one fails. */
typedef bool (*rounds_fn)(struct bench_result *res, struct kvm_vcpu *vcpu,
			  uint64_t n);
/* Host-timed rows: warm up, then time cfg->runs batches of cfg->iters. */
void host_timed(const struct bench_cfg *cfg, struct bench_result *res,
		struct kvm_vcpu *vcpu, rounds_fn rounds);

/* modswap.c: unload / load a module set of the rig's initramfs. */
int modset_unload(const char *vendor_module, char *err, size_t len);
int modset_load(const char *dir, char *err, size_t len);

/* The set the rig loaded at boot, and the other one (run.sh --stage-alt). */
#define BENCH_RIG_SET	"/kvmx"
#define BENCH_ALT_SET	"/kvmx/alt"

/* driver.c */
struct kvm_vcpu;

/* Median of @n values (sorts them); the lower middle one for even @n. */
uint64_t bench_median(uint64_t *v, unsigned int n);
/* CLOCK_MONOTONIC in ns (under -icount: executed instructions). */
uint64_t bench_now_ns(void);
/*
 * Runs @fn(@arg, @out) in a child process killed after @timeout seconds;
 * the child's @len bytes at @out come back to the caller's @out.  0, or -1
 * with the reason (timeout, signal, exit status) in @err.
 */
int bench_in_child(void (*fn)(void *arg, void *out), void *arg, void *out,
		   size_t len, unsigned int timeout, char *err, size_t errlen);
/* One line on why @vcpu stopped, when it is not what was wanted. */
void bench_exit_str(struct kvm_vcpu *vcpu, const char *what, char *buf,
		    size_t len);
/* The @@BENCH-INFO line: host, vendor, kernel, TSC rate, then @extra. */
void bench_print_host_info(const char *extra);
/* No ROW arguments, or @name is one of them. */
bool bench_row_selected(const char *name, char **only, int nr_only);

/* A program's passes, for bench_both(). */
struct bench_suite {
	/* Measures the KVM now loaded; returns the number of failed rows. */
	int (*pass)(const char *label, void *ctx);
	/* Every row n/a: @label's modules could not be loaded. */
	void (*not_loaded)(const char *label, const char *why, void *ctx);
	void *ctx;
};

/*
 * The distro's KVM, then kvmx, in this boot; leaves the set the rig loaded
 * in place.  0 if the distro's pass was complete (kvmx's rows may fail).
 */
int bench_both(bool ref_loaded, const struct bench_suite *s);

/* The emulated host's TSC, read from userspace. */
static inline uint64_t bench_rdtsc(void)
{
	uint32_t lo, hi;

	/* LFENCE: RDTSC may run before earlier instructions (SDM vol. 2B). */
	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return lo | (uint64_t)hi << 32;
}

#endif /* KVMX_BENCH_H */
