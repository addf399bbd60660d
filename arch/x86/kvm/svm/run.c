// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd's entry path: ASID assignment and TLB flushing, the C half of
 * the world switch (register file sync, GIF, the switched MSRs, host
 * machine checks), and the translation of an SVM #VMEXIT into the core's
 * vendor-neutral struct kvmx_exit.  Events are in events.c, debug
 * registers in debug.c.
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
	/* a reserved bit: the core's MMIO marker (APM 15.25.6) */
	if (info1 & SVM_NPF_RSVD)
		exit->tdp.access |= KVMX_TDP_MMIO;
	/* the access itself, not its guest page walk (APM 15.25.6) */
	if ((info1 & (SVM_NPF_FINAL | SVM_NPF_TABLE)) == SVM_NPF_FINAL)
		exit->tdp.access |= KVMX_TDP_FINAL;
}

/*
 * Instructions that exit with a fixed meaning, and their length for CPUs
 * without NRIP save (APM 15.7.1), where the VMCB does not say: the
 * encodings have no other form (a redundant prefix would throw it off,
 * and compilers do not emit one).
 */
static const struct {
	u16 code;
	u8 reason;			/* enum kvmx_exit_reason */
	u8 len;
} svm_insn_exits[] = {
	{ SVM_EXIT_CPUID,	KVMX_EXIT_CPUID,	2 },	/* 0f a2 */
	{ SVM_EXIT_HLT,		KVMX_EXIT_HLT,		1 },	/* f4 */
	{ SVM_EXIT_XSETBV,	KVMX_EXIT_XSETBV,	3 },	/* 0f 01 d1 */
	{ SVM_EXIT_VMMCALL,	KVMX_EXIT_HYPERCALL,	3 },	/* 0f 01 d9 */
	{ SVM_EXIT_INVD,	KVMX_EXIT_INVD,		2 },	/* 0f 08 */
	{ SVM_EXIT_WBINVD,	KVMX_EXIT_INVD,		2 },	/* 0f 09 */
	/* MONITOR(X)/MWAIT(X): 0f 01 c8/c9/fa/fb */
	{ SVM_EXIT_MONITOR,	KVMX_EXIT_MWAIT,	3 },
	{ SVM_EXIT_MWAIT,	KVMX_EXIT_MWAIT,	3 },
	{ SVM_EXIT_MWAIT_COND,	KVMX_EXIT_MWAIT,	3 },
	{ SVM_EXIT_RDPMC,	KVMX_EXIT_RDPMC,	2 },	/* 0f 33 */
	{ SVM_EXIT_MSR,		KVMX_EXIT_RDMSR,	2 },	/* 0f 32/30 */
};

static bool svm_translate_insn(struct svm_vcpu *svm, struct kvmx_exit *exit)
{
	const struct vmcb *vmcb = svm->vmcb;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(svm_insn_exits); i++) {
		if (svm_insn_exits[i].code != exit->hw_reason)
			continue;
		exit->reason = svm_insn_exits[i].reason;
		exit->insn_len = svm_has_nrips ?
				 vmcb->control.next_rip - vmcb->save.rip :
				 svm_insn_exits[i].len;
		if (exit->hw_reason == SVM_EXIT_MSR &&
		    (vmcb->control.exit_info1 & SVM_MSR_WRITE))
			exit->reason = KVMX_EXIT_WRMSR;
		return true;
	}
	return false;
}

/* Exceptions that push an error code (SDM Vol. 3A 6.15, table 6-1). */
#define SVM_EXC_WITH_ERROR	(BIT(X86_TRAP_DF) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP) | BIT(X86_TRAP_PF) | \
				 BIT(X86_TRAP_AC))
/* DR6 bits an exception sets: B0-B3, BD, BS, BT (SDM Vol. 3B 18.2.3) */
#define SVM_DR6_CAUSE		0xe00fULL

/*
 * An intercepted exception goes to the core, which injects it back or
 * hands it to the debugger.  The intercept comes before delivery: CR2 is
 * not written for #PF (EXITINFO2 has the address, APM 15.12.15), so it is
 * set here for the injection; #DB has already updated the VMCB's DR6,
 * which started clean (debug.c), to the bits of this exception.
 */
static void svm_translate_exception(struct svm_vcpu *svm, u32 vector,
				    struct kvmx_exit *exit)
{
	struct vmcb *vmcb = svm->vmcb;

	/*
	 * #MC: the host's handler ran (svm_run()) and took whatever action
	 * the error called for; the guest goes on, as in-tree.
	 */
	if (vector == X86_TRAP_MC) {
		exit->reason = KVMX_EXIT_NONE;
		return;
	}
	if (vector >= 32)
		return;
	exit->reason = KVMX_EXIT_EXCEPTION;
	exit->exc.vector = vector;
	if (BIT(vector) & SVM_EXC_WITH_ERROR) {
		exit->exc.has_error = true;
		exit->exc.error_code = vmcb->control.exit_info1;
	}
	switch (vector) {
	case X86_TRAP_DB:
		exit->exc.dr6 = vmcb->save.dr6 & SVM_DR6_CAUSE;
		break;
	case X86_TRAP_BP:
		/* RIP is on the INT3 (cc) */
		exit->insn_len = svm_has_nrips ?
				 vmcb->control.next_rip - vmcb->save.rip : 1;
		break;
	case X86_TRAP_PF:
		vmcb->save.cr2 = vmcb->control.exit_info2;
		break;
	}
}

static void svm_translate_exit(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control *c = &vmcb->control;
	u64 code = c->exit_code;
	u64 info1 = c->exit_info1;
	u64 info2 = c->exit_info2;
	u64 rip = vmcb->save.rip;

	memset(exit, 0, sizeof(*exit));
	exit->reason = KVMX_EXIT_UNHANDLED;
	exit->hw_reason = code;
	exit->hw_info[0] = info1;
	exit->hw_info[1] = info2;
	exit->hw_info[2] = c->exit_int_info;

	if (svm_translate_insn(svm, exit))
		return;

	switch (code) {
	case SVM_EXIT_INVALID:
		exit->reason = KVMX_EXIT_FAIL_ENTRY;
		break;
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
	case SVM_EXIT_SHUTDOWN:
		exit->reason = KVMX_EXIT_SHUTDOWN;
		break;
	case SVM_EXIT_NPF:
		exit->reason = KVMX_EXIT_TDP_FAULT;
		svm_decode_npf(info1, info2, exit);
		/*
		 * Decode assists: the bytes at RIP the CPU fetched (up to 15,
		 * maybe none; APM Vol. 2 15.33.4), so the emulator need not
		 * walk the guest's page tables to fetch them.
		 */
		if (boot_cpu_has(X86_FEATURE_DECODEASSISTS)) {
			u8 n = min_t(u8, vmcb->control.insn_fetched,
				     sizeof(exit->tdp.insn_bytes));

			exit->tdp.insn_len = n;
			memcpy(exit->tdp.insn_bytes,
			       vmcb->control.insn_bytes, n);
		}
		break;
	case SVM_EXIT_VINTR:
		exit->reason = KVMX_EXIT_IRQ_WINDOW;
		break;
	case SVM_EXIT_IRET:
		svm_step_request(svm, SVM_STEP_IRET);
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_WRITE_CR4:
		svm_step_request(svm, SVM_STEP_CR4);
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_WRITE_CR8:
		svm_step_request(svm, SVM_STEP_CR8);
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_READ_DR0 ... SVM_EXIT_READ_DR7:
	case SVM_EXIT_WRITE_DR0 ... SVM_EXIT_WRITE_DR7:
		svm_dr_access_exit(svm);
		exit->reason = KVMX_EXIT_NONE;
		break;
	case SVM_EXIT_EXCP_BASE ... SVM_EXIT_EXCP_BASE + 31:
		svm_translate_exception(svm, code - SVM_EXIT_EXCP_BASE, exit);
		break;
	case SVM_EXIT_ICEBP:
		/*
		 * INT1 is intercepted because its #DB would be ambiguous in
		 * EXITINTINFO (RIP on the instruction, yet a trap).  It is a
		 * trap that reports no DR6 bits: step past it and let the
		 * core deliver the #DB (or hand it to the debugger).
		 */
		vcpu->regs[KVMX_REG_RIP] = svm_has_nrips ?
					   c->next_rip : rip + 1;	/* f1 */
		exit->reason = KVMX_EXIT_EXCEPTION;
		exit->exc.vector = X86_TRAP_DB;
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
	case SVM_EXIT_INVLPGA:
	case SVM_EXIT_RDPRU:
		/*
		 * No nested SVM: the guest's EFER.SVME is clear, so the SVM
		 * instructions #UD (APM 15.4); RDPRU would read the host's
		 * counters.  In-tree KVM injects #UD for all of them too.
		 */
		kvmx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
		exit->reason = KVMX_EXIT_NONE;
		break;
	default:
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
	u64 spec_ctrl[2];
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
	svm_events_before_run(vcpu);
	svm_msrpm_before_run(vcpu);
	/* TSC_AUX stays loaded until the thread returns to user space */
	if (svm_tsc_aux_slot >= 0)
		kvmx_set_user_return_msr(svm_tsc_aux_slot, svm->tsc_aux);

	get_debugreg(host_dr7, 7);
	kvmx_timer_wait(vcpu);
	svm_clgi();
	svm_debug_before_run(svm, host_dr7);
	__svm_world_switch(svm->vmcb_pa, vcpu->regs, sc->host_vmsave_pa,
			   svm_spec_ctrl_for_entry(svm, spec_ctrl));
	svm_debug_after_run(svm, host_dr7);
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

	svm_translate_exit(vcpu, exit);
	svm_events_after_run(vcpu, exit);
	return 0;
}
