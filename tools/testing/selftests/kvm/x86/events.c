// SPDX-License-Identifier: GPL-2.0-only
/*
 * Events from a userspace interrupt controller (no KVM_CREATE_IRQCHIP):
 *
 * - KVM_INTERRUPT queues an external interrupt that KVM delivers through
 *   the guest IDT at the next entry; userspace is expected to inject only
 *   when kvm_run says the guest can take it (ready_for_interrupt_injection,
 *   i.e. RFLAGS.IF = 1 and no interrupt shadow).  A second KVM_INTERRUPT
 *   before the first was delivered replaces it (one vector "in flight").
 * - request_interrupt_window: KVM exits with KVM_EXIT_IRQ_WINDOW_OPEN as
 *   soon as the guest can take an interrupt, i.e. after STI *and* the
 *   instruction after it (SDM Vol. 3A 7.8.3, "interrupt shadow"), or after
 *   MOV SS and the next instruction.  kvm_run's if_flag and
 *   ready_for_interrupt_injection say where the guest stands at any exit;
 *   KVM_GET_VCPU_EVENTS reports the shadow (VMX tells STI from MOV SS,
 *   SVM's VMCB has one bit and KVM reports both).
 * - KVM_NMI: delivered through vector 2 whatever IF says; NMIs are then
 *   blocked until the next IRET, and while blocked at most one more is
 *   held pending (SDM Vol. 3A 7.7.1 and 24.1).
 */
#include "kvmx_test.h"
#include "guest_irq.h"

#define VEC_A	0x40
#define VEC_B	0x41
#define VEC_C	0x42
#define SHADOW_PORT	0x97

static void check_run_flags(struct __test_metadata *_metadata,
			    struct kvm_vcpu *vcpu, int if_flag, int ready)
{
	EXPECT_EQ(if_flag, vcpu->run->if_flag);
	EXPECT_EQ(ready, vcpu->run->ready_for_interrupt_injection);
}

static void inject(struct kvm_vcpu *vcpu, uint32_t vec)
{
	struct kvm_interrupt irq = { .irq = vec };

	vcpu_ioctl(vcpu, KVM_INTERRUPT, &irq);
}

static void guest_take_irq(void)
{
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(guest_irq_count[VEC_A], 1);
	GUEST_ASSERT_EQ(guest_irq_last, VEC_A);
	/* A maskable interrupt interrupts only with IF = 1. */
	GUEST_ASSERT(guest_irq_rflags & X86_EFLAGS_IF);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(guest_irq_count[VEC_A], 1);
}

/* IF = 1: the guest is ready; the interrupt goes through its IDT. */
TEST(interrupt_delivered)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_take_irq);
	struct kvm_vcpu_events ev;
	struct kvm_sregs s;

	vcpu_install_irq_handlers(vcpu);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	check_run_flags(_metadata, vcpu, 1, 1);
	inject(vcpu, VEC_A);
	/* Queued: visible as an injected interrupt until delivered. */
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(VEC_A, ev.interrupt.nr);
	EXPECT_EQ(0, ev.interrupt.soft);
	vcpu_sregs_get(vcpu, &s);
	EXPECT_EQ(1ULL << (VEC_A % 64), s.interrupt_bitmap[VEC_A / 64]);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(0, ev.interrupt.injected);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static void guest_take_one_irq(void)
{
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(guest_irq_count[VEC_A], 0);
	GUEST_ASSERT_EQ(guest_irq_count[VEC_B], 1);
	GUEST_ASSERT_EQ(guest_irq_last, VEC_B);
}

/*
 * Without an in-kernel irqchip KVM holds one vector: a second
 * KVM_INTERRUPT before entry replaces the first (in-tree
 * kvm_vcpu_ioctl_interrupt() just queues it; EEXIST is the split-irqchip
 * path's answer).
 */
TEST(interrupt_second_replaces_first)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_take_one_irq);
	struct kvm_vcpu_events ev;

	vcpu_install_irq_handlers(vcpu);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	inject(vcpu, VEC_A);
	inject(vcpu, VEC_B);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(VEC_B, ev.interrupt.nr);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/*
 * KVM_SET_SREGS queues the lowest vector of its interrupt_bitmap; an
 * empty bitmap leaves an interrupt already queued alone (in-tree
 * __set_sregs() only ever queues).
 */
TEST(interrupt_survives_sregs_without_bitmap)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_take_one_irq);
	struct kvm_vcpu_events ev;
	struct kvm_sregs s;

	vcpu_install_irq_handlers(vcpu);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	inject(vcpu, VEC_B);
	vcpu_sregs_get(vcpu, &s);
	memset(s.interrupt_bitmap, 0, sizeof(s.interrupt_bitmap));
	vcpu_sregs_set(vcpu, &s);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(1, ev.interrupt.injected);
	EXPECT_EQ(VEC_B, ev.interrupt.nr);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST(interrupt_vector_range)
{
	struct kvm_vm *vm = vm_create_bare();
	struct kvm_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	struct kvm_interrupt irq = { .irq = 256 };

	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	irq.irq = 0xffffffff;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, KVM_INTERRUPT, &irq));
	kvm_vm_free(vm);
}

extern const char sti_window_open[], sti_shadow_out[], sti_after_out[];
extern const char movss_shadow_out[], movss_after_out[];
static volatile uint64_t shadow_marker;

/*
 * IF = 0, then STI followed by one instruction: the window opens after
 * that instruction, not before.  The IF = 0 stretch is short and ends in
 * an exit (the Bochs host starves under a guest spinning with IF = 0).
 */
static void guest_sti_window(void)
{
	asm volatile("cli");
	GUEST_SYNC(0);
	asm volatile("sti\n\t"
		     "movq $1, %0\n\t"
		     "sti_window_open:\n\t"
		     "nop"
		     : "=m"(shadow_marker));
	GUEST_ASSERT_EQ(guest_irq_count[VEC_C], 1);
	GUEST_ASSERT_EQ(guest_irq_rip, (uint64_t)sti_window_open);
	GUEST_SYNC(1);
}

TEST(irq_window_opens_after_sti_shadow)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_sti_window);
	struct kvm_regs r;

	vcpu_install_irq_handlers(vcpu);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	check_run_flags(_metadata, vcpu, 0, 0);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IRQ_WINDOW_OPEN);
	check_run_flags(_metadata, vcpu, 1, 1);
	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ((uint64_t)sti_window_open, r.rip);
	sync_global_from_guest(vm, shadow_marker);
	EXPECT_EQ(1, shadow_marker);

	vcpu->run->request_interrupt_window = 0;
	inject(vcpu, VEC_C);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

/* With the window already open, the exit comes before any instruction. */
static void guest_spin_sync(void)
{
	GUEST_SYNC(0);
	GUEST_SYNC(1);
}

TEST(irq_window_already_open)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_spin_sync);
	struct kvm_regs before, after;

	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	/* Finish the ucall's OUT first: its completion moves RIP. */
	vcpu->run->immediate_exit = 1;
	EXPECT_ERRNO(EINTR, ioctl(vcpu->fd, KVM_RUN, 0));
	vcpu->run->immediate_exit = 0;
	vcpu_regs_get(vcpu, &before);
	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IRQ_WINDOW_OPEN);
	check_run_flags(_metadata, vcpu, 1, 1);
	vcpu_regs_get(vcpu, &after);
	EXPECT_EQ(before.rip, after.rip);
	vcpu->run->request_interrupt_window = 0;
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	kvm_vm_free(vm);
}

/* An OUT in the shadow of STI (or of MOV SS) exits inside the shadow. */
static void guest_shadows(void)
{
	asm volatile("cli\n\t"
		     "sti\n\t"
		     "sti_shadow_out: outb %%al, %0\n\t"
		     "sti_after_out: nop"
		     : : "i"(SHADOW_PORT) : "memory");
	GUEST_ASSERT_EQ(guest_irq_count[VEC_A], 1);
	GUEST_ASSERT_EQ(guest_irq_rip, (uint64_t)sti_after_out);
	asm volatile("mov %%ss, %%eax\n\t"
		     "mov %%eax, %%ss\n\t"
		     "movss_shadow_out: outb %%al, %0\n\t"
		     "movss_after_out: nop"
		     : : "i"(SHADOW_PORT) : "rax", "memory");
	GUEST_ASSERT_EQ(guest_irq_count[VEC_B], 1);
	GUEST_ASSERT_EQ(guest_irq_rip, (uint64_t)movss_after_out);
}

/*
 * At an exit inside the shadow the guest has IF = 1 but cannot take an
 * interrupt; the window opens once the instruction in the shadow is done.
 */
static void shadow_case(struct __test_metadata *_metadata,
			struct kvm_vcpu *vcpu, const char *out_insn,
			const char *after, uint8_t vmx_shadow, uint32_t vec)
{
	struct kvm_vcpu_events ev;
	struct kvm_regs r;

	vcpu_run(vcpu);
	vcpu_assert_io(vcpu, KVM_EXIT_IO_OUT, SHADOW_PORT, 1);
	check_run_flags(_metadata, vcpu, 1, 0);
	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ((uint64_t)out_insn, r.rip);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_TRUE(ev.flags & KVM_VCPUEVENT_VALID_SHADOW);
	if (host_vendor() == VENDOR_INTEL) {
		EXPECT_EQ(vmx_shadow, ev.interrupt.shadow);
	} else {
		EXPECT_EQ(KVM_X86_SHADOW_INT_STI | KVM_X86_SHADOW_INT_MOV_SS,
			  ev.interrupt.shadow);
	}

	vcpu->run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	vcpu_assert_exit(vcpu, KVM_EXIT_IRQ_WINDOW_OPEN);
	check_run_flags(_metadata, vcpu, 1, 1);
	vcpu_regs_get(vcpu, &r);
	EXPECT_EQ((uint64_t)after, r.rip);
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(0, ev.interrupt.shadow);
	vcpu->run->request_interrupt_window = 0;
	inject(vcpu, vec);
}

TEST(interrupt_shadow_sti_and_mov_ss)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_shadows);

	vcpu_install_irq_handlers(vcpu);
	shadow_case(_metadata, vcpu, sti_shadow_out, sti_after_out,
		    KVM_X86_SHADOW_INT_STI, VEC_A);
	shadow_case(_metadata, vcpu, movss_shadow_out, movss_after_out,
		    KVM_X86_SHADOW_INT_MOV_SS, VEC_B);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

static volatile uint64_t nmi_count;

static void guest_nmi_handler(struct guest_exception_frame *f)
{
	uint64_t n = ++nmi_count;

	/* NMIs are blocked in here: a new one must not nest. */
	GUEST_SYNC(100 + n);
	GUEST_ASSERT_EQ(nmi_count, n);
}

static void guest_nmis(void)
{
	GUEST_SYNC(0);
	GUEST_ASSERT_EQ(nmi_count, 2);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(nmi_count, 4);
	GUEST_SYNC(2);
}

static void expect_nmi_state(struct __test_metadata *_metadata,
			     struct kvm_vcpu *vcpu, int pending, int masked)
{
	struct kvm_vcpu_events ev;

	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_EQ(pending, ev.nmi.pending);
	EXPECT_EQ(masked, ev.nmi.masked);
	EXPECT_EQ(0, ev.nmi.injected);
}

/*
 * KVM_NMI: delivered; blocked in the handler until its IRET; one more
 * held pending while blocked.  Three at once while not blocked: one is
 * delivered and one held, the third is dropped (in-tree process_nmi()
 * keeps at most two, SDM Vol. 3A 7.7.1), so four in all.
 */
TEST(nmi_blocked_until_iret)
{
	struct kvm_vcpu_events ev;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_guest(&vcpu, guest_nmis);

	vm_install_exception_handler(vm, 2, guest_nmi_handler);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 0);
	expect_nmi_state(_metadata, vcpu, 0, 0);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	expect_nmi_state(_metadata, vcpu, 1, 0);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 101);
	expect_nmi_state(_metadata, vcpu, 0, 1);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	expect_nmi_state(_metadata, vcpu, 1, 1);
	/* The second one comes right after the first handler's IRET. */
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 102);
	expect_nmi_state(_metadata, vcpu, 0, 1);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 1);
	expect_nmi_state(_metadata, vcpu, 0, 0);

	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	vcpu_ioctl(vcpu, KVM_NMI, NULL);
	/* a count since 6.4 (two kept), a flag before */
	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &ev);
	EXPECT_TRUE(ev.nmi.pending == 2 ||
		    (ev.nmi.pending == 1 && host_kernel_below(6, 4)));
	EXPECT_EQ(0, ev.nmi.masked);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 103);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 104);
	vcpu_expect_ucall(vcpu, UCALL_SYNC, 2);
	expect_nmi_state(_metadata, vcpu, 0, 0);
	vcpu_expect_ucall(vcpu, UCALL_DONE, 0);
	kvm_vm_free(vm);
}

TEST_HARNESS_MAIN
