/* SPDX-License-Identifier: MIT */
/*
 * Port 0x80, where firmware writes its power-on self-test progress codes.
 * The last code is kept (and shown with -v -v as it changes) so a hang in
 * firmware can be placed; reading the port returns it.
 *
 * post_create(), then post_register() on the port bus.  The device ops
 * (device.h): reset clears the last code (its power-on value); save and
 * load keep it (one byte, any value); destroy frees.  The write count is
 * the host's and survives all of them.  No mutex: the code is one atomic
 * byte, and the order of two vCPUs' progress codes is theirs to race.
 */
#ifndef MINIVMM_DEV_POST_H
#define MINIVMM_DEV_POST_H

#include <stdatomic.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"

struct post {
	_Atomic uint8_t last;
	_Atomic uint64_t writes;
};

/* NULL with err_msg() when out of memory. */
struct post *post_create(void);
/* Claim `port` (widths 1, 2 and 4). */
int post_register(struct post *p, struct bus *pio, uint16_t port);

extern const struct device_ops post_device_ops;

#endif
