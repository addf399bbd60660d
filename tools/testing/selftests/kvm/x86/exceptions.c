// SPDX-License-Identifier: GPL-2.0-only
/*
 * A guest's own exceptions, delivered through its IDT to its handlers,
 * which resume it (SDM Vol. 3A 6.15): #DE, #UD, #GP with error code 0 for
 * a non-canonical address and with the selector for a selector past the
 * GDT limit, #BP from INT3 (a trap: RIP after it) when userspace does not
 * debug the guest, #DB from ICEBP (also a trap), #PF with CR2 and the error code (not present, write,
 * reserved bit, write to a read-only page then retried after the handler
 * fixed the page table), #NM with CR0.TS (retried after CLTS), and #DE
 * and INT3 in real mode through the IVT.  #AC is not here: it needs CPL 3
 * and these guests run at CPL 0.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmx_test.h"
#include "guest16.h"

/* Guest data: where a recording handler resumes, and what it saw. */
uint64_t exc_resume;
static volatile uint64_t seen_count, seen_vector, seen_error, seen_rip,
	seen_cr2;

/* Records the exception and resumes at exc_resume. */
static void record_and_skip(struct guest_exception_frame *f)
{
	seen_count++;
	seen_vector = f->vector;
	seen_error = f->error_code;
	seen_rip = f->rip;
	seen_cr2 = read_cr2();
	f->rip = exc_resume;
}

/* Asm prefix: resume at local label 1 after the faulting instruction. */
#define ARM_RESUME "lea 1f(%%rip), %%r11\n\t" \
		   "mov %%r11, exc_resume(%%rip)\n\t"

static void report_seen(void)
{
	GUEST_ASSERT_EQ(seen_count, 1);
	ucall(UCALL_SYNC, 4, seen_vector, seen_error, seen_rip, seen_cr2);
}

#define NO_CR2 (~0ULL)

/*
 * Runs @guest with record_and_skip() on @vec; checks what it saw.  Error
 * code bits in @err_dontcare are not compared.
 */
static void __check_exception(struct __test_metadata *_metadata,
			      void (*guest)(uint64_t), uint64_t arg, int vec,
			      uint64_t error_code, uint64_t err_dontcare,
			      const void *rip, uint64_t cr2)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest);
	struct ucall uc;

	vm_install_exception_handler(vm, vec, record_and_skip);
	vcpu_set_args(vcpu, 1, arg);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(vec, uc.args[0]);
	EXPECT_EQ(error_code & ~err_dontcare, uc.args[1] & ~err_dontcare);
	EXPECT_EQ((uint64_t)(uintptr_t)rip, uc.args[2]);
	if (cr2 != NO_CR2) {
		EXPECT_EQ(cr2, uc.args[3]);
	}
	/* The guest went on after the handler, to its end. */
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

#define check_exception(_metadata, guest, arg, vec, err, rip, cr2) \
	__check_exception(_metadata, guest, arg, vec, err, 0, rip, cr2)

extern const char exc_de_insn[], exc_ud_insn[], exc_gp_insn[],
	exc_gp_sel_insn[], exc_bp_insn[], exc_pf_insn[], exc_icebp_insn[];

static void __attribute__((noinline)) guest_de(uint64_t unused)
{
	uint32_t a = 1, d = 0, zero = 0;

	asm volatile(ARM_RESUME "exc_de_insn: divl %[z]\n\t1:\n\t"
		     : "+a"(a), "+d"(d) : [z] "r"(zero) : "r11", "memory");
	report_seen();
}

TEST(divide_error)
{
	check_exception(_metadata, guest_de, 0, DE_VECTOR, 0, exc_de_insn, NO_CR2);
}

static void __attribute__((noinline)) guest_ud(uint64_t unused)
{
	asm volatile(ARM_RESUME "exc_ud_insn: ud2\n\t1:\n\t" : : : "r11", "memory");
	report_seen();
}

TEST(invalid_opcode)
{
	check_exception(_metadata, guest_ud, 0, UD_VECTOR, 0, exc_ud_insn, NO_CR2);
}

static void __attribute__((noinline)) guest_gp_noncanonical(uint64_t addr)
{
	asm volatile(ARM_RESUME "exc_gp_insn: mov (%0), %%rax\n\t1:\n\t"
		     : : "r"(addr) : "rax", "r11", "memory");
	report_seen();
}

TEST(general_protection_noncanonical)
{
	check_exception(_metadata, guest_gp_noncanonical, 0x8000000000001000ULL,
			GP_VECTOR, 0, exc_gp_insn, NO_CR2);
}

/* The library's GDT has 5 entries: selector 0x48 is past its limit. */
static void __attribute__((noinline)) guest_gp_selector(uint64_t sel)
{
	asm volatile(ARM_RESUME "exc_gp_sel_insn: mov %w0, %%fs\n\t1:\n\t"
		     : : "r"(sel) : "r11", "memory");
	report_seen();
}

TEST(general_protection_selector_error_code)
{
	check_exception(_metadata, guest_gp_selector, 0x48, GP_VECTOR, 0x48,
			exc_gp_sel_insn, NO_CR2);
}

static void __attribute__((noinline)) guest_bp(uint64_t unused)
{
	asm volatile(ARM_RESUME "exc_bp_insn: int3\n\t1:\n\t" : : : "r11", "memory");
	report_seen();
}

/* A trap: the handler sees RIP after the one-byte INT3. */
TEST(breakpoint_without_guest_debug)
{
	check_exception(_metadata, guest_bp, 0, BP_VECTOR, 0, exc_bp_insn + 1,
			NO_CR2);
}

/* ICEBP in a child process on the host: SIGTRAP if the CPU has it. */
static bool host_cpu_has_icebp(void)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		asm volatile(".byte 0xf1");
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGTRAP;
}

static void __attribute__((noinline)) guest_icebp(uint64_t unused)
{
	asm volatile(ARM_RESUME "exc_icebp_insn: .byte 0xf1\n\t1:\n\t"
		     : : : "r11", "memory");
	report_seen();
}

/*
 * ICEBP (INT1, f1): a #DB trap through the guest's IDT, RIP after the
 * instruction (SDM Vol. 3A 17.3.1.1); the hypervisor may intercept it
 * (SVM does, against an ambiguous EXITINTINFO) but the guest must not see
 * that.
 */
TEST(icebp_is_a_debug_trap)
{
	if (!host_cpu_has_icebp())
		SKIP(return, "this CPU raises #UD for ICEBP (QEMU TCG does)");
	check_exception(_metadata, guest_icebp, 0, DB_VECTOR, 0,
			exc_icebp_insn + 1, NO_CR2);
}

/* 32 GiB: PML4[0] -> PDPT[32], which the library leaves not present. */
#define UNMAPPED_GVA (32ULL << 30)

static void __attribute__((noinline)) guest_pf_read(uint64_t addr)
{
	asm volatile(ARM_RESUME "exc_pf_insn: mov (%0), %%rax\n\t1:\n\t"
		     : : "r"(addr) : "rax", "r11", "memory");
	report_seen();
}

TEST(page_fault_not_present_read)
{
	check_exception(_metadata, guest_pf_read, UNMAPPED_GVA + 0x123,
			PF_VECTOR, 0, exc_pf_insn, UNMAPPED_GVA + 0x123);
}

extern const char exc_pf_write_insn[];

static void __attribute__((noinline)) guest_pf_write(uint64_t addr)
{
	asm volatile(ARM_RESUME "exc_pf_write_insn: movq $1, (%0)\n\t1:\n\t"
		     : : "r"(addr) : "r11", "memory");
	report_seen();
}

TEST(page_fault_not_present_write)
{
	check_exception(_metadata, guest_pf_write, UNMAPPED_GVA + 0x8,
			PF_VECTOR, PFERR_WRITE, exc_pf_write_insn,
			UNMAPPED_GVA + 0x8);
}

/* The library's page directory entry mapping @gva (2 MiB pages, GVA == GPA). */
static uint64_t *guest_pde(uint64_t gva)
{
	return (uint64_t *)(0x6000 + (gva >> 30) * 4096 + ((gva >> 21) & 511) * 8);
}

/*
 * A 2 MiB PDE with bit 13 set: reserved (SDM Vol. 3A 4.5, table 4-17),
 * so the walk faults with RSVD set.  The SDM also sets P (the fault is
 * not a not-present one); the guest's walk is the CPU's (KVM does not
 * see it with NPT/EPT), and the emulated SVM host's CPU (QEMU TCG) leaves
 * P clear, so P is not compared.
 */
static void __attribute__((noinline)) guest_pf_rsvd(uint64_t addr)
{
	uint64_t *pde = guest_pde(addr), old = *pde;

	*pde = old | (1ULL << 13);
	guest_invlpg(addr);
	guest_pf_read(addr);
	*pde = old;
	guest_invlpg(addr);
}

TEST(page_fault_reserved_bit)
{
	__check_exception(_metadata, guest_pf_rsvd, 0xc0200000ULL, PF_VECTOR,
			  PFERR_PRESENT | PFERR_RSVD, PFERR_PRESENT, exc_pf_insn,
			  0xc0200000ULL);
}

/*
 * A write to a read-only page (CR0.WP = 1): #PF with P|W; the handler
 * makes the page writable and returns to the faulting write, which then
 * completes.
 */
static volatile uint64_t ro_fault_error, ro_fault_cr2;

static void make_writable(struct guest_exception_frame *f)
{
	uint64_t cr2 = read_cr2();

	ro_fault_error = f->error_code;
	ro_fault_cr2 = cr2;
	seen_count++;
	*guest_pde(cr2) |= PTE_W;
	guest_invlpg(cr2);
}

static void guest_pf_retry(uint64_t addr)
{
	volatile uint64_t *p = (volatile uint64_t *)addr;

	*p = 1;
	*guest_pde(addr) &= ~PTE_W;
	guest_invlpg(addr);
	GUEST_ASSERT_EQ(*p, 1);		/* reads are still fine */
	*p = 0x5a5a;
	GUEST_ASSERT_EQ(seen_count, 1);
	GUEST_ASSERT_EQ(ro_fault_error, PFERR_PRESENT | PFERR_WRITE);
	GUEST_ASSERT_EQ(ro_fault_cr2, addr);
	GUEST_ASSERT_EQ(*p, 0x5a5a);
}

TEST(page_fault_write_protect_then_retry)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_pf_retry);
	uint64_t page = vm_alloc(vm, 2UL << 20, 2UL << 20);

	vm_install_exception_handler(vm, PF_VECTOR, make_writable);
	vcpu_set_args(vcpu, 1, page + 0x40);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	EXPECT_EQ(0x5a5a, *(uint64_t *)addr_gpa2hva(vm, page + 0x40));
	kvm_vm_free(vm);
}

/* x87 with CR0.TS: #NM (SDM 6.15 "Interrupt 7"); CLTS and retry. */
static void clear_ts(struct guest_exception_frame *f)
{
	seen_count++;
	seen_rip = f->rip;
	asm volatile("clts");
}

extern const char exc_nm_insn[];

static void guest_nm(void)
{
	write_cr0(read_cr0() | X86_CR0_TS);
	asm volatile("exc_nm_insn: fninit" : : : "memory");
	GUEST_ASSERT_EQ(seen_count, 1);
	GUEST_ASSERT_EQ(seen_rip, (uint64_t)(uintptr_t)exc_nm_insn);
	GUEST_ASSERT_EQ(read_cr0() & X86_CR0_TS, 0);
}

TEST(device_not_available_then_retry)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_nm);
	struct kvm_sregs s;

	vm_install_exception_handler(vm, NM_VECTOR, clear_ts);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0, s.cr0 & X86_CR0_TS);
	kvm_vm_free(vm);
}

/* Several exceptions in a row, each handled: the guest keeps going. */
static void guest_many(void)
{
	int i;

	for (i = 0; i < 100; i++)
		asm volatile(ARM_RESUME "ud2\n\t1:\n\t" : : : "r11", "memory");
	GUEST_ASSERT_EQ(seen_count, 100);
}

TEST(many_exceptions_in_a_row)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_many);

	vm_install_exception_handler(vm, UD_VECTOR, record_and_skip);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * Real mode: the IVT at 0 (4-byte seg:off vectors).  #DE is a fault, so
 * the handler steps the saved IP over the 2-byte DIV before IRET; INT3
 * is a trap and returns right after itself.
 */
REALMODE_CODE(rm_exc,
	"xor %ax, %ax\n\t"
	"mov %ax, %es\n\t"
	"movw $" REALMODE_ADDR(rm_exc, rm_de_handler) ", %es:0\n\t"
	"movw $0x800, %es:2\n\t"
	"movw $" REALMODE_ADDR(rm_exc, rm_bp_handler) ", %es:12\n\t"
	"movw $0x800, %es:14\n\t"
	"mov $7, %ax\n\t"
	"xor %bl, %bl\n\t"
	"div %bl\n\t"
	"mov $0x11, %al\n\t"
	"out %al, $0x11\n\t"
	"int3\n\t"
	"mov $0x22, %al\n\t"
	"out %al, $0x11\n\t"
	"hlt\n\t"
	"rm_de_handler:\n\t"
	"mov %sp, %bp\n\t"
	"addw $2, (%bp)\n\t"
	"mov $0xde, %al\n\t"
	"out %al, $0x10\n\t"
	"iret\n\t"
	"rm_bp_handler:\n\t"
	"mov $0xb3, %al\n\t"
	"out %al, $0x10\n\t"
	"iret\n\t");

static void expect_outb(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, uint16_t port, uint8_t val)
{
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, port, 1);
	EXPECT_EQ(val, *(uint8_t *)vcpu_io_data(vcpu));
}

TEST(real_mode_exceptions_through_ivt)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, rm_exc_start,
					       rm_exc_end - rm_exc_start);

	expect_outb(_metadata, vcpu, 0x10, 0xde);
	expect_outb(_metadata, vcpu, 0x11, 0x11);
	expect_outb(_metadata, vcpu, 0x10, 0xb3);
	expect_outb(_metadata, vcpu, 0x11, 0x22);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
