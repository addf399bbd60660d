// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory slots: KVM_SET_USER_MEMORY_REGION with in-tree KVM's validation,
 * and guest-frame lookup.  The slots of a VM are an immutable array sorted
 * by guest frame, read under vm->srcu (binary search) and replaced as a
 * whole under vm->lock while vCPUs keep running: the new array is
 * published, synchronize_srcu() waits out every fault that may still use
 * the old one, and only then are the mappings of the ranges that changed
 * dropped and the replaced slots freed.  A vCPU that touches a deleted
 * slot's range from then on faults and finds no slot: an MMIO exit.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <kvmx/core_private.h>

#define KVMX_VALID_MEM_FLAGS	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)
/* in-tree KVM's limit on one slot: the page count must fit 31 bits */
#define KVMX_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

/* The current slots: under vm->srcu, or with vm->lock held. */
struct kvmx_memslots *kvmx_memslots(struct kvmx_vm *vm)
{
	return srcu_dereference_check(vm->memslots, &vm->srcu,
				      lockdep_is_held(&vm->lock));
}

struct kvmx_memslot *kvmx_id_to_memslot(struct kvmx_memslots *s, u16 id)
{
	int i;

	for (i = 0; s && i < s->nr; i++)
		if (s->slots[i]->id == id)
			return s->slots[i];
	return NULL;
}

/* Callers hold vm->srcu or vm->lock. */
struct kvmx_memslot *kvmx_gfn_to_memslot(struct kvmx_vm *vm, u64 gfn)
{
	struct kvmx_memslots *s = kvmx_memslots(vm);
	int lo = 0, hi;

	if (!s)
		return NULL;
	hi = s->nr - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		struct kvmx_memslot *slot = s->slots[mid];

		if (gfn < slot->base_gfn)
			hi = mid - 1;
		else if (gfn >= slot->base_gfn + slot->npages)
			lo = mid + 1;
		else
			return slot;
	}
	return NULL;
}

static bool kvmx_range_overlaps(struct kvmx_memslots *s, u16 id, u64 start,
				u64 npages)
{
	int i;

	for (i = 0; s && i < s->nr; i++) {
		struct kvmx_memslot *slot = s->slots[i];

		if (slot->id == id)
			continue;
		if (start < slot->base_gfn + slot->npages &&
		    slot->base_gfn < start + npages)
			return true;
	}
	return false;
}

static unsigned long kvmx_dirty_bitmap_bytes(u64 npages)
{
	return ALIGN(npages, BITS_PER_LONG) / 8;
}

static void kvmx_free_memslot(struct kvmx_memslot *slot, bool with_bitmap)
{
	if (with_bitmap)
		kvfree(slot->dirty_bitmap);
	kfree(slot);
}

/*
 * The array with @old left out and @new put in at its place in frame
 * order (either may be NULL).
 */
static struct kvmx_memslots *
kvmx_memslots_replace(struct kvmx_memslots *cur, struct kvmx_memslot *old,
		      struct kvmx_memslot *new)
{
	int n = cur ? cur->nr : 0, i, j = 0;
	struct kvmx_memslots *s;

	s = kvzalloc(struct_size(s, slots, n + 1), GFP_KERNEL_ACCOUNT);
	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		struct kvmx_memslot *slot = cur->slots[i];

		if (slot == old)
			continue;
		if (new && slot->base_gfn > new->base_gfn) {
			s->slots[j++] = new;
			new = NULL;
		}
		s->slots[j++] = slot;
	}
	if (new)
		s->slots[j++] = new;
	s->nr = j;
	return s;
}

static int kvmx_check_region(const struct kvm_userspace_memory_region *mem)
{
	u64 npages = mem->memory_size >> PAGE_SHIFT;

	if (mem->flags & ~KVMX_VALID_MEM_FLAGS)
		return -EINVAL;
	if ((mem->slot >> 16) >= KVMX_ADDRESS_SPACES ||
	    (u16)mem->slot >= KVMX_USER_MEM_SLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr))
		return -EINVAL;
	if (mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if (npages > KVMX_MEM_MAX_NR_PAGES)
		return -EINVAL;
	if (npages &&
	    (mem->guest_phys_addr >> PAGE_SHIFT) + npages - 1 >
	    kvmx_tdp_max_gfn())
		return -EINVAL;
	return 0;
}

/*
 * The slot object for @mem.  A dirty bitmap carries over from @old when
 * both log (in-tree keeps it across a move or a flags change, so nothing
 * dirty is lost); a new one starts all set with
 * KVM_DIRTY_LOG_INITIALLY_SET, else clear.
 */
static struct kvmx_memslot *
kvmx_new_memslot(struct kvmx_vm *vm, const struct kvm_userspace_memory_region *mem,
		 struct kvmx_memslot *old)
{
	struct kvmx_memslot *slot;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);
	if (!slot)
		return NULL;
	slot->id = (u16)mem->slot;
	slot->flags = mem->flags;
	slot->base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	slot->npages = mem->memory_size >> PAGE_SHIFT;
	slot->userspace_addr = mem->userspace_addr;
	if (!(slot->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return slot;
	if (old && old->dirty_bitmap) {
		slot->dirty_bitmap = old->dirty_bitmap;
		return slot;
	}
	slot->dirty_bitmap = kvzalloc(kvmx_dirty_bitmap_bytes(slot->npages),
				      GFP_KERNEL_ACCOUNT);
	if (!slot->dirty_bitmap) {
		kfree(slot);
		return NULL;
	}
	if (vm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET)
		bitmap_set(slot->dirty_bitmap, 0, slot->npages);
	return slot;
}

/*
 * Drop the mappings the new layout no longer allows: the old range of a
 * deleted or moved slot, anything (MMIO markers) in a new range, and the
 * whole slot when logging stops (so huge pages come back).  When logging
 * starts the slot is write-protected instead, so that every write faults
 * and is logged (unless all pages start out dirty), and huge leaves go.
 */
static void kvmx_memslot_zap(struct kvmx_vm *vm, struct kvmx_memslot *old,
			     struct kvmx_memslot *new)
{
	bool flush = false, moved = old && new && old->base_gfn != new->base_gfn;
	LIST_HEAD(freed);

	spin_lock(&vm->mmu_lock);
	if (old && (!new || moved))
		flush |= kvmx_tdp_zap_range(vm, old->base_gfn,
					    old->base_gfn + old->npages,
					    &freed);
	if (new && (!old || moved))
		flush |= kvmx_tdp_zap_range(vm, new->base_gfn,
					    new->base_gfn + new->npages,
					    &freed);
	if (old && new && !moved) {
		bool was = old->dirty_bitmap, is = new->dirty_bitmap;
		bool all_set = vm->manual_dirty_log_protect &
			       KVM_DIRTY_LOG_INITIALLY_SET;

		if (is && !was && !all_set)
			flush |= kvmx_tdp_protect_range(vm, new->base_gfn,
							new->base_gfn +
							new->npages);
		else if (was && !is)
			flush |= kvmx_tdp_zap_range(vm, new->base_gfn,
						    new->base_gfn + new->npages,
						    &freed);
	}
	spin_unlock(&vm->mmu_lock);
	if (flush)
		kvmx_flush_remote_tlbs(vm);
	kvmx_tdp_free_tables(&freed);
}

/* Called with vm->lock held. */
static int kvmx_update_memslots(struct kvmx_vm *vm,
				const struct kvm_userspace_memory_region *mem)
{
	struct kvmx_memslots *cur = kvmx_memslots(vm), *next;
	u64 base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	struct kvmx_memslot *old, *slot = NULL;

	old = kvmx_id_to_memslot(cur, (u16)mem->slot);

	if (!npages) {
		/* deleting a slot that does not exist is an error in-tree */
		if (!old)
			return -EINVAL;
	} else if (old) {
		/* a live slot may move or change flags, nothing else */
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn == old->base_gfn && mem->flags == old->flags)
			return 0;
	}

	if (npages && (!old || base_gfn != old->base_gfn) &&
	    kvmx_range_overlaps(cur, (u16)mem->slot, base_gfn, npages))
		return -EEXIST;

	if (npages) {
		slot = kvmx_new_memslot(vm, mem, old);
		if (!slot)
			return -ENOMEM;
	}
	next = kvmx_memslots_replace(cur, old, slot);
	if (!next) {
		if (slot)
			kvmx_free_memslot(slot, !old ||
					  slot->dirty_bitmap != old->dirty_bitmap);
		return -ENOMEM;
	}

	rcu_assign_pointer(vm->memslots, next);
	/*
	 * no fault uses the old array (nor the slots it alone held) after
	 * this; expedited, as VMMs change slots by the hundred at boot
	 */
	synchronize_srcu_expedited(&vm->srcu);
	kvmx_memslot_zap(vm, old, slot);

	if (old)
		kvmx_free_memslot(old, !slot ||
				  slot->dirty_bitmap != old->dirty_bitmap);
	kvfree(cur);
	return 0;
}

int kvmx_set_memory_region(struct kvmx_vm *vm,
			   const struct kvm_userspace_memory_region *mem)
{
	int r = kvmx_check_region(mem);

	if (r)
		return r;
	mutex_lock(&vm->lock);
	r = kvmx_update_memslots(vm, mem);
	mutex_unlock(&vm->lock);
	return r;
}

/* When the VM goes: nothing reads the slots any more. */
void kvmx_free_memslots(struct kvmx_vm *vm)
{
	struct kvmx_memslots *s = rcu_dereference_protected(vm->memslots, 1);
	int i;

	for (i = 0; s && i < s->nr; i++)
		kvmx_free_memslot(s->slots[i], true);
	kvfree(s);
	RCU_INIT_POINTER(vm->memslots, NULL);
}
