// SPDX-License-Identifier: GPL-2.0-only
/*
 * Coalesced MMIO and PIO (KVM_REGISTER_COALESCED_MMIO): writes into a
 * registered zone do not exit; they are appended to a ring shared with
 * userspace (page KVM_COALESCED_MMIO_PAGE_OFFSET of every vCPU mmap), which
 * the VMM drains at its next exit.  Good for device registers whose writes
 * need no immediate answer (a framebuffer, a doorbell that is also
 * polled).  Reads in a zone, and writes once the ring is full, exit as
 * usual.
 *
 * The zones are an immutable array replaced under vm->lock and read under
 * vm->srcu; ring writers serialise on vm->ring_lock.  The ring indexes
 * are userspace's to change: they are read once and checked.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmx/core_private.h>

/*
 * in-tree's limit: zones are devices on the MMIO or the PIO bus, of 1000
 * devices at most each
 */
#define KVMX_COALESCED_ZONES_MAX	1000
#define KVMX_COALESCED_RING_MAX \
	((PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / \
	 sizeof(struct kvm_coalesced_mmio))

struct kvmx_coalesced_zones {
	int nr;
	struct kvm_coalesced_mmio_zone zone[];
};

static struct kvmx_coalesced_zones *kvmx_zones_locked(struct kvmx_vm *vm)
{
	return rcu_dereference_protected(vm->coalesced_zones,
					 lockdep_is_held(&vm->lock));
}

static bool kvmx_zone_covers(const struct kvm_coalesced_mmio_zone *z,
			     u64 addr, u32 len, bool pio)
{
	return !!z->pio == pio && addr >= z->addr &&
	       addr + len <= z->addr + z->size && addr + len > addr;
}

/* The array with @zone added (@zone non-NULL) or entries @drop removed. */
static int kvmx_zones_publish(struct kvmx_vm *vm,
			      const struct kvm_coalesced_mmio_zone *add,
			      const struct kvm_coalesced_mmio_zone *drop)
{
	struct kvmx_coalesced_zones *cur = kvmx_zones_locked(vm), *next;
	int n = cur ? cur->nr : 0, i, j = 0, same_bus = 0;

	for (i = 0; add && i < n; i++)
		same_bus += !!cur->zone[i].pio == !!add->pio;
	if (same_bus >= KVMX_COALESCED_ZONES_MAX)
		return -ENOSPC;
	next = kzalloc(struct_size(next, zone, n + 1), GFP_KERNEL_ACCOUNT);
	if (!next)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct kvm_coalesced_mmio_zone *z = &cur->zone[i];

		/* unregistering drops every zone the given range lies in */
		if (drop && kvmx_zone_covers(z, drop->addr, drop->size,
					     drop->pio))
			continue;
		next->zone[j++] = *z;
	}
	if (add)
		next->zone[j++] = *add;
	next->nr = j;
	rcu_assign_pointer(vm->coalesced_zones, next);
	synchronize_srcu_expedited(&vm->srcu);
	kfree(cur);
	return 0;
}

/* KVM_(UN)REGISTER_COALESCED_MMIO: add a zone, or drop those holding one */
static long kvmx_coalesced_mmio_ioctl(struct kvmx_vm *vm, void __user *argp,
				      bool add)
{
	struct kvm_coalesced_mmio_zone zone;
	long r;

	if (copy_from_user(&zone, argp, sizeof(zone)))
		return -EFAULT;
	if (zone.pio != 0 && zone.pio != 1)
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = kvmx_zones_publish(vm, add ? &zone : NULL, add ? NULL : &zone);
	mutex_unlock(&vm->lock);
	return r;
}

long kvmx_register_coalesced_mmio(struct kvmx_vm *vm, void __user *argp)
{
	return kvmx_coalesced_mmio_ioctl(vm, argp, true);
}

long kvmx_unregister_coalesced_mmio(struct kvmx_vm *vm, void __user *argp)
{
	return kvmx_coalesced_mmio_ioctl(vm, argp, false);
}

/*
 * A write of @len bytes at @addr (a port with @pio): true if a zone took
 * it into the ring, false if it must exit as usual.
 */
bool kvmx_coalesced_write(struct kvmx_vm *vm, u64 addr, u32 len,
			  const void *data, bool pio)
{
	struct kvm_coalesced_mmio_ring *ring = vm->coalesced_mmio_ring;
	struct kvmx_coalesced_zones *zones;
	bool taken = false;
	u32 first, last;
	int i, idx;

	if (len > sizeof(ring->coalesced_mmio[0].data))
		return false;
	idx = srcu_read_lock(&vm->srcu);
	zones = srcu_dereference(vm->coalesced_zones, &vm->srcu);
	for (i = 0; zones && i < zones->nr; i++)
		if (kvmx_zone_covers(&zones->zone[i], addr, len, pio))
			break;
	if (!zones || i == zones->nr)
		goto out;

	spin_lock(&vm->ring_lock);
	first = READ_ONCE(ring->first);
	last = READ_ONCE(ring->last);
	/* full (one slot stays free), or indexes userspace broke */
	if (last >= KVMX_COALESCED_RING_MAX || first >= KVMX_COALESCED_RING_MAX ||
	    (last + 1) % KVMX_COALESCED_RING_MAX == first) {
		spin_unlock(&vm->ring_lock);
		goto out;
	}
	ring->coalesced_mmio[last].phys_addr = addr;
	ring->coalesced_mmio[last].len = len;
	ring->coalesced_mmio[last].pio = pio;
	memcpy(ring->coalesced_mmio[last].data, data, len);
	/* the entry before the index that publishes it */
	smp_wmb();
	WRITE_ONCE(ring->last, (last + 1) % KVMX_COALESCED_RING_MAX);
	spin_unlock(&vm->ring_lock);
	taken = true;
out:
	srcu_read_unlock(&vm->srcu, idx);
	return taken;
}

void kvmx_coalesced_mmio_destroy(struct kvmx_vm *vm)
{
	kfree(rcu_dereference_protected(vm->coalesced_zones, 1));
	RCU_INIT_POINTER(vm->coalesced_zones, NULL);
}
