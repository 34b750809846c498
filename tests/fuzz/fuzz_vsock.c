// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for virtio-vsock's packet path: whatever a driver
 * could put in guest memory for the tx queue (the 44-byte headers, their
 * lengths, CIDs, ports, operations, credit), answered through the rx and
 * event queues.
 *
 * The first two input bytes choose the queue size (a power of 2, at most
 * 8) and the features (indirect descriptors, EVENT_IDX); the rest
 * becomes guest RAM from address 0, where the three rings and the
 * buffers live.  A host
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

#include "event_loop.h"
#include "log.h"
#include "mem.h"
#include "virtio/virtio.h"
#include "virtio/vsock.h"

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

static void init_once(void)
{
	static char dir[] = "/tmp/minivmm-fuzz-vsock-XXXXXX";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char uds[64];

	if (dev)
		return;
	log_set_level(LOG_ERROR);
	mem_init(&mem);
	ram = mem_backend_create(&mem, "ram", RAM_SIZE, NULL);
	if (!ram || mem_add_region(&mem, "ram", ram, 0, 0, RAM_SIZE, false, true))
		abort();
	if (!mkdtemp(dir))
		abort();
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t fill;
	int fd;

	init_once();
	if (size < 2)
		return 0;
	memset(ram->hva, 0, RAM_SIZE);
	fill = size - 2 < RAM_SIZE ? size - 2 : RAM_SIZE;
	memcpy(ram->hva, data + 2, fill);

	virtio_set_driver_features(dev, 0, (data[1] & 1 ? 1u << VIRTIO_F_INDIRECT_DESC : 0) |
						   (data[1] & 2 ? 1u << VIRTIO_F_EVENT_IDX : 0));
	virtio_set_driver_features(dev, 1, 1); /* VERSION_1 */
	pthread_mutex_lock(&dev->lock);
	virtio_set_status(dev, 0x0b);
	for (unsigned q = 0; q < VIRTIO_VSOCK_QUEUES; q++) {
		dev->vqs[q].size = (uint16_t)(1u << (data[0] % 4)); /* 1 .. 8 */
		dev->vqs[q].desc_gpa = rings[q][0];
		dev->vqs[q].avail_gpa = rings[q][1];
		dev->vqs[q].used_gpa = rings[q][2];
		virtio_queue_enable(dev, q);
	}
	virtio_set_status(dev, 0x0f);
	pthread_mutex_unlock(&dev->lock);

	/* tx first (the packets), then rx and event (the answers). */
	virtio_queue_kick(dev, 1);
	pump();
	virtio_queue_kick(dev, 0);
	virtio_queue_kick(dev, 2);
	pump();
	/* The host side accepts what the guest connected, and writes to it. */
	while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (send(fd, "data", 4, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			(void)0;
		pump();
		close(fd);
	}
	virtio_queue_kick(dev, 1);
	pump();

	virtio_reset(dev);
	pump();
	if (virtio_vsock_nr_conns(dev))
		abort(); /* a reset closes every connection */
	return 0;
}
