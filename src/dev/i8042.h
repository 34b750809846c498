/* SPDX-License-Identifier: MIT */
/*
 * i8042 keyboard controller, as much as firmware needs: the self tests, the
 * command byte, output-port writes (A20), a keyboard that answers reset and
 * identify, and command 0xFE (pulse the reset line), which ends the run with
 * a reset request.  Also the System Control Port A at 0x92 (fast A20 and
 * fast reset), which lives beside it on a real PC.
 *
 * i8042_create(), then i8042_register() claims its three fixed ports.  The
 * device operations (device.h), each under the device's mutex:
 *
 *   reset    the power-on state of the controller: output queue empty,
 *            command byte 0x45 (keyboard interrupt, translation, system
 *            flag), output port with the reset line high and A20 on, no
 *            command waiting for its byte.  Port 0x92 keeps its A20 bit,
 *            as QEMU's port92_reset does.
 *   save     the output queue, the command byte, the output port, the
 *            controller and keyboard commands waiting for their byte, and
 *            port 0x92.
 *   load     checks the queue against its 16 bytes, that a waiting command
 *            is one that takes a byte, and port 0x92's reserved bits.
 *   destroy  frees the device.
 */
#ifndef MINIVMM_DEV_I8042_H
#define MINIVMM_DEV_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "device.h"
#include "irq.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define PORT_A_PORT 0x92

#define I8042_QUEUE 16

struct i8042 {
	pthread_mutex_t lock;
	uint8_t queue[I8042_QUEUE]; /* bytes waiting for the guest at 0x60 */
	bool from_kbd[I8042_QUEUE]; /* the byte is the keyboard's, not the controller's */
	unsigned head, count;
	uint8_t command_byte;
	uint8_t output_port;
	uint8_t pending; /* controller command waiting for its data byte */
	uint8_t kbd_pending; /* keyboard command waiting for its parameter */
	uint8_t port_a; /* 0x92 */
	void (*reset)(void *ctx); /* the guest pulsed the reset line */
	void *reset_ctx;
	/*
	 * IRQ 1 (or NULL): each byte from the keyboard (its answers to the
	 * guest's commands, keys the host sends) is announced on it when it
	 * reaches the head of the queue and the command byte enables the
	 * keyboard interrupt, as on a PC; the controller's own answers are
	 * polled.
	 */
	struct irq_line *kbd_irq;
};

/*
 * reset(ctx) is called when the guest pulses the reset line (from its vCPU
 * thread, without the lock).  NULL with err_msg() when out of memory.
 */
struct i8042 *i8042_create(void (*reset)(void *ctx), void *ctx);
/* Claim 0x60, 0x64 and 0x92 on the port bus. */
int i8042_register(struct i8042 *dev, struct bus *pio);

/*
 * Press and release Ctrl+Alt+Del on the keyboard (the API's
 * SendCtrlAltDel): the scan codes go into the output queue, in set 1 when
 * the command byte asks the controller to translate and in set 2
 * otherwise, announced on kbd_irq as every keyboard byte is.  -1 with
 * err_msg() when the queue has no room.
 */
int i8042_send_ctrl_alt_del(struct i8042 *dev);

extern const struct device_ops i8042_device_ops;

#endif
