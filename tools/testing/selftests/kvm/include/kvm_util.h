/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Host side of the kvmx selftest library: opening /dev/kvm, creating VMs,
 * vCPUs and memory slots, running vCPUs and decoding their exits.
 *
 * Conventions: a function named foo() asserts that the ioctl behind it
 * succeeded (failing the test with context otherwise); __foo() returns the
 * raw ioctl() result (-1 with errno set) so that tests can check errors.
 * All memory is anonymous mmap, mapped into the guest by KVM lazily.
 */
#ifndef KVMX_SELFTEST_KVM_UTIL_H
#define KVMX_SELFTEST_KVM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>	/* ours: -I include/uapi */

#include "test_assert.h"
#include "ucall.h"

#define KVM_DEV_PATH "/dev/kvm"
#define PAGE_SIZE 4096UL
#define PAGE_MASK (~(PAGE_SIZE - 1))

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((typeof(x))(a) - 1))

struct kvm_vm;

struct kvm_vcpu {
	struct kvm_vm *vm;
	uint32_t id;
	int fd;			/* -1 once closed by the test */
	struct kvm_run *run;	/* mmap of the vCPU fd, run_size bytes */
	size_t run_size;
	uint64_t stack_top;	/* long-mode guests: top of this vCPU's stack */
};

struct kvm_memslot {
	uint32_t slot;		/* as passed to KVM (includes address space) */
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
	bool owned;		/* hva was mmap'ed by the library */
};

#define KVMX_MAX_VCPUS 512
#define KVMX_MAX_SLOTS 32

enum vm_mode {
	VM_MODE_BARE,		/* no memory, no vCPU set up */
	VM_MODE_REAL,		/* real-mode snippet at REALMODE_BASE */
	VM_MODE_LONG,		/* the test binary, 64-bit, identity mapped */
};

struct kvm_vm {
	int kvm_fd;		/* /dev/kvm */
	int fd;			/* the VM fd, -1 once closed by the test */
	enum vm_mode mode;
	struct kvm_vcpu *vcpus[KVMX_MAX_VCPUS];
	unsigned int nr_vcpus;
	struct kvm_memslot slots[KVMX_MAX_SLOTS];
	unsigned int nr_slots;
	/* Long-mode VMs: guest-physical bump allocator (GPA == GVA). */
	uint64_t alloc_next, alloc_end;
	uint64_t guest_entry;	/* default entry point for new vCPUs */
};

/* ---- /dev/kvm and system ioctls -------------------------------------- */

/* Opens /dev/kvm; a test that cannot (no KVM here) is reported as failed. */
int kvm_open(void);
/* Opens /dev/kvm, or returns -1 (errno set) for callers that want to SKIP. */
int __kvm_open(void);
/* KVM_CHECK_EXTENSION on /dev/kvm (opens and closes it). */
int kvm_check_cap(long cap);
/* KVM_GET_VCPU_MMAP_SIZE */
size_t kvm_vcpu_mmap_size(void);

#define __kvm_ioctl(fd, cmd, arg) ioctl(fd, cmd, arg)
#define kvm_ioctl_ok(fd, cmd, arg) ({					\
	int __r = ioctl(fd, cmd, arg);					\
	TEST_ASSERT(__r >= 0, "%s failed, rc: %d errno: %d (%s)",	\
		    #cmd, __r, errno, strerror(errno));			\
	__r;								\
})

/* ---- VMs -------------------------------------------------------------- */

/* A VM with no memory and no vCPU. */
struct kvm_vm *vm_create_bare(void);
/* Frees everything: vCPU mmaps and fds, the VM fd, memory. */
void kvm_vm_free(struct kvm_vm *vm);

#define __vm_ioctl(vm, cmd, arg) ioctl((vm)->fd, cmd, arg)
#define vm_ioctl(vm, cmd, arg) ({					\
	int __r = ioctl((vm)->fd, cmd, arg);				\
	TEST_ASSERT(__r >= 0, "%s failed, rc: %d errno: %d (%s)",	\
		    #cmd, __r, errno, strerror(errno));			\
	__r;								\
})

int vm_check_cap(struct kvm_vm *vm, long cap);

/*
 * Adds a memory slot backed by fresh anonymous memory (or by @hva if not
 * NULL) and returns the host address of its first byte.
 */
void *vm_add_memslot(struct kvm_vm *vm, uint32_t slot, uint64_t gpa,
		     uint64_t size, uint32_t flags, void *hva);
int __vm_set_user_memory_region(struct kvm_vm *vm, uint32_t slot,
				uint32_t flags, uint64_t gpa, uint64_t size,
				void *hva);
/* Host address of a guest-physical address, or NULL if not in a slot. */
void *vm_gpa2hva(struct kvm_vm *vm, uint64_t gpa);
/* Like vm_gpa2hva() but fails the test for an unmapped address. */
void *addr_gpa2hva(struct kvm_vm *vm, uint64_t gpa);

/* ---- vCPUs ------------------------------------------------------------ */

/* KVM_CREATE_VCPU + mmap of the kvm_run area; no register set up. */
struct kvm_vcpu *vm_vcpu_add_bare(struct kvm_vm *vm, uint32_t id);
/* Unmaps and closes one vCPU (it stays in the VM until the VM goes). */
void vcpu_free(struct kvm_vcpu *vcpu);

#define __vcpu_ioctl(vcpu, cmd, arg) ioctl((vcpu)->fd, cmd, arg)
#define vcpu_ioctl(vcpu, cmd, arg) ({					\
	int __r = ioctl((vcpu)->fd, cmd, arg);				\
	TEST_ASSERT(__r >= 0, "vCPU %u: %s failed, rc: %d errno: %d (%s)", \
		    (vcpu)->id, #cmd, __r, errno, strerror(errno));	\
	__r;								\
})

static inline void vcpu_regs_get(struct kvm_vcpu *vcpu, struct kvm_regs *r)
{
	vcpu_ioctl(vcpu, KVM_GET_REGS, r);
}
static inline void vcpu_regs_set(struct kvm_vcpu *vcpu, struct kvm_regs *r)
{
	vcpu_ioctl(vcpu, KVM_SET_REGS, r);
}
static inline void vcpu_sregs_get(struct kvm_vcpu *vcpu, struct kvm_sregs *s)
{
	vcpu_ioctl(vcpu, KVM_GET_SREGS, s);
}
static inline void vcpu_sregs_set(struct kvm_vcpu *vcpu, struct kvm_sregs *s)
{
	vcpu_ioctl(vcpu, KVM_SET_SREGS, s);
}

/*
 * KVM_GET_SUPPORTED_CPUID (cached), and KVM_SET_CPUID2 of all of it: what
 * VMMs do before loading 64-bit state (recent KVM refuses EFER.LME in
 * KVM_SET_SREGS unless the guest's CPUID has long mode).
 */
struct kvm_cpuid2 *kvm_get_supported_cpuid(void);
void vcpu_set_cpuid_supported(struct kvm_vcpu *vcpu);

/*
 * CPUID tables (lib/cpuid.c).  Entries are looked up by leaf and, for
 * entries flagged KVM_CPUID_FLAG_SIGNIFCANT_INDEX, subleaf.
 */
struct kvm_cpuid2 *kvm_cpuid_alloc(uint32_t nent);
/* A malloc'ed copy of @c with room for @extra more entries. */
struct kvm_cpuid2 *kvm_cpuid_dup(const struct kvm_cpuid2 *c, uint32_t extra);
struct kvm_cpuid_entry2 *kvm_cpuid_find(struct kvm_cpuid2 *c, uint32_t fn,
					uint32_t idx);
/* Removes leaf @fn (all its subleaves); returns how many entries went. */
uint32_t kvm_cpuid_remove(struct kvm_cpuid2 *c, uint32_t fn);
/* Whether the table has the feature bit set (struct x86_feature, x86.h). */
struct x86_feature;
bool kvm_cpuid_table_has(struct kvm_cpuid2 *c, struct x86_feature f);
/* ... in what KVM_GET_SUPPORTED_CPUID offers. */
bool kvm_cpu_has(struct x86_feature f);
void kvm_cpuid_clear(struct kvm_cpuid2 *c, struct x86_feature f);
/* KVM_SET_CPUID2 / KVM_GET_CPUID2 (the latter allocating, freed by caller). */
void vcpu_set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *c);
struct kvm_cpuid2 *vcpu_get_cpuid2(struct kvm_vcpu *vcpu);

/*
 * MSRs of a vCPU (lib/msr.c).  __vcpu_get_msr/__vcpu_set_msr return what
 * KVM_GET_MSRS/KVM_SET_MSRS return: the number of MSRs processed (1 on
 * success, 0 if KVM refused that MSR) or -1 with errno.
 */
int __vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data);
int __vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data);
uint64_t vcpu_get_msr(struct kvm_vcpu *vcpu, uint32_t index);
void vcpu_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data);
/* A kvm_msrs with room for @n entries (calloc'ed, nmsrs = n). */
struct kvm_msrs *kvm_msrs_alloc(uint32_t n);
/* KVM_GET_MSR_INDEX_LIST / _FEATURE_ (allocating; freed by the caller). */
struct kvm_msr_list *kvm_get_msr_list(unsigned long ioctl_nr);
bool kvm_msr_list_has(const struct kvm_msr_list *l, uint32_t index);

/* KVM_ENABLE_CAP on the VM fd with args[0] = @arg0. */
int __vm_enable_cap(struct kvm_vm *vm, uint32_t cap, uint64_t arg0);
void vm_enable_cap(struct kvm_vm *vm, uint32_t cap, uint64_t arg0);

/* KVM_RUN; returns the raw result (0, or -1 with errno). */
int __vcpu_run(struct kvm_vcpu *vcpu);
/* KVM_RUN that must succeed (EINTR is a failure too). */
void vcpu_run(struct kvm_vcpu *vcpu);

/* ---- exits ------------------------------------------------------------ */

const char *exit_reason_str(uint32_t reason);
/* Writes a one-line-per-fact description of the last exit to @f. */
void vcpu_dump_exit(FILE *f, struct kvm_vcpu *vcpu);
/* Registers, segments and control registers, for failure reports. */
void vcpu_dump_state(FILE *f, struct kvm_vcpu *vcpu);

/* Fails the test, with the exit and the vCPU state, unless the exit matches. */
#define vcpu_assert_exit(vcpu, reason) \
	__vcpu_assert_exit(vcpu, reason, __FILE__, __LINE__)
void __vcpu_assert_exit(struct kvm_vcpu *vcpu, uint32_t reason,
			const char *file, int line);

/* Fails the test unless the last exit is KVM_EXIT_IO with these values. */
#define vcpu_assert_io(vcpu, dir, port, size) \
	__vcpu_assert_io(vcpu, dir, port, size, __FILE__, __LINE__)
void __vcpu_assert_io(struct kvm_vcpu *vcpu, uint8_t dir, uint16_t port,
		      uint8_t size, const char *file, int line);

/*
 * Fails the test unless the last exit is KVM_EXIT_MMIO of @len bytes at
 * guest-physical @gpa, a write if @is_write (else a read).
 */
#define vcpu_assert_mmio(vcpu, is_write, gpa, len) \
	__vcpu_assert_mmio(vcpu, is_write, gpa, len, __FILE__, __LINE__)
void __vcpu_assert_mmio(struct kvm_vcpu *vcpu, bool is_write, uint64_t gpa,
			uint32_t len, const char *file, int line);

/* The first @len (<= 8) bytes of the last MMIO exit's data, little endian. */
static inline uint64_t vcpu_mmio_data(struct kvm_vcpu *vcpu)
{
	uint64_t v = 0;
	uint32_t len = vcpu->run->mmio.len;

	memcpy(&v, vcpu->run->mmio.data, len < 8 ? len : 8);
	return v;
}

/* Answers an MMIO read: the next KVM_RUN completes it with @v's low bytes. */
static inline void vcpu_mmio_set_data(struct kvm_vcpu *vcpu, uint64_t v)
{
	memcpy(vcpu->run->mmio.data, &v, sizeof(v));
}

/* The I/O data area of the last KVM_EXIT_IO. */
static inline void *vcpu_io_data(struct kvm_vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

/* ---- real-mode guests ------------------------------------------------- */

/*
 * Real-mode snippets run with CS = DS = ES = SS = FS = GS = REALMODE_SEG
 * (base REALMODE_BASE), IP = 0 at the snippet's first byte and SP =
 * REALMODE_SP.  Inside a snippet, refer to a label L as (L - NAME_start)
 * or with the REALMODE_ADDR() macro of guest16.h.
 */
#define REALMODE_SEG	0x0800
#define REALMODE_BASE	0x8000
#define REALMODE_SP	0xfff0
#define REALMODE_MEM	0x100000	/* slot 0 covers the first MiB */
#define REALMODE_TSS	0xfffbd000	/* KVM_SET_TSS_ADDR, as QEMU does */

struct kvm_vm *vm_create_realmode(struct kvm_vcpu **vcpu, const void *code,
				  size_t len);
/* Points an extra vCPU at the snippet (same register set up). */
struct kvm_vcpu *vm_vcpu_add_realmode(struct kvm_vm *vm, uint32_t id);

/* ---- long-mode guests ------------------------------------------------- */

/*
 * A VM running C code of this very binary in 64-bit mode: the PT_LOAD
 * segments of /proc/self/exe are copied to GPA == their link address, the
 * first 4 GiB are identity mapped with 2 MiB pages, and each vCPU starts
 * in @guest_code with its own stack.  Returning from @guest_code is a
 * GUEST_DONE().
 */
struct kvm_vm *vm_create_guest(struct kvm_vcpu **vcpu, void (*guest_code)(void));
struct kvm_vcpu *vm_vcpu_add_guest(struct kvm_vm *vm, uint32_t id,
				   void (*guest_code)(void));
/* Sets RDI, RSI, RDX, RCX, R8, R9 (the guest function's arguments). */
void vcpu_set_args(struct kvm_vcpu *vcpu, int n, ...);
/* Guest-physical (== guest-virtual) memory from the VM's bump allocator. */
uint64_t vm_alloc(struct kvm_vm *vm, uint64_t size, uint64_t align);

/* Copy a global of this binary into, or back from, the guest's copy. */
#define sync_global_to_guest(vm, g) \
	memcpy(addr_gpa2hva(vm, (uint64_t)(uintptr_t)&(g)), \
	       (const void *)&(g), sizeof(g))
#define sync_global_from_guest(vm, g) \
	memcpy((void *)&(g), addr_gpa2hva(vm, (uint64_t)(uintptr_t)&(g)), \
	       sizeof(g))

/* Installs a guest exception handler for vector @vec (0..31). */
struct guest_exception_frame;
void vm_install_exception_handler(struct kvm_vm *vm, int vec,
				  void (*handler)(struct guest_exception_frame *));

/* Symbol of this binary containing @addr ("?" if none), for reports. */
const char *addr2sym(uint64_t addr, uint64_t *offset);

/* ---- host CPU --------------------------------------------------------- */

enum x86_vendor { VENDOR_UNKNOWN, VENDOR_INTEL, VENDOR_AMD };
enum x86_vendor host_vendor(void);
const char *host_vendor_name(void);
/* The vendor module's name (KVMX_VENDOR_MODULE, else from the CPU). */
const char *vendor_module_name(void);
/*
 * The running kernel is older than major.minor (uname), for ABI details
 * that changed between the supported kernels' in-tree KVM.
 */
bool host_kernel_below(int major, int minor);
/*
 * The modules under test are kvmx's (the rig's KVMX_MODULES=ours), not
 * the distro's KVM: only for differences that are intended and documented.
 */
bool testing_kvmx(void);

#endif /* KVMX_SELFTEST_KVM_UTIL_H */
