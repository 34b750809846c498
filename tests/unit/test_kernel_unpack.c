// SPDX-License-Identifier: MIT
/*
 * Host-side kernel unpacking: format detection, the decoders (through the
 * system's liblzma, zlib and libzstd, opened at run time) on small xz,
 * lzma, gzip and zstd streams, and each way a stream can be wrong.  Then
 * the kernel cache: where it lives, its hash, and storing and mapping
 * entries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decompress.h"
#include "loader/kcache.h"
#include "log.h"
#include "unit.h"

/* The text all three streams decode to: this sentence eight times. */
#define SENTENCE "minivmm unpacks kernels on the host. "
#define PLAIN_LEN (8 * (sizeof(SENTENCE) - 1))

static const uint8_t gz_data[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0xcd,
	0xcc, 0xcb, 0x2c, 0xcb, 0xcd, 0x55, 0x28, 0xcd, 0x2b, 0x48, 0x4c, 0xce,
	0x2e, 0x56, 0xc8, 0x4e, 0x2d, 0xca, 0x4b, 0xcd, 0x29, 0x56, 0xc8, 0xcf,
	0x53, 0x28, 0xc9, 0x48, 0x55, 0xc8, 0xc8, 0x2f, 0x2e, 0xd1, 0x53, 0xc8,
	0x1d, 0x55, 0x04, 0x00, 0x9c, 0x1d, 0xba, 0x4f, 0x28, 0x01, 0x00, 0x00,
};
static const uint8_t xz_data[] = {
	0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x01, 0x69, 0x22, 0xde, 0x36,
	0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00, 0x74, 0x2f, 0xe5, 0xa3,
	0xe0, 0x01, 0x27, 0x00, 0x2b, 0x5d, 0x00, 0x36, 0x9a, 0x4a, 0x1f, 0x66,
	0xdf, 0x97, 0xcf, 0xf6, 0x1f, 0xde, 0xbf, 0x3b, 0xee, 0xae, 0xb0, 0x67,
	0x8d, 0xba, 0x41, 0x6e, 0x3f, 0xc3, 0x32, 0xda, 0xf1, 0x61, 0x49, 0x7f,
	0x35, 0xfb, 0x04, 0x44, 0xb9, 0xf1, 0x22, 0xea, 0x26, 0xa0, 0x4f, 0xb1,
	0x80, 0x00, 0x00, 0x00, 0x9c, 0x1d, 0xba, 0x4f, 0x00, 0x01, 0x43, 0xa8,
	0x02, 0x00, 0x00, 0x00, 0xc3, 0xb0, 0xc7, 0xa0, 0x3e, 0x30, 0x0d, 0x8b,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x59, 0x5a,
};
static const uint8_t zstd_data[] = {
	0x28, 0xb5, 0x2f, 0xfd, 0x64, 0x28, 0x00, 0x75, 0x01, 0x00, 0x54, 0x02,
	0x6d, 0x69, 0x6e, 0x69, 0x76, 0x6d, 0x6d, 0x20, 0x75, 0x6e, 0x70, 0x61,
	0x63, 0x6b, 0x73, 0x20, 0x6b, 0x65, 0x72, 0x6e, 0x65, 0x6c, 0x73, 0x20,
	0x6f, 0x6e, 0x20, 0x74, 0x68, 0x65, 0x20, 0x68, 0x6f, 0x73, 0x74, 0x2e,
	0x20, 0x01, 0x00, 0x05, 0x40, 0xaa, 0x7a, 0x02, 0x80, 0x68, 0x31, 0xd5,
};
static const uint8_t lzma_data[] = {
	0x5d, 0x00, 0x00, 0x80, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x00, 0x36, 0x9a, 0x4a, 0x1f, 0x66, 0xdf, 0x97, 0xcf, 0xf6, 0x1f,
	0xde, 0xbf, 0x3b, 0xee, 0xae, 0xb0, 0x67, 0x8d, 0xba, 0x41, 0x6e, 0x3f,
	0xc3, 0x32, 0xda, 0xf1, 0x61, 0x49, 0x7f, 0x35, 0xfb, 0x04, 0x44, 0xb9,
	0xf1, 0x22, 0xea, 0x26, 0xa0, 0x55, 0x4a, 0xe8, 0xff, 0xff, 0xfd, 0x87,
	0x00, 0x00,
};

static uint8_t out[PLAIN_LEN + 16];

static void check_plain(void)
{
	for (size_t i = 0; i < 8; i++)
		assert_memory_equal(out + i * (sizeof(SENTENCE) - 1), SENTENCE,
				    sizeof(SENTENCE) - 1);
}

static void test_detect(void **state)
{
	static const uint8_t lzma[] = { 0x5d, 0, 0, 0x80, 0 };
	static const uint8_t bz2[] = "BZh9";
	static const uint8_t lzo[] = { 0x89, 'L', 'Z', 'O', 0 };
	static const uint8_t lz4[] = { 0x02, 0x21, 0x4c, 0x18 };
	static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F' };

	(void)state;
	assert_int_equal(decompress_detect(gz_data, sizeof(gz_data)), COMP_GZIP);
	assert_int_equal(decompress_detect(xz_data, sizeof(xz_data)), COMP_XZ);
	assert_int_equal(decompress_detect(zstd_data, sizeof(zstd_data)),
			 COMP_ZSTD);
	assert_int_equal(decompress_detect(lzma, sizeof(lzma)), COMP_LZMA);
	assert_int_equal(decompress_detect(lzma_data, sizeof(lzma_data)),
			 COMP_LZMA);
	assert_int_equal(decompress_detect(bz2, 4), COMP_BZIP2);
	assert_int_equal(decompress_detect(lzo, sizeof(lzo)), COMP_LZO);
	assert_int_equal(decompress_detect(lz4, sizeof(lz4)), COMP_LZ4);
	assert_int_equal(decompress_detect(elf, sizeof(elf)), COMP_UNKNOWN);
	/* A magic cut short is no magic. */
	assert_int_equal(decompress_detect(xz_data, 5), COMP_UNKNOWN);
	assert_int_equal(decompress_detect(gz_data, 1), COMP_UNKNOWN);
	assert_string_equal(decompress_name(COMP_ZSTD), "zstd");
	assert_string_equal(decompress_name(COMP_UNKNOWN), "unknown");
}

static void test_decode_each(void **state)
{
	static const struct {
		enum compression c;
		const uint8_t *data;
		size_t len;
	} cases[] = {
		{ COMP_GZIP, gz_data, sizeof(gz_data) },
		{ COMP_XZ, xz_data, sizeof(xz_data) },
		{ COMP_ZSTD, zstd_data, sizeof(zstd_data) },
		{ COMP_LZMA, lzma_data, sizeof(lzma_data) },
	};
	uint8_t *in;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* With the kernel build's four size bytes after the stream. */
		in = malloc(cases[i].len + 4);
		assert_non_null(in);
		memcpy(in, cases[i].data, cases[i].len);
		memcpy(in + cases[i].len, "\x28\x01\x00\x00", 4);
		memset(out, 0, sizeof(out));
		assert_int_equal(decompress(cases[i].c, in, cases[i].len + 4, out,
					    PLAIN_LEN),
				 0);
		check_plain();
		free(in);
	}
}

static void test_wrong_size(void **state)
{
	(void)state;
	/* The stream holds more than the recorded size... */
	assert_int_equal(decompress(COMP_XZ, xz_data, sizeof(xz_data), out,
				    PLAIN_LEN - 1),
			 -1);
	assert_err_contains("larger than its recorded size");
	assert_int_equal(decompress(COMP_GZIP, gz_data, sizeof(gz_data), out,
				    PLAIN_LEN - 1),
			 -1);
	assert_int_equal(decompress(COMP_ZSTD, zstd_data, sizeof(zstd_data),
				    out, PLAIN_LEN - 1),
			 -1);
	/* ...or less. */
	assert_int_equal(decompress(COMP_XZ, xz_data, sizeof(xz_data), out,
				    PLAIN_LEN + 1),
			 -1);
	assert_err_contains("not the 297 recorded");
	assert_int_equal(decompress(COMP_GZIP, gz_data, sizeof(gz_data), out,
				    PLAIN_LEN + 1),
			 -1);
	assert_int_equal(decompress(COMP_ZSTD, zstd_data, sizeof(zstd_data),
				    out, PLAIN_LEN + 1),
			 -1);
}

static void test_corrupt_and_truncated(void **state)
{
	uint8_t bad[sizeof(xz_data)];

	(void)state;
	memcpy(bad, xz_data, sizeof(bad));
	bad[40] ^= 0xff;
	assert_int_equal(decompress(COMP_XZ, bad, sizeof(bad), out, PLAIN_LEN),
			 -1);
	assert_err_contains("corrupt data");
	assert_int_equal(decompress(COMP_XZ, xz_data, sizeof(xz_data) / 2, out,
				    PLAIN_LEN),
			 -1);
	assert_int_equal(decompress(COMP_GZIP, gz_data, sizeof(gz_data) / 2,
				    out, PLAIN_LEN),
			 -1);
	assert_int_equal(decompress(COMP_ZSTD, zstd_data, sizeof(zstd_data) / 2,
				    out, PLAIN_LEN),
			 -1);
	assert_err_contains("zstd");
	assert_int_equal(decompress(COMP_LZ4, gz_data, sizeof(gz_data), out,
				    PLAIN_LEN),
			 -1);
	assert_err_contains("lz4 is not decoded on the host");
}

/* ---- the kernel cache ---- */

static void test_cache_dir(void **state)
{
	char buf[KCACHE_PATH_MAX];

	(void)state;
	assert_false(kcache_dir("off", buf, sizeof(buf)));
	assert_true(kcache_dir("/some/dir", buf, sizeof(buf)));
	assert_string_equal(buf, "/some/dir");
	setenv("XDG_CACHE_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	assert_true(kcache_dir(NULL, buf, sizeof(buf)));
	assert_string_equal(buf, "/xdg/minivmm");
	/* A relative XDG_CACHE_HOME is invalid (XDG spec): use HOME. */
	setenv("XDG_CACHE_HOME", "rel", 1);
	assert_true(kcache_dir(NULL, buf, sizeof(buf)));
	assert_string_equal(buf, "/home/u/.cache/minivmm");
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	assert_false(kcache_dir(NULL, buf, sizeof(buf)));
	/* Too long for the buffer: no cache rather than a cut name. */
	assert_false(kcache_dir("/a/long/directory", buf, 8));
}

static void test_cache_hash(void **state)
{
	uint8_t a[19] = "eighteen bytes....";

	(void)state;
	assert_int_equal(kcache_hash(a, 18), kcache_hash(a, 18));
	assert_int_not_equal(kcache_hash(a, 18), kcache_hash(a, 17));
	a[17] = '!'; /* a tail byte (after the 8-byte words) counts */
	assert_int_not_equal(kcache_hash(a, 18), kcache_hash("eighteen bytes....", 18));
	a[0] = 'E';
	assert_int_not_equal(kcache_hash(a, 8), kcache_hash("eighteen", 8));
}

static void test_cache_store_map(void **state)
{
	char tmpl[] = "/tmp/minivmm-kcache-XXXXXX", dir[256], cmd[300];
	const uint8_t *m;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s/a/b", tmpl); /* created as needed */
	assert_null(kcache_map(dir, "k1", 5));
	assert_int_equal(kcache_store(dir, "k1", "hello", 5), 0);
	m = kcache_map(dir, "k1", 5);
	assert_non_null(m);
	assert_memory_equal(m, "hello", 5);
	munmap((void *)(uintptr_t)m, 5);
	/* Only an entry of exactly the expected size is used. */
	assert_null(kcache_map(dir, "k1", 4));
	assert_null(kcache_map(dir, "k1", 6));
	assert_null(kcache_map(dir, "k2", 5));
	/* Replacing an entry is atomic and leaves no temporary file. */
	assert_int_equal(kcache_store(dir, "k1", "HELLO!", 6), 0);
	m = kcache_map(dir, "k1", 6);
	assert_non_null(m);
	assert_memory_equal(m, "HELLO!", 6);
	munmap((void *)(uintptr_t)m, 6);
	snprintf(cmd, sizeof(cmd), "test -z \"$(ls %s | grep -v '^k1$')\"", dir);
	assert_int_equal(system(cmd), 0);
	/* A directory that cannot be made: an error, nothing else. */
	snprintf(dir, sizeof(dir), "%s/a/b/k1/sub", tmpl);
	assert_int_equal(kcache_store(dir, "k3", "x", 1), -1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_decode_each),
		cmocka_unit_test(test_wrong_size),
		cmocka_unit_test(test_corrupt_and_truncated),
		cmocka_unit_test(test_cache_dir),
		cmocka_unit_test(test_cache_hash),
		cmocka_unit_test(test_cache_store_map),
	};

	return cmocka_run_group_tests_name("kernel_unpack", tests, NULL, NULL);
}
