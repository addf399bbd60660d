// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dirty ring (KVM_CAP_DIRTY_LOG_RING, KVM_CAP_DIRTY_LOG_RING_ACQ_REL):
 * instead of a bitmap per slot, every vCPU has a ring of struct
 * kvm_dirty_gfn entries, mapped at page KVM_DIRTY_LOG_PAGE_OFFSET (64) of
 * the vCPU fd, into which KVM pushes (slot, page offset) with flags =
 * DIRTY whenever the vCPU dirties a page of a logged slot.  User space
 * harvests an entry by setting its flags to RESET; KVM_RESET_DIRTY_RINGS
 * then recycles the harvested entries at the head of each ring (flags back
 * to 0), re-protects their pages and returns how many it recycled.
 *
 * Checked here, as in-tree KVM 6.1 and 6.12 do it (virt/kvm/dirty_ring.c
 * and kvm_main.c): the capability's value (the largest ring in bytes),
 * the checks of KVM_ENABLE_CAP (a power of two, at least a page and the
 * reserved entries, at most the maximum, once, before any vCPU), that the
 * bitmap ioctls answer ENXIO once the ring is on, the mmap rules (shared,
 * not executable), exact ring contents for known guest writes on one and
 * on two vCPUs, partial and out-of-order harvesting, and the
 * KVM_EXIT_DIRTY_RING_FULL exit once a ring holds its size minus the
 * reserved entries (64, plus the 512-entry PML buffer with Intel PML).
 * Entries are compared as sets: with PML they are pushed when the PML
 * buffer is drained, not in write order.
 */
#include <sys/mman.h>

#include "kvmx_test.h"

#ifndef KVM_DIRTY_LOG_PAGE_OFFSET
#define KVM_DIRTY_LOG_PAGE_OFFSET	64
#endif
#ifndef KVM_RESET_DIRTY_RINGS
#define KVM_RESET_DIRTY_RINGS		_IO(KVMIO, 0xc7)
#endif
#define GFN_F_DIRTY	(1u << 0)
#define GFN_F_RESET	(1u << 1)

/* struct kvm_dirty_gfn of the Linux ABI. */
struct ring_gfn {
	uint32_t flags;
	uint32_t slot;
	uint64_t offset;
};

#define MAX_ENTRIES	65536		/* KVM_DIRTY_RING_MAX_ENTRIES */
#define RSVD_ENTRIES	64		/* KVM_DIRTY_RING_RSVD_ENTRIES */
#define PML_ENTRIES	512
#define RING_BYTES	16384		/* 1024 entries: enough even with PML */
#define RING_ENTRIES	(RING_BYTES / sizeof(struct ring_gfn))

#define TEST_SLOT	1
#define TEST_GPA	0x40000000UL
#define TEST_PAGES	128UL
#define SLOT2		2
#define SLOT2_GPA	0x50000000UL
#define SLOT2_PAGES	16UL

/* ---- guest ------------------------------------------------------------ */

enum { OP_WRITE = 1, OP_READ, OP_EXIT };
#define MAX_CMD_PAGES 32

struct guest_cmd {
	uint64_t op;
	uint64_t nr;
	uint64_t gpas[MAX_CMD_PAGES];
};
static struct guest_cmd guest_cmd;

static void guest_main(void)
{
	volatile struct guest_cmd *c = &guest_cmd;

	for (;;) {
		uint64_t i, sum = 0;

		switch (c->op) {
		case OP_WRITE:
			for (i = 0; i < c->nr; i++)
				*(volatile uint64_t *)c->gpas[i] = i + 1;
			break;
		case OP_READ:
			for (i = 0; i < c->nr; i++)
				sum += *(volatile uint64_t *)c->gpas[i];
			break;
		case OP_EXIT:
			return;
		}
		GUEST_SYNC(sum);
	}
}

/* Writes one qword to each of @n pages from @gpa on, then is done. */
static void guest_fill(uint64_t gpa, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		*(volatile uint64_t *)(gpa + i * PAGE_SIZE) = i + 1;
}

/* ---- host ------------------------------------------------------------- */

static int ring_cap(struct kvm_vm *vm, uint32_t cap)
{
	return vm_check_cap(vm, cap);
}

/* KVM_CAP_DIRTY_LOG_RING or _ACQ_REL, whichever the variant uses. */
static int enable_ring(struct kvm_vm *vm, uint32_t cap, uint64_t bytes)
{
	struct kvm_enable_cap ec = { .cap = cap, .args[0] = bytes };

	return ioctl(vm->fd, KVM_ENABLE_CAP, &ec);
}

static int reset_rings(struct kvm_vm *vm)
{
	return ioctl(vm->fd, KVM_RESET_DIRTY_RINGS, 0);
}

/* Whether Intel PML is on: KVM then reserves its buffer's 512 entries. */
static bool pml_enabled(void)
{
	FILE *f = fopen("/sys/module/kvm_intel/parameters/pml", "r");
	int c;

	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == 'Y' || c == '1';
}

struct ring {
	struct ring_gfn *e;
	uint32_t entries;
	uint32_t next;			/* first entry not collected yet */
	uint32_t base;			/* first entry KVM has not recycled */
};

static void ring_map(struct ring *r, struct kvm_vcpu *vcpu, uint32_t bytes)
{
	r->e = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd,
		    KVM_DIRTY_LOG_PAGE_OFFSET * PAGE_SIZE);
	TEST_ASSERT(r->e != MAP_FAILED, "mmap of the dirty ring: %s",
		    strerror(errno));
	r->entries = bytes / sizeof(struct ring_gfn);
	r->next = 0;
	r->base = 0;
}

static uint32_t entry_flags(struct ring *r, uint32_t i)
{
	return __atomic_load_n(&r->e[i % r->entries].flags, __ATOMIC_ACQUIRE);
}

/*
 * Collects the entries KVM published after r->next (flags == DIRTY) into
 * @slots/@offs (up to @max) and advances r->next; if @mark, sets their
 * flags to RESET.  Returns how many.
 */
static uint32_t ring_collect(struct ring *r, uint32_t *slots, uint64_t *offs,
			     uint32_t max, bool mark)
{
	uint32_t n = 0;

	while (r->next - r->base < r->entries &&
	       (entry_flags(r, r->next) & GFN_F_DIRTY)) {
		struct ring_gfn *g = &r->e[r->next % r->entries];

		if (n < max) {
			slots[n] = g->slot;
			offs[n] = g->offset;
		}
		if (mark)
			__atomic_store_n(&g->flags, GFN_F_RESET,
					 __ATOMIC_RELEASE);
		r->next++;
		n++;
	}
	return n;
}

/*
 * KVM_RESET_DIRTY_RINGS, then moves each ring's base past the entries KVM
 * recycled (flags 0 again; nothing can be pushed while no vCPU runs).
 */
static int ring_reset(struct kvm_vm *vm, struct ring *rings, int nr)
{
	int ret = reset_rings(vm), i;

	for (i = 0; i < nr; i++) {
		struct ring *r = &rings[i];

		while (r->base != r->next && entry_flags(r, r->base) == 0)
			r->base++;
	}
	return ret;
}

struct ctx {
	struct kvm_vm *vm;
	uint32_t cap;
};

static void guest_cmd_run(struct kvm_vcpu *vcpu, uint64_t op,
			  const uint64_t *gpas, int n)
{
	TEST_ASSERT(n <= MAX_CMD_PAGES, "too many pages");
	guest_cmd.op = op;
	guest_cmd.nr = n;
	memcpy(guest_cmd.gpas, gpas, n * sizeof(*gpas));
	sync_global_to_guest(vcpu->vm, guest_cmd);
	TEST_ASSERT(vcpu_run_ucall(vcpu, NULL) == (op == OP_EXIT ? UCALL_DONE
							       : UCALL_SYNC),
		    "guest command %lu", op);
}

/* The guest writes the given pages of slot 1 (page numbers). */
static void write_pages(struct kvm_vcpu *vcpu, const uint64_t *pages, int n)
{
	uint64_t gpas[MAX_CMD_PAGES];
	int i;

	for (i = 0; i < n; i++)
		gpas[i] = TEST_GPA + pages[i] * PAGE_SIZE;
	guest_cmd_run(vcpu, OP_WRITE, gpas, n);
}

/*
 * The ring's new entries must be exactly slot @slot, @pages (a set, any
 * order, no duplicates).  Returns the number of new entries.
 */
static uint32_t __check_ring(struct __test_metadata *_metadata, struct ring *r,
			     uint32_t slot, const uint64_t *pages, int n,
			     bool mark, int line)
{
	uint32_t slots[64], got, i;
	uint64_t offs[64];
	bool seen[64] = { false };
	int j;

	got = ring_collect(r, slots, offs, 64, mark);
	if (got != (uint32_t)n) {
		TH_LOG("line %d: %u new ring entries, expected %d", line, got, n);
		_metadata->passed = 0;
	}
	for (i = 0; i < got && i < 64; i++) {
		for (j = 0; j < n; j++)
			if (offs[i] == pages[j])
				break;
		if (slots[i] != slot || j == n || seen[j]) {
			TH_LOG("line %d: entry %u: slot 0x%x offset %lu%s", line,
			       r->next - got + i, slots[i], offs[i],
			       j < n && seen[j] ? " (again)" : " (unexpected)");
			_metadata->passed = 0;
		}
		if (j < n)
			seen[j] = true;
	}
	/* The entry after them is still KVM's. */
	if (entry_flags(r, r->next) != 0) {
		TH_LOG("line %d: entry %u flags 0x%x after the new ones", line,
		       r->next, entry_flags(r, r->next));
		_metadata->passed = 0;
	}
	return got;
}

#define CHECK_RING(r, slot, mark, ...) ({				\
	const uint64_t __p[] = { __VA_ARGS__ };				\
	__check_ring(_metadata, r, slot, __p, ARRAY_SIZE(__p), mark,	\
		     __LINE__);						\
})
#define CHECK_RING_EMPTY(r)						\
	__check_ring(_metadata, r, 0, NULL, 0, false, __LINE__)

#define SKIP_WITHOUT(vm, cap) do {					\
	if (!ring_cap(vm, cap)) {					\
		kvm_vm_free(vm);					\
		TEST_SKIP(return, "%s is 0", #cap);			\
	}								\
} while (0)

/* ---- capability and set-up checks -------------------------------------- */

TEST(ring_capability)
{
	struct kvm_vm *vm = vm_create_bare();
	int tso = ring_cap(vm, KVM_CAP_DIRTY_LOG_RING);
	int acq = ring_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);

	TH_LOG("KVM_CAP_DIRTY_LOG_RING %d, _ACQ_REL %d, PML %s", tso, acq,
	       pml_enabled() ? "on" : "off");
	SKIP_WITHOUT(vm, KVM_CAP_DIRTY_LOG_RING);
	/* The largest ring, in bytes; x86 offers both orderings. */
	EXPECT_EQ(MAX_ENTRIES * sizeof(struct ring_gfn), tso);
	EXPECT_EQ(tso, acq);
	EXPECT_EQ(tso, kvm_check_cap(KVM_CAP_DIRTY_LOG_RING));
	/* No bitmap next to the ring on x86. */
	EXPECT_EQ(0, ring_cap(vm, KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP));
	kvm_vm_free(vm);
}

TEST(ring_enable_checks)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_dirty_log log = { .slot = TEST_SLOT };
	struct kvm_clear_dirty_log clear = { .slot = TEST_SLOT, .num_pages = 64 };
	uint64_t bm[TEST_PAGES / 64];
	uint64_t max = MAX_ENTRIES * sizeof(struct ring_gfn);
	uint32_t cap = KVM_CAP_DIRTY_LOG_RING;

	SKIP_WITHOUT(vm, KVM_CAP_DIRTY_LOG_RING);
	log.dirty_bitmap = bm;
	clear.dirty_bitmap = bm;
	memset(bm, 0, sizeof(bm));
	vm_add_memslot(vm, TEST_SLOT, TEST_GPA, TEST_PAGES * PAGE_SIZE,
		       KVM_MEM_LOG_DIRTY_PAGES, NULL);

	/* Without a ring: the bitmap works, KVM_RESET_DIRTY_RINGS does not. */
	EXPECT_EQ(0, ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_ERRNO(EINVAL, reset_rings(vm));

	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, 0));
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, RING_BYTES + 16));
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, 3 * PAGE_SIZE));
	/* Smaller than a page, or than the reserved entries. */
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, PAGE_SIZE / 2));
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, RSVD_ENTRIES * 16));
	if (pml_enabled())
		EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, 8192));
	EXPECT_ERRNO(E2BIG, enable_ring(vm, cap, 2 * max));
	EXPECT_ERRNO(E2BIG, enable_ring(vm, cap, 1ULL << 31));
	/* The size is a u32: larger values are truncated first. */
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, 1ULL << 32));

	EXPECT_EQ(0, enable_ring(vm, cap, RING_BYTES));
	/* Only once, even with the same size or through the other cap. */
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, RING_BYTES));
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, max));
	if (ring_cap(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL))
		EXPECT_ERRNO(EINVAL, enable_ring(vm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
						 RING_BYTES));

	/* The ring replaces the bitmaps. */
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &clear));
	EXPECT_EQ(0, reset_rings(vm));
	kvm_vm_free(vm);

	/* Not once a vCPU exists. */
	vm = vm_create_bare();
	vm_vcpu_add_bare(vm, 0);
	EXPECT_ERRNO(EINVAL, enable_ring(vm, cap, RING_BYTES));
	kvm_vm_free(vm);
}

TEST(ring_mmap)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu;
	off_t off = KVM_DIRTY_LOG_PAGE_OFFSET * PAGE_SIZE;
	struct ring_gfn *e;
	uint32_t i, nonzero = 0;
	void *p;

	SKIP_WITHOUT(vm, KVM_CAP_DIRTY_LOG_RING);
	ASSERT_EQ(0, enable_ring(vm, KVM_CAP_DIRTY_LOG_RING, RING_BYTES));
	vcpu = vm_vcpu_add_bare(vm, 0);

	/* Private or executable mappings of the ring are refused. */
	p = mmap(NULL, RING_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 vcpu->fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, RING_BYTES, PROT_READ | PROT_EXEC, MAP_SHARED,
		 vcpu->fd, off);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* Even if only the last page is part of the ring. */
	p = mmap(NULL, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, vcpu->fd,
		 off - PAGE_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);

	/* A shared mapping works and starts out all zero. */
	e = mmap(NULL, RING_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		 vcpu->fd, off);
	ASSERT_NE(MAP_FAILED, e);
	for (i = 0; i < RING_ENTRIES; i++)
		nonzero += e[i].flags || e[i].slot || e[i].offset;
	EXPECT_EQ(0, nonzero);
	munmap(e, RING_BYTES);
	kvm_vm_free(vm);
}

/* ---- ring contents ----------------------------------------------------- */

/*
 * A long-mode VM with the ring on (before its vCPUs), @nr_vcpus vCPUs
 * running guest_main with their rings mapped, and two logged slots.
 */
static void ctx_init(struct ctx *c, uint32_t cap, int nr_vcpus,
		     struct kvm_vcpu **vcpus, struct ring *rings)
{
	int i;

	c->vm = vm_create_guest(NULL, guest_main);
	c->cap = cap;
	TEST_ASSERT(enable_ring(c->vm, cap, RING_BYTES) == 0,
		    "enabling the ring: %s", strerror(errno));
	for (i = 0; i < nr_vcpus; i++) {
		vcpus[i] = vm_vcpu_add_guest(c->vm, i, guest_main);
		ring_map(&rings[i], vcpus[i], RING_BYTES);
	}
	vm_add_memslot(c->vm, TEST_SLOT, TEST_GPA, TEST_PAGES * PAGE_SIZE,
		       KVM_MEM_LOG_DIRTY_PAGES, NULL);
	vm_add_memslot(c->vm, SLOT2, SLOT2_GPA, SLOT2_PAGES * PAGE_SIZE,
		       KVM_MEM_LOG_DIRTY_PAGES, NULL);
}

FIXTURE(ring) {
	struct ctx c;
};

FIXTURE_VARIANT(ring) {
	uint32_t cap;
};

FIXTURE_VARIANT_ADD(ring, tso) {
	.cap = KVM_CAP_DIRTY_LOG_RING,
};

FIXTURE_VARIANT_ADD(ring, acq_rel) {
	.cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL,
};

FIXTURE_SETUP(ring)
{
	struct kvm_vm *vm = vm_create_bare();

	self->c.vm = NULL;
	if (!ring_cap(vm, variant->cap)) {
		kvm_vm_free(vm);
		TEST_SKIP(return, "the ring capability %u is 0", variant->cap);
	}
	kvm_vm_free(vm);
}

FIXTURE_TEARDOWN(ring)
{
	if (self->c.vm)
		kvm_vm_free(self->c.vm);
}

TEST_F(ring, written_pages_in_ring)
{
	struct ctx *c = &self->c;
	struct kvm_vcpu *vcpu;
	struct ring ring, *r = &ring;
	uint64_t gpas[4];

	ctx_init(c, variant->cap, 1, &vcpu, &ring);
	CHECK_RING_EMPTY(r);

	/* Each page once, in slot 1's numbering; the repeated 5 is not new. */
	write_pages(vcpu, (const uint64_t[]){ 0, 5, 6, TEST_PAGES - 1, 5 }, 5);
	CHECK_RING(r, TEST_SLOT, false, 0, 5, 6, TEST_PAGES - 1);
	EXPECT_EQ(GFN_F_DIRTY, entry_flags(r, 0));

	/* Not harvested: the pages stay writable, no new entries. */
	write_pages(vcpu, (const uint64_t[]){ 5, 6, 0 }, 3);
	CHECK_RING_EMPTY(r);
	EXPECT_EQ(0, ring_reset(c->vm, r, 1));
	EXPECT_EQ(GFN_F_DIRTY, entry_flags(r, 3));

	/* Harvest all four: RESET recycles them. */
	r->next = 0;
	CHECK_RING(r, TEST_SLOT, true, 0, 5, 6, TEST_PAGES - 1);
	EXPECT_EQ(4, ring_reset(c->vm, r, 1));
	EXPECT_EQ(0, entry_flags(r, 0));
	EXPECT_EQ(0, entry_flags(r, 3));
	EXPECT_EQ(0, ring_reset(c->vm, r, 1));

	/* Re-protected: written again, they come back, after the old ones. */
	write_pages(vcpu, (const uint64_t[]){ 6, 64 }, 2);
	CHECK_RING(r, TEST_SLOT, false, 6, 64);
	EXPECT_EQ(6, r->next);

	/* Reads of mapped pages add nothing. */
	gpas[0] = TEST_GPA;
	gpas[1] = TEST_GPA + 5 * PAGE_SIZE;
	gpas[2] = TEST_GPA + 6 * PAGE_SIZE;
	gpas[3] = TEST_GPA + 64 * PAGE_SIZE;
	guest_cmd_run(vcpu, OP_READ, gpas, 4);
	CHECK_RING_EMPTY(r);

	/* The other slot's id, and its own offsets. */
	gpas[0] = SLOT2_GPA + 3 * PAGE_SIZE;
	gpas[1] = SLOT2_GPA + (SLOT2_PAGES - 1) * PAGE_SIZE;
	guest_cmd_run(vcpu, OP_WRITE, gpas, 2);
	CHECK_RING(r, SLOT2, false, 3, SLOT2_PAGES - 1);

	/*
	 * Out of order: harvesting entry 7 but not 6 recycles nothing (the
	 * reset stops at the first entry not harvested) ...
	 */
	__atomic_store_n(&r->e[7].flags, GFN_F_RESET, __ATOMIC_RELEASE);
	EXPECT_EQ(0, ring_reset(c->vm, r, 1));
	EXPECT_EQ(GFN_F_RESET, entry_flags(r, 7));
	/* ... then 4 and 5: those two are. */
	__atomic_store_n(&r->e[4].flags, GFN_F_RESET, __ATOMIC_RELEASE);
	__atomic_store_n(&r->e[5].flags, GFN_F_RESET, __ATOMIC_RELEASE);
	EXPECT_EQ(2, ring_reset(c->vm, r, 1));
	EXPECT_EQ(0, entry_flags(r, 5));
	EXPECT_EQ(GFN_F_DIRTY, entry_flags(r, 6));
	/* Pages 6 and 64 are protected again, slot 2's are not. */
	gpas[0] = TEST_GPA + 6 * PAGE_SIZE;
	gpas[1] = TEST_GPA + 64 * PAGE_SIZE;
	gpas[2] = SLOT2_GPA + 3 * PAGE_SIZE;
	gpas[3] = SLOT2_GPA + (SLOT2_PAGES - 1) * PAGE_SIZE;
	guest_cmd_run(vcpu, OP_WRITE, gpas, 4);
	CHECK_RING(r, TEST_SLOT, false, 6, 64);
	/* Then 6 too, and everything. */
	__atomic_store_n(&r->e[6].flags, GFN_F_RESET, __ATOMIC_RELEASE);
	EXPECT_EQ(2, ring_reset(c->vm, r, 1));
	r->next = 8;
	CHECK_RING(r, TEST_SLOT, true, 6, 64);
	EXPECT_EQ(2, ring_reset(c->vm, r, 1));
	EXPECT_EQ(0, ring_reset(c->vm, r, 1));
	guest_cmd_run(vcpu, OP_EXIT, NULL, 0);
}

/* Every vCPU has a ring of its own; one reset covers all. */
TEST_F(ring, rings_per_vcpu)
{
	struct ctx *c = &self->c;
	struct kvm_vcpu *vcpus[2];
	struct ring rings[2];

	ctx_init(c, variant->cap, 2, vcpus, rings);
	write_pages(vcpus[0], (const uint64_t[]){ 1, 2, 3 }, 3);
	write_pages(vcpus[1], (const uint64_t[]){ 10, 11 }, 2);
	/* The page both write is in the ring of the first. */
	write_pages(vcpus[1], (const uint64_t[]){ 2 }, 1);
	write_pages(vcpus[0], (const uint64_t[]){ 20 }, 1);
	CHECK_RING(&rings[0], TEST_SLOT, true, 1, 2, 3, 20);
	CHECK_RING(&rings[1], TEST_SLOT, true, 10, 11);
	EXPECT_EQ(6, ring_reset(c->vm, rings, 2));
	write_pages(vcpus[1], (const uint64_t[]){ 1, 10 }, 2);
	CHECK_RING_EMPTY(&rings[0]);
	CHECK_RING(&rings[1], TEST_SLOT, true, 1, 10);
	EXPECT_EQ(2, ring_reset(c->vm, rings, 2));
	guest_cmd_run(vcpus[0], OP_EXIT, NULL, 0);
	guest_cmd_run(vcpus[1], OP_EXIT, NULL, 0);
}

/*
 * A ring holding its soft limit (size minus the reserved entries) stops
 * the vCPU with KVM_EXIT_DIRTY_RING_FULL, again on every KVM_RUN, until
 * user space has harvested and reset it.  The exit comes after KVM handled
 * the write fault that filled the ring but before the guest retried the
 * write; the reset re-protects that page, so the retry logs it once more:
 * the first entry after a ring-full exit may repeat a page of the batch
 * before (so on 6.1 and 6.12), but no page is logged twice otherwise.
 */
#define FILL_PAGES	2048UL
#define FILL_GPA	0x60000000UL
#define FILL_SLOT	3

struct fill_state {
	uint16_t count[FILL_PAGES];
	uint32_t batch_of[FILL_PAGES];	/* batch of the page's last entry */
	uint32_t retries;
	int bad;
};

static void fill_account(struct __test_metadata *_metadata,
			 struct fill_state *f, uint32_t slot, uint64_t off,
			 uint32_t batch, bool first)
{
	if (slot != FILL_SLOT || off >= FILL_PAGES) {
		if (f->bad++ < 8)
			TH_LOG("batch %u: entry for slot %u offset %lu", batch,
			       slot, off);
		return;
	}
	if (f->count[off] && first && f->count[off] == 1 &&
	    f->batch_of[off] + 1 == batch) {
		f->retries++;
	} else if (f->count[off] && f->bad++ < 8) {
		TH_LOG("batch %u: page %lu again (last in batch %u)", batch,
		       off, f->batch_of[off]);
	}
	f->count[off]++;
	f->batch_of[off] = batch;
}

TEST_F(ring, ring_full_exit)
{
	struct ctx *c = &self->c;
	uint32_t rsvd = RSVD_ENTRIES + (pml_enabled() ? PML_ENTRIES : 0);
	uint32_t soft = RING_ENTRIES - rsvd, full_exits = 0, total = 0, i, n;
	static struct fill_state f;
	static uint32_t slots[RING_ENTRIES];
	static uint64_t offs[RING_ENTRIES];
	struct kvm_vcpu *vcpu;
	struct ring ring, *r = &ring;
	struct kvm_regs regs;
	struct ucall uc;

	memset(&f, 0, sizeof(f));
	ctx_init(c, variant->cap, 1, &vcpu, &ring);
	vm_add_memslot(c->vm, FILL_SLOT, FILL_GPA, FILL_PAGES * PAGE_SIZE,
		       KVM_MEM_LOG_DIRTY_PAGES, NULL);
	/* Restart the vCPU in guest_fill(FILL_GPA, FILL_PAGES). */
	vcpu_regs_get(vcpu, &regs);
	regs.rip = (uint64_t)(uintptr_t)guest_fill;
	vcpu_regs_set(vcpu, &regs);
	vcpu_set_args(vcpu, 2, FILL_GPA, FILL_PAGES);
	TH_LOG("%u entries, soft limit %u", (unsigned int)RING_ENTRIES, soft);

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != KVM_EXIT_DIRTY_RING_FULL)
			break;
		full_exits++;
		n = ring_collect(r, slots, offs, RING_ENTRIES, false);
		/* Without PML each fault pushes one entry: exactly full. */
		if (!pml_enabled())
			EXPECT_EQ(soft, n);
		ASSERT_GE(n, soft);
		ASSERT_LE(n, RING_ENTRIES);
		/* No progress until it is reset. */
		vcpu_run(vcpu);
		ASSERT_EQ(KVM_EXIT_DIRTY_RING_FULL, vcpu->run->exit_reason);
		EXPECT_EQ(0, ring_collect(r, slots, offs, 0, false));

		for (i = 0; i < n; i++) {
			fill_account(_metadata, &f, slots[i], offs[i],
				     full_exits, i == 0);
			__atomic_store_n(&r->e[(r->next - n + i) % r->entries].flags,
					 GFN_F_RESET, __ATOMIC_RELEASE);
		}
		EXPECT_EQ(n, ring_reset(c->vm, r, 1));
		total += n;
	}
	ASSERT_EQ(UCALL_DONE, get_ucall(vcpu, &uc));
	/* What is left is below the soft limit. */
	n = ring_collect(r, slots, offs, RING_ENTRIES, false);
	EXPECT_LT(n, soft);
	for (i = 0; i < n; i++)
		fill_account(_metadata, &f, slots[i], offs[i], full_exits + 1,
			     i == 0);
	total += n;
	for (i = 0; i < FILL_PAGES; i++) {
		if (!f.count[i] && f.bad++ < 8)
			TH_LOG("page %u: no entry", i);
	}
	TH_LOG("%u ring-full exits, %u entries, %u retried writes logged again",
	       full_exits, total, f.retries);
	EXPECT_EQ(0, f.bad);
	EXPECT_EQ(FILL_PAGES + f.retries, total);
	EXPECT_LE(f.retries, full_exits);
	EXPECT_GE(full_exits, 2);
}

TEST_HARNESS_MAIN
