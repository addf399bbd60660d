// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host-state correctness under stress: the host must never notice a guest.
 *
 * Several VMs with several vCPUs each run, one thread per vCPU, a register
 * workload (include/guest_mix.h: general, x87, SSE, AVX and AVX-512
 * registers as each VM's XCR0 allows; the VMs use different XCR0s) and
 * check their own results: a run with an exit in every iteration must
 * equal an undisturbed run, and a longer run that the host interrupts
 * with signals must match what the host computes itself.  The guests also
 * keep FS, GS and KERNEL_GS bases of their own and check them, through
 * RDMSR and through %fs:/%gs: loads, after every round trip.
 *
 * Meanwhile host threads keep values in their x87/SSE (and AVX) registers
 * across many sched_yield() calls and preemptions and check they are
 * intact, and run the same workload and check its result.  The vCPU
 * threads do the same around every KVM_RUN: KVM must give the thread its
 * own register state back.  Every thread checks its TLS (a __thread
 * variable, the FS base from arch_prctl) and its GS base.  All threads
 * get a timer signal every few milliseconds (KVM_RUN then returns EINTR
 * with KVM_EXIT_INTR and is re-entered), and are moved between the
 * available CPUs, by themselves and by the main thread while they run.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <syscall.h>
#include <time.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "kvmx_test.h"
#include "guest_mix.h"

/* The largest configuration (the full stress test). */
#define MAX_VMS		3
#define MAX_VCPUS_PER_VM 2
#define MAX_VCPUS	(MAX_VMS * MAX_VCPUS_PER_VM)
#define MAX_HOST_THREADS 2

#define ROUNDS		200	/* ucall round trips per vCPU */
#define EXIT_ITERS	4	/* MIX_PORT exits per round */
#define LONG_ITERS	2000	/* workload iterations without exits */
#define HOST_MIX_ITERS	2000
#define HOST_MIN_LOOPS	50	/* host threads: at least, then until vCPUs end */
#define HOST_YIELDS	8	/* sched_yield() calls with registers held */
#define HOST_SPIN	20000	/* busy loop before each of them */
#define VCPU_SPIN	1000	/* and before each KVM_RUN */
#define TIMER_NS	2000000	/* timer signal period per thread */
#define MIGRATE_US	3000	/* main thread re-pins every worker this often */
#define TIME_LIMIT_S	60

#define __STR(x) #x
#define STR(x) __STR(x)

#define KERNEL_GS_TAG	0xffff888000000000ULL

/* ---- guest ------------------------------------------------------------ */

/*
 * One per vCPU of a VM (each VM has its own copy of this binary's data).
 * The FS and GS bases point at fs_tag and gs_tag.
 */
struct guest_slot {
	struct mix_state a, b, c;
	struct mix_state want;		/* c's expected result, from the host */
	uint64_t fs_tag[8];
	uint64_t gs_tag[8];
} __attribute__((aligned(64)));

static struct guest_slot gslots[MAX_VCPUS_PER_VM];

/* FNV-1a over a mix_state: guest and host both call it. */
static uint64_t mix_hash(const struct mix_state *st)
{
	const uint8_t *p = (const uint8_t *)st;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < sizeof(*st); i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t fs_tag_of(uint64_t seed)
{
	return seed ^ 0xf5f5f5f5a0a0a0a0ULL;
}

static uint64_t gs_tag_of(uint64_t seed)
{
	return seed ^ 0x6565656509090909ULL;
}

static uint64_t kgs_of(uint64_t seed)
{
	return KERNEL_GS_TAG + (seed & 0xffffff000ULL);
}

/* Which registers byte @d of a struct mix_state holds. */
static const char *mix_region(long d)
{
	return d < 64 ? "r8-r15" : d < 192 ? "x87 stack" : d < 448 ? "xmm" :
	       d < 704 ? "ymm upper halves" : d < 1728 ? "zmm16-31" :
	       d < 1792 ? "k0-k7" : d < 1794 ? "x87 control word" :
	       d < 1796 ? "x87 status word" : d < 1800 ? "MXCSR" :
	       d < 1808 ? "RFLAGS" : "padding";
}

static void guest_check_bases(struct guest_slot *s, uint64_t seed)
{
	uint64_t fs, gs;

	GUEST_ASSERT_EQ(guest_rdmsr(MSR_FS_BASE), (uint64_t)s->fs_tag);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_GS_BASE), (uint64_t)s->gs_tag);
	GUEST_ASSERT_EQ(guest_rdmsr(MSR_KERNEL_GS_BASE), kgs_of(seed));
	/* The bases the segments really use. */
	asm volatile("mov %%fs:0, %0" : "=r"(fs));
	asm volatile("mov %%gs:0, %0" : "=r"(gs));
	GUEST_ASSERT_EQ(fs, fs_tag_of(seed));
	GUEST_ASSERT_EQ(gs, gs_tag_of(seed));
}

static void guest_stress(uint64_t idx, uint64_t flags, uint64_t seed)
{
	struct guest_slot *s = &gslots[idx];
	uint64_t r;
	long d;

	s->fs_tag[0] = fs_tag_of(seed);
	s->gs_tag[0] = gs_tag_of(seed);
	guest_wrmsr(MSR_FS_BASE, (uint64_t)s->fs_tag);
	guest_wrmsr(MSR_GS_BASE, (uint64_t)s->gs_tag);
	guest_wrmsr(MSR_KERNEL_GS_BASE, kgs_of(seed));
	if (flags & (MIX_F_AVX | MIX_F_AVX512))
		GUEST_ASSERT_EQ(guest_xgetbv(0), mix_xcr0(flags));

	for (r = 0; r < ROUNDS; r++) {
		mix_state_init(&s->a, seed + r);
		mix_state_init(&s->b, seed + r);
		/* An exit to the host in every iteration... */
		mix_run(&s->a, EXIT_ITERS, flags | MIX_F_EXITS);
		/* ...must change nothing. */
		mix_run(&s->b, EXIT_ITERS, flags);
		d = mix_state_cmp(&s->a, &s->b);
		GUEST_ASSERT_MSG(d < 0, "round %lu: run with exits differs from the quiet run at byte %ld of struct mix_state (%s)",
				 r, d, mix_region(d));
		/* Long enough for timer signals to interrupt it. */
		mix_state_init(&s->c, seed);
		mix_run(&s->c, LONG_ITERS, flags);
		d = mix_state_cmp(&s->c, &s->want);
		GUEST_ASSERT_MSG(d < 0, "round %lu: long run differs from the host's at byte %ld of struct mix_state (%s)",
				 r, d, mix_region(d));
		guest_check_bases(s, seed);
		ucall(UCALL_SYNC, 2, r, mix_hash(&s->c));
		guest_check_bases(s, seed);
	}
	GUEST_DONE();
}

/* ---- host register holding ---------------------------------------------- */

/*
 * host_hold(st, n, flags, sc): loads r12-r15, the x87 stack and control
 * word, MXCSR, xmm0-15 and (flags & MIX_F_AVX) the upper halves of
 * ymm0-15 from *st (the struct mix_state layout), then n times spins
 * sc[4] loop iterations and makes the system call sc[0] with arguments
 * sc[1..3], and stores the
 * same registers back into *st.  Returns the last system call's result.
 * Callee-saved registers and the caller's control word and MXCSR are
 * preserved.  r8-r11 are not held (the syscall ABI uses them).
 */
asm(".pushsection .text\n"
    ".globl host_hold\n"
    ".type host_hold, @function\n"
    "host_hold:\n"
    "\tpush %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n"
    "\tsub $40, %rsp\n"
    "\tfnstcw (%rsp)\n"
    "\tstmxcsr 4(%rsp)\n"
    "\tmov %rdi, 8(%rsp)\n"
    "\tmov %rcx, 16(%rsp)\n"
    "\tmov %rsi, %rbx\n"
    "\tmov %rdx, %rbp\n"
    ".irp r, 12,13,14,15\n"
    "\tmov 8*(\\r-8)(%rdi), %r\\r\n"
    ".endr\n"
    MIX_ASM_LOAD_FP
    "\txor %eax, %eax\n"
    "2:\n"
    "\ttest %rbx, %rbx\n"
    "\tjz 9f\n"
    "\tmov 16(%rsp), %r11\n"
    "\tmov 32(%r11), %rcx\n"
    "3:\n"
    "\tjrcxz 4f\n"
    "\tdec %rcx\n"
    "\tjmp 3b\n"
    "4:\n"
    "\tmov (%r11), %rax\n"
    "\tmov 8(%r11), %rdi\n"
    "\tmov 16(%r11), %rsi\n"
    "\tmov 24(%r11), %rdx\n"
    "\tsyscall\n"
    "\tdec %rbx\n"
    "\tjmp 2b\n"
    "9:\n"
    "\tmov 8(%rsp), %rdi\n"
    ".irp r, 12,13,14,15\n"
    "\tmov %r\\r, 8*(\\r-8)(%rdi)\n"
    ".endr\n"
    MIX_ASM_STORE_FP
    "\tvzeroupper\n"
    "1:\n"
    "\tfldcw (%rsp)\n"
    "\tldmxcsr 4(%rsp)\n"
    "\tadd $40, %rsp\n"
    "\tpop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n"
    "\tret\n"
    ".size host_hold, . - host_hold\n"
    ".popsection\n");

long host_hold(struct mix_state *st, uint64_t n, uint64_t flags,
	       const uint64_t *sc);

/* ---- host threads ------------------------------------------------------- */

enum worker_kind { W_VCPU, W_HOST };

struct worker {
	enum worker_kind kind;
	int index;
	pthread_t thread;
	volatile pid_t tid;
	volatile int done;
	int failed;
	char msg[512];

	/* vCPU workers */
	struct kvm_vcpu *vcpu;
	uint64_t mix_flags;		/* the guest's */
	uint64_t seed;
	uint64_t guest_fs, guest_gs;	/* expected guest bases */

	/* counters */
	unsigned long runs, io_exits, intr_exits, rounds, loops;
	unsigned long hold_checks, migrations;
	uint64_t cpus_seen;		/* bitmap of sched_getcpu() values */
};

/* What one test stresses at once. */
struct stress_cfg {
	unsigned int vms, vcpus_per_vm, host_threads;
	bool signals, migration;
};

static const struct stress_cfg *cfg;
static struct worker workers[MAX_VCPUS + MAX_HOST_THREADS];
static unsigned int nr_workers, nr_vcpu_workers;
static volatile int release_workers;
static uint64_t hold_flags;		/* MIX_F_AVX if the host thread can */
static int cpu_list[64], nr_cpu_list;

static __thread uint64_t tls_tag;
static __thread unsigned long tls_signals;

static void on_timer(int sig)
{
	tls_signals++;
}

static void __attribute__((format(printf, 2, 3)))
worker_fail(struct worker *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->failed++)
		return;
	n = snprintf(w->msg, sizeof(w->msg), "%s %d: ",
		     w->kind == W_VCPU ? "vCPU thread" : "host thread", w->index);
	va_start(ap, fmt);
	vsnprintf(w->msg + n, sizeof(w->msg) - n, fmt, ap);
	va_end(ap);
}

static uint64_t arch_prctl_get(int code)
{
	unsigned long v = 0;

	syscall(SYS_arch_prctl, code, &v);
	return v;
}

struct thread_ctx {
	timer_t timer;
	uint64_t fs, gs;
	unsigned long flips;
	uint64_t hold_seed;
};

static void thread_setup(struct worker *w, struct thread_ctx *t)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};
	struct itimerspec its = {
		.it_interval.tv_nsec = TIMER_NS,
		.it_value.tv_nsec = TIMER_NS,
	};

	w->tid = gettid();
	tls_tag = 0x715000000000ULL + ((uint64_t)w->kind << 16) + w->index;
	t->fs = arch_prctl_get(ARCH_GET_FS);
	t->gs = arch_prctl_get(ARCH_GET_GS);
	t->flips = w->index;
	t->hold_seed = 0x401d0000ULL * (w->kind + 1) + w->index * 0x100000ULL;
	sev._sigev_un._tid = w->tid;
	if (!cfg->signals)
		return;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer))
		worker_fail(w, "timer_create: %s", strerror(errno));
	else if (timer_settime(t->timer, 0, &its, NULL))
		worker_fail(w, "timer_settime: %s", strerror(errno));
}

static void thread_teardown(struct worker *w, struct thread_ctx *t)
{
	if (cfg->signals)
		timer_delete(t->timer);
	w->done = 1;
	/* Stay alive (and a valid target) until the migrator has stopped. */
	while (!release_workers)
		usleep(1000);
}

/* TLS, FS and GS base of this thread; then a move to the next CPU. */
static void thread_check_and_flip(struct worker *w, struct thread_ctx *t)
{
	uint64_t fs = arch_prctl_get(ARCH_GET_FS);
	uint64_t gs = arch_prctl_get(ARCH_GET_GS);
	uint64_t want = 0x715000000000ULL + ((uint64_t)w->kind << 16) + w->index;
	cpu_set_t set;
	int cpu;

	if (tls_tag != want)
		worker_fail(w, "__thread variable changed: 0x%lx, expected 0x%lx",
			    tls_tag, want);
	if (fs != t->fs)
		worker_fail(w, "FS base changed: 0x%lx, expected 0x%lx", fs, t->fs);
	if (gs != t->gs)
		worker_fail(w, "GS base changed: 0x%lx, expected 0x%lx", gs, t->gs);

	cpu = sched_getcpu();
	if (cpu >= 0 && cpu < 64)
		w->cpus_seen |= 1ULL << cpu;
	if (!cfg->migration)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu_list[t->flips++ % nr_cpu_list], &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		worker_fail(w, "sched_setaffinity: %s", strerror(errno));
	else
		w->migrations++;
}

/*
 * Holds a fresh pattern in the registers across n system calls sc; the
 * registers must come back unchanged.  Returns the last call's result.
 */
static long held_syscall(struct worker *w, struct thread_ctx *t, uint64_t n,
			 const uint64_t *sc, const char *what)
{
	static __thread struct mix_state in, out;
	long r, d;

	mix_state_init(&in, t->hold_seed++);
	out = in;
	r = host_hold(&out, n, hold_flags, sc);
	d = mix_state_cmp(&in, &out);
	w->hold_checks++;
	if (d >= 0)
		worker_fail(w, "registers changed across %s: byte %ld of struct mix_state (%s)",
			    what, d, mix_region(d));
	return r;
}

static void *host_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t flags = mix_supported_flags();
	const uint64_t sc_yield[5] = { SYS_sched_yield, 0, 0, 0, HOST_SPIN };
	static __thread struct mix_state ref, st;
	struct thread_ctx t;
	unsigned long i;
	bool vcpus_done;
	long d;

	thread_setup(w, &t);
	mix_state_init(&ref, 0xab0de000ULL + w->index);
	mix_run(&ref, HOST_MIX_ITERS, flags);
	for (i = 0; !w->failed; i++) {
		int j;

		held_syscall(w, &t, HOST_YIELDS, sc_yield, "sched_yield()");
		mix_state_init(&st, 0xab0de000ULL + w->index);
		mix_run(&st, HOST_MIX_ITERS, flags);
		d = mix_state_cmp(&st, &ref);
		if (d >= 0)
			worker_fail(w, "loop %lu: host workload differs at byte %ld (%s)",
				    i, d, mix_region(d));
		thread_check_and_flip(w, &t);
		w->loops++;

		vcpus_done = true;
		for (j = 0; j < nr_vcpu_workers; j++)
			if (!workers[j].done)
				vcpus_done = false;
		if (vcpus_done && i + 1 >= HOST_MIN_LOOPS)
			break;
	}
	thread_teardown(w, &t);
	return NULL;
}

static void check_guest_sregs(struct worker *w)
{
	struct kvm_sregs s;
	uint64_t kgs;

	if (ioctl(w->vcpu->fd, KVM_GET_SREGS, &s)) {
		worker_fail(w, "KVM_GET_SREGS: %s", strerror(errno));
		return;
	}
	if (s.fs.base != w->guest_fs || s.gs.base != w->guest_gs)
		worker_fail(w, "guest FS/GS base 0x%llx/0x%llx, expected 0x%lx/0x%lx",
			    s.fs.base, s.gs.base, w->guest_fs, w->guest_gs);
	if (__vcpu_get_msr(w->vcpu, MSR_KERNEL_GS_BASE, &kgs) != 1)
		worker_fail(w, "KVM_GET_MSRS(KERNEL_GS_BASE) failed");
	else if (kgs != kgs_of(w->seed))
		worker_fail(w, "guest KERNEL_GS_BASE 0x%lx, expected 0x%lx", kgs,
			    kgs_of(w->seed));
}

static void *vcpu_thread(void *arg)
{
	struct worker *w = arg;
	struct kvm_vcpu *vcpu = w->vcpu;
	struct kvm_run *run = vcpu->run;
	const uint64_t sc_run[5] = { SYS_ioctl, vcpu->fd, KVM_RUN, 0, VCPU_SPIN };
	static __thread struct mix_state ref;
	uint64_t want_hash;
	unsigned int iter = 0;
	struct thread_ctx t;
	struct ucall uc;

	thread_setup(w, &t);
	/* What the guest's long run must give. */
	mix_state_init(&ref, w->seed);
	mix_run(&ref, LONG_ITERS, w->mix_flags);
	want_hash = mix_hash(&ref);

	while (!w->failed) {
		long r = held_syscall(w, &t, 1, sc_run, "KVM_RUN");
		uint64_t cmd;

		w->runs++;
		if (r == -EINTR) {
			if (run->exit_reason != KVM_EXIT_INTR)
				worker_fail(w, "KVM_RUN: EINTR with exit reason %s",
					    exit_reason_str(run->exit_reason));
			w->intr_exits++;
			continue;
		}
		if (r) {
			worker_fail(w, "KVM_RUN returned %ld (%s)", r, strerror(-r));
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == MIX_PORT) {
			uint32_t data;

			memcpy(&data, vcpu_io_data(vcpu), sizeof(data));
			if (run->io.direction != KVM_EXIT_IO_OUT ||
			    run->io.size != 4 || data != iter)
				worker_fail(w, "round %lu: port exit dir %u size %u data %u, expected OUT 4 %u",
					    w->rounds, run->io.direction,
					    run->io.size, data, iter);
			iter++;
			w->io_exits++;
			continue;
		}
		cmd = get_ucall(vcpu, &uc);
		if (cmd == UCALL_SYNC) {
			if (uc.args[0] != w->rounds || iter != EXIT_ITERS)
				worker_fail(w, "SYNC %lu after %u port exits, expected %lu after %u",
					    uc.args[0], iter, w->rounds,
					    EXIT_ITERS);
			if (uc.args[1] != want_hash)
				worker_fail(w, "round %lu: guest workload hash 0x%lx, host computed 0x%lx",
					    w->rounds, uc.args[1], want_hash);
			check_guest_sregs(w);
			thread_check_and_flip(w, &t);
			iter = 0;
			w->rounds++;
		} else if (cmd == UCALL_DONE) {
			break;
		} else if (cmd == UCALL_ASSERT) {
			worker_fail(w, "guest assertion at line %lu: %s",
				    uc.line, uc.msg);
		} else if (cmd == UCALL_PRINTF) {
			fprintf(stderr, "# guest: %s", uc.msg);
		} else if (cmd == UCALL_UNHANDLED) {
			worker_fail(w, "guest exception %lu at rip 0x%lx",
				    uc.args[0], uc.args[2]);
		} else {
			worker_fail(w, "unexpected exit %s",
				    exit_reason_str(run->exit_reason));
		}
	}
	if (!w->failed && w->rounds != ROUNDS)
		worker_fail(w, "DONE after %lu rounds, expected %u", w->rounds,
			    ROUNDS);
	thread_teardown(w, &t);
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool all_done(void)
{
	unsigned int i;

	for (i = 0; i < nr_workers; i++)
		if (!workers[i].done)
			return false;
	return true;
}

static void stress(struct __test_metadata *_metadata,
		   const struct stress_cfg *c)
{
	struct sigaction sa = { .sa_handler = on_timer, .sa_flags = SA_RESTART };
	uint64_t supported = mix_supported_flags(), t0, elapsed;
	struct kvm_vm *vms[MAX_VMS];
	static struct mix_state want;
	unsigned long total_intr = 0, total_io = 0, total_rounds = 0;
	unsigned long total_holds = 0, total_migr = 0, main_migr = 0;
	unsigned long host_loops = 0;
	cpu_set_t all;
	unsigned int i, v;
	int k;

	cfg = c;
	nr_vcpu_workers = c->vms * c->vcpus_per_vm;
	nr_workers = nr_vcpu_workers + c->host_threads;
	ASSERT_LE(c->vms, MAX_VMS);
	ASSERT_LE(c->vcpus_per_vm, MAX_VCPUS_PER_VM);
	ASSERT_LE(c->host_threads, MAX_HOST_THREADS);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	for (k = 0; k < 64; k++)
		if (CPU_ISSET(k, &all))
			cpu_list[nr_cpu_list++] = k;
	ASSERT_GT(nr_cpu_list, 0);
	hold_flags = supported & MIX_F_AVX;
	TH_LOG("%u VMs x %u vCPU threads, %u host FPU threads, %d CPUs, timer signals %s, migration %s; %d rounds per vCPU (%d port exits + 1 ucall each, %d-iteration long run); workload flags %s%s",
	       c->vms, c->vcpus_per_vm, c->host_threads, nr_cpu_list,
	       c->signals ? "every 2 ms" : "off", c->migration ? "on" : "off",
	       ROUNDS,
	       EXIT_ITERS, LONG_ITERS,
	       supported & MIX_F_AVX ? "AVX" : "SSE only",
	       supported & MIX_F_AVX512 ? "+AVX-512" : "");
	if (nr_cpu_list < 2)
		TH_LOG("only one CPU available: no real migration");

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	/* VM 0: SSE only, VM 1: + AVX, others: everything supported. */
	for (v = 0; v < c->vms; v++) {
		uint64_t flags = v == 0 ? 0 : v == 1 ? supported & MIX_F_AVX :
				 supported;
		struct kvm_vcpu *vcpu;

		vms[v] = vm_create_guest(&vcpu, (void (*)(void))guest_stress);
		for (i = 0; i < c->vcpus_per_vm; i++) {
			struct worker *w = &workers[v * c->vcpus_per_vm + i];

			if (i)
				vcpu = vm_vcpu_add_guest(vms[v], i, NULL);
			w->kind = W_VCPU;
			w->index = v * c->vcpus_per_vm + i;
			w->vcpu = vcpu;
			w->mix_flags = flags;
			w->seed = 0x57e55000ULL + w->index * 0x1000ULL;
			w->guest_fs = (uint64_t)gslots[i].fs_tag;
			w->guest_gs = (uint64_t)gslots[i].gs_tag;
			/* The long run's expected result, for the guest. */
			mix_state_init(&want, w->seed);
			mix_run(&want, LONG_ITERS, flags);
			memcpy(addr_gpa2hva(vms[v], (uint64_t)&gslots[i].want),
			       &want, sizeof(want));
			vcpu_enable_mix(vcpu, flags);
			vcpu_set_args(vcpu, 3, (uint64_t)i, flags, w->seed);
		}
	}
	for (i = 0; i < c->host_threads; i++) {
		workers[nr_vcpu_workers + i].kind = W_HOST;
		workers[nr_vcpu_workers + i].index = i;
	}

	t0 = now_ns();
	for (i = 0; i < nr_workers; i++)
		ASSERT_EQ(0, pthread_create(&workers[i].thread, NULL,
					    workers[i].kind == W_VCPU ?
					    vcpu_thread : host_thread,
					    &workers[i]));

	/* Migrate the workers while they run (in KVM_RUN or not). */
	for (k = 0; !all_done(); k++) {
		for (i = 0; i < nr_workers; i++) {
			cpu_set_t set;

			if (!c->migration || !workers[i].tid || workers[i].done)
				continue;
			CPU_ZERO(&set);
			CPU_SET(cpu_list[(k + i) % nr_cpu_list], &set);
			if (!sched_setaffinity(workers[i].tid, sizeof(set), &set))
				main_migr++;
		}
		usleep(MIGRATE_US);
		if (now_ns() - t0 > 2ULL * TIME_LIMIT_S * 1000000000ULL) {
			TH_LOG("workers still running after %d s", 2 * TIME_LIMIT_S);
			break;
		}
	}
	release_workers = 1;
	for (i = 0; i < nr_workers; i++)
		pthread_join(workers[i].thread, NULL);
	elapsed = now_ns() - t0;

	for (i = 0; i < nr_workers; i++) {
		struct worker *w = &workers[i];

		EXPECT_EQ(0, w->failed) TH_LOG("%s", w->msg);
		EXPECT_TRUE(w->done);
		total_holds += w->hold_checks;
		total_migr += w->migrations;
		if (w->kind == W_VCPU) {
			EXPECT_EQ(ROUNDS, w->rounds) TH_LOG("vCPU thread %d", w->index);
			total_intr += w->intr_exits;
			total_io += w->io_exits;
			total_rounds += w->rounds;
		} else {
			EXPECT_GE(w->loops, HOST_MIN_LOOPS);
			host_loops += w->loops;
		}
	}
	TH_LOG("%lu ucall rounds, %lu port exits, %lu KVM_EXIT_INTR; %lu host thread loops; %lu register-hold checks; %lu self + %lu external migrations; %lu.%03lu s",
	       total_rounds, total_io, total_intr, host_loops, total_holds,
	       total_migr, main_migr, (unsigned long)(elapsed / 1000000000ULL),
	       (unsigned long)(elapsed / 1000000ULL % 1000));
	/* The timer signals did interrupt KVM_RUN. */
	if (c->signals)
		EXPECT_GT(total_intr, 0);
	EXPECT_LT(elapsed, TIME_LIMIT_S * 1000000000ULL);

	for (v = 0; v < c->vms; v++)
		kvm_vm_free(vms[v]);
}

/*
 * One vCPU thread, moved between the CPUs (by itself at every ucall and
 * by the main thread every few ms, in KVM_RUN or not).
 */
TEST(vcpu_migration)
{
	const struct stress_cfg c = { .vms = 1, .vcpus_per_vm = 1,
				      .migration = true };

	stress(_metadata, &c);
}

/* One vCPU thread and host threads that use the FPU/SSE/AVX too. */
TEST(host_fpu_threads)
{
	const struct stress_cfg c = { .vms = 1, .vcpus_per_vm = 1,
				      .host_threads = 2 };

	stress(_metadata, &c);
}

/* One vCPU thread interrupted by a timer signal every 2 ms. */
TEST(timer_signals)
{
	const struct stress_cfg c = { .vms = 1, .vcpus_per_vm = 1,
				      .signals = true };

	stress(_metadata, &c);
}

/* Everything at once. */
TEST(vms_threads_signals_migration)
{
	const struct stress_cfg c = {
		.vms = MAX_VMS, .vcpus_per_vm = MAX_VCPUS_PER_VM,
		.host_threads = MAX_HOST_THREADS,
		.signals = true, .migration = true,
	};

	stress(_metadata, &c);
}

TEST_HARNESS_MAIN
