// SPDX-License-Identifier: MIT
/*
 * The debug console on both buses: the port flavour (one byte wide range,
 * reads 0xe9) and the MMIO flavour of --debugcon-mmio (8 bytes, any width,
 * only stores to the address itself print their low byte), and the bus
 * refusing a second console on the same address.
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
#include "log.h"
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
	struct debugcon *dc = debugcon_create_mmio(&f->bus, 0x9000000, f->out);

	assert_non_null(dc);
	store(f, 0x9000000, 'H', 1);
	store(f, 0x9000000, 0x4200 | 'i', 2);
	store(f, 0x9000000, 0x41424300u | '!', 4);
	store(f, 0x9000000, 0x1122334455667700ull | '\n', 8);
	fflush(f->out);
	assert_int_equal(f->text_len, 4);
	assert_memory_equal(f->text, "Hi!\n", 4);
	assert_int_equal(dc->bytes, 4);
	debugcon_destroy(dc);
}

static void test_mmio_other_bytes_dropped_reads_answer(void **state)
{
	struct fixture *f = *state;
	struct debugcon *dc = debugcon_create_mmio(&f->bus, 0x1000, f->out);
	uint8_t data[8];

	assert_non_null(dc);
	store(f, 0x1001, 'x', 1);
	store(f, 0x1004, 'y', 4);
	fflush(f->out);
	assert_int_equal(f->text_len, 0);
	assert_int_equal(bus_read(&f->bus, 0x1000, data, 1), BUS_OK);
	assert_int_equal(data[0], DEBUGCON_READBACK);
	/* The range is 8 bytes: the byte after it is nobody's. */
	assert_int_equal(bus_read(&f->bus, 0x1008, data, 1), BUS_UNCLAIMED);
	debugcon_destroy(dc);
}

static void test_mmio_same_address_twice_refused(void **state)
{
	struct fixture *f = *state;
	struct debugcon *a = debugcon_create_mmio(&f->bus, 0x2000, f->out);

	assert_non_null(a);
	err_clear();
	assert_null(debugcon_create_mmio(&f->bus, 0x2004, f->out));
	assert_err_contains("overlap");
	debugcon_destroy(a);
}

static void test_port_console_unchanged(void **state)
{
	struct fixture *f = *state;
	struct bus io;
	struct debugcon *dc;
	uint8_t data[4];

	bus_init(&io, "io", 0x10000);
	dc = debugcon_create(&io, 0xe9, f->out);
	assert_non_null(dc);
	bus_data_put(data, 2, 0x4100 | 'A');
	assert_int_equal(bus_write(&io, 0xe9, data, 2), BUS_OK);
	assert_int_equal(bus_read(&io, 0xe9, data, 1), BUS_OK);
	assert_int_equal(data[0], DEBUGCON_READBACK);
	fflush(f->out);
	assert_int_equal(f->text_len, 1);
	assert_int_equal(f->text[0], 'A');
	debugcon_destroy(dc);
	bus_destroy(&io);
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
	};

	return cmocka_run_group_tests_name("debugcon", tests, NULL, NULL);
}
