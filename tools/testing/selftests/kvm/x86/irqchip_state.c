// SPDX-License-Identifier: GPL-2.0-only
/*
 * Saving and restoring the in-kernel irqchip in the middle of its work,
 * as a VMM does for live migration: KVM_GET_IRQCHIP of the PIC master,
 * PIC slave and IOAPIC, KVM_GET_LAPIC and the vCPU state, the VM
 * destroyed, a new VM created with a copy of the memory, and everything
 * put back with KVM_SET_IRQCHIP / KVM_SET_LAPIC.  The guest then goes on
 * without noticing:
 *  - in_service: a level interrupt in service on each chip (IOAPIC Remote
 *    IRR and LAPIC ISR/TMR set; PIC ISR and IRR set, ELCR level) with the
 *    lines still high: nothing is redelivered by the restore itself, each
 *    EOI redelivers as the line is still high, lowering the lines in the
 *    new VM and EOI ends it; the guest-programmed state (vector bases,
 *    masks, ELCR, IOAPIC ID and entries) survives;
 *  - pending: edges latched but not yet taken (PIC IRR, LAPIC IRR from an
 *    IOAPIC edge) while the guest has IF=0 are taken exactly once after
 *    the restore.
 */
#include <stdlib.h>

#include "kvmx_test.h"
#include "irqchip_util.h"
#include "state.h"

struct irqc_saved {
	struct kvm_irqchip chip[3];
	struct kvm_lapic_state lapic;
	struct vcpu_state *vcpu;
};

static void save_all(struct kvm_vcpu *vcpu, struct irqc_saved *s)
{
	unsigned int i;

	vcpu_complete_exit(vcpu);
	for (i = 0; i < 3; i++)
		irqc_get_chip(vcpu->vm, i, &s->chip[i]);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s->lapic);
	s->vcpu = vcpu_state_save(vcpu);
}

/*
 * A new VM from @vcpu's (which is freed): memory copied, irqchip created,
 * the vCPU and then the three chips restored.  Fails the test if reading
 * the chips back does not give what was saved.
 */
static struct kvm_vcpu *restore_all(struct __test_metadata *_metadata,
				    struct kvm_vcpu *vcpu, struct irqc_saved *s)
{
	struct kvm_vm *old = vcpu->vm, *vm;
	struct kvm_irqchip g;
	struct kvm_vcpu *nv;
	uint64_t stack_top = vcpu->stack_top;
	uint32_t id = vcpu->id;
	unsigned int i;

	vm = vm_clone_memory(old);
	kvm_vm_free(old);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	nv = vm_vcpu_add_bare(vm, id);
	nv->stack_top = stack_top;
	vcpu_state_load(nv, s->vcpu);
	vcpu_ioctl(nv, KVM_SET_LAPIC, &s->lapic);
	for (i = 0; i < 3; i++)
		irqc_set_chip(vm, &s->chip[i]);

	for (i = 0; i < 2; i++) {
		irqc_get_chip(vm, i, &g);
		EXPECT_EQ(0, memcmp(&g.chip.pic, &s->chip[i].chip.pic,
				    sizeof(g.chip.pic)))
			TH_LOG("PIC %u differs after KVM_SET_IRQCHIP", i);
	}
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &g);
	EXPECT_EQ(s->chip[2].chip.ioapic.id, g.chip.ioapic.id);
	EXPECT_EQ(s->chip[2].chip.ioapic.irr, g.chip.ioapic.irr);
	EXPECT_EQ(0, memcmp(g.chip.ioapic.redirtbl,
			    s->chip[2].chip.ioapic.redirtbl,
			    sizeof(g.chip.ioapic.redirtbl)))
		TH_LOG("IOAPIC redirection table differs after KVM_SET_IRQCHIP");
	vcpu_state_free(s->vcpu);
	return nv;
}

static uint32_t lapic_reg(const struct kvm_lapic_state *s, uint32_t reg)
{
	uint32_t v;

	memcpy(&v, s->regs + reg, 4);
	return v;
}

static void guest_in_service(void)
{
	irqc_lapic_virtual_wire();
	irqc_pic_init(IRQC_PIC1_BASE, IRQC_PIC2_BASE, false);
	outb(IRQC_ELCR1, 0x20);			/* IRQ 5 level */
	outb(IRQC_PIC1_DATA, 0xdb);		/* IRQ 2, 5 */
	outb(IRQC_PIC2_DATA, 0x7e);
	irqc_ioapic_write(IRQC_IOAPIC_ID, 0x03000000);
	irqc_ioapic_set_rte(17, IRQC_RTE_LEVEL | 0x52, 0);
	irqc_ioapic_set_rte(18, IRQC_RTE_MASKED | 0x53, 0);
	GUEST_SYNC(1);
	IRQC_WAIT_PIC_ISR(0x25, 1, IRQC_M_ISR(0x20));
	IRQC_WAIT(0x52, 1);
	GUEST_ASSERT_EQ(irqc_pic_read_isr(IRQC_PIC1_CMD), 0x20);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(17),
			IRQC_RTE_LEVEL | IRQC_RTE_REMOTE_IRR | 0x52);
	GUEST_SYNC(2);

	/* In the new VM: the same state, nothing new. */
	IRQC_PIC_QUIET();
	IRQC_QUIET(0x52, 1);
	GUEST_ASSERT_EQ(irqc_pic_read_isr(IRQC_PIC1_CMD), 0x20);
	GUEST_ASSERT_EQ(irqc_pic_read_irr(IRQC_PIC1_CMD), 0x20);
	GUEST_ASSERT_EQ(inb(IRQC_PIC1_DATA), 0xdb);
	GUEST_ASSERT_EQ(inb(IRQC_PIC2_DATA), 0x7e);
	GUEST_ASSERT_EQ(inb(IRQC_ELCR1), 0x20);
	GUEST_ASSERT_EQ(irqc_ioapic_read(IRQC_IOAPIC_ID), 0x03000000);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(17),
			IRQC_RTE_LEVEL | IRQC_RTE_REMOTE_IRR | 0x52);
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(18), IRQC_RTE_MASKED | 0x53);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x52), 1);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_TMR, 0x52), 1);
	GUEST_ASSERT_EQ(irqc_apic_read(IRQC_APIC_LVT0), IRQC_DM_EXTINT);

	/* The lines are still high: each EOI brings its interrupt back. */
	irqc_apic_eoi();
	IRQC_WAIT(0x52, 2);
	outb(IRQC_PIC1_CMD, IRQC_OCW2_EOI);
	IRQC_WAIT_PIC_ISR(0x25, 2, IRQC_M_ISR(0x20));
	GUEST_SYNC(3);

	/* Lowered in the new VM: the EOIs end it. */
	irqc_apic_eoi();
	outb(IRQC_PIC1_CMD, IRQC_OCW2_EOI);
	IRQC_QUIET(0x52, 2);
	IRQC_PIC_QUIET();
	GUEST_ASSERT_EQ(irqc_ioapic_rte_lo(17), IRQC_RTE_LEVEL | 0x52);
	GUEST_ASSERT_EQ(irqc_pic_read_isr(IRQC_PIC1_CMD), 0);
	GUEST_ASSERT_EQ(irqc_pic_read_irr(IRQC_PIC1_CMD), 0);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_ISR, 0x52), 0);
	GUEST_SYNC(4);
}

TEST(in_service)
{
	struct irqc_saved s;
	struct kvm_vcpu *vcpu;
	struct kvm_irqchip c;
	struct kvm_vm *vm;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_in_service);
	irqc_sync(vcpu, 1);
	irqc_line(vm, 17, 1);
	irqc_line(vm, 5, 1);
	irqc_sync(vcpu, 2);

	save_all(vcpu, &s);
	EXPECT_EQ(1, (int)s.chip[2].chip.ioapic.redirtbl[17].fields.remote_irr);
	EXPECT_EQ(1U << 17, s.chip[2].chip.ioapic.irr & (1U << 17));
	EXPECT_EQ(3, s.chip[2].chip.ioapic.id);
	EXPECT_EQ(0x20, s.chip[0].chip.pic.isr);
	EXPECT_EQ(0x20, s.chip[0].chip.pic.irr);
	EXPECT_EQ(0x20, s.chip[0].chip.pic.elcr);
	EXPECT_EQ(0x20, s.chip[0].chip.pic.irq_base);
	EXPECT_EQ(0x28, s.chip[1].chip.pic.irq_base);
	EXPECT_EQ(0x7e, s.chip[1].chip.pic.imr);
	EXPECT_EQ(1U << (0x52 - 0x40), lapic_reg(&s.lapic, IRQC_APIC_ISR + 0x20));
	EXPECT_EQ(1U << (0x52 - 0x40), lapic_reg(&s.lapic, IRQC_APIC_TMR + 0x20));

	vcpu = restore_all(_metadata, vcpu, &s);
	vm = vcpu->vm;
	irqc_sync(vcpu, 3);
	irqc_line(vm, 17, 0);
	irqc_line(vm, 5, 0);
	irqc_sync(vcpu, 4);
	irqc_get_chip(vm, KVM_IRQCHIP_IOAPIC, &c);
	EXPECT_EQ(0, (int)c.chip.ioapic.redirtbl[17].fields.remote_irr);
	EXPECT_EQ(0, c.chip.ioapic.irr);
	irqc_get_chip(vm, KVM_IRQCHIP_PIC_MASTER, &c);
	EXPECT_EQ(0, c.chip.pic.isr);
	EXPECT_EQ(0, c.chip.pic.irr);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_pending(void)
{
	irqc_lapic_virtual_wire();
	irqc_pic_init(IRQC_PIC1_BASE, IRQC_PIC2_BASE, false);
	outb(IRQC_PIC1_DATA, 0xf3);		/* IRQ 2, 3 */
	outb(IRQC_PIC2_DATA, 0xfe);		/* IRQ 8 */
	irqc_ioapic_set_rte(16, 0x51, 0);
	irqc_cli();
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(irqc_pic_read_irr(IRQC_PIC1_CMD), 0x0c);
	GUEST_ASSERT_EQ(irqc_pic_read_irr(IRQC_PIC2_CMD), 0x01);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_IRR, 0x51), 1);
	GUEST_SYNC(2);
	/* In the new VM, with IF still 0: all still pending, none taken. */
	GUEST_ASSERT_EQ(irqc_pic_read_irr(IRQC_PIC1_CMD), 0x0c);
	GUEST_ASSERT_EQ(irqc_apic_vec_bit(IRQC_APIC_IRR, 0x51), 1);
	GUEST_ASSERT_EQ(guest_irq_count[0x23] + guest_irq_count[0x28] +
			guest_irq_count[0x51], 0);
	/* The cascade (IR2) outranks IR3: IRQ 8 first. */
	IRQC_WAIT(0x51, 1);
	IRQC_WAIT_PIC_ISR(0x28, 1, IRQC_M_ISR(0x04) | IRQC_S_ISR(0x01));
	IRQC_PIC_QUIET();
	outb(IRQC_PIC2_CMD, IRQC_OCW2_EOI);
	outb(IRQC_PIC1_CMD, IRQC_OCW2_EOI);
	IRQC_WAIT_PIC_ISR(0x23, 1, IRQC_M_ISR(0x08));
	outb(IRQC_PIC1_CMD, IRQC_OCW2_EOI);
	irqc_apic_eoi();
	IRQC_QUIET(0x51, 1);
	IRQC_PIC_QUIET();
}

TEST(pending)
{
	struct irqc_saved s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	IRQC_REQUIRE_IRQCHIP();
	vm = irqc_vm_create();
	vcpu = irqc_vcpu_add(vm, 0, guest_pending);
	irqc_sync(vcpu, 1);
	irqc_line(vm, 3, 1);
	irqc_line(vm, 3, 0);
	irqc_line(vm, 8, 1);
	irqc_line(vm, 8, 0);
	irqc_line(vm, 16, 1);
	irqc_line(vm, 16, 0);
	irqc_sync(vcpu, 2);

	save_all(vcpu, &s);
	EXPECT_EQ(0x0c, s.chip[0].chip.pic.irr);
	EXPECT_EQ(0x01, s.chip[1].chip.pic.irr);
	EXPECT_EQ(1U << (0x51 - 0x40), lapic_reg(&s.lapic, IRQC_APIC_IRR + 0x20));
	vcpu = restore_all(_metadata, vcpu, &s);
	vm = vcpu->vm;
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
