// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-model unit test runner: runs every registered test (or the
 * ones whose name starts with argv[1]; -v prints more), one PASS/FAIL line
 * each, then "N passed, N failed, N skipped"; exits non-zero on failure.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "devtest.h"

static struct devtest *tests, **tail = &tests;
int devtest_verbose;

void devtest_register(struct devtest *t)
{
	*tail = t;
	tail = &t->next;
}

void devtest_fail(struct devtest *t, const char *file, int line,
		  const char *fmt, ...)
{
	va_list ap;

	/* the first few failures of a test are enough to debug it */
	if (t->failures++ >= 5)
		return;
	printf("  %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int main(int argc, char **argv)
{
	unsigned int passed = 0, failed = 0;
	const char *only = NULL;
	struct devtest *t;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			devtest_verbose = 1;
		else
			only = argv[i];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (t = tests; t; t = t->next) {
		if (only && strncmp(t->name, only, strlen(only)))
			continue;
		t->fn(t);
		if (t->failures) {
			failed++;
			printf("FAIL dev.%s (%u checks failed)\n", t->name,
			       t->failures);
		} else {
			passed++;
			printf("PASS dev.%s\n", t->name);
		}
	}
	printf("%u passed, %u failed, 0 skipped\n", passed, failed);
	return failed ? 1 : 0;
}
