// SPDX-License-Identifier: MIT
/*
 * i8042 keyboard controller and port 0x92 (dev/i8042.c), driven through a
 * port bus: the self tests and replies firmware reads, the reset line, and
 * the device ops (reset to the power-on state, save/load of the queue and
 * the command state, every saved value checked).  Command numbers follow
 * the IBM PC/AT technical reference as SeaBIOS src/hw/ps2port.c uses them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/i8042.h"
#include "device.h"
#include "log.h"
#include "irq.h"
#include "state.h"
#include "unit.h"

#define DATA I8042_DATA_PORT
#define CMD I8042_CMD_PORT
#define STATUS_OBF 0x01

struct ctx {
	struct bus io;
	struct i8042 *kbd;
	int resets;
};

static void on_reset(void *opaque)
{
	((struct ctx *)opaque)->resets++;
}

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	bus_init(&c->io, "io", 0x10000);
	c->kbd = i8042_create(on_reset, c);
	assert_non_null(c->kbd);
	assert_int_equal(i8042_register(c->kbd, &c->io), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	i8042_device_ops.destroy(c->kbd);
	bus_destroy(&c->io);
	free(c);
}

UNIT_CTX_FIXTURE()

static void outb(struct ctx *c, uint16_t port, uint8_t v)
{
	assert_int_equal(bus_write(&c->io, port, &v, 1), BUS_OK);
}

static uint8_t inb(struct ctx *c, uint16_t port)
{
	uint8_t v = 0;

	assert_int_equal(bus_read(&c->io, port, &v, 1), BUS_OK);
	return v;
}

static void test_firmware_replies(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(inb(c, CMD) & STATUS_OBF, 0);
	outb(c, CMD, 0xaa); /* self test */
	assert_int_equal(inb(c, CMD) & STATUS_OBF, STATUS_OBF);
	assert_int_equal(inb(c, DATA), 0x55);
	outb(c, CMD, 0x20);
	assert_int_equal(inb(c, DATA), 0x45);
	outb(c, CMD, 0x60);
	outb(c, DATA, 0x47);
	outb(c, CMD, 0x20);
	assert_int_equal(inb(c, DATA), 0x47);
	outb(c, DATA, 0xff); /* keyboard reset: ACK, BAT passed */
	assert_int_equal(inb(c, DATA), 0xfa);
	assert_int_equal(inb(c, DATA), 0xaa);
	outb(c, DATA, 0xf2); /* identify: MF2 */
	assert_int_equal(inb(c, DATA), 0xfa);
	assert_int_equal(inb(c, DATA), 0xab);
	assert_int_equal(inb(c, DATA), 0x83);
	assert_int_equal(inb(c, CMD) & STATUS_OBF, 0);
	assert_int_equal(c->resets, 0);
	outb(c, CMD, 0xfe); /* pulse the reset line */
	assert_int_equal(c->resets, 1);
	outb(c, PORT_A_PORT, 0x03); /* fast reset on 0 -> 1 */
	assert_int_equal(c->resets, 2);
	assert_int_equal(inb(c, PORT_A_PORT), 0x02);
}

/* ---- save, load, reset (device.h) ---- */

UNIT_CTX_STATE(i8042_device_ops, kbd)

/*
 * Replies queued (one already read, so the queue's head has moved), the
 * keyboard disabled in the command byte, a keyboard command (set LEDs)
 * waiting for its parameter, a controller command (write command byte)
 * waiting for its data byte, A20 off at port 0x92.
 */
static void busy_state(struct ctx *c)
{
	outb(c, CMD, 0xaa);
	assert_int_equal(inb(c, DATA), 0x55);
	outb(c, CMD, 0xad);
	outb(c, CMD, 0x20);
	outb(c, DATA, 0xff);
	outb(c, DATA, 0xed);
	outb(c, CMD, 0x60);
	outb(c, PORT_A_PORT, 0x00);
}

/* Queued bytes: count, then the command byte, ... (i8042_save). */
enum { QUEUED = 4, AT_CB = 1 + QUEUED, AT_PENDING = AT_CB + 2,
       AT_KBD_PENDING, AT_PORT_A, AT_KBD_MASK, SAVED_LEN = AT_KBD_MASK + 2 };

static void same_behaviour(struct ctx *a, struct ctx *b)
{
	assert_int_equal(inb(a, CMD), inb(b, CMD));
	while (inb(a, CMD) & STATUS_OBF) {
		assert_int_equal(inb(b, CMD) & STATUS_OBF, STATUS_OBF);
		assert_int_equal(inb(a, DATA), inb(b, DATA));
	}
	assert_int_equal(inb(b, CMD) & STATUS_OBF, 0);
	/* Both take the next data byte as the new command byte ... */
	outb(a, DATA, 0x61);
	outb(b, DATA, 0x61);
	outb(a, CMD, 0x20);
	outb(b, CMD, 0x20);
	assert_int_equal(inb(b, DATA), 0x61);
	assert_int_equal(inb(a, DATA), 0x61);
	/* ... and the one after as the LED parameter: ACK. */
	outb(a, DATA, 0x07);
	outb(b, DATA, 0x07);
	assert_int_equal(inb(a, DATA), inb(b, DATA));
	outb(a, CMD, 0xd0);
	outb(b, CMD, 0xd0);
	assert_int_equal(inb(a, DATA), inb(b, DATA));
	assert_int_equal(inb(a, PORT_A_PORT), inb(b, PORT_A_PORT));
	outb(a, PORT_A_PORT, 0x01);
	outb(b, PORT_A_PORT, 0x01);
	assert_int_equal(a->resets, 1);
	assert_int_equal(b->resets, 1);
}

static void test_save_load_same_behaviour(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct state_writer w;

	busy_state(a);
	save(a, &w);
	assert_int_equal(w.len, SAVED_LEN);
	assert_int_equal(w.buf[0], QUEUED); /* 0x55 read; CB, FA AA, FA */
	assert_int_equal(load(b, w.buf, w.len), 0);
	resaves(b, &w);
	same_behaviour(a, b);
	state_writer_free(&w);
	ctx_free(b);
}

/* IRQ 1: a recorder of the pulses. */
static unsigned pulses;

static void on_irq(struct irq_line *line, bool level)
{
	(void)line;
	if (level)
		pulses++;
}

/*
 * Every keyboard byte is announced on IRQ 1 as it reaches the head of the
 * queue (Linux's atkbd waits for its answers there); the controller's own
 * answers are not; nothing when the command byte disables the interrupt.
 */
static void test_keyboard_interrupts(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct irq_line line, line_b;
	struct state_writer w;

	irq_line_init(&line, 1, on_irq, NULL);
	irq_line_init(&line_b, 1, on_irq, NULL);
	a->kbd->kbd_irq = &line;
	b->kbd->kbd_irq = &line_b;
	pulses = 0;
	outb(a, DATA, 0xf2); /* identify: FA AB 83 */
	assert_int_equal(pulses, 1);
	assert_int_equal(inb(a, DATA), 0xfa);
	assert_int_equal(inb(a, DATA), 0xab);
	assert_int_equal(inb(a, DATA), 0x83);
	assert_int_equal(pulses, 3);
	outb(a, CMD, 0x20); /* the controller's answer: polled */
	assert_int_equal(inb(a, DATA), 0x45);
	assert_int_equal(pulses, 3);
	outb(a, CMD, 0x60);
	outb(a, DATA, 0x44); /* keyboard interrupt off */
	outb(a, DATA, 0xf4);
	assert_int_equal(inb(a, DATA), 0xfa);
	assert_int_equal(pulses, 3);
	outb(a, CMD, 0x60);
	outb(a, DATA, 0x45);
	assert_int_equal(i8042_send_ctrl_alt_del(a->kbd), 0);
	assert_int_equal(pulses, 4);
	assert_int_equal(inb(a, DATA), 0x1d); /* set 1: translation is on */
	assert_int_equal(pulses, 5);
	/* Saved with 7 keyboard bytes queued, loaded: b announces them. */
	save(a, &w);
	assert_int_equal(load(b, w.buf, w.len), 0);
	state_writer_free(&w);
	pulses = 0;
	for (int i = 0; i < 7; i++)
		inb(b, DATA);
	assert_int_equal(pulses, 6); /* the 6 after the head; the head was announced in a */
	assert_int_equal(inb(b, CMD) & STATUS_OBF, 0);
	a->kbd->kbd_irq = NULL;
	ctx_free(b);
}

static void test_load_truncated_or_out_of_range(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct state_writer w;

	busy_state(a);
	save(a, &w);
	refuses_truncated(b, &w);
	w.buf[0] = 200;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[0] = 17;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[0] = QUEUED;
	w.buf[AT_PENDING] = 0x99; /* takes no data byte */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_PENDING] = 0x60;
	w.buf[AT_KBD_PENDING] = 0xff;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_KBD_PENDING] = 0xed;
	w.buf[AT_PORT_A] = 0x01;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_PORT_A] = 0x00;
	w.buf[AT_KBD_MASK + 1] = 0x80; /* a keyboard byte past the queue */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_KBD_MASK + 1] = 0x00;
	/* Nothing of the refused streams was taken. */
	assert_int_equal(inb(b, CMD) & STATUS_OBF, 0);
	assert_int_equal(inb(b, PORT_A_PORT), 0x02);
	assert_int_equal(load(b, w.buf, w.len), 0);
	assert_int_equal(inb(b, PORT_A_PORT), 0x00);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_reset_is_power_on(void **state)
{
	struct ctx *a = *state, *fresh = ctx_new();
	struct state_writer wa, wf;

	busy_state(a);
	outb(a, PORT_A_PORT, 0x02); /* A20 back on: the one thing reset keeps */
	i8042_device_ops.reset(a->kbd);
	save(a, &wa);
	save(fresh, &wf);
	assert_int_equal(wa.len, wf.len);
	assert_memory_equal(wa.buf, wf.buf, wf.len);
	assert_int_equal(inb(a, CMD) & STATUS_OBF, 0);
	outb(a, CMD, 0x20);
	assert_int_equal(inb(a, DATA), 0x45);
	/* Port 0x92's A20 survives a reset (QEMU port92_reset). */
	outb(a, PORT_A_PORT, 0x00);
	i8042_device_ops.reset(a->kbd);
	assert_int_equal(inb(a, PORT_A_PORT), 0x00);
	assert_int_equal(a->resets, 0);
	state_writer_free(&wa);
	state_writer_free(&wf);
	ctx_free(fresh);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_firmware_replies),
		T(test_save_load_same_behaviour),
		T(test_keyboard_interrupts),
		T(test_load_truncated_or_out_of_range),
		T(test_reset_is_power_on),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("i8042", tests, NULL, NULL);
}
