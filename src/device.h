/* SPDX-License-Identifier: MIT */
/*
 * The operations every device has, and the list of a machine's devices.
 *
 * A device is its own state struct (no file-scope singletons) plus a table
 * of operations.  It is built in two steps, always the same way:
 *
 *     struct serial8250 *uart = serial8250_create(...);      // state, no bus
 *     device_list_add(&vm->devices, "com1", &serial8250_device_ops, uart);
 *     serial8250_register(uart, &vm->pio, PC_COM1_PORT);      // attach to a bus
 *
 * and from then on the list owns it: it is reset with the machine, saved
 * and loaded with a snapshot, and destroyed with the VM (in the reverse
 * order of creation, so a device goes before anything it was given).
 *
 *   reset    the power-on state a machine reset gives (guest-visible
 *            registers; host-side connections and counters stay).  NULL:
 *            nothing to reset.
 *   save     write the guest-visible state to a byte stream (state.h).
 *            NULL: the device has none.  -1 with err_msg() if it cannot be
 *            saved right now.
 *   load     read what save wrote (of `version`, never newer than
 *            ops->version) into a device freshly created with the same
 *            configuration.  Every value read is checked before it is
 *            used; -1 with err_msg() on anything out of range.
 *   pause    (may be NULL) true: stop the work that does not come from a
 *            vCPU (host-side input such as a tap or sockets, requests in
 *            flight, kicks), so that until pause(false) neither guest
 *            memory nor the guest's interrupts change; false: go on.
 *            Called with every vCPU parked (vm_pause, vm_resume); a false
 *            without a true before it is a no-op.
 *   destroy  free everything.
 *
 * A saved device list is: u32 count, then per device its name
 * (state_put_str), its ops->version (u32), the length of its part (u32) and
 * the part itself; a load matches parts to devices by name and refuses
 * missing, unknown or duplicate names, newer versions and parts that are
 * not read to the last byte.
 */
#ifndef MINIVMM_DEVICE_H
#define MINIVMM_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct state_writer;
struct state_reader;

struct device_ops {
	const char *type; /* "serial8250", "fw_cfg", ... */
	uint32_t version; /* of what save writes; starts at 1 */
	void (*reset)(void *dev);
	int (*save)(void *dev, struct state_writer *w);
	int (*load)(void *dev, struct state_reader *r, uint32_t version);
	void (*pause)(void *dev, bool paused);
	void (*destroy)(void *dev);
};

#define DEVICE_NAME_MAX 32
#define DEVICE_LIST_MAX 64

struct device {
	char name[DEVICE_NAME_MAX]; /* unique in the list: "com1", "debugcon-0xe9" */
	const struct device_ops *ops;
	void *dev;
};

struct device_list {
	struct device items[DEVICE_LIST_MAX];
	size_t nr;
};

void device_list_init(struct device_list *list);

/*
 * Append a device; the list owns it from now on, also when this fails
 * (-1 with err_msg(): the list is full, the name is empty, too long or
 * taken), in which case it has been destroyed already.
 */
int device_list_add(struct device_list *list, const char *name,
		    const struct device_ops *ops, void *dev);

/* The device called `name`, or NULL. */
struct device *device_list_find(struct device_list *list, const char *name);

/* Pause (true) or go on (false), every device, in the order they were added. */
void device_list_pause(struct device_list *list, bool paused);
/* Reset every device, in the order they were added. */
void device_list_reset(struct device_list *list);

/* Every device's state, in order, as described above. */
int device_list_save(struct device_list *list, struct state_writer *w);
/*
 * Load what device_list_save wrote into a list built for the same machine.
 * -1 with err_msg() naming the device on any mismatch or bad value; devices
 * loaded before the failure keep the loaded state (a failed load leaves a
 * machine that must not run).
 */
int device_list_load(struct device_list *list, struct state_reader *r);

/* Destroy every device, last added first, and empty the list. */
void device_list_destroy(struct device_list *list);

#endif
