// SPDX-License-Identifier: GPL-2.0-only
/*
 * The same representative instructions on MMIO in every CPU mode: real
 * mode, 16-bit and 32-bit protected mode, 32-bit paging, compatibility
 * mode and 64-bit mode.  The guest starts in real mode and climbs through
 * the modes itself (its own GDT, as cpu_modes.c does); in each it runs
 * one block, then OUTs to STEP_PORT.  A block does, on a window of MMIO
 * at GPA 0xa0000 (the VGA hole: the slot ends there), reached through a
 * segment base, a flat segment, a paging alias or an identity map:
 *
 *   REP STOSW (3 words), REP MOVSB MMIO -> RAM (3 bytes), a 32-bit PUSH
 *   of memory and POP to memory (64-bit: PUSH/POP of 8 bytes), a MOV
 *   store of an immediate, a store through [bp+di+disp] with SS based on
 *   the window (16-bit addressing, 0x67 outside 16-bit modes; 64-bit
 *   mode: [rbp+rdx]), a load through [bx+si] / FS:[bp+di], a load with an
 *   FS override whose base is not 0, a 32-bit load (0x66 in 16-bit
 *   modes), MOVZX, and ADD to a 16-bit memory operand with its flags.
 *
 * The host's fake device (lib/emu_dev.c) answers reads with bytes that
 * are a function of the address; at each step the host checks the exact
 * accesses, in order, with the data written, the registers the loads
 * filled (EAX, ECX, EDX, EDI), the flags of the ADD (SI) and the RAM the
 * MOVSB filled.  16-bit addressing wraps at 64 KiB, so each mode's
 * window offsets are small; the address-size and operand-size prefixes
 * are what the assembler emits for 32-bit registers in .code16 and
 * 16-bit addressing in .code32.
 */
#include "kvmx_test.h"
#include "guest16.h"
#include "emu_dev.h"

#define STEP_PORT	0x99
#define WIN		0xa0000UL	/* MMIO: slot 0 is [0, WIN) */
#define RAM_BUF		0x6000UL	/* where MOVSB copies to */

/* Page tables, written by the host (cpu_modes.c's layout). */
#define PD32		0x20000UL
#define PT32_ID		0x21000UL	/* 0..4 MiB identity */
#define PT32_ALIAS	0x22000UL	/* VA 0x400000 -> WIN */
#define LM_PML4		0x26000UL
#define LM_PDPT		0x27000UL
#define LM_PD		0x28000UL	/* a 2 MiB page at 0 */
#define ALIAS_VA	0x400000UL

_Static_assert(REALMODE_BASE == 0x8000, "the snippet assumes REALMODE_BASE 0x8000");
_Static_assert(EMU_DEV_PORT != STEP_PORT, "ports");

#define OFF(l)		"(modes_" #l " - modes_start)"
#define LIN(l)		"(0x8000 + " OFF(l) ")"
#define LABEL(l)	"modes_" #l ":\n\t"
#define STEP		"outl %eax, $0x99\n\t"

/*
 * GDT: 0x08/0x10 16-bit code/data at 0x8000, 0x18/0x20 flat 32-bit
 * code/data, 0x28 64-bit code, 0x30/0x38 16-bit data at WIN / WIN+0x40,
 * 0x40/0x48 32-bit data at WIN / WIN+0x40 (limits 64 KiB / 4 GiB).
 */
#define GDT								\
	".balign 8\n\t"							\
	LABEL(gdt)							\
	".quad 0\n\t"							\
	".quad 0x00009a008000ffff\n\t"					\
	".quad 0x000092008000ffff\n\t"					\
	".quad 0x00cf9a000000ffff\n\t"					\
	".quad 0x00cf92000000ffff\n\t"					\
	".quad 0x00af9a000000ffff\n\t"					\
	".quad 0x0000920a0000ffff\n\t"					\
	".quad 0x0000920a0040ffff\n\t"					\
	".quad 0x00cf920a0000ffff\n\t"					\
	".quad 0x00cf920a0040ffff\n\t"					\
	LABEL(gdt_end)							\
	LABEL(gdtr)							\
	".word modes_gdt_end - modes_gdt - 1\n\t"			\
	".long 0x8000 + " OFF(gdt) "\n\t"

/*
 * 16-bit modes: BX = 0, DS = the window, FS = window + 0x40.  @es_win,
 * @es_ram: ES for STOSW and for MOVSB's RAM destination (at @di_ram);
 * @ss_win: an SS based on the window.
 */
#define BODY16(es_win, es_ram, di_ram, ss_win)				\
	"xor %bx, %bx\n\t"						\
	"mov $" es_win ", %ax\n\t" "mov %ax, %es\n\t"			\
	"mov $3, %cx\n\t" "lea 0x20(%bx), %di\n\t"			\
	"mov $0xabcd, %ax\n\t" "rep stosw\n\t"				\
	"mov $" es_ram ", %ax\n\t" "mov %ax, %es\n\t"			\
	"mov $3, %cx\n\t" "lea 0x30(%bx), %si\n\t"			\
	"mov $" di_ram ", %di\n\t" "rep movsb\n\t"			\
	"pushl 0x40(%bx)\n\t" "popl 0x44(%bx)\n\t"			\
	"movb $0x5a, 1(%bx)\n\t"					\
	"mov %ss, %dx\n\t" "mov $" ss_win ", %cx\n\t" "mov %cx, %ss\n\t" \
	"mov $0x60, %bp\n\t" "mov $8, %di\n\t"				\
	"movw $0x4321, 0x12(%bp,%di)\n\t" "mov %dx, %ss\n\t"		\
	"mov $0x60, %si\n\t" "movb (%bx,%si), %al\n\t"			\
	"movzbl %al, %edi\n\t"						\
	"movl %fs:0x10, %eax\n\t"					\
	"movl 4(%bx), %ecx\n\t" "movzbl 9(%bx), %edx\n\t"		\
	"addw $0x8001, 0x10(%bx)\n\t" "pushfw\n\t" "popw %si\n\t"	\
	STEP

/*
 * 32-bit modes: EBX = the window's address @b (flat DS and ES), FS =
 * window + 0x40; 16-bit addressing through the 0x67 prefix.
 */
#define BODY32(b)							\
	"mov $" b ", %ebx\n\t"						\
	"mov $3, %ecx\n\t" "lea 0x20(%ebx), %edi\n\t"			\
	"mov $0xabcd, %ax\n\t" "rep stosw\n\t"				\
	"mov $3, %ecx\n\t" "lea 0x30(%ebx), %esi\n\t"			\
	"mov $0x6000, %edi\n\t" "rep movsb\n\t"				\
	"pushl 0x40(%ebx)\n\t" "popl 0x44(%ebx)\n\t"			\
	"movb $0x5a, 1(%ebx)\n\t"					\
	"mov %ss, %dx\n\t" "mov $0x40, %cx\n\t" "mov %cx, %ss\n\t"	\
	"mov $0x60, %bp\n\t" "mov $8, %di\n\t"				\
	"movw $0x4321, 0x12(%bp,%di)\n\t" "mov %dx, %ss\n\t"		\
	"mov $0x10, %bp\n\t" "mov $0x10, %di\n\t"			\
	"movb %fs:(%bp,%di), %al\n\t" "movzbl %al, %edi\n\t"		\
	"movl %fs:0x10, %eax\n\t"					\
	"movl 4(%ebx), %ecx\n\t" "movzbl 9(%ebx), %edx\n\t"		\
	"addw $0x8001, 0x10(%ebx)\n\t" "pushfl\n\t" "popl %esi\n\t"	\
	STEP

/* 64-bit mode: RBX = the window, FS.base = window + 0x40 (the MSR). */
#define BODY64								\
	"mov $0xa0000, %ebx\n\t"					\
	"mov $3, %ecx\n\t" "lea 0x20(%rbx), %rdi\n\t"			\
	"mov $0xabcd, %ax\n\t" "rep stosw\n\t"				\
	"mov $3, %ecx\n\t" "lea 0x30(%rbx), %rsi\n\t"			\
	"mov $0x6000, %edi\n\t" "rep movsb\n\t"				\
	"pushq 0x40(%rbx)\n\t" "popq 0x48(%rbx)\n\t"			\
	"movb $0x5a, 1(%rbx)\n\t"					\
	"lea 0x60(%rbx), %rbp\n\t" "mov $8, %edx\n\t"			\
	"movw $0x4321, 0x12(%rbp,%rdx)\n\t"				\
	"mov $0x60, %esi\n\t" "movb (%ebx,%esi), %al\n\t"		\
	"movzbl %al, %edi\n\t"						\
	"movl %fs:0x10, %eax\n\t"					\
	"movl 4(%rbx), %ecx\n\t" "movzbl 9(%rbx), %edx\n\t"		\
	"addw $0x8001, 0x10(%rbx)\n\t" "pushfq\n\t" "popq %rsi\n\t"	\
	STEP

#define SET_CR0_PG	"mov %cr0, %eax\n\t" "or $0x80000000, %eax\n\t" \
			"mov %eax, %cr0\n\t"
#define CLEAR_CR0_PG	"mov %cr0, %eax\n\t" "and $0x7fffffff, %eax\n\t" \
			"mov %eax, %cr0\n\t"

REALMODE_CODE(modes,
	/* 1: real mode, DS = 0xa000, FS = 0xa004 (base WIN + 0x40). */
	"mov $0xa000, %ax\n\t" "mov %ax, %ds\n\t"
	"mov $0xa004, %ax\n\t" "mov %ax, %fs\n\t"
	BODY16("0xa000", "0x600", "0", "0xa000")
	/* 2: 16-bit protected mode. */
	"lgdtl %cs:" OFF(gdtr) "\n\t"
	"mov %cr0, %eax\n\t" "or $1, %eax\n\t" "mov %eax, %cr0\n\t"
	"ljmp $0x08, $" OFF(pm16) "\n\t"
	LABEL(pm16)
	"mov $0x30, %ax\n\t" "mov %ax, %ds\n\t"
	"mov $0x38, %ax\n\t" "mov %ax, %fs\n\t"
	"mov $0x10, %ax\n\t" "mov %ax, %ss\n\t"
	BODY16("0x30", "0x20", "0x6000", "0x30")
	/* 3: 32-bit protected mode, no paging. */
	"ljmpl $0x18, $" LIN(pm32) "\n\t"
	".code32\n\t"
	LABEL(pm32)
	"mov $0x20, %ax\n\t" "mov %ax, %ds\n\t" "mov %ax, %es\n\t"
	"mov %ax, %ss\n\t" "mov $0x7ff0, %esp\n\t"
	"mov $0x48, %ax\n\t" "mov %ax, %fs\n\t"
	BODY32("0xa0000")
	/* 4: 32-bit paging, the window through an alias at 4 MiB. */
	"mov $0x20000, %eax\n\t" "mov %eax, %cr3\n\t"
	SET_CR0_PG
	BODY32("0x400000")
	/* 5: compatibility mode (PAE, EFER.LME, CR0.PG), identity map. */
	CLEAR_CR0_PG
	"mov %cr4, %eax\n\t" "or $0x20, %eax\n\t" "mov %eax, %cr4\n\t"
	"mov $0x26000, %eax\n\t" "mov %eax, %cr3\n\t"
	"mov $0xc0000080, %ecx\n\t" "rdmsr\n\t" "or $0x100, %eax\n\t"
	"wrmsr\n\t"
	SET_CR0_PG
	BODY32("0xa0000")
	/* 6: 64-bit mode, FS.base through its MSR. */
	"ljmp $0x28, $" LIN(lm64) "\n\t"
	".code64\n\t"
	LABEL(lm64)
	"mov $0xc0000100, %ecx\n\t" "mov $0xa0040, %eax\n\t"
	"xor %edx, %edx\n\t" "wrmsr\n\t"
	BODY64
	"hlt\n\t"
	".code16\n\t"
	GDT);

static void write_page_tables(struct kvm_vm *vm)
{
	uint32_t *pd32 = addr_gpa2hva(vm, PD32);
	uint32_t *pt_id = addr_gpa2hva(vm, PT32_ID);
	uint32_t *pt_alias = addr_gpa2hva(vm, PT32_ALIAS);
	unsigned int i;

	for (i = 0; i < 1024; i++)
		pt_id[i] = (i * PAGE_SIZE) | PTE_P | PTE_W;
	for (i = 0; i < 16; i++)
		pt_alias[i] = (WIN + i * PAGE_SIZE) | PTE_P | PTE_W;
	pd32[0] = PT32_ID | PTE_P | PTE_W;
	pd32[ALIAS_VA >> 22] = PT32_ALIAS | PTE_P | PTE_W;

	*(uint64_t *)addr_gpa2hva(vm, LM_PML4) = LM_PDPT | PTE_P | PTE_W;
	*(uint64_t *)addr_gpa2hva(vm, LM_PDPT) = LM_PD | PTE_P | PTE_W;
	*(uint64_t *)addr_gpa2hva(vm, LM_PD) = PTE_P | PTE_W | PTE_PS;
}

static struct emu_dev dev;

/* The ADD's flags (SDM Vol. 1 3.4.3.1), 16 bits. */
static uint64_t add16_flags(uint16_t a, uint16_t b)
{
	uint32_t r32 = (uint32_t)a + b;
	uint16_t r = (uint16_t)r32;
	uint64_t f = 0;

	if (r32 >> 16)
		f |= EFL_CF;
	if (!__builtin_parity(r & 0xff))
		f |= EFL_PF;
	if ((a ^ b ^ r) & 0x10)
		f |= EFL_AF;
	if (!r)
		f |= EFL_ZF;
	if (r & 0x8000)
		f |= EFL_SF;
	if (~(a ^ b) & (a ^ r) & 0x8000)
		f |= EFL_OF;
	return f;
}

/* The write data of each access in a block's log, by offset. */
static void block_data(void *opaque, uint64_t gpa, uint8_t *buf, uint32_t len)
{
	uint64_t off = gpa - WIN, v = 0;
	bool is64 = *(bool *)opaque;

	if (off >= 0x20 && off < 0x26)
		v = 0xabcd;
	else if (off == 0x44 || off == 0x48)
		v = emu_dev_value(WIN + 0x40, is64 ? 8 : 4);
	else if (off == 1)
		v = 0x5a;
	else if (off == 0x7a)
		v = 0x4321;
	else if (off == 0x10)
		v = (uint16_t)(emu_dev_value(WIN + 0x10, 2) + 0x8001);
	memcpy(buf, &v, len);
}

static void check_block(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, const char *mode, bool is64)
{
	const char *spec = is64 ?
		"W2+20 W2+22 W2+24 R1+30 R1+31 R1+32 R8+40 W8+48 W1+1 W2+7a "
		"R1+60 R4+50 R4+4 R1+9 R2+10 W2+10" :
		"W2+20 W2+22 W2+24 R1+30 R1+31 R1+32 R4+40 W4+44 W1+1 W2+7a "
		"R1+60 R4+50 R4+4 R1+9 R2+10 W2+10";
	uint8_t *buf = addr_gpa2hva(vcpu->vm, RAM_BUF);
	struct kvm_regs r;
	struct ucall uc;
	char why[256];
	bool ok;
	int i;

	emu_dev_clear(&dev);
	dev.raw_exits = true;
	ASSERT_EQ(UCALL_NONE, emu_dev_run(&dev, vcpu, &uc));
	if (vcpu->run->exit_reason != KVM_EXIT_IO ||
	    vcpu->run->io.port != STEP_PORT) {
		vcpu_dump_exit(stderr, vcpu);
		vcpu_dump_state(stderr, vcpu);
		emu_dev_dump(&dev);
		ASSERT_TRUE(false) TH_LOG("%s: no step exit", mode);
	}
	ok = emu_dev_check(&dev, WIN, spec, block_data, &is64, why, sizeof(why));
	if (!ok)
		emu_dev_dump(&dev);
	EXPECT_TRUE(ok) TH_LOG("%s: %s", mode, why);

	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ(emu_dev_value(WIN + 0x50, 4), r.rax & 0xffffffff)
		TH_LOG("%s: FS-override load", mode);
	EXPECT_EQ(emu_dev_value(WIN + 4, 4), r.rcx & 0xffffffff)
		TH_LOG("%s: 32-bit load", mode);
	EXPECT_EQ(emu_dev_byte(WIN + 9), r.rdx & 0xffffffff)
		TH_LOG("%s: MOVZX", mode);
	EXPECT_EQ(emu_dev_byte(WIN + 0x60), r.rdi & 0xffffffff)
		TH_LOG("%s: 16-bit addressing load", mode);
	EXPECT_EQ(add16_flags(emu_dev_value(WIN + 0x10, 2), 0x8001),
		  r.rsi & EFL_ARITH) TH_LOG("%s: ADD flags", mode);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(emu_dev_byte(WIN + 0x30 + i), buf[i])
			TH_LOG("%s: MOVSB byte %d", mode, i);
	memset(buf, 0, 4);
}

TEST(representative_insns_in_every_mode)
{
	static const char *const modes[] = {
		"real mode", "16-bit protected mode", "32-bit protected mode",
		"32-bit paging", "compatibility mode", "64-bit mode",
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_bare();
	struct ucall uc;
	uint8_t *mem;
	unsigned int i;

	vm->mode = VM_MODE_REAL;
	vm_ioctl(vm, KVM_SET_TSS_ADDR, REALMODE_TSS);
	mem = vm_add_memslot(vm, 0, 0, WIN, 0, NULL);
	memcpy(mem + REALMODE_BASE, modes_start, modes_end - modes_start);
	write_page_tables(vm);
	vcpu = vm_vcpu_add_realmode(vm, 0);
	/* EFER.LME needs long mode in the guest's CPUID. */
	vcpu_set_cpuid_supported(vcpu);

	for (i = 0; i < ARRAY_SIZE(modes); i++)
		check_block(_metadata, vcpu, modes[i], i == 5);
	emu_dev_clear(&dev);
	dev.raw_exits = true;
	emu_dev_run(&dev, vcpu, &uc);
	EXPECT_EQ(KVM_EXIT_HLT, vcpu->run->exit_reason);
	EXPECT_EQ(0, dev.n);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
