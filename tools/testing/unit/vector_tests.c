// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vector-move test group ("vector"): the differential tests
 * (vector_diff.c), then hand-computed tests for what a 64-bit process
 * cannot run natively or the CPU would not let it: VEX in 16- and 32-bit
 * protected mode against LES/LDS, VEX in real and VM86 mode, the #UD and
 * #NM rules of CR0.EM/TS, CR4.OSFXSR/OSXSAVE and XCR0, alignment (#GP,
 * not #SS or #AC), prefixes before VEX, UNHANDLED without vector-register
 * callbacks, MMIO round trips of 8- to 32-byte operands, and a fuzz loop
 * over VEX and SSE encodings with random control registers.
 */
#include <stdlib.h>
#include <string.h>
#include "native_vec.h"

#define MEM_BASE	0x10000ULL
#define MEM_SIZE	0x20000
#define CODE_AT		0x1000ULL

#define CR0_EM		0x4ULL
#define CR0_TS		0x8ULL
#define CR0_AM		0x40000ULL
#define CR4_OSFXSR	0x200ULL
#define CR4_OSXMMEXCPT	0x400ULL
#define CR4_OSXSAVE	0x40000ULL
#define RFLAGS_AC	0x40000ULL

struct venv {
	struct kvmx_emu_ctxt c;
	struct fake_guest g;
};

static u8 vmem[MEM_SIZE];
static u8 vcode[32];

/* Vector registers with known patterns, SSE and AVX enabled, CPL 0. */
static void venv_ctx(struct venv *e, enum kvmx_emu_mode mode)
{
	bool db = mode == KVMX_EMU_MODE_PROT32 ||
		  mode == KVMX_EMU_MODE_COMPAT32;
	u32 limit = mode == KVMX_EMU_MODE_PROT16 ||
		    mode <= KVMX_EMU_MODE_VM86 ? 0xffff : 0xffffffff;
	unsigned int i, k;

	memset(&e->g, 0, sizeof(e->g));
	for (i = 0; i < 16; i++)
		for (k = 0; k < 32; k++)
			e->g.vregs[i][k] = 0x80 + i * 32 + k;
	e->g.base = MEM_BASE;
	e->g.size = MEM_SIZE;
	e->g.mem = vmem;
	e->g.code_base = CODE_AT;
	e->g.code_size = sizeof(vcode);
	e->g.code = vcode;
	fake_ctxt64(&e->c, &e->g);
	e->c.ops = &fake_ops_vec;
	e->c.mode = mode;
	e->c.cpl = 0;
	e->c.cr0 = 0x80000033ULL;
	e->c.cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_OSXSAVE;
	e->c.xcr0 = 7;
	if (mode == KVMX_EMU_MODE_LONG64)
		return;
	for (i = 0; i < KVMX_EMU_NR_SREGS; i++)
		fake_seg(&e->c.seg[i], 0, limit, 3, db);
	fake_seg(&e->c.seg[KVMX_EMU_CS], 0, 0xffffffff, 0xb, db);
	if (mode == KVMX_EMU_MODE_REAL)
		e->c.cr0 = 0x10;
	if (mode == KVMX_EMU_MODE_VM86)
		e->c.rflags |= 0x20000;
}

/* ... and memory too. */
static void venv_init(struct venv *e, enum kvmx_emu_mode mode)
{
	unsigned int i;

	for (i = 0; i < MEM_SIZE; i++)
		vmem[i] = i * 7 + 1;
	venv_ctx(e, mode);
}

static int vrun(struct venv *e, const u8 *insn, unsigned int len)
{
	memset(vcode, 0x90, sizeof(vcode));
	memcpy(vcode, insn, len);
	e->c.rip = CODE_AT;
	e->c.insn_len = 0;
	e->c.replay_len = 0;
	memset(&e->c.exception, 0, sizeof(e->c.exception));
	e->g.reads = e->g.writes = 0;
	e->g.vreg_reads = e->g.vreg_writes = 0;
	return kvmx_emulate(&e->c);
}

#define VRUN(e, ...) ({ static const u8 _i[] = { __VA_ARGS__ }; \
			vrun(e, _i, sizeof(_i)); })

static unsigned int vfails;

static void vexpect(bool ok, const char *what, unsigned long long got,
		    unsigned long long want)
{
	if (ok)
		return;
	vfails++;
	unit_note("%s: got %#llx, want %#llx", what, got, want);
}

#define VEQ(what, got, want) vexpect((u64)(got) == (u64)(want), what, \
				     (u64)(got), (u64)(want))

static void vdone(const char *name)
{
	if (vfails)
		unit_fail(name, "%u expectations failed", vfails);
	else
		unit_pass(name);
	vfails = 0;
}

/* An exception with nothing written and rIP kept. */
static void vfault(struct venv *e, int r, const char *what, u8 vector)
{
	if (r == KVMX_EMU_EXCEPTION && e->c.exception.vector == vector &&
	    !e->g.writes && !e->g.vreg_writes && e->c.rip == CODE_AT)
		return;
	vfails++;
	unit_note("%s: result %d vector %u, %u/%u writes, rip %#llx; want vector %u, nothing done",
		  what, r, e->c.exception.vector, e->g.writes,
		  e->g.vreg_writes, (unsigned long long)e->c.rip, vector);
}

static u64 vq(const u8 *p)
{
	u64 v;

	memcpy(&v, p, 8);
	return v;
}

/* Register reg's bytes 15:0 hold memory at off, 31:16 are zero. */
static void expect_loaded(struct venv *e, const char *what, unsigned int reg,
			  unsigned int off, unsigned int len)
{
	static const u8 zero[32];
	char w[80];

	snprintf(w, sizeof(w), "%s: loaded", what);
	VEQ(w, memcmp(e->g.vregs[reg], vmem + off, len), 0);
	snprintf(w, sizeof(w), "%s: zero-extended", what);
	VEQ(w, memcmp(e->g.vregs[reg] + len, zero, 32 - len), 0);
}

/*
 * 16- and 32-bit protected mode: C4/C5 are VEX only when the next byte's
 * top bits are 11, else LES/LDS (not emulated: UNHANDLED, and no vector
 * register touched).  There R and X are 1 by construction, B and W are
 * ignored, and only XMM0-7 exist.
 */
static void test_vex32(void)
{
	struct venv e;
	int r;

	venv_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.regs[KVMX_EMU_RAX] = MEM_BASE + 0x100;
	r = VRUN(&e, 0xc5, 0xf8, 0x10, 0x00);	/* vmovups xmm0, [eax] */
	VEQ("vmovups: result", r, KVMX_EMU_OK);
	VEQ("vmovups: rip", e.c.rip, CODE_AT + 4);
	expect_loaded(&e, "vmovups", 0, 0x100, 16);

	r = VRUN(&e, 0xc5, 0x38, 0x10);		/* lds edi, [eax] */
	VEQ("lds: result", r, KVMX_EMU_UNHANDLED);
	VEQ("lds: opcode", e.c.opcode, 0xc5);
	VEQ("lds: vreg access", e.g.vreg_reads + e.g.vreg_writes, 0);
	r = VRUN(&e, 0xc4, 0x41, 0x10);		/* les eax, [ecx+16] */
	VEQ("les: result", r, KVMX_EMU_UNHANDLED);
	VEQ("les: opcode", e.c.opcode, 0xc4);

	/* VEX.B clear (C1): ignored, the base stays EAX, not R8. */
	e.c.regs[KVMX_EMU_R8] = 0;
	/* vmovdqa xmm0, [eax] */
	r = VRUN(&e, 0xc4, 0xc1, 0x79, 0x6f, 0x00);
	VEQ("vex.b: result", r, KVMX_EMU_OK);
	expect_loaded(&e, "vex.b", 0, 0x100, 16);

	/* VEX.W1 VMOVQ r64 is VMOVD outside 64-bit mode. */
	e.c.regs[KVMX_EMU_RDX] = 0xdeadbeefcafef00dULL;
	r = VRUN(&e, 0xc4, 0xe1, 0xf9, 0x7e, 0xca);	/* vmovd edx, xmm1 */
	VEQ("vmovd w1: result", r, KVMX_EMU_OK);
	VEQ("vmovd w1: edx", e.c.regs[KVMX_EMU_RDX],
	    vq(e.g.vregs[1]) & 0xffffffffULL);

	/*
	 * vvvv = 0111 (XMM8) or 1110 where it must be 1111, and L = 1 on
	 * VMOVD: #UD, as a compatibility-mode run on an AVX-512 host showed.
	 */
	r = VRUN(&e, 0xc4, 0xe1, 0x39, 0x6f, 0x00);
	vfault(&e, r, "vvvv 0111", KVMX_EMU_VEC_UD);
	r = VRUN(&e, 0xc4, 0xe1, 0x71, 0x7e, 0xc0);
	vfault(&e, r, "vvvv 1110", KVMX_EMU_VEC_UD);
	r = VRUN(&e, 0xc5, 0xfd, 0x7e, 0xc0);
	vfault(&e, r, "vmovd l1", KVMX_EMU_VEC_UD);

	/* As a source, vvvv's top bit is dropped: 0110 (XMM9) is XMM1. */
	/* vmovlps xmm0, xmm1, [eax] */
	r = VRUN(&e, 0xc4, 0xe1, 0x30, 0x12, 0x00);
	VEQ("vmovlps: result", r, KVMX_EMU_OK);
	VEQ("vmovlps: low", vq(e.g.vregs[0]), vq(vmem + 0x100));
	VEQ("vmovlps: high from xmm1", vq(e.g.vregs[0] + 8),
	    vq(e.g.vregs[1] + 8));
	VEQ("vmovlps: upper zero", vq(e.g.vregs[0] + 16), 0);

	/* 16-bit protected mode with 16-bit addressing, DS based. */
	venv_init(&e, KVMX_EMU_MODE_PROT16);
	e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
	e.c.regs[KVMX_EMU_RBX] = 0xabcd1000ULL;
	r = VRUN(&e, 0xc5, 0xfc, 0x11, 0x07);	/* vmovups [bx], ymm0 */
	VEQ("prot16: result", r, KVMX_EMU_OK);
	VEQ("prot16: rip", e.c.rip, CODE_AT + 4);
	VEQ("prot16: stored", memcmp(vmem + 0x1000, e.g.vregs[0], 32), 0);
	VEQ("prot16: write at", e.g.last_write, MEM_BASE + 0x1000);

	/* Compatibility mode is protected mode here. */
	venv_init(&e, KVMX_EMU_MODE_COMPAT32);
	e.c.regs[KVMX_EMU_RCX] = MEM_BASE + 0x40;
	r = VRUN(&e, 0xc5, 0xfa, 0x7e, 0x19);	/* vmovq xmm3, [ecx] */
	VEQ("compat32: result", r, KVMX_EMU_OK);
	expect_loaded(&e, "compat32", 3, 0x40, 8);
	vdone("vector.vex32");
}

/* Real and VM86 mode: VEX is #UD; legacy SSE runs (with CR4.OSFXSR). */
static void test_real_vm86(void)
{
	static const enum kvmx_emu_mode modes[] = { KVMX_EMU_MODE_REAL,
						    KVMX_EMU_MODE_VM86 };
	struct venv e;
	unsigned int i;
	int r;

	for (i = 0; i < 2; i++) {
		venv_init(&e, modes[i]);
		e.c.seg[KVMX_EMU_DS].base = MEM_BASE;
		e.c.seg[KVMX_EMU_DS].selector = MEM_BASE >> 4;
		e.c.regs[KVMX_EMU_RBX] = 0x2000;
		/* vmovups xmm0, xmm1 */
		r = VRUN(&e, 0xc5, 0xf8, 0x10, 0xc1);
		vfault(&e, r, i ? "vm86 vex" : "real vex", KVMX_EMU_VEC_UD);
		r = VRUN(&e, 0xc4, 0xe1, 0x7a, 0x6f, 0xc1);
		vfault(&e, r, i ? "vm86 vex3" : "real vex3", KVMX_EMU_VEC_UD);
		r = VRUN(&e, 0xc5, 0x07);		/* lds ax, [bx] */
		VEQ("lds", r, KVMX_EMU_UNHANDLED);
		/* movdqa xmm0, [bx] */
		r = VRUN(&e, 0x66, 0x0f, 0x6f, 0x07);
		VEQ("movdqa: result", r, KVMX_EMU_OK);
		VEQ("movdqa: rip", e.c.rip, CODE_AT + 4);
		VEQ("movdqa: loaded", memcmp(e.g.vregs[0], vmem + 0x2000, 16),
		    0);
		VEQ("movdqa: read at", e.g.last_read, MEM_BASE + 0x2000);
		VEQ("movdqa: upper kept", e.g.vregs[0][16], 0x80 + 16);
	}
	vdone("vector.real_vm86");
}

/* CR0.EM/TS, CR4.OSFXSR/OSXSAVE, XCR0: SDM Vol. 2 2.8, Vol. 3A 13.1. */
static void test_cr_rules(void)
{
	static const u8 sse[] = { 0xf3, 0x0f, 0x6f, 0x00 };	/* movdqu */
	static const u8 avx[] = { 0xc5, 0xfe, 0x6f, 0x00 };	/* vmovdqu */
	struct venv e;

	venv_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RAX] = MEM_BASE + 0x123;

	e.c.cr0 |= CR0_EM;
	vfault(&e, vrun(&e, sse, 4), "sse em", KVMX_EMU_VEC_UD);
	VEQ("avx em: runs", vrun(&e, avx, 4), KVMX_EMU_OK);
	e.c.cr0 |= CR0_TS;
	vfault(&e, vrun(&e, sse, 4), "sse em+ts: #UD first", KVMX_EMU_VEC_UD);
	vfault(&e, vrun(&e, avx, 4), "avx em+ts", KVMX_EMU_VEC_NM);
	e.c.cr0 &= ~CR0_EM;
	vfault(&e, vrun(&e, sse, 4), "sse ts", KVMX_EMU_VEC_NM);
	e.c.cr0 &= ~CR0_TS;

	e.c.cr4 &= ~CR4_OSFXSR;
	vfault(&e, vrun(&e, sse, 4), "sse !osfxsr", KVMX_EMU_VEC_UD);
	VEQ("avx !osfxsr: runs", vrun(&e, avx, 4), KVMX_EMU_OK);
	e.c.cr4 |= CR4_OSFXSR;

	e.c.cr4 &= ~CR4_OSXSAVE;
	vfault(&e, vrun(&e, avx, 4), "avx !osxsave", KVMX_EMU_VEC_UD);
	e.c.cr0 |= CR0_TS;
	vfault(&e, vrun(&e, avx, 4), "avx !osxsave+ts: #UD first",
	       KVMX_EMU_VEC_UD);
	e.c.cr0 &= ~CR0_TS;
	VEQ("sse !osxsave: runs", vrun(&e, sse, 4), KVMX_EMU_OK);
	e.c.cr4 |= CR4_OSXSAVE;

	e.c.xcr0 = 3;
	vfault(&e, vrun(&e, avx, 4), "xcr0 no ymm", KVMX_EMU_VEC_UD);
	e.c.xcr0 = 5;
	vfault(&e, vrun(&e, avx, 4), "xcr0 no sse", KVMX_EMU_VEC_UD);
	e.c.xcr0 = 1;
	VEQ("sse xcr0=1: runs", vrun(&e, sse, 4), KVMX_EMU_OK);
	e.c.xcr0 = 7;
	VEQ("avx: runs", vrun(&e, avx, 4), KVMX_EMU_OK);
	expect_loaded(&e, "vmovdqu ymm", 0, 0x123, 32);
	vdone("vector.cr_rules");
}

/*
 * Encoding rules: VEX.L where only VEX.128 exists, vvvv that must be
 * 1111, 66/F2/F3/LOCK/REX before VEX, LOCK on SSE, register operands of
 * memory-only forms; and VEX opcodes that are not moves.
 */
static void test_encodings(void)
{
	struct venv e;
	int r;

	venv_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RAX] = MEM_BASE + 0x200;
	vfault(&e, VRUN(&e, 0xc5, 0xfd, 0x6e, 0x00), "vmovd l1",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0xc5, 0xf2, 0x6f, 0x00), "vmovdqu vvvv",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0x66, 0xc5, 0xfe, 0x6f, 0x00), "66 vex",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0xf3, 0xc5, 0xfe, 0x6f, 0x00), "f3 vex",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0xf2, 0xc4, 0xe1, 0x7e, 0x6f, 0x00), "f2 vex3",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0xf0, 0xc5, 0xfe, 0x7f, 0x00), "lock vex",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0x48, 0xc5, 0xfe, 0x6f, 0x00), "rex vex",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0xf0, 0x66, 0x0f, 0x7f, 0x00), "lock movdqa",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0x66, 0x0f, 0xe7, 0xc1), "movntdq reg",
	       KVMX_EMU_VEC_UD);
	vfault(&e, VRUN(&e, 0xc4, 0xe2, 0x79, 0x2a, 0xc1), "vmovntdqa reg",
	       KVMX_EMU_VEC_UD);
	/* Segment and address-size prefixes are fine before VEX. */
	e.c.seg[KVMX_EMU_GS].base = 0x100;
	r = VRUN(&e, 0x65, 0x67, 0xc5, 0xfa, 0x7e, 0x00);	/* vmovq */
	VEQ("gs 67 vex: result", r, KVMX_EMU_OK);
	expect_loaded(&e, "gs 67 vex", 0, 0x300, 8);
	/* Other VEX instructions are not the emulator's. */
	r = VRUN(&e, 0xc5, 0xf8, 0x58, 0x00);		/* vaddps */
	VEQ("vaddps", r, KVMX_EMU_UNHANDLED);
	VEQ("vaddps opcode", e.c.opcode, 0x0f58);
	VEQ("vaddps insn_len", e.c.insn_len >= 3, 1);
	/* vextractps */
	r = VRUN(&e, 0xc4, 0xe3, 0x79, 0x17, 0x00, 0x01);
	VEQ("map 0f3a", r, KVMX_EMU_UNHANDLED);
	r = VRUN(&e, 0xc4, 0xe8, 0x78, 0x10, 0x00);	/* m-mmmm 01000 */
	VEQ("map 8", r, KVMX_EMU_UNHANDLED);
	/* F3 66 0F 6F is MOVDQU (F3 wins), F3 F2 0F 10 MOVSD (last wins). */
	r = VRUN(&e, 0xf3, 0x66, 0x0f, 0x6f, 0x00);
	VEQ("f3 66: result", r, KVMX_EMU_OK);
	expect_loaded(&e, "f3 66", 0, 0x200, 16);
	/* movsd xmm1, [rax] */
	r = VRUN(&e, 0xf3, 0xf2, 0x0f, 0x10, 0x08);
	VEQ("f3 f2: result", r, KVMX_EMU_OK);
	VEQ("f3 f2: low", vq(e.g.vregs[1]), vq(vmem + 0x200));
	VEQ("f3 f2: zeroed", vq(e.g.vregs[1] + 8), 0);
	VEQ("f3 f2: upper kept", e.g.vregs[1][16], 0x80 + 32 + 16);
	vdone("vector.encodings");
}

/*
 * Alignment: MOVDQA/MOVAPS/MOVNT* #GP(0) when misaligned, on the stack
 * segment too; a segment-limit violation on SS is still #SS.  The
 * unaligned forms never #AC at 16 or 32 bytes, MOVD/MOVQ/MOVSS do (CPL 3,
 * CR0.AM, RFLAGS.AC).
 */
static void test_alignment(void)
{
	struct venv e;
	int r;

	venv_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.regs[KVMX_EMU_RSP] = MEM_BASE + 0x408;
	vfault(&e, VRUN(&e, 0x66, 0x0f, 0x6f, 0x04, 0x24), "movdqa [rsp+8]",
	       KVMX_EMU_VEC_GP);
	VEQ("#GP error code", e.c.exception.error_code_valid &&
	    !e.c.exception.error_code, 1);
	r = VRUN(&e, 0x66, 0x0f, 0x6f, 0x44, 0x24, 0x08);	/* [rsp+16] */
	VEQ("movdqa [rsp+16]", r, KVMX_EMU_OK);
	vfault(&e, VRUN(&e, 0xc5, 0xfd, 0x7f, 0x44, 0x24, 0x08),
	       "vmovdqa ymm at 16 mod 32", KVMX_EMU_VEC_GP);
	r = VRUN(&e, 0xc5, 0xfd, 0x7f, 0x44, 0x24, 0x18);
	VEQ("vmovdqa ymm at 32", r, KVMX_EMU_OK);
	vfault(&e, VRUN(&e, 0x0f, 0x2b, 0x44, 0x24, 0x01), "movntps +9",
	       KVMX_EMU_VEC_GP);
	vfault(&e, VRUN(&e, 0x66, 0x0f, 0x38, 0x2a, 0x44, 0x24, 0x04),
	       "movntdqa +12", KVMX_EMU_VEC_GP);

	/* 32-bit: misaligned on SS is #GP; past the SS limit #SS. */
	venv_init(&e, KVMX_EMU_MODE_PROT32);
	e.c.regs[KVMX_EMU_RSP] = MEM_BASE + 0x404;
	vfault(&e, VRUN(&e, 0x0f, 0x28, 0x04, 0x24), "movaps [esp+4]",
	       KVMX_EMU_VEC_GP);
	e.c.seg[KVMX_EMU_SS].limit = MEM_BASE + 0x40f;
	e.c.regs[KVMX_EMU_RSP] = MEM_BASE + 0x410;
	vfault(&e, VRUN(&e, 0x0f, 0x28, 0x04, 0x24), "movaps past limit",
	       KVMX_EMU_VEC_SS);
	e.c.regs[KVMX_EMU_RSP] = MEM_BASE + 0x400;
	VEQ("movaps within limit", VRUN(&e, 0x0f, 0x28, 0x04, 0x24),
	    KVMX_EMU_OK);

	/* #AC only for accesses of up to 8 bytes. */
	venv_init(&e, KVMX_EMU_MODE_LONG64);
	e.c.cpl = 3;
	e.c.cr0 |= CR0_AM;
	e.c.rflags |= RFLAGS_AC;
	e.c.regs[KVMX_EMU_RAX] = MEM_BASE + 0x501;
	VEQ("movdqu no #AC", VRUN(&e, 0xf3, 0x0f, 0x7f, 0x00), KVMX_EMU_OK);
	VEQ("vmovups ymm no #AC", VRUN(&e, 0xc5, 0xfc, 0x10, 0x00),
	    KVMX_EMU_OK);
	vfault(&e, VRUN(&e, 0x66, 0x0f, 0x7e, 0x00), "movd #AC",
	       KVMX_EMU_VEC_AC);
	vfault(&e, VRUN(&e, 0xf3, 0x0f, 0x7e, 0x00), "movq #AC",
	       KVMX_EMU_VEC_AC);
	vfault(&e, VRUN(&e, 0xc5, 0xfa, 0x11, 0x00), "vmovss #AC",
	       KVMX_EMU_VEC_AC);
	vfault(&e, VRUN(&e, 0x0f, 0x28, 0x00), "movaps #GP over #AC",
	       KVMX_EMU_VEC_GP);
	vdone("vector.alignment");
}

/* Without get_vreg/set_vreg every vector form is UNHANDLED, untouched. */
static void test_no_vreg(void)
{
	static const u8 forms[][6] = {
		{ 5, 0x66, 0x0f, 0x6f, 0x00 },
		{ 5, 0xf3, 0x0f, 0x7e, 0x00 },
		{ 4, 0x0f, 0x11, 0x00 },
		{ 6, 0x66, 0x0f, 0x38, 0x2a, 0x00 },
		{ 5, 0xc5, 0xfe, 0x7f, 0x00 },
		{ 5, 0x66, 0xc5, 0xfe, 0x6f, 0x00 },	/* would be #UD */
		{ 5, 0xc4, 0xe1, 0xf9, 0x6e, 0xc0 },
	};
	struct venv e;
	unsigned int i, k;
	char w[40];
	int r;

	for (k = 0; k < 2; k++) {
		venv_init(&e, KVMX_EMU_MODE_LONG64);
		e.c.ops = &fake_ops;
		e.c.regs[KVMX_EMU_RAX] = MEM_BASE;
		/* Even where the CPU would raise #UD or #NM. */
		if (k)
			e.c.cr0 |= CR0_EM | CR0_TS;
		for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			r = vrun(&e, forms[i] + 1, forms[i][0] - 1);
			snprintf(w, sizeof(w), "form %u cr %u", i, k);
			VEQ(w, r, KVMX_EMU_UNHANDLED);
			VEQ(w, e.g.reads + e.g.writes, 0);
			VEQ(w, e.c.rip, CODE_AT);
		}
	}
	vdone("vector.no_vreg");
}

/* MMIO: loads exit and complete with the data, stores queue one exit. */
static void test_mmio(void)
{
	struct venv e;
	unsigned int i;
	int r;

	venv_init(&e, KVMX_EMU_MODE_LONG64);
	e.g.mmio_base = 0xfee00000ULL;
	e.g.mmio_size = 0x1000;
	e.c.regs[KVMX_EMU_RSI] = 0xfee00040ULL;
	r = VRUN(&e, 0xc5, 0xfe, 0x6f, 0x16);	/* vmovdqu ymm2, [rsi] */
	VEQ("load: first run", r, KVMX_EMU_USER);
	VEQ("load: exit length", e.g.pending_len, 32);
	VEQ("load: exit address", e.g.pending_addr, 0xfee00040ULL);
	VEQ("load: nothing written", e.g.vreg_writes, 0);
	VEQ("load: rip kept", e.c.rip, CODE_AT);
	for (i = 0; i < 32; i++)
		e.g.pending_data[i] = 0xa0 + i;
	e.g.pending = false;
	e.g.have_data = true;
	e.c.insn_len = 0;
	r = kvmx_emulate(&e.c);
	VEQ("load: completed", r, KVMX_EMU_OK);
	VEQ("load: ymm2", memcmp(e.g.vregs[2], e.g.pending_data, 32), 0);
	VEQ("load: rip", e.c.rip, CODE_AT + 4);

	e.g.pending = false;
	/* movq [rsi+8], xmm3 */
	r = VRUN(&e, 0x66, 0x0f, 0xd6, 0x5e, 0x08);
	VEQ("store: result", r, KVMX_EMU_OK);
	VEQ("store: queued", e.g.pending && e.g.pending_write, 1);
	VEQ("store: length", e.g.pending_len, 8);
	VEQ("store: address", e.g.pending_addr, 0xfee00048ULL);
	VEQ("store: data", memcmp(e.g.pending_data, e.g.vregs[3], 8), 0);

	e.g.pending = false;
	/* vmovntdq [rsi+32] */
	r = VRUN(&e, 0xc5, 0xfd, 0xe7, 0x66, 0x20);
	VEQ("ymm store: result", r, KVMX_EMU_OK);
	VEQ("ymm store: length", e.g.pending_len, 32);
	VEQ("ymm store: data", memcmp(e.g.pending_data, e.g.vregs[4], 32),
	    0);
	/* A second MMIO access while one is pending: back to userspace. */
	r = VRUN(&e, 0x0f, 0x11, 0x2e);		/* movups [rsi], xmm5 */
	VEQ("pending: result", r, KVMX_EMU_USER);
	VEQ("pending: rip kept", e.c.rip, CODE_AT);
	vdone("vector.mmio");
}

#define VFUZZ_DEFAULT_ITERS	200000

/* Bytes that steer random instructions into the vector decoder. */
static u8 vfuzz_byte(struct unit_rng *r)
{
	static const u8 likely[] = {
		0xc4, 0xc5, 0x0f, 0x38, 0x66, 0xf2, 0xf3, 0xf0, 0x67, 0x26,
		0x36, 0x64, 0x65, 0x40, 0x44, 0x48, 0x4f, 0x10, 0x11, 0x12,
		0x13, 0x16, 0x17, 0x28, 0x29, 0x2a, 0x2b, 0x6e, 0x6f, 0x7e,
		0x7f, 0xd6, 0xe7, 0xe1, 0xe2, 0xc1, 0xf8, 0xf9, 0xfa, 0xfb,
		0xfc, 0xfd, 0xfe, 0xff, 0x79, 0x7d, 0x04, 0x24, 0x05, 0x44,
	};

	if (rng_below(r, 3))
		return likely[rng_below(r, sizeof(likely))];
	return rng64(r);
}

/*
 * Overwrite the start of code with a vector move's skeleton: maybe a
 * prefix, then VEX (mostly with the top bits 11 that make C4/C5 VEX
 * outside 64-bit mode, and vvvv 1111), 0F or 0F 38, and one of the
 * opcodes; the random bytes after it serve as ModRM, SIB and
 * displacement.
 */
static void vfuzz_template(struct unit_rng *r, u8 *code)
{
	static const u8 ops[] = { 0x10, 0x11, 0x12, 0x13, 0x16, 0x17, 0x28,
				  0x29, 0x2b, 0x6e, 0x6f, 0x7e, 0x7f, 0xd6,
				  0xe7, 0x2a };
	static const u8 pfx[] = { 0x66, 0xf3, 0xf2, 0x67, 0x65, 0x36 };
	unsigned int n = 0;

	if (rng_below(r, 2))
		code[n++] = pfx[rng_below(r, sizeof(pfx))];
	switch (rng_below(r, 4)) {
	case 0:
		code[n++] = 0xc5;
		code[n++] = rng64(r) | (rng_below(r, 4) ? 0xf8 : 0);
		break;
	case 1:
		code[n++] = 0xc4;
		code[n++] = (rng64(r) & 0xe0) | (rng_below(r, 4) ? 0xc0 : 0) |
			    (rng_below(r, 8) ? 1 + rng_below(r, 2) : 0);
		/* vvvv mostly 1111: most moves #UD otherwise. */
		code[n++] = rng64(r) | (rng_below(r, 4) ? 0x78 : 0);
		break;
	case 2:
		code[n++] = 0x0f;
		code[n++] = 0x38;
		break;
	default:
		code[n++] = 0x0f;
		break;
	}
	code[n++] = ops[rng_below(r, sizeof(ops))];
	/* A register operand, or memory through a base register. */
	if (rng_below(r, 2))
		code[n] = 0xc0 | rng64(r);
	else
		code[n] = rng64(r) & 0x3b;
}

/* One random input; NULL or what went wrong. */
static const char *vfuzz_one(struct unit_rng *r, struct venv *e)
{
	static const u64 cr0_bits[] = { CR0_EM, CR0_TS, CR0_AM };
	unsigned int i, n = 6 + rng_below(r, 10);
	u8 code[15];
	int res;

	venv_ctx(e, rng_below(r, KVMX_EMU_MODE_LONG64 + 1));
	for (i = 0; i < n; i++)
		code[i] = vfuzz_byte(r);
	if (rng_below(r, 4))
		vfuzz_template(r, code);
	for (i = 0; i < 16; i++)
		e->c.regs[i] = rng_below(r, 4) ? MEM_BASE +
			       rng_below(r, MEM_SIZE) : rng64(r);
	for (i = 0; i < 3; i++)
		if (rng_below(r, 4) == 0)
			e->c.cr0 ^= cr0_bits[i];
	if (rng_below(r, 4) == 0)
		e->c.cr4 ^= rng_below(r, 2) ? CR4_OSFXSR : CR4_OSXSAVE;
	if (rng_below(r, 4) == 0)
		e->c.xcr0 = rng_below(r, 8);
	e->c.cpl = rng64(r) & 3;
	e->c.rflags |= rng64(r) & RFLAGS_AC;
	if (rng_below(r, 8) == 0)
		e->c.seg[rng_below(r, KVMX_EMU_NR_SREGS)].limit = rng64(r);
	if (rng_below(r, 4) == 0) {
		e->g.mmio_base = MEM_BASE + (rng_below(r, MEM_SIZE) & ~0xfffu);
		e->g.mmio_size = 0x1000;
		e->g.have_data = rng_below(r, 2);
		e->g.pending_len = 8 << rng_below(r, 3);
		e->g.pending_addr = e->g.mmio_base + rng_below(r, 0x1000);
	}
	if (rng_below(r, 8) == 0)
		e->c.ops = &fake_ops;
	memset(vcode, 0x90, sizeof(vcode));
	memcpy(vcode, code, n);
	e->c.rip = CODE_AT;
	e->c.insn_len = rng_below(r, 3) ? 0 : rng_below(r, n + 1);
	memcpy(e->c.insn_bytes, code, e->c.insn_len);
	res = kvmx_emulate(&e->c);

	if (e->c.insn_len > KVMX_EMU_MAX_INSN)
		return "insn_len above 15";
	if (e->g.vreg_bad)
		return "vector register callback outside the contract";
	if (e->c.ops == &fake_ops && (e->g.vreg_reads || e->g.vreg_writes))
		return "vector registers without callbacks";
	if (res == KVMX_EMU_OK)
		return NULL;
	if (res == KVMX_EMU_EXCEPTION &&
	    !emu_vector_expected(e->c.exception.vector))
		return "unexpected vector";
	if (res != KVMX_EMU_EXCEPTION && res != KVMX_EMU_USER &&
	    res != KVMX_EMU_UNHANDLED && res != KVMX_EMU_RETRY)
		return "invalid result";
	if (e->c.rip != CODE_AT)
		return "rip moved without success";
	if (e->g.vreg_writes)
		return "vector register written without success";
	return NULL;
}

static void test_vfuzz(void)
{
	static struct venv e;
	struct unit_rng r = { unit_seed ^ 0xf0a7 };
	const char *env = getenv("UNIT_FUZZ_ITERS"), *why;
	unsigned long iters = env ? strtoul(env, NULL, 0) : VFUZZ_DEFAULT_ITERS;
	unsigned long i, bad = 0, vec = 0;
	char hex[48];
	unsigned int k;

	venv_init(&e, KVMX_EMU_MODE_LONG64);
	for (i = 0; i < iters; i++) {
		why = vfuzz_one(&r, &e);
		if (e.g.vreg_reads || e.g.vreg_writes)
			vec++;
		if (!why)
			continue;
		if (bad++ < 5) {
			for (k = 0; k < 15; k++)
				sprintf(hex + 3 * k, "%02x ", vcode[k]);
			unit_note("vector.fuzz: %s: mode %u bytes %s", why,
				  e.c.mode, hex);
		}
	}
	if (bad)
		unit_fail("vector.fuzz", "%lu of %lu inputs misbehaved", bad,
			  iters);
	else if (vec < iters / 50)
		unit_fail("vector.fuzz", "only %lu of %lu inputs reached the vector registers",
			  vec, iters);
	else
		unit_pass("vector.fuzz");
	if (unit_verbose)
		unit_note("vector.fuzz: %lu inputs, %lu used vector registers",
			  iters, vec);
}

void emu_vector_tests(void)
{
	emu_vector_diff_tests();
	test_vex32();
	test_real_vm86();
	test_cr_rules();
	test_encodings();
	test_alignment();
	test_no_vreg();
	test_mmio();
	test_vfuzz();
}
