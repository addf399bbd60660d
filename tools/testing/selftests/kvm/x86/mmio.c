// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest accesses to guest-physical addresses that no memory slot covers:
 * KVM emulates the instruction and exits with KVM_EXIT_MMIO, giving the
 * VMM the address, the length, the direction and (for a write) the bytes;
 * for a read the VMM fills run->mmio.data and the next KVM_RUN completes
 * the instruction with exactly those bytes, extended as the instruction
 * says (MOV to an 8/16-bit register merges, to a 32-bit register zeroes
 * bits 63:32, MOVZX/MOVSX/MOVSXD extend: SDM vol. 2, MOV/MOVZX/MOVSX, and
 * vol. 1 3.4.1.1 for the 32-bit operand rule).  Stores of registers and
 * of immediates give the VMM exactly len bytes (MOV r/m64, imm32 stores
 * the sign-extended immediate), and an instruction that reads and writes
 * its memory operand (ADD to memory) exits twice: the read, then the
 * write of the result.
 *
 * KVM caches "this page is MMIO" in the second-level page tables (EPT
 * misconfiguration / NPT reserved bits) so that repeated MMIO does not
 * walk the slow path each time; the cache is tagged with the memslot
 * generation.  So: many accesses to the same page must all be right, and
 * once the VMM puts a memslot over an address the guest used as MMIO the
 * guest must see RAM, and MMIO again after the slot goes.
 *
 * An 8-byte access that straddles the end (or the start) of a slot, 4
 * bytes of RAM and 4 of nothing, is split by KVM's emulator at the page
 * boundary: the RAM half is read or written directly and only the other
 * half exits, with len 4.
 * That is the same on 6.1 and 6.12, SVM and VMX (reference runs).
 *
 * Everything stays below 4 GiB, inside the guest's identity map.
 */
#include "kvmx_test.h"

#define MB		(1UL << 20)
#define MMIO_GPA	0xc0000000UL	/* 3 GiB: no slot there */
#define RAM_GPA		0x40000000UL	/* 1 GiB: an extra slot */
#define OTHER_GPA	0x80000000UL	/* 2 GiB: an unrelated slot */
#define RAX_FILL	0x1122334455667788ULL

/* ---- host helpers ----------------------------------------------------- */

/*
 * Runs the vCPU and fails the test unless it exits with KVM_EXIT_MMIO for
 * exactly this access.  A guest assertion (a ucall) is reported as such.
 */
#define run_expect_mmio(vcpu, gpa, len, is_write) \
	__run_expect_mmio(vcpu, gpa, len, is_write, __FILE__, __LINE__)

static void __run_expect_mmio(struct kvm_vcpu *vcpu, uint64_t gpa,
			      uint32_t len, bool is_write, const char *file,
			      int line)
{
	struct kvm_run *run = vcpu->run;
	struct ucall uc;

	vcpu_run(vcpu);
	if (get_ucall(vcpu, &uc) == UCALL_ASSERT)
		__test_assert_fail(file, line, "MMIO exit",
				   "guest assertion failed at line %lu: %s",
				   uc.line, uc.msg);
	__vcpu_assert_exit(vcpu, KVM_EXIT_MMIO, file, line);
	if (run->mmio.phys_addr == gpa && run->mmio.len == len &&
	    !!run->mmio.is_write == is_write)
		return;
	vcpu_dump_exit(stderr, vcpu);
	vcpu_dump_state(stderr, vcpu);
	__test_assert_fail(file, line, "MMIO exit matches",
			   "expected MMIO %s gpa 0x%lx len %u, got %s gpa 0x%llx len %u",
			   is_write ? "write" : "read", gpa, len,
			   run->mmio.is_write ? "write" : "read",
			   (unsigned long long)run->mmio.phys_addr,
			   run->mmio.len);
}

/* The first @len bytes of the last MMIO write, as a little-endian value. */
static uint64_t mmio_write_value(struct kvm_vcpu *vcpu)
{
	uint64_t v = 0;

	memcpy(&v, vcpu->run->mmio.data, vcpu->run->mmio.len);
	return v;
}

/*
 * Answers an MMIO read: all 8 bytes of run->mmio.data are written, so that
 * KVM taking more than len bytes would show in the guest's result.
 */
static void mmio_read_answer(struct kvm_vcpu *vcpu, uint64_t v)
{
	memcpy(vcpu->run->mmio.data, &v, 8);
}

/* ---- loads of every width and extension ------------------------------ */

enum load_form {
	LD_MOV8, LD_MOV16, LD_MOV32, LD_MOV64,
	LD_MOVZBL, LD_MOVZWL, LD_MOVZBQ, LD_MOVZWQ,
	LD_MOVSBL, LD_MOVSWL, LD_MOVSBQ, LD_MOVSWQ, LD_MOVSLQ,
	NR_LOAD_FORMS,
};

/* How the loaded bytes end up in the 64-bit register. */
enum ext {
	EXT_MERGE,	/* 8/16-bit destination: bits above it unchanged */
	EXT_ZERO,	/* 32-bit destination or MOVZX: zero-extended */
	EXT_SIGN32,	/* MOVSX to a 32-bit register: sign to 31, then zero */
	EXT_SIGN64,	/* MOVSX/MOVSXD to a 64-bit register */
};

static const struct {
	const char *name;
	uint32_t len;
	enum ext ext;
} load_forms[NR_LOAD_FORMS] = {
	[LD_MOV8]   = { "mov m8, r8",		1, EXT_MERGE },
	[LD_MOV16]  = { "mov m16, r16",		2, EXT_MERGE },
	[LD_MOV32]  = { "mov m32, r32",		4, EXT_ZERO },
	[LD_MOV64]  = { "mov m64, r64",		8, EXT_ZERO },
	[LD_MOVZBL] = { "movzx m8, r32",	1, EXT_ZERO },
	[LD_MOVZWL] = { "movzx m16, r32",	2, EXT_ZERO },
	[LD_MOVZBQ] = { "movzx m8, r64",	1, EXT_ZERO },
	[LD_MOVZWQ] = { "movzx m16, r64",	2, EXT_ZERO },
	[LD_MOVSBL] = { "movsx m8, r32",	1, EXT_SIGN32 },
	[LD_MOVSWL] = { "movsx m16, r32",	2, EXT_SIGN32 },
	[LD_MOVSBQ] = { "movsx m8, r64",	1, EXT_SIGN64 },
	[LD_MOVSWQ] = { "movsx m16, r64",	2, EXT_SIGN64 },
	[LD_MOVSLQ] = { "movsxd m32, r64",	4, EXT_SIGN64 },
};

/* Two answers per form: one with every sign bit set, one with none. */
#define PATTERN_NEG	0x8897a6b5c4d3e2f1ULL
#define PATTERN_POS	0x0817263544536271ULL

static uint64_t load_addr(int form, int pat)
{
	/* Odd offsets for the second pattern: alignment must not matter. */
	return MMIO_GPA + (form * 2 + pat) * 0x10 + pat * 3;
}

static uint64_t expected_load(int form, uint64_t answer)
{
	uint32_t len = load_forms[form].len;
	uint64_t mask = len == 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
	uint64_t raw = answer & mask;
	uint64_t sign = 1ULL << (8 * len - 1);
	uint64_t sx = (raw & sign) ? raw | ~mask : raw;

	switch (load_forms[form].ext) {
	case EXT_MERGE:
		return (RAX_FILL & ~mask) | raw;
	case EXT_ZERO:
		return raw;
	case EXT_SIGN32:
		return (uint32_t)sx;
	case EXT_SIGN64:
	default:
		return sx;
	}
}

static uint64_t guest_load_form(int form, uint64_t gpa)
{
	uint64_t v = RAX_FILL;

	switch (form) {
	case LD_MOV8:
		asm volatile("movb (%1), %b0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOV16:
		asm volatile("movw (%1), %w0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOV32:
		asm volatile("movl (%1), %k0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOV64:
		asm volatile("movq (%1), %0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVZBL:
		asm volatile("movzbl (%1), %k0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVZWL:
		asm volatile("movzwl (%1), %k0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVZBQ:
		asm volatile("movzbq (%1), %0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVZWQ:
		asm volatile("movzwq (%1), %0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVSBL:
		asm volatile("movsbl (%1), %k0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVSWL:
		asm volatile("movswl (%1), %k0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVSBQ:
		asm volatile("movsbq (%1), %0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVSWQ:
		asm volatile("movswq (%1), %0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	case LD_MOVSLQ:
		asm volatile("movslq (%1), %0" : "+r"(v) : "r"(gpa) : "memory");
		break;
	}
	return v;
}

static void guest_loads(void)
{
	int form, pat;

	for (form = 0; form < NR_LOAD_FORMS; form++)
		for (pat = 0; pat < 2; pat++)
			GUEST_SYNC(guest_load_form(form, load_addr(form, pat)));
}

TEST(loads_all_widths_and_extensions)
{
	static const uint64_t answers[2] = { PATTERN_NEG, PATTERN_POS };
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_loads);
	int form, pat;

	for (form = 0; form < NR_LOAD_FORMS; form++) {
		for (pat = 0; pat < 2; pat++) {
			uint64_t want = expected_load(form, answers[pat]);
			struct ucall uc;

			run_expect_mmio(vcpu, load_addr(form, pat),
					load_forms[form].len, false);
			mmio_read_answer(vcpu, answers[pat]);
			ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
			EXPECT_EQ(want, uc.args[0])
				TH_LOG("%s: guest got 0x%016lx, expected 0x%016lx",
				       load_forms[form].name, uc.args[0], want);
		}
	}
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* ---- stores of registers and immediates ------------------------------ */

#define STORE_REG	0x8877665544332211ULL

static const struct {
	const char *name;
	uint64_t offset;
	uint32_t len;
	uint64_t data;		/* the first len bytes, little endian */
} stores[] = {
	{ "mov r8, m8",			0x000, 1, 0x11 },
	{ "mov r16, m16",		0x010, 2, 0x2211 },
	{ "mov r32, m32",		0x020, 4, 0x44332211 },
	{ "mov r64, m64",		0x030, 8, STORE_REG },
	{ "mov imm8, m8",		0x041, 1, 0xa5 },
	{ "mov imm16, m16",		0x053, 2, 0xb6c7 },
	{ "mov imm32, m32",		0x065, 4, 0xd8e9fa0b },
	/* REX.W C7: imm32 sign-extended to 64 bits (SDM vol. 2, MOV). */
	{ "mov simm32, m64 (negative)",	0x077, 8, 0xffffffffedcba988ULL },
	{ "mov simm32, m64 (positive)",	0x080, 8, 0x0000000012345678ULL },
};

static void guest_stores(uint64_t base)
{
	volatile uint8_t *p = (volatile uint8_t *)base;
	uint64_t r = STORE_REG;

	asm volatile("movb %b1, (%0)" : : "r"(p + 0x000), "r"(r) : "memory");
	asm volatile("movw %w1, (%0)" : : "r"(p + 0x010), "r"(r) : "memory");
	asm volatile("movl %k1, (%0)" : : "r"(p + 0x020), "r"(r) : "memory");
	asm volatile("movq %1, (%0)" : : "r"(p + 0x030), "r"(r) : "memory");
	asm volatile("movb $0xa5, (%0)" : : "r"(p + 0x041) : "memory");
	asm volatile("movw $0xb6c7, (%0)" : : "r"(p + 0x053) : "memory");
	asm volatile("movl $0xd8e9fa0b, (%0)" : : "r"(p + 0x065) : "memory");
	asm volatile("movq $-0x12345678, (%0)" : : "r"(p + 0x077) : "memory");
	asm volatile("movq $0x12345678, (%0)" : : "r"(p + 0x080) : "memory");
	GUEST_DONE();
}

TEST(stores_all_widths_and_immediates)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_stores);
	unsigned int i;

	vcpu_set_args(vcpu, 1, MMIO_GPA + 0x1000);
	for (i = 0; i < ARRAY_SIZE(stores); i++) {
		run_expect_mmio(vcpu, MMIO_GPA + 0x1000 + stores[i].offset,
				stores[i].len, true);
		EXPECT_EQ(stores[i].data, mmio_write_value(vcpu))
			TH_LOG("%s: data 0x%lx", stores[i].name,
			       mmio_write_value(vcpu));
	}
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * A read-modify-write instruction on MMIO: the emulator reads (one exit),
 * computes with the VMM's value and writes the result (a second exit).
 */
static void guest_rmw(uint64_t gpa)
{
	asm volatile("addl $0x10, (%0)" : : "r"(gpa) : "memory", "cc");
	GUEST_DONE();
}

TEST(read_modify_write)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_rmw);

	vcpu_set_args(vcpu, 1, MMIO_GPA + 0x2004);
	run_expect_mmio(vcpu, MMIO_GPA + 0x2004, 4, false);
	mmio_read_answer(vcpu, 0xaaaaaaaa7ffffff8ULL);
	run_expect_mmio(vcpu, MMIO_GPA + 0x2004, 4, true);
	EXPECT_EQ(0x80000008ULL, mmio_write_value(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* ---- the same page over and over ------------------------------------- */

#define REPEAT_ITERS	1000
#define REPEAT_SLOTS	64	/* distinct addresses in the page */

static uint32_t repeat_value(uint64_t i)
{
	return (uint32_t)(i * 0x9e3779b1u) ^ 0x13579bdfu;
}

static uint64_t repeat_addr(uint64_t i)
{
	return MMIO_GPA + 0x3000 + (i % REPEAT_SLOTS) * 8;
}

static void guest_repeat(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint32_t v = *(volatile uint32_t *)repeat_addr(i);

		GUEST_ASSERT_EQ(v, repeat_value(i));
		*(volatile uint32_t *)(repeat_addr(i) + 4) = ~v;
	}
	GUEST_DONE();
}

/*
 * Every iteration is a read (answered with a value of its own) and a write
 * of the complement: after the first fault on the page, KVM serves these
 * from its MMIO cache.  Each of the 64 addresses comes back about 16
 * times with a different value, so a stale or mixed-up answer would show.
 */
TEST(repeated_mmio_same_page)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_repeat);
	uint64_t i;

	vcpu_set_args(vcpu, 1, (uint64_t)REPEAT_ITERS);
	for (i = 0; i < REPEAT_ITERS; i++) {
		run_expect_mmio(vcpu, repeat_addr(i), 4, false);
		mmio_read_answer(vcpu, repeat_value(i));
		run_expect_mmio(vcpu, repeat_addr(i) + 4, 4, true);
		ASSERT_EQ((uint32_t)~repeat_value(i), mmio_write_value(vcpu))
			TH_LOG("iteration %lu", i);
	}
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* ---- memslots appearing and disappearing over MMIO ------------------- */

/*
 * Each round: load 8 bytes at @gpa, store their complement at @gpa + 8,
 * report the loaded value.  Rounds continue until the host stops.
 */
static void guest_load_store_loop(uint64_t gpa)
{
	for (;;) {
		uint64_t v = *(volatile uint64_t *)gpa;

		*(volatile uint64_t *)(gpa + 8) = ~v;
		GUEST_SYNC(v);
	}
}

/* One round against MMIO: both accesses exit, the guest gets @answer. */
#define mmio_round(vcpu, gpa, answer) do {				\
	run_expect_mmio(vcpu, gpa, 8, false);				\
	mmio_read_answer(vcpu, answer);					\
	run_expect_mmio(vcpu, (gpa) + 8, 8, true);			\
	EXPECT_EQ(~(uint64_t)(answer), mmio_write_value(vcpu));		\
	vcpu_expect_ucall(vcpu, UCALL_SYNC, answer);			\
} while (0)

/* One round against RAM: no exit but the ucall, memory has the store. */
#define ram_round(vcpu, mem, value) do {				\
	(mem)[0] = (value);						\
	vcpu_expect_ucall(vcpu, UCALL_SYNC, value);			\
	EXPECT_EQ(~(uint64_t)(value), (mem)[1]);			\
} while (0)

TEST(memslot_over_mmio_then_deleted)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu,
					    (void (*)(void))guest_load_store_loop);
	uint64_t gpa = MMIO_GPA + 0x4000;
	uint64_t *mem;
	int i;

	vcpu_set_args(vcpu, 1, gpa);
	/* Enough rounds for KVM to have cached the page as MMIO. */
	for (i = 0; i < 8; i++)
		mmio_round(vcpu, gpa, 0x1000 + i);

	/* A slot somewhere else changes the generation, not the answer. */
	vm_add_memslot(vm, 2, OTHER_GPA, 2 * MB, 0, NULL);
	mmio_round(vcpu, gpa, 0x2000ULL);

	/* A slot over the MMIO address: the guest now reads RAM. */
	mem = vm_add_memslot(vm, 1, MMIO_GPA, 2 * MB, 0, NULL);
	mem += 0x4000 / 8;
	ram_round(vcpu, mem, 0x5a5a5a5a01234567ULL);
	ram_round(vcpu, mem, 0xa5a5a5a589abcdefULL);

	/* Deleted again: MMIO again, and nothing of the RAM shows. */
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, MMIO_GPA, 0, NULL));
	for (i = 0; i < 4; i++)
		mmio_round(vcpu, gpa, 0x3000 + i);

	/* A second time, with the same host memory. */
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, MMIO_GPA, 2 * MB,
						 mem - 0x4000 / 8));
	ram_round(vcpu, mem, 0x0f0f0f0f0f0f0f0fULL);
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, MMIO_GPA, 0, NULL));
	mmio_round(vcpu, gpa, 0x4000ULL);
	kvm_vm_free(vm);
}

/* A slot moved onto the MMIO address and away again, by its GPA alone. */
TEST(memslot_moved_over_mmio)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu,
					    (void (*)(void))guest_load_store_loop);
	uint64_t gpa = MMIO_GPA + 0x8;
	uint64_t *mem = vm_add_memslot(vm, 1, OTHER_GPA, 2 * MB, 0, NULL);
	int i;

	vcpu_set_args(vcpu, 1, gpa);
	for (i = 0; i < 4; i++)
		mmio_round(vcpu, gpa, 0x7700 + i);
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, MMIO_GPA, 2 * MB,
						 mem));
	ram_round(vcpu, mem + 1, 0x1122112211221122ULL);
	ASSERT_EQ(0, __vm_set_user_memory_region(vm, 1, 0, OTHER_GPA, 2 * MB,
						 mem));
	mmio_round(vcpu, gpa, 0x7800ULL);
	kvm_vm_free(vm);
}

/* ---- an access straddling the end of a slot --------------------------- */

static void guest_straddle(uint64_t gpa)
{
	GUEST_SYNC(*(volatile uint64_t *)gpa);
	*(volatile uint64_t *)gpa = 0x1122334455667788ULL;
	GUEST_DONE();
}

/*
 * 8 bytes at slot_end - 4: the low half is RAM, the high half is not.  The
 * emulator splits the access at the page boundary (x86.c's
 * emulator_read_write()): one MMIO exit for the 4 unbacked bytes only.
 */
TEST(straddle_slot_end)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_straddle);
	uint8_t *mem = vm_add_memslot(vm, 1, RAM_GPA, 2 * MB, 0, NULL);
	uint64_t end = RAM_GPA + 2 * MB;
	uint32_t lo = 0xc4d3e2f1;

	memcpy(mem + 2 * MB - 4, &lo, 4);
	vcpu_set_args(vcpu, 1, end - 4);
	run_expect_mmio(vcpu, end, 4, false);
	mmio_read_answer(vcpu, 0xfefefefe8897a6b5ULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x8897a6b5c4d3e2f1ULL);

	run_expect_mmio(vcpu, end, 4, true);
	EXPECT_EQ(0x11223344ULL, mmio_write_value(vcpu));
	memcpy(&lo, mem + 2 * MB - 4, 4);
	EXPECT_EQ(0x55667788U, lo);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* The other way round: 8 bytes at slot_start - 4, the low half unbacked. */
TEST(straddle_slot_start)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_straddle);
	uint8_t *mem = vm_add_memslot(vm, 1, RAM_GPA, 2 * MB, 0, NULL);
	uint32_t hi = 0x8897a6b5, v;

	memcpy(mem, &hi, 4);
	vcpu_set_args(vcpu, 1, RAM_GPA - 4);
	run_expect_mmio(vcpu, RAM_GPA - 4, 4, false);
	mmio_read_answer(vcpu, 0xfefefefec4d3e2f1ULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x8897a6b5c4d3e2f1ULL);

	run_expect_mmio(vcpu, RAM_GPA - 4, 4, true);
	EXPECT_EQ(0x55667788ULL, mmio_write_value(vcpu));
	memcpy(&v, mem, 4);
	EXPECT_EQ(0x11223344U, v);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * 8 bytes across a page boundary with no slot on either side: two exits,
 * one per page (in-tree's emulator splits there), and the instruction
 * completes once both halves are answered or sent, each exactly once.
 */
TEST(straddle_two_mmio_pages)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, (void (*)(void))guest_straddle);
	uint64_t page2 = MMIO_GPA + PAGE_SIZE;

	vcpu_set_args(vcpu, 1, page2 - 4);
	run_expect_mmio(vcpu, page2 - 4, 4, false);
	mmio_read_answer(vcpu, 0xfefefefec4d3e2f1ULL);
	run_expect_mmio(vcpu, page2, 4, false);
	mmio_read_answer(vcpu, 0xfefefefe8897a6b5ULL);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0x8897a6b5c4d3e2f1ULL);

	run_expect_mmio(vcpu, page2 - 4, 4, true);
	EXPECT_EQ(0x55667788ULL, mmio_write_value(vcpu));
	run_expect_mmio(vcpu, page2, 4, true);
	EXPECT_EQ(0x11223344ULL, mmio_write_value(vcpu));
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
