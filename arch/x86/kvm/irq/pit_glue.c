// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel 8254 PIT of KVM_CREATE_PIT(2): the device model of
 * dev/pit.c behind ports 0x40-0x43 (and 0x61 with KVM_PIT_SPEAKER_DUMMY),
 * an hrtimer for counter 0's IRQ0 edges, IRQ0 driven into GSI 0 as the
 * KVMX_IRQ_SRC_PIT source, the ack and mask notifiers of GSI 0 that the
 * model's reinjection policy needs, and the VM ioctls of the PIT with
 * in-tree KVM's errnos (Documentation/virt/kvm/api.rst).
 *
 * Locking: one spinlock per PIT, taken with interrupts off (the hrtimer
 * callback runs in hard interrupt context), serialises every call into
 * the model.  IRQ0 pulses are not sent to the irqchip under that lock:
 * the model's set_irq0 op only counts them, and whoever drops the lock
 * delivers them (pit_unlock()).  The ack notifier takes the PIT lock, and
 * the irqchip may run notifiers from any of its unlocks, kvmx_irq_set()'s
 * included; sending a pulse with the PIT lock held could thus come back
 * into the ack notifier and spin on the lock forever.  One deliverer at a
 * time (the flushing flag) keeps each pulse's 1 and 0 together, so an ack
 * racing with a pulse cannot merge two pulses into one edge.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>
#include "../dev/pit.h"

struct kvmx_pit_dev {
	struct kvmx_vm *vm;			/* (o) */
	spinlock_t lock;			/* see the top */
	struct kvmx_pit model;			/* (lock) */
	unsigned int pulses;			/* (lock) IRQ0 pulses to send */
	bool flushing;				/* (lock) someone sends them */
	struct hrtimer timer;			/* the model's event */
	struct kvmx_io_device pio;		/* ports 0x40-0x43 */
	struct kvmx_io_device speaker;		/* port 0x61 (dummy speaker) */
	struct kvmx_irq_ack_notifier ack;	/* GSI 0 */
	struct kvmx_irq_mask_notifier mask;	/* GSI 0 */
};

static struct kvmx_pit_dev *vm_pit(struct kvmx_vm *vm)
{
	/* set once under vm->lock, never cleared while the VM has users */
	return smp_load_acquire(&vm->pit);
}

/* ---- the model's ops, called with the lock held ---- */

static u64 pit_now_ns(void *opaque)
{
	return ktime_get_ns();
}

static void pit_arm(void *opaque, u64 deadline_ns)
{
	struct kvmx_pit_dev *p = opaque;

	/* restarting from the callback itself is allowed (hrtimer.c) */
	hrtimer_start(&p->timer, ns_to_ktime(deadline_ns), HRTIMER_MODE_ABS);
}

static void pit_cancel(void *opaque)
{
	struct kvmx_pit_dev *p = opaque;

	/*
	 * Not hrtimer_cancel(): the callback may be waiting for the lock we
	 * hold.  If it runs anyway, the model ignores an expiry it no
	 * longer armed.
	 */
	hrtimer_try_to_cancel(&p->timer);
}

static void pit_set_irq0(void *opaque, int level)
{
	struct kvmx_pit_dev *p = opaque;

	/* each pulse comes as 1 then 0: count the rising edges */
	if (level && p->pulses < UINT_MAX)
		p->pulses++;
}

static const struct kvmx_pit_ops pit_ops = {
	.now_ns = pit_now_ns,
	.arm = pit_arm,
	.cancel = pit_cancel,
	.set_irq0 = pit_set_irq0,
};

static unsigned long pit_lock(struct kvmx_pit_dev *p)
	__acquires(&p->lock)
{
	unsigned long flags;

	spin_lock_irqsave(&p->lock, flags);
	return flags;
}

/*
 * Drops the lock, then sends the pulses the model asked for meanwhile,
 * unless another caller is sending already (it will see them: it looks
 * again under the lock before it stops).
 */
static void pit_unlock(struct kvmx_pit_dev *p, unsigned long flags)
	__releases(&p->lock)
{
	unsigned int n;

	if (p->flushing || !p->pulses) {
		spin_unlock_irqrestore(&p->lock, flags);
		return;
	}
	p->flushing = true;
	while ((n = p->pulses)) {
		p->pulses = 0;
		spin_unlock_irqrestore(&p->lock, flags);
		while (n--) {
			kvmx_irq_set(p->vm, KVMX_IRQ_SRC_PIT, 0, 1, false);
			kvmx_irq_set(p->vm, KVMX_IRQ_SRC_PIT, 0, 0, false);
		}
		spin_lock_irqsave(&p->lock, flags);
	}
	p->flushing = false;
	spin_unlock_irqrestore(&p->lock, flags);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct kvmx_pit_dev *p = container_of(t, struct kvmx_pit_dev, timer);
	unsigned long flags = pit_lock(p);

	/* re-arms through pit_arm() when there is a next edge */
	kvmx_pit_expire(&p->model, ktime_get_ns());
	pit_unlock(p, flags);
	return HRTIMER_NORESTART;
}

static void pit_irq0_acked(struct kvmx_irq_ack_notifier *n)
{
	struct kvmx_pit_dev *p = container_of(n, struct kvmx_pit_dev, ack);
	unsigned long flags = pit_lock(p);

	kvmx_pit_irq0_acked(&p->model);
	pit_unlock(p, flags);
}

static void pit_irq0_mask(struct kvmx_irq_mask_notifier *n, bool masked)
{
	struct kvmx_pit_dev *p = container_of(n, struct kvmx_pit_dev, mask);
	unsigned long flags = pit_lock(p);

	kvmx_pit_irq0_mask(&p->model, masked);
	pit_unlock(p, flags);
}

/* ---- the port devices ---- */

/*
 * Accesses wider than a byte: as in-tree, a write uses its low byte and
 * a read returns the byte zero-extended.
 */
static int pit_pio_read(struct kvmx_io_device *dev, struct kvmx_vcpu *vcpu,
			u64 addr, u32 len, void *val)
{
	struct kvmx_pit_dev *p = container_of(dev, struct kvmx_pit_dev, pio);
	unsigned long flags;
	u8 b = 0;
	int r;

	if (addr < KVMX_PIT_PORT_BASE || addr > KVMX_PIT_PORT_BASE + 3)
		return -EOPNOTSUPP;
	flags = pit_lock(p);
	r = kvmx_pit_read(&p->model, addr, &b);
	pit_unlock(p, flags);
	if (r)
		return r;
	memset(val, 0, len);
	memcpy(val, &b, 1);
	return 0;
}

static int pit_pio_write(struct kvmx_io_device *dev, struct kvmx_vcpu *vcpu,
			 u64 addr, u32 len, const void *val)
{
	struct kvmx_pit_dev *p = container_of(dev, struct kvmx_pit_dev, pio);
	unsigned long flags;
	int r;

	if (addr < KVMX_PIT_PORT_BASE || addr > KVMX_PIT_PORT_BASE + 3)
		return -EOPNOTSUPP;
	flags = pit_lock(p);
	r = kvmx_pit_write(&p->model, addr, *(const u8 *)val);
	pit_unlock(p, flags);
	return r;
}

static const struct kvmx_io_device_ops pit_pio_ops = {
	.read = pit_pio_read,
	.write = pit_pio_write,
};

static int pit_speaker_read(struct kvmx_io_device *dev,
			    struct kvmx_vcpu *vcpu, u64 addr, u32 len,
			    void *val)
{
	struct kvmx_pit_dev *p = container_of(dev, struct kvmx_pit_dev,
					      speaker);
	unsigned long flags;
	u8 b;

	if (addr != KVMX_PIT_PORT_SPEAKER)
		return -EOPNOTSUPP;
	flags = pit_lock(p);
	b = kvmx_pit_speaker_read(&p->model);
	pit_unlock(p, flags);
	memset(val, 0, len);
	memcpy(val, &b, 1);
	return 0;
}

static int pit_speaker_write(struct kvmx_io_device *dev,
			     struct kvmx_vcpu *vcpu, u64 addr, u32 len,
			     const void *val)
{
	struct kvmx_pit_dev *p = container_of(dev, struct kvmx_pit_dev,
					      speaker);
	unsigned long flags;

	if (addr != KVMX_PIT_PORT_SPEAKER)
		return -EOPNOTSUPP;
	flags = pit_lock(p);
	kvmx_pit_speaker_write(&p->model, *(const u8 *)val);
	pit_unlock(p, flags);
	return 0;
}

static const struct kvmx_io_device_ops pit_speaker_ops = {
	.read = pit_speaker_read,
	.write = pit_speaker_write,
};

/* ---- creation and teardown ---- */

/* Unhooks and frees @p; @notifiers: they were registered. */
static void pit_free(struct kvmx_pit_dev *p, bool notifiers)
{
	struct kvmx_vm *vm = p->vm;

	/*
	 * The notifiers first: an ack may re-arm the timer, which is then
	 * cancelled for good.  Unregistering waits for running notifiers.
	 */
	if (notifiers) {
		kvmx_irq_unregister_ack_notifier(vm, &p->ack);
		kvmx_irq_unregister_mask_notifier(vm, &p->mask);
	}
	hrtimer_cancel(&p->timer);
	/* no-ops for devices never registered */
	mutex_lock(&vm->lock);
	kvmx_io_bus_unregister(vm, KVMX_PIO_BUS, &p->pio);
	kvmx_io_bus_unregister(vm, KVMX_PIO_BUS, &p->speaker);
	mutex_unlock(&vm->lock);
	kfree(p);
}

/* As in-tree, flags other than KVM_PIT_SPEAKER_DUMMY are ignored. */
static int pit_create(struct kvmx_vm *vm, u32 config_flags)
{
	struct kvmx_pit_dev *p;
	int r;

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (vm->pit)
		goto unlock;
	/* IRQ0 goes to the in-kernel PIC and IOAPIC: no PIT without them */
	r = -ENOENT;
	if (!kvmx_irqchip_full(vm))
		goto unlock;
	r = -ENOMEM;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		goto unlock;
	p->vm = vm;
	spin_lock_init(&p->lock);
	hrtimer_init(&p->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	p->timer.function = pit_timer_fn;
	kvmx_pit_init(&p->model, &pit_ops, p);
	kvmx_pit_set_min_period(&p->model,
				(u64)READ_ONCE(kvmx_min_timer_period_us) *
				NSEC_PER_USEC);
	p->pio.ops = &pit_pio_ops;
	p->speaker.ops = &pit_speaker_ops;
	p->ack.gsi = 0;
	p->ack.resample = false;
	p->ack.acked = pit_irq0_acked;
	p->mask.gsi = 0;
	p->mask.mask_changed = pit_irq0_mask;

	r = kvmx_io_bus_register(vm, KVMX_PIO_BUS, KVMX_PIT_PORT_BASE, 4,
				 &p->pio);
	if (!r && (config_flags & KVM_PIT_SPEAKER_DUMMY))
		r = kvmx_io_bus_register(vm, KVMX_PIO_BUS,
					 KVMX_PIT_PORT_SPEAKER, 1,
					 &p->speaker);
	if (r) {
		mutex_unlock(&vm->lock);
		pit_free(p, false);
		return r;
	}
	/*
	 * Always registered, whatever the reinjection policy: the model
	 * ignores acks and unmasks that do not concern it.
	 */
	kvmx_irq_register_ack_notifier(vm, &p->ack);
	kvmx_irq_register_mask_notifier(vm, &p->mask);
	/* the ioctls find it from here on (guest accesses already could) */
	smp_store_release(&vm->pit, p);
	r = 0;
unlock:
	mutex_unlock(&vm->lock);
	return r;
}

void kvmx_pit_destroy(struct kvmx_vm *vm)
{
	struct kvmx_pit_dev *p = vm->pit;

	/* VM teardown: no ioctl and no vCPU runs any more */
	if (!p)
		return;
	vm->pit = NULL;
	pit_free(p, true);
}

/* ---- state ioctls ---- */

static void pit_get_state2(struct kvmx_pit_dev *p, struct kvm_pit_state2 *s)
{
	unsigned long flags = pit_lock(p);

	kvmx_pit_get_state(&p->model, s);
	pit_unlock(p, flags);
}

static int pit_set_state2(struct kvmx_pit_dev *p,
			  const struct kvm_pit_state2 *s)
{
	unsigned long flags = pit_lock(p);
	int r = kvmx_pit_set_state(&p->model, s);

	pit_unlock(p, flags);
	return r;
}

/* KVM_SET_PIT: the counters only, flags stay as they are (in-tree). */
static int pit_set_state1(struct kvmx_pit_dev *p,
			  const struct kvm_pit_state *s)
{
	struct kvm_pit_state2 s2;
	unsigned long flags = pit_lock(p);
	int r;

	kvmx_pit_get_state(&p->model, &s2);
	memcpy(s2.channels, s->channels, sizeof(s2.channels));
	r = kvmx_pit_set_state(&p->model, &s2);
	pit_unlock(p, flags);
	return r;
}

/*
 * The checks come in in-tree's order: the argument is copied in before
 * the PIT is looked up (-EFAULT before -ENXIO), except for the GET
 * ioctls that only write it.
 */
long kvmx_pit_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
		    void __user *argp)
{
	union {
		struct kvm_pit_config config;
		struct kvm_pit_state s1;
		struct kvm_pit_state2 s2;
		struct kvm_reinject_control reinject;
	} u;
	struct kvmx_pit_dev *p;
	unsigned long flags;

	switch (ioctl) {
	case KVM_CREATE_PIT:
		/* the first API: no argument, always the dummy speaker */
		return pit_create(vm, KVM_PIT_SPEAKER_DUMMY);
	case KVM_CREATE_PIT2:
		if (copy_from_user(&u.config, argp, sizeof(u.config)))
			return -EFAULT;
		return pit_create(vm, u.config.flags);
	case KVM_GET_PIT:
		if (copy_from_user(&u.s1, argp, sizeof(u.s1)))
			return -EFAULT;
		p = vm_pit(vm);
		if (!p)
			return -ENXIO;
		pit_get_state2(p, &u.s2);
		/* channels[] leads both structs */
		if (copy_to_user(argp, &u.s2, sizeof(u.s1)))
			return -EFAULT;
		return 0;
	case KVM_SET_PIT:
		if (copy_from_user(&u.s1, argp, sizeof(u.s1)))
			return -EFAULT;
		p = vm_pit(vm);
		if (!p)
			return -ENXIO;
		return pit_set_state1(p, &u.s1);
	case KVM_GET_PIT2:
		p = vm_pit(vm);
		if (!p)
			return -ENXIO;
		pit_get_state2(p, &u.s2);
		if (copy_to_user(argp, &u.s2, sizeof(u.s2)))
			return -EFAULT;
		return 0;
	case KVM_SET_PIT2:
		if (copy_from_user(&u.s2, argp, sizeof(u.s2)))
			return -EFAULT;
		p = vm_pit(vm);
		if (!p)
			return -ENXIO;
		return pit_set_state2(p, &u.s2);
	case KVM_REINJECT_CONTROL:
		if (copy_from_user(&u.reinject, argp, sizeof(u.reinject)))
			return -EFAULT;
		p = vm_pit(vm);
		if (!p)
			return -ENXIO;
		flags = pit_lock(p);
		kvmx_pit_set_reinject(&p->model, u.reinject.pit_reinject);
		pit_unlock(p, flags);
		return 0;
	default:
		return -ENOTTY;
	}
}
