// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dirty ring (KVM_CAP_DIRTY_LOG_RING, KVM_CAP_DIRTY_LOG_RING_ACQ_REL):
 * instead of one bitmap per slot, each vCPU has a ring of struct
 * kvm_dirty_gfn, mapped at page KVM_DIRTY_LOG_PAGE_OFFSET of its fd, and
 * the write fault that dirties a page of a logging slot pushes (slot,
 * offset) there with flags DIRTY.  User space harvests an entry by setting
 * its flags to RESET; KVM_RESET_DIRTY_RINGS then recycles the harvested
 * entries at the head of every ring, in order, and write-protects their
 * pages again.  A ring holding its size less a reserve stops its vCPU with
 * KVM_EXIT_DIRTY_RING_FULL until it is reset: the reserve absorbs what one
 * exit may still push.
 *
 * Indexes only grow (modulo 2^32); the ring's size is a power of two.
 * dirty_index is written by the vCPU thread only, reset_index under
 * vm->lock only; the entries' flags are shared with user space, read once
 * and acquired before the slot and offset are trusted.
 */
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <kvmx/core_private.h>

#define KVMX_DIRTY_RING_MAX_ENTRIES	65536
/* what one exit may push after the check before entry; in-tree's value */
#define KVMX_DIRTY_RING_RSVD_ENTRIES	64

struct kvmx_dirty_ring {
	struct kvm_dirty_gfn *gfns;	/* vmalloc'ed, mapped to user space */
	u32 size;			/* entries, a power of two */
	u32 dirty_index;		/* next to push */
	u32 reset_index;		/* next to recycle */
};

long kvmx_dirty_ring_max_bytes(void)
{
	return KVMX_DIRTY_RING_MAX_ENTRIES * sizeof(struct kvm_dirty_gfn);
}

/* KVM_ENABLE_CAP: once, before any vCPU, with in-tree's size checks. */
long kvmx_enable_dirty_ring(struct kvmx_vm *vm, u64 arg)
{
	u32 size = arg;		/* in-tree takes the low 32 bits */
	long r = -EINVAL;

	if (!size || (size & (size - 1)))
		return -EINVAL;
	if (size < PAGE_SIZE ||
	    size < KVMX_DIRTY_RING_RSVD_ENTRIES * sizeof(struct kvm_dirty_gfn))
		return -EINVAL;
	if (size > kvmx_dirty_ring_max_bytes())
		return -E2BIG;
	mutex_lock(&vm->lock);
	if (!vm->dirty_ring_bytes && !vm->vcpu_created) {
		vm->dirty_ring_bytes = size;
		r = 0;
	}
	mutex_unlock(&vm->lock);
	return r;
}

int kvmx_dirty_ring_alloc(struct kvmx_vcpu *vcpu)
{
	u32 bytes = vcpu->vm->dirty_ring_bytes;
	struct kvmx_dirty_ring *ring;

	if (!bytes)
		return 0;
	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return -ENOMEM;
	ring->gfns = __vmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ring->gfns) {
		kfree(ring);
		return -ENOMEM;
	}
	ring->size = bytes / sizeof(struct kvm_dirty_gfn);
	vcpu->dirty_ring = ring;
	return 0;
}

void kvmx_dirty_ring_free(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->dirty_ring)
		return;
	vfree(vcpu->dirty_ring->gfns);
	kfree(vcpu->dirty_ring);
	vcpu->dirty_ring = NULL;
}

/* The ring page at mmap offset @pgoff, or NULL if it is not one. */
struct page *kvmx_dirty_ring_page(struct kvmx_vcpu *vcpu, unsigned long pgoff)
{
	struct kvmx_dirty_ring *ring = vcpu->dirty_ring;

	if (!ring || pgoff < KVM_DIRTY_LOG_PAGE_OFFSET)
		return NULL;
	pgoff -= KVM_DIRTY_LOG_PAGE_OFFSET;
	if (pgoff >= (ring->size * sizeof(struct kvm_dirty_gfn)) >> PAGE_SHIFT)
		return NULL;
	return vmalloc_to_page((void *)ring->gfns + (pgoff << PAGE_SHIFT));
}

/*
 * As in-tree: a mapping that touches the ring must be shared (user space
 * writes the flags back) and not executable.
 */
bool kvmx_dirty_ring_mmap_ok(struct kvmx_vm *vm, unsigned long pgoff,
			     unsigned long pages, unsigned long vm_flags)
{
	unsigned long first = KVM_DIRTY_LOG_PAGE_OFFSET;
	unsigned long end = first + (vm->dirty_ring_bytes >> PAGE_SHIFT);

	if (!vm->dirty_ring_bytes || pgoff + pages <= first || pgoff >= end)
		return true;
	return (vm_flags & VM_SHARED) && !(vm_flags & VM_EXEC);
}

static u32 kvmx_dirty_ring_used(struct kvmx_dirty_ring *ring)
{
	return ring->dirty_index - READ_ONCE(ring->reset_index);
}

/* Before each entry: a ring at its soft limit stops the vCPU. */
bool kvmx_dirty_ring_soft_full(struct kvmx_vcpu *vcpu)
{
	struct kvmx_dirty_ring *ring = vcpu->dirty_ring;

	return ring && kvmx_dirty_ring_used(ring) >=
		       ring->size - KVMX_DIRTY_RING_RSVD_ENTRIES;
}

/* Log a page @vcpu dirtied; a full ring (cannot happen) drops it. */
void kvmx_dirty_ring_push(struct kvmx_vcpu *vcpu,
			  const struct kvmx_memslot *slot, u64 gfn)
{
	struct kvmx_dirty_ring *ring = vcpu->dirty_ring;
	struct kvm_dirty_gfn *e;

	if (kvmx_dirty_ring_used(ring) >= ring->size)
		return;
	e = &ring->gfns[ring->dirty_index & (ring->size - 1)];
	WRITE_ONCE(e->slot, slot->id);
	WRITE_ONCE(e->offset, gfn - slot->base_gfn);
	/* slot and offset before the flag that publishes them */
	smp_store_release(&e->flags, KVM_DIRTY_GFN_F_DIRTY);
	ring->dirty_index++;
}

/* Recycle the harvested head of @ring; returns how many entries. */
static u32 kvmx_dirty_ring_reset_one(struct kvmx_vm *vm,
				     struct kvmx_dirty_ring *ring, bool *flush)
{
	struct kvmx_memslots *slots = kvmx_memslots(vm);
	u32 count = 0;

	while (ring->reset_index != READ_ONCE(ring->dirty_index)) {
		struct kvm_dirty_gfn *e =
			&ring->gfns[ring->reset_index & (ring->size - 1)];
		struct kvmx_memslot *slot;
		u64 offset;
		u32 id;

		if (!(smp_load_acquire(&e->flags) & KVM_DIRTY_GFN_F_RESET))
			break;
		id = READ_ONCE(e->slot);
		offset = READ_ONCE(e->offset);
		WRITE_ONCE(e->flags, 0);
		ring->reset_index++;
		count++;

		slot = (id >> 16) ? NULL : kvmx_id_to_memslot(slots, (u16)id);
		if (!slot || !slot->dirty_bitmap || offset >= slot->npages)
			continue;	/* gone, or user space wrote nonsense */
		spin_lock(&vm->mmu_lock);
		*flush |= kvmx_tdp_protect_gfns(vm, slot->base_gfn + offset, 1);
		spin_unlock(&vm->mmu_lock);
	}
	return count;
}

long kvmx_reset_dirty_rings(struct kvmx_vm *vm)
{
	int i, n = atomic_read_acquire(&vm->nr_vcpus);
	bool flush = false;
	long count = 0;

	if (!vm->dirty_ring_bytes)
		return -EINVAL;
	mutex_lock(&vm->lock);
	for (i = 0; i < n; i++)
		if (vm->vcpus[i]->dirty_ring)
			count += kvmx_dirty_ring_reset_one(vm,
							   vm->vcpus[i]->dirty_ring,
							   &flush);
	mutex_unlock(&vm->lock);
	if (flush)
		kvmx_flush_remote_tlbs(vm);
	return count;
}
