// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMs, vCPUs and memory slots: the generic host half of the library.
 * Real-mode and long-mode guest set up live in realmode.c and longmode.c,
 * exit decoding in exits.c.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kvm_util.h"
#include "x86.h"

int __kvm_open(void)
{
	return open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
}

int kvm_open(void)
{
	int fd = __kvm_open();

	TEST_ASSERT(fd >= 0, "cannot open %s", KVM_DEV_PATH);
	return fd;
}

int kvm_check_cap(long cap)
{
	int fd = kvm_open();
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	TEST_ASSERT(r >= 0, "KVM_CHECK_EXTENSION(%ld) failed", cap);
	close(fd);
	return r;
}

size_t kvm_vcpu_mmap_size(void)
{
	static size_t size;
	int fd, r;

	if (size)
		return size;
	fd = kvm_open();
	r = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(r > 0, "KVM_GET_VCPU_MMAP_SIZE returned %d", r);
	close(fd);
	size = r;
	return size;
}

struct kvm_vm *vm_create_bare(void)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));

	TEST_ASSERT(vm, "out of memory");
	vm->kvm_fd = kvm_open();
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	TEST_ASSERT(vm->fd >= 0, "KVM_CREATE_VM(0) failed: %d", vm->fd);
	vm->mode = VM_MODE_BARE;
	return vm;
}

int vm_check_cap(struct kvm_vm *vm, long cap)
{
	int r = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap);

	TEST_ASSERT(r >= 0, "KVM_CHECK_EXTENSION(%ld) on the VM fd failed", cap);
	return r;
}

void vcpu_free(struct kvm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	vcpu->run = NULL;
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->fd = -1;
}

void kvm_vm_free(struct kvm_vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	for (i = 0; i < KVMX_MAX_VCPUS; i++) {
		if (!vm->vcpus[i])
			continue;
		vcpu_free(vm->vcpus[i]);
		free(vm->vcpus[i]);
	}
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	for (i = 0; i < vm->nr_slots; i++)
		if (vm->slots[i].owned)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	free(vm);
}

int __vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
				uint32_t flags, uint64_t gpa, uint64_t size,
				void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

void *vm_add_memslot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		     uint64_t size, uint32_t flags, void *hva)
{
	struct kvm_memslot *s;
	bool owned = false;
	int r;

	TEST_ASSERT(vm->nr_slots < KVMX_MAX_SLOTS, "too many slots");
	if (!hva) {
		hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		TEST_ASSERT(hva != MAP_FAILED, "mmap of %lu bytes", size);
		owned = true;
	}
	r = __vm_set_user_memory_region(vm, slot, flags, gpa, size, hva);
	TEST_ASSERT(r == 0, "KVM_SET_USER_MEMORY_REGION slot %u gpa 0x%lx size 0x%lx flags 0x%x: rc %d",
		    slot, gpa, size, flags, r);
	s = &vm->slots[vm->nr_slots++];
	s->slot = slot;
	s->flags = flags;
	s->gpa = gpa;
	s->size = size;
	s->hva = hva;
	s->owned = owned;
	return hva;
}

void *vm_gpa2hva(struct kvm_vm *vm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < vm->nr_slots; i++) {
		struct kvm_memslot *s = &vm->slots[i];

		if ((s->slot >> 16) == 0 && gpa >= s->gpa &&
		    gpa - s->gpa < s->size)
			return (uint8_t *)s->hva + (gpa - s->gpa);
	}
	return NULL;
}

void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa)
{
	void *p = vm_gpa2hva(vm, gpa);

	TEST_ASSERT(p, "guest physical address 0x%lx is in no memory slot", gpa);
	return p;
}

struct kvm_vcpu *vm_vcpu_add_bare(struct kvm_vm *vm, uint32_t id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	void *run;

	TEST_ASSERT(vcpu, "out of memory");
	TEST_ASSERT(id < KVMX_MAX_VCPUS && !vm->vcpus[id],
		    "library limit: vCPU id %u", id);
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	TEST_ASSERT(vcpu->fd >= 0, "KVM_CREATE_VCPU(%u) failed", id);
	vcpu->run_size = kvm_vcpu_mmap_size();
	run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	TEST_ASSERT(run != MAP_FAILED, "mmap of vCPU %u's kvm_run", id);
	vcpu->run = run;
	vm->vcpus[id] = vcpu;
	vm->nr_vcpus++;
	return vcpu;
}

int __vcpu_run(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0);
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int r = __vcpu_run(vcpu);

	if (r) {
		int err = errno;

		vcpu_dump_exit(stderr, vcpu);
		errno = err;
		TEST_FAIL("KVM_RUN on vCPU %u returned %d", vcpu->id, r);
	}
}

void __vcpu_assert_mmio(struct kvm_vcpu *vcpu, bool is_write, uint64_t gpa,
			uint32_t len, const char *file, int line)
{
	struct kvm_run *run = vcpu->run;

	__vcpu_assert_exit(vcpu, KVM_EXIT_MMIO, file, line);
	if (!!run->mmio.is_write == is_write && run->mmio.phys_addr == gpa &&
	    run->mmio.len == len)
		return;
	vcpu_dump_exit(stderr, vcpu);
	vcpu_dump_state(stderr, vcpu);
	__test_assert_fail(file, line, "mmio exit matches",
			   "expected mmio %s gpa 0x%lx len %u",
			   is_write ? "write" : "read", gpa, len);
}

void vcpu_set_args(struct kvm_vcpu *vcpu, int n, ...)
{
	struct kvm_regs regs;
	__u64 *slot[] = { &regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx,
			     &regs.r8, &regs.r9 };
	va_list ap;
	int i;

	TEST_ASSERT(n >= 0 && n <= 6, "at most 6 guest arguments");
	vcpu_regs_get(vcpu, &regs);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		*slot[i] = va_arg(ap, uint64_t);
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}

struct kvm_cpuid2 *kvm_get_supported_cpuid(void)
{
	static struct kvm_cpuid2 *cpuid;
	int nent = 64, fd, r;

	if (cpuid)
		return cpuid;
	fd = kvm_open();
	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) +
				  nent * sizeof(cpuid->entries[0]));
		TEST_ASSERT(cpuid, "out of memory");
		cpuid->nent = nent;
		r = ioctl(fd, KVM_GET_SUPPORTED_CPUID, cpuid);
		if (r == 0)
			break;
		TEST_ASSERT(errno == E2BIG && nent < 4096,
			    "KVM_GET_SUPPORTED_CPUID failed");
		free(cpuid);
		nent *= 2;
	}
	close(fd);
	return cpuid;
}

void vcpu_set_cpuid_supported(struct kvm_vcpu *vcpu)
{
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, kvm_get_supported_cpuid());
}

enum x86_vendor host_vendor(void)
{
	uint32_t a, b, c, d;

	host_cpuid(0, 0, &a, &b, &c, &d);
	if (b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e)
		return VENDOR_INTEL;	/* GenuineIntel */
	if ((b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163) ||
	    (b == 0x6f677948 && d == 0x6e65476e && c == 0x656e6975))
		return VENDOR_AMD;	/* AuthenticAMD, HygonGenuine */
	return VENDOR_UNKNOWN;
}

const char *host_vendor_name(void)
{
	switch (host_vendor()) {
	case VENDOR_INTEL:
		return "Intel (VMX)";
	case VENDOR_AMD:
		return "AMD (SVM)";
	default:
		return "unknown";
	}
}

bool host_kernel_below(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma < major || (ma == major && mi < minor);
}

bool testing_kvmx(void)
{
	const char *env = getenv("KVMX_MODULES");

	return env && !strcmp(env, "ours");
}

const char *vendor_module_name(void)
{
	const char *env = getenv("KVMX_VENDOR_MODULE");

	if (env && *env)
		return env;
	return host_vendor() == VENDOR_INTEL ? "kvm_intel" : "kvm_amd";
}
