// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark's rows: what each one runs and how it is timed.
 *
 * Exits handled in the kernel (CPUID, hypercall, RDMSR) are timed by the
 * guest itself (guest.c) and reported through ucalls.  The two rows that
 * go through userspace, a port write completed by the VMM and a KVM_RUN
 * that returns at once (immediate_exit), are timed here with the host's
 * TSC and CLOCK_MONOTONIC around the loop of ioctls.
 *
 * A row never aborts the benchmark: each runs in a child process (main.c)
 * and anything unexpected (an ioctl error, an exit that is not the one
 * wanted, a guest assertion or exception) ends the row with a reason.
 */
#include <stdarg.h>

#include "kvm_util.h"
#include "bench.h"
#include "irq_bench.h"

void row_fail(struct bench_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->err, sizeof(res->err), fmt, ap);
	va_end(ap);
}

/* Why the vCPU stopped, when it is not what the row expects. */
static void row_fail_exit(struct bench_result *res, struct kvm_vcpu *vcpu,
			  const char *what)
{
	bench_exit_str(vcpu, what, res->err, sizeof(res->err));
}

static bool run_ok(struct bench_result *res, struct kvm_vcpu *vcpu)
{
	if (__vcpu_run(vcpu) == 0)
		return true;
	row_fail(res, "KVM_RUN: %s", strerror(errno));
	return false;
}

/* Rows timed by the guest: collect its SYNC ucalls, one per run. */
void guest_timed_runs(const struct bench_cfg *cfg, struct kvm_vcpu *vcpu,
		      struct bench_result *res)
{
	struct ucall uc;

	while (res->n < cfg->runs) {
		if (!run_ok(res, vcpu))
			break;
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			res->cycles[res->n++] = uc.args[1];
			continue;
		case UCALL_PRINTF:
			continue;
		case UCALL_ASSERT:
			row_fail(res, "guest check failed: %s", uc.msg);
			break;
		case UCALL_UNHANDLED:
			row_fail(res, "guest exception, vector %lu, error code 0x%lx",
				 uc.args[0], uc.args[1]);
			break;
		case UCALL_NONE:
			row_fail_exit(res, vcpu, "unexpected exit");
			break;
		default:
			row_fail(res, "unexpected ucall %s", ucall_name(uc.cmd));
		}
		break;
	}
}

static void run_guest_timed(const struct bench_cfg *cfg, enum bench_op op,
			    struct bench_result *res)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	vm = vm_create_guest(&vcpu, (void (*)(void))guest_bench);
	vcpu_set_args(vcpu, 4, (uint64_t)op, cfg->iters, cfg->runs,
		      cfg->warmup);
	guest_timed_runs(cfg, vcpu, res);
	kvm_vm_free(vm);
}

static void row_cpuid(const struct bench_cfg *cfg, struct bench_result *res)
{
	run_guest_timed(cfg, OP_CPUID, res);
}

/* The vendor's own instruction: the other one is #UD, which KVM patches. */
static void row_hypercall(const struct bench_cfg *cfg, struct bench_result *res)
{
	run_guest_timed(cfg, host_vendor() == VENDOR_AMD ? OP_VMMCALL : OP_VMCALL,
			res);
}

static void row_rdmsr(const struct bench_cfg *cfg, struct bench_result *res)
{
	run_guest_timed(cfg, OP_RDMSR, res);
}

static bool is_pio_exit(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	return run->exit_reason == KVM_EXIT_IO &&
	       run->io.direction == KVM_EXIT_IO_OUT &&
	       run->io.port == BENCH_PIO_PORT && run->io.size == 1 &&
	       run->io.count == 1;
}

/* KVM_RUNs that each must end in the guest's next OUT. */
static bool pio_rounds(struct bench_result *res, struct kvm_vcpu *vcpu,
		       uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (!run_ok(res, vcpu))
			return false;
		if (!is_pio_exit(vcpu)) {
			row_fail_exit(res, vcpu, "expected the guest's OUT");
			return false;
		}
	}
	return true;
}

/*
 * KVM_RUNs with immediate_exit set: in-tree KVM returns EINTR without
 * entering the guest and leaves exit_reason alone (api.rst,
 * "immediate_exit").
 */
static bool immediate_exit_rounds(struct bench_result *res,
				  struct kvm_vcpu *vcpu, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (__vcpu_run(vcpu) == 0) {
			row_fail_exit(res, vcpu,
				      "KVM_RUN with immediate_exit entered the guest");
			return false;
		}
		if (errno != EINTR) {
			row_fail(res, "KVM_RUN with immediate_exit: %s, not EINTR",
				 strerror(errno));
			return false;
		}
	}
	return true;
}

/* Warm up, then time cfg->runs batches of cfg->iters rounds. */
void host_timed(const struct bench_cfg *cfg, struct bench_result *res,
		       struct kvm_vcpu *vcpu, rounds_fn rounds)
{
	uint64_t c0, t0;

	if (!rounds(res, vcpu, cfg->warmup))
		return;
	while (res->n < cfg->runs) {
		t0 = bench_now_ns();
		c0 = bench_rdtsc();
		if (!rounds(res, vcpu, cfg->iters))
			return;
		res->cycles[res->n] = bench_rdtsc() - c0;
		res->ns[res->n] = bench_now_ns() - t0;
		res->n++;
	}
}

/* A guest doing OUT to BENCH_PIO_PORT forever, run up to its first OUT. */
static struct kvm_vm *pio_guest(struct bench_result *res,
				struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_guest(vcpu, (void (*)(void))guest_bench);

	vcpu_set_args(*vcpu, 4, (uint64_t)OP_PIO, 0UL, 0UL, 0UL);
	pio_rounds(res, *vcpu, 1);
	return vm;
}

static void row_pio(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = pio_guest(res, &vcpu);

	if (!res->err[0])
		host_timed(cfg, res, vcpu, pio_rounds);
	kvm_vm_free(vm);
}

/*
 * The guest is first run to its first OUT so that the vCPU is fully set
 * up (both KVMs do some work on the first KVM_RUN); the first
 * immediate-exit KVM_RUN (warm-up) then also completes that OUT.
 */
static void row_immediate_exit(const struct bench_cfg *cfg,
			       struct bench_result *res)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = pio_guest(res, &vcpu);

	if (!res->err[0]) {
		vcpu->run->immediate_exit = 1;
		host_timed(cfg, res, vcpu, immediate_exit_rounds);
	}
	kvm_vm_free(vm);
}

const struct bench_row bench_rows[] = {
	{ "cpuid", row_cpuid },
	{ "hypercall", row_hypercall },
	{ "rdmsr", row_rdmsr },
	{ "pio", row_pio },
	{ "immediate_exit", row_immediate_exit },
	/*
	 * irq_rows.c: ioeventfds, then those that need KVM_CREATE_IRQCHIP;
	 * the three that take 20k to 90k cycles a round run a tenth as many.
	 */
	{ "ioeventfd_pio", row_ioeventfd_pio },
	{ "ioeventfd_mmio", row_ioeventfd_mmio },
	{ "mmio", row_mmio },
	{ "self_ipi", row_self_ipi },
	{ "eoi", row_eoi },
	{ "tsc_deadline", row_tsc_deadline, 10 },
	{ "tsc_due", row_tsc_due },
	{ "ipi_halted", row_ipi_halted, 10 },
	{ "irqfd", row_irqfd, 10 },
};
const unsigned int bench_nr_rows = ARRAY_SIZE(bench_rows);
