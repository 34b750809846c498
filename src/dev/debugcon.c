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
	/* Only the low byte counts, whatever the width (MISSION.md scenario 3). */
	fputc(data[0], dc->out);
	if (data[0] == '\n')
		fflush(dc->out);
	dc->bytes++;
}

static const struct bus_ops debugcon_ops = {
	.read = debugcon_read,
	.write = debugcon_write,
};

static struct debugcon *debugcon_new(struct bus *bus, uint64_t addr,
				     uint64_t len, unsigned widths, FILE *out)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));
	char name[32];

	if (!dc) {
		err_set("debugcon: out of memory");
		return NULL;
	}
	dc->out = out;
	dc->addr = addr;
	snprintf(name, sizeof(name), "debugcon@0x%llx", (unsigned long long)addr);
	if (bus_register(bus, name, addr, len, widths, &debugcon_ops, dc) < 0) {
		free(dc);
		return NULL;
	}
	return dc;
}

struct debugcon *debugcon_create(struct bus *bus, uint16_t port, FILE *out)
{
	return debugcon_new(bus, port, 1, BUS_W1 | BUS_W2 | BUS_W4, out);
}

struct debugcon *debugcon_create_mmio(struct bus *bus, uint64_t addr,
				      FILE *out)
{
	return debugcon_new(bus, addr, DEBUGCON_MMIO_LEN, BUS_W_ANY, out);
}

void debugcon_destroy(void *dc)
{
	struct debugcon *d = dc;

	if (d)
		fflush(d->out);
	free(d);
}
