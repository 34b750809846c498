/* SPDX-License-Identifier: MIT */
/*
 * ARM PrimeCell UART (PL011), as the arm64 virt machine's console: the
 * registers Linux's amba-pl011 driver, its earlycon and the AMBA bus probe
 * use (PrimeCell UART (PL011) Technical Reference Manual, r1p5, chapter 3),
 * with the reset values and quirks of QEMU's hw/char/pl011.c, which those
 * drivers are tested against.
 *
 * 4 KiB of MMIO; registers are 32 bits wide at 4-byte offsets:
 *
 *   0x000 DR      data: write sends, read takes the receive FIFO's head
 *                 (bits 8-11: FE, PE, BE, OE of that character)
 *   0x004 RSR/ECR receive status (read), error clear (write)
 *   0x018 FR      flags: CTS DSR DCD BUSY RXFE TXFF RXFF TXFE RI (0-8)
 *   0x020 ILPR    IrDA low-power counter (stored)
 *   0x024 IBRD    integer baud divisor (16 bits, stored)
 *   0x028 FBRD    fractional baud divisor (6 bits, stored)
 *   0x02c LCR_H   line control; bit 4 FEN: 32-byte FIFOs, else 1 byte
 *   0x030 CR      control: UARTEN, LBE (loopback), TXE, RXE, modem outputs
 *   0x034 IFLS    FIFO interrupt levels (receive trigger in bits 3-5)
 *   0x038 IMSC    interrupt mask (1 = enabled), 11 bits as RIS
 *   0x03c RIS     raw interrupt status: RI CTS DCD DSR RX TX RT FE PE BE OE
 *   0x040 MIS     RIS & IMSC
 *   0x044 ICR     write 1s to clear RIS bits
 *   0x048 DMACR   DMA control (stored; there is no DMA)
 *   0xfe0-0xffc   PeriphID0-3 0x11 0x10 0x14 0x00 (part 0x011, ARM, rev 1),
 *                 PCellID0-3 0x0d 0xf0 0x05 0xb1: what the AMBA bus reads
 *                 to bind the driver.  Other offsets read 0, ignore writes.
 *
 * Accesses of 1, 2 or 4 bytes are accepted (Linux uses 16- or 32-bit ones,
 * earlycon may write DR a byte at a time): a read returns the bytes of the
 * 32-bit register at that offset, a write at a register's offset writes
 * the register (zero-extended), a write into the middle of one is ignored.
 * Any access to DR is a full DR access (a read pops the FIFO).
 *
 * Transmission is instantaneous: a byte written to DR goes straight to the
 * host's write() (or, with CR.LBE, into the receiver), whatever UARTEN and TXE
 * say, as QEMU does (Linux's earlycon writes before anything enables the
 * UART).  So the transmit FIFO is always empty: FR reads TXFE set, TXFF and
 * BUSY clear, and each byte sent raises TXRIS ("at or below the transmit
 * trigger level"), which stays up until ICR clears it (QEMU's model; Linux
 * masks TXIM when it has nothing more to send).
 *
 * Reception: the host pushes bytes with pl011_receive(), which takes only
 * what fits (32 bytes with LCR_H.FEN, 1 without) and returns the count;
 * the caller keeps the rest.  When room appears again (the guest read DR,
 * toggled FEN, left loopback, or the UART was reset) the host's rx_ready()
 * says so, once per refusal (uart.h).  Host bytes are therefore never overrun; OE
 * can only come from loopback traffic.  RXRIS is set while the FIFO holds
 * at least the IFLS trigger level (1/8 .. 7/8 of 32; 1 byte without FIFO)
 * and drops when reads take it below (or ICR clears it).  RTRIS, the
 * receive timeout, is raised when a host burst (or a loopback byte) ends
 * with data in the FIFO (a real PL011 waits 32 bit periods of idle line;
 * without a baud clock "the burst ended" is idle) and drops when the FIFO
 * is emptied or ICR clears it.  Received bytes are accepted whatever UARTEN and RXE say.
 *
 * One interrupt output, UARTINTR (MIS != 0); the interrupt line (irq.h) is
 * set to the new level whenever it changes.
 *
 * Locking: one mutex per device; guest accesses (any vCPU thread) and the
 * host-side calls (the console's input thread) take it.  The interrupt
 * line and the host's write() and rx_ready() are called with it held, so
 * they must not call back into the device; in exchange the interrupt
 * levels and output bytes reach them in exactly the order the accesses
 * happened.
 */
#ifndef MINIVMM_DEV_PL011_H
#define MINIVMM_DEV_PL011_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus.h"
#include "chardev.h"
#include "device.h"
#include "dev/uart.h"
#include "irq.h"

/* Register offsets. */
#define PL011_DR 0x000
#define PL011_RSR 0x004 /* read; write = ECR */
#define PL011_ECR 0x004
#define PL011_FR 0x018
#define PL011_ILPR 0x020
#define PL011_IBRD 0x024
#define PL011_FBRD 0x028
#define PL011_LCR_H 0x02c
#define PL011_CR 0x030
#define PL011_IFLS 0x034
#define PL011_IMSC 0x038
#define PL011_RIS 0x03c
#define PL011_MIS 0x040
#define PL011_ICR 0x044
#define PL011_DMACR 0x048
#define PL011_PERIPH_ID0 0xfe0 /* ... PCellID3 at 0xffc */
#define PL011_MMIO_SIZE 0x1000

/* FR bits. */
#define PL011_FR_CTS 0x001
#define PL011_FR_DSR 0x002
#define PL011_FR_DCD 0x004
#define PL011_FR_BUSY 0x008
#define PL011_FR_RXFE 0x010
#define PL011_FR_TXFF 0x020
#define PL011_FR_RXFF 0x040
#define PL011_FR_TXFE 0x080
#define PL011_FR_RI 0x100

/* Interrupt bits of IMSC, RIS, MIS and ICR. */
#define PL011_INT_RI 0x001
#define PL011_INT_CTS 0x002
#define PL011_INT_DCD 0x004
#define PL011_INT_DSR 0x008
#define PL011_INT_RX 0x010
#define PL011_INT_TX 0x020
#define PL011_INT_RT 0x040
#define PL011_INT_FE 0x080
#define PL011_INT_PE 0x100
#define PL011_INT_BE 0x200
#define PL011_INT_OE 0x400
#define PL011_INT_ALL 0x7ff

/* LCR_H and CR bits the model acts on. */
#define PL011_LCR_H_FEN 0x10
#define PL011_CR_UARTEN 0x0001
#define PL011_CR_LBE 0x0080
#define PL011_CR_TXE 0x0100
#define PL011_CR_RXE 0x0200
#define PL011_CR_DTR 0x0400
#define PL011_CR_RTS 0x0800
#define PL011_CR_OUT1 0x1000
#define PL011_CR_OUT2 0x2000

#define PL011_FIFO_SIZE 32

struct pl011 {
	pthread_mutex_t lock;

	/* Registers as the guest programs them. */
	uint8_t rsr; /* FE PE BE OE, sticky until ECR is written */
	uint8_t ilpr;
	uint16_t ibrd;
	uint8_t fbrd;
	uint8_t lcr_h;
	uint16_t cr;
	uint8_t ifls;
	uint16_t imsc;
	uint16_t ris;
	uint8_t dmacr;
	uint16_t modem; /* FR's CTS, DSR, DCD and RI inputs */

	/* Receiver: DR reads the head of this queue. */
	struct uart_fifo rx;
	bool overrun; /* loopback byte lost; DR.OE until there is room */

	bool irq_level; /* last level set on the line */

	struct irq_line *irq; /* NULL: not wired */
	struct uart_host host; /* the console side, its counters (uart.h) */
};

/*
 * A powered-on UART with no interrupt line and no host side; NULL with
 * err_msg() on failure.  pl011_device_ops.destroy frees it.
 */
struct pl011 *pl011_create(void);

/*
 * Set before the guest runs (the setters take the lock all the same).  A
 * NULL line leaves the interrupt unwired; a NULL host drops the output.
 * The host is copied.
 */
void pl011_set_irq(struct pl011 *dev, struct irq_line *line);
void pl011_set_host(struct pl011 *dev, const struct chardev_host *host);

/* Claim [base, base + 0x1000) on an MMIO bus, 1-, 2- and 4-byte accesses. */
int pl011_register(struct pl011 *dev, struct bus *mmio, uint64_t base);

/*
 * Hand bytes from the host to the receiver (a struct chardev_port's
 * receive, with the struct pl011 * as its dev).  Returns how many were
 * taken (0 when the FIFO is full or the UART is in loopback); the caller
 * keeps the rest and retries after the host's rx_ready().  Raises the
 * receive and receive-timeout interrupts as described above.
 */
size_t pl011_receive(void *dev, const uint8_t *buf, size_t len);

/*
 * The device operations (device.h), each under the device's lock:
 *
 *   reset    power-on/reset state (TRM table 3-1, QEMU pl011_reset): FR
 *            0x90 (TXFE, RXFE), CR 0x0300 (TXE, RXE; UARTEN clear), IFLS
 *            0x12 (both at 1/2), everything else 0, FIFO off and empty.
 *            Lowers the interrupt line; a host turned away hears about
 *            the room.
 *   save     the registers (RSR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC,
 *            RIS, DMACR), the receive FIFO and a pending overrun.  Not
 *            the modem inputs (they follow CR), the line, the host side
 *            or the counters.
 *   load     checks every register against its writable bits and the FIFO
 *            against its capacity (LCR_H.FEN), then sets the interrupt line
 *            to what the loaded registers say.
 *   destroy  frees the device.
 */
extern const struct device_ops pl011_device_ops;

/* The MMIO handlers, for callers that register the device themselves. */
extern const struct bus_ops pl011_bus_ops;

#endif
