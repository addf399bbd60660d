// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vCPU state ABI as a VMM uses it for live migration: every piece of
 * state (CPUID, REGS, SREGS/SREGS2, FPU, XSAVE/XSAVE2, XCRS, the MSRs of
 * KVM_GET_MSR_INDEX_LIST, VCPU_EVENTS, DEBUGREGS, MP_STATE, TSC_KHZ) is
 * read from a vCPU, loaded into a fresh vCPU of a fresh VM holding a copy
 * of the guest memory, and read back: it must be identical (the TSC only
 * moves forward).  A guest stopped in the middle of register-only work
 * (general, x87, SSE, AVX and AVX-512 registers, a live carry flag),
 * with MSRs, debug registers and XCR0 of its own, is migrated like that
 * at every exit and must finish with exactly the results of an
 * undisturbed run.
 */
#include "kvmx_test.h"
#include "guest_mix.h"
#include "state.h"

#define MIX_ITERS	12

/*
 * MSR values the guest writes itself.  SYSENTER_ESP/EIP stay 32-bit: SVM
 * keeps only the low half for a guest with AMD's CPUID (APM Vol. 2
 * 6.1.1: the legacy SYSENTER MSRs are 32-bit there).  PAT entries are
 * valid memory types (SDM Vol. 3A 13.12.2).
 */
static const struct {
	uint32_t index;
	uint64_t value;
} guest_msrs[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81a00010ULL },
	{ MSR_CSTAR, 0xffffffff81a00020ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0xffff888012345000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0x8badf00d },
	{ MSR_IA32_SYSENTER_EIP, 0x12345678 },
	{ MSR_IA32_CR_PAT, 0x0001040605070406ULL },
};

#define GUEST_FS_BASE	0x7f0012340000ULL
#define GUEST_GS_BASE	0x7f0056780000ULL
#define GUEST_CR2	0xdeadb000ULL
/* Breakpoint addresses with R/W and LEN fields but no enable bit. */
static const uint64_t guest_dr[4] = {
	0x1000, 0x2000, 0x3008, 0xffffffff81000000ULL,
};
#define GUEST_DR7	0x55550400ULL

static struct mix_state mix_exits, mix_quiet;

static void guest_set_own_state(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(guest_msrs); i++)
		guest_wrmsr(guest_msrs[i].index, guest_msrs[i].value);
	guest_wrmsr(MSR_FS_BASE, GUEST_FS_BASE);
	guest_wrmsr(MSR_GS_BASE, GUEST_GS_BASE);
	asm volatile("mov %0, %%cr2" : : "r"(GUEST_CR2));
	asm volatile("mov %0, %%dr0" : : "r"(guest_dr[0]));
	asm volatile("mov %0, %%dr1" : : "r"(guest_dr[1]));
	asm volatile("mov %0, %%dr2" : : "r"(guest_dr[2]));
	asm volatile("mov %0, %%dr3" : : "r"(guest_dr[3]));
	asm volatile("mov %0, %%dr7" : : "r"(GUEST_DR7));
}

static void guest_check_own_state(void)
{
	uint64_t v;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(guest_msrs); i++)
		GUEST_ASSERT_EQ(guest_rdmsr(guest_msrs[i].index),
				guest_msrs[i].value);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_FS_BASE), GUEST_FS_BASE);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_GS_BASE), GUEST_GS_BASE);
	asm volatile("mov %%cr2, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, GUEST_CR2);
	asm volatile("mov %%dr0, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, guest_dr[0]);
	asm volatile("mov %%dr3, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, guest_dr[3]);
	asm volatile("mov %%dr7, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, GUEST_DR7);
}

static void guest_migrating(uint64_t flags, uint64_t seed)
{
	long d;

	if (flags & (MIX_F_AVX | MIX_F_AVX512))
		GUEST_ASSERT_EQ(guest_xgetbv(0), mix_xcr0(flags));
	guest_set_own_state();
	mix_state_init(&mix_exits, seed);
	mix_state_init(&mix_quiet, seed);
	GUEST_SYNC(1);
	/* Every iteration exits; the host migrates the vCPU each time. */
	mix_run(&mix_exits, MIX_ITERS, flags | MIX_F_EXITS);
	/* The same work without an exit: the reference result. */
	mix_run(&mix_quiet, MIX_ITERS, flags);
	d = mix_state_cmp(&mix_exits, &mix_quiet);
	GUEST_ASSERT_MSG(d < 0, "registers differ at byte %ld of struct mix_state",
			 d);
	guest_check_own_state();
	GUEST_SYNC(2);
}

/* The guest's own state, as the host sees it in a saved state. */
static void check_saved_guest_state(struct __test_metadata *_metadata,
				    const struct vcpu_state *st, uint64_t flags)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(guest_msrs); i++)
		EXPECT_EQ(guest_msrs[i].value,
			  vcpu_state_msr(st, guest_msrs[i].index))
			TH_LOG("MSR 0x%x", guest_msrs[i].index);
	EXPECT_EQ(GUEST_FS_BASE, st->sregs.fs.base);
	EXPECT_EQ(GUEST_GS_BASE, st->sregs.gs.base);
	EXPECT_EQ(GUEST_CR2, st->sregs.cr2);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(guest_dr[i], st->debugregs.db[i]) TH_LOG("DR%u", i);
	EXPECT_EQ(GUEST_DR7, st->debugregs.dr7);
	if (flags & (MIX_F_AVX | MIX_F_AVX512)) {
		ASSERT_TRUE(st->has_xcrs);
		EXPECT_EQ(0, st->xcrs.xcrs[0].xcr);
		EXPECT_EQ(mix_xcr0(flags), st->xcrs.xcrs[0].value);
		EXPECT_TRUE(st->sregs.cr4 & X86_CR4_OSXSAVE);
	}
}

/* Runs until a ucall other than a printf; MIX_PORT exits are returned as -1. */
static long run_to_exit(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	for (;;) {
		uint64_t cmd;

		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == KVM_EXIT_IO &&
		    vcpu->run->io.port == MIX_PORT)
			return -1;
		cmd = get_ucall(vcpu, uc);
		if (cmd == UCALL_PRINTF) {
			fprintf(stderr, "# guest: %s", uc->msg);
			continue;
		}
		if (cmd == UCALL_NONE) {
			vcpu_dump_exit(stderr, vcpu);
			vcpu_dump_state(stderr, vcpu);
		}
		TEST_ASSERT(cmd != UCALL_ASSERT, "guest assertion (line %lu): %s",
			    uc->line, uc->msg);
		TEST_ASSERT(cmd != UCALL_UNHANDLED,
			    "guest exception %lu at rip 0x%lx", uc->args[0],
			    uc->args[2]);
		TEST_ASSERT(cmd != UCALL_NONE, "unexpected exit %s",
			    exit_reason_str(vcpu->run->exit_reason));
		return cmd;
	}
}

static void migrate_running_guest(struct __test_metadata *_metadata,
				  uint64_t flags)
{
	struct kvm_vcpu *vcpu;
	struct vcpu_state *st;
	unsigned int ndiff, exits = 0;
	struct ucall uc;
	long r;

	vm_create_guest(&vcpu, (void (*)(void))guest_migrating);
	vcpu_enable_mix(vcpu, flags);
	vcpu_set_args(vcpu, 2, flags, 0x5eed0000ULL + flags);
	ASSERT_EQ(UCALL_SYNC, run_to_exit(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	st = vcpu_state_save(vcpu);
	check_saved_guest_state(_metadata, st, flags);
	vcpu_state_free(st);

	while ((r = run_to_exit(vcpu, &uc)) == -1) {
		struct kvm_vcpu *nv;
		uint32_t iter;

		memcpy(&iter, vcpu_io_data(vcpu), sizeof(iter));
		ASSERT_EQ(exits, iter);
		exits++;
		nv = vcpu_migrate(vcpu, &ndiff);
		EXPECT_EQ(0, ndiff) TH_LOG("migration %u: state differs", exits);
		kvm_vm_free(vcpu->vm);
		vcpu = nv;
		if (exits == 1) {
			st = vcpu_state_save(vcpu);
			check_saved_guest_state(_metadata, st, flags);
			vcpu_state_free(st);
		}
	}
	EXPECT_EQ(MIX_ITERS, exits);
	ASSERT_EQ(UCALL_SYNC, r);
	EXPECT_EQ(2, uc.args[0]);
	ASSERT_EQ(UCALL_DONE, run_to_exit(vcpu, &uc));
	kvm_vm_free(vcpu->vm);
}

TEST(migrate_guest_sse)
{
	migrate_running_guest(_metadata, 0);
}

TEST(migrate_guest_avx)
{
	if (!(mix_supported_flags() & MIX_F_AVX))
		TEST_SKIP(return, "no AVX in this CPU or in KVM's supported CPUID");
	migrate_running_guest(_metadata, MIX_F_AVX);
}

TEST(migrate_guest_avx512)
{
	if (!(mix_supported_flags() & MIX_F_AVX512))
		TEST_SKIP(return, "no AVX-512 in this CPU or in KVM's supported CPUID");
	migrate_running_guest(_metadata, MIX_F_AVX | MIX_F_AVX512);
}

TEST_HARNESS_MAIN
