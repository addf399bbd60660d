// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the two benchmark programs (kvmx-bench, the exit costs, and
 * kvmx-mmu-bench, the MMU) share: running one row in a child process with
 * a time limit, medians, the host's clock, describing an exit nobody
 * expected, and the order of one boot's passes (the distro's KVM, then
 * kvmx, then the set the rig loaded back in place).  Swapping the module
 * sets themselves is modswap.c's.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "bench.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t bench_median(uint64_t *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[(n - 1) / 2];
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * A row that crashes (a library assertion aborts), hangs in the kernel or
 * corrupts the process must not take the other rows with it: it runs in
 * a child, which sends its result back through a pipe.
 */
int bench_in_child(void (*fn)(void *arg, void *out), void *arg, void *out,
		   size_t len, unsigned int timeout, char *err, size_t errlen)
{
	size_t got = 0;
	ssize_t r;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		alarm(timeout);
		fn(arg, out);
		if (write(fds[1], out, len) != (ssize_t)len)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	while (got < len) {
		r = read(fds[0], (char *)out + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got == len && WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(err, errlen, "timed out after %us", timeout);
	else if (WIFSIGNALED(status))
		snprintf(err, errlen,
			 "died of signal %d (%s; a library assertion aborts: see above)",
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(err, errlen, "exited with status %d",
			 WEXITSTATUS(status));
	return -1;
}

void bench_exit_str(struct kvm_vcpu *vcpu, const char *what, char *buf,
		    size_t len)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror ==
		    KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON &&
		    run->internal.ndata > 0) {
			/* data[0]: the hardware's exit reason / exit code */
			snprintf(buf, len, "%s: KVM_EXIT_INTERNAL_ERROR, unexpected hardware exit 0x%llx",
				 what, run->internal.data[0]);
			break;
		}
		snprintf(buf, len, "%s: KVM_EXIT_INTERNAL_ERROR, suberror %u, data 0x%llx 0x%llx",
			 what, run->internal.suberror,
			 run->internal.ndata > 0 ? run->internal.data[0] : 0ULL,
			 run->internal.ndata > 1 ? run->internal.data[1] : 0ULL);
		break;
	case KVM_EXIT_IO:
		snprintf(buf, len, "%s: KVM_EXIT_IO %s port 0x%x size %u", what,
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.port, run->io.size);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf, len, "%s: KVM_EXIT_FAIL_ENTRY, reason 0x%llx", what,
			 run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_MMIO:
		snprintf(buf, len, "%s: KVM_EXIT_MMIO %s at 0x%llx", what,
			 run->mmio.is_write ? "write" : "read",
			 run->mmio.phys_addr);
		break;
	default:
		snprintf(buf, len, "%s: exit %s (%u)", what,
			 exit_reason_str(run->exit_reason), run->exit_reason);
	}
}

/* TSC ticks per microsecond, over a pause: the unit of the exit table. */
void bench_print_host_info(const char *extra)
{
	struct timespec d = { 0, 200 * 1000 * 1000 };
	uint64_t c0, c1, t0, t1;
	struct utsname u;

	t0 = bench_now_ns();
	c0 = bench_rdtsc();
	nanosleep(&d, NULL);
	c1 = bench_rdtsc();
	t1 = bench_now_ns();
	uname(&u);
	printf("@@BENCH-INFO host=%s vendor=%s kernel=%s tsc_mhz=%lu%s%s\n",
	       getenv("KVMX_HOST") ? getenv("KVMX_HOST") : "-",
	       host_vendor_name(), u.release,
	       t1 > t0 ? (c1 - c0) * 1000 / (t1 - t0) : 0,
	       extra && *extra ? " " : "", extra ? extra : "");
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
int bench_both(bool ref_loaded, const struct bench_suite *s)
{
	char err[BENCH_ERR_LEN];
	int failed;

	if (!ref_loaded && swap_to(BENCH_ALT_SET, err, sizeof(err))) {
		s->not_loaded("distro", err, s->ctx);
		swap_to(BENCH_RIG_SET, err, sizeof(err));
		return 1;
	}
	failed = s->pass("distro", s->ctx);
	if (swap_to(ref_loaded ? BENCH_ALT_SET : BENCH_RIG_SET, err, sizeof(err)))
		s->not_loaded("kvmx", err, s->ctx);
	else
		s->pass("kvmx", s->ctx);
	if (ref_loaded && swap_to(BENCH_RIG_SET, err, sizeof(err))) {
		printf("@@BENCH-ERROR reloading the distro's KVM: %s\n", err);
		return 1;
	}
	return failed ? 1 : 0;
}

bool bench_row_selected(const char *name, char **only, int nr_only)
{
	int i;

	if (!nr_only)
		return true;
	for (i = 0; i < nr_only; i++)
		if (!strcmp(only[i], name))
			return true;
	return false;
}
