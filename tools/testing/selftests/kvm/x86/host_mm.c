// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's memory follows the host's memory management.
 *
 * KVM maps guest memory from the host pages behind a memslot's host
 * address, but the host mm stays the owner of those pages: when it unmaps,
 * replaces, write-protects, shares (fork, KSM), migrates or frees one, KVM
 * must zap or write-protect its own mapping first (MMU notifiers), and the
 * guest's next access faults the current page back in.  Each case here
 * has the guest write and check GPA-dependent patterns in a data slot at
 * 1 GiB (above the first slot) while the host acts between guest rounds:
 *
 *  - MADV_DONTNEED of part of the slot: the guest reads zeros there (and a
 *    page the host rewrote), the old data elsewhere, and its writes land
 *    in the new host pages;
 *  - munmap + mmap MAP_FIXED: the guest sees the new mapping's content;
 *    munmap alone: KVM_RUN fails with EFAULT (with KVM_EXIT_MEMORY_FAULT
 *    and the GPA where KVM_CAP_MEMORY_FAULT_INFO is reported), and the
 *    access completes once something is mapped there again;
 *  - mprotect(PROT_READ): reads go on, a guest write fails KVM_RUN with
 *    EFAULT without reaching memory, and completes after PROT_WRITE is
 *    restored;
 *  - fork: copy-on-write is broken for the parent's guest, whether the
 *    host or the guest writes first; the child keeps the pre-fork data;
 *  - KSM: merged pages read the same, a guest write unshares one page only;
 *  - NUMA page migration (move_pages) and memory compaction: the guest
 *    keeps reading and writing the right data wherever the pages went;
 *  - reference balance: a VM whose guest touched every page of a 64 MiB
 *    slot gives all of it back (MemFree plus the per-CPU free lists) once
 *    it is destroyed and the memory is unmapped, repeatedly: KVM holds no
 *    page references.
 *
 * The cases of fixture "mm" run with 4 KiB host pages and with
 * transparent huge pages (MADV_HUGEPAGE), since KVM maps those with large
 * mappings that partial unmaps and protections must split.  While the
 * host acts, a second vCPU thread keeps writing and checking its own part
 * of the same slot (so invalidations race with faults in that slot).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvmx_test.h"

#define MB		(1UL << 20)
#define DATA_GPA	0x40000000UL	/* 1 GiB: above slot 0, inside the map */
#define DATA_SLOT	1
#define NPAGES		1024		/* the test region: 4 MiB */
#define BG_PAGES	256		/* the background vCPU's part: 1 MiB */
#define PG		PAGE_SIZE
#define QW_PER_PAGE	(PAGE_SIZE / 8)

#define PAGE_GPA(i)	(DATA_GPA + (uint64_t)(i) * PG)

/* ---- guest ------------------------------------------------------------ */

/*
 * The value the pattern of @seed puts in the quadword at @gpa: it depends
 * on the address, so a page showing up at the wrong place (or an old copy
 * of the right one) is noticed.  Seed 0 is the zero page.
 */
static inline uint64_t pat(uint64_t seed, uint64_t gpa)
{
	if (!seed)
		return 0;
	return (seed * 0x100000001b3ULL) ^ (gpa * 0x9e3779b97f4a7c15ULL) ^
	       0x8000000000000001ULL;
}

enum {
	OP_WRITE,	/* first and last quadword of each page = pat() */
	OP_CHECK,	/* ... compared with pat(): how many pages differ */
	OP_FILL,	/* every quadword of each page = seed */
	OP_CHECKFILL,	/* ... compared with seed */
	OP_READ1,	/* the quadword at gpa */
	OP_WRITE1,	/* the quadword at gpa = seed */
	OP_EXIT,
};

/* vCPU 0's mailbox, in the guest's copy of this binary (slot 0). */
struct guest_cmd {
	uint64_t op, gpa, npages, seed, seq;
};

static struct guest_cmd gcmd;

static void guest_main(void)
{
	volatile struct guest_cmd *c = &gcmd;

	for (;;) {
		uint64_t nbad = 0, first = -1UL, seen = 0, i, j;
		uint64_t n = c->npages, gpa = c->gpa, seed = c->seed;
		volatile uint64_t *p;

		switch (c->op) {
		case OP_WRITE:
			for (i = 0; i < n; i++) {
				p = (volatile uint64_t *)(gpa + i * PG);
				p[0] = pat(seed, (uint64_t)&p[0]);
				p[QW_PER_PAGE - 1] =
					pat(seed, (uint64_t)&p[QW_PER_PAGE - 1]);
			}
			break;
		case OP_CHECK:
			for (i = 0; i < n; i++) {
				uint64_t a, b;

				p = (volatile uint64_t *)(gpa + i * PG);
				a = p[0];
				b = p[QW_PER_PAGE - 1];
				if (a == pat(seed, (uint64_t)&p[0]) &&
				    b == pat(seed, (uint64_t)&p[QW_PER_PAGE - 1]))
					continue;
				if (!nbad++) {
					first = i;
					seen = a;
				}
			}
			break;
		case OP_FILL:
			for (i = 0; i < n; i++) {
				p = (volatile uint64_t *)(gpa + i * PG);
				for (j = 0; j < QW_PER_PAGE; j++)
					p[j] = seed;
			}
			break;
		case OP_CHECKFILL:
			for (i = 0; i < n; i++) {
				p = (volatile uint64_t *)(gpa + i * PG);
				for (j = 0; j < QW_PER_PAGE; j++) {
					if (p[j] == seed)
						continue;
					if (!nbad++) {
						first = i * PG + j * 8;
						seen = p[j];
					}
				}
			}
			break;
		case OP_READ1:
			seen = *(volatile uint64_t *)gpa;
			break;
		case OP_WRITE1:
			*(volatile uint64_t *)gpa = seed;
			break;
		case OP_EXIT:
			return;
		}
		ucall(UCALL_SYNC, 4, c->seq, nbad, first, seen);
	}
}

/*
 * The background vCPU: round after round, writes pat(round) into its
 * pages, checks them and reports the round, until the host stops running
 * it.  After SYNC(r) its pages hold pat(r).
 */
static void guest_bg(uint64_t gpa, uint64_t n)
{
	uint64_t r, i;

	for (r = 1;; r++) {
		for (i = 0; i < n; i++) {
			volatile uint64_t *p = (volatile uint64_t *)(gpa + i * PG);

			p[0] = pat(r, (uint64_t)&p[0]);
			p[QW_PER_PAGE - 1] = pat(r, (uint64_t)&p[QW_PER_PAGE - 1]);
		}
		for (i = 0; i < n; i++) {
			volatile uint64_t *p = (volatile uint64_t *)(gpa + i * PG);

			GUEST_ASSERT_EQ(p[0], pat(r, (uint64_t)&p[0]));
			GUEST_ASSERT_EQ(p[QW_PER_PAGE - 1],
					pat(r, (uint64_t)&p[QW_PER_PAGE - 1]));
		}
		GUEST_SYNC(r);
	}
}

/* ---- host ------------------------------------------------------------- */

struct bg {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	bool running;
	int stop;
	uint64_t rounds;
	uint64_t gpa, npages;
};

struct mmctx {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem;		/* the data slot's host memory */
	size_t size;		/* its size: NPAGES + BG_PAGES pages */
	size_t map_size;	/* the mapping ctx_destroy() unmaps */
	uint8_t *map;
	uint64_t seq;
	struct bg bg;
};

struct gres {
	uint64_t nbad, first, seen;
};

/*
 * Anonymous memory aligned to 2 MiB, so that transparent huge pages can
 * back it (and partial operations on it split them).
 */
static uint8_t *map_aligned(struct mmctx *c, size_t size)
{
	size_t len = size + 2 * MB;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	TEST_ASSERT(p != MAP_FAILED, "mmap of %zu bytes", len);
	a = (uint8_t *)ALIGN_UP((uintptr_t)p, 2 * MB);
	if (a > p)
		munmap(p, a - p);
	if (a + size < p + len)
		munmap(a + size, p + len - (a + size));
	c->map = a;
	c->map_size = size;
	return a;
}

static bool thp_available(void)
{
	char buf[128] = "";
	int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	return !strstr(buf, "[never]");
}

/*
 * A long-mode VM running guest_main on vCPU 0, with a data slot of
 * NPAGES + BG_PAGES pages at DATA_GPA.  @advice: MADV_HUGEPAGE,
 * MADV_NOHUGEPAGE or 0 (the host's default policy).
 */
static void ctx_setup(struct mmctx *c, size_t npages, int advice)
{
	c->vm = vm_create_guest(&c->vcpu, guest_main);
	c->size = npages * PG;
	c->mem = map_aligned(c, c->size);
	if (advice)
		madvise(c->mem, c->size, advice);	/* advisory only */
	vm_add_memslot(c->vm, DATA_SLOT, DATA_GPA, c->size, 0, c->mem);
}

static uint64_t *host_qw(struct mmctx *c, uint64_t gpa)
{
	TEST_ASSERT(gpa >= DATA_GPA && gpa - DATA_GPA < c->size,
		    "0x%lx outside the data slot", gpa);
	return (uint64_t *)(c->mem + (gpa - DATA_GPA));
}

/* The host writes what OP_WRITE would into pages [first, first + n). */
static void host_write(struct mmctx *c, uint64_t first, uint64_t n,
		       uint64_t seed)
{
	uint64_t i;

	for (i = first; i < first + n; i++) {
		uint64_t g = PAGE_GPA(i);

		*host_qw(c, g) = pat(seed, g);
		*host_qw(c, g + PG - 8) = pat(seed, g + PG - 8);
	}
}

/* The host's view of OP_CHECK: pages of [first, first + n) that differ. */
static struct gres host_check(struct mmctx *c, uint64_t first, uint64_t n,
			      uint64_t seed)
{
	struct gres r = { 0, -1UL, 0 };
	uint64_t i;

	for (i = first; i < first + n; i++) {
		uint64_t g = PAGE_GPA(i);
		uint64_t a = *host_qw(c, g), b = *host_qw(c, g + PG - 8);

		if (a == pat(seed, g) && b == pat(seed, g + PG - 8))
			continue;
		if (!r.nbad++) {
			r.first = i;
			r.seen = a;
		}
	}
	return r;
}

/* Posts a command to vCPU 0; the next KVM_RUN executes it. */
static void guest_post(struct mmctx *c, uint64_t op, uint64_t gpa,
		       uint64_t npages, uint64_t seed)
{
	struct guest_cmd *m = addr_gpa2hva(c->vm, (uint64_t)(uintptr_t)&gcmd);

	m->op = op;
	m->gpa = gpa;
	m->npages = npages;
	m->seed = seed;
	m->seq = ++c->seq;
}

/* Runs vCPU 0 to the answer of the posted command. */
static struct gres guest_finish(struct mmctx *c)
{
	struct ucall uc;
	uint64_t cmd = vcpu_run_ucall(c->vcpu, &uc);
	struct gres r;

	TEST_ASSERT(cmd == UCALL_SYNC && uc.args[0] == c->seq,
		    "expected the answer to command %lu, got ucall %s(%lu)",
		    c->seq, ucall_name(cmd), uc.args[0]);
	r.nbad = uc.args[1];
	r.first = uc.args[2];
	r.seen = uc.args[3];
	return r;
}

static struct gres guest_do(struct mmctx *c, uint64_t op, uint64_t gpa,
			    uint64_t npages, uint64_t seed)
{
	guest_post(c, op, gpa, npages, seed);
	return guest_finish(c);
}

/* Pages [first, first + n) as the guest sees them hold pattern @seed. */
#define EXPECT_GUEST_PAGES(c_, f_, n_, s_) do {			\
	struct gres __g = guest_do(c_, OP_CHECK, PAGE_GPA(f_), n_, s_);	\
	EXPECT_EQ(0, __g.nbad)						\
		TH_LOG("guest: %lu of pages %lu..%lu not pattern %lu, first %lu reads 0x%lx (want 0x%lx)", \
		       __g.nbad, (uint64_t)(f_), (uint64_t)(f_) + (n_) - 1, \
		       (uint64_t)(s_), __g.first, __g.seen,		\
		       pat(s_, PAGE_GPA(__g.first)));			\
} while (0)

/* ... and as the host sees them. */
#define EXPECT_HOST_PAGES(c_, f_, n_, s_) do {			\
	struct gres __h = host_check(c_, f_, n_, s_);			\
	EXPECT_EQ(0, __h.nbad)						\
		TH_LOG("host: %lu of pages %lu..%lu not pattern %lu, first %lu holds 0x%lx (want 0x%lx)", \
		       __h.nbad, (uint64_t)(f_), (uint64_t)(f_) + (n_) - 1, \
		       (uint64_t)(s_), __h.first, __h.seen,		\
		       pat(s_, PAGE_GPA(__h.first)));			\
} while (0)

static void *bg_thread(void *arg)
{
	struct bg *b = arg;
	struct ucall uc;
	uint64_t want = 1, cmd;

	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		cmd = vcpu_run_ucall(b->vcpu, &uc);
		TEST_ASSERT(cmd == UCALL_SYNC && uc.args[0] == want,
			    "background vCPU: expected SYNC(%lu), got %s(%lu)",
			    want, ucall_name(cmd), uc.args[0]);
		__atomic_store_n(&b->rounds, want, __ATOMIC_RELEASE);
		want++;
	}
	return NULL;
}

static uint64_t bg_rounds(struct bg *b)
{
	return __atomic_load_n(&b->rounds, __ATOMIC_ACQUIRE);
}

/* Waits (for progress, not for time) until the guest finished round @r. */
static void bg_wait(struct bg *b, uint64_t r)
{
	while (bg_rounds(b) < r)
		usleep(1000);
}

/*
 * Starts vCPU 1 on the last BG_PAGES pages of the data slot, and returns
 * once it completed a round.
 */
static void bg_start(struct mmctx *c)
{
	struct bg *b = &c->bg;

	b->npages = BG_PAGES;
	b->gpa = DATA_GPA + c->size - BG_PAGES * PG;
	b->vcpu = vm_vcpu_add_guest(c->vm, 1, (void (*)(void))guest_bg);
	vcpu_set_args(b->vcpu, 2, b->gpa, b->npages);
	TEST_ASSERT(!pthread_create(&b->thread, NULL, bg_thread, b),
		    "pthread_create");
	b->running = true;
	bg_wait(b, 1);
}

/*
 * Lets the background vCPU finish two more rounds (so that at least one
 * ran after the host's action), stops it and returns the rounds it made;
 * its pages then hold that round's pattern.
 */
static uint64_t bg_stop(struct mmctx *c)
{
	struct bg *b = &c->bg;

	if (!b->running)
		return 0;
	bg_wait(b, bg_rounds(b) + 2);
	__atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
	pthread_join(b->thread, NULL);
	b->running = false;
	return b->rounds;
}

#define EXPECT_BG_STOPS(c) do {						\
	uint64_t __r = bg_stop(c);					\
	struct gres __h = host_check(c, NPAGES, BG_PAGES, __r);	\
	EXPECT_EQ(0, __h.nbad)						\
		TH_LOG("background vCPU's pages after round %lu: %lu differ, first %lu", \
		       __r, __h.nbad, __h.first);			\
} while (0)

static void ctx_destroy(struct mmctx *c)
{
	bg_stop(c);
	kvm_vm_free(c->vm);
	c->vm = NULL;
	if (c->map)
		munmap(c->map, c->map_size);
	c->map = NULL;
}

/*
 * KVM_RUN fails on a guest access to @gpa_ that the host mapping cannot
 * satisfy: -1 with EFAULT, the vCPU stays at the access.  In-tree KVM up
 * to 6.12 leaves the exit reason alone for this (6.12 reports
 * KVM_CAP_MEMORY_FAULT_INFO but fills KVM_EXIT_MEMORY_FAULT only for
 * guest_memfd conversions), so the details are checked only where a KVM
 * does say KVM_EXIT_MEMORY_FAULT.
 */
#define EXPECT_MEMORY_FAULT(c_, gpa_) do {				\
	struct kvm_run *__run = (c_)->vcpu->run;			\
	int __r, __e;							\
									\
	__r = __vcpu_run((c_)->vcpu);					\
	__e = errno;							\
	ASSERT_EQ(-1, __r)						\
		TH_LOG("KVM_RUN returned %d, exit %s", __r,		\
		       exit_reason_str(__run->exit_reason));		\
	ASSERT_EQ(EFAULT, __e)						\
		TH_LOG("errno %d (%s)", __e, strerrorname_np(__e));	\
	if (__run->exit_reason == KVM_EXIT_MEMORY_FAULT) {		\
		EXPECT_EQ((gpa_) & PAGE_MASK, __run->memory_fault.gpa);	\
		EXPECT_EQ(PAGE_SIZE, __run->memory_fault.size);	\
		EXPECT_EQ(0, __run->memory_fault.flags);		\
	}								\
} while (0)

/* ---- 4 KiB pages and THP ------------------------------------------------ */

FIXTURE(mm) {
	struct mmctx c;
};

FIXTURE_VARIANT(mm) {
	bool thp;
};

FIXTURE_VARIANT_ADD(mm, pages4k) {
	.thp = false,
};

FIXTURE_VARIANT_ADD(mm, thp) {
	.thp = true,
};

/* The 6.1 harness runs the body after a SKIP() in the set up: look first. */
#define MM_SKIPPED() (_metadata->skip)

FIXTURE_SETUP(mm)
{
	if (variant->thp && !thp_available())
		TEST_SKIP(return, "transparent huge pages are not available");
	ctx_setup(&self->c, NPAGES + BG_PAGES,
		 variant->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
}

FIXTURE_TEARDOWN(mm)
{
	ctx_destroy(&self->c);
}

#define ZAP_FIRST	256	/* 1 MiB..3 MiB: straddles two 2 MiB pages */
#define ZAP_N		512
#define ZAP_HOSTPG	300	/* rewritten by the host after the zap */

TEST_F(mm, madv_dontneed)
{
	struct mmctx *c = &self->c;
	const uint64_t A = 1, B = 2, C = 3;

	if (MM_SKIPPED())
		return;
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, A);
	EXPECT_HOST_PAGES(c, 0, NPAGES, A);
	bg_start(c);

	ASSERT_OK(madvise(c->mem + ZAP_FIRST * PG, ZAP_N * PG, MADV_DONTNEED));
	host_write(c, ZAP_HOSTPG, 1, C);

	/* Zeros where the pages went, the host's new page, old data around. */
	EXPECT_GUEST_PAGES(c, 0, ZAP_FIRST, A);
	EXPECT_GUEST_PAGES(c, ZAP_FIRST, ZAP_HOSTPG - ZAP_FIRST, 0);
	EXPECT_GUEST_PAGES(c, ZAP_HOSTPG, 1, C);
	EXPECT_GUEST_PAGES(c, ZAP_HOSTPG + 1, ZAP_FIRST + ZAP_N - ZAP_HOSTPG - 1, 0);
	EXPECT_GUEST_PAGES(c, ZAP_FIRST + ZAP_N, NPAGES - ZAP_FIRST - ZAP_N, A);

	/* The guest's writes land in the new host pages. */
	guest_do(c, OP_WRITE, PAGE_GPA(ZAP_FIRST), ZAP_N, B);
	EXPECT_HOST_PAGES(c, 0, ZAP_FIRST, A);
	EXPECT_HOST_PAGES(c, ZAP_FIRST, ZAP_N, B);
	EXPECT_HOST_PAGES(c, ZAP_FIRST + ZAP_N, NPAGES - ZAP_FIRST - ZAP_N, A);
	EXPECT_BG_STOPS(c);
}

#define REMAP_FIRST	256
#define REMAP_N		256
#define REMAP_HOST_N	128	/* of which the host fills the first half */

TEST_F(mm, munmap_mmap_fixed_new_content)
{
	struct mmctx *c = &self->c;
	const uint64_t A = 11, B = 12, C = 13;
	void *p;

	if (MM_SKIPPED())
		return;
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, A);
	bg_start(c);

	ASSERT_OK(munmap(c->mem + REMAP_FIRST * PG, REMAP_N * PG));
	p = mmap(c->mem + REMAP_FIRST * PG, REMAP_N * PG,
		 PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(c->mem + REMAP_FIRST * PG, p);
	host_write(c, REMAP_FIRST, REMAP_HOST_N, B);

	EXPECT_GUEST_PAGES(c, 0, REMAP_FIRST, A);
	EXPECT_GUEST_PAGES(c, REMAP_FIRST, REMAP_HOST_N, B);
	EXPECT_GUEST_PAGES(c, REMAP_FIRST + REMAP_HOST_N, REMAP_N - REMAP_HOST_N, 0);
	EXPECT_GUEST_PAGES(c, REMAP_FIRST + REMAP_N, NPAGES - REMAP_FIRST - REMAP_N, A);

	guest_do(c, OP_WRITE, PAGE_GPA(REMAP_FIRST), REMAP_N, C);
	EXPECT_HOST_PAGES(c, 0, REMAP_FIRST, A);
	EXPECT_HOST_PAGES(c, REMAP_FIRST, REMAP_N, C);
	EXPECT_HOST_PAGES(c, REMAP_FIRST + REMAP_N, NPAGES - REMAP_FIRST - REMAP_N, A);
	EXPECT_BG_STOPS(c);
}

#define HOLE_FIRST	100
#define HOLE_N		4
#define HOLE_PG		101

TEST_F(mm, munmap_hole_efault_then_remap)
{
	struct mmctx *c = &self->c;
	const uint64_t A = 21, B = 22, C = 23;
	struct gres r;
	void *p;

	if (MM_SKIPPED())
		return;
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, A);
	bg_start(c);

	ASSERT_OK(munmap(c->mem + HOLE_FIRST * PG, HOLE_N * PG));
	/* A read of the hole: nothing to map. */
	guest_post(c, OP_READ1, PAGE_GPA(HOLE_PG), 0, 0);
	EXPECT_MEMORY_FAULT(c, PAGE_GPA(HOLE_PG));
	/* Again: KVM did not keep the old page. */
	EXPECT_MEMORY_FAULT(c, PAGE_GPA(HOLE_PG));

	/* Fresh memory in the hole; the same access now completes. */
	p = mmap(c->mem + HOLE_FIRST * PG, HOLE_N * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(c->mem + HOLE_FIRST * PG, p);
	host_write(c, HOLE_PG, 1, B);
	r = guest_finish(c);
	EXPECT_EQ(pat(B, PAGE_GPA(HOLE_PG)), r.seen);

	EXPECT_GUEST_PAGES(c, 0, HOLE_FIRST, A);
	EXPECT_GUEST_PAGES(c, HOLE_FIRST, HOLE_PG - HOLE_FIRST, 0);
	EXPECT_GUEST_PAGES(c, HOLE_PG, 1, B);
	EXPECT_GUEST_PAGES(c, HOLE_PG + 1, HOLE_FIRST + HOLE_N - HOLE_PG - 1, 0);
	EXPECT_GUEST_PAGES(c, HOLE_FIRST + HOLE_N, NPAGES - HOLE_FIRST - HOLE_N, A);

	/* The VM goes on as before. */
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, C);
	EXPECT_HOST_PAGES(c, 0, NPAGES, C);
	EXPECT_GUEST_PAGES(c, 0, NPAGES, C);
	EXPECT_BG_STOPS(c);
}

#define RO_FIRST	512
#define RO_N		16
#define RO_PG		520

TEST_F(mm, mprotect_readonly)
{
	struct mmctx *c = &self->c;
	const uint64_t A = 31, B = 32;
	const uint64_t V0 = 0x1111222233334444ULL, V = 0x5555666677778888ULL;
	uint64_t *q;

	if (MM_SKIPPED())
		return;
	q = host_qw(c, PAGE_GPA(RO_PG));
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, A);
	bg_start(c);

	ASSERT_OK(mprotect(c->mem + RO_FIRST * PG, RO_N * PG, PROT_READ));
	/* Reads work, and return the data. */
	EXPECT_GUEST_PAGES(c, 0, NPAGES, A);
	/* Writes next to the read-only range too. */
	guest_do(c, OP_WRITE1, PAGE_GPA(RO_FIRST - 1), 0, V0);
	EXPECT_EQ(V0, *host_qw(c, PAGE_GPA(RO_FIRST - 1)));

	/* A write into it fails KVM_RUN, and does not reach memory. */
	guest_post(c, OP_WRITE1, PAGE_GPA(RO_PG), 0, V);
	EXPECT_MEMORY_FAULT(c, PAGE_GPA(RO_PG));
	EXPECT_EQ(pat(A, PAGE_GPA(RO_PG)), *q);
	EXPECT_MEMORY_FAULT(c, PAGE_GPA(RO_PG));

	/* Writable again: the same write completes. */
	ASSERT_OK(mprotect(c->mem + RO_FIRST * PG, RO_N * PG,
			   PROT_READ | PROT_WRITE));
	guest_finish(c);
	EXPECT_EQ(V, *q);
	EXPECT_EQ(V, guest_do(c, OP_READ1, PAGE_GPA(RO_PG), 0, 0).seen);

	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, B);
	EXPECT_HOST_PAGES(c, 0, NPAGES, B);
	EXPECT_BG_STOPS(c);
}

/*
 * A child of fork(): waits for the parent's word on @fd, then checks that
 * its copy of the test region holds pattern @seed everywhere, then
 * overwrites its copy (which must not reach the parent's guest).  The
 * exit status says how it went.
 */
static void __attribute__((noreturn))
fork_child(struct mmctx *c, int fd, uint64_t seed)
{
	struct gres h;
	char x;

	if (read(fd, &x, 1) != 1)
		_exit(2);
	h = host_check(c, 0, NPAGES, seed);
	if (h.nbad) {
		fprintf(stderr, "# child: %lu pages not pattern %lu, first %lu holds 0x%lx\n",
			h.nbad, seed, h.first, h.seen);
		_exit(1);
	}
	host_write(c, 0, NPAGES, 0x77);
	_exit(0);
}

static pid_t fork_with_pipe(struct mmctx *c, int *wfd, uint64_t seed)
{
	int fds[2];
	pid_t pid;

	TEST_ASSERT(!pipe(fds), "pipe");
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		close(fds[1]);
		fork_child(c, fds[0], seed);
	}
	close(fds[0]);
	*wfd = fds[1];
	return pid;
}

/* Lets the child check its copy; its exit status is the verdict. */
static int child_verdict(int wfd, pid_t pid)
{
	int status = -1;

	TEST_ASSERT(write(wfd, "x", 1) == 1, "write to the child's pipe");
	close(wfd);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define COW_N		64
#define COW_HOSTPG	10

/* The host writes first after fork(): the guest follows the parent's copy. */
TEST_F(mm, fork_cow_host_writes)
{
	struct mmctx *c = &self->c;
	const uint64_t A = 41, B = 42, C = 43;
	pid_t pid;
	int wfd;

	if (MM_SKIPPED())
		return;
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, A);
	bg_start(c);
	pid = fork_with_pipe(c, &wfd, A);

	host_write(c, COW_HOSTPG, 1, B);	/* breaks COW in the parent */
	EXPECT_GUEST_PAGES(c, 0, COW_HOSTPG, A);
	EXPECT_GUEST_PAGES(c, COW_HOSTPG, 1, B);
	EXPECT_GUEST_PAGES(c, COW_HOSTPG + 1, NPAGES - COW_HOSTPG - 1, A);

	/* Guest writes to that page and to still shared ones. */
	guest_do(c, OP_WRITE, PAGE_GPA(0), COW_N, C);
	EXPECT_HOST_PAGES(c, 0, COW_N, C);
	EXPECT_HOST_PAGES(c, COW_N, NPAGES - COW_N, A);

	EXPECT_EQ(0, child_verdict(wfd, pid))
		TH_LOG("the child's copy changed after fork (see its message)");
	/* Nor did the child's own writes reach the guest. */
	EXPECT_GUEST_PAGES(c, 0, COW_N, C);
	EXPECT_GUEST_PAGES(c, COW_N, NPAGES - COW_N, A);
	EXPECT_BG_STOPS(c);
}

/* The guest writes first after fork(): the child must not see it. */
TEST_F(mm, fork_cow_guest_writes)
{
	struct mmctx *c = &self->c;
	const uint64_t A = 51, B = 52;
	pid_t pid;
	int wfd;

	if (MM_SKIPPED())
		return;
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, A);
	bg_start(c);
	pid = fork_with_pipe(c, &wfd, A);

	guest_do(c, OP_WRITE, PAGE_GPA(0), COW_N, B);
	EXPECT_HOST_PAGES(c, 0, COW_N, B);
	EXPECT_HOST_PAGES(c, COW_N, NPAGES - COW_N, A);
	EXPECT_GUEST_PAGES(c, 0, COW_N, B);
	EXPECT_GUEST_PAGES(c, COW_N, NPAGES - COW_N, A);

	EXPECT_EQ(0, child_verdict(wfd, pid))
		TH_LOG("the guest's write after fork reached the child");
	EXPECT_GUEST_PAGES(c, 0, COW_N, B);
	EXPECT_GUEST_PAGES(c, COW_N, NPAGES - COW_N, A);
	EXPECT_HOST_PAGES(c, 0, COW_N, B);
	EXPECT_BG_STOPS(c);
}

/* ---- KSM, migration, compaction ---------------------------------------- */

#define KSM_DIR		"/sys/kernel/mm/ksm/"
#define KSM_FIRST	128
#define KSM_N		16
#define KSM_PG		5	/* of the KSM pages, the one the guest writes */
#define KSM_OFF		0x100
#define KSM_FILL	0x4b534d2d66696c6cULL
#define KSM_WAIT_S	25

static int sysfs_read(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	if (r && buf[r - 1] == '\n')
		buf[r - 1] = '\0';
	return 0;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = write(fd, val, strlen(val));
	close(fd);
	return r == (ssize_t)strlen(val) ? 0 : -1;
}

static long sysfs_long(const char *path)
{
	char buf[64];

	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 10);
}

static const char *const ksm_knobs[] = { "run", "sleep_millisecs", "pages_to_scan" };

FIXTURE(misc) {
	struct mmctx c;
	bool ksm_saved;
	char ksm_old[3][32];
};

FIXTURE_SETUP(misc)
{
}

FIXTURE_TEARDOWN(misc)
{
	char path[128];
	int i;

	ctx_destroy(&self->c);
	if (!self->ksm_saved)
		return;
	/*
	 * With ksmd off again, nothing would remove our merged pages' stable
	 * tree entries (pages_shared/pages_sharing stay counted after we are
	 * gone): "2" unmerges and forgets them now, as if KSM never ran.
	 */
	if (!strcmp(self->ksm_old[0], "0") && sysfs_write(KSM_DIR "run", "2"))
		TH_LOG("could not write 2 to " KSM_DIR "run");
	/* run first: ksmd stops before the other knobs change back. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), KSM_DIR "%s", ksm_knobs[i]);
		if (sysfs_write(path, self->ksm_old[i]))
			TH_LOG("could not restore %s to %s", path, self->ksm_old[i]);
	}
}

/* Pages of this process that KSM merged (6.1+ has ksm_merging_pages). */
static long ksm_merging(void)
{
	long n = sysfs_long("/proc/self/ksm_merging_pages");

	return n >= 0 ? n : sysfs_long(KSM_DIR "pages_sharing");
}

TEST_F_TIMEOUT(misc, ksm_merged_pages, 60)
{
	struct mmctx *c = &self->c;
	uint64_t *w, i, j;
	struct timespec t0, t;
	long merged = 0, before;
	struct gres g;
	char path[128];

	if (access(KSM_DIR "run", F_OK))
		TEST_SKIP(return, "no KSM (" KSM_DIR "run is absent)");
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), KSM_DIR "%s", ksm_knobs[i]);
		ASSERT_EQ(0, sysfs_read(path, self->ksm_old[i],
					sizeof(self->ksm_old[i])))
			TH_LOG("reading %s", path);
	}
	self->ksm_saved = true;

	/* KSM splits huge pages; 4 KiB pages from the start keep it simple. */
	ctx_setup(c, NPAGES + BG_PAGES, MADV_NOHUGEPAGE);
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, 61);
	/* Identical pages, written (and so mapped writable) by the guest. */
	guest_do(c, OP_FILL, PAGE_GPA(KSM_FIRST), KSM_N, KSM_FILL);
	bg_start(c);

	before = ksm_merging();
	ASSERT_OK(madvise(c->mem + KSM_FIRST * PG, KSM_N * PG, MADV_MERGEABLE));
	ASSERT_EQ(0, sysfs_write(KSM_DIR "sleep_millisecs", "1"));
	ASSERT_EQ(0, sysfs_write(KSM_DIR "pages_to_scan", "10000"));
	ASSERT_EQ(0, sysfs_write(KSM_DIR "run", "1"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		merged = ksm_merging() - before;
		if (merged >= KSM_N)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > KSM_WAIT_S)
			break;
		usleep(20000);
	}
	/* Stop ksmd: nothing may change under the checks below. */
	ASSERT_EQ(0, sysfs_write(KSM_DIR "run", "0"));
	TH_LOG("KSM merged %ld pages (pages_shared %ld, pages_sharing %ld)",
	       merged, sysfs_long(KSM_DIR "pages_shared"),
	       sysfs_long(KSM_DIR "pages_sharing"));
	/*
	 * KSM merges a page only if nothing but its mappings holds a
	 * reference to it: a page KVM kept a reference on stays unmerged.
	 */
	ASSERT_GE(merged, KSM_N)
		TH_LOG("ksmd did not merge the guest's %d identical pages in %d s",
		       KSM_N, KSM_WAIT_S);

	/* The guest reads the merged pages' content... */
	g = guest_do(c, OP_CHECKFILL, PAGE_GPA(KSM_FIRST), KSM_N, KSM_FILL);
	EXPECT_EQ(0, g.nbad)
		TH_LOG("guest: offset 0x%lx reads 0x%lx", g.first, g.seen);
	/* ... and its write unshares the one page it wrote to. */
	g = guest_do(c, OP_WRITE1, PAGE_GPA(KSM_FIRST + KSM_PG) + KSM_OFF, 0, 0x1234);
	for (i = 0; i < KSM_N; i++) {
		w = host_qw(c, PAGE_GPA(KSM_FIRST + i));
		for (j = 0; j < QW_PER_PAGE; j++) {
			uint64_t want = i == KSM_PG && j == KSM_OFF / 8 ?
					0x1234 : KSM_FILL;

			if (w[j] != want) {
				_metadata->passed = 0;
				TH_LOG("host: KSM page %lu offset 0x%lx holds 0x%lx, want 0x%lx",
				       i, j * 8, w[j], want);
				break;
			}
		}
	}
	g = guest_do(c, OP_CHECKFILL, PAGE_GPA(KSM_FIRST), KSM_PG, KSM_FILL);
	EXPECT_EQ(0, g.nbad);
	g = guest_do(c, OP_CHECKFILL, PAGE_GPA(KSM_FIRST + KSM_PG + 1),
		     KSM_N - KSM_PG - 1, KSM_FILL);
	EXPECT_EQ(0, g.nbad);
	g = guest_do(c, OP_READ1, PAGE_GPA(KSM_FIRST + KSM_PG) + KSM_OFF, 0, 0);
	EXPECT_EQ(0x1234, g.seen);
	/* The rest of the region is untouched. */
	EXPECT_GUEST_PAGES(c, 0, KSM_FIRST, 61);
	EXPECT_GUEST_PAGES(c, KSM_FIRST + KSM_N, NPAGES - KSM_FIRST - KSM_N, 61);
	EXPECT_BG_STOPS(c);
}

#ifndef MPOL_MF_MOVE
#define MPOL_MF_MOVE	(1 << 1)
#endif

/* Online NUMA nodes, from /sys/devices/system/node/online ("0", "0-1"...). */
static int numa_nodes(int *nodes, int max)
{
	char buf[256], *s;
	int n = 0;

	if (sysfs_read("/sys/devices/system/node/online", buf, sizeof(buf)))
		return 1;
	for (s = buf; *s && n < max;) {
		long a = strtol(s, &s, 10), b = a;

		if (*s == '-')
			b = strtol(s + 1, &s, 10);
		for (; a <= b && n < max; a++)
			nodes[n++] = a;
		if (*s == ',')
			s++;
		else
			break;
	}
	return n;
}

#define MIG_N		64

TEST_F(misc, numa_move_pages)
{
	struct mmctx *c = &self->c;
	int nodes[64], nr = numa_nodes(nodes, 64), i, moved = 0;
	void *pages[MIG_N];
	int target[MIG_N], status[MIG_N];
	long r;

	if (nr < 2)
		TEST_SKIP(return, "single NUMA node: no page migration to test");
	ctx_setup(c, NPAGES + BG_PAGES, MADV_NOHUGEPAGE);
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, 71);
	bg_start(c);

	for (i = 0; i < MIG_N; i++)
		pages[i] = c->mem + (uint64_t)i * 4 * PG;
	r = syscall(SYS_move_pages, 0, MIG_N, pages, NULL, status, 0);
	ASSERT_EQ(0, r) TH_LOG("move_pages (query): errno %d", errno);
	for (i = 0; i < MIG_N; i++) {
		ASSERT_GE(status[i], 0) TH_LOG("page %d: status %d", i, status[i]);
		target[i] = status[i] == nodes[0] ? nodes[1] : nodes[0];
	}
	r = syscall(SYS_move_pages, 0, MIG_N, pages, target, status,
		    MPOL_MF_MOVE);
	ASSERT_GE(r, 0) TH_LOG("move_pages: errno %d", errno);
	for (i = 0; i < MIG_N; i++)
		moved += status[i] == target[i];
	TH_LOG("%d of %d pages moved to another node (%ld not moved)",
	       moved, MIG_N, r);
	ASSERT_GT(moved, 0);

	EXPECT_GUEST_PAGES(c, 0, NPAGES, 71);
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, 72);
	EXPECT_HOST_PAGES(c, 0, NPAGES, 72);
	EXPECT_BG_STOPS(c);
}

/* The PFN behind @addr (0 if not present or not visible to us). */
static uint64_t host_pfn(int fd, void *addr)
{
	uint64_t e = 0;

	if (pread(fd, &e, 8, (uintptr_t)addr / PG * 8) != 8)
		return 0;
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * Compaction migrates movable pages within a node: whichever of the
 * guest's pages it moved, the guest must find its data and its writes
 * must reach the host's (new) pages.  How many move is the kernel's
 * business: it is only logged.
 */
TEST_F_TIMEOUT(misc, compaction, 60)
{
	struct mmctx *c = &self->c;
	uint64_t before[NPAGES], i, moved = 0, known = 0;
	int fd;

	if (access("/proc/sys/vm/compact_memory", F_OK))
		TEST_SKIP(return, "no memory compaction (CONFIG_COMPACTION)");
	ctx_setup(c, NPAGES + BG_PAGES, MADV_NOHUGEPAGE);
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, 81);
	bg_start(c);

	fd = open("/proc/self/pagemap", O_RDONLY);
	for (i = 0; i < NPAGES; i++)
		before[i] = fd >= 0 ? host_pfn(fd, c->mem + i * PG) : 0;
	ASSERT_EQ(0, sysfs_write("/proc/sys/vm/compact_memory", "1"));
	for (i = 0; i < NPAGES; i++) {
		uint64_t now = fd >= 0 ? host_pfn(fd, c->mem + i * PG) : 0;

		if (before[i] && now) {
			known++;
			moved += now != before[i];
		}
	}
	if (fd >= 0)
		close(fd);
	TH_LOG("compaction moved %lu of %lu pages with a known PFN", moved, known);

	EXPECT_GUEST_PAGES(c, 0, NPAGES, 81);
	guest_do(c, OP_WRITE, PAGE_GPA(0), NPAGES, 82);
	EXPECT_HOST_PAGES(c, 0, NPAGES, 82);
	EXPECT_GUEST_PAGES(c, 0, NPAGES, 82);
	EXPECT_BG_STOPS(c);
}

/* ---- reference balance ------------------------------------------------- */

#define BAL_PAGES	(64 * MB / PG)
#define BAL_ROUNDS	3
#define BAL_TOL_KB	(8 * 1024)
#define BAL_MIN_USE_KB	(48 * 1024)	/* a VM must visibly use its 64 MiB */

static long meminfo_kb(const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long rss_kb(void)
{
	long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (PG / 1024);
}

/*
 * Free pages sitting in the per-CPU free lists (the "count:" of each
 * pageset in /proc/zoneinfo): MemFree does not include them, and freed
 * huge pages go there too, so that tens of MiB can move between the two
 * at one munmap (seen on 6.1 in the rig).
 */
static long pcp_free_kb(void)
{
	char line[256];
	long n = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &v) == 1)
			n += v;
	fclose(f);
	return n * (PG / 1024);
}

static long free_kb(void)
{
	return meminfo_kb("MemFree") + pcp_free_kb();
}

/* Free memory not counting what this process itself has mapped. */
static long avail_kb(void)
{
	return free_kb() + rss_kb();
}

/*
 * One VM whose guest touches every page of a 64 MiB slot (4 KiB pages or
 * THP, as @advice asks); returns the free memory while it ran.
 */
static long balance_round(struct __test_metadata *_metadata, struct mmctx *c,
			  int advice)
{
	long inuse;
	struct gres g;

	ctx_setup(c, BAL_PAGES, advice);
	guest_do(c, OP_WRITE, PAGE_GPA(0), BAL_PAGES, 91);
	g = guest_do(c, OP_CHECK, PAGE_GPA(0), BAL_PAGES, 91);
	EXPECT_EQ(0, g.nbad);
	EXPECT_EQ(0, host_check(c, 0, BAL_PAGES, 91).nbad);
	inuse = free_kb();
	ctx_destroy(c);
	return inuse;
}

TEST_F_TIMEOUT(misc, page_references_released, 90)
{
	struct mmctx *c = &self->c;
	long base, base_free, inuse, after[BAL_ROUNDS];
	int i;

	ASSERT_GT(meminfo_kb("MemFree"), 0);
	/*
	 * Warm up: slab caches, the binary's page cache, lazily set up state.
	 * One round with 4 KiB pages (a reference per page) then huge pages
	 * (the TCG host needs ~10 s per 16384 guest faults).
	 */
	balance_round(_metadata, c, MADV_HUGEPAGE);
	base = avail_kb();
	base_free = free_kb();
	for (i = 0; i < BAL_ROUNDS; i++) {
		inuse = balance_round(_metadata, c, i ? MADV_HUGEPAGE :
						      MADV_NOHUGEPAGE);
		after[i] = avail_kb();
		TH_LOG("round %d (%s): free memory %ld kB below the baseline while the VM ran, %ld kB after",
		       i + 1, i ? "THP" : "4 KiB pages", base_free - inuse,
		       base - after[i]);
		/* The measurement sees the guest's memory at all... */
		EXPECT_GE(base_free - inuse, BAL_MIN_USE_KB);
		/* ... and all of it came back. */
		EXPECT_LE(base - after[i], BAL_TOL_KB)
			TH_LOG("round %d: %ld kB not given back", i + 1,
			       base - after[i]);
	}
	/* No growth from round to round either. */
	EXPECT_LE(after[0] - after[BAL_ROUNDS - 1], BAL_TOL_KB / 2);
}

TEST_HARNESS_MAIN
