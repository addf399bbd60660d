/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device-model unit tests' small framework: each test file registers
 * its tests with DEVTEST(name) { ... } and checks with DEV_EXPECT(); the
 * runner (devtest_main.c) runs them all, or those whose name starts with
 * its argument, and prints one PASS/FAIL line each and the summary line.
 */
#ifndef KVMX_DEVTEST_H
#define KVMX_DEVTEST_H

#include <stdio.h>
#include <linux/types.h>

struct devtest {
	const char *name;
	void (*fn)(struct devtest *t);
	unsigned int failures;
	struct devtest *next;
};

void devtest_register(struct devtest *t);
void devtest_fail(struct devtest *t, const char *file, int line,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
extern int devtest_verbose;

#define DEVTEST(tname)							\
	static void devtest_fn_##tname(struct devtest *t);		\
	static struct devtest devtest_##tname = {			\
		.name = #tname, .fn = devtest_fn_##tname,		\
	};								\
	static void __attribute__((constructor)) devtest_reg_##tname(void) \
	{								\
		devtest_register(&devtest_##tname);			\
	}								\
	static void devtest_fn_##tname(struct devtest *t)

/* Records a failure (the test goes on) when @cond is false. */
#define DEV_EXPECT(cond, ...)						\
	do {								\
		if (!(cond))						\
			devtest_fail(t, __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* Two integers must be equal. */
#define DEV_EXPECT_EQ(want, got)					\
	do {								\
		unsigned long long __w = (want), __g = (got);		\
		if (__w != __g)						\
			devtest_fail(t, __FILE__, __LINE__,		\
				     "%s: want %#llx, got %#llx", #got, __w, \
				     __g);				\
	} while (0)

#endif /* KVMX_DEVTEST_H */
