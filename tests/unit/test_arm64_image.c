// SPDX-License-Identifier: MIT
/*
 * arm64 Image header tests: a header as a v3.17+ kernel writes it, each
 * refusal of arm64_image_parse(), the pre-3.17 rule (image_size 0 means
 * text_offset 0x80000), and placement in RAM (booting.rst section 4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "byteorder.h"
#include "loader/arm64_image.h"
#include "log.h"
#include "unit.h"

#define MiB (1024ull * 1024)
#define RAM_BASE 0x40000000ull

static uint8_t img[4096];

/* A 4 KiB "kernel": branch over the header, text_offset 0, 4K pages. */
static void make_image(uint64_t text_offset, uint64_t image_size,
		       uint64_t flags)
{
	memset(img, 0, sizeof(img));
	le_put(img + 0x00, 0x14000010, 4); /* b +0x40 */
	le_put(img + 0x08, text_offset, 8);
	le_put(img + 0x10, image_size, 8);
	le_put(img + 0x18, flags, 8);
	memcpy(img + 0x38, "ARM\x64", 4);
}

static void test_valid(void **state)
{
	struct arm64_image im;

	(void)state;
	/* LE, 4K pages, anywhere: what arm64 defconfig writes. */
	make_image(0, 0x2000000, 0xa);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "Image", &im), 0);
	assert_int_equal(im.code0, 0x14000010);
	assert_int_equal(im.text_offset, 0);
	assert_int_equal(im.image_size, 0x2000000);
	assert_int_equal(im.mem_size, 0x2000000);
	assert_int_equal(im.file_size, sizeof(img));
	assert_int_equal(im.flags, 0xa);
	assert_int_equal(im.page_size, 4096);
	assert_true(im.phys_anywhere);
	assert_false(im.efi_stub);

	make_image(0x80000, 0x10000, 0x4); /* 16K pages, near RAM base */
	assert_int_equal(arm64_image_parse(img, sizeof(img), "Image", &im), 0);
	assert_int_equal(im.text_offset, 0x80000);
	assert_int_equal(im.page_size, 16384);
	assert_false(im.phys_anywhere);
	make_image(0, 0x10000, 0x6);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "Image", &im), 0);
	assert_int_equal(im.page_size, 65536);
	make_image(0, 0x10000, 0);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "Image", &im), 0);
	assert_int_equal(im.page_size, 0);

	/* An EFI stub kernel starts with "MZ" and still boots as an Image. */
	make_image(0, 0x10000, 0xa);
	memcpy(img, "MZ", 2);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "Image", &im), 0);
	assert_true(im.efi_stub);
	/* Exactly the header is enough. */
	make_image(0, 0x10000, 0xa);
	assert_int_equal(arm64_image_parse(img, 64, "Image", &im), 0);
}

static void test_old_kernel(void **state)
{
	struct arm64_image im;

	(void)state;
	/* Before v3.17: image_size 0, text_offset in the kernel's order. */
	make_image(0x0008000000000000ull, 0, 0x1);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "old", &im), 0);
	assert_int_equal(im.text_offset, 0x80000);
	assert_int_equal(im.image_size, 0);
	assert_int_equal(im.mem_size, sizeof(img));
	assert_int_equal(im.flags, 0); /* no flags field yet */
}

static void test_refusals(void **state)
{
	struct arm64_image im;
	static const uint8_t gz[64] = { 0x1f, 0x8b, 0x08 };

	(void)state;
	make_image(0, 0x10000, 0xa);
	assert_int_equal(arm64_image_parse(img, 63, "short.img", &im), -1);
	assert_err_contains("short.img: 63 bytes is too short");
	assert_int_equal(arm64_image_parse(img, 0, "empty", &im), -1);
	assert_err_contains("empty: 0 bytes");

	img[0x3b] = 0x65;
	assert_int_equal(arm64_image_parse(img, sizeof(img), "bad.img", &im),
			 -1);
	assert_err_contains("bad.img: not an arm64 Linux Image");
	assert_int_equal(arm64_image_parse(gz, sizeof(gz), "vmlinuz", &im), -1);
	assert_err_contains("gzip-compressed");
	memset(img, 0, 64);
	memcpy(img, "MZ\0\0zimg", 8);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "z.efi", &im), -1);
	assert_err_contains("EFI zboot");
	memcpy(img, "\x7f" "ELF", 4);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "vmlinux", &im),
			 -1);
	assert_err_contains("ELF");

	make_image(0, 0x10000, 0xb);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "be.img", &im),
			 -1);
	assert_err_contains("be.img: big-endian");

	/* A file larger than the kernel it claims to be. */
	make_image(0, 0x800, 0xa);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "big.img", &im),
			 -1);
	assert_err_contains("big.img: file is 4096 bytes");

	make_image(0x200000, 0x10000, 0xa);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "off.img", &im),
			 -1);
	assert_err_contains("off.img: text_offset 0x200000");
	make_image(0x80010, 0x10000, 0xa);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "off.img", &im),
			 -1);
	assert_err_contains("text_offset 0x80010");
}

static void test_place(void **state)
{
	struct arm64_image im;
	uint64_t load, end;

	(void)state;
	make_image(0, 0x2000000, 0xa);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "Image", &im), 0);
	/* QEMU virt: RAM at 1 GiB, the kernel at its very start. */
	assert_int_equal(arm64_image_place(&im, RAM_BASE, 512 * MiB, &load,
					   &end), 0);
	assert_int_equal(load, RAM_BASE);
	assert_int_equal(end, RAM_BASE + 0x2000000);
	/* Exactly enough RAM. */
	assert_int_equal(arm64_image_place(&im, RAM_BASE, 0x2000000, &load,
					   NULL), 0);
	assert_int_equal(arm64_image_place(&im, RAM_BASE, 0x1ffffff, &load,
					   NULL), -1);
	assert_err_contains("arm64 Image: the kernel needs");

	/* An unaligned RAM base: the next 2 MiB boundary, plus text_offset. */
	make_image(0x80000, 0x100000, 0xa);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "Image", &im), 0);
	assert_int_equal(arm64_image_place(&im, RAM_BASE + 0x1000, 64 * MiB,
					   &load, &end), 0);
	assert_int_equal(load, RAM_BASE + 2 * MiB + 0x80000);
	assert_int_equal(end, load + 0x100000);
	/* RAM that holds no 2 MiB boundary at all. */
	assert_int_equal(arm64_image_place(&im, RAM_BASE + 0x1000, MiB, &load,
					   NULL), -1);
	/* Old kernel: the file size is what is known. */
	make_image(0, 0, 0);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "old", &im), 0);
	assert_int_equal(arm64_image_place(&im, 0, 4 * MiB, &load, &end), 0);
	assert_int_equal(load, 0x80000);
	assert_int_equal(end, 0x80000 + sizeof(img));

	/* Wrap-arounds are refused, not placed. */
	assert_int_equal(arm64_image_place(&im, ~0ull - MiB, 16 * MiB, &load,
					   NULL), -1);
	assert_err_contains("invalid");
	assert_int_equal(arm64_image_place(&im, ~0ull - MiB, MiB, &load,
					   NULL), -1);
	assert_int_equal(arm64_image_place(&im, RAM_BASE, 0, &load, NULL), -1);
	make_image(0, ~0ull, 0xa);
	assert_int_equal(arm64_image_parse(img, sizeof(img), "huge", &im), 0);
	assert_int_equal(arm64_image_place(&im, RAM_BASE, 512 * MiB, &load,
					   NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_old_kernel),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_place),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
