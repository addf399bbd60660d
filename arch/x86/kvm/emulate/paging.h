/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest page walker's interface: linear address to guest-physical
 * address through the guest's own page tables, in every paging mode, with
 * the access-rights, protection-key and reserved-bit checks of SDM Vol. 3A
 * chapter 4 (AMD APM Vol. 2 chapter 5), and the accessed and dirty flags
 * set as the CPU sets them.  Like the emulator it is pure: it sees the
 * registers the caller copies in and reaches guest memory only through
 * two callbacks, so it builds into kvm.ko and into the userspace unit tests
 * and fuzzers.  Documentation/emulator.rst describes the rules.
 */
#ifndef KVMX_PAGING_H
#define KVMX_PAGING_H

#include <linux/types.h>

/*
 * The access asked for, in the bits of the #PF error code that describe
 * it (SDM Vol. 3A 4.7), plus flags of the walker's own above bit 15.
 *  USER      a user-mode access (CPL 3, not an implicit supervisor access)
 *  IMPLICIT  an implicit supervisor-mode access (descriptor tables, TSS:
 *            4.6), whatever the CPL: SMAP applies even with RFLAGS.AC=1
 *  NO_AD     look only: set no accessed or dirty flag
 */
#define KVMX_PG_P		0x01u	/* error code: the entry was present */
#define KVMX_PG_W		0x02u	/* write */
#define KVMX_PG_U		0x04u	/* user-mode access */
#define KVMX_PG_RSVD		0x08u	/* error code: a reserved bit was set */
#define KVMX_PG_I		0x10u	/* instruction fetch */
#define KVMX_PG_PK		0x20u	/* error code: protection key */
#define KVMX_PG_IMPLICIT	0x10000u
#define KVMX_PG_NO_AD		0x20000u

/*
 * Guest memory for the walker.  Both work on one naturally aligned entry
 * of @size bytes (4 with 32-bit paging, else 8), little-endian.
 * read_pte	0, or non-zero if nothing can be read there (the walk
 *		then faults as if the entry were not present).
 * cmpxchg_pte	atomically replace @old by @new: 0 done, 1 the entry no
 *		longer held @old (the walker walks again), negative if the
 *		entry cannot be written (read-only memory: the flag update
 *		is dropped, as a write to ROM would be).
 */
struct kvmx_paging_ops {
	int (*read_pte)(void *opaque, u64 gpa, u64 *pte, unsigned int size);
	int (*cmpxchg_pte)(void *opaque, u64 gpa, u64 old, u64 new,
			   unsigned int size);
};

/* The state a walk depends on; the caller copies it from the vCPU. */
struct kvmx_paging {
	u64 cr0, cr3, cr4, efer;
	u64 pdptes[4];		/* PAE paging: the PDPTE registers (4.4.1) */
	bool ac;		/* RFLAGS.AC */
	u8 cpl;
	u8 maxphyaddr;		/* CPUID 0x80000008 EAX[7:0]; 0: 52 */
	bool no_gbpages;	/* CPUID 0x80000001 EDX.26 clear: PS in a
				 * PDPTE is reserved */
	u32 pkru;
	const struct kvmx_paging_ops *ops;
	void *opaque;
};

enum kvmx_paging_result {
	KVMX_PG_OK,		/* *gpa is the translation */
	KVMX_PG_FAULT,		/* #PF with *error, CR2 = the address */
	KVMX_PG_RETRY,		/* entries kept changing under us: try later */
};

/*
 * Translate @la for @access (KVMX_PG_W/U/I/IMPLICIT/NO_AD).  The caller
 * has checked that @la is canonical; with 32-bit and PAE paging only its
 * low 32 bits count.
 */
enum kvmx_paging_result kvmx_paging_walk(const struct kvmx_paging *p, u64 la,
					 u32 access, u64 *gpa, u32 *error);

#endif /* KVMX_PAGING_H */
