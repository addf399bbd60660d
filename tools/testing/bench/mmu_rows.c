// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MMU benchmark's rows: what each one sets up, runs and times.
 *
 * Demand paging: a fresh VM and fresh anonymous memory for every run (not
 * prefaulted: the host's page faults are part of the cost, as they are
 * for a real VMM), shared out in equal contiguous parts between the
 * row's vCPUs, one thread each.  Every vCPU first runs to its first ucall
 * (the first KVM_RUN's set-up and the faults on the guest's code and
 * stack are not measured), then all are released together; the time runs
 * from the release to the last vCPU's report that its part is written.
 *
 * Dirty logging: one VM, its slot written once with logging off (not
 * timed), then with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 (without
 * INITIALLY_SET, so that turning logging on write-protects the slot):
 * turning logging on, the first pass of writes, and then per iteration
 * KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG of the whole slot and a pass of
 * writes.  Every bitmap is checked: all pages after a pass, none after a
 * clear.
 *
 * Times are CLOCK_MONOTONIC of the host (the emulated one: under -icount
 * its instructions).  Anything unexpected ends the row with a reason.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kvm_util.h"
#include "mmu.h"

static void mmu_fail(struct mmu_result *res, const char *fmt, ...)
{
	va_list ap;

	if (res->err[0])
		return;		/* the first reason is the one that counts */
	va_start(ap, fmt);
	vsnprintf(res->err, sizeof(res->err), fmt, ap);
	va_end(ap);
}

/* Runs @vcpu until the guest reports step @want; false (and @err) if not. */
static bool run_to_step(struct kvm_vcpu *vcpu, uint64_t want, char *err,
			size_t len)
{
	struct ucall uc;

	for (;;) {
		if (__vcpu_run(vcpu)) {
			snprintf(err, len, "vCPU %u: KVM_RUN: %s", vcpu->id,
				 strerror(errno));
			return false;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[0] == want)
				return true;
			snprintf(err, len, "vCPU %u: guest at step %lu, not %lu",
				 vcpu->id, uc.args[0], want);
			return false;
		case UCALL_PRINTF:
			continue;
		case UCALL_ASSERT:
			snprintf(err, len, "vCPU %u: guest check failed: %.200s",
				 vcpu->id, uc.msg);
			return false;
		case UCALL_UNHANDLED:
			snprintf(err, len, "vCPU %u: guest exception, vector %lu, error code 0x%lx at 0x%lx",
				 vcpu->id, uc.args[0], uc.args[1], uc.args[2]);
			return false;
		case UCALL_NONE:
			bench_exit_str(vcpu, "unexpected exit", err, len);
			return false;
		default:
			snprintf(err, len, "vCPU %u: unexpected ucall %s",
				 vcpu->id, ucall_name(uc.cmd));
			return false;
		}
	}
}

/*
 * Fresh memory for the slot, 2 MiB aligned in both variants so that only
 * the advice differs: MADV_HUGEPAGE for THP backing, MADV_NOHUGEPAGE for
 * 4 KiB pages (Debian's kernels default to THP "always", which would
 * otherwise back an aligned anonymous mapping with huge pages too).
 */
static void *mmu_alloc(uint64_t bytes, bool thp, struct mmu_result *res)
{
	uint8_t *map, *p;
	size_t head;

	map = mmap(NULL, bytes + MMU_HUGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		mmu_fail(res, "mmap of %lu MiB: %s", bytes >> 20,
			 strerror(errno));
		return NULL;
	}
	p = (uint8_t *)ALIGN_UP((uintptr_t)map, MMU_HUGE_SIZE);
	head = p - map;
	if (head)
		munmap(map, head);
	munmap(p + bytes, MMU_HUGE_SIZE - head);
	if (madvise(p, bytes, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		mmu_fail(res, "madvise(%s): %s",
			 thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE",
			 strerror(errno));
		munmap(p, bytes);
		return NULL;
	}
	return p;
}

/* How much of [@p, @p + @bytes) the host backs with THPs, in percent. */
static int host_huge_pct(void *p, uint64_t bytes)
{
	uintptr_t lo = (uintptr_t)p, hi = lo + bytes, s, e;
	unsigned long kb, total = 0;
	bool in = false;
	char line[256];
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = s < hi && e > lo;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			total += kb;
	}
	fclose(f);
	return (int)((total << 10) * 100 / bytes);
}

/*
 * KVM's own count of its 2 MiB mappings (the distro's debugfs, summed over
 * all VMs: there is only this one); -1 where KVM does not publish it.
 */
static long tdp_2m_count(void)
{
	FILE *f = fopen("/sys/kernel/debug/kvm/pages_2m", "r");
	long n;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* The 2 MiB mappings made since @before, as a share of the slot. */
static int tdp_2m_pct(long before, uint64_t bytes)
{
	long after = tdp_2m_count();
	uint64_t pct;

	if (before < 0 || after < before)
		return -1;
	pct = (after - before) * MMU_HUGE_SIZE * 100 / bytes;
	return pct > 100 ? 100 : (int)pct;
}

/* The guest wrote pass @pass's stamp into every page of the slot. */
static bool check_stamps(uint8_t *mem, uint64_t npages, uint64_t pass,
			 struct mmu_result *res)
{
	uint64_t i, gpa;

	for (i = 0; i < npages; i++) {
		gpa = MMU_GPA + i * MMU_PAGE_SIZE;
		if (*(uint64_t *)(mem + i * MMU_PAGE_SIZE) !=
		    MMU_STAMP(pass, gpa)) {
			mmu_fail(res, "page at GPA 0x%lx: 0x%lx after pass %lu, not 0x%lx",
				 gpa, *(uint64_t *)(mem + i * MMU_PAGE_SIZE),
				 pass, MMU_STAMP(pass, gpa));
			return false;
		}
	}
	return true;
}

/* ---- demand paging ---------------------------------------------------- */

struct toucher {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	pthread_barrier_t *ready, *go;
	const bool *abort;
	uint64_t end_ns;
	char err[BENCH_ERR_LEN];
};

static void *toucher_main(void *arg)
{
	struct toucher *t = arg;
	bool ok = run_to_step(t->vcpu, 0, t->err, sizeof(t->err));

	/* Even after a failure: the others and the timer wait for us. */
	pthread_barrier_wait(t->ready);
	pthread_barrier_wait(t->go);
	if (ok && !*t->abort && run_to_step(t->vcpu, 1, t->err, sizeof(t->err)))
		t->end_ns = bench_now_ns();
	return NULL;
}

/* One run of a demand row: returns the time, or 0 with res->err set. */
static uint64_t demand_once(const struct mmu_cfg *cfg,
			    const struct mmu_row *row, struct mmu_result *res)
{
	uint64_t npages = cfg->bytes / MMU_PAGE_SIZE, first = 0, n, t0, end = 0;
	unsigned int nv = row->vcpus, k, started = 0;
	pthread_barrier_t ready, go;
	struct toucher *t;
	bool abort = false;
	struct kvm_vm *vm;
	long huge_before;
	uint8_t *mem;

	t = calloc(nv, sizeof(*t));
	mem = t ? mmu_alloc(cfg->bytes, row->thp, res) : NULL;
	if (!mem) {
		mmu_fail(res, "out of memory");
		free(t);
		return 0;
	}
	vm = vm_create_guest(NULL, (void (*)(void))guest_touch);
	vm_add_memslot(vm, MMU_SLOT, MMU_GPA, cfg->bytes, 0, mem);
	pthread_barrier_init(&ready, NULL, nv + 1);
	pthread_barrier_init(&go, NULL, nv + 1);
	for (k = 0; k < nv; k++, first += n) {
		/* Equal parts; the last vCPU takes the remainder. */
		n = k + 1 < nv ? npages / nv : npages - first;
		t[k].vcpu = vm_vcpu_add_guest(vm, k,
					      (void (*)(void))guest_touch);
		vcpu_set_args(t[k].vcpu, 3, MMU_GPA + first * MMU_PAGE_SIZE, n,
			      1UL);
		t[k].ready = &ready;
		t[k].go = &go;
		t[k].abort = &abort;
	}
	for (k = 0; k < nv; k++) {
		if (pthread_create(&t[k].thread, NULL, toucher_main, &t[k]))
			break;
		started++;
	}
	if (started < nv) {
		/* The barriers count on every thread: nothing to wait for. */
		TEST_FAIL("pthread_create of vCPU thread %u", started);
	}
	pthread_barrier_wait(&ready);
	for (k = 0; k < nv; k++)
		abort |= t[k].err[0] != '\0';
	/* Slot 0 (code, stacks) is mapped by now: count slot 1's alone. */
	huge_before = tdp_2m_count();
	t0 = bench_now_ns();
	pthread_barrier_wait(&go);
	for (k = 0; k < nv; k++) {
		pthread_join(t[k].thread, NULL);
		if (t[k].err[0])
			mmu_fail(res, "%s", t[k].err);
		end = t[k].end_ns > end ? t[k].end_ns : end;
	}
	if (!res->err[0] && check_stamps(mem, npages, 1, res)) {
		res->huge_pct = host_huge_pct(mem, cfg->bytes);
		res->tdp_2m_pct = tdp_2m_pct(huge_before, cfg->bytes);
	}
	kvm_vm_free(vm);
	munmap(mem, cfg->bytes);
	pthread_barrier_destroy(&ready);
	pthread_barrier_destroy(&go);
	free(t);
	return res->err[0] ? 0 : end - t0;
}

void mmu_row_demand(const struct mmu_cfg *cfg, const struct mmu_row *row,
		    struct mmu_result *res)
{
	unsigned int r;
	uint64_t ns;

	res->pages = cfg->bytes / MMU_PAGE_SIZE;
	for (r = 0; r < cfg->runs; r++) {
		ns = demand_once(cfg, row, res);
		if (!ns)
			return;
		res->ns[0][res->n[0]++] = ns;
	}
}

/* ---- dirty logging ---------------------------------------------------- */

enum { DL_ENABLE, DL_WRITE1, DL_WRITE, DL_GET, DL_CLEAR };

const char *const mmu_dirty_series[] = {
	[DL_ENABLE] = "dirty_enable",
	[DL_WRITE1] = "dirty_write1",
	[DL_WRITE] = "dirty_write",
	[DL_GET] = "dirty_get",
	[DL_CLEAR] = "dirty_clear",
};
const unsigned int mmu_dirty_nr_series = ARRAY_SIZE(mmu_dirty_series);

static uint64_t bits_set(const uint64_t *bm, uint64_t npages)
{
	uint64_t i, n = 0;

	for (i = 0; i < npages / 64; i++)
		n += __builtin_popcountll(bm[i]);
	if (npages % 64)
		n += __builtin_popcountll(bm[i] & ((1ULL << (npages % 64)) - 1));
	return n;
}

/* KVM_GET_DIRTY_LOG, timed; the bitmap must have @want pages set. */
static bool get_log(struct kvm_vm *vm, uint64_t *bm, uint64_t npages,
		    uint64_t want, const char *when, uint64_t *ns,
		    struct mmu_result *res)
{
	struct kvm_dirty_log log = { .slot = MMU_SLOT, .dirty_bitmap = bm };
	uint64_t t0, got;

	memset(bm, 0, ALIGN_UP(npages, 64) / 8);
	t0 = bench_now_ns();
	if (__vm_ioctl(vm, KVM_GET_DIRTY_LOG, &log)) {
		mmu_fail(res, "KVM_GET_DIRTY_LOG: %s", strerror(errno));
		return false;
	}
	if (ns)
		*ns = bench_now_ns() - t0;
	got = bits_set(bm, npages);
	if (got != want) {
		mmu_fail(res, "KVM_GET_DIRTY_LOG %s: %lu of %lu pages dirty, %lu expected",
			 when, got, npages, want);
		return false;
	}
	return true;
}

void mmu_row_dirty(const struct mmu_cfg *cfg, const struct mmu_row *row,
		   struct mmu_result *res)
{
	uint64_t npages = cfg->bytes / MMU_PAGE_SIZE, t0, ns, pass = 1, it;
	struct kvm_clear_dirty_log clear = {
		.slot = MMU_SLOT, .first_page = 0, .num_pages = npages,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t *bm;
	uint8_t *mem;

	res->pages = npages;
	if (kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) <= 0) {
		mmu_fail(res, "no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
		return;
	}
	bm = calloc(1, ALIGN_UP(npages, 64) / 8);
	mem = bm ? mmu_alloc(cfg->bytes, false, res) : NULL;
	if (!mem) {
		mmu_fail(res, "out of memory");
		free(bm);
		return;
	}
	vm = vm_create_guest(&vcpu, (void (*)(void))guest_touch);
	if (__vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)) {
		mmu_fail(res, "KVM_ENABLE_CAP MANUAL_DIRTY_LOG_PROTECT2: %s",
			 strerror(errno));
		goto out;
	}
	vm_add_memslot(vm, MMU_SLOT, MMU_GPA, cfg->bytes, 0, mem);
	clear.dirty_bitmap = bm;
	/* Passes: the untimed one, the first after enabling, one per iteration. */
	vcpu_set_args(vcpu, 3, MMU_GPA, npages, 2UL + cfg->runs);
	if (!run_to_step(vcpu, 0, res->err, sizeof(res->err)) ||
	    !run_to_step(vcpu, pass, res->err, sizeof(res->err)) ||
	    !check_stamps(mem, npages, pass, res))
		goto out;

	t0 = bench_now_ns();
	if (__vm_set_user_memory_region(vm, MMU_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
					MMU_GPA, cfg->bytes, mem)) {
		mmu_fail(res, "KVM_SET_USER_MEMORY_REGION with KVM_MEM_LOG_DIRTY_PAGES: %s",
			 strerror(errno));
		goto out;
	}
	res->ns[DL_ENABLE][res->n[DL_ENABLE]++] = bench_now_ns() - t0;

	t0 = bench_now_ns();
	if (!run_to_step(vcpu, ++pass, res->err, sizeof(res->err)))
		goto out;
	res->ns[DL_WRITE1][res->n[DL_WRITE1]++] = bench_now_ns() - t0;

	for (it = 0; it < cfg->runs; it++) {
		if (!get_log(vm, bm, npages, npages, "after a pass", &ns, res))
			goto out;
		res->ns[DL_GET][res->n[DL_GET]++] = ns;
		/* The bitmap just harvested: every page, as a VMM would. */
		t0 = bench_now_ns();
		if (__vm_ioctl(vm, KVM_CLEAR_DIRTY_LOG, &clear)) {
			mmu_fail(res, "KVM_CLEAR_DIRTY_LOG: %s", strerror(errno));
			goto out;
		}
		res->ns[DL_CLEAR][res->n[DL_CLEAR]++] = bench_now_ns() - t0;
		if (!get_log(vm, bm, npages, 0, "after a clear", NULL, res))
			goto out;
		t0 = bench_now_ns();
		if (!run_to_step(vcpu, ++pass, res->err, sizeof(res->err)))
			goto out;
		res->ns[DL_WRITE][res->n[DL_WRITE]++] = bench_now_ns() - t0;
	}
	if (get_log(vm, bm, npages, npages, "after the last pass", NULL, res))
		check_stamps(mem, npages, pass, res);
out:
	kvm_vm_free(vm);
	munmap(mem, cfg->bytes);
	free(bm);
}
