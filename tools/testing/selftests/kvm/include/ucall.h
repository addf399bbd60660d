/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * "ucalls": how 64-bit guest code talks to the test on the host.
 *
 * The guest fills a struct ucall (on its own stack) and executes
 * "outl %eax, $UCALL_PORT" with EAX = the struct's guest address (below
 * 4 GiB, and GVA == GPA in our guests).  The vCPU exits to the host with
 * KVM_EXIT_IO; the library reads the address from the I/O data area and
 * copies the struct out of guest memory.  Resuming the vCPU returns from
 * the ucall.
 *
 * This header is shared by guest and host code.  The guest half of the
 * API (GUEST_*) lives in guest.h.
 */
#ifndef KVMX_SELFTEST_UCALL_H
#define KVMX_SELFTEST_UCALL_H

#include <stdint.h>

#define UCALL_PORT	0x7e57
#define UCALL_MSG_LEN	512
#define UCALL_NR_ARGS	4

enum {
	UCALL_NONE,	/* not a ucall (get_ucall() on another exit) */
	UCALL_SYNC,	/* GUEST_SYNC(v): a checkpoint, args[0] = v */
	UCALL_DONE,	/* GUEST_DONE(), or the guest function returned */
	UCALL_ASSERT,	/* GUEST_ASSERT*() failed: file, line, msg */
	UCALL_PRINTF,	/* GUEST_PRINTF(): msg */
	UCALL_UNHANDLED, /* exception without a handler: args = vec, err, rip */
};

struct ucall {
	uint64_t cmd;
	uint64_t args[UCALL_NR_ARGS];
	uint64_t file;		/* guest address of a NUL-terminated string */
	uint64_t line;
	char msg[UCALL_MSG_LEN];
};

struct kvm_vcpu;

/*
 * Host: decodes the vCPU's last exit.  Returns UCALL_NONE (and leaves @uc
 * zeroed) if the exit is not a ucall.  @uc may be NULL.
 */
uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);

/*
 * Host: runs the vCPU until it makes a ucall other than GUEST_PRINTF
 * (printed as "# guest: ..." and resumed) and returns its command.
 * UCALL_ASSERT and UCALL_UNHANDLED fail the test with the guest's report;
 * an exit that is not a ucall fails it with the exit and vCPU state.
 */
uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);

/* Host: vcpu_run_ucall() that must return @cmd (and, for SYNC, @arg0). */
#define vcpu_expect_ucall(vcpu, cmd, arg0) \
	__vcpu_expect_ucall(vcpu, cmd, arg0, __FILE__, __LINE__)
void __vcpu_expect_ucall(struct kvm_vcpu *vcpu, uint64_t cmd, uint64_t arg0,
			 const char *file, int line);

const char *ucall_name(uint64_t cmd);

#endif /* KVMX_SELFTEST_UCALL_H */
