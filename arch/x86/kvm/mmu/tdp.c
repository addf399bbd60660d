// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two-dimensional paging: the guest-physical to host-physical tables (EPT
 * on Intel, NPT on AMD) of a VM, built on demand from its memslots.  Both
 * formats are 4-level radix trees with 512 8-byte entries per 4 KiB table
 * (SDM Vol. 3C 29.3.2, APM Vol. 2 15.25.5); they differ only in which bits
 * mean present/read/write/execute and memory type, which the backend
 * describes in struct kvmx_tdp_format.  Guest pages are pinned (long-term
 * GUP) on first touch and released when their slot goes away.
 *
 * Locking: faults hold mmu_lock for read and tdp_mutex; zapping holds
 * mmu_lock for write (no vCPU in guest mode) and tdp_mutex.
 */
#include <linux/mm.h>
#include <linux/gfp.h>
#include <asm/processor.h>
#include <kvmx/core_private.h>

#define TDP_LEVELS		4
#define TDP_ENTRIES		512
#define TDP_ADDR_MASK		GENMASK_ULL(51, 12)

static inline const struct kvmx_tdp_format *tdp_fmt(void)
{
	return kvmx_backend->tdp_format;
}

static inline unsigned int tdp_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (TDP_ENTRIES - 1);
}

/* A 4-level walk covers 48 bits; the CPU may have fewer. */
u64 kvmx_tdp_max_gfn(void)
{
	unsigned int bits = min_t(unsigned int, boot_cpu_data.x86_phys_bits,
				  48);

	return (1ULL << (bits - PAGE_SHIFT)) - 1;
}

int kvmx_tdp_init(struct kvmx_vm *vm)
{
	vm->tdp.root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->tdp.root)
		return -ENOMEM;
	vm->tdp.root_hpa = __pa(vm->tdp.root);
	return 0;
}

/* Free everything below @table (a table at @level), leaving it empty. */
static void tdp_free_below(struct kvmx_vm *vm, u64 *table, int level)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();
	int i;

	for (i = 0; i < TDP_ENTRIES; i++) {
		u64 e = table[i];

		if (!(e & fmt->present_mask))
			continue;
		if (level > 1) {
			u64 *child = __va(e & TDP_ADDR_MASK);

			tdp_free_below(vm, child, level - 1);
			free_page((unsigned long)child);
			vm->tdp.nr_tables--;
		}
		WRITE_ONCE(table[i], 0);
	}
}

void kvmx_tdp_zap_all(struct kvmx_vm *vm)
{
	mutex_lock(&vm->tdp_mutex);
	tdp_free_below(vm, vm->tdp.root, TDP_LEVELS);
	mutex_unlock(&vm->tdp_mutex);
}

void kvmx_tdp_destroy(struct kvmx_vm *vm)
{
	if (!vm->tdp.root)
		return;
	kvmx_tdp_zap_all(vm);
	free_page((unsigned long)vm->tdp.root);
	vm->tdp.root = NULL;
}

/* The leaf entry for @gpa, creating the tables above it.  tdp_mutex held. */
static u64 *tdp_leaf_entry(struct kvmx_vm *vm, u64 gpa)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();
	u64 *table = vm->tdp.root;
	int level;

	for (level = TDP_LEVELS; level > 1; level--) {
		u64 *e = &table[tdp_index(gpa, level)];

		if (!(*e & fmt->present_mask)) {
			u64 *child = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!child)
				return NULL;
			vm->tdp.nr_tables++;
			WRITE_ONCE(*e, __pa(child) | fmt->table_bits);
		}
		table = __va(*e & TDP_ADDR_MASK);
	}
	return &table[tdp_index(gpa, 1)];
}

/* Pin the page behind @gfn of @slot once; later faults reuse it. */
static int tdp_pin_gfn(struct kvmx_vm *vm, struct kvmx_memslot *slot,
		       u64 gfn, struct page **out)
{
	u64 idx = gfn - slot->base_gfn;
	unsigned long hva = slot->userspace_addr + idx * PAGE_SIZE;
	unsigned int flags = FOLL_LONGTERM;
	struct page *page;
	long n;

	page = READ_ONCE(slot->pinned[idx]);
	if (page) {
		*out = page;
		return 0;
	}
	if (!(slot->flags & KVM_MEM_READONLY))
		flags |= FOLL_WRITE;
	/* not pin_user_pages_unlocked(): on 6.1 it refuses FOLL_LONGTERM */
	n = pin_user_pages_fast(hva, 1, flags, &page);
	if (n != 1)
		return n < 0 ? (int)n : -EFAULT;

	mutex_lock(&vm->tdp_mutex);
	if (slot->pinned[idx]) {
		/* another vCPU won the race: keep one pin */
		unpin_user_page(page);
		page = slot->pinned[idx];
	} else {
		slot->pinned[idx] = page;
	}
	mutex_unlock(&vm->tdp_mutex);
	*out = page;
	return 0;
}

/*
 * Resolve a TDP fault.  Returns 0 when mapped (resume the guest), 1 when no
 * RAM backs the access (MMIO, or a write to a read-only slot), or -errno
 * (-EFAULT if the slot's user memory is gone).
 */
int kvmx_tdp_handle_fault(struct kvmx_vcpu *vcpu, u64 gpa, u32 access)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();
	struct kvmx_vm *vm = vcpu->vm;
	struct kvmx_memslot *slot;
	struct page *page;
	bool writable;
	u64 *leaf;
	int r;

	down_read(&vm->mmu_lock);
	slot = kvmx_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	writable = slot && !(slot->flags & KVM_MEM_READONLY);
	if (!slot || ((access & KVMX_TDP_WRITE) && !writable)) {
		r = 1;
		goto out;
	}

	r = tdp_pin_gfn(vm, slot, gpa >> PAGE_SHIFT, &page);
	if (r)
		goto out;

	mutex_lock(&vm->tdp_mutex);
	leaf = tdp_leaf_entry(vm, gpa);
	if (leaf)
		WRITE_ONCE(*leaf, PFN_PHYS(page_to_pfn(page)) | fmt->leaf_read |
			   (writable ? fmt->leaf_write : 0) | fmt->leaf_exec |
			   fmt->leaf_attr);
	else
		r = -ENOMEM;
	mutex_unlock(&vm->tdp_mutex);
out:
	up_read(&vm->mmu_lock);
	return r;
}
