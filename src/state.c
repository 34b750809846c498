// SPDX-License-Identifier: MIT
#include "state.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "log.h"

void state_writer_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void state_writer_free(struct state_writer *w)
{
	free(w->buf);
	state_writer_init(w);
}

/* Room for n more bytes; false (and the writer failed) when there is none. */
static bool writer_reserve(struct state_writer *w, size_t n)
{
	size_t cap;
	uint8_t *nb;

	if (w->failed)
		return false;
	if (n <= w->cap - w->len)
		return true;
	if (n > SIZE_MAX / 2 - w->len) {
		w->failed = true;
		return false;
	}
	cap = w->cap ? w->cap : 256;
	while (cap - w->len < n)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->failed = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void put_le(struct state_writer *w, uint64_t v, unsigned size)
{
	if (!writer_reserve(w, size))
		return;
	le_put(w->buf + w->len, v, size);
	w->len += size;
}

void state_put_u8(struct state_writer *w, uint8_t v)
{
	put_le(w, v, 1);
}

void state_put_u16(struct state_writer *w, uint16_t v)
{
	put_le(w, v, 2);
}

void state_put_u32(struct state_writer *w, uint32_t v)
{
	put_le(w, v, 4);
}

void state_put_u64(struct state_writer *w, uint64_t v)
{
	put_le(w, v, 8);
}

void state_put_bool(struct state_writer *w, bool v)
{
	put_le(w, v ? 1 : 0, 1);
}

void state_put_bytes(struct state_writer *w, const void *p, size_t n)
{
	if (!n || !writer_reserve(w, n))
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void state_put_str(struct state_writer *w, const char *s)
{
	size_t n = strlen(s);

	if (n > UINT16_MAX) {
		w->failed = true;
		return;
	}
	state_put_u16(w, (uint16_t)n);
	state_put_bytes(w, s, n);
}

int state_writer_error(const struct state_writer *w)
{
	if (w->failed)
		return err_set("saving state: out of memory");
	return 0;
}

void state_reader_init(struct state_reader *r, const void *buf, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = buf ? len : 0;
}

int state_reader_fail(struct state_reader *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->failed) {
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
		r->failed = true;
	}
	return -1;
}

/* The next n bytes, or NULL (and the reader failed) when there are fewer. */
static const uint8_t *reader_take(struct state_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed)
		return NULL;
	if (n > r->len - r->pos) {
		state_reader_fail(r, "truncated (%zu bytes wanted at offset %zu of %zu)",
				  n, r->pos, r->len);
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

static uint64_t get_le(struct state_reader *r, unsigned size)
{
	const uint8_t *p = reader_take(r, size);

	return p ? le_get(p, size) : 0;
}

uint8_t state_get_u8(struct state_reader *r)
{
	return (uint8_t)get_le(r, 1);
}

uint16_t state_get_u16(struct state_reader *r)
{
	return (uint16_t)get_le(r, 2);
}

uint32_t state_get_u32(struct state_reader *r)
{
	return (uint32_t)get_le(r, 4);
}

uint64_t state_get_u64(struct state_reader *r)
{
	return get_le(r, 8);
}

bool state_get_bool(struct state_reader *r)
{
	size_t at = r->pos;
	uint8_t v = state_get_u8(r);

	if (v > 1) {
		state_reader_fail(r, "a boolean at offset %zu reads %u", at, v);
		return false;
	}
	return v;
}

void state_get_bytes(struct state_reader *r, void *dst, size_t n)
{
	const uint8_t *p;

	if (!n)
		return;
	p = reader_take(r, n);
	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

void state_get_str(struct state_reader *r, char *dst, size_t size)
{
	size_t at = r->pos;
	uint16_t n = state_get_u16(r);

	dst[0] = '\0';
	if (r->failed)
		return;
	if ((size_t)n >= size) {
		state_reader_fail(r, "a string of %u bytes at offset %zu is longer than %zu",
				  n, at, size - 1);
		return;
	}
	state_get_bytes(r, dst, n);
	dst[r->failed ? 0 : n] = '\0';
	if (!r->failed && memchr(dst, '\0', n))
		state_reader_fail(r, "a string at offset %zu holds a NUL byte", at);
}

size_t state_remaining(const struct state_reader *r)
{
	return r->failed ? 0 : r->len - r->pos;
}

int state_reader_error(const struct state_reader *r, const char *what)
{
	if (r->failed)
		return err_set("%s: %s", what, r->why);
	return 0;
}

int state_reader_done(const struct state_reader *r, const char *what)
{
	if (state_reader_error(r, what) < 0)
		return -1;
	if (r->pos != r->len)
		return err_set("%s: %zu bytes left over", what, r->len - r->pos);
	return 0;
}
