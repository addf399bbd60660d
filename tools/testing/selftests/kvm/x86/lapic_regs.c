// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel local APIC's registers, as a guest and as the VMM see
 * them (SDM Vol. 3A chapter 11):
 *  - the xAPIC page at 0xfee00000 after reset (ID, version, DFR, SVR with
 *    software disable, every LVT masked but the BSP's LINT0, which KVM
 *    leaves as ExtINT for the PIC), then TPR/PPR, IRR/ISR/TMR around a
 *    self-IPI, EOI, LDR/DFR masks, SVR software enable forcing LVT masks,
 *    the divide register, APR (KVM: always 0) and illegal vectors (KVM
 *    latches nothing in the ESR, the vector is never delivered);
 *  - a level-triggered IOAPIC interrupt (KVM_IRQ_LINE): its TMR bit, and
 *    its redelivery after an EOI while the line is still asserted;
 *  - moving the page with IA32_APIC_BASE (the old address becomes plain
 *    MMIO for the VMM), global disable and enable, reserved bits;
 *  - with KVM_X86_QUIRK_LAPIC_MMIO_HOLE disabled, no page while the APIC
 *    is disabled or in x2APIC mode;
 *  - x2APIC mode through APIC_BASE.EXTD: the ID and the LDR derived from
 *    it, #GP on writes to read-only registers, reads of write-only or
 *    xAPIC-only ones, reserved MSRs and bits 63:32, x2APIC MSRs in xAPIC
 *    mode, SELF_IPI and the 64-bit ICR, and the #GP of illegal
 *    APIC_BASE transitions;
 *  - KVM_GET_LAPIC/KVM_SET_LAPIC: the 1 KiB page seen by the host, a TPR
 *    and a pending IRR bit set by the host and seen by the guest, and
 *    the ID layout with and without KVM_CAP_X2APIC_API's 32-bit IDs.
 * Each case needs KVM_CAP_IRQCHIP and skips without it.  Where KVM departs
 * from the SDM (APR, ESR, registers kept over a global disable, EOI
 * values in x2APIC mode) the reference runs (6.12) decided.
 */
#include "lapic.h"

#ifndef KVM_X2APIC_API_USE_32BIT_IDS
#define KVM_X2APIC_API_USE_32BIT_IDS	(1ULL << 0)
#endif

#define AP_ID		5
#define RELOC_BASE	0xd0000000UL
#define APIC_VERSION	0x14	/* integrated APIC (SDM Vol. 3A 11.4.8) */

static uint64_t read_cr8(void)
{
	uint64_t v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static void guest_check_vec_clear(uint32_t base)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		GUEST_ASSERT_EQ(xapic_read(base + 0x10 * i), 0);
}

static void guest_xapic_reset(void)
{
	uint32_t lvr = xapic_read(APIC_LVR);

	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE),
			APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			MSR_IA32_APICBASE_BSP);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0);
	GUEST_ASSERT_EQ(lvr & 0xff, APIC_VERSION);
	/* Max LVT entry: 5 (timer..error), 6 with CMCI on 6.12. */
	GUEST_ASSERT((lvr >> 16 & 0xff) == 5 || (lvr >> 16 & 0xff) == 6);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_LDR), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0xffffffff);
	/* Software disabled, spurious vector 0xff (SDM 11.4.7.1). */
	GUEST_ASSERT_EQ(xapic_read(APIC_SPIV), 0xff);
	guest_check_vec_clear(APIC_ISR);
	guest_check_vec_clear(APIC_TMR);
	guest_check_vec_clear(APIC_IRR);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_MASKED);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTTHMR), APIC_LVT_MASKED);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTPC), APIC_LVT_MASKED);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT1), APIC_LVT_MASKED);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTERR), APIC_LVT_MASKED);
	/* KVM's LINT0 quirk: the BSP's LINT0 is ExtINT, unmasked. */
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), APIC_DM_EXTINT);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TDCR), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0);
	GUEST_ASSERT_EQ(read_cr8(), 0);
}

TEST(xapic_reset_values)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest_xapic_reset, false);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_xapic_regs(void)
{
	uint32_t esr;

	/* Software disabled: LVT writes keep the mask bit (SDM 11.4.7.2). */
	xapic_write(APIC_LVTT, 0x40);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_MASKED | 0x40);
	xapic_write(APIC_SPIV, 0x1ff);
	GUEST_ASSERT_EQ(xapic_read(APIC_SPIV), 0x1ff);
	xapic_write(APIC_LVTT, 0x40);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), 0x40);
	xapic_write(APIC_LVTERR, 0x4f);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTERR), 0x4f);
	/* Clearing the enable masks every LVT entry. */
	xapic_write(APIC_SPIV, 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_MASKED | 0x40);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTERR), APIC_LVT_MASKED | 0x4f);
	xapic_write(APIC_SPIV, 0x1ff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_MASKED | 0x40);

	/*
	 * TPR, and PPR = TPR while the ISR is empty (SDM 11.8.3.1).  Only the
	 * priority class (bits 7:4) is checked: on SVM in-tree KVM keeps the
	 * TPR in the VMCB's 4-bit V_TPR and loses bits 3:0 at the next exit.
	 */
	xapic_write(APIC_TASKPRI, 0x20);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x20);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0x20);
	GUEST_ASSERT_EQ(read_cr8(), 2);
	xapic_write(APIC_TASKPRI, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0);

	/* A self-IPI with IF=0 waits in the IRR... */
	guest_cli();
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x45);
	GUEST_ASSERT_EQ(xapic_read(APIC_ICR) & ~APIC_ICR_BUSY,
			APIC_DEST_SELF | 0x45);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x45), 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x45), 0);
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x45], 0);
	/* ... is taken with IF=1 and stays in service until the EOI. */
	guest_wait_irq(0x45, 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x45), 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x45), 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_TMR, 0x45), 0);	/* edge */
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0x40);
	/* Same priority class as the one in service: held in the IRR. */
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x44);
	guest_delay_tsc(100000);
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x44], 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x44), 1);
	/* The EOI retires 0x45 and lets 0x44 in. */
	xapic_write(APIC_EOI, 0);
	guest_wait_irq(0x44, 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x45), 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x44), 1);
	xapic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x44), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0);
	/* A TPR of the vector's class holds it back too. */
	xapic_write(APIC_TASKPRI, 0x50);
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x55);
	guest_delay_tsc(100000);
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x55], 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x55), 1);
	xapic_write(APIC_TASKPRI, 0);
	guest_wait_irq(0x55, 1);
	xapic_write(APIC_EOI, 0);
	guest_check_vec_clear(APIC_ISR);
	guest_check_vec_clear(APIC_IRR);

	/* LDR keeps bits 31:24; DFR bits 27:0 read as ones. */
	xapic_write(APIC_LDR, 0x12345678);
	GUEST_ASSERT_EQ(xapic_read(APIC_LDR), 0x12000000);
	xapic_write(APIC_DFR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0x0fffffff);
	xapic_write(APIC_DFR, 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0xffffffff);
	/* No error happened: the ESR reads 0 after the write that latches it. */
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0);
	/* TDCR has bits 0, 1 and 3 only. */
	xapic_write(APIC_TDCR, 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_TDCR), 0xb);

	/*
	 * KVM implements no arbitration priority: APR reads 0 whatever the
	 * TPR (reference runs, 6.12).
	 */
	GUEST_ASSERT_EQ(xapic_read(APIC_ARBPRI), 0);
	xapic_write(APIC_TASKPRI, 0x30);
	GUEST_ASSERT_EQ(xapic_read(APIC_ARBPRI), 0);
	xapic_write(APIC_TASKPRI, 0);
	/*
	 * Illegal vectors (0-15, SDM 11.5.3): the SDM has the ESR latch a
	 * send-illegal-vector error (kvmx does); in-tree KVM latches
	 * nothing.  Either way a self-IPI of vector 3 is never delivered
	 * (its priority class 0 never beats the PPR).
	 */
	xapic_write(APIC_ICR, APIC_DEST_SELF | 3);
	xapic_write(APIC_ESR, 0);
	esr = xapic_read(APIC_ESR);
	GUEST_ASSERT_MSG(esr == 0 || esr == 0x20, "ESR 0x%x", esr);
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0);
	xapic_write(APIC_LVTT, 0x5);
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0);
	xapic_write(APIC_LVTT, APIC_LVT_MASKED);
	guest_sti();
	guest_delay_tsc(100000);
	guest_cli();
	GUEST_ASSERT_EQ(xapic_read(APIC_ISR), 0);
}

TEST(xapic_registers)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest_xapic_regs, false);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

#define OLD_LVR_GPA	(APIC_DEFAULT_PHYS_BASE + APIC_LVR)
#define MMIO_ANSWER	0x5a5a1234

#define IOAPIC_BASE	0xfec00000UL
#define LEVEL_PIN	21	/* a GSI of the IOAPIC only (not the PICs) */

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

/*
 * A level-triggered interrupt from the IOAPIC sets its TMR bit (SDM
 * 11.8.4); its EOI goes back to the IOAPIC, which sends it again while
 * the line stays asserted.
 */
static void guest_level(void)
{
	xapic_write(APIC_SPIV, 0x1ff);
	/* Fixed, physical APIC 0, active high, level (IOAPIC 3.2.4). */
	ioapic_write(0x11 + 2 * LEVEL_PIN, 0);
	ioapic_write(0x10 + 2 * LEVEL_PIN, (1U << 15) | 0x58);
	guest_cli();
	GUEST_SYNC(1);
	/* The host raised the line. */
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x58), 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_TMR, 0x58), 1);
	guest_wait_irq(0x58, 1);
	guest_cli();
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x58), 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_TMR, 0x58), 1);
	/* EOI with the line still high: delivered again. */
	xapic_write(APIC_EOI, 0);
	guest_wait_irq(0x58, 2);
	guest_cli();
	GUEST_SYNC(2);
	/* The line is low now: the EOI ends it. */
	xapic_write(APIC_EOI, 0);
	guest_sti();
	guest_delay_tsc(1000000);
	guest_cli();
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x58], 2);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x58), 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x58), 0);
	guest_sti();
}

TEST(level_triggered_tmr)
{
	struct kvm_irq_level l = { .irq = LEVEL_PIN };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest_level, false);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	l.level = 1;
	ASSERT_EQ(0, ioctl(vm->fd, KVM_IRQ_LINE, &l));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	l.level = 0;
	ASSERT_EQ(0, ioctl(vm->fd, KVM_IRQ_LINE, &l));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_relocate(void)
{
	uint64_t base = guest_rdmsr(MSR_IA32_APICBASE);
	uint32_t lvr = xapic_read(APIC_LVR);
	volatile uint32_t *r = (volatile uint32_t *)RELOC_BASE;
	uint32_t tpr;

	xapic_write(APIC_SPIV, 0x1ff);
	guest_wrmsr(MSR_IA32_APICBASE, RELOC_BASE | (base & 0xfff));
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE),
			RELOC_BASE | (base & 0xfff));
	GUEST_ASSERT_EQ(r[APIC_LVR / 4], lvr);
	GUEST_ASSERT_EQ(r[APIC_SPIV / 4], 0x1ff);
	r[APIC_TASKPRI / 4] = 0x30;
	GUEST_ASSERT_EQ(r[APIC_TASKPRI / 4], 0x30);
	GUEST_ASSERT_EQ(read_cr8(), 3);
	/* The relocated page delivers interrupts like the default one. */
	r[APIC_TASKPRI / 4] = 0;
	r[APIC_ICR / 4] = APIC_DEST_SELF | 0x66;
	guest_wait_irq(0x66, 1);
	r[APIC_EOI / 4] = 0;
	/* ISR bits 127:96 hold vector 0x66 as bit 6. */
	GUEST_ASSERT_EQ((r[(APIC_ISR + 0x30) / 4] >> 6) & 1, 0);
	/* The old address is plain (unbacked) MMIO now: the VMM answers. */
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), MMIO_ANSWER);
	guest_wrmsr(MSR_IA32_APICBASE, base);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), lvr);

	/*
	 * Globally disabled (EN=0, SDM 11.4.3).  With KVM's default
	 * KVM_X86_QUIRK_LAPIC_MMIO_HOLE the page still swallows accesses
	 * (what reads return is undefined; apic_page_hole below disables the
	 * quirk): writes are dropped.  Enabling again gives the ID back its
	 * reset value; the rest "may" return to the power-up state (SDM
	 * 11.4.3): in-tree KVM keeps the registers, kvmx resets them.
	 */
	xapic_write(APIC_ID, 7U << 24);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 7U << 24);
	xapic_write(APIC_TASKPRI, 0x20);
	guest_wrmsr(MSR_IA32_APICBASE, base & ~MSR_IA32_APICBASE_ENABLE);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE),
			base & ~MSR_IA32_APICBASE_ENABLE);
	xapic_write(APIC_TASKPRI, 0x70);
	/* Disabled -> x2APIC directly is illegal (SDM 11.12.5). */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE,
				   (base & ~MSR_IA32_APICBASE_ENABLE) |
				   MSR_IA32_APICBASE_EXTD), GP_VECTOR);
	guest_wrmsr(MSR_IA32_APICBASE, base);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), lvr);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0);
	/* The write while disabled was dropped: kept (0x20) or reset (0). */
	tpr = xapic_read(APIC_TASKPRI);
	GUEST_ASSERT_MSG(tpr == 0x20 || tpr == 0, "TPR 0x%x", tpr);
	xapic_write(APIC_SPIV, 0x1ff);
	xapic_write(APIC_TASKPRI, 0);
	/* Reserved bits of APIC_BASE (above MAXPHYADDR, 7:0, 9) #GP. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | (1UL << 63)),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base | 1), GP_VECTOR);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE), base);
}

/* The guest read @gpa (4 bytes) as MMIO after SYNC(@sync): answer it. */
static void expect_apic_mmio(struct kvm_vcpu *vcpu, uint64_t sync,
			     uint64_t gpa)
{
	vcpu_expect_ucall(vcpu, UCALL_SYNC, sync);
	vcpu_run(vcpu);
	vcpu_assert_mmio(vcpu, false, gpa, 4);
	vcpu_mmio_set_data(vcpu, MMIO_ANSWER);
}

TEST(apic_base_relocation)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest_relocate, false);
	expect_apic_mmio(vcpu, 1, OLD_LVR_GPA);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * Without KVM_X86_QUIRK_LAPIC_MMIO_HOLE (KVM_CAP_DISABLE_QUIRKS2) the page
 * does not decode while the APIC is disabled or in x2APIC mode: plain
 * MMIO for the VMM.
 */
static void guest_page_hole(void)
{
	uint64_t base = guest_rdmsr(MSR_IA32_APICBASE);
	uint32_t lvr = xapic_read(APIC_LVR);

	guest_wrmsr(MSR_IA32_APICBASE, base & ~MSR_IA32_APICBASE_ENABLE);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), MMIO_ANSWER);
	guest_wrmsr(MSR_IA32_APICBASE, base);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), lvr);
	guest_wrmsr(MSR_IA32_APICBASE, base | MSR_IA32_APICBASE_EXTD);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), MMIO_ANSWER);
	GUEST_ASSERT_EQ(guest_rdmsr(X2APIC_MSR(APIC_LVR)), lvr);
}

TEST(apic_page_hole)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int q;

	REQUIRE_IRQCHIP();
	q = kvm_check_cap(KVM_CAP_DISABLE_QUIRKS2);
	if (q <= 0 || !(q & KVM_X86_QUIRK_LAPIC_MMIO_HOLE))
		TEST_SKIP(return, "KVM_X86_QUIRK_LAPIC_MMIO_HOLE cannot be disabled");
	vm = lapic_vm_create();
	vm_enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2,
		      KVM_X86_QUIRK_LAPIC_MMIO_HOLE);
	vcpu = lapic_vcpu_add(vm, 0, guest_page_hole, false);
	expect_apic_mmio(vcpu, 1, OLD_LVR_GPA);
	expect_apic_mmio(vcpu, 2, OLD_LVR_GPA);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static int x2apic_wr_vec(uint32_t reg, uint64_t v)
{
	return wrmsr_safe(X2APIC_MSR(reg), v);
}

static int x2apic_rd_vec(uint32_t reg)
{
	uint64_t v;

	return rdmsr_safe(X2APIC_MSR(reg), &v);
}

static void guest_x2apic(void)
{
	uint64_t base = guest_rdmsr(MSR_IA32_APICBASE) & ~0xfffUL;
	uint64_t xapic = base | MSR_IA32_APICBASE_ENABLE;
	uint64_t x2apic = xapic | MSR_IA32_APICBASE_EXTD;
	uint32_t lvr = xapic_read(APIC_LVR), a, b, c, d;

	guest_cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(c & (1U << 21));
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), AP_ID << 24);
	/* An AP: no BSP flag. */
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE), xapic);
	/* x2APIC MSRs #GP while the APIC is in xAPIC mode (11.12.1.2). */
	GUEST_ASSERT_EQ(x2apic_rd_vec(APIC_ID), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_TASKPRI, 0), GP_VECTOR);

	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, x2apic),
			GUEST_NO_EXCEPTION);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE), x2apic);
	/* 32-bit ID; LDR = cluster (ID[19:4]) << 16 | 1 << ID[3:0] (11.12.10.2). */
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), AP_ID);
	GUEST_ASSERT_EQ(x2apic_read(APIC_LDR), 1U << AP_ID);
	GUEST_ASSERT_EQ(x2apic_read(APIC_LVR), lvr);
	x2apic_write(APIC_SPIV, 0x1ff);
	GUEST_ASSERT_EQ(x2apic_read(APIC_SPIV), 0x1ff);
	x2apic_write(APIC_TASKPRI, 0x30);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TASKPRI), 0x30);
	GUEST_ASSERT_EQ(x2apic_read(APIC_PROCPRI), 0x30);
	GUEST_ASSERT_EQ(read_cr8(), 3);
	x2apic_write(APIC_TASKPRI, 0);

	/* Read-only registers: WRMSR #GPs (SDM 11.12.1.2, table 11-6). */
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_ID, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_LVR, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_PROCPRI, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_LDR, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_ISR, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_TMR, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_IRR, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_TMCCT, 0), GP_VECTOR);
	/* Write-only ones, and those xAPIC has but x2APIC has not: RDMSR #GPs. */
	GUEST_ASSERT_EQ(x2apic_rd_vec(APIC_EOI), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(APIC_SELF_IPI), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(APIC_DFR), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(APIC_ICR2), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(APIC_ARBPRI), GP_VECTOR);
	/* Nothing at MSR 0x801, 0x804, 0x807, 0x829 (TDCR at 0x83e is there). */
	GUEST_ASSERT_EQ(x2apic_rd_vec(0x010), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(0x040), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(0x070), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(0x290), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_rd_vec(APIC_TDCR), GUEST_NO_EXCEPTION);
	GUEST_ASSERT_EQ(x2apic_wr_vec(0x010, 0), GP_VECTOR);
	/* Bits 63:32 are reserved in every register but the ICR. */
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_TASKPRI, 1UL << 32), GP_VECTOR);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_SPIV, 0x1ffUL | 1UL << 40),
			GP_VECTOR);
	/* The ESR takes only 0 in x2APIC mode. */
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_ESR, 0), GUEST_NO_EXCEPTION);
	GUEST_ASSERT_EQ(x2apic_wr_vec(APIC_ESR, 1), GP_VECTOR);

	/* SELF_IPI (MSR 0x83f) and the 64-bit ICR (MSR 0x830). */
	guest_cli();
	x2apic_write(APIC_SELF_IPI, 0x71);
	GUEST_ASSERT_EQ((x2apic_read(APIC_IRR + 0x30) >> 17) & 1, 1);
	guest_wait_irq(0x71, 1);
	GUEST_ASSERT_EQ((x2apic_read(APIC_ISR + 0x30) >> 17) & 1, 1);
	x2apic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ((x2apic_read(APIC_ISR + 0x30) >> 17) & 1, 0);
	x2apic_write(APIC_ICR, (uint64_t)AP_ID << 32 | 0x72);
	guest_wait_irq(0x72, 1);
	x2apic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(x2apic_read(APIC_ICR), (uint64_t)AP_ID << 32 | 0x72);
	/* Still fine afterwards. */
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), AP_ID);

	/* APIC_BASE transitions (SDM 11.12.5, figure 11-27). */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, xapic), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE,
				   base | MSR_IA32_APICBASE_EXTD), GP_VECTOR);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE), x2apic);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, base),
			GUEST_NO_EXCEPTION);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE), base);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, x2apic), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE,
				   base | MSR_IA32_APICBASE_EXTD), GP_VECTOR);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_IA32_APICBASE), base);
	/* Disabled -> xAPIC -> x2APIC is the legal way back. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, xapic),
			GUEST_NO_EXCEPTION);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), AP_ID << 24);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_APICBASE, x2apic),
			GUEST_NO_EXCEPTION);
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), AP_ID);
}

TEST(x2apic_mode)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, AP_ID, guest_x2apic, false);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_state_xapic(void)
{
	xapic_write(APIC_SPIV, 0x1ff);
	xapic_write(APIC_TASKPRI, 0x20);
	xapic_write(APIC_LDR, 0x04000000);
	guest_cli();
	GUEST_SYNC(1);
	/* The host wrote TPR 0x50 and set IRR bit 0x60. */
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x50);
	GUEST_ASSERT_EQ(read_cr8(), 5);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0x50);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x60), 1);
	guest_wait_irq(0x60, 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x60), 1);
	xapic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x60), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_LDR), 0x04000000);
}

TEST(get_set_lapic_xapic)
{
	struct kvm_lapic_state s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest_state_xapic, false);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	EXPECT_EQ(0, lapic_reg(&s, APIC_ID));
	EXPECT_EQ(APIC_VERSION, lapic_reg(&s, APIC_LVR) & 0xff);
	EXPECT_EQ(0x20, lapic_reg(&s, APIC_TASKPRI));
	EXPECT_EQ(0x1ff, lapic_reg(&s, APIC_SPIV));
	EXPECT_EQ(0x04000000, lapic_reg(&s, APIC_LDR));
	EXPECT_EQ(0xffffffff, lapic_reg(&s, APIC_DFR));
	EXPECT_EQ(APIC_LVT_MASKED, lapic_reg(&s, APIC_LVTT));
	EXPECT_EQ(APIC_DM_EXTINT, lapic_reg(&s, APIC_LVT0));
	EXPECT_EQ(0, lapic_reg(&s, APIC_IRR + 0x30));
	lapic_set_reg(&s, APIC_TASKPRI, 0x50);
	/* IRR bits 127:96: vector 0x60 is bit 0. */
	lapic_set_reg(&s, APIC_IRR + 0x30, 1);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
	memset(&s, 0, sizeof(s));
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	EXPECT_EQ(0x50, lapic_reg(&s, APIC_TASKPRI));
	EXPECT_EQ(1, lapic_reg(&s, APIC_IRR + 0x30) & 1);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_state_x2apic(void)
{
	guest_wrmsr(MSR_IA32_APICBASE, guest_rdmsr(MSR_IA32_APICBASE) |
		    MSR_IA32_APICBASE_EXTD);
	x2apic_write(APIC_SPIV, 0x1ff);
	x2apic_write(APIC_TASKPRI, 0x10);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TASKPRI), 0x40);
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), AP_ID);
	GUEST_ASSERT_EQ(x2apic_read(APIC_LDR), 1U << AP_ID);
}

/*
 * In x2APIC mode the page's ID field is the ID << 24 (xAPIC layout) unless
 * KVM_X2APIC_API_USE_32BIT_IDS is on: then it is the 32-bit ID, and
 * KVM_SET_LAPIC refuses one that is not the vCPU's.
 */
static void x2apic_state_case(struct __test_metadata *_metadata, bool api)
{
	struct kvm_lapic_state s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint32_t id = api ? AP_ID : AP_ID << 24;

	vm = lapic_vm_create();
	if (api)
		vm_enable_cap(vm, KVM_CAP_X2APIC_API,
			      KVM_X2APIC_API_USE_32BIT_IDS);
	vcpu = lapic_vcpu_add(vm, AP_ID, guest_state_x2apic, false);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	EXPECT_EQ(id, lapic_reg(&s, APIC_ID));
	EXPECT_EQ(1U << AP_ID, lapic_reg(&s, APIC_LDR));
	EXPECT_EQ(0x10, lapic_reg(&s, APIC_TASKPRI));
	lapic_set_reg(&s, APIC_TASKPRI, 0x40);
	if (api) {
		lapic_set_reg(&s, APIC_ID, AP_ID + 1);
		EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_LAPIC, &s));
		lapic_set_reg(&s, APIC_ID, AP_ID);
	}
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST(get_set_lapic_x2apic)
{
	REQUIRE_IRQCHIP();
	x2apic_state_case(_metadata, false);
}

TEST(get_set_lapic_x2apic_32bit_ids)
{
	REQUIRE_IRQCHIP();
	if (kvm_check_cap(KVM_CAP_X2APIC_API) <= 0)
		TEST_SKIP(return, "KVM_CAP_X2APIC_API not reported");
	x2apic_state_case(_metadata, true);
}

TEST_HARNESS_MAIN
