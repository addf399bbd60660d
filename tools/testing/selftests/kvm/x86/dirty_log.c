// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty-page logging through the bitmap interface: KVM_MEM_LOG_DIRTY_PAGES,
 * KVM_GET_DIRTY_LOG and, with KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
 * KVM_CLEAR_DIRTY_LOG.
 *
 * A 64-bit guest writes or reads pages of a logged slot on command and the
 * host checks that the log holds exactly the written pages: in the classic
 * mode a GET returns the pages written since the previous GET and
 * re-protects them, so the next GET is empty until the guest writes again;
 * reads of mapped pages never show up.  With manual protection a GET only
 * reports, bits stay until KVM_CLEAR_DIRTY_LOG clears (and re-protects) a
 * range, and with KVM_DIRTY_LOG_INITIALLY_SET a freshly logged slot reads
 * as all dirty.
 * Logging is switched on for slots the guest has already mapped writable,
 * so KVM must take write access away when the flag appears.
 *
 * The errnos are those of in-tree KVM (virt/kvm/kvm_main.c, the same in
 * 6.1 and 6.12, checked on both): ENOENT for a slot without a dirty bitmap
 * or no slot at all, EINVAL for a slot id or address space out of range,
 * EINVAL for a CLEAR range that is not 64-page aligned (except at the slot
 * end) or goes past the slot.  KVM_CLEAR_DIRTY_LOG does not require the
 * capability: it clears and re-protects in either mode.
 *
 * The test slot has 552 pages, not a multiple of 64, so that the last
 * bitmap word is partial: KVM copies ALIGN(npages, 64) / 8 bytes and the
 * bits past the slot's end are zero.
 */
#include <sys/mman.h>

#include "kvmx_test.h"

#ifndef KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE	(1 << 0)
#define KVM_DIRTY_LOG_INITIALLY_SET		(1 << 1)
#endif
#define MANUAL_CAPS (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
		     KVM_DIRTY_LOG_INITIALLY_SET)

#define TEST_SLOT	1
#define TEST_GPA	0x40000000UL	/* 1 GiB: identity mapped by the guest */
#define TEST_PAGES	552UL
#define TEST_SIZE	(TEST_PAGES * PAGE_SIZE)
#define LAST_PAGE	(TEST_PAGES - 1)
#define BM_WORDS	((TEST_PAGES + 63) / 64)
#define CANARY		0xa5a5a5a5a5a5a5a5ULL

/* ---- guest ------------------------------------------------------------ */

enum { OP_WRITE = 1, OP_READ, OP_EXIT };

#define MAX_CMD_PAGES 16

/* The command the guest carries out next (the host syncs it in). */
struct guest_cmd {
	uint64_t op;
	uint64_t nr;
	uint64_t val;
	uint64_t pages[MAX_CMD_PAGES];
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
				*(volatile uint64_t *)(TEST_GPA + c->pages[i] *
						       PAGE_SIZE) = c->val + i;
			break;
		case OP_READ:
			for (i = 0; i < c->nr; i++)
				sum += *(volatile uint64_t *)(TEST_GPA +
							      c->pages[i] *
							      PAGE_SIZE);
			break;
		case OP_EXIT:
			return;
		default:
			GUEST_ASSERT_MSG(0, "bad op %lu", c->op);
		}
		GUEST_SYNC(sum);
	}
}

/* ---- host ------------------------------------------------------------- */

struct ctx {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem;		/* host mapping of the test slot */
	uint64_t bm[BM_WORDS + 2];	/* the log, then two canary words */
};

static void ctx_init(struct ctx *c, uint32_t flags)
{
	c->vm = vm_create_guest(&c->vcpu, guest_main);
	c->mem = vm_add_memslot(c->vm, TEST_SLOT, TEST_GPA, TEST_SIZE, flags,
				NULL);
}

static void set_logging(struct ctx *c, bool on)
{
	int r = __vm_set_user_memory_region(c->vm, TEST_SLOT,
					    on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
					    TEST_GPA, TEST_SIZE, c->mem);

	TEST_ASSERT(r == 0, "KVM_SET_USER_MEMORY_REGION (logging %s): %s",
		    on ? "on" : "off", strerror(errno));
}

static uint64_t page_val(struct ctx *c, uint64_t page)
{
	return *(volatile uint64_t *)(c->mem + page * PAGE_SIZE);
}

/* The guest writes val, val + 1, ... to the first qword of each page. */
static void guest_write(struct ctx *c, const uint64_t *pages, int n,
			uint64_t val)
{
	int i;

	TEST_ASSERT(n <= MAX_CMD_PAGES, "too many pages");
	guest_cmd.op = OP_WRITE;
	guest_cmd.nr = n;
	guest_cmd.val = val;
	memcpy(guest_cmd.pages, pages, n * sizeof(*pages));
	sync_global_to_guest(c->vm, guest_cmd);
	vcpu_expect_ucall(c->vcpu, UCALL_SYNC, 0);
	for (i = 0; i < n; i++)
		TEST_ASSERT(page_val(c, pages[i]) == val + i,
			    "guest write to page %lu not in host memory",
			    pages[i]);
}

/* The guest reads the pages; the sum must match host memory. */
static void guest_read(struct ctx *c, const uint64_t *pages, int n)
{
	uint64_t sum = 0;
	int i;

	TEST_ASSERT(n <= MAX_CMD_PAGES, "too many pages");
	guest_cmd.op = OP_READ;
	guest_cmd.nr = n;
	memcpy(guest_cmd.pages, pages, n * sizeof(*pages));
	for (i = 0; i < n; i++)
		sum += page_val(c, pages[i]);
	sync_global_to_guest(c->vm, guest_cmd);
	vcpu_expect_ucall(c->vcpu, UCALL_SYNC, sum);
}

static void ctx_free(struct ctx *c)
{
	guest_cmd.op = OP_EXIT;
	sync_global_to_guest(c->vm, guest_cmd);
	vcpu_expect_ucall(c->vcpu, UCALL_DONE, 0);
	kvm_vm_free(c->vm);
}

static int __get_log(struct kvm_vm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
}

static int __clear_log(struct kvm_vm *vm, uint32_t slot, uint64_t first,
		       uint32_t num, void *bitmap)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot, .first_page = first, .num_pages = num,
		.dirty_bitmap = bitmap,
	};

	return ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &log);
}

/* KVM_GET_DIRTY_LOG of the test slot into c->bm, canaries behind it. */
static void get_log(struct ctx *c)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c->bm); i++)
		c->bm[i] = CANARY;
	TEST_ASSERT(__get_log(c->vm, TEST_SLOT, c->bm) == 0,
		    "KVM_GET_DIRTY_LOG: %s", strerror(errno));
}

/* Clears [first, first + num) with a mask that has bits @pages set. */
static void clear_pages(struct ctx *c, uint64_t first, uint32_t num,
			const uint64_t *pages, int n)
{
	uint64_t mask[BM_WORDS] = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		TEST_ASSERT(pages[i] >= first && pages[i] < first + num,
			    "page %lu outside the cleared range", pages[i]);
		mask[(pages[i] - first) / 64] |= 1ULL << ((pages[i] - first) % 64);
	}
	TEST_ASSERT(__clear_log(c->vm, TEST_SLOT, first, num, mask) == 0,
		    "KVM_CLEAR_DIRTY_LOG(%lu, %u): %s", first, num,
		    strerror(errno));
}

/* Clears every bit of [first, first + num). */
static void clear_range(struct ctx *c, uint64_t first, uint32_t num)
{
	uint64_t ones[BM_WORDS];

	memset(ones, 0xff, sizeof(ones));
	TEST_ASSERT(__clear_log(c->vm, TEST_SLOT, first, num, ones) == 0,
		    "KVM_CLEAR_DIRTY_LOG(%lu, %u): %s", first, num,
		    strerror(errno));
}

/*
 * The last get_log() must hold exactly @pages (all pages if @n < 0), no
 * bit past the slot's end and no byte written past ALIGN(npages, 64) / 8.
 */
static void __check_log(struct __test_metadata *_metadata, struct ctx *c,
			const uint64_t *pages, int n, int line)
{
	uint64_t want[BM_WORDS] = { 0 };
	unsigned int bad = 0;
	uint64_t p;
	int i;

	if (n < 0) {
		for (p = 0; p < TEST_PAGES; p++)
			want[p / 64] |= 1ULL << (p % 64);
	}
	for (i = 0; i < n; i++)
		want[pages[i] / 64] |= 1ULL << (pages[i] % 64);

	for (p = 0; p < BM_WORDS * 64; p++) {
		bool got = c->bm[p / 64] >> (p % 64) & 1;
		bool exp = want[p / 64] >> (p % 64) & 1;

		if (got == exp)
			continue;
		if (bad++ < 8)
			TH_LOG("line %d: page %lu%s %s, expected %s", line, p,
			       p >= TEST_PAGES ? " (past the slot)" : "",
			       got ? "dirty" : "clean",
			       exp ? "dirty" : "clean");
	}
	if (bad > 8)
		TH_LOG("line %d: ... %u wrong bits in all", line, bad);
	if (c->bm[BM_WORDS] != CANARY || c->bm[BM_WORDS + 1] != CANARY) {
		TH_LOG("line %d: KVM wrote past the %lu-byte bitmap: %016lx %016lx",
		       line, BM_WORDS * 8, c->bm[BM_WORDS], c->bm[BM_WORDS + 1]);
		bad++;
	}
	if (bad)
		_metadata->passed = 0;
}

#define CHECK_LOG(c, ...) do {						\
	const uint64_t __p[] = { __VA_ARGS__ };				\
	__check_log(_metadata, c, __p, ARRAY_SIZE(__p), __LINE__);	\
} while (0)
#define CHECK_LOG_EMPTY(c)	__check_log(_metadata, c, NULL, 0, __LINE__)
#define CHECK_LOG_ALL(c)	__check_log(_metadata, c, NULL, -1, __LINE__)

static const uint64_t set_a[] = { 0, 3, 64, 65, LAST_PAGE };
static const uint64_t set_b[] = { 1, 3, 200, 511, 512 };

/* ---- argument checks -------------------------------------------------- */

TEST(get_dirty_log_errors)
{
	struct kvm_vm *vm = vm_create_bare();
	uint64_t bm[BM_WORDS];
	void *mem;
	int nr_slots = vm_check_cap(vm, KVM_CAP_NR_MEMSLOTS);
	int nr_as = vm_check_cap(vm, KVM_CAP_MULTI_ADDRESS_SPACE);

	if (nr_as < 1)
		nr_as = 1;
	TH_LOG("%d slots, %d address space(s)", nr_slots, nr_as);
	mem = vm_add_memslot(vm, 1, TEST_GPA, TEST_SIZE, 0, NULL);
	vm_add_memslot(vm, 2, 2 * TEST_GPA, TEST_SIZE, KVM_MEM_LOG_DIRTY_PAGES,
		       NULL);

	/* A slot without KVM_MEM_LOG_DIRTY_PAGES has no bitmap. */
	EXPECT_ERRNO(ENOENT, __get_log(vm, 1, bm));
	/* A slot id that is valid but unused. */
	EXPECT_ERRNO(ENOENT, __get_log(vm, 7, bm));
	EXPECT_ERRNO(ENOENT, __get_log(vm, nr_slots - 1, bm));
	/* Slot ids and address spaces out of range. */
	EXPECT_ERRNO(EINVAL, __get_log(vm, nr_slots, bm));
	EXPECT_ERRNO(EINVAL, __get_log(vm, 0xffff, bm));
	EXPECT_ERRNO(EINVAL, __get_log(vm, (uint32_t)nr_as << 16 | 2, bm));
	EXPECT_ERRNO(EINVAL, __get_log(vm, 0x8000u << 16 | 2, bm));
	if (nr_as > 1)		/* the SMM address space has no slot 2 */
		EXPECT_ERRNO(ENOENT, __get_log(vm, 1u << 16 | 2, bm));
	/* The bitmap is written to user memory. */
	EXPECT_ERRNO(EFAULT, __get_log(vm, 2, NULL));
	EXPECT_EQ(0, __get_log(vm, 2, bm));

	/* KVM_CLEAR_DIRTY_LOG looks the slot up the same way. */
	memset(bm, 0xff, sizeof(bm));
	EXPECT_ERRNO(ENOENT, __clear_log(vm, 1, 0, 64, bm));
	EXPECT_ERRNO(ENOENT, __clear_log(vm, 7, 0, 64, bm));
	EXPECT_ERRNO(EINVAL, __clear_log(vm, nr_slots, 0, 64, bm));
	EXPECT_ERRNO(EINVAL, __clear_log(vm, 0xffff, 0, 64, bm));
	EXPECT_ERRNO(EINVAL, __clear_log(vm, (uint32_t)nr_as << 16 | 2, 0, 64, bm));
	EXPECT_EQ(0, __clear_log(vm, 2, 0, 64, bm));

	/* Turning the flag off frees the bitmap. */
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 2, 0, 2 * TEST_GPA,
						 TEST_SIZE,
						 vm_gpa2hva(vm, 2 * TEST_GPA)));
	EXPECT_ERRNO(ENOENT, __get_log(vm, 2, bm));
	/* And a deleted slot has none either. */
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
						 TEST_GPA, TEST_SIZE, mem));
	EXPECT_EQ(0, __get_log(vm, 1, bm));
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, TEST_GPA, 0, NULL));
	EXPECT_ERRNO(ENOENT, __get_log(vm, 1, bm));
	kvm_vm_free(vm);
}

TEST(manual_protect_cap)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
		.flags = 1,
	};

	/* Both on /dev/kvm and on the VM: the flags that may be enabled. */
	EXPECT_EQ(MANUAL_CAPS, kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	EXPECT_EQ(MANUAL_CAPS, vm_check_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	/* The first version of the capability is not offered any more. */
	EXPECT_EQ(0, vm_check_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT));
	EXPECT_ERRNO(EINVAL, __vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT,
					     KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE));

	/* INITIALLY_SET only together with ENABLE; nothing else. */
	EXPECT_ERRNO(EINVAL, __vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					     KVM_DIRTY_LOG_INITIALLY_SET));
	EXPECT_ERRNO(EINVAL, __vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					     MANUAL_CAPS | 4));
	EXPECT_ERRNO(EINVAL, __vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
					     1ULL << 63));
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, KVM_ENABLE_CAP, &cap));
	EXPECT_EQ(0, __vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				     KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE));
	EXPECT_EQ(0, __vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				     MANUAL_CAPS));
	/* 0 turns it off again. */
	EXPECT_EQ(0, __vm_enable_cap(vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0));
	kvm_vm_free(vm);
}

TEST(clear_dirty_log_range_checks)
{
	struct ctx c;
	uint64_t ones[BM_WORDS + 1];

	memset(ones, 0xff, sizeof(ones));
	ctx_init(&c, 0);
	vm_enable_cap(c.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	set_logging(&c, true);

#define CLR(first, num) __clear_log(c.vm, TEST_SLOT, first, num, ones)
	/* first_page must be 64-page aligned. */
	EXPECT_ERRNO(EINVAL, CLR(1, 64));
	EXPECT_ERRNO(EINVAL, CLR(32, 64));
	EXPECT_ERRNO(EINVAL, CLR(65, 63));
	EXPECT_ERRNO(EINVAL, CLR(LAST_PAGE, 1));
	/* num_pages too, unless the range ends at the slot's end. */
	EXPECT_ERRNO(EINVAL, CLR(0, 1));
	EXPECT_ERRNO(EINVAL, CLR(0, 63));
	EXPECT_ERRNO(EINVAL, CLR(0, 65));
	EXPECT_ERRNO(EINVAL, CLR(64, 100));
	EXPECT_ERRNO(EINVAL, CLR(512, 39));
	EXPECT_EQ(0, CLR(512, TEST_PAGES - 512));
	EXPECT_EQ(0, CLR(0, TEST_PAGES));
	EXPECT_EQ(0, CLR(64, TEST_PAGES - 64));
	EXPECT_EQ(0, CLR(0, 64));
	EXPECT_EQ(0, CLR(448, 64));
	EXPECT_EQ(0, CLR(0, 0));
	/* Nothing past the slot's end. */
	EXPECT_ERRNO(EINVAL, CLR(512, TEST_PAGES - 512 + 1));
	EXPECT_ERRNO(EINVAL, CLR(512, 64));
	EXPECT_ERRNO(EINVAL, CLR(0, TEST_PAGES + 1));
	EXPECT_ERRNO(EINVAL, CLR(0, 576));
	EXPECT_ERRNO(EINVAL, CLR(576, 0));
	EXPECT_ERRNO(EINVAL, CLR(576, 64));
	EXPECT_ERRNO(EINVAL, CLR(1ULL << 40, 64));
	EXPECT_ERRNO(EINVAL, CLR(0, 0xffffffc0));
	EXPECT_ERRNO(EINVAL, CLR(-64ULL, 64));
	/* The mask is read from user memory. */
	EXPECT_ERRNO(EFAULT, __clear_log(c.vm, TEST_SLOT, 0, 64, NULL));
#undef CLR
	ctx_free(&c);
}

/* ---- classic mode: GET reports, clears and re-protects ---------------- */

TEST(logging_reports_written_pages)
{
	struct ctx c;

	ctx_init(&c, 0);
	/* The guest maps every page writable before logging starts. */
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x100);
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x200);

	set_logging(&c, true);
	/* Writes before logging started are not in the log. */
	get_log(&c);
	CHECK_LOG_EMPTY(&c);

	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x1000);
	get_log(&c);
	CHECK_LOG(&c, 0, 3, 64, 65, LAST_PAGE);
	/* The GET cleared them. */
	get_log(&c);
	CHECK_LOG_EMPTY(&c);

	/*
	 * Reads of pages the guest has mapped are not logged.  (A read
	 * that faults a page in may be: KVM maps a read fault writable when
	 * the host page is writable, and a writable mapping in a logged
	 * slot counts as dirty.  6.12 on the SVM host logs such reads of
	 * pages next to ones the guest wrote; so only mapped pages here.)
	 */
	guest_read(&c, set_a, ARRAY_SIZE(set_a));
	guest_read(&c, set_b, ARRAY_SIZE(set_b));
	get_log(&c);
	CHECK_LOG_EMPTY(&c);

	/* Nor are the host's own writes through its mapping. */
	memset(c.mem + 5 * PAGE_SIZE, 0x5a, PAGE_SIZE);
	*(volatile uint64_t *)(c.mem + 3 * PAGE_SIZE + 8) = 1;
	get_log(&c);
	CHECK_LOG_EMPTY(&c);

	/* The GET write-protected them again: new writes are logged. */
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x2000);
	get_log(&c);
	CHECK_LOG(&c, 1, 3, 200, 511, 512);
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x3000);
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x4000);
	guest_write(&c, set_b, 1, 0x5000);
	get_log(&c);
	CHECK_LOG(&c, 0, 1, 3, 64, 65, LAST_PAGE);
	get_log(&c);
	CHECK_LOG_EMPTY(&c);
	ctx_free(&c);
}

/* Even without the capability, CLEAR clears and re-protects. */
TEST(clear_without_manual_protect)
{
	struct ctx c;

	ctx_init(&c, KVM_MEM_LOG_DIRTY_PAGES);
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x10);
	clear_range(&c, 0, 64);
	get_log(&c);
	CHECK_LOG(&c, 64, 65, LAST_PAGE);

	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x20);
	clear_pages(&c, 64, 64, set_a + 2, 1);		/* page 64 */
	get_log(&c);
	CHECK_LOG(&c, 0, 3, 65, LAST_PAGE);
	get_log(&c);
	CHECK_LOG_EMPTY(&c);
	ctx_free(&c);
}

/* Logging off and on again: a fresh, empty log. */
TEST(logging_off_and_on)
{
	struct ctx c;
	uint64_t bm[BM_WORDS];

	ctx_init(&c, KVM_MEM_LOG_DIRTY_PAGES);
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x10);
	set_logging(&c, false);
	EXPECT_ERRNO(ENOENT, __get_log(c.vm, TEST_SLOT, bm));
	/* Not logged, and not remembered for later. */
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x20);
	set_logging(&c, true);
	get_log(&c);
	CHECK_LOG_EMPTY(&c);
	/* Logging works again, also for the pages written meanwhile. */
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x30);
	guest_write(&c, set_a, 2, 0x40);
	get_log(&c);
	CHECK_LOG(&c, 0, 1, 3, 200, 511, 512);
	get_log(&c);
	CHECK_LOG_EMPTY(&c);
	ctx_free(&c);
}

/* ---- manual protection ------------------------------------------------ */

TEST(manual_get_keeps_bits_until_cleared)
{
	struct ctx c;

	ctx_init(&c, 0);
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x10);	/* map them */
	vm_enable_cap(c.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE);
	set_logging(&c, true);
	get_log(&c);
	CHECK_LOG_EMPTY(&c);

	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x100);
	get_log(&c);
	CHECK_LOG(&c, 0, 3, 64, 65, LAST_PAGE);
	/* GET does not clear. */
	get_log(&c);
	CHECK_LOG(&c, 0, 3, 64, 65, LAST_PAGE);

	/* CLEAR of [0, 64) clears only there. */
	clear_range(&c, 0, 64);
	get_log(&c);
	CHECK_LOG(&c, 64, 65, LAST_PAGE);
	/*
	 * Page 3 was re-protected, so its write is logged again; 64's bit
	 * was never cleared and is still there.
	 */
	guest_write(&c, set_a + 1, 2, 0x200);			/* 3, 64 */
	get_log(&c);
	CHECK_LOG(&c, 3, 64, 65, LAST_PAGE);

	/* Only the bits of the mask are cleared. */
	clear_pages(&c, 64, 64, set_a + 3, 1);			/* 65 */
	get_log(&c);
	CHECK_LOG(&c, 3, 64, LAST_PAGE);
	/* The partial last word, at the slot's end. */
	clear_range(&c, 512, TEST_PAGES - 512);
	get_log(&c);
	CHECK_LOG(&c, 3, 64);
	/* Clearing clean pages changes nothing. */
	clear_pages(&c, 128, 64, (const uint64_t[]){ 130, 191 }, 2);
	get_log(&c);
	CHECK_LOG(&c, 3, 64);

	/* Pages mapped writable before logging started are protected too. */
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x300);
	get_log(&c);
	CHECK_LOG(&c, 1, 3, 64, 200, 511, 512);
	/* Reads do not set bits. */
	clear_range(&c, 0, TEST_PAGES);
	guest_read(&c, set_a, ARRAY_SIZE(set_a));
	guest_read(&c, set_b, ARRAY_SIZE(set_b));
	get_log(&c);
	CHECK_LOG_EMPTY(&c);
	/* Everything was re-protected by the full CLEAR. */
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x400);
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x500);
	get_log(&c);
	CHECK_LOG(&c, 0, 1, 3, 64, 65, 200, 511, 512, LAST_PAGE);
	ctx_free(&c);
}

TEST(manual_initially_set)
{
	struct ctx c;

	ctx_init(&c, 0);
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x10);	/* map them */
	vm_enable_cap(c.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, MANUAL_CAPS);
	set_logging(&c, true);

	/* Every page of the slot reads as dirty, none past its end. */
	get_log(&c);
	CHECK_LOG_ALL(&c);
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x20);
	get_log(&c);
	CHECK_LOG_ALL(&c);

	/* Clearing works as without INITIALLY_SET, and re-protects. */
	clear_range(&c, 64, TEST_PAGES - 64);
	get_log(&c);
	{
		uint64_t low[64], i;

		for (i = 0; i < 64; i++)
			low[i] = i;
		__check_log(_metadata, &c, low, 64, __LINE__);
	}
	clear_range(&c, 0, 64);
	get_log(&c);
	CHECK_LOG_EMPTY(&c);

	/* Pages that were writable all along are now protected. */
	guest_write(&c, set_a, ARRAY_SIZE(set_a), 0x30);
	get_log(&c);
	CHECK_LOG(&c, 0, 3, 64, 65, LAST_PAGE);
	guest_write(&c, set_b, ARRAY_SIZE(set_b), 0x40);
	get_log(&c);
	CHECK_LOG(&c, 0, 1, 3, 64, 65, 200, 511, 512, LAST_PAGE);
	clear_pages(&c, 0, 64, (const uint64_t[]){ 0, 1 }, 2);
	get_log(&c);
	CHECK_LOG(&c, 3, 64, 65, 200, 511, 512, LAST_PAGE);

	/* Off and on again: all set once more. */
	set_logging(&c, false);
	set_logging(&c, true);
	get_log(&c);
	CHECK_LOG_ALL(&c);
	ctx_free(&c);
}

TEST_HARNESS_MAIN
