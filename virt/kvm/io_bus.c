// SPDX-License-Identifier: GPL-2.0-only
/*
 * The in-kernel I/O buses: one for ports, one for guest-physical MMIO.
 * A device (an ioeventfd, later the PIC, PIT and IOAPIC) registers a range
 * and answers the guest accesses that start inside it, before the exit
 * handlers hand them to the VMM.  A device that does not take an access
 * (an ioeventfd whose datamatch differs) returns -EOPNOTSUPP and the next
 * candidate is asked.
 *
 * Each bus is an immutable array sorted by address, replaced under
 * vm->lock and published to the exit paths, which read it under vm->srcu:
 * lookups take no lock and never see a device after its unregistration
 * returned (the grace period lies in between).
 */
#include <linux/slab.h>
#include <kvmx/core_private.h>

/* in-tree KVM's limit of devices per bus (NR_IOBUS_DEVS) */
#define KVMX_IO_BUS_MAX_DEVS	1000

struct kvmx_io_range {
	u64 addr;
	u32 len;			/* 0: the address alone */
	struct kvmx_io_device *dev;
};

struct kvmx_io_bus {
	unsigned int nr;
	u32 max_len;			/* bounds the backwards search */
	struct kvmx_io_range range[];
};

static struct kvmx_io_bus *io_bus_alloc(unsigned int nr)
{
	/* nr is at most KVMX_IO_BUS_MAX_DEVS: no overflow */
	return kzalloc(sizeof(struct kvmx_io_bus) +
		       nr * sizeof(struct kvmx_io_range), GFP_KERNEL_ACCOUNT);
}

static struct kvmx_io_bus *io_bus_locked(struct kvmx_vm *vm,
					 enum kvmx_bus bus)
{
	return rcu_dereference_protected(vm->io_bus[bus],
					 lockdep_is_held(&vm->lock));
}

static void io_bus_publish(struct kvmx_vm *vm, enum kvmx_bus bus,
			   struct kvmx_io_bus *new)
{
	struct kvmx_io_bus *old = io_bus_locked(vm, bus);
	unsigned int i;

	new->max_len = 0;
	for (i = 0; i < new->nr; i++)
		new->max_len = max(new->max_len, new->range[i].len);
	rcu_assign_pointer(vm->io_bus[bus], new);
	synchronize_srcu_expedited(&vm->srcu);
	kfree(old);
}

int kvmx_io_bus_register(struct kvmx_vm *vm, enum kvmx_bus bus, u64 addr,
			 u32 len, struct kvmx_io_device *dev)
{
	struct kvmx_io_bus *old, *new;
	unsigned int nr, i;

	lockdep_assert_held(&vm->lock);
	old = io_bus_locked(vm, bus);
	nr = old ? old->nr : 0;
	if (nr >= KVMX_IO_BUS_MAX_DEVS)
		return -ENOSPC;
	new = io_bus_alloc(nr + 1);
	if (!new)
		return -ENOMEM;
	/* insert in address order, after ranges at the same address */
	for (i = 0; i < nr && old->range[i].addr <= addr; i++)
		new->range[i] = old->range[i];
	new->range[i] = (struct kvmx_io_range){ addr, len, dev };
	for (; i < nr; i++)
		new->range[i + 1] = old->range[i];
	new->nr = nr + 1;
	io_bus_publish(vm, bus, new);
	return 0;
}

/* Every range of @dev goes; returns how many there were. */
int kvmx_io_bus_unregister(struct kvmx_vm *vm, enum kvmx_bus bus,
			   struct kvmx_io_device *dev)
{
	struct kvmx_io_bus *old, *new;
	unsigned int i, j, gone = 0;

	lockdep_assert_held(&vm->lock);
	old = io_bus_locked(vm, bus);
	if (!old)
		return 0;
	for (i = 0; i < old->nr; i++)
		gone += old->range[i].dev == dev;
	if (!gone)
		return 0;
	/*
	 * The smaller copy may fail to allocate: then the device's ranges
	 * are cleared in place (lookups skip them) and the array shrinks at
	 * the next change, so unregistration itself never fails.
	 */
	new = io_bus_alloc(old->nr - gone);
	if (!new) {
		for (i = 0; i < old->nr; i++)
			if (old->range[i].dev == dev)
				WRITE_ONCE(old->range[i].dev, NULL);
		synchronize_srcu_expedited(&vm->srcu);
		return gone;
	}
	for (i = 0, j = 0; i < old->nr; i++)
		if (old->range[i].dev != dev && old->range[i].dev)
			new->range[j++] = old->range[i];
	new->nr = j;
	io_bus_publish(vm, bus, new);
	return gone;
}

/*
 * Offers an access to each device whose range holds its first byte, the
 * highest address first, until one takes it.  0: taken; -EOPNOTSUPP: no
 * device took it.
 */
static int io_bus_access(struct kvmx_vcpu *vcpu, enum kvmx_bus bus, u64 addr,
			 u32 len, void *val, bool write)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct kvmx_io_bus *b;
	int r = -EOPNOTSUPP, idx, lo, hi;

	idx = srcu_read_lock(&vm->srcu);
	b = srcu_dereference(vm->io_bus[bus], &vm->srcu);
	if (!b || !b->nr)
		goto out;
	/* the first range starting above @addr */
	lo = 0;
	hi = b->nr;
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (b->range[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (lo--; lo >= 0; lo--) {
		const struct kvmx_io_range *rg = &b->range[lo];
		struct kvmx_io_device *dev = READ_ONCE(rg->dev);

		if (addr - rg->addr >= max_t(u64, b->max_len, 1))
			break;	/* nothing further down reaches @addr */
		if (!dev || addr - rg->addr >= max_t(u32, rg->len, 1))
			continue;
		if (write)
			r = dev->ops->write ?
			    dev->ops->write(dev, vcpu, addr, len, val) :
			    -EOPNOTSUPP;
		else
			r = dev->ops->read ?
			    dev->ops->read(dev, vcpu, addr, len, val) :
			    -EOPNOTSUPP;
		if (r != -EOPNOTSUPP)
			break;
	}
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

int kvmx_io_bus_write(struct kvmx_vcpu *vcpu, enum kvmx_bus bus, u64 addr,
		      u32 len, const void *val)
{
	return io_bus_access(vcpu, bus, addr, len, (void *)val, true);
}

int kvmx_io_bus_read(struct kvmx_vcpu *vcpu, enum kvmx_bus bus, u64 addr,
		     u32 len, void *val)
{
	return io_bus_access(vcpu, bus, addr, len, val, false);
}

/* VM teardown: the devices themselves are their owners' to free. */
void kvmx_io_bus_destroy(struct kvmx_vm *vm)
{
	int i;

	for (i = 0; i < KVMX_NR_BUSES; i++) {
		kfree(rcu_dereference_protected(vm->io_bus[i], true));
		RCU_INIT_POINTER(vm->io_bus[i], NULL);
	}
}
