// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPU modes entered by the guest itself (SDM Vol. 3A 9.9, 10.8.5 in older
 * editions: "Mode switching"; AMD APM Vol. 2 14.6).  A guest starts in
 * real mode and climbs, one step at a time, to 16-bit protected mode (its
 * own GDT, CR0.PE, far jump to a 16-bit code segment), 32-bit protected
 * mode (far jump to a 32-bit CS), 32-bit paging (4 KiB and 4 MiB PSE
 * pages), PAE paging, compatibility mode (EFER.LME, CR0.PG: EFER.LMA) and
 * 64-bit mode (far jump to a CS with L = 1), optionally with 5-level
 * paging.  After each step it does OUT to STEP_PORT with the step number,
 * and the host checks the architectural state the guest set up through
 * KVM_GET_SREGS / KVM_GET_REGS, and the writes it made through
 * non-identity mappings by reading guest memory at the physical address.
 * Another guest goes the way back: 32-bit protected mode (after paging on
 * and off) to 16-bit protected mode to real mode.  Last, the VMM itself
 * puts a vCPU into 32-bit paging with KVM_SET_SREGS and runs it.
 *
 * The page tables are written by the host into guest memory before the
 * run (physical layout below: slot 0 is the first MiB, the code is at
 * REALMODE_BASE); the GDT is part of the guest code.
 */
#include "kvmx_test.h"
#include "guest16.h"

#define STEP_PORT	0x99

/* 32-bit paging: PD, PT identity mapping 0..4 MiB, PT for 0xc0000000. */
#define PD32		0x20000UL
#define PT32_ID		0x21000UL
#define PT32_ALIAS	0x22000UL
/* PAE paging: PDPT, PD for 0..1 GiB and PD for 3..4 GiB. */
#define PAE_PDPT	0x23000UL
#define PAE_PD0		0x24000UL
#define PAE_PD3		0x25000UL
/* 4-level and 5-level paging. */
#define LM_PML4		0x26000UL
#define LM_PDPT		0x27000UL
#define LM_PD		0x28000UL
#define LM_PML5		0x29000UL
/* Pages the guest writes through aliases (or reads host-set values from). */
#define DATA_PT4K	0x30000UL	/* VA 0xc0000000, 4 KiB page */
#define DATA_PSE	0x31000UL	/* VA 0x00431000, 4 MiB page at 0 */
#define DATA_PAE	0x32000UL	/* VA 0xc0032000, PAE 2 MiB page at 0 */
#define DATA_LM		0x33000UL	/* VA 0x40033000, PDPT[1] */
#define DATA_LM_HIGH	0x34000UL	/* VA 0xffffff8000034000, PML4[511] */
#define DATA_LA57	0x35000UL	/* VA 0x0001000000035000, PML5[1] */
#define DATA_PM16	0x36000UL	/* flat ES from 16-bit protected mode */
#define DATA_REAL	0x10020UL	/* ES = 0x1000 back in real mode */

/* Values the host puts in guest memory for the guest to read. */
#define HOST_VAL_PT4K	0x0badcafeU	/* at DATA_PT4K + 4 */
#define HOST_VAL_PAE	0x5eed0005U	/* at DATA_PAE + 4 */

#define LM_RBX		0x0123456789abcdefULL

/* The snippets hard-code the linear address of their first byte. */
_Static_assert(REALMODE_BASE == 0x8000, "snippets assume REALMODE_BASE 0x8000");
_Static_assert(REALMODE_SEG == 0x800, "snippets assume REALMODE_SEG 0x800");

#define STEP(k)		"mov $" #k ", %al\n\t" "out %al, $0x99\n\t"
/* Offset of label n_l inside snippet n, and its linear address. */
#define OFF(n, l)	"(" #n "_" #l " - " #n "_start)"
#define LIN(n, l)	"(0x8000 + " OFF(n, l) ")"
#define LABEL(n, l)	#n "_" #l ":\n\t"

/*
 * GDT selectors.  0x08/0x10: 16-bit code/data, base REALMODE_BASE, limit
 * 64 KiB (what real mode code expects when it comes back); 0x18/0x20:
 * flat 32-bit code/data, 4 GiB; 0x28: 64-bit code.
 */
#define SEL_CODE16	0x08
#define SEL_DATA16	0x10
#define SEL_CODE32	0x18
#define SEL_DATA32	0x20
#define SEL_CODE64	0x28

#define GDT(n)								\
	".balign 8\n\t"							\
	LABEL(n, gdt)							\
	".quad 0\n\t"							\
	".quad 0x00009a008000ffff\n\t"					\
	".quad 0x000092008000ffff\n\t"					\
	".quad 0x00cf9a000000ffff\n\t"					\
	".quad 0x00cf92000000ffff\n\t"					\
	".quad 0x00af9a000000ffff\n\t"					\
	LABEL(n, gdt_end)						\
	LABEL(n, gdtr)							\
	".word " #n "_gdt_end - " #n "_gdt - 1\n\t"			\
	".long 0x8000 + " OFF(n, gdt) "\n\t"

#define SET_CR0_PG	"mov %cr0, %eax\n\t" "or $0x80000000, %eax\n\t" \
			"mov %eax, %cr0\n\t"
#define CLEAR_CR0_PG	"mov %cr0, %eax\n\t" "and $0x7fffffff, %eax\n\t" \
			"mov %eax, %cr0\n\t"

/*
 * Real mode -> 16-bit PM -> 32-bit PM -> 32-bit paging -> PAE paging ->
 * compatibility mode -> 64-bit mode.  @la57 is inserted before CR3 is
 * loaded with the top-level table @top, @la57_mem in 64-bit mode.
 */
#define CLIMB(n, top, la57, la57_mem)					\
	/* 1: real mode, FS loaded with a real-mode segment. */		\
	"mov $0x1234, %ax\n\t"						\
	"mov %ax, %fs\n\t"						\
	STEP(1)								\
	/* 2: 16-bit protected mode. */					\
	"lgdtl " OFF(n, gdtr) "\n\t"					\
	"mov %cr0, %eax\n\t"						\
	"or $1, %eax\n\t"						\
	"mov %eax, %cr0\n\t"						\
	"ljmp $0x08, $" OFF(n, pm16) "\n\t"				\
	LABEL(n, pm16)							\
	"mov $0x10, %ax\n\t"						\
	"mov %ax, %ds\n\t"						\
	"mov %ax, %ss\n\t"						\
	"mov %ax, %fs\n\t"						\
	"mov $0x20, %ax\n\t"						\
	"mov %ax, %es\n\t"						\
	/* Past 64 KiB through the flat ES (32-bit address size). */	\
	"mov $0x36000, %ebx\n\t"					\
	"movl $0x16161616, %es:(%ebx)\n\t"				\
	STEP(2)								\
	/* 3: 32-bit protected mode, no paging. */			\
	"ljmpl $0x18, $" LIN(n, pm32) "\n\t"				\
	".code32\n\t"							\
	LABEL(n, pm32)							\
	"mov $0x20, %ax\n\t"						\
	"mov %ax, %ds\n\t"						\
	"mov %ax, %es\n\t"						\
	"mov %ax, %fs\n\t"						\
	"mov %ax, %gs\n\t"						\
	"mov %ax, %ss\n\t"						\
	"mov $0x7ff0, %esp\n\t"						\
	STEP(3)								\
	/* 4: 32-bit paging, CR4.PSE. */				\
	"mov $0x20000, %eax\n\t"					\
	"mov %eax, %cr3\n\t"						\
	"mov %cr4, %eax\n\t"						\
	"or $0x10, %eax\n\t"						\
	"mov %eax, %cr4\n\t"						\
	SET_CR0_PG							\
	"movl $0xc0de0004, 0xc0000000\n\t"				\
	"movl $0x4a4a4a4a, 0x431000\n\t"				\
	"mov 0xc0000004, %ecx\n\t"					\
	STEP(4)								\
	/* 5: PAE paging (PAE changes only with paging off). */		\
	CLEAR_CR0_PG							\
	"mov %cr4, %eax\n\t"						\
	"and $0xffffffef, %eax\n\t"					\
	"or $0x20, %eax\n\t"						\
	"mov %eax, %cr4\n\t"						\
	"mov $0x23000, %eax\n\t"					\
	"mov %eax, %cr3\n\t"						\
	SET_CR0_PG							\
	"movl $0xc0de0005, 0xc0032000\n\t"				\
	"mov 0xc0032004, %ecx\n\t"					\
	STEP(5)								\
	/* 6: EFER.LME, then CR0.PG: compatibility mode. */		\
	CLEAR_CR0_PG							\
	la57								\
	"mov $" #top ", %eax\n\t"					\
	"mov %eax, %cr3\n\t"						\
	"mov $0xc0000080, %ecx\n\t"					\
	"rdmsr\n\t"							\
	"or $0x100, %eax\n\t"						\
	"wrmsr\n\t"							\
	SET_CR0_PG							\
	STEP(6)								\
	/* 7: 64-bit mode. */						\
	"ljmp $0x28, $" LIN(n, lm64) "\n\t"				\
	".code64\n\t"							\
	LABEL(n, lm64)							\
	"movabs $0x0123456789abcdef, %rbx\n\t"				\
	"mov $0x40033000, %eax\n\t"					\
	"mov %rbx, (%rax)\n\t"						\
	"movabs $0xffffff8000034000, %rax\n\t"				\
	"movl $0x64646464, (%rax)\n\t"					\
	la57_mem							\
	"mov $7, %al\n\t"						\
	".globl " #n "_out7\n\t"					\
	LABEL(n, out7)							\
	"out %al, $0x99\n\t"						\
	"hlt\n\t"							\
	GDT(n)

REALMODE_CODE(climb4, CLIMB(climb4, 0x26000, "", ""));

#define LA57_ON		"mov %cr4, %eax\n\t" "or $0x1000, %eax\n\t" \
			"mov %eax, %cr4\n\t"
/* Bit 48 set: non-canonical with 4-level paging, PML5[1] with 5-level. */
#define LA57_MEM	"movabs $0x0001000000035000, %rax\n\t" \
			"movl $0x57575757, (%rax)\n\t"
REALMODE_CODE(climb5, CLIMB(climb5, 0x29000, LA57_ON, LA57_MEM));

extern const unsigned char climb4_out7[], climb5_out7[];

/*
 * Real mode -> 32-bit PM -> 32-bit paging (4 KiB pages) -> paging off ->
 * 16-bit PM -> real mode (SDM Vol. 3A 10.9.2).
 */
REALMODE_CODE(back,
	STEP(1)
	"lgdtl " OFF(back, gdtr) "\n\t"
	"mov %cr0, %eax\n\t"
	"or $1, %eax\n\t"
	"mov %eax, %cr0\n\t"
	"ljmpl $0x18, $" LIN(back, pm32) "\n\t"
	".code32\n\t"
	LABEL(back, pm32)
	"mov $0x20, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov %ax, %es\n\t"
	"mov %ax, %ss\n\t"
	"mov $0x7ff0, %esp\n\t"
	STEP(2)
	"mov $0x20000, %eax\n\t"
	"mov %eax, %cr3\n\t"
	SET_CR0_PG
	"movl $0xc0de0003, 0xc0000000\n\t"
	STEP(3)
	CLEAR_CR0_PG
	"ljmp $0x08, $" OFF(back, pm16) "\n\t"
	".code16\n\t"
	LABEL(back, pm16)
	"mov $0x10, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov %ax, %es\n\t"
	"mov %ax, %fs\n\t"
	"mov %ax, %gs\n\t"
	"mov %ax, %ss\n\t"
	"mov $0xfff0, %esp\n\t"
	STEP(4)
	"mov %cr0, %eax\n\t"
	"and $0xfffffffe, %eax\n\t"
	"mov %eax, %cr0\n\t"
	"ljmp $0x800, $" OFF(back, real) "\n\t"
	LABEL(back, real)
	"mov $0x800, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov %ax, %ss\n\t"
	"mov $0x1000, %ax\n\t"
	"mov %ax, %es\n\t"
	"movw $0x5151, %es:0x20\n\t"
	/* Real-mode addressing from here on: a near call and return. */
	"call back_sub\n\t"
	STEP(5)
	"hlt\n\t"
	LABEL(back, sub)
	"mov $0xabcd, %dx\n\t"
	"ret\n\t"
	GDT(back));

/*
 * Started by the VMM in 32-bit protected mode with paging: reads the host
 * value through the 4 KiB alias, writes through the 4 MiB page, reports
 * its own view of CR0/CR3/CR4.
 */
REALMODE_CODE(vmm32,
	".code32\n\t"
	"mov 0xc0000004, %eax\n\t"
	"out %eax, $0x99\n\t"
	"movl $0x32323232, 0x431000\n\t"
	"mov %cr0, %esi\n\t"
	"mov %cr3, %edi\n\t"
	"mov %cr4, %ebp\n\t"
	STEP(2)
	"hlt\n\t");

static void write_page_tables(struct kvm_vm *vm)
{
	uint32_t *pd32 = addr_gpa2hva(vm, PD32);
	uint32_t *pt_id = addr_gpa2hva(vm, PT32_ID);
	uint32_t *pt_alias = addr_gpa2hva(vm, PT32_ALIAS);
	uint64_t *pdpt = addr_gpa2hva(vm, PAE_PDPT);
	uint64_t *pml5 = addr_gpa2hva(vm, LM_PML5);
	uint64_t *pml4 = addr_gpa2hva(vm, LM_PML4);
	uint64_t *lm_pdpt = addr_gpa2hva(vm, LM_PDPT);
	unsigned int i;

	/* 32-bit paging (SDM Vol. 3A 4.3). */
	for (i = 0; i < 1024; i++)
		pt_id[i] = (i * PAGE_SIZE) | PTE_P | PTE_W;
	pd32[0] = PT32_ID | PTE_P | PTE_W;
	pd32[1] = 0 | PTE_P | PTE_W | PTE_PS;		/* 4 MiB page at 0 */
	pd32[0xc0000000U >> 22] = PT32_ALIAS | PTE_P | PTE_W;
	pt_alias[0] = DATA_PT4K | PTE_P | PTE_W;

	/* PAE paging (4.4): PDPTEs have no R/W (reserved). */
	pdpt[0] = PAE_PD0 | PTE_P;
	pdpt[3] = PAE_PD3 | PTE_P;
	*(uint64_t *)addr_gpa2hva(vm, PAE_PD0) = PTE_P | PTE_W | PTE_PS;
	*(uint64_t *)addr_gpa2hva(vm, PAE_PD3) = PTE_P | PTE_W | PTE_PS;

	/* 4-level and 5-level paging (4.5): one PD, 2 MiB page at 0. */
	*(uint64_t *)addr_gpa2hva(vm, LM_PD) = PTE_P | PTE_W | PTE_PS;
	lm_pdpt[0] = LM_PD | PTE_P | PTE_W;
	lm_pdpt[1] = LM_PD | PTE_P | PTE_W;
	pml4[0] = LM_PDPT | PTE_P | PTE_W;
	pml4[511] = LM_PDPT | PTE_P | PTE_W;
	pml5[0] = LM_PML4 | PTE_P | PTE_W;
	pml5[1] = LM_PML4 | PTE_P | PTE_W;
	pml5[511] = LM_PML4 | PTE_P | PTE_W;

	*(uint32_t *)addr_gpa2hva(vm, DATA_PT4K + 4) = HOST_VAL_PT4K;
	*(uint32_t *)addr_gpa2hva(vm, DATA_PAE + 4) = HOST_VAL_PAE;
}

static struct kvm_vm *create(struct kvm_vcpu **vcpu, const unsigned char *start,
			     const unsigned char *end)
{
	struct kvm_vm *vm = vm_create_realmode(vcpu, start, end - start);

	/* EFER.LME (and CR4.LA57) need them in the guest's CPUID. */
	vcpu_set_cpuid_supported(*vcpu);
	write_page_tables(vm);
	return vm;
}

static uint32_t guest_u32(struct kvm_vm *vm, uint64_t gpa)
{
	return *(uint32_t *)addr_gpa2hva(vm, gpa);
}

/* Runs to the OUT of step @step; returns the state at that exit. */
static void run_to_step(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, uint8_t step,
			struct kvm_sregs *s, struct kvm_regs *r)
{
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, STEP_PORT, 1);
	ASSERT_EQ(step, *(uint8_t *)vcpu_io_data(vcpu));
	vcpu_sregs_get(vcpu, s);
	vcpu_regs_get(vcpu, r);
}

#define MODE_BITS_CR0	(X86_CR0_PE | X86_CR0_PG)
#define MODE_BITS_CR4	(X86_CR4_PSE | X86_CR4_PAE | X86_CR4_LA57)
#define MODE_BITS_EFER	(EFER_LME | EFER_LMA)

static void check_mode(struct __test_metadata *_metadata, const char *what,
		       const struct kvm_sregs *s, uint64_t cr0, uint64_t cr4,
		       uint64_t efer)
{
	EXPECT_EQ(cr0, s->cr0 & MODE_BITS_CR0) TH_LOG("%s: CR0 %#llx", what, s->cr0);
	EXPECT_EQ(cr4, s->cr4 & MODE_BITS_CR4) TH_LOG("%s: CR4 %#llx", what, s->cr4);
	EXPECT_EQ(efer, s->efer & MODE_BITS_EFER) TH_LOG("%s: EFER %#llx", what, s->efer);
}

/*
 * A segment register as the guest loaded it.  @type is compared without
 * the accessed bit (the CPU sets it when loading a descriptor); type < 0
 * skips type, S, P and DPL (real mode).
 */
static void check_seg(struct __test_metadata *_metadata, const char *what,
		      const struct kvm_segment *seg, uint16_t sel,
		      uint64_t base, uint32_t limit, int type, int db, int l)
{
	EXPECT_EQ(sel, seg->selector) TH_LOG("%s: selector", what);
	EXPECT_EQ(base, seg->base) TH_LOG("%s: base", what);
	EXPECT_EQ(limit, seg->limit) TH_LOG("%s: limit", what);
	if (type >= 0) {
		EXPECT_EQ(type & ~1, seg->type & ~1) TH_LOG("%s: type", what);
		EXPECT_EQ(1, seg->s) TH_LOG("%s: S", what);
		EXPECT_EQ(1, seg->present) TH_LOG("%s: P", what);
		EXPECT_EQ(0, seg->dpl) TH_LOG("%s: DPL", what);
		EXPECT_EQ(db, seg->db) TH_LOG("%s: D/B", what);
		EXPECT_EQ(l, seg->l) TH_LOG("%s: L", what);
		EXPECT_EQ(limit > 0xfffff, seg->g) TH_LOG("%s: G", what);
	}
}

#define CODE SEG_TYPE_CODE_XR
#define DATA SEG_TYPE_DATA_RW

static void climb(struct __test_metadata *_metadata, bool la57)
{
	const unsigned char *start = la57 ? climb5_start : climb4_start;
	const unsigned char *end = la57 ? climb5_end : climb4_end;
	const unsigned char *out7 = la57 ? climb5_out7 : climb4_out7;
	uint64_t top = la57 ? LM_PML5 : LM_PML4;
	uint64_t lm_cr4 = X86_CR4_PAE | (la57 ? X86_CR4_LA57 : 0);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create(&vcpu, start, end);
	struct kvm_sregs s;
	struct kvm_regs r;

	/* 1: real mode as at RESET, segments = selector * 16. */
	run_to_step(_metadata, vcpu, 1, &s, &r);
	check_mode(_metadata, "real mode", &s, 0, 0, 0);
	check_seg(_metadata, "real CS", &s.cs, REALMODE_SEG, REALMODE_BASE,
		  0xffff, -1, 0, 0);
	check_seg(_metadata, "real FS", &s.fs, 0x1234, 0x12340, 0xffff, -1, 0, 0);

	/* 2: CR0.PE, CS and DS from the guest's GDT, 16-bit. */
	run_to_step(_metadata, vcpu, 2, &s, &r);
	check_mode(_metadata, "16-bit PM", &s, X86_CR0_PE, 0, 0);
	check_seg(_metadata, "pm16 CS", &s.cs, SEL_CODE16, REALMODE_BASE,
		  0xffff, CODE, 0, 0);
	check_seg(_metadata, "pm16 DS", &s.ds, SEL_DATA16, REALMODE_BASE,
		  0xffff, DATA, 0, 0);
	check_seg(_metadata, "pm16 SS", &s.ss, SEL_DATA16, REALMODE_BASE,
		  0xffff, DATA, 0, 0);
	check_seg(_metadata, "pm16 ES", &s.es, SEL_DATA32, 0, 0xffffffff,
		  DATA, 1, 0);
	EXPECT_EQ(0x16161616, guest_u32(vm, DATA_PM16));
	EXPECT_EQ(6 * 8 - 1, s.gdt.limit);

	/* 3: 32-bit CS, flat data, no paging. */
	run_to_step(_metadata, vcpu, 3, &s, &r);
	check_mode(_metadata, "32-bit PM", &s, X86_CR0_PE, 0, 0);
	check_seg(_metadata, "pm32 CS", &s.cs, SEL_CODE32, 0, 0xffffffff,
		  CODE, 1, 0);
	check_seg(_metadata, "pm32 DS", &s.ds, SEL_DATA32, 0, 0xffffffff,
		  DATA, 1, 0);
	check_seg(_metadata, "pm32 SS", &s.ss, SEL_DATA32, 0, 0xffffffff,
		  DATA, 1, 0);
	EXPECT_LT(r.rip, (uint64_t)REALMODE_BASE + (end - start));
	EXPECT_GT(r.rip, (uint64_t)REALMODE_BASE);
	EXPECT_EQ(0x7ff0, r.rsp);

	/* 4: 32-bit paging; the writes went through the aliases. */
	run_to_step(_metadata, vcpu, 4, &s, &r);
	check_mode(_metadata, "32-bit paging", &s, X86_CR0_PE | X86_CR0_PG,
		   X86_CR4_PSE, 0);
	EXPECT_EQ(PD32, s.cr3);
	EXPECT_EQ(0xc0de0004, guest_u32(vm, DATA_PT4K));
	EXPECT_EQ(0x4a4a4a4a, guest_u32(vm, DATA_PSE));
	EXPECT_EQ(HOST_VAL_PT4K, (uint32_t)r.rcx);
	check_seg(_metadata, "paging32 CS", &s.cs, SEL_CODE32, 0, 0xffffffff,
		  CODE, 1, 0);

	/* 5: PAE paging. */
	run_to_step(_metadata, vcpu, 5, &s, &r);
	check_mode(_metadata, "PAE paging", &s, X86_CR0_PE | X86_CR0_PG,
		   X86_CR4_PAE, 0);
	EXPECT_EQ(PAE_PDPT, s.cr3);
	EXPECT_EQ(0xc0de0005, guest_u32(vm, DATA_PAE));
	EXPECT_EQ(HOST_VAL_PAE, (uint32_t)r.rcx);

	/* 6: EFER.LMA with a 32-bit CS: compatibility mode. */
	run_to_step(_metadata, vcpu, 6, &s, &r);
	check_mode(_metadata, "compatibility mode", &s,
		   X86_CR0_PE | X86_CR0_PG, lm_cr4, EFER_LME | EFER_LMA);
	EXPECT_EQ(top, s.cr3);
	check_seg(_metadata, "compat CS", &s.cs, SEL_CODE32, 0, 0xffffffff,
		  CODE, 1, 0);

	/* 7: 64-bit mode, RBX full 64 bits, writes through 64-bit aliases. */
	run_to_step(_metadata, vcpu, 7, &s, &r);
	check_mode(_metadata, "64-bit mode", &s, X86_CR0_PE | X86_CR0_PG,
		   lm_cr4, EFER_LME | EFER_LMA);
	EXPECT_EQ(top, s.cr3);
	check_seg(_metadata, "64-bit CS", &s.cs, SEL_CODE64, 0, 0xffffffff,
		  CODE, 0, 1);
	EXPECT_EQ(LM_RBX, r.rbx);
	/* At the exit RIP is still the OUT's: KVM_RUN completes it. */
	EXPECT_EQ((uint64_t)(REALMODE_BASE + (out7 - start)), r.rip);
	EXPECT_EQ(LM_RBX, *(uint64_t *)addr_gpa2hva(vm, DATA_LM));
	EXPECT_EQ(0x64646464, guest_u32(vm, DATA_LM_HIGH));
	if (la57) {
		EXPECT_EQ(0x57575757, guest_u32(vm, DATA_LA57));
	} else {
		EXPECT_EQ(0, guest_u32(vm, DATA_LA57));
	}

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

TEST(guest_climbs_real_to_long_mode)
{
	climb(_metadata, false);
}

TEST(guest_climbs_real_to_long_mode_la57)
{
	if (!kvm_cpu_has(X86_FEATURE_LA57))
		TEST_SKIP(return, "no LA57 (CPUID.7.0:ECX[16]) in KVM_GET_SUPPORTED_CPUID");
	climb(_metadata, true);
}

TEST(guest_returns_to_real_mode)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create(&vcpu, back_start, back_end);
	struct kvm_sregs s;
	struct kvm_regs r;

	run_to_step(_metadata, vcpu, 1, &s, &r);
	check_mode(_metadata, "real mode", &s, 0, 0, 0);

	run_to_step(_metadata, vcpu, 2, &s, &r);
	check_mode(_metadata, "32-bit PM", &s, X86_CR0_PE, 0, 0);
	check_seg(_metadata, "pm32 CS", &s.cs, SEL_CODE32, 0, 0xffffffff,
		  CODE, 1, 0);

	run_to_step(_metadata, vcpu, 3, &s, &r);
	check_mode(_metadata, "32-bit paging", &s, X86_CR0_PE | X86_CR0_PG, 0, 0);
	EXPECT_EQ(0xc0de0003, guest_u32(vm, DATA_PT4K));

	run_to_step(_metadata, vcpu, 4, &s, &r);
	check_mode(_metadata, "back in 16-bit PM", &s, X86_CR0_PE, 0, 0);
	check_seg(_metadata, "pm16 CS", &s.cs, SEL_CODE16, REALMODE_BASE,
		  0xffff, CODE, 0, 0);
	check_seg(_metadata, "pm16 SS", &s.ss, SEL_DATA16, REALMODE_BASE,
		  0xffff, DATA, 0, 0);

	run_to_step(_metadata, vcpu, 5, &s, &r);
	check_mode(_metadata, "back in real mode", &s, 0, 0, 0);
	check_seg(_metadata, "real CS", &s.cs, REALMODE_SEG, REALMODE_BASE,
		  0xffff, -1, 0, 0);
	check_seg(_metadata, "real SS", &s.ss, REALMODE_SEG, REALMODE_BASE,
		  0xffff, -1, 0, 0);
	check_seg(_metadata, "real ES", &s.es, 0x1000, 0x10000, 0xffff, -1, 0, 0);
	EXPECT_EQ(0x5151, *(uint16_t *)addr_gpa2hva(vm, DATA_REAL));
	EXPECT_EQ(0xabcd, r.rdx & 0xffff);
	EXPECT_EQ(0xfff0, r.rsp & 0xffff);
	EXPECT_LT(r.rip, (uint64_t)(back_end - back_start));

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

/* 32-bit paging with PSE, set up by the VMM alone (no GDT in the guest). */
TEST(vmm_sets_32bit_paging)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = SEL_CODE32,
		.type = SEG_TYPE_CODE_XR_A, .present = 1, .db = 1, .s = 1,
		.g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create(&vcpu, vmm32_start, vmm32_end);
	uint64_t cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	struct kvm_sregs s;
	struct kvm_regs r;
	uint32_t v;

	vcpu_sregs_get(vcpu, &s);
	data.selector = SEL_DATA32;
	data.type = SEG_TYPE_DATA_RW_A;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.cr0 = cr0;
	s.cr3 = PD32;
	s.cr4 = X86_CR4_PSE;
	s.efer = 0;
	vcpu_sregs_set(vcpu, &s);
	vcpu_regs_get(vcpu, &r);
	r.rip = REALMODE_BASE;
	r.rsp = 0x7ff0;
	vcpu_regs_set(vcpu, &r);

	/* What KVM reports before the run is what the VMM set. */
	vcpu_sregs_get(vcpu, &s);
	check_mode(_metadata, "set", &s, X86_CR0_PE | X86_CR0_PG, X86_CR4_PSE, 0);
	EXPECT_EQ(PD32, s.cr3);

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, STEP_PORT, 4);
	memcpy(&v, vcpu_io_data(vcpu), 4);
	EXPECT_EQ(HOST_VAL_PT4K, v);

	run_to_step(_metadata, vcpu, 2, &s, &r);
	check_mode(_metadata, "32-bit paging", &s, X86_CR0_PE | X86_CR0_PG,
		   X86_CR4_PSE, 0);
	EXPECT_EQ(PD32, s.cr3);
	check_seg(_metadata, "CS", &s.cs, SEL_CODE32, 0, 0xffffffff, CODE, 1, 0);
	check_seg(_metadata, "DS", &s.ds, SEL_DATA32, 0, 0xffffffff, DATA, 1, 0);
	EXPECT_EQ(0x32323232, guest_u32(vm, DATA_PSE));
	/* The guest's own view of its control registers. */
	EXPECT_EQ(cr0, r.rsi & 0xffffffff);
	EXPECT_EQ(PD32, r.rdi & 0xffffffff);
	EXPECT_EQ(X86_CR4_PSE, r.rbp & MODE_BITS_CR4);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
