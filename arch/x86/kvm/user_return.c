// SPDX-License-Identifier: GPL-2.0-only
/*
 * User-return MSRs: the SYSCALL MSRs and TSC_AUX matter to the host only
 * once the CPU returns to user space (SYSCALL entry, RDTSCP/RDPID in the
 * vDSO), so a guest's values can stay loaded across exits handled in the
 * kernel.  A per-CPU user-return notifier puts the host's values back
 * just before user space runs again; hardware disable and module unload
 * do it too.  This saves two WRMSRs per MSR on every exit.
 */
#include <linux/bits.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>
#include <kvmx/core_private.h>

#define KVMX_UR_MAX	8

struct kvmx_ur_cpu {
	struct user_return_notifier urn;
	bool registered;		/* urn is armed */
	unsigned long host_known;	/* slots whose host[] was read */
	u64 host[KVMX_UR_MAX];		/* the host's values on this CPU */
	u64 cur[KVMX_UR_MAX];		/* what the CPU holds now */
};

static DEFINE_PER_CPU(struct kvmx_ur_cpu, kvmx_ur_cpu);
static u32 kvmx_ur_msrs[KVMX_UR_MAX];
static unsigned int kvmx_ur_nr;

/* Put the host's values back on this CPU (IRQs off or this CPU's notifier). */
static void kvmx_ur_restore_this_cpu(struct kvmx_ur_cpu *c)
{
	unsigned int i;

	for (i = 0; i < kvmx_ur_nr; i++) {
		if (!(c->host_known & BIT(i)) || c->cur[i] == c->host[i])
			continue;
		wrmsrl(kvmx_ur_msrs[i], c->host[i]);
		c->cur[i] = c->host[i];
	}
	if (c->registered) {
		user_return_notifier_unregister(&c->urn);
		c->registered = false;
	}
}

static void kvmx_on_user_return(struct user_return_notifier *urn)
{
	struct kvmx_ur_cpu *c = container_of(urn, struct kvmx_ur_cpu, urn);
	unsigned long flags;

	/* an IPI running kvmx_user_return_msrs_restore() must not race us */
	local_irq_save(flags);
	kvmx_ur_restore_this_cpu(c);
	local_irq_restore(flags);
}

int kvmx_define_user_return_msr(u32 msr)
{
	unsigned int i;
	u64 val;

	for (i = 0; i < kvmx_ur_nr; i++)
		if (kvmx_ur_msrs[i] == msr)
			return i;
	if (kvmx_ur_nr == KVMX_UR_MAX)
		return -ENOSPC;
	if (rdmsrl_safe(msr, &val))
		return -EIO;
	kvmx_ur_msrs[kvmx_ur_nr] = msr;
	return kvmx_ur_nr++;
}
EXPORT_SYMBOL_GPL(kvmx_define_user_return_msr);

/* Called with preemption off, from the backend's entry path. */
void kvmx_set_user_return_msr(unsigned int slot, u64 val)
{
	struct kvmx_ur_cpu *c = this_cpu_ptr(&kvmx_ur_cpu);

	if (WARN_ON_ONCE(slot >= kvmx_ur_nr))
		return;
	if (unlikely(!(c->host_known & BIT(slot)))) {
		rdmsrl(kvmx_ur_msrs[slot], c->host[slot]);
		c->cur[slot] = c->host[slot];
		c->host_known |= BIT(slot);
	}
	if (val == c->cur[slot])
		return;
	wrmsrl(kvmx_ur_msrs[slot], val);
	c->cur[slot] = val;
	if (!c->registered) {
		c->urn.on_user_return = kvmx_on_user_return;
		user_return_notifier_register(&c->urn);
		c->registered = true;
	}
}
EXPORT_SYMBOL_GPL(kvmx_set_user_return_msr);

/* The host's value on this CPU (preemption off), e.g. for RDPID checks. */
u64 kvmx_user_return_msr_host(unsigned int slot)
{
	struct kvmx_ur_cpu *c = this_cpu_ptr(&kvmx_ur_cpu);
	u64 val;

	if (slot >= kvmx_ur_nr)
		return 0;
	if (c->host_known & BIT(slot))
		return c->host[slot];
	rdmsrl(kvmx_ur_msrs[slot], val);
	return val;
}
EXPORT_SYMBOL_GPL(kvmx_user_return_msr_host);

/* Hardware disable on this CPU (IRQs off): leave the host's values. */
void kvmx_user_return_msrs_restore(void)
{
	kvmx_ur_restore_this_cpu(this_cpu_ptr(&kvmx_ur_cpu));
}

static void kvmx_ur_restore_ipi(void *unused)
{
	kvmx_user_return_msrs_restore();
}

/* Backend unregistration: host values everywhere, then forget the slots. */
void kvmx_user_return_msrs_forget(void)
{
	unsigned int cpu;

	on_each_cpu(kvmx_ur_restore_ipi, NULL, 1);
	for_each_possible_cpu(cpu)
		per_cpu(kvmx_ur_cpu, cpu).host_known = 0;
	kvmx_ur_nr = 0;
}
