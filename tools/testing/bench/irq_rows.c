// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmx-bench's interrupt and eventfd rows (issue 6): the VMs they need and
 * what the host does while the guest (irq_guest.c) times itself.
 *
 * - ioeventfd_pio, ioeventfd_mmio: guest writes that an ioeventfd takes in
 *   the kernel (no exit to the VMM); the eventfd's count is checked
 *   afterwards.  mmio: the same MMIO write without one, each a
 *   KVM_EXIT_MMIO completed by this VMM (host-timed, like rows.c's pio).
 * - With KVM_CREATE_IRQCHIP (n/a where KVM_CAP_IRQCHIP is not reported):
 *   self_ipi, eoi, tsc_deadline, tsc_due on one vCPU; ipi_halted, a
 *   ping-pong between two vCPUs that halt while they wait (the exit
 *   suite's host has one CPU: the vCPU threads take turns on it; an IPI
 *   to a vCPU running on another host CPU cannot be measured there);
 *   irqfd, the guest's OUT to an ioeventfd wakes a thread here that
 *   writes an irqfd routed to an MSI of the guest's vector.
 *
 * Each row runs in a child process (main.c): threads left blocked when a
 * row fails end with it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kvm_util.h"
#include "guest_irq.h"
#include "bench.h"
#include "irq_bench.h"

#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)

/* Points the guest's IDT at irqb_stubs (64-bit interrupt gates). */
static void install_stubs(struct kvm_vcpu *vcpu)
{
	struct kvm_sregs s;
	unsigned int i;

	/* The library's stubs for every other vector, and the IDT limit. */
	vcpu_install_irq_handlers(vcpu);
	vcpu_sregs_get(vcpu, &s);
	for (i = 0; i < IRQB_NR_VEC; i++) {
		uint64_t h = (uint64_t)(uintptr_t)irqb_stubs + IRQB_STUB_SIZE * i;
		uint64_t *gate = addr_gpa2hva(vcpu->vm,
					      s.idt.base + 16 * (IRQB_VEC_BASE + i));

		gate[0] = (h & 0xffff) | ((uint64_t)s.cs.selector << 16) |
			  (0x8eULL << 40) | ((h >> 16) & 0xffff) << 48;
		gate[1] = h >> 32;
	}
}

/*
 * The x2APIC and deadline-timer bits of CPUID 1, which the APIC MSRs
 * depend on; both KVMs emulate them, whatever the host CPU has.
 */
static void cpuid_apic_bits(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c = vcpu_get_cpuid2(vcpu);
	struct kvm_cpuid_entry2 *e = kvm_cpuid_find(c, 1, 0);

	if (e) {
		e->ecx |= CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE;
		vcpu_set_cpuid(vcpu, c);
	}
	free(c);
}

static struct kvm_vcpu *add_vcpu(struct kvm_vm *vm, uint32_t id,
				 void (*code)(void), bool irqchip)
{
	struct kvm_vcpu *vcpu = vm_vcpu_add_guest(vm, id, code);

	install_stubs(vcpu);
	if (irqchip)
		cpuid_apic_bits(vcpu);
	return vcpu;
}

/*
 * A VM running guest_irq_bench(@op) on vCPU 0; with @irqchip, the
 * in-kernel one (before any vCPU exists, as KVM requires).  NULL and
 * @res->err when the KVM cannot.
 */
static struct kvm_vm *irq_vm(const struct bench_cfg *cfg,
			     struct bench_result *res, enum irqb_op op,
			     bool irqchip, struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm;

	if (irqchip && kvm_check_cap(KVM_CAP_IRQCHIP) <= 0) {
		row_fail(res, "KVM_CAP_IRQCHIP not reported");
		return NULL;
	}
	vm = vm_create_guest(NULL, (void (*)(void))guest_irq_bench);
	if (irqchip && ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0)) {
		row_fail(res, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		kvm_vm_free(vm);
		return NULL;
	}
	*vcpu = add_vcpu(vm, 0, NULL, irqchip);
	vcpu_set_args(*vcpu, 4, (uint64_t)op, cfg->iters, cfg->runs,
		      cfg->warmup);
	return vm;
}

/* An eventfd signalled by guest writes to @addr; -1 and @res->err if not. */
static int assign_ioeventfd(struct kvm_vm *vm, struct bench_result *res,
			    uint64_t addr, uint32_t len, uint32_t flags,
			    int efd_flags)
{
	struct kvm_ioeventfd io = {
		.addr = addr, .len = len, .flags = flags,
	};
	int fd;

	if (kvm_check_cap(KVM_CAP_IOEVENTFD) <= 0) {
		row_fail(res, "KVM_CAP_IOEVENTFD not reported");
		return -1;
	}
	fd = eventfd(0, efd_flags);
	if (fd < 0) {
		row_fail(res, "eventfd: %s", strerror(errno));
		return -1;
	}
	io.fd = fd;
	if (ioctl(vm->fd, KVM_IOEVENTFD, &io)) {
		row_fail(res, "KVM_IOEVENTFD: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void ioeventfd_row(const struct bench_cfg *cfg,
			  struct bench_result *res, enum irqb_op op,
			  uint64_t addr, uint32_t len, uint32_t flags)
{
	uint64_t want = cfg->warmup + cfg->runs * cfg->iters, got = 0;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = irq_vm(cfg, res, op, false, &vcpu);
	int fd;

	if (!vm)
		return;
	fd = assign_ioeventfd(vm, res, addr, len, flags, EFD_NONBLOCK);
	if (fd >= 0) {
		guest_timed_runs(cfg, vcpu, res);
		if (read(fd, &got, sizeof(got)) != sizeof(got))
			got = 0;
		if (!res->err[0] && got != want)
			row_fail(res, "ioeventfd signalled %lu times, not %lu",
				 got, want);
		close(fd);
	}
	kvm_vm_free(vm);
}

void row_ioeventfd_pio(const struct bench_cfg *cfg, struct bench_result *res)
{
	ioeventfd_row(cfg, res, IRQB_IOEVENTFD_PIO, IRQB_IOEVENT_PORT, 1,
		      KVM_IOEVENTFD_FLAG_PIO);
}

void row_ioeventfd_mmio(const struct bench_cfg *cfg, struct bench_result *res)
{
	ioeventfd_row(cfg, res, IRQB_IOEVENTFD_MMIO, IRQB_IOEVENT_GPA, 4, 0);
}

/* KVM_RUNs that each must end in the guest's next MMIO write. */
static bool mmio_rounds(struct bench_result *res, struct kvm_vcpu *vcpu,
			uint64_t n)
{
	struct kvm_run *run = vcpu->run;
	uint64_t i;

	for (i = 0; i < n; i++) {
		if (__vcpu_run(vcpu)) {
			row_fail(res, "KVM_RUN: %s", strerror(errno));
			return false;
		}
		if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write ||
		    run->mmio.phys_addr != IRQB_EXIT_GPA || run->mmio.len != 4) {
			bench_exit_str(vcpu, "expected the guest's MMIO write",
				       res->err, sizeof(res->err));
			return false;
		}
	}
	return true;
}

void row_mmio(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = irq_vm(cfg, res, IRQB_MMIO_EXIT, false, &vcpu);

	if (!vm)
		return;
	/* The first KVM_RUN sets the vCPU up: not timed (as rows.c's pio). */
	if (mmio_rounds(res, vcpu, 1))
		host_timed(cfg, res, vcpu, mmio_rounds);
	kvm_vm_free(vm);
}

/* One vCPU with the in-kernel irqchip, timed by the guest. */
static void irqchip_row(const struct bench_cfg *cfg, struct bench_result *res,
			enum irqb_op op)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = irq_vm(cfg, res, op, true, &vcpu);

	if (!vm)
		return;
	guest_timed_runs(cfg, vcpu, res);
	kvm_vm_free(vm);
}

void row_self_ipi(const struct bench_cfg *cfg, struct bench_result *res)
{
	irqchip_row(cfg, res, IRQB_SELF_IPI);
}

void row_eoi(const struct bench_cfg *cfg, struct bench_result *res)
{
	irqchip_row(cfg, res, IRQB_EOI);
}

static void deadline_row(const struct bench_cfg *cfg, struct bench_result *res,
			 enum irqb_op op)
{
	if (kvm_check_cap(KVM_CAP_IRQCHIP) > 0 &&
	    kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER) <= 0) {
		row_fail(res, "KVM_CAP_TSC_DEADLINE_TIMER not reported");
		return;
	}
	irqchip_row(cfg, res, op);
}

void row_tsc_deadline(const struct bench_cfg *cfg, struct bench_result *res)
{
	deadline_row(cfg, res, IRQB_TSC_DEADLINE);
}

void row_tsc_due(const struct bench_cfg *cfg, struct bench_result *res)
{
	deadline_row(cfg, res, IRQB_TSC_DUE);
}

/* vCPU 1's thread: runs it until the guest returns (vCPU 0's STOP). */
struct peer {
	struct kvm_vcpu *vcpu;
	char err[BENCH_ERR_LEN];
};

static void *peer_thread(void *arg)
{
	struct peer *p = arg;
	struct ucall uc;

	for (;;) {
		if (__vcpu_run(p->vcpu)) {
			snprintf(p->err, sizeof(p->err), "vCPU 1: KVM_RUN: %s",
				 strerror(errno));
			return NULL;
		}
		switch (get_ucall(p->vcpu, &uc)) {
		case UCALL_DONE:
			return NULL;
		case UCALL_PRINTF:
			continue;
		case UCALL_NONE:
			bench_exit_str(p->vcpu, "vCPU 1", p->err, sizeof(p->err));
			return NULL;
		case UCALL_ASSERT:
			snprintf(p->err, sizeof(p->err),
				 "vCPU 1: guest check failed: %.200s", uc.msg);
			return NULL;
		default:
			snprintf(p->err, sizeof(p->err), "vCPU 1: ucall %s",
				 ucall_name(uc.cmd));
			return NULL;
		}
	}
}

void row_ipi_halted(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = irq_vm(cfg, res, IRQB_IPI_HALTED, true, &vcpu);
	struct kvm_mp_state runnable = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct peer p = { 0 };
	pthread_t t;
	int r;

	if (!vm)
		return;
	p.vcpu = add_vcpu(vm, 1, guest_irq_peer, true);
	/*
	 * With the in-kernel LAPIC an AP waits for INIT and SIPI (the MP
	 * protocol, SDM Vol. 3A 9.4); the library's vCPU 1 is set up to run
	 * its code at once, as a VMM that loads an AP's state does.
	 */
	if (__vcpu_ioctl(p.vcpu, KVM_SET_MP_STATE, &runnable)) {
		row_fail(res, "vCPU 1: KVM_SET_MP_STATE RUNNABLE: %s",
			 strerror(errno));
		kvm_vm_free(vm);
		return;
	}
	r = pthread_create(&t, NULL, peer_thread, &p);
	if (r) {
		row_fail(res, "pthread_create: %s", strerror(r));
		kvm_vm_free(vm);
		return;
	}
	guest_timed_runs(cfg, vcpu, res);
	if (res->err[0])
		return;		/* vCPU 1 may never stop: the child ends it */
	/* vCPU 0 sends STOP and returns; then vCPU 1 returns. */
	if (__vcpu_run(vcpu) || get_ucall(vcpu, NULL) != UCALL_DONE) {
		bench_exit_str(vcpu, "vCPU 0 after its runs", res->err,
			       sizeof(res->err));
		return;
	}
	pthread_join(t, NULL);
	if (p.err[0])
		row_fail(res, "%s", p.err);
	kvm_vm_free(vm);
}

/* The irqfd row's host side: each kick of the guest becomes an interrupt. */
struct relay {
	int kick, irq;
};

static void *relay_thread(void *arg)
{
	struct relay *r = arg;
	uint64_t v;

	for (;;) {
		if (read(r->kick, &v, sizeof(v)) != sizeof(v))
			return NULL;
		v = 1;
		if (write(r->irq, &v, sizeof(v)) != sizeof(v))
			return NULL;
	}
}

/* IRQB_GSI -> MSI to APIC ID 0, fixed, edge, IRQB_VEC_IRQFD (SDM 11.11). */
static int route_msi(struct kvm_vm *vm)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[1];
	} rt = {
		.hdr.nr = 1,
		.e[0] = {
			.gsi = IRQB_GSI, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = 0xfee00000, .data = IRQB_VEC_IRQFD },
		},
	};

	return ioctl(vm->fd, KVM_SET_GSI_ROUTING, &rt);
}

void row_irqfd(const struct bench_cfg *cfg, struct bench_result *res)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = irq_vm(cfg, res, IRQB_IRQFD, true, &vcpu);
	struct relay rl;
	struct kvm_irqfd irqfd = { .gsi = IRQB_GSI };
	pthread_t t;
	int r;

	if (!vm)
		return;
	if (route_msi(vm)) {
		row_fail(res, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
		goto out;
	}
	rl.irq = eventfd(0, 0);
	irqfd.fd = rl.irq;
	if (rl.irq < 0 || ioctl(vm->fd, KVM_IRQFD, &irqfd)) {
		row_fail(res, "KVM_IRQFD: %s", strerror(errno));
		goto out;
	}
	rl.kick = assign_ioeventfd(vm, res, IRQB_KICK_PORT, 1,
				   KVM_IOEVENTFD_FLAG_PIO, 0);
	if (rl.kick < 0)
		goto out;
	r = pthread_create(&t, NULL, relay_thread, &rl);
	if (r) {
		row_fail(res, "pthread_create: %s", strerror(r));
		goto out;
	}
	/* The thread stays blocked in read(): the child's exit ends it. */
	guest_timed_runs(cfg, vcpu, res);
out:
	kvm_vm_free(vm);
}
