/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One ABI fact (a size, an offset, an ioctl number or a constant) as seen
 * by one header: the element of the tables built from abi_list.h.  Kept
 * free of <linux/kvm.h> so that both the system-header side and our side
 * can include it.
 */
#ifndef KVMX_SELFTEST_ABI_TABLE_H
#define KVMX_SELFTEST_ABI_TABLE_H

#include <stddef.h>

enum abi_kind { ABI_KIND_SIZE, ABI_KIND_OFFSET, ABI_KIND_IOCTL, ABI_KIND_CONST };

struct abi_entry {
	enum abi_kind kind;
	const char *name;
	unsigned long long value;
};

/* The system header's view, built in sysabi/abi_sys_values.c. */
extern const struct abi_entry abi_sys_values[];
extern const unsigned int abi_sys_count;

#endif /* KVMX_SELFTEST_ABI_TABLE_H */
