// SPDX-License-Identifier: GPL-2.0-only
/*
 * The split irqchip (Documentation/virt/kvm/api.rst, KVM_CAP_SPLIT_IRQCHIP):
 * LAPICs in the kernel, PIC and IOAPIC in userspace.
 *  - KVM_ENABLE_CAP: args[0] (the IOAPIC pins reserved in the GSI space)
 *    above KVM_MAX_IRQ_ROUTES (4096) is EINVAL; a second time, after KVM_CREATE_IRQCHIP or after
 *    a vCPU exists, EEXIST; KVM_CREATE_IRQCHIP afterwards EEXIST;
 *    KVM_GET_IRQCHIP ENXIO (no in-kernel PIC/IOAPIC to read);
 *  - the LAPIC page is handled in the kernel (no MMIO exit);
 *  - the PIC ports, the ELCR and the IOAPIC page exit to userspace;
 *  - the routing takes MSI entries only (irqchip entries are EINVAL); MSI
 *    routes, irqfds and KVM_SIGNAL_MSI deliver;
 *  - a level-triggered MSI route on a GSI below args[0] makes the vCPU's
 *    EOI of its vector exit with KVM_EXIT_IOAPIC_EOI (the userspace
 *    IOAPIC's Remote IRR); GSIs above, and edge routes, do not;
 *  - KVM_IRQ_LINE on a split irqchip.
 */
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmx_test.h"
#include "irqchip_util.h"

static int enable_split(struct kvm_vm *vm, uint64_t pins)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP, .args = { pins },
	};

	return ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
}

TEST(enable_errnos)
{
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_vm *vm;

	vm = vm_create_bare();
	/* At most KVM_MAX_IRQ_ROUTES pins (not just the IOAPIC's 24). */
	EXPECT_ERRNO(EINVAL, enable_split(vm, 4097));
	EXPECT_ERRNO(EINVAL, enable_split(vm, 1ULL << 32));
	EXPECT_EQ(0, enable_split(vm, 24));
	EXPECT_ERRNO(EEXIST, enable_split(vm, 24));
	EXPECT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_IRQCHIP, &c));
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_SET_IRQCHIP, &c));
	kvm_vm_free(vm);

	vm = vm_create_bare();
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	EXPECT_ERRNO(EEXIST, enable_split(vm, 24));
	kvm_vm_free(vm);

	vm = vm_create_bare();
	vm_vcpu_add_bare(vm, 0);
	EXPECT_ERRNO(EEXIST, enable_split(vm, 24));
	kvm_vm_free(vm);

	/* No reserved pins is allowed. */
	vm = vm_create_bare();
	EXPECT_EQ(0, enable_split(vm, 0));
	kvm_vm_free(vm);
}

static struct kvm_vm *split_vm(void)
{
	struct kvm_vm *vm = vm_create_guest(NULL, NULL);

	TEST_ASSERT(enable_split(vm, 24) == 0, "KVM_CAP_SPLIT_IRQCHIP: errno %d", errno);
	return vm;
}

static void guest_lapic(void)
{
	/* Version 0x14 (integrated APIC), at least 4 LVT entries. */
	GUEST_ASSERT_EQ(irqc_apic_read(IRQC_APIC_LVR) & 0xff, 0x14);
	GUEST_ASSERT(((irqc_apic_read(IRQC_APIC_LVR) >> 16) & 0xff) >= 4);
	GUEST_ASSERT_EQ(irqc_apic_read(IRQC_APIC_ID), 0);
	irqc_apic_enable();
	GUEST_ASSERT_EQ(irqc_apic_read(IRQC_APIC_SPIV), 0x1ff);
	irqc_apic_write(IRQC_APIC_TPR, 0x20);
	GUEST_ASSERT_EQ(irqc_apic_read(IRQC_APIC_TPR), 0x20);
	irqc_apic_write(IRQC_APIC_TPR, 0);
	/* The self IPI path of the in-kernel LAPIC. */
	irqc_apic_write(0x300, 0x40000 | 0x4000 | 0x59);
	IRQC_WAIT(0x59, 1);
	irqc_apic_eoi();
	GUEST_SYNC(1);
}

TEST(lapic_in_kernel)
{
	struct kvm_lapic_state s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint32_t spiv;

	vm = split_vm();
	vcpu = irqc_vcpu_add(vm, 0, guest_lapic);
	/* Any MMIO exit here would fail the ucall expectation. */
	irqc_sync(vcpu, 1);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	memcpy(&spiv, s.regs + IRQC_APIC_SPIV, 4);
	EXPECT_EQ(0x1ff, spiv);
	kvm_vm_free(vm);
}

static void guest_ports(void)
{
	outb(IRQC_PIC1_CMD, 0x11);
	GUEST_ASSERT_EQ(inb(IRQC_PIC2_DATA), 0x5a);
	outb(IRQC_ELCR1, 0x20);
	GUEST_ASSERT_EQ(inb(IRQC_ELCR2), 0x0c);
	*(volatile uint32_t *)IRQC_IOAPIC_BASE = 0x01;
	GUEST_ASSERT_EQ(*(volatile uint32_t *)(IRQC_IOAPIC_BASE + 0x10),
			0x00170011);
	GUEST_SYNC(1);
}

TEST(pic_ioapic_exit)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = split_vm();
	vcpu = irqc_vcpu_add(vm, 0, guest_ports);

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, IRQC_PIC1_CMD, 1);
	EXPECT_EQ(0x11, *(uint8_t *)vcpu_io_data(vcpu));
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_IN, IRQC_PIC2_DATA, 1);
	*(uint8_t *)vcpu_io_data(vcpu) = 0x5a;
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, IRQC_ELCR1, 1);
	EXPECT_EQ(0x20, *(uint8_t *)vcpu_io_data(vcpu));
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_IN, IRQC_ELCR2, 1);
	*(uint8_t *)vcpu_io_data(vcpu) = 0x0c;
	vcpu_run(vcpu);
	vcpu_assert_mmio(vcpu, true, IRQC_IOAPIC_BASE, 4);
	EXPECT_EQ(1, vcpu_mmio_data(vcpu));
	vcpu_run(vcpu);
	vcpu_assert_mmio(vcpu, false, IRQC_IOAPIC_BASE + 0x10, 4);
	vcpu_mmio_set_data(vcpu, 0x00170011);
	irqc_sync(vcpu, 1);
	kvm_vm_free(vm);
}

static void guest_msi(void)
{
	irqc_apic_enable();
	GUEST_SYNC(1);
	IRQC_WAIT(0x61, 1);		/* MSI route via KVM_IRQ_LINE */
	irqc_apic_eoi();
	GUEST_SYNC(2);
	IRQC_WAIT(0x62, 1);		/* KVM_SIGNAL_MSI */
	irqc_apic_eoi();
	GUEST_SYNC(3);
	IRQC_WAIT(0x61, 2);		/* irqfd */
	irqc_apic_eoi();
}

TEST(msi_delivery)
{
	struct kvm_irq_routing *r = irqc_routing_alloc(4);
	struct kvm_irqfd irqfd = { .gsi = 5 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t one = 1;
	int efd;

	vm = split_vm();
	vcpu = irqc_vcpu_add(vm, 0, guest_msi);
	irqc_sync(vcpu, 1);

	/* No in-kernel PIC or IOAPIC to route to. */
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_IOAPIC, 5);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->nr = 0;
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_PIC_MASTER, 5);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->nr = 0;
	irqc_route_msi(r, 5, IRQC_MSI_ADDR(0, false), 0x61);
	irqc_set_routing(vm, r);
	free(r);

	/*
	 * KVM_IRQ_LINE is not refused on a split irqchip: the GSI goes
	 * through the routing table like any other (here to the MSI).
	 */
	EXPECT_EQ(1, irqc_line_status(vm, 5, 1));
	EXPECT_EQ(-1, irqc_line_status(vm, 5, 0));
	/* A GSI without a route (the in-kernel default table is empty). */
	EXPECT_EQ(-1, irqc_line_status(vm, 4, 1));
	irqc_sync(vcpu, 2);

	EXPECT_EQ(1, __irqc_signal_msi(vm, IRQC_MSI_ADDR(0, false), 0x62, 0));
	EXPECT_ERRNO(EINVAL, __irqc_signal_msi(vm, IRQC_MSI_ADDR(0, false),
					       0x62, 2));
	irqc_sync(vcpu, 3);

	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	irqfd.fd = efd;
	ASSERT_OK(ioctl(vm->fd, KVM_IRQFD, &irqfd));
	ASSERT_EQ(8, write(efd, &one, 8));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	close(efd);
	kvm_vm_free(vm);
}

static void guest_eoi(void)
{
	irqc_apic_enable();
	GUEST_SYNC(1);
	IRQC_WAIT(0x71, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, 0x71), 1);
	irqc_apic_eoi();		/* KVM_EXIT_IOAPIC_EOI */
	GUEST_SYNC(2);
	/* 0x73 first: same priority class, higher vector. */
	IRQC_WAIT(0x73, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, 0x73), 0);
	irqc_apic_eoi();		/* edge: no exit */
	IRQC_WAIT(0x72, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, 0x72), 1);
	irqc_apic_eoi();		/* GSI 30: no exit */
	GUEST_SYNC(3);
	IRQC_WAIT(0x71, 2);
	irqc_apic_eoi();		/* KVM_EXIT_IOAPIC_EOI again */
	GUEST_SYNC(4);
}

TEST(ioapic_eoi_exit)
{
	struct kvm_irq_routing *r = irqc_routing_alloc(4);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint32_t a0 = IRQC_MSI_ADDR(0, false);

	vm = split_vm();
	vcpu = irqc_vcpu_add(vm, 0, guest_eoi);
	irqc_route_msi(r, 3, a0, IRQC_MSI_DATA_LEVEL | 0x71);
	irqc_route_msi(r, 30, a0, IRQC_MSI_DATA_LEVEL | 0x72);
	irqc_route_msi(r, 4, a0, 0x73);
	irqc_set_routing(vm, r);
	free(r);
	irqc_sync(vcpu, 1);

	EXPECT_EQ(1, __irqc_signal_msi(vm, a0, IRQC_MSI_DATA_LEVEL | 0x71, 0));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IOAPIC_EOI);
	EXPECT_EQ(0x71, vcpu->run->eoi.vector);
	irqc_sync(vcpu, 2);

	EXPECT_EQ(1, __irqc_signal_msi(vm, a0, IRQC_MSI_DATA_LEVEL | 0x72, 0));
	EXPECT_EQ(1, __irqc_signal_msi(vm, a0, 0x73, 0));
	irqc_sync(vcpu, 3);

	/* Through the route itself (KVM_IRQ_LINE on GSI 3). */
	EXPECT_EQ(1, irqc_line_status(vm, 3, 1));
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IOAPIC_EOI);
	EXPECT_EQ(0x71, vcpu->run->eoi.vector);
	irqc_sync(vcpu, 4);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
