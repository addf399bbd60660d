/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvmx-bench's interrupt and eventfd rows (issue 6): what the guest side
 * (irq_guest.c) and the host side (irq_rows.c) agree on: the operations,
 * vectors, ports and addresses.  The guest drives its local APIC in
 * x2APIC mode (MSRs, SDM Vol. 3A 11.12), so that every APIC access is one
 * WRMSR exit on both KVMs rather than an emulated MMIO access.
 */
#ifndef KVMX_BENCH_IRQ_H
#define KVMX_BENCH_IRQ_H

#include <stdint.h>

/* guest_irq_bench()'s first argument. */
enum irqb_op {
	IRQB_IOEVENTFD_PIO,	/* OUT to IRQB_IOEVENT_PORT, an ioeventfd */
	IRQB_IOEVENTFD_MMIO,	/* 4-byte write to IRQB_IOEVENT_GPA, ditto */
	IRQB_MMIO_EXIT,		/* writes to IRQB_EXIT_GPA forever: host-timed */
	IRQB_SELF_IPI,		/* ICR, self shorthand; the handler EOIs */
	IRQB_EOI,		/* the same, timing only the handler's EOI */
	IRQB_TSC_DEADLINE,	/* arm at now + IRQB_DEADLINE_DELTA */
	IRQB_TSC_DUE,		/* arm at now: due when the WRMSR runs */
	IRQB_IPI_HALTED,	/* ping-pong with a halted vCPU 1 */
	IRQB_IRQFD,		/* ioeventfd -> host thread -> irqfd */
};

/*
 * Vectors of the guest's own handlers (irq_guest.c installs 16 stubs from
 * IRQB_VEC_BASE).  One priority class (vector >> 4), so none blocks another.
 */
#define IRQB_VEC_BASE		0x40
#define IRQB_NR_VEC		16
#define IRQB_VEC_PONG		0x40	/* vCPU 0: vCPU 1's answer */
#define IRQB_VEC_PING		0x41	/* vCPU 1: answer vCPU 0 */
#define IRQB_VEC_STOP		0x42	/* vCPU 1: leave the HLT loop */
#define IRQB_VEC_SELF		0x43
#define IRQB_VEC_TIMER		0x44
#define IRQB_VEC_IRQFD		0x45

/*
 * Cycles from arming the TSC deadline to the deadline itself: well above
 * what the arming WRMSR exit costs plus how early a KVM starts its host
 * timer to be on time (the distro's lapic_timer_advance_ns, at most 5 us),
 * so that the interrupt comes from a host timer that expires while the
 * guest runs, not from a deadline already due when the WRMSR returns.
 */
#define IRQB_DEADLINE_DELTA	20000UL

/* PAUSEs the guest spins for an interrupt of its own APIC before failing. */
#define IRQB_SPIN_MAX		(1UL << 24)

/*
 * Nothing in either kernel claims these without an ioeventfd, with or
 * without an irqchip (its ports are 0x20/0x21, 0xa0/0xa1, 0x4d0/0x4d1, the
 * PIT's 0x40-0x43 and 0x61 only with KVM_CREATE_PIT2; the IOAPIC sits at
 * 0xfec00000), and the GPAs are outside every memslot.
 */
#define IRQB_IOEVENT_PORT	0xe8
#define IRQB_KICK_PORT		0xea	/* the irqfd row's ioeventfd */
#define IRQB_IOEVENT_GPA	0xd0000000UL
#define IRQB_EXIT_GPA		0xd0001000UL
/* The irqfd row's GSI, routed to an MSI of IRQB_VEC_IRQFD for vCPU 0. */
#define IRQB_GSI		24

/* Guest entries: vCPU 0 measures, vCPU 1 is IRQB_IPI_HALTED's peer. */
void guest_irq_bench(uint64_t op, uint64_t iters, uint64_t runs,
		     uint64_t warmup);
void guest_irq_peer(void);
/* The first of the IRQB_NR_VEC handler stubs, 16 bytes apart. */
extern const char irqb_stubs[];
#define IRQB_STUB_SIZE		16

struct bench_cfg;
struct bench_result;
/* irq_rows.c: the rows, listed in rows.c's bench_rows[]. */
void row_ioeventfd_pio(const struct bench_cfg *cfg, struct bench_result *res);
void row_ioeventfd_mmio(const struct bench_cfg *cfg, struct bench_result *res);
void row_mmio(const struct bench_cfg *cfg, struct bench_result *res);
void row_self_ipi(const struct bench_cfg *cfg, struct bench_result *res);
void row_eoi(const struct bench_cfg *cfg, struct bench_result *res);
void row_tsc_deadline(const struct bench_cfg *cfg, struct bench_result *res);
void row_tsc_due(const struct bench_cfg *cfg, struct bench_result *res);
void row_ipi_halted(const struct bench_cfg *cfg, struct bench_result *res);
void row_irqfd(const struct bench_cfg *cfg, struct bench_result *res);

#endif /* KVMX_BENCH_IRQ_H */
