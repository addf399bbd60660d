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
	 * DR0-3 are not in the VMCB: db[] is the guest's copy, loaded into
	 * the hardware only for runs after the guest touched one of them
	 * (db_live), when DR0-3 accesses stop exiting.
	 */
	u64 db[4];
	bool db_live;
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
extern u64 svm_iopm_pa;			/* all-ones I/O permission map */
extern u64 svm_msrpm_pa;		/* all-ones MSR permission map */

/* npt.c */
extern const struct kvmx_tdp_format svm_npt_format;
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

/* run.c */
void svm_asid_cpu_init(struct svm_cpu *sc);
int svm_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit);
void svm_flush_tlb(struct kvmx_vcpu *vcpu);

/* vmenter.S: one VMRUN with the guest GPRs taken from and put back in regs */
void __svm_world_switch(u64 vmcb_pa, u64 *regs, u64 host_vmsave_pa);

#endif /* KVMX_SVM_SVM_H */
