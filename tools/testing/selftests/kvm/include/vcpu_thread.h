/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Running vCPUs of one VM at the same time, one host thread each, for
 * tests where the vCPUs talk to each other (IPIs, SMP boot, wake-ups).
 *
 * A thread runs its vCPU with vcpu_run_ucall() until UCALL_DONE, counting
 * UCALL_SYNCs (the last argument is kept) on the way; guest assertion
 * failures and unexpected exits abort the test process from that thread,
 * with the library's report.  vcpu_thread_join() waits a bounded time:
 * a vCPU that never finishes fails the test (it is then left running; the
 * harness' child process exits).
 */
#ifndef KVMX_SELFTEST_VCPU_THREAD_H
#define KVMX_SELFTEST_VCPU_THREAD_H

#include <pthread.h>
#include <stdint.h>

struct kvm_vcpu;

struct vcpu_thread {
	struct kvm_vcpu *vcpu;
	pthread_t tid;
	volatile int done;		/* UCALL_DONE seen */
	volatile uint64_t syncs;	/* UCALL_SYNCs seen */
	volatile uint64_t last_sync;	/* args[0] of the last one */
};

void vcpu_thread_start(struct vcpu_thread *t, struct kvm_vcpu *vcpu);
/* Waits up to @secs seconds; returns 0, or -1 if the vCPU is not done. */
int vcpu_thread_join(struct vcpu_thread *t, unsigned int secs);

#endif /* KVMX_SELFTEST_VCPU_THREAD_H */
