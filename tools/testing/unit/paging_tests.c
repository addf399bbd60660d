// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the guest page walker (arch/x86/kvm/emulate/paging.c): page
 * tables built by hand in a fake guest-physical memory for every paging
 * mode and every rule of SDM Vol. 3A chapter 4 the walker implements,
 * with the exact #PF error codes and the accessed/dirty flags left in
 * memory; then random tables, registers and accesses compared against a
 * second, separately written model of the same rules.
 */
#include <stdlib.h>
#include <string.h>
#include "unit.h"
#include "paging.h"

#define PM_PAGES	16
#define PM_SIZE		(PM_PAGES * 4096)

/* Entry bits, by their SDM names. */
#define P	0x1ULL
#define RW	0x2ULL
#define US	0x4ULL
#define A	0x20ULL
#define D	0x40ULL
#define PS	0x80ULL
#define XD	(1ULL << 63)
#define PWU	(P | RW | US)

#define CR0_PE	0x1ULL
#define CR0_WP	(1ULL << 16)
#define CR0_PG	(1ULL << 31)
#define CR4_PSE	(1ULL << 4)
#define CR4_PAE	(1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define CR4_SMAP (1ULL << 21)
#define CR4_PKE	(1ULL << 22)
#define EFER_LONG 0x500ULL	/* LME | LMA */
#define EFER_NXE (1ULL << 11)

/* Error codes (4.7). */
#define E_P	KVMX_PG_P
#define E_W	KVMX_PG_W
#define E_U	KVMX_PG_U
#define E_R	KVMX_PG_RSVD
#define E_I	KVMX_PG_I
#define E_PK	KVMX_PG_PK

/* Fake guest-physical memory at 0, with knobs for the A/D update. */
struct pmem {
	u8 b[PM_SIZE];
	bool readonly;		/* cmpxchg cannot write */
	unsigned int race;	/* the race-th cmpxchg finds a change */
	bool race_always;
	unsigned int reads, cmpxchgs;
};

static bool pm_ok(u64 gpa, unsigned int size)
{
	return gpa < PM_SIZE && PM_SIZE - gpa >= size && !(gpa % size);
}

static int pm_read(void *o, u64 gpa, u64 *pte, unsigned int size)
{
	struct pmem *m = o;

	m->reads++;
	if ((size != 4 && size != 8) || !pm_ok(gpa, size))
		return -1;
	*pte = 0;
	memcpy(pte, m->b + gpa, size);
	return 0;
}

static int pm_cmpxchg(void *o, u64 gpa, u64 old, u64 new, unsigned int size)
{
	struct pmem *m = o;
	u64 cur = 0;

	m->cmpxchgs++;
	if ((size != 4 && size != 8) || !pm_ok(gpa, size) || m->readonly)
		return -1;
	memcpy(&cur, m->b + gpa, size);
	if (m->race_always || (m->race && !--m->race)) {
		/* another CPU changed a software bit meanwhile */
		cur ^= 1ULL << 9;
		memcpy(m->b + gpa, &cur, size);
		return 1;
	}
	if (cur != old)
		return 1;
	memcpy(m->b + gpa, &new, size);
	return 0;
}

static const struct kvmx_paging_ops pm_ops = {
	.read_pte = pm_read,
	.cmpxchg_pte = pm_cmpxchg,
};

enum { M_NONE, M_32, M_PAE, M_4, M_5 };

/* Entries walked per mode (PAE's first one is the PDPTE register). */
static const struct {
	unsigned int n, size, bits, shift[5];
} modes[] = {
	[M_32] = { 2, 4, 10, { 22, 12 } },
	[M_PAE] = { 3, 8, 9, { 30, 21, 12 } },
	[M_4] = { 4, 8, 9, { 39, 30, 21, 12 } },
	[M_5] = { 5, 8, 9, { 48, 39, 30, 21, 12 } },
};

static struct pmem pm;
static struct kvmx_paging pg;
static int pg_mode;
static u64 ent[5];		/* where map() put each entry */

/* CPL 0, CR0.WP, NXE where there is NX, MAXPHYADDR 46. */
static void setup(int mode)
{
	memset(&pm, 0, sizeof(pm));
	memset(&pg, 0, sizeof(pg));
	pg_mode = mode;
	pg.ops = &pm_ops;
	pg.opaque = &pm;
	pg.maxphyaddr = 46;
	pg.cr0 = CR0_PE | CR0_WP | (mode != M_NONE ? CR0_PG : 0);
	if (mode == M_32)
		pg.cr4 = CR4_PSE;
	if (mode >= M_PAE) {
		pg.cr4 = CR4_PAE;
		pg.efer = EFER_NXE;
	}
	if (mode >= M_4)
		pg.efer |= EFER_LONG;
	if (mode == M_5)
		pg.cr4 |= CR4_LA57;
}

/*
 * Map @la with @n entries from the top level: entry i is flags[i] ORed
 * with the next table (pages 1, 2, ... of the fake memory) or, for the
 * last one, @frame.  Clears the memory first.
 */
static void map(u64 la, unsigned int n, const u64 *flags, u64 frame)
{
	unsigned int i, size = modes[pg_mode].size, bits = modes[pg_mode].bits;
	u64 page = 1, table = 0;

	memset(pm.b, 0, sizeof(pm.b));
	memset(pg.pdptes, 0, sizeof(pg.pdptes));
	if (pg_mode != M_PAE)
		pg.cr3 = table = page++ << 12;
	for (i = 0; i < n; i++) {
		u64 next = i == n - 1 ? frame : page++ << 12;
		u64 v = flags[i] | next;
		u64 idx = (la >> modes[pg_mode].shift[i]) & ((1 << bits) - 1);

		if (pg_mode == M_PAE && i == 0) {
			pg.pdptes[(la >> 30) & 3] = v;
			ent[0] = ~0ULL;
		} else {
			ent[i] = table + idx * size;
			memcpy(pm.b + ent[i], &v, size);
		}
		table = next;
	}
}

#define MAP(la, frame, ...) ({ const u64 _f[] = { __VA_ARGS__ }; \
	map(la, sizeof(_f) / sizeof(_f[0]), _f, frame); })

static u64 get_ent(unsigned int i)
{
	u64 v = 0;

	memcpy(&v, pm.b + ent[i], modes[pg_mode].size);
	return v;
}

static void set_ent(unsigned int i, u64 v)
{
	memcpy(pm.b + ent[i], &v, modes[pg_mode].size);
}

static unsigned int fails;
static const char *cur;

static void begin(const char *name)
{
	cur = name;
	fails = 0;
}

static void end(void)
{
	if (fails)
		unit_fail(cur, "%u expectations failed", fails);
	else
		unit_pass(cur);
}

static void check(bool ok, int line, const char *what, u64 got, u64 want)
{
	if (ok)
		return;
	fails++;
	unit_note("%s line %d: %s: got %#llx, want %#llx", cur, line, what,
		  (unsigned long long)got, (unsigned long long)want);
}

#define EQ(what, got, want) check((u64)(got) == (u64)(want), __LINE__, \
				  what, (u64)(got), (u64)(want))

static void ok_at(int line, u64 la, u32 acc, u64 want)
{
	u64 gpa = ~0ULL;
	u32 err = ~0u;
	int r = kvmx_paging_walk(&pg, la, acc, &gpa, &err);

	check(r == KVMX_PG_OK, line, "result (error code in got)",
	      r == KVMX_PG_OK ? 0 : err, 0);
	if (r == KVMX_PG_OK)
		check(gpa == want, line, "gpa", gpa, want);
}

static void fault_at(int line, u64 la, u32 acc, u32 want)
{
	u64 gpa = 0;
	u32 err = ~0u;
	int r = kvmx_paging_walk(&pg, la, acc, &gpa, &err);

	check(r == KVMX_PG_FAULT, line, "result (gpa in got)", gpa, ~0ULL);
	if (r == KVMX_PG_FAULT)
		check(err == want, line, "error code", err, want);
}

#define OK(la, acc, want)	ok_at(__LINE__, la, acc, want)
#define FAULT(la, acc, err)	fault_at(__LINE__, la, acc, err)

static void test_nopaging(void)
{
	begin("paging.none");
	setup(M_NONE);
	OK(0x123456789ULL, 0, 0x23456789);
	OK(0xfffff000, KVMX_PG_W | KVMX_PG_U | KVMX_PG_I, 0xfffff000);
	EQ("reads", pm.reads, 0);
	end();
}

static void test_32bit(void)
{
	const u64 la = 0x12345678;

	begin("paging.32bit");
	setup(M_32);
	MAP(la, 0xabcde000, PWU, PWU | PS);	/* bit 7 of a PTE is PAT */
	OK(la, 0, 0xabcde678);
	EQ("PDE A", get_ent(0), PWU | A | 0x2000);
	EQ("PTE A, no D", get_ent(1), PWU | PS | A | 0xabcde000);
	OK(la, KVMX_PG_W | KVMX_PG_U, 0xabcde678);
	EQ("PDE no D", get_ent(0), PWU | A | 0x2000);
	EQ("PTE D", get_ent(1), PWU | PS | A | D | 0xabcde000);
	EQ("next entry untouched", pm.b[ent[1] + 4], 0);
	/* no NX here: fetches only fail on presence or U/S */
	OK(la, KVMX_PG_I, 0xabcde678);
	FAULT(0x400000, KVMX_PG_I, 0);
	pg.cr4 |= CR4_SMEP;	/* ...and now I/D is reported */
	FAULT(0x400000, KVMX_PG_I | KVMX_PG_U, E_I | E_U);

	/* 4 MiB pages, PSE-36: PDE bits 20:13 are address bits 39:32 */
	setup(M_32);
	MAP(la, 0x12c00000 | (0x85ULL << 13), PWU | PS);
	OK(la, KVMX_PG_W, (0x85ULL << 32) | 0x12c00000 | 0x345678);
	EQ("4M PDE A D", get_ent(0), PWU | PS | A | D | 0x12c00000 |
	   (0x85ULL << 13));
	set_ent(0, PWU | PS | 0x12c00000 | (1ULL << 21));
	FAULT(la, 0, E_P | E_R);	/* bit 21 is reserved */
	pg.maxphyaddr = 36;		/* address bits 39:36 (20:17) too */
	set_ent(0, PWU | PS | 0x12c00000 | (1ULL << 17));
	FAULT(la, KVMX_PG_W, E_P | E_R | E_W);
	set_ent(0, PWU | PS | 0x12c00000 | (1ULL << 16));
	OK(la, 0, (1ULL << 35) | 0x12c00000 | 0x345678);
	pg.maxphyaddr = 52;		/* only 40 bits exist with PSE-36 */
	set_ent(0, PWU | PS | 0x12c00000 | (1ULL << 20));
	OK(la, 0, (1ULL << 39) | 0x12c00000 | 0x345678);

	/* without CR4.PSE the PS bit is ignored: the PDE is a table */
	setup(M_32);
	pg.cr4 = 0;
	MAP(la, 0x7000, PWU | PS | (1ULL << 21), PWU);
	FAULT(la, 0, 0);	/* bit 21 is an address bit: 0x202000 */
	MAP(la, 0x7000, PWU | PS, PWU);
	OK(la, 0, 0x7678);
	end();
}

static void test_pae(void)
{
	const u64 la = 0xc0201abc;

	begin("paging.pae");
	setup(M_PAE);
	MAP(la, 0x123456000ULL, P, PWU, PWU);
	OK(la, KVMX_PG_W, 0x123456abc);
	EQ("PDPTE register untouched", pg.pdptes[3], P | 0x1000);
	EQ("PDE A", get_ent(1), PWU | A | 0x2000);
	EQ("PTE A D", get_ent(2), PWU | A | D | 0x123456000ULL);
	OK(0x1c0201abcULL, 0, 0x123456abc);	/* only 32 bits count */
	FAULT(0x00201abc, 0, 0);		/* PDPTE 0 not present */
	FAULT(0x00201abc, KVMX_PG_I, E_I);	/* NXE: I/D reported */

	/* PDPTE reserved bits: 2:1, 8:5, 63:M (Table 4-8) */
	static const u64 pdpte_rsvd[] = { RW, US, A, D, PS, 1ULL << 8,
					  1ULL << 46, XD };
	unsigned int i;

	for (i = 0; i < sizeof(pdpte_rsvd) / sizeof(pdpte_rsvd[0]); i++) {
		MAP(la, 0x123456000ULL, P | pdpte_rsvd[i], PWU, PWU);
		FAULT(la, KVMX_PG_U, E_P | E_R | E_U);
	}
	/* bits 45 and 9 are not reserved: the PD is then outside memory */
	MAP(la, 0x123456000ULL, P | (1ULL << 45) | (1ULL << 9), PWU, PWU);
	FAULT(la, 0, 0);

	/* 2 MiB pages; bits 20:13 of the frame are reserved, 12 is PAT */
	MAP(la, 0x400200000ULL | (1ULL << 12), P, PWU | PS);
	OK(la, 0, 0x400200000ULL | (la & 0x1fffff));
	MAP(la, 0x400200000ULL | (1ULL << 13), P, PWU | PS);
	FAULT(la, 0, E_P | E_R);
	/* PAE entries reserve 62:M (4-level paging ignores 62:52) */
	MAP(la, 0x123456000ULL, P, PWU, PWU | (1ULL << 60));
	FAULT(la, KVMX_PG_W, E_P | E_R | E_W);
	/* XD: a fetch fault with NXE, a reserved bit without */
	MAP(la, 0x123456000ULL, P, PWU | XD, PWU);
	FAULT(la, KVMX_PG_I, E_P | E_I);
	OK(la, 0, 0x123456abc);
	pg.efer = 0;
	FAULT(la, 0, E_P | E_R);
	FAULT(la, KVMX_PG_I, E_P | E_R);	/* no I/D without NXE, SMEP */
	end();
}

static void test_long(void)
{
	const u64 la = 0x00007fabcdef1234ULL;

	begin("paging.4level");
	setup(M_4);
	MAP(la, 0xffffff000ULL, PWU, PWU, PWU, PWU | PS);
	OK(la, KVMX_PG_W | KVMX_PG_U, 0xffffff234ULL);
	EQ("PML4E A", get_ent(0), PWU | A | 0x2000);
	EQ("PDPTE A", get_ent(1), PWU | A | 0x3000);
	EQ("PDE A", get_ent(2), PWU | A | 0x4000);
	EQ("PTE A D", get_ent(3), PWU | PS | A | D | 0xffffff000ULL);
	/* bits 62:52 are ignored; 51:M reserved at every level */
	MAP(la, 0xffffff000ULL, PWU | (0x7fULL << 52), PWU, PWU, PWU);
	OK(la, 0, 0xffffff234ULL);
	MAP(la, 0xffffff000ULL, PWU, PWU | (1ULL << 51), PWU, PWU);
	FAULT(la, 0, E_P | E_R);
	MAP(la, 0xffffff000ULL | (1ULL << 46), PWU, PWU, PWU, PWU);
	FAULT(la, KVMX_PG_I, E_P | E_R | E_I);
	pg.maxphyaddr = 52;
	OK(la, 0, (1ULL << 46) | 0xffffff234ULL);
	pg.maxphyaddr = 46;
	/* a reserved bit counts before a lower level's absence... */
	MAP(la, 0, PWU, PWU | (1ULL << 50), 0);
	FAULT(la, 0, E_P | E_R);
	/* ...but not in an entry that is not present */
	MAP(la, 0, PWU, RW | (1ULL << 50));
	FAULT(la, KVMX_PG_W, E_W);
	/* PS is reserved in a PML4E */
	MAP(la, 0xffffff000ULL, PWU | PS, PWU, PWU, PWU);
	FAULT(la, 0, E_P | E_R);
	/* XD without NXE is reserved */
	pg.efer &= ~EFER_NXE;
	MAP(la, 0xffffff000ULL, PWU, PWU, PWU, PWU | XD);
	FAULT(la, 0, E_P | E_R);
	pg.efer |= EFER_NXE;

	/* 2 MiB and 1 GiB pages, their frames' reserved low bits */
	MAP(la, 0x200000000ULL, PWU, PWU, PWU | PS);
	OK(la, KVMX_PG_W, 0x200000000ULL | (la & 0x1fffff));
	EQ("2M PDE A D", get_ent(2), PWU | PS | A | D | 0x200000000ULL);
	EQ("PDPTE no D", get_ent(1), PWU | A | 0x3000);
	MAP(la, 0x4000000000ULL | (1ULL << 12), PWU, PWU | PS);
	OK(la, 0, 0x4000000000ULL | (la & 0x3fffffff));
	MAP(la, 0x4000000000ULL | (1ULL << 29), PWU, PWU | PS);
	FAULT(la, 0, E_P | E_R);
	MAP(la, 0x4000000000ULL | (1ULL << 13), PWU, PWU | PS);
	FAULT(la, 0, E_P | E_R);
	MAP(la, 0x4000000000ULL, PWU, PWU | PS);
	pg.no_gbpages = true;
	FAULT(la, KVMX_PG_U, E_P | E_R | E_U);
	end();

	begin("paging.5level");
	setup(M_5);
	{
		const u64 la5 = 0x01abcdef12345678ULL;

		MAP(la5, 0x5000000ULL, PWU, PWU, PWU, PWU, PWU);
		EQ("PML5 index", (ent[0] & 0xfff) / 8, 0x1ab);
		OK(la5, KVMX_PG_W, 0x5000678ULL);
		EQ("PML5E A", get_ent(0), PWU | A | 0x2000);
		EQ("PTE A D", get_ent(4), PWU | A | D | 0x5000000ULL);
		pg.cr4 &= ~CR4_LA57;	/* 4 levels: CR3 is now a PML4 */
		FAULT(la5, 0, 0);
		pg.cr4 |= CR4_LA57;
		MAP(la5, 0x5000000ULL, PWU | PS, PWU, PWU, PWU, PWU);
		FAULT(la5, 0, E_P | E_R);
		MAP(la5, 0x5000000ULL, PWU, PWU | PS, PWU, PWU, PWU);
		FAULT(la5, 0, E_P | E_R);
		MAP(la5, 0x40000000ULL, PWU, PWU, PWU | PS);
		OK(la5, 0, 0x40000000ULL | (la5 & 0x3fffffff));
	}
	end();
}

static void test_rights(void)
{
	const u64 la = 0x00007fabcdef1234ULL, frame = 0x777000;

	begin("paging.us_rw_wp");
	setup(M_4);
	MAP(la, frame, PWU, PWU, PWU, P | RW);
	FAULT(la, KVMX_PG_U, E_P | E_U);
	EQ("no A on faults: PML4E", get_ent(0) & A, 0);
	OK(la, KVMX_PG_W, frame | 0x234);
	MAP(la, frame, P | RW, PWU, PWU, PWU);	/* U/S from any level */
	FAULT(la, KVMX_PG_U | KVMX_PG_W, E_P | E_U | E_W);
	MAP(la, frame, PWU, PWU, P | US, PWU);	/* R/W from any level */
	FAULT(la, KVMX_PG_U | KVMX_PG_W, E_P | E_U | E_W);
	EQ("no A on faults", get_ent(0) | get_ent(3), PWU | 0x2000 | frame);
	OK(la, KVMX_PG_U, frame | 0x234);
	FAULT(la, KVMX_PG_W, E_P | E_W);	/* CR0.WP=1 */
	pg.cr0 &= ~CR0_WP;
	OK(la, KVMX_PG_W, frame | 0x234);	/* supervisor ignores R/W */
	EQ("D set", get_ent(3) & D, D);
	FAULT(la, KVMX_PG_U | KVMX_PG_W, E_P | E_U | E_W);
	end();

	begin("paging.nx");
	setup(M_4);
	MAP(la, frame, PWU, PWU, PWU, PWU | XD);
	FAULT(la, KVMX_PG_I, E_P | E_I);
	FAULT(la, KVMX_PG_I | KVMX_PG_U, E_P | E_I | E_U);
	OK(la, KVMX_PG_U | KVMX_PG_W, frame | 0x234);
	MAP(la, frame, PWU | XD, PWU, PWU, PWU);
	FAULT(la, KVMX_PG_I, E_P | E_I);
	MAP(la, frame, PWU, PWU, PWU, PWU);
	OK(la, KVMX_PG_I | KVMX_PG_U, frame | 0x234);
	FAULT(la + 0x1000, KVMX_PG_I, E_I);	/* not present */
	pg.efer &= ~EFER_NXE;
	FAULT(la + 0x1000, KVMX_PG_I, 0);	/* I/D needs NXE or SMEP */
	end();

	begin("paging.smep");
	setup(M_4);
	pg.cr4 |= CR4_SMEP;
	MAP(la, frame, PWU, PWU, PWU, PWU);
	FAULT(la, KVMX_PG_I, E_P | E_I);
	OK(la, KVMX_PG_I | KVMX_PG_U, frame | 0x234);
	OK(la, KVMX_PG_W, frame | 0x234);	/* data: SMAP's business */
	MAP(la, frame, PWU, PWU, P | RW, PWU);	/* a supervisor page */
	OK(la, KVMX_PG_I, frame | 0x234);
	setup(M_32);
	pg.cr4 |= CR4_SMEP;
	MAP(0x12345678, 0x9000, PWU, PWU);
	FAULT(0x12345678, KVMX_PG_I, E_P | E_I);
	end();

	begin("paging.smap");
	setup(M_4);
	pg.cr4 |= CR4_SMAP;
	MAP(la, frame, PWU, PWU, PWU, PWU);
	FAULT(la, 0, E_P);
	FAULT(la, KVMX_PG_W, E_P | E_W);
	OK(la, KVMX_PG_U | KVMX_PG_W, frame | 0x234);
	OK(la, KVMX_PG_I, frame | 0x234);	/* fetches: SMEP's business */
	pg.ac = true;				/* explicit, CPL 0, AC=1 */
	OK(la, KVMX_PG_W, frame | 0x234);
	FAULT(la, KVMX_PG_IMPLICIT, E_P);	/* implicit: AC ignored */
	pg.cpl = 3;		/* implicit at CPL 3: U/S=0 in the code */
	FAULT(la, KVMX_PG_IMPLICIT | KVMX_PG_U | KVMX_PG_W, E_P | E_W);
	pg.cpl = 0;
	MAP(la, frame, PWU, PWU, PWU, P | US);	/* R/W still applies */
	FAULT(la, KVMX_PG_W, E_P | E_W);
	MAP(la, frame, PWU, PWU, P | RW, PWU);	/* supervisor pages: fine */
	pg.ac = false;
	OK(la, KVMX_PG_IMPLICIT | KVMX_PG_W, frame | 0x234);
	end();
}

static void test_pke(void)
{
	const u64 la = 0x00007fabcdef1234ULL, frame = 0x777000;
	const u64 key5 = 5ULL << 59;

	begin("paging.pke");
	setup(M_4);
	pg.cr4 |= CR4_PKE;
	MAP(la, frame, PWU, PWU, PWU, PWU | key5);
	pg.pkru = 1u << 10;				/* AD5 */
	FAULT(la, KVMX_PG_U, E_P | E_U | E_PK);
	FAULT(la, 0, E_P | E_PK);
	OK(la, KVMX_PG_I | KVMX_PG_U, frame | 0x234);	/* not fetches */
	pg.pkru = 1u << 11;				/* WD5 */
	OK(la, KVMX_PG_U, frame | 0x234);
	FAULT(la, KVMX_PG_U | KVMX_PG_W, E_P | E_U | E_W | E_PK);
	FAULT(la, KVMX_PG_W, E_P | E_W | E_PK);		/* CR0.WP=1 */
	pg.cr0 &= ~CR0_WP;
	OK(la, KVMX_PG_W, frame | 0x234);
	FAULT(la, KVMX_PG_U | KVMX_PG_W, E_P | E_U | E_W | E_PK);
	pg.cr0 |= CR0_WP;
	pg.pkru = ~(3u << 10);				/* other keys only */
	OK(la, KVMX_PG_U | KVMX_PG_W, frame | 0x234);
	/* the key is the leaf's: 62:59 of upper entries are ignored */
	MAP(la, frame, PWU | key5, PWU, PWU, PWU);
	pg.pkru = 1u << 10;
	OK(la, KVMX_PG_U, frame | 0x234);
	pg.pkru = 1;					/* AD0 */
	FAULT(la, KVMX_PG_U, E_P | E_U | E_PK);
	/* a key on top of a R/W fault: both reasons reported */
	MAP(la, frame, PWU, PWU, PWU, P | US);
	pg.pkru = 2;
	FAULT(la, KVMX_PG_U | KVMX_PG_W, E_P | E_U | E_W | E_PK);
	/* supervisor pages have no key; nor does CR4.PKE=0 */
	MAP(la, frame, PWU, PWU, PWU, P | RW);
	pg.pkru = ~0u;
	OK(la, KVMX_PG_W, frame | 0x234);
	MAP(la, frame, PWU, PWU, PWU, PWU);
	pg.cr4 &= ~CR4_PKE;
	OK(la, KVMX_PG_U | KVMX_PG_W, frame | 0x234);
	end();
}

static void test_ad(void)
{
	const u64 la = 0x00007fabcdef1234ULL, frame = 0x777000;
	u64 gpa;
	u32 err;

	begin("paging.ad");
	setup(M_4);
	MAP(la, frame, PWU, PWU, PWU, PWU);
	OK(la, KVMX_PG_NO_AD | KVMX_PG_W, frame | 0x234);
	EQ("NO_AD: no cmpxchg", pm.cmpxchgs, 0);
	EQ("NO_AD: PTE", get_ent(3), PWU | frame);
	OK(la, 0, frame | 0x234);
	EQ("cmpxchgs for A", pm.cmpxchgs, 4);
	OK(la, 0, frame | 0x234);
	EQ("A already set: none", pm.cmpxchgs, 4);
	OK(la, KVMX_PG_W, frame | 0x234);
	EQ("one more for D", pm.cmpxchgs, 5);

	/* another CPU changes an entry between our read and cmpxchg */
	MAP(la, frame, PWU, PWU, PWU, PWU);
	pm.cmpxchgs = 0;
	pm.race = 3;
	OK(la, KVMX_PG_W, frame | 0x234);
	EQ("PDE A after the race", get_ent(2), PWU | A | (1 << 9) | 0x4000);
	EQ("PTE A D after the race", get_ent(3), PWU | A | D | frame);
	EQ("cmpxchgs: 3 + the 2 left after re-walking", pm.cmpxchgs, 5);
	pm.race_always = true;
	pm.race = 0;
	set_ent(3, PWU | frame);
	EQ("never wins: RETRY", kvmx_paging_walk(&pg, la, 0, &gpa, &err),
	   KVMX_PG_RETRY);
	pm.race_always = false;
	/* read-only page tables: the update is dropped, the access works */
	MAP(la, frame, PWU, PWU, PWU, PWU);
	pm.readonly = true;
	OK(la, KVMX_PG_W, frame | 0x234);
	EQ("read-only PTE", get_ent(3), PWU | frame);
	pm.readonly = false;
	/* a table outside memory reads as not present */
	MAP(la, frame, PWU, PWU | 0x100000000ULL, PWU, PWU);
	FAULT(la, 0, 0);
	EQ("no A on a failed walk", get_ent(0), PWU | 0x2000);
	end();
}

/*
 * The reference model: the same rules written from the SDM's tables in
 * the most direct form, sharing nothing with the walker.
 */
static u64 ref_rd(const u8 *mem, u64 a, unsigned int sz, bool *ok)
{
	u64 v = 0;

	*ok = a + sz <= PM_SIZE;
	if (*ok)
		memcpy(&v, mem + a, sz);
	return v;
}

static u64 ones(unsigned int from, unsigned int to)
{
	u64 m = 0;

	while (from <= to)
		m |= 1ULL << from++;
	return m;
}

static int ref_walk(const struct kvmx_paging *p, u8 *mem, u64 la, u32 acc,
		    u64 *gpa, u32 *err)
{
	bool pae = p->cr4 & CR4_PAE, lma = p->efer & 0x400;
	bool nxe = pae && (p->efer & EFER_NXE), wp = p->cr0 & CR0_WP;
	bool implicit = acc & KVMX_PG_IMPLICIT, write = acc & KVMX_PG_W;
	bool user = (acc & KVMX_PG_U) && !implicit, fetch = acc & KVMX_PG_I;
	unsigned int m = p->maxphyaddr, sz = pae ? 8 : 4, n = 0, i, shift = 0;
	u64 addr[5], e = 0, frame = 0, table, rsvd;
	bool ok, can_w = true, can_u = true, no_x = false, pk = false, bad;
	u32 code = (write ? E_W : 0) | (user ? E_U : 0);
	int lvl, top;

	if (m == 0 || m > 52)
		m = 52;
	if (m < 32)
		m = 32;
	if (fetch && ((p->cr4 & CR4_SMEP) || nxe))
		code |= E_I;
	if (!(p->cr0 & CR0_PG)) {
		*gpa = la & 0xffffffffULL;
		return KVMX_PG_OK;
	}
	if (!lma)
		la &= 0xffffffffULL;
	if (!pae) {
		top = 2;
		table = p->cr3 & 0xfffff000ULL;
	} else if (!lma) {
		e = p->pdptes[la >> 30];
		if (!(e & P))
			goto np;
		if (e & (ones(1, 2) | ones(5, 8) | ones(m, 63)))
			goto rs;
		top = 2;
		table = e & ones(12, 51);
	} else {
		top = (p->cr4 & CR4_LA57) ? 5 : 4;
		table = p->cr3 & ones(12, 51);
	}
	for (lvl = top; lvl >= 1; lvl--) {
		bool large;

		shift = pae ? 12 + 9 * (lvl - 1) : 12 + 10 * (lvl - 1);
		addr[n] = table + sz * ((la >> shift) & (pae ? 511 : 1023));
		e = ref_rd(mem, addr[n], sz, &ok);
		if (!ok || !(e & P))
			goto np;
		n++;
		large = lvl > 1 && (e & PS) && (pae || (p->cr4 & CR4_PSE));
		if (!pae) {
			rsvd = large ? (1ULL << 21) : 0;
			for (i = 13; large && i <= 20; i++)
				if (i + 19 >= (m < 40 ? m : 40))
					rsvd |= 1ULL << i;
		} else {
			rsvd = ones(m, lma ? 51 : 62) | (nxe ? 0 : XD);
			if (lvl >= 4 && (e & PS))
				goto rs;
			if (lvl == 3 && (e & PS) && p->no_gbpages)
				goto rs;
			if (large)
				rsvd |= ones(13, shift - 1);
		}
		if (e & rsvd)
			goto rs;
		can_w = can_w && (e & RW);
		can_u = can_u && (e & US);
		if (nxe && (e & XD))
			no_x = true;
		if (lvl == 1 || large) {
			if (!pae && large)
				frame = (e & 0xffc00000ULL) |
					(((e >> 13) & 0xff) << 32);
			else
				frame = e & ones(shift, pae ? 51 : 31);
			break;
		}
		table = e & (pae ? ones(12, 51) : 0xfffff000ULL);
	}

	/* 4.6: who may do what */
	if (fetch) {
		bad = (user && !can_u) || no_x ||
		      (!user && can_u && (p->cr4 & CR4_SMEP));
	} else {
		bad = (user && !can_u) || (write && !can_w && (user || wp));
		if (!user && can_u && (p->cr4 & CR4_SMAP) &&
		    (implicit || !p->ac || p->cpl == 3))
			bad = true;
		if (lma && (p->cr4 & CR4_PKE) && can_u) {
			unsigned int k = (e >> 59) & 15;

			if (((p->pkru >> (2 * k)) & 1) ||
			    (write && ((p->pkru >> (2 * k + 1)) & 1) &&
			     (user || wp)))
				pk = true;
		}
	}
	if (bad || pk) {
		*err = code | E_P | (pk ? E_PK : 0);
		return KVMX_PG_FAULT;
	}
	for (i = 0; i < n && !(acc & KVMX_PG_NO_AD); i++) {
		u64 v = ref_rd(mem, addr[i], sz, &ok) | A;

		if (write && i == n - 1)
			v |= D;
		memcpy(mem + addr[i], &v, sz);
	}
	*gpa = frame | (la & ones(0, shift - 1));
	return KVMX_PG_OK;
np:
	*err = code;
	return KVMX_PG_FAULT;
rs:
	*err = code | E_P | E_R;
	return KVMX_PG_FAULT;
}

/* A random entry: usually present and sane, sometimes anything. */
static u64 rand_entry(struct unit_rng *r, u64 next, bool leafish)
{
	u64 e = next;

	if (rng_below(r, 16))
		e |= P;
	if (rng_below(r, 4))
		e |= RW;
	if (rng_below(r, 4))
		e |= US;
	e |= rng64(r) & (A | D);
	if (leafish && rng_below(r, 3) == 0)
		e |= PS;
	if (rng_below(r, 6) == 0)
		e |= XD;
	if (rng_below(r, 3) == 0)
		e |= rng64(r) & (15ULL << 59);
	if (rng_below(r, 8) == 0)
		e |= 1ULL << rng_below(r, 64);
	if (rng_below(r, 32) == 0)
		e |= PS;
	return e;
}

static void test_random(void)
{
	static const u8 maxphy[] = { 0, 32, 36, 39, 40, 46, 48, 52 };
	static u8 mem2[PM_SIZE];
	const char *env = getenv("UNIT_PAGING_ITERS");
	unsigned long iters = env ? strtoul(env, NULL, 0) : 60000, it;
	struct unit_rng r = { unit_seed ^ 0x9a6e };
	unsigned long bad = 0, faults = 0;

	begin("paging.random_vs_model");
	for (it = 0; it < iters; it++) {
		int mode = rng_below(&r, 5), r1, r2;
		unsigned int i, lv, sz, m;
		u64 la = rng64(&r), table, gpa1 = 0, gpa2 = 0;
		u64 lx = mode >= M_4 ? la : (u32)la;
		u32 acc, e1 = 0, e2 = 0;

		setup(mode);
		pg.cr0 = CR0_PE | (mode ? CR0_PG : 0) |
			 (rng_below(&r, 2) ? CR0_WP : 0);
		pg.cr4 |= rng64(&r) & (CR4_PSE | CR4_SMEP | CR4_SMAP |
				       CR4_PKE);
		pg.efer = (mode >= M_4 ? EFER_LONG : 0) |
			  (rng_below(&r, 4) ? EFER_NXE : 0);
		pg.cpl = rng_below(&r, 4);
		pg.ac = rng_below(&r, 2);
		pg.pkru = rng_below(&r, 2) ? 0 : rng64(&r);
		pg.maxphyaddr = maxphy[rng_below(&r, sizeof(maxphy))];
		pg.no_gbpages = rng_below(&r, 4) == 0;
		acc = rng64(&r) & (KVMX_PG_W | KVMX_PG_U | KVMX_PG_I);
		if (acc & KVMX_PG_I)
			acc &= ~KVMX_PG_W;
		if (rng_below(&r, 8) == 0)
			acc |= KVMX_PG_IMPLICIT;
		if (rng_below(&r, 8) == 0)
			acc |= KVMX_PG_NO_AD;
		m = pg.maxphyaddr ? pg.maxphyaddr : 52;

		memset(pm.b, 0, sizeof(pm.b));
		sz = mode == M_32 ? 4 : 8;
		lv = mode ? modes[mode].n : 0;
		table = (1 + rng_below(&r, PM_PAGES - 1)) << 12;
		pg.cr3 = table | (rng64(&r) & 0xfe7);
		if (mode == M_32)
			pg.cr3 &= 0xffffffff;
		for (i = 0; i < lv; i++) {
			/* the next table: random page, sometimes the same
			 * one (self-maps), sometimes outside memory */
			u64 next = rng_below(&r, 4) == 0 ? table :
				   (1 + rng_below(&r, PM_PAGES - 1)) << 12;
			u64 v, at;

			if (i == lv - 1 || rng_below(&r, 16) == 0)
				next = rng64(&r) & ones(12, m - 1);
			v = rand_entry(&r, next, i > 0 || mode == M_32);
			if (mode == M_PAE && i == 0) {
				for (at = 0; at < 4; at++)
					pg.pdptes[at] = rng_below(&r, 8) ?
						(v & ~0x1e6ULL) : v;
				table = next;
				continue;
			}
			at = (table & (sz == 4 ? 0xfffff000 : ones(12, 51))) +
			     sz * ((lx >> modes[mode].shift[i]) &
				   ((1 << modes[mode].bits) - 1));
			if (at + sz <= PM_SIZE)
				memcpy(pm.b + at, &v, sz);
			table = next;
		}
		memcpy(mem2, pm.b, PM_SIZE);
		r1 = kvmx_paging_walk(&pg, la, acc, &gpa1, &e1);
		r2 = ref_walk(&pg, mem2, la, acc, &gpa2, &e2);
		faults += r1 == KVMX_PG_FAULT;
		if (r1 == r2 && (r1 != KVMX_PG_OK || gpa1 == gpa2) &&
		    (r1 != KVMX_PG_FAULT || e1 == e2) &&
		    !memcmp(pm.b, mem2, PM_SIZE))
			continue;
		if (bad++ < 5)
			unit_note("%s: iter %lu mode %d la %#llx acc %#x: walker %d gpa %#llx err %#x, model %d gpa %#llx err %#x%s",
				  cur, it, mode, (unsigned long long)la, acc,
				  r1, (unsigned long long)gpa1, e1, r2,
				  (unsigned long long)gpa2, e2,
				  memcmp(pm.b, mem2, PM_SIZE) ?
				  ", memory differs" : "");
	}
	fails = bad;
	if (unit_verbose)
		unit_note("%s: %lu walks, %lu faults", cur, iters, faults);
	end();
}

void paging_tests(void)
{
	test_nopaging();
	test_32bit();
	test_pae();
	test_long();
	test_rights();
	test_pke();
	test_ad();
	test_random();
}
