// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IRQFD (Documentation/virt/kvm/api.rst) with the in-kernel irqchip,
 * the guest taking the interrupts through its own IDT, programming the
 * IOAPIC at 0xfec00000 and its LAPIC at 0xfee00000:
 *  - errnos as in-tree KVM gives them: EINVAL for unknown flags, without
 *    an in-kernel irqchip, and for KVM_IRQFD_FLAG_RESAMPLE with the split
 *    irqchip (kvm_arch_irqfd_allowed()); EBADF/EINVAL for a bad or
 *    non-eventfd fd or resamplefd; EBUSY for an eventfd already assigned
 *    in this VM (any GSI); deassign matches (fd, gsi) and is 0 even when
 *    nothing matches;
 *  - an edge irqfd on an IOAPIC pin delivers the vector once per signal
 *    and consumes the eventfd's count; a count already there when the
 *    irqfd is assigned injects once; after deassign, signals are ignored;
 *  - an irqfd on a GSI that KVM_SET_GSI_ROUTING maps to an MSI delivers
 *    the MSI's vector;
 *  - a resample irqfd on a level-triggered pin: the interrupt, Remote IRR
 *    and no resamplefd signal until the guest's EOI, then the resamplefd
 *    of every resample irqfd of that GSI signalled, the line low (no
 *    second interrupt) until the VMM signals the eventfd again;
 *  - closing the eventfd removes the irqfd: a resample irqfd's hold on
 *    the line goes with it;
 *  - signals racing with deassign, close and the VM's destruction: the
 *    host kernel's log stays clean (the rig checks it).
 * GSIs 16-23 go to the IOAPIC only in the default routing, so the 8259A
 * plays no part.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>

#include "kvmx_test.h"
#include "irqchip_util.h"

#define EDGE_GSI	16
#define EDGE_VEC	0x51
#define LEVEL_GSI	17
#define LEVEL_VEC	0x61
#define MSI_GSI		30
#define MSI_VEC		0x71

/* ---- host helpers ------------------------------------------------------- */

#define REQUIRE_IRQFD() do {						\
	IRQC_REQUIRE_IRQCHIP();						\
	if (kvm_check_cap(KVM_CAP_IRQFD) <= 0)				\
		TEST_SKIP(return, "KVM_CAP_IRQFD not reported");	\
} while (0)

#define REQUIRE_RESAMPLE() do {						\
	REQUIRE_IRQFD();						\
	if (kvm_check_cap(KVM_CAP_IRQFD_RESAMPLE) <= 0)			\
		TEST_SKIP(return, "KVM_CAP_IRQFD_RESAMPLE not reported"); \
} while (0)

static int __irqfd(struct kvm_vm *vm, int fd, uint32_t gsi, uint32_t flags,
		   int resamplefd)
{
	struct kvm_irqfd a = {
		.fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd,
	};

	return ioctl(vm->fd, KVM_IRQFD, &a);
}

static void irqfd_assign(struct kvm_vm *vm, int fd, uint32_t gsi,
			 uint32_t flags, int resamplefd)
{
	int r = __irqfd(vm, fd, gsi, flags, resamplefd);

	TEST_ASSERT(r == 0, "KVM_IRQFD fd %d gsi %u flags %u: %d errno %d",
		    fd, gsi, flags, r, errno);
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	TEST_ASSERT(fd >= 0, "eventfd: errno %d", errno);
	return fd;
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	TEST_ASSERT(write(fd, &one, 8) == 8, "eventfd write: errno %d", errno);
}

/* The eventfd's count (0 if it was 0: EAGAIN), which reading resets. */
static uint64_t efd_take(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, 8) != 8) {
		TEST_ASSERT(errno == EAGAIN, "eventfd read: errno %d", errno);
		return 0;
	}
	return v;
}

static struct kvm_ioapic_state ioapic_state(struct kvm_vm *vm)
{
	struct kvm_irqchip c;

	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	return c.chip.ioapic;
}

/* ---- errnos ------------------------------------------------------------- */

TEST(errnos_without_irqchip)
{
	struct kvm_vm *vm;
	int efd, rfd;

	if (kvm_check_cap(KVM_CAP_IRQFD) <= 0)
		TEST_SKIP(return, "KVM_CAP_IRQFD not reported");
	vm = vm_create_bare();
	efd = new_eventfd();
	rfd = new_eventfd();
	EXPECT_ERRNO(EINVAL, __irqfd(vm, efd, 0, 0, 0));
	EXPECT_ERRNO(EINVAL, __irqfd(vm, efd, 5, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	/* flags are checked before anything else */
	EXPECT_ERRNO(EINVAL, __irqfd(vm, -1, 0, 1 << 2, 0));
	/* deassign needs no irqchip: nothing matches, which is fine */
	EXPECT_EQ(0, __irqfd(vm, efd, 0, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_ERRNO(EBADF, __irqfd(vm, -1, 0, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, KVM_IRQFD, NULL));
	close(efd);
	close(rfd);
	kvm_vm_free(vm);
}

TEST(errnos)
{
	struct kvm_vm *vm;
	int efd, efd2, rfd, p[2];

	REQUIRE_RESAMPLE();
	vm = irqc_vm_create();
	efd = new_eventfd();
	efd2 = new_eventfd();
	rfd = new_eventfd();
	ASSERT_EQ(0, pipe(p));

	EXPECT_ERRNO(EINVAL, __irqfd(vm, efd, EDGE_GSI, 1 << 2, 0));
	EXPECT_ERRNO(EINVAL, __irqfd(vm, efd, EDGE_GSI, ~0U, 0));
	EXPECT_ERRNO(EBADF, __irqfd(vm, -1, EDGE_GSI, 0, 0));
	EXPECT_ERRNO(EBADF, __irqfd(vm, 1000, EDGE_GSI, 0, 0));
	/* not an eventfd */
	EXPECT_ERRNO(EINVAL, __irqfd(vm, p[0], EDGE_GSI, 0, 0));
	EXPECT_ERRNO(EBADF, __irqfd(vm, efd, LEVEL_GSI,
				    KVM_IRQFD_FLAG_RESAMPLE, -1));
	EXPECT_ERRNO(EINVAL, __irqfd(vm, efd, LEVEL_GSI,
				     KVM_IRQFD_FLAG_RESAMPLE, p[1]));

	EXPECT_EQ(0, __irqfd(vm, efd, EDGE_GSI, 0, 0));
	/* one eventfd, one irqfd per VM, whatever the GSI or flags */
	EXPECT_ERRNO(EBUSY, __irqfd(vm, efd, EDGE_GSI, 0, 0));
	EXPECT_ERRNO(EBUSY, __irqfd(vm, efd, EDGE_GSI + 1, 0, 0));
	EXPECT_ERRNO(EBUSY, __irqfd(vm, efd, LEVEL_GSI,
				    KVM_IRQFD_FLAG_RESAMPLE, rfd));
	/* another eventfd on the same GSI is fine */
	EXPECT_EQ(0, __irqfd(vm, efd2, EDGE_GSI, 0, 0));

	/* deassign: by (fd, gsi); no match is not an error */
	EXPECT_EQ(0, __irqfd(vm, efd, EDGE_GSI + 1, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_ERRNO(EBUSY, __irqfd(vm, efd, EDGE_GSI, 0, 0));
	EXPECT_EQ(0, __irqfd(vm, efd, EDGE_GSI, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_EQ(0, __irqfd(vm, efd, EDGE_GSI, KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_ERRNO(EBADF, __irqfd(vm, -1, EDGE_GSI,
				    KVM_IRQFD_FLAG_DEASSIGN, 0));
	EXPECT_ERRNO(EINVAL, __irqfd(vm, p[0], EDGE_GSI,
				     KVM_IRQFD_FLAG_DEASSIGN, 0));
	/* unknown flags even with DEASSIGN */
	EXPECT_ERRNO(EINVAL, __irqfd(vm, efd2, EDGE_GSI,
				     KVM_IRQFD_FLAG_DEASSIGN | 1 << 2, 0));
	/* gone: may be assigned again, now resampling */
	EXPECT_EQ(0, __irqfd(vm, efd, LEVEL_GSI, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	/* DEASSIGN with RESAMPLE is a deassign */
	EXPECT_EQ(0, __irqfd(vm, efd, LEVEL_GSI, KVM_IRQFD_FLAG_DEASSIGN |
			     KVM_IRQFD_FLAG_RESAMPLE, 0));
	EXPECT_EQ(0, __irqfd(vm, efd, LEVEL_GSI, 0, 0));

	/* the VM goes with irqfds assigned */
	close(p[0]);
	close(p[1]);
	kvm_vm_free(vm);
	close(efd);
	close(efd2);
	close(rfd);
}

TEST(split_irqchip_no_resample)
{
	struct kvm_vm *vm;
	int efd, rfd;

	REQUIRE_IRQFD();
	if (kvm_check_cap(KVM_CAP_SPLIT_IRQCHIP) <= 0)
		TEST_SKIP(return, "KVM_CAP_SPLIT_IRQCHIP not reported");
	vm = vm_create_bare();
	vm_enable_cap(vm, KVM_CAP_SPLIT_IRQCHIP, 24);
	efd = new_eventfd();
	rfd = new_eventfd();
	/* resampling needs the in-kernel IOAPIC's EOI */
	EXPECT_ERRNO(EINVAL, __irqfd(vm, efd, 5, KVM_IRQFD_FLAG_RESAMPLE, rfd));
	/* a plain irqfd only needs the LAPICs (an MSI route) */
	EXPECT_EQ(0, __irqfd(vm, efd, 5, 0, 0));
	kvm_vm_free(vm);
	close(efd);
	close(rfd);
}

/* ---- edge --------------------------------------------------------------- */

static void guest_edge(void)
{
	irqc_apic_enable();
	irqc_ioapic_set_rte(EDGE_GSI, EDGE_VEC, 0);
	GUEST_SYNC(1);
	/* the count that was there before the irqfd was assigned */
	IRQC_WAIT(EDGE_VEC, 1);
	GUEST_ASSERT_EQ(guest_irq_last, EDGE_VEC);
	irqc_apic_eoi();
	IRQC_QUIET(EDGE_VEC, 1);
	GUEST_SYNC(2);
	IRQC_WAIT(EDGE_VEC, 2);
	irqc_apic_eoi();
	IRQC_QUIET(EDGE_VEC, 2);
	GUEST_SYNC(3);
	IRQC_WAIT(EDGE_VEC, 3);
	irqc_apic_eoi();
	GUEST_SYNC(4);
	/* deassigned: the signal is ignored */
	IRQC_QUIET(EDGE_VEC, 3);
	GUEST_SYNC(5);
}

TEST(edge_ioapic_pin)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int efd;

	REQUIRE_IRQFD();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_edge);
	efd = new_eventfd();
	irqc_sync(vcpu, 1);
	/* signalled before it is an irqfd: one injection at assign time */
	efd_signal(efd);
	irqfd_assign(vm, efd, EDGE_GSI, 0, 0);
	irqc_sync(vcpu, 2);
	/* in-tree leaves that count unread; a signal reads it all */
	efd_signal(efd);
	irqc_sync(vcpu, 3);
	EXPECT_EQ(0, efd_take(efd));
	/* a deassign of another GSI leaves it alone */
	EXPECT_EQ(0, __irqfd(vm, efd, EDGE_GSI + 1, KVM_IRQFD_FLAG_DEASSIGN,
			     0));
	efd_signal(efd);
	irqc_sync(vcpu, 4);
	EXPECT_EQ(0, efd_take(efd));
	EXPECT_EQ(0, __irqfd(vm, efd, EDGE_GSI, KVM_IRQFD_FLAG_DEASSIGN, 0));
	efd_signal(efd);
	irqc_sync(vcpu, 5);
	/* nobody read it */
	EXPECT_EQ(1, efd_take(efd));
	kvm_vm_free(vm);
	close(efd);
}

/* ---- MSI route ---------------------------------------------------------- */

static void guest_msi(void)
{
	irqc_apic_enable();
	GUEST_SYNC(1);
	IRQC_WAIT(MSI_VEC, 1);
	GUEST_ASSERT_EQ(guest_irq_last, MSI_VEC);
	/* an MSI is edge: TMR clear */
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, MSI_VEC), 0);
	irqc_apic_eoi();
	IRQC_QUIET(MSI_VEC, 1);
	GUEST_SYNC(2);
	IRQC_WAIT(MSI_VEC, 2);
	irqc_apic_eoi();
	IRQC_QUIET(MSI_VEC, 2);
	GUEST_SYNC(3);
}

TEST(msi_route)
{
	struct kvm_irq_routing *r;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int efd;

	REQUIRE_IRQFD();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_msi);
	r = irqc_routing_alloc(64);
	irqc_route_default(r);
	/* physical destination APIC ID 0, fixed, edge */
	irqc_route_msi(r, MSI_GSI, IRQC_MSI_ADDR(0, false), MSI_VEC);
	irqc_set_routing(vm, r);
	free(r);
	efd = new_eventfd();
	irqfd_assign(vm, efd, MSI_GSI, 0, 0);
	irqc_sync(vcpu, 1);
	efd_signal(efd);
	irqc_sync(vcpu, 2);
	efd_signal(efd);
	irqc_sync(vcpu, 3);
	kvm_vm_free(vm);
	close(efd);
}

/* ---- resample ----------------------------------------------------------- */

static void guest_level(void)
{
	irqc_apic_enable();
	irqc_ioapic_set_rte(LEVEL_GSI, IRQC_RTE_LEVEL | LEVEL_VEC, 0);
	GUEST_SYNC(1);
	IRQC_WAIT(LEVEL_VEC, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, LEVEL_VEC), 1);
	GUEST_ASSERT(irqc_ioapic_rte_lo(LEVEL_GSI) & IRQC_RTE_REMOTE_IRR);
	/* in service, not acknowledged yet */
	GUEST_SYNC(2);
	irqc_apic_eoi();
	/* the line was lowered before Remote IRR cleared: no second one */
	IRQC_QUIET(LEVEL_VEC, 1);
	GUEST_ASSERT(!(irqc_ioapic_rte_lo(LEVEL_GSI) & IRQC_RTE_REMOTE_IRR));
	GUEST_SYNC(3);
	/* the VMM signalled again */
	IRQC_WAIT(LEVEL_VEC, 2);
	irqc_apic_eoi();
	IRQC_QUIET(LEVEL_VEC, 2);
	GUEST_SYNC(4);
}

TEST(resample_level_pin)
{
	struct kvm_ioapic_state io;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int efd, rfd, efd2, rfd2;

	REQUIRE_RESAMPLE();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_level);
	efd = new_eventfd();
	rfd = new_eventfd();
	efd2 = new_eventfd();
	rfd2 = new_eventfd();
	irqfd_assign(vm, efd, LEVEL_GSI, KVM_IRQFD_FLAG_RESAMPLE, rfd);
	/* a second device sharing the line: its resamplefd is signalled too */
	irqfd_assign(vm, efd2, LEVEL_GSI, KVM_IRQFD_FLAG_RESAMPLE, rfd2);
	irqc_sync(vcpu, 1);
	efd_signal(efd);
	irqc_sync(vcpu, 2);
	io = ioapic_state(vm);
	EXPECT_EQ(1, !!io.redirtbl[LEVEL_GSI].fields.remote_irr);
	EXPECT_EQ(1, (io.irr >> LEVEL_GSI) & 1);
	/* no EOI yet, no resample */
	EXPECT_EQ(0, efd_take(rfd));
	EXPECT_EQ(0, efd_take(rfd2));
	irqc_sync(vcpu, 3);
	EXPECT_EQ(1, efd_take(rfd));
	EXPECT_EQ(1, efd_take(rfd2));
	io = ioapic_state(vm);
	EXPECT_EQ(0, !!io.redirtbl[LEVEL_GSI].fields.remote_irr);
	EXPECT_EQ(0, (io.irr >> LEVEL_GSI) & 1);
	/* the device still wants service: the VMM signals again */
	efd_signal(efd);
	irqc_sync(vcpu, 4);
	EXPECT_EQ(1, efd_take(rfd));
	EXPECT_EQ(1, efd_take(rfd2));
	EXPECT_EQ(0, efd_take(efd));
	kvm_vm_free(vm);
	close(efd);
	close(rfd);
	close(efd2);
	close(rfd2);
}

/* ---- close -------------------------------------------------------------- */

/* Waits up to 2 s for bit @pin of the IOAPIC's IRR to become @v. */
static bool wait_ioapic_irr(struct kvm_vm *vm, unsigned int pin, int v)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 2000; i++) {
		if ((int)((ioapic_state(vm).irr >> pin) & 1) == v)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/*
 * A resample irqfd holds its line high until an EOI; the guest has the
 * pin masked, so none comes.  Closing the eventfd takes the irqfd away
 * (in-tree: EPOLLHUP, then its shutdown work), and with the last
 * resample irqfd of the GSI its hold on the line: the line drops.
 */
TEST(close_removes_irqfd)
{
	struct kvm_vm *vm;
	int efd, rfd, efd2;

	REQUIRE_RESAMPLE();
	vm = irqc_vm_create();
	efd = new_eventfd();
	rfd = new_eventfd();
	irqfd_assign(vm, efd, LEVEL_GSI, KVM_IRQFD_FLAG_RESAMPLE, rfd);
	efd_signal(efd);
	EXPECT_TRUE(wait_ioapic_irr(vm, LEVEL_GSI, 1));
	close(efd);
	EXPECT_TRUE(wait_ioapic_irr(vm, LEVEL_GSI, 0));
	EXPECT_EQ(0, efd_take(rfd));

	/* a plain irqfd closed: a new one on the same GSI works */
	efd = new_eventfd();
	irqfd_assign(vm, efd, EDGE_GSI, 0, 0);
	close(efd);
	efd2 = new_eventfd();
	EXPECT_EQ(0, __irqfd(vm, efd2, EDGE_GSI, 0, 0));
	kvm_vm_free(vm);
	close(rfd);
	close(efd2);
}

/* ---- races -------------------------------------------------------------- */

struct writer {
	int fd;
	volatile bool stop;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	uint64_t one = 1;
	int i;

	/* EBADF once the fd is closed under it: expected, ignored */
	for (i = 0; i < 200000 && !w->stop; i++)
		if (write(w->fd, &one, 8) != 8 && errno == EBADF)
			break;
	return NULL;
}

static void start_writer(pthread_t *t, struct writer *w, int fd)
{
	w->fd = fd;
	w->stop = false;
	TEST_ASSERT(!pthread_create(t, NULL, writer_fn, w), "pthread_create");
}

static void stop_writer(pthread_t t, struct writer *w)
{
	w->stop = true;
	pthread_join(t, NULL);
}

TEST(signal_races)
{
	struct timespec ts = { 0, 200000 };
	struct writer w;
	struct kvm_vm *vm;
	pthread_t t;
	int i, efd, rfd;

	REQUIRE_RESAMPLE();
	vm = irqc_vm_create();
	/* a vCPU for the IOAPIC's deliveries to land on (it never runs) */
	vm_vcpu_add_guest(vm, 0, NULL);
	rfd = new_eventfd();
	for (i = 0; i < 100; i++) {
		bool resample = i & 1;
		uint32_t gsi = resample ? LEVEL_GSI : EDGE_GSI;

		efd = new_eventfd();
		irqfd_assign(vm, efd, gsi,
			     resample ? KVM_IRQFD_FLAG_RESAMPLE : 0, rfd);
		start_writer(&t, &w, efd);
		nanosleep(&ts, NULL);
		if (i & 2) {
			EXPECT_EQ(0, __irqfd(vm, efd, gsi,
					     KVM_IRQFD_FLAG_DEASSIGN, 0));
			stop_writer(t, &w);
			close(efd);
		} else {
			/* EPOLLHUP while the writer may be in write() */
			close(efd);
			stop_writer(t, &w);
		}
	}
	/* the VM goes while an irqfd of it is being signalled */
	efd = new_eventfd();
	irqfd_assign(vm, efd, LEVEL_GSI, KVM_IRQFD_FLAG_RESAMPLE, rfd);
	start_writer(&t, &w, efd);
	nanosleep(&ts, NULL);
	kvm_vm_free(vm);
	nanosleep(&ts, NULL);
	stop_writer(t, &w);
	close(efd);
	close(rfd);
}

TEST_HARNESS_MAIN
