// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 vCPU state ioctls beyond REGS/SREGS/CPUID (virt/kvm/vcpu.c has
 * those): MSRs, events, debug registers and guest debugging, MP state,
 * FPU/XSAVE/XCRs, SREGS2, KVM_TRANSLATE, the TSC frequency, machine
 * checks.  Each copies its payload in, validates it, and works with the
 * vCPU loaded on this CPU (the backend's state ops need that); called
 * with vcpu->mutex held.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

union kvmx_vcpu_ioctl_buf {
	struct kvm_vcpu_events events;
	struct kvm_debugregs dregs;
	struct kvm_mp_state mp;
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_sregs2 sregs2;
	struct kvm_translation tr;
};

/*
 * KVM_GET_TSC_KHZ: the guest's TSC runs at the host's rate (kvmx does
 * not scale it, KVM_CAP_TSC_CONTROL is 0).  KVM_SET_TSC_KHZ accepts that
 * rate (0 means it, too), within the 250 ppm in-tree tolerates; other
 * rates would need scaling and fail.
 */
static long kvmx_set_tsc_khz(unsigned long khz)
{
	unsigned long tol = tsc_khz / 4000;

	khz = (u32)khz;
	if (!khz)
		return 0;
	return khz + tol >= tsc_khz && khz <= tsc_khz + tol ? 0 : -EINVAL;
}

/* Calls that do not copy a payload, or do their own copying. */
static long kvmx_vcpu_ioctl_direct(struct kvmx_vcpu *vcpu, unsigned int ioctl,
				   void __user *argp)
{
	switch (ioctl) {
	case KVM_GET_MSRS:
		return kvmx_vcpu_get_msrs(vcpu, argp);
	case KVM_SET_MSRS:
		return kvmx_vcpu_set_msrs(vcpu, argp);
	case KVM_INTERRUPT:
		return kvmx_ioctl_interrupt(vcpu, argp);
	case KVM_NMI:
		return kvmx_ioctl_nmi(vcpu);
	case KVM_GET_LAPIC:
		return kvmx_apic_get_lapic(vcpu, argp);
	case KVM_SET_LAPIC:
		return kvmx_apic_set_lapic(vcpu, argp);
	case KVM_SET_GUEST_DEBUG:
		return kvmx_set_guest_debug(vcpu, argp);
	case KVM_GET_XSAVE:
		return kvmx_get_xsave(vcpu, argp, sizeof(struct kvm_xsave));
	case KVM_GET_XSAVE2:
		return kvmx_get_xsave(vcpu, argp, kvmx_xsave2_size());
	case KVM_SET_XSAVE:
		return kvmx_set_xsave(vcpu, argp);
	case KVM_GET_TSC_KHZ:
		return tsc_khz;
	case KVM_SET_TSC_KHZ:
		return kvmx_set_tsc_khz((__force unsigned long)argp);
	case KVM_X86_SETUP_MCE:
		return kvmx_setup_mce(vcpu, argp);
	case KVM_X86_SET_MCE:
		return kvmx_set_mce(vcpu, argp);
	}
	return -ENOIOCTLCMD;
}

static long kvmx_vcpu_ioctl_get(struct kvmx_vcpu *vcpu, unsigned int ioctl,
				void __user *argp,
				union kvmx_vcpu_ioctl_buf *u)
{
	size_t size;

	switch (ioctl) {
	case KVM_GET_VCPU_EVENTS:
		kvmx_get_vcpu_events(vcpu, &u->events);
		size = sizeof(u->events);
		break;
	case KVM_GET_DEBUGREGS:
		kvmx_get_debugregs(vcpu, &u->dregs);
		size = sizeof(u->dregs);
		break;
	case KVM_GET_MP_STATE:
		kvmx_get_mp_state(vcpu, &u->mp);
		size = sizeof(u->mp);
		break;
	case KVM_GET_FPU:
		kvmx_get_fpu(vcpu, &u->fpu);
		size = sizeof(u->fpu);
		break;
	case KVM_GET_XCRS:
		kvmx_get_xcrs(vcpu, &u->xcrs);
		size = sizeof(u->xcrs);
		break;
	case KVM_GET_SREGS2:
		kvmx_get_sregs2(vcpu, &u->sregs2);
		size = sizeof(u->sregs2);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return copy_to_user(argp, u, size) ? -EFAULT : 0;
}

static long kvmx_vcpu_ioctl_set(struct kvmx_vcpu *vcpu, unsigned int ioctl,
				void __user *argp,
				union kvmx_vcpu_ioctl_buf *u)
{
	size_t size = _IOC_SIZE(ioctl);
	long r;

	switch (ioctl) {
	case KVM_SET_VCPU_EVENTS:
	case KVM_SET_DEBUGREGS:
	case KVM_SET_MP_STATE:
	case KVM_SET_FPU:
	case KVM_SET_XCRS:
	case KVM_SET_SREGS2:
	case KVM_TRANSLATE:
		break;
	default:
		return -ENOIOCTLCMD;
	}
	if (size > sizeof(*u) || copy_from_user(u, argp, size))
		return -EFAULT;

	switch (ioctl) {
	case KVM_SET_VCPU_EVENTS:
		return kvmx_set_vcpu_events(vcpu, &u->events);
	case KVM_SET_DEBUGREGS:
		return kvmx_set_debugregs(vcpu, &u->dregs);
	case KVM_SET_MP_STATE:
		return kvmx_set_mp_state(vcpu, &u->mp);
	case KVM_SET_FPU:
		return kvmx_set_fpu(vcpu, &u->fpu);
	case KVM_SET_XCRS:
		return kvmx_set_xcrs(vcpu, &u->xcrs);
	case KVM_SET_SREGS2:
		return kvmx_set_sregs2(vcpu, &u->sregs2);
	case KVM_TRANSLATE:
		r = kvmx_translate(vcpu, &u->tr);
		if (!r && copy_to_user(argp, &u->tr, sizeof(u->tr)))
			r = -EFAULT;
		return r;
	}
	return -ENOIOCTLCMD;
}

long kvmx_arch_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp)
{
	union kvmx_vcpu_ioctl_buf *u;
	long r;

	kvmx_vcpu_load(vcpu);
	r = kvmx_vcpu_ioctl_direct(vcpu, ioctl, argp);
	if (r != -ENOIOCTLCMD)
		goto out;
	u = kzalloc(sizeof(*u), GFP_KERNEL_ACCOUNT);
	r = -ENOMEM;
	if (!u)
		goto out;
	r = kvmx_vcpu_ioctl_get(vcpu, ioctl, argp, u);
	if (r == -ENOIOCTLCMD)
		r = kvmx_vcpu_ioctl_set(vcpu, ioctl, argp, u);
	kfree(u);
out:
	kvmx_vcpu_put(vcpu);
	/* in-tree KVM answers unknown vCPU ioctls with -EINVAL */
	return r == -ENOIOCTLCMD ? -EINVAL : r;
}

long kvmx_vm_enable_cap(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	switch (cap.cap) {
	case KVM_CAP_X86_USER_SPACE_MSR:
		return kvmx_enable_user_space_msr(vm, cap.args[0]);
	case KVM_CAP_EXIT_HYPERCALL:
		return kvmx_enable_exit_hypercall(vm, cap.args[0]);
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return kvmx_enable_manual_dirty_log(vm, cap.args[0]);
	case KVM_CAP_DIRTY_LOG_RING:
	case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
		return kvmx_enable_dirty_ring(vm, cap.args[0]);
	case KVM_CAP_SPLIT_IRQCHIP:
		return kvmx_irqchip_enable_split(vm, cap.args[0]);
	case KVM_CAP_X2APIC_API:
		return kvmx_enable_x2apic_api(vm, cap.args[0]);
	case KVM_CAP_EXIT_ON_EMULATION_FAILURE:
		if (cap.args[0] & ~1ULL)
			return -EINVAL;
		WRITE_ONCE(vm->exit_on_emulation_failure, cap.args[0]);
		return 0;
	}
	return -EINVAL;
}
