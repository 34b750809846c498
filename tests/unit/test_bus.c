// SPDX-License-Identifier: MIT
/*
 * The I/O buses: registration checks (overlap, limit, wrap, empty, widths),
 * dispatch to a recording test device, refused widths and spills, the
 * all-ones answer for unclaimed accesses with its once-per-address log, the
 * binary search over many ranges, the top of the MMIO space, and the
 * little-endian data helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "unit.h"

/* A device that records its last access and counts calls. */
struct rec {
	int id;
	unsigned reads, writes;
	uint64_t offset;
	uint32_t len;
	uint8_t data[8];
};

static void rec_read(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t len)
{
	struct rec *r = opaque;

	r->reads++;
	r->offset = offset;
	r->len = len;
	/* Byte i of the answer is 0x10 * id + offset + i. */
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(0x10 * r->id + offset + i);
}

static void rec_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct rec *r = opaque;

	r->writes++;
	r->offset = offset;
	r->len = len;
	memset(r->data, 0, sizeof(r->data));
	memcpy(r->data, data, len > 8 ? 8 : len);
}

static const struct bus_ops rec_ops = { rec_read, rec_write };
static const struct bus_ops rec_ro_ops = { .read = rec_read };
static const struct bus_ops rec_wo_ops = { .write = rec_write };
static const struct bus_ops no_ops = { 0 };

struct ctx {
	struct bus io, mmio;
	struct rec dev[4];
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	bus_init(&c->io, "io", 0x10000);
	bus_init(&c->mmio, "mmio", 0);
	for (int i = 0; i < 4; i++)
		c->dev[i].id = i + 1;
	log_set_level(LOG_WARN);
	err_clear();
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	unit_stderr_discard();
	bus_destroy(&c->io);
	bus_destroy(&c->mmio);
	free(c);
	return 0;
}

static void reg_ok(struct bus *bus, const char *name, uint64_t base,
		   uint64_t len, unsigned widths, void *opaque)
{
	if (bus_register(bus, name, base, len, widths, &rec_ops, opaque)) {
		print_error("bus_register(%s): %s\n", name, err_msg());
		fail();
	}
}

/* ---- registration ---------------------------------------------------- */

static void test_register_and_find(void **state)
{
	struct ctx *c = *state;
	const struct bus_range *r;

	reg_ok(&c->io, "serial", 0x3f8, 8, BUS_W1, &c->dev[0]);
	assert_int_equal(c->io.nr_ranges, 1);
	r = bus_find(&c->io, 0x3f8);
	assert_non_null(r);
	assert_string_equal(r->name, "serial");
	assert_int_equal(r->base, 0x3f8);
	assert_int_equal(r->len, 8);
	assert_int_equal(r->widths, BUS_W1);
	assert_ptr_equal(r->ops, &rec_ops);
	assert_ptr_equal(r->opaque, &c->dev[0]);
	assert_ptr_equal(bus_find(&c->io, 0x3ff), r);
	assert_null(bus_find(&c->io, 0x3f7));
	assert_null(bus_find(&c->io, 0x400));
	assert_null(bus_find(&c->io, 0));
	assert_null(bus_find(&c->io, UINT64_MAX));
}

static void test_find_on_empty_bus(void **state)
{
	struct ctx *c = *state;

	assert_null(bus_find(&c->io, 0));
	assert_null(bus_find(&c->mmio, UINT64_MAX));
}

static void test_register_overlap_refused_naming_both(void **state)
{
	struct ctx *c = *state;
	static const struct {
		uint64_t base, len;
	} bad[] = {
		{ 0x100, 0x10 }, /* exact */
		{ 0xf8, 0x10 }, /* over the low end */
		{ 0x108, 0x10 }, /* over the high end */
		{ 0x104, 0x4 }, /* inside */
		{ 0xf0, 0x40 }, /* all around */
		{ 0xff, 2 }, /* one byte each side of the start */
		{ 0x10f, 1 }, /* the last byte */
		{ 0x100, 1 }, /* the first byte */
	};

	reg_ok(&c->io, "first", 0x100, 0x10, BUS_W_ANY, &c->dev[0]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		assert_int_equal(bus_register(&c->io, "second", bad[i].base,
					      bad[i].len, BUS_W_ANY, &rec_ops,
					      &c->dev[1]),
				 -1);
		assert_err_contains("second");
		assert_err_contains("overlaps first");
	}
	assert_int_equal(c->io.nr_ranges, 1);
	/* Adjacent on both sides is fine. */
	reg_ok(&c->io, "below", 0xf0, 0x10, BUS_W_ANY, &c->dev[1]);
	reg_ok(&c->io, "above", 0x110, 0x10, BUS_W_ANY, &c->dev[2]);
	assert_int_equal(c->io.nr_ranges, 3);
	assert_ptr_equal(bus_find(&c->io, 0xff)->opaque, &c->dev[1]);
	assert_ptr_equal(bus_find(&c->io, 0x100)->opaque, &c->dev[0]);
	assert_ptr_equal(bus_find(&c->io, 0x10f)->opaque, &c->dev[0]);
	assert_ptr_equal(bus_find(&c->io, 0x110)->opaque, &c->dev[2]);
	/* A range spanning a gap and a neighbour. */
	assert_int_equal(bus_register(&c->io, "wide", 0x80, 0x80, BUS_W1,
				      &rec_ops, NULL),
			 -1);
	assert_err_contains("overlaps below");
}

static void test_register_beyond_port_limit_refused(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(bus_register(&c->io, "dev", 0xffff, 2, BUS_W1,
				      &rec_ops, NULL),
			 -1);
	assert_err_contains("beyond 0xffff");
	assert_int_equal(bus_register(&c->io, "dev", 0x10000, 1, BUS_W1,
				      &rec_ops, NULL),
			 -1);
	assert_err_contains("beyond");
	assert_int_equal(bus_register(&c->io, "dev", 0, 0x10001, BUS_W1,
				      &rec_ops, NULL),
			 -1);
	assert_int_equal(c->io.nr_ranges, 0);
	/* The last port, and all of them, fit. */
	reg_ok(&c->io, "last", 0xffff, 1, BUS_W1, NULL);
	bus_destroy(&c->io);
	bus_init(&c->io, "io", 0x10000);
	reg_ok(&c->io, "all", 0, 0x10000, BUS_W1, NULL);
}

static void test_register_wrapping_range_refused(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(bus_register(&c->mmio, "dev", 0xfffffffffffffff0ull,
				      0x20, BUS_W4, &rec_ops, NULL),
			 -1);
	assert_err_contains("wraps around");
	assert_int_equal(bus_register(&c->mmio, "dev", 2, UINT64_MAX, BUS_W4,
				      &rec_ops, NULL),
			 -1);
	assert_err_contains("wraps around");
	assert_int_equal(c->mmio.nr_ranges, 0);
	/* [1, 2^64) does not wrap. */
	reg_ok(&c->mmio, "rest", 1, UINT64_MAX, BUS_W4, NULL);
}

static void test_register_zero_length_refused(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(bus_register(&c->io, "dev", 0x80, 0, BUS_W1, &rec_ops,
				      NULL),
			 -1);
	assert_err_contains("dev: empty io range at 0x80");
	assert_int_equal(c->io.nr_ranges, 0);
}

static void test_register_bad_width_mask_refused(void **state)
{
	struct ctx *c = *state;
	static const unsigned bad[] = { 0, 0x10, 0x20 | BUS_W1, 0x80000000u,
					~0u };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		assert_int_equal(bus_register(&c->io, "dev", 0x80, 1, bad[i],
					      &rec_ops, NULL),
				 -1);
		assert_err_contains("invalid access width mask");
	}
	assert_int_equal(c->io.nr_ranges, 0);
	reg_ok(&c->io, "any", 0x80, 1, BUS_W_ANY, NULL);
	reg_ok(&c->io, "w2w8", 0x90, 8, BUS_W2 | BUS_W8, NULL);
}

static void test_register_without_handlers_refused(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(bus_register(&c->io, "dev", 0x80, 1, BUS_W1, NULL,
				      NULL),
			 -1);
	assert_err_contains("no read or write handler");
	assert_int_equal(bus_register(&c->io, "dev", 0x80, 1, BUS_W1, &no_ops,
				      NULL),
			 -1);
	assert_err_contains("no read or write handler");
	assert_int_equal(c->io.nr_ranges, 0);
}

/* ---- dispatch -------------------------------------------------------- */

static void test_dispatch_read_and_write_with_offsets(void **state)
{
	struct ctx *c = *state;
	uint8_t w[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
	uint8_t d[8];

	reg_ok(&c->io, "dev", 0x3f8, 8, BUS_W_ANY, &c->dev[0]);
	assert_int_equal(bus_write(&c->io, 0x3fa, w, 2), BUS_OK);
	assert_int_equal(c->dev[0].writes, 1);
	assert_int_equal(c->dev[0].offset, 2);
	assert_int_equal(c->dev[0].len, 2);
	assert_memory_equal(c->dev[0].data, "\x11\x22\0\0\0\0\0\0", 8);

	memset(d, 0, sizeof(d));
	assert_int_equal(bus_read(&c->io, 0x3fc, d, 4), BUS_OK);
	assert_int_equal(c->dev[0].reads, 1);
	assert_int_equal(c->dev[0].offset, 4);
	assert_int_equal(c->dev[0].len, 4);
	assert_memory_equal(d, "\x14\x15\x16\x17\0\0\0\0", 8);

	assert_int_equal(bus_write(&c->io, 0x3f8, w, 8), BUS_OK);
	assert_int_equal(c->dev[0].offset, 0);
	assert_int_equal(c->dev[0].len, 8);
	assert_memory_equal(c->dev[0].data, w, 8);
	assert_int_equal(bus_read(&c->io, 0x3ff, d, 1), BUS_OK);
	assert_int_equal(c->dev[0].offset, 7);
	assert_int_equal(d[0], 0x17);
	assert_int_equal(c->io.unclaimed_count, 0);
}

static void test_dispatch_reaches_the_right_neighbour(void **state)
{
	struct ctx *c = *state;
	uint8_t d = 0;

	reg_ok(&c->io, "a", 0x60, 1, BUS_W1, &c->dev[0]);
	reg_ok(&c->io, "b", 0x61, 1, BUS_W1, &c->dev[1]);
	reg_ok(&c->io, "c", 0x64, 1, BUS_W1, &c->dev[2]);
	assert_int_equal(bus_read(&c->io, 0x61, &d, 1), BUS_OK);
	assert_int_equal(d, 0x20);
	assert_int_equal(bus_read(&c->io, 0x64, &d, 1), BUS_OK);
	assert_int_equal(d, 0x30);
	assert_int_equal(bus_read(&c->io, 0x60, &d, 1), BUS_OK);
	assert_int_equal(d, 0x10);
	assert_int_equal(c->dev[0].reads + c->dev[1].reads + c->dev[2].reads, 3);
}

static void test_width_not_accepted_never_reaches_device(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8], w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	reg_ok(&c->io, "byte-only", 0x70, 2, BUS_W1, &c->dev[0]);
	unit_stderr_begin();
	memset(d, 0, sizeof(d));
	assert_int_equal(bus_read(&c->io, 0x70, d, 2), BUS_BAD_WIDTH);
	assert_memory_equal(d, "\xff\xff\0\0\0\0\0\0", 8);
	assert_int_equal(bus_write(&c->io, 0x70, w, 2), BUS_BAD_WIDTH);
	assert_int_equal(bus_write(&c->io, 0x71, w, 4), BUS_BAD_WIDTH);
	free(unit_stderr_end());
	assert_int_equal(c->dev[0].reads, 0);
	assert_int_equal(c->dev[0].writes, 0);
	/* The width it declared still works. */
	assert_int_equal(bus_read(&c->io, 0x71, d, 1), BUS_OK);
	assert_int_equal(c->dev[0].reads, 1);
}

static void test_invalid_access_length_refused(void **state)
{
	struct ctx *c = *state;
	static const uint32_t bad[] = { 0, 3, 5, 6, 7, 16 };
	uint8_t d[16], w[16] = { 0 };

	reg_ok(&c->mmio, "dev", 0x1000, 0x100, BUS_W_ANY, &c->dev[0]);
	unit_stderr_begin();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(d, 0, sizeof(d));
		assert_int_equal(bus_read(&c->mmio, 0x1000, d, bad[i]),
				 BUS_BAD_WIDTH);
		for (uint32_t j = 0; j < bad[i] && j < 8; j++)
			assert_int_equal(d[j], 0xff);
		assert_int_equal(bus_write(&c->mmio, 0x1000, w, bad[i]),
				 BUS_BAD_WIDTH);
	}
	free(unit_stderr_end());
	assert_int_equal(c->dev[0].reads, 0);
	assert_int_equal(c->dev[0].writes, 0);
}

static void test_access_spilling_past_range_end_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8], w[8] = { 0 };

	reg_ok(&c->io, "dev", 0x80, 4, BUS_W_ANY, &c->dev[0]);
	unit_stderr_begin();
	memset(d, 0, sizeof(d));
	/* 4-byte read at the last byte. */
	assert_int_equal(bus_read(&c->io, 0x83, d, 4), BUS_BAD_WIDTH);
	assert_memory_equal(d, "\xff\xff\xff\xff\0\0\0\0", 8);
	assert_int_equal(bus_read(&c->io, 0x83, d, 2), BUS_BAD_WIDTH);
	assert_int_equal(bus_read(&c->io, 0x81, d, 4), BUS_BAD_WIDTH);
	assert_int_equal(bus_write(&c->io, 0x82, w, 4), BUS_BAD_WIDTH);
	/* Wider than the range and not at its base. */
	assert_int_equal(bus_read(&c->io, 0x81, d, 8), BUS_BAD_WIDTH);
	free(unit_stderr_end());
	assert_int_equal(c->dev[0].reads + c->dev[0].writes, 0);
	/* Within the range. */
	assert_int_equal(bus_read(&c->io, 0x82, d, 2), BUS_OK);
	assert_int_equal(bus_read(&c->io, 0x80, d, 4), BUS_OK);
	assert_int_equal(c->dev[0].reads, 2);
}

/*
 * A range narrower than a width it declares takes that access at its base
 * (a one-port console receiving a 16-bit OUT); anywhere else it does not.
 */
static void test_narrow_range_takes_declared_wider_access_at_base(void **state)
{
	struct ctx *c = *state;
	uint8_t w[4] = { 'A', 0, 0, 0 }, d[2];

	reg_ok(&c->io, "debugcon", 0xe9, 1, BUS_W1 | BUS_W2, &c->dev[0]);
	assert_int_equal(bus_write(&c->io, 0xe9, w, 2), BUS_OK);
	assert_int_equal(c->dev[0].writes, 1);
	assert_int_equal(c->dev[0].offset, 0);
	assert_int_equal(c->dev[0].len, 2);
	assert_int_equal(c->dev[0].data[0], 'A');
	assert_int_equal(bus_read(&c->io, 0xe9, d, 2), BUS_OK);
	assert_int_equal(c->dev[0].len, 2);
	/* Not declared: refused even at the base. */
	unit_stderr_begin();
	assert_int_equal(bus_write(&c->io, 0xe9, w, 4), BUS_BAD_WIDTH);
	free(unit_stderr_end());
	assert_int_equal(c->dev[0].writes, 1);
}

static void test_unclaimed_read_is_all_ones(void **state)
{
	struct ctx *c = *state;
	static const uint32_t lens[] = { 1, 2, 4, 8 };
	uint8_t d[16];

	reg_ok(&c->io, "dev", 0x80, 1, BUS_W_ANY, &c->dev[0]);
	unit_stderr_begin();
	for (size_t i = 0; i < 4; i++) {
		memset(d, 0, sizeof(d));
		assert_int_equal(bus_read(&c->io, 0x1000, d, lens[i]),
				 BUS_UNCLAIMED);
		for (uint32_t j = 0; j < sizeof(d); j++)
			assert_int_equal(d[j], j < lens[i] ? 0xff : 0);
		assert_int_equal(bus_data_get(d, lens[i]),
				 lens[i] == 8 ? UINT64_MAX :
						(1ull << (8 * lens[i])) - 1);
	}
	free(unit_stderr_end());
	assert_int_equal(c->io.unclaimed_count, 4);
	assert_int_equal(c->dev[0].reads, 0);
}

static void test_unclaimed_write_is_dropped(void **state)
{
	struct ctx *c = *state;
	uint8_t w[4] = { 1, 2, 3, 4 };

	reg_ok(&c->io, "dev", 0x80, 1, BUS_W_ANY, &c->dev[0]);
	unit_stderr_begin();
	assert_int_equal(bus_write(&c->io, 0x81, w, 1), BUS_UNCLAIMED);
	assert_int_equal(bus_write(&c->io, 0x7c, w, 4), BUS_UNCLAIMED);
	free(unit_stderr_end());
	assert_int_equal(c->dev[0].writes, 0);
	assert_int_equal(c->io.unclaimed_count, 2);
}

static void test_missing_handler_is_unclaimed(void **state)
{
	struct ctx *c = *state;
	uint8_t d[1] = { 0 }, w[1] = { 9 };

	assert_int_equal(bus_register(&c->io, "ro", 0x10, 1, BUS_W1,
				      &rec_ro_ops, &c->dev[0]),
			 0);
	assert_int_equal(bus_register(&c->io, "wo", 0x11, 1, BUS_W1,
				      &rec_wo_ops, &c->dev[1]),
			 0);
	unit_stderr_begin();
	assert_int_equal(bus_write(&c->io, 0x10, w, 1), BUS_UNCLAIMED);
	assert_int_equal(bus_read(&c->io, 0x11, d, 1), BUS_UNCLAIMED);
	free(unit_stderr_end());
	assert_int_equal(d[0], 0xff);
	assert_int_equal(c->dev[0].reads + c->dev[0].writes, 0);
	assert_int_equal(c->dev[1].reads + c->dev[1].writes, 0);
	assert_int_equal(bus_read(&c->io, 0x10, d, 1), BUS_OK);
	assert_int_equal(bus_write(&c->io, 0x11, w, 1), BUS_OK);
}

static void test_unclaimed_logged_once_per_address(void **state)
{
	struct ctx *c = *state;
	uint8_t d[4], w[4] = { 0x12, 0x34, 0, 0 };
	char *out;

	unit_stderr_begin();
	bus_read(&c->io, 0x80, d, 1);
	bus_read(&c->io, 0x80, d, 1);
	bus_read(&c->io, 0x80, d, 2);
	bus_write(&c->io, 0x80, w, 1);
	bus_write(&c->io, 0x84, w, 2);
	bus_write(&c->io, 0x84, w, 2);
	bus_read(&c->io, 0x81, d, 1);
	out = unit_stderr_end();
	assert_int_equal(c->io.unclaimed_count, 7);
	assert_int_equal(c->io.nr_unclaimed_seen, 3);
	assert_int_equal(unit_count(out, "logged once per address"), 3);
	assert_int_equal(unit_count(out, "io read at 0x80 "), 1);
	assert_int_equal(unit_count(out, "io write at 0x84 size=2 data=0x3412"),
			 1);
	assert_int_equal(unit_count(out, "io read at 0x81 "), 1);
	assert_int_equal(unit_count(out, "write at 0x80"), 0);
	assert_false(c->io.unclaimed_quiet);
	free(out);
}

static void test_unclaimed_logging_goes_quiet_after_max(void **state)
{
	struct ctx *c = *state;
	uint8_t d[1];
	char *out;

	unit_stderr_begin();
	for (uint64_t a = 0; a < BUS_UNCLAIMED_LOG_MAX + 10; a++)
		bus_read(&c->mmio, 0x100000 + a * 4, d, 1);
	/* Addresses seen before are still quiet; new ones too. */
	bus_read(&c->mmio, 0x100000, d, 1);
	bus_read(&c->mmio, 0x900000, d, 1);
	out = unit_stderr_end();
	assert_int_equal(c->mmio.nr_unclaimed_seen, BUS_UNCLAIMED_LOG_MAX);
	assert_true(c->mmio.unclaimed_quiet);
	assert_int_equal(c->mmio.unclaimed_count, BUS_UNCLAIMED_LOG_MAX + 12);
	assert_int_equal(unit_count(out, "logged once per address"),
			 BUS_UNCLAIMED_LOG_MAX);
	assert_int_equal(unit_count(out, "no longer logging"), 1);
	assert_int_equal(unit_count(out, "0x900000"), 0);
	free(out);
}

static void test_unclaimed_not_logged_below_warn_level(void **state)
{
	struct ctx *c = *state;
	uint8_t d[1];
	char *out;

	log_set_level(LOG_ERROR);
	unit_stderr_begin();
	assert_int_equal(bus_read(&c->io, 0x80, d, 1), BUS_UNCLAIMED);
	out = unit_stderr_end();
	log_set_level(LOG_WARN);
	assert_string_equal(out, "");
	assert_int_equal(d[0], 0xff);
	free(out);
}

/* ---- many ranges ----------------------------------------------------- */

#define NR_MANY 100

static void test_many_ranges_in_random_order(void **state)
{
	struct ctx *c = *state;
	static struct rec recs[NR_MANY];
	uint64_t base[NR_MANY], len[NR_MANY];
	unsigned order[NR_MANY];
	uint32_t seed = 12345;
	uint64_t at = 0x1000;

	/* Ranges of 1..16 bytes with gaps of 0..7 bytes between them. */
	for (unsigned i = 0; i < NR_MANY; i++) {
		seed = seed * 1103515245u + 12345u;
		len[i] = 1 + (seed >> 16) % 16;
		base[i] = at;
		at += len[i] + (seed >> 8) % 8;
		order[i] = i;
		recs[i] = (struct rec){ .id = (int)i };
	}
	for (unsigned i = NR_MANY - 1; i > 0; i--) { /* Fisher-Yates */
		unsigned j, t;

		seed = seed * 1103515245u + 12345u;
		j = (seed >> 16) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned k = 0; k < NR_MANY; k++) {
		unsigned i = order[k];
		char name[16];

		snprintf(name, sizeof(name), "r%u", i);
		assert_int_equal(bus_register(&c->mmio, name, base[i], len[i],
					      BUS_W1, &rec_ops, &recs[i]),
				 0);
	}
	assert_int_equal(c->mmio.nr_ranges, NR_MANY);
	for (size_t i = 1; i < NR_MANY; i++)
		assert_true(c->mmio.ranges[i - 1].base +
				    c->mmio.ranges[i - 1].len <=
			    c->mmio.ranges[i].base);

	/* Every address from below the first to past the last. */
	for (uint64_t a = 0xff0; a < at + 0x10; a++) {
		const struct bus_range *r = bus_find(&c->mmio, a);
		int want = -1;

		for (unsigned i = 0; i < NR_MANY; i++)
			if (a >= base[i] && a < base[i] + len[i])
				want = (int)i;
		if (want < 0) {
			if (r) {
				print_error("0x%llx: found %s in a gap\n",
					    (unsigned long long)a, r->name);
				fail();
			}
			continue;
		}
		assert_non_null(r);
		assert_ptr_equal(r->opaque, &recs[want]);
		assert_int_equal(r->base, base[want]);
	}

	/* Dispatch goes to the right device with the right offset. */
	for (unsigned i = 0; i < NR_MANY; i++) {
		uint8_t d = 0;

		assert_int_equal(bus_read(&c->mmio, base[i] + len[i] - 1, &d, 1),
				 BUS_OK);
		assert_int_equal(recs[i].reads, 1);
		assert_int_equal(recs[i].offset, len[i] - 1);
	}
	/* And overlaps with any of them are still refused. */
	for (unsigned i = 0; i < NR_MANY; i++)
		assert_int_equal(bus_register(&c->mmio, "x", base[i] + len[i] - 1,
					      1, BUS_W1, &rec_ops, NULL),
				 -1);
}

/* ---- the top of the MMIO space --------------------------------------- */

static void test_mmio_range_ending_at_2_64_minus_1(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8];

	reg_ok(&c->mmio, "top", 0xfffffffffffff000ull, 0x1000, BUS_W_ANY,
	       &c->dev[0]);
	assert_non_null(bus_find(&c->mmio, UINT64_MAX));
	assert_null(bus_find(&c->mmio, 0xffffffffffffefffull));
	assert_int_equal(bus_read(&c->mmio, UINT64_MAX - 7, d, 8), BUS_OK);
	assert_int_equal(c->dev[0].offset, 0xff8);
	assert_int_equal(bus_read(&c->mmio, UINT64_MAX, d, 1), BUS_OK);
	assert_int_equal(c->dev[0].offset, 0xfff);
	unit_stderr_begin();
	assert_int_equal(bus_read(&c->mmio, UINT64_MAX, d, 2), BUS_BAD_WIDTH);
	assert_int_equal(bus_read(&c->mmio, UINT64_MAX - 3, d, 8),
			 BUS_BAD_WIDTH);
	free(unit_stderr_end());
	assert_int_equal(bus_register(&c->mmio, "x", UINT64_MAX, 1, BUS_W1,
				      &rec_ops, NULL),
			 -1);
	assert_err_contains("overlaps top");
	/* A whole-space range on an empty MMIO bus. */
	bus_destroy(&c->mmio);
	bus_init(&c->mmio, "mmio", 0);
	assert_int_equal(bus_register(&c->mmio, "all", 0, UINT64_MAX, BUS_W1,
				      &rec_ops, NULL),
			 0);
	assert_non_null(bus_find(&c->mmio, UINT64_MAX - 1));
	assert_null(bus_find(&c->mmio, UINT64_MAX));
}

/* ---- data helpers ---------------------------------------------------- */

static void test_bus_data_get_put_little_endian(void **state)
{
	uint8_t d[10];

	(void)state;
	memset(d, 0xcc, sizeof(d));
	bus_data_put(d, 8, 0x1122334455667788ull);
	assert_memory_equal(d, "\x88\x77\x66\x55\x44\x33\x22\x11\xcc\xcc", 10);
	assert_int_equal(bus_data_get(d, 8), 0x1122334455667788ull);
	assert_int_equal(bus_data_get(d, 4), 0x55667788);
	assert_int_equal(bus_data_get(d, 2), 0x7788);
	assert_int_equal(bus_data_get(d, 1), 0x88);
	assert_int_equal(bus_data_get(d, 0), 0);

	memset(d, 0xcc, sizeof(d));
	bus_data_put(d, 2, 0xabcd1234);
	assert_memory_equal(d, "\x34\x12\xcc", 3);
	bus_data_put(d, 1, 0xfe);
	assert_int_equal(d[0], 0xfe);
	assert_int_equal(d[1], 0x12);

	/* Lengths above 8 are clamped to the 64-bit value. */
	memset(d, 0xcc, sizeof(d));
	bus_data_put(d, 10, 0x0102030405060708ull);
	assert_int_equal(d[8], 0xcc);
	assert_int_equal(bus_data_get(d, 10), 0x0102030405060708ull);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_register_and_find),
		T(test_find_on_empty_bus),
		T(test_register_overlap_refused_naming_both),
		T(test_register_beyond_port_limit_refused),
		T(test_register_wrapping_range_refused),
		T(test_register_zero_length_refused),
		T(test_register_bad_width_mask_refused),
		T(test_register_without_handlers_refused),
		T(test_dispatch_read_and_write_with_offsets),
		T(test_dispatch_reaches_the_right_neighbour),
		T(test_width_not_accepted_never_reaches_device),
		T(test_invalid_access_length_refused),
		T(test_access_spilling_past_range_end_refused),
		T(test_narrow_range_takes_declared_wider_access_at_base),
		T(test_unclaimed_read_is_all_ones),
		T(test_unclaimed_write_is_dropped),
		T(test_missing_handler_is_unclaimed),
		T(test_unclaimed_logged_once_per_address),
		T(test_unclaimed_logging_goes_quiet_after_max),
		T(test_unclaimed_not_logged_below_warn_level),
		T(test_many_ranges_in_random_order),
		T(test_mmio_range_ending_at_2_64_minus_1),
		T(test_bus_data_get_put_little_endian),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
