// SPDX-License-Identifier: MIT
/*
 * A PCI function (dev/pci.c) on bus 0 (dev/pci_host.c), driven the way
 * firmware and Linux drive it: configuration mechanism #1 at 0xcf8/0xcfc,
 * the header's writable and read-only bits, BAR sizing (PCI Local Bus
 * Specification 3.0, 6.2.5.1), BAR moves and MMIO dispatch, the
 * capability list (6.7), and MSI-X (6.8.2): the table, routes told to the
 * sink, masking, pending bits and their delivery.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/pci.h"
#include "dev/pci_host.h"
#include "log.h"
#include "pci_fake.h"
#include "unit.h"

#define SLOT 2
#define BAR0 0xe0001000ull
#define BAR2 0xe0004000ull

struct ctx {
	struct bus0 *b;
	struct fake *f;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->b = bus0_new();
	c->f = fake_new();
	assert_int_equal(pci_host_add_device(c->b->host, &c->f->pci, SLOT), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	bus0_free(c->b);
	fake_free(c->f);
	free(c);
	return 0;
}

static void test_header(void **state)
{
	struct ctx *c = *state;
	struct bus0 *b = c->b;

	assert_int_equal(cfg_rd(b, SLOT, PCI_VENDOR_ID, 4), 0x56781234);
	assert_int_equal(cfg_rd(b, SLOT, PCI_REVISION_ID, 4), 0xff000003);
	assert_int_equal(cfg_rd(b, SLOT, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x00421af4);
	assert_int_equal(cfg_rd(b, SLOT, PCI_INTERRUPT_PIN, 1), 1);
	/* Byte and word reads of the same dword. */
	assert_int_equal(cfg_rd(b, SLOT, PCI_DEVICE_ID, 2), 0x5678);
	assert_int_equal(cfg_rd(b, SLOT, PCI_DEVICE_ID + 1, 1), 0x56);
	/* Identity is read-only. */
	cfg_wr(b, SLOT, PCI_VENDOR_ID, 4, 0);
	cfg_wr(b, SLOT, PCI_CLASS_PROG, 1, 0x5a);
	assert_int_equal(cfg_rd(b, SLOT, PCI_VENDOR_ID, 4), 0x56781234);
	assert_int_equal(cfg_rd(b, SLOT, PCI_CLASS_PROG, 1), 0);
	/* Command: I/O, memory, bus master, SERR#, INTx disable only. */
	cfg_wr(b, SLOT, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(cfg_rd(b, SLOT, PCI_COMMAND, 2), 0x0507);
	cfg_wr(b, SLOT, PCI_COMMAND, 2, 0);
	/* Status: capability list; error bits are write-1-to-clear. */
	assert_int_equal(cfg_rd(b, SLOT, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
	c->f->pci.config[PCI_STATUS + 1] |= 0x20; /* the device saw a master abort */
	cfg_wr(b, SLOT, PCI_STATUS, 2, 0x0010); /* a 0 leaves it, CAP_LIST stays */
	assert_int_equal(cfg_rd(b, SLOT, PCI_STATUS, 2), 0x2010);
	cfg_wr(b, SLOT, PCI_STATUS, 2, 0xffff);
	assert_int_equal(cfg_rd(b, SLOT, PCI_STATUS, 2), 0x0010);
	/* Cache line size and interrupt line are the guest's. */
	cfg_wr(b, SLOT, PCI_CACHE_LINE_SIZE, 1, 0x10);
	cfg_wr(b, SLOT, PCI_INTERRUPT_LINE, 1, 11);
	assert_int_equal(cfg_rd(b, SLOT, PCI_CACHE_LINE_SIZE, 1), 0x10);
	assert_int_equal(cfg_rd(b, SLOT, PCI_INTERRUPT_LINE, 1), 11);
	assert_int_equal(cfg_rd(b, SLOT, PCI_INTERRUPT_PIN, 1), 1);
	/* No expansion ROM; nothing past the capabilities. */
	cfg_wr(b, SLOT, PCI_ROM_ADDRESS, 4, 0xffffffff);
	assert_int_equal(cfg_rd(b, SLOT, PCI_ROM_ADDRESS, 4), 0);
	cfg_wr(b, SLOT, 0xfc, 4, 0xffffffff);
	assert_int_equal(cfg_rd(b, SLOT, 0xfc, 4), 0);
	/* Other functions of the slot, and bus 1, are not there. */
	cfg_select(b, SLOT, 1, 0);
	assert_int_equal(port_in(b, PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
	port_out(b, PCI_CONFIG_ADDRESS_PORT, 4, 0x80010000u | SLOT << 11);
	assert_int_equal(port_in(b, PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
	/* Without the enable bit nothing is selected. */
	port_out(b, PCI_CONFIG_ADDRESS_PORT, 4, SLOT << 11);
	assert_int_equal(port_in(b, PCI_CONFIG_DATA_PORT, 4), 0xffffffffu);
}

/* Write all-ones, read the size mask with the type bits (6.2.5.1). */
static void test_bar_sizing(void **state)
{
	struct bus0 *b = ((struct ctx *)*state)->b;
	struct fake *f = ((struct ctx *)*state)->f;

	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0, 4), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 8, 4),
			 PCI_BASE_ADDRESS_MEM_TYPE_64);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++)
		cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0 + 4 * i, 4, 0xffffffff);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0, 4), 0xfffff000u);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 4, 4), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 8, 4), 0xffffc004u);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 12, 4), 0xffffffffu);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 16, 4), 0);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 20, 4), 0);
	/* Memory space is off: sizing maps nothing. */
	assert_int_equal(f->nr_moves, 0);
	/* Low address bits below the size are not kept. */
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0, 4, 0xe0001fffu);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0, 4), 0xe0001000u);
	/* A 64-bit BAR's upper half is a plain register. */
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0 + 12, 4, 0x12345678);
	assert_int_equal(cfg_rd(b, SLOT, PCI_BASE_ADDRESS_0 + 12, 4), 0x12345678);
}

static void assert_move(struct fake *f, unsigned i, unsigned bar,
			uint64_t old_addr, uint64_t new_addr)
{
	assert_true(i < f->nr_moves);
	assert_int_equal(f->moves[i].bar, bar);
	assert_int_equal(f->moves[i].old_addr, old_addr);
	assert_int_equal(f->moves[i].new_addr, new_addr);
}

static void test_bar_move_and_dispatch(void **state)
{
	struct bus0 *b = ((struct ctx *)*state)->b;
	struct fake *f = ((struct ctx *)*state)->f;

	/* Address set, memory space off: no decode, no hook. */
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0, 4, (uint32_t)BAR0);
	assert_int_equal(f->nr_moves, 0);
	assert_int_equal(mmio_rd(b, BAR0 + 4, 4), 0xffffffffu);
	assert_int_equal(f->reads, 0);
	assert_int_equal(pci_bar_address(&f->pci, 0), PCI_BAR_UNMAPPED);

	/* Memory space on: BAR 0 decodes (BAR 2 is still 0: not assigned). */
	cfg_wr(b, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(f->nr_moves, 1);
	assert_move(f, 0, 0, PCI_BAR_UNMAPPED, BAR0);
	assert_int_equal(pci_bar_address(&f->pci, 2), PCI_BAR_UNMAPPED);
	assert_int_equal(mmio_rd(b, BAR0 + 4, 4), 0x00000004);
	assert_int_equal(mmio_rd(b, BAR0 + 0xffc, 4), 0x00000ffc);
	assert_int_equal(mmio_rd(b, BAR0 + 0x102, 2), 0x0000);
	assert_int_equal(mmio_rd(b, BAR0 + 0x100, 8), 0x0000010400000100ull);
	mmio_wr(b, BAR0 + 0x20, 4, 0xcafe);
	assert_int_equal(f->writes, 1);
	assert_int_equal(f->last_write_offset, 0x20);
	assert_int_equal(f->last_write_value, 0xcafe);
	/* Next to the BAR, or running past its end: all-ones, dropped. */
	assert_int_equal(mmio_rd(b, BAR0 - 4, 4), 0xffffffffu);
	assert_int_equal(mmio_rd(b, BAR0 + 0xffe, 4), 0xffffffffu);
	mmio_wr(b, BAR0 + 0xffc, 8, 0);
	assert_int_equal(f->writes, 1);

	/* Move it: the hook hears old and new; only the new address answers. */
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0, 4, 0xe0010000u);
	assert_int_equal(f->nr_moves, 2);
	assert_move(f, 1, 0, BAR0, 0xe0010000u);
	assert_int_equal(mmio_rd(b, BAR0 + 4, 4), 0xffffffffu);
	assert_int_equal(mmio_rd(b, 0xe0010008u, 4), 0x00000008);

	/* The 64-bit BAR: its device registers above the MSI-X structures. */
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0 + 8, 4, (uint32_t)BAR2);
	assert_int_equal(f->nr_moves, 3);
	assert_move(f, 2, 2, PCI_BAR_UNMAPPED, BAR2);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_REGS2 + 0x10, 4),
			 0x02000000u | (FAKE_REGS2 + 0x10));
	/* Upper half not 0: above 4 GiB, outside the window. */
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0 + 12, 4, 1);
	assert_move(f, 3, 2, BAR2, 0x100000000ull | BAR2);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_REGS2, 4), 0xffffffffu);
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0 + 12, 4, 0);
	assert_move(f, 4, 2, 0x100000000ull | BAR2, BAR2);

	/* Memory space off: both go, nothing answers. */
	cfg_wr(b, SLOT, PCI_COMMAND, 2, 0);
	assert_int_equal(f->nr_moves, 7);
	assert_move(f, 5, 0, 0xe0010000u, PCI_BAR_UNMAPPED);
	assert_move(f, 6, 2, BAR2, PCI_BAR_UNMAPPED);
	f->reads = 0;
	assert_int_equal(mmio_rd(b, 0xe0010008u, 4), 0xffffffffu);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_REGS2, 4), 0xffffffffu);
	assert_int_equal(f->reads, 0);
	/* A write that changes nothing calls nothing. */
	cfg_wr(b, SLOT, PCI_COMMAND, 2, 0);
	assert_int_equal(f->nr_moves, 7);

	/* Sizing with memory space on unmaps it (all-ones touches 4 GiB). */
	cfg_wr(b, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(f->nr_moves, 9);
	cfg_wr(b, SLOT, PCI_BASE_ADDRESS_0, 4, 0xffffffffu);
	assert_move(f, 9, 0, 0xe0010000u, PCI_BAR_UNMAPPED);
}

/* The list from 0x34: vendor capability, then MSI-X, then the end. */
static void test_capability_chain(void **state)
{
	struct bus0 *b = ((struct ctx *)*state)->b;
	struct fake *f = ((struct ctx *)*state)->f;
	uint8_t ids[8];
	unsigned n = 0, at;
	struct pci_device extra;
	static const struct pci_device_info info = { .vendor_id = 1 };

	assert_true(cfg_rd(b, SLOT, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	at = cfg_rd(b, SLOT, PCI_CAPABILITY_LIST, 1);
	while (at && n < 8) {
		assert_int_equal(at & 3, 0);
		assert_true(at >= PCI_CAP_START);
		ids[n++] = (uint8_t)cfg_rd(b, SLOT, at + PCI_CAP_LIST_ID, 1);
		at = cfg_rd(b, SLOT, at + PCI_CAP_LIST_NEXT, 1);
	}
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], PCI_CAP_ID_VNDR);
	assert_int_equal(ids[1], PCI_CAP_ID_MSIX);
	assert_int_equal(f->msix_cap, PCI_CAP_START + FAKE_VNDR_LEN);
	/* MSI-X: table size 3 (4 vectors), table and PBA in BAR 2. */
	assert_int_equal(cfg_rd(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2), 3);
	assert_int_equal(cfg_rd(b, SLOT, f->msix_cap + PCI_MSIX_TABLE, 4), 2);
	assert_int_equal(cfg_rd(b, SLOT, f->msix_cap + PCI_MSIX_PBA, 4),
			 FAKE_PBA | 2);
	/* Only function mask and enable are writable in Message Control. */
	cfg_wr(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2, 0xffff);
	assert_int_equal(cfg_rd(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2), 0xc003);
	cfg_wr(b, SLOT, f->msix_cap, 4, 0);
	assert_int_equal(cfg_rd(b, SLOT, f->msix_cap, 4), 0x0003 << 16 | PCI_CAP_ID_MSIX);
	/* The list is read-only to the guest. */
	cfg_wr(b, SLOT, PCI_CAPABILITY_LIST, 1, 0x80);
	assert_int_equal(cfg_rd(b, SLOT, PCI_CAPABILITY_LIST, 1), PCI_CAP_START);

	/* The builder: aligned offsets, appended, and refused when full. */
	assert_int_equal(pci_device_init(&extra, "extra", &info, NULL, NULL), 0);
	assert_int_equal(extra.config[PCI_STATUS] & PCI_STATUS_CAP_LIST, 0);
	assert_int_equal(pci_add_capability(&extra, 0x09, 5), 0x40);
	assert_int_equal(pci_add_capability(&extra, 0x0a, 2), 0x48);
	assert_int_equal(extra.config[PCI_CAPABILITY_LIST], 0x40);
	assert_int_equal(extra.config[0x41], 0x48);
	assert_int_equal(extra.config[0x49], 0);
	assert_int_equal(pci_add_capability(&extra, 0x09, 1), -1);
	assert_int_equal(pci_add_capability(&extra, 0x09, 180), 0x4c);
	assert_int_equal(pci_add_capability(&extra, 0x09, 4), -1);
	assert_err_contains("no room");
	pci_device_destroy(&extra);
}

/* Linux's order: enable with the function masked, fill, unmask. */
static void msix_enable(struct bus0 *b, struct fake *f, bool maskall)
{
	cfg_wr(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2,
	       PCI_MSIX_FLAGS_ENABLE | (maskall ? PCI_MSIX_FLAGS_MASKALL : 0));
}

static void msix_fill(struct bus0 *b, unsigned v, uint32_t addr, uint32_t data)
{
	mmio_wr(b, msix_entry(BAR2, v, 0), 4, addr);
	mmio_wr(b, msix_entry(BAR2, v, 1), 4, 0);
	mmio_wr(b, msix_entry(BAR2, v, 2), 4, data);
}

static void test_msix_routes_mask_pending(void **state)
{
	struct bus0 *b = ((struct ctx *)*state)->b;
	struct fake *f = ((struct ctx *)*state)->f;
	struct sink_rec *s = &f->sink;
	unsigned n;

	/* pci_msix_init told the sink every vector is masked. */
	assert_int_equal(s->nr_routes, FAKE_VECTORS);
	for (unsigned v = 0; v < FAKE_VECTORS; v++)
		assert_true(last_route(s, v)->masked);
	/* MSI-X off: the device must use something else. */
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_OFF);
	assert_int_equal(pci_msix_notify(&f->pci, FAKE_VECTORS), PCI_MSIX_NO_VECTOR);

	fake_program(b, SLOT, BAR0, BAR2);
	/* Every vector starts masked; the vector control's reserved bits read 0. */
	assert_int_equal(mmio_rd(b, msix_entry(BAR2, 1, 3), 4), 1);
	mmio_wr(b, msix_entry(BAR2, 1, 3), 4, 0xfffffffe);
	assert_int_equal(mmio_rd(b, msix_entry(BAR2, 1, 3), 4), 0);
	mmio_wr(b, msix_entry(BAR2, 1, 3), 4, 1);

	msix_enable(b, f, true);
	assert_true(pci_msix_enabled(&f->pci));
	n = s->nr_routes;
	msix_fill(b, 0, 0xfee00000, 0x4041);
	/* Address and data changes are told, still masked. */
	assert_true(s->nr_routes > n);
	assert_int_equal(last_route(s, 0)->address, 0xfee00000);
	assert_int_equal(last_route(s, 0)->data, 0x4041);
	assert_true(last_route(s, 0)->masked);
	assert_int_equal(mmio_rd(b, msix_entry(BAR2, 0, 0), 8), 0xfee00000);
	assert_int_equal(mmio_rd(b, msix_entry(BAR2, 0, 2), 4), 0x4041);
	/* Writing what is there tells nothing. */
	n = s->nr_routes;
	mmio_wr(b, msix_entry(BAR2, 0, 2), 4, 0x4041);
	assert_int_equal(s->nr_routes, n);

	/* Vector unmasked, function still masked: pending, nothing fired. */
	mmio_wr(b, msix_entry(BAR2, 0, 3), 4, 0);
	assert_int_equal(s->nr_routes, n);
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_PENDING);
	assert_int_equal(s->nr_fired, 0);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 8), 1);
	/* The function mask goes: routed unmasked, the pending one fires once. */
	msix_enable(b, f, false);
	assert_false(last_route(s, 0)->masked);
	assert_true(last_route(s, 1)->masked);
	assert_int_equal(s->fired[0], 1);
	assert_int_equal(s->nr_fired, 1);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 8), 0);
	/* Unmasked: straight through. */
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_SENT);
	assert_int_equal(s->fired[0], 2);

	/* Masking the vector: routed masked; notify pends, twice is one bit. */
	mmio_wr(b, msix_entry(BAR2, 0, 3), 4, 1);
	assert_true(last_route(s, 0)->masked);
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_PENDING);
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_PENDING);
	assert_int_equal(s->fired[0], 2);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 1), 1);
	/* The PBA is read-only. */
	mmio_wr(b, BAR2 + FAKE_PBA, 8, 0);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 4), 1);
	/* Unmask: delivered once, pending bit clear. */
	mmio_wr(b, msix_entry(BAR2, 0, 3), 4, 0);
	assert_false(last_route(s, 0)->masked);
	assert_int_equal(s->fired[0], 3);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 4), 0);

	/* A sink that cannot deliver leaves the vector pending. */
	s->refuse = true;
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_PENDING);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 4), 1);
	s->refuse = false;
	msix_enable(b, f, true);
	msix_enable(b, f, false);
	assert_int_equal(s->fired[0], 4);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 4), 0);

	/* Function mask: every vector masked, pending kept per vector. */
	msix_fill(b, 2, 0xfee01000, 0x0052);
	mmio_wr(b, msix_entry(BAR2, 2, 3), 4, 0);
	msix_enable(b, f, true);
	assert_true(last_route(s, 0)->masked);
	assert_true(last_route(s, 2)->masked);
	assert_int_equal(pci_msix_notify(&f->pci, 2), PCI_MSIX_PENDING);
	assert_int_equal(pci_msix_notify(&f->pci, 3), PCI_MSIX_PENDING);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 4), 0xc);
	msix_enable(b, f, false);
	assert_int_equal(s->fired[2], 1);
	assert_int_equal(s->fired[3], 0); /* its own mask bit is still set */
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 4), 0x8);
	assert_int_equal(last_route(s, 2)->address, 0xfee01000);

	/* Disabled: every vector masked for the sink, notify does nothing. */
	n = s->nr_fired;
	cfg_wr(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2, 0);
	assert_false(pci_msix_enabled(&f->pci));
	for (unsigned v = 0; v < FAKE_VECTORS; v++)
		assert_true(last_route(s, v)->masked);
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_OFF);
	assert_int_equal(s->nr_fired, n);
	/* Bus mastering off: no message either. */
	msix_enable(b, f, false);
	cfg_wr(b, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(pci_msix_notify(&f->pci, 0), PCI_MSIX_OFF);
	assert_int_equal(s->nr_fired, n);
}

/*
 * An eventfd that delivers a vector by itself (vhost's call fd): attached
 * to the sink exactly while the vector is unmasked, let go on detach.
 */
static void test_msix_fds(void **state)
{
	struct bus0 *b = ((struct ctx *)*state)->b;
	struct fake *f = ((struct ctx *)*state)->f;
	struct sink_rec *s = &f->sink;

	fake_program(b, SLOT, BAR0, BAR2);
	/* Taken while MSI-X is off, but not bound: the vector is masked. */
	assert_int_equal(pci_msix_attach_fd(&f->pci, 0, 100), 0);
	assert_int_equal(pci_msix_attach_fd(&f->pci, 0, 101), 0);
	assert_int_equal(s->bound[0], 0);
	assert_int_equal(s->nr_attach, 0);
	msix_enable(b, f, true);
	msix_fill(b, 0, 0xfee00000, 0x4041);
	mmio_wr(b, msix_entry(BAR2, 0, 3), 4, 0);
	assert_int_equal(s->bound[0], 0); /* the function mask */
	msix_enable(b, f, false);
	assert_int_equal(s->bound[0], 2);
	assert_int_equal(s->bound[1], 0);
	/* Masking the vector lets both go; unmasking binds them again. */
	mmio_wr(b, msix_entry(BAR2, 0, 3), 4, 1);
	assert_int_equal(s->bound[0], 0);
	mmio_wr(b, msix_entry(BAR2, 0, 3), 4, 0);
	assert_int_equal(s->bound[0], 2);
	/* A route change keeps them bound (KVM follows the GSI's route). */
	msix_fill(b, 0, 0xfee01000, 0x4042);
	assert_int_equal(s->bound[0], 2);
	/* Detached: unbound at once, and no longer follows the mask. */
	pci_msix_detach_fd(&f->pci, 100);
	assert_int_equal(s->bound[0], 1);
	pci_msix_detach_fd(&f->pci, 100); /* twice: nothing */
	assert_int_equal(s->bound[0], 1);
	/* Disabling MSI-X or bus mastering lets the last one go. */
	cfg_wr(b, SLOT, f->msix_cap + PCI_MSIX_FLAGS, 2, 0);
	assert_int_equal(s->bound[0], 0);
	msix_enable(b, f, false);
	assert_int_equal(s->bound[0], 1);
	cfg_wr(b, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(s->bound[0], 0);
	cfg_wr(b, SLOT, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(s->bound[0], 1);
	pci_msix_detach_fd(&f->pci, 101);
	assert_int_equal(s->bound[0], 0);
	/* No such vector, no fd, and at most PCI_MSIX_MAX_FDS at once. */
	assert_int_equal(pci_msix_attach_fd(&f->pci, FAKE_VECTORS, 102), -1);
	assert_int_equal(pci_msix_attach_fd(&f->pci, 1, -1), -1);
	for (int i = 0; i < PCI_MSIX_MAX_FDS; i++)
		assert_int_equal(pci_msix_attach_fd(&f->pci, 1, 200 + i), 0);
	assert_int_equal(pci_msix_attach_fd(&f->pci, 1, 300), -1);
	for (int i = 0; i < PCI_MSIX_MAX_FDS; i++)
		pci_msix_detach_fd(&f->pci, 200 + i);
	assert_int_equal(s->bound[1], 0);
	/* A device reset masks every vector: nothing stays bound. */
	assert_int_equal(pci_msix_attach_fd(&f->pci, 0, 103), 0);
	assert_int_equal(s->bound[0], 1);
	pci_device_reset(&f->pci);
	assert_int_equal(s->bound[0], 0);
	pci_msix_detach_fd(&f->pci, 103);
	assert_int_equal(s->bound[0], 0);
}

/* How the table and PBA answer odd accesses. */
static void test_msix_table_accesses(void **state)
{
	struct bus0 *b = ((struct ctx *)*state)->b;
	struct fake *f = ((struct ctx *)*state)->f;
	struct sink_rec *s = &f->sink;
	unsigned n;

	fake_program(b, SLOT, BAR0, BAR2);
	/* One 8-byte write of the address: one update. */
	n = s->nr_routes;
	mmio_wr(b, msix_entry(BAR2, 3, 0), 8, 0x00000001fee02000ull);
	assert_int_equal(s->nr_routes, n + 1);
	assert_int_equal(last_route(s, 3)->address, 0x00000001fee02000ull);
	assert_int_equal(mmio_rd(b, msix_entry(BAR2, 3, 1), 4), 1);
	/* Byte accesses work on the table. */
	mmio_wr(b, msix_entry(BAR2, 3, 2) + 1, 1, 0x77);
	assert_int_equal(mmio_rd(b, msix_entry(BAR2, 3, 2), 4), 0x7700);
	/* Past the table's end (still in the BAR, before the PBA): the device. */
	f->reads = 0;
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_VECTORS * 16, 4),
			 0x02000000u | FAKE_VECTORS * 16);
	assert_int_equal(f->reads, 1);
	/* Straddling the end of the table: all-ones, dropped. */
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_VECTORS * 16 - 4, 8), ~0ull);
	f->writes = 0;
	mmio_wr(b, BAR2 + FAKE_VECTORS * 16 - 4, 8, 0);
	assert_int_equal(f->writes, 0);
	assert_int_equal(mmio_rd(b, msix_entry(BAR2, 3, 3), 4), 1);
	/* The PBA's one word, then the device again. */
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA, 8), 0);
	assert_int_equal(mmio_rd(b, BAR2 + FAKE_PBA + 8, 4),
			 0x02000000u | (FAKE_PBA + 8));
	/* pci_bar_read/write check their own bounds too. */
	{
		uint8_t d[8];

		pci_bar_read(&f->pci, 2, FAKE_BAR2_SIZE - 2, d, 4);
		assert_int_equal(le_get(d, 4), 0xffffffffu);
		pci_bar_read(&f->pci, 1, 0, d, 4);
		assert_int_equal(le_get(d, 4), 0xffffffffu);
		pci_config_read(&f->pci, 0xfe, d, 4);
		assert_int_equal(le_get(d, 4), 0xffffffffu);
	}
}

/* What a device model cannot get wrong at setup. */
static void test_setup_refusals(void **state)
{
	static const struct pci_device_info info = { .vendor_id = 1 };
	static const struct pci_device_info bad_pin = { .interrupt_pin = 5 };
	static struct sink_rec rec;
	struct pci_msi_sink sink = { fake_route, fake_fire, &rec, NULL };
	struct pci_device d;

	(void)state;
	assert_int_equal(pci_device_init(&d, "", &info, NULL, NULL), -1);
	assert_int_equal(pci_device_init(&d, "x", &bad_pin, NULL, NULL), -1);
	assert_int_equal(pci_device_init(&d, "d", &info, NULL, NULL), 0);
	assert_int_equal(pci_bar_init(&d, 6, 0x1000, PCI_BAR_MEM32), -1);
	assert_int_equal(pci_bar_init(&d, 5, 0x1000, PCI_BAR_MEM64), -1);
	assert_int_equal(pci_bar_init(&d, 0, 0x1800, PCI_BAR_MEM32), -1);
	assert_int_equal(pci_bar_init(&d, 0, 8, PCI_BAR_MEM32), -1);
	assert_int_equal(pci_bar_init(&d, 0, 1ull << 32, PCI_BAR_MEM32), -1);
	assert_int_equal(pci_bar_init(&d, 0, 0x1000, 0x40), -1);
	assert_int_equal(pci_bar_init(&d, 0, 1ull << 32, PCI_BAR_MEM64 | PCI_BAR_PREFETCH), 0);
	assert_int_equal(d.config[PCI_BASE_ADDRESS_0], 0x0c);
	assert_int_equal(d.wmask[PCI_BASE_ADDRESS_0 + 3], 0);
	assert_int_equal(le_get(&d.wmask[PCI_BASE_ADDRESS_0 + 4], 4), 0xffffffffu);
	assert_int_equal(pci_bar_init(&d, 1, 0x1000, PCI_BAR_MEM32), -1);
	assert_err_contains("in use");
	assert_int_equal(pci_bar_init(&d, 2, 0x1000, PCI_BAR_MEM32), 0);
	/* MSI-X: a BAR that exists, aligned and apart structures, a sink. */
	assert_int_equal(pci_msix_init(&d, 0, 2, 0, 0x800, &sink), -1);
	assert_int_equal(pci_msix_init(&d, 2049, 2, 0, 0x800, &sink), -1);
	assert_int_equal(pci_msix_init(&d, 4, 3, 0, 0x800, &sink), -1);
	assert_int_equal(pci_msix_init(&d, 4, 2, 4, 0x800, &sink), -1);
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x38, &sink), -1);
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x1000, &sink), -1);
	assert_int_equal(pci_msix_init(&d, 256, 2, 0, 0x800, &sink), -1);
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x800, NULL), -1);
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x800, &sink), 0);
	assert_int_equal(pci_msix_init(&d, 4, 2, 0, 0x800, &sink), -1);
	assert_err_contains("already");
	/* A sink without attach: no eventfd can deliver a vector. */
	assert_int_equal(pci_msix_attach_fd(&d, 0, 100), -1);
	assert_err_contains("eventfd");
	pci_device_destroy(&d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_header),
		T(test_bar_sizing),
		T(test_bar_move_and_dispatch),
		T(test_capability_chain),
		T(test_msix_routes_mask_pending),
		T(test_msix_table_accesses),
		T(test_msix_fds),
		cmocka_unit_test(test_setup_refusals),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
