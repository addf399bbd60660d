// SPDX-License-Identifier: GPL-2.0-only
/*
 * Every instruction class the emulator handles, with its memory operand in
 * MMIO, in 64-bit mode: MOV forms (moffs A0-A3, high-byte and REX
 * registers, SIB, MOVZX/MOVSX/MOVSXD, MOVNTI), the ALU on memory with
 * flags, shifts and rotates, MUL/IMUL/DIV/IDIV with a memory source,
 * BT/BTS/BTR/BTC (with bit offsets outside the operand), XCHG, CMPXCHG,
 * CMPXCHG8B/16B, XADD, MOVBE, PUSH/POP of memory and with rSP in MMIO,
 * SSE and VEX moves, and read-modify-writes split across a page boundary
 * between RAM and MMIO (both orders) and between two MMIO pages.
 *
 * Each case runs one instruction twice in the guest: natively on a RAM
 * copy holding what the device returns, and on MMIO, where KVM emulates
 * it; the guest compares registers, the defined flags and vector
 * registers (the CPU is the reference for the architectural result).  The
 * host's fake device (lib/emu_dev.c) answers reads with bytes that are a
 * function of the address and logs every exit: the host checks the exact
 * sequence of accesses (address, length, direction) and that every
 * written byte is what the native run wrote to the copy.  Accesses over 8
 * bytes arrive as KVM_EXIT_MMIO pieces of at most 8 (SSE/AVX), accesses
 * over a page boundary split there (as mmio.c established).
 *
 * In-tree KVM (6.1, 6.12, and 6.18 too) emulates neither VEX moves, nor
 * MOVD/MOVQ, nor CMPXCHG16B (em_cmpxchg8b refuses 16 bytes): KVM exits
 * with KVM_INTERNAL_ERROR_EMULATION.  Those cases run only against kvmx
 * and are skipped on the reference.
 */
#include "kvmx_test.h"
#include "emu_dev.h"

#pragma GCC diagnostic ignored "-Woverride-init"

#define MMIO_GPA	0xc0000000UL
#define RAM_GPA		0x40000000UL	/* an extra slot, MMIO around it */
#define RAM_SIZE	(2UL << 20)
#define RCOPY		0x40100000UL	/* native copies, inside the slot */
#define DEF_M		(MMIO_GPA + 0x100)
#define WIN_LO		64		/* copy window around the operand */
#define WIN_HI		192

enum need { NEED_NONE, NEED_MOVBE, NEED_AVX, NEED_CX16 };
/* Registers the guest fills from the operand's bytes before the run. */
enum init { INIT_NONE, INIT_RAX64, INIT_EDX_EAX, INIT_RDX_RAX, INIT_RAX32 };

struct icase {
	void (*fn)(struct gst *);
	void (*nat)(struct gst *);	/* native run, if not fn (moffs) */
	uint64_t addr;			/* the operand: 0 for DEF_M */
	uint64_t rax, rcx, rdx, rsi, r8, r9, flags;
	uint64_t undef;			/* flags the SDM leaves undefined */
	enum init init;
	enum need need;
	bool avx;			/* VEX: AVX state, kvmx only */
	const char *acc;		/* the exits, see emu_dev_check() */
	const char *ref_skip;		/* why the reference cannot */
	const char *ref61_skip;		/* why in-tree KVM before 6.12 cannot */
};

#define CASE_DEFAULTS							\
	.rax = 0x0123456789abcdefULL, .rcx = 0xfedcba9876543210ULL,	\
	.rdx = 0x8899aabbccddeeffULL, .rsi = 0x13579bdf2468ace0ULL,	\
	.r8 = 0xa5a5a5a55a5a5a5aULL, .r9 = 0x0f1e2d3c4b5a6978ULL

static void run_case(struct __test_metadata *_metadata, const struct icase *c);

#define ICASE(nm, text, ...)						\
	INSN_FN(nm##_fn, SSE_LOAD, SSE_STORE, text);			\
	static const struct icase nm##_case = {				\
		CASE_DEFAULTS, .fn = nm##_fn, __VA_ARGS__ };		\
	TEST(nm) { run_case(_metadata, &nm##_case); }

/* Different text for the native run: absolute addresses (moffs). */
#define ICASE2(nm, text, ntext, ...)					\
	INSN_FN(nm##_nat, SSE_LOAD, SSE_STORE, ntext);			\
	ICASE(nm, text, .nat = nm##_nat, __VA_ARGS__)

#define VEX_SKIP "in-tree KVM 6.1/6.12 does not emulate VEX-encoded moves"
#define VCASE(nm, text, ...)						\
	INSN_FN(nm##_fn, AVX_LOAD, AVX_STORE, text);			\
	static const struct icase nm##_case = {				\
		CASE_DEFAULTS, .fn = nm##_fn, .avx = true,		\
		.need = NEED_AVX, .ref_skip = VEX_SKIP, __VA_ARGS__ };	\
	TEST(nm) { run_case(_metadata, &nm##_case); }

/* ---- guest ------------------------------------------------------------ */

static bool is_mmio(uint64_t gpa)
{
	return gpa >= 0x3f000000UL && !(gpa >= RAM_GPA && gpa < RAM_GPA + RAM_SIZE);
}

static void gst_init(struct gst *s, const struct icase *c, uint64_t addr,
		     const uint8_t *copy)
{
	unsigned int i;

	s->rax = c->rax;
	s->rbx = 0x5555aaaa5555aaaaULL;
	s->rcx = c->rcx;
	s->rdx = c->rdx;
	s->rsi = c->rsi;
	s->rdi = addr;
	s->r8 = c->r8;
	s->r9 = c->r9;
	s->flags = c->flags | X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	for (i = 0; i < sizeof(s->vec); i++)
		s->vec[i] = i * 17 + 1;
	switch (c->init) {
	case INIT_RAX64:
		s->rax = *(const uint64_t *)copy;
		break;
	case INIT_RAX32:
		s->rax = *(const uint32_t *)copy;
		break;
	case INIT_EDX_EAX:
		s->rax = *(const uint32_t *)copy;
		s->rdx = *(const uint32_t *)(copy + 4);
		s->rbx = ~s->rbx;	/* ECX:EBX, the new value */
		break;
	case INIT_RDX_RAX:
		s->rax = *(const uint64_t *)copy;
		s->rdx = *(const uint64_t *)(copy + 8);
		break;
	case INIT_NONE:
		break;
	}
}

static void guest_enable_avx(void)
{
	write_cr4(read_cr4() | X86_CR4_OSXSAVE);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_SSE | XFEATURE_YMM),
			GUEST_NO_EXCEPTION);
}

static void guest_case(const struct icase *c)
{
	uint64_t m = c->addr ? c->addr : DEF_M;
	uint64_t r = RCOPY + (m & (PAGE_SIZE - 1));
	uint8_t *copy = (uint8_t *)r;
	struct gst nat, emu;
	uint64_t cmp = (EFL_ARITH | EFL_DF) & ~c->undef;
	long i;

	/* The copy holds what the guest would read at m: device or RAM. */
	for (i = -WIN_LO; i < WIN_HI; i++)
		copy[i] = is_mmio(m + i) ? emu_dev_byte(m + i)
					 : *(volatile uint8_t *)(m + i);
	if (c->avx)
		guest_enable_avx();
	gst_init(&nat, c, r, copy);
	gst_init(&emu, c, m, copy);
	(c->nat ? c->nat : c->fn)(&nat);
	c->fn(&emu);

	GUEST_ASSERT_EQ(emu.rax, nat.rax);
	GUEST_ASSERT_EQ(emu.rbx, nat.rbx);
	GUEST_ASSERT_EQ(emu.rcx, nat.rcx);
	GUEST_ASSERT_EQ(emu.rdx, nat.rdx);
	GUEST_ASSERT_EQ(emu.rsi, nat.rsi);
	GUEST_ASSERT_EQ(emu.rdi - m, nat.rdi - r);
	GUEST_ASSERT_EQ(emu.r8, nat.r8);
	GUEST_ASSERT_EQ(emu.r9, nat.r9);
	GUEST_ASSERT_EQ(emu.flags & cmp, nat.flags & cmp);
	for (i = 0; i < (long)sizeof(emu.vec); i++)
		GUEST_ASSERT_MSG(emu.vec[i] == nat.vec[i],
				 "vector byte %ld: 0x%x, native 0x%x", i,
				 emu.vec[i], nat.vec[i]);
	/* RAM bytes of a straddling operand: as the native run left them. */
	for (i = -WIN_LO; i < WIN_HI; i++)
		if (!is_mmio(m + i))
			GUEST_ASSERT_MSG(*(volatile uint8_t *)(m + i) == copy[i],
					 "RAM byte at 0x%lx: 0x%x, native 0x%x",
					 m + i, *(volatile uint8_t *)(m + i),
					 copy[i]);
	ucall(UCALL_SYNC, 2, r, m);
}

/* ---- host ------------------------------------------------------------- */

static struct emu_dev dev;

struct copy_ctx {
	struct kvm_vm *vm;
	uint64_t r, m;
};

/* A write's bytes must be what the native run left in the copy. */
static void expect_from_copy(void *opaque, uint64_t gpa, uint8_t *buf,
			     uint32_t len)
{
	struct copy_ctx *x = opaque;

	memcpy(buf, addr_gpa2hva(x->vm, x->r + (gpa - x->m)), len);
}

static void run_case(struct __test_metadata *_metadata, const struct icase *c)
{
	struct x86_feature f = { 0 };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct copy_ctx x;
	struct ucall uc;
	uint8_t *ram;
	char why[256];
	bool ok;
	int i;

	if (c->ref_skip && !testing_kvmx())
		TEST_SKIP(return, "%s", c->ref_skip);
	if (c->ref61_skip && !testing_kvmx() && host_kernel_below(6, 12))
		TEST_SKIP(return, "%s", c->ref61_skip);
	switch (c->need) {
	case NEED_MOVBE:
		f = X86_FEATURE_MOVBE;
		break;
	case NEED_AVX:
		f = X86_FEATURE_AVX;
		break;
	case NEED_CX16:
		f = X86_FEATURE_CX16;
		break;
	case NEED_NONE:
		break;
	}
	if (c->need != NEED_NONE && !kvm_cpu_has(f))
		TEST_SKIP(return, "CPUID.%x.%x bit %u not in KVM_GET_SUPPORTED_CPUID",
			  f.function, f.index, f.bit);
	if (c->need == NEED_AVX && !kvm_cpu_has(X86_FEATURE_XSAVE))
		TEST_SKIP(return, "no XSAVE in KVM_GET_SUPPORTED_CPUID");

	vm = vm_create_guest(&vcpu, (void (*)(void))guest_case);
	ram = vm_add_memslot(vm, 1, RAM_GPA, RAM_SIZE, 0, NULL);
	/* Something other than zeroes at both ends of the slot. */
	for (i = 0; i < (int)PAGE_SIZE; i++) {
		ram[i] = i * 7 + 3;
		ram[RAM_SIZE - PAGE_SIZE + i] = i * 5 + 1;
	}
	vcpu_set_args(vcpu, 1, (uint64_t)(uintptr_t)c);
	emu_dev_clear(&dev);
	ASSERT_EQ(UCALL_SYNC, emu_dev_run(&dev, vcpu, &uc));
	x.vm = vm;
	x.r = uc.args[0];
	x.m = uc.args[1];
	ok = emu_dev_check(&dev, x.m, c->acc, expect_from_copy, &x, why,
			   sizeof(why));
	if (!ok)
		emu_dev_dump(&dev);
	EXPECT_TRUE(ok) TH_LOG("accesses (expected %s): %s", c->acc, why);
	ASSERT_EQ(UCALL_DONE, emu_dev_run(&dev, vcpu, &uc));
	kvm_vm_free(vm);
}

/* ---- MOV -------------------------------------------------------------- */

ICASE2(mov_moffs_a0_load8, "movabs 0xc0000103, %al", "movabs 0x40100103, %al",
       .acc = "R1+3")
ICASE2(mov_moffs_a1_load64, "movabs 0xc0000108, %rax", "movabs 0x40100108, %rax",
       .acc = "R8+8")
ICASE2(mov_moffs_a1_load16, "movabs 0xc0000112, %ax", "movabs 0x40100112, %ax",
       .acc = "R2+12")
ICASE2(mov_moffs_a2_store8, "movabs %al, 0xc0000105", "movabs %al, 0x40100105",
       .acc = "W1+5")
ICASE2(mov_moffs_a3_store32, "movabs %eax, 0xc000010c", "movabs %eax, 0x4010010c",
       .acc = "W4+c")
ICASE(mov_load_high_byte, "movb 3(%rdi), %ah", .acc = "R1+3")
ICASE(mov_store_rex_byte, "movb %sil, 5(%rdi)", .acc = "W1+5")
ICASE(mov_store_r8w, "movw %r8w, 2(%rdi)", .acc = "W2+2")
ICASE(mov_load_sib_scaled, "movq 8(%rdi,%rcx,4), %r9", .rcx = 2, .acc = "R8+10")
ICASE(mov_load_sib_negative_index, "movl 0x40(%rdi,%rcx,8), %r9d",
      .rcx = -3, .acc = "R4+28")
ICASE(mov_store_imm32_sext, "movq $-0x789a, 0x18(%rdi)", .acc = "W8+18")
ICASE(movzx_m16_r32, "movzwl 6(%rdi), %ecx", .acc = "R2+6")
ICASE(movzx_m8_r16, "movzbw 9(%rdi), %cx", .acc = "R1+9")
ICASE(movsx_m8_r64, "movsbq 7(%rdi), %rdx", .acc = "R1+7")
ICASE(movsx_m16_r32, "movswl 0xa(%rdi), %r9d", .acc = "R2+a")
ICASE(movsxd_m32_r64, "movslq 0xc(%rdi), %rsi", .acc = "R4+c")
ICASE(movnti_m64, "movnti %rcx, 8(%rdi)", .acc = "W8+8")
ICASE(movnti_m32, "movnti %edx, 4(%rdi)", .acc = "W4+4")

/* ---- ALU on memory ---------------------------------------------------- */

ICASE(add_m8_imm8, "addb $0x7f, (%rdi)", .acc = "R1+0 W1+0")
ICASE(add_m16_r16, "addw %cx, 2(%rdi)", .acc = "R2+2 W2+2")
ICASE(add_m32_r32_lock, "lock addl %ecx, 4(%rdi)", .acc = "R4+4 W4+4")
ICASE(add_m64_simm8, "addq $-3, 8(%rdi)", .acc = "R8+8 W8+8")
ICASE(add_r64_m64, "addq (%rdi), %rcx", .acc = "R8+0")
ICASE(adc_m32_r32_carry, "adcl %ecx, (%rdi)", .flags = EFL_CF, .acc = "R4+0 W4+0")
ICASE(adc_m8_imm_carry, "adcb $0xff, 1(%rdi)", .flags = EFL_CF, .acc = "R1+1 W1+1")
ICASE(sub_m64_imm32, "subq $0x12345678, (%rdi)", .acc = "R8+0 W8+0")
ICASE(sub_r16_m16, "subw 6(%rdi), %dx", .acc = "R2+6")
ICASE(sbb_m16_imm16_borrow, "sbbw $0x1234, (%rdi)", .flags = EFL_CF,
      .acc = "R2+0 W2+0")
ICASE(sbb_r64_m64_borrow, "sbbq 8(%rdi), %r8", .flags = EFL_CF, .acc = "R8+8")
ICASE(and_m32_imm32, "andl $0xf0f0f0f0, (%rdi)", .undef = EFL_AF,
      .acc = "R4+0 W4+0")
ICASE(or_m8_r8, "orb %cl, 1(%rdi)", .undef = EFL_AF, .acc = "R1+1 W1+1")
ICASE(xor_m64_r64_lock, "lock xorq %rcx, 8(%rdi)", .undef = EFL_AF,
      .acc = "R8+8 W8+8")
ICASE(cmp_m32_r32, "cmpl %ecx, (%rdi)", .acc = "R4+0")
ICASE(cmp_m8_imm8, "cmpb $0x80, 3(%rdi)", .acc = "R1+3")
ICASE(cmp_r64_m64, "cmpq 8(%rdi), %rdx", .acc = "R8+8")
ICASE(test_m16_imm16, "testw $0x8001, 2(%rdi)", .undef = EFL_AF, .acc = "R2+2")
ICASE(test_m64_r64, "testq %rcx, (%rdi)", .undef = EFL_AF, .acc = "R8+0")
ICASE(inc_m32_keeps_cf, "incl 4(%rdi)", .flags = EFL_CF, .acc = "R4+4 W4+4")
ICASE(dec_m8, "decb 3(%rdi)", .acc = "R1+3 W1+3")
ICASE(inc_m64_lock, "lock incq (%rdi)", .acc = "R8+0 W8+0")
ICASE(neg_m64, "negq 8(%rdi)", .acc = "R8+8 W8+8")
ICASE(neg_m16, "negw (%rdi)", .acc = "R2+0 W2+0")
ICASE(not_m16, "notw 2(%rdi)", .flags = EFL_CF | EFL_ZF, .acc = "R2+2 W2+2")
ICASE(not_m32_lock, "lock notl (%rdi)", .acc = "R4+0 W4+0")

/* ---- shifts and rotates: OF is undefined for counts above 1 ---------- */

ICASE(shl_m32_by1, "shll 4(%rdi)", .undef = EFL_AF, .acc = "R4+4 W4+4")
ICASE(shr_m64_imm, "shrq $7, (%rdi)", .undef = EFL_AF | EFL_OF,
      .acc = "R8+0 W8+0")
ICASE(sar_m16_cl, "sarw %cl, 2(%rdi)", .rcx = 3, .undef = EFL_AF | EFL_OF,
      .acc = "R2+2 W2+2")
ICASE(sal_m8_imm, "salb $2, 1(%rdi)", .undef = EFL_AF | EFL_OF, .acc = "R1+1 W1+1")
ICASE(rol_m8_imm, "rolb $3, 1(%rdi)", .undef = EFL_OF, .acc = "R1+1 W1+1")
ICASE(ror_m32_by1, "rorl (%rdi)", .acc = "R4+0 W4+0")
ICASE(rcl_m64_cl_carry, "rclq %cl, 8(%rdi)", .rcx = 5, .flags = EFL_CF,
      .undef = EFL_OF, .acc = "R8+8 W8+8")
ICASE(rcr_m16_imm, "rcrw $2, (%rdi)", .undef = EFL_OF, .acc = "R2+0 W2+0")
ICASE(shld_m32_imm, "shldl $4, %ecx, (%rdi)", .undef = EFL_AF | EFL_OF,
      .acc = "R4+0 W4+0")
ICASE(shrd_m64_cl, "shrdq %cl, %rdx, 8(%rdi)", .rcx = 9,
      .undef = EFL_AF | EFL_OF, .acc = "R8+8 W8+8")

/* ---- multiply and divide: a memory source ---------------------------- */

#define MUL_UNDEF (EFL_SF | EFL_ZF | EFL_AF | EFL_PF)
ICASE(mul_m32, "mull 4(%rdi)", .undef = MUL_UNDEF, .acc = "R4+4")
ICASE(mul_m8, "mulb 1(%rdi)", .undef = MUL_UNDEF, .acc = "R1+1")
ICASE(imul_r64_m64, "imulq 8(%rdi), %rcx", .undef = MUL_UNDEF, .acc = "R8+8")
ICASE(imul_r16_m16_imm8, "imulw $-3, 2(%rdi), %cx", .undef = MUL_UNDEF,
      .acc = "R2+2")
ICASE(imul_m64_one_operand, "imulq (%rdi)", .undef = MUL_UNDEF, .acc = "R8+0")
ICASE(div_m32, "divl 4(%rdi)", .rdx = 0, .undef = EFL_ARITH, .acc = "R4+4")
ICASE(div_m8, "divb 2(%rdi)", .rax = 0x00ff, .undef = EFL_ARITH, .acc = "R1+2")
ICASE(idiv_m64, "idivq 8(%rdi)", .rax = -123456789, .rdx = -1,
      .undef = EFL_ARITH, .acc = "R8+8")
ICASE(idiv_m16, "idivw (%rdi)", .rax = 0x7fff, .rdx = 0, .undef = EFL_ARITH,
      .acc = "R2+0")

/* ---- bit tests: a register offset selects another operand ------------ */

#define BT_UNDEF (EFL_OF | EFL_SF | EFL_AF | EFL_PF)
ICASE(bt_m32_imm, "btl $5, 4(%rdi)", .undef = BT_UNDEF, .acc = "R4+4")
ICASE(bt_m64_reg_far, "btq %rcx, (%rdi)", .rcx = 100, .undef = BT_UNDEF,
      .acc = "R8+8")
ICASE(bts_m32_reg_negative, "btsl %ecx, 8(%rdi)", .rcx = -9, .undef = BT_UNDEF,
      .acc = "R4+4 W4+4")
ICASE(btr_m16_imm, "btrw $13, 2(%rdi)", .undef = BT_UNDEF, .acc = "R2+2 W2+2")
ICASE(btc_m64_imm, "btcq $63, 8(%rdi)", .undef = BT_UNDEF, .acc = "R8+8 W8+8")
ICASE(bts_m32_imm_lock, "lock btsl $1, (%rdi)", .undef = BT_UNDEF,
      .acc = "R4+0 W4+0")

/* ---- exchanges -------------------------------------------------------- */

ICASE(xchg_m32_r32, "xchgl %ecx, 4(%rdi)", .acc = "R4+4 W4+4")
ICASE(xchg_m8_r8, "xchgb %cl, 1(%rdi)", .acc = "R1+1 W1+1")
ICASE(cmpxchg_m64_success, "lock cmpxchgq %rcx, (%rdi)", .init = INIT_RAX64,
      .acc = "R8+0 W8+0")
/* A failed compare writes the old value back (SDM Vol. 2A CMPXCHG). */
ICASE(cmpxchg_m32_failure, "lock cmpxchgl %ecx, (%rdi)", .rax = 0,
      .acc = "R4+0 W4+0")
ICASE(cmpxchg_m32_success, "cmpxchgl %ecx, (%rdi)", .init = INIT_RAX32,
      .acc = "R4+0 W4+0")
ICASE(cmpxchg8b_success, "lock cmpxchg8b (%rdi)", .init = INIT_EDX_EAX,
      .acc = "R8+0 W8+0")
ICASE(cmpxchg8b_failure, "lock cmpxchg8b (%rdi)", .acc = "R8+0 W8+0")
#define CX16_SKIP "in-tree KVM does not emulate CMPXCHG16B (em_cmpxchg8b refuses 16 bytes)"
ICASE(cmpxchg16b_success, "lock cmpxchg16b (%rdi)", .init = INIT_RDX_RAX,
      .need = NEED_CX16, .ref_skip = CX16_SKIP, .acc = "R16+0 W16+0")
ICASE(cmpxchg16b_failure, "lock cmpxchg16b 0x10(%rdi)", .need = NEED_CX16,
      .ref_skip = CX16_SKIP, .acc = "R16+10 W16+10")
ICASE(xadd_m16, "xaddw %cx, 2(%rdi)", .acc = "R2+2 W2+2")
ICASE(xadd_m64_lock, "lock xaddq %rcx, 8(%rdi)", .acc = "R8+8 W8+8")

/* ---- MOVBE ------------------------------------------------------------ */

ICASE(movbe_load32, "movbe 4(%rdi), %ecx", .need = NEED_MOVBE, .acc = "R4+4")
/* 6.1's emulator has MOVBE without the 66 prefix only; 6.12 has both. */
#define MOVBE16_SKIP "in-tree KVM before 6.12 does not emulate 16-bit MOVBE"
ICASE(movbe_load16, "movbe 2(%rdi), %dx", .need = NEED_MOVBE,
      .ref61_skip = MOVBE16_SKIP, .acc = "R2+2")
ICASE(movbe_store64, "movbe %rcx, 8(%rdi)", .need = NEED_MOVBE, .acc = "W8+8")
ICASE(movbe_store16, "movbe %cx, 6(%rdi)", .need = NEED_MOVBE,
      .ref61_skip = MOVBE16_SKIP, .acc = "W2+6")

/* ---- the stack -------------------------------------------------------- */

ICASE(push_m64, "pushq 8(%rdi)\n\t" "popq %rcx", .acc = "R8+8")
ICASE(push_m16, "pushw 4(%rdi)\n\t" "popw %cx", .acc = "R2+4")
ICASE(pop_m64, "pushq %rcx\n\t" "popq 0x10(%rdi)", .acc = "W8+10")
ICASE(push_reg_rsp_in_mmio, "xchg %rdi, %rsp\n\t" "pushq %rcx\n\t"
      "xchg %rdi, %rsp", .acc = "W8-8")
ICASE(pop_reg_rsp_in_mmio, "xchg %rdi, %rsp\n\t" "popq %rdx\n\t"
      "xchg %rdi, %rsp", .acc = "R8+0")
ICASE(push_imm_rsp_in_mmio, "lea 0x40(%rdi), %rdi\n\t" "xchg %rdi, %rsp\n\t"
      "pushq $-0x1234\n\t" "pushw $0x5678\n\t" "xchg %rdi, %rsp",
      .acc = "W8+38 W2+36")
ICASE(pop_m64_rsp_in_mmio, "lea 0x40(%rdi), %rdi\n\t" "xchg %rdi, %rsp\n\t"
      "popq -0x30(%rsp)\n\t" "xchg %rdi, %rsp", .acc = "R8+40 W8+18")

/* ---- SSE moves (CR4.OSFXSR is set by the library) -------------------- */

/* In-tree KVM has no MOVD/MOVQ (66 0F 6E/7E, F3 0F 7E, 66 0F D6). */
#define MOVD_SKIP "in-tree KVM does not emulate MOVD/MOVQ to or from memory"
ICASE(movd_load, "movd 4(%rdi), %xmm0", .ref_skip = MOVD_SKIP, .acc = "R4+4")
ICASE(movd_store, "movd %xmm1, 8(%rdi)", .ref_skip = MOVD_SKIP, .acc = "W4+8")
ICASE(movq_load, "movq 8(%rdi), %xmm0", .ref_skip = MOVD_SKIP, .acc = "R8+8")
ICASE(movq_store, "movq %xmm1, (%rdi)", .ref_skip = MOVD_SKIP, .acc = "W8+0")
ICASE(movdqa_load, "movdqa 0x10(%rdi), %xmm0", .acc = "R16+10")
ICASE(movdqa_store, "movdqa %xmm1, 0x20(%rdi)", .acc = "W16+20")
ICASE(movdqu_load, "movdqu 3(%rdi), %xmm0", .acc = "R16+3")
ICASE(movdqu_store, "movdqu %xmm1, 5(%rdi)", .acc = "W16+5")
ICASE(movaps_load, "movaps 0x30(%rdi), %xmm1", .acc = "R16+30")
ICASE(movaps_store, "movaps %xmm0, (%rdi)", .acc = "W16+0")
ICASE(movups_load, "movups 9(%rdi), %xmm0", .acc = "R16+9")
ICASE(movups_store, "movups %xmm1, 0xb(%rdi)", .acc = "W16+b")

/* ---- VEX moves -------------------------------------------------------- */

VCASE(vmovdqu_load128, "vmovdqu 3(%rdi), %xmm0", .acc = "R16+3")
VCASE(vmovdqu_store128, "vmovdqu %xmm1, 5(%rdi)", .acc = "W16+5")
VCASE(vmovdqa_load128, "vmovdqa 0x10(%rdi), %xmm1", .acc = "R16+10")
VCASE(vmovdqa_store128, "vmovdqa %xmm0, 0x20(%rdi)", .acc = "W16+20")
VCASE(vmovdqu_load256, "vmovdqu 1(%rdi), %ymm0", .acc = "R32+1")
VCASE(vmovdqu_store256, "vmovdqu %ymm1, 7(%rdi)", .acc = "W32+7")
VCASE(vmovdqa_load256, "vmovdqa 0x20(%rdi), %ymm1", .acc = "R32+20")
VCASE(vmovdqa_store256, "vmovdqa %ymm0, 0x40(%rdi)", .acc = "W32+40")
VCASE(vmovd_load, "vmovd 4(%rdi), %xmm0", .acc = "R4+4")
VCASE(vmovq_store, "vmovq %xmm1, 8(%rdi)", .acc = "W8+8")

/* ---- accesses across a page boundary ---------------------------------- */

/* 4 bytes of RAM (the slot's end), then 4 of MMIO: only those exit. */
ICASE(rmw_split_ram_then_mmio, "addq %rcx, (%rdi)",
      .addr = RAM_GPA + RAM_SIZE - 4, .acc = "R4+4 W4+4")
ICASE(rmw_split_mmio_then_ram, "xorq %rcx, (%rdi)", .addr = RAM_GPA - 4,
      .undef = EFL_AF, .acc = "R4+0 W4+0")
ICASE(rmw_split_two_mmio_pages, "lock xaddl %ecx, (%rdi)",
      .addr = MMIO_GPA + PAGE_SIZE - 3, .acc = "R4+0 W4+0")
ICASE(rmw_split_two_mmio_pages_64, "notq (%rdi)",
      .addr = MMIO_GPA + PAGE_SIZE - 6, .acc = "R8+0 W8+0")
ICASE(movdqu_split_two_mmio_pages, "movdqu (%rdi), %xmm0",
      .addr = MMIO_GPA + PAGE_SIZE - 4, .acc = "R16+0")
ICASE(movdqu_split_ram_then_mmio, "movdqu %xmm1, (%rdi)",
      .addr = RAM_GPA + RAM_SIZE - 6, .acc = "W10+6")

TEST_HARNESS_MAIN
