/* SPDX-License-Identifier: MIT */
/*
 * What the two UARTs (serial8250.c, pl011.c) have in common, apart from
 * their registers:
 *
 *   the receive FIFO   a ring of up to UART_FIFO_MAX bytes.  How many it
 *                      may hold right now (its capacity) is the UART's
 *                      business: 16 or 32 with the FIFO enabled, 1 (the
 *                      holding register) without; every push is given it.
 *                      Saved as a count and the bytes from the head on.
 *
 *   the host side      a struct chardev_host (chardev.h): write() takes the
 *                      bytes the guest transmits, rx_ready() is called once
 *                      after a refused receive when room appears again
 *                      (the "notify once per refusal" rule: a refusal sets
 *                      rx_refused, the first moment with room clears it and
 *                      calls rx_ready).  Also the byte counters for
 *                      --stats.  None of it is guest-visible state: it is
 *                      neither reset nor saved.
 *
 *   receiving          uart_host_receive() is the body of both UARTs'
 *                      X_receive(): push what fits, remember a refusal,
 *                      count.  The caller then raises its own interrupts.
 *
 * No lock here: every function is called with the UART's own mutex held.
 * The host callbacks therefore run with it held too (chardev.h).
 */
#ifndef MINIVMM_DEV_UART_H
#define MINIVMM_DEV_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chardev.h"

struct state_reader;
struct state_writer;

#define UART_FIFO_MAX 32

struct uart_fifo {
	uint8_t data[UART_FIFO_MAX];
	unsigned head, count; /* head < UART_FIFO_MAX, count <= UART_FIFO_MAX */
};

static inline unsigned uart_fifo_count(const struct uart_fifo *f)
{
	return f->count;
}

void uart_fifo_clear(struct uart_fifo *f);
/* Append b if fewer than `capacity` bytes are queued; false if full. */
bool uart_fifo_push(struct uart_fifo *f, uint8_t b, unsigned capacity);
/* Take the oldest byte; the FIFO must not be empty. */
uint8_t uart_fifo_pop(struct uart_fifo *f);
/* Replace the newest byte (an overrun without FIFO); must not be empty. */
void uart_fifo_replace_newest(struct uart_fifo *f, uint8_t b);

/* u8 count, then the bytes oldest first. */
void uart_fifo_save(const struct uart_fifo *f, struct state_writer *w);
/*
 * Read what uart_fifo_save wrote; a count above `capacity` fails the
 * reader (and leaves the FIFO empty).
 */
void uart_fifo_load(struct uart_fifo *f, struct state_reader *r,
		    unsigned capacity);

struct uart_host {
	struct chardev_host host; /* write NULL: output is dropped */
	bool rx_refused; /* the host was turned away; tell it about room */
	uint64_t tx_bytes; /* bytes sent to the host side (not loopback) */
	uint64_t rx_bytes; /* host bytes accepted */
};

/* Connect (or, with NULL, disconnect) the host side. */
void uart_host_set(struct uart_host *h, const struct chardev_host *host);
/* One transmitted byte to the host side. */
void uart_host_write(struct uart_host *h, uint8_t b);
/*
 * Push host bytes into f while it holds fewer than `capacity`; nothing
 * when !connected (loopback).  Returns how many were taken; a shortfall
 * sets rx_refused.
 */
size_t uart_host_receive(struct uart_host *h, struct uart_fifo *f,
			 unsigned capacity, bool connected, const uint8_t *buf,
			 size_t len);
/* The receiver has room now (`room`): call rx_ready if it was refused. */
void uart_host_room(struct uart_host *h, bool room);

#endif
