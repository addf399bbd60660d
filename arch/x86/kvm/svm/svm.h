/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-amd's private declarations: the per-CPU SVM state (host save areas
 * and the ASID allocator), the backend's part of a vCPU, the feature facts
 * probed at module load, and the functions the files of this directory
 * share.  Nothing here is visible to the core.
 */
#ifndef KVMX_SVM_SVM_H
#define KVMX_SVM_SVM_H

#include <linux/percpu.h>
#include <linux/types.h>
#include <kvmx/core.h>
#include "vmcb.h"

struct page;

/*
 * What one physical CPU needs for SVM operation.  Allocated for every
 * possible CPU at module load so cpu_enable (IRQs off, maybe NMI context)
 * never allocates.
 */
struct svm_cpu {
	/* VM_HSAVE_PA: where VMRUN keeps the host state it switches */
	struct page *hsave;
	u64 hsave_pa;
	/* VMSAVE/VMLOAD image of the host state VMRUN does not switch */
	struct page *host_vmsave;
	u64 host_vmsave_pa;
	/* ASIDs handed out on this CPU in this generation: 1..next_asid-1 */
	u64 asid_generation;
	u32 next_asid;
	/* the VMCB that last ran here, to fence branch predictions between
	 * different vCPUs (IBPB) */
	struct vmcb *last_vmcb;
	bool enabled;			/* EFER.SVME set by us */
};

DECLARE_PER_CPU(struct svm_cpu, svm_cpu_data);

/* The backend's part of a VM (vm->backend). */
struct svm_vm {
	/* 5-level hosts only: the NPT level above the core's root */
	u64 *npt_l5;
	u64 npt_l5_pa;
};

/*
 * A one-instruction single-step (RFLAGS.TF) the backend runs for itself,
 * to see the guest right after an instruction it cannot decode (no
 * decode assists on every CPU, no instruction emulator): see events.c.
 */
enum svm_step_kind {
	SVM_STEP_NONE,
	SVM_STEP_IRET,		/* an IRET that ends NMI blocking */
	SVM_STEP_SHADOW,	/* past an interrupt shadow, for an NMI window */
	SVM_STEP_CR4,		/* a MOV to CR4, checked against guest CPUID */
	SVM_STEP_CR8,		/* a MOV to CR8 while the TPR holds an IRQ */
	SVM_STEP_DR,		/* a MOV DR while the debugger owns DR0-7 */
};

/* The backend's part of a vCPU (vcpu->backend). */
struct svm_vcpu {
	struct vmcb *vmcb;		/* one page, hardware format */
	u64 vmcb_pa;
	/*
	 * The ASID in vmcb->control.asid is valid on asid_cpu while that
	 * CPU's generation equals asid_generation; 0 forces a fresh one.
	 */
	u64 asid_generation;
	int asid_cpu;
	bool tdp_root_set;		/* N_CR3 holds a real root */

	/*
	 * The guest's debug registers (debug.c).  Outside run() they are
	 * always here, not in the VMCB: the VMCB's DR6/DR7 hold whatever
	 * the last entry needed (the guest's, the debugger's, or a clean
	 * DR6 to collect the bits of one #DB).
	 */
	u64 db[4];			/* DR0-3 */
	u64 dr6;
	u64 dr7;
	bool db_live;			/* this run: guest DRs live, no exits */
	/* KVM_SET_GUEST_DEBUG: control and the debugger's DR0-3/DR7 */
	u32 guest_debug;
	u64 dbg_db[4];
	u64 dbg_dr7;

	/* MSRs not in the VMCB (msr.c) */
	u64 tsc_aux;			/* loaded as a user-return MSR */
	u64 spec_ctrl;			/* loaded around VMRUN (vmenter.S) */

	/* events (events.c) */
	bool nmi_blocked;		/* NMI delivered, its IRET not done */
	struct {
		enum svm_step_kind kind;
		bool active;		/* running now (else asked for) */
		bool tf_added;		/* TF is ours, not the guest's */
		u64 rip;		/* where the instruction starts */
		u64 cr4;		/* SVM_STEP_CR4: the value before */
		u64 dr6;		/* DR6 before the step (live DRs) */
	} step;
	/* a software event injected by moving RIP past its instruction */
	struct {
		bool active;
		u64 old_rip;
		u64 next_rip;
	} soft;
	/* RIP past the instruction of the last instruction exit: if the
	 * core skipped it, the interrupt shadow ends (APM 15.21.5) */
	u64 skip_rip;
	bool skip_valid;
};

static inline struct svm_vcpu *to_svm(struct kvmx_vcpu *vcpu)
{
	return vcpu->backend;
}

/* GIF: with it clear the CPU holds INTR, NMI, SMI and INIT (APM 15.17). */
static inline void svm_clgi(void)
{
	asm volatile("clgi" ::: "memory");
}

static inline void svm_stgi(void)
{
	asm volatile("stgi" ::: "memory");
}

/* Probed once in svm.c at module load, read-only afterwards. */
extern u32 svm_max_asid;		/* highest usable ASID */
extern bool svm_has_nrips;		/* NRIP save: VMCB next_rip valid */
extern bool svm_has_lbrv;		/* LBR virtualization: DBGCTL switched */
extern bool svm_has_v_spec_ctrl;	/* VMRUN switches SPEC_CTRL itself */
extern int svm_tsc_aux_slot;		/* user-return slot, or -errno */
extern u64 svm_iopm_pa;			/* all-ones I/O permission map */
extern u64 svm_msrpm_pa;		/* MSR permission map (msr.c) */
extern u64 svm_msrpm_all_pa;		/* every MSR access exits */

/* npt.c */
extern struct kvmx_tdp_format svm_npt_format;
void svm_npt_format_init(void);
int svm_vm_init(struct kvmx_vm *vm);
void svm_vm_destroy(struct kvmx_vm *vm);
void svm_set_tdp_root(struct kvmx_vcpu *vcpu, u64 root_hpa);

/* vcpu.c */
int svm_vcpu_create(struct kvmx_vcpu *vcpu);
void svm_vcpu_free(struct kvmx_vcpu *vcpu);
void svm_vcpu_reset(struct kvmx_vcpu *vcpu);
void svm_vcpu_load(struct kvmx_vcpu *vcpu, int cpu);
void svm_vcpu_put(struct kvmx_vcpu *vcpu);
void svm_get_segment(struct kvmx_vcpu *vcpu, struct kvm_segment *var,
		     enum kvmx_seg seg);
void svm_set_segment(struct kvmx_vcpu *vcpu, const struct kvm_segment *var,
		     enum kvmx_seg seg);
void svm_get_dtable(struct kvmx_vcpu *vcpu, struct kvm_dtable *dt,
		    enum kvmx_dtable which);
void svm_set_dtable(struct kvmx_vcpu *vcpu, const struct kvm_dtable *dt,
		    enum kvmx_dtable which);
u64 svm_get_cr(struct kvmx_vcpu *vcpu, int cr);
void svm_set_cr(struct kvmx_vcpu *vcpu, int cr, u64 val);
u64 svm_get_efer(struct kvmx_vcpu *vcpu);
void svm_set_efer(struct kvmx_vcpu *vcpu, u64 efer);

/* msr.c */
void svm_msrpm_init(void *msrpm);
int svm_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *val);
int svm_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 val);
void svm_set_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset);
void svm_msrs_reset(struct svm_vcpu *svm);
u64 *svm_spec_ctrl_for_entry(struct svm_vcpu *svm, u64 sc[2]);
void svm_msrpm_before_run(struct kvmx_vcpu *vcpu);

/* debug.c */
u64 svm_get_dr(struct kvmx_vcpu *vcpu, int dr);
void svm_set_dr(struct kvmx_vcpu *vcpu, int dr, u64 val);
void svm_set_guest_debug(struct kvmx_vcpu *vcpu,
			 const struct kvm_guest_debug *dbg);
void svm_debug_reset(struct svm_vcpu *svm);
void svm_debug_before_run(struct svm_vcpu *svm, unsigned long host_dr7);
void svm_debug_after_run(struct svm_vcpu *svm, unsigned long host_dr7);
void svm_dr_access_exit(struct svm_vcpu *svm);

/* events.c */
u32 svm_get_interruptibility(struct kvmx_vcpu *vcpu);
void svm_set_interruptibility(struct kvmx_vcpu *vcpu, u32 bits);
void svm_events_reset(struct svm_vcpu *svm);
void svm_events_before_run(struct kvmx_vcpu *vcpu);
void svm_events_after_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit);
void svm_step_request(struct svm_vcpu *svm, enum svm_step_kind kind);

/* run.c */
void svm_asid_cpu_init(struct svm_cpu *sc);
int svm_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit);
void svm_flush_tlb(struct kvmx_vcpu *vcpu);

/*
 * vmenter.S: one VMRUN with the guest GPRs taken from and put back in
 * regs; spec_ctrl, when not NULL, is the guest's SPEC_CTRL to hold
 * across VMRUN and the host's to put back before the first RET.
 */
void __svm_world_switch(u64 vmcb_pa, u64 *regs, u64 host_vmsave_pa,
			u64 *spec_ctrl);

#endif /* KVMX_SVM_SVM_H */
