// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_RUN with real-mode guests doing port I/O: KVM_EXIT_IO for OUT and
 * IN of 1, 2 and 4 bytes (direction, size, port, count, data in the
 * kvm_run mapping at io.data_offset), IN data supplied by the VMM and
 * delivered into AL/AX/EAX by the next KVM_RUN, string I/O, and HLT
 * (KVM_EXIT_HLT with RIP after the instruction).
 */
#include "kvmx_test.h"
#include "guest16.h"

REALMODE_CODE(outs,
	"mov $0x11, %al\n\t"
	"out %al, $0x10\n\t"
	"mov $0x2233, %ax\n\t"
	"out %ax, $0x12\n\t"
	"mov $0x44556677, %eax\n\t"
	"out %eax, $0x14\n\t"
	"mov $0x1234, %dx\n\t"
	"mov $0x88, %al\n\t"
	"out %al, (%dx)\n\t"
	"hlt\n\t");

static void expect_out(struct __test_metadata *_metadata,
		       struct kvm_vcpu *vcpu, uint16_t port, uint8_t size,
		       uint32_t value)
{
	uint32_t data = 0;

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, port, size);
	ASSERT_LT(vcpu->run->io.data_offset, vcpu->run_size);
	memcpy(&data, vcpu_io_data(vcpu), size);
	EXPECT_EQ(value, data);
}

TEST(out_sizes_1_2_4)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, outs_start,
					       outs_end - outs_start);

	expect_out(_metadata, vcpu, 0x10, 1, 0x11);
	expect_out(_metadata, vcpu, 0x12, 2, 0x2233);
	expect_out(_metadata, vcpu, 0x14, 4, 0x44556677);
	expect_out(_metadata, vcpu, 0x1234, 1, 0x88);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

/* The data area is the PIO page: KVM puts it right after kvm_run. */
TEST(out_data_in_pio_page)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, outs_start,
					       outs_end - outs_start);

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, 0x10, 1);
	EXPECT_EQ(KVM_PIO_PAGE_OFFSET * PAGE_SIZE, vcpu->run->io.data_offset);
	kvm_vm_free(vm);
}

/* IN, then echo the value back with OUT to the next port. */
REALMODE_CODE(ins,
	"xor %eax, %eax\n\t"
	"in $0x20, %al\n\t"
	"out %al, $0x21\n\t"
	"mov $0xffffffff, %eax\n\t"
	"in $0x22, %ax\n\t"
	"out %eax, $0x23\n\t"
	"in $0x24, %eax\n\t"
	"out %eax, $0x25\n\t"
	"mov $0x4321, %dx\n\t"
	"in (%dx), %al\n\t"
	"out %al, $0x26\n\t"
	"hlt\n\t");

static void do_in(struct __test_metadata *_metadata, struct kvm_vcpu *vcpu,
		  uint16_t port, uint8_t size, uint32_t value)
{
	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_IN, port, size);
	ASSERT_LT(vcpu->run->io.data_offset, vcpu->run_size);
	memcpy(vcpu_io_data(vcpu), &value, size);
}

TEST(in_sizes_1_2_4)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, ins_start,
					       ins_end - ins_start);
	struct kvm_regs regs;

	do_in(_metadata, vcpu, 0x20, 1, 0xa5);
	expect_out(_metadata, vcpu, 0x21, 1, 0xa5);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0xa5, regs.rax);

	/* A 16-bit IN leaves the upper half of EAX alone. */
	do_in(_metadata, vcpu, 0x22, 2, 0xbeef);
	expect_out(_metadata, vcpu, 0x23, 4, 0xffffbeef);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0xffffbeef, regs.rax);

	do_in(_metadata, vcpu, 0x24, 4, 0xdeadc0de);
	expect_out(_metadata, vcpu, 0x25, 4, 0xdeadc0de);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0xdeadc0de, regs.rax);

	do_in(_metadata, vcpu, 0x4321, 1, 0x5a);
	expect_out(_metadata, vcpu, 0x26, 1, 0x5a);

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

/* The value of an IN lands in the register when the VMM resumes the vCPU. */
REALMODE_CODE(in_hlt,
	"xor %eax, %eax\n\t"
	"in $0x30, %eax\n\t"
	"hlt\n\t");

TEST(in_completed_by_next_run)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, in_hlt_start,
					       in_hlt_end - in_hlt_start);
	struct kvm_regs regs;

	do_in(_metadata, vcpu, 0x30, 4, 0x13572468);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x13572468, regs.rax);
	kvm_vm_free(vm);
}

REALMODE_CODE(hlt_only,
	"nop\n\t"
	"hlt_here: hlt\n\t"
	"hlt\n\t");

TEST(hlt_exit_rip_after_hlt)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, hlt_only_start,
					       hlt_only_end - hlt_only_start);
	struct kvm_regs regs;

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(2, regs.rip);
	/* Running again executes the next HLT. */
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(3, regs.rip);
	kvm_vm_free(vm);
}

/*
 * REP OUTSB / REP INSB of 4 bytes: KVM may split string I/O into several
 * exits (count says how many elements each one carries), but the bytes
 * must all go through, in order, and RCX/RSI/RDI must end up updated.
 */
REALMODE_CODE(strio,
	"cld\n\t"
	"mov $" REALMODE_ADDR(strio, strio_src) ", %si\n\t"
	"mov $4, %cx\n\t"
	"mov $0x40, %dx\n\t"
	"rep outsb\n\t"
	"mov $" REALMODE_ADDR(strio, strio_dst) ", %di\n\t"
	"mov $4, %cx\n\t"
	"mov $0x41, %dx\n\t"
	"rep insb\n\t"
	"mov " REALMODE_ADDR(strio, strio_dst) ", %eax\n\t"
	"out %eax, $0x42\n\t"
	"hlt\n\t"
	"strio_src: .byte 0xa1, 0xb2, 0xc3, 0xd4\n\t"
	"strio_dst: .byte 0, 0, 0, 0\n\t");

TEST(string_io)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, strio_start,
					       strio_end - strio_start);
	uint8_t got[4], in_data[4] = { 0x15, 0x26, 0x37, 0x48 };
	unsigned int n = 0, exits = 0, i;
	struct kvm_regs regs;

	while (n < 4 && exits++ < 8) {
		struct kvm_run *run = vcpu->run;

		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_IO);
		ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
		ASSERT_EQ(0x40, run->io.port);
		ASSERT_EQ(1, run->io.size);
		ASSERT_GE(run->io.count, 1);
		ASSERT_LE(n + run->io.count, 4);
		memcpy(got + n, vcpu_io_data(vcpu), run->io.count);
		n += run->io.count;
	}
	ASSERT_EQ(4, n);
	TH_LOG("rep outsb of 4 bytes: %u exit(s)", exits);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0xa1 + 0x11 * i, got[i]);

	n = 0;
	exits = 0;
	while (n < 4 && exits++ < 8) {
		struct kvm_run *run = vcpu->run;

		vcpu_run(vcpu);
		vcpu_assert_exit(vcpu, KVM_EXIT_IO);
		ASSERT_EQ(KVM_EXIT_IO_IN, run->io.direction);
		ASSERT_EQ(0x41, run->io.port);
		ASSERT_EQ(1, run->io.size);
		ASSERT_GE(run->io.count, 1);
		ASSERT_LE(n + run->io.count, 4);
		memcpy(vcpu_io_data(vcpu), in_data + n, run->io.count);
		n += run->io.count;
	}
	ASSERT_EQ(4, n);
	TH_LOG("rep insb of 4 bytes: %u exit(s)", exits);
	expect_out(_metadata, vcpu, 0x42, 4, 0x48372615);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0, regs.rcx & 0xffff);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
