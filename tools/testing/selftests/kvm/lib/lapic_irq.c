// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest-installed interrupt and NMI handlers that count per APIC ID; see
 * include/lapic_irq.h.  Everything here is guest code.
 */
#include "guest.h"
#include "lapic_irq.h"
#include "x86.h"

volatile uint64_t guest_lapic_irqs[LAPIC_IRQ_MAX_ID][256];
volatile uint64_t guest_lapic_irqs_all[256];
volatile uint64_t guest_lapic_irqs_other;
volatile uint64_t guest_lapic_auto_eoi;

#define STUB_SIZE	16
#define X2APIC_ID_MSR	0x802
#define X2APIC_EOI_MSR	0x80b

void guest_lapic_irq_c(uint64_t vec);

/*
 * One 16-byte stub per vector 0..255 (only 2 and 32..255 get gates), then
 * the common part.  In 64-bit mode the CPU aligns RSP to 16 before pushing
 * its 5-qword frame (SDM Vol. 3A 7.14.2): with the vector and nine
 * caller-saved registers on top, 8 more bytes align the call.  Guest code
 * is built with -mgeneral-regs-only, so no vector register needs saving.
 */
extern const char guest_lapic_stubs[];
asm(".pushsection .text\n"
    ".balign 16\n"
    ".globl guest_lapic_stubs\n"
    "guest_lapic_stubs:\n"
    "vec = 0\n"
    ".rept 256\n"
    ".balign 16\n"
    "\tpushq $vec\n"
    "\tjmp guest_lapic_common\n"
    "vec = vec + 1\n"
    ".endr\n"
    "guest_lapic_common:\n"
    "\tpush %rax\n push %rcx\n push %rdx\n push %rsi\n push %rdi\n"
    "\tpush %r8\n push %r9\n push %r10\n push %r11\n"
    "\tmov 72(%rsp), %rdi\n"
    "\tsub $8, %rsp\n"
    "\tcld\n"
    "\tcall guest_lapic_irq_c\n"
    "\tadd $8, %rsp\n"
    "\tpop %r11\n pop %r10\n pop %r9\n pop %r8\n"
    "\tpop %rdi\n pop %rsi\n pop %rdx\n pop %rcx\n pop %rax\n"
    "\tadd $8, %rsp\n"
    "\tiretq\n"
    ".popsection\n");

uint32_t guest_lapic_id(void)
{
	uint64_t base = guest_rdmsr(MSR_IA32_APICBASE);

	if (base & MSR_IA32_APICBASE_EXTD)
		return guest_rdmsr(X2APIC_ID_MSR);
	return *(volatile uint32_t *)((base & ~0xfffUL) + 0x20) >> 24;
}

void guest_lapic_eoi(void)
{
	uint64_t base = guest_rdmsr(MSR_IA32_APICBASE);

	if (base & MSR_IA32_APICBASE_EXTD)
		guest_wrmsr(X2APIC_EOI_MSR, 0);
	else
		*(volatile uint32_t *)((base & ~0xfffUL) + 0xb0) = 0;
}

void guest_lapic_irq_c(uint64_t vec)
{
	uint32_t id = guest_lapic_id();

	if (id < LAPIC_IRQ_MAX_ID)
		__atomic_add_fetch(&guest_lapic_irqs[id][vec], 1,
				   __ATOMIC_SEQ_CST);
	else
		__atomic_add_fetch(&guest_lapic_irqs_other, 1,
				   __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&guest_lapic_irqs_all[vec], 1, __ATOMIC_SEQ_CST);
	if (guest_lapic_auto_eoi && vec >= 32 && vec != LAPIC_SPURIOUS_VECTOR)
		guest_lapic_eoi();
}

struct __attribute__((packed)) guest_dtr {
	uint16_t limit;
	uint64_t base;
};

void guest_lapic_irq_install(void)
{
	struct guest_dtr idtr;
	uint16_t cs;
	unsigned int v;

	asm volatile("sidt %0" : "=m"(idtr));
	asm volatile("mov %%cs, %0" : "=r"(cs));
	for (v = 0; v < 256; v++) {
		uint64_t h = (uint64_t)(uintptr_t)guest_lapic_stubs +
			     STUB_SIZE * v;
		volatile uint64_t *gate;

		if (v != LAPIC_NMI_VECTOR && v < 32)
			continue;
		gate = (volatile uint64_t *)(idtr.base + 16 * v);
		/* 64-bit interrupt gate (type 0xe), present, DPL 0, no IST. */
		gate[0] = (h & 0xffff) | ((uint64_t)cs << 16) |
			  (0x8eULL << 40) | ((h >> 16) & 0xffff) << 48;
		gate[1] = h >> 32;
	}
	idtr.limit = 256 * 16 - 1;
	asm volatile("lidt %0" : : "m"(idtr) : "memory");
}

/*
 * An entry point for vCPUs: installs the handlers, then jumps to the
 * function whose address is in R12 with the argument registers as they
 * were and the return address (the library's exit stub) still on top of
 * the stack.  Seven pushes keep the call 16-byte aligned: the entry is
 * made as if called (RSP = 8 mod 16).
 */
asm(".pushsection .text\n"
    ".globl guest_lapic_entry\n"
    "guest_lapic_entry:\n"
    "\tpush %rdi\n push %rsi\n push %rdx\n push %rcx\n"
    "\tpush %r8\n push %r9\n push %r12\n"
    "\tcall guest_lapic_irq_install\n"
    "\tpop %r12\n pop %r9\n pop %r8\n"
    "\tpop %rcx\n pop %rdx\n pop %rsi\n pop %rdi\n"
    "\tjmp *%r12\n"
    ".popsection\n");
