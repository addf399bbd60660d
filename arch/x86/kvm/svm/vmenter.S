/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-amd's world switch: one VMRUN, with the guest's general-purpose
 * registers loaded from and saved back to the core's vcpu->regs[] array
 * (RAX and RSP travel in the VMCB instead), the VMLOAD/VMSAVE dance for the
 * state VMRUN does not switch, and the host-side speculation hygiene that
 * has to happen before the first RET after #VMEXIT.  Called from svm_run()
 * with IRQs off and GIF=0.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/bitsperlong.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>

/* Byte offsets into vcpu->regs[], enum kvmx_reg order (checked in run.c). */
#define REG_RCX	(1 * 8)
#define REG_RDX	(2 * 8)
#define REG_RBX	(3 * 8)
#define REG_RBP	(5 * 8)
#define REG_RSI	(6 * 8)
#define REG_RDI	(7 * 8)
#define REG_R8	(8 * 8)
#define REG_R9	(9 * 8)
#define REG_R10	(10 * 8)
#define REG_R11	(11 * 8)
#define REG_R12	(12 * 8)
#define REG_R13	(13 * 8)
#define REG_R14	(14 * 8)
#define REG_R15	(15 * 8)

/* Our four arguments, kept on the stack across VMRUN. */
#define ARG_VMCB	0
#define ARG_REGS	8
#define ARG_HOST	16
#define ARG_SPEC	24
#define ARG_SIZE	32

/* spec_ctrl[] (svm_spec_ctrl_for_entry()): the guest's, then the host's */
#define SPEC_GUEST	0
#define SPEC_HOST	8

	/* no kprobe or tracer may run while the guest's GS base is loaded */
	.section .noinstr.text, "ax"

/*
 * void __svm_world_switch(u64 vmcb_pa, u64 *regs, u64 host_vmsave_pa,
 *			   u64 *spec_ctrl)
 *
 * VMRUN saves and restores the host's RAX, RSP, RIP, RFLAGS, segment
 * registers CS/SS/DS/ES, GDTR/IDTR, CR0/3/4 and EFER itself through the
 * VM_HSAVE_PA area, but not FS, GS, TR, LDTR, KernelGSbase, STAR/LSTAR/
 * CSTAR/SFMASK or the SYSENTER MSRs (APM Vol. 2 15.5.1, 15.5.2): those go
 * through VMSAVE/VMLOAD, the host's into its own per-CPU page and the
 * guest's into the VMCB.  Every other register is the guest's between
 * VMRUN and the stores below.
 *
 * spec_ctrl, when not NULL, holds the guest's and the host's
 * IA32_SPEC_CTRL: the guest's goes in just before VMRUN, the host's comes
 * back before the first RET after #VMEXIT, so no host RET runs with the
 * guest's (weaker) setting.  The guest's own writes exit (msr.c), so its
 * value needs no read-back.
 */
SYM_FUNC_START(__svm_world_switch)
	push	%rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi

	test	%rcx, %rcx
	jz	1f
	mov	SPEC_GUEST(%rcx), %eax
	mov	SPEC_GUEST+4(%rcx), %edx
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
1:

	/* the host's FS/GS/TR/... as they are now (per task, so every time) */
	mov	ARG_HOST(%rsp), %rax
	vmsave	%rax

	/* guest GPRs; RSI last, it is the base */
	mov	%rsi, %rax
	mov	REG_RCX(%rax), %rcx
	mov	REG_RDX(%rax), %rdx
	mov	REG_RBX(%rax), %rbx
	mov	REG_RBP(%rax), %rbp
	mov	REG_RDI(%rax), %rdi
	mov	REG_R8(%rax),  %r8
	mov	REG_R9(%rax),  %r9
	mov	REG_R10(%rax), %r10
	mov	REG_R11(%rax), %r11
	mov	REG_R12(%rax), %r12
	mov	REG_R13(%rax), %r13
	mov	REG_R14(%rax), %r14
	mov	REG_R15(%rax), %r15
	mov	REG_RSI(%rax), %rsi

	mov	ARG_VMCB(%rsp), %rax
	vmload	%rax
	/*
	 * Host IF=1 during the guest: with V_INTR_MASKING it is what lets a
	 * physical interrupt reach the INTR intercept (APM 15.21.1); GIF=0
	 * keeps it from being taken here or after #VMEXIT.
	 */
	sti
	vmrun	%rax
	/* #VMEXIT: host RAX (the VMCB address), RSP, RIP, RFLAGS are back */
	cli
	vmsave	%rax

	mov	ARG_REGS(%rsp), %rax
	mov	%rcx, REG_RCX(%rax)
	mov	%rdx, REG_RDX(%rax)
	mov	%rbx, REG_RBX(%rax)
	mov	%rbp, REG_RBP(%rax)
	mov	%rsi, REG_RSI(%rax)
	mov	%rdi, REG_RDI(%rax)
	mov	%r8,  REG_R8(%rax)
	mov	%r9,  REG_R9(%rax)
	mov	%r10, REG_R10(%rax)
	mov	%r11, REG_R11(%rax)
	mov	%r12, REG_R12(%rax)
	mov	%r13, REG_R13(%rax)
	mov	%r14, REG_R14(%rax)
	mov	%r15, REG_R15(%rax)

	/* the host's GS base (per-CPU data) and the rest are back after this */
	mov	ARG_HOST(%rsp), %rax
	vmload	%rax

	/* the host's SPEC_CTRL, then no speculation past it with the guest's */
	mov	ARG_SPEC(%rsp), %rax
	test	%rax, %rax
	jz	2f
	mov	SPEC_HOST+4(%rax), %edx
	mov	SPEC_HOST(%rax), %eax
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
2:
	lfence

	/*
	 * The guest may have trained the return stack buffer and the return
	 * predictor: refill and untrain before the first RET (Spectre v2,
	 * Retbleed, SRSO), as the host's entry code does for user mode.
	 */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RETPOLINE
#ifdef UNTRAIN_RET_VM
	UNTRAIN_RET_VM
#else
	UNTRAIN_RET
	ALTERNATIVE "", "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
#endif

	/* leave no guest value in a register, not even speculatively */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebx, %ebx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	add	$ARG_SIZE, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(__svm_world_switch)
