/* SPDX-License-Identifier: GPL-2.0-only */
/* The test binary's own loadable segments, for the long-mode loader. */
#ifndef KVMX_SELFTEST_ELF_IMAGE_H
#define KVMX_SELFTEST_ELF_IMAGE_H

#include <stdint.h>

/*
 * Walks the PT_LOAD segments of /proc/self/exe, calling @copy (if not
 * NULL) for each; returns how many there are and their [*lo, *hi) span.
 */
int elf_load_segments(uint64_t *lo, uint64_t *hi,
		      void (*copy)(void *ctx, uint64_t vaddr, int fd,
				   uint64_t off, uint64_t filesz,
				   uint64_t memsz),
		      void *ctx);

#endif /* KVMX_SELFTEST_ELF_IMAGE_H */
