/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tiny real-mode guest run by kvmx-vmm.
 *
 * It is loaded as a flat image at GUEST_LOAD_ADDR and entered with
 * CS = DS = ES = SS = 0 (base 0), IP = GUEST_LOAD_ADDR.  It sets the UART to
 * 8N1 (which the VMM ignores, as a real guest would still do it), then
 * writes the greeting byte by byte to the transmit register, polling the
 * line status register for "transmit holding register empty" before each
 * byte, as a driver for a real 16550 must.  Then it halts; the VMM ends on
 * the HLT exit.  Every access is a port I/O exit, so this exercises vCPU
 * entry in real mode, I/O exits (in and out) and the HLT exit.
 */
#include "greeting.h"

	.code16
	.text
	.globl	guest_entry
guest_entry:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es

	/* 8 data bits, no parity, 1 stop bit, DLAB clear. */
	movw	$UART_LCR, %dx
	movb	$0x03, %al
	outb	%al, %dx

	/* The string's address is known at assembly time: load + offset. */
	movw	$(GUEST_LOAD_ADDR + greeting - guest_entry), %si
	cld
next_byte:
	lodsb				/* %al = ds:[si++] */
	testb	%al, %al
	jz	done
	movb	%al, %bl
wait_thre:
	movw	$UART_LSR, %dx
	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	wait_thre
	movw	$UART_THR, %dx
	movb	%bl, %al
	outb	%al, %dx
	jmp	next_byte

done:
	hlt
	/* Should the VMM ever resume us, halt again rather than run off. */
	jmp	done

greeting:
	.asciz	KVMX_GREETING
