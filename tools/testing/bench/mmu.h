/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvmx-mmu-bench: the MMU benchmarks (demand paging, dirty logging).
 * Shared by its guest code (mmu_guest.c), its rows (mmu_rows.c) and its
 * main (mmu.c); the driver and the module swapping are bench.h's.  See
 * Documentation/benchmarks.rst.
 */
#ifndef KVMX_MMU_BENCH_H
#define KVMX_MMU_BENCH_H

#include "bench.h"

#define MMU_PAGE_SIZE	4096UL
#define MMU_HUGE_SIZE	(2UL << 20)

/*
 * The measured memory: slot 1 at 1 GiB, above slot 0 (the binary, the
 * page tables and the stacks, well under 1 GiB) and inside the 4 GiB the
 * library's guests identity map, so GVA == GPA and the guest's own page
 * tables never change (they map with 2 MiB pages: no guest #PF, and the
 * guest TLB covers the slot with few entries).
 */
#define MMU_SLOT	1
#define MMU_GPA		(1UL << 30)
#define MMU_MAX_BYTES	(3UL << 30)

/* What the guest writes to the first word of each page on pass @pass. */
#define MMU_STAMP(pass, gpa)	((uint64_t)(pass) << 48 | (gpa) >> 12)

/* The flags of KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (api.rst, 4.117). */
#ifndef KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE	(1 << 0)
#endif

/*
 * Guest entry: reports step 0 (set up, nothing of slot 1 touched yet),
 * then @passes times writes the stamp of the pass into every page of
 * [@gpa, @gpa + @npages pages) and reports the pass's number.
 */
void guest_touch(uint64_t gpa, uint64_t npages, uint64_t passes);

struct mmu_cfg {
	uint64_t bytes;		/* size of the measured slot */
	unsigned int runs;	/* fresh VMs per demand row; dirty iterations */
	unsigned int row_timeout; /* seconds per row before it is n/a */
};

/*
 * A row's outcome: up to MMU_MAX_SERIES series of timings (a demand row
 * has one, the dirty-log row one per operation), each of n[s] runs.
 */
#define MMU_MAX_SERIES	5

struct mmu_result {
	uint64_t ns[MMU_MAX_SERIES][BENCH_MAX_RUNS];
	unsigned int n[MMU_MAX_SERIES];
	uint64_t pages;		/* 4 KiB pages per timed operation */
	int huge_pct;		/* of the slot in host THPs; -1: unknown */
	int tdp_2m_pct;		/* ... mapped by KVM with 2 MiB; -1: unknown */
	char err[BENCH_ERR_LEN];
};

struct mmu_row {
	char name[32];		/* one word, for the lines and table.awk */
	/* Names of the series' lines; a one-series row is named @name. */
	const char *const *series;
	unsigned int nr_series;
	unsigned int vcpus;	/* demand rows: vCPUs sharing the slot */
	bool thp;		/* demand rows: MADV_HUGEPAGE backing */
	void (*run)(const struct mmu_cfg *cfg, const struct mmu_row *row,
		    struct mmu_result *res);
};

/* mmu_rows.c */
void mmu_row_demand(const struct mmu_cfg *cfg, const struct mmu_row *row,
		    struct mmu_result *res);
void mmu_row_dirty(const struct mmu_cfg *cfg, const struct mmu_row *row,
		   struct mmu_result *res);
extern const char *const mmu_dirty_series[];
extern const unsigned int mmu_dirty_nr_series;

#endif /* KVMX_MMU_BENCH_H */
