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
static inline uint64_t read_cr2(void)
{
	uint64_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}
static inline void write_cr0(uint64_t v)
{
	asm volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}
static inline void write_cr3(uint64_t v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}
static inline void write_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}
static inline void guest_wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
		     "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void guest_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a,
			       uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid"
		     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "0"(leaf), "2"(sub) : "memory");
}
static inline uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | ((uint64_t)hi << 32);
}
static inline uint64_t guest_xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return lo | ((uint64_t)hi << 32);
}
static inline void guest_invlpg(uint64_t addr)
{
	asm volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

/*
 * Exception-safe instructions.  GUEST_SAFE_ASM(insn) wraps one instruction
 * so that an exception it raises does not reach a handler: the exception
 * dispatcher sees that the faulting RIP is the one recorded in R10 and
 * resumes at the address in R11, with R11 = the vector and R10 = the error
 * code.  Without an exception R11 ends up as GUEST_NO_EXCEPTION.  The
 * caller binds R11 (and R10 if it wants the error code) as outputs:
 *
 *	register uint64_t vec asm("r11");
 *	asm volatile(GUEST_SAFE_ASM("rdmsr") : "=&r"(vec), ... : ... : "r10");
 *
 * Only faults can be caught this way (a trap's RIP is past the instruction).
 */
#define GUEST_NO_EXCEPTION	(-1)

#define GUEST_SAFE_ASM(insn)						\
	"lea 1f(%%rip), %%r10\n\t"					\
	"lea 2f(%%rip), %%r11\n\t"					\
	"1: " insn "\n\t"						\
	"mov $-1, %%r11\n\t"						\
	"2:\n\t"

/* RDMSR, RDPMC, XGETBV: ECX = which; the value in EDX:EAX goes to *out. */
#define GUEST_SAFE_ECX_TO_EDX_EAX(insn, ecx, out) ({			\
	register uint64_t __vec asm("r11");				\
	uint32_t __lo, __hi;						\
									\
	asm volatile(GUEST_SAFE_ASM(insn)				\
		     : "=&r"(__vec), "=a"(__lo), "=d"(__hi) : "c"(ecx)	\
		     : "r10", "memory");				\
	*(out) = (int)__vec == GUEST_NO_EXCEPTION ?			\
		 __lo | ((uint64_t)__hi << 32) : 0;			\
	(int)__vec;							\
})

/* The vector RDMSR raised, or GUEST_NO_EXCEPTION with *val set. */
static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	return GUEST_SAFE_ECX_TO_EDX_EAX("rdmsr", msr, val);
}

/* WRMSR and XSETBV: ECX = which, EDX:EAX = the value. */
#define GUEST_SAFE_ECX_EDX_EAX(insn, ecx, val) ({			\
	register uint64_t __vec asm("r11");				\
									\
	asm volatile(GUEST_SAFE_ASM(insn)				\
		     : "=&r"(__vec)					\
		     : "c"(ecx), "a"((uint32_t)(val)),			\
		       "d"((uint32_t)((uint64_t)(val) >> 32))		\
		     : "r10", "memory");				\
	(int)__vec;							\
})

static inline int wrmsr_safe(uint32_t msr, uint64_t val)
{
	return GUEST_SAFE_ECX_EDX_EAX("wrmsr", msr, val);
}

static inline int xsetbv_safe(uint32_t index, uint64_t val)
{
	return GUEST_SAFE_ECX_EDX_EAX("xsetbv", index, val);
}

#endif /* KVMX_SELFTEST_GUEST_H */
