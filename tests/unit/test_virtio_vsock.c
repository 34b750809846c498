// SPDX-License-Identifier: MIT
/*
 * virtio-vsock (virtio 1.2, 5.10) through the virtio-mmio registers, a
 * driver of our own on its three queues, and real Unix sockets in a
 * temporary directory: host-initiated connections (CONNECT line, REQUEST,
 * RESPONSE, OK line) and their refusals, guest-initiated ones to <uds>_P,
 * data both ways, credit both ways, shutdown both ways, reset, timeouts,
 * a full connection table, malformed packets, and snapshots (the CID,
 * and the TRANSPORT_RESET event after a load).
 *
 * The device serves its queues on the event loop's thread: after a kick
 * the test runs the loop (pump) until nothing is left to do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "byteorder.h"
#include "event_loop.h"
#include "irq.h"
#include "log.h"
#include "mem.h"
#include "unit.h"
#include "vdriver.h"
#include "virtio/mmio.h"
#include "virtio/vhost_vsock.h"
#include "virtio/virtio.h"
#include "virtio/vsock.h"
#include "virtio/vsock_conn.h"
#include "virtio/vsock_proto.h"

#define RAM_SIZE (8ull << 20)
#define BASE 0xfe800000ull
#define QSIZE 64
#define RING(q) (0x1000ull + (q) * 0x3000ull) /* desc; avail +0x1000, used +0x2000 */
#define EVBUF 0xa000ull
#define RXBUF 0x10000ull
#define RXBUF_LEN 4096u
#define TXBUF 0x100000ull
#define TXBUF_LEN (VSOCK_HDR_LEN + VSOCK_MAX_PKT_LEN)
#define CID 3u
#define GPORT 1234u /* the guest's port in guest-initiated tests */
#define LOCAL0 VSOCK_LOCAL_PORT_BASE

struct fx {
	char dir[64], uds[80];
	struct guest_mem mem;
	struct mem_backend *ram;
	struct bus mmio;
	struct irq_line irq;
	struct event_loop *loop;
	struct virtio_dev *dev;
	struct virtio_mmio *m;
	struct vdrv q[3];
	uint16_t seen[3]; /* used entries taken */
	unsigned rx_posted;
};

struct pkt {
	struct vsock_hdr h;
	uint8_t data[RXBUF_LEN];
};

static void on_irq(struct irq_line *line, bool level)
{
	(void)line;
	(void)level;
}

static uint32_t rd(struct fx *f, uint64_t off)
{
	uint8_t d[4];

	bus_read(&f->mmio, BASE + off, d, 4);
	return (uint32_t)bus_data_get(d, 4);
}

static void wr(struct fx *f, uint64_t off, uint32_t v)
{
	uint8_t d[4];

	bus_data_put(d, 4, v);
	bus_write(&f->mmio, BASE + off, d, 4);
}

/* Run the loop until a round finds nothing to do. */
static void pump(struct fx *f)
{
	for (int i = 0; i < 200; i++)
		if (event_loop_run_once(f->loop, 0) <= 0)
			return;
}

static void queues_up(struct fx *f)
{
	for (unsigned q = 0; q < 3; q++) {
		wr(f, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(f, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
		wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING(q));
		wr(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(RING(q) + 0x1000));
		wr(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(RING(q) + 0x2000));
		wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
		vdrv_init(&f->q[q], f->ram->hva, QSIZE, RING(q), RING(q) + 0x1000,
			  RING(q) + 0x2000);
		f->seen[q] = 0;
	}
	f->rx_posted = 0;
}

static void bring_up(struct fx *f)
{
	wr(f, VIRTIO_MMIO_STATUS, 3);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(f, VIRTIO_MMIO_STATUS, 0x0b);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0x0b);
	queues_up(f);
	wr(f, VIRTIO_MMIO_STATUS, 0x0f);
	pump(f);
}

static struct fx *fx_new_in(const char *dir, uint64_t cid)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	if (dir) {
		snprintf(f->dir, sizeof(f->dir), "%s", dir);
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/minivmm-vsock-XXXXXX");
		assert_non_null(mkdtemp(f->dir));
	}
	snprintf(f->uds, sizeof(f->uds), "%s/v.sock", f->dir);
	mem_init(&f->mem);
	f->ram = mem_backend_create(&f->mem, "ram", RAM_SIZE, NULL);
	assert_int_equal(mem_add_region(&f->mem, "ram", f->ram, 0, 0, RAM_SIZE,
					false, true), 0);
	bus_init(&f->mmio, "mmio", 0);
	irq_line_init(&f->irq, 16, on_irq, f);
	f->loop = event_loop_create();
	assert_non_null(f->loop);
	f->dev = virtio_vsock_create("virtio-vsock0", &f->mem, cid, f->uds, f->loop);
	assert_non_null(f->dev);
	f->m = virtio_mmio_create(f->dev, &f->irq);
	assert_non_null(f->m);
	assert_int_equal(virtio_mmio_register(f->m, &f->mmio, BASE), 0);
	return f;
}

static struct fx *fx_new(void)
{
	struct fx *f = fx_new_in(NULL, CID);

	bring_up(f);
	return f;
}

static void fx_free_keep_dir(struct fx *f)
{
	virtio_mmio_device_ops.destroy(f->m);
	event_loop_destroy(f->loop);
	bus_destroy(&f->mmio);
	mem_destroy(&f->mem);
}

static void rm_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void fx_free(struct fx *f)
{
	struct stat st;

	fx_free_keep_dir(f);
	/* The device removes its socket file. */
	assert_int_equal(stat(f->uds, &st), -1);
	rm_dir(f->dir);
	free(f);
}

/* ---- The driver's side ---- */

static void kick(struct fx *f, unsigned q)
{
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	pump(f);
}

/* n more rx buffers of RXBUF_LEN bytes. */
static void post_rx(struct fx *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t head = f->q[0].next_desc % QSIZE;
		struct vbuf b = { RXBUF + head * (uint64_t)RXBUF_LEN, RXBUF_LEN, true };

		vdrv_add_chain(&f->q[0], &b, 1);
		f->rx_posted++;
	}
	kick(f, 0);
}

/* A raw tx chain of len bytes at TXBUF (head, payload...). */
static void send_raw(struct fx *f, const uint8_t *bytes, uint32_t len)
{
	uint16_t head = f->q[1].next_desc % QSIZE;
	uint64_t gpa = TXBUF + head * (uint64_t)TXBUF_LEN;
	struct vbuf b = { gpa, len, false };
	uint16_t used = vdrv_used_idx(&f->q[1]);

	assert_true(len <= TXBUF_LEN);
	memcpy(f->ram->hva + gpa, bytes, len);
	vdrv_add_chain(&f->q[1], &b, 1);
	kick(f, 1);
	/* Every tx chain comes back. */
	assert_int_equal(vdrv_used_idx(&f->q[1]), (uint16_t)(used + 1));
	f->seen[1]++;
}

static struct vsock_hdr hdr(uint32_t src_port, uint32_t dst_port, uint16_t op)
{
	return (struct vsock_hdr){ .src_cid = CID, .dst_cid = VSOCK_HOST_CID,
				   .src_port = src_port, .dst_port = dst_port,
				   .type = VSOCK_TYPE_STREAM, .op = op,
				   .buf_alloc = 64 * 1024 };
}

static void send_pkt(struct fx *f, struct vsock_hdr h, const void *data,
		     uint32_t len)
{
	static uint8_t buf[TXBUF_LEN];

	h.len = len;
	vsock_hdr_encode(buf, &h);
	if (len)
		memcpy(buf + VSOCK_HDR_LEN, data, len);
	send_raw(f, buf, VSOCK_HDR_LEN + len);
}

/* The next packet the device put in the rx queue; false when none. */
static bool recv_pkt(struct fx *f, struct pkt *p)
{
	uint16_t i = f->seen[0];
	uint32_t id, len;
	const uint8_t *b;

	if (vdrv_used_idx(&f->q[0]) == i)
		return false;
	id = vdrv_used_id(&f->q[0], i);
	len = vdrv_used_len(&f->q[0], i);
	f->seen[0]++;
	f->rx_posted--;
	assert_true(id < QSIZE);
	assert_true(len >= VSOCK_HDR_LEN && len <= RXBUF_LEN);
	b = f->ram->hva + RXBUF + id * (uint64_t)RXBUF_LEN;
	vsock_hdr_decode(&p->h, b);
	assert_int_equal(p->h.len, len - VSOCK_HDR_LEN);
	memcpy(p->data, b + VSOCK_HDR_LEN, p->h.len);
	/* From the host, to us, a stream. */
	assert_int_equal(p->h.dst_cid, CID);
	assert_int_equal(p->h.type, VSOCK_TYPE_STREAM);
	return true;
}

static struct pkt *expect_pkt(struct fx *f, uint16_t op)
{
	static struct pkt p;

	assert_true(recv_pkt(f, &p));
	if (p.h.op != op)
		fail_msg("packet op %u, wanted %u", p.h.op, op);
	assert_int_equal(p.h.src_cid, VSOCK_HOST_CID);
	return &p;
}

static void expect_nothing(struct fx *f)
{
	struct pkt p;

	if (recv_pkt(f, &p))
		fail_msg("an unexpected packet, op %u", p.h.op);
}

/* ---- The host's side ---- */

static int host_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int host_listen(struct fx *f, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", f->uds, port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 2048), 0);
	return fd;
}

/*
 * Bytes readable within a short wait: what was read, 0 when the device
 * closed its end (EOF, or ECONNRESET when it left bytes unread), -1 when
 * nothing came.
 */
static ssize_t host_read(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 200) <= 0)
		return -1;
	n = recv(fd, buf, len, MSG_DONTWAIT);
	if (n < 0 && errno == ECONNRESET)
		return 0;
	assert_true(n >= 0);
	return n;
}

static void host_write(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* A host-initiated connection to guest port `port`, established. */
static int host_open(struct fx *f, uint32_t port, uint32_t *local)
{
	char line[32], ok[32];
	int fd = host_connect(f->uds);
	struct pkt *p;
	struct vsock_hdr h;
	int n;

	n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	host_write(fd, line, (size_t)n);
	pump(f);
	if (!f->rx_posted)
		post_rx(f, 8);
	p = expect_pkt(f, VSOCK_OP_REQUEST);
	assert_int_equal(p->h.dst_port, port);
	assert_true(p->h.src_port >= VSOCK_LOCAL_PORT_BASE);
	assert_int_equal(p->h.buf_alloc, VSOCK_CONN_BUF);
	*local = p->h.src_port;
	h = hdr(port, *local, VSOCK_OP_RESPONSE);
	send_pkt(f, h, NULL, 0);
	n = snprintf(line, sizeof(line), "OK %u\n", *local);
	assert_int_equal(host_read(fd, ok, sizeof(ok)), n);
	assert_memory_equal(ok, line, (size_t)n);
	return fd;
}

/* A guest-initiated connection from GPORT to host port `port`: the host end. */
static int guest_open(struct fx *f, uint32_t port, int *listener)
{
	int fd;

	*listener = host_listen(f, port);
	send_pkt(f, hdr(GPORT, port, VSOCK_OP_REQUEST), NULL, 0);
	if (!f->rx_posted)
		post_rx(f, 8);
	expect_pkt(f, VSOCK_OP_RESPONSE);
	fd = accept4(*listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* ---- Tests ---- */

static void test_config_and_ids(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG), CID);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG + 4), 0);
	fx_free(f);
}

static void test_bad_cid_and_paths(void **state)
{
	char dir[] = "/tmp/minivmm-vsock-XXXXXX", path[VSOCK_UDS_MAX + 8];
	struct event_loop *loop = event_loop_create();
	struct guest_mem mem;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct virtio_dev *dev;
	int fd;

	(void)state;
	mem_init(&mem);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/v.sock", dir);
	assert_null(virtio_vsock_create("v", &mem, 2, path, loop));
	assert_err_contains("guest-cid=2");
	assert_null(virtio_vsock_create("v", &mem, 0xffffffffull, path, loop));
	assert_err_contains("3 to 4294967294");
	/* A file that is not a socket is left alone. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_null(virtio_vsock_create("v", &mem, CID, path, loop));
	assert_err_contains("is not a socket");
	unlink(path);
	/* A socket someone listens on is refused... */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_null(virtio_vsock_create("v", &mem, CID, path, loop));
	assert_err_contains("another program listens");
	/* ... and a stale one (nobody listens any more) replaced. */
	close(fd);
	dev = virtio_vsock_create("v", &mem, CID, path, loop);
	assert_non_null(dev);
	virtio_dev_destroy(dev);
	/* Too long for <uds>_PORT in sun_path. */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[VSOCK_UDS_MAX + 1] = '\0';
	assert_null(virtio_vsock_create("v", &mem, CID, path, loop));
	assert_err_contains("1 to 96 bytes");
	event_loop_destroy(loop);
	mem_destroy(&mem);
	rm_dir(dir);
}

static void test_host_connect(void **state)
{
	struct fx *f = fx_new();
	uint32_t local, local2;
	int a, b;

	(void)state;
	post_rx(f, 8);
	a = host_open(f, 5000, &local);
	assert_int_equal(local, LOCAL0);
	b = host_open(f, 5000, &local2);
	assert_int_equal(local2, LOCAL0 + 1); /* one local port each */
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 2);
	expect_nothing(f);
	close(a);
	close(b);
	fx_free(f);
}

static void test_host_connect_refused_by_guest(void **state)
{
	struct fx *f = fx_new();
	struct pkt *p;
	char c;
	int fd = host_connect(f->uds);

	(void)state;
	post_rx(f, 4);
	host_write(fd, "CONNECT 7\n", 10);
	pump(f);
	p = expect_pkt(f, VSOCK_OP_REQUEST);
	/* Nothing listens on guest port 7: the guest answers RST. */
	send_pkt(f, hdr(7, p->h.src_port, VSOCK_OP_RST), NULL, 0);
	assert_int_equal(host_read(fd, &c, 1), 0); /* closed, no OK */
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	expect_nothing(f); /* an RST is never answered */
	close(fd);
	fx_free(f);
}

static void test_connect_line_refusals(void **state)
{
	static const char *const bad[] = {
		"CONNECT\n", "CONNECT \n", "CONNECT x\n", "connect 5\n",
		"CONNECT 5 \n", "CONNECT 4294967296\n", "CONNECT -1\n",
		"CONNECT 00000000001\n",
		"CONNECT 1234567890123456789012345678901234567890", /* no end */
	};
	struct fx *f = fx_new();
	char buf[8];

	(void)state;
	post_rx(f, 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = host_connect(f->uds);

		host_write(fd, bad[i], strlen(bad[i]));
		pump(f);
		if (host_read(fd, buf, sizeof(buf)) != 0)
			fail_msg("\"%s\" was not refused", bad[i]);
		close(fd);
	}
	/* A host that closes before its line is done. */
	{
		int fd = host_connect(f->uds);

		host_write(fd, "CONN", 4);
		pump(f);
		assert_int_equal(virtio_vsock_nr_conns(f->dev), 1);
		close(fd);
		pump(f);
	}
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	expect_nothing(f); /* the guest heard of none of them */
	fx_free(f);
}

static void test_connect_line_split_and_data_after_it(void **state)
{
	struct fx *f = fx_new();
	struct pkt *p;
	char ok[32];
	int fd = host_connect(f->uds);

	(void)state;
	post_rx(f, 4);
	host_write(fd, "CONNE", 5);
	pump(f);
	expect_nothing(f);
	/* The rest of the line and data the host sends at once. */
	host_write(fd, "CT 80\nearly", 11);
	pump(f);
	p = expect_pkt(f, VSOCK_OP_REQUEST);
	assert_int_equal(p->h.dst_port, 80);
	send_pkt(f, hdr(80, LOCAL0, VSOCK_OP_RESPONSE), NULL, 0);
	assert_int_equal(host_read(fd, ok, sizeof(ok)), 14);
	p = expect_pkt(f, VSOCK_OP_RW);
	assert_int_equal(p->h.len, 5);
	assert_memory_equal(p->data, "early", 5);
	close(fd);
	fx_free(f);
}

static void test_guest_connect(void **state)
{
	struct fx *f = fx_new();
	struct pkt *p;
	int l, fd;

	(void)state;
	post_rx(f, 8);
	fd = guest_open(f, 6000, &l);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 1);
	/* Nothing listens at <uds>_6001: RST. */
	send_pkt(f, hdr(GPORT + 1, 6001, VSOCK_OP_REQUEST), NULL, 0);
	p = expect_pkt(f, VSOCK_OP_RST);
	assert_int_equal(p->h.src_port, 6001);
	assert_int_equal(p->h.dst_port, GPORT + 1);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 1);
	close(fd);
	close(l);
	fx_free(f);
}

static void test_data_both_ways(void **state)
{
	struct fx *f = fx_new();
	struct pkt *p;
	uint32_t local;
	char buf[64];
	int l, g, h;

	(void)state;
	post_rx(f, 16);
	h = host_open(f, 5000, &local);
	g = guest_open(f, 7000, &l);

	/* Guest to host on both connections. */
	send_pkt(f, hdr(5000, local, VSOCK_OP_RW), "to-h", 4);
	assert_int_equal(host_read(h, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "to-h", 4);
	send_pkt(f, hdr(GPORT, 7000, VSOCK_OP_RW), "to-g", 4);
	assert_int_equal(host_read(g, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "to-g", 4);

	/* Host to guest, with the connection's ports and our credit. */
	host_write(h, "hello", 5);
	pump(f);
	p = expect_pkt(f, VSOCK_OP_RW);
	assert_int_equal(p->h.src_port, local);
	assert_int_equal(p->h.dst_port, 5000);
	assert_int_equal(p->h.buf_alloc, VSOCK_CONN_BUF);
	assert_int_equal(p->h.fwd_cnt, 4); /* the 4 bytes it forwarded */
	assert_memory_equal(p->data, "hello", 5);
	host_write(g, "world", 5);
	pump(f);
	p = expect_pkt(f, VSOCK_OP_RW);
	assert_int_equal(p->h.src_port, 7000);
	assert_int_equal(p->h.dst_port, GPORT);
	assert_memory_equal(p->data, "world", 5);
	expect_nothing(f);
	close(h);
	close(g);
	close(l);
	fx_free(f);
}

/* A paused VM: host data waits; going on, it reaches the guest. */
static void test_pause_holds_host_data(void **state)
{
	struct fx *f = fx_new();
	struct pkt *p;
	uint32_t local;
	int h;

	(void)state;
	post_rx(f, 16);
	h = host_open(f, 5000, &local);
	virtio_mmio_device_ops.pause(f->m, true);
	host_write(h, "held", 4);
	pump(f);
	expect_nothing(f);
	virtio_mmio_device_ops.pause(f->m, false);
	pump(f);
	p = expect_pkt(f, VSOCK_OP_RW);
	assert_int_equal(p->h.src_port, local);
	assert_memory_equal(p->data, "held", 4);
	expect_nothing(f);
	close(h);
	fx_free(f);
}

static void test_no_rx_buffers_no_spin(void **state)
{
	struct fx *f = fx_new();
	uint32_t local;
	int h;

	(void)state;
	post_rx(f, 2);
	h = host_open(f, 5000, &local);
	/* Use up the remaining rx buffer. */
	host_write(h, "a", 1);
	pump(f);
	expect_pkt(f, VSOCK_OP_RW);
	assert_int_equal(f->rx_posted, 0);
	host_write(h, "bcd", 3);
	pump(f);
	/* Data waits in the socket and the loop is idle: nothing polls. */
	assert_int_equal(event_loop_run_once(f->loop, 20), 0);
	expect_nothing(f);
	post_rx(f, 1);
	assert_memory_equal(expect_pkt(f, VSOCK_OP_RW)->data, "bcd", 3);
	close(h);
	fx_free(f);
}

static void test_guest_credit_limits_host_data(void **state)
{
	struct fx *f = fx_new();
	struct vsock_hdr h;
	struct pkt *p;
	uint8_t data[300];
	uint32_t local, got = 0;
	int fd;

	(void)state;
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	post_rx(f, 16);
	fd = host_open(f, 5000, &local);
	/* The guest has room for 100 bytes. */
	h = hdr(5000, local, VSOCK_OP_CREDIT_UPDATE);
	h.buf_alloc = 100;
	send_pkt(f, h, NULL, 0);
	host_write(fd, data, sizeof(data));
	pump(f);
	while (got < 100) {
		p = expect_pkt(f, VSOCK_OP_RW);
		assert_memory_equal(p->data, data + got, p->h.len);
		got += p->h.len;
	}
	assert_int_equal(got, 100);
	/* Out of credit: one CREDIT_REQUEST, then nothing, and no polling. */
	expect_pkt(f, VSOCK_OP_CREDIT_REQUEST);
	expect_nothing(f);
	assert_int_equal(event_loop_run_once(f->loop, 20), 0);
	/* The guest consumed 60: 60 more come. */
	h.fwd_cnt = 60;
	send_pkt(f, h, NULL, 0);
	p = expect_pkt(f, VSOCK_OP_RW);
	assert_int_equal(p->h.len, 60);
	assert_memory_equal(p->data, data + 100, 60);
	expect_pkt(f, VSOCK_OP_CREDIT_REQUEST);
	expect_nothing(f);
	/* A RW carries credit as well: all consumed, buffer of 1000. */
	h = hdr(5000, local, VSOCK_OP_RW);
	h.buf_alloc = 1000;
	h.fwd_cnt = 160;
	send_pkt(f, h, "x", 1);
	p = expect_pkt(f, VSOCK_OP_RW);
	assert_int_equal(p->h.len, 140);
	assert_memory_equal(p->data, data + 160, 140);
	expect_nothing(f);
	close(fd);
	fx_free(f);
}

static void test_our_credit_and_updates(void **state)
{
	static uint8_t chunk[50 * 1024];
	struct fx *f = fx_new();
	struct pkt *p;
	uint32_t local;
	size_t total = 0;
	ssize_t n;
	int fd;

	(void)state;
	post_rx(f, 16);
	fd = host_open(f, 5000, &local);
	memset(chunk, 'z', sizeof(chunk));
	/* 150 KiB that the host reads at once: its view of our room falls
	 * below half, so a CREDIT_UPDATE tells it what we forwarded. */
	for (int i = 0; i < 3; i++) {
		send_pkt(f, hdr(5000, local, VSOCK_OP_RW), chunk, sizeof(chunk));
		while (total < (size_t)(i + 1) * sizeof(chunk)) {
			pump(f);
			n = host_read(fd, chunk, sizeof(chunk));
			assert_true(n > 0);
			total += (size_t)n;
		}
	}
	assert_int_equal(total, 3 * sizeof(chunk));
	pump(f);
	p = expect_pkt(f, VSOCK_OP_CREDIT_UPDATE);
	assert_int_equal(p->h.fwd_cnt, 3 * sizeof(chunk));
	assert_int_equal(p->h.buf_alloc, VSOCK_CONN_BUF);
	expect_nothing(f);
	/* A CREDIT_REQUEST is answered. */
	send_pkt(f, hdr(5000, local, VSOCK_OP_CREDIT_REQUEST), NULL, 0);
	p = expect_pkt(f, VSOCK_OP_CREDIT_UPDATE);
	assert_int_equal(p->h.fwd_cnt, 3 * sizeof(chunk));
	close(fd);
	fx_free(f);
}

static void test_guest_overruns_credit(void **state)
{
	static uint8_t chunk[VSOCK_MAX_PKT_LEN];
	struct fx *f = fx_new();
	uint32_t local;
	struct pkt p;
	bool rst = false;
	int fd;

	(void)state;
	post_rx(f, 16);
	fd = host_open(f, 5000, &local);
	/* The host reads nothing: the socket fills, then our buffer; the
	 * packet beyond our advertised buffer resets the connection. */
	for (int i = 0; i < 64 && !rst; i++) {
		send_pkt(f, hdr(5000, local, VSOCK_OP_RW), chunk, sizeof(chunk));
		while (recv_pkt(f, &p)) {
			if (p.h.op == VSOCK_OP_RST)
				rst = true;
			else
				assert_int_equal(p.h.op, VSOCK_OP_CREDIT_UPDATE);
		}
	}
	assert_true(rst);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	close(fd);
	fx_free(f);
}

static void test_slow_host_buffers_and_flushes(void **state)
{
	static uint8_t chunk[VSOCK_MAX_PKT_LEN], back[VSOCK_MAX_PKT_LEN];
	struct fx *f = fx_new();
	uint32_t local, sent = 0, seen = 0;
	unsigned updates = 0;
	struct pkt p;
	int fd;

	(void)state;
	post_rx(f, 16);
	fd = host_open(f, 5000, &local);
	for (unsigned i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 7);
	/* 256 KiB, our whole buffer, while the host does not read. */
	for (int i = 0; i < 4; i++) {
		send_pkt(f, hdr(5000, local, VSOCK_OP_RW), chunk, sizeof(chunk));
		sent += sizeof(chunk);
	}
	/* Now it reads: everything arrives in order, credit flows back. */
	while (seen < sent) {
		ssize_t n = host_read(fd, back, sizeof(back));

		assert_true(n > 0);
		for (ssize_t k = 0; k < n; k++)
			assert_int_equal(back[k], (uint8_t)(((seen + k) % sizeof(chunk)) * 7));
		seen += (uint32_t)n;
		pump(f);
	}
	while (recv_pkt(f, &p)) {
		assert_int_equal(p.h.op, VSOCK_OP_CREDIT_UPDATE);
		assert_true(p.h.fwd_cnt <= sent);
		updates++;
	}
	assert_true(updates > 0);
	send_pkt(f, hdr(5000, local, VSOCK_OP_CREDIT_REQUEST), NULL, 0);
	assert_int_equal(expect_pkt(f, VSOCK_OP_CREDIT_UPDATE)->h.fwd_cnt, sent);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 1);
	close(fd);
	fx_free(f);
}

/* What the device forwarded to the socket, as a CREDIT_UPDATE tells. */
static uint32_t ask_fwd_cnt(struct fx *f, uint32_t local)
{
	struct pkt p;

	send_pkt(f, hdr(5000, local, VSOCK_OP_CREDIT_REQUEST), NULL, 0);
	/* Updates the device sent on its own may come first. */
	do
		assert_true(recv_pkt(f, &p));
	while (p.h.op == VSOCK_OP_CREDIT_UPDATE && vdrv_used_idx(&f->q[0]) != f->seen[0]);
	assert_int_equal(p.h.op, VSOCK_OP_CREDIT_UPDATE);
	return p.h.fwd_cnt;
}

static uint8_t pattern(uint64_t at)
{
	return (uint8_t)(at * 7 + at / 251);
}

/* Guest data of `len` bytes from stream offset *at, as a well-behaved guest: within credit. */
static void send_stream(struct fx *f, uint32_t local, uint64_t *at, uint32_t len)
{
	static uint8_t chunk[VSOCK_MAX_PKT_LEN];

	while (len) {
		uint32_t n = len < sizeof(chunk) ? len : (uint32_t)sizeof(chunk);

		for (uint32_t i = 0; i < n; i++)
			chunk[i] = pattern(*at + i);
		send_pkt(f, hdr(5000, local, VSOCK_OP_RW), chunk, n);
		*at += n;
		len -= n;
	}
}

/* The device's buffer fills, drains in part, fills again across its end. */
static void test_buffer_wraps(void **state)
{
	static uint8_t back[VSOCK_MAX_PKT_LEN];
	struct fx *f = fx_new();
	uint64_t sent = 0, seen = 0;
	uint32_t local, fwd, room;
	struct pkt p;
	int fd;

	(void)state;
	post_rx(f, 32);
	fd = host_open(f, 5000, &local);
	/* The host reads nothing: fill the socket, then our buffer, to the brim. */
	for (;;) {
		fwd = ask_fwd_cnt(f, local);
		room = VSOCK_CONN_BUF - (uint32_t)(sent - fwd);
		if (room < 1024)
			break;
		send_stream(f, local, &sent, room < VSOCK_MAX_PKT_LEN ? room : VSOCK_MAX_PKT_LEN);
		post_rx(f, 2);
	}
	/*
	 * The host reads until the socket takes more (Linux wakes a Unix
	 * socket's writer once 3/4 of it is free): part of our buffer goes,
	 * its start moves on.
	 */
	while (ask_fwd_cnt(f, local) == fwd) {
		ssize_t n = host_read(fd, back, 16 * 1024);

		assert_true(n > 0);
		for (ssize_t k = 0; k < n; k++)
			assert_int_equal(back[k], pattern(seen + (uint64_t)k));
		seen += (uint64_t)n;
		pump(f);
		post_rx(f, 1);
	}
	fwd = ask_fwd_cnt(f, local);
	assert_true(sent - fwd > 0); /* only part of it went */
	/* All the room there is now: the buffer's end is passed. */
	room = VSOCK_CONN_BUF - (uint32_t)(sent - fwd);
	post_rx(f, 8);
	send_stream(f, local, &sent, room);
	while (recv_pkt(f, &p))
		assert_int_equal(p.h.op, VSOCK_OP_CREDIT_UPDATE);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 1); /* no RST */
	/* Everything arrives, in order. */
	while (seen < sent) {
		ssize_t n = host_read(fd, back, sizeof(back));

		assert_true(n > 0);
		for (ssize_t k = 0; k < n; k++)
			if (back[k] != pattern(seen + (uint64_t)k))
				fail_msg("byte %llu: 0x%02x, wanted 0x%02x",
					 (unsigned long long)(seen + (uint64_t)k), back[k],
					 pattern(seen + (uint64_t)k));
		seen += (uint64_t)n;
		pump(f);
	}
	assert_int_equal(ask_fwd_cnt(f, local), (uint32_t)sent);
	close(fd);
	fx_free(f);
}

static void test_shutdown_guest_side(void **state)
{
	struct fx *f = fx_new();
	struct vsock_hdr h;
	struct pkt *p;
	uint32_t local;
	char buf[8];
	int fd, fd2;

	(void)state;
	post_rx(f, 16);
	fd = host_open(f, 5000, &local);
	/* SHUTDOWN(SEND): the host reads EOF and may still write. */
	send_pkt(f, hdr(5000, local, VSOCK_OP_RW), "bye", 3);
	h = hdr(5000, local, VSOCK_OP_SHUTDOWN);
	h.flags = VSOCK_SHUTDOWN_SEND;
	send_pkt(f, h, NULL, 0);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 3);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 0);
	host_write(fd, "ack", 3);
	pump(f);
	assert_memory_equal(expect_pkt(f, VSOCK_OP_RW)->data, "ack", 3);
	/* RW after its own SHUTDOWN(SEND) breaks the protocol: RST. */
	send_pkt(f, hdr(5000, local, VSOCK_OP_RW), "x", 1);
	expect_pkt(f, VSOCK_OP_RST);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	close(fd);

	/* SHUTDOWN(RCV|SEND): answered with RST, the host sees EOF. */
	fd2 = host_open(f, 5001, &local);
	h = hdr(5001, local, VSOCK_OP_SHUTDOWN);
	h.flags = VSOCK_SHUTDOWN_SEND | VSOCK_SHUTDOWN_RCV;
	send_pkt(f, h, NULL, 0);
	p = expect_pkt(f, VSOCK_OP_RST);
	assert_int_equal(p->h.src_port, local);
	assert_int_equal(host_read(fd2, buf, sizeof(buf)), 0);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	close(fd2);
	fx_free(f);
}

static void test_shutdown_host_side(void **state)
{
	struct fx *f = fx_new();
	struct pkt *p;
	uint32_t local;
	char buf[8];
	int fd;

	(void)state;
	post_rx(f, 16);
	fd = host_open(f, 5000, &local);
	/* Half close: data first, then SHUTDOWN(SEND); the guest may answer. */
	host_write(fd, "last", 4);
	shutdown(fd, SHUT_WR);
	pump(f);
	assert_memory_equal(expect_pkt(f, VSOCK_OP_RW)->data, "last", 4);
	p = expect_pkt(f, VSOCK_OP_SHUTDOWN);
	assert_int_equal(p->h.flags, VSOCK_SHUTDOWN_SEND);
	send_pkt(f, hdr(5000, local, VSOCK_OP_RW), "reply", 5);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 5);
	/* Full close: SHUTDOWN(RCV|SEND); the guest's RST ends it. */
	close(fd);
	pump(f);
	p = expect_pkt(f, VSOCK_OP_SHUTDOWN);
	assert_int_equal(p->h.flags, VSOCK_SHUTDOWN_SEND | VSOCK_SHUTDOWN_RCV);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 1);
	assert_int_equal(event_loop_run_once(f->loop, 20), 0); /* no spinning on HUP */
	send_pkt(f, hdr(5000, local, VSOCK_OP_RST), NULL, 0);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	expect_nothing(f);
	fx_free(f);
}

static void test_timeouts(void **state)
{
	struct fx *f = fx_new();
	struct pkt *p;
	uint32_t local;
	char buf[4];
	int a, b, c;

	(void)state;
	virtio_vsock_set_timeout_ms(f->dev, 40);
	post_rx(f, 16);
	/* The guest never answers our SHUTDOWN(RCV|SEND). */
	c = host_open(f, 5000, &local);
	close(c);
	pump(f);
	assert_int_equal(expect_pkt(f, VSOCK_OP_SHUTDOWN)->h.flags, 3);
	/* No CONNECT line in time. */
	a = host_connect(f->uds);
	/* The guest never answers a REQUEST. */
	b = host_connect(f->uds);
	host_write(b, "CONNECT 9\n", 10);
	pump(f);
	assert_int_equal(expect_pkt(f, VSOCK_OP_REQUEST)->h.dst_port, 9);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 3);
	usleep(80 * 1000);
	pump(f);
	assert_int_equal(host_read(a, buf, sizeof(buf)), 0);
	assert_int_equal(host_read(b, buf, sizeof(buf)), 0);
	/* Both connections the guest knows of are reset. */
	{
		uint32_t ports = 0;

		for (int i = 0; i < 2; i++) {
			p = expect_pkt(f, VSOCK_OP_RST);
			ports |= p->h.dst_port == 9 ? 1 : p->h.dst_port == 5000 ? 2 : 4;
		}
		assert_int_equal(ports, 3);
	}
	expect_nothing(f);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	/* Nothing waits: the timer is gone too. */
	assert_int_equal(event_loop_run_once(f->loop, 200), 0);
	close(a);
	close(b);
	fx_free(f);
}

static void test_reset_closes_everything(void **state)
{
	struct fx *f = fx_new();
	uint32_t local;
	char buf[4];
	int h, g, l;

	(void)state;
	post_rx(f, 16);
	h = host_open(f, 5000, &local);
	g = guest_open(f, 7000, &l);
	host_write(h, "pending", 7);
	wr(f, VIRTIO_MMIO_STATUS, 0);
	pump(f);
	assert_int_equal(virtio_vsock_nr_conns(f->dev), 0);
	assert_int_equal(host_read(h, buf, sizeof(buf)), 0);
	assert_int_equal(host_read(g, buf, sizeof(buf)), 0);
	/* Up again: a new connection works, nothing of the old ones shows. */
	bring_up(f);
	close(h);
	h = host_open(f, 5000, &local);
	assert_int_equal(local, LOCAL0 + 1);
	expect_nothing(f);
	close(h);
	close(g);
	close(l);
	fx_free(f);
}

static void test_table_full(void **state)
{
	static int ends[VSOCK_MAX_CONNS];
	struct rlimit rl;
	struct fx *f;
	struct pkt *p;
	int l;

	(void)state;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < 2 * VSOCK_MAX_CONNS + 64)
		skip();
	if (rl.rlim_cur < 2 * VSOCK_MAX_CONNS + 64) {
		rl.rlim_cur = 2 * VSOCK_MAX_CONNS + 64;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	f = fx_new();
	l = host_listen(f, 8000);
	post_rx(f, QSIZE / 2);
	/* Guest connections from ports 1.. to one listener (not accepted). */
	for (uint32_t port = 1; port <= VSOCK_MAX_CONNS; port++) {
		send_pkt(f, hdr(port, 8000, VSOCK_OP_REQUEST), NULL, 0);
		assert_int_equal(expect_pkt(f, VSOCK_OP_RESPONSE)->h.dst_port, port);
		post_rx(f, 1);
		ends[port - 1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		assert_true(ends[port - 1] >= 0);
	}
	assert_int_equal(virtio_vsock_nr_conns(f->dev), VSOCK_MAX_CONNS);
	send_pkt(f, hdr(VSOCK_MAX_CONNS + 1, 8000, VSOCK_OP_REQUEST), NULL, 0);
	p = expect_pkt(f, VSOCK_OP_RST);
	assert_int_equal(p->h.dst_port, VSOCK_MAX_CONNS + 1);
	/* A host connection is closed at once. */
	{
		char c;
		int fd = host_connect(f->uds);

		pump(f);
		assert_int_equal(host_read(fd, &c, 1), 0);
		close(fd);
	}
	/* One closed, one more fits. */
	send_pkt(f, hdr(1, 8000, VSOCK_OP_RST), NULL, 0);
	send_pkt(f, hdr(VSOCK_MAX_CONNS + 1, 8000, VSOCK_OP_REQUEST), NULL, 0);
	expect_pkt(f, VSOCK_OP_RESPONSE);
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		close(ends[i]);
	close(l);
	fx_free(f);
}

static void test_malformed_packets(void **state)
{
	struct fx *f = fx_new();
	uint8_t raw[VSOCK_HDR_LEN + 16];
	struct vsock_hdr h;
	struct pkt *p;
	uint32_t local;
	char buf[8];
	int fd;

	(void)state;
	post_rx(f, 16);
	fd = host_open(f, 5000, &local);
	log_set_quiet(true);
	/* Shorter than a header. */
	memset(raw, 0, sizeof(raw));
	send_raw(f, raw, VSOCK_HDR_LEN - 1);
	send_raw(f, raw, 0);
	/* len beyond what the chain carries, or beyond the packet limit. */
	h = hdr(5000, local, VSOCK_OP_RW);
	h.len = 17;
	vsock_hdr_encode(raw, &h);
	memcpy(raw + VSOCK_HDR_LEN, "0123456789abcdef", 16);
	send_raw(f, raw, sizeof(raw));
	h.len = VSOCK_MAX_PKT_LEN + 1;
	vsock_hdr_encode(raw, &h);
	send_raw(f, raw, sizeof(raw));
	h.len = UINT32_MAX;
	vsock_hdr_encode(raw, &h);
	send_raw(f, raw, sizeof(raw));
	/* None of it reached the host, and the connection lives. */
	assert_int_equal(host_read(fd, buf, sizeof(buf)), -1);
	expect_nothing(f);
	/* From another CID: dropped, no answer. */
	h = hdr(5000, local, VSOCK_OP_RW);
	h.src_cid = CID + 1;
	send_pkt(f, h, "no", 2);
	expect_nothing(f);
	/* To another CID than the host's: refused with its CID. */
	h = hdr(GPORT, 80, VSOCK_OP_REQUEST);
	h.dst_cid = 5;
	send_pkt(f, h, NULL, 0);
	{
		struct pkt r;

		assert_true(recv_pkt(f, &r));
		assert_int_equal(r.h.op, VSOCK_OP_RST);
		assert_int_equal(r.h.src_cid, 5);
		assert_int_equal(r.h.src_port, 80);
		assert_int_equal(r.h.dst_port, GPORT);
	}
	/* Not a stream (SEQPACKET): RST. */
	h = hdr(GPORT, 80, VSOCK_OP_REQUEST);
	h.type = VSOCK_TYPE_SEQPACKET;
	send_pkt(f, h, NULL, 0);
	expect_pkt(f, VSOCK_OP_RST);
	/* Data, credit, a RESPONSE for no connection: RST; an RST: nothing. */
	send_pkt(f, hdr(GPORT, 81, VSOCK_OP_RW), "x", 1);
	expect_pkt(f, VSOCK_OP_RST);
	send_pkt(f, hdr(GPORT, 81, VSOCK_OP_RESPONSE), NULL, 0);
	expect_pkt(f, VSOCK_OP_RST);
	send_pkt(f, hdr(GPORT, 81, VSOCK_OP_RST), NULL, 0);
	expect_nothing(f);
	/* An unknown op, a second RESPONSE on a live connection: reset. */
	send_pkt(f, hdr(5000, local, 99), NULL, 0);
	p = expect_pkt(f, VSOCK_OP_RST);
	assert_int_equal(p->h.src_port, local);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 0);
	close(fd);
	fd = host_open(f, 5000, &local);
	send_pkt(f, hdr(5000, local, VSOCK_OP_RESPONSE), NULL, 0);
	expect_pkt(f, VSOCK_OP_RST);
	close(fd);
	log_set_quiet(false);
	/* The device still works. */
	fd = host_open(f, 5000, &local);
	send_pkt(f, hdr(5000, local, VSOCK_OP_RW), "ok", 2);
	assert_int_equal(host_read(fd, buf, sizeof(buf)), 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, 0);
	close(fd);
	fx_free(f);
}

static void test_small_rx_buffer(void **state)
{
	struct fx *f = fx_new();
	struct vbuf b = { RXBUF, VSOCK_HDR_LEN - 1, true };

	(void)state;
	log_set_quiet(true);
	/* A buffer with no room for a header is returned unused. */
	vdrv_add_chain(&f->q[0], &b, 1);
	send_pkt(f, hdr(GPORT, 99, VSOCK_OP_REQUEST), NULL, 0);
	assert_int_equal(vdrv_used_idx(&f->q[0]), 1);
	assert_int_equal(vdrv_used_len(&f->q[0], 0), 0);
	f->seen[0] = 1;
	log_set_quiet(false);
	/* The RST waits for a real buffer. */
	post_rx(f, 1);
	expect_pkt(f, VSOCK_OP_RST);
	fx_free(f);
}

static void test_save_load_transport_reset(void **state)
{
	struct fx *a = fx_new(), *b;
	struct vbuf e = { EVBUF, 8, true };
	struct state_writer w;
	uint32_t local, local2;
	int fd, fd2;

	(void)state;
	post_rx(a, 4);
	fd = host_open(a, 5000, &local);
	unit_state_save(&virtio_mmio_device_ops, a->m, &w);

	/* The restored device (its own socket directory) with a's RAM. */
	b = fx_new_in(NULL, CID);
	memcpy(b->ram->hva, a->ram->hva, RAM_SIZE);
	assert_int_equal(unit_state_load(&virtio_mmio_device_ops, b->m, w.buf,
					 w.len), 0);
	for (unsigned q = 0; q < 3; q++) {
		b->q[q] = a->q[q];
		b->q[q].ram = b->ram->hva;
		b->seen[q] = a->seen[q];
	}
	b->rx_posted = a->rx_posted;
	assert_int_equal(rd(b, VIRTIO_MMIO_STATUS), 0x0f);
	assert_int_equal(rd(b, VIRTIO_MMIO_CONFIG), CID);
	pump(b);
	/* No event buffer yet: the event waits for one. */
	assert_int_equal(vdrv_used_idx(&b->q[2]), 0);
	vdrv_add_chain(&b->q[2], &e, 1);
	kick(b, 2);
	assert_int_equal(vdrv_used_idx(&b->q[2]), 1);
	assert_int_equal(vdrv_used_len(&b->q[2], 0), VSOCK_EVENT_LEN);
	assert_int_equal(le_get(b->ram->hva + EVBUF, 4), VSOCK_EVENT_TRANSPORT_RESET);
	/* Once only. */
	vdrv_add_chain(&b->q[2], &e, 1);
	kick(b, 2);
	assert_int_equal(vdrv_used_idx(&b->q[2]), 1);
	/* The saved connection is not there: its packets get RST. */
	assert_int_equal(virtio_vsock_nr_conns(b->dev), 0);
	send_pkt(b, hdr(5000, local, VSOCK_OP_RW), "x", 1);
	expect_pkt(b, VSOCK_OP_RST);
	/* New connections work. */
	fd2 = host_open(b, 5000, &local2);
	close(fd2);
	close(fd);
	fx_free(b);

	/* Another CID, a truncated stream: refused. */
	b = fx_new_in(NULL, CID + 1);
	assert_int_equal(unit_state_load(&virtio_mmio_device_ops, b->m, w.buf,
					 w.len), -1);
	fx_free(b);
	for (size_t len = 0; len < w.len; len++) {
		struct fx *c = fx_new_in(NULL, CID);

		assert_int_equal(unit_state_load(&virtio_mmio_device_ops, c->m,
						 w.buf, len), -1);
		fx_free(c);
	}
	state_writer_free(&w);
	fx_free(a);
}

static void test_event_before_load_needs_a_buffer(void **state)
{
	struct fx *a = fx_new(), *b = fx_new_in(NULL, CID);
	struct vbuf e = { EVBUF, 4, true };
	struct state_writer w;

	(void)state;
	/* The driver had posted its event buffer before the snapshot. */
	vdrv_add_chain(&a->q[2], &e, 1);
	kick(a, 2);
	assert_int_equal(vdrv_used_idx(&a->q[2]), 0); /* nothing to say yet */
	unit_state_save(&virtio_mmio_device_ops, a->m, &w);
	memcpy(b->ram->hva, a->ram->hva, RAM_SIZE);
	assert_int_equal(unit_state_load(&virtio_mmio_device_ops, b->m, w.buf,
					 w.len), 0);
	pump(b);
	b->q[2] = a->q[2];
	b->q[2].ram = b->ram->hva;
	assert_int_equal(vdrv_used_idx(&b->q[2]), 1);
	assert_int_equal(le_get(b->ram->hva + EVBUF, 4), VSOCK_EVENT_TRANSPORT_RESET);
	state_writer_free(&w);
	fx_free(a);
	fx_free(b);
}

/* vhost-vsock without the kernel's device: one clear line. */
static void test_vhost_vsock_missing(void **state)
{
	struct event_loop *loop = event_loop_create();
	struct guest_mem mem;

	(void)state;
	mem_init(&mem);
	assert_null(virtio_vhost_vsock_create("vhost-vsock0", &mem, CID, loop,
					      "/nonexistent/vhost-vsock"));
	assert_err_contains("vhost-vsock0: /nonexistent/vhost-vsock does not exist (load the vhost_vsock module");
	/* Not a vhost device: its first ioctl is refused. */
	assert_null(virtio_vhost_vsock_create("vhost-vsock0", &mem, CID, loop,
					      "/dev/null"));
	assert_err_contains("vhost-vsock0: VHOST_SET_OWNER: ");
	assert_null(virtio_vhost_vsock_create("vhost-vsock0", &mem, 2, loop,
					      VHOST_VSOCK_PATH));
	assert_err_contains("guest-cid=2");
	/* Nothing was left behind on the loop. */
	assert_int_equal(event_loop_run_once(loop, 0), 0);
	event_loop_destroy(loop);
	mem_destroy(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_and_ids),
		cmocka_unit_test(test_bad_cid_and_paths),
		cmocka_unit_test(test_host_connect),
		cmocka_unit_test(test_host_connect_refused_by_guest),
		cmocka_unit_test(test_connect_line_refusals),
		cmocka_unit_test(test_connect_line_split_and_data_after_it),
		cmocka_unit_test(test_guest_connect),
		cmocka_unit_test(test_data_both_ways),
		cmocka_unit_test(test_pause_holds_host_data),
		cmocka_unit_test(test_no_rx_buffers_no_spin),
		cmocka_unit_test(test_guest_credit_limits_host_data),
		cmocka_unit_test(test_our_credit_and_updates),
		cmocka_unit_test(test_guest_overruns_credit),
		cmocka_unit_test(test_slow_host_buffers_and_flushes),
		cmocka_unit_test(test_buffer_wraps),
		cmocka_unit_test(test_shutdown_guest_side),
		cmocka_unit_test(test_shutdown_host_side),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_reset_closes_everything),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_malformed_packets),
		cmocka_unit_test(test_small_rx_buffer),
		cmocka_unit_test(test_save_load_transport_reset),
		cmocka_unit_test(test_event_before_load_needs_a_buffer),
		cmocka_unit_test(test_vhost_vsock_missing),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
