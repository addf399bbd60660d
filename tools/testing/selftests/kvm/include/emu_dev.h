/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake device for the instruction emulator tests (emulator_*.c): the
 * host answers every KVM_EXIT_MMIO read with bytes that are a fixed
 * function of their guest-physical address, feeds REP INS a numbered byte
 * stream, and logs every MMIO and port access (address, length,
 * direction, data, and the guest's RCX/RSI/RDI/RIP at that exit) so that
 * a test can check exactly which accesses an instruction made and in
 * which order.  The byte functions are shared with guest code, which uses
 * them to compute what it should have read.
 *
 * Bytes are a function of the address alone (not of the access length),
 * so a result does not depend on how KVM splits an access; the bytes past
 * the length of a read are filled with EMU_DEV_PAD so that an emulator
 * consuming more than it asked for shows.
 */
#ifndef KVMX_SELFTEST_EMU_DEV_H
#define KVMX_SELFTEST_EMU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "x86.h"

#define EMU_DEV_PORT	0x5e0	/* string I/O port the device handles */
#define EMU_DEV_PAD	0xee
#define EMU_LOG_MAX	256
#define EMU_STREAM_MAX	8192

/* Feature bits the emulator tests check (SDM Vol. 2A, CPUID). */
#define X86_FEATURE_CX16	X86_FEATURE(1, 0, ECX, 13)
#define X86_FEATURE_MOVBE	X86_FEATURE(1, 0, ECX, 22)
#define X86_FEATURE_AVX		X86_FEATURE(1, 0, ECX, 28)
#define X86_FEATURE_SMEP	X86_FEATURE(7, 0, EBX, 7)
#define X86_FEATURE_SMAP	X86_FEATURE(7, 0, EBX, 20)

/* RFLAGS arithmetic bits (SDM Vol. 1 3.4.3) and DF. */
#define EFL_CF	0x001UL
#define EFL_PF	0x004UL
#define EFL_AF	0x010UL
#define EFL_ZF	0x040UL
#define EFL_SF	0x080UL
#define EFL_DF	0x400UL
#define EFL_OF	0x800UL
#define EFL_ARITH (EFL_CF | EFL_PF | EFL_AF | EFL_ZF | EFL_SF | EFL_OF)

/* The device's byte at guest-physical @gpa (shared with guest code). */
static inline uint8_t emu_dev_byte(uint64_t gpa)
{
	uint64_t x = (gpa + 0x5bd1e995ULL) * 0x9e3779b97f4a7c15ULL;

	return (uint8_t)((x >> 56) ^ (x >> 29));
}

/* @len (<= 8) device bytes at @gpa, little endian. */
static inline uint64_t emu_dev_value(uint64_t gpa, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)emu_dev_byte(gpa + i) << (8 * i);
	return v;
}

/* Byte @k of the stream REP INS reads from EMU_DEV_PORT. */
static inline uint8_t emu_pio_byte(uint64_t k)
{
	return (uint8_t)(k * 37 + 11) ^ (uint8_t)(k >> 8);
}

struct emu_access {
	uint64_t addr;		/* GPA, or the port */
	uint32_t len;		/* bytes (PIO: size * count) */
	uint16_t size, count;	/* PIO only */
	bool write, pio;
	uint8_t data[8];	/* MMIO: the bytes moved */
	uint32_t stream_off;	/* PIO: where its bytes are in the stream */
	uint64_t rcx, rsi, rdi, rip;	/* KVM_GET_REGS at the exit */
};

struct emu_dev {
	struct emu_access log[EMU_LOG_MAX];
	unsigned int n;
	/* OUTS bytes and INS bytes, in order. */
	uint8_t out[EMU_STREAM_MAX], in[EMU_STREAM_MAX];
	uint32_t out_len, in_len;
	/* Return (UCALL_NONE) on HLT and on I/O to other ports: guests without ucalls. */
	bool raw_exits;
};

/*
 * Guest side: one instruction run between a load and a store of the
 * registers it may use (struct gst), for comparing an emulated run with a
 * native one.  INSN_FN(name, vload, vstore, text) defines
 * void name(struct gst *), the instruction @text between loads and stores
 * of the GPRs below, RFLAGS, and the vector registers (SSE_* or AVX_*).
 * It is plain asm: @text uses single-% register names.
 */
struct gst {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8, r9;	/* 0x00 .. 0x38 */
	uint64_t flags;					/* 0x40 */
	uint8_t vec[64];	/* 0x48: xmm0/ymm0, 0x68: xmm1/ymm1 */
};

#define GST_LOAD							\
	"mov 0x00(%r15), %rax\n\t" "mov 0x08(%r15), %rbx\n\t"		\
	"mov 0x10(%r15), %rcx\n\t" "mov 0x18(%r15), %rdx\n\t"		\
	"mov 0x20(%r15), %rsi\n\t" "mov 0x28(%r15), %rdi\n\t"		\
	"mov 0x30(%r15), %r8\n\t"  "mov 0x38(%r15), %r9\n\t"
#define GST_STORE							\
	"mov %rax, 0x00(%r15)\n\t" "mov %rbx, 0x08(%r15)\n\t"		\
	"mov %rcx, 0x10(%r15)\n\t" "mov %rdx, 0x18(%r15)\n\t"		\
	"mov %rsi, 0x20(%r15)\n\t" "mov %rdi, 0x28(%r15)\n\t"		\
	"mov %r8, 0x30(%r15)\n\t"  "mov %r9, 0x38(%r15)\n\t"
#define SSE_LOAD  "movdqu 0x48(%r15), %xmm0\n\t" "movdqu 0x68(%r15), %xmm1\n\t"
#define SSE_STORE "movdqu %xmm0, 0x48(%r15)\n\t" "movdqu %xmm1, 0x68(%r15)\n\t"
#define AVX_LOAD  "vmovdqu 0x48(%r15), %ymm0\n\t" "vmovdqu 0x68(%r15), %ymm1\n\t"
#define AVX_STORE "vmovdqu %ymm0, 0x48(%r15)\n\t" "vmovdqu %ymm1, 0x68(%r15)\n\t"

#define INSN_FN(name, vload, vstore, text)				\
	void name(struct gst *);					\
	asm(".pushsection .text\n"					\
	    ".type " #name ", @function\n"				\
	    #name ":\n\t"						\
	    "push %rbx\n\t" "push %r15\n\t" "mov %rdi, %r15\n\t"	\
	    GST_LOAD vload						\
	    "pushq 0x40(%r15)\n\t" "popfq\n\t"				\
	    text "\n\t"							\
	    "pushfq\n\t" "popq 0x40(%r15)\n\t"				\
	    GST_STORE vstore						\
	    "pop %r15\n\t" "pop %rbx\n\t" "ret\n\t"			\
	    ".popsection\n")
/* Without the vector registers. */
#define GPR_INSN_FN(name, text) INSN_FN(name, "", "", text)

struct kvm_vcpu;
struct ucall;

/*
 * Runs the vCPU, answering and logging MMIO and EMU_DEV_PORT exits, until
 * it makes a ucall other than GUEST_PRINTF; returns its command (or
 * UCALL_NONE at a HLT or other port I/O, with d->raw_exits).  Guest
 * assertions and unhandled exceptions fail the test; any other exit fails
 * it with the exit described (an internal error with its data).
 */
uint64_t emu_dev_run(struct emu_dev *d, struct kvm_vcpu *vcpu,
		     struct ucall *uc);
void emu_dev_clear(struct emu_dev *d);

/*
 * Checks the log from entry *pos: the next exits must be one access of
 * @len bytes at @gpa in direction @write, as KVM_EXIT_MMIO delivers it:
 * one exit if it fits in 8 bytes and one page, else pieces of at most 8
 * bytes that do not cross a page, in ascending order, split at the page
 * boundary if it is at most 8 bytes.  For writes, the data must equal
 * @data (NULL: not checked).  Advances *pos; false with @why filled in on
 * a mismatch.
 */
bool emu_dev_match(struct emu_dev *d, unsigned int *pos, uint64_t gpa,
		   uint32_t len, bool write, const uint8_t *data, char *why,
		   size_t why_len);

/*
 * Checks the whole log against @spec, accesses separated by spaces:
 * "R4+10" a 4-byte read at @base + 0x10, "W8-8" an 8-byte write at
 * @base - 8 (offsets hexadecimal).  Write data is compared with
 * @expect(opaque, gpa, buf, len) if @expect is not NULL.
 */
typedef void (*emu_expect_fn)(void *opaque, uint64_t gpa, uint8_t *buf,
			      uint32_t len);
bool emu_dev_check(struct emu_dev *d, uint64_t base, const char *spec,
		   emu_expect_fn expect, void *opaque, char *why,
		   size_t why_len);

/* Prints the log, one access a line, to stderr. */
void emu_dev_dump(struct emu_dev *d);

#endif /* KVMX_SELFTEST_EMU_DEV_H */
