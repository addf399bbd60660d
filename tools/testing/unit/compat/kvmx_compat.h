/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few kernel definitions the pure components (the emulator in
 * arch/x86/kvm/emulate, the device models in arch/x86/kvm/dev) use, for
 * building their files in userspace: fixed-width types, bool, and the
 * string functions.  the headers in compat/linux include this in place of the
 * kernel's headers of the same names.
 */
#ifndef KVMX_UNIT_COMPAT_H
#define KVMX_UNIT_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* the uapi spellings, for the ABI structures (include/uapi) */
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int8_t __s8;
typedef int16_t __s16;
typedef int32_t __s32;
typedef int64_t __s64;

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif

#endif /* KVMX_UNIT_COMPAT_H */
