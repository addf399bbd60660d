// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmx's ABI headers (include/uapi/linux/kvm.h, include/uapi/asm/kvm.h)
 * against the system's <linux/kvm.h>: struct sizes, member offsets, ioctl
 * numbers and constants, for every name in include/abi_list.h.  No
 * /dev/kvm needed.  A mismatch means a VMM built against the distro
 * headers would not work on kvmx (or the other way round).
 */
#include "kvmx_test.h"
#include "abi_table.h"

#ifndef KVMX_UAPI_LINUX_KVM_H
#error "abi_drift must be compiled against kvmx's include/uapi"
#endif

static const struct abi_entry abi_our_values[] = {
#include "abi_entries.h"
};

static const char *const kind_name[] = {
	[ABI_KIND_SIZE] = "size",
	[ABI_KIND_OFFSET] = "offset",
	[ABI_KIND_IOCTL] = "ioctl number",
	[ABI_KIND_CONST] = "constant",
};

static void compare(struct __test_metadata *_metadata, enum abi_kind kind)
{
	unsigned int i, n = 0, bad = 0;

	ASSERT_EQ(ARRAY_SIZE(abi_our_values), abi_sys_count);
	for (i = 0; i < abi_sys_count; i++) {
		const struct abi_entry *o = &abi_our_values[i];
		const struct abi_entry *s = &abi_sys_values[i];

		ASSERT_STREQ(s->name, o->name);
		if (o->kind != kind)
			continue;
		n++;
		if (o->value != s->value) {
			TH_LOG("%s %s: kvmx 0x%llx, system 0x%llx",
			       kind_name[kind], o->name, o->value, s->value);
			bad++;
		}
	}
	TH_LOG("%u %ss compared, %u differ", n, kind_name[kind], bad);
	EXPECT_GT(n, 0);
	EXPECT_EQ(0, bad);
}

TEST(struct_sizes)
{
	compare(_metadata, ABI_KIND_SIZE);
}

TEST(struct_offsets)
{
	compare(_metadata, ABI_KIND_OFFSET);
}

TEST(ioctl_numbers)
{
	compare(_metadata, ABI_KIND_IOCTL);
}

TEST(constants)
{
	compare(_metadata, ABI_KIND_CONST);
}

/* The fixed points everything else hangs on. */
TEST(key_layout_facts)
{
	EXPECT_EQ(12, KVM_API_VERSION);
	EXPECT_EQ(256, sizeof(((struct kvm_run *)0)->padding));
	EXPECT_EQ(2048, sizeof(((struct kvm_run *)0)->s));
	EXPECT_EQ(32, offsetof(struct kvm_run, io));
	EXPECT_EQ(288, offsetof(struct kvm_run, kvm_valid_regs));
	EXPECT_EQ(304, offsetof(struct kvm_run, s));
	EXPECT_EQ(2352, sizeof(struct kvm_run));
	EXPECT_EQ(144, sizeof(struct kvm_regs));
	EXPECT_EQ(24, sizeof(struct kvm_segment));
	EXPECT_EQ(312, sizeof(struct kvm_sregs));
	EXPECT_EQ(32, sizeof(struct kvm_userspace_memory_region));
	EXPECT_EQ(40, sizeof(struct kvm_cpuid_entry2));
	EXPECT_EQ(64, sizeof(struct kvm_vcpu_events));
	EXPECT_EQ(0xae, KVMIO);
}

TEST_HARNESS_MAIN
