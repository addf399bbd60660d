// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmx-bench: round-trip cost of VM exits, on whatever KVM holds /dev/kvm
 * or, inside the rig's emulated host, on the distro's KVM and then on
 * kvmx in the same boot.
 *
 *   kvmx-bench [--both | --label NAME] [-n ITERS] [-r RUNS] [-w WARMUP]
 *              [-t SECS] [ROW...]
 *
 * The rig runs programs without arguments: KVMX_BENCH_ITERS, KVMX_BENCH_RUNS
 * and KVMX_BENCH_ROWS (comma-separated row names), which run-bench.sh sets
 * through the host's kernel command line, give the defaults of -n, -r and
 * the rows.
 *
 * With no --both/--label: --both when the rig staged the other module set
 * (run.sh --stage-alt: /kvmx/alt/load.list), else one pass labelled after
 * KVMX_MODULES ("kvmx" for ours, "distro" for ref).  --both measures the
 * distro's KVM first, then swaps to kvmx, and leaves the set the rig loaded
 * in place at the end (the rig unloads it and checks that).
 *
 * Each row runs in a child process with a time limit, so that one that
 * fails (or crashes the library's assertions) prints "n/a" with a reason
 * and the others go on.  Output: one line per row,
 *
 *   @@BENCH LABEL ROW ok CYCLES MIN MAX NS RUNS ITERS
 *   @@BENCH LABEL ROW n/a REASON...
 *
 * CYCLES is the median over RUNS runs of TSC cycles per round trip (one
 * operation of ITERS), MIN/MAX the extreme runs, NS the median in
 * nanoseconds of CLOCK_MONOTONIC for host-timed rows ("-" otherwise);
 * tools/testing/bench/table.awk turns the lines of both labels into the
 * table.  Exit status: 0 if every row of every pass worked or only kvmx's
 * rows failed, 1 otherwise (a distro row failing means a broken benchmark).
 */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"
#include "bench.h"

static struct bench_cfg cfg;

struct row_job {
	const struct bench_row *row;
	struct bench_cfg cfg;	/* cfg, with the row's share of iters */
};

static void row_child(void *arg, void *out)
{
	struct row_job *job = arg;

	job->row->run(&job->cfg, out);
}

/* @row's configuration: a slow row runs 1/iters_div of the round trips. */
static void row_cfg(const struct bench_row *row, struct bench_cfg *rc)
{
	unsigned int div = row->iters_div ? row->iters_div : 1;

	*rc = cfg;
	rc->iters = cfg.iters / div ? cfg.iters / div : 1;
	rc->warmup = cfg.warmup / div ? cfg.warmup / div : 1;
}

/* Runs one row in a child (driver.c), which passes its result back. */
static void run_row(struct row_job *job, struct bench_result *res)
{
	char err[BENCH_ERR_LEN];

	memset(res, 0, sizeof(*res));
	if (!bench_in_child(row_child, job, res, sizeof(*res),
			    cfg.row_timeout, err, sizeof(err)))
		return;
	memset(res, 0, sizeof(*res));
	snprintf(res->err, sizeof(res->err), "%s", err);
}

struct pass_args {
	char **only;
	int nr_only;
};

/* One pass over the rows on the KVM now loaded; returns failed rows. */
static int bench_pass(const char *label, void *ctx)
{
	struct pass_args *a = ctx;
	struct bench_result res;
	uint64_t cyc, ns, lo, hi, iters;
	struct row_job job;
	unsigned int i, j;
	char nsbuf[24];
	int failed = 0;

	printf("# %s: %lu runs of %lu round trips per row (the slowest rows: fewer, see their ITERS), after %lu to warm up\n",
	       label, cfg.runs, cfg.iters, cfg.warmup);
	for (i = 0; i < bench_nr_rows; i++) {
		const struct bench_row *row = &bench_rows[i];

		if (!bench_row_selected(row->name, a->only, a->nr_only))
			continue;
		job.row = row;
		row_cfg(row, &job.cfg);
		iters = job.cfg.iters;
		run_row(&job, &res);
		if (!res.err[0] && res.n != cfg.runs)
			snprintf(res.err, sizeof(res.err), "%u runs of %lu",
				 res.n, cfg.runs);
		if (res.err[0]) {
			printf("@@BENCH %s %s n/a %s\n", label, row->name, res.err);
			failed++;
			continue;
		}
		/* Cycles per round trip, rounded to the nearest. */
		for (lo = ~0ULL, hi = 0, j = 0; j < res.n; j++) {
			res.cycles[j] = (res.cycles[j] + iters / 2) / iters;
			res.ns[j] = (res.ns[j] + iters / 2) / iters;
			lo = res.cycles[j] < lo ? res.cycles[j] : lo;
			hi = res.cycles[j] > hi ? res.cycles[j] : hi;
		}
		cyc = bench_median(res.cycles, res.n);
		ns = bench_median(res.ns, res.n);
		if (ns)
			snprintf(nsbuf, sizeof(nsbuf), "%lu", ns);
		else
			snprintf(nsbuf, sizeof(nsbuf), "-");
		printf("@@BENCH %s %s ok %lu %lu %lu %s %lu %lu\n", label,
		       row->name, cyc, lo, hi, nsbuf, cfg.runs, iters);
		fflush(stdout);
	}
	return failed;
}

/* Every selected row n/a, when @label's modules could not be loaded. */
static void pass_not_loaded(const char *label, const char *why, void *ctx)
{
	struct pass_args *a = ctx;
	unsigned int i;

	for (i = 0; i < bench_nr_rows; i++)
		if (bench_row_selected(bench_rows[i].name, a->only, a->nr_only))
			printf("@@BENCH %s %s n/a modules not loaded: %s\n", label,
			       bench_rows[i].name, why);
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 0) : def;
}

/*
 * KVMX_BENCH_ROWS=a,b,c as a row list: commas, because a kernel command
 * line parameter's value has no spaces.
 */
static int env_rows(char ***rows)
{
	const char *v = getenv("KVMX_BENCH_ROWS");
	char *copy, *tok, *save;
	int n = 0;

	if (!v || !*v)
		return 0;
	copy = strdup(v);
	*rows = calloc(strlen(v) / 2 + 2, sizeof(**rows));
	if (!copy || !*rows)
		return 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		(*rows)[n++] = tok;
	return n;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--both | --label NAME] [-n ITERS] [-r RUNS] [-w WARMUP] [-t SECS] [ROW...]\n"
		"rows:", prog);
	for (unsigned int i = 0; i < bench_nr_rows; i++)
		fprintf(stderr, " %s", bench_rows[i].name);
	fprintf(stderr, "\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "both", no_argument, NULL, 'b' },
		{ "label", required_argument, NULL, 'l' },
		{ "iters", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *label = NULL, *mods = getenv("KVMX_MODULES");
	const char *host = getenv("KVMX_HOST");
	struct pass_args args;
	struct bench_suite suite = {
		.pass = bench_pass, .not_loaded = pass_not_loaded, .ctx = &args,
	};
	bool both = false;
	int c, failed;

	/* Bochs runs a few million instructions a second: fewer rounds. */
	cfg.iters = env_ul("KVMX_BENCH_ITERS",
			   host && !strcmp(host, "vmx") ? 2000 : 10000);
	cfg.runs = env_ul("KVMX_BENCH_RUNS", 5);
	cfg.row_timeout = 300;
	while ((c = getopt_long(argc, argv, "bl:n:r:w:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b': both = true; break;
		case 'l': label = optarg; break;
		case 'n': cfg.iters = strtoull(optarg, NULL, 0); break;
		case 'r': cfg.runs = strtoull(optarg, NULL, 0); break;
		case 'w': cfg.warmup = strtoull(optarg, NULL, 0); break;
		case 't': cfg.row_timeout = strtoul(optarg, NULL, 0); break;
		case 'h': usage(argv[0]); return 0;
		default: usage(argv[0]); return 2;
		}
	}
	if (!cfg.iters || !cfg.runs || cfg.runs > BENCH_MAX_RUNS) {
		fprintf(stderr, "need 1 <= runs <= %d and iters >= 1\n",
			BENCH_MAX_RUNS);
		return 2;
	}
	args.only = argv + optind;
	args.nr_only = argc - optind;
	if (!args.nr_only)
		args.nr_only = env_rows(&args.only);
	if (!cfg.warmup)
		cfg.warmup = cfg.iters / 10 ? cfg.iters / 10 : 1;
	if (!label && !both)
		both = mods && !access(BENCH_ALT_SET "/load.list", R_OK);
	if (!label)
		label = mods && !strcmp(mods, "ref") ? "distro" :
			mods && !strcmp(mods, "ours") ? "kvmx" : "this";

	setvbuf(stdout, NULL, _IOLBF, 0);
	bench_print_host_info(NULL);
	if (both)
		return bench_both(mods && !strcmp(mods, "ref"), &suite);
	failed = bench_pass(label, &args);
	return failed && strcmp(label, "kvmx") ? 1 : 0;
}
