/* SPDX-License-Identifier: MIT */
/*
 * I/O buses: one for port I/O, one for MMIO.
 *
 * A device claims [base, base + len) with the access widths it accepts and a
 * pair of callbacks.  The bus owns the checks: overlapping claims are refused
 * at registration, an access of a width the device did not declare, or one
 * that runs past the end of its range, never reaches the device.  Accesses
 * nobody claims read as all-ones and writes are dropped, each logged once per
 * address.  That is what a PC's floating bus does, and what QEMU does.
 *
 * Registration happens before any vCPU runs; dispatch after that is
 * lock-free (the table is read-only).  Devices that keep state and may be
 * reached from several vCPUs or from a host thread lock it themselves.
 */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "byteorder.h"

/* Accepted access widths: a mask of the lengths in bytes. */
#define BUS_W1 0x1u
#define BUS_W2 0x2u
#define BUS_W4 0x4u
#define BUS_W8 0x8u
#define BUS_W_ANY (BUS_W1 | BUS_W2 | BUS_W4 | BUS_W8)

/*
 * The narrow device interface.  `offset` is relative to the registered base;
 * `data` holds `len` bytes in guest (little-endian) order.  A read callback
 * must fill all `len` bytes.
 */
struct bus_ops {
	void (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	unsigned widths;
	const struct bus_ops *ops;
	void *opaque;
	char name[32];
};

/* How many distinct unclaimed addresses are logged before the bus goes quiet. */
#define BUS_UNCLAIMED_LOG_MAX 32

struct bus {
	const char *name; /* "io" or "mmio", used in messages */
	struct bus_range *ranges; /* sorted by base, non-overlapping */
	size_t nr_ranges;
	size_t cap;
	uint64_t limit; /* highest valid address + 1 (0x10000 for ports) */

	pthread_mutex_t unclaimed_lock;
	uint64_t unclaimed_seen[BUS_UNCLAIMED_LOG_MAX];
	size_t nr_unclaimed_seen;
	bool unclaimed_quiet; /* "further ... not logged" was said */
	uint64_t unclaimed_count;
};

enum bus_status {
	BUS_OK = 0,
	BUS_UNCLAIMED, /* nobody claims the address: read all-ones / dropped */
	BUS_BAD_WIDTH, /* claimed, but not with this width or spills past the end */
};

/* `limit` is 0x10000 for the port bus and 0 (meaning 2^64) for MMIO. */
void bus_init(struct bus *bus, const char *name, uint64_t limit);
void bus_destroy(struct bus *bus);

/*
 * Claim [base, base + len).  Returns 0, or -1 with err_msg() naming both
 * devices when the range overlaps one already claimed, is empty, wraps, lies
 * beyond the bus limit, or declares no valid width.
 */
int bus_register(struct bus *bus, const char *name, uint64_t base,
		 uint64_t len, unsigned widths, const struct bus_ops *ops,
		 void *opaque);

/* The range containing addr, or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr);

/*
 * Dispatch one access of len bytes (1, 2, 4 or 8).  On a read that does not
 * reach a device, data is filled with 0xff.  Both return what happened so
 * the caller can trace it; neither ever fails the VM.
 */
enum bus_status bus_read(struct bus *bus, uint64_t addr, uint8_t *data,
			 uint32_t len);
enum bus_status bus_write(struct bus *bus, uint64_t addr, const uint8_t *data,
			  uint32_t len);

/* Little-endian helpers for devices (byteorder.h). */
static inline uint64_t bus_data_get(const uint8_t *data, uint32_t len)
{
	return le_get(data, len);
}

static inline void bus_data_put(uint8_t *data, uint32_t len, uint64_t v)
{
	le_put(data, v, len);
}

#endif
