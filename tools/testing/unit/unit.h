/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The unit tests' shared pieces: result lines (PASS/FAIL/SKIP name, as
 * tools/testing/rig/check-run.sh reads them), a seeded random generator,
 * and the fake guest the emulator runs against (emu_env.c).
 */
#ifndef KVMX_UNIT_H
#define KVMX_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include "emulate.h"

extern unsigned int unit_passed, unit_failed, unit_skipped;
extern int unit_verbose;
extern u64 unit_seed;

void unit_pass(const char *name);
void unit_fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void unit_skip(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A detail line for a failing test (printed before its FAIL line). */
void unit_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct unit_rng {
	u64 s;
};

static inline u64 rng64(struct unit_rng *r)
{
	/* splitmix64: fast, and every seed gives a good sequence. */
	u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline u32 rng_below(struct unit_rng *r, u32 n)
{
	return n ? (u32)(rng64(r) % n) : 0;
}

/* The vectors kvmx_emulate() itself may raise (emulate.h). */
static inline bool emu_vector_expected(u8 vector)
{
	switch (vector) {
	case KVMX_EMU_VEC_DE:
	case KVMX_EMU_VEC_UD:
	case KVMX_EMU_VEC_NM:
	case KVMX_EMU_VEC_SS:
	case KVMX_EMU_VEC_GP:
	case KVMX_EMU_VEC_PF:
	case KVMX_EMU_VEC_AC:
		return true;
	default:
		return false;
	}
}

/*
 * The fake guest: one flat range of linear addresses backed by a buffer,
 * a code window for fetches, and optionally an MMIO range that behaves
 * as the kernel's MMIO path will: a read returns KVMX_EMU_USER until the
 * test supplies its data, the first write is recorded as the pending exit,
 * and any MMIO access while an exit is pending returns KVMX_EMU_USER.
 */
struct fake_guest {
	u64 base;
	size_t size;
	u8 *mem;
	u64 code_base;
	size_t code_size;
	const u8 *code;

	u64 mmio_base;
	size_t mmio_size;
	bool pending;			/* an MMIO exit is queued */
	bool pending_write;
	u64 pending_addr;
	unsigned int pending_len;
	u8 pending_data[64];
	bool have_data;			/* userspace answered the read */
	u64 mmio_reads, mmio_writes;

	bool no_cmpxchg;		/* leave ops->cmpxchg NULL */
	unsigned int cmpxchg_races;	/* "another CPU" flips a bit first */
	unsigned int fetches, reads, writes;
	u64 last_read, last_write;	/* linear addresses seen */
	u64 last_fetch;
	unsigned int last_fetch_len;

	/*
	 * Ports for INS/OUTS (fake_ops, fake_ops_nocmpxchg).  Without
	 * pio_exits, IN gives the bytes pio_next, pio_next + 1, ... and OUT
	 * appends to pio_log.  With it, the exit protocol as for MMIO: IN
	 * returns KVMX_EMU_USER until the test answers the same port, size
	 * and count (pio_have_data), OUT queues the exit, and any call while
	 * one is pending is USER.
	 */
	bool pio_exits;
	bool pio_pending, pio_have_data;
	u16 pio_port;
	unsigned int pio_size, pio_count;
	u8 pio_data[64];		/* the answer, or what OUT sent */
	u8 pio_next;
	u8 pio_log[4096];
	unsigned int pio_log_len;
	unsigned int pio_ins, pio_outs;	/* calls */
	unsigned int pio_bad;		/* calls outside the contract */

	/* Vector registers for fake_ops_vec (YMM0-15, little-endian). */
	u8 vregs[16][32];
	unsigned int vreg_reads, vreg_writes;
	unsigned int vreg_bad;		/* calls outside the contract */
};

extern const struct kvmx_emu_ops fake_ops;
extern const struct kvmx_emu_ops fake_ops_nocmpxchg;
/* fake_ops with get_vreg/set_vreg on g->vregs. */
extern const struct kvmx_emu_ops fake_ops_vec;

/* Flat 64-bit user mode: CS.L, data segments with base 0, CPL 3. */
void fake_ctxt64(struct kvmx_emu_ctxt *c, struct fake_guest *g);
/* A flat segment of the given type and D/B, limit 4 GiB - 1. */
void fake_seg(struct kvmx_emu_seg *s, u64 base, u32 limit, u8 type, u8 db);

void emu_decode_tests(void);
void emu_diff_tests(void);
void emu_fuzz_tests(void);
void paging_tests(void);
void emu_vector_tests(void);

#endif /* KVMX_UNIT_H */
