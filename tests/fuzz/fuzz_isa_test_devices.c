// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the guest side of pc-testdev and isa-debug-exit:
 * any sequence of port and MMIO accesses a guest can make to them.
 *
 * Each access takes 11 input bytes: a selector (read or write, port or
 * MMIO), the width (1, 2, 4, 8, or an odd one the buses must refuse), a
 * 16-bit offset into the devices' range (ports 0xe0-0x20ff, which also
 * reaches addresses no device claims; the 64 KiB buffer), and 8 value
 * bytes.  The host callbacks check what they are given: IRQ numbers in
 * range, page-aligned flush addresses, odd exit statuses.
 *
 *   make fuzz && build-fuzz/fuzz_isa_test_devices -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/debug_exit.h"
#include "dev/pc_testdev.h"
#include "log.h"

static struct bus io, mmio;

static void on_irq(void *opaque, unsigned irq, bool level)
{
	(void)opaque;
	(void)level;
	if (irq >= PC_TESTDEV_NR_IRQS)
		abort();
}

static void on_flush(void *opaque, uint64_t gpa)
{
	(void)opaque;
	if (gpa & 0xfff)
		abort();
}

static void on_exit_status(void *opaque, int status)
{
	(void)opaque;
	if (!(status & 1) || status > 0xff)
		abort();
}

static void init_once(void)
{
	static bool done;
	const struct pc_testdev_host host = { on_irq, on_flush, NULL };
	struct pc_testdev *t;
	struct debug_exit *de;

	if (done)
		return;
	done = true;
	log_set_level(LOG_ERROR);
	bus_init(&io, "io", 0x10000);
	bus_init(&mmio, "mmio", 0);
	t = pc_testdev_create(&host);
	de = debug_exit_create(0xf4, 4, on_exit_status, NULL);
	if (!t || !de || pc_testdev_register(t, &io, &mmio) < 0 ||
	    debug_exit_register(de, &io) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[] = { 1, 2, 4, 8, 3 };

	init_once();
	for (; size >= 11; data += 11, size -= 11) {
		bool write = data[0] & 1, port = data[0] & 2;
		uint32_t len = widths[(data[0] >> 2) % 5];
		uint16_t off = (uint16_t)(data[1] | data[2] << 8);
		uint8_t buf[8];

		memcpy(buf, data + 3, 8);
		if (port) {
			uint64_t addr = 0xe0 + off % 0x2040;

			if (write)
				bus_write(&io, addr, buf, len);
			else
				bus_read(&io, addr, buf, len);
		} else {
			uint64_t addr = PC_TESTDEV_IOMEM - 8 + off % (PC_TESTDEV_IOMEM_LEN + 16);

			if (write)
				bus_write(&mmio, addr, buf, len);
			else
				bus_read(&mmio, addr, buf, len);
		}
	}
	return 0;
}
