// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMCS of a vCPU: allocation, the VMCLEAR/VMPTRLD dance when the vCPU's
 * thread moves between CPUs (and the per-CPU list of VMCSs active there),
 * the branch-predictor barrier between vCPUs, the controls and constant
 * host state written once, the per-CPU host state rewritten on each move,
 * the architectural reset of the guest state, VPID allocation, and the
 * EPT pointer and TLB flushes.
 */
#define pr_fmt(fmt) "kvm-intel: " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include "vmx.h"

/* ---- VPIDs: 16-bit tags for the guest's linear translations ---- */

#define VMX_NR_VPIDS	(1u << 16)

static DECLARE_BITMAP(vmx_vpid_bitmap, VMX_NR_VPIDS);
static DEFINE_SPINLOCK(vmx_vpid_lock);

int vmx_vpid_init(void)
{
	/* VPID 0 tags the host's own translations (SDM Vol. 3C 29.1) */
	__set_bit(0, vmx_vpid_bitmap);
	return 0;
}

/* 0 when VPIDs are unsupported or exhausted: the vCPU runs without */
static u16 vmx_vpid_alloc(void)
{
	unsigned long vpid;

	if (!vmx_caps.has_vpid)
		return 0;
	spin_lock(&vmx_vpid_lock);
	vpid = find_first_zero_bit(vmx_vpid_bitmap, VMX_NR_VPIDS);
	if (vpid < VMX_NR_VPIDS)
		__set_bit(vpid, vmx_vpid_bitmap);
	else
		vpid = 0;
	spin_unlock(&vmx_vpid_lock);
	return vpid;
}

static void vmx_vpid_free(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vmx_vpid_lock);
	__clear_bit(vpid, vmx_vpid_bitmap);
	spin_unlock(&vmx_vpid_lock);
}

/* ---- VMCS activity per CPU ---- */

/*
 * VMCLEAR on the CPU where the VMCS is active: writes its data back to
 * memory and makes it inactive (SDM Vol. 3C 25.11.1), so it can be made
 * current elsewhere.  IRQs off, on vmx->cpu.
 */
static void __vmx_clear(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	if (!vmx_vmclear(vmx->vmcs_pa))
		vmx_insn_failed("vmclear", vmx->vmcs_pa);
	if (vc->current_vmcs == vmx)
		vc->current_vmcs = NULL;
	list_del_init(&vmx->loaded_link);
	vmx->launched = false;
	/* the next CPU must see the unlink before it sees cpu == -1 */
	smp_wmb();
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmx_clear_on_cpu(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	/* cpu_disable may have cleared it since the IPI was sent */
	if (READ_ONCE(vmx->cpu) == smp_processor_id())
		__vmx_clear(vmx);
}

/* cpu_disable: every VMCS still active here, before VMXOFF */
void vmx_clear_loaded_vmcss(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, &vc->loaded, loaded_link)
		__vmx_clear(vmx);
	vc->current_vmcs = NULL;
}

/* Make the VMCS inactive wherever it is; may sleep-wait for the IPI. */
static void vmx_clear_remote(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->cpu);

	if (cpu < 0)
		return;
	if (smp_call_function_single(cpu, vmx_clear_on_cpu, vmx, 1) &&
	    READ_ONCE(vmx->cpu) == cpu) {
		/*
		 * The CPU went offline without cpu_disable clearing it (a
		 * core bug).  Its data is lost with the CPU; forget it.
		 */
		pr_warn_once("VMCS %#llx stranded on offline CPU %d\n",
			     vmx->vmcs_pa, cpu);
		list_del_init(&vmx->loaded_link);
		vmx->launched = false;
		WRITE_ONCE(vmx->cpu, -1);
	}
	smp_rmb();
}

/* ---- vCPU lifetime ---- */

/* vmx_vcpu.id: never reused, unlike the structure's address */
static atomic64_t vmx_vcpu_ids = ATOMIC64_INIT(0);

int vmx_vcpu_create(struct kvmx_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned long page;

	BUILD_BUG_ON(KVMX_REG_RAX != 0 || KVMX_REG_RSP != 4 ||
		     KVMX_REG_RDI != 7 || KVMX_REG_R15 != 15);
	BUILD_BUG_ON(KVMX_SEG_ES != 0 || KVMX_SEG_TR != 7);

	page = __get_free_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	if (vmx_tpr_vcpu_create(vmx)) {
		free_page(page);
		return -ENOMEM;
	}
	vmx->vcpu = vcpu;
	vmx->vmcs = (void *)page;
	vmx->vmcs_pa = __pa(page);
	/* revision id in bits 30:0, bit 31 clear: an ordinary VMCS (25.2) */
	*(u32 *)vmx->vmcs = vmx_caps.revision_id;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->vpid = vmx_vpid_alloc();
	vmx->id = atomic64_inc_return(&vmx_vcpu_ids);
	return 0;
}

void vmx_vcpu_free(struct kvmx_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	if (!vmx->vmcs)
		return;
	vmx_clear_remote(vmx);
	vmx_vpid_free(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	vmx->vmcs = NULL;
	vmx_tpr_vcpu_free(vmx);
}

/* ---- host state ---- */

/* Base of the 16-byte TSS descriptor @sel in the GDT at @gdt (SDM 8.2.3) */
static unsigned long vmx_tss_base(unsigned long gdt, u16 sel)
{
	const u8 *d = (const u8 *)gdt + (sel & ~7u);

	return (unsigned long)d[2] | (unsigned long)d[3] << 8 |
	       (unsigned long)d[4] << 16 | (unsigned long)d[7] << 24 |
	       (unsigned long)*(const u32 *)(d + 8) << 32;
}

static u16 vmx_read_tr(void)
{
	u16 tr;

	asm volatile("str %0" : "=r" (tr));
	return tr;
}

/*
 * Host state that is per CPU: the TSS, the (read-only fixmap) GDT, the
 * per-CPU GS base and the SYSENTER stack.  A VM exit loads them from the
 * VMCS (SDM Vol. 3C 28.5), so they must follow the vCPU to each CPU.
 */
static void vmx_write_host_percpu(struct vmx_vcpu *vmx)
{
	u64 gs_base, sysenter_esp;

	native_store_gdt(&vmx->host_gdt);
	store_idt(&vmx->host_idt);
	rdmsrl(MSR_GS_BASE, gs_base);
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);

	vmcs_write(VMCS_HOST_TR_BASE,
		   vmx_tss_base(vmx->host_gdt.address, vmx_read_tr()));
	vmcs_write(VMCS_HOST_GDTR_BASE, vmx->host_gdt.address);
	vmcs_write(VMCS_HOST_IDTR_BASE, vmx->host_idt.address);
	vmcs_write(VMCS_HOST_GS_BASE, gs_base);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, sysenter_esp);
}

/*
 * Host state that is the same everywhere.  Selectors need RPL = TI = 0
 * (SDM 26.2.3); DS, ES, FS and GS get 0 here and run.c puts the task's
 * real selectors back after each exit when they were not 0.
 */
static void vmx_write_host_constant(struct vmx_vcpu *vmx)
{
	u64 msr;

	vmcs_write(VMCS_HOST_CR0, native_read_cr0());
	vmx->host_cr3 = __read_cr3();
	vmcs_write(VMCS_HOST_CR3, vmx->host_cr3);
	vmx->host_cr4 = cr4_read_shadow();
	vmcs_write(VMCS_HOST_CR4, vmx->host_cr4);
	rdmsrl(MSR_FS_BASE, msr);
	vmx->host_fs_base = msr;
	vmcs_write(VMCS_HOST_FS_BASE, msr);

	vmcs_write(VMCS_HOST_CS_SEL, __KERNEL_CS);
	vmcs_write(VMCS_HOST_SS_SEL, __KERNEL_DS);
	vmcs_write(VMCS_HOST_DS_SEL, 0);
	vmcs_write(VMCS_HOST_ES_SEL, 0);
	vmcs_write(VMCS_HOST_FS_SEL, 0);
	vmcs_write(VMCS_HOST_GS_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, vmx_read_tr());
	vmcs_write(VMCS_HOST_RIP, (unsigned long)kvmx_vmx_exit_point);

	rdmsrl(MSR_IA32_SYSENTER_CS, msr);
	vmcs_write(VMCS_HOST_SYSENTER_CS, msr);
	rdmsrl(MSR_IA32_SYSENTER_EIP, msr);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, msr);
	rdmsrl(MSR_EFER, msr);
	vmcs_write(VMCS_HOST_EFER, msr);
	if (vmx_caps.has_pat) {
		rdmsrl(MSR_IA32_CR_PAT, msr);
		vmcs_write(VMCS_HOST_PAT, msr);
	}
}

static void vmx_write_controls(struct vmx_vcpu *vmx)
{
	u32 proc2 = vmx_caps.proc2;

	if (!vmx->vpid)
		proc2 &= ~PROC2_VPID;
	vmx->proc = vmx_caps.proc;
	vmcs_write(VMCS_PIN_CTLS, vmx_caps.pin);
	vmcs_write(VMCS_PROC_CTLS, vmx->proc);
	vmcs_write(VMCS_PROC_CTLS2, proc2);
	vmcs_write(VMCS_EXIT_CTLS, vmx_caps.exit);
	vmcs_write(VMCS_ENTRY_CTLS, vmx_caps.entry);
	if (vmx->vpid)
		vmcs_write(VMCS_VPID, vmx->vpid);

	/* only what debug.c intercepts; the guest handles the rest itself */
	vmx->exc_bitmap = ~0u;
	vmx_update_exception_bitmap(vmx);
	vmcs_write(VMCS_PF_ERR_MASK, 0);
	vmcs_write(VMCS_PF_ERR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmx->msr_bitmap_in_vmcs = vmx_caps.msr_bitmap;
	vmcs_write(VMCS_MSR_BITMAP, __pa(vmx_caps.msr_bitmap));
	vmcs_write(VMCS_TSC_OFFSET, 0);
	vmcs_write(VMCS_CR0_MASK, vmx_caps.cr0_mask);
	/* state.c widens it to the guest's CPUID before the first entry */
	vmx->cr4_mask = vmx_caps.cr4_mask;
	vmcs_write(VMCS_CR4_MASK, vmx->cr4_mask);
	/* no shadow VMCS: the link pointer must be all ones (26.3.1.5) */
	vmcs_write(VMCS_LINK_POINTER, ~0UL);
	if (vmx->eptp)
		vmcs_write(VMCS_EPT_POINTER, vmx->eptp);
	vmx_tpr_write_controls(vmx);
}

static void vmx_write_segment(enum kvmx_seg seg, u16 sel, unsigned long base,
			      u32 limit, u32 ar)
{
	vmcs_write(VMCS_GUEST_SEL(seg), sel);
	vmcs_write(VMCS_GUEST_BASE(seg), base);
	vmcs_write(VMCS_GUEST_LIMIT(seg), limit);
	vmcs_write(VMCS_GUEST_AR(seg), ar);
}

/*
 * The state after RESET/INIT (SDM Vol. 3A 9.1.1, table 9-1), with the
 * values in-tree KVM reports for VMX after KVM_CREATE_VCPU: accessed data
 * segments (type 3), a busy TSS in TR (type 11, which VM entry insists on,
 * 26.3.1.2), and a present LDT.
 */
static void vmx_reset_guest_state(struct vmx_vcpu *vmx)
{
	enum kvmx_seg seg;
	int i;

	vmx_write_segment(KVMX_SEG_CS, 0xf000, 0xffff0000, 0xffff,
			  0xb | SEG_AR_S | SEG_AR_P);
	for (seg = KVMX_SEG_ES; seg <= KVMX_SEG_GS; seg++)
		if (seg != KVMX_SEG_CS)
			vmx_write_segment(seg, 0, 0, 0xffff,
					  0x3 | SEG_AR_S | SEG_AR_P);
	vmx_write_segment(KVMX_SEG_LDTR, 0, 0, 0xffff, 0x2 | SEG_AR_P);
	vmx_write_segment(KVMX_SEG_TR, 0, 0, 0xffff, 0xb | SEG_AR_P);

	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);

	/* cr4_mask against the CPUID of the moment: the shadow stays right */
	vmx->cr4_mask_cpuid = NULL;
	vmx->cr4_mask_nent = 0;
	vmx_set_cr(vmx->vcpu, 0, X86_CR0_ET | X86_CR0_NW | X86_CR0_CD);
	vmx_set_cr(vmx->vcpu, 3, 0);
	vmx_set_cr(vmx->vcpu, 4, 0);
	vmx->cr2 = 0;
	vmx_set_efer(vmx->vcpu, 0);

	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RIP, 0xfff0);
	vmcs_write(VMCS_GUEST_RFLAGS, X86_EFLAGS_FIXED);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	if (vmx_caps.has_pat)
		vmcs_write(VMCS_GUEST_PAT, VMX_PAT_RESET);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY, ACTIVITY_ACTIVE);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	for (i = 0; i < 4; i++)
		vmcs_write(VMCS_GUEST_PDPTE0 + 2 * i, 0);

	vmx_msr_reset(vmx);
	vmx_debug_reset(vmx);
}

void vmx_vcpu_reset(struct kvmx_vcpu *vcpu)
{
	vmx_reset_guest_state(to_vmx(vcpu));
}

/* ---- load / put ---- */

void vmx_vcpu_load(struct kvmx_vcpu *vcpu, int cpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);
	bool moved = READ_ONCE(vmx->cpu) != cpu;
	unsigned long flags;

	if (moved) {
		/*
		 * A VMCS may be active on one CPU only: VMCLEAR it where it
		 * was before making it current here (SDM 25.11.1).  The
		 * local VMCLEAR also initialises a VMCS never used before.
		 */
		vmx_clear_remote(vmx);
		if (!vmx_vmclear(vmx->vmcs_pa))
			vmx_insn_failed("vmclear", vmx->vmcs_pa);
		local_irq_save(flags);
		list_add(&vmx->loaded_link, &vc->loaded);
		vmx->cpu = cpu;
		vmx->launched = false;
		local_irq_restore(flags);
	}

	if (vc->current_vmcs != vmx) {
		if (!vmx_vmptrld(vmx->vmcs_pa)) {
			vmx_insn_failed("vmptrld", vmx->vmcs_pa);
			kvmx_vm_mark_dead(vcpu->vm, "kvm-intel: VMPTRLD failed");
			return;
		}
		vc->current_vmcs = vmx;
		/*
		 * Another vCPU (of this VM or another) ran here last: its
		 * guest must not steer this one's indirect branches, nor the
		 * other way round (the kernel's IBPB, where it is enabled).
		 */
		if (vc->last_id != vmx->id) {
			vc->last_id = vmx->id;
			indirect_branch_prediction_barrier();
		}
	}

	if (!vmx->initialised) {
		vmx_write_controls(vmx);
		vmx_write_host_constant(vmx);
		vmx_reset_guest_state(vmx);
		vmx->initialised = true;
	}

	if (moved) {
		vmx_write_host_percpu(vmx);
		/*
		 * Another CPU may have changed the EPT tables while this one
		 * still caches translations tagged with our EPTP and VPID.
		 */
		vmx_flush_tlb(vcpu);
	}
}

/*
 * Nothing to do: run() puts every piece of host state back before it
 * returns, and the VMCS stays active on this CPU until the vCPU moves.
 */
void vmx_vcpu_put(struct kvmx_vcpu *vcpu)
{
}

/* ---- EPT ---- */

void vmx_set_tdp_root(struct kvmx_vcpu *vcpu, u64 root_hpa)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/* EPTP: WB paging structures, 4-level walk, no A/D (25.6.11) */
	vmx->eptp = (root_hpa & PAGE_MASK) | EPTP_MT_WB | EPTP_WALK_LENGTH_4;
	vmcs_write(VMCS_EPT_POINTER, vmx->eptp);
	/* a recycled root page may still be cached under this EPTP */
	vmx_flush_tlb(vcpu);
}

void vmx_flush_tlb(struct kvmx_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	bool ok = true;

	/*
	 * INVEPT single-context drops guest-physical and combined mappings
	 * for this EPTP (SDM Vol. 3C 29.4.3.1); INVVPID single-context the
	 * linear mappings tagged with our VPID.
	 */
	if (vmx->eptp) {
		if (vmx_caps.ept_vpid & VMXCAP_EPT_INVEPT_SINGLE)
			ok = vmx_invept(INVEPT_SINGLE_CONTEXT, vmx->eptp);
		else
			ok = vmx_invept(INVEPT_ALL_CONTEXT, 0);
	}
	if (ok && vmx->vpid) {
		if (vmx_caps.ept_vpid & VMXCAP_VPID_INVVPID_SINGLE)
			ok = vmx_invvpid(INVVPID_SINGLE_CONTEXT, vmx->vpid);
		else
			ok = vmx_invvpid(INVVPID_ALL_CONTEXT, 0);
	}
	if (!ok)
		kvmx_vm_mark_dead(vcpu->vm, "kvm-intel: INVEPT/INVVPID failed");
}
