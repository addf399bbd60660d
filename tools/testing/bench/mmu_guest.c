// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MMU benchmark's guest: one write to the first word of every 4 KiB
 * page of its share of the measured slot, per pass.  The first write to a
 * page nobody has touched is a nested page fault (and on the host a page
 * fault of the VMM's memory); once dirty logging write-protects the slot,
 * the first write after each harvest is a write-protection fault.  Runs
 * under the selftest library's long-mode VM (no libc: guest.h).
 */
#include "guest.h"
#include "mmu.h"

void guest_touch(uint64_t gpa, uint64_t npages, uint64_t passes)
{
	uint64_t p, i, a;

	GUEST_SYNC(0);
	for (p = 1; p <= passes; p++) {
		for (i = 0, a = gpa; i < npages; i++, a += MMU_PAGE_SIZE)
			*(volatile uint64_t *)a = MMU_STAMP(p, a);
		GUEST_SYNC(p);
	}
}
