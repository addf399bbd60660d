/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The core's view of a VM and a vCPU, shared by kvm.ko and the vendor
 * modules.  Field legends say who may touch what:
 *   (o)  set once at creation, read-only afterwards
 *   (m)  protected by vcpu->mutex (the vCPU's ioctls are serialised)
 *   (l)  protected by vm->lock
 *   (t)  protected by vm->mmu_lock
 *   (b)  owned by the backend
 */
#ifndef KVMX_CORE_H
#define KVMX_CORE_H

#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/signal_types.h>
#include <linux/kref.h>
#include <linux/preempt.h>
#include <linux/rcuwait.h>
#include <linux/types.h>
#include <asm/fpu/api.h>
#include <kvmx/backend.h>

/* The limits in-tree KVM reports on x86, so VMMs size things the same. */
#define KVMX_MAX_VCPUS		1024	/* KVM_CAP_MAX_VCPUS */
#define KVMX_MAX_VCPU_ID	4096	/* ids are 0 .. KVMX_MAX_VCPU_ID - 1 */
#define KVMX_USER_MEM_SLOTS	32764	/* KVM_CAP_NR_MEMSLOTS */
#define KVMX_ADDRESS_SPACES	1	/* no SMM address space yet */

/* Bits of vcpu->requests, handled by the run loop before each entry. */
enum kvmx_request {
	KVMX_REQ_TLB_FLUSH,	/* TDP mappings changed: flush this VM's TLB */
	KVMX_REQ_TDP_ROOT,	/* (re)load the TDP root into the backend */
	KVMX_REQ_EVENT,		/* the in-kernel LAPIC has something new */
};

/*
 * One guest-physical range backed by user memory.  A slot object never
 * changes once published: a flags change or a move replaces it with a new
 * object (memslot.c), so a fault that found it under vm->srcu may use it
 * until srcu_read_unlock().
 */
struct kvmx_memslot {
	u16 id;				/* (o) slot id, address space in 15:8 */
	u32 flags;			/* (o) KVM_MEM_* */
	u64 base_gfn;			/* (o) first guest frame */
	u64 npages;			/* (o) */
	unsigned long userspace_addr;	/* (o) */
	/* (o) KVM_MEM_LOG_DIRTY_PAGES: one bit per page, set atomically by
	 * write faults, harvested by dirty_log.c under vm->lock */
	unsigned long *dirty_bitmap;
};

/*
 * The memslots of a VM: an immutable array sorted by base_gfn (ranges never
 * overlap), replaced as a whole under vm->lock and read under vm->srcu.
 */
struct kvmx_memslots {
	int nr;
	struct kvmx_memslot *slots[];
};

/* The two-dimensional page tables of one VM (mmu/tdp.c). */
struct kvmx_tdp {
	u64 *root;			/* (o) level-4 table, one page */
	u64 root_hpa;			/* (o) */
	unsigned long nr_tables;	/* (t) pages used below the root */
};

/*
 * How a backend's page-table entries look (mmu/tdp.c builds the tables;
 * this describes them).  EPT (SDM Vol. 3C 29.3.2) and NPT (legacy x86-64
 * format, APM Vol. 2 15.25) differ only in these bits.
 */
struct kvmx_tdp_format {
	u64 table_bits;		/* bits of an entry pointing at a table */
	u64 present_mask;	/* any of these set: the entry is present */
	u64 leaf_read;		/* leaf bits granting read */
	u64 leaf_write;		/* leaf bits granting write */
	u64 leaf_exec;		/* leaf bits granting execute */
	u64 leaf_noexec;	/* leaf bits denying execute (NX) */
	u64 leaf_attr;		/* other leaf bits (memory type) */
	u64 huge_bit;		/* a leaf at level 2 or 3 (bit 7 in both) */
	u64 accessed_bit;	/* set by the CPU on use; 0 if none */
	/*
	 * A bit the CPU ignores in leaves, kept for "the host maps this
	 * page writable": a leaf write-protected for dirty logging that has
	 * it may be made writable again without asking GUP.
	 */
	u64 sw_host_writable;
	/*
	 * A 4 KiB leaf that makes every access exit for a reason of its own
	 * (EPT misconfiguration, NPT reserved-bit fault), so that a page
	 * known to be MMIO skips the fault path; 0 if there is none.
	 */
	u64 mmio_value;
	int max_level;		/* largest leaf: 1 (4K), 2 (2M) or 3 (1G) */
};

/* KVM_X86_SET_MSR_FILTER, as validated and copied in (msr_filter.c). */
struct kvmx_msr_filter {
	u32 flags;			/* KVM_MSR_FILTER_DEFAULT_* */
	u32 nranges;
	struct {
		u32 flags;		/* KVM_MSR_FILTER_READ/WRITE */
		u32 nmsrs;
		u32 base;
		unsigned long *bitmap;	/* 1: allowed */
	} ranges[KVM_MSR_FILTER_MAX_RANGES];
};

#define KVMX_MCE_MAX_BANKS	32	/* as in-tree KVM_MAX_MCE_BANKS */
#define KVMX_NR_VAR_MTRR	8

/* The MSR state the core keeps for a vCPU (msrs.c). */
struct kvmx_vcpu_msrs {
	u64 tsc_offset;			/* guest TSC - host TSC */
	u64 tsc_adjust;			/* IA32_TSC_ADJUST (SDM 17.17.3) */
	u64 misc_enable;
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];		/* 64K_00000, 16K_x2, 4K_x8 */
	u64 mtrr_var[2 * KVMX_NR_VAR_MTRR];	/* PHYSBASEn, PHYSMASKn */
	u64 mcg_cap, mcg_status, mcg_ctl;
	u64 mce_banks[4 * KVMX_MCE_MAX_BANKS];	/* CTL, STATUS, ADDR, MISC */
	/* an RDMSR/WRMSR handed to the VMM (KVM_EXIT_X86_RDMSR/WRMSR),
	 * completed on the next KVM_RUN */
	bool user_exit_pending;
	bool user_exit_read;
	u8 user_exit_insn_len;
};

/*
 * Counters read through KVM_GET_STATS_FD (virt/kvm/stats.c), named there
 * as in-tree KVM names them.  Writers update them with WRITE_ONCE (a vCPU
 * its own, the MMU under mmu_lock); readers take no lock.
 */
struct kvmx_vm_stat {
	u64 remote_tlb_flush;		/* flushes asked of every vCPU */
	u64 remote_tlb_flush_requests;
	u64 pages_4k;			/* TDP leaves of each size, now */
	u64 pages_2m;
	u64 pages_1g;
	u64 mmu_invalidations;		/* MMU-notifier range invalidations */
};

struct kvmx_vcpu_stat {
	u64 exits;			/* every VM exit */
	u64 io_exits;			/* KVM_EXIT_IO */
	u64 mmio_exits;			/* KVM_EXIT_MMIO */
	u64 signal_exits;		/* KVM_RUN ended by a signal */
	u64 irq_window_exits;
	u64 nmi_window_exits;
	u64 halt_exits;
	u64 halt_attempted_poll;	/* halts that polled first */
	u64 halt_successful_poll;	/* ... and were woken while polling */
	u64 halt_wakeup;		/* halts that slept */
	u64 irq_exits;			/* exits for a host interrupt */
	u64 pf_taken;			/* TDP faults resolved in the kernel */
	u64 insn_emulation;
	u64 insn_emulation_fail;
	u64 hypercalls;
};

struct kvmx_coalesced_zones;
struct kvmx_irqchip;
struct kvmx_pit_dev;
struct kvmx_irqfds;
struct kvmx_vcpu_apic;
struct kvmx_emulation;
struct kvmx_dirty_ring;

/*
 * Zeroed pages for TDP tables, filled before a fault takes mmu_lock (a
 * spinlock): one path below the root needs at most three.
 */
#define KVMX_PAGE_CACHE_SIZE	3
struct kvmx_page_cache {
	int nr;
	void *pages[KVMX_PAGE_CACHE_SIZE];
};

enum kvmx_bus {
	KVMX_PIO_BUS,
	KVMX_MMIO_BUS,
	KVMX_NR_BUSES,
};
struct kvmx_io_bus;

struct kvmx_vm {
	struct kref users;		/* VM fd + each vCPU fd */
	struct mutex lock;		/* vCPU creation, memslot updates */
	struct mm_struct *mm;		/* (o) the creating VMM's mm */
	bool dead;			/* an internal error: ioctls -EIO */

	struct kvmx_vcpu *vcpus[KVMX_MAX_VCPUS]; /* (l) created vCPUs */
	atomic_t nr_vcpus;		/* published after vcpus[] is set */

	/*
	 * Memory.  The memslots are read under srcu and replaced under
	 * lock.  mmu_lock guards the TDP tables, the invalidation state
	 * below and the page counters of stat.  Tables change while vCPUs
	 * run; a mapping taken away is flushed from every vCPU
	 * (kvmx_flush_remote_tlbs()) before the change returns.
	 */
	struct srcu_struct srcu;
	struct kvmx_memslots __rcu *memslots;	/* (l to replace) */
	spinlock_t mmu_lock;
	struct kvmx_tdp tdp;		/* (t) */
	struct mmu_notifier mmu_notifier;
	bool mmu_notifier_registered;	/* (o) */
	/*
	 * (t) host invalidations (mmu_notifier.c): a fault that looked up
	 * a page while one was in progress over its address, or before one
	 * ended, retries
	 */
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	unsigned long mmu_invalidate_start, mmu_invalidate_end;
	u64 manual_dirty_log_protect;	/* (l) KVM_DIRTY_LOG_* flags */
	u32 dirty_ring_bytes;		/* (l) KVM_CAP_DIRTY_LOG_RING, 0: off */

	/* in-kernel devices (io_bus.c), published under srcu */
	struct kvmx_io_bus __rcu *io_bus[KVMX_NR_BUSES]; /* (l to replace) */
	struct list_head ioeventfds;	/* (l) KVM_IOEVENTFD (ioeventfd.c) */

	/* KVM_REGISTER_COALESCED_MMIO (coalesced_mmio.c) */
	void *coalesced_mmio_ring;	/* (o) page 2 of every vCPU mmap */
	spinlock_t ring_lock;		/* writers of the ring */
	struct kvmx_coalesced_zones __rcu *coalesced_zones; /* (l) */

	u64 tsc_offset;			/* (o) every vCPU's TSC starts here */
	u32 user_space_msr;		/* (l) KVM_MSR_EXIT_REASON_* to exit on */
	u64 exit_hypercalls;		/* (l) KVM_CAP_EXIT_HYPERCALL */
	bool exit_on_emulation_failure;	/* KVM_CAP_EXIT_ON_EMULATION_FAILURE */
	struct kvmx_msr_filter __rcu *msr_filter; /* (l) NULL: allow all */

	u64 tss_addr;			/* (l) KVM_SET_TSS_ADDR */
	u64 identity_map_addr;		/* (l) KVM_SET_IDENTITY_MAP_ADDR */

	/*
	 * In-kernel interrupt controllers (kvmx/irq.h): set once under
	 * lock, before any vCPU exists, and never cleared until the VM is
	 * freed; the PIT and irqfd state belong to their own files.
	 */
	struct kvmx_irqchip *irqchip;	/* (l to set) NULL: none */
	struct kvmx_pit_dev *pit;	/* (l to set) KVM_CREATE_PIT2 */
	struct kvmx_irqfds *irqfds;	/* (l to set) KVM_IRQFD */
	u32 bsp_vcpu_id;		/* (l) KVM_SET_BOOT_CPU_ID */
	u32 x2apic_api;			/* (l) KVM_CAP_X2APIC_API flags */
	bool vcpu_created;		/* (l) vCPU exists: no more map addr */

	struct kvmx_vm_stat stat;

	void *backend;			/* (b) vm_size bytes */
};

struct kvmx_vcpu {
	struct kvmx_vm *vm;		/* (o) */
	u32 id;				/* (o) KVM_CREATE_VCPU argument */
	unsigned int index;		/* (o) position in vm->vcpus */
	struct mutex mutex;		/* serialises this vCPU's ioctls */

	struct kvm_run *run;		/* (o) page shared with the VMM */
	void *pio_data;			/* (o) page 1 of the mmap */

	/* (m) the register file; the backend syncs RSP/RIP (and RAX for
	 * SVM) with its control structure around each entry */
	u64 regs[KVMX_NR_REGS];
	u64 rflags;			/* (m) synced like regs */
	u64 cr8;			/* (m) TPR as CR8, kept for sregs */
	u64 apic_base;			/* (m) without an in-kernel LAPIC */
	/* the in-kernel LAPIC (kvmx/irq.h), NULL without an irqchip */
	struct kvmx_vcpu_apic *apic;	/* (o) */
	/*
	 * (m) KVM_MP_STATE_*: with an in-kernel LAPIC, APs wait for SIPI
	 * and HLT blocks in the kernel (halt.c)
	 */
	u32 mp_state;
	struct rcuwait wait;		/* the halted vCPU thread */
	u32 halt_poll_ns;		/* (m) adaptive halt-polling window */

	/*
	 * (m) an IN or OUT handed to the VMM.  As in-tree, RIP stays on the
	 * instruction until the next KVM_RUN completes it (IN: the data from
	 * the PIO page lands in RAX); if the VMM moved RIP meanwhile, the
	 * completion is dropped.
	 */
	struct {
		bool pending;
		bool in;
		u8 size;
		u8 insn_len;
		u64 rip;
	} pio;

	/* (m) the guest's CPUID table (KVM_SET_CPUID2), NULL if none */
	struct kvm_cpuid_entry2 *cpuid;
	u32 cpuid_nent;
	/*
	 * (m) from the table at KVM_SET_CPUID2, so that a guest page walk
	 * searches no CPUID: MAXPHYADDR (0 until a table sets it: 36) and
	 * whether 1 GiB pages are refused (never without a table)
	 */
	u8 cpuid_maxphyaddr;
	bool cpuid_no_gbpages;
	bool has_run;			/* (m) KVM_RUN was called once */

	/* (m) KVM_SET_SIGNAL_MASK: the mask in force during KVM_RUN */
	bool sigset_active;
	sigset_t sigset;

	unsigned long requests;		/* KVMX_REQ_* bits (atomic ops) */
	int cpu;			/* CPU it is loaded on, or -1 */
	int last_cpu;			/* CPU it last ran on, or -1 */
	bool in_guest;			/* between entry and exit */
	struct preempt_notifier preempt_notifier;
	struct fpu_guest guest_fpu;	/* (m) guest FPU/SSE/AVX state */

	/*
	 * (m) what the backend's run() delivers at this entry, and the
	 * exits it asks for (backend.h "Events"); chosen by the core from
	 * the queues below just before each entry.
	 */
	struct kvmx_event inject;
	bool irq_window;
	bool nmi_window;
	/*
	 * 1-15: an interrupt of this priority class waits behind the TPR
	 * only; a backend whose guest changes CR8 without exiting (SVM's
	 * V_TPR) exits after the guest's next CR8 write, so the core sees
	 * the new TPR at once.  0: nothing waits.
	 */
	u8 tpr_window;

	/*
	 * (m) the core's event queues (events.c), in the shape
	 * KVM_GET/SET_VCPU_EVENTS reports: one exception (pending: raised
	 * by the core, not yet delivered; injected: delivery had started),
	 * one NMI and one interrupt whose delivery started, NMIs waiting.
	 */
	struct {
		struct kvmx_event exception;	/* type NONE or an exception */
		bool exception_pending;
		struct kvmx_event interrupt;	/* NONE, EXTINT or SW_INT */
		bool nmi_injected;
		u8 nmi_pending;
		bool triple_fault;		/* #DF while delivering #DF */
	} ev;

	/* (m) KVM_SET_GUEST_DEBUG control, and whether the core set
	 * RFLAGS.TF itself for single-stepping (hidden from the VMM) */
	u32 guest_debug;
	bool tf_by_debugger;
	bool debug_step_pending;	/* a stepped instruction the core ran */
	u64 debug_dr7;			/* the debugger's DR7 (USE_HW_BP) */

	/* (m) a KVM_EXIT_HYPERCALL the next KVM_RUN completes */
	struct {
		bool pending;
		bool op64;
		u8 insn_len;
	} hypercall;

	/* (m) XCR0 the guest set (XSETBV / KVM_SET_XCRS), switched by the
	 * core around entries */
	u64 xcr0;
	/* (m) PAE PDPTEs for a backend without get/set_pdptrs */
	u64 pdptrs[4];

	struct kvmx_vcpu_msrs msrs;	/* (m) the core's MSRs (msrs.c) */
	struct kvmx_vcpu_stat stat;	/* (m) written by the vCPU thread */
	struct kvmx_page_cache mmu_cache; /* (m) for TDP faults */
	struct kvmx_emulation *emul;	/* (m) an instruction being emulated */
	struct kvmx_dirty_ring *dirty_ring; /* (o) NULL: bitmaps */

	void *backend;			/* (b) vcpu_size bytes */
};

/* The backend registered with the core, NULL before registration. */
extern const struct kvmx_backend *kvmx_backend;

static inline void kvmx_make_request(struct kvmx_vcpu *vcpu,
				     enum kvmx_request req)
{
	set_bit(req, &vcpu->requests);
}

static inline bool kvmx_check_request(struct kvmx_vcpu *vcpu,
				      enum kvmx_request req)
{
	return test_and_clear_bit(req, &vcpu->requests);
}

/*
 * Called by the backend's run() as the very last thing before the world
 * switch (interrupts off): a LAPIC timer that fired early (its head
 * start, kvm.lapic_timer_advance_ns) waits here for its deadline, so the
 * guest never sees it early and sees it as soon after as can be.
 */
void kvmx_timer_wait(struct kvmx_vcpu *vcpu);

/* An internal inconsistency: this VM is dead, the host keeps going. */
void kvmx_vm_mark_dead(struct kvmx_vm *vm, const char *why);

/*
 * Helpers kvm.ko exports to the backends.
 *
 * For a guest MOV to CR0/CR4 a backend handles itself: what the guest may
 * load, per the SDM and the guest's CPUID (regs.c).  A value that fails
 * gets kvmx_queue_exception(vcpu, X86_TRAP_GP, true, 0).
 */
bool kvmx_cr0_valid(u64 cr0);
u64 kvmx_cr4_allowed(struct kvmx_vcpu *vcpu);

/*
 * Queue a hardware exception for the next entry (events.c).  The error
 * code is dropped in real mode, and two exceptions combine into #DF as
 * the SDM's table 6-5 says.
 */
void kvmx_queue_exception(struct kvmx_vcpu *vcpu, u8 vector, bool has_error,
			  u32 error_code);

/*
 * User-return MSRs (user_return.c): MSRs the host kernel uses only once it
 * returns to user space (STAR, LSTAR, CSTAR, SYSCALL_MASK, TSC_AUX), so a
 * guest value may stay loaded across many entries and the host's comes
 * back just before the vCPU thread returns to user space (or the CPU goes
 * offline).  A backend defines a slot per MSR at module load (-errno if
 * the MSR cannot be read), then, with preemption off, sets the guest's
 * value before entry: the WRMSR happens only when the value differs from
 * what the CPU holds.
 */
int kvmx_define_user_return_msr(u32 msr);
void kvmx_set_user_return_msr(unsigned int slot, u64 val);
u64 kvmx_user_return_msr_host(unsigned int slot);

#endif /* KVMX_CORE_H */
