/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-intel's private header: the capabilities probed at module load, the
 * per-CPU VMX state, the backend's part of a vCPU (struct vmx_vcpu, living
 * in vcpu->backend), the VMX instruction wrappers and the functions the
 * backend's files share.  Nothing outside arch/x86/kvm/vmx includes it.
 */
#ifndef KVMX_VMX_VMX_H
#define KVMX_VMX_VMX_H

#include <linux/list.h>
#include <linux/printk.h>
#include <linux/types.h>
#include <asm/asm.h>
#include <asm/desc_defs.h>
#include <kvmx/core.h>
#include "vmcs_fields.h"

/* architectural reset values (SDM Vol. 3A table 9-1, 11.12.4) */
#define VMX_DR6_RESET		0xffff0ff0UL
#define VMX_DR7_RESET		0x400UL		/* also DR7 after a VM exit */
#define VMX_PAT_RESET		0x0007040600070406ULL

/*
 * Debug register bits (SDM Vol. 3B 18.2.3, 18.2.4), for a guest whose
 * CPUID has neither RTM nor bus-lock detection: DR6 bits 0-3 and 13-15
 * are writable and every other bit reads as the reset value; DR7 bits
 * 11, 12, 14 and 15 read as 0 and bit 10 as 1.
 */
#define VMX_DR6_WRITABLE	0xe00fUL
#define VMX_DR7_WRITABLE	0xffff2bffUL
#define VMX_DR7_GD		BIT(13)		/* general detect */
#define VMX_DR7_ENABLES		0xffUL		/* L0-L3, G0-G3 */

/* VTPR: the 32-bit TPR register of the virtual-APIC page (SDM 30.1) */
#define VMX_VAPIC_TPR		0x80

/* What module init found out about the CPU (read-only afterwards). */
struct vmx_caps {
	u32 revision_id;		/* IA32_VMX_BASIC[30:0] */
	u32 vmcs_size;			/* IA32_VMX_BASIC[44:32] */
	u32 pin;			/* controls every vCPU starts with */
	u32 proc;
	u32 proc2;
	u32 exit;
	u32 entry;
	u64 cr0_fixed0, cr0_fixed1;	/* IA32_VMX_CR0_FIXED0/1 */
	u64 cr4_fixed0, cr4_fixed1;	/* IA32_VMX_CR4_FIXED0/1 */
	u64 ept_vpid;			/* IA32_VMX_EPT_VPID_CAP */
	bool has_vpid;			/* enable-VPID + INVVPID usable */
	bool lma_saved;			/* exits update "IA-32e mode guest" */
	bool has_pat;			/* load/save IA32_PAT both ways */
	u64 cr0_mask;			/* CR0 bits the guest does not own */
	u64 cr4_mask;			/* CR4 bits no guest may own */
	void *msr_bitmap;		/* a few MSRs pass through (msr.c) */
	void *msr_bitmap_all;		/* every MSR exits: an MSR filter */
	int ur_star, ur_lstar, ur_sfmask, ur_tsc_aux;	/* user-return slots */
	bool has_spec_ctrl;		/* IA32_SPEC_CTRL exists on the host */
	bool has_tpr_shadow;		/* "use TPR shadow" on (tpr.c) */
};

extern struct vmx_caps vmx_caps;

/* Per physical CPU (touched only on that CPU, with IRQs off). */
struct vmx_cpu {
	void *vmxon_region;		/* IA32_VMX_BASIC-sized, page */
	bool vmx_on;			/* between VMXON and VMXOFF */
	struct list_head loaded;	/* vmx_vcpus active on this CPU */
	struct vmx_vcpu *current_vmcs;	/* whose VMCS is current here */
	u64 last_id;			/* vmx_vcpu.id of the last VMCS made
					 * current here (IBPB on a change) */
};

DECLARE_PER_CPU(struct vmx_cpu, vmx_cpu);

/* Host state captured before an entry and put back after the exit. */
struct vmx_host_save {
	u16 ds, es, fs, gs, ldt;
	unsigned long fs_base;
	u64 kernel_gs_base;
	unsigned long dr7;
	u64 debugctl;
	bool dr_loaded;			/* guest DR0-3 in hardware: host's */
	unsigned long dr[4];		/* ... saved here */
};

/* The backend's part of a vCPU: vcpu->backend, zeroed by the core. */
struct vmx_vcpu {
	struct kvmx_vcpu *vcpu;		/* back pointer */
	void *vmcs;			/* one page: the VMCS region */
	u64 vmcs_pa;
	int cpu;			/* where the VMCS is active, or -1 */
	bool launched;			/* VMRESUME rather than VMLAUNCH */
	bool initialised;		/* controls and host state written */
	struct list_head loaded_link;	/* on vmx_cpu.loaded of ->cpu */
	u16 vpid;			/* 0: none, VPID disabled in VMCS */

	u64 eptp;			/* 0 until the core sets a root */

	/* host state cached in the VMCS, rewritten when it changes */
	unsigned long host_cr3, host_cr4, host_fs_base;
	struct desc_ptr host_gdt;	/* real GDTR (limit lost on exit) */
	struct desc_ptr host_idt;	/* real IDTR (limit lost on exit) */

	/* guest state VMX does not switch */
	unsigned long cr2;
	u64 kernel_gs_base;
	u64 star, lstar, cstar, sfmask, tsc_aux, spec_ctrl;
	u64 debugctl;			/* as the guest wrote it (msr.c) */
	u64 pat;			/* only without the PAT controls */
	void *msr_bitmap_in_vmcs;	/* vmx_caps.msr_bitmap or _all */

	/*
	 * Debug registers: the guest's own values (MOV DR always exits),
	 * and the debugger's (KVM_SET_GUEST_DEBUG with USE_HW_BP), which
	 * replace them in hardware while the guest runs (debug.c).
	 */
	unsigned long dr[4], dr6, dr7;
	u32 guest_debug;		/* KVM_GUESTDBG_* */
	unsigned long dbg_dr[4], dbg_dr7;

	u64 id;				/* unique among all vCPUs ever made */
	u32 proc;			/* primary controls in the VMCS now */
	u32 exc_bitmap;			/* exception bitmap in the VMCS now */
	u64 cr4_mask;			/* CR4 guest/host mask in the VMCS */
	void *vapic;			/* virtual-APIC page, TPR shadow only */
	u32 tpr_threshold;		/* TPR threshold in the VMCS now */
	/* the CPUID table cr4_mask was computed from (state.c) */
	const struct kvm_cpuid_entry2 *cr4_mask_cpuid;
	u32 cr4_mask_nent;
	bool dead_reported;
};

static inline struct vmx_vcpu *to_vmx(struct kvmx_vcpu *vcpu)
{
	return vcpu->backend;
}

/*
 * VMX instruction wrappers (SDM Vol. 3C 31.2, 31.3).  Every VMX
 * instruction reports VMfailInvalid in CF and VMfailValid in ZF, so "be"
 * (CF or ZF) is the failure condition.  A failure here is a bug in this
 * module, never something a guest can cause: report once and carry on.
 */
void vmx_insn_failed(const char *insn, unsigned long arg);

static __always_inline unsigned long vmcs_read(unsigned long field)
{
	unsigned long val;
	bool fail;

	asm volatile("vmread %[field], %[val]" CC_SET(be)
		     : CC_OUT(be) (fail), [val] "=rm" (val)
		     : [field] "r" (field) : "cc");
	if (unlikely(fail))
		vmx_insn_failed("vmread", field);
	return val;
}

static __always_inline void vmcs_write(unsigned long field, unsigned long val)
{
	bool fail;

	asm volatile("vmwrite %[val], %[field]" CC_SET(be)
		     : CC_OUT(be) (fail)
		     : [field] "r" (field), [val] "rm" (val) : "cc", "memory");
	if (unlikely(fail))
		vmx_insn_failed("vmwrite", field);
}

static inline bool vmx_vmclear(u64 pa)
{
	bool fail;

	asm volatile("vmclear %[pa]" CC_SET(be)
		     : CC_OUT(be) (fail) : [pa] "m" (pa) : "cc", "memory");
	return !fail;
}

static inline bool vmx_vmptrld(u64 pa)
{
	bool fail;

	asm volatile("vmptrld %[pa]" CC_SET(be)
		     : CC_OUT(be) (fail) : [pa] "m" (pa) : "cc", "memory");
	return !fail;
}

static inline bool vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };
	bool fail;

	asm volatile("invept %[desc], %[type]" CC_SET(be)
		     : CC_OUT(be) (fail)
		     : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
	return !fail;
}

static inline bool vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };
	bool fail;

	asm volatile("invvpid %[desc], %[type]" CC_SET(be)
		     : CC_OUT(be) (fail)
		     : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
	return !fail;
}

/* vmenter.S: 0 after a VM exit, else one of VMX_ENTER_* below */
#define VMX_ENTER_FAIL_VALID	1	/* VMfailValid: see VMCS_INSN_ERROR */
#define VMX_ENTER_FAIL_INVALID	2	/* VMfailInvalid: no current VMCS */
#define VMX_ENTER_FAIL_HOST_RSP	3	/* VMWRITE of HOST_RSP failed */
#define VMX_ENTER_FAULT		4	/* #UD: VMX is off (emergency) */
/* kvmx_vmx_enter() flags (bit numbers are used by vmenter.S too) */
#define VMX_RUN_RESUME_BIT	0	/* VMRESUME, not VMLAUNCH */
#define VMX_RUN_SPEC_CTRL_BIT	1	/* write host_spec_ctrl after exit */
#define VMX_RUN_RESUME		BIT(VMX_RUN_RESUME_BIT)
#define VMX_RUN_SPEC_CTRL	BIT(VMX_RUN_SPEC_CTRL_BIT)
int kvmx_vmx_enter(u64 *regs, unsigned long flags, u64 host_spec_ctrl);
extern char kvmx_vmx_exit_point[];

/* vmcs.c */
int vmx_vcpu_create(struct kvmx_vcpu *vcpu);
void vmx_vcpu_free(struct kvmx_vcpu *vcpu);
void vmx_vcpu_load(struct kvmx_vcpu *vcpu, int cpu);
void vmx_vcpu_put(struct kvmx_vcpu *vcpu);
void vmx_vcpu_reset(struct kvmx_vcpu *vcpu);
void vmx_set_tdp_root(struct kvmx_vcpu *vcpu, u64 root_hpa);
void vmx_flush_tlb(struct kvmx_vcpu *vcpu);
void vmx_clear_loaded_vmcss(void);
int vmx_vpid_init(void);

/* state.c */
void vmx_get_segment(struct kvmx_vcpu *vcpu, struct kvm_segment *var,
		     enum kvmx_seg seg);
void vmx_set_segment(struct kvmx_vcpu *vcpu, const struct kvm_segment *var,
		     enum kvmx_seg seg);
void vmx_get_dtable(struct kvmx_vcpu *vcpu, struct kvm_dtable *dt,
		    enum kvmx_dtable which);
void vmx_set_dtable(struct kvmx_vcpu *vcpu, const struct kvm_dtable *dt,
		    enum kvmx_dtable which);
u64 vmx_get_cr(struct kvmx_vcpu *vcpu, int cr);
void vmx_set_cr(struct kvmx_vcpu *vcpu, int cr, u64 val);
u64 vmx_get_efer(struct kvmx_vcpu *vcpu);
void vmx_set_efer(struct kvmx_vcpu *vcpu, u64 efer);
u64 vmx_hw_cr0(u64 guest_cr0);
u64 vmx_hw_cr4(u64 guest_cr4);
void vmx_sync_ia32e_mode(u64 efer);
void vmx_update_cr4_mask(struct kvmx_vcpu *vcpu);
void vmx_get_pdptrs(struct kvmx_vcpu *vcpu, u64 *pdptrs);
void vmx_set_pdptrs(struct kvmx_vcpu *vcpu, const u64 *pdptrs);
int vmx_guest_cpl(void);
bool vmx_guest_64bit(void);

/* msr.c */
int vmx_msr_init(void);
void vmx_msr_exit(void);
void vmx_msr_reset(struct vmx_vcpu *vmx);
int vmx_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *val);
int vmx_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 val);
void vmx_set_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset);
void vmx_msrs_before_entry(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx);

/* debug.c */
void vmx_debug_reset(struct vmx_vcpu *vmx);
u64 vmx_get_dr(struct kvmx_vcpu *vcpu, int dr);
void vmx_set_dr(struct kvmx_vcpu *vcpu, int dr, u64 val);
void vmx_set_guest_debug(struct kvmx_vcpu *vcpu,
			 const struct kvm_guest_debug *dbg);
void vmx_update_exception_bitmap(struct vmx_vcpu *vmx);
void vmx_debug_before_entry(struct vmx_vcpu *vmx, struct vmx_host_save *h);
void vmx_debug_after_exit(struct vmx_host_save *h);
void vmx_exit_mov_dr(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit,
		     u64 qual, u32 insn_len);

/* events.c */
u32 vmx_get_interruptibility(struct kvmx_vcpu *vcpu);
void vmx_set_interruptibility(struct kvmx_vcpu *vcpu, u32 bits);
void vmx_events_before_entry(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx);
void vmx_events_entry_failed(void);
void vmx_report_vectoring(struct kvmx_exit *exit);
void vmx_nmi_unblocked_by_iret(struct kvmx_exit *exit, bool unblocked);
void vmx_skip_insn(struct kvmx_vcpu *vcpu, u32 insn_len, bool step);
void vmx_exit_fault(struct kvmx_exit *exit, u8 vector, bool has_error,
		    u32 error_code);

/* exit.c */
void vmx_translate_exit(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit);
void vmx_dump_vmcs(struct vmx_vcpu *vmx);

/* tpr.c */
bool vmx_tpr_shadow_wanted(void);
int vmx_tpr_vcpu_create(struct vmx_vcpu *vmx);
void vmx_tpr_vcpu_free(struct vmx_vcpu *vmx);
void vmx_tpr_write_controls(struct vmx_vcpu *vmx);
void vmx_tpr_before_entry(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx);
void vmx_tpr_after_exit(struct kvmx_vcpu *vcpu, struct vmx_vcpu *vmx);

/* run.c */
int vmx_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit);

#endif /* KVMX_VMX_VMX_H */
