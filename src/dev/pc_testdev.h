/* SPDX-License-Identifier: MIT */
/*
 * pc-testdev (QEMU's hw/misc/pc-testdev.c), the test device kvm-unit-tests
 * drives on the pc machine:
 *
 *   ports 0xe0-0xe3   a 32-bit scratch register, read and written at any
 *                     width and offset (a byte at 0xe1 is bits 8-15)
 *   ports 0xe8-0xeb   the same register, byte-wise
 *   port  0xe4        "flush page": a 32-bit write of a guest-physical
 *                     address makes KVM drop its mapping of that page (its
 *                     host pages are protected and unprotected again)
 *   ports 0x2000-0x2017  a byte written to 0x2000 + N sets ISA IRQ line N
 *                     (GSI N) to its truth value through the interrupt
 *                     controller
 *   MMIO 0xff000000   a 64 KiB buffer, any width
 *
 * The device keeps the register and the buffer; what touches the VM (the
 * interrupt lines, guest memory) goes through the caller's callbacks, so
 * it is tested without KVM.  Reset clears both; there is no saved state
 * (a test device).
 */
#ifndef MINIVMM_DEV_PC_TESTDEV_H
#define MINIVMM_DEV_PC_TESTDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"

#define PC_TESTDEV_PORT 0xe0
#define PC_TESTDEV_FLUSH_PORT 0xe4
#define PC_TESTDEV_BYTE_PORT 0xe8
#define PC_TESTDEV_IRQ_PORT 0x2000
#define PC_TESTDEV_NR_IRQS 24
#define PC_TESTDEV_IOMEM 0xff000000ull
#define PC_TESTDEV_IOMEM_LEN 0x10000u

struct pc_testdev_host {
	/* Set interrupt line `irq` (0..23) to `level`. */
	void (*set_irq)(void *opaque, unsigned irq, bool level);
	/* Make KVM drop its mapping of the guest page at `gpa` (page aligned). */
	void (*flush_page)(void *opaque, uint64_t gpa);
	void *opaque;
};

struct pc_testdev {
	uint32_t data; /* the scratch register */
	uint8_t iomem[PC_TESTDEV_IOMEM_LEN];
	struct pc_testdev_host host;
};

/* NULL with err_msg(). */
struct pc_testdev *pc_testdev_create(const struct pc_testdev_host *host);
/* Claim its ports on `io` and its buffer on `mmio`. */
int pc_testdev_register(struct pc_testdev *t, struct bus *io, struct bus *mmio);

extern const struct device_ops pc_testdev_device_ops;

#endif
