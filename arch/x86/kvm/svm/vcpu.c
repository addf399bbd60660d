// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd vCPU state: the VMCB's lifetime, its fixed control settings
 * (intercepts, permission maps, nested paging), the architectural reset
 * in-tree KVM reports for AMD, and the conversions between the VMCB state
 * save area and the KVM_GET/SET_SREGS view (segments, descriptor tables,
 * control registers, EFER).
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "svm.h"

/* PAT power-on value (APM Vol. 2 7.8.2): WB, WT, UC-, UC, twice. */
#define SVM_PAT_DEFAULT		0x0007040600070406ULL
#define SVM_DR6_RESET		0xffff0ff0ULL
#define SVM_DR7_RESET		0x400ULL

/* Segment types of the reset state (APM Vol. 2 4.7.2, 4.8.3). */
#define SEG_TYPE_DATA_RW	0x2
#define SEG_TYPE_CODE_RX	0xa
#define SEG_TYPE_LDT		0x2
#define SEG_TYPE_TSS16_BUSY	0x3
#define SEG_TYPE_ACCESSED	0x1
#define SEG_TYPE_TSS_BUSY	0x2

/*
 * What exits.  VMRUN must be intercepted or VMRUN fails its consistency
 * checks (APM 15.5.1); the other SVM instructions, XSETBV, WBINVD/INVD,
 * MONITOR/MWAIT and RDPMC would otherwise act on the host's state.  INTR,
 * NMI, SMI and INIT exits give the CPU back to the host, which takes the
 * event after STGI.  The exception intercepts, and those of IRET, CR4
 * writes and virtual interrupts, are set per entry (events.c); MOV DR
 * exits until the guest uses one (debug.c).
 */
#define SVM_INTERCEPTS1	(SVM_INTERCEPT1_INTR | SVM_INTERCEPT1_NMI |	\
			 SVM_INTERCEPT1_SMI | SVM_INTERCEPT1_INIT |	\
			 SVM_INTERCEPT1_RDPMC | SVM_INTERCEPT1_CPUID |	\
			 SVM_INTERCEPT1_INVD | SVM_INTERCEPT1_HLT |	\
			 SVM_INTERCEPT1_INVLPGA | SVM_INTERCEPT1_IOIO_PROT | \
			 SVM_INTERCEPT1_MSR_PROT | SVM_INTERCEPT1_SHUTDOWN)
#define SVM_INTERCEPTS2	(SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | \
			 SVM_INTERCEPT2_VMLOAD | SVM_INTERCEPT2_VMSAVE | \
			 SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |	\
			 SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_ICEBP |	\
			 SVM_INTERCEPT2_WBINVD | SVM_INTERCEPT2_MONITOR | \
			 SVM_INTERCEPT2_MWAIT | SVM_INTERCEPT2_XSETBV)
static void svm_init_control(struct vmcb_control *c)
{
	c->intercept_dr = SVM_INTERCEPT_DR0_7;
	c->intercept_cr = SVM_INTERCEPT_CR4_WRITE;
	c->intercept_misc1 = SVM_INTERCEPTS1;
	c->intercept_misc2 = SVM_INTERCEPTS2;
	/* RDPRU reads the host's APERF/MPERF */
	if (boot_cpu_has(X86_FEATURE_RDPRU))
		c->intercept_misc2 |= SVM_INTERCEPT2_RDPRU;
	c->iopm_base_pa = svm_iopm_pa;
	c->msrpm_base_pa = svm_msrpm_pa;
	/*
	 * V_INTR_MASKING: the guest's RFLAGS.IF only masks virtual
	 * interrupts; physical ones are gated by the host's IF, which is set
	 * across VMRUN, so they always exit (APM 15.21.1).
	 */
	c->vintr = SVM_VINTR_MASKING;
	c->np_control = SVM_NP_ENABLE;
	/* 0: every field is reloaded on each VMRUN (APM 15.15) */
	c->clean = 0;
}

int svm_vcpu_create(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct page *page;

	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	svm->asid_generation = 0;
	svm_init_control(&svm->vmcb->control);
	svm_vcpu_reset(vcpu);
	return 0;
}

void svm_vcpu_free(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int cpu;

	if (!svm->vmcb)
		return;
	/*
	 * A later VMCB may get this page: forget it as "last run" so the
	 * branch-predictor barrier is not skipped for that newcomer.
	 */
	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu(svm_cpu_data, cpu).last_vmcb, svm->vmcb, NULL);
	free_page((unsigned long)svm->vmcb);
	svm->vmcb = NULL;
}

static void svm_reset_seg(struct vmcb_seg *s, u16 selector, u64 base,
			  u16 attrib)
{
	s->selector = selector;
	s->base = base;
	s->limit = 0xffff;
	s->attrib = attrib;
}

/*
 * The values in-tree KVM reports after KVM_CREATE_VCPU on AMD: real mode
 * at 0xf000:0xfff0, caches on power-up settings (CR0.CD/NW/ET), DR6/DR7
 * and PAT at their power-on values.  EFER.SVME is forced on in hardware
 * (VMRUN refuses a guest without it) and hidden by svm_get_efer().
 */
void svm_vcpu_reset(struct kvmx_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_save *save = &vmcb->save;
	u16 data = VMCB_ATTR_P | VMCB_ATTR_S | SEG_TYPE_DATA_RW;

	memset(save, 0, sizeof(*save));
	svm_reset_seg(&save->cs, 0xf000, 0xffff0000,
		      VMCB_ATTR_P | VMCB_ATTR_S | SEG_TYPE_CODE_RX);
	svm_reset_seg(&save->ds, 0, 0, data);
	svm_reset_seg(&save->es, 0, 0, data);
	svm_reset_seg(&save->fs, 0, 0, data);
	svm_reset_seg(&save->gs, 0, 0, data);
	svm_reset_seg(&save->ss, 0, 0, data);
	svm_reset_seg(&save->ldtr, 0, 0, VMCB_ATTR_P | SEG_TYPE_LDT);
	svm_reset_seg(&save->tr, 0, 0, VMCB_ATTR_P | SEG_TYPE_TSS16_BUSY);
	save->gdtr.limit = 0xffff;
	save->idtr.limit = 0xffff;
	save->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
	save->efer = EFER_SVME;
	save->dr6 = SVM_DR6_RESET;
	save->dr7 = SVM_DR7_RESET;
	save->g_pat = SVM_PAT_DEFAULT;
	save->rflags = X86_EFLAGS_FIXED;
	save->rip = 0xfff0;

	/* DR0-3 power up as 0; DR accesses exit again until touched */
	svm_debug_reset(svm);
	vmcb->control.intercept_dr = SVM_INTERCEPT_DR0_7;
	svm_msrs_reset(svm);

	/* nothing half-delivered survives a reset */
	vmcb->control.event_inj = 0;
	vmcb->control.interrupt_state = 0;
	svm_events_reset(svm);
}

/*
 * The VMCB needs no per-CPU binding (no VMPTRLD); migration is caught in
 * svm_run(), which takes a fresh ASID whenever the CPU differs.  What is
 * done here: an IBPB when a different vCPU than last time runs on this CPU,
 * so one guest cannot steer the other's (or the host's) indirect branches.
 */
void svm_vcpu_load(struct kvmx_vcpu *vcpu, int cpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_cpu *sc = per_cpu_ptr(&svm_cpu_data, cpu);

	if (sc->last_vmcb != svm->vmcb) {
		sc->last_vmcb = svm->vmcb;
		indirect_branch_prediction_barrier();
	}
}

void svm_vcpu_put(struct kvmx_vcpu *vcpu)
{
}

static const size_t svm_seg_offset[KVMX_NR_SEGS] = {
	[KVMX_SEG_ES]	= offsetof(struct vmcb_save, es),
	[KVMX_SEG_CS]	= offsetof(struct vmcb_save, cs),
	[KVMX_SEG_SS]	= offsetof(struct vmcb_save, ss),
	[KVMX_SEG_DS]	= offsetof(struct vmcb_save, ds),
	[KVMX_SEG_FS]	= offsetof(struct vmcb_save, fs),
	[KVMX_SEG_GS]	= offsetof(struct vmcb_save, gs),
	[KVMX_SEG_LDTR]	= offsetof(struct vmcb_save, ldtr),
	[KVMX_SEG_TR]	= offsetof(struct vmcb_save, tr),
};

static struct vmcb_seg *svm_seg(struct kvmx_vcpu *vcpu, enum kvmx_seg seg)
{
	if ((unsigned int)seg >= KVMX_NR_SEGS) {
		kvmx_vm_mark_dead(vcpu->vm, "kvm-amd: bad segment index");
		return NULL;
	}
	return (void *)&to_svm(vcpu)->vmcb->save + svm_seg_offset[seg];
}

/*
 * The VMCB keeps no "unusable" flag (VMX does): not present stands in for
 * it.  The other adjustments make the reported state one that VMX would
 * also accept, as KVM does for cross-vendor migration: the hardware does
 * not keep G (APM B-2 says it is ignored), so derive it from the limit;
 * TR is always busy and usable data segments always accessed in the
 * descriptor cache; SS.DPL is the CPL, which the VMCB holds separately.
 */
void svm_get_segment(struct kvmx_vcpu *vcpu, struct kvm_segment *var,
		     enum kvmx_seg seg)
{
	const struct vmcb_seg *s = svm_seg(vcpu, seg);
	u16 a;

	memset(var, 0, sizeof(*var));
	if (!s)
		return;
	a = s->attrib;
	var->base = s->base;
	var->limit = s->limit;
	var->selector = s->selector;
	var->type = a & VMCB_ATTR_TYPE;
	var->s = !!(a & VMCB_ATTR_S);
	var->dpl = (a & VMCB_ATTR_DPL) >> VMCB_ATTR_DPL_SHIFT;
	var->present = !!(a & VMCB_ATTR_P);
	var->avl = !!(a & VMCB_ATTR_AVL);
	var->l = !!(a & VMCB_ATTR_L);
	var->db = !!(a & VMCB_ATTR_DB);
	var->g = s->limit > 0xfffff;
	var->unusable = !var->present;

	switch (seg) {
	case KVMX_SEG_TR:
		var->type |= SEG_TYPE_TSS_BUSY;
		break;
	case KVMX_SEG_DS:
	case KVMX_SEG_ES:
	case KVMX_SEG_FS:
	case KVMX_SEG_GS:
		if (!var->unusable)
			var->type |= SEG_TYPE_ACCESSED;
		break;
	case KVMX_SEG_SS:
		if (var->unusable)
			var->db = 0;
		var->dpl = to_svm(vcpu)->vmcb->save.cpl;
		break;
	default:
		break;
	}
}

void svm_set_segment(struct kvmx_vcpu *vcpu, const struct kvm_segment *var,
		     enum kvmx_seg seg)
{
	struct vmcb_seg *s = svm_seg(vcpu, seg);
	u16 a;

	if (!s)
		return;
	a = var->type & VMCB_ATTR_TYPE;
	a |= var->s ? VMCB_ATTR_S : 0;
	a |= (var->dpl & 3) << VMCB_ATTR_DPL_SHIFT;
	a |= var->present && !var->unusable ? VMCB_ATTR_P : 0;
	a |= var->avl ? VMCB_ATTR_AVL : 0;
	a |= var->l ? VMCB_ATTR_L : 0;
	a |= var->db ? VMCB_ATTR_DB : 0;
	a |= var->g ? VMCB_ATTR_G : 0;
	s->base = var->base;
	s->limit = var->limit;
	s->selector = var->selector;
	s->attrib = a;

	/*
	 * The CPU takes its privilege level from the VMCB's CPL field, not
	 * from CS (APM B-2); SS.DPL equals CPL in every mode where it
	 * matters, so that is the value to mirror.
	 */
	if (seg == KVMX_SEG_SS)
		to_svm(vcpu)->vmcb->save.cpl = var->dpl & 3;
}

static struct vmcb_seg *svm_dtable(struct kvmx_vcpu *vcpu,
				   enum kvmx_dtable which)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	return which == KVMX_DT_IDT ? &save->idtr : &save->gdtr;
}

void svm_get_dtable(struct kvmx_vcpu *vcpu, struct kvm_dtable *dt,
		    enum kvmx_dtable which)
{
	const struct vmcb_seg *s = svm_dtable(vcpu, which);

	memset(dt, 0, sizeof(*dt));
	dt->base = s->base;
	dt->limit = s->limit;
}

void svm_set_dtable(struct kvmx_vcpu *vcpu, const struct kvm_dtable *dt,
		    enum kvmx_dtable which)
{
	struct vmcb_seg *s = svm_dtable(vcpu, which);

	s->base = dt->base;
	s->limit = dt->limit;
}

/*
 * With nested paging the guest owns CR0 and CR3 outright (only CR4 writes
 * exit, to be checked against its CPUID: events.c); the hardware saves
 * them (and CR2) in the VMCB on every exit, so the VMCB is the guest's
 * view.
 */
static u64 *svm_cr(struct kvmx_vcpu *vcpu, int cr)
{
	struct vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	switch (cr) {
	case 0:
		return &save->cr0;
	case 2:
		return &save->cr2;
	case 3:
		return &save->cr3;
	case 4:
		return &save->cr4;
	}
	kvmx_vm_mark_dead(vcpu->vm, "kvm-amd: bad control register index");
	return NULL;
}

u64 svm_get_cr(struct kvmx_vcpu *vcpu, int cr)
{
	u64 *p = svm_cr(vcpu, cr);

	return p ? *p : 0;
}

void svm_set_cr(struct kvmx_vcpu *vcpu, int cr, u64 val)
{
	u64 *p = svm_cr(vcpu, cr);

	if (p)
		*p = val;
}

/* VMRUN fails with EFER.SVME clear in the guest image (APM 15.5.1). */
u64 svm_get_efer(struct kvmx_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.efer & ~(u64)EFER_SVME;
}

void svm_set_efer(struct kvmx_vcpu *vcpu, u64 efer)
{
	to_svm(vcpu)->vmcb->save.efer = efer | EFER_SVME;
}
