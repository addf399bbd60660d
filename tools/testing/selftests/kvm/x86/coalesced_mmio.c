// SPDX-License-Identifier: GPL-2.0-only
/*
 * Coalesced MMIO and PIO: KVM_REGISTER_COALESCED_MMIO declares a zone of
 * guest-physical addresses (or, with pio = 1, of I/O ports) whose guest
 * writes KVM does not hand to the VMM one by one: it appends them to a
 * ring shared with the VMM and resumes the guest at once.  The ring is one
 * page per VM, mapped at page KVM_COALESCED_MMIO_PAGE_OFFSET of every vCPU
 * mapping (what KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO) returns); KVM
 * writes entries at index "last", the VMM consumes them from "first", and
 * one entry always stays free.  Reads are not coalesced, nor are writes
 * that do not fit entirely in a zone, and a full ring makes the write
 * exit as plain KVM_EXIT_MMIO.  Addresses inside a memory slot are RAM
 * whatever the zones say.
 *
 * What is checked is the behaviour of in-tree KVM (virt/kvm/coalesced_mmio.c,
 * the same on 6.1 and 6.12 except where noted), established by reference
 * runs on both vendors:
 *  - registering checks only pio (0 or 1, else EINVAL) and the bus size
 *    (1000 devices, then ENOSPC): size 0 and zones that wrap are accepted;
 *  - unregistering removes every zone of the same kind that contains the
 *    whole given range, and returns 0 even when nothing matched;
 *  - the ring's capacity: 6.12 uses all but one of its entries (169); 6.1
 *    computes the free space with a wrapping unsigned subtraction and
 *    reports "full" at 85 entries when the VMM's "first" is 0 (fixed by
 *    "KVM: Fix coalesced_mmio_has_room()", merged for 6.12);
 *  - a "last" index outside the ring is not used: the write exits.
 */
#include "kvmx_test.h"

#define MB		(1UL << 20)
#define ZONE_GPA	0xd0000000UL	/* no memory slot there */
#define ZONE_SIZE	0x1000U
#define RAM_GPA		0x40000000UL
#define ZONE_PORT	0x500		/* far from UCALL_PORT */
#define ZONE_PORTS	8

/* Entries in the ring page: what in-tree KVM calls KVM_COALESCED_MMIO_MAX. */
#define RING_ENTRIES							\
	((PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) /		\
	 sizeof(struct kvm_coalesced_mmio))

/* ---- host helpers ----------------------------------------------------- */

static struct kvm_coalesced_mmio_ring *ring_of(struct kvm_vcpu *vcpu)
{
	TEST_ASSERT(vcpu->run_size >= (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) *
				       PAGE_SIZE,
		    "vCPU mapping of %zu bytes has no ring page", vcpu->run_size);
	return (struct kvm_coalesced_mmio_ring *)
		((uint8_t *)vcpu->run + KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE);
}

static uint32_t ring_count(struct kvm_coalesced_mmio_ring *ring)
{
	return (ring->last + RING_ENTRIES - ring->first) % RING_ENTRIES;
}

static int __zone_ioctl(struct kvm_vm *vm, unsigned long cmd, uint64_t addr,
			uint32_t size, uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = {
		.addr = addr, .size = size, .pio = pio,
	};

	return ioctl(vm->fd, cmd, &z);
}

#define zone_register(vm, addr, size, pio) \
	__zone_ioctl(vm, KVM_REGISTER_COALESCED_MMIO, addr, size, pio)
#define zone_unregister(vm, addr, size, pio) \
	__zone_ioctl(vm, KVM_UNREGISTER_COALESCED_MMIO, addr, size, pio)

/*
 * Fails the test unless ring entry @idx is this write.  Only the first len
 * bytes of data are defined.
 */
#define expect_entry(ring, idx, gpa, len, value, pio) \
	__expect_entry(_metadata, ring, idx, gpa, len, value, pio)

static void __expect_entry(struct __test_metadata *_metadata,
			   struct kvm_coalesced_mmio_ring *ring, uint32_t idx,
			   uint64_t gpa, uint32_t len, uint64_t value,
			   uint32_t pio)
{
	struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[idx % RING_ENTRIES];
	uint64_t data = 0;

	memcpy(&data, e->data, len <= 8 ? len : 8);
	EXPECT_EQ(gpa, e->phys_addr) TH_LOG("entry %u", idx);
	EXPECT_EQ(len, e->len) TH_LOG("entry %u", idx);
	EXPECT_EQ(value, data) TH_LOG("entry %u", idx);
	EXPECT_EQ(pio, e->pio) TH_LOG("entry %u", idx);
}

/* Runs to the next exit, which must be an MMIO write of these bytes. */
#define run_expect_mmio_write(vcpu, gpa, len, value) \
	__run_expect_mmio(_metadata, vcpu, gpa, len, true, value)
#define run_expect_mmio_read(vcpu, gpa, len) \
	__run_expect_mmio(_metadata, vcpu, gpa, len, false, 0)

static void __run_expect_mmio(struct __test_metadata *_metadata,
			      struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t len,
			      bool is_write, uint64_t value)
{
	struct kvm_run *run = vcpu->run;
	uint64_t data = 0;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	ASSERT_EQ(gpa, run->mmio.phys_addr);
	ASSERT_EQ(len, run->mmio.len);
	ASSERT_EQ(is_write, !!run->mmio.is_write);
	if (is_write) {
		memcpy(&data, run->mmio.data, len);
		ASSERT_EQ(value, data);
	}
}

/* ---- the capability and the ring page --------------------------------- */

TEST(cap_is_ring_page_offset)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, NULL);
	int pio = vm_check_cap(vm, KVM_CAP_COALESCED_PIO);

	EXPECT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET,
		  kvm_check_cap(KVM_CAP_COALESCED_MMIO));
	EXPECT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET,
		  vm_check_cap(vm, KVM_CAP_COALESCED_MMIO));
	EXPECT_EQ(2, KVM_COALESCED_MMIO_PAGE_OFFSET);
	TH_LOG("KVM_CAP_COALESCED_PIO: %d", pio);
	EXPECT_TRUE(pio == 0 || pio == 1);
	/* The ring page is inside the vCPU mapping, and empty at first. */
	EXPECT_GE(kvm_vcpu_mmap_size(),
		  (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * PAGE_SIZE);
	EXPECT_EQ(0, ring_of(vcpu)->first);
	EXPECT_EQ(0, ring_of(vcpu)->last);
	EXPECT_EQ(170, RING_ENTRIES);
	kvm_vm_free(vm);
}

/* ---- writes land in the ring --------------------------------------- */

static const struct {
	uint64_t offset;
	uint32_t len;
	uint64_t value;
} batch1[] = {
	{ 0x000, 1, 0x11 },
	{ 0x010, 2, 0x2233 },
	{ 0x020, 4, 0x44556677 },
	{ 0x030, 8, 0x8899aabbccddeeffULL },
	{ 0xffc, 4, 0xdeadbeef },		/* the zone's last 4 bytes */
	{ 0x000, 1, 0x12 },			/* same address: a new entry */
	{ 0x101, 2, 0xcafe },			/* misaligned */
}, batch2[] = {
	{ 0x040, 8, 0x0102030405060708ULL },
	{ 0x048, 4, 0x99999999 },
};

static void guest_write(uint64_t gpa, uint32_t len, uint64_t value)
{
	switch (len) {
	case 1:
		*(volatile uint8_t *)gpa = value;
		break;
	case 2:
		*(volatile uint16_t *)gpa = value;
		break;
	case 4:
		*(volatile uint32_t *)gpa = value;
		break;
	default:
		*(volatile uint64_t *)gpa = value;
		break;
	}
}

static void guest_batches(uint64_t base)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(batch1); i++)
		guest_write(base + batch1[i].offset, batch1[i].len,
			    batch1[i].value);
	GUEST_SYNC(1);
	for (i = 0; i < ARRAY_SIZE(batch2); i++)
		guest_write(base + batch2[i].offset, batch2[i].len,
			    batch2[i].value);
	GUEST_SYNC(2);
	/* A read in the zone is not coalesced. */
	GUEST_SYNC(*(volatile uint32_t *)(base + 0x200));
}

TEST(writes_coalesced_in_order)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_batches);
	struct kvm_coalesced_mmio_ring *ring = ring_of(vcpu);
	unsigned int i, n1 = ARRAY_SIZE(batch1), n2 = ARRAY_SIZE(batch2);
	uint32_t answer = 0x5eadda7a;

	ASSERT_EQ(0, zone_register(vm, ZONE_GPA, ZONE_SIZE, 0));
	vcpu_set_args(vcpu, 1, ZONE_GPA);

	/* No exit for any of the writes: the first is the ucall. */
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	EXPECT_EQ(0, ring->first);
	EXPECT_EQ(n1, ring->last);
	for (i = 0; i < n1; i++)
		expect_entry(ring, i, ZONE_GPA + batch1[i].offset, batch1[i].len,
			     batch1[i].value, 0);

	/* The VMM consumes what it has read by moving "first" up to "last". */
	ring->first = ring->last;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	EXPECT_EQ(n1, ring->first);
	EXPECT_EQ(n1 + n2, ring->last);
	for (i = 0; i < n2; i++)
		expect_entry(ring, n1 + i, ZONE_GPA + batch2[i].offset,
			     batch2[i].len, batch2[i].value, 0);

	/* A second vCPU's mapping shows the same (per-VM) ring. */
	{
		struct kvm_vcpu *v1 = vm_vcpu_add_guest(vm, 1, NULL);

		EXPECT_EQ(0, memcmp(ring, ring_of(v1), PAGE_SIZE));
	}

	run_expect_mmio_read(vcpu, ZONE_GPA + 0x200, 4);
	memcpy(vcpu->run->mmio.data, &answer, 4);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, answer);
	EXPECT_EQ(n1 + n2, ring->last);
	kvm_vm_free(vm);
}

/*
 * Only writes that fit entirely in a zone are coalesced: 8 bytes at the
 * zone's end - 4 exit whole, as do writes just outside.  (A zone inside
 * one page, so that the emulator does not split these writes.)
 */
#define SUB_ZONE	(ZONE_GPA + 0x100)
#define SUB_SIZE	0x100

static void guest_edges(void)
{
	*(volatile uint64_t *)(SUB_ZONE + SUB_SIZE - 4) = 0x0123456789abcdefULL;
	*(volatile uint32_t *)(SUB_ZONE + SUB_SIZE) = 0x77777777;
	*(volatile uint32_t *)(SUB_ZONE - 4) = 0x66666666;
	*(volatile uint16_t *)(SUB_ZONE - 1) = 0x4444;
	*(volatile uint32_t *)(SUB_ZONE + SUB_SIZE - 4) = 0x55555555;
	*(volatile uint8_t *)(SUB_ZONE) = 0x33;
	GUEST_SYNC(0);
}

TEST(partial_and_outside_writes_exit)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_edges);
	struct kvm_coalesced_mmio_ring *ring = ring_of(vcpu);

	ASSERT_EQ(0, zone_register(vm, SUB_ZONE, SUB_SIZE, 0));
	run_expect_mmio_write(vcpu, SUB_ZONE + SUB_SIZE - 4, 8,
			      0x0123456789abcdefULL);
	run_expect_mmio_write(vcpu, SUB_ZONE + SUB_SIZE, 4, 0x77777777);
	run_expect_mmio_write(vcpu, SUB_ZONE - 4, 4, 0x66666666);
	run_expect_mmio_write(vcpu, SUB_ZONE - 1, 2, 0x4444);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	EXPECT_EQ(2, ring->last);
	expect_entry(ring, 0, SUB_ZONE + SUB_SIZE - 4, 4, 0x55555555, 0);
	expect_entry(ring, 1, SUB_ZONE, 1, 0x33, 0);
	kvm_vm_free(vm);
}

/*
 * 8 bytes across the end of a page-aligned zone and of its page: the
 * emulator splits the write at the page boundary, the half inside the
 * zone is coalesced and only the other half exits.
 */
static void guest_cross_page(void)
{
	*(volatile uint64_t *)(ZONE_GPA + ZONE_SIZE - 4) = 0x0123456789abcdefULL;
	GUEST_SYNC(0);
}

TEST(page_crossing_write_is_split)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_cross_page);
	struct kvm_coalesced_mmio_ring *ring = ring_of(vcpu);

	ASSERT_EQ(0, zone_register(vm, ZONE_GPA, ZONE_SIZE, 0));
	run_expect_mmio_write(vcpu, ZONE_GPA + ZONE_SIZE, 4, 0x01234567);
	EXPECT_EQ(1, ring->last);
	expect_entry(ring, 0, ZONE_GPA + ZONE_SIZE - 4, 4, 0x89abcdef, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	EXPECT_EQ(1, ring->last);
	kvm_vm_free(vm);
}

/* ---- a full ring -------------------------------------------------- */

#define FILL_WRITES	(RING_ENTRIES + 10)

static void guest_fill(uint64_t gpa, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		*(volatile uint32_t *)(gpa + (i % 16) * 4) = (uint32_t)i;
	GUEST_SYNC(n);
}

TEST(full_ring_write_exits)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_fill);
	struct kvm_coalesced_mmio_ring *ring = ring_of(vcpu);
	/*
	 * See the top of the file for 6.1's capacity from first == 0: the
	 * distro's 6.1 KVM has that bug, kvmx (on any kernel) has not.
	 */
	uint32_t cap = host_kernel_below(6, 12) && !testing_kvmx() ?
		       85 : RING_ENTRIES - 1;
	uint32_t k, i;

	ASSERT_EQ(0, zone_register(vm, ZONE_GPA, ZONE_SIZE, 0));
	vcpu_set_args(vcpu, 2, ZONE_GPA, (uint64_t)FILL_WRITES);

	/* The first write that finds the ring full goes to the VMM. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	k = ring_count(ring);
	TH_LOG("ring full after %u entries (first %u, last %u)", k,
	       ring->first, ring->last);
	ASSERT_EQ(cap, k);
	EXPECT_EQ(0, ring->first);
	EXPECT_EQ(1, vcpu->run->mmio.is_write);
	EXPECT_EQ(ZONE_GPA + (k % 16) * 4, vcpu->run->mmio.phys_addr);
	EXPECT_EQ(4, vcpu->run->mmio.len);
	EXPECT_EQ(k, *(uint32_t *)vcpu->run->mmio.data);
	for (i = 0; i < k; i++)
		expect_entry(ring, i, ZONE_GPA + (i % 16) * 4, 4, i, 0);

	/* Drained, the ring takes the rest (wrapping around its end). */
	ring->first = ring->last;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, FILL_WRITES);
	EXPECT_EQ(FILL_WRITES - k - 1, ring_count(ring));
	for (i = k + 1; i < FILL_WRITES; i++)
		expect_entry(ring, ring->first + (i - k - 1),
			     ZONE_GPA + (i % 16) * 4, 4, i, 0);
	kvm_vm_free(vm);
}

static void guest_one_write(uint64_t gpa, uint64_t value)
{
	for (;;) {
		*(volatile uint32_t *)gpa = (uint32_t)value;
		GUEST_SYNC(value);
		value++;
	}
}

/* A "last" index past the ring's end is never written through. */
TEST(bogus_last_index_exits)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu,
					    (void (*)(void))guest_one_write);
	struct kvm_coalesced_mmio_ring *ring = ring_of(vcpu);

	ASSERT_EQ(0, zone_register(vm, ZONE_GPA, ZONE_SIZE, 0));
	vcpu_set_args(vcpu, 2, ZONE_GPA + 8, 0x100ULL);
	ring->first = RING_ENTRIES + 5;
	ring->last = RING_ENTRIES + 5;
	run_expect_mmio_write(vcpu, ZONE_GPA + 8, 4, 0x100);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x100);
	EXPECT_EQ(RING_ENTRIES + 5, ring->last);

	/* Sane indexes again: coalesced again. */
	ring->first = ring->last = 7;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x101);
	EXPECT_EQ(8, ring->last);
	expect_entry(ring, 7, ZONE_GPA + 8, 4, 0x101, 0);
	kvm_vm_free(vm);
}

/* ---- unregistering ---------------------------------------------------- */

TEST(unregister_removes_containing_zones)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu,
					    (void (*)(void))guest_one_write);
	struct kvm_coalesced_mmio_ring *ring = ring_of(vcpu);

	ASSERT_EQ(0, zone_register(vm, ZONE_GPA, ZONE_SIZE, 0));
	/* The same zone twice is allowed; a write still makes one entry. */
	ASSERT_EQ(0, zone_register(vm, ZONE_GPA, ZONE_SIZE, 0));
	vcpu_set_args(vcpu, 2, ZONE_GPA + 0x80, 0x200ULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x200);
	EXPECT_EQ(1, ring->last);
	expect_entry(ring, 0, ZONE_GPA + 0x80, 4, 0x200, 0);

	/* Nothing matches: success, and the zones stay. */
	EXPECT_EQ(0, zone_unregister(vm, ZONE_GPA + 2 * ZONE_SIZE, ZONE_SIZE, 0));
	/* A range larger than the zones is not inside them: no match. */
	EXPECT_EQ(0, zone_unregister(vm, ZONE_GPA - ZONE_SIZE, 3 * ZONE_SIZE, 0));
	/* A PIO "zone" never matches an MMIO one. */
	EXPECT_EQ(0, zone_unregister(vm, ZONE_GPA, ZONE_SIZE, 1));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x201);
	EXPECT_EQ(2, ring->last);

	/* Any range inside the zones removes them both. */
	EXPECT_EQ(0, zone_unregister(vm, ZONE_GPA + 0x100, 8, 0));
	run_expect_mmio_write(vcpu, ZONE_GPA + 0x80, 4, 0x202);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x202);
	EXPECT_EQ(2, ring->last);

	/* Registered again, coalesced again. */
	ASSERT_EQ(0, zone_register(vm, ZONE_GPA, ZONE_SIZE, 0));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x203);
	EXPECT_EQ(3, ring->last);
	expect_entry(ring, 2, ZONE_GPA + 0x80, 4, 0x203, 0);
	kvm_vm_free(vm);
}

/* ---- zone validation -------------------------------------------------- */

TEST(zone_errors)
{
	struct kvm_vm *vm = vm_create_bare();

	EXPECT_ERRNO(EINVAL, zone_register(vm, ZONE_GPA, ZONE_SIZE, 2));
	EXPECT_ERRNO(EINVAL, zone_register(vm, ZONE_GPA, ZONE_SIZE, ~0U));
	EXPECT_ERRNO(EINVAL, zone_unregister(vm, ZONE_GPA, ZONE_SIZE, 2));
	/* Neither the size nor the range is checked. */
	EXPECT_EQ(0, zone_register(vm, ZONE_GPA, 0, 0));
	EXPECT_EQ(0, zone_register(vm, ~0ULL - 0xfff, 0x2000, 0));
	EXPECT_EQ(0, zone_register(vm, 0xfff0, 0x100, 1));
	/* Unregistering what is not there is not an error. */
	EXPECT_EQ(0, zone_unregister(vm, 0x12345000, 0x1000, 0));
	EXPECT_EQ(0, zone_unregister(vm, 0x10, 1, 1));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, KVM_REGISTER_COALESCED_MMIO, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, KVM_UNREGISTER_COALESCED_MMIO, NULL));
	kvm_vm_free(vm);
}

/* An I/O bus holds at most 1000 devices (NR_IOBUS_DEVS): then ENOSPC. */
TEST(too_many_zones)
{
	struct kvm_vm *vm = vm_create_bare();
	int i;

	for (i = 0; i < 1000; i++)
		ASSERT_EQ(0, zone_register(vm, ZONE_GPA + i * 0x10ULL, 0x10, 0))
			TH_LOG("zone %d", i);
	EXPECT_ERRNO(ENOSPC, zone_register(vm, ZONE_GPA + 0x100000, 0x10, 0));
	/* The PIO bus is a bus of its own. */
	EXPECT_EQ(0, zone_register(vm, ZONE_PORT, ZONE_PORTS, 1));
	/* Removing one makes room for one. */
	EXPECT_EQ(0, zone_unregister(vm, ZONE_GPA, 0x10, 0));
	EXPECT_EQ(0, zone_register(vm, ZONE_GPA + 0x100000, 0x10, 0));
	EXPECT_ERRNO(ENOSPC, zone_register(vm, ZONE_GPA + 0x200000, 0x10, 0));
	kvm_vm_free(vm);
}

/* ---- a zone over a memory slot ------------------------------------ */

static void guest_ram_zone(uint64_t gpa)
{
	*(volatile uint64_t *)gpa = 0x1111222233334444ULL;
	GUEST_SYNC(*(volatile uint64_t *)gpa);
	*(volatile uint64_t *)gpa = 0x5555666677778888ULL;
	GUEST_SYNC(0);
}

TEST(zone_over_memslot_is_ram)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_ram_zone);
	struct kvm_coalesced_mmio_ring *ring = ring_of(vcpu);
	uint64_t *mem = vm_add_memslot(vm, 1, RAM_GPA, 2 * MB, 0, NULL);

	ASSERT_EQ(0, zone_register(vm, RAM_GPA, ZONE_SIZE, 0));
	vcpu_set_args(vcpu, 1, RAM_GPA + 0x10);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x1111222233334444ULL);
	EXPECT_EQ(0x1111222233334444ULL, mem[2]);
	EXPECT_EQ(0, ring->last);

	/* The slot gone, the zone applies. */
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, RAM_GPA, 0, NULL));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	EXPECT_EQ(1, ring->last);
	expect_entry(ring, 0, RAM_GPA + 0x10, 8, 0x5555666677778888ULL, 0);
	EXPECT_EQ(0x1111222233334444ULL, mem[2]);
	kvm_vm_free(vm);
}

/* ---- coalesced PIO ------------------------------------------------ */

static void guest_pio(void)
{
	outb(ZONE_PORT, 0x5a);
	outw(ZONE_PORT + 2, 0xa55a);
	outl(ZONE_PORT + 4, 0xfeedf00d);
	GUEST_SYNC(1);
	/* Partly outside the zone: a normal exit. */
	outl(ZONE_PORT + 6, 0x12345678);
	/* Outside, and a read inside: normal exits. */
	outb(ZONE_PORT + ZONE_PORTS, 0x99);
	GUEST_SYNC(inb(ZONE_PORT + 1));
}

TEST(coalesced_pio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_coalesced_mmio_ring *ring;
	uint8_t in = 0xc3;
	uint32_t d = 0;

	if (kvm_check_cap(KVM_CAP_COALESCED_PIO) <= 0)
		TEST_SKIP(return, "no KVM_CAP_COALESCED_PIO");
	vm = vm_create_guest(&vcpu, guest_pio);
	ring = ring_of(vcpu);
	ASSERT_EQ(0, zone_register(vm, ZONE_PORT, ZONE_PORTS, 1));
	/* An MMIO zone at the same number does not make ports coalesced. */
	ASSERT_EQ(0, zone_register(vm, ZONE_PORT + ZONE_PORTS, 0x10, 0));

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	EXPECT_EQ(3, ring->last);
	expect_entry(ring, 0, ZONE_PORT, 1, 0x5a, 1);
	expect_entry(ring, 1, ZONE_PORT + 2, 2, 0xa55a, 1);
	expect_entry(ring, 2, ZONE_PORT + 4, 4, 0xfeedf00d, 1);

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, ZONE_PORT + 6, 4);
	memcpy(&d, vcpu_io_data(vcpu), 4);
	EXPECT_EQ(0x12345678, d);
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, ZONE_PORT + ZONE_PORTS, 1);
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_IN, ZONE_PORT + 1, 1);
	memcpy(vcpu_io_data(vcpu), &in, 1);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, in);
	EXPECT_EQ(3, ring->last);
	kvm_vm_free(vm);
}

static void guest_pio_loop(void)
{
	uint8_t v;

	for (v = 1;; v++) {
		outb(ZONE_PORT + 3, v);
		GUEST_SYNC(v);
	}
}

TEST(coalesced_pio_unregister)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_coalesced_mmio_ring *ring;

	if (kvm_check_cap(KVM_CAP_COALESCED_PIO) <= 0)
		TEST_SKIP(return, "no KVM_CAP_COALESCED_PIO");
	vm = vm_create_guest(&vcpu, guest_pio_loop);
	ring = ring_of(vcpu);
	ASSERT_EQ(0, zone_register(vm, ZONE_PORT, ZONE_PORTS, 1));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	EXPECT_EQ(1, ring->last);
	expect_entry(ring, 0, ZONE_PORT + 3, 1, 1, 1);

	/* An MMIO unregister of the same numbers leaves the PIO zone. */
	EXPECT_EQ(0, zone_unregister(vm, ZONE_PORT, ZONE_PORTS, 0));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	EXPECT_EQ(2, ring->last);

	EXPECT_EQ(0, zone_unregister(vm, ZONE_PORT + 3, 1, 1));
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, ZONE_PORT + 3, 1);
	EXPECT_EQ(3, *(uint8_t *)vcpu_io_data(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 3);
	EXPECT_EQ(2, ring->last);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
