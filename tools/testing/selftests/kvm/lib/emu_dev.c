// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emulator tests' fake device (include/emu_dev.h): answers and logs
 * KVM_EXIT_MMIO and string I/O on EMU_DEV_PORT, and matches the log
 * against the accesses a test expects.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kvm_util.h"
#include "emu_dev.h"

void emu_dev_clear(struct emu_dev *d)
{
	d->raw_exits = false;
	d->n = 0;
	d->out_len = 0;
	d->in_len = 0;
}

static struct emu_access *emu_log_add(struct emu_dev *d, struct kvm_vcpu *vcpu)
{
	struct emu_access *a;
	struct kvm_regs r;

	TEST_ASSERT(d->n < EMU_LOG_MAX, "more than %d device accesses",
		    EMU_LOG_MAX);
	a = &d->log[d->n++];
	memset(a, 0, sizeof(*a));
	vcpu_regs_get(vcpu, &r);
	a->rcx = r.rcx;
	a->rsi = r.rsi;
	a->rdi = r.rdi;
	a->rip = r.rip;
	return a;
}

static void emu_mmio(struct emu_dev *d, struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct emu_access *a = emu_log_add(d, vcpu);
	uint32_t i, len = run->mmio.len;

	a->addr = run->mmio.phys_addr;
	a->len = len;
	a->write = run->mmio.is_write;
	TEST_ASSERT(len >= 1 && len <= 8, "MMIO exit of %u bytes", len);
	if (a->write) {
		memcpy(a->data, run->mmio.data, len);
		return;
	}
	for (i = 0; i < 8; i++)
		run->mmio.data[i] = i < len ? emu_dev_byte(a->addr + i)
					    : EMU_DEV_PAD;
	memcpy(a->data, run->mmio.data, len);
}

static void emu_pio(struct emu_dev *d, struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct emu_access *a = emu_log_add(d, vcpu);
	uint8_t *p = (uint8_t *)run + run->io.data_offset;
	uint32_t i, len = run->io.size * run->io.count;

	a->addr = run->io.port;
	a->pio = true;
	a->size = run->io.size;
	a->count = run->io.count;
	a->len = len;
	a->write = run->io.direction == KVM_EXIT_IO_OUT;
	TEST_ASSERT(len >= 1 && run->io.data_offset + len <= vcpu->run_size,
		    "I/O exit of %u x %u bytes", run->io.size, run->io.count);
	if (a->write) {
		TEST_ASSERT(d->out_len + len <= EMU_STREAM_MAX, "OUTS stream full");
		a->stream_off = d->out_len;
		memcpy(d->out + d->out_len, p, len);
		d->out_len += len;
		return;
	}
	TEST_ASSERT(d->in_len + len <= EMU_STREAM_MAX, "INS stream full");
	a->stream_off = d->in_len;
	for (i = 0; i < len; i++) {
		p[i] = emu_pio_byte(d->in_len + i);
		d->in[d->in_len + i] = p[i];
	}
	d->in_len += len;
}

uint64_t emu_dev_run(struct emu_dev *d, struct kvm_vcpu *vcpu,
		     struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	uint64_t cmd;

	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == KVM_EXIT_MMIO) {
			emu_mmio(d, vcpu);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO &&
		    run->io.port == EMU_DEV_PORT) {
			emu_pio(d, vcpu);
			continue;
		}
		if (d->raw_exits && (run->exit_reason == KVM_EXIT_HLT ||
				     (run->exit_reason == KVM_EXIT_IO &&
				      run->io.port != UCALL_PORT)))
			return UCALL_NONE;
		cmd = get_ucall(vcpu, uc);
		switch (cmd) {
		case UCALL_PRINTF:
			fprintf(stderr, "# guest: %s\n", uc->msg);
			continue;
		case UCALL_NONE:
			vcpu_dump_exit(stderr, vcpu);
			vcpu_dump_state(stderr, vcpu);
			emu_dev_dump(d);
			TEST_FAIL("unexpected exit KVM_EXIT_%s%s",
				  exit_reason_str(run->exit_reason),
				  run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
				  run->internal.suberror ==
				  KVM_INTERNAL_ERROR_EMULATION ?
				  " (emulation failed)" : "");
		case UCALL_ASSERT:
			/* The guest runs this very binary: same addresses. */
			vcpu_dump_state(stderr, vcpu);
			emu_dev_dump(d);
			TEST_FAIL("guest assertion failed at %s:%lu: %s",
				  (const char *)(uintptr_t)uc->file, uc->line,
				  uc->msg);
		case UCALL_UNHANDLED:
			vcpu_dump_state(stderr, vcpu);
			emu_dev_dump(d);
			TEST_FAIL("guest: unhandled exception %lu, error code 0x%lx at rip 0x%lx",
				  uc->args[0], uc->args[1], uc->args[2]);
		default:
			return cmd;
		}
	}
}

bool emu_dev_match(struct emu_dev *d, unsigned int *pos, uint64_t gpa,
		   uint32_t len, bool write, const uint8_t *data, char *why,
		   size_t why_len)
{
	uint64_t end = gpa + len, at = gpa;
	bool small = len <= 8;

	while (at < end) {
		struct emu_access *a = &d->log[*pos];
		uint64_t piece_end;

		if (*pos >= d->n) {
			snprintf(why, why_len, "missing: %s of %u at 0x%lx (from 0x%lx)",
				 write ? "write" : "read", len, at, gpa);
			return false;
		}
		piece_end = (at & PAGE_MASK) + PAGE_SIZE;
		if (piece_end > end)
			piece_end = end;
		if (a->pio || a->write != write || a->addr != at ||
		    a->len > 8 || at + a->len > piece_end ||
		    (small && at + a->len != piece_end)) {
			snprintf(why, why_len,
				 "access %u: %s %s of %u at 0x%lx, expected %s of %u at 0x%lx (part of %u at 0x%lx)",
				 *pos, a->pio ? "PIO" : "MMIO",
				 a->write ? "write" : "read", a->len, a->addr,
				 write ? "write" : "read",
				 (uint32_t)(piece_end - at), at, len, gpa);
			return false;
		}
		if (write && data && memcmp(a->data, data + (at - gpa), a->len)) {
			uint64_t got = 0, want = 0;

			memcpy(&got, a->data, a->len);
			memcpy(&want, data + (at - gpa), a->len);
			snprintf(why, why_len,
				 "access %u: write of %u at 0x%lx: data 0x%lx, expected 0x%lx",
				 *pos, a->len, at, got, want);
			return false;
		}
		at += a->len;
		(*pos)++;
	}
	return true;
}

bool emu_dev_check(struct emu_dev *d, uint64_t base, const char *spec,
		   emu_expect_fn expect, void *opaque, char *why,
		   size_t why_len)
{
	unsigned int pos = 0;
	const char *s = spec;

	while (*s) {
		uint8_t buf[64];
		bool write;
		char *e;
		long len, off;

		if (*s == ' ') {
			s++;
			continue;
		}
		TEST_ASSERT(*s == 'R' || *s == 'W', "bad access spec '%s'", spec);
		write = *s++ == 'W';
		len = strtol(s, &e, 10);
		TEST_ASSERT(e != s && len > 0 && len <= 64 &&
			    (*e == '+' || *e == '-'), "bad access spec '%s'", spec);
		off = strtol(e, &e, 16);
		s = e;
		if (write && expect)
			expect(opaque, base + off, buf, len);
		if (!emu_dev_match(d, &pos, base + off, len, write,
				   write && expect ? buf : NULL, why, why_len))
			return false;
	}
	if (pos != d->n) {
		struct emu_access *a = &d->log[pos];

		snprintf(why, why_len, "%u more access(es), first: %s %s of %u at 0x%lx",
			 d->n - pos, a->pio ? "PIO" : "MMIO",
			 a->write ? "write" : "read", a->len, a->addr);
		return false;
	}
	return true;
}

void emu_dev_dump(struct emu_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++) {
		struct emu_access *a = &d->log[i];
		uint64_t v = 0;

		memcpy(&v, a->data, a->len < 8 ? a->len : 8);
		if (a->pio)
			fprintf(stderr, "#   %3u: PIO %s port 0x%lx size %u count %u  rcx 0x%lx rsi 0x%lx rdi 0x%lx\n",
				i, a->write ? "out" : "in", a->addr, a->size,
				a->count, a->rcx, a->rsi, a->rdi);
		else
			fprintf(stderr, "#   %3u: MMIO %s 0x%lx len %u data 0x%lx  rcx 0x%lx rsi 0x%lx rdi 0x%lx rip 0x%lx\n",
				i, a->write ? "write" : "read", a->addr, a->len,
				v, a->rcx, a->rsi, a->rdi, a->rip);
	}
}
