// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET/SET_REGS and KVM_GET/SET_SREGS round trips: what userspace
 * writes is what it reads back (up to the normalisations KVM documents:
 * an unusable segment reads back as unusable, whatever else was in it),
 * and a guest observes the registers the VMM set.
 */
#include "kvmx_test.h"
#include "guest16.h"

FIXTURE(vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(vcpu)
{
	self->vm = vm_create_bare();
	self->vcpu = vm_vcpu_add_bare(self->vm, 0);
	/*
	 * As VMMs do: KVM 6.12 refuses EFER.LME/LMA in KVM_SET_SREGS unless
	 * the guest's CPUID has long mode (6.1 does not check).
	 */
	vcpu_set_cpuid_supported(self->vcpu);
}

FIXTURE_TEARDOWN(vcpu)
{
	kvm_vm_free(self->vm);
}

TEST_F(vcpu, regs_round_trip)
{
	struct kvm_regs in, out;
	__u64 *p = (__u64 *)&in;
	unsigned int i;

	for (i = 0; i < sizeof(in) / 8; i++)
		p[i] = 0x0101010101010101ULL * (i + 1) + i;
	in.rip = 0x123456789abcULL;
	in.rflags = X86_EFLAGS_FIXED | (1UL << 0) | (1UL << 6) | (1UL << 11);
	vcpu_regs_set(self->vcpu, &in);
	memset(&out, 0xcc, sizeof(out));
	vcpu_regs_get(self->vcpu, &out);
	EXPECT_EQ(0, memcmp(&in, &out, sizeof(in)));
	for (i = 0; i < sizeof(in) / 8; i++)
		EXPECT_EQ(p[i], ((__u64 *)&out)[i]) TH_LOG("word %u", i);
}

TEST_F(vcpu, regs_bad_pointer)
{
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, KVM_GET_REGS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, KVM_SET_REGS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, KVM_GET_SREGS, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->vcpu->fd, KVM_SET_SREGS, NULL));
}

static void expect_seg_eq(struct __test_metadata *_metadata, const char *name,
			  const struct kvm_segment *a,
			  const struct kvm_segment *b)
{
	EXPECT_EQ(a->unusable, b->unusable) TH_LOG("%s.unusable", name);
	if (a->unusable)
		return;
	EXPECT_EQ(a->base, b->base) TH_LOG("%s.base", name);
	EXPECT_EQ(a->limit, b->limit) TH_LOG("%s.limit", name);
	EXPECT_EQ(a->selector, b->selector) TH_LOG("%s.selector", name);
	EXPECT_EQ(a->type, b->type) TH_LOG("%s.type", name);
	EXPECT_EQ(a->present, b->present) TH_LOG("%s.present", name);
	EXPECT_EQ(a->dpl, b->dpl) TH_LOG("%s.dpl", name);
	EXPECT_EQ(a->db, b->db) TH_LOG("%s.db", name);
	EXPECT_EQ(a->s, b->s) TH_LOG("%s.s", name);
	EXPECT_EQ(a->l, b->l) TH_LOG("%s.l", name);
	EXPECT_EQ(a->g, b->g) TH_LOG("%s.g", name);
	EXPECT_EQ(a->avl, b->avl) TH_LOG("%s.avl", name);
}

static void expect_sregs_eq(struct __test_metadata *_metadata,
			    const struct kvm_sregs *a,
			    const struct kvm_sregs *b)
{
	unsigned int i;

	expect_seg_eq(_metadata, "cs", &a->cs, &b->cs);
	expect_seg_eq(_metadata, "ds", &a->ds, &b->ds);
	expect_seg_eq(_metadata, "es", &a->es, &b->es);
	expect_seg_eq(_metadata, "fs", &a->fs, &b->fs);
	expect_seg_eq(_metadata, "gs", &a->gs, &b->gs);
	expect_seg_eq(_metadata, "ss", &a->ss, &b->ss);
	expect_seg_eq(_metadata, "tr", &a->tr, &b->tr);
	expect_seg_eq(_metadata, "ldt", &a->ldt, &b->ldt);
	EXPECT_EQ(a->gdt.base, b->gdt.base);
	EXPECT_EQ(a->gdt.limit, b->gdt.limit);
	EXPECT_EQ(a->idt.base, b->idt.base);
	EXPECT_EQ(a->idt.limit, b->idt.limit);
	EXPECT_EQ(a->cr0, b->cr0);
	EXPECT_EQ(a->cr2, b->cr2);
	EXPECT_EQ(a->cr3, b->cr3);
	EXPECT_EQ(a->cr4, b->cr4);
	EXPECT_EQ(a->cr8, b->cr8);
	EXPECT_EQ(a->efer, b->efer);
	EXPECT_EQ(a->apic_base, b->apic_base);
	for (i = 0; i < ARRAY_SIZE(a->interrupt_bitmap); i++)
		EXPECT_EQ(a->interrupt_bitmap[i], b->interrupt_bitmap[i]);
}

/* A flat 32-bit protected-mode state, no paging. */
static void make_pmode(struct kvm_sregs *s)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x8,
		.type = SEG_TYPE_CODE_XR_A, .present = 1, .db = 1, .s = 1,
		.g = 1,
	};
	struct kvm_segment data = code;

	data.selector = 0x10;
	data.type = SEG_TYPE_DATA_RW_A;
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct kvm_segment){ .base = 0x3000, .limit = 0x67,
				      .selector = 0x18, .type = 0xb,
				      .present = 1 };
	s->ldt = (struct kvm_segment){ .base = 0x4000, .limit = 0xff,
				       .selector = 0x20, .type = 0x2,
				       .present = 1 };
	s->gdt.base = 0x1000;
	s->gdt.limit = 0x27;
	s->idt.base = 0x2000;
	s->idt.limit = 0x7ff;
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->cr2 = 0x12345000;
	s->cr3 = 0x5000;
	s->cr4 = 0;
	s->cr8 = 5;
	s->efer = 0;
}

TEST_F(vcpu, sregs_round_trip_protected_mode)
{
	struct kvm_sregs in, out;

	vcpu_sregs_get(self->vcpu, &in);
	make_pmode(&in);
	vcpu_sregs_set(self->vcpu, &in);
	vcpu_sregs_get(self->vcpu, &out);
	expect_sregs_eq(_metadata, &in, &out);
}

TEST_F(vcpu, sregs_round_trip_long_mode)
{
	struct kvm_sregs in, out;

	vcpu_sregs_get(self->vcpu, &in);
	make_pmode(&in);
	in.cs.l = 1;
	in.cs.db = 0;
	in.tr.type = SEG_TYPE_TSS64_BUSY;
	in.ldt = (struct kvm_segment){ .unusable = 1 };
	in.cr0 |= X86_CR0_PG | X86_CR0_WP;
	in.cr4 = X86_CR4_PAE | X86_CR4_PGE;
	in.efer = EFER_LME | EFER_LMA | EFER_SCE;
	vcpu_sregs_set(self->vcpu, &in);
	vcpu_sregs_get(self->vcpu, &out);
	expect_sregs_eq(_metadata, &in, &out);
}

/* The real-mode RESET state read back and written again is unchanged. */
TEST_F(vcpu, sregs_get_set_get_identity)
{
	struct kvm_sregs a, b;

	vcpu_sregs_get(self->vcpu, &a);
	vcpu_sregs_set(self->vcpu, &a);
	vcpu_sregs_get(self->vcpu, &b);
	expect_sregs_eq(_metadata, &a, &b);
	EXPECT_EQ(0, memcmp(&a, &b, sizeof(a)));
}

/* A bit in interrupt_bitmap queues that interrupt; it reads back. */
TEST_F(vcpu, sregs_interrupt_bitmap)
{
	struct kvm_sregs s;

	vcpu_sregs_get(self->vcpu, &s);
	s.interrupt_bitmap[0x31 / 64] |= 1ULL << (0x31 % 64);
	vcpu_sregs_set(self->vcpu, &s);
	vcpu_sregs_get(self->vcpu, &s);
	EXPECT_EQ(1ULL << (0x31 % 64), s.interrupt_bitmap[0]);
	EXPECT_EQ(0, s.interrupt_bitmap[1]);
	EXPECT_EQ(0, s.interrupt_bitmap[2]);
	EXPECT_EQ(0, s.interrupt_bitmap[3]);
}

/* The guest sees GPRs set by the VMM, and the VMM sees the guest's. */
REALMODE_CODE(add_regs,
	"add %ebx, %eax\n\t"
	"add %ecx, %eax\n\t"
	"mov $0x77, %edx\n\t"
	"hlt\n\t");

TEST(guest_uses_vmm_registers)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, add_regs_start,
					       add_regs_end - add_regs_start);
	struct kvm_regs r;

	vcpu_regs_get(vcpu, &r);
	r.rax = 1;
	r.rbx = 0x10;
	r.rcx = 0x100;
	r.rsi = 0xabcdef0123456789ULL;
	vcpu_regs_set(vcpu, &r);
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ(0x111, r.rax);
	EXPECT_EQ(0x77, r.rdx);
	/* 64-bit state survives a real-mode guest. */
	EXPECT_EQ(0xabcdef0123456789ULL, r.rsi);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
