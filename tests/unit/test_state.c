// SPDX-License-Identifier: MIT
/*
 * The saved-state byte stream (state.h) and the device list's save/load
 * framing (device.h): round trips, and every way a stream read back from a
 * file can be wrong — truncated anywhere, bit flips, unknown, missing or
 * duplicated devices, newer versions, bytes left over, bad values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "log.h"
#include "state.h"
#include "unit.h"

static void test_round_trip_every_type(void **state)
{
	struct state_writer w;
	struct state_reader r;
	uint8_t bytes[5] = { 1, 2, 3, 4, 5 }, back[5];
	char str[16];

	(void)state;
	state_writer_init(&w);
	state_put_u8(&w, 0xab);
	state_put_u16(&w, 0xbeef);
	state_put_u32(&w, 0xdeadbeef);
	state_put_u64(&w, 0x0123456789abcdefull);
	state_put_bool(&w, true);
	state_put_bytes(&w, bytes, sizeof(bytes));
	state_put_str(&w, "com1");
	assert_int_equal(state_writer_error(&w), 0);
	assert_int_equal(w.len, 1 + 2 + 4 + 8 + 1 + 5 + 2 + 4);
	/* Little-endian on the wire. */
	assert_int_equal(w.buf[1], 0xef);
	assert_int_equal(w.buf[2], 0xbe);

	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(state_get_u8(&r), 0xab);
	assert_int_equal(state_get_u16(&r), 0xbeef);
	assert_int_equal(state_get_u32(&r), 0xdeadbeef);
	assert_true(state_get_u64(&r) == 0x0123456789abcdefull);
	assert_true(state_get_bool(&r));
	state_get_bytes(&r, back, sizeof(back));
	assert_memory_equal(back, bytes, sizeof(bytes));
	state_get_str(&r, str, sizeof(str));
	assert_string_equal(str, "com1");
	assert_int_equal(state_reader_done(&r, "test"), 0);
	state_writer_free(&w);
}

static void test_writer_grows_past_first_buffer(void **state)
{
	struct state_writer w;

	(void)state;
	state_writer_init(&w);
	for (uint32_t i = 0; i < 10000; i++)
		state_put_u32(&w, i);
	assert_int_equal(state_writer_error(&w), 0);
	assert_int_equal(w.len, 40000);
	assert_int_equal(w.buf[4 * 9999], 9999 & 0xff);
	state_writer_free(&w);
}

static void test_truncated_reads_zero_and_fail_once(void **state)
{
	uint8_t buf[3] = { 1, 2, 3 };
	struct state_reader r;

	(void)state;
	state_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(state_get_u16(&r), 0x0201);
	assert_int_equal(state_get_u32(&r), 0); /* 1 byte left: refused */
	assert_int_equal(state_get_u8(&r), 0); /* sticky, even if a byte is left */
	assert_int_equal(state_remaining(&r), 0);
	assert_int_equal(state_reader_done(&r, "thing"), -1);
	assert_err_contains("thing: truncated");
}

static void test_bad_bool_and_leftover_and_fail(void **state)
{
	uint8_t two = 2, pair[2] = { 1, 0 };
	struct state_reader r;
	char s[4];

	(void)state;
	state_reader_init(&r, &two, 1);
	(void)state_get_bool(&r);
	assert_int_equal(state_reader_done(&r, "b"), -1);
	assert_err_contains("boolean");

	state_reader_init(&r, pair, 2);
	(void)state_get_u8(&r);
	assert_int_equal(state_reader_error(&r, "x"), 0);
	assert_int_equal(state_reader_done(&r, "x"), -1);
	assert_err_contains("1 bytes left over");

	state_reader_init(&r, pair, 2);
	assert_int_equal(state_reader_fail(&r, "count %d too large", 99), -1);
	state_reader_fail(&r, "second reason is not kept");
	assert_int_equal(state_reader_done(&r, "dev"), -1);
	assert_err_contains("dev: count 99 too large");

	/* A string longer than the destination. */
	{
		uint8_t str[] = { 5, 0, 'a', 'b', 'c', 'd', 'e' };

		state_reader_init(&r, str, sizeof(str));
		state_get_str(&r, s, sizeof(s));
		assert_string_equal(s, "");
		assert_int_equal(state_reader_error(&r, "s"), -1);
	}
}

/* ---- The device list ---- */

struct counter {
	uint32_t value;
	int resets, destroyed;
	int *destroy_order;
	int id;
};

static int destroy_log[8], destroy_count;

static void counter_reset(void *dev)
{
	struct counter *c = dev;

	c->value = 0;
	c->resets++;
}

static int counter_save(void *dev, struct state_writer *w)
{
	state_put_u32(w, ((struct counter *)dev)->value);
	return 0;
}

static int counter_load(void *dev, struct state_reader *r, uint32_t version)
{
	struct counter *c = dev;
	uint32_t v = state_get_u32(r);

	(void)version;
	if (v > 1000)
		return state_reader_fail(r, "value %u above 1000", v);
	c->value = v;
	return 0;
}

static void counter_destroy(void *dev)
{
	struct counter *c = dev;

	c->destroyed++;
	if (destroy_count < (int)(sizeof(destroy_log) / sizeof(destroy_log[0])))
		destroy_log[destroy_count++] = c->id;
}

static const struct device_ops counter_ops = {
	.type = "counter",
	.version = 2,
	.reset = counter_reset,
	.save = counter_save,
	.load = counter_load,
	.destroy = counter_destroy,
};

static const struct device_ops stateless_ops = { .type = "stateless",
						 .version = 1 };

static void build(struct device_list *l, struct counter *a, struct counter *b)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->id = 1;
	b->id = 2;
	device_list_init(l);
	assert_int_equal(device_list_add(l, "a", &counter_ops, a), 0);
	assert_int_equal(device_list_add(l, "quiet", &stateless_ops, NULL), 0);
	assert_int_equal(device_list_add(l, "b", &counter_ops, b), 0);
}

static void save(struct device_list *l, struct state_writer *w)
{
	state_writer_init(w);
	assert_int_equal(device_list_save(l, w), 0);
}

static void test_list_round_trip_reset_destroy_order(void **state)
{
	struct device_list l1, l2;
	struct counter a1, b1, a2, b2;
	struct state_writer w;
	struct state_reader r;

	(void)state;
	build(&l1, &a1, &b1);
	a1.value = 7;
	b1.value = 900;
	save(&l1, &w);
	build(&l2, &a2, &b2);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(device_list_load(&l2, &r), 0);
	assert_int_equal(a2.value, 7);
	assert_int_equal(b2.value, 900);

	device_list_reset(&l2);
	assert_int_equal(a2.value, 0);
	assert_int_equal(b2.resets, 1);

	destroy_count = 0;
	device_list_destroy(&l2);
	assert_int_equal(destroy_count, 2);
	assert_int_equal(destroy_log[0], 2); /* last added goes first */
	assert_int_equal(destroy_log[1], 1);
	device_list_destroy(&l1);
	state_writer_free(&w);
}

static void test_list_refuses_names(void **state)
{
	struct device_list l;
	struct counter a, b, c = { .id = 3 };

	(void)state;
	build(&l, &a, &b);
	destroy_count = 0;
	assert_int_equal(device_list_add(&l, "a", &counter_ops, &c), -1);
	assert_err_contains("exists already");
	assert_int_equal(c.destroyed, 1); /* owned, so destroyed on failure */
	assert_int_equal(device_list_add(&l, "", &counter_ops, &c), -1);
	assert_int_equal(device_list_add(&l, "a-name-that-is-far-too-long-for-it",
					 &counter_ops, &c),
			 -1);
	device_list_destroy(&l);
}

/* Load `w` after `edit` changed it; returns what device_list_load did. */
static int load_edited(const struct state_writer *w, size_t len)
{
	struct device_list l;
	struct counter a, b;
	struct state_reader r;
	int rc;

	build(&l, &a, &b);
	state_reader_init(&r, w->buf, len);
	rc = device_list_load(&l, &r);
	device_list_destroy(&l);
	return rc;
}

static void test_list_load_every_truncation_fails(void **state)
{
	struct device_list l;
	struct counter a, b;
	struct state_writer w;

	(void)state;
	build(&l, &a, &b);
	save(&l, &w);
	for (size_t len = 0; len < w.len; len++)
		assert_int_equal(load_edited(&w, len), -1);
	assert_int_equal(load_edited(&w, w.len), 0);
	device_list_destroy(&l);
	state_writer_free(&w);
}

static void test_list_load_bit_flips_never_crash(void **state)
{
	struct device_list l;
	struct counter a, b;
	struct state_writer w;

	(void)state;
	build(&l, &a, &b);
	a.value = 5;
	save(&l, &w);
	for (size_t i = 0; i < w.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			w.buf[i] ^= (uint8_t)(1u << bit);
			(void)load_edited(&w, w.len); /* any answer, no crash */
			w.buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	assert_int_equal(load_edited(&w, w.len), 0);
	device_list_destroy(&l);
	state_writer_free(&w);
}

static void test_list_load_mismatches(void **state)
{
	struct device_list l, other;
	struct counter a, b, c = { .id = 3 };
	struct state_writer w;
	struct state_reader r;

	(void)state;
	build(&l, &a, &b);
	a.value = 2000; /* out of range for the loader */
	save(&l, &w);
	assert_int_equal(load_edited(&w, w.len), -1);
	assert_err_contains("a: value 2000 above 1000");
	state_writer_free(&w);

	/* A machine with another device list. */
	a.value = 1;
	save(&l, &w);
	device_list_init(&other);
	assert_int_equal(device_list_add(&other, "a", &counter_ops, &c), 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(device_list_load(&other, &r), -1);
	assert_err_contains("3 devices saved, this machine has 1");
	device_list_destroy(&other);

	/* A newer version than this build reads: patch the first version. */
	{
		size_t at = 4 + 2 + 1; /* count, name length, "a" */

		w.buf[at] = 3;
		assert_int_equal(load_edited(&w, w.len), -1);
		assert_err_contains("version 3");
		w.buf[at] = 2;
	}
	/* An unknown name: "a" becomes "z". */
	w.buf[4 + 2] = 'z';
	assert_int_equal(load_edited(&w, w.len), -1);
	assert_err_contains("z: no such device");
	/* A duplicate: "z" becomes "b", which comes again later. */
	w.buf[4 + 2] = 'b';
	assert_int_equal(load_edited(&w, w.len), -1);
	assert_err_contains("saved twice");
	device_list_destroy(&l);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_writer_grows_past_first_buffer),
		cmocka_unit_test(test_truncated_reads_zero_and_fail_once),
		cmocka_unit_test(test_bad_bool_and_leftover_and_fail),
		cmocka_unit_test(test_list_round_trip_reset_destroy_order),
		cmocka_unit_test(test_list_refuses_names),
		cmocka_unit_test(test_list_load_every_truncation_fails),
		cmocka_unit_test(test_list_load_bit_flips_never_crash),
		cmocka_unit_test(test_list_load_mismatches),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
