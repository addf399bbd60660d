/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Assertions for library code and for host code outside a TEST() body.
 *
 * Inside a TEST() prefer the harness's ASSERT_*()/EXPECT_*(); these are for
 * code that has no _metadata: on failure they print where and why, with
 * errno, and abort(), which the kselftest harness reports as a failed test
 * ("terminated by assertion").
 */
#ifndef KVMX_SELFTEST_TEST_ASSERT_H
#define KVMX_SELFTEST_TEST_ASSERT_H

#include <stdarg.h>

void __attribute__((noreturn, format(printf, 4, 5)))
__test_assert_fail(const char *file, int line, const char *expr,
		   const char *fmt, ...);

#define TEST_ASSERT(cond, fmt, ...) do {				\
	if (!(cond))							\
		__test_assert_fail(__FILE__, __LINE__, #cond,		\
				   fmt, ##__VA_ARGS__);			\
} while (0)

#define TEST_FAIL(fmt, ...) \
	__test_assert_fail(__FILE__, __LINE__, "(failure)", fmt, ##__VA_ARGS__)

#endif /* KVMX_SELFTEST_TEST_ASSERT_H */
