/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Expands abi_list.h into the body of an array of struct abi_entry (include
 * abi_table.h first), with
 * whichever <linux/kvm.h> the including file was compiled against.
 */

#define ABI_SIZE(t)	{ ABI_KIND_SIZE, "sizeof(" #t ")", sizeof(t) },
#define ABI_OFF(t, m)	{ ABI_KIND_OFFSET, "offsetof(" #t ", " #m ")", offsetof(t, m) },
#define ABI_IOCTL(c)	{ ABI_KIND_IOCTL, #c, (unsigned long long)(c) },
#define ABI_CONST(c)	{ ABI_KIND_CONST, #c, (unsigned long long)(c) },
#include "abi_list.h"
#undef ABI_SIZE
#undef ABI_OFF
#undef ABI_IOCTL
#undef ABI_CONST
