// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IRQFD: an eventfd that injects an interrupt into GSI @gsi when it
 * is signalled, with in-tree KVM's rules (Documentation/virt/kvm/api.rst):
 * a plain irqfd pulses the GSI (an MSI route fires on the rising edge), a
 * KVM_IRQFD_FLAG_RESAMPLE irqfd holds a level-triggered pin high until the
 * guest acknowledges it and then signals its resamplefd so the VMM can
 * check its device and signal again.  An irqfd goes away on
 * KVM_IRQFD_FLAG_DEASSIGN (by eventfd and GSI), when its eventfd is
 * closed, and with the VM.
 *
 * An irqfd is an entry on its eventfd's wait queue: the wakeup callback
 * runs with that queue's lock held, with interrupts off, and injects
 * right there (kvmx_irq_set() takes any context).  Taking an irqfd off
 * the queue (eventfd_ctx_remove_wait_queue()) is what makes the callback
 * impossible; it sleeps, so it runs in the VM's shutdown work queue for
 * every removal, which deassign and VM teardown flush before returning.
 *
 * Resampling: all the resample irqfds of one GSI share a resampler, an
 * ack notifier with resample set (the irqchip lowers the RESAMPLE source
 * before it runs), which signals each of their resamplefds.  Its list of
 * irqfds is read under RCU by the notifier and changed under the mutex.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

struct kvmx_irqfds {
	struct kvmx_vm *vm;			/* (o) */
	/* (lock) active irqfds; the wakeup callback takes it too */
	spinlock_t lock;
	struct list_head items;
	/*
	 * Serialises assign, deassign and resampler changes.  An irqfd is
	 * on items before it is on its eventfd's queue: the mutex keeps a
	 * deassign from removing it in between.
	 */
	struct mutex mutex;
	struct list_head resamplers;		/* (mutex) */
	struct workqueue_struct *wq;		/* (o) shutdowns */
};

struct kvmx_irqfd_resampler {
	struct kvmx_irqfds *fds;		/* (o) */
	struct list_head link;			/* (mutex) fds->resamplers */
	struct list_head irqfds;		/* RCU, (mutex) to change */
	struct kvmx_irq_ack_notifier ack;	/* (o) gsi, resample */
};

struct kvmx_irqfd {
	struct kvmx_irqfds *fds;		/* (o) */
	u32 gsi;				/* (o) */
	struct eventfd_ctx *eventfd;		/* (o) */
	struct list_head link;			/* (fds->lock) items */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct shutdown;
	/* (o) resample irqfds only */
	struct kvmx_irqfd_resampler *resampler;
	struct eventfd_ctx *resamplefd;
	struct list_head resample_link;		/* resampler->irqfds */
};

static void irqfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

static struct kvmx_irqfds *vm_irqfds(struct kvmx_vm *vm)
{
	/* set once under vm->lock, freed with the VM */
	return smp_load_acquire(&vm->irqfds);
}

static void irqfd_inject(struct kvmx_irqfd *irqfd)
{
	struct kvmx_vm *vm = irqfd->fds->vm;

	if (irqfd->resampler) {
		/* held until the guest's EOI (the resampler's ack) */
		kvmx_irq_set(vm, KVMX_IRQ_SRC_RESAMPLE, irqfd->gsi, 1, false);
	} else {
		kvmx_irq_set(vm, KVMX_IRQ_SRC_USER, irqfd->gsi, 1, false);
		kvmx_irq_set(vm, KVMX_IRQ_SRC_USER, irqfd->gsi, 0, false);
	}
}

/* ---- resamplers ---- */

static void resampler_acked(struct kvmx_irq_ack_notifier *n)
{
	struct kvmx_irqfd_resampler *r =
		container_of(n, struct kvmx_irqfd_resampler, ack);
	struct kvmx_irqfd *irqfd;

	rcu_read_lock();
	list_for_each_entry_rcu(irqfd, &r->irqfds, resample_link)
		irqfd_signal(irqfd->resamplefd);
	rcu_read_unlock();
}

/* Under fds->mutex: puts @irqfd on the resampler of its GSI. */
static int resampler_attach(struct kvmx_irqfds *fds, struct kvmx_irqfd *irqfd)
{
	struct kvmx_irqfd_resampler *r;

	lockdep_assert_held(&fds->mutex);
	list_for_each_entry(r, &fds->resamplers, link) {
		if (r->ack.gsi == irqfd->gsi)
			goto found;
	}
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->fds = fds;
	INIT_LIST_HEAD(&r->irqfds);
	r->ack.gsi = irqfd->gsi;
	r->ack.resample = true;
	r->ack.acked = resampler_acked;
	list_add(&r->link, &fds->resamplers);
	kvmx_irq_register_ack_notifier(fds->vm, &r->ack);
found:
	irqfd->resampler = r;
	list_add_rcu(&irqfd->resample_link, &r->irqfds);
	return 0;
}

static void resampler_detach(struct kvmx_irqfd *irqfd)
{
	struct kvmx_irqfd_resampler *r = irqfd->resampler;
	struct kvmx_irqfds *fds = irqfd->fds;

	mutex_lock(&fds->mutex);
	list_del_rcu(&irqfd->resample_link);
	if (list_empty(&r->irqfds)) {
		list_del(&r->link);
		/* waits for a running resampler_acked() */
		kvmx_irq_unregister_ack_notifier(fds->vm, &r->ack);
		/* nobody holds the line any more (in-tree does the same) */
		kvmx_irq_set(fds->vm, KVMX_IRQ_SRC_RESAMPLE, r->ack.gsi, 0,
			     false);
		kfree(r);
	} else {
		/* resampler_acked() may still be looking at irqfd */
		synchronize_rcu();
	}
	mutex_unlock(&fds->mutex);
}

/* ---- life of an irqfd ---- */

static void irqfd_free(struct kvmx_irqfd *irqfd)
{
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	eventfd_ctx_put(irqfd->eventfd);
	kfree(irqfd);
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct kvmx_irqfd *irqfd = container_of(work, struct kvmx_irqfd,
						shutdown);
	u64 cnt;

	/* takes the queue's lock: no wakeup callback runs after this */
	eventfd_ctx_remove_wait_queue(irqfd->eventfd, &irqfd->wait, &cnt);
	if (irqfd->resampler)
		resampler_detach(irqfd);
	irqfd_free(irqfd);
}

/* Under fds->lock: off the list, and on its way out. */
static void irqfd_deactivate(struct kvmx_irqfd *irqfd)
{
	list_del_init(&irqfd->link);
	queue_work(irqfd->fds->wq, &irqfd->shutdown);
}

static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct kvmx_irqfd *irqfd = container_of(wait, struct kvmx_irqfd, wait);
	__poll_t events = key_to_poll(key);
	unsigned long flags;
	u64 cnt;

	if (events & EPOLLIN) {
		/* consume the count, as in-tree: one injection per wakeup */
		eventfd_ctx_do_read(irqfd->eventfd, &cnt);
		irqfd_inject(irqfd);
	}
	if (events & EPOLLHUP) {
		/* the eventfd is being released */
		spin_lock_irqsave(&irqfd->fds->lock, flags);
		if (!list_empty(&irqfd->link))
			irqfd_deactivate(irqfd);
		spin_unlock_irqrestore(&irqfd->fds->lock, flags);
	}
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct kvmx_irqfd *irqfd = container_of(pt, struct kvmx_irqfd, pt);

	add_wait_queue(wqh, &irqfd->wait);
}

static struct kvmx_irqfds *irqfds_get(struct kvmx_vm *vm)
{
	struct kvmx_irqfds *fds;

	mutex_lock(&vm->lock);
	fds = vm->irqfds;
	if (fds)
		goto unlock;
	fds = kzalloc(sizeof(*fds), GFP_KERNEL_ACCOUNT);
	if (!fds)
		goto unlock;
	fds->wq = alloc_workqueue("kvmx-irqfd", 0, 0);
	if (!fds->wq) {
		kfree(fds);
		fds = NULL;
		goto unlock;
	}
	fds->vm = vm;
	spin_lock_init(&fds->lock);
	INIT_LIST_HEAD(&fds->items);
	mutex_init(&fds->mutex);
	INIT_LIST_HEAD(&fds->resamplers);
	smp_store_release(&vm->irqfds, fds);
unlock:
	mutex_unlock(&vm->lock);
	return fds;
}

static int irqfd_assign(struct kvmx_vm *vm, const struct kvm_irqfd *args)
{
	bool resample = args->flags & KVM_IRQFD_FLAG_RESAMPLE;
	struct kvmx_irqfd *irqfd, *tmp;
	struct kvmx_irqfds *fds;
	struct eventfd_ctx *ctx;
	struct file *file;
	__poll_t events;
	int r;

	/*
	 * in-tree x86: an irqfd needs the in-kernel LAPICs, resampling
	 * the in-kernel IOAPIC and PIC as well (not split)
	 */
	if (resample ? !kvmx_irqchip_full(vm) : !kvmx_irqchip_in_kernel(vm))
		return -EINVAL;
	fds = irqfds_get(vm);
	if (!fds)
		return -ENOMEM;
	irqfd = kzalloc(sizeof(*irqfd), GFP_KERNEL_ACCOUNT);
	if (!irqfd)
		return -ENOMEM;
	irqfd->fds = fds;
	irqfd->gsi = args->gsi;
	INIT_LIST_HEAD(&irqfd->link);
	INIT_LIST_HEAD(&irqfd->resample_link);
	INIT_WORK(&irqfd->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&irqfd->wait, irqfd_wakeup);
	init_poll_funcptr(&irqfd->pt, irqfd_queue_proc);

	file = fget(args->fd);
	if (!file) {
		r = -EBADF;
		goto free;
	}
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		r = PTR_ERR(ctx);
		goto fput;
	}
	irqfd->eventfd = ctx;
	if (resample) {
		ctx = eventfd_ctx_fdget(args->resamplefd);
		if (IS_ERR(ctx)) {
			r = PTR_ERR(ctx);
			goto put_ctx;
		}
		irqfd->resamplefd = ctx;
	}

	mutex_lock(&fds->mutex);
	/* one GSI per eventfd and VM */
	r = 0;
	spin_lock_irq(&fds->lock);
	list_for_each_entry(tmp, &fds->items, link) {
		if (tmp->eventfd == irqfd->eventfd)
			r = -EBUSY;
	}
	spin_unlock_irq(&fds->lock);
	if (!r && resample)
		r = resampler_attach(fds, irqfd);
	if (r) {
		mutex_unlock(&fds->mutex);
		goto put_ctx;
	}
	spin_lock_irq(&fds->lock);
	list_add_tail(&irqfd->link, &fds->items);
	spin_unlock_irq(&fds->lock);
	/*
	 * Onto the eventfd's queue; a count already there when the irqfd
	 * is assigned injects once, as in-tree (which leaves it unread).
	 */
	events = vfs_poll(file, &irqfd->pt);
	if (events & EPOLLIN)
		irqfd_inject(irqfd);
	mutex_unlock(&fds->mutex);
	fput(file);
	return 0;

put_ctx:
	if (irqfd->resamplefd)
		eventfd_ctx_put(irqfd->resamplefd);
	eventfd_ctx_put(irqfd->eventfd);
fput:
	fput(file);
free:
	kfree(irqfd);
	return r;
}

/* in-tree: 0 even when no irqfd matches; after it, no more injections */
static int irqfd_deassign(struct kvmx_vm *vm, const struct kvm_irqfd *args)
{
	struct kvmx_irqfd *irqfd, *tmp;
	struct kvmx_irqfds *fds;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	fds = vm_irqfds(vm);
	if (fds) {
		mutex_lock(&fds->mutex);
		spin_lock_irq(&fds->lock);
		list_for_each_entry_safe(irqfd, tmp, &fds->items, link) {
			if (irqfd->eventfd == ctx && irqfd->gsi == args->gsi)
				irqfd_deactivate(irqfd);
		}
		spin_unlock_irq(&fds->lock);
		mutex_unlock(&fds->mutex);
		flush_workqueue(fds->wq);
	}
	eventfd_ctx_put(ctx);
	return 0;
}

long kvmx_irqfd(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_irqfd args;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return irqfd_deassign(vm, &args);
	return irqfd_assign(vm, &args);
}

/* VM teardown, before the irqchip's: no ioctl runs any more. */
void kvmx_irqfd_destroy(struct kvmx_vm *vm)
{
	struct kvmx_irqfds *fds = vm->irqfds;
	struct kvmx_irqfd *irqfd, *tmp;

	if (!fds)
		return;
	spin_lock_irq(&fds->lock);
	list_for_each_entry_safe(irqfd, tmp, &fds->items, link)
		irqfd_deactivate(irqfd);
	spin_unlock_irq(&fds->lock);
	/* runs every shutdown, those of closed eventfds included */
	destroy_workqueue(fds->wq);
	WARN_ON_ONCE(!list_empty(&fds->resamplers));
	vm->irqfds = NULL;
	kfree(fds);
}
