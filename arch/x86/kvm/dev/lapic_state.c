// SPDX-License-Identifier: GPL-2.0-only
/*
 * The local APIC model's KVM_GET_LAPIC / KVM_SET_LAPIC: struct
 * kvm_lapic_state is the 1 KiB register page in xAPIC layout, with the
 * fields in-tree puts there: TMCCT holds the current count, and in x2APIC
 * mode the ID register holds the 32-bit x2APIC ID when the VM enabled
 * KVM_X2APIC_API_USE_32BIT_IDS (cfg.x2apic_format), else the x2APIC ID
 * shifted into bits 31:24 as in xAPIC.  The ICR is always kept split
 * (ICR low at 0x300, ICR2 holding the x2APIC destination at 0x310), the
 * layout userspace sees.
 */
#include <linux/types.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/errno.h>
#include "lapic.h"

static u32 page_reg(const u8 *page, u32 off)
{
	u32 v;

	memcpy(&v, page + off, sizeof(v));
	return v;
}

static void set_page_reg(u8 *page, u32 off, u32 v)
{
	memcpy(page + off, &v, sizeof(v));
}

void kvmx_lapic_get_state(struct kvmx_lapic *apic, struct kvm_lapic_state *s)
{
	u8 *page = (u8 *)s->regs;

	kvmx_lapic_update_ppr(apic);
	memcpy(page, apic->regs, KVM_APIC_REG_SIZE);
	set_page_reg(page, KVMX_APIC_TMCCT, kvmx_lapic_timer_current(apic));
	if (kvmx_lapic_x2apic_mode(apic) && !apic->cfg.x2apic_format)
		set_page_reg(page, KVMX_APIC_ID, apic->cfg.x2apic_id << 24);
}

/*
 * As in-tree's kvm_apic_set_state()/kvm_apic_state_fixup(): the page is
 * taken as is (every register value is harmless to the model), except
 * that the x2APIC ID and LDR cannot change (with 32-bit IDs a different
 * ID is refused, without them it is ignored), LVR is ours, and the timer
 * restarts from the saved counts.
 */
int kvmx_lapic_set_state(struct kvmx_lapic *apic,
			 const struct kvm_lapic_state *s)
{
	const u8 *page = (const u8 *)s->regs;
	u32 tmcct = page_reg(page, KVMX_APIC_TMCCT);

	if (kvmx_lapic_x2apic_mode(apic) && apic->cfg.x2apic_format &&
	    page_reg(page, KVMX_APIC_ID) != apic->cfg.x2apic_id)
		return -EINVAL;

	memcpy(apic->regs, page, KVM_APIC_REG_SIZE);
	if (kvmx_lapic_x2apic_mode(apic)) {
		kvmx_lapic_set_reg(apic, KVMX_APIC_ID, apic->cfg.x2apic_id);
		kvmx_lapic_set_reg(apic, KVMX_APIC_LDR,
				   kvmx_lapic_x2apic_ldr(apic->cfg.x2apic_id));
	}
	kvmx_lapic_set_reg(apic, KVMX_APIC_LVR, kvmx_lapic_version(apic));
	kvmx_lapic_set_reg(apic, KVMX_APIC_TMCCT, 0);
	apic->esr_pending = 0;
	kvmx_lapic_timer_restore(apic, tmcct);
	kvmx_lapic_update_ppr(apic);
	if (apic->ops->kick && kvmx_lapic_has_interrupt(apic) >= 0)
		apic->ops->kick(apic->ops->opaque);
	return 0;
}
