// SPDX-License-Identifier: MIT
/* The MP spec tables: structure, counts and both checksums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/mptable.h"
#include "log.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void test_two_cpus(void **state)
{
	uint8_t buf[4096];
	size_t n = mptable_build(buf, sizeof(buf), 0xf0040, 2);
	const uint8_t *mpc = buf + 16;
	unsigned procs = 0, entries = le(mpc + 34, 2);
	const uint8_t *p = mpc + 44;

	(void)state;
	assert_int_equal(n, mptable_size(2));
	assert_memory_equal(buf, "_MP_", 4);
	assert_int_equal(le(buf + 4, 4), 0xf0050);
	assert_int_equal(sum(buf, 16), 0);
	assert_memory_equal(mpc, "PCMP", 4);
	assert_int_equal(sum(mpc, le(mpc + 4, 2)), 0);
	assert_int_equal(le(mpc + 36, 4), 0xfee00000);
	/* 2 CPUs + bus + IOAPIC + 16 ISA IRQs + 2 local interrupts. */
	assert_int_equal(entries, 2 + 1 + 1 + 16 + 2);
	for (unsigned e = 0; e < entries; e++) {
		if (p[0] == 0) {
			assert_int_equal(p[1], procs);
			assert_int_equal(!!(p[3] & 2), procs == 0); /* BSP flag */
			procs++;
			p += 20;
		} else {
			p += 8;
		}
	}
	assert_int_equal(procs, 2);
	assert_ptr_equal(p, mpc + le(mpc + 4, 2));
	assert_int_equal((size_t)(p - buf), n);
}

static void test_timer_on_pin_2(void **state)
{
	uint8_t buf[4096];
	const uint8_t *p = buf + 16 + 44 + 20 + 8 + 8; /* first ISA IRQ */

	(void)state;
	assert_true(mptable_build(buf, sizeof(buf), 0xf0040, 1) > 0);
	assert_int_equal(p[0], 3); /* I/O interrupt assignment */
	assert_int_equal(p[5], 0); /* IRQ 0 */
	assert_int_equal(p[7], 2); /* IOAPIC pin 2 */
	assert_int_equal(p[8 + 5], 1);
	assert_int_equal(p[8 + 7], 1);
}

static void test_refusals(void **state)
{
	uint8_t buf[64];

	(void)state;
	assert_int_equal(mptable_build(buf, sizeof(buf), 0xf0040, 1), 0);
	assert_non_null(strstr(err_msg(), "no room"));
	assert_int_equal(mptable_build(buf, sizeof(buf), 0xf0040, 0), 0);
	assert_non_null(strstr(err_msg(), "0 CPUs"));
	assert_int_equal(mptable_build(buf, sizeof(buf), 0xf0040, 300), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_cpus),
		cmocka_unit_test(test_timer_on_pin_2),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests_name("mptable", tests, NULL, NULL);
}
