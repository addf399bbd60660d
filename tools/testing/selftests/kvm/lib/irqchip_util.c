// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared code of the irqchip selftests; see include/irqchip_util.h.
 */
#include <stdlib.h>

#include "irqchip_util.h"

uint64_t irqc_tsc_per_ms = 1000000;

/* ---- guest ------------------------------------------------------------ */

bool irqc_wait_count(unsigned int vec, uint64_t n, uint64_t ms)
{
	uint64_t t0 = guest_rdtsc(), i;

	for (i = 0; guest_irq_count[vec] < n; i++) {
		if (i > 10000 && guest_rdtsc() - t0 > ms * irqc_tsc_per_ms)
			return false;
		irqc_window();
	}
	return true;
}

bool irqc_quiet(unsigned int vec, uint64_t n, uint64_t ms)
{
	uint64_t t0 = guest_rdtsc(), i;

	for (i = 0; i < 2000 || guest_rdtsc() - t0 < ms * irqc_tsc_per_ms; i++)
		irqc_window();
	return guest_irq_count[vec] == n;
}

uint32_t irqc_pic_regs(void)
{
	return IRQC_M_IRR(irqc_pic_read_irr(IRQC_PIC1_CMD)) |
	       IRQC_M_ISR(irqc_pic_read_isr(IRQC_PIC1_CMD)) |
	       IRQC_S_IRR(irqc_pic_read_irr(IRQC_PIC2_CMD)) |
	       IRQC_S_ISR(irqc_pic_read_isr(IRQC_PIC2_CMD));
}

bool irqc_wait_pic(unsigned int vec, uint64_t n, uint32_t mask, uint32_t want,
		   uint64_t ms)
{
	uint64_t t0 = guest_rdtsc(), i;

	for (i = 0; ; i++) {
		if (guest_irq_count[vec] >= n && (irqc_pic_regs() & mask) == want)
			return true;
		if (i > 1000 && guest_rdtsc() - t0 > ms * irqc_tsc_per_ms)
			return false;
		irqc_window();
	}
}

bool irqc_pic_quiet(uint64_t ms, uint32_t *before, uint32_t *after)
{
	uint64_t t0, i;

	*before = irqc_pic_regs();
	t0 = guest_rdtsc();
	for (i = 0; i < 2000 || guest_rdtsc() - t0 < ms * irqc_tsc_per_ms; i++)
		irqc_window();
	*after = irqc_pic_regs();
	return *before == *after;
}

void irqc_pic_init(uint8_t base1, uint8_t base2, bool aeoi)
{
	uint8_t icw4 = 0x01 | (aeoi ? 0x02 : 0);

	outb(IRQC_PIC1_CMD, 0x11);	/* ICW1: edge, cascade, ICW4 */
	outb(IRQC_PIC1_DATA, base1);	/* ICW2 */
	outb(IRQC_PIC1_DATA, 0x04);	/* ICW3: slave on IR2 */
	outb(IRQC_PIC1_DATA, icw4);	/* ICW4: 8086 mode */
	outb(IRQC_PIC2_CMD, 0x11);
	outb(IRQC_PIC2_DATA, base2);
	outb(IRQC_PIC2_DATA, 0x02);	/* ICW3: slave id 2 */
	outb(IRQC_PIC2_DATA, icw4);
	outb(IRQC_PIC1_DATA, 0xfb);	/* OCW1: all but the cascade */
	outb(IRQC_PIC2_DATA, 0xff);
}

/* ---- host ------------------------------------------------------------- */

struct kvm_vm *irqc_vm_create(void)
{
	struct kvm_vm *vm = vm_create_guest(NULL, NULL);

	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	return vm;
}

struct kvm_vcpu *irqc_vcpu_add(struct kvm_vm *vm, uint32_t id,
			       void (*guest_code)(void))
{
	struct kvm_vcpu *vcpu = vm_vcpu_add_guest(vm, id, guest_code);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int khz;

	vcpu_install_irq_handlers(vcpu);
	if (id)
		vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	TEST_ASSERT(khz > 0, "KVM_GET_TSC_KHZ: %d errno %d", khz, errno);
	irqc_tsc_per_ms = khz;
	sync_global_to_guest(vm, irqc_tsc_per_ms);
	return vcpu;
}

int irqc_line_status(struct kvm_vm *vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	vm_ioctl(vm, KVM_IRQ_LINE_STATUS, &l);
	return l.status;
}

int __irqc_line(struct kvm_vm *vm, uint32_t gsi, uint32_t level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	return ioctl(vm->fd, KVM_IRQ_LINE, &l);
}

void irqc_line(struct kvm_vm *vm, uint32_t gsi, uint32_t level)
{
	int r = __irqc_line(vm, gsi, level);

	TEST_ASSERT(r == 0, "KVM_IRQ_LINE gsi %u level %u: %d errno %d",
		    gsi, level, r, errno);
}

void irqc_get_chip(struct kvm_vm *vm, uint32_t chip_id, struct kvm_irqchip *c)
{
	memset(c, 0, sizeof(*c));
	c->chip_id = chip_id;
	vm_ioctl(vm, KVM_GET_IRQCHIP, c);
}

void irqc_set_chip(struct kvm_vm *vm, const struct kvm_irqchip *c)
{
	vm_ioctl(vm, KVM_SET_IRQCHIP, (void *)c);
}

struct kvm_irq_routing *irqc_routing_alloc(unsigned int n)
{
	struct kvm_irq_routing *r;

	r = calloc(1, sizeof(*r) + n * sizeof(r->entries[0]));
	TEST_ASSERT(r, "calloc");
	return r;
}

struct kvm_irq_routing_entry *irqc_route_irqchip(struct kvm_irq_routing *r,
						 uint32_t gsi, uint32_t chip,
						 uint32_t pin)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
	return e;
}

struct kvm_irq_routing_entry *irqc_route_msi(struct kvm_irq_routing *r,
					     uint32_t gsi, uint32_t addr_lo,
					     uint32_t data)
{
	struct kvm_irq_routing_entry *e = &r->entries[r->nr++];

	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = addr_lo;
	e->u.msi.data = data;
	return e;
}

void irqc_route_default(struct kvm_irq_routing *r)
{
	uint32_t i;

	for (i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
		irqc_route_irqchip(r, i, KVM_IRQCHIP_IOAPIC, i);
		if (i < 16)
			irqc_route_irqchip(r, i, i < 8 ? KVM_IRQCHIP_PIC_MASTER :
					   KVM_IRQCHIP_PIC_SLAVE, i % 8);
	}
}

int __irqc_set_routing(struct kvm_vm *vm, struct kvm_irq_routing *r)
{
	return ioctl(vm->fd, KVM_SET_GSI_ROUTING, r);
}

void irqc_set_routing(struct kvm_vm *vm, struct kvm_irq_routing *r)
{
	vm_ioctl(vm, KVM_SET_GSI_ROUTING, r);
}

int __irqc_signal_msi(struct kvm_vm *vm, uint32_t addr_lo, uint32_t data,
		      uint32_t flags)
{
	struct kvm_msi m = { .address_lo = addr_lo, .data = data,
			     .flags = flags };

	return ioctl(vm->fd, KVM_SIGNAL_MSI, &m);
}

void irqc_host_apic_enable(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_state s;
	uint32_t spiv = 0x1ff;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s);
	memcpy(s.regs + IRQC_APIC_SPIV, &spiv, 4);
	vcpu_ioctl(vcpu, KVM_SET_LAPIC, &s);
}

uint64_t irqc_guest_count(struct kvm_vm *vm, unsigned int vec)
{
	uint64_t *p = addr_gpa2hva(vm, (uint64_t)(uintptr_t)&guest_irq_count[vec]);

	return *p;
}
