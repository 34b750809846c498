/* SPDX-License-Identifier: MIT */
/*
 * Debug console: a port whose OUTs print their low byte, as QEMU's
 * isa-debugcon (and Bochs' port 0xe9 hack).  Reading it returns 0xe9 so a
 * guest can detect it, as QEMU's does.
 *
 * The MMIO flavour (--debugcon-mmio, for architectures without ports)
 * claims 8 bytes so any store of 1 to 8 bytes to its address prints the
 * low byte; stores to the other 7 bytes are dropped.
 *
 * Built like every device (device.h): debugcon_create() with the address
 * and the output, then debugcon_register() on a port bus or
 * debugcon_register_mmio() on an MMIO bus.  debugcon_device_ops has only
 * destroy (which flushes the output): there is no guest-visible state to
 * reset or save, the byte count is the host's.
 */
#ifndef MINIVMM_DEV_DEBUGCON_H
#define MINIVMM_DEV_DEBUGCON_H

#include <stdint.h>
#include <stdio.h>

#include "bus.h"
#include "device.h"

#define DEBUGCON_READBACK 0xe9
#define DEBUGCON_MMIO_LEN 8

struct debugcon {
	FILE *out;
	uint64_t addr; /* port or MMIO address */
	uint64_t bytes; /* written so far */
};

/* A console at `addr` printing to `out`; NULL with err_msg(). */
struct debugcon *debugcon_create(uint64_t addr, FILE *out);
/* Claim the port `addr` (widths 1, 2 and 4) on a port bus. */
int debugcon_register(struct debugcon *dc, struct bus *io);
/* Claim [addr, addr + 8) on an MMIO bus, any width. */
int debugcon_register_mmio(struct debugcon *dc, struct bus *mmio);

extern const struct device_ops debugcon_device_ops;

#endif
