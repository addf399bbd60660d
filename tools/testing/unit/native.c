// SPDX-License-Identifier: GPL-2.0-only
/*
 * The native side of the differential tests.  A region mapped below 2 GiB
 * (MAP_32BIT, so absolute disp32 addressing reaches all of it and 32-bit
 * address-size forms can address the data) holds a code page, the state
 * block and the data pages.  The code page is rebuilt for each
 * instruction: save the callee-saved registers and RSP, load RFLAGS and
 * the sixteen GPRs from the state block, the instruction, store them back,
 * restore.  A fault in the instruction comes back as its signal number.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "native.h"

#define CODE_SIZE	0x1000
#define STATE_OFF	0x1000
#define DATA_OFF	0x2000
#define REGION_SIZE	(DATA_OFF + NATIVE_DATA_SIZE + 0x1000)

struct native_state {
	u64 in[16];
	u64 in_rflags;
	u64 out[16];
	u64 out_rflags;
	u64 saved_rsp;
};

static u8 *region;
static struct native_state *state;
static unsigned int insn_off;
static u64 fs_base, gs_base;
static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig)
{
	if (!fault_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	fault_armed = 0;
	siglongjmp(fault_jmp, sig);
}

static unsigned int put_abs(u8 *p, unsigned int n, u8 rex, u8 op, u8 reg,
			    const void *addr)
{
	u32 a = (u32)(unsigned long)addr;

	if (rex)
		p[n++] = rex;
	p[n++] = op;
	p[n++] = ((reg & 7) << 3) | 4;	/* SIB, no base: absolute disp32 */
	p[n++] = 0x25;
	memcpy(p + n, &a, 4);
	return n + 4;
}

static unsigned int emit_prologue(u8 *p)
{
	static const u8 push[] = { 0x53, 0x55, 0x41, 0x54, 0x41, 0x55,
				   0x41, 0x56, 0x41, 0x57 };
	unsigned int n = 0, r;

	memcpy(p, push, sizeof(push));
	n = sizeof(push);
	n = put_abs(p, n, 0x48, 0x89, 4, &state->saved_rsp);	/* mov rsp */
	n = put_abs(p, n, 0, 0xff, 6, &state->in_rflags);	/* push */
	p[n++] = 0x9d;						/* popfq */
	for (r = 0; r < 16; r++)
		n = put_abs(p, n, 0x48 | (r >= 8 ? 4 : 0), 0x8b, r,
			    &state->in[r]);
	return n;
}

static unsigned int emit_epilogue(u8 *p, unsigned int n)
{
	static const u8 pop[] = { 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d,
				  0x41, 0x5c, 0x5d, 0x5b, 0xc3 };
	unsigned int r;

	for (r = 0; r < 16; r++)
		n = put_abs(p, n, 0x48 | (r >= 8 ? 4 : 0), 0x89, r,
			    &state->out[r]);
	n = put_abs(p, n, 0x48, 0x8b, 4, &state->saved_rsp);
	p[n++] = 0x9c;						/* pushfq */
	n = put_abs(p, n, 0, 0x8f, 0, &state->out_rflags);	/* pop */
	p[n++] = 0xfc;						/* cld */
	memcpy(p + n, pop, sizeof(pop));
	return n + sizeof(pop);
}

bool native_init(char *why, size_t why_len)
{
	static u8 altstack[65536];
	struct sigaction sa;
	stack_t ss;

	region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (region == MAP_FAILED) {
		snprintf(why, why_len, "no RWX MAP_32BIT mapping");
		return false;
	}
	state = (struct native_state *)(region + STATE_OFF);
	insn_off = emit_prologue(region);
	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base)) {
		snprintf(why, why_len, "arch_prctl(ARCH_GET_FS) failed");
		return false;
	}
	/* GS is free in 64-bit Linux user space: point it below the data. */
	gs_base = (u64)(unsigned long)region + DATA_OFF - 0x1000;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, gs_base)) {
		snprintf(why, why_len, "arch_prctl(ARCH_SET_GS) failed");
		return false;
	}
	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGTRAP, &sa, NULL);
	return true;
}

u64 native_insn_addr(void)
{
	return (u64)(unsigned long)region + insn_off;
}

u8 *native_data(void)
{
	return region + DATA_OFF;
}

u64 native_fs_base(void)
{
	return fs_base;
}

u64 native_gs_base(void)
{
	return gs_base;
}

const u8 *native_code(void)
{
	return region;
}

u64 native_code_base(void)
{
	return (u64)(unsigned long)region;
}

size_t native_code_size(void)
{
	return CODE_SIZE;
}

int native_exec(const u8 *insn, unsigned int len, struct native_run *st)
{
	void (*fn)(void) = (void (*)(void))(void *)region;
	int sig;

	memcpy(region + insn_off, insn, len);
	emit_epilogue(region, insn_off + len);
	memcpy(state->in, st->regs, sizeof(state->in));
	state->in_rflags = st->rflags;
	sig = sigsetjmp(fault_jmp, 1);
	if (sig)
		return sig;
	fault_armed = 1;
	fn();
	fault_armed = 0;
	memcpy(st->regs, state->out, sizeof(st->regs));
	st->rflags = state->out_rflags;
	return 0;
}

bool native_cpu_is_amd(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0, &a, &b, &c, &d))
		return false;
	/* "AuthenticAMD" in EBX, EDX, ECX */
	return b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;
}
