// SPDX-License-Identifier: MIT
/*
 * E820 table tests: e820_add()'s order, overlap and merge rules, the
 * fixed-size reservations table, and the two fw_cfg byte formats (checked
 * against bytes read back from QEMU 7.2's etc/e820 for -M pc -m 4G).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "e820.h"
#include "log.h"

static struct e820_table t;

static int setup(void **state)
{
	(void)state;
	e820_init(&t);
	err_clear();
	return 0;
}

static void assert_entry(size_t i, uint64_t addr, uint64_t size,
			 uint32_t type)
{
	assert_true(i < t.nr);
	assert_int_equal(t.entries[i].addr, addr);
	assert_int_equal(t.entries[i].size, size);
	assert_int_equal(t.entries[i].type, type);
}

static void test_empty(void **state)
{
	uint8_t legacy[E820_LEGACY_SIZE];

	(void)state;
	assert_int_equal(t.nr, 0);
	assert_int_equal(e820_serialize_file(&t, NULL, 0), 0);
	memset(legacy, 0xaa, sizeof(legacy));
	assert_int_equal(e820_serialize_legacy(&t, legacy, sizeof(legacy)),
			 324);
	for (size_t i = 0; i < sizeof(legacy); i++)
		assert_int_equal(legacy[i], 0);
}

static void test_type_names(void **state)
{
	(void)state;
	assert_string_equal(e820_type_name(E820_RAM), "RAM");
	assert_string_equal(e820_type_name(E820_RESERVED), "RESERVED");
	assert_string_equal(e820_type_name(E820_ACPI), "ACPI");
	assert_string_equal(e820_type_name(E820_NVS), "NVS");
	assert_string_equal(e820_type_name(E820_UNUSABLE), "UNUSABLE");
	assert_string_equal(e820_type_name(0), "unknown");
	assert_string_equal(e820_type_name(6), "unknown");
}

/* Entries keep insertion order, like QEMU's table (firmware sorts). */
static void test_insertion_order(void **state)
{
	(void)state;
	assert_int_equal(e820_add(&t, 0xfeffc000, 0x4000, E820_RESERVED), 0);
	assert_int_equal(e820_add(&t, 0x100000000ull, 0x40000000, E820_RAM),
			 0);
	assert_int_equal(e820_add(&t, 0, 0xc0000000, E820_RAM), 0);
	assert_int_equal(t.nr, 3);
	assert_entry(0, 0xfeffc000, 0x4000, E820_RESERVED);
	assert_entry(1, 0x100000000ull, 0x40000000, E820_RAM);
	assert_entry(2, 0, 0xc0000000, E820_RAM);
}

static void test_refuse_bad_entries(void **state)
{
	(void)state;
	assert_int_equal(e820_add(&t, 0x1000, 0, E820_RAM), -1);
	assert_non_null(strstr(err_msg(), "empty"));
	assert_int_equal(e820_add(&t, UINT64_MAX - 0xfff, 0x2000, E820_RAM),
			 -1);
	assert_non_null(strstr(err_msg(), "wraps"));
	assert_int_equal(e820_add(&t, 0, 0x1000, 0), -1);
	assert_non_null(strstr(err_msg(), "unknown entry type 0"));
	assert_int_equal(e820_add(&t, 0, 0x1000, 6), -1);
	assert_non_null(strstr(err_msg(), "unknown entry type 6"));
	assert_int_equal(t.nr, 0);
	assert_int_equal(t.nr_legacy, 0);
	/* The very last page of the address space is fine. */
	assert_int_equal(e820_add(&t, UINT64_MAX - 0xfff, 0x1000,
				  E820_RESERVED),
			 0);
	assert_entry(0, UINT64_MAX - 0xfff, 0x1000, E820_RESERVED);
}

static void test_refuse_overlap(void **state)
{
	static const struct {
		uint64_t addr, size;
	} bad[] = {
		{ 0x100000, 0x100000 }, /* identical */
		{ 0x0ff000, 0x2000 }, /* over the start */
		{ 0x1ff000, 0x2000 }, /* over the end */
		{ 0x080000, 0x200000 }, /* containing */
		{ 0x150000, 0x1000 }, /* contained */
		{ 0x1fffff, 1 }, /* the last byte */
	};

	(void)state;
	assert_int_equal(e820_add(&t, 0x100000, 0x100000, E820_RAM), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		/* Any type: overlap is refused whatever the types are. */
		assert_int_equal(e820_add(&t, bad[i].addr, bad[i].size,
					  i % 2 ? E820_RAM : E820_RESERVED),
				 -1);
		assert_non_null(strstr(err_msg(), "overlaps entry 0"));
		assert_int_equal(t.nr, 1);
		assert_int_equal(t.nr_legacy, 0);
	}
	/* Touching is not overlapping. */
	assert_int_equal(e820_add(&t, 0x200000, 0x1000, E820_RESERVED), 0);
	assert_int_equal(e820_add(&t, 0xff000, 0x1000, E820_ACPI), 0);
	assert_int_equal(t.nr, 3);
}

static void test_merge_adjacent_same_type(void **state)
{
	(void)state;
	assert_int_equal(e820_add(&t, 0x100000, 0x100000, E820_RAM), 0);
	/* Right after the previous entry. */
	assert_int_equal(e820_add(&t, 0x200000, 0x100000, E820_RAM), 0);
	assert_int_equal(t.nr, 1);
	assert_entry(0, 0x100000, 0x200000, E820_RAM);
	/* Right before it. */
	assert_int_equal(e820_add(&t, 0x80000, 0x80000, E820_RAM), 0);
	assert_int_equal(t.nr, 1);
	assert_entry(0, 0x80000, 0x280000, E820_RAM);
	/* Adjacent but another type: a new entry. */
	assert_int_equal(e820_add(&t, 0x300000, 0x1000, E820_RESERVED), 0);
	assert_int_equal(t.nr, 2);
	/* Adjacent to an older entry (not the last one): no merge. */
	assert_int_equal(e820_add(&t, 0x40000, 0x40000, E820_RAM), 0);
	assert_int_equal(t.nr, 3);
	assert_entry(2, 0x40000, 0x40000, E820_RAM);
	/* Not touching: no merge. */
	assert_int_equal(e820_add(&t, 0x400000, 0x1000, E820_RAM), 0);
	assert_int_equal(e820_add(&t, 0x402000, 0x1000, E820_RAM), 0);
	assert_int_equal(t.nr, 5);
}

static void test_merge_keeps_legacy_in_step(void **state)
{
	(void)state;
	assert_int_equal(e820_add(&t, 0xfeffc000, 0x1000, E820_RESERVED), 0);
	assert_int_equal(e820_add(&t, 0xfeffd000, 0x3000, E820_RESERVED), 0);
	assert_int_equal(t.nr, 1);
	assert_int_equal(t.nr_legacy, 1);
	assert_int_equal(t.legacy[0].addr, 0xfeffc000);
	assert_int_equal(t.legacy[0].size, 0x4000);
	assert_int_equal(t.legacy[0].type, E820_RESERVED);
}

static void test_legacy_table(void **state)
{
	uint32_t types[] = { E820_RESERVED, E820_ACPI, E820_NVS,
			     E820_UNUSABLE };

	(void)state;
	/* RAM never enters the reservations table. */
	assert_int_equal(e820_add(&t, 0, 0x9f000, E820_RAM), 0);
	assert_int_equal(t.nr_legacy, 0);
	for (unsigned i = 0; i < E820_LEGACY_MAX; i++) {
		/* Gaps between them so nothing merges. */
		assert_int_equal(e820_add(&t, 0x100000 + i * 0x2000ull, 0x1000,
					  types[i % 4]),
				 0);
		assert_int_equal(t.legacy[i].type, types[i % 4]);
	}
	assert_int_equal(t.nr_legacy, 16);
	assert_int_equal(t.nr, 17);
	/* The 17th non-RAM entry is refused and neither table changes. */
	assert_int_equal(e820_add(&t, 0x200000, 0x1000, E820_NVS), -1);
	assert_non_null(strstr(err_msg(), "reservations table is full"));
	assert_int_equal(t.nr_legacy, 16);
	assert_int_equal(t.nr, 17);
	/* Growing the last reservation needs no new slot. */
	assert_int_equal(e820_add(&t, 0x11f000, 0x1000, E820_UNUSABLE), 0);
	assert_int_equal(t.nr_legacy, 16);
	assert_int_equal(t.nr, 17);
	assert_int_equal(t.legacy[15].addr, 0x11e000);
	assert_int_equal(t.legacy[15].size, 0x2000);
	/* RAM still goes in. */
	assert_int_equal(e820_add(&t, 0x300000, 0x1000, E820_RAM), 0);
	assert_int_equal(t.nr, 18);
}

static void test_main_table_full(void **state)
{
	(void)state;
	for (unsigned i = 0; i < E820_MAX_ENTRIES; i++)
		assert_int_equal(e820_add(&t, i * 0x2000ull, 0x1000, E820_RAM),
				 0);
	assert_int_equal(t.nr, E820_MAX_ENTRIES);
	assert_int_equal(e820_add(&t, 0x10000000, 0x1000, E820_RAM), -1);
	assert_non_null(strstr(err_msg(), "table full"));
	/* Merging still works: no new entry needed. */
	assert_int_equal(e820_add(&t, (E820_MAX_ENTRIES - 1) * 0x2000ull +
					      0x1000,
				  0x1000, E820_RAM),
			 0);
	assert_int_equal(t.nr, E820_MAX_ENTRIES);
}

/*
 * The etc/e820 file QEMU 7.2 builds for -accel kvm -M pc -m 4G (read back
 * from a guest through fw_cfg): identity map, AMD HT hole, low RAM, high
 * RAM.
 */
static const uint8_t qemu_pc_4g_etc_e820[80] = {
	0x00, 0xc0, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
};

static void add_qemu_pc_4g(void)
{
	assert_int_equal(e820_add(&t, 0xfeffc000, 0x4000, E820_RESERVED), 0);
	assert_int_equal(e820_add(&t, 0xfd00000000ull, 0x300000000ull,
				  E820_RESERVED),
			 0);
	assert_int_equal(e820_add(&t, 0, 0xc0000000, E820_RAM), 0);
	assert_int_equal(e820_add(&t, 0x100000000ull, 0x40000000, E820_RAM),
			 0);
}

static void test_serialize_file_matches_qemu(void **state)
{
	uint8_t buf[100];

	(void)state;
	add_qemu_pc_4g();
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(e820_serialize_file(&t, buf, sizeof(buf)), 80);
	assert_memory_equal(buf, qemu_pc_4g_etc_e820, 80);
	/* Nothing past the end was touched. */
	for (size_t i = 80; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5a);
}

static void test_serialize_small_buffer(void **state)
{
	uint8_t buf[79];

	(void)state;
	add_qemu_pc_4g();
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(e820_serialize_file(&t, buf, sizeof(buf)), 80);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5a);
	assert_int_equal(e820_serialize_legacy(&t, buf, sizeof(buf)), 324);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0x5a);
}

/* FW_CFG_E820_TABLE: u32 count + 16 fixed slots, reservations only. */
static void test_serialize_legacy(void **state)
{
	uint8_t buf[E820_LEGACY_SIZE];

	(void)state;
	add_qemu_pc_4g();
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(e820_serialize_legacy(&t, buf, sizeof(buf)), 324);
	assert_int_equal(buf[0], 2);
	assert_int_equal(buf[1] | buf[2] | buf[3], 0);
	/* The two reservations, in order, as in etc/e820. */
	assert_memory_equal(buf + 4, qemu_pc_4g_etc_e820, 40);
	for (size_t i = 44; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
}

static void test_format(void **state)
{
	char buf[512], small[20];
	size_t n;

	(void)state;
	add_qemu_pc_4g();
	assert_int_equal(e820_add(&t, 0xfee00000, 0x1400, E820_ACPI), 0);
	n = e820_format(&t, buf, sizeof(buf));
	assert_string_equal(
		buf,
		"  0: 0x00000000feffc000-0x00000000feffffff RESERVED 16 KiB\n"
		"  1: 0x000000fd00000000-0x000000ffffffffff RESERVED 12 GiB\n"
		"  2: 0x0000000000000000-0x00000000bfffffff RAM      3 GiB\n"
		"  3: 0x0000000100000000-0x000000013fffffff RAM      1 GiB\n"
		"  4: 0x00000000fee00000-0x00000000fee013ff ACPI     5 KiB\n");
	assert_int_equal(n, strlen(buf));
	/* Truncation: full length returned, output NUL-terminated. */
	assert_int_equal(e820_format(&t, small, sizeof(small)), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(e820_format(&t, NULL, 0), n);
}

static void test_format_size(void **state)
{
	char s[32];

	(void)state;
	e820_format_size(640 * 1024, s, sizeof(s));
	assert_string_equal(s, "640 KiB");
	e820_format_size(3968ull << 20, s, sizeof(s));
	assert_string_equal(s, "3968 MiB");
	e820_format_size(1ull << 40, s, sizeof(s));
	assert_string_equal(s, "1 TiB");
	e820_format_size(0x1234, s, sizeof(s));
	assert_string_equal(s, "0x1234 bytes");
	e820_format_size(0, s, sizeof(s));
	assert_string_equal(s, "0x0 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty, setup),
		cmocka_unit_test_setup(test_type_names, setup),
		cmocka_unit_test_setup(test_insertion_order, setup),
		cmocka_unit_test_setup(test_refuse_bad_entries, setup),
		cmocka_unit_test_setup(test_refuse_overlap, setup),
		cmocka_unit_test_setup(test_merge_adjacent_same_type, setup),
		cmocka_unit_test_setup(test_merge_keeps_legacy_in_step, setup),
		cmocka_unit_test_setup(test_legacy_table, setup),
		cmocka_unit_test_setup(test_main_table_full, setup),
		cmocka_unit_test_setup(test_serialize_file_matches_qemu, setup),
		cmocka_unit_test_setup(test_serialize_small_buffer, setup),
		cmocka_unit_test_setup(test_serialize_legacy, setup),
		cmocka_unit_test_setup(test_format, setup),
		cmocka_unit_test_setup(test_format_size, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
