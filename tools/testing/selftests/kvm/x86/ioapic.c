// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel IOAPIC (Intel 82093AA datasheet) as a guest programs it
 * through IOREGSEL/IOWIN at 0xfec00000, with interrupts raised by
 * KVM_IRQ_LINE(_STATUS) on GSIs that the default routing sends to the
 * IOAPIC alone (16-23) and taken through the guest's own IDT stubs:
 *  - the ID (bits 27:24 writable), version (0x00170011: 24 entries,
 *    version 0x11) and arbitration registers, IOREGSEL read back, the
 *    reset redirection entries (masked), read-only Remote IRR and
 *    Delivery Status bits, reads past the last entry (all ones);
 *  - edge: one interrupt of the programmed vector, TMR clear; the
 *    polarity bit does not change what KVM_IRQ_LINE's level 1 means;
 *  - level: Remote IRR set from delivery until the LAPIC EOI, TMR set;
 *    EOI while the line is still high delivers again; lowering the line
 *    and EOI clears Remote IRR and stays quiet;
 *  - masked pins deliver nothing; unmasking a level pin whose line is
 *    high delivers, while an edge that arrived masked is ignored
 *    (datasheet 3.2.4, "Interrupt Mask");
 *  - logical (flat) and physical destinations across two vCPUs.
 */
#include "kvmx_test.h"
#include "irqchip_util.h"

static void guest_regs(void)
{
	unsigned int pin;

	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_VER), 0x00170011);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_ID), 0);
	/* Writes to the version register are ignored. */
	irqc_ioapic_write(IRQC_IOAPIC_VER, 0);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_VER), 0x00170011);

	irqc_ioapic_write(IRQC_IOAPIC_ID, 0x0f000000);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_ID), 0x0f000000);
	/* Only bits 27:24 are the ID. */
	irqc_ioapic_write(IRQC_IOAPIC_ID, 0xfaffffff);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_ID), 0x0a000000);
	/* The arbitration ID follows the ID. */
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_ARB), 0x0a000000);

	/* IOREGSEL reads back. */
	*(volatile uint32_t *)IRQC_IOAPIC_BASE = 0x12;
	GUEST_ASSERT_EQ(*(volatile uint32_t *)IRQC_IOAPIC_BASE, 0x12);

	for (pin = 0; pin < 24; pin++) {
		GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_REDIR(pin)),
				IRQC_RTE_MASKED);
		GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_REDIR(pin) + 1), 0);
	}
	/* Past the 24th entry. */
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_REDIR(24)), 0xffffffff);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_REDIR(24) + 1), 0xffffffff);

	/* Remote IRR and Delivery Status are read only. */
	irqc_ioapic_set_rte(5, IRQC_RTE_MASKED | IRQC_RTE_LEVEL |
			    IRQC_RTE_REMOTE_IRR | IRQC_RTE_DELIVS | 0x35, 0x03);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(5),
			IRQC_RTE_MASKED | IRQC_RTE_LEVEL | 0x35);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_REDIR(5) + 1), 0x03000000);
	/* The other fields are read/write, the destination's low bits too. */
	irqc_ioapic_set_rte(6, IRQC_RTE_MASKED | IRQC_RTE_POLARITY_LOW |
			    IRQC_RTE_DEST_LOGICAL | 0x100 | 0x36, 0xff);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(6),
			IRQC_RTE_MASKED | IRQC_RTE_POLARITY_LOW |
			IRQC_RTE_DEST_LOGICAL | 0x100 | 0x36);
	irqc_ioapic_write(IRQC_IOAPIC_REDIR(6) + 1, 0xff0000ff);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_REDIR(6) + 1), 0xff0000ff);
	GUEST_SYNC(1);
}

TEST(registers)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_irqchip c;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_regs);
	irqc_sync(vcpu, 1);
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	EXPECT_EQ(0xa, c.chip.ioapic.id);
	EXPECT_EQ(0x0300000000018035ULL, c.chip.ioapic.redirtbl[5].bits);
	EXPECT_EQ(0xff0000ff00012936ULL, c.chip.ioapic.redirtbl[6].bits);
	kvm_vm_free(vm);
}

/* Pin 16, edge, fixed, physical destination 0, vector 0x51. */
static void guest_edge(void)
{
	irqc_apic_enable();
	irqc_ioapic_set_rte(16, 0x51, 0);
	GUEST_SYNC(1);
	IRQC_WAIT(0x51, 1);
	GUEST_ASSERT_EQ(guest_irq_last, 0x51);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x51), 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, 0x51), 0);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(16), 0x51);
	irqc_apic_eoi();
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x51), 0);
	/*
	 * Active low now: KVM_IRQ_LINE's level 1 is "asserted" whatever the
	 * polarity (inverting an active-low line is the VMM's business).
	 */
	irqc_ioapic_set_rte(16, IRQC_RTE_POLARITY_LOW | 0x51, 0);
	GUEST_SYNC(2);
	/* A second edge: a second interrupt. */
	IRQC_WAIT(0x51, 2);
	irqc_apic_eoi();
	IRQC_QUIET(0x51, 2);
}

TEST(edge)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_edge);
	irqc_sync(vcpu, 1);
	EXPECT_EQ(1, irqc_line_status(vm, 16, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 16, 0));
	irqc_sync(vcpu, 2);
	EXPECT_EQ(1, irqc_line_status(vm, 16, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 16, 0));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* Pin 17, level, vector 0x52. */
static void guest_level(void)
{
	irqc_apic_enable();
	irqc_ioapic_set_rte(17, IRQC_RTE_LEVEL | 0x52, 0);
	GUEST_SYNC(1);
	IRQC_WAIT(0x52, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, 0x52), 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x52), 1);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(17),
			IRQC_RTE_LEVEL | IRQC_RTE_REMOTE_IRR | 0x52);
	/* No EOI yet: nothing more. */
	IRQC_QUIET(0x52, 1);
	GUEST_SYNC(2);
	/* EOI with the line still high: delivered again. */
	irqc_apic_eoi();
	IRQC_WAIT(0x52, 2);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(17),
			IRQC_RTE_LEVEL | IRQC_RTE_REMOTE_IRR | 0x52);
	GUEST_SYNC(3);
	/* The line went low: EOI clears Remote IRR, no more interrupts. */
	irqc_apic_eoi();
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(17), IRQC_RTE_LEVEL | 0x52);
	IRQC_QUIET(0x52, 2);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x52), 0);
	GUEST_SYNC(4);
}

TEST(level_remote_irr)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_irqchip c;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_level);
	irqc_sync(vcpu, 1);
	EXPECT_EQ(1, irqc_line_status(vm, 17, 1));
	irqc_sync(vcpu, 2);
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	EXPECT_EQ(1, (int)c.chip.ioapic.redirtbl[17].fields.remote_irr);
	EXPECT_EQ(1U << 17, c.chip.ioapic.irr);
	/* Waiting for the EOI: not delivered. */
	EXPECT_EQ(-1, irqc_line_status(vm, 17, 1));
	irqc_sync(vcpu, 3);
	EXPECT_EQ(1, irqc_line_status(vm, 17, 0));
	irqc_sync(vcpu, 4);
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	EXPECT_EQ(0, (int)c.chip.ioapic.redirtbl[17].fields.remote_irr);
	EXPECT_EQ(0, c.chip.ioapic.irr);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* Pin 18 masked level (0x53), pin 19 masked edge (0x54). */
static void guest_masked(void)
{
	irqc_apic_enable();
	irqc_ioapic_set_rte(18, IRQC_RTE_MASKED | IRQC_RTE_LEVEL | 0x53, 0);
	irqc_ioapic_set_rte(19, IRQC_RTE_MASKED | 0x54, 0);
	GUEST_SYNC(1);
	IRQC_QUIET(0x53, 0);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(18),
			IRQC_RTE_MASKED | IRQC_RTE_LEVEL | 0x53);
	/* Unmasked while the line is high: delivered. */
	irqc_ioapic_set_rte(18, IRQC_RTE_LEVEL | 0x53, 0);
	IRQC_WAIT(0x53, 1);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(18),
			IRQC_RTE_LEVEL | IRQC_RTE_REMOTE_IRR | 0x53);
	GUEST_SYNC(2);
	irqc_apic_eoi();
	IRQC_QUIET(0x53, 1);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(18), IRQC_RTE_LEVEL | 0x53);

	GUEST_SYNC(3);
	IRQC_QUIET(0x54, 0);
	/* The edge came while masked: ignored, not held pending. */
	irqc_ioapic_set_rte(19, 0x54, 0);
	IRQC_QUIET(0x54, 0);
	GUEST_SYNC(4);
	IRQC_WAIT(0x54, 1);
	irqc_apic_eoi();
	/* Masking a level pin with the line high, then lowering: nothing. */
}

TEST(masked)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_masked);
	irqc_sync(vcpu, 1);
	EXPECT_EQ(-1, irqc_line_status(vm, 18, 1));
	irqc_sync(vcpu, 2);
	EXPECT_EQ(1, irqc_line_status(vm, 18, 0));
	irqc_sync(vcpu, 3);
	EXPECT_EQ(-1, irqc_line_status(vm, 19, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 19, 0));
	irqc_sync(vcpu, 4);
	EXPECT_EQ(1, irqc_line_status(vm, 19, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 19, 0));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * Two vCPUs, flat logical IDs 0x01 (vCPU 0) and 0x02 (vCPU 1).  The
 * interrupt counts are shared by both vCPUs (one guest memory); each
 * vCPU checks its own LAPIC's ISR to know which one took it.
 */
static void guest_dest0(void)
{
	irqc_apic_enable();
	irqc_apic_write(IRQC_APIC_DFR, 0xffffffff);
	irqc_apic_write(IRQC_APIC_LDR, 0x01000000);
	irqc_ioapic_set_rte(20, IRQC_RTE_DEST_LOGICAL | 0x55, 0x02);
	irqc_ioapic_set_rte(21, IRQC_RTE_DEST_LOGICAL | 0x56, 0x03);
	irqc_ioapic_set_rte(22, 0x57, 1);		/* physical APIC ID 1 */
	irqc_ioapic_set_rte(23, IRQC_RTE_DEST_LOGICAL | 0x58, 0x01);
	GUEST_SYNC(1);
	/* vCPU 1 took 0x55 and 0x57 already; this one must not. */
	IRQC_QUIET(0x55, 1);
	IRQC_QUIET(0x57, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x55), 0);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_IRR, 0x55), 0);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x57), 0);
	IRQC_WAIT(0x58, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x58), 1);
	irqc_apic_eoi();
	GUEST_SYNC(2);
	/* 0x56 went to both. */
	IRQC_WAIT(0x56, 2);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x56), 1);
	irqc_apic_eoi();
}

static void guest_dest1(void)
{
	irqc_apic_enable();
	irqc_apic_write(IRQC_APIC_DFR, 0xffffffff);
	irqc_apic_write(IRQC_APIC_LDR, 0x02000000);
	GUEST_SYNC(1);
	/* 0x57 first: same priority class, higher vector. */
	IRQC_WAIT(0x57, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x57), 1);
	irqc_apic_eoi();
	IRQC_WAIT(0x55, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x55), 1);
	irqc_apic_eoi();
	IRQC_QUIET(0x58, 0);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_IRR, 0x58), 0);
	GUEST_SYNC(2);
	IRQC_WAIT(0x56, 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x56), 1);
	irqc_apic_eoi();
}

TEST(destinations)
{
	struct kvm_vcpu *v0, *v1;
	struct kvm_vm *vm;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	v0 = irqc_vcpu_add(vm, 0, guest_dest0);
	v1 = irqc_vcpu_add(vm, 1, guest_dest1);
	irqc_sync(v0, 1);
	irqc_sync(v1, 1);
	EXPECT_EQ(1, irqc_line_status(vm, 20, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 20, 0));
	EXPECT_EQ(1, irqc_line_status(vm, 22, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 22, 0));
	EXPECT_EQ(1, irqc_line_status(vm, 23, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 23, 0));
	irqc_sync(v1, 2);
	irqc_sync(v0, 2);
	/* Both logical IDs: delivered to two CPUs. */
	EXPECT_EQ(2, irqc_line_status(vm, 21, 1));
	EXPECT_EQ(1, irqc_line_status(vm, 21, 0));
	vcpu_expect_ucall(v1, UCALL_DONE, 0);
	vcpu_expect_ucall(v0, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
