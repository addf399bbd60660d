// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd's entry path: ASID assignment and TLB flushing, the C half of
 * the world switch (register file sync, GIF, host debug registers, host
 * machine checks), and the translation of an SVM #VMEXIT into the core's
 * vendor-neutral struct kvmx_exit, including re-delivery of a guest event
 * the exit interrupted.
 */
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/debugreg.h>
#include <asm/mce.h>
#include <asm/processor-flags.h>
#include <asm/ptrace.h>
#include <asm/trapnr.h>
#include "svm.h"

/* vmenter.S walks vcpu->regs[] by these indices. */
static_assert(KVMX_REG_RAX == 0 && KVMX_REG_RCX == 1 && KVMX_REG_RDX == 2 &&
	      KVMX_REG_RBX == 3 && KVMX_REG_RSP == 4 && KVMX_REG_RBP == 5 &&
	      KVMX_REG_RSI == 6 && KVMX_REG_RDI == 7 && KVMX_REG_R8 == 8 &&
	      KVMX_REG_R15 == 15);

/*
 * Something other than us may have left translations tagged with any ASID
 * on this CPU (another hypervisor, or this one before SVM was turned off):
 * start a generation whose first ASID comes with a full flush.
 */
void svm_asid_cpu_init(struct svm_cpu *sc)
{
	sc->asid_generation++;
	sc->next_asid = svm_max_asid + 1;
}

/*
 * ASIDs are handed out per CPU, once per generation, so a vCPU holding an
 * ASID of this CPU's current generation is the only user of it since the
 * last full flush: its TLB entries there are its own.  A vCPU that moved
 * here, or asked for a flush, simply takes a new one.  When the space runs
 * out the generation advances and that VMRUN flushes every ASID
 * (TLB_CONTROL=1, APM 15.16.1).  ASID 0 is the host's and never used.
 */
static void svm_pick_asid(struct svm_vcpu *svm, struct svm_cpu *sc, int cpu)
{
	struct vmcb_control *c = &svm->vmcb->control;

	if (svm->asid_cpu == cpu && svm->asid_generation == sc->asid_generation)
		return;
	if (sc->next_asid > svm_max_asid) {
		sc->asid_generation++;
		sc->next_asid = 1;
		c->tlb_control = SVM_TLB_FLUSH_ALL;
	}
	c->asid = sc->next_asid++;
	svm->asid_generation = sc->asid_generation;
	svm->asid_cpu = cpu;
}

/* A fresh ASID at the next VMRUN leaves every old translation behind. */
void svm_flush_tlb(struct kvmx_vcpu *vcpu)
{
	to_svm(vcpu)->asid_generation = 0;
}

/*
 * The guest may have left its DR0-3 (svm_load_guest_db()) and DR6 in the
 * hardware, and the host's DR7 need not survive #VMEXIT.  A host with
 * breakpoints armed gets all of them back; otherwise only DR7 matters.
 */
static void svm_restore_host_debug(unsigned long host_dr7)
{
	unsigned long dr7;

	if (hw_breakpoint_active()) {
		hw_breakpoint_restore();
		return;
	}
	get_debugreg(dr7, 7);
	if (dr7 != host_dr7)
		set_debugreg(host_dr7, 7);
}

/*
 * DR0-3 are live in the hardware while the guest runs and VMRUN does not
 * switch them (only DR6/DR7 are in the VMCB).  Rather than four DR writes
 * and reads around every entry, the guest's accesses to them exit until it
 * first touches one; that exit lifts the intercept and re-executes the MOV
 * (svm_translate_exit()).  From then on each run loads the guest's values
 * and the exit saves them and re-arms the intercept, so a guest that stops
 * using them stops paying.  Host breakpoints must not fire on guest
 * addresses in between: their enables in DR7 go first.
 */
static void svm_load_guest_db(struct svm_vcpu *svm, unsigned long host_dr7)
{
	if (host_dr7 & (DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK))
		set_debugreg(0UL, 7);
	set_debugreg(svm->db[0], 0);
	set_debugreg(svm->db[1], 1);
	set_debugreg(svm->db[2], 2);
	set_debugreg(svm->db[3], 3);
}

static void svm_save_guest_db(struct svm_vcpu *svm)
{
	get_debugreg(svm->db[0], 0);
	get_debugreg(svm->db[1], 1);
	get_debugreg(svm->db[2], 2);
	get_debugreg(svm->db[3], 3);
	svm->db_live = false;
	svm->vmcb->control.intercept_dr = SVM_INTERCEPT_DR0_3;
}

/*
 * An intercepted #MC never reached the host's handler; run it now, as if
 * the machine check had hit user mode (the guest), so the host's recovery
 * (poisoning, killing the VMM) applies to guest memory too.
 */
static void svm_host_machine_check(void)
{
#ifdef CONFIG_X86_MCE
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	do_machine_check(&regs);
#endif
}

/*
 * An exit that interrupted the delivery of a guest event (e.g. a nested
 * page fault while pushing an exception frame) reports the event in
 * EXITINTINFO; unless it is handed back through EVENTINJ it is lost
 * (APM 15.7.2).  Software interrupts and INT3/INTO are the exception:
 * their instruction did not complete, RIP still points at it, and running
 * it again raises the event again.
 */
static void svm_requeue_event(struct vmcb_control *c, u64 intinfo)
{
	u32 type = (intinfo & SVM_EVENT_TYPE) >> SVM_EVENT_TYPE_SHIFT;
	u32 vector = intinfo & SVM_EVENT_VECTOR;

	c->event_inj = 0;
	if (!(intinfo & SVM_EVENT_VALID))
		return;
	switch (type) {
	case SVM_EVENT_TYPE_EXCEPT:
		if (vector == X86_TRAP_BP || vector == X86_TRAP_OF)
			return;
		fallthrough;
	case SVM_EVENT_TYPE_INTR:
	case SVM_EVENT_TYPE_NMI:
		c->event_inj = intinfo;
		break;
	default:
		break;
	}
}

/*
 * #DB and #AC are intercepted only so that a guest cannot wedge the CPU
 * in an endless chain of them during delivery (an #AC whose delivery
 * raises #AC, CVE-2015-5307; likewise #DB, CVE-2015-8104): each one comes
 * through here and is handed straight back, so the host gets control
 * between them.  Both are benign, so a nested one simply replaces the
 * event it interrupted.  The hardware has already updated the guest's DR6
 * in the VMCB for #DB.
 */
static void svm_reflect_exception(struct vmcb_control *c, u32 vector)
{
	u64 ev = SVM_EVENT_VALID | vector |
		 ((u64)SVM_EVENT_TYPE_EXCEPT << SVM_EVENT_TYPE_SHIFT);

	if (vector == X86_TRAP_AC)
		ev |= SVM_EVENT_EV;	/* error code 0 */
	c->event_inj = ev;
}

/* EXITINFO1 of IOIO (APM 15.10.2); false if the size is not one-hot. */
static bool svm_decode_io(u64 info1, struct kvmx_exit *exit)
{
	switch (info1 & (SVM_IOIO_SZ8 | SVM_IOIO_SZ16 | SVM_IOIO_SZ32)) {
	case SVM_IOIO_SZ8:
		exit->io.size = 1;
		break;
	case SVM_IOIO_SZ16:
		exit->io.size = 2;
		break;
	case SVM_IOIO_SZ32:
		exit->io.size = 4;
		break;
	default:
		return false;
	}
	exit->io.port = info1 >> SVM_IOIO_PORT_SHIFT;
	exit->io.in = info1 & SVM_IOIO_IN;
	exit->io.string = info1 & SVM_IOIO_STR;
	exit->io.rep = info1 & SVM_IOIO_REP;
	return true;
}

/* EXITINFO1 of NPF is a #PF error code, EXITINFO2 the GPA (APM 15.25.6). */
static void svm_decode_npf(u64 info1, u64 info2, struct kvmx_exit *exit)
{
	exit->tdp.gpa = info2;
	if (info1 & SVM_NPF_W)
		exit->tdp.access = KVMX_TDP_WRITE;
	else if (info1 & SVM_NPF_ID)
		exit->tdp.access = KVMX_TDP_FETCH;
	else
		exit->tdp.access = KVMX_TDP_READ;
	if (info1 & SVM_NPF_P)
		exit->tdp.access |= KVMX_TDP_PRESENT;
}

static void svm_translate_exit(struct svm_vcpu *svm, struct kvmx_exit *exit)
{
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control *c = &vmcb->control;
	u64 code = c->exit_code;
	u64 info1 = c->exit_info1;
	u64 info2 = c->exit_info2;
	u64 intinfo = c->exit_int_info;
	u64 rip = vmcb->save.rip;

	memset(exit, 0, sizeof(*exit));
	exit->reason = KVMX_EXIT_UNHANDLED;
	exit->hw_reason = code;
	exit->hw_info[0] = info1;
	exit->hw_info[1] = info2;
	exit->hw_info[2] = intinfo;

	/* a failed VMRUN consumed nothing: keep EVENTINJ as it was */
	if (code == SVM_EXIT_INVALID) {
		exit->reason = KVMX_EXIT_FAIL_ENTRY;
		return;
	}
	svm_requeue_event(c, intinfo);

	switch (code) {
	case SVM_EXIT_INTR:
		exit->reason = KVMX_EXIT_EXTERNAL_INTR;
		break;
	case SVM_EXIT_NMI:
		exit->reason = KVMX_EXIT_NMI;
		break;
	case SVM_EXIT_SMI:
	case SVM_EXIT_INIT:
		/* held pending by GIF=0, the host took it at STGI */
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_IOIO:
		if (svm_decode_io(info1, exit)) {
			exit->reason = KVMX_EXIT_IO;
			/* EXITINFO2 is the next RIP whether or not NRIPS */
			exit->insn_len = info2 - rip;
		}
		break;
	case SVM_EXIT_CPUID:
		exit->reason = KVMX_EXIT_CPUID;
		/* CPUID is 0F A2 and takes no prefixes that change it */
		exit->insn_len = svm_has_nrips ? c->next_rip - rip : 2;
		break;
	case SVM_EXIT_HLT:
		exit->reason = KVMX_EXIT_HLT;
		exit->insn_len = svm_has_nrips ? c->next_rip - rip : 1;
		break;
	case SVM_EXIT_SHUTDOWN:
		exit->reason = KVMX_EXIT_SHUTDOWN;
		break;
	case SVM_EXIT_NPF:
		exit->reason = KVMX_EXIT_TDP_FAULT;
		svm_decode_npf(info1, info2, exit);
		break;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR3:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR3:
		/* see svm_load_guest_db(); the MOV runs again, without exit */
		svm->db_live = true;
		c->intercept_dr = 0;
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_EXCP_BASE + X86_TRAP_DB:
	case SVM_EXIT_EXCP_BASE + X86_TRAP_AC:
		svm_reflect_exception(c, code - SVM_EXIT_EXCP_BASE);
		exit->reason = KVMX_EXIT_NONE;
		break;
	default:
		/* includes #MC, after the host has handled it */
		break;
	}
}

/*
 * Called with IRQs and preemption off.  GIF=0 from before the first guest
 * register is loaded until the host's VMLOAD state is back: no interrupt,
 * NMI or SMI can then see guest FS/GS/TR.  Host IF is set across VMRUN
 * (vmenter.S) so that, with V_INTR_MASKING, physical interrupts exit the
 * guest; they and any NMI stay pending until STGI / the core's IRQ enable.
 */
int svm_run(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_cpu *sc = this_cpu_ptr(&svm_cpu_data);
	struct vmcb *vmcb = svm->vmcb;
	unsigned long host_dr7;
	bool flushing;

	/* the core loads a root before the first run; never enter without */
	if (unlikely(!svm->tdp_root_set))
		return -EIO;
	svm_pick_asid(svm, sc, smp_processor_id());
	flushing = vmcb->control.tlb_control != SVM_TLB_NONE;

	vmcb->save.rax = vcpu->regs[KVMX_REG_RAX];
	vmcb->save.rsp = vcpu->regs[KVMX_REG_RSP];
	vmcb->save.rip = vcpu->regs[KVMX_REG_RIP];
	vmcb->save.rflags = vcpu->rflags;

	get_debugreg(host_dr7, 7);
	svm_clgi();
	if (svm->db_live)
		svm_load_guest_db(svm, host_dr7);
	__svm_world_switch(svm->vmcb_pa, vcpu->regs, sc->host_vmsave_pa);
	if (svm->db_live)
		svm_save_guest_db(svm);
	svm_restore_host_debug(host_dr7);
	svm_stgi();

	vmcb->control.tlb_control = SVM_TLB_NONE;
	if (unlikely(vmcb->control.exit_code == SVM_EXIT_INVALID) && flushing) {
		/* the flush may not have happened: owe it to the next VMRUN */
		sc->next_asid = svm_max_asid + 1;
		svm->asid_generation = 0;
	}
	if (unlikely(vmcb->control.exit_code ==
		     SVM_EXIT_EXCP_BASE + X86_TRAP_MC))
		svm_host_machine_check();

	vcpu->regs[KVMX_REG_RAX] = vmcb->save.rax;
	vcpu->regs[KVMX_REG_RSP] = vmcb->save.rsp;
	vcpu->regs[KVMX_REG_RIP] = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;

	svm_translate_exit(svm, exit);
	return 0;
}
