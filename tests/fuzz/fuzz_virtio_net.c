// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for virtio-net: the transmit path (gathering chains
 * into frames) and the receive path's use of the driver's buffers (one
 * chain per frame, or merged buffers), over whatever a driver could put
 * in guest memory.
 *
 * Input: byte 0 chooses the queue sizes (1 to 16), byte 1 the
 * features (indirect descriptors, EVENT_IDX, MRG_RXBUF, GUEST_CSUM with
 * TSO4, MTU), bytes 2-5 the lengths, flags and gso type of two frames the
 * host sends; the rest becomes guest RAM from address 0, where both
 * queues' rings and the buffers live.  The device is kicked on both
 * queues and the event loop run: every chain must be used or refused
 * (DEVICE_NEEDS_RESET), no byte read or written outside RAM or past a
 * buffer (ASan watches the mapping), and nothing may hang.
 *
 *   make fuzz && build-fuzz/fuzz_virtio_net -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event_loop.h"
#include "log.h"
#include "mem.h"
#include "virtio/net.h"
#include "virtio/virtio.h"

#define RAM_SIZE 0x10000ull
/* Queues of at most 16 entries: both rings in the first 1 KiB of input. */
#define RX_DESC 0x000ull
#define RX_AVAIL 0x100ull
#define RX_USED 0x140ull
#define TX_DESC 0x200ull
#define TX_AVAIL 0x300ull
#define TX_USED 0x340ull

static struct guest_mem mem;
static struct mem_backend *ram;
static struct event_loop *loop;
static int sv[2] = { -1, -1 };
static uint8_t frame[VIRTIO_NET_HDR_LEN + 20000];

static void init_once(void)
{
	if (ram)
		return;
	log_set_level(LOG_ERROR);
	mem_init(&mem);
	ram = mem_backend_create(&mem, "ram", RAM_SIZE, NULL);
	if (!ram || mem_add_region(&mem, "ram", ram, 0, 0, RAM_SIZE, false, true))
		abort();
	loop = event_loop_create();
	if (!loop ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) < 0)
		abort();
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
}

static void drain(int fd)
{
	while (recv(fd, frame, sizeof(frame), 0) >= 0)
		;
}

static void set_queue(struct virtio_dev *dev, unsigned q, uint16_t size,
		      uint64_t desc, uint64_t avail, uint64_t used)
{
	dev->vqs[q].size = size;
	dev->vqs[q].desc_gpa = desc;
	dev->vqs[q].avail_gpa = avail;
	dev->vqs[q].used_gpa = used;
	virtio_queue_enable(dev, q);
}

static int no_offload(void *ctx, uint32_t flags)
{
	(void)ctx;
	(void)flags;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct virtio_net_backend be = {
		.offloads = 0x1f, /* TUN_F_CSUM | TSO4 | TSO6 | TSO_ECN | UFO */
		.set_offload = no_offload, .describe = "fuzz",
	};
	uint32_t features = 0;
	struct virtio_dev *dev;
	size_t fill;

	init_once();
	if (size < 6)
		return 0;
	memset(ram->hva, 0, RAM_SIZE);
	fill = size - 6 < RAM_SIZE ? size - 6 : RAM_SIZE;
	memcpy(ram->hva, data + 6, fill);

	be.fd = sv[0];
	dev = virtio_net_create("fuzz-net", &mem, loop, &be, mac, 1500);
	if (!dev)
		abort();
	if (data[1] & 1)
		features |= 1u << VIRTIO_F_INDIRECT_DESC;
	if (data[1] & 2)
		features |= 1u << VIRTIO_F_EVENT_IDX;
	if (data[1] & 4)
		features |= 1u << VIRTIO_NET_F_MRG_RXBUF;
	if (data[1] & 8)
		features |= (1u << VIRTIO_NET_F_GUEST_CSUM) |
			    (1u << VIRTIO_NET_F_GUEST_TSO4);
	if (data[1] & 16)
		features |= 1u << VIRTIO_NET_F_MTU;
	virtio_set_driver_features(dev, 0, features);
	virtio_set_driver_features(dev, 1, 1); /* VERSION_1 */
	pthread_mutex_lock(&dev->lock);
	virtio_set_status(dev, 0x0b);
	set_queue(dev, VIRTIO_NET_RXQ, (uint16_t)(1u << (data[0] % 5)), RX_DESC,
		  RX_AVAIL, RX_USED);
	set_queue(dev, VIRTIO_NET_TXQ, (uint16_t)(1u << ((data[0] >> 4) % 5)),
		  TX_DESC, TX_AVAIL, TX_USED);
	virtio_set_status(dev, 0x0f);
	pthread_mutex_unlock(&dev->lock);

	/* Two frames from the host: lengths from 0 (a runt) to ~16 KiB. */
	for (int i = 0; i < 2; i++) {
		size_t len = (size_t)data[2 + i] * 64;

		frame[0] = data[4];
		frame[1] = data[5];
		if (len > sizeof(frame))
			len = sizeof(frame);
		if (send(sv[1], frame, len, 0) < 0)
			break;
	}
	virtio_queue_kick(dev, VIRTIO_NET_TXQ);
	for (int round = 0; round < 4; round++)
		if (event_loop_run_once(loop, 0) <= 0)
			break;
	virtio_queue_kick(dev, VIRTIO_NET_RXQ);
	virtio_queue_kick(dev, VIRTIO_NET_TXQ);
	event_loop_run_once(loop, 0);

	virtio_reset(dev);
	virtio_dev_destroy(dev);
	drain(sv[0]);
	drain(sv[1]);
	return 0;
}
