/* SPDX-License-Identifier: MIT */
/*
 * Port 0x80, where firmware writes its power-on self-test progress codes.
 * The last code is kept (and shown with -v -v as it changes) so a hang in
 * firmware can be placed.
 */
#ifndef MINIVMM_DEV_POST_H
#define MINIVMM_DEV_POST_H

#include <stdint.h>

#include "bus.h"

struct post {
	uint8_t last;
	uint64_t writes;
};

struct post *post_create(struct bus *pio, uint16_t port);
void post_destroy(void *dev);

#endif
