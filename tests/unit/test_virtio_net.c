// SPDX-License-Identifier: MIT
/*
 * virtio-net (virtio 1.2, 5.1) through the virtio-mmio registers and a
 * driver of our own, with a datagram socketpair standing in for the tap
 * (one frame per read and per write, as a tap gives them): configuration
 * space, feature and offload negotiation, receive with and without merged
 * buffers, frames too long for the guest's buffers, no receive buffers
 * (the back end's fd is not watched then), transmit gather, broken
 * chains, the link, and save/load.  The last test opens a real tap when
 * the host lets it (/dev/net/tun and CAP_NET_ADMIN) and skips otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus.h"
#include "byteorder.h"
#include "event_loop.h"
#include "irq.h"
#include "log.h"
#include "mem.h"
#include "net/tap.h"
#include "net/vhost_net.h"
#include "unit.h"
#include "vdriver.h"
#include "virtio/mmio.h"
#include "virtio/net.h"
#include "virtio/virtio.h"

#define RAM_SIZE 0x100000ull
#define BASE 0xfe800000ull
#define RX_DESC 0x1000ull
#define RX_AVAIL 0x2000ull
#define RX_USED 0x3000ull
#define TX_DESC 0x4000ull
#define TX_AVAIL 0x5000ull
#define TX_USED 0x6000ull
#define BUF 0x10000ull
#define QSIZE 16
#define ALL_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN | TUN_F_UFO)

static const uint8_t test_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct fx {
	struct guest_mem mem;
	struct mem_backend *ram;
	struct bus mmio;
	struct irq_line irq;
	int edges;
	struct event_loop *loop;
	int sv[2]; /* sv[0]: the device's "tap", sv[1]: the host side */
	uint32_t offload; /* the last TUNSETOFFLOAD */
	int offload_calls;
	bool closed;
	struct virtio_mmio *m;
	struct virtio_dev *dev;
	struct vdrv rx, tx;
};

static void on_irq(struct irq_line *line, bool level)
{
	struct fx *f = line->ctx;

	if (level)
		f->edges++;
}

static int fake_offload(void *ctx, uint32_t flags)
{
	struct fx *f = ctx;

	f->offload = flags;
	f->offload_calls++;
	return 0;
}

static void fake_close(void *ctx)
{
	struct fx *f = ctx;

	close(f->sv[0]);
	f->closed = true;
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

static uint8_t *ram(struct fx *f, uint64_t gpa)
{
	return f->ram->hva + gpa;
}

/* A /dev/vhost-net of our own: it records the ioctls (fake_vhost_ioctl). */
static struct {
	uint64_t features; /* what VHOST_GET_FEATURES says */
	uint64_t set_features;
	unsigned long fail; /* this request fails with EINVAL ... */
	int fail_index; /* ... on this queue (-1: any) */
	unsigned calls;
	unsigned nregions;
	struct vhost_memory_region regions[8];
	unsigned num[2], base[2], get_base[2];
	struct vhost_vring_addr addr[2];
	int kick[2], call[2], backend[2];
	bool owner;
} fk;

static int fake_vhost_ioctl(int fd, unsigned long req, void *arg)
{
	struct vhost_vring_state *st = arg;
	struct vhost_vring_file *file = arg;
	struct vhost_vring_addr *addr = arg;
	struct vhost_memory *mem = arg;

	(void)fd;
	fk.calls++;
	if (req == fk.fail &&
	    (fk.fail_index < 0 || ((struct vhost_vring_file *)arg)->index ==
					  (unsigned)fk.fail_index)) {
		errno = EINVAL;
		return -1;
	}
	switch (req) {
	case VHOST_SET_OWNER:
		fk.owner = true;
		return 0;
	case VHOST_GET_FEATURES:
		*(uint64_t *)arg = fk.features;
		return 0;
	case VHOST_SET_FEATURES:
		fk.set_features = *(uint64_t *)arg;
		return 0;
	case VHOST_SET_MEM_TABLE:
		assert_true(mem->nregions <= 8);
		fk.nregions = mem->nregions;
		memcpy(fk.regions, mem->regions, mem->nregions * sizeof(mem->regions[0]));
		return 0;
	}
	/* Per queue: index 0 or 1 only. */
	assert_true(st->index < 2);
	switch (req) {
	case VHOST_SET_VRING_NUM:
		fk.num[st->index] = st->num;
		return 0;
	case VHOST_SET_VRING_BASE:
		fk.base[st->index] = st->num;
		return 0;
	case VHOST_GET_VRING_BASE:
		st->num = fk.get_base[st->index];
		return 0;
	case VHOST_SET_VRING_ADDR:
		fk.addr[addr->index] = *addr;
		return 0;
	case VHOST_SET_VRING_KICK:
		fk.kick[file->index] = file->fd;
		return 0;
	case VHOST_SET_VRING_CALL:
		fk.call[file->index] = file->fd;
		return 0;
	case VHOST_NET_SET_BACKEND:
		fk.backend[file->index] = file->fd;
		return 0;
	}
	fail_msg("unexpected vhost ioctl 0x%lx", req);
	return -1;
}

static void fake_vhost_reset(uint64_t features)
{
	memset(&fk, 0, sizeof(fk));
	fk.features = features;
	fk.fail_index = -1;
	fk.kick[0] = fk.kick[1] = fk.call[0] = fk.call[1] = -2;
	fk.backend[0] = fk.backend[1] = -2;
}

static struct fx *fx_new_with(uint32_t offloads, bool vhost)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_net_backend be;

	assert_non_null(f);
	mem_init(&f->mem);
	f->ram = mem_backend_create(&f->mem, "ram", RAM_SIZE, NULL);
	assert_int_equal(mem_add_region(&f->mem, "ram", f->ram, 0, 0, RAM_SIZE,
					false, true), 0);
	bus_init(&f->mmio, "mmio", 0);
	irq_line_init(&f->irq, 16, on_irq, f);
	f->loop = event_loop_create();
	assert_non_null(f->loop);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, f->sv), 0);
	be = (struct virtio_net_backend){ .fd = f->sv[0], .offloads = offloads,
					  .set_offload = fake_offload,
					  .close = fake_close, .ctx = f,
					  .describe = "socketpair" };
	if (vhost) {
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		be.vhost = vhost_net_open_with(fd, fake_vhost_ioctl);
		assert_non_null(be.vhost);
		assert_true(fk.owner);
	}
	f->dev = virtio_net_create("virtio-net0", &f->mem, f->loop, &be,
				   test_mac, 1500);
	assert_non_null(f->dev);
	f->m = virtio_mmio_create(f->dev, &f->irq);
	assert_non_null(f->m);
	assert_int_equal(virtio_mmio_register(f->m, &f->mmio, BASE), 0);
	return f;
}

static struct fx *fx_new(uint32_t offloads)
{
	return fx_new_with(offloads, false);
}

static void fx_free(struct fx *f)
{
	virtio_mmio_device_ops.destroy(f->m);
	assert_true(f->closed); /* the device closed its back end */
	close(f->sv[1]);
	event_loop_destroy(f->loop);
	bus_destroy(&f->mmio);
	mem_destroy(&f->mem);
	free(f);
}

static uint64_t device_features(struct fx *f)
{
	uint64_t v;

	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	v = rd(f, VIRTIO_MMIO_DEVICE_FEATURES);
	wr(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return v | (uint64_t)rd(f, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void setup_queue(struct fx *f, unsigned q, uint64_t desc,
			uint64_t avail, uint64_t used)
{
	wr(f, VIRTIO_MMIO_QUEUE_SEL, q);
	wr(f, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(f, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
	wr(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
	wr(f, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Bring-up (3.1.1) accepting `features` (VERSION_1 added). */
static void bring_up(struct fx *f, uint64_t features)
{
	features |= 1ull << VIRTIO_F_VERSION_1;
	wr(f, VIRTIO_MMIO_STATUS, 3);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VIRTIO_MMIO_STATUS, 0x0b);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0x0b);
	setup_queue(f, VIRTIO_NET_RXQ, RX_DESC, RX_AVAIL, RX_USED);
	setup_queue(f, VIRTIO_NET_TXQ, TX_DESC, TX_AVAIL, TX_USED);
	vdrv_init(&f->rx, f->ram->hva, QSIZE, RX_DESC, RX_AVAIL, RX_USED);
	vdrv_init(&f->tx, f->ram->hva, QSIZE, TX_DESC, TX_AVAIL, TX_USED);
	wr(f, VIRTIO_MMIO_STATUS, 0x0f);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0x0f);
}

/* Let the event loop run what is ready (the back end's fd). */
static int pump(struct fx *f)
{
	int n = 0, r;

	while ((r = event_loop_run_once(f->loop, 0)) > 0)
		n += r;
	assert_true(r >= 0);
	return n;
}

/* A frame from the host: header (flags, gso_type) then len bytes of pattern. */
static void host_send(struct fx *f, size_t len, uint8_t flags, uint8_t gso,
		      uint8_t seed)
{
	uint8_t frame[VIRTIO_NET_HDR_LEN + 4096];

	assert_true(len <= 4096);
	memset(frame, 0, VIRTIO_NET_HDR_LEN);
	frame[0] = flags;
	frame[1] = gso;
	frame[10] = 0xee; /* num_buffers: the device's to set */
	for (size_t i = 0; i < len; i++)
		frame[VIRTIO_NET_HDR_LEN + i] = (uint8_t)(seed + i);
	assert_int_equal(send(f->sv[1], frame, VIRTIO_NET_HDR_LEN + len, 0),
			 (ssize_t)(VIRTIO_NET_HDR_LEN + len));
}

static void post_rx(struct fx *f, uint64_t gpa, uint32_t len)
{
	struct vbuf b = { gpa, len, true };

	vdrv_add_chain(&f->rx, &b, 1);
}

static void kick(struct fx *f, unsigned q)
{
	wr(f, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static bool needs_reset(struct fx *f)
{
	return rd(f, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

static struct virtio_net_stats stats(struct fx *f)
{
	struct virtio_net_stats s;

	virtio_net_get_stats(f->dev, &s);
	return s;
}

static void check_payload(const uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + i))
			fail_msg("payload byte %zu: 0x%02x, expected 0x%02x", i,
				 p[i], (uint8_t)(seed + i));
}

static void test_config_space(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	uint8_t c[VIRTIO_NET_CONFIG_SIZE];

	(void)state;
	assert_int_equal(rd(f, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	for (unsigned i = 0; i < sizeof(c); i++)
		bus_read(&f->mmio, BASE + VIRTIO_MMIO_CONFIG + i, c + i, 1);
	assert_memory_equal(c, test_mac, 6);
	assert_int_equal(le_get(c + 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(le_get(c + 8, 2), 1); /* max_virtqueue_pairs */
	assert_int_equal(le_get(c + 10, 2), 1500);
	/* The driver cannot change the MAC (read-only in 1.x). */
	for (unsigned i = 0; i < 6; i++) {
		uint8_t z = 0;

		bus_write(&f->mmio, BASE + VIRTIO_MMIO_CONFIG + i, &z, 1);
	}
	bus_read(&f->mmio, BASE + VIRTIO_MMIO_CONFIG, c, 1);
	assert_int_equal(c[0], 0x52);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_NET_QUEUE_SIZE);
	wr(f, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(f, VIRTIO_MMIO_QUEUE_NUM_MAX), 0); /* no ctrl queue */
	fx_free(f);
}

static void test_features_follow_offloads(void **state)
{
	const uint64_t base = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_MTU) |
			      (1ull << VIRTIO_NET_F_STATUS) |
			      (1ull << VIRTIO_NET_F_MRG_RXBUF);
	const uint64_t offl = (1ull << VIRTIO_NET_F_CSUM) |
			      (1ull << VIRTIO_NET_F_GUEST_CSUM) |
			      (0xffull << VIRTIO_NET_F_GUEST_TSO4); /* bits 7..14 */
	struct fx *f = fx_new(ALL_OFFLOADS);
	uint64_t feat = device_features(f);

	(void)state;
	assert_true((feat & base) == base);
	assert_true((feat & offl) == offl);
	assert_false(feat & (1ull << 17)); /* no CTRL_VQ */
	fx_free(f);

	/* A back end with no offloads: no checksum or segmentation features. */
	f = fx_new(0);
	feat = device_features(f);
	assert_true((feat & base) == base);
	assert_false(feat & offl);
	fx_free(f);

	/* Only TSO4 (and the checksum): no TSO6, ECN or UFO either way. */
	f = fx_new(TUN_F_CSUM | TUN_F_TSO4);
	feat = device_features(f);
	assert_true(feat & (1ull << VIRTIO_NET_F_GUEST_TSO4));
	assert_true(feat & (1ull << VIRTIO_NET_F_HOST_TSO4));
	assert_false(feat & (1ull << VIRTIO_NET_F_GUEST_TSO6));
	assert_false(feat & (1ull << VIRTIO_NET_F_HOST_TSO6));
	assert_false(feat & (1ull << VIRTIO_NET_F_GUEST_ECN));
	assert_false(feat & (1ull << VIRTIO_NET_F_HOST_UFO));
	fx_free(f);
}

static void test_offload_negotiation(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);

	(void)state;
	bring_up(f, (1ull << VIRTIO_NET_F_GUEST_CSUM) |
			    (1ull << VIRTIO_NET_F_GUEST_TSO4) |
			    (1ull << VIRTIO_NET_F_GUEST_ECN));
	assert_int_equal(f->offload, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN);
	/* A reset takes every offload back. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->offload, 0);

	/* TSO without the partial checksum means nothing (5.1.3.1). */
	bring_up(f, (1ull << VIRTIO_NET_F_GUEST_TSO4) |
			    (1ull << VIRTIO_NET_F_GUEST_TSO6));
	assert_int_equal(f->offload, 0);
	wr(f, VIRTIO_MMIO_STATUS, 0);

	bring_up(f, (1ull << VIRTIO_NET_F_GUEST_CSUM) |
			    (1ull << VIRTIO_NET_F_GUEST_TSO6) |
			    (1ull << VIRTIO_NET_F_GUEST_UFO));
	assert_int_equal(f->offload, TUN_F_CSUM | TUN_F_TSO6 | TUN_F_UFO);
	fx_free(f);

	/* A feature that was not offered is refused at FEATURES_OK. */
	f = fx_new(0);
	wr(f, VIRTIO_MMIO_STATUS, 3);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_NET_F_GUEST_TSO4);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(f, VIRTIO_MMIO_STATUS, 0x0b);
	assert_int_equal(rd(f, VIRTIO_MMIO_STATUS), 0x03);
	fx_free(f);
}

static void test_rx_one_chain(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	uint8_t *b = ram(f, BUF);

	(void)state;
	bring_up(f, 0);
	post_rx(f, BUF, 2048);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 100, 0, 0, 7);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1);
	assert_int_equal(vdrv_used_len(&f->rx, 0), VIRTIO_NET_HDR_LEN + 100);
	assert_int_equal(le_get(b + 10, 2), 1); /* num_buffers without MRG_RXBUF */
	check_payload(b + VIRTIO_NET_HDR_LEN, 100, 7);
	assert_true(f->edges >= 1);
	assert_int_equal(stats(f).rx_frames, 1);
	assert_int_equal(stats(f).rx_bytes, 100);
	fx_free(f);
}

static void test_rx_mergeable(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);

	(void)state;
	bring_up(f, 1ull << VIRTIO_NET_F_MRG_RXBUF);
	post_rx(f, BUF, 64);
	post_rx(f, BUF + 0x1000, 64);
	post_rx(f, BUF + 0x2000, 64);
	post_rx(f, BUF + 0x3000, 64);
	kick(f, VIRTIO_NET_RXQ);
	/* 12 + 150 = 162 bytes: 64 + 64 + 34, three buffers. */
	host_send(f, 150, 0, 0, 3);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 3);
	assert_int_equal(vdrv_used_id(&f->rx, 0), 0);
	assert_int_equal(vdrv_used_len(&f->rx, 0), 64);
	assert_int_equal(vdrv_used_id(&f->rx, 1), 1);
	assert_int_equal(vdrv_used_len(&f->rx, 1), 64);
	assert_int_equal(vdrv_used_id(&f->rx, 2), 2);
	assert_int_equal(vdrv_used_len(&f->rx, 2), 34);
	assert_int_equal(le_get(ram(f, BUF + 10), 2), 3); /* num_buffers */
	check_payload(ram(f, BUF + VIRTIO_NET_HDR_LEN), 52, 3);
	check_payload(ram(f, BUF + 0x1000), 64, 3 + 52);
	check_payload(ram(f, BUF + 0x2000), 34, 3 + 116);

	/* A small frame takes one buffer: num_buffers 1. */
	host_send(f, 20, 0, 0, 9);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 4);
	assert_int_equal(vdrv_used_len(&f->rx, 3), 32);
	assert_int_equal(le_get(ram(f, BUF + 0x3000 + 10), 2), 1);

	/*
	 * Too few buffers for the next frame: nothing is used, the frame waits
	 * for more buffers and then arrives whole.
	 */
	post_rx(f, BUF + 0x4000, 64);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 100, 0, 0, 5);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 4);
	assert_false(virtio_net_rx_polling(f->dev));
	post_rx(f, BUF + 0x5000, 64);
	kick(f, VIRTIO_NET_RXQ);
	assert_int_equal(vdrv_used_idx(&f->rx), 6);
	assert_int_equal(le_get(ram(f, BUF + 0x4000 + 10), 2), 2);
	check_payload(ram(f, BUF + 0x5000), 48, 5 + 52);
	assert_int_equal(stats(f).rx_frames, 3);
	assert_int_equal(stats(f).rx_dropped, 0);
	fx_free(f);
}

static void test_rx_too_long_dropped(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	uint8_t *b = ram(f, BUF);

	(void)state;
	bring_up(f, 0);
	memset(b, 0xcc, 0x1000);
	post_rx(f, BUF, 100);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 200, 0, 0, 1); /* 212 bytes for a 100-byte buffer */
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 0);
	assert_int_equal(stats(f).rx_dropped, 1);
	assert_int_equal(stats(f).rx_too_long, 1);
	for (unsigned i = 0; i < 0x1000; i++)
		assert_int_equal(b[i], 0xcc); /* not a byte written */
	/* The buffer is still the guest's: the next frame that fits uses it. */
	host_send(f, 50, 0, 0, 2);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1);
	assert_int_equal(vdrv_used_len(&f->rx, 0), 62);
	assert_int_equal(b[62], 0xcc);

	/* Longer than the MTU without segmentation: dropped, however big the buffers. */
	post_rx(f, BUF + 0x2000, 4096);
	f->dev->vqs[0].size = QSIZE; /* (unchanged) */
	fx_free(f);

	f = fx_new(ALL_OFFLOADS);
	bring_up(f, (1ull << VIRTIO_NET_F_MTU) | (1ull << VIRTIO_NET_F_MRG_RXBUF));
	for (int i = 0; i < 4; i++)
		post_rx(f, BUF + 0x1000u * i, 4096);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 1500 + 14 + 4 + 1, 0, 0, 1);
	host_send(f, 1500 + 14 + 4, 0, 0, 1);
	/* A GSO frame the guest did not negotiate (GUEST_TSO4): dropped. */
	host_send(f, 100, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1);
	assert_int_equal(vdrv_used_len(&f->rx, 0), VIRTIO_NET_HDR_LEN + 1518);
	assert_int_equal(stats(f).rx_too_long, 2);
	fx_free(f);
}

static void test_rx_mergeable_ring_too_small(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);

	(void)state;
	bring_up(f, 1ull << VIRTIO_NET_F_MRG_RXBUF);
	/* The whole ring (16 x 32 bytes) cannot hold 12 + 1000 bytes. */
	for (int i = 0; i < QSIZE; i++)
		post_rx(f, BUF + 0x100u * i, 32);
	memset(ram(f, BUF + 0x100u * QSIZE), 0xcc, 0x100);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 1000, 0, 0, 1);
	host_send(f, 40, 0, 0, 4);
	pump(f);
	assert_int_equal(stats(f).rx_too_long, 1);
	/* The next frame still gets the ring's first buffers. */
	assert_int_equal(vdrv_used_idx(&f->rx), 2);
	assert_int_equal(vdrv_used_id(&f->rx, 0), 0);
	assert_int_equal(le_get(ram(f, BUF + 10), 2), 2);
	assert_int_equal(*ram(f, BUF + 0x100u * QSIZE), 0xcc);
	fx_free(f);
}

static void test_rx_no_buffers_not_polled(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);

	(void)state;
	bring_up(f, 0);
	host_send(f, 60, 0, 0, 1);
	pump(f); /* one look: no buffers, so no more watching */
	assert_false(virtio_net_rx_polling(f->dev));
	host_send(f, 60, 0, 0, 2);
	/* Frames wait in the back end, and the loop has nothing to call. */
	assert_int_equal(event_loop_run_once(f->loop, 0), 0);
	assert_int_equal(event_loop_run_once(f->loop, 0), 0);
	assert_int_equal(vdrv_used_idx(&f->rx), 0);
	/* The guest posts buffers and kicks: the frames arrive. */
	post_rx(f, BUF, 2048);
	post_rx(f, BUF + 0x1000, 2048);
	kick(f, VIRTIO_NET_RXQ);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 2);
	check_payload(ram(f, BUF + VIRTIO_NET_HDR_LEN), 60, 1);
	check_payload(ram(f, BUF + 0x1000 + VIRTIO_NET_HDR_LEN), 60, 2);
	assert_true(virtio_net_rx_polling(f->dev)); /* buffers left: watching */
	fx_free(f);
}

static void test_rx_queue_not_set_up(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	uint64_t features = (1ull << VIRTIO_F_VERSION_1) |
			    (1ull << VIRTIO_NET_F_MRG_RXBUF);

	(void)state;
	/* A driver that sets up only the transmit queue. */
	wr(f, VIRTIO_MMIO_STATUS, 3);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(f, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(f, VIRTIO_MMIO_STATUS, 0x0b);
	setup_queue(f, VIRTIO_NET_TXQ, TX_DESC, TX_AVAIL, TX_USED);
	wr(f, VIRTIO_MMIO_STATUS, 0x0f);
	host_send(f, 60, 0, 0, 1);
	pump(f);
	/* The frame waits: no buffers is not "too long". */
	assert_int_equal(stats(f).rx_dropped, 0);
	assert_false(virtio_net_rx_polling(f->dev));
	assert_false(needs_reset(f));
	fx_free(f);
}

static void test_tx_gather(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	struct vbuf b[4] = {
		{ BUF, 6, false }, /* the header, split */
		{ BUF + 0x100, 6, false },
		{ BUF + 0x200, 50, false },
		{ BUF + 0x300, 30, false },
	};
	uint8_t got[256];
	ssize_t n;

	(void)state;
	bring_up(f, 1ull << VIRTIO_NET_F_CSUM);
	memset(ram(f, BUF), 0, 6);
	*ram(f, BUF) = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	memset(ram(f, BUF + 0x100), 0, 6);
	memset(ram(f, BUF + 0x200), 0xaa, 50);
	memset(ram(f, BUF + 0x300), 0xbb, 30);
	vdrv_add_chain(&f->tx, b, 4);
	kick(f, VIRTIO_NET_TXQ);
	n = recv(f->sv[1], got, sizeof(got), 0);
	assert_int_equal(n, 92);
	assert_int_equal(got[0], VIRTIO_NET_HDR_F_NEEDS_CSUM); /* passed through */
	assert_int_equal(got[12], 0xaa);
	assert_int_equal(got[61], 0xaa);
	assert_int_equal(got[62], 0xbb);
	assert_int_equal(got[91], 0xbb);
	assert_int_equal(vdrv_used_idx(&f->tx), 1);
	assert_int_equal(vdrv_used_len(&f->tx, 0), 0);
	assert_int_equal(stats(f).tx_frames, 1);
	assert_int_equal(stats(f).tx_bytes, 80);

	/* Shorter than a header: used, not sent, counted. */
	vdrv_add_chain(&f->tx, b, 1);
	kick(f, VIRTIO_NET_TXQ);
	assert_int_equal(vdrv_used_idx(&f->tx), 2);
	assert_int_equal(recv(f->sv[1], got, sizeof(got), 0), -1);
	assert_int_equal(stats(f).tx_dropped, 1);
	assert_false(needs_reset(f));
	fx_free(f);
}

/*
 * A paused VM (the device list's pause): a frame from the tap stays out of
 * guest memory and a transmit kick is kept; going on, both happen.
 */
static void test_pause_holds_both_ways(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	struct vbuf t = { BUF + 0x4000, VIRTIO_NET_HDR_LEN + 40, false };
	uint8_t got[256];

	(void)state;
	bring_up(f, 0);
	post_rx(f, BUF, 2048);
	kick(f, VIRTIO_NET_RXQ);
	virtio_mmio_device_ops.pause(f->m, true);
	host_send(f, 100, 0, 0, 3);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 0);
	memset(ram(f, BUF + 0x4000), 0, VIRTIO_NET_HDR_LEN + 40);
	vdrv_add_chain(&f->tx, &t, 1);
	kick(f, VIRTIO_NET_TXQ);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->tx), 0);
	assert_int_equal(recv(f->sv[1], got, sizeof(got), 0), -1);
	virtio_mmio_device_ops.pause(f->m, false);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1);
	check_payload(ram(f, BUF) + VIRTIO_NET_HDR_LEN, 100, 3);
	assert_int_equal(vdrv_used_idx(&f->tx), 1);
	assert_int_equal(recv(f->sv[1], got, sizeof(got), 0), 40 + VIRTIO_NET_HDR_LEN);
	virtio_mmio_device_ops.pause(f->m, false); /* a second go-on: nothing */
	assert_false(needs_reset(f));
	fx_free(f);
}

static void test_tx_batch_bounded(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	struct vbuf b = { BUF, 20, false };
	uint8_t got[64];
	int frames = 0;

	(void)state;
	bring_up(f, 0);
	memset(ram(f, BUF), 0, 20);
	/* A full ring: one kick sends at most the queue's worth. */
	for (int i = 0; i < QSIZE; i++)
		vdrv_add_chain(&f->tx, &b, 1);
	kick(f, VIRTIO_NET_TXQ);
	while (recv(f->sv[1], got, sizeof(got), 0) == 20)
		frames++;
	assert_int_equal(frames, QSIZE);
	assert_int_equal(vdrv_used_idx(&f->tx), QSIZE);
	fx_free(f);
}

static void test_broken_chains(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);

	(void)state;
	bring_up(f, 0);
	/* A transmit chain whose next descriptor is outside the table. */
	vdrv_put_desc(ram(f, TX_DESC), 0, BUF, 12, VIRTQ_DESC_F_NEXT, 99);
	vdrv_publish(&f->tx, 0);
	unit_stderr_begin();
	kick(f, VIRTIO_NET_TXQ);
	free(unit_stderr_end());
	assert_true(needs_reset(f));
	assert_int_equal(vdrv_used_idx(&f->tx), 0);
	fx_free(f);

	/* A receive buffer outside RAM. */
	f = fx_new(ALL_OFFLOADS);
	bring_up(f, 0);
	post_rx(f, RAM_SIZE - 16, 4096);
	host_send(f, 60, 0, 0, 1);
	unit_stderr_begin();
	pump(f);
	free(unit_stderr_end());
	assert_true(needs_reset(f));
	assert_false(virtio_net_rx_polling(f->dev));
	assert_int_equal(vdrv_used_idx(&f->rx), 0);
	/* The driver resets and starts again: the device works. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	bring_up(f, 0);
	post_rx(f, BUF, 2048);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 60, 0, 0, 1);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1);
	fx_free(f);
}

static void test_link(void **state)
{
	struct fx *f = fx_new(ALL_OFFLOADS);
	struct vbuf b = { BUF, 20, false };
	uint8_t got[64];
	int edges;

	(void)state;
	bring_up(f, 1ull << VIRTIO_NET_F_STATUS);
	edges = f->edges;
	virtio_net_set_link(f->dev, false);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG + 4) >> 16, 0); /* status */
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_CONFIG);
	assert_true(f->edges > edges);
	/* Link down: transmit is dropped, receive too. */
	memset(ram(f, BUF), 0, 20);
	vdrv_add_chain(&f->tx, &b, 1);
	kick(f, VIRTIO_NET_TXQ);
	assert_int_equal(recv(f->sv[1], got, sizeof(got), 0), -1);
	assert_int_equal(stats(f).tx_dropped, 1);
	post_rx(f, BUF + 0x1000, 2048);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 60, 0, 0, 1);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 0);
	virtio_net_set_link(f->dev, true);
	assert_int_equal(rd(f, VIRTIO_MMIO_CONFIG + 4) >> 16, VIRTIO_NET_S_LINK_UP);
	host_send(f, 60, 0, 0, 1);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1);
	fx_free(f);
}

static void test_save_load(void **state)
{
	static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
	struct fx *a = fx_new(ALL_OFFLOADS), *b;
	struct virtio_net_backend be;
	struct state_writer w;
	uint8_t c[VIRTIO_NET_CONFIG_SIZE];

	(void)state;
	bring_up(a, (1ull << VIRTIO_NET_F_MRG_RXBUF) |
			    (1ull << VIRTIO_NET_F_GUEST_CSUM) |
			    (1ull << VIRTIO_NET_F_GUEST_TSO4));
	virtio_net_set_link(a->dev, false);
	unit_state_save(&virtio_mmio_device_ops, a->m, &w);

	/* b: made with another MAC, as a different command line would. */
	b = calloc(1, sizeof(*b));
	assert_non_null(b);
	mem_init(&b->mem);
	b->ram = mem_backend_create(&b->mem, "ram", RAM_SIZE, NULL);
	assert_int_equal(mem_add_region(&b->mem, "ram", b->ram, 0, 0, RAM_SIZE,
					false, true), 0);
	bus_init(&b->mmio, "mmio", 0);
	irq_line_init(&b->irq, 16, on_irq, b);
	b->loop = event_loop_create();
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, b->sv), 0);
	be = (struct virtio_net_backend){ .fd = b->sv[0], .offloads = ALL_OFFLOADS,
					  .set_offload = fake_offload,
					  .close = fake_close, .ctx = b,
					  .describe = "socketpair" };
	b->dev = virtio_net_create("virtio-net0", &b->mem, b->loop, &be,
				   other_mac, 9000);
	b->m = virtio_mmio_create(b->dev, &b->irq);
	assert_int_equal(virtio_mmio_register(b->m, &b->mmio, BASE), 0);
	memcpy(b->ram->hva, a->ram->hva, RAM_SIZE);
	assert_int_equal(unit_state_load(&virtio_mmio_device_ops, b->m, w.buf,
					 w.len), 0);
	assert_int_equal(rd(b, VIRTIO_MMIO_STATUS), 0x0f);
	for (unsigned i = 0; i < sizeof(c); i++)
		bus_read(&b->mmio, BASE + VIRTIO_MMIO_CONFIG + i, c + i, 1);
	assert_memory_equal(c, test_mac, 6); /* the saved MAC */
	assert_int_equal(le_get(c + 6, 2), 0); /* link down */
	assert_int_equal(le_get(c + 10, 2), 1500);
	/* The restored device is active with the negotiated offloads. */
	assert_int_equal(b->offload, TUN_F_CSUM | TUN_F_TSO4);
	assert_true(virtio_net_rx_polling(b->dev));

	/* Every truncation is refused. */
	for (size_t len = 0; len < w.len; len++) {
		struct fx *t = fx_new(ALL_OFFLOADS);

		assert_int_equal(unit_state_load(&virtio_mmio_device_ops, t->m,
						 w.buf, len), -1);
		fx_free(t);
	}
	/* A multicast MAC in the stream is refused. */
	{
		struct fx *t = fx_new(ALL_OFFLOADS);
		size_t mac_at = w.len - 9; /* mac[6], mtu, link at the end */

		assert_memory_equal(w.buf + mac_at, test_mac, 6);
		struct state_reader r;

		w.buf[mac_at] |= 1;
		state_reader_init(&r, w.buf, w.len);
		assert_int_equal(virtio_mmio_device_ops.load(t->m, &r, 1), -1);
		assert_str_contains(r.why, "multicast");
		fx_free(t);
	}
	state_writer_free(&w);
	fx_free(a);
	fx_free(b);
}

#define ALL_VHOST ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX) | \
		   (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_NET_F_MRG_RXBUF))

static void test_vhost_start_kick_call_reset(void **state)
{
	struct fx *f;
	uint64_t count;
	uint8_t got[64];
	struct vbuf b = { BUF, 20, false };

	(void)state;
	fake_vhost_reset(ALL_VHOST);
	f = fx_new_with(ALL_OFFLOADS, true);
	bring_up(f, (1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VIRTIO_F_EVENT_IDX) |
			    (1ull << VIRTIO_NET_F_GUEST_CSUM));
	assert_true(virtio_net_vhost_running(f->dev));
	/* The ring features the driver took; the offloads still go to the tap. */
	assert_int_equal(fk.set_features, (1ull << VIRTIO_F_VERSION_1) |
						  (1ull << VIRTIO_F_EVENT_IDX) |
						  (1ull << VIRTIO_NET_F_MRG_RXBUF));
	assert_int_equal(f->offload, TUN_F_CSUM);
	assert_int_equal(fk.nregions, 1);
	assert_int_equal(fk.regions[0].guest_phys_addr, 0);
	assert_int_equal(fk.regions[0].memory_size, RAM_SIZE);
	assert_true(fk.regions[0].userspace_addr == (uint64_t)(uintptr_t)f->ram->hva);
	for (int q = 0; q < 2; q++) {
		uint64_t desc = q ? TX_DESC : RX_DESC, used = q ? TX_USED : RX_USED;

		assert_int_equal(fk.num[q], QSIZE);
		assert_int_equal(fk.base[q], 0);
		assert_true(fk.addr[q].desc_user_addr == (uint64_t)(uintptr_t)ram(f, desc));
		assert_true(fk.addr[q].used_user_addr == (uint64_t)(uintptr_t)ram(f, used));
		assert_true(fk.kick[q] >= 0);
		assert_true(fk.call[q] >= 0);
		assert_int_equal(fk.backend[q], f->sv[0]);
	}
	assert_true(fk.kick[0] != fk.kick[1] && fk.call[0] != fk.call[1]);
	/* The tap is the kernel's: minivmm does not watch it. */
	assert_false(virtio_net_rx_polling(f->dev));

	/* A guest kick reaches the kernel's kick eventfd; minivmm sends nothing. */
	memset(ram(f, BUF), 0, 20);
	vdrv_add_chain(&f->tx, &b, 1);
	kick(f, VIRTIO_NET_TXQ);
	assert_int_equal(read(fk.kick[1], &count, sizeof(count)), 8);
	assert_int_equal(count, 1);
	assert_int_equal(recv(f->sv[1], got, sizeof(got), 0), -1);
	assert_int_equal(vdrv_used_idx(&f->tx), 0);

	/* The kernel's call becomes the transport's interrupt (ISR bit too). */
	wr(f, VIRTIO_MMIO_INTERRUPT_ACK, rd(f, VIRTIO_MMIO_INTERRUPT_STATUS));
	count = 1;
	assert_int_equal(write(fk.call[0], &count, sizeof(count)), 8);
	f->edges = 0;
	assert_true(pump(f) >= 1);
	assert_int_equal(f->edges, 1);
	assert_true(rd(f, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_ISR_QUEUE);
	assert_int_equal(pump(f), 0); /* the call's count was taken */

	/* A reset takes the rings back: no backend. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_false(virtio_net_vhost_running(f->dev));
	assert_int_equal(fk.backend[0], -1);
	assert_int_equal(fk.backend[1], -1);
	assert_int_equal(f->offload, 0);
	fx_free(f);
}

/* A transport with ioeventfds of its own (KVM's, in a VM). */
static int transport_kick[2] = { -1, -1 };
static int transport_watch[2];

static int fake_queue_kick_fd(void *ctx, unsigned q, bool watch)
{
	(void)ctx;
	assert_true(q < 2);
	transport_watch[q] = watch;
	return transport_kick[q];
}

static void test_vhost_takes_the_transports_ioeventfd(void **state)
{
	struct fx *f;
	uint64_t count;

	(void)state;
	fake_vhost_reset(ALL_VHOST);
	f = fx_new_with(ALL_OFFLOADS, true);
	for (int q = 0; q < 2; q++) {
		transport_kick[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		transport_watch[q] = -1;
	}
	f->dev->transport.queue_kick_fd = fake_queue_kick_fd;
	bring_up(f, 0);
	assert_true(virtio_net_vhost_running(f->dev));
	for (int q = 0; q < 2; q++) {
		assert_int_equal(fk.kick[q], transport_kick[q]);
		assert_int_equal(transport_watch[q], 0); /* the kernel reads it now */
	}
	/* A kick that still comes as an exit lands on the same eventfd. */
	kick(f, VIRTIO_NET_RXQ);
	assert_int_equal(read(transport_kick[0], &count, sizeof(count)), 8);
	/* A reset gives the eventfds back to the transport. */
	wr(f, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(transport_watch[0], 1);
	assert_int_equal(transport_watch[1], 1);
	fx_free(f);
	for (int q = 0; q < 2; q++)
		close(transport_kick[q]);
}

static void test_vhost_falls_back_to_user_space(void **state)
{
	struct fx *f;

	(void)state;
	/* The kernel cannot do merged buffers; the driver took them. */
	fake_vhost_reset(ALL_VHOST & ~(1ull << VIRTIO_NET_F_MRG_RXBUF));
	f = fx_new_with(ALL_OFFLOADS, true);
	unit_stderr_begin();
	bring_up(f, 1ull << VIRTIO_NET_F_MRG_RXBUF);
	free(unit_stderr_end());
	assert_false(virtio_net_vhost_running(f->dev));
	assert_int_equal(fk.backend[0], -2); /* never started */
	post_rx(f, BUF, 2048);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 60, 0, 0, 1);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1); /* minivmm delivered it */
	fx_free(f);

	/* The kernel refuses the second queue: it gives the first one back. */
	fake_vhost_reset(ALL_VHOST);
	fk.fail = VHOST_SET_VRING_KICK;
	fk.fail_index = 1;
	f = fx_new_with(ALL_OFFLOADS, true);
	unit_stderr_begin();
	bring_up(f, 0);
	free(unit_stderr_end());
	assert_false(virtio_net_vhost_running(f->dev));
	assert_int_equal(fk.backend[0], -1);
	assert_int_equal(fk.backend[1], -2);
	post_rx(f, BUF, 2048);
	kick(f, VIRTIO_NET_RXQ);
	host_send(f, 60, 0, 0, 1);
	pump(f);
	assert_int_equal(vdrv_used_idx(&f->rx), 1);
	fx_free(f);
}

static void test_vhost_snapshot_takes_rings_back(void **state)
{
	struct state_writer w;
	struct fx *f;

	(void)state;
	fake_vhost_reset(ALL_VHOST);
	f = fx_new_with(ALL_OFFLOADS, true);
	bring_up(f, 0);
	assert_true(virtio_net_vhost_running(f->dev));
	/* The kernel took 3 receive buffers and used 2 of them. */
	fk.get_base[0] = 3;
	le_put(ram(f, RX_USED + 2), 2, 2);
	unit_stderr_begin();
	unit_state_save(&virtio_mmio_device_ops, f->m, &w);
	free(unit_stderr_end());
	assert_false(virtio_net_vhost_running(f->dev));
	assert_int_equal(fk.backend[0], -1);
	assert_int_equal(f->dev->vqs[0].last_avail, 3);
	assert_int_equal(f->dev->vqs[0].used_idx, 2);
	/* The rest of this run is minivmm's: the tap is watched again. */
	assert_true(virtio_net_rx_polling(f->dev));
	state_writer_free(&w);
	fx_free(f);
}

static void test_vhost_open_here(void **state)
{
	struct vhost_net *v;

	(void)state;
	if (access(VHOST_NET_DEV, F_OK) == 0) {
		print_message("SKIP: this host has " VHOST_NET_DEV "\n");
		skip();
	}
	v = vhost_net_open();
	assert_null(v);
	assert_err_contains("cannot open /dev/vhost-net");
	assert_err_contains("no vhost-net here");
}

/* The real tap back end, when this host lets us make one. */
static void test_real_tap(void **state)
{
	char name[16];
	struct net_tap *tap;
	int pipefd[2];

	(void)state;
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		print_message("SKIP: no /dev/net/tun here\n");
		skip();
	}
	snprintf(name, sizeof(name), "mvmt%d", (int)getpid() % 100000);
	tap = net_tap_open(name);
	if (!tap && strstr(err_msg(), "CAP_NET_ADMIN")) {
		print_message("SKIP: %s\n", err_msg());
		skip();
	}
	assert_non_null(tap);
	assert_string_equal(tap->ifname, name);
	assert_true(tap->offloads & TUN_F_CSUM);
	assert_true(fcntl(tap->fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(net_tap_set_vnet_hdr_len(tap, VIRTIO_NET_HDR_LEN), 0);
	assert_int_equal(net_tap_set_offload(tap, tap->offloads), 0);
	assert_int_equal(net_tap_set_offload(tap, 0), 0);
	assert_true(net_tap_mtu(tap, 0) >= 68);
	/* Nothing to read from a tap that is down: EAGAIN, not a block. */
	{
		char buf[64];

		assert_int_equal(read(tap->fd, buf, sizeof(buf)), -1);
		assert_int_equal(errno, EAGAIN);
	}
	net_tap_close(tap);

	/* fd=N must be a tap. */
	assert_int_equal(pipe(pipefd), 0);
	assert_null(net_tap_from_fd(pipefd[0]));
	assert_err_contains("not a tap");
	close(pipefd[0]);
	close(pipefd[1]);
	assert_null(net_tap_from_fd(1000));
	assert_err_contains("not an open file descriptor");
	/* A name too long for an interface. */
	assert_null(net_tap_open("a-name-longer-than-ifnamsiz"));
	assert_err_contains("1 to 15 characters");
}

static int real_offload(void *ctx, uint32_t flags)
{
	return net_tap_set_offload(ctx, flags);
}

static void real_close(void *ctx)
{
	net_tap_close(ctx);
}

#define TEST_ETHERTYPE 0x88b5 /* IEEE local experimental */

/*
 * Frames both ways through a real tap: the host's side is a packet socket
 * on the interface (what it sends the tap hands to the device; what the
 * guest sends comes out of the interface to it).
 */
static void test_real_tap_frames(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_net_backend be;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr;
	struct net_tap *tap;
	uint8_t eth[60], got[2048];
	char name[16];
	int ps, found = 0;

	(void)state;
	assert_non_null(f);
	if (access("/dev/net/tun", R_OK | W_OK) < 0) {
		free(f);
		print_message("SKIP: no /dev/net/tun here\n");
		skip();
	}
	snprintf(name, sizeof(name), "mvmf%d", (int)getpid() % 100000);
	tap = net_tap_open(name);
	if (!tap) {
		free(f);
		print_message("SKIP: %s\n", err_msg());
		skip();
	}
	assert_int_equal(net_tap_set_vnet_hdr_len(tap, VIRTIO_NET_HDR_LEN), 0);
	/* The interface up, and a packet socket on it. */
	ps = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
	assert_true(ps >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(ps, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(ps, SIOCSIFFLAGS, &ifr), 0);
	sll.sll_ifindex = (int)if_nametoindex(name);
	sll.sll_protocol = htons(ETH_P_ALL);
	assert_int_equal(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);

	mem_init(&f->mem);
	f->ram = mem_backend_create(&f->mem, "ram", RAM_SIZE, NULL);
	assert_int_equal(mem_add_region(&f->mem, "ram", f->ram, 0, 0, RAM_SIZE,
					false, true), 0);
	bus_init(&f->mmio, "mmio", 0);
	irq_line_init(&f->irq, 16, on_irq, f);
	f->loop = event_loop_create();
	f->sv[0] = f->sv[1] = -1;
	be = (struct virtio_net_backend){ .fd = tap->fd, .offloads = tap->offloads,
					  .set_offload = real_offload,
					  .close = real_close, .ctx = tap,
					  .describe = tap->ifname };
	f->dev = virtio_net_create("virtio-net0", &f->mem, f->loop, &be,
				   test_mac, net_tap_mtu(tap, 1500));
	assert_non_null(f->dev);
	f->m = virtio_mmio_create(f->dev, &f->irq);
	assert_int_equal(virtio_mmio_register(f->m, &f->mmio, BASE), 0);
	/* The kernel takes the offloads the driver negotiated. */
	bring_up(f, (1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VIRTIO_NET_F_CSUM) |
			    (1ull << VIRTIO_NET_F_GUEST_CSUM) |
			    (1ull << VIRTIO_NET_F_GUEST_TSO4));
	assert_false(needs_reset(f));
	for (int i = 0; i < 8; i++)
		post_rx(f, BUF + 0x1000u * i, 2048);
	kick(f, VIRTIO_NET_RXQ);

	/* Host to guest: a frame sent on the interface reaches the ring. */
	memset(eth, 0, sizeof(eth));
	memcpy(eth, test_mac, 6);
	memcpy(eth + 6, "\x02\x00\x00\x00\x00\x01", 6);
	eth[12] = TEST_ETHERTYPE >> 8;
	eth[13] = TEST_ETHERTYPE & 0xff;
	memcpy(eth + 14, "to-the-guest", 12);
	assert_int_equal(send(ps, eth, sizeof(eth), 0), (ssize_t)sizeof(eth));
	for (int tries = 0; tries < 200 && !found; tries++) {
		pump(f);
		for (uint16_t i = 0; i < vdrv_used_idx(&f->rx); i++) {
			uint8_t *b = ram(f, BUF + 0x1000u * vdrv_used_id(&f->rx, i));

			if (vdrv_used_len(&f->rx, i) == VIRTIO_NET_HDR_LEN + sizeof(eth) &&
			    !memcmp(b + VIRTIO_NET_HDR_LEN, eth, sizeof(eth))) {
				assert_int_equal(le_get(b + 10, 2), 1); /* num_buffers */
				found = 1;
			}
		}
		if (!found)
			usleep(5000);
	}
	assert_true(found);

	/* Guest to host: a transmit chain comes out of the interface. */
	{
		struct vbuf b[2] = { { BUF + 0x10000, VIRTIO_NET_HDR_LEN, false },
				     { BUF + 0x10100, sizeof(eth), false } };

		memset(ram(f, BUF + 0x10000), 0, VIRTIO_NET_HDR_LEN);
		memcpy(eth, "\x02\x00\x00\x00\x00\x01", 6);
		memcpy(eth + 6, test_mac, 6);
		memcpy(eth + 14, "to-the-host!", 12);
		memcpy(ram(f, BUF + 0x10100), eth, sizeof(eth));
		vdrv_add_chain(&f->tx, b, 2);
		kick(f, VIRTIO_NET_TXQ);
		assert_int_equal(vdrv_used_idx(&f->tx), 1);
		found = 0;
		for (int tries = 0; tries < 200 && !found; tries++) {
			ssize_t n = recv(ps, got, sizeof(got), 0);

			if (n == (ssize_t)sizeof(eth) && !memcmp(got, eth, sizeof(eth)))
				found = 1;
			else if (n < 0)
				usleep(5000);
		}
		assert_true(found);
		assert_int_equal(stats(f).tx_frames, 1);
	}
	close(ps);
	virtio_mmio_device_ops.destroy(f->m); /* closes the tap: it goes away */
	event_loop_destroy(f->loop);
	bus_destroy(&f->mmio);
	mem_destroy(&f->mem);
	free(f);
	assert_int_equal(if_nametoindex(name), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_space),
		cmocka_unit_test(test_features_follow_offloads),
		cmocka_unit_test(test_offload_negotiation),
		cmocka_unit_test(test_rx_one_chain),
		cmocka_unit_test(test_rx_mergeable),
		cmocka_unit_test(test_rx_too_long_dropped),
		cmocka_unit_test(test_rx_mergeable_ring_too_small),
		cmocka_unit_test(test_rx_no_buffers_not_polled),
		cmocka_unit_test(test_rx_queue_not_set_up),
		cmocka_unit_test(test_tx_gather),
		cmocka_unit_test(test_pause_holds_both_ways),
		cmocka_unit_test(test_tx_batch_bounded),
		cmocka_unit_test(test_broken_chains),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_save_load),
		cmocka_unit_test(test_vhost_start_kick_call_reset),
		cmocka_unit_test(test_vhost_takes_the_transports_ioeventfd),
		cmocka_unit_test(test_vhost_falls_back_to_user_space),
		cmocka_unit_test(test_vhost_snapshot_takes_rings_back),
		cmocka_unit_test(test_vhost_open_here),
		cmocka_unit_test(test_real_tap),
		cmocka_unit_test(test_real_tap_frames),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
