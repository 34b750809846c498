// SPDX-License-Identifier: MIT
#include "dev/post.h"

#include <stdlib.h>

#include "log.h"

static void post_read(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len)
{
	struct post *p = opaque;

	(void)offset;
	bus_data_put(data, len, p->last);
}

static void post_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
	struct post *p = opaque;

	(void)offset;
	(void)len;
	/* Racy across vCPUs by design: it is a progress indicator only. */
	p->last = data[0];
	p->writes++;
	log_debug("POST code 0x%02x", data[0]);
}

static const struct bus_ops post_ops = { .read = post_read, .write = post_write };

struct post *post_create(struct bus *pio, uint16_t port)
{
	struct post *p = calloc(1, sizeof(*p));

	if (!p) {
		err_set("post: out of memory");
		return NULL;
	}
	if (bus_register(pio, "post", port, 1, BUS_W1 | BUS_W2 | BUS_W4,
			 &post_ops, p) < 0) {
		free(p);
		return NULL;
	}
	return p;
}

void post_destroy(void *dev)
{
	free(dev);
}
