/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a test file includes: the kselftest harness (extracted at build time
 * from Debian's linux-source), the host library, the guest half of the
 * library and x86 constants, plus errno-checking helpers for TEST() bodies.
 *
 * Include it from exactly one translation unit per binary (the harness
 * defines functions and globals).
 */
#ifndef KVMX_SELFTEST_KVMX_TEST_H
#define KVMX_SELFTEST_KVMX_TEST_H

#include <errno.h>
#include <string.h>

#include "kselftest_harness.h"

#include "kvm_util.h"
#include "guest.h"
#include "guest_ops.h"
#include "x86.h"

/*
 * SKIP() with the test's name in the reason: the 6.1 harness prints only
 * the reason on the TAP line of a skipped test ("ok 3 # SKIP reason").
 */
#define TEST_SKIP(statement, fmt, ...) \
	SKIP(statement, "%s: " fmt, _metadata->name, ##__VA_ARGS__)

/*
 * EXPECT_ERRNO(err, expr): expr (an ioctl() or other libc call) must fail
 * with -1 and errno == err.  ASSERT_ERRNO also stops the test.
 */
#define __CHECK_ERRNO(is_assert, err, expr) do {			\
	long __r;							\
	int __e;							\
	errno = 0;							\
	__r = (long)(expr);						\
	__e = errno;							\
	if (__r != -1) {						\
		TH_LOG("%s returned %ld, expected -1 with errno %s",	\
		       #expr, __r, strerrorname_np(err));		\
		_metadata->passed = 0;					\
		if (is_assert)						\
			__bail(1, _metadata);				\
	} else if (__e != (err)) {					\
		TH_LOG("%s failed with errno %d (%s), expected %d (%s)", \
		       #expr, __e, strerrorname_np(__e) ?: "?",		\
		       (err), strerrorname_np(err));			\
		_metadata->passed = 0;					\
		if (is_assert)						\
			__bail(1, _metadata);				\
	}								\
} while (0)

#define EXPECT_ERRNO(err, expr) __CHECK_ERRNO(0, err, expr)
#define ASSERT_ERRNO(err, expr) __CHECK_ERRNO(1, err, expr)

/* expr must return >= 0; logs errno otherwise. */
#define __CHECK_OK(is_assert, expr) ({					\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	if (__r < 0) {							\
		TH_LOG("%s failed: %ld, errno %d (%s)", #expr, __r,	\
		       errno, strerrorname_np(errno) ?: "?");		\
		_metadata->passed = 0;					\
		if (is_assert)						\
			__bail(1, _metadata);				\
	}								\
	__r;								\
})
#define EXPECT_OK(expr) __CHECK_OK(0, expr)
#define ASSERT_OK(expr) __CHECK_OK(1, expr)

#endif /* KVMX_SELFTEST_KVMX_TEST_H */
