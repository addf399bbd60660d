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
	X(1, void, flush_tlb,   (struct kvmx_vcpu *vcpu))

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
	KVMX_NR_EXIT_REASONS
};

/* access bits of a TDP fault (the guest's access, not the entry's rights) */
#define KVMX_TDP_READ	(1u << 0)
#define KVMX_TDP_WRITE	(1u << 1)
#define KVMX_TDP_FETCH	(1u << 2)
#define KVMX_TDP_PRESENT (1u << 3)	/* a translation existed */

struct kvmx_exit {
	enum kvmx_exit_reason reason;
	/* the raw vendor exit code: VMX basic exit reason (with bit 31 on
	 * failed entry), or the SVM EXITCODE */
	u64 hw_reason;
	/* raw vendor details for error reports: VMX qualification, intr
	 * info, ...; SVM EXITINFO1, EXITINFO2, EXITINTINFO */
	u64 hw_info[4];
	/* length of the exiting instruction, 0 if unknown */
	u32 insn_len;
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
		} tdp;
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
