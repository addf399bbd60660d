// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSR access from the host: one MSR at a time through KVM_GET_MSRS /
 * KVM_SET_MSRS on a vCPU (whose return value is the number of entries
 * processed), the system-wide MSR lists, and KVM_ENABLE_CAP on a VM.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"

struct kvm_msrs *kvm_msrs_alloc(uint32_t n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));

	TEST_ASSERT(m, "out of memory");
	m->nmsrs = n;
	return m;
}

/* kvm_msrs with one entry, on the stack. */
struct one_msr {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e;
};

int __vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	struct one_msr m = { .hdr.nmsrs = 1, .e.index = index };
	int r = ioctl(vcpu->fd, KVM_GET_MSRS, &m);

	*data = m.e.data;
	return r;
}

int __vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data)
{
	struct one_msr m = { .hdr.nmsrs = 1, .e.index = index, .e.data = data };

	return ioctl(vcpu->fd, KVM_SET_MSRS, &m);
}

uint64_t vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index)
{
	uint64_t v;
	int r = __vcpu_get_msr(vcpu, index, &v);

	TEST_ASSERT(r == 1, "vCPU %u: KVM_GET_MSRS(0x%x) returned %d",
		    vcpu->id, index, r);
	return v;
}

void vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data)
{
	int r = __vcpu_set_msr(vcpu, index, data);

	TEST_ASSERT(r == 1, "vCPU %u: KVM_SET_MSRS(0x%x, 0x%lx) returned %d",
		    vcpu->id, index, data, r);
}

struct kvm_msr_list *kvm_get_msr_list(unsigned long ioctl_nr)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	int fd = kvm_open(), r;

	r = ioctl(fd, ioctl_nr, &probe);
	TEST_ASSERT(r == -1 && errno == E2BIG,
		    "MSR list probe with nmsrs = 0: %d", r);
	l = calloc(1, sizeof(*l) + probe.nmsrs * sizeof(l->indices[0]));
	TEST_ASSERT(l, "out of memory");
	l->nmsrs = probe.nmsrs;
	kvm_ioctl_ok(fd, ioctl_nr, l);
	close(fd);
	return l;
}

bool kvm_msr_list_has(const struct kvm_msr_list *l, uint32_t index)
{
	uint32_t i;

	for (i = 0; i < l->nmsrs; i++)
		if (l->indices[i] == index)
			return true;
	return false;
}

int __vm_enable_cap(struct kvm_vm *vm, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap c = { .cap = cap, .args[0] = arg0 };

	return ioctl(vm->fd, KVM_ENABLE_CAP, &c);
}

void vm_enable_cap(struct kvm_vm *vm, uint32_t cap, uint64_t arg0)
{
	int r = __vm_enable_cap(vm, cap, arg0);

	TEST_ASSERT(r >= 0, "KVM_ENABLE_CAP(%u, 0x%lx) failed", cap, arg0);
}
