// SPDX-License-Identifier: GPL-2.0-only
/*
 * Instructions that exit to KVM and are completed in the kernel, checked
 * from inside a 64-bit guest:
 *  - XSETBV: XCR0 values allowed by the guest's CPUID leaf 0xD take effect
 *    (XGETBV reads them back); XCR0 without x87, YMM without SSE, bits the
 *    guest's CPUID lacks and XCRs other than 0 are #GP (SDM Vol. 1 13.3,
 *    Vol. 2B XSETBV), and leave XCR0 as it was;
 *  - INVD, WBINVD, PAUSE: executed, the guest goes on after them;
 *  - MONITOR/MWAIT: NOPs by default (KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS),
 *    #UD without MONITOR in the guest's CPUID once that quirk is disabled
 *    (where KVM_CAP_DISABLE_QUIRKS2 offers it);
 *  - RDPMC: #GP without a virtual PMU, and for a counter no PMU has;
 *  - RDTSC/RDTSCP: the TSC only goes forward, RDTSCP returns the TSC_AUX
 *    the host set with KVM_SET_MSRS, a host write of IA32_TSC moves this
 *    vCPU's TSC and not that of another VM;
 *  - the KVM hypercall ABI (Documentation/virt/kvm/x86/hypercalls.rst),
 *    with the host vendor's instruction: -KVM_ENOSYS for unknown numbers,
 *    0 for KVM_HC_VAPIC_POLL_IRQ, -KVM_EPERM from CPL 3.
 */
#include <stdlib.h>

#include "kvmx_test.h"

/* Hypercall ABI (include/uapi/linux/kvm_para.h; not in our uapi). */
#define KVM_HC_VAPIC_POLL_IRQ	1
#define KVM_HC_MAP_GPA_RANGE	12
#define KVM_ENOSYS		1000
#define KVM_EPERM		1

#ifndef KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS
#define KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS (1 << 6)
#endif

#ifndef KVM_PMU_CAP_DISABLE
#define KVM_PMU_CAP_DISABLE (1 << 0)
#endif

#define X86_EFLAGS_IOPL3	(3UL << 12)

/* The library's long-mode layout (lib/longmode.c). */
#define LM_TSS		0x2000UL
#define LM_PML4		0x4000UL
#define LM_PDPT		0x5000UL
#define LM_PD		0x6000UL	/* 4 pages: 0-4 GiB */

/* ---- XSETBV / XGETBV ------------------------------------------------- */

/* XCR0 bits the guest may set: KVM_GET_SUPPORTED_CPUID leaf 0xD.0. */
static uint64_t supported_xcr0(void)
{
	struct kvm_cpuid_entry2 *e = kvm_cpuid_find(kvm_get_supported_cpuid(),
						    0xd, 0);

	return e ? e->eax | (uint64_t)e->edx << 32 : 0;
}

/* An op-server VM with CPUID @c (NULL: all supported) and CR4.OSXSAVE. */
static struct kvm_vm *xsave_vm(struct kvm_vcpu **vcpu, struct kvm_cpuid2 *c)
{
	struct kvm_vm *vm = vm_create_op_guest(vcpu);
	struct kvm_sregs s;

	if (c)
		vcpu_set_cpuid(*vcpu, c);
	vcpu_sregs_get(*vcpu, &s);
	s.cr4 |= X86_CR4_OSXSAVE;
	vcpu_sregs_set(*vcpu, &s);
	return vm;
}

static uint64_t guest_xcr0(struct __test_metadata *_metadata,
			   struct kvm_vcpu *vcpu)
{
	struct guest_op_result r = guest_op(vcpu, GOP_XGETBV, 0, 0);

	EXPECT_EQ(GUEST_NO_EXCEPTION, r.vector) TH_LOG("XGETBV(0)");
	return r.value;
}

/*
 * The host is QEMU's TCG: its "max" CPU's brand string (leaves
 * 0x80000002-4) is "QEMU TCG CPU version ...", or the hypervisor leaf
 * says "TCGTCGTCGTCG".
 */
static bool host_is_tcg(void)
{
	uint32_t brand[12], a, b, c, d, i;

	host_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000004) {
		for (i = 0; i < 3; i++)
			host_cpuid(0x80000002 + i, 0, &brand[4 * i],
				   &brand[4 * i + 1], &brand[4 * i + 2],
				   &brand[4 * i + 3]);
		brand[11] &= 0x00ffffff;	/* NUL-terminated */
		if (strstr((const char *)brand, "QEMU TCG"))
			return true;
	}
	host_cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1U << 31)))
		return false;
	host_cpuid(0x40000000, 0, &a, &b, &c, &d);
	return b == 0x54474354 && c == 0x43544743 && d == 0x47544354;
}

/* Guest: XSETBV(0, @val), then XGETBV(0) before any exit. */
static void guest_xsetbv_probe(uint64_t val)
{
	uint64_t now = 0;
	int vec = xsetbv_safe(0, val);

	if (vec == GUEST_NO_EXCEPTION)
		now = guest_xgetbv(0);
	ucall(UCALL_SYNC, 2, (uint64_t)(int64_t)vec, now);
}

/*
 * Whether a guest's XSETBV exits to KVM.  It must, on hardware; QEMU's
 * TCG (the emulated SVM host) does not intercept a nested guest's XSETBV
 * (see guest_mix.h): the guest's own XGETBV sees the value, KVM never
 * checks it (kvmx reads it back at the next exit).  Anything else (the
 * value lost at once, KVM holding another value) fails the test.
 */
static bool xsetbv_reaches_kvm(struct __test_metadata *_metadata)
{
	const uint64_t val = XFEATURE_X87 | XFEATURE_SSE;
	struct kvm_xcrs xcrs = { .nr_xcrs = 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_sregs s;
	struct ucall uc;

	vm = vm_create_guest(&vcpu, (void (*)(void))guest_xsetbv_probe);
	vcpu_sregs_get(vcpu, &s);
	s.cr4 |= X86_CR4_OSXSAVE;
	vcpu_sregs_set(vcpu, &s);
	vcpu_set_args(vcpu, 1, val);
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(GUEST_NO_EXCEPTION, (int)uc.args[0]) TH_LOG("XSETBV(0, 3)");
	EXPECT_EQ(val, uc.args[1]) TH_LOG("XGETBV right after XSETBV(0, 3)");
	vcpu_ioctl(vcpu, KVM_GET_XCRS, &xcrs);
	kvm_vm_free(vm);
	EXPECT_EQ(1, xcrs.nr_xcrs);
	/*
	 * On TCG the XSETBV did not exit; KVM's XCR0 either stayed 1
	 * (in-tree) or was read back from the CPU at the next exit (kvmx:
	 * so that the next entry does not undo it), and nothing checked it.
	 */
	if (xcrs.nr_xcrs == 1 && uc.args[1] == val && host_is_tcg() &&
	    (xcrs.xcrs[0].value == XFEATURE_X87 ||
	     (testing_kvmx() && xcrs.xcrs[0].value == val))) {
		TH_LOG("XSETBV did not exit (QEMU TCG host)");
		return false;
	}
	if (xcrs.nr_xcrs == 1 && xcrs.xcrs[0].value == val)
		return true;
	EXPECT_EQ(val, xcrs.xcrs[0].value) TH_LOG("KVM_GET_XCRS after the guest's XSETBV");
	return false;
}

#define SKIP_WITHOUT_XSAVE()						\
	do {								\
		if (!kvm_cpu_has(X86_FEATURE_XSAVE))			\
			TEST_SKIP(return, "no XSAVE in KVM_GET_SUPPORTED_CPUID"); \
		/* XSAVE enumerates leaf 0xD, x87 and SSE at least. */ \
		ASSERT_EQ(XFEATURE_X87 | XFEATURE_SSE,			\
			  supported_xcr0() & (XFEATURE_X87 | XFEATURE_SSE)) \
			TH_LOG("KVM_GET_SUPPORTED_CPUID: XSAVE, leaf 0xD.0 XCR0 0x%lx", \
			       supported_xcr0());			\
		if (!xsetbv_reaches_kvm(_metadata)) {			\
			if (_metadata->passed)				\
				TEST_SKIP(return, "the emulated host's CPU does not intercept a guest's XSETBV (QEMU TCG)"); \
			return;						\
		}							\
	} while (0)

TEST(xsetbv_valid_values)
{
	uint64_t sup = supported_xcr0();
	uint64_t vals[4];
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned int i, n = 0;

	SKIP_WITHOUT_XSAVE();
	vals[n++] = XFEATURE_X87;
	if (sup & XFEATURE_SSE)
		vals[n++] = XFEATURE_X87 | XFEATURE_SSE;
	if ((sup & XFEATURE_SSE) && (sup & XFEATURE_YMM))
		vals[n++] = XFEATURE_X87 | XFEATURE_SSE | XFEATURE_YMM;
	vals[n++] = sup;	/* everything the guest's CPUID allows */
	TH_LOG("supported XCR0 0x%lx", sup);

	vm = xsave_vm(&vcpu, NULL);
	/* RESET value (SDM Vol. 1 13.3). */
	EXPECT_EQ(XFEATURE_X87, guest_xcr0(_metadata, vcpu));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(GUEST_NO_EXCEPTION,
			  guest_op(vcpu, GOP_XSETBV, 0, vals[i]).vector)
			TH_LOG("XSETBV(0, 0x%lx)", vals[i]);
		EXPECT_EQ(vals[i], guest_xcr0(_metadata, vcpu));
	}
	/* Back down to x87 only works too. */
	EXPECT_EQ(GUEST_NO_EXCEPTION,
		  guest_op(vcpu, GOP_XSETBV, 0, XFEATURE_X87).vector);
	EXPECT_EQ(XFEATURE_X87, guest_xcr0(_metadata, vcpu));
	kvm_vm_free(vm);
}

/* XSETBV @index, @val must #GP and leave XCR0 at @keep. */
static void expect_xsetbv_gp(struct __test_metadata *_metadata,
			     struct kvm_vcpu *vcpu, uint32_t index,
			     uint64_t val, uint64_t keep)
{
	EXPECT_EQ(GP_VECTOR, guest_op(vcpu, GOP_XSETBV, index, val).vector)
		TH_LOG("XSETBV(%u, 0x%lx)", index, val);
	EXPECT_EQ(keep, guest_xcr0(_metadata, vcpu))
		TH_LOG("XCR0 after the faulting XSETBV(%u, 0x%lx)", index, val);
}

TEST(xsetbv_invalid_values_gp)
{
	uint64_t sup = supported_xcr0(), keep, bit;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	SKIP_WITHOUT_XSAVE();
	keep = XFEATURE_X87 | XFEATURE_SSE;
	vm = xsave_vm(&vcpu, NULL);
	ASSERT_EQ(GUEST_NO_EXCEPTION,
		  guest_op(vcpu, GOP_XSETBV, 0, keep).vector);

	/* x87 state can never be disabled. */
	expect_xsetbv_gp(_metadata, vcpu, 0, 0, keep);
	expect_xsetbv_gp(_metadata, vcpu, 0, XFEATURE_SSE, keep);
	if (sup & XFEATURE_YMM) {
		expect_xsetbv_gp(_metadata, vcpu, 0, XFEATURE_YMM | XFEATURE_SSE,
				 keep);
		/* AVX state needs SSE state. */
		expect_xsetbv_gp(_metadata, vcpu, 0, XFEATURE_X87 | XFEATURE_YMM,
				 keep);
	}
	/* Bits the guest's CPUID does not enumerate. */
	for (bit = 2; bit < 64; bit++) {
		if (sup & (1ULL << bit))
			continue;
		expect_xsetbv_gp(_metadata, vcpu, 0, keep | (1ULL << bit), keep);
	}
	/* Only XCR0 exists (XCR1 is XGETBV-only). */
	expect_xsetbv_gp(_metadata, vcpu, 1, keep, keep);
	expect_xsetbv_gp(_metadata, vcpu, 1, 0, keep);
	expect_xsetbv_gp(_metadata, vcpu, 0x80000000, keep, keep);
	kvm_vm_free(vm);
}

/* XCR0 follows the guest's CPUID, not the host's: no AVX, no YMM. */
TEST(xsetbv_follows_guest_cpuid)
{
	uint64_t sup = supported_xcr0();
	const uint64_t ok = XFEATURE_X87 | XFEATURE_SSE;
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;

	SKIP_WITHOUT_XSAVE();
	if (!(sup & XFEATURE_YMM))
		TEST_SKIP(return, "no AVX state in the supported XCR0 (0x%lx)", sup);
	c = kvm_cpuid_dup(kvm_get_supported_cpuid(), 0);
	e = kvm_cpuid_find(c, 0xd, 0);
	ASSERT_TRUE(e != NULL);
	e->eax &= ~(uint32_t)XFEATURE_YMM;
	/* No AVX either, and none of its XSAVE component. */
	kvm_cpuid_clear(c, X86_FEATURE(1, 0, ECX, 28));
	kvm_cpuid_clear(c, X86_FEATURE(7, 0, EBX, 5));	/* AVX2 */
	e = kvm_cpuid_find(c, 0xd, 2);
	if (e)
		e->eax = e->ebx = e->ecx = e->edx = 0;
	vm = xsave_vm(&vcpu, c);
	ASSERT_EQ(GUEST_NO_EXCEPTION, guest_op(vcpu, GOP_XSETBV, 0, ok).vector);
	EXPECT_EQ(ok, guest_xcr0(_metadata, vcpu));
	expect_xsetbv_gp(_metadata, vcpu, 0, ok | XFEATURE_YMM, ok);
	free(c);
	kvm_vm_free(vm);
}

/* ---- INVD, WBINVD, PAUSE, MONITOR, MWAIT ----------------------------- */

enum simple_insn { INSN_INVD, INSN_WBINVD, INSN_PAUSE, INSN_MONITOR, INSN_MWAIT };

/* Guest data: MONITOR's address range. */
static uint64_t monitor_line[8] __attribute__((aligned(64)));

/* A no-operand instruction, exceptions caught: the vector or -1. */
#define SAFE_INSN(insn) ({						\
	register uint64_t __vec asm("r11");				\
	asm volatile(GUEST_SAFE_ASM(insn)				\
		     : "=&r"(__vec) : : "r10", "memory");		\
	(int)__vec;							\
})

/* MONITOR/MWAIT: EAX (address or hints), ECX (extensions), EDX (hints). */
#define SAFE_INSN_ACD(insn, a, c, d) ({					\
	register uint64_t __vec asm("r11");				\
	asm volatile(GUEST_SAFE_ASM(insn)				\
		     : "=&r"(__vec) : "a"(a), "c"(c), "d"(d)		\
		     : "r10", "memory");				\
	(int)__vec;							\
})

/* Guest data: set after the instruction, read back by the host. */
static volatile uint64_t went_on;

static void guest_simple_insn(uint64_t which)
{
	int vec = GUEST_NO_EXCEPTION, i;

	switch (which) {
	case INSN_INVD:
		vec = SAFE_INSN("invd");
		break;
	case INSN_WBINVD:
		vec = SAFE_INSN("wbinvd");
		break;
	case INSN_PAUSE:
		/* Enough for a pause-loop exit where KVM enables them. */
		for (i = 0; i < 100000 && vec == GUEST_NO_EXCEPTION; i++)
			vec = SAFE_INSN("pause");
		break;
	case INSN_MONITOR:
		vec = SAFE_INSN_ACD("monitor", (uint64_t)(uintptr_t)monitor_line,
				    0UL, 0UL);
		break;
	case INSN_MWAIT:
		/* Armed (or a NOP) first; without it MWAIT just goes on. */
		SAFE_INSN_ACD("monitor", (uint64_t)(uintptr_t)monitor_line,
			      0UL, 0UL);
		vec = SAFE_INSN_ACD("mwait", 0UL, 0UL, 0UL);
		break;
	}
	went_on = 0x600d;
	ucall(UCALL_SYNC, 2, which, (uint64_t)(int64_t)vec);
}

/*
 * Runs @which in a fresh guest (with @disable_quirks disabled through
 * KVM_CAP_DISABLE_QUIRKS2 if not 0); the vector it raised.  The guest
 * must reach its end afterwards.
 */
static int run_simple_insn(struct __test_metadata *_metadata,
			   enum simple_insn which, uint64_t disable_quirks)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(NULL, (void (*)(void))guest_simple_insn);
	struct ucall uc;
	int vec;

	if (disable_quirks)
		vm_enable_cap(vm, KVM_CAP_DISABLE_QUIRKS2, disable_quirks);
	vcpu = vm_vcpu_add_guest(vm, 0, NULL);
	vcpu_set_args(vcpu, 1, (uint64_t)which);
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(which, uc.args[0]);
	vec = (int)uc.args[1];
	sync_global_from_guest(vm, went_on);
	EXPECT_EQ(0x600d, went_on);
	went_on = 0;
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
	return vec;
}

TEST(invd_continues)
{
	EXPECT_EQ(GUEST_NO_EXCEPTION, run_simple_insn(_metadata, INSN_INVD, 0));
}

TEST(wbinvd_continues)
{
	EXPECT_EQ(GUEST_NO_EXCEPTION, run_simple_insn(_metadata, INSN_WBINVD, 0));
}

TEST(pause_continues)
{
	EXPECT_EQ(GUEST_NO_EXCEPTION, run_simple_insn(_metadata, INSN_PAUSE, 0));
}

/*
 * KVM's supported CPUID has no MONITOR, yet by default KVM completes
 * MONITOR and MWAIT as NOPs (KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS).
 */
TEST(monitor_mwait_default_nop)
{
	EXPECT_FALSE(kvm_cpu_has(X86_FEATURE_MONITOR))
		TH_LOG("KVM_GET_SUPPORTED_CPUID lists MONITOR");
	EXPECT_EQ(GUEST_NO_EXCEPTION, run_simple_insn(_metadata, INSN_MONITOR, 0));
	EXPECT_EQ(GUEST_NO_EXCEPTION, run_simple_insn(_metadata, INSN_MWAIT, 0));
}

/* Without the quirk, what the guest's CPUID says: no MONITOR, #UD. */
TEST(monitor_mwait_ud_without_quirk)
{
	int quirks = kvm_check_cap(KVM_CAP_DISABLE_QUIRKS2);

	if (!(quirks & KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS))
		TEST_SKIP(return, "KVM_CAP_DISABLE_QUIRKS2 (0x%x) has no MWAIT_NEVER_UD_FAULTS",
			  quirks);
	if (kvm_cpu_has(X86_FEATURE_MONITOR))
		TEST_SKIP(return, "KVM_GET_SUPPORTED_CPUID lists MONITOR");
	EXPECT_EQ(UD_VECTOR, run_simple_insn(_metadata, INSN_MONITOR,
					     KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS));
	EXPECT_EQ(UD_VECTOR, run_simple_insn(_metadata, INSN_MWAIT,
					     KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS));
}

/* ---- RDPMC ------------------------------------------------------------ */

/*
 * No virtual PMU: KVM_CAP_PMU_CAPABILITY is 0 when KVM has none (kvmx,
 * or a host without perf counters); otherwise the VM's is disabled with
 * it before the vCPU exists.  Either way every RDPMC is #GP.
 */
TEST(rdpmc_gp_without_vpmu)
{
	static const uint32_t counters[] = { 0, 1, 3, 0x40000000, 0x80000000 };
	int cap = kvm_check_cap(KVM_CAP_PMU_CAPABILITY);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_op_guest(NULL);
	unsigned int i;

	TH_LOG("KVM_CAP_PMU_CAPABILITY: 0x%x", cap);
	if (cap)
		vm_enable_cap(vm, KVM_CAP_PMU_CAPABILITY, KVM_PMU_CAP_DISABLE);
	vcpu = vm_vcpu_add_guest(vm, 0, NULL);
	for (i = 0; i < ARRAY_SIZE(counters); i++)
		EXPECT_EQ(GP_VECTOR,
			  guest_op(vcpu, GOP_RDPMC, counters[i], 0).vector)
			TH_LOG("RDPMC 0x%x", counters[i]);
	kvm_vm_free(vm);
}

/* A counter index no PMU has: #GP with or without a vPMU. */
TEST(rdpmc_bad_index_gp)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_op_guest(&vcpu);

	EXPECT_EQ(GP_VECTOR, guest_op(vcpu, GOP_RDPMC, 0x3fff, 0).vector);
	kvm_vm_free(vm);
}

/* ---- RDTSC / RDTSCP --------------------------------------------------- */

#define TSC_READS	2000

/* Reads the TSC in a loop, with exits in between: never backwards. */
static void guest_tsc_monotonic(uint64_t has_rdtscp)
{
	uint64_t prev = guest_rdtsc(), first = prev, t;
	uint32_t lo, hi, aux;
	int i;

	for (i = 0; i < TSC_READS; i++) {
		if (has_rdtscp && (i & 1)) {
			asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
			t = lo | (uint64_t)hi << 32;
		} else {
			t = guest_rdtsc();
		}
		GUEST_ASSERT_MSG(t >= prev, "read %d: 0x%lx after 0x%lx", i, t,
				 prev);
		prev = t;
		if (!(i % 500))
			GUEST_SYNC(t);
	}
	GUEST_ASSERT_MSG(prev > first, "TSC stuck at 0x%lx", first);
}

TEST(tsc_monotonic)
{
	bool rdtscp = kvm_cpu_has(X86_FEATURE_RDTSCP);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu,
				(void (*)(void))guest_tsc_monotonic);
	uint64_t last = 0;
	struct ucall uc;

	ASSERT_TRUE(kvm_cpu_has(X86_FEATURE_TSC));
	vcpu_set_args(vcpu, 1, (uint64_t)rdtscp);
	while (vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC) {
		EXPECT_GE(uc.args[0], last);
		last = uc.args[0];
		/* The host's view is never behind what the guest saw. */
		EXPECT_GE(vcpu_get_msr(vcpu, MSR_IA32_TSC), last);
	}
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	kvm_vm_free(vm);
}

TEST(rdtscp_returns_tsc_aux)
{
	static const uint32_t auxes[] = { 0x1234567, 0, 0xfffffffe, 3 };
	struct guest_op_result a, b, p;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	unsigned int i;

	if (!kvm_cpu_has(X86_FEATURE_RDTSCP))
		TEST_SKIP(return, "no RDTSCP in KVM_GET_SUPPORTED_CPUID");
	vm = vm_create_op_guest(&vcpu);
	for (i = 0; i < ARRAY_SIZE(auxes); i++) {
		vcpu_set_msr(vcpu, MSR_TSC_AUX, auxes[i]);
		a = guest_op(vcpu, GOP_RDTSC, 0, 0);
		p = guest_op(vcpu, GOP_RDTSCP, 0, 0);
		b = guest_op(vcpu, GOP_RDTSC, 0, 0);
		EXPECT_EQ(GUEST_NO_EXCEPTION, p.vector);
		EXPECT_EQ(auxes[i], p.aux) TH_LOG("TSC_AUX set to 0x%x", auxes[i]);
		EXPECT_LE(a.value, p.value);
		EXPECT_LE(p.value, b.value);
	}
	/* The guest's own WRMSR shows in RDTSCP too. */
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_wrmsr(vcpu, MSR_TSC_AUX, 0x77));
	p = guest_op(vcpu, GOP_RDTSCP, 0, 0);
	EXPECT_EQ(GUEST_NO_EXCEPTION, p.vector);
	EXPECT_EQ(0x77, p.aux);
	kvm_vm_free(vm);
}

/* KVM_SET_MSRS(IA32_TSC) moves this vCPU's TSC, not another VM's. */
TEST(tsc_set_by_host_moves_guest_tsc)
{
	const uint64_t big = 1ULL << 50;
	struct kvm_vcpu *vcpu, *other;
	struct kvm_vm *vm, *vm2;
	struct guest_op_result r;
	uint64_t before;

	vm = vm_create_op_guest(&vcpu);
	r = guest_op(vcpu, GOP_RDTSC, 0, 0);
	before = r.value;
	EXPECT_LT(before, big);
	vcpu_set_msr(vcpu, MSR_IA32_TSC, big);
	vm2 = vm_create_op_guest(&other);

	r = guest_op(vcpu, GOP_RDTSC, 0, 0);
	EXPECT_GE(r.value, big);
	EXPECT_LT(r.value, big + (1ULL << 40));
	r = guest_op(other, GOP_RDTSC, 0, 0);
	EXPECT_LT(r.value, big) TH_LOG("a fresh VM's TSC: 0x%lx", r.value);
	/* And RDTSCP agrees with RDTSC. */
	if (kvm_cpu_has(X86_FEATURE_RDTSCP)) {
		r = guest_op(vcpu, GOP_RDTSCP, 0, 0);
		EXPECT_EQ(GUEST_NO_EXCEPTION, r.vector);
		EXPECT_GE(r.value, big);
		r = guest_op(other, GOP_RDTSCP, 0, 0);
		EXPECT_LT(r.value, big);
	}
	kvm_vm_free(vm2);
	kvm_vm_free(vm);
}

/* ---- hypercalls ------------------------------------------------------- */

/* Guest data: VMCALL (Intel) or VMMCALL (AMD), set by the host. */
static uint64_t hc_intel;

/* KVM hypercall @nr with 4 arguments; the vector, *ret = RAX. */
static int guest_hypercall(uint64_t nr, uint64_t a0, uint64_t a1,
			   uint64_t a2, uint64_t a3, uint64_t *ret)
{
	register uint64_t vec asm("r11");
	uint64_t rax = nr;

	if (hc_intel)
		asm volatile(GUEST_SAFE_ASM("vmcall")
			     : "=&r"(vec), "+a"(rax)
			     : "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			     : "r10", "memory");
	else
		asm volatile(GUEST_SAFE_ASM("vmmcall")
			     : "=&r"(vec), "+a"(rax)
			     : "b"(a0), "c"(a1), "d"(a2), "S"(a3)
			     : "r10", "memory");
	*ret = rax;
	return (int)vec;
}

/* Guest: one hypercall per SYNC, number in @nr; reports vector and RAX. */
static void guest_hc(uint64_t nr)
{
	uint64_t ret = 0;
	int vec = guest_hypercall(nr, 0x1000, 1, 0, 0, &ret);

	ucall(UCALL_SYNC, 3, nr, (uint64_t)(int64_t)vec, ret);
}

static uint64_t hypercall_from_guest(struct __test_metadata *_metadata,
				     uint64_t nr)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_hc);
	struct ucall uc;

	hc_intel = host_vendor() == VENDOR_INTEL;
	sync_global_to_guest(vm, hc_intel);
	vcpu_set_args(vcpu, 1, nr);
	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(nr, uc.args[0]);
	EXPECT_EQ(GUEST_NO_EXCEPTION, (int)uc.args[1])
		TH_LOG("hypercall %lu raised vector %d", nr, (int)uc.args[1]);
	/* Completed in the kernel: the guest goes on to its end. */
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
	return uc.args[2];
}

TEST(hypercall_unknown_enosys)
{
	static const uint64_t nrs[] = { 0xdead, 1000, 0x7fffffff, 1ULL << 40 };
	unsigned int i;

	if (host_vendor() == VENDOR_UNKNOWN)
		TEST_SKIP(return, "unknown CPU vendor");
	for (i = 0; i < ARRAY_SIZE(nrs); i++)
		EXPECT_EQ((uint64_t)-KVM_ENOSYS, hypercall_from_guest(_metadata, nrs[i]))
			TH_LOG("hypercall 0x%lx", nrs[i]);
	/* Known, but exits to userspace only when enabled: unknown here. */
	EXPECT_EQ((uint64_t)-KVM_ENOSYS,
		  hypercall_from_guest(_metadata, KVM_HC_MAP_GPA_RANGE));
}

TEST(hypercall_vapic_poll_irq)
{
	if (host_vendor() == VENDOR_UNKNOWN)
		TEST_SKIP(return, "unknown CPU vendor");
	EXPECT_EQ(0, hypercall_from_guest(_metadata, KVM_HC_VAPIC_POLL_IRQ));
}

/*
 * CPL 3: the guest starts in user mode (CS/SS DPL 3, IOPL 3 so that the
 * ucall's OUT is allowed, all of the identity map user-accessible) and
 * reports from there; it never goes back to CPL 0.
 */
static void guest_user_hc(void)
{
	uint64_t ret, cs;
	int vec;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	vec = guest_hypercall(KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0, 0, &ret);
	for (;;)
		ucall(UCALL_SYNC, 3, cs & 3, (uint64_t)(int64_t)vec, ret);
}

TEST(hypercall_cpl3_eperm)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_sregs s;
	struct kvm_regs r;
	struct ucall uc;
	uint64_t *pt, stack0;
	unsigned int i;

	if (host_vendor() == VENDOR_UNKNOWN)
		TEST_SKIP(return, "unknown CPU vendor");
	vm = vm_create_guest(&vcpu, guest_user_hc);
	hc_intel = host_vendor() == VENDOR_INTEL;
	sync_global_to_guest(vm, hc_intel);

	/* User-accessible: PML4[0], the PDPT and the 4 page directories. */
	pt = addr_gpa2hva(vm, LM_PML4);
	pt[0] |= PTE_US;
	pt = addr_gpa2hva(vm, LM_PDPT);
	for (i = 0; i < 4; i++)
		pt[i] |= PTE_US;
	pt = addr_gpa2hva(vm, LM_PD);
	for (i = 0; i < 4 * 512; i++)
		pt[i] |= PTE_US;
	/* A CPL 0 stack in the TSS, should an exception come. */
	stack0 = vm_alloc(vm, PAGE_SIZE, PAGE_SIZE) + PAGE_SIZE;
	memcpy((uint8_t *)addr_gpa2hva(vm, LM_TSS) + 4, &stack0, 8);

	vcpu_sregs_get(vcpu, &s);
	s.cs.dpl = 3;
	s.cs.selector |= 3;
	s.ss.dpl = s.ds.dpl = s.es.dpl = s.fs.dpl = s.gs.dpl = 3;
	s.ss.selector |= 3;
	s.ds.selector |= 3;
	s.es.selector |= 3;
	s.fs.selector |= 3;
	s.gs.selector |= 3;
	vcpu_sregs_set(vcpu, &s);
	vcpu_regs_get(vcpu, &r);
	r.rflags |= X86_EFLAGS_IOPL3;
	vcpu_regs_set(vcpu, &r);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(3, uc.args[0]) TH_LOG("CPL of the guest");
	EXPECT_EQ(GUEST_NO_EXCEPTION, (int)uc.args[1]);
	EXPECT_EQ((uint64_t)-KVM_EPERM, uc.args[2]);
	/* It really ran at CPL 3 (SS.DPL is the CPL). */
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(3, s.ss.dpl);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
