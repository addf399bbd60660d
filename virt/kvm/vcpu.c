// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPU objects and the vCPU fd: creation, the three-page mmap (kvm_run, PIO
 * data, the VM's coalesced-MMIO ring), ioctl dispatch, and keeping the
 * backend's control structure loaded on whatever CPU the vCPU's thread
 * runs (vcpu_load/vcpu_put plus a preempt notifier, so a VMCS follows its
 * thread across CPUs).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

static inline struct kvmx_vcpu *
preempt_notifier_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct kvmx_vcpu, preempt_notifier);
}

static void kvmx_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct kvmx_vcpu *vcpu = preempt_notifier_to_vcpu(pn);

	WRITE_ONCE(vcpu->cpu, cpu);
	kvmx_backend->vcpu_load(vcpu, cpu);
}

static void kvmx_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	struct kvmx_vcpu *vcpu = preempt_notifier_to_vcpu(pn);

	kvmx_backend->vcpu_put(vcpu);
	WRITE_ONCE(vcpu->cpu, -1);
}

static struct preempt_ops kvmx_preempt_ops = {
	.sched_in = kvmx_sched_in,
	.sched_out = kvmx_sched_out,
};

void kvmx_vcpu_load(struct kvmx_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_register(&vcpu->preempt_notifier);
	WRITE_ONCE(vcpu->cpu, cpu);
	kvmx_backend->vcpu_load(vcpu, cpu);
	put_cpu();
}

void kvmx_vcpu_put(struct kvmx_vcpu *vcpu)
{
	preempt_disable();
	kvmx_backend->vcpu_put(vcpu);
	WRITE_ONCE(vcpu->cpu, -1);
	preempt_notifier_unregister(&vcpu->preempt_notifier);
	preempt_enable();
}

static vm_fault_t kvmx_vcpu_fault(struct vm_fault *vmf)
{
	struct kvmx_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	switch (vmf->pgoff) {
	case 0:
		page = virt_to_page(vcpu->run);
		break;
	case KVM_PIO_PAGE_OFFSET:
		page = virt_to_page(vcpu->pio_data);
		break;
	case KVM_COALESCED_MMIO_PAGE_OFFSET:
		page = virt_to_page(vcpu->vm->coalesced_mmio_ring);
		break;
	default:
		page = kvmx_dirty_ring_page(vcpu, vmf->pgoff);
		/* as in-tree: the mmap succeeds, touching past it is SIGBUS */
		if (!page)
			return VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvmx_vcpu_vm_ops = {
	.fault = kvmx_vcpu_fault,
};

static int kvmx_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kvmx_vcpu *vcpu = file->private_data;

	if (!kvmx_dirty_ring_mmap_ok(vcpu->vm, vma->vm_pgoff, vma_pages(vma),
				     vma->vm_flags))
		return -EINVAL;
	vma->vm_ops = &kvmx_vcpu_vm_ops;
	return 0;
}

/*
 * KVM_SET_SIGNAL_MASK: the signal mask the thread has while in KVM_RUN, so
 * a VMM can keep its kick signal blocked except while the guest runs.
 * NULL clears it; the length must be the kernel's sigset_t.
 */
static long kvmx_set_signal_mask(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvm_signal_mask __user *umask = argp;
	struct kvm_signal_mask hdr;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, umask, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, umask->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

void kvmx_sigset_activate(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->sigset_active)
		return;
	/* real_blocked is unused outside signal waits: park the mask there */
	sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
}

void kvmx_sigset_deactivate(struct kvmx_vcpu *vcpu)
{
	if (!vcpu->sigset_active)
		return;
	sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
	sigemptyset(&current->real_blocked);
}

static long kvmx_vcpu_ioctl_locked(struct kvmx_vcpu *vcpu, unsigned int ioctl,
				   void __user *argp)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	long r;

	switch (ioctl) {
	case KVM_RUN:
		if (argp)
			return -EINVAL;
		return kvmx_vcpu_run(vcpu);
	case KVM_GET_REGS:
		kvmx_vcpu_load(vcpu);
		kvmx_get_regs(vcpu, &regs);
		kvmx_vcpu_put(vcpu);
		return copy_to_user(argp, &regs, sizeof(regs)) ? -EFAULT : 0;
	case KVM_SET_REGS:
		if (copy_from_user(&regs, argp, sizeof(regs)))
			return -EFAULT;
		kvmx_vcpu_load(vcpu);
		kvmx_set_regs(vcpu, &regs);
		kvmx_vcpu_put(vcpu);
		return 0;
	case KVM_GET_SREGS:
		kvmx_vcpu_load(vcpu);
		kvmx_get_sregs(vcpu, &sregs);
		kvmx_vcpu_put(vcpu);
		return copy_to_user(argp, &sregs, sizeof(sregs)) ? -EFAULT : 0;
	case KVM_SET_SREGS:
		if (copy_from_user(&sregs, argp, sizeof(sregs)))
			return -EFAULT;
		kvmx_vcpu_load(vcpu);
		r = kvmx_set_sregs(vcpu, &sregs);
		kvmx_vcpu_put(vcpu);
		return r;
	case KVM_SET_CPUID2:
		return kvmx_set_cpuid2(vcpu, argp);
	case KVM_GET_CPUID2:
		return kvmx_get_cpuid2(vcpu, argp);
	case KVM_SET_SIGNAL_MASK:
		return kvmx_set_signal_mask(vcpu, argp);
	case KVM_GET_STATS_FD:
		return kvmx_vcpu_stats_fd(vcpu);
	default:
		/* the x86 state ioctls; unknown ones get -EINVAL, as in-tree */
		return kvmx_arch_vcpu_ioctl(vcpu, ioctl, argp);
	}
}

static long kvmx_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct kvmx_vcpu *vcpu = filp->private_data;
	long r;

	r = kvmx_vm_check_caller(vcpu->vm);
	if (r)
		return r;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	r = kvmx_vcpu_ioctl_locked(vcpu, ioctl, (void __user *)arg);
	mutex_unlock(&vcpu->mutex);
	return r;
}

static int kvmx_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvmx_vcpu *vcpu = filp->private_data;

	kvmx_vm_put(vcpu->vm);
	return 0;
}

/* .owner is set to the vendor module at backend registration. */
struct file_operations kvmx_vcpu_fops = {
	.release	= kvmx_vcpu_release,
	.unlocked_ioctl	= kvmx_vcpu_ioctl,
	.mmap		= kvmx_vcpu_mmap,
	.llseek		= noop_llseek,
};

static void kvmx_vcpu_free_memory(struct kvmx_vcpu *vcpu)
{
	if (vcpu->guest_fpu.fpstate)
		fpu_free_guest_fpstate(&vcpu->guest_fpu);
	kvfree(vcpu->cpuid);
	kvmx_vcpu_apic_destroy(vcpu);
	kvmx_dirty_ring_free(vcpu);
	free_page((unsigned long)vcpu->pio_data);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu->backend);
	kfree(vcpu);
}

static struct kvmx_vcpu *kvmx_alloc_vcpu(struct kvmx_vm *vm, u32 id)
{
	struct kvmx_vcpu *vcpu;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	vcpu->last_cpu = -1;
	mutex_init(&vcpu->mutex);
	rcuwait_init(&vcpu->wait);
	vcpu->mp_state = KVM_MP_STATE_RUNNABLE;
	preempt_notifier_init(&vcpu->preempt_notifier, &kvmx_preempt_ops);

	vcpu->backend = kzalloc(kvmx_backend->vcpu_size ?: 1,
				GFP_KERNEL_ACCOUNT);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->pio_data = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->backend || !vcpu->run || !vcpu->pio_data ||
	    !fpu_alloc_guest_fpstate(&vcpu->guest_fpu)) {
		kvmx_vcpu_free_memory(vcpu);
		return NULL;
	}
	return vcpu;
}

void kvmx_vcpu_destroy(struct kvmx_vcpu *vcpu)
{
	kvmx_backend->vcpu_free(vcpu);
	kvmx_page_cache_free(&vcpu->mmu_cache);
	kvmx_emulation_free(vcpu);
	kvmx_vcpu_free_memory(vcpu);
}

static bool kvmx_vcpu_id_taken(struct kvmx_vm *vm, u32 id)
{
	int i, n = atomic_read(&vm->nr_vcpus);

	for (i = 0; i < n; i++)
		if (vm->vcpus[i]->id == id)
			return true;
	return false;
}

int kvmx_create_vcpu(struct kvmx_vm *vm, unsigned long id)
{
	struct kvmx_vcpu *vcpu;
	char name[24];
	int r, fd;

	if (id >= KVMX_MAX_VCPU_ID)
		return -EINVAL;

	vcpu = kvmx_alloc_vcpu(vm, id);
	if (!vcpu)
		return -ENOMEM;

	r = kvmx_backend->vcpu_create(vcpu);
	if (r)
		goto out_free;

	kvmx_vcpu_load(vcpu);
	kvmx_vcpu_reset(vcpu);
	kvmx_make_request(vcpu, KVMX_REQ_TDP_ROOT);
	kvmx_vcpu_put(vcpu);

	mutex_lock(&vm->lock);
	r = -EEXIST;
	if (kvmx_vcpu_id_taken(vm, id))
		goto out_unlock;
	r = -EINVAL;
	if (atomic_read(&vm->nr_vcpus) >= KVMX_MAX_VCPUS)
		goto out_unlock;
	/* under vm->lock: the ring's size is fixed once a vCPU exists */
	r = kvmx_dirty_ring_alloc(vcpu);
	if (r)
		goto out_unlock;
	/*
	 * Under vm->lock, where KVM_CREATE_IRQCHIP checks that no vCPU
	 * exists: a vCPU has a LAPIC exactly when the VM has an irqchip.
	 * With one, the APs wait for INIT/SIPI (in-tree).
	 */
	r = kvmx_vcpu_apic_create(vcpu);
	if (r)
		goto out_unlock;
	if (vcpu->apic && id != vm->bsp_vcpu_id)
		vcpu->mp_state = KVM_MP_STATE_UNINITIALIZED;

	vcpu->index = atomic_read(&vm->nr_vcpus);
	snprintf(name, sizeof(name), "kvm-vcpu:%lu", id);
	/* The fd's reference on the VM: dropped by kvmx_vcpu_release. */
	kvmx_vm_get(vm);
	fd = anon_inode_getfd(name, &kvmx_vcpu_fops, vcpu, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		/* cannot drop the last reference: the VM fd holds one */
		kvmx_vm_put(vm);
		r = fd;
		goto out_unlock;
	}
	vm->vcpus[vcpu->index] = vcpu;
	/* readers walk vcpus[0 .. nr_vcpus) without vm->lock */
	atomic_set_release(&vm->nr_vcpus, vcpu->index + 1);
	vm->vcpu_created = true;
	mutex_unlock(&vm->lock);
	return fd;

out_unlock:
	mutex_unlock(&vm->lock);
	kvmx_backend->vcpu_free(vcpu);
out_free:
	kvmx_vcpu_free_memory(vcpu);
	return r;
}

int kvmx_vcpu_module_init(void)
{
	/* turn on the scheduler's preempt-notifier calls while we exist */
	preempt_notifier_inc();
	return 0;
}

void kvmx_vcpu_module_exit(void)
{
	preempt_notifier_dec();
}
