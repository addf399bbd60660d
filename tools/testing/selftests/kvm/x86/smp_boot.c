// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bringing up application processors with the in-kernel irqchip:
 *  - KVM_GET_MP_STATE after KVM_CREATE_VCPU: the BSP (vCPU 0, or the one
 *    KVM_SET_BOOT_CPU_ID named) is RUNNABLE with IA32_APIC_BASE.BSP set,
 *    the others UNINITIALIZED (waiting for INIT/SIPI); without the
 *    in-kernel irqchip every vCPU is RUNNABLE (api.rst, KVM_GET_MP_STATE);
 *  - KVM_SET_BOOT_CPU_ID only before the first vCPU (EBUSY after);
 *  - INIT then SIPI, step by step (SDM Vol. 3A 9.4.4, 11.6.1): INIT makes
 *    the AP INIT_RECEIVED, the SIPI RUNNABLE at CS = vector << 8, base
 *    vector << 12, IP 0 in real mode; a second SIPI is then ignored;
 *  - the MP protocol from a 64-bit BSP to three APs on their own host
 *    threads: INIT, SIPI, SIPI; each AP runs a real-mode trampoline at
 *    vector << 12 that reports its CS and its APIC ID (read from the xAPIC
 *    page after switching to 32-bit protected mode);
 *  - KVM_RUN of an AP waiting for SIPI blocks in the kernel: a signal
 *    ends it with EINTR and KVM_EXIT_INTR, and the wake-up by INIT/SIPI
 *    returns EAGAIN for the VMM to call KVM_RUN again (what in-tree KVM
 *    does; QEMU retries).
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "guest16.h"
#include "lapic.h"
#include "vcpu_thread.h"

#define SIPI_VECTOR	0x10
#define TRAMPOLINE	(SIPI_VECTOR << 12)
#define NR_APS		3
#define WAIT_MS		20000

/* The trampoline's mailbox in low memory (DS = 0 after INIT). */
#define MB_COUNT	0xb000UL	/* u16: APs that reported */
#define MB_ID		0xb010UL	/* u32 per APIC ID: 0x100 | APIC ID */
#define MB_CS		0xb040UL	/* u16 per APIC ID: CS it ran with */
#define MB_UCALL	0xb100UL	/* a struct ucall saying UCALL_DONE */

#define APIC_INT_LEVEL	(1U << 15)

/*
 * The AP's first code, copied to vector << 12 and entered in real mode
 * with CS = vector << 8, IP = 0.  It notes CS, switches to flat 32-bit
 * protected mode (SDM Vol. 3A 10.9.1) to read its ID from the xAPIC page
 * at 0xfee00000, writes both to the mailbox, and ends with a ucall whose
 * struct the host prepared in the mailbox.  Offsets are relative to the
 * start (CS base); 32-bit addresses add TRAMPOLINE.
 */
REALMODE_CODE(trampoline,
	"cli\n\t"
	"mov %cs, %bx\n\t"
	"mov %cs, %ax\n\t"
	"mov %ax, %ds\n\t"
	"lgdtl " REALMODE_ADDR(trampoline, tr_gdt_desc) "\n\t"
	"mov %cr0, %eax\n\t"
	"or $1, %eax\n\t"
	"mov %eax, %cr0\n\t"
	"ljmpl $0x08, $(0x10000 + " REALMODE_ADDR(trampoline, tr_pm32) ")\n\t"
	".code32\n"
	"tr_pm32:\n\t"
	"mov $0x10, %ax\n\t"
	"mov %ax, %ds\n\t"
	"mov %ax, %es\n\t"
	"mov %ax, %ss\n\t"
	"mov 0xfee00020, %eax\n\t"
	"shr $24, %eax\n\t"
	"mov %eax, %esi\n\t"
	"and $7, %esi\n\t"
	"or $0x100, %eax\n\t"
	"mov %eax, 0xb010(,%esi,4)\n\t"
	"mov %bx, 0xb040(,%esi,4)\n\t"
	"lock incw 0xb000\n\t"
	"mov $0xb100, %eax\n\t"
	"mov $0x7e57, %dx\n\t"
	"out %eax, %dx\n\t"
	"1: hlt\n\t"
	"jmp 1b\n\t"
	".balign 8\n"
	"tr_gdt:\n\t"
	".quad 0\n\t"
	".quad 0x00cf9a000000ffff\n\t"	/* 0x08: flat 32-bit code */
	".quad 0x00cf92000000ffff\n"	/* 0x10: flat data */
	"tr_gdt_desc:\n\t"
	".word 23\n\t"
	".long 0x10000 + " REALMODE_ADDR(trampoline, tr_gdt) "\n\t");

static uint64_t tsc_per_ms;

static uint32_t mp_state(struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp;

	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

/* Trampoline at vector << 12 and the mailbox's DONE ucall. */
static void setup_trampoline(struct kvm_vm *vm)
{
	struct ucall *uc = addr_gpa2hva(vm, MB_UCALL);

	memcpy(addr_gpa2hva(vm, TRAMPOLINE), trampoline_start,
	       trampoline_end - trampoline_start);
	memset(addr_gpa2hva(vm, MB_COUNT), 0, 0x100);
	memset(uc, 0, sizeof(*uc));
	uc->cmd = UCALL_DONE;
}

static uint32_t mb_read32(struct kvm_vm *vm, uint64_t gpa)
{
	return *(volatile uint32_t *)addr_gpa2hva(vm, gpa);
}

static uint16_t mb_read16(struct kvm_vm *vm, uint64_t gpa)
{
	return *(volatile uint16_t *)addr_gpa2hva(vm, gpa);
}

TEST(mp_state_at_creation)
{
	struct kvm_vcpu *v0, *v1, *v2;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = vm_create_bare();
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	v0 = vm_vcpu_add_bare(vm, 0);
	v1 = vm_vcpu_add_bare(vm, 1);
	v2 = vm_vcpu_add_bare(vm, 2);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(v0));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(v1));
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(v2));
	EXPECT_EQ(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		  MSR_IA32_APICBASE_BSP, vcpu_get_msr(v0, MSR_IA32_APICBASE));
	EXPECT_EQ(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE,
		  vcpu_get_msr(v1, MSR_IA32_APICBASE));
	kvm_vm_free(vm);

	/* No in-kernel irqchip: nobody waits for a SIPI KVM would deliver. */
	vm = vm_create_bare();
	v0 = vm_vcpu_add_bare(vm, 0);
	v1 = vm_vcpu_add_bare(vm, 1);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(v0));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(v1));
	kvm_vm_free(vm);
}

TEST(set_boot_cpu_id)
{
	struct kvm_vcpu *v0, *v2;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	if (kvm_check_cap(KVM_CAP_SET_BOOT_CPU_ID) <= 0)
		TEST_SKIP(return, "KVM_CAP_SET_BOOT_CPU_ID not reported");
	vm = vm_create_bare();
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, NULL);
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 2UL));
	/* Again, still before any vCPU: fine. */
	ASSERT_EQ(0, ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 2UL));
	v0 = vm_vcpu_add_bare(vm, 0);
	EXPECT_ERRNO(EBUSY, ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 0UL));
	v2 = vm_vcpu_add_bare(vm, 2);
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(v0));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(v2));
	EXPECT_EQ(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE,
		  vcpu_get_msr(v0, MSR_IA32_APICBASE));
	EXPECT_EQ(APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		  MSR_IA32_APICBASE_BSP, vcpu_get_msr(v2, MSR_IA32_APICBASE));
	EXPECT_ERRNO(EBUSY, ioctl(vm->fd, KVM_SET_BOOT_CPU_ID, 2UL));
	kvm_vm_free(vm);
}

static void send_icr(uint32_t dest, uint32_t icr)
{
	xapic_write(APIC_ICR2, dest << 24);
	xapic_write(APIC_ICR, icr);
}

static void send_init(uint32_t dest)
{
	send_icr(dest, APIC_DM_INIT | APIC_INT_LEVEL | APIC_INT_ASSERT);
	/* The de-assert is a no-op for KVM and modern CPUs (SDM 11.6.1). */
	send_icr(dest, APIC_DM_INIT | APIC_INT_LEVEL);
}

static void guest_init_sipi_steps(void)
{
	xapic_write(APIC_SPIV, 0x1ff);
	send_init(1);
	GUEST_SYNC(1);
	send_icr(1, APIC_DM_STARTUP | SIPI_VECTOR);
	GUEST_SYNC(2);
	/* The AP runs already: this SIPI is ignored. */
	send_icr(1, APIC_DM_STARTUP | 0x20);
	GUEST_SYNC(3);
}

TEST(init_sipi_steps)
{
	struct kvm_vcpu *bsp, *ap;
	struct kvm_sregs s;
	struct kvm_regs r;
	struct kvm_vm *vm;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	bsp = lapic_vcpu_add(vm, 0, guest_init_sipi_steps, false);
	ap = lapic_vcpu_add(vm, 1, NULL, true);
	setup_trampoline(vm);
	ASSERT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(ap));

	vcpu_expect_ucall(bsp, UCALL_SYNC, 1);
	EXPECT_EQ(KVM_MP_STATE_INIT_RECEIVED, mp_state(ap));

	vcpu_expect_ucall(bsp, UCALL_SYNC, 2);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(ap));
	vcpu_sregs_get(ap, &s);
	vcpu_regs_get(ap, &r);
	EXPECT_EQ(SIPI_VECTOR << 8, s.cs.selector);
	EXPECT_EQ(TRAMPOLINE, s.cs.base);
	EXPECT_EQ(0, r.rip);
	/* INIT reset the rest: real mode, no long mode, no paging. */
	EXPECT_EQ(0, s.cr0 & X86_CR0_PE);
	EXPECT_EQ(0, s.efer & EFER_LME);
	vcpu_expect_ucall(ap, UCALL_DONE, 0);
	EXPECT_EQ(1, mb_read16(vm, MB_COUNT));
	EXPECT_EQ(0x101, mb_read32(vm, MB_ID + 4));
	EXPECT_EQ(SIPI_VECTOR << 8, mb_read16(vm, MB_CS + 4));
	vcpu_regs_get(ap, &r);
	vcpu_sregs_get(ap, &s);
	/* In the trampoline's 32-bit code segment now. */
	EXPECT_EQ(0x08, s.cs.selector);

	vcpu_expect_ucall(bsp, UCALL_SYNC, 3);
	{
		struct kvm_sregs s2;
		struct kvm_regs r2;

		EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(ap));
		vcpu_sregs_get(ap, &s2);
		vcpu_regs_get(ap, &r2);
		EXPECT_EQ(s.cs.selector, s2.cs.selector);
		EXPECT_EQ(s.cs.base, s2.cs.base);
		EXPECT_EQ(r.rip, r2.rip);
	}
	vcpu_expect_ucall(bsp, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* The BSP's side of the MP protocol, to APs 1..NR_APS. */
static void guest_bsp_boot(void)
{
	volatile uint16_t *count = (volatile uint16_t *)MB_COUNT;
	uint64_t t0;
	uint32_t id;

	xapic_write(APIC_SPIV, 0x1ff);
	for (id = 1; id <= NR_APS; id++)
		send_init(id);
	guest_delay_tsc(10 * tsc_per_ms);
	for (id = 1; id <= NR_APS; id++) {
		send_icr(id, APIC_DM_STARTUP | SIPI_VECTOR);
		guest_delay_tsc(tsc_per_ms / 5);
		send_icr(id, APIC_DM_STARTUP | SIPI_VECTOR);
	}
	t0 = guest_rdtsc();
	while (*count < NR_APS) {
		GUEST_ASSERT_MSG(guest_rdtsc() - t0 < WAIT_MS * tsc_per_ms,
				 "%u of %u APs reported", *count, NR_APS);
		asm volatile("pause" ::: "memory");
	}
	for (id = 1; id <= NR_APS; id++) {
		GUEST_ASSERT_EQ(*(volatile uint32_t *)(MB_ID + 4 * id),
				0x100 | id);
		GUEST_ASSERT_EQ(*(volatile uint16_t *)(MB_CS + 4 * id),
				SIPI_VECTOR << 8);
	}
	GUEST_ASSERT_EQ(*(volatile uint32_t *)MB_ID, 0);
}

struct ap_thread {
	struct kvm_vcpu *vcpu;
	pthread_t tid;
	int eagain;		/* KVM_RUN returns with EAGAIN */
	int other_errno;	/* any other failure of KVM_RUN */
	uint64_t ucall;		/* the ucall that ended it */
	volatile int done;
};

static void *ap_thread_fn(void *arg)
{
	struct ap_thread *t = arg;

	for (;;) {
		int r = __vcpu_run(t->vcpu);

		if (r < 0 && errno == EAGAIN) {
			t->eagain++;
			continue;
		}
		if (r < 0)
			t->other_errno = errno;
		else
			t->ucall = get_ucall(t->vcpu, NULL);
		break;
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

FIXTURE(smp) {};
FIXTURE_SETUP(smp) {}
FIXTURE_TEARDOWN(smp) {}

TEST_F_TIMEOUT(smp, boot_three_aps, 100)
{
	struct ap_thread ap[NR_APS] = {};
	struct vcpu_thread bsp_t;
	struct kvm_vcpu *bsp;
	struct kvm_vm *vm;
	int i, w;

	REQUIRE_IRQCHIP();
	vm = lapic_vm_create();
	bsp = lapic_vcpu_add(vm, 0, guest_bsp_boot, false);
	for (i = 0; i < NR_APS; i++) {
		ap[i].vcpu = lapic_vcpu_add(vm, i + 1, NULL, true);
		ASSERT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(ap[i].vcpu));
	}
	setup_trampoline(vm);
	tsc_per_ms = vcpu_tsc_khz(bsp);
	sync_global_to_guest(vm, tsc_per_ms);

	/* The APs first: each blocks in KVM_RUN until its SIPI. */
	for (i = 0; i < NR_APS; i++)
		ASSERT_EQ(0, pthread_create(&ap[i].tid, NULL, ap_thread_fn,
					    &ap[i]));
	sleep_ms(200);
	for (i = 0; i < NR_APS; i++)
		EXPECT_EQ(0, ap[i].done);
	vcpu_thread_start(&bsp_t, bsp);
	ASSERT_EQ(0, vcpu_thread_join(&bsp_t, 80));
	for (i = 0; i < NR_APS; i++) {
		for (w = 0; w < 1000 && !ap[i].done; w++)
			sleep_ms(10);
		ASSERT_EQ(1, ap[i].done) TH_LOG("AP %d never finished", i + 1);
		pthread_join(ap[i].tid, NULL);
		EXPECT_EQ(0, ap[i].other_errno);
		EXPECT_EQ(UCALL_DONE, ap[i].ucall);
		EXPECT_GE(ap[i].eagain, 1);
		EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp_state(ap[i].vcpu));
		EXPECT_EQ(0x100U | (i + 1), mb_read32(vm, MB_ID + 4 * (i + 1)));
	}
	EXPECT_EQ(NR_APS, mb_read16(vm, MB_COUNT));
	kvm_vm_free(vm);
}

static void on_sigusr1(int sig)
{
}

/* An AP waiting for SIPI: KVM_RUN blocks until a signal (EINTR). */
TEST_F_TIMEOUT(smp, run_waiting_ap, 60)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct ap_thread ap = {};
	struct kvm_vcpu *bsp;
	struct kvm_vm *vm;
	int w;

	REQUIRE_IRQCHIP();
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vm = lapic_vm_create();
	bsp = lapic_vcpu_add(vm, 0, NULL, false);
	ap.vcpu = lapic_vcpu_add(vm, 1, NULL, true);
	(void)bsp;

	/* immediate_exit: EINTR at once, nothing changes. */
	ap.vcpu->run->immediate_exit = 1;
	EXPECT_ERRNO(EINTR, __vcpu_run(ap.vcpu));
	ap.vcpu->run->immediate_exit = 0;
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(ap.vcpu));

	ASSERT_EQ(0, pthread_create(&ap.tid, NULL, ap_thread_fn, &ap));
	sleep_ms(300);
	/* Still inside KVM_RUN: nothing to do for an AP without SIPI. */
	EXPECT_EQ(0, ap.done);
	/* Repeated: the first signal may come before the ioctl. */
	for (w = 0; w < 200 && !ap.done; w++) {
		pthread_kill(ap.tid, SIGUSR1);
		sleep_ms(50);
	}
	ASSERT_EQ(1, ap.done);
	pthread_join(ap.tid, NULL);
	EXPECT_EQ(EINTR, ap.other_errno);
	EXPECT_EQ(0, ap.eagain);
	EXPECT_EQ(KVM_EXIT_INTR, ap.vcpu->run->exit_reason);
	EXPECT_EQ(KVM_MP_STATE_UNINITIALIZED, mp_state(ap.vcpu));
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
