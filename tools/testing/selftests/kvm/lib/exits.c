// SPDX-License-Identifier: GPL-2.0-only
/*
 * Decoding and pretty-printing of vCPU exits and vCPU state, so that a
 * failing test says what the guest was doing: the exit reason by name,
 * its payload (I/O, MMIO, internal error data, entry failure), registers
 * and segments, and the symbol of RIP for long-mode guests.
 */
#include <stdlib.h>

#include "kvm_util.h"
#include "x86.h"

static const char *const exit_names[] = {
#define N(x) [KVM_EXIT_##x] = #x
	N(UNKNOWN), N(EXCEPTION), N(IO), N(HYPERCALL), N(DEBUG), N(HLT),
	N(MMIO), N(IRQ_WINDOW_OPEN), N(SHUTDOWN), N(FAIL_ENTRY), N(INTR),
	N(SET_TPR), N(TPR_ACCESS), N(S390_SIEIC), N(S390_RESET), N(DCR),
	N(NMI), N(INTERNAL_ERROR), N(OSI), N(PAPR_HCALL), N(S390_UCONTROL),
	N(WATCHDOG), N(S390_TSCH), N(EPR), N(SYSTEM_EVENT), N(S390_STSI),
	N(IOAPIC_EOI), N(HYPERV), N(ARM_NISV), N(X86_RDMSR), N(X86_WRMSR),
	N(DIRTY_RING_FULL), N(AP_RESET_HOLD), N(X86_BUS_LOCK), N(XEN),
	N(RISCV_SBI), N(RISCV_CSR), N(NOTIFY), N(LOONGARCH_IOCSR),
	N(MEMORY_FAULT),
#undef N
};

const char *exit_reason_str(uint32_t reason)
{
	if (reason < ARRAY_SIZE(exit_names) && exit_names[reason])
		return exit_names[reason];
	return "(unknown exit reason)";
}

static const char *internal_suberror_str(uint32_t sub)
{
	switch (sub) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "EMULATION";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "SIMUL_EX";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "DELIVERY_EV";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "UNEXPECTED_EXIT_REASON";
	default:
		return "?";
	}
}

void vcpu_dump_exit(FILE *f, struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t i, n;

	if (!run) {
		fprintf(f, "#   vCPU %u: kvm_run not mapped\n", vcpu->id);
		return;
	}
	fprintf(f, "#   vCPU %u exit: %u (KVM_EXIT_%s)\n", vcpu->id,
		run->exit_reason, exit_reason_str(run->exit_reason));
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *d = (uint8_t *)run + run->io.data_offset;

		fprintf(f, "#     io: %s port 0x%x size %u count %u data_offset 0x%llx",
			run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			run->io.port, run->io.size, run->io.count,
			(unsigned long long)run->io.data_offset);
		if (run->io.data_offset < vcpu->run_size - 8)
			fprintf(f, " data %02x %02x %02x %02x", d[0], d[1],
				d[2], d[3]);
		fprintf(f, "\n");
		break;
	}
	case KVM_EXIT_MMIO:
		fprintf(f, "#     mmio: %s gpa 0x%llx len %u data %02x%02x%02x%02x%02x%02x%02x%02x\n",
			run->mmio.is_write ? "write" : "read",
			(unsigned long long)run->mmio.phys_addr, run->mmio.len,
			run->mmio.data[7], run->mmio.data[6], run->mmio.data[5],
			run->mmio.data[4], run->mmio.data[3], run->mmio.data[2],
			run->mmio.data[1], run->mmio.data[0]);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(f, "#     hardware entry failure reason 0x%llx on cpu %u\n",
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			run->fail_entry.cpu);
		break;
	case KVM_EXIT_UNKNOWN:
		fprintf(f, "#     hardware exit reason 0x%llx\n",
			(unsigned long long)run->hw.hardware_exit_reason);
		break;
	case KVM_EXIT_EXCEPTION:
		fprintf(f, "#     exception %u error code 0x%x\n",
			run->ex.exception, run->ex.error_code);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		n = run->internal.ndata;
		fprintf(f, "#     internal error suberror %u (%s) ndata %u\n",
			run->internal.suberror,
			internal_suberror_str(run->internal.suberror), n);
		if (n > ARRAY_SIZE(run->internal.data))
			n = ARRAY_SIZE(run->internal.data);
		for (i = 0; i < n; i++)
			fprintf(f, "#       data[%u] = 0x%llx\n", i,
				(unsigned long long)run->internal.data[i]);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		fprintf(f, "#     system event type %u ndata %u\n",
			run->system_event.type, run->system_event.ndata);
		break;
	default:
		break;
	}
}

static void dump_seg(FILE *f, const char *name, const struct kvm_segment *s)
{
	fprintf(f, "#     %-3s sel 0x%04x base 0x%016llx limit 0x%08x type 0x%x s %u dpl %u p %u db %u l %u g %u avl %u unusable %u\n",
		name, s->selector, (unsigned long long)s->base, s->limit,
		s->type, s->s, s->dpl, s->present, s->db, s->l, s->g, s->avl,
		s->unusable);
}

void vcpu_dump_state(FILE *f, struct kvm_vcpu *vcpu)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t off;
	const char *sym;

	if (vcpu->fd < 0 || ioctl(vcpu->fd, KVM_GET_REGS, &r) ||
	    ioctl(vcpu->fd, KVM_GET_SREGS, &s)) {
		fprintf(f, "#   vCPU %u: state not readable\n", vcpu->id);
		return;
	}
	/* Only long-mode guests run this binary's code at its addresses. */
	if (vcpu->vm->mode == VM_MODE_LONG) {
		sym = addr2sym(r.rip, &off);
	} else {
		sym = "-";
		off = r.rip;
	}
	fprintf(f, "#   vCPU %u registers:\n", vcpu->id);
	fprintf(f, "#     rip 0x%016llx (%s+0x%lx) rflags 0x%llx\n",
		(unsigned long long)r.rip, sym, off,
		(unsigned long long)r.rflags);
	fprintf(f, "#     rax 0x%016llx rbx 0x%016llx rcx 0x%016llx rdx 0x%016llx\n",
		r.rax, r.rbx, r.rcx, r.rdx);
	fprintf(f, "#     rsi 0x%016llx rdi 0x%016llx rsp 0x%016llx rbp 0x%016llx\n",
		r.rsi, r.rdi, r.rsp, r.rbp);
	fprintf(f, "#     r8  0x%016llx r9  0x%016llx r10 0x%016llx r11 0x%016llx\n",
		r.r8, r.r9, r.r10, r.r11);
	fprintf(f, "#     r12 0x%016llx r13 0x%016llx r14 0x%016llx r15 0x%016llx\n",
		r.r12, r.r13, r.r14, r.r15);
	fprintf(f, "#     cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx cr8 0x%llx efer 0x%llx apic_base 0x%llx\n",
		s.cr0, s.cr2, s.cr3, s.cr4, s.cr8, s.efer, s.apic_base);
	dump_seg(f, "cs", &s.cs);
	dump_seg(f, "ds", &s.ds);
	dump_seg(f, "es", &s.es);
	dump_seg(f, "fs", &s.fs);
	dump_seg(f, "gs", &s.gs);
	dump_seg(f, "ss", &s.ss);
	dump_seg(f, "tr", &s.tr);
	dump_seg(f, "ldt", &s.ldt);
	fprintf(f, "#     gdt base 0x%llx limit 0x%x, idt base 0x%llx limit 0x%x\n",
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

void __vcpu_assert_exit(struct kvm_vcpu *vcpu, uint32_t reason,
			const char *file, int line)
{
	if (vcpu->run->exit_reason == reason)
		return;
	fprintf(stderr, "# %s:%d: expected exit KVM_EXIT_%s (%u), got:\n",
		file, line, exit_reason_str(reason), reason);
	vcpu_dump_exit(stderr, vcpu);
	vcpu_dump_state(stderr, vcpu);
	__test_assert_fail(file, line, "exit_reason == expected",
			   "unexpected exit KVM_EXIT_%s",
			   exit_reason_str(vcpu->run->exit_reason));
}

void __vcpu_assert_io(struct kvm_vcpu *vcpu, uint8_t dir, uint16_t port,
		      uint8_t size, const char *file, int line)
{
	struct kvm_run *run = vcpu->run;

	__vcpu_assert_exit(vcpu, KVM_EXIT_IO, file, line);
	if (run->io.direction == dir && run->io.port == port &&
	    run->io.size == size && run->io.count == 1)
		return;
	vcpu_dump_exit(stderr, vcpu);
	vcpu_dump_state(stderr, vcpu);
	__test_assert_fail(file, line, "io exit matches",
			   "expected %s port 0x%x size %u count 1",
			   dir == KVM_EXIT_IO_OUT ? "out" : "in", port, size);
}
