// SPDX-License-Identifier: GPL-2.0-only
/*
 * GSI routing (Documentation/virt/kvm/api.rst, KVM_SET_GSI_ROUTING,
 * KVM_SIGNAL_MSI, KVM_IRQFD) with the full in-kernel irqchip:
 *  - KVM_SET_GSI_ROUTING's errnos: no irqchip, nr above KVM_MAX_IRQ_ROUTES
 *    (4096), routing flags, entry flags, GSI >= 4096, an irqchip id or pin
 *    that does not exist, an unknown type, a GSI routed twice to one
 *    irqchip or to an MSI and anything else, a bad pointer; a refused
 *    table leaves the old one in force;
 *  - the default routing of KVM_CREATE_IRQCHIP (GSI 0-15: PIC and IOAPIC,
 *    16-23: IOAPIC), seen through KVM_IRQ_LINE_STATUS's counts, and the
 *    same table set explicitly;
 *  - MSI routes (SDM Vol. 3A 11.11: address 0xfee00000 | dest << 12 |
 *    DM << 2, data = vector) delivering to a chosen APIC ID, physical
 *    and flat logical, also from an irqfd;
 *  - KVM_SIGNAL_MSI: flags and no-irqchip errnos, delivery, its return
 *    value (the number of CPUs);
 *  - one GSI routed to a PIC input and an IOAPIC pin at once.
 */
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvmx_test.h"
#include "irqchip_util.h"

static int set1(struct kvm_vm *vm, struct kvm_irq_routing_entry e)
{
	struct kvm_irq_routing *r = irqc_routing_alloc(1);
	int ret;

	r->nr = 1;
	r->entries[0] = e;
	ret = __irqc_set_routing(vm, r);
	free(r);
	return ret;
}

#define IRQCHIP_E(g, chip, p) ((struct kvm_irq_routing_entry){		\
	.gsi = (g), .type = KVM_IRQ_ROUTING_IRQCHIP,			\
	.u.irqchip = { .irqchip = (chip), .pin = (p) } })
#define MSI_E(g, a, d) ((struct kvm_irq_routing_entry){			\
	.gsi = (g), .type = KVM_IRQ_ROUTING_MSI,			\
	.u.msi = { .address_lo = (a), .data = (d) } })

TEST(no_irqchip_einval)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irq_routing r = { .nr = 0 };

	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, KVM_SET_GSI_ROUTING, &r));
	kvm_vm_free(vm);
}

TEST(validation)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irq_routing *r = irqc_routing_alloc(4097);
	struct kvm_irq_routing_entry e;
	unsigned int i;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);

	r->nr = 4097;
	for (i = 0; i < 4097; i++)
		r->entries[i] = MSI_E(i % 4096, 0xfee00000, 0x40);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->nr = 1;
	r->flags = 1;
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->flags = 0;

	e = IRQCHIP_E(4096, KVM_IRQCHIP_IOAPIC, 0);
	EXPECT_ERRNO(EINVAL, set1(vm, e));
	e = IRQCHIP_E(5, KVM_IRQCHIP_IOAPIC, 5);
	e.flags = 1;
	EXPECT_ERRNO(EINVAL, set1(vm, e));
	e = MSI_E(5, 0xfee00000, 0x40);
	e.flags = 2;
	EXPECT_ERRNO(EINVAL, set1(vm, e));
	EXPECT_ERRNO(EINVAL, set1(vm, IRQCHIP_E(5, 3, 0)));
	EXPECT_ERRNO(EINVAL, set1(vm, IRQCHIP_E(5, 0xffffffff, 0)));
	EXPECT_ERRNO(EINVAL, set1(vm, IRQCHIP_E(5, KVM_IRQCHIP_PIC_MASTER, 8)));
	EXPECT_ERRNO(EINVAL, set1(vm, IRQCHIP_E(5, KVM_IRQCHIP_PIC_SLAVE, 8)));
	EXPECT_ERRNO(EINVAL, set1(vm, IRQCHIP_E(5, KVM_IRQCHIP_IOAPIC, 24)));
	e = MSI_E(5, 0xfee00000, 0x40);
	e.type = 0;
	EXPECT_ERRNO(EINVAL, set1(vm, e));
	e.type = 99;
	EXPECT_ERRNO(EINVAL, set1(vm, e));

	/* One GSI: at most once per irqchip, and an MSI alone. */
	r->nr = 0;
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_IOAPIC, 5);
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_IOAPIC, 6);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->nr = 0;
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_PIC_MASTER, 5);
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_PIC_MASTER, 5);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->nr = 0;
	irqc_route_msi(r, 5, 0xfee00000, 0x40);
	irqc_route_msi(r, 5, 0xfee00000, 0x41);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->nr = 0;
	irqc_route_msi(r, 5, 0xfee00000, 0x40);
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_IOAPIC, 5);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));
	r->nr = 0;
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_IOAPIC, 5);
	irqc_route_msi(r, 5, 0xfee00000, 0x40);
	EXPECT_ERRNO(EINVAL, __irqc_set_routing(vm, r));

	/* A table the kernel cannot read. */
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, KVM_SET_GSI_ROUTING, (void *)8));

	/* Every refusal left the default routing: GSI 16 is IOAPIC pin 16. */
	EXPECT_EQ(1, irqc_line_status(vm, 16, 0));

	/* Allowed: one GSI to a PIC input and an IOAPIC pin. */
	r->nr = 0;
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_PIC_MASTER, 5);
	irqc_route_irqchip(r, 5, KVM_IRQCHIP_IOAPIC, 5);
	EXPECT_EQ(0, __irqc_set_routing(vm, r));
	/* The devid flag is accepted on MSI routes. */
	e = MSI_E(5, 0xfee00000, 0x40);
	e.flags = KVM_MSI_VALID_DEVID;
	EXPECT_EQ(0, set1(vm, e));

	/* The largest table: 4096 MSI routes on GSI 0-4095. */
	r->nr = 4096;
	for (i = 0; i < 4096; i++)
		r->entries[i] = MSI_E(i, 0xfee00000, 0x40);
	EXPECT_EQ(0, __irqc_set_routing(vm, r));

	/* An empty table: GSI 16 goes nowhere. */
	r->nr = 0;
	EXPECT_EQ(0, __irqc_set_routing(vm, r));
	EXPECT_EQ(-1, irqc_line_status(vm, 16, 0));
	EXPECT_EQ(-1, irqc_line_status(vm, 3, 1));
	free(r);
	kvm_vm_free(vm);
}

/*
 * Lowering a line answers 1 per IOAPIC pin and per unmasked PIC input it
 * reaches, -1 if it reaches nothing: the routing made visible.
 */
static void check_default_routes(struct __test_metadata *_metadata,
				 struct kvm_vm *vm)
{
	uint32_t gsi;

	for (gsi = 0; gsi < 30; gsi++) {
		int expect = gsi < 16 ? 2 : gsi < 24 ? 1 : -1;
		int st = irqc_line_status(vm, gsi, 0);

		if (st != expect) {
			TH_LOG("GSI %u: status %d, expected %d", gsi, st, expect);
			_metadata->passed = 0;
		}
	}
}

TEST(default_routing)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irq_routing *r = irqc_routing_alloc(40);

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	check_default_routes(_metadata, vm);
	/* The same table set explicitly. */
	irqc_route_default(r);
	irqc_set_routing(vm, r);
	check_default_routes(_metadata, vm);
	/* IOAPIC only: 1 for GSI 0-15 too. */
	r->nr = 0;
	for (uint32_t i = 0; i < 24; i++)
		irqc_route_irqchip(r, i, KVM_IRQCHIP_IOAPIC, i);
	irqc_set_routing(vm, r);
	EXPECT_EQ(1, irqc_line_status(vm, 3, 0));
	EXPECT_EQ(1, irqc_line_status(vm, 12, 0));
	free(r);
	kvm_vm_free(vm);
}

/* vCPU 0: logical ID 0x01; vCPU 1: logical ID 0x02 (flat model). */
static void guest_msi0(void)
{
	irqc_apic_enable();
	irqc_apic_write(IRQC_APIC_LDR, 0x01000000);
	GUEST_SYNC(1);
	/* 0x62 (logical 0x01) and 0x63 (logical 0x03) are for this one. */
	IRQC_WAIT(0x63, 2);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x63), 1);
	irqc_apic_eoi();
	IRQC_WAIT(0x62, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x62), 1);
	irqc_apic_eoi();
	/* 0x61 (physical 1) was not. */
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_IRR, 0x61), 0);
	GUEST_ASSERT_EQ(guest_irq_count[0x61], 1);
	GUEST_SYNC(2);
	/* From the irqfd. */
	IRQC_WAIT(0x65, 1);
	irqc_apic_eoi();
	GUEST_SYNC(3);
	/* KVM_SIGNAL_MSI to logical 0x03. */
	IRQC_WAIT(0x67, 2);
	irqc_apic_eoi();
}

static void guest_msi1(void)
{
	irqc_apic_enable();
	irqc_apic_write(IRQC_APIC_LDR, 0x02000000);
	GUEST_SYNC(1);
	IRQC_WAIT(0x63, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x63), 1);
	irqc_apic_eoi();
	IRQC_WAIT(0x61, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x61), 1);
	irqc_apic_eoi();
	IRQC_QUIET(0x62, 0);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_IRR, 0x62), 0);
	GUEST_SYNC(2);
	/* KVM_SIGNAL_MSI: 0x67 to both first (higher), then 0x66 physical 1. */
	IRQC_WAIT(0x67, 1);
	irqc_apic_eoi();
	IRQC_WAIT(0x66, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x66), 1);
	irqc_apic_eoi();
	GUEST_ASSERT_EQ(guest_irq_count[0x65], 1);
}

TEST(msi_routes_and_signal_msi)
{
	struct kvm_irq_routing *r = irqc_routing_alloc(64);
	struct kvm_irqfd irqfd = { .gsi = 44 };
	struct kvm_vcpu *v0, *v1;
	struct kvm_vm *vm;
	uint64_t one = 1;
	int efd;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	v0 = irqc_vcpu_add(vm, 0, guest_msi0);
	v1 = irqc_vcpu_add(vm, 1, guest_msi1);
	irqc_sync(v0, 1);
	irqc_sync(v1, 1);

	irqc_route_default(r);
	irqc_route_msi(r, 40, IRQC_MSI_ADDR(1, false), 0x61);
	irqc_route_msi(r, 41, IRQC_MSI_ADDR(0x01, true), 0x62);
	irqc_route_msi(r, 42, IRQC_MSI_ADDR(0x03, true), 0x63);
	irqc_route_msi(r, 44, IRQC_MSI_ADDR(0, false), 0x65);
	irqc_set_routing(vm, r);
	free(r);

	EXPECT_EQ(1, irqc_line_status(vm, 40, 1));
	/* An MSI has no line to lower. */
	EXPECT_EQ(-1, irqc_line_status(vm, 40, 0));
	EXPECT_EQ(1, irqc_line_status(vm, 41, 1));
	EXPECT_EQ(2, irqc_line_status(vm, 42, 1));
	irqc_sync(v1, 2);
	irqc_sync(v0, 2);

	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	irqfd.fd = efd;
	ASSERT_OK(ioctl(vm->fd, KVM_IRQFD, &irqfd));
	ASSERT_EQ(8, write(efd, &one, 8));
	irqc_sync(v0, 3);

	/* KVM_SIGNAL_MSI answers the number of CPUs it reached. */
	EXPECT_EQ(1, __irqc_signal_msi(vm, IRQC_MSI_ADDR(1, false), 0x66, 0));
	EXPECT_EQ(2, __irqc_signal_msi(vm, IRQC_MSI_ADDR(0x03, true), 0x67, 0));
	vcpu_expect_ucall(v1, UCALL_DONE, 0);
	vcpu_expect_ucall(v0, UCALL_DONE, 0);

	irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	EXPECT_OK(ioctl(vm->fd, KVM_IRQFD, &irqfd));
	close(efd);
	kvm_vm_free(vm);
}

TEST(signal_msi_errnos)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu;

	EXPECT_ERRNO(EINVAL, __irqc_signal_msi(vm, 0xfee00000, 0x40, 0));
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	EXPECT_ERRNO(EINVAL, __irqc_signal_msi(vm, 0xfee00000, 0x40, 2));
	EXPECT_ERRNO(EINVAL, __irqc_signal_msi(vm, 0xfee00000, 0x40, 0x80000000));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, KVM_SIGNAL_MSI, (void *)8));
	vcpu = vm_vcpu_add_bare(vm, 0);
	/* A software-disabled LAPIC takes nothing; no such APIC ID either. */
	EXPECT_EQ(0, __irqc_signal_msi(vm, IRQC_MSI_ADDR(0, false), 0x40, 0))
		TH_LOG("to a disabled LAPIC: errno %d", errno);
	irqc_host_apic_enable(vcpu);
	EXPECT_EQ(1, __irqc_signal_msi(vm, IRQC_MSI_ADDR(0, false), 0x40, 0));
	EXPECT_EQ(0, __irqc_signal_msi(vm, IRQC_MSI_ADDR(9, false), 0x41, 0))
		TH_LOG("to APIC ID 9 (no such vCPU): errno %d", errno);
	kvm_vm_free(vm);
}

/* GSI 30 routed to PIC master IR3 and IOAPIC pin 7 (vector 0x47). */
static void guest_both(void)
{
	irqc_lapic_virtual_wire();
	irqc_pic_init(IRQC_PIC1_BASE, IRQC_PIC2_BASE, false);
	outb(IRQC_PIC1_DATA, 0xf3);
	irqc_ioapic_set_rte(7, 0x47, 0);
	GUEST_SYNC(1);
	IRQC_WAIT_PIC_ISR(0x23, 1, IRQC_M_ISR(0x08));
	IRQC_WAIT(0x47, 1);
	outb(IRQC_PIC1_CMD, IRQC_OCW2_EOI);
	irqc_apic_eoi();
	irqc_ioapic_set_rte(7, IRQC_RTE_MASKED | 0x47, 0);
	GUEST_SYNC(2);
	IRQC_WAIT_PIC_ISR(0x23, 2, IRQC_M_ISR(0x08));
	IRQC_QUIET(0x47, 1);
	outb(IRQC_PIC1_CMD, IRQC_OCW2_EOI);
	outb(IRQC_PIC1_DATA, 0xfb);
	GUEST_SYNC(3);
	IRQC_PIC_QUIET();
}

TEST(pic_and_ioapic)
{
	struct kvm_irq_routing *r = irqc_routing_alloc(2);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_both);
	irqc_route_irqchip(r, 30, KVM_IRQCHIP_PIC_MASTER, 3);
	irqc_route_irqchip(r, 30, KVM_IRQCHIP_IOAPIC, 7);
	irqc_set_routing(vm, r);
	free(r);
	irqc_sync(vcpu, 1);
	EXPECT_EQ(2, irqc_line_status(vm, 30, 1));
	irqc_line(vm, 30, 0);
	irqc_sync(vcpu, 2);
	EXPECT_EQ(1, irqc_line_status(vm, 30, 1));
	irqc_line(vm, 30, 0);
	irqc_sync(vcpu, 3);
	EXPECT_EQ(-1, irqc_line_status(vm, 30, 1));
	irqc_line(vm, 30, 0);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	/* GSI 3 is no longer routed anywhere. */
	EXPECT_EQ(-1, irqc_line_status(vm, 3, 0));
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
