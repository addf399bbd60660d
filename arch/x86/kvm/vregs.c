// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emulator's vector-register callbacks: the guest's XMM and YMM
 * registers, for the SSE and AVX moves it emulates.  During KVM_RUN the
 * guest's FPU state is the task's (fpu_swap_kvm_fpstate() in run.c), so
 * the registers are either in the CPU or, after a context switch, saved
 * in the guest's fpstate with TIF_NEED_FPU_LOAD set; reload them first
 * and then touch the CPU's registers directly, with the FPU registers
 * locked against preemption and softirqs.  kvm.ko itself is built
 * without SSE; only these inline instructions touch the registers.
 */
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include "emulation.h"

#define VREGS(op)							\
	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7)			\
	op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)

struct vreg_buf {
	u8 b[32];
};

/* SDM Vol. 2: MOVDQU, and VMOVDQU with VEX.256 */
static void xmm_get(unsigned int reg, struct vreg_buf *v)
{
	switch (reg) {
#define XMM_GET(n)							\
	case n:								\
		asm volatile("movdqu %%xmm" #n ", %0" : "=m" (*v));	\
		break;
	VREGS(XMM_GET)
#undef XMM_GET
	}
}

static void ymm_get(unsigned int reg, struct vreg_buf *v)
{
	switch (reg) {
#define YMM_GET(n)							\
	case n:								\
		asm volatile("vmovdqu %%ymm" #n ", %0" : "=m" (*v));	\
		break;
	VREGS(YMM_GET)
#undef YMM_GET
	}
}

/* The legacy-SSE store leaves bits 255:128 alone (SDM Vol. 1 14.1.2). */
static void xmm_set(unsigned int reg, const struct vreg_buf *v)
{
	switch (reg) {
#define XMM_SET(n)							\
	case n:								\
		asm volatile("movdqu %0, %%xmm" #n : : "m" (*v));	\
		break;
	VREGS(XMM_SET)
#undef XMM_SET
	}
}

/* A VEX-encoded load zeroes everything above bit 255 (SDM Vol. 1 14.1.2). */
static void ymm_set(unsigned int reg, const struct vreg_buf *v)
{
	switch (reg) {
#define YMM_SET(n)							\
	case n:								\
		asm volatile("vmovdqu %0, %%ymm" #n : : "m" (*v));	\
		break;
	VREGS(YMM_SET)
#undef YMM_SET
	}
}

static bool vreg_args_ok(unsigned int reg, unsigned int bytes)
{
	if (reg >= 16)
		return false;
	if (bytes == 32)
		return boot_cpu_has(X86_FEATURE_AVX);
	return bytes == 16;
}

static void vregs_lock(void)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
}

int kvmx_emul_get_vreg(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
		       void *buf, unsigned int bytes)
{
	struct vreg_buf v;

	if (!vreg_args_ok(reg, bytes))
		return emul_fail(ctxt);
	vregs_lock();
	if (bytes == 32)
		ymm_get(reg, &v);
	else
		xmm_get(reg, &v);
	fpregs_unlock();
	memcpy(buf, v.b, bytes);
	return KVMX_EMU_OK;
}

int kvmx_emul_set_vreg(struct kvmx_emu_ctxt *ctxt, unsigned int reg,
		       const void *buf, unsigned int bytes)
{
	struct vreg_buf v = { };

	if (!vreg_args_ok(reg, bytes))
		return emul_fail(ctxt);
	memcpy(v.b, buf, bytes);
	vregs_lock();
	if (bytes == 32)
		ymm_set(reg, &v);
	else
		xmm_set(reg, &v);
	fpregs_unlock();
	return KVMX_EMU_OK;
}
