// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the virtqueue walk and the virtio-blk request
 * path: whatever a driver could put in guest memory.
 *
 * The first two input bytes choose the queue size (a power of 2) and the
 * features (indirect descriptors, EVENT_IDX); the rest becomes guest RAM
 * from address 0, where the descriptor table, both rings and the buffers
 * live.  The device is then kicked, its requests run against a small
 * image file, and the harness waits for them: every chain must be
 * answered or refused (DEVICE_NEEDS_RESET), never read or written outside
 * RAM (ASan watches the mapping's neighbours), and never hang.
 *
 *   make fuzz && build-fuzz/fuzz_virtio_blk -max_total_time=60
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/aio.h"
#include "block/image.h"
#include "log.h"
#include "mem.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"
#include "vm_config.h"

#define RAM_SIZE 0x10000ull /* 64 KiB: rings at the start, buffers after */
#define DESC 0x0000ull
#define AVAIL 0x4000ull
#define USED 0x5000ull

static struct guest_mem mem;
static struct mem_backend *ram;
static struct block_image *img;

static void init_once(void)
{
	static char path[] = "/tmp/minivmm-fuzz-blk-XXXXXX";
	struct drive_cfg d = { .iface = DRIVE_IF_NONE, .discard = true,
			       .cache = DRIVE_CACHE_UNSAFE };
	int fd;

	if (img)
		return;
	log_set_level(LOG_ERROR);
	mem_init(&mem);
	ram = mem_backend_create(&mem, "ram", RAM_SIZE, NULL);
	if (!ram || mem_add_region(&mem, "ram", ram, 0, 0, RAM_SIZE, false, true))
		abort();
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, 64 * 1024) < 0)
		abort();
	close(fd);
	snprintf(d.id, sizeof(d.id), "fuzz");
	snprintf(d.file, sizeof(d.file), "%s", path);
	img = block_image_open(&d);
	unlink(path);
	if (!img)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_dev *dev;
	size_t fill;

	init_once();
	if (size < 2)
		return 0;
	memset(ram->hva, 0, RAM_SIZE);
	fill = size - 2 < RAM_SIZE ? size - 2 : RAM_SIZE;
	memcpy(ram->hva, data + 2, fill);

	dev = virtio_blk_create("fuzz-blk", &mem, img, "FUZZ");
	if (!dev)
		abort();
	virtio_set_driver_features(dev, 0, (data[1] & 1 ? 1u << VIRTIO_F_INDIRECT_DESC : 0) |
						   (data[1] & 2 ? 1u << VIRTIO_F_EVENT_IDX : 0) |
						   (1u << VIRTIO_BLK_F_FLUSH));
	virtio_set_driver_features(dev, 1, 1); /* VERSION_1 */
	pthread_mutex_lock(&dev->lock);
	virtio_set_status(dev, 0x0b);
	dev->vqs[0].size = (uint16_t)(1u << (data[0] % 9)); /* 1 .. 256 */
	dev->vqs[0].desc_gpa = DESC;
	dev->vqs[0].avail_gpa = AVAIL;
	dev->vqs[0].used_gpa = USED;
	virtio_queue_enable(dev, 0);
	virtio_set_status(dev, 0x0f);
	pthread_mutex_unlock(&dev->lock);

	virtio_queue_kick(dev, 0);
	block_drain(img); /* every request the kick submitted is done */
	virtio_reset(dev);
	virtio_dev_destroy(dev);
	return 0;
}
