/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The local APIC of one vCPU as a pure device model (SDM Vol. 3A chapter 11
 * "Advanced Programmable Interrupt Controller (APIC)", with the x2APIC
 * extensions of 11.12): the register page in xAPIC (MMIO) and x2APIC (MSR)
 * forms, the IA32_APIC_BASE state machine, interrupt acceptance and
 * priority, EOI, the ICR, the LVT, ESR, the timer in all three modes, and
 * the KVM_GET/SET_LAPIC state.  This header is the whole interface for the
 * kernel glue: what it calls, and the callbacks it provides.
 *
 * Locking and context: the glue serialises every call into one APIC (one
 * lock per APIC) and may call the ops from inside any entry point below;
 * the ops never re-enter the same APIC, except that send_ipi's receiver
 * may be this APIC itself (see send_ipi).  Nothing here sleeps or
 * allocates; struct kvmx_lapic is allocated by the glue (any memory,
 * zeroed or not: kvmx_lapic_init() sets every field).
 *
 * Return conventions: entry points that model a guest instruction (MSR
 * accesses, APIC_BASE writes) return 0, or -EINVAL when the instruction
 * raises #GP(0) instead.  MMIO entry points return -EOPNOTSUPP when the
 * APIC does not decode the access (see kvmx_lapic_mmio_read()).
 */
#ifndef KVMX_DEV_LAPIC_H
#define KVMX_DEV_LAPIC_H

#include <linux/types.h>
#include <linux/stddef.h>
#include "../../../../include/uapi/linux/kvm.h"

/* Register offsets in the xAPIC page (SDM Table 11-1); MSR = 0x800 + off/16. */
#define KVMX_APIC_ID		0x020
#define KVMX_APIC_LVR		0x030
#define KVMX_APIC_TPR		0x080
#define KVMX_APIC_APR		0x090
#define KVMX_APIC_PPR		0x0a0
#define KVMX_APIC_EOI		0x0b0
#define KVMX_APIC_RRD		0x0c0
#define KVMX_APIC_LDR		0x0d0
#define KVMX_APIC_DFR		0x0e0
#define KVMX_APIC_SVR		0x0f0
#define KVMX_APIC_ISR		0x100
#define KVMX_APIC_TMR		0x180
#define KVMX_APIC_IRR		0x200
#define KVMX_APIC_ESR		0x280
#define KVMX_APIC_LVTCMCI	0x2f0
#define KVMX_APIC_ICR		0x300
#define KVMX_APIC_ICR2		0x310
#define KVMX_APIC_LVTT		0x320
#define KVMX_APIC_LVTTHMR	0x330
#define KVMX_APIC_LVTPC		0x340
#define KVMX_APIC_LVT0		0x350
#define KVMX_APIC_LVT1		0x360
#define KVMX_APIC_LVTERR	0x370
#define KVMX_APIC_TMICT		0x380
#define KVMX_APIC_TMCCT		0x390
#define KVMX_APIC_TDCR		0x3e0
#define KVMX_APIC_SELF_IPI	0x3f0

#define KVMX_MSR_APIC_BASE	0x1b
#define KVMX_MSR_TSC_DEADLINE	0x6e0
#define KVMX_MSR_X2APIC_FIRST	0x800
#define KVMX_MSR_X2APIC_LAST	0x8ff

/* IA32_APIC_BASE (SDM 11.4.4, 11.12.1). */
#define KVMX_APIC_BASE_BSP	(1ULL << 8)
#define KVMX_APIC_BASE_EXTD	(1ULL << 10)
#define KVMX_APIC_BASE_EN	(1ULL << 11)
#define KVMX_APIC_BASE_ADDR_MASK (~0xfffULL)
#define KVMX_APIC_DEFAULT_BASE	0xfee00000ULL

/* SVR bits (SDM 11.9). */
#define KVMX_APIC_SVR_ENABLE	(1U << 8)
#define KVMX_APIC_SVR_NO_FOCUS	(1U << 9)
#define KVMX_APIC_SVR_SUPPRESS_EOI (1U << 12)

/* LVT and ICR fields (SDM 11.5.1, 11.6.1). */
#define KVMX_APIC_VECTOR_MASK	0xffU
#define KVMX_APIC_DM_SHIFT	8
#define KVMX_APIC_DM_MASK	(7U << 8)
#define KVMX_APIC_DEST_LOGICAL	(1U << 11)
#define KVMX_APIC_DELIV_STATUS	(1U << 12)
#define KVMX_APIC_LVT_POLARITY	(1U << 13)
#define KVMX_APIC_LVT_REMOTE_IRR (1U << 14)
#define KVMX_APIC_ICR_ASSERT	(1U << 14)
#define KVMX_APIC_LEVEL		(1U << 15)
#define KVMX_APIC_LVT_MASKED	(1U << 16)
#define KVMX_APIC_SHORT_SHIFT	18
#define KVMX_APIC_SHORT_MASK	(3U << 18)
#define KVMX_APIC_LVTT_MODE_MASK (3U << 17)
#define KVMX_APIC_LVTT_ONESHOT	(0U << 17)
#define KVMX_APIC_LVTT_PERIODIC	(1U << 17)
#define KVMX_APIC_LVTT_TSCDEADLINE (2U << 17)

/* Delivery modes (ICR bits 10:8, LVT bits 10:8, MSI data bits 10:8). */
enum kvmx_apic_dm {
	KVMX_APIC_DM_FIXED = 0,
	KVMX_APIC_DM_LOWEST = 1,
	KVMX_APIC_DM_SMI = 2,
	KVMX_APIC_DM_REMRD = 3,	/* reserved; in-tree: PV unhalt kick */
	KVMX_APIC_DM_NMI = 4,
	KVMX_APIC_DM_INIT = 5,
	KVMX_APIC_DM_SIPI = 6,
	KVMX_APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR bits 19:18). */
enum kvmx_apic_shorthand {
	KVMX_APIC_SH_NONE = 0,
	KVMX_APIC_SH_SELF = 1,
	KVMX_APIC_SH_ALL = 2,		/* all including self */
	KVMX_APIC_SH_ALL_BUT_SELF = 3,
};

/* ESR bits (SDM 11.5.3). */
#define KVMX_APIC_ESR_SEND_ILLEGAL	(1U << 5)
#define KVMX_APIC_ESR_RECV_ILLEGAL	(1U << 6)

/* LVT entries, in the order of their registers (CMCI last, SDM 11.5.1). */
enum kvmx_lapic_lvt {
	KVMX_LVT_TIMER, KVMX_LVT_THERMAL, KVMX_LVT_PMC, KVMX_LVT_LINT0,
	KVMX_LVT_LINT1, KVMX_LVT_ERROR, KVMX_LVT_CMCI, KVMX_LVT_NR
};

/*
 * An interprocessor interrupt message from the ICR (SDM 11.6.1), for the
 * glue to route: for every APIC @t of the VM with
 * kvmx_lapic_match_dest(t, source, ipi->shorthand, ipi->dest,
 * ipi->logical) it calls kvmx_lapic_accept(t, ipi->mode, ipi->vector,
 * ipi->level, ipi->assert) (for KVMX_APIC_DM_LOWEST: on one of them only,
 * see kvmx_lapic_lowest_prio_pick()).
 */
struct kvmx_lapic_ipi {
	u32 dest;		/* x2APIC: 32 bits; xAPIC: ICR2 bits 31:24 */
	u8 vector;
	u8 mode;		/* enum kvmx_apic_dm */
	u8 shorthand;		/* enum kvmx_apic_shorthand */
	bool logical;		/* destination mode */
	bool level;		/* trigger mode: level */
	bool assert;		/* level: assert (always set for edge) */
	bool x2apic;		/* sent in x2APIC mode (32-bit dest) */
};

/* Events other than fixed interrupts, collected by kvmx_lapic_take_events(). */
struct kvmx_lapic_events {
	u32 nmi;		/* NMIs accepted since the last take */
	bool smi;
	bool init;
	bool sipi;
	u8 sipi_vector;
	bool unhalt;		/* delivery mode 3: in-tree's PV kick */
};

/* now_ns, tsc_to_ns, arm and cancel are required; the others may be NULL. */
struct kvmx_lapic_ops {
	/* Monotonic clock, nanoseconds. */
	u64 (*now_ns)(void *opaque);
	/*
	 * The absolute now_ns() time at which the guest TSC reaches @tsc (a
	 * time <= now when it already has).  Only used in TSC-deadline mode.
	 */
	u64 (*tsc_to_ns)(void *opaque, u64 tsc);
	/*
	 * Start (or move) the one timer of this APIC to fire at absolute
	 * time @deadline_ns; when it fires the glue calls kvmx_lapic_expire()
	 * with the current time (late is fine).  cancel() stops it; a stale
	 * expire() after cancel() is harmless.
	 */
	void (*arm)(void *opaque, u64 deadline_ns);
	void (*cancel)(void *opaque);
	/*
	 * Route an IPI (see struct kvmx_lapic_ipi).  Called from ICR and
	 * SELF IPI writes with this APIC's lock held; the message can include
	 * this APIC (ALL shorthand, or a destination matching itself), which
	 * the glue then delivers with kvmx_lapic_accept() on @source without
	 * taking the lock again.  SELF-shorthand IPIs are accepted by the
	 * model directly and never reach send_ipi.
	 */
	void (*send_ipi)(void *opaque, const struct kvmx_lapic_ipi *ipi);
	/*
	 * Something became pending (IRR bit, NMI, INIT, SIPI, SMI): wake or
	 * kick the vCPU so it re-evaluates its events.
	 */
	void (*kick)(void *opaque);
	/*
	 * An EOI retired @vector from the ISR.  @level: its TMR bit was set;
	 * @broadcast: level and SVR bit 12 (suppress EOI broadcast) clear,
	 * i.e. the EOI goes to the IOAPICs (SDM 11.8.5).  In-tree also tells
	 * a split (userspace) IOAPIC about every EOI of a vector it routes,
	 * whatever the two flags: that decision is the glue's.
	 */
	void (*eoi)(void *opaque, u8 vector, bool level, bool broadcast);
	/*
	 * IA32_APIC_BASE changed: the MMIO page is at @base when
	 * @mmio_enabled (EN set, EXTD clear), else not decoded at all.
	 */
	void (*base_changed)(void *opaque, u64 base, bool mmio_enabled);
	void *opaque;
};

/* What the vCPU model offers, set once before kvmx_lapic_init(). */
struct kvmx_lapic_config {
	u32 x2apic_id;		/* fixed x2APIC ID (in-tree: vcpu_id) */
	bool bsp;		/* BSP bit at RESET */
	bool x2apic;		/* CPUID.1:ECX.x2APIC: EXTD writable */
	bool tsc_deadline;	/* CPUID.1:ECX.TSC_Deadline: mode 2 valid */
	bool cmci;		/* MCG_CAP.CMCI_P: LVT CMCI (7 LVT entries) */
	/* LVR bit 24 and SVR bit 12 (in-tree: x2APIC without kernel IOAPIC) */
	bool directed_eoi;
	u8 maxphyaddr;		/* APIC_BASE bits from here reserved */
	/* KVM_X2APIC_API_USE_32BIT_IDS: 32-bit ID in the state page */
	bool x2apic_format;
	/* KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK (see match_dest) */
	bool broadcast_quirk_disabled;
	/* KVM_X86_QUIRK_LINT0_REENABLED: BSP's LINT0 ExtINT after RESET */
	bool lint0_reenabled;
	/* Intel: the PMC LVT masks itself when it delivers (SDM 20.6.3.5) */
	bool lvtpc_self_mask;
	u32 bus_cycle_ns;	/* APIC bus clock period; 0 means 1 (1 GHz) */
	u64 min_period_ns;	/* periodic-mode clamp; in-tree 200000 */
};

/* Per-vCPU state: opaque to the glue, which only allocates it. */
struct kvmx_lapic {
	u8 regs[KVM_APIC_REG_SIZE];	/* xAPIC layout, little endian */
	u64 apic_base;
	struct kvmx_lapic_config cfg;
	const struct kvmx_lapic_ops *ops;
	u32 esr_pending;		/* errors since the last ESR write */
	struct kvmx_lapic_events ev;
	/* timer */
	u32 timer_mode;			/* LVTT bits 18:17 as written */
	u32 divide;			/* 1..128 */
	u64 period_ns;			/* 0: not counting */
	u64 target_ns;			/* next one-shot/periodic end */
	u64 tscdeadline;		/* IA32_TSC_DEADLINE, 0 = disarmed */
	u64 armed_ns;
	bool armed;
	u32 in_error;			/* guards the error-LVT delivery */
};

/* Sets everything up and does a RESET (kvmx_lapic_reset(apic, false)). */
void kvmx_lapic_init(struct kvmx_lapic *apic,
		     const struct kvmx_lapic_config *cfg,
		     const struct kvmx_lapic_ops *ops);
/*
 * RESET (@init false: APIC_BASE back to 0xfee00000|EN|BSP, xAPIC mode, ID
 * from the config) or INIT (@init true: mode and ID kept), with every
 * other register at its power-up value (SDM 11.4.7.1, 11.12.5.1).
 */
void kvmx_lapic_reset(struct kvmx_lapic *apic, bool init);

/* IA32_APIC_BASE: WRMSR (@host: KVM_SET_MSRS, allows any valid mode). */
int kvmx_lapic_set_base(struct kvmx_lapic *apic, u64 value, bool host);
static inline u64 kvmx_lapic_get_base(const struct kvmx_lapic *apic)
{
	return apic->apic_base;
}

static inline bool kvmx_lapic_hw_enabled(const struct kvmx_lapic *apic)
{
	return apic->apic_base & KVMX_APIC_BASE_EN;
}

static inline bool kvmx_lapic_x2apic_mode(const struct kvmx_lapic *apic)
{
	return apic->apic_base & KVMX_APIC_BASE_EXTD;
}

bool kvmx_lapic_sw_enabled(const struct kvmx_lapic *apic);

/*
 * xAPIC MMIO at @gpa (any address: the model checks its page), @len 1..8
 * bytes.  -EOPNOTSUPP when the page is not decoded (outside it, APIC
 * hardware-disabled or in x2APIC mode: the glue then treats the access as
 * ordinary memory or, with KVM_X86_QUIRK_LAPIC_MMIO_HOLE, reads all ones
 * and drops writes, as in-tree).  Otherwise 0: reads that are not 1, 2
 * or 4 bytes within one 32-bit register, or of registers that are not
 * readable, return zeros; writes that are not 4 aligned bytes, or to
 * read-only or reserved registers, are dropped (SDM 11.4.1; in-tree).
 */
int kvmx_lapic_mmio_read(struct kvmx_lapic *apic, u64 gpa, void *data,
			 unsigned int len);
int kvmx_lapic_mmio_write(struct kvmx_lapic *apic, u64 gpa, const void *data,
			  unsigned int len);

/*
 * x2APIC MSRs 0x800-0x8ff (SDM 11.12.1.2/3): -EINVAL (#GP) outside
 * x2APIC mode, for reserved registers, reads of write-only registers
 * (EOI, SELF IPI), writes of read-only ones, and writes with reserved
 * bits set.
 */
int kvmx_lapic_msr_read(struct kvmx_lapic *apic, u32 msr, u64 *val);
int kvmx_lapic_msr_write(struct kvmx_lapic *apic, u32 msr, u64 val);

/* IA32_TSC_DEADLINE (SDM 11.5.4.1): reads 0 and ignores writes outside
 * TSC-deadline mode or with the APIC hardware-disabled; 0 disarms. */
u64 kvmx_lapic_tscdeadline_read(const struct kvmx_lapic *apic);
void kvmx_lapic_tscdeadline_write(struct kvmx_lapic *apic, u64 tsc);

/* The glue's timer fired at @now_ns (may be late or spurious). */
void kvmx_lapic_expire(struct kvmx_lapic *apic, u64 now_ns);

/* CR8 <-> TPR[7:4] (SDM 11.8.6). */
void kvmx_lapic_set_cr8(struct kvmx_lapic *apic, u64 cr8);
u64 kvmx_lapic_get_cr8(const struct kvmx_lapic *apic);

/*
 * Destination matching for a message from @source (an APIC: an IPI) or
 * from NULL (IOAPIC or MSI), SDM 11.6.2: physical (ID, or the x2APIC ID
 * in x2APIC mode or for destinations above 0xff as in-tree's hotplug
 * rule), logical flat/cluster per DFR (xAPIC) or x2APIC cluster (LDR),
 * broadcast 0xff (xAPIC) / 0xffffffff (x2APIC), and the shorthands.  A
 * non-IPI message to 0xff counts as the x2APIC broadcast for an x2APIC-
 * mode target unless cfg.broadcast_quirk_disabled (in-tree).  A
 * hardware-disabled APIC matches nothing.
 */
bool kvmx_lapic_match_dest(const struct kvmx_lapic *target,
			   const struct kvmx_lapic *source, u8 shorthand,
			   u32 dest, bool logical);

/*
 * Lowest-priority arbitration (SDM 11.6.2.4).  In-tree picks by vector
 * hashing: the (vector % n)-th of the n matching APICs, which
 * kvmx_lapic_lowest_prio_pick() computes; the architectural choice uses
 * the arbitration priority below (lowest wins), after the focus check.
 */
static inline unsigned int kvmx_lapic_lowest_prio_pick(u8 vector,
						       unsigned int n)
{
	return n ? vector % n : 0;
}

u32 kvmx_lapic_arb_priority(const struct kvmx_lapic *apic);
/* SVR focus checking on and @vector in this APIC's IRR or ISR. */
bool kvmx_lapic_is_focus(const struct kvmx_lapic *apic, u8 vector);

/*
 * Accept an interrupt message (from an IPI, the IOAPIC, an MSI or a local
 * source): fixed/lowest set IRR and TMR (dropped when the APIC is not
 * enabled, for a level de-assert, and for vectors 0-15, which set ESR
 * receive-illegal-vector), NMI/SMI/INIT/SIPI become pending events (an
 * INIT de-assert is ignored; INIT discards a pending SIPI as in-tree),
 * ExtINT is ignored (see kvmx_lapic_accept_pic_intr()).  Returns 1 if
 * accepted, 0 if dropped.
 */
int kvmx_lapic_accept(struct kvmx_lapic *apic, u8 mode, u8 vector,
		      bool level, bool assert);
static inline int kvmx_lapic_deliver(struct kvmx_lapic *apic, u8 vector,
				     bool level)
{
	return kvmx_lapic_accept(apic, KVMX_APIC_DM_FIXED, vector, level, true);
}

/* Take (and clear) the pending NMI/SMI/INIT/SIPI events. */
void kvmx_lapic_take_events(struct kvmx_lapic *apic,
			    struct kvmx_lapic_events *ev);
bool kvmx_lapic_has_events(const struct kvmx_lapic *apic);

/*
 * Deliver a local source through its LVT entry (LINT0/LINT1 pins, thermal,
 * PMC overflow, CMCI; the timer and error entries are the model's own):
 * nothing if masked or the APIC is hardware-disabled.  Returns 1 if
 * accepted.
 */
int kvmx_lapic_local_deliver(struct kvmx_lapic *apic, enum kvmx_lapic_lvt lvt);
/* LINT0 passes the 8259's INTR (virtual wire, SDM 11.4.3, in-tree rule). */
bool kvmx_lapic_accept_pic_intr(const struct kvmx_lapic *apic);
/* LINT0 unmasked in NMI mode (the PIT's NMI watchdog, in-tree). */
bool kvmx_lapic_lint0_nmi(const struct kvmx_lapic *apic);

/*
 * The vendor injection path: the highest IRR vector whose priority class
 * is above PPR, or -1 (SDM 11.8.3.1); acknowledging it moves it to ISR
 * (@auto_eoi: it is retired at once, as for Hyper-V auto-EOI vectors) and
 * raises PPR.  kvmx_lapic_get_interrupt() does both.
 */
int kvmx_lapic_has_interrupt(struct kvmx_lapic *apic);
void kvmx_lapic_ack(struct kvmx_lapic *apic, u8 vector, bool auto_eoi);
int kvmx_lapic_get_interrupt(struct kvmx_lapic *apic);
int kvmx_lapic_highest_irr(const struct kvmx_lapic *apic);
int kvmx_lapic_highest_isr(const struct kvmx_lapic *apic);
bool kvmx_lapic_pending_eoi(const struct kvmx_lapic *apic, u8 vector);
/* An EOI as the guest's write (for APIC virtualisation exits); the vector
 * retired, or -1 if ISR was empty. */
int kvmx_lapic_eoi(struct kvmx_lapic *apic);

/*
 * KVM_GET_LAPIC / KVM_SET_LAPIC (struct kvm_lapic_state, in-tree layout):
 * the page in xAPIC layout with TMCCT holding the current count, and in
 * x2APIC mode the ID as the full x2APIC ID with cfg.x2apic_format, else
 * in bits 31:24.  Set (in the current APIC_BASE mode, which the VMM sets
 * first) rejects, with cfg.x2apic_format in x2APIC mode, an ID other than
 * the x2APIC ID (-EINVAL, nothing changed); derives LVR, the x2APIC LDR
 * and PPR; and restarts the timer from TMICT and the saved TMCCT.
 */
void kvmx_lapic_get_state(struct kvmx_lapic *apic, struct kvm_lapic_state *s);
int kvmx_lapic_set_state(struct kvmx_lapic *apic,
			 const struct kvm_lapic_state *s);

/* Internals shared by the model's files (lapic*.c), not for the glue. */
u32 kvmx_lapic_reg(const struct kvmx_lapic *apic, u32 off);
void kvmx_lapic_set_reg(struct kvmx_lapic *apic, u32 off, u32 val);
void kvmx_lapic_timer_reset(struct kvmx_lapic *apic);
void kvmx_lapic_timer_lvtt_written(struct kvmx_lapic *apic);
void kvmx_lapic_timer_set_tmict(struct kvmx_lapic *apic, u32 val);
void kvmx_lapic_timer_tdcr_written(struct kvmx_lapic *apic);
u32 kvmx_lapic_timer_current(struct kvmx_lapic *apic);
void kvmx_lapic_timer_restore(struct kvmx_lapic *apic, u32 tmcct);
void kvmx_lapic_update_ppr(struct kvmx_lapic *apic);
void kvmx_lapic_send_icr(struct kvmx_lapic *apic, u32 low, u32 high);
void kvmx_lapic_error(struct kvmx_lapic *apic, u32 esr_bit);
u32 kvmx_lapic_version(const struct kvmx_lapic *apic);
u32 kvmx_lapic_x2apic_ldr(u32 id);

#endif /* KVMX_DEV_LAPIC_H */
