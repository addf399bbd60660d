/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state of one instruction the emulator runs for a vCPU, kept across
 * the exits to the VMM it needs, and what the files of the glue between
 * the emulator and the vCPU share: emulation.c runs it, mmio.c answers
 * its memory accesses, pio_emulate.c its port accesses (INS/OUTS),
 * vregs.c its vector registers.
 */
#ifndef KVMX_EMULATION_H
#define KVMX_EMULATION_H

#include <kvmx/core_private.h>
#include "emulate/emulate.h"
#include "emulate/paging.h"

/*
 * One MMIO access handed to the VMM, or a part of a bigger one:
 * KVM_EXIT_MMIO carries at most 8 bytes, so a 16- or 32-byte vector
 * access goes out in 8-byte parts, and an access that crosses a page is
 * cut there too.
 */
struct kvmx_mmio_part {
	u64 gpa;
	u8 len;
	u8 data[8];
};

/* a 64-byte access in 8-byte parts, one more where it crosses a page */
#define KVMX_EMUL_PARTS	9
/* the writes of one instruction: a REP INSB batch writes 64 elements */
#define KVMX_EMUL_WRITES	72

enum kvmx_emul_exit {
	KVMX_EMUL_EXIT_NONE,
	KVMX_EMUL_EXIT_MMIO,
	KVMX_EMUL_EXIT_PIO,
};

/* The largest REP INS/OUTS batch the emulator asks for (emulate.h). */
#define KVMX_EMUL_PIO_MAX	64

/* kvmx_emulation.hint_access */
#define KVMX_EMUL_HINT_READ	1
#define KVMX_EMUL_HINT_WRITE	2

struct kvmx_emulation {
	struct kvmx_emu_ctxt ctxt;	/* its replay buffer survives exits */
	bool active;			/* waiting for the VMM's answer */
	u64 rip;			/* where it is */
	bool failed;			/* a callback could not go on */
	/*
	 * The guest's paging registers for the walks of this run, taken at
	 * its first translation (mmio.c): the instruction's fetch and data
	 * accesses share them, as nothing the emulator does changes them.
	 */
	bool paging_loaded;
	struct kvmx_paging paging;
	/*
	 * For this run's first data access only: the guest-physical address
	 * of the access whose TDP fault led here, and whether it was a write
	 * (mmio.c).  0 in hint_access: none.
	 */
	u8 hint_access;
	u64 hint_gpa;

	/* the access handed to the VMM by this run */
	enum kvmx_emul_exit exit;
	bool is_write;			/* MMIO write or OUT */
	u64 gpa;			/* MMIO */
	u8 len;
	u8 data[8];
	u16 port;			/* PIO */
	u8 pio_size;
	u8 pio_count;

	/*
	 * What this instruction already got across its exits, for when it
	 * runs again.  The VMM's answers to the parts of the MMIO read being
	 * done: once that read completes, the emulator keeps its data
	 * (replay) and the answers go, so a later read of the same address
	 * (CMPS of one register with itself) is a read of its own.  The
	 * MMIO writes handed over (or coalesced), by address, so that none
	 * is sent twice when the instruction runs again.  And the data of
	 * the last IN batch, used once.
	 */
	struct kvmx_mmio_part answers[KVMX_EMUL_PARTS];
	struct kvmx_mmio_part written[KVMX_EMUL_WRITES];
	unsigned int nr_answers, nr_written;
	bool pio_answered;
	u16 pio_answer_port;
	u8 pio_answer_size, pio_answer_count;
	u8 pio_answer[KVMX_EMUL_PIO_MAX];
};

static inline struct kvmx_vcpu *emul_vcpu(struct kvmx_emu_ctxt *ctxt)
{
	return ctxt->opaque;
}

static inline struct kvmx_emulation *emul_of(struct kvmx_emu_ctxt *ctxt)
{
	return emul_vcpu(ctxt)->emul;
}

/* A callback that cannot go on: the instruction ends in an error exit. */
static inline int emul_fail(struct kvmx_emu_ctxt *ctxt)
{
	emul_of(ctxt)->failed = true;
	return KVMX_EMU_USER;
}

/* guest_paging.c: kvmx_gva_to_gpa() with the state taken beforehand */
void kvmx_paging_state_regs(struct kvmx_vcpu *vcpu, struct kvmx_paging *p,
			    u64 cr0, u64 cr4, u64 efer, u8 cpl);
int kvmx_gva_to_gpa_with(struct kvmx_vcpu *vcpu, const struct kvmx_paging *p,
			 u64 la, u32 access, u64 *gpa, u32 *error);

/* mmio.c */
int kvmx_emul_fetch(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		    unsigned int len);
int kvmx_emul_read(struct kvmx_emu_ctxt *ctxt, u64 la, void *buf,
		   unsigned int len);
int kvmx_emul_write(struct kvmx_emu_ctxt *ctxt, u64 la, const void *buf,
		    unsigned int len);
int kvmx_emul_cmpxchg(struct kvmx_emu_ctxt *ctxt, u64 la, void *old,
		      const void *new, unsigned int len);
void kvmx_emul_fill_mmio_exit(struct kvmx_vcpu *vcpu,
			      struct kvmx_emulation *e);
void kvmx_emul_mmio_answered(struct kvmx_vcpu *vcpu,
			     struct kvmx_emulation *e);

/* pio_emulate.c */
int kvmx_emul_pio_in(struct kvmx_emu_ctxt *ctxt, u16 port, void *buf,
		     unsigned int size, unsigned int count);
int kvmx_emul_pio_out(struct kvmx_emu_ctxt *ctxt, u16 port, const void *buf,
		      unsigned int size, unsigned int count);
void kvmx_emul_fill_pio_exit(struct kvmx_vcpu *vcpu,
			     struct kvmx_emulation *e);
void kvmx_emul_pio_answered(struct kvmx_vcpu *vcpu,
			    struct kvmx_emulation *e);

/* vregs.c */
int kvmx_emul_get_vreg(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
		       void *buf, unsigned int bytes);
int kvmx_emul_set_vreg(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
		       const void *buf, unsigned int bytes);

#endif /* KVMX_EMULATION_H */
