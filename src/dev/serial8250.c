// SPDX-License-Identifier: MIT
/*
 * 16550A UART.  Register and bit meanings follow the National Semiconductor
 * PC16550D datasheet (section 8, "Registers", tables II-IV); where the
 * datasheet leaves room, behaviour matches what QEMU's hw/char/serial.c
 * gives guests, because SeaBIOS and Linux are tested against it.  See the
 * header for the model (instant transmit, host-paced receive).
 */
#include "dev/serial8250.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "log.h"
#include "state.h"

/* IER: interrupt enables (only the low nibble exists on a 16550A). */
#define IER_ERBFI 0x01 /* received data available (and timeout) */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI 0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f

/* IIR: bit 0 clear = an interrupt is pending; bits 1-3 say which. */
#define IIR_NONE 0x01
#define IIR_MSI 0x00 /* modem status: read MSR to clear */
#define IIR_THRE 0x02 /* THR empty: read IIR or write THR to clear */
#define IIR_RDA 0x04 /* received data at or above the trigger level */
#define IIR_RLS 0x06 /* receiver line status: read LSR to clear */
#define IIR_TIMEOUT 0x0c /* data below the trigger level, line idle */
#define IIR_FIFO 0xc0 /* both FIFO bits: "FIFOs enabled" (16550A) */

/* FCR: bit 0 enables the FIFOs; other bits only count when it is set. */
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02 /* self-clearing */
#define FCR_CLEAR_TX 0x04 /* self-clearing */
#define FCR_DMA 0x08 /* RXRDY/TXRDY pin mode: stored, no DMA here */
#define FCR_TRIGGER 0xc0 /* receive trigger: 1, 4, 8 or 14 bytes */
#define FCR_KEPT (FCR_ENABLE | FCR_DMA | FCR_TRIGGER)

#define LCR_DLAB 0x80

/* MCR: outputs, and the loopback (diagnostic) switch. */
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

/* LSR. */
#define LSR_DR 0x01 /* data ready */
#define LSR_OE 0x02 /* overrun */
#define LSR_PE 0x04 /* parity error: never happens here */
#define LSR_FE 0x08 /* framing error: never happens here */
#define LSR_BI 0x10 /* break: never happens here */
#define LSR_THRE 0x20 /* THR (or transmit FIFO) empty */
#define LSR_TEMT 0x40 /* THR and shift register empty */
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

/* MSR: current inputs in the high nibble, change flags in the low one. */
#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04 /* RI went from on to off */
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/*
 * The modem inputs when no loopback is active: nothing is attached, so
 * present a modem that is there and ready (QEMU does the same), which is
 * what software waiting for CTS or DCD wants to see.
 */
#define MSR_IDLE_INPUTS (MSR_CTS | MSR_DSR | MSR_DCD)

#define DEFAULT_DIVISOR 12 /* 115200 / 12 = 9600 baud */

static const uint8_t rx_trigger_levels[4] = { 1, 4, 8, 14 };

static bool fifo_on(const struct serial8250 *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned rx_capacity(const struct serial8250 *s)
{
	return fifo_on(s) ? SERIAL8250_FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct serial8250 *s)
{
	return rx_trigger_levels[(s->fcr & FCR_TRIGGER) >> 6];
}

/*
 * The highest-priority pending interrupt, as IIR bits 0-3 report it
 * (datasheet table IV).  Each source counts only when IER enables it.
 */
static uint8_t pending_interrupt(const struct serial8250 *s)
{
	if ((s->ier & IER_ELSI) && (s->lsr_errors & LSR_ERRORS))
		return IIR_RLS;
	if ((s->ier & IER_ERBFI) && uart_fifo_count(&s->rx)) {
		/* Without FIFO the trigger level is effectively one byte. */
		if (fifo_on(s) && uart_fifo_count(&s->rx) < rx_trigger(s))
			return IIR_TIMEOUT;
		return IIR_RDA;
	}
	if ((s->ier & IER_ETBEI) && s->thr_ipending)
		return IIR_THRE;
	if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

/* Set the interrupt line on a level change.  Lock held. */
static void update_irq(struct serial8250 *s)
{
	bool level = pending_interrupt(s) != IIR_NONE;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	irq_line_set(s->irq, level);
}

/* If the host was turned away and there is room now, say so.  Lock held. */
static void notify_rx_room(struct serial8250 *s)
{
	uart_host_room(&s->host, !(s->mcr & MCR_LOOP) &&
					 uart_fifo_count(&s->rx) < rx_capacity(s));
}

/*
 * A byte that reached the receiver through loopback.  If there is no room
 * it is an overrun: without FIFO the new byte replaces the one in RBR
 * (8250/16450 behaviour), with FIFO the byte in the shift register is lost
 * and the FIFO keeps its contents (PC16550D, LSR bit 1).
 */
static void rx_loopback(struct serial8250 *s, uint8_t b)
{
	if (uart_fifo_push(&s->rx, b, rx_capacity(s)))
		return;
	s->lsr_errors |= LSR_OE;
	if (!fifo_on(s))
		uart_fifo_replace_newest(&s->rx, b);
}

static uint8_t rx_pop(struct serial8250 *s)
{
	if (!uart_fifo_count(&s->rx))
		return s->rx_last; /* RBR keeps showing the last byte */
	s->rx_last = uart_fifo_pop(&s->rx);
	return s->rx_last;
}

/*
 * The modem-status inputs.  In loopback the four outputs feed the four
 * inputs inside the chip (datasheet, MCR bit 4): RTS -> CTS, DTR -> DSR,
 * OUT1 -> RI, OUT2 -> DCD.
 */
static uint8_t modem_inputs(const struct serial8250 *s)
{
	uint8_t in = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_IDLE_INPUTS;
	if (s->mcr & MCR_RTS)
		in |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		in |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		in |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		in |= MSR_DCD;
	return in;
}

/*
 * Latch new input levels, setting the change flags the way the datasheet
 * describes MSR bits 0-3: any change of CTS, DSR or DCD, and RI only on
 * its trailing edge (on -> off).  In loopback these follow MCR writes.
 */
static void modem_update(struct serial8250 *s)
{
	uint8_t old = s->msr & ~MSR_DELTAS, now = modem_inputs(s);
	uint8_t changed = old ^ now, deltas = s->msr & MSR_DELTAS;

	if (changed & MSR_CTS)
		deltas |= MSR_DCTS;
	if (changed & MSR_DSR)
		deltas |= MSR_DDSR;
	if (changed & MSR_DCD)
		deltas |= MSR_DDCD;
	if ((old & MSR_RI) && !(now & MSR_RI))
		deltas |= MSR_TERI;
	s->msr = now | deltas;
}

static void transmit(struct serial8250 *s, uint8_t b)
{
	/* Writing THR clears a pending THR-empty interrupt ... */
	s->thr_ipending = false;
	if (s->mcr & MCR_LOOP)
		rx_loopback(s, b); /* the line itself stays idle (marking) */
	else
		uart_host_write(&s->host, b);
	/*
	 * ... and the byte leaves at once, so THR is empty again and the
	 * interrupt is due again, as it would be once the shift register
	 * took the byte.
	 */
	s->thr_ipending = true;
}

static void ier_write(struct serial8250 *s, uint8_t v)
{
	uint8_t changed = (s->ier ^ v) & IER_MASK;

	s->ier = v & IER_MASK;
	/*
	 * Enabling ETBEI while THR is empty makes the THR-empty interrupt
	 * pending at once, even if the guest had acknowledged it before by
	 * reading IIR.  The datasheet is silent; SeaBIOS's port probe (IER =
	 * 0x02, then IIR must read 0x02), Linux's UART_BUG_THRE/TXEN tests and
	 * Windows all rely on it, and QEMU and Bochs re-arm on the 0 -> 1
	 * edge only, as here.
	 */
	if (changed & IER_ETBEI)
		s->thr_ipending = s->ier & IER_ETBEI; /* THR is always empty */
}

/*
 * FCR (write-only, shares offset 2 with IIR; unaffected by DLAB).
 * Clearing bit 0 empties both FIFOs (datasheet, FCR bit 0); setting it
 * does too here, as in QEMU, so a mode change never mixes bytes received
 * under the old one.  The clear bits clear their FIFO and reset themselves.  With bit 0 clear the rest of the
 * byte is not programmed.
 */
static void fcr_write(struct serial8250 *s, uint8_t v)
{
	if ((v ^ s->fcr) & FCR_ENABLE)
		v |= FCR_CLEAR_RX | FCR_CLEAR_TX;
	if (v & FCR_CLEAR_RX)
		uart_fifo_clear(&s->rx);
	if (v & FCR_CLEAR_TX)
		s->thr_ipending = true; /* the (always empty) FIFO "emptied" */
	s->fcr = (v & FCR_ENABLE) ? (v & FCR_KEPT) : 0;
}

static uint8_t iir_read(struct serial8250 *s)
{
	uint8_t id = pending_interrupt(s);

	/* Reading IIR acknowledges THRE, but only when it is the one shown. */
	if (id == IIR_THRE)
		s->thr_ipending = false;
	return (uint8_t)(id | (fifo_on(s) ? IIR_FIFO : 0));
}

static uint8_t lsr_read(struct serial8250 *s)
{
	uint8_t v = LSR_THRE | LSR_TEMT | s->lsr_errors;

	if (uart_fifo_count(&s->rx))
		v |= LSR_DR;
	/* The error bits report once: reading LSR clears them. */
	s->lsr_errors = 0;
	return v;
}

static uint8_t msr_read(struct serial8250 *s)
{
	uint8_t v = s->msr;

	s->msr &= (uint8_t)~MSR_DELTAS;
	return v;
}

static uint8_t reg_read(struct serial8250 *s, unsigned reg)
{
	bool dlab = s->lcr & LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case SERIAL8250_RBR:
		if (dlab)
			return (uint8_t)s->divisor;
		v = rx_pop(s);
		notify_rx_room(s);
		return v;
	case SERIAL8250_IER:
		return dlab ? (uint8_t)(s->divisor >> 8) : s->ier;
	case SERIAL8250_IIR:
		return iir_read(s);
	case SERIAL8250_LCR:
		return s->lcr;
	case SERIAL8250_MCR:
		return s->mcr;
	case SERIAL8250_LSR:
		return lsr_read(s);
	case SERIAL8250_MSR:
		return msr_read(s);
	case SERIAL8250_SCR:
		return s->scr;
	}
	return 0xff;
}

static void reg_write(struct serial8250 *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case SERIAL8250_THR:
		if (dlab)
			s->divisor = (uint16_t)((s->divisor & 0xff00) | v);
		else
			transmit(s, v);
		break;
	case SERIAL8250_IER:
		if (dlab)
			s->divisor = (uint16_t)((s->divisor & 0x00ff) | v << 8);
		else
			ier_write(s, v);
		break;
	case SERIAL8250_FCR:
		fcr_write(s, v);
		notify_rx_room(s);
		break;
	case SERIAL8250_LCR:
		/* Word length, stop bits, parity, break: stored only. */
		s->lcr = v;
		break;
	case SERIAL8250_MCR:
		s->mcr = v & MCR_MASK;
		modem_update(s);
		notify_rx_room(s); /* leaving loopback reconnects the line */
		break;
	case SERIAL8250_LSR:
	case SERIAL8250_MSR:
		/* Factory-test writes on the real part; ignored (as QEMU). */
		break;
	case SERIAL8250_SCR:
		s->scr = v;
		break;
	}
}

static void serial8250_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len)
{
	struct serial8250 *s = opaque;

	pthread_mutex_lock(&s->lock);
	data[0] = reg_read(s, (unsigned)offset);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	/* The bus only lets one-byte accesses through; fill the rest anyway. */
	for (uint32_t i = 1; i < len; i++)
		data[i] = 0xff;
}

static void serial8250_write(void *opaque, uint64_t offset,
			     const uint8_t *data, uint32_t len)
{
	struct serial8250 *s = opaque;

	(void)len;
	pthread_mutex_lock(&s->lock);
	reg_write(s, (unsigned)offset, data[0]);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

const struct bus_ops serial8250_bus_ops = {
	.read = serial8250_read,
	.write = serial8250_write,
};

size_t serial8250_receive(void *dev, const uint8_t *buf, size_t len)
{
	struct serial8250 *s = dev;
	size_t n;

	pthread_mutex_lock(&s->lock);
	/* In loopback the receiver is disconnected from the line. */
	n = uart_host_receive(&s->host, &s->rx, rx_capacity(s),
			      !(s->mcr & MCR_LOOP), buf, len);
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void reset_locked(struct serial8250 *s)
{
	s->ier = 0;
	s->lcr = 0;
	s->mcr = MCR_OUT2; /* QEMU's reset value; the datasheet says 0 */
	s->fcr = 0;
	s->scr = 0;
	s->divisor = DEFAULT_DIVISOR;
	s->lsr_errors = 0;
	s->msr = MSR_IDLE_INPUTS;
	uart_fifo_clear(&s->rx);
	s->rx_last = 0;
	s->thr_ipending = false;
	update_irq(s);
	notify_rx_room(s);
}

static void serial8250_reset(void *dev)
{
	struct serial8250 *s = dev;

	pthread_mutex_lock(&s->lock);
	reset_locked(s);
	pthread_mutex_unlock(&s->lock);
}

/*
 * Version 1: u8 IER, LCR, MCR, FCR, SCR; u16 divisor; u8 LSR error bits,
 * MSR, the byte RBR shows when empty; bool THR-empty armed; the receive
 * FIFO (uart_fifo_save).
 */
static int serial8250_save(void *dev, struct state_writer *w)
{
	struct serial8250 *s = dev;

	pthread_mutex_lock(&s->lock);
	state_put_u8(w, s->ier);
	state_put_u8(w, s->lcr);
	state_put_u8(w, s->mcr);
	state_put_u8(w, s->fcr);
	state_put_u8(w, s->scr);
	state_put_u16(w, s->divisor);
	state_put_u8(w, s->lsr_errors);
	state_put_u8(w, s->msr);
	state_put_u8(w, s->rx_last);
	state_put_bool(w, s->thr_ipending);
	uart_fifo_save(&s->rx, w);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static int serial8250_load(void *dev, struct state_reader *r,
			   uint32_t version)
{
	struct serial8250 *s = dev;
	struct serial8250 in; /* the registers, checked before they count */

	(void)version;
	memset(&in, 0, sizeof(in));
	in.ier = state_get_u8(r);
	in.lcr = state_get_u8(r);
	in.mcr = state_get_u8(r);
	in.fcr = state_get_u8(r);
	in.scr = state_get_u8(r);
	in.divisor = state_get_u16(r);
	in.lsr_errors = state_get_u8(r);
	in.msr = state_get_u8(r);
	in.rx_last = state_get_u8(r);
	in.thr_ipending = state_get_bool(r);
	if (in.ier & ~IER_MASK)
		return state_reader_fail(r, "IER 0x%02x has bits a 16550A lacks",
					 in.ier);
	if (in.mcr & ~MCR_MASK)
		return state_reader_fail(r, "MCR 0x%02x has bits a 16550A lacks",
					 in.mcr);
	if ((in.fcr & ~FCR_KEPT) || (in.fcr && !(in.fcr & FCR_ENABLE)))
		return state_reader_fail(r, "FCR 0x%02x cannot be programmed",
					 in.fcr);
	if (in.lsr_errors & ~LSR_ERRORS)
		return state_reader_fail(r, "LSR error bits 0x%02x", in.lsr_errors);
	/* The inputs follow MCR (modem_inputs); only the deltas are state. */
	if ((in.msr & ~MSR_DELTAS) != modem_inputs(&in))
		return state_reader_fail(r, "MSR 0x%02x does not match MCR 0x%02x",
					 in.msr, in.mcr);
	uart_fifo_load(&in.rx, r, rx_capacity(&in));
	if (state_reader_error(r, "serial8250") < 0)
		return -1;

	pthread_mutex_lock(&s->lock);
	s->ier = in.ier;
	s->lcr = in.lcr;
	s->mcr = in.mcr;
	s->fcr = in.fcr;
	s->scr = in.scr;
	s->divisor = in.divisor;
	s->lsr_errors = in.lsr_errors;
	s->msr = in.msr;
	s->rx_last = in.rx_last;
	s->thr_ipending = in.thr_ipending;
	s->rx = in.rx;
	/* The line follows the loaded registers, whatever it showed before. */
	s->irq_level = pending_interrupt(s) != IIR_NONE;
	irq_line_set(s->irq, s->irq_level);
	notify_rx_room(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void serial8250_destroy(void *dev)
{
	struct serial8250 *s = dev;

	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const struct device_ops serial8250_device_ops = {
	.type = "serial8250",
	.version = 1,
	.reset = serial8250_reset,
	.save = serial8250_save,
	.load = serial8250_load,
	.destroy = serial8250_destroy,
};

struct serial8250 *serial8250_create(void)
{
	struct serial8250 *s = calloc(1, sizeof(*s));

	if (!s) {
		err_set("serial8250: out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&s->lock, NULL)) {
		free(s);
		err_set("serial8250: cannot create its mutex");
		return NULL;
	}
	reset_locked(s); /* no line and no host yet: nothing is called */
	return s;
}

void serial8250_set_irq(struct serial8250 *s, struct irq_line *line)
{
	pthread_mutex_lock(&s->lock);
	s->irq = line;
	pthread_mutex_unlock(&s->lock);
}

void serial8250_set_host(struct serial8250 *s, const struct chardev_host *host)
{
	pthread_mutex_lock(&s->lock);
	uart_host_set(&s->host, host);
	pthread_mutex_unlock(&s->lock);
}

int serial8250_register(struct serial8250 *s, struct bus *io, uint64_t base)
{
	char name[32];

	snprintf(name, sizeof(name), "serial8250@0x%llx",
		 (unsigned long long)base);
	return bus_register(io, name, base, SERIAL8250_NR_REGS, BUS_W1,
			    &serial8250_bus_ops, s);
}
