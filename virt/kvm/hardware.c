// SPDX-License-Identifier: GPL-2.0-only
/*
 * When the CPUs are in VMX or SVM operation.  Like in-tree KVM, kvmx turns
 * virtualization on in every online CPU when the first VM is created and
 * off when the last one goes away, so that merely loading the modules costs
 * nothing and leaves the CPUs to other users.  This file also keeps CPU
 * hotplug, reboot and the emergency (crash) path consistent with that.
 *
 * Lock order: cpu_hotplug_lock, then kvmx_hw_lock.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <asm/reboot.h>
#include <kvmx/core_private.h>

static DEFINE_MUTEX(kvmx_hw_lock);
static unsigned int kvmx_hw_users;		/* VMs alive (kvmx_hw_lock) */
static bool kvmx_rebooting;			/* (kvmx_hw_lock) */
static DEFINE_PER_CPU(bool, kvmx_cpu_enabled);
static enum cpuhp_state kvmx_cpuhp_state;

/* Called with IRQs off on the CPU to change. */
static int kvmx_enable_this_cpu(void)
{
	int r;

	if (__this_cpu_read(kvmx_cpu_enabled))
		return 0;
	r = kvmx_backend->cpu_enable();
	if (r) {
		pr_err("kvm: enabling %s on CPU %d failed: %d\n",
		       kvmx_backend->name, raw_smp_processor_id(), r);
		return r;
	}
	__this_cpu_write(kvmx_cpu_enabled, true);
	return 0;
}

static void kvmx_disable_this_cpu(void)
{
	if (!__this_cpu_read(kvmx_cpu_enabled))
		return;
	kvmx_backend->cpu_disable();
	__this_cpu_write(kvmx_cpu_enabled, false);
}

/* Normal (not emergency) disable: also give the host its MSRs back. */
static void kvmx_disable_this_cpu_clean(void)
{
	kvmx_disable_this_cpu();
	kvmx_user_return_msrs_restore();
}

static void kvmx_enable_ipi(void *failed)
{
	if (kvmx_enable_this_cpu())
		atomic_inc(failed);
}

static void kvmx_disable_ipi(void *unused)
{
	kvmx_disable_this_cpu_clean();
}

int kvmx_hardware_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int r = 0;

	cpus_read_lock();
	mutex_lock(&kvmx_hw_lock);
	if (kvmx_rebooting) {
		r = -EBUSY;
	} else if (kvmx_hw_users++ == 0) {
		on_each_cpu(kvmx_enable_ipi, &failed, 1);
		if (atomic_read(&failed)) {
			on_each_cpu(kvmx_disable_ipi, NULL, 1);
			kvmx_hw_users = 0;
			r = -EBUSY;
		}
	}
	mutex_unlock(&kvmx_hw_lock);
	cpus_read_unlock();
	return r;
}

void kvmx_hardware_put(void)
{
	cpus_read_lock();
	mutex_lock(&kvmx_hw_lock);
	if (kvmx_hw_users && --kvmx_hw_users == 0)
		on_each_cpu(kvmx_disable_ipi, NULL, 1);
	mutex_unlock(&kvmx_hw_lock);
	cpus_read_unlock();
}

/* CPU hotplug: runs on the CPU coming up or going down. */
static int kvmx_cpu_online(unsigned int cpu)
{
	unsigned long flags;
	int r = 0;

	mutex_lock(&kvmx_hw_lock);
	if (kvmx_hw_users && !kvmx_rebooting) {
		local_irq_save(flags);
		r = kvmx_enable_this_cpu();
		local_irq_restore(flags);
	}
	mutex_unlock(&kvmx_hw_lock);
	return r;
}

static int kvmx_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	mutex_lock(&kvmx_hw_lock);
	local_irq_save(flags);
	kvmx_disable_this_cpu_clean();
	local_irq_restore(flags);
	mutex_unlock(&kvmx_hw_lock);
	return 0;
}

/*
 * VMX operation blocks INIT (SDM Vol. 3C 24.8) and SVM with GIF clear
 * delays it, so leave virtualization before the CPUs are reset.
 */
static int kvmx_reboot(struct notifier_block *nb, unsigned long code, void *v)
{
	mutex_lock(&kvmx_hw_lock);
	kvmx_rebooting = true;
	on_each_cpu(kvmx_disable_ipi, NULL, 1);
	mutex_unlock(&kvmx_hw_lock);
	return NOTIFY_OK;
}

static struct notifier_block kvmx_reboot_nb = {
	.notifier_call = kvmx_reboot,
	.priority = 0,
};

/* Crash/emergency reboot, possibly in NMI context: no locks. */
static void kvmx_emergency_disable(void)
{
	kvmx_disable_this_cpu();
}

int kvmx_hardware_setup(void)
{
	int r;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "kvm/cpu:online",
				      kvmx_cpu_online, kvmx_cpu_offline);
	if (r < 0)
		return r;
	kvmx_cpuhp_state = r;
	kvmx_rebooting = false;
	register_reboot_notifier(&kvmx_reboot_nb);
	cpu_emergency_register_virt_callback(kvmx_emergency_disable);
	return 0;
}

void kvmx_hardware_unsetup(void)
{
	cpu_emergency_unregister_virt_callback(kvmx_emergency_disable);
	unregister_reboot_notifier(&kvmx_reboot_nb);
	cpuhp_remove_state_nocalls(kvmx_cpuhp_state);
}
