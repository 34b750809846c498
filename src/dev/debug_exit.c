// SPDX-License-Identifier: MIT
#include "dev/debug_exit.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"

int debug_exit_status(uint64_t value)
{
	/* exit() keeps the low 8 bits; QEMU's exit((val << 1) | 1) the same. */
	return (int)(((value << 1) | 1) & 0xff);
}

static void debug_exit_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len)
{
	(void)opaque;
	(void)offset;
	bus_data_put(data, len, 0);
}

static void debug_exit_write(void *opaque, uint64_t offset, const uint8_t *data,
			     uint32_t len)
{
	struct debug_exit *de = opaque;

	(void)offset;
	de->exit_fn(de->opaque, debug_exit_status(bus_data_get(data, len)));
}

static const struct bus_ops debug_exit_ops = {
	.read = debug_exit_read,
	.write = debug_exit_write,
};

struct debug_exit *debug_exit_create(uint16_t iobase, uint16_t iosize,
				     void (*exit_fn)(void *opaque, int status),
				     void *opaque)
{
	struct debug_exit *de;

	if (iosize != 1 && iosize != 2 && iosize != 4) {
		err_set("isa-debug-exit: iosize must be 1, 2 or 4, not %u", iosize);
		return NULL;
	}
	if ((uint32_t)iobase + iosize > 0x10000) {
		err_set("isa-debug-exit: iobase 0x%x + iosize %u goes past port 0xffff",
			iobase, iosize);
		return NULL;
	}
	de = calloc(1, sizeof(*de));
	if (!de) {
		err_set("isa-debug-exit: out of memory");
		return NULL;
	}
	de->iobase = iobase;
	de->iosize = iosize;
	de->exit_fn = exit_fn;
	de->opaque = opaque;
	return de;
}

int debug_exit_register(struct debug_exit *de, struct bus *io)
{
	return bus_register(io, "isa-debug-exit", de->iobase, de->iosize,
			    BUS_W1 | BUS_W2 | BUS_W4, &debug_exit_ops, de);
}

static void debug_exit_destroy(void *dev)
{
	free(dev);
}

const struct device_ops debug_exit_device_ops = {
	.type = "isa-debug-exit",
	.version = 1,
	.destroy = debug_exit_destroy,
};
