/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declarations shared by the files of kvm.ko only (the backends never
 * include this): the fd layers, hardware enabling, memslots, the run loop,
 * exit handlers and the TDP MMU.
 */
#ifndef KVMX_CORE_PRIVATE_H
#define KVMX_CORE_PRIVATE_H

#include <linux/fs.h>
#include <kvmx/core.h>

#define KVMX_VCPU_MMAP_PAGES	3	/* kvm_run, PIO data, coalesced MMIO */

/* What an exit handler wants the run loop to do next. */
enum kvmx_resume {
	KVMX_RESUME_GUEST,	/* handled in the kernel: enter again */
	KVMX_EXIT_TO_USER,	/* kvm_run is filled: KVM_RUN returns 0 */
};

/* virt/kvm/backend.c */
extern struct file_operations kvmx_vm_fops;
extern struct file_operations kvmx_vcpu_fops;

/* virt/kvm/hardware.c: VMX/SVM operation on every CPU while VMs exist */
int kvmx_hardware_setup(void);
void kvmx_hardware_unsetup(void);
int kvmx_hardware_get(void);
void kvmx_hardware_put(void);

/* virt/kvm/dev.c */
long kvmx_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg);
int kvmx_dev_register(void);
void kvmx_dev_unregister(void);

/* virt/kvm/vm.c */
int kvmx_create_vm(unsigned long type);
void kvmx_vm_get(struct kvmx_vm *vm);
void kvmx_vm_put(struct kvmx_vm *vm);
int kvmx_vm_check_caller(struct kvmx_vm *vm);
void kvmx_vm_kick_all(struct kvmx_vm *vm);

/* virt/kvm/vcpu.c */
int kvmx_create_vcpu(struct kvmx_vm *vm, unsigned long id);
void kvmx_vcpu_destroy(struct kvmx_vcpu *vcpu);
void kvmx_vcpu_load(struct kvmx_vcpu *vcpu);
void kvmx_vcpu_put(struct kvmx_vcpu *vcpu);
int kvmx_vcpu_module_init(void);
void kvmx_vcpu_module_exit(void);

/* virt/kvm/memslot.c */
int kvmx_set_memory_region(struct kvmx_vm *vm,
			   const struct kvm_userspace_memory_region *mem);
struct kvmx_memslot *kvmx_gfn_to_memslot(struct kvmx_vm *vm, u64 gfn);
void kvmx_free_memslots(struct kvmx_vm *vm);

/* arch/x86/kvm/caps.c */
long kvmx_check_extension(struct kvmx_vm *vm, long cap);

/* arch/x86/kvm/msrs.c */
long kvmx_get_msr_index_list(void __user *argp);

/* arch/x86/kvm/cpuid.c */
#define KVMX_MAX_CPUID_ENTRIES	256
long kvmx_set_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_get_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_get_supported_cpuid(void __user *argp);
const struct kvm_cpuid_entry2 *kvmx_find_cpuid(struct kvmx_vcpu *vcpu,
					       u32 function, u32 index);
bool kvmx_guest_has(struct kvmx_vcpu *vcpu, u32 function, int reg, int bit);
enum { KVMX_CPUID_EAX, KVMX_CPUID_EBX, KVMX_CPUID_ECX, KVMX_CPUID_EDX };

/* virt/kvm/vcpu.c: KVM_SET_SIGNAL_MASK */
void kvmx_sigset_activate(struct kvmx_vcpu *vcpu);
void kvmx_sigset_deactivate(struct kvmx_vcpu *vcpu);

/* arch/x86/kvm/regs.c */
void kvmx_vcpu_reset(struct kvmx_vcpu *vcpu);
void kvmx_get_regs(struct kvmx_vcpu *vcpu, struct kvm_regs *regs);
void kvmx_set_regs(struct kvmx_vcpu *vcpu, const struct kvm_regs *regs);
void kvmx_get_sregs(struct kvmx_vcpu *vcpu, struct kvm_sregs *sregs);
int kvmx_set_sregs(struct kvmx_vcpu *vcpu, const struct kvm_sregs *sregs);

/* arch/x86/kvm/run.c */
int kvmx_vcpu_run(struct kvmx_vcpu *vcpu);

/* arch/x86/kvm/exits.c */
enum kvmx_resume kvmx_handle_exit(struct kvmx_vcpu *vcpu,
				  const struct kvmx_exit *exit, int *err);
int kvmx_complete_user_exit(struct kvmx_vcpu *vcpu);
void kvmx_report_internal_error(struct kvmx_vcpu *vcpu, u32 suberror,
				unsigned int ndata, const u64 *data);

/* arch/x86/kvm/events.c */
void kvmx_events_before_entry(struct kvmx_vcpu *vcpu);
void kvmx_events_after_exit(struct kvmx_vcpu *vcpu,
			    const struct kvmx_exit *exit);
bool kvmx_ready_for_interrupt(struct kvmx_vcpu *vcpu);
int kvmx_ioctl_interrupt(struct kvmx_vcpu *vcpu, void __user *argp);
int kvmx_ioctl_nmi(struct kvmx_vcpu *vcpu);
void kvmx_get_vcpu_events(struct kvmx_vcpu *vcpu,
			  struct kvm_vcpu_events *e);
int kvmx_set_vcpu_events(struct kvmx_vcpu *vcpu,
			 const struct kvm_vcpu_events *e);
void kvmx_events_reset(struct kvmx_vcpu *vcpu);

/* arch/x86/kvm/user_return.c */
void kvmx_user_return_msrs_restore(void);
void kvmx_user_return_msrs_forget(void);

/* arch/x86/kvm/mmu/tdp.c */
int kvmx_tdp_init(struct kvmx_vm *vm);
void kvmx_tdp_destroy(struct kvmx_vm *vm);
void kvmx_tdp_zap_all(struct kvmx_vm *vm);
int kvmx_tdp_handle_fault(struct kvmx_vcpu *vcpu, u64 gpa, u32 access);
u64 kvmx_tdp_max_gfn(void);

#endif /* KVMX_CORE_PRIVATE_H */
