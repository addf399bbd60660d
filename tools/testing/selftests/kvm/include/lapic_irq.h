/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt and NMI accounting per local APIC, for guests with several
 * vCPUs and the in-kernel irqchip (IPIs, SMP boot, HLT wake-ups).
 *
 * Unlike guest_irq.h, where the host writes the gates, the guest installs
 * these handlers itself: guest_lapic_irq_install() (run on every vCPU, as
 * the IDT limit is per vCPU) points vectors 2 (NMI) and 32..255 of the IDT
 * it finds with SIDT at stubs that count the event under the APIC ID of
 * the vCPU taking it (read from the APIC in whichever mode it is in), and
 * send the EOI for vectors 32..254 when guest_lapic_auto_eoi is set.
 */
#ifndef KVMX_SELFTEST_LAPIC_IRQ_H
#define KVMX_SELFTEST_LAPIC_IRQ_H

#include <stdint.h>

#define LAPIC_IRQ_MAX_ID	16	/* APIC IDs counted per vCPU */
#define LAPIC_NMI_VECTOR	2
#define LAPIC_SPURIOUS_VECTOR	0xff

/* [APIC ID][vector]: events taken; [vector] 2 counts NMIs. */
extern volatile uint64_t guest_lapic_irqs[LAPIC_IRQ_MAX_ID][256];
/* All vCPUs together, and events of APIC IDs beyond LAPIC_IRQ_MAX_ID. */
extern volatile uint64_t guest_lapic_irqs_all[256];
extern volatile uint64_t guest_lapic_irqs_other;
/* Non-zero: the handler writes the EOI (not for NMIs, not for 0xff). */
extern volatile uint64_t guest_lapic_auto_eoi;

/* Guest: installs the gates and loads an IDT limit covering 256 vectors. */
void guest_lapic_irq_install(void);
/*
 * A vCPU entry point (vm_vcpu_add_guest()) that runs
 * guest_lapic_irq_install() and then jumps to the address in R12, the
 * argument registers untouched: the host sets R12 to the real guest
 * function.
 */
extern const char guest_lapic_entry[];
/* Guest: this vCPU's APIC ID (x2APIC: the 32-bit ID; xAPIC: bits 31:24). */
uint32_t guest_lapic_id(void);
/* Guest: an EOI in the APIC's current mode. */
void guest_lapic_eoi(void);

#endif /* KVMX_SELFTEST_LAPIC_IRQ_H */
