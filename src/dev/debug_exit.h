/* SPDX-License-Identifier: MIT */
/*
 * isa-debug-exit (QEMU's hw/misc/debugexit.c): a port range whose writes
 * end the run.  A write of value v (any width the range allows, little
 * endian) ends the process with exit status (v << 1) | 1, as QEMU does,
 * so a test kernel can report pass/fail through its exit code; reads
 * return 0.  QEMU's defaults: iobase 0x501, iosize 2; kvm-unit-tests use
 * iobase=0xf4,iosize=0x4.
 *
 * The device only computes the code and calls the caller's `exit_fn`
 * (the VM's stop request); it holds no state to reset or save.
 */
#ifndef MINIVMM_DEV_DEBUG_EXIT_H
#define MINIVMM_DEV_DEBUG_EXIT_H

#include <stdint.h>

#include "bus.h"
#include "device.h"

#define DEBUG_EXIT_DEFAULT_IOBASE 0x501
#define DEBUG_EXIT_DEFAULT_IOSIZE 2

struct debug_exit {
	uint16_t iobase;
	uint16_t iosize; /* 1, 2 or 4 ports */
	/* Called with the process exit status a write asks for. */
	void (*exit_fn)(void *opaque, int status);
	void *opaque;
};

/* NULL with err_msg() for a size other than 1, 2 or 4 or a range past 0xffff. */
struct debug_exit *debug_exit_create(uint16_t iobase, uint16_t iosize,
				     void (*exit_fn)(void *opaque, int status),
				     void *opaque);
/* Claim [iobase, iobase + iosize) on a port bus, widths 1, 2 and 4. */
int debug_exit_register(struct debug_exit *de, struct bus *io);
/* The exit status for a written value: (v << 1) | 1, as an exit status keeps it. */
int debug_exit_status(uint64_t value);

extern const struct device_ops debug_exit_device_ops;

#endif
