// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interprocessor interrupts between the vCPUs of one VM with the in-kernel
 * irqchip (SDM Vol. 3A 11.6), each vCPU on its own host thread.  The BSP
 * (APIC ID 0) sends, the APs (1, 2) sleep in HLT with IF=1 and count
 * what they take with handlers they install in their own IDT
 * (lapic_irq.h), per APIC ID and vector; a fresh vector per case:
 *  - fixed, physical destination: only the addressed vCPU;
 *  - fixed, logical destination in the flat model (DFR 0xffffffff, LDR
 *    bit per vCPU) and in the cluster model (DFR 0x0fffffff, LDR =
 *    cluster << 28 | bit << 24): exactly the vCPUs in the mask;
 *  - the shorthands self, all including self, all excluding self;
 *  - NMI by IPI (physical, and to all excluding self);
 *  - lowest priority to a logical set: exactly one vCPU takes it;
 *  - x2APIC mode: physical 32-bit destinations and logical cluster
 *    destinations derived from the APIC ID (11.12.10.2);
 *  - an IPI wakes a vCPU sleeping in HLT (the APs are in HLT for every
 *    case; one case waits until the AP is surely asleep first).
 * The senders wait at most seconds of guest TSC for a delivery; then a
 * short quiet time shows that nobody else got it.
 */
#include "lapic.h"
#include "lapic_irq.h"
#include "vcpu_thread.h"

#define NR_VCPUS	3
#define DM_LOWEST	0x100
#define WAIT_MS		10000	/* for a delivery */
#define QUIET_MS	20	/* after it: nobody else */

enum { CFG_FLAT, CFG_CLUSTER, CFG_X2APIC };

static uint64_t tsc_per_ms;
/* BSP -> APs: the configuration to apply (a sequence number and a mode). */
static volatile uint64_t cfg_seq, cfg_mode, stop;
/* APs -> BSP: the configuration applied, and how often HLT was entered. */
static volatile uint64_t cfg_ack[NR_VCPUS], halts[NR_VCPUS];

static void apply_cfg(uint32_t id, uint64_t mode)
{
	switch (mode) {
	case CFG_FLAT:
		xapic_write(APIC_DFR, 0xffffffff);
		xapic_write(APIC_LDR, 1U << (24 + id));
		break;
	case CFG_CLUSTER:
		/* The BSP in cluster 0, the APs in cluster 1, bits 0 and 1. */
		xapic_write(APIC_DFR, 0x0fffffff);
		xapic_write(APIC_LDR, id ? (0x10U | (1U << (id - 1))) << 24 :
				      0x01U << 24);
		break;
	case CFG_X2APIC:
		guest_wrmsr(MSR_IA32_APICBASE, guest_rdmsr(MSR_IA32_APICBASE) |
			    MSR_IA32_APICBASE_EXTD);
		break;
	}
}

static void guest_ap(void)
{
	uint32_t id;
	uint64_t seen = 0;

	id = guest_lapic_id();
	GUEST_ASSERT(id > 0 && id < NR_VCPUS);
	xapic_write(APIC_SPIV, 0x1ff);
	guest_cli();
	for (;;) {
		if (cfg_seq != seen) {
			seen = cfg_seq;
			apply_cfg(id, cfg_mode);
			cfg_ack[id] = seen;
		}
		if (stop)
			break;
		halts[id]++;
		/* STI's shadow covers HLT: an IPI from now on wakes it. */
		asm volatile("sti; hlt; cli" ::: "memory");
	}
	guest_sti();
}

static void ipi_send(uint32_t dest, uint32_t icr)
{
	if (cfg_mode == CFG_X2APIC) {
		x2apic_write(APIC_ICR, (uint64_t)dest << 32 | icr);
	} else {
		xapic_write(APIC_ICR2, dest << 24);
		xapic_write(APIC_ICR, icr);
	}
}

/* Sum over the vCPUs in @mask (bit = APIC ID) of events of @vec. */
static uint64_t events(unsigned int vec, uint32_t mask)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < NR_VCPUS; i++)
		if (mask & (1U << i))
			n += guest_lapic_irqs[i][vec];
	return n;
}

/*
 * Waits for one event of @vec on each vCPU in @mask, then checks that
 * after a quiet time exactly those have one and the others none.
 */
static void expect_once_on(unsigned int vec, uint32_t mask, const char *what)
{
	uint64_t t0 = guest_rdtsc();
	unsigned int i;

	for (i = 0; i < NR_VCPUS; i++) {
		if (!(mask & (1U << i)))
			continue;
		while (!guest_lapic_irqs[i][vec]) {
			GUEST_ASSERT_MSG(guest_rdtsc() - t0 <
					 WAIT_MS * tsc_per_ms,
					 "%s: vector 0x%x never reached APIC %u",
					 what, vec, i);
			asm volatile("pause" ::: "memory");
		}
	}
	guest_delay_tsc(QUIET_MS * tsc_per_ms);
	for (i = 0; i < NR_VCPUS; i++)
		GUEST_ASSERT_MSG(guest_lapic_irqs[i][vec] == !!(mask & (1U << i)),
				 "%s: APIC %u took vector 0x%x %lu times",
				 what, i, vec, guest_lapic_irqs[i][vec]);
	GUEST_ASSERT_EQ(guest_lapic_irqs_other, 0);
}

/* Every vCPU (the BSP included) switches to configuration @mode. */
static void set_cfg(uint64_t mode)
{
	uint64_t t0 = guest_rdtsc();
	unsigned int i;

	cfg_mode = mode;
	cfg_seq++;
	apply_cfg(0, mode);
	for (i = 1; i < NR_VCPUS; i++) {
		/* A wake-up call, counted on vector 0x30 (not checked). */
		ipi_send(i, 0x30);
		while (cfg_ack[i] != cfg_seq) {
			GUEST_ASSERT_MSG(guest_rdtsc() - t0 <
					 WAIT_MS * tsc_per_ms,
					 "APIC %u did not apply mode %lu", i, mode);
			asm volatile("pause" ::: "memory");
		}
	}
}

static void guest_bsp(void)
{
	uint64_t h, t0;
	unsigned int i;

	GUEST_ASSERT_EQ(guest_lapic_id(), 0);
	xapic_write(APIC_SPIV, 0x1ff);
	/* The APs start on their own: wait for both to sleep. */
	t0 = guest_rdtsc();
	for (i = 1; i < NR_VCPUS; i++)
		while (!halts[i]) {
			GUEST_ASSERT(guest_rdtsc() - t0 < WAIT_MS * tsc_per_ms);
			asm volatile("pause" ::: "memory");
		}
	set_cfg(CFG_FLAT);

	/* Fixed, physical. */
	ipi_send(2, 0x40);
	expect_once_on(0x40, 1U << 2, "physical 2");
	ipi_send(1, 0x41);
	expect_once_on(0x41, 1U << 1, "physical 1");
	/* Nobody has ID 7. */
	ipi_send(7, 0x42);
	guest_delay_tsc(QUIET_MS * tsc_per_ms);
	GUEST_ASSERT_EQ(events(0x42, 7), 0);

	/* Fixed, logical flat: LDR bit = 1 << ID. */
	ipi_send(0x06, APIC_DEST_LOGICAL | 0x43);
	expect_once_on(0x43, 0x6, "flat 0x06");
	ipi_send(0x04, APIC_DEST_LOGICAL | 0x44);
	expect_once_on(0x44, 0x4, "flat 0x04");
	ipi_send(0x05, APIC_DEST_LOGICAL | 0x45);
	expect_once_on(0x45, 0x5, "flat 0x05");

	/* Shorthands (the destination field is ignored). */
	ipi_send(2, APIC_DEST_SELF | 0x46);
	expect_once_on(0x46, 0x1, "self");
	ipi_send(0, APIC_DEST_ALLINC | 0x47);
	expect_once_on(0x47, 0x7, "all including self");
	ipi_send(0, APIC_DEST_ALLBUT | 0x48);
	expect_once_on(0x48, 0x6, "all excluding self");

	/* NMIs (vector field ignored, the NMI handler counts them). */
	ipi_send(1, APIC_DM_NMI);
	expect_once_on(LAPIC_NMI_VECTOR, 0x2, "NMI to 1");
	ipi_send(0, APIC_DEST_ALLBUT | APIC_DM_NMI);
	t0 = guest_rdtsc();
	while (guest_lapic_irqs[1][LAPIC_NMI_VECTOR] < 2 ||
	       guest_lapic_irqs[2][LAPIC_NMI_VECTOR] < 1)
		GUEST_ASSERT_MSG(guest_rdtsc() - t0 < WAIT_MS * tsc_per_ms,
				 "NMI all-but-self: %lu %lu",
				 guest_lapic_irqs[1][LAPIC_NMI_VECTOR],
				 guest_lapic_irqs[2][LAPIC_NMI_VECTOR]);
	guest_delay_tsc(QUIET_MS * tsc_per_ms);
	GUEST_ASSERT_EQ(guest_lapic_irqs[0][LAPIC_NMI_VECTOR], 0);
	GUEST_ASSERT_EQ(guest_lapic_irqs[1][LAPIC_NMI_VECTOR], 2);
	GUEST_ASSERT_EQ(guest_lapic_irqs[2][LAPIC_NMI_VECTOR], 1);

	/* Lowest priority to APs 1 and 2: one of them. */
	ipi_send(0x06, APIC_DEST_LOGICAL | DM_LOWEST | 0x49);
	t0 = guest_rdtsc();
	while (!events(0x49, 0x6))
		GUEST_ASSERT_MSG(guest_rdtsc() - t0 < WAIT_MS * tsc_per_ms,
				 "lowest priority never delivered");
	guest_delay_tsc(QUIET_MS * tsc_per_ms);
	GUEST_ASSERT_EQ(events(0x49, 0x7), 1);
	GUEST_ASSERT_EQ(events(0x49, 0x1), 0);

	/* Wakes AP 2 from HLT: wait until it is surely asleep. */
	h = halts[2];
	guest_delay_tsc(QUIET_MS * tsc_per_ms);
	GUEST_ASSERT_EQ(halts[2], h);
	ipi_send(2, 0x4a);
	expect_once_on(0x4a, 0x4, "wake from HLT");
	t0 = guest_rdtsc();
	while (halts[2] == h)
		GUEST_ASSERT_MSG(guest_rdtsc() - t0 < WAIT_MS * tsc_per_ms,
				 "AP 2 did not come back to its loop");

	/* Cluster model: the APs are cluster 1, bits 0 and 1. */
	set_cfg(CFG_CLUSTER);
	ipi_send(0x13, APIC_DEST_LOGICAL | 0x50);
	expect_once_on(0x50, 0x6, "cluster 1 mask 3");
	ipi_send(0x12, APIC_DEST_LOGICAL | 0x51);
	expect_once_on(0x51, 0x4, "cluster 1 mask 2");
	ipi_send(0x01, APIC_DEST_LOGICAL | 0x52);
	expect_once_on(0x52, 0x1, "cluster 0 mask 1");
	/* Cluster 2 has nobody. */
	ipi_send(0x23, APIC_DEST_LOGICAL | 0x53);
	guest_delay_tsc(QUIET_MS * tsc_per_ms);
	GUEST_ASSERT_EQ(events(0x53, 7), 0);

	/* x2APIC: LDR = (ID >> 4) << 16 | 1 << (ID & 15). */
	set_cfg(CFG_X2APIC);
	ipi_send(2, 0x60);
	expect_once_on(0x60, 0x4, "x2APIC physical 2");
	ipi_send(0x00000006, APIC_DEST_LOGICAL | 0x61);
	expect_once_on(0x61, 0x6, "x2APIC cluster 0 mask 6");
	ipi_send(0x00010006, APIC_DEST_LOGICAL | 0x62);
	guest_delay_tsc(QUIET_MS * tsc_per_ms);
	GUEST_ASSERT_EQ(events(0x62, 7), 0);
	/* Physical 0xffffffff is the x2APIC broadcast (11.12.9). */
	ipi_send(0xffffffff, 0x63);
	expect_once_on(0x63, 0x7, "x2APIC broadcast");
	ipi_send(0, APIC_DEST_ALLBUT | 0x64);
	expect_once_on(0x64, 0x6, "x2APIC all excluding self");
	x2apic_write(APIC_SELF_IPI, 0x65);
	expect_once_on(0x65, 0x1, "x2APIC SELF_IPI");

	stop = 1;
	for (i = 1; i < NR_VCPUS; i++)
		ipi_send(i, 0x30);
}

FIXTURE(ipi) {};
FIXTURE_SETUP(ipi) {}
FIXTURE_TEARDOWN(ipi) {}

TEST_F_TIMEOUT(ipi, delivery_modes, 100)
{
	struct vcpu_thread t[NR_VCPUS];
	struct kvm_vcpu *vcpus[NR_VCPUS];
	struct kvm_vm *vm;
	unsigned int i;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	for (i = 0; i < NR_VCPUS; i++)
		vcpus[i] = lapic_vcpu_add(vm, i, i ? guest_ap : guest_bsp,
					  false);
	tsc_per_ms = vcpu_tsc_khz(vcpus[0]);
	sync_global_to_guest(vm, tsc_per_ms);
	guest_lapic_auto_eoi = 1;
	sync_global_to_guest(vm, guest_lapic_auto_eoi);
	for (i = 0; i < NR_VCPUS; i++)
		vcpu_thread_start(&t[i], vcpus[i]);
	for (i = 0; i < NR_VCPUS; i++)
		ASSERT_EQ(0, vcpu_thread_join(&t[i], 90));
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
