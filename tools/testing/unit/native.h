/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running one instruction on this machine's CPU (native.c): the
 * instruction is copied between a prologue that loads all sixteen GPRs and
 * RFLAGS and an epilogue that stores them, in a region below 2 GiB that
 * also holds the data the instruction addresses.
 */
#ifndef KVMX_UNIT_NATIVE_H
#define KVMX_UNIT_NATIVE_H

#include "unit.h"

#define NATIVE_DATA_SIZE	0x2000

struct native_run {
	u64 regs[16];
	u64 rflags;
};

/* Set up the region, the signal handlers and GS; false if impossible. */
bool native_init(char *why, size_t why_len);
/* Where the instruction will sit, and the data it may address. */
u64 native_insn_addr(void);
u8 *native_data(void);
u64 native_fs_base(void);
u64 native_gs_base(void);
/* The bytes at and after the instruction, as a prefetch would see them. */
const u8 *native_code(void);
u64 native_code_base(void);
size_t native_code_size(void);
/*
 * Run insn with the registers and flags in *st, leaving the results in
 * *st.  Returns 0, or the signal the instruction raised.
 */
int native_exec(const u8 *insn, unsigned int len, struct native_run *st);
/* CPUID says AuthenticAMD (undefined flags are compared as AMD's). */
bool native_cpu_is_amd(void);

#endif /* KVMX_UNIT_NATIVE_H */
