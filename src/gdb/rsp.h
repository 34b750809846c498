/* SPDX-License-Identifier: MIT */
/*
 * The framing of gdb's remote serial protocol (RSP), with no I/O and no
 * KVM: what arrives from the debugger is fed byte by byte to a parser that
 * reports whole packets, acks and interrupts; what goes back is built into a
 * caller's buffer.  gdb's manual, "Remote Protocol", "Overview":
 *
 *   $<data>#<2 hex digits: sum of the data bytes mod 256>
 *   '+' / '-'       acknowledge / ask for a resend (until no-ack mode)
 *   0x03            interrupt (Ctrl-C), outside a packet
 *   '}' x           an escaped byte: x ^ 0x20 (binary data: X, qXfer)
 *   c '*' n         run-length: c repeated (n - 29) more times (replies)
 *
 * Everything is bounded: a packet longer than RSP_MAX_PACKET data bytes is
 * dropped whole (reported as RSP_EV_OVERFLOW, answered with '-' so the
 * debugger notices), and the parser never reads or writes past its buffer.
 */
#ifndef MINIVMM_GDB_RSP_H
#define MINIVMM_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Data bytes in one packet, both ways (announced as PacketSize, in hex). */
#define RSP_MAX_PACKET 16384

enum rsp_event {
	RSP_EV_NONE, /* the byte was consumed; nothing complete yet */
	RSP_EV_PACKET, /* a packet with a good checksum: p->data, p->len */
	RSP_EV_BAD_CHECKSUM, /* a whole packet whose checksum is wrong */
	RSP_EV_OVERFLOW, /* a whole packet too long for the buffer */
	RSP_EV_ACK, /* '+' */
	RSP_EV_NAK, /* '-' */
	RSP_EV_INTERRUPT, /* 0x03 outside a packet */
};

struct rsp_parser {
	int state; /* private */
	uint8_t sum; /* private: running checksum */
	uint8_t csum; /* private: the checksum digits seen */
	bool overflow; /* private */
	size_t len; /* data bytes of the packet (after RSP_EV_PACKET) */
	/* The packet's data as sent (escapes not undone), NUL-terminated. */
	char data[RSP_MAX_PACKET + 1];
};

void rsp_parser_init(struct rsp_parser *p);
/*
 * Feed one received byte.  After RSP_EV_PACKET, p->data/p->len hold the
 * packet until the next call.  Bytes outside a packet other than '+', '-',
 * 0x03 and '$' are ignored (line noise).
 */
enum rsp_event rsp_feed(struct rsp_parser *p, uint8_t byte);

/*
 * Build "$<data>#cs" in out (cap bytes) from len bytes of reply data,
 * escaping '$', '#', '}' and '*' (so any binary data may be sent) and, with
 * `rle`, run-length encoding repeats of 4 or more bytes (never producing a
 * count character of '#' or '$', nor one above '~').  Returns the frame's
 * length (no NUL is added), or 0 when it does not fit in cap or the data
 * is longer than RSP_MAX_PACKET.
 */
size_t rsp_frame(char *out, size_t cap, const void *data, size_t len,
		 bool rle);

/*
 * Undo '}' escapes of binary packet data in place (X packets); returns the
 * decoded length, or -1 for a '}' at the very end.
 */
long rsp_unescape(uint8_t *data, size_t len);

/*
 * Expand run-length encoding (what rsp_frame(..., true) produced, without
 * the '$' and '#cs'): out gets at most cap bytes; returns the expanded
 * length, or -1 for a '*' with nothing before it, a count below 3 repeats
 * or a result longer than cap.
 */
long rsp_expand(const char *data, size_t len, char *out, size_t cap);

/* Decoding of gdb's hex fields; every function checks its input whole. */
/* Two hex digits per byte: hex (2*n chars) -> out (n bytes); -1 if any
 * character is not a hex digit. */
int rsp_hex_decode(const char *hex, size_t n, uint8_t *out);
/* n bytes -> 2*n lowercase hex digits at out (no NUL). */
void rsp_hex_encode(const uint8_t *in, size_t n, char *out);
/*
 * A big-endian hex number of 1-16 digits at *s, as in "m addr,len":
 * stops at the first non-hex character and advances *s to it.  -1 when
 * there is no digit or more than 16.
 */
int rsp_parse_hex(const char **s, uint64_t *value);

#endif
