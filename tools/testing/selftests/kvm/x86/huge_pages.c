// SPDX-License-Identifier: GPL-2.0-only
/*
 * Huge pages are really used for guest memory: not only that a guest on
 * THP or hugetlbfs memory runs, but that KVM maps it with 2 MiB (or 1 GiB)
 * TDP leaves, seen in the VM's binary stats (pages_4k, pages_2m, pages_1g).
 * A slot whose guest and host addresses are both 2 MiB aligned, on memory
 * the host maps huge, gets 2 MiB leaves: for THP (MADV_HUGEPAGE, checked
 * in /proc/self/smaps) and hugetlbfs (MAP_HUGETLB), and a 1 GiB leaf for a
 * 1 GiB hugetlb page where the host can give one.  Dirty logging splits
 * them: once the guest has written, none of the slot's 2 MiB leaves is
 * left and its pages are 4 KiB leaves (6.1 and 6.12 both split eagerly
 * when logging is enabled; without eager splitting, the write faults
 * would); switching logging off lets the guest get 2 MiB leaves again.  A
 * slot whose guest address is 4 KiB off the host's 2 MiB alignment gets no
 * 2 MiB leaf at all, whatever the host uses.  MADV_DONTNEED of one 4 KiB
 * page inside a THP must invalidate the 2 MiB leaf over it: the guest then
 * reads zero there, its old data everywhere else, and a write lands in
 * the host's new page.  Skips only where the host has no THP or no huge
 * page to give.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_test.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#endif
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB	(21 << MAP_HUGE_SHIFT)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << MAP_HUGE_SHIFT)
#endif

#define MB		(1UL << 20)
#define GB		(1UL << 30)
#define SZ_2M		(2 * MB)
#define SLOT		1
/* Above slot 0, in the first GiB: the guest's page tables are warm there. */
#define TEST_GPA	(512 * MB)
#define TEST_SIZE	(4 * MB)	/* two 2 MiB pages */
#define TEST_PAGES	(TEST_SIZE / PAGE_SIZE)
#define GPA_1G		GB

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define THP_PMD_SIZE	"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"
#define HUGETLB_DIR	"/sys/kernel/mm/hugepages/hugepages-"

/* ---- guest: commands through a mailbox in guest memory ---------------- */

enum { OP_WRITE = 1, OP_CHECK, OP_DONE };

struct guest_cmd {
	uint64_t op;
	uint64_t gpa;
	uint64_t npages;
	uint64_t val;		/* page i holds val + i in its first u64 */
	uint64_t zero_page;	/* OP_CHECK: this page must read 0 */
};

static volatile struct guest_cmd gcmd;

static void guest_main(void)
{
	uint64_t i, want, got;

	for (;;) {
		GUEST_SYNC(0);
		switch (gcmd.op) {
		case OP_WRITE:
			for (i = 0; i < gcmd.npages; i++)
				*(volatile uint64_t *)(gcmd.gpa + i * PAGE_SIZE) =
					gcmd.val + i;
			break;
		case OP_CHECK:
			for (i = 0; i < gcmd.npages; i++) {
				want = i == gcmd.zero_page ? 0 : gcmd.val + i;
				got = *(volatile uint64_t *)(gcmd.gpa +
							     i * PAGE_SIZE);
				GUEST_ASSERT_MSG(got == want,
						 "page %lu: 0x%lx, want 0x%lx",
						 i, got, want);
			}
			break;
		default:
			return;
		}
	}
}

/* ---- host helpers --------------------------------------------------- */

static long read_long(const char *path)
{
	char buf[64];
	long v = -1;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if (sscanf(buf, "%ld", &v) != 1)
		return -1;
	return v;
}

static bool write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY);
	int len = snprintf(buf, sizeof(buf), "%ld\n", v);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, buf, len) == len;
	close(fd);
	return ok;
}

/* AnonHugePages (kB) of the mapping that contains @addr, -1 if none. */
static long smaps_anon_huge_kb(void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long a = (unsigned long)addr, lo, hi;
	bool in = false;
	char line[512];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

static bool cpu_has_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *tok, *save;

		if (strncmp(line, "flags", 5))
			continue;
		for (tok = strtok_r(strchr(line, ':') + 1, " \n", &save); tok;
		     tok = strtok_r(NULL, " \n", &save))
			if (!strcmp(tok, flag))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

FIXTURE(hp) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int stats_fd;
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *descs;
	size_t stride;
	void *map;			/* what to munmap at the end */
	size_t map_size;
	char nr_path[128];		/* hugetlb pool to restore, or "" */
	long saved_nr;
};

FIXTURE_SETUP(hp)
{
	ssize_t n;

	self->vm = vm_create_guest(&self->vcpu, guest_main);
	self->stats_fd = ioctl(self->vm->fd, KVM_GET_STATS_FD, NULL);
	ASSERT_GE(self->stats_fd, 0) TH_LOG("KVM_GET_STATS_FD: errno %d", errno);
	ASSERT_EQ(sizeof(self->hdr),
		  pread(self->stats_fd, &self->hdr, sizeof(self->hdr), 0));
	self->stride = sizeof(struct kvm_stats_desc) + self->hdr.name_size;
	self->descs = calloc(self->hdr.num_desc, self->stride);
	ASSERT_NE(NULL, self->descs);
	n = pread(self->stats_fd, self->descs, self->hdr.num_desc * self->stride,
		  self->hdr.desc_offset);
	ASSERT_EQ((ssize_t)(self->hdr.num_desc * self->stride), n);
	/* to the guest's idle loop */
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, 0);
}

FIXTURE_TEARDOWN(hp)
{
	kvm_vm_free(self->vm);
	if (self->map)
		munmap(self->map, self->map_size);
	/* the pool goes back to what it was once our pages are unmapped */
	if (self->nr_path[0] && !write_long(self->nr_path, self->saved_nr))
		TH_LOG("could not restore %s to %ld", self->nr_path,
		       self->saved_nr);
	close(self->stats_fd);
	free(self->descs);
}

static uint64_t vm_stat(FIXTURE_DATA(hp) *self, const char *name)
{
	uint32_t i;

	for (i = 0; i < self->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)
			((uint8_t *)self->descs + i * self->stride);
		uint64_t v;

		if (strncmp(d->name, name, self->hdr.name_size))
			continue;
		TEST_ASSERT(pread(self->stats_fd, &v, sizeof(v),
				  self->hdr.data_offset + d->offset) == sizeof(v),
			    "pread of %s", name);
		return v;
	}
	TEST_ASSERT(false, "no VM stat named %s", name);
	return 0;
}

struct pages {
	uint64_t p4k, p2m, p1g;
};

static struct pages get_pages(FIXTURE_DATA(hp) *self)
{
	return (struct pages){ vm_stat(self, "pages_4k"),
			       vm_stat(self, "pages_2m"),
			       vm_stat(self, "pages_1g") };
}

static void guest_do(FIXTURE_DATA(hp) *self, uint64_t op, uint64_t gpa,
		     uint64_t npages, uint64_t val, uint64_t zero_page)
{
	struct guest_cmd c = { op, gpa, npages, val, zero_page };

	memcpy(addr_gpa2hva(self->vm, (uint64_t)(uintptr_t)&gcmd), &c,
	       sizeof(c));
	vcpu_expect_ucall(self->vcpu, UCALL_SYNC, 0);
}

#define NO_ZERO_PAGE	(~0ULL)

/*
 * @size bytes of THP memory at a 2 MiB-aligned address, prefaulted and
 * each 2 MiB of it checked huge in smaps; NULL (and *why) if the host
 * cannot give that.
 */
static void *thp_alloc(FIXTURE_DATA(hp) *self, size_t size, const char **why)
{
	char mode[128] = "";
	uint8_t *raw, *p;
	size_t i;
	long kb;
	FILE *f;

	f = fopen(THP_ENABLED, "r");
	if (!f || !fgets(mode, sizeof(mode), f)) {
		*why = "no " THP_ENABLED;
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	if (strstr(mode, "[never]")) {
		*why = "transparent huge pages are disabled ([never])";
		return NULL;
	}
	if (read_long(THP_PMD_SIZE) != (long)SZ_2M) {
		*why = "THP PMD size is not 2 MiB";
		return NULL;
	}
	self->map_size = size + SZ_2M;
	raw = mmap(NULL, self->map_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		*why = "mmap failed";
		return NULL;
	}
	self->map = raw;
	p = (uint8_t *)ALIGN_UP((uintptr_t)raw, SZ_2M);
	if (madvise(p, size, MADV_HUGEPAGE)) {
		*why = "madvise(MADV_HUGEPAGE) failed";
		return NULL;
	}
	/* one write per 2 MiB faults in a whole THP where one can be had */
	for (i = 0; i < size; i += SZ_2M)
		p[i] = 0;
	kb = smaps_anon_huge_kb(p);
	if (kb < (long)(size >> 10)) {
		static char buf[128];

		snprintf(buf, sizeof(buf),
			 "the host gave %ld kB of THP for %zu kB (AnonHugePages)",
			 kb, size >> 10);
		*why = buf;
		return NULL;
	}
	return p;
}

/*
 * @size bytes of hugetlb memory in pages of @pagesz, prefaulted, growing
 * the pool (and restoring it in the teardown) if it has too few free.
 */
static void *hugetlb_alloc(FIXTURE_DATA(hp) *self, size_t pagesz, size_t size,
			   const char **why)
{
	static char buf[320];
	char path[160];
	long nr, free_pages, need = size / pagesz;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		    (pagesz == GB ? MAP_HUGE_1GB : MAP_HUGE_2MB);
	uint8_t *p;
	size_t i;

	snprintf(path, sizeof(path), HUGETLB_DIR "%zukB/free_hugepages",
		 pagesz >> 10);
	free_pages = read_long(path);
	if (free_pages < 0) {
		snprintf(buf, sizeof(buf), "no %zu kB hugetlb pages here (%s)",
			 pagesz >> 10, path);
		*why = buf;
		return NULL;
	}
	if (free_pages < need) {
		snprintf(self->nr_path, sizeof(self->nr_path),
			 HUGETLB_DIR "%zukB/nr_hugepages", pagesz >> 10);
		nr = read_long(self->nr_path);
		self->saved_nr = nr;
		if (nr < 0 || !write_long(self->nr_path, nr + need - free_pages)) {
			snprintf(buf, sizeof(buf), "cannot grow %s (errno %d)",
				 self->nr_path, errno);
			*why = buf;
			if (nr < 0)
				self->nr_path[0] = 0;
			return NULL;
		}
		free_pages = read_long(path);
		if (free_pages < need) {
			snprintf(buf, sizeof(buf),
				 "the host has %ld free %zu kB huge pages, %ld needed",
				 free_pages, pagesz >> 10, need);
			*why = buf;
			return NULL;
		}
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		snprintf(buf, sizeof(buf), "mmap(MAP_HUGETLB) of %zu kB pages: errno %d",
			 pagesz >> 10, errno);
		*why = buf;
		return NULL;
	}
	self->map = p;
	self->map_size = size;
	for (i = 0; i < size; i += pagesz)
		p[i] = 0;
	return p;
}

/*
 * The guest writes every 4 KiB page of the slot: it must have got 2 MiB
 * leaves, one per 2 MiB (and not 4 KiB ones: far fewer new pages_4k than
 * the 512 a 4 KiB-mapped 2 MiB region would add).
 */
static void expect_huge_mapped(struct __test_metadata *_metadata,
			       FIXTURE_DATA(hp) *self, uint64_t val)
{
	struct pages a = get_pages(self), b;

	guest_do(self, OP_WRITE, TEST_GPA, TEST_PAGES, val, 0);
	b = get_pages(self);
	TH_LOG("guest wrote %lu pages: pages_4k %lu -> %lu, pages_2m %lu -> %lu",
	       TEST_PAGES, a.p4k, b.p4k, a.p2m, b.p2m);
	EXPECT_GE(b.p2m, a.p2m + TEST_SIZE / SZ_2M);
	EXPECT_LT(b.p4k, a.p4k + 512);
	guest_do(self, OP_CHECK, TEST_GPA, TEST_PAGES, val, NO_ZERO_PAGE);
}

TEST_F(hp, thp_uses_2m)
{
	const char *why;
	uint8_t *mem = thp_alloc(self, TEST_SIZE, &why);

	if (!mem)
		TEST_SKIP(return, "%s", why);
	vm_add_memslot(self->vm, SLOT, TEST_GPA, TEST_SIZE, 0, mem);
	expect_huge_mapped(_metadata, self, 0x1000);
	EXPECT_EQ(0x1000 + 3, *(uint64_t *)(mem + 3 * PAGE_SIZE));
}

TEST_F(hp, hugetlb_uses_2m)
{
	const char *why;
	uint8_t *mem = hugetlb_alloc(self, SZ_2M, TEST_SIZE, &why);

	if (!mem)
		TEST_SKIP(return, "%s", why);
	vm_add_memslot(self->vm, SLOT, TEST_GPA, TEST_SIZE, 0, mem);
	expect_huge_mapped(_metadata, self, 0x2000);
	EXPECT_EQ(0x2000 + 700, *(uint64_t *)(mem + 700 * PAGE_SIZE));
}

/* One 1 GiB hugetlb page at a 1 GiB-aligned guest address: a 1 GiB leaf. */
TEST_F(hp, hugetlb_uses_1g)
{
	struct pages a, b;
	const char *why;
	uint8_t *mem;

	if (!cpu_has_flag("pdpe1gb"))
		TEST_SKIP(return, "the host CPU has no 1 GiB pages (pdpe1gb)");
	mem = hugetlb_alloc(self, GB, GB, &why);
	if (!mem)
		TEST_SKIP(return, "%s", why);
	vm_add_memslot(self->vm, SLOT, GPA_1G, GB, 0, mem);
	a = get_pages(self);
	guest_do(self, OP_WRITE, GPA_1G, 16, 0x3000, 0);
	b = get_pages(self);
	TH_LOG("pages_4k %lu -> %lu, pages_2m %lu -> %lu, pages_1g %lu -> %lu",
	       a.p4k, b.p4k, a.p2m, b.p2m, a.p1g, b.p1g);
	EXPECT_GE(b.p1g, a.p1g + 1);
	EXPECT_EQ(a.p2m, b.p2m);
	guest_do(self, OP_CHECK, GPA_1G, 16, 0x3000, NO_ZERO_PAGE);
	EXPECT_EQ(0x3000 + 15, *(uint64_t *)(mem + 15 * PAGE_SIZE));
}

/*
 * Dirty logging tracks 4 KiB pages, so KVM maps the slot with 4 KiB
 * leaves while it is on.  6.1 and 6.12 split the 2 MiB leaves when
 * logging is enabled (eager_page_split); either way, once the guest has
 * written every page, the slot's two 2 MiB leaves are gone and its 1024
 * pages are 4 KiB leaves.  With logging off again, new faults may use
 * 2 MiB leaves again (both kernels drop the collapsible 4 KiB leaves).
 */
TEST_F(hp, dirty_log_splits)
{
	struct pages huge, on, written, off;
	const char *why;
	uint8_t *mem = thp_alloc(self, TEST_SIZE, &why);

	if (!mem)
		TEST_SKIP(return, "%s", why);
	vm_add_memslot(self->vm, SLOT, TEST_GPA, TEST_SIZE, 0, mem);
	expect_huge_mapped(_metadata, self, 0x4000);
	huge = get_pages(self);

	ASSERT_EQ(0, __vm_set_user_memory_region(self->vm, SLOT,
						 KVM_MEM_LOG_DIRTY_PAGES,
						 TEST_GPA, TEST_SIZE, mem));
	on = get_pages(self);
	guest_do(self, OP_WRITE, TEST_GPA, TEST_PAGES, 0x5000, 0);
	written = get_pages(self);
	TH_LOG("pages_2m %lu, logging on %lu, written %lu; pages_4k %lu, %lu, %lu",
	       huge.p2m, on.p2m, written.p2m, huge.p4k, on.p4k, written.p4k);
	EXPECT_LE(written.p2m + TEST_SIZE / SZ_2M, huge.p2m);
	EXPECT_GE(written.p4k, huge.p4k + TEST_PAGES);
	guest_do(self, OP_CHECK, TEST_GPA, TEST_PAGES, 0x5000, NO_ZERO_PAGE);
	EXPECT_EQ(0x5000 + 1023, *(uint64_t *)(mem + 1023 * PAGE_SIZE));

	ASSERT_EQ(0, __vm_set_user_memory_region(self->vm, SLOT, 0, TEST_GPA,
						 TEST_SIZE, mem));
	guest_do(self, OP_WRITE, TEST_GPA, TEST_PAGES, 0x6000, 0);
	off = get_pages(self);
	TH_LOG("logging off, written: pages_2m %lu, pages_4k %lu",
	       off.p2m, off.p4k);
	EXPECT_GE(off.p2m, written.p2m + TEST_SIZE / SZ_2M);
	guest_do(self, OP_CHECK, TEST_GPA, TEST_PAGES, 0x6000, NO_ZERO_PAGE);
}

/*
 * Guest address 2 MiB aligned, host address 4 KiB past a 2 MiB boundary:
 * no guest 2 MiB region is one host huge page, so KVM may not map any of
 * the slot with a 2 MiB leaf, THP underneath or not.
 */
TEST_F(hp, misaligned_slot_uses_4k)
{
	struct pages a, b;
	const char *why;
	uint8_t *mem = thp_alloc(self, TEST_SIZE + SZ_2M, &why);

	if (!mem)
		TEST_SKIP(return, "%s", why);
	vm_add_memslot(self->vm, SLOT, TEST_GPA, TEST_SIZE, 0, mem + PAGE_SIZE);
	a = get_pages(self);
	guest_do(self, OP_WRITE, TEST_GPA, TEST_PAGES, 0x7000, 0);
	b = get_pages(self);
	TH_LOG("pages_4k %lu -> %lu, pages_2m %lu -> %lu",
	       a.p4k, b.p4k, a.p2m, b.p2m);
	EXPECT_EQ(a.p2m, b.p2m);
	EXPECT_GE(b.p4k, a.p4k + TEST_PAGES);
	guest_do(self, OP_CHECK, TEST_GPA, TEST_PAGES, 0x7000, NO_ZERO_PAGE);
	EXPECT_EQ(0x7000, *(uint64_t *)(mem + PAGE_SIZE));
	/* the THPs were still there while the guest wrote */
	EXPECT_GT(smaps_anon_huge_kb(mem), 0);
}

/*
 * MADV_DONTNEED of one 4 KiB page inside a THP the guest has as a 2 MiB
 * leaf: the host splits its mapping and frees that page, and KVM must drop
 * the leaf over it.  The guest reads zero there and its data elsewhere,
 * and its next write there reaches the host's new page.
 */
TEST_F(hp, partial_invalidation)
{
	const uint64_t hole = 512 + 5;	/* in the second 2 MiB page */
	struct pages a, b;
	const char *why;
	uint8_t *mem = thp_alloc(self, TEST_SIZE, &why);
	uint64_t i;

	if (!mem)
		TEST_SKIP(return, "%s", why);
	vm_add_memslot(self->vm, SLOT, TEST_GPA, TEST_SIZE, 0, mem);
	expect_huge_mapped(_metadata, self, 0x8000);

	a = get_pages(self);
	ASSERT_EQ(0, madvise(mem + hole * PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED));
	guest_do(self, OP_CHECK, TEST_GPA, TEST_PAGES, 0x8000, hole);
	b = get_pages(self);
	TH_LOG("after MADV_DONTNEED and guest reads: pages_4k %lu -> %lu, pages_2m %lu -> %lu",
	       a.p4k, b.p4k, a.p2m, b.p2m);
	EXPECT_LE(b.p2m, a.p2m);

	guest_do(self, OP_WRITE, TEST_GPA, TEST_PAGES, 0x9000, 0);
	for (i = 0; i < TEST_PAGES; i++)
		ASSERT_EQ(0x9000 + i, *(uint64_t *)(mem + i * PAGE_SIZE))
			TH_LOG("host page %lu", i);
	guest_do(self, OP_CHECK, TEST_GPA, TEST_PAGES, 0x9000, NO_ZERO_PAGE);
}

TEST_HARNESS_MAIN
