// SPDX-License-Identifier: GPL-2.0-only
/*
 * A triple fault (an exception while delivering #DF, SDM Vol. 3A 6.15
 * "Interrupt 8") shuts the processor down; KVM reports it to userspace as
 * KVM_EXIT_SHUTDOWN.  Provoked from real mode (an IDT limit of 0 makes
 * every vector fail, INT3 -> #GP -> #DF -> shutdown) and from long mode
 * (same with a 64-bit IDT, and with a page fault on the stack).
 */
#include "kvmx_test.h"
#include "guest16.h"

REALMODE_CODE(rm_triple,
	"lidt " REALMODE_ADDR(rm_triple, rm_idtr) "\n\t"
	"int3\n\t"
	"hlt\n\t"
	"rm_idtr: .word 0\n\t"
	".long 0\n\t");

TEST(real_mode_idt_limit_0)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, rm_triple_start,
					       rm_triple_end - rm_triple_start);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	kvm_vm_free(vm);
}

/* INT n with a vector past the IDT limit is a #GP... and so on. */
REALMODE_CODE(rm_triple_int,
	"lidt " REALMODE_ADDR(rm_triple_int, rm_idtr2) "\n\t"
	"int $0x80\n\t"
	"hlt\n\t"
	"rm_idtr2: .word 0\n\t"
	".long 0\n\t");

TEST(real_mode_int_n_idt_limit_0)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, rm_triple_int_start,
					       rm_triple_int_end - rm_triple_int_start);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	kvm_vm_free(vm);
}

static void guest_ud2(void)
{
	GUEST_SYNC(0);
	asm volatile("ud2");
	GUEST_SYNC(1);
}

TEST(long_mode_idt_limit_0)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_ud2);
	struct kvm_sregs s;

	/* The guest runs fine with its IDT... */
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	/* ... which then goes away. */
	vcpu_sregs_get(vcpu, &s);
	s.idt.limit = 0;
	vcpu_sregs_set(vcpu, &s);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	kvm_vm_free(vm);
}

static void guest_bad_stack(void)
{
	/* A stack outside the page tables: exceptions cannot be delivered. */
	asm volatile("mov %0, %%rsp\n\t"
		     "ud2" : : "r"(0x123400000000ULL));
}

TEST(long_mode_unusable_stack)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_bad_stack);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_SHUTDOWN);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
