/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * x86 architectural constants used by the tests: control register and
 * EFER bits (SDM Vol. 3A 2.5, 2.2.1), RFLAGS, segment types (3A 3.4.5.1).
 */
#ifndef KVMX_SELFTEST_X86_H
#define KVMX_SELFTEST_X86_H

#include <stdint.h>

#define X86_CR0_PE	(1UL << 0)
#define X86_CR0_MP	(1UL << 1)
#define X86_CR0_EM	(1UL << 2)
#define X86_CR0_TS	(1UL << 3)
#define X86_CR0_ET	(1UL << 4)
#define X86_CR0_NE	(1UL << 5)
#define X86_CR0_WP	(1UL << 16)
#define X86_CR0_AM	(1UL << 18)
#define X86_CR0_NW	(1UL << 29)
#define X86_CR0_CD	(1UL << 30)
#define X86_CR0_PG	(1UL << 31)

#define X86_CR4_VME	(1UL << 0)
#define X86_CR4_PVI	(1UL << 1)
#define X86_CR4_TSD	(1UL << 2)
#define X86_CR4_DE	(1UL << 3)
#define X86_CR4_PSE	(1UL << 4)
#define X86_CR4_PAE	(1UL << 5)
#define X86_CR4_MCE	(1UL << 6)
#define X86_CR4_PGE	(1UL << 7)
#define X86_CR4_PCE	(1UL << 8)
#define X86_CR4_OSFXSR	(1UL << 9)
#define X86_CR4_OSXMMEXCPT (1UL << 10)
#define X86_CR4_UMIP	(1UL << 11)
#define X86_CR4_LA57	(1UL << 12)
#define X86_CR4_VMXE	(1UL << 13)
#define X86_CR4_SMXE	(1UL << 14)
#define X86_CR4_FSGSBASE (1UL << 16)
#define X86_CR4_PCIDE	(1UL << 17)
#define X86_CR4_OSXSAVE	(1UL << 18)
#define X86_CR4_SMEP	(1UL << 20)
#define X86_CR4_SMAP	(1UL << 21)
#define X86_CR4_PKE	(1UL << 22)

#define EFER_SCE	(1UL << 0)
#define EFER_LME	(1UL << 8)
#define EFER_LMA	(1UL << 10)
#define EFER_NXE	(1UL << 11)
#define EFER_SVME	(1UL << 12)

#define X86_EFLAGS_FIXED (1UL << 1)
#define X86_EFLAGS_TF	(1UL << 8)
#define X86_EFLAGS_IF	(1UL << 9)
#define X86_EFLAGS_AC	(1UL << 18)

/* MSR numbers (SDM Vol. 4; AMD APM Vol. 2 appendix A). */
#define MSR_IA32_TSC		0x00000010
#define MSR_IA32_APICBASE	0x0000001b
#define MSR_IA32_APICBASE_BSP	(1UL << 8)
#define MSR_IA32_APICBASE_EXTD	(1UL << 10)
#define MSR_IA32_APICBASE_ENABLE (1UL << 11)
#define APIC_DEFAULT_PHYS_BASE	0xfee00000UL
#define MSR_IA32_TSC_ADJUST	0x0000003b
#define MSR_IA32_SPEC_CTRL	0x00000048
#define MSR_IA32_PRED_CMD	0x00000049
#define MSR_IA32_ARCH_CAPABILITIES 0x0000010a
#define MSR_IA32_SYSENTER_CS	0x00000174
#define MSR_IA32_SYSENTER_ESP	0x00000175
#define MSR_IA32_SYSENTER_EIP	0x00000176
#define MSR_IA32_MCG_CAP	0x00000179
#define MSR_IA32_MCG_STATUS	0x0000017a
#define MSR_IA32_MCG_CTL	0x0000017b
#define MSR_IA32_MISC_ENABLE	0x000001a0
#define MSR_MTRRcap		0x000000fe
#define MSR_MTRRphysBase(n)	(0x00000200 + 2 * (n))
#define MSR_MTRRphysMask(n)	(0x00000201 + 2 * (n))
#define MSR_MTRRfix64K_00000	0x00000250
#define MSR_MTRRfix16K_80000	0x00000258
#define MSR_MTRRfix4K_C0000	0x00000268
#define MSR_IA32_CR_PAT		0x00000277
#define MSR_MTRRdefType		0x000002ff
#define MSR_IA32_MCx_CTL(n)	(0x00000400 + 4 * (n))
#define MSR_IA32_MCx_STATUS(n)	(0x00000401 + 4 * (n))
#define MSR_IA32_MCx_ADDR(n)	(0x00000402 + 4 * (n))
#define MSR_IA32_MCx_MISC(n)	(0x00000403 + 4 * (n))
#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103

/* The PAT value at RESET (SDM Vol. 3A 13.12.4): WB WT UC- UC, twice. */
#define PAT_RESET_VALUE		0x0007040600070406ULL

/* Segment descriptor types (S = 1: code/data; S = 0: system). */
#define SEG_TYPE_DATA_RW	0x2
#define SEG_TYPE_DATA_RW_A	0x3
#define SEG_TYPE_CODE_XR	0xa
#define SEG_TYPE_CODE_XR_A	0xb
#define SEG_TYPE_LDT		0x2
#define SEG_TYPE_TSS16_BUSY	0x3
#define SEG_TYPE_TSS64_AVAIL	0x9
#define SEG_TYPE_TSS64_BUSY	0xb

/* 4-level paging entry bits (SDM Vol. 3A 4.5). */
#define PTE_P	(1UL << 0)
#define PTE_W	(1UL << 1)
#define PTE_US	(1UL << 2)
#define PTE_PS	(1UL << 7)
#define PTE_NX	(1UL << 63)

/*
 * A CPUID feature bit: leaf, subleaf, register, bit (SDM Vol. 2A CPUID,
 * AMD APM Vol. 3 appendix E).
 */
enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct x86_feature {
	uint32_t function, index;
	uint8_t reg, bit;
};

#define X86_FEATURE(fn, idx, r, b) \
	((struct x86_feature){ .function = fn, .index = idx, .reg = CPUID_##r, .bit = b })

#define X86_FEATURE_MONITOR	X86_FEATURE(1, 0, ECX, 3)
#define X86_FEATURE_PCID	X86_FEATURE(1, 0, ECX, 17)
#define X86_FEATURE_XSAVE	X86_FEATURE(1, 0, ECX, 26)
#define X86_FEATURE_HYPERVISOR	X86_FEATURE(1, 0, ECX, 31)
#define X86_FEATURE_TSC		X86_FEATURE(1, 0, EDX, 4)
#define X86_FEATURE_MSR		X86_FEATURE(1, 0, EDX, 5)
#define X86_FEATURE_MCE		X86_FEATURE(1, 0, EDX, 7)
#define X86_FEATURE_MTRR	X86_FEATURE(1, 0, EDX, 12)
#define X86_FEATURE_MCA		X86_FEATURE(1, 0, EDX, 14)
#define X86_FEATURE_PAT		X86_FEATURE(1, 0, EDX, 16)
#define X86_FEATURE_TSC_ADJUST	X86_FEATURE(7, 0, EBX, 1)
#define X86_FEATURE_INVPCID	X86_FEATURE(7, 0, EBX, 10)
#define X86_FEATURE_LA57	X86_FEATURE(7, 0, ECX, 16)
#define X86_FEATURE_RDPID	X86_FEATURE(7, 0, ECX, 22)
#define X86_FEATURE_SPEC_CTRL	X86_FEATURE(7, 0, EDX, 26)
#define X86_FEATURE_ARCH_CAPABILITIES X86_FEATURE(7, 0, EDX, 29)
#define X86_FEATURE_LM		X86_FEATURE(0x80000001, 0, EDX, 29)
#define X86_FEATURE_RDTSCP	X86_FEATURE(0x80000001, 0, EDX, 27)
#define X86_FEATURE_AMD_IBPB	X86_FEATURE(0x80000008, 0, EBX, 12)

/* XCR0 (SDM Vol. 1 13.3). */
#define XFEATURE_X87		(1ULL << 0)
#define XFEATURE_SSE		(1ULL << 1)
#define XFEATURE_YMM		(1ULL << 2)

/* Exception vectors: DE_VECTOR... come with <asm/kvm.h> (the uapi). */

/* #PF error code bits (SDM Vol. 3A 4.7). */
#define PFERR_PRESENT	(1U << 0)
#define PFERR_WRITE	(1U << 1)
#define PFERR_USER	(1U << 2)
#define PFERR_RSVD	(1U << 3)
#define PFERR_FETCH	(1U << 4)

static inline void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a,
			      uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid"
		     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "0"(leaf), "2"(sub));
}

#endif /* KVMX_SELFTEST_X86_H */
