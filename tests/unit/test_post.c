// SPDX-License-Identifier: MIT
/*
 * Port 0x80 (dev/post.c): the last progress code reads back, and the
 * device ops: reset to 0, save/load of that one byte (any value is a
 * code, so only a truncated stream can be wrong), the write count left to
 * the host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "bus.h"
#include "dev/post.h"
#include "device.h"
#include "log.h"
#include "state.h"
#include "unit.h"

#define PORT 0x80

struct ctx {
	struct bus io;
	struct post *post;
};

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	bus_init(&c->io, "io", 0x10000);
	c->post = post_create();
	assert_non_null(c->post);
	assert_int_equal(post_register(c->post, &c->io, PORT), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	post_device_ops.destroy(c->post);
	bus_destroy(&c->io);
	free(c);
}

UNIT_CTX_FIXTURE()

static void out(struct ctx *c, uint64_t v, uint32_t len)
{
	uint8_t d[4];

	bus_data_put(d, len, v);
	assert_int_equal(bus_write(&c->io, PORT, d, len), BUS_OK);
}

static uint64_t in(struct ctx *c, uint32_t len)
{
	uint8_t d[4];

	assert_int_equal(bus_read(&c->io, PORT, d, len), BUS_OK);
	return bus_data_get(d, len);
}

static void test_last_code_reads_back(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(in(c, 1), 0);
	out(c, 0x55, 1);
	assert_int_equal(in(c, 1), 0x55);
	out(c, 0x12a3, 2); /* the low byte is the code */
	assert_int_equal(in(c, 1), 0xa3);
	assert_int_equal(in(c, 2), 0xa3);
	assert_int_equal(c->post->writes, 2);
}

static void test_save_load_reset(void **state)
{
	struct ctx *a = *state, *b = ctx_new(), *fresh = ctx_new();
	struct state_writer w, wf;
	struct state_reader r;

	out(a, 0xe2, 1);
	state_writer_init(&w);
	assert_int_equal(post_device_ops.save(a->post, &w), 0);
	assert_int_equal(w.len, 1);
	unit_state_refuses_truncated(&post_device_ops, b->post, &w);
	assert_int_equal(in(b, 1), 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(post_device_ops.load(b->post, &r, 1), 0);
	assert_int_equal(state_reader_done(&r, "post"), 0);
	assert_int_equal(in(b, 1), in(a, 1));
	assert_int_equal(in(b, 4), 0xe2);

	/* Reset: the power-on code; the host's count stays. */
	post_device_ops.reset(a->post);
	assert_int_equal(in(a, 1), 0);
	assert_int_equal(a->post->writes, 1);
	state_writer_free(&w);
	state_writer_init(&w);
	state_writer_init(&wf);
	assert_int_equal(post_device_ops.save(a->post, &w), 0);
	assert_int_equal(post_device_ops.save(fresh->post, &wf), 0);
	assert_int_equal(w.len, wf.len);
	assert_memory_equal(w.buf, wf.buf, w.len);
	state_writer_free(&w);
	state_writer_free(&wf);
	ctx_free(fresh);
	ctx_free(b);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_last_code_reads_back),
		T(test_save_load_reset),
	};
#undef T

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests_name("post", tests, NULL, NULL);
}
