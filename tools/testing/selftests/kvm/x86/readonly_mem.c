// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read-only memory slots (KVM_MEM_READONLY, KVM_CAP_READONLY_MEM): what
 * VMMs use for ROMs and flash.  The guest reads a read-only slot like RAM,
 * straight from the host's backing memory, including data the host changes
 * after the guest's first read (the host's write may replace the page the
 * guest had mapped: the shared zero page is copied on write).  A guest
 * store is not done: KVM emulates it as MMIO and exits with
 * KVM_EXIT_MMIO (is_write, phys_addr, len, data); the next KVM_RUN
 * resumes after the store and the backing memory is unchanged.  Code may
 * run from a read-only slot.  READONLY is fixed for the slot's life
 * (EINVAL when set or cleared on an existing slot), while dirty logging
 * may be toggled and records nothing for a slot that cannot be written.
 *
 * The guest's accesses are single MOV instructions (asm, not C, so that
 * the compiler cannot fold a load into a CMP or a store into something
 * else): the forms every MMIO emulator handles first.
 */
#include <sys/mman.h>

#include "kvmx_test.h"

#define RO_GPA		0x40000000UL	/* 1 GiB: inside the guest's map */
#define RO_PAGES	4
#define RO_SIZE		(RO_PAGES * PAGE_SIZE)

/* ---- guest accessors: one MOV each ----------------------------------- */

static inline uint64_t mov_load(uint64_t gpa, int size)
{
	uint64_t v = 0;

	switch (size) {
	case 1:
		asm volatile("movzbq (%1), %0" : "=r"(v) : "r"(gpa) : "memory");
		break;
	case 2:
		asm volatile("movzwq (%1), %0" : "=r"(v) : "r"(gpa) : "memory");
		break;
	case 4:
		asm volatile("movl (%1), %k0" : "=r"(v) : "r"(gpa) : "memory");
		break;
	default:
		asm volatile("movq (%1), %0" : "=r"(v) : "r"(gpa) : "memory");
		break;
	}
	return v;
}

/* MOV r/m, reg (opcodes 88/89). */
static inline void mov_store(uint64_t gpa, int size, uint64_t v)
{
	switch (size) {
	case 1:
		asm volatile("movb %b1, (%0)" : : "r"(gpa), "q"(v) : "memory");
		break;
	case 2:
		asm volatile("movw %w1, (%0)" : : "r"(gpa), "r"(v) : "memory");
		break;
	case 4:
		asm volatile("movl %k1, (%0)" : : "r"(gpa), "r"(v) : "memory");
		break;
	default:
		asm volatile("movq %1, (%0)" : : "r"(gpa), "r"(v) : "memory");
		break;
	}
}

/* ---- capability -------------------------------------------------------- */

TEST(cap_readonly_mem)
{
	struct kvm_vm *vm = vm_create_bare();

	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_READONLY_MEM));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_READONLY_MEM));
	kvm_vm_free(vm);
}

/* ---- reads ------------------------------------------------------------- */

static void guest_reads(uint64_t base)
{
	/* Data the host wrote before the first run, at each size. */
	GUEST_SYNC(mov_load(base, 8));
	GUEST_SYNC(mov_load(base + 8, 4));
	GUEST_SYNC(mov_load(base + 12, 2));
	GUEST_SYNC(mov_load(base + 14, 1));
	/* A word the host rewrites between these two reads. */
	GUEST_SYNC(mov_load(base + 0x100, 8));
	GUEST_SYNC(mov_load(base + 0x100, 8));
	/* A page the host had never touched (zero), then writes to. */
	GUEST_SYNC(mov_load(base + 2 * PAGE_SIZE + 0x40, 8));
	GUEST_SYNC(mov_load(base + 2 * PAGE_SIZE + 0x40, 8));
	/* The last byte of the slot. */
	GUEST_SYNC(mov_load(base + RO_SIZE - 1, 1));
}

/*
 * Reads come from the backing memory without an exit: every value arrives
 * in a ucall, and vcpu_expect_ucall() fails on any other exit (MMIO).
 */
TEST(guest_reads_host_data)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_reads);
	uint8_t *ro = vm_add_memslot(vm, 1, RO_GPA, RO_SIZE, KVM_MEM_READONLY,
				     NULL);

	*(uint64_t *)ro = 0x0123456789abcdefULL;
	*(uint64_t *)(ro + 8) = 0xfeedfacecafebeefULL;
	*(uint64_t *)(ro + 0x100) = 0x1111222233334444ULL;
	ro[RO_SIZE - 1] = 0xa5;
	vcpu_set_args(vcpu, 1, RO_GPA);

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x0123456789abcdefULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0xcafebeefULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0xfaceULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0xedULL);

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x1111222233334444ULL);
	*(uint64_t *)(ro + 0x100) = 0x5555666677778888ULL;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x5555666677778888ULL);

	/*
	 * The guest's read maps the shared zero page (the host never wrote
	 * here); the host's write gives the range a new page, which the
	 * guest must see from then on.
	 */
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	*(uint64_t *)(ro + 2 * PAGE_SIZE + 0x40) = 0x9999aaaabbbbccccULL;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x9999aaaabbbbccccULL);

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0xa5);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* ---- writes ------------------------------------------------------------ */

struct ro_store {
	uint64_t off;		/* from the slot's base */
	int size;
	uint64_t value;		/* what the guest stores (low size bytes) */
};

static const struct ro_store ro_stores[] = {
	{ 0x010, 1, 0x5a },
	{ 0x020, 2, 0xbeef },
	{ 0x030, 4, 0xdeadbeef },
	{ 0x040, 8, 0x0f1e2d3c4b5a6978ULL },
	{ 0x053, 4, 0x13572468 },			/* misaligned */
	{ 0x069, 8, 0x8877665544332211ULL },		/* misaligned */
	{ PAGE_SIZE + 0x80, 8, 0x2468ace013579bdfULL },	/* second page */
	{ 3 * PAGE_SIZE + 0x100, 4, 0x600dcafe },	/* never touched */
	{ RO_SIZE - 8, 8, 0xa1b2c3d4e5f60718ULL },	/* last word */
};

/*
 * For each store: SYNC(1) before it, the store, then SYNC of the value
 * read back from the same address with the same size.
 */
static void guest_stores(uint64_t base)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ro_stores); i++) {
		const struct ro_store *s = &ro_stores[i];

		GUEST_SYNC(1);
		mov_store(base + s->off, s->size, s->value);
		GUEST_SYNC(mov_load(base + s->off, s->size));
	}
}

static uint64_t size_mask(int size)
{
	return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static void check_stores(struct __test_metadata *_metadata,
			 struct kvm_vcpu *vcpu, const uint8_t *ro,
			 const uint8_t *orig)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ro_stores); i++) {
		const struct ro_store *s = &ro_stores[i];
		uint64_t old = 0;

		vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
		vcpu_run(vcpu);
		vcpu_assert_mmio(vcpu, true, RO_GPA + s->off, s->size);
		EXPECT_EQ(s->value & size_mask(s->size), vcpu_mmio_data(vcpu))
			TH_LOG("store %u: %d bytes at +0x%lx", i, s->size, s->off);
		/* Nothing reached memory... */
		EXPECT_EQ(0, memcmp(ro, orig, RO_SIZE))
			TH_LOG("store %u changed the read-only slot's memory", i);
		/* ... and the guest, resumed past the store, reads the old data. */
		memcpy(&old, orig + s->off, s->size);
		vcpu_expect_ucall(vcpu, UCALL_SYNC, old);
	}
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
}

/* Fills the first three pages (the fourth stays untouched: zero). */
static void fill_ro(uint8_t *ro, uint8_t *orig)
{
	unsigned int i;

	for (i = 0; i < 3 * PAGE_SIZE; i++)
		ro[i] = (uint8_t)(i * 7 + 3);
	memcpy(orig, ro, 3 * PAGE_SIZE);
	memset(orig + 3 * PAGE_SIZE, 0, RO_SIZE - 3 * PAGE_SIZE);
}

TEST(guest_store_is_mmio_write)
{
	static uint8_t orig[RO_SIZE];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_stores);
	uint8_t *ro = vm_add_memslot(vm, 1, RO_GPA, RO_SIZE, KVM_MEM_READONLY,
				     NULL);

	fill_ro(ro, orig);
	vcpu_set_args(vcpu, 1, RO_GPA);
	check_stores(_metadata, vcpu, ro, orig);
	kvm_vm_free(vm);
}

/*
 * MOV r/m, imm (opcodes C6/C7): the data of the exit is the immediate,
 * sign-extended to 64 bits for the 8-byte form (SDM Vol. 2B, MOV).
 */
static void guest_store_imm(uint64_t base)
{
	asm volatile("movb $0x81, (%0)" : : "r"(base) : "memory");
	asm volatile("movw $0x8182, 2(%0)" : : "r"(base) : "memory");
	asm volatile("movl $0x81828384, 4(%0)" : : "r"(base) : "memory");
	asm volatile("movq $-0x7e7d7c7c, 8(%0)" : : "r"(base) : "memory");
	GUEST_SYNC(mov_load(base + 8, 8));
}

TEST(guest_store_immediate_is_mmio_write)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu,
					    (void (*)(void))guest_store_imm);
	uint64_t *ro = vm_add_memslot(vm, 1, RO_GPA, RO_SIZE, KVM_MEM_READONLY,
				      NULL);
	static const struct { uint64_t off; int len; uint64_t data; } exp[] = {
		{ 0, 1, 0x81 },
		{ 2, 2, 0x8182 },
		{ 4, 4, 0x81828384 },
		{ 8, 8, 0xffffffff81828384ULL },
	};
	unsigned int i;

	ro[0] = 0x0102030405060708ULL;
	ro[1] = 0x1112131415161718ULL;
	vcpu_set_args(vcpu, 1, RO_GPA);
	for (i = 0; i < ARRAY_SIZE(exp); i++) {
		vcpu_run(vcpu);
		vcpu_assert_mmio(vcpu, true, RO_GPA + exp[i].off, exp[i].len);
		EXPECT_EQ(exp[i].data, vcpu_mmio_data(vcpu)) TH_LOG("store %u", i);
	}
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x1112131415161718ULL);
	EXPECT_EQ(0x0102030405060708ULL, ro[0]);
	EXPECT_EQ(0x1112131415161718ULL, ro[1]);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * Dirty logging on a read-only slot: accepted, and the slot stays
 * read-only; no page is ever logged since the guest cannot write one.
 */
TEST(dirty_logging_on_readonly_slot)
{
	static uint8_t orig[RO_SIZE];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_stores);
	uint8_t *ro = vm_add_memslot(vm, 1, RO_GPA, RO_SIZE, KVM_MEM_READONLY,
				     NULL);
	uint64_t bitmap[1] = { ~0ULL };
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bitmap };

	fill_ro(ro, orig);
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1,
			KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
			RO_GPA, RO_SIZE, ro));
	vcpu_set_args(vcpu, 1, RO_GPA);
	check_stores(_metadata, vcpu, ro, orig);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log));
	EXPECT_EQ(0, bitmap[0]);
	kvm_vm_free(vm);
}

/* ---- code in a read-only slot ------------------------------------------ */

static void guest_call_rom(uint64_t fn)
{
	GUEST_SYNC(((uint64_t (*)(void))fn)());
}

TEST(guest_executes_from_readonly_slot)
{
	/* mov $0x600dc0de, %eax; ret */
	static const uint8_t code[] = { 0xb8, 0xde, 0xc0, 0x0d, 0x60, 0xc3 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_call_rom);
	uint8_t *ro = vm_add_memslot(vm, 1, RO_GPA, RO_SIZE, KVM_MEM_READONLY,
				     NULL);

	memcpy(ro + PAGE_SIZE, code, sizeof(code));
	vcpu_set_args(vcpu, 1, RO_GPA + PAGE_SIZE);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x600dc0de);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* ---- what may change in a read-only slot ------------------------------- */

#define MB (1UL << 20)

FIXTURE(flags) {
	struct kvm_vm *vm;
	uint8_t *mem;		/* 4 MiB */
};

FIXTURE_SETUP(flags)
{
	self->vm = vm_create_bare();
	self->mem = mmap(NULL, 4 * MB, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(flags)
{
	kvm_vm_free(self->vm);
	munmap(self->mem, 4 * MB);
}

#define SET(slot, flags, gpa, size, hva) \
	__vm_set_user_memory_region(self->vm, slot, flags, gpa, size, hva)

TEST_F(flags, readonly_cannot_be_cleared)
{
	ASSERT_EQ(0, SET(1, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(1, 0, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(1, KVM_MEM_LOG_DIRTY_PAGES, 0, 2 * MB,
				 self->mem));
	/* Not even together with a move. */
	EXPECT_ERRNO(EINVAL, SET(1, 0, 4 * MB, 2 * MB, self->mem));
	/* Setting it again as it is succeeds. */
	EXPECT_EQ(0, SET(1, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
}

TEST_F(flags, readonly_cannot_be_set)
{
	ASSERT_EQ(0, SET(1, 0, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(1, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(1, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
				 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(1, KVM_MEM_READONLY, 4 * MB, 2 * MB,
				 self->mem));
	ASSERT_EQ(0, SET(2, KVM_MEM_LOG_DIRTY_PAGES, 2 * MB, 2 * MB,
			 self->mem + 2 * MB));
	EXPECT_ERRNO(EINVAL, SET(2, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
				 2 * MB, 2 * MB, self->mem + 2 * MB));
}

TEST_F(flags, readonly_slot_dirty_log_toggle_and_move)
{
	ASSERT_EQ(0, SET(1, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
	EXPECT_EQ(0, SET(1, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES, 0,
			 2 * MB, self->mem));
	EXPECT_EQ(0, SET(1, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
	/* A read-only slot may move (keeping READONLY). */
	EXPECT_EQ(0, SET(1, KVM_MEM_READONLY, 8 * MB, 2 * MB, self->mem));
	/* Deleting it takes no flags. */
	EXPECT_EQ(0, SET(1, 0, 8 * MB, 0, NULL));
	/* Once gone, the id may come back writable. */
	EXPECT_EQ(0, SET(1, 0, 0, 2 * MB, self->mem));
}

/* -1 with errno @err, else a failure that says which flags were tried. */
#define EXPECT_ERRNO_FLAGS(err, expr, flags) do {			\
	int __r, __e;							\
									\
	errno = 0;							\
	__r = (expr);							\
	__e = errno;							\
	EXPECT_EQ(-1, __r) TH_LOG("%s, flags 0x%x", #expr, flags);	\
	EXPECT_EQ(err, __e) TH_LOG("%s, flags 0x%x: errno %s", #expr,	\
				   flags, strerrorname_np(__e) ?: "0");	\
} while (0)

TEST_F(flags, unknown_flags_einval)
{
	/* Bit 2 is KVM_MEM_GUEST_MEMFD (6.8+): only for ..._REGION2. */
	static const uint32_t bad[] = { 1u << 2, 1u << 3, 1u << 8, 1u << 16,
					1u << 31 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint32_t f = bad[i], rof = KVM_MEM_READONLY | bad[i];

		EXPECT_ERRNO_FLAGS(EINVAL, SET(1, f, 0, 2 * MB, self->mem), f);
		EXPECT_ERRNO_FLAGS(EINVAL, SET(1, rof, 0, 2 * MB, self->mem),
				   rof);
	}
	ASSERT_EQ(0, SET(1, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		uint32_t f = bad[i], rof = KVM_MEM_READONLY | bad[i];

		/* On the existing slot... */
		EXPECT_ERRNO_FLAGS(EINVAL, SET(1, rof, 0, 2 * MB, self->mem),
				   rof);
		/* ... nor as part of its deletion. */
		EXPECT_ERRNO_FLAGS(EINVAL, SET(1, f, 0, 0, NULL), f);
	}
	/* The slot is still there, unchanged: the same range is taken. */
	EXPECT_ERRNO(EEXIST, SET(2, 0, 0, 2 * MB, self->mem + 2 * MB));
	EXPECT_EQ(0, SET(1, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
}

TEST_HARNESS_MAIN
