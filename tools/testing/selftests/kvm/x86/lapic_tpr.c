// SPDX-License-Identifier: GPL-2.0-only
/*
 * The task priority against a pending interrupt (SDM Vol. 3A 11.8.3.1,
 * 11.8.6): an interrupt whose priority class is not above the TPR waits
 * in the IRR; lowering the TPR, by a write of the xAPIC TPR register or
 * by MOV to CR8, delivers it at the next instruction boundary.  The
 * guest checks that the handler ran before the instruction after the
 * lowering write: a hypervisor that only notices the lower TPR at some
 * later exit (SVM guests write CR8 without exiting) fails.
 */
#include "kvmx_test.h"
#include "guest_irq.h"

#define VEC		0x45		/* class 4 */
#define APIC_PAGE	0xfee00000UL
#define APIC_TASKPRI	0x080
#define APIC_EOI	0x0b0
#define APIC_SPIV	0x0f0
#define APIC_IRR	0x200
#define APIC_ICR	0x300
#define APIC_DEST_SELF	(1U << 18)

static uint32_t xapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_PAGE + reg);
}

static void xapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_PAGE + reg) = v;
}

static int xapic_vec_bit(uint32_t base, unsigned int vec)
{
	return (xapic_read(base + 0x10 * (vec / 32)) >> (vec % 32)) & 1;
}

/* Long enough for a pending interrupt to show up if it were deliverable. */
static void guest_delay(void)
{
	uint64_t t0 = guest_rdtsc();

	while (guest_rdtsc() - t0 < 1000000)
		asm volatile("pause" ::: "memory");
}

static void guest_tpr(void)
{
	uint64_t seen;

	xapic_write(APIC_SPIV, 0x1ff);

	/* CR8 = 5 holds the class-4 self-IPI back, even with IF=1. */
	asm volatile("mov %0, %%cr8" :: "r"(5UL) : "memory");
	asm volatile("sti; nop" ::: "memory");
	xapic_write(APIC_ICR, APIC_DEST_SELF | VEC);
	guest_delay();
	GUEST_ASSERT_EQ(guest_irq_count[VEC], 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, VEC), 1);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x50);
	/* CR8 = 3: taken before the next instruction reads the count */
	asm volatile("mov %1, %%cr8\n\t"
		     "mov %2, %0"
		     : "=r"(seen) : "r"(3UL), "m"(guest_irq_count[VEC])
		     : "memory");
	GUEST_ASSERT_EQ(seen, 1);
	xapic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x30);

	/* The same through the xAPIC TPR register. */
	xapic_write(APIC_TASKPRI, 0x50);
	xapic_write(APIC_ICR, APIC_DEST_SELF | VEC);
	guest_delay();
	GUEST_ASSERT_EQ(guest_irq_count[VEC], 1);
	xapic_write(APIC_TASKPRI, 0x30);
	seen = guest_irq_count[VEC];
	GUEST_ASSERT_EQ(seen, 2);
	xapic_write(APIC_EOI, 0);

	/* A class above the TPR is not held back at all. */
	asm volatile("mov %0, %%cr8" :: "r"(3UL) : "memory");
	xapic_write(APIC_ICR, APIC_DEST_SELF | VEC);
	seen = guest_irq_count[VEC];
	GUEST_ASSERT_EQ(seen, 3);
	xapic_write(APIC_EOI, 0);
	asm volatile("mov %0, %%cr8" :: "r"(0UL) : "memory");
	GUEST_DONE();
}

TEST(tpr_holds_and_releases)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	if (kvm_check_cap(KVM_CAP_IRQCHIP) <= 0)
		TEST_SKIP(return, "KVM_CAP_IRQCHIP not reported");
	vm = vm_create_guest(NULL, NULL);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	vcpu = vm_vcpu_add_guest(vm, 0, guest_tpr);
	vcpu_install_irq_handlers(vcpu);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
