// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM objects and the VM fd.  A VM lives as long as its fd or any of its
 * vCPU fds (vm->users); the last reference frees vCPUs, memslots, the TDP
 * tables and the backend's part, and drops the hardware-enable count.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

/* KVM_SET_TSS_ADDR: the three pages must sit below 4 GiB. */
#define KVMX_TSS_ADDR_MAX	((u64)(u32)(-3 * PAGE_SIZE))

void kvmx_vm_get(struct kvmx_vm *vm)
{
	kref_get(&vm->users);
}

static void kvmx_vm_free(struct kref *kref)
{
	struct kvmx_vm *vm = container_of(kref, struct kvmx_vm, users);
	int i, n = atomic_read(&vm->nr_vcpus);

	/* first: the notifier calls walk the memslots and the tables */
	kvmx_mmu_notifier_unregister(vm);
	/*
	 * The PIT and irqfds feed the irqchip, whose timers deliver to the
	 * vCPUs' LAPICs: stop them in that order before the vCPUs go.
	 */
	kvmx_pit_destroy(vm);
	kvmx_irqfd_destroy(vm);
	kvmx_irqchip_stop(vm);
	for (i = 0; i < n; i++)
		kvmx_vcpu_destroy(vm->vcpus[i]);
	kvmx_irqchip_destroy(vm);
	kvmx_backend->vm_destroy(vm);
	kvmx_tdp_destroy(vm);
	kvmx_free_memslots(vm);
	kvmx_coalesced_mmio_destroy(vm);
	kvmx_ioeventfd_destroy(vm);
	kvmx_io_bus_destroy(vm);
	cleanup_srcu_struct(&vm->srcu);
	kvmx_msr_filter_destroy(vm);
	free_page((unsigned long)vm->coalesced_mmio_ring);
	mmdrop(vm->mm);
	kfree(vm->backend);
	kfree(vm);
	kvmx_hardware_put();
}

void kvmx_vm_put(struct kvmx_vm *vm)
{
	kref_put(&vm->users, kvmx_vm_free);
}

void kvmx_vm_mark_dead(struct kvmx_vm *vm, const char *why)
{
	if (!READ_ONCE(vm->dead))
		pr_err_ratelimited("kvm: VM of pid %d is dead: %s\n",
				   task_pid_nr(current), why);
	WRITE_ONCE(vm->dead, true);
	/*
	 * Kicking only makes the other vCPUs notice sooner: each checks
	 * vm->dead before every entry, and a host tick ends any guest run.
	 * A backend may call this from run() with IRQs off, where the
	 * function-call IPI cannot be sent.
	 */
	if (!irqs_disabled())
		kvmx_vm_kick_all(vm);
}
EXPORT_SYMBOL_GPL(kvmx_vm_mark_dead);

/*
 * Only the process that created the VM may use it (its memslots point
 * into that mm), and a dead VM answers nothing: both are -EIO, as in-tree.
 */
int kvmx_vm_check_caller(struct kvmx_vm *vm)
{
	if (vm->mm != current->mm || READ_ONCE(vm->dead))
		return -EIO;
	return 0;
}

static void kvmx_kick_nop(void *unused)
{
	/* The IPI itself forces a VM exit (external interrupt). */
}

/*
 * Every vCPU drops what its TLB holds of this VM's TDP tables before it
 * next runs guest code.  The request is seen by a vCPU about to enter
 * (kvmx_enter_guest() publishes in_guest, then checks requests); one
 * already in guest mode is interrupted, and we wait for the IPI to be
 * taken, i.e. for it to have left the guest.  Called after the tables
 * changed and before the pages they mapped may be reused.
 */
void kvmx_flush_remote_tlbs(struct kvmx_vm *vm)
{
	int i, n = atomic_read_acquire(&vm->nr_vcpus);
	int me;

	WRITE_ONCE(vm->stat.remote_tlb_flush_requests,
		   vm->stat.remote_tlb_flush_requests + 1);
	for (i = 0; i < n; i++)
		kvmx_make_request(vm->vcpus[i], KVMX_REQ_TLB_FLUSH);
	/* the requests before the in_guest reads; pairs with entry */
	smp_mb__after_atomic();
	me = get_cpu();
	for (i = 0; i < n; i++) {
		struct kvmx_vcpu *vcpu = vm->vcpus[i];
		int cpu = READ_ONCE(vcpu->cpu);

		if (READ_ONCE(vcpu->in_guest) && cpu >= 0 && cpu != me)
			smp_call_function_single(cpu, kvmx_kick_nop, NULL, 1);
	}
	put_cpu();
	WRITE_ONCE(vm->stat.remote_tlb_flush, vm->stat.remote_tlb_flush + 1);
}

/* Make every vCPU now in guest mode exit soon. */
void kvmx_vm_kick_all(struct kvmx_vm *vm)
{
	int i, n = atomic_read_acquire(&vm->nr_vcpus);
	int me = get_cpu();

	for (i = 0; i < n; i++) {
		struct kvmx_vcpu *vcpu = vm->vcpus[i];
		int cpu = READ_ONCE(vcpu->cpu);

		if (READ_ONCE(vcpu->in_guest) && cpu >= 0 && cpu != me)
			smp_call_function_single(cpu, kvmx_kick_nop, NULL, 0);
	}
	put_cpu();
}

static long kvmx_vm_set_identity_map_addr(struct kvmx_vm *vm,
					  void __user *argp)
{
	u64 addr;
	long r = -EINVAL;

	mutex_lock(&vm->lock);
	/* The address is consumed when vCPUs are set up: fixed after that. */
	if (vm->vcpu_created)
		goto out;
	r = -EFAULT;
	if (copy_from_user(&addr, argp, sizeof(addr)))
		goto out;
	vm->identity_map_addr = addr;
	r = 0;
out:
	mutex_unlock(&vm->lock);
	return r;
}

static long kvmx_vm_ioctl(struct file *filp, unsigned int ioctl,
			  unsigned long arg)
{
	struct kvmx_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct kvm_userspace_memory_region mem;
	bool handled;
	long r;

	r = kvmx_vm_check_caller(vm);
	if (r)
		return r;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		return kvmx_create_vcpu(vm, arg);
	case KVM_SET_USER_MEMORY_REGION:
		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return kvmx_set_memory_region(vm, &mem);
	case KVM_CHECK_EXTENSION:
		return kvmx_check_extension(vm, arg);
	case KVM_SET_TSS_ADDR:
		if (arg > KVMX_TSS_ADDR_MAX)
			return -EINVAL;
		mutex_lock(&vm->lock);
		vm->tss_addr = arg;
		mutex_unlock(&vm->lock);
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		return kvmx_vm_set_identity_map_addr(vm, argp);
	case KVM_ENABLE_CAP:
		return kvmx_vm_enable_cap(vm, argp);
	case KVM_X86_SET_MSR_FILTER:
		return kvmx_set_msr_filter(vm, argp);
	case KVM_GET_STATS_FD:
		return kvmx_vm_stats_fd(vm);
	case KVM_GET_DIRTY_LOG:
		return kvmx_get_dirty_log(vm, argp);
	case KVM_CLEAR_DIRTY_LOG:
		return kvmx_clear_dirty_log(vm, argp);
	case KVM_RESET_DIRTY_RINGS:
		return kvmx_reset_dirty_rings(vm);
	case KVM_REGISTER_COALESCED_MMIO:
		return kvmx_register_coalesced_mmio(vm, argp);
	case KVM_UNREGISTER_COALESCED_MMIO:
		return kvmx_unregister_coalesced_mmio(vm, argp);
	case KVM_IOEVENTFD:
		return kvmx_ioeventfd(vm, argp);
	case KVM_IRQFD:
		return kvmx_irqfd(vm, argp);
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return kvmx_pit_ioctl(vm, ioctl, argp);
	default:
		r = kvmx_irqchip_ioctl(vm, ioctl, argp, &handled);
		if (handled)
			return r;
		/* in-tree KVM answers unknown VM ioctls with -ENOTTY */
		return -ENOTTY;
	}
}

static int kvmx_vm_release(struct inode *inode, struct file *filp)
{
	kvmx_vm_put(filp->private_data);
	return 0;
}

/* .owner is set to the vendor module at backend registration. */
struct file_operations kvmx_vm_fops = {
	.release	= kvmx_vm_release,
	.unlocked_ioctl	= kvmx_vm_ioctl,
	.llseek		= noop_llseek,
};

static struct kvmx_vm *kvmx_alloc_vm(void)
{
	struct kvmx_vm *vm;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return NULL;
	vm->backend = kzalloc(kvmx_backend->vm_size ?: 1, GFP_KERNEL_ACCOUNT);
	vm->coalesced_mmio_ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->backend || !vm->coalesced_mmio_ring) {
		free_page((unsigned long)vm->coalesced_mmio_ring);
		kfree(vm->backend);
		kfree(vm);
		return NULL;
	}
	if (init_srcu_struct(&vm->srcu)) {
		free_page((unsigned long)vm->coalesced_mmio_ring);
		kfree(vm->backend);
		kfree(vm);
		return NULL;
	}
	kref_init(&vm->users);
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->ioeventfds);
	spin_lock_init(&vm->mmu_lock);
	spin_lock_init(&vm->ring_lock);
	atomic_set(&vm->nr_vcpus, 0);
	mmgrab(current->mm);
	vm->mm = current->mm;
	return vm;
}

int kvmx_create_vm(unsigned long type)
{
	struct kvmx_vm *vm;
	int r;

	/* Only the default x86 VM type exists in kvmx. */
	if (type != KVM_X86_DEFAULT_VM)
		return -EINVAL;

	r = kvmx_hardware_get();
	if (r)
		return r;

	vm = kvmx_alloc_vm();
	if (!vm) {
		r = -ENOMEM;
		goto out_hw;
	}
	/* every vCPU's TSC starts near 0 at VM creation, in step */
	vm->tsc_offset = -rdtsc();
	r = kvmx_tdp_init(vm);
	if (r)
		goto out_free;
	r = kvmx_backend->vm_init(vm);
	if (r)
		goto out_tdp;
	r = kvmx_mmu_notifier_register(vm);
	if (r)
		goto out_backend;

	r = anon_inode_getfd("kvm-vm", &kvmx_vm_fops, vm, O_RDWR | O_CLOEXEC);
	if (r < 0)
		goto out_backend;
	return r;

out_backend:
	kvmx_mmu_notifier_unregister(vm);
	kvmx_backend->vm_destroy(vm);
out_tdp:
	kvmx_tdp_destroy(vm);
out_free:
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	free_page((unsigned long)vm->coalesced_mmio_ring);
	kfree(vm->backend);
	kfree(vm);
out_hw:
	kvmx_hardware_put();
	return r;
}
