// SPDX-License-Identifier: MIT
#include "device.h"

#include <stdbool.h>
#include <string.h>

#include "log.h"
#include "state.h"

void device_list_init(struct device_list *list)
{
	memset(list, 0, sizeof(*list));
}

int device_list_add(struct device_list *list, const char *name,
		    const struct device_ops *ops, void *dev)
{
	size_t len = name ? strlen(name) : 0;
	int r = 0;

	if (len == 0 || len >= DEVICE_NAME_MAX)
		r = err_set("device name '%s' is empty or longer than %d bytes",
			    name ? name : "", DEVICE_NAME_MAX - 1);
	else if (device_list_find(list, name))
		r = err_set("%s: a device of that name exists already", name);
	else if (list->nr == DEVICE_LIST_MAX)
		r = err_set("%s: too many devices (at most %d)", name,
			    DEVICE_LIST_MAX);
	if (r < 0) {
		if (ops->destroy)
			ops->destroy(dev);
		return -1;
	}
	memcpy(list->items[list->nr].name, name, len + 1);
	list->items[list->nr].ops = ops;
	list->items[list->nr].dev = dev;
	list->nr++;
	return 0;
}

struct device *device_list_find(struct device_list *list, const char *name)
{
	for (size_t i = 0; i < list->nr; i++)
		if (!strcmp(list->items[i].name, name))
			return &list->items[i];
	return NULL;
}

void device_list_pause(struct device_list *list, bool paused)
{
	for (size_t i = 0; i < list->nr; i++)
		if (list->items[i].ops->pause)
			list->items[i].ops->pause(list->items[i].dev, paused);
}

void device_list_reset(struct device_list *list)
{
	for (size_t i = 0; i < list->nr; i++)
		if (list->items[i].ops->reset)
			list->items[i].ops->reset(list->items[i].dev);
}

int device_list_save(struct device_list *list, struct state_writer *w)
{
	state_put_u32(w, (uint32_t)list->nr);
	for (size_t i = 0; i < list->nr; i++) {
		struct device *d = &list->items[i];
		size_t at;

		state_put_str(w, d->name);
		state_put_u32(w, d->ops->version);
		at = w->len;
		state_put_u32(w, 0); /* the part's length, filled in below */
		if (d->ops->save && d->ops->save(d->dev, w) < 0)
			return err_set("%s: %s", d->name, err_msg());
		if (!w->failed) {
			size_t part = w->len - at - 4;

			if (part > UINT32_MAX)
				return err_set("%s: saved state too large", d->name);
			w->buf[at] = (uint8_t)part;
			w->buf[at + 1] = (uint8_t)(part >> 8);
			w->buf[at + 2] = (uint8_t)(part >> 16);
			w->buf[at + 3] = (uint8_t)(part >> 24);
		}
	}
	return state_writer_error(w);
}

int device_list_load(struct device_list *list, struct state_reader *r)
{
	bool seen[DEVICE_LIST_MAX] = { false };
	uint32_t count = state_get_u32(r);

	if (state_reader_error(r, "device state") < 0)
		return -1;
	if (count != list->nr)
		return err_set("device state: %u devices saved, this machine has %zu",
			       count, list->nr);
	for (uint32_t i = 0; i < count; i++) {
		char name[DEVICE_NAME_MAX];
		struct state_reader part;
		struct device *d;
		uint32_t version, len;

		state_get_str(r, name, sizeof(name));
		version = state_get_u32(r);
		len = state_get_u32(r);
		if (state_reader_error(r, "device state") < 0)
			return -1;
		if (len > state_remaining(r))
			return err_set("device state: %s: part of %u bytes is truncated",
				       name, len);
		d = device_list_find(list, name);
		if (!d)
			return err_set("device state: %s: no such device on this machine",
				       name);
		if (seen[d - list->items])
			return err_set("device state: %s: saved twice", name);
		seen[d - list->items] = true;
		if (version == 0 || version > d->ops->version)
			return err_set("device state: %s: version %u, this minivmm reads up to %u",
				       name, version, d->ops->version);
		state_reader_init(&part, r->buf + r->pos, len);
		r->pos += len;
		if (!d->ops->load) {
			if (len)
				return err_set("device state: %s: %u bytes for a device without state",
					       name, len);
			continue;
		}
		/* A load fails through the reader (state_reader_fail) or err_msg(). */
		err_clear();
		if (d->ops->load(d->dev, &part, version) < 0 && !part.failed)
			return err_set("device state: %s: %s", name,
				       err_msg()[0] ? err_msg() : "refused");
		if (state_reader_done(&part, name) < 0)
			return err_set("device state: %s", err_msg());
	}
	return 0;
}

void device_list_destroy(struct device_list *list)
{
	for (size_t i = list->nr; i-- > 0;)
		if (list->items[i].ops->destroy)
			list->items[i].ops->destroy(list->items[i].dev);
	list->nr = 0;
}
