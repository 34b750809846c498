// SPDX-License-Identifier: MIT
#include "dev/boot_marker.h"

#include <stdlib.h>

#include "log.h"

static void marker_read(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len)
{
	(void)opaque;
	(void)offset;
	bus_data_put(data, len, ~0ull);
}

static void marker_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t len)
{
	struct boot_marker *m = opaque;
	struct timespec now;
	double ms;

	(void)offset;
	(void)len;
	if (data[0] != BOOT_MARKER_MAGIC)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - m->start.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - m->start.tv_nsec) / 1e6;
	m->count++;
	fprintf(m->out, "minivmm: boot marker %u: %.3f ms after start\n",
		m->count, ms);
	fflush(m->out);
}

static const struct bus_ops marker_ops = {
	.read = marker_read,
	.write = marker_write,
};

struct boot_marker *boot_marker_create(const struct timespec *start,
				       FILE *out)
{
	struct boot_marker *m = calloc(1, sizeof(*m));

	if (!m) {
		err_set("boot marker: out of memory");
		return NULL;
	}
	m->start = *start;
	m->out = out;
	return m;
}

int boot_marker_register(struct boot_marker *m, struct bus *pio,
			 uint16_t port)
{
	return bus_register(pio, "boot-marker", port, 1,
			    BUS_W1 | BUS_W2 | BUS_W4, &marker_ops, m);
}

static void boot_marker_destroy(void *dev)
{
	free(dev);
}

const struct device_ops boot_marker_device_ops = {
	.type = "boot-marker",
	.version = 1,
	.destroy = boot_marker_destroy,
};
