// SPDX-License-Identifier: GPL-2.0-only
/*
 * MSRs KVM handles in the kernel: the KVM_GET_MSR_INDEX_LIST and
 * KVM_GET_MSR_FEATURE_INDEX_LIST protocols, feature MSRs read on the
 * system fd, KVM_GET/SET_MSRS returning the number of entries processed
 * (stopping at the first failure), the host's and the guest's views of
 * each MSR agreeing (set by KVM_SET_MSRS, read by RDMSR; written by WRMSR,
 * read by KVM_GET_MSRS), values a guest gets #GP for (SDM Vol. 4 and
 * Vol. 3A: canonical addresses, PAT and MTRR memory types 2 and 3,
 * reserved bits, read-only MTRRcap), and #GP for MSRs KVM does not know.
 * Machine-check MSRs are in msr_mce.c, exits to userspace in msr_filter.c.
 */
#include <stdlib.h>
#include <unistd.h>

#include "kvmx_test.h"

#define MSR_UNKNOWN	0xdeadbeef	/* in no MSR range of any CPU */
#define MSR_IA32_UCODE_REV 0x0000008b
#define KVM_MAX_IO_MSRS	256		/* KVM_GET/SET_MSRS' limit */
#define NONCANONICAL	0x8000000000000000ULL

/* MSRs a VMM must save and restore: KVM lists them. */
TEST(index_list_has_core_msrs)
{
	static const uint32_t want[] = {
		MSR_IA32_TSC, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
		MSR_IA32_SYSENTER_EIP, MSR_STAR, MSR_LSTAR, MSR_CSTAR,
		MSR_SYSCALL_MASK, MSR_KERNEL_GS_BASE, MSR_IA32_MISC_ENABLE,
		MSR_IA32_TSC_ADJUST, MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL,
	};
	struct kvm_msr_list *l = kvm_get_msr_list(KVM_GET_MSR_INDEX_LIST);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_TRUE(kvm_msr_list_has(l, want[i]))
			TH_LOG("MSR 0x%x not in KVM_GET_MSR_INDEX_LIST", want[i]);
	if (kvm_cpu_has(X86_FEATURE_RDTSCP))
		EXPECT_TRUE(kvm_msr_list_has(l, MSR_TSC_AUX));
	free(l);
}

TEST(feature_index_list_protocol)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *l;
	int fd = kvm_open();
	uint32_t n;

	EXPECT_ERRNO(E2BIG, ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, &probe));
	n = probe.nmsrs;
	ASSERT_GT(n, 0);
	l = calloc(1, sizeof(*l) + (n + 4) * sizeof(l->indices[0]));
	ASSERT_TRUE(l != NULL);
	l->nmsrs = n - 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, l));
	EXPECT_EQ(n, l->nmsrs);
	l->nmsrs = n + 4;
	ASSERT_EQ(0, ioctl(fd, KVM_GET_MSR_FEATURE_INDEX_LIST, l));
	EXPECT_EQ(n, l->nmsrs);
	/* KVM emulates these on every host. */
	EXPECT_TRUE(kvm_msr_list_has(l, MSR_IA32_ARCH_CAPABILITIES));
	EXPECT_TRUE(kvm_msr_list_has(l, MSR_IA32_UCODE_REV));
	free(l);
	close(fd);
}

/* KVM_GET_MSRS on /dev/kvm reads feature MSRs, and only them. */
TEST(feature_msrs_on_system_fd)
{
	struct kvm_msr_list *l = kvm_get_msr_list(KVM_GET_MSR_FEATURE_INDEX_LIST);
	struct kvm_msrs *m = kvm_msrs_alloc(l->nmsrs);
	int fd = kvm_open();
	uint32_t i;

	for (i = 0; i < l->nmsrs; i++)
		m->entries[i].index = l->indices[i];
	EXPECT_EQ(l->nmsrs, ioctl(fd, KVM_GET_MSRS, m));
	/*
	 * An MSR that is not a feature MSR: processing stops there.  (An
	 * unknown one: 6.12 reads the vCPU MSRs it advertises, STAR, EFER...,
	 * as 0 on the system fd, 6.1 refuses them.)
	 */
	m->nmsrs = 3;
	m->entries[0].index = MSR_IA32_ARCH_CAPABILITIES;
	m->entries[1].index = MSR_UNKNOWN;
	m->entries[2].index = MSR_IA32_UCODE_REV;
	EXPECT_EQ(1, ioctl(fd, KVM_GET_MSRS, m));
	m->nmsrs = 1;
	m->entries[0].index = MSR_UNKNOWN;
	EXPECT_EQ(0, ioctl(fd, KVM_GET_MSRS, m));
	free(m);
	free(l);
	close(fd);
}

FIXTURE(msr_vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(msr_vcpu)
{
	self->vm = vm_create_op_guest(&self->vcpu);
}

FIXTURE_TEARDOWN(msr_vcpu)
{
	kvm_vm_free(self->vm);
}

/* The return value is the count processed; processing stops at a failure. */
TEST_F(msr_vcpu, get_set_msrs_stop_at_first_failure)
{
	struct kvm_msrs *m = kvm_msrs_alloc(3);

	m->entries[0] = (struct kvm_msr_entry){ .index = MSR_STAR, .data = 0x1111 };
	m->entries[1] = (struct kvm_msr_entry){ .index = MSR_UNKNOWN, .data = 0x5555 };
	m->entries[2] = (struct kvm_msr_entry){ .index = MSR_LSTAR, .data = 0x2222 };
	vcpu_set_msr(self->vcpu, MSR_LSTAR, 0x3333);
	EXPECT_EQ(1, ioctl(self->vcpu->fd, KVM_SET_MSRS, m));
	EXPECT_EQ(0x1111, vcpu_get_msr(self->vcpu, MSR_STAR));
	EXPECT_EQ(0x3333, vcpu_get_msr(self->vcpu, MSR_LSTAR));
	EXPECT_EQ(1, ioctl(self->vcpu->fd, KVM_GET_MSRS, m));
	EXPECT_EQ(0x1111, m->entries[0].data);
	/* All good: all processed (KVM_GET_MSRS wrote every data back). */
	m->entries[1] = (struct kvm_msr_entry){ .index = MSR_CSTAR, .data = 0x5555 };
	m->entries[2].data = 0x2222;
	EXPECT_EQ(3, ioctl(self->vcpu->fd, KVM_SET_MSRS, m));
	EXPECT_EQ(0x5555, vcpu_get_msr(self->vcpu, MSR_CSTAR));
	EXPECT_EQ(0x2222, vcpu_get_msr(self->vcpu, MSR_LSTAR));
	m->nmsrs = 0;
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_SET_MSRS, m));
	EXPECT_EQ(0, ioctl(self->vcpu->fd, KVM_GET_MSRS, m));
	free(m);
}

TEST_F(msr_vcpu, get_set_msrs_too_many)
{
	struct kvm_msrs *m = kvm_msrs_alloc(KVM_MAX_IO_MSRS);
	uint32_t i;

	for (i = 0; i < KVM_MAX_IO_MSRS; i++)
		m->entries[i].index = MSR_STAR;
	EXPECT_ERRNO(E2BIG, ioctl(self->vcpu->fd, KVM_GET_MSRS, m));
	EXPECT_ERRNO(E2BIG, ioctl(self->vcpu->fd, KVM_SET_MSRS, m));
	m->nmsrs = KVM_MAX_IO_MSRS - 1;
	EXPECT_EQ(KVM_MAX_IO_MSRS - 1, ioctl(self->vcpu->fd, KVM_GET_MSRS, m));
	free(m);
}

/*
 * One MSR, both ways: the host sets @host_val, the guest must read it;
 * the guest writes @guest_val, the host must read it back.
 */
struct msr_case {
	uint32_t index;
	const char *name;
	uint64_t host_val, guest_val;
};

#define MSR_CASE(msr, h, g) { msr, #msr, h, g }

static const struct msr_case agreeing_msrs[] = {
	MSR_CASE(MSR_IA32_CR_PAT, 0x0606060606060606ULL, 0x0007010600070106ULL),
	MSR_CASE(MSR_IA32_SYSENTER_CS, 0x10, 0x23),
	MSR_CASE(MSR_IA32_SYSENTER_ESP, 0x12345678, 0x0badf00d),
	MSR_CASE(MSR_IA32_SYSENTER_EIP, 0x87654321, 0x00c0ffee),
	MSR_CASE(MSR_STAR, 0x0023001000000000ULL, 0x001b000812345678ULL),
	MSR_CASE(MSR_LSTAR, 0xffffffff81000000ULL, 0x00007fffdeadb000ULL),
	MSR_CASE(MSR_CSTAR, 0xffffffff82000000ULL, 0x0000000012340000ULL),
	MSR_CASE(MSR_SYSCALL_MASK, 0x47700, 0x700),
	MSR_CASE(MSR_FS_BASE, 0x00007f0000001000ULL, 0xffff888000002000ULL),
	MSR_CASE(MSR_GS_BASE, 0xffff888000003000ULL, 0x00007f0000004000ULL),
	MSR_CASE(MSR_KERNEL_GS_BASE, 0xffff888000005000ULL, 0x1000),
	MSR_CASE(MSR_IA32_TSC_ADJUST, 0x1000, 0x2000),
	MSR_CASE(MSR_MTRRdefType, 0xc06, 0x806),
	MSR_CASE(MSR_MTRRfix64K_00000, 0x0606060606060606ULL, 0x0000000000000006ULL),
	MSR_CASE(MSR_MTRRfix16K_80000, 0x0505050505050505ULL, 0x0404040404040404ULL),
	MSR_CASE(MSR_MTRRfix4K_C0000, 0x0101010101010101ULL, 0x0006000600060006ULL),
	MSR_CASE(MSR_MTRRphysBase(0), 0x80000006ULL, 0xc0000000ULL),
	MSR_CASE(MSR_MTRRphysMask(0), 0xff80000800ULL, 0xffc0000800ULL),
	MSR_CASE(MSR_IA32_MCG_STATUS, 0x1, 0x0),
	MSR_CASE(MSR_IA32_MISC_ENABLE, 0x1801, 0x1800),
	MSR_CASE(MSR_IA32_APICBASE,
		 APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		 MSR_IA32_APICBASE_BSP,
		 APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE),
};

TEST_F(msr_vcpu, host_and_guest_views_agree)
{
	unsigned int i;
	uint64_t v;

	for (i = 0; i < ARRAY_SIZE(agreeing_msrs); i++) {
		const struct msr_case *c = &agreeing_msrs[i];

		EXPECT_EQ(1, __vcpu_set_msr(self->vcpu, c->index, c->host_val))
			TH_LOG("KVM_SET_MSRS %s", c->name);
		EXPECT_EQ(GUEST_NO_EXCEPTION,
			  guest_op_rdmsr(self->vcpu, c->index, &v))
			TH_LOG("RDMSR %s", c->name);
		EXPECT_EQ(c->host_val, v) TH_LOG("guest's view of %s", c->name);
		EXPECT_EQ(GUEST_NO_EXCEPTION,
			  guest_op_wrmsr(self->vcpu, c->index, c->guest_val))
			TH_LOG("WRMSR %s", c->name);
		EXPECT_EQ(1, __vcpu_get_msr(self->vcpu, c->index, &v));
		EXPECT_EQ(c->guest_val, v) TH_LOG("host's view of %s", c->name);
	}
}

/* EFER: the guest runs in long mode; SCE and NXE are its to flip. */
TEST_F(msr_vcpu, efer_views_agree)
{
	uint64_t lm = EFER_LME | EFER_LMA, v;
	struct kvm_sregs s;

	vcpu_set_msr(self->vcpu, MSR_EFER, lm | EFER_NXE);
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_EFER, &v));
	EXPECT_EQ(lm | EFER_NXE, v);
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_wrmsr(self->vcpu, MSR_EFER, lm | EFER_SCE));
	EXPECT_EQ(lm | EFER_SCE, vcpu_get_msr(self->vcpu, MSR_EFER));
	vcpu_sregs_get(self->vcpu, &s);
	EXPECT_EQ(lm | EFER_SCE, s.efer);
}

/* IA32_TSC: the guest reads what the host set, plus the time since. */
TEST_F(msr_vcpu, tsc_set_by_host)
{
	const uint64_t base = 1ULL << 40;
	uint64_t v;

	vcpu_set_msr(self->vcpu, MSR_IA32_TSC, base);
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_IA32_TSC, &v));
	EXPECT_GE(v, base);
	EXPECT_LT(v, base + (1ULL << 38));
	EXPECT_GE(vcpu_get_msr(self->vcpu, MSR_IA32_TSC), v);
}

/* Read-only, with 8 variable ranges, fixed ranges and WC (SDM 12.11.1). */
TEST_F(msr_vcpu, mtrrcap)
{
	uint64_t v;

	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_MTRRcap, &v));
	EXPECT_EQ(0x508, v);
	EXPECT_EQ(0x508, vcpu_get_msr(self->vcpu, MSR_MTRRcap));
	EXPECT_EQ(GP_VECTOR, guest_op_wrmsr(self->vcpu, MSR_MTRRcap, 0x508));
}

TEST_F(msr_vcpu, reset_values)
{
	uint64_t v;

	/* PAT's power-up value (SDM Vol. 3A 13.12.4). */
	EXPECT_EQ(PAT_RESET_VALUE, vcpu_get_msr(self->vcpu, MSR_IA32_CR_PAT));
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_IA32_CR_PAT, &v));
	EXPECT_EQ(PAT_RESET_VALUE, v);
	/* KVM's MISC_ENABLE: PEBS and BTS unavailable. */
	EXPECT_EQ(0x1800, vcpu_get_msr(self->vcpu, MSR_IA32_MISC_ENABLE));
	EXPECT_EQ(0, vcpu_get_msr(self->vcpu, MSR_IA32_TSC_ADJUST));
	EXPECT_EQ(0, vcpu_get_msr(self->vcpu, MSR_MTRRdefType));
}

/*
 * Values a guest write gets #GP for from KVM; the MSR keeps its value.
 * Not here: non-canonical LSTAR, CSTAR, FS/GS/KERNEL_GS_BASE.  KVM lets
 * the guest access those directly (no intercept), so the check is the
 * CPU's, and the emulated SVM host's CPU (QEMU TCG) does not make it: the
 * reference accepts them there.  KVM_SET_MSRS, which is KVM's, refuses
 * them (host_set_noncanonical_refused).
 */
static const struct msr_case bad_writes[] = {
	/* PAT entries of type 2 and 3 are reserved, so are bits 3-7. */
	MSR_CASE(MSR_IA32_CR_PAT, 0, 0x0007040600070402ULL),
	MSR_CASE(MSR_IA32_CR_PAT, 0, 0x0007040600070403ULL),
	MSR_CASE(MSR_IA32_CR_PAT, 0, 0x0007040600070416ULL),
	/* MTRRdefType: bits 8, 9, 12+ reserved; type 2 reserved. */
	MSR_CASE(MSR_MTRRdefType, 0, 0x1c06),
	MSR_CASE(MSR_MTRRdefType, 0, 0xd06),
	MSR_CASE(MSR_MTRRdefType, 0, 0xc02),
	MSR_CASE(MSR_MTRRfix64K_00000, 0, 0x0606060606060603ULL),
	MSR_CASE(MSR_MTRRphysBase(0), 0, 0x80000003ULL),
	MSR_CASE(MSR_MTRRphysBase(0), 0, 0x80000106ULL),
	/* Physical-address bits above any MAXPHYADDR. */
	MSR_CASE(MSR_MTRRphysMask(0), 0, 0xfff0000000000800ULL),
	/* EFER: reserved bit 1; clearing LME while paging (SDM 9.8.5.4). */
	MSR_CASE(MSR_EFER, 0, EFER_LME | EFER_LMA | 2),
	MSR_CASE(MSR_EFER, 0, EFER_LMA),
	/* APIC base: reserved bits 0-7, x2APIC without xAPIC. */
	MSR_CASE(MSR_IA32_APICBASE, 0,
		 APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE | 1),
	MSR_CASE(MSR_IA32_APICBASE, 0,
		 APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_EXTD),
};

TEST_F(msr_vcpu, guest_gp_on_illegal_values)
{
	unsigned int i;
	uint64_t before, v;

	for (i = 0; i < ARRAY_SIZE(bad_writes); i++) {
		const struct msr_case *c = &bad_writes[i];

		before = vcpu_get_msr(self->vcpu, c->index);
		EXPECT_EQ(GP_VECTOR,
			  guest_op_wrmsr(self->vcpu, c->index, c->guest_val))
			TH_LOG("WRMSR %s, 0x%lx", c->name, c->guest_val);
		EXPECT_EQ(GUEST_NO_EXCEPTION,
			  guest_op_rdmsr(self->vcpu, c->index, &v));
		EXPECT_EQ(before, v) TH_LOG("%s changed by a faulting WRMSR", c->name);
	}
}

/* The canonical checks apply to KVM_SET_MSRS as well. */
TEST_F(msr_vcpu, host_set_noncanonical_refused)
{
	vcpu_set_msr(self->vcpu, MSR_LSTAR, 0x1000);
	EXPECT_EQ(0, __vcpu_set_msr(self->vcpu, MSR_LSTAR, NONCANONICAL));
	EXPECT_EQ(0, __vcpu_set_msr(self->vcpu, MSR_KERNEL_GS_BASE, NONCANONICAL));
	EXPECT_EQ(0x1000, vcpu_get_msr(self->vcpu, MSR_LSTAR));
	EXPECT_EQ(0, __vcpu_set_msr(self->vcpu, MSR_IA32_CR_PAT, 0x02));
}

TEST_F(msr_vcpu, unknown_msr_gp)
{
	uint64_t v;

	EXPECT_EQ(GP_VECTOR, guest_op_rdmsr(self->vcpu, MSR_UNKNOWN, &v));
	EXPECT_EQ(GP_VECTOR, guest_op_wrmsr(self->vcpu, MSR_UNKNOWN, 0));
	EXPECT_EQ(GP_VECTOR, guest_op_rdmsr(self->vcpu, 0x00000ff0, &v));
	/* And from the host: refused, nothing processed. */
	EXPECT_EQ(0, __vcpu_get_msr(self->vcpu, MSR_UNKNOWN, &v));
	EXPECT_EQ(0, __vcpu_set_msr(self->vcpu, MSR_UNKNOWN, 1));
}

/*
 * TSC_AUX (with RDTSCP in CPUID): bits 63:32 are reserved on Intel (#GP);
 * AMD CPUs ignore them, and KVM follows the guest's vendor.
 */
TEST_F(msr_vcpu, tsc_aux)
{
	bool intel = host_vendor() == VENDOR_INTEL;
	uint64_t v;

	if (!kvm_cpu_has(X86_FEATURE_RDTSCP))
		TEST_SKIP(return, "no RDTSCP in KVM_GET_SUPPORTED_CPUID");
	vcpu_set_msr(self->vcpu, MSR_TSC_AUX, 0x1234);
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_rdmsr(self->vcpu, MSR_TSC_AUX, &v));
	EXPECT_EQ(0x1234, v);
	EXPECT_EQ(GUEST_NO_EXCEPTION, guest_op_wrmsr(self->vcpu, MSR_TSC_AUX, 0x42));
	EXPECT_EQ(0x42, vcpu_get_msr(self->vcpu, MSR_TSC_AUX));
	if (intel) {
		EXPECT_EQ(GP_VECTOR,
			  guest_op_wrmsr(self->vcpu, MSR_TSC_AUX, 1ULL << 32 | 7));
		EXPECT_EQ(0x42, vcpu_get_msr(self->vcpu, MSR_TSC_AUX));
	} else {
		EXPECT_EQ(GUEST_NO_EXCEPTION,
			  guest_op_wrmsr(self->vcpu, MSR_TSC_AUX, 1ULL << 32 | 7));
		EXPECT_EQ(7, vcpu_get_msr(self->vcpu, MSR_TSC_AUX));
	}
}

/* TSC_AUX without RDTSCP (nor RDPID) in the guest's CPUID: #GP. */
TEST(tsc_aux_needs_cpuid)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_op_guest(&vcpu);
	struct kvm_cpuid2 *c = kvm_cpuid_dup(kvm_get_supported_cpuid(), 0);
	uint64_t v;

	kvm_cpuid_clear(c, X86_FEATURE_RDTSCP);
	kvm_cpuid_clear(c, X86_FEATURE_RDPID);
	vcpu_set_cpuid(vcpu, c);
	EXPECT_EQ(GP_VECTOR, guest_op_rdmsr(vcpu, MSR_TSC_AUX, &v));
	EXPECT_EQ(GP_VECTOR, guest_op_wrmsr(vcpu, MSR_TSC_AUX, 1));
	free(c);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
