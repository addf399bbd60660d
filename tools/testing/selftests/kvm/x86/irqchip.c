// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel irqchip's VM ioctls (Documentation/virt/kvm/api.rst,
 * KVM_CREATE_IRQCHIP, KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_GET_IRQCHIP,
 * KVM_SET_IRQCHIP) and the capabilities that advertise it:
 *  - KVM_CHECK_EXTENSION of KVM_CAP_IRQCHIP, KVM_CAP_IRQ_ROUTING (the
 *    number of routes, KVM_MAX_IRQ_ROUTES = 4096), KVM_CAP_SPLIT_IRQCHIP,
 *    KVM_CAP_SIGNAL_MSI, KVM_CAP_IRQFD, KVM_CAP_IRQ_INJECT_STATUS;
 *  - KVM_CREATE_IRQCHIP twice is EEXIST, after a vCPU EINVAL;
 *  - without an irqchip KVM_IRQ_LINE and KVM_GET/SET_IRQCHIP are ENXIO;
 *  - KVM_IRQ_LINE_STATUS: < 0 masked (or not delivered), 0 coalesced,
 *    > 0 delivered (to that many CPUs);
 *  - GSI 8 (RTC) edges coalesced until the guest's EOI;
 *  - KVM_GET/SET_IRQCHIP of the PIC master, slave and IOAPIC round trip;
 *    a chip id beyond KVM_IRQCHIP_IOAPIC is EINVAL; the reset state.
 */
#include <stdlib.h>

#include "kvmx_test.h"
#include "irqchip_util.h"

TEST(capabilities)
{
	struct kvm_vm *vm;

	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_IRQCHIP));
	EXPECT_EQ(4096, kvm_check_cap(KVM_CAP_IRQ_ROUTING));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_SPLIT_IRQCHIP));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_SIGNAL_MSI));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_IRQFD));
	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_IRQ_INJECT_STATUS));

	/* The VM fd answers the same, before and after KVM_CREATE_IRQCHIP. */
	vm = vm_create_bare();
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_IRQCHIP));
	EXPECT_EQ(4096, vm_check_cap(vm, KVM_CAP_IRQ_ROUTING));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_SIGNAL_MSI));
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	EXPECT_EQ(4096, vm_check_cap(vm, KVM_CAP_IRQ_ROUTING));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_IRQ_INJECT_STATUS));
	kvm_vm_free(vm);
}

TEST(create_twice_eexist)
{
	struct kvm_vm *vm = vm_create_bare();

	ASSERT_OK(ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	EXPECT_ERRNO(EEXIST, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	kvm_vm_free(vm);
}

TEST(create_after_vcpu_einval)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_IOAPIC };

	vm_vcpu_add_bare(vm, 0);
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0));
	/* And none was created. */
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_IRQCHIP, &c));
	kvm_vm_free(vm);
}

TEST(no_irqchip_enxio)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irq_level l = { .irq = 4, .level = 1 };
	struct kvm_irqchip c = { .chip_id = KVM_IRQCHIP_PIC_MASTER };

	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_IRQ_LINE, &l));
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_IRQ_LINE_STATUS, &l));
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_GET_IRQCHIP, &c));
	EXPECT_ERRNO(ENXIO, ioctl(vm->fd, KVM_SET_IRQCHIP, &c));
	kvm_vm_free(vm);
}

TEST(bad_chip_id_einval)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irqchip c;
	uint32_t ids[] = { 3, 4, 0x80000000u, 0xffffffffu };
	unsigned int i;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		memset(&c, 0, sizeof(c));
		c.chip_id = ids[i];
		EXPECT_ERRNO(EINVAL, ioctl(vm->fd, KVM_GET_IRQCHIP, &c));
		EXPECT_ERRNO(EINVAL, ioctl(vm->fd, KVM_SET_IRQCHIP, &c));
	}
	kvm_vm_free(vm);
}

/* What KVM_CREATE_IRQCHIP starts with. */
TEST(reset_state)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irqchip c;
	unsigned int i;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	EXPECT_EQ(0, c.chip.pic.imr);
	EXPECT_EQ(0, c.chip.pic.irr);
	EXPECT_EQ(0, c.chip.pic.isr);
	EXPECT_EQ(0, c.chip.pic.elcr);
	EXPECT_EQ(0xf8, c.chip.pic.elcr_mask);	/* IRQ 0-2 are edge only */
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &c);
	EXPECT_EQ(0, c.chip.pic.imr);
	EXPECT_EQ(0xde, c.chip.pic.elcr_mask);	/* IRQ 8 and 13 edge only */

	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	EXPECT_EQ(0xfec00000ULL, c.chip.ioapic.base_address);
	EXPECT_EQ(0, c.chip.ioapic.id);
	EXPECT_EQ(0, c.chip.ioapic.irr);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (c.chip.ioapic.redirtbl[i].bits != 1ULL << 16) {
			TH_LOG("pin %u: 0x%llx, expected masked", i,
			       (unsigned long long)c.chip.ioapic.redirtbl[i].bits);
			_metadata->passed = 0;
		}
	kvm_vm_free(vm);
}

TEST(get_set_roundtrip)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irqchip c, g;
	unsigned int i;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);

	irqc_get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	c.chip.pic.imr = 0x5a;
	c.chip.pic.irq_base = 0x30;
	c.chip.pic.elcr = 0x28;
	c.chip.pic.auto_eoi = 1;
	c.chip.pic.init4 = 1;
	c.chip.pic.priority_add = 3;
	irqc_set_chip(vm, &c);
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &g);
	EXPECT_EQ(0, memcmp(&c.chip.pic, &g.chip.pic, sizeof(c.chip.pic)));
	/* The slave is a separate chip. */
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &g);
	EXPECT_EQ(0, g.chip.pic.imr);
	EXPECT_EQ(0, g.chip.pic.irq_base);

	irqc_get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &c);
	c.chip.pic.imr = 0xa5;
	c.chip.pic.irq_base = 0x38;
	c.chip.pic.elcr = 0x02;
	irqc_set_chip(vm, &c);
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_SLAVE, &g);
	EXPECT_EQ(0, memcmp(&c.chip.pic, &g.chip.pic, sizeof(c.chip.pic)));
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &g);
	EXPECT_EQ(0x5a, g.chip.pic.imr);

	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	c.chip.ioapic.id = 5;
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		c.chip.ioapic.redirtbl[i].bits = (1ULL << 16) | (0x40 + i) |
			((uint64_t)(i & 1) << 15) | ((uint64_t)i << 56);
	irqc_set_chip(vm, &c);
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &g);
	EXPECT_EQ(5, g.chip.ioapic.id);
	EXPECT_EQ(c.chip.ioapic.base_address, g.chip.ioapic.base_address);
	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (c.chip.ioapic.redirtbl[i].bits !=
		    g.chip.ioapic.redirtbl[i].bits) {
			TH_LOG("pin %u: 0x%llx, set 0x%llx", i,
			       (unsigned long long)g.chip.ioapic.redirtbl[i].bits,
			       (unsigned long long)c.chip.ioapic.redirtbl[i].bits);
			_metadata->passed = 0;
		}
	kvm_vm_free(vm);
}

/*
 * KVM_IRQ_LINE_STATUS on GSI 16 (IOAPIC pin 16 only in the default
 * routing), with a vCPU whose LAPIC the host enabled.
 */
TEST(line_status)
{
	struct kvm_vm *vm = vm_create_guest(NULL, NULL);
	struct kvm_irq_level l;
	struct kvm_vcpu *vcpu;
	struct kvm_irqchip c;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vcpu = vm_vcpu_add_guest(vm, 0, NULL);
	irqc_host_apic_enable(vcpu);

	/* Masked (the reset state): ignored. */
	EXPECT_EQ(-1, irqc_line_status(vm, 16, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 16, 0));

	/* KVM_IRQ_LINE (no status) returns 0 whatever happened. */
	l.irq = 16;
	l.level = 1;
	EXPECT_EQ(0, ioctl(vm->fd, KVM_IRQ_LINE, &l));
	l.level = 0;
	EXPECT_EQ(0, ioctl(vm->fd, KVM_IRQ_LINE, &l));

	/* Unmasked edge, fixed, physical destination 0. */
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	c.chip.ioapic.redirtbl[16].bits = 0x40;
	irqc_set_chip(vm, &c);
	EXPECT_EQ(1, irqc_line_status(vm, 16, 1));
	/* Still high: no new edge, coalesced. */
	EXPECT_EQ(0, irqc_line_status(vm, 16, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 16, 0));

	/* Level: delivered once, then Remote IRR blocks it. */
	c.chip.ioapic.redirtbl[16].bits = 0x41 | (1ULL << 15);
	c.chip.ioapic.irr = 0;
	irqc_set_chip(vm, &c);
	EXPECT_EQ(1, irqc_line_status(vm, 16, 1));
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	EXPECT_EQ(1, (int)c.chip.ioapic.redirtbl[16].fields.remote_irr);
	EXPECT_EQ(-1, irqc_line_status(vm, 16, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 16, 0));

	/*
	 * A destination no vCPU has: 0, delivered to no CPU (the reference,
	 * 6.12, answers 0 here, not "ignored").
	 */
	c.chip.ioapic.redirtbl[17].bits = 0x42 | (7ULL << 56);
	irqc_set_chip(vm, &c);
	EXPECT_EQ(0, irqc_line_status(vm, 17, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 17, 0));

	/* A GSI no route has. */
	EXPECT_EQ(-1, irqc_line_status(vm, 100, 1));
	kvm_vm_free(vm);
}

/*
 * The PIC's side of the status, with GSI 4 routed to PIC master IR4 only
 * (the default routing adds IOAPIC pin 4, whose answer would be summed).
 */
TEST(line_status_pic)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_irq_routing *r = irqc_routing_alloc(1);
	struct kvm_irqchip c;

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	irqc_route_irqchip(r, 4, KVM_IRQCHIP_PIC_MASTER, 4);
	irqc_set_routing(vm, r);
	free(r);

	/* IMR 0, edge: a new edge. */
	EXPECT_EQ(1, irqc_line_status(vm, 4, 1));
	/* Still high, no edge: nothing to coalesce, answered 1. */
	EXPECT_EQ(1, irqc_line_status(vm, 4, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 4, 0));
	/* A new edge while the first is still in the IRR: coalesced. */
	EXPECT_EQ(0, irqc_line_status(vm, 4, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 4, 0));

	irqc_get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	EXPECT_EQ(1 << 4, c.chip.pic.irr);
	c.chip.pic.imr = 1 << 4;
	c.chip.pic.irr = 0;
	irqc_set_chip(vm, &c);
	/* Masked. */
	EXPECT_EQ(-1, irqc_line_status(vm, 4, 1));
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	/* The edge is still latched in the IRR under the mask. */
	EXPECT_EQ(1 << 4, c.chip.pic.irr);
	EXPECT_EQ(-1, irqc_line_status(vm, 4, 0));
	kvm_vm_free(vm);
}

/*
 * GSI 8 (the RTC's) is tracked until the guest's EOI even though it is
 * edge triggered: KVM_IRQ_LINE_STATUS answers 0 (coalesced) for a new
 * edge while the last one is not EOI'd, so that a VMM can count lost RTC
 * ticks (QEMU's lost tick policy).  Other edge pins answer 1.
 */
static void guest_rtc(void)
{
	irqc_apic_enable();
	GUEST_SYNC(1);
	/* 0x49 first (same priority class, higher vector). */
	IRQC_WAIT(0x49, 1);
	irqc_apic_eoi();
	IRQC_WAIT(0x48, 1);
	irqc_apic_eoi();
	IRQC_QUIET(0x48, 1);
	GUEST_SYNC(2);
	IRQC_WAIT(0x48, 2);
	irqc_apic_eoi();
}

TEST(rtc_gsi8_coalesced)
{
	struct kvm_irq_routing *r = irqc_routing_alloc(2);
	struct kvm_vcpu *vcpu;
	struct kvm_irqchip c;
	struct kvm_vm *vm;

	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_rtc);
	irqc_route_irqchip(r, 8, KVM_IRQCHIP_IOAPIC, 8);
	irqc_route_irqchip(r, 9, KVM_IRQCHIP_IOAPIC, 9);
	irqc_set_routing(vm, r);
	free(r);
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	c.chip.ioapic.redirtbl[8].bits = 0x48;
	c.chip.ioapic.redirtbl[9].bits = 0x49;
	irqc_set_chip(vm, &c);
	irqc_sync(vcpu, 1);

	EXPECT_EQ(1, irqc_line_status(vm, 8, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 8, 0));
	/* Not EOI'd yet: coalesced. */
	EXPECT_EQ(0, irqc_line_status(vm, 8, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 8, 0));
	/* Pin 9 is not tracked: the second edge counts as delivered. */
	EXPECT_EQ(1, irqc_line_status(vm, 9, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 9, 0));
	EXPECT_EQ(1, irqc_line_status(vm, 9, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 9, 0));
	irqc_sync(vcpu, 2);
	/* EOI'd: delivered again. */
	EXPECT_EQ(1, irqc_line_status(vm, 8, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 8, 0));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
