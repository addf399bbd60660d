/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one interface between the vendor-neutral core (kvm.ko) and a vendor
 * backend (kvm-intel.ko for VT-x, kvm-amd.ko for AMD-V).
 *
 * The ops are declared once, in KVMX_BACKEND_OPS, each marked required (R)
 * or optional (O); the struct and the registration check are generated from
 * that list, so a backend that forgets a required op is refused at load time
 * rather than crashing later.  The core owns everything that can be said
 * without naming a vendor (fds, memslots, the register file, the run loop,
 * exit dispatch, the two-dimensional page tables); a backend owns only its
 * control structure (VMCB or VMCS), the world switch, and the translation of
 * its hardware exit into a vendor-neutral struct kvmx_exit.
 */
#ifndef KVMX_BACKEND_H
#define KVMX_BACKEND_H

#include <linux/types.h>
#include <kvmx/abi.h>

struct module;
struct kvmx_vm;
struct kvmx_vcpu;
struct kvmx_exit;
struct kvmx_tdp_format;

/* Segment registers, in the hardware's encoding order (SDM Vol. 3A 3.4.2). */
enum kvmx_seg {
	KVMX_SEG_ES, KVMX_SEG_CS, KVMX_SEG_SS, KVMX_SEG_DS,
	KVMX_SEG_FS, KVMX_SEG_GS, KVMX_SEG_LDTR, KVMX_SEG_TR,
	KVMX_NR_SEGS
};

enum kvmx_dtable { KVMX_DT_GDT, KVMX_DT_IDT };

/*
 * X(required, return type, name, parameter list).  Keep it small: every op
 * here has to be written twice.
 */
#define KVMX_BACKEND_OPS(X)						\
	/* module: per-CPU enable/disable of VMX or SVM operation */	\
	X(1, int,  cpu_enable,  (void))					\
	X(1, void, cpu_disable, (void))					\
	/* VM lifetime; the backend's part lives in vm->backend */	\
	X(1, int,  vm_init,     (struct kvmx_vm *vm))			\
	X(1, void, vm_destroy,  (struct kvmx_vm *vm))			\
	/* vCPU lifetime; the backend's part lives in vcpu->backend */	\
	X(1, int,  vcpu_create, (struct kvmx_vcpu *vcpu))		\
	X(1, void, vcpu_free,   (struct kvmx_vcpu *vcpu))		\
	/* architectural reset of what the backend holds (segments,	\
	 * descriptor tables, control registers, EFER) */		\
	X(1, void, vcpu_reset,  (struct kvmx_vcpu *vcpu))		\
	/* the vCPU's thread now runs on (or leaves) this physical CPU */ \
	X(1, void, vcpu_load,   (struct kvmx_vcpu *vcpu, int cpu))	\
	X(1, void, vcpu_put,    (struct kvmx_vcpu *vcpu))		\
	/* state held in the VMCB/VMCS */				\
	X(1, void, get_segment, (struct kvmx_vcpu *vcpu,		\
				 struct kvm_segment *var, enum kvmx_seg seg)) \
	X(1, void, set_segment, (struct kvmx_vcpu *vcpu,		\
				 const struct kvm_segment *var,	\
				 enum kvmx_seg seg))			\
	X(1, void, get_dtable,  (struct kvmx_vcpu *vcpu,		\
				 struct kvm_dtable *dt, enum kvmx_dtable which)) \
	X(1, void, set_dtable,  (struct kvmx_vcpu *vcpu,		\
				 const struct kvm_dtable *dt,		\
				 enum kvmx_dtable which))		\
	/* cr is 0, 2, 3 or 4; values were validated by the core */	\
	X(1, u64,  get_cr,      (struct kvmx_vcpu *vcpu, int cr))	\
	X(1, void, set_cr,      (struct kvmx_vcpu *vcpu, int cr, u64 val)) \
	X(1, u64,  get_efer,    (struct kvmx_vcpu *vcpu))		\
	X(1, void, set_efer,    (struct kvmx_vcpu *vcpu, u64 efer))	\
	/* enter the guest once; called with preemption and IRQs off;	\
	 * fills *exit; returns 0, or -errno if the world switch itself	\
	 * could not be attempted */					\
	X(1, int,  run,         (struct kvmx_vcpu *vcpu,		\
				 struct kvmx_exit *exit))		\
	/* MMU: point the vCPU at a new TDP root (host physical) */	\
	X(1, void, set_tdp_root, (struct kvmx_vcpu *vcpu, u64 root_hpa)) \
	/* flush the guest-physical and combined TLB entries of this VM	\
	 * on the current CPU for this vCPU (called with the vCPU loaded) */ \
	X(1, void, flush_tlb,   (struct kvmx_vcpu *vcpu))			\
	/* MSRs whose guest value lives in the VMCB/VMCS or is switched	\
	 * by the backend (the KVMX_BACKEND_MSRS list below); the core	\
	 * validated the value; -ENOENT for any other index */		\
	X(1, int,  get_msr,     (struct kvmx_vcpu *vcpu, u32 index, u64 *val)) \
	X(1, int,  set_msr,     (struct kvmx_vcpu *vcpu, u32 index, u64 val)) \
	/* guest TSC = host TSC + offset (SDM 25.3, APM 15.30.1) */	\
	X(1, void, set_tsc_offset, (struct kvmx_vcpu *vcpu, u64 offset)) \
	/* the guest's debug registers, dr = 0-3, 6 or 7; values were	\
	 * validated by the core (DR6/DR7 high halves zero) */		\
	X(1, u64,  get_dr,      (struct kvmx_vcpu *vcpu, int dr))	\
	X(1, void, set_dr,      (struct kvmx_vcpu *vcpu, int dr, u64 val)) \
	/* KVM_SET_GUEST_DEBUG: exception intercepts and the debugger's	\
	 * DR0-3/DR7 (see "Guest debugging" below) */			\
	X(1, void, set_guest_debug, (struct kvmx_vcpu *vcpu,		\
				     const struct kvm_guest_debug *dbg)) \
	/* KVMX_BLOCK_* bits: interrupt shadow and NMI blocking */	\
	X(1, u32,  get_interruptibility, (struct kvmx_vcpu *vcpu))	\
	X(1, void, set_interruptibility, (struct kvmx_vcpu *vcpu, u32 bits)) \
	/* PAE paging: the four PDPTEs the CPU holds (VMX with EPT loads	\
	 * them from the VMCS at entry, SDM 28.3.2.4 / 27.3.4); a backend	\
	 * whose CPU reads them from memory (NPT) leaves these out */	\
	X(0, void, get_pdptrs,  (struct kvmx_vcpu *vcpu, u64 *pdptrs))	\
	X(0, void, set_pdptrs,  (struct kvmx_vcpu *vcpu, const u64 *pdptrs))

/*
 * MSRs a backend must handle in get_msr/set_msr: their guest values are
 * held in the VMCB or VMCS, or switched by the backend around entries
 * (e.g. as user-return MSRs).  Every other MSR is the core's.  FS/GS base
 * go through the segment ops, EFER through get/set_efer, the TSC through
 * set_tsc_offset.  SPEC_CTRL only when the host has it (the core checks
 * X86_FEATURE_SPEC_CTRL / AMD_SSBD etc. before calling).
 */
#define KVMX_BACKEND_MSRS(X)						\
	X(MSR_IA32_SYSENTER_CS)  X(MSR_IA32_SYSENTER_ESP)		\
	X(MSR_IA32_SYSENTER_EIP) X(MSR_STAR) X(MSR_LSTAR) X(MSR_CSTAR)	\
	X(MSR_SYSCALL_MASK) X(MSR_KERNEL_GS_BASE) X(MSR_IA32_CR_PAT)	\
	X(MSR_TSC_AUX) X(MSR_IA32_DEBUGCTLMSR) X(MSR_IA32_SPEC_CTRL)

/* get/set_interruptibility bits */
#define KVMX_BLOCK_STI		(1u << 0)	/* shadow after STI */
#define KVMX_BLOCK_MOV_SS	(1u << 1)	/* shadow after MOV SS/POP SS */
#define KVMX_BLOCK_NMI		(1u << 2)	/* NMI delivered, no IRET yet */

/*
 * Events (SDM Vol. 3C 27.6 / APM 15.20).  The core decides what to
 * deliver; vcpu->inject holds it when the core calls run(), and the
 * backend programs it into VM-entry interruption info / EVENTINJ (an
 * error code only when has_error; insn_len for the software types).  The
 * backend never injects anything on its own.
 *
 * An exit that interrupted the delivery of an event (IDT-vectoring info,
 * EXITINTINFO) reports it in exit->vectoring, and the core injects it
 * again; otherwise exit->vectoring.type is KVMX_EVENT_NONE.  A backend
 * may instead report a software interrupt/exception as NONE when the
 * guest RIP still points at the instruction, so that it simply runs again.
 *
 * Windows: with vcpu->irq_window set the backend makes the guest exit
 * (KVMX_EXIT_IRQ_WINDOW) as soon as it can take an external interrupt
 * (RFLAGS.IF=1 and no shadow; VMX interrupt-window exiting, SVM V_IRQ +
 * VINTR intercept); likewise vcpu->nmi_window (KVMX_EXIT_NMI_WINDOW) when
 * NMIs are no longer blocked (VMX NMI-window exiting; SVM: the IRET
 * intercept, reported after the IRET completed).  After an injected NMI
 * the backend keeps NMIs blocked until the guest's IRET (VMX does this in
 * hardware with virtual NMIs; SVM tracks it) and reports it in
 * get_interruptibility.
 */
enum kvmx_event_type {
	KVMX_EVENT_NONE = 0,
	KVMX_EVENT_EXTINT,		/* external interrupt (KVM_INTERRUPT) */
	KVMX_EVENT_NMI,
	KVMX_EVENT_HW_EXCEPTION,	/* #DE, #PF, #GP, ... */
	KVMX_EVENT_SW_INT,		/* INT n */
	KVMX_EVENT_SW_EXCEPTION,	/* INT3, INTO */
	KVMX_EVENT_PRIV_SW_EXCEPTION,	/* INT1 (ICEBP) */
};

struct kvmx_event {
	u8 type;			/* enum kvmx_event_type */
	u8 vector;
	u8 insn_len;			/* software types: instruction length */
	bool has_error;
	u32 error_code;
};

/*
 * Guest debugging (KVM_SET_GUEST_DEBUG).  set_guest_debug gets the
 * debugger's request whenever it changes (control 0: off).  The backend
 * intercepts #DB when KVM_GUESTDBG_ENABLE with SINGLESTEP or USE_HW_BP is
 * set, and #BP with USE_SW_BP; with USE_HW_BP it loads dbg->arch.debugreg
 * [0-3] and [7] into the hardware instead of the guest's DR0-3/DR7 while
 * the guest runs (the guest still reads and writes its own values through
 * get_dr/set_dr semantics).  Single-stepping itself (RFLAGS.TF) is the
 * core's.  Intercepted exceptions, and #DB/#AC, which every backend must
 * intercept (a guest must not be able to hang the CPU in an endless chain
 * of them, CVE-2015-5307/8104), come to the core as KVMX_EXIT_EXCEPTION;
 * the core either hands them to the debugger or injects them back.
 */

#define KVMX_DECLARE_OP(req, ret, name, args) ret (*name) args;

struct kvmx_backend {
	const char *name;		/* "vmx" or "svm", for messages */
	struct module *owner;		/* the vendor module */
	size_t vm_size;			/* bytes of vm->backend */
	size_t vcpu_size;		/* bytes of vcpu->backend */
	/* the format of the backend's two-dimensional page tables */
	const struct kvmx_tdp_format *tdp_format;
	KVMX_BACKEND_OPS(KVMX_DECLARE_OP)
};

#undef KVMX_DECLARE_OP

/*
 * Called last in the vendor module's init, after the hardware checks, and
 * first in its exit.  Registration creates /dev/kvm; it fails with -EBUSY
 * when another backend (or another KVM) already holds it.
 */
int kvmx_register_backend(const struct kvmx_backend *backend);
void kvmx_unregister_backend(const struct kvmx_backend *backend);

/*
 * The vendor-neutral exit record.  A backend translates its hardware exit
 * (VMX basic exit reason + qualification, or SVM EXITCODE + EXITINFO1/2)
 * into one of these; the core dispatches on reason through one table.
 */
enum kvmx_exit_reason {
	KVMX_EXIT_NONE = 0,	/* nothing to do (e.g. host interrupt) */
	KVMX_EXIT_EXTERNAL_INTR,/* a host interrupt ended the run */
	KVMX_EXIT_NMI,		/* a host NMI ended the run (already handled) */
	KVMX_EXIT_IO,		/* IN/OUT (io below) */
	KVMX_EXIT_HLT,
	KVMX_EXIT_SHUTDOWN,	/* triple fault */
	KVMX_EXIT_TDP_FAULT,	/* EPT violation / nested page fault (tdp) */
	KVMX_EXIT_FAIL_ENTRY,	/* VM entry failed; hw_reason says why */
	KVMX_EXIT_INVALID_STATE,/* the backend refused to enter: bad state */
	KVMX_EXIT_UNHANDLED,	/* a hardware exit the core has no handler for */
	KVMX_EXIT_CPUID,	/* CPUID: answered from the vCPU's table */
	KVMX_EXIT_RDMSR,	/* RDMSR, index in RCX */
	KVMX_EXIT_WRMSR,	/* WRMSR, index in RCX, value in EDX:EAX */
	KVMX_EXIT_XSETBV,	/* XSETBV, XCR in ECX, value in EDX:EAX */
	KVMX_EXIT_HYPERCALL,	/* VMCALL (VMX) / VMMCALL (SVM) */
	KVMX_EXIT_EXCEPTION,	/* an intercepted exception (exc below) */
	KVMX_EXIT_IRQ_WINDOW,	/* vcpu->irq_window: interrupts can be taken */
	KVMX_EXIT_NMI_WINDOW,	/* vcpu->nmi_window: NMIs no longer blocked */
	KVMX_EXIT_INVD,		/* INVD or WBINVD: nothing to do, skip it */
	KVMX_EXIT_MWAIT,	/* MONITOR or MWAIT */
	KVMX_EXIT_RDPMC,	/* RDPMC (no virtual PMU yet) */
	KVMX_EXIT_PAUSE,	/* PAUSE (or a PAUSE loop): RIP on it, skipped */
	KVMX_NR_EXIT_REASONS
};

/* access bits of a TDP fault (the guest's access, not the entry's rights) */
#define KVMX_TDP_READ	(1u << 0)
#define KVMX_TDP_WRITE	(1u << 1)
#define KVMX_TDP_FETCH	(1u << 2)
#define KVMX_TDP_PRESENT (1u << 3)	/* a translation existed */
/* the entry was the MMIO marker (kvmx_tdp_format.mmio_value): an EPT
 * misconfiguration or an NPT reserved-bit fault; read/write unknown */
#define KVMX_TDP_MMIO	(1u << 4)
/* the fault was on the final guest-physical address of a guest linear
 * access, not on a guest page-table entry (0: not known) */
#define KVMX_TDP_FINAL	(1u << 5)

struct kvmx_exit {
	enum kvmx_exit_reason reason;
	/* the raw vendor exit code: VMX basic exit reason (with bit 31 on
	 * failed entry), or the SVM EXITCODE */
	u64 hw_reason;
	/* raw vendor details for error reports: VMX qualification, intr
	 * info, ...; SVM EXITINFO1, EXITINFO2, EXITINTINFO */
	u64 hw_info[4];
	/* length of the exiting instruction, 0 if unknown; required for
	 * the instruction exits (IO, HLT, CPUID, RDMSR, WRMSR, XSETBV,
	 * HYPERCALL, INVD, MWAIT, RDPMC, PAUSE) and for an intercepted INT3 */
	u32 insn_len;
	/* an event whose delivery this exit interrupted (see above) */
	struct kvmx_event vectoring;
	union {
		struct {
			u16 port;
			u8 size;	/* 1, 2 or 4 */
			bool in;
			bool string;	/* INS/OUTS */
			bool rep;
		} io;
		struct {
			u64 gpa;
			u32 access;	/* KVMX_TDP_* */
			/* decode assists: the instruction's first bytes */
			u8 insn_len;
			u8 insn_bytes[15];
		} tdp;
		struct {
			u8 vector;
			bool has_error;
			u32 error_code;
			/* #DB: the DR6 bits this exception sets (B0-B3, BD,
			 * BS, BT in their DR6 positions; VMX exit
			 * qualification, SVM VMCB DR6) */
			u64 dr6;
		} exc;
	};
};

/*
 * General-purpose registers, in the hardware's encoding order (ModRM.reg),
 * as indices of vcpu->regs[].  The backend's world-switch assembly loads and
 * saves them from that array, so the order is part of the interface.
 */
enum kvmx_reg {
	KVMX_REG_RAX, KVMX_REG_RCX, KVMX_REG_RDX, KVMX_REG_RBX,
	KVMX_REG_RSP, KVMX_REG_RBP, KVMX_REG_RSI, KVMX_REG_RDI,
	KVMX_REG_R8,  KVMX_REG_R9,  KVMX_REG_R10, KVMX_REG_R11,
	KVMX_REG_R12, KVMX_REG_R13, KVMX_REG_R14, KVMX_REG_R15,
	KVMX_REG_RIP,
	KVMX_NR_REGS
};

#endif /* KVMX_BACKEND_H */
