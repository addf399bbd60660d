/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Virtual Machine Control Block as the hardware reads it: the control
 * area (intercepts, ASID, exit information, nested paging) and the state
 * save area (guest segments, control registers, the MSRs VMLOAD/VMSAVE
 * move), laid out per AMD APM Vol. 2 Appendix B, plus the bit values of the
 * fields kvm-amd programs.  Offsets are checked at build time so a slip in
 * a reserved gap cannot silently shift the fields behind it.
 */
#ifndef KVMX_SVM_VMCB_H
#define KVMX_SVM_VMCB_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* Control area, APM Vol. 2 Table B-1. */
struct vmcb_control {
	u32 intercept_cr;		/* 0x000: CRn reads 0-15, writes 16-31 */
	u32 intercept_dr;		/* 0x004: DRn reads 0-15, writes 16-31 */
	u32 intercept_exceptions;	/* 0x008: one bit per vector */
	u32 intercept_misc1;		/* 0x00c: SVM_INTERCEPT1_* */
	u32 intercept_misc2;		/* 0x010: SVM_INTERCEPT2_* */
	u32 intercept_misc3;		/* 0x014: INVLPGB, INVPCID, ... */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_control;			/* 0x05c: SVM_TLB_* */
	u8 reserved_05d[3];
	u64 vintr;			/* 0x060: V_TPR, V_IRQ, V_INTR_MASKING */
	u64 interrupt_state;		/* 0x068: bit 0 interrupt shadow */
	u64 exit_code;			/* 0x070 */
	u64 exit_info1;			/* 0x078 */
	u64 exit_info2;			/* 0x080 */
	u64 exit_int_info;		/* 0x088: SVM_EVENT_* format */
	u64 np_control;			/* 0x090: bit 0 NP_ENABLE */
	u64 avic_apic_bar;		/* 0x098 */
	u64 ghcb_pa;			/* 0x0a0 */
	u64 event_inj;			/* 0x0a8: SVM_EVENT_* format */
	u64 n_cr3;			/* 0x0b0: nested page table root */
	u64 virt_ext;			/* 0x0b8: LBR / VMLOAD-VMSAVE virt */
	u32 clean;			/* 0x0c0: VMCB clean bits */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8: with NRIP save */
	u8 insn_fetched;		/* 0x0d0: with decode assists */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 reserved_0e0[0x400 - 0x0e0];
};

/* A segment or descriptor-table register in the state save area. */
struct vmcb_seg {
	u16 selector;
	u16 attrib;			/* VMCB_ATTR_* */
	u32 limit;			/* expanded, byte granular */
	u64 base;
};

/* State save area, APM Vol. 2 Table B-2 (offsets from its start). */
struct vmcb_save {
	struct vmcb_seg es;		/* 0x000 */
	struct vmcb_seg cs;		/* 0x010 */
	struct vmcb_seg ss;		/* 0x020 */
	struct vmcb_seg ds;		/* 0x030 */
	struct vmcb_seg fs;		/* 0x040 */
	struct vmcb_seg gs;		/* 0x050 */
	struct vmcb_seg gdtr;		/* 0x060: selector, attrib unused */
	struct vmcb_seg ldtr;		/* 0x070 */
	struct vmcb_seg idtr;		/* 0x080: selector, attrib unused */
	struct vmcb_seg tr;		/* 0x090 */
	u8 reserved_0a0[0x0cb - 0x0a0];
	u8 cpl;				/* 0x0cb */
	u32 reserved_0cc;
	u64 efer;			/* 0x0d0 */
	u8 reserved_0d8[0x148 - 0x0d8];
	u64 cr4;			/* 0x148 */
	u64 cr3;			/* 0x150 */
	u64 cr0;			/* 0x158 */
	u64 dr7;			/* 0x160 */
	u64 dr6;			/* 0x168 */
	u64 rflags;			/* 0x170 */
	u64 rip;			/* 0x178 */
	u8 reserved_180[0x1d8 - 0x180];
	u64 rsp;			/* 0x1d8 */
	u64 s_cet;			/* 0x1e0 */
	u64 ssp;			/* 0x1e8 */
	u64 isst_addr;			/* 0x1f0 */
	u64 rax;			/* 0x1f8 */
	u64 star;			/* 0x200 */
	u64 lstar;			/* 0x208 */
	u64 cstar;			/* 0x210 */
	u64 sfmask;			/* 0x218 */
	u64 kernel_gs_base;		/* 0x220 */
	u64 sysenter_cs;		/* 0x228 */
	u64 sysenter_esp;		/* 0x230 */
	u64 sysenter_eip;		/* 0x238 */
	u64 cr2;			/* 0x240 */
	u8 reserved_248[0x268 - 0x248];
	u64 g_pat;			/* 0x268: guest PAT, used with NPT */
	u64 dbgctl;			/* 0x270 */
	u64 br_from;			/* 0x278 */
	u64 br_to;			/* 0x280 */
	u64 last_excp_from;		/* 0x288 */
	u64 last_excp_to;		/* 0x290 */
	u8 reserved_298[0x2e0 - 0x298];
	u64 spec_ctrl;			/* 0x2e0: used with V_SPEC_CTRL */
	u8 reserved_2e8[0xc00 - 0x2e8];
};

/* One 4 KiB page, 4 KiB aligned (APM Vol. 2 15.5.1). */
struct vmcb {
	struct vmcb_control control;	/* 0x000 */
	struct vmcb_save save;		/* 0x400 */
};

#define VMCB_CHECK(type, field, off) \
	static_assert(offsetof(struct type, field) == (off))

VMCB_CHECK(vmcb_control, intercept_misc1, 0x00c);
VMCB_CHECK(vmcb_control, intercept_misc3, 0x014);
VMCB_CHECK(vmcb_control, pause_filter_threshold, 0x03c);
VMCB_CHECK(vmcb_control, iopm_base_pa, 0x040);
VMCB_CHECK(vmcb_control, asid, 0x058);
VMCB_CHECK(vmcb_control, tlb_control, 0x05c);
VMCB_CHECK(vmcb_control, vintr, 0x060);
VMCB_CHECK(vmcb_control, exit_code, 0x070);
VMCB_CHECK(vmcb_control, exit_int_info, 0x088);
VMCB_CHECK(vmcb_control, np_control, 0x090);
VMCB_CHECK(vmcb_control, event_inj, 0x0a8);
VMCB_CHECK(vmcb_control, n_cr3, 0x0b0);
VMCB_CHECK(vmcb_control, clean, 0x0c0);
VMCB_CHECK(vmcb_control, next_rip, 0x0c8);
VMCB_CHECK(vmcb_control, insn_bytes, 0x0d1);
static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(sizeof(struct vmcb_seg) == 16);
VMCB_CHECK(vmcb_save, tr, 0x090);
VMCB_CHECK(vmcb_save, cpl, 0x0cb);
VMCB_CHECK(vmcb_save, efer, 0x0d0);
VMCB_CHECK(vmcb_save, cr4, 0x148);
VMCB_CHECK(vmcb_save, rip, 0x178);
VMCB_CHECK(vmcb_save, rsp, 0x1d8);
VMCB_CHECK(vmcb_save, rax, 0x1f8);
VMCB_CHECK(vmcb_save, kernel_gs_base, 0x220);
VMCB_CHECK(vmcb_save, cr2, 0x240);
VMCB_CHECK(vmcb_save, g_pat, 0x268);
VMCB_CHECK(vmcb_save, last_excp_to, 0x290);
VMCB_CHECK(vmcb_save, spec_ctrl, 0x2e0);
VMCB_CHECK(vmcb, save, 0x400);
static_assert(sizeof(struct vmcb) == 4096);

/* Segment attributes: descriptor bits 40-47 and 52-55 packed (APM B-2). */
#define VMCB_ATTR_TYPE		0x000f
#define VMCB_ATTR_S		BIT(4)
#define VMCB_ATTR_DPL_SHIFT	5
#define VMCB_ATTR_DPL		(3 << VMCB_ATTR_DPL_SHIFT)
#define VMCB_ATTR_P		BIT(7)
#define VMCB_ATTR_AVL		BIT(8)
#define VMCB_ATTR_L		BIT(9)
#define VMCB_ATTR_DB		BIT(10)
#define VMCB_ATTR_G		BIT(11)

/* Intercept of DR0-7 reads (bits 0-7) and writes (bits 16-23). */
#define SVM_INTERCEPT_DR0_7	0x00ff00ffU

/* Intercept of CR4 writes (control area 0x000, bit 16 + 4). */
#define SVM_INTERCEPT_CR4_WRITE	BIT(16 + 4)
#define SVM_INTERCEPT_CR8_WRITE	BIT(16 + 8)

/* Intercept vector 3 (control area 0x00c), APM Table B-1. */
#define SVM_INTERCEPT1_INTR		BIT(0)
#define SVM_INTERCEPT1_NMI		BIT(1)
#define SVM_INTERCEPT1_SMI		BIT(2)
#define SVM_INTERCEPT1_INIT		BIT(3)
#define SVM_INTERCEPT1_VINTR		BIT(4)
#define SVM_INTERCEPT1_RDPMC		BIT(15)
#define SVM_INTERCEPT1_CPUID		BIT(18)
#define SVM_INTERCEPT1_IRET		BIT(20)
#define SVM_INTERCEPT1_INVD		BIT(22)
#define SVM_INTERCEPT1_HLT		BIT(24)
#define SVM_INTERCEPT1_INVLPGA		BIT(26)
#define SVM_INTERCEPT1_IOIO_PROT	BIT(27)
#define SVM_INTERCEPT1_MSR_PROT		BIT(28)
#define SVM_INTERCEPT1_SHUTDOWN		BIT(31)

/* Intercept vector 4 (control area 0x010). */
#define SVM_INTERCEPT2_VMRUN		BIT(0)
#define SVM_INTERCEPT2_VMMCALL		BIT(1)
#define SVM_INTERCEPT2_VMLOAD		BIT(2)
#define SVM_INTERCEPT2_VMSAVE		BIT(3)
#define SVM_INTERCEPT2_STGI		BIT(4)
#define SVM_INTERCEPT2_CLGI		BIT(5)
#define SVM_INTERCEPT2_SKINIT		BIT(6)
#define SVM_INTERCEPT2_ICEBP		BIT(8)
#define SVM_INTERCEPT2_WBINVD		BIT(9)
#define SVM_INTERCEPT2_MONITOR		BIT(10)
#define SVM_INTERCEPT2_MWAIT		BIT(11)
#define SVM_INTERCEPT2_XSETBV		BIT(13)
#define SVM_INTERCEPT2_RDPRU		BIT(14)

/* TLB_CONTROL values (APM 15.16.1). */
#define SVM_TLB_NONE		0
#define SVM_TLB_FLUSH_ALL	1	/* every ASID, supported by all parts */

/* VMCB 0x060 (APM 15.21): virtual TPR, virtual interrupt request */
#define SVM_VINTR_TPR		0xfULL		/* V_TPR: CR8 of the guest */
#define SVM_VINTR_IRQ		BIT_ULL(8)	/* V_IRQ */
#define SVM_VINTR_PRIO_SHIFT	16		/* V_INTR_PRIO, 4 bits */
#define SVM_VINTR_PRIO		(0xfULL << SVM_VINTR_PRIO_SHIFT)
#define SVM_VINTR_IGN_TPR	BIT_ULL(20)	/* V_IGN_TPR */
#define SVM_VINTR_MASKING	BIT_ULL(24)	/* V_INTR_MASKING, APM 15.21.1 */

/* VMCB 0x068: the guest is in an interrupt shadow (APM 15.21.5) */
#define SVM_INTERRUPT_SHADOW	BIT_ULL(0)

/* VMCB 0x0b8: LBR virtualization, DBGCTL switched by VMRUN (APM 15.23) */
#define SVM_VIRT_EXT_LBR	BIT_ULL(0)
#define SVM_NP_ENABLE		BIT_ULL(0)

/* EVENTINJ and EXITINTINFO share one format (APM 15.20). */
#define SVM_EVENT_VECTOR	0xffULL
#define SVM_EVENT_TYPE_SHIFT	8
#define SVM_EVENT_TYPE		(7ULL << SVM_EVENT_TYPE_SHIFT)
#define SVM_EVENT_TYPE_INTR	0
#define SVM_EVENT_TYPE_NMI	2
#define SVM_EVENT_TYPE_EXCEPT	3
#define SVM_EVENT_TYPE_SOFT	4
#define SVM_EVENT_EV		BIT_ULL(11)	/* error code valid */
#define SVM_EVENT_VALID		BIT_ULL(31)
#define SVM_EVENT_ERR_SHIFT	32

/* EXITCODE values (APM Vol. 2 Appendix C). */
#define SVM_EXIT_WRITE_CR4	0x014
#define SVM_EXIT_WRITE_CR8	0x018
#define SVM_EXIT_READ_DR0	0x020
#define SVM_EXIT_READ_DR7	0x027
#define SVM_EXIT_WRITE_DR0	0x030
#define SVM_EXIT_WRITE_DR7	0x037
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_RDPMC		0x06f
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_IRET		0x074
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_ICEBP		0x088
#define SVM_EXIT_WBINVD		0x089
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_MWAIT_COND	0x08c
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_RDPRU		0x08e
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	((u64)-1)	/* VMRUN consistency check failed */

/* EXITINFO1 of an IOIO intercept (APM 15.10.2, Figure 15-2). */
#define SVM_IOIO_IN		BIT_ULL(0)
#define SVM_IOIO_STR		BIT_ULL(2)
#define SVM_IOIO_REP		BIT_ULL(3)
#define SVM_IOIO_SZ8		BIT_ULL(4)
#define SVM_IOIO_SZ16		BIT_ULL(5)
#define SVM_IOIO_SZ32		BIT_ULL(6)
#define SVM_IOIO_PORT_SHIFT	16

/* EXITINFO1 of a nested page fault: a #PF error code (APM 15.25.6). */
#define SVM_NPF_P		BIT_ULL(0)
#define SVM_NPF_W		BIT_ULL(1)
#define SVM_NPF_RSVD		BIT_ULL(3)
#define SVM_NPF_ID		BIT_ULL(4)
#define SVM_NPF_FINAL		BIT_ULL(32)	/* on the final GPA */
#define SVM_NPF_TABLE		BIT_ULL(33)	/* on a guest table walk */

/* EXITINFO1 of an MSR intercept (APM 15.11). */
#define SVM_MSR_WRITE		BIT_ULL(0)

/* CPUID Fn8000_000A EDX: SVM features (APM Vol. 3 E.4.10). */
#define SVM_CPUID_NP		BIT(0)
#define SVM_CPUID_LBRV		BIT(1)
#define SVM_CPUID_NRIPS		BIT(3)
#define SVM_CPUID_V_SPEC_CTRL	BIT(20)

/* VM_CR MSR: SVMDIS makes EFER.SVME reserved (APM 15.30.1). */
#define SVM_VM_CR_SVMDIS	BIT_ULL(4)

#endif /* KVMX_SVM_VMCB_H */
