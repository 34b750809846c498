/* SPDX-License-Identifier: MIT */
/*
 * Debug console: a port whose OUTs print their low byte, as QEMU's
 * isa-debugcon (and Bochs' port 0xe9 hack).  Reading it returns 0xe9 so a
 * guest can detect it, as QEMU's does.
 */
#ifndef MINIVMM_DEV_DEBUGCON_H
#define MINIVMM_DEV_DEBUGCON_H

#include <stdint.h>
#include <stdio.h>

#include "bus.h"

#define DEBUGCON_READBACK 0xe9

struct debugcon {
	FILE *out;
	uint16_t port;
	uint64_t bytes; /* written so far */
};

/* Claim `port` (widths 1, 2 and 4) on `bus`; output goes to `out`. */
struct debugcon *debugcon_create(struct bus *bus, uint16_t port, FILE *out);
void debugcon_destroy(void *dc);

#endif
