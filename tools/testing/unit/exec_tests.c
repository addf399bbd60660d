// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hand-computed tests of the shifts, MUL/DIV, the stack, MOVBE,
 * CMPXCHG8B/16B, the bit scans and INS/OUTS where the differential tests
 * cannot go: 16- and 32-bit code, real mode, the MMIO exit protocol, and
 * string I/O against fake ports (batching, replay, DF, page and segment
 * limits, address-size wrap).
 */
#include <string.h>
#include "emu_tests.h"

static u64 rd(unsigned int off, unsigned int n)
{
	u64 v = 0;

	memcpy(&v, mem + off, n);
	return v;
}

static void wr(unsigned int off, u64 v, unsigned int n)
{
	memcpy(mem + off, &v, n);
}

#define FLAGS(e)	((e)->c.rflags & 0x8d5)

/* Shifts and rotates in 16- and 32-bit code. */
static void test_shifts(void)
{
	struct env e;
	int r;

	begin("emu.shift_legacy");
	env_init(&e, KVMX_EMU_MODE_REAL);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RBX] = 0x10;
	wr(0x10, 0x8001, 2);
	r = RUN(&e, 0xd1, 0x27);			/* shl word [bx], 1 */
	EQ("shl result", r, KVMX_EMU_OK);
	EQ("shl value", rd(0x10, 2), 0x0002);
	EQ("shl CF OF", e.c.rflags & 0x801, 0x801);
	EQ("shl len", e.c.rip, CODE_AT + 2);
	/* rcr byte by 9 is a full rotate through CF: nothing moves. */
	e.c.rflags = 2 | 1;
	e.c.regs[KVMX_EMU_RCX] = 9;
	wr(0x10, 0x5a, 1);
	r = RUN(&e, 0xd2, 0x1f);			/* rcr byte [bx], cl */
	EQ("rcr9 value", mem[0x10], 0x5a);
	EQ("rcr9 CF", e.c.rflags & 1, 1);
	/* rcl word by 17 likewise; by 1 CF goes in at the bottom. */
	e.c.regs[KVMX_EMU_RCX] = 1;
	wr(0x10, 0x4000, 2);
	r = RUN(&e, 0xd3, 0x17);			/* rcl word [bx], cl */
	EQ("rcl1 value", rd(0x10, 2), 0x8001);
	EQ("rcl1 CF OF", e.c.rflags & 0x801, 0x800);
	/* A count of 0 (after masking to 5 bits): no write, no flags. */
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RAX] = 0x20;
	e.c.rflags = 2 | 0x8d5;
	wr(0x20, 0x12345678, 4);
	r = RUN(&e, 0xc1, 0x20, 0x20);			/* shl [eax], 32 */
	EQ("count 0 result", r, KVMX_EMU_OK);
	EQ("count 0 no write", e.g.writes, 0);
	EQ("count 0 read", e.g.reads, 1);
	EQ("count 0 flags", FLAGS(&e), 0x8d5);
	/* 33 masks to 1. */
	e.c.regs[KVMX_EMU_RDX] = 0x80000000;
	r = RUN(&e, 0xc1, 0xe2, 0x21);			/* shl edx, 33 */
	EQ("mask value", e.c.regs[KVMX_EMU_RDX], 0);
	EQ("mask ZF CF", e.c.rflags & 0x41, 0x41);
	/* sar of a negative byte by more than its width: all ones, CF 1. */
	e.c.regs[KVMX_EMU_RBX] = 0x80;
	r = RUN(&e, 0xc0, 0xfb, 0x0c);			/* sar bl, 12 */
	EQ("sar fill", e.c.regs[KVMX_EMU_RBX], 0xff);
	EQ("sar CF", e.c.rflags & 1, 1);
	/* ror by the width: the data stays, CF is the MSB. */
	e.c.regs[KVMX_EMU_RBX] = 0x81;
	r = RUN(&e, 0xc0, 0xcb, 0x08);			/* ror bl, 8 */
	EQ("ror8", e.c.regs[KVMX_EMU_RBX], 0x81);
	EQ("ror8 CF", e.c.rflags & 1, 1);
	/* shld/shrd in 16-bit code. */
	env_init(&e, KVMX_EMU_MODE_PROT16);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RBX] = 0x30;
	e.c.regs[KVMX_EMU_RAX] = 0xabcd;
	wr(0x30, 0x1234, 2);
	r = RUN(&e, 0x0f, 0xa4, 0x07, 0x04);		/* shld [bx], ax, 4 */
	EQ("shld value", rd(0x30, 2), 0x234a);
	EQ("shld CF", e.c.rflags & 1, 1);
	EQ("shld len", e.c.rip, CODE_AT + 4);
	e.c.regs[KVMX_EMU_RCX] = 8;
	r = RUN(&e, 0x0f, 0xad, 0x07);			/* shrd [bx], ax, cl */
	EQ("shrd value", rd(0x30, 2), 0xcd23);
	/* Shifts take no LOCK. */
	r = RUN(&e, 0xf0, 0xd1, 0x27);
	EQ("lock shl #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	end();
}

/* MUL, IMUL, DIV, IDIV: the register pairs and #DE. */
static void test_muldiv(void)
{
	struct env e;
	int r;

	begin("emu.muldiv");
	env_init(&e, KVMX_EMU_MODE_REAL);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RBX] = 0x10;
	e.c.regs[KVMX_EMU_RAX] = 0x1234;
	e.c.regs[KVMX_EMU_RDX] = 0xffff;
	wr(0x10, 0x0100, 2);
	r = RUN(&e, 0xf7, 0x27);			/* mul word [bx] */
	EQ("mul16", r, KVMX_EMU_OK);
	EQ("mul16 ax", e.c.regs[KVMX_EMU_RAX], 0x3400);
	EQ("mul16 dx", e.c.regs[KVMX_EMU_RDX], 0x0012);
	EQ("mul16 CF OF", e.c.rflags & 0x801, 0x801);
	e.c.regs[KVMX_EMU_RAX] = 0x12ff;
	wr(0x10, 0xff, 1);
	r = RUN(&e, 0xf6, 0x2f);			/* imul byte [bx] */
	EQ("imul8 ax", e.c.regs[KVMX_EMU_RAX], 0x0001);	/* -1 * -1 */
	EQ("imul8 CF OF", e.c.rflags & 0x801, 0);
	/* div byte by zero: #DE, nothing written, rIP kept. */
	e.c.regs[KVMX_EMU_RAX] = 0x0100;
	wr(0x10, 0, 1);
	r = RUN(&e, 0xf6, 0x37);			/* div byte [bx] */
	EQ("div0", r, KVMX_EMU_EXCEPTION);
	EQ("div0 #DE", e.c.exception.vector, KVMX_EMU_VEC_DE);
	EQ("div0 no error code", e.c.exception.error_code_valid, 0);
	EQ("div0 ax", e.c.regs[KVMX_EMU_RAX], 0x0100);
	EQ("div0 rip", e.c.rip, CODE_AT);
	/* 0x10000 / 2 = 0x8000 fits 16 bits; / 1 does not. */
	e.c.regs[KVMX_EMU_RDX] = 1;
	e.c.regs[KVMX_EMU_RAX] = 0;
	wr(0x10, 2, 2);
	r = RUN(&e, 0xf7, 0x37);			/* div word [bx] */
	EQ("div16", e.c.regs[KVMX_EMU_RAX], 0x8000);
	EQ("div16 rem", e.c.regs[KVMX_EMU_RDX], 0);
	e.c.regs[KVMX_EMU_RDX] = 1;
	e.c.regs[KVMX_EMU_RAX] = 0;
	wr(0x10, 1, 2);
	r = RUN(&e, 0xf7, 0x37);
	EQ("div16 overflow", e.c.exception.vector, KVMX_EMU_VEC_DE);
	/* idiv: -128 / 1 fits, 128 / 1 and -128 / -1 do not. */
	e.c.regs[KVMX_EMU_RAX] = 0xff80;
	wr(0x10, 1, 1);
	r = RUN(&e, 0xf6, 0x3f);			/* idiv byte [bx] */
	EQ("idiv -128", r, KVMX_EMU_OK);
	EQ("idiv -128 al ah", e.c.regs[KVMX_EMU_RAX], 0x0080);
	e.c.regs[KVMX_EMU_RAX] = 0x0080;
	r = RUN(&e, 0xf6, 0x3f);
	EQ("idiv 128", e.c.exception.vector, KVMX_EMU_VEC_DE);
	e.c.regs[KVMX_EMU_RAX] = 0xff80;
	wr(0x10, 0xff, 1);
	r = RUN(&e, 0xf6, 0x3f);
	EQ("idiv -128/-1", e.c.exception.vector, KVMX_EMU_VEC_DE);
	/* The remainder has the dividend's sign: -7 / 2 = -3 rem -1. */
	e.c.regs[KVMX_EMU_RAX] = 0xfff9;
	wr(0x10, 2, 1);
	r = RUN(&e, 0xf6, 0x3f);
	EQ("idiv -7/2", e.c.regs[KVMX_EMU_RAX], 0xfffd);
	/* Three-operand IMUL in 16-bit code. */
	env_init(&e, KVMX_EMU_MODE_PROT16);
	e.c.regs[KVMX_EMU_RBX] = 0x8000;
	r = RUN(&e, 0x6b, 0xc3, 0xff);			/* imul ax, bx, -1 */
	EQ("imul3 ax", e.c.regs[KVMX_EMU_RAX] & 0xffff, 0x8000);
	EQ("imul3 CF OF", e.c.rflags & 0x801, 0x801);
	r = RUN(&e, 0x66, 0x69, 0xc3, 0x02, 0, 0, 0);	/* imul eax, ebx, 2 */
	EQ("imul3 32", e.c.regs[KVMX_EMU_RAX], 0x10000);
	EQ("imul3 32 len", e.c.rip, CODE_AT + 7);
	/* 128-bit dividends in 64-bit mode. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	e.c.regs[KVMX_EMU_RDX] = 1;
	e.c.regs[KVMX_EMU_RAX] = 0;
	wr(0, 2, 8);
	r = RUN(&e, 0x48, 0xf7, 0x33);			/* div qword [rbx] */
	EQ("div64", e.c.regs[KVMX_EMU_RAX], 1ULL << 63);
	EQ("div64 rem", e.c.regs[KVMX_EMU_RDX], 0);
	e.c.regs[KVMX_EMU_RDX] = ~0ULL;			/* -2^64 */
	e.c.regs[KVMX_EMU_RAX] = 0;
	r = RUN(&e, 0x48, 0xf7, 0x3b);			/* idiv qword [rbx] */
	EQ("idiv64 -2^63", e.c.regs[KVMX_EMU_RAX], 1ULL << 63);
	e.c.regs[KVMX_EMU_RDX] = ~0ULL;
	e.c.regs[KVMX_EMU_RAX] = 0;
	wr(0, -2ULL, 8);
	r = RUN(&e, 0x48, 0xf7, 0x3b);
	EQ("idiv64 2^63 #DE", e.c.exception.vector, KVMX_EMU_VEC_DE);
	e.c.regs[KVMX_EMU_RAX] = 0xffffffffffffffffULL;
	wr(0, 0xffffffffffffffffULL, 8);
	r = RUN(&e, 0x48, 0xf7, 0x23);			/* mul qword [rbx] */
	EQ("mul64 lo", e.c.regs[KVMX_EMU_RAX], 1);
	EQ("mul64 hi", e.c.regs[KVMX_EMU_RDX], 0xfffffffffffffffeULL);
	r = RUN(&e, 0xf0, 0xf7, 0x23);
	EQ("lock mul #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	/* The TEST alias /1 takes an immediate. */
	wr(0, 0x80, 1);
	r = RUN(&e, 0xf6, 0x0b, 0x80);			/* test [rbx], 80 */
	EQ("test /1", r, KVMX_EMU_OK);
	EQ("test /1 SF", e.c.rflags & 0xc0, 0x80);
	EQ("test /1 len", e.c.rip, CODE_AT + 3);
	end();
}

/* PUSH/POP r and PUSH imm on 16-, 32- and 64-bit stacks, and on MMIO. */
static void test_push_pop_reg(void)
{
	const u64 mmio = MEM_BASE + 0x8000;
	struct env e;
	int r;

	begin("emu.push_pop_reg");
	env_init(&e, KVMX_EMU_MODE_PROT16);
	e.c.seg[KVMX_EMU_SS].base = MEM_BASE;
	e.c.seg[KVMX_EMU_SS].db = 0;
	e.c.regs[KVMX_EMU_RSP] = 0x12340100;
	e.c.regs[KVMX_EMU_RAX] = 0xbeef;
	r = RUN(&e, 0x50);				/* push ax */
	EQ("push16", r, KVMX_EMU_OK);
	EQ("push16 sp", e.c.regs[KVMX_EMU_RSP], 0x123400fe);
	EQ("push16 data", rd(0xfe, 2), 0xbeef);
	r = RUN(&e, 0x59);				/* pop cx */
	EQ("pop16 cx", e.c.regs[KVMX_EMU_RCX] & 0xffff, 0xbeef);
	EQ("pop16 sp", e.c.regs[KVMX_EMU_RSP], 0x12340100);
	r = RUN(&e, 0x6a, 0xfe);			/* push -2 */
	EQ("push imm8", rd(0xfe, 2), 0xfffe);
	r = RUN(&e, 0x66, 0x6a, 0xfe);			/* push dword -2 */
	EQ("push imm8 32", rd(0xfa, 4), 0xfffffffe);
	EQ("push imm8 32 sp", e.c.regs[KVMX_EMU_RSP] & 0xffff, 0xfa);
	r = RUN(&e, 0x66, 0x5c);			/* pop esp */
	EQ("pop esp", e.c.regs[KVMX_EMU_RSP] & 0xffff, 0xfffe);
	/* A 32-bit stack. */
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.regs[KVMX_EMU_RSP] = MEM_BASE + 0x200;
	r = RUN(&e, 0x68, 0x78, 0x56, 0x34, 0x12);	/* push 0x12345678 */
	EQ("push imm32", rd(0x1fc, 4), 0x12345678);
	EQ("push imm32 len", e.c.rip, CODE_AT + 5);
	r = RUN(&e, 0x54);				/* push esp */
	EQ("push esp", rd(0x1f8, 4), MEM_BASE + 0x1fc);
	/* 64-bit: REX.B, 66, and 68 sign-extended. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RSP] = MEM_BASE + 0x300;
	e.c.regs[KVMX_EMU_R12] = 0x1122334455667788ULL;
	r = RUN(&e, 0x41, 0x54);			/* push r12 */
	EQ("push r12", rd(0x2f8, 8), 0x1122334455667788ULL);
	r = RUN(&e, 0x66, 0x41, 0x58);			/* pop r8w */
	EQ("pop r8w", e.c.regs[KVMX_EMU_R8] & 0xffff, 0x7788);
	EQ("pop r8w rsp", e.c.regs[KVMX_EMU_RSP], MEM_BASE + 0x2fa);
	r = RUN(&e, 0x68, 0x00, 0x00, 0x00, 0x80);	/* push -2^31 */
	EQ("push imm sext", rd(0x2f2, 8), 0xffffffff80000000ULL);
	/* The stack on MMIO: a push is the pending write, a pop exits. */
	e.g.mmio_base = mmio;
	e.g.mmio_size = 0x1000;
	e.c.regs[KVMX_EMU_RSP] = mmio + 0x100;
	e.c.regs[KVMX_EMU_RBX] = 0xabcdef;
	r = RUN(&e, 0x53);				/* push rbx */
	EQ("mmio push", r, KVMX_EMU_OK);
	EQ("mmio push addr", e.g.pending_addr, mmio + 0xf8);
	EQ("mmio push len", e.g.pending_len, 8);
	EQ("mmio push rsp", e.c.regs[KVMX_EMU_RSP], mmio + 0xf8);
	e.g.pending = false;
	r = RUN(&e, 0x5f);				/* pop rdi */
	EQ("mmio pop exits", r, KVMX_EMU_USER);
	EQ("mmio pop rsp kept", e.c.regs[KVMX_EMU_RSP], mmio + 0xf8);
	memcpy(e.g.pending_data, (u8[]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 8);
	e.g.pending = false;
	e.g.have_data = true;
	r = kvmx_emulate(&e.c);
	EQ("mmio pop done", r, KVMX_EMU_OK);
	EQ("mmio pop rdi", e.c.regs[KVMX_EMU_RDI], 0x0807060504030201ULL);
	EQ("mmio pop rsp", e.c.regs[KVMX_EMU_RSP], mmio + 0x100);
	r = RUN(&e, 0xf0, 0x50);
	EQ("lock push #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	end();
}

/* MOVBE, CMPXCHG8B/16B and the bit scans outside the diff tests' reach. */
static void test_misc(void)
{
	struct env e;
	int r;

	begin("emu.movbe_cmpxchg8b_bits");
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RBX] = 0x40;
	wr(0x40, 0x11223344, 4);
	r = RUN(&e, 0x0f, 0x38, 0xf0, 0x03);		/* movbe eax, [ebx] */
	EQ("movbe load", e.c.regs[KVMX_EMU_RAX], 0x44332211);
	e.c.regs[KVMX_EMU_RCX] = 0xaabb;
	r = RUN(&e, 0x66, 0x0f, 0x38, 0xf1, 0x0b);	/* movbe [ebx], cx */
	EQ("movbe store16", rd(0x40, 4), 0x1122bbaa);
	r = RUN(&e, 0x0f, 0x38, 0xf0, 0xc3);		/* register form */
	EQ("movbe reg #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	/* cmpxchg8b: equal stores ECX:EBX, unequal loads EDX:EAX. */
	e.c.regs[KVMX_EMU_RSI] = 0x50;
	wr(0x50, 0x0102030405060708ULL, 8);
	e.c.regs[KVMX_EMU_RAX] = 0x05060708;
	e.c.regs[KVMX_EMU_RDX] = 0x01020304;
	e.c.regs[KVMX_EMU_RBX] = 0xaaaaaaaa;
	e.c.regs[KVMX_EMU_RCX] = 0xbbbbbbbb;
	r = RUN(&e, 0xf0, 0x0f, 0xc7, 0x0e);		/* lock cmpxchg8b */
	EQ("cx8 equal", r, KVMX_EMU_OK);
	EQ("cx8 stored", rd(0x50, 8), 0xbbbbbbbbaaaaaaaaULL);
	EQ("cx8 ZF", e.c.rflags & 0x40, 0x40);
	r = RUN(&e, 0x0f, 0xc7, 0x0e);
	EQ("cx8 unequal ZF", e.c.rflags & 0x40, 0);
	EQ("cx8 eax", e.c.regs[KVMX_EMU_RAX], 0xaaaaaaaa);
	EQ("cx8 edx", e.c.regs[KVMX_EMU_RDX], 0xbbbbbbbb);
	EQ("cx8 memory kept", rd(0x50, 8), 0xbbbbbbbbaaaaaaaaULL);
	/* Another CPU changes memory between the read and the LOCKed write. */
	wr(0x50, 0x0102030405060708ULL, 8);
	e.c.regs[KVMX_EMU_RAX] = 0x05060708;
	e.c.regs[KVMX_EMU_RDX] = 0x01020304;
	e.g.cmpxchg_races = 1;
	r = RUN(&e, 0xf0, 0x0f, 0xc7, 0x0e);
	EQ("cx8 race", r, KVMX_EMU_OK);
	EQ("cx8 race ZF", e.c.rflags & 0x40, 0);
	EQ("cx8 race eax", e.c.regs[KVMX_EMU_RAX], 0x05060709);
	EQ("cx8 race memory", rd(0x50, 8), 0x0102030405060709ULL);
	e.g.cmpxchg_races = 100;
	r = RUN(&e, 0xf0, 0x0f, 0xc7, 0x0e);
	EQ("cx8 races retry", r, KVMX_EMU_RETRY);
	EQ("cx8 races rip", e.c.rip, CODE_AT);
	e.g.cmpxchg_races = 0;
	r = RUN(&e, 0x0f, 0xc7, 0xce);			/* register form */
	EQ("cx8 reg #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	/* cmpxchg16b: 16 bytes through cmpxchg, aligned or #GP(0). */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RDI] = MEM_BASE + 0x60;
	wr(0x60, 1, 8);
	wr(0x68, 2, 8);
	e.c.regs[KVMX_EMU_RAX] = 1;
	e.c.regs[KVMX_EMU_RDX] = 2;
	e.c.regs[KVMX_EMU_RBX] = 3;
	e.c.regs[KVMX_EMU_RCX] = 4;
	r = RUN(&e, 0xf0, 0x48, 0x0f, 0xc7, 0x0f);	/* lock cmpxchg16b */
	EQ("cx16", r, KVMX_EMU_OK);
	EQ("cx16 lo", rd(0x60, 8), 3);
	EQ("cx16 hi", rd(0x68, 8), 4);
	EQ("cx16 ZF", e.c.rflags & 0x40, 0x40);
	e.c.regs[KVMX_EMU_RDI] = MEM_BASE + 0x68;
	e.g.reads = 0;
	r = RUN(&e, 0x48, 0x0f, 0xc7, 0x0f);
	EQ("cx16 misaligned", e.c.exception.vector, KVMX_EMU_VEC_GP);
	EQ("cx16 misaligned code", e.c.exception.error_code, 0);
	EQ("cx16 misaligned no read", e.g.reads, 0);
	/* popcnt/lzcnt/bsr in real mode with a memory source. */
	env_init(&e, KVMX_EMU_MODE_REAL);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RBX] = 0x70;
	wr(0x70, 0x00f0, 2);
	r = RUN(&e, 0xf3, 0x0f, 0xb8, 0x07);		/* popcnt ax, [bx] */
	EQ("popcnt", e.c.regs[KVMX_EMU_RAX] & 0xffff, 4);
	r = RUN(&e, 0xf3, 0x0f, 0xbd, 0x07);		/* lzcnt ax, [bx] */
	EQ("lzcnt", e.c.regs[KVMX_EMU_RAX] & 0xffff, 8);
	r = RUN(&e, 0x0f, 0xbd, 0x07);			/* bsr ax, [bx] */
	EQ("bsr", e.c.regs[KVMX_EMU_RAX] & 0xffff, 7);
	wr(0x70, 0, 2);
	e.c.regs[KVMX_EMU_RAX] = 0x1234;
	r = RUN(&e, 0x0f, 0xbc, 0x07);			/* bsf ax, [bx] */
	EQ("bsf zero keeps", e.c.regs[KVMX_EMU_RAX], 0x1234);
	EQ("bsf zero ZF", e.c.rflags & 0x40, 0x40);
	r = RUN(&e, 0xf3, 0x0f, 0xbc, 0x07);		/* tzcnt ax, [bx] */
	EQ("tzcnt zero", e.c.regs[KVMX_EMU_RAX], 16);
	EQ("tzcnt zero CF", e.c.rflags & 1, 1);
	/* a CPU without BMI1/LZCNT ignores the F3: BSF/BSR */
	e.c.no_tzcnt = e.c.no_lzcnt = true;
	e.c.regs[KVMX_EMU_RAX] = 0x1234;
	r = RUN(&e, 0xf3, 0x0f, 0xbc, 0x07);		/* rep bsf ax, [bx] */
	EQ("rep bsf zero keeps", e.c.regs[KVMX_EMU_RAX], 0x1234);
	EQ("rep bsf zero ZF", e.c.rflags & 0x40, 0x40);
	wr(0x70, 0x00f0, 2);
	r = RUN(&e, 0xf3, 0x0f, 0xbd, 0x07);		/* rep bsr ax, [bx] */
	EQ("rep bsr", e.c.regs[KVMX_EMU_RAX] & 0xffff, 7);
	end();
}

void emu_exec_tests(void)
{
	test_shifts();
	test_muldiv();
	test_push_pop_reg();
	test_misc();
	emu_string_io_tests();
}
