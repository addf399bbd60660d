// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest interrupt stubs for vectors 32..255 and the host helper that
 * points the guest IDT at them; see include/guest_irq.h.
 */
#include "kvm_util.h"
#include "guest_irq.h"
#include "x86.h"

volatile uint64_t guest_irq_count[256];
volatile uint64_t guest_irq_last;
volatile uint64_t guest_irq_rip;
volatile uint64_t guest_irq_rflags;

#define IRQ_STUB_SIZE	16

/*
 * One 16-byte stub per vector (push the vector, jump to the common part),
 * then the common part.  The interrupt frame (SDM Vol. 3A 7.14.2): RIP,
 * CS, RFLAGS, RSP, SS from the lowest address; we push the vector below.
 */
extern const char guest_irq_stubs[];
asm(".pushsection .text\n"
    ".balign 16\n"
    ".globl guest_irq_stubs\n"
    "guest_irq_stubs:\n"
    "vec = 32\n"
    ".rept 224\n"
    ".balign 16\n"
    "\tpushq $vec\n"
    "\tjmp guest_irq_common\n"
    "vec = vec + 1\n"
    ".endr\n"
    "guest_irq_common:\n"
    "\tpush %rax\n"
    "\tmov 8(%rsp), %rax\n"
    "\tlock incq guest_irq_count(,%rax,8)\n"
    "\tmov %rax, guest_irq_last(%rip)\n"
    "\tmov 16(%rsp), %rax\n"
    "\tmov %rax, guest_irq_rip(%rip)\n"
    "\tmov 32(%rsp), %rax\n"
    "\tmov %rax, guest_irq_rflags(%rip)\n"
    "\tpop %rax\n"
    "\tadd $8, %rsp\n"
    "\tiretq\n"
    ".popsection\n");

void vcpu_install_irq_handlers(struct kvm_vcpu *vcpu)
{
	struct kvm_sregs s;
	unsigned int v;

	vcpu_sregs_get(vcpu, &s);
	/* The library's IDT has a page of its own: room for 256 gates. */
	TEST_ASSERT(!(s.idt.base & (PAGE_SIZE - 1)),
		    "IDT at 0x%llx is not page aligned", s.idt.base);
	for (v = GUEST_IRQ_FIRST; v < 256; v++) {
		uint64_t h = (uint64_t)(uintptr_t)guest_irq_stubs +
			     IRQ_STUB_SIZE * (v - GUEST_IRQ_FIRST);
		uint64_t *gate = addr_gpa2hva(vcpu->vm, s.idt.base + 16 * v);

		/* 64-bit interrupt gate (type 0xe), present, DPL 0, no IST. */
		gate[0] = (h & 0xffff) | ((uint64_t)s.cs.selector << 16) |
			  (0x8eULL << 40) | ((h >> 16) & 0xffff) << 48;
		gate[1] = h >> 32;
	}
	s.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &s);
}
