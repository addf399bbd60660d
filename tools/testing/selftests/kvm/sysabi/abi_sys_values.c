// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ABI as the SYSTEM's <linux/kvm.h> (Debian's linux-libc-dev) has it:
 * compiled without kvmx's include/uapi on the include path, so that the
 * abi_drift test can compare kvmx's headers against it.
 */
#include <linux/kvm.h>

#ifdef KVMX_UAPI_LINUX_KVM_H
#error "sysabi must be compiled against the system <linux/kvm.h>, not kvmx's"
#endif

#include "abi_table.h"

const struct abi_entry abi_sys_values[] = {
#include "abi_entries.h"
};

const unsigned int abi_sys_count = sizeof(abi_sys_values) / sizeof(abi_sys_values[0]);
