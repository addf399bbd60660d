// SPDX-License-Identifier: GPL-2.0-only
/*
 * Saving, restoring and comparing the whole vCPU state, and copying a
 * VM's memory into a fresh VM: what a VMM does to migrate a guest.  See
 * include/state.h.  The restore order follows what QEMU does
 * (target/i386/kvm/kvm.c, kvm_arch_put_registers), since that is the
 * order KVM's ABI is exercised in by real VMMs.
 */
#include <stdlib.h>
#include <unistd.h>

#include "state.h"
#include "x86.h"

unsigned int kvm_msr_index_list(const uint32_t **list)
{
	static struct kvm_msr_list *msrs;
	struct kvm_msr_list probe = { .nmsrs = 0 };
	int fd, r;

	if (!msrs) {
		fd = kvm_open();
		/* A short buffer: E2BIG with nmsrs set to the list's length. */
		r = ioctl(fd, KVM_GET_MSR_INDEX_LIST, &probe);
		TEST_ASSERT(r == -1 && errno == E2BIG,
			    "KVM_GET_MSR_INDEX_LIST with nmsrs = 0: %d", r);
		msrs = calloc(1, sizeof(*msrs) +
				 probe.nmsrs * sizeof(msrs->indices[0]));
		TEST_ASSERT(msrs, "out of memory");
		msrs->nmsrs = probe.nmsrs;
		kvm_ioctl_ok(fd, KVM_GET_MSR_INDEX_LIST, msrs);
		close(fd);
	}
	*list = msrs->indices;
	return msrs->nmsrs;
}

static struct kvm_cpuid2 *vcpu_get_cpuid(struct kvm_vcpu *vcpu)
{
	int nent = 64;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
					      nent * sizeof(c->entries[0]));

		TEST_ASSERT(c, "out of memory");
		c->nent = nent;
		if (ioctl(vcpu->fd, KVM_GET_CPUID2, c) == 0)
			return c;
		TEST_ASSERT(errno == E2BIG && nent < 4096,
			    "KVM_GET_CPUID2: errno %d", errno);
		free(c);
		nent *= 2;
	}
}

/*
 * Read @n MSRs, dropping those KVM refuses for this vCPU: the distro's
 * KVM lists e.g. the nested-VMX capability MSRs (0x480...) on Intel
 * hosts, readable only when the guest's CPUID has VMX.  Returns how many
 * are left, in order, at the start of @e.
 */
static uint32_t vcpu_get_msrs_readable(struct kvm_vcpu *vcpu,
				       struct kvm_msr_entry *e, uint32_t n)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + n * sizeof(*e));
	uint32_t done = 0;
	int r;

	TEST_ASSERT(m, "out of memory");
	while (done < n) {
		m->nmsrs = n - done;
		memcpy(m->entries, e + done, (n - done) * sizeof(*e));
		r = ioctl(vcpu->fd, KVM_GET_MSRS, m);
		TEST_ASSERT(r >= 0, "KVM_GET_MSRS: %s", strerror(errno));
		memcpy(e + done, m->entries, r * sizeof(*e));
		done += r;
		if (done < n) {
			/* entry done is refused: drop it */
			memmove(e + done, e + done + 1,
				(n - done - 1) * sizeof(*e));
			n--;
		}
	}
	free(m);
	return n;
}

struct vcpu_state *vcpu_state_save(struct kvm_vcpu *vcpu)
{
	struct vcpu_state *st = calloc(1, sizeof(*st));
	struct kvm_vm *vm = vcpu->vm;
	const uint32_t *list;
	unsigned int i, n;
	int size;

	TEST_ASSERT(st, "out of memory");
	st->cpuid = vcpu_get_cpuid(vcpu);
	vcpu_regs_get(vcpu, &st->regs);
	vcpu_sregs_get(vcpu, &st->sregs);
	st->has_sregs2 = vm_check_cap(vm, KVM_CAP_SREGS2) > 0;
	if (st->has_sregs2)
		vcpu_ioctl(vcpu, KVM_GET_SREGS2, &st->sregs2);
	vcpu_ioctl(vcpu, KVM_GET_FPU, &st->fpu);

	size = vm_check_cap(vm, KVM_CAP_XSAVE2);
	st->xsave_size = size > (int)sizeof(struct kvm_xsave) ?
			 (size_t)size : sizeof(struct kvm_xsave);
	st->xsave = calloc(1, st->xsave_size);
	TEST_ASSERT(st->xsave, "out of memory");
	if (size > 0)
		vcpu_ioctl(vcpu, KVM_GET_XSAVE2, st->xsave);
	else
		vcpu_ioctl(vcpu, KVM_GET_XSAVE, st->xsave);

	st->has_xcrs = vm_check_cap(vm, KVM_CAP_XCRS) > 0;
	if (st->has_xcrs)
		vcpu_ioctl(vcpu, KVM_GET_XCRS, &st->xcrs);

	n = kvm_msr_index_list(&list);
	st->msrs = calloc(1, sizeof(*st->msrs) + n * sizeof(st->msrs->entries[0]));
	TEST_ASSERT(st->msrs, "out of memory");
	st->msrs->nmsrs = n;
	for (i = 0; i < n; i++)
		st->msrs->entries[i].index = list[i];
	st->msrs->nmsrs = vcpu_get_msrs_readable(vcpu, st->msrs->entries, n);

	vcpu_ioctl(vcpu, KVM_GET_VCPU_EVENTS, &st->events);
	vcpu_ioctl(vcpu, KVM_GET_DEBUGREGS, &st->debugregs);
	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &st->mp_state);
	if (vm_check_cap(vm, KVM_CAP_GET_TSC_KHZ) > 0) {
		st->tsc_khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
		TEST_ASSERT(st->tsc_khz > 0, "KVM_GET_TSC_KHZ: %ld", st->tsc_khz);
	}
	return st;
}

/*
 * MSRs of the index list that KVM refuses to write, even with the value
 * it reads, unless the VM has an in-kernel local APIC: the async page
 * fault interrupt vector (x86.c, kvm_pv_enable_async_pf_int(); seen on
 * the distro KVM).  Our VMs have a userspace interrupt controller, so
 * these are left at their reset value, which is all they can hold.
 */
static const uint32_t msrs_need_lapic[] = {
	0x4b564d06,	/* MSR_KVM_ASYNC_PF_INT */
};

static bool msr_skip_on_load(const struct kvm_msr_entry *e)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msrs_need_lapic); i++)
		if (e->index == msrs_need_lapic[i] && !e->data)
			return true;
	return false;
}

static void vcpu_load_msrs(struct kvm_vcpu *vcpu, const struct kvm_msrs *msrs)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) +
				    msrs->nmsrs * sizeof(m->entries[0]));
	unsigned int i;
	int r;

	TEST_ASSERT(m, "out of memory");
	for (i = 0; i < msrs->nmsrs; i++)
		if (!msr_skip_on_load(&msrs->entries[i]))
			m->entries[m->nmsrs++] = msrs->entries[i];
	r = ioctl(vcpu->fd, KVM_SET_MSRS, m);
	TEST_ASSERT(r == (int)m->nmsrs,
		    "KVM_SET_MSRS wrote %d of %u MSRs (stopped at 0x%x)", r,
		    m->nmsrs, r >= 0 && r < (int)m->nmsrs ?
		    m->entries[r].index : 0);
	free(m);
}

void vcpu_state_load(struct kvm_vcpu *vcpu, const struct vcpu_state *st)
{
	vcpu_ioctl(vcpu, KVM_SET_CPUID2, st->cpuid);
	if (st->tsc_khz)
		vcpu_ioctl(vcpu, KVM_SET_TSC_KHZ, st->tsc_khz);
	vcpu_ioctl(vcpu, KVM_SET_REGS, &st->regs);
	vcpu_ioctl(vcpu, KVM_SET_XSAVE, st->xsave);
	if (st->has_xcrs)
		vcpu_ioctl(vcpu, KVM_SET_XCRS, &st->xcrs);
	if (st->has_sregs2)
		vcpu_ioctl(vcpu, KVM_SET_SREGS2, &st->sregs2);
	else
		vcpu_ioctl(vcpu, KVM_SET_SREGS, &st->sregs);
	vcpu_load_msrs(vcpu, st->msrs);
	vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &st->mp_state);
	vcpu_ioctl(vcpu, KVM_SET_VCPU_EVENTS, &st->events);
	vcpu_ioctl(vcpu, KVM_SET_DEBUGREGS, &st->debugregs);
}

void vcpu_state_free(struct vcpu_state *st)
{
	if (!st)
		return;
	free(st->cpuid);
	free(st->xsave);
	free(st->msrs);
	free(st);
}

uint64_t vcpu_state_msr(const struct vcpu_state *st, uint32_t msr)
{
	unsigned int i;

	for (i = 0; i < st->msrs->nmsrs; i++)
		if (st->msrs->entries[i].index == msr)
			return st->msrs->entries[i].data;
	TEST_FAIL("MSR 0x%x is not in the saved state", msr);
}

/* ---- comparison ------------------------------------------------------- */

struct differ {
	FILE *f;
	unsigned int n;
};

static void diff_u64(struct differ *d, const char *what, uint64_t a, uint64_t b)
{
	if (a == b)
		return;
	fprintf(d->f, "#   %s: 0x%lx != 0x%lx\n", what, a, b);
	d->n++;
}

/* Bytes of two blobs; differences reported per 8-byte word, at most 16. */
static void diff_bytes(struct differ *d, const char *what, const void *a,
		       const void *b, size_t len)
{
	const uint8_t *pa = a, *pb = b;
	unsigned int shown = 0;
	size_t off;

	for (off = 0; off < len; off += 8) {
		uint64_t wa = 0, wb = 0;
		size_t k = len - off < 8 ? len - off : 8;

		memcpy(&wa, pa + off, k);
		memcpy(&wb, pb + off, k);
		if (wa == wb)
			continue;
		d->n++;
		if (shown++ < 16)
			fprintf(d->f, "#   %s+0x%zx: %016lx != %016lx\n", what,
				off, wa, wb);
	}
	if (shown > 16)
		fprintf(d->f, "#   %s: %u more differing words\n", what,
			shown - 16);
}

#define DIFF(d, a, b, field) diff_u64(d, #field, (a)->field, (b)->field)

/* The fields kvm_sregs and kvm_sregs2 share by name. */
#define DIFF_CRS(d, a, b) do {						\
	DIFF(d, a, b, cr0);						\
	DIFF(d, a, b, cr2);						\
	DIFF(d, a, b, cr3);						\
	DIFF(d, a, b, cr4);						\
	DIFF(d, a, b, cr8);						\
	DIFF(d, a, b, efer);						\
	DIFF(d, a, b, apic_base);					\
} while (0)

static void diff_seg(struct differ *d, const char *name,
		     const struct kvm_segment *a, const struct kvm_segment *b)
{
	char what[32];

	snprintf(what, sizeof(what), "sregs.%s", name);
	diff_bytes(d, what, a, b, sizeof(*a));
}

static void diff_sregs(struct differ *d, const struct kvm_sregs *a,
		       const struct kvm_sregs *b)
{
	unsigned int i;

	diff_seg(d, "cs", &a->cs, &b->cs);
	diff_seg(d, "ds", &a->ds, &b->ds);
	diff_seg(d, "es", &a->es, &b->es);
	diff_seg(d, "fs", &a->fs, &b->fs);
	diff_seg(d, "gs", &a->gs, &b->gs);
	diff_seg(d, "ss", &a->ss, &b->ss);
	diff_seg(d, "tr", &a->tr, &b->tr);
	diff_seg(d, "ldt", &a->ldt, &b->ldt);
	DIFF(d, a, b, gdt.base);
	DIFF(d, a, b, gdt.limit);
	DIFF(d, a, b, idt.base);
	DIFF(d, a, b, idt.limit);
	DIFF_CRS(d, a, b);
	for (i = 0; i < ARRAY_SIZE(a->interrupt_bitmap); i++)
		DIFF(d, a, b, interrupt_bitmap[i]);
}

static void diff_sregs2(struct differ *d, const struct kvm_sregs2 *a,
			const struct kvm_sregs2 *b)
{
	unsigned int i;

	/* The layout up to apic_base is that of kvm_sregs (minus the bitmap). */
	diff_bytes(d, "sregs2.segments", a, b,
		   offsetof(struct kvm_sregs2, cr0));
	DIFF_CRS(d, a, b);
	DIFF(d, a, b, flags);
	for (i = 0; i < ARRAY_SIZE(a->pdptrs); i++)
		DIFF(d, a, b, pdptrs[i]);
}

static void diff_events(struct differ *d, const struct kvm_vcpu_events *a,
			const struct kvm_vcpu_events *b)
{
	DIFF(d, a, b, exception.injected);
	DIFF(d, a, b, exception.nr);
	DIFF(d, a, b, exception.has_error_code);
	DIFF(d, a, b, exception.pending);
	DIFF(d, a, b, exception.error_code);
	DIFF(d, a, b, interrupt.injected);
	DIFF(d, a, b, interrupt.nr);
	DIFF(d, a, b, interrupt.soft);
	DIFF(d, a, b, interrupt.shadow);
	DIFF(d, a, b, nmi.injected);
	DIFF(d, a, b, nmi.pending);
	DIFF(d, a, b, nmi.masked);
	DIFF(d, a, b, sipi_vector);
	DIFF(d, a, b, flags);
	DIFF(d, a, b, smi.smm);
	DIFF(d, a, b, smi.pending);
	DIFF(d, a, b, smi.smm_inside_nmi);
	DIFF(d, a, b, smi.latched_init);
	DIFF(d, a, b, triple_fault.pending);
	DIFF(d, a, b, exception_has_payload);
	DIFF(d, a, b, exception_payload);
}

/*
 * MSRs that count time, so that two saves never agree: the TSC and
 * Hyper-V's vCPU runtime (0x40000010, host-settable as an offset to the
 * thread's run time) only move forward; Hyper-V's partition reference
 * counter (0x40000020) derives from the VM's clock, which a fresh VM
 * restarts, and host writes to it are ignored (it is read-only).
 */
enum msr_kind { MSR_EXACT, MSR_FORWARD, MSR_VM_CLOCK };

static enum msr_kind msr_kind(uint32_t index)
{
	switch (index) {
	case MSR_IA32_TSC:
	case 0x40000010:	/* HV_X64_MSR_VP_RUNTIME */
		return MSR_FORWARD;
	case 0x40000020:	/* HV_X64_MSR_TIME_REF_COUNT */
		return MSR_VM_CLOCK;
	default:
		return MSR_EXACT;
	}
}

static void diff_msrs(struct differ *d, const struct kvm_msrs *a,
		      const struct kvm_msrs *b)
{
	unsigned int i;
	char what[40];

	diff_u64(d, "msrs.nmsrs", a->nmsrs, b->nmsrs);
	for (i = 0; i < a->nmsrs && i < b->nmsrs; i++) {
		const struct kvm_msr_entry *ea = &a->entries[i];
		const struct kvm_msr_entry *eb = &b->entries[i];

		snprintf(what, sizeof(what), "msr[%u].index", i);
		diff_u64(d, what, ea->index, eb->index);
		snprintf(what, sizeof(what), "msr 0x%x", ea->index);
		switch (msr_kind(ea->index)) {
		case MSR_EXACT:
			diff_u64(d, what, ea->data, eb->data);
			break;
		case MSR_FORWARD:
			if (eb->data < ea->data) {
				fprintf(d->f, "#   %s went back: 0x%llx -> 0x%llx\n",
					what, ea->data, eb->data);
				d->n++;
			}
			break;
		case MSR_VM_CLOCK:
			break;
		}
	}
}

unsigned int vcpu_state_diff(FILE *f, const struct vcpu_state *a,
			     const struct vcpu_state *b)
{
	struct differ d = { .f = f, .n = 0 };

	diff_u64(&d, "cpuid.nent", a->cpuid->nent, b->cpuid->nent);
	if (a->cpuid->nent == b->cpuid->nent)
		diff_bytes(&d, "cpuid.entries", a->cpuid->entries,
			   b->cpuid->entries,
			   a->cpuid->nent * sizeof(a->cpuid->entries[0]));
	diff_bytes(&d, "regs", &a->regs, &b->regs, sizeof(a->regs));
	diff_sregs(&d, &a->sregs, &b->sregs);
	if (a->has_sregs2 && b->has_sregs2)
		diff_sregs2(&d, &a->sregs2, &b->sregs2);
	diff_bytes(&d, "fpu", &a->fpu, &b->fpu, sizeof(a->fpu));
	diff_u64(&d, "xsave size", a->xsave_size, b->xsave_size);
	if (a->xsave_size == b->xsave_size)
		diff_bytes(&d, "xsave", a->xsave, b->xsave, a->xsave_size);
	if (a->has_xcrs && b->has_xcrs)
		diff_bytes(&d, "xcrs", &a->xcrs, &b->xcrs, sizeof(a->xcrs));
	diff_msrs(&d, a->msrs, b->msrs);
	diff_events(&d, &a->events, &b->events);
	diff_bytes(&d, "debugregs", &a->debugregs, &b->debugregs,
		   sizeof(a->debugregs));
	diff_u64(&d, "mp_state", a->mp_state.mp_state, b->mp_state.mp_state);
	diff_u64(&d, "tsc_khz", a->tsc_khz, b->tsc_khz);
	return d.n;
}

/* ---- migration -------------------------------------------------------- */

struct kvm_vm *vm_clone_memory(struct kvm_vm *src)
{
	struct kvm_vm *vm = vm_create_bare();
	unsigned int i;

	vm->mode = src->mode;
	vm->alloc_next = src->alloc_next;
	vm->alloc_end = src->alloc_end;
	vm->guest_entry = src->guest_entry;
	/* VMX without unrestricted guest needs it for real mode. */
	if (vm->mode == VM_MODE_REAL)
		vm_ioctl(vm, KVM_SET_TSS_ADDR, REALMODE_TSS);
	for (i = 0; i < src->nr_slots; i++) {
		const struct kvm_memslot *s = &src->slots[i];
		void *hva = vm_add_memslot(vm, s->slot, s->gpa, s->size,
					   s->flags, NULL);

		memcpy(hva, s->hva, s->size);
	}
	return vm;
}

void vcpu_complete_exit(struct kvm_vcpu *vcpu)
{
	int r;

	vcpu->run->immediate_exit = 1;
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	vcpu->run->immediate_exit = 0;
	TEST_ASSERT(r == -1 && errno == EINTR,
		    "KVM_RUN with immediate_exit: %d, errno %d (expected EINTR)",
		    r, errno);
}

struct kvm_vcpu *vcpu_migrate(struct kvm_vcpu *vcpu, unsigned int *ndiff)
{
	struct vcpu_state *before, *after;
	struct kvm_vm *vm;
	struct kvm_vcpu *nv;

	vcpu_complete_exit(vcpu);
	before = vcpu_state_save(vcpu);
	vm = vm_clone_memory(vcpu->vm);
	nv = vm_vcpu_add_bare(vm, vcpu->id);

	nv->stack_top = vcpu->stack_top;
	vcpu_state_load(nv, before);
	after = vcpu_state_save(nv);
	*ndiff = vcpu_state_diff(stderr, before, after);
	vcpu_state_free(before);
	vcpu_state_free(after);
	return nv;
}
