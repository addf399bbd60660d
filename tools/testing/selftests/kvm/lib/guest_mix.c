// SPDX-License-Identifier: GPL-2.0-only
/*
 * The register workload of include/guest_mix.h.  mix_run() is one
 * assembly function (not inline asm in C: the library is built with
 * -mgeneral-regs-only, and a whole function has no compiler-allocated
 * register to collide with).  It follows the SysV ABI: rbx, rbp and
 * r12-r15 are saved, and so are the caller's x87 control word and MXCSR
 * (callee-saved control bits, psABI 3.2.1), so the host may call it too.
 */
#include <stddef.h>

#include "kvm_util.h"
#include "guest.h"
#include "guest_mix.h"
#include "x86.h"

_Static_assert(offsetof(struct mix_state, x87) == 64, "mix_state layout");
_Static_assert(offsetof(struct mix_state, xmm) == 192, "mix_state layout");
_Static_assert(offsetof(struct mix_state, ymmh) == 448, "mix_state layout");
_Static_assert(offsetof(struct mix_state, zmm) == 704, "mix_state layout");
_Static_assert(offsetof(struct mix_state, k) == 1728, "mix_state layout");
_Static_assert(offsetof(struct mix_state, fcw) == 1792, "mix_state layout");
_Static_assert(offsetof(struct mix_state, fsw) == 1794, "mix_state layout");
_Static_assert(offsetof(struct mix_state, mxcsr) == 1796, "mix_state layout");
_Static_assert(offsetof(struct mix_state, rflags_cf) == 1800, "mix_state layout");

/*
 * XCR0 components (SDM Vol. 1 13.1): x87, SSE, AVX; AVX-512 adds the
 * opmask, ZMM_Hi256 and Hi16_ZMM states.
 */
#define XFEATURE_AVX	0x07UL
#define XFEATURE_AVX512	0xe0UL

#define __STR(x) #x
#define STR(x) __STR(x)

/* rdi = st, rsi = iters, rdx = flags */
asm(".pushsection .text\n"
    ".globl mix_run\n"
    ".type mix_run, @function\n"
    "mix_run:\n"
    "\tpush %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n"
    "\tsub $16, %rsp\n"
    "\tfnstcw (%rsp)\n"
    "\tstmxcsr 4(%rsp)\n"
    "\tmov %rdx, %rbp\n"
    /* rcx != 0: exits wanted (jrcxz leaves the flags alone). */
    "\tmov %rdx, %rcx\n"
    "\tand $" STR(MIX_F_EXITS) ", %rcx\n"
    ".irp r, 8,9,10,11,12,13,14,15\n"
    "\tmov 8*(\\r-8)(%rdi), %r\\r\n"
    ".endr\n"
    MIX_ASM_LOAD_FP
    "\ttest $" STR(MIX_F_AVX512) ", %ebp\n"
    "\tjz 1f\n"
    ".irp i, 16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "\tvmovdqu64 704+64*(\\i-16)(%rdi), %zmm\\i\n"
    ".endr\n"
    ".irp i, 1,2,3,4,5,6,7\n"
    "\tkmovw 1728+8*\\i(%rdi), %k\\i\n"
    ".endr\n"
    "1:\n"
    "\txor %ebx, %ebx\n"
    "2:\n"
    "\tcmp %rsi, %rbx\n"
    "\tjae 9f\n"
    /* General registers. */
    "\trol $13, %r8\n"
    "\txor %r8, %r9\n"
    "\timul %r9, %r10\n"
    "\tadd %r10, %r11\n"
    "\tror $7, %r11\n"
    "\txor %r11, %r12\n"
    "\tlea 1(%r12,%r13,4), %r13\n"
    "\tsub %r13, %r14\n"
    "\tbswap %r14\n"
    "\txor %r14, %r15\n"
    "\tadd %rbx, %r15\n"
    /* x87: additions and square roots, rounding per the control word. */
    "\tfadd %st(1), %st\n"
    "\tfxch %st(3)\n"
    "\tfsub %st(5), %st\n"
    "\tfxch %st(6)\n"
    "\tfabs\n"
    "\tfsqrt\n"
    "\tfxch %st(2)\n"
    "\tfadd %st(7), %st\n"
    /* SSE: integer and float (rounding per MXCSR). */
    "\tpaddq %xmm1, %xmm0\n"
    "\tpaddq %xmm2, %xmm1\n"
    "\tpaddq %xmm3, %xmm2\n"
    "\tpaddq %xmm4, %xmm3\n"
    "\tpaddq %xmm5, %xmm4\n"
    "\tpaddq %xmm6, %xmm5\n"
    "\tpaddq %xmm7, %xmm6\n"
    "\tpaddq %xmm8, %xmm7\n"
    "\tpaddq %xmm9, %xmm8\n"
    "\tpaddq %xmm10, %xmm9\n"
    "\tpaddq %xmm11, %xmm10\n"
    "\tpaddq %xmm12, %xmm11\n"
    "\tpaddq %xmm13, %xmm12\n"
    "\tpaddq %xmm14, %xmm13\n"
    "\tpaddq %xmm15, %xmm14\n"
    "\tpxor %xmm0, %xmm15\n"
    "\tpshufd $0x39, %xmm15, %xmm15\n"
    "\tmulps %xmm1, %xmm2\n"
    "\taddps %xmm3, %xmm4\n"
    "\tsubps %xmm5, %xmm6\n"
    "\tpshufb %xmm8, %xmm9\n"
    "\ttest $" STR(MIX_F_AVX) ", %ebp\n"
    "\tjz 3f\n"
    "\tvperm2f128 $0x01, %ymm0, %ymm0, %ymm0\n"
    "\tvperm2f128 $0x01, %ymm1, %ymm1, %ymm1\n"
    "\tvperm2f128 $0x01, %ymm2, %ymm2, %ymm2\n"
    "\tvperm2f128 $0x01, %ymm3, %ymm3, %ymm3\n"
    "\tvperm2f128 $0x01, %ymm4, %ymm4, %ymm4\n"
    "\tvperm2f128 $0x01, %ymm5, %ymm5, %ymm5\n"
    "\tvperm2f128 $0x01, %ymm6, %ymm6, %ymm6\n"
    "\tvperm2f128 $0x01, %ymm7, %ymm7, %ymm7\n"
    "\tvperm2f128 $0x01, %ymm8, %ymm8, %ymm8\n"
    "\tvperm2f128 $0x01, %ymm9, %ymm9, %ymm9\n"
    "\tvperm2f128 $0x01, %ymm10, %ymm10, %ymm10\n"
    "\tvperm2f128 $0x01, %ymm11, %ymm11, %ymm11\n"
    "\tvperm2f128 $0x01, %ymm12, %ymm12, %ymm12\n"
    "\tvperm2f128 $0x01, %ymm13, %ymm13, %ymm13\n"
    "\tvperm2f128 $0x01, %ymm14, %ymm14, %ymm14\n"
    "\tvperm2f128 $0x01, %ymm15, %ymm15, %ymm15\n"
    "\tvaddps %ymm1, %ymm0, %ymm0\n"
    "\tvxorps %ymm7, %ymm6, %ymm6\n"
    "3:\n"
    "\ttest $" STR(MIX_F_AVX512) ", %ebp\n"
    "\tjz 3f\n"
    "\tvpaddq %zmm17, %zmm16, %zmm16\n"
    "\tvpaddq %zmm18, %zmm17, %zmm17\n"
    "\tvpaddq %zmm19, %zmm18, %zmm18\n"
    "\tvpaddq %zmm20, %zmm19, %zmm19\n"
    "\tvpaddq %zmm21, %zmm20, %zmm20\n"
    "\tvpaddq %zmm22, %zmm21, %zmm21\n"
    "\tvpaddq %zmm23, %zmm22, %zmm22\n"
    "\tvpaddq %zmm24, %zmm23, %zmm23\n"
    "\tvpaddq %zmm25, %zmm24, %zmm24\n"
    "\tvpaddq %zmm26, %zmm25, %zmm25\n"
    "\tvpaddq %zmm27, %zmm26, %zmm26\n"
    "\tvpaddq %zmm28, %zmm27, %zmm27\n"
    "\tvpaddq %zmm29, %zmm28, %zmm28\n"
    "\tvpaddq %zmm30, %zmm29, %zmm29\n"
    "\tvpaddq %zmm31, %zmm30, %zmm30\n"
    "\tvalignq $3, %zmm31, %zmm31, %zmm31\n"
    "\tvpxorq %zmm16, %zmm31, %zmm31\n"
    "\tvpaddq %zmm20, %zmm21, %zmm22{%k1}\n"
    "\tvpsubq %zmm23, %zmm24, %zmm25{%k2}{z}\n"
    "\tkxorw %k2, %k1, %k1\n"
    "\tkshiftlw $1, %k1, %k2\n"
    "\tknotw %k3, %k3\n"
    "\tkxorw %k3, %k4, %k4\n"
    "\tkandw %k4, %k5, %k5\n"
    "\tkorw %k5, %k6, %k6\n"
    "\tkxnorw %k6, %k7, %k7\n"
    "\tkshiftrw $3, %k7, %k3\n"
    "3:\n"
    /* A carry live across the exit: RFLAGS must survive it. */
    "\tadd %r15, %r8\n"
    "\tjrcxz 4f\n"
    "\tmov %ebx, %eax\n"
    "\tout %eax, $" STR(MIX_PORT) "\n"
    "4:\n"
    "\tadc $0, %r9\n"
    "\tinc %rbx\n"
    "\tjmp 2b\n"
    "9:\n"
    "\tpushf\n"
    "\tpop %rax\n"
    "\tand $0x8d5, %rax\n"
    "\tmov %rax, 1800(%rdi)\n"
    ".irp r, 8,9,10,11,12,13,14,15\n"
    "\tmov %r\\r, 8*(\\r-8)(%rdi)\n"
    ".endr\n"
    "\tfnstsw 1794(%rdi)\n"
    MIX_ASM_STORE_FP
    "1:\n"
    "\ttest $" STR(MIX_F_AVX512) ", %ebp\n"
    "\tjz 1f\n"
    ".irp i, 16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    "\tvmovdqu64 %zmm\\i, 704+64*(\\i-16)(%rdi)\n"
    ".endr\n"
    ".irp i, 1,2,3,4,5,6,7\n"
    "\tkmovw %k\\i, 1728+8*\\i(%rdi)\n"
    ".endr\n"
    "1:\n"
    "\ttest $" STR(MIX_F_AVX | MIX_F_AVX512) ", %ebp\n"
    "\tjz 1f\n"
    "\tvzeroupper\n"
    "1:\n"
    "\tfldcw (%rsp)\n"
    "\tldmxcsr 4(%rsp)\n"
    "\tadd $16, %rsp\n"
    "\tpop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n"
    "\tret\n"
    ".size mix_run, . - mix_run\n"
    ".popsection\n");

/* xorshift64*: no libc, so that guests can use it too. */
static uint64_t mix_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

void mix_state_init(struct mix_state *st, uint64_t seed)
{
	uint64_t s = seed | 1, *w = (uint64_t *)st;
	unsigned int i;

	for (i = 0; i < sizeof(*st) / 8; i++)
		w[i] = mix_rand(&s);
	/* Normal x87 numbers in [1, 2^16): explicit integer bit, small exponent. */
	for (i = 0; i < 8; i++) {
		uint64_t mant = mix_rand(&s) | (1ULL << 63);
		uint16_t exp = 0x3fff + (mix_rand(&s) & 15);
		unsigned int b;

		for (b = 0; b < 8; b++)
			st->x87[i][b] = mant >> (8 * b);
		st->x87[i][8] = exp;
		st->x87[i][9] = exp >> 8;
		for (b = 10; b < 16; b++)
			st->x87[i][b] = 0;
	}
	/* Round toward zero, 64-bit precision, all exceptions masked. */
	st->fcw = 0x0f7f;
	st->fsw = 0;
	/* Round toward zero, flush to zero, all exceptions masked. */
	st->mxcsr = 0xff80;
	st->rflags_cf = 0;
	for (i = 0; i < 8; i++)
		st->k[i] &= 0xffff;
	for (i = 0; i < sizeof(st->pad); i++)
		st->pad[i] = 0;
}

long mix_state_cmp(const struct mix_state *a, const struct mix_state *b)
{
	const uint8_t *pa = (const uint8_t *)a, *pb = (const uint8_t *)b;
	size_t i;

	for (i = 0; i < sizeof(*a); i++)
		if (pa[i] != pb[i])
			return i;
	return -1;
}

void vcpu_enable_mix(struct kvm_vcpu *vcpu, uint64_t flags)
{
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	struct kvm_sregs s;

	if (!(flags & (MIX_F_AVX | MIX_F_AVX512)))
		return;
	vcpu_sregs_get(vcpu, &s);
	s.cr4 |= X86_CR4_OSXSAVE;
	vcpu_sregs_set(vcpu, &s);
	xcrs.xcrs[0].xcr = 0;
	xcrs.xcrs[0].value = mix_xcr0(flags);
	vcpu_ioctl(vcpu, KVM_SET_XCRS, &xcrs);
}

uint64_t mix_xcr0(uint64_t flags)
{
	uint64_t xcr0 = 0x3;

	if (flags & (MIX_F_AVX | MIX_F_AVX512))
		xcr0 |= XFEATURE_AVX;
	if (flags & MIX_F_AVX512)
		xcr0 |= XFEATURE_AVX512;
	return xcr0;
}

static const struct kvm_cpuid_entry2 *find_leaf(const struct kvm_cpuid2 *c,
						 uint32_t fn, uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

uint64_t mix_supported_flags(void)
{
	const struct kvm_cpuid2 *c = kvm_get_supported_cpuid();
	const struct kvm_cpuid_entry2 *l1 = find_leaf(c, 1, 0);
	const struct kvm_cpuid_entry2 *l7 = find_leaf(c, 7, 0);
	const struct kvm_cpuid_entry2 *ld = find_leaf(c, 0xd, 0);
	uint32_t a, b, cx, d, lo, hi;
	uint64_t host_xcr0, flags = 0;

	host_cpuid(1, 0, &a, &b, &cx, &d);
	if (!(cx & (1U << 27)))		/* OSXSAVE: the host uses XSAVE */
		return 0;
	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	host_xcr0 = lo | ((uint64_t)hi << 32);
	/* CPUID.1:ECX.XSAVE[26], .AVX[28]; CPUID.7.0:EBX.AVX512F[16] */
	if (!l1 || !ld || !(l1->ecx & (1U << 26)) || !(l1->ecx & (1U << 28)))
		return 0;
	if ((host_xcr0 & XFEATURE_AVX) == XFEATURE_AVX &&
	    (ld->eax & XFEATURE_AVX) == XFEATURE_AVX)
		flags |= MIX_F_AVX;
	if ((flags & MIX_F_AVX) && l7 && (l7->ebx & (1U << 16)) &&
	    (host_xcr0 & XFEATURE_AVX512) == XFEATURE_AVX512 &&
	    (ld->eax & XFEATURE_AVX512) == XFEATURE_AVX512)
		flags |= MIX_F_AVX512;
	return flags;
}
