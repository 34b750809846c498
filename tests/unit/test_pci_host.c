// SPDX-License-Identifier: MIT
/*
 * The 440FX host bridge behind configuration mechanism #1 (dev/pci_host.c,
 * PCI Local Bus Specification 3.0, 3.2.2.3.2): its identity, which bytes
 * the guest may write (PAM, SMRAM, command), the reset control register at
 * 0xcf9, and the device ops (reset to power-on, save/load checked against
 * the bytes the guest cannot write).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/pci_host.h"
#include "device.h"
#include "log.h"
#include "state.h"
#include "unit.h"

struct ctx {
	struct bus io;
	struct pci_host *host;
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
	c->host = pci_host_create(on_reset, c);
	assert_non_null(c->host);
	assert_int_equal(pci_host_register(c->host, &c->io), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	pci_host_device_ops.destroy(c->host);
	bus_destroy(&c->io);
	free(c);
}

static int setup(void **state)
{
	*state = ctx_new();
	return 0;
}

static int teardown(void **state)
{
	ctx_free(*state);
	return 0;
}

static void out(struct ctx *c, uint16_t port, uint32_t len, uint32_t v)
{
	uint8_t d[4];

	bus_data_put(d, len, v);
	assert_int_equal(bus_write(&c->io, port, d, len), BUS_OK);
}

static uint32_t in(struct ctx *c, uint16_t port, uint32_t len)
{
	uint8_t d[4];

	assert_int_equal(bus_read(&c->io, port, d, len), BUS_OK);
	return (uint32_t)bus_data_get(d, len);
}

/* A configuration dword of 00:00.0 (leaves 0xcf8 pointing at it). */
static uint32_t cfg_read(struct ctx *c, unsigned reg)
{
	out(c, PCI_CONFIG_ADDRESS_PORT, 4, 0x80000000u | reg);
	return in(c, PCI_CONFIG_DATA_PORT, 4);
}

static void test_identity_and_writable_bytes(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(cfg_read(c, 0x00), 0x12378086);
	assert_int_equal(cfg_read(c, 0x08), 0x06000002);
	/* Vendor and device are read-only; PAM0-6 (0x59-0x5f) are not. */
	out(c, PCI_CONFIG_DATA_PORT, 4, 0);
	assert_int_equal(cfg_read(c, 0x08), 0x06000002);
	out(c, PCI_CONFIG_ADDRESS_PORT, 4, 0x80000058u);
	out(c, PCI_CONFIG_DATA_PORT + 1, 1, 0x30);
	out(c, PCI_CONFIG_DATA_PORT + 2, 2, 0x3333);
	assert_int_equal(cfg_read(c, 0x58), 0x33333000);
	/* Nothing at 00:01.0: all-ones. */
	out(c, PCI_CONFIG_ADDRESS_PORT, 4, 0x80000800u);
	assert_int_equal(in(c, PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
	/* 0xcf9: SYS_RST is kept, RST_CPU 0 -> 1 asks for a reset. */
	out(c, PCI_RESET_CONTROL_PORT, 1, 0x02);
	assert_int_equal(in(c, PCI_RESET_CONTROL_PORT, 1), 0x02);
	assert_int_equal(c->resets, 0);
	out(c, PCI_RESET_CONTROL_PORT, 1, 0x06);
	assert_int_equal(c->resets, 1);
}

/* ---- save, load, reset (device.h) ---- */

static void save(struct ctx *c, struct state_writer *w)
{
	unit_state_save(&pci_host_device_ops, c->host, w);
}

static int load(struct ctx *c, const uint8_t *buf, size_t len)
{
	return unit_state_load(&pci_host_device_ops, c->host, buf, len);
}

enum { AT_ADDRESS = 0, AT_RCR = 4, AT_CONFIG = 5,
       SAVED_LEN = AT_CONFIG + PCI_HOST_CONFIG_SIZE };

/*
 * SeaBIOS's steps: PAM0-6 opened for read/write, the command register
 * rewritten, SMRAM touched; SYS_RST chosen at 0xcf9; 0xcf8 left at the
 * SMRAM dword.
 */
static void busy_state(struct ctx *c)
{
	out(c, PCI_CONFIG_ADDRESS_PORT, 4, 0x80000058u);
	out(c, PCI_CONFIG_DATA_PORT, 4, 0x33333300);
	out(c, PCI_CONFIG_ADDRESS_PORT, 4, 0x8000005cu);
	out(c, PCI_CONFIG_DATA_PORT, 4, 0x33333333);
	out(c, PCI_CONFIG_ADDRESS_PORT, 4, 0x80000004u);
	out(c, PCI_CONFIG_DATA_PORT, 2, 0x0007);
	out(c, PCI_RESET_CONTROL_PORT, 1, 0x02);
	out(c, PCI_CONFIG_ADDRESS_PORT, 4, 0x80000070u);
	out(c, PCI_CONFIG_DATA_PORT + 2, 1, 0x0a);
}

static void same_behaviour(struct ctx *a, struct ctx *b)
{
	assert_int_equal(in(a, PCI_CONFIG_ADDRESS_PORT, 4),
			 in(b, PCI_CONFIG_ADDRESS_PORT, 4));
	assert_int_equal(in(a, PCI_RESET_CONTROL_PORT, 1),
			 in(b, PCI_RESET_CONTROL_PORT, 1));
	/* The data port at the saved address, before anything selects. */
	assert_int_equal(in(a, PCI_CONFIG_DATA_PORT, 4),
			 in(b, PCI_CONFIG_DATA_PORT, 4));
	for (unsigned reg = 0; reg < PCI_HOST_CONFIG_SIZE; reg += 4)
		assert_int_equal(cfg_read(a, reg), cfg_read(b, reg));
	out(a, PCI_RESET_CONTROL_PORT, 1, 0x06);
	out(b, PCI_RESET_CONTROL_PORT, 1, 0x06);
	assert_int_equal(a->resets, 1);
	assert_int_equal(b->resets, 1);
}

static void test_save_load_same_behaviour(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct state_writer w, w2;

	busy_state(a);
	save(a, &w);
	assert_int_equal(w.len, SAVED_LEN);
	assert_int_equal(load(b, w.buf, w.len), 0);
	save(b, &w2);
	assert_int_equal(w2.len, w.len);
	assert_memory_equal(w2.buf, w.buf, w.len);
	same_behaviour(a, b);
	assert_int_equal(cfg_read(b, 0x5c), 0x33333333);
	state_writer_free(&w2);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_load_truncated_or_out_of_range(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	struct state_writer w;

	busy_state(a);
	save(a, &w);
	for (size_t len = 0; len < w.len; len++)
		assert_int_equal(load(b, w.buf, len), -1);
	w.buf[AT_ADDRESS] |= 0x01; /* 0xcf8 keeps no bits 0-1 */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_ADDRESS] &= (uint8_t)~0x01;
	w.buf[AT_ADDRESS + 3] = 0x40; /* nor bits 24-30 */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_ADDRESS + 3] = 0x80;
	w.buf[AT_RCR] = 0x04; /* RST_CPU is never kept */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_RCR] = 0x02;
	w.buf[AT_CONFIG + 0x02] = 0x38; /* device 0x1238: not a 440FX */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_CONFIG + 0x02] = 0x37;
	w.buf[AT_CONFIG + 0x80] = 0x01; /* beyond the writable bytes */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_CONFIG + 0x80] = 0x00;
	/* Nothing of the refused streams was taken; the good one loads. */
	assert_int_equal(cfg_read(b, 0x58), 0);
	assert_int_equal(load(b, w.buf, w.len), 0);
	assert_int_equal(cfg_read(b, 0x58), 0x33333300);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_reset_is_power_on(void **state)
{
	struct ctx *a = *state, *fresh = ctx_new();
	struct state_writer wa, wf;

	busy_state(a);
	pci_host_device_ops.reset(a->host);
	save(a, &wa);
	save(fresh, &wf);
	assert_int_equal(wa.len, wf.len);
	assert_memory_equal(wa.buf, wf.buf, wf.len);
	assert_int_equal(in(a, PCI_CONFIG_ADDRESS_PORT, 4), 0);
	assert_int_equal(cfg_read(a, 0x58), 0); /* PAM closed again */
	assert_int_equal(cfg_read(a, 0x04), 0x02800006);
	assert_int_equal(a->resets, 0);
	state_writer_free(&wa);
	state_writer_free(&wf);
	ctx_free(fresh);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity_and_writable_bytes),
		T(test_save_load_same_behaviour),
		T(test_load_truncated_or_out_of_range),
		T(test_reset_is_power_on),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("pci_host", tests, NULL, NULL);
}
