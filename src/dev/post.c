// SPDX-License-Identifier: MIT
#include "dev/post.h"

#include <stdlib.h>

#include "log.h"
#include "state.h"

static void post_read(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len)
{
	struct post *p = opaque;

	(void)offset;
	bus_data_put(data, len, atomic_load(&p->last));
}

static void post_write(void *opaque, uint64_t offset, const uint8_t *data,
		       uint32_t len)
{
	struct post *p = opaque;

	(void)offset;
	(void)len;
	atomic_store(&p->last, data[0]);
	atomic_fetch_add(&p->writes, 1);
	log_debug("POST code 0x%02x", data[0]);
}

static const struct bus_ops post_ops = { .read = post_read, .write = post_write };

struct post *post_create(void)
{
	struct post *p = calloc(1, sizeof(*p));

	if (!p)
		err_set("post: out of memory");
	return p;
}

int post_register(struct post *p, struct bus *pio, uint16_t port)
{
	return bus_register(pio, "post", port, 1, BUS_W1 | BUS_W2 | BUS_W4,
			    &post_ops, p);
}

static void post_reset(void *dev)
{
	atomic_store(&((struct post *)dev)->last, 0);
}

/* Version 1: u8 the last code. */
static int post_save(void *dev, struct state_writer *w)
{
	state_put_u8(w, atomic_load(&((struct post *)dev)->last));
	return 0;
}

static int post_load(void *dev, struct state_reader *r, uint32_t version)
{
	uint8_t last = state_get_u8(r); /* every byte is a code */

	(void)version;
	if (state_reader_error(r, "post") < 0)
		return -1;
	atomic_store(&((struct post *)dev)->last, last);
	return 0;
}

static void post_destroy(void *dev)
{
	free(dev);
}

const struct device_ops post_device_ops = {
	.type = "post",
	.version = 1,
	.reset = post_reset,
	.save = post_save,
	.load = post_load,
	.destroy = post_destroy,
};
