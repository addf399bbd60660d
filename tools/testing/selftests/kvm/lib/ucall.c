// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host half of ucalls: recognising the ucall exit, copying the guest's
 * struct ucall out of guest memory, and turning guest assertion failures
 * and unhandled exceptions into test failures with context.
 */
#include <stdlib.h>

#include "kvm_util.h"

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP", "22", "23", "24", "25", "26", "27", "#HV", "#VC", "#SX",
	"31",
};

const char *ucall_name(uint64_t cmd)
{
	switch (cmd) {
	case UCALL_NONE: return "NONE";
	case UCALL_SYNC: return "SYNC";
	case UCALL_DONE: return "DONE";
	case UCALL_ASSERT: return "ASSERT";
	case UCALL_PRINTF: return "PRINTF";
	case UCALL_UNHANDLED: return "UNHANDLED";
	default: return "?";
	}
}

uint64_t get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	struct ucall tmp;
	uint32_t gpa;

	if (!uc)
		uc = &tmp;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1)
		return UCALL_NONE;
	memcpy(&gpa, vcpu_io_data(vcpu), sizeof(gpa));
	TEST_ASSERT(vm_gpa2hva(vcpu->vm, gpa) &&
		    vm_gpa2hva(vcpu->vm, gpa + sizeof(*uc) - 1),
		    "ucall struct at bad guest address 0x%x", gpa);
	memcpy(uc, vm_gpa2hva(vcpu->vm, gpa), sizeof(*uc));
	uc->msg[UCALL_MSG_LEN - 1] = '\0';
	return uc->cmd;
}

static void guest_string(struct kvm_vm *vm, uint64_t gva, char *buf,
			 size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		char *p = vm_gpa2hva(vm, gva + i);

		if (!p || !*p)
			break;
		buf[i] = *p;
	}
	buf[i] = '\0';
}

uint64_t vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;
	char file[256];
	uint64_t cmd, off;

	if (!uc)
		uc = &tmp;
	for (;;) {
		vcpu_run(vcpu);
		cmd = get_ucall(vcpu, uc);
		switch (cmd) {
		case UCALL_PRINTF:
			fprintf(stderr, "# guest (vCPU %u): %s", vcpu->id,
				uc->msg);
			if (!*uc->msg || uc->msg[strlen(uc->msg) - 1] != '\n')
				fputc('\n', stderr);
			continue;
		case UCALL_NONE:
			fprintf(stderr, "# vCPU %u: exit is not a ucall\n",
				vcpu->id);
			vcpu_dump_exit(stderr, vcpu);
			vcpu_dump_state(stderr, vcpu);
			TEST_FAIL("vCPU %u: unexpected exit KVM_EXIT_%s",
				  vcpu->id,
				  exit_reason_str(vcpu->run->exit_reason));
		case UCALL_ASSERT:
			guest_string(vcpu->vm, uc->file, file, sizeof(file));
			vcpu_dump_state(stderr, vcpu);
			TEST_FAIL("guest assertion failed (vCPU %u) at %s:%lu: %s",
				  vcpu->id, file, uc->line, uc->msg);
		case UCALL_UNHANDLED: {
			const char *sym = addr2sym(uc->args[2], &off);

			vcpu_dump_state(stderr, vcpu);
			TEST_FAIL("guest (vCPU %u): unhandled exception %lu (%s) error code 0x%lx at rip 0x%lx (%s+0x%lx)",
				  vcpu->id, uc->args[0],
				  uc->args[0] < 32 ? vector_names[uc->args[0]] : "?",
				  uc->args[1], uc->args[2], sym, off);
		}
		default:
			return cmd;
		}
	}
}

void __vcpu_expect_ucall(struct kvm_vcpu *vcpu, uint64_t cmd, uint64_t arg0,
			 const char *file, int line)
{
	struct ucall uc;
	uint64_t got = vcpu_run_ucall(vcpu, &uc);

	if (got == cmd && (cmd != UCALL_SYNC || uc.args[0] == arg0))
		return;
	__test_assert_fail(file, line, "ucall == expected",
			   "vCPU %u: expected ucall %s(0x%lx), got %s(0x%lx)",
			   vcpu->id, ucall_name(cmd), arg0, ucall_name(got),
			   uc.args[0]);
}
