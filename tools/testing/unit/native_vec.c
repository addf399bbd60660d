// SPDX-License-Identifier: GPL-2.0-only
/*
 * The native side of the vector differential tests.  The "instruction"
 * handed to native.c's runner is a sequence: sixteen loads of XMM/YMM
 * 0-15 from a state page, the instruction under test, sixteen stores back
 * and (with AVX) VZEROUPPER.  The state page is mapped below 2 GiB so the
 * loads and stores address it with an absolute disp32 and need no GPR:
 * the GPRs belong to the test.  Vector registers are caller-saved in the
 * SysV ABI, so clobbering them inside the runner is harmless.
 */
#include <string.h>
#include <sys/mman.h>
#include "native_vec.h"

struct vec_page {
	struct native_vec in;
	struct native_vec out;
};

static struct vec_page *page;
static bool avx, avx2, sse41;

bool native_vec_init(char *why, size_t why_len)
{
	if (!native_init(why, why_len))
		return false;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (page == MAP_FAILED) {
		snprintf(why, why_len, "no MAP_32BIT page for vector state");
		return false;
	}
	/* libgcc checks XCR0 too: AVX is usable only if the OS saves YMM. */
	__builtin_cpu_init();
	avx = __builtin_cpu_supports("avx");
	avx2 = __builtin_cpu_supports("avx2");
	sse41 = __builtin_cpu_supports("sse4.1");
	return true;
}

bool native_has_avx(void)
{
	return avx;
}

bool native_has_avx2(void)
{
	return avx2;
}

bool native_has_sse41(void)
{
	return sse41;
}

/*
 * VMOVDQU ymm, [abs32] (C5 FE/7E 6F) or MOVDQU xmm, [abs32] with a REX
 * (F3 40/44 0F 6F); op 0x7f for the stores.
 */
static unsigned int put_move(u8 *p, unsigned int reg, u8 op, const void *at)
{
	u32 a = (u32)(unsigned long)at;
	unsigned int n = 0;

	if (avx) {
		p[n++] = 0xc5;
		p[n++] = reg < 8 ? 0xfe : 0x7e;
	} else {
		p[n++] = 0xf3;
		p[n++] = reg < 8 ? 0x40 : 0x44;
		p[n++] = 0x0f;
	}
	p[n++] = op;
	p[n++] = ((reg & 7) << 3) | 4;
	p[n++] = 0x25;
	memcpy(p + n, &a, 4);
	return n + 4;
}

static unsigned int loads_len(void)
{
	return 16 * (avx ? 9 : 10);
}

u64 native_vec_insn_addr(void)
{
	return native_insn_addr() + loads_len();
}

int native_vec_exec(const u8 *insn, unsigned int len, struct native_run *st,
		    struct native_vec *v)
{
	u8 seq[16 * 10 * 2 + 32];
	unsigned int n = 0, i;
	int sig;

	for (i = 0; i < 16; i++)
		n += put_move(seq + n, i, 0x6f, page->in.v[i]);
	memcpy(seq + n, insn, len);
	n += len;
	for (i = 0; i < 16; i++)
		n += put_move(seq + n, i, 0x7f, page->out.v[i]);
	if (avx) {
		/* VZEROUPPER: no dirty upper state left for the C code. */
		seq[n++] = 0xc5;
		seq[n++] = 0xf8;
		seq[n++] = 0x77;
	}
	page->in = *v;
	sig = native_exec(seq, n, st);
	if (sig)
		return sig;
	for (i = 0; i < 16; i++)
		memcpy(v->v[i], page->out.v[i], avx ? 32 : 16);
	return 0;
}
