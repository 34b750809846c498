// SPDX-License-Identifier: MIT
#include "bus.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include <stdio.h>

void bus_init(struct bus *bus, const char *name, uint64_t limit)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	bus->limit = limit;
	pthread_mutex_init(&bus->unclaimed_lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	pthread_mutex_destroy(&bus->unclaimed_lock);
	bus->ranges = NULL;
	bus->nr_ranges = bus->cap = 0;
}

/* Index of the first range whose end is above addr (binary search). */
static size_t bus_lower_bound(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (r->base + (r->len - 1) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, const char *name, uint64_t base,
		 uint64_t len, unsigned widths, const struct bus_ops *ops,
		 void *opaque)
{
	uint64_t last;
	size_t pos;

	if (len == 0)
		return err_set("%s: empty %s range at 0x%llx", name, bus->name,
			       (unsigned long long)base);
	if (__builtin_add_overflow(base, len - 1, &last))
		return err_set("%s: %s range 0x%llx+0x%llx wraps around", name,
			       bus->name, (unsigned long long)base,
			       (unsigned long long)len);
	if (bus->limit && last >= bus->limit)
		return err_set("%s: %s range 0x%llx-0x%llx is beyond 0x%llx",
			       name, bus->name, (unsigned long long)base,
			       (unsigned long long)last,
			       (unsigned long long)bus->limit - 1);
	if (widths == 0 || (widths & ~BUS_W_ANY))
		return err_set("%s: invalid access width mask 0x%x", name,
			       widths);
	if (!ops || (!ops->read && !ops->write))
		return err_set("%s: device has no read or write handler", name);

	pos = bus_lower_bound(bus, base);
	if (pos < bus->nr_ranges && bus->ranges[pos].base <= last) {
		const struct bus_range *r = &bus->ranges[pos];

		return err_set("%s: %s range 0x%llx-0x%llx overlaps %s at 0x%llx-0x%llx",
			       name, bus->name, (unsigned long long)base,
			       (unsigned long long)last, r->name,
			       (unsigned long long)r->base,
			       (unsigned long long)(r->base + r->len - 1));
	}

	if (bus->nr_ranges == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n)
			return err_set("%s: out of memory", name);
		bus->ranges = n;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nr_ranges - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){
		.base = base,
		.len = len,
		.widths = widths,
		.ops = ops,
		.opaque = opaque,
	};
	snprintf(bus->ranges[pos].name, sizeof(bus->ranges[pos].name), "%s",
		 name);
	bus->nr_ranges++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr)
{
	size_t pos = bus_lower_bound(bus, addr);

	if (pos < bus->nr_ranges && bus->ranges[pos].base <= addr)
		return &bus->ranges[pos];
	return NULL;
}

static bool valid_len(uint32_t len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

/* Log an unclaimed or refused access once per address, then go quiet. */
static void bus_note_unclaimed(struct bus *bus, const char *dir, uint64_t addr,
			       uint32_t len, uint64_t value, const char *why)
{
	bool log = true;

	pthread_mutex_lock(&bus->unclaimed_lock);
	bus->unclaimed_count++;
	for (size_t i = 0; i < bus->nr_unclaimed_seen; i++) {
		if (bus->unclaimed_seen[i] == addr) {
			log = false;
			break;
		}
	}
	if (log) {
		if (bus->nr_unclaimed_seen < BUS_UNCLAIMED_LOG_MAX) {
			bus->unclaimed_seen[bus->nr_unclaimed_seen++] = addr;
		} else {
			if (!bus->unclaimed_quiet)
				log_warn("%s: more than %d unclaimed addresses; no longer logging them",
					 bus->name, BUS_UNCLAIMED_LOG_MAX);
			bus->unclaimed_quiet = true;
			log = false;
		}
	}
	pthread_mutex_unlock(&bus->unclaimed_lock);

	if (log && dir[0] == 'w')
		log_warn("%s %s at 0x%llx size=%u data=0x%llx %s (logged once per address)",
			 bus->name, dir, (unsigned long long)addr, len,
			 (unsigned long long)value, why);
	else if (log)
		log_warn("%s %s at 0x%llx size=%u %s (logged once per address)",
			 bus->name, dir, (unsigned long long)addr, len, why);
}

static enum bus_status bus_route(struct bus *bus, uint64_t addr, uint32_t len,
				 const struct bus_range **out)
{
	const struct bus_range *r;

	if (!valid_len(len))
		return BUS_BAD_WIDTH;
	r = bus_find(bus, addr);
	if (!r)
		return BUS_UNCLAIMED;
	/*
	 * A width the device declared, and the whole access inside the range.
	 * A range narrower than a width it declared takes such an access at
	 * its base: a one-port console receiving a 16-bit OUT.
	 */
	if (!(r->widths & len))
		return BUS_BAD_WIDTH;
	if (r->len < len ? addr != r->base : addr - r->base > r->len - len)
		return BUS_BAD_WIDTH;
	*out = r;
	return BUS_OK;
}

enum bus_status bus_read(struct bus *bus, uint64_t addr, uint8_t *data,
			 uint32_t len)
{
	const struct bus_range *r = NULL;
	enum bus_status st = bus_route(bus, addr, len, &r);

	if (st == BUS_OK && r->ops->read) {
		r->ops->read(r->opaque, addr - r->base, data, len);
		return BUS_OK;
	}
	memset(data, 0xff, len > 8 ? 8 : len);
	if (st == BUS_OK)
		st = BUS_UNCLAIMED; /* write-only device */
	bus_note_unclaimed(bus, "read", addr, len, 0,
			   st == BUS_BAD_WIDTH ? "with a width the device does not accept" :
						 "unclaimed, returned all-ones");
	return st;
}

enum bus_status bus_write(struct bus *bus, uint64_t addr, const uint8_t *data,
			  uint32_t len)
{
	const struct bus_range *r = NULL;
	enum bus_status st = bus_route(bus, addr, len, &r);

	if (st == BUS_OK && r->ops->write) {
		r->ops->write(r->opaque, addr - r->base, data, len);
		return BUS_OK;
	}
	if (st == BUS_OK)
		st = BUS_UNCLAIMED; /* read-only device */
	bus_note_unclaimed(bus, "write", addr, len,
			   valid_len(len) ? bus_data_get(data, len) : 0,
			   st == BUS_BAD_WIDTH ? "with a width the device does not accept, dropped" :
						 "unclaimed, dropped");
	return st;
}
