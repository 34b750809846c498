// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for virtio-vsock's packet path: whatever a driver
 * could put in guest memory for the tx queue (the 44-byte headers, their
 * lengths, CIDs, ports, operations, credit), answered through the rx and
 * event queues.
 *
 * The first two input bytes choose the queue size (a power of 2, at most
 * 8), the features (indirect descriptors, EVENT_IDX) and the mode.  In
 * raw mode the rest becomes guest RAM from address 0, where the three
 * rings and the buffers live; in packet mode (below) a well-behaved
 * driver sends packets whose header fields the input picks.  A host
 * program listens at <uds>_5, so REQUESTs to port 5 make connections and
 * the rest of the state machine runs; each input ends with a device reset,
 * which must close every connection.  Every chain must be answered or
 * refused (DEVICE_NEEDS_RESET), never read or written outside RAM (ASan
 * watches the mapping's neighbours), and the event loop must settle.
 *
 *   make fuzz && build-fuzz/fuzz_vsock -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "byteorder.h"
#include "event_loop.h"
#include "log.h"
#include "mem.h"
#include "virtio/virtio.h"
#include "virtio/vsock.h"
#include "virtio/vsock_conn.h"
#include "virtio/vsock_proto.h"

#define RAM_SIZE 0x10000ull /* 64 KiB: rings at the start, buffers after */
#define CID 3

/*
 * Queues of at most 8 entries with the rings the driver writes in the
 * first 480 bytes (the tx avail index is at byte 2), so that short inputs
 * reach them: libFuzzer grows its inputs from a few bytes.  The used
 * rings, which only the device writes, lie further up.
 *   { desc, avail, used }
 */
static const uint64_t rings[3][3] = {
	{ 0x0c0, 0x0a0, 0x900 }, /* rx */
	{ 0x020, 0x000, 0x800 }, /* tx */
	{ 0x160, 0x140, 0xa00 }, /* event */
};

static struct guest_mem mem;
static struct mem_backend *ram;
static struct event_loop *loop;
static struct virtio_dev *dev;
static int listener = -1;
static char uds_path[64];

static void init_once(void)
{
	static char dir[] = "/tmp/minivmm-fuzz-vsock-XXXXXX";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *uds = uds_path;

	if (dev)
		return;
	log_set_level(LOG_ERROR);
	mem_init(&mem);
	ram = mem_backend_create(&mem, "ram", RAM_SIZE, NULL);
	if (!ram || mem_add_region(&mem, "ram", ram, 0, 0, RAM_SIZE, false, true))
		abort();
	if (!mkdtemp(dir))
		abort();
	snprintf(uds_path, sizeof(uds_path), "%s/v.sock", dir);
	loop = event_loop_create();
	dev = loop ? virtio_vsock_create("fuzz-vsock", &mem, CID, uds, loop) : NULL;
	if (!dev)
		abort();
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_5", uds);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(listener, 4096) < 0)
		abort();
}

static void pump(void)
{
	for (int i = 0; i < 64; i++)
		if (event_loop_run_once(loop, 0) <= 0)
			return;
}

static void setup_queues(uint8_t features, uint16_t size,
			 const uint64_t (*at)[3])
{
	virtio_set_driver_features(dev, 0, (features & 1 ? 1u << VIRTIO_F_INDIRECT_DESC : 0) |
						   (features & 2 ? 1u << VIRTIO_F_EVENT_IDX : 0));
	virtio_set_driver_features(dev, 1, 1); /* VERSION_1 */
	pthread_mutex_lock(&dev->lock);
	virtio_set_status(dev, 0x0b);
	for (unsigned q = 0; q < VIRTIO_VSOCK_QUEUES; q++) {
		dev->vqs[q].size = size;
		dev->vqs[q].desc_gpa = at[q][0];
		dev->vqs[q].avail_gpa = at[q][1];
		dev->vqs[q].used_gpa = at[q][2];
		virtio_queue_enable(dev, q);
	}
	virtio_set_status(dev, 0x0f);
	pthread_mutex_unlock(&dev->lock);
}

/* The host side accepts what the guest connected, and writes to it. */
static void host_side(int *held, uint8_t how)
{
	int fd;

	while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (send(fd, "data", 4, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0;
		pump();
		if ((how & 1) && *held < 0) {
			*held = fd; /* kept open for later packets */
			continue;
		}
		if (how & 2)
			shutdown(fd, SHUT_WR);
		else
			close(fd);
		if (how & 2)
			close(fd);
	}
}

/* Raw mode: the input is guest RAM, rings and all. */
static void raw(const uint8_t *data, size_t size)
{
	size_t fill = size - 2 < RAM_SIZE ? size - 2 : RAM_SIZE;
	int held = -1;

	memcpy(ram->hva, data + 2, fill);
	setup_queues(data[1], (uint16_t)(1u << (data[0] % 4)), rings); /* 1 .. 8 */
	/* tx first (the packets), then rx and event (the answers). */
	virtio_queue_kick(dev, 1);
	pump();
	virtio_queue_kick(dev, 0);
	virtio_queue_kick(dev, 2);
	pump();
	host_side(&held, 0);
	virtio_queue_kick(dev, 1);
	pump();
}

/*
 * Packet mode: a well-formed driver (its rings, rx buffers always posted)
 * sending packets whose header fields come from the input, a few bits
 * each, so that valid CIDs, types and ports (and a listener's port) are
 * common and the connection state machine is reached; a host program
 * connects too.  Per packet, 6 bytes and its payload:
 *   b0: op (bits 0-2), SEQPACKET (3), source CID 4 (4), destination CID 5 (5),
 *       header and payload in one descriptor (6), a host connection first (7)
 *   b1: SHUTDOWN flags, host-side actions
 *   b2: ports: guest port 1000 + (0-3), host port 5 / 6 / a local one
 *   b3, b4: buf_alloc (KiB), fwd_cnt (x256);  b5: payload length
 */
#define PQ 64 /* queue size */
#define RXB 0x2000ull /* rx buffers: 32 of 512 bytes */
#define RXB_LEN 512u
#define TXB 0x8000ull /* tx packets: 32 slots of 1 KiB */
#define TXB_LEN 1024u

static const uint64_t prings[3][3] = {
	{ 0x0800, 0x0c00, 0x0d00 }, /* rx */
	{ 0x0000, 0x0400, 0x0500 }, /* tx */
	{ 0x1000, 0x1400, 0x1500 }, /* event */
};

struct drv {
	uint16_t avail, desc;
};

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = ram->hva + table + 16u * (i % PQ);

	le_put(d, addr, 8);
	le_put(d + 8, len, 4);
	le_put(d + 12, flags, 2);
	le_put(d + 14, next % PQ, 2);
}

static void publish(unsigned q, struct drv *d, uint16_t head)
{
	le_put(ram->hva + prings[q][1] + 4 + 2u * (d->avail % PQ), head % PQ, 2);
	d->avail++;
	__atomic_store_n((uint16_t *)(void *)(ram->hva + prings[q][1] + 2), d->avail,
			 __ATOMIC_RELEASE);
}

/* Keep 32 rx buffers posted (the device uses them in order). */
static void post_rx(struct drv *rx)
{
	uint16_t used = (uint16_t)le_get(ram->hva + prings[0][2] + 2, 2);

	while ((uint16_t)(rx->avail - used) < 32) {
		uint16_t i = rx->desc++;

		put_desc(prings[0][0], i, RXB + (i % 32) * (uint64_t)RXB_LEN, RXB_LEN,
			 VIRTQ_DESC_F_WRITE, 0);
		publish(0, rx, i);
	}
}

static void packets(const uint8_t *data, size_t size)
{
	struct drv rx = { 0 }, tx = { 0 }, ev = { 0 };
	size_t at = 2;
	unsigned batch = 0;
	int held = -1, hostc = -1;

	setup_queues(data[1], PQ, prings);
	for (uint16_t i = 0; i < 2; i++) {
		put_desc(prings[2][0], i, 0x1800 + 8u * i, 8, VIRTQ_DESC_F_WRITE, 0);
		publish(2, &ev, ev.desc++);
	}
	post_rx(&rx);
	virtio_queue_kick(dev, 0);
	while (at + 6 <= size) {
		const uint8_t *p = data + at;
		uint8_t hdr[VSOCK_HDR_LEN];
		struct vsock_hdr h = {
			.src_cid = p[0] & 0x10 ? 4 : CID,
			.dst_cid = p[0] & 0x20 ? 5 : VSOCK_HOST_CID,
			.src_port = 1000 + (p[2] & 3),
			.dst_port = p[2] & 8 ? VSOCK_LOCAL_PORT_BASE + ((p[2] >> 4) & 3) :
				    p[2] & 4 ? 5 : 6,
			.type = p[0] & 8 ? VSOCK_TYPE_SEQPACKET : VSOCK_TYPE_STREAM,
			.op = p[0] & 7,
			.flags = p[1] & 3,
			.buf_alloc = (uint32_t)p[3] << 10,
			.fwd_cnt = (uint32_t)p[4] << 8,
		};
		uint32_t len = p[5];
		uint64_t slot = TXB + (tx.desc % 32) * (uint64_t)TXB_LEN;
		uint16_t head = tx.desc;

		if ((p[0] & 0x80) && hostc < 0) {
			/* A host program asks for guest port 1000 + (b2 & 3). */
			char line[32];
			struct sockaddr_un sa = { .sun_family = AF_UNIX };
			int n = snprintf(line, sizeof(line), "CONNECT %u\n", h.src_port);

			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds_path);
			hostc = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (hostc >= 0 && (connect(hostc, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
					   send(hostc, line, (size_t)n, MSG_NOSIGNAL) < 0)) {
				close(hostc);
				hostc = -1;
			}
			pump();
		}
		at += 6;
		if (len > size - at)
			len = (uint32_t)(size - at);
		/* Sometimes a length that lies (the device must drop it). */
		h.len = p[1] & 0x80 ? len + (p[1] & 0x40 ? 1 : 65536) : len;
		vsock_hdr_encode(hdr, &h);
		memcpy(ram->hva + slot, hdr, VSOCK_HDR_LEN);
		memcpy(ram->hva + slot + VSOCK_HDR_LEN, data + at, len);
		at += len;
		if (p[0] & 0x40 || !len) {
			put_desc(prings[1][0], tx.desc++, slot, VSOCK_HDR_LEN + len, 0, 0);
		} else {
			put_desc(prings[1][0], tx.desc, slot, VSOCK_HDR_LEN,
				 VIRTQ_DESC_F_NEXT, (uint16_t)(tx.desc + 1));
			tx.desc++;
			put_desc(prings[1][0], tx.desc++, slot + VSOCK_HDR_LEN, len, 0, 0);
		}
		publish(1, &tx, head);
		if (p[1] & 0x20 && hostc >= 0 &&
		    send(hostc, data + at - len, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0;
		if (p[1] & 0x10 && hostc >= 0) {
			close(hostc);
			hostc = -1;
		}
		if (++batch % 8 == 0 || at + 6 > size) {
			virtio_queue_kick(dev, 1);
			pump();
			host_side(&held, (uint8_t)(p[1] >> 2));
			if (held >= 0 && (p[1] & 8)) {
				if (send(held, "more", 4, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
					(void)0;
				if (p[1] & 4) {
					close(held);
					held = -1;
				}
			}
			post_rx(&rx);
			virtio_queue_kick(dev, 0);
			pump();
		}
	}
	if (held >= 0)
		close(held);
	if (hostc >= 0)
		close(hostc);
	pump();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	if (size < 2)
		return 0;
	memset(ram->hva, 0, RAM_SIZE);
	if (data[1] & 4)
		packets(data, size);
	else
		raw(data, size);
	virtio_reset(dev);
	pump();
	if (virtio_vsock_nr_conns(dev))
		abort(); /* a reset closes every connection */
	return 0;
}
