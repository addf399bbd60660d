// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's own paging, as far as the core needs to read it: guest
 * physical memory by copying from the memslots' user mappings, the PAE
 * PDPTEs (SDM Vol. 3A 4.4.1), and a walk of the guest's page tables for
 * KVM_TRANSLATE in every paging mode (32-bit, PAE, 4- and 5-level).
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/processor-flags.h>
#include <kvmx/core_private.h>

#define KVMX_PTE_P	BIT_ULL(0)
#define KVMX_PTE_RW	BIT_ULL(1)
#define KVMX_PTE_US	BIT_ULL(2)
#define KVMX_PTE_PS	BIT_ULL(7)
#define KVMX_PTE_NX	BIT_ULL(63)

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
		hva = (void __user *)(slot->userspace_addr +
				      ((gfn - slot->base_gfn) << PAGE_SHIFT) +
				      off);
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

int kvmx_read_guest(struct kvmx_vm *vm, u64 gpa, void *buf, size_t len)
{
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

static int kvmx_read_pte(struct kvmx_vcpu *vcpu, u64 gpa, u64 *pte,
			 bool wide)
{
	u32 pte32;

	if (wide)
		return kvmx_read_guest(vcpu->vm, gpa, pte, sizeof(*pte));
	if (kvmx_read_guest(vcpu->vm, gpa, &pte32, sizeof(pte32)))
		return -EFAULT;
	*pte = pte32;
	return 0;
}

/* The rights a walk found: what every level allowed. */
struct kvmx_walk_rights {
	bool write, user, exec;
};

/*
 * Linear to guest-physical as the guest's page tables say (SDM Vol. 3A
 * 4.3-4.5).  Returns false if not mapped; *rights says what the entries on
 * the way allow (R/W and U/S must be set at every level, NX at any level
 * forbids fetches, 4.6).
 */
static bool kvmx_walk(struct kvmx_vcpu *vcpu, u64 la, u64 *gpa,
		      struct kvmx_walk_rights *rights)
{
	const struct kvmx_backend *b = kvmx_backend;
	u64 cr0 = b->get_cr(vcpu, 0), cr4 = b->get_cr(vcpu, 4);
	u64 efer = b->get_efer(vcpu);
	u64 addr_mask = GENMASK_ULL(51, 12), table, pte;
	int level, bits = 9;
	bool wide = true;

	*rights = (struct kvmx_walk_rights){ true, true, true };
	if (!(cr0 & X86_CR0_PG)) {
		*gpa = (u32)la;
		return true;
	}
	table = b->get_cr(vcpu, 3);
	if (efer & EFER_LMA) {
		level = (cr4 & X86_CR4_LA57) ? 5 : 4;
	} else if (cr4 & X86_CR4_PAE) {
		u64 pdptrs[4];

		la = (u32)la;
		kvmx_get_pdptrs(vcpu, pdptrs);
		pte = pdptrs[(la >> 30) & 3];
		if (!(pte & KVMX_PTE_P))
			return false;
		table = pte;
		level = 2;
	} else {
		la = (u32)la;
		level = 2;
		bits = 10;
		wide = false;
		addr_mask = GENMASK_ULL(31, 12);
	}

	for (; level >= 1; level--) {
		int shift = 12 + bits * (level - 1);
		u64 idx = (la >> shift) & ((1ULL << bits) - 1);

		if (kvmx_read_pte(vcpu, (table & addr_mask) +
				  idx * (wide ? 8 : 4), &pte, wide))
			return false;
		if (!(pte & KVMX_PTE_P))
			return false;
		rights->write &= !!(pte & KVMX_PTE_RW);
		rights->user &= !!(pte & KVMX_PTE_US);
		if (wide && (efer & EFER_NX) && (pte & KVMX_PTE_NX))
			rights->exec = false;
		/* large pages: 4 MiB (32-bit with CR4.PSE), 2 MiB, 1 GiB */
		if (level > 1 && (pte & KVMX_PTE_PS) &&
		    (wide || (cr4 & X86_CR4_PSE))) {
			u64 page_mask = (1ULL << shift) - 1;
			u64 base = pte & addr_mask & ~page_mask;

			/* PSE-36: 4 MiB pages keep bits 39:32 in 20:13 */
			if (!wide)
				base = (pte & 0xffc00000ULL) |
				       ((pte & 0x1fe000ULL) << 19);
			*gpa = base | (la & page_mask);
			return true;
		}
		table = pte;
	}
	*gpa = (table & addr_mask) | (la & 0xfff);
	return true;
}

/*
 * An access by the guest at @la (KVMX_PF_* bits of @access): 0 with *gpa,
 * or -1 with the #PF error code it would raise in *error (SDM Vol. 3A
 * 4.6: supervisor writes ignore R/W unless CR0.WP; SMEP/SMAP are not
 * modelled).
 */
int kvmx_gva_to_gpa(struct kvmx_vcpu *vcpu, u64 la, u32 access, u64 *gpa,
		    u32 *error)
{
	struct kvmx_walk_rights rights;
	bool user = access & KVMX_PF_USER, write = access & KVMX_PF_WRITE;
	u64 cr0 = kvmx_backend->get_cr(vcpu, 0);

	*error = access;
	if (!kvmx_walk(vcpu, la, gpa, &rights))
		return -1;
	*error |= KVMX_PF_PRESENT;
	if (user && !rights.user)
		return -1;
	if (write && !rights.write && (user || (cr0 & X86_CR0_WP)))
		return -1;
	if ((access & KVMX_PF_FETCH) && !rights.exec)
		return -1;
	return 0;
}

int kvmx_translate(struct kvmx_vcpu *vcpu, struct kvm_translation *tr)
{
	struct kvmx_walk_rights rights;
	u64 gpa = 0;

	/* as in-tree: a supervisor lookup, no rights reported */
	tr->valid = kvmx_walk(vcpu, tr->linear_address, &gpa, &rights);
	tr->physical_address = tr->valid ? gpa : ~0ULL;
	tr->writeable = 1;
	tr->usermode = 0;
	return 0;
}
