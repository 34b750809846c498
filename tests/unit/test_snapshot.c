// SPDX-License-Identifier: MIT
/*
 * The snapshot state-file reader (snapshot_parse), which reads a file that
 * is not trusted: a good file's command line and memory size come back;
 * every single-bit flip, every truncation, another format version or
 * architecture, and payloads that checksum right but say wrong things
 * (word counts, backend sizes, strings longer than the file) are refused
 * with a message.  The CRC-32 is zlib's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "snapshot/snapshot.h"
#include "state.h"
#include "unit.h"

/* A whole state file: header, then what fill() writes; *len its size. */
static uint8_t *file_of(void (*fill)(struct state_writer *), size_t *len)
{
	struct state_writer w;
	uint8_t header[SNAPSHOT_HEADER_SIZE] = { 0 };

	state_writer_init(&w);
	state_put_bytes(&w, header, sizeof(header));
	fill(&w);
	assert_int_equal(state_writer_error(&w), 0);
	snapshot_header_fill(w.buf, w.len);
	*len = w.len;
	return w.buf;
}

static void good_payload(struct state_writer *w)
{
	state_put_u32(w, 4);
	state_put_str(w, "minivmm");
	state_put_str(w, "run");
	state_put_str(w, "-m");
	state_put_str(w, "64");
	state_put_u32(w, 2);
	state_put_str(w, "ram");
	state_put_u64(w, 64ull << 20);
	state_put_str(w, "bios");
	state_put_u64(w, 256ull << 10);
	state_put_u32(w, 3); /* the machine part follows: 3 bytes */
	state_put_bytes(w, "abc", 3);
}

static void test_crc32_is_zlibs(void **state)
{
	(void)state;
	/* The check value of CRC-32/ISO-HDLC. */
	assert_int_equal(snapshot_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(snapshot_crc32("", 0), 0);
}

static void test_good_file(void **state)
{
	struct snapshot s;
	size_t len;
	uint8_t *f = file_of(good_payload, &len);

	(void)state;
	assert_int_equal(snapshot_parse(&s, f, len), 0);
	assert_int_equal(s.argc, 4);
	assert_string_equal(s.argv[0], "minivmm");
	assert_string_equal(s.argv[3], "64");
	assert_null(s.argv[4]);
	assert_true(s.mem_size == (64ull << 20) + (256ull << 10));
	/* The reader stands at the machine part. */
	assert_int_equal(state_get_u32(&s.r), 3);
	snapshot_close(&s);
	free(f);
}

static void test_every_bit_flip_refused(void **state)
{
	struct snapshot s;
	size_t len;
	uint8_t *f = file_of(good_payload, &len);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		if (i >= 28 && i < 32)
			continue; /* reserved: not checked */
		for (int b = 0; b < 8; b++) {
			f[i] ^= (uint8_t)(1u << b);
			if (snapshot_parse(&s, f, len) == 0)
				fail_msg("a flip of bit %d of byte %zu was taken", b, i);
			f[i] ^= (uint8_t)(1u << b);
		}
	}
	free(f);
}

static void test_every_truncation_refused(void **state)
{
	struct snapshot s;
	size_t len;
	uint8_t *f = file_of(good_payload, &len);

	(void)state;
	for (size_t n = 0; n < len; n++)
		assert_int_equal(snapshot_parse(&s, f, n), -1);
	assert_int_equal(snapshot_parse(&s, f, SNAPSHOT_HEADER_SIZE + 1), -1);
	assert_err_contains("truncated");
	free(f);
}

static void test_version_and_architecture(void **state)
{
	struct snapshot s;
	size_t len;
	uint8_t *f = file_of(good_payload, &len);

	(void)state;
	f[8] = 7;
	assert_int_equal(snapshot_parse(&s, f, len), -1);
	assert_err_contains("format version 7; this minivmm reads version 1");
	f[8] = 1;
	f[12] ^= 0xff;
	assert_int_equal(snapshot_parse(&s, f, len), -1);
	assert_err_contains("a snapshot of an unknown VM");
	f[12] ^= 0xff;
	memcpy(f, "NOTASNAP", 8);
	assert_int_equal(snapshot_parse(&s, f, len), -1);
	assert_err_contains("not a minivmm snapshot");
	free(f);
}

static void too_many_words(struct state_writer *w)
{
	state_put_u32(w, 100000);
}

static void words_past_the_end(struct state_writer *w)
{
	state_put_u32(w, 3);
	state_put_str(w, "minivmm");
	state_put_u16(w, 60000); /* a string longer than the file */
}

static void bad_backend_size(struct state_writer *w)
{
	state_put_u32(w, 2);
	state_put_str(w, "minivmm");
	state_put_str(w, "run");
	state_put_u32(w, 1);
	state_put_str(w, "ram");
	state_put_u64(w, 4097);
}

static void no_backends(struct state_writer *w)
{
	state_put_u32(w, 2);
	state_put_str(w, "minivmm");
	state_put_str(w, "run");
	state_put_u32(w, 0);
}

static void nul_in_word(struct state_writer *w)
{
	state_put_u32(w, 2);
	state_put_str(w, "minivmm");
	state_put_u16(w, 3);
	state_put_bytes(w, "r\0n", 3);
}

static void test_checksummed_but_wrong(void **state)
{
	static const struct {
		void (*fill)(struct state_writer *);
		const char *want;
	} cases[] = {
		{ too_many_words, "a command line of 100000 words" },
		{ words_past_the_end, "a string of 60000 bytes" },
		{ bad_backend_size, "memory ram: size 4097" },
		{ no_backends, "0 memory backends" },
		{ nul_in_word, "NUL" },
	};
	struct snapshot s;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		uint8_t *f = file_of(cases[i].fill, &len);

		assert_int_equal(snapshot_parse(&s, f, len), -1);
		assert_err_contains(cases[i].want);
		free(f);
	}
}

static void test_open_missing_file(void **state)
{
	struct snapshot s;

	(void)state;
	assert_int_equal(snapshot_open(&s, "/nonexistent/state"), -1);
	assert_err_contains("/nonexistent/state");
	assert_int_equal(snapshot_open(&s, "/"), -1);
	assert_err_contains("not a snapshot state file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32_is_zlibs),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_every_bit_flip_refused),
		cmocka_unit_test(test_every_truncation_refused),
		cmocka_unit_test(test_version_and_architecture),
		cmocka_unit_test(test_checksummed_but_wrong),
		cmocka_unit_test(test_open_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
