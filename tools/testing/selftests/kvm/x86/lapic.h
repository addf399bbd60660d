/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the local APIC selftests (lapic_regs, lapic_timer, lapic_ipi,
 * lapic_state, smp_boot, halt) share: the register offsets of the APIC
 * page (SDM Vol. 3A 11.4.1, table 11-1) and their x2APIC MSR numbers
 * (11.12.1.2), guest accessors for both modes, the interrupt wait loop,
 * and the host's set up of a VM with the in-kernel irqchip.  Included by
 * exactly those test files.
 */
#ifndef KVMX_SELFTEST_LAPIC_H
#define KVMX_SELFTEST_LAPIC_H

#include "kvmx_test.h"
#include "lapic_irq.h"

#define APIC_ID		0x020
#define APIC_LVR	0x030
#define APIC_TASKPRI	0x080
#define APIC_ARBPRI	0x090
#define APIC_PROCPRI	0x0a0
#define APIC_EOI	0x0b0
#define APIC_LDR	0x0d0
#define APIC_DFR	0x0e0
#define APIC_SPIV	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVTTHMR	0x330
#define APIC_LVTPC	0x340
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0

#define APIC_SPIV_ENABLE	(1U << 8)
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_LVT_PERIODIC	(1U << 17)
#define APIC_LVT_TSCDEADLINE	(2U << 17)
#define APIC_DM_NMI		0x400
#define APIC_DM_INIT		0x500
#define APIC_DM_STARTUP		0x600
#define APIC_DM_EXTINT		0x700
#define APIC_DEST_LOGICAL	(1U << 11)
#define APIC_ICR_BUSY		(1U << 12)
#define APIC_INT_ASSERT		(1U << 14)
#define APIC_DEST_SELF		(1U << 18)
#define APIC_DEST_ALLINC	(2U << 18)
#define APIC_DEST_ALLBUT	(3U << 18)

#define X2APIC_MSR(reg)		(0x800 + ((reg) >> 4))
#define MSR_IA32_TSC_DEADLINE	0x6e0

/* CPUID.1:ECX (SDM Vol. 2A, CPUID). */
#define X86_FEATURE_X2APIC	X86_FEATURE(1, 0, ECX, 21)
#define X86_FEATURE_TSC_DEADLINE X86_FEATURE(1, 0, ECX, 24)

/* ---- guest ------------------------------------------------------------ */

static inline uint32_t xapic_read(uint32_t reg)
{
	return *(volatile uint32_t *)(APIC_DEFAULT_PHYS_BASE + reg);
}

static inline void xapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(APIC_DEFAULT_PHYS_BASE + reg) = v;
}

static inline uint64_t x2apic_read(uint32_t reg)
{
	return guest_rdmsr(X2APIC_MSR(reg));
}

static inline void x2apic_write(uint32_t reg, uint64_t v)
{
	guest_wrmsr(X2APIC_MSR(reg), v);
}

/* Bit @vec of the 256-bit ISR/TMR/IRR starting at @base (xAPIC page). */
static inline int xapic_vec_bit(uint32_t base, unsigned int vec)
{
	return (xapic_read(base + 0x10 * (vec / 32)) >> (vec % 32)) & 1;
}

static inline void guest_cli(void)
{
	asm volatile("cli" ::: "memory");
}

static inline void guest_sti(void)
{
	asm volatile("sti; nop" ::: "memory");
}

/*
 * Sleeps in HLT until @vec has been taken @n times in all.  STI's
 * interrupt shadow covers the HLT, so an interrupt arriving after the
 * check wakes the HLT rather than being taken before it (SDM Vol. 2B
 * STI).  With the in-kernel irqchip a lost interrupt hangs the vCPU in
 * the kernel: the harness' timeout reports it.
 */
static inline void guest_wait_irq(unsigned int vec, uint64_t n)
{
	guest_cli();
	while (guest_lapic_irqs_all[vec] < n)
		asm volatile("sti; hlt; cli" ::: "memory");
	guest_sti();
}

/*
 * Takes interrupts of @vec until @n in all, EOI after each (xAPIC mode),
 * also for one that came before the call and is still in service: an
 * in-service vector would hold later ones of its class back for good.
 */
static inline void guest_take_irqs(unsigned int vec, uint64_t n)
{
	for (;;) {
		guest_cli();
		if (xapic_vec_bit(APIC_ISR, vec))
			xapic_write(APIC_EOI, 0);
		if (guest_lapic_irqs_all[vec] >= n)
			break;
		guest_wait_irq(vec, guest_lapic_irqs_all[vec] + 1);
	}
	guest_sti();
}

/* Spins (IF as it is) until *p >= v or @tsc_budget TSC cycles passed. */
static inline int guest_spin_until(volatile uint64_t *p, uint64_t v,
				   uint64_t tsc_budget)
{
	uint64_t t0 = guest_rdtsc();

	while (*p < v) {
		if (guest_rdtsc() - t0 > tsc_budget)
			return 0;
		asm volatile("pause" ::: "memory");
	}
	return 1;
}

/* Spins for @cycles TSC cycles with interrupts as they are. */
static inline void guest_delay_tsc(uint64_t cycles)
{
	uint64_t t0 = guest_rdtsc();

	while (guest_rdtsc() - t0 < cycles)
		asm volatile("pause" ::: "memory");
}

/* ---- host ------------------------------------------------------------- */

#define REQUIRE_IRQCHIP() do {						\
	if (kvm_check_cap(KVM_CAP_IRQCHIP) <= 0)			\
		TEST_SKIP(return, "KVM_CAP_IRQCHIP not reported");	\
} while (0)

/* A long-mode VM with the in-kernel LAPICs, IOAPIC and PIC, no vCPU. */
static inline struct kvm_vm *lapic_vm_create(void)
{
	struct kvm_vm *vm = vm_create_guest(NULL, NULL);

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	return vm;
}

/*
 * A vCPU running @guest_code after guest code of its own has installed
 * the counting interrupt and NMI handlers in its IDT (guest_lapic_entry,
 * lapic_irq.h).  Only the BSP (id 0) starts runnable with an in-kernel
 * LAPIC; other ids are made runnable here unless @wait_sipi (then they
 * wait for INIT/SIPI).
 */
static inline struct kvm_vcpu *lapic_vcpu_add(struct kvm_vm *vm, uint32_t id,
					      void (*guest_code)(void),
					      bool wait_sipi)
{
	struct kvm_vcpu *vcpu = vm_vcpu_add_guest(vm, id,
				(void (*)(void))guest_lapic_entry);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_regs r;

	vcpu_regs_get(vcpu, &r);
	r.r12 = guest_code ? (uint64_t)(uintptr_t)guest_code : vm->guest_entry;
	vcpu_regs_set(vcpu, &r);
	if (id && !wait_sipi)
		vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
	return vcpu;
}

/* The guest TSC's frequency in kHz (for sizing waits, never asserting). */
static inline uint64_t vcpu_tsc_khz(struct kvm_vcpu *vcpu)
{
	int khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

	TEST_ASSERT(khz > 0, "KVM_GET_TSC_KHZ: %d errno %d", khz, errno);
	return khz;
}

static inline uint32_t lapic_reg(const struct kvm_lapic_state *s, uint32_t reg)
{
	uint32_t v;

	memcpy(&v, s->regs + reg, 4);
	return v;
}

static inline void lapic_set_reg(struct kvm_lapic_state *s, uint32_t reg,
				 uint32_t v)
{
	memcpy(s->regs + reg, &v, 4);
}

#endif /* KVMX_SELFTEST_LAPIC_H */
