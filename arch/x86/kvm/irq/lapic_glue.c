// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local APIC of each vCPU: the model of dev/lapic.h, its hrtimer,
 * interrupt messages between APICs (IPIs, the IOAPIC's, MSIs), the xAPIC
 * page on the guest's MMIO path, the x2APIC and TSC-deadline MSRs,
 * IA32_APIC_BASE, and KVM_GET/SET_LAPIC.  Every model call is made under
 * the VM's irqchip lock (kvmx/irq.h says why one lock).
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>
#include <kvmx/irq.h>

static struct kvmx_vcpu_apic *apic_of(void *opaque)
{
	return opaque;
}

static u64 apic_now_ns(void *opaque)
{
	return ktime_get_ns();
}

/* The guest TSC is the host's plus the vCPU's offset, at tsc_khz. */
static u64 apic_tsc_to_ns(void *opaque, u64 tsc)
{
	struct kvmx_vcpu *vcpu = apic_of(opaque)->vcpu;
	u64 now_ns = ktime_get_ns();
	u64 guest_tsc = rdtsc() + READ_ONCE(vcpu->msrs.tsc_offset);

	if (tsc <= guest_tsc || !tsc_khz)
		return now_ns;
	return now_ns + mul_u64_u32_div(tsc - guest_tsc, 1000000, tsc_khz);
}

/*
 * In-tree's lapic_timer_advance_ns: -1 adapts the head start per vCPU
 * (from 1000 ns, at most 5000); 0 turns it off; other values are fixed.
 */
static int lapic_timer_advance_ns = -1;
module_param(lapic_timer_advance_ns, int, 0444);
MODULE_PARM_DESC(lapic_timer_advance_ns,
		 "Head start of the LAPIC timer (ns), -1: adaptive");

#define APIC_ADVANCE_START_NS	1000
#define APIC_ADVANCE_MAX_NS	5000

static void apic_arm(void *opaque, u64 deadline_ns)
{
	struct kvmx_vcpu_apic *a = apic_of(opaque);
	u64 start = deadline_ns - min_t(u64, deadline_ns, a->advance_ns);

	a->deadline_ns = deadline_ns;
	hrtimer_start(&a->timer, ns_to_ktime(start), HRTIMER_MODE_ABS);
}

static void apic_cancel(void *opaque)
{
	struct kvmx_vcpu_apic *a = apic_of(opaque);

	/* not hrtimer_cancel(): the callback may be waiting for our lock */
	hrtimer_try_to_cancel(&a->timer);
}

/*
 * Fan a message out to the APICs it names (irq_msg.h): lowest priority
 * (and a redirection hint) goes to one of them, picked by vector hashing
 * as in-tree.  Returns how many accepted it; when none matched, -1 for a
 * shorthand or broadcast and 0 otherwise, as in-tree reports it (its
 * APIC-map lookup answers "nobody" with 0, the slow path with -1).
 */
static int apic_route(struct kvmx_irqchip *chip, struct kvmx_lapic *source,
		      u8 shorthand, u32 dest, bool logical, u8 mode,
		      u8 vector, bool level, bool assert, bool one)
{
	struct kvmx_vm *vm = chip->vm;
	int i, n = atomic_read(&vm->nr_vcpus);
	unsigned int matched = 0, pick;
	int accepted = 0;

	bool slow = shorthand != KVMX_APIC_SH_NONE ||
		    dest == (source && kvmx_lapic_x2apic_mode(source) ?
			     0xffffffffU : 0xffU) || dest == 0xffffffffU;

	if (one) {
		for (i = 0; i < n; i++) {
			struct kvmx_vcpu_apic *t = vm->vcpus[i]->apic;

			matched += t && kvmx_lapic_match_dest(&t->model, source,
							      shorthand, dest,
							      logical);
		}
		if (!matched)
			return slow ? -1 : 0;
		pick = kvmx_lapic_lowest_prio_pick(vector, matched);
	}
	matched = 0;
	for (i = 0; i < n; i++) {
		struct kvmx_vcpu_apic *t = vm->vcpus[i]->apic;

		if (!t || !kvmx_lapic_match_dest(&t->model, source, shorthand,
						 dest, logical))
			continue;
		if (one && matched++ != pick)
			continue;
		matched += !one;
		accepted += kvmx_lapic_accept(&t->model, mode, vector, level,
					      assert);
		if (one)
			break;
	}
	return matched || !slow ? accepted : -1;
}

int kvmx_apic_deliver_locked(struct kvmx_irqchip *chip,
			     const struct kvmx_irq_msg *msg)
{
	return apic_route(chip, NULL, KVMX_APIC_SH_NONE, msg->dest,
			  msg->logical, msg->mode, msg->vector, msg->level,
			  msg->assert,
			  msg->mode == KVMX_APIC_DM_LOWEST || msg->redir_hint);
}

static void apic_send_ipi(void *opaque, const struct kvmx_lapic_ipi *ipi)
{
	struct kvmx_vcpu_apic *a = apic_of(opaque);

	apic_route(a->chip, &a->model, ipi->shorthand, ipi->dest,
		   ipi->logical, ipi->mode, ipi->vector, ipi->level,
		   ipi->assert, ipi->mode == KVMX_APIC_DM_LOWEST);
}

static void apic_kick(void *opaque)
{
	struct kvmx_vcpu_apic *a = apic_of(opaque);

	kvmx_irqchip_want_kick(a->chip, a->vcpu);
}

/*
 * Split irqchip: does the userspace IOAPIC route @vector level-triggered
 * to this APIC?  Its pins are the MSI routes of the first
 * nr_reserved_ioapic_pins GSIs (in-tree's rule); their EOIs exit.
 */
static bool apic_split_handles(struct kvmx_vcpu_apic *a, u8 vector)
{
	struct kvmx_irqchip *chip = a->chip;
	const struct kvmx_irq_route *e;
	struct kvmx_irq_routes *rt;
	struct kvmx_irq_msg msg;
	bool found = false;
	u32 gsi;

	rcu_read_lock();
	rt = rcu_dereference(chip->routes);
	for (gsi = 0; rt && !found && gsi < chip->nr_reserved_ioapic_pins &&
	     gsi < rt->nr_gsis; gsi++) {
		unsigned int i, n = kvmx_irq_routes_map_gsi(rt, gsi, &e);

		for (i = 0; i < n && !found; i++) {
			if (e[i].type != KVM_IRQ_ROUTING_MSI)
				continue;
			kvmx_msi_decode(e[i].msi.address_lo,
					e[i].msi.address_hi, e[i].msi.data,
					chip->route_flags, &msg);
			found = msg.vector == vector && msg.level &&
				kvmx_lapic_match_dest(&a->model, NULL,
						      KVMX_APIC_SH_NONE,
						      msg.dest, msg.logical);
		}
	}
	rcu_read_unlock();
	return found;
}

/*
 * An EOI retired @vector.  The IOAPIC hears about it once the model's
 * call has returned (apic_unlock()): its re-delivery may target this
 * very APIC, which must not be re-entered.
 */
static void apic_eoi(void *opaque, u8 vector, bool level, bool broadcast)
{
	struct kvmx_vcpu_apic *a = apic_of(opaque);

	if (a->chip->mode == KVMX_IRQCHIP_FULL) {
		a->deferred_eoi = vector;
		a->deferred_eoi_level = level && broadcast;
	} else if (apic_split_handles(a, vector)) {
		a->pending_ioapic_eoi = vector;
		kvmx_irqchip_want_kick(a->chip, a->vcpu);
	}
}

static void apic_base_changed(void *opaque, u64 base, bool mmio_enabled)
{
	struct kvmx_vcpu_apic *a = apic_of(opaque);

	/* kept while disabled too: KVM_X86_QUIRK_LAPIC_MMIO_HOLE */
	a->mmio_base = base & PAGE_MASK;
}

static enum hrtimer_restart apic_timer_fn(struct hrtimer *t)
{
	struct kvmx_vcpu_apic *a = container_of(t, struct kvmx_vcpu_apic,
						timer);
	unsigned long flags = kvmx_irqchip_lock(a->chip);
	u64 now = ktime_get_ns();

	u64 tsc = kvmx_lapic_tscdeadline_read(&a->model);

	/*
	 * Early by the head start: expire as of the deadline, and have the
	 * vCPU wait for the deadline itself before it enters the guest, so
	 * the interrupt is never seen before it is due.  Late: the entry
	 * measures by how much, for the adaptive head start.
	 */
	WRITE_ONCE(a->wait_tsc, tsc);
	WRITE_ONCE(a->wait_ns, tsc ? 0 : a->deadline_ns);
	if (now < a->deadline_ns)
		now = a->deadline_ns;
	kvmx_lapic_expire(&a->model, now);
	kvmx_irqchip_unlock(a->chip, flags);
	return HRTIMER_NORESTART;
}

static unsigned long apic_lock(struct kvmx_vcpu_apic *a)
	__acquires(&a->chip->lock)
{
	return kvmx_irqchip_lock(a->chip);
}

/* Finish what a model call left (an EOI for the IOAPIC), then unlock. */
static void apic_unlock(struct kvmx_vcpu_apic *a, unsigned long flags)
	__releases(&a->chip->lock)
{
	while (a->deferred_eoi >= 0) {
		u8 vector = a->deferred_eoi;

		a->deferred_eoi = -1;
		kvmx_ioapic_eoi(&a->chip->ioapic, vector,
				a->deferred_eoi_level);
	}
	kvmx_irqchip_unlock(a->chip, flags);
}

/* The model's view of what the guest's CPUID offers (lapic.h config). */
static void apic_fill_config(struct kvmx_vcpu *vcpu,
			     struct kvmx_lapic_config *cfg)
{
	struct kvmx_vm *vm = vcpu->vm;
	bool x2apic = kvmx_guest_has(vcpu, 1, KVMX_CPUID_ECX, 21);

	memset(cfg, 0, sizeof(*cfg));
	cfg->x2apic_id = vcpu->id;
	cfg->bsp = vcpu->id == vm->bsp_vcpu_id;
	cfg->x2apic = x2apic;
	cfg->tsc_deadline = kvmx_guest_has(vcpu, 1, KVMX_CPUID_ECX, 24);
	/* in-tree offers directed EOI only with a userspace IOAPIC */
	cfg->directed_eoi = x2apic && !kvmx_irqchip_full(vm);
	cfg->maxphyaddr = kvmx_guest_maxphyaddr(vcpu);
	cfg->x2apic_format = vm->x2apic_api & KVM_X2APIC_API_USE_32BIT_IDS;
	cfg->broadcast_quirk_disabled =
		vm->x2apic_api & KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK;
	cfg->lint0_reenabled = true;	/* in-tree's default quirk */
	cfg->bus_cycle_ns = 1;		/* in-tree: a 1 GHz APIC bus */
	cfg->min_period_ns = (u64)READ_ONCE(kvmx_min_timer_period_us) *
			     NSEC_PER_USEC;
}

int kvmx_vcpu_apic_create(struct kvmx_vcpu *vcpu)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vcpu->vm);
	struct kvmx_lapic_config cfg;
	struct kvmx_vcpu_apic *a;

	if (!chip)
		return 0;
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (!a)
		return -ENOMEM;
	a->vcpu = vcpu;
	a->chip = chip;
	a->deferred_eoi = -1;
	a->pending_ioapic_eoi = -1;
	a->pending_extint = -1;
	a->mmio_base = ~0ULL;
	a->advance_ns = lapic_timer_advance_ns < 0 ? APIC_ADVANCE_START_NS :
			min(lapic_timer_advance_ns, APIC_ADVANCE_MAX_NS * 2);
	a->ops = (struct kvmx_lapic_ops){
		.now_ns = apic_now_ns,
		.tsc_to_ns = apic_tsc_to_ns,
		.arm = apic_arm,
		.cancel = apic_cancel,
		.send_ipi = apic_send_ipi,
		.kick = apic_kick,
		.eoi = apic_eoi,
		.base_changed = apic_base_changed,
		.opaque = a,
	};
	hrtimer_init(&a->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	a->timer.function = apic_timer_fn;
	apic_fill_config(vcpu, &cfg);
	/* not yet visible to other vCPUs: no lock needed for the init */
	kvmx_lapic_init(&a->model, &cfg, &a->ops);
	vcpu->apic = a;
	vcpu->apic_base = kvmx_lapic_get_base(&a->model);
	return 0;
}

void kvmx_vcpu_apic_destroy(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;

	if (!a)
		return;
	hrtimer_cancel(&a->timer);
	kfree(a);
	vcpu->apic = NULL;
}

/* RESET (KVM_CREATE_VCPU) or INIT (an INIT IPI). */
void kvmx_vcpu_apic_reset(struct kvmx_vcpu *vcpu, bool init)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;

	if (!a)
		return;
	flags = apic_lock(a);
	kvmx_lapic_reset(&a->model, init);
	a->pending_ioapic_eoi = -1;
	vcpu->apic_base = kvmx_lapic_get_base(&a->model);
	apic_unlock(a, flags);
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
}

/* KVM_SET_CPUID2 or the VM's X2APIC_API changed what the APIC offers. */
void kvmx_vcpu_apic_config_changed(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	struct kvmx_lapic_config cfg;
	unsigned long flags;

	if (!a)
		return;
	apic_fill_config(vcpu, &cfg);
	flags = apic_lock(a);
	cfg.bsp = a->model.cfg.bsp;
	a->model.cfg = cfg;
	/* LVR shows the directed-EOI bit, derived from the config */
	kvmx_lapic_set_reg(&a->model, KVMX_APIC_LVR,
			   kvmx_lapic_version(&a->model));
	apic_unlock(a, flags);
}

void kvmx_vcpu_apics_config_changed(struct kvmx_vm *vm)
{
	int i, n = atomic_read(&vm->nr_vcpus);

	for (i = 0; i < n; i++)
		kvmx_vcpu_apic_config_changed(vm->vcpus[i]);
}

/*
 * The xAPIC page on the MMIO path: 0 if the APIC took the access,
 * -EOPNOTSUPP if @gpa is not in its page (then it is ordinary MMIO).
 * While the APIC is disabled or in x2APIC mode the page is a hole, as
 * in-tree with its default KVM_X86_QUIRK_LAPIC_MMIO_HOLE (which kvmx does
 * not let a VMM disable): reads give all ones, writes are dropped.
 */
int kvmx_apic_mmio(struct kvmx_vcpu *vcpu, u64 gpa, bool write,
		   unsigned int len, void *val)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;
	int r;

	if (!a || (gpa & PAGE_MASK) != READ_ONCE(a->mmio_base))
		return -EOPNOTSUPP;
	flags = apic_lock(a);
	if (write)
		r = kvmx_lapic_mmio_write(&a->model, gpa, val, len);
	else
		r = kvmx_lapic_mmio_read(&a->model, gpa, val, len);
	apic_unlock(a, flags);
	if (r == -EOPNOTSUPP) {
		if (!write)
			memset(val, 0xff, len);
		r = 0;
	}
	if (write)
		kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	return r;
}

bool kvmx_apic_msr(u32 index)
{
	return index == MSR_IA32_TSC_DEADLINE ||
	       (index >= KVMX_MSR_X2APIC_FIRST &&
		index <= KVMX_MSR_X2APIC_LAST);
}

/* The x2APIC range and IA32_TSC_DEADLINE: 0, or KVMX_MSR_GP/UNKNOWN. */
int kvmx_apic_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *data)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;
	int r = 0;

	/* in-tree: TSC_DEADLINE without a LAPIC reads 0, takes writes */
	if (!a && index == MSR_IA32_TSC_DEADLINE) {
		*data = 0;
		return 0;
	}
	if (!a)
		return KVMX_MSR_UNKNOWN;
	flags = apic_lock(a);
	if (index == MSR_IA32_TSC_DEADLINE)
		*data = kvmx_lapic_tscdeadline_read(&a->model);
	else
		r = kvmx_lapic_msr_read(&a->model, index, data);
	apic_unlock(a, flags);
	return r ? KVMX_MSR_GP : 0;
}

int kvmx_apic_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 data)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;
	int r = 0;

	if (!a)
		return index == MSR_IA32_TSC_DEADLINE ? 0 : KVMX_MSR_UNKNOWN;
	flags = apic_lock(a);
	if (index == MSR_IA32_TSC_DEADLINE)
		kvmx_lapic_tscdeadline_write(&a->model, data);
	else
		r = kvmx_lapic_msr_write(&a->model, index, data);
	apic_unlock(a, flags);
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	return r ? KVMX_MSR_GP : 0;
}

/* IA32_APIC_BASE with the in-kernel APIC: its state machine decides. */
int kvmx_apic_set_base(struct kvmx_vcpu *vcpu, u64 data, bool host)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;
	int r;

	flags = apic_lock(a);
	r = kvmx_lapic_set_base(&a->model, data, host);
	vcpu->apic_base = kvmx_lapic_get_base(&a->model);
	apic_unlock(a, flags);
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	return r ? KVMX_MSR_GP : 0;
}

/*
 * Just before an entry (interrupts off): an early timer expiry waits for
 * its deadline here.  The adaptive head start moves an eighth of the way
 * toward what would have made the wait and the lateness zero.
 */
void kvmx_apic_timer_wait(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	u64 wait_tsc = READ_ONCE(a->wait_tsc);
	u64 wait_ns = READ_ONCE(a->wait_ns);
	s64 early_ns = 0;

	if (!wait_tsc && !wait_ns)
		return;
	WRITE_ONCE(a->wait_tsc, 0);
	WRITE_ONCE(a->wait_ns, 0);
	if (wait_tsc) {
		u64 guest = rdtsc() + vcpu->msrs.tsc_offset;

		if (guest < wait_tsc && tsc_khz) {
			early_ns = mul_u64_u32_div(wait_tsc - guest, 1000000,
						   tsc_khz);
			/* a guest TSC moved far ahead: not worth a wait */
			if (early_ns > APIC_ADVANCE_MAX_NS * 2)
				return;
			while (rdtsc() + vcpu->msrs.tsc_offset < wait_tsc)
				cpu_relax();
		} else {
			early_ns = -(s64)mul_u64_u32_div(guest - wait_tsc,
							 1000000, tsc_khz ?: 1);
		}
	} else {
		u64 now = ktime_get_ns();

		early_ns = (s64)(wait_ns - now);
		if (early_ns > APIC_ADVANCE_MAX_NS * 2)
			return;
		while (ktime_get_ns() < wait_ns)
			cpu_relax();
	}
	if (lapic_timer_advance_ns >= 0)
		return;
	/* early: too much head start; late (negative): too little */
	a->advance_ns = clamp_t(s64, (s64)a->advance_ns - early_ns / 8, 0,
				APIC_ADVANCE_MAX_NS);
}

void kvmx_timer_wait(struct kvmx_vcpu *vcpu)
{
	if (vcpu->apic)
		kvmx_apic_timer_wait(vcpu);
}
EXPORT_SYMBOL_GPL(kvmx_timer_wait);

/* CR8 is TPR[7:4]: the guest may have moved it without an exit (SVM). */
void kvmx_apic_cr8_after_exit(struct kvmx_vcpu *vcpu)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;

	if (vcpu->cr8 == a->entry_cr8)
		return;
	flags = apic_lock(a);
	kvmx_lapic_set_cr8(&a->model, vcpu->cr8);
	apic_unlock(a, flags);
	a->entry_cr8 = vcpu->cr8;
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
}

/* KVM_SET_SREGS' cr8 and apic_base (host writes). */
int kvmx_apic_set_sregs(struct kvmx_vcpu *vcpu, u64 cr8, u64 apic_base)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	unsigned long flags;
	int r;

	flags = apic_lock(a);
	r = kvmx_lapic_set_base(&a->model, apic_base, true);
	kvmx_lapic_set_cr8(&a->model, cr8);
	vcpu->apic_base = kvmx_lapic_get_base(&a->model);
	vcpu->cr8 = kvmx_lapic_get_cr8(&a->model);
	a->entry_cr8 = vcpu->cr8;
	apic_unlock(a, flags);
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	return r;
}

long kvmx_apic_get_lapic(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	struct kvm_lapic_state *s;
	unsigned long flags;
	long r = 0;

	if (!a)
		return -EINVAL;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	flags = apic_lock(a);
	kvmx_lapic_get_state(&a->model, s);
	apic_unlock(a, flags);
	if (copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

long kvmx_apic_set_lapic(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvmx_vcpu_apic *a = vcpu->apic;
	struct kvm_lapic_state *s;
	unsigned long flags;
	long r;

	if (!a)
		return -EINVAL;
	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	flags = apic_lock(a);
	r = kvmx_lapic_set_state(&a->model, s);
	vcpu->cr8 = kvmx_lapic_get_cr8(&a->model);
	a->entry_cr8 = vcpu->cr8;
	apic_unlock(a, flags);
	kvmx_make_request(vcpu, KVMX_REQ_EVENT);
	kfree(s);
	return r;
}
