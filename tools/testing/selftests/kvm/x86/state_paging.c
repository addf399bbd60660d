// SPDX-License-Identifier: GPL-2.0-only
/*
 * Paging state in the vCPU state ABI: KVM_GET/SET_SREGS2 and the PAE
 * page-directory-pointer-table registers, and KVM_TRANSLATE.
 *
 * With PAE paging (CR0.PG, CR4.PAE, not long mode) the CPU loads the four
 * PDPTEs into internal registers when CR3 is loaded (SDM Vol. 3A 4.4.1);
 * KVM_GET_SREGS2 reports them with KVM_SREGS2_FLAGS_PDPTRS_VALID and
 * KVM_SET_SREGS2 restores them, so a migrated PAE guest keeps them.  A
 * 32-bit PAE guest here reads guest memory through three aliases of the
 * same 2 MiB page, is migrated to a fresh VM between two reads, and
 * finishes.  KVM_TRANSLATE walks the guest's page tables for the VMM.
 */
#include "kvmx_test.h"
#include "guest16.h"
#include "state.h"

#define PAE_PDPT	0x1000UL
#define PAE_PD(i)	(0x2000UL + (i) * 0x1000)	/* for PDPTE i */
#define PAE_DATA	0x9000UL
#define PAE_STACK	0x7000UL
#define PAE_PORT	0x98
#define PAE_CODE_BASE	REALMODE_BASE

/* PDPTEs: present, no R/W or U/S (reserved in PAE PDPTEs, SDM 4.4.1). */
static const uint64_t pae_pdpte[4] = {
	PAE_PD(0) | PTE_P, PAE_PD(1) | PTE_P, 0, PAE_PD(3) | PTE_P,
};

/*
 * 32-bit code at PAE_CODE_BASE (linear == physical below 2 MiB).  Reads
 * PAE_DATA through the 0xc0000000 alias, exits, reads PAE_DATA + 4
 * through the 0x40000000 alias, exits with the sum, halts.
 */
extern const unsigned char pae_guest_start[], pae_guest_end[];
asm(".pushsection .rodata.guest32, \"a\"\n"
    ".globl pae_guest_start, pae_guest_end\n"
    ".code32\n"
    "pae_guest_start:\n"
    "\tmov 0xc0009000, %eax\n"
    "\tout %eax, $0x98\n"
    "\tmov 0x40009004, %ebx\n"
    "\tadd %ebx, %eax\n"
    "\tout %eax, $0x98\n"
    "\thlt\n"
    "pae_guest_end:\n"
    ".code64\n"
    ".popsection\n");

static struct kvm_vm *vm_create_pae(struct kvm_vcpu **vcpu)
{
	struct kvm_vm *vm = vm_create_realmode(vcpu, pae_guest_start,
					       pae_guest_end - pae_guest_start);
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x8,
		.type = SEG_TYPE_CODE_XR_A, .present = 1, .db = 1, .s = 1,
		.g = 1,
	};
	struct kvm_segment data = code;
	uint64_t *pdpt = addr_gpa2hva(vm, PAE_PDPT);
	struct kvm_sregs s;
	struct kvm_regs r;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		uint64_t *pd = addr_gpa2hva(vm, PAE_PD(i));

		pdpt[i] = pae_pdpte[i];
		/* PDE 0: a 2 MiB page at physical 0 (SDM Vol. 3A 4.4.2). */
		memset(pd, 0, PAGE_SIZE);
		pd[0] = PTE_P | PTE_W | PTE_PS;
	}
	*(uint32_t *)addr_gpa2hva(vm, PAE_DATA) = 0x11111111;
	*(uint32_t *)addr_gpa2hva(vm, PAE_DATA + 4) = 0x22222222;

	vcpu_sregs_get(*vcpu, &s);
	data.selector = 0x10;
	data.type = SEG_TYPE_DATA_RW_A;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	s.cr3 = PAE_PDPT;
	s.cr4 = X86_CR4_PAE;
	s.efer = 0;
	vcpu_sregs_set(*vcpu, &s);

	memset(&r, 0, sizeof(r));
	r.rip = PAE_CODE_BASE;
	r.rsp = PAE_STACK;
	r.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	vcpu_regs_set(*vcpu, &r);
	return vm;
}

static uint32_t expect_pae_out(struct __test_metadata *_metadata,
			       struct kvm_vcpu *vcpu)
{
	uint32_t v;

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, PAE_PORT, 4);
	memcpy(&v, vcpu_io_data(vcpu), 4);
	return v;
}

/* A PAE guest: SREGS2 says which PDPTEs it runs on; they migrate. */
TEST(pae_guest_pdptrs_migrate)
{
	struct kvm_vcpu *vcpu, *nv;
	struct kvm_vm *vm;
	struct kvm_sregs2 s2;
	unsigned int i, ndiff;

	if (kvm_check_cap(KVM_CAP_SREGS2) <= 0)
		TEST_SKIP(return, "no KVM_CAP_SREGS2");
	vm = vm_create_pae(&vcpu);
	EXPECT_EQ(0x11111111, expect_pae_out(_metadata, vcpu));

	memset(&s2, 0xcc, sizeof(s2));
	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &s2);
	EXPECT_EQ(KVM_SREGS2_FLAGS_PDPTRS_VALID, s2.flags);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(pae_pdpte[i], s2.pdptrs[i]) TH_LOG("PDPTE %u", i);
	EXPECT_EQ(PAE_PDPT, s2.cr3);

	nv = vcpu_migrate(vcpu, &ndiff);
	EXPECT_EQ(0, ndiff);
	kvm_vm_free(vm);
	EXPECT_EQ(0x33333333, expect_pae_out(_metadata, nv));
	vcpu_run(nv);
	vcpu_assert_exit(nv, KVM_EXIT_HLT);
	kvm_vm_free(nv->vm);
}

/*
 * KVM_SET_SREGS2 with PDPTRS_VALID takes the PDPTEs from the VMM, not
 * from memory (they are CPU state, SDM 4.4.1); they read back as set.
 */
TEST(sregs2_pdptrs_from_vmm)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_sregs2 s2;

	if (kvm_check_cap(KVM_CAP_SREGS2) <= 0)
		TEST_SKIP(return, "no KVM_CAP_SREGS2");
	vm = vm_create_pae(&vcpu);
	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &s2);
	ASSERT_EQ(KVM_SREGS2_FLAGS_PDPTRS_VALID, s2.flags);
	s2.pdptrs[1] = 0;
	s2.pdptrs[2] = PAE_PD(2) | PTE_P;
	vcpu_ioctl(vcpu, KVM_SET_SREGS2, &s2);
	memset(&s2, 0, sizeof(s2));
	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &s2);
	EXPECT_EQ(KVM_SREGS2_FLAGS_PDPTRS_VALID, s2.flags);
	EXPECT_EQ(pae_pdpte[0], s2.pdptrs[0]);
	EXPECT_EQ(0, s2.pdptrs[1]);
	EXPECT_EQ(PAE_PD(2) | PTE_P, s2.pdptrs[2]);
	EXPECT_EQ(pae_pdpte[3], s2.pdptrs[3]);
	kvm_vm_free(vm);
}

static void guest_nothing(void)
{
}

/*
 * Outside PAE paging there are no PDPTRs: GET_SREGS2 leaves the flag
 * clear, SET_SREGS2 refuses it, and refuses unknown flags.
 */
TEST(sregs2_long_mode_flags)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_sregs2 s2;
	struct kvm_sregs s;

	if (kvm_check_cap(KVM_CAP_SREGS2) <= 0)
		TEST_SKIP(return, "no KVM_CAP_SREGS2");
	vm = vm_create_guest(&vcpu, guest_nothing);
	memset(&s2, 0xcc, sizeof(s2));
	vcpu_ioctl(vcpu, KVM_GET_SREGS2, &s2);
	EXPECT_EQ(0, s2.flags);
	/* SREGS2 and SREGS agree on everything they share. */
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(0, memcmp(&s, &s2, offsetof(struct kvm_sregs2, cr0)));
	EXPECT_EQ(s.cr0, s2.cr0);
	EXPECT_EQ(s.cr3, s2.cr3);
	EXPECT_EQ(s.cr4, s2.cr4);
	EXPECT_EQ(s.efer, s2.efer);
	EXPECT_EQ(s.apic_base, s2.apic_base);

	s2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_SREGS2, &s2));
	s2.flags = 2;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_SET_SREGS2, &s2));
	s2.flags = 0;
	EXPECT_OK(ioctl(vcpu->fd, KVM_SET_SREGS2, &s2));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static struct kvm_translation translate(struct kvm_vcpu *vcpu, uint64_t la)
{
	struct kvm_translation t = { .linear_address = la };

	vcpu_ioctl(vcpu, KVM_TRANSLATE, &t);
	return t;
}

/*
 * KVM_TRANSLATE: linear -> guest-physical through the guest's own page
 * tables, as the guest (at CPL 0) would.  KVM reports every valid
 * translation as writeable, in supervisor mode.
 */
TEST(translate_long_mode)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_nothing);
	struct kvm_translation t;

	t = translate(vcpu, 0x401234);
	EXPECT_EQ(1, t.valid);
	EXPECT_EQ(0x401234, t.physical_address);
	EXPECT_EQ(1, t.writeable);
	EXPECT_EQ(0, t.usermode);
	/* The library maps 4 GiB with 2 MiB pages: the last byte is in. */
	t = translate(vcpu, 0xffffffffULL);
	EXPECT_EQ(1, t.valid);
	EXPECT_EQ(0xffffffffULL, t.physical_address);
	/* PDPT entry 4 is not present. */
	t = translate(vcpu, 0x100000000ULL);
	EXPECT_EQ(0, t.valid);
	kvm_vm_free(vm);
}

TEST(translate_pae)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_pae(&vcpu);
	struct kvm_translation t;

	t = translate(vcpu, 0xc0009004);
	EXPECT_EQ(1, t.valid);
	EXPECT_EQ(PAE_DATA + 4, t.physical_address);
	t = translate(vcpu, 0x40001000);
	EXPECT_EQ(1, t.valid);
	EXPECT_EQ(0x1000, t.physical_address);
	/* PDPTE 2 (0x80000000-0xbfffffff) is not present. */
	t = translate(vcpu, 0x80000000);
	EXPECT_EQ(0, t.valid);
	/* Beyond the one 2 MiB page each present PD maps. */
	t = translate(vcpu, 0x00200000);
	EXPECT_EQ(0, t.valid);
	kvm_vm_free(vm);
}

REALMODE_CODE(rm_halt, "hlt\n\t");

/* Without paging, linear == physical. */
TEST(translate_no_paging)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_realmode(&vcpu, rm_halt_start,
					       rm_halt_end - rm_halt_start);
	struct kvm_translation t = translate(vcpu, 0x12345);

	EXPECT_EQ(1, t.valid);
	EXPECT_EQ(0x12345, t.physical_address);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
