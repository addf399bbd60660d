// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's CPUID table, as the VMM sets it with KVM_SET_CPUID2 and reads
 * it back with KVM_GET_CPUID2.  So far the table decides which optional
 * CR4 and EFER bits KVM_SET_SREGS accepts and the RDX value at reset; the
 * CPUID exit itself and KVM_GET_SUPPORTED_CPUID come with the exit set.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmx/core_private.h>

const struct kvm_cpuid_entry2 *kvmx_find_cpuid(struct kvmx_vcpu *vcpu,
					       u32 function, u32 index)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

bool kvmx_guest_has(struct kvmx_vcpu *vcpu, u32 function, int reg, int bit)
{
	const struct kvm_cpuid_entry2 *e = kvmx_find_cpuid(vcpu, function, 0);
	u32 val;

	if (!e)
		return false;
	switch (reg) {
	case KVMX_CPUID_EAX:
		val = e->eax;
		break;
	case KVMX_CPUID_EBX:
		val = e->ebx;
		break;
	case KVMX_CPUID_ECX:
		val = e->ecx;
		break;
	default:
		val = e->edx;
		break;
	}
	return val & BIT(bit);
}

long kvmx_set_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvm_cpuid2 __user *ucpuid = argp;
	struct kvm_cpuid_entry2 *entries = NULL;
	struct kvm_cpuid2 hdr;
	size_t size;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVMX_MAX_CPUID_ENTRIES)
		return -E2BIG;
	size = hdr.nent * sizeof(*entries);
	if (hdr.nent) {
		entries = vmemdup_user(ucpuid->entries, size);
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}

	/*
	 * As in-tree since 5.16: once the vCPU has run, its CPUID may only be
	 * "set" to exactly what it already is (VMMs do that on hotplug).
	 */
	if (vcpu->has_run) {
		bool same = hdr.nent == vcpu->cpuid_nent &&
			    (!size || !memcmp(entries, vcpu->cpuid, size));

		kvfree(entries);
		return same ? 0 : -EINVAL;
	}

	kvfree(vcpu->cpuid);
	vcpu->cpuid = entries;
	vcpu->cpuid_nent = hdr.nent;
	return 0;
}

long kvmx_get_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvm_cpuid2 __user *ucpuid = argp;
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	/* in-tree leaves nent untouched when the buffer is too small */
	if (hdr.nent < vcpu->cpuid_nent)
		return -E2BIG;
	if (vcpu->cpuid_nent &&
	    copy_to_user(ucpuid->entries, vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	hdr.nent = vcpu->cpuid_nent;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}
