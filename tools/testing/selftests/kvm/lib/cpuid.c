// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID tables as KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2 and
 * KVM_GET_CPUID2 exchange them: allocation, lookup by leaf/subleaf,
 * editing, and feature bits.
 */
#include <stdlib.h>

#include "kvm_util.h"
#include "x86.h"

struct kvm_cpuid2 *kvm_cpuid_alloc(uint32_t nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	TEST_ASSERT(c, "out of memory");
	c->nent = nent;
	return c;
}

struct kvm_cpuid2 *kvm_cpuid_dup(const struct kvm_cpuid2 *c, uint32_t extra)
{
	struct kvm_cpuid2 *d = kvm_cpuid_alloc(c->nent + extra);

	memcpy(d->entries, c->entries, c->nent * sizeof(c->entries[0]));
	d->nent = c->nent;
	return d;
}

struct kvm_cpuid_entry2 *kvm_cpuid_find(struct kvm_cpuid2 *c, uint32_t fn,
					uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != fn)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == idx)
			return e;
	}
	return NULL;
}

uint32_t kvm_cpuid_remove(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t i, n = 0;

	for (i = 0; i < c->nent; i++) {
		if (c->entries[i].function == fn)
			continue;
		c->entries[n++] = c->entries[i];
	}
	i = c->nent - n;
	c->nent = n;
	return i;
}

static uint32_t *feature_reg(struct kvm_cpuid_entry2 *e, struct x86_feature f)
{
	switch (f.reg) {
	case CPUID_EAX: return &e->eax;
	case CPUID_EBX: return &e->ebx;
	case CPUID_ECX: return &e->ecx;
	default: return &e->edx;
	}
}

bool kvm_cpuid_table_has(struct kvm_cpuid2 *c, struct x86_feature f)
{
	struct kvm_cpuid_entry2 *e = kvm_cpuid_find(c, f.function, f.index);

	return e && (*feature_reg(e, f) >> f.bit & 1);
}

bool kvm_cpu_has(struct x86_feature f)
{
	return kvm_cpuid_table_has(kvm_get_supported_cpuid(), f);
}

void kvm_cpuid_clear(struct kvm_cpuid2 *c, struct x86_feature f)
{
	struct kvm_cpuid_entry2 *e = kvm_cpuid_find(c, f.function, f.index);

	if (e)
		*feature_reg(e, f) &= ~(1U << f.bit);
}

void vcpu_set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid2 *c)
{
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, c);
}

/*
 * KVM 6.12 writes the number of entries back into nent; Debian's 6.1 does
 * not (nent keeps the caller's value).  The entries it did not write keep
 * a filler no real entry has, which gives the count on both.
 */
struct kvm_cpuid2 *vcpu_get_cpuid2(struct kvm_vcpu *vcpu)
{
	const uint32_t max = 256;	/* KVM's maximum */
	struct kvm_cpuid2 *c = kvm_cpuid_alloc(max);
	struct kvm_cpuid_entry2 filler;
	uint32_t n;

	memset(&filler, 0xff, sizeof(filler));
	for (n = 0; n < max; n++)
		c->entries[n] = filler;
	vcpu_ioctl(vcpu, KVM_GET_CPUID2, c);
	if (c->nent == max) {
		for (n = 0; n < max; n++)
			if (!memcmp(&c->entries[n], &filler, sizeof(filler)))
				break;
		c->nent = n;
	}
	return c;
}
