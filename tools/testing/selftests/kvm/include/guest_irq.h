/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interrupt handlers for 64-bit guests, for tests that inject external
 * interrupts (KVM_INTERRUPT, KVM_SET_VCPU_EVENTS).  The library's IDT has
 * the 32 exception vectors; vcpu_install_irq_handlers() fills in vectors
 * 32..255 with one small stub each, all of which count the interrupt in
 * the guest's guest_irq_count[] and note the vector, the interrupted RIP
 * and RFLAGS, then IRET.  Read them from the host with
 * sync_global_from_guest(), or in the guest directly.
 */
#ifndef KVMX_SELFTEST_GUEST_IRQ_H
#define KVMX_SELFTEST_GUEST_IRQ_H

#include <stdint.h>

#define GUEST_IRQ_FIRST	32

extern volatile uint64_t guest_irq_count[256];
extern volatile uint64_t guest_irq_last;	/* vector of the last one */
extern volatile uint64_t guest_irq_rip;		/* where it interrupted */
extern volatile uint64_t guest_irq_rflags;	/* RFLAGS it interrupted */

struct kvm_vcpu;
/*
 * Host: writes interrupt gates for vectors 32..255 into the guest IDT
 * (the page at the vCPU's IDTR base) and raises the vCPU's IDT limit to
 * cover them.  Per vCPU (the IDT limit is vCPU state), the gates per VM.
 */
void vcpu_install_irq_handlers(struct kvm_vcpu *vcpu);

#endif /* KVMX_SELFTEST_GUEST_IRQ_H */
