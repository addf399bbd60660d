/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Pulls in kvmx's own ABI header.  The kernel's include paths come before
 * ours on the compiler command line, so a plain <linux/kvm.h> would pick the
 * kernel's copy; a path relative to this file always picks ours.
 */
#ifndef KVMX_ABI_H
#define KVMX_ABI_H

#include "../../../../../include/uapi/linux/kvm.h"

#endif
