// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmx-bench: round-trip cost of VM exits, on whatever KVM holds /dev/kvm
 * or, inside the rig's emulated host, on the distro's KVM and then on
 * kvmx in the same boot.
 *
 *   kvmx-bench [--both | --label NAME] [-n ITERS] [-r RUNS] [-w WARMUP]
 *              [-t SECS] [ROW...]
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
#include <signal.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "bench.h"

/* The set the rig loaded at boot, and the other one (modswap.c). */
#define RIG_SET		"/kvmx"
#define ALT_SET		"/kvmx/alt"

static struct bench_cfg cfg;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n values (sorts them); the lower middle one for even @n. */
static uint64_t median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(n - 1) / 2];
}

/* Runs one row in a child, which passes its result back through a pipe. */
static void run_row(const struct bench_row *row, struct bench_result *res)
{
	size_t got = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe(fds)) {
		snprintf(res->err, sizeof(res->err), "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(res->err, sizeof(res->err), "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		alarm(cfg.row_timeout);
		row->run(&cfg, res);
		if (write(fds[1], res, sizeof(*res)) != sizeof(*res))
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(*res)) {
		r = read(fds[0], (char *)res + got, sizeof(*res) - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == sizeof(*res) && WIFEXITED(status) && !WEXITSTATUS(status))
		return;
	memset(res, 0, sizeof(*res));
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(res->err, sizeof(res->err), "timed out after %us",
			 cfg.row_timeout);
	else if (WIFSIGNALED(status))
		snprintf(res->err, sizeof(res->err),
			 "died of signal %d (%s; a library assertion aborts: see above)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(res->err, sizeof(res->err), "exited with status %d",
			 WEXITSTATUS(status));
}

static bool row_selected(const char *name, char **only, int nr_only)
{
	int i;

	if (!nr_only)
		return true;
	for (i = 0; i < nr_only; i++)
		if (!strcmp(only[i], name))
			return true;
	return false;
}

/* One pass over the rows on the KVM now loaded; returns failed rows. */
static int bench_pass(const char *label, char **only, int nr_only)
{
	struct bench_result res;
	uint64_t cyc, ns, lo, hi;
	unsigned int i, j;
	char nsbuf[24];
	int failed = 0;

	printf("# %s: %lu runs of %lu round trips per row, after %lu to warm up\n",
	       label, cfg.runs, cfg.iters, cfg.warmup);
	for (i = 0; i < bench_nr_rows; i++) {
		const struct bench_row *row = &bench_rows[i];

		if (!row_selected(row->name, only, nr_only))
			continue;
		run_row(row, &res);
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
			res.cycles[j] = (res.cycles[j] + cfg.iters / 2) / cfg.iters;
			res.ns[j] = (res.ns[j] + cfg.iters / 2) / cfg.iters;
			lo = res.cycles[j] < lo ? res.cycles[j] : lo;
			hi = res.cycles[j] > hi ? res.cycles[j] : hi;
		}
		cyc = median(res.cycles, res.n);
		ns = median(res.ns, res.n);
		if (ns)
			snprintf(nsbuf, sizeof(nsbuf), "%lu", ns);
		else
			snprintf(nsbuf, sizeof(nsbuf), "-");
		printf("@@BENCH %s %s ok %lu %lu %lu %s %lu %lu\n", label,
		       row->name, cyc, lo, hi, nsbuf, cfg.runs, cfg.iters);
		fflush(stdout);
	}
	return failed;
}

/* TSC ticks per microsecond, over a pause: the unit of the table. */
static void print_host_info(void)
{
	struct timespec d = { 0, 200 * 1000 * 1000 };
	uint64_t c0, c1, t0, t1;
	struct timespec ts;
	struct utsname u;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	c0 = bench_rdtsc();
	nanosleep(&d, NULL);
	c1 = bench_rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	uname(&u);
	printf("@@BENCH-INFO host=%s vendor=%s kernel=%s tsc_mhz=%lu\n",
	       getenv("KVMX_HOST") ? getenv("KVMX_HOST") : "-",
	       host_vendor_name(), u.release,
	       t1 > t0 ? (c1 - c0) * 1000 / (t1 - t0) : 0);
}

/* Every selected row n/a, when @label's modules could not be loaded. */
static void pass_not_loaded(const char *label, const char *why, char **only,
			    int nr_only)
{
	unsigned int i;

	for (i = 0; i < bench_nr_rows; i++)
		if (row_selected(bench_rows[i].name, only, nr_only))
			printf("@@BENCH %s %s n/a modules not loaded: %s\n", label,
			       bench_rows[i].name, why);
}

/* Unload what is loaded, load the set in @dir; on failure, say why. */
static int swap_to(const char *dir, char *err, size_t len)
{
	const char *vendor = vendor_module_name();

	if (modset_unload(vendor, err, len))
		return -1;
	if (!modset_load(dir, err, len))
		return 0;
	/* Half loaded (kvm but not the vendor module): leave nothing. */
	modset_unload(vendor, err + strlen(err), len - strlen(err));
	return -1;
}

/*
 * The distro first: its column is complete even if kvmx then fails to
 * load or takes the host down.  @ref_loaded: the rig loaded the distro's
 * set (--ref), kvmx's is the alternate one.
 */
static int bench_both(bool ref_loaded, char **only, int nr_only)
{
	char err[BENCH_ERR_LEN];
	int failed;

	if (!ref_loaded && swap_to(ALT_SET, err, sizeof(err))) {
		pass_not_loaded("distro", err, only, nr_only);
		swap_to(RIG_SET, err, sizeof(err));
		return 1;
	}
	failed = bench_pass("distro", only, nr_only);
	if (swap_to(ref_loaded ? ALT_SET : RIG_SET, err, sizeof(err)))
		pass_not_loaded("kvmx", err, only, nr_only);
	else
		bench_pass("kvmx", only, nr_only);
	if (ref_loaded && swap_to(RIG_SET, err, sizeof(err))) {
		printf("@@BENCH-ERROR reloading the distro's KVM: %s\n", err);
		return 1;
	}
	return failed ? 1 : 0;
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
	bool both = false;
	int c, failed;

	/* Bochs runs a few million instructions a second: fewer rounds. */
	cfg.iters = host && !strcmp(host, "vmx") ? 2000 : 10000;
	cfg.runs = 5;
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
	if (!cfg.warmup)
		cfg.warmup = cfg.iters / 10 ? cfg.iters / 10 : 1;
	if (!label && !both)
		both = mods && !access(ALT_SET "/load.list", R_OK);
	if (!label)
		label = mods && !strcmp(mods, "ref") ? "distro" :
			mods && !strcmp(mods, "ours") ? "kvmx" : "this";

	setvbuf(stdout, NULL, _IOLBF, 0);
	print_host_info();
	if (both)
		return bench_both(mods && !strcmp(mods, "ref"), argv + optind,
				  argc - optind);
	failed = bench_pass(label, argv + optind, argc - optind);
	return failed && strcmp(label, "kvmx") ? 1 : 0;
}
