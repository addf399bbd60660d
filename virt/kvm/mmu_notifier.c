// SPDX-License-Identifier: GPL-2.0-only
/*
 * Following the host's memory management.  The TDP tables map host pages
 * without holding references to them, so every change the host makes to
 * the VMM's page tables (munmap, MADV_DONTNEED, mprotect, copy-on-write
 * after fork, KSM merging, migration, compaction, swap-out, THP splits)
 * must reach us before the old page can be reused: the mm calls
 * invalidate_range_start() first, and we drop the guest mappings of that
 * range and flush every vCPU before returning.  Faults that looked the page
 * up meanwhile see the invalidation (mmu_invalidate_seq, the in-progress
 * range) and retry.  The aging hooks let reclaim see which guest pages are
 * in use.
 */
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <kvmx/core_private.h>

static struct kvmx_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct kvmx_vm, mmu_notifier);
}

/*
 * Call @fn under mmu_lock for the guest-frame range of every memslot that
 * overlaps host addresses [start, end).  Returns whether any call did.
 */
typedef bool (*hva_range_fn)(struct kvmx_vm *vm, u64 gfn_start, u64 gfn_end,
			     void *arg);

static bool for_each_hva_range(struct kvmx_vm *vm, unsigned long start,
			       unsigned long end, hva_range_fn fn, void *arg)
{
	struct kvmx_memslots *slots = srcu_dereference(vm->memslots, &vm->srcu);
	bool ret = false;
	int i;

	if (!slots)
		return false;
	for (i = 0; i < slots->nr; i++) {
		struct kvmx_memslot *slot = slots->slots[i];
		unsigned long s_start = slot->userspace_addr;
		unsigned long s_end = s_start + (slot->npages << PAGE_SHIFT);
		unsigned long lo = max(start, s_start), hi = min(end, s_end);

		if (lo >= hi)
			continue;
		ret |= fn(vm, slot->base_gfn + ((lo - s_start) >> PAGE_SHIFT),
			  slot->base_gfn +
			  ((hi - s_start + PAGE_SIZE - 1) >> PAGE_SHIFT), arg);
	}
	return ret;
}

static bool zap_fn(struct kvmx_vm *vm, u64 start, u64 end, void *freed)
{
	return kvmx_tdp_zap_range(vm, start, end, freed);
}

static int kvmx_mn_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct kvmx_vm *vm = mn_to_vm(mn);
	LIST_HEAD(freed);
	bool flush;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	/* faults retry while any range in progress covers their address */
	if (!vm->mmu_invalidate_in_progress++) {
		vm->mmu_invalidate_start = range->start;
		vm->mmu_invalidate_end = range->end;
	} else {
		vm->mmu_invalidate_start = min(vm->mmu_invalidate_start,
					       range->start);
		vm->mmu_invalidate_end = max(vm->mmu_invalidate_end,
					     range->end);
	}
	WRITE_ONCE(vm->stat.mmu_invalidations, vm->stat.mmu_invalidations + 1);
	flush = for_each_hva_range(vm, range->start, range->end, zap_fn,
				   &freed);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);

	/*
	 * Neither sleeps (the IPIs are waited for by spinning), so this is
	 * also right where the range is not blockable.
	 */
	if (flush)
		kvmx_flush_remote_tlbs(vm);
	kvmx_tdp_free_tables(&freed);
	return 0;
}

static void kvmx_mn_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct kvmx_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidate_seq++;
	if (!WARN_ON_ONCE(vm->mmu_invalidate_in_progress <= 0))
		vm->mmu_invalidate_in_progress--;
	spin_unlock(&vm->mmu_lock);
}

struct age_arg {
	bool clear;
	bool flush;
};

static bool age_fn(struct kvmx_vm *vm, u64 start, u64 end, void *arg)
{
	struct age_arg *a = arg;

	return kvmx_tdp_age_range(vm, start, end, a->clear, &a->flush);
}

static int kvmx_mn_age(struct kvmx_vm *vm, unsigned long start,
		       unsigned long end, bool clear, bool flush_young)
{
	struct age_arg a = { .clear = clear };
	bool young;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	young = for_each_hva_range(vm, start, end, age_fn, &a);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	if (a.flush || (young && flush_young))
		kvmx_flush_remote_tlbs(vm);
	return young;
}

static int kvmx_mn_clear_flush_young(struct mmu_notifier *mn,
				     struct mm_struct *mm,
				     unsigned long start, unsigned long end)
{
	return kvmx_mn_age(mn_to_vm(mn), start, end, true, true);
}

/* As in-tree: no flush; a stale TLB entry only delays the next A bit. */
static int kvmx_mn_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			       unsigned long start, unsigned long end)
{
	return kvmx_mn_age(mn_to_vm(mn), start, end, true, false);
}

static int kvmx_mn_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long address)
{
	return kvmx_mn_age(mn_to_vm(mn), address, address + 1, false, false);
}

/* The VMM's mm is going away: nothing it mapped may stay reachable. */
static void kvmx_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvmx_vm *vm = mn_to_vm(mn);
	LIST_HEAD(freed);
	bool flush;

	spin_lock(&vm->mmu_lock);
	flush = kvmx_tdp_zap_range(vm, 0, kvmx_tdp_max_gfn() + 1, &freed);
	spin_unlock(&vm->mmu_lock);
	if (flush)
		kvmx_flush_remote_tlbs(vm);
	kvmx_tdp_free_tables(&freed);
}

static const struct mmu_notifier_ops kvmx_mmu_notifier_ops = {
	.invalidate_range_start	= kvmx_mn_invalidate_range_start,
	.invalidate_range_end	= kvmx_mn_invalidate_range_end,
	.clear_flush_young	= kvmx_mn_clear_flush_young,
	.clear_young		= kvmx_mn_clear_young,
	.test_young		= kvmx_mn_test_young,
	.release		= kvmx_mn_release,
};

int kvmx_mmu_notifier_register(struct kvmx_vm *vm)
{
	int r;

	vm->mmu_notifier.ops = &kvmx_mmu_notifier_ops;
	r = mmu_notifier_register(&vm->mmu_notifier, vm->mm);
	if (!r)
		vm->mmu_notifier_registered = true;
	return r;
}

/*
 * After this no callback runs or will run (mmu_notifier_unregister()
 * waits for the ones in flight), so the VM can be freed and the module
 * unloaded.
 */
void kvmx_mmu_notifier_unregister(struct kvmx_vm *vm)
{
	if (vm->mmu_notifier_registered)
		mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
	vm->mmu_notifier_registered = false;
}
