/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-intel's world switch: loads the guest's general-purpose registers
 * from the core's register file, enters the guest with VMLAUNCH or
 * VMRESUME, and on the VM exit stores them back, restores what the host
 * kernel's speculation mitigations expect before the first RET (RSB,
 * SPEC_CTRL, branch history) and scrubs the guest's values from the
 * host's registers.  RSP, RIP and RFLAGS travel through the VMCS instead
 * (run.c).  Everything else about host state is also run.c's business.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>
#include "vmcs_fields.h"

/* byte offset of a GPR in u64 regs[], hardware encoding order (enum kvmx_reg) */
#define R_AX	(0 * 8)
#define R_CX	(1 * 8)
#define R_DX	(2 * 8)
#define R_BX	(3 * 8)
#define R_BP	(5 * 8)
#define R_SI	(6 * 8)
#define R_DI	(7 * 8)
#define R_8	(8 * 8)
#define R_9	(9 * 8)
#define R_10	(10 * 8)
#define R_11	(11 * 8)
#define R_12	(12 * 8)
#define R_13	(13 * 8)
#define R_14	(14 * 8)
#define R_15	(15 * 8)

/* return values, mirrored by VMX_ENTER_* in vmx.h */
#define ENTER_EXITED		0
#define ENTER_FAIL_VALID	1
#define ENTER_FAIL_INVALID	2
#define ENTER_FAIL_HOST_RSP	3
#define ENTER_FAULT		4

/* flags, mirrored by VMX_RUN_* in vmx.h */
#define RUN_RESUME_BIT		0
#define RUN_SPEC_CTRL		(1 << 1)

/* the stack from the VMWRITE of HOST_RSP on */
#define STK_REGS		0	/* u64 *regs */
#define STK_FLAGS		8
#define STK_HOST_SPEC_CTRL	16
#define STK_SIZE		24

	/*
	 * No kprobe int3 or tracer may land between loading the guest's
	 * registers and the VM entry, or between the exit and saving them.
	 */
	.section .noinstr.text, "ax"

/*
 * int kvmx_vmx_enter(u64 *regs, unsigned long flags, u64 host_spec_ctrl)
 *
 * Called with interrupts off and the vCPU's VMCS current, the guest's
 * SPEC_CTRL already loaded.  Returns ENTER_EXITED after a VM exit
 * (including a failed entry that reports an exit reason with bit 31 set),
 * else why no exit happened.  With RUN_SPEC_CTRL in flags, host_spec_ctrl
 * is written back to IA32_SPEC_CTRL on every way out.
 */
SYM_FUNC_START(kvmx_vmx_enter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx
	push	%rsi
	/* the exit path finds the register file here, at HOST_RSP */
	push	%rdi

	/*
	 * A VM exit loads RSP from the VMCS (SDM Vol. 3C 28.5.1), so the
	 * VMCS must hold this very stack pointer.
	 */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lhost_rsp_failed

	/*
	 * CF = VMRESUME rather than VMLAUNCH, decided now: the MOVs below do
	 * not touch the flags and VERW writes ZF only, and once the
	 * registers are loaded no free one is left.
	 */
	bt	$RUN_RESUME_BIT, %esi

	mov	R_AX(%rdi), %rax
	mov	R_CX(%rdi), %rcx
	mov	R_DX(%rdi), %rdx
	mov	R_BX(%rdi), %rbx
	mov	R_BP(%rdi), %rbp
	mov	R_SI(%rdi), %rsi
	mov	R_8(%rdi), %r8
	mov	R_9(%rdi), %r9
	mov	R_10(%rdi), %r10
	mov	R_11(%rdi), %r11
	mov	R_12(%rdi), %r12
	mov	R_13(%rdi), %r13
	mov	R_14(%rdi), %r14
	mov	R_15(%rdi), %r15
	mov	R_DI(%rdi), %rdi

	/* the CPU buffers hold host data: clear them where the kernel asks */
	VM_CLEAR_CPU_BUFFERS

	jc	.Lresume

	/* the stack at the exit point is the stack right here */
	UNWIND_HINT_SAVE
.Llaunch:
	vmlaunch
	jmp	.Lenter_failed
.Lresume:
	vmresume
	jmp	.Lenter_failed

	/* VMX switched off under us (emergency reboot): #UD, no oops */
	_ASM_EXTABLE(.Llaunch, .Lfault)
	_ASM_EXTABLE(.Lresume, .Lfault)

SYM_INNER_LABEL(kvmx_vmx_exit_point, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	/* every GPR but RSP is the guest's: free one to reach regs[] */
	push	%rax
	mov	8+STK_REGS(%rsp), %rax
	mov	%rcx, R_CX(%rax)
	mov	%rdx, R_DX(%rax)
	mov	%rbx, R_BX(%rax)
	mov	%rbp, R_BP(%rax)
	mov	%rsi, R_SI(%rax)
	mov	%rdi, R_DI(%rax)
	mov	%r8, R_8(%rax)
	mov	%r9, R_9(%rax)
	mov	%r10, R_10(%rax)
	mov	%r11, R_11(%rax)
	mov	%r12, R_12(%rax)
	mov	%r13, R_13(%rax)
	mov	%r14, R_14(%rax)
	mov	%r15, R_15(%rax)
	pop	%rcx
	mov	%rcx, R_AX(%rax)

	/*
	 * Return predictions the guest trained must not steer the host's
	 * RETs: refill the RSB where the kernel's mitigations ask for it
	 * (all of it, or one entry against PBRSB on eIBRS parts), before
	 * the first RET whose CALL came before the entry.
	 */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	mov	$ENTER_EXITED, %ebx

.Lout:
	/* the host's SPEC_CTRL (see vmx_spec_ctrl_enter() in run.c) */
	testb	$RUN_SPEC_CTRL, STK_FLAGS(%rsp)
	jz	.Lspec_ctrl_done
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	mov	STK_HOST_SPEC_CTRL(%rsp), %eax
	mov	STK_HOST_SPEC_CTRL+4(%rsp), %edx
	wrmsr
.Lspec_ctrl_done:
	/* and no speculation past that decision with the guest's value */
	lfence

	/* branch history the guest left (BHI), where the kernel asks */
	CLEAR_BRANCH_HISTORY_VMEXIT

	mov	%ebx, %eax
	/*
	 * Leave no guest value in a register the C caller might spill or
	 * speculate on; the callee-saved ones are reloaded below.
	 */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$STK_SIZE, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

.Lenter_failed:
	/* VMfailInvalid sets CF, VMfailValid sets ZF (SDM Vol. 3C 31.2) */
	mov	$ENTER_FAIL_VALID, %ebx
	jnc	.Lout
	mov	$ENTER_FAIL_INVALID, %ebx
	jmp	.Lout

.Lhost_rsp_failed:
	mov	$ENTER_FAIL_HOST_RSP, %ebx
	jmp	.Lout

.Lfault:
	mov	$ENTER_FAULT, %ebx
	jmp	.Lout
SYM_FUNC_END(kvmx_vmx_enter)
