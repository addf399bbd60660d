// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test binary as seen by libelf: its PT_LOAD segments (copied into
 * long-mode guests at GPA == link address) and its symbol table (to name
 * guest RIPs in failure reports).  Tests are linked -static -no-pie, so
 * link addresses are the addresses the code runs at, in the host and in
 * the guest alike.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvm_util.h"
#include "elf_image.h"

#define SELF_EXE "/proc/self/exe"

struct sym {
	uint64_t addr, size;
	const char *name;
};

static struct sym *syms;
static size_t nr_syms;
static bool syms_loaded;

static Elf *self_elf_open(int *fd)
{
	Elf *e;

	TEST_ASSERT(elf_version(EV_CURRENT) != EV_NONE, "libelf: %s",
		    elf_errmsg(-1));
	*fd = open(SELF_EXE, O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(*fd >= 0, "open %s", SELF_EXE);
	e = elf_begin(*fd, ELF_C_READ, NULL);
	TEST_ASSERT(e, "elf_begin(%s): %s", SELF_EXE, elf_errmsg(-1));
	TEST_ASSERT(elf_kind(e) == ELF_K_ELF, "%s is not ELF", SELF_EXE);
	return e;
}

int elf_load_segments(uint64_t *lo, uint64_t *hi,
		      void (*copy)(void *ctx, uint64_t vaddr, int fd,
				   uint64_t off, uint64_t filesz,
				   uint64_t memsz),
		      void *ctx)
{
	GElf_Ehdr eh;
	size_t n, i;
	int fd, loads = 0;
	Elf *e = self_elf_open(&fd);

	TEST_ASSERT(gelf_getehdr(e, &eh), "gelf_getehdr: %s", elf_errmsg(-1));
	TEST_ASSERT(eh.e_type == ET_EXEC,
		    "test binary must be linked -no-pie (e_type %u)", eh.e_type);
	TEST_ASSERT(elf_getphdrnum(e, &n) == 0, "elf_getphdrnum: %s",
		    elf_errmsg(-1));
	*lo = UINT64_MAX;
	*hi = 0;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		TEST_ASSERT(gelf_getphdr(e, i, &ph), "gelf_getphdr");
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr < *lo)
			*lo = ph.p_vaddr;
		if (ph.p_vaddr + ph.p_memsz > *hi)
			*hi = ph.p_vaddr + ph.p_memsz;
		if (copy)
			copy(ctx, ph.p_vaddr, fd, ph.p_offset, ph.p_filesz,
			     ph.p_memsz);
		loads++;
	}
	elf_end(e);
	close(fd);
	return loads;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_syms(void)
{
	Elf_Scn *scn = NULL;
	int fd;
	Elf *e;

	syms_loaded = true;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	fd = open(SELF_EXE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		goto out_close;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, cnt;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d || !sh.sh_entsize)
			continue;
		cnt = sh.sh_size / sh.sh_entsize;
		syms = calloc(cnt, sizeof(*syms));
		if (!syms)
			break;
		for (i = 0; i < cnt; i++) {
			GElf_Sym s;
			const char *name;

			if (!gelf_getsym(d, i, &s))
				continue;
			if (GELF_ST_TYPE(s.st_info) != STT_FUNC &&
			    GELF_ST_TYPE(s.st_info) != STT_NOTYPE &&
			    GELF_ST_TYPE(s.st_info) != STT_OBJECT)
				continue;
			if (!s.st_value || s.st_shndx == SHN_UNDEF ||
			    s.st_shndx == SHN_ABS)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			syms[nr_syms].addr = s.st_value;
			syms[nr_syms].size = s.st_size;
			syms[nr_syms].name = strdup(name);
			nr_syms++;
		}
		break;
	}
	qsort(syms, nr_syms, sizeof(*syms), sym_cmp);
	elf_end(e);
out_close:
	close(fd);
}

const char *addr2sym(uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi;

	if (!syms_loaded)
		load_syms();
	*offset = addr;
	hi = nr_syms;
	if (!hi || addr < syms[0].addr)
		return "?";
	/* Last symbol at or below addr. */
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (syms[lo].size && addr - syms[lo].addr >= syms[lo].size &&
	    addr - syms[lo].addr > 0x10000)
		return "?";
	*offset = addr - syms[lo].addr;
	return syms[lo].name;
}
