// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM ioctls of the in-kernel irqchip, with in-tree KVM's checks and
 * errno (Documentation/virt/kvm/api.rst): KVM_CREATE_IRQCHIP and
 * KVM_CAP_SPLIT_IRQCHIP, KVM_IRQ_LINE(_STATUS), KVM_GET/SET_IRQCHIP,
 * KVM_SET_GSI_ROUTING, KVM_SIGNAL_MSI, KVM_SET_BOOT_CPU_ID and
 * KVM_CAP_X2APIC_API.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmx/irq.h>

static long irqchip_create_full(struct kvmx_vm *vm)
{
	long r;

	mutex_lock(&vm->lock);
	if (vm->irqchip)
		r = -EEXIST;
	else if (atomic_read(&vm->nr_vcpus))
		r = -EINVAL;
	else
		r = kvmx_irqchip_create(vm, KVMX_IRQCHIP_FULL, 0);
	mutex_unlock(&vm->lock);
	return r;
}

int kvmx_irqchip_enable_split(struct kvmx_vm *vm, u64 nr_pins)
{
	int r;

	if (nr_pins > KVMX_MAX_IRQ_ROUTES)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (vm->irqchip || atomic_read(&vm->nr_vcpus))
		r = -EEXIST;
	else
		r = kvmx_irqchip_create(vm, KVMX_IRQCHIP_SPLIT, nr_pins);
	mutex_unlock(&vm->lock);
	return r;
}

/* KVM_IRQ_LINE(_STATUS): USER drives the GSI; status is delivery's. */
static long irqchip_irq_line(struct kvmx_vm *vm, void __user *argp,
			     bool status)
{
	struct kvm_irq_level ev;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	if (!kvmx_irqchip_in_kernel(vm))
		return -ENXIO;
	ev.status = kvmx_irq_set(vm, KVMX_IRQ_SRC_USER, ev.irq, ev.level,
				 status);
	if (status && copy_to_user(argp, &ev, sizeof(ev)))
		return -EFAULT;
	return 0;
}

static int irqchip_get_state(struct kvmx_irqchip *chip,
			     struct kvm_irqchip *s)
{
	unsigned long flags;
	int r = 0;

	flags = kvmx_irqchip_lock(chip);
	switch (s->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		r = kvmx_pic_get_state(&chip->pic, s->chip_id, &s->chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		kvmx_ioapic_get_state(&chip->ioapic, &s->chip.ioapic);
		break;
	default:
		r = -EINVAL;
	}
	kvmx_irqchip_unlock(chip, flags);
	return r;
}

static int irqchip_set_state(struct kvmx_irqchip *chip,
			     const struct kvm_irqchip *s)
{
	unsigned long flags;
	int r;

	flags = kvmx_irqchip_lock(chip);
	switch (s->chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		r = kvmx_pic_set_state(&chip->pic, s->chip_id, &s->chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		r = kvmx_ioapic_set_state(&chip->ioapic, &s->chip.ioapic);
		break;
	default:
		r = -EINVAL;
	}
	kvmx_irqchip_unlock(chip, flags);
	return r;
}

static long irqchip_state_ioctl(struct kvmx_vm *vm, void __user *argp,
				bool set)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);
	struct kvm_irqchip *s;
	long r;

	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	r = -ENXIO;
	if (!chip || chip->mode != KVMX_IRQCHIP_FULL)
		goto out;
	if (set) {
		r = irqchip_set_state(chip, s);
	} else {
		r = irqchip_get_state(chip, s);
		if (!r && copy_to_user(argp, s, sizeof(*s)))
			r = -EFAULT;
	}
out:
	kfree(s);
	return r;
}

static long irqchip_set_gsi_routing(struct kvmx_vm *vm, void __user *argp)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);
	struct kvm_irq_routing_entry *ue = NULL;
	struct kvm_irq_routing hdr;
	struct kvmx_irq_routes *rt;
	long r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (!chip)
		return -EINVAL;
	r = kvmx_irq_routing_check(&hdr);
	if (r)
		return r;
	if (hdr.nr) {
		/* nr <= 4096 was checked: no overflow */
		ue = vmemdup_user(argp + sizeof(hdr), hdr.nr * sizeof(*ue));
		if (IS_ERR(ue))
			return PTR_ERR(ue);
	}
	rt = kvzalloc(sizeof(*rt), GFP_KERNEL_ACCOUNT);
	r = -ENOMEM;
	if (!rt)
		goto out;
	mutex_lock(&chip->routes_lock);
	r = kvmx_irq_routes_build(rt, ue, hdr.nr, chip->route_flags);
	mutex_unlock(&chip->routes_lock);
	if (r) {
		kvfree(rt);
		goto out;
	}
	kvmx_irqchip_set_routes(chip, rt);
out:
	kvfree(ue);
	return r;
}

static long irqchip_signal_msi(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	/* the delivery count as the result, -1 (EPERM) for none: in-tree */
	return kvmx_irq_deliver_msi(vm, &msi);
}

static long irqchip_set_boot_cpu_id(struct kvmx_vm *vm, unsigned long id)
{
	long r = 0;

	mutex_lock(&vm->lock);
	if (atomic_read(&vm->nr_vcpus))
		r = -EBUSY;
	else if (id > KVMX_MAX_VCPU_ID)
		r = -EINVAL;
	else
		vm->bsp_vcpu_id = id;
	mutex_unlock(&vm->lock);
	return r;
}

long kvmx_irqchip_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			void __user *argp, bool *handled)
{
	*handled = true;
	switch (ioctl) {
	case KVM_CREATE_IRQCHIP:
		return irqchip_create_full(vm);
	case KVM_IRQ_LINE:
		return irqchip_irq_line(vm, argp, false);
	case KVM_IRQ_LINE_STATUS:
		return irqchip_irq_line(vm, argp, true);
	case KVM_GET_IRQCHIP:
		return irqchip_state_ioctl(vm, argp, false);
	case KVM_SET_IRQCHIP:
		return irqchip_state_ioctl(vm, argp, true);
	case KVM_SET_GSI_ROUTING:
		return irqchip_set_gsi_routing(vm, argp);
	case KVM_SIGNAL_MSI:
		return irqchip_signal_msi(vm, argp);
	case KVM_SET_BOOT_CPU_ID:
		return irqchip_set_boot_cpu_id(vm, (unsigned long)argp);
	}
	*handled = false;
	return -ENOTTY;
}

/*
 * KVM_CAP_X2APIC_API: the 32-bit x2APIC IDs in KVM_GET/SET_LAPIC and MSI
 * routes, and the broadcast quirk; in-tree accepts it at any time.
 */
int kvmx_enable_x2apic_api(struct kvmx_vm *vm, u64 flags)
{
	struct kvmx_irqchip *chip;

	if (flags & ~(u64)(KVM_X2APIC_API_USE_32BIT_IDS |
			   KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK))
		return -EINVAL;
	mutex_lock(&vm->lock);
	vm->x2apic_api |= flags;
	chip = vm->irqchip;
	if (chip && (flags & KVM_X2APIC_API_USE_32BIT_IDS)) {
		mutex_lock(&chip->routes_lock);
		WRITE_ONCE(chip->route_flags,
			   chip->route_flags | KVMX_MSI_X2APIC_FORMAT);
		mutex_unlock(&chip->routes_lock);
	}
	kvmx_vcpu_apics_config_changed(vm);
	mutex_unlock(&vm->lock);
	return 0;
}
