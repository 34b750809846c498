/* SPDX-License-Identifier: MIT */
/*
 * Boot-time marker: a port the guest writes a magic byte to (typically from
 * its init) and minivmm prints how long after its own start that happened,
 * for boot benchmarks.  Port 0x3f0 and value 123, as Firecracker's boot
 * timer, so the same guest tooling works with both.
 *
 * boot_marker_create(), then boot_marker_register() on the port bus.  The
 * device ops (device.h) have destroy only: reads return all-ones and the
 * marker count is the host's, so there is nothing to reset or save.
 */
#ifndef MINIVMM_DEV_BOOT_MARKER_H
#define MINIVMM_DEV_BOOT_MARKER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bus.h"
#include "device.h"

#define BOOT_MARKER_PORT 0x3f0
#define BOOT_MARKER_MAGIC 123

struct boot_marker {
	struct timespec start; /* CLOCK_MONOTONIC at process start */
	FILE *out;
	unsigned count;
};

/* Markers print to `out` relative to `start`; NULL with err_msg(). */
struct boot_marker *boot_marker_create(const struct timespec *start,
				       FILE *out);
/* Claim `port` (widths 1, 2 and 4). */
int boot_marker_register(struct boot_marker *m, struct bus *pio,
			 uint16_t port);

extern const struct device_ops boot_marker_device_ops;

#endif
