/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest half of the library: what 64-bit guest code (plain C in the
 * test file) may call.  Guest code runs at CPL 0 with no libc, no TLS and
 * no host memory other than the copy of this binary: it must not call
 * libc (printf, memset, ...) nor touch host pointers, and should keep
 * large struct copies out (the compiler may turn them into memcpy calls).
 */
#ifndef KVMX_SELFTEST_GUEST_H
#define KVMX_SELFTEST_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "ucall.h"

/* Registers saved by the exception entry stubs, lowest address first. */
struct guest_exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

void ucall(uint64_t cmd, int nargs, ...);
void __attribute__((noreturn, format(printf, 3, 4)))
ucall_assert_fail(const char *file, int line, const char *fmt, ...);
void __attribute__((format(printf, 1, 2))) guest_printf(const char *fmt, ...);

/* A tiny vsnprintf for guest code: %d %i %u %x %X %p %s %c %%, l/ll/z. */
int guest_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int __attribute__((format(printf, 3, 4)))
guest_snprintf(char *buf, size_t n, const char *fmt, ...);
void *guest_memset(void *s, int c, size_t n);
void *guest_memcpy(void *d, const void *s, size_t n);
size_t guest_strlen(const char *s);

#define GUEST_SYNC(v)	ucall(UCALL_SYNC, 1, (uint64_t)(v))
#define GUEST_DONE()	ucall(UCALL_DONE, 0)
#define GUEST_PRINTF(fmt, ...) guest_printf(fmt, ##__VA_ARGS__)

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		ucall_assert_fail(__FILE__, __LINE__, "%s", #cond);	\
} while (0)

#define GUEST_ASSERT_MSG(cond, fmt, ...) do {				\
	if (!(cond))							\
		ucall_assert_fail(__FILE__, __LINE__, "%s: " fmt,	\
				  #cond, ##__VA_ARGS__);		\
} while (0)

#define __GUEST_ASSERT_CMP(a, op, b) do {				\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (!(__a op __b))						\
		ucall_assert_fail(__FILE__, __LINE__,			\
				  "%s %s %s: 0x%lx vs 0x%lx",		\
				  #a, #op, #b, __a, __b);		\
} while (0)

#define GUEST_ASSERT_EQ(a, b) __GUEST_ASSERT_CMP(a, ==, b)
#define GUEST_ASSERT_NE(a, b) __GUEST_ASSERT_CMP(a, !=, b)

/* Port I/O and a few privileged instructions, for guest code. */
static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint64_t read_cr0(void)
{
	uint64_t v;

	asm volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr3(void)
{
	uint64_t v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}
static inline uint64_t read_cr4(void)
{
	uint64_t v;

	asm volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}
static inline uint64_t guest_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return lo | ((uint64_t)hi << 32);
}
static inline void guest_hlt(void)
{
	asm volatile("hlt");
}

#endif /* KVMX_SELFTEST_GUEST_H */
