// SPDX-License-Identifier: GPL-2.0-only
/*
 * String instructions on MMIO and on port I/O, emulated by KVM (SDM Vol.
 * 2B MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS, and 2B REP/REPE/REPNE): REP MOVS
 * RAM->MMIO, MMIO->RAM and MMIO->MMIO, REP STOS to MMIO, LODS from MMIO,
 * REPE CMPS and REPNE SCAS stopping early, DF=1, elements of 1, 2, 4 and
 * 8 bytes, strings crossing a 4 KiB page in RAM and running from RAM into
 * MMIO (and MMIO into RAM) in the middle, with an element split across
 * the boundary; REP INS/OUTS to a port the host handles, from RAM and
 * from MMIO.
 *
 * The host's fake device (lib/emu_dev.c) answers reads with bytes that
 * are a function of the address and logs every exit with the guest's
 * RCX/RSI/RDI at that moment.  The host checks every element's exit
 * (address, length, direction, data, order), the progress the registers
 * show at each exit (a REP string instruction is resumable after every
 * exit to userspace: the registers count the elements done), the final
 * registers and flags, and the RAM the instruction wrote.
 *
 * Per exit, as in-tree KVM does it (and the kvmx emulator documents): at
 * an MMIO read the element is not done yet, so RCX still counts it; an
 * MMIO write exits once the element is done.  Port I/O may carry several
 * elements per exit (in-tree batches INS up to a page, OUTS one per
 * exit): any count >= 1 is accepted, the bytes must arrive exactly once
 * and in order.
 */
#include "kvmx_test.h"
#include "emu_dev.h"

#define MMIO_GPA	0xc0000000UL
#define RAM_GPA		0x40000000UL	/* an extra slot, MMIO around it */
#define RAM_SIZE	(2UL << 20)
#define RAM_END		(RAM_GPA + RAM_SIZE)
#define SRC		(RAM_GPA + 0x1000)	/* host-filled pattern */
#define DST		(RAM_GPA + 0x4000)	/* zeroed */
#define PAGE_CROSS	(RAM_GPA + 0x8000)	/* a page boundary in RAM */

GPR_INSN_FN(rep_movsb, "rep movsb");
GPR_INSN_FN(rep_movsw, "rep movsw");
GPR_INSN_FN(rep_movsl, "rep movsl");
GPR_INSN_FN(rep_movsq, "rep movsq");
GPR_INSN_FN(rep_stosb, "rep stosb");
GPR_INSN_FN(rep_stosw, "rep stosw");
GPR_INSN_FN(rep_stosq, "rep stosq");
GPR_INSN_FN(rep_lodsb, "rep lodsb");
GPR_INSN_FN(lodsq, "lodsq");
GPR_INSN_FN(repe_cmpsb, "repe cmpsb");
GPR_INSN_FN(repe_cmpsw, "repe cmpsw");
GPR_INSN_FN(repne_scasb, "repne scasb");
GPR_INSN_FN(repe_scasl, "repe scasl");
GPR_INSN_FN(rep_insb, "mov $0x5e0, %dx\n\t" "rep insb");
GPR_INSN_FN(rep_insw, "mov $0x5e0, %dx\n\t" "rep insw");
GPR_INSN_FN(rep_outsb, "mov $0x5e0, %dx\n\t" "rep outsb");
GPR_INSN_FN(rep_outsl, "mov $0x5e0, %dx\n\t" "rep outsl");
GPR_INSN_FN(rep_outsw, "mov $0x5e0, %dx\n\t" "rep outsw");
_Static_assert(EMU_DEV_PORT == 0x5e0, "the asm above names the port");

/* Guest data: the registers before and after the instruction. */
struct gst guest_state;

static void guest_string(void (*fn)(struct gst *))
{
	fn(&guest_state);
	GUEST_SYNC(0);
}

/* ---- host ------------------------------------------------------------- */

static struct emu_dev dev;

struct run {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct gst st;		/* after the instruction */
	unsigned int pos;	/* next log entry to check */
};

static uint8_t src_byte(uint64_t i)
{
	return (uint8_t)(i * 13 + 7);
}

/*
 * A VM whose guest will run @fn once with these registers.  The RAM slot
 * holds src_byte() at SRC, other patterns at both of its ends and around
 * PAGE_CROSS, and zeroes elsewhere.
 */
static void string_setup(struct run *r, void (*fn)(struct gst *), uint64_t rsi,
			 uint64_t rdi, uint64_t rcx, uint64_t rax, bool df)
{
	struct gst st = { .rax = rax, .rbx = 0xb0b0, .rcx = rcx, .rdx = 0xd0d0,
			  .rsi = rsi, .rdi = rdi, .r8 = 8, .r9 = 9 };
	uint8_t *ram;
	int i;

	r->vm = vm_create_guest(&r->vcpu, (void (*)(void))guest_string);
	ram = vm_add_memslot(r->vm, 1, RAM_GPA, RAM_SIZE, 0, NULL);
	for (i = 0; i < 0x1000; i++) {
		ram[SRC - RAM_GPA + i] = src_byte(i);
		ram[i] = (uint8_t)(0xa0 + i);
		ram[RAM_SIZE - 0x1000 + i] = (uint8_t)(0x50 + i);
		ram[PAGE_CROSS - RAM_GPA - 0x800 + i] = src_byte(i + 0x800);
	}
	st.flags = X86_EFLAGS_FIXED | X86_EFLAGS_IF | (df ? EFL_DF : 0);
	memcpy(addr_gpa2hva(r->vm, (uint64_t)(uintptr_t)&guest_state), &st,
	       sizeof(st));
	vcpu_set_args(r->vcpu, 1, (uint64_t)(uintptr_t)fn);
	emu_dev_clear(&dev);
	r->pos = 0;
}

/* Runs the instruction; r->st has the registers after it. */
static void string_go(struct run *r)
{
	struct ucall uc;

	TEST_ASSERT(emu_dev_run(&dev, r->vcpu, &uc) == UCALL_SYNC,
		    "guest did not report");
	memcpy(&r->st, addr_gpa2hva(r->vm, (uint64_t)(uintptr_t)&guest_state),
	       sizeof(r->st));
}

static void string_run(struct run *r, void (*fn)(struct gst *), uint64_t rsi,
		       uint64_t rdi, uint64_t rcx, uint64_t rax, bool df)
{
	string_setup(r, fn, rsi, rdi, rcx, rax, df);
	string_go(r);
}

static void string_done(struct __test_metadata *_metadata, struct run *r)
{
	struct ucall uc;

	EXPECT_EQ(r->pos, dev.n) TH_LOG("%u device accesses, %u expected",
					dev.n, r->pos);
	if (r->pos != dev.n || !_metadata->passed)
		emu_dev_dump(&dev);
	ASSERT_EQ(UCALL_DONE, emu_dev_run(&dev, r->vcpu, &uc));
	kvm_vm_free(r->vm);
}

static uint8_t *hva(struct run *r, uint64_t gpa)
{
	return addr_gpa2hva(r->vm, gpa);
}

/*
 * The next log entry: one MMIO access of @len at @gpa, with RCX = @rcx at
 * the exit (and RSI/RDI if not 0), and for writes @data.
 */
static bool __expect_elem(struct __test_metadata *_metadata, struct run *r,
			  uint64_t gpa, uint32_t len, bool write,
			  const uint8_t *data, uint64_t rcx, uint64_t rsi,
			  uint64_t rdi)
{
	unsigned int at = r->pos;
	struct emu_access *a;
	char why[200];

	if (!emu_dev_match(&dev, &r->pos, gpa, len, write, data, why,
			   sizeof(why))) {
		TH_LOG("%s", why);
		_metadata->passed = 0;
		return false;
	}
	a = &dev.log[at];
	if (a->rcx != rcx || (rsi && a->rsi != rsi) || (rdi && a->rdi != rdi)) {
		TH_LOG("access %u (%s 0x%lx): RCX 0x%lx RSI 0x%lx RDI 0x%lx at the exit, expected 0x%lx 0x%lx 0x%lx",
		       at, write ? "write" : "read", gpa, a->rcx, a->rsi,
		       a->rdi, rcx, rsi, rdi);
		_metadata->passed = 0;
		return false;
	}
	return true;
}

#define expect_elem(r, gpa, len, write, data, rcx, rsi, rdi) \
	__expect_elem(_metadata, r, gpa, len, write, data, rcx, rsi, rdi)

static void check_regs(struct __test_metadata *_metadata, struct run *r,
		       uint64_t rcx, uint64_t rsi, uint64_t rdi)
{
	EXPECT_EQ(rcx, r->st.rcx);
	EXPECT_EQ(rsi, r->st.rsi);
	EXPECT_EQ(rdi, r->st.rdi);
}

/* ---- MOVS ------------------------------------------------------------- */

/* RAM -> MMIO: one write exit per element, after the element is done. */
static void movs_ram_to_mmio(struct __test_metadata *_metadata,
			     void (*fn)(struct gst *), uint32_t size,
			     uint64_t src, uint64_t n)
{
	uint64_t dst = MMIO_GPA + 0x100, i;
	struct run r;

	string_run(&r, fn, src, dst, n, 0, false);
	for (i = 0; i < n; i++)
		if (!expect_elem(&r, dst + i * size, size, true,
				 hva(&r, src + i * size), n - i - 1,
				 src + (i + 1) * size, dst + (i + 1) * size))
			break;
	check_regs(_metadata, &r, 0, src + n * size, dst + n * size);
	string_done(_metadata, &r);
}

TEST(rep_movsb_ram_to_mmio)
{
	movs_ram_to_mmio(_metadata, rep_movsb, 1, SRC, 5);
}

TEST(rep_movsq_ram_to_mmio)
{
	movs_ram_to_mmio(_metadata, rep_movsq, 8, SRC, 3);
}

/* The source crosses a 4 KiB page in RAM (an element split by it). */
TEST(rep_movsq_ram_page_crossing_to_mmio)
{
	movs_ram_to_mmio(_metadata, rep_movsq, 8, PAGE_CROSS - 12, 3);
}

/* MMIO -> RAM: a read exit per element, before it is done. */
static void movs_mmio_to_ram(struct __test_metadata *_metadata,
			     void (*fn)(struct gst *), uint32_t size,
			     uint64_t dst, uint64_t n)
{
	uint64_t src = MMIO_GPA + 0x203, i, j;
	uint8_t after;
	struct run r;

	string_setup(&r, fn, src, dst, n, 0, false);
	after = *hva(&r, dst + n * size);
	string_go(&r);
	for (i = 0; i < n; i++)
		if (!expect_elem(&r, src + i * size, size, false, NULL, n - i,
				 src + i * size, dst + i * size))
			break;
	check_regs(_metadata, &r, 0, src + n * size, dst + n * size);
	for (j = 0; j < n * size; j++)
		ASSERT_EQ(emu_dev_byte(src + j), *hva(&r, dst + j))
			TH_LOG("byte %lu", j);
	EXPECT_EQ(after, *hva(&r, dst + n * size));
	string_done(_metadata, &r);
}

TEST(rep_movsl_mmio_to_ram)
{
	movs_mmio_to_ram(_metadata, rep_movsl, 4, DST, 4);
}

TEST(rep_movsw_mmio_to_ram)
{
	movs_mmio_to_ram(_metadata, rep_movsw, 2, DST + 1, 5);
}

/* The destination crosses a 4 KiB page in RAM, an element split by it. */
TEST(rep_movsl_mmio_to_ram_page_crossing)
{
	movs_mmio_to_ram(_metadata, rep_movsl, 4, PAGE_CROSS - 6, 4);
}

/* MMIO -> MMIO: read the element, write it, next. */
TEST(rep_movsw_mmio_to_mmio)
{
	uint64_t src = MMIO_GPA + 0x300, dst = MMIO_GPA + 0x1400, n = 3, i;
	struct run r;

	string_run(&r, rep_movsw, src, dst, n, 0, false);
	for (i = 0; i < n; i++) {
		uint8_t d[2] = { emu_dev_byte(src + 2 * i),
				 emu_dev_byte(src + 2 * i + 1) };

		if (!expect_elem(&r, src + 2 * i, 2, false, NULL, n - i,
				 src + 2 * i, dst + 2 * i) ||
		    !expect_elem(&r, dst + 2 * i, 2, true, d, n - i - 1,
				 src + 2 * i + 2, dst + 2 * i + 2))
			break;
	}
	check_regs(_metadata, &r, 0, src + 2 * n, dst + 2 * n);
	string_done(_metadata, &r);
}

/* DF = 1: MMIO -> MMIO downwards, 8-byte elements. */
TEST(rep_movsq_mmio_to_mmio_df)
{
	uint64_t src = MMIO_GPA + 0x340, dst = MMIO_GPA + 0x1440, n = 3, i;
	struct run r;

	string_run(&r, rep_movsq, src, dst, n, 0, true);
	for (i = 0; i < n; i++) {
		uint64_t v = emu_dev_value(src - 8 * i, 8);

		if (!expect_elem(&r, src - 8 * i, 8, false, NULL, n - i,
				 src - 8 * i, dst - 8 * i) ||
		    !expect_elem(&r, dst - 8 * i, 8, true, (uint8_t *)&v,
				 n - i - 1, src - 8 * i - 8, dst - 8 * i - 8))
			break;
	}
	check_regs(_metadata, &r, 0, src - 8 * n, dst - 8 * n);
	EXPECT_EQ(EFL_DF, r.st.flags & EFL_DF);
	string_done(_metadata, &r);
}

/*
 * From RAM into MMIO in the middle of the string: the CPU moves the RAM
 * elements itself, the first element touching MMIO exits, and an element
 * that straddles the slot's end is split there (its RAM byte is not an
 * exit).  Source = RAM_END - 3, words: RAM, RAM|MMIO, MMIO, MMIO.
 */
TEST(rep_movsw_source_runs_from_ram_into_mmio)
{
	uint64_t src = RAM_END - 3, dst = DST, n = 4, j;
	struct run r;
	uint8_t want[8];

	string_run(&r, rep_movsw, src, dst, n, 0, false);
	expect_elem(&r, RAM_END, 1, false, NULL, 3, src + 2, dst + 2);
	expect_elem(&r, RAM_END + 1, 2, false, NULL, 2, src + 4, dst + 4);
	expect_elem(&r, RAM_END + 3, 2, false, NULL, 1, src + 6, dst + 6);
	check_regs(_metadata, &r, 0, src + 8, dst + 8);
	for (j = 0; j < 3; j++)
		want[j] = (uint8_t)(0x50 + 0x1000 - 3 + j);
	for (j = 3; j < 8; j++)
		want[j] = emu_dev_byte(RAM_END + j - 3);
	for (j = 0; j < 8; j++)
		EXPECT_EQ(want[j], *hva(&r, dst + j)) TH_LOG("byte %lu", j);
	string_done(_metadata, &r);
}

/* The other way: MMIO below the slot's start, then RAM (no exits). */
TEST(rep_movsb_source_runs_from_mmio_into_ram)
{
	uint64_t src = RAM_GPA - 2, dst = DST, n = 6, j;
	struct run r;

	string_run(&r, rep_movsb, src, dst, n, 0, false);
	expect_elem(&r, src, 1, false, NULL, 6, src, dst);
	expect_elem(&r, src + 1, 1, false, NULL, 5, src + 1, dst + 1);
	check_regs(_metadata, &r, 0, src + n, dst + n);
	EXPECT_EQ(emu_dev_byte(src), *hva(&r, dst));
	EXPECT_EQ(emu_dev_byte(src + 1), *hva(&r, dst + 1));
	for (j = 2; j < n; j++)
		EXPECT_EQ((uint8_t)(0xa0 + j - 2), *hva(&r, dst + j));
	string_done(_metadata, &r);
}

/* ---- STOS ------------------------------------------------------------- */

TEST(rep_stosw_to_mmio)
{
	uint64_t dst = MMIO_GPA + 0x501, n = 5, i;
	uint8_t d[2] = { 0x34, 0x12 };
	struct run r;

	string_run(&r, rep_stosw, 0, dst, n, 0xaaaa1234, false);
	for (i = 0; i < n; i++)
		if (!expect_elem(&r, dst + 2 * i, 2, true, d, n - i - 1, 0,
				 dst + 2 * i + 2))
			break;
	check_regs(_metadata, &r, 0, 0, dst + 2 * n);
	string_done(_metadata, &r);
}

TEST(rep_stosq_to_mmio_df)
{
	uint64_t dst = MMIO_GPA + 0x5f8, n = 3, i;
	uint64_t v = 0x1122334455667788ULL;
	struct run r;

	string_run(&r, rep_stosq, 0, dst, n, v, true);
	for (i = 0; i < n; i++)
		if (!expect_elem(&r, dst - 8 * i, 8, true, (uint8_t *)&v,
				 n - i - 1, 0, dst - 8 * i - 8))
			break;
	check_regs(_metadata, &r, 0, 0, dst - 8 * n);
	string_done(_metadata, &r);
}

/* From RAM into MMIO: the RAM bytes are stored, then one exit per byte. */
TEST(rep_stosb_runs_from_ram_into_mmio)
{
	uint64_t dst = RAM_END - 3, n = 6, i;
	uint8_t d = 0x5c;
	struct run r;

	string_run(&r, rep_stosb, 0, dst, n, d, false);
	for (i = 3; i < n; i++)
		if (!expect_elem(&r, dst + i, 1, true, &d, n - i - 1, 0,
				 dst + i + 1))
			break;
	check_regs(_metadata, &r, 0, 0, dst + n);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(d, *hva(&r, dst + i));
	string_done(_metadata, &r);
}

/* ---- LODS ------------------------------------------------------------- */

TEST(rep_lodsb_from_mmio)
{
	uint64_t src = MMIO_GPA + 0x600, n = 3, i;
	struct run r;

	string_run(&r, rep_lodsb, src, 0, n, 0x7777777777777777ULL, false);
	for (i = 0; i < n; i++)
		if (!expect_elem(&r, src + i, 1, false, NULL, n - i, src + i, 0))
			break;
	check_regs(_metadata, &r, 0, src + n, 0);
	EXPECT_EQ(0x7777777777777700ULL | emu_dev_byte(src + n - 1), r.st.rax);
	string_done(_metadata, &r);
}

TEST(lodsq_from_mmio_df)
{
	uint64_t src = MMIO_GPA + 0x640;
	struct run r;

	string_run(&r, lodsq, src, 0, 7, 0, true);
	expect_elem(&r, src, 8, false, NULL, 7, src, 0);
	check_regs(_metadata, &r, 7, src - 8, 0);
	EXPECT_EQ(emu_dev_value(src, 8), r.st.rax);
	string_done(_metadata, &r);
}

/* ---- CMPS and SCAS: the repeat condition stops them early ------------ */

/*
 * REPE CMPSB: MMIO (RSI) against RAM (RDI) holding the device's bytes
 * but for byte 3: stops after 4 elements with ZF = 0.
 */
TEST(repe_cmpsb_mmio_ram_stops_at_difference)
{
	uint64_t src = MMIO_GPA + 0x700, dst = DST, n = 10, i;
	struct run r;

	string_setup(&r, repe_cmpsb, src, dst, n, 0, false);
	for (i = 0; i < n; i++)
		*hva(&r, dst + i) = emu_dev_byte(src + i);
	*hva(&r, dst + 3) ^= 0x40;
	string_go(&r);
	for (i = 0; i < 4; i++)
		if (!expect_elem(&r, src + i, 1, false, NULL, n - i, src + i,
				 dst + i))
			break;
	check_regs(_metadata, &r, n - 4, src + 4, dst + 4);
	EXPECT_EQ(0, r.st.flags & EFL_ZF);
	string_done(_metadata, &r);
}

/* REPE CMPSW of an MMIO string with itself: equal to the end, ZF = 1. */
TEST(repe_cmpsw_mmio_mmio_equal)
{
	uint64_t s = MMIO_GPA + 0x780, n = 3, i;
	struct run r;

	string_run(&r, repe_cmpsw, s, s, n, 0, false);
	for (i = 0; i < n; i++)
		if (!expect_elem(&r, s + 2 * i, 2, false, NULL, n - i,
				 s + 2 * i, s + 2 * i) ||
		    !expect_elem(&r, s + 2 * i, 2, false, NULL, n - i,
				 s + 2 * i, s + 2 * i))
			break;
	check_regs(_metadata, &r, 0, s + 2 * n, s + 2 * n);
	EXPECT_EQ(EFL_ZF, r.st.flags & EFL_ZF);
	string_done(_metadata, &r);
}

/* REPNE SCASB for the device's byte at index 5 (or its first copy). */
TEST(repne_scasb_mmio_stops_at_match)
{
	uint64_t s = MMIO_GPA + 0x800, n = 12, k = 0;
	uint8_t al = emu_dev_byte(s + 5);
	struct run r;
	uint64_t i;

	while (emu_dev_byte(s + k) != al)
		k++;
	string_run(&r, repne_scasb, 0, s, n, 0x4400 | al, false);
	for (i = 0; i <= k; i++)
		if (!expect_elem(&r, s + i, 1, false, NULL, n - i, 0, s + i))
			break;
	check_regs(_metadata, &r, n - k - 1, 0, s + k + 1);
	EXPECT_EQ(EFL_ZF, r.st.flags & EFL_ZF);
	string_done(_metadata, &r);
}

/* REPE SCASL downwards, EAX = the first element: stops at the next. */
TEST(repe_scasl_mmio_df_stops_at_difference)
{
	uint64_t s = MMIO_GPA + 0x880, n = 6, k = 1;
	uint32_t eax = (uint32_t)emu_dev_value(s, 4);
	struct run r;
	uint64_t i;

	while ((uint32_t)emu_dev_value(s - 4 * k, 4) == eax)
		k++;
	string_run(&r, repe_scasl, 0, s, n, eax, true);
	for (i = 0; i <= k; i++)
		if (!expect_elem(&r, s - 4 * i, 4, false, NULL, n - i, 0,
				 s - 4 * i))
			break;
	check_regs(_metadata, &r, n - k - 1, 0, s - 4 * (k + 1));
	EXPECT_EQ(0, r.st.flags & EFL_ZF);
	string_done(_metadata, &r);
}

/* ---- INS and OUTS ----------------------------------------------------- */

/*
 * The port exits in order: @n elements of @size bytes in all, each exit
 * with count >= 1.  RCX at an exit counts the elements not done: OUTS
 * exits with its elements done, INS before it stores them.
 */
static void expect_pio(struct __test_metadata *_metadata, struct run *r,
		       bool out, uint32_t size, uint64_t n)
{
	uint64_t done = 0;

	while (done < n && r->pos < dev.n) {
		struct emu_access *a = &dev.log[r->pos];
		uint64_t rcx = out ? n - done - a->count : n - done;

		if (!a->pio || a->write != out || a->addr != EMU_DEV_PORT ||
		    a->size != size || a->count < 1 ||
		    a->count > n - done || a->rcx != rcx) {
			TH_LOG("access %u: %s port 0x%lx size %u count %u, RCX 0x%lx; expected %s of %u-byte elements, RCX 0x%lx",
			       r->pos, a->pio ? (a->write ? "out" : "in") : "MMIO",
			       a->addr, a->size, a->count, a->rcx,
			       out ? "out" : "in", size, rcx);
			_metadata->passed = 0;
			return;
		}
		done += a->count;
		r->pos++;
	}
	EXPECT_EQ(n, done);
}

static void outs_from_ram(struct __test_metadata *_metadata,
			  void (*fn)(struct gst *), uint32_t size, uint64_t n)
{
	struct run r;

	string_run(&r, fn, SRC, 0, n, 0, false);
	expect_pio(_metadata, &r, true, size, n);
	ASSERT_EQ(n * size, dev.out_len);
	EXPECT_EQ(0, memcmp(dev.out, hva(&r, SRC), n * size));
	check_regs(_metadata, &r, 0, SRC + n * size, 0);
	string_done(_metadata, &r);
}

TEST(rep_outsb_from_ram)
{
	outs_from_ram(_metadata, rep_outsb, 1, 7);
}

TEST(rep_outsl_from_ram)
{
	outs_from_ram(_metadata, rep_outsl, 4, 5);
}

static void ins_to_ram(struct __test_metadata *_metadata,
		       void (*fn)(struct gst *), uint32_t size, uint64_t n,
		       uint64_t dst, bool df)
{
	uint64_t i, j;
	struct run r;

	string_run(&r, fn, 0, dst, n, 0, df);
	expect_pio(_metadata, &r, false, size, n);
	ASSERT_EQ(n * size, dev.in_len);
	for (i = 0; i < n; i++) {
		uint64_t at = df ? dst - i * size : dst + i * size;

		for (j = 0; j < size; j++)
			ASSERT_EQ(emu_pio_byte(i * size + j), *hva(&r, at + j))
				TH_LOG("element %lu byte %lu", i, j);
	}
	check_regs(_metadata, &r, 0, 0, df ? dst - n * size : dst + n * size);
	string_done(_metadata, &r);
}

TEST(rep_insb_to_ram)
{
	ins_to_ram(_metadata, rep_insb, 1, 9, DST, false);
}

/* DF = 1, across a 4 KiB page boundary in RAM. */
TEST(rep_insw_to_ram_df_page_crossing)
{
	ins_to_ram(_metadata, rep_insw, 2, 6, PAGE_CROSS + 4, true);
}

/* OUTS whose source is MMIO: a read exit, then the port, per element. */
TEST(rep_outsw_from_mmio)
{
	uint64_t src = MMIO_GPA + 0x900, n = 3, i;
	struct run r;

	string_run(&r, rep_outsw, src, 0, n, 0, false);
	for (i = 0; i < n; i++) {
		struct emu_access *a;

		if (!expect_elem(&r, src + 2 * i, 2, false, NULL, n - i,
				 src + 2 * i, 0))
			break;
		ASSERT_LT(r.pos, dev.n);
		a = &dev.log[r.pos++];
		ASSERT_TRUE(a->pio && a->write && a->count == 1 && a->size == 2)
			TH_LOG("access %u is not a 2-byte OUT", r.pos - 1);
	}
	ASSERT_EQ(2 * n, dev.out_len);
	for (i = 0; i < 2 * n; i++)
		EXPECT_EQ(emu_dev_byte(src + i), dev.out[i]);
	check_regs(_metadata, &r, 0, src + 2 * n, 0);
	string_done(_metadata, &r);
}

TEST_HARNESS_MAIN
