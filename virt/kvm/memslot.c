// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memory slots: KVM_SET_USER_MEMORY_REGION with in-tree KVM's validation,
 * and guest-frame lookup.  Slots are kept in an array sorted by guest
 * frame; a change takes mmu_lock for write, so no vCPU is in guest mode or
 * resolving a fault while mappings into the old layout are torn down.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <kvmx/core_private.h>

#define KVMX_VALID_MEM_FLAGS	(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY)
/* in-tree KVM's limit on one slot: the page count must fit 31 bits */
#define KVMX_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

static struct kvmx_memslot *kvmx_id_to_memslot(struct kvmx_vm *vm, u16 id,
					       int *pos)
{
	struct kvmx_memslots *s = &vm->memslots;
	int i;

	for (i = 0; i < s->nr; i++) {
		if (s->slots[i]->id == id) {
			*pos = i;
			return s->slots[i];
		}
	}
	return NULL;
}

/* Callers hold mmu_lock (either way) or vm->lock. */
struct kvmx_memslot *kvmx_gfn_to_memslot(struct kvmx_vm *vm, u64 gfn)
{
	struct kvmx_memslots *s = &vm->memslots;
	int lo = 0, hi = s->nr - 1;

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

static bool kvmx_range_overlaps(struct kvmx_vm *vm, u16 id, u64 start,
				u64 npages)
{
	struct kvmx_memslots *s = &vm->memslots;
	int i;

	for (i = 0; i < s->nr; i++) {
		struct kvmx_memslot *slot = s->slots[i];

		if (slot->id == id)
			continue;
		if (start < slot->base_gfn + slot->npages &&
		    slot->base_gfn < start + npages)
			return true;
	}
	return false;
}

/*
 * The guest may have written any writable page through the TDP mapping,
 * behind the host page tables' back: tell the page cache (memfd, hugetlbfs
 * or file-backed guest memory) that they are dirty.
 */
static void kvmx_unpin_memslot(struct kvmx_memslot *slot)
{
	bool dirty = !(slot->flags & KVM_MEM_READONLY);
	u64 i;

	if (!slot->pinned)
		return;
	for (i = 0; i < slot->npages; i++) {
		if (slot->pinned[i])
			unpin_user_pages_dirty_lock(&slot->pinned[i], 1, dirty);
		slot->pinned[i] = NULL;
	}
}

static void kvmx_free_memslot(struct kvmx_memslot *slot)
{
	kvmx_unpin_memslot(slot);
	kvfree(slot->pinned);
	kfree(slot);
}

static void kvmx_memslots_remove(struct kvmx_memslots *s, int pos)
{
	memmove(&s->slots[pos], &s->slots[pos + 1],
		(s->nr - pos - 1) * sizeof(s->slots[0]));
	s->nr--;
}

static int kvmx_memslots_reserve(struct kvmx_memslots *s)
{
	struct kvmx_memslot **grown;
	int cap;

	if (s->nr < s->capacity)
		return 0;
	cap = s->capacity ? s->capacity * 2 : 8;
	/* kvrealloc() changed signature between 6.1 and 6.12: copy by hand */
	grown = kvmalloc_array(cap, sizeof(*grown), GFP_KERNEL_ACCOUNT);
	if (!grown)
		return -ENOMEM;
	if (s->nr)
		memcpy(grown, s->slots, s->nr * sizeof(*grown));
	kvfree(s->slots);
	s->slots = grown;
	s->capacity = cap;
	return 0;
}

static void kvmx_memslots_insert(struct kvmx_memslots *s,
				 struct kvmx_memslot *slot)
{
	int pos = 0;

	while (pos < s->nr && s->slots[pos]->base_gfn < slot->base_gfn)
		pos++;
	memmove(&s->slots[pos + 1], &s->slots[pos],
		(s->nr - pos) * sizeof(s->slots[0]));
	s->slots[pos] = slot;
	s->nr++;
}

/* Drop every TDP mapping and make each vCPU flush before it re-enters. */
static void kvmx_invalidate_all(struct kvmx_vm *vm)
{
	int i, n = atomic_read_acquire(&vm->nr_vcpus);

	kvmx_tdp_zap_all(vm);
	for (i = 0; i < n; i++)
		kvmx_make_request(vm->vcpus[i], KVMX_REQ_TLB_FLUSH);
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

static struct kvmx_memslot *
kvmx_new_memslot(const struct kvm_userspace_memory_region *mem)
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
	slot->pinned = kvcalloc(slot->npages, sizeof(*slot->pinned),
				GFP_KERNEL_ACCOUNT);
	if (!slot->pinned) {
		kfree(slot);
		return NULL;
	}
	return slot;
}

/* Called with vm->lock held. */
static int kvmx_update_memslots(struct kvmx_vm *vm,
				const struct kvm_userspace_memory_region *mem)
{
	struct kvmx_memslots *s = &vm->memslots;
	u64 base_gfn = mem->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	struct kvmx_memslot *old, *slot = NULL;
	int pos = -1, r;

	old = kvmx_id_to_memslot(vm, (u16)mem->slot, &pos);

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
	    kvmx_range_overlaps(vm, (u16)mem->slot, base_gfn, npages))
		return -EEXIST;

	if (npages) {
		slot = kvmx_new_memslot(mem);
		if (!slot)
			return -ENOMEM;
		r = kvmx_memslots_reserve(s);
		if (r) {
			kvmx_free_memslot(slot);
			return r;
		}
	}

	/* Kick vCPUs out of guest mode, then wait for them to leave. */
	kvmx_vm_kick_all(vm);
	down_write(&vm->mmu_lock);
	if (old) {
		kvmx_invalidate_all(vm);
		kvmx_memslots_remove(s, pos);
	}
	if (slot)
		kvmx_memslots_insert(s, slot);
	up_write(&vm->mmu_lock);

	if (old)
		kvmx_free_memslot(old);
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

void kvmx_free_memslots(struct kvmx_vm *vm)
{
	struct kvmx_memslots *s = &vm->memslots;
	int i;

	for (i = 0; i < s->nr; i++)
		kvmx_free_memslot(s->slots[i]);
	kvfree(s->slots);
	s->slots = NULL;
	s->nr = 0;
}
