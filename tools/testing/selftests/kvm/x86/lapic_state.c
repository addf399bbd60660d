// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM_GET_LAPIC / KVM_SET_LAPIC as a VMM uses them for migration: the
 * state of a busy local APIC is taken, the VM destroyed, a new VM created
 * and the state put into its vCPU (IA32_APIC_BASE with KVM_SET_MSRS
 * first, as api.rst asks, so that the page is read in the right mode):
 *  - xAPIC with a periodic timer running, one vector in service (ISR) and
 *    one held pending behind it (IRR): in the new VM the in-service one
 *    still blocks the other, the EOI lets the pending one in, the timer
 *    keeps ticking;
 *  - a one-shot timer saved before it expired fires in the new VM;
 *  - x2APIC mode, with and without KVM_CAP_X2APIC_API's
 *    KVM_X2APIC_API_USE_32BIT_IDS: the ID field of the 1 KiB page is the
 *    x2APIC ID << 24 without it, the plain 32-bit ID with it, and the
 *    restored vCPU reads its own ID and the LDR derived from it.
 */
#include "lapic.h"

#define AP_ID		5
#define PERIOD_NS	10000000	/* 10 ms */
#define LVTT_PERIODIC	(APIC_LVT_PERIODIC | 0x44)

static uint64_t tsc_per_ms;

static void guest_busy_before(void)
{
	xapic_write(APIC_SPIV, 0x1ff);
	xapic_write(APIC_TDCR, 0xb);
	xapic_write(APIC_TASKPRI, 0x10);
	xapic_write(APIC_LVTT, LVTT_PERIODIC);
	xapic_write(APIC_TMICT, PERIOD_NS);
	guest_take_irqs(0x44, 2);
	/* 0x70 taken, not EOI'd: in service, PPR 0x70. */
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x70);
	guest_wait_irq(0x70, 1);
	/* 0x60 held behind it in the IRR, as are the timer's ticks. */
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x60);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x60), 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x70), 1);
	GUEST_SYNC(1);
	GUEST_ASSERT(0);	/* not resumed */
}

/* The new VM's vCPU: its memory is fresh, its LAPIC the saved one. */
static void guest_busy_after(void)
{
	GUEST_ASSERT_EQ(xapic_read(APIC_SPIV), 0x1ff);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x10);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), LVTT_PERIODIC);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), PERIOD_NS);
	GUEST_ASSERT(xapic_read(APIC_TMCCT) <= PERIOD_NS);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0x70);
	/* IF=1 since the start, yet nothing got past the ISR. */
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x70), 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_IRR, 0x60), 1);
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x60], 0);
	GUEST_ASSERT_EQ(guest_lapic_irqs_all[0x44], 0);
	/* The EOI retires 0x70: 0x60 comes in. */
	guest_cli();
	xapic_write(APIC_EOI, 0);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x70), 0);
	guest_wait_irq(0x60, 1);
	GUEST_ASSERT_EQ(xapic_vec_bit(APIC_ISR, 0x60), 1);
	xapic_write(APIC_EOI, 0);
	/* And the timer goes on (a tick may have been waiting too). */
	guest_take_irqs(0x44, 3);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), PERIOD_NS);
}

/*
 * Saves @vcpu's LAPIC and APIC base, frees @vm, and returns a new VM
 * whose vCPU @id runs @guest with that state.
 */
static struct kvm_vm *migrate(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
			      uint32_t id, void (*guest)(void),
			      uint64_t x2apic_api, struct kvm_vcpu **out,
			      struct kvm_lapic_state *s)
{
	uint64_t base;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, s);
	base = vcpu_get_msr(vcpu, MSR_IA32_APICBASE);
	kvm_vm_free(vm);

	vm = lapic_vm_create();
	if (x2apic_api)
		vm_enable_cap(vm, KVM_CAP_X2APIC_API, x2apic_api);
	*out = lapic_vcpu_add(vm, id, guest, false);
	vcpu_set_msr(*out, MSR_IA32_APICBASE, base);
	vcpu_ioctl(*out, KVM_SET_LAPIC, s);
	sync_global_to_guest(vm, tsc_per_ms);
	return vm;
}

TEST(migrate_busy_xapic)
{
	struct kvm_lapic_state s, s2;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest_busy_before, false);
	tsc_per_ms = vcpu_tsc_khz(vcpu);
	sync_global_to_guest(vm, tsc_per_ms);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vm = migrate(vm, vcpu, 0, guest_busy_after, 0, &vcpu, &s);
	/* What the page said. */
	EXPECT_EQ(LVTT_PERIODIC, lapic_reg(&s, APIC_LVTT));
	EXPECT_EQ(PERIOD_NS, lapic_reg(&s, APIC_TMICT));
	EXPECT_EQ(0x10, lapic_reg(&s, APIC_TASKPRI));
	/* ISR bits 127:96: 0x70 is bit 16; IRR bits 127:96: 0x60 is bit 0. */
	EXPECT_EQ(1, (lapic_reg(&s, APIC_ISR + 0x30) >> 16) & 1);
	EXPECT_EQ(1, lapic_reg(&s, APIC_IRR + 0x30) & 1);
	/* And the new vCPU's page says the same. */
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s2);
	EXPECT_EQ(LVTT_PERIODIC, lapic_reg(&s2, APIC_LVTT));
	EXPECT_EQ(PERIOD_NS, lapic_reg(&s2, APIC_TMICT));
	EXPECT_EQ(1, (lapic_reg(&s2, APIC_ISR + 0x30) >> 16) & 1);
	EXPECT_EQ(1, lapic_reg(&s2, APIC_IRR + 0x30) & 1);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_oneshot_before(void)
{
	xapic_write(APIC_SPIV, 0x1ff);
	xapic_write(APIC_TDCR, 0xb);
	xapic_write(APIC_LVTT, 0x45);
	/* 1 s: far longer than the migration takes. */
	xapic_write(APIC_TMICT, 1000000000);
	GUEST_SYNC(1);
	GUEST_ASSERT(0);
}

static void guest_oneshot_after(void)
{
	uint32_t c0 = xapic_read(APIC_TMCCT);

	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), 0x45);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMICT), 1000000000);
	GUEST_ASSERT(c0 > 0 && c0 <= 1000000000);
	guest_take_irqs(0x45, 1);
	GUEST_ASSERT_EQ(xapic_read(APIC_TMCCT), 0);
}

TEST(migrate_oneshot_timer)
{
	struct kvm_lapic_state s;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	vcpu = lapic_vcpu_add(vm, 0, guest_oneshot_before, false);
	tsc_per_ms = vcpu_tsc_khz(vcpu);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vm = migrate(vm, vcpu, 0, guest_oneshot_after, 0, &vcpu, &s);
	EXPECT_EQ(1000000000, lapic_reg(&s, APIC_TMICT));
	EXPECT_LT(0, lapic_reg(&s, APIC_TMCCT));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_x2apic_before(void)
{
	guest_wrmsr(MSR_IA32_APICBASE, guest_rdmsr(MSR_IA32_APICBASE) |
		    MSR_IA32_APICBASE_EXTD);
	x2apic_write(APIC_SPIV, 0x1ff);
	x2apic_write(APIC_TASKPRI, 0x20);
	GUEST_SYNC(1);
	GUEST_ASSERT(0);
}

static void guest_x2apic_after(void)
{
	GUEST_ASSERT(guest_rdmsr(MSR_IA32_APICBASE) & MSR_IA32_APICBASE_EXTD);
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), AP_ID);
	GUEST_ASSERT_EQ(x2apic_read(APIC_LDR), 1U << AP_ID);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TASKPRI), 0x20);
	GUEST_ASSERT_EQ(x2apic_read(APIC_SPIV), 0x1ff);
	/* It works: a self-IPI through the SELF_IPI MSR. */
	x2apic_write(APIC_SELF_IPI, 0x66);
	guest_wait_irq(0x66, 1);
	x2apic_write(APIC_EOI, 0);
}

static void x2apic_migrate(struct __test_metadata *_metadata,
			   uint64_t api)
{
	uint32_t id = api ? AP_ID : AP_ID << 24;
	struct kvm_lapic_state s, s2;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = lapic_vm_create();
	if (api)
		vm_enable_cap(vm, KVM_CAP_X2APIC_API, api);
	vcpu = lapic_vcpu_add(vm, AP_ID, guest_x2apic_before, false);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vm = migrate(vm, vcpu, AP_ID, guest_x2apic_after, api, &vcpu, &s);
	EXPECT_EQ(id, lapic_reg(&s, APIC_ID));
	EXPECT_EQ(1U << AP_ID, lapic_reg(&s, APIC_LDR));
	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &s2);
	EXPECT_EQ(id, lapic_reg(&s2, APIC_ID));
	EXPECT_EQ(0x20, lapic_reg(&s2, APIC_TASKPRI));
	if (api) {
		/* With 32-bit IDs KVM checks the ID against the vCPU's. */
		lapic_set_reg(&s2, APIC_ID, AP_ID << 24);
		EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_LAPIC, &s2));
	}
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST(migrate_x2apic)
{
	REQUIRE_IRQCHIP();
	x2apic_migrate(_metadata, 0);
}

TEST(migrate_x2apic_32bit_ids)
{
	REQUIRE_IRQCHIP();
	if (kvm_check_cap(KVM_CAP_X2APIC_API) <= 0)
		TEST_SKIP(return, "KVM_CAP_X2APIC_API not reported");
	x2apic_migrate(_metadata, KVM_X2APIC_API_USE_32BIT_IDS);
}

TEST_HARNESS_MAIN
