// SPDX-License-Identifier: GPL-2.0-only
/*
 * One host thread per vCPU; see include/vcpu_thread.h.
 */
#include <time.h>

#include "kvm_util.h"
#include "vcpu_thread.h"

static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct ucall uc;

	for (;;) {
		uint64_t cmd = vcpu_run_ucall(t->vcpu, &uc);

		if (cmd == UCALL_DONE)
			break;
		TEST_ASSERT(cmd == UCALL_SYNC, "vCPU %u: unexpected ucall %s",
			    t->vcpu->id, ucall_name(cmd));
		t->last_sync = uc.args[0];
		__atomic_add_fetch(&t->syncs, 1, __ATOMIC_SEQ_CST);
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

void vcpu_thread_start(struct vcpu_thread *t, struct kvm_vcpu *vcpu)
{
	int r;

	t->vcpu = vcpu;
	t->done = 0;
	t->syncs = 0;
	t->last_sync = 0;
	r = pthread_create(&t->tid, NULL, vcpu_thread_fn, t);
	TEST_ASSERT(r == 0, "pthread_create: %d", r);
}

int vcpu_thread_join(struct vcpu_thread *t, unsigned int secs)
{
	struct timespec ts;
	int r;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	r = pthread_timedjoin_np(t->tid, NULL, &ts);
	if (r) {
		fprintf(stderr, "# vCPU %u still running after %u s (%d SYNCs, last %lu)\n",
			t->vcpu->id, secs, (int)t->syncs,
			(unsigned long)t->last_sync);
		return -1;
	}
	return 0;
}
