// SPDX-License-Identifier: MIT
/*
 * Guest memory: backends (anonymous, file, directory, character device),
 * regions (alignment, overlap, windows, wrap, order and slots), the checked
 * door gpa_to_hva() and copy_{to,from}_guest() with their all-or-nothing
 * rule, the scatter-gather door gpa_to_iovec(), mem_read_fd() (files into
 * guest memory, ROM only when asked), mem_copy_within(), and
 * mem_ram_size().
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "unit.h"

#define PAGE 0x1000ull
#define MiB 0x100000ull
#define TOP_PAGE 0xfffffffffffff000ull /* the last page of the 64-bit space */

struct ctx {
	struct guest_mem mem;
	char dir[64]; /* a fresh mkdtemp directory */
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	mem_init(&c->mem);
	snprintf(c->dir, sizeof(c->dir), "/tmp/minivmm-test-mem.XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	err_clear();
	*state = c;
	return 0;
}

/* Remove the files a test left in the directory (one level), then it. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	mem_destroy(&c->mem);
	remove_dir(c->dir);
	free(c);
	return 0;
}

static struct mem_backend *anon(struct ctx *c, const char *name, uint64_t size)
{
	struct mem_backend *b = mem_backend_create(&c->mem, name, size, NULL);

	if (!b) {
		print_error("mem_backend_create(%s): %s\n", name, err_msg());
		fail();
	}
	return b;
}

/* One anonymous backend shown whole at gpa; returns its host memory. */
static uint8_t *ram_at(struct ctx *c, const char *name, uint64_t gpa,
		       uint64_t size, bool readonly, bool is_ram)
{
	struct mem_backend *b = anon(c, name, size);

	if (mem_add_region(&c->mem, name, b, 0, gpa, size, readonly, is_ram)) {
		print_error("mem_add_region(%s): %s\n", name, err_msg());
		fail();
	}
	return b->hva;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* ---- backends -------------------------------------------------------- */

static void test_backend_anonymous(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "ram", 64 * 1024);

	assert_int_equal(c->mem.nr_backends, 1);
	assert_ptr_equal(b, &c->mem.backends[0]);
	assert_string_equal(b->name, "ram");
	assert_int_equal(b->size, 64 * 1024);
	assert_int_equal(b->fd, -1);
	assert_false(b->is_file);
	assert_non_null(b->hva);
	assert_true(all_bytes(b->hva, 64 * 1024, 0));
	b->hva[0] = 1;
	b->hva[64 * 1024 - 1] = 2;
}

static void test_backend_anonymous_shared_and_prealloc(void **state)
{
	struct ctx *c = *state;
	struct mem_backend_cfg cfg = { .share = true, .prealloc = true };
	struct mem_backend *b = mem_backend_create(&c->mem, "ram", MiB, &cfg);

	assert_non_null(b);
	assert_int_equal(b->fd, -1);
	assert_false(b->is_file);
	assert_true(all_bytes(b->hva, MiB, 0));
	memset(b->hva, 0xaa, MiB);
}

static void test_backend_size_must_be_page_multiple(void **state)
{
	struct ctx *c = *state;
	static const uint64_t bad[] = { 0, 1, 4095, 4097, PAGE + 512 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		assert_null(mem_backend_create(&c->mem, "ram", bad[i], NULL));
		assert_err_contains("ram: size");
		assert_err_contains("not a positive multiple of 4 KiB");
	}
	assert_int_equal(c->mem.nr_backends, 0);
}

static void test_backend_too_large_refused(void **state)
{
	struct ctx *c = *state;

	assert_null(mem_backend_create(&c->mem, "huge", UINT64_MAX & ~(PAGE - 1),
				       NULL));
	assert_err_contains("too large");
	assert_int_equal(c->mem.nr_backends, 0);
}

static void test_backend_too_many_refused(void **state)
{
	struct ctx *c = *state;

	for (int i = 0; i < MEM_MAX_BACKENDS; i++)
		anon(c, "b", PAGE);
	assert_null(mem_backend_create(&c->mem, "one-more", PAGE, NULL));
	assert_err_contains("too many memory backends");
	assert_int_equal(c->mem.nr_backends, MEM_MAX_BACKENDS);
}

static void test_backend_file_is_created_and_sized(void **state)
{
	struct ctx *c = *state;
	char path[128], buf[4];
	struct mem_backend_cfg cfg = { .path = path };
	struct mem_backend *b;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/ram", c->dir);
	b = mem_backend_create(&c->mem, "ram", 2 * MiB, &cfg);
	assert_non_null(b);
	assert_true(b->is_file);
	assert_true(b->fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 2 * MiB);
	/* MAP_SHARED: what the guest writes is in the file. */
	memcpy(b->hva + MiB, "abc", 4);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, 4, MiB), 4);
	close(fd);
	assert_string_equal(buf, "abc");
}

static void test_backend_short_file_is_extended_keeping_contents(void **state)
{
	struct ctx *c = *state;
	char path[128];
	struct mem_backend_cfg cfg = { .path = path };
	struct mem_backend *b;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/ram", c->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello", 5), 5);
	close(fd);
	b = mem_backend_create(&c->mem, "ram", 8 * PAGE, &cfg);
	assert_non_null(b);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8 * PAGE);
	assert_memory_equal(b->hva, "hello", 5);
	assert_true(all_bytes(b->hva + 5, 8 * PAGE - 5, 0));
}

static void test_backend_longer_file_is_not_truncated(void **state)
{
	struct ctx *c = *state;
	char path[128];
	struct mem_backend_cfg cfg = { .path = path };
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/ram", c->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 16 * PAGE), 0);
	close(fd);
	assert_non_null(mem_backend_create(&c->mem, "ram", 4 * PAGE, &cfg));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 16 * PAGE);
}

static void test_backend_directory_gets_unlinked_temp_file(void **state)
{
	struct ctx *c = *state;
	struct mem_backend_cfg cfg = { .path = c->dir, .prealloc = true };
	struct mem_backend *b;
	struct stat st;

	b = mem_backend_create(&c->mem, "ram", 4 * PAGE, &cfg);
	assert_non_null(b);
	assert_true(b->is_file);
	assert_true(b->fd >= 0);
	assert_int_equal(fstat(b->fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_nlink, 0); /* unlinked: gone with the VM */
	assert_int_equal(st.st_size, 4 * PAGE);
	assert_int_equal(dir_entries(c->dir), 0);
	b->hva[4 * PAGE - 1] = 7;
}

static void test_backend_char_device_dev_zero(void **state)
{
	struct ctx *c = *state;
	struct mem_backend_cfg cfg = { .path = "/dev/zero" };
	struct mem_backend *b;
	struct stat st;
	void *p;
	int fd;

	/* Only where /dev/zero supports a shared writable mapping. */
	fd = open("/dev/zero", O_RDWR);
	if (fd < 0)
		skip();
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		skip();
	munmap(p, PAGE);

	b = mem_backend_create(&c->mem, "ram", 4 * PAGE, &cfg);
	assert_non_null(b);
	assert_true(b->is_file);
	assert_int_equal(fstat(b->fd, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(b->size, 4 * PAGE);
	assert_true(all_bytes(b->hva, 4 * PAGE, 0));
	memset(b->hva, 0x5a, 4 * PAGE);
	assert_true(all_bytes(b->hva, 4 * PAGE, 0x5a));
}

static void test_backend_path_in_missing_directory_refused(void **state)
{
	struct ctx *c = *state;
	char path[128];
	struct mem_backend_cfg cfg = { .path = path };

	snprintf(path, sizeof(path), "%s/missing/ram", c->dir);
	assert_null(mem_backend_create(&c->mem, "ram", PAGE, &cfg));
	assert_err_contains("--mem-path");
	assert_err_contains(path);
	assert_err_contains(strerror(ENOENT));
	assert_int_equal(c->mem.nr_backends, 0);
}

static void test_backend_fifo_refused(void **state)
{
	struct ctx *c = *state;
	char path[128];
	struct mem_backend_cfg cfg = { .path = path };

	snprintf(path, sizeof(path), "%s/fifo", c->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_null(mem_backend_create(&c->mem, "ram", PAGE, &cfg));
	assert_err_contains(path);
	assert_err_contains("not a regular file, directory or character device");
	assert_int_equal(c->mem.nr_backends, 0);
}

static void test_destroy_unmaps_and_closes(void **state)
{
	struct ctx *c = *state;
	char path[128];
	struct mem_backend_cfg cfg = { .path = path };
	struct mem_backend *b;
	int fd;

	snprintf(path, sizeof(path), "%s/ram", c->dir);
	b = mem_backend_create(&c->mem, "ram", PAGE, &cfg);
	assert_non_null(b);
	fd = b->fd;
	anon(c, "other", PAGE);
	mem_destroy(&c->mem);
	assert_int_equal(c->mem.nr_backends, 0);
	assert_int_equal(c->mem.nr_regions, 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	/* Usable again after destroy. */
	anon(c, "again", PAGE);
}

/* ---- regions --------------------------------------------------------- */

static void test_region_add_and_find(void **state)
{
	struct ctx *c = *state;
	uint8_t *hva = ram_at(c, "ram", MiB, MiB, false, true);
	const struct mem_region *r;

	assert_int_equal(c->mem.nr_regions, 1);
	r = mem_find(&c->mem, MiB);
	assert_non_null(r);
	assert_string_equal(r->name, "ram");
	assert_int_equal(r->gpa, MiB);
	assert_int_equal(r->size, MiB);
	assert_ptr_equal(r->hva, hva);
	assert_ptr_equal(r->backend, &c->mem.backends[0]);
	assert_false(r->readonly);
	assert_true(r->is_ram);
	assert_int_equal(r->slot, 0);
	assert_ptr_equal(mem_find(&c->mem, 2 * MiB - 1), r);
	assert_null(mem_find(&c->mem, 2 * MiB));
	assert_null(mem_find(&c->mem, MiB - 1));
	assert_null(mem_find(&c->mem, 0));
	assert_null(mem_find(&c->mem, UINT64_MAX));
}

static void test_region_find_in_empty_map(void **state)
{
	struct ctx *c = *state;

	assert_null(mem_find(&c->mem, 0));
	assert_null(gpa_to_hva(&c->mem, 0, 1));
	assert_int_equal(mem_ram_size(&c->mem), 0);
}

static void test_region_overlap_refused(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "big", 16 * PAGE);
	static const struct {
		uint64_t gpa, size;
	} bad[] = {
		{ 0x10000, 0x4000 }, /* exact */
		{ 0xf000, 0x2000 }, /* over the start */
		{ 0x13000, 0x2000 }, /* over the end */
		{ 0x11000, 0x1000 }, /* inside */
		{ 0xf000, 0x6000 }, /* all around */
		{ 0x13000, 0x1000 }, /* last page */
		{ 0x10000, 0x1000 }, /* first page */
	};

	assert_int_equal(mem_add_region(&c->mem, "dev", b, 0, 0x10000, 0x4000,
					false, true),
			 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		assert_int_equal(mem_add_region(&c->mem, "new", b, 0, bad[i].gpa,
						bad[i].size, false, true),
				 -1);
		assert_err_contains("overlaps dev");
	}
	assert_int_equal(c->mem.nr_regions, 1);
	/* Touching on either side is fine. */
	assert_int_equal(mem_add_region(&c->mem, "below", b, 0, 0xc000, 0x4000,
					false, true),
			 0);
	assert_int_equal(mem_add_region(&c->mem, "above", b, 0, 0x14000, 0x4000,
					false, true),
			 0);
	assert_int_equal(c->mem.nr_regions, 3);
	/* Overlapping a region that is not the first or the one just added. */
	assert_int_equal(mem_add_region(&c->mem, "late", b, 0, 0x17000, 0x2000,
					false, true),
			 -1);
	assert_err_contains("overlaps above");
	assert_int_equal(mem_add_region(&c->mem, "early", b, 0, 0x8000, 0x5000,
					false, true),
			 -1);
	assert_err_contains("overlaps below");
}

static void test_region_unaligned_refused(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "ram", 4 * PAGE);

	assert_int_equal(mem_add_region(&c->mem, "r", b, 0, 0x1001, PAGE, false,
					true),
			 -1);
	assert_err_contains("not page aligned");
	assert_int_equal(mem_add_region(&c->mem, "r", b, 0, 0x1000, 0x1001,
					false, true),
			 -1);
	assert_err_contains("not page aligned");
	assert_int_equal(mem_add_region(&c->mem, "r", b, 0x10, 0x1000, PAGE,
					false, true),
			 -1);
	assert_err_contains("not page aligned");
	assert_int_equal(mem_add_region(&c->mem, "r", b, 0, 0x1000, 0, false,
					true),
			 -1);
	assert_err_contains("r: region");
	assert_int_equal(c->mem.nr_regions, 0);
}

static void test_region_window_beyond_backend_refused(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "small", 16 * PAGE);

	assert_int_equal(mem_add_region(&c->mem, "r", b, 0, 0, 17 * PAGE, false,
					true),
			 -1);
	assert_err_contains("outside backend small");
	assert_int_equal(mem_add_region(&c->mem, "r", b, 15 * PAGE, 0, 2 * PAGE,
					false, true),
			 -1);
	assert_err_contains("outside backend small");
	assert_int_equal(mem_add_region(&c->mem, "r", b, 16 * PAGE, 0, PAGE,
					false, true),
			 -1);
	/* offset + size overflows 64 bits. */
	assert_int_equal(mem_add_region(&c->mem, "r", b, TOP_PAGE, 0, 2 * PAGE,
					false, true),
			 -1);
	assert_err_contains("outside backend small");
	assert_int_equal(c->mem.nr_regions, 0);
	/* The last page alone, and the whole backend, fit. */
	assert_int_equal(mem_add_region(&c->mem, "last", b, 15 * PAGE, 0, PAGE,
					false, true),
			 0);
	assert_int_equal(mem_add_region(&c->mem, "all", b, 0, MiB, 16 * PAGE,
					false, true),
			 0);
}

static void test_region_window_offset_maps_backend_offset(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "ram", 16 * PAGE);

	b->hva[2 * PAGE] = 0xab;
	assert_int_equal(mem_add_region(&c->mem, "win", b, 2 * PAGE, 0x40000,
					4 * PAGE, false, true),
			 0);
	assert_ptr_equal(gpa_to_hva(&c->mem, 0x40000, 1), b->hva + 2 * PAGE);
	assert_int_equal(*(uint8_t *)gpa_to_hva(&c->mem, 0x40000, 1), 0xab);
}

static void test_region_alias_shares_backend(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "fw", 4 * PAGE);
	uint8_t v = 0x42, out = 0;

	/* Like the top of the firmware aliased below 1 MiB. */
	assert_int_equal(mem_add_region(&c->mem, "fw-high", b, 0, 0xfffc0000,
					4 * PAGE, false, false),
			 0);
	assert_int_equal(mem_add_region(&c->mem, "fw-low", b, 2 * PAGE, 0xe0000,
					2 * PAGE, false, false),
			 0);
	assert_int_equal(copy_to_guest(&c->mem, 0xfffc3000, &v, 1), 0);
	assert_int_equal(copy_from_guest(&c->mem, &out, 0xe1000, 1), 0);
	assert_int_equal(out, 0x42);
}

static void test_region_wrapping_gpa_refused(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "ram", 4 * PAGE);

	assert_int_equal(mem_add_region(&c->mem, "r", b, 0, TOP_PAGE, 2 * PAGE,
					false, true),
			 -1);
	assert_err_contains("wraps around");
	assert_int_equal(mem_add_region(&c->mem, "r", b, 0, TOP_PAGE - PAGE,
					4 * PAGE, false, true),
			 -1);
	assert_err_contains("wraps around");
	assert_int_equal(c->mem.nr_regions, 0);
	/* Ending exactly at 2^64 - 1 is fine. */
	assert_int_equal(mem_add_region(&c->mem, "top", b, 0, TOP_PAGE, PAGE,
					false, true),
			 0);
	assert_non_null(mem_find(&c->mem, UINT64_MAX));
}

static void test_region_too_many_refused(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "ram", PAGE);

	for (uint64_t i = 0; i < MEM_MAX_REGIONS; i++)
		assert_int_equal(mem_add_region(&c->mem, "r", b, 0, i * 2 * PAGE,
						PAGE, false, true),
				 0);
	assert_int_equal(mem_add_region(&c->mem, "extra", b, 0, MiB, PAGE,
					false, true),
			 -1);
	assert_err_contains("too many memory regions");
	assert_int_equal(c->mem.nr_regions, MEM_MAX_REGIONS);
}

static void test_regions_sorted_with_slots_in_gpa_order(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b = anon(c, "ram", PAGE);
	static const struct {
		const char *name;
		uint64_t gpa;
	} add[] = {
		{ "c", 0x300000 }, { "a", 0x100000 }, { "d", 0xfffff000 },
		{ "b", 0x200000 }, { "z", 0 },
	};
	static const char *const order[] = { "z", "a", "b", "c", "d" };

	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++)
		assert_int_equal(mem_add_region(&c->mem, add[i].name, b, 0,
						add[i].gpa, PAGE, false, true),
				 0);
	assert_int_equal(c->mem.nr_regions, 5);
	for (size_t i = 0; i < 5; i++) {
		const struct mem_region *r = &c->mem.regions[i];

		assert_string_equal(r->name, order[i]);
		assert_int_equal(r->slot, i);
		if (i)
			assert_true(c->mem.regions[i - 1].gpa < r->gpa);
		assert_ptr_equal(mem_find(&c->mem, r->gpa + 5), r);
	}
}

/* ---- gpa_to_hva ------------------------------------------------------ */

static void test_gpa_to_hva_bounds(void **state)
{
	struct ctx *c = *state;
	uint8_t *hva = ram_at(c, "ram", 0x10000, 0x10000, false, true);

	assert_ptr_equal(gpa_to_hva(&c->mem, 0x10000, 1), hva);
	assert_ptr_equal(gpa_to_hva(&c->mem, 0x18000, 0x100), hva + 0x8000);
	/* The whole region, and ranges ending exactly at its end. */
	assert_ptr_equal(gpa_to_hva(&c->mem, 0x10000, 0x10000), hva);
	assert_ptr_equal(gpa_to_hva(&c->mem, 0x1fffc, 4), hva + 0xfffc);
	assert_ptr_equal(gpa_to_hva(&c->mem, 0x1ffff, 1), hva + 0xffff);
	/* One byte past. */
	assert_null(gpa_to_hva(&c->mem, 0x1fffc, 5));
	assert_null(gpa_to_hva(&c->mem, 0x10000, 0x10001));
	assert_null(gpa_to_hva(&c->mem, 0x20000, 1));
	assert_null(gpa_to_hva(&c->mem, 0xffff, 1));
	assert_null(gpa_to_hva(&c->mem, 0xffff, 2));
}

static void test_gpa_to_hva_len_zero_refused(void **state)
{
	struct ctx *c = *state;

	ram_at(c, "ram", 0, 0x10000, false, true);
	assert_null(gpa_to_hva(&c->mem, 0, 0));
	assert_null(gpa_to_hva(&c->mem, 0x8000, 0));
}

static void test_gpa_to_hva_spanning_adjacent_regions_refused(void **state)
{
	struct ctx *c = *state;

	ram_at(c, "lo", 0, 0x10000, false, true);
	ram_at(c, "hi", 0x10000, 0x10000, false, true);
	assert_non_null(gpa_to_hva(&c->mem, 0xfff0, 0x10));
	assert_non_null(gpa_to_hva(&c->mem, 0x10000, 0x10));
	assert_null(gpa_to_hva(&c->mem, 0xfff0, 0x11));
	assert_null(gpa_to_hva(&c->mem, 0, 0x20000));
}

static void test_gpa_to_hva_overflow_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *top;

	ram_at(c, "low", 0, 0x10000, false, true);
	top = ram_at(c, "top", TOP_PAGE, PAGE, false, true);
	/* A huge len must not wrap around to look small. */
	assert_null(gpa_to_hva(&c->mem, 0x10, UINT64_MAX));
	assert_null(gpa_to_hva(&c->mem, 0x10, UINT64_MAX - 0xf));
	assert_null(gpa_to_hva(&c->mem, UINT64_MAX, 2));
	assert_null(gpa_to_hva(&c->mem, UINT64_MAX - 0xf, UINT64_MAX));
	assert_null(gpa_to_hva(&c->mem, TOP_PAGE, PAGE + 1));
	/* The very last bytes of the address space are reachable. */
	assert_ptr_equal(gpa_to_hva(&c->mem, UINT64_MAX, 1), top + PAGE - 1);
	assert_ptr_equal(gpa_to_hva(&c->mem, TOP_PAGE, PAGE), top);
}

static void test_gpa_to_hva_in_hole_refused(void **state)
{
	struct ctx *c = *state;

	ram_at(c, "a", 0, 0x10000, false, true);
	ram_at(c, "b", 0x20000, 0x10000, false, true);
	assert_null(gpa_to_hva(&c->mem, 0x10000, 1));
	assert_null(gpa_to_hva(&c->mem, 0x18000, 8));
	assert_null(gpa_to_hva(&c->mem, 0x1ffff, 1));
	assert_null(gpa_to_hva(&c->mem, 0x1ffff, 2)); /* ends inside b */
	assert_null(gpa_to_hva(&c->mem, 0xffff, 2)); /* starts inside a */
	assert_non_null(gpa_to_hva(&c->mem, 0x20000, 1));
	assert_null(gpa_to_hva(&c->mem, 0x30000, 1));
}

/* ---- copy_to_guest / copy_from_guest -------------------------------- */

static void test_copy_across_adjacent_regions(void **state)
{
	struct ctx *c = *state;
	uint8_t *lo = ram_at(c, "lo", 0, 0x10000, false, true);
	uint8_t *hi = ram_at(c, "hi", 0x10000, 0x10000, false, true);
	uint8_t src[0x40], dst[0x40];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i + 1);
	assert_int_equal(copy_to_guest(&c->mem, 0xffe0, src, sizeof(src)), 0);
	assert_memory_equal(lo + 0xffe0, src, 0x20);
	assert_memory_equal(hi, src + 0x20, 0x20);
	memset(dst, 0, sizeof(dst));
	assert_int_equal(copy_from_guest(&c->mem, dst, 0xffe0, sizeof(dst)), 0);
	assert_memory_equal(dst, src, sizeof(src));
}

static void test_copy_across_three_regions(void **state)
{
	struct ctx *c = *state;
	uint8_t *a = ram_at(c, "a", 0, PAGE, false, true);
	uint8_t *b = ram_at(c, "b", PAGE, PAGE, false, true);
	uint8_t *d = ram_at(c, "c", 2 * PAGE, PAGE, false, true);
	static uint8_t src[3 * PAGE];

	memset(src, 0x77, sizeof(src));
	assert_int_equal(copy_to_guest(&c->mem, 0, src, sizeof(src)), 0);
	assert_true(all_bytes(a, PAGE, 0x77));
	assert_true(all_bytes(b, PAGE, 0x77));
	assert_true(all_bytes(d, PAGE, 0x77));
}

static void test_failed_copy_to_guest_writes_nothing(void **state)
{
	struct ctx *c = *state;
	uint8_t *lo = ram_at(c, "lo", 0, 0x10000, false, true);
	uint8_t *hi = ram_at(c, "hi", 0x10000, 0x10000, false, true);
	uint8_t src[0x100];

	memset(lo, 0x5a, 0x10000);
	memset(hi, 0x5a, 0x10000);
	memset(src, 0xee, sizeof(src));
	/* Across both regions and then into the hole after them. */
	assert_int_equal(copy_to_guest(&c->mem, 0x1ff80, src, sizeof(src)), -1);
	assert_int_equal(copy_to_guest(&c->mem, 0xff80, src, 0x10081), -1);
	/* Entirely in the hole. */
	assert_int_equal(copy_to_guest(&c->mem, 0x20000, src, 0x10), -1);
	assert_true(all_bytes(lo, 0x10000, 0x5a));
	assert_true(all_bytes(hi, 0x10000, 0x5a));
}

static void test_failed_copy_from_guest_writes_nothing(void **state)
{
	struct ctx *c = *state;
	uint8_t *lo = ram_at(c, "lo", 0, 0x10000, false, true);
	uint8_t dst[0x100];

	memset(lo, 0x11, 0x10000);
	memset(dst, 0xcd, sizeof(dst));
	assert_int_equal(copy_from_guest(&c->mem, dst, 0xff80, sizeof(dst)), -1);
	assert_true(all_bytes(dst, sizeof(dst), 0xcd));
}

static void test_copy_wrapping_past_2_64_refused(void **state)
{
	struct ctx *c = *state;
	uint8_t *low = ram_at(c, "low", 0, PAGE, false, true);
	uint8_t *top = ram_at(c, "top", TOP_PAGE, PAGE, false, true);
	uint8_t buf[0x20];

	memset(low, 0x5a, PAGE);
	memset(top, 0x5a, PAGE);
	memset(buf, 0xee, sizeof(buf));
	/* RAM on both sides of the wrap: still refused, nothing written. */
	assert_int_equal(copy_to_guest(&c->mem, UINT64_MAX - 0xf, buf,
				       sizeof(buf)),
			 -1);
	assert_int_equal(copy_from_guest(&c->mem, buf, UINT64_MAX - 0xf,
					 sizeof(buf)),
			 -1);
	assert_int_equal(copy_to_guest(&c->mem, 0x10, buf, UINT64_MAX), -1);
	assert_true(all_bytes(low, PAGE, 0x5a));
	assert_true(all_bytes(top, PAGE, 0x5a));
	assert_true(all_bytes(buf, sizeof(buf), 0xee));
	/* Up to the very last byte is fine. */
	assert_int_equal(copy_to_guest(&c->mem, UINT64_MAX - 0xf, buf, 0x10), 0);
	assert_true(all_bytes(top + PAGE - 0x10, 0x10, 0xee));
}

static void test_copy_len_zero_is_a_no_op(void **state)
{
	struct ctx *c = *state;
	uint8_t *lo = ram_at(c, "lo", 0, PAGE, false, true);
	uint8_t buf[1] = { 0xee };

	memset(lo, 0x5a, PAGE);
	assert_int_equal(copy_to_guest(&c->mem, 0, buf, 0), 0);
	assert_int_equal(copy_from_guest(&c->mem, buf, 0, 0), 0);
	assert_true(all_bytes(lo, PAGE, 0x5a));
	assert_int_equal(buf[0], 0xee);
}

static void test_readonly_region_refuses_writes_allows_reads(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, 0x10000, false, true);
	uint8_t *rom = ram_at(c, "rom", 0x10000, 0x10000, true, false);
	uint8_t buf[0x20], out[0x20];

	memset(ram, 0x5a, 0x10000);
	memset(rom, 0xa5, 0x10000);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(copy_to_guest(&c->mem, 0x10000, buf, 1), -1);
	/* RAM then ROM: refused as a whole, the RAM part untouched too. */
	assert_int_equal(copy_to_guest(&c->mem, 0xfff0, buf, sizeof(buf)), -1);
	assert_true(all_bytes(ram, 0x10000, 0x5a));
	assert_true(all_bytes(rom, 0x10000, 0xa5));
	/* Reading ROM, alone or together with RAM, works. */
	assert_int_equal(copy_from_guest(&c->mem, out, 0xfff0, sizeof(out)), 0);
	assert_true(all_bytes(out, 0x10, 0x5a));
	assert_true(all_bytes(out + 0x10, 0x10, 0xa5));
	/* gpa_to_hva itself does not look at readonly (it is for reads too). */
	assert_ptr_equal(gpa_to_hva(&c->mem, 0x10000, 1), rom);
}

/* ---- gpa_to_iovec ---------------------------------------------------- */

/* An iovec array whose untouched entries are recognisable. */
#define IOV_POISON ((void *)0x1)
static void iov_poison(struct iovec *iov, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = IOV_POISON;
		iov[i].iov_len = 0xdead;
	}
}

static bool iov_untouched(const struct iovec *iov, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (iov[i].iov_base != IOV_POISON || iov[i].iov_len != 0xdead)
			return false;
	return true;
}

static void test_iovec_inside_one_region(void **state)
{
	struct ctx *c = *state;
	uint8_t *hva = ram_at(c, "ram", 0x10000, 0x10000, false, true);
	struct iovec iov[4];

	iov_poison(iov, 4);
	assert_int_equal(gpa_to_iovec(&c->mem, 0x10100, 0x200, true, iov, 4), 1);
	assert_ptr_equal(iov[0].iov_base, hva + 0x100);
	assert_int_equal(iov[0].iov_len, 0x200);
	assert_true(iov_untouched(iov + 1, 3));
	/* The whole region; max_iov 1 is enough. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0x10000, 0x10000, false, iov, 1),
			 1);
	assert_ptr_equal(iov[0].iov_base, hva);
	assert_int_equal(iov[0].iov_len, 0x10000);
}

static void test_iovec_across_adjacent_regions(void **state)
{
	struct ctx *c = *state;
	uint8_t *lo = ram_at(c, "lo", 0, 0x10000, false, true);
	uint8_t *hi = ram_at(c, "hi", 0x10000, 0x10000, false, true);
	uint8_t *top = ram_at(c, "top", 0x20000, PAGE, false, true);
	struct iovec iov[4];

	iov_poison(iov, 4);
	assert_int_equal(gpa_to_iovec(&c->mem, 0xff00, 0x200, true, iov, 4), 2);
	assert_ptr_equal(iov[0].iov_base, lo + 0xff00);
	assert_int_equal(iov[0].iov_len, 0x100);
	assert_ptr_equal(iov[1].iov_base, hi);
	assert_int_equal(iov[1].iov_len, 0x100);
	assert_true(iov_untouched(iov + 2, 2));
	/* Through all three: the middle one whole. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0xfff0, 0x10020, true, iov, 4),
			 3);
	assert_ptr_equal(iov[0].iov_base, lo + 0xfff0);
	assert_int_equal(iov[0].iov_len, 0x10);
	assert_ptr_equal(iov[1].iov_base, hi);
	assert_int_equal(iov[1].iov_len, 0x10000);
	assert_ptr_equal(iov[2].iov_base, top);
	assert_int_equal(iov[2].iov_len, 0x10);
}

static void test_iovec_touching_a_hole_refused(void **state)
{
	struct ctx *c = *state;
	struct iovec iov[4];

	ram_at(c, "a", 0, 0x10000, false, true);
	ram_at(c, "b", 0x20000, 0x10000, false, true);
	iov_poison(iov, 4);
	/* Into the hole, across it, inside it, from it into b. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0xff00, 0x101, false, iov, 4), -1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0xff00, 0x10200, false, iov, 4),
			 -1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0x18000, 1, false, iov, 4), -1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0x1ffff, 2, false, iov, 4), -1);
	assert_true(iov_untouched(iov, 4));
	/* Up to the hole is fine. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0xff00, 0x100, false, iov, 4), 1);
}

static void test_iovec_ending_at_end_of_ram(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, MiB, false, true);
	uint8_t *top = ram_at(c, "top", TOP_PAGE, PAGE, false, true);
	struct iovec iov[2];

	assert_int_equal(gpa_to_iovec(&c->mem, MiB - 0x10, 0x10, true, iov, 2),
			 1);
	assert_ptr_equal(iov[0].iov_base, ram + MiB - 0x10);
	assert_int_equal(gpa_to_iovec(&c->mem, MiB - 0x10, 0x11, true, iov, 2),
			 -1);
	/* The last byte of the 64-bit space, alone and with its page. */
	assert_int_equal(gpa_to_iovec(&c->mem, UINT64_MAX, 1, true, iov, 2), 1);
	assert_ptr_equal(iov[0].iov_base, top + PAGE - 1);
	assert_int_equal(iov[0].iov_len, 1);
	assert_int_equal(gpa_to_iovec(&c->mem, TOP_PAGE, PAGE, true, iov, 2), 1);
	assert_ptr_equal(iov[0].iov_base, top);
	assert_int_equal(iov[0].iov_len, PAGE);
}

static void test_iovec_wrap_refused(void **state)
{
	struct ctx *c = *state;
	struct iovec iov[4];

	/* RAM on both sides of 2^64: still refused. */
	ram_at(c, "low", 0, PAGE, false, true);
	ram_at(c, "top", TOP_PAGE, PAGE, false, true);
	iov_poison(iov, 4);
	assert_int_equal(gpa_to_iovec(&c->mem, UINT64_MAX - 0xf, 0x20, false,
				      iov, 4),
			 -1);
	assert_int_equal(gpa_to_iovec(&c->mem, UINT64_MAX, 2, false, iov, 4), -1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0x10, UINT64_MAX, false, iov, 4),
			 -1);
	assert_int_equal(gpa_to_iovec(&c->mem, TOP_PAGE, UINT64_MAX, false, iov,
				      4),
			 -1);
	assert_true(iov_untouched(iov, 4));
}

static void test_iovec_len_zero_refused(void **state)
{
	struct ctx *c = *state;
	struct iovec iov[1];

	ram_at(c, "ram", 0, PAGE, false, true);
	iov_poison(iov, 1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0, 0, false, iov, 1), -1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0x800, 0, true, iov, 1), -1);
	assert_true(iov_untouched(iov, 1));
}

static void test_iovec_max_iov_too_small_refused(void **state)
{
	struct ctx *c = *state;
	struct iovec iov[4];

	ram_at(c, "a", 0, PAGE, false, true);
	ram_at(c, "b", PAGE, PAGE, false, true);
	ram_at(c, "c", 2 * PAGE, PAGE, false, true);
	iov_poison(iov, 4);
	/* Three pieces do not go into two entries, nor anything into none. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0, 3 * PAGE, true, iov, 2), -1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0, 1, true, iov, 0), -1);
	assert_true(iov_untouched(iov, 4));
	assert_int_equal(gpa_to_iovec(&c->mem, 0, 3 * PAGE, true, iov, 3), 3);
	assert_true(iov_untouched(iov + 3, 1));
}

static void test_iovec_readonly_needs_write_false(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, 0x10000, false, true);
	uint8_t *rom = ram_at(c, "rom", 0x10000, 0x10000, true, false);
	struct iovec iov[2];

	iov_poison(iov, 2);
	/* A device writing to the guest may not write ROM, alone or with RAM. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0x10000, 0x10, true, iov, 2), -1);
	assert_int_equal(gpa_to_iovec(&c->mem, 0xfff0, 0x20, true, iov, 2), -1);
	assert_true(iov_untouched(iov, 2));
	/* Reading from it is fine. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0x10000, 0x10, false, iov, 2), 1);
	assert_ptr_equal(iov[0].iov_base, rom);
	assert_int_equal(gpa_to_iovec(&c->mem, 0xfff0, 0x20, false, iov, 2), 2);
	assert_ptr_equal(iov[0].iov_base, ram + 0xfff0);
	assert_int_equal(iov[0].iov_len, 0x10);
	assert_ptr_equal(iov[1].iov_base, rom);
	assert_int_equal(iov[1].iov_len, 0x10);
	/* RAM alone, with write. */
	assert_int_equal(gpa_to_iovec(&c->mem, 0, 0x10, true, iov, 2), 1);
}

/* ---- mem_read_fd ----------------------------------------------------- */

/* A file in the test directory holding n bytes of i * 7 + 3, opened to read. */
static int file_of(struct ctx *c, const char *name, size_t n)
{
	char path[128];
	uint8_t *buf = malloc(n ? n : 1);
	int fd;

	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	close(fd);
	free(buf);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static bool holds_pattern(const uint8_t *p, size_t n, size_t from)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)((from + i) * 7 + 3))
			return false;
	return true;
}

static void test_read_fd_into_ram(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, 0x10000, false, true);
	int fd = file_of(c, "img", 0x1000);

	assert_int_equal(mem_read_fd(&c->mem, 0x100, fd, 0x1000, 0), 0);
	assert_true(holds_pattern(ram + 0x100, 0x1000, 0));
	assert_true(all_bytes(ram, 0x100, 0));
	assert_true(all_bytes(ram + 0x1100, 0x10000 - 0x1100, 0));
	/* len 0: nothing to do. */
	assert_int_equal(mem_read_fd(&c->mem, 0, fd, 0, 0), 0);
	close(fd);
}

static void test_read_fd_short_file(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, 0x10000, false, true);
	int fd = file_of(c, "short", 100);

	assert_int_equal(mem_read_fd(&c->mem, 0, fd, 200, 0), -1);
	assert_err_contains("end of file after 100 of 200 bytes");
	/* What was there is in guest memory; the rest is untouched. */
	assert_true(holds_pattern(ram, 100, 0));
	assert_true(all_bytes(ram + 100, 0x10000 - 100, 0));
	close(fd);
}

static void test_read_fd_rom_needs_flag(void **state)
{
	struct ctx *c = *state;
	uint8_t *rom = ram_at(c, "rom", 0xf0000, 0x10000, true, false);
	int fd = file_of(c, "bios", 0x10000);

	memset(rom, 0xa5, 0x10000);
	assert_int_equal(mem_read_fd(&c->mem, 0xf0000, fd, 0x10000, 0), -1);
	assert_err_contains("not writable guest RAM");
	/* Refused before reading: ROM as it was, the file offset still 0. */
	assert_true(all_bytes(rom, 0x10000, 0xa5));
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	assert_int_equal(mem_read_fd(&c->mem, 0xf0000, fd, 0x10000,
				     MEM_ALLOW_ROM),
			 0);
	assert_true(holds_pattern(rom, 0x10000, 0));
	/* Flags it does not know are refused. */
	assert_int_equal(mem_read_fd(&c->mem, 0xf0000, fd, 1, 0x80), -1);
	assert_err_contains("unknown flags");
	close(fd);
}

static void test_read_fd_across_regions(void **state)
{
	struct ctx *c = *state;
	uint8_t *lo = ram_at(c, "lo", 0, 0x10000, false, true);
	uint8_t *hi = ram_at(c, "hi", 0x10000, 0x10000, false, true);
	uint8_t *rom = ram_at(c, "rom", 0x20000, 0x10000, true, false);
	int fd = file_of(c, "img", 0x20000);

	assert_int_equal(mem_read_fd(&c->mem, 0xff00, fd, 0x200, 0), 0);
	assert_true(holds_pattern(lo + 0xff00, 0x100, 0));
	assert_true(holds_pattern(hi, 0x100, 0x100));
	/* RAM then ROM: refused without the flag, whole, nothing read. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(mem_read_fd(&c->mem, 0x1ff00, fd, 0x200, 0), -1);
	assert_true(all_bytes(hi + 0xff00, 0x100, 0));
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	/* With it, through all three regions. */
	assert_int_equal(mem_read_fd(&c->mem, 0x8000, fd, 0x20000,
				     MEM_ALLOW_ROM),
			 0);
	assert_true(holds_pattern(lo + 0x8000, 0x8000, 0));
	assert_true(holds_pattern(hi, 0x10000, 0x8000));
	assert_true(holds_pattern(rom, 0x8000, 0x18000));
	close(fd);
}

static void test_read_fd_outside_memory_or_bad_fd(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, 0x10000, false, true);
	char path[128];
	int fd = file_of(c, "img", 0x100);

	/* Past the end, in no region, wrapping. */
	assert_int_equal(mem_read_fd(&c->mem, 0xff80, fd, 0x100, 0), -1);
	assert_err_contains("0xff80+0x100");
	assert_int_equal(mem_read_fd(&c->mem, 0x20000, fd, 1, MEM_ALLOW_ROM),
			 -1);
	assert_int_equal(mem_read_fd(&c->mem, UINT64_MAX, fd, 2, 0), -1);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 0);
	assert_true(all_bytes(ram, 0x10000, 0));
	close(fd);
	/* A file descriptor that cannot be read. */
	snprintf(path, sizeof(path), "%s/img", c->dir);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(mem_read_fd(&c->mem, 0, fd, 0x10, 0), -1);
	assert_err_contains("read failed");
	close(fd);
}

/* ---- mem_copy_within ------------------------------------------------- */

static void test_copy_within_rom_to_ram(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, MiB, false, true);
	uint8_t *rom = ram_at(c, "rom", 0xfffe0000, 0x20000, true, false);

	for (size_t i = 0; i < 0x20000; i++)
		rom[i] = (uint8_t)(i * 7 + 3);
	/* The firmware's low alias: the ROM's top 128 KiB below 1 MiB. */
	assert_int_equal(mem_copy_within(&c->mem, 0xe0000, 0xfffe0000, 0x20000),
			 0);
	assert_true(holds_pattern(ram + 0xe0000, 0x20000, 0));
	/* Into ROM: refused, nothing written. */
	memset(ram, 0x11, 0x100);
	assert_int_equal(mem_copy_within(&c->mem, 0xfffe0000, 0, 0x100), -1);
	assert_true(holds_pattern(rom, 0x100, 0));
	/* From outside memory, or into RAM then beyond it: refused. */
	assert_int_equal(mem_copy_within(&c->mem, 0, 0x200000, 0x10), -1);
	assert_int_equal(mem_copy_within(&c->mem, MiB - 8, 0, 0x10), -1);
	assert_true(holds_pattern(ram + MiB - 8, 8, 0x20000 - 8));
	assert_int_equal(mem_copy_within(&c->mem, 0, 0x200000, 0), 0);
}

static void test_copy_within_overlapping(void **state)
{
	struct ctx *c = *state;
	uint8_t *ram = ram_at(c, "ram", 0, PAGE, false, true);
	uint8_t *hi = ram_at(c, "hi", PAGE, PAGE, false, true);

	for (size_t i = 0; i < 0x100; i++)
		ram[i] = (uint8_t)(i * 7 + 3);
	/* Forward overlap, as memmove: the source as it was before. */
	assert_int_equal(mem_copy_within(&c->mem, 0x10, 0, 0x100), 0);
	assert_true(holds_pattern(ram + 0x10, 0x100, 0));
	/* Across the region boundary. */
	assert_int_equal(mem_copy_within(&c->mem, PAGE - 0x80, 0x10, 0x100), 0);
	assert_true(holds_pattern(ram + PAGE - 0x80, 0x80, 0));
	assert_true(holds_pattern(hi, 0x80, 0x80));
}

/* ---- mem_ram_size ---------------------------------------------------- */

static void test_ram_size_excludes_rom(void **state)
{
	struct ctx *c = *state;

	ram_at(c, "low", 0, MiB, false, true);
	ram_at(c, "high", 0x100000000ull, 2 * MiB, false, true);
	ram_at(c, "bios", 0xfffc0000, 0x40000, true, false);
	ram_at(c, "flash", 0xff000000, PAGE, false, false); /* rw, not RAM */
	assert_int_equal(mem_ram_size(&c->mem), 3 * MiB);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_backend_anonymous),
		T(test_backend_anonymous_shared_and_prealloc),
		T(test_backend_size_must_be_page_multiple),
		T(test_backend_too_large_refused),
		T(test_backend_too_many_refused),
		T(test_backend_file_is_created_and_sized),
		T(test_backend_short_file_is_extended_keeping_contents),
		T(test_backend_longer_file_is_not_truncated),
		T(test_backend_directory_gets_unlinked_temp_file),
		T(test_backend_char_device_dev_zero),
		T(test_backend_path_in_missing_directory_refused),
		T(test_backend_fifo_refused),
		T(test_destroy_unmaps_and_closes),
		T(test_region_add_and_find),
		T(test_region_find_in_empty_map),
		T(test_region_overlap_refused),
		T(test_region_unaligned_refused),
		T(test_region_window_beyond_backend_refused),
		T(test_region_window_offset_maps_backend_offset),
		T(test_region_alias_shares_backend),
		T(test_region_wrapping_gpa_refused),
		T(test_region_too_many_refused),
		T(test_regions_sorted_with_slots_in_gpa_order),
		T(test_gpa_to_hva_bounds),
		T(test_gpa_to_hva_len_zero_refused),
		T(test_gpa_to_hva_spanning_adjacent_regions_refused),
		T(test_gpa_to_hva_overflow_refused),
		T(test_gpa_to_hva_in_hole_refused),
		T(test_copy_across_adjacent_regions),
		T(test_copy_across_three_regions),
		T(test_failed_copy_to_guest_writes_nothing),
		T(test_failed_copy_from_guest_writes_nothing),
		T(test_copy_wrapping_past_2_64_refused),
		T(test_copy_len_zero_is_a_no_op),
		T(test_readonly_region_refuses_writes_allows_reads),
		T(test_iovec_inside_one_region),
		T(test_iovec_across_adjacent_regions),
		T(test_iovec_touching_a_hole_refused),
		T(test_iovec_ending_at_end_of_ram),
		T(test_iovec_wrap_refused),
		T(test_iovec_len_zero_refused),
		T(test_iovec_max_iov_too_small_refused),
		T(test_iovec_readonly_needs_write_false),
		T(test_read_fd_into_ram),
		T(test_read_fd_short_file),
		T(test_read_fd_rom_needs_flag),
		T(test_read_fd_across_regions),
		T(test_read_fd_outside_memory_or_bad_fd),
		T(test_copy_within_rom_to_ram),
		T(test_copy_within_overlapping),
		T(test_ram_size_excludes_rom),
	};

	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
