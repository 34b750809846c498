// SPDX-License-Identifier: MIT
/*
 * The debug console on both buses: the port flavour (one byte wide range,
 * reads 0xe9) and the MMIO flavour of --debugcon-mmio (8 bytes, any width,
 * only stores to the address itself print their low byte), the bus
 * refusing a second console on the same address, and the device ops: no
 * state to reset or save.
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
#include "dev/debugcon.h"
#include "device.h"
#include "log.h"
#include "state.h"
#include "unit.h"

struct fixture {
	struct bus bus;
	FILE *out;
	char *text;
	size_t text_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	bus_init(&f->bus, "mmio", 0);
	f->out = open_memstream(&f->text, &f->text_len);
	assert_non_null(f->out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bus_destroy(&f->bus);
	fclose(f->out);
	free(f->text);
	free(f);
	return 0;
}

static void store(struct fixture *f, uint64_t addr, uint64_t value,
		  uint32_t len)
{
	uint8_t data[8];

	bus_data_put(data, len, value);
	bus_write(&f->bus, addr, data, len);
}

static void test_mmio_stores_of_any_width_print_low_byte(void **state)
{
	struct fixture *f = *state;
	struct debugcon *dc = debugcon_create(0x9000000, f->out);

	assert_non_null(dc);
	assert_int_equal(debugcon_register_mmio(dc, &f->bus), 0);
	store(f, 0x9000000, 'H', 1);
	store(f, 0x9000000, 0x4200 | 'i', 2);
	store(f, 0x9000000, 0x41424300u | '!', 4);
	store(f, 0x9000000, 0x1122334455667700ull | '\n', 8);
	fflush(f->out);
	assert_int_equal(f->text_len, 4);
	assert_memory_equal(f->text, "Hi!\n", 4);
	assert_int_equal(dc->bytes, 4);
	debugcon_device_ops.destroy(dc);
}

static void test_mmio_other_bytes_dropped_reads_answer(void **state)
{
	struct fixture *f = *state;
	struct debugcon *dc = debugcon_create(0x1000, f->out);
	uint8_t data[8];

	assert_non_null(dc);
	assert_int_equal(debugcon_register_mmio(dc, &f->bus), 0);
	store(f, 0x1001, 'x', 1);
	store(f, 0x1004, 'y', 4);
	fflush(f->out);
	assert_int_equal(f->text_len, 0);
	assert_int_equal(bus_read(&f->bus, 0x1000, data, 1), BUS_OK);
	assert_int_equal(data[0], DEBUGCON_READBACK);
	/* The range is 8 bytes: the byte after it is nobody's. */
	assert_int_equal(bus_read(&f->bus, 0x1008, data, 1), BUS_UNCLAIMED);
	debugcon_device_ops.destroy(dc);
}

static void test_mmio_same_address_twice_refused(void **state)
{
	struct fixture *f = *state;
	struct debugcon *a = debugcon_create(0x2000, f->out);
	struct debugcon *b = debugcon_create(0x2004, f->out);

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(debugcon_register_mmio(a, &f->bus), 0);
	err_clear();
	assert_int_equal(debugcon_register_mmio(b, &f->bus), -1);
	assert_err_contains("overlap");
	debugcon_device_ops.destroy(b);
	debugcon_device_ops.destroy(a);
}

static void test_port_console_unchanged(void **state)
{
	struct fixture *f = *state;
	struct bus io;
	struct debugcon *dc;
	uint8_t data[4];

	bus_init(&io, "io", 0x10000);
	dc = debugcon_create(0xe9, f->out);
	assert_non_null(dc);
	assert_int_equal(debugcon_register(dc, &io), 0);
	bus_data_put(data, 2, 0x4100 | 'A');
	assert_int_equal(bus_write(&io, 0xe9, data, 2), BUS_OK);
	assert_int_equal(bus_read(&io, 0xe9, data, 1), BUS_OK);
	assert_int_equal(data[0], DEBUGCON_READBACK);
	fflush(f->out);
	assert_int_equal(f->text_len, 1);
	assert_int_equal(f->text[0], 'A');
	debugcon_device_ops.destroy(dc);
	bus_destroy(&io);
}

/*
 * Nothing guest-visible to keep: in a saved device list its part is empty,
 * a part with bytes in it is refused, and a reset changes nothing.
 */
static void test_no_saved_state(void **state)
{
	struct fixture *f = *state;
	struct device_list l;
	struct state_writer w;
	struct state_reader r;
	struct debugcon *dc = debugcon_create(0x402, f->out);
	size_t part;

	assert_non_null(dc);
	assert_null(debugcon_device_ops.reset);
	assert_null(debugcon_device_ops.save);
	assert_null(debugcon_device_ops.load);
	device_list_init(&l);
	assert_int_equal(device_list_add(&l, "debugcon-0x402",
					 &debugcon_device_ops, dc),
			 0);
	state_writer_init(&w);
	assert_int_equal(device_list_save(&l, &w), 0);
	/* count, name, version, part length 0 */
	part = 4 + 2 + strlen("debugcon-0x402") + 4;
	assert_int_equal(w.len, part + 4);
	assert_int_equal(w.buf[part], 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(device_list_load(&l, &r), 0);
	device_list_reset(&l);

	/* One byte of state for it: refused. */
	w.buf[part] = 1;
	state_put_u8(&w, 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(device_list_load(&l, &r), -1);
	assert_err_contains("without state");
	/* Every truncation of the list is refused too. */
	for (size_t len = 0; len < part + 4; len++) {
		state_reader_init(&r, w.buf, len);
		assert_int_equal(device_list_load(&l, &r), -1);
	}

	/* The list owns it: destroying the list frees it (ASan checks). */
	device_list_destroy(&l);
	state_writer_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_mmio_stores_of_any_width_print_low_byte, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_mmio_other_bytes_dropped_reads_answer, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_mmio_same_address_twice_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_console_unchanged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_saved_state, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("debugcon", tests, NULL, NULL);
}
