// SPDX-License-Identifier: MIT
/*
 * PL011 UART tests, driven through a real MMIO bus at 0x9000000 the way a
 * guest drives it.  Expected values come from the PL011 TRM (register
 * bits, reset values, ID registers), QEMU's pl011 model, and what Linux's
 * amba-pl011 driver and earlycon do (replayed step by step).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "dev/pl011.h"
#include "log.h"
#include "state.h"
#include "unit.h"

#define BASE 0x9000000ull
#define MAX_EVENTS 64

struct ctx {
	struct bus mmio;
	struct pl011 *uart;
	struct irq_line line; /* SPI 1, recorded by test_irq */
	uint8_t out[4096];
	size_t out_len;
	bool levels[MAX_EVENTS];
	size_t nr_levels;
	bool level;
	unsigned rx_ready_calls;
};

static void test_irq(struct irq_line *line, bool level)
{
	struct ctx *c = line->ctx;

	if (c->nr_levels < MAX_EVENTS)
		c->levels[c->nr_levels++] = level;
	c->level = level;
}

static void test_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct ctx *c = opaque;

	for (size_t i = 0; i < len && c->out_len < sizeof(c->out); i++)
		c->out[c->out_len++] = buf[i];
}

static void test_rx_ready(void *opaque)
{
	struct ctx *c = opaque;

	c->rx_ready_calls++;
}

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	bus_init(&c->mmio, "mmio", 0);
	c->uart = pl011_create();
	assert_non_null(c->uart);
	assert_int_equal(pl011_register(c->uart, &c->mmio, BASE), 0);
	irq_line_init(&c->line, 1, test_irq, c);
	pl011_set_irq(c->uart, &c->line);
	pl011_set_host(c->uart, &(struct chardev_host){
					.write = test_tx,
					.rx_ready = test_rx_ready,
					.ctx = c,
				});
	return c;
}

static void ctx_free(struct ctx *c)
{
	pl011_device_ops.destroy(c->uart);
	bus_destroy(&c->mmio);
	free(c);
}

UNIT_CTX_FIXTURE()

static void writel(struct ctx *c, unsigned reg, uint32_t v)
{
	uint8_t d[4];

	bus_data_put(d, 4, v);
	assert_int_equal(bus_write(&c->mmio, BASE + reg, d, 4), BUS_OK);
}

static uint32_t readl(struct ctx *c, unsigned reg)
{
	uint8_t d[4];

	assert_int_equal(bus_read(&c->mmio, BASE + reg, d, 4), BUS_OK);
	return (uint32_t)bus_data_get(d, 4);
}

static uint32_t readw(struct ctx *c, unsigned reg)
{
	uint8_t d[2];

	assert_int_equal(bus_read(&c->mmio, BASE + reg, d, 2), BUS_OK);
	return (uint32_t)bus_data_get(d, 2);
}

static size_t rx(struct ctx *c, const char *s)
{
	return pl011_receive(c->uart, (const uint8_t *)s, strlen(s));
}

/* The AMBA bus reads these four words each to match the driver. */
static void test_id_registers(void **state)
{
	struct ctx *c = *state;
	static const uint8_t id[8] = { 0x11, 0x10, 0x14, 0x00,
				       0x0d, 0xf0, 0x05, 0xb1 };
	uint32_t periph = 0, cell = 0;

	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(readl(c, 0xfe0 + 4 * i), id[i]);
	for (unsigned i = 0; i < 4; i++) {
		periph |= (readl(c, 0xfe0 + 4 * i) & 0xff) << (8 * i);
		cell |= (readl(c, 0xff0 + 4 * i) & 0xff) << (8 * i);
	}
	/* drivers/amba/bus.c: cid 0xb105f00d, pid part 0x011 designer 0x41. */
	assert_int_equal(cell, 0xb105f00d);
	assert_int_equal(periph & 0xfff, 0x011);
	assert_int_equal((periph >> 12) & 0xff, 0x41);
	/* Read-only. */
	writel(c, 0xfe0, 0);
	assert_int_equal(readl(c, 0xfe0), 0x11);
}

static void test_reset_values(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(readl(c, PL011_FR), 0x90); /* TXFE | RXFE */
	assert_int_equal(readl(c, PL011_CR), 0x300); /* TXE | RXE */
	assert_int_equal(readl(c, PL011_IFLS), 0x12);
	assert_int_equal(readl(c, PL011_LCR_H), 0);
	assert_int_equal(readl(c, PL011_IBRD), 0);
	assert_int_equal(readl(c, PL011_FBRD), 0);
	assert_int_equal(readl(c, PL011_IMSC), 0);
	assert_int_equal(readl(c, PL011_RIS), 0);
	assert_int_equal(readl(c, PL011_MIS), 0);
	assert_int_equal(readl(c, PL011_RSR), 0);
	assert_int_equal(readl(c, PL011_DMACR), 0);
	assert_int_equal(readl(c, PL011_ICR), 0); /* write-only */
	assert_int_equal(readl(c, 0x100), 0); /* reserved */
	assert_int_equal(c->nr_levels, 0);
}

static void test_register_masks(void **state)
{
	struct ctx *c = *state;

	writel(c, PL011_IBRD, 0x12345);
	assert_int_equal(readl(c, PL011_IBRD), 0x2345);
	writel(c, PL011_FBRD, 0xff);
	assert_int_equal(readl(c, PL011_FBRD), 0x3f);
	writel(c, PL011_CR, 0xffff);
	assert_int_equal(readl(c, PL011_CR), 0xff87);
	writel(c, PL011_CR, 0x301);
	writel(c, PL011_ICR, PL011_INT_ALL); /* the loopback modem changes */
	writel(c, PL011_IFLS, 0xff);
	assert_int_equal(readl(c, PL011_IFLS), 0x3f);
	writel(c, PL011_IMSC, 0xffff);
	assert_int_equal(readl(c, PL011_IMSC), 0x7ff);
	writel(c, PL011_IMSC, 0);
	writel(c, PL011_DMACR, 0xff);
	assert_int_equal(readl(c, PL011_DMACR), 0x7);
	writel(c, PL011_ILPR, 0x1ab);
	assert_int_equal(readl(c, PL011_ILPR), 0xab);
	/* FR, RIS and MIS ignore writes. */
	writel(c, PL011_FR, 0);
	writel(c, PL011_RIS, 0x7ff);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(readl(c, PL011_RIS), 0);
}

static void test_access_widths(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8] = { 'b' };

	/* Linux's default 16-bit accessors and earlycon's byte writes. */
	assert_int_equal(readw(c, PL011_FR), 0x90);
	assert_int_equal(bus_write(&c->mmio, BASE + PL011_DR, d, 1), BUS_OK);
	d[0] = 'w';
	assert_int_equal(bus_write(&c->mmio, BASE + PL011_DR, d, 2), BUS_OK);
	assert_int_equal(c->out_len, 2);
	assert_memory_equal(c->out, "bw", 2);
	/* A byte read in the middle of a register gives that byte. */
	assert_int_equal(bus_read(&c->mmio, BASE + PL011_CR + 1, d, 1), BUS_OK);
	assert_int_equal(d[0], 0x03);
	/* A write into the middle of a register is ignored. */
	d[0] = 0xff;
	assert_int_equal(bus_write(&c->mmio, BASE + PL011_CR + 1, d, 1), BUS_OK);
	assert_int_equal(readl(c, PL011_CR), 0x300);
	/* 8-byte accesses never reach the device. */
	unit_stderr_begin();
	assert_int_equal(bus_write(&c->mmio, BASE + PL011_DR, d, 8),
			 BUS_BAD_WIDTH);
	unit_stderr_discard();
	assert_int_equal(c->out_len, 2);
}

static void test_transmit(void **state)
{
	struct ctx *c = *state;

	/* Out of reset (UARTEN clear), as Linux's earlycon finds it. */
	writel(c, PL011_DR, 'o');
	writel(c, PL011_DR, 'k');
	writel(c, PL011_DR, 0x100 | '\n'); /* only bits 0-7 are data */
	assert_int_equal(c->out_len, 3);
	assert_memory_equal(c->out, "ok\n", 3);
	assert_int_equal(c->uart->host.tx_bytes, 3);
	/* Sent at once: never busy, never full. */
	assert_int_equal(readl(c, PL011_FR), 0x90);
	/* TXRIS is up, but masked: no interrupt. */
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_TX);
	assert_int_equal(readl(c, PL011_MIS), 0);
	assert_int_equal(c->nr_levels, 0);
}

static void test_tx_interrupt(void **state)
{
	struct ctx *c = *state;

	writel(c, PL011_CR, 0x301);
	writel(c, PL011_IMSC, PL011_INT_TX);
	assert_false(c->level); /* nothing sent yet */
	writel(c, PL011_DR, 'a');
	assert_true(c->level);
	assert_int_equal(readl(c, PL011_MIS), PL011_INT_TX);
	/* Linux's pl011_stop_tx: mask it. */
	writel(c, PL011_IMSC, 0);
	assert_false(c->level);
	writel(c, PL011_IMSC, PL011_INT_TX);
	assert_true(c->level);
	/* ICR clears it until the next byte. */
	writel(c, PL011_ICR, PL011_INT_TX);
	assert_false(c->level);
	assert_int_equal(readl(c, PL011_RIS), 0);
	writel(c, PL011_DR, 'b');
	assert_true(c->level);
	assert_int_equal(c->nr_levels, 5);
	for (size_t i = 0; i < c->nr_levels; i++)
		assert_int_equal(c->levels[i], i % 2 == 0);
}

static void test_rx_no_fifo(void **state)
{
	struct ctx *c = *state;

	writel(c, PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
	assert_int_equal(rx(c, "ab"), 1); /* one holding register */
	assert_int_equal(readl(c, PL011_FR), 0x80 | 0x40); /* TXFE, RXFF */
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_RX | PL011_INT_RT);
	assert_true(c->level);
	assert_int_equal(c->rx_ready_calls, 0);
	assert_int_equal(readl(c, PL011_DR), 'a');
	assert_false(c->level);
	assert_int_equal(readl(c, PL011_RIS), 0);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(c->rx_ready_calls, 1); /* room for the refused 'b' */
	assert_int_equal(rx(c, "b"), 1);
	assert_true(c->level);
	assert_int_equal(readw(c, PL011_DR), 'b');
	assert_int_equal(c->rx_ready_calls, 1); /* nothing was refused */
	/* An empty FIFO reads 0 and keeps RXFE. */
	assert_int_equal(readl(c, PL011_DR), 0);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(c->uart->host.rx_bytes, 2);
}

static void test_rx_fifo(void **state)
{
	struct ctx *c = *state;
	char buf[41];

	writel(c, PL011_LCR_H, 0x70); /* 8 bits, FEN */
	writel(c, PL011_IMSC, PL011_INT_RX);
	/* IFLS 0x12: receive trigger at 1/2, 16 bytes. */
	assert_int_equal(rx(c, "0123456789abcde"), 15);
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_RT);
	assert_false(c->level); /* RT masked, below the level */
	assert_int_equal(rx(c, "f"), 1);
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_RX | PL011_INT_RT);
	assert_true(c->level);
	/* Fill up: 32 fit, the rest is refused, not lost. */
	memset(buf, 'q', 40);
	buf[40] = 0;
	assert_int_equal(rx(c, buf), 16);
	assert_int_equal(readl(c, PL011_FR) & 0x50, 0x40); /* RXFF */
	assert_int_equal(rx(c, "r"), 0);
	assert_int_equal(readl(c, PL011_DR), '0');
	assert_int_equal(c->rx_ready_calls, 1);
	assert_int_equal(readl(c, PL011_FR) & 0x50, 0);
	/* Reading below the trigger level drops RXRIS, not RTRIS. */
	for (int i = 1; i < 16; i++)
		assert_int_equal(readl(c, PL011_DR), "0123456789abcdef"[i]);
	assert_true(c->level);
	assert_int_equal(readl(c, PL011_DR), 'q');
	assert_false(c->level);
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_RT);
	for (int i = 1; i < 16; i++)
		assert_int_equal(readl(c, PL011_DR), 'q');
	/* Empty: RTRIS goes too. */
	assert_int_equal(readl(c, PL011_RIS), 0);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(c->uart->host.rx_bytes, 32);
}

static void test_rx_trigger_levels(void **state)
{
	struct ctx *c = *state;
	static const struct {
		uint32_t ifls;
		size_t level;
	} levels[] = { { 0 << 3, 4 }, { 1 << 3, 8 }, { 2 << 3, 16 },
		       { 3 << 3, 24 }, { 4 << 3, 28 } };
	char buf[33];

	memset(buf, 'x', 32);
	writel(c, PL011_LCR_H, 0x70);
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		writel(c, PL011_IFLS, levels[i].ifls);
		buf[levels[i].level - 1] = 0;
		assert_int_equal(rx(c, buf), levels[i].level - 1);
		assert_int_equal(readl(c, PL011_RIS) & PL011_INT_RX, 0);
		assert_int_equal(rx(c, "y"), 1);
		assert_int_equal(readl(c, PL011_RIS) & PL011_INT_RX,
				 PL011_INT_RX);
		buf[levels[i].level - 1] = 'x';
		while (!(readl(c, PL011_FR) & PL011_FR_RXFE))
			(void)readl(c, PL011_DR);
	}
	/* A lower level with data waiting raises RXRIS at once. */
	assert_int_equal(rx(c, "xxxxxx"), 6);
	assert_int_equal(readl(c, PL011_RIS) & PL011_INT_RX, 0);
	writel(c, PL011_IFLS, 0);
	assert_int_equal(readl(c, PL011_RIS) & PL011_INT_RX, PL011_INT_RX);
}

static void test_fifo_toggle_flushes(void **state)
{
	struct ctx *c = *state;

	writel(c, PL011_LCR_H, 0x70);
	assert_int_equal(rx(c, "abc"), 3);
	/* Other LCR_H bits keep the FIFO. */
	writel(c, PL011_LCR_H, 0x72);
	assert_int_equal(readl(c, PL011_FR) & PL011_FR_RXFE, 0);
	writel(c, PL011_LCR_H, 0x60);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(readl(c, PL011_RIS), 0);
	assert_int_equal(rx(c, "de"), 1);
	writel(c, PL011_LCR_H, 0x70);
	assert_int_equal(c->rx_ready_calls, 1);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(rx(c, "e"), 1);
	assert_int_equal(readl(c, PL011_DR), 'e');
}

static void test_interrupt_mask_and_clear(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rx(c, "z"), 1);
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_RX | PL011_INT_RT);
	assert_int_equal(readl(c, PL011_MIS), 0);
	assert_false(c->level);
	writel(c, PL011_IMSC, PL011_INT_RT);
	assert_true(c->level);
	assert_int_equal(readl(c, PL011_MIS), PL011_INT_RT);
	/* Clearing a bit that is masked does not lower the line. */
	writel(c, PL011_ICR, PL011_INT_RX);
	assert_true(c->level);
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_RT);
	writel(c, PL011_ICR, PL011_INT_ALL);
	assert_false(c->level);
	assert_int_equal(readl(c, PL011_RIS), 0);
	/* The data is still there. */
	assert_int_equal(readl(c, PL011_DR), 'z');
}

static void test_loopback(void **state)
{
	struct ctx *c = *state;

	writel(c, PL011_CR, 0x381); /* UARTEN, LBE, TXE, RXE */
	writel(c, PL011_DR, 'L');
	assert_int_equal(c->out_len, 0); /* the line stays idle */
	assert_int_equal(readl(c, PL011_DR), 'L');
	/* Host input is not connected while in loopback. */
	assert_int_equal(rx(c, "h"), 0);
	/* Without FIFO a second byte overruns: OE in DR, RSR and RIS. */
	writel(c, PL011_DR, '1');
	writel(c, PL011_DR, '2');
	assert_int_equal(readl(c, PL011_RSR), 0x08);
	assert_int_equal(readl(c, PL011_RIS) & PL011_INT_OE, PL011_INT_OE);
	assert_int_equal(readl(c, PL011_DR), 0x800 | '1');
	writel(c, PL011_ECR, 0);
	assert_int_equal(readl(c, PL011_RSR), 0);
	/* Modem outputs feed the inputs, each change an interrupt. */
	writel(c, PL011_ICR, PL011_INT_ALL);
	writel(c, PL011_CR, 0x381 | 0x0400 | 0x0800); /* DTR, RTS */
	assert_int_equal(readl(c, PL011_FR) & 0x10f, 0x03); /* DSR, CTS */
	assert_int_equal(readl(c, PL011_RIS), PL011_INT_DSR | PL011_INT_CTS);
	writel(c, PL011_CR, 0x381 | 0x1000 | 0x2000); /* Out1, Out2 */
	assert_int_equal(readl(c, PL011_FR) & 0x10f, 0x104); /* RI, DCD */
	/* Leaving loopback reconnects the line. */
	writel(c, PL011_CR, 0x301);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(c->rx_ready_calls, 1);
	assert_int_equal(rx(c, "h"), 1);
	assert_int_equal(readl(c, PL011_DR), 'h');
}

/*
 * Linux drivers/tty/serial/amba-pl011.c, pl011_startup() and the
 * interrupt handler, in order, with a console line typed meanwhile.
 */
static void test_linux_startup(void **state)
{
	struct ctx *c = *state;
	const char *line = "ls\r";
	size_t got = 0;
	uint32_t status;
	char in[8];

	/* pl011_hwinit: clear stale interrupts, save IMSC, mask all. */
	writel(c, PL011_ICR, 0x7ff & ~PL011_INT_TX);
	writel(c, PL011_IMSC, 0);
	/* Baud 115200 at 24 MHz, 8N1 with FIFO, enable. */
	writel(c, PL011_IBRD, 13);
	writel(c, PL011_FBRD, 1);
	writel(c, PL011_LCR_H, 0x70);
	writel(c, PL011_CR, 0x0f01 | 0x300);
	/* pl011_enable_interrupts: clear RX, drain, unmask RX/RT. */
	writel(c, PL011_ICR, PL011_INT_RT | PL011_INT_RX);
	while (!(readw(c, PL011_FR) & PL011_FR_RXFE))
		(void)readw(c, PL011_DR);
	writel(c, PL011_IMSC, PL011_INT_RT | PL011_INT_RX);
	assert_false(c->level);

	assert_int_equal(rx(c, line), 3);
	assert_true(c->level);
	/* pl011_int: loop while MIS has bits. */
	while ((status = readw(c, PL011_MIS)) != 0) {
		writel(c, PL011_ICR,
		       status & ~(PL011_INT_TX | PL011_INT_RT | PL011_INT_RX));
		if (status & (PL011_INT_RT | PL011_INT_RX)) {
			while (!(readw(c, PL011_FR) & PL011_FR_RXFE) &&
			       got < sizeof(in))
				in[got++] = (char)readw(c, PL011_DR);
		}
	}
	assert_false(c->level);
	assert_int_equal(got, 3);
	assert_memory_equal(in, line, 3);
	/* Output: pl011_tx_chars(from_irq = false) until empty. */
	for (const char *p = "$ "; *p; p++) {
		assert_int_equal(readw(c, PL011_FR) & PL011_FR_TXFF, 0);
		writel(c, PL011_DR, (uint8_t)*p);
	}
	assert_int_equal(c->out_len, 2);
	assert_false(c->level); /* TXIM was never unmasked */
}

static void test_reset(void **state)
{
	struct ctx *c = *state;

	writel(c, PL011_LCR_H, 0x70);
	writel(c, PL011_CR, 0x381);
	writel(c, PL011_IMSC, PL011_INT_ALL);
	writel(c, PL011_IBRD, 13);
	writel(c, PL011_DR, 'x');
	assert_true(c->level);
	writel(c, PL011_CR, 0x301);
	assert_int_equal(rx(c, "abc"), 3);
	for (int i = 0; i < 32; i++)
		(void)rx(c, "d");
	assert_int_equal(rx(c, "e"), 0);
	pl011_device_ops.reset(c->uart);
	assert_false(c->level);
	assert_int_equal(c->rx_ready_calls, 1);
	assert_int_equal(readl(c, PL011_FR), 0x90);
	assert_int_equal(readl(c, PL011_CR), 0x300);
	assert_int_equal(readl(c, PL011_LCR_H), 0);
	assert_int_equal(readl(c, PL011_IMSC), 0);
	assert_int_equal(readl(c, PL011_RIS), 0);
	assert_int_equal(readl(c, PL011_IBRD), 0);
	assert_int_equal(readl(c, PL011_IFLS), 0x12);
}

/* ---- save, load, reset (device.h) ---- */

UNIT_CTX_STATE(pl011_device_ops, uart)

/* Where the saved fields sit (pl011_save's layout). */
enum { AT_LCR_H = 5, AT_CR = 6, AT_IMSC = 9, AT_OVERRUN = 14, AT_COUNT = 15 };

/*
 * FIFO on, the baud divisors, interrupts unmasked, host bytes and then
 * loopback bytes filling the FIFO with an overrun on top, a modem change
 * from leaving loopback, a refused host byte, and the line up.
 */
static void busy_state(struct ctx *c)
{
	writel(c, PL011_LCR_H, 0x70); /* FEN, 8 bits */
	writel(c, PL011_IBRD, 0x1a);
	writel(c, PL011_FBRD, 0x03);
	writel(c, PL011_ILPR, 0x12);
	writel(c, PL011_DMACR, 0x05);
	writel(c, PL011_IMSC, PL011_INT_RX | PL011_INT_RT | PL011_INT_OE |
				      PL011_INT_CTS);
	assert_int_equal(rx(c, "0123456789"), 10);
	writel(c, PL011_CR, 0x0b81); /* LBE, TXE, RXE, UARTEN, RTS */
	for (int i = 0; i < 23; i++)
		writel(c, PL011_DR, (uint32_t)('a' + i)); /* 22 fit */
	writel(c, PL011_CR, 0x0301);
	assert_int_equal(rx(c, "x"), 0);
	assert_true(c->level);
}

static void same_behaviour(struct ctx *a, struct ctx *b)
{
	static const unsigned reads[] = {
		PL011_FR,    PL011_RIS,	 PL011_MIS,   PL011_RSR,   PL011_IBRD,
		PL011_FBRD,  PL011_LCR_H, PL011_CR,    PL011_IFLS,  PL011_IMSC,
		PL011_DMACR, PL011_ILPR,
	};

	assert_int_equal(a->level, b->level);
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++)
		assert_int_equal(readl(a, reads[i]), readl(b, reads[i]));
	for (int i = 0; i < 33; i++) {
		assert_int_equal(readl(a, PL011_DR), readl(b, PL011_DR));
		assert_int_equal(readl(a, PL011_RIS), readl(b, PL011_RIS));
		assert_int_equal(a->level, b->level);
	}
	writel(a, PL011_ICR, PL011_INT_ALL);
	writel(b, PL011_ICR, PL011_INT_ALL);
	assert_int_equal(a->level, b->level);
	writel(a, PL011_DR, 'z');
	writel(b, PL011_DR, 'z');
	assert_int_equal(readl(a, PL011_RIS), readl(b, PL011_RIS));
	assert_int_equal(b->out_len, 1);
	assert_int_equal(b->out[0], 'z');
	assert_int_equal(a->rx_ready_calls, 1);
	assert_int_equal(b->rx_ready_calls, 1);
	assert_int_equal(rx(a, "Q"), rx(b, "Q"));
	assert_int_equal(a->level, b->level);
}

static void test_save_load_same_behaviour(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct state_writer w;

	busy_state(a);
	save(a, &w);
	assert_int_equal(w.len, AT_COUNT + 1 + 32);
	assert_int_equal(w.buf[AT_COUNT], 32);
	assert_int_equal(w.buf[AT_OVERRUN], 1);
	assert_int_equal(rx(b, "ff"), 1); /* refused before the load */
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
	w.buf[AT_COUNT] = 32;
	w.buf[AT_LCR_H] = 0x60; /* FIFO off: one byte fits, not 32 */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_LCR_H] = 0x70;
	w.buf[AT_CR] |= 0x08; /* reserved */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_CR] &= (uint8_t)~0x08;
	w.buf[AT_IMSC + 1] = 0x08; /* bit 11 */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_IMSC + 1] = 0x04;
	w.buf[AT_OVERRUN] = 7;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_OVERRUN] = 1;
	assert_int_equal(load(b, w.buf, w.len), 0); /* all put back */
	state_writer_free(&w);
	ctx_free(b);
}

static void test_reset_is_power_on(void **state)
{
	struct ctx *a = *state, *fresh = ctx_new();
	struct state_writer wa, wf;

	busy_state(a);
	pl011_device_ops.reset(a->uart);
	assert_false(a->level);
	assert_int_equal(a->rx_ready_calls, 1);
	save(a, &wa);
	save(fresh, &wf);
	assert_int_equal(wa.len, wf.len);
	assert_memory_equal(wa.buf, wf.buf, wf.len);
	state_writer_free(&wa);
	state_writer_free(&wf);
	ctx_free(fresh);
}

static void test_register_overlap(void **state)
{
	struct ctx *c = *state;
	struct pl011 *other = pl011_create();

	assert_non_null(other);
	assert_int_equal(pl011_register(other, &c->mmio, BASE + 0x800), -1);
	assert_err_contains("pl011@0x9000800");
	assert_int_equal(pl011_register(other, &c->mmio, BASE + 0x1000), 0);
	pl011_device_ops.destroy(other);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_id_registers),
		T(test_reset_values),
		T(test_register_masks),
		T(test_access_widths),
		T(test_transmit),
		T(test_tx_interrupt),
		T(test_rx_no_fifo),
		T(test_rx_fifo),
		T(test_rx_trigger_levels),
		T(test_fifo_toggle_flushes),
		T(test_interrupt_mask_and_clear),
		T(test_loopback),
		T(test_linux_startup),
		T(test_reset),
		T(test_save_load_same_behaviour),
		T(test_load_truncated_or_out_of_range),
		T(test_reset_is_power_on),
		T(test_register_overlap),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
