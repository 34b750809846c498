// SPDX-License-Identifier: MIT
/*
 * 16550A UART tests, driven through a real port bus at 0x3f8 the way a
 * guest drives it.  Expected values come from the PC16550D datasheet
 * (register bits, interrupt priorities, loopback wiring), QEMU's serial
 * reset values, and the probe sequences SeaBIOS and Linux's 8250 driver
 * run (replayed here step by step with the answers they need).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "dev/serial8250.h"
#include "log.h"
#include "state.h"
#include "unit.h"

#define BASE 0x3f8
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

#define MAX_EVENTS 64

struct ctx {
	struct bus io;
	struct serial8250 *uart;
	struct irq_line line; /* IRQ 4, recorded by test_irq */

	pthread_mutex_t lock; /* the threaded test shares these */
	uint8_t out[4096];
	size_t out_len;
	bool levels[MAX_EVENTS]; /* every level set on the line */
	size_t nr_levels;
	bool level;
	unsigned rx_ready_calls;
	pthread_cond_t rx_ready_cond;
};

static void test_irq(struct irq_line *line, bool level)
{
	struct ctx *c = line->ctx;

	pthread_mutex_lock(&c->lock);
	if (c->nr_levels < MAX_EVENTS)
		c->levels[c->nr_levels++] = level;
	c->level = level;
	pthread_mutex_unlock(&c->lock);
}

static void test_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct ctx *c = opaque;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < len && c->out_len < sizeof(c->out); i++)
		c->out[c->out_len++] = buf[i];
	pthread_mutex_unlock(&c->lock);
}

static void test_rx_ready(void *opaque)
{
	struct ctx *c = opaque;

	pthread_mutex_lock(&c->lock);
	c->rx_ready_calls++;
	pthread_cond_broadcast(&c->rx_ready_cond);
	pthread_mutex_unlock(&c->lock);
}

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->rx_ready_cond, NULL);
	bus_init(&c->io, "io", 0x10000);
	c->uart = serial8250_create();
	assert_non_null(c->uart);
	assert_int_equal(serial8250_register(c->uart, &c->io, BASE), 0);
	irq_line_init(&c->line, 4, test_irq, c);
	serial8250_set_irq(c->uart, &c->line);
	serial8250_set_host(c->uart, &(struct chardev_host){
					     .write = test_tx,
					     .rx_ready = test_rx_ready,
					     .ctx = c,
				     });
	return c;
}

static void ctx_free(struct ctx *c)
{
	serial8250_device_ops.destroy(c->uart);
	bus_destroy(&c->io);
	pthread_cond_destroy(&c->rx_ready_cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

UNIT_CTX_FIXTURE()

static void outb(struct ctx *c, unsigned reg, uint8_t v)
{
	assert_int_equal(bus_write(&c->io, BASE + reg, &v, 1), BUS_OK);
}

static uint8_t inb(struct ctx *c, unsigned reg)
{
	uint8_t v = 0;

	assert_int_equal(bus_read(&c->io, BASE + reg, &v, 1), BUS_OK);
	return v;
}

static size_t rx(struct ctx *c, const char *s)
{
	return serial8250_receive(c->uart, (const uint8_t *)s, strlen(s));
}

static void test_reset_values(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(inb(c, LSR), 0x60); /* THRE | TEMT */
	assert_int_equal(inb(c, IIR), 0x01); /* nothing pending, no FIFO */
	assert_int_equal(inb(c, IER), 0x00);
	assert_int_equal(inb(c, LCR), 0x00);
	assert_int_equal(inb(c, MCR), 0x08); /* OUT2, as QEMU */
	assert_int_equal(inb(c, MSR), 0xb0); /* DCD, DSR, CTS */
	assert_int_equal(inb(c, SCR), 0x00);
	outb(c, LCR, 0x80);
	assert_int_equal(inb(c, DLL), 12); /* 9600 baud */
	assert_int_equal(inb(c, DLM), 0);
	assert_int_equal(c->nr_levels, 0);
	assert_false(c->level);
}

static void test_transmit(void **state)
{
	struct ctx *c = *state;

	outb(c, THR, 'o');
	outb(c, THR, 'k');
	outb(c, THR, '\n');
	assert_int_equal(c->out_len, 3);
	assert_memory_equal(c->out, "ok\n", 3);
	/* Sent at once: the transmitter is empty again. */
	assert_int_equal(inb(c, LSR), 0x60);
	assert_int_equal(c->uart->host.tx_bytes, 3);
	/* No interrupt without IER. */
	assert_int_equal(c->nr_levels, 0);
}

static void test_divisor_latch(void **state)
{
	struct ctx *c = *state;

	outb(c, IER, 0x05);
	outb(c, LCR, 0x83); /* DLAB, 8N1 */
	outb(c, DLL, 0x01); /* 115200 baud */
	outb(c, DLM, 0x02);
	assert_int_equal(inb(c, DLL), 0x01);
	assert_int_equal(inb(c, DLM), 0x02);
	assert_int_equal(c->uart->divisor, 0x0201);
	assert_int_equal(inb(c, LCR), 0x83);
	assert_int_equal(c->out_len, 0); /* DLL writes are not output */
	outb(c, LCR, 0x03);
	/* Offsets 0 and 1 are THR and IER again; IER was not touched. */
	assert_int_equal(inb(c, IER), 0x05);
	outb(c, THR, 'z');
	assert_int_equal(c->out_len, 1);
	outb(c, LCR, 0x80);
	assert_int_equal(inb(c, DLL), 0x01);
}

static void test_scratch_and_masks(void **state)
{
	struct ctx *c = *state;

	outb(c, SCR, 0x55);
	assert_int_equal(inb(c, SCR), 0x55);
	outb(c, SCR, 0xaa);
	assert_int_equal(inb(c, SCR), 0xaa);
	/* A 16550A has four interrupt enables and five MCR bits. */
	outb(c, IER, 0xff);
	assert_int_equal(inb(c, IER), 0x0f);
	outb(c, IER, 0);
	outb(c, MCR, 0xef);
	assert_int_equal(inb(c, MCR), 0x0f);
	/* LSR and MSR ignore writes. */
	outb(c, LSR, 0x00);
	outb(c, MSR, 0x00);
	assert_int_equal(inb(c, LSR), 0x60);
	assert_int_equal(inb(c, MSR), 0xb0);
}

static void test_bad_width(void **state)
{
	struct ctx *c = *state;
	uint8_t d[2] = { 0x41, 0 };

	unit_stderr_begin();
	assert_int_equal(bus_write(&c->io, BASE, d, 2), BUS_BAD_WIDTH);
	assert_int_equal(bus_read(&c->io, BASE + 5, d, 2), BUS_BAD_WIDTH);
	unit_stderr_discard();
	assert_int_equal(c->out_len, 0);
}

static void test_loopback_data(void **state)
{
	struct ctx *c = *state;

	outb(c, MCR, 0x10);
	outb(c, THR, 'L');
	assert_int_equal(c->out_len, 0); /* the line stays idle */
	assert_int_equal(inb(c, LSR), 0x61);
	assert_int_equal(inb(c, RBR), 'L');
	assert_int_equal(inb(c, LSR), 0x60);
	/* Host input is not connected while in loopback. */
	assert_int_equal(rx(c, "h"), 0);
	outb(c, MCR, 0x00);
	assert_int_equal(c->rx_ready_calls, 1); /* reconnected: retry */
	assert_int_equal(rx(c, "h"), 1);
	assert_int_equal(inb(c, RBR), 'h');
}

static void test_loopback_modem_lines(void **state)
{
	struct ctx *c = *state;
	static const struct {
		uint8_t mcr, msr_inputs;
	} wiring[] = {
		{ 0x10, 0x00 },
		{ 0x11, 0x20 }, /* DTR -> DSR */
		{ 0x12, 0x10 }, /* RTS -> CTS */
		{ 0x14, 0x40 }, /* OUT1 -> RI */
		{ 0x18, 0x80 }, /* OUT2 -> DCD */
		{ 0x1f, 0xf0 },
	};

	for (size_t i = 0; i < sizeof(wiring) / sizeof(wiring[0]); i++) {
		outb(c, MCR, wiring[i].mcr);
		assert_int_equal(inb(c, MSR) & 0xf0, wiring[i].msr_inputs);
	}

	/* The change flags follow the inputs, and reading MSR clears them. */
	outb(c, MCR, 0x10);
	(void)inb(c, MSR);
	outb(c, MCR, 0x13); /* CTS and DSR come on */
	assert_int_equal(inb(c, MSR), 0x30 | 0x01 | 0x02);
	assert_int_equal(inb(c, MSR), 0x30);
	outb(c, MCR, 0x14); /* RI on, CTS/DSR off: no TERI on a rising RI */
	assert_int_equal(inb(c, MSR), 0x40 | 0x03);
	outb(c, MCR, 0x10); /* RI off: trailing edge */
	assert_int_equal(inb(c, MSR), 0x04);
	outb(c, MCR, 0x18);
	assert_int_equal(inb(c, MSR), 0x80 | 0x08);

	/* Leaving loopback shows the idle modem again. */
	outb(c, MCR, 0x08);
	assert_int_equal(inb(c, MSR) & 0xf0, 0xb0);
}

static void test_loopback_overrun(void **state)
{
	struct ctx *c = *state;

	/* Without FIFO the second byte overwrites the first. */
	outb(c, MCR, 0x10);
	outb(c, THR, '1');
	outb(c, THR, '2');
	assert_int_equal(inb(c, LSR), 0x63); /* DR, OE, THRE, TEMT */
	assert_int_equal(inb(c, LSR), 0x61); /* OE reported once */
	assert_int_equal(inb(c, RBR), '2');
	assert_int_equal(inb(c, LSR), 0x60);

	/* With FIFO the FIFO keeps its 16 bytes and the 17th is lost. */
	outb(c, FCR, 0x01);
	for (int i = 0; i < 17; i++)
		outb(c, THR, (uint8_t)('a' + i));
	assert_int_equal(inb(c, LSR), 0x63);
	for (int i = 0; i < 16; i++)
		assert_int_equal(inb(c, RBR), 'a' + i);
	assert_int_equal(inb(c, LSR), 0x60);
}

static void test_fifo_control(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(inb(c, IIR), 0x01);
	outb(c, FCR, 0x01);
	assert_int_equal(inb(c, IIR), 0xc1);
	outb(c, FCR, 0x00);
	assert_int_equal(inb(c, IIR), 0x01);
	/* Trigger bits are not programmed while bit 0 is clear. */
	outb(c, FCR, 0xc0);
	assert_int_equal(inb(c, IIR), 0x01);
	assert_int_equal(c->uart->fcr, 0);
	outb(c, FCR, 0xc7);
	assert_int_equal(inb(c, IIR), 0xc1);
	assert_int_equal(c->uart->fcr, 0xc1); /* the clear bits self-clear */
	/* FCR is reachable with DLAB set too. */
	outb(c, LCR, 0x80);
	outb(c, FCR, 0x00);
	outb(c, LCR, 0x00);
	assert_int_equal(inb(c, IIR), 0x01);
}

static void test_rx_no_fifo(void **state)
{
	struct ctx *c = *state;

	outb(c, IER, 0x01);
	assert_int_equal(rx(c, "ab"), 1); /* one holding register */
	assert_int_equal(inb(c, LSR), 0x61);
	assert_int_equal(inb(c, IIR), 0x04);
	assert_true(c->level);
	assert_int_equal(c->rx_ready_calls, 0);
	assert_int_equal(inb(c, RBR), 'a');
	assert_false(c->level);
	assert_int_equal(inb(c, IIR), 0x01);
	assert_int_equal(c->rx_ready_calls, 1); /* room for the refused 'b' */
	assert_int_equal(rx(c, "b"), 1);
	assert_true(c->level);
	assert_int_equal(inb(c, RBR), 'b');
	assert_int_equal(c->rx_ready_calls, 1); /* nothing was refused */
	/* An empty RBR keeps showing the last byte. */
	assert_int_equal(inb(c, RBR), 'b');
	assert_int_equal(inb(c, LSR), 0x60);
	/* Host bytes never overrun. */
	assert_int_equal(c->uart->host.rx_bytes, 2);
}

static void test_rx_fifo_and_triggers(void **state)
{
	struct ctx *c = *state;
	char buf[21];

	outb(c, FCR, 0x07); /* enable, clear both, trigger 1 */
	outb(c, IER, 0x01);
	assert_int_equal(rx(c, "xyz"), 3);
	assert_int_equal(inb(c, IIR), 0xc4);
	assert_true(c->level);

	/* Same enable bit: changing the trigger keeps the FIFO. */
	outb(c, FCR, 0x41); /* trigger 4: three bytes are a timeout now */
	assert_int_equal(inb(c, IIR), 0xcc);
	assert_int_equal(rx(c, "w"), 1);
	assert_int_equal(inb(c, IIR), 0xc4);
	outb(c, FCR, 0x81); /* trigger 8 */
	assert_int_equal(inb(c, IIR), 0xcc);
	outb(c, FCR, 0xc1); /* trigger 14 */
	assert_int_equal(inb(c, IIR), 0xcc);

	/* Fill up: only 16 fit, the rest is refused, not lost. */
	memset(buf, 'q', 20);
	buf[20] = 0;
	assert_int_equal(rx(c, buf), 12);
	assert_int_equal(inb(c, IIR), 0xc4);
	assert_int_equal(rx(c, "r"), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(inb(c, RBR), "xyzw"[i]);
	assert_int_equal(c->rx_ready_calls, 1);
	for (int i = 0; i < 12; i++)
		assert_int_equal(inb(c, RBR), 'q');
	assert_int_equal(inb(c, LSR), 0x60);
	assert_int_equal(inb(c, IIR), 0xc1);
	assert_false(c->level);
	assert_int_equal(c->uart->lsr_errors, 0);
}

static void test_rx_fifo_clear(void **state)
{
	struct ctx *c = *state;

	outb(c, FCR, 0x01);
	for (int i = 0; i < 16; i++)
		assert_int_equal(rx(c, "m"), 1);
	assert_int_equal(rx(c, "n"), 0);
	outb(c, FCR, 0x03); /* clear the receive FIFO */
	assert_int_equal(c->rx_ready_calls, 1);
	assert_int_equal(inb(c, LSR), 0x60);
	assert_int_equal(rx(c, "n"), 1);
	/* Turning the FIFO off empties it too. */
	outb(c, FCR, 0x00);
	assert_int_equal(inb(c, LSR), 0x60);
}

static void test_thre_interrupt(void **state)
{
	struct ctx *c = *state;

	outb(c, IER, 0x02);
	assert_true(c->level);
	assert_int_equal(inb(c, IIR), 0x02);
	/* Reading IIR acknowledged it. */
	assert_false(c->level);
	assert_int_equal(inb(c, IIR), 0x01);
	/* Writing THR: the byte leaves, THR is empty, the interrupt is due. */
	outb(c, THR, 'T');
	assert_true(c->level);
	assert_int_equal(inb(c, IIR), 0x02);
	assert_false(c->level);
	/* Re-enabling ETBEI re-arms it even though it was acknowledged. */
	outb(c, IER, 0x00);
	outb(c, IER, 0x02);
	assert_true(c->level);
	/* Writing IER with ETBEI already set does not re-arm. */
	assert_int_equal(inb(c, IIR), 0x02);
	outb(c, IER, 0x02);
	assert_false(c->level);
	/* Masking drops the line; the levels seen were edges only. */
	outb(c, THR, 'U');
	outb(c, IER, 0x00);
	assert_false(c->level);
	assert_int_equal(c->nr_levels, 8);
	for (size_t i = 0; i < c->nr_levels; i++)
		assert_int_equal(c->levels[i], i % 2 == 0);
}

static void test_priorities(void **state)
{
	struct ctx *c = *state;

	outb(c, MCR, 0x10); /* loopback, FIFO off */
	outb(c, IER, 0x0f);
	/* Two bytes: overrun + data; THRE armed; RTS/DTR untouched. */
	outb(c, THR, 'a');
	outb(c, THR, 'b');
	outb(c, MCR, 0x12); /* CTS changes: a modem status interrupt */
	assert_int_equal(inb(c, IIR), 0x06); /* line status first */
	assert_int_equal(inb(c, LSR), 0x63);
	assert_int_equal(inb(c, IIR), 0x04); /* then received data */
	assert_int_equal(inb(c, RBR), 'b');
	assert_int_equal(inb(c, IIR), 0x02); /* then THR empty (acks it) */
	assert_int_equal(inb(c, IIR), 0x00); /* then modem status */
	assert_true(c->level);
	/* Entering loopback dropped DSR and DCD; then CTS came on. */
	assert_int_equal(inb(c, MSR), 0x10 | 0x0b);
	assert_int_equal(inb(c, IIR), 0x01);
	assert_false(c->level);
	/* A source that is not enabled does not interrupt. */
	outb(c, IER, 0x00);
	outb(c, MCR, 0x10);
	outb(c, THR, 'c');
	assert_int_equal(inb(c, IIR), 0x01);
	assert_false(c->level);
}

/*
 * SeaBIOS (src/serial.c, detect_serial): IER = 0x02 must read back 0x02
 * and IIR & 0x3f must then be 0x02, or the port is not listed.
 */
static void test_seabios_probe(void **state)
{
	struct ctx *c = *state;

	outb(c, IER, 0x02);
	assert_int_equal(inb(c, IER), 0x02);
	assert_int_equal(inb(c, IIR) & 0x3f, 0x02);
	outb(c, IER, 0x00);
	assert_false(c->level);
}

/*
 * Linux drivers/tty/serial/8250/8250_port.c: autoconfig() and the checks in
 * serial8250_do_startup(), in order, with the answers that make it print
 * "ttyS0 at I/O 0x3f8 (irq = 4, base_baud = 115200) is a 16550A" and use
 * the THRE interrupt without workarounds.
 */
static void test_linux_autoconfig(void **state)
{
	struct ctx *c = *state;
	uint8_t save_ier, save_mcr, save_lcr, v, v2, iir1, iir;

	/* Existence: IER keeps what is written (low nibble). */
	save_ier = inb(c, IER);
	outb(c, IER, 0);
	assert_int_equal(inb(c, IER) & 0x0f, 0);
	outb(c, IER, 0x0f);
	assert_int_equal(inb(c, IER) & 0x0f, 0x0f);
	outb(c, IER, save_ier);

	save_mcr = inb(c, MCR);
	save_lcr = inb(c, LCR);
	/* Loopback: RTS and OUT2 must come back as CTS and DCD. */
	outb(c, MCR, 0x10 | 0x08 | 0x02);
	assert_int_equal(inb(c, MSR) & 0xf0, 0x90);
	outb(c, MCR, save_mcr);

	/* EFR probe (LCR 0xbf), then FCR enable: IIR bits 7:6 = 3. */
	outb(c, LCR, 0xbf);
	outb(c, FCR, 0); /* EFR on a 16650; FCR on us */
	outb(c, LCR, 0);
	outb(c, FCR, 0x01);
	assert_int_equal(inb(c, IIR) >> 6, 3); /* -> autoconfig_16550a() */

	/* No EFR behind DLAB or 0xbf: offset 2 must not read 0 there. */
	outb(c, LCR, 0x80);
	assert_int_not_equal(inb(c, IIR), 0);
	outb(c, LCR, 0xbf);
	assert_int_not_equal(inb(c, IIR), 0);

	/* Not a National SuperIO: offset 2 does not mirror MCR.LOOP. */
	outb(c, LCR, 0);
	v = inb(c, MCR);
	outb(c, LCR, 0xe0);
	v2 = inb(c, IIR);
	assert_int_equal((v ^ v2) & 0x10, 0);
	outb(c, LCR, 0);
	outb(c, MCR, v ^ 0x10);
	outb(c, LCR, 0xe0);
	v2 = inb(c, IIR);
	outb(c, LCR, 0);
	outb(c, MCR, v);
	assert_int_equal((v ^ v2) & 0x10, 0);

	/* Not a TI16750: IIR bit 5 stays clear with FCR bit 5 set. */
	outb(c, FCR, 0x21);
	assert_int_equal(inb(c, IIR) & 0xe0, 0xc0);
	outb(c, FCR, 0x01);
	outb(c, LCR, 0x80);
	outb(c, FCR, 0x21);
	assert_int_equal(inb(c, IIR) & 0xe0, 0xc0);
	outb(c, FCR, 0x01);
	outb(c, LCR, 0);

	/* Not an XScale: IER bit 6 (UUE) does not stick. */
	v = inb(c, IER);
	outb(c, IER, v | 0x40);
	assert_int_equal(inb(c, IER) & 0x40, 0);
	outb(c, IER, v);

	outb(c, LCR, save_lcr);
	outb(c, MCR, save_mcr);
	outb(c, FCR, 0x01);
	outb(c, FCR, 0x07);
	outb(c, FCR, 0x00);
	(void)inb(c, RBR);
	outb(c, IER, 0);

	/* Startup: the "LSR safety check" and the THRE re-assert test. */
	outb(c, FCR, 0x81); /* FIFO on, trigger 8 (UART_FCR_R_TRIG_10) */
	assert_int_not_equal(inb(c, LSR), 0xff);
	outb(c, IER, 0x02);
	iir1 = inb(c, IIR);
	outb(c, IER, 0);
	outb(c, IER, 0x02);
	iir = inb(c, IIR);
	outb(c, IER, 0);
	assert_int_equal(iir1 & 0x01, 0);
	assert_int_equal(iir & 0x01, 0); /* no UART_BUG_THRE */
	/* UART_BUG_TXEN test: enabling THRI must show an interrupt. */
	outb(c, IER, 0x02);
	v = inb(c, LSR);
	iir = inb(c, IIR);
	outb(c, IER, 0);
	assert_false((v & 0x40) && (iir & 0x01));
	assert_false(c->level);
}

static void test_reset(void **state)
{
	struct ctx *c = *state;

	outb(c, FCR, 0x01);
	outb(c, IER, 0x03);
	outb(c, LCR, 0x9b);
	outb(c, SCR, 0x42);
	assert_int_equal(rx(c, "abc"), 3);
	assert_true(c->level);
	serial8250_device_ops.reset(c->uart);
	assert_false(c->level);
	assert_int_equal(inb(c, LCR), 0);
	assert_int_equal(inb(c, IER), 0);
	assert_int_equal(inb(c, IIR), 0x01);
	assert_int_equal(inb(c, LSR), 0x60);
	assert_int_equal(inb(c, SCR), 0);
	assert_int_equal(inb(c, MCR), 0x08);
	assert_int_equal(inb(c, MSR), 0xb0);
}

/* ---- save, load, reset (device.h) ---- */

UNIT_CTX_STATE(serial8250_device_ops, uart)

/* Where the saved fields sit (serial8250_save's layout). */
enum { AT_MCR = 2, AT_FCR = 3, AT_MSR = 8, AT_THR = 10, AT_COUNT = 11 };

/*
 * A UART in a state with a bit of everything: FIFO on (trigger 8), the
 * FIFO full and an overrun from loopback traffic on top of host bytes,
 * modem change flags, THRE armed, the scratch byte, DLAB set with a
 * divisor of 1, and the line up.
 */
static void busy_state(struct ctx *c)
{
	outb(c, FCR, 0x81);
	outb(c, IER, 0x07);
	assert_int_equal(rx(c, "hello"), 5);
	outb(c, MCR, 0x13); /* loopback, RTS, DTR */
	for (int i = 0; i < 12; i++)
		outb(c, THR, (uint8_t)('A' + i)); /* 11 fit, the 12th overruns */
	outb(c, MCR, 0x0b);
	assert_int_equal(rx(c, "x"), 0); /* full: refused */
	outb(c, SCR, 0x5a);
	outb(c, LCR, 0x83);
	outb(c, DLL, 0x01);
	outb(c, DLM, 0x00);
	assert_true(c->level);
}

struct step {
	bool write;
	unsigned reg;
	uint8_t v;
};

/* The same accesses on both: the same bytes read, the same line levels. */
static void same_behaviour(struct ctx *a, struct ctx *b)
{
	static const struct step steps[] = {
		{ false, LCR, 0 }, { false, DLL, 0 }, { false, DLM, 0 },
		{ true, LCR, 0x03 }, { false, IER, 0 }, { false, IIR, 0 },
		{ false, LSR, 0 }, { false, IIR, 0 }, { false, LSR, 0 },
		{ false, RBR, 0 }, { false, RBR, 0 }, { false, RBR, 0 },
		{ false, RBR, 0 }, { false, RBR, 0 }, { false, RBR, 0 },
		{ false, RBR, 0 }, { false, RBR, 0 }, { false, IIR, 0 },
		{ false, RBR, 0 }, { false, RBR, 0 }, { false, RBR, 0 },
		{ false, RBR, 0 }, { false, RBR, 0 }, { false, RBR, 0 },
		{ false, RBR, 0 }, { false, RBR, 0 }, { false, IIR, 0 },
		{ false, LSR, 0 }, { false, RBR, 0 }, { false, MSR, 0 },
		{ false, MSR, 0 }, { false, SCR, 0 }, { false, MCR, 0 },
		{ false, IIR, 0 }, { true, THR, 'z' }, { false, IIR, 0 },
		{ false, IIR, 0 }, { true, FCR, 0x00 }, { false, IIR, 0 },
	};

	assert_int_equal(a->level, b->level);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].write) {
			outb(a, steps[i].reg, steps[i].v);
			outb(b, steps[i].reg, steps[i].v);
		} else {
			uint8_t va = inb(a, steps[i].reg), vb = inb(b, steps[i].reg);

			if (va != vb)
				fail_msg("step %zu (reg %u): %02x against %02x", i,
					 steps[i].reg, va, vb);
		}
		if (a->level != b->level)
			fail_msg("step %zu: line %d against %d", i, a->level,
				 b->level);
	}
	/* Both heard about the room and both take host bytes again. */
	assert_int_equal(a->rx_ready_calls, 1);
	assert_int_equal(b->rx_ready_calls, 1);
	assert_int_equal(rx(a, "Q"), rx(b, "Q"));
	assert_int_equal(b->out_len, 1);
	assert_int_equal(b->out[0], 'z');
}

static void test_save_load_same_behaviour(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct state_writer w;

	busy_state(a);
	save(a, &w);
	assert_int_equal(w.len, AT_COUNT + 1 + 16);
	assert_int_equal(w.buf[AT_COUNT], 16);
	/* A refusal before the load: B tells its host once there is room. */
	assert_int_equal(rx(b, "ff"), 1);
	assert_int_equal(load(b, w.buf, w.len), 0);
	assert_true(b->level); /* raised by the load */
	resaves(b, &w);
	same_behaviour(a, b);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_load_truncated_or_out_of_range(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct state_writer w;

	busy_state(a);
	save(a, &w);
	refuses_truncated(b, &w);

	w.buf[AT_COUNT] = 200;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_COUNT] = 16;
	w.buf[AT_FCR] = 0x00; /* FIFO off: one byte fits, not 16 */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_FCR] = 0x02; /* a clear bit never stays set */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_FCR] = 0x81;
	w.buf[AT_MCR] = 0x2b;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_MCR] = 0x13; /* loopback without OUT2: MSR has DCD */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_MCR] = 0x0b;
	w.buf[AT_THR] = 2;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_THR] = 1;
	w.buf[AT_MSR] = 0x00;
	assert_int_equal(load(b, w.buf, w.len), -1);
	/* Nothing of the refused streams was taken. */
	assert_int_equal(inb(b, LSR), 0x60);
	assert_false(b->level);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_reset_is_power_on(void **state)
{
	struct ctx *a = *state, *fresh = ctx_new();
	struct state_writer wa, wf;

	busy_state(a);
	serial8250_device_ops.reset(a->uart);
	assert_false(a->level);
	save(a, &wa);
	save(fresh, &wf);
	assert_int_equal(wa.len, wf.len);
	assert_memory_equal(wa.buf, wf.buf, wf.len);
	/* The refused host hears about the room the reset made. */
	assert_int_equal(a->rx_ready_calls, 1);
	state_writer_free(&wa);
	state_writer_free(&wf);
	ctx_free(fresh);
}

/*
 * A host thread pushes a long stream while the "guest" (this thread)
 * drains it through the bus in interrupt-driven style: every byte arrives,
 * in order, although the FIFO is full most of the time.
 */
#define STREAM_LEN 20000

static void *producer(void *arg)
{
	struct ctx *c = arg;
	uint8_t chunk[100];
	size_t sent = 0;

	while (sent < STREAM_LEN) {
		size_t len = sizeof(chunk), off = 0;

		for (size_t i = 0; i < len; i++)
			chunk[i] = (uint8_t)((sent + i) * 7);
		while (off < len) {
			unsigned seen;
			size_t n;

			pthread_mutex_lock(&c->lock);
			seen = c->rx_ready_calls;
			pthread_mutex_unlock(&c->lock);
			n = serial8250_receive(c->uart, chunk + off, len - off);
			off += n;
			if (off == len)
				break;
			/* Wait for the room notice that must follow a refusal. */
			pthread_mutex_lock(&c->lock);
			while (c->rx_ready_calls == seen)
				pthread_cond_wait(&c->rx_ready_cond, &c->lock);
			pthread_mutex_unlock(&c->lock);
		}
		sent += len;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct ctx *c = *state;
	pthread_t t;
	size_t got = 0;

	outb(c, FCR, 0x81);
	outb(c, IER, 0x01);
	assert_int_equal(pthread_create(&t, NULL, producer, c), 0);
	while (got < STREAM_LEN) {
		bool level;

		pthread_mutex_lock(&c->lock);
		level = c->level;
		pthread_mutex_unlock(&c->lock);
		if (!level) {
			sched_yield();
			continue;
		}
		/* The handler: read IIR, then drain while LSR.DR. */
		assert_int_equal(inb(c, IIR) & 0x01, 0);
		while (inb(c, LSR) & 0x01) {
			assert_int_equal(inb(c, RBR), (uint8_t)(got * 7));
			got++;
		}
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c->uart->host.rx_bytes, STREAM_LEN);
	assert_int_equal(inb(c, LSR), 0x60);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reset_values),
		T(test_transmit),
		T(test_divisor_latch),
		T(test_scratch_and_masks),
		T(test_bad_width),
		T(test_loopback_data),
		T(test_loopback_modem_lines),
		T(test_loopback_overrun),
		T(test_fifo_control),
		T(test_rx_no_fifo),
		T(test_rx_fifo_and_triggers),
		T(test_rx_fifo_clear),
		T(test_thre_interrupt),
		T(test_priorities),
		T(test_seabios_probe),
		T(test_linux_autoconfig),
		T(test_reset),
		T(test_save_load_same_behaviour),
		T(test_load_truncated_or_out_of_range),
		T(test_reset_is_power_on),
		T(test_threads),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
