// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmx-mmu-bench: demand paging and dirty logging of a large memslot, on
 * whatever KVM holds /dev/kvm or, inside the rig's emulated host, on the
 * distro's KVM and then on kvmx in the same boot (as kvmx-bench: see
 * main.c and driver.c).
 *
 *   kvmx-mmu-bench [--both | --label NAME] [-s MIB] [-r RUNS] [-c VCPUS]
 *                  [-t SECS] [ROW...]
 *
 * Rows: demand_4k_V and demand_thp_V for V = 1 .. VCPUS (default: the
 * host's online CPUs), the slot's pages written once by V vCPUs, backed
 * by 4 KiB pages or THPs; and "dirty", the dirty-log operations, which
 * prints one line per operation (mmu_rows.c).  -s: the slot's size
 * (default 1024 MiB), -r: runs per demand row, each with a fresh VM, and
 * harvest iterations of the dirty row (default 3).  The rig runs programs
 * without arguments: the environment variables KVMX_MMU_SIZE_MIB,
 * KVMX_MMU_RUNS and KVMX_MMU_VCPUS (which run-bench.sh sets through the
 * host's kernel command line; the kernel hands /init the parameters it
 * does not know as environment) give the defaults of -s, -r and -c.
 * Output:
 *
 *   @@BENCH-MMU LABEL ROW ok NS MIN MAX RUNS PAGES HUGE TDP2M
 *   @@BENCH-MMU LABEL ROW n/a REASON...
 *
 * NS is the median over RUNS runs of one operation on the whole slot, in
 * nanoseconds of the host's CLOCK_MONOTONIC, MIN/MAX the extreme runs,
 * PAGES the 4 KiB pages of the slot, HUGE the percentage of the slot the
 * host backed with THPs and TDP2M the percentage KVM mapped with 2 MiB
 * pages (demand rows; "-" when unknown).  table.awk renders them.  Exit
 * status as kvmx-bench's: 1 only if a row failed on a KVM other than kvmx.
 */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"
#include "mmu.h"

#define MMU_MAX_VCPUS	64

static struct mmu_cfg cfg;
static struct mmu_row rows[2 * MMU_MAX_VCPUS + 1];
static unsigned int nr_rows;

static void build_rows(unsigned int max_vcpus)
{
	unsigned int v, thp;

	for (thp = 0; thp < 2; thp++) {
		for (v = 1; v <= max_vcpus; v++) {
			struct mmu_row *r = &rows[nr_rows++];

			snprintf(r->name, sizeof(r->name), "demand_%s_%u",
				 thp ? "thp" : "4k", v);
			r->vcpus = v;
			r->thp = thp;
			r->run = mmu_row_demand;
		}
	}
	snprintf(rows[nr_rows].name, sizeof(rows[nr_rows].name), "dirty");
	rows[nr_rows].series = mmu_dirty_series;
	rows[nr_rows].nr_series = mmu_dirty_nr_series;
	rows[nr_rows].run = mmu_row_dirty;
	nr_rows++;
}

static const char *series_name(const struct mmu_row *row, unsigned int s)
{
	return row->nr_series ? row->series[s] : row->name;
}

static unsigned int nr_series(const struct mmu_row *row)
{
	return row->nr_series ? row->nr_series : 1;
}

static void row_child(void *arg, void *out)
{
	const struct mmu_row *row = arg;
	struct mmu_result *res = out;

	res->huge_pct = res->tdp_2m_pct = -1;
	row->run(&cfg, row, res);
}

static void run_row(const struct mmu_row *row, struct mmu_result *res)
{
	char err[BENCH_ERR_LEN];

	memset(res, 0, sizeof(*res));
	if (!bench_in_child(row_child, (void *)row, res, sizeof(*res),
			    cfg.row_timeout, err, sizeof(err)))
		return;
	memset(res, 0, sizeof(*res));
	snprintf(res->err, sizeof(res->err), "%s", err);
}

static void pct(char *buf, size_t len, int v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d", v);
}

struct pass_args {
	char **only;
	int nr_only;
};

static int mmu_pass(const char *label, void *ctx)
{
	struct pass_args *a = ctx;
	struct mmu_result res;
	char huge[12], tdp[12];
	unsigned int i, s, j;
	uint64_t lo, hi, med;
	int failed = 0;

	printf("# %s: %lu MiB slot (%lu pages), %u runs per demand row, %u dirty-log iterations\n",
	       label, cfg.bytes >> 20, cfg.bytes / MMU_PAGE_SIZE, cfg.runs,
	       cfg.runs);
	for (i = 0; i < nr_rows; i++) {
		const struct mmu_row *row = &rows[i];
		uint64_t t0 = bench_now_ns();

		if (!bench_row_selected(row->name, a->only, a->nr_only))
			continue;
		run_row(row, &res);
		for (s = 0; s < nr_series(row) && !res.err[0]; s++)
			if (!res.n[s])
				snprintf(res.err, sizeof(res.err),
					 "no run of %s", series_name(row, s));
		if (res.err[0]) {
			for (s = 0; s < nr_series(row); s++)
				printf("@@BENCH-MMU %s %s n/a %s\n", label,
				       series_name(row, s), res.err);
			failed++;
			continue;
		}
		pct(huge, sizeof(huge), res.huge_pct);
		pct(tdp, sizeof(tdp), res.tdp_2m_pct);
		for (s = 0; s < nr_series(row); s++) {
			for (lo = ~0ULL, hi = 0, j = 0; j < res.n[s]; j++) {
				lo = res.ns[s][j] < lo ? res.ns[s][j] : lo;
				hi = res.ns[s][j] > hi ? res.ns[s][j] : hi;
			}
			med = bench_median(res.ns[s], res.n[s]);
			printf("@@BENCH-MMU %s %s ok %lu %lu %lu %u %lu %s %s\n",
			       label, series_name(row, s), med, lo, hi,
			       res.n[s], res.pages, huge, tdp);
		}
		/* How long the row took, runs, set-up and teardown included. */
		printf("# %s: %s took %lu ms\n", label, row->name,
		       (bench_now_ns() - t0) / 1000000);
	}
	return failed;
}

static void pass_not_loaded(const char *label, const char *why, void *ctx)
{
	struct pass_args *a = ctx;
	unsigned int i, s;

	for (i = 0; i < nr_rows; i++) {
		if (!bench_row_selected(rows[i].name, a->only, a->nr_only))
			continue;
		for (s = 0; s < nr_series(&rows[i]); s++)
			printf("@@BENCH-MMU %s %s n/a modules not loaded: %s\n",
			       label, series_name(&rows[i], s), why);
	}
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

static void usage(const char *prog)
{
	unsigned int i;

	fprintf(stderr,
		"usage: %s [--both | --label NAME] [-s MIB] [-r RUNS] [-c VCPUS] [-t SECS] [ROW...]\n"
		"rows:", prog);
	for (i = 0; i < nr_rows; i++)
		fprintf(stderr, " %s", rows[i].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "both", no_argument, NULL, 'b' },
		{ "label", required_argument, NULL, 'l' },
		{ "size", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "vcpus", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *label = NULL, *mods = getenv("KVMX_MODULES");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int max_vcpus = cpus > 0 ? cpus : 1;
	struct pass_args args;
	struct bench_suite suite = {
		.pass = mmu_pass, .not_loaded = pass_not_loaded, .ctx = &args,
	};
	bool both = false;
	char extra[96];
	int c, failed;

	cfg.bytes = env_ul("KVMX_MMU_SIZE_MIB", 1024) << 20;
	cfg.runs = env_ul("KVMX_MMU_RUNS", 3);
	max_vcpus = env_ul("KVMX_MMU_VCPUS", max_vcpus);
	cfg.row_timeout = 1800;
	while ((c = getopt_long(argc, argv, "bl:s:r:c:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': both = true; break;
		case 'l': label = optarg; break;
		case 's': cfg.bytes = strtoull(optarg, NULL, 0) << 20; break;
		case 'r': cfg.runs = strtoul(optarg, NULL, 0); break;
		case 'c': max_vcpus = strtoul(optarg, NULL, 0); break;
		case 't': cfg.row_timeout = strtoul(optarg, NULL, 0); break;
		case 'h':
			build_rows(max_vcpus);
			usage(argv[0]);
			return 0;
		default:
			build_rows(1);
			usage(argv[0]);
			return 2;
		}
	}
	if (!cfg.runs || cfg.runs > BENCH_MAX_RUNS || !max_vcpus ||
	    max_vcpus > MMU_MAX_VCPUS || !cfg.bytes ||
	    cfg.bytes > MMU_MAX_BYTES || cfg.bytes % MMU_HUGE_SIZE) {
		fprintf(stderr, "need 1 <= runs <= %d, 1 <= vcpus <= %d, size a multiple of 2 MiB up to %lu MiB\n",
			BENCH_MAX_RUNS, MMU_MAX_VCPUS, MMU_MAX_BYTES >> 20);
		return 2;
	}
	build_rows(max_vcpus);
	args.only = argv + optind;
	args.nr_only = argc - optind;
	if (!label && !both)
		both = mods && !access(BENCH_ALT_SET "/load.list", R_OK);
	if (!label)
		label = mods && !strcmp(mods, "ref") ? "distro" :
			mods && !strcmp(mods, "ours") ? "kvmx" : "this";

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(extra, sizeof(extra), "cpus=%ld slot_mib=%lu", cpus,
		 cfg.bytes >> 20);
	bench_print_host_info(extra);
	if (both)
		return bench_both(mods && !strcmp(mods, "ref"), &suite);
	failed = mmu_pass(label, &args);
	return failed && strcmp(label, "kvmx") ? 1 : 0;
}
