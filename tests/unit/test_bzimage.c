// SPDX-License-Identifier: MIT
/*
 * bzImage setup-header parser: bzimage_parse() on images built in memory.
 * A good protocol 2.15 header first (every field read from its offset, the
 * setup/kernel split, the 64-bit entry flag and when it applies, fields that
 * older protocols do not have), then each refusal with the words of its
 * err_msg(), and the boundaries on either side of each limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "loader/bzimage.h"
#include "log.h"
#include "unit.h"

#define NAME "test.bzImage"
#define IMAGE_MAX 0x4000

static uint8_t img[IMAGE_MAX];

static void put(size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

/* Header end 0x26c (protocol 2.15), as the jump at 0x200 tells it. */
static void set_header_end(size_t end)
{
	img[BZ_JUMP] = 0xeb;
	img[BZ_JUMP + 1] = (uint8_t)(end - 0x202);
}

/*
 * A good 2.15 header in img: setup_sects 2 (setup 1536 bytes), every field
 * a distinct value so that a field read from the wrong offset shows.
 * The pattern bytes elsewhere make "reads zero where nothing was set" fail
 * loudly too.
 */
static void build_good(void)
{
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + 1);
	memset(img + BZ_SETUP_SECTS, 0, 0x280 - BZ_SETUP_SECTS);
	put(BZ_SETUP_SECTS, 2, 1);
	put(BZ_BOOT_FLAG, 0xaa55, 2);
	set_header_end(0x26c);
	memcpy(img + BZ_HEADER, "HdrS", 4);
	put(BZ_VERSION, 0x020f, 2);
	put(BZ_LOADFLAGS, BZ_LOADED_HIGH | BZ_CAN_USE_HEAP, 1);
	put(BZ_CODE32_START, 0x100000, 4);
	put(BZ_INITRD_ADDR_MAX, 0x7fffffff, 4);
	put(BZ_KERNEL_ALIGNMENT, 0x200000, 4);
	put(BZ_RELOCATABLE, 1, 1);
	put(BZ_XLOADFLAGS, BZ_XLF_KERNEL_64 | 0x0002, 2);
	put(BZ_CMDLINE_SIZE, 2047, 4);
	put(BZ_PREF_ADDRESS, 0x0000000301000000ull, 8);
	put(BZ_INIT_SIZE, 0x2c00, 4);
}

static int setup(void **state)
{
	(void)state;
	build_good();
	err_clear();
	return 0;
}

/* Parse the first len bytes of img; it must be refused with `words`. */
static void assert_refused(size_t len, const char *words)
{
	struct bzimage_info info;

	assert_int_equal(bzimage_parse(img, len, NAME, &info), -1);
	assert_err_contains(words);
	assert_err_contains(NAME);
}

static void test_good_215_fields(void **state)
{
	struct bzimage_info info;

	(void)state;
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.version, 0x020f);
	assert_int_equal(info.setup_sects, 2);
	assert_int_equal(info.loadflags, BZ_LOADED_HIGH | BZ_CAN_USE_HEAP);
	assert_int_equal(info.xloadflags, BZ_XLF_KERNEL_64 | 0x0002);
	assert_int_equal(info.code32_start, 0x100000);
	assert_int_equal(info.initrd_addr_max, 0x7fffffff);
	assert_int_equal(info.kernel_alignment, 0x200000);
	assert_int_equal(info.cmdline_size, 2047);
	assert_int_equal(info.init_size, 0x2c00);
	assert_int_equal(info.pref_address, 0x0000000301000000ull);
	assert_true(info.relocatable);
	assert_true(info.has_64bit_entry);
	assert_int_equal(info.setup_size, 3 * 512);
	assert_int_equal(info.kernel_size, 0x2000 - 3 * 512);
	assert_int_equal(info.header_end, 0x26c);
}

static void test_not_relocatable(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_RELOCATABLE, 0, 1);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_false(info.relocatable);
}

static void test_setup_sects_zero_means_four(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_SETUP_SECTS, 0, 1);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.setup_sects, 4);
	assert_int_equal(info.setup_size, 5 * 512);
	assert_int_equal(info.kernel_size, 0x2000 - 5 * 512);
}

static void test_setup_sects_large(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_SETUP_SECTS, 0x1e, 1); /* 31 sectors: 0x3e00 of 0x4000 bytes */
	assert_int_equal(bzimage_parse(img, IMAGE_MAX, NAME, &info), 0);
	assert_int_equal(info.setup_size, 0x3e00);
	assert_int_equal(info.kernel_size, 0x200);
}

/* XLF_KERNEL_64 means a 64-bit entry only from protocol 2.12 on. */
static void test_64bit_entry_flag(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_VERSION, 0x020c, 2);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_true(info.has_64bit_entry);

	put(BZ_VERSION, 0x020b, 2);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_false(info.has_64bit_entry);
	assert_int_equal(info.xloadflags, BZ_XLF_KERNEL_64 | 0x0002);

	put(BZ_VERSION, 0x020f, 2);
	put(BZ_XLOADFLAGS, 0x0002, 2); /* XLF_CAN_BE_LOADED_ABOVE_4G only */
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_false(info.has_64bit_entry);
}

/* pref_address and init_size exist from 2.10: older headers read 0. */
static void test_fields_before_2_10_ignored(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_VERSION, 0x0209, 2);
	put(BZ_INIT_SIZE, 0x10, 4); /* would be refused if it were read */
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.version, 0x0209);
	assert_int_equal(info.init_size, 0);
	assert_int_equal(info.pref_address, 0);
	assert_false(info.has_64bit_entry);

	put(BZ_VERSION, 0x020a, 2);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), -1);
	assert_err_contains("init_size 0x10");
}

/* The oldest accepted protocol: 2.06, header ending after cmdline_size. */
static void test_protocol_2_06(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_VERSION, 0x0206, 2);
	set_header_end(BZ_CMDLINE_SIZE + 4);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.version, 0x0206);
	assert_int_equal(info.header_end, 0x23c);
	assert_int_equal(info.cmdline_size, 2047);
}

static void test_init_size_bounds(void **state)
{
	struct bzimage_info info;
	const size_t len = 0x2000, kernel = len - 3 * 512;

	(void)state;
	put(BZ_INIT_SIZE, kernel, 4); /* exactly the kernel: fine */
	assert_int_equal(bzimage_parse(img, len, NAME, &info), 0);
	assert_int_equal(info.init_size, kernel);

	put(BZ_INIT_SIZE, 0, 4); /* not given: fine, the loader uses the size */
	assert_int_equal(bzimage_parse(img, len, NAME, &info), 0);
	assert_int_equal(info.init_size, 0);

	put(BZ_INIT_SIZE, kernel - 1, 4);
	assert_refused(
		len,
		"init_size 0x19ff is smaller than the kernel (0x1a00 bytes)");
}

static void test_too_short(void **state)
{
	(void)state;
	assert_refused(0, "0 bytes is too short for a Linux kernel");
	assert_refused(0x200, "512 bytes is too short for a Linux kernel");
	/* One byte short of init_size's end at 0x264. */
	assert_refused(0x263, "611 bytes is too short for a Linux kernel");
}

static void test_no_boot_flag(void **state)
{
	(void)state;
	put(BZ_BOOT_FLAG, 0x55aa, 2); /* byte-swapped */
	assert_refused(0x2000, "not a Linux bzImage");
	put(BZ_BOOT_FLAG, 0, 2);
	assert_refused(0x2000, "no 0xAA55 boot flag");
}

static void test_no_hdrs(void **state)
{
	(void)state;
	memcpy(img + BZ_HEADER, "hdrs", 4);
	assert_refused(0x2000, "not a Linux bzImage");
	assert_err_contains("\"HdrS\"");
}

static void test_version_too_old(void **state)
{
	(void)state;
	put(BZ_VERSION, 0x0205, 2);
	assert_refused(
		0x2000,
		"boot protocol 2.05 is too old (minivmm needs 2.06 or later)");
	put(BZ_VERSION, 0x0100, 2);
	assert_refused(0x2000, "boot protocol 1.00 is too old");
}

static void test_not_loaded_high(void **state)
{
	(void)state;
	put(BZ_LOADFLAGS, BZ_CAN_USE_HEAP, 1);
	assert_refused(0x2000,
		       "zImage loaded low (below 1 MiB) is not supported");
}

static void test_setup_beyond_file(void **state)
{
	(void)state;
	put(BZ_SETUP_SECTS, 15, 1); /* 16 sectors: 0x2000 bytes */
	assert_refused(0x1fff,
		       "truncated: 15 setup sectors but only 8191 bytes");
	/* Exactly the setup and nothing after it: still no kernel. */
	assert_refused(0x2000,
		       "truncated: 15 setup sectors but only 8192 bytes");
	/* setup_sects 0 counts as 4: 2560 bytes of setup. */
	put(BZ_SETUP_SECTS, 0, 1);
	assert_refused(2560, "truncated: 4 setup sectors but only 2560 bytes");
}

static void test_setup_one_byte_of_kernel(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_INIT_SIZE, 0x1000, 4);
	assert_int_equal(bzimage_parse(img, 3 * 512 + 1, NAME, &info), 0);
	assert_int_equal(info.kernel_size, 1);
}

static void test_cmdline_size_zero(void **state)
{
	(void)state;
	put(BZ_CMDLINE_SIZE, 0, 4);
	assert_refused(0x2000, "header says the kernel takes no command line");
}

static void test_header_end_implausible(void **state)
{
	struct bzimage_info info;

	(void)state;
	set_header_end(0x281); /* beyond the largest header there is */
	assert_refused(0x2000, "setup header length 641 is implausible");
	set_header_end(0x23b); /* ends inside cmdline_size */
	assert_refused(0x2000, "setup header length 571 is implausible");
	img[BZ_JUMP + 1] = 0xff; /* 0x301 */
	assert_refused(0x2000, "is implausible");

	/* The limits themselves are accepted. */
	set_header_end(0x280);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.header_end, 0x280);
	set_header_end(0x23c);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.header_end, 0x23c);
}

/* A refusal leaves err_msg() set; a success after it does not need it. */
static void test_refusal_then_success(void **state)
{
	struct bzimage_info info;

	(void)state;
	put(BZ_VERSION, 0x0205, 2);
	assert_refused(0x2000, "too old");
	put(BZ_VERSION, 0x020f, 2);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.version, 0x020f);
}

/* payload_offset/length (2.08+): kept when inside the kernel part only. */
static void test_payload_fields(void **state)
{
	struct bzimage_info info;

	(void)state;
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.payload_offset, 0);
	assert_int_equal(info.payload_length, 0);
	put(BZ_PAYLOAD_OFFSET, 0x100, 4);
	put(BZ_PAYLOAD_LENGTH, 0x2000 - 3 * 512 - 0x100, 4); /* to the end */
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.payload_offset, 0x100);
	assert_int_equal(info.payload_length, 0x2000 - 3 * 512 - 0x100);
	/* One byte past the end of the file: ignored, the kernel still boots. */
	put(BZ_PAYLOAD_LENGTH, 0x2000 - 3 * 512 - 0x100 + 1, 4);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.payload_length, 0);
	put(BZ_PAYLOAD_OFFSET, 0xffffffff, 4);
	put(BZ_PAYLOAD_LENGTH, 0x10, 4);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.payload_length, 0);
	/* Protocol 2.07 has no payload fields. */
	put(BZ_PAYLOAD_OFFSET, 0x100, 4);
	put(BZ_VERSION, 0x0207, 2);
	assert_int_equal(bzimage_parse(img, 0x2000, NAME, &info), 0);
	assert_int_equal(info.payload_length, 0);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_good_215_fields),
		T(test_not_relocatable),
		T(test_setup_sects_zero_means_four),
		T(test_setup_sects_large),
		T(test_64bit_entry_flag),
		T(test_fields_before_2_10_ignored),
		T(test_protocol_2_06),
		T(test_init_size_bounds),
		T(test_too_short),
		T(test_no_boot_flag),
		T(test_no_hdrs),
		T(test_version_too_old),
		T(test_not_loaded_high),
		T(test_setup_beyond_file),
		T(test_setup_one_byte_of_kernel),
		T(test_cmdline_size_zero),
		T(test_header_end_implausible),
		T(test_refusal_then_success),
		T(test_payload_fields),
	};

	return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
