// SPDX-License-Identifier: GPL-2.0-only
/*
 * Debug registers on VMX: the guest's DR0-3/DR6/DR7 and the debugger's
 * breakpoints (KVM_SET_GUEST_DEBUG), which of them the hardware runs the
 * guest with, the exception bitmap that follows from it, and the guest's
 * MOV DR, which always exits.
 *
 * VMX switches DR7 (the VMCS guest field, "load/save debug controls") but
 * not DR0-3 and DR6 (SDM Vol. 3C 27.2).  DR0-3 are loaded here before an
 * entry whenever the DR7 the guest runs with enables a breakpoint, and the
 * host's put back after the exit.  DR6 needs no switching: every #DB
 * exits (so no #DB is delivered in the guest, and a #DB that causes a VM
 * exit does not write DR6, SDM 28.1) and every MOV DR exits, so the
 * hardware DR6 is neither changed nor seen by the guest; the guest's DR6
 * lives in struct vmx_vcpu.
 */
/* 6.1's asm/debugreg.h needs these first */
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/special_insns.h>
#include <asm/debugreg.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "vmx.h"

static bool vmx_debugger_bp(const struct vmx_vcpu *vmx)
{
	return vmx->guest_debug & KVM_GUESTDBG_USE_HW_BP;
}

/* DR7 as the hardware runs the guest: the debugger's or the guest's */
static unsigned long vmx_effective_dr7(const struct vmx_vcpu *vmx)
{
	return vmx_debugger_bp(vmx) ? vmx->dbg_dr7 : vmx->dr7;
}

/* VM entry refuses DR7 bits 63:32 set (SDM Vol. 3C 26.3.1.1) */
static void vmx_sync_dr7(struct vmx_vcpu *vmx)
{
	vmcs_write(VMCS_GUEST_DR7, (u32)vmx_effective_dr7(vmx));
}

/*
 * #DB and #AC always exit: a guest could otherwise hang the CPU in an
 * endless chain of them during delivery (CVE-2015-8104, CVE-2015-5307).
 * #BP exits when the debugger plants software breakpoints.  #MC goes to
 * the guest directly.
 */
void vmx_update_exception_bitmap(struct vmx_vcpu *vmx)
{
	u32 bitmap = BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC);

	if (vmx->guest_debug & KVM_GUESTDBG_USE_SW_BP)
		bitmap |= BIT(X86_TRAP_BP);
	if (bitmap != vmx->exc_bitmap) {
		vmx->exc_bitmap = bitmap;
		vmcs_write(VMCS_EXCEPTION_BITMAP, bitmap);
	}
}

/* RESET values (SDM Vol. 3A table 9-1); the debugger's setup stays */
void vmx_debug_reset(struct vmx_vcpu *vmx)
{
	memset(vmx->dr, 0, sizeof(vmx->dr));
	vmx->dr6 = VMX_DR6_RESET;
	vmx->dr7 = VMX_DR7_RESET;
	vmx_sync_dr7(vmx);
}

u64 vmx_get_dr(struct kvmx_vcpu *vcpu, int dr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (dr) {
	case 0 ... 3:
		return vmx->dr[dr];
	case 6:
		return vmx->dr6;
	case 7:
		return vmx->dr7;
	}
	return 0;
}

void vmx_set_dr(struct kvmx_vcpu *vcpu, int dr, u64 val)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (dr) {
	case 0 ... 3:
		vmx->dr[dr] = val;
		break;
	case 6:
		vmx->dr6 = val;
		break;
	case 7:
		vmx->dr7 = val;
		vmx_sync_dr7(vmx);
		break;
	}
}

void vmx_set_guest_debug(struct kvmx_vcpu *vcpu,
			 const struct kvm_guest_debug *dbg)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int i;

	vmx->guest_debug = (dbg->control & KVM_GUESTDBG_ENABLE) ?
			   dbg->control : 0;
	for (i = 0; i < 4; i++)
		vmx->dbg_dr[i] = dbg->arch.debugreg[i];
	vmx->dbg_dr7 = dbg->arch.debugreg[7];
	vmx_sync_dr7(vmx);
	vmx_update_exception_bitmap(vmx);
}

/*
 * Before entry, IRQs off, after run.c saved the host's DR7: when the DR7
 * the guest runs with enables a breakpoint, put the matching DR0-3 in the
 * hardware.  The host's breakpoints are disabled first so that none of
 * them fires on a guest address in the host meanwhile; the entry then
 * loads the guest's DR7.
 */
void vmx_debug_before_entry(struct vmx_vcpu *vmx, struct vmx_host_save *h)
{
	const unsigned long *dr;
	int i;

	h->dr_loaded = false;
	if (!(vmx_effective_dr7(vmx) & VMX_DR7_ENABLES))
		return;
	dr = vmx_debugger_bp(vmx) ? vmx->dbg_dr : vmx->dr;
	if (h->dr7 & VMX_DR7_ENABLES)
		native_set_debugreg(7, 0);
	for (i = 0; i < 4; i++) {
		h->dr[i] = native_get_debugreg(i);
		if (h->dr[i] != dr[i])
			native_set_debugreg(i, dr[i]);
	}
	h->dr_loaded = true;
}

/*
 * After the exit, before run.c restores the host's DR7 (the exit left
 * 0x400 there, SDM 28.5.1): the host's DR0-3.
 */
void vmx_debug_after_exit(struct vmx_host_save *h)
{
	int i;

	if (!h->dr_loaded)
		return;
	for (i = 0; i < 4; i++)
		native_set_debugreg(i, h->dr[i]);
}

/*
 * A guest MOV to or from a debug register (exit qualification, SDM Vol. 3C
 * table 28-4), emulated on the guest's own values whatever the debugger
 * has in the hardware.  The faults the instruction can raise (SDM Vol. 2B
 * MOV DR) come back as exceptions for the core to deliver: #UD for DR4/5
 * with CR4.DE, #GP(0) above CPL 0 or for bits 63:32 of DR6/DR7, and the
 * #DB of DR7.GD, which the exit preempts (the hardware checks GD after
 * deciding to exit), with DR6.BD for its cause (SDM Vol. 3B 18.2.4).
 */
void vmx_exit_mov_dr(struct kvmx_vcpu *vcpu, struct kvmx_exit *exit,
		     u64 qual, u32 insn_len)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	unsigned int dr = DR_QUAL_DR(qual), gpr = DR_QUAL_GPR(qual);
	bool op64 = vmx_guest_64bit();
	u64 val;

	exit->reason = KVMX_EXIT_NONE;
	if ((dr == 4 || dr == 5) && (vmx_get_cr(vcpu, 4) & X86_CR4_DE)) {
		vmx_exit_fault(exit, X86_TRAP_UD, false, 0);
		return;
	}
	if (vmx_guest_cpl()) {
		vmx_exit_fault(exit, X86_TRAP_GP, true, 0);
		return;
	}
	if (vmx_effective_dr7(vmx) & VMX_DR7_GD) {
		vmx_exit_fault(exit, X86_TRAP_DB, false, 0);
		exit->exc.dr6 = DB_QUAL_BD;
		return;
	}
	if (dr == 4 || dr == 5)		/* aliases of DR6/DR7 without CR4.DE */
		dr += 2;

	if (qual & DR_QUAL_FROM_DR) {
		val = vmx_get_dr(vcpu, dr);
		vcpu->regs[gpr] = op64 ? val : (u32)val;
	} else {
		val = vcpu->regs[gpr];
		if (!op64)
			val = (u32)val;
		else if (dr >= 6 && (val >> 32)) {
			vmx_exit_fault(exit, X86_TRAP_GP, true, 0);
			return;
		}
		if (dr == 6)
			val = (val & VMX_DR6_WRITABLE) | VMX_DR6_RESET;
		else if (dr == 7)
			val = (val & VMX_DR7_WRITABLE) | VMX_DR7_RESET;
		vmx_set_dr(vcpu, dr, val);
	}
	vmx_skip_insn(vcpu, insn_len, true);
}
