/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The in-kernel interrupt controllers as kvm.ko's files see them: the
 * per-VM irqchip (the dual 8259 PIC and the IOAPIC of KVM_CREATE_IRQCHIP,
 * or none of them with KVM_CAP_SPLIT_IRQCHIP), the GSI routing table, the
 * per-vCPU local APICs, and the hooks that the PIT and irqfd glue use.
 * The device models themselves are in arch/x86/kvm/dev/ and know nothing
 * of the kernel; this is their glue.
 *
 * Locking: one spinlock per VM (irqchip->lock, taken with interrupts off)
 * serialises every call into the PIC, the IOAPIC and all the local APICs
 * of the VM.  One lock, not one per chip, because an IPI goes from one
 * LAPIC to another and an EOI from a LAPIC to the IOAPIC, both while the
 * sender's model call is still running: with a lock per APIC two vCPUs
 * sending each other IPIs would deadlock.  Notifiers (ack and mask) run
 * after that lock is dropped, so they may take their own locks and call
 * kvmx_irq_set() again.  Lock order: a device's own lock (the PIT's),
 * then irqchip->lock.
 */
#ifndef KVMX_IRQ_H
#define KVMX_IRQ_H

#include <linux/hrtimer.h>
#include <linux/list.h>
#include <linux/rcupdate.h>
#include <linux/rcuwait.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <kvmx/core.h>
#include <kvmx/core_private.h>
#include "../../dev/ioapic.h"
#include "../../dev/lapic.h"
#include "../../dev/pic.h"
#include "../../dev/irq_route.h"

/*
 * The sources that may drive one GSI at once: a pin's level is the OR of
 * them (in-tree's irq_source_id).  KVM_IRQ_LINE and edge irqfds are
 * USER, a level irqfd with KVM_IRQFD_FLAG_RESAMPLE holds RESAMPLE until
 * the guest acknowledges the interrupt, the in-kernel PIT is PIT.
 */
enum kvmx_irq_source {
	KVMX_IRQ_SRC_USER,
	KVMX_IRQ_SRC_RESAMPLE,
	KVMX_IRQ_SRC_PIT,
	KVMX_IRQ_NR_SRC,
};

enum kvmx_irqchip_mode {
	KVMX_IRQCHIP_NONE,	/* the VMM models everything */
	KVMX_IRQCHIP_FULL,	/* KVM_CREATE_IRQCHIP: PIC, IOAPIC, LAPICs */
	KVMX_IRQCHIP_SPLIT,	/* KVM_CAP_SPLIT_IRQCHIP: LAPICs only */
};

/*
 * Runs after the guest acknowledged an interrupt of GSI @gsi: its EOI at
 * the IOAPIC (a level-triggered pin's EOI broadcast) or at the PIC.  No
 * lock of the irqchip is held; called in any context (a vCPU thread, a
 * timer), must not sleep.  With @resample set, the RESAMPLE source of the
 * GSI is lowered (under the lock, before the pin's remote IRR clears, so
 * the line cannot re-fire from it) before @acked runs.
 */
struct kvmx_irq_ack_notifier {
	struct hlist_node link;
	u32 gsi;
	bool resample;
	void (*acked)(struct kvmx_irq_ack_notifier *n);
};

/* The guest masked or unmasked GSI @gsi at the PIC or IOAPIC. */
struct kvmx_irq_mask_notifier {
	struct hlist_node link;
	u32 gsi;
	void (*mask_changed)(struct kvmx_irq_mask_notifier *n, bool masked);
};

struct kvmx_pit_dev;

/* The per-VM irqchip, allocated by KVM_CREATE_IRQCHIP or the split cap. */
struct kvmx_irqchip {
	struct kvmx_vm *vm;		/* (o) */
	enum kvmx_irqchip_mode mode;	/* (o) FULL or SPLIT */
	u32 nr_reserved_ioapic_pins;	/* (o) SPLIT: KVM_CAP args[0] */
	raw_spinlock_t lock;		/* see the top */

	/* (lock) FULL only */
	struct kvmx_pic pic;
	struct kvmx_ioapic ioapic;
	struct kvmx_ioapic_ops ioapic_ops;	/* (o) */
	struct hrtimer ioapic_timer;	/* the IOAPIC model's storm timer */
	struct kvmx_io_device pic_dev;	/* ports 0x20, 0xa0, 0x4d0 */
	struct kvmx_io_device ioapic_dev;	/* MMIO at 0xfec00000 */
	/* the sources driving each chip pin (bit per kvmx_irq_source) */
	u8 ioapic_src[KVMX_IRQCHIP_NUM_PINS];
	u8 pic_src[KVMX_PIC_NUM_PINS];

	/*
	 * (lock) acknowledgements and mask changes seen under the lock,
	 * whose notifiers run once it is dropped (kvmx_irqchip_unlock()).
	 */
	u32 ioapic_acked;		/* pins */
	u16 pic_acked;			/* IRQs 0-15 */
	u32 ioapic_mask_changed, ioapic_masked;
	u16 pic_mask_changed, pic_masked;
	/* (lock) vCPUs whose pending events changed: kick them after */
	unsigned long *kick_mask;	/* (o) KVMX_MAX_VCPUS bits */
	bool kick_any;

	/* GSI routing, replaced under routes_lock, read under RCU */
	struct kvmx_irq_routes __rcu *routes;
	unsigned int route_flags;	/* (routes_lock) KVMX_MSI_* etc. */
	struct mutex routes_lock;

	/* notifiers: RCU lists, changed under notifier_lock */
	struct hlist_head ack_notifiers;
	struct hlist_head mask_notifiers;
	struct mutex notifier_lock;
};

/*
 * A vCPU's local APIC (lapic_glue.c), present when the VM has an in-kernel
 * irqchip of either mode.
 */
struct kvmx_vcpu_apic {
	struct kvmx_lapic model;	/* (irqchip->lock) */
	struct kvmx_lapic_ops ops;	/* (o) */
	struct kvmx_vcpu *vcpu;		/* (o) */
	struct kvmx_irqchip *chip;	/* (o) */
	/* (lock) an EOI the model reported, for the IOAPIC once the
	 * model's call has returned (the model must not be re-entered) */
	int deferred_eoi;		/* vector, -1: none */
	bool deferred_eoi_level;
	/* (m) CR8 as the core put it before the last entry */
	u8 entry_cr8;
	/* (m) split irqchip: KVM_INTERRUPT's vector for the userspace PIC */
	int pending_extint;		/* -1: none */
	/* (m) taken from the model, handled by the run loop */
	bool init_pending;
	bool sipi_pending;
	u8 sipi_vector;
	/* (m) an interrupt waits for the guest to open its window */
	bool window_wanted;
	struct hrtimer timer;		/* the model's timer */
	/*
	 * The timer starts advance_ns early, to hide the host's wakeup
	 * latency; the expiry it then reports waits, before the next entry,
	 * for the real deadline: guest TSC wait_tsc (TSC-deadline mode) or
	 * time wait_ns (the others).  0: no wait.
	 */
	u64 deadline_ns;		/* (lock) what the model asked for */
	u64 wait_tsc, wait_ns;
	u32 advance_ns;			/* (m) adapted by the waits */
	u64 mmio_base;			/* (lock) the page of APIC_BASE */
	bool x2apic_format;		/* (o) KVM_X2APIC_API_USE_32BIT_IDS */
	/* (lock) split irqchip: the vectors a userspace IOAPIC routes
	 * level-triggered to this vCPU, whose EOIs exit to it */
	DECLARE_BITMAP(ioapic_vectors, 256);
	int pending_ioapic_eoi;		/* (lock) -1: none */
};

static inline struct kvmx_irqchip *kvmx_irqchip(struct kvmx_vm *vm)
{
	/* set once under vm->lock before any vCPU exists */
	return smp_load_acquire(&vm->irqchip);
}

/* The LAPIC is in the kernel (KVM_CREATE_IRQCHIP or split). */
static inline bool kvmx_irqchip_in_kernel(struct kvmx_vm *vm)
{
	return kvmx_irqchip(vm) != NULL;
}

/* The PIC and the IOAPIC are in the kernel too (not split). */
static inline bool kvmx_irqchip_full(struct kvmx_vm *vm)
{
	struct kvmx_irqchip *chip = kvmx_irqchip(vm);

	return chip && chip->mode == KVMX_IRQCHIP_FULL;
}

/*
 * Drive GSI @gsi from @src to @level (0 or 1), through the routing table
 * to every chip pin and MSI it names.  Any context, never sleeps.
 * Returns as KVM_IRQ_LINE_STATUS does: < 0 not delivered (masked, no
 * route), 0 coalesced, > 0 delivered; -ENODEV without an irqchip.
 * @line_status asks for the RTC's coalescing to be reported (in-tree).
 */
int kvmx_irq_set(struct kvmx_vm *vm, enum kvmx_irq_source src, u32 gsi,
		 int level, bool line_status);

/*
 * Deliver one MSI-style message to the local APICs (the IOAPIC's, an
 * MSI's, an irqfd's): as the IOAPIC ops' deliver.  Any context.
 */
int kvmx_irq_deliver_msi(struct kvmx_vm *vm, const struct kvm_msi *msi);

/* Process context, may sleep; unregister waits for running notifiers. */
void kvmx_irq_register_ack_notifier(struct kvmx_vm *vm,
				    struct kvmx_irq_ack_notifier *n);
void kvmx_irq_unregister_ack_notifier(struct kvmx_vm *vm,
				      struct kvmx_irq_ack_notifier *n);
void kvmx_irq_register_mask_notifier(struct kvmx_vm *vm,
				     struct kvmx_irq_mask_notifier *n);
void kvmx_irq_unregister_mask_notifier(struct kvmx_vm *vm,
				       struct kvmx_irq_mask_notifier *n);

/*
 * The lock and its unlock, which then runs the notifiers of what was
 * acknowledged or (un)masked meanwhile and kicks the vCPUs that got
 * events.  So any unlock, kvmx_irq_set()'s too, may run notifiers: never
 * call in holding a lock that one of your notifiers takes.
 */
unsigned long kvmx_irqchip_lock(struct kvmx_irqchip *chip)
	__acquires(&chip->lock);
void kvmx_irqchip_unlock(struct kvmx_irqchip *chip, unsigned long flags)
	__releases(&chip->lock);
/* Under the lock: @vcpu has something new to look at. */
void kvmx_irqchip_want_kick(struct kvmx_irqchip *chip,
			    struct kvmx_vcpu *vcpu);

/* irqchip.c */
extern unsigned int kvmx_min_timer_period_us;	/* module parameter */
int kvmx_irqchip_create(struct kvmx_vm *vm, enum kvmx_irqchip_mode mode,
			u32 nr_reserved);
void kvmx_irqchip_set_routes(struct kvmx_irqchip *chip,
			     struct kvmx_irq_routes *rt);
/*
 * Make @vcpu look at its events: a request, an IPI if it is in guest
 * mode on another CPU, a wakeup if it is halted (apic_events.c).
 */
void kvmx_vcpu_kick(struct kvmx_vcpu *vcpu);

/* irqchip_ioctl.c: the VM ioctls of KVM_CREATE_IRQCHIP and friends. */
long kvmx_irqchip_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
			void __user *argp, bool *handled);
int kvmx_irqchip_enable_split(struct kvmx_vm *vm, u64 nr_pins);
/* stop its timers (before the vCPUs go), then free it (after) */
void kvmx_irqchip_stop(struct kvmx_vm *vm);
void kvmx_irqchip_destroy(struct kvmx_vm *vm);

/*
 * lapic_glue.c.  A vCPU's LAPIC exists from KVM_CREATE_VCPU on when the
 * VM has an irqchip; its x2APIC ID is the vCPU id, as in-tree.
 */
int kvmx_vcpu_apic_create(struct kvmx_vcpu *vcpu);
void kvmx_vcpu_apic_destroy(struct kvmx_vcpu *vcpu);
void kvmx_vcpu_apic_reset(struct kvmx_vcpu *vcpu, bool init);
void kvmx_vcpu_apic_config_changed(struct kvmx_vcpu *vcpu);
void kvmx_vcpu_apics_config_changed(struct kvmx_vm *vm);
/* Deliver @msg to the LAPICs (as irq_msg.h says), under the lock. */
int kvmx_apic_deliver_locked(struct kvmx_irqchip *chip,
			     const struct kvmx_irq_msg *msg);
/* the xAPIC page: 0, or -EOPNOTSUPP when it does not decode @gpa */
int kvmx_apic_mmio(struct kvmx_vcpu *vcpu, u64 gpa, bool write,
		   unsigned int len, void *val);
/* x2APIC MSRs and TSC_DEADLINE: 0 or KVMX_MSR_GP / KVMX_MSR_UNKNOWN */
bool kvmx_apic_msr(u32 index);
int kvmx_apic_get_msr(struct kvmx_vcpu *vcpu, u32 index, u64 *data);
int kvmx_apic_set_msr(struct kvmx_vcpu *vcpu, u32 index, u64 data);
int kvmx_apic_set_base(struct kvmx_vcpu *vcpu, u64 data, bool host);
int kvmx_apic_set_sregs(struct kvmx_vcpu *vcpu, u64 cr8, u64 apic_base);
void kvmx_apic_cr8_after_exit(struct kvmx_vcpu *vcpu);
long kvmx_apic_get_lapic(struct kvmx_vcpu *vcpu, void __user *argp);
long kvmx_apic_set_lapic(struct kvmx_vcpu *vcpu, void __user *argp);

/* apic_events.c: the run loop's side */
void kvmx_apic_before_entry(struct kvmx_vcpu *vcpu);
void kvmx_apic_timer_wait(struct kvmx_vcpu *vcpu);
int kvmx_apic_vcpu_runnable(struct kvmx_vcpu *vcpu);
int kvmx_apic_run_uninitialized(struct kvmx_vcpu *vcpu);
void kvmx_apic_halt(struct kvmx_vcpu *vcpu);
int kvmx_apic_take_ioapic_eoi(struct kvmx_vcpu *vcpu);
int kvmx_get_mp_state(struct kvmx_vcpu *vcpu, struct kvm_mp_state *mp);
int kvmx_set_mp_state(struct kvmx_vcpu *vcpu, const struct kvm_mp_state *mp);
void kvmx_apic_set_sipi_vector(struct kvmx_vcpu *vcpu, u8 vector);
int kvmx_apic_user_extint(struct kvmx_vcpu *vcpu, u32 vector);
/* regs.c: INIT keeps MSRs, XCR0 and the FPU (SDM Vol. 3A table 9-1) */
void kvmx_vcpu_init_reset(struct kvmx_vcpu *vcpu);
/* irqchip_ioctl.c */
int kvmx_enable_x2apic_api(struct kvmx_vm *vm, u64 flags);

/*
 * The in-kernel PIT (pit_glue.c): the VM ioctls KVM_CREATE_PIT(2),
 * KVM_GET/SET_PIT(2), KVM_REINJECT_CONTROL (-ENOTTY for any other), and
 * its teardown before the irqchip's.  It never holds its own lock across
 * kvmx_irq_set() (its ack notifier, which takes that lock, may run inside
 * that call: see kvmx_irqchip_unlock()).
 */
long kvmx_pit_ioctl(struct kvmx_vm *vm, unsigned int ioctl,
		    void __user *argp);
void kvmx_pit_destroy(struct kvmx_vm *vm);

/* KVM_IRQFD (virt/kvm/irqfd.c), and its teardown before the irqchip's. */
long kvmx_irqfd(struct kvmx_vm *vm, void __user *argp);
void kvmx_irqfd_destroy(struct kvmx_vm *vm);

#endif /* KVMX_IRQ_H */
