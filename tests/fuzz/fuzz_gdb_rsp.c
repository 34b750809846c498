// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the gdb remote serial protocol framing
 * (gdb/rsp.h): the bytes a debugger (or anything that connects to the gdb
 * port) sends, which are never trusted.
 *
 * The input is fed byte by byte to one parser.  Every packet it reports is
 * put through what the packet handlers would do with it: unescaped, hex
 * decoded, walked for hex numbers; and framed back as a reply, with and
 * without run-length encoding, which must parse again to the same bytes
 * and expand and unescape back to the packet's data.  Frames built into
 * too little room must fail without writing past it.  The whole input is
 * framed and expanded the same way, for data the parser would not deliver.
 *
 *   make fuzz && build-fuzz/fuzz_gdb_rsp -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gdb/rsp.h"

/* Any frame of RSP_MAX_PACKET bytes fits, every one of them escaped. */
#define FRAME_CAP (2 * RSP_MAX_PACKET + 8)

/* About 16 KiB each: static, not on the stack. */
static struct rsp_parser parser, reparser;
static uint8_t copy[RSP_MAX_PACKET + 1];
static char frame[FRAME_CAP];
static char expanded[FRAME_CAP];
static uint8_t decoded[RSP_MAX_PACKET / 2 + 1];

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Framing into cap bytes must fail or fit, and never write past cap. */
static void check_small_frame(const void *data, size_t len, size_t cap,
			      bool rle, size_t want)
{
	char *out = malloc(cap ? cap : 1);
	size_t n;

	if (!out)
		abort();
	n = rsp_frame(out, cap, data, len, rle);
	if (n > cap)
		abort();
	/* It fits exactly when the whole frame does. */
	if ((n != 0) != (cap >= want))
		abort();
	if (n && (n != want || memcmp(out, frame, n)))
		abort();
	free(out);
}

/* Frame data as a reply and check everything about the frame. */
static void check_frame(const void *data, size_t len, bool rle)
{
	size_t flen, blen, cap, nev = 0;
	enum rsp_event ev = RSP_EV_NONE;
	long n;

	flen = rsp_frame(frame, sizeof(frame), data, len, rle);
	if (len > RSP_MAX_PACKET) {
		if (flen)
			abort();
		return;
	}
	if (flen < 4 || flen > 2 * len + 4 || frame[0] != '$' ||
	    frame[flen - 3] != '#')
		abort();
	blen = flen - 4;

	/* The body never holds what would end or restart the packet. */
	if (memchr(frame + 1, '$', blen) || memchr(frame + 1, '#', blen))
		abort();

	/* Expanded and unescaped, the body is the data again. */
	n = rsp_expand(frame + 1, blen, expanded, sizeof(expanded));
	if (n < 0)
		abort();
	n = rsp_unescape((uint8_t *)expanded, (size_t)n);
	if (n < 0 || (size_t)n != len || memcmp(expanded, data, len))
		abort();

	/* The frame parses again, checksum and all, to its body. */
	rsp_parser_init(&reparser);
	for (size_t i = 0; i < flen; i++) {
		enum rsp_event e = rsp_feed(&reparser, (uint8_t)frame[i]);

		if (e != RSP_EV_NONE) {
			ev = e;
			nev++;
		}
	}
	if (nev != 1)
		abort();
	if (blen > RSP_MAX_PACKET) {
		if (ev != RSP_EV_OVERFLOW)
			abort();
	} else if (ev != RSP_EV_PACKET || reparser.len != blen ||
		   memcmp(reparser.data, frame + 1, blen)) {
		abort();
	}

	/* Too little room: every tiny cap, and just short of the frame. */
	for (cap = 0; cap < 8; cap++)
		check_small_frame(data, len, cap, rle, flen);
	check_small_frame(data, len, flen - 1, rle, flen);
	check_small_frame(data, len, flen, rle, flen);
}

/* Walk the packet for hex numbers, as "m addr,len" and friends would. */
static void walk_hex(const char *s, const char *end)
{
	uint64_t v;

	while (s < end) {
		const char *at = s;

		if (rsp_parse_hex(&s, &v) == 0) {
			if (s <= at || s - at > 16 || is_hex(*s))
				abort();
			continue;
		}
		if (s != at)
			abort();
		/* No digit, or more than 16: skip them all. */
		while (s < end && is_hex(*s))
			s++;
		if (s == at)
			s++;
		else if (s - at <= 16)
			abort();
	}
}

static void check_packet(const struct rsp_parser *p)
{
	size_t len = p->len;
	long n;

	if (len > RSP_MAX_PACKET || p->data[len] != '\0')
		abort();

	memcpy(copy, p->data, len);
	n = rsp_unescape(copy, len);
	if (n > (long)len)
		abort();

	rsp_hex_decode(p->data, len / 2, decoded);
	walk_hex(p->data, p->data + len);

	check_frame(p->data, len, false);
	check_frame(p->data, len, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long n;

	rsp_parser_init(&parser);
	for (size_t i = 0; i < size; i++) {
		switch (rsp_feed(&parser, data[i])) {
		case RSP_EV_PACKET:
			check_packet(&parser);
			break;
		case RSP_EV_NONE:
		case RSP_EV_BAD_CHECKSUM:
		case RSP_EV_OVERFLOW:
		case RSP_EV_ACK:
		case RSP_EV_NAK:
		case RSP_EV_INTERRUPT:
			break;
		default:
			abort();
		}
	}

	/* The input itself as reply data, and as run-length encoding. */
	check_frame(data, size, size & 1);
	n = rsp_expand((const char *)data, size, expanded, 64);
	if (n > 64)
		abort();
	return 0;
}
