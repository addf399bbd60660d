// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory slots that change while vCPUs run.  Two vCPU threads loop in the
 * guest reading and writing words of a data slot at GPA A and of the
 * range at GPA B, while the main thread deletes the slot, re-creates it
 * with the same and with another backing, moves it between A and B and
 * toggles KVM_MEM_LOG_DIRTY_PAGES on it.  What must hold:
 *
 *  - A guest access where no slot is becomes KVM_EXIT_MMIO at that GPA
 *    (8 bytes, at one of the vCPU's own words); the vCPU thread answers
 *    reads with a pattern derived from the GPA, and the guest checks that
 *    every value it reads is either that pattern or data that RAM there
 *    can hold (the host's fill of a backing or its own earlier writes).
 *    No other exit, no KVM_RUN error, no guest exception.
 *  - Once KVM_SET_USER_MEMORY_REGION has returned, the guest's next full
 *    loop iteration sees the new layout: with the slot at A, no MMIO
 *    exit at A and MMIO exits at B (and the other way round after a move;
 *    both while deleted); its writes reach the new backing and no longer
 *    the old one; with dirty logging on, KVM_GET_DIRTY_LOG reports the
 *    pages written.  The guest publishes its iteration count in slot 0,
 *    so the main thread waits for iterations, never for time (a deadline
 *    only turns a hang into a failure).
 *  - After the churn, data written through the final slot is in its
 *    backing.  The guest stops when it sees a flag in slot 0 and exits
 *    with GUEST_DONE, so the threads end by themselves.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

#include "kvmx_test.h"

#define NR_VCPUS	2
#define GPA_A		0x40000000UL	/* 1 GiB */
#define GPA_B		0x40400000UL	/* 1 GiB + 4 MiB: another 2 MiB page */
#define NR_WORDS	4		/* per vCPU, each in a page of its own */
#define DATA_PAGES	(NR_WORDS * NR_VCPUS)
#define DATA_SIZE	(DATA_PAGES * PAGE_SIZE)
#define DATA_SLOT	1
#define NR_BACKINGS	3		/* two for the churn, one final */
#define ROUNDS		4
#define WAIT_SECS	20		/* per wait: a hang, not a slow host */

#define TAG_HOST	0x484fULL	/* "HO": the host's fill */
#define TAG_GUEST	0x4753ULL	/* "GS": a guest write */
#define TAG_FINAL	0x464eULL	/* "FN": a guest write after the churn */
#define TAG_MMIO	0x4d4dULL	/* "MM": the host's MMIO read answer */

/*
 * vCPU v's word k: the first word of a page of its own.  Page aligned
 * because Bochs 2.7's PML logs the written address with bits 11:0 kept
 * (SDM Vol. 3C, "Page-Modification Logging": they are cleared), which
 * kvm-intel 6.12 WARNs about for every entry: the kernel log must stay
 * clean.
 */
static inline uint64_t word_off(unsigned int v, unsigned int k)
{
	return (k * NR_VCPUS + v) * PAGE_SIZE;
}

static inline uint64_t host_fill(unsigned int b, uint64_t off)
{
	return TAG_HOST << 48 | (uint64_t)b << 40 | off;
}

static inline uint64_t guest_val(uint64_t tag, unsigned int v, unsigned int k,
				 uint64_t iter)
{
	return tag << 48 | (uint64_t)v << 40 | (uint64_t)k << 32 |
	       (iter & 0xffffffff);
}

static inline uint64_t mmio_pattern(uint64_t gpa)
{
	return TAG_MMIO << 48 | gpa;
}

/* Guest data in slot 0, shared with the host through its mapping. */
struct churn_ctl {
	uint64_t stop;			/* host: finish the loop */
	uint64_t progress[NR_VCPUS];	/* guest: iterations completed */
};
struct churn_ctl churn_ctl;

static inline uint64_t mov_load64(uint64_t gpa)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(gpa) : "memory");
	return v;
}

static inline void mov_store64(uint64_t gpa, uint64_t v)
{
	asm volatile("movq %1, (%0)" : : "r"(gpa), "r"(v) : "memory");
}

/* What may be read at vCPU v's word k of @base in iteration @iter. */
static void guest_check(uint64_t base, unsigned int v, unsigned int k,
			uint64_t iter, uint64_t x)
{
	uint64_t gpa = base + word_off(v, k);

	if (x == mmio_pattern(gpa))
		return;
	if (x >> 48 == TAG_HOST && ((x >> 40) & 0xff) < NR_BACKINGS &&
	    (x & 0xffffffffffULL) == word_off(v, k))
		return;
	if ((x & ~0xffffffffULL) == (guest_val(TAG_GUEST, v, k, 0)) &&
	    (x & 0xffffffff) <= (iter & 0xffffffff))
		return;
	GUEST_ASSERT_MSG(0, "vCPU %u iteration %lu: read 0x%lx at 0x%lx",
			 v, iter, x, gpa);
}

static void guest_churn(uint64_t v)
{
	volatile struct churn_ctl *ctl = &churn_ctl;
	uint64_t iter, a, b;
	unsigned int k;

	for (iter = ctl->progress[v] + 1; !ctl->stop; iter++) {
		for (k = 0; k < NR_WORDS; k++) {
			a = GPA_A + word_off(v, k);
			guest_check(GPA_A, v, k, iter, mov_load64(a));
			mov_store64(a, guest_val(TAG_GUEST, v, k, iter));
			guest_check(GPA_A, v, k, iter, mov_load64(a));

			b = GPA_B + word_off(v, k);
			guest_check(GPA_B, v, k, iter, mov_load64(b));
			mov_store64(b, guest_val(TAG_GUEST, v, k, iter));
		}
		ctl->progress[v] = iter;
	}
	/* The host stopped the churn with the final slot at A. */
	for (k = 0; k < NR_WORDS; k++) {
		a = GPA_A + word_off(v, k);
		mov_store64(a, guest_val(TAG_FINAL, v, k, k));
		GUEST_ASSERT_EQ(mov_load64(a), guest_val(TAG_FINAL, v, k, k));
	}
}

/* ---- host --------------------------------------------------------------- */

struct churn_vcpu {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	volatile struct churn_ctl *ctl;	/* host view of churn_ctl */
	/* The last guest iteration that made an MMIO exit at A, at B. */
	uint64_t last_mmio_a, last_mmio_b;
	uint64_t nr_mmio_reads, nr_mmio_writes;
};

/* Checks one MMIO exit (any failure aborts the test) and answers a read. */
static void handle_mmio(struct churn_vcpu *cv)
{
	struct kvm_run *run = cv->vcpu->run;
	unsigned int v = cv->vcpu->id, k;
	uint64_t gpa = run->mmio.phys_addr, base, iter;
	uint64_t data;

	iter = __atomic_load_n(&cv->ctl->progress[v], __ATOMIC_ACQUIRE) + 1;
	if (gpa >= GPA_B)
		base = GPA_B;
	else
		base = GPA_A;
	for (k = 0; k < NR_WORDS; k++)
		if (gpa == base + word_off(v, k))
			break;
	if (k == NR_WORDS || run->mmio.len != 8) {
		vcpu_dump_exit(stderr, cv->vcpu);
		TEST_FAIL("vCPU %u: MMIO %s of %u bytes at 0x%llx: not one of its words",
			  v, run->mmio.is_write ? "write" : "read",
			  run->mmio.len, run->mmio.phys_addr);
	}
	if (run->mmio.is_write) {
		memcpy(&data, run->mmio.data, 8);
		TEST_ASSERT(data == guest_val(TAG_GUEST, v, k, iter),
			    "vCPU %u iteration %lu: MMIO write of 0x%lx at 0x%lx",
			    v, iter, data, gpa);
		cv->nr_mmio_writes++;
	} else {
		vcpu_mmio_set_data(cv->vcpu, mmio_pattern(gpa));
		cv->nr_mmio_reads++;
	}
	__atomic_store_n(base == GPA_A ? &cv->last_mmio_a : &cv->last_mmio_b,
			 iter, __ATOMIC_RELEASE);
}

static void *vcpu_thread(void *arg)
{
	struct churn_vcpu *cv = arg;
	struct kvm_vcpu *vcpu = cv->vcpu;
	struct ucall uc;

	for (;;) {
		int r = __vcpu_run(vcpu);

		if (r) {
			vcpu_dump_exit(stderr, vcpu);
			TEST_FAIL("vCPU %u: KVM_RUN returned %d", vcpu->id, r);
		}
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
			handle_mmio(cv);
			continue;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_DONE:
			return NULL;
		case UCALL_PRINTF:
			fprintf(stderr, "# guest (vCPU %u): %s\n", vcpu->id, uc.msg);
			continue;
		case UCALL_ASSERT:
			TEST_FAIL("vCPU %u: guest assertion at line %lu: %s",
				  vcpu->id, uc.line, uc.msg);
		case UCALL_UNHANDLED:
			TEST_FAIL("vCPU %u: guest exception %lu at rip 0x%lx",
				  vcpu->id, uc.args[0], uc.args[2]);
		default:
			vcpu_dump_exit(stderr, vcpu);
			vcpu_dump_state(stderr, vcpu);
			TEST_FAIL("vCPU %u: unexpected exit %s", vcpu->id,
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
}

enum where { NOWHERE, AT_A, AT_B };

struct churn {
	struct kvm_vm *vm;
	struct churn_vcpu cv[NR_VCPUS];
	volatile struct churn_ctl *ctl;
	uint64_t *mem[NR_BACKINGS];
	enum where where;
	int cur;		/* backing in the slot (if any) */
	uint32_t flags;
	unsigned int nr_changes;
};

static void fill_backing(uint64_t *mem, unsigned int b)
{
	unsigned int i;

	for (i = 0; i < DATA_SIZE / 8; i++)
		mem[i] = host_fill(b, i * 8);
}

static int set_data_slot(struct churn *c, enum where w, int backing,
			 uint32_t flags)
{
	int r;

	if (w == NOWHERE)
		r = __vm_set_user_memory_region(c->vm, DATA_SLOT, 0,
						c->where == AT_A ? GPA_A : GPA_B,
						0, NULL);
	else
		r = __vm_set_user_memory_region(c->vm, DATA_SLOT, flags,
						w == AT_A ? GPA_A : GPA_B,
						DATA_SIZE, c->mem[backing]);
	if (!r) {
		c->where = w;
		c->cur = backing;
		c->flags = flags;
		c->nr_changes++;
	}
	return r;
}

static uint64_t word_iter(uint64_t *mem, unsigned int v, unsigned int k)
{
	uint64_t x = __atomic_load_n(&mem[word_off(v, k) / 8], __ATOMIC_RELAXED);

	/* The host's fill counts as iteration 0. */
	return x >> 48 == TAG_GUEST ? (x & 0xffffffff) : 0;
}

/*
 * After a change: lets every vCPU complete two more iterations (so one
 * whole iteration ran after the change) and checks what that iteration
 * must have seen.
 */
static void settle(struct __test_metadata *_metadata, struct churn *c,
		   const char *what)
{
	uint64_t p0[NR_VCPUS];
	struct timespec t0, t;
	unsigned int v, k, b;

	for (v = 0; v < NR_VCPUS; v++)
		p0[v] = c->ctl->progress[v];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (v = 0; v < NR_VCPUS; v++) {
		while (c->ctl->progress[v] < p0[v] + 2) {
			struct timespec nap = { 0, 200000 };

			clock_gettime(CLOCK_MONOTONIC, &t);
			ASSERT_LT(t.tv_sec - t0.tv_sec, WAIT_SECS)
				TH_LOG("%s: vCPU %u stuck at iteration %lu",
				       what, v, c->ctl->progress[v]);
			nanosleep(&nap, NULL);
		}
	}
	for (v = 0; v < NR_VCPUS; v++) {
		struct churn_vcpu *cv = &c->cv[v];
		uint64_t a = __atomic_load_n(&cv->last_mmio_a, __ATOMIC_ACQUIRE);
		uint64_t bb = __atomic_load_n(&cv->last_mmio_b, __ATOMIC_ACQUIRE);

		/* Iteration p0 + 2 started after the change had returned. */
		if (c->where == AT_A) {
			EXPECT_LE(a, p0[v] + 1)
				TH_LOG("%s: vCPU %u: MMIO at A", what, v);
		} else {
			EXPECT_GE(a, p0[v] + 2)
				TH_LOG("%s: vCPU %u: no MMIO at A", what, v);
		}
		if (c->where == AT_B) {
			EXPECT_LE(bb, p0[v] + 1)
				TH_LOG("%s: vCPU %u: MMIO at B", what, v);
		} else {
			EXPECT_GE(bb, p0[v] + 2)
				TH_LOG("%s: vCPU %u: no MMIO at B", what, v);
		}

		/* The guest's writes reach the slot's backing, only it. */
		for (b = 0; b < 2; b++) {
			for (k = 0; k < NR_WORDS; k++) {
				uint64_t it = word_iter(c->mem[b], v, k);

				if (c->where != NOWHERE && (int)b == c->cur) {
					EXPECT_GE(it, p0[v] + 2)
						TH_LOG("%s: vCPU %u word %u: not in backing %u",
						       what, v, k, b);
				} else {
					EXPECT_LE(it, p0[v] + 1)
						TH_LOG("%s: vCPU %u word %u: in old backing %u",
						       what, v, k, b);
				}
			}
		}
	}
	ASSERT_TRUE(_metadata->passed) TH_LOG("after change %u (%s)",
					      c->nr_changes, what);
}

#define CHANGE(c, w, b, f, what) do {					\
	ASSERT_EQ(0, set_data_slot(c, w, b, f))				\
		TH_LOG("%s: errno %d", what, errno);			\
	settle(_metadata, c, what);					\
} while (0)

/*
 * A fixture only for TEST_F_TIMEOUT: on a loaded emulated host the churn
 * takes about 10 s, a third of the harness's default limit.
 */
FIXTURE(churn) {
	int unused;
};
FIXTURE_SETUP(churn) {}
FIXTURE_TEARDOWN(churn) {}

TEST_F_TIMEOUT(churn, slot_churn_with_running_vcpus, 90)
{
	struct kvm_vcpu *vcpu0;
	struct churn c = { 0 };
	uint64_t bitmap[1];
	struct kvm_dirty_log log = { .slot = DATA_SLOT, .dirty_bitmap = bitmap };
	unsigned int v, k, round;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	c.vm = vm_create_guest(&vcpu0, (void (*)(void))guest_churn);
	c.ctl = addr_gpa2hva(c.vm, (uint64_t)(uintptr_t)&churn_ctl);
	for (v = 0; v < NR_BACKINGS; v++) {
		c.mem[v] = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, c.mem[v]);
		fill_backing(c.mem[v], v);
	}
	ASSERT_EQ(0, set_data_slot(&c, AT_A, 0, 0));

	for (v = 0; v < NR_VCPUS; v++) {
		struct churn_vcpu *cv = &c.cv[v];

		cv->vcpu = v ? vm_vcpu_add_guest(c.vm, v, NULL) : vcpu0;
		cv->ctl = c.ctl;
		vcpu_set_args(cv->vcpu, 1, (uint64_t)v);
	}
	for (v = 0; v < NR_VCPUS; v++)
		ASSERT_EQ(0, pthread_create(&c.cv[v].thread, NULL, vcpu_thread,
					    &c.cv[v]));
	settle(_metadata, &c, "start");

	for (round = 0; round < ROUNDS; round++) {
		int other = !c.cur;

		CHANGE(&c, NOWHERE, c.cur, 0, "delete");
		CHANGE(&c, AT_A, c.cur, 0, "re-create, same backing");
		CHANGE(&c, NOWHERE, c.cur, 0, "delete");
		CHANGE(&c, AT_A, other, 0, "re-create, other backing");
		CHANGE(&c, AT_B, c.cur, 0, "move to B");
		CHANGE(&c, AT_A, c.cur, 0, "move to A");

		ASSERT_EQ(0, set_data_slot(&c, AT_A, c.cur,
					   KVM_MEM_LOG_DIRTY_PAGES));
		/* Clear the log: what it reports next is newer. */
		ASSERT_EQ(0, ioctl(c.vm->fd, KVM_GET_DIRTY_LOG, &log));
		settle(_metadata, &c, "dirty logging on");
		bitmap[0] = 0;
		ASSERT_EQ(0, ioctl(c.vm->fd, KVM_GET_DIRTY_LOG, &log));
		EXPECT_EQ((1ULL << DATA_PAGES) - 1, bitmap[0])
			TH_LOG("round %u: the guest wrote every page", round);
		CHANGE(&c, AT_A, c.cur, 0, "dirty logging off");

		/* Deleted at A, back at B with the other backing. */
		CHANGE(&c, NOWHERE, c.cur, 0, "delete");
		CHANGE(&c, AT_B, !c.cur, 0, "re-create at B, other backing");
		CHANGE(&c, AT_B, c.cur, KVM_MEM_LOG_DIRTY_PAGES,
		       "dirty logging on at B");
		CHANGE(&c, AT_A, c.cur, KVM_MEM_LOG_DIRTY_PAGES,
		       "move to A with dirty logging");
		CHANGE(&c, AT_A, c.cur, 0, "dirty logging off");
	}

	/* The final slot, then the guest stops. */
	ASSERT_EQ(0, set_data_slot(&c, NOWHERE, c.cur, 0));
	ASSERT_EQ(0, set_data_slot(&c, AT_A, 2, 0));
	__atomic_store_n(&c.ctl->stop, 1, __ATOMIC_RELEASE);
	for (v = 0; v < NR_VCPUS; v++)
		ASSERT_EQ(0, pthread_join(c.cv[v].thread, NULL));

	for (v = 0; v < NR_VCPUS; v++) {
		TH_LOG("vCPU %u: %lu iterations, %lu MMIO reads, %lu MMIO writes",
		       v, c.ctl->progress[v], c.cv[v].nr_mmio_reads,
		       c.cv[v].nr_mmio_writes);
		for (k = 0; k < NR_WORDS; k++)
			EXPECT_EQ(guest_val(TAG_FINAL, v, k, k),
				  c.mem[2][word_off(v, k) / 8])
				TH_LOG("vCPU %u word %u", v, k);
	}
	/* Untouched words of the final backing keep the host's fill. */
	EXPECT_EQ(host_fill(2, 8), c.mem[2][1]);
	EXPECT_EQ(host_fill(2, DATA_SIZE - 8), c.mem[2][DATA_SIZE / 8 - 1]);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	TH_LOG("%u slot changes in %ld ms", c.nr_changes,
	       (t1.tv_sec - t0.tv_sec) * 1000 +
	       (t1.tv_nsec - t0.tv_nsec) / 1000000);
	kvm_vm_free(c.vm);
}

TEST_HARNESS_MAIN
