// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz-style negative tests of the vCPU state ABI: random and mutated
 * contents for KVM_SET_SREGS, KVM_SET_REGS, KVM_SET_MSRS,
 * KVM_SET_VCPU_EVENTS and KVM_SET_XSAVE.
 *
 * Two kinds of input: mutations (start from a valid state saved before
 * fuzzing and change one field: flip 1-3 of its bits, or put an edge value
 * or a random value in it), which find the edge cases, and pure random
 * contents, which mostly exercise the rejection paths.  Occasionally the
 * buffer is also cut short by a PROT_NONE page (must be EFAULT) or the
 * MSR count is out of range (must be E2BIG).
 *
 * After every input the ioctl must either succeed or fail with -1 and a
 * plain errno (never a kernel-internal one such as ENOTSUPP or
 * ERESTARTSYS, nor a positive count larger than asked for), a rejected
 * KVM_SET_SREGS must leave the registers alone, and the vCPU must stay
 * usable: periodically, and after every fuzzed KVM_RUN, the known-good
 * state (and guest memory) is put back and a KVM_RUN of the tiny guest
 * must give its ucall.  Some accepted inputs are run too, on top of the
 * known-good state: any exit reason KVM has is fine, but KVM_RUN must
 * neither hang (a timer signal bounds it: EINTR is fine) nor fail with
 * something other than a plain errno.
 *
 * The PRNG seed is printed; STATE_FUZZ_SEED=<number> reproduces a run
 * (each test derives its own seed from it and its name).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kvmx_test.h"

/* #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX push an error code */
#define EXC_WITH_ERROR_CODE	((1u << 8) | (1u << 10) | (1u << 11) | \
				 (1u << 12) | (1u << 13) | (1u << 14) | \
				 (1u << 17) | (1u << 21) | (1u << 29) | \
				 (1u << 30))
#include "state.h"

#define GOOD_MAGIC	0x600dULL
#define ITERS		500	/* fuzzed SET ioctls per single-ioctl test */
#define MIXED_ITERS	600
#define CHECK_EVERY	64	/* restore + good run every so many inputs */
#define KVM_MAX_IO_MSRS	256
#define MSR_BUF_ENTRIES	(KVM_MAX_IO_MSRS + 8)

static void guest_code(void)
{
	GUEST_SYNC(GOOD_MAGIC);
	GUEST_DONE();
}

/* ---- PRNG (splitmix64) ------------------------------------------------ */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void rnd_fill(void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = rnd();
}

/* Values at the edges of what the fields mean. */
static uint64_t rnd_edge_value(void)
{
	static const uint64_t edges[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x00007fffffffffffULL, 0x0000800000000000ULL,
		0xffff800000000000ULL, 0xffff7fffffffffffULL,
		0x8000000000000000ULL, 0xfffffffffffffffeULL, ~0ULL,
		0xfee00000, 0xfee00900, 0xfee00d00, 0x000fffffffffffffULL,
	};

	switch (rnd_below(3)) {
	case 0:
		return edges[rnd_below(ARRAY_SIZE(edges))];
	case 1:
		return 1ULL << rnd_below(64);
	default:
		return rnd() >> rnd_below(64);
	}
}

static uint64_t base_seed;

/* Per test: the base seed mixed with the test's name. */
static void seed_test(struct __test_metadata *_metadata)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	const char *p;

	for (p = _metadata->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
	rng = base_seed ^ h;
	TH_LOG("seed 0x%lx (STATE_FUZZ_SEED=0x%lx reproduces this run)",
	       (unsigned long)(base_seed ^ h), (unsigned long)base_seed);
}

static void __attribute__((constructor)) pick_base_seed(void)
{
	const char *s = getenv("STATE_FUZZ_SEED");
	struct timespec ts;

	if (s && *s) {
		base_seed = strtoull(s, NULL, 0);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	base_seed = ((uint64_t)ts.tv_sec << 20) ^ ts.tv_nsec ^
		    ((uint64_t)getpid() << 40);
}

/* ---- fields of the structs, for one-field mutations ------------------- */

struct field {
	const char *name;
	size_t off, size;
};

#define FLD(type, m) { #m, offsetof(type, m), sizeof(((type *)0)->m) }
#define SEG_FIELDS(sg)							\
	FLD(struct kvm_sregs, sg.base), FLD(struct kvm_sregs, sg.limit),	\
	FLD(struct kvm_sregs, sg.selector), FLD(struct kvm_sregs, sg.type), \
	FLD(struct kvm_sregs, sg.present), FLD(struct kvm_sregs, sg.dpl),	\
	FLD(struct kvm_sregs, sg.db), FLD(struct kvm_sregs, sg.s),	\
	FLD(struct kvm_sregs, sg.l), FLD(struct kvm_sregs, sg.g),		\
	FLD(struct kvm_sregs, sg.avl), FLD(struct kvm_sregs, sg.unusable), \
	FLD(struct kvm_sregs, sg.padding)

static const struct field sregs_fields[] = {
	SEG_FIELDS(cs), SEG_FIELDS(ds), SEG_FIELDS(es), SEG_FIELDS(fs),
	SEG_FIELDS(gs), SEG_FIELDS(ss), SEG_FIELDS(tr), SEG_FIELDS(ldt),
	FLD(struct kvm_sregs, gdt.base), FLD(struct kvm_sregs, gdt.limit),
	FLD(struct kvm_sregs, gdt.padding),
	FLD(struct kvm_sregs, idt.base), FLD(struct kvm_sregs, idt.limit),
	FLD(struct kvm_sregs, idt.padding),
	FLD(struct kvm_sregs, cr0), FLD(struct kvm_sregs, cr2),
	FLD(struct kvm_sregs, cr3), FLD(struct kvm_sregs, cr4),
	FLD(struct kvm_sregs, cr8), FLD(struct kvm_sregs, efer),
	FLD(struct kvm_sregs, apic_base),
	FLD(struct kvm_sregs, interrupt_bitmap[0]),
	FLD(struct kvm_sregs, interrupt_bitmap[1]),
	FLD(struct kvm_sregs, interrupt_bitmap[2]),
	FLD(struct kvm_sregs, interrupt_bitmap[3]),
	/* The control registers once more: they matter most. */
	FLD(struct kvm_sregs, cr0), FLD(struct kvm_sregs, cr4),
	FLD(struct kvm_sregs, efer),
};

static const struct field regs_fields[] = {
	FLD(struct kvm_regs, rax), FLD(struct kvm_regs, rbx),
	FLD(struct kvm_regs, rcx), FLD(struct kvm_regs, rdx),
	FLD(struct kvm_regs, rsi), FLD(struct kvm_regs, rdi),
	FLD(struct kvm_regs, rsp), FLD(struct kvm_regs, rbp),
	FLD(struct kvm_regs, r8), FLD(struct kvm_regs, r9),
	FLD(struct kvm_regs, r10), FLD(struct kvm_regs, r11),
	FLD(struct kvm_regs, r12), FLD(struct kvm_regs, r13),
	FLD(struct kvm_regs, r14), FLD(struct kvm_regs, r15),
	FLD(struct kvm_regs, rip), FLD(struct kvm_regs, rflags),
	FLD(struct kvm_regs, rip), FLD(struct kvm_regs, rflags),
};

static const struct field events_fields[] = {
	FLD(struct kvm_vcpu_events, exception.injected),
	FLD(struct kvm_vcpu_events, exception.nr),
	FLD(struct kvm_vcpu_events, exception.has_error_code),
	FLD(struct kvm_vcpu_events, exception.pending),
	FLD(struct kvm_vcpu_events, exception.error_code),
	FLD(struct kvm_vcpu_events, interrupt.injected),
	FLD(struct kvm_vcpu_events, interrupt.nr),
	FLD(struct kvm_vcpu_events, interrupt.soft),
	FLD(struct kvm_vcpu_events, interrupt.shadow),
	FLD(struct kvm_vcpu_events, nmi.injected),
	FLD(struct kvm_vcpu_events, nmi.pending),
	FLD(struct kvm_vcpu_events, nmi.masked),
	FLD(struct kvm_vcpu_events, nmi.pad),
	FLD(struct kvm_vcpu_events, sipi_vector),
	FLD(struct kvm_vcpu_events, flags),
	FLD(struct kvm_vcpu_events, flags),
	FLD(struct kvm_vcpu_events, smi.smm),
	FLD(struct kvm_vcpu_events, smi.pending),
	FLD(struct kvm_vcpu_events, smi.smm_inside_nmi),
	FLD(struct kvm_vcpu_events, smi.latched_init),
	FLD(struct kvm_vcpu_events, triple_fault.pending),
	FLD(struct kvm_vcpu_events, reserved[0]),
	FLD(struct kvm_vcpu_events, reserved[25]),
	FLD(struct kvm_vcpu_events, exception_has_payload),
	FLD(struct kvm_vcpu_events, exception_payload),
};

/*
 * One field of @base changed: 1-3 bits flipped (most often), an edge value
 * or a random value.  Describes the change in @desc.
 */
static void mutate_field(void *base, const struct field *f, char *desc,
			 size_t dlen)
{
	uint8_t *p = (uint8_t *)base + f->off;
	uint64_t old = 0, v, mask;
	unsigned int i, n;
	const char *how;

	mask = f->size >= 8 ? ~0ULL : (1ULL << (8 * f->size)) - 1;
	memcpy(&old, p, f->size);
	v = old;
	switch (rnd_below(5)) {
	case 0: case 1: case 2:
		n = 1 + rnd_below(3);
		for (i = 0; i < n; i++)
			v ^= 1ULL << rnd_below(8 * f->size);
		how = "bit flip";
		break;
	case 3:
		v = rnd_edge_value();
		how = "edge value";
		break;
	default:
		v = rnd();
		how = "random";
		break;
	}
	v &= mask;
	memcpy(p, &v, f->size);
	snprintf(desc, dlen, "%s (%s): 0x%lx -> 0x%lx", f->name, how,
		 (unsigned long)old, (unsigned long)v);
}

static void hexdump(const char *what, const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	fprintf(stderr, "# %s (%zu bytes):", what, n);
	for (i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? (i % 8 ? "" : " ") : "\n#   ",
			b[i]);
	fprintf(stderr, "\n");
}

/* ---- the fixture ------------------------------------------------------ */

static void on_alarm(int sig)
{
}

FIXTURE(fuzz) {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct vcpu_state *good;
	void *mem, *mem_copy;		/* guest memory [0, mem_size) */
	size_t mem_size;
	uint8_t *guard;			/* 2 pages, the second PROT_NONE */
	struct kvm_msrs *msrs;		/* MSR_BUF_ENTRIES entries */
	struct kvm_xsave *xsave;	/* good->xsave_size bytes */
	const uint32_t *msr_list;
	unsigned int nr_msr_list;
	unsigned int iter;
	char last[512];			/* the last fuzzed input, for reports */
	const void *last_buf;		/* ... and its bytes */
	size_t last_len;
	unsigned int accepted, rejected, efault, runs, checks;
	unsigned int exits[64];		/* exit reasons of fuzzed runs */
	unsigned int eintr;
	bool no_run;			/* the input must not be run */
	unsigned int smm_not_run;
	unsigned int bad_error_not_run;
};

FIXTURE_SETUP(fuzz)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	/* No SA_RESTART: the timer signal gets KVM_RUN out with EINTR. */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	seed_test(_metadata);

	self->vm = vm_create_guest(&self->vcpu, guest_code);
	self->good = vcpu_state_save(self->vcpu);
	self->mem_size = self->vm->alloc_next;
	self->mem = addr_gpa2hva(self->vm, 0);
	addr_gpa2hva(self->vm, self->mem_size - 1);
	self->mem_copy = malloc(self->mem_size);
	ASSERT_TRUE(self->mem_copy != NULL);
	memcpy(self->mem_copy, self->mem, self->mem_size);

	self->guard = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->guard);
	ASSERT_EQ(0, mprotect(self->guard + PAGE_SIZE, PAGE_SIZE, PROT_NONE));
	self->msrs = kvm_msrs_alloc(MSR_BUF_ENTRIES);
	self->xsave = calloc(1, self->good->xsave_size);
	ASSERT_TRUE(self->xsave != NULL);
	self->nr_msr_list = kvm_msr_index_list(&self->msr_list);
	ASSERT_GT(self->nr_msr_list, 0);
	strcpy(self->last, "(none yet)");
}

FIXTURE_TEARDOWN(fuzz)
{
	unsigned int i;

	TH_LOG("%u inputs accepted, %u rejected, %u EFAULT; %u fuzzed runs (%u EINTR), %u good-state checks; %u SMM and %u other event inputs not run",
	       self->accepted, self->rejected, self->efault, self->runs,
	       self->eintr, self->checks, self->smm_not_run,
	       self->bad_error_not_run);
	for (i = 0; i < ARRAY_SIZE(self->exits); i++)
		if (self->exits[i])
			TH_LOG("  fuzzed runs ending in %s: %u",
			       exit_reason_str(i), self->exits[i]);
	munmap(self->guard, 2 * PAGE_SIZE);
	free(self->msrs);
	free(self->xsave);
	free(self->mem_copy);
	vcpu_state_free(self->good);
	kvm_vm_free(self->vm);
}

/* The errnos KVM's state ioctls fail with; anything else is a bug. */
static bool plain_errno(int e)
{
	switch (e) {
	case EINVAL: case E2BIG: case EFAULT: case EPERM: case ENXIO:
	case EOPNOTSUPP: case EBUSY: case ENOMEM: case EIO:
		return true;
	default:
		return false;
	}
}

static void report_input(FIXTURE_DATA(fuzz) *self)
{
	fprintf(stderr, "# iteration %u, last input: %s\n", self->iter,
		self->last);
	if (self->last_buf)
		hexdump("input", self->last_buf, self->last_len);
}

/* Fails the test (and says which input) unless @cond. */
#define FUZZ_CHECK(cond, fmt, ...) ({					\
	bool __ok = (cond);						\
	if (!__ok) {							\
		TH_LOG("FAILED: %s: " fmt, #cond, ##__VA_ARGS__);	\
		report_input(self);					\
		_metadata->passed = 0;					\
	}								\
	__ok;								\
})

static void arm_timer(long usec)
{
	struct itimerval it = {
		.it_value = { .tv_sec = usec / 1000000, .tv_usec = usec % 1000000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * The result of a fuzzed KVM_SET_*: 0 (or, for KVM_SET_MSRS, a count up
 * to @max), or -1 with a plain errno; @want_errno (if not 0) is the one
 * errno the input must get.  Returns true if the input was accepted.
 */
static bool check_set(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fuzz) *self, const char *ioctl_name,
		      long r, int err, long max, int want_errno)
{
	if (want_errno) {
		FUZZ_CHECK(r == -1 && err == want_errno,
			   "%s returned %ld errno %d (%s), expected -1 with %s",
			   ioctl_name, r, err, strerrorname_np(err) ?: "?",
			   strerrorname_np(want_errno));
		if (err == EFAULT)
			self->efault++;
		return false;
	}
	if (r == -1) {
		FUZZ_CHECK(plain_errno(err), "%s failed with errno %d (%s)",
			   ioctl_name, err, strerrorname_np(err) ?: "?");
		self->rejected++;
		return false;
	}
	FUZZ_CHECK(r >= 0 && r <= max, "%s returned %ld (expected 0..%ld)",
		   ioctl_name, r, max);
	self->accepted++;
	return true;
}

/* KVM_RUN with immediate_exit: finishes a half-done I/O exit, if any. */
static void complete_exit(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fuzz) *self)
{
	int r, err;

	self->vcpu->run->immediate_exit = 1;
	arm_timer(5000000);
	r = ioctl(self->vcpu->fd, KVM_RUN, 0);
	err = errno;
	arm_timer(0);
	self->vcpu->run->immediate_exit = 0;
	FUZZ_CHECK(r == 0 || (r == -1 && (err == EINTR || plain_errno(err))),
		   "KVM_RUN with immediate_exit: %d errno %d (%s)", r, err,
		   strerrorname_np(err) ?: "?");
}

static const uint32_t msrs_need_lapic[] = {
	0x4b564d06,	/* MSR_KVM_ASYNC_PF_INT: see lib/state.c */
};

/*
 * The known-good state back in: every KVM_SET_* must succeed, however
 * the fuzzing left the vCPU.  Guest memory too, since a fuzzed run may
 * have written anywhere.
 */
static bool restore_good(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fuzz) *self)
{
	const struct vcpu_state *g = self->good;
	struct kvm_vcpu *vcpu = self->vcpu;
	struct kvm_msrs *m = self->msrs;
	unsigned int i, j;
	bool ok = true;
	int r;

#define RESTORE(cmd, arg)						\
	do {								\
		r = ioctl(vcpu->fd, cmd, arg);				\
		ok &= FUZZ_CHECK(r == 0, "restoring the good state: %s: %d errno %d (%s)", \
				 #cmd, r, errno, strerrorname_np(errno) ?: "?"); \
	} while (0)

	complete_exit(_metadata, self);
	RESTORE(KVM_SET_REGS, &g->regs);
	RESTORE(KVM_SET_XSAVE, g->xsave);
	if (g->has_xcrs)
		RESTORE(KVM_SET_XCRS, &g->xcrs);
	RESTORE(KVM_SET_SREGS, &g->sregs);

	m->nmsrs = 0;
	m->pad = 0;
	for (i = 0; i < g->msrs->nmsrs && m->nmsrs < MSR_BUF_ENTRIES; i++) {
		const struct kvm_msr_entry *e = &g->msrs->entries[i];
		bool skip = false;

		for (j = 0; j < ARRAY_SIZE(msrs_need_lapic); j++)
			skip |= e->index == msrs_need_lapic[j] && !e->data;
		if (!skip)
			m->entries[m->nmsrs++] = *e;
	}
	r = ioctl(vcpu->fd, KVM_SET_MSRS, m);
	ok &= FUZZ_CHECK(r == (int)m->nmsrs,
			 "restoring the good state: KVM_SET_MSRS wrote %d of %u (stopped at 0x%x)",
			 r, m->nmsrs, r >= 0 && r < (int)m->nmsrs ?
			 m->entries[r].index : 0);

	RESTORE(KVM_SET_MP_STATE, &g->mp_state);
	RESTORE(KVM_SET_VCPU_EVENTS, &g->events);
	RESTORE(KVM_SET_DEBUGREGS, &g->debugregs);
#undef RESTORE
	memcpy(self->mem, self->mem_copy, self->mem_size);
	return ok;
}

/* Good state back in, and the guest must make its ucall. */
static bool check_usable(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fuzz) *self)
{
	struct kvm_vcpu *vcpu = self->vcpu;
	struct ucall uc;
	bool ok;
	int r, err;

	self->checks++;
	if (!restore_good(_metadata, self))
		return false;
	arm_timer(10000000);
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	err = errno;
	arm_timer(0);
	ok = FUZZ_CHECK(r == 0, "KVM_RUN of the good state: %d errno %d (%s)%s",
			r, err, strerrorname_np(err) ?: "?",
			err == EINTR ? ": no exit within 10 s" : "");
	if (ok)
		ok = FUZZ_CHECK(vcpu->run->exit_reason == KVM_EXIT_IO &&
				vcpu->run->io.port == UCALL_PORT,
				"KVM_RUN of the good state: exit %s, not the ucall",
				exit_reason_str(vcpu->run->exit_reason));
	if (ok) {
		uint64_t cmd = get_ucall(vcpu, &uc);

		ok = FUZZ_CHECK(cmd == UCALL_SYNC && uc.args[0] == GOOD_MAGIC,
				"good state: ucall %s (0x%lx), expected SYNC(0x%llx)",
				ucall_name(cmd), (unsigned long)uc.args[0],
				GOOD_MAGIC);
	}
	if (!ok) {
		vcpu_dump_exit(stderr, vcpu);
		vcpu_dump_state(stderr, vcpu);
	}
	return ok;
}

/* KVM_RUN of an accepted fuzzed state: any exit, bounded in time. */
static void fuzz_run(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fuzz) *self)
{
	struct kvm_vcpu *vcpu = self->vcpu;
	uint32_t reason;
	int r, err;

	self->runs++;
	arm_timer(100000);
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	err = errno;
	arm_timer(0);
	if (r == -1) {
		if (err == EINTR)
			self->eintr++;
		else
			FUZZ_CHECK(plain_errno(err),
				   "KVM_RUN of a fuzzed state: errno %d (%s)",
				   err, strerrorname_np(err) ?: "?");
		return;
	}
	reason = vcpu->run->exit_reason;
	if (!FUZZ_CHECK(r == 0 && strcmp(exit_reason_str(reason),
					 "(unknown exit reason)"),
			"KVM_RUN of a fuzzed state: %d, exit reason %u", r,
			reason))
		return;
	if (reason < ARRAY_SIZE(self->exits))
		self->exits[reason]++;
}

/* ---- the fuzzers: one input each, returning whether it was accepted --- */

/*
 * Copies @len bytes of @src so that the buffer ends @cut bytes early, at
 * a PROT_NONE page, and returns its address for the ioctl.
 */
static void *truncated_copy(FIXTURE_DATA(fuzz) *self, const void *src,
			    size_t len, size_t cut)
{
	size_t room = len - cut;

	if (room > PAGE_SIZE)
		room = PAGE_SIZE;
	memcpy(self->guard + PAGE_SIZE - room, src, room);
	return self->guard + PAGE_SIZE - room;
}

/* One in 32 inputs: a buffer cut short (1 byte .. all of it). */
static bool want_truncation(void)
{
	return rnd_below(32) == 0;
}

static bool input_sregs(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fuzz) *self)
{
	static struct kvm_sregs s;
	struct kvm_sregs before, after;
	long r;
	int err;

	s = self->good->sregs;
	if (rnd_below(4)) {
		mutate_field(&s, &sregs_fields[rnd_below(ARRAY_SIZE(sregs_fields))],
			     self->last, sizeof(self->last));
		/* Sometimes a second field, for combinations. */
		if (!rnd_below(4)) {
			size_t l = strlen(self->last);

			snprintf(self->last + l, sizeof(self->last) - l, "; ");
			l = strlen(self->last);
			mutate_field(&s, &sregs_fields[rnd_below(ARRAY_SIZE(sregs_fields))],
				     self->last + l, sizeof(self->last) - l);
		}
	} else {
		rnd_fill(&s, sizeof(s));
		snprintf(self->last, sizeof(self->last), "KVM_SET_SREGS random");
	}
	self->last_buf = &s;
	self->last_len = sizeof(s);

	if (want_truncation()) {
		size_t cut = 1 + rnd_below(sizeof(s));

		r = ioctl(self->vcpu->fd, KVM_SET_SREGS,
			  truncated_copy(self, &s, sizeof(s), cut));
		err = errno;
		snprintf(self->last + strlen(self->last),
			 sizeof(self->last) - strlen(self->last),
			 " [buffer cut %zu bytes short]", cut);
		return check_set(_metadata, self, "KVM_SET_SREGS", r, err, 0,
				 EFAULT);
	}

	vcpu_sregs_get(self->vcpu, &before);
	r = ioctl(self->vcpu->fd, KVM_SET_SREGS, &s);
	err = errno;
	if (!check_set(_metadata, self, "KVM_SET_SREGS", r, err, 0, 0)) {
		vcpu_sregs_get(self->vcpu, &after);
		FUZZ_CHECK(!memcmp(&before, &after, sizeof(after)),
			   "a rejected KVM_SET_SREGS changed the registers");
		return false;
	}
	return true;
}

static bool input_regs(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fuzz) *self)
{
	static struct kvm_regs s;
	long r;
	int err;

	s = self->good->regs;
	if (rnd_below(4)) {
		mutate_field(&s, &regs_fields[rnd_below(ARRAY_SIZE(regs_fields))],
			     self->last, sizeof(self->last));
	} else {
		rnd_fill(&s, sizeof(s));
		snprintf(self->last, sizeof(self->last), "KVM_SET_REGS random");
	}
	self->last_buf = &s;
	self->last_len = sizeof(s);
	if (want_truncation()) {
		size_t cut = 1 + rnd_below(sizeof(s));

		r = ioctl(self->vcpu->fd, KVM_SET_REGS,
			  truncated_copy(self, &s, sizeof(s), cut));
		err = errno;
		snprintf(self->last + strlen(self->last),
			 sizeof(self->last) - strlen(self->last),
			 " [buffer cut %zu bytes short]", cut);
		return check_set(_metadata, self, "KVM_SET_REGS", r, err, 0,
				 EFAULT);
	}
	r = ioctl(self->vcpu->fd, KVM_SET_REGS, &s);
	err = errno;
	return check_set(_metadata, self, "KVM_SET_REGS", r, err, 0, 0);
}

static bool input_events(struct __test_metadata *_metadata,
			FIXTURE_DATA(fuzz) *self)
{
	static struct kvm_vcpu_events s;
	long r;
	int err;

	s = self->good->events;
	switch (rnd_below(8)) {
	case 0:
		rnd_fill(&s, sizeof(s));
		snprintf(self->last, sizeof(self->last),
			 "KVM_SET_VCPU_EVENTS random");
		break;
	case 1:
		/* Random, but in the shape KVM accepts: small values. */
		rnd_fill(&s, sizeof(s));
		s.exception.injected &= 1;
		s.exception.pending &= 1;
		s.exception.has_error_code &= 1;
		s.exception.nr &= 31;
		s.interrupt.injected &= 1;
		s.interrupt.soft &= 1;
		s.interrupt.shadow &= 3;
		s.nmi.injected &= 1;
		s.nmi.pending &= 1;
		s.nmi.masked &= 1;
		s.nmi.pad = 0;
		s.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING |
			   KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			   KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_SMM;
		s.smi.smm &= 1;
		s.smi.pending &= 1;
		s.smi.smm_inside_nmi &= 1;
		s.smi.latched_init &= 1;
		s.triple_fault.pending = 0;
		memset(s.reserved, 0, sizeof(s.reserved));
		s.exception_has_payload = 0;
		s.exception_payload = 0;
		snprintf(self->last, sizeof(self->last),
			 "KVM_SET_VCPU_EVENTS random, valid shape");
		break;
	default:
		mutate_field(&s, &events_fields[rnd_below(ARRAY_SIZE(events_fields))],
			     self->last, sizeof(self->last));
		break;
	}
	self->last_buf = &s;
	self->last_len = sizeof(s);
	if (want_truncation()) {
		size_t cut = 1 + rnd_below(sizeof(s));

		r = ioctl(self->vcpu->fd, KVM_SET_VCPU_EVENTS,
			  truncated_copy(self, &s, sizeof(s), cut));
		err = errno;
		snprintf(self->last + strlen(self->last),
			 sizeof(self->last) - strlen(self->last),
			 " [buffer cut %zu bytes short]", cut);
		return check_set(_metadata, self, "KVM_SET_VCPU_EVENTS", r,
				 err, 0, EFAULT);
	}
	/*
	 * An SMI or SMM entry is not run: entering SMM from this guest can
	 * end the VM on the distro KVM (seen: every later ioctl of the VM
	 * fails with EIO, kvm_vm_dead(), after a KVM_RUN with smi.pending
	 * set), which is KVM's answer to a failed SMM transition, not an
	 * unusable-vCPU bug.  Setting these fields is still fuzzed.
	 */
	if ((s.flags & KVM_VCPUEVENT_VALID_SMM) &&
	    memcmp(&s.smi, &self->good->events.smi, sizeof(s.smi))) {
		self->no_run = true;
		self->smm_not_run++;
	}
	/*
	 * Nor an exception whose error code does not match its vector
	 * (SDM Vol. 3A 6.15; the guest is in protected mode): the distro
	 * KVM on VMX hands it to VM entry, which fails (invalid control
	 * field), and the vCPU then fails every later entry too, even
	 * after the good state is restored (seen on the Bochs host).  kvmx
	 * drops an error code the vector does not push.
	 */
	if ((s.exception.injected &&
	     !s.exception.has_error_code !=
	     !((1u << (s.exception.nr & 31)) & EXC_WITH_ERROR_CODE)) ||
	    /*
	     * Nor a software interrupt: the ABI gives it no instruction
	     * length, and on the distro KVM (VMX) one left the vCPU taking
	     * a stray exception even after the good state was restored.
	     */
	    (s.interrupt.injected && s.interrupt.soft) ||
	    /*
	     * Nor an NMI already "injected", nor an exception "pending"
	     * (a payload field without KVM_CAP_EXCEPTION_PAYLOAD): after
	     * running one, the distro KVM (VMX) delivered a stray NMI or
	     * #GP to the guest even after KVM_SET_VCPU_EVENTS of the good
	     * state.
	     */
	    s.nmi.injected || s.exception.pending) {
		self->no_run = true;
		self->bad_error_not_run++;
	}
	r = ioctl(self->vcpu->fd, KVM_SET_VCPU_EVENTS, &s);
	err = errno;
	return check_set(_metadata, self, "KVM_SET_VCPU_EVENTS", r, err, 0, 0);
}

static uint64_t good_msr_value(FIXTURE_DATA(fuzz) *self, uint32_t index)
{
	const struct kvm_msrs *m = self->good->msrs;
	unsigned int i;

	for (i = 0; i < m->nmsrs; i++)
		if (m->entries[i].index == index)
			return m->entries[i].data;
	return 0;
}

static uint32_t rnd_msr_index(FIXTURE_DATA(fuzz) *self)
{
	static const uint32_t ranges[][2] = {
		{ 0x00000000, 0x2000 },		/* architectural */
		{ 0xc0000000, 0x2000 },		/* AMD64 */
		{ 0xc0010000, 0x2000 },		/* AMD */
		{ 0x40000000, 0x200 },		/* Hyper-V */
		{ 0x4b564d00, 0x100 },		/* KVM paravirt */
	};
	unsigned int k;

	switch (rnd_below(8)) {
	case 0:
		return rnd();
	case 1:
		k = rnd_below(ARRAY_SIZE(ranges));
		return ranges[k][0] + rnd_below(ranges[k][1]);
	default:
		return self->msr_list[rnd_below(self->nr_msr_list)];
	}
}

static bool input_msrs(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fuzz) *self)
{
	struct kvm_msrs *m = self->msrs;
	unsigned int i, n, mode = rnd_below(16);
	size_t len, l;
	long r;
	int err, want = 0;

	n = mode == 0 ? 0 : 1 + rnd_below(4);
	memset(m, 0, sizeof(*m) + MSR_BUF_ENTRIES * sizeof(m->entries[0]));
	m->nmsrs = n;
	snprintf(self->last, sizeof(self->last), "KVM_SET_MSRS");
	for (i = 0; i < n; i++) {
		struct kvm_msr_entry *e = &m->entries[i];
		const char *how;

		e->index = rnd_msr_index(self);
		e->data = good_msr_value(self, e->index);
		switch (rnd_below(4)) {
		case 0: case 1:
			e->data ^= 1ULL << rnd_below(64);
			if (rnd_below(2))
				e->data ^= 1ULL << rnd_below(64);
			how = "bit flip";
			break;
		case 2:
			e->data = rnd_edge_value();
			how = "edge";
			break;
		default:
			e->data = rnd();
			how = "random";
			break;
		}
		if (mode == 1)
			e->reserved = rnd();
		l = strlen(self->last);
		snprintf(self->last + l, sizeof(self->last) - l,
			 " [0x%x] = 0x%lx (%s)%s", e->index,
			 (unsigned long)e->data, how, e->reserved ?
			 " with reserved set" : "");
	}
	if (mode == 1)
		m->pad = rnd();
	len = sizeof(*m) + n * sizeof(m->entries[0]);
	if (mode == 2) {
		/* At or over KVM's limit: E2BIG, whatever the entries. */
		m->nmsrs = KVM_MAX_IO_MSRS +
			   rnd_below(rnd_below(2) ? 8 : 0x100000000ULL - KVM_MAX_IO_MSRS);
		want = E2BIG;
		l = strlen(self->last);
		snprintf(self->last + l, sizeof(self->last) - l,
			 " with nmsrs = %u", m->nmsrs);
	}
	self->last_buf = m;
	self->last_len = len;

	if (want_truncation() && !want) {
		/* Cut into the header (any n) or, for n > 0, into the entries. */
		size_t cut = 1 + rnd_below(len);

		r = ioctl(self->vcpu->fd, KVM_SET_MSRS,
			  truncated_copy(self, m, len, cut));
		err = errno;
		l = strlen(self->last);
		snprintf(self->last + l, sizeof(self->last) - l,
			 " [buffer cut %zu bytes short]", cut);
		return check_set(_metadata, self, "KVM_SET_MSRS", r, err, n,
				 EFAULT);
	}
	r = ioctl(self->vcpu->fd, KVM_SET_MSRS, m);
	err = errno;
	if (!check_set(_metadata, self, "KVM_SET_MSRS", r, err, n, want))
		return false;
	/* Only an input that was written whole counts as accepted. */
	return r == n;
}

static bool input_xsave(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fuzz) *self)
{
	struct kvm_xsave *x = self->xsave;
	size_t size = self->good->xsave_size, off, len;
	uint8_t *b = (uint8_t *)x;
	unsigned int i, nbits;
	long r;
	int err;

	memcpy(x, self->good->xsave, size);
	switch (rnd_below(8)) {
	case 0:
		rnd_fill(x, size);
		snprintf(self->last, sizeof(self->last),
			 "KVM_SET_XSAVE random (all %zu bytes)", size);
		break;
	case 1:
		/* Random header: XSTATE_BV, XCOMP_BV and the reserved bytes. */
		rnd_fill(b + 512, 64);
		snprintf(self->last, sizeof(self->last),
			 "KVM_SET_XSAVE random header");
		break;
	default:
		/* Bit flips: the header, MXCSR/MXCSR_MASK or anywhere. */
		switch (rnd_below(4)) {
		case 0:
			off = 512 + rnd_below(64);
			break;
		case 1:
			off = 24 + rnd_below(8);
			break;
		case 2:
			off = rnd_below(512);
			break;
		default:
			off = rnd_below(size);
			break;
		}
		nbits = 1 + rnd_below(3);
		for (i = 0; i < nbits; i++)
			b[off] ^= 1 << rnd_below(8);
		snprintf(self->last, sizeof(self->last),
			 "KVM_SET_XSAVE byte %zu: 0x%02x -> 0x%02x", off,
			 ((uint8_t *)self->good->xsave)[off], b[off]);
		break;
	}
	self->last_buf = b;
	self->last_len = 576;		/* legacy area and header */

	if (want_truncation()) {
		size_t cut = 1 + rnd_below(size < PAGE_SIZE ? size : PAGE_SIZE);

		/* The whole buffer goes up to the PROT_NONE page. */
		len = size - cut;
		if (len <= PAGE_SIZE) {
			r = ioctl(self->vcpu->fd, KVM_SET_XSAVE,
				  truncated_copy(self, x, size, cut));
			err = errno;
			snprintf(self->last + strlen(self->last),
				 sizeof(self->last) - strlen(self->last),
				 " [buffer cut %zu bytes short]", cut);
			return check_set(_metadata, self, "KVM_SET_XSAVE", r,
					 err, 0, EFAULT);
		}
	}
	r = ioctl(self->vcpu->fd, KVM_SET_XSAVE, x);
	err = errno;
	return check_set(_metadata, self, "KVM_SET_XSAVE", r, err, 0, 0);
}

typedef bool (*fuzzer_t)(struct __test_metadata *, FIXTURE_DATA(fuzz) *);

/*
 * @iters fuzzed inputs from @fuzzers.  One in @run_one accepted inputs is
 * applied on top of the freshly restored good state and run; every fuzzed
 * run and every CHECK_EVERY inputs, the good state must still run.
 * Stops at the first failure: what follows would not be attributable.
 */
static void fuzz_loop(struct __test_metadata *_metadata,
		      FIXTURE_DATA(fuzz) *self, const fuzzer_t *fuzzers,
		      unsigned int nr_fuzzers, unsigned int iters,
		      unsigned int run_one)
{
	unsigned int i;

	if (!check_usable(_metadata, self))
		return;
	for (i = 0; i < iters && _metadata->passed; i++) {
		fuzzer_t f = fuzzers[rnd_below(nr_fuzzers)];
		bool run = !rnd_below(run_one);

		self->iter = i;
		self->no_run = false;
		if (run && !restore_good(_metadata, self))
			break;
		if (f(_metadata, self) && run && !self->no_run) {
			fuzz_run(_metadata, self);
			if (!_metadata->passed || !check_usable(_metadata, self))
				break;
			continue;
		}
		if (!_metadata->passed)
			break;
		if (i % CHECK_EVERY == CHECK_EVERY - 1 &&
		    !check_usable(_metadata, self))
			break;
	}
	if (_metadata->passed) {
		strcpy(self->last, "(end of the loop)");
		self->last_buf = NULL;
		check_usable(_metadata, self);
	}
}

#define FUZZ_TEST(name, iters, run_one, ...)				\
TEST_F_TIMEOUT(fuzz, name, 60)						\
{									\
	static const fuzzer_t fz[] = { __VA_ARGS__ };			\
									\
	fuzz_loop(_metadata, self, fz, ARRAY_SIZE(fz), iters, run_one); \
}

FUZZ_TEST(sregs, ITERS, 12, input_sregs)
FUZZ_TEST(regs, ITERS, 12, input_regs)
FUZZ_TEST(msrs, ITERS, 12, input_msrs)
FUZZ_TEST(vcpu_events, ITERS, 12, input_events)
FUZZ_TEST(xsave, ITERS, 12, input_xsave)
/* All of them, in random order, and accepted inputs run more often. */
FUZZ_TEST(mixed, MIXED_ITERS, 4, input_sregs, input_regs, input_msrs,
	  input_events, input_xsave)

TEST_HARNESS_MAIN
