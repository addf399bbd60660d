// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IOEVENTFD: a guest write to a port or an MMIO address that an
 * ioeventfd covers signals its eventfd and does not exit to the VMM; the
 * guest goes on.  Checked: port and MMIO ioeventfds; with datamatch only
 * a write of that value and that length is taken, others exit as usual;
 * length 0 ("any length", KVM_CAP_IOEVENTFD_ANY_LENGTH) takes a write of
 * any size at that address, and MMIO reads are never taken; each element
 * of a REP OUTSB signals once; a deassigned ioeventfd takes nothing.
 * And the ioctl's rules: lengths 0/1/2/4/8, no datamatch with length 0,
 * no unknown flags, no address wrap, a valid eventfd, no two ioeventfds
 * that would take the same write (-EEXIST), -ENOENT for deassigning one
 * that does not exist.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmx_test.h"

#define PORT		0xe4
#define MMIO_GPA	0xc0000000UL	/* no slot there */
#define MMIO_ANY	(MMIO_GPA + 0x100)

static int ioeventfd(struct kvm_vm *vm, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = flags,
	};

	return ioctl(vm->fd, KVM_IOEVENTFD, &io) ? -errno : 0;
}

/* How often the eventfd was signalled since the last look (0: never). */
static uint64_t signals(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK);

	TEST_ASSERT(fd >= 0, "eventfd: %s", strerror(errno));
	return fd;
}

/* ---- port ioeventfds ------------------------------------------------ */

static void guest_pio(void)
{
	/* three taken writes of any value */
	asm volatile("outb %%al, %0" : : "i"(PORT), "a"(1));
	asm volatile("outb %%al, %0" : : "i"(PORT), "a"(2));
	asm volatile("outb %%al, %0" : : "i"(PORT), "a"(3));
	GUEST_SYNC(1);
	/* datamatch 0x5a, length 1: 0x5a taken, 0x5b and a word write exit */
	asm volatile("outb %%al, %0" : : "i"(PORT), "a"(0x5a));
	asm volatile("outb %%al, %0" : : "i"(PORT), "a"(0x5b));
	asm volatile("outw %%ax, %0" : : "i"(PORT), "a"(0x5a));
	GUEST_SYNC(2);
	/* REP OUTSB of four bytes, each a write of one byte */
	{
		static const char bytes[4] = "abcd";
		uint64_t rsi = (uint64_t)bytes, rcx = 4;

		asm volatile("cld; rep outsb"
			     : "+S"(rsi), "+c"(rcx) : "d"(PORT) : "memory");
	}
	GUEST_SYNC(3);
	/* deassigned: the VMM sees it */
	asm volatile("outb %%al, %0" : : "i"(PORT), "a"(7));
	GUEST_DONE();
}

TEST(pio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_pio);
	int fd = new_eventfd();

	ASSERT_TRUE(kvm_check_cap(KVM_CAP_IOEVENTFD));
	ASSERT_EQ(0, ioeventfd(vm, PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO, 0));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	EXPECT_EQ(3, signals(fd));

	ASSERT_EQ(0, ioeventfd(vm, PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO |
			       KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	ASSERT_EQ(0, ioeventfd(vm, PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO |
			       KVM_IOEVENTFD_FLAG_DATAMATCH, 0x5a));
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, PORT, 1);
	EXPECT_EQ(0x5b, *(uint8_t *)vcpu_io_data(vcpu));
	EXPECT_EQ(1, signals(fd));	/* the 0x5a before it */
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, PORT, 2);
	EXPECT_EQ(0x5a, *(uint16_t *)vcpu_io_data(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	EXPECT_EQ(0, signals(fd));

	ASSERT_EQ(0, ioeventfd(vm, PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO |
			       KVM_IOEVENTFD_FLAG_DATAMATCH |
			       KVM_IOEVENTFD_FLAG_DEASSIGN, 0x5a));
	ASSERT_EQ(0, ioeventfd(vm, PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO, 0));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 3);
	EXPECT_EQ(4, signals(fd));

	ASSERT_EQ(0, ioeventfd(vm, PORT, 1, fd, KVM_IOEVENTFD_FLAG_PIO |
			       KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, PORT, 1);
	EXPECT_EQ(7, *(uint8_t *)vcpu_io_data(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	EXPECT_EQ(0, signals(fd));
	close(fd);
	kvm_vm_free(vm);
}

/* ---- MMIO ioeventfds ------------------------------------------------ */

static void guest_mmio(void)
{
	volatile uint32_t *d32 = (void *)MMIO_GPA;
	volatile uint64_t *d64 = (void *)(MMIO_GPA + 8);
	volatile uint8_t *any8 = (void *)MMIO_ANY;
	volatile uint64_t *any64 = (void *)MMIO_ANY;
	uint64_t v;

	*d32 = 0x11223344;		/* datamatch: taken */
	*d32 = 0x11223345;		/* exits */
	*d64 = 0x8877665544332211ULL;	/* wildcard, length 8: taken */
	*any8 = 1;			/* length 0: both taken */
	*any64 = 2;
	v = *any64;			/* a read is not taken: exits */
	GUEST_SYNC(v);
	GUEST_DONE();
}

TEST(mmio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_mmio);
	int fd32 = new_eventfd(), fd64 = new_eventfd(), fdany = new_eventfd();

	ASSERT_TRUE(kvm_check_cap(KVM_CAP_IOEVENTFD_ANY_LENGTH));
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA, 4, fd32,
			       KVM_IOEVENTFD_FLAG_DATAMATCH, 0x11223344));
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA + 8, 8, fd64, 0, 0));
	ASSERT_EQ(0, ioeventfd(vm, MMIO_ANY, 0, fdany, 0, 0));

	vcpu_run(vcpu);
	vcpu_assert_mmio(vcpu, true, MMIO_GPA, 4);
	EXPECT_EQ(0x11223345, (uint32_t)vcpu_mmio_data(vcpu));
	EXPECT_EQ(1, signals(fd32));

	vcpu_run(vcpu);
	vcpu_assert_mmio(vcpu, false, MMIO_ANY, 8);
	EXPECT_EQ(1, signals(fd64));
	EXPECT_EQ(2, signals(fdany));
	vcpu_mmio_set_data(vcpu, 0xabcdef);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0xabcdef);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	EXPECT_EQ(0, signals(fd32));
	close(fd32);
	close(fd64);
	close(fdany);
	kvm_vm_free(vm);
}

/* ---- the ioctl's rules ---------------------------------------------- */

TEST(rules)
{
	struct kvm_vm *vm = vm_create_bare();
	int a = new_eventfd(), b = new_eventfd();
	const uint32_t pio = KVM_IOEVENTFD_FLAG_PIO;
	const uint32_t dm = KVM_IOEVENTFD_FLAG_DATAMATCH;
	const uint32_t de = KVM_IOEVENTFD_FLAG_DEASSIGN;

	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x100, 3, a, pio, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, 0x100, 16, a, 0, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, MMIO_GPA, 0, a, dm, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, MMIO_GPA, 4, a, 1u << 7, 0));
	EXPECT_EQ(-EINVAL, ioeventfd(vm, ~0ULL - 1, 4, a, 0, 0));
	EXPECT_EQ(-EBADF, ioeventfd(vm, MMIO_GPA, 4, -1, 0, 0));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, MMIO_GPA, 4, a, de, 0));

	/* the same write taken twice: refused, whatever the eventfd */
	ASSERT_EQ(0, ioeventfd(vm, MMIO_GPA, 4, a, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, MMIO_GPA, 4, b, 0, 0));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, MMIO_GPA, 4, b, dm, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, MMIO_GPA, 0, b, 0, 0));
	/* other length, other bus, other address: fine */
	EXPECT_EQ(0, ioeventfd(vm, MMIO_GPA, 2, b, 0, 0));
	EXPECT_EQ(0, ioeventfd(vm, MMIO_GPA, 4, b, pio, 0));
	EXPECT_EQ(0, ioeventfd(vm, MMIO_GPA + 4, 4, b, 0, 0));
	/* different datamatch values at one address: fine */
	EXPECT_EQ(0, ioeventfd(vm, 0x200, 2, a, pio | dm, 1));
	EXPECT_EQ(0, ioeventfd(vm, 0x200, 2, b, pio | dm, 2));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x200, 2, b, pio | dm, 1));
	EXPECT_EQ(-EEXIST, ioeventfd(vm, 0x200, 2, b, pio, 0));

	/* deassign matches the eventfd and the datamatch exactly */
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x200, 2, b, pio | dm | de, 1));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x200, 2, a, pio | de, 0));
	EXPECT_EQ(0, ioeventfd(vm, 0x200, 2, a, pio | dm | de, 1));
	EXPECT_EQ(-ENOENT, ioeventfd(vm, 0x200, 2, a, pio | dm | de, 1));
	EXPECT_EQ(0, ioeventfd(vm, 0x200, 2, a, pio | dm, 1));

	/* left assigned: freed with the VM */
	close(a);
	close(b);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
