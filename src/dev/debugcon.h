/* SPDX-License-Identifier: MIT */
/*
 * Debug console: a port whose OUTs print their low byte, as QEMU's
 * isa-debugcon (and Bochs' port 0xe9 hack).  Reading it returns 0xe9 so a
 * guest can detect it, as QEMU's does.
 *
 * The MMIO flavour (--debugcon-mmio, for architectures without ports)
 * claims 8 bytes so any store of 1 to 8 bytes to its address prints the
 * low byte; stores to the other 7 bytes are dropped.
 */
#ifndef MINIVMM_DEV_DEBUGCON_H
#define MINIVMM_DEV_DEBUGCON_H

#include <stdint.h>
#include <stdio.h>

#include "bus.h"

#define DEBUGCON_READBACK 0xe9
#define DEBUGCON_MMIO_LEN 8

struct debugcon {
	FILE *out;
	uint64_t addr; /* port or MMIO address */
	uint64_t bytes; /* written so far */
};

/* Claim `port` (widths 1, 2 and 4) on `bus`; output goes to `out`. */
struct debugcon *debugcon_create(struct bus *bus, uint16_t port, FILE *out);
/* Claim [addr, addr + 8) on an MMIO bus, any width. */
struct debugcon *debugcon_create_mmio(struct bus *bus, uint64_t addr,
				      FILE *out);
void debugcon_destroy(void *dc);

#endif
