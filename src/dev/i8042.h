/* SPDX-License-Identifier: MIT */
/*
 * i8042 keyboard controller, as much as firmware needs: the self tests, the
 * command byte, output-port writes (A20), a keyboard that answers reset and
 * identify, and command 0xFE (pulse the reset line), which ends the run with
 * a reset request.  Also the System Control Port A at 0x92 (fast A20 and
 * fast reset), which lives beside it on a real PC.
 */
#ifndef MINIVMM_DEV_I8042_H
#define MINIVMM_DEV_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define PORT_A_PORT 0x92

#define I8042_QUEUE 16

struct i8042 {
	pthread_mutex_t lock;
	uint8_t queue[I8042_QUEUE]; /* bytes waiting for the guest at 0x60 */
	unsigned head, count;
	uint8_t command_byte;
	uint8_t output_port;
	uint8_t pending; /* controller command waiting for its data byte */
	uint8_t kbd_pending; /* keyboard command waiting for its parameter */
	uint8_t port_a; /* 0x92 */
	void (*reset)(void *ctx); /* the guest pulsed the reset line */
	void *reset_ctx;
};

struct i8042 *i8042_create(void (*reset)(void *ctx), void *ctx);
void i8042_destroy(void *dev);
/* Claim 0x60, 0x64 and 0x92 on the port bus. */
int i8042_register(struct i8042 *dev, struct bus *pio);

#endif
