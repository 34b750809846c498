/* SPDX-License-Identifier: MIT */
/*
 * A fake PCI device and a recording MSI sink for the PCI unit tests
 * (test_pci.c, test_pci_host.c), and a bus 0 to put them on: the host
 * bridge on a port bus and an MMIO window.  Include after <cmocka.h>.
 *
 * The fake: 1234:5678, class 0xff0000, INTA#.  BAR 0 is 4 KiB of 32-bit
 * registers, BAR 2 (with 3) a 64-bit 16 KiB BAR with the MSI-X table (4
 * vectors) at 0 and the PBA at 0x2000 and registers from 0x3000 on; a
 * vendor capability comes before MSI-X.  Register reads return the
 * offset with the BAR number in the top byte of each 32-bit word, writes
 * are counted, and bar_moved is recorded.
 */
#ifndef MINIVMM_TESTS_PCI_FAKE_H
#define MINIVMM_TESTS_PCI_FAKE_H

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/pci.h"
#include "dev/pci_host.h"

#define FAKE_VECTORS 4
#define FAKE_BAR0_SIZE 0x1000u
#define FAKE_BAR2_SIZE 0x4000u
#define FAKE_PBA 0x2000u
#define FAKE_REGS2 0x3000u
#define FAKE_WINDOW_BASE 0xe0000000ull
#define FAKE_WINDOW_END 0xfe800000ull
#define FAKE_VNDR_LEN 8

struct sink_route {
	unsigned vector;
	uint64_t address;
	uint32_t data;
	bool masked;
};

struct sink_rec {
	struct sink_route routes[256];
	unsigned nr_routes;
	unsigned fired[FAKE_VECTORS];
	unsigned nr_fired;
	bool refuse; /* fire() returns false */
	unsigned bound[FAKE_VECTORS]; /* eventfds attached per vector now */
	unsigned nr_attach; /* attach calls */
};

struct bar_move {
	unsigned bar;
	uint64_t old_addr, new_addr;
};

struct fake {
	struct pci_device pci;
	struct sink_rec sink;
	struct bar_move moves[64];
	unsigned nr_moves;
	unsigned reads, writes;
	uint64_t last_write_offset, last_write_value;
	int vndr_cap, msix_cap;
};

static inline void fake_route(void *ctx, unsigned vector, uint64_t address,
			      uint32_t data, bool masked)
{
	struct sink_rec *s = ctx;

	assert_true(vector < FAKE_VECTORS);
	assert_true(s->nr_routes < 256);
	s->routes[s->nr_routes++] =
		(struct sink_route){ vector, address, data, masked };
}

static inline bool fake_fire(void *ctx, unsigned vector)
{
	struct sink_rec *s = ctx;

	assert_true(vector < FAKE_VECTORS);
	if (s->refuse)
		return false;
	s->fired[vector]++;
	s->nr_fired++;
	return true;
}

static inline int fake_attach(void *ctx, unsigned vector, int fd, bool on)
{
	struct sink_rec *s = ctx;

	assert_true(vector < FAKE_VECTORS);
	assert_true(fd >= 0);
	s->nr_attach++;
	if (on)
		s->bound[vector]++;
	else
		s->bound[vector]--;
	return 0;
}

/* The last route update for vector v (fails the test if there is none). */
static inline struct sink_route *last_route(struct sink_rec *s, unsigned v)
{
	for (unsigned i = s->nr_routes; i-- > 0;)
		if (s->routes[i].vector == v)
			return &s->routes[i];
	fail_msg("no route update for vector %u", v);
	return NULL;
}

static inline void fake_bar_read(void *opaque, unsigned bar, uint64_t offset,
				 uint8_t *data, uint32_t len)
{
	struct fake *f = opaque;

	f->reads++;
	for (uint32_t i = 0; i < len; i++) {
		uint64_t at = offset + i;
		uint32_t word = (uint32_t)(at & ~3ull) | (uint32_t)bar << 24;

		data[i] = (uint8_t)(word >> (8 * (at & 3)));
	}
}

static inline void fake_bar_write(void *opaque, unsigned bar, uint64_t offset,
				  const uint8_t *data, uint32_t len)
{
	struct fake *f = opaque;

	(void)bar;
	f->writes++;
	f->last_write_offset = offset;
	f->last_write_value = le_get(data, len);
}

static inline void fake_bar_moved(void *opaque, unsigned bar, uint64_t old_addr,
				  uint64_t new_addr)
{
	struct fake *f = opaque;

	assert_true(f->nr_moves < 64);
	f->moves[f->nr_moves++] = (struct bar_move){ bar, old_addr, new_addr };
}

static const struct pci_device_ops fake_ops = {
	.bar_read = fake_bar_read,
	.bar_write = fake_bar_write,
	.bar_moved = fake_bar_moved,
};

static inline struct fake *fake_new(void)
{
	static const struct pci_device_info info = {
		.vendor_id = 0x1234,
		.device_id = 0x5678,
		.subsystem_vendor_id = 0x1af4,
		.subsystem_id = 0x0042,
		.class_code = 0xff0000,
		.revision = 0x03,
		.interrupt_pin = 1,
	};
	struct fake *f = calloc(1, sizeof(*f));
	struct pci_msi_sink sink;

	assert_non_null(f);
	assert_int_equal(pci_device_init(&f->pci, "fake", &info, &fake_ops, f), 0);
	assert_int_equal(pci_bar_init(&f->pci, 0, FAKE_BAR0_SIZE, PCI_BAR_MEM32), 0);
	assert_int_equal(pci_bar_init(&f->pci, 2, FAKE_BAR2_SIZE, PCI_BAR_MEM64), 0);
	f->vndr_cap = pci_add_capability(&f->pci, PCI_CAP_ID_VNDR, FAKE_VNDR_LEN);
	assert_int_equal(f->vndr_cap, PCI_CAP_START);
	sink = (struct pci_msi_sink){ fake_route, fake_fire, &f->sink, fake_attach };
	assert_int_equal(pci_msix_init(&f->pci, FAKE_VECTORS, 2, 0, FAKE_PBA, &sink), 0);
	f->msix_cap = f->pci.msix.cap;
	return f;
}

static inline void fake_free(struct fake *f)
{
	pci_device_destroy(&f->pci);
	free(f);
}

/* Bus 0 with its port and MMIO buses. */
struct bus0 {
	struct bus io, mmio;
	struct pci_host *host;
};

static inline struct bus0 *bus0_new(void)
{
	struct bus0 *b = calloc(1, sizeof(*b));

	assert_non_null(b);
	bus_init(&b->io, "io", 0x10000);
	bus_init(&b->mmio, "mmio", 0);
	b->host = pci_host_create(NULL, NULL);
	assert_non_null(b->host);
	assert_int_equal(pci_host_register(b->host, &b->io), 0);
	assert_int_equal(pci_host_register_mmio(b->host, &b->mmio, FAKE_WINDOW_BASE,
						FAKE_WINDOW_END),
			 0);
	return b;
}

static inline void bus0_free(struct bus0 *b)
{
	pci_host_device_ops.destroy(b->host);
	bus_destroy(&b->io);
	bus_destroy(&b->mmio);
	free(b);
}

static inline void port_out(struct bus0 *b, uint16_t port, uint32_t len,
			    uint32_t v)
{
	uint8_t d[4];

	bus_data_put(d, len, v);
	assert_int_equal(bus_write(&b->io, port, d, len), BUS_OK);
}

static inline uint32_t port_in(struct bus0 *b, uint16_t port, uint32_t len)
{
	uint8_t d[4];

	assert_int_equal(bus_read(&b->io, port, d, len), BUS_OK);
	return (uint32_t)bus_data_get(d, len);
}

/* Mechanism #1: bus 0, `slot`, function `fn`, register `reg`. */
static inline void cfg_select(struct bus0 *b, unsigned slot, unsigned fn,
			      unsigned reg)
{
	port_out(b, PCI_CONFIG_ADDRESS_PORT, 4,
		 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc));
}

static inline uint32_t cfg_rd(struct bus0 *b, unsigned slot, unsigned reg,
			      uint32_t len)
{
	cfg_select(b, slot, 0, reg);
	return port_in(b, (uint16_t)(PCI_CONFIG_DATA_PORT + (reg & 3)), len);
}

static inline void cfg_wr(struct bus0 *b, unsigned slot, unsigned reg,
			  uint32_t len, uint32_t v)
{
	cfg_select(b, slot, 0, reg);
	port_out(b, (uint16_t)(PCI_CONFIG_DATA_PORT + (reg & 3)), len, v);
}

static inline uint64_t mmio_rd(struct bus0 *b, uint64_t addr, uint32_t len)
{
	uint8_t d[8];

	assert_int_equal(bus_read(&b->mmio, addr, d, len), BUS_OK);
	return bus_data_get(d, len);
}

static inline void mmio_wr(struct bus0 *b, uint64_t addr, uint32_t len,
			   uint64_t v)
{
	uint8_t d[8];

	bus_data_put(d, len, v);
	assert_int_equal(bus_write(&b->mmio, addr, d, len), BUS_OK);
}

#define ONES(len) ((len) == 8 ? ~0ull : (1ull << (8 * (len))) - 1)

/*
 * What firmware does: BAR 0 at bar0, BAR 2 at bar2 (64-bit), memory space
 * and bus master on.
 */
static inline void fake_program(struct bus0 *b, unsigned slot, uint64_t bar0,
				uint64_t bar2)
{
	cfg_wr(b, slot, PCI_BASE_ADDRESS_0, 4, (uint32_t)bar0);
	cfg_wr(b, slot, PCI_BASE_ADDRESS_0 + 8, 4, (uint32_t)bar2);
	cfg_wr(b, slot, PCI_BASE_ADDRESS_0 + 12, 4, (uint32_t)(bar2 >> 32));
	cfg_wr(b, slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

/* MSI-X table entry v's dword d (0 address low ... 3 vector control). */
static inline uint64_t msix_entry(uint64_t bar2, unsigned v, unsigned d)
{
	return bar2 + v * PCI_MSIX_ENTRY_SIZE + 4 * d;
}

#endif
