/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The x86 instruction emulator's interface.  The emulator is pure: it sees
 * no vCPU, only a context the caller fills before each call (registers,
 * mode, segments, optionally the instruction bytes) and a table of
 * callbacks that reach guest memory by linear address.  The same files
 * build into kvm.ko and into the userspace unit tests (tools/testing/unit),
 * so nothing here may depend on more than <linux/types.h> and
 * <linux/string.h>.  Documentation/emulator.rst describes the protocol.
 */
#ifndef KVMX_EMULATE_H
#define KVMX_EMULATE_H

#include <linux/types.h>
#include <linux/stddef.h>

/* General-purpose registers in ModRM/REX encoding order. */
enum kvmx_emu_reg {
	KVMX_EMU_RAX, KVMX_EMU_RCX, KVMX_EMU_RDX, KVMX_EMU_RBX,
	KVMX_EMU_RSP, KVMX_EMU_RBP, KVMX_EMU_RSI, KVMX_EMU_RDI,
	KVMX_EMU_R8, KVMX_EMU_R9, KVMX_EMU_R10, KVMX_EMU_R11,
	KVMX_EMU_R12, KVMX_EMU_R13, KVMX_EMU_R14, KVMX_EMU_R15,
	KVMX_EMU_NR_REGS
};

/* Segment registers in the encoding order of MOV Sreg (SDM Vol. 2 3.1.1.3). */
enum kvmx_emu_sreg {
	KVMX_EMU_ES, KVMX_EMU_CS, KVMX_EMU_SS, KVMX_EMU_DS,
	KVMX_EMU_FS, KVMX_EMU_GS,
	KVMX_EMU_NR_SREGS
};

/*
 * The mode the instruction runs in.  The caller derives it from CR0.PE,
 * RFLAGS.VM, EFER.LMA, CS.L and CS.D (kvmx_emu_mode() does it); it fixes
 * the default operand and address sizes (SDM Vol. 1 3.6) and which
 * segmentation checks apply.
 */
enum kvmx_emu_mode {
	KVMX_EMU_MODE_REAL,	/* CR0.PE = 0 */
	KVMX_EMU_MODE_VM86,	/* CR0.PE = 1, RFLAGS.VM = 1 */
	KVMX_EMU_MODE_PROT16,	/* protected, CS.D = 0 */
	KVMX_EMU_MODE_PROT32,	/* protected, CS.D = 1 */
	KVMX_EMU_MODE_COMPAT16,	/* EFER.LMA = 1, CS.L = 0, CS.D = 0 */
	KVMX_EMU_MODE_COMPAT32,	/* EFER.LMA = 1, CS.L = 0, CS.D = 1 */
	KVMX_EMU_MODE_LONG64,	/* EFER.LMA = 1, CS.L = 1 */
};

/*
 * A segment register's hidden part.  limit is in bytes (already scaled by
 * G); type, s, dpl, db and the rest are the descriptor's fields.
 */
struct kvmx_emu_seg {
	u64 base;
	u32 limit;
	u16 selector;
	u8 type;		/* descriptor type, 4 bits */
	u8 s;			/* 1: code/data, 0: system */
	u8 dpl;
	u8 present;
	u8 db;			/* D/B: default size; SS: 32-bit stack */
	u8 l;
	u8 g;
	u8 unusable;		/* null selector loaded (VMX "unusable") */
};

/* What the emulator (or a callback) asks the caller to inject. */
struct kvmx_emu_exception {
	u8 vector;
	bool error_code_valid;
	u32 error_code;
	u64 cr2;		/* #PF only */
};

/*
 * Results, both of a callback and of kvmx_emulate().
 *  OK         done.  From kvmx_emulate(): write back regs, rip and rflags.
 *  EXCEPTION  inject ctxt->exception.  The registers hold the state at the
 *             faulting instruction (a REP string instruction keeps the
 *             iterations done before the fault, as the CPU does), so the
 *             caller writes them back too; rip still points at the
 *             instruction.
 *  USER       a callback needs userspace (an MMIO read whose data the VMM
 *             must supply, or a second MMIO access while one is pending).
 *             From kvmx_emulate(): write back the registers (rip is not
 *             advanced; REP keeps the finished iterations), exit to
 *             userspace, and run the instruction again once the data is
 *             there.  The emulator repeats the same accesses in the same
 *             order, so the caller can answer the first of them from the
 *             completed exit.
 *  UNHANDLED  not an instruction this emulator knows (kvmx_emulate()
 *             only; nothing was accessed through a write callback).
 *  RETRY      a LOCKed access lost a race too often: nothing was done,
 *             re-enter the guest at the same rip (kvmx_emulate() only).
 */
enum kvmx_emu_result {
	KVMX_EMU_OK,
	KVMX_EMU_EXCEPTION,
	KVMX_EMU_USER,
	KVMX_EMU_UNHANDLED,
	KVMX_EMU_RETRY,
};

struct kvmx_emu_ctxt;

/*
 * The callbacks.  Addresses are linear (segmentation already applied and
 * checked by the emulator); the caller translates them with the guest's
 * paging and splits accesses that cross a page.  Each returns a
 * kvmx_emu_result: OK, EXCEPTION (after kvmx_emu_set_exception() or
 * kvmx_emu_set_pf()), or USER.  Data is little-endian, as in guest memory.
 *
 * fetch	instruction bytes; only called for bytes not supplied in
 *		ctxt->insn_bytes, never across a page boundary.
 * read		a data read of len (1..64) bytes.
 * write	a data write.
 * cmpxchg	for LOCKed forms and XCHG: atomically, if memory equals
 *		*old store *new; either way leave the value memory held in
 *		*old.  NULL: the emulator uses read then write (no
 *		atomicity, which is all MMIO can have anyway).
 * pio_in	port input for INS: @count elements of @size bytes (count
 *		> 1 only for a REP batch, at most 64 bytes in all) into
 *		@buf.  USER: the caller queued KVM_EXIT_IO and answers the
 *		same call from the completed exit when the instruction
 *		runs again.
 * pio_out	port output for OUTS: like an MMIO write, OK once queued
 *		(the instruction completes, then the caller exits); USER
 *		if an exit is already pending.
 * get_seg	fill @seg (a kvmx_emu_sreg) for the emulator, which asks
 *		only for the segments ctxt->seg_pending names, each once.
 *		NULL: seg_pending must be 0.
 * get_vreg	read vector register @reg (0..15): @bytes 16 (XMM) or 32
 *		(YMM).
 * set_vreg	write it: 16 bytes leaves bits 255:128 alone (legacy SSE
 *		stores); 32 bytes writes the whole YMM and zeroes anything
 *		above (VEX: a VEX.128 result is passed zero-extended to 32).
 *		NULL get_vreg/set_vreg: SSE and AVX forms are UNHANDLED.
 */
struct kvmx_emu_ops {
	int (*fetch)(struct kvmx_emu_ctxt *ctxt, u64 linear, void *buf,
		     unsigned int len);
	int (*read)(struct kvmx_emu_ctxt *ctxt, u64 linear, void *buf,
		    unsigned int len);
	int (*write)(struct kvmx_emu_ctxt *ctxt, u64 linear, const void *buf,
		     unsigned int len);
	int (*cmpxchg)(struct kvmx_emu_ctxt *ctxt, u64 linear, void *old,
		       const void *new, unsigned int len);
	int (*pio_in)(struct kvmx_emu_ctxt *ctxt, u16 port, void *buf,
		      unsigned int size, unsigned int count);
	int (*pio_out)(struct kvmx_emu_ctxt *ctxt, u16 port, const void *buf,
		       unsigned int size, unsigned int count);
	int (*get_vreg)(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
			void *buf, unsigned int bytes);
	int (*set_vreg)(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
			const void *buf, unsigned int bytes);
	void (*get_seg)(struct kvmx_emu_ctxt *ctxt, unsigned int seg,
			struct kvmx_emu_seg *s);
};

#define KVMX_EMU_MAX_INSN	15	/* SDM Vol. 2 2.3.11 */

/*
 * The context.  "in": the caller fills it before kvmx_emulate();
 * "in/out": the emulator updates it; "out": the emulator fills it.
 */
struct kvmx_emu_ctxt {
	/* in/out */
	u64 regs[KVMX_EMU_NR_REGS];
	u64 rip;
	u64 rflags;

	/* in */
	enum kvmx_emu_mode mode;
	u8 cpl;
	u64 cr0;		/* AM, EM, TS matter */
	u64 cr4;		/* LA57, OSFXSR, OSXSAVE matter */
	u64 efer;
	u64 xcr0;		/* AVX: XCR0.SSE and .YMM must be set */
	/* the CPU lacks BMI1 / LZCNT: F3 0F BC / BD run as BSF / BSR */
	bool no_tzcnt, no_lzcnt;
	struct kvmx_emu_seg seg[KVMX_EMU_NR_SREGS];
	/*
	 * in: the segments (bit n: seg[n]) the caller left to ops->get_seg,
	 * which the emulator calls at their first use; most instructions
	 * need one or two of the six.  0: seg[] is complete.
	 */
	u8 seg_pending;
	const struct kvmx_emu_ops *ops;
	void *opaque;		/* for the callbacks; the emulator ignores it */

	/*
	 * in/out: instruction bytes at rip, as decode assists give them
	 * (insn_len = 0: none).  After kvmx_emulate() they hold the bytes
	 * fetched so far and insn_len the decoded length (or the bytes seen
	 * when decoding failed), for KVM_INTERNAL_ERROR_EMULATION reports.
	 */
	u8 insn_bytes[KVMX_EMU_MAX_INSN];
	u8 insn_len;

	/*
	 * in/out: the data of the reads an earlier run of this instruction
	 * completed before it returned KVMX_EMU_USER; the next run takes
	 * them from here instead of reading again.  Zero replay_len before
	 * emulating a new instruction; after KVMX_EMU_USER keep both as they
	 * are.  The emulator clears them when the instruction is done.
	 */
	u8 replay[64];
	u8 replay_len;
	u8 replay_pos;		/* private to the emulator */

	/*
	 * Set by the read/write callbacks when an access went to a device
	 * (MMIO) rather than memory: string I/O then does one element per
	 * batch, so that the device and the port see their accesses
	 * interleaved, as the CPU makes them.  The emulator clears it.
	 */
	bool device_access;

	/*
	 * out, set before the first data access: the instruction's data
	 * accesses are all to its ModRM memory operand (one access, or the
	 * read and write of one read-modify-write), and none is a string or
	 * stack access.  A caller that knows where the access behind the
	 * emulation went may then use that for the first one (mmio.c).
	 */
	bool modrm_only;

	/* out */
	struct kvmx_emu_exception exception;
	u16 opcode;		/* 0x0fXX for two-byte opcodes, for reports */
};

/* The mode from the registers that define it (SDM Vol. 3A 2.2, 9.8.5). */
enum kvmx_emu_mode kvmx_emu_mode(u64 cr0, u64 efer, u64 rflags,
				 const struct kvmx_emu_seg *cs);

/* Decode and execute the instruction at ctxt->rip; see the results above. */
enum kvmx_emu_result kvmx_emulate(struct kvmx_emu_ctxt *ctxt);

/* For callbacks: record an exception and return KVMX_EMU_EXCEPTION. */
int kvmx_emu_set_exception(struct kvmx_emu_ctxt *ctxt, u8 vector,
			   bool error_code_valid, u32 error_code);
int kvmx_emu_set_pf(struct kvmx_emu_ctxt *ctxt, u64 cr2, u32 error_code);

/* Exception vectors the emulator raises itself (SDM Vol. 3A 6.3.1). */
#define KVMX_EMU_VEC_DE	0
#define KVMX_EMU_VEC_UD	6
#define KVMX_EMU_VEC_NM	7
#define KVMX_EMU_VEC_SS	12
#define KVMX_EMU_VEC_GP	13
#define KVMX_EMU_VEC_PF	14
#define KVMX_EMU_VEC_AC	17

#endif /* KVMX_EMULATE_H */
