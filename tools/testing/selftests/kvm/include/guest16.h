/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Real-mode guest snippets written as assembly in the test source.
 *
 *	REALMODE_CODE(hello,
 *		"mov $0x41, %al\n\t"
 *		"out %al, $0x10\n\t"
 *		"hlt\n\t");
 *	...
 *	vm = vm_create_realmode(&vcpu, hello_start, hello_end - hello_start);
 *
 * The bytes between NAME_start and NAME_end live in a read-only data
 * section of the test binary (the host never executes them); the library
 * copies them to REALMODE_BASE and starts the vCPU there with every
 * segment register = REALMODE_SEG (base REALMODE_BASE) and IP = 0.  Code
 * must therefore be position independent or address its own labels as
 * REALMODE_ADDR(NAME, label), i.e. the offset from the snippet's start.
 */
#ifndef KVMX_SELFTEST_GUEST16_H
#define KVMX_SELFTEST_GUEST16_H

#define REALMODE_CODE(name, body)					\
	extern const unsigned char name##_start[], name##_end[];	\
	asm(".pushsection .rodata.guest16, \"a\"\n"			\
	    ".globl " #name "_start, " #name "_end\n"			\
	    ".code16\n"							\
	    #name "_start:\n\t"						\
	    body "\n"							\
	    #name "_end:\n"						\
	    ".code64\n"							\
	    ".popsection\n")

/* Offset of @label inside snippet @name, for use in the snippet's text. */
#define REALMODE_ADDR(name, label) "(" #label " - " #name "_start)"

#endif /* KVMX_SELFTEST_GUEST16_H */
