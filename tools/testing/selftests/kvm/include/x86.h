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
#define X86_EFLAGS_IF	(1UL << 9)

#define MSR_IA32_APICBASE	0x0000001b
#define MSR_IA32_APICBASE_BSP	(1UL << 8)
#define MSR_IA32_APICBASE_EXTD	(1UL << 10)
#define MSR_IA32_APICBASE_ENABLE (1UL << 11)
#define APIC_DEFAULT_PHYS_BASE	0xfee00000UL
#define MSR_EFER		0xc0000080
#define MSR_IA32_TSC		0x00000010

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
#define PTE_PS	(1UL << 7)

static inline void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a,
			      uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid"
		     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "0"(leaf), "2"(sub));
}

#endif /* KVMX_SELFTEST_X86_H */
