// SPDX-License-Identifier: MIT
/*
 * gdb remote serial protocol framing (rsp.h): the byte-by-byte packet
 * parser, the reply framer (escapes and run-length encoding) and the hex
 * helpers the packet handlers decode their fields with.  No I/O, no
 * allocation: everything works in the caller's buffers.
 */
#include "gdb/rsp.h"

#include <string.h>

enum {
	ST_IDLE,      /* between packets: acks, naks, interrupts, noise */
	ST_DATA,      /* after '$': data bytes until '#' */
	ST_CSUM1,     /* after '#': the first checksum digit */
	ST_CSUM2,     /* the second checksum digit */
	ST_CSUM2_BAD, /* the second digit, the first was not hex */
};

/* RLE: a count character is (repeats + 29), from ' ' (3) to '~' (97). */
#define RLE_BIAS 29
#define RLE_MIN_REPEATS 3
#define RLE_MAX_REPEATS ('~' - RLE_BIAS)

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void packet_start(struct rsp_parser *p)
{
	p->state = ST_DATA;
	p->sum = 0;
	p->csum = 0;
	p->overflow = false;
	p->len = 0;
	p->data[0] = '\0';
}

void rsp_parser_init(struct rsp_parser *p)
{
	packet_start(p);
	p->state = ST_IDLE;
}

/* The second checksum digit has arrived: what the packet was. */
static enum rsp_event packet_end(struct rsp_parser *p, bool digits_ok)
{
	bool overflow = p->overflow;

	p->state = ST_IDLE;
	p->overflow = false;
	if (overflow) {
		p->len = 0;
		p->data[0] = '\0';
		return RSP_EV_OVERFLOW;
	}
	p->data[p->len] = '\0';
	if (!digits_ok || p->csum != p->sum)
		return RSP_EV_BAD_CHECKSUM;
	return RSP_EV_PACKET;
}

enum rsp_event rsp_feed(struct rsp_parser *p, uint8_t byte)
{
	int v;

	/* A '$' inside a packet starts it again (the debugger resent it). */
	if (byte == '$') {
		packet_start(p);
		return RSP_EV_NONE;
	}
	switch (p->state) {
	case ST_DATA:
		if (byte == '#') {
			p->state = ST_CSUM1;
			return RSP_EV_NONE;
		}
		/* The checksum is over the bytes as sent, escapes included. */
		p->sum += byte;
		if (p->len < RSP_MAX_PACKET)
			p->data[p->len++] = (char)byte;
		else
			p->overflow = true;
		return RSP_EV_NONE;
	case ST_CSUM1:
		v = hex_value(byte);
		if (v < 0) {
			p->state = ST_CSUM2_BAD;
			return RSP_EV_NONE;
		}
		p->csum = (uint8_t)(v << 4);
		p->state = ST_CSUM2;
		return RSP_EV_NONE;
	case ST_CSUM2:
		v = hex_value(byte);
		if (v >= 0)
			p->csum |= (uint8_t)v;
		return packet_end(p, v >= 0);
	case ST_CSUM2_BAD:
		return packet_end(p, false);
	default:
		break;
	}
	/* Between packets. */
	p->state = ST_IDLE;
	switch (byte) {
	case '+':
		return RSP_EV_ACK;
	case '-':
		return RSP_EV_NAK;
	case 0x03:
		return RSP_EV_INTERRUPT;
	default:
		return RSP_EV_NONE; /* line noise */
	}
}

static bool needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

/* One byte into out[*pos] if it fits; the checksum counts it when sum. */
static bool put(char *out, size_t cap, size_t *pos, uint8_t c, uint8_t *sum)
{
	if (*pos >= cap)
		return false;
	out[(*pos)++] = (char)c;
	if (sum)
		*sum += c;
	return true;
}

/*
 * How many more copies of in[i] follow it (at most RLE_MAX_REPEATS), as a
 * run-length count gdb may be sent: never one whose count character would
 * be '#' or '$'.  0 when the run is too short to encode.
 */
static size_t rle_repeats(const uint8_t *in, size_t i, size_t len)
{
	size_t n = 0;

	while (i + 1 + n < len && in[i + 1 + n] == in[i] && n < RLE_MAX_REPEATS)
		n++;
	/* '#' (6 repeats) and '$' (7) would end or restart the packet. */
	while (n + RLE_BIAS == '#' || n + RLE_BIAS == '$')
		n--;
	return n >= RLE_MIN_REPEATS ? n : 0;
}

size_t rsp_frame(char *out, size_t cap, const void *data, size_t len, bool rle)
{
	const uint8_t *in = data;
	size_t pos = 0, i = 0, n;
	uint8_t sum = 0;

	if (len > RSP_MAX_PACKET)
		return 0;
	if (!put(out, cap, &pos, '$', NULL))
		return 0;
	while (i < len) {
		uint8_t c = in[i];

		if (needs_escape(c)) {
			if (!put(out, cap, &pos, '}', &sum) ||
			    !put(out, cap, &pos, c ^ 0x20, &sum))
				return 0;
			i++;
			continue;
		}
		if (!put(out, cap, &pos, c, &sum))
			return 0;
		n = rle ? rle_repeats(in, i, len) : 0;
		if (n) {
			if (!put(out, cap, &pos, '*', &sum) ||
			    !put(out, cap, &pos, (uint8_t)(n + RLE_BIAS), &sum))
				return 0;
		}
		i += 1 + n;
	}
	if (!put(out, cap, &pos, '#', NULL) ||
	    !put(out, cap, &pos, hex_digits[sum >> 4], NULL) ||
	    !put(out, cap, &pos, hex_digits[sum & 0xf], NULL))
		return 0;
	return pos;
}

long rsp_unescape(uint8_t *data, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (data[i] != '}') {
			data[o++] = data[i];
			continue;
		}
		if (++i == len)
			return -1;
		data[o++] = data[i] ^ 0x20;
	}
	return (long)o;
}

long rsp_expand(const char *data, size_t len, char *out, size_t cap)
{
	size_t i, o = 0, n;

	for (i = 0; i < len; i++) {
		if (data[i] != '*') {
			if (o >= cap)
				return -1;
			out[o++] = data[i];
			continue;
		}
		/* c '*' n: the byte before, (n - 29) more times. */
		if (o == 0 || i + 1 >= len)
			return -1;
		n = (uint8_t)data[++i];
		if (n < RLE_BIAS + RLE_MIN_REPEATS)
			return -1;
		n -= RLE_BIAS;
		if (n > cap - o)
			return -1;
		memset(out + o, out[o - 1], n);
		o += n;
	}
	return (long)o;
}

int rsp_hex_decode(const char *hex, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < 2 * n; i++)
		if (hex_value((uint8_t)hex[i]) < 0)
			return -1;
	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(hex_value((uint8_t)hex[2 * i]) << 4 |
				   hex_value((uint8_t)hex[2 * i + 1]));
	return 0;
}

void rsp_hex_encode(const uint8_t *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 0xf];
	}
}

int rsp_parse_hex(const char **s, uint64_t *value)
{
	const char *p = *s;
	uint64_t v = 0;
	size_t digits = 0;
	int d;

	while ((d = hex_value((uint8_t)*p)) >= 0) {
		if (++digits > 16)
			return -1;
		v = v << 4 | (uint64_t)d;
		p++;
	}
	if (!digits)
		return -1;
	*value = v;
	*s = p;
	return 0;
}
