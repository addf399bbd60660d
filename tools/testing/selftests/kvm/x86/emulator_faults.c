// SPDX-License-Identifier: GPL-2.0-only
/*
 * Faulting accesses around MMIO: the guest must see the exception the CPU
 * would raise, through its own IDT, whether the CPU raises it (the fault
 * comes before any MMIO) or KVM's emulator does (it is emulating a REP
 * string instruction whose first element was MMIO, and reaches a page the
 * guest's page tables refuse):
 *
 * - REP MOVS/STOS from or to MMIO whose other operand (or STOS's own
 *   destination) runs into a not-present page: #PF with CR2 = the first
 *   byte of that page, P = 0, W as the access (SDM Vol. 3A 4.7), and
 *   RCX/RSI/RDI counting exactly the elements done before it (a REP
 *   string instruction's fault leaves them so: Vol. 2B REP);
 * - the same into a read-only page with CR0.WP = 1: P = 1, W = 1;
 * - CPL 3 to MMIO through a supervisor page (U = 1 in the error code),
 *   directly and from a REP MOVS into a supervisor page;
 * - CR4.SMAP: a supervisor read of MMIO through a user page faults, and
 *   the same read with RFLAGS.AC = 1 (STAC) reaches the device; a REP
 *   MOVS from MMIO into a user page faults (Vol. 3A 4.6.1);
 * - misaligned MOVDQA and CMPXCHG16B on MMIO: #GP(0) (Vol. 2A);
 * - a 64-bit access whose last byte is non-canonical: #GP(0), directly
 *   and from a REP MOVSQ crossing from the top of the lower half.
 *
 * The host maps the regions involved with 4 KiB pages of its own (the
 * library maps everything with 2 MiB pages) and checks, with the fake
 * device of lib/emu_dev.c, which MMIO accesses happened before the fault.
 */
#include "kvmx_test.h"
#include "emu_dev.h"

#define MMIO_GPA	0xc0000000UL	/* VA == GPA, 4 KiB pages */
#define RAM_GPA		0x40000000UL	/* an extra slot, 4 KiB pages */
#define RAM_SIZE	(2UL << 20)
#define RAM_PAGE(n)	(RAM_GPA + (n) * PAGE_SIZE)
#define MMIO_PAGE(n)	(MMIO_GPA + (n) * PAGE_SIZE)

/* What the host does to a page's PTE (the page index in its region). */
#define RAM_NP		2	/* not present */
#define RAM_RO		4	/* read-only */
#define RAM_SUPER	6	/* supervisor (in the CPL 3 test) */
#define RAM_USER	6	/* user (in the SMAP tests) */
#define MMIO_NP		1
#define MMIO_SUPER	3	/* supervisor (CPL 3 test) / user (SMAP) */

/* The top page of the lower half, mapped to a RAM page. */
#define TOP_VA		0x00007ffffffff000UL
#define TOP_RAM		RAM_PAGE(10)

#define LM_PML4		0x4000UL
#define LM_PDPT		0x5000UL
#define LM_PD		0x6000UL
#define LM_GDT		0x1000UL
#define LM_TSS		0x2000UL
#define SEL_UCODE	0x28	/* added by fvm_to_user() */
#define SEL_UDATA	0x30
#define X86_EFLAGS_IOPL3 (3UL << 12)

/* ---- guest ------------------------------------------------------------ */

/* What the guest's handler saw: the exception and the string registers. */
struct seen {
	uint64_t count, vector, error, rip, cr2, rcx, rsi, rdi;
};

/* Guest data: where the handler resumes, and what it saw. */
uint64_t exc_resume;
struct seen seen;
/* Addresses of the faulting instructions. */
extern const char f_movsb[], f_stosl[], f_movsq[], f_load[], f_cx16[],
	f_movdqa[];

static void record_and_resume(struct guest_exception_frame *f)
{
	seen.count++;
	seen.vector = f->vector;
	seen.error = f->error_code;
	seen.rip = f->rip;
	seen.cr2 = read_cr2();
	seen.rcx = f->rcx;
	seen.rsi = f->rsi;
	seen.rdi = f->rdi;
	f->rip = exc_resume;
}

#define ARM_RESUME "lea 1f(%%rip), %%r11\n\t" \
		   "mov %%r11, exc_resume(%%rip)\n\t"

/* REP MOVSB that may fault; returns RCX after it (or at the fault). */
static uint64_t __attribute__((noinline)) do_movsb(uint64_t *src, uint64_t *dst, uint64_t n)
{
	asm volatile(ARM_RESUME "f_movsb: rep movsb\n\t1:\n\t"
		     : "+S"(*src), "+D"(*dst), "+c"(n) : : "r11", "memory");
	return n;
}

static void guest_movsb(uint64_t src, uint64_t dst, uint64_t n)
{
	do_movsb(&src, &dst, n);
	GUEST_SYNC(0);
}

static void guest_stosl(uint64_t unused, uint64_t dst, uint64_t n)
{
	asm volatile(ARM_RESUME "f_stosl: rep stosl\n\t1:\n\t"
		     : "+D"(dst), "+c"(n) : "a"(0x11223344) : "r11", "memory");
	GUEST_SYNC(0);
}

static void guest_movsq(uint64_t src, uint64_t dst, uint64_t n)
{
	asm volatile(ARM_RESUME "f_movsq: rep movsq\n\t1:\n\t"
		     : "+S"(src), "+D"(dst), "+c"(n) : : "r11", "memory");
	GUEST_SYNC(0);
}

static void __attribute__((noinline)) do_load(uint64_t addr)
{
	asm volatile(ARM_RESUME "f_load: mov (%0), %%rax\n\t1:\n\t"
		     : : "r"(addr) : "rax", "r11", "memory");
}

static void guest_load(uint64_t addr, uint64_t unused1, uint64_t unused2)
{
	do_load(addr);
	GUEST_SYNC(0);
}

static void guest_movdqa(uint64_t addr, uint64_t unused1, uint64_t unused2)
{
	asm volatile(ARM_RESUME "f_movdqa: movdqa (%0), %%xmm0\n\t1:\n\t"
		     : : "r"(addr) : "r11", "memory");
	GUEST_SYNC(0);
}

static void guest_cx16(uint64_t addr, uint64_t unused1, uint64_t unused2)
{
	asm volatile(ARM_RESUME "f_cx16: lock cmpxchg16b (%0)\n\t1:\n\t"
		     : : "r"(addr), "a"(0), "d"(0), "b"(0), "c"(0)
		     : "r11", "memory", "cc");
	GUEST_SYNC(0);
}

/* SMAP: the read faults with AC = 0, and reaches MMIO with AC = 1. */
static void guest_smap(uint64_t addr, uint64_t unused1, uint64_t unused2)
{
	uint64_t v;

	write_cr4(read_cr4() | X86_CR4_SMAP);
	do_load(addr);
	asm volatile("stac\n\t" "mov (%1), %0\n\t" "clac\n\t"
		     : "=r"(v) : "r"(addr) : "memory");
	GUEST_SYNC(v);
}

/* SMAP: REP MOVS from MMIO into a user page, with AC = 0 then 1. */
static void guest_smap_movsb(uint64_t src, uint64_t dst, uint64_t n)
{
	write_cr4(read_cr4() | X86_CR4_SMAP);
	n = do_movsb(&src, &dst, n);
	asm volatile("stac\n\t" "rep movsb\n\t" "clac\n\t"
		     : "+S"(src), "+D"(dst), "+c"(n) : : "memory");
	GUEST_SYNC(n);
}

/* ---- host ------------------------------------------------------------- */

static struct emu_dev dev;

/*
 * Maps the 2 MiB of the library's identity map at @va with a page table
 * of 4 KiB pages (same frames); returns the host view of its 512 PTEs.
 */
static uint64_t *split_2m(struct kvm_vm *vm, uint64_t va)
{
	uint64_t *pde = addr_gpa2hva(vm, LM_PD + (va >> 30) * PAGE_SIZE +
				     ((va >> 21) & 511) * 8);
	uint64_t pt = vm_alloc(vm, PAGE_SIZE, PAGE_SIZE);
	uint64_t *pte = addr_gpa2hva(vm, pt);
	unsigned int i;

	for (i = 0; i < 512; i++)
		pte[i] = (va + i * PAGE_SIZE) | PTE_P | PTE_W;
	*pde = pt | PTE_P | PTE_W;
	return pte;
}

/* TOP_VA -> TOP_RAM: PML4[255] -> PDPT[511] -> PD[511] -> PT[511]. */
static void map_top_page(struct kvm_vm *vm)
{
	uint64_t pdpt = vm_alloc(vm, PAGE_SIZE, PAGE_SIZE);
	uint64_t pd = vm_alloc(vm, PAGE_SIZE, PAGE_SIZE);
	uint64_t pt = vm_alloc(vm, PAGE_SIZE, PAGE_SIZE);

	((uint64_t *)addr_gpa2hva(vm, LM_PML4))[255] = pdpt | PTE_P | PTE_W;
	((uint64_t *)addr_gpa2hva(vm, pdpt))[511] = pd | PTE_P | PTE_W;
	((uint64_t *)addr_gpa2hva(vm, pd))[511] = pt | PTE_P | PTE_W;
	((uint64_t *)addr_gpa2hva(vm, pt))[511] = TOP_RAM | PTE_P | PTE_W;
}

struct fvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint64_t *ram_pt, *mmio_pt;
	uint8_t *ram;
};

static void fvm_create(struct fvm *f, void (*guest)(uint64_t, uint64_t, uint64_t))
{
	unsigned int i;

	f->vm = vm_create_guest(&f->vcpu, (void (*)(void))guest);
	f->ram = vm_add_memslot(f->vm, 1, RAM_GPA, RAM_SIZE, 0, NULL);
	for (i = 0; i < 16 * PAGE_SIZE; i++)
		f->ram[i] = (uint8_t)(i * 3 + 1);
	f->ram_pt = split_2m(f->vm, RAM_GPA);
	f->mmio_pt = split_2m(f->vm, MMIO_GPA);
	map_top_page(f->vm);
	vm_install_exception_handler(f->vm, PF_VECTOR, record_and_resume);
	vm_install_exception_handler(f->vm, GP_VECTOR, record_and_resume);
	emu_dev_clear(&dev);
}

/* Runs to the guest's SYNC; returns its argument and what it saw. */
static uint64_t fvm_run(struct fvm *f, uint64_t a0, uint64_t a1, uint64_t a2,
			struct seen *s)
{
	struct ucall uc;

	vcpu_set_args(f->vcpu, 3, a0, a1, a2);
	TEST_ASSERT(emu_dev_run(&dev, f->vcpu, &uc) == UCALL_SYNC,
		    "guest did not report");
	sync_global_from_guest(f->vm, seen);
	*s = seen;
	return uc.args[0];
}

static void fvm_done(struct __test_metadata *_metadata, struct fvm *f)
{
	struct ucall uc;

	if (!_metadata->passed)
		emu_dev_dump(&dev);
	EXPECT_EQ(UCALL_DONE, emu_dev_run(&dev, f->vcpu, &uc));
	kvm_vm_free(f->vm);
}

static void check_fault(struct __test_metadata *_metadata,
			const struct seen *s, uint64_t vector, uint64_t error,
			const char *rip, uint64_t cr2)
{
	EXPECT_EQ(1, s->count);
	EXPECT_EQ(vector, s->vector) TH_LOG("error code 0x%lx, CR2 0x%lx",
					    s->error, s->cr2);
	EXPECT_EQ(error, s->error);
	EXPECT_EQ((uint64_t)(uintptr_t)rip, s->rip);
	if (vector == PF_VECTOR) {
		EXPECT_EQ(cr2, s->cr2);
	}
}

/* The string registers at the fault: @done elements of @n moved. */
static void check_progress(struct __test_metadata *_metadata,
			   const struct seen *s, uint64_t n, uint64_t done,
			   uint64_t src, uint64_t dst, uint64_t size)
{
	EXPECT_EQ(n - done, s->rcx);
	if (src) {
		EXPECT_EQ(src + done * size, s->rsi);
	}
	EXPECT_EQ(dst + done * size, s->rdi);
}

/*
 * The device log: @spec (see emu_dev_check()) relative to @base, no
 * write data compared, or else @alt if not NULL.  In-tree KVM reads the
 * source of the element whose destination faults before it finds the
 * fault (a MOVS reads before it writes), so @alt has that read too.
 */
static void check_log(struct __test_metadata *_metadata, uint64_t base,
		      const char *spec, const char *alt)
{
	char why[256], why2[256];
	bool ok = emu_dev_check(&dev, base, spec, NULL, NULL, why, sizeof(why));

	if (!ok && alt)
		ok = emu_dev_check(&dev, base, alt, NULL, NULL, why2,
				   sizeof(why2));
	EXPECT_TRUE(ok) TH_LOG("accesses (expected %s, or %s): %s", spec,
			       alt ? alt : "nothing else", why);
}

/* ---- not present, read-only ------------------------------------------ */

/* MMIO -> RAM, the RAM destination runs into a not-present page. */
TEST(rep_movsb_mmio_to_ram_into_not_present)
{
	uint64_t src = MMIO_GPA + 0x100, dst = RAM_PAGE(RAM_NP) - 3, i;
	struct fvm f;
	struct seen s;

	fvm_create(&f, guest_movsb);
	f.ram_pt[RAM_NP] = 0;
	fvm_run(&f, src, dst, 8, &s);
	check_fault(_metadata, &s, PF_VECTOR, PFERR_WRITE, f_movsb,
		    RAM_PAGE(RAM_NP));
	check_progress(_metadata, &s, 8, 3, src, dst, 1);
	check_log(_metadata, src, "R1+0 R1+1 R1+2", "R1+0 R1+1 R1+2 R1+3");
	for (i = 0; i < 3; i++)
		EXPECT_EQ(emu_dev_byte(src + i), f.ram[dst - RAM_GPA + i]);
	fvm_done(_metadata, &f);
}

/* RAM -> MMIO, the RAM source runs into a not-present page: a read. */
TEST(rep_movsb_ram_to_mmio_from_not_present)
{
	uint64_t src = RAM_PAGE(RAM_NP) - 2, dst = MMIO_GPA + 0x200;
	struct fvm f;
	struct seen s;
	char why[200];
	unsigned int pos = 0;

	fvm_create(&f, guest_movsb);
	f.ram_pt[RAM_NP] = 0;
	fvm_run(&f, src, dst, 6, &s);
	check_fault(_metadata, &s, PF_VECTOR, 0, f_movsb, RAM_PAGE(RAM_NP));
	check_progress(_metadata, &s, 6, 2, src, dst, 1);
	EXPECT_TRUE(emu_dev_match(&dev, &pos, dst, 1, true,
				  &f.ram[src - RAM_GPA], why, sizeof(why)) &&
		    emu_dev_match(&dev, &pos, dst + 1, 1, true,
				  &f.ram[src + 1 - RAM_GPA], why, sizeof(why)))
		TH_LOG("%s", why);
	EXPECT_EQ(2, dev.n);
	fvm_done(_metadata, &f);
}

/* STOS to MMIO running into a not-present page: only the emulator sees it. */
TEST(rep_stosl_mmio_into_not_present)
{
	uint64_t dst = MMIO_PAGE(MMIO_NP) - 8;
	struct fvm f;
	struct seen s;

	fvm_create(&f, guest_stosl);
	f.mmio_pt[MMIO_NP] = 0;
	fvm_run(&f, 0, dst, 4, &s);
	check_fault(_metadata, &s, PF_VECTOR, PFERR_WRITE, f_stosl,
		    MMIO_PAGE(MMIO_NP));
	check_progress(_metadata, &s, 4, 2, 0, dst, 4);
	check_log(_metadata, dst, "W4+0 W4+4", NULL);
	fvm_done(_metadata, &f);
}

/* MMIO -> RAM into a read-only page, CR0.WP = 1 (set by the library). */
TEST(rep_movsb_mmio_to_ram_into_read_only)
{
	uint64_t src = MMIO_GPA + 0x300, dst = RAM_PAGE(RAM_RO) - 2;
	struct fvm f;
	struct seen s;

	fvm_create(&f, guest_movsb);
	f.ram_pt[RAM_RO] &= ~PTE_W;
	fvm_run(&f, src, dst, 5, &s);
	check_fault(_metadata, &s, PF_VECTOR, PFERR_PRESENT | PFERR_WRITE,
		    f_movsb, RAM_PAGE(RAM_RO));
	check_progress(_metadata, &s, 5, 2, src, dst, 1);
	check_log(_metadata, src, "R1+0 R1+1", "R1+0 R1+1 R1+2");
	EXPECT_EQ((uint8_t)(RAM_RO * PAGE_SIZE * 3 + 1), f.ram[RAM_RO * PAGE_SIZE]);
	fvm_done(_metadata, &f);
}

/* ---- CPL 3 ------------------------------------------------------------ */

/*
 * The guest runs at CPL 3 (CS/SS DPL 3, IOPL 3 for the ucall's OUT,
 * everything user-accessible but what the test makes supervisor); the
 * handlers run at CPL 0 on the TSS's stack.
 */
static void fvm_to_user(struct fvm *f)
{
	uint64_t *pt, *gdt, stack0;
	struct kvm_sregs s;
	struct kvm_regs r;
	unsigned int i;

	pt = addr_gpa2hva(f->vm, LM_PML4);
	pt[0] |= PTE_US;
	pt = addr_gpa2hva(f->vm, LM_PDPT);
	for (i = 0; i < 4; i++)
		pt[i] |= PTE_US;
	pt = addr_gpa2hva(f->vm, LM_PD);
	for (i = 0; i < 4 * 512; i++)
		pt[i] |= PTE_US;
	for (i = 0; i < 512; i++) {
		f->ram_pt[i] |= PTE_US;
		f->mmio_pt[i] |= PTE_US;
	}
	stack0 = vm_alloc(f->vm, PAGE_SIZE, PAGE_SIZE) + PAGE_SIZE;
	memcpy((uint8_t *)addr_gpa2hva(f->vm, LM_TSS) + 4, &stack0, 8);

	/*
	 * Descriptors for CPL 3 after the library's five entries: IRET back
	 * to user mode loads CS and SS from the GDT and needs DPL 3 there.
	 */
	gdt = addr_gpa2hva(f->vm, LM_GDT);
	gdt[SEL_UCODE / 8] = 0x00affb000000ffffULL;	/* 64-bit code, DPL 3 */
	gdt[SEL_UDATA / 8] = 0x00cff3000000ffffULL;	/* data, DPL 3 */
	vcpu_sregs_get(f->vcpu, &s);
	s.gdt.limit = SEL_UDATA + 7;
	s.cs.dpl = s.ss.dpl = s.ds.dpl = s.es.dpl = s.fs.dpl = s.gs.dpl = 3;
	s.cs.selector = SEL_UCODE | 3;
	s.ss.selector = s.ds.selector = s.es.selector = s.fs.selector =
		s.gs.selector = SEL_UDATA | 3;
	vcpu_sregs_set(f->vcpu, &s);
	vcpu_regs_get(f->vcpu, &r);
	r.rflags |= X86_EFLAGS_IOPL3;
	vcpu_regs_set(f->vcpu, &r);
}

/* The CPU faults before any MMIO: P = 1, U = 1, a read. */
TEST(cpl3_load_from_mmio_supervisor_page)
{
	uint64_t addr = MMIO_PAGE(MMIO_SUPER) + 0x10;
	struct fvm f;
	struct seen s;

	fvm_create(&f, guest_load);
	fvm_to_user(&f);
	f.mmio_pt[MMIO_SUPER] &= ~PTE_US;
	fvm_run(&f, addr, 0, 0, &s);
	check_fault(_metadata, &s, PF_VECTOR, PFERR_PRESENT | PFERR_USER,
		    f_load, addr);
	EXPECT_EQ(0, dev.n);
	fvm_done(_metadata, &f);
}

/* The emulator faults: MMIO -> RAM running into a supervisor page. */
TEST(cpl3_rep_movsb_mmio_to_supervisor_page)
{
	uint64_t src = MMIO_GPA + 0x400, dst = RAM_PAGE(RAM_SUPER) - 3;
	struct fvm f;
	struct seen s;

	fvm_create(&f, guest_movsb);
	fvm_to_user(&f);
	f.ram_pt[RAM_SUPER] &= ~PTE_US;
	fvm_run(&f, src, dst, 7, &s);
	check_fault(_metadata, &s, PF_VECTOR,
		    PFERR_PRESENT | PFERR_WRITE | PFERR_USER, f_movsb,
		    RAM_PAGE(RAM_SUPER));
	check_progress(_metadata, &s, 7, 3, src, dst, 1);
	check_log(_metadata, src, "R1+0 R1+1 R1+2", "R1+0 R1+1 R1+2 R1+3");
	fvm_done(_metadata, &f);
}

/* ---- SMAP ------------------------------------------------------------- */

/* A user page for the CPU: U = 1 at every level of its walk. */
static void make_user(struct fvm *f, uint64_t *pte, uint64_t va)
{
	((uint64_t *)addr_gpa2hva(f->vm, LM_PML4))[0] |= PTE_US;
	((uint64_t *)addr_gpa2hva(f->vm, LM_PDPT))[va >> 30] |= PTE_US;
	*(uint64_t *)addr_gpa2hva(f->vm, LM_PD + (va >> 30) * PAGE_SIZE +
				  ((va >> 21) & 511) * 8) |= PTE_US;
	*pte |= PTE_US;
}

#define SKIP_NO_SMAP() do {						\
	if (!kvm_cpu_has(X86_FEATURE_SMAP))				\
		TEST_SKIP(return, "no SMAP in KVM_GET_SUPPORTED_CPUID");	\
} while (0)

TEST(smap_supervisor_load_from_user_mmio)
{
	uint64_t addr = MMIO_PAGE(MMIO_SUPER) + 0x20;
	struct fvm f;
	struct seen s;
	uint64_t v;

	SKIP_NO_SMAP();
	fvm_create(&f, guest_smap);
	make_user(&f, &f.mmio_pt[MMIO_SUPER], addr);
	v = fvm_run(&f, addr, 0, 0, &s);
	/* AC = 0: a protection fault of a supervisor read, no MMIO. */
	check_fault(_metadata, &s, PF_VECTOR, PFERR_PRESENT, f_load, addr);
	/* AC = 1: the read reaches the device. */
	check_log(_metadata, addr, "R8+0", NULL);
	EXPECT_EQ(emu_dev_value(addr, 8), v);
	fvm_done(_metadata, &f);
}

TEST(smap_rep_movsb_mmio_into_user_page)
{
	uint64_t src = MMIO_GPA + 0x500, dst = RAM_PAGE(RAM_USER) - 2, n = 4;
	struct fvm f;
	struct seen s;
	uint64_t left;

	SKIP_NO_SMAP();
	fvm_create(&f, guest_smap_movsb);
	make_user(&f, &f.ram_pt[RAM_USER], RAM_PAGE(RAM_USER));
	left = fvm_run(&f, src, dst, n, &s);
	check_fault(_metadata, &s, PF_VECTOR, PFERR_PRESENT | PFERR_WRITE,
		    f_movsb, RAM_PAGE(RAM_USER));
	check_progress(_metadata, &s, n, 2, src, dst, 1);
	/* Then, with AC = 1, the remaining two elements complete. */
	EXPECT_EQ(0, left);
	check_log(_metadata, src, "R1+0 R1+1 R1+2 R1+3",
		  "R1+0 R1+1 R1+2 R1+2 R1+3");
	/* (the second REP MOVSB starts again at element 2) */
	EXPECT_EQ(emu_dev_byte(src + 3), f.ram[dst + 3 - RAM_GPA]);
	fvm_done(_metadata, &f);
}

/* ---- alignment and canonical addresses: #GP(0) ------------------------ */

TEST(movdqa_misaligned_mmio)
{
	struct fvm f;
	struct seen s;

	fvm_create(&f, guest_movdqa);
	fvm_run(&f, MMIO_GPA + 0x608, 0, 0, &s);
	check_fault(_metadata, &s, GP_VECTOR, 0, f_movdqa, 0);
	EXPECT_EQ(0, dev.n);
	fvm_done(_metadata, &f);
}

TEST(cmpxchg16b_misaligned_mmio)
{
	struct fvm f;
	struct seen s;

	if (!kvm_cpu_has(X86_FEATURE_CX16))
		TEST_SKIP(return, "no CMPXCHG16B in KVM_GET_SUPPORTED_CPUID");
	fvm_create(&f, guest_cx16);
	fvm_run(&f, MMIO_GPA + 0x618, 0, 0, &s);
	check_fault(_metadata, &s, GP_VECTOR, 0, f_cx16, 0);
	EXPECT_EQ(0, dev.n);
	fvm_done(_metadata, &f);
}

/* 8 bytes at 0x7ffffffffffc: the last 4 are past the lower half. */
TEST(load_last_byte_noncanonical)
{
	struct fvm f;
	struct seen s;

	fvm_create(&f, guest_load);
	fvm_run(&f, TOP_VA + PAGE_SIZE - 4, 0, 0, &s);
	check_fault(_metadata, &s, GP_VECTOR, 0, f_load, 0);
	EXPECT_EQ(0, dev.n);
	fvm_done(_metadata, &f);
}

/*
 * REP MOVSQ from MMIO to the top 8 bytes of the lower half: the first
 * element is stored, the second is non-canonical (ES: #GP(0)).
 */
TEST(rep_movsq_mmio_to_noncanonical)
{
	uint64_t src = MMIO_GPA + 0x700, dst = TOP_VA + PAGE_SIZE - 8;
	struct fvm f;
	struct seen s;
	uint64_t v;

	fvm_create(&f, guest_movsq);
	fvm_run(&f, src, dst, 3, &s);
	check_fault(_metadata, &s, GP_VECTOR, 0, f_movsq, 0);
	check_progress(_metadata, &s, 3, 1, src, dst, 8);
	check_log(_metadata, src, "R8+0", "R8+0 R8+8");
	memcpy(&v, &f.ram[TOP_RAM + PAGE_SIZE - 8 - RAM_GPA], 8);
	EXPECT_EQ(emu_dev_value(src, 8), v);
	fvm_done(_metadata, &f);
}

TEST_HARNESS_MAIN
