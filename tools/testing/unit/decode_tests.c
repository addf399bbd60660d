// SPDX-License-Identifier: GPL-2.0-only
/*
 * Targeted emulator tests with hand-computed expectations, for what the
 * differential tests cannot reach from a 64-bit process: 16- and 32-bit
 * addressing and segmentation, limit/type/canonical/alignment faults,
 * over-long instructions, unhandled opcodes, fetch splitting, and the
 * MMIO exit protocol (KVMX_EMU_USER, replay, REP progress per exit).
 * It also holds the helpers of emu_tests.h and runs the instruction tests
 * of exec_tests.c and string_io_tests.c in the same group.
 */
#include <string.h>
#include "emu_tests.h"

u8 mem[MEM_SIZE];
u8 code[64];

/* Flat memory at MEM_BASE, code at CODE_AT, the given mode. */
void env_init(struct env *e, enum kvmx_emu_mode mode)
{
	unsigned int i;
	u8 db = mode == KVMX_EMU_MODE_PROT32 || mode == KVMX_EMU_MODE_COMPAT32;

	memset(&e->g, 0, sizeof(e->g));
	memset(mem, 0, sizeof(mem));
	e->g.base = MEM_BASE;
	e->g.size = MEM_SIZE;
	e->g.mem = mem;
	e->g.code_base = CODE_AT;
	e->g.code_size = sizeof(code);
	e->g.code = code;
	fake_ctxt64(&e->c, &e->g);
	e->c.mode = mode;
	e->c.rip = CODE_AT;
	if (mode == KVMX_EMU_MODE_LONG64)
		return;
	e->c.cpl = 0;
	for (i = 0; i < KVMX_EMU_NR_SREGS; i++)
		fake_seg(&e->c.seg[i], 0, mode == KVMX_EMU_MODE_PROT16 ||
			 mode <= KVMX_EMU_MODE_VM86 ? 0xffff : 0xffffffff,
			 3, db);
	fake_seg(&e->c.seg[KVMX_EMU_CS], 0, 0xffffffff, 0xb, db);
	if (mode == KVMX_EMU_MODE_REAL)
		e->c.cr0 = 0x10;
}

int run(struct env *e, const u8 *insn, unsigned int len)
{
	memset(code, 0x90, sizeof(code));
	memcpy(code, insn, len);
	/* A new instruction: no bytes or reads carried over. */
	e->c.rip = e->g.code_base;
	e->c.insn_len = 0;
	e->c.replay_len = 0;
	memset(&e->c.exception, 0, sizeof(e->c.exception));
	return kvmx_emulate(&e->c);
}

static unsigned int fails;
static const char *cur;

void expect(bool ok, const char *what, unsigned long long got,
	    unsigned long long want)
{
	if (ok)
		return;
	fails++;
	unit_note("%s: %s: got %#llx, want %#llx", cur, what, got, want);
}

void begin(const char *name)
{
	cur = name;
	fails = 0;
}

void end(void)
{
	if (fails)
		unit_fail(cur, "%u expectations failed", fails);
	else
		unit_pass(cur);
}

/* mov ax, [rm16] in each of the eight 16-bit forms (SDM 2 Table 2-1). */
static void test_modrm16(void)
{
	static const struct {
		u8 modrm;
		u8 disp[2];
		unsigned int dlen;
		u64 ea;
		unsigned int seg;
	} t[] = {
		{ 0x00, {}, 0, 0x100 + 0x20, KVMX_EMU_DS },	/* bx+si */
		{ 0x01, {}, 0, 0x100 + 0x30, KVMX_EMU_DS },	/* bx+di */
		{ 0x02, {}, 0, 0x200 + 0x20, KVMX_EMU_SS },	/* bp+si */
		{ 0x03, {}, 0, 0x200 + 0x30, KVMX_EMU_SS },	/* bp+di */
		{ 0x04, {}, 0, 0x20, KVMX_EMU_DS },		/* si */
		{ 0x05, {}, 0, 0x30, KVMX_EMU_DS },		/* di */
		{ 0x06, { 0x34, 0x12 }, 2, 0x1234, KVMX_EMU_DS }, /* disp16 */
		{ 0x07, {}, 0, 0x100, KVMX_EMU_DS },		/* bx */
		{ 0x46, { 0xfe }, 1, 0x200 - 2, KVMX_EMU_SS },	/* bp-2 */
		{ 0x47, { 0x10 }, 1, 0x110, KVMX_EMU_DS },	/* bx+16 */
		{ 0x80, { 0x00, 0xff }, 2, (0x120 + 0xff00) & 0xffff,
		  KVMX_EMU_DS },				/* wraps */
		{ 0x86, { 0x00, 0x10 }, 2, 0x1200, KVMX_EMU_SS }, /* bp+d16 */
	};
	unsigned int i;
	struct env e;
	u8 insn[8];
	int r;

	begin("emu.modrm16");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		env_init(&e, KVMX_EMU_MODE_PROT16);
		e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
		e.c.seg[KVMX_EMU_SS].base = MEM_BASE + 0x10000;
		e.c.regs[KVMX_EMU_RBX] = 0xffff0100;	/* high bits ignored */
		e.c.regs[KVMX_EMU_RBP] = 0x200;
		e.c.regs[KVMX_EMU_RSI] = 0x20;
		e.c.regs[KVMX_EMU_RDI] = 0x30;
		e.c.regs[KVMX_EMU_RAX] = 0xaaaaaaaaaaaaaaaaULL;
		insn[0] = 0x8b;
		insn[1] = t[i].modrm;
		memcpy(insn + 2, t[i].disp, t[i].dlen);
		mem[e.c.seg[t[i].seg].base - MEM_BASE + t[i].ea] = 0x5a;
		mem[e.c.seg[t[i].seg].base - MEM_BASE + t[i].ea + 1] = 0xa5;
		r = run(&e, insn, 2 + t[i].dlen);
		EQ("result", r, KVMX_EMU_OK);
		EQ("linear", e.g.last_read, e.c.seg[t[i].seg].base + t[i].ea);
		EQ("ax", e.c.regs[KVMX_EMU_RAX], 0xaaaaaaaaaaaaa55aULL);
		EQ("ip", e.c.rip, CODE_AT + 2 + t[i].dlen);
	}
	/* 67 in 32-bit code selects 16-bit addressing and back. */
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RBX] = 0x12340040;
	e.c.regs[KVMX_EMU_RSI] = 0x8;
	r = RUN(&e, 0x67, 0x8b, 0x00);			/* mov eax, [bx+si] */
	EQ("67 result", r, KVMX_EMU_OK);
	EQ("67 linear", e.g.last_read, MEM_BASE + 0x48);
	env_init(&e, KVMX_EMU_MODE_PROT16);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RAX] = 0x100;
	e.c.regs[KVMX_EMU_RCX] = 0x10;
	r = RUN(&e, 0x67, 0x66, 0x8b, 0x14, 0x48);	/* [eax+ecx*2] */
	EQ("16/67 result", r, KVMX_EMU_OK);
	EQ("16/67 linear", e.g.last_read, MEM_BASE + 0x120);
	EQ("16/67 len", e.c.rip, CODE_AT + 5);
	end();
}

/* 32-bit addressing, SIB forms and segment bases in protected mode. */
static void test_modrm32(void)
{
	struct env e;
	int r;

	begin("emu.modrm32");
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.seg[KVMX_EMU_SS].base = MEM_BASE + 0x8000;
	e.c.seg[KVMX_EMU_ES].base = MEM_BASE + 0x4000;
	e.c.regs[KVMX_EMU_RAX] = 0x10;
	e.c.regs[KVMX_EMU_RCX] = 0x3;
	e.c.regs[KVMX_EMU_RBP] = 0x100;
	e.c.regs[KVMX_EMU_RSP] = 0x200;
	r = RUN(&e, 0x8b, 0x14, 0x88);		/* mov edx, [eax+ecx*4] */
	EQ("sib", e.g.last_read, MEM_BASE + 0x1c);
	r = RUN(&e, 0x8b, 0x14, 0x8d, 0x00, 0x01, 0, 0); /* [ecx*4+0x100] */
	EQ("sib nobase", e.g.last_read, MEM_BASE + 0x10c);
	r = RUN(&e, 0x8b, 0x55, 0x04);		/* mov edx, [ebp+4]: SS */
	EQ("ebp ss", e.g.last_read, MEM_BASE + 0x8104);
	r = RUN(&e, 0x8b, 0x04, 0x24);		/* mov eax, [esp]: SS */
	EQ("esp ss", e.g.last_read, MEM_BASE + 0x8200);
	r = RUN(&e, 0x26, 0x8b, 0x45, 0x04);	/* es: [ebp+4] */
	EQ("es override", e.g.last_read, MEM_BASE + 0x4104);
	r = RUN(&e, 0x8b, 0x05, 0x00, 0x20, 0, 0);	/* [0x2000]: absolute */
	EQ("disp32", e.g.last_read, MEM_BASE + 0x2000);
	EQ("result", r, KVMX_EMU_OK);
	/* The 32-bit sum wraps (SDM 3A 3.3.6). */
	e.c.regs[KVMX_EMU_RAX] = 0xfffffff0;
	r = RUN(&e, 0x8b, 0x50, 0x20);		/* [eax+0x20] */
	EQ("wrap", e.g.last_read, MEM_BASE + 0x10);
	/* Outside 64-bit mode 05 is disp32, not rIP-relative. */
	e.c.rip = CODE_AT;
	/* 82 is an alias of 80 outside 64-bit mode. */
	e.c.regs[KVMX_EMU_RAX] = 0x10;
	mem[0x10] = 0x7f;
	r = RUN(&e, 0x82, 0x00, 0x01);		/* add byte [eax], 1 */
	EQ("82 result", r, KVMX_EMU_OK);
	EQ("82 value", mem[0x10], 0x80);
	EQ("82 OF", e.c.rflags & 0x800, 0x800);
	end();
}

/* Real mode and VM86: base = selector * 16, 64 KiB limits. */
static void test_real(void)
{
	struct env e;
	int r;

	begin("emu.real_mode");
	env_init(&e, KVMX_EMU_MODE_REAL);
	e.c.seg[KVMX_EMU_DS].base = 0x1000 * 16;
	e.c.seg[KVMX_EMU_DS].selector = 0x1000;
	e.c.regs[KVMX_EMU_RBX] = 0x10;
	e.c.regs[KVMX_EMU_RAX] = 0x1234;
	r = RUN(&e, 0x89, 0x07);		/* mov [bx], ax */
	EQ("result", r, KVMX_EMU_OK);
	EQ("linear", e.g.last_write, 0x10010);
	EQ("data", mem[0x10] | mem[0x11] << 8, 0x1234);
	/* A word at offset FFFF crosses the 64 KiB limit: #GP(0). */
	e.c.regs[KVMX_EMU_RBX] = 0xffff;
	r = RUN(&e, 0x89, 0x07);
	EQ("limit", r, KVMX_EMU_EXCEPTION);
	EQ("limit vector", e.c.exception.vector, KVMX_EMU_VEC_GP);
	EQ("rip kept", e.c.rip, CODE_AT);
	/* ... and #SS(0) through BP. */
	e.c.rip = CODE_AT;
	e.c.regs[KVMX_EMU_RBP] = 0xffff;
	r = RUN(&e, 0x89, 0x46, 0x00);		/* mov [bp+0], ax */
	EQ("ss limit vector", e.c.exception.vector, KVMX_EMU_VEC_SS);
	/* 66 gives 32-bit operands in 16-bit code. */
	e.c.regs[KVMX_EMU_RBX] = 0x20;
	e.c.regs[KVMX_EMU_RAX] = 0x89abcdef;
	r = RUN(&e, 0x66, 0x89, 0x07);
	EQ("66 result", r, KVMX_EMU_OK);
	EQ("66 data", mem[0x20] | mem[0x21] << 8 | mem[0x22] << 16 |
	   (u64)mem[0x23] << 24, 0x89abcdef);
	/* 16-bit rep stosb with CX wrapping DI. */
	env_init(&e, KVMX_EMU_MODE_VM86);
	e.c.seg[KVMX_EMU_ES].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RDI] = 0x1234fffe;
	e.c.regs[KVMX_EMU_RCX] = 0xabcd0003;
	e.c.regs[KVMX_EMU_RAX] = 0x77;
	r = RUN(&e, 0xf3, 0xaa);
	EQ("stos result", r, KVMX_EMU_OK);
	EQ("stos di", e.c.regs[KVMX_EMU_RDI], 0x12340001);
	EQ("stos cx", e.c.regs[KVMX_EMU_RCX], 0xabcd0000);
	EQ("stos wrapped", mem[0], 0x77);
	end();
}

/* Segment limits, expand-down, types and null segments (SDM 3A 5.3/5.4). */
static void test_segments(void)
{
	struct env e;
	int r;

	begin("emu.segment_checks");
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_DS].limit = 0xfff;
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	e.c.seg[KVMX_EMU_DS].base = 0;
	e.c.seg[KVMX_EMU_DS].limit = MEM_BASE + 0xfff;
	r = RUN(&e, 0x8b, 0x83, 0xfc, 0x0f, 0, 0);	/* [ebx+0xffc] */
	EQ("at limit", r, KVMX_EMU_OK);
	r = RUN(&e, 0x8b, 0x83, 0xfd, 0x0f, 0, 0);	/* one byte over */
	EQ("over limit", r, KVMX_EMU_EXCEPTION);
	EQ("over limit #GP", e.c.exception.vector, KVMX_EMU_VEC_GP);
	EQ("error code", e.c.exception.error_code, 0);
	/* Expand-down: offsets above the limit are valid. */
	e.c.rip = CODE_AT;
	e.c.seg[KVMX_EMU_DS].type = 7;			/* RW, expand-down */
	e.c.seg[KVMX_EMU_DS].limit = MEM_BASE + 0xfff;
	r = RUN(&e, 0x8b, 0x83, 0xfc, 0x0f, 0, 0);
	EQ("expand-down below", r, KVMX_EMU_EXCEPTION);
	r = RUN(&e, 0x8b, 0x83, 0x00, 0x10, 0, 0);
	EQ("expand-down above", r, KVMX_EMU_OK);
	e.c.seg[KVMX_EMU_DS].db = 0;			/* upper bound 64K */
	e.c.seg[KVMX_EMU_DS].limit = 0xfff;
	e.c.regs[KVMX_EMU_RBX] = 0xfffe;
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	r = RUN(&e, 0x8b, 0x03);			/* 4 bytes at FFFE */
	EQ("expand-down 64K", r, KVMX_EMU_EXCEPTION);
	/*
	 * A read-only data segment refuses writes, code refuses both
	 * writes and (unless readable) reads.
	 */
	e.c.rip = CODE_AT;
	e.c.seg[KVMX_EMU_DS].type = 1;
	e.c.seg[KVMX_EMU_DS].limit = 0xffffffff;
	e.c.regs[KVMX_EMU_RBX] = 0;
	r = RUN(&e, 0x8b, 0x03);
	EQ("ro read", r, KVMX_EMU_OK);
	r = RUN(&e, 0x89, 0x03);
	EQ("ro write", e.c.exception.vector, KVMX_EMU_VEC_GP);
	EQ("ro write no access", e.g.writes, 0);
	r = RUN(&e, 0x2e, 0x89, 0x03);			/* cs: write */
	EQ("cs write", r, KVMX_EMU_EXCEPTION);
	e.c.seg[KVMX_EMU_CS].type = 0x9;		/* execute-only */
	r = RUN(&e, 0x2e, 0x8b, 0x03);
	EQ("xo read", r, KVMX_EMU_EXCEPTION);
	e.c.seg[KVMX_EMU_CS].type = 0xb;
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	r = RUN(&e, 0x2e, 0x8b, 0x03);
	EQ("cs read", r, KVMX_EMU_OK);
	/* A null segment (loaded with selector 0) faults. */
	e.c.seg[KVMX_EMU_FS].unusable = 1;
	r = RUN(&e, 0x64, 0x8b, 0x03);
	EQ("null fs", e.c.exception.vector, KVMX_EMU_VEC_GP);
	/* ADD to a read-only segment faults before reading. */
	e.g.reads = 0;
	r = RUN(&e, 0x01, 0x03);
	EQ("rmw ro", r, KVMX_EMU_EXCEPTION);
	EQ("rmw ro no read", e.g.reads, 0);
	/* CS limit on fetch. */
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_CS].limit = CODE_AT + 1;
	r = RUN(&e, 0x8b, 0x83, 0, 0, 0, 0);
	EQ("cs limit fetch", r, KVMX_EMU_EXCEPTION);
	EQ("cs limit #GP", e.c.exception.vector, KVMX_EMU_VEC_GP);
	end();
}

/* 64-bit: FS/GS bases, ignored overrides, canonical checks, RIP-relative. */
static void test_long(void)
{
	struct env e;
	int r;

	begin("emu.long_mode_addressing");
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.seg[KVMX_EMU_FS].base = MEM_BASE + 0x100;
	e.c.seg[KVMX_EMU_GS].base = MEM_BASE + 0x200;
	e.c.seg[KVMX_EMU_ES].base = 0x5000;		/* ignored */
	e.c.seg[KVMX_EMU_DS].base = 0x5000;
	e.c.regs[KVMX_EMU_RBX] = 0x10;
	r = RUN(&e, 0x64, 0x8b, 0x03);
	EQ("fs", e.g.last_read, MEM_BASE + 0x110);
	r = RUN(&e, 0x65, 0x8b, 0x03);
	EQ("gs", e.g.last_read, MEM_BASE + 0x210);
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE + 0x10;
	r = RUN(&e, 0x26, 0x8b, 0x03);
	EQ("es ignored", e.g.last_read, MEM_BASE + 0x10);
	r = RUN(&e, 0x64, 0x26, 0x48, 0x8b, 0x03);	/* es after fs */
	EQ("fs kept", e.g.last_read, MEM_BASE + 0x100 + MEM_BASE + 0x10);
	r = RUN(&e, 0x48, 0x66, 0x8b, 0x03);		/* REX then 66 */
	EQ("rex dropped", r, KVMX_EMU_OK);
	/* rip-relative: next rip + disp32, 67 truncates to 32 bits. */
	e.c.rip = CODE_AT;
	r = RUN(&e, 0x8b, 0x05, 0x00, 0xf0, 0, 0);	/* [rip+0xf000] */
	EQ("riprel", e.g.last_read, CODE_AT + 6 + 0xf000);
	e.c.rip = CODE_AT;
	e.c.regs[KVMX_EMU_RAX] = 0xffffffff00000000ULL + MEM_BASE;
	r = RUN(&e, 0x67, 0x8b, 0x00);			/* [eax] */
	EQ("67", e.g.last_read, MEM_BASE);
	/* Non-canonical: #GP(0), or #SS(0) through rSP/rBP. */
	e.c.regs[KVMX_EMU_RBX] = 0x0000800000000000ULL;
	r = RUN(&e, 0x8b, 0x03);
	EQ("noncanonical", r, KVMX_EMU_EXCEPTION);
	EQ("noncanonical #GP", e.c.exception.vector, KVMX_EMU_VEC_GP);
	e.c.regs[KVMX_EMU_RBP] = 0x0000800000000000ULL;
	r = RUN(&e, 0x8b, 0x45, 0x00);
	EQ("noncanonical rbp #SS", e.c.exception.vector, KVMX_EMU_VEC_SS);
	/* The last byte counts too. */
	e.c.regs[KVMX_EMU_RBX] = 0x00007ffffffffffeULL;
	r = RUN(&e, 0x8b, 0x03);
	EQ("crosses canonical", e.c.exception.vector, KVMX_EMU_VEC_GP);
	/* LA57 widens the canonical range. */
	e.c.cr4 = 0x1000;
	e.c.regs[KVMX_EMU_RBX] = 0x0000800000000000ULL;
	r = RUN(&e, 0x8b, 0x03);
	EQ("la57", r, KVMX_EMU_EXCEPTION);
	EQ("la57 is #PF from memory", e.c.exception.vector, KVMX_EMU_VEC_PF);
	/* High byte registers: AH without REX, SPL with it. */
	e.c.cr4 = 0;
	e.c.regs[KVMX_EMU_RAX] = 0x1234;
	e.c.regs[KVMX_EMU_RSP] = 0x5678;
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	r = RUN(&e, 0x88, 0x23);			/* mov [rbx], ah */
	EQ("ah", mem[0], 0x12);
	r = RUN(&e, 0x40, 0x88, 0x23);			/* mov [rbx], spl */
	EQ("spl", mem[0], 0x78);
	end();
}

/* #AC, #PF passing through, over-long instructions, unhandled opcodes. */
static void test_faults(void)
{
	struct env e;
	u8 longi[16];
	int r;

	begin("emu.faults");
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.rflags |= 0x40000;				/* AC */
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE + 2;
	r = RUN(&e, 0x8b, 0x03);
	EQ("#AC", e.c.exception.vector, KVMX_EMU_VEC_AC);
	EQ("#AC code", e.c.exception.error_code, 0);
	e.c.cpl = 0;
	r = RUN(&e, 0x8b, 0x03);
	EQ("no #AC at CPL 0", r, KVMX_EMU_OK);
	/* #PF from the callback, with CR2; registers untouched. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RBX] = 0x7000000;
	e.c.regs[KVMX_EMU_RAX] = 0x11;
	r = RUN(&e, 0x01, 0x03);			/* add [rbx], eax */
	EQ("#PF", e.c.exception.vector, KVMX_EMU_VEC_PF);
	EQ("#PF cr2", e.c.exception.cr2, 0x7000000);
	EQ("#PF rip", e.c.rip, CODE_AT);
	EQ("#PF flags", e.c.rflags, 2);
	/* 15 bytes is the limit: 14 prefixes + opcode decode, 15 + 1 #GP. */
	memset(longi, 0x66, sizeof(longi));
	longi[13] = 0x8b;
	longi[14] = 0x03;
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	r = run(&e, longi, 15);
	EQ("15 bytes", r, KVMX_EMU_OK);
	e.c.rip = CODE_AT;
	longi[14] = 0x66;
	longi[15] = 0x8b;
	r = run(&e, longi, 16);
	EQ("16 bytes", r, KVMX_EMU_EXCEPTION);
	EQ("16 bytes #GP", e.c.exception.vector, KVMX_EMU_VEC_GP);
	EQ("16 bytes seen", e.c.insn_len, 15);
	/* Unhandled: nothing written, rip kept, opcode reported. */
	e.c.rip = CODE_AT;
	r = RUN(&e, 0x0f, 0x0b);			/* ud2 */
	EQ("ud2", r, KVMX_EMU_UNHANDLED);
	EQ("ud2 opcode", e.c.opcode, 0x0f0b);
	r = RUN(&e, 0xf2, 0x0f, 0x38, 0xf0, 0x03);	/* crc32 */
	EQ("crc32", r, KVMX_EMU_UNHANDLED);
	EQ("crc32 opcode", e.c.opcode, 0x38f0);
	r = RUN(&e, 0xc5, 0xfe, 0x6f, 0x03);		/* vmovdqu */
	EQ("vex", r, KVMX_EMU_UNHANDLED);
	r = RUN(&e, 0xf3, 0x0f, 0xaf, 0x03);		/* f3 imul */
	EQ("f3 0f af", r, KVMX_EMU_UNHANDLED);
	r = RUN(&e, 0x0f, 0x3a, 0x0f, 0xc1, 0x08);	/* palignr */
	EQ("0f 3a", r, KVMX_EMU_UNHANDLED);
	r = RUN(&e, 0x0f, 0xc7, 0x33);			/* vmptrld */
	EQ("0f c7 /6", r, KVMX_EMU_UNHANDLED);
	r = RUN(&e, 0x82, 0x03, 0x01);
	EQ("82 in 64-bit", e.c.exception.vector, KVMX_EMU_VEC_UD);
	r = RUN(&e, 0x0f, 0xc3, 0xc0);			/* movnti reg */
	EQ("movnti reg #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	r = RUN(&e, 0xf0, 0x8b, 0x03);			/* lock mov */
	EQ("lock mov #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	r = RUN(&e, 0xf0, 0x0f, 0xba, 0x23, 0x01);	/* lock bt */
	EQ("lock bt #UD", e.c.exception.vector, KVMX_EMU_VEC_UD);
	r = RUN(&e, 0xf2, 0xa4);			/* repne movsb */
	EQ("repne movs", r, KVMX_EMU_UNHANDLED);
	EQ("writes", e.g.writes, 0);
	EQ("rip", e.c.rip, CODE_AT);
	env_init(&e, KVMX_EMU_MODE_PROT32);
	r = RUN(&e, 0x63, 0x03);			/* arpl */
	EQ("arpl", r, KVMX_EMU_UNHANDLED);
	end();
}

/* Fetching: prefetched bytes first, then never across a page. */
static void test_fetch(void)
{
	struct env e;
	int r;

	begin("emu.fetch");
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	/* All bytes given: no fetch callback needed. */
	e.c.insn_bytes[0] = 0x8b;
	e.c.insn_bytes[1] = 0x03;
	e.c.insn_len = 2;
	code[0] = 0x0f;			/* memory disagrees: bytes win */
	code[1] = 0x0b;
	r = kvmx_emulate(&e.c);
	EQ("prefetched", r, KVMX_EMU_OK);
	EQ("no fetch", e.g.fetches, 0);
	/* Part given: the rest fetched after them. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	e.c.insn_bytes[0] = 0x48;
	e.c.insn_len = 1;
	memcpy(code, (u8[]){ 0x48, 0x8b, 0x83, 0x10, 0, 0, 0 }, 7);
	r = kvmx_emulate(&e.c);
	EQ("partial", r, KVMX_EMU_OK);
	EQ("partial from", e.g.last_fetch, CODE_AT + 1);
	EQ("partial length", e.c.insn_len, 7);
	EQ("partial read", e.g.last_read, MEM_BASE + 0x10);
	/* An instruction ending at a page boundary fetches nothing after. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.g.code_base = MEM_BASE + 0x1000 - 3;
	e.g.code_size = 3;
	e.g.code = code;
	e.c.rip = e.g.code_base;
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	code[0] = 0x8b;
	code[1] = 0x43;
	code[2] = 0x08;
	r = kvmx_emulate(&e.c);
	EQ("page end", r, KVMX_EMU_OK);
	EQ("page end fetch", e.g.last_fetch_len, 3);
	/* One crossing it: two fetches, each within its page. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.rip = MEM_BASE + 0x1000 - 2;
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE;
	mem[0xffe] = 0x8b;
	mem[0xfff] = 0x43;
	mem[0x1000] = 0x08;
	r = kvmx_emulate(&e.c);
	EQ("crossing", r, KVMX_EMU_OK);
	EQ("crossing fetches", e.g.fetches, 2);
	EQ("crossing read", e.g.last_read, MEM_BASE + 8);
	end();
}

/* The MMIO protocol of Documentation/emulator.rst. */
static void complete_read(struct env *e, u64 value)
{
	memcpy(e->g.pending_data, &value, sizeof(value));
	e->g.pending = false;
	e->g.have_data = true;
}

static void test_mmio(void)
{
	const u64 mmio = MEM_BASE + 0x8000;
	struct env e;
	int r;

	begin("emu.mmio_protocol");
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.g.mmio_base = mmio;
	e.g.mmio_size = 0x1000;
	/* mov eax, [mmio]: exit, then complete with the data. */
	e.c.regs[KVMX_EMU_RBX] = mmio + 4;
	e.c.regs[KVMX_EMU_RAX] = ~0ULL;
	r = RUN(&e, 0x8b, 0x03);
	EQ("read exits", r, KVMX_EMU_USER);
	EQ("read addr", e.g.pending_addr, mmio + 4);
	EQ("read len", e.g.pending_len, 4);
	EQ("read rip", e.c.rip, CODE_AT);
	EQ("read rax kept", e.c.regs[KVMX_EMU_RAX], ~0ULL);
	complete_read(&e, 0xdeadbeef);
	r = kvmx_emulate(&e.c);
	EQ("read done", r, KVMX_EMU_OK);
	EQ("read value", e.c.regs[KVMX_EMU_RAX], 0xdeadbeef);
	/* add [mmio], ecx: read exit, then the write as the pending exit. */
	e.c.rip = CODE_AT;
	e.c.regs[KVMX_EMU_RCX] = 1;
	r = RUN(&e, 0x01, 0x0b);
	EQ("rmw exits", r, KVMX_EMU_USER);
	complete_read(&e, 0xffffffff);
	r = kvmx_emulate(&e.c);
	EQ("rmw done", r, KVMX_EMU_OK);
	EQ("rmw write pending", e.g.pending && e.g.pending_write, 1);
	EQ("rmw write value", e.g.pending_data[0] |
	   (u32)e.g.pending_data[3] << 24, 0);
	EQ("rmw flags ZF CF", e.c.rflags & 0x41, 0x41);
	/* cmpsb with both operands on MMIO: the first read is replayed. */
	e.g.pending = false;
	e.c.rip = CODE_AT;
	e.c.replay_len = 0;
	e.c.regs[KVMX_EMU_RSI] = mmio + 0x10;
	e.c.regs[KVMX_EMU_RDI] = mmio + 0x20;
	r = RUN(&e, 0xa6);
	EQ("cmps 1", r, KVMX_EMU_USER);
	EQ("cmps 1 addr", e.g.pending_addr, mmio + 0x10);
	complete_read(&e, 5);
	r = kvmx_emulate(&e.c);
	EQ("cmps 2", r, KVMX_EMU_USER);
	EQ("cmps 2 addr", e.g.pending_addr, mmio + 0x20);
	EQ("cmps replay", e.c.replay_len, 1);
	complete_read(&e, 3);
	r = kvmx_emulate(&e.c);
	EQ("cmps done", r, KVMX_EMU_OK);
	EQ("cmps reads", e.g.mmio_reads, 2 + 2);
	EQ("cmps flags", e.c.rflags & 0x8d5, 0);	/* 5 - 3 */
	EQ("cmps rsi", e.c.regs[KVMX_EMU_RSI], mmio + 0x11);
	EQ("cmps replay cleared", e.c.replay_len, 0);
	/* rep stosd to MMIO: one write per exit, progress kept. */
	e.c.rip = CODE_AT;
	e.c.regs[KVMX_EMU_RDI] = mmio;
	e.c.regs[KVMX_EMU_RCX] = 3;
	e.c.regs[KVMX_EMU_RAX] = 0x01020304;
	r = RUN(&e, 0xf3, 0xab);
	EQ("stos exit", r, KVMX_EMU_USER);
	EQ("stos first", e.g.pending_addr, mmio);
	EQ("stos rcx", e.c.regs[KVMX_EMU_RCX], 2);
	EQ("stos rdi", e.c.regs[KVMX_EMU_RDI], mmio + 4);
	EQ("stos rip", e.c.rip, CODE_AT);
	e.g.pending = false;
	r = kvmx_emulate(&e.c);
	EQ("stos second", e.g.pending_addr, mmio + 4);
	e.g.pending = false;
	r = kvmx_emulate(&e.c);
	EQ("stos third", e.g.pending_addr, mmio + 8);
	EQ("stos done", r, KVMX_EMU_OK);
	EQ("stos done rip", e.c.rip, CODE_AT + 2);
	EQ("stos done rcx", e.c.regs[KVMX_EMU_RCX], 0);
	/* A long REP on RAM stops after a batch, rip kept. */
	env_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RDI] = MEM_BASE;
	e.c.regs[KVMX_EMU_RCX] = 5000;
	r = RUN(&e, 0xf3, 0xaa);
	EQ("batch", r, KVMX_EMU_OK);
	EQ("batch rip", e.c.rip, CODE_AT);
	EQ("batch rcx", e.c.regs[KVMX_EMU_RCX], 5000 - 1024);
	end();
}

/* The mode from CR0/EFER/RFLAGS/CS. */
static void test_mode(void)
{
	struct kvmx_emu_seg cs = { 0 };

	begin("emu.mode");
	EQ("real", kvmx_emu_mode(0x10, 0, 2, &cs), KVMX_EMU_MODE_REAL);
	EQ("vm86", kvmx_emu_mode(1, 0, 0x20002, &cs), KVMX_EMU_MODE_VM86);
	EQ("prot16", kvmx_emu_mode(1, 0, 2, &cs), KVMX_EMU_MODE_PROT16);
	cs.db = 1;
	EQ("prot32", kvmx_emu_mode(1, 0, 2, &cs), KVMX_EMU_MODE_PROT32);
	EQ("compat32", kvmx_emu_mode(0x80000001, 0x500, 2, &cs),
	   KVMX_EMU_MODE_COMPAT32);
	cs.db = 0;
	EQ("compat16", kvmx_emu_mode(0x80000001, 0x500, 2, &cs),
	   KVMX_EMU_MODE_COMPAT16);
	cs.l = 1;
	EQ("long64", kvmx_emu_mode(0x80000001, 0x500, 2, &cs),
	   KVMX_EMU_MODE_LONG64);
	end();
}

/* PUSH/POP of memory outside 64-bit mode: 16- and 32-bit stacks. */
static void test_stack(void)
{
	struct env e;
	int r;

	begin("emu.push_pop_legacy");
	env_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.seg[KVMX_EMU_SS].base = MEM_BASE;
	e.c.seg[KVMX_EMU_SS].db = 0;			/* 16-bit stack */
	e.c.regs[KVMX_EMU_RSP] = 0xabcd0002;
	e.c.regs[KVMX_EMU_RBX] = MEM_BASE + 0x100;
	mem[0x100] = 0x11;
	mem[0x101] = 0x22;
	mem[0x102] = 0x33;
	mem[0x103] = 0x44;
	r = RUN(&e, 0xff, 0x33);			/* push dword [ebx] */
	EQ("push", r, KVMX_EMU_OK);
	EQ("push sp wraps", e.c.regs[KVMX_EMU_RSP], 0xabcdfffe);
	EQ("push linear", e.g.last_write, MEM_BASE + 0xfffe);
	r = RUN(&e, 0x8f, 0x43, 0x10);			/* pop dword [ebx+16] */
	EQ("pop", r, KVMX_EMU_OK);
	EQ("pop sp", e.c.regs[KVMX_EMU_RSP], 0xabcd0002);
	EQ("pop data", mem[0x110] | mem[0x113] << 24, 0x44000011);
	/* pop [esp+4] addresses with the incremented esp. */
	e.c.seg[KVMX_EMU_SS].db = 1;
	e.c.seg[KVMX_EMU_SS].base = 0;
	e.c.seg[KVMX_EMU_DS].base = 0;
	e.c.regs[KVMX_EMU_RSP] = MEM_BASE + 0x200;
	mem[0x200] = 0x99;
	r = RUN(&e, 0x8f, 0x44, 0x24, 0x04);
	EQ("pop esp-based", e.g.last_write, MEM_BASE + 0x208);
	EQ("pop esp-based data", mem[0x208], 0x99);
	end();
}

void emu_decode_tests(void)
{
	test_mode();
	test_modrm16();
	test_modrm32();
	test_real();
	test_segments();
	test_long();
	test_faults();
	test_fetch();
	test_mmio();
	test_stack();
	emu_exec_tests();
}
