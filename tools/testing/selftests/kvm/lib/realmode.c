// SPDX-License-Identifier: GPL-2.0-only
/*
 * Real-mode guests: a snippet of 16-bit code copied into the first MiB of
 * guest memory, started with flat real-mode segments at REALMODE_BASE.
 * The vCPU otherwise keeps its RESET state (CR0 = 0x60000010, ...), so
 * these guests exercise KVM's real-mode path (unrestricted guest on VMX).
 */
#include "kvm_util.h"
#include "x86.h"

static void realmode_vcpu_setup(struct kvm_vcpu *vcpu)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_segment *segs[] = { &s.cs, &s.ds, &s.es, &s.fs, &s.gs, &s.ss };
	unsigned int i;

	vcpu_sregs_get(vcpu, &s);
	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		segs[i]->selector = REALMODE_SEG;
		segs[i]->base = REALMODE_BASE;
	}
	vcpu_sregs_set(vcpu, &s);

	memset(&r, 0, sizeof(r));
	r.rip = 0;
	r.rsp = REALMODE_SP;
	/*
	 * IF=1: nothing can interrupt the guest (no in-kernel irqchip, so
	 * KVM injects nothing), but Bochs' VMX only turns a host interrupt
	 * into a VM exit promptly when the guest has IF=1: a spinning guest
	 * with IF=0 starves the emulated host (seen with Bochs 2.7).
	 */
	r.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	vcpu_regs_set(vcpu, &r);
}

struct kvm_vm *vm_create_realmode(struct kvm_vcpu **vcpu, const void *code,
				  size_t len)
{
	struct kvm_vm *vm = vm_create_bare();
	uint8_t *mem;

	TEST_ASSERT(len <= REALMODE_SP, "real-mode snippet too long: %zu", len);
	vm->mode = VM_MODE_REAL;
	/* Needed by VMX without unrestricted guest; harmless elsewhere. */
	vm_ioctl(vm, KVM_SET_TSS_ADDR, REALMODE_TSS);
	mem = vm_add_memslot(vm, 0, 0, REALMODE_MEM, 0, NULL);
	memcpy(mem + REALMODE_BASE, code, len);
	if (vcpu)
		*vcpu = vm_vcpu_add_realmode(vm, 0);
	return vm;
}

struct kvm_vcpu *vm_vcpu_add_realmode(struct kvm_vm *vm, uint32_t id)
{
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, id);

	realmode_vcpu_setup(vcpu);
	return vcpu;
}
