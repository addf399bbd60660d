// SPDX-License-Identifier: GPL-2.0-only
/*
 * TDP faults: what a guest access to an unmapped (or write-protected)
 * guest-physical page maps.  The page behind the memslot's user address is
 * looked up with GUP (faulting it in on the host as the VMM's own access
 * would), mapped at the largest size the host's own mapping and the
 * memslot allow, and its reference dropped again: the mapping stays valid
 * only until the host changes its page tables there, which the MMU
 * notifier (virt/kvm/mmu_notifier.c) turns into a zap.  A fault that raced
 * with such a change retries (the guest faults again).
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/hugetlb.h>
#include <kvmx/core_private.h>

static bool mmio_caching = true;
module_param(mmio_caching, bool, 0444);
MODULE_PARM_DESC(mmio_caching,
		 "Remember MMIO pages in the TDP tables (EPT misconfiguration / NPT reserved bits)");

/*
 * The size of the host's mapping of @hva: 3 for a 1 GiB leaf, 2 for
 * 2 MiB, else 1.  Read without the mm's locks, as GUP-fast does: with
 * interrupts off no page table page can be freed under us (their freeing
 * waits for an IPI or an RCU grace period), and a value read just before
 * a change is caught by the invalidation retry of the caller, who holds
 * mmu_lock and checked the sequence.
 */
static int host_mapping_level(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd) || !pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_none(pmd) || !pmd_present(pmd))
		goto out;
	if (pmd_leaf(pmd))
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}

/*
 * The largest leaf the memslot allows for @gfn: the aligned range must lie
 * in the slot, and guest and host addresses must agree in their offset
 * within it, or one guest huge page would span two host ones.
 */
static int slot_max_level(const struct kvmx_memslot *slot, u64 gfn,
			  unsigned long hva)
{
	int level = kvmx_backend->tdp_format->max_level;

	if (slot->dirty_bitmap)
		return 1;	/* dirty pages are tracked 4 KiB each */
	for (; level > 1; level--) {
		u64 pages = 1ULL << (9 * (level - 1));
		u64 first = gfn & ~(pages - 1);

		if (((hva >> PAGE_SHIFT) ^ gfn) & (pages - 1))
			continue;
		if (first >= slot->base_gfn &&
		    first + pages <= slot->base_gfn + slot->npages)
			break;
	}
	return level;
}

/* Did a host invalidation touch @hva since @seq was read? */
static bool mmu_invalidate_retry(struct kvmx_vm *vm, unsigned long seq,
				 unsigned long hva)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (vm->mmu_invalidate_in_progress &&
	    hva >= vm->mmu_invalidate_start && hva < vm->mmu_invalidate_end)
		return true;
	return vm->mmu_invalidate_seq != seq;
}

/*
 * The host page at @hva.  A write needs a writable page (breaking
 * copy-on-write, as the VMM's own write would); a read takes a writable
 * page only if the host already maps it so, else a read-only one, so that
 * guest reads do not unshare KSM or zero pages.
 */
static int fault_get_page(unsigned long hva, bool write, bool may_write,
			  struct page **page, bool *writable)
{
	long n;

	if (may_write && get_user_page_fast_only(hva, FOLL_WRITE, page)) {
		*writable = true;
		return 0;
	}
	n = get_user_pages_unlocked(hva, 1, page, write ? FOLL_WRITE : 0);
	if (n == 1) {
		*writable = write;
		return 0;
	}
	if (n == -EINTR || n == -EAGAIN)
		return n;
	return -EFAULT;
}

/* A memslot's page: look it up, then map it under mmu_lock. */
static int tdp_fault_ram(struct kvmx_vcpu *vcpu, struct kvmx_memslot *slot,
			 u64 gfn, bool write)
{
	struct kvmx_vm *vm = vcpu->vm;
	unsigned long hva = slot->userspace_addr +
			    ((gfn - slot->base_gfn) << PAGE_SHIFT);
	bool may_write = !(slot->flags & KVM_MEM_READONLY);
	bool writable, host_writable, flush = false;
	unsigned long seq;
	struct page *page;
	int r, level;

	seq = READ_ONCE(vm->mmu_invalidate_seq);
	smp_rmb();	/* the sequence before the host page tables */

	r = fault_get_page(hva, write, may_write, &page, &host_writable);
	if (r == -EINTR || r == -EAGAIN)
		return 0;	/* a signal: the run loop sees it */
	if (r)
		return r;
	/*
	 * With dirty logging, a read maps read-only so that the write shows;
	 * the leaf remembers the page is host-writable, so that the write
	 * takes the fast path below.
	 */
	writable = host_writable && (write || !slot->dirty_bitmap);

	spin_lock(&vm->mmu_lock);
	if (mmu_invalidate_retry(vm, seq, hva)) {
		r = 0;
		goto out_unlock;
	}
	level = min(slot_max_level(slot, gfn, hva),
		    host_mapping_level(vm->mm, hva));
	r = kvmx_tdp_map(vm, &vcpu->mmu_cache, gfn, page_to_pfn(page), level,
			 writable, host_writable, &flush);
	if (r >= 0) {
		r = 0;
		if (write && slot->dirty_bitmap)
			kvmx_mark_page_dirty(vcpu, slot, gfn);
	}
out_unlock:
	spin_unlock(&vm->mmu_lock);
	if (flush)
		kvmx_flush_remote_tlbs(vm);
	/* the guest may write it through the TDP leaf from now on */
	if (host_writable)
		set_page_dirty_lock(page);
	put_page(page);
	return r;
}

/*
 * Resolve a TDP fault.  Returns 0 when the guest should resume (mapped, or
 * to fault again after a race), 1 when no RAM backs the access (MMIO, or a
 * write to a read-only slot), or -errno: -EFAULT if the slot's user memory
 * is gone or cannot be written, -ENOMEM.
 */
int kvmx_tdp_handle_fault(struct kvmx_vcpu *vcpu, u64 gpa, u32 access)
{
	struct kvmx_vm *vm = vcpu->vm;
	u64 gfn = gpa >> PAGE_SHIFT;
	bool write = access & KVMX_TDP_WRITE;
	struct kvmx_memslot *slot;
	int r, idx;

	r = kvmx_page_cache_topup(&vcpu->mmu_cache);
	if (r)
		return r;

	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(vm, gfn);
	if (access & KVMX_TDP_MMIO) {
		/*
		 * The MMIO marker: still MMIO unless a slot appeared since,
		 * whose creation is about to zap the marker (memslot.c);
		 * then fault again.
		 */
		r = slot ? 0 : 1;
		goto out;
	}
	if (!slot) {
		if (mmio_caching) {
			spin_lock(&vm->mmu_lock);
			kvmx_tdp_map_mmio(vm, &vcpu->mmu_cache, gfn);
			spin_unlock(&vm->mmu_lock);
		}
		r = 1;
		goto out;
	}
	if (write && (slot->flags & KVM_MEM_READONLY)) {
		r = 1;
		goto out;
	}
	/*
	 * A write to a page dirty logging write-protected: still mapped and
	 * host-writable (any host change would have zapped the leaf), so
	 * log it and give write access back without asking GUP again.
	 */
	if (write && slot->dirty_bitmap) {
		bool done;

		spin_lock(&vm->mmu_lock);
		done = kvmx_tdp_unprotect_gfn(vm, gfn);
		if (done)
			kvmx_mark_page_dirty(vcpu, slot, gfn);
		spin_unlock(&vm->mmu_lock);
		if (done) {
			r = 0;
			vcpu->stat.pf_taken++;
			goto out;
		}
	}
	r = tdp_fault_ram(vcpu, slot, gfn, write);
	if (!r)
		vcpu->stat.pf_taken++;
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}
