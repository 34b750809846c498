// SPDX-License-Identifier: MIT
/*
 * isa-debug-exit on a port bus: the exit status a write of each width asks
 * for ((v << 1) | 1, as an exit status keeps it), every port of the range,
 * reads of 0, the sizes and ranges it refuses, and no state to save.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/debug_exit.h"
#include "log.h"
#include "unit.h"

static int calls, last_status;

static void on_exit_status(void *opaque, int status)
{
	assert_ptr_equal(opaque, &calls);
	calls++;
	last_status = status;
}

static void out(struct bus *io, uint64_t port, uint64_t value, uint32_t len)
{
	uint8_t data[8];

	bus_data_put(data, len, value);
	bus_write(io, port, data, len);
}

static void test_status_of_each_width(void **state)
{
	static const struct {
		uint16_t port;
		uint64_t value;
		uint32_t len;
		int status;
	} writes[] = {
		{ 0xf4, 0x00, 1, 1 },
		{ 0xf4, 0x01, 1, 3 },
		{ 0xf4, 0x7f, 1, 255 },
		{ 0xf4, 0x80, 1, 1 }, /* bit 7 is shifted out of an exit status */
		{ 0xf4, 0x1234, 2, 0x69 },
		{ 0xf4, 0x12345678, 4, 0xf1 },
		{ 0xf7, 0x02, 1, 5 }, /* every port of the range exits */
	};
	struct bus io;
	struct debug_exit *de;

	(void)state;
	bus_init(&io, "io", 0x10000);
	de = debug_exit_create(0xf4, 4, on_exit_status, &calls);
	assert_non_null(de);
	assert_int_equal(debug_exit_register(de, &io), 0);
	calls = 0;
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		out(&io, writes[i].port, writes[i].value, writes[i].len);
		assert_int_equal(calls, (int)i + 1);
		assert_int_equal(last_status, writes[i].status);
	}
	/* The port after the range is not ours. */
	out(&io, 0xf8, 0x02, 1);
	assert_int_equal(calls, 7);
	bus_destroy(&io);
	debug_exit_device_ops.destroy(de);
}

static void test_reads_zero(void **state)
{
	struct bus io;
	struct debug_exit *de;
	uint8_t data[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	(void)state;
	bus_init(&io, "io", 0x10000);
	de = debug_exit_create(DEBUG_EXIT_DEFAULT_IOBASE, DEBUG_EXIT_DEFAULT_IOSIZE,
			       on_exit_status, &calls);
	assert_non_null(de);
	assert_int_equal(debug_exit_register(de, &io), 0);
	calls = 0;
	bus_read(&io, 0x501, data, 2);
	assert_int_equal(data[0], 0);
	assert_int_equal(data[1], 0);
	assert_int_equal(calls, 0);
	assert_null(debug_exit_device_ops.save);
	assert_null(debug_exit_device_ops.reset);
	bus_destroy(&io);
	debug_exit_device_ops.destroy(de);
}

static void test_refused(void **state)
{
	(void)state;
	assert_null(debug_exit_create(0xf4, 3, on_exit_status, &calls));
	assert_non_null(strstr(err_msg(), "iosize must be 1, 2 or 4"));
	assert_null(debug_exit_create(0xf4, 0, on_exit_status, &calls));
	assert_null(debug_exit_create(0xfffe, 4, on_exit_status, &calls));
	assert_non_null(strstr(err_msg(), "past port 0xffff"));
	assert_int_equal(debug_exit_status(0xffffffffffffffffull), 0xff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_of_each_width),
		cmocka_unit_test(test_reads_zero),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
