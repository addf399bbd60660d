// SPDX-License-Identifier: GPL-2.0-only
/*
 * Many memory slots at once.  KVM_CAP_NR_MEMSLOTS reports how many slots
 * an address space may have: at least 509 (what KVM offered before 5.x;
 * in-tree reports 32764 today), and every id below it is usable while the
 * id equal to it is EINVAL.  A guest reads a marker the host wrote into
 * each of 509 one-page slots at distinct addresses (slot ids in the
 * opposite order of the addresses, a gap between neighbours) and reports
 * a checksum; after every other slot is deleted, the guest's reads of the
 * deleted ones become KVM_EXIT_MMIO at the right address (answered by the
 * host with a value the guest checks) while the rest still read their
 * markers; slots re-created with new backing show the new data.  Among
 * the many slots, overlaps are EEXIST and bad sizes or alignment EINVAL.
 */
#include <sys/mman.h>

#include "kvmx_test.h"

#define MANY_N		509
#define MANY_BASE	0x40000000UL	/* 1 GiB: inside the guest's map */
#define MANY_STRIDE	(2 * PAGE_SIZE)	/* one page of slot, one of gap */

/* Slot i (0-based position) sits at a GPA ascending with i... */
static inline uint64_t many_gpa(unsigned int i)
{
	return MANY_BASE + (uint64_t)i * MANY_STRIDE;
}

/* ... has the id descending with i (slot 0 is the binary's) ... */
static inline uint32_t many_id(unsigned int i)
{
	return MANY_N - i;
}

/* ... and its marker at an offset that differs from slot to slot. */
static inline uint64_t many_off(unsigned int i)
{
	return (i * 72UL) % (PAGE_SIZE - 8) & ~7UL;
}

static inline uint64_t marker(unsigned int i, unsigned int gen)
{
	return 0x6d61726b00000000ULL | (uint64_t)gen << 24 |
	       (uint64_t)many_id(i) << 8 | (i & 0xff);
}

/* What the host answers a read of a deleted slot's marker address with. */
static inline uint64_t mmio_answer(unsigned int i)
{
	return 0x4d4d494f00000000ULL | (uint64_t)i << 12 | 0x5a5;
}

static inline uint64_t mov_load64(uint64_t gpa)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(gpa) : "memory");
	return v;
}

/* Guest data: the value the guest must read from each slot in this pass. */
uint64_t many_want[MANY_N];

/*
 * Each pass reads every slot's marker address in ascending order, checks
 * the value and reports the sum of all values.
 */
static void guest_read_all(void)
{
	for (;;) {
		uint64_t sum = 0;
		unsigned int i;

		for (i = 0; i < MANY_N; i++) {
			uint64_t v = mov_load64(many_gpa(i) + many_off(i));

			GUEST_ASSERT_MSG(v == many_want[i],
					 "slot at 0x%lx (id %u): read 0x%lx, want 0x%lx",
					 many_gpa(i), many_id(i), v, many_want[i]);
			sum += v;
		}
		GUEST_SYNC(sum);
	}
}

FIXTURE(many) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int nr_memslots;
	uint8_t *mem[2];	/* MANY_N pages each: first and second backing */
	uint8_t *hva[MANY_N];	/* current backing page of each slot */
	bool present[MANY_N];
};

static int set_slot(struct kvm_vm *vm, unsigned int i, void *hva)
{
	return __vm_set_user_memory_region(vm, many_id(i), 0, many_gpa(i),
					   hva ? PAGE_SIZE : 0, hva);
}

FIXTURE_SETUP(many)
{
	unsigned int i, b;

	self->nr_memslots = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);
	/* Slot 0 (the binary) and MANY_N more. */
	ASSERT_GE(self->nr_memslots, MANY_N + 1);
	self->vm = vm_create_guest(&self->vcpu, guest_read_all);
	for (b = 0; b < 2; b++) {
		self->mem[b] = mmap(NULL, MANY_N * PAGE_SIZE,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, self->mem[b]);
	}
	for (i = 0; i < MANY_N; i++) {
		self->hva[i] = self->mem[0] + i * PAGE_SIZE;
		*(uint64_t *)(self->hva[i] + many_off(i)) = marker(i, 1);
		ASSERT_EQ(0, set_slot(self->vm, i, self->hva[i]))
			TH_LOG("slot id %u at 0x%lx: errno %d", many_id(i),
			       many_gpa(i), errno);
		self->present[i] = true;
	}
}

FIXTURE_TEARDOWN(many)
{
	unsigned int b;

	kvm_vm_free(self->vm);
	for (b = 0; b < 2; b++)
		if (self->mem[b] && self->mem[b] != MAP_FAILED)
			munmap(self->mem[b], MANY_N * PAGE_SIZE);
}

/*
 * One guest pass: the values the guest must read are those in each
 * present slot's backing, and mmio_answer() for the others, whose reads
 * must exit as 8-byte MMIO reads at the marker's address, in order.
 */
static void run_pass(struct __test_metadata *_metadata,
		     FIXTURE_DATA(many) *self)
{
	struct kvm_vcpu *vcpu = self->vcpu;
	uint64_t sum = 0;
	unsigned int i, next = 0, nr_mmio = 0, nr_absent = 0;
	struct ucall uc;

	for (i = 0; i < MANY_N; i++) {
		if (self->present[i]) {
			many_want[i] = *(uint64_t *)(self->hva[i] + many_off(i));
		} else {
			many_want[i] = mmio_answer(i);
			nr_absent++;
		}
		sum += many_want[i];
	}
	sync_global_to_guest(self->vm, many_want);

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != KVM_EXIT_MMIO)
			break;
		/* The next deleted slot in address order. */
		while (next < MANY_N && self->present[next])
			next++;
		ASSERT_LT(next, MANY_N)
			TH_LOG("MMIO exit at 0x%llx past the last deleted slot",
			       vcpu->run->mmio.phys_addr);
		vcpu_assert_mmio(vcpu, false, many_gpa(next) + many_off(next), 8);
		vcpu_mmio_set_data(vcpu, mmio_answer(next));
		next++;
		nr_mmio++;
	}
	if (get_ucall(vcpu, &uc) != UCALL_SYNC) {
		vcpu_dump_exit(stderr, vcpu);
		ASSERT_EQ(UCALL_SYNC, uc.cmd)
			TH_LOG("guest: line %lu: %s", uc.line, uc.msg);
	}
	EXPECT_EQ(sum, uc.args[0]);
	EXPECT_EQ(nr_absent, nr_mmio);
}

TEST(cap_nr_memslots)
{
	struct kvm_vm *vm = vm_create_bare();
	int n = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);

	TH_LOG("KVM_CAP_NR_MEMSLOTS: %d", n);
	EXPECT_GE(n, 509);
	EXPECT_EQ(n, vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS));
	kvm_vm_free(vm);
}

TEST_F(many, guest_reads_every_slot)
{
	run_pass(_metadata, self);
	/* The same again: now from established mappings. */
	run_pass(_metadata, self);
}

TEST_F(many, deleted_slots_become_mmio)
{
	unsigned int i;

	run_pass(_metadata, self);
	for (i = 0; i < MANY_N; i += 2) {
		ASSERT_EQ(0, set_slot(self->vm, i, NULL))
			TH_LOG("slot id %u", many_id(i));
		self->present[i] = false;
	}
	run_pass(_metadata, self);

	/*
	 * Back with other pages and new markers; the kept slots' markers
	 * change in place.  Nothing may come from a stale mapping.
	 */
	for (i = 0; i < MANY_N; i++) {
		if (self->present[i]) {
			*(uint64_t *)(self->hva[i] + many_off(i)) = marker(i, 3);
			continue;
		}
		self->hva[i] = self->mem[1] + i * PAGE_SIZE;
		*(uint64_t *)(self->hva[i] + many_off(i)) = marker(i, 2);
		ASSERT_EQ(0, set_slot(self->vm, i, self->hva[i]))
			TH_LOG("slot id %u", many_id(i));
		self->present[i] = true;
	}
	run_pass(_metadata, self);

	/* The other half goes now. */
	for (i = 1; i < MANY_N; i += 2) {
		ASSERT_EQ(0, set_slot(self->vm, i, NULL))
			TH_LOG("slot id %u", many_id(i));
		self->present[i] = false;
	}
	run_pass(_metadata, self);
}

TEST_F(many, overlaps_eexist)
{
	struct kvm_vm *vm = self->vm;
	uint32_t id = MANY_N + 1;	/* not in use */
	uint8_t *spare = self->mem[1];
	unsigned int i = 100;

	/* Exactly one existing slot's page. */
	EXPECT_ERRNO(EEXIST, __vm_set_user_memory_region(vm, id, 0, many_gpa(i),
							 PAGE_SIZE, spare));
	/* A gap and the next slot. */
	EXPECT_ERRNO(EEXIST, __vm_set_user_memory_region(vm, id, 0,
			many_gpa(i) + PAGE_SIZE, 2 * PAGE_SIZE, spare));
	/* The page before a slot and the slot. */
	EXPECT_ERRNO(EEXIST, __vm_set_user_memory_region(vm, id, 0,
			many_gpa(i) - PAGE_SIZE, 2 * PAGE_SIZE, spare));
	/* All of them at once. */
	EXPECT_ERRNO(EEXIST, __vm_set_user_memory_region(vm, id, 0, MANY_BASE,
			MANY_N * MANY_STRIDE, spare));
	/* The binary's slot 0. */
	EXPECT_ERRNO(EEXIST, __vm_set_user_memory_region(vm, id, 0, 0x400000,
							 PAGE_SIZE, spare));
	/* An existing slot moved onto its neighbour. */
	EXPECT_ERRNO(EEXIST, __vm_set_user_memory_region(vm, many_id(i), 0,
			many_gpa(i + 1), PAGE_SIZE, self->hva[i]));
	/* A gap is free: taken by a new slot, then the slot goes again. */
	EXPECT_EQ(0, __vm_set_user_memory_region(vm, id, 0,
			many_gpa(i) + PAGE_SIZE, PAGE_SIZE, spare));
	EXPECT_EQ(0, __vm_set_user_memory_region(vm, id, 0,
			many_gpa(i) + PAGE_SIZE, 0, NULL));
	/* An existing slot may move into a gap. */
	EXPECT_EQ(0, __vm_set_user_memory_region(vm, many_id(i), 0,
			many_gpa(i) + PAGE_SIZE, PAGE_SIZE, self->hva[i]));
	EXPECT_EQ(0, set_slot(vm, i, self->hva[i]));
	/* Nothing changed for the guest. */
	run_pass(_metadata, self);
}

TEST_F(many, bad_size_or_alignment_einval)
{
	struct kvm_vm *vm = self->vm;
	uint32_t id = MANY_N + 1;
	uint8_t *spare = self->mem[1];
	uint64_t gap = many_gpa(7) + PAGE_SIZE;

	/* More pages than a slot may have (2^31 - 1 in-tree). */
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, id, 0, gap,
							 1UL << 43, spare));
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, id, 0, gap,
							 1UL << 50, spare));
	/* guest_phys_addr + memory_size wraps around. */
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, id, 0,
			-PAGE_SIZE, 2 * PAGE_SIZE, spare));
	/* Not page aligned: GPA, size, host address. */
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, id, 0, gap + 0x800,
							 PAGE_SIZE, spare));
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, id, 0, gap,
							 PAGE_SIZE / 2, spare));
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, id, 0, gap,
							 PAGE_SIZE + 8, spare));
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, id, 0, gap,
							 PAGE_SIZE, spare + 8));
	/* The same for an existing slot. */
	EXPECT_ERRNO(EINVAL, set_slot(vm, 7, self->hva[7] + 8));
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, many_id(7), 0,
			many_gpa(7) + 0x800, PAGE_SIZE, self->hva[7]));
	/* An existing slot cannot grow (into its gap) or shrink. */
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, many_id(7), 0,
			many_gpa(7), 2 * PAGE_SIZE, self->hva[7]));
	/* Nothing changed for the guest. */
	run_pass(_metadata, self);
}

/* ---- the highest slot ids ---------------------------------------------- */

#define HIGH_GPA	0x80000000UL	/* 2 GiB */

static void guest_read3(uint64_t a, uint64_t b, uint64_t c)
{
	GUEST_SYNC(mov_load64(a) ^ mov_load64(b) ^ mov_load64(c));
	GUEST_SYNC(mov_load64(a));
}

/* Ids up to KVM_CAP_NR_MEMSLOTS - 1 work; the cap itself and above not. */
TEST(highest_slot_ids)
{
	int cap = kvm_check_cap(KVM_CAP_NR_MEMSLOTS);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint32_t ids[3];
	uint8_t *mem;
	unsigned int k;

	ASSERT_GE(cap, 3);
	ids[0] = cap - 1;
	ids[1] = cap - 2;
	ids[2] = cap / 2;
	vm = vm_create_guest(&vcpu, (void (*)(void))guest_read3);
	mem = mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);

	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, cap, 0, HIGH_GPA,
							 PAGE_SIZE, mem));
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, cap + 1, 0,
			HIGH_GPA, PAGE_SIZE, mem));
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, 0xffff, 0,
			HIGH_GPA, PAGE_SIZE, mem));
	for (k = 0; k < 3; k++) {
		*(uint64_t *)(mem + k * PAGE_SIZE) = 0x1d00000000ULL * (k + 1) + ids[k];
		ASSERT_EQ(0, __vm_set_user_memory_region(vm, ids[k], 0,
				HIGH_GPA + k * 2 * PAGE_SIZE, PAGE_SIZE,
				mem + k * PAGE_SIZE)) TH_LOG("slot id %u", ids[k]);
	}
	/* Deleting the cap's id: EINVAL too (it cannot exist). */
	EXPECT_ERRNO(EINVAL, __vm_set_user_memory_region(vm, cap, 0, HIGH_GPA,
							 0, NULL));

	vcpu_set_args(vcpu, 3, HIGH_GPA, HIGH_GPA + 2 * PAGE_SIZE,
		      HIGH_GPA + 4 * PAGE_SIZE);
	vcpu_expect_ucall(vcpu, UCALL_SYNC,
			  *(uint64_t *)mem ^ *(uint64_t *)(mem + PAGE_SIZE) ^
			  *(uint64_t *)(mem + 2 * PAGE_SIZE));
	/* The top slot deleted: its address is MMIO now. */
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, ids[0], 0, HIGH_GPA, 0,
						 NULL));
	vcpu_run(vcpu);
	vcpu_assert_mmio(vcpu, false, HIGH_GPA, 8);
	vcpu_mmio_set_data(vcpu, 0x0123456789abcdefULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x0123456789abcdefULL);
	kvm_vm_free(vm);
	munmap(mem, 4 * PAGE_SIZE);
}

TEST_HARNESS_MAIN
