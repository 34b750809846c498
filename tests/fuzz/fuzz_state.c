// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for saved device state: the bytes a snapshot file
 * would hold, which are never trusted.
 *
 * The first input byte picks a target: one device type's load (the rest is
 * its part of the stream), or the whole device
 * list's framing (device_list_load over a machine with every device).
 * Whatever load accepts must leave a device that saves again and answers
 * its registers; whatever it refuses must be refused with -1.  A fresh set
 * of devices is built for every input.
 *
 *   make fuzz && build-fuzz/fuzz_state -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "dev/acpi_pm.h"
#include "dev/boot_marker.h"
#include "dev/cmos.h"
#include "dev/debugcon.h"
#include "dev/fw_cfg.h"
#include "dev/i8042.h"
#include "dev/pci_host.h"
#include "dev/pl011.h"
#include "dev/post.h"
#include "dev/serial8250.h"
#include "device.h"
#include "log.h"
#include "mem.h"
#include "state.h"

#define RAM_SIZE 0x10000ull

static struct guest_mem mem;
static struct timespec start;

static void init_once(void)
{
	static bool done;
	struct mem_backend *ram;

	if (done)
		return;
	done = true;
	log_set_level(LOG_ERROR);
	mem_init(&mem);
	ram = mem_backend_create(&mem, "ram", RAM_SIZE, NULL);
	if (!ram || mem_add_region(&mem, "ram", ram, 0, 0, RAM_SIZE, false, true))
		abort();
}

static void nothing(void *ctx)
{
	(void)ctx;
}

static struct fw_cfg *make_fw_cfg(void)
{
	struct fw_cfg *fw = fw_cfg_create(&mem);

	if (!fw || fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, RAM_SIZE) ||
	    fw_cfg_add_file(fw, "etc/e820", "0123456789", 10) ||
	    fw_cfg_add_file_writable(fw, "etc/rw", "abcdefgh", 8))
		abort();
	return fw;
}

/* A fresh device of kind k, with its ops. */
static void *make(unsigned k, const struct device_ops **ops)
{
	switch (k) {
	case 0:
		*ops = &serial8250_device_ops;
		return serial8250_create();
	case 1:
		*ops = &pl011_device_ops;
		return pl011_create();
	case 2:
		*ops = &cmos_device_ops;
		return cmos_create(NULL, NULL);
	case 3:
		*ops = &fw_cfg_device_ops;
		return make_fw_cfg();
	case 4:
		*ops = &i8042_device_ops;
		return i8042_create(nothing, NULL);
	case 5:
		*ops = &pci_host_device_ops;
		return pci_host_create(nothing, NULL);
	case 6:
		*ops = &acpi_pm_device_ops;
		return acpi_pm_create(5, nothing, NULL);
	case 7:
		*ops = &post_device_ops;
		return post_create();
	case 8:
		*ops = &debugcon_device_ops;
		return debugcon_create(0xe9, NULL);
	default:
		*ops = &boot_marker_device_ops;
		return boot_marker_create(&start, NULL);
	}
}

#define NR_KINDS 10

/* A loaded device must save again (its state is one it can describe). */
static void check_saves(const struct device_ops *ops, void *dev)
{
	struct state_writer w;

	state_writer_init(&w);
	if (ops->save && ops->save(dev, &w) < 0)
		abort();
	if (state_writer_error(&w) < 0)
		abort();
	state_writer_free(&w);
}

static void fuzz_one_device(unsigned k, const uint8_t *data, size_t size)
{
	const struct device_ops *ops;
	void *dev = make(k, &ops);
	struct state_reader r;

	if (!dev)
		abort();
	state_reader_init(&r, data, size);
	/* Every version this build writes (device_list_load refuses newer). */
	if (ops->load && ops->load(dev, &r, ops->version) == 0 && !r.failed)
		check_saves(ops, dev);
	if (ops->reset)
		ops->reset(dev);
	ops->destroy(dev);
}

static void fuzz_list(const uint8_t *data, size_t size)
{
	struct device_list list;
	struct state_reader r;
	char name[16];

	device_list_init(&list);
	for (unsigned k = 0; k < NR_KINDS; k++) {
		const struct device_ops *ops;
		void *dev = make(k, &ops);

		snprintf(name, sizeof(name), "dev%u", k);
		if (!dev || device_list_add(&list, name, ops, dev) < 0)
			abort();
	}
	state_reader_init(&r, data, size);
	if (device_list_load(&list, &r) == 0) {
		struct state_writer w;

		state_writer_init(&w);
		if (device_list_save(&list, &w) < 0)
			abort();
		state_writer_free(&w);
	}
	device_list_reset(&list);
	device_list_destroy(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned pick;

	init_once();
	if (size < 1)
		return 0;
	pick = data[0] % (NR_KINDS + 1);
	if (pick == NR_KINDS)
		fuzz_list(data + 1, size - 1);
	else
		fuzz_one_device(pick, data + 1, size - 1);
	return 0;
}
