// SPDX-License-Identifier: MIT
/*
 * PL011 UART.  Register and bit meanings follow the PrimeCell UART (PL011)
 * Technical Reference Manual (r1p5, section 3.3, "Register descriptions");
 * where the model has to choose, it does what QEMU's hw/char/pl011.c does,
 * because Linux's amba-pl011 driver is tested against it.  See the header
 * for the model (instant transmit, host-paced receive).
 */
#include "dev/pl011.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "log.h"
#include "state.h"

/* DR read: the error bits of the character (TRM 3.3.1). */
#define DR_OE 0x800

/* RSR bits (the same errors, sticky). */
#define RSR_OE 0x08

/* Writable bits of each register (TRM 3.3). */
#define IBRD_MASK 0xffff
#define FBRD_MASK 0x3f
#define CR_MASK 0xff87 /* bits 3-6 are reserved */
#define IFLS_MASK 0x3f
#define DMACR_MASK 0x07

#define IFLS_RX_SHIFT 3
#define IFLS_RX_MASK 0x7

#define RESET_CR (PL011_CR_TXE | PL011_CR_RXE)
#define RESET_IFLS 0x12 /* both FIFOs interrupt at half full */

#define MODEM_FR (PL011_FR_CTS | PL011_FR_DSR | PL011_FR_DCD | PL011_FR_RI)

/* PeriphID0-3 and PCellID0-3: part 0x011, designer ARM (0x41), rev 1. */
static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

static bool fifo_on(const struct pl011 *s)
{
	return s->lcr_h & PL011_LCR_H_FEN;
}

static bool loopback(const struct pl011 *s)
{
	return s->cr & PL011_CR_LBE;
}

static unsigned rx_capacity(const struct pl011 *s)
{
	return fifo_on(s) ? PL011_FIFO_SIZE : 1;
}

/*
 * The receive interrupt trigger level (IFLS bits 3-5, TRM 3.3.10): 1/8,
 * 1/4, 1/2, 3/4 or 7/8 full; the reserved codes act as 1/2 here.  Without
 * the FIFO the one-byte holding register is the level.
 */
static unsigned rx_trigger(const struct pl011 *s)
{
	static const uint8_t eighths[8] = { 1, 2, 4, 6, 7, 4, 4, 4 };

	if (!fifo_on(s))
		return 1;
	return PL011_FIFO_SIZE / 8 *
	       eighths[(s->ifls >> IFLS_RX_SHIFT) & IFLS_RX_MASK];
}

/* Set the interrupt line on a level change.  Lock held. */
static void update_irq(struct pl011 *s)
{
	bool level = (s->ris & s->imsc) != 0;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	irq_line_set(s->irq, level);
}

/* If the host was turned away and there is room now, say so.  Lock held. */
static void notify_rx_room(struct pl011 *s)
{
	uart_host_room(&s->host, !loopback(s) &&
					 uart_fifo_count(&s->rx) < rx_capacity(s));
}

static void rx_clear(struct pl011 *s)
{
	uart_fifo_clear(&s->rx);
	s->overrun = false;
	s->ris &= (uint16_t)~(PL011_INT_RX | PL011_INT_RT);
}

/*
 * One byte into the receive FIFO.  A full FIFO (only loopback traffic can
 * meet one) keeps its contents and loses the byte: an overrun (TRM 3.3.1,
 * OE).  Reaching the trigger level raises RXRIS.
 */
static void rx_push(struct pl011 *s, uint8_t b)
{
	if (!uart_fifo_push(&s->rx, b, rx_capacity(s))) {
		s->overrun = true;
		s->rsr |= RSR_OE;
		s->ris |= PL011_INT_OE;
		return;
	}
	if (uart_fifo_count(&s->rx) >= rx_trigger(s))
		s->ris |= PL011_INT_RX;
}

static uint32_t dr_read(struct pl011 *s)
{
	uint32_t v;

	if (!uart_fifo_count(&s->rx))
		return 0; /* an empty FIFO reads as 0 (QEMU: stale data) */
	v = uart_fifo_pop(&s->rx);
	if (s->overrun)
		v |= DR_OE;
	s->overrun = false; /* there is room for a character again */
	if (uart_fifo_count(&s->rx) < rx_trigger(s))
		s->ris &= (uint16_t)~PL011_INT_RX;
	if (!uart_fifo_count(&s->rx))
		s->ris &= (uint16_t)~PL011_INT_RT;
	notify_rx_room(s);
	return v;
}

static uint32_t fr_read(const struct pl011 *s)
{
	uint32_t v = PL011_FR_TXFE | s->modem; /* never BUSY, never TXFF */

	if (!uart_fifo_count(&s->rx))
		v |= PL011_FR_RXFE;
	if (uart_fifo_count(&s->rx) >= rx_capacity(s))
		v |= PL011_FR_RXFF;
	return v;
}

/*
 * The modem status inputs.  With nothing attached they read inactive (as
 * on QEMU); in loopback the outputs feed them (TRM 3.3.8, LBE): RTS ->
 * CTS, DTR -> DSR, Out1 -> DCD, Out2 -> RI.  Each change raises the
 * matching modem interrupt.
 */
static uint16_t modem_inputs(const struct pl011 *s)
{
	uint16_t in = 0;

	if (loopback(s)) {
		if (s->cr & PL011_CR_RTS)
			in |= PL011_FR_CTS;
		if (s->cr & PL011_CR_DTR)
			in |= PL011_FR_DSR;
		if (s->cr & PL011_CR_OUT1)
			in |= PL011_FR_DCD;
		if (s->cr & PL011_CR_OUT2)
			in |= PL011_FR_RI;
	}
	return in;
}

static void modem_update(struct pl011 *s)
{
	uint16_t in = modem_inputs(s), changed;

	changed = in ^ s->modem;
	s->modem = in;
	if (changed & PL011_FR_CTS)
		s->ris |= PL011_INT_CTS;
	if (changed & PL011_FR_DSR)
		s->ris |= PL011_INT_DSR;
	if (changed & PL011_FR_DCD)
		s->ris |= PL011_INT_DCD;
	if (changed & PL011_FR_RI)
		s->ris |= PL011_INT_RI;
}

static void transmit(struct pl011 *s, uint8_t b)
{
	if (loopback(s)) {
		rx_push(s, b); /* the line itself stays idle */
		s->ris |= PL011_INT_RT; /* and nothing follows at once */
	} else {
		uart_host_write(&s->host, b);
	}
	/* The byte left at once: the FIFO is at (below) its trigger level. */
	s->ris |= PL011_INT_TX;
}

/* A new trigger level may put the FIFO over or under it. */
static void rx_level_changed(struct pl011 *s)
{
	if (uart_fifo_count(&s->rx) >= rx_trigger(s))
		s->ris |= PL011_INT_RX;
	else
		s->ris &= (uint16_t)~PL011_INT_RX;
}

/* LCR_H: switching the FIFOs on or off flushes them (as QEMU). */
static void lcr_h_write(struct pl011 *s, uint8_t v)
{
	if ((v ^ s->lcr_h) & PL011_LCR_H_FEN)
		rx_clear(s);
	s->lcr_h = v;
	rx_level_changed(s);
	notify_rx_room(s);
}

static uint32_t reg_read(struct pl011 *s, unsigned reg)
{
	if (reg >= PL011_PERIPH_ID0)
		return pl011_id[(reg - PL011_PERIPH_ID0) / 4];
	switch (reg) {
	case PL011_DR:
		return dr_read(s);
	case PL011_RSR:
		return s->rsr;
	case PL011_FR:
		return fr_read(s);
	case PL011_ILPR:
		return s->ilpr;
	case PL011_IBRD:
		return s->ibrd;
	case PL011_FBRD:
		return s->fbrd;
	case PL011_LCR_H:
		return s->lcr_h;
	case PL011_CR:
		return s->cr;
	case PL011_IFLS:
		return s->ifls;
	case PL011_IMSC:
		return s->imsc;
	case PL011_RIS:
		return s->ris;
	case PL011_MIS:
		return s->ris & s->imsc;
	case PL011_DMACR:
		return s->dmacr;
	}
	return 0; /* reserved and test registers, and write-only ICR */
}

static void reg_write(struct pl011 *s, unsigned reg, uint32_t v)
{
	switch (reg) {
	case PL011_DR:
		transmit(s, (uint8_t)v);
		break;
	case PL011_ECR:
		s->rsr = 0; /* any value clears the errors */
		break;
	case PL011_ILPR:
		s->ilpr = (uint8_t)v;
		break;
	case PL011_IBRD:
		s->ibrd = (uint16_t)(v & IBRD_MASK);
		break;
	case PL011_FBRD:
		s->fbrd = (uint8_t)(v & FBRD_MASK);
		break;
	case PL011_LCR_H:
		lcr_h_write(s, (uint8_t)v);
		break;
	case PL011_CR:
		s->cr = (uint16_t)(v & CR_MASK);
		modem_update(s);
		notify_rx_room(s); /* leaving loopback reconnects the line */
		break;
	case PL011_IFLS:
		s->ifls = (uint8_t)(v & IFLS_MASK);
		rx_level_changed(s);
		break;
	case PL011_IMSC:
		s->imsc = (uint16_t)(v & PL011_INT_ALL);
		break;
	case PL011_ICR:
		s->ris &= (uint16_t)~(v & PL011_INT_ALL);
		break;
	case PL011_DMACR:
		s->dmacr = (uint8_t)(v & DMACR_MASK);
		break;
	default:
		/* FR, RIS, MIS, IDs and reserved offsets: read-only. */
		break;
	}
}

static void pl011_read(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len)
{
	struct pl011 *s = opaque;
	unsigned shift = (unsigned)(offset & 3) * 8;
	uint32_t v;

	pthread_mutex_lock(&s->lock);
	v = reg_read(s, (unsigned)offset & ~3u);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	bus_data_put(data, len, v >> shift); /* bytes past the register: 0 */
}

static void pl011_write(void *opaque, uint64_t offset, const uint8_t *data,
			uint32_t len)
{
	struct pl011 *s = opaque;

	if (offset & 3)
		return; /* into the middle of a register: ignored (header) */
	pthread_mutex_lock(&s->lock);
	reg_write(s, (unsigned)offset, (uint32_t)bus_data_get(data, len));
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

const struct bus_ops pl011_bus_ops = {
	.read = pl011_read,
	.write = pl011_write,
};

size_t pl011_receive(void *dev, const uint8_t *buf, size_t len)
{
	struct pl011 *s = dev;
	size_t n;

	pthread_mutex_lock(&s->lock);
	/* In loopback the receiver is disconnected from the line. */
	n = uart_host_receive(&s->host, &s->rx, rx_capacity(s), !loopback(s),
			      buf, len);
	if (uart_fifo_count(&s->rx) >= rx_trigger(s))
		s->ris |= PL011_INT_RX;
	/* The burst is over and the FIFO holds data: the line went idle. */
	if (n && uart_fifo_count(&s->rx))
		s->ris |= PL011_INT_RT;
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void reset_locked(struct pl011 *s)
{
	s->rsr = 0;
	s->ilpr = 0;
	s->ibrd = 0;
	s->fbrd = 0;
	s->lcr_h = 0;
	s->cr = RESET_CR;
	s->ifls = RESET_IFLS;
	s->imsc = 0;
	s->dmacr = 0;
	s->modem = 0;
	rx_clear(s);
	s->ris = 0;
	update_irq(s);
	notify_rx_room(s);
}

static void pl011_reset(void *dev)
{
	struct pl011 *s = dev;

	pthread_mutex_lock(&s->lock);
	reset_locked(s);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Version 1: u8 RSR, ILPR; u16 IBRD; u8 FBRD, LCR_H; u16 CR; u8 IFLS;
 * u16 IMSC, RIS; u8 DMACR; bool overrun; the receive FIFO
 * (uart_fifo_save).  The modem inputs follow CR and are not saved.
 */
static int pl011_save(void *dev, struct state_writer *w)
{
	struct pl011 *s = dev;

	pthread_mutex_lock(&s->lock);
	state_put_u8(w, s->rsr);
	state_put_u8(w, s->ilpr);
	state_put_u16(w, s->ibrd);
	state_put_u8(w, s->fbrd);
	state_put_u8(w, s->lcr_h);
	state_put_u16(w, s->cr);
	state_put_u8(w, s->ifls);
	state_put_u16(w, s->imsc);
	state_put_u16(w, s->ris);
	state_put_u8(w, s->dmacr);
	state_put_bool(w, s->overrun);
	uart_fifo_save(&s->rx, w);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int pl011_load(void *dev, struct state_reader *r, uint32_t version)
{
	struct pl011 *s = dev;
	struct pl011 in; /* the registers, checked before they count */

	(void)version;
	memset(&in, 0, sizeof(in));
	in.rsr = state_get_u8(r);
	in.ilpr = state_get_u8(r);
	in.ibrd = state_get_u16(r);
	in.fbrd = state_get_u8(r);
	in.lcr_h = state_get_u8(r);
	in.cr = state_get_u16(r);
	in.ifls = state_get_u8(r);
	in.imsc = state_get_u16(r);
	in.ris = state_get_u16(r);
	in.dmacr = state_get_u8(r);
	in.overrun = state_get_bool(r);
	if (in.rsr & ~0x0fu)
		return state_reader_fail(r, "RSR 0x%02x has reserved bits", in.rsr);
	if (in.fbrd & ~FBRD_MASK)
		return state_reader_fail(r, "FBRD 0x%02x above 6 bits", in.fbrd);
	if (in.cr & ~CR_MASK)
		return state_reader_fail(r, "CR 0x%04x has reserved bits", in.cr);
	if (in.ifls & ~IFLS_MASK)
		return state_reader_fail(r, "IFLS 0x%02x has reserved bits",
					 in.ifls);
	if ((in.imsc | in.ris) & ~PL011_INT_ALL)
		return state_reader_fail(r, "IMSC 0x%04x or RIS 0x%04x has reserved bits",
					 in.imsc, in.ris);
	if (in.dmacr & ~DMACR_MASK)
		return state_reader_fail(r, "DMACR 0x%02x has reserved bits",
					 in.dmacr);
	uart_fifo_load(&in.rx, r, rx_capacity(&in));
	if (state_reader_error(r, "pl011") < 0)
		return -1;

	pthread_mutex_lock(&s->lock);
	s->rsr = in.rsr;
	s->ilpr = in.ilpr;
	s->ibrd = in.ibrd;
	s->fbrd = in.fbrd;
	s->lcr_h = in.lcr_h;
	s->cr = in.cr;
	s->ifls = in.ifls;
	s->imsc = in.imsc;
	s->ris = in.ris;
	s->dmacr = in.dmacr;
	s->overrun = in.overrun;
	s->rx = in.rx;
	s->modem = modem_inputs(s); /* no change flag: RIS came saved */
	/* The line follows the loaded registers, whatever it showed before. */
	s->irq_level = (s->ris & s->imsc) != 0;
	irq_line_set(s->irq, s->irq_level);
	notify_rx_room(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void pl011_destroy(void *dev)
{
	struct pl011 *s = dev;

	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const struct device_ops pl011_device_ops = {
	.type = "pl011",
	.version = 1,
	.reset = pl011_reset,
	.save = pl011_save,
	.load = pl011_load,
	.destroy = pl011_destroy,
};

struct pl011 *pl011_create(void)
{
	struct pl011 *s = calloc(1, sizeof(*s));

	if (!s) {
		err_set("pl011: out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(s);
		err_set("pl011: cannot create its mutex");
		return NULL;
	}
	reset_locked(s); /* no line and no host yet: nothing is called */
	return s;
}

void pl011_set_irq(struct pl011 *s, struct irq_line *line)
{
	pthread_mutex_lock(&s->lock);
	s->irq = line;
	pthread_mutex_unlock(&s->lock);
}

void pl011_set_host(struct pl011 *s, const struct chardev_host *host)
{
	pthread_mutex_lock(&s->lock);
	uart_host_set(&s->host, host);
	pthread_mutex_unlock(&s->lock);
}

int pl011_register(struct pl011 *s, struct bus *mmio, uint64_t base)
{
	char name[32];

	snprintf(name, sizeof(name), "pl011@0x%llx",
		 (unsigned long long)base);
	return bus_register(mmio, name, base, PL011_MMIO_SIZE,
			    BUS_W1 | BUS_W2 | BUS_W4, &pl011_bus_ops, s);
}
