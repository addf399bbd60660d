// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest-visible state kept in the VMCS, as the core reads and writes
 * it: segment registers (converting struct kvm_segment to and from the
 * VMCS access-rights format), GDTR/IDTR, CR0/CR2/CR3/CR4, EFER and the PAE
 * PDPTEs, plus the CPL and operand-size questions the exit handlers ask.
 * Bits VMX forces in hardware (CR0.NE, CR4.VMXE, CR0.CD/NW kept off) and
 * CR4 bits the guest's CPUID does not offer are hidden behind the read
 * shadows so the getters return what the guest wrote.
 */
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include "vmx.h"

void vmx_get_segment(struct kvmx_vcpu *vcpu, struct kvm_segment *var,
		     enum kvmx_seg seg)
{
	u32 ar = vmcs_read(VMCS_GUEST_AR(seg));

	var->base = vmcs_read(VMCS_GUEST_BASE(seg));
	var->limit = vmcs_read(VMCS_GUEST_LIMIT(seg));
	var->selector = vmcs_read(VMCS_GUEST_SEL(seg));
	var->type = ar & SEG_AR_TYPE_MASK;
	var->s = !!(ar & SEG_AR_S);
	var->dpl = (ar >> SEG_AR_DPL_SHIFT) & 3;
	var->avl = !!(ar & SEG_AR_AVL);
	var->l = !!(ar & SEG_AR_L);
	var->db = !!(ar & SEG_AR_DB);
	var->g = !!(ar & SEG_AR_G);
	var->unusable = !!(ar & SEG_AR_UNUSABLE);
	/*
	 * A usable segment is present by definition (SDM Vol. 3C 24.4.1),
	 * and the P bit the CPU saves for an unusable one means nothing:
	 * report "present" as the opposite of "unusable", like KVM, so a
	 * VMM that round-trips only P keeps the segment unusable.
	 */
	var->present = !var->unusable;
	var->padding = 0;
}

/* struct kvm_segment -> access rights that pass the checks of 26.3.1.2 */
static u32 vmx_segment_ar(const struct kvm_segment *var, enum kvmx_seg seg)
{
	u32 type = var->type & SEG_AR_TYPE_MASK;

	if (var->unusable || !var->present) {
		/*
		 * Only SS.DPL still matters for an unusable segment: it is
		 * the CPL (26.3.1.2, "SS ... DPL").
		 */
		if (seg == KVMX_SEG_SS)
			return SEG_AR_UNUSABLE |
			       (u32)(var->dpl & 3) << SEG_AR_DPL_SHIFT;
		return SEG_AR_UNUSABLE;
	}

	/*
	 * VM entry wants the accessed bit in usable code and data segments
	 * (CS type 9/11/13/15 or 3, SS 3/7, the others bit 0 set) and a
	 * busy TSS in TR; a real CPU would have set them on first use.
	 */
	if (var->s)
		type |= 1;
	if (seg == KVMX_SEG_TR && (type == 1 || type == 9))
		type |= 2;

	return type | (var->s ? SEG_AR_S : 0) |
	       (u32)(var->dpl & 3) << SEG_AR_DPL_SHIFT | SEG_AR_P |
	       (var->avl ? SEG_AR_AVL : 0) | (var->l ? SEG_AR_L : 0) |
	       (var->db ? SEG_AR_DB : 0) | (var->g ? SEG_AR_G : 0);
}

void vmx_set_segment(struct kvmx_vcpu *vcpu, const struct kvm_segment *var,
		     enum kvmx_seg seg)
{
	vmcs_write(VMCS_GUEST_SEL(seg), var->selector);
	vmcs_write(VMCS_GUEST_BASE(seg), var->base);
	vmcs_write(VMCS_GUEST_LIMIT(seg), var->limit);
	vmcs_write(VMCS_GUEST_AR(seg), vmx_segment_ar(var, seg));
}

void vmx_get_dtable(struct kvmx_vcpu *vcpu, struct kvm_dtable *dt,
		    enum kvmx_dtable which)
{
	bool gdt = which == KVMX_DT_GDT;

	dt->base = vmcs_read(gdt ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE);
	dt->limit = vmcs_read(gdt ? VMCS_GUEST_GDTR_LIMIT :
				    VMCS_GUEST_IDTR_LIMIT);
	memset(dt->padding, 0, sizeof(dt->padding));
}

void vmx_set_dtable(struct kvmx_vcpu *vcpu, const struct kvm_dtable *dt,
		    enum kvmx_dtable which)
{
	bool gdt = which == KVMX_DT_GDT;

	vmcs_write(gdt ? VMCS_GUEST_GDTR_BASE : VMCS_GUEST_IDTR_BASE, dt->base);
	vmcs_write(gdt ? VMCS_GUEST_GDTR_LIMIT : VMCS_GUEST_IDTR_LIMIT,
		   dt->limit);
}

/*
 * The CR0 the hardware runs with: the guest's value plus the FIXED0 bits
 * except PE/PG (free under unrestricted guest, SDM 26.3.1.1), minus CD and
 * NW so guest memory stays cacheable, within FIXED1.
 */
u64 vmx_hw_cr0(u64 guest_cr0)
{
	u64 cr0 = guest_cr0 & ~(u64)(X86_CR0_CD | X86_CR0_NW);

	cr0 |= vmx_caps.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG);
	return cr0 & vmx_caps.cr0_fixed1;
}

/* CR4: VMXE (FIXED0) forced on in VMX non-root operation (24.8) */
u64 vmx_hw_cr4(u64 guest_cr4)
{
	return (guest_cr4 | vmx_caps.cr4_fixed0) & vmx_caps.cr4_fixed1;
}

/* guest view: bits the guest owns from the register, the rest shadowed */
static u64 vmx_guest_cr(unsigned long reg, unsigned long shadow, u64 mask)
{
	return (vmcs_read(reg) & ~mask) | (vmcs_read(shadow) & mask);
}

u64 vmx_get_cr(struct kvmx_vcpu *vcpu, int cr)
{
	switch (cr) {
	case 0:
		return vmx_guest_cr(VMCS_GUEST_CR0, VMCS_CR0_SHADOW,
				    vmx_caps.cr0_mask);
	case 2:
		/* VMX does not switch CR2; run.c does, around each entry */
		return to_vmx(vcpu)->cr2;
	case 3:
		return vmcs_read(VMCS_GUEST_CR3);
	case 4:
		return vmx_guest_cr(VMCS_GUEST_CR4, VMCS_CR4_SHADOW,
				    to_vmx(vcpu)->cr4_mask);
	}
	return 0;
}

/*
 * The CR4 bits the guest may not own: those VMX fixes (VMXE, bits the
 * CPU lacks) and those the guest's CPUID does not offer, so that a MOV to
 * CR4 setting one exits and gets #GP (SDM Vol. 3A 2.5, Vol. 3C 25.6.6).
 * The guest's CPUID cannot change once the vCPU has run (the core refuses
 * a different table then, as in-tree), so computing the mask before an
 * entry, whenever the table is not the one it was computed from, is
 * exact.  The vCPU must be loaded.
 */
void vmx_update_cr4_mask(struct kvmx_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 mask, view;

	if (vmx->cr4_mask_cpuid == vcpu->cpuid &&
	    vmx->cr4_mask_nent == vcpu->cpuid_nent)
		return;
	vmx->cr4_mask_cpuid = vcpu->cpuid;
	vmx->cr4_mask_nent = vcpu->cpuid_nent;

	mask = vmx_caps.cr4_mask | ~kvmx_cr4_allowed(vcpu);
	if (mask == vmx->cr4_mask)
		return;
	/* the shadow must hold the guest's view of every newly masked bit */
	view = vmx_get_cr(vcpu, 4);
	vmcs_write(VMCS_CR4_SHADOW, view);
	vmcs_write(VMCS_CR4_MASK, mask);
	vmx->cr4_mask = mask;
}

void vmx_set_cr(struct kvmx_vcpu *vcpu, int cr, u64 val)
{
	switch (cr) {
	case 0:
		vmcs_write(VMCS_CR0_SHADOW, val);
		vmcs_write(VMCS_GUEST_CR0, vmx_hw_cr0(val));
		break;
	case 2:
		to_vmx(vcpu)->cr2 = val;
		break;
	case 3:
		/*
		 * With EPT the guest's CR3 is used as is.  For PAE paging
		 * outside long mode the entry also loads the PDPTE fields
		 * (26.3.2.4): the core reads them from guest memory and
		 * calls set_pdptrs.
		 */
		vmcs_write(VMCS_GUEST_CR3, val);
		break;
	case 4:
		vmcs_write(VMCS_CR4_SHADOW, val);
		vmcs_write(VMCS_GUEST_CR4, vmx_hw_cr4(val));
		break;
	}
}

/*
 * The "IA-32e mode guest" entry control must equal EFER.LMA (26.3.1.1).
 * It is read back rather than cached: most CPUs rewrite it themselves on
 * every exit (IA32_VMX_MISC bit 5).
 */
void vmx_sync_ia32e_mode(u64 efer)
{
	u32 ctls = vmcs_read(VMCS_ENTRY_CTLS);
	u32 want = ctls & ~ENTRY_IA32E_MODE_GUEST;

	if (efer & EFER_LMA)
		want |= ENTRY_IA32E_MODE_GUEST;
	if (want != ctls)
		vmcs_write(VMCS_ENTRY_CTLS, want);
}

u64 vmx_get_efer(struct kvmx_vcpu *vcpu)
{
	return vmcs_read(VMCS_GUEST_EFER);
}

/* "Load IA32_EFER" puts the guest's EFER in place on each entry */
void vmx_set_efer(struct kvmx_vcpu *vcpu, u64 efer)
{
	vmcs_write(VMCS_GUEST_EFER, efer);
	vmx_sync_ia32e_mode(efer);
}

/*
 * With EPT and PAE paging (CR0.PG, CR4.PAE, not IA-32e mode) VM entry
 * loads the four PDPTEs from the VMCS rather than from memory (SDM Vol. 3C
 * 26.3.2.4), and VM exit stores the ones the CPU is using (28.3.4).
 */
void vmx_get_pdptrs(struct kvmx_vcpu *vcpu, u64 *pdptrs)
{
	int i;

	for (i = 0; i < 4; i++)
		pdptrs[i] = vmcs_read(VMCS_GUEST_PDPTE0 + 2 * i);
}

void vmx_set_pdptrs(struct kvmx_vcpu *vcpu, const u64 *pdptrs)
{
	int i;

	for (i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, pdptrs[i]);
}

/*
 * The guest's CPL: 0 in real mode, 3 in virtual-8086 mode, else SS.DPL,
 * which VMX keeps equal to the CPL (SDM Vol. 3C 26.3.1.2, 28.3.1).
 */
int vmx_guest_cpl(void)
{
	if (!(vmcs_read(VMCS_GUEST_CR0) & X86_CR0_PE))
		return 0;
	if (vmcs_read(VMCS_GUEST_RFLAGS) & X86_EFLAGS_VM)
		return 3;
	return (vmcs_read(VMCS_GUEST_AR(KVMX_SEG_SS)) >> SEG_AR_DPL_SHIFT) & 3;
}

/* 64-bit code segment in IA-32e mode: GPR operands are 64 bits wide */
bool vmx_guest_64bit(void)
{
	return (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA) &&
	       (vmcs_read(VMCS_GUEST_AR(KVMX_SEG_CS)) & SEG_AR_L);
}
