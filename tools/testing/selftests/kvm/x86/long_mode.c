// SPDX-License-Identifier: GPL-2.0-only
/*
 * 64-bit guests set up with KVM_SET_SREGS alone (no firmware, no mode
 * switch in the guest), running C code of this binary and talking to the
 * host through ucalls: checkpoints, arguments, guest memory shared with
 * the host, guest printf, guest assertions, exception delivery through
 * the guest's IDT, several vCPUs in one VM.
 */
#include "kvmx_test.h"

static void guest_sync_done(void)
{
	GUEST_SYNC(1);
	GUEST_SYNC(2);
	GUEST_DONE();
}

TEST(sync_then_done)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_sync_done);

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_returns(void)
{
}

/* Returning from the guest function is a GUEST_DONE(). */
TEST(return_is_done)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_returns);

	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_check_mode(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();
	uint16_t cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT((cr0 & (X86_CR0_PE | X86_CR0_PG)) == (X86_CR0_PE | X86_CR0_PG));
	GUEST_ASSERT(cr4 & X86_CR4_PAE);
	/* EFER is checked from the host: RDMSR exits are issue 3's */
	GUEST_ASSERT_EQ(cs, 0x8);
	GUEST_SYNC(read_cr3());
}

TEST(guest_runs_in_long_mode)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_check_mode);
	struct kvm_sregs s;
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(s.cr3, uc.args[0]);
	EXPECT_EQ(EFER_LME | EFER_LMA, s.efer & (EFER_LME | EFER_LMA));
	EXPECT_EQ(1, s.cs.l);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* Initialised data, bss, and a value the host wrote before the run. */
static uint64_t data_var = 0x1122334455667788ULL;
static uint64_t bss_var;
static uint64_t host_set_var;
static uint64_t guest_set_var;

static void guest_memory(void)
{
	GUEST_ASSERT_EQ(data_var, 0x1122334455667788ULL);
	GUEST_ASSERT_EQ(bss_var, 0);
	GUEST_ASSERT_EQ(host_set_var, 0xfeedface);
	guest_set_var = 0xc0ffee;
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(host_set_var, 42);
}

TEST(guest_memory_shared_with_host)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	/* The host's own values must not leak in: the guest has the file's. */
	bss_var = 99;
	host_set_var = 0xfeedface;
	vm = vm_create_guest(&vcpu, guest_memory);
	sync_global_to_guest(vm, host_set_var);

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	sync_global_from_guest(vm, guest_set_var);
	EXPECT_EQ(0xc0ffee, guest_set_var);
	host_set_var = 42;
	sync_global_to_guest(vm, host_set_var);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_args(uint64_t a, uint64_t b, uint64_t c)
{
	GUEST_SYNC(a + b * c);
}

TEST(guest_function_arguments)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_args);

	vcpu_set_args(vcpu, 3, 1UL, 2UL, 3UL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 7);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static int guest_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static void guest_printf_code(void)
{
	char buf[64];

	guest_snprintf(buf, sizeof(buf), "%d %u %x %lx %s %c %05d|%3u", -12, 34u,
		       0xabcu, 0x123456789aUL, "str", 'c', 42, 7u);
	GUEST_ASSERT_MSG(guest_streq(buf, "-12 34 abc 123456789a str c 00042|  7"),
			 "got '%s'", buf);
	GUEST_PRINTF("hello from the guest: %d\n", 42);
	GUEST_DONE();
}

TEST(guest_printf_reaches_host)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_printf_code);
	struct ucall uc;

	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_PRINTF, get_ucall(vcpu, &uc));
	EXPECT_STREQ("hello from the guest: 42\n", uc.msg);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_failing_assert(void)
{
	int x = 3;

	GUEST_ASSERT_EQ(x, 4);
}

/* A guest assertion reaches the host with file, line and values. */
TEST(guest_assert_reported)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_failing_assert);
	struct ucall uc;
	char *file;

	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_ASSERT, get_ucall(vcpu, &uc));
	file = vm_gpa2hva(vm, uc.file);
	ASSERT_TRUE(file != NULL);
	EXPECT_TRUE(strstr(file, "long_mode.c") != NULL);
	EXPECT_TRUE(strstr(uc.msg, "x == 4: 0x3 vs 0x4") != NULL)
		TH_LOG("message: %s", uc.msg);
	kvm_vm_free(vm);
}

static volatile uint64_t ud_count;

static void guest_ud_handler(struct guest_exception_frame *f)
{
	ud_count++;
	f->rip += 2;	/* skip ud2 */
}

static void guest_ud(void)
{
	asm volatile("ud2");
	asm volatile("ud2");
	GUEST_SYNC(ud_count);
}

/* Exceptions go through the guest's IDT to a handler that resumes. */
TEST(guest_exception_handler)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_ud);

	vm_install_exception_handler(vm, 6, guest_ud_handler);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

extern const char guest_ud_insn[];

static void guest_unhandled(void)
{
	asm volatile("guest_ud_insn: ud2");
}

TEST(guest_unhandled_exception_reported)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_unhandled);
	struct ucall uc;

	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(vcpu, &uc));
	EXPECT_EQ(6, uc.args[0]);
	EXPECT_EQ((uint64_t)(uintptr_t)guest_ud_insn, uc.args[2]);
	kvm_vm_free(vm);
}

static void guest_percpu(uint64_t id)
{
	uint64_t rsp;

	asm volatile("mov %%rsp, %0" : "=r"(rsp));
	GUEST_SYNC(id);
	GUEST_SYNC(rsp);
}

/* Several vCPUs, each on its own stack, in one VM. */
TEST(several_vcpus)
{
	struct kvm_vcpu *vcpus[4];
	struct kvm_vm *vm = vm_create_guest(&vcpus[0], (void (*)(void))guest_percpu);
	struct ucall uc;
	int i;

	for (i = 1; i < 4; i++)
		vcpus[i] = vm_vcpu_add_guest(vm, i, NULL);
	for (i = 0; i < 4; i++)
		vcpu_set_args(vcpus[i], 1, (uint64_t)i * 11);
	for (i = 3; i >= 0; i--)
		vcpu_expect_ucall(vcpus[i], UCALL_SYNC, i * 11);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpus[i], &uc));
		EXPECT_LT(uc.args[0], vcpus[i]->stack_top);
		EXPECT_GT(uc.args[0], vcpus[i]->stack_top - 65536);
		vcpu_expect_ucall(vcpus[i], UCALL_DONE, 0);
	}
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
