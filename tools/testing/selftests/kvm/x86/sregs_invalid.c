// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_SET_SREGS refuses, with EINVAL and without changing anything,
 * combinations of CR0/CR4/EFER/CS.L that no processor can be in (SDM
 * Vol. 3A 2.5 and 9.8.5: long mode needs PAE and paging; paging needs
 * protection; EFER.LMA is LME && PG), reserved control register bits, and
 * illegal IA32_APIC_BASE values.  Legal mode changes are accepted.
 */
#include "kvmx_test.h"

FIXTURE(vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct kvm_sregs orig;
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
	vcpu_sregs_get(self->vcpu, &self->orig);
}

FIXTURE_TEARDOWN(vcpu)
{
	kvm_vm_free(self->vm);
}

/* A flat 64-bit state that KVM accepts; tests break one thing in it. */
static void make_long_mode(struct kvm_sregs *s)
{
	s->cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 8,
		.type = SEG_TYPE_CODE_XR_A, .present = 1, .s = 1, .l = 1,
		.g = 1 };
	s->ds = s->es = s->fs = s->gs = s->ss = (struct kvm_segment){
		.limit = 0xffffffff, .selector = 0x10,
		.type = SEG_TYPE_DATA_RW_A, .present = 1, .s = 1, .db = 1,
		.g = 1 };
	s->tr = (struct kvm_segment){ .base = 0x2000, .limit = 0x67,
		.selector = 0x18, .type = SEG_TYPE_TSS64_BUSY, .present = 1 };
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	s->cr3 = 0x4000;
	s->cr4 = X86_CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

/* Sets *s, which must fail with EINVAL and leave the old state alone. */
#define EXPECT_REJECTED(s, what) do {					\
	struct kvm_sregs __after;					\
									\
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_SET_SREGS, (s)));	\
	vcpu_sregs_get(self->vcpu, &__after);				\
	EXPECT_EQ(0, memcmp(&self->orig, &__after, sizeof(__after)))	\
		TH_LOG("%s: state changed by a rejected KVM_SET_SREGS", what); \
} while (0)

TEST_F(vcpu, long_mode_accepted)
{
	struct kvm_sregs s = self->orig;

	make_long_mode(&s);
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_SREGS, &s));
}

TEST_F(vcpu, long_mode_without_pae)
{
	struct kvm_sregs s = self->orig;

	make_long_mode(&s);
	s.cr4 &= ~X86_CR4_PAE;
	EXPECT_REJECTED(&s, "LME|LMA, PG, !PAE");
}

TEST_F(vcpu, lme_and_pg_without_lma)
{
	struct kvm_sregs s = self->orig;

	make_long_mode(&s);
	s.efer &= ~EFER_LMA;
	EXPECT_REJECTED(&s, "LME, PG, !LMA");
}

TEST_F(vcpu, lma_without_lme)
{
	struct kvm_sregs s = self->orig;

	make_long_mode(&s);
	s.efer = EFER_LMA;
	EXPECT_REJECTED(&s, "LMA without LME");
}

TEST_F(vcpu, lma_without_paging)
{
	struct kvm_sregs s = self->orig;

	make_long_mode(&s);
	s.cr0 &= ~X86_CR0_PG;
	s.cs.l = 0;
	EXPECT_REJECTED(&s, "LME|LMA without PG");
}

TEST_F(vcpu, cs_l_outside_long_mode)
{
	struct kvm_sregs s = self->orig;

	s.cs.l = 1;
	EXPECT_REJECTED(&s, "CS.L in real mode");
}

TEST_F(vcpu, paging_without_protection)
{
	struct kvm_sregs s = self->orig;

	s.cr0 = X86_CR0_PG | X86_CR0_ET;
	EXPECT_REJECTED(&s, "CR0.PG without PE");
}

TEST_F(vcpu, nw_without_cd)
{
	struct kvm_sregs s = self->orig;

	s.cr0 = X86_CR0_NW | X86_CR0_ET;
	EXPECT_REJECTED(&s, "CR0.NW without CD");
}

TEST_F(vcpu, cr0_high_bits)
{
	struct kvm_sregs s = self->orig;

	s.cr0 |= 1ULL << 32;
	EXPECT_REJECTED(&s, "CR0 bit 32");
	s.cr0 = self->orig.cr0 | 1ULL << 63;
	EXPECT_REJECTED(&s, "CR0 bit 63");
}

TEST_F(vcpu, cr4_reserved_bits)
{
	struct kvm_sregs s = self->orig;

	s.cr4 = 1ULL << 15;
	EXPECT_REJECTED(&s, "CR4 bit 15");
	s.cr4 = 1ULL << 63;
	EXPECT_REJECTED(&s, "CR4 bit 63");
	s.cr4 = 1ULL << 40;
	EXPECT_REJECTED(&s, "CR4 bit 40");
}

TEST_F(vcpu, cr3_reserved_bits_in_long_mode)
{
	struct kvm_sregs s = self->orig;

	make_long_mode(&s);
	s.cr3 = 1ULL << 52 | 0x4000;
	EXPECT_REJECTED(&s, "CR3 above MAXPHYADDR");
}

TEST_F(vcpu, apic_base_illegal)
{
	struct kvm_sregs s = self->orig;

	/* x2APIC enabled without xAPIC enabled. */
	s.apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_EXTD;
	EXPECT_REJECTED(&s, "APIC base EXTD without EN");
	/* Reserved bits 0-7. */
	s.apic_base = self->orig.apic_base | 0x1;
	EXPECT_REJECTED(&s, "APIC base bit 0");
	/* Above any MAXPHYADDR. */
	s.apic_base = self->orig.apic_base | 1ULL << 63;
	EXPECT_REJECTED(&s, "APIC base bit 63");
}

TEST_F(vcpu, apic_base_legal_changes)
{
	struct kvm_sregs s = self->orig;

	s.apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_SREGS, &s));
	vcpu_sregs_get(self->vcpu, &s);
	EXPECT_EQ(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE, s.apic_base);
	/* Disabled altogether is legal too. */
	s.apic_base = 0;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_SREGS, &s));
}

TEST_F(vcpu, protected_mode_accepted)
{
	struct kvm_sregs s = self->orig;

	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_SREGS, &s));
	/* Paging with 32-bit and PAE page tables. */
	s.cr0 |= X86_CR0_PG;
	s.cr3 = 0x1000;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_SREGS, &s));
	s.cr4 = X86_CR4_PAE;
	s.cr3 = 0x1000;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_SREGS, &s));
	/* EFER.LME without paging: long mode armed, not active: legal. */
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	s.efer = EFER_LME;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_SREGS, &s));
}

TEST_HARNESS_MAIN
