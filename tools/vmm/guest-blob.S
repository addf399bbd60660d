/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Links the flat guest image (guest.bin, made from guest.S by objcopy) into
 * the VMM as read-only data between guest_image_start and guest_image_end.
 */
	.section .rodata
	.globl	guest_image_start
	.globl	guest_image_end
	.balign	16
guest_image_start:
	.incbin	GUEST_BIN
guest_image_end:
	.section .note.GNU-stack, "", @progbits
