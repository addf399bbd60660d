// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET_STATS_FD on VM and vCPU fds (KVM_CAP_BINARY_STATS_FD): the
 * binary layout (header, id string "kvm-<pid>" / "kvm-<pid>/vcpu-<id>",
 * descriptors each followed by a NUL-terminated name of name_size bytes,
 * then the data, all where the header says), the names and types of the
 * counters that in-tree KVM and kvmx both have, that counters move with
 * what the guest does (N OUTs raise io_exits by N, a HLT exit raises
 * halt_exits, a pending signal raises signal_exits, touching 4 KiB-backed
 * memory raises pages_4k), that the fd is read-only, keeps working after
 * the VM and vCPU fds are closed, and that reads past the end return 0
 * bytes (short at the end).  VMMs and tools (QEMU's query-stats, kvm_stat)
 * parse this layout generically, so any deviation breaks them.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmx_test.h"

/* The ABI's descriptor flags (include/uapi/linux/kvm.h of in-tree). */
#ifndef KVM_STATS_TYPE_SHIFT
#define KVM_STATS_TYPE_SHIFT		0
#define KVM_STATS_TYPE_MASK		(0xF << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_CUMULATIVE	(0x0 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_INSTANT		(0x1 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_PEAK		(0x2 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_TYPE_LOG_HIST		(0x4 << KVM_STATS_TYPE_SHIFT)
#define KVM_STATS_UNIT_SHIFT		4
#define KVM_STATS_UNIT_MASK		(0xF << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_NONE		(0x0 << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_UNIT_BOOLEAN		(0x4 << KVM_STATS_UNIT_SHIFT)
#define KVM_STATS_BASE_SHIFT		8
#define KVM_STATS_BASE_MASK		(0xF << KVM_STATS_BASE_SHIFT)
#define KVM_STATS_BASE_POW10		(0x0 << KVM_STATS_BASE_SHIFT)
#define KVM_STATS_BASE_POW2		(0x1 << KVM_STATS_BASE_SHIFT)
#endif

#define MB		(1UL << 20)
#define TEST_PORT	0x1234
#define NR_OUTS		50
#define TOUCH_GPA	(512 * MB)	/* above slot 0, inside the first GiB */
#define TOUCH_PAGES	64

/* A stats fd's header and descriptors, read once. */
struct stats {
	int fd;
	struct kvm_stats_header hdr;
	char id[KVM_STATS_NAME_SIZE + 1];
	uint8_t *descs;			/* num_desc * stride bytes */
	size_t stride;			/* descriptor + name */
	size_t data_size;		/* sum of size * 8 over descriptors */
};

static struct kvm_stats_desc *stats_desc(struct stats *s, uint32_t i)
{
	return (struct kvm_stats_desc *)(s->descs + i * s->stride);
}

static void stats_open(struct stats *s, int fd)
{
	uint32_t i;
	ssize_t n;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	TEST_ASSERT(fd >= 0, "KVM_GET_STATS_FD: %d errno %d", fd, errno);
	n = pread(fd, &s->hdr, sizeof(s->hdr), 0);
	TEST_ASSERT(n == sizeof(s->hdr), "header pread: %zd errno %d", n, errno);
	TEST_ASSERT(s->hdr.name_size > 0 && s->hdr.name_size <= 4096 &&
		    s->hdr.num_desc > 0 && s->hdr.num_desc < 100000,
		    "implausible header: name_size %u num_desc %u",
		    s->hdr.name_size, s->hdr.num_desc);
	n = pread(fd, s->id, KVM_STATS_NAME_SIZE, s->hdr.id_offset);
	TEST_ASSERT(n == KVM_STATS_NAME_SIZE, "id pread: %zd", n);
	s->stride = sizeof(struct kvm_stats_desc) + s->hdr.name_size;
	s->descs = calloc(s->hdr.num_desc, s->stride);
	TEST_ASSERT(s->descs, "out of memory");
	n = pread(fd, s->descs, s->hdr.num_desc * s->stride, s->hdr.desc_offset);
	TEST_ASSERT(n == (ssize_t)(s->hdr.num_desc * s->stride),
		    "descriptors pread: %zd", n);
	for (i = 0; i < s->hdr.num_desc; i++)
		s->data_size += stats_desc(s, i)->size * sizeof(uint64_t);
}

static void stats_close(struct stats *s)
{
	free(s->descs);
	close(s->fd);
}

static struct kvm_stats_desc *stats_find(struct stats *s, const char *name)
{
	uint32_t i;

	for (i = 0; i < s->hdr.num_desc; i++) {
		struct kvm_stats_desc *d = stats_desc(s, i);

		if (!strncmp(d->name, name, s->hdr.name_size))
			return d;
	}
	return NULL;
}

/* The first u64 of the named counter; fails the test if it is missing. */
static uint64_t stat_get(struct stats *s, const char *name)
{
	struct kvm_stats_desc *d = stats_find(s, name);
	uint64_t v;
	ssize_t n;

	TEST_ASSERT(d, "no stat named %s", name);
	n = pread(s->fd, &v, sizeof(v), s->hdr.data_offset + d->offset);
	TEST_ASSERT(n == sizeof(v), "pread of %s: %zd errno %d", name, n, errno);
	return v;
}

static int vm_stats_fd(struct kvm_vm *vm)
{
	return ioctl(vm->fd, KVM_GET_STATS_FD, NULL);
}

static int vcpu_stats_fd(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
}

TEST(capability)
{
	struct kvm_vm *vm = vm_create_bare();

	EXPECT_EQ(1, kvm_check_cap(KVM_CAP_BINARY_STATS_FD));
	EXPECT_EQ(1, vm_check_cap(vm, KVM_CAP_BINARY_STATS_FD));
	kvm_vm_free(vm);
}

/*
 * The layout in-tree KVM produces: the id right after the header, the
 * descriptors right after the id, the data right after the descriptors;
 * every name NUL-terminated inside name_size, names unique, flags made of
 * known type/unit/base values, data items 8-byte aligned, inside the data
 * block and not overlapping, and the file ending with the data block.
 */
static void check_layout(struct __test_metadata *_metadata, struct stats *s,
			 const char *want_id)
{
	struct kvm_stats_header *h = &s->hdr;
	uint8_t *used, *data;
	uint32_t i, j;

	EXPECT_EQ(0, h->flags);
	EXPECT_EQ(KVM_STATS_NAME_SIZE, h->name_size);
	EXPECT_EQ(sizeof(*h), h->id_offset);
	EXPECT_EQ(h->id_offset + h->name_size, h->desc_offset);
	EXPECT_EQ(h->desc_offset + h->num_desc * s->stride, h->data_offset);

	EXPECT_NE(NULL, memchr(s->id, 0, KVM_STATS_NAME_SIZE));
	EXPECT_STREQ(want_id, s->id);

	ASSERT_EQ(0, s->data_size % sizeof(uint64_t));
	used = calloc(1, s->data_size);
	ASSERT_NE(NULL, used);
	for (i = 0; i < h->num_desc; i++) {
		struct kvm_stats_desc *d = stats_desc(s, i);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
		uint32_t unit = d->flags & KVM_STATS_UNIT_MASK;
		uint32_t base = d->flags & KVM_STATS_BASE_MASK;
		size_t len = strnlen(d->name, h->name_size);

		ASSERT_LT(len, h->name_size) TH_LOG("descriptor %u: name not NUL-terminated", i);
		ASSERT_GT(len, 0) TH_LOG("descriptor %u: empty name", i);
		EXPECT_LE(type, KVM_STATS_TYPE_LOG_HIST) TH_LOG("%s", d->name);
		EXPECT_LE(unit, KVM_STATS_UNIT_BOOLEAN) TH_LOG("%s", d->name);
		EXPECT_LE(base, KVM_STATS_BASE_POW2) TH_LOG("%s", d->name);
		EXPECT_EQ(0, d->flags & ~(KVM_STATS_TYPE_MASK |
					  KVM_STATS_UNIT_MASK |
					  KVM_STATS_BASE_MASK)) TH_LOG("%s", d->name);
		EXPECT_GE(d->size, 1) TH_LOG("%s", d->name);
		EXPECT_EQ(0, d->offset % sizeof(uint64_t)) TH_LOG("%s", d->name);
		ASSERT_LE(d->offset + d->size * sizeof(uint64_t), s->data_size)
			TH_LOG("%s: offset %u size %u, data block %zu bytes",
			       d->name, d->offset, d->size, s->data_size);
		for (j = 0; j < d->size * sizeof(uint64_t); j++) {
			EXPECT_EQ(0, used[d->offset + j])
				TH_LOG("%s overlaps another stat", d->name);
			used[d->offset + j] = 1;
		}
		for (j = 0; j < i; j++)
			EXPECT_NE(0, strcmp(d->name, stats_desc(s, j)->name))
				TH_LOG("%s twice", d->name);
	}
	free(used);

	/* The data block reads whole, and the file ends right after it. */
	data = malloc(s->data_size + 8);
	ASSERT_NE(NULL, data);
	EXPECT_EQ((ssize_t)s->data_size,
		  pread(s->fd, data, s->data_size, h->data_offset));
	EXPECT_EQ(0, pread(s->fd, data, 8, h->data_offset + s->data_size));
	free(data);
}

TEST(vm_layout)
{
	struct kvm_vm *vm = vm_create_bare();
	char id[KVM_STATS_NAME_SIZE];
	struct stats s;

	snprintf(id, sizeof(id), "kvm-%d", getpid());
	stats_open(&s, vm_stats_fd(vm));
	check_layout(_metadata, &s, id);
	TH_LOG("VM: %u stats, data at %u", s.hdr.num_desc, s.hdr.data_offset);
	stats_close(&s);
	kvm_vm_free(vm);
}

TEST(vcpu_layout)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 3);
	char id[KVM_STATS_NAME_SIZE];
	struct stats s;

	snprintf(id, sizeof(id), "kvm-%d/vcpu-3", getpid());
	stats_open(&s, vcpu_stats_fd(vcpu));
	check_layout(_metadata, &s, id);
	TH_LOG("vCPU: %u stats, data at %u", s.hdr.num_desc, s.hdr.data_offset);
	stats_close(&s);
	kvm_vm_free(vm);
}

/* Two fds of one VM are independent files with the same contents. */
TEST(two_fds)
{
	struct kvm_vm *vm = vm_create_bare();
	struct stats a, b;
	uint8_t *ba, *bb;
	size_t size;

	stats_open(&a, vm_stats_fd(vm));
	stats_open(&b, vm_stats_fd(vm));
	EXPECT_NE(a.fd, b.fd);
	size = a.hdr.data_offset + a.data_size;
	ASSERT_EQ(size, b.hdr.data_offset + b.data_size);
	ba = malloc(size);
	bb = malloc(size);
	ASSERT_TRUE(ba && bb);
	EXPECT_EQ((ssize_t)size, pread(a.fd, ba, size, 0));
	EXPECT_EQ((ssize_t)size, pread(b.fd, bb, size, 0));
	EXPECT_EQ(0, memcmp(ba, bb, size));
	free(ba);
	free(bb);
	stats_close(&a);
	stats_close(&b);
	kvm_vm_free(vm);
}

/* A counter both KVMs have: its type, unit none, base 10, exponent 0. */
static void check_stat(struct __test_metadata *_metadata, struct stats *s,
		       const char *name, uint32_t type)
{
	struct kvm_stats_desc *d = stats_find(s, name);

	ASSERT_NE(NULL, d) TH_LOG("no stat named %s", name);
	EXPECT_EQ(type, d->flags & KVM_STATS_TYPE_MASK) TH_LOG("%s", name);
	EXPECT_EQ(KVM_STATS_UNIT_NONE, d->flags & KVM_STATS_UNIT_MASK) TH_LOG("%s", name);
	EXPECT_EQ(KVM_STATS_BASE_POW10, d->flags & KVM_STATS_BASE_MASK) TH_LOG("%s", name);
	EXPECT_EQ(0, d->exponent) TH_LOG("%s", name);
	EXPECT_EQ(1, d->size) TH_LOG("%s", name);
	EXPECT_EQ(0, d->bucket_size) TH_LOG("%s", name);
}

TEST(known_names)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	struct stats s;

	stats_open(&s, vm_stats_fd(vm));
	check_stat(_metadata, &s, "remote_tlb_flush", KVM_STATS_TYPE_CUMULATIVE);
	check_stat(_metadata, &s, "pages_4k", KVM_STATS_TYPE_INSTANT);
	check_stat(_metadata, &s, "pages_2m", KVM_STATS_TYPE_INSTANT);
	check_stat(_metadata, &s, "pages_1g", KVM_STATS_TYPE_INSTANT);
	/* the VM's and the vCPU's stats are separate sets */
	EXPECT_EQ(NULL, stats_find(&s, "exits"));
	stats_close(&s);

	stats_open(&s, vcpu_stats_fd(vcpu));
	check_stat(_metadata, &s, "exits", KVM_STATS_TYPE_CUMULATIVE);
	check_stat(_metadata, &s, "io_exits", KVM_STATS_TYPE_CUMULATIVE);
	check_stat(_metadata, &s, "halt_exits", KVM_STATS_TYPE_CUMULATIVE);
	check_stat(_metadata, &s, "signal_exits", KVM_STATS_TYPE_CUMULATIVE);
	EXPECT_EQ(NULL, stats_find(&s, "pages_4k"));
	/* nothing ran yet */
	EXPECT_EQ(0, stat_get(&s, "io_exits"));
	EXPECT_EQ(0, stat_get(&s, "halt_exits"));
	stats_close(&s);
	kvm_vm_free(vm);
}

static void guest_outs_then_hlt(void)
{
	int i;

	GUEST_SYNC(0);
	for (i = 0; i < NR_OUTS; i++)
		outb(TEST_PORT, i);
	GUEST_SYNC(1);
	asm volatile("hlt");
	GUEST_SYNC(2);
}

/*
 * Every OUT to a port no in-kernel device claims is one I/O exit to the
 * VMM, and so are the ucalls: io_exits grows by exactly that many, exits
 * by at least as many.  A HLT without an in-kernel LAPIC is one
 * KVM_EXIT_HLT and one halt_exits.
 */
TEST(io_and_halt_exits)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_outs_then_hlt);
	uint64_t io0, ex0, io1, ex1, halt1;
	struct stats s;
	int i;

	stats_open(&s, vcpu_stats_fd(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	io0 = stat_get(&s, "io_exits");
	ex0 = stat_get(&s, "exits");
	EXPECT_GE(io0, 1);		/* the ucall itself */
	EXPECT_GE(ex0, io0);
	for (i = 0; i < NR_OUTS; i++) {
		vcpu_run(vcpu);
		vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, TEST_PORT, 1);
		ASSERT_EQ(i, *(uint8_t *)vcpu_io_data(vcpu));
	}
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	io1 = stat_get(&s, "io_exits");
	ex1 = stat_get(&s, "exits");
	TH_LOG("io_exits %lu -> %lu, exits %lu -> %lu", io0, io1, ex0, ex1);
	EXPECT_EQ(io0 + NR_OUTS + 1, io1);
	EXPECT_GE(ex1 - ex0, NR_OUTS + 1);
	EXPECT_EQ(0, stat_get(&s, "halt_exits"));

	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_HLT);
	halt1 = stat_get(&s, "halt_exits");
	EXPECT_EQ(1, halt1);
	EXPECT_GT(stat_get(&s, "exits"), ex1);
	EXPECT_EQ(io1, stat_get(&s, "io_exits"));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	stats_close(&s);
	kvm_vm_free(vm);
}

static void on_usr1(int sig)
{
}

/*
 * A signal pending when KVM_RUN unblocks it (KVM_SET_SIGNAL_MASK) ends the
 * run with EINTR and KVM_EXIT_INTR: one signal_exits.
 */
TEST(signal_exits)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_outs_then_hlt);
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct {
		struct kvm_signal_mask m;
		uint64_t bits;
	} kmask = { .m.len = 8, .bits = 0 };
	uint64_t before;
	sigset_t set;
	struct stats s;

	stats_open(&s, vcpu_stats_fd(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	before = stat_get(&s, "signal_exits");
	EXPECT_EQ(0, before);

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_EQ(0, raise(SIGUSR1));
	vcpu_ioctl(vcpu, KVM_SET_SIGNAL_MASK, &kmask.m);

	EXPECT_ERRNO(EINTR, __vcpu_run(vcpu));
	EXPECT_EQ(KVM_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_EQ(before + 1, stat_get(&s, "signal_exits"));
	stats_close(&s);
	kvm_vm_free(vm);
}

/* The guest writes one byte in each of @npages pages from @gpa. */
static void guest_touch(uint64_t gpa, uint64_t npages)
{
	uint64_t i;

	GUEST_SYNC(0);
	for (i = 0; i < npages; i++)
		*(volatile uint8_t *)(gpa + i * PAGE_SIZE) = 1;
	GUEST_SYNC(1);
}

/*
 * Host memory that cannot be a huge page (MADV_NOHUGEPAGE) is mapped for
 * the guest with 4 KiB leaves: one more pages_4k per page touched.
 */
TEST(pages_4k_grows)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_touch);
	size_t size = TOUCH_PAGES * PAGE_SIZE;
	uint64_t p4k0, p4k1;
	struct stats s;
	void *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, madvise(mem, size, MADV_NOHUGEPAGE));
	vm_add_memslot(vm, 1, TOUCH_GPA, size, 0, mem);
	vcpu_set_args(vcpu, 2, TOUCH_GPA, TOUCH_PAGES);

	stats_open(&s, vm_stats_fd(vm));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	p4k0 = stat_get(&s, "pages_4k");
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	p4k1 = stat_get(&s, "pages_4k");
	TH_LOG("pages_4k %lu -> %lu", p4k0, p4k1);
	EXPECT_GE(p4k1, p4k0 + TOUCH_PAGES);
	EXPECT_EQ(1, *(uint8_t *)mem);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	stats_close(&s);
	kvm_vm_free(vm);
	munmap(mem, size);
}

/*
 * Read-only and close-on-exec: write fails with EBADF; pwrite with ESPIPE,
 * as the file is positional for reading only (in-tree sets FMODE_PREAD
 * alone, and pwrite checks that before the access mode).
 */
TEST(read_only)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	int fds[2] = { vm_stats_fd(vm), vcpu_stats_fd(vcpu) };
	uint64_t buf = 0;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_GE(fds[i], 0);
		EXPECT_EQ(O_RDONLY, fcntl(fds[i], F_GETFL) & O_ACCMODE);
		EXPECT_EQ(FD_CLOEXEC, fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
		EXPECT_ERRNO(EBADF, write(fds[i], &buf, sizeof(buf)));
		EXPECT_ERRNO(ESPIPE, pwrite(fds[i], &buf, sizeof(buf), 0));
		/* and the header is still what it was */
		EXPECT_EQ(sizeof(buf), pread(fds[i], &buf, sizeof(buf), 0));
		EXPECT_EQ(0, (uint32_t)buf);	/* flags */
		close(fds[i]);
	}
	kvm_vm_free(vm);
}

/*
 * The stats fds hold the VM: with the VM and vCPU fds closed they still
 * read, and show the counters as they were left.
 */
TEST(outlives_vm_fd)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_outs_then_hlt);
	struct stats vs, cs;
	uint64_t io;
	uint8_t hdr1[256], hdr2[256];
	int i;

	stats_open(&vs, vm_stats_fd(vm));
	stats_open(&cs, vcpu_stats_fd(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	for (i = 0; i < NR_OUTS; i++) {
		vcpu_run(vcpu);
		vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, TEST_PORT, 1);
	}
	io = stat_get(&cs, "io_exits");
	ASSERT_EQ(sizeof(hdr1), pread(vs.fd, hdr1, sizeof(hdr1), 0));

	vcpu_free(vcpu);
	close(vm->fd);
	vm->fd = -1;
	close(vm->kvm_fd);
	vm->kvm_fd = -1;

	EXPECT_EQ(io, stat_get(&cs, "io_exits"));
	EXPECT_GE(io, NR_OUTS + 1);
	EXPECT_EQ(sizeof(hdr2), pread(vs.fd, hdr2, sizeof(hdr2), 0));
	EXPECT_EQ(0, memcmp(hdr1, hdr2, sizeof(hdr1)));
	stat_get(&vs, "pages_4k");
	stats_close(&cs);
	stats_close(&vs);
	kvm_vm_free(vm);
}

/*
 * Reads at and past the end return 0 bytes, a read across the end is
 * short, and read() walks the file: small sequential reads put together
 * give what one pread of the whole file gives.
 */
TEST(read_past_end)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	int fds[2] = { vm_stats_fd(vm), vcpu_stats_fd(vcpu) };
	uint8_t *whole, *pieces, buf[64];
	int i;

	for (i = 0; i < 2; i++) {
		struct stats s;
		size_t end, got = 0;
		ssize_t n;

		stats_open(&s, fds[i]);
		end = s.hdr.data_offset + s.data_size;
		EXPECT_EQ(0, pread(s.fd, buf, sizeof(buf), end));
		EXPECT_EQ(0, pread(s.fd, buf, sizeof(buf), end + 1));
		EXPECT_EQ(0, pread(s.fd, buf, sizeof(buf), end + 100000));
		EXPECT_EQ(4, pread(s.fd, buf, sizeof(buf), end - 4));
		EXPECT_EQ(0, pread(s.fd, buf, 0, 0));

		whole = malloc(end + 64);
		pieces = malloc(end + 64);
		ASSERT_TRUE(whole && pieces);
		/* one read of more than there is: everything, short */
		EXPECT_EQ((ssize_t)end, pread(s.fd, whole, end + 64, 0));
		/* 7 bytes at a time from the start: every boundary crossed */
		while ((n = read(s.fd, pieces + got, 7)) > 0) {
			ASSERT_LE(got + n, end);
			got += n;
		}
		EXPECT_EQ(0, n);
		EXPECT_EQ(end, got);
		EXPECT_EQ(0, memcmp(whole, pieces, end));
		free(whole);
		free(pieces);
		stats_close(&s);
	}
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
