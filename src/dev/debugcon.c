// SPDX-License-Identifier: MIT
#include "dev/debugcon.h"

#include <stdlib.h>

#include "log.h"

static void debugcon_read(void *opaque, uint64_t offset, uint8_t *data,
			  uint32_t len)
{
	(void)opaque;
	(void)offset;
	bus_data_put(data, len, DEBUGCON_READBACK);
}

static void debugcon_write(void *opaque, uint64_t offset, const uint8_t *data,
			   uint32_t len)
{
	struct debugcon *dc = opaque;

	(void)len;
	if (offset)
		return; /* MMIO: only stores to the address itself print */
	/* Only the low byte counts, whatever the width (as QEMU's isa-debugcon). */
	fputc(data[0], dc->out);
	if (data[0] == '\n')
		fflush(dc->out);
	dc->bytes++;
}

static const struct bus_ops debugcon_ops = {
	.read = debugcon_read,
	.write = debugcon_write,
};

struct debugcon *debugcon_create(uint64_t addr, FILE *out)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));

	if (!dc) {
		err_set("debugcon: out of memory");
		return NULL;
	}
	dc->out = out;
	dc->addr = addr;
	return dc;
}

static int debugcon_claim(struct debugcon *dc, struct bus *bus, uint64_t len,
			  unsigned widths)
{
	char name[32];

	snprintf(name, sizeof(name), "debugcon@0x%llx",
		 (unsigned long long)dc->addr);
	return bus_register(bus, name, dc->addr, len, widths, &debugcon_ops, dc);
}

int debugcon_register(struct debugcon *dc, struct bus *io)
{
	return debugcon_claim(dc, io, 1, BUS_W1 | BUS_W2 | BUS_W4);
}

int debugcon_register_mmio(struct debugcon *dc, struct bus *mmio)
{
	return debugcon_claim(dc, mmio, DEBUGCON_MMIO_LEN, BUS_W_ANY);
}

static void debugcon_destroy(void *dev)
{
	struct debugcon *dc = dev;

	if (dc)
		fflush(dc->out);
	free(dc);
}

const struct device_ops debugcon_device_ops = {
	.type = "debugcon",
	.version = 1,
	.destroy = debugcon_destroy,
};
