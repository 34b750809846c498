// SPDX-License-Identifier: MIT
/*
 * The boot-time marker (dev/boot_marker.c): the magic byte prints one
 * numbered line, other bytes nothing, reads are all-ones; and the device
 * ops: no guest-visible state, so its part of a saved device list is empty
 * and a part with bytes is refused.
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
#include "dev/boot_marker.h"
#include "device.h"
#include "log.h"
#include "state.h"
#include "unit.h"

static void test_marker_and_no_state(void **state)
{
	struct timespec start;
	struct device_list l;
	struct state_writer w;
	struct state_reader r;
	struct boot_marker *m;
	struct bus io;
	char *text = NULL;
	size_t text_len = 0, part;
	FILE *out = open_memstream(&text, &text_len);
	uint8_t d[4];

	(void)state;
	assert_non_null(out);
	clock_gettime(CLOCK_MONOTONIC, &start);
	bus_init(&io, "io", 0x10000);
	m = boot_marker_create(&start, out);
	assert_non_null(m);
	device_list_init(&l);
	assert_int_equal(device_list_add(&l, "boot-marker",
					 &boot_marker_device_ops, m),
			 0);
	assert_int_equal(boot_marker_register(m, &io, BOOT_MARKER_PORT), 0);

	d[0] = 1;
	assert_int_equal(bus_write(&io, BOOT_MARKER_PORT, d, 1), BUS_OK);
	d[0] = BOOT_MARKER_MAGIC;
	assert_int_equal(bus_write(&io, BOOT_MARKER_PORT, d, 1), BUS_OK);
	assert_int_equal(bus_read(&io, BOOT_MARKER_PORT, d, 2), BUS_OK);
	assert_int_equal(bus_data_get(d, 2), 0xffff);
	fflush(out);
	assert_str_contains(text, "boot marker 1: ");
	assert_int_equal(unit_count(text, "boot marker"), 1);

	state_writer_init(&w);
	assert_int_equal(device_list_save(&l, &w), 0);
	part = 4 + 2 + strlen("boot-marker") + 4;
	assert_int_equal(w.len, part + 4);
	assert_int_equal(w.buf[part], 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(device_list_load(&l, &r), 0);
	device_list_reset(&l); /* nothing to reset: the count is the host's */
	assert_int_equal(m->count, 1);
	w.buf[part] = 1;
	state_put_u8(&w, 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(device_list_load(&l, &r), -1);
	assert_err_contains("without state");

	state_writer_free(&w);
	device_list_destroy(&l);
	bus_destroy(&io);
	fclose(out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marker_and_no_state),
	};

	return cmocka_run_group_tests_name("boot_marker", tests, NULL, NULL);
}
