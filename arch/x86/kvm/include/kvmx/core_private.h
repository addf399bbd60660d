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
void kvmx_flush_remote_tlbs(struct kvmx_vm *vm);

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
struct kvmx_memslots *kvmx_memslots(struct kvmx_vm *vm);
struct kvmx_memslot *kvmx_id_to_memslot(struct kvmx_memslots *s, u16 id);
struct kvmx_memslot *kvmx_gfn_to_memslot(struct kvmx_vm *vm, u64 gfn);
void kvmx_free_memslots(struct kvmx_vm *vm);

/* virt/kvm/dirty_log.c */
u64 kvmx_manual_dirty_log_caps(void);
long kvmx_enable_manual_dirty_log(struct kvmx_vm *vm, u64 flags);
long kvmx_get_dirty_log(struct kvmx_vm *vm, void __user *argp);
long kvmx_clear_dirty_log(struct kvmx_vm *vm, void __user *argp);

/* virt/kvm/dirty_ring.c */
long kvmx_dirty_ring_max_bytes(void);
long kvmx_enable_dirty_ring(struct kvmx_vm *vm, u64 arg);
int kvmx_dirty_ring_alloc(struct kvmx_vcpu *vcpu);
void kvmx_dirty_ring_free(struct kvmx_vcpu *vcpu);
struct page *kvmx_dirty_ring_page(struct kvmx_vcpu *vcpu, unsigned long pgoff);
bool kvmx_dirty_ring_mmap_ok(struct kvmx_vm *vm, unsigned long pgoff,
			     unsigned long pages, unsigned long vm_flags);
bool kvmx_dirty_ring_soft_full(struct kvmx_vcpu *vcpu);
void kvmx_dirty_ring_push(struct kvmx_vcpu *vcpu,
			  const struct kvmx_memslot *slot, u64 gfn);
long kvmx_reset_dirty_rings(struct kvmx_vm *vm);
/* a page @vcpu (NULL: none) dirtied in a logging slot: bitmap or ring */
void kvmx_mark_page_dirty(struct kvmx_vcpu *vcpu, struct kvmx_memslot *slot,
			  u64 gfn);

/* virt/kvm/mmu_notifier.c */
int kvmx_mmu_notifier_register(struct kvmx_vm *vm);
void kvmx_mmu_notifier_unregister(struct kvmx_vm *vm);

/* virt/kvm/io_bus.c: in-kernel devices on the port and MMIO buses */
struct kvmx_io_device;
struct kvmx_io_device_ops {
	/* 0: done; -EOPNOTSUPP: not this device's access (try the next) */
	int (*read)(struct kvmx_io_device *dev, struct kvmx_vcpu *vcpu,
		    u64 addr, u32 len, void *val);
	int (*write)(struct kvmx_io_device *dev, struct kvmx_vcpu *vcpu,
		     u64 addr, u32 len, const void *val);
};
struct kvmx_io_device {
	const struct kvmx_io_device_ops *ops;
};
int kvmx_io_bus_register(struct kvmx_vm *vm, enum kvmx_bus bus, u64 addr,
			 u32 len, struct kvmx_io_device *dev);
int kvmx_io_bus_unregister(struct kvmx_vm *vm, enum kvmx_bus bus,
			   struct kvmx_io_device *dev);
int kvmx_io_bus_write(struct kvmx_vcpu *vcpu, enum kvmx_bus bus, u64 addr,
		      u32 len, const void *val);
int kvmx_io_bus_read(struct kvmx_vcpu *vcpu, enum kvmx_bus bus, u64 addr,
		     u32 len, void *val);
void kvmx_io_bus_destroy(struct kvmx_vm *vm);

/* virt/kvm/ioeventfd.c */
long kvmx_ioeventfd(struct kvmx_vm *vm, void __user *argp);
void kvmx_ioeventfd_destroy(struct kvmx_vm *vm);

/* virt/kvm/coalesced_mmio.c */
long kvmx_register_coalesced_mmio(struct kvmx_vm *vm, void __user *argp);
long kvmx_unregister_coalesced_mmio(struct kvmx_vm *vm, void __user *argp);
bool kvmx_coalesced_write(struct kvmx_vm *vm, u64 addr, u32 len,
			  const void *data, bool pio);
void kvmx_coalesced_mmio_destroy(struct kvmx_vm *vm);

/* virt/kvm/stats.c: KVM_GET_STATS_FD, a new read-only fd or -errno */
int kvmx_vm_stats_fd(struct kvmx_vm *vm);
int kvmx_vcpu_stats_fd(struct kvmx_vcpu *vcpu);

/* arch/x86/kvm/caps.c */
long kvmx_check_extension(struct kvmx_vm *vm, long cap);

/* arch/x86/kvm/msrs.c: results of kvmx_get/set_msr besides 0 */
#define KVMX_MSR_GP		1	/* refused: #GP for the guest */
#define KVMX_MSR_UNKNOWN	2	/* not an MSR kvmx implements */
int kvmx_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *data, bool host);
int kvmx_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 data, bool host);
int kvmx_get_msr_checked(struct kvmx_vcpu *vcpu, u32 index, u64 *data,
			 bool host);
int kvmx_set_msr_checked(struct kvmx_vcpu *vcpu, u32 index, u64 data,
			 bool host);
void kvmx_set_tsc_offset(struct kvmx_vcpu *vcpu, u64 offset);
void kvmx_msrs_reset(struct kvmx_vcpu *vcpu);
bool kvmx_noncanonical(struct kvmx_vcpu *vcpu, u64 la);

/* arch/x86/kvm/msr_ioctls.c */
void kvmx_msr_lists_init(void);
long kvmx_get_msr_index_list(void __user *argp);
long kvmx_get_msr_feature_index_list(void __user *argp);
long kvmx_dev_get_msrs(void __user *argp);
long kvmx_vcpu_get_msrs(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_vcpu_set_msrs(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_get_mce_cap_supported(void __user *argp);
long kvmx_setup_mce(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_set_mce(struct kvmx_vcpu *vcpu, void __user *argp);

/* arch/x86/kvm/msr_exits.c */
long kvmx_set_msr_filter(struct kvmx_vm *vm, void __user *argp);
void kvmx_msr_filter_destroy(struct kvmx_vm *vm);
long kvmx_enable_user_space_msr(struct kvmx_vm *vm, u64 reasons);
enum kvmx_resume kvmx_exit_rdmsr(struct kvmx_vcpu *vcpu,
				 const struct kvmx_exit *exit, int *err);
enum kvmx_resume kvmx_exit_wrmsr(struct kvmx_vcpu *vcpu,
				 const struct kvmx_exit *exit, int *err);
void kvmx_complete_msr_exit(struct kvmx_vcpu *vcpu);

/* arch/x86/kvm/debug.c */
void kvmx_skip_insn(struct kvmx_vcpu *vcpu, u32 len);
bool kvmx_debug_step_exit(struct kvmx_vcpu *vcpu);
void kvmx_debug_before_entry(struct kvmx_vcpu *vcpu);
void kvmx_debug_after_exit(struct kvmx_vcpu *vcpu);
u64 kvmx_visible_rflags(struct kvmx_vcpu *vcpu);
long kvmx_set_guest_debug(struct kvmx_vcpu *vcpu, void __user *argp);
enum kvmx_resume kvmx_exit_exception(struct kvmx_vcpu *vcpu,
				     const struct kvmx_exit *exit, int *err);
void kvmx_get_debugregs(struct kvmx_vcpu *vcpu, struct kvm_debugregs *d);
int kvmx_set_debugregs(struct kvmx_vcpu *vcpu, const struct kvm_debugregs *d);

/* arch/x86/kvm/insn_exits.c */
u64 kvmx_exit_hypercall_mask(void);
long kvmx_enable_exit_hypercall(struct kvmx_vm *vm, u64 mask);
bool kvmx_guest_64bit(struct kvmx_vcpu *vcpu);
int kvmx_guest_cpl(struct kvmx_vcpu *vcpu);
enum kvmx_resume kvmx_exit_hypercall(struct kvmx_vcpu *vcpu,
				     const struct kvmx_exit *exit, int *err);
void kvmx_complete_hypercall_exit(struct kvmx_vcpu *vcpu);
enum kvmx_resume kvmx_exit_skip(struct kvmx_vcpu *vcpu,
				const struct kvmx_exit *exit, int *err);
enum kvmx_resume kvmx_exit_rdpmc(struct kvmx_vcpu *vcpu,
				 const struct kvmx_exit *exit, int *err);

/* arch/x86/kvm/xsave.c */
u64 kvmx_supported_xcr0(void);
void kvmx_xsave_init(void);
enum kvmx_resume kvmx_exit_xsetbv(struct kvmx_vcpu *vcpu,
				  const struct kvmx_exit *exit, int *err);
bool kvmx_load_guest_xcr0(struct kvmx_vcpu *vcpu);
void kvmx_put_guest_xcr0(struct kvmx_vcpu *vcpu);
void kvmx_get_xcrs(struct kvmx_vcpu *vcpu, struct kvm_xcrs *x);
int kvmx_set_xcrs(struct kvmx_vcpu *vcpu, const struct kvm_xcrs *x);
int kvmx_xsave2_size(void);
long kvmx_get_xsave(struct kvmx_vcpu *vcpu, void __user *argp,
		    unsigned int size);
long kvmx_set_xsave(struct kvmx_vcpu *vcpu, void __user *argp);
void kvmx_get_fpu(struct kvmx_vcpu *vcpu, struct kvm_fpu *fpu);
int kvmx_set_fpu(struct kvmx_vcpu *vcpu, const struct kvm_fpu *fpu);

/* arch/x86/kvm/vcpu_ioctl.c, vm_ioctl.c */
long kvmx_arch_vcpu_ioctl(struct kvmx_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp);
long kvmx_vm_enable_cap(struct kvmx_vm *vm, void __user *argp);

/* arch/x86/kvm/cpuid.c */
#define KVMX_MAX_CPUID_ENTRIES	256
long kvmx_set_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_get_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_get_supported_cpuid(void __user *argp);
const struct kvm_cpuid_entry2 *kvmx_find_cpuid(struct kvmx_vcpu *vcpu,
					       u32 function, u32 index);
bool kvmx_guest_has(struct kvmx_vcpu *vcpu, u32 function, int reg, int bit);
unsigned int kvmx_guest_maxphyaddr(struct kvmx_vcpu *vcpu);
void kvmx_cpuid_dynamic_bits(struct kvmx_vcpu *vcpu, u32 function, u32 index,
			     u64 *regs);
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
void kvmx_get_sregs2(struct kvmx_vcpu *vcpu, struct kvm_sregs2 *s2);
int kvmx_set_sregs2(struct kvmx_vcpu *vcpu, const struct kvm_sregs2 *s2);
u64 kvmx_efer_allowed(struct kvmx_vcpu *vcpu);

/* arch/x86/kvm/guest_paging.c */
int kvmx_read_guest(struct kvmx_vm *vm, u64 gpa, void *buf, size_t len);
bool kvmx_guest_pae_paging(struct kvmx_vcpu *vcpu);
void kvmx_get_pdptrs(struct kvmx_vcpu *vcpu, u64 *pdptrs);
void kvmx_set_pdptrs(struct kvmx_vcpu *vcpu, const u64 *pdptrs);
void kvmx_load_pdptrs(struct kvmx_vcpu *vcpu);
int kvmx_translate(struct kvmx_vcpu *vcpu, struct kvm_translation *tr);
/* #PF error code bits (SDM Vol. 3A 4.7), also the access asked for */
#define KVMX_PF_PRESENT	BIT(0)
#define KVMX_PF_WRITE	BIT(1)
#define KVMX_PF_USER	BIT(2)
#define KVMX_PF_RSVD	BIT(3)
#define KVMX_PF_FETCH	BIT(4)
#define KVMX_PF_PK	BIT(5)
/* access only: an implicit supervisor access (SDM Vol. 3A 4.6) */
#define KVMX_PF_IMPLICIT	BIT(16)
int kvmx_gva_to_gpa(struct kvmx_vcpu *vcpu, u64 la, u32 access, u64 *gpa,
		    u32 *error);
int kvmx_cmpxchg_guest(struct kvmx_vcpu *vcpu, u64 gpa, void *old,
		       const void *new, unsigned int len);
int kvmx_write_guest(struct kvmx_vcpu *vcpu, u64 gpa, const void *buf,
		     size_t len);

/* arch/x86/kvm/emulation.c */
enum kvmx_resume kvmx_emulate_mmio(struct kvmx_vcpu *vcpu,
				   const struct kvmx_exit *exit, int *err);
enum kvmx_resume kvmx_emulate_string_io(struct kvmx_vcpu *vcpu,
					const struct kvmx_exit *exit,
					int *err);
int kvmx_complete_emulation_exit(struct kvmx_vcpu *vcpu);
void kvmx_emulation_free(struct kvmx_vcpu *vcpu);

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
bool kvmx_irq_window_open_at_entry(struct kvmx_vcpu *vcpu);
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

/* arch/x86/kvm/mmu/tdp.c: the tables (all but init/destroy: mmu_lock) */
int kvmx_tdp_init(struct kvmx_vm *vm);
void kvmx_tdp_destroy(struct kvmx_vm *vm);
u64 kvmx_tdp_max_gfn(void);
int kvmx_page_cache_topup(struct kvmx_page_cache *pc);
void kvmx_page_cache_free(struct kvmx_page_cache *pc);
int kvmx_tdp_map(struct kvmx_vm *vm, struct kvmx_page_cache *pc, u64 gfn,
		 u64 pfn, int max_level, bool writable, bool host_writable,
		 bool *flush);
bool kvmx_tdp_unprotect_gfn(struct kvmx_vm *vm, u64 gfn);
void kvmx_tdp_map_mmio(struct kvmx_vm *vm, struct kvmx_page_cache *pc,
		       u64 gfn);
bool kvmx_tdp_zap_range(struct kvmx_vm *vm, u64 start, u64 end,
			struct list_head *freed);
bool kvmx_tdp_protect_gfns(struct kvmx_vm *vm, u64 base, unsigned long mask);
bool kvmx_tdp_protect_range(struct kvmx_vm *vm, u64 start, u64 end);
bool kvmx_tdp_age_range(struct kvmx_vm *vm, u64 start, u64 end, bool clear,
			bool *flush);
/* table pages kvmx_tdp_zap_range() unhooked: free after the flush */
void kvmx_tdp_free_tables(struct list_head *freed);

/* arch/x86/kvm/mmu/fault.c */
int kvmx_tdp_handle_fault(struct kvmx_vcpu *vcpu, u64 gpa, u32 access);

#endif /* KVMX_CORE_PRIVATE_H */
