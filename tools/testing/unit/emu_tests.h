/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The hand-computed emulator tests' shared pieces (decode_tests.c has
 * them, exec_tests.c uses them too): a fake guest with flat memory at
 * MEM_BASE and the instruction at CODE_AT, running one instruction, and
 * expectations that name what differed.
 */
#ifndef KVMX_UNIT_EMU_TESTS_H
#define KVMX_UNIT_EMU_TESTS_H

#include "unit.h"

#define MEM_BASE	0x10000ULL
#define MEM_SIZE	0x20000
#define CODE_AT		0x1000ULL	/* rIP of the test instruction */

extern u8 mem[MEM_SIZE];
extern u8 code[64];

struct env {
	struct kvmx_emu_ctxt c;
	struct fake_guest g;
};

/* Flat memory at MEM_BASE, code at CODE_AT; CPL 3 in 64-bit mode, else 0. */
void env_init(struct env *e, enum kvmx_emu_mode mode);
/* A new instruction at CODE_AT: no bytes or reads carried over. */
int run(struct env *e, const u8 *insn, unsigned int len);

#define RUN(e, ...) ({ static const u8 _i[] = { __VA_ARGS__ }; \
		       run(e, _i, sizeof(_i)); })

/* One test: begin(name), expectations, end() prints PASS or FAIL. */
void begin(const char *name);
void end(void);
void expect(bool ok, const char *what, unsigned long long got,
	    unsigned long long want);

#define EQ(what, got, want) expect((u64)(got) == (u64)(want), what, \
				   (u64)(got), (u64)(want))

void emu_exec_tests(void);
void emu_string_io_tests(void);

#endif /* KVMX_UNIT_EMU_TESTS_H */
