// SPDX-License-Identifier: MIT
/*
 * pc-testdev without KVM: the scratch register at every width and offset
 * (0xe0-0xe3) and through its byte-wise view (0xe8-0xeb), the IRQ ports
 * (a recorder stands in for the interrupt controller), the flush-page port
 * (page-aligned address to the host callback; 32-bit only), the 64 KiB
 * MMIO buffer, and reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/pc_testdev.h"
#include "log.h"
#include "unit.h"

struct fixture {
	struct bus io, mmio;
	struct pc_testdev *t;
	int irq_calls;
	unsigned irq;
	bool level;
	bool levels[PC_TESTDEV_NR_IRQS];
	int flushes;
	uint64_t flushed;
};

static void rec_irq(void *opaque, unsigned irq, bool level)
{
	struct fixture *f = opaque;

	f->irq_calls++;
	f->irq = irq;
	f->level = level;
	assert_true(irq < PC_TESTDEV_NR_IRQS);
	f->levels[irq] = level;
}

static void rec_flush(void *opaque, uint64_t gpa)
{
	struct fixture *f = opaque;

	f->flushes++;
	f->flushed = gpa;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pc_testdev_host host = { rec_irq, rec_flush, NULL };

	assert_non_null(f);
	host.opaque = f;
	bus_init(&f->io, "io", 0x10000);
	bus_init(&f->mmio, "mmio", 0);
	f->t = pc_testdev_create(&host);
	assert_non_null(f->t);
	assert_int_equal(pc_testdev_register(f->t, &f->io, &f->mmio), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bus_destroy(&f->io);
	bus_destroy(&f->mmio);
	pc_testdev_device_ops.destroy(f->t);
	free(f);
	return 0;
}

static void put(struct bus *b, uint64_t addr, uint64_t v, uint32_t len)
{
	uint8_t d[8];

	bus_data_put(d, len, v);
	assert_int_equal(bus_write(b, addr, d, len), BUS_OK);
}

static uint64_t get(struct bus *b, uint64_t addr, uint32_t len)
{
	uint8_t d[8];

	assert_int_equal(bus_read(b, addr, d, len), BUS_OK);
	return bus_data_get(d, len);
}

static void test_register_lanes(void **state)
{
	struct fixture *f = *state;
	uint8_t d[4] = { 0 };

	put(&f->io, 0xe0, 0x12345678, 4);
	assert_int_equal(get(&f->io, 0xe0, 4), 0x12345678);
	assert_int_equal(get(&f->io, 0xe1, 1), 0x56);
	assert_int_equal(get(&f->io, 0xe2, 2), 0x1234);
	assert_int_equal(get(&f->io, 0xe3, 1), 0x12);
	/* A write changes only its own bytes. */
	put(&f->io, 0xe1, 0xcdef, 2);
	assert_int_equal(get(&f->io, 0xe0, 4), 0x12cdef78);
	put(&f->io, 0xe3, 0x9a, 1);
	assert_int_equal(get(&f->io, 0xe0, 4), 0x9acdef78);
	/* The byte-wise view is the same register. */
	assert_int_equal(get(&f->io, 0xe8, 1), 0x78);
	assert_int_equal(get(&f->io, 0xea, 2), 0x9acd);
	put(&f->io, 0xe9, 0x00, 1);
	assert_int_equal(get(&f->io, 0xe0, 4), 0x9acd0078);
	put(&f->io, 0xe8, 0x11223344, 4);
	assert_int_equal(get(&f->io, 0xe0, 4), 0x11223344);
	/* An access that would run past the register is not the device's. */
	assert_int_not_equal(bus_write(&f->io, 0xe2, d, 4), BUS_OK);
}

static void test_irq_lines(void **state)
{
	struct fixture *f = *state;
	uint8_t d[2] = { 1, 0 };

	put(&f->io, 0x2003, 1, 1);
	assert_int_equal(f->irq_calls, 1);
	assert_int_equal(f->irq, 3);
	assert_true(f->level);
	put(&f->io, 0x2003, 0, 1);
	assert_false(f->level);
	put(&f->io, 0x2017, 0x80, 1); /* any non-zero byte raises */
	assert_int_equal(f->irq, 23);
	assert_true(f->level);
	assert_int_equal(f->irq_calls, 3);
	/*
	 * A wider write sets one line per byte, as QEMU splits it
	 * (kvm-unit-tests' realmode raises IRQ 11 with an outl of 1).
	 */
	put(&f->io, 0x200c, 1, 1);
	put(&f->io, 0x200b, 1, 4);
	assert_int_equal(f->irq_calls, 8);
	assert_true(f->levels[11]);
	assert_false(f->levels[12]);
	assert_false(f->levels[14]);
	assert_int_equal(bus_write(&f->io, 0x2016, (uint8_t[]){ 0, 1 }, 2), BUS_OK);
	assert_false(f->levels[22]);
	assert_true(f->levels[23]);
	assert_int_equal(f->irq_calls, 10);
	/* Past the last line is not ours. */
	assert_int_not_equal(bus_write(&f->io, 0x2016, (uint8_t[4]){ 1, 1, 1, 1 }, 4), BUS_OK);
	assert_int_not_equal(bus_write(&f->io, 0x2018, d, 1), BUS_OK);
	assert_int_equal(f->irq_calls, 10);
}

static void test_flush_page(void **state)
{
	struct fixture *f = *state;
	uint8_t d[2] = { 0 };

	put(&f->io, 0xe4, 0x12345abc, 4);
	assert_int_equal(f->flushes, 1);
	assert_true(f->flushed == 0x12345000);
	assert_int_not_equal(bus_write(&f->io, 0xe4, d, 2), BUS_OK);
	assert_int_equal(f->flushes, 1);
}

static void test_iomem_and_reset(void **state)
{
	struct fixture *f = *state;

	put(&f->mmio, PC_TESTDEV_IOMEM, 0x0102030405060708ull, 8);
	assert_true(get(&f->mmio, PC_TESTDEV_IOMEM, 8) == 0x0102030405060708ull);
	assert_int_equal(get(&f->mmio, PC_TESTDEV_IOMEM + 1, 2), 0x0607);
	put(&f->mmio, PC_TESTDEV_IOMEM + PC_TESTDEV_IOMEM_LEN - 1, 0xee, 1);
	assert_int_equal(get(&f->mmio, PC_TESTDEV_IOMEM + PC_TESTDEV_IOMEM_LEN - 1, 1), 0xee);
	put(&f->io, 0xe0, 0xdeadbeef, 4);
	pc_testdev_device_ops.reset(f->t);
	assert_int_equal(get(&f->io, 0xe0, 4), 0);
	assert_int_equal(get(&f->mmio, PC_TESTDEV_IOMEM, 8), 0);
	assert_int_equal(get(&f->mmio, PC_TESTDEV_IOMEM + PC_TESTDEV_IOMEM_LEN - 1, 1), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_register_lanes),
		T(test_irq_lines),
		T(test_flush_page),
		T(test_iomem_and_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
