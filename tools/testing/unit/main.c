// SPDX-License-Identifier: GPL-2.0-only
/*
 * The unit test runner: runs each group, prints one PASS/FAIL/SKIP line
 * per test and a summary, and exits non-zero if anything failed.
 * Options: -v prints details of passing tests too; -s SEED changes the
 * random seed (the default is fixed, so runs repeat).
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"

unsigned int unit_passed, unit_failed, unit_skipped;
int unit_verbose;
u64 unit_seed = 0x6b766d78;	/* "kvmx" */

void unit_pass(const char *name)
{
	unit_passed++;
	printf("PASS %s\n", name);
	fflush(stdout);
}

void unit_fail(const char *name, const char *fmt, ...)
{
	va_list ap;

	unit_failed++;
	printf("FAIL %s ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void unit_skip(const char *name, const char *fmt, ...)
{
	va_list ap;

	unit_skipped++;
	printf("SKIP %s ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void unit_note(const char *fmt, ...)
{
	va_list ap;

	printf("  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			unit_verbose = 1;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			unit_seed = strtoull(argv[++i], NULL, 0);
		else
			only = argv[i];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!only || !strcmp(only, "decode"))
		emu_decode_tests();
	if (!only || !strcmp(only, "diff"))
		emu_diff_tests();
	if (!only || !strcmp(only, "fuzz"))
		emu_fuzz_tests();
	if (!only || !strcmp(only, "paging"))
		paging_tests();
	if (!only || !strcmp(only, "vector"))
		emu_vector_tests();
	printf("%u passed, %u failed, %u skipped\n", unit_passed, unit_failed,
	       unit_skipped);
	return unit_failed ? 1 : 0;
}
