// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/kvm (misc minor 232) and its system ioctls, plus kvm.ko's module
 * init and exit.  The device node exists only while a backend is
 * registered, so a VMM that finds /dev/kvm can create VMs.
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/fs.h>
#include <kvmx/core_private.h>

#define KVMX_MISC_MINOR 232	/* KVM_MINOR, fixed by the ABI */

static int kvmx_dev_open(struct inode *inode, struct file *filp)
{
	/*
	 * The misc core pinned kvm.ko for us; pin the backend too, so that
	 * an open /dev/kvm keeps the vendor module loaded as with in-tree
	 * KVM.  The reference is dropped in release.
	 */
	if (!kvmx_backend || !try_module_get(kvmx_backend->owner))
		return -ENODEV;
	filp->private_data = (void *)kvmx_backend->owner;
	return 0;
}

static int kvmx_dev_release(struct inode *inode, struct file *filp)
{
	module_put(filp->private_data);
	return 0;
}

long kvmx_dev_ioctl(struct file *filp, unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CREATE_VM:
		return kvmx_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		return kvmx_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : KVMX_VCPU_MMAP_PAGES * PAGE_SIZE;
	case KVM_GET_MSR_INDEX_LIST:
		return kvmx_get_msr_index_list(argp);
	case KVM_GET_SUPPORTED_CPUID:
		return kvmx_get_supported_cpuid(argp);
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
		return kvmx_get_msr_feature_index_list(argp);
	case KVM_GET_MSRS:
		return kvmx_dev_get_msrs(argp);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvmx_get_mce_cap_supported(argp);
	default:
		/* in-tree KVM answers unknown system ioctls with -EINVAL */
		return -EINVAL;
	}
}

static const struct file_operations kvmx_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= kvmx_dev_open,
	.release	= kvmx_dev_release,
	.unlocked_ioctl	= kvmx_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvmx_misc = {
	.minor	= KVMX_MISC_MINOR,
	.name	= "kvm",
	.fops	= &kvmx_dev_fops,
};

int kvmx_dev_register(void)
{
	int r = misc_register(&kvmx_misc);

	if (r)
		pr_err("kvm: cannot register /dev/kvm (misc minor %d): %d; is another KVM loaded?\n",
		       KVMX_MISC_MINOR, r);
	return r;
}

void kvmx_dev_unregister(void)
{
	misc_deregister(&kvmx_misc);
}

static int __init kvmx_init(void)
{
	kvmx_xsave_init();
	kvmx_msr_lists_init();
	return kvmx_vcpu_module_init();
}

static void __exit kvmx_exit(void)
{
	kvmx_vcpu_module_exit();
}

module_init(kvmx_init);
module_exit(kvmx_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("kvmx developers");
MODULE_DESCRIPTION("kvmx: vendor-neutral core of an out-of-tree KVM for x86-64");
