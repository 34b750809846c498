// SPDX-License-Identifier: MIT
/*
 * Flat binary loader: flat_load_file() and flat_load_bytes() against a
 * guest_mem with 1 MiB of anonymous RAM at GPA 0 (and, for some tests, a
 * second RAM region right after it or a ROM region).  Checks the bytes that
 * land, that a refused image writes nothing, and that every refusal says
 * why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/flat.h"
#include "log.h"
#include "mem.h"
#include "unit.h"

#define MiB 0x100000ull
#define FILL 0x5a /* what RAM holds before a load */

struct ctx {
	struct guest_mem mem;
	uint8_t *ram; /* host view of GPA 0 .. 1 MiB */
	char dir[64];
	char path[128]; /* scratch file name in dir */
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct mem_backend *b;

	assert_non_null(c);
	mem_init(&c->mem);
	b = mem_backend_create(&c->mem, "ram", MiB, NULL);
	assert_non_null(b);
	assert_int_equal(mem_add_region(&c->mem, "ram", b, 0, 0, MiB, false,
					true),
			 0);
	c->ram = b->hva;
	memset(c->ram, FILL, MiB);
	snprintf(c->dir, sizeof(c->dir), "/tmp/minivmm-test-flat.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->path, sizeof(c->path), "%s/image.bin", c->dir);
	err_clear();
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	DIR *d = opendir(c->dir);
	struct dirent *e;
	char p[512];

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", c->dir, e->d_name);
		if (rmdir(p) < 0)
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(c->dir);
	mem_destroy(&c->mem);
	free(c);
	return 0;
}

/* A region of fresh anonymous memory, filled with FILL; returns its hva. */
static uint8_t *add_region(struct ctx *c, const char *name, uint64_t gpa,
			   uint64_t size, bool readonly, bool is_ram)
{
	struct mem_backend *b = mem_backend_create(&c->mem, name, size, NULL);

	assert_non_null(b);
	assert_int_equal(mem_add_region(&c->mem, name, b, 0, gpa, size,
					readonly, is_ram),
			 0);
	memset(b->hva, FILL, size);
	return b->hva;
}

/* Pattern byte i of a test image. */
static uint8_t pat(uint64_t i)
{
	return (uint8_t)(i * 7 + 1 + (i >> 8));
}

static uint8_t *make_image(uint64_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	for (uint64_t i = 0; i < len; i++)
		p[i] = pat(i);
	return p;
}

/* Write a pattern image of len bytes to c->path. */
static void write_image(struct ctx *c, uint64_t len)
{
	uint8_t *p = make_image(len);
	int fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, len), (ssize_t)len);
	close(fd);
	free(p);
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static bool is_pattern(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i] != pat(i))
			return false;
	return true;
}

/* ---- flat_load_file -------------------------------------------------- */

static void test_file_loads_bytes_at_gpa(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	write_image(c, 0x1003);
	assert_int_equal(flat_load_file(&c->mem, c->path, 0x7c00, &size), 0);
	assert_int_equal(size, 0x1003);
	assert_true(is_pattern(c->ram + 0x7c00, 0x1003));
	/* Nothing around it touched. */
	assert_true(all_bytes(c->ram, 0x7c00, FILL));
	assert_true(all_bytes(c->ram + 0x7c00 + 0x1003, MiB - 0x7c00 - 0x1003,
			      FILL));
}

static void test_file_fills_ram_exactly(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	write_image(c, 0x1000);
	assert_int_equal(flat_load_file(&c->mem, c->path, MiB - 0x1000, &size),
			 0);
	assert_true(is_pattern(c->ram + MiB - 0x1000, 0x1000));
	write_image(c, MiB);
	assert_int_equal(flat_load_file(&c->mem, c->path, 0, &size), 0);
	assert_int_equal(size, MiB);
	assert_true(is_pattern(c->ram, MiB));
}

static void test_file_one_byte(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	write_image(c, 1);
	assert_int_equal(flat_load_file(&c->mem, c->path, MiB - 1, &size), 0);
	assert_int_equal(size, 1);
	assert_int_equal(c->ram[MiB - 1], pat(0));
}

static void test_file_missing_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	assert_int_equal(flat_load_file(&c->mem, c->path, 0, &size), -1);
	assert_err_contains(c->path);
	assert_err_contains("cannot open image");
	assert_err_contains(strerror(ENOENT));
}

static void test_file_directory_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	assert_int_equal(flat_load_file(&c->mem, c->dir, 0, &size), -1);
	assert_err_contains(c->dir);
	assert_err_contains("not a regular file");
}

static void test_file_character_device_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	assert_int_equal(flat_load_file(&c->mem, "/dev/null", 0, &size), -1);
	assert_err_contains("/dev/null: not a regular file");
}

static void test_file_empty_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	write_image(c, 0);
	assert_int_equal(flat_load_file(&c->mem, c->path, 0, &size), -1);
	assert_err_contains(c->path);
	assert_err_contains("image is empty");
}

static void test_file_larger_than_ram_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	write_image(c, MiB + 1);
	assert_int_equal(flat_load_file(&c->mem, c->path, 0, &size), -1);
	assert_err_contains(c->path);
	assert_err_contains("larger than RAM");
	assert_true(all_bytes(c->ram, MiB, FILL));
}

static void test_file_load_address_outside_ram_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	write_image(c, 0x100);
	assert_int_equal(flat_load_file(&c->mem, c->path, MiB, &size), -1);
	assert_err_contains("load address 0x100000 is outside RAM");
	assert_int_equal(flat_load_file(&c->mem, c->path, UINT64_MAX, &size),
			 -1);
	assert_err_contains("outside RAM");
	assert_true(all_bytes(c->ram, MiB, FILL));
}

static void test_file_running_past_end_of_ram_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	write_image(c, 0x2000);
	assert_int_equal(flat_load_file(&c->mem, c->path, MiB - 0x1000, &size),
			 -1);
	assert_err_contains(c->path);
	assert_err_contains("runs past the end of RAM at 0x100000");
	/* Refused before anything was read into the guest. */
	assert_true(all_bytes(c->ram, MiB, FILL));
	assert_int_equal(flat_load_file(&c->mem, c->path, MiB - 1, &size), -1);
	assert_err_contains("past the end");
}

static void test_file_address_overflow_refused(void **state)
{
	struct ctx *c = *state;
	uint64_t size = 0;

	add_region(c, "top", 0xfffffffffffff000ull, 0x1000, false, true);
	write_image(c, 0x2000);
	/* Would wrap past 2^64 into the RAM at 0. */
	assert_int_equal(flat_load_file(&c->mem, c->path,
					0xfffffffffffff000ull, &size),
			 -1);
	assert_true(all_bytes(c->ram, MiB, FILL));
}

/*
 * flat.h: flat_load_bytes() is "the same" as flat_load_file() for an image
 * in memory, and mem.h lets a copy span adjacent regions.  flat_load_bytes
 * accepts an image across two adjacent RAM regions; flat_load_file must too.
 */
static void test_file_spanning_adjacent_ram_regions_loads(void **state)
{
	struct ctx *c = *state;
	uint8_t *hi = add_region(c, "ram-hi", MiB, MiB, false, true);
	uint64_t size = 0;

	write_image(c, 0x2000);
	assert_int_equal(flat_load_file(&c->mem, c->path, MiB - 0x1000, &size),
			 0);
	assert_int_equal(size, 0x2000);
	assert_true(is_pattern(c->ram + MiB - 0x1000, 0x1000));
	assert_int_equal(hi[0], pat(0x1000));
}

/*
 * flat.h: "the bytes go to guest RAM".  A read-only (ROM, not RAM) region is
 * refused by flat_load_bytes (copy_to_guest); flat_load_file must refuse it
 * too and leave the ROM as it was.
 */
static void test_file_into_rom_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *rom = add_region(c, "rom", 0xf0000000, 0x10000, true, false);
	uint64_t size = 0;

	write_image(c, 0x100);
	assert_int_equal(flat_load_file(&c->mem, c->path, 0xf0000000, &size),
			 -1);
	assert_true(all_bytes(rom, 0x10000, FILL));
}

/* ---- flat_load_bytes ------------------------------------------------- */

static void test_bytes_load_at_gpa(void **state)
{
	struct ctx *c = *state;
	uint8_t *img = make_image(0x123);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x123, 0x1000),
			 0);
	assert_true(is_pattern(c->ram + 0x1000, 0x123));
	assert_true(all_bytes(c->ram, 0x1000, FILL));
	assert_true(all_bytes(c->ram + 0x1123, MiB - 0x1123, FILL));
	free(img);
}

static void test_bytes_fill_ram_exactly(void **state)
{
	struct ctx *c = *state;
	uint8_t *img = make_image(MiB);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, MiB, 0), 0);
	assert_true(is_pattern(c->ram, MiB));
	free(img);
}

static void test_bytes_empty_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t b = 0;

	assert_int_equal(flat_load_bytes(&c->mem, "demo", &b, 0, 0), -1);
	assert_err_contains("demo: image is empty");
}

static void test_bytes_larger_than_ram_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *img = make_image(MiB + 0x1000);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, MiB + 0x1000, 0),
			 -1);
	assert_err_contains("demo: image is");
	assert_err_contains("larger than RAM");
	assert_true(all_bytes(c->ram, MiB, FILL));
	free(img);
}

static void test_bytes_load_address_outside_ram_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *img = make_image(0x10);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x10, 2 * MiB),
			 -1);
	assert_err_contains("demo: load address 0x200000 is outside RAM");
	free(img);
}

static void test_bytes_running_past_end_of_ram_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *img = make_image(0x20);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x20, MiB - 0x10),
			 -1);
	assert_err_contains("demo: image of 32 bytes");
	assert_err_contains("past the end");
	assert_true(all_bytes(c->ram, MiB, FILL));
	free(img);
}

static void test_bytes_spanning_adjacent_ram_regions_load(void **state)
{
	struct ctx *c = *state;
	uint8_t *hi = add_region(c, "ram-hi", MiB, MiB, false, true);
	uint8_t *img = make_image(0x2000);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x2000,
					 MiB - 0x1000),
			 0);
	assert_true(is_pattern(c->ram + MiB - 0x1000, 0x1000));
	assert_int_equal(hi[0], pat(0x1000));
	free(img);
}

static void test_bytes_into_rom_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *rom = add_region(c, "rom", 0xf0000000, 0x10000, true, false);
	uint8_t *img = make_image(0x100);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x100,
					 0xf0000000),
			 -1);
	assert_true(all_bytes(rom, 0x10000, FILL));
	/* RAM running into ROM: nothing written, not even the RAM part. */
	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x100,
					 0xf0000000 - 0x80),
			 -1);
	free(img);
}

static void test_bytes_into_hole_between_regions_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *hi = add_region(c, "ram-hi", 2 * MiB, MiB, false, true);
	uint8_t *img = make_image(0x20);

	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x20,
					 MiB - 0x10),
			 -1);
	assert_err_contains("past the end");
	assert_int_equal(flat_load_bytes(&c->mem, "demo", img, 0x20,
					 0x180000),
			 -1);
	assert_err_contains("outside RAM");
	assert_true(all_bytes(c->ram, MiB, FILL));
	assert_true(all_bytes(hi, MiB, FILL));
	free(img);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_file_loads_bytes_at_gpa),
		T(test_file_fills_ram_exactly),
		T(test_file_one_byte),
		T(test_file_missing_refused),
		T(test_file_directory_refused),
		T(test_file_character_device_refused),
		T(test_file_empty_refused),
		T(test_file_larger_than_ram_refused),
		T(test_file_load_address_outside_ram_refused),
		T(test_file_running_past_end_of_ram_refused),
		T(test_file_address_overflow_refused),
		T(test_file_spanning_adjacent_ram_regions_loads),
		T(test_file_into_rom_refused),
		T(test_bytes_load_at_gpa),
		T(test_bytes_fill_ram_exactly),
		T(test_bytes_empty_refused),
		T(test_bytes_larger_than_ram_refused),
		T(test_bytes_load_address_outside_ram_refused),
		T(test_bytes_running_past_end_of_ram_refused),
		T(test_bytes_spanning_adjacent_ram_regions_load),
		T(test_bytes_into_rom_refused),
		T(test_bytes_into_hole_between_regions_refused),
	};

	return cmocka_run_group_tests_name("flat", tests, NULL, NULL);
}
