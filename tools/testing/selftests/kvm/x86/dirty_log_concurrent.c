// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty logging while the guest keeps writing: no dirty page may ever be
 * missed.
 *
 * Three vCPU threads write without pause into an 8 MiB logged slot, into
 * the first qword of the pages they pick (vCPU 0 and 2 with a stride,
 * vCPU 1 at random, so they also race on the same pages), every write a
 * value never written before (the vCPU's id and a sequence number).  One
 * page in eight is never written.  The main thread harvests the log in
 * rounds, with KVM_GET_DIRTY_LOG alone (classic mode) or with
 * KVM_GET_DIRTY_LOG then KVM_CLEAR_DIRTY_LOG of what it reported (manual
 * protection, with and without KVM_DIRTY_LOG_INITIALLY_SET), and after
 * each harvest k takes a snapshot S(k) of the slot through its own
 * mapping.
 *
 * What KVM guarantees, and this test checks: once harvest k has returned,
 * every page of the slot is either write-protected again or still marked
 * dirty, so a write that lands after harvest k-1 returned is reported by
 * harvest k (if it was logged before that harvest fetched the page's
 * word) or by harvest k+1 (if it raced with it).  Hence a page whose
 * content differs between S(k-1) and S(k) must be in harvest k or k+1: no
 * tolerance beyond that.  Pages never written must never be reported
 * (except by the first harvest with INITIALLY_SET).
 *
 * The guests also keep a log of their own: for every page, the last value
 * each wrote to it and the harvest round it had seen published before
 * that write.  After the vCPUs have stopped, a final harvest must report
 * every change, a further one nothing, and every page written after round
 * r must have been reported by some harvest after r; the slot must hold
 * the last value written to it by one of the guests.
 *
 * The writes are page aligned on purpose: Bochs 2.7 stores the whole
 * guest-physical address, page offset included, in PML entries (SDM vol.
 * 3C, "Page-Modification Logging": bits 11:0 of an entry are cleared), and
 * in-tree vmx_flush_pml_buffer() WARNs for every such entry (seen on
 * 6.12); dirty tracking itself is unaffected.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "kvmx_test.h"

#ifndef KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE	(1 << 0)
#define KVM_DIRTY_LOG_INITIALLY_SET		(1 << 1)
#endif

#define NR_VCPUS	3
#define TEST_SLOT	1
#define TEST_GPA	0x40000000UL
#define TEST_PAGES	2048UL		/* 8 MiB */
#define BM_WORDS	(TEST_PAGES / 64)
/* Pages 7, 15, 23, ... are never written. */
#define NR_WRITABLE	(TEST_PAGES / 8 * 7)
#define IS_UNWRITTEN(p)	((p) % 8 == 7)

#define ROUNDS		30
#define MIN_WRITES	48	/* per vCPU between two harvests */
#define SYNC_EVERY	512	/* guest ucall every so many writes */
#define PROGRESS_S	20	/* hang guard for the wait for MIN_WRITES */
#define CLEAR_CHUNK	512	/* manual mode clears in chunks of this */

/* Shared between the guests and the host, in (unlogged) slot 0. */
struct shared {
	volatile uint64_t stop;
	volatile uint64_t round;		/* last harvest that returned */
	volatile uint64_t writes[NR_VCPUS];
	/* Per vCPU and page: 1 + the round seen before its last write. */
	uint32_t last_round[NR_VCPUS][TEST_PAGES];
	uint64_t last_val[NR_VCPUS][TEST_PAGES];
};

/* ---- guest ------------------------------------------------------------ */

static void guest_writer(uint64_t v, struct shared *s)
{
	uint64_t seq = 0, idx = v * 613, x = 0x9e3779b97f4a7c15ULL * (v + 1);
	uint64_t stride = 97 + 2 * v;	/* coprime to NR_WRITABLE = 2^8 * 7 */

	while (!s->stop) {
		uint64_t round = s->round, w, page, val;

		if (v & 1) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			w = x % NR_WRITABLE;
		} else {
			idx = (idx + stride) % NR_WRITABLE;
			w = idx;
		}
		page = w / 7 * 8 + w % 7;
		val = (v + 1) << 48 | ++seq;
		/*
		 * The round was read before the write (x86 does not move a
		 * load after a later store; both are volatile for the
		 * compiler): a write recorded with round r happened after
		 * harvest r returned.
		 */
		*(volatile uint64_t *)(TEST_GPA + page * PAGE_SIZE) = val;
		s->last_round[v][page] = round + 1;
		s->last_val[v][page] = val;
		s->writes[v] = seq;
		if (!(seq % SYNC_EVERY))
			GUEST_SYNC(seq);
	}
}

/* ---- host ------------------------------------------------------------- */

struct harvest_mode {
	bool manual;
	bool initially_set;
};

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct ucall uc;

	for (;;) {
		uint64_t cmd = vcpu_run_ucall(vcpu, &uc);

		if (cmd == UCALL_DONE)
			return NULL;
		TEST_ASSERT(cmd == UCALL_SYNC, "vCPU %u: ucall %s", vcpu->id,
			    ucall_name(cmd));
	}
}

struct run {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[NR_VCPUS];
	pthread_t threads[NR_VCPUS];
	struct shared *s;		/* host view of the guest's struct */
	uint8_t *mem;
	const struct harvest_mode *mode;
	uint64_t bm[BM_WORDS];
	/* Snapshots: qword 0 of every page, after the previous/this harvest. */
	uint64_t *prev, *cur;
	bool pending[TEST_PAGES];	/* changed, not reported yet */
	uint32_t last_reported[TEST_PAGES];	/* round, 0 = never */
	unsigned long reported, changed, deferred;
};

static void harvest(struct run *r)
{
	struct kvm_dirty_log log = { .slot = TEST_SLOT, .dirty_bitmap = r->bm };
	uint64_t first;

	TEST_ASSERT(ioctl(r->vm->fd, KVM_GET_DIRTY_LOG, &log) == 0,
		    "KVM_GET_DIRTY_LOG: %s", strerror(errno));
	if (!r->mode->manual)
		return;
	/* As a VMM would: clear what was reported, a chunk at a time. */
	for (first = 0; first < TEST_PAGES; first += CLEAR_CHUNK) {
		struct kvm_clear_dirty_log cl = {
			.slot = TEST_SLOT, .first_page = first,
			.num_pages = CLEAR_CHUNK,
			.dirty_bitmap = r->bm + first / 64,
		};

		TEST_ASSERT(ioctl(r->vm->fd, KVM_CLEAR_DIRTY_LOG, &cl) == 0,
			    "KVM_CLEAR_DIRTY_LOG(%lu): %s", first,
			    strerror(errno));
	}
}

static void snapshot(struct run *r)
{
	uint64_t p;

	for (p = 0; p < TEST_PAGES; p++)
		r->cur[p] = *(volatile uint64_t *)(r->mem + p * PAGE_SIZE);
}

/*
 * Checks harvest @k (in r->bm) against the snapshots before and after it.
 * @last: nothing runs any more, so every change must be in this harvest.
 */
static int check_round(struct __test_metadata *_metadata, struct run *r,
		       uint32_t k, bool last)
{
	int bad = 0;
	uint64_t p;

	for (p = 0; p < TEST_PAGES; p++) {
		bool in = r->bm[p / 64] >> (p % 64) & 1;
		bool changed = r->cur[p] != r->prev[p];

		if (in) {
			r->last_reported[p] = k;
			r->reported++;
		}
		if (IS_UNWRITTEN(p)) {
			if (in && !(r->mode->initially_set && k == 1) &&
			    bad++ < 8)
				TH_LOG("round %u: page %lu reported, never written",
				       k, p);
			if (changed && bad++ < 8)
				TH_LOG("round %u: page %lu changed, never written",
				       k, p);
			continue;
		}
		if (r->pending[p] && !in && bad++ < 8)
			TH_LOG("round %u: page %lu changed before harvest %u returned, reported by neither it nor harvest %u",
			       k, p, k - 1, k);
		if (changed && !in && last && bad++ < 8)
			TH_LOG("final round %u: page %lu changed but not reported",
			       k, p);
		r->pending[p] = changed && !in;
		r->changed += changed;
		r->deferred += changed && !in;
	}
	/* The snapshot after this harvest is the base for the next. */
	{
		uint64_t *t = r->prev;

		r->prev = r->cur;
		r->cur = t;
	}
	return bad;
}

/* Waits until every vCPU wrote MIN_WRITES more times than @since. */
static void wait_for_writes(struct run *r, uint64_t *since)
{
	struct timespec t0, t;
	int v;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (v = 0; v < NR_VCPUS; v++) {
		while (r->s->writes[v] < since[v] + MIN_WRITES) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			TEST_ASSERT(t.tv_sec - t0.tv_sec < PROGRESS_S,
				    "vCPU %d stuck at %lu writes", v,
				    r->s->writes[v]);
			sched_yield();
		}
	}
	for (v = 0; v < NR_VCPUS; v++)
		since[v] = r->s->writes[v];
}

static void run_concurrent(struct __test_metadata *_metadata,
			   const struct harvest_mode *mode)
{
	static uint64_t snaps[2][TEST_PAGES];
	static struct run run;
	struct run *r = &run;
	uint64_t since[NR_VCPUS] = { 0 }, shared_gpa, p;
	unsigned long unreported = 0, wrong_val = 0, written = 0;
	int bad = 0, v;
	uint32_t k;

	memset(r, 0, sizeof(*r));
	memset(snaps, 0, sizeof(snaps));
	r->mode = mode;
	r->prev = snaps[0];
	r->cur = snaps[1];
	r->vm = vm_create_guest(NULL, NULL);
	if (mode->manual)
		vm_enable_cap(r->vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
			      (mode->initially_set ?
			       KVM_DIRTY_LOG_INITIALLY_SET : 0));
	r->mem = vm_add_memslot(r->vm, TEST_SLOT, TEST_GPA,
				TEST_PAGES * PAGE_SIZE,
				KVM_MEM_LOG_DIRTY_PAGES, NULL);
	shared_gpa = vm_alloc(r->vm, sizeof(struct shared), PAGE_SIZE);
	r->s = addr_gpa2hva(r->vm, shared_gpa);

	/* Round 0: logging just started, the snapshot is all zeroes. */
	for (v = 0; v < NR_VCPUS; v++) {
		r->vcpus[v] = vm_vcpu_add_guest(r->vm, v,
						(void (*)(void))guest_writer);
		vcpu_set_args(r->vcpus[v], 2, (uint64_t)v, shared_gpa);
	}
	for (v = 0; v < NR_VCPUS; v++)
		ASSERT_EQ(0, pthread_create(&r->threads[v], NULL, vcpu_thread,
					    r->vcpus[v]));

	for (k = 1; k <= ROUNDS && !bad; k++) {
		wait_for_writes(r, since);
		harvest(r);
		r->s->round = k;
		snapshot(r);
		bad += check_round(_metadata, r, k, false);
	}

	r->s->stop = 1;
	for (v = 0; v < NR_VCPUS; v++)
		pthread_join(r->threads[v], NULL);
	ASSERT_EQ(0, bad);

	/* Nothing runs: the final harvest must hold every change... */
	harvest(r);
	snapshot(r);
	bad += check_round(_metadata, r, k, true);
	/* ... and the next one nothing at all. */
	harvest(r);
	snapshot(r);
	for (p = 0; p < BM_WORDS; p++) {
		if (r->bm[p] && bad++ < 8)
			TH_LOG("harvest after the final one: word %lu = %016lx",
			       p, r->bm[p]);
	}
	bad += check_round(_metadata, r, k + 1, true);
	ASSERT_EQ(0, bad);

	/* The guests' own log: every last write reported after it. */
	for (p = 0; p < TEST_PAGES; p++) {
		uint64_t now = r->prev[p];
		unsigned int writers = 0, w = (now >> 48) - 1;

		for (v = 0; v < NR_VCPUS; v++) {
			uint32_t lr = r->s->last_round[v][p];

			if (!lr)
				continue;
			writers++;
			/* Written after round lr - 1, reported after it? */
			if (r->last_reported[p] < lr && unreported++ < 8)
				TH_LOG("page %lu: vCPU %d wrote it after round %u, last reported in round %u",
				       p, v, lr - 1, r->last_reported[p]);
		}
		written += writers;
		/* The slot holds the last value of whoever wrote last. */
		if (writers ? w >= NR_VCPUS || !r->s->last_round[w][p] ||
			      now != r->s->last_val[w][p] : now != 0) {
			if (wrong_val++ < 8)
				TH_LOG("page %lu holds 0x%lx (%u writers), not a last value written",
				       p, now, writers);
		}
	}
	for (v = 0; v < NR_VCPUS; v++) {
		TH_LOG("vCPU %d: %lu writes", v, r->s->writes[v]);
		EXPECT_GE(r->s->writes[v], ROUNDS * MIN_WRITES);
	}
	TH_LOG("%u harvests: %lu reports, %lu changes seen, %lu of them reported one harvest later; %lu (vCPU, page) pairs written",
	       k + 1, r->reported, r->changed, r->deferred, written);
	EXPECT_EQ(0, unreported);
	EXPECT_EQ(0, wrong_val);
	/* Not vacuous: most writable pages were written and reported. */
	EXPECT_GT(r->changed, NR_WRITABLE / 2);
	kvm_vm_free(r->vm);
}

FIXTURE(harvest) {};
FIXTURE_SETUP(harvest) {}
FIXTURE_TEARDOWN(harvest) {}

FIXTURE_VARIANT(harvest) {
	struct harvest_mode mode;
};

/* KVM_GET_DIRTY_LOG alone: it clears and re-protects. */
FIXTURE_VARIANT_ADD(harvest, classic_get) {
	.mode = { .manual = false },
};

/* KVM_GET_DIRTY_LOG, then KVM_CLEAR_DIRTY_LOG of what it reported. */
FIXTURE_VARIANT_ADD(harvest, manual_get_clear) {
	.mode = { .manual = true },
};

/* The same, with every page dirty when logging starts. */
FIXTURE_VARIANT_ADD(harvest, manual_initially_set) {
	.mode = { .manual = true, .initially_set = true },
};

/* A few seconds on the SVM host; the Bochs VMX host is far slower. */
TEST_F_TIMEOUT(harvest, no_dirty_page_missed, 180)
{
	run_concurrent(_metadata, &variant->mode);
}

TEST_HARNESS_MAIN
