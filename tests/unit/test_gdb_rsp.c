// SPDX-License-Identifier: MIT
/*
 * gdb remote serial protocol framing (gdb/rsp.h): the byte-by-byte parser
 * (good and bad checksums, acks, naks, interrupts, noise, restarts,
 * overflow), the reply framer's escapes and run-length encoding checked by
 * expanding and parsing what it built, and the hex field helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdb/rsp.h"
#include "unit.h"

/* Big enough for any frame of RSP_MAX_PACKET bytes, all escaped. */
#define FRAME_CAP (2 * RSP_MAX_PACKET + 8)

/* The parser and the buffers are large: one of each, not on the stack. */
static struct rsp_parser parser;
static char frame[FRAME_CAP];
static char expanded[FRAME_CAP];
static uint8_t big[RSP_MAX_PACKET + 256];

/*
 * Feed len bytes of s; every event other than RSP_EV_NONE goes into ev
 * (up to max) with the index of the byte that caused it into at (if not
 * NULL).  Returns how many events there were.
 */
static size_t feed_n(struct rsp_parser *p, const void *s, size_t len,
		     enum rsp_event *ev, size_t *at, size_t max)
{
	const uint8_t *b = s;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		enum rsp_event e = rsp_feed(p, b[i]);

		if (e == RSP_EV_NONE)
			continue;
		if (n < max) {
			ev[n] = e;
			if (at)
				at[n] = i;
		}
		n++;
	}
	return n;
}

/* Feed the C string s: it must produce exactly one event, at its end. */
static enum rsp_event feed_one(struct rsp_parser *p, const char *s)
{
	enum rsp_event ev[4];
	size_t at[4], len = strlen(s);

	assert_int_equal(feed_n(p, s, len, ev, at, 4), 1);
	assert_int_equal(at[0], len - 1);
	return ev[0];
}

static uint8_t checksum(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

/* The body of a frame (between '$' and '#'): checks the frame's shape. */
static const char *frame_body(const char *f, size_t flen, size_t *blen)
{
	assert_true(flen >= 4);
	assert_int_equal(f[0], '$');
	assert_int_equal(f[flen - 3], '#');
	*blen = flen - 4;
	return f + 1;
}

static void test_good_packet(void **state)
{
	char s[64];

	(void)state;
	rsp_parser_init(&parser);
	assert_int_equal(feed_one(&parser, "$OK#9a"), RSP_EV_PACKET);
	assert_int_equal(parser.len, 2);
	assert_string_equal(parser.data, "OK");

	assert_int_equal(feed_one(&parser, "$g#67"), RSP_EV_PACKET);
	assert_int_equal(parser.len, 1);
	assert_string_equal(parser.data, "g");

	/* The empty packet. */
	assert_int_equal(feed_one(&parser, "$#00"), RSP_EV_PACKET);
	assert_int_equal(parser.len, 0);
	assert_string_equal(parser.data, "");

	snprintf(s, sizeof(s), "$m1000,40#%02x",
		 checksum("m1000,40", strlen("m1000,40")));
	assert_int_equal(feed_one(&parser, s), RSP_EV_PACKET);
	assert_int_equal(parser.len, 8);
	assert_string_equal(parser.data, "m1000,40");

	/* A shorter packet after a longer one is NUL-terminated. */
	assert_int_equal(feed_one(&parser, "$g#67"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "g");
}

static void test_bad_checksum(void **state)
{
	(void)state;
	rsp_parser_init(&parser);
	assert_int_equal(feed_one(&parser, "$OK#9b"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$OK#a9"), RSP_EV_BAD_CHECKSUM);
	/* Non-hex digits, either one: still two characters consumed. */
	assert_int_equal(feed_one(&parser, "$OK#9g"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$OK#g9"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$OK#zz"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$OK##a"), RSP_EV_BAD_CHECKSUM);
	/* Even where the digits' value would have matched (0 for "$#"). */
	assert_int_equal(feed_one(&parser, "$#zz"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$#z0"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$#0z"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$#00"), RSP_EV_PACKET);
	/* ... so what follows is outside the packet again. */
	assert_int_equal(feed_one(&parser, "+"), RSP_EV_ACK);
	/* The parser recovers. */
	assert_int_equal(feed_one(&parser, "$OK#9a"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "OK");
}

static void test_uppercase_checksum(void **state)
{
	char s[64];

	(void)state;
	rsp_parser_init(&parser);
	assert_int_equal(feed_one(&parser, "$OK#9A"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "OK");
	/* Both digits letters ("Ef" sums to 0xab), in either case. */
	assert_int_equal(feed_one(&parser, "$Ef#AB"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "Ef");
	assert_int_equal(feed_one(&parser, "$Ef#aB"), RSP_EV_PACKET);
	assert_int_equal(feed_one(&parser, "$Ef#Ab"), RSP_EV_PACKET);
	/* A computed one, printed in uppercase. */
	snprintf(s, sizeof(s), "$vCont?#%02X", checksum("vCont?", 6));
	assert_int_equal(feed_one(&parser, s), RSP_EV_PACKET);
	assert_string_equal(parser.data, "vCont?");
	/* The letters from 'A' to 'F' are all digits: "$z#7A" sums 0x7a. */
	assert_int_equal(feed_one(&parser, "$z#7A"), RSP_EV_PACKET);
	assert_int_equal(feed_one(&parser, "$z#7B"), RSP_EV_BAD_CHECKSUM);
	assert_int_equal(feed_one(&parser, "$z#7G"), RSP_EV_BAD_CHECKSUM);
}

static void test_acks_naks_interrupt(void **state)
{
	enum rsp_event ev[8];
	char s[64];

	(void)state;
	rsp_parser_init(&parser);
	assert_int_equal(feed_one(&parser, "+"), RSP_EV_ACK);
	assert_int_equal(feed_one(&parser, "-"), RSP_EV_NAK);
	assert_int_equal(feed_one(&parser, "\x03"), RSP_EV_INTERRUPT);
	assert_int_equal(feed_n(&parser, "+-\x03+", 4, ev, NULL, 8), 4);
	assert_int_equal(ev[0], RSP_EV_ACK);
	assert_int_equal(ev[1], RSP_EV_NAK);
	assert_int_equal(ev[2], RSP_EV_INTERRUPT);
	assert_int_equal(ev[3], RSP_EV_ACK);

	/* Inside a packet they are data. */
	snprintf(s, sizeof(s), "$+-\x03#%02x", checksum("+-\x03", 3));
	assert_int_equal(feed_one(&parser, s), RSP_EV_PACKET);
	assert_int_equal(parser.len, 3);
	assert_memory_equal(parser.data, "+-\x03", 4);

	/* An ack right after a packet's checksum. */
	assert_int_equal(feed_n(&parser, "$OK#9a+", 7, ev, NULL, 8), 2);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(ev[1], RSP_EV_ACK);
}

static void test_noise_ignored(void **state)
{
	static const char noise[] = "hello\r\n#00 OK}*\x7f\x80\xff";
	enum rsp_event ev[8];
	size_t at[8];
	char s[64];
	int n;

	(void)state;
	rsp_parser_init(&parser);
	assert_int_equal(feed_n(&parser, noise, sizeof(noise), ev, NULL, 8), 0);
	n = snprintf(s, sizeof(s), "xx#12$OK#9ayy");
	assert_int_equal(feed_n(&parser, s, (size_t)n, ev, at, 8), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(at[0], 10);
	assert_string_equal(parser.data, "OK");
	/* Every byte but the four that mean something, between packets. */
	for (unsigned b = 0; b < 256; b++) {
		uint8_t c = (uint8_t)b;

		if (c == '+' || c == '-' || c == 0x03 || c == '$')
			continue;
		assert_int_equal(feed_n(&parser, &c, 1, ev, NULL, 8), 0);
	}
	assert_int_equal(feed_one(&parser, "$OK#9a"), RSP_EV_PACKET);
}

static void test_dollar_restarts_packet(void **state)
{
	(void)state;
	rsp_parser_init(&parser);
	/* A packet cut short and sent again. */
	assert_int_equal(feed_one(&parser, "$m10,4$g#67"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "g");
	/* The checksum is the new packet's only. */
	assert_int_equal(feed_one(&parser, "$gg$g#67"), RSP_EV_PACKET);
	assert_int_equal(feed_one(&parser, "$g$gg#ce"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "gg");
	/* Even among the checksum digits. */
	assert_int_equal(feed_one(&parser, "$OK#$g#67"), RSP_EV_PACKET);
	assert_int_equal(feed_one(&parser, "$OK#9$g#67"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "g");
	/* A restart clears an overflow. */
	memset(big, 'a', sizeof(big));
	big[0] = '$';
	assert_int_equal(feed_n(&parser, big, sizeof(big), NULL, NULL, 0), 0);
	assert_int_equal(feed_one(&parser, "$OK#9a"), RSP_EV_PACKET);
	assert_string_equal(parser.data, "OK");
}

/* '$', len 'a's, '#' and the right checksum: the events it gives. */
static size_t feed_run(size_t len, enum rsp_event *ev, size_t *at, size_t max)
{
	char tail[4];
	size_t n;

	assert_true(len + 1 <= sizeof(big));
	big[0] = '$';
	memset(big + 1, 'a', len);
	n = feed_n(&parser, big, len + 1, ev, at, max);
	snprintf(tail, sizeof(tail), "#%02x", (unsigned)(uint8_t)(len * 'a'));
	return n + feed_n(&parser, tail, 3, ev + n, at + n, max - n);
}

static void test_overflow(void **state)
{
	enum rsp_event ev[4];
	size_t at[4];

	(void)state;
	rsp_parser_init(&parser);
	/* RSP_MAX_PACKET fits. */
	assert_int_equal(feed_run(RSP_MAX_PACKET, ev, at, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(at[0], 2);
	assert_int_equal(parser.len, RSP_MAX_PACKET);
	assert_int_equal(parser.data[RSP_MAX_PACKET - 1], 'a');
	assert_int_equal(parser.data[RSP_MAX_PACKET], '\0');

	/* One more does not, reported once, after the checksum. */
	assert_int_equal(feed_run(RSP_MAX_PACKET + 1, ev, at, 4), 1);
	assert_int_equal(ev[0], RSP_EV_OVERFLOW);
	assert_int_equal(at[0], 2);

	/* Far more, with a checksum that is wrong too: still overflow. */
	big[0] = '$';
	memset(big + 1, 'b', sizeof(big) - 1);
	assert_int_equal(feed_n(&parser, big, sizeof(big), ev, at, 4), 0);
	assert_int_equal(feed_n(&parser, "#zz", 3, ev, at, 4), 1);
	assert_int_equal(ev[0], RSP_EV_OVERFLOW);

	/* The parser is usable again, for short and full-size packets. */
	assert_int_equal(feed_one(&parser, "$OK#9a"), RSP_EV_PACKET);
	assert_int_equal(parser.len, 2);
	assert_string_equal(parser.data, "OK");
	assert_int_equal(feed_run(RSP_MAX_PACKET, ev, at, 4), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(parser.len, RSP_MAX_PACKET);
}

static void test_parser_keeps_escapes(void **state)
{
	static const char raw[] = "X0,1:}]";
	char s[64];

	(void)state;
	rsp_parser_init(&parser);
	snprintf(s, sizeof(s), "$%s#%02x", raw, checksum(raw, strlen(raw)));
	assert_int_equal(feed_one(&parser, s), RSP_EV_PACKET);
	/* As sent, and the checksum was over the bytes as sent. */
	assert_string_equal(parser.data, raw);
	assert_int_equal(rsp_unescape((uint8_t *)parser.data, parser.len), 6);
	assert_memory_equal(parser.data, "X0,1:}", 6);
	/* An escaped '#' is '}' 0x03, which does not end the packet. */
	snprintf(s, sizeof(s), "$}\x03#%02x", checksum("}\x03", 2));
	assert_int_equal(feed_one(&parser, s), RSP_EV_PACKET);
	assert_int_equal(parser.len, 2);
	assert_int_equal(rsp_unescape((uint8_t *)parser.data, parser.len), 1);
	assert_int_equal(parser.data[0], '#');
}

static bool is_special(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

static void test_escape_every_byte(void **state)
{
	uint8_t all[256], copy[256];
	size_t flen, blen;
	const char *body;

	(void)state;
	for (unsigned b = 0; b < 256; b++) {
		uint8_t c = (uint8_t)b, one[2];

		flen = rsp_frame(frame, sizeof(frame), &c, 1, false);
		body = frame_body(frame, flen, &blen);
		if (is_special(c)) {
			assert_int_equal(blen, 2);
			assert_int_equal(body[0], '}');
			assert_int_equal((uint8_t)body[1], c ^ 0x20);
		} else {
			assert_int_equal(blen, 1);
			assert_int_equal((uint8_t)body[0], c);
		}
		memcpy(one, body, blen);
		assert_int_equal(rsp_unescape(one, blen), 1);
		assert_int_equal(one[0], c);
	}

	for (unsigned b = 0; b < 256; b++)
		all[b] = (uint8_t)b;
	for (int rle = 0; rle < 2; rle++) {
		flen = rsp_frame(frame, sizeof(frame), all, 256, rle);
		body = frame_body(frame, flen, &blen);
		assert_int_equal(blen, 256 + 4);
		/* Nothing special left raw in the body. */
		for (size_t i = 0; i < blen; i++) {
			uint8_t c = (uint8_t)body[i];

			assert_false(c == '$' || c == '#' || c == '*');
			if (c == '}') {
				assert_true(i + 1 < blen);
				assert_true(
					is_special((uint8_t)body[++i] ^ 0x20));
			}
		}
		/* The parser takes it, checksum and all. */
		rsp_parser_init(&parser);
		assert_int_equal(feed_n(&parser, frame, flen, NULL, NULL, 0),
				 1);
		assert_int_equal(parser.len, blen);
		assert_memory_equal(parser.data, body, blen);
		assert_int_equal(
			rsp_unescape((uint8_t *)parser.data, parser.len), 256);
		assert_memory_equal(parser.data, all, 256);
	}

	/* Unescaping in place, on its own. */
	memcpy(copy, "a}]b}\x04}\x03}\x0a", 10);
	assert_int_equal(rsp_unescape(copy, 10), 6);
	assert_memory_equal(copy, "a}b$#*", 6);
	assert_int_equal(rsp_unescape(copy, 0), 0);
}

static void test_unescape_trailing_brace(void **state)
{
	uint8_t s[8];

	(void)state;
	memcpy(s, "}", 1);
	assert_int_equal(rsp_unescape(s, 1), -1);
	memcpy(s, "ab}", 3);
	assert_int_equal(rsp_unescape(s, 3), -1);
	memcpy(s, "ab}]}", 5);
	assert_int_equal(rsp_unescape(s, 5), -1);
	/* "}}" is an escaped ']' ('}' ^ 0x20). */
	memcpy(s, "}}", 2);
	assert_int_equal(rsp_unescape(s, 2), 1);
	assert_int_equal(s[0], '}' ^ 0x20);
}

/*
 * Frame data with RLE and check the frame: every count character printable
 * and never '#' or '$', the body expands and unescapes back to data, and
 * the parser accepts the frame.  Returns the frame's length.
 */
static size_t check_rle(const uint8_t *data, size_t len)
{
	enum rsp_event ev[1];
	size_t flen, blen;
	const char *body;
	long n;

	flen = rsp_frame(frame, sizeof(frame), data, len, true);
	body = frame_body(frame, flen, &blen);
	for (size_t i = 0; i < blen; i++) {
		uint8_t c = (uint8_t)body[i];

		assert_false(c == '$' || c == '#');
		if (c == '}') {
			i++; /* the escaped byte */
			continue;
		}
		if (c != '*')
			continue;
		assert_true(i > 0);
		assert_true(i + 1 < blen);
		c = (uint8_t)body[++i];
		assert_true(c >= ' ' && c <= '~');
		assert_true(c != '#' && c != '$');
	}
	assert_null(memmem(body, blen, "*#", 2));
	assert_null(memmem(body, blen, "*$", 2));

	n = rsp_expand(body, blen, expanded, sizeof(expanded));
	assert_true(n >= 0);
	n = rsp_unescape((uint8_t *)expanded, (size_t)n);
	assert_int_equal(n, len);
	assert_memory_equal(expanded, data, len);

	/* The parser's limit is on the bytes as sent, escapes included. */
	rsp_parser_init(&parser);
	if (blen > RSP_MAX_PACKET) {
		assert_int_equal(feed_n(&parser, frame, flen, ev, NULL, 1), 1);
		assert_int_equal(ev[0], RSP_EV_OVERFLOW);
		return flen;
	}
	assert_int_equal(feed_n(&parser, frame, flen, ev, NULL, 1), 1);
	assert_int_equal(ev[0], RSP_EV_PACKET);
	assert_int_equal(parser.len, blen);
	assert_memory_equal(parser.data, body, blen);
	return flen;
}

static void test_rle_round_trip_runs(void **state)
{
	static const uint8_t bytes[] = {'a', '0', 0x00, 0xff, ' ',  '~',
					'$', '#', '}',	'*',  0x03, '+'};
	uint8_t data[320];

	(void)state;
	for (size_t k = 0; k < sizeof(bytes); k++) {
		for (size_t run = 1; run <= 300; run++) {
			/* The run alone ... */
			memset(data, bytes[k], run);
			check_rle(data, run);
			/* ... and between other bytes. */
			data[0] = 'x';
			memset(data + 1, bytes[k], run);
			data[run + 1] = 'y';
			check_rle(data, run + 2);
			/* ... after a run of something else. */
			memset(data, 'q', 5);
			memset(data + 5, bytes[k], run);
			check_rle(data, run + 5);
		}
	}
}

static void test_rle_encodings(void **state)
{
	uint8_t data[300];
	size_t flen, blen;
	const char *body;

	(void)state;
	memset(data, 'a', sizeof(data));
	/* Three are sent as they are; four are 'a' '*' ' '. */
	flen = rsp_frame(frame, sizeof(frame), data, 3, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 3);
	assert_memory_equal(body, "aaa", 3);
	flen = rsp_frame(frame, sizeof(frame), data, 4, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 3);
	assert_memory_equal(body, "a* ", 3);
	/* Six repeats would be '#', seven '$': five, and the rest plain. */
	flen = rsp_frame(frame, sizeof(frame), data, 7, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 4);
	assert_memory_equal(body, "a*\"a", 4);
	flen = rsp_frame(frame, sizeof(frame), data, 8, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 5);
	assert_memory_equal(body, "a*\"aa", 5);
	/* Nine: eight repeats, '%'. */
	flen = rsp_frame(frame, sizeof(frame), data, 9, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 3);
	assert_memory_equal(body, "a*%", 3);
	/* 98 is the longest one run; 99 is one more byte. */
	flen = rsp_frame(frame, sizeof(frame), data, 98, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 3);
	assert_memory_equal(body, "a*~", 3);
	flen = rsp_frame(frame, sizeof(frame), data, 99, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 4);
	assert_memory_equal(body, "a*~a", 4);
	/* 300 = 98 + 98 + 98 + 6. */
	flen = rsp_frame(frame, sizeof(frame), data, 300, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 12);
	assert_memory_equal(body, "a*~a*~a*~a*\"", 12);
	/* Without rle, the same bytes go as they are. */
	flen = rsp_frame(frame, sizeof(frame), data, 300, false);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 300);
	assert_memory_equal(body, data, 300);
	/* Bytes that need escapes are not run-length encoded. */
	memset(data, '*', 10);
	flen = rsp_frame(frame, sizeof(frame), data, 10, true);
	body = frame_body(frame, flen, &blen);
	assert_int_equal(blen, 20);
	for (size_t i = 0; i < 20; i += 2)
		assert_memory_equal(body + i, "}\x0a", 2);
}

static void test_rle_round_trip_random(void **state)
{
	static const uint8_t alphabet[] = {'0', '0', '0', 'f', 'x', '$',
					   '#', '}', '*', ' ', 0,   0xff};
	uint32_t seed = 12345;

	(void)state;
	for (int iter = 0; iter < 400; iter++) {
		size_t len, i = 0;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % 2000;
		while (i < len) {
			size_t run;
			uint8_t c;

			seed = seed * 1103515245u + 12345u;
			c = alphabet[(seed >> 16) % sizeof(alphabet)];
			run = 1 + (seed >> 4) % ((seed & 1) ? 3 : 120);
			while (run-- && i < len)
				big[i++] = c;
		}
		check_rle(big, len);
	}
	/* A whole packet's worth, every byte needing an escape, fits. */
	memset(big, '}', RSP_MAX_PACKET);
	assert_int_equal(
		rsp_frame(frame, sizeof(frame), big, RSP_MAX_PACKET, true),
		2 * RSP_MAX_PACKET + 4);
	check_rle(big, RSP_MAX_PACKET);
}

static void test_frame_checksum_verifies(void **state)
{
	static const char *const replies[] = {
		"",
		"OK",
		"E01",
		"S05",
		"T05thread:1;",
		"PacketSize=4000;qXfer:features:read+;swbreak+",
		"0123456789abcdefABCDEF",
		"l<target/>",
	};
	size_t flen, blen;
	const char *body;
	char expect[8];

	(void)state;
	for (size_t k = 0; k < sizeof(replies) / sizeof(replies[0]); k++) {
		size_t len = strlen(replies[k]);

		for (int rle = 0; rle < 2; rle++) {
			flen = rsp_frame(frame, sizeof(frame), replies[k], len,
					 rle);
			body = frame_body(frame, flen, &blen);
			/* No runs and nothing to escape: the data itself. */
			assert_int_equal(blen, len);
			assert_memory_equal(body, replies[k], len);
			snprintf(expect, sizeof(expect), "#%02x",
				 checksum(replies[k], len));
			assert_memory_equal(frame + flen - 3, expect, 3);
			rsp_parser_init(&parser);
			assert_int_equal(
				feed_n(&parser, frame, flen, NULL, NULL, 0), 1);
			assert_int_equal(parser.len, len);
			assert_string_equal(parser.data, replies[k]);
		}
	}
	/* The checksum digits are lowercase. */
	flen = rsp_frame(frame, sizeof(frame), "z", 1, false);
	assert_int_equal(flen, 5);
	assert_memory_equal(frame, "$z#7a", 5);
	flen = rsp_frame(frame, sizeof(frame), "", 0, true);
	assert_int_equal(flen, 4);
	assert_memory_equal(frame, "$#00", 4);
	/* Corrupt one body byte: the parser says so. */
	flen = rsp_frame(frame, sizeof(frame), "OK", 2, false);
	frame[1] = 'o';
	rsp_parser_init(&parser);
	frame[flen] = '\0';
	assert_int_equal(feed_one(&parser, frame), RSP_EV_BAD_CHECKSUM);
}

static void test_frame_too_big(void **state)
{
	static const uint8_t mixed[] = "ab$cccccccc}d*#eeee";
	const size_t mlen = sizeof(mixed) - 1;
	char small[64];

	(void)state;
	/* More than a packet's data is refused whatever the room. */
	memset(big, 'a', sizeof(big));
	assert_int_equal(
		rsp_frame(frame, sizeof(frame), big, RSP_MAX_PACKET + 1, false),
		0);
	assert_int_equal(
		rsp_frame(frame, sizeof(frame), big, RSP_MAX_PACKET + 1, true),
		0);
	assert_int_equal(
		rsp_frame(frame, sizeof(frame), big, RSP_MAX_PACKET, false),
		RSP_MAX_PACKET + 4);
	/* "$OK#9a" needs 6 bytes, exactly. */
	assert_int_equal(rsp_frame(small, 0, "OK", 2, false), 0);
	assert_int_equal(rsp_frame(small, 5, "OK", 2, false), 0);
	assert_int_equal(rsp_frame(small, 6, "OK", 2, false), 6);
	assert_memory_equal(small, "$OK#9a", 6);
	assert_int_equal(rsp_frame(small, 3, "", 0, false), 0);
	assert_int_equal(rsp_frame(small, 4, "", 0, false), 4);
	/* Every room short of the frame fails, and writes only inside it. */
	for (int rle = 0; rle < 2; rle++) {
		size_t flen = rsp_frame(frame, sizeof(frame), mixed, mlen, rle);

		assert_true(flen > mlen);
		for (size_t cap = 0; cap < flen; cap++) {
			memset(small, 0x5a, sizeof(small));
			assert_int_equal(
				rsp_frame(small, cap, mixed, mlen, rle), 0);
			for (size_t i = cap; i < sizeof(small); i++)
				assert_int_equal(small[i], 0x5a);
		}
		assert_int_equal(rsp_frame(small, flen, mixed, mlen, rle),
				 flen);
		assert_memory_equal(small, frame, flen);
	}
}

static void test_expand_errors(void **state)
{
	char out[256];

	(void)state;
	/* '*' first: nothing to repeat. */
	assert_int_equal(rsp_expand("* ", 2, out, sizeof(out)), -1);
	/* '*' last: no count. */
	assert_int_equal(rsp_expand("a*", 2, out, sizeof(out)), -1);
	assert_int_equal(rsp_expand("ab* c*", 6, out, sizeof(out)), -1);
	/* Fewer than three repeats. */
	assert_int_equal(rsp_expand("a*\x1f", 3, out, sizeof(out)), -1);
	assert_int_equal(rsp_expand("a*\x01", 3, out, sizeof(out)), -1);
	assert_int_equal(rsp_expand("a*\x00", 3, out, sizeof(out)), -1);
	/* Three, the least. */
	assert_int_equal(rsp_expand("a* ", 3, out, sizeof(out)), 4);
	assert_memory_equal(out, "aaaa", 4);
	/* The result must fit: exactly, or not at all. */
	assert_int_equal(rsp_expand("a* ", 3, out, 3), -1);
	assert_int_equal(rsp_expand("a* ", 3, out, 4), 4);
	assert_int_equal(rsp_expand("a* b", 4, out, 4), -1);
	assert_int_equal(rsp_expand("abc", 3, out, 2), -1);
	assert_int_equal(rsp_expand("", 0, out, 0), 0);
	/* The longest, and runs one after another. */
	assert_int_equal(rsp_expand("a*~", 3, out, sizeof(out)), 98);
	for (int i = 0; i < 98; i++)
		assert_int_equal(out[i], 'a');
	assert_int_equal(rsp_expand("x0*!y", 5, out, sizeof(out)), 7);
	assert_memory_equal(out, "x00000y", 7);
	/* A run repeats the last byte out, even one from a run. */
	assert_int_equal(rsp_expand("b* * ", 5, out, sizeof(out)), 7);
	assert_memory_equal(out, "bbbbbbb", 7);
}

static void test_hex_encode_decode(void **state)
{
	static const uint8_t bytes[] = {0x00, 0x1f, 0xab, 0xff, 0x90};
	uint8_t all[256], back[256];
	char hex[512 + 1];

	(void)state;
	memset(hex, 0, sizeof(hex));
	rsp_hex_encode(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "001fabff90");
	memset(back, 0, sizeof(back));
	assert_int_equal(rsp_hex_decode("001FaBff90", 5, back), 0);
	assert_memory_equal(back, bytes, 5);

	/* Every byte value, both ways. */
	for (unsigned b = 0; b < 256; b++)
		all[b] = (uint8_t)b;
	rsp_hex_encode(all, 256, hex);
	for (size_t i = 0; i < 512; i++)
		assert_true((hex[i] >= '0' && hex[i] <= '9') ||
			    (hex[i] >= 'a' && hex[i] <= 'f'));
	memset(back, 0, sizeof(back));
	assert_int_equal(rsp_hex_decode(hex, 256, back), 0);
	assert_memory_equal(back, all, 256);

	/* A bad digit anywhere is refused, and nothing is written. */
	memset(back, 0x77, sizeof(back));
	assert_int_equal(rsp_hex_decode("0g", 1, back), -1);
	assert_int_equal(rsp_hex_decode("g0", 1, back), -1);
	assert_int_equal(rsp_hex_decode("0011223x", 4, back), -1);
	assert_int_equal(rsp_hex_decode("00 1", 2, back), -1);
	assert_int_equal(rsp_hex_decode("001", 2, back), -1); /* NUL */
	assert_int_equal(back[0], 0x77);
	/* Only n bytes' digits are read. */
	assert_int_equal(rsp_hex_decode("12zz", 1, back), 0);
	assert_int_equal(back[0], 0x12);
	assert_int_equal(back[1], 0x77);
	assert_int_equal(rsp_hex_decode("zz", 0, back), 0);
}

static void test_parse_hex(void **state)
{
	const char *s, *start;
	uint64_t v;

	(void)state;
	/* No digit: -1, and neither *s nor the value move. */
	s = start = "";
	v = 42;
	assert_int_equal(rsp_parse_hex(&s, &v), -1);
	assert_ptr_equal(s, start);
	assert_true(v == 42);
	s = start = ",4";
	assert_int_equal(rsp_parse_hex(&s, &v), -1);
	assert_ptr_equal(s, start);

	/* "m addr,len": stops at ',' and advances to it. */
	s = start = "1000,4";
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_true(v == 0x1000);
	assert_ptr_equal(s, start + 4);
	assert_int_equal(*s, ',');
	s++;
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_true(v == 4);
	assert_int_equal(*s, '\0');

	/* Case does not matter; any non-digit ends the number. */
	s = "DEADbeef:x";
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_true(v == 0xdeadbeef);
	assert_int_equal(*s, ':');
	s = "7g";
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_true(v == 7);
	assert_int_equal(*s, 'g');

	/* 16 digits: the whole 64 bits. */
	s = start = "ffffffffffffffff";
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_ptr_equal(s, start + 16);
	s = "0123456789abcdef;";
	assert_int_equal(rsp_parse_hex(&s, &v), 0);
	assert_true(v == 0x0123456789abcdefull);
	assert_int_equal(*s, ';');

	/* 17 are refused, leading zeros or not. */
	v = 42;
	s = start = "10000000000000000";
	assert_int_equal(rsp_parse_hex(&s, &v), -1);
	assert_ptr_equal(s, start);
	assert_true(v == 42);
	s = start = "00000000000000001,";
	assert_int_equal(rsp_parse_hex(&s, &v), -1);
	assert_ptr_equal(s, start);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_packet),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_uppercase_checksum),
		cmocka_unit_test(test_acks_naks_interrupt),
		cmocka_unit_test(test_noise_ignored),
		cmocka_unit_test(test_dollar_restarts_packet),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_parser_keeps_escapes),
		cmocka_unit_test(test_escape_every_byte),
		cmocka_unit_test(test_unescape_trailing_brace),
		cmocka_unit_test(test_rle_round_trip_runs),
		cmocka_unit_test(test_rle_encodings),
		cmocka_unit_test(test_rle_round_trip_random),
		cmocka_unit_test(test_frame_checksum_verifies),
		cmocka_unit_test(test_frame_too_big),
		cmocka_unit_test(test_expand_errors),
		cmocka_unit_test(test_hex_encode_decode),
		cmocka_unit_test(test_parse_hex),
	};

	return cmocka_run_group_tests_name("gdb_rsp", tests, NULL, NULL);
}
