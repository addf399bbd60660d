// SPDX-License-Identifier: GPL-2.0-only
/*
 * What an instruction on MMIO that KVM's emulator cannot run gives the
 * VMM: KVM_EXIT_INTERNAL_ERROR with suberror KVM_INTERNAL_ERROR_EMULATION
 * and, in the emulation_failure layout of kvm_run, the flag
 * KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES with the
 * instruction's size and bytes (ndata counts at least the flags word and
 * the two words of bytes), so users can report what failed.  The
 * instruction is FLD m32 (x87), which neither in-tree KVM's emulator nor
 * kvmx's handles.
 *
 * Without KVM_CAP_EXIT_ON_EMULATION_FAILURE the guest gets #UD at the
 * instruction as well (at CPL 0 after the exit, when the VMM runs the
 * vCPU again).  With the capability enabled it does not: the VMM owns the
 * instruction, and here it skips it.  The capability takes 0 or 1 only.
 */
#include "kvmx_test.h"

#define MMIO_GPA	0xc0000000UL	/* 3 GiB: no slot there */
#define FLDS_LEN	2		/* d9 00: fld dword ptr [rax] */

/* FLD m32 from MMIO, caught if it raises an exception; then the verdict. */
static void guest_flds(void)
{
	register uint64_t vec asm("r11");

	asm volatile(GUEST_SAFE_ASM(".byte 0xd9, 0x00")
		     : "=&r"(vec) : "a"(MMIO_GPA) : "r10", "memory");
	ucall(UCALL_SYNC, 1, vec);
	GUEST_DONE();
}

static void assert_failure_exit(struct __test_metadata *_metadata,
				struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	vcpu_assert_exit(vcpu, KVM_EXIT_INTERNAL_ERROR);
	ASSERT_EQ(KVM_INTERNAL_ERROR_EMULATION, run->emulation_failure.suberror);
	ASSERT_GE(run->emulation_failure.ndata, 3);
	ASSERT_TRUE(run->emulation_failure.flags &
		    KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES);
	ASSERT_GE(run->emulation_failure.insn_size, FLDS_LEN);
	ASSERT_LE(run->emulation_failure.insn_size, 15);
	EXPECT_EQ(0xd9, run->emulation_failure.insn_bytes[0]);
	EXPECT_EQ(0x00, run->emulation_failure.insn_bytes[1]);
}

static uint64_t run_to_sync(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	return uc.args[0];
}

TEST(reports_bytes_then_ud)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_flds);

	vcpu_run(vcpu);
	assert_failure_exit(_metadata, vcpu);
	/* running again delivers #UD at the instruction */
	EXPECT_EQ(UD_VECTOR, run_to_sync(_metadata, vcpu));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST(exit_on_failure_cap)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_regs regs;

	if (!kvm_check_cap(KVM_CAP_EXIT_ON_EMULATION_FAILURE))
		SKIP(return, "KVM_CAP_EXIT_ON_EMULATION_FAILURE not reported");
	vm = vm_create_guest(&vcpu, guest_flds);
	EXPECT_EQ(-1, __vm_enable_cap(vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE, 2));
	EXPECT_EQ(EINVAL, errno);
	vm_enable_cap(vm, KVM_CAP_EXIT_ON_EMULATION_FAILURE, 1);

	vcpu_run(vcpu);
	assert_failure_exit(_metadata, vcpu);

	/* the VMM handles the instruction itself: it skips it */
	vcpu_regs_get(vcpu, &regs);
	regs.rip += FLDS_LEN;
	vcpu_regs_set(vcpu, &regs);
	EXPECT_EQ((uint64_t)GUEST_NO_EXCEPTION, run_to_sync(_metadata, vcpu));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
