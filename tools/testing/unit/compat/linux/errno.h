/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's errno names, for the pure components built in userspace. */
#include <errno.h>
