// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's extended state: XCR0 (XSETBV, KVM_GET/SET_XCRS, switched
 * around entries), and the FPU/SSE/AVX registers as userspace saves and
 * restores them (KVM_GET/SET_FPU, KVM_GET/SET_XSAVE, KVM_GET_XSAVE2).
 * The registers themselves live in the kernel's guest fpstate
 * (vcpu->guest_fpu), swapped in for KVM_RUN; outside KVM_RUN they are in
 * memory, where these ioctls read and write them.
 */
#include <linux/uaccess.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <kvmx/core_private.h>

/*
 * The XCR0 bits a guest may enable: the host's, less the ones kvmx does
 * not switch or support: PKRU (not switched), MPX (deprecated), AMX tiles
 * (dynamically enabled, XFD), and the supervisor states.
 */
#define KVMX_XCR0_OFFERED	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE | \
				 XFEATURE_MASK_YMM | XFEATURE_MASK_OPMASK | \
				 XFEATURE_MASK_ZMM_Hi256 | \
				 XFEATURE_MASK_Hi16_ZMM)

static u64 kvmx_host_xcr0;

u64 kvmx_supported_xcr0(void)
{
	return kvmx_host_xcr0 & KVMX_XCR0_OFFERED;
}

void kvmx_xsave_init(void)
{
	kvmx_host_xcr0 = boot_cpu_has(X86_FEATURE_XSAVE) ?
			 xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
}

/* The guest's CPUID leaf 0xD limits what it may enable. */
static u64 kvmx_guest_xcr0_allowed(struct kvmx_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvmx_find_cpuid(vcpu, 0xd, 0);

	if (!e)
		return XFEATURE_MASK_FP;
	return (e->eax | ((u64)e->edx << 32)) & kvmx_supported_xcr0();
}

/* XSETBV's checks (SDM Vol. 2C, XSETBV; Vol. 1 13.3). */
static int kvmx_set_xcr(struct kvmx_vcpu *vcpu, u32 index, u64 xcr0)
{
	if (index != XCR_XFEATURE_ENABLED_MASK)
		return -EINVAL;
	if (!(xcr0 & XFEATURE_MASK_FP) || (xcr0 & ~kvmx_guest_xcr0_allowed(vcpu)))
		return -EINVAL;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return -EINVAL;
	if (xcr0 & XFEATURE_MASK_AVX512) {
		if (!(xcr0 & XFEATURE_MASK_YMM) ||
		    (xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)
			return -EINVAL;
	}
	vcpu->xcr0 = xcr0;
	return 0;
}

enum kvmx_resume kvmx_exit_xsetbv(struct kvmx_vcpu *vcpu,
				  const struct kvmx_exit *exit, int *err)
{
	u64 val = (u32)vcpu->regs[KVMX_REG_RAX] |
		  (vcpu->regs[KVMX_REG_RDX] << 32);

	if (kvmx_guest_cpl(vcpu) != 0 ||
	    kvmx_set_xcr(vcpu, vcpu->regs[KVMX_REG_RCX], val)) {
		kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return KVMX_RESUME_GUEST;
	}
	kvmx_skip_insn(vcpu, exit->insn_len);
	return KVMX_RESUME_GUEST;
}

/*
 * Around each entry (preemption off): the guest's XCR0 only matters once
 * it set CR4.OSXSAVE, as in-tree; until then the host's stays.
 */
bool kvmx_load_guest_xcr0(struct kvmx_vcpu *vcpu)
{
	if (vcpu->xcr0 == kvmx_host_xcr0 ||
	    !(kvmx_backend->get_cr(vcpu, 4) & X86_CR4_OSXSAVE))
		return false;
	xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	return true;
}

void kvmx_put_guest_xcr0(struct kvmx_vcpu *vcpu)
{
	/*
	 * XSETBV always exits (both backends intercept it), so XCR0 is
	 * still the value loaded at entry.  Some emulated CPUs (QEMU TCG's
	 * nested SVM) ignore that intercept: keep what the guest set, or
	 * the next entry would undo it behind the guest's back.
	 */
	u64 guest = xgetbv(XCR_XFEATURE_ENABLED_MASK);

	if (unlikely(guest != vcpu->xcr0))
		vcpu->xcr0 = guest;
	xsetbv(XCR_XFEATURE_ENABLED_MASK, kvmx_host_xcr0);
}

void kvmx_get_xcrs(struct kvmx_vcpu *vcpu, struct kvm_xcrs *x)
{
	memset(x, 0, sizeof(*x));
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return;
	x->nr_xcrs = 1;
	x->xcrs[0].xcr = XCR_XFEATURE_ENABLED_MASK;
	x->xcrs[0].value = vcpu->xcr0;
}

int kvmx_set_xcrs(struct kvmx_vcpu *vcpu, const struct kvm_xcrs *x)
{
	u32 i;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return -EINVAL;
	if (x->nr_xcrs > KVM_MAX_XCRS || x->flags)
		return -EINVAL;
	for (i = 0; i < x->nr_xcrs; i++)
		if (x->xcrs[i].xcr == XCR_XFEATURE_ENABLED_MASK)
			return kvmx_set_xcr(vcpu, x->xcrs[i].xcr,
					    x->xcrs[i].value) ? -EINVAL : 0;
	return 0;
}

/* KVM_CAP_XSAVE2 / KVM_GET_XSAVE2: the uabi buffer size, >= 4 KiB. */
int kvmx_xsave2_size(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return sizeof(struct kvm_xsave);
	/* EBX of leaf 0xD: the size for every feature XCR0 enables now */
	cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx);
	return max_t(int, ebx, sizeof(struct kvm_xsave));
}

long kvmx_get_xsave(struct kvmx_vcpu *vcpu, void __user *argp,
		    unsigned int size)
{
	void *buf;
	long r = 0;

	if (vcpu->guest_fpu.uabi_size > size)
		return -EINVAL;
	buf = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	/*
	 * Only the features this guest may enable, so that the image also
	 * restores on a host with fewer (in-tree's reasoning for migration).
	 */
	fpu_copy_guest_fpstate_to_uabi(&vcpu->guest_fpu, buf, size,
				       kvmx_guest_xcr0_allowed(vcpu) |
				       XFEATURE_MASK_FPSSE, 0);
	if (copy_to_user(argp, buf, size))
		r = -EFAULT;
	kfree(buf);
	return r;
}

long kvmx_set_xsave(struct kvmx_vcpu *vcpu, void __user *argp)
{
	unsigned int size = max_t(unsigned int, vcpu->guest_fpu.uabi_size,
				  sizeof(struct kvm_xsave));
	u32 pkru = 0;
	void *buf;
	long r;

	buf = memdup_user(argp, size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	/* the kernel checks the header and MXCSR and refuses bad ones */
	r = fpu_copy_uabi_to_guest_fpstate(&vcpu->guest_fpu, buf,
					   kvmx_supported_xcr0() ?: XFEATURE_MASK_FPSSE,
					   &pkru);
	kfree(buf);
	return r;
}

/* KVM_GET/SET_FPU: the legacy FXSAVE area (SDM Vol. 1 10.5.1). */
void kvmx_get_fpu(struct kvmx_vcpu *vcpu, struct kvm_fpu *fpu)
{
	const struct fxregs_state *fx = &vcpu->guest_fpu.fpstate->regs.fxsave;

	memset(fpu, 0, sizeof(*fpu));
	memcpy(fpu->fpr, fx->st_space, sizeof(fpu->fpr));
	fpu->fcw = fx->cwd;
	fpu->fsw = fx->swd;
	fpu->ftwx = fx->twd;
	fpu->last_opcode = fx->fop;
	fpu->last_ip = fx->rip;
	fpu->last_dp = fx->rdp;
	memcpy(fpu->xmm, fx->xmm_space, sizeof(fpu->xmm));
	/* mxcsr reads 0: in-tree KVM never filled it in, VMMs know */
}

int kvmx_set_fpu(struct kvmx_vcpu *vcpu, const struct kvm_fpu *fpu)
{
	struct fxregs_state *fx = &vcpu->guest_fpu.fpstate->regs.fxsave;

	memcpy(fx->st_space, fpu->fpr, sizeof(fpu->fpr));
	fx->cwd = fpu->fcw;
	fx->swd = fpu->fsw;
	fx->twd = fpu->ftwx;
	fx->fop = fpu->last_opcode;
	fx->rip = fpu->last_ip;
	fx->rdp = fpu->last_dp;
	memcpy(fx->xmm_space, fpu->xmm, sizeof(fpu->xmm));
	/*
	 * mxcsr is ignored, as in-tree: the guest's MXCSR stays (it is set
	 * with KVM_SET_XSAVE), and no reserved bit can reach the restore.
	 */
	/* the x87 and SSE parts now hold data: mark them in use */
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		vcpu->guest_fpu.fpstate->regs.xsave.header.xfeatures |=
			XFEATURE_MASK_FPSSE;
	return 0;
}
