// SPDX-License-Identifier: GPL-2.0-only
/*
 * Userspace debugging of a guest: KVM_SET_GUEST_DEBUG and KVM_EXIT_DEBUG
 * (Documentation/virt/kvm/api.rst, 4.59 and 5. "KVM_EXIT_DEBUG").
 *
 * - KVM_GUESTDBG_SINGLESTEP: every KVM_RUN executes one guest instruction
 *   and exits with KVM_EXIT_DEBUG, exception 1 (#DB), DR6.BS set and pc =
 *   the next instruction, whether the CPU ran the instruction (NOP, MOV,
 *   JMP, RET) or KVM emulated it after an intercept (CPUID).
 * - KVM_GUESTDBG_USE_SW_BP: a guest INT3 exits with exception 3 (#BP) and
 *   pc = RIP = the INT3 itself; the guest's IDT does not see it.
 * - KVM_GUESTDBG_USE_HW_BP: debugreg[0] and debugreg[7] are loaded into
 *   DR0/DR7 while the guest runs; an execute breakpoint exits with
 *   exception 1 before the instruction runs (a fault: pc = RIP = the
 *   breakpoint) and DR6.B0 set.
 * - With debugging off again (control = 0) a guest INT3 goes through the
 *   guest's IDT, as a trap (the handler sees RIP after the INT3).
 * - Control bits KVM does not know are ignored, as in-tree KVM does.
 *
 * The breakpoint cases are skipped on QEMU TCG (the rig's emulated SVM
 * host), whose nested SVM cannot deliver them; see host_is_qemu_tcg().
 *
 * Guest debugging is never left enabled across a ucall here: completing
 * the ucall's OUT while single-stepping (and resuming at a hit execute
 * breakpoint without RF) are corner cases of their own.
 */
#include <cpuid.h>

#include "kvmx_test.h"

#define DR6_B0		(1ULL << 0)
#define DR6_BS		(1ULL << 14)
#define DR6_B_MASK	0xfULL
#define DR7_G0		(1ULL << 1)
#define DR7_FIXED_1	(1ULL << 10)

static void set_guest_debug(struct kvm_vcpu *vcpu, uint32_t control,
			    uint64_t dr0, uint64_t dr7)
{
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	dbg.control = control;
	dbg.arch.debugreg[0] = dr0;
	dbg.arch.debugreg[7] = dr7;
	vcpu_ioctl(vcpu, KVM_SET_GUEST_DEBUG, &dbg);
}

/* Runs the vCPU; the exit must be KVM_EXIT_DEBUG for @vec at @pc. */
static void expect_debug_exit(struct __test_metadata *_metadata,
			      struct kvm_vcpu *vcpu, uint32_t vec,
			      const void *pc)
{
	struct kvm_regs r;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_DEBUG);
	EXPECT_EQ(vec, vcpu->run->debug.arch.exception);
	EXPECT_EQ((uint64_t)(uintptr_t)pc, vcpu->run->debug.arch.pc) {
		uint64_t off;

		TH_LOG("pc 0x%llx is %s+0x%lx",
		       (unsigned long long)vcpu->run->debug.arch.pc,
		       addr2sym(vcpu->run->debug.arch.pc, &off), off);
	}
	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ((uint64_t)(uintptr_t)pc, r.rip);
}

/*
 * The first single-step exit of a vCPU that has not run yet.  Bochs'
 * VMX reports the step trap at the VM entry itself, before the first
 * instruction (the distro KVM and kvmx alike see it there); real CPUs
 * and QEMU only after it.  Such an exit must be at @start, BS set, and
 * the next one is then the real first step.
 */
static bool skip_entry_step(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu, const void *start,
			    const void *first)
{
	struct kvm_regs r;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_DEBUG);
	EXPECT_EQ(DB_VECTOR, vcpu->run->debug.arch.exception);
	EXPECT_TRUE(vcpu->run->debug.arch.dr6 & DR6_BS);
	if (vcpu->run->debug.arch.pc == (uint64_t)(uintptr_t)first) {
		vcpu_regs_get(vcpu, &r);
		EXPECT_EQ((uint64_t)(uintptr_t)first, r.rip);
		return true;
	}
	EXPECT_EQ((uint64_t)(uintptr_t)start, vcpu->run->debug.arch.pc);
	TH_LOG("a step exit at the entry, before the first instruction");
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_DEBUG);
	/*
	 * Bochs 2.7 raises it at every entry, so the guest never gets
	 * past its first instruction, with either KVM: nothing to test.
	 */
	if (vcpu->run->debug.arch.pc == (uint64_t)(uintptr_t)start)
		return false;
	EXPECT_EQ(DB_VECTOR, vcpu->run->debug.arch.exception);
	EXPECT_EQ((uint64_t)(uintptr_t)first, vcpu->run->debug.arch.pc);
	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ((uint64_t)(uintptr_t)first, r.rip);
	return true;
}

#define STEP_SKIP_REASON \
	"this CPU raises the single-step trap at every VM entry (Bochs)"


/*
 * A known sequence, entered directly as the guest function (no compiler
 * prologue before it); its RET goes to the library's exit stub.  CPUID
 * always exits to KVM, which emulates it and skips it.
 */
extern const char ss_0[], ss_1[], ss_2[], ss_3[], ss_4[], ss_5[], ss_6[],
	ss_7[];
extern const char guest_exit_stub[];
extern void guest_ss_code(void);

asm(".pushsection .text\n"
    ".globl guest_ss_code\n"
    ".type guest_ss_code, @function\n"
    "guest_ss_code:\n"
    "ss_0: nop\n"
    "ss_1: mov $0x1234, %eax\n"
    "ss_2: xor %ecx, %ecx\n"
    "ss_3: cpuid\n"
    "ss_4: jmp ss_6\n"
    "ss_5: ud2\n"
    "ss_6: add $1, %ecx\n"
    "ss_7: ret\n"
    ".size guest_ss_code, . - guest_ss_code\n"
    ".popsection\n");

TEST(singlestep)
{
	const char *const steps[] = {
		ss_1, ss_2, ss_3, ss_4, ss_6, ss_7, guest_exit_stub,
	};
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_ss_code);
	struct kvm_regs r;
	unsigned int i;

	set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
			0, 0);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		uint64_t dr6;

		if (i == 0) {
			if (!skip_entry_step(_metadata, vcpu, ss_0, steps[0])) {
				kvm_vm_free(vm);
				SKIP(return, STEP_SKIP_REASON);
			}
		} else
			expect_debug_exit(_metadata, vcpu, DB_VECTOR, steps[i]);
		dr6 = vcpu->run->debug.arch.dr6;
		EXPECT_TRUE(dr6 & DR6_BS) {
			TH_LOG("dr6 0x%llx", (unsigned long long)dr6);
		}
		EXPECT_EQ(0, dr6 & DR6_B_MASK) {
			TH_LOG("dr6 0x%llx", (unsigned long long)dr6);
		}
		if (!_metadata->passed) {
			TH_LOG("at step %u of %zu", i + 1, ARRAY_SIZE(steps));
			break;
		}
		vcpu_regs_get(vcpu, &r);
		/* One instruction at a time: the MOV ran, the XOR not yet. */
		if (steps[i] == ss_2) {
			EXPECT_EQ(0x1234, (uint32_t)r.rax);
		}
		/* The ADD after the jump ran exactly once. */
		if (steps[i] == ss_7) {
			EXPECT_EQ(1, (uint32_t)r.rcx);
		}
	}

	/* Debugging off: the guest runs on to its end. */
	set_guest_debug(vcpu, 0, 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* Guest data: what the guest's own #BP handler saw. */
static volatile uint64_t bp_count, bp_rip;

static void guest_bp_handler(struct guest_exception_frame *f)
{
	bp_count++;
	bp_rip = f->rip;
}

extern const char sw_bp[], sw_bp_after[], guest_bp[], guest_bp_after[];

static void guest_int3s(void)
{
	/* Debugged: exits to userspace, which skips it. */
	asm volatile("sw_bp: int3\n\t"
		     "sw_bp_after: nop" : : : "memory");
	GUEST_SYNC(bp_count);
	/* Not debugged: the guest's own handler. */
	asm volatile("guest_bp: int3\n\t"
		     "guest_bp_after: nop" : : : "memory");
	ucall(UCALL_SYNC, 2, bp_count, bp_rip);
}

/*
 * The emulated SVM host (QEMU 7.2 TCG) cannot run these: it checks a
 * nested guest's exception intercepts only for exceptions, not for INT3
 * (a software interrupt to it), and its VMRUN loads DR7 without arming
 * the breakpoints.  Both are fine on real CPUs.
 */
static bool host_is_qemu_tcg(void)
{
	uint32_t a, b, c, d;
	char sig[13];

	__cpuid(1, a, b, c, d);
	if (!(c & (1U << 31)))		/* no hypervisor */
		return false;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	return !strcmp(sig, "TCGTCGTCGTCG");
}

#define SKIP_ON_TCG(what)						\
	do {								\
		if (host_is_qemu_tcg())					\
			TEST_SKIP(return, "QEMU TCG's nested SVM has no " what); \
	} while (0)

/*
 * The first INT3 exits to userspace, which skips it; with debugging off
 * the second one goes to the guest's handler.
 */
TEST(sw_breakpoint)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_regs r;
	struct ucall uc;

	SKIP_ON_TCG("#BP intercept for INT3");
	vm = vm_create_guest(&vcpu, guest_int3s);
	vm_install_exception_handler(vm, BP_VECTOR, guest_bp_handler);
	set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP,
			0, 0);
	expect_debug_exit(_metadata, vcpu, BP_VECTOR, sw_bp);
	/* Userspace owns the INT3: resume after it. */
	vcpu_regs_get(vcpu, &r);
	r.rip = (uint64_t)(uintptr_t)sw_bp_after;
	vcpu_regs_set(vcpu, &r);
	/* The guest's handler never ran. */
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);

	set_guest_debug(vcpu, 0, 0, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ((uint64_t)(uintptr_t)guest_bp_after, uc.args[1]);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * A debugger that stepped the guest with all of single-step, software
 * and hardware breakpoints enabled detaches: KVM stops intercepting, TF
 * is gone, and the guest's INT3 (also the DR0 address) reaches its own
 * IDT as a trap, with no more exits.
 */
extern const char off_0[], off_1[], off_2[];
extern void guest_off_code(void);

void guest_off_report(void)
{
	ucall(UCALL_SYNC, 2, bp_count, bp_rip);
}

asm(".pushsection .text\n"
    ".globl guest_off_code\n"
    ".type guest_off_code, @function\n"
    "guest_off_code:\n"
    "off_0: nop\n"
    "off_1: int3\n"
    "off_2: jmp guest_off_report\n"
    ".size guest_off_code, . - guest_off_code\n"
    ".popsection\n");

TEST(int3_to_guest_after_debug_off)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_off_code);
	struct ucall uc;

	vm_install_exception_handler(vm, BP_VECTOR, guest_bp_handler);
	set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
			KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP,
			(uint64_t)(uintptr_t)off_1, DR7_FIXED_1 | DR7_G0);
	if (!skip_entry_step(_metadata, vcpu, off_0, off_1)) {
		kvm_vm_free(vm);
		SKIP(return, STEP_SKIP_REASON);
	}
	EXPECT_TRUE(vcpu->run->debug.arch.dr6 & DR6_BS);

	set_guest_debug(vcpu, 0, 0, 0);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	/* A trap: the handler's RIP is after the INT3. */
	EXPECT_EQ((uint64_t)(uintptr_t)off_2, uc.args[1]);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

extern const char hw_bp[];

static void guest_hw_bp(void)
{
	GUEST_SYNC(0);
	asm volatile("hw_bp: nop" : : : "memory");
	GUEST_SYNC(1);
}

TEST(hw_breakpoint)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint64_t dr6, dr7;

	SKIP_ON_TCG("DR7 breakpoints in a guest");
	vm = vm_create_guest(&vcpu, guest_hw_bp);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	/* DR7: G0 with R/W0 = 00 (execute), LEN0 = 00. */
	set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
			(uint64_t)(uintptr_t)hw_bp, DR7_FIXED_1 | DR7_G0);
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, hw_bp);
	dr6 = vcpu->run->debug.arch.dr6;
	dr7 = vcpu->run->debug.arch.dr7;
	EXPECT_EQ(DR6_B0, dr6 & DR6_B_MASK) {
		TH_LOG("dr6 0x%llx", (unsigned long long)dr6);
	}
	EXPECT_EQ(0, dr6 & DR6_BS) {
		TH_LOG("dr6 0x%llx", (unsigned long long)dr6);
	}
	/* The DR7 the guest ran with: the debugger's. */
	EXPECT_EQ(DR7_G0, dr7 & 0xff) {
		TH_LOG("dr7 0x%llx", (unsigned long long)dr7);
	}

	/*
	 * Debugging off: the guest's DR7 is back, the NOP runs (no #DB
	 * reaches the guest, which has no handler for it).
	 */
	set_guest_debug(vcpu, 0, 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * In-tree x86 KVM ignores control bits it does not know (it reports the
 * ones it knows in KVM_CAP_SET_GUEST_DEBUG2 but does not check them).
 */
TEST(unknown_control_bits_ignored)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_hw_bp);
	struct kvm_guest_debug dbg;

	memset(&dbg, 0, sizeof(dbg));
	dbg.control = KVM_GUESTDBG_ENABLE | (1U << 30);
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg));
	/* Nothing to debug was asked for: the guest runs normally. */
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
