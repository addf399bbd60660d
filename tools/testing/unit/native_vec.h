/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running one SSE or AVX instruction on this CPU (native_vec.c): native.c's
 * runner with the sixteen XMM (or, with AVX, YMM) registers loaded before
 * the instruction and stored after it.
 */
#ifndef KVMX_UNIT_NATIVE_VEC_H
#define KVMX_UNIT_NATIVE_VEC_H

#include "native.h"

struct native_vec {
	u8 v[16][32];		/* YMM0-15; only bytes 15:0 without AVX */
};

/* native_init() and the vector state page; false (with why) if impossible. */
bool native_vec_init(char *why, size_t why_len);
/* Whether the CPU and OS run AVX (VEX), AVX2 and SSE4.1 instructions. */
bool native_has_avx(void);
bool native_has_avx2(void);
bool native_has_sse41(void);
/* Where the instruction sits (after the register loads). */
u64 native_vec_insn_addr(void);
/*
 * Run insn with the GPRs and flags of *st and the vector registers of *v;
 * both get the results.  Returns 0 or the signal the instruction raised.
 */
int native_vec_exec(const u8 *insn, unsigned int len, struct native_run *st,
		    struct native_vec *v);

/* vector_diff.c: the differential tests of the vector moves. */
void emu_vector_diff_tests(void);

#endif /* KVMX_UNIT_NATIVE_VEC_H */
