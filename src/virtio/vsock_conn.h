/* SPDX-License-Identifier: MIT */
/*
 * The host side of virtio-vsock: the connections between the guest's
 * AF_VSOCK stream sockets and the host's AF_UNIX sockets, Firecracker's
 * "hybrid vsock" (its docs/vsock.md), apart from any virtqueue.
 *
 *   host-initiated   a host program connects to the listening socket at
 *                    `uds` and writes "CONNECT <port>\n"; the guest gets a
 *                    REQUEST from CID 2 and a local port of ours (from
 *                    2^30 up); on its RESPONSE the program reads
 *                    "OK <that local port>\n" and the bytes flow; an RST
 *                    (nothing listens) or no answer in time closes it.
 *   guest-initiated  a REQUEST to CID 2 port P connects to the Unix socket
 *                    "<uds>_P": RESPONSE when that works, else RST.
 *
 * Each connection keeps the credit of virtio 1.2, 5.10.6.3 both ways: the
 * guest is never sent more than its buf_alloc less what it has not
 * forwarded yet (a Unix socket is not read while the guest has no
 * credit), and we advertise a buffer of VSOCK_CONN_BUF bytes of our own,
 * which holds what the host socket does not take at once; a CREDIT_UPDATE
 * goes to the guest when its view of our free space falls behind.
 * Shutdown: a host EOF is SHUTDOWN(SEND) to the guest, a host hang-up
 * SHUTDOWN(RCV|SEND) followed by waiting for the guest's RST; the guest's
 * SHUTDOWN(SEND) is shutdown(SHUT_WR) on the socket once our buffer is
 * written, and its SHUTDOWN(RCV|SEND) answered with RST and the close.
 *
 * Everything here runs on the event loop's thread, under the device's
 * lock (`lock`, given at creation): the socket callbacks take it, and the
 * device calls vsock_mux_tx/rx with it held.  A reset from another thread
 * only asks (vsock_mux_request_reset); the connections are closed at the
 * next entry on the loop's thread, before anything else happens.
 */
#ifndef MINIVMM_VIRTIO_VSOCK_CONN_H
#define MINIVMM_VIRTIO_VSOCK_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "virtio/vsock_proto.h"

struct event_loop;
struct vsock_mux;

/* Connections at most; a REQUEST beyond it is answered with RST. */
#define VSOCK_MAX_CONNS 1024
/* The receive buffer we advertise per connection (buf_alloc). */
#define VSOCK_CONN_BUF (256u * 1024)
/* "CONNECT 4294967295\n" is 19 bytes; a longer line is refused. */
#define VSOCK_LINE_MAX 32
/* sun_path (108) less "_4294967295" and the NUL: the longest uds path. */
#define VSOCK_UDS_MAX 96
/* Host-initiated connections get local ports from here up (Firecracker). */
#define VSOCK_LOCAL_PORT_BASE (1u << 30)

struct vsock_mux_host {
	/* Packets for the guest are waiting (lock held, loop thread). */
	void (*rx_ready)(void *ctx);
	void *ctx;
};

/*
 * Listen at uds_path (an existing socket file nobody accepts on is
 * replaced; any other file, or a socket in use, is refused).  NULL with
 * err_msg().
 */
struct vsock_mux *vsock_mux_create(const char *name, uint64_t guest_cid,
				   const char *uds_path,
				   struct event_loop *loop,
				   pthread_mutex_t *lock,
				   const struct vsock_mux_host *host);
/* Close everything, remove the socket file (loop thread, lock not held). */
void vsock_mux_destroy(struct vsock_mux *mux);

/* Close every connection now (loop thread, lock held). */
void vsock_mux_close_all(struct vsock_mux *mux);
/* Close every connection at the next entry on the loop thread (lock held). */
void vsock_mux_request_reset(struct vsock_mux *mux);
/* Do a requested reset now, if one is pending (loop thread, lock held). */
void vsock_mux_sync(struct vsock_mux *mux);

/*
 * A packet the guest sent (tx queue), header decoded; `payload` holds
 * h->len bytes (the caller checked that they are there and at most
 * VSOCK_MAX_PKT_LEN).  Loop thread, lock held.
 */
void vsock_mux_tx(struct vsock_mux *mux, const struct vsock_hdr *h,
		  const struct iovec *payload, unsigned nr);

/* Whether a packet for the guest is waiting. */
bool vsock_mux_has_rx(const struct vsock_mux *mux);
/*
 * The next packet for the guest: *h filled, and for RW h->len payload
 * bytes read into iov (at most `room` bytes; iov may be trimmed).
 * Returns true when a packet was made, false when none is waiting.
 */
bool vsock_mux_rx(struct vsock_mux *mux, struct vsock_hdr *h,
		  struct iovec *iov, unsigned nr, uint32_t room);

/* For tests and -v. */
unsigned vsock_mux_nr_conns(const struct vsock_mux *mux);
/* Every timeout (CONNECT line, guest answer, close) set to ms (tests). */
void vsock_mux_set_timeout_ms(struct vsock_mux *mux, unsigned ms);

#endif
