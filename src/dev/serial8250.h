/* SPDX-License-Identifier: MIT */
/*
 * 8250-family UART, presented as a National Semiconductor 16550A: the PC's
 * COM port as firmware and Linux's 8250 driver expect it, with the reset
 * values QEMU's hw/char/serial.c uses.
 *
 * Eight byte-wide registers (offsets from the base the machine registers,
 * e.g. 0x3f8); LCR bit 7 (DLAB) swaps offsets 0 and 1 for the divisor latch:
 *
 *   0  read RBR (receive buffer)       write THR (transmit holding)
 *   1  IER (interrupt enable, 4 bits)
 *   2  read IIR (interrupt identity)   write FCR (FIFO control)
 *   3  LCR (line control)
 *   4  MCR (modem control, 5 bits; bit 4 = loopback)
 *   5  LSR (line status)
 *   6  MSR (modem status)
 *   7  SCR (scratch)
 *
 * Transmission is instantaneous: a byte written to THR goes straight to the
 * host's write() (or, in loopback, into the receiver), so THR and the transmit
 * FIFO always read as empty (LSR.THRE and LSR.TEMT stay set) and the device
 * never loses output.  There is no baud-rate clock; the divisor and line
 * settings are stored and read back, nothing more.
 *
 * Reception: the host pushes bytes with serial8250_receive(), which accepts
 * only what fits (16 bytes with the FIFO enabled, 1 without) and returns the
 * count; the caller keeps the rest.  When room appears again (the guest
 * read RBR, cleared or reconfigured the FIFO, or left loopback) the host's
 * rx_ready() says so, once per refusal (uart.h).  Host bytes are therefore
 * never overrun; LSR.OE can only come from loopback traffic, where the
 * guest itself overfills the receiver.
 *
 * Interrupts (one output, ISA IRQ 4 for COM1) in the 16550's priority:
 * receiver line status (OE) > received data / character timeout > THR
 * empty > modem status.  The interrupt line (irq.h) is set to the new level
 * whenever it changes.  The character timeout is reported as soon as a host burst
 * leaves the FIFO below its trigger level (a real 16550 would wait four
 * character times; without a baud clock "the line went idle" is when the
 * burst ends).  MCR.OUT2 does not gate the interrupt (as in QEMU).
 *
 * Locking: one mutex per device; guest accesses (any vCPU thread) and the
 * host-side calls (the console's input thread) take it.  The interrupt
 * line and the host's write() and rx_ready() are called with it held, so
 * they must not call back into the device; in exchange the interrupt
 * levels and output bytes reach them in exactly the order the accesses
 * happened.
 */
#ifndef MINIVMM_DEV_SERIAL8250_H
#define MINIVMM_DEV_SERIAL8250_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "chardev.h"
#include "device.h"
#include "dev/uart.h"
#include "irq.h"

/* Register offsets (DLAB = LCR bit 7 selects DLL/DLM at 0/1). */
#define SERIAL8250_RBR 0 /* read, DLAB=0 */
#define SERIAL8250_THR 0 /* write, DLAB=0 */
#define SERIAL8250_DLL 0 /* DLAB=1 */
#define SERIAL8250_IER 1 /* DLAB=0 */
#define SERIAL8250_DLM 1 /* DLAB=1 */
#define SERIAL8250_IIR 2 /* read */
#define SERIAL8250_FCR 2 /* write */
#define SERIAL8250_LCR 3
#define SERIAL8250_MCR 4
#define SERIAL8250_LSR 5
#define SERIAL8250_MSR 6
#define SERIAL8250_SCR 7
#define SERIAL8250_NR_REGS 8

#define SERIAL8250_FIFO_SIZE 16

struct serial8250 {
	pthread_mutex_t lock;

	/* Registers as the guest programs them. */
	uint8_t ier; /* low 4 bits only */
	uint8_t lcr;
	uint8_t mcr; /* low 5 bits only */
	uint8_t fcr; /* enable, DMA mode and trigger bits; 0 = FIFO off */
	uint8_t scr;
	uint16_t divisor; /* DLM:DLL */
	uint8_t lsr_errors; /* sticky LSR bits 1-4, cleared by reading LSR */
	uint8_t msr; /* inputs in bits 4-7, delta flags in bits 0-3 */

	/* Receiver: RBR is the head of this queue (capacity 1 without FIFO). */
	struct uart_fifo rx;
	uint8_t rx_last; /* what RBR reads once the queue is empty */

	bool thr_ipending; /* THR-empty interrupt armed (see IER and IIR) */
	bool irq_level; /* last level set on the line */

	struct irq_line *irq; /* NULL: not wired */
	struct uart_host host; /* the console side, its counters (uart.h) */
};

/*
 * A powered-on UART with no interrupt line and no host side; NULL with
 * err_msg() on failure.  serial8250_device_ops.destroy frees it.
 */
struct serial8250 *serial8250_create(void);

/*
 * Set before the guest runs (the setters take the lock all the same).  A
 * NULL line leaves the interrupt unwired; a NULL host drops the output.
 * The host is copied.
 */
void serial8250_set_irq(struct serial8250 *dev, struct irq_line *line);
void serial8250_set_host(struct serial8250 *dev,
			 const struct chardev_host *host);

/* Claim [base, base + 8) on a port bus, one-byte accesses only. */
int serial8250_register(struct serial8250 *dev, struct bus *io, uint64_t base);

/*
 * Hand bytes from the host to the receiver (a struct chardev_port's
 * receive, with the struct serial8250 * as its dev).  Returns how many
 * were taken (0 when the FIFO is full or the UART is in loopback); the
 * caller keeps the rest and retries after the host's rx_ready().  Raises
 * the receive interrupt if the guest enabled it.
 */
size_t serial8250_receive(void *dev, const uint8_t *buf, size_t len);

/*
 * The device operations (device.h), each under the device's lock:
 *
 *   reset    power-on/reset state (QEMU serial_reset): IER 0, IIR 0x01,
 *            LCR 0, MCR 0x08 (OUT2), LSR 0x60, MSR 0xb0 (CTS, DSR, DCD),
 *            divisor 12 (9600 baud), FIFO off and empty.  Lowers the
 *            interrupt line; a host turned away hears about the room.
 *   save     the registers (IER, LCR, MCR, FCR, SCR, divisor, the sticky
 *            LSR errors, MSR with its change flags), the receive FIFO, the
 *            byte an empty RBR shows and whether THR-empty is armed.  Not
 *            the line, the host side or the counters.
 *   load     checks each register against what the guest could have
 *            programmed (reserved bits, FCR's enable rule, MSR's inputs
 *            against MCR) and the FIFO against its capacity, then sets
 *            the interrupt line to what the loaded registers say.
 *   destroy  frees the device.
 */
extern const struct device_ops serial8250_device_ops;

/* The port handlers, for callers that register the device themselves. */
extern const struct bus_ops serial8250_bus_ops;

#endif
