/* SPDX-License-Identifier: MIT */
/*
 * Boot-time marker: a port the guest writes a magic byte to (typically from
 * its init) and minivmm prints how long after its own start that happened,
 * for boot benchmarks.  Port 0x3f0 and value 123, as Firecracker's boot
 * timer, so the same guest tooling works with both.
 */
#ifndef MINIVMM_DEV_BOOT_MARKER_H
#define MINIVMM_DEV_BOOT_MARKER_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "bus.h"

#define BOOT_MARKER_PORT 0x3f0
#define BOOT_MARKER_MAGIC 123

struct boot_marker {
	struct timespec start; /* CLOCK_MONOTONIC at process start */
	FILE *out;
	unsigned count;
};

struct boot_marker *boot_marker_create(struct bus *pio, uint16_t port,
				       const struct timespec *start, FILE *out);
void boot_marker_destroy(void *dev);

#endif
