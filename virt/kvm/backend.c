// SPDX-License-Identifier: GPL-2.0-only
/*
 * Registration of the one vendor backend.  The vendor module calls
 * kvmx_register_backend() last in its init; only then do the per-CPU
 * hardware hooks and /dev/kvm appear.  The fds the core hands out carry the
 * vendor module as their owner, so an open /dev/kvm, VM or vCPU fd pins the
 * vendor module (and through it kvm.ko), exactly as with in-tree KVM.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <kvmx/core_private.h>

const struct kvmx_backend *kvmx_backend;
static DEFINE_MUTEX(kvmx_backend_lock);

static int kvmx_check_backend_ops(const struct kvmx_backend *b)
{
	int missing = 0;

#define KVMX_CHECK_OP(req, ret, op, args)				\
	if ((req) && !b->op) {						\
		pr_err("kvm: backend %s lacks the required op " #op "\n", \
		       b->name ? b->name : "?");			\
		missing++;						\
	}
	KVMX_BACKEND_OPS(KVMX_CHECK_OP)
#undef KVMX_CHECK_OP

	if (!b->owner || !b->tdp_format) {
		pr_err("kvm: backend without owner module or TDP format\n");
		missing++;
	}
	return missing ? -EINVAL : 0;
}

int kvmx_register_backend(const struct kvmx_backend *backend)
{
	int r;

	r = kvmx_check_backend_ops(backend);
	if (r)
		return r;

	mutex_lock(&kvmx_backend_lock);
	if (kvmx_backend) {
		pr_err("kvm: backend %s already registered, refusing %s\n",
		       kvmx_backend->name, backend->name);
		r = -EBUSY;
		goto out_unlock;
	}

	kvmx_backend = backend;
	kvmx_vm_fops.owner = backend->owner;
	kvmx_vcpu_fops.owner = backend->owner;

	r = kvmx_hardware_setup();
	if (r)
		goto out_clear;

	r = kvmx_dev_register();
	if (r)
		goto out_unsetup;

	pr_info("kvm: kvmx core ready with the %s backend\n", backend->name);
	mutex_unlock(&kvmx_backend_lock);
	return 0;

out_unsetup:
	kvmx_hardware_unsetup();
out_clear:
	kvmx_backend = NULL;
out_unlock:
	mutex_unlock(&kvmx_backend_lock);
	return r;
}
EXPORT_SYMBOL_GPL(kvmx_register_backend);

void kvmx_unregister_backend(const struct kvmx_backend *backend)
{
	mutex_lock(&kvmx_backend_lock);
	if (kvmx_backend == backend) {
		/*
		 * No VM can exist here: every VM fd holds a reference on the
		 * vendor module, whose exit is what calls us.
		 */
		kvmx_dev_unregister();
		kvmx_hardware_unsetup();
		kvmx_user_return_msrs_forget();
		kvmx_backend = NULL;
	}
	mutex_unlock(&kvmx_backend_lock);
}
EXPORT_SYMBOL_GPL(kvmx_unregister_backend);
