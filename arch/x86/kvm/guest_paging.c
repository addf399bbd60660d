// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's own paging, as far as the core needs it: guest physical
 * memory by copying from the memslots' user mappings, the PAE PDPTEs (SDM
 * Vol. 3A 4.4.1), and linear-to-physical translation for the emulator and
 * KVM_TRANSLATE.  The walk itself is emulate/paging.c (pure, unit-tested
 * in userspace); this file hands it the vCPU's registers and the guest's
 * page tables, and sets accessed/dirty flags with a compare-and-exchange
 * on the guest page through the memslot's user mapping.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <kvmx/core_private.h>
#include "emulation.h"

/* Where @slot maps @gpa (which it contains) in the VMM's address space. */
static void __user *kvmx_slot_hva(const struct kvmx_memslot *slot, u64 gpa)
{
	return (void __user *)(slot->userspace_addr +
			       (((gpa >> PAGE_SHIFT) - slot->base_gfn) <<
				PAGE_SHIFT) + offset_in_page(gpa));
}

/*
 * Copy to or from guest-physical memory through the memslots' user
 * mappings: -EFAULT where no memslot backs it (or, writing, where the slot
 * is read-only).  Writes set the pages' dirty-log bits, as a guest write
 * would.
 */
static int kvmx_guest_copy(struct kvmx_vm *vm, struct kvmx_vcpu *vcpu, u64 gpa,
			   void *buf, size_t len, bool write)
{
	int r = 0, idx;

	idx = srcu_read_lock(&vm->srcu);
	while (len) {
		u64 gfn = gpa >> PAGE_SHIFT;
		struct kvmx_memslot *slot = kvmx_gfn_to_memslot(vm, gfn);
		size_t off = offset_in_page(gpa);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		void __user *hva;

		if (!slot || (write && (slot->flags & KVM_MEM_READONLY))) {
			r = -EFAULT;
			break;
		}
		hva = kvmx_slot_hva(slot, gpa);
		if (write ? copy_to_user(hva, buf, n) :
			    copy_from_user(buf, hva, n)) {
			r = -EFAULT;
			break;
		}
		if (write && slot->dirty_bitmap)
			kvmx_mark_page_dirty(vcpu, slot, gfn);
		gpa += n;
		buf += n;
		len -= n;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

#define KVMX_SMALL_READ	16

/*
 * A read of up to 16 bytes that ends at least 16 bytes before the end of
 * its page (an instruction's bytes, a descriptor): one copy of a constant
 * size, which spares the object check hardened usercopy makes of every
 * copy of a variable size.  The bytes read past @len are in the same page
 * of the same user mapping, so they fault exactly when those asked for do.
 */
static int kvmx_read_guest_small(struct kvmx_vm *vm, u64 gpa, void *buf,
				 size_t len)
{
	u8 tmp[KVMX_SMALL_READ];
	struct kvmx_memslot *slot;
	int r = -EFAULT, idx;

	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	if (slot &&
	    !copy_from_user(tmp, kvmx_slot_hva(slot, gpa), sizeof(tmp))) {
		memcpy(buf, tmp, len);
		r = 0;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

int kvmx_read_guest(struct kvmx_vm *vm, u64 gpa, void *buf, size_t len)
{
	if (len && len <= KVMX_SMALL_READ &&
	    offset_in_page(gpa) + KVMX_SMALL_READ <= PAGE_SIZE)
		return kvmx_read_guest_small(vm, gpa, buf, len);
	return kvmx_guest_copy(vm, NULL, gpa, buf, len, false);
}

/* A write on behalf of @vcpu (its dirty ring logs it). */
int kvmx_write_guest(struct kvmx_vcpu *vcpu, u64 gpa, const void *buf,
		     size_t len)
{
	return kvmx_guest_copy(vcpu->vm, vcpu, gpa, (void *)buf, len, true);
}

static bool kvmx_pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

bool kvmx_guest_pae_paging(struct kvmx_vcpu *vcpu)
{
	const struct kvmx_backend *b = kvmx_backend;

	return kvmx_pae_paging(b->get_cr(vcpu, 0), b->get_cr(vcpu, 4),
			       b->get_efer(vcpu));
}

void kvmx_get_pdptrs(struct kvmx_vcpu *vcpu, u64 *pdptrs)
{
	if (kvmx_backend->get_pdptrs)
		kvmx_backend->get_pdptrs(vcpu, pdptrs);
	else
		memcpy(pdptrs, vcpu->pdptrs, sizeof(vcpu->pdptrs));
}

void kvmx_set_pdptrs(struct kvmx_vcpu *vcpu, const u64 *pdptrs)
{
	memcpy(vcpu->pdptrs, pdptrs, sizeof(vcpu->pdptrs));
	if (kvmx_backend->set_pdptrs)
		kvmx_backend->set_pdptrs(vcpu, pdptrs);
}

/*
 * What MOV to CR3 does in PAE mode: load the four PDPTEs from the 32-byte
 * aligned table CR3 points at.  Unreadable memory leaves them zero (not
 * present), so the guest faults rather than the host.
 */
void kvmx_load_pdptrs(struct kvmx_vcpu *vcpu)
{
	u64 pdptrs[4] = { };
	u64 cr3 = kvmx_backend->get_cr(vcpu, 3);

	if (kvmx_read_guest(vcpu->vm, cr3 & 0xffffffe0ULL, pdptrs,
			    sizeof(pdptrs)))
		memset(pdptrs, 0, sizeof(pdptrs));
	kvmx_set_pdptrs(vcpu, pdptrs);
}

/*
 * One naturally aligned entry, so within one page: a single load from the
 * slot's user mapping.  The walk holds vm->srcu (kvmx_walk_with()); a
 * fixed-size get_user() is a few instructions, a copy_from_user() of a
 * variable size many more (its hardened-usercopy check), at each level
 * of each walk.
 */
static int kvmx_pte_read(void *opaque, u64 gpa, u64 *pte, unsigned int size)
{
	struct kvmx_vcpu *vcpu = opaque;
	struct kvmx_memslot *slot;
	void __user *hva;
	u32 pte32;
	int r;

	*pte = 0;
	slot = kvmx_gfn_to_memslot(vcpu->vm, gpa >> PAGE_SHIFT);
	if (!slot)
		return -EFAULT;
	hva = kvmx_slot_hva(slot, gpa);
	if (size == 8)
		return get_user(*pte, (u64 __user *)hva);
	if (size != 4)
		return copy_from_user(pte, hva, size) ? -EFAULT : 0;
	r = get_user(pte32, (u32 __user *)hva);
	*pte = pte32;
	return r;
}

/*
 * __try_cmpxchg_user() on the user address of a guest RAM location: 0
 * swapped, 1 memory held something else (*old gets it), -EFAULT (the
 * macro places the fault label itself).
 */
#define KVMX_CMPXCHG_USER(type, hva, old, new)				\
({									\
	type __user *__p = (type __user *)(hva);			\
	type __old = *(type *)(old);					\
	int __r = -EFAULT;						\
									\
	if (access_ok(__p, sizeof(type))) {				\
		__r = __try_cmpxchg_user(__p, &__old, *(const type *)(new), \
					 efault_##type);		\
		*(type *)(old) = __old;					\
	}								\
	__r;								\
})

/*
 * A locked compare-and-exchange of @len (1, 2, 4 or 8) bytes of guest RAM
 * at @gpa, as the CPU's LOCKed instructions and its accessed/dirty
 * updates do (SDM Vol. 3A 9.1.2.2): 0 swapped (a guest write, for dirty
 * logging), 1 memory held another value (now in *old), -EFAULT not
 * writable RAM or another size.
 */
int kvmx_cmpxchg_guest(struct kvmx_vcpu *vcpu, u64 gpa, void *old,
		       const void *new, unsigned int len)
{
	struct kvmx_vm *vm = vcpu->vm;
	struct kvmx_memslot *slot;
	void __user *hva;
	int r = -EFAULT, idx;

	if (offset_in_page(gpa) + len > PAGE_SIZE)
		return -EFAULT;
	idx = srcu_read_lock(&vm->srcu);
	slot = kvmx_gfn_to_memslot(vm, gpa >> PAGE_SHIFT);
	if (!slot || (slot->flags & KVM_MEM_READONLY))
		goto out;
	hva = kvmx_slot_hva(slot, gpa);
	switch (len) {
	case 1:
		r = KVMX_CMPXCHG_USER(u8, hva, old, new);
		break;
	case 2:
		r = KVMX_CMPXCHG_USER(u16, hva, old, new);
		break;
	case 4:
		r = KVMX_CMPXCHG_USER(u32, hva, old, new);
		break;
	case 8:
		r = KVMX_CMPXCHG_USER(u64, hva, old, new);
		break;
	}
	if (!r && slot->dirty_bitmap)
		kvmx_mark_page_dirty(vcpu, slot, gpa >> PAGE_SHIFT);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/*
 * The accessed/dirty update of a walk: the CPU does a locked read-modify-
 * write of the entry (SDM Vol. 3A 4.8), so another vCPU changing it
 * meanwhile makes the walker start again.  Entries in read-only slots or
 * outside any slot keep their flags (the walk still succeeds, as with a
 * write to ROM); an update is a guest write for dirty logging.
 */
static int kvmx_pte_cmpxchg(void *opaque, u64 gpa, u64 old, u64 new,
			    unsigned int size)
{
	u32 old32 = old, new32 = new;

	if (size == 8)
		return kvmx_cmpxchg_guest(opaque, gpa, &old, &new, 8);
	return kvmx_cmpxchg_guest(opaque, gpa, &old32, &new32, 4);
}

static const struct kvmx_paging_ops kvmx_paging_ops = {
	.read_pte = kvmx_pte_read,
	.cmpxchg_pte = kvmx_pte_cmpxchg,
};

/*
 * The state a walk depends on: CR0, CR4, EFER and the CPL as the caller
 * has just read them from the vCPU (the emulator's context holds them),
 * the rest from the vCPU here.
 */
void kvmx_paging_state_regs(struct kvmx_vcpu *vcpu, struct kvmx_paging *p,
			    u64 cr0, u64 cr4, u64 efer, u8 cpl)
{
	*p = (struct kvmx_paging){
		.cr0 = cr0,
		.cr3 = kvmx_backend->get_cr(vcpu, 3),
		.cr4 = cr4,
		.efer = efer,
		.ac = vcpu->rflags & X86_EFLAGS_AC,
		.cpl = cpl,
		.maxphyaddr = kvmx_guest_maxphyaddr(vcpu),
		/* both cached at KVM_SET_CPUID2 (cpuid.c) */
		.no_gbpages = vcpu->cpuid_no_gbpages,
		/* kvmx offers no PKU (cpuid.c): the guest's PKRU is 0 */
		.pkru = 0,
		.ops = &kvmx_paging_ops,
		.opaque = vcpu,
	};
	if (kvmx_pae_paging(p->cr0, p->cr4, p->efer))
		kvmx_get_pdptrs(vcpu, p->pdptes);
}

/* The registers a walk depends on, from the vCPU. */
static void kvmx_paging_state(struct kvmx_vcpu *vcpu, struct kvmx_paging *p)
{
	const struct kvmx_backend *b = kvmx_backend;

	kvmx_paging_state_regs(vcpu, p, b->get_cr(vcpu, 0), b->get_cr(vcpu, 4),
			       b->get_efer(vcpu), kvmx_guest_cpl(vcpu));
}

/*
 * Walk until it is not racing another vCPU's page-table updates.  Each
 * walk reads its entries under one vm->srcu section (kvmx_pte_read()).
 */
static enum kvmx_paging_result kvmx_walk_with(struct kvmx_vcpu *vcpu,
					      const struct kvmx_paging *p,
					      u64 la, u32 access, u64 *gpa,
					      u32 *error)
{
	struct kvmx_vm *vm = vcpu->vm;
	enum kvmx_paging_result r;
	int idx;

	for (;;) {
		idx = srcu_read_lock(&vm->srcu);
		r = kvmx_paging_walk(p, la, access, gpa, error);
		srcu_read_unlock(&vm->srcu, idx);
		if (r != KVMX_PG_RETRY)
			return r;
		if (fatal_signal_pending(current)) {
			/* the vCPU is going away: any fault will do */
			*error = access & (KVMX_PG_W | KVMX_PG_U | KVMX_PG_I);
			return KVMX_PG_FAULT;
		}
		cond_resched();
	}
}

static enum kvmx_paging_result kvmx_walk(struct kvmx_vcpu *vcpu, u64 la,
					 u32 access, u64 *gpa, u32 *error)
{
	struct kvmx_paging p;

	kvmx_paging_state(vcpu, &p);
	return kvmx_walk_with(vcpu, &p, la, access, gpa, error);
}

/* The #PF error code's access bits as the walker's (paging.h). */
static u32 kvmx_walk_access(u32 access)
{
	u32 acc = access & (KVMX_PF_WRITE | KVMX_PF_USER | KVMX_PF_FETCH);

	BUILD_BUG_ON(KVMX_PF_PRESENT != KVMX_PG_P ||
		     KVMX_PF_WRITE != KVMX_PG_W || KVMX_PF_USER != KVMX_PG_U ||
		     KVMX_PF_RSVD != KVMX_PG_RSVD ||
		     KVMX_PF_FETCH != KVMX_PG_I || KVMX_PF_PK != KVMX_PG_PK);
	if (access & KVMX_PF_IMPLICIT)
		acc |= KVMX_PG_IMPLICIT;
	return acc;
}

/*
 * An access by the guest at @la (KVMX_PF_WRITE, _USER, _FETCH and
 * _IMPLICIT in @access): 0 with *gpa, or -1 with the #PF error code it
 * raises in *error (the caller injects it with CR2 = @la).  The accessed
 * and dirty flags are set as the access would set them.
 */
int kvmx_gva_to_gpa(struct kvmx_vcpu *vcpu, u64 la, u32 access, u64 *gpa,
		    u32 *error)
{
	return kvmx_walk(vcpu, la, kvmx_walk_access(access), gpa, error) ==
	       KVMX_PG_OK ? 0 : -1;
}

/*
 * The same with the state of kvmx_paging_state() taken once by the
 * caller, for the several accesses of one emulated instruction (which
 * changes none of the registers the state holds).
 */
int kvmx_gva_to_gpa_with(struct kvmx_vcpu *vcpu, const struct kvmx_paging *p,
			 u64 la, u32 access, u64 *gpa, u32 *error)
{
	return kvmx_walk_with(vcpu, p, la, kvmx_walk_access(access), gpa,
			      error) == KVMX_PG_OK ? 0 : -1;
}

int kvmx_translate(struct kvmx_vcpu *vcpu, struct kvm_translation *tr)
{
	u64 gpa = 0;
	u32 error;

	/*
	 * As in-tree: a supervisor read, which sets the accessed flags like
	 * one (the distro's KVM does, on the SVM rig); no rights reported.
	 */
	tr->valid = kvmx_walk(vcpu, tr->linear_address, 0, &gpa, &error) ==
		    KVMX_PG_OK;
	tr->physical_address = tr->valid ? gpa : ~0ULL;
	tr->writeable = 1;
	tr->usermode = 0;
	return 0;
}
