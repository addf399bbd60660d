// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_IOEVENTFD: a guest write to a port or an MMIO address signals an
 * eventfd in the kernel instead of exiting to the VMM (virtio's doorbell).
 * Each ioeventfd is a device on the I/O bus (io_bus.c) that takes a write
 * whose address equals its own and, unless its length is 0 ("any
 * length"), whose length equals its own and, with
 * KVM_IOEVENTFD_FLAG_DATAMATCH, whose value equals its datamatch.  Reads
 * are never taken.  The rules for assigning and deassigning are in-tree
 * KVM's (Documentation/api.rst).
 */
#include <linux/eventfd.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <kvmx/core_private.h>

struct kvmx_ioeventfd {
	struct list_head link;		/* (l) vm->ioeventfds */
	struct kvmx_io_device dev;
	struct eventfd_ctx *eventfd;
	enum kvmx_bus bus;
	u64 addr;
	u32 len;			/* 0: any length */
	bool wildcard;			/* no datamatch */
	u64 datamatch;
};

static void ioeventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

static u64 ioeventfd_value(const void *val, u32 len)
{
	u8 v8;
	u16 v16;
	u32 v32;
	u64 v64;

	/* the access's bytes, little-endian as the guest wrote them */
	switch (len) {
	case 1:
		memcpy(&v8, val, 1);
		return v8;
	case 2:
		memcpy(&v16, val, 2);
		return v16;
	case 4:
		memcpy(&v32, val, 4);
		return v32;
	default:
		memcpy(&v64, val, 8);
		return v64;
	}
}

static int ioeventfd_write(struct kvmx_io_device *dev, struct kvmx_vcpu *vcpu,
			   u64 addr, u32 len, const void *val)
{
	struct kvmx_ioeventfd *p = container_of(dev, struct kvmx_ioeventfd,
						dev);

	if (addr != p->addr)
		return -EOPNOTSUPP;
	if (p->len) {
		if (len != p->len)
			return -EOPNOTSUPP;
		if (!p->wildcard && ioeventfd_value(val, len) != p->datamatch)
			return -EOPNOTSUPP;
	}
	ioeventfd_signal(p->eventfd);
	return 0;
}

static const struct kvmx_io_device_ops ioeventfd_ops = {
	.write = ioeventfd_write,
};

static enum kvmx_bus ioeventfd_bus(u32 flags)
{
	return (flags & KVM_IOEVENTFD_FLAG_PIO) ? KVMX_PIO_BUS : KVMX_MMIO_BUS;
}

/*
 * Two ioeventfds collide when one would take a write the other takes:
 * same bus and address, and either has any length, or both the same
 * length and either matches any value or both the same one.
 */
static bool ioeventfd_collides(const struct kvmx_ioeventfd *a,
			       const struct kvmx_ioeventfd *b)
{
	if (a->bus != b->bus || a->addr != b->addr)
		return false;
	if (!a->len || !b->len)
		return true;
	return a->len == b->len &&
	       (a->wildcard || b->wildcard || a->datamatch == b->datamatch);
}

static int ioeventfd_check_args(const struct kvm_ioeventfd *args)
{
	switch (args->len) {
	case 0:
	case 1:
	case 2:
	case 4:
	case 8:
		break;
	default:
		return -EINVAL;
	}
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	/* there is no virtio-ccw on x86; the fast-MMIO bit means nothing */
	if (args->flags & ~(KVM_IOEVENTFD_FLAG_DATAMATCH |
			    KVM_IOEVENTFD_FLAG_PIO))
		return -EINVAL;
	/* "any length" has no value to match */
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	return 0;
}

static void ioeventfd_fill(struct kvmx_ioeventfd *p,
			   const struct kvm_ioeventfd *args)
{
	p->bus = ioeventfd_bus(args->flags);
	p->addr = args->addr;
	p->len = args->len;
	p->wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	p->datamatch = p->wildcard ? 0 : args->datamatch;
}

static int ioeventfd_assign(struct kvmx_vm *vm,
			    const struct kvm_ioeventfd *args)
{
	struct kvmx_ioeventfd *p, *q;
	struct eventfd_ctx *ctx;
	int r;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		r = -ENOMEM;
		goto put_ctx;
	}
	ioeventfd_fill(p, args);
	p->eventfd = ctx;
	p->dev.ops = &ioeventfd_ops;

	mutex_lock(&vm->lock);
	list_for_each_entry(q, &vm->ioeventfds, link) {
		if (ioeventfd_collides(p, q)) {
			r = -EEXIST;
			goto unlock;
		}
	}
	r = kvmx_io_bus_register(vm, p->bus, p->addr, p->len, &p->dev);
	if (r)
		goto unlock;
	list_add_tail(&p->link, &vm->ioeventfds);
	mutex_unlock(&vm->lock);
	return 0;

unlock:
	mutex_unlock(&vm->lock);
	kfree(p);
put_ctx:
	eventfd_ctx_put(ctx);
	return r;
}

static void ioeventfd_free(struct kvmx_ioeventfd *p)
{
	eventfd_ctx_put(p->eventfd);
	kfree(p);
}

static int ioeventfd_deassign(struct kvmx_vm *vm,
			      const struct kvm_ioeventfd *args)
{
	struct kvmx_ioeventfd want, *p;
	struct eventfd_ctx *ctx;
	int r = -ENOENT;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	ioeventfd_fill(&want, args);

	mutex_lock(&vm->lock);
	list_for_each_entry(p, &vm->ioeventfds, link) {
		if (p->eventfd != ctx || p->bus != want.bus ||
		    p->addr != want.addr || p->len != want.len ||
		    p->wildcard != want.wildcard ||
		    (!p->wildcard && p->datamatch != want.datamatch))
			continue;
		/* no lookup sees it once this returns (a grace period) */
		kvmx_io_bus_unregister(vm, p->bus, &p->dev);
		list_del(&p->link);
		ioeventfd_free(p);
		r = 0;
		break;
	}
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(ctx);
	return r;
}

long kvmx_ioeventfd(struct kvmx_vm *vm, void __user *argp)
{
	struct kvm_ioeventfd args;
	int r;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	/* as in-tree, deassigning only looks for a match (else -ENOENT) */
	if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return ioeventfd_deassign(vm, &args);
	r = ioeventfd_check_args(&args);
	if (r)
		return r;
	return ioeventfd_assign(vm, &args);
}

/* VM teardown: no vCPU runs any more, the buses go after this. */
void kvmx_ioeventfd_destroy(struct kvmx_vm *vm)
{
	struct kvmx_ioeventfd *p, *tmp;

	list_for_each_entry_safe(p, tmp, &vm->ioeventfds, link) {
		list_del(&p->link);
		ioeventfd_free(p);
	}
}
