// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID: what KVM_GET_SUPPORTED_CPUID offers and its -E2BIG protocol, the
 * KVM paravirt signature leaves (0x40000000 "KVMKVMKVM\0\0\0", 0x40000001),
 * the KVM_SET_CPUID2 / KVM_GET_CPUID2 round trip and their size checks,
 * and guest CPUID answered from the vCPU's table: values as set, a leaf
 * missing from the table, subleaf indexing (KVM_CPUID_FLAG_SIGNIFCANT_INDEX)
 * and out-of-range leaves (SDM Vol. 2A CPUID: an Intel CPU answers a leaf
 * above the maximum of its class with the highest basic leaf; AMD CPUs
 * answer zeros, which KVM follows by the guest table's vendor).
 */
#include <stdlib.h>
#include <unistd.h>

#include "kvmx_test.h"

#define KVM_MAX_CPUID_ENTRIES	256	/* KVM's limit for SET/GET_SUPPORTED */
#define KVM_CPUID_SIGNATURE	0x40000000
#define KVM_CPUID_FEATURES	0x40000001
#define KVM_FEATURE_CLOCKSOURCE	0
#define KVM_FEATURE_CLOCKSOURCE2 3

TEST(supported_cpuid_e2big_leaves_nent)
{
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(KVM_MAX_CPUID_ENTRIES);
	int fd = kvm_open();
	uint32_t n;

	ASSERT_EQ(0, ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	n = c->nent;
	ASSERT_GT(n, 2);
	/* Short buffers: E2BIG, and nent is not written back. */
	c->nent = 0;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(0, c->nent);
	c->nent = n - 1;
	EXPECT_ERRNO(E2BIG, ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(n - 1, c->nent);
	/* Exactly enough works and reports the count. */
	c->nent = n;
	EXPECT_EQ(0, ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(n, c->nent);
	close(fd);
	free(c);
}

/* A count above KVM's maximum is clamped to it, not refused. */
TEST(supported_cpuid_large_nent_clamped)
{
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(4 * KVM_MAX_CPUID_ENTRIES);
	int fd = kvm_open();

	EXPECT_EQ(0, ioctl(fd, KVM_GET_SUPPORTED_CPUID, c));
	EXPECT_EQ(kvm_get_supported_cpuid()->nent, c->nent);
	close(fd);
	free(c);
}

TEST(supported_cpuid_basic_shape)
{
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid();
	struct kvm_cpuid_entry2 *e0 = kvm_cpuid_find(c, 0, 0);
	struct kvm_cpuid_entry2 *x0 = kvm_cpuid_find(c, 0x80000000, 0);
	struct kvm_cpuid_entry2 *e;
	uint32_t a, b, cc, d;

	ASSERT_TRUE(e0 != NULL);
	EXPECT_EQ(0, c->entries[0].function);
	EXPECT_GE(e0->eax, 0xd);
	/* The vendor is the host's. */
	host_cpuid(0, 0, &a, &b, &cc, &d);
	EXPECT_EQ(b, e0->ebx);
	EXPECT_EQ(cc, e0->ecx);
	EXPECT_EQ(d, e0->edx);
	ASSERT_TRUE(x0 != NULL);
	EXPECT_GE(x0->eax, 0x80000008);
	/*
	 * A 64-bit host offers long mode.  (The "hypervisor" bit is the
	 * VMM's to set: KVM 6.12 does not offer it.)
	 */
	EXPECT_TRUE(kvm_cpu_has(X86_FEATURE_LM));
	EXPECT_TRUE(kvm_cpu_has(X86_FEATURE_MSR));
	EXPECT_TRUE(kvm_cpu_has(X86_FEATURE_TSC));
	/* Leaves 7 and 0xd depend on ECX: their entries say so. */
	e = kvm_cpuid_find(c, 7, 0);
	ASSERT_TRUE(e != NULL);
	EXPECT_TRUE(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	/*
	 * Subleaf 1 of 0xd comes with XSAVE features only: a host kernel
	 * without XSAVE (Bochs' model turns it off at boot) gets subleaf 0,
	 * all zeros but the legacy area's size.
	 */
	e = kvm_cpuid_find(c, 0xd, 0);
	if (e && e->eax) {
		e = kvm_cpuid_find(c, 0xd, 1);
		ASSERT_TRUE(e != NULL);
		EXPECT_EQ(1, e->index);
		EXPECT_TRUE(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	}
	/* Physical address bits: no more than the host has. */
	e = kvm_cpuid_find(c, 0x80000008, 0);
	ASSERT_TRUE(e != NULL);
	host_cpuid(0x80000008, 0, &a, &b, &cc, &d);
	EXPECT_LE(e->eax & 0xff, a & 0xff);
	EXPECT_GE(e->eax & 0xff, 36);
}

TEST(kvm_signature_leaves)
{
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid();
	struct kvm_cpuid_entry2 *sig = kvm_cpuid_find(c, KVM_CPUID_SIGNATURE, 0);
	struct kvm_cpuid_entry2 *feat = kvm_cpuid_find(c, KVM_CPUID_FEATURES, 0);
	char name[13];

	ASSERT_TRUE(sig != NULL);
	memcpy(name, &sig->ebx, 4);
	memcpy(name + 4, &sig->ecx, 4);
	memcpy(name + 8, &sig->edx, 4);
	name[12] = '\0';
	EXPECT_EQ(0, memcmp(name, "KVMKVMKVM\0\0\0", 12)) TH_LOG("signature '%s'", name);
	EXPECT_EQ(KVM_CPUID_FEATURES, sig->eax);
	ASSERT_TRUE(feat != NULL);
	if (testing_kvmx()) {
		/*
		 * kvmx offers a paravirt feature only once it works; none
		 * does yet (kvmclock and friends come with the VMM issue).
		 */
		EXPECT_EQ(0, feat->eax);
		EXPECT_EQ(0, feat->edx);
		return;
	}
	EXPECT_TRUE(feat->eax & (1U << KVM_FEATURE_CLOCKSOURCE));
	EXPECT_TRUE(feat->eax & (1U << KVM_FEATURE_CLOCKSOURCE2));
}

/* A small table of our own: leaves KVM has no reason to adjust. */
static struct kvm_cpuid2 *own_table(void)
{
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(6);
	struct kvm_cpuid_entry2 *e = c->entries;

	e[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 4,
		.ebx = 0x756e6547, .edx = 0x49656e69, .ecx = 0x6c65746e };
	e[1] = (struct kvm_cpuid_entry2){ .function = 2, .eax = 0x11111111,
		.ebx = 0x22222222, .ecx = 0x33333333, .edx = 0x44444444 };
	e[2] = (struct kvm_cpuid_entry2){ .function = 4, .index = 0,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0x400 };
	e[3] = (struct kvm_cpuid_entry2){ .function = 4, .index = 1,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0x401 };
	e[4] = (struct kvm_cpuid_entry2){ .function = 4, .index = 2,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0x402,
		.ebx = 0xb2, .ecx = 0xc2, .edx = 0xd2 };
	e[5] = (struct kvm_cpuid_entry2){ .function = 0x80000000,
		.eax = 0x80000000 };
	return c;
}

static bool same_entry(const struct kvm_cpuid_entry2 *a,
		       const struct kvm_cpuid_entry2 *b)
{
	return a->function == b->function && a->index == b->index &&
	       a->flags == b->flags && a->eax == b->eax && a->ebx == b->ebx &&
	       a->ecx == b->ecx && a->edx == b->edx;
}

TEST(set_get_cpuid2_round_trip)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	struct kvm_cpuid2 *mine = own_table(), *got;
	uint32_t i;

	vcpu_set_cpuid(vcpu, mine);
	got = vcpu_get_cpuid2(vcpu);
	ASSERT_EQ(mine->nent, got->nent);
	for (i = 0; i < mine->nent; i++)
		EXPECT_TRUE(same_entry(&mine->entries[i], &got->entries[i]))
			TH_LOG("entry %u: leaf 0x%x.%u", i,
			       got->entries[i].function, got->entries[i].index);
	free(got);
	free(mine);
	kvm_vm_free(vm);
}

TEST(get_cpuid2_e2big)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	struct kvm_cpuid2 *mine = own_table();
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(mine->nent);

	/*
	 * No table yet: success (6.12 reports nent = 0; Debian's 6.1 leaves
	 * nent as it was on success, so only the error cases check nent).
	 */
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, c));
	vcpu_set_cpuid(vcpu, mine);
	c->nent = mine->nent - 1;
	EXPECT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_GET_CPUID2, c));
	EXPECT_EQ(mine->nent - 1, c->nent);
	c->nent = 0;
	EXPECT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_GET_CPUID2, c));
	EXPECT_EQ(0, c->nent);
	c->nent = mine->nent;
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_GET_CPUID2, c));
	EXPECT_EQ(mine->nent, c->nent);
	free(c);
	free(mine);
	kvm_vm_free(vm);
}

TEST(set_cpuid2_too_many_entries)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(KVM_MAX_CPUID_ENTRIES + 1);
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		c->entries[i].function = 0x40000100 + i;
	EXPECT_ERRNO(E2BIG, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	free(c);
	kvm_vm_free(vm);
}

/* ---- guest CPUID ------------------------------------------------------- */

static volatile uint32_t query_fn, query_idx;

/* Answers the host's queries forever: one CPUID per ucall. */
static void guest_cpuid_server(void)
{
	for (;;) {
		uint32_t a, b, c, d;

		guest_cpuid(query_fn, query_idx, &a, &b, &c, &d);
		ucall(UCALL_SYNC, 4, (uint64_t)a, (uint64_t)b, (uint64_t)c,
		      (uint64_t)d);
	}
}

static void guest_query(struct kvm_vcpu *vcpu, uint32_t fn, uint32_t idx,
			uint32_t out[4])
{
	struct ucall uc;
	int i;

	query_fn = fn;
	query_idx = idx;
	sync_global_to_guest(vcpu->vm, query_fn);
	sync_global_to_guest(vcpu->vm, query_idx);
	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC, "no SYNC");
	for (i = 0; i < 4; i++)
		out[i] = uc.args[i];
}

#define EXPECT_REGS(r, a, b, c, d) do {					\
	EXPECT_EQ((uint32_t)(a), r[0]);					\
	EXPECT_EQ((uint32_t)(b), r[1]);					\
	EXPECT_EQ((uint32_t)(c), r[2]);					\
	EXPECT_EQ((uint32_t)(d), r[3]);					\
} while (0)

/* The guest sees the supported table as set, signature leaf included. */
TEST(guest_cpuid_from_supported_table)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_cpuid_server);
	struct kvm_cpuid2 *c = kvm_get_supported_cpuid();
	struct kvm_cpuid_entry2 *e;
	uint32_t r[4];

	e = kvm_cpuid_find(c, 0, 0);
	guest_query(vcpu, 0, 0, r);
	EXPECT_REGS(r, e->eax, e->ebx, e->ecx, e->edx);
	e = kvm_cpuid_find(c, KVM_CPUID_SIGNATURE, 0);
	guest_query(vcpu, KVM_CPUID_SIGNATURE, 0, r);
	EXPECT_REGS(r, e->eax, e->ebx, e->ecx, e->edx);
	e = kvm_cpuid_find(c, 0x80000008, 0);
	guest_query(vcpu, 0x80000008, 0, r);
	EXPECT_REGS(r, e->eax, e->ebx, e->ecx, e->edx);
	/* Long mode in 0x80000001. */
	guest_query(vcpu, 0x80000001, 0, r);
	EXPECT_TRUE(r[3] & (1U << 29));
	kvm_vm_free(vm);
}

/* Our own values, leaves absent from the table, subleaves. */
static struct kvm_vm *guest_with_own_leaves(struct kvm_vcpu **vcpu,
					    bool intel_vendor)
{
	struct kvm_vm *vm = vm_create_guest(vcpu, guest_cpuid_server);
	struct kvm_cpuid2 *c = kvm_cpuid_dup(kvm_get_supported_cpuid(), 4);
	struct kvm_cpuid_entry2 *e;

	/* Leaf 4 replaced by three subleaves of our own. */
	kvm_cpuid_remove(c, 4);
	kvm_cpuid_remove(c, 0x80000003);
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 4,
		.index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.eax = 0xa0, .ebx = 0xb0, .ecx = 0xc0, .edx = 0xd0 };
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){ .function = 4,
		.index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.eax = 0xa1, .ebx = 0xb1, .ecx = 0xc1, .edx = 0xd1 };
	/* The brand string's first part: not indexed. */
	e = kvm_cpuid_find(c, 0x80000002, 0);
	TEST_ASSERT(e, "no leaf 0x80000002");
	*e = (struct kvm_cpuid_entry2){ .function = 0x80000002,
		.eax = 0x786d766b, .ebx = 0x6c657320, .ecx = 0x73657466,
		.edx = 0x00000074 };
	e = kvm_cpuid_find(c, 0, 0);
	if (intel_vendor) {
		e->ebx = 0x756e6547;	/* GenuineIntel */
		e->edx = 0x49656e69;
		e->ecx = 0x6c65746e;
	} else {
		e->ebx = 0x68747541;	/* AuthenticAMD */
		e->edx = 0x69746e65;
		e->ecx = 0x444d4163;
	}
	vcpu_set_cpuid(*vcpu, c);
	free(c);
	return vm;
}

TEST(guest_cpuid_values_and_subleaves)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = guest_with_own_leaves(&vcpu, host_vendor() == VENDOR_INTEL);
	uint32_t r[4];

	guest_query(vcpu, 0x80000002, 0, r);
	EXPECT_REGS(r, 0x786d766b, 0x6c657320, 0x73657466, 0x74);
	/* Not indexed: ECX does not matter. */
	guest_query(vcpu, 0x80000002, 7, r);
	EXPECT_REGS(r, 0x786d766b, 0x6c657320, 0x73657466, 0x74);
	/* Indexed: each subleaf its own, a missing one reads as zeros. */
	guest_query(vcpu, 4, 0, r);
	EXPECT_REGS(r, 0xa0, 0xb0, 0xc0, 0xd0);
	guest_query(vcpu, 4, 1, r);
	EXPECT_REGS(r, 0xa1, 0xb1, 0xc1, 0xd1);
	guest_query(vcpu, 4, 5, r);
	EXPECT_REGS(r, 0, 0, 0, 0);
	/* A leaf within range but absent from the table: zeros. */
	guest_query(vcpu, 0x80000003, 0, r);
	EXPECT_REGS(r, 0, 0, 0, 0);
	kvm_vm_free(vm);
}

/*
 * Past the maximum leaf of its class: with a GenuineIntel table, the
 * entry of the highest basic leaf (SDM Vol. 2A CPUID, "If a value entered
 * for CPUID.EAX is higher than the maximum input value for basic or
 * extended function ... the data for the highest basic information leaf
 * is returned"), at the subleaf asked for; with an AuthenticAMD table,
 * zeros.  The table's maximum basic leaf is set to 4, our own leaf (the
 * usual maximum, 0xd, has values KVM adjusts at run time).
 */
static void check_out_of_range(struct __test_metadata *_metadata, bool intel)
{
	uint32_t max_ext = kvm_cpuid_find(kvm_get_supported_cpuid(),
					  0x80000000, 0)->eax;
	struct kvm_cpuid2 *c;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	uint32_t r[4];

	vm = guest_with_own_leaves(&vcpu, intel);
	c = vcpu_get_cpuid2(vcpu);
	kvm_cpuid_find(c, 0, 0)->eax = 4;
	vcpu_set_cpuid(vcpu, c);
	free(c);

	guest_query(vcpu, max_ext + 1, 1, r);
	if (intel)
		EXPECT_REGS(r, 0xa1, 0xb1, 0xc1, 0xd1);
	else
		EXPECT_REGS(r, 0, 0, 0, 0);
	guest_query(vcpu, 0x1000, 0, r);
	if (intel)
		EXPECT_REGS(r, 0xa0, 0xb0, 0xc0, 0xd0);
	else
		EXPECT_REGS(r, 0, 0, 0, 0);
	kvm_vm_free(vm);
}

TEST(guest_cpuid_out_of_range_intel)
{
	check_out_of_range(_metadata, true);
}

TEST(guest_cpuid_out_of_range_amd)
{
	check_out_of_range(_metadata, false);
}

/*
 * Once the vCPU has run, KVM_SET_CPUID2 accepts only the table it already
 * has (KVM cannot change what the guest may have seen): EINVAL otherwise.
 */
TEST(set_cpuid2_after_run)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_cpuid_server);
	struct kvm_cpuid2 *c = vcpu_get_cpuid2(vcpu);
	struct kvm_cpuid_entry2 *e;
	uint32_t r[4];

	guest_query(vcpu, 0, 0, r);
	EXPECT_EQ(0, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	e = kvm_cpuid_find(c, 0x80000002, 0);
	ASSERT_TRUE(e != NULL);
	e->eax ^= 0x01010101;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_CPUID2, c));
	/* And the guest still sees the old value. */
	guest_query(vcpu, 0x80000002, 0, r);
	EXPECT_EQ(e->eax ^ 0x01010101, r[0]);
	free(c);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
