/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A deterministic register workload for checking that register state
 * survives whatever happens around it (VM exits, migration of the vCPU
 * to a fresh VM, host preemption and CPU migration of the thread...).
 *
 * mix_run() loads a struct mix_state into the general registers r8-r15,
 * the x87 stack (with its control word), MXCSR, xmm0-15, the upper
 * halves of ymm0-15 (MIX_F_AVX) and zmm16-31 plus the opmask registers
 * k1-k7 (MIX_F_AVX512), then mixes them for @iters iterations, entirely
 * in registers, and stores them back.  The same inputs always give the
 * same outputs, so a run that is disturbed (MIX_F_EXITS: an OUT to
 * MIX_PORT inside every iteration, with a carry flag live across it) can
 * be compared with one that is not.  It is plain assembly, callable from
 * 64-bit guests and from the host alike (never with MIX_F_EXITS there).
 */
#ifndef KVMX_SELFTEST_GUEST_MIX_H
#define KVMX_SELFTEST_GUEST_MIX_H

#include <stdint.h>

#define MIX_PORT	0x99	/* OUT of the iteration number, 4 bytes */

/* Plain numbers: the assembly uses them too. */
#define MIX_F_EXITS	1
#define MIX_F_AVX	2
#define MIX_F_AVX512	4

/*
 * Assembly text shared by the workload and tests that hold its state in
 * host registers: with %rdi = a struct mix_state and %ebp = MIX_F_*
 * flags, load (then local label 1 is defined) or store the x87 stack,
 * MXCSR, xmm0-15 and, with MIX_F_AVX, the upper halves of ymm0-15.  The
 * store leaves the "jz 1f" of its AVX test for the caller to close with
 * its own label 1 (after whatever it adds there).
 */
#define MIX_STR_(x) #x
#define MIX_STR(x) MIX_STR_(x)
#define MIX_ASM_LOAD_FP \
	"\tfninit\n" \
	"\tfldcw 1792(%rdi)\n" \
	".irp i, 7,6,5,4,3,2,1,0\n" \
	"\tfldt 64+16*\\i(%rdi)\n" \
	".endr\n" \
	"\tldmxcsr 1796(%rdi)\n" \
	".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n" \
	"\tmovdqu 192+16*\\i(%rdi), %xmm\\i\n" \
	".endr\n" \
	"\ttest $" MIX_STR(MIX_F_AVX) ", %ebp\n" \
	"\tjz 1f\n" \
	".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n" \
	"\tvinsertf128 $1, 448+16*\\i(%rdi), %ymm\\i, %ymm\\i\n" \
	".endr\n" \
	"1:\n"

#define MIX_ASM_STORE_FP \
	".irp i, 0,1,2,3,4,5,6,7\n" \
	"\tfstpt 64+16*\\i(%rdi)\n" \
	".endr\n" \
	"\tstmxcsr 1796(%rdi)\n" \
	".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n" \
	"\tmovdqu %xmm\\i, 192+16*\\i(%rdi)\n" \
	".endr\n" \
	"\ttest $" MIX_STR(MIX_F_AVX) ", %ebp\n" \
	"\tjz 1f\n" \
	".irp i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n" \
	"\tvextractf128 $1, %ymm\\i, 448+16*\\i(%rdi)\n" \
	".endr\n"

/* Offsets are used by the assembly: keep them in sync (static_assert). */
struct mix_state {
	uint64_t gpr[8];		/*    0: r8..r15 */
	uint8_t x87[8][16];		/*   64: st(0)..st(7), 10 bytes each */
	uint8_t xmm[16][16];		/*  192 */
	uint8_t ymmh[16][16];		/*  448: bits 255:128 of ymm0-15 */
	uint8_t zmm[16][64];		/*  704: zmm16..zmm31 */
	uint64_t k[8];			/* 1728: k0 (unused)..k7, 16 bits used */
	uint16_t fcw;			/* 1792 */
	uint16_t fsw;			/* 1794: stored only */
	uint32_t mxcsr;			/* 1796 */
	uint64_t rflags_cf;		/* 1800: CF folded in, stored only */
	uint8_t pad[48];
} __attribute__((aligned(64)));

/* Guest or host: fills @st from @seed (x87 values are valid normals). */
void mix_state_init(struct mix_state *st, uint64_t seed);
/* Guest or host: the workload (see above). */
void mix_run(struct mix_state *st, uint64_t iters, uint64_t flags);
/*
 * Host: with MIX_F_AVX/AVX512 in @flags, sets the vCPU's CR4.OSXSAVE
 * (KVM_SET_SREGS) and XCR0 (KVM_SET_XCRS) to what those need, as a VMM
 * restoring such a guest would.  (The guest cannot do it itself on the
 * emulated SVM host: QEMU's TCG does not intercept a nested guest's
 * XSETBV, so KVM never learns of it and reloads its own idea of XCR0 at
 * the next entry.)
 */
struct kvm_vcpu;
void vcpu_enable_mix(struct kvm_vcpu *vcpu, uint64_t flags);
/* The XCR0 that @flags need: x87 | SSE, plus AVX, plus AVX-512's three. */
uint64_t mix_xcr0(uint64_t flags);
/*
 * Host: the MIX_F_AVX/MIX_F_AVX512 flags that both this CPU (its XCR0)
 * and KVM_GET_SUPPORTED_CPUID offer.
 */
uint64_t mix_supported_flags(void);
/* Index of the first differing byte of two states, or -1. */
long mix_state_cmp(const struct mix_state *a, const struct mix_state *b);

#endif /* KVMX_SELFTEST_GUEST_MIX_H */
