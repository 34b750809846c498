// SPDX-License-Identifier: MIT
/*
 * virtio-vsock's connections to host Unix sockets: see vsock_conn.h.
 *
 * A connection is found by its key (our port, the guest's port) in a
 * small hash table.  What it has to tell the guest is a set of `want_*`
 * flags plus "the socket may have data"; a connection with any of those
 * sits once in the rx queue (a FIFO of connections), which the device
 * drains whenever the guest has posted rx buffers.  A socket whose data
 * cannot go to the guest yet (no rx buffer, no credit) is not polled for
 * input until that changes, so nothing spins.  Replies to packets that
 * belong to no connection (RST) wait in a small ring of their own.
 */
#include "virtio/vsock_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "event_loop.h"
#include "iov.h"
#include "log.h"

#define NR_BUCKETS 2048
/* Stray-packet RSTs waiting for rx buffers; more are dropped. */
#define RST_RING 64
/* Connections accepted per listener event (the rest: next round). */
#define ACCEPT_BATCH 16
/*
 * Send the guest a CREDIT_UPDATE once its view of our free space is
 * below this and we have freed some since our last packet.
 */
#define CREDIT_THRESHOLD (VSOCK_CONN_BUF / 2)
/* Timeouts: the CONNECT line (a person may type it), the rest. */
#define LINE_TIMEOUT_MS 30000u
#define ANSWER_TIMEOUT_MS 2000u

enum conn_state {
	CONN_LINE, /* host connected: waiting for "CONNECT <port>\n" */
	CONN_REQUESTED, /* REQUEST for the guest made; waiting for RESPONSE */
	CONN_CONNECTING, /* guest REQUEST: connect() to <uds>_P in progress */
	CONN_ESTABLISHED,
	CONN_CLOSING, /* SHUTDOWN(RCV|SEND) sent: waiting for the guest's RST */
};

struct vsock_conn {
	struct vsock_mux *mux;
	int fd;
	struct event_source *src; /* NULL once the socket hung up */
	uint32_t events; /* what src waits for */
	enum conn_state state;
	uint32_t local_port, peer_port;
	int slot;
	struct vsock_conn *hash_next;
	struct vsock_conn *rxq_next;
	bool in_rxq;

	/* For the guest, in this order of precedence. */
	bool want_rst, want_request, want_response;
	uint32_t want_shutdown; /* flags to send (beyond sent_shutdown) */
	bool want_credit_update, want_credit_request;
	bool credit_requested; /* a CREDIT_REQUEST since the last update */

	bool readable; /* the socket may have data for the guest */
	bool host_hup; /* the host closed its end (reads drain, then EOF) */
	uint32_t sent_shutdown; /* SHUTDOWN flags we sent */
	uint32_t peer_shutdown; /* SHUTDOWN flags the guest sent */
	bool shut_wr; /* shutdown(SHUT_WR) done */

	/* Guest to host: bytes received, written to the socket, advertised. */
	uint32_t g2h_recv, g2h_fwd, fwd_advertised;
	/* Host to guest: bytes sent; the guest's buffer and its forwarded count. */
	uint32_t h2g_sent, peer_buf_alloc, peer_fwd_cnt;

	/* What the socket did not take yet: a ring of VSOCK_CONN_BUF bytes. */
	uint8_t *buf;
	uint32_t buf_head, buf_len;

	uint64_t deadline_ns; /* 0: none */
	char line[VSOCK_LINE_MAX];
	unsigned line_len;
};

struct stray_rst {
	uint64_t src_cid; /* the stray packet's dst_cid */
	uint32_t src_port, dst_port;
};

struct vsock_mux {
	char name[32];
	uint64_t guest_cid;
	char uds[VSOCK_UDS_MAX + 1];
	struct event_loop *loop;
	pthread_mutex_t *lock;
	struct vsock_mux_host host;

	int listen_fd;
	struct event_source *listen_src;
	dev_t uds_dev;
	ino_t uds_ino;

	struct vsock_conn *slots[VSOCK_MAX_CONNS];
	unsigned nr_conns;
	struct vsock_conn *buckets[NR_BUCKETS];
	struct vsock_conn *rxq_head, *rxq_tail;
	struct stray_rst rst[RST_RING];
	unsigned rst_head, rst_len;
	uint32_t next_local_port;

	bool reset_pending;
	struct event_source *timer;
	unsigned line_timeout_ms, answer_timeout_ms;
	unsigned warned;
};

enum { WARN_SRC_CID = 1, WARN_RST_FULL = 2, WARN_TABLE_FULL = 4, WARN_CREDIT = 8 };

/* Each kind of trouble is logged once per device. */
#define WARN_ONCE(mux, kind, ...)                   \
	do {                                        \
		if (!((mux)->warned & (kind))) {    \
			(mux)->warned |= (kind);    \
			log_warn(__VA_ARGS__);      \
		}                                   \
	} while (0)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- The table ---- */

static unsigned bucket(uint32_t local, uint32_t peer)
{
	return (local * 2654435761u ^ peer * 40503u) % NR_BUCKETS;
}

static struct vsock_conn *lookup(const struct vsock_mux *mux, uint32_t local,
				 uint32_t peer)
{
	for (struct vsock_conn *c = mux->buckets[bucket(local, peer)]; c;
	     c = c->hash_next)
		if (c->local_port == local && c->peer_port == peer &&
		    c->state != CONN_LINE)
			return c;
	return NULL;
}

static void tick(void *opaque, uint32_t events);

static void set_deadline(struct vsock_conn *c, unsigned ms)
{
	struct vsock_mux *mux = c->mux;

	c->deadline_ns = now_ns() + (uint64_t)ms * 1000000ull;
	if (!mux->timer) {
		unsigned t = mux->answer_timeout_ms < mux->line_timeout_ms ?
				     mux->answer_timeout_ms : mux->line_timeout_ms;

		/* Ticks at a quarter of the shortest timeout, only while needed. */
		mux->timer = event_loop_add_timer(mux->loop,
						  (uint64_t)(t / 4 + 1) * 1000000ull,
						  true, tick, mux);
		if (!mux->timer)
			log_warn("%s: no timer for connection timeouts: %s",
				 mux->name, err_msg());
	}
}

/* A new connection in the table, or NULL when it is full. */
static struct vsock_conn *conn_new(struct vsock_mux *mux, int fd,
				   enum conn_state state, uint32_t local,
				   uint32_t peer)
{
	struct vsock_conn *c;
	unsigned b;
	int slot = -1;

	if (mux->nr_conns == VSOCK_MAX_CONNS)
		return NULL;
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (!mux->slots[i]) {
			slot = i;
			break;
		}
	c = calloc(1, sizeof(*c));
	if (!c || slot < 0) {
		free(c);
		return NULL;
	}
	c->mux = mux;
	c->fd = fd;
	c->state = state;
	c->local_port = local;
	c->peer_port = peer;
	c->slot = slot;
	b = bucket(local, peer);
	c->hash_next = mux->buckets[b];
	mux->buckets[b] = c;
	mux->slots[slot] = c;
	mux->nr_conns++;
	return c;
}

static void rxq_unlink(struct vsock_mux *mux, struct vsock_conn *c)
{
	struct vsock_conn **p = &mux->rxq_head, *prev = NULL;

	if (!c->in_rxq)
		return;
	while (*p && *p != c) {
		prev = *p;
		p = &(*p)->rxq_next;
	}
	if (*p)
		*p = c->rxq_next;
	if (mux->rxq_tail == c)
		mux->rxq_tail = prev;
	c->in_rxq = false;
	c->rxq_next = NULL;
}

static void conn_free(struct vsock_conn *c)
{
	struct vsock_mux *mux = c->mux;
	struct vsock_conn **p = &mux->buckets[bucket(c->local_port, c->peer_port)];

	rxq_unlink(mux, c);
	while (*p && *p != c)
		p = &(*p)->hash_next;
	if (*p)
		*p = c->hash_next;
	mux->slots[c->slot] = NULL;
	mux->nr_conns--;
	event_loop_remove(mux->loop, c->src);
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

void vsock_mux_close_all(struct vsock_mux *mux)
{
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		if (mux->slots[i])
			conn_free(mux->slots[i]);
	mux->rst_len = 0;
	mux->rst_head = 0;
	mux->reset_pending = false;
	if (mux->timer) {
		event_loop_remove(mux->loop, mux->timer);
		mux->timer = NULL;
	}
}

void vsock_mux_request_reset(struct vsock_mux *mux)
{
	mux->reset_pending = true;
}

void vsock_mux_sync(struct vsock_mux *mux)
{
	if (mux->reset_pending)
		vsock_mux_close_all(mux);
}

/* ---- What the guest is to hear ---- */

static uint32_t peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->h2g_sent - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

static bool can_read(const struct vsock_conn *c)
{
	return c->state == CONN_ESTABLISHED && c->readable &&
	       !(c->peer_shutdown & VSOCK_SHUTDOWN_RCV) &&
	       !(c->sent_shutdown & VSOCK_SHUTDOWN_SEND);
}

static bool has_rx(const struct vsock_conn *c)
{
	return c->want_rst || c->want_request || c->want_response ||
	       (c->want_shutdown & ~c->sent_shutdown) || c->want_credit_update ||
	       c->want_credit_request ||
	       /* Data to read, or (no credit) a CREDIT_REQUEST to make once. */
	       (can_read(c) && (peer_credit(c) || !c->credit_requested));
}

static void rxq_add(struct vsock_conn *c)
{
	struct vsock_mux *mux = c->mux;

	if (c->in_rxq || !has_rx(c))
		return;
	c->in_rxq = true;
	c->rxq_next = NULL;
	if (mux->rxq_tail)
		mux->rxq_tail->rxq_next = c;
	else
		mux->rxq_head = c;
	mux->rxq_tail = c;
}

static void set_events(struct vsock_conn *c, uint32_t events)
{
	if (!c->src || c->events == events)
		return;
	if (event_loop_modify(c->mux->loop, c->src, events) < 0)
		log_warn("%s: %s", c->mux->name, err_msg());
	c->events = events;
}

/* The connection is over: an RST to the guest, then it is freed. */
static void conn_reset(struct vsock_conn *c)
{
	c->want_rst = true;
	/* Nothing more from the socket: stop waiting on it. */
	set_events(c, 0);
	c->readable = false;
	rxq_add(c);
}

static void stray_rst(struct vsock_mux *mux, const struct vsock_hdr *h)
{
	struct stray_rst *r;

	if (mux->rst_len == RST_RING) {
		WARN_ONCE(mux, WARN_RST_FULL,
			  "%s: %d RSTs for the guest wait for rx buffers; dropping more",
			  mux->name, RST_RING);
		return;
	}
	r = &mux->rst[(mux->rst_head + mux->rst_len++) % RST_RING];
	r->src_cid = h->dst_cid;
	r->src_port = h->dst_port;
	r->dst_port = h->src_port;
}

static void kick_rx(struct vsock_mux *mux)
{
	if (vsock_mux_has_rx(mux) && mux->host.rx_ready)
		mux->host.rx_ready(mux->host.ctx);
}

/* ---- The host socket ---- */

/* Write what the ring holds; false when the socket failed. */
static bool flush(struct vsock_conn *c)
{
	while (c->buf_len) {
		uint32_t first = VSOCK_CONN_BUF - c->buf_head;
		struct iovec iov[2];
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 1 };
		ssize_t n;

		if (first > c->buf_len)
			first = c->buf_len;
		iov[0] = (struct iovec){ c->buf + c->buf_head, first };
		if (first < c->buf_len) {
			iov[1] = (struct iovec){ c->buf, c->buf_len - first };
			msg.msg_iovlen = 2;
		}
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return false;
		c->buf_head = (uint32_t)((c->buf_head + (uint32_t)n) % VSOCK_CONN_BUF);
		c->buf_len -= (uint32_t)n;
		c->g2h_fwd += (uint32_t)n;
	}
	if (!c->buf_len)
		c->buf_head = 0;
	return true;
}

/* After bytes left for the host: credit, half-close, full close. */
static void after_write(struct vsock_conn *c)
{
	uint32_t view = VSOCK_CONN_BUF - (c->g2h_recv - c->fwd_advertised);

	if (c->src)
		set_events(c, (c->events & ~(uint32_t)EPOLLOUT) |
				      (c->buf_len ? EPOLLOUT : 0));
	if (view < CREDIT_THRESHOLD && c->g2h_fwd != c->fwd_advertised) {
		c->want_credit_update = true;
		rxq_add(c);
	}
	if (c->buf_len)
		return;
	if ((c->peer_shutdown & VSOCK_SHUTDOWN_SEND) && !c->shut_wr) {
		shutdown(c->fd, SHUT_WR);
		c->shut_wr = true;
	}
	/* 5.10.6.5: both directions shut down by the guest: RST closes it. */
	if (c->peer_shutdown == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND))
		conn_reset(c);
}

/* Guest data for the socket: straight through, the rest into the ring. */
static void host_write(struct vsock_conn *c, const struct iovec *iov,
		       unsigned nr, uint32_t len)
{
	size_t done = 0;

	if (c->host_hup || c->state == CONN_CLOSING) {
		/* Nobody reads any more: drop it, keep the counts straight. */
		c->g2h_recv += len;
		c->g2h_fwd += len;
		return;
	}
	if (len > VSOCK_CONN_BUF - c->buf_len) {
		WARN_ONCE(c->mux, WARN_CREDIT,
			  "%s: the guest sent %u bytes beyond its credit, with room for %u; connection reset",
			  c->mux->name, len, VSOCK_CONN_BUF - c->buf_len);
		conn_reset(c);
		return;
	}
	c->g2h_recv += len;
	if (!c->buf_len && len) {
		struct msghdr msg = { .msg_iov = (struct iovec *)(uintptr_t)iov,
				      .msg_iovlen = nr };
		ssize_t n;

		do
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_reset(c);
			return;
		}
		if (n > 0) {
			done = (size_t)n;
			c->g2h_fwd += (uint32_t)n;
		}
	}
	if (done < len) {
		uint32_t rest = len - (uint32_t)done, tail, first;

		if (!c->buf && !(c->buf = malloc(VSOCK_CONN_BUF))) {
			conn_reset(c);
			return;
		}
		tail = (c->buf_head + c->buf_len) % VSOCK_CONN_BUF;
		first = VSOCK_CONN_BUF - tail;
		if (first > rest)
			first = rest;
		iov_to_buf(iov, nr, done, c->buf + tail, first);
		if (first < rest)
			iov_to_buf(iov, nr, done + first, c->buf, rest - first);
		c->buf_len += rest;
	}
	after_write(c);
}

/* "CONNECT <port>\n": the port, or -1. */
static int64_t parse_line(const char *s, unsigned len)
{
	uint64_t port = 0;
	unsigned i = 8, digits = 0;

	if (len < 10 || memcmp(s, "CONNECT ", 8) || s[len - 1] != '\n')
		return -1;
	for (; i < len - 1; i++) {
		if (s[i] < '0' || s[i] > '9' || ++digits > 10)
			return -1;
		port = port * 10 + (uint64_t)(s[i] - '0');
	}
	return digits && port <= UINT32_MAX ? (int64_t)port : -1;
}

static uint32_t new_local_port(struct vsock_mux *mux, uint32_t peer)
{
	for (;;) {
		uint32_t p = mux->next_local_port++;

		if (mux->next_local_port < VSOCK_LOCAL_PORT_BASE)
			mux->next_local_port = VSOCK_LOCAL_PORT_BASE;
		if (!lookup(mux, p, peer))
			return p;
	}
}

/* Read the CONNECT line a byte at a time: no byte after it is taken. */
static void read_line(struct vsock_conn *c)
{
	struct vsock_mux *mux = c->mux;

	while (c->line_len < VSOCK_LINE_MAX) {
		ssize_t n = read(c->fd, c->line + c->line_len, 1);
		int64_t port;
		unsigned b;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break; /* EOF or error before the line ended */
		if (c->line[c->line_len++] != '\n')
			continue;
		port = parse_line(c->line, c->line_len);
		if (port < 0) {
			log_info("%s: host connection: not a \"CONNECT <port>\\n\" line; closed",
				 mux->name);
			break;
		}
		/* Re-key: the guest port is known now, our port is chosen. */
		{
			struct vsock_conn **p = &mux->buckets[bucket(c->local_port, c->peer_port)];

			while (*p && *p != c)
				p = &(*p)->hash_next;
			if (*p)
				*p = c->hash_next;
		}
		c->peer_port = (uint32_t)port;
		c->local_port = new_local_port(mux, c->peer_port);
		b = bucket(c->local_port, c->peer_port);
		c->hash_next = mux->buckets[b];
		mux->buckets[b] = c;
		c->state = CONN_REQUESTED;
		c->want_request = true;
		/* The host waits for "OK": nothing to read until then. */
		set_events(c, 0);
		set_deadline(c, mux->answer_timeout_ms);
		rxq_add(c);
		return;
	}
	if (c->line_len == VSOCK_LINE_MAX)
		log_info("%s: host connection: CONNECT line longer than %d bytes; closed",
			 mux->name, VSOCK_LINE_MAX);
	conn_free(c);
}

static void conn_event(void *opaque, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct vsock_mux *mux = c->mux;

	pthread_mutex_lock(mux->lock);
	if (mux->reset_pending) {
		vsock_mux_close_all(mux); /* c is gone too */
		pthread_mutex_unlock(mux->lock);
		return;
	}
	switch (c->state) {
	case CONN_LINE:
		if (events & EPOLLIN)
			read_line(c);
		else
			conn_free(c);
		break;
	case CONN_REQUESTED:
		/* The host gave up before the guest answered. */
		if (c->want_request) {
			conn_free(c);
		} else {
			set_events(c, 0);
			event_loop_remove(mux->loop, c->src);
			c->src = NULL;
			conn_reset(c);
		}
		break;
	case CONN_CONNECTING: {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err ||
		    (events & (EPOLLERR | EPOLLHUP))) {
			conn_reset(c);
			break;
		}
		c->state = CONN_ESTABLISHED;
		c->deadline_ns = 0;
		c->want_response = true;
		set_events(c, EPOLLIN);
		rxq_add(c);
		break;
	}
	case CONN_ESTABLISHED:
	case CONN_CLOSING:
		if (events & EPOLLERR) {
			conn_reset(c);
			break;
		}
		if (events & EPOLLOUT) {
			if (!flush(c)) {
				conn_reset(c);
				break;
			}
			after_write(c);
			if (c->want_rst)
				break;
		}
		if (events & EPOLLHUP) {
			/* Level-triggered and unmaskable: stop watching; what is
			 * left in the socket is read when the guest has room. */
			c->host_hup = true;
			event_loop_remove(mux->loop, c->src);
			c->src = NULL;
			c->readable = true;
		} else if (events & EPOLLIN) {
			c->readable = true;
			/* Read when an rx buffer and credit are there. */
			set_events(c, c->events & ~(uint32_t)EPOLLIN);
		}
		if (c->readable && !can_read(c)) {
			/* Nobody will read it (SHUTDOWN RCV, EOF already seen). */
			c->readable = false;
			if (c->host_hup)
				c->want_shutdown |= VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND;
		}
		rxq_add(c);
		break;
	}
	kick_rx(mux);
	pthread_mutex_unlock(mux->lock);
}

static void listen_event(void *opaque, uint32_t events)
{
	struct vsock_mux *mux = opaque;

	(void)events;
	pthread_mutex_lock(mux->lock);
	vsock_mux_sync(mux);
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(mux->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;

		if (fd < 0)
			break;
		/* Keyed (0, 0) until its line comes: no packet names that. */
		c = conn_new(mux, fd, CONN_LINE, 0, 0);
		if (!c) {
			WARN_ONCE(mux, WARN_TABLE_FULL,
				  "%s: %d connections, the most there may be: refusing more",
				  mux->name, VSOCK_MAX_CONNS);
			close(fd);
			continue;
		}
		c->events = EPOLLIN;
		c->src = event_loop_add_fd(mux->loop, fd, EPOLLIN, conn_event, c);
		if (!c->src) {
			conn_free(c);
			continue;
		}
		set_deadline(c, mux->line_timeout_ms);
	}
	kick_rx(mux);
	pthread_mutex_unlock(mux->lock);
}

static void tick(void *opaque, uint32_t events)
{
	struct vsock_mux *mux = opaque;
	uint64_t now = now_ns();
	bool any = false;

	(void)events;
	pthread_mutex_lock(mux->lock);
	vsock_mux_sync(mux);
	for (int i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = mux->slots[i];

		if (!c || !c->deadline_ns)
			continue;
		if (c->deadline_ns > now) {
			any = true;
			continue;
		}
		c->deadline_ns = 0;
		if (c->state == CONN_LINE || (c->state == CONN_REQUESTED && c->want_request))
			conn_free(c);
		else if (!c->want_rst)
			conn_reset(c);
	}
	if (!any && mux->timer) {
		event_loop_remove(mux->loop, mux->timer);
		mux->timer = NULL;
	}
	kick_rx(mux);
	pthread_mutex_unlock(mux->lock);
}

/* ---- Packets from the guest ---- */

/* The guest asks for a connection to host port h->dst_port. */
static void guest_request(struct vsock_mux *mux, const struct vsock_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_conn *c;
	int fd, r;

	if (mux->nr_conns == VSOCK_MAX_CONNS) {
		WARN_ONCE(mux, WARN_TABLE_FULL,
			  "%s: %d connections, the most there may be: refusing more",
			  mux->name, VSOCK_MAX_CONNS);
		stray_rst(mux, h);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%" PRIu32, mux->uds,
		 h->dst_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		stray_rst(mux, h);
		return;
	}
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EINPROGRESS) {
		log_debug("%s: guest port %u to host port %u: %s: %s", mux->name,
			  h->src_port, h->dst_port, sa.sun_path, strerror(errno));
		close(fd);
		stray_rst(mux, h);
		return;
	}
	c = conn_new(mux, fd, r < 0 ? CONN_CONNECTING : CONN_ESTABLISHED,
		     h->dst_port, h->src_port);
	if (!c) {
		close(fd);
		stray_rst(mux, h);
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->events = r < 0 ? EPOLLOUT : EPOLLIN;
	c->src = event_loop_add_fd(mux->loop, fd, c->events, conn_event, c);
	if (!c->src) {
		conn_free(c);
		stray_rst(mux, h);
		return;
	}
	if (r == 0) {
		c->want_response = true;
		rxq_add(c);
	} else {
		set_deadline(c, mux->answer_timeout_ms);
	}
}

static void guest_shutdown(struct vsock_conn *c, uint32_t flags)
{
	c->peer_shutdown |= flags & (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	if (c->peer_shutdown & VSOCK_SHUTDOWN_RCV) {
		/* The guest reads no more: leave the socket's data where it is. */
		c->readable = false;
		set_events(c, c->events & ~(uint32_t)EPOLLIN);
	}
	if (c->state == CONN_CLOSING &&
	    c->peer_shutdown == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) {
		conn_reset(c);
		return;
	}
	after_write(c); /* SHUT_WR, or the RST, once the ring is written */
	if (!c->want_rst && c->peer_shutdown == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND))
		set_deadline(c, c->mux->answer_timeout_ms);
}

void vsock_mux_tx(struct vsock_mux *mux, const struct vsock_hdr *h,
		  const struct iovec *payload, unsigned nr)
{
	struct vsock_conn *c;

	vsock_mux_sync(mux);
	if (h->src_cid != mux->guest_cid) {
		WARN_ONCE(mux, WARN_SRC_CID,
			  "%s: a packet from CID %" PRIu64 ", not the guest's %" PRIu64 "; dropped",
			  mux->name, h->src_cid, mux->guest_cid);
		return;
	}
	if (h->op == VSOCK_OP_RST && !lookup(mux, h->dst_port, h->src_port))
		return; /* never answer an RST */
	if (h->dst_cid != VSOCK_HOST_CID || h->type != VSOCK_TYPE_STREAM) {
		/* Nothing of ours there, or not a stream (5.10.6.1): refused. */
		if (h->op != VSOCK_OP_RST)
			stray_rst(mux, h);
		return;
	}
	c = lookup(mux, h->dst_port, h->src_port);
	if (!c) {
		if (h->op == VSOCK_OP_REQUEST)
			guest_request(mux, h);
		else
			stray_rst(mux, h);
		return;
	}
	if (h->op == VSOCK_OP_RST) {
		conn_free(c);
		return;
	}
	if (c->want_rst)
		return; /* being reset: an RST is on its way */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_REQUEST:
		/* A second REQUEST on a live connection: the guest lost it. */
		conn_reset(c);
		return;
	case VSOCK_OP_RESPONSE:
		if (c->state != CONN_REQUESTED || c->want_request) {
			conn_reset(c);
			return;
		}
		{
			char ok[24];
			int n = snprintf(ok, sizeof(ok), "OK %" PRIu32 "\n", c->local_port);
			ssize_t w = send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);

			/* A fresh socket's empty buffer takes 14 bytes. */
			if (w != n) {
				conn_reset(c);
				return;
			}
		}
		c->state = CONN_ESTABLISHED;
		c->deadline_ns = 0;
		if (c->src) {
			set_events(c, EPOLLIN);
		}
		break;
	case VSOCK_OP_SHUTDOWN:
		if (c->state != CONN_ESTABLISHED && c->state != CONN_CLOSING) {
			conn_reset(c);
			return;
		}
		guest_shutdown(c, h->flags);
		break;
	case VSOCK_OP_RW:
		if (c->state != CONN_ESTABLISHED && c->state != CONN_CLOSING) {
			conn_reset(c);
			return;
		}
		if (c->peer_shutdown & VSOCK_SHUTDOWN_SEND) {
			conn_reset(c); /* data after its own SHUTDOWN(SEND) */
			return;
		}
		host_write(c, payload, nr, h->len);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->want_credit_update = true;
		break;
	default:
		conn_reset(c);
		return;
	}
	/*
	 * Credit again: a socket kept unread for want of it (readable, not
	 * polled) is read through the rx queue now.
	 */
	if (peer_credit(c) > 0)
		c->credit_requested = false;
	rxq_add(c);
}

/* ---- Packets for the guest ---- */

bool vsock_mux_has_rx(const struct vsock_mux *mux)
{
	return !mux->reset_pending && (mux->rst_len || mux->rxq_head);
}

static void base_hdr(const struct vsock_mux *mux, struct vsock_hdr *h,
		     uint32_t src_port, uint32_t dst_port, uint16_t op)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = mux->guest_cid,
		.src_port = src_port,
		.dst_port = dst_port,
		.type = VSOCK_TYPE_STREAM,
		.op = op,
	};
}

/* Keep the first `len` bytes of iov (a trimmed copy of at most nr pieces). */
static unsigned trim(struct iovec *iov, unsigned nr, size_t len)
{
	unsigned i;

	for (i = 0; i < nr && len; i++) {
		if (iov[i].iov_len > len)
			iov[i].iov_len = len;
		len -= iov[i].iov_len;
	}
	return i;
}

/*
 * The connection's next packet into *h (and iov), or false when it has
 * nothing to send now.  *gone: the connection was freed (after its RST).
 */
static bool conn_rx(struct vsock_conn *c, struct vsock_hdr *h,
		    struct iovec *iov, unsigned nr, uint32_t room, bool *gone)
{
	struct vsock_mux *mux = c->mux;

	*gone = false;
	base_hdr(mux, h, c->local_port, c->peer_port, VSOCK_OP_INVALID);
	h->buf_alloc = VSOCK_CONN_BUF;
	h->fwd_cnt = c->g2h_fwd;
	if (c->want_rst) {
		h->op = VSOCK_OP_RST;
		conn_free(c);
		*gone = true;
		return true;
	}
	if (c->want_request) {
		c->want_request = false;
		h->op = VSOCK_OP_REQUEST;
		goto sent;
	}
	if (c->want_response) {
		c->want_response = false;
		h->op = VSOCK_OP_RESPONSE;
		goto sent;
	}
	while (can_read(c)) {
		uint32_t credit = peer_credit(c), want;
		ssize_t n;

		if (!credit) {
			if (!c->credit_requested) {
				c->credit_requested = true;
				c->want_credit_request = true;
			}
			break;
		}
		want = credit < room ? credit : room;
		if (want > VSOCK_MAX_PKT_LEN)
			want = VSOCK_MAX_PKT_LEN;
		if (!want)
			break;
		nr = trim(iov, nr, want);
		do
			n = readv(c->fd, iov, (int)nr);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			h->op = VSOCK_OP_RW;
			h->len = (uint32_t)n;
			c->h2g_sent += (uint32_t)n;
			goto sent;
		}
		c->readable = false;
		if (n == 0) {
			/* EOF: the host sends no more (and, hung up, reads no more). */
			c->want_shutdown |= VSOCK_SHUTDOWN_SEND |
					    (c->host_hup ? VSOCK_SHUTDOWN_RCV : 0);
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			set_events(c, c->events | EPOLLIN);
		} else {
			h->op = VSOCK_OP_RST;
			conn_free(c);
			*gone = true;
			return true;
		}
	}
	if (c->want_shutdown & ~c->sent_shutdown) {
		c->sent_shutdown |= c->want_shutdown;
		h->op = VSOCK_OP_SHUTDOWN;
		h->flags = c->sent_shutdown;
		if (c->sent_shutdown == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) {
			c->state = CONN_CLOSING;
			set_deadline(c, mux->answer_timeout_ms);
		}
		goto sent;
	}
	if (c->want_credit_update) {
		c->want_credit_update = false;
		h->op = VSOCK_OP_CREDIT_UPDATE;
		goto sent;
	}
	if (c->want_credit_request) {
		c->want_credit_request = false;
		h->op = VSOCK_OP_CREDIT_REQUEST;
		goto sent;
	}
	return false;
sent:
	c->fwd_advertised = c->g2h_fwd;
	return true;
}

bool vsock_mux_rx(struct vsock_mux *mux, struct vsock_hdr *h,
		  struct iovec *iov, unsigned nr, uint32_t room)
{
	vsock_mux_sync(mux);
	if (mux->rst_len) {
		const struct stray_rst *r = &mux->rst[mux->rst_head];

		base_hdr(mux, h, r->src_port, r->dst_port, VSOCK_OP_RST);
		h->src_cid = r->src_cid;
		mux->rst_head = (mux->rst_head + 1) % RST_RING;
		mux->rst_len--;
		return true;
	}
	/* Each queued connection once at most: one may keep nothing to send. */
	for (unsigned n = mux->nr_conns; n-- > 0 && mux->rxq_head;) {
		struct vsock_conn *c = mux->rxq_head;
		bool gone, got;

		/* Off the queue while it is served; back at the tail if more. */
		mux->rxq_head = c->rxq_next;
		if (!mux->rxq_head)
			mux->rxq_tail = NULL;
		c->in_rxq = false;
		c->rxq_next = NULL;
		got = conn_rx(c, h, iov, nr, room, &gone);
		if (!gone)
			rxq_add(c);
		if (got)
			return true;
	}
	return false;
}

/* ---- Setup ---- */

unsigned vsock_mux_nr_conns(const struct vsock_mux *mux)
{
	return mux->nr_conns;
}

void vsock_mux_set_timeout_ms(struct vsock_mux *mux, unsigned ms)
{
	mux->line_timeout_ms = ms;
	mux->answer_timeout_ms = ms;
}

/* An existing file at path: a stale socket is removed, anything else refused. */
static int clear_path(const char *name, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_errno("%s: uds=%s", name, path);
	if (!S_ISSOCK(st.st_mode))
		return err_set("%s: uds=%s exists and is not a socket", name, path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_errno("%s: socket", name);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0 || errno == EAGAIN)
		return err_set("%s: uds=%s: another program listens on that socket",
			       name, path);
	if (unlink(path) < 0)
		return err_errno("%s: uds=%s: removing the old socket", name, path);
	return 0;
}

struct vsock_mux *vsock_mux_create(const char *name, uint64_t guest_cid,
				   const char *uds_path,
				   struct event_loop *loop,
				   pthread_mutex_t *lock,
				   const struct vsock_mux_host *host)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_mux *mux;
	struct stat st;

	if (!uds_path || !*uds_path || strlen(uds_path) > VSOCK_UDS_MAX) {
		err_set("%s: uds=%s: a path of 1 to %d bytes", name,
			uds_path ? uds_path : "", VSOCK_UDS_MAX);
		return NULL;
	}
	if (clear_path(name, uds_path) < 0)
		return NULL;
	mux = calloc(1, sizeof(*mux));
	if (!mux) {
		err_set("%s: out of memory", name);
		return NULL;
	}
	snprintf(mux->name, sizeof(mux->name), "%s", name);
	snprintf(mux->uds, sizeof(mux->uds), "%s", uds_path);
	mux->guest_cid = guest_cid;
	mux->loop = loop;
	mux->lock = lock;
	mux->host = *host;
	mux->next_local_port = VSOCK_LOCAL_PORT_BASE;
	mux->line_timeout_ms = LINE_TIMEOUT_MS;
	mux->answer_timeout_ms = ANSWER_TIMEOUT_MS;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds_path);
	mux->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (mux->listen_fd < 0) {
		err_errno("%s: socket", name);
		free(mux);
		return NULL;
	}
	if (bind(mux->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(mux->listen_fd, 64) < 0) {
		err_errno("%s: uds=%s", name, uds_path);
		close(mux->listen_fd);
		free(mux);
		return NULL;
	}
	if (stat(uds_path, &st) == 0) {
		mux->uds_dev = st.st_dev;
		mux->uds_ino = st.st_ino;
	}
	mux->listen_src = event_loop_add_fd(loop, mux->listen_fd, EPOLLIN,
					    listen_event, mux);
	if (!mux->listen_src) {
		close(mux->listen_fd);
		unlink(uds_path);
		free(mux);
		return NULL;
	}
	return mux;
}

void vsock_mux_destroy(struct vsock_mux *mux)
{
	struct stat st;

	if (!mux)
		return;
	pthread_mutex_lock(mux->lock);
	vsock_mux_close_all(mux);
	pthread_mutex_unlock(mux->lock);
	event_loop_remove(mux->loop, mux->listen_src);
	close(mux->listen_fd);
	/* Our socket file only: another run may have replaced it since. */
	if (stat(mux->uds, &st) == 0 && st.st_dev == mux->uds_dev &&
	    st.st_ino == mux->uds_ino)
		unlink(mux->uds);
	free(mux);
}
