/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VT-x architectural constants used by kvm-intel: VMCS field encodings
 * (SDM Vol. 3D Appendix B), basic exit reasons (Appendix C), the bits of
 * the VM-execution, VM-exit and VM-entry controls (Vol. 3C 25.6-25.8), the
 * layout of the exit-information fields (25.9) and the capability MSR bits
 * (Appendix A).  Written from the SDM; nothing here is kernel-specific, and
 * the kernel's own <asm/vmx.h> is deliberately not used.
 */
#ifndef KVMX_VMX_VMCS_FIELDS_H
#define KVMX_VMX_VMCS_FIELDS_H

#include <linux/bits.h>

/*
 * Field encodings.  An encoding packs access type (bit 0: high half of a
 * 64-bit field), index, type (control, exit info, guest, host; bits 11:10)
 * and width (bits 14:13), SDM Vol. 3D B.1.
 */

/* 16-bit fields (B.1) */
#define VMCS_VPID			0x0000
#define VMCS_GUEST_ES_SEL		0x0800	/* +2 per segment, ES..TR */
#define VMCS_HOST_ES_SEL		0x0c00
#define VMCS_HOST_CS_SEL		0x0c02
#define VMCS_HOST_SS_SEL		0x0c04
#define VMCS_HOST_DS_SEL		0x0c06
#define VMCS_HOST_FS_SEL		0x0c08
#define VMCS_HOST_GS_SEL		0x0c0a
#define VMCS_HOST_TR_SEL		0x0c0c

/* 64-bit fields (B.2) */
#define VMCS_IO_BITMAP_A		0x2000
#define VMCS_MSR_BITMAP			0x2004
#define VMCS_EXIT_MSR_STORE_ADDR	0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR		0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR	0x200a
#define VMCS_TSC_OFFSET			0x2010
#define VMCS_VIRTUAL_APIC_PAGE_ADDR	0x2012
#define VMCS_APIC_ACCESS_ADDR		0x2014
#define VMCS_EPT_POINTER		0x201a
#define VMCS_GUEST_PHYS_ADDR		0x2400	/* read-only */
#define VMCS_LINK_POINTER		0x2800
#define VMCS_GUEST_DEBUGCTL		0x2802
#define VMCS_GUEST_PAT			0x2804
#define VMCS_GUEST_EFER			0x2806
#define VMCS_GUEST_PDPTE0		0x280a	/* +2 per PDPTE */
#define VMCS_HOST_PAT			0x2c00
#define VMCS_HOST_EFER			0x2c02

/* 32-bit fields (B.3) */
#define VMCS_PIN_CTLS			0x4000
#define VMCS_PROC_CTLS			0x4002
#define VMCS_EXCEPTION_BITMAP		0x4004
#define VMCS_PF_ERR_MASK		0x4006
#define VMCS_PF_ERR_MATCH		0x4008
#define VMCS_CR3_TARGET_COUNT		0x400a
#define VMCS_EXIT_CTLS			0x400c
#define VMCS_EXIT_MSR_STORE_COUNT	0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT	0x4010
#define VMCS_ENTRY_CTLS			0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT	0x4014
#define VMCS_ENTRY_INTR_INFO		0x4016
#define VMCS_ENTRY_EXCEPTION_ERR	0x4018
#define VMCS_ENTRY_INSN_LEN		0x401a
#define VMCS_TPR_THRESHOLD		0x401c
#define VMCS_PROC_CTLS2			0x401e
#define VMCS_INSN_ERROR			0x4400	/* read-only from here */
#define VMCS_EXIT_REASON		0x4402
#define VMCS_EXIT_INTR_INFO		0x4404
#define VMCS_EXIT_INTR_ERR		0x4406
#define VMCS_IDT_VECTORING_INFO		0x4408
#define VMCS_IDT_VECTORING_ERR		0x440a
#define VMCS_EXIT_INSN_LEN		0x440c
#define VMCS_EXIT_INSN_INFO		0x440e
#define VMCS_GUEST_ES_LIMIT		0x4800	/* +2 per segment, ES..TR */
#define VMCS_GUEST_GDTR_LIMIT		0x4810
#define VMCS_GUEST_IDTR_LIMIT		0x4812
#define VMCS_GUEST_ES_AR		0x4814	/* +2 per segment, ES..TR */
#define VMCS_GUEST_INTERRUPTIBILITY	0x4824
#define VMCS_GUEST_ACTIVITY		0x4826
#define VMCS_GUEST_SYSENTER_CS		0x482a
#define VMCS_HOST_SYSENTER_CS		0x4c00

/* natural-width fields (B.4) */
#define VMCS_CR0_MASK			0x6000
#define VMCS_CR4_MASK			0x6002
#define VMCS_CR0_SHADOW			0x6004
#define VMCS_CR4_SHADOW			0x6006
#define VMCS_EXIT_QUAL			0x6400	/* read-only */
#define VMCS_GUEST_LINEAR_ADDR		0x640a	/* read-only */
#define VMCS_GUEST_CR0			0x6800
#define VMCS_GUEST_CR3			0x6802
#define VMCS_GUEST_CR4			0x6804
#define VMCS_GUEST_ES_BASE		0x6806	/* +2 per segment, ES..TR */
#define VMCS_GUEST_GDTR_BASE		0x6816
#define VMCS_GUEST_IDTR_BASE		0x6818
#define VMCS_GUEST_DR7			0x681a
#define VMCS_GUEST_RSP			0x681c
#define VMCS_GUEST_RIP			0x681e
#define VMCS_GUEST_RFLAGS		0x6820
#define VMCS_GUEST_PENDING_DBG		0x6822
#define VMCS_GUEST_SYSENTER_ESP		0x6824
#define VMCS_GUEST_SYSENTER_EIP		0x6826
#define VMCS_HOST_CR0			0x6c00
#define VMCS_HOST_CR3			0x6c02
#define VMCS_HOST_CR4			0x6c04
#define VMCS_HOST_FS_BASE		0x6c06
#define VMCS_HOST_GS_BASE		0x6c08
#define VMCS_HOST_TR_BASE		0x6c0a
#define VMCS_HOST_GDTR_BASE		0x6c0c
#define VMCS_HOST_IDTR_BASE		0x6c0e
#define VMCS_HOST_SYSENTER_ESP		0x6c10
#define VMCS_HOST_SYSENTER_EIP		0x6c12
#define VMCS_HOST_RSP			0x6c14	/* also used by vmenter.S */
#define VMCS_HOST_RIP			0x6c16

/*
 * The guest segment fields are laid out in the hardware's segment order
 * (ES, CS, SS, DS, FS, GS, LDTR, TR), which is also enum kvmx_seg's order.
 */
#define VMCS_GUEST_SEL(seg)		(VMCS_GUEST_ES_SEL + 2 * (seg))
#define VMCS_GUEST_LIMIT(seg)		(VMCS_GUEST_ES_LIMIT + 2 * (seg))
#define VMCS_GUEST_AR(seg)		(VMCS_GUEST_ES_AR + 2 * (seg))
#define VMCS_GUEST_BASE(seg)		(VMCS_GUEST_ES_BASE + 2 * (seg))

/* Pin-based VM-execution controls (25.6.1) */
#define PIN_EXT_INTR_EXITING		BIT(0)
#define PIN_NMI_EXITING			BIT(3)
#define PIN_VIRTUAL_NMIS		BIT(5)

/* Primary processor-based VM-execution controls (25.6.2, table 25-6) */
#define PROC_INTR_WINDOW_EXITING	BIT(2)
#define PROC_TSC_OFFSETTING		BIT(3)
#define PROC_HLT_EXITING		BIT(7)
#define PROC_INVLPG_EXITING		BIT(9)
#define PROC_MWAIT_EXITING		BIT(10)
#define PROC_RDPMC_EXITING		BIT(11)
#define PROC_RDTSC_EXITING		BIT(12)
#define PROC_CR3_LOAD_EXITING		BIT(15)
#define PROC_CR3_STORE_EXITING		BIT(16)
#define PROC_CR8_LOAD_EXITING		BIT(19)
#define PROC_CR8_STORE_EXITING		BIT(20)
#define PROC_TPR_SHADOW			BIT(21)
#define PROC_NMI_WINDOW_EXITING		BIT(22)
#define PROC_MOV_DR_EXITING		BIT(23)
#define PROC_UNCOND_IO_EXITING		BIT(24)
#define PROC_IO_BITMAPS			BIT(25)
#define PROC_MTF			BIT(27)
#define PROC_MSR_BITMAPS		BIT(28)
#define PROC_MONITOR_EXITING		BIT(29)
#define PROC_PAUSE_EXITING		BIT(30)
#define PROC_SECONDARY_CTLS		BIT(31)

/* Secondary processor-based VM-execution controls (table 25-7) */
#define PROC2_VIRT_APIC_ACCESS		BIT(0)
#define PROC2_EPT			BIT(1)
#define PROC2_DESC_TABLE_EXITING	BIT(2)
#define PROC2_RDTSCP			BIT(3)
#define PROC2_VPID			BIT(5)
#define PROC2_WBINVD_EXITING		BIT(6)
#define PROC2_UNRESTRICTED_GUEST	BIT(7)
#define PROC2_INVPCID			BIT(12)
#define PROC2_XSAVES			BIT(20)

/* VM-exit controls (25.7.1, table 25-13) */
#define EXIT_SAVE_DEBUG_CTLS		BIT(2)
#define EXIT_HOST_ADDR_SPACE_SIZE	BIT(9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL	BIT(12)
#define EXIT_ACK_INTR_ON_EXIT		BIT(15)
#define EXIT_SAVE_PAT			BIT(18)
#define EXIT_LOAD_PAT			BIT(19)
#define EXIT_SAVE_EFER			BIT(20)
#define EXIT_LOAD_EFER			BIT(21)

/* VM-entry controls (25.8.1, table 25-15) */
#define ENTRY_LOAD_DEBUG_CTLS		BIT(2)
#define ENTRY_IA32E_MODE_GUEST		BIT(9)
#define ENTRY_SMM			BIT(10)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL	BIT(13)
#define ENTRY_LOAD_PAT			BIT(14)
#define ENTRY_LOAD_EFER			BIT(15)

/*
 * Interruption-information format, shared by the VM-entry interruption
 * field, the VM-exit interruption field and the IDT-vectoring field
 * (25.8.3, 25.9.2, 25.9.3).
 */
#define INTR_INFO_VECTOR_MASK		0xffu
#define INTR_INFO_TYPE_SHIFT		8
#define INTR_INFO_TYPE_MASK		(7u << INTR_INFO_TYPE_SHIFT)
#define INTR_INFO_ERR_VALID		BIT(11)
#define INTR_INFO_NMI_UNBLOCKED_IRET	BIT(12)	/* exit info only */
#define INTR_INFO_VALID			BIT(31)

#define INTR_TYPE_EXT_INTR		0u
#define INTR_TYPE_NMI			2u
#define INTR_TYPE_HW_EXCEPTION		3u
#define INTR_TYPE_SW_INTR		4u
#define INTR_TYPE_PRIV_SW_EXCEPTION	5u
#define INTR_TYPE_SW_EXCEPTION		6u

/* Guest interruptibility state (25.4.2, table 25-3) */
#define INTERRUPTIBILITY_STI		BIT(0)
#define INTERRUPTIBILITY_MOV_SS		BIT(1)
#define INTERRUPTIBILITY_SMI		BIT(2)
#define INTERRUPTIBILITY_NMI		BIT(3)

/* Guest activity state (25.4.2) */
#define ACTIVITY_ACTIVE			0

/* Segment access-rights format in the VMCS (25.4.1, table 25-2) */
#define SEG_AR_TYPE_MASK		0xfu
#define SEG_AR_S			BIT(4)
#define SEG_AR_DPL_SHIFT		5
#define SEG_AR_P			BIT(7)
#define SEG_AR_AVL			BIT(12)
#define SEG_AR_L			BIT(13)
#define SEG_AR_DB			BIT(14)
#define SEG_AR_G			BIT(15)
#define SEG_AR_UNUSABLE			BIT(16)

/* Basic exit reasons (Appendix C); bit 31 of the field = entry failure */
#define EXIT_REASON_EXCEPTION_NMI	0
#define EXIT_REASON_EXTERNAL_INTR	1
#define EXIT_REASON_TRIPLE_FAULT	2
#define EXIT_REASON_INIT		3
#define EXIT_REASON_SIPI		4
#define EXIT_REASON_INTR_WINDOW		7
#define EXIT_REASON_NMI_WINDOW		8
#define EXIT_REASON_TASK_SWITCH		9
#define EXIT_REASON_CPUID		10
#define EXIT_REASON_GETSEC		11
#define EXIT_REASON_HLT			12
#define EXIT_REASON_INVD		13
#define EXIT_REASON_INVLPG		14
#define EXIT_REASON_RDPMC		15
#define EXIT_REASON_RDTSC		16
#define EXIT_REASON_VMCALL		18
#define EXIT_REASON_VMCLEAR		19	/* 19-27: VMX instructions */
#define EXIT_REASON_VMXON		27
#define EXIT_REASON_CR_ACCESS		28
#define EXIT_REASON_DR_ACCESS		29
#define EXIT_REASON_IO			30
#define EXIT_REASON_RDMSR		31
#define EXIT_REASON_WRMSR		32
#define EXIT_REASON_INVALID_GUEST_STATE	33
#define EXIT_REASON_MSR_LOAD_FAIL	34
#define EXIT_REASON_MWAIT		36
#define EXIT_REASON_MONITOR		39
#define EXIT_REASON_PAUSE		40
#define EXIT_REASON_MCE_DURING_ENTRY	41
#define EXIT_REASON_TPR_BELOW_THRESHOLD	43
#define EXIT_REASON_APIC_ACCESS		44
#define EXIT_REASON_EPT_VIOLATION	48
#define EXIT_REASON_EPT_MISCONFIG	49
#define EXIT_REASON_INVEPT		50
#define EXIT_REASON_INVVPID		53
#define EXIT_REASON_WBINVD		54
#define EXIT_REASON_XSETBV		55

#define EXIT_REASON_BASIC_MASK		0xffffu
#define EXIT_REASON_ENTRY_FAILED	BIT(31)

/* Exit qualification for I/O instructions (table 28-5) */
#define IO_QUAL_SIZE_MASK		0x7u	/* size - 1 */
#define IO_QUAL_IN			BIT(3)
#define IO_QUAL_STRING			BIT(4)
#define IO_QUAL_REP			BIT(5)
#define IO_QUAL_PORT_SHIFT		16

/* Exit qualification for control-register accesses (table 28-3) */
#define CR_QUAL_CR(q)			((q) & 0xf)
#define CR_QUAL_TYPE(q)			(((q) >> 4) & 3)
#define CR_QUAL_GPR(q)			(((q) >> 8) & 0xf)
#define CR_ACCESS_MOV_TO_CR		0
#define CR_ACCESS_MOV_FROM_CR		1

/* Exit qualification for a #DB exception (table 28-1): DR6 positions */
#define DB_QUAL_TRAPS			0xfu	/* B0-B3 */
#define DB_QUAL_BD			BIT(13)
#define DB_QUAL_BS			BIT(14)

/* Pending debug exceptions (25.4.2, table 25-4) */
#define PENDING_DBG_BS			BIT(14)

/* Exit qualification for EPT violations, bit 12 (table 28-7) */
#define EPT_QUAL_NMI_UNBLOCKED_IRET	BIT(12)

/* Exit qualification for MOV DR (table 28-4) */
#define DR_QUAL_DR(q)			((q) & 0x7)
#define DR_QUAL_FROM_DR			BIT(4)
#define DR_QUAL_GPR(q)			(((q) >> 8) & 0xf)

/* Exit qualification for EPT violations (table 28-7) */
#define EPT_QUAL_READ			BIT(0)
#define EPT_QUAL_WRITE			BIT(1)
#define EPT_QUAL_FETCH			BIT(2)
#define EPT_QUAL_PERM_MASK		(7u << 3)	/* entry's R/W/X */

/* EPT entries and the EPT pointer (29.3.2, 25.6.11) */
#define EPT_READ			BIT_ULL(0)
#define EPT_WRITE			BIT_ULL(1)
#define EPT_EXEC			BIT_ULL(2)
#define EPT_MT_SHIFT			3
#define EPT_MT_WB			6ULL
#define EPT_IGNORE_PAT			BIT_ULL(6)
#define EPT_LEAF_HUGE			BIT_ULL(7)	/* 2 MiB / 1 GiB leaf */
#define EPTP_MT_WB			EPT_MT_WB
#define EPTP_WALK_LENGTH_4		(3ULL << 3)	/* length minus one */

/* IA32_VMX_BASIC (A.1) */
#define VMXCAP_BASIC_REVISION_MASK		0x7fffffffULL
#define VMXCAP_BASIC_SIZE_SHIFT		32
#define VMXCAP_BASIC_SIZE_MASK		0x1fffULL
#define VMXCAP_BASIC_32BIT_ADDRESSES	BIT_ULL(48)
#define VMXCAP_BASIC_MEMTYPE_SHIFT		50
#define VMXCAP_BASIC_MEMTYPE_MASK		0xfULL
#define VMXCAP_BASIC_MEMTYPE_WB		6ULL
#define VMXCAP_BASIC_TRUE_CTLS		BIT_ULL(55)

/* IA32_VMX_MISC (A.6) */
#define VMXCAP_MISC_SAVES_LMA		BIT_ULL(5)

/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define VMXCAP_EPT_WALK_4			BIT_ULL(6)
#define VMXCAP_EPT_MT_WB			BIT_ULL(14)
#define VMXCAP_EPT_2MB			BIT_ULL(16)
#define VMXCAP_EPT_1GB			BIT_ULL(17)
#define VMXCAP_EPT_INVEPT			BIT_ULL(20)
#define VMXCAP_EPT_INVEPT_SINGLE		BIT_ULL(25)
#define VMXCAP_EPT_INVEPT_ALL		BIT_ULL(26)
#define VMXCAP_VPID_INVVPID		BIT_ULL(32)
#define VMXCAP_VPID_INVVPID_SINGLE		BIT_ULL(41)
#define VMXCAP_VPID_INVVPID_ALL		BIT_ULL(42)

/* INVEPT / INVVPID types (Vol. 3C 31.3) */
#define INVEPT_SINGLE_CONTEXT		1UL
#define INVEPT_ALL_CONTEXT		2UL
#define INVVPID_SINGLE_CONTEXT		1UL
#define INVVPID_ALL_CONTEXT		2UL

/* VM-instruction error numbers we name (31.4) */
#define VMX_ERR_VMRESUME_NOT_LAUNCHED	5

#endif /* KVMX_VMX_VMCS_FIELDS_H */
