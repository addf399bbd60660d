// SPDX-License-Identifier: GPL-2.0-only
/*
 * The architectural register state as userspace sees it: KVM_GET/SET_REGS,
 * KVM_GET/SET_SREGS with in-tree KVM's validity rules, and the reset state
 * of a new vCPU.  The general-purpose registers live in vcpu->regs; the
 * rest is read and written through the backend's state ops.
 */
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include <asm/apicdef.h>
#include <asm/fpu/types.h>
#include <linux/slab.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

/* RFLAGS bits that exist (SDM Vol. 1 3.4.3); bit 1 always reads as 1. */
#define KVMX_RFLAGS_VALID	(X86_EFLAGS_CF | X86_EFLAGS_FIXED | \
				 X86_EFLAGS_PF | X86_EFLAGS_AF | \
				 X86_EFLAGS_ZF | X86_EFLAGS_SF | \
				 X86_EFLAGS_TF | X86_EFLAGS_IF | \
				 X86_EFLAGS_DF | X86_EFLAGS_OF | \
				 X86_EFLAGS_IOPL | X86_EFLAGS_NT | \
				 X86_EFLAGS_RF | X86_EFLAGS_VM | \
				 X86_EFLAGS_AC | X86_EFLAGS_VIF | \
				 X86_EFLAGS_VIP | X86_EFLAGS_ID)

/*
 * CR4 bits a guest may set without any CPUID feature (SDM Vol. 3A 2.5).
 * VMXE stays reserved because kvmx offers no nested virtualization;
 * PKE stays reserved until PKRU is switched for the guest.
 */
#define KVMX_CR4_BASE		(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | \
				 X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
				 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | \
				 X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

/* A CR4 bit that needs a CPUID feature in the guest's table and the host. */
struct kvmx_cr4_feature {
	u64 cr4_bit;
	u32 function;
	int reg, bit;
	unsigned int host_feature;
};

static const struct kvmx_cr4_feature kvmx_cr4_features[] = {
	{ X86_CR4_PCIDE,    1, KVMX_CPUID_ECX, 17, X86_FEATURE_PCID },
	{ X86_CR4_FSGSBASE, 7, KVMX_CPUID_EBX,  0, X86_FEATURE_FSGSBASE },
	{ X86_CR4_SMEP,     7, KVMX_CPUID_EBX,  7, X86_FEATURE_SMEP },
	{ X86_CR4_SMAP,     7, KVMX_CPUID_EBX, 20, X86_FEATURE_SMAP },
	{ X86_CR4_UMIP,     7, KVMX_CPUID_ECX,  2, X86_FEATURE_UMIP },
	{ X86_CR4_OSXSAVE,  1, KVMX_CPUID_ECX, 26, X86_FEATURE_XSAVE },
	{ X86_CR4_LA57,     7, KVMX_CPUID_ECX, 16, X86_FEATURE_LA57 },
};

/* CPUID 0x80000001 EDX: long mode (bit 29) and no-execute (bit 20). */
#define KVMX_CPUID_EXT_LM	29
#define KVMX_CPUID_EXT_NX	20
#define KVMX_CR8_RESERVED	(~0xfULL)
/* IA32_APIC_BASE bits 0-7 and 9 are reserved (SDM Vol. 3A 11.4.4) */
#define KVMX_APIC_BASE_RESERVED	0x2ffULL

/* Physical-address bits above MAXPHYADDR. */
static u64 kvmx_reserved_gpa_bits(void)
{
	return ~0ULL << boot_cpu_data.x86_phys_bits;
}

void kvmx_vcpu_reset(struct kvmx_vcpu *vcpu)
{
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	/* RESET puts the processor signature in EDX (SDM Vol. 3A 9.1.4);
	 * in-tree KVM uses family 6 until CPUID is set */
	vcpu->regs[KVMX_REG_RDX] = 0x600;
	if (kvmx_find_cpuid(vcpu, 1, 0))
		vcpu->regs[KVMX_REG_RDX] = kvmx_find_cpuid(vcpu, 1, 0)->eax;
	vcpu->regs[KVMX_REG_RIP] = 0xfff0;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->cr8 = 0;
	/* xAPIC enabled at the default base; vCPU 0 is the bootstrap CPU
	 * (SDM Vol. 3A 11.4.4), as in-tree reports even without a LAPIC */
	vcpu->apic_base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
			  (vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	vcpu->pio.pending = false;
	vcpu->hypercall.pending = false;
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->guest_debug = 0;
	vcpu->tf_by_debugger = false;
	vcpu->debug_step_pending = false;
	memset(vcpu->pdptrs, 0, sizeof(vcpu->pdptrs));
	kvmx_backend->vcpu_reset(vcpu);
	kvmx_events_reset(vcpu);
	kvmx_msrs_reset(vcpu);
}

/*
 * INIT (SDM Vol. 3A 9.1, table 9-1): like RESET, except that the MSRs
 * (TSC, MTRRs, PAT, MCE), XCR0 and the x87/SSE state are kept, and the
 * LAPIC keeps its mode and ID (kvmx_lapic_reset()).
 */
void kvmx_vcpu_init_reset(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_msrs *saved;
	u64 xcr0 = vcpu->xcr0;

	saved = kmemdup(&vcpu->msrs, sizeof(*saved), GFP_KERNEL_ACCOUNT);
	kvmx_vcpu_reset(vcpu);
	if (saved) {
		vcpu->msrs = *saved;
		kvmx_set_tsc_offset(vcpu, saved->tsc_offset);
		kfree(saved);
	}
	vcpu->xcr0 = xcr0;
	kvmx_vcpu_apic_reset(vcpu, true);
}

void kvmx_get_regs(struct kvmx_vcpu *vcpu, struct kvm_regs *regs)
{
	const u64 *r = vcpu->regs;

	regs->rax = r[KVMX_REG_RAX];
	regs->rbx = r[KVMX_REG_RBX];
	regs->rcx = r[KVMX_REG_RCX];
	regs->rdx = r[KVMX_REG_RDX];
	regs->rsi = r[KVMX_REG_RSI];
	regs->rdi = r[KVMX_REG_RDI];
	regs->rsp = r[KVMX_REG_RSP];
	regs->rbp = r[KVMX_REG_RBP];
	regs->r8 = r[KVMX_REG_R8];
	regs->r9 = r[KVMX_REG_R9];
	regs->r10 = r[KVMX_REG_R10];
	regs->r11 = r[KVMX_REG_R11];
	regs->r12 = r[KVMX_REG_R12];
	regs->r13 = r[KVMX_REG_R13];
	regs->r14 = r[KVMX_REG_R14];
	regs->r15 = r[KVMX_REG_R15];
	regs->rip = r[KVMX_REG_RIP];
	regs->rflags = kvmx_visible_rflags(vcpu);
}

void kvmx_set_regs(struct kvmx_vcpu *vcpu, const struct kvm_regs *regs)
{
	u64 *r = vcpu->regs;

	r[KVMX_REG_RAX] = regs->rax;
	r[KVMX_REG_RBX] = regs->rbx;
	r[KVMX_REG_RCX] = regs->rcx;
	r[KVMX_REG_RDX] = regs->rdx;
	r[KVMX_REG_RSI] = regs->rsi;
	r[KVMX_REG_RDI] = regs->rdi;
	r[KVMX_REG_RSP] = regs->rsp;
	r[KVMX_REG_RBP] = regs->rbp;
	r[KVMX_REG_R8] = regs->r8;
	r[KVMX_REG_R9] = regs->r9;
	r[KVMX_REG_R10] = regs->r10;
	r[KVMX_REG_R11] = regs->r11;
	r[KVMX_REG_R12] = regs->r12;
	r[KVMX_REG_R13] = regs->r13;
	r[KVMX_REG_R14] = regs->r14;
	r[KVMX_REG_R15] = regs->r15;
	r[KVMX_REG_RIP] = regs->rip;
	/* VM entry fails on reserved RFLAGS bits (SDM 26.3.1.4): drop them */
	vcpu->rflags = (regs->rflags & KVMX_RFLAGS_VALID) | X86_EFLAGS_FIXED;
	vcpu->tf_by_debugger = false;
}

void kvmx_get_sregs(struct kvmx_vcpu *vcpu, struct kvm_sregs *sregs)
{
	const struct kvmx_backend *b = kvmx_backend;

	memset(sregs, 0, sizeof(*sregs));
	b->get_segment(vcpu, &sregs->cs, KVMX_SEG_CS);
	b->get_segment(vcpu, &sregs->ds, KVMX_SEG_DS);
	b->get_segment(vcpu, &sregs->es, KVMX_SEG_ES);
	b->get_segment(vcpu, &sregs->fs, KVMX_SEG_FS);
	b->get_segment(vcpu, &sregs->gs, KVMX_SEG_GS);
	b->get_segment(vcpu, &sregs->ss, KVMX_SEG_SS);
	b->get_segment(vcpu, &sregs->tr, KVMX_SEG_TR);
	b->get_segment(vcpu, &sregs->ldt, KVMX_SEG_LDTR);
	b->get_dtable(vcpu, &sregs->gdt, KVMX_DT_GDT);
	b->get_dtable(vcpu, &sregs->idt, KVMX_DT_IDT);
	sregs->cr0 = b->get_cr(vcpu, 0);
	sregs->cr2 = b->get_cr(vcpu, 2);
	sregs->cr3 = b->get_cr(vcpu, 3);
	sregs->cr4 = b->get_cr(vcpu, 4);
	sregs->cr8 = vcpu->cr8;
	sregs->efer = b->get_efer(vcpu);
	sregs->apic_base = vcpu->apic_base;
	/* an external interrupt queued for injection, as in-tree */
	if (vcpu->ev.interrupt.type == KVMX_EVENT_EXTINT)
		set_bit(vcpu->ev.interrupt.vector,
			(unsigned long *)sregs->interrupt_bitmap);
}

bool kvmx_cr0_valid(u64 cr0)
{
	if (cr0 >> 32)
		return false;
	/* SDM Vol. 3A 2.5: NW without CD and PG without PE are invalid */
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	return true;
}
EXPORT_SYMBOL_GPL(kvmx_cr0_valid);

u64 kvmx_cr4_allowed(struct kvmx_vcpu *vcpu)
{
	u64 allowed = KVMX_CR4_BASE;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(kvmx_cr4_features); i++) {
		const struct kvmx_cr4_feature *f = &kvmx_cr4_features[i];

		if (boot_cpu_has(f->host_feature) &&
		    kvmx_guest_has(vcpu, f->function, f->reg, f->bit))
			allowed |= f->cr4_bit;
	}
	return allowed;
}
EXPORT_SYMBOL_GPL(kvmx_cr4_allowed);

/* EFER bits per the guest's CPUID, as in-tree checks them for WRMSR. */
u64 kvmx_efer_allowed(struct kvmx_vcpu *vcpu)
{
	u64 allowed = EFER_SCE;

	if (kvmx_guest_has(vcpu, 0x80000001, KVMX_CPUID_EDX, KVMX_CPUID_EXT_LM))
		allowed |= EFER_LME | EFER_LMA;
	if (boot_cpu_has(X86_FEATURE_NX) &&
	    kvmx_guest_has(vcpu, 0x80000001, KVMX_CPUID_EDX, KVMX_CPUID_EXT_NX))
		allowed |= EFER_NX;
	return allowed;
}

/*
 * The combinations in-tree KVM refuses in KVM_SET_SREGS, so that a bad
 * request is -EINVAL here rather than a failed VM entry later.
 */
static bool kvmx_sregs_valid(struct kvmx_vcpu *vcpu, const struct kvm_sregs *s)
{
	if (!kvmx_cr0_valid(s->cr0) || (s->cr4 & ~kvmx_cr4_allowed(vcpu)) ||
	    (s->efer & ~kvmx_efer_allowed(vcpu)))
		return false;

	/* IA-32e mode (SDM Vol. 3A 9.8.5): LME + PG need PAE and LMA */
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 & kvmx_reserved_gpa_bits())
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}

	/* with the in-kernel LAPIC its own state machine checks it */
	if (!vcpu->apic &&
	    (s->apic_base & (KVMX_APIC_BASE_RESERVED | X2APIC_ENABLE |
			     kvmx_reserved_gpa_bits())))
		return false;
	return true;
}

int kvmx_set_sregs(struct kvmx_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	const struct kvmx_backend *b = kvmx_backend;
	unsigned int i;

	if (!kvmx_sregs_valid(vcpu, sregs))
		return -EINVAL;

	/* like in-tree KVM, a CR8 with reserved bits is ignored, not refused */
	if (vcpu->apic) {
		if (kvmx_apic_set_sregs(vcpu, sregs->cr8 & KVMX_CR8_RESERVED ?
					vcpu->cr8 : sregs->cr8,
					sregs->apic_base))
			return -EINVAL;
	} else {
		vcpu->apic_base = sregs->apic_base;
		if (!(sregs->cr8 & KVMX_CR8_RESERVED))
			vcpu->cr8 = sregs->cr8;
	}

	b->set_dtable(vcpu, &sregs->idt, KVMX_DT_IDT);
	b->set_dtable(vcpu, &sregs->gdt, KVMX_DT_GDT);
	b->set_cr(vcpu, 2, sregs->cr2);
	b->set_cr(vcpu, 3, sregs->cr3);
	/* EFER first: the backend derives IA-32e mode from LMA with CR0 */
	b->set_efer(vcpu, sregs->efer);
	b->set_cr(vcpu, 0, sregs->cr0);
	b->set_cr(vcpu, 4, sregs->cr4);

	b->set_segment(vcpu, &sregs->cs, KVMX_SEG_CS);
	b->set_segment(vcpu, &sregs->ds, KVMX_SEG_DS);
	b->set_segment(vcpu, &sregs->es, KVMX_SEG_ES);
	b->set_segment(vcpu, &sregs->fs, KVMX_SEG_FS);
	b->set_segment(vcpu, &sregs->gs, KVMX_SEG_GS);
	b->set_segment(vcpu, &sregs->ss, KVMX_SEG_SS);
	b->set_segment(vcpu, &sregs->tr, KVMX_SEG_TR);
	b->set_segment(vcpu, &sregs->ldt, KVMX_SEG_LDTR);

	/* as MOV to CR3 would in PAE mode (SDM Vol. 3A 4.4.1) */
	if (kvmx_guest_pae_paging(vcpu))
		kvmx_load_pdptrs(vcpu);

	/*
	 * The lowest pending interrupt of the bitmap is queued, as in-tree;
	 * an empty bitmap (and SREGS2, which has none) leaves a queued one.
	 */
	for (i = 0; i < ARRAY_SIZE(sregs->interrupt_bitmap); i++) {
		if (!sregs->interrupt_bitmap[i])
			continue;
		vcpu->ev.interrupt.type = KVMX_EVENT_EXTINT;
		vcpu->ev.interrupt.vector = i * 64 +
					    __ffs(sregs->interrupt_bitmap[i]);
		vcpu->ev.interrupt.has_error = false;
		vcpu->ev.interrupt.insn_len = 0;
		break;
	}
	return 0;
}

/* KVM_GET/SET_SREGS2: SREGS without the bitmap, with the PAE PDPTEs. */
static void kvmx_sregs2_to_sregs(const struct kvm_sregs2 *s2,
				 struct kvm_sregs *s)
{
	memset(s, 0, sizeof(*s));
	s->cs = s2->cs; s->ds = s2->ds; s->es = s2->es;
	s->fs = s2->fs; s->gs = s2->gs; s->ss = s2->ss;
	s->tr = s2->tr; s->ldt = s2->ldt;
	s->gdt = s2->gdt; s->idt = s2->idt;
	s->cr0 = s2->cr0; s->cr2 = s2->cr2; s->cr3 = s2->cr3;
	s->cr4 = s2->cr4; s->cr8 = s2->cr8;
	s->efer = s2->efer; s->apic_base = s2->apic_base;
}

void kvmx_get_sregs2(struct kvmx_vcpu *vcpu, struct kvm_sregs2 *s2)
{
	struct kvm_sregs s;

	kvmx_get_sregs(vcpu, &s);
	memset(s2, 0, sizeof(*s2));
	s2->cs = s.cs; s2->ds = s.ds; s2->es = s.es;
	s2->fs = s.fs; s2->gs = s.gs; s2->ss = s.ss;
	s2->tr = s.tr; s2->ldt = s.ldt;
	s2->gdt = s.gdt; s2->idt = s.idt;
	s2->cr0 = s.cr0; s2->cr2 = s.cr2; s2->cr3 = s.cr3;
	s2->cr4 = s.cr4; s2->cr8 = s.cr8;
	s2->efer = s.efer; s2->apic_base = s.apic_base;
	if (kvmx_guest_pae_paging(vcpu)) {
		kvmx_get_pdptrs(vcpu, s2->pdptrs);
		s2->flags |= KVM_SREGS2_FLAGS_PDPTRS_VALID;
	}
}

int kvmx_set_sregs2(struct kvmx_vcpu *vcpu, const struct kvm_sregs2 *s2)
{
	bool pdptrs = s2->flags & KVM_SREGS2_FLAGS_PDPTRS_VALID;
	struct kvm_sregs s;
	int r;

	if (s2->flags & ~KVM_SREGS2_FLAGS_PDPTRS_VALID)
		return -EINVAL;
	/* PDPTEs only make sense for PAE paging */
	if (pdptrs && (!(s2->cr0 & X86_CR0_PG) || !(s2->cr4 & X86_CR4_PAE) ||
		       (s2->efer & EFER_LMA)))
		return -EINVAL;
	kvmx_sregs2_to_sregs(s2, &s);
	r = kvmx_set_sregs(vcpu, &s);
	if (!r && pdptrs)
		kvmx_set_pdptrs(vcpu, s2->pdptrs);
	return r;
}
