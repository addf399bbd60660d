/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The local APIC tests' fake glue: a clock the test sets, a recorded host
 * timer, a recorded IPI/EOI/base log, and a small APIC bus that routes
 * IPIs to the other APICs of the same bus the way the glue will
 * (match_dest, then accept; lowest priority by vector hashing).
 */
#ifndef KVMX_LAPIC_TEST_H
#define KVMX_LAPIC_TEST_H

#include <linux/errno.h>
#include "devtest.h"
#include "lapic.h"

#define LT_MAX_APICS 4
#define LT_LOG 32

struct lt_bus;

struct lt_env {
	struct kvmx_lapic apic;
	struct kvmx_lapic_ops ops;
	struct lt_bus *bus;
	u64 now;
	s64 tsc_offset;		/* guest TSC = now + offset (1 GHz TSC) */
	bool armed;
	u64 armed_at;
	unsigned int arms, cancels, kicks;
	struct kvmx_lapic_ipi ipi[LT_LOG];
	unsigned int nipi;
	struct { u8 vector; bool level, broadcast; } eoi[LT_LOG];
	unsigned int neoi;
	u64 base;
	bool mmio_on;
	unsigned int base_calls;
};

struct lt_bus {
	struct lt_env *env[LT_MAX_APICS];
	unsigned int n;
};

void lt_default_config(struct kvmx_lapic_config *cfg, u32 id);
void lt_init(struct lt_env *e, const struct kvmx_lapic_config *cfg);
void lt_init_id(struct lt_env *e, u32 id);
void lt_bus_add(struct lt_bus *bus, struct lt_env *e);

u32 lt_mr(struct lt_env *e, u32 off);
void lt_mw(struct lt_env *e, u32 off, u32 val);
void lt_enable(struct lt_env *e);
int lt_to_x2apic(struct lt_env *e);
bool lt_irr(struct lt_env *e, u8 vec);
bool lt_isr(struct lt_env *e, u8 vec);
bool lt_tmr(struct lt_env *e, u8 vec);

/* The glue's timer fires (it is no longer armed) and calls expire(). */
static inline void lt_expire(struct lt_env *e, u64 now)
{
	e->armed = false;
	kvmx_lapic_expire(&e->apic, now);
}

#endif /* KVMX_LAPIC_TEST_H */
