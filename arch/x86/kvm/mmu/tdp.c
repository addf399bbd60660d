// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two-dimensional paging tables: the guest-physical to host-physical
 * tables (EPT on Intel, NPT on AMD) of a VM.  Both formats are 4-level
 * radix trees with 512 8-byte entries per 4 KiB table (SDM Vol. 3C 29.3.2,
 * APM Vol. 2 15.25.5) with leaves at level 1 (4 KiB), 2 (2 MiB) or 3
 * (1 GiB); they differ only in which bits mean what, which the backend
 * describes in struct kvmx_tdp_format.  This file builds, changes and tears
 * down the tables; mmu/fault.c decides what to map.
 *
 * Everything here runs under vm->mmu_lock (a spinlock: the MMU notifier
 * calls in here from contexts that may not sleep), so the tables a fault
 * needs come from a per-vCPU cache filled beforehand.  The CPU walks the
 * tables concurrently and sets accessed/dirty bits in leaves: entries are
 * read with READ_ONCE, permissions taken away atomically, and a table page
 * unhooked from the tree is freed only after every vCPU flushed
 * (kvmx_tdp_free_tables() after kvmx_flush_remote_tlbs()).
 */
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/atomic.h>
#include <asm/processor.h>
#include <kvmx/core_private.h>

#define TDP_LEVELS		4
#define TDP_ENTRIES		512
#define TDP_ADDR_MASK		GENMASK_ULL(51, 12)

static inline const struct kvmx_tdp_format *tdp_fmt(void)
{
	return kvmx_backend->tdp_format;
}

/* Guest frames one entry at @level covers. */
static inline u64 tdp_level_pages(int level)
{
	return 1ULL << (9 * (level - 1));
}

static inline unsigned int tdp_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (TDP_ENTRIES - 1);
}

static inline bool tdp_is_mmio(u64 e)
{
	u64 mmio = tdp_fmt()->mmio_value;

	return mmio && e == mmio;
}

static inline bool tdp_present(u64 e)
{
	return (e & tdp_fmt()->present_mask) && !tdp_is_mmio(e);
}

static inline bool tdp_is_leaf(u64 e, int level)
{
	return level == 1 || (e & tdp_fmt()->huge_bit);
}

static inline u64 *tdp_child(u64 e)
{
	return __va(e & TDP_ADDR_MASK);
}

static void tdp_count_leaf(struct kvmx_vm *vm, int level, long delta)
{
	u64 *counter = level == 1 ? &vm->stat.pages_4k :
		       level == 2 ? &vm->stat.pages_2m : &vm->stat.pages_1g;

	WRITE_ONCE(*counter, *counter + delta);
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

/* Fill @pc so that one fault can build a full path below the root. */
int kvmx_page_cache_topup(struct kvmx_page_cache *pc)
{
	while (pc->nr < KVMX_PAGE_CACHE_SIZE) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		pc->pages[pc->nr++] = page;
	}
	return 0;
}

void kvmx_page_cache_free(struct kvmx_page_cache *pc)
{
	while (pc->nr)
		free_page((unsigned long)pc->pages[--pc->nr]);
}

/*
 * Take the subtree below @table (at @level) apart: leaves are dropped,
 * table pages go on @freed.  The entries of @table itself are cleared.
 */
static void tdp_unlink_below(struct kvmx_vm *vm, u64 *table, int level,
			     struct list_head *freed)
{
	int i;

	for (i = 0; i < TDP_ENTRIES; i++) {
		u64 e = READ_ONCE(table[i]);

		if (!e)
			continue;
		WRITE_ONCE(table[i], 0);
		if (!tdp_present(e))
			continue;
		if (tdp_is_leaf(e, level)) {
			tdp_count_leaf(vm, level, -1);
			continue;
		}
		tdp_unlink_below(vm, tdp_child(e), level - 1, freed);
		list_add(&virt_to_page(tdp_child(e))->lru, freed);
		vm->tdp.nr_tables--;
	}
}

void kvmx_tdp_free_tables(struct list_head *freed)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, freed, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/*
 * Drop every mapping of guest frames [start, end) below @table, which
 * covers frames from @base at @level.  Returns true if something present
 * went away (the caller flushes).  A huge leaf that only partly overlaps
 * goes as a whole; the next fault maps what is left at the right size.
 */
static bool tdp_zap_below(struct kvmx_vm *vm, u64 *table, int level, u64 base,
			  u64 start, u64 end, struct list_head *freed)
{
	u64 span = tdp_level_pages(level);
	bool flush = false;
	unsigned int i = start > base ? tdp_index(start, level) : 0;

	for (; i < TDP_ENTRIES; i++) {
		u64 lo = base + i * span, hi = lo + span;
		u64 e = READ_ONCE(table[i]);

		if (lo >= end)
			break;
		if (!e)
			continue;
		if (!tdp_present(e)) {		/* an MMIO marker */
			WRITE_ONCE(table[i], 0);
			continue;
		}
		if (tdp_is_leaf(e, level)) {
			WRITE_ONCE(table[i], 0);
			tdp_count_leaf(vm, level, -1);
			flush = true;
			continue;
		}
		if (start <= lo && hi <= end) {
			/* the whole table goes */
			WRITE_ONCE(table[i], 0);
			tdp_unlink_below(vm, tdp_child(e), level - 1, freed);
			list_add(&virt_to_page(tdp_child(e))->lru, freed);
			vm->tdp.nr_tables--;
			flush = true;
			continue;
		}
		flush |= tdp_zap_below(vm, tdp_child(e), level - 1, lo, start,
				       end, freed);
	}
	return flush;
}

bool kvmx_tdp_zap_range(struct kvmx_vm *vm, u64 start, u64 end,
			struct list_head *freed)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (start >= end)
		return false;
	return tdp_zap_below(vm, vm->tdp.root, TDP_LEVELS, 0, start, end,
			     freed);
}

/* Called when the VM goes: no vCPU runs any more. */
void kvmx_tdp_destroy(struct kvmx_vm *vm)
{
	LIST_HEAD(freed);

	if (!vm->tdp.root)
		return;
	spin_lock(&vm->mmu_lock);
	tdp_unlink_below(vm, vm->tdp.root, TDP_LEVELS, &freed);
	spin_unlock(&vm->mmu_lock);
	kvmx_tdp_free_tables(&freed);
	free_page((unsigned long)vm->tdp.root);
	vm->tdp.root = NULL;
}

/*
 * The entry for @gfn at @level, building the tables above it from @pc.
 * If a huge leaf above @level maps the frame, it is returned instead with
 * *@found_level saying where.  NULL only if @pc ran dry.
 */
static u64 *tdp_walk_create(struct kvmx_vm *vm, struct kvmx_page_cache *pc,
			    u64 gfn, int level, int *found_level)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();
	u64 *table = vm->tdp.root;
	int l;

	for (l = TDP_LEVELS; l > level; l--) {
		u64 *e = &table[tdp_index(gfn, l)];
		u64 v = READ_ONCE(*e);

		if (tdp_present(v) && tdp_is_leaf(v, l)) {
			*found_level = l;
			return e;
		}
		if (!tdp_present(v)) {
			u64 *child;

			if (!pc->nr)
				return NULL;
			child = pc->pages[--pc->nr];
			vm->tdp.nr_tables++;
			WRITE_ONCE(*e, __pa(child) | fmt->table_bits);
			v = READ_ONCE(*e);
		}
		table = tdp_child(v);
	}
	*found_level = level;
	return &table[tdp_index(gfn, level)];
}

/* The lowest entry that maps or would map @gfn, and its level. */
static u64 *tdp_walk(struct kvmx_vm *vm, u64 gfn, int *level)
{
	u64 *table = vm->tdp.root;
	int l;

	for (l = TDP_LEVELS; l > 1; l--) {
		u64 *e = &table[tdp_index(gfn, l)];
		u64 v = READ_ONCE(*e);

		if (!tdp_present(v) || tdp_is_leaf(v, l)) {
			*level = l;
			return e;
		}
		table = tdp_child(v);
	}
	*level = 1;
	return &table[tdp_index(gfn, 1)];
}

/*
 * The largest level up to @level where a leaf for @gfn can go now: where
 * a table already hangs, a huge leaf would need it freed, and that needs
 * a flush first; the fault maps at a smaller size instead.
 */
static int tdp_fit_level(struct kvmx_vm *vm, u64 gfn, int level)
{
	u64 *table = vm->tdp.root;
	int l;

	for (l = TDP_LEVELS; l > level; l--) {
		u64 v = READ_ONCE(table[tdp_index(gfn, l)]);

		if (!tdp_present(v) || tdp_is_leaf(v, l))
			return level;
		table = tdp_child(v);
	}
	while (level > 1) {
		u64 v = READ_ONCE(table[tdp_index(gfn, level)]);

		if (!tdp_present(v) || tdp_is_leaf(v, level))
			break;
		table = tdp_child(v);
		level--;
	}
	return level;
}

/*
 * Map @gfn to host frame @pfn, with a leaf of up to @max_level (the
 * caller checked that the host maps the whole range that contiguously and
 * that the memslot covers it).  Returns the level used, or -ENOMEM if the
 * page cache ran dry.  *@flush is set if a mapping the vCPUs may have
 * cached changed.
 */
int kvmx_tdp_map(struct kvmx_vm *vm, struct kvmx_page_cache *pc, u64 gfn,
		 u64 pfn, int max_level, bool writable, bool host_writable,
		 bool *flush)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();
	int level = tdp_fit_level(vm, gfn, max_level), found;
	u64 off = gfn & (tdp_level_pages(level) - 1);
	u64 *e, old, leaf;

	lockdep_assert_held(&vm->mmu_lock);
	e = tdp_walk_create(vm, pc, gfn, level, &found);
	if (!e)
		return -ENOMEM;
	old = READ_ONCE(*e);
	if (found != level) {
		/*
		 * A huge leaf from before (another vCPU raced us to it):
		 * if it grants what we want, it is as good; otherwise drop
		 * it and let the guest fault again at the new size.
		 */
		if (!writable || (old & fmt->leaf_write))
			return found;
		WRITE_ONCE(*e, 0);
		tdp_count_leaf(vm, found, -1);
		*flush = true;
		return found;
	}
	leaf = PFN_PHYS(pfn - off) | fmt->leaf_read | fmt->leaf_exec |
	       fmt->leaf_attr | (writable ? fmt->leaf_write : 0) |
	       (host_writable ? fmt->sw_host_writable : 0) |
	       (level > 1 ? fmt->huge_bit : 0);
	if (tdp_present(old)) {
		/* same frame, new rights: keep what the CPU set (A/D) */
		if ((old & TDP_ADDR_MASK) == (leaf & TDP_ADDR_MASK)) {
			if (writable && !(old & fmt->leaf_write))
				atomic64_or(fmt->leaf_write |
					    (host_writable ? fmt->sw_host_writable : 0),
					    (atomic64_t *)e);
			return level;
		}
		*flush = true;
	} else {
		tdp_count_leaf(vm, level, 1);
	}
	WRITE_ONCE(*e, leaf);
	return level;
}

/*
 * The fast path of a write to a page write-protected for dirty logging:
 * if @gfn's 4 KiB leaf is present, read-only and known host-writable, make
 * it writable again.  True if done (no GUP needed).
 */
bool kvmx_tdp_unprotect_gfn(struct kvmx_vm *vm, u64 gfn)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();
	int level;
	u64 *e, v;

	lockdep_assert_held(&vm->mmu_lock);
	if (!fmt->sw_host_writable)
		return false;
	e = tdp_walk(vm, gfn, &level);
	v = READ_ONCE(*e);
	if (level != 1 || !tdp_present(v) || !(v & fmt->sw_host_writable))
		return false;
	if (!(v & fmt->leaf_write))
		atomic64_or(fmt->leaf_write, (atomic64_t *)e);
	return true;
}

/* Remember that @gfn is MMIO, where the format has a marker for it. */
void kvmx_tdp_map_mmio(struct kvmx_vm *vm, struct kvmx_page_cache *pc,
		       u64 gfn)
{
	u64 mmio = tdp_fmt()->mmio_value;
	int found;
	u64 *e;

	lockdep_assert_held(&vm->mmu_lock);
	if (!mmio)
		return;
	e = tdp_walk_create(vm, pc, gfn, 1, &found);
	if (e && found == 1 && !READ_ONCE(*e))
		WRITE_ONCE(*e, mmio);
}

/*
 * Take write access away from the frames @base + set bits of @mask (dirty
 * logging).  A huge leaf among them is dropped: the frames it mapped fault
 * back in at 4 KiB, each on its own.  Returns true if the caller must
 * flush.
 */
static bool tdp_protect_leaf(struct kvmx_vm *vm, u64 *e, int level)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();

	if (!(READ_ONCE(*e) & fmt->leaf_write))
		return false;
	if (level > 1) {
		WRITE_ONCE(*e, 0);
		tdp_count_leaf(vm, level, -1);
	} else {
		atomic64_andnot(fmt->leaf_write, (atomic64_t *)e);
	}
	return true;
}

bool kvmx_tdp_protect_gfns(struct kvmx_vm *vm, u64 base, unsigned long mask)
{
	bool flush = false;

	lockdep_assert_held(&vm->mmu_lock);
	while (mask) {
		u64 gfn = base + __ffs(mask);
		int level;
		u64 *e = tdp_walk(vm, gfn, &level);
		u64 v = READ_ONCE(*e);

		mask &= mask - 1;
		if (tdp_present(v))
			flush |= tdp_protect_leaf(vm, e, level);
	}
	return flush;
}

/*
 * Take write access away from every frame of [start, end) below @table
 * (dirty logging starts): 4 KiB leaves lose their write bit, huge leaves
 * go (their frames fault back in at 4 KiB).  Returns true if the caller
 * must flush.
 */
static bool tdp_protect_below(struct kvmx_vm *vm, u64 *table, int level,
			      u64 base, u64 start, u64 end)
{
	const struct kvmx_tdp_format *fmt = tdp_fmt();
	u64 span = tdp_level_pages(level);
	unsigned int i = start > base ? tdp_index(start, level) : 0;
	bool flush = false;

	for (; i < TDP_ENTRIES; i++) {
		u64 lo = base + i * span;
		u64 e = READ_ONCE(table[i]);

		if (lo >= end)
			break;
		if (!tdp_present(e))
			continue;
		if (!tdp_is_leaf(e, level)) {
			flush |= tdp_protect_below(vm, tdp_child(e), level - 1,
						   lo, start, end);
			continue;
		}
		/* a huge leaf goes even if read-only: frames log one by one */
		if (level > 1 && !(e & fmt->leaf_write)) {
			WRITE_ONCE(table[i], 0);
			tdp_count_leaf(vm, level, -1);
			flush = true;
			continue;
		}
		flush |= tdp_protect_leaf(vm, &table[i], level);
	}
	return flush;
}

bool kvmx_tdp_protect_range(struct kvmx_vm *vm, u64 start, u64 end)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (start >= end)
		return false;
	return tdp_protect_below(vm, vm->tdp.root, TDP_LEVELS, 0, start, end);
}

/*
 * Page aging for the host's reclaim (MMU notifier clear/test_young): was
 * any frame of [start, end) used since the last call?  With @clear, the
 * accessed bits are cleared; a format without them has its leaves dropped
 * instead, so the next use faults and shows.
 */
static bool tdp_age_below(struct kvmx_vm *vm, u64 *table, int level, u64 base,
			  u64 start, u64 end, bool clear, bool *flush)
{
	u64 accessed = tdp_fmt()->accessed_bit;
	u64 span = tdp_level_pages(level);
	unsigned int i = start > base ? tdp_index(start, level) : 0;
	bool young = false;

	for (; i < TDP_ENTRIES; i++) {
		u64 lo = base + i * span;
		u64 e = READ_ONCE(table[i]);

		if (lo >= end)
			break;
		if (!tdp_present(e))
			continue;
		if (!tdp_is_leaf(e, level)) {
			young |= tdp_age_below(vm, tdp_child(e), level - 1, lo,
					       start, end, clear, flush);
			continue;
		}
		if (accessed) {
			if (!(e & accessed))
				continue;
			young = true;
			if (clear)
				atomic64_andnot(accessed,
						(atomic64_t *)&table[i]);
			continue;
		}
		young = true;
		if (clear) {
			WRITE_ONCE(table[i], 0);
			tdp_count_leaf(vm, level, -1);
			*flush = true;
		}
	}
	return young;
}

bool kvmx_tdp_age_range(struct kvmx_vm *vm, u64 start, u64 end, bool clear,
			bool *flush)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (start >= end)
		return false;
	return tdp_age_below(vm, vm->tdp.root, TDP_LEVELS, 0, start, end,
			     clear, flush);
}
