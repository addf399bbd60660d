// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-VM irqchip: its one lock and what happens when the lock is
 * dropped (notifiers, vCPU kicks), the PIC and IOAPIC on the I/O buses
 * with their model callbacks, and GSI delivery through the routing table
 * (kvmx_irq_set()).  The ioctls that create and drive it are in
 * irqchip_ioctl.c; the local APICs in lapic_glue.c.
 */
#include <linux/bitops.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <kvmx/irq.h>

/*
 * In-tree's min_timer_period_us: the shortest period a guest may give a
 * periodic LAPIC timer or the PIT (a guard against timer floods), read
 * when the LAPIC or PIT is created.
 */
unsigned int kvmx_min_timer_period_us = 200;
module_param_named(min_timer_period_us, kvmx_min_timer_period_us, uint,
		   0644);
MODULE_PARM_DESC(min_timer_period_us,
		 "Shortest period of periodic LAPIC and PIT timers (us)");

unsigned long kvmx_irqchip_lock(struct kvmx_irqchip *chip)
	__acquires(&chip->lock)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&chip->lock, flags);
	return flags;
}

void kvmx_irqchip_want_kick(struct kvmx_irqchip *chip, struct kvmx_vcpu *vcpu)
{
	__set_bit(vcpu->index, chip->kick_mask);
	chip->kick_any = true;
}

/* GSI @gsi's notifiers of one kind; RCU list, no lock of ours held. */
static void irqchip_run_ack_notifiers(struct kvmx_irqchip *chip, int gsi)
{
	struct kvmx_irq_ack_notifier *n;

	if (gsi < 0)
		return;
	rcu_read_lock();
	hlist_for_each_entry_rcu(n, &chip->ack_notifiers, link)
		if (n->gsi == gsi)
			n->acked(n);
	rcu_read_unlock();
}

static void irqchip_run_mask_notifiers(struct kvmx_irqchip *chip, int gsi,
				       bool masked)
{
	struct kvmx_irq_mask_notifier *n;

	if (gsi < 0)
		return;
	rcu_read_lock();
	hlist_for_each_entry_rcu(n, &chip->mask_notifiers, link)
		if (n->gsi == gsi)
			n->mask_changed(n, masked);
	rcu_read_unlock();
}

static int irqchip_gsi_of(struct kvmx_irqchip *chip, u32 irqchip, u32 pin)
{
	struct kvmx_irq_routes *rt;
	int gsi = -1;

	rcu_read_lock();
	rt = rcu_dereference(chip->routes);
	if (rt)
		gsi = kvmx_irq_routes_chip_pin(rt, irqchip, pin);
	rcu_read_unlock();
	return gsi;
}

/* The routes store the slave's pins as 8-15 (irq_route.h). */
static int irqchip_pic_gsi(struct kvmx_irqchip *chip, unsigned int irq)
{
	return irqchip_gsi_of(chip, irq < 8 ? KVM_IRQCHIP_PIC_MASTER :
			      KVM_IRQCHIP_PIC_SLAVE, irq);
}

/*
 * Drop the lock, then do what the models asked for while it was held:
 * ack and mask notifiers (which may call kvmx_irq_set() and so take the
 * lock again) and vCPU kicks.  Each round takes the work under the lock,
 * so nothing asked for meanwhile is lost.
 */
void kvmx_irqchip_unlock(struct kvmx_irqchip *chip, unsigned long flags)
	__releases(&chip->lock)
{
	DECLARE_BITMAP(kick, KVMX_MAX_VCPUS);
	unsigned long io_acked, io_mask, pic_acked, pic_mask;
	u32 io_masked;
	u16 pic_masked;
	bool any_kick;
	int i, n;

	for (;;) {
		io_acked = chip->ioapic_acked;
		pic_acked = chip->pic_acked;
		io_mask = chip->ioapic_mask_changed;
		io_masked = chip->ioapic_masked;
		pic_mask = chip->pic_mask_changed;
		pic_masked = chip->pic_masked;
		any_kick = chip->kick_any;
		chip->ioapic_acked = 0;
		chip->pic_acked = 0;
		chip->ioapic_mask_changed = 0;
		chip->pic_mask_changed = 0;
		n = atomic_read(&chip->vm->nr_vcpus);
		if (any_kick) {
			bitmap_copy(kick, chip->kick_mask, n);
			bitmap_zero(chip->kick_mask, n);
			chip->kick_any = false;
		}
		raw_spin_unlock_irqrestore(&chip->lock, flags);

		if (any_kick)
			for_each_set_bit(i, kick, n)
				kvmx_vcpu_kick(chip->vm->vcpus[i]);
		if (!(io_acked | pic_acked | io_mask | pic_mask))
			return;
		for_each_set_bit(i, &io_acked, KVMX_IRQCHIP_NUM_PINS)
			irqchip_run_ack_notifiers(chip,
				irqchip_gsi_of(chip, KVM_IRQCHIP_IOAPIC, i));
		for_each_set_bit(i, &pic_acked, KVMX_PIC_NUM_PINS)
			irqchip_run_ack_notifiers(chip, irqchip_pic_gsi(chip, i));
		for_each_set_bit(i, &io_mask, KVMX_IRQCHIP_NUM_PINS)
			irqchip_run_mask_notifiers(chip,
				irqchip_gsi_of(chip, KVM_IRQCHIP_IOAPIC, i),
				io_masked & BIT(i));
		for_each_set_bit(i, &pic_mask, KVMX_PIC_NUM_PINS)
			irqchip_run_mask_notifiers(chip, irqchip_pic_gsi(chip, i),
						   pic_masked & BIT(i));
		raw_spin_lock_irqsave(&chip->lock, flags);
	}
}

/* Routing a level change: the context of kvmx_irq_routes_set()'s ops. */
struct irqchip_set_ctx {
	struct kvmx_irqchip *chip;
	enum kvmx_irq_source src;
	bool line_status;
};

static int irqchip_set_pic(void *c, unsigned int pin, int level)
{
	struct irqchip_set_ctx *ctx = c;
	struct kvmx_irqchip *chip = ctx->chip;

	if (pin >= KVMX_PIC_NUM_PINS)
		return -1;
	if (level)
		chip->pic_src[pin] |= BIT(ctx->src);
	else
		chip->pic_src[pin] &= ~BIT(ctx->src);
	return kvmx_pic_set_irq(&chip->pic, pin, !!chip->pic_src[pin]);
}

static int irqchip_set_ioapic(void *c, unsigned int pin, int level)
{
	struct irqchip_set_ctx *ctx = c;
	struct kvmx_irqchip *chip = ctx->chip;

	if (pin >= KVMX_IRQCHIP_NUM_PINS)
		return -1;
	if (level)
		chip->ioapic_src[pin] |= BIT(ctx->src);
	else
		chip->ioapic_src[pin] &= ~BIT(ctx->src);
	return kvmx_ioapic_set_irq(&chip->ioapic, pin, !!chip->ioapic_src[pin],
				   ctx->line_status);
}

static int irqchip_set_msi(void *c, const struct kvmx_irq_msg *msg)
{
	struct irqchip_set_ctx *ctx = c;

	return kvmx_apic_deliver_locked(ctx->chip, msg);
}

static const struct kvmx_irq_route_ops irqchip_route_ops = {
	.set_pic = irqchip_set_pic,
	.set_ioapic = irqchip_set_ioapic,
	.set_msi = irqchip_set_msi,
};

/* Under the lock and RCU: drive @gsi through the current table. */
static int irqchip_set_gsi_locked(struct kvmx_irqchip *chip,
				  enum kvmx_irq_source src, u32 gsi, int level,
				  bool line_status)
{
	struct irqchip_set_ctx ctx = { chip, src, line_status };
	struct kvmx_irq_routes *rt = rcu_dereference(chip->routes);

	if (!rt)
		return -1;
	return kvmx_irq_routes_set(rt, gsi, level, chip->route_flags,
				   &irqchip_route_ops, &ctx);
}

int kvmx_irq_set(struct kvmx_vm *vm, enum kvmx_irq_source src, u32 gsi,
		 int level, bool line_status)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);
	unsigned long flags;
	int r;

	if (!chip)
		return -ENODEV;
	rcu_read_lock();
	flags = kvmx_irqchip_lock(chip);
	r = irqchip_set_gsi_locked(chip, src, gsi, !!level, line_status);
	kvmx_irqchip_unlock(chip, flags);
	rcu_read_unlock();
	return r;
}

int kvmx_irq_deliver_msi(struct kvmx_vm *vm, const struct kvm_msi *msi)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);
	struct kvmx_irq_msg msg;
	unsigned long flags;
	int r;

	if (!chip)
		return -EINVAL;
	r = kvmx_signal_msi(msi, READ_ONCE(chip->route_flags), &msg);
	if (r)
		return r;
	flags = kvmx_irqchip_lock(chip);
	r = kvmx_apic_deliver_locked(chip, &msg);
	kvmx_irqchip_unlock(chip, flags);
	return r;
}

/* The PIC's callbacks, all under the lock. */
static void irqchip_pic_set_int(void *opaque, bool level)
{
	struct kvmx_irqchip *chip = opaque;
	int i, n = atomic_read(&chip->vm->nr_vcpus);

	if (!level)
		return;
	/* INTR reaches the CPUs whose LINT0 passes it (virtual wire) */
	for (i = 0; i < n; i++) {
		struct kvmx_vcpu *vcpu = chip->vm->vcpus[i];

		if (vcpu->apic &&
		    kvmx_lapic_accept_pic_intr(&vcpu->apic->model))
			kvmx_irqchip_want_kick(chip, vcpu);
	}
}

static void irqchip_pic_irq_acked(void *opaque, unsigned int irq)
{
	struct kvmx_irqchip *chip = opaque;

	chip->pic_acked |= BIT(irq);
}

static void irqchip_pic_mask_changed(void *opaque, unsigned int irq,
				     bool masked)
{
	struct kvmx_irqchip *chip = opaque;

	chip->pic_mask_changed |= BIT(irq);
	if (masked)
		chip->pic_masked |= BIT(irq);
	else
		chip->pic_masked &= ~BIT(irq);
}

static const struct kvmx_pic_ops irqchip_pic_ops = {
	.set_int = irqchip_pic_set_int,
	.irq_acked = irqchip_pic_irq_acked,
	.irq_mask_changed = irqchip_pic_mask_changed,
};

/* The IOAPIC's callbacks, all under the lock. */
static int irqchip_ioapic_deliver(void *opaque, const struct kvmx_irq_msg *msg)
{
	return kvmx_apic_deliver_locked(opaque, msg);
}

/*
 * The EOI of a pin: a resampling irqfd's line is lowered now, before the
 * model looks at the pin again (so a device that is no longer asserting
 * does not fire a second time), and the notifiers run after unlock.
 */
static void irqchip_ioapic_ack(void *opaque, unsigned int pin)
{
	struct kvmx_irqchip *chip = opaque;
	struct kvmx_irq_ack_notifier *n;
	int gsi = irqchip_gsi_of(chip, KVM_IRQCHIP_IOAPIC, pin);
	bool resample = false;

	chip->ioapic_acked |= BIT(pin);
	if (gsi < 0 || !(chip->ioapic_src[pin] & BIT(KVMX_IRQ_SRC_RESAMPLE)))
		return;
	rcu_read_lock();
	hlist_for_each_entry_rcu(n, &chip->ack_notifiers, link)
		if (n->gsi == gsi && n->resample)
			resample = true;
	if (resample)
		irqchip_set_gsi_locked(chip, KVMX_IRQ_SRC_RESAMPLE, gsi, 0,
				       false);
	rcu_read_unlock();
}

static void irqchip_ioapic_mask_changed(void *opaque, unsigned int pin,
					bool masked)
{
	struct kvmx_irqchip *chip = opaque;

	chip->ioapic_mask_changed |= BIT(pin);
	if (masked)
		chip->ioapic_masked |= BIT(pin);
	else
		chip->ioapic_masked &= ~BIT(pin);
}

static u64 irqchip_now_ns(void *opaque)
{
	return ktime_get_ns();
}

static void irqchip_ioapic_arm(void *opaque, u64 deadline_ns)
{
	struct kvmx_irqchip *chip = opaque;

	hrtimer_start(&chip->ioapic_timer, ns_to_ktime(deadline_ns),
		      HRTIMER_MODE_ABS);
}

static void irqchip_ioapic_cancel(void *opaque)
{
	struct kvmx_irqchip *chip = opaque;

	/* not hrtimer_cancel(): its callback may be waiting for our lock */
	hrtimer_try_to_cancel(&chip->ioapic_timer);
}

static enum hrtimer_restart irqchip_ioapic_timer_fn(struct hrtimer *t)
{
	struct kvmx_irqchip *chip = container_of(t, struct kvmx_irqchip,
						 ioapic_timer);
	unsigned long flags = kvmx_irqchip_lock(chip);

	kvmx_ioapic_expire(&chip->ioapic, ktime_get_ns());
	kvmx_irqchip_unlock(chip, flags);
	return HRTIMER_NORESTART;
}

/* Guest I/O to the PIC's ports, byte by byte as the 8259 decodes it. */
static int irqchip_pic_read(struct kvmx_io_device *dev,
			    struct kvmx_vcpu *vcpu, u64 addr, u32 len,
			    void *val)
{
	struct kvmx_irqchip *chip = container_of(dev, struct kvmx_irqchip,
						 pic_dev);
	unsigned long flags;
	u8 *b = val;
	int r = 0;
	u32 i;

	if (!kvmx_pic_decodes(addr))
		return -EOPNOTSUPP;
	flags = kvmx_irqchip_lock(chip);
	for (i = 0; i < len && !r; i++) {
		b[i] = 0xff;
		if (kvmx_pic_decodes(addr + i))
			r = kvmx_pic_read(&chip->pic, addr + i, &b[i]);
	}
	kvmx_irqchip_unlock(chip, flags);
	return 0;
}

static int irqchip_pic_write(struct kvmx_io_device *dev,
			     struct kvmx_vcpu *vcpu, u64 addr, u32 len,
			     const void *val)
{
	struct kvmx_irqchip *chip = container_of(dev, struct kvmx_irqchip,
						 pic_dev);
	const u8 *b = val;
	unsigned long flags;
	u32 i;

	if (!kvmx_pic_decodes(addr))
		return -EOPNOTSUPP;
	flags = kvmx_irqchip_lock(chip);
	for (i = 0; i < len; i++)
		if (kvmx_pic_decodes(addr + i))
			kvmx_pic_write(&chip->pic, addr + i, b[i]);
	kvmx_irqchip_unlock(chip, flags);
	return 0;
}

static const struct kvmx_io_device_ops irqchip_pic_io_ops = {
	.read = irqchip_pic_read,
	.write = irqchip_pic_write,
};

static int irqchip_ioapic_read(struct kvmx_io_device *dev,
			       struct kvmx_vcpu *vcpu, u64 addr, u32 len,
			       void *val)
{
	struct kvmx_irqchip *chip = container_of(dev, struct kvmx_irqchip,
						 ioapic_dev);
	unsigned long flags = kvmx_irqchip_lock(chip);
	int r = kvmx_ioapic_mmio_read(&chip->ioapic, addr, len, val);

	kvmx_irqchip_unlock(chip, flags);
	return r;
}

static int irqchip_ioapic_write(struct kvmx_io_device *dev,
				struct kvmx_vcpu *vcpu, u64 addr, u32 len,
				const void *val)
{
	struct kvmx_irqchip *chip = container_of(dev, struct kvmx_irqchip,
						 ioapic_dev);
	unsigned long flags = kvmx_irqchip_lock(chip);
	int r = kvmx_ioapic_mmio_write(&chip->ioapic, addr, len, val);

	kvmx_irqchip_unlock(chip, flags);
	return r;
}

static const struct kvmx_io_device_ops irqchip_ioapic_io_ops = {
	.read = irqchip_ioapic_read,
	.write = irqchip_ioapic_write,
};

static int irqchip_register_devices(struct kvmx_irqchip *chip)
{
	struct kvmx_vm *vm = chip->vm;
	int r;

	chip->pic_dev.ops = &irqchip_pic_io_ops;
	chip->ioapic_dev.ops = &irqchip_ioapic_io_ops;
	r = kvmx_io_bus_register(vm, KVMX_PIO_BUS, KVMX_PIC_MASTER_CMD, 2,
				 &chip->pic_dev);
	if (!r)
		r = kvmx_io_bus_register(vm, KVMX_PIO_BUS, KVMX_PIC_SLAVE_CMD,
					 2, &chip->pic_dev);
	if (!r)
		r = kvmx_io_bus_register(vm, KVMX_PIO_BUS, KVMX_PIC_ELCR1, 2,
					 &chip->pic_dev);
	if (!r)
		r = kvmx_io_bus_register(vm, KVMX_MMIO_BUS,
					 KVMX_IOAPIC_DEFAULT_BASE,
					 KVMX_IOAPIC_MEM_LENGTH,
					 &chip->ioapic_dev);
	if (r) {
		kvmx_io_bus_unregister(vm, KVMX_PIO_BUS, &chip->pic_dev);
		kvmx_io_bus_unregister(vm, KVMX_MMIO_BUS, &chip->ioapic_dev);
	}
	return r;
}

/*
 * A new irqchip for @vm, under vm->lock before any vCPU exists; FULL gets
 * the PIC and IOAPIC on the buses and the default routing table, SPLIT an
 * empty table.  Published last: readers see it complete.
 */
int kvmx_irqchip_create(struct kvmx_vm *vm, enum kvmx_irqchip_mode mode,
			u32 nr_reserved)
{
	struct kvmx_irqchip *chip;
	struct kvmx_irq_routes *rt;
	int r = -ENOMEM;

	lockdep_assert_held(&vm->lock);
	chip = kzalloc(sizeof(*chip), GFP_KERNEL_ACCOUNT);
	rt = kvzalloc(sizeof(*rt), GFP_KERNEL_ACCOUNT);
	if (!chip || !rt)
		goto fail;
	chip->kick_mask = bitmap_zalloc(KVMX_MAX_VCPUS, GFP_KERNEL_ACCOUNT);
	if (!chip->kick_mask)
		goto fail;
	chip->vm = vm;
	chip->mode = mode;
	chip->nr_reserved_ioapic_pins = nr_reserved;
	raw_spin_lock_init(&chip->lock);
	mutex_init(&chip->routes_lock);
	mutex_init(&chip->notifier_lock);
	INIT_HLIST_HEAD(&chip->ack_notifiers);
	INIT_HLIST_HEAD(&chip->mask_notifiers);
	if (vm->x2apic_api & KVM_X2APIC_API_USE_32BIT_IDS)
		chip->route_flags |= KVMX_MSI_X2APIC_FORMAT;
	if (mode == KVMX_IRQCHIP_SPLIT)
		chip->route_flags |= KVMX_ROUTE_SPLIT_IRQCHIP;

	hrtimer_init(&chip->ioapic_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	chip->ioapic_timer.function = irqchip_ioapic_timer_fn;
	if (mode == KVMX_IRQCHIP_FULL) {
		chip->ioapic_ops = (struct kvmx_ioapic_ops){
			.deliver = irqchip_ioapic_deliver,
			.ack = irqchip_ioapic_ack,
			.mask_changed = irqchip_ioapic_mask_changed,
			.now_ns = irqchip_now_ns,
			.arm = irqchip_ioapic_arm,
			.cancel = irqchip_ioapic_cancel,
			.opaque = chip,
		};
		kvmx_pic_init(&chip->pic, &irqchip_pic_ops, chip);
		kvmx_ioapic_init(&chip->ioapic, &chip->ioapic_ops);
		r = kvmx_irq_routes_build_default(rt);
		if (r)
			goto fail;
		r = irqchip_register_devices(chip);
		if (r)
			goto fail;
	}
	/* a SPLIT table stays empty until KVM_SET_GSI_ROUTING */
	RCU_INIT_POINTER(chip->routes, rt);
	smp_store_release(&vm->irqchip, chip);
	return 0;

fail:
	if (chip)
		bitmap_free(chip->kick_mask);
	kvfree(rt);
	kfree(chip);
	return r;
}

/* Replace the routing table (KVM_SET_GSI_ROUTING), waiting for readers. */
void kvmx_irqchip_set_routes(struct kvmx_irqchip *chip,
			     struct kvmx_irq_routes *rt)
{
	struct kvmx_irq_routes *old;

	mutex_lock(&chip->routes_lock);
	old = rcu_dereference_protected(chip->routes,
					lockdep_is_held(&chip->routes_lock));
	rcu_assign_pointer(chip->routes, rt);
	mutex_unlock(&chip->routes_lock);
	synchronize_rcu();
	kvfree(old);
}

void kvmx_irq_register_ack_notifier(struct kvmx_vm *vm,
				    struct kvmx_irq_ack_notifier *n)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);

	mutex_lock(&chip->notifier_lock);
	hlist_add_head_rcu(&n->link, &chip->ack_notifiers);
	mutex_unlock(&chip->notifier_lock);
}

void kvmx_irq_unregister_ack_notifier(struct kvmx_vm *vm,
				      struct kvmx_irq_ack_notifier *n)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);

	mutex_lock(&chip->notifier_lock);
	hlist_del_init_rcu(&n->link);
	mutex_unlock(&chip->notifier_lock);
	synchronize_rcu();
}

void kvmx_irq_register_mask_notifier(struct kvmx_vm *vm,
				     struct kvmx_irq_mask_notifier *n)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);

	mutex_lock(&chip->notifier_lock);
	hlist_add_head_rcu(&n->link, &chip->mask_notifiers);
	mutex_unlock(&chip->notifier_lock);
}

void kvmx_irq_unregister_mask_notifier(struct kvmx_vm *vm,
				       struct kvmx_irq_mask_notifier *n)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);

	mutex_lock(&chip->notifier_lock);
	hlist_del_init_rcu(&n->link);
	mutex_unlock(&chip->notifier_lock);
	synchronize_rcu();
}

void kvmx_irqchip_stop(struct kvmx_vm *vm)
{
	struct kvmx_irqchip *chip = vm->irqchip;

	if (chip)
		hrtimer_cancel(&chip->ioapic_timer);
}

/* At VM free, after the vCPUs (and their LAPIC timers) are gone. */
void kvmx_irqchip_destroy(struct kvmx_vm *vm)
{
	struct kvmx_irqchip *chip = vm->irqchip;

	if (!chip)
		return;
	hrtimer_cancel(&chip->ioapic_timer);
	/* the io buses go with the VM; nothing reads them any more */
	kvfree(rcu_dereference_protected(chip->routes, true));
	bitmap_free(chip->kick_mask);
	kfree(chip);
	vm->irqchip = NULL;
}
