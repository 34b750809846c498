// SPDX-License-Identifier: MIT
#include "dev/pc_testdev.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* The bits of the register an access of len bytes at byte `offset` covers. */
static uint32_t lane_mask(uint64_t offset, uint32_t len)
{
	uint64_t m = len >= 4 ? 0xffffffffull : (1ull << (8 * len)) - 1;

	return (uint32_t)(m << (8 * offset));
}

static void reg_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
	struct pc_testdev *t = opaque;

	bus_data_put(data, len, (t->data & lane_mask(offset, len)) >> (8 * offset));
}

static void reg_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct pc_testdev *t = opaque;
	uint32_t m = lane_mask(offset, len);

	t->data = (t->data & ~m) |
		  ((uint32_t)(bus_data_get(data, len) << (8 * offset)) & m);
}

static const struct bus_ops reg_ops = {
	.read = reg_read,
	.write = reg_write,
};

static void flush_write(void *opaque, uint64_t offset, const uint8_t *data,
			uint32_t len)
{
	struct pc_testdev *t = opaque;

	(void)offset;
	t->host.flush_page(t->host.opaque, bus_data_get(data, len) & ~0xfffull);
}

static const struct bus_ops flush_ops = {
	.write = flush_write,
};

static void irq_write(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len)
{
	struct pc_testdev *t = opaque;

	/* As QEMU's, byte-wise: byte i of a wider write is line offset + i. */
	for (uint32_t i = 0; i < len && offset + i < PC_TESTDEV_NR_IRQS; i++)
		t->host.set_irq(t->host.opaque, (unsigned)(offset + i), data[i] != 0);
}

static const struct bus_ops irq_ops = {
	.write = irq_write,
};

static void iomem_read(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len)
{
	struct pc_testdev *t = opaque;

	memcpy(data, t->iomem + offset, len);
}

static void iomem_write(void *opaque, uint64_t offset, const uint8_t *data,
			uint32_t len)
{
	struct pc_testdev *t = opaque;

	memcpy(t->iomem + offset, data, len);
}

static const struct bus_ops iomem_ops = {
	.read = iomem_read,
	.write = iomem_write,
};

struct pc_testdev *pc_testdev_create(const struct pc_testdev_host *host)
{
	struct pc_testdev *t = calloc(1, sizeof(*t));

	if (!t) {
		err_set("pc-testdev: out of memory");
		return NULL;
	}
	t->host = *host;
	return t;
}

int pc_testdev_register(struct pc_testdev *t, struct bus *io, struct bus *mmio)
{
	const unsigned any = BUS_W1 | BUS_W2 | BUS_W4;

	if (bus_register(io, "pc-testdev", PC_TESTDEV_PORT, 4, any, &reg_ops, t) < 0 ||
	    bus_register(io, "pc-testdev-flush", PC_TESTDEV_FLUSH_PORT, 4, BUS_W4,
			 &flush_ops, t) < 0 ||
	    bus_register(io, "pc-testdev-byte", PC_TESTDEV_BYTE_PORT, 4, any,
			 &reg_ops, t) < 0 ||
	    bus_register(io, "pc-testdev-irq", PC_TESTDEV_IRQ_PORT,
			 PC_TESTDEV_NR_IRQS, any, &irq_ops, t) < 0)
		return -1;
	return bus_register(mmio, "pc-testdev-iomem", PC_TESTDEV_IOMEM,
			    PC_TESTDEV_IOMEM_LEN, BUS_W_ANY, &iomem_ops, t);
}

static void pc_testdev_reset(void *dev)
{
	struct pc_testdev *t = dev;

	t->data = 0;
	memset(t->iomem, 0, sizeof(t->iomem));
}

static void pc_testdev_destroy(void *dev)
{
	free(dev);
}

const struct device_ops pc_testdev_device_ops = {
	.type = "pc-testdev",
	.version = 1,
	.reset = pc_testdev_reset,
	.destroy = pc_testdev_destroy,
};
