/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The decoded interrupt message that the IOAPIC model (ioapic.h) and the
 * MSI decoder (irq_route.h) hand to the glue, which routes it to the local
 * APICs exactly as it routes an IPI (lapic.h, struct kvmx_lapic_ipi): for
 * every APIC t with kvmx_lapic_match_dest(t, NULL, KVMX_APIC_SH_NONE,
 * msg->dest, msg->logical) it calls kvmx_lapic_accept(t, msg->mode,
 * msg->vector, msg->level, msg->assert), on one of them only for
 * KVMX_APIC_DM_LOWEST or when msg->redir_hint is set (in-tree treats a
 * redirection hint as lowest-priority delivery).
 */
#ifndef KVMX_DEV_IRQ_MSG_H
#define KVMX_DEV_IRQ_MSG_H

#include <linux/types.h>
#include "lapic.h"

struct kvmx_irq_msg {
	u32 dest;		/* APIC ID or logical destination */
	u8 vector;
	u8 mode;		/* enum kvmx_apic_dm (lapic.h) */
	bool logical;		/* destination mode */
	bool level;		/* trigger mode: level */
	bool assert;		/* always set (as in-tree) */
	bool redir_hint;	/* MSI address bit 3; never set by the IOAPIC */
};

#endif /* KVMX_DEV_IRQ_MSG_H */
