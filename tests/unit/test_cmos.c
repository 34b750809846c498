// SPDX-License-Identifier: MIT
/*
 * MC146818 RTC / CMOS tests, driven through a real struct bus at ports
 * 0x70/0x71 with an injected clock.  Expected behaviour: QEMU's
 * hw/rtc/mc146818rtc.c (register values, BCD/binary and 12/24-hour
 * encodings, SET handling, UIP window, index masking) and, for the power-on
 * register values and the date registers, a CMOS dump read from a QEMU 7.2
 * guest (A = 0x26, B = 0x02, C = 0, D = 0x80, century 0x20, and the 0x37
 * alias reading the century).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "dev/cmos.h"
#include "device.h"
#include "layout.h"
#include "log.h"
#include "state.h"
#include "unit.h"

/* 2026-11-23 21:05:09 UTC, a Monday. */
#define T0 1795467909ll

struct ctx {
	struct timespec now;
	struct bus io;
	struct cmos *cmos;
	struct irq_line line; /* IRQ 8, recorded by test_irq */
	int irq_calls;
	bool irq_level;
};

static struct timespec test_clock(void *opaque)
{
	return ((struct ctx *)opaque)->now;
}

static void test_irq(struct irq_line *line, bool level)
{
	struct ctx *c = line->ctx;

	c->irq_calls++;
	c->irq_level = level;
}

static struct ctx *ctx_new(int64_t now_sec)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->now.tv_sec = now_sec;
	bus_init(&c->io, "io", 0x10000);
	c->cmos = cmos_create(test_clock, c);
	assert_non_null(c->cmos);
	assert_int_equal(cmos_register(c->cmos, &c->io, PC_CMOS_PORT), 0);
	irq_line_init(&c->line, 8, test_irq, c);
	cmos_set_irq(c->cmos, &c->line);
	return c;
}

static void ctx_free(struct ctx *c)
{
	cmos_device_ops.destroy(c->cmos);
	bus_destroy(&c->io);
	free(c);
}

static int setup(void **state)
{
	*state = ctx_new(T0);
	return 0;
}

static int teardown(void **state)
{
	ctx_free(*state);
	return 0;
}

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

static uint8_t rd(struct ctx *c, uint8_t index)
{
	outb(c, 0x70, index);
	return inb(c, 0x71);
}

static void wr(struct ctx *c, uint8_t index, uint8_t v)
{
	outb(c, 0x70, index);
	outb(c, 0x71, v);
}

static void advance(struct ctx *c, int64_t ns)
{
	int64_t t = (int64_t)c->now.tv_nsec + ns;

	c->now.tv_sec += t / 1000000000;
	c->now.tv_nsec = t % 1000000000;
}

struct regs {
	uint8_t sec, min, hour, wday, mday, mon, year, century;
};

static void assert_time(struct ctx *c, struct regs r)
{
	assert_int_equal(rd(c, CMOS_SECONDS), r.sec);
	assert_int_equal(rd(c, CMOS_MINUTES), r.min);
	assert_int_equal(rd(c, CMOS_HOURS), r.hour);
	assert_int_equal(rd(c, CMOS_DAY_OF_WEEK), r.wday);
	assert_int_equal(rd(c, CMOS_DAY_OF_MONTH), r.mday);
	assert_int_equal(rd(c, CMOS_MONTH), r.mon);
	assert_int_equal(rd(c, CMOS_YEAR), r.year);
	assert_int_equal(rd(c, CMOS_CENTURY), r.century);
}

static void test_power_on_registers(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(rd(c, CMOS_REG_A), 0x26);
	assert_int_equal(rd(c, CMOS_REG_B), 0x02);
	assert_int_equal(rd(c, CMOS_REG_C), 0x00);
	assert_int_equal(rd(c, CMOS_REG_D), 0x80);
	/* NVRAM starts zero. */
	for (unsigned a = 0x0e; a < CMOS_SIZE; a++)
		if (a != CMOS_CENTURY && a != CMOS_CENTURY_PS2)
			assert_int_equal(rd(c, (uint8_t)a), 0);
}

/* QEMU's default: BCD, 24-hour. */
static void test_bcd_24h(void **state)
{
	struct ctx *c = *state;

	assert_time(c, (struct regs){ 0x09, 0x05, 0x21, 0x02, 0x23, 0x11,
				      0x26, 0x20 });
	/* The PS/2 alias reads the century and moves the index to 0x32. */
	assert_int_equal(rd(c, CMOS_CENTURY_PS2), 0x20);
	assert_int_equal(inb(c, 0x71), 0x20);
	wr(c, CMOS_CENTURY_PS2, 0x20); /* writes go to 0x32 too */
	assert_int_equal(cmos_get_byte(c->cmos, CMOS_CENTURY_PS2), 0);
}

static void test_binary_24h(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	assert_time(c, (struct regs){ 9, 5, 21, 2, 23, 11, 26, 20 });
}

static void test_bcd_12h(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_REG_B, 0);
	/* 21:05 is 9 PM: 9 with bit 7. */
	assert_int_equal(rd(c, CMOS_HOURS), 0x89);
	assert_int_equal(rd(c, CMOS_MINUTES), 0x05);
	/* 00:30 is 12 AM, 12:00 is 12 PM. */
	cmos_set_time(c->cmos, 1795393800); /* 2026-11-23 00:30:00 */
	assert_int_equal(rd(c, CMOS_HOURS), 0x12);
	assert_int_equal(rd(c, CMOS_MINUTES), 0x30);
	cmos_set_time(c->cmos, 1795435200); /* 2026-11-23 12:00:00 */
	assert_int_equal(rd(c, CMOS_HOURS), 0x92);
	/* 11 AM and 1 PM around noon. */
	cmos_set_time(c->cmos, 1795435200 - 3600);
	assert_int_equal(rd(c, CMOS_HOURS), 0x11);
	cmos_set_time(c->cmos, 1795435200 + 3600);
	assert_int_equal(rd(c, CMOS_HOURS), 0x81);
}

static void test_binary_12h(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_REG_B, CMOS_B_DM);
	assert_int_equal(rd(c, CMOS_HOURS), 0x89);
	assert_int_equal(rd(c, CMOS_DAY_OF_MONTH), 23);
	cmos_set_time(c->cmos, 1795393800); /* 00:30 */
	assert_int_equal(rd(c, CMOS_HOURS), 12);
	cmos_set_time(c->cmos, 1795435200); /* 12:00 */
	assert_int_equal(rd(c, CMOS_HOURS), 0x80 | 12);
	/* 24-hour midnight is plain 0. */
	wr(c, CMOS_REG_B, CMOS_B_DM | CMOS_B_24H);
	cmos_set_time(c->cmos, 1795393800);
	assert_int_equal(rd(c, CMOS_HOURS), 0);
}

static void test_clock_runs(void **state)
{
	struct ctx *c = *state;

	advance(c, 61ll * 1000000000);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x10);
	assert_int_equal(rd(c, CMOS_MINUTES), 0x06);
	/* Across a century: 2099-12-31 23:59:59 + 1 s is a Friday. */
	cmos_set_time(c->cmos, 4102444799);
	assert_time(c, (struct regs){ 0x59, 0x59, 0x23, 0x05, 0x31, 0x12,
				      0x99, 0x20 });
	advance(c, 1000000000);
	assert_time(c, (struct regs){ 0x00, 0x00, 0x00, 0x06, 0x01, 0x01,
				      0x00, 0x21 });
}

/* With SET, the registers hold what the guest wrote; the clock runs on
 * from there once SET is cleared. */
static void test_set_mode_write(void **state)
{
	struct ctx *c = *state;

	advance(c, 250000000); /* a quarter second into the guest second */
	wr(c, CMOS_REG_B, CMOS_B_SET | CMOS_B_24H);
	wr(c, CMOS_YEAR, 0x30);
	wr(c, CMOS_MONTH, 0x01);
	wr(c, CMOS_DAY_OF_MONTH, 0x02);
	wr(c, CMOS_HOURS, 0x03);
	wr(c, CMOS_MINUTES, 0x04);
	wr(c, CMOS_SECONDS, 0x05);
	/* Frozen while SET is held. */
	advance(c, 3ll * 1000000000);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x05);
	assert_int_equal(rd(c, CMOS_YEAR), 0x30);
	wr(c, CMOS_REG_B, CMOS_B_24H);
	assert_int_equal(rd(c, CMOS_REG_B), CMOS_B_24H);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x05);
	/* The sub-second phase (0.25 s) is kept: 0.75 s later it is :06. */
	advance(c, 749000000);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x05);
	advance(c, 1000000);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x06);
	advance(c, 2ll * 1000000000);
	/* The day of week is recomputed: 2030-01-02 is a Wednesday (4). */
	assert_time(c, (struct regs){ 0x08, 0x04, 0x03, 0x04, 0x02, 0x01,
				      0x30, 0x20 });
}

/* QEMU applies a time write at once when the clock runs (no SET). */
static void test_running_write(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_MINUTES, 0x30);
	assert_int_equal(rd(c, CMOS_MINUTES), 0x30);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x09);
	advance(c, 1000000000);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x10);
	assert_int_equal(rd(c, CMOS_MINUTES), 0x30);
	assert_int_equal(rd(c, CMOS_HOURS), 0x21);
}

/* A 12-hour PM hour written by the guest reads back as 24-hour 13. */
static void test_12h_write(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_REG_B, CMOS_B_SET);
	wr(c, CMOS_HOURS, 0x81); /* 1 PM */
	wr(c, CMOS_REG_B, 0);
	wr(c, CMOS_REG_B, CMOS_B_24H);
	assert_int_equal(rd(c, CMOS_HOURS), 0x13);
	/* 12 AM is midnight. */
	wr(c, CMOS_REG_B, CMOS_B_SET);
	wr(c, CMOS_HOURS, 0x12);
	wr(c, CMOS_REG_B, 0);
	wr(c, CMOS_REG_B, CMOS_B_24H);
	assert_int_equal(rd(c, CMOS_HOURS), 0x00);
}

static void test_uip_window(void **state)
{
	struct ctx *c = *state;
	const int64_t edge = 1000000000 - CMOS_UIP_HOLD_NS;

	assert_int_equal(CMOS_UIP_HOLD_NS, 244140);
	assert_int_equal(rd(c, CMOS_REG_A), 0x26);
	advance(c, edge - 1);
	assert_int_equal(rd(c, CMOS_REG_A), 0x26);
	advance(c, 1);
	assert_int_equal(rd(c, CMOS_REG_A), 0xa6);
	advance(c, CMOS_UIP_HOLD_NS - 1);
	assert_int_equal(rd(c, CMOS_REG_A), 0xa6);
	advance(c, 1); /* the next second has begun */
	assert_int_equal(rd(c, CMOS_REG_A), 0x26);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x10);
	/* Never while SET is held or the divider is stopped. */
	advance(c, edge);
	assert_int_equal(rd(c, CMOS_REG_A), 0xa6);
	wr(c, CMOS_REG_B, CMOS_B_SET | CMOS_B_24H);
	assert_int_equal(rd(c, CMOS_REG_A), 0x26);
	wr(c, CMOS_REG_B, CMOS_B_24H);
	wr(c, CMOS_REG_A, 0x76);
	assert_int_equal(rd(c, CMOS_REG_A), 0x76);
	/* The guest cannot write UIP. */
	wr(c, CMOS_REG_A, 0xa6);
	assert_int_equal(cmos_get_byte(c->cmos, CMOS_REG_A), 0x26);
}

/* Leaving divider reset restarts the clock half a second into a second. */
/*
 * The alarm as a wake source: T0 is 21:05:09 (BCD, 24-hour).  Every field
 * "don't care": the next second.  A seconds alarm: later this minute or in
 * the next.  An hours alarm: tomorrow when the hour has passed.  Nothing
 * without AIE or while the clock is stopped.  Firing sets AF and IRQF.
 */
static void test_alarm_wake(void **state)
{
	struct ctx *c = *state;
	const int64_t s = 1000000000;

	wr(c, CMOS_SECONDS_ALARM, 0xc0);
	wr(c, CMOS_MINUTES_ALARM, 0xff);
	wr(c, CMOS_HOURS_ALARM, 0xc0);
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), -1); /* AIE clear */
	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_AIE);
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), s);
	advance(c, s / 4); /* a quarter into the second */
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), 3 * s / 4);
	wr(c, CMOS_SECONDS_ALARM, 0x30); /* :30, BCD */
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), 21 * s - s / 4);
	wr(c, CMOS_SECONDS_ALARM, 0x05); /* :05 is past: the next minute */
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), 56 * s - s / 4);
	wr(c, CMOS_SECONDS_ALARM, 0x00);
	wr(c, CMOS_MINUTES_ALARM, 0x00);
	wr(c, CMOS_HOURS_ALARM, 0x21); /* 21:00:00 was 5:09 ago: tomorrow */
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), (86400 - 309) * s - s / 4);
	wr(c, CMOS_HOURS_ALARM, 0x22); /* 22:00:00 */
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), (3600 - 309) * s - s / 4);
	/* 12-hour form: 10 PM is 0x80 | 0x10. */
	wr(c, CMOS_REG_B, CMOS_B_AIE);
	wr(c, CMOS_HOURS_ALARM, 0x90);
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), (3600 - 309) * s - s / 4);
	/* The clock stopped (SET): no alarm. */
	wr(c, CMOS_REG_B, CMOS_B_SET | CMOS_B_24H | CMOS_B_AIE);
	assert_int_equal(cmos_alarm_wait_ns(c->cmos), -1);
	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_AIE);
	c->irq_calls = 0;
	cmos_alarm_fired(c->cmos);
	assert_true(c->irq_level);
	assert_int_equal(rd(c, CMOS_REG_C), CMOS_C_IRQF | CMOS_C_AF);
	assert_false(c->irq_level); /* reading C clears it and the line */
	assert_int_equal(rd(c, CMOS_REG_C), 0);
}

static void test_divider_reset(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_REG_A, 0x66);
	advance(c, 10ll * 1000000000);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x09); /* stopped */
	wr(c, CMOS_REG_A, 0x26);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x09);
	assert_int_equal(rd(c, CMOS_REG_A), 0x26);
	advance(c, 500000000 - CMOS_UIP_HOLD_NS);
	assert_int_equal(rd(c, CMOS_REG_A), 0xa6);
	advance(c, CMOS_UIP_HOLD_NS);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x10);
}

static void test_reg_b_c_d(void **state)
{
	struct ctx *c = *state;

	/* SET clears UIE. */
	wr(c, CMOS_REG_B, CMOS_B_SET | CMOS_B_UIE | CMOS_B_24H);
	assert_int_equal(rd(c, CMOS_REG_B), CMOS_B_SET | CMOS_B_24H);
	wr(c, CMOS_REG_B, CMOS_B_24H);
	/* C and D ignore writes; reading C clears it. */
	wr(c, CMOS_REG_C, 0xff);
	wr(c, CMOS_REG_D, 0x00);
	assert_int_equal(rd(c, CMOS_REG_C), 0);
	assert_int_equal(rd(c, CMOS_REG_D), 0x80);
	assert_int_equal(cmos_set_byte(c->cmos, CMOS_REG_C, 0xf0), 0);
	assert_int_equal(rd(c, CMOS_REG_C), 0xf0);
	assert_int_equal(rd(c, CMOS_REG_C), 0x00);
	/* Enabling UIE while UF is pending raises IRQF and the line. */
	assert_int_equal(cmos_set_byte(c->cmos, CMOS_REG_C, CMOS_C_UF), 0);
	c->irq_calls = 0;
	wr(c, CMOS_REG_B, CMOS_B_UIE | CMOS_B_24H);
	assert_true(c->irq_level);
	assert_int_equal(cmos_get_byte(c->cmos, CMOS_REG_C),
			 CMOS_C_IRQF | CMOS_C_UF);
	assert_int_equal(rd(c, CMOS_REG_C), CMOS_C_IRQF | CMOS_C_UF);
	assert_false(c->irq_level);
	assert_int_equal(c->irq_calls, 2);
}

static void test_nmi_bit_and_index(void **state)
{
	struct ctx *c = *state;
	uint8_t w[2] = { 0x0d, 0x00 }, r[2];

	/* Bit 7 is the NMI mask, not part of the index. */
	outb(c, 0x70, 0x80 | CMOS_REG_D);
	assert_true(cmos_nmi_disabled(c->cmos));
	assert_int_equal(inb(c, 0x71), 0x80);
	outb(c, 0x70, CMOS_REG_D);
	assert_false(cmos_nmi_disabled(c->cmos));
	assert_int_equal(inb(c, 0x71), 0x80);
	/* 0xff: index 0x7f, the last NVRAM byte, NMIs masked. */
	assert_int_equal(cmos_set_byte(c->cmos, 0x7f, 0x5a), 0);
	outb(c, 0x70, 0xff);
	assert_true(cmos_nmi_disabled(c->cmos));
	assert_int_equal(inb(c, 0x71), 0x5a);
	outb(c, 0x71, 0xa5);
	assert_int_equal(cmos_get_byte(c->cmos, 0x7f), 0xa5);
	/* The index port reads as 0xff. */
	assert_int_equal(inb(c, 0x70), 0xff);
	/* Only byte accesses reach the device. */
	assert_int_equal(bus_write(&c->io, 0x70, w, 2), BUS_BAD_WIDTH);
	assert_int_equal(bus_read(&c->io, 0x70, r, 2), BUS_BAD_WIDTH);
	assert_int_equal(r[0], 0xff);
	assert_int_equal(r[1], 0xff);
	assert_int_equal(cmos_get_byte(c->cmos, 0x7f), 0xa5);
}

static void test_nvram_host_access(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(cmos_set_byte(c->cmos, 0x40, 0x12), 0);
	assert_int_equal(rd(c, 0x40), 0x12);
	wr(c, 0x41, 0x34);
	assert_int_equal(cmos_get_byte(c->cmos, 0x41), 0x34);
	err_clear();
	assert_int_equal(cmos_set_byte(c->cmos, 128, 1), -1);
	assert_non_null(strstr(err_msg(), "0x80"));
	assert_int_equal(cmos_get_byte(c->cmos, 200), -1);
	/* Alarm registers are plain storage. */
	wr(c, CMOS_HOURS_ALARM, 0xc0);
	assert_int_equal(rd(c, CMOS_HOURS_ALARM), 0xc0);
}

static void test_reset(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_SHUTDOWN_STATUS, 0x05);
	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_PIE | CMOS_B_AIE | CMOS_B_SQWE |
				  CMOS_B_DM);
	assert_int_equal(cmos_set_byte(c->cmos, CMOS_REG_C, 0xf0), 0);
	cmos_device_ops.reset(c->cmos);
	assert_int_equal(rd(c, CMOS_SHUTDOWN_STATUS), 0);
	assert_int_equal(rd(c, CMOS_REG_B), CMOS_B_24H | CMOS_B_DM);
	assert_int_equal(rd(c, CMOS_REG_C), 0);
	assert_false(c->irq_level);
	/* 0xfe (S3 resume) survives a reset. */
	wr(c, CMOS_SHUTDOWN_STATUS, 0xfe);
	cmos_device_ops.reset(c->cmos);
	assert_int_equal(rd(c, CMOS_SHUTDOWN_STATUS), 0xfe);
}

/*
 * A reset is not a power cycle (QEMU rtc_reset_enter): on a device just
 * powered on it changes nothing, and otherwise only what it names goes
 * back to power-on; NVRAM, the index, the time and the running clock stay.
 */
static void test_reset_keeps_nvram_and_time(void **state)
{
	struct ctx *c = *state, *fresh = ctx_new(T0);
	struct state_writer w, wf;

	state_writer_init(&w);
	state_writer_init(&wf);
	cmos_device_ops.reset(fresh->cmos);
	assert_int_equal(cmos_device_ops.save(c->cmos, &w), 0);
	assert_int_equal(cmos_device_ops.save(fresh->cmos, &wf), 0);
	assert_int_equal(w.len, wf.len);
	assert_memory_equal(w.buf, wf.buf, w.len); /* power-on, reset or not */

	wr(c, 0x40, 0x99);
	wr(c, CMOS_MINUTES, 0x42);
	advance(c, 3000000000ll);
	cmos_device_ops.reset(c->cmos);
	assert_int_equal(rd(c, 0x40), 0x99);
	assert_int_equal(rd(c, CMOS_MINUTES), 0x42);
	assert_int_equal(rd(c, CMOS_SECONDS), 0x12); /* 09 + 3 s */
	assert_int_equal(rd(c, CMOS_REG_A), CMOS_REG_A_INIT);
	assert_int_equal(rd(c, CMOS_REG_B), CMOS_REG_B_INIT);
	assert_int_equal(rd(c, CMOS_REG_D), CMOS_REG_D_INIT);
	state_writer_free(&w);
	state_writer_free(&wf);
	ctx_free(fresh);
}

/* ---- save and load (device.h) ---- */

UNIT_CTX_STATE(cmos_device_ops, cmos)

/* Where the saved fields sit (cmos_save's layout). */
enum {
	AT_INDEX = CMOS_SIZE,
	AT_NMI,
	AT_SEC,
	AT_NSEC = AT_SEC + 8,
	SAVED_LEN = AT_NSEC + 4,
};

/*
 * NVRAM written through the ports, the time set (binary, 24-hour), an
 * update-ended flag whose interrupt got enabled (IRQF and the line up),
 * the divider reset and restarted (the guest's seconds now start half a
 * host second apart from the host's), and the index left at an NVRAM byte
 * with the NMI bit set.  The clock then runs to 200 us before a guest
 * second ends (UIP).
 */
static void busy_state(struct ctx *c)
{
	for (unsigned i = 0; i < 16; i++)
		wr(c, (uint8_t)(0x40 + i), (uint8_t)(0xa0 + i));
	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM | CMOS_B_SET);
	wr(c, CMOS_HOURS, 23);
	wr(c, CMOS_MINUTES, 59);
	wr(c, CMOS_SECONDS, 58);
	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	assert_int_equal(cmos_set_byte(c->cmos, CMOS_REG_C, CMOS_C_UF), 0);
	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM | CMOS_B_UIE);
	assert_true(c->irq_level);
	/* Out of divider reset: the guest's second is half a host second off. */
	wr(c, CMOS_REG_A, 0x70);
	wr(c, CMOS_REG_A, CMOS_REG_A_INIT);
	outb(c, 0x70, CMOS_INDEX_NMI_DISABLE | 0x45);
	advance(c, 500000000ll - 200000);
}

static void same_behaviour(struct ctx *a, struct ctx *b)
{
	static const uint8_t regs[] = {
		CMOS_REG_A,   CMOS_SECONDS,	 CMOS_MINUTES, CMOS_HOURS,
		CMOS_DAY_OF_WEEK, CMOS_DAY_OF_MONTH, CMOS_MONTH, CMOS_YEAR,
		CMOS_CENTURY, CMOS_REG_B,	 CMOS_REG_D,   CMOS_CENTURY_PS2,
		0x40,	      0x4f,
	};

	assert_int_equal(a->irq_level, b->irq_level);
	assert_int_equal(cmos_nmi_disabled(a->cmos), cmos_nmi_disabled(b->cmos));
	/* The data port without an index write: the saved index. */
	assert_int_equal(inb(a, 0x71), inb(b, 0x71));
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < sizeof(regs); i++)
			assert_int_equal(rd(a, regs[i]), rd(b, regs[i]));
		assert_int_equal(rd(a, CMOS_REG_C), rd(b, CMOS_REG_C));
		assert_int_equal(a->irq_level, b->irq_level);
		advance(a, 700000000ll);
		advance(b, 700000000ll);
	}
	assert_false(b->irq_level);
}

static void test_save_load_same_behaviour(void **state)
{
	struct ctx *a = *state, *b = ctx_new(T0 + 5000);
	struct state_writer w;

	busy_state(a);
	assert_int_equal(rd(a, CMOS_REG_A) & CMOS_A_UIP, CMOS_A_UIP);
	outb(a, 0x70, CMOS_INDEX_NMI_DISABLE | 0x45);
	save(a, &w);
	assert_int_equal(w.len, SAVED_LEN);
	/* An hour later on the host, for both: the offset is what counts. */
	a->now.tv_sec += 3600;
	b->now = a->now;
	assert_int_equal(load(b, w.buf, w.len), 0);
	assert_true(b->irq_level); /* IRQF came back with the line */
	same_behaviour(a, b);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_load_truncated_or_out_of_range(void **state)
{
	struct ctx *a = *state, *b = ctx_new(T0);
	struct state_writer w;
	uint8_t keep;

	busy_state(a);
	save(a, &w);
	refuses_truncated(b, &w);

	keep = w.buf[AT_INDEX];
	w.buf[AT_INDEX] = 200;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_INDEX] = keep;
	w.buf[AT_NMI] = 2;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_NMI] = 1;
	w.buf[CMOS_REG_A] |= CMOS_A_UIP;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[CMOS_REG_A] &= (uint8_t)~CMOS_A_UIP;
	w.buf[CMOS_REG_C] |= 0x01;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[CMOS_REG_C] &= (uint8_t)~0x01;
	keep = w.buf[AT_NSEC + 3];
	w.buf[AT_NSEC + 3] = 0x3c; /* 0x3c...: a second or more */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_NSEC + 3] = keep;
	keep = w.buf[AT_SEC + 7];
	w.buf[AT_SEC + 7] = 0x40; /* far in the future */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_SEC + 7] = 0xc0; /* far in the past */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_SEC + 7] = keep;
	/* Nothing of the refused streams was taken; the good one loads. */
	assert_int_equal(rd(b, 0x40), 0);
	assert_false(b->irq_level);
	assert_int_equal(load(b, w.buf, w.len), 0);
	assert_int_equal(rd(b, 0x40), 0xa0);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_mktime(void **state)
{
	static const int dates[][6] = {
		{ 1970, 1, 1, 0, 0, 0 },      { 2000, 2, 29, 12, 0, 0 },
		{ 1900, 3, 1, 0, 0, 0 },      { 2100, 2, 28, 23, 59, 59 },
		{ 2026, 11, 23, 21, 5, 9 },   { 1999, 12, 31, 23, 59, 59 },
		{ 1601, 1, 1, 0, 0, 0 },      { 9999, 12, 31, 23, 59, 59 },
		{ 2024, 13, 1, 0, 0, 0 }, /* month 13 folds into 2025 */
		{ 2024, 0, 1, 0, 0, 0 }, /* month 0 is December 2023 */
	};

	(void)state;
	assert_int_equal(cmos_mktime_utc(2026, 11, 23, 21, 5, 9), T0);
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		struct tm tm = { .tm_year = dates[i][0] - 1900,
				 .tm_mon = dates[i][1] - 1,
				 .tm_mday = dates[i][2],
				 .tm_hour = dates[i][3],
				 .tm_min = dates[i][4],
				 .tm_sec = dates[i][5] };

		assert_int_equal(cmos_mktime_utc(dates[i][0], dates[i][1],
						 dates[i][2], dates[i][3],
						 dates[i][4], dates[i][5]),
				 (int64_t)timegm(&tm));
	}
	/* Every day for 1000 years, against the C library. */
	for (int64_t t = -2208988800ll; t < 29379542400ll; t += 86400 + 3661) {
		time_t tt = (time_t)t;
		struct tm tm;

		assert_non_null(gmtime_r(&tt, &tm));
		assert_int_equal(cmos_mktime_utc(tm.tm_year + 1900,
						 tm.tm_mon + 1, tm.tm_mday,
						 tm.tm_hour, tm.tm_min,
						 tm.tm_sec),
				 t);
	}
}

/* Garbage in the date registers must not upset anything (no UB). */
static void test_garbage_registers(void **state)
{
	struct ctx *c = *state;

	wr(c, CMOS_REG_B, CMOS_B_SET | CMOS_B_24H);
	for (uint8_t r = CMOS_SECONDS; r <= CMOS_YEAR; r++)
		wr(c, r, 0xff);
	wr(c, CMOS_CENTURY, 0xff);
	wr(c, CMOS_REG_B, CMOS_B_24H);
	advance(c, 1000000000);
	(void)rd(c, CMOS_SECONDS);
	(void)rd(c, CMOS_CENTURY);
	wr(c, CMOS_REG_B, CMOS_B_24H | CMOS_B_DM);
	wr(c, CMOS_CENTURY, 0x7f);
	(void)rd(c, CMOS_YEAR);
}

struct hammer {
	struct cmos *cmos;
	unsigned addr;
};

static void *hammer_thread(void *opaque)
{
	struct hammer *h = opaque;

	for (unsigned i = 0; i < 20000; i++) {
		uint8_t data = (uint8_t)i;

		cmos_set_byte(h->cmos, h->addr, (uint8_t)i);
		cmos_bus_ops.read(h->cmos, 1, &data, 1);
		cmos_bus_ops.write(h->cmos, 0, &data, 1);
	}
	return NULL;
}

/* Several threads at once: the lock keeps the state consistent. */
static void test_threads(void **state)
{
	struct ctx *c = *state;
	pthread_t th[4];
	struct hammer h[4];

	for (unsigned i = 0; i < 4; i++) {
		h[i] = (struct hammer){ c->cmos, 0x50 + i };
		assert_int_equal(pthread_create(&th[i], NULL, hammer_thread,
						&h[i]),
				 0);
	}
	for (unsigned i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(cmos_get_byte(c->cmos, 0x50 + i),
				 (uint8_t)19999);
}

static int bcd(int v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

/* The default clock is the host's UTC time. */
static void test_default_clock(void **state)
{
	struct cmos *cmos;
	time_t before = time(NULL), after;
	int64_t t;

	(void)state;
	cmos = cmos_create(NULL, NULL);
	assert_non_null(cmos);
	after = time(NULL);
	t = cmos_mktime_utc(bcd(cmos_get_byte(cmos, CMOS_CENTURY)) * 100 +
				    bcd(cmos_get_byte(cmos, CMOS_YEAR)),
			    bcd(cmos_get_byte(cmos, CMOS_MONTH)),
			    bcd(cmos_get_byte(cmos, CMOS_DAY_OF_MONTH)),
			    bcd(cmos_get_byte(cmos, CMOS_HOURS)),
			    bcd(cmos_get_byte(cmos, CMOS_MINUTES)),
			    bcd(cmos_get_byte(cmos, CMOS_SECONDS)));
	assert_true(t >= (int64_t)before && t <= (int64_t)after);
	cmos_device_ops.destroy(cmos);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_power_on_registers),
		T(test_bcd_24h),
		T(test_binary_24h),
		T(test_bcd_12h),
		T(test_binary_12h),
		T(test_clock_runs),
		T(test_set_mode_write),
		T(test_running_write),
		T(test_12h_write),
		T(test_uip_window),
		T(test_alarm_wake),
		T(test_divider_reset),
		T(test_reg_b_c_d),
		T(test_nmi_bit_and_index),
		T(test_nvram_host_access),
		T(test_reset),
		T(test_reset_keeps_nvram_and_time),
		T(test_save_load_same_behaviour),
		T(test_load_truncated_or_out_of_range),
		T(test_mktime),
		T(test_garbage_registers),
		T(test_threads),
		T(test_default_clock),
	};
#undef T

	log_set_level(LOG_ERROR); /* the bus reports refused widths */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
