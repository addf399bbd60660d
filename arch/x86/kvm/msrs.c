// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MSR lists userspace can ask for.  KVM_GET_MSR_INDEX_LIST names the
 * MSRs a VMM must save and restore through KVM_GET/SET_MSRS; kvmx lists
 * exactly those it implements, which so far is none (EFER and the segment
 * bases travel in KVM_GET/SET_SREGS).
 */
#include <linux/uaccess.h>
#include <kvmx/core_private.h>

static const u32 *const kvmx_saved_msrs;
static const u32 kvmx_nr_saved_msrs;

long kvmx_get_msr_index_list(void __user *argp)
{
	struct kvm_msr_list __user *ulist = argp;
	struct kvm_msr_list list;
	u32 room;

	if (copy_from_user(&list, ulist, sizeof(list)))
		return -EFAULT;
	room = list.nmsrs;
	/* the count is written back even when the buffer is too small */
	list.nmsrs = kvmx_nr_saved_msrs;
	if (copy_to_user(ulist, &list, sizeof(list)))
		return -EFAULT;
	if (room < list.nmsrs)
		return -E2BIG;
	if (list.nmsrs &&
	    copy_to_user(ulist->indices, kvmx_saved_msrs,
			 list.nmsrs * sizeof(u32)))
		return -EFAULT;
	return 0;
}
