/* SPDX-License-Identifier: MIT */
/*
 * Saved state as a byte stream: what a device's save operation writes and
 * its load operation reads back (device.h), and what a snapshot file is
 * made of.
 *
 * Everything is little-endian and has a fixed width; there is no padding
 * and no pointer.  A writer grows its buffer as needed; a reader never
 * reads past the end of its buffer.  Both keep a sticky error: once a put
 * cannot allocate or a get runs out of bytes (or finds a value that cannot
 * be right, state_reader_fail()), every later call does nothing and reads
 * zeros, and state_writer_error() / state_reader_done() report it once, as
 * one line in err_msg().  So save and load code is written straight
 * through and checks once at the end; a truncated or damaged stream can
 * never make it read outside the buffer.
 *
 * A stream read back comes from a file and is not trusted: a load checks
 * every value it keeps (counts against capacities, indexes against table
 * sizes, booleans are 0 or 1) before the device uses it.
 */
#ifndef MINIVMM_STATE_H
#define MINIVMM_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_writer {
	uint8_t *buf;
	size_t len, cap;
	bool failed; /* out of memory: the stream is incomplete */
};

void state_writer_init(struct state_writer *w);
void state_writer_free(struct state_writer *w);

void state_put_u8(struct state_writer *w, uint8_t v);
void state_put_u16(struct state_writer *w, uint16_t v);
void state_put_u32(struct state_writer *w, uint32_t v);
void state_put_u64(struct state_writer *w, uint64_t v);
void state_put_bool(struct state_writer *w, bool v);
void state_put_bytes(struct state_writer *w, const void *p, size_t n);
/* A string of at most 65535 bytes: u16 length, then the bytes (no NUL). */
void state_put_str(struct state_writer *w, const char *s);

/* 0, or -1 with err_msg() when a put failed. */
int state_writer_error(const struct state_writer *w);

struct state_reader {
	const uint8_t *buf;
	size_t len, pos;
	bool failed;
	char why[160]; /* the first failure */
};

void state_reader_init(struct state_reader *r, const void *buf, size_t len);

uint8_t state_get_u8(struct state_reader *r);
uint16_t state_get_u16(struct state_reader *r);
uint32_t state_get_u32(struct state_reader *r);
uint64_t state_get_u64(struct state_reader *r);
/* A byte that is not 0 or 1 fails the reader. */
bool state_get_bool(struct state_reader *r);
/* Fills dst with n bytes, or with zeros once the reader has failed. */
void state_get_bytes(struct state_reader *r, void *dst, size_t n);
/* A string written by state_put_str into dst (size > 0, NUL-terminated);
 * one that does not fit fails the reader. */
void state_get_str(struct state_reader *r, char *dst, size_t size);

/* Bytes not read yet (0 once failed). */
size_t state_remaining(const struct state_reader *r);

/*
 * Mark the stream as wrong (the first reason is kept): for values a load
 * finds out of range.  Always returns -1, so `return state_reader_fail(..)`.
 */
int state_reader_fail(struct state_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The end of a load: 0 when nothing failed and every byte was read; -1
 * with err_msg() ("WHAT: truncated", "WHAT: 3 bytes left over", or the
 * reason given to state_reader_fail) otherwise.
 */
int state_reader_done(const struct state_reader *r, const char *what);
/* The same without the "every byte read" condition. */
int state_reader_error(const struct state_reader *r, const char *what);

#endif
