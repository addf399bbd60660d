// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty-page logging: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG and
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2.  A logging slot maps its pages 4 KiB
 * each and writable only once written: the write fault sets the page's bit
 * (mmu/fault.c).  Harvesting takes bits away word by word and
 * write-protects those pages again, and every vCPU flushes before the
 * ioctl returns, so a write that lands after the harvest faults and sets
 * its bit anew: no write is ever missed, whatever the vCPUs do meanwhile.
 * Without manual protection KVM_GET_DIRTY_LOG does both steps; with it,
 * KVM_GET_DIRTY_LOG only reads and KVM_CLEAR_DIRTY_LOG clears and protects
 * what userspace asks for.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <kvmx/core_private.h>

#define KVMX_DIRTY_LOG_MANUAL_CAPS \
	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET)

u64 kvmx_manual_dirty_log_caps(void)
{
	return KVMX_DIRTY_LOG_MANUAL_CAPS;
}

long kvmx_enable_manual_dirty_log(struct kvmx_vm *vm, u64 flags)
{
	/* INITIALLY_SET only means something with manual protection */
	if ((flags & ~KVMX_DIRTY_LOG_MANUAL_CAPS) ||
	    flags == KVM_DIRTY_LOG_INITIALLY_SET)
		return -EINVAL;
	mutex_lock(&vm->lock);
	vm->manual_dirty_log_protect = flags;
	mutex_unlock(&vm->lock);
	return 0;
}

void kvmx_mark_page_dirty(struct kvmx_vcpu *vcpu, struct kvmx_memslot *slot,
			  u64 gfn)
{
	if (vcpu && vcpu->dirty_ring)
		kvmx_dirty_ring_push(vcpu, slot, gfn);
	else
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/* The logging slot @slot_arg names; vm->lock held. */
static int kvmx_dirty_log_slot(struct kvmx_vm *vm, u32 slot_arg,
			       struct kvmx_memslot **out)
{
	struct kvmx_memslot *slot;

	if ((slot_arg >> 16) >= KVMX_ADDRESS_SPACES ||
	    (u16)slot_arg >= KVMX_USER_MEM_SLOTS)
		return -EINVAL;
	slot = kvmx_id_to_memslot(kvmx_memslots(vm), (u16)slot_arg);
	if (!slot || !slot->dirty_bitmap)
		return -ENOENT;
	*out = slot;
	return 0;
}

/* Write-protect the pages of one bitmap word; returns "flush needed". */
static bool kvmx_protect_word(struct kvmx_vm *vm, struct kvmx_memslot *slot,
			      unsigned long word, unsigned long mask)
{
	bool flush;

	spin_lock(&vm->mmu_lock);
	flush = kvmx_tdp_protect_gfns(vm, slot->base_gfn + word * BITS_PER_LONG,
				      mask);
	spin_unlock(&vm->mmu_lock);
	return flush;
}

static long kvmx_get_dirty_log_locked(struct kvmx_vm *vm,
				      const struct kvm_dirty_log *log)
{
	bool manual = vm->manual_dirty_log_protect &
		      KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
	struct kvmx_memslot *slot;
	unsigned long *snap, i, words, bytes;
	bool flush = false;
	long r;

	r = kvmx_dirty_log_slot(vm, log->slot, &slot);
	if (r)
		return r;
	words = BITS_TO_LONGS(slot->npages);
	bytes = words * sizeof(long);

	/* with manual protection it is a plain read of the bitmap */
	if (manual)
		return copy_to_user((void __user *)log->dirty_bitmap,
				    slot->dirty_bitmap, bytes) ? -EFAULT : 0;

	snap = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!snap)
		return -ENOMEM;
	for (i = 0; i < words; i++) {
		unsigned long mask;

		if (!READ_ONCE(slot->dirty_bitmap[i]))
			continue;
		mask = xchg(&slot->dirty_bitmap[i], 0);
		snap[i] = mask;
		if (mask)
			flush |= kvmx_protect_word(vm, slot, i, mask);
	}
	if (flush)
		kvmx_flush_remote_tlbs(vm);

	r = copy_to_user((void __user *)log->dirty_bitmap, snap, bytes) ? -EFAULT : 0;
	kvfree(snap);
	return r;
}

long kvmx_get_dirty_log(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_dirty_log log;
	long r;

	if (vm->dirty_ring_bytes)
		return -ENXIO;	/* the ring replaces the bitmaps */
	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	mutex_lock(&vm->lock);
	r = kvmx_get_dirty_log_locked(vm, &log);
	mutex_unlock(&vm->lock);
	return r;
}

/*
 * KVM_CLEAR_DIRTY_LOG: the range starts on a 64-page boundary and spans a
 * multiple of 64 pages unless it runs to the end of the slot, as in-tree
 * checks; only bits set both in the log and in the argument are cleared.
 */
static long kvmx_clear_dirty_log_locked(struct kvmx_vm *vm,
					const struct kvm_clear_dirty_log *log)
{
	struct kvmx_memslot *slot;
	unsigned long *want, i, words, first;
	bool flush = false;
	long r;

	if (log->first_page & 63)
		return -EINVAL;
	r = kvmx_dirty_log_slot(vm, log->slot, &slot);
	if (r)
		return r;
	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page &&
	     (log->num_pages & 63)))
		return -EINVAL;
	if (!log->num_pages)
		return 0;

	words = BITS_TO_LONGS(log->num_pages);
	want = kvzalloc(words * sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!want)
		return -ENOMEM;
	if (copy_from_user(want, (const void __user *)log->dirty_bitmap,
			   words * sizeof(long))) {
		r = -EFAULT;
		goto out;
	}
	/* bits past the slot's end are not pages: ignore them */
	if (log->num_pages % BITS_PER_LONG)
		want[words - 1] &= BITMAP_LAST_WORD_MASK(log->num_pages);

	first = log->first_page / BITS_PER_LONG;
	for (i = 0; i < words; i++) {
		unsigned long mask;

		if (!want[i])
			continue;
		mask = atomic_long_fetch_andnot(want[i],
				(atomic_long_t *)&slot->dirty_bitmap[first + i]);
		mask &= want[i];
		if (mask)
			flush |= kvmx_protect_word(vm, slot, first + i, mask);
	}
	if (flush)
		kvmx_flush_remote_tlbs(vm);
out:
	kvfree(want);
	return r;
}

long kvmx_clear_dirty_log(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_clear_dirty_log log;
	long r;

	/* as in-tree, it works whether or not manual protection is on */
	if (vm->dirty_ring_bytes)
		return -ENXIO;
	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	mutex_lock(&vm->lock);
	r = kvmx_clear_dirty_log_locked(vm, &log);
	mutex_unlock(&vm->lock);
	return r;
}
