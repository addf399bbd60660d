// SPDX-License-Identifier: GPL-2.0-only
/*
 * The architectural RESET state of a new vCPU, as KVM reports it through
 * KVM_GET_REGS / KVM_GET_SREGS / KVM_GET_FPU / KVM_GET_DEBUGREGS /
 * KVM_GET_VCPU_EVENTS / KVM_GET_MP_STATE right after KVM_CREATE_VCPU
 * (SDM Vol. 3A 10.1.1 "Processor State After Reset", APM Vol. 2 14.1.3).
 *
 * KVM's two backends report the segment registers slightly differently:
 * VMX keeps the access-rights bytes it loaded (0x93 data, 0x9b code, 0x8b
 * TR, 0x82 LDTR), SVM reports the attribute bits of its VMCB (no accessed
 * bit on CS and SS, a 16-bit busy TSS in TR) and synthesises the accessed
 * bit for DS/ES/FS/GS only.  The expectations below are per vendor.
 */
#include "kvmx_test.h"

struct seg_expect {
	uint16_t selector;
	uint64_t base;
	uint32_t limit;
	uint8_t type, s, present;
};

struct reset_expect {
	struct seg_expect cs, data, ss, tr, ldt;
};

/* Values read from the distro KVM (Debian 6.1 / 6.12) on each vendor. */
static const struct reset_expect reset_vmx = {
	.cs   = { 0xf000, 0xffff0000, 0xffff, SEG_TYPE_CODE_XR_A, 1, 1 },
	.data = { 0, 0, 0xffff, SEG_TYPE_DATA_RW_A, 1, 1 },
	.ss   = { 0, 0, 0xffff, SEG_TYPE_DATA_RW_A, 1, 1 },
	.tr   = { 0, 0, 0xffff, SEG_TYPE_TSS64_BUSY, 0, 1 },
	.ldt  = { 0, 0, 0xffff, SEG_TYPE_LDT, 0, 1 },
};

static const struct reset_expect reset_svm = {
	.cs   = { 0xf000, 0xffff0000, 0xffff, SEG_TYPE_CODE_XR, 1, 1 },
	.data = { 0, 0, 0xffff, SEG_TYPE_DATA_RW_A, 1, 1 },
	.ss   = { 0, 0, 0xffff, SEG_TYPE_DATA_RW, 1, 1 },
	.tr   = { 0, 0, 0xffff, SEG_TYPE_TSS16_BUSY, 0, 1 },
	.ldt  = { 0, 0, 0xffff, SEG_TYPE_LDT, 0, 1 },
};

FIXTURE(vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	const struct reset_expect *exp;
};

FIXTURE_SETUP(vcpu)
{
	switch (host_vendor()) {
	case VENDOR_INTEL:
		self->exp = &reset_vmx;
		break;
	case VENDOR_AMD:
		self->exp = &reset_svm;
		break;
	default:
		self->exp = NULL;
		break;
	}
	self->vm = vm_create_bare();
	self->vcpu = vm_vcpu_add_bare(self->vm, 0);
}

FIXTURE_TEARDOWN(vcpu)
{
	kvm_vm_free(self->vm);
}

TEST_F(vcpu, gprs_rip_rflags)
{
	struct kvm_regs r;

	vcpu_regs_get(self->vcpu, &r);
	EXPECT_EQ(0xfff0, r.rip);
	EXPECT_EQ(X86_EFLAGS_FIXED, r.rflags);
	/* EDX = CPUID.1.EAX; no CPUID is set yet, so KVM's default 0x600. */
	EXPECT_EQ(0x600, r.rdx);
	EXPECT_EQ(0, r.rax);
	EXPECT_EQ(0, r.rbx);
	EXPECT_EQ(0, r.rcx);
	EXPECT_EQ(0, r.rsi);
	EXPECT_EQ(0, r.rdi);
	EXPECT_EQ(0, r.rsp);
	EXPECT_EQ(0, r.rbp);
	EXPECT_EQ(0, r.r8);
	EXPECT_EQ(0, r.r9);
	EXPECT_EQ(0, r.r10);
	EXPECT_EQ(0, r.r11);
	EXPECT_EQ(0, r.r12);
	EXPECT_EQ(0, r.r13);
	EXPECT_EQ(0, r.r14);
	EXPECT_EQ(0, r.r15);
}

TEST_F(vcpu, control_registers)
{
	struct kvm_sregs s;
	unsigned int i;

	vcpu_sregs_get(self->vcpu, &s);
	/* CD | NW | ET */
	EXPECT_EQ(0x60000010, s.cr0);
	EXPECT_EQ(0, s.cr2);
	EXPECT_EQ(0, s.cr3);
	EXPECT_EQ(0, s.cr4);
	EXPECT_EQ(0, s.cr8);
	EXPECT_EQ(0, s.efer);
	for (i = 0; i < ARRAY_SIZE(s.interrupt_bitmap); i++)
		EXPECT_EQ(0, s.interrupt_bitmap[i]);
}

/* vCPU 0 is the bootstrap processor; others are not. */
TEST_F(vcpu, apic_base)
{
	struct kvm_vcpu *ap = vm_vcpu_add_bare(self->vm, 1);
	struct kvm_sregs s;

	vcpu_sregs_get(self->vcpu, &s);
	EXPECT_EQ(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		  MSR_IA32_APICBASE_BSP, s.apic_base);
	vcpu_sregs_get(ap, &s);
	EXPECT_EQ(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE, s.apic_base);
}

TEST_F(vcpu, descriptor_tables)
{
	struct kvm_sregs s;

	vcpu_sregs_get(self->vcpu, &s);
	EXPECT_EQ(0, s.gdt.base);
	EXPECT_EQ(0xffff, s.gdt.limit);
	EXPECT_EQ(0, s.idt.base);
	EXPECT_EQ(0xffff, s.idt.limit);
}

static void check_seg(struct __test_metadata *_metadata, const char *name,
		      const struct kvm_segment *got,
		      const struct seg_expect *exp)
{
	TH_LOG("%-3s sel 0x%04x base 0x%llx limit 0x%x type 0x%x s %u p %u dpl %u db %u l %u g %u avl %u unusable %u",
	       name, got->selector, (unsigned long long)got->base, got->limit,
	       got->type, got->s, got->present, got->dpl, got->db, got->l,
	       got->g, got->avl, got->unusable);
	EXPECT_EQ(exp->selector, got->selector) TH_LOG("%s.selector", name);
	EXPECT_EQ(exp->base, got->base) TH_LOG("%s.base", name);
	EXPECT_EQ(exp->limit, got->limit) TH_LOG("%s.limit", name);
	EXPECT_EQ(exp->type, got->type) TH_LOG("%s.type", name);
	EXPECT_EQ(exp->s, got->s) TH_LOG("%s.s", name);
	EXPECT_EQ(exp->present, got->present) TH_LOG("%s.present", name);
	EXPECT_EQ(0, got->dpl) TH_LOG("%s.dpl", name);
	EXPECT_EQ(0, got->db) TH_LOG("%s.db", name);
	EXPECT_EQ(0, got->l) TH_LOG("%s.l", name);
	EXPECT_EQ(0, got->g) TH_LOG("%s.g", name);
	EXPECT_EQ(0, got->avl) TH_LOG("%s.avl", name);
	EXPECT_EQ(0, got->unusable) TH_LOG("%s.unusable", name);
}

TEST_F(vcpu, segments)
{
	struct kvm_sregs s;

	if (!self->exp)
		TEST_SKIP(return, "unknown CPU vendor: no reference values");
	TH_LOG("vendor: %s", host_vendor_name());
	vcpu_sregs_get(self->vcpu, &s);
	check_seg(_metadata, "cs", &s.cs, &self->exp->cs);
	check_seg(_metadata, "ds", &s.ds, &self->exp->data);
	check_seg(_metadata, "es", &s.es, &self->exp->data);
	check_seg(_metadata, "fs", &s.fs, &self->exp->data);
	check_seg(_metadata, "gs", &s.gs, &self->exp->data);
	check_seg(_metadata, "ss", &s.ss, &self->exp->ss);
	check_seg(_metadata, "tr", &s.tr, &self->exp->tr);
	check_seg(_metadata, "ldt", &s.ldt, &self->exp->ldt);
}

/* FNINIT state (SDM Vol. 1 Table 8-1). */
TEST_F(vcpu, fpu)
{
	struct kvm_fpu f;
	unsigned int i, j;

	memset(&f, 0xcc, sizeof(f));
	vcpu_ioctl(self->vcpu, KVM_GET_FPU, &f);
	EXPECT_EQ(0x37f, f.fcw);
	EXPECT_EQ(0, f.fsw);
	EXPECT_EQ(0, f.ftwx);
	EXPECT_EQ(0, f.last_opcode);
	EXPECT_EQ(0, f.last_ip);
	EXPECT_EQ(0, f.last_dp);
	/*
	 * KVM_GET_FPU never fills in mxcsr (KVM copies everything else from
	 * the FXSAVE image, not MXCSR): the field reads 0, whatever the
	 * guest's MXCSR (0x1f80 at RESET) is.
	 */
	EXPECT_EQ(0, f.mxcsr);
	for (i = 0; i < 8; i++)
		for (j = 0; j < 16; j++)
			EXPECT_EQ(0, f.fpr[i][j]);
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			EXPECT_EQ(0, f.xmm[i][j]);
}

TEST_F(vcpu, debug_registers)
{
	struct kvm_debugregs d;

	memset(&d, 0xcc, sizeof(d));
	vcpu_ioctl(self->vcpu, KVM_GET_DEBUGREGS, &d);
	EXPECT_EQ(0, d.db[0]);
	EXPECT_EQ(0, d.db[1]);
	EXPECT_EQ(0, d.db[2]);
	EXPECT_EQ(0, d.db[3]);
	EXPECT_EQ(0xffff0ff0, d.dr6);
	EXPECT_EQ(0x400, d.dr7);
	EXPECT_EQ(0, d.flags);
}

TEST_F(vcpu, no_pending_events)
{
	struct kvm_vcpu_events e;

	memset(&e, 0xcc, sizeof(e));
	vcpu_ioctl(self->vcpu, KVM_GET_VCPU_EVENTS, &e);
	EXPECT_EQ(0, e.exception.injected);
	EXPECT_EQ(0, e.exception.pending);
	EXPECT_EQ(0, e.interrupt.injected);
	EXPECT_EQ(0, e.interrupt.shadow);
	EXPECT_EQ(0, e.nmi.injected);
	EXPECT_EQ(0, e.nmi.pending);
	EXPECT_EQ(0, e.nmi.masked);
	EXPECT_EQ(0, e.smi.smm);
	EXPECT_EQ(0, e.smi.pending);
}

TEST_F(vcpu, mp_state_runnable)
{
	struct kvm_mp_state mp = { .mp_state = 0xdead };

	vcpu_ioctl(self->vcpu, KVM_GET_MP_STATE, &mp);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

/* The RESET state is per vCPU: a later vCPU starts the same way. */
TEST_F(vcpu, second_vcpu_same_state)
{
	struct kvm_vcpu *ap = vm_vcpu_add_bare(self->vm, 7);
	struct kvm_regs r0, r1;
	struct kvm_sregs s0, s1;

	vcpu_regs_get(self->vcpu, &r0);
	vcpu_regs_get(ap, &r1);
	EXPECT_EQ(0, memcmp(&r0, &r1, sizeof(r0)));
	vcpu_sregs_get(self->vcpu, &s0);
	vcpu_sregs_get(ap, &s1);
	s0.apic_base &= ~MSR_IA32_APICBASE_BSP;
	EXPECT_EQ(0, memcmp(&s0, &s1, sizeof(s0)));
}

TEST_HARNESS_MAIN
