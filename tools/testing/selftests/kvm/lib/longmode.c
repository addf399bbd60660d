// SPDX-License-Identifier: GPL-2.0-only
/*
 * Long-mode guests set up entirely from the host, as Firecracker does: no
 * firmware, no mode switch in the guest.  The library writes a GDT, a TSS,
 * an IDT and identity-mapped 4-level page tables into guest memory, copies
 * the test binary's PT_LOAD segments to GPA == link address, and loads
 * 64-bit state with KVM_SET_SREGS / KVM_SET_REGS.
 *
 * Guest-physical layout (slot 0, from GPA 0):
 *   0x1000 GDT   0x2000 TSS   0x3000 IDT   0x4000 PML4   0x5000 PDPT
 *   0x6000-0x9fff four page directories (2 MiB pages over 0-4 GiB)
 *   link address of the binary (0x400000 for ld's default) ... its end
 *   then the bump allocator (stacks, vm_alloc()) up to the slot's end.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"
#include "elf_image.h"
#include "guest.h"
#include "x86.h"

#define LM_GDT		0x1000UL
#define LM_TSS		0x2000UL
#define LM_IDT		0x3000UL
#define LM_PML4		0x4000UL
#define LM_PDPT		0x5000UL
#define LM_PD		0x6000UL	/* 4 pages */
#define LM_LOW_END	0xa000UL
#define LM_MAP_GIB	4

#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_TSS		0x18
#define GDT_ENTRIES	5		/* null, code, data, 16-byte TSS */
#define TSS_LIMIT	0x67
#define IDT_VECTORS	32

#define LM_HEAP_SIZE	(8UL << 20)
#define LM_STACK_SIZE	(64UL << 10)

/* Exception entry stubs: one 16-byte stub per vector, then common code. */
extern const char guest_vectors[];
void guest_exception_dispatch(struct guest_exception_frame *f);
void guest_exit_stub(void);

asm(".pushsection .text\n"
    ".balign 16\n"
    ".globl guest_vectors\n"
    "guest_vectors:\n"
    ".irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
    ".balign 16\n"
    /* Vectors 8, 10-14, 17, 21, 29, 30 push an error code; fake one. */
    ".if (\\vec != 8) && ((\\vec < 10) || (\\vec > 14)) && (\\vec != 17) && (\\vec != 21) && (\\vec != 29) && (\\vec != 30)\n"
    "pushq $0\n"
    ".endif\n"
    "pushq $\\vec\n"
    "jmp guest_exception_common\n"
    ".endr\n"
    "guest_exception_common:\n"
    "push %rax\n push %rbx\n push %rcx\n push %rdx\n"
    "push %rsi\n push %rdi\n push %rbp\n"
    "push %r8\n push %r9\n push %r10\n push %r11\n"
    "push %r12\n push %r13\n push %r14\n push %r15\n"
    "mov %rsp, %rdi\n"
    "call guest_exception_dispatch\n"
    "pop %r15\n pop %r14\n pop %r13\n pop %r12\n"
    "pop %r11\n pop %r10\n pop %r9\n pop %r8\n"
    "pop %rbp\n pop %rdi\n pop %rsi\n pop %rdx\n"
    "pop %rcx\n pop %rbx\n pop %rax\n"
    "add $16, %rsp\n"
    "iretq\n"
    /* Where a guest function returns to: report DONE, then stay halted. */
    ".globl guest_exit_stub\n"
    "guest_exit_stub:\n"
    "call guest_exit_c\n"
    "1: hlt\n"
    "jmp 1b\n"
    ".popsection\n");

/* Guest data: filled in through vm_install_exception_handler(). */
void (*guest_exception_handlers[IDT_VECTORS])(struct guest_exception_frame *);

void guest_exception_dispatch(struct guest_exception_frame *f)
{
	/* An instruction wrapped by GUEST_SAFE_ASM(): see guest.h. */
	if (f->rip == f->r10 && f->vector < IDT_VECTORS) {
		f->rip = f->r11;
		f->r11 = f->vector;
		f->r10 = f->error_code;
		return;
	}
	if (f->vector < IDT_VECTORS && guest_exception_handlers[f->vector]) {
		guest_exception_handlers[f->vector](f);
		return;
	}
	ucall(UCALL_UNHANDLED, 3, f->vector, f->error_code, f->rip);
	for (;;)
		asm volatile("cli; hlt");
}

void guest_exit_c(void)
{
	GUEST_DONE();
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t type,
			 uint8_t s, uint8_t l, uint8_t db, uint8_t g)
{
	return (limit & 0xffffULL) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)type << 40) | ((uint64_t)s << 44) |
	       (1ULL << 47) /* P */ | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)l << 53) | ((uint64_t)db << 54) |
	       ((uint64_t)g << 55) | ((uint64_t)(base >> 24) << 56);
}

static void write_system_tables(struct kvm_vm *vm)
{
	uint64_t *gdt = addr_gpa2hva(vm, LM_GDT);
	uint64_t *pml4 = addr_gpa2hva(vm, LM_PML4);
	uint64_t *pdpt = addr_gpa2hva(vm, LM_PDPT);
	uint64_t *idt = addr_gpa2hva(vm, LM_IDT);
	unsigned int i;

	memset(addr_gpa2hva(vm, LM_GDT), 0, LM_LOW_END - LM_GDT);

	gdt[0] = 0;
	gdt[SEL_CODE / 8] = seg_desc(0, 0xfffff, SEG_TYPE_CODE_XR_A, 1, 1, 0, 1);
	gdt[SEL_DATA / 8] = seg_desc(0, 0xfffff, SEG_TYPE_DATA_RW_A, 1, 0, 1, 1);
	/* 64-bit TSS descriptor: 16 bytes, base bits 63:32 in the second. */
	gdt[SEL_TSS / 8] = seg_desc(LM_TSS, TSS_LIMIT, SEG_TYPE_TSS64_BUSY,
				    0, 0, 0, 0);
	gdt[SEL_TSS / 8 + 1] = 0;

	/* Identity map 0..LM_MAP_GIB GiB with 2 MiB pages. */
	pml4[0] = LM_PDPT | PTE_P | PTE_W;
	for (i = 0; i < LM_MAP_GIB; i++) {
		uint64_t *pd = addr_gpa2hva(vm, LM_PD + i * PAGE_SIZE);
		unsigned int j;

		pdpt[i] = (LM_PD + i * PAGE_SIZE) | PTE_P | PTE_W;
		for (j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30 | (uint64_t)j << 21) |
				PTE_P | PTE_W | PTE_PS;
	}

	/* 64-bit interrupt gates (type 0xe), DPL 0, no IST. */
	for (i = 0; i < IDT_VECTORS; i++) {
		uint64_t h = (uint64_t)(uintptr_t)guest_vectors + 16 * i;

		idt[2 * i] = (h & 0xffff) | ((uint64_t)SEL_CODE << 16) |
			     (0x8eULL << 40) | ((h >> 16) & 0xffff) << 48;
		idt[2 * i + 1] = h >> 32;
	}
}

struct load_ctx {
	struct kvm_vm *vm;
};

static void copy_segment(void *ctx, uint64_t vaddr, int fd, uint64_t off,
			 uint64_t filesz, uint64_t memsz)
{
	struct load_ctx *c = ctx;
	uint8_t *dst = addr_gpa2hva(c->vm, vaddr);
	uint64_t done = 0;

	addr_gpa2hva(c->vm, vaddr + memsz - 1);
	while (done < filesz) {
		ssize_t n = pread(fd, dst + done, filesz - done, off + done);

		TEST_ASSERT(n > 0, "reading the test binary at 0x%lx", off + done);
		done += n;
	}
	memset(dst + filesz, 0, memsz - filesz);
}

uint64_t vm_alloc(struct kvm_vm *vm, uint64_t size, uint64_t align)
{
	uint64_t a;

	TEST_ASSERT(vm->mode == VM_MODE_LONG, "vm_alloc needs a long-mode VM");
	if (align < 16)
		align = 16;
	a = ALIGN_UP(vm->alloc_next, align);
	TEST_ASSERT(a + size <= vm->alloc_end,
		    "guest memory exhausted (0x%lx bytes wanted)", size);
	vm->alloc_next = a + size;
	memset(addr_gpa2hva(vm, a), 0, size);
	return a;
}

static void longmode_vcpu_setup(struct kvm_vcpu *vcpu, uint64_t entry)
{
	struct kvm_vm *vm = vcpu->vm;
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = SEL_CODE,
		.type = SEG_TYPE_CODE_XR_A, .present = 1, .dpl = 0, .db = 0,
		.s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = SEL_DATA,
		.type = SEG_TYPE_DATA_RW_A, .present = 1, .dpl = 0, .db = 1,
		.s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment tr = {
		.base = LM_TSS, .limit = TSS_LIMIT, .selector = SEL_TSS,
		.type = SEG_TYPE_TSS64_BUSY, .present = 1, .s = 0,
	};
	struct kvm_segment ldt = {
		.selector = 0, .type = SEG_TYPE_LDT, .present = 0,
		.unusable = 1,
	};
	struct kvm_sregs s;
	struct kvm_regs r;
	uint64_t stack;

	/* KVM 6.12 checks EFER.LME against the guest's CPUID (LM). */
	vcpu_set_cpuid_supported(vcpu);
	vcpu_sregs_get(vcpu, &s);
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = tr;
	s.ldt = ldt;
	s.gdt.base = LM_GDT;
	s.gdt.limit = GDT_ENTRIES * 8 - 1;
	s.idt.base = LM_IDT;
	s.idt.limit = IDT_VECTORS * 16 - 1;
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		X86_CR0_WP | X86_CR0_PG;
	s.cr3 = LM_PML4;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA;
	vcpu_sregs_set(vcpu, &s);

	stack = vm_alloc(vm, LM_STACK_SIZE, PAGE_SIZE);
	vcpu->stack_top = stack + LM_STACK_SIZE;
	/* As if called: the return address is guest_exit_stub. */
	*(uint64_t *)addr_gpa2hva(vm, vcpu->stack_top - 8) =
		(uint64_t)(uintptr_t)guest_exit_stub;

	memset(&r, 0, sizeof(r));
	r.rip = entry;
	r.rsp = vcpu->stack_top - 8;
	/* IF=1 for the same reason as real-mode guests: see realmode.c. */
	r.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	vcpu_regs_set(vcpu, &r);
}

struct kvm_vcpu *vm_vcpu_add_guest(struct kvm_vm *vm, uint32_t id,
				   void (*guest_code)(void))
{
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, id);

	longmode_vcpu_setup(vcpu, guest_code ? (uint64_t)(uintptr_t)guest_code
					     : vm->guest_entry);
	return vcpu;
}

struct kvm_vm *vm_create_guest(struct kvm_vcpu **vcpu, void (*guest_code)(void))
{
	struct kvm_vm *vm = vm_create_bare();
	struct load_ctx ctx = { .vm = vm };
	uint64_t lo, hi, heap, size;

	vm->mode = VM_MODE_LONG;
	elf_load_segments(&lo, &hi, NULL, NULL);
	TEST_ASSERT(lo >= LM_LOW_END, "binary linked at 0x%lx, below 0x%lx",
		    lo, LM_LOW_END);
	heap = ALIGN_UP(hi, 2UL << 20);
	size = heap + LM_HEAP_SIZE;
	TEST_ASSERT(size <= (1UL << 30), "binary too large for the guest map");
	vm_add_memslot(vm, 0, 0, size, 0, NULL);
	elf_load_segments(&lo, &hi, copy_segment, &ctx);
	write_system_tables(vm);
	vm->alloc_next = heap;
	vm->alloc_end = size;
	vm->guest_entry = (uint64_t)(uintptr_t)guest_code;
	if (vcpu)
		*vcpu = vm_vcpu_add_guest(vm, 0, guest_code);
	return vm;
}

void vm_install_exception_handler(struct kvm_vm *vm, int vec,
				  void (*handler)(struct guest_exception_frame *))
{
	TEST_ASSERT(vec >= 0 && vec < IDT_VECTORS, "vector %d", vec);
	*(uint64_t *)addr_gpa2hva(vm, (uint64_t)(uintptr_t)
				  &guest_exception_handlers[vec]) =
		(uint64_t)(uintptr_t)handler;
}
