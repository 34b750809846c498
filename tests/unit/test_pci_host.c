// SPDX-License-Identifier: MIT
/*
 * The 440FX host bridge behind configuration mechanism #1 (dev/pci_host.c,
 * PCI Local Bus Specification 3.0, 3.2.2.3.2): its identity, which bytes
 * the guest may write (PAM, SMRAM, command), the reset control register at
 * 0xcf9, and the device ops (reset to power-on, save/load checked against
 * the bytes the guest cannot write).  Then bus 0 with devices on it (the
 * fake of pci_fake.h): slots, unknown functions, BAR assignment without
 * firmware, MMIO against a concurrent BAR move, and reset, save and load
 * of the devices' configuration space and MSI-X tables.
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
#include "dev/pci_host.h"
#include "device.h"
#include "log.h"
#include "pci_fake.h"
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

UNIT_CTX_FIXTURE()

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

UNIT_CTX_STATE(pci_host_device_ops, host)

enum { AT_ADDRESS = 0, AT_RCR = 4, AT_CONFIG = 5,
       AT_COUNT = AT_CONFIG + PCI_HOST_CONFIG_SIZE,
       SAVED_LEN = AT_COUNT + 1 };

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
	struct state_writer w;

	busy_state(a);
	save(a, &w);
	assert_int_equal(w.len, SAVED_LEN);
	assert_int_equal(load(b, w.buf, w.len), 0);
	resaves(b, &w);
	same_behaviour(a, b);
	assert_int_equal(cfg_read(b, 0x5c), 0x33333333);
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

/* ---- bus 0 with devices ---- */

#define SLOT 2
#define BAR0 0xe0001000ull
#define BAR2 0xe0004000ull

static void test_slots(void **state)
{
	struct bus0 *b = bus0_new();
	struct fake *f[PCI_HOST_SLOTS];

	(void)state;
	for (unsigned i = 0; i < PCI_HOST_SLOTS; i++)
		f[i] = fake_new();
	assert_int_equal(pci_host_free_slot(b->host), PCI_HOST_FIRST_SLOT);
	assert_int_equal(pci_host_add_device(b->host, &f[0]->pci, 2), 0);
	assert_int_equal(f[0]->pci.devfn, 2 << 3);
	assert_ptr_equal(pci_host_device(b->host, 2), &f[0]->pci);
	assert_null(pci_host_device(b->host, 3));
	assert_null(pci_host_device(b->host, 99));
	/* A taken slot, the host bridge's, one past the bus, a device twice. */
	assert_int_equal(pci_host_add_device(b->host, &f[1]->pci, 2), -1);
	assert_err_contains("slot 2 is taken by fake");
	assert_int_equal(pci_host_add_device(b->host, &f[1]->pci, 0), -1);
	assert_int_equal(pci_host_add_device(b->host, &f[1]->pci, 32), -1);
	assert_int_equal(pci_host_add_device(b->host, &f[0]->pci, 3), -1);
	assert_err_contains("already at 00:02.0");
	assert_int_equal(b->host->nr_devices, 1);
	/* The machine hands out 3 next; slot 1 is there for the asking. */
	assert_int_equal(pci_host_free_slot(b->host), 3);
	assert_int_equal(pci_host_add_device(b->host, &f[1]->pci, 1), 0);
	for (unsigned slot = 3; slot < PCI_HOST_SLOTS; slot++) {
		assert_int_equal(pci_host_free_slot(b->host), (int)slot);
		assert_int_equal(pci_host_add_device(b->host, &f[slot - 1]->pci, slot), 0);
	}
	assert_int_equal(b->host->nr_devices, 31);
	assert_int_equal(pci_host_free_slot(b->host), -1);
	assert_err_contains("every slot");
	/* Each answers at its own slot. */
	for (unsigned slot = 1; slot < PCI_HOST_SLOTS; slot++)
		assert_int_equal(cfg_rd(b, slot, PCI_VENDOR_ID, 4), 0x56781234);
	bus0_free(b);
	for (unsigned i = 0; i < PCI_HOST_SLOTS; i++)
		fake_free(f[i]);
}

/* What is not there reads all-ones, and a write to it changes nothing. */
static void test_unknown_devfn(void **state)
{
	struct bus0 *b = bus0_new();
	struct fake *f = fake_new();

	(void)state;
	assert_int_equal(pci_host_add_device(b->host, &f->pci, SLOT), 0);
	assert_int_equal(cfg_rd(b, 0, PCI_VENDOR_ID, 4), 0x12378086);
	assert_int_equal(cfg_rd(b, SLOT, PCI_VENDOR_ID, 4), 0x56781234);
	assert_int_equal(cfg_rd(b, 1, PCI_VENDOR_ID, 4), 0xffffffffu);
	assert_int_equal(cfg_rd(b, 3, PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(cfg_rd(b, 31, PCI_COMMAND, 1), 0xff);
	for (unsigned fn = 1; fn < 8; fn++) {
		cfg_select(b, SLOT, fn, 0);
		assert_int_equal(port_in(b, PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
		cfg_select(b, 0, fn, 0);
		assert_int_equal(port_in(b, PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
	}
	for (unsigned bus = 1; bus < 256; bus *= 3) {
		port_out(b, PCI_CONFIG_ADDRESS_PORT, 4, 0x80000000u | bus << 16 | SLOT << 11);
		assert_int_equal(port_in(b, PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
		port_out(b, PCI_CONFIG_DATA_PORT, 4, PCI_COMMAND_MEMORY);
	}
	cfg_select(b, SLOT, 1, PCI_COMMAND);
	port_out(b, PCI_CONFIG_DATA_PORT, 2, PCI_COMMAND_MEMORY);
	cfg_wr(b, 3, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(cfg_rd(b, SLOT, PCI_COMMAND, 2), 0);
	/* And MMIO in the window where no BAR is: all-ones. */
	assert_int_equal(mmio_rd(b, FAKE_WINDOW_BASE, 4), 0xffffffffu);
	assert_int_equal(mmio_rd(b, FAKE_WINDOW_END - 8, 8), ~0ull);
	mmio_wr(b, FAKE_WINDOW_BASE + 0x1000, 4, 0);
	assert_int_equal(f->writes, 0);
	bus0_free(b);
	fake_free(f);
}

/* Without firmware: slot by slot, BAR by BAR, naturally aligned. */
static void test_assign_bars(void **state)
{
	struct bus0 *b = bus0_new();
	struct fake *f2 = fake_new(), *f5 = fake_new();

	(void)state;
	assert_int_equal(pci_host_add_device(b->host, &f5->pci, 5), 0);
	assert_int_equal(pci_host_add_device(b->host, &f2->pci, 2), 0);
	assert_int_equal(pci_host_assign_bars(b->host, 0xe0000800, 0xe0010000), 0);
	assert_int_equal(pci_bar_address(&f2->pci, 0), 0xe0001000);
	assert_int_equal(pci_bar_address(&f2->pci, 2), 0xe0004000);
	assert_int_equal(pci_bar_address(&f5->pci, 0), 0xe0008000);
	assert_int_equal(pci_bar_address(&f5->pci, 2), 0xe000c000);
	assert_int_equal(cfg_rd(b, 5, PCI_BASE_ADDRESS_0 + 8, 4), 0xe000c004);
	assert_int_equal(cfg_rd(b, 5, PCI_BASE_ADDRESS_0 + 12, 4), 0);
	assert_int_equal(cfg_rd(b, 2, PCI_COMMAND, 2),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(f2->nr_moves, 2);
	assert_int_equal(f2->moves[1].new_addr, 0xe0004000);
	assert_int_equal(mmio_rd(b, 0xe0008010, 4), 0x00000010);
	assert_int_equal(mmio_rd(b, 0xe000c000 + FAKE_REGS2, 4),
			 0x02000000u | FAKE_REGS2);
	/* A window too small: refused, naming the BAR. */
	pci_host_device_ops.reset(b->host);
	assert_int_equal(pci_host_assign_bars(b->host, 0xe0000000, 0xe000b000), -1);
	assert_err_contains("pci fake: BAR 2 (0x4000 bytes) does not fit");
	bus0_free(b);
	fake_free(f2);
	fake_free(f5);
}

/* ---- MMIO against BAR moves on another thread ---- */

struct race {
	struct bus0 *b;
	_Atomic bool stop;
	_Atomic unsigned long rounds;
	unsigned long hits, misses, wrong;
};

static void *race_reader(void *opaque)
{
	struct race *r = opaque;

	while (!atomic_load(&r->stop)) {
		for (uint64_t at = 0xe0001004; at <= 0xe0021004; at += 0x10000) {
			uint8_t d[4];
			uint32_t v;

			bus_read(&r->b->mmio, at, d, 4);
			v = (uint32_t)le_get(d, 4);
			if (v == 4)
				r->hits++;
			else if (v == 0xffffffffu)
				r->misses++;
			else
				r->wrong++;
		}
		atomic_fetch_add(&r->rounds, 1);
	}
	return NULL;
}

static void test_dispatch_against_moves(void **state)
{
	static const struct pci_device_ops quiet = { .bar_read = fake_bar_read };
	struct race r = { 0 };
	struct fake *f = fake_new();
	pthread_t t;

	(void)state;
	r.b = bus0_new();
	f->pci.ops = &quiet; /* the fake's own recorder is not thread-safe */
	assert_int_equal(pci_host_add_device(r.b->host, &f->pci, SLOT), 0);
	cfg_wr(r.b, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(pthread_create(&t, NULL, race_reader, &r), 0);
	/*
	 * Each state is read at least once: after a move, wait for the reader
	 * to finish a round (it may be mid-round while the next move happens).
	 */
	for (unsigned i = 0; i < 1500; i++) {
		unsigned long seen = atomic_load(&r.rounds);

		cfg_wr(r.b, SLOT, PCI_BASE_ADDRESS_0, 4, 0xe0001000u + (i % 3) * 0x10000);
		if (i % 7 == 0)
			cfg_wr(r.b, SLOT, PCI_COMMAND, 2, i % 2 ? PCI_COMMAND_MEMORY : 0);
		for (unsigned spin = 0; atomic_load(&r.rounds) < seen + 2 && spin < 10000000; spin++)
			sched_yield();
	}
	atomic_store(&r.stop, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.wrong, 0);
	assert_true(r.hits > 0);
	assert_true(r.misses > 0);
	bus0_free(r.b);
	fake_free(f);
}

/* ---- reset, save and load with devices ---- */

/*
 * Firmware and a driver were here: BARs, command, interrupt line, MSI-X
 * enabled with vector 1 unmasked and vector 2 pending, 0xcf8 left at the
 * device.
 */
static void busy_bus(struct bus0 *b, struct fake *f)
{
	fake_program(b, SLOT, BAR0, BAR2);
	cfg_wr(b, SLOT, PCI_INTERRUPT_LINE, 1, 10);
	cfg_wr(b, SLOT, PCI_CACHE_LINE_SIZE, 1, 0x10);
	cfg_wr(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	mmio_wr(b, msix_entry(BAR2, 1, 0), 4, 0xfee01000);
	mmio_wr(b, msix_entry(BAR2, 1, 2), 4, 0x0031);
	mmio_wr(b, msix_entry(BAR2, 1, 3), 4, 0);
	mmio_wr(b, msix_entry(BAR2, 2, 0), 4, 0xfee02000);
	mmio_wr(b, msix_entry(BAR2, 2, 2), 4, 0x0032);
	assert_int_equal(pci_msix_notify(&f->pci, 2), PCI_MSIX_PENDING);
	cfg_select(b, SLOT, 0, PCI_COMMAND);
}

static void test_reset_resets_devices(void **state)
{
	struct bus0 *b = bus0_new();
	struct fake *f = fake_new(), *fresh = fake_new();
	struct sink_rec *s = &f->sink;
	uint8_t d[8];

	(void)state;
	assert_int_equal(pci_host_add_device(b->host, &f->pci, SLOT), 0);
	busy_bus(b, f);
	assert_false(last_route(s, 1)->masked);
	f->nr_moves = 0;
	pci_host_device_ops.reset(b->host);

	assert_int_equal(port_in(b, PCI_CONFIG_ADDRESS_PORT, 4), 0);
	/* The whole configuration space is the device's power-on one. */
	assert_memory_equal(f->pci.config, fresh->pci.config, PCI_CONFIG_SPACE_SIZE);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0, 4), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 8, 4), PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(cfg_rd(b, SLOT, PCI_COMMAND, 2), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_INTERRUPT_LINE, 1), 0);
	assert_int_equal(cfg_rd(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2), 3);
	/* Both BARs went away, and the device heard it. */
	assert_int_equal(f->nr_moves, 2);
	assert_int_equal(f->moves[0].new_addr, PCI_BAR_UNMAPPED);
	assert_int_equal(f->moves[1].new_addr, PCI_BAR_UNMAPPED);
	assert_int_equal(mmio_rd(b, BAR0, 4), 0xffffffffu);
	/* MSI-X: off, every vector masked with a zero message, nothing pending. */
	assert_false(pci_msix_enabled(&f->pci));
	for (unsigned v = 0; v < FAKE_VECTORS; v++) {
		assert_true(last_route(s, v)->masked);
		assert_int_equal(last_route(s, v)->address, 0);
		pci_bar_read(&f->pci, 2, v * 16, d, 8);
		assert_int_equal(le_get(d, 8), 0);
		pci_bar_read(&f->pci, 2, v * 16 + 8, d, 8);
		assert_int_equal(le_get(d, 8), 1ull << 32);
	}
	pci_bar_read(&f->pci, 2, FAKE_PBA, d, 8);
	assert_int_equal(le_get(d, 8), 0);
	assert_int_equal(cfg_rd(b, 0, 0x04, 4), 0x02800006); /* the 440FX too */
	bus0_free(b);
	fake_free(f);
	fake_free(fresh);
}

static void save_bus(struct bus0 *b, struct state_writer *w)
{
	unit_state_save(&pci_host_device_ops, b->host, w);
}

static int load_bus(struct bus0 *b, const uint8_t *buf, size_t len)
{
	return unit_state_load(&pci_host_device_ops, b->host, buf, len);
}

/* Offsets in a saved bus with the fake at SLOT. */
enum {
	AT_SLOT = AT_COUNT + 1,
	AT_DEV_CONFIG = AT_SLOT + 1,
	AT_NR_VECTORS = AT_DEV_CONFIG + PCI_CONFIG_SPACE_SIZE,
	AT_TABLE = AT_NR_VECTORS + 2,
	AT_PBA = AT_TABLE + FAKE_VECTORS * PCI_MSIX_ENTRY_SIZE,
	BUS_SAVED_LEN = AT_PBA + 8,
};

static void test_save_load_with_devices(void **state)
{
	struct bus0 *a = bus0_new(), *b = bus0_new();
	struct fake *fa = fake_new(), *fb = fake_new();
	struct state_writer w;

	(void)state;
	assert_int_equal(pci_host_add_device(a->host, &fa->pci, SLOT), 0);
	assert_int_equal(pci_host_add_device(b->host, &fb->pci, SLOT), 0);
	busy_bus(a, fa);
	save_bus(a, &w);
	assert_int_equal(w.len, BUS_SAVED_LEN);
	assert_int_equal(w.buf[AT_COUNT], 1);
	assert_int_equal(w.buf[AT_SLOT], SLOT);

	assert_int_equal(load_bus(b, w.buf, w.len), 0);
	unit_state_resaves(&pci_host_device_ops, b->host, &w);
	/* The fresh device heard where its BARs are, the sink its vectors. */
	assert_int_equal(fb->nr_moves, 2);
	assert_int_equal(fb->moves[0].new_addr, BAR0);
	assert_int_equal(fb->moves[1].new_addr, BAR2);
	assert_false(last_route(&fb->sink, 1)->masked);
	assert_int_equal(last_route(&fb->sink, 1)->address, 0xfee01000);
	assert_int_equal(last_route(&fb->sink, 1)->data, 0x31);
	assert_true(last_route(&fb->sink, 2)->masked);
	assert_int_equal(last_route(&fb->sink, 2)->data, 0x32);
	/* Same answers everywhere: 0xcf8, configuration, BARs, table, PBA. */
	assert_int_equal(port_in(a, PCI_CONFIG_ADDRESS_PORT, 4),
			 port_in(b, PCI_CONFIG_ADDRESS_PORT, 4));
	assert_int_equal(port_in(a, PCI_CONFIG_DATA_PORT, 2),
			 port_in(b, PCI_CONFIG_DATA_PORT, 2));
	for (unsigned reg = 0; reg < PCI_CONFIG_SPACE_SIZE; reg += 4)
		assert_int_equal(cfg_rd(a, SLOT, reg, 4), cfg_rd(b, SLOT, reg, 4));
	assert_int_equal(mmio_rd(a, BAR0 + 0x40, 4), mmio_rd(b, BAR0 + 0x40, 4));
	for (unsigned at = 0; at < FAKE_VECTORS * 16; at += 4)
		assert_int_equal(mmio_rd(a, BAR2 + at, 4), mmio_rd(b, BAR2 + at, 4));
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 8), 0x4);
	/* Both deliver alike: vector 1 now, vector 2 once it is unmasked. */
	assert_int_equal(pci_msix_notify(&fa->pci, 1), PCI_MSIX_SENT);
	assert_int_equal(pci_msix_notify(&fb->pci, 1), PCI_MSIX_SENT);
	mmio_wr(a, msix_entry(BAR2, 2, 3), 4, 0);
	mmio_wr(b, msix_entry(BAR2, 2, 3), 4, 0);
	assert_int_equal(fa->sink.fired[2], 1);
	assert_int_equal(fb->sink.fired[2], 1);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 8), 0);
	state_writer_free(&w);
	bus0_free(a);
	bus0_free(b);
	fake_free(fa);
	fake_free(fb);
}

static void test_load_with_devices_refused(void **state)
{
	struct bus0 *a = bus0_new(), *b = bus0_new(), *empty = bus0_new();
	struct fake *fa = fake_new(), *fb = fake_new();
	struct state_writer w, plain;
	struct {
		size_t at;
		uint8_t value;
		const char *why;
	} bad[] = {
		{ AT_COUNT, 2, "2 PCI devices saved" },
		{ AT_COUNT, 0, "0 PCI devices saved" },
		{ AT_SLOT, 3, "slot 3" },
		{ AT_SLOT, 0, "slot 0" },
		{ AT_DEV_CONFIG + PCI_VENDOR_ID, 0x35, "read-only config byte 0x00" },
		{ AT_DEV_CONFIG + PCI_BASE_ADDRESS_0, 0x08, "read-only config byte 0x10" },
		{ AT_DEV_CONFIG + PCI_STATUS, 0x00, "read-only config byte 0x06" },
		{ AT_DEV_CONFIG + 0x48 + PCI_MSIX_FLAGS, 0x07, "read-only config byte 0x4a" },
		{ AT_NR_VECTORS, 5, "5 MSI-X vectors saved" },
		{ AT_TABLE + 16 + 12, 0x03, "vector 1: reserved vector control bits" },
		{ AT_TABLE + 3 * 16 + 15, 0x80, "vector 3: reserved" },
		{ AT_PBA, 0x10, "pending bits beyond vector 3" },
	};

	(void)state;
	assert_int_equal(pci_host_add_device(a->host, &fa->pci, SLOT), 0);
	assert_int_equal(pci_host_add_device(b->host, &fb->pci, SLOT), 0);
	busy_bus(a, fa);
	save_bus(a, &w);
	unit_state_refuses_truncated(&pci_host_device_ops, b->host, &w);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t keep = w.buf[bad[i].at];
		struct state_reader r;

		w.buf[bad[i].at] = bad[i].value;
		state_reader_init(&r, w.buf, w.len);
		assert_int_equal(pci_host_device_ops.load(b->host, &r, 2), -1);
		assert_true(r.failed);
		assert_str_contains(r.why, bad[i].why);
		w.buf[bad[i].at] = keep;
	}
	/* Into a bus without the device; a version-1 stream into one with it. */
	assert_int_equal(load_bus(empty, w.buf, w.len), -1);
	save_bus(empty, &plain);
	{
		struct state_reader r;

		state_reader_init(&r, plain.buf, plain.len - 1);
		assert_int_equal(pci_host_device_ops.load(b->host, &r, 1), -1);
		assert_str_contains(r.why, "saved without the 1 PCI devices");
		state_reader_init(&r, plain.buf, plain.len - 1);
		assert_int_equal(pci_host_device_ops.load(empty->host, &r, 1), 0);
		assert_int_equal(state_reader_done(&r, "pci-host"), 0);
	}
	/* Nothing of any refused stream was taken; the good one loads. */
	assert_int_equal(fb->nr_moves, 0);
	assert_int_equal(port_in(b, PCI_CONFIG_ADDRESS_PORT, 4), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_COMMAND, 2), 0);
	assert_int_equal(load_bus(b, w.buf, w.len), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_COMMAND, 2),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	state_writer_free(&plain);
	state_writer_free(&w);
	bus0_free(a);
	bus0_free(b);
	bus0_free(empty);
	fake_free(fa);
	fake_free(fb);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity_and_writable_bytes),
		T(test_save_load_same_behaviour),
		T(test_load_truncated_or_out_of_range),
		T(test_reset_is_power_on),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_unknown_devfn),
		cmocka_unit_test(test_assign_bars),
		cmocka_unit_test(test_dispatch_against_moves),
		cmocka_unit_test(test_reset_resets_devices),
		cmocka_unit_test(test_save_load_with_devices),
		cmocka_unit_test(test_load_with_devices_refused),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("pci_host", tests, NULL, NULL);
}
