// SPDX-License-Identifier: GPL-2.0-only
/*
 * mmap of a vCPU fd: page 0 is kvm_run, page 1 (KVM_PIO_PAGE_OFFSET) the
 * port I/O data page, page 2 (KVM_COALESCED_MMIO_PAGE_OFFSET) the
 * coalesced MMIO ring.  KVM checks nothing at mmap time: a mapping past
 * those pages succeeds and touching such a page raises SIGBUS.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_test.h"
#include "guest16.h"

REALMODE_CODE(out_hlt,
	"mov $0x5a, %al\n\t"
	"out %al, $0x99\n\t"
	"hlt\n\t");

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/* Reads one byte at p; returns true if that raised SIGBUS. */
static bool read_sigbus(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	bool bus = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0)
		(void)*p;
	else
		bus = true;
	sigaction(SIGBUS, &old, NULL);
	return bus;
}

FIXTURE(vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(vcpu)
{
	self->vm = vm_create_realmode(&self->vcpu, out_hlt_start,
				      out_hlt_end - out_hlt_start);
}

FIXTURE_TEARDOWN(vcpu)
{
	kvm_vm_free(self->vm);
}

TEST_F(vcpu, three_pages_at_offset_0)
{
	uint8_t *p = mmap(NULL, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->vcpu->fd, 0);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_FALSE(read_sigbus(p));
	EXPECT_FALSE(read_sigbus(p + PAGE_SIZE));
	EXPECT_FALSE(read_sigbus(p + 2 * PAGE_SIZE));
	/* A second mapping shows the same kvm_run. */
	vcpu_run(self->vcpu);
	EXPECT_EQ(KVM_EXIT_IO, ((struct kvm_run *)p)->exit_reason);
	munmap(p, 3 * PAGE_SIZE);
}

TEST_F(vcpu, pio_page_at_offset_1)
{
	uint8_t *pio = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
			    MAP_SHARED, self->vcpu->fd,
			    KVM_PIO_PAGE_OFFSET * PAGE_SIZE);
	struct kvm_run *run = self->vcpu->run;

	ASSERT_NE(MAP_FAILED, pio);
	vcpu_run(self->vcpu);
	vcpu_assert_io(self->vcpu, KVM_EXIT_IO_OUT, 0x99, 1);
	ASSERT_GE(run->io.data_offset, KVM_PIO_PAGE_OFFSET * PAGE_SIZE);
	ASSERT_LT(run->io.data_offset, (KVM_PIO_PAGE_OFFSET + 1) * PAGE_SIZE);
	EXPECT_EQ(0x5a, pio[run->io.data_offset - KVM_PIO_PAGE_OFFSET * PAGE_SIZE]);
	munmap(pio, PAGE_SIZE);
}

TEST_F(vcpu, coalesced_mmio_ring_at_offset_2)
{
	struct kvm_coalesced_mmio_ring *ring =
		mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     self->vcpu->fd, KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE);

	ASSERT_NE(MAP_FAILED, ring);
	ASSERT_FALSE(read_sigbus((uint8_t *)ring));
	EXPECT_EQ(0, ring->first);
	EXPECT_EQ(0, ring->last);
	munmap(ring, PAGE_SIZE);
}

/* Past the three pages: mmap succeeds, the access raises SIGBUS. */
TEST_F(vcpu, beyond_three_pages_sigbus)
{
	uint8_t *p = mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, self->vcpu->fd, 0);
	uint8_t *q;

	ASSERT_NE(MAP_FAILED, p) TH_LOG("4-page mmap: errno %d", errno);
	EXPECT_FALSE(read_sigbus(p + 2 * PAGE_SIZE));
	EXPECT_TRUE(read_sigbus(p + 3 * PAGE_SIZE));
	munmap(p, 4 * PAGE_SIZE);

	q = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, self->vcpu->fd,
		 3 * PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, q) TH_LOG("mmap at page 3: errno %d", errno);
	EXPECT_TRUE(read_sigbus(q));
	munmap(q, PAGE_SIZE);

	q = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, self->vcpu->fd,
		 16 * PAGE_SIZE);
	ASSERT_NE(MAP_FAILED, q) TH_LOG("mmap at page 16: errno %d", errno);
	EXPECT_TRUE(read_sigbus(q));
	munmap(q, PAGE_SIZE);
}

/* The VM fd and /dev/kvm cannot be mapped. */
TEST_F(vcpu, vm_and_system_fd_not_mappable)
{
	void *p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, self->vm->fd, 0);

	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
	p = mmap(NULL, PAGE_SIZE, PROT_READ, MAP_SHARED, self->vm->kvm_fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
}

/* The mapping holds its own reference: it outlives the fds. */
TEST_F(vcpu, mapping_outlives_fds)
{
	struct kvm_run *run = self->vcpu->run;

	vcpu_run(self->vcpu);
	ASSERT_EQ(KVM_EXIT_IO, run->exit_reason);
	close(self->vcpu->fd);
	self->vcpu->fd = -1;
	close(self->vm->fd);
	self->vm->fd = -1;
	EXPECT_EQ(KVM_EXIT_IO, run->exit_reason);
	EXPECT_EQ(0x99, run->io.port);
	run->immediate_exit = 1;
	EXPECT_EQ(1, run->immediate_exit);
}

TEST_HARNESS_MAIN
