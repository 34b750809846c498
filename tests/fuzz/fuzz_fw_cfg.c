// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the fw_cfg device.
 *
 * The input is split in two: the first RAM_FILL bytes become the start of
 * guest RAM (where descriptors and buffers live), the rest is a stream of
 * register accesses on the port and MMIO buses.  A fresh device is built
 * for every input so runs are reproducible; guest memory is mapped once.
 * After the accesses the device's state is saved and loaded into a second
 * fresh device, which must save the same bytes; and the input itself is
 * offered as a saved state (it must be refused or loaded, never crash).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Isrc -Isrc/arch/x86 tests/fuzz/fuzz_fw_cfg.c src/dev/fw_cfg.c \
 *     src/bus.c src/mem.c src/log.c src/state.c -lpthread \
 *     -o build/fuzz_fw_cfg
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
#include "state.h"

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

/* Save fw, load into a fresh device, save again: the same bytes. */
static void check_round_trip(struct fw_cfg *fw, const uint8_t *data,
			     size_t size)
{
	struct fw_cfg *copy = make_device();
	struct state_writer w, w2;
	struct state_reader r;

	state_writer_init(&w);
	state_writer_init(&w2);
	if (fw_cfg_device_ops.save(fw, &w) < 0 || state_writer_error(&w))
		abort();
	state_reader_init(&r, w.buf, w.len);
	if (fw_cfg_device_ops.load(copy, &r, 1) < 0 ||
	    state_reader_done(&r, "fw_cfg") < 0)
		abort();
	if (fw_cfg_device_ops.save(copy, &w2) < 0 || w2.len != w.len ||
	    memcmp(w.buf, w2.buf, w.len))
		abort();
	fw_cfg_device_ops.destroy(copy);

	/* Any bytes as a saved state: refused or taken, nothing else. */
	copy = make_device();
	state_reader_init(&r, data, size);
	(void)fw_cfg_device_ops.load(copy, &r, 1);
	fw_cfg_device_ops.destroy(copy);
	state_writer_free(&w);
	state_writer_free(&w2);
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

	check_round_trip(fw, data, size);
	bus_destroy(&mmio);
	bus_destroy(&io);
	fw_cfg_device_ops.destroy(fw);
	return 0;
}
