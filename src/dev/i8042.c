// SPDX-License-Identifier: MIT
/*
 * Command numbers and status bits follow the IBM PC/AT technical reference
 * as firmware (SeaBIOS src/hw/ps2port.c) and Linux (drivers/input/serio)
 * use them.
 */
#include "dev/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "state.h"

#define STATUS_OBF 0x01 /* output buffer full: a byte waits at 0x60 */
#define STATUS_SYS 0x04 /* system flag: self test passed */
#define STATUS_CMD 0x08 /* last write was to the command port */

#define CMD_READ_CB 0x20
#define CMD_WRITE_CB 0x60
#define CMD_DISABLE_AUX 0xa7
#define CMD_ENABLE_AUX 0xa8
#define CMD_TEST_AUX 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_TEST_KBD 0xab
#define CMD_DISABLE_KBD 0xad
#define CMD_ENABLE_KBD 0xae
#define CMD_READ_OUTPORT 0xd0
#define CMD_WRITE_OUTPORT 0xd1
#define CMD_WRITE_AUX 0xd4
#define CMD_PULSE_RESET 0xfe

#define CB_KBD_INT 0x01 /* command byte: keyboard interrupt enabled */
#define CB_XLATE 0x40 /* command byte: translate to scan code set 1 */

#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe
#define KBD_SET_LEDS 0xed
#define KBD_TYPEMATIC 0xf3
#define KBD_SCAN_SET 0xf0

#define OUTPORT_RESET 0x01 /* low = CPU reset asserted */
#define OUTPORT_A20 0x02

#define PORT_A_A20 0x02 /* the only bit port 0x92 keeps */

static void queue_put(struct i8042 *k, uint8_t b, bool from_kbd)
{
	unsigned at = (k->head + k->count) % I8042_QUEUE;

	if (k->count == I8042_QUEUE)
		return; /* a guest that never reads loses the newest replies */
	k->queue[at] = b;
	k->from_kbd[at] = from_kbd;
	k->count++;
}

/* A byte the controller answers (polled by the guest). */
static void queue_push(struct i8042 *k, uint8_t b)
{
	queue_put(k, b, false);
}

/* A byte from the keyboard (announced on IRQ 1 when it is at the head). */
static void kbd_push(struct i8042 *k, uint8_t b)
{
	queue_put(k, b, true);
}

/* Is the byte at the head the keyboard's, with its interrupt enabled? */
static bool head_announced(const struct i8042 *k)
{
	return k->count && k->from_kbd[k->head] &&
	       (k->command_byte & CB_KBD_INT);
}

static uint8_t queue_pop(struct i8042 *k)
{
	uint8_t b;

	if (!k->count)
		return 0;
	b = k->queue[k->head];
	k->head = (k->head + 1) % I8042_QUEUE;
	k->count--;
	return b;
}

/* A byte for the keyboard itself (written to 0x60 with no command pending). */
static void keyboard_write(struct i8042 *k, uint8_t b)
{
	if (k->kbd_pending) {
		k->kbd_pending = 0; /* LEDs, typematic rate, scan set: accept */
		kbd_push(k, KBD_ACK);
		return;
	}
	switch (b) {
	case 0xff: /* reset: ACK, then Basic Assurance Test passed */
		kbd_push(k, KBD_ACK);
		kbd_push(k, 0xaa);
		break;
	case 0xf2: /* identify: MF2 keyboard */
		kbd_push(k, KBD_ACK);
		kbd_push(k, 0xab);
		kbd_push(k, 0x83);
		break;
	case KBD_SET_LEDS:
	case KBD_TYPEMATIC:
	case KBD_SCAN_SET:
		k->kbd_pending = b;
		kbd_push(k, KBD_ACK);
		break;
	case 0xee: /* echo */
		kbd_push(k, 0xee);
		break;
	case 0xf4: /* enable scanning */
	case 0xf5: /* disable scanning */
	case 0xf6: /* set defaults */
		kbd_push(k, KBD_ACK);
		break;
	default:
		kbd_push(k, KBD_RESEND);
	}
}

static bool output_port_write(struct i8042 *k, uint8_t v)
{
	k->output_port = v;
	return !(v & OUTPORT_RESET);
}

static bool controller_command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CB:
		queue_push(k, k->command_byte);
		break;
	case CMD_WRITE_CB:
	case CMD_WRITE_OUTPORT:
	case CMD_WRITE_AUX:
		k->pending = cmd;
		break;
	case CMD_SELF_TEST:
		queue_push(k, 0x55);
		break;
	case CMD_TEST_KBD:
		queue_push(k, 0x00);
		break;
	case CMD_TEST_AUX:
		queue_push(k, 0xff); /* no mouse: the aux port test fails */
		break;
	case CMD_READ_OUTPORT:
		queue_push(k, k->output_port);
		break;
	case CMD_DISABLE_KBD:
		k->command_byte |= 0x10;
		break;
	case CMD_ENABLE_KBD:
		k->command_byte &= (uint8_t)~0x10;
		break;
	case CMD_DISABLE_AUX:
		k->command_byte |= 0x20;
		break;
	case CMD_ENABLE_AUX:
		k->command_byte &= (uint8_t)~0x20;
		break;
	default:
		/* 0xf0-0xff pulse output-port lines; bit 0 is the reset line. */
		if ((cmd & 0xf0) == 0xf0 && !(cmd & 0x01))
			return true;
		break;
	}
	return false;
}

static void i8042_access(struct i8042 *k, bool cmd_port, bool write,
			 uint8_t *data)
{
	bool reset = false, announce = false;
	uint8_t v = data[0];

	pthread_mutex_lock(&k->lock);
	if (!write) {
		data[0] = cmd_port ? (uint8_t)(STATUS_SYS |
					       (k->count ? STATUS_OBF : 0)) :
				     queue_pop(k);
		/* The next keyboard byte, announced in turn. */
		announce = !cmd_port && head_announced(k);
	} else if (cmd_port) {
		reset = controller_command(k, v);
	} else if (k->pending) {
		uint8_t cmd = k->pending;

		k->pending = 0;
		if (cmd == CMD_WRITE_CB)
			k->command_byte = v;
		else if (cmd == CMD_WRITE_OUTPORT)
			reset = output_port_write(k, v);
		/* CMD_WRITE_AUX: there is no mouse; the byte is dropped. */
	} else {
		bool was_empty = !k->count;

		keyboard_write(k, v);
		announce = was_empty && head_announced(k);
	}
	/*
	 * The edge goes out under the lock: a vCPU that takes it and reads
	 * the byte (which needs the lock) cannot pulse the next one while the
	 * line is still high from this one, which would merge the two edges
	 * and leave the rest of the queue unannounced.
	 */
	if (announce && k->kbd_irq)
		irq_line_pulse(k->kbd_irq);
	pthread_mutex_unlock(&k->lock);
	if (reset && k->reset)
		k->reset(k->reset_ctx);
}

int i8042_send_ctrl_alt_del(struct i8042 *k)
{
	/* Ctrl, Alt, Delete pressed, then released in the other order. */
	static const uint8_t set1[] = { 0x1d, 0x38, 0xe0, 0x53,
					0xe0, 0xd3, 0xb8, 0x9d };
	static const uint8_t set2[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0,
					0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14 };
	const uint8_t *codes;
	size_t n;
	bool announce;

	pthread_mutex_lock(&k->lock);
	if (k->command_byte & CB_XLATE)
		codes = set1, n = sizeof(set1);
	else
		codes = set2, n = sizeof(set2);
	if (k->count + n > I8042_QUEUE) {
		pthread_mutex_unlock(&k->lock);
		return err_set("the keyboard's queue is full (the guest is not reading it)");
	}
	announce = k->count == 0;
	for (size_t i = 0; i < n; i++)
		kbd_push(k, codes[i]);
	announce = announce && head_announced(k);
	if (announce && k->kbd_irq)
		irq_line_pulse(k->kbd_irq); /* under the lock: see i8042_access */
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len)
{
	(void)offset;
	(void)len;
	i8042_access(opaque, false, false, data);
}

static void i8042_data_write(void *opaque, uint64_t offset,
			     const uint8_t *data, uint32_t len)
{
	uint8_t v = data[0];

	(void)offset;
	(void)len;
	i8042_access(opaque, false, true, &v);
}

static void i8042_cmd_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t len)
{
	(void)offset;
	(void)len;
	i8042_access(opaque, true, false, data);
}

static void i8042_cmd_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t len)
{
	uint8_t v = data[0];

	(void)offset;
	(void)len;
	i8042_access(opaque, true, true, &v);
}

/* Port 0x92: bit 0 = fast reset (on a 0->1 edge), bit 1 = A20. */
static void port_a_read(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len)
{
	struct i8042 *k = opaque;

	(void)offset;
	(void)len;
	pthread_mutex_lock(&k->lock);
	data[0] = k->port_a;
	pthread_mutex_unlock(&k->lock);
}

static void port_a_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t len)
{
	struct i8042 *k = opaque;
	bool reset;

	(void)offset;
	(void)len;
	pthread_mutex_lock(&k->lock);
	reset = !(k->port_a & 0x01) && (data[0] & 0x01);
	k->port_a = data[0] & PORT_A_A20;
	pthread_mutex_unlock(&k->lock);
	if (reset && k->reset)
		k->reset(k->reset_ctx);
}

static const struct bus_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct bus_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

static const struct bus_ops port_a_ops = {
	.read = port_a_read,
	.write = port_a_write,
};

/* Power-on: keyboard interrupt on, translation on, system flag set. */
#define COMMAND_BYTE_INIT 0x45

static void power_on_locked(struct i8042 *k)
{
	k->head = 0;
	k->count = 0;
	k->command_byte = COMMAND_BYTE_INIT;
	k->output_port = OUTPORT_RESET | OUTPORT_A20;
	k->pending = 0;
	k->kbd_pending = 0;
}

struct i8042 *i8042_create(void (*reset)(void *ctx), void *ctx)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k) {
		err_set("i8042: out of memory");
		return NULL;
	}
	pthread_mutex_init(&k->lock, NULL);
	power_on_locked(k);
	k->port_a = PORT_A_A20;
	k->reset = reset;
	k->reset_ctx = ctx;
	return k;
}

static void i8042_reset(void *dev)
{
	struct i8042 *k = dev;

	pthread_mutex_lock(&k->lock);
	power_on_locked(k);
	/* Port 0x92 keeps A20 (QEMU port92_reset clears only bit 0). */
	pthread_mutex_unlock(&k->lock);
}

/*
 * Version 2: the output queue (u8 count, then the bytes oldest first);
 * u8 command byte, output port, pending controller command, pending
 * keyboard command, port 0x92; u16 which queued bytes are the keyboard's
 * (bit i: the i-th oldest).  Version 1 lacks the u16: every byte is then
 * taken as the controller's.
 */
static int i8042_save(void *dev, struct state_writer *w)
{
	struct i8042 *k = dev;

	pthread_mutex_lock(&k->lock);
	state_put_u8(w, (uint8_t)k->count);
	for (unsigned i = 0; i < k->count; i++)
		state_put_u8(w, k->queue[(k->head + i) % I8042_QUEUE]);
	state_put_u8(w, k->command_byte);
	state_put_u8(w, k->output_port);
	state_put_u8(w, k->pending);
	state_put_u8(w, k->kbd_pending);
	state_put_u8(w, k->port_a);
	{
		uint16_t mask = 0;

		for (unsigned i = 0; i < k->count; i++)
			if (k->from_kbd[(k->head + i) % I8042_QUEUE])
				mask |= (uint16_t)(1u << i);
		state_put_u16(w, mask);
	}
	pthread_mutex_unlock(&k->lock);
	return 0;
}

/* Commands that wait for a data byte (controller_command, keyboard_write). */
static bool pending_valid(uint8_t cmd)
{
	return cmd == 0 || cmd == CMD_WRITE_CB || cmd == CMD_WRITE_OUTPORT ||
	       cmd == CMD_WRITE_AUX;
}

static bool kbd_pending_valid(uint8_t cmd)
{
	return cmd == 0 || cmd == KBD_SET_LEDS || cmd == KBD_TYPEMATIC ||
	       cmd == KBD_SCAN_SET;
}

static int i8042_load(void *dev, struct state_reader *r, uint32_t version)
{
	struct i8042 *k = dev;
	uint8_t queue[I8042_QUEUE], cb, outport, pending, kbd_pending, port_a;
	unsigned count;
	uint16_t kbd_mask = 0;

	count = state_get_u8(r);
	if (count > I8042_QUEUE)
		return state_reader_fail(r, "queue of %u bytes, at most %d fit",
					 count, I8042_QUEUE);
	state_get_bytes(r, queue, count);
	cb = state_get_u8(r);
	outport = state_get_u8(r);
	pending = state_get_u8(r);
	kbd_pending = state_get_u8(r);
	port_a = state_get_u8(r);
	if (version >= 2)
		kbd_mask = state_get_u16(r);
	if (state_reader_error(r, "i8042") < 0)
		return -1;
	if (kbd_mask >> count)
		return state_reader_fail(r, "keyboard bytes 0x%04x beyond a queue of %u",
					 kbd_mask, count);
	if (!pending_valid(pending))
		return state_reader_fail(r, "0x%02x is no command waiting for data",
					 pending);
	if (!kbd_pending_valid(kbd_pending))
		return state_reader_fail(r, "0x%02x is no keyboard command waiting for a parameter",
					 kbd_pending);
	if (port_a & ~PORT_A_A20)
		return state_reader_fail(r, "port 0x92 reads 0x%02x", port_a);

	pthread_mutex_lock(&k->lock);
	memcpy(k->queue, queue, count);
	for (unsigned i = 0; i < I8042_QUEUE; i++)
		k->from_kbd[i] = i < count && (kbd_mask >> i & 1);
	k->head = 0;
	k->count = count;
	k->command_byte = cb;
	k->output_port = outport;
	k->pending = pending;
	k->kbd_pending = kbd_pending;
	k->port_a = port_a;
	pthread_mutex_unlock(&k->lock);
	return 0;
}

static void i8042_destroy(void *dev)
{
	struct i8042 *k = dev;

	if (!k)
		return;
	pthread_mutex_destroy(&k->lock);
	free(k);
}

const struct device_ops i8042_device_ops = {
	.type = "i8042",
	.version = 2,
	.reset = i8042_reset,
	.save = i8042_save,
	.load = i8042_load,
	.destroy = i8042_destroy,
};

int i8042_register(struct i8042 *k, struct bus *pio)
{
	/* 0x61 (port B) stays free: the in-kernel PIT owns it. */
	if (bus_register(pio, "i8042-data", I8042_DATA_PORT, 1, BUS_W1,
			 &i8042_data_ops, k) < 0 ||
	    bus_register(pio, "i8042-cmd", I8042_CMD_PORT, 1, BUS_W1,
			 &i8042_cmd_ops, k) < 0)
		return -1;
	return bus_register(pio, "port-a", PORT_A_PORT, 1, BUS_W1, &port_a_ops,
			    k);
}
