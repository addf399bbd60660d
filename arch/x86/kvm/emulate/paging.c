// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest page walker (interface in paging.h): the linear-to-physical
 * translation of SDM Vol. 3A chapter 4 for no paging, 32-bit paging with
 * PSE and PSE-36, PAE paging, and 4- and 5-level paging, with the access
 * rights of 4.6 (U/S, R/W, CR0.WP, NX, SMEP, SMAP, protection keys), the
 * reserved-bit checks of 4.3-4.5 and the error code of 4.7.  A successful
 * access sets the accessed flag of every entry it used and, for a write,
 * the dirty flag of the last one (4.8), each with a compare-and-exchange
 * so a concurrent change by another vCPU makes it walk again.
 */
#include <linux/types.h>
#include "paging.h"

#define PG_CR0_WP	(1ULL << 16)
#define PG_CR0_PG	(1ULL << 31)
#define PG_CR4_PSE	(1ULL << 4)
#define PG_CR4_PAE	(1ULL << 5)
#define PG_CR4_LA57	(1ULL << 12)
#define PG_CR4_SMEP	(1ULL << 20)
#define PG_CR4_SMAP	(1ULL << 21)
#define PG_CR4_PKE	(1ULL << 22)
#define PG_EFER_NXE	(1ULL << 11)
#define PG_EFER_LMA	(1ULL << 10)

/* Paging-structure entry bits (Tables 4-4 to 4-20). */
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_PS		(1ULL << 7)
#define PTE_XD		(1ULL << 63)

/* A walk that keeps losing its compare-and-exchange gives up this often. */
#define PG_TRIES	4
#define PG_RACED	(-1)	/* pg_walk_once(): walk again */

/* Bits @lo..@hi (inclusive); empty when lo > hi. */
static u64 pg_bits(unsigned int lo, unsigned int hi)
{
	if (lo > hi)
		return 0;
	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

/* What one walk needs besides the caller's state. */
struct pg_walk {
	const struct kvmx_paging *p;
	unsigned int levels;	/* entries read from memory: 2, 4 or 5 */
	unsigned int size;	/* entry size: 4 or 8 */
	unsigned int m;		/* MAXPHYADDR */
	bool nxe;		/* XD is a flag, not reserved */
	u64 high_rsvd;		/* address bits above MAXPHYADDR */

	/* the entries used, top level first, for the A/D update */
	u64 gpa[5], pte[5];
	unsigned int used;
};

/* The reserved bits of an entry at @level (1: PTE) that maps a page or not. */
static u64 pg_rsvd(const struct pg_walk *w, unsigned int level, bool leaf)
{
	u64 r;

	if (w->size == 4) {
		/* 32-bit paging: only a 4 MiB PDE has any (Table 4-4) */
		if (level != 2 || !leaf)
			return 0;
		/* bit 21, and PSE-36 address bits 39:32 (in 20:13) >= M */
		return pg_bits(21, 21) |
		       pg_bits((w->m < 40 ? w->m : 40) - 19, 20);
	}
	r = w->high_rsvd;
	if (!w->nxe)
		r |= PTE_XD;
	if (level >= 4)
		r |= PTE_PS;		/* no pages at PML4E/PML5E level */
	else if (level == 3 && leaf)
		r |= pg_bits(13, 29);	/* 1 GiB frame; bit 12 is PAT */
	else if (level == 2 && leaf)
		r |= pg_bits(13, 20);	/* 2 MiB frame; bit 12 is PAT */
	/* bit 7 of a 4 KiB PTE is PAT, not reserved */
	return r;
}

/* The error code for @access with the fault bits @bits (4.7). */
static u32 pg_error(const struct kvmx_paging *p, u32 access, u32 bits)
{
	u32 e = bits | (access & (KVMX_PG_W | KVMX_PG_U));

	/* I/D only where fetches can fault on their own: SMEP or PAE+NXE */
	if ((access & KVMX_PG_I) &&
	    ((p->cr4 & PG_CR4_SMEP) ||
	     ((p->cr4 & PG_CR4_PAE) && (p->efer & PG_EFER_NXE))))
		e |= KVMX_PG_I;
	return e;
}

/*
 * The access rights of 4.6 for a translation whose entries allowed
 * writes (@rw), user-mode accesses (@us) and fetches (!@xd), ending in
 * @leaf: 0 if allowed, else the fault bits (P, and PK for keys).
 */
static u32 pg_rights(const struct pg_walk *w, u32 access, bool rw, bool us,
		     bool xd, u64 leaf)
{
	const struct kvmx_paging *p = w->p;
	bool user = access & KVMX_PG_U, write = access & KVMX_PG_W;
	bool wp = user || (p->cr0 & PG_CR0_WP);
	bool fault = false;
	u32 bits = KVMX_PG_P;

	if (user && !us)
		fault = true;
	if (access & KVMX_PG_I) {
		/* XD (4.6.2); SMEP: no supervisor fetch from a user page */
		if (xd || (!user && us && (p->cr4 & PG_CR4_SMEP)))
			fault = true;
		return fault ? bits : 0;
	}
	if (write && !rw && wp)
		fault = true;
	/*
	 * SMAP: supervisor data accesses to user pages, unless explicit at
	 * CPL < 3 with RFLAGS.AC set (4.6.1).
	 */
	if (!user && us && (p->cr4 & PG_CR4_SMAP) &&
	    ((access & KVMX_PG_IMPLICIT) || !p->ac || p->cpl == 3))
		fault = true;
	/* protection keys: data accesses to user pages, 4/5-level (4.6.2) */
	if (us && w->size == 8 && (p->efer & PG_EFER_LMA) &&
	    (p->cr4 & PG_CR4_PKE)) {
		unsigned int key = (leaf >> 59) & 15;
		bool ad = (p->pkru >> (2 * key)) & 1;
		bool wd = (p->pkru >> (2 * key + 1)) & 1;

		if (ad || (write && wd && wp)) {
			bits |= KVMX_PG_PK;
			fault = true;
		}
	}
	return fault ? bits : 0;
}

/*
 * Set A on the entries used and D on the leaf for a write, top level
 * first as the CPU walks.  Returns 1 if an entry changed under us.
 */
static int pg_set_ad(struct pg_walk *w, bool write)
{
	const struct kvmx_paging *p = w->p;
	unsigned int i;

	for (i = 0; i < w->used; i++) {
		u64 new = w->pte[i] | PTE_A;

		if (write && i == w->used - 1)
			new |= PTE_D;
		if (new == w->pte[i])
			continue;
		if (p->ops->cmpxchg_pte(p->opaque, w->gpa[i], w->pte[i], new,
					w->size) > 0)
			return 1;
	}
	return 0;
}

/* One walk: KVMX_PG_OK or _FAULT, or PG_RACED if the A/D update raced. */
static int pg_walk_once(struct pg_walk *w, u64 la, u32 access, u64 *gpa,
			u32 *error)
{
	const struct kvmx_paging *p = w->p;
	unsigned int bits = w->size == 8 ? 9 : 10, level = w->levels;
	u64 table, pte = 0, frame_mask;
	bool rw = true, us = true, xd = false, leaf = false;
	u32 f;

	w->used = 0;
	if (w->levels == 2 && w->size == 8) {
		/* PAE: the PDPTE registers, which have no A bit (4.4.1) */
		pte = p->pdptes[(la >> 30) & 3];
		if (!(pte & PTE_P))
			goto not_present;
		if (pte & (pg_bits(1, 2) | pg_bits(5, 8) |
			   pg_bits(w->m, 63)))
			goto reserved;
		table = pte;
	} else {
		table = p->cr3;
	}
	frame_mask = w->size == 8 ? pg_bits(12, 51) : pg_bits(12, 31);

	for (;; level--) {
		unsigned int shift = 12 + bits * (level - 1);
		u64 idx = (la >> shift) & ((1ULL << bits) - 1);
		u64 at = (table & frame_mask) + idx * w->size;

		pte = 0;
		if (p->ops->read_pte(p->opaque, at, &pte, w->size))
			goto not_present;
		if (!(pte & PTE_P))
			goto not_present;
		leaf = level == 1;
		if (level > 1 && (pte & PTE_PS)) {
			/* 32-bit paging has 4 MiB pages only with CR4.PSE */
			if (w->size == 8 || (p->cr4 & PG_CR4_PSE))
				leaf = true;
			if (level == 3 && p->no_gbpages)
				goto reserved;
		}
		if (pte & pg_rsvd(w, level, leaf))
			goto reserved;
		w->gpa[w->used] = at;
		w->pte[w->used++] = pte;
		rw &= !!(pte & PTE_RW);
		us &= !!(pte & PTE_US);
		if (w->nxe && (pte & PTE_XD))
			xd = true;
		if (leaf)
			break;
		table = pte;
	}

	f = pg_rights(w, access, rw, us, xd, pte);
	if (f) {
		*error = pg_error(p, access, f);
		return KVMX_PG_FAULT;
	}
	if (!(access & KVMX_PG_NO_AD) && pg_set_ad(w, access & KVMX_PG_W))
		return PG_RACED;

	if (level == 1) {
		*gpa = (pte & frame_mask) | (la & 0xfff);
	} else if (w->size == 4) {
		/* PSE-36: bits 39:32 of the 4 MiB frame are in 20:13 */
		*gpa = (pte & 0xffc00000ULL) | ((pte & 0x1fe000ULL) << 19) |
		       (la & 0x3fffff);
	} else {
		u64 off = pg_bits(0, 12 + bits * (level - 1) - 1);

		*gpa = (pte & frame_mask & ~off) | (la & off);
	}
	return KVMX_PG_OK;

reserved:
	*error = pg_error(p, access, KVMX_PG_P | KVMX_PG_RSVD);
	return KVMX_PG_FAULT;
not_present:
	*error = pg_error(p, access, 0);
	return KVMX_PG_FAULT;
}

enum kvmx_paging_result kvmx_paging_walk(const struct kvmx_paging *p, u64 la,
					 u32 access, u64 *gpa, u32 *error)
{
	struct pg_walk w = { .p = p };
	unsigned int tries;

	*error = 0;
	/* an implicit supervisor access is never a user-mode one */
	if (access & KVMX_PG_IMPLICIT)
		access &= ~KVMX_PG_U;
	if (!(p->cr0 & PG_CR0_PG)) {
		*gpa = (u32)la;
		return KVMX_PG_OK;
	}
	/* 0 or nonsense: the architectural maximum; below 32: 32 */
	w.m = p->maxphyaddr && p->maxphyaddr < 52 ? p->maxphyaddr : 52;
	if (w.m < 32)
		w.m = 32;
	if (p->efer & PG_EFER_LMA) {
		w.levels = (p->cr4 & PG_CR4_LA57) ? 5 : 4;
		w.size = 8;
		w.high_rsvd = pg_bits(w.m, 51);
	} else if (p->cr4 & PG_CR4_PAE) {
		la = (u32)la;
		w.levels = 2;
		w.size = 8;
		w.high_rsvd = pg_bits(w.m, 62);	/* PAE: 62:M (Table 4-9) */
	} else {
		la = (u32)la;
		w.levels = 2;
		w.size = 4;
	}
	w.nxe = w.size == 8 && (p->efer & PG_EFER_NXE);

	for (tries = 0; tries < PG_TRIES; tries++) {
		int r = pg_walk_once(&w, la, access, gpa, error);

		if (r != PG_RACED)
			return r;
	}
	return KVMX_PG_RETRY;
}
