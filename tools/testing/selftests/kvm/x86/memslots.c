// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_USER_MEMORY_REGION: validation of slot ids, address spaces,
 * alignment, flags, overlaps, deletion, and what may change in a live slot
 * (flags and guest address may; size, host address and READONLY may not).
 * Then what guests see: slot contents, a moved slot, writes to a
 * read-only slot and accesses outside any slot (KVM_EXIT_MMIO).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_test.h"

#define MB (1UL << 20)
#define BACKING (8 * MB)

FIXTURE(slots) {
	struct kvm_vm *vm;
	uint8_t *mem;		/* BACKING bytes, page aligned */
	int nr_slots;
};

FIXTURE_SETUP(slots)
{
	self->vm = vm_create_bare();
	self->mem = mmap(NULL, BACKING, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
	self->nr_slots = ioctl(self->vm->kvm_fd, KVM_CHECK_EXTENSION,
			       KVM_CAP_NR_MEMSLOTS);
	ASSERT_GT(self->nr_slots, 0);
}

FIXTURE_TEARDOWN(slots)
{
	kvm_vm_free(self->vm);
	munmap(self->mem, BACKING);
}

#define SET(slot, flags, gpa, size, hva) \
	__vm_set_user_memory_region(self->vm, slot, flags, gpa, size, hva)

TEST_F(slots, create_and_delete)
{
	ASSERT_EQ(0, SET(0, 0, 0, 2 * MB, self->mem));
	/* Setting the same thing again is a no-op. */
	EXPECT_EQ(0, SET(0, 0, 0, 2 * MB, self->mem));
	/* Size 0 deletes... */
	EXPECT_EQ(0, SET(0, 0, 0, 0, self->mem));
	/* ... after which the range is free for another slot. */
	EXPECT_EQ(0, SET(1, 0, 0, 2 * MB, self->mem));
}

/* KVM answers EINVAL for deleting a slot that does not exist. */
TEST_F(slots, delete_nonexistent_slot)
{
	EXPECT_ERRNO(EINVAL, SET(3, 0, 0, 0, self->mem));
	EXPECT_ERRNO(EINVAL, SET(3, 0, 0, 0, NULL));
}

TEST_F(slots, slot_id_limit)
{
	EXPECT_ERRNO(EINVAL, SET(self->nr_slots, 0, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0xffff, 0, 0, 2 * MB, self->mem));
	EXPECT_EQ(0, SET(self->nr_slots - 1, 0, 0, 2 * MB, self->mem));
}

TEST_F(slots, address_space_limit)
{
	int nr_as = ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			  KVM_CAP_MULTI_ADDRESS_SPACE);

	if (nr_as < 1)
		nr_as = 1;
	TH_LOG("%d address space(s)", nr_as);
	EXPECT_ERRNO(EINVAL, SET((uint32_t)nr_as << 16, 0, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0xffffu << 16, 0, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0x8000u << 16, 0, 0, 2 * MB, self->mem));
	/* The last valid address space takes slots of its own. */
	EXPECT_EQ(0, SET((uint32_t)(nr_as - 1) << 16, 0, 0, 2 * MB, self->mem));
	if (nr_as > 1) {
		EXPECT_EQ(0, SET(0, 0, 0, 2 * MB, self->mem));
	}
}

TEST_F(slots, misaligned)
{
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0x1001, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0x800, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 2 * MB + 1, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 0x800, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 2 * MB, self->mem + 1));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 2 * MB, self->mem + 0x800));
	/* Page alignment is all that is needed. */
	EXPECT_EQ(0, SET(0, 0, 0x3000, 0x5000, self->mem + 0x1000));
}

TEST_F(slots, bad_ranges)
{
	/* guest_phys_addr + memory_size wraps. */
	EXPECT_ERRNO(EINVAL, SET(0, 0, -2 * MB & ~0xfffUL, 4 * MB, self->mem));
	/*
	 * Host range in kernel space.  (Where user space ends depends on the
	 * paging mode, 4- or 5-level: do not probe the boundary itself.)
	 */
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 2 * MB, (void *)0xffff800000000000UL));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 2 * MB, (void *)-(2 * MB)));
	/* More pages than a slot may have. */
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 1UL << 44, self->mem));
}

TEST_F(slots, unknown_flags)
{
	EXPECT_ERRNO(EINVAL, SET(0, 1u << 3, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 1u << 16, 0, 2 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 1u << 31, 0, 2 * MB, self->mem));
}

TEST_F(slots, known_flags_accepted)
{
	EXPECT_EQ(0, SET(0, KVM_MEM_LOG_DIRTY_PAGES, 0, 2 * MB, self->mem));
	EXPECT_EQ(0, SET(1, KVM_MEM_READONLY, 2 * MB, 2 * MB, self->mem + 2 * MB));
	EXPECT_EQ(0, SET(2, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
			 4 * MB, 2 * MB, self->mem + 4 * MB));
}

TEST_F(slots, overlap_eexist)
{
	ASSERT_EQ(0, SET(0, 0, 2 * MB, 2 * MB, self->mem));
	EXPECT_ERRNO(EEXIST, SET(1, 0, 2 * MB, 2 * MB, self->mem + 2 * MB));
	EXPECT_ERRNO(EEXIST, SET(1, 0, 1 * MB, 2 * MB, self->mem + 2 * MB));
	EXPECT_ERRNO(EEXIST, SET(1, 0, 3 * MB, 2 * MB, self->mem + 2 * MB));
	EXPECT_ERRNO(EEXIST, SET(1, 0, 4 * MB - PAGE_SIZE, PAGE_SIZE, self->mem));
	EXPECT_ERRNO(EEXIST, SET(1, 0, 0, 8 * MB, self->mem));
	/* Touching but not overlapping is fine, on both sides. */
	EXPECT_EQ(0, SET(1, 0, 4 * MB, 2 * MB, self->mem + 4 * MB));
	EXPECT_EQ(0, SET(2, 0, 0, 2 * MB, self->mem + 6 * MB));
	/* Sharing host memory between slots is allowed. */
	EXPECT_EQ(0, SET(3, 0, 16 * MB, 2 * MB, self->mem));
}

TEST_F(slots, live_slot_changes)
{
	ASSERT_EQ(0, SET(0, 0, 0, 2 * MB, self->mem));
	ASSERT_EQ(0, SET(1, 0, 4 * MB, 2 * MB, self->mem + 2 * MB));
	/* Size and host address are fixed for the slot's life. */
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 4 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 1 * MB, self->mem));
	EXPECT_ERRNO(EINVAL, SET(0, 0, 0, 2 * MB, self->mem + 2 * MB));
	/* So is READONLY... */
	EXPECT_ERRNO(EINVAL, SET(0, KVM_MEM_READONLY, 0, 2 * MB, self->mem));
	/* ... but dirty logging may be turned on and off. */
	EXPECT_EQ(0, SET(0, KVM_MEM_LOG_DIRTY_PAGES, 0, 2 * MB, self->mem));
	EXPECT_EQ(0, SET(0, 0, 0, 2 * MB, self->mem));
	/* The guest address may move, but not onto another slot. */
	EXPECT_EQ(0, SET(0, 0, 8 * MB, 2 * MB, self->mem));
	EXPECT_ERRNO(EEXIST, SET(0, 0, 5 * MB, 2 * MB, self->mem));
	EXPECT_EQ(0, SET(0, 0, 0, 2 * MB, self->mem));
	/* The old range of a moved slot is free again. */
	EXPECT_EQ(0, SET(0, 0, 10 * MB, 2 * MB, self->mem));
	EXPECT_EQ(0, SET(2, 0, 0, 2 * MB, self->mem + 4 * MB));
}

TEST_F(slots, many_slots)
{
	int i, n = self->nr_slots < 256 ? self->nr_slots : 256;

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, SET(i, 0, (uint64_t)i * PAGE_SIZE, PAGE_SIZE,
				 self->mem + (i % 16) * PAGE_SIZE))
			TH_LOG("slot %d", i);
	for (i = 0; i < n; i += 2)
		ASSERT_EQ(0, SET(i, 0, (uint64_t)i * PAGE_SIZE, 0, NULL));
}

/* ---- what the guest sees ------------------------------------------ */

#define EXTRA_GPA	0x40000000UL	/* 1 GiB, inside the guest's map */
#define UNBACKED_GPA	0x80000000UL

static void guest_read(uint64_t gpa)
{
	GUEST_SYNC(*(volatile uint64_t *)gpa);
	GUEST_SYNC(*(volatile uint64_t *)gpa);
}

TEST(guest_reads_slot_and_moved_slot)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_read);
	uint64_t *extra = vm_add_memslot(vm, 1, EXTRA_GPA, 2 * MB, 0, NULL);

	extra[0] = 0x0123456789abcdefULL;
	extra[512] = 0xfedcba9876543210ULL;	/* offset 4 KiB */
	vcpu_set_args(vcpu, 1, EXTRA_GPA);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x0123456789abcdefULL);
	/* Move the slot down by one page: GPA now shows offset 4 KiB. */
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, EXTRA_GPA - PAGE_SIZE,
						 2 * MB, extra));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0xfedcba9876543210ULL);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_write(uint64_t gpa, uint64_t val)
{
	*(volatile uint64_t *)gpa = val;
	GUEST_SYNC(*(volatile uint64_t *)gpa);
}

TEST(guest_write_reaches_host_memory)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_write);
	uint64_t *extra = vm_add_memslot(vm, 1, EXTRA_GPA, 2 * MB, 0, NULL);

	vcpu_set_args(vcpu, 2, EXTRA_GPA + 0x1008, 0x5555aaaa5555aaaaULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x5555aaaa5555aaaaULL);
	EXPECT_EQ(0x5555aaaa5555aaaaULL, extra[0x1008 / 8]);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* A write to a read-only slot exits as MMIO; reads come from memory. */
TEST(readonly_slot_write_is_mmio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_write);
	uint64_t *extra = vm_add_memslot(vm, 1, EXTRA_GPA, 2 * MB,
					 KVM_MEM_READONLY, NULL);
	struct kvm_run *run = vcpu->run;
	uint64_t data;

	extra[2] = 0x1111111111111111ULL;
	vcpu_set_args(vcpu, 2, EXTRA_GPA + 16, 0x2222222222222222ULL);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(EXTRA_GPA + 16, run->mmio.phys_addr);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(8, run->mmio.len);
	memcpy(&data, run->mmio.data, 8);
	EXPECT_EQ(0x2222222222222222ULL, data);
	/* Memory unchanged, and the guest reads it back. */
	EXPECT_EQ(0x1111111111111111ULL, extra[2]);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x1111111111111111ULL);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* Outside every slot: reads and writes exit as MMIO. */
TEST(unbacked_gpa_is_mmio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_write);
	struct kvm_run *run = vcpu->run;
	uint64_t data, v = 0x0badf00d0badf00dULL;

	vcpu_set_args(vcpu, 2, UNBACKED_GPA + 8, 0x7777777788888888ULL);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(UNBACKED_GPA + 8, run->mmio.phys_addr);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(8, run->mmio.len);
	memcpy(&data, run->mmio.data, 8);
	EXPECT_EQ(0x7777777788888888ULL, data);

	/* The read back: the VMM supplies the data. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(UNBACKED_GPA + 8, run->mmio.phys_addr);
	EXPECT_EQ(0, run->mmio.is_write);
	EXPECT_EQ(8, run->mmio.len);
	memcpy(run->mmio.data, &v, 8);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, v);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* Deleting a slot the guest used turns its range into MMIO. */
TEST(deleted_slot_becomes_mmio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_read);
	uint64_t *extra = vm_add_memslot(vm, 1, EXTRA_GPA, 2 * MB, 0, NULL);
	uint64_t v = 0x4242424242424242ULL;

	extra[0] = 0x99;
	vcpu_set_args(vcpu, 1, EXTRA_GPA);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x99);
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, EXTRA_GPA, 0, NULL));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(EXTRA_GPA, vcpu->run->mmio.phys_addr);
	EXPECT_EQ(0, vcpu->run->mmio.is_write);
	memcpy(vcpu->run->mmio.data, &v, 8);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, v);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
