/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the cmocka unit tests.  Include after <cmocka.h>.
 *
 *   assert_err_contains(s)   err_msg() contains the substring s
 *   assert_str_contains(h,s) h contains s
 *   unit_stderr_begin/end()  capture what the code under test logs to stderr
 */
#ifndef MINIVMM_TESTS_UNIT_H
#define MINIVMM_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "log.h"
#include "state.h"

static inline void unit_check_contains(const char *haystack,
				       const char *needle, const char *what,
				       const char *file, int line)
{
	if (!haystack || !strstr(haystack, needle)) {
		print_error("%s \"%s\" does not contain \"%s\"\n", what,
			    haystack ? haystack : "(null)", needle);
		_fail(file, line);
	}
}

#define assert_str_contains(h, s) \
	unit_check_contains((h), (s), "string", __FILE__, __LINE__)
#define assert_err_contains(s) \
	unit_check_contains(err_msg(), (s), "err_msg()", __FILE__, __LINE__)

/*
 * stderr capture through an unlinked temporary file (no pipe that could fill
 * up).  unit_stderr_end() restores stderr and returns what was written
 * (malloc'd, NUL-terminated; the caller frees it).  unit_stderr_restore() only
 * restores, for teardown after a failed assertion.
 */
static int unit_saved_stderr = -1;
static FILE *unit_capture_file;

static inline void unit_stderr_begin(void)
{
	fflush(stderr);
	unit_capture_file = tmpfile();
	assert_non_null(unit_capture_file);
	unit_saved_stderr = dup(STDERR_FILENO);
	assert_true(unit_saved_stderr >= 0);
	assert_true(dup2(fileno(unit_capture_file), STDERR_FILENO) >= 0);
}

static inline void unit_stderr_restore(void)
{
	if (unit_saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(unit_saved_stderr, STDERR_FILENO);
	close(unit_saved_stderr);
	unit_saved_stderr = -1;
}

static inline char *unit_stderr_end(void)
{
	off_t n;
	char *buf;
	int fd;

	unit_stderr_restore();
	assert_non_null(unit_capture_file);
	fd = fileno(unit_capture_file);
	n = lseek(fd, 0, SEEK_END);
	assert_true(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
	fclose(unit_capture_file);
	unit_capture_file = NULL;
	return buf;
}

static inline void unit_stderr_discard(void)
{
	unit_stderr_restore();
	if (unit_capture_file) {
		fclose(unit_capture_file);
		unit_capture_file = NULL;
	}
}

#ifdef __SANITIZE_ADDRESS__
/*
 * AddressSanitizer calls this before it prints a report: put stderr back so
 * a report from inside a capture is seen instead of lost in the temp file.
 */
void __asan_on_error(void);
void __asan_on_error(void)
{
	unit_stderr_restore();
}
#endif

/* A device's saved state through its ops, into w (initialised here). */
static inline void unit_state_save(const struct device_ops *ops, void *dev,
				   struct state_writer *w)
{
	state_writer_init(w);
	assert_int_equal(ops->save(dev, w), 0);
	assert_int_equal(state_writer_error(w), 0);
}

/* Load buf[0, len) into dev with this build's version: what load returns. */
static inline int unit_state_load(const struct device_ops *ops, void *dev,
				  const void *buf, size_t len)
{
	struct state_reader r;

	state_reader_init(&r, buf, len);
	return ops->load(dev, &r, ops->version);
}

/*
 * The fixture most device tests share: UNIT_CTX_FIXTURE() defines cmocka's
 * setup() (*state = ctx_new()) and teardown() (ctx_free(*state)) for the
 * file's own struct ctx; UNIT_CTX_STATE(ops, field) defines save(c, w),
 * load(c, buf, len), resaves(c, w) and refuses_truncated(c, w) (above) of
 * the device in c->field through ops.
 */
#define UNIT_CTX_FIXTURE()                 \
	static int setup(void **state)     \
	{                                  \
		*state = ctx_new();        \
		return 0;                  \
	}                                  \
	static int teardown(void **state)  \
	{                                  \
		ctx_free(*state);          \
		return 0;                  \
	}

#define UNIT_CTX_STATE(ops, field)                                          \
	static void save(struct ctx *c, struct state_writer *w)             \
	{                                                                   \
		unit_state_save(&(ops), c->field, w);                       \
	}                                                                   \
	static int load(struct ctx *c, const uint8_t *buf, size_t len)      \
	{                                                                   \
		return unit_state_load(&(ops), c->field, buf, len);         \
	}                                                                   \
	static inline void resaves(struct ctx *c,                           \
				   const struct state_writer *w)            \
	{                                                                   \
		unit_state_resaves(&(ops), c->field, w);                    \
	}                                                                   \
	static inline void refuses_truncated(struct ctx *c,                 \
					     const struct state_writer *w)  \
	{                                                                   \
		unit_state_refuses_truncated(&(ops), c->field, w);          \
	}

/* Saving dev again gives w's bytes exactly: a load kept everything. */
static inline void unit_state_resaves(const struct device_ops *ops, void *dev,
				      const struct state_writer *w)
{
	struct state_writer w2;

	unit_state_save(ops, dev, &w2);
	assert_int_equal(w2.len, w->len);
	assert_memory_equal(w2.buf, w->buf, w->len);
	state_writer_free(&w2);
}

/* Every truncation of w (each shorter length, 0 included) is refused. */
static inline void unit_state_refuses_truncated(const struct device_ops *ops,
						void *dev,
						const struct state_writer *w)
{
	for (size_t len = 0; len < w->len; len++)
		assert_int_equal(unit_state_load(ops, dev, w->buf, len), -1);
}

/* Occurrences of needle in haystack (non-overlapping). */
static inline size_t unit_count(const char *haystack, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	for (const char *p = strstr(haystack, needle); p;
	     p = strstr(p + len, needle))
		n++;
	return n;
}

#endif
