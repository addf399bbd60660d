// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmx-vmm: the smallest useful VMM for /dev/kvm.
 *
 * It creates a VM with one memory slot and one vCPU, copies a flat
 * real-mode guest image into guest memory, and runs the vCPU.  It models
 * just enough of a 16550 UART at COM1 (0x3f8) for the guest to print: a
 * write to the transmit register prints the byte on stdout, a read of the
 * line status register says "transmitter empty", every other UART register
 * reads 0 and ignores writes.  The run ends when the guest executes HLT
 * (exit status 0); any other exit is reported with its details and ends
 * the run with a non-zero status.
 *
 * It uses nothing but the /dev/kvm ABI of include/uapi (built with
 * -I include/uapi), so it runs the same on kvmx and on Linux's KVM.
 *
 * With no image argument the built-in guest (guest.S) runs, and the VMM
 * also checks that it printed exactly KVMX_GREETING.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "greeting.h"

extern const unsigned char guest_image_start[], guest_image_end[];

#define DEFAULT_MEM_SIZE	(1UL << 20)	/* 1 MiB: all of real mode */
#define DEFAULT_TIMEOUT		10		/* seconds */
#define TSS_ADDR		0xfffbd000UL	/* VMX real-mode helper pages */
#define OUTPUT_MAX		4096		/* guest output kept for the check */

struct vmm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	unsigned char *mem;
	size_t mem_size;
	int verbose;
	/* What the guest printed, for the greeting check. */
	char output[OUTPUT_MAX];
	size_t output_len;
};

static volatile sig_atomic_t timed_out;

/* Setup failures end the run with status 2; with_errno adds strerror. */
static void fail(int with_errno, const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	fputs("kvmx-vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(2);
}

#define die(...)	fail(0, __VA_ARGS__)
#define pdie(...)	fail(1, __VA_ARGS__)

static void note(const struct vmm *v, const char *fmt, ...)
{
	va_list ap;

	if (!v->verbose)
		return;
	fputs("kvmx-vmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The alarm only needs to interrupt KVM_RUN (it returns -EINTR). */
static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r;

	r = ioctl(fd, req, arg);
	if (r < 0)
		pdie("%s", what);
	return r;
}

static void load_image(struct vmm *v, const char *path)
{
	const unsigned char *src = guest_image_start;
	size_t len = (size_t)(guest_image_end - guest_image_start);
	unsigned char *buf = NULL;

	if (path) {
		struct stat st;
		int fd = open(path, O_RDONLY);

		if (fd < 0 || fstat(fd, &st) < 0)
			pdie("cannot open guest image %s", path);
		len = (size_t)st.st_size;
		buf = malloc(len ? len : 1);
		if (!buf)
			die("out of memory");
		if (read(fd, buf, len) != (ssize_t)len)
			pdie("cannot read guest image %s", path);
		close(fd);
		src = buf;
	}
	if (len > v->mem_size - GUEST_LOAD_ADDR)
		die("guest image of %zu bytes does not fit in guest memory", len);
	memcpy(v->mem + GUEST_LOAD_ADDR, src, len);
	note(v, "loaded %zu bytes of guest code at 0x%x", len, GUEST_LOAD_ADDR);
	free(buf);
}

static void setup_vm(struct vmm *v)
{
	struct kvm_userspace_memory_region region;
	int version, size;

	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0)
		pdie("cannot open /dev/kvm");

	version = xioctl(v->kvm_fd, KVM_GET_API_VERSION, NULL, "KVM_GET_API_VERSION");
	if (version != KVM_API_VERSION)
		die("KVM API version %d, expected %d", version, KVM_API_VERSION);
	if (ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		die("KVM_CAP_USER_MEMORY is not supported");

	v->vm_fd = xioctl(v->kvm_fd, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	note(v, "created VM (API version %d)", version);

	/*
	 * Intel CPUs without "unrestricted guest" need three pages for the
	 * real-mode TSS; every VMM provides them, so do as they do.  It is a
	 * no-op elsewhere; a failure is not fatal for the other cases.
	 */
	if (ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(v->vm_fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0)
		note(v, "KVM_SET_TSS_ADDR failed: %s", strerror(errno));

	v->mem = mmap(NULL, v->mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->mem == MAP_FAILED)
		pdie("cannot map %zu bytes of guest memory", v->mem_size);

	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = v->mem_size;
	region.userspace_addr = (uintptr_t)v->mem;
	xioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &region,
	       "KVM_SET_USER_MEMORY_REGION");
	note(v, "memslot 0: %zu KiB at guest physical 0", v->mem_size >> 10);

	v->vcpu_fd = xioctl(v->vm_fd, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
	size = xioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, NULL,
		      "KVM_GET_VCPU_MMAP_SIZE");
	if ((size_t)size < sizeof(struct kvm_run))
		die("vCPU mmap size %d is smaller than struct kvm_run", size);
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu_fd, 0);
	if (v->run == MAP_FAILED)
		pdie("cannot mmap the vCPU's kvm_run");
	note(v, "created vCPU 0 (kvm_run: %d bytes)", size);
}

static void set_real_mode_entry(struct vmm *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	/*
	 * Start from the reset state KVM gives us and only move the code
	 * segment: CS at base 0 instead of the reset vector's 0xffff0000.
	 */
	xioctl(v->vcpu_fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	sregs.ds.base = sregs.es.base = sregs.ss.base = 0;
	sregs.ds.selector = sregs.es.selector = sregs.ss.selector = 0;
	xioctl(v->vcpu_fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");

	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_LOAD_ADDR;
	regs.rsp = 0xfff0;
	regs.rflags = 0x2;		/* bit 1 is reserved, always set */
	xioctl(v->vcpu_fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

static void dump_state(struct vmm *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->vcpu_fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(v->vcpu_fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(stderr, "kvmx-vmm: cannot read vCPU state: %s\n",
			strerror(errno));
		return;
	}
	fprintf(stderr,
		"  rip=%#llx rsp=%#llx rflags=%#llx\n"
		"  rax=%#llx rbx=%#llx rcx=%#llx rdx=%#llx rsi=%#llx rdi=%#llx\n"
		"  cs=%#x(base %#llx) ds=%#x ss=%#x cr0=%#llx cr4=%#llx efer=%#llx\n",
		(unsigned long long)r.rip, (unsigned long long)r.rsp,
		(unsigned long long)r.rflags, (unsigned long long)r.rax,
		(unsigned long long)r.rbx, (unsigned long long)r.rcx,
		(unsigned long long)r.rdx, (unsigned long long)r.rsi,
		(unsigned long long)r.rdi, s.cs.selector,
		(unsigned long long)s.cs.base, s.ds.selector, s.ss.selector,
		(unsigned long long)s.cr0, (unsigned long long)s.cr4,
		(unsigned long long)s.efer);
}

static void uart_out(struct vmm *v, uint16_t port, uint8_t val)
{
	if (port != UART_THR)
		return;		/* LCR, IER, ...: accepted and ignored */
	if (write(STDOUT_FILENO, &val, 1) != 1)
		pdie("cannot write guest output");
	if (v->output_len < OUTPUT_MAX)
		v->output[v->output_len++] = (char)val;
}

static uint8_t uart_in(uint16_t port)
{
	if (port == UART_LSR)
		return UART_LSR_THRE | UART_LSR_TEMT;
	return 0;
}

/* Returns 0 if the I/O exit was handled, -1 if it was unexpected. */
static int handle_io(struct vmm *v)
{
	/* kvm_run is shared with the kernel: take one copy, then check it. */
	uint8_t dir = v->run->io.direction, size = v->run->io.size;
	uint16_t port = v->run->io.port;
	uint32_t count = v->run->io.count, i;
	uint64_t offset = v->run->io.data_offset;
	unsigned char *data;

	if (port < UART_BASE || port > UART_BASE + 7 || size != 1 ||
	    offset > v->run_size || count > v->run_size - offset) {
		fprintf(stderr,
			"kvmx-vmm: unexpected I/O exit: %s port %#x size %u count %u\n",
			dir == KVM_EXIT_IO_OUT ? "out" : "in", port, size, count);
		return -1;
	}
	data = (unsigned char *)v->run + offset;
	for (i = 0; i < count; i++) {
		if (dir == KVM_EXIT_IO_OUT)
			uart_out(v, port, data[i]);
		else
			data[i] = uart_in(port);
	}
	return 0;
}

static void report_exit(struct vmm *v, uint32_t reason)
{
	struct kvm_run *run = v->run;
	uint32_t i, n;

	fprintf(stderr, "kvmx-vmm: unexpected exit: exit_reason %u", reason);
	switch (reason) {
	case KVM_EXIT_UNKNOWN:
		fprintf(stderr, " (UNKNOWN) hardware_exit_reason %#llx\n",
			(unsigned long long)run->hw.hardware_exit_reason);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(stderr,
			" (FAIL_ENTRY) hardware_entry_failure_reason %#llx cpu %u\n",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			run->fail_entry.cpu);
		break;
	case KVM_EXIT_EXCEPTION:
		fprintf(stderr, " (EXCEPTION) vector %u error code %#x\n",
			run->ex.exception, run->ex.error_code);
		break;
	case KVM_EXIT_MMIO:
		fprintf(stderr, " (MMIO) %s %u bytes at %#llx\n",
			run->mmio.is_write ? "write" : "read", run->mmio.len,
			(unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_SHUTDOWN:
		fprintf(stderr, " (SHUTDOWN: triple fault)\n");
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		fprintf(stderr, " (SYSTEM_EVENT) type %u\n", run->system_event.type);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		n = run->internal.ndata;
		fprintf(stderr, " (INTERNAL_ERROR) suberror %u ndata %u\n",
			run->internal.suberror, n);
		if (n > 16)
			n = 16;
		for (i = 0; i < n; i++)
			fprintf(stderr, "  data[%u] = %#llx\n", i,
				(unsigned long long)run->internal.data[i]);
		break;
	default:
		fputc('\n', stderr);
		break;
	}
	dump_state(v);
}

static int check_greeting(const struct vmm *v)
{
	size_t want = strlen(KVMX_GREETING);

	if (v->output_len == want && !memcmp(v->output, KVMX_GREETING, want))
		return 0;
	fprintf(stderr,
		"kvmx-vmm: the guest printed %zu bytes, not the %zu-byte greeting\n",
		v->output_len, want);
	return 1;
}

static int run_vcpu(struct vmm *v, int check)
{
	unsigned long exits = 0;

	for (;;) {
		uint32_t reason;

		if (ioctl(v->vcpu_fd, KVM_RUN, NULL) < 0) {
			if (errno == EINTR && timed_out) {
				fprintf(stderr,
					"kvmx-vmm: timed out after %lu exits\n",
					exits);
				dump_state(v);
				return 1;
			}
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "kvmx-vmm: KVM_RUN: %s\n", strerror(errno));
			dump_state(v);
			return 1;
		}
		exits++;
		reason = v->run->exit_reason;
		switch (reason) {
		case KVM_EXIT_IO:
			if (handle_io(v)) {
				dump_state(v);
				return 1;
			}
			break;
		case KVM_EXIT_HLT:
			note(v, "guest halted after %lu exits", exits);
			return check ? check_greeting(v) : 0;
		default:
			report_exit(v, reason);
			return 1;
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kvmx-vmm [-v] [-t SECONDS] [-m KIB] [IMAGE]\n"
		"  Run a flat real-mode guest image (default: the built-in one,\n"
		"  which prints \"%.*s\") entered at 0:%#x, with a 16550 UART at\n"
		"  %#x.  Exit 0 when the guest halts.\n"
		"  -v          say what is being done, on stderr\n"
		"  -t SECONDS  give up after this long (default %d)\n"
		"  -m KIB      guest memory size (default %lu)\n",
		(int)strlen(KVMX_GREETING) - 1, KVMX_GREETING, GUEST_LOAD_ADDR,
		UART_BASE, DEFAULT_TIMEOUT, DEFAULT_MEM_SIZE >> 10);
}

int main(int argc, char **argv)
{
	struct vmm v = { .mem_size = DEFAULT_MEM_SIZE };
	struct sigaction sa;
	unsigned long kib;
	int timeout = DEFAULT_TIMEOUT;
	const char *image;
	int c;

	while ((c = getopt(argc, argv, "vt:m:h")) != -1) {
		switch (c) {
		case 'v':
			v.verbose = 1;
			break;
		case 't':
			timeout = atoi(optarg);
			break;
		case 'm':
			kib = strtoul(optarg, NULL, 0);
			if (kib < 64 || kib % 4) {
				fprintf(stderr, "kvmx-vmm: -m wants a multiple of 4 KiB, at least 64\n");
				return 2;
			}
			v.mem_size = kib << 10;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind > 1) {
		usage(stderr);
		return 2;
	}
	image = optind < argc ? argv[optind] : NULL;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: KVM_RUN must return */
	sigaction(SIGALRM, &sa, NULL);

	setup_vm(&v);
	load_image(&v, image);
	set_real_mode_entry(&v);
	if (timeout > 0)
		alarm((unsigned int)timeout);
	return run_vcpu(&v, image == NULL);
}
