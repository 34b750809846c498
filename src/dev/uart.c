// SPDX-License-Identifier: MIT
/* The receive FIFO and host connection both UARTs share (uart.h). */
#include "dev/uart.h"

#include <string.h>

#include "state.h"

void uart_fifo_clear(struct uart_fifo *f)
{
	f->head = 0;
	f->count = 0;
}

bool uart_fifo_push(struct uart_fifo *f, uint8_t b, unsigned capacity)
{
	if (f->count >= capacity || f->count >= UART_FIFO_MAX)
		return false;
	f->data[(f->head + f->count) % UART_FIFO_MAX] = b;
	f->count++;
	return true;
}

uint8_t uart_fifo_pop(struct uart_fifo *f)
{
	uint8_t b = f->data[f->head];

	f->head = (f->head + 1) % UART_FIFO_MAX;
	f->count--;
	return b;
}

void uart_fifo_replace_newest(struct uart_fifo *f, uint8_t b)
{
	f->data[(f->head + f->count - 1) % UART_FIFO_MAX] = b;
}

void uart_fifo_save(const struct uart_fifo *f, struct state_writer *w)
{
	state_put_u8(w, (uint8_t)f->count);
	for (unsigned i = 0; i < f->count; i++)
		state_put_u8(w, f->data[(f->head + i) % UART_FIFO_MAX]);
}

void uart_fifo_load(struct uart_fifo *f, struct state_reader *r,
		    unsigned capacity)
{
	unsigned count = state_get_u8(r);

	uart_fifo_clear(f);
	if (count > capacity || count > UART_FIFO_MAX) {
		state_reader_fail(r, "receive FIFO holds %u bytes, at most %u fit",
				  count, capacity);
		return;
	}
	state_get_bytes(r, f->data, count);
	f->count = r->failed ? 0 : count;
}

void uart_host_set(struct uart_host *h, const struct chardev_host *host)
{
	if (host)
		h->host = *host;
	else
		memset(&h->host, 0, sizeof(h->host));
}

void uart_host_write(struct uart_host *h, uint8_t b)
{
	if (h->host.write)
		h->host.write(h->host.ctx, &b, 1);
	h->tx_bytes++;
}

size_t uart_host_receive(struct uart_host *h, struct uart_fifo *f,
			 unsigned capacity, bool connected, const uint8_t *buf,
			 size_t len)
{
	size_t n = 0;

	if (connected)
		while (n < len && uart_fifo_push(f, buf[n], capacity))
			n++;
	if (n < len)
		h->rx_refused = true;
	h->rx_bytes += n;
	return n;
}

void uart_host_room(struct uart_host *h, bool room)
{
	if (!h->rx_refused || !room)
		return;
	h->rx_refused = false;
	if (h->host.rx_ready)
		h->host.rx_ready(h->host.ctx);
}
