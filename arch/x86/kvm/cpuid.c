// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's CPUID table, as the VMM sets it with KVM_SET_CPUID2 and reads
 * it back with KVM_GET_CPUID2.  So far the table decides which optional
 * CR4 and EFER bits KVM_SET_SREGS accepts and the RDX value at reset; the
 * CPUID exit itself and KVM_GET_SUPPORTED_CPUID come with the exit set.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/processor.h>
#include <asm/processor-flags.h>
#include <kvmx/core_private.h>
#include <kvmx/irq.h>

const struct kvm_cpuid_entry2 *kvmx_find_cpuid(struct kvmx_vcpu *vcpu,
					       u32 function, u32 index)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vcpu->cpuid[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

bool kvmx_guest_has(struct kvmx_vcpu *vcpu, u32 function, int reg, int bit)
{
	const struct kvm_cpuid_entry2 *e = kvmx_find_cpuid(vcpu, function, 0);
	u32 val;

	if (!e)
		return false;
	switch (reg) {
	case KVMX_CPUID_EAX:
		val = e->eax;
		break;
	case KVMX_CPUID_EBX:
		val = e->ebx;
		break;
	case KVMX_CPUID_ECX:
		val = e->ecx;
		break;
	default:
		val = e->edx;
		break;
	}
	return val & BIT(bit);
}

/*
 * The guest's MAXPHYADDR: CPUID 0x80000008 EAX[7:0], or 36 if the table
 * has no such leaf (what the SDM says then: Vol. 3A 4.1.4).
 */
unsigned int kvmx_guest_maxphyaddr(struct kvmx_vcpu *vcpu)
{
	return vcpu->cpuid_maxphyaddr ?: 36;
}

/*
 * What every guest page walk needs from the table, looked up once here
 * rather than searched for on each walk.  A zeroed vCPU (no table yet)
 * already holds the answers for an empty table.
 */
static void kvmx_cache_cpuid(struct kvmx_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvmx_find_cpuid(vcpu, 0x80000008,
							   0);

	vcpu->cpuid_maxphyaddr = e ? e->eax & 0xff : 0;
	/* as in-tree: 1 GiB pages only if 0x80000001 EDX[26] offers them */
	vcpu->cpuid_no_gbpages = vcpu->cpuid_nent &&
				 !kvmx_guest_has(vcpu, 0x80000001,
						 KVMX_CPUID_EDX, 26);
}

long kvmx_set_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvm_cpuid2 __user *ucpuid = argp;
	struct kvm_cpuid_entry2 *entries = NULL;
	struct kvm_cpuid2 hdr;
	size_t size;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVMX_MAX_CPUID_ENTRIES)
		return -E2BIG;
	size = hdr.nent * sizeof(*entries);
	if (hdr.nent) {
		entries = vmemdup_user(ucpuid->entries, size);
		if (IS_ERR(entries))
			return PTR_ERR(entries);
	}

	/*
	 * As in-tree since 5.16: once the vCPU has run, its CPUID may only be
	 * "set" to exactly what it already is (VMMs do that on hotplug).
	 */
	if (vcpu->has_run) {
		bool same = hdr.nent == vcpu->cpuid_nent &&
			    (!size || !memcmp(entries, vcpu->cpuid, size));

		kvfree(entries);
		return same ? 0 : -EINVAL;
	}

	kvfree(vcpu->cpuid);
	vcpu->cpuid = entries;
	vcpu->cpuid_nent = hdr.nent;
	kvmx_cache_cpuid(vcpu);
	/* x2APIC, TSC-deadline and MAXPHYADDR come from CPUID */
	kvmx_vcpu_apic_config_changed(vcpu);
	return 0;
}

long kvmx_get_cpuid2(struct kvmx_vcpu *vcpu, void __user *argp)
{
	struct kvm_cpuid2 __user *ucpuid = argp;
	struct kvm_cpuid2 hdr;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	/* in-tree leaves nent untouched when the buffer is too small */
	if (hdr.nent < vcpu->cpuid_nent)
		return -E2BIG;
	if (vcpu->cpuid_nent &&
	    copy_to_user(ucpuid->entries, vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	hdr.nent = vcpu->cpuid_nent;
	if (copy_to_user(ucpuid, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}

/*
 * Bits that follow the guest's state rather than the table, as on
 * hardware: CPUID.1:ECX.OSXSAVE mirrors CR4.OSXSAVE (SDM Vol. 2A, CPUID),
 * and CPUID.(0xD,0):EBX is the save-area size for the XCR0 now enabled.
 */
void kvmx_cpuid_dynamic_bits(struct kvmx_vcpu *vcpu, u32 function, u32 index,
			     u64 *regs)
{
	if (function == 1) {
		regs[KVMX_REG_RCX] &= ~(u64)BIT(27);
		if ((regs[KVMX_REG_RCX] & BIT(26)) &&
		    (kvmx_backend->get_cr(vcpu, 4) & X86_CR4_OSXSAVE))
			regs[KVMX_REG_RCX] |= BIT(27);
	} else if (function == 0xd && index == 0) {
		u32 size = 576, i;

		for (i = 2; i < 64; i++) {
			const struct kvm_cpuid_entry2 *c;

			if (!(vcpu->xcr0 & BIT_ULL(i)))
				continue;
			c = kvmx_find_cpuid(vcpu, 0xd, i);
			if (c)
				size = max(size, c->eax + c->ebx);
		}
		regs[KVMX_REG_RBX] = size;
	}
}

/*
 * KVM_GET_SUPPORTED_CPUID: the host's CPUID, filtered down to what a kvmx
 * guest can really use.  A feature is offered only when its instructions
 * run natively and correctly in the guest, or kvmx emulates what they
 * need (MSRs, XCR0 switching, TSC_AUX).  Not offered yet: the LAPIC and
 * x2APIC (in-kernel LAPIC issue), PKU (PKRU is not switched), XSAVES (no
 * IA32_XSS), AMX, nested VMX/SVM, a PMU.  Bit numbers: SDM Vol. 2A,
 * CPUID; APM Vol. 3, Appendix E.
 */
#define KVMX_CPUID_1_ECX	(BIT(0) /* SSE3 */ | BIT(1) /* PCLMULQDQ */ | \
				 BIT(9) /* SSSE3 */ | BIT(12) /* FMA */ | \
				 BIT(13) /* CX16 */ | \
				 BIT(17) /* PCID */ | BIT(19) /* SSE4.1 */ | \
				 BIT(20) /* SSE4.2 */ | BIT(22) /* MOVBE */ | \
				 BIT(23) /* POPCNT */ | BIT(25) /* AES */ | \
				 BIT(26) /* XSAVE */ | BIT(28) /* AVX */ | \
				 BIT(29) /* F16C */ | BIT(30) /* RDRAND */)
#define KVMX_CPUID_1_ECX_HYPERVISOR BIT(31)
#define KVMX_CPUID_1_EDX	(BIT(0) /* FPU */ | BIT(1) /* VME */ | \
				 BIT(2) /* DE */ | BIT(3) /* PSE */ | \
				 BIT(4) /* TSC */ | BIT(5) /* MSR */ | \
				 BIT(6) /* PAE */ | BIT(7) /* MCE */ | \
				 BIT(8) /* CX8 */ | BIT(11) /* SEP */ | \
				 BIT(12) /* MTRR */ | BIT(13) /* PGE */ | \
				 BIT(14) /* MCA */ | BIT(15) /* CMOV */ | \
				 BIT(16) /* PAT */ | BIT(17) /* PSE36 */ | \
				 BIT(19) /* CLFSH */ | BIT(23) /* MMX */ | \
				 BIT(24) /* FXSR */ | BIT(25) /* SSE */ | \
				 BIT(26) /* SSE2 */)
/* EBX bits 15:8 are the CLFLUSH line size; APIC ids are not the host's */
#define KVMX_CPUID_1_EBX	GENMASK(15, 8)
#define KVMX_CPUID_7_EBX	(BIT(0) /* FSGSBASE */ | BIT(1) /* TSC_ADJUST */ | \
				 BIT(3) /* BMI1 */ | BIT(5) /* AVX2 */ | \
				 BIT(7) /* SMEP */ | BIT(8) /* BMI2 */ | \
				 BIT(9) /* ERMS */ | BIT(10) /* INVPCID */ | \
				 BIT(18) /* RDSEED */ | BIT(19) /* ADX */ | \
				 BIT(20) /* SMAP */ | BIT(23) /* CLFLUSHOPT */ | \
				 BIT(29) /* SHA */)
#define KVMX_CPUID_7_ECX	(BIT(2) /* UMIP */ | BIT(16) /* LA57 */ | \
				 BIT(22) /* RDPID */)
#define KVMX_CPUID_7_EDX	(BIT(26) /* IBRS/IBPB */ | BIT(27) /* STIBP */ | \
				 BIT(31) /* SSBD */)
/* leaf 0xD subleaf 1: XSAVEOPT, XSAVEC, XGETBV with ECX=1 (no XSAVES) */
#define KVMX_CPUID_D1_EAX	(BIT(0) | BIT(1) | BIT(2))
#define KVMX_CPUID_EXT1_ECX	(BIT(0) /* LAHF_LM */ | BIT(5) /* ABM */ | \
				 BIT(6) /* SSE4A */ | BIT(8) /* PREFETCHW */)
#define KVMX_CPUID_EXT1_EDX	(BIT(11) /* SYSCALL */ | BIT(20) /* NX */ | \
				 BIT(26) /* 1G pages */ | BIT(27) /* RDTSCP */ | \
				 BIT(29) /* LM */)
#define KVMX_CPUID_EXT8_EBX	(BIT(12) /* IBPB */ | BIT(14) /* IBRS */ | \
				 BIT(15) /* STIBP */ | BIT(24) /* SSBD */)

/* The hypervisor leaves of the KVM paravirt ABI: signature, no features. */
#define KVMX_CPUID_SIGNATURE	0x40000000
#define KVMX_CPUID_FEATURES	0x40000001

struct kvmx_cpuid_builder {
	struct kvm_cpuid_entry2 *e;
	u32 nent, max;
};

static struct kvm_cpuid_entry2 *kvmx_add_leaf(struct kvmx_cpuid_builder *b,
					      u32 function, u32 index,
					      bool indexed)
{
	struct kvm_cpuid_entry2 *e;

	if (b->nent >= b->max)
		return NULL;
	e = &b->e[b->nent++];
	memset(e, 0, sizeof(*e));
	e->function = function;
	e->index = index;
	if (indexed)
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
	return e;
}

/*
 * Leaf 0xD (SDM Vol. 1 13.2): subleaf 0 names the XCR0 bits kvmx
 * switches and the save-area sizes, subleaf 1 the XSAVE variants, and
 * one subleaf per state component gives its size and offset.
 */
static int kvmx_add_xsave_leaves(struct kvmx_cpuid_builder *b)
{
	u64 xcr0 = kvmx_supported_xcr0();
	struct kvm_cpuid_entry2 *e;
	u32 i, size = 0;

	e = kvmx_add_leaf(b, 0xd, 0, true);
	if (!e)
		return -E2BIG;
	e->eax = (u32)xcr0;
	e->edx = xcr0 >> 32;
	/* a host kernel without XSAVE: the leaf says so, as in-tree */
	if (!xcr0) {
		e->ebx = e->ecx = 576;	/* legacy area + header */
		return 0;
	}
	e = kvmx_add_leaf(b, 0xd, 1, true);
	if (!e)
		return -E2BIG;
	e->eax &= KVMX_CPUID_D1_EAX;
	e->ebx = e->ecx = e->edx = 0;
	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		e = kvmx_add_leaf(b, 0xd, i, true);
		if (!e)
			return -E2BIG;
		size = max(size, e->eax + e->ebx);
		e->edx = 0;
	}
	/* EBX/ECX of subleaf 0: the area for the enabled / all features */
	e = &b->e[b->nent - 1];
	while (e->function != 0xd || e->index != 0)
		e--;
	e->ebx = max_t(u32, size, 576);	/* legacy area + header */
	e->ecx = e->ebx;
	return 0;
}

/*
 * What the host kernel itself uses of a CPUID word: it clears features
 * it turned off (noxsave, or XSAVE disabled at boot as on Bochs' model,
 * where the raw CPUID still lists XSAVE and AVX), and a guest gets
 * nothing the host's context switching does not cover.
 */
static u32 kvmx_host_caps(enum cpuid_leafs word)
{
	return boot_cpu_data.x86_capability[word];
}

static int kvmx_build_supported(struct kvmx_cpuid_builder *b)
{
	u32 max_basic = min_t(u32, cpuid_eax(0), 0xd);
	u32 max_ext = min_t(u32, cpuid_eax(0x80000000), 0x80000008);
	struct kvm_cpuid_entry2 *e;
	u32 f;

	e = kvmx_add_leaf(b, 0, 0, false);
	if (!e)
		return -E2BIG;
	e->eax = max_basic;
	/* leaves 2-6 (caches, monitor, power) are the VMM's to fill */

	e = kvmx_add_leaf(b, 1, 0, false);
	if (!e)
		return -E2BIG;
	e->ebx &= KVMX_CPUID_1_EBX;
	/*
	 * The LAPIC and its x2APIC mode are emulated (arch/x86/kvm/irq/),
	 * whatever the host has, as in-tree reports them; TSC-deadline is
	 * not listed (in-tree neither: KVM_CAP_TSC_DEADLINE_TIMER says it).
	 */
	e->ecx = (e->ecx & KVMX_CPUID_1_ECX & kvmx_host_caps(CPUID_1_ECX)) |
		 KVMX_CPUID_1_ECX_HYPERVISOR | BIT(21) /* x2APIC */;
	e->edx = (e->edx & KVMX_CPUID_1_EDX & kvmx_host_caps(CPUID_1_EDX)) |
		 BIT(9) /* APIC */;

	if (max_basic >= 7) {
		e = kvmx_add_leaf(b, 7, 0, true);
		if (!e)
			return -E2BIG;
		e->eax = 0;	/* no subleaves beyond 0 */
		e->ebx &= KVMX_CPUID_7_EBX & kvmx_host_caps(CPUID_7_0_EBX);
		/* TSC_ADJUST is emulated (msrs.c): offered on any host */
		e->ebx |= BIT(1);
		/*
		 * 5-level guest paging needs a host CPU that has it, not a
		 * host kernel that uses it (a 4-level host clears LA57)
		 */
		e->ecx &= KVMX_CPUID_7_ECX &
			  (kvmx_host_caps(CPUID_7_ECX) | BIT(16));
		e->edx &= KVMX_CPUID_7_EDX & kvmx_host_caps(CPUID_7_EDX);
	}
	if (max_basic >= 0xd) {
		int r = kvmx_add_xsave_leaves(b);

		if (r)
			return r;
	}

	e = kvmx_add_leaf(b, KVMX_CPUID_SIGNATURE, 0, false);
	if (!e)
		return -E2BIG;
	e->eax = KVMX_CPUID_FEATURES;
	memcpy(&e->ebx, "KVMK", 4);
	memcpy(&e->ecx, "VMKV", 4);
	memcpy(&e->edx, "M\0\0\0", 4);
	e = kvmx_add_leaf(b, KVMX_CPUID_FEATURES, 0, false);
	if (!e)
		return -E2BIG;
	e->eax = e->ebx = e->ecx = e->edx = 0;

	if (max_ext < 0x80000001)
		return 0;
	e = kvmx_add_leaf(b, 0x80000000, 0, false);
	if (!e)
		return -E2BIG;
	e->eax = max_ext;
	e = kvmx_add_leaf(b, 0x80000001, 0, false);
	if (!e)
		return -E2BIG;
	e->eax = e->ebx = 0;
	e->ecx &= KVMX_CPUID_EXT1_ECX & kvmx_host_caps(CPUID_8000_0001_ECX);
	e->edx &= KVMX_CPUID_EXT1_EDX & kvmx_host_caps(CPUID_8000_0001_EDX);
	/* the brand string, as the host's */
	for (f = 0x80000002; f <= min_t(u32, max_ext, 0x80000004); f++)
		if (!kvmx_add_leaf(b, f, 0, false))
			return -E2BIG;
	if (max_ext >= 0x80000008) {
		e = kvmx_add_leaf(b, 0x80000008, 0, false);
		if (!e)
			return -E2BIG;
		e->eax &= GENMASK(15, 0);	/* physical/linear widths */
		e->ebx &= KVMX_CPUID_EXT8_EBX;
		e->ecx = e->edx = 0;
	}
	return 0;
}

long kvmx_get_supported_cpuid(void __user *argp)
{
	struct kvm_cpuid2 __user *ucpuid = argp;
	struct kvmx_cpuid_builder b = { };
	struct kvm_cpuid2 hdr;
	long r;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;
	b.max = min_t(u32, hdr.nent, KVMX_MAX_CPUID_ENTRIES);
	b.e = kvcalloc(b.max, sizeof(*b.e), GFP_KERNEL);
	if (!b.e)
		return -ENOMEM;

	/* a short buffer is -E2BIG; nent is then left as it was */
	r = kvmx_build_supported(&b);
	if (!r && copy_to_user(ucpuid->entries, b.e, b.nent * sizeof(*b.e)))
		r = -EFAULT;
	hdr.nent = b.nent;
	if (!r && copy_to_user(ucpuid, &hdr, sizeof(hdr)))
		r = -EFAULT;
	kvfree(b.e);
	return r;
}
