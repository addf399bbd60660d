// SPDX-License-Identifier: GPL-2.0-only
/*
 * INS and OUTS against the fake ports of emu_env.c: REP batches (64
 * bytes, one page, the address-size wrap), DF, the operand sizes, the
 * fixed ES of INS and the overridable source of OUTS, the exit protocol
 * (one batch per exit, IN answered on the next run, port data replayed
 * when a later access exits) and segment-limit faults part way.
 */
#include <string.h>
#include "emu_tests.h"

static void pio_done(struct env *e)
{
	e->g.pio_pending = false;
}

static void test_ins_batches(void)
{
	const unsigned int at = 0x1000 - 10;	/* 10 bytes before a page */
	unsigned int i;
	struct env e;
	int r;

	begin("emu.ins_outs_batches");
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RDX] = 0xffff0060;	/* the port is DX */
	e.c.regs[KVMX_EMU_RDI] = MEM_BASE + at;
	e.c.regs[KVMX_EMU_RCX] = 100;
	r = RUN(&e, 0xf3, 0x6c);			/* rep insb */
	EQ("rep insb", r, KVMX_EMU_OK);
	EQ("rep insb calls", e.g.pio_ins, 3);		/* 10, 64, 26 */
	EQ("rep insb last count", e.g.pio_count, 26);
	EQ("rep insb port", e.g.pio_port, 0x60);
	EQ("rep insb rdi", e.c.regs[KVMX_EMU_RDI], MEM_BASE + at + 100);
	EQ("rep insb rcx", e.c.regs[KVMX_EMU_RCX], 0);
	EQ("rep insb rip", e.c.rip, CODE_AT + 2);
	for (i = 0; i < 100 && mem[at + i] == i; i++)
		;
	EQ("rep insb data", i, 100);
	/* DF = 1: element n goes below element n - 1. */
	e.g.pio_next = 0;
	e.g.pio_ins = 0;
	e.c.rflags |= 0x400;
	e.c.regs[KVMX_EMU_RDI] = MEM_BASE + 0x100;
	e.c.regs[KVMX_EMU_RCX] = 4;
	r = RUN(&e, 0xf3, 0x66, 0x6d);			/* rep insw */
	EQ("df insw calls", e.g.pio_ins, 1);
	EQ("df insw size", e.g.pio_size, 2);
	EQ("df insw 0", mem[0x100] | mem[0x101] << 8, 0x0100);
	EQ("df insw 1", mem[0xfe] | mem[0xff] << 8, 0x0302);
	EQ("df insw 3", mem[0xfa] | mem[0xfb] << 8, 0x0706);
	EQ("df insw rdi", e.c.regs[KVMX_EMU_RDI], MEM_BASE + 0xf8);
	/* REX.W does not make a 64-bit INS. */
	e.c.rflags &= ~0x400ULL;
	r = RUN(&e, 0x48, 0x6d);			/* insd */
	EQ("rex.w insd", e.g.pio_size, 4);
	EQ("rex.w insd rdi", e.c.regs[KVMX_EMU_RDI], MEM_BASE + 0xfc);
	/* OUTS, DF = 1, from an element straddling a page downwards. */
	e.c.rflags |= 0x400;
	e.c.regs[KVMX_EMU_RSI] = MEM_BASE + 0x1ffe;
	e.c.regs[KVMX_EMU_RCX] = 3;
	e.g.pio_outs = 0;
	e.g.pio_log_len = 0;
	memcpy(mem + 0x1ff6, (u8[]){ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 },
	       12);
	r = RUN(&e, 0xf3, 0x6f);			/* rep outsd */
	EQ("df outsd", r, KVMX_EMU_OK);
	EQ("df outsd calls", e.g.pio_outs, 2);		/* 1 straddling, 2 */
	EQ("df outsd log", e.g.pio_log_len, 12);
	EQ("df outsd first", e.g.pio_log[0], 9);
	EQ("df outsd second", e.g.pio_log[4], 5);
	EQ("df outsd third", e.g.pio_log[8], 1);
	EQ("df outsd rsi", e.c.regs[KVMX_EMU_RSI], MEM_BASE + 0x1ff2);
	/* Upwards to a page end: 5 then 5. */
	e.c.rflags &= ~0x400ULL;
	e.c.regs[KVMX_EMU_RSI] = MEM_BASE + 0x3000 - 5;
	e.c.regs[KVMX_EMU_RCX] = 10;
	e.g.pio_outs = 0;
	r = RUN(&e, 0xf3, 0x6e);			/* rep outsb */
	EQ("outsb page calls", e.g.pio_outs, 2);
	EQ("outsb page last", e.g.pio_count, 5);
	/* A REPNE is not defined, LOCK is #UD. */
	r = RUN(&e, 0xf2, 0x6c);
	EQ("repne ins", r, KVMX_EMU_UNHANDLED);
	r = RUN(&e, 0xf0, 0x6c);
	EQ("lock ins", e.c.exception.vector, KVMX_EMU_VEC_UD);
	EQ("contract", e.g.pio_bad, 0);
	end();
}

static void test_io_segments(void)
{
	struct env e;
	int r;

	begin("emu.ins_outs_segments");
	/* INS always writes ES:eDI; OUTS honours the override. */
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_ES].base = MEM_BASE;
	e.c.seg[KVMX_EMU_FS].base = MEM_BASE + 0x2000;
	e.c.regs[KVMX_EMU_RDI] = 0x10;
	e.c.regs[KVMX_EMU_RSI] = 0x20;
	e.g.pio_next = 0x44;
	r = RUN(&e, 0x64, 0x6c);			/* fs insb */
	EQ("ins es", e.g.last_write, MEM_BASE + 0x10);
	EQ("ins data", mem[0x10], 0x44);
	mem[0x2020] = 0x77;
	r = RUN(&e, 0x64, 0x6e);			/* fs outsb */
	EQ("outs fs", e.g.last_read, MEM_BASE + 0x2020);
	EQ("outs data", e.g.pio_log[0], 0x77);
	EQ("outs esi", e.c.regs[KVMX_EMU_RSI], 0x21);
	/* An ES that is not writable faults before the port is read. */
	e.c.seg[KVMX_EMU_ES].type = 1;
	e.g.pio_ins = 0;
	r = RUN(&e, 0x6c);
	EQ("ro es", e.c.exception.vector, KVMX_EMU_VEC_GP);
	EQ("ro es no in", e.g.pio_ins, 0);
	/* A limit part way: the elements before it are done. */
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.seg[KVMX_EMU_DS].limit = 0x105;
	e.c.regs[KVMX_EMU_RSI] = 0x100;
	e.c.regs[KVMX_EMU_RCX] = 4;
	r = RUN(&e, 0xf3, 0x66, 0x6f);			/* rep outsw */
	EQ("limit", r, KVMX_EMU_EXCEPTION);
	EQ("limit #GP", e.c.exception.vector, KVMX_EMU_VEC_GP);
	EQ("limit done", e.g.pio_log_len, 6);
	EQ("limit ecx", e.c.regs[KVMX_EMU_RCX], 1);
	EQ("limit esi", e.c.regs[KVMX_EMU_RSI], 0x106);
	EQ("limit rip", e.c.rip, CODE_AT);
	/* Real mode: DI wraps at 64 KiB between batches. */
	env_init(&e, KVMX_EMU_MODE_REAL);
	e.c.seg[KVMX_EMU_ES].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RDI] = 0xfffe;
	e.c.regs[KVMX_EMU_RCX] = 4;
	r = RUN(&e, 0xf3, 0x6c);
	EQ("wrap", r, KVMX_EMU_OK);
	EQ("wrap calls", e.g.pio_ins, 2);
	EQ("wrap data", mem[0xfffe] | mem[0xffff] << 8 | mem[0] << 16 |
	   (u32)mem[1] << 24, 0x03020100);
	EQ("wrap di", e.c.regs[KVMX_EMU_RDI], 2);
	EQ("contract", e.g.pio_bad, 0);
	end();
}

static void test_io_exits(void)
{
	const u64 mmio = MEM_BASE + 0x8000;
	struct env e;
	int r;

	begin("emu.ins_outs_exits");
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.g.pio_exits = true;
	e.c.regs[KVMX_EMU_RDX] = 0x3f8;
	/* rep outsw of 40 words: one 64-byte batch per exit. */
	e.c.regs[KVMX_EMU_RSI] = MEM_BASE;
	e.c.regs[KVMX_EMU_RCX] = 40;
	r = RUN(&e, 0xf3, 0x66, 0x6f);
	EQ("outs exit", r, KVMX_EMU_USER);
	EQ("outs first batch", e.g.pio_count, 32);
	EQ("outs rcx", e.c.regs[KVMX_EMU_RCX], 8);
	EQ("outs rsi", e.c.regs[KVMX_EMU_RSI], MEM_BASE + 64);
	EQ("outs rip", e.c.rip, CODE_AT);
	pio_done(&e);
	r = kvmx_emulate(&e.c);
	EQ("outs done", r, KVMX_EMU_OK);
	EQ("outs second batch", e.g.pio_count, 8);
	EQ("outs done rip", e.c.rip, CODE_AT + 3);
	EQ("outs pending", e.g.pio_pending, 1);
	/* rep insb: the IN exits, the next run gets its answer. */
	pio_done(&e);
	e.c.regs[KVMX_EMU_RDI] = MEM_BASE + 0x40;
	e.c.regs[KVMX_EMU_RCX] = 3;
	r = RUN(&e, 0xf3, 0x6c);
	EQ("ins exit", r, KVMX_EMU_USER);
	EQ("ins asked", e.g.pio_count, 3);
	EQ("ins rcx kept", e.c.regs[KVMX_EMU_RCX], 3);
	EQ("ins no write", e.g.writes, 0);
	memcpy(e.g.pio_data, (u8[]){ 9, 8, 7 }, 3);
	e.g.pio_pending = false;
	e.g.pio_have_data = true;
	r = kvmx_emulate(&e.c);
	EQ("ins done", r, KVMX_EMU_OK);
	EQ("ins data", mem[0x40] | mem[0x41] << 8 | mem[0x42] << 16,
	   0x070809);
	EQ("ins rcx", e.c.regs[KVMX_EMU_RCX], 0);
	/* insb to MMIO while an MMIO exit is pending: the IN is replayed. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.g.mmio_base = mmio;
	e.g.mmio_size = 0x1000;
	e.g.pending = true;
	e.g.pio_next = 0x5a;
	e.c.regs[KVMX_EMU_RDI] = mmio + 8;
	r = RUN(&e, 0x6c);
	EQ("ins mmio exit", r, KVMX_EMU_USER);
	EQ("ins mmio in once", e.g.pio_ins, 1);
	EQ("ins mmio replay", e.c.replay_len, 1);
	EQ("ins mmio rdi kept", e.c.regs[KVMX_EMU_RDI], mmio + 8);
	e.g.pending = false;
	r = kvmx_emulate(&e.c);
	EQ("ins mmio done", r, KVMX_EMU_OK);
	EQ("ins mmio still once", e.g.pio_ins, 1);
	EQ("ins mmio write", e.g.pending_addr, mmio + 8);
	EQ("ins mmio data", e.g.pending_data[0], 0x5a);
	EQ("ins mmio rdi", e.c.regs[KVMX_EMU_RDI], mmio + 9);
	EQ("ins mmio replay cleared", e.c.replay_len, 0);
	/* rep outsw from MMIO: each element's read, then its OUT */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.g.mmio_base = mmio;
	e.g.mmio_size = 0x1000;
	e.g.pio_exits = true;
	e.c.regs[KVMX_EMU_RDX] = 0x3f8;
	e.c.regs[KVMX_EMU_RSI] = mmio;
	e.c.regs[KVMX_EMU_RCX] = 3;
	r = RUN(&e, 0xf3, 0x66, 0x6f);
	EQ("outs mmio read exit", r, KVMX_EMU_USER);
	EQ("outs mmio read len", e.g.pending_len, 2);
	e.g.pending = false;
	e.g.have_data = true;
	memcpy(e.g.pending_data, (u8[]){ 0x34, 0x12 }, 2);
	r = kvmx_emulate(&e.c);
	EQ("outs mmio one element", e.g.pio_count, 1);
	EQ("outs mmio data", e.g.pio_log[0] | e.g.pio_log[1] << 8, 0x1234);
	EQ("outs mmio rcx", e.c.regs[KVMX_EMU_RCX], 2);
	EQ("outs mmio rsi", e.c.regs[KVMX_EMU_RSI], mmio + 2);
	EQ("contract", e.g.pio_bad, 0);
	end();
}

void emu_string_io_tests(void)
{
	test_ins_batches();
	test_io_segments();
	test_io_exits();
}
