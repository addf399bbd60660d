/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The greeting the built-in guest prints.  Shared by guest.S (which
 * prints it) and vmm.c (which checks the guest printed exactly this), so
 * the two cannot drift apart.  Plain #define only: this is included from
 * assembly too.
 */
#ifndef KVMX_VMM_GREETING_H
#define KVMX_VMM_GREETING_H

#define KVMX_GREETING "Hello from a kvmx guest!\n"

/* Guest-physical load address and entry point of the flat guest image. */
#define GUEST_LOAD_ADDR 0x1000

/* The 16550 UART the VMM models: COM1. */
#define UART_BASE 0x3f8
#define UART_THR  (UART_BASE + 0)	/* transmit holding register (write) */
#define UART_LCR  (UART_BASE + 3)	/* line control register */
#define UART_LSR  (UART_BASE + 5)	/* line status register (read) */
#define UART_LSR_THRE 0x20		/* transmit holding register empty */
#define UART_LSR_TEMT 0x40		/* transmitter empty */

#endif
