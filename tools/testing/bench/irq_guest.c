// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest of kvmx-bench's interrupt and eventfd rows (irq_bench.h): a
 * loop per operation, timed with the TSC like guest.c's, and the
 * interrupt handlers those loops wait for.  Each handler notes the TSC,
 * does its vector's work (vCPU 1 answers vCPU 0's IPI), EOIs (the cost of
 * that WRMSR is summed for the EOI row) and then counts the interrupt,
 * which is what the loops wait on.
 *
 * Waiting: where the interrupt comes from this vCPU's own APIC (self-IPI,
 * timer) the loop spins; where it needs another thread of the host (vCPU
 * 1, the irqfd row's eventfd thread) it halts, because the exit suite's
 * host has one CPU and a spinning vCPU would keep that thread off it
 * until the host's scheduler tick.
 */
#include "guest.h"
#include "x86.h"
#include "bench.h"
#include "irq_bench.h"

#define IRQB_STR_(x)	#x
#define IRQB_STR(x)	IRQB_STR_(x)

/* x2APIC MSRs (SDM Vol. 3A 11.12.1.2, table 11-6) and the deadline MSR. */
#define X2APIC_EOI		0x80b
#define X2APIC_SVR		0x80f
#define X2APIC_ICR		0x830
#define X2APIC_LVTT		0x832
#define MSR_TSC_DEADLINE	0x6e0

#define APIC_SVR_ENABLE		(1UL << 8)
#define APIC_SPURIOUS_VEC	0xff
/* ICR: fixed delivery, physical destination, level assert (11.6.1). */
#define ICR_ASSERT		(1UL << 14)
#define ICR_SELF		(1UL << 18)	/* destination shorthand 01 */
#define ICR_DEST(id)		((uint64_t)(id) << 32)
/* LVT timer mode 10b: TSC-deadline (11.5.4.1). */
#define LVTT_TSC_DEADLINE	(2UL << 17)

volatile uint64_t irqb_hits[IRQB_NR_VEC];
volatile uint64_t irqb_tsc;		/* TSC when the last handler began */
volatile uint64_t irqb_eoi_cycles;	/* sum of the EOI writes' cycles */
volatile uint64_t irqb_peer_ready;
volatile uint64_t irqb_stop;

void irqb_dispatch(uint64_t vec);

/*
 * One stub per vector: push its number, then save the registers the C
 * ABI lets irqb_dispatch() clobber.  In 64-bit mode the CPU aligns RSP to
 * 16 bytes and pushes 5 quadwords (SDM Vol. 3A 7.14.2); the vector and 9
 * registers make 15, so one more slot puts RSP on a 16-byte boundary at
 * the call, as the ABI wants.  The frame lands below the interrupted
 * code's RSP: this file is built with -mno-red-zone (Makefile), so no
 * code an interrupt can hit keeps data there.
 */
asm(".pushsection .text\n"
    ".balign 16\n"
    ".globl irqb_stubs\n"
    "irqb_stubs:\n"
    "vec = " IRQB_STR(IRQB_VEC_BASE) "\n"
    ".rept " IRQB_STR(IRQB_NR_VEC) "\n"
    ".balign 16\n"
    "\tpushq $vec\n"
    "\tjmp irqb_common\n"
    "vec = vec + 1\n"
    ".endr\n"
    "irqb_common:\n"
    "\tpush %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n"
    "\tpush %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n"
    "\tmov 72(%rsp), %rdi\n"
    "\tsub $8, %rsp\n"
    "\tcall irqb_dispatch\n"
    "\tadd $8, %rsp\n"
    "\tpop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n"
    "\tpop %rdi\n\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rax\n"
    "\tadd $8, %rsp\n"
    "\tiretq\n"
    ".popsection\n");

void irqb_dispatch(uint64_t vec)
{
	uint64_t t = bench_rdtsc();

	irqb_tsc = t;
	if (vec == IRQB_VEC_PING)
		guest_wrmsr(X2APIC_ICR, ICR_DEST(0) | ICR_ASSERT | IRQB_VEC_PONG);
	else if (vec == IRQB_VEC_STOP)
		irqb_stop = 1;
	t = bench_rdtsc();
	guest_wrmsr(X2APIC_EOI, 0);
	irqb_eoi_cycles += bench_rdtsc() - t;
	irqb_hits[vec - IRQB_VEC_BASE]++;
}

/* xAPIC (enabled at reset) to x2APIC is a legal transition (11.12.5). */
static void x2apic_enable(void)
{
	uint64_t base = guest_rdmsr(MSR_IA32_APICBASE);

	guest_wrmsr(MSR_IA32_APICBASE,
		    base | MSR_IA32_APICBASE_ENABLE | MSR_IA32_APICBASE_EXTD);
	guest_wrmsr(X2APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VEC);
}

static uint64_t hits(unsigned int vec)
{
	return irqb_hits[vec - IRQB_VEC_BASE];
}

/*
 * Bounded, so that a KVM which never delivers fails the row with a reason
 * rather than by the row's time limit: IRQB_SPIN_MAX PAUSEs are far more
 * than any deadline or delivery here takes.
 */
static void wait_spin(unsigned int vec, uint64_t seen)
{
	uint64_t n;

	for (n = 0; hits(vec) == seen; n++) {
		GUEST_ASSERT_MSG(n < IRQB_SPIN_MAX,
				 "vector 0x%x not delivered", vec);
		asm volatile("pause" : : : "memory");
	}
}

/*
 * STI's shadow covers the HLT (SDM Vol. 3A 7.8.3): an interrupt that
 * arrives after the check wakes the HLT instead of being taken before it.
 */
static void wait_halted(unsigned int vec, uint64_t seen)
{
	for (;;) {
		asm volatile("cli" : : : "memory");
		if (hits(vec) != seen)
			break;
		asm volatile("sti; hlt" : : : "memory");
	}
	asm volatile("sti" : : : "memory");
}

static void self_ipi(void)
{
	uint64_t seen = hits(IRQB_VEC_SELF);

	guest_wrmsr(X2APIC_ICR, ICR_SELF | ICR_ASSERT | IRQB_VEC_SELF);
	wait_spin(IRQB_VEC_SELF, seen);
}

/*
 * Cycles from a deadline IRQB_DEADLINE_DELTA ahead to its handler's first
 * TSC read: the timer interrupt's latency (the programmed delay itself is
 * not counted).  The timer fires when the TSC reaches the deadline (SDM
 * Vol. 3A 11.5.4.1), so a handler that runs earlier is a KVM bug.
 */
static uint64_t deadline_once(void)
{
	uint64_t seen = hits(IRQB_VEC_TIMER);
	uint64_t deadline = bench_rdtsc() + IRQB_DEADLINE_DELTA;

	guest_wrmsr(MSR_TSC_DEADLINE, deadline);
	/* Taken on the way back from the WRMSR: it measured the arming. */
	GUEST_ASSERT_MSG(hits(IRQB_VEC_TIMER) == seen,
			 "deadline passed while arming it: raise IRQB_DEADLINE_DELTA");
	wait_spin(IRQB_VEC_TIMER, seen);
	GUEST_ASSERT_MSG(irqb_tsc >= deadline,
			 "timer handler at 0x%lx, before the deadline 0x%lx",
			 irqb_tsc, deadline);
	return irqb_tsc - deadline;
}

/* A deadline already due: the WRMSR itself makes the timer fire. */
static void deadline_due(void)
{
	uint64_t seen = hits(IRQB_VEC_TIMER);

	guest_wrmsr(MSR_TSC_DEADLINE, bench_rdtsc());
	wait_spin(IRQB_VEC_TIMER, seen);
}

static void ping_peer(void)
{
	uint64_t seen = hits(IRQB_VEC_PONG);

	guest_wrmsr(X2APIC_ICR, ICR_DEST(1) | ICR_ASSERT | IRQB_VEC_PING);
	wait_halted(IRQB_VEC_PONG, seen);
}

static void kick_host(void)
{
	uint64_t seen = hits(IRQB_VEC_IRQFD);

	outb(IRQB_KICK_PORT, 0);
	wait_halted(IRQB_VEC_IRQFD, seen);
}

/*
 * TSC cycles of @n operations; for the EOI and deadline rows the sum of
 * the part measured, not the loop's time.
 */
static uint64_t timed_loop(uint64_t op, uint64_t n)
{
	uint64_t t0 = bench_rdtsc(), e0 = irqb_eoi_cycles, sum = 0, i;

	for (i = 0; i < n; i++) {
		switch (op) {
		case IRQB_IOEVENTFD_PIO:
			outb(IRQB_IOEVENT_PORT, 0);
			break;
		case IRQB_IOEVENTFD_MMIO:
			*(volatile uint32_t *)IRQB_IOEVENT_GPA = 0;
			break;
		case IRQB_SELF_IPI:
		case IRQB_EOI:
			self_ipi();
			break;
		case IRQB_TSC_DEADLINE:
			sum += deadline_once();
			break;
		case IRQB_TSC_DUE:
			deadline_due();
			break;
		case IRQB_IPI_HALTED:
			ping_peer();
			break;
		case IRQB_IRQFD:
			kick_host();
			break;
		}
	}
	if (op == IRQB_EOI)
		return irqb_eoi_cycles - e0;
	if (op == IRQB_TSC_DEADLINE)
		return sum;
	return bench_rdtsc() - t0;
}

void guest_irq_bench(uint64_t op, uint64_t iters, uint64_t runs,
		     uint64_t warmup)
{
	uint64_t r;

	if (op == IRQB_MMIO_EXIT) {
		/* Each write is one KVM_EXIT_MMIO; the host times them. */
		for (;;)
			*(volatile uint32_t *)IRQB_EXIT_GPA = 0;
	}
	if (op >= IRQB_SELF_IPI)
		x2apic_enable();
	if (op == IRQB_TSC_DEADLINE || op == IRQB_TSC_DUE)
		guest_wrmsr(X2APIC_LVTT, LVTT_TSC_DEADLINE | IRQB_VEC_TIMER);
	if (op == IRQB_IPI_HALTED) {
		uint64_t n;

		/* Spinning: the peer's thread gets the host CPU by preemption. */
		for (n = 0; !irqb_peer_ready; n++) {
			GUEST_ASSERT_MSG(n < IRQB_SPIN_MAX, "vCPU 1 never ran");
			asm volatile("pause" : : : "memory");
		}
	}
	timed_loop(op, warmup);
	for (r = 0; r < runs; r++)
		ucall(UCALL_SYNC, 2, r, timed_loop(op, iters));
	if (op == IRQB_IPI_HALTED)
		guest_wrmsr(X2APIC_ICR, ICR_DEST(1) | ICR_ASSERT | IRQB_VEC_STOP);
}

/* vCPU 1: halts until vCPU 0 sends STOP; its PING handler answers. */
void guest_irq_peer(void)
{
	x2apic_enable();
	irqb_peer_ready = 1;
	asm volatile("cli" : : : "memory");
	while (!irqb_stop)
		asm volatile("sti; hlt; cli" : : : "memory");
	asm volatile("sti" : : : "memory");
}
