/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's errno names, for the pure components built in userspace.
 * Not <errno.h>: glibc's bits/errno.h includes <linux/errno.h>, which
 * would find this file again instead of the real one.
 */
#include <asm/errno.h>
