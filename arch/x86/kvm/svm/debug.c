// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-amd debug registers: the guest's DR0-3/DR6/DR7, the debugger's
 * (KVM_SET_GUEST_DEBUG), and which of them the hardware holds while the
 * guest runs.  VMRUN switches only DR6 and DR7 (VMCB); DR0-3 stay live in
 * the CPU, so they are loaded here whenever the DR7 the guest runs with
 * enables a breakpoint, and the host's come back after the exit.
 *
 * Guest MOV DR exits (DR0-7 intercepted) until the guest uses one: that
 * exit makes the next run "live" (the guest's DRs in the hardware, no DR
 * intercept) and re-executes the MOV natively, so the CPU itself applies
 * CR4.DE, DR7.GD and the CPL check (SDM Vol. 3B 18.2).  After a live run
 * the values are read back and the intercepts re-armed, so a guest that
 * stops using them stops paying.  Outside live runs the guest's DR6 is
 * kept here and the VMCB's DR6 starts clean, so that an intercepted #DB
 * shows exactly the bits it sets.
 *
 * With the debugger's hardware breakpoints (USE_HW_BP) its DR0-3/DR7 run
 * instead, and a guest MOV DR is single-stepped once with the guest's own
 * registers loaded (SVM_STEP_DR, events.c): there is no decode assist on
 * every CPU and no emulator to decode it.
 */
#include <linux/bits.h>
/* 6.1's asm/debugreg.h needs these first */
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/special_insns.h>
#include <asm/debugreg.h>
#include <asm/trapnr.h>
#include "svm.h"

#define SVM_DR7_ENABLES		(DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK)
#define SVM_DR6_RESET		0xffff0ff0ULL
#define SVM_DR7_RESET		0x400ULL

void svm_debug_reset(struct svm_vcpu *svm)
{
	memset(svm->db, 0, sizeof(svm->db));
	svm->dr6 = SVM_DR6_RESET;
	svm->dr7 = SVM_DR7_RESET;
	svm->db_live = false;
	svm->guest_debug = 0;
	memset(svm->dbg_db, 0, sizeof(svm->dbg_db));
	svm->dbg_dr7 = 0;
}

u64 svm_get_dr(struct kvmx_vcpu *vcpu, int dr)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	switch (dr) {
	case 0 ... 3:
		return svm->db[dr];
	case 6:
		return svm->dr6;
	case 7:
		return svm->dr7;
	}
	kvmx_vm_mark_dead(vcpu->vm, "kvm-amd: bad debug register index");
	return 0;
}

void svm_set_dr(struct kvmx_vcpu *vcpu, int dr, u64 val)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	switch (dr) {
	case 0 ... 3:
		svm->db[dr] = val;
		return;
	case 6:
		svm->dr6 = val;
		return;
	case 7:
		svm->dr7 = val;
		return;
	}
	kvmx_vm_mark_dead(vcpu->vm, "kvm-amd: bad debug register index");
}

/*
 * The exception intercepts themselves are set per entry (events.c), from
 * guest_debug: #BP with USE_SW_BP; #DB is always intercepted anyway.
 */
void svm_set_guest_debug(struct kvmx_vcpu *vcpu,
			 const struct kvm_guest_debug *dbg)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int i;

	svm->guest_debug = dbg->control & KVM_GUESTDBG_ENABLE ?
			   dbg->control : 0;
	for (i = 0; i < 4; i++)
		svm->dbg_db[i] = dbg->arch.debugreg[i];
	svm->dbg_dr7 = dbg->arch.debugreg[7];
}

/* A guest MOV DR exited (only ever while not live). */
void svm_dr_access_exit(struct svm_vcpu *svm)
{
	if (svm->guest_debug & KVM_GUESTDBG_USE_HW_BP)
		svm_step_request(svm, SVM_STEP_DR);
	else
		svm->db_live = true;
}

/*
 * With IRQs off and GIF=0, just before the world switch: what DR0-3,
 * DR6 and DR7 the guest runs with.  Host breakpoints must not fire on
 * guest addresses in between: their enables in DR7 go first.
 */
void svm_debug_before_run(struct svm_vcpu *svm, unsigned long host_dr7)
{
	struct vmcb *vmcb = svm->vmcb;
	bool debugger = svm->guest_debug & KVM_GUESTDBG_USE_HW_BP;
	const u64 *db;
	u64 dr7;

	if (svm->step.active && svm->step.kind == SVM_STEP_DR) {
		debugger = false;
		svm->db_live = true;
	}
	if (debugger)
		svm->db_live = false;
	db = debugger ? svm->dbg_db : svm->db;
	dr7 = debugger ? svm->dbg_dr7 : svm->dr7;

	vmcb->control.intercept_dr = svm->db_live ? 0 : SVM_INTERCEPT_DR0_7;
	vmcb->save.dr7 = dr7;
	vmcb->save.dr6 = svm->db_live ? svm->dr6 : SVM_DR6_RESET;
	if (!svm->db_live && !(dr7 & SVM_DR7_ENABLES))
		return;

	if (host_dr7 & SVM_DR7_ENABLES)
		set_debugreg(0UL, 7);
	set_debugreg(db[0], 0);
	set_debugreg(db[1], 1);
	set_debugreg(db[2], 2);
	set_debugreg(db[3], 3);
}

/*
 * Right after the world switch, still GIF=0: take back what a live run
 * may have changed, then the host's debug registers.  A host with
 * breakpoints armed gets all of them back (the guest's DR0-3 may be in
 * the hardware); otherwise only DR7 matters, which #VMEXIT does not
 * preserve.
 */
void svm_debug_after_run(struct svm_vcpu *svm, unsigned long host_dr7)
{
	unsigned long dr7;

	if (svm->db_live) {
		get_debugreg(svm->db[0], 0);
		get_debugreg(svm->db[1], 1);
		get_debugreg(svm->db[2], 2);
		get_debugreg(svm->db[3], 3);
		svm->dr6 = svm->vmcb->save.dr6;
		svm->dr7 = svm->vmcb->save.dr7;
		svm->db_live = false;
	}

	if (hw_breakpoint_active()) {
		hw_breakpoint_restore();
		return;
	}
	get_debugreg(dr7, 7);
	if (dr7 != host_dr7)
		set_debugreg(host_dr7, 7);
}
