// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the fw_cfg device.
 *
 * The input is split in two: the first RAM_FILL bytes become the start of
 * guest RAM (where descriptors and buffers live), the rest is a stream of
 * register accesses on the port and MMIO buses.  A fresh device is built
 * for every input so runs are reproducible; guest memory is mapped once.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Isrc -Isrc/arch/x86 tests/fuzz/fuzz_fw_cfg.c src/dev/fw_cfg.c \
 *     src/bus.c src/mem.c src/log.c -lpthread -o build/fuzz_fw_cfg
 *   build/fuzz_fw_cfg -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "dev/fw_cfg.h"
#include "log.h"
#include "mem.h"

#define RAM_SIZE 0x10000ull /* GPA 0 - 0xffff */
#define ROM_GPA 0x10000ull /* a read-only page right after RAM */
#define RAM_FILL 256
#define MMIO_BASE 0x9020000ull

/* Guest memory is expensive to map, so one set for the whole run. */
static struct guest_mem mem;
static struct mem_backend *ram, *rom;

static void init_once(void)
{
	if (ram)
		return;
	log_set_level(LOG_ERROR);
	mem_init(&mem);
	ram = mem_backend_create(&mem, "ram", RAM_SIZE, NULL);
	rom = mem_backend_create(&mem, "rom", 0x1000, NULL);
	if (!ram || !rom ||
	    mem_add_region(&mem, "ram", ram, 0, 0, RAM_SIZE, false, true) ||
	    mem_add_region(&mem, "rom", rom, 0, ROM_GPA, 0x1000, true, false))
		abort();
}

static struct fw_cfg *make_device(void)
{
	static const char big[300] = "etc/big";
	struct fw_cfg *fw = fw_cfg_create(&mem);

	if (!fw || fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, RAM_SIZE) ||
	    fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, 2) ||
	    fw_cfg_add_bytes(fw, FW_CFG_E820_TABLE, big, 24) ||
	    fw_cfg_add_file(fw, "etc/e820", big, 40) ||
	    fw_cfg_add_file(fw, "bootorder", "", 1) ||
	    fw_cfg_add_file(fw, "etc/big", big, sizeof(big)) ||
	    fw_cfg_add_file(fw, "empty", NULL, 0) ||
	    fw_cfg_add_file_writable(fw, "etc/rw", big, 16))
		abort();
	return fw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bus io, mmio;
	struct fw_cfg *fw;
	size_t fill = size < RAM_FILL ? size : RAM_FILL;
	size_t pos = fill;

	init_once();
	memset(ram->hva, 0, RAM_SIZE);
	memcpy(ram->hva, data, fill);
	memcpy(rom->hva, data, fill);

	fw = make_device();
	bus_init(&io, "io", 0x10000);
	bus_init(&mmio, "mmio", 0);
	if (fw_cfg_register(fw, &io, FW_CFG_IO_BASE) ||
	    fw_cfg_register_mmio(fw, &mmio, MMIO_BASE))
		abort();

	/* op: [kind:1][offset:1][len code:1][payload:8] */
	while (size - pos >= 11) {
		const uint8_t *op = data + pos;
		uint32_t len = 1u << (op[2] & 3);
		uint8_t buf[8];

		pos += 11;
		memcpy(buf, op + 3, 8);
		switch (op[0] & 3) {
		case 0:
			bus_write(&io, FW_CFG_IO_BASE + op[1] % 12, buf, len);
			break;
		case 1:
			bus_read(&io, FW_CFG_IO_BASE + op[1] % 12, buf, len);
			break;
		case 2:
			bus_write(&mmio, MMIO_BASE + op[1] % 24, buf, len);
			break;
		case 3:
			bus_read(&mmio, MMIO_BASE + op[1] % 24, buf, len);
			break;
		}
	}

	bus_destroy(&mmio);
	bus_destroy(&io);
	fw_cfg_destroy(fw);
	return 0;
}
