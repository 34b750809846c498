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

	(void)offset;
	(void)len;
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

struct debugcon *debugcon_create(struct bus *bus, uint16_t port, FILE *out)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));
	char name[32];

	if (!dc) {
		err_set("debugcon: out of memory");
		return NULL;
	}
	dc->out = out;
	dc->port = port;
	snprintf(name, sizeof(name), "debugcon@0x%x", port);
	if (bus_register(bus, name, port, 1, BUS_W1 | BUS_W2 | BUS_W4,
			 &debugcon_ops, dc) < 0) {
		free(dc);
		return NULL;
	}
	return dc;
}

void debugcon_destroy(void *dc)
{
	struct debugcon *d = dc;

	if (d)
		fflush(d->out);
	free(d);
}
