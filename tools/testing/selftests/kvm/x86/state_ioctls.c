// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vCPU state ioctls one by one: what each accepts, refuses (EINVAL)
 * and reports back, and that the guest sees what the VMM set.  KVM_GET/
 * SET_FPU (the FXSAVE image minus MXCSR), KVM_GET_XSAVE/XSAVE2 and
 * KVM_CAP_XSAVE2 sizing, KVM_SET_XSAVE and KVM_SET_XCRS validation
 * (SDM Vol. 1 13.4.2 header rules, 13.3 XCR0 rules), KVM_GET/SET_MP_STATE
 * without an in-kernel local APIC, KVM_GET/SET_TSC_KHZ.  The whole state
 * moving between vCPUs is state_roundtrip.c.
 */
#include "kvmx_test.h"
#include "state.h"

/* The XSAVE legacy region and header (SDM Vol. 1 10.5.1, 13.4.2). */
#define XSAVE_MXCSR		24
#define XSAVE_MXCSR_MASK	28
#define XSAVE_HDR		512
#define XSAVE_HDR_XSTATE_BV	512
#define XSAVE_HDR_XCOMP_BV	520
#define XSAVE_HDR_RESERVED	528

FIXTURE(vcpu) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
};

FIXTURE_SETUP(vcpu)
{
	self->vm = vm_create_bare();
	self->vcpu = vm_vcpu_add_bare(self->vm, 0);
	vcpu_set_cpuid_supported(self->vcpu);
}

FIXTURE_TEARDOWN(vcpu)
{
	kvm_vm_free(self->vm);
}

static const struct kvm_cpuid_entry2 *supported_leaf(uint32_t fn, uint32_t idx)
{
	const struct kvm_cpuid2 *c = kvm_get_supported_cpuid();
	unsigned int i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

/* A new vCPU's whole state, loaded into another new vCPU, reads back the same. */
TEST_F(vcpu, reset_state_round_trip)
{
	struct kvm_vm *vm2 = vm_create_bare();
	struct kvm_vcpu *v2 = vm_vcpu_add_bare(vm2, 0);
	struct vcpu_state *a = vcpu_state_save(self->vcpu), *b;

	vcpu_state_load(v2, a);
	b = vcpu_state_save(v2);
	EXPECT_EQ(0, vcpu_state_diff(stderr, a, b));
	vcpu_state_free(a);
	vcpu_state_free(b);
	kvm_vm_free(vm2);
}

/*
 * KVM_CAP_XSAVE2 (on the VM) is the size of KVM_GET_XSAVE2's buffer: the
 * standard-format XSAVE area for every feature KVM offers, which is what
 * its supported CPUID.(EAX=0xd,ECX=0):ECX says, and never less than
 * struct kvm_xsave.  KVM_GET_XSAVE returns the first 4 KiB of it.
 */
TEST_F(vcpu, xsave2_size)
{
	const struct kvm_cpuid_entry2 *d = supported_leaf(0xd, 0);
	int size = vm_check_cap(self->vm, KVM_CAP_XSAVE2);
	struct kvm_xsave *x2, x1;

	if (size <= 0)
		TEST_SKIP(return, "no KVM_CAP_XSAVE2 (KVM before 5.17)");
	ASSERT_TRUE(d != NULL);
	EXPECT_EQ(d->ecx > sizeof(struct kvm_xsave) ? d->ecx :
		  sizeof(struct kvm_xsave), (unsigned int)size);
	x2 = calloc(1, size);
	ASSERT_TRUE(x2 != NULL);
	memset(&x1, 0xa5, sizeof(x1));
	vcpu_ioctl(self->vcpu, KVM_GET_XSAVE2, x2);
	vcpu_ioctl(self->vcpu, KVM_GET_XSAVE, &x1);
	EXPECT_EQ(0, memcmp(&x1, x2, sizeof(x1)));
	/* RESET: x87 control word 0x37f, MXCSR 0x1f80 (SDM Vol. 3A 10.1.1). */
	EXPECT_EQ(0x37f, *(uint16_t *)x2->region);
	EXPECT_EQ(0x1f80, x2->region[XSAVE_MXCSR / 4]);
	free(x2);
}

static void xsave_get(struct kvm_vcpu *vcpu, struct kvm_xsave *x)
{
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, x);
}

/* KVM_SET_XSAVE: 0, or the errno it failed with. */
static int set_xsave_errno(struct kvm_vcpu *vcpu, struct kvm_xsave *x)
{
	return ioctl(vcpu->fd, KVM_SET_XSAVE, x) ? errno : 0;
}

/* Header and MXCSR rules: what XRSTOR would #GP on, KVM refuses. */
TEST_F(vcpu, xsave_invalid)
{
	struct kvm_xsave good, x;
	uint8_t *p = (uint8_t *)x.region;
	uint32_t mask;

	xsave_get(self->vcpu, &good);
	/* A valid image goes back in. */
	EXPECT_OK(ioctl(self->vcpu->fd, KVM_SET_XSAVE, &good));

	x = good;
	*(uint64_t *)(p + XSAVE_HDR_XSTATE_BV) |= 1ULL << 63;
	EXPECT_EQ(EINVAL, set_xsave_errno(self->vcpu, &x))
		TH_LOG("XSTATE_BV bit 63");

	/*
	 * Without XSAVE in the host kernel (Bochs' model: the kernel turns
	 * it off at boot) KVM copies only the legacy area and the features
	 * word: the rest of the header is not looked at.
	 */
	if (vm_check_cap(self->vm, KVM_CAP_XCRS) <= 0)
		goto mxcsr;

	/* The ABI is the standard (uncompacted) format. */
	x = good;
	*(uint64_t *)(p + XSAVE_HDR_XCOMP_BV) = (1ULL << 63) | 3;
	EXPECT_EQ(EINVAL, set_xsave_errno(self->vcpu, &x))
		TH_LOG("XCOMP_BV set");

	x = good;
	p[XSAVE_HDR_RESERVED + 5] = 1;
	EXPECT_EQ(EINVAL, set_xsave_errno(self->vcpu, &x))
		TH_LOG("reserved header byte");

mxcsr:
	/*
	 * MXCSR bits outside MXCSR_MASK (bit 31 is reserved everywhere).
	 * MXCSR is only loaded, hence checked, when XSTATE_BV has SSE.
	 */
	x = good;
	*(uint64_t *)(p + XSAVE_HDR_XSTATE_BV) |= 3;
	mask = *(uint32_t *)(p + XSAVE_MXCSR_MASK) ?: 0xffbf;
	TH_LOG("MXCSR_MASK 0x%x", mask);
	*(uint32_t *)(p + XSAVE_MXCSR) = 0x1f80 | (1U << 31);
	EXPECT_EQ(EINVAL, set_xsave_errno(self->vcpu, &x))
		TH_LOG("MXCSR bit 31");

	/* Nothing of the refused images stuck. */
	xsave_get(self->vcpu, &x);
	EXPECT_EQ(0, memcmp(&good, &x, sizeof(x)));
}

static int set_xcr0(struct kvm_vcpu *vcpu, uint64_t v)
{
	struct kvm_xcrs x = { .nr_xcrs = 1 };

	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = v;
	return ioctl(vcpu->fd, KVM_SET_XCRS, &x);
}

/*
 * XCR0 rules (SDM Vol. 1 13.3): x87 always set, AVX needs SSE, nothing
 * beyond what the CPUID offers; KVM_SET_XCRS refuses what XSETBV would
 * #GP on.  The count of XCRs is bounded by KVM_MAX_XCRS (16).
 */
TEST_F(vcpu, xcrs_invalid)
{
	const struct kvm_cpuid_entry2 *d = supported_leaf(0xd, 0);
	struct kvm_xcrs x;

	if (vm_check_cap(self->vm, KVM_CAP_XCRS) <= 0)
		TEST_SKIP(return, "no KVM_CAP_XCRS");
	ASSERT_TRUE(d != NULL);
	EXPECT_OK(set_xcr0(self->vcpu, 1));
	EXPECT_ERRNO(EINVAL, set_xcr0(self->vcpu, 0));
	EXPECT_ERRNO(EINVAL, set_xcr0(self->vcpu, 2));
	if (d->eax & 4)		/* AVX offered: AVX without SSE */
		EXPECT_ERRNO(EINVAL, set_xcr0(self->vcpu, 5));
	EXPECT_ERRNO(EINVAL, set_xcr0(self->vcpu, 3 | (1ULL << 62)));
	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 17;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_SET_XCRS, &x));
	x.nr_xcrs = 1;
	x.flags = 1;
	x.xcrs[0].value = 1;
	EXPECT_ERRNO(EINVAL, ioctl(self->vcpu->fd, KVM_SET_XCRS, &x));

	memset(&x, 0xcc, sizeof(x));
	vcpu_ioctl(self->vcpu, KVM_GET_XCRS, &x);
	EXPECT_EQ(1, x.nr_xcrs);
	EXPECT_EQ(0, x.xcrs[0].xcr);
	EXPECT_EQ(1, x.xcrs[0].value);
	EXPECT_EQ(0, x.flags);
}

static uint8_t guest_st0[10];
static uint16_t guest_fcw;
static uint64_t guest_xmm7;

static void guest_read_fpu(void)
{
	/* Non-initial x87 and SSE state, so that both are "in use". */
	asm volatile("fld1\n\t"
		     "mov $1, %%eax\n\t"
		     "movq %%rax, %%xmm7" : : : "rax");
	GUEST_SYNC(0);
	asm volatile("fnstcw %0\n\t"
		     "fstpt %1\n\t"
		     "movq %%xmm7, %2"
		     : "=m"(guest_fcw), "=m"(guest_st0), "=m"(guest_xmm7));
}

/*
 * KVM_SET_FPU: what it sets reads back and is what the guest finds in its
 * x87 and SSE registers.  MXCSR is not part of it: KVM neither reads nor
 * writes the field (it reads 0), and the guest's MXCSR stays.
 *
 * The guest has used x87 and SSE before: KVM_SET_FPU writes the legacy
 * region of the guest's XSAVE image and leaves its header alone, and a
 * new vCPU's header marks x87 and SSE as in their initial configuration
 * (SDM Vol. 1 13.6), so on the distro KVM values set into a vCPU that
 * never ran do not reach the guest.  VMMs set the FPU with KVM_SET_XSAVE.
 */
TEST(fpu_set_get_guest)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_read_fpu);
	/* 3.0 as an 80-bit extended real: mantissa 1.1b, exponent 0x4000. */
	static const uint8_t three[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x40 };
	struct kvm_fpu f, out;
	struct kvm_xsave x;
	unsigned int i;

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	memset(&f, 0, sizeof(f));
	memcpy(f.fpr[0], three, sizeof(three));
	f.fcw = 0x027f;			/* 53-bit precision, all masked */
	f.fsw = 7 << 11;		/* TOP = 7: ST(0) is physical reg 7 */
	f.ftwx = 0x80;			/* abridged tag: reg 7 valid */
	f.last_opcode = 0x5d9;
	f.last_ip = 0x1234567;
	f.last_dp = 0x89abcde;
	f.mxcsr = 0x7f80;
	for (i = 0; i < 16; i++)
		memset(f.xmm[i], 0x11 * i, 16);
	vcpu_ioctl(vcpu, KVM_SET_FPU, &f);

	memset(&out, 0xcc, sizeof(out));
	vcpu_ioctl(vcpu, KVM_GET_FPU, &out);
	EXPECT_EQ(0, memcmp(out.fpr, f.fpr, sizeof(f.fpr)));
	EXPECT_EQ(f.fcw, out.fcw);
	EXPECT_EQ(f.fsw, out.fsw);
	EXPECT_EQ(f.ftwx, out.ftwx);
	EXPECT_EQ(f.last_opcode, out.last_opcode);
	EXPECT_EQ(f.last_ip, out.last_ip);
	EXPECT_EQ(f.last_dp, out.last_dp);
	EXPECT_EQ(0, memcmp(out.xmm, f.xmm, sizeof(f.xmm)));
	EXPECT_EQ(0, out.mxcsr);
	vcpu_ioctl(vcpu, KVM_GET_XSAVE, &x);
	EXPECT_EQ(0x1f80, x.region[XSAVE_MXCSR / 4]);

	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	sync_global_from_guest(vm, guest_fcw);
	sync_global_from_guest(vm, guest_st0);
	sync_global_from_guest(vm, guest_xmm7);
	EXPECT_EQ(0x027f, guest_fcw);
	EXPECT_EQ(0, memcmp(guest_st0, three, sizeof(three)));
	EXPECT_EQ(0x7777777777777777ULL, guest_xmm7);
	kvm_vm_free(vm);
}

/*
 * Without an in-kernel local APIC only RUNNABLE is a valid MP state (the
 * others are the APIC's INIT/SIPI protocol and HLT emulation).
 */
TEST_F(vcpu, mp_state_userspace_apic)
{
	static const uint32_t refused[] = {
		KVM_MP_STATE_UNINITIALIZED, KVM_MP_STATE_INIT_RECEIVED,
		KVM_MP_STATE_HALTED, KVM_MP_STATE_SIPI_RECEIVED, 100,
	};
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	unsigned int i;

	EXPECT_OK(ioctl(self->vcpu->fd, KVM_SET_MP_STATE, &mp));
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		mp.mp_state = refused[i];
		EXPECT_EQ(-1, ioctl(self->vcpu->fd, KVM_SET_MP_STATE, &mp))
			TH_LOG("mp_state %u", refused[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("mp_state %u", refused[i]);
	}
	mp.mp_state = 0xdead;
	vcpu_ioctl(self->vcpu, KVM_GET_MP_STATE, &mp);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, mp.mp_state);
}

/*
 * KVM_GET_TSC_KHZ is the vCPU's TSC rate; setting that same rate (or 0,
 * "the host's") always works.  A lower rate needs TSC scaling
 * (KVM_CAP_TSC_CONTROL): with it the new rate reads back, without it
 * KVM refuses (it can only catch up with a faster TSC, not slow one down).
 */
TEST_F(vcpu, tsc_khz)
{
	long khz, half;
	int r;

	if (vm_check_cap(self->vm, KVM_CAP_GET_TSC_KHZ) <= 0)
		TEST_SKIP(return, "no KVM_CAP_GET_TSC_KHZ");
	khz = ioctl(self->vcpu->fd, KVM_GET_TSC_KHZ, 0);
	ASSERT_GT(khz, 0);
	TH_LOG("TSC %ld kHz, KVM_CAP_TSC_CONTROL %d", khz,
	       vm_check_cap(self->vm, KVM_CAP_TSC_CONTROL));
	EXPECT_OK(ioctl(self->vcpu->fd, KVM_SET_TSC_KHZ, khz));
	EXPECT_EQ(khz, ioctl(self->vcpu->fd, KVM_GET_TSC_KHZ, 0));
	EXPECT_OK(ioctl(self->vcpu->fd, KVM_SET_TSC_KHZ, 0));
	EXPECT_EQ(khz, ioctl(self->vcpu->fd, KVM_GET_TSC_KHZ, 0));

	half = khz / 2;
	r = ioctl(self->vcpu->fd, KVM_SET_TSC_KHZ, half);
	if (vm_check_cap(self->vm, KVM_CAP_TSC_CONTROL) > 0) {
		EXPECT_EQ(0, r);
		EXPECT_EQ(half, ioctl(self->vcpu->fd, KVM_GET_TSC_KHZ, 0));
	} else {
		/*
		 * Refused; the distro KVM has recorded the rate before it
		 * found it cannot scale, so what GET says next is not checked.
		 */
		EXPECT_EQ(-1, r);
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_HARNESS_MAIN
