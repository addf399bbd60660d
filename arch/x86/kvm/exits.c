// SPDX-License-Identifier: GPL-2.0-only
/*
 * Handlers for the vendor-neutral exits, dispatched through one table.
 * Each handler either resumes the guest or fills kvm_run for the VMM; an
 * exit kvmx cannot handle yet is reported honestly as
 * KVM_EXIT_INTERNAL_ERROR with the hardware's details, never looped on.
 */
#include <linux/mm.h>
#include <linux/string.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

typedef enum kvmx_resume (*kvmx_exit_handler_t)(struct kvmx_vcpu *vcpu,
						const struct kvmx_exit *exit,
						int *err);

void kvmx_report_internal_error(struct kvmx_vcpu *vcpu, u32 suberror,
				unsigned int ndata, const u64 *data)
{
	struct kvm_run *run = vcpu->run;

	ndata = min_t(unsigned int, ndata, ARRAY_SIZE(run->internal.data));
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = ndata;
	memcpy(run->internal.data, data, ndata * sizeof(u64));
}

static enum kvmx_resume kvmx_unexpected_exit(struct kvmx_vcpu *vcpu,
					     const struct kvmx_exit *exit,
					     int *err)
{
	/* the in-tree layout first (reason, CPU), then the raw details */
	u64 data[6] = { exit->hw_reason, vcpu->last_cpu, exit->hw_info[0],
			exit->hw_info[1], exit->hw_info[2], exit->hw_info[3] };

	kvmx_report_internal_error(vcpu,
				   KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON,
				   ARRAY_SIZE(data), data);
	return KVMX_EXIT_TO_USER;
}

/*
 * Something needs the instruction emulator, which kvmx does not have yet:
 * say so (no instruction bytes: flags 0), with what was attempted.
 */
static enum kvmx_resume kvmx_needs_emulation(struct kvmx_vcpu *vcpu,
					     u64 what, u64 detail)
{
	u64 data[3] = { 0, what, detail };

	kvmx_report_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION,
				   ARRAY_SIZE(data), data);
	return KVMX_EXIT_TO_USER;
}

static enum kvmx_resume kvmx_exit_resume(struct kvmx_vcpu *vcpu,
					 const struct kvmx_exit *exit,
					 int *err)
{
	return KVMX_RESUME_GUEST;
}

/* IN AL/AX keep the rest of RAX; IN EAX zero-extends (SDM Vol. 1 3.4.1.1) */
static void kvmx_pio_in_to_rax(struct kvmx_vcpu *vcpu, u8 size, u32 val)
{
	u64 *rax = &vcpu->regs[KVMX_REG_RAX];

	switch (size) {
	case 1:
		*rax = (*rax & ~0xffULL) | (u8)val;
		break;
	case 2:
		*rax = (*rax & ~0xffffULL) | (u16)val;
		break;
	default:
		*rax = val;
		break;
	}
}

static enum kvmx_resume kvmx_exit_io(struct kvmx_vcpu *vcpu,
				     const struct kvmx_exit *exit, int *err)
{
	struct kvm_run *run = vcpu->run;
	u8 size = exit->io.size;

	/* string and REP forms need the emulator to walk guest memory */
	if (exit->io.string)
		return kvmx_emulate_string_io(vcpu, exit, err);
	if (!exit->insn_len || (size != 1 && size != 2 && size != 4))
		return kvmx_needs_emulation(vcpu, exit->hw_reason,
					    exit->io.port);

	/* an in-kernel device (an ioeventfd) takes it: no exit */
	if (exit->io.in) {
		u32 val = 0;

		if (!kvmx_io_bus_read(vcpu, KVMX_PIO_BUS, exit->io.port, size,
				      &val)) {
			kvmx_pio_in_to_rax(vcpu, size, val);
			kvmx_skip_insn(vcpu, exit->insn_len);
			return KVMX_RESUME_GUEST;
		}
	} else if (!kvmx_io_bus_write(vcpu, KVMX_PIO_BUS, exit->io.port, size,
				      &vcpu->regs[KVMX_REG_RAX]) ||
		   kvmx_coalesced_write(vcpu->vm, exit->io.port, size,
					&vcpu->regs[KVMX_REG_RAX], true)) {
		/* or a coalesced PIO zone's ring */
		kvmx_skip_insn(vcpu, exit->insn_len);
		return KVMX_RESUME_GUEST;
	}

	vcpu->stat.io_exits++;
	vcpu->pio.pending = true;
	vcpu->pio.in = exit->io.in;
	vcpu->pio.size = size;
	vcpu->pio.insn_len = exit->insn_len;
	vcpu->pio.rip = vcpu->regs[KVMX_REG_RIP];

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = exit->io.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = exit->io.port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (!exit->io.in)
		memcpy(vcpu->pio_data, &vcpu->regs[KVMX_REG_RAX], size);
	return KVMX_EXIT_TO_USER;
}

/* Finish the IN/OUT the VMM was given, at the start of the next KVM_RUN. */
int kvmx_complete_user_exit(struct kvmx_vcpu *vcpu)
{
	u32 val = 0;

	if (!vcpu->pio.pending)
		return 0;
	vcpu->pio.pending = false;
	if (vcpu->regs[KVMX_REG_RIP] != vcpu->pio.rip)
		return 0;

	if (vcpu->pio.in) {
		memcpy(&val, vcpu->pio_data, vcpu->pio.size);
		kvmx_pio_in_to_rax(vcpu, vcpu->pio.size, val);
	}
	kvmx_skip_insn(vcpu, vcpu->pio.insn_len);
	return 0;
}

static enum kvmx_resume kvmx_exit_hlt(struct kvmx_vcpu *vcpu,
				      const struct kvmx_exit *exit, int *err)
{
	if (!exit->insn_len)
		return kvmx_unexpected_exit(vcpu, exit, err);
	kvmx_skip_insn(vcpu, exit->insn_len);
	/* with the in-kernel LAPIC the vCPU waits in the kernel (halt) */
	if (vcpu->apic) {
		kvmx_apic_halt(vcpu);
		return KVMX_RESUME_GUEST;
	}
	/* without one a halted vCPU is the VMM's business */
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return KVMX_EXIT_TO_USER;
}

static enum kvmx_resume kvmx_exit_shutdown(struct kvmx_vcpu *vcpu,
					   const struct kvmx_exit *exit,
					   int *err)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return KVMX_EXIT_TO_USER;
}

static enum kvmx_resume kvmx_exit_fail_entry(struct kvmx_vcpu *vcpu,
					     const struct kvmx_exit *exit,
					     int *err)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = exit->hw_reason;
	run->fail_entry.cpu = vcpu->last_cpu;
	return KVMX_EXIT_TO_USER;
}

static enum kvmx_resume kvmx_exit_tdp_fault(struct kvmx_vcpu *vcpu,
					    const struct kvmx_exit *exit,
					    int *err)
{
	int r = kvmx_tdp_handle_fault(vcpu, exit->tdp.gpa, exit->tdp.access);

	if (!r)
		return KVMX_RESUME_GUEST;
	if (r > 0)	/* MMIO or a write to read-only memory */
		return kvmx_emulate_mmio(vcpu, exit, err);
	*err = r;
	return KVMX_EXIT_TO_USER;
}

/*
 * A leaf past the maximum of its class (basic, hypervisor 0x4000xx00,
 * extended, Centaur 0xc0000000) on a CPU that is not AMD's or Hygon's:
 * Intel CPUs return the highest basic leaf, at the subleaf asked for
 * (SDM Vol. 2A, CPUID, "If a value entered for CPUID.EAX is higher than
 * the maximum input value ..."); AMD's return zeros (APM Vol. 3, CPUID).
 * The guest's vendor is the table's leaf 0, as in-tree.
 */
static const struct kvm_cpuid_entry2 *
kvmx_cpuid_out_of_range(struct kvmx_vcpu *vcpu, u32 fn, u32 index)
{
	const struct kvm_cpuid_entry2 *basic = kvmx_find_cpuid(vcpu, 0, 0);
	const struct kvm_cpuid_entry2 *class;
	u32 class_fn;

	if (!basic)
		return NULL;
	/* "AuthenticAMD", "HygonGenuine" (EBX only is enough to tell) */
	if (basic->ebx == 0x68747541 || basic->ebx == 0x6f677948)
		return NULL;
	if (fn >= 0x40000000 && fn <= 0x4fffffff)
		class_fn = fn & 0xffffff00;
	else if (fn >= 0xc0000000)
		class_fn = 0xc0000000;
	else
		class_fn = fn & 0x80000000;
	class = kvmx_find_cpuid(vcpu, class_fn, 0);
	if (class && fn <= class->eax)
		return NULL;
	return kvmx_find_cpuid(vcpu, basic->eax, index);
}

/*
 * CPUID answers from the table the VMM set (KVM_SET_CPUID2).  A leaf or
 * subleaf it did not list reads as zeros, unless it is out of range
 * (above).
 */
static enum kvmx_resume kvmx_exit_cpuid(struct kvmx_vcpu *vcpu,
					const struct kvmx_exit *exit, int *err)
{
	u64 *r = vcpu->regs;
	u32 fn = r[KVMX_REG_RAX], index = r[KVMX_REG_RCX];
	const struct kvm_cpuid_entry2 *e;

	if (!exit->insn_len)
		return kvmx_unexpected_exit(vcpu, exit, err);
	e = kvmx_find_cpuid(vcpu, fn, index);
	if (!e)
		e = kvmx_cpuid_out_of_range(vcpu, fn, index);
	/* CPUID writes the full 64-bit registers, upper halves zeroed */
	r[KVMX_REG_RAX] = e ? e->eax : 0;
	r[KVMX_REG_RBX] = e ? e->ebx : 0;
	r[KVMX_REG_RCX] = e ? e->ecx : 0;
	r[KVMX_REG_RDX] = e ? e->edx : 0;
	if (e)
		kvmx_cpuid_dynamic_bits(vcpu, e->function, e->index, r);
	kvmx_skip_insn(vcpu, exit->insn_len);
	return KVMX_RESUME_GUEST;
}

static const kvmx_exit_handler_t kvmx_exit_handlers[KVMX_NR_EXIT_REASONS] = {
	[KVMX_EXIT_NONE]		= kvmx_exit_resume,
	[KVMX_EXIT_EXTERNAL_INTR]	= kvmx_exit_resume,
	[KVMX_EXIT_NMI]			= kvmx_exit_resume,
	[KVMX_EXIT_IO]			= kvmx_exit_io,
	[KVMX_EXIT_HLT]			= kvmx_exit_hlt,
	[KVMX_EXIT_SHUTDOWN]		= kvmx_exit_shutdown,
	[KVMX_EXIT_TDP_FAULT]		= kvmx_exit_tdp_fault,
	[KVMX_EXIT_FAIL_ENTRY]		= kvmx_exit_fail_entry,
	[KVMX_EXIT_INVALID_STATE]	= kvmx_exit_fail_entry,
	[KVMX_EXIT_UNHANDLED]		= kvmx_unexpected_exit,
	[KVMX_EXIT_CPUID]		= kvmx_exit_cpuid,
	[KVMX_EXIT_RDMSR]		= kvmx_exit_rdmsr,
	[KVMX_EXIT_WRMSR]		= kvmx_exit_wrmsr,
	[KVMX_EXIT_XSETBV]		= kvmx_exit_xsetbv,
	[KVMX_EXIT_HYPERCALL]		= kvmx_exit_hypercall,
	[KVMX_EXIT_EXCEPTION]		= kvmx_exit_exception,
	/* the run loop re-evaluates events and windows before each entry */
	[KVMX_EXIT_IRQ_WINDOW]		= kvmx_exit_resume,
	[KVMX_EXIT_NMI_WINDOW]		= kvmx_exit_resume,
	[KVMX_EXIT_INVD]		= kvmx_exit_skip,
	[KVMX_EXIT_MWAIT]		= kvmx_exit_skip,
	[KVMX_EXIT_RDPMC]		= kvmx_exit_rdpmc,
	[KVMX_EXIT_PAUSE]		= kvmx_exit_skip,
};

/*
 * Returns what the run loop does next; on KVMX_EXIT_TO_USER, *err is what
 * KVM_RUN returns (0 with kvm_run filled in, or -errno).
 */
/* The per-vCPU exit counters of KVM_GET_STATS_FD, by reason. */
static void kvmx_count_exit(struct kvmx_vcpu *vcpu,
			    enum kvmx_exit_reason reason)
{
	struct kvmx_vcpu_stat *st = &vcpu->stat;

	st->exits++;
	switch (reason) {
	case KVMX_EXIT_EXTERNAL_INTR:
		st->irq_exits++;
		break;
	case KVMX_EXIT_HLT:
		st->halt_exits++;
		break;
	case KVMX_EXIT_IRQ_WINDOW:
		st->irq_window_exits++;
		break;
	case KVMX_EXIT_NMI_WINDOW:
		st->nmi_window_exits++;
		break;
	case KVMX_EXIT_HYPERCALL:
		st->hypercalls++;
		break;
	default:
		break;
	}
}

enum kvmx_resume kvmx_handle_exit(struct kvmx_vcpu *vcpu,
				  const struct kvmx_exit *exit, int *err)
{
	kvmx_exit_handler_t handler = NULL;

	*err = 0;
	kvmx_count_exit(vcpu, exit->reason);
	if ((unsigned int)exit->reason < KVMX_NR_EXIT_REASONS)
		handler = kvmx_exit_handlers[exit->reason];
	if (!handler)
		handler = kvmx_unexpected_exit;
	return handler(vcpu, exit, err);
}
