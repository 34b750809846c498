// SPDX-License-Identifier: MIT
/*
 * fw_cfg device tests: the port interface through a real struct bus, the
 * file directory, and the DMA engine against a guest_mem with 1 MiB of RAM
 * at GPA 0.  Expected values follow QEMU's docs/specs/fw_cfg.rst and what
 * QEMU's hw/nvram/fw_cfg.c does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "device.h"
#include "dev/fw_cfg.h"
#include "log.h"
#include "mem.h"
#include "state.h"
#include "unit.h"

#define RAM_SIZE 0x100000ull
#define PORT_SEL 0x510
#define PORT_DATA 0x511
#define PORT_DMA_HI 0x514
#define PORT_DMA_LO 0x518

struct ctx {
	struct guest_mem mem;
	struct bus io;
	struct fw_cfg *fw;
	uint8_t *ram; /* host view of GPA 0 .. RAM_SIZE */
};

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct mem_backend *b;

	assert_non_null(c);
	mem_init(&c->mem);
	b = mem_backend_create(&c->mem, "ram", RAM_SIZE, NULL);
	assert_non_null(b);
	assert_int_equal(mem_add_region(&c->mem, "ram", b, 0, 0, RAM_SIZE,
					false, true),
			 0);
	c->ram = b->hva;
	bus_init(&c->io, "io", 0x10000);
	c->fw = fw_cfg_create(&c->mem);
	assert_non_null(c->fw);
	assert_int_equal(fw_cfg_register(c->fw, &c->io, FW_CFG_IO_BASE), 0);
	return c;
}

static void ctx_free(struct ctx *c)
{
	fw_cfg_device_ops.destroy(c->fw);
	bus_destroy(&c->io);
	mem_destroy(&c->mem);
	free(c);
}

UNIT_CTX_FIXTURE()

/* ---- helpers: what a guest does with in/out ----------------------------- */

static void out16(struct ctx *c, uint16_t port, uint16_t v)
{
	uint8_t d[2];

	bus_data_put(d, 2, v);
	assert_int_equal(bus_write(&c->io, port, d, 2), BUS_OK);
}

static uint8_t in8(struct ctx *c, uint16_t port)
{
	uint8_t d = 0x5a;

	assert_int_equal(bus_read(&c->io, port, &d, 1), BUS_OK);
	return d;
}

static void sel(struct ctx *c, uint16_t key)
{
	out16(c, PORT_SEL, key);
}

static void read_port(struct ctx *c, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = in8(c, PORT_DATA);
}

/* outl(cpu_to_be32(v), port): the bytes on the bus are big-endian. */
static void out32_be(struct ctx *c, uint16_t port, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	assert_int_equal(bus_write(&c->io, port, d, 4), BUS_OK);
}

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

/* Write an FWCfgDmaAccess into RAM at gpa (must be inside RAM). */
static void put_desc(struct ctx *c, uint64_t gpa, uint32_t control,
		     uint32_t length, uint64_t addr)
{
	assert_true(gpa + 16 <= RAM_SIZE);
	be32_put(c->ram + gpa, control);
	be32_put(c->ram + gpa + 4, length);
	be64_put(c->ram + gpa + 8, addr);
}

/* Start a transfer the way SeaBIOS does: only the low half. */
static void kick(struct ctx *c, uint32_t desc)
{
	out32_be(c, PORT_DMA_LO, desc);
}

static uint32_t status(struct ctx *c, uint64_t desc)
{
	return be32_get(c->ram + desc);
}

#define SEL_CTL(key) ((uint32_t)(key) << 16 | FW_CFG_DMA_CTL_SELECT)

/* ---- signature, ID, numeric items --------------------------------------- */

static void test_signature(void **state)
{
	struct ctx *c = *state;
	char sig[5] = { 0 };

	/* Selected at creation (QEMU's reset state) ... */
	read_port(c, sig, 4);
	assert_string_equal(sig, "QEMU");
	assert_int_equal(in8(c, PORT_DATA), 0); /* past the end */
	/* ... and explicitly. */
	sel(c, FW_CFG_SIGNATURE);
	read_port(c, sig, 4);
	assert_string_equal(sig, "QEMU");
}

static void test_byte_read_at_selector_port(void **state)
{
	struct ctx *c = *state;

	/* QEMU's 2-byte "comb" region reads data at either port. */
	sel(c, FW_CFG_SIGNATURE);
	assert_int_equal(in8(c, PORT_SEL), 'Q');
	assert_int_equal(in8(c, PORT_DATA), 'E');
	assert_int_equal(in8(c, PORT_SEL), 'M');
}

static void test_id(void **state)
{
	struct ctx *c = *state;
	uint8_t id[4];

	sel(c, FW_CFG_ID);
	read_port(c, id, 4);
	assert_int_equal(bus_data_get(id, 4),
			 FW_CFG_VERSION | FW_CFG_VERSION_DMA);
}

static void test_no_dma(void **state)
{
	struct bus io;
	struct fw_cfg *fw = fw_cfg_create(NULL);
	uint8_t d[4];

	(void)state;
	assert_non_null(fw);
	bus_init(&io, "io", 0x10000);
	assert_int_equal(fw_cfg_register(fw, &io, FW_CFG_IO_BASE), 0);
	bus_data_put(d, 2, FW_CFG_ID);
	assert_int_equal(bus_write(&io, PORT_SEL, d, 2), BUS_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(bus_read(&io, PORT_DATA, &d[i], 1), BUS_OK);
	assert_int_equal(bus_data_get(d, 4), FW_CFG_VERSION);
	/* No DMA register without guest memory. */
	assert_int_equal(bus_read(&io, PORT_DMA_HI, d, 4), BUS_UNCLAIMED);
	bus_destroy(&io);
	fw_cfg_device_ops.destroy(fw);
}

static void test_dma_register_reads_signature(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8];

	assert_int_equal(bus_read(&c->io, PORT_DMA_HI, d, 8), BUS_OK);
	assert_memory_equal(d, "QEMU CFG", 8);
	assert_int_equal(bus_read(&c->io, PORT_DMA_LO, d, 4), BUS_OK);
	assert_memory_equal(d, " CFG", 4);
	assert_int_equal(bus_read(&c->io, PORT_DMA_HI + 3, d, 1), BUS_OK);
	assert_int_equal(d[0], 'U');
	assert_int_equal(bus_read(&c->io, PORT_DMA_HI + 2, d, 2), BUS_OK);
	assert_memory_equal(d, "MU", 2);
	/* Unaligned: QEMU refuses it, which reads 0. */
	assert_int_equal(bus_read(&c->io, PORT_DMA_HI + 1, d, 2), BUS_OK);
	assert_int_equal(d[0], 0);
	assert_int_equal(d[1], 0);
	/* Reading does not disturb a transfer. */
	assert_int_equal(bus_read(&c->io, PORT_DMA_HI, d, 8), BUS_OK);
}

static void test_numeric_items_little_endian(void **state)
{
	struct ctx *c = *state;
	uint8_t b[8];

	assert_int_equal(fw_cfg_add_u16(c->fw, FW_CFG_NB_CPUS, 0x0102), 0);
	assert_int_equal(fw_cfg_add_u32(c->fw, FW_CFG_KERNEL_SIZE, 0x01020304),
			 0);
	assert_int_equal(fw_cfg_add_u64(c->fw, FW_CFG_RAM_SIZE,
					0x0102030405060708ull),
			 0);
	assert_int_equal(fw_cfg_add_string(c->fw, FW_CFG_CMDLINE_DATA, "hi"),
			 0);
	sel(c, FW_CFG_NB_CPUS);
	read_port(c, b, 3);
	assert_memory_equal(b, "\x02\x01\x00", 3);
	sel(c, FW_CFG_KERNEL_SIZE);
	read_port(c, b, 4);
	assert_memory_equal(b, "\x04\x03\x02\x01", 4);
	sel(c, FW_CFG_RAM_SIZE);
	read_port(c, b, 8);
	assert_memory_equal(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
	sel(c, FW_CFG_CMDLINE_DATA);
	read_port(c, b, 4);
	assert_memory_equal(b, "hi\0\0", 4);
	/* Arch-local keys live in their own table. */
	assert_int_equal(fw_cfg_add_u32(c->fw, FW_CFG_E820_TABLE, 7), 0);
	assert_int_equal(fw_cfg_add_u32(c->fw, 0x0003 | 0x8000 | 0x0000, 1),
			 -1); /* that is E820_TABLE again */
	sel(c, FW_CFG_E820_TABLE);
	read_port(c, b, 4);
	assert_int_equal(bus_data_get(b, 4), 7);
}

static void test_add_refusals(void **state)
{
	struct ctx *c = *state;
	char name[80];

	assert_int_equal(fw_cfg_add_u32(c->fw, FW_CFG_SIGNATURE, 1), -1);
	assert_non_null(strstr(err_msg(), "already present"));
	assert_int_equal(fw_cfg_add_u32(c->fw, FW_CFG_WRITE_CHANNEL | 3, 1),
			 -1);
	assert_int_equal(fw_cfg_add_u32(c->fw, FW_CFG_FILE_DIR, 1), -1);
	assert_int_equal(fw_cfg_add_u32(c->fw, FW_CFG_FILE_FIRST, 1), -1);
	assert_int_equal(fw_cfg_add_u32(c->fw, 0x3fff, 1), -1);
	assert_int_equal(fw_cfg_add_u32(c->fw,
					FW_CFG_ARCH_LOCAL | FW_CFG_MAX_ENTRY, 1),
			 -1);
	assert_int_equal(fw_cfg_add_u32(c->fw,
					FW_CFG_ARCH_LOCAL |
						(FW_CFG_MAX_ENTRY - 1),
					1),
			 0);
	assert_int_equal(fw_cfg_add_bytes(c->fw, 0x1a, NULL, UINT32_MAX), -1);
	assert_int_equal(fw_cfg_add_bytes(c->fw, 0x1a, NULL, 4), -1);
	assert_int_equal(fw_cfg_add_bytes(c->fw, 0x1a, NULL, 0), 0);

	/* File names: at most 55 characters plus the NUL. */
	memset(name, 'a', sizeof(name));
	name[56] = '\0';
	assert_int_equal(fw_cfg_add_file(c->fw, name, "x", 1), -1);
	name[55] = '\0';
	assert_int_equal(fw_cfg_add_file(c->fw, name, "x", 1), 0);
	assert_int_equal(fw_cfg_add_file(c->fw, name, "y", 1), -1);
	assert_non_null(strstr(err_msg(), "duplicate"));
	assert_int_equal(fw_cfg_add_file(c->fw, "", "x", 1), -1);
	assert_int_equal(fw_cfg_add_file(c->fw, NULL, "x", 1), -1);
	assert_int_equal(fw_cfg_add_file(c->fw, "big", NULL, UINT32_MAX), -1);

	/* 0x20 slots, one used above. */
	for (int i = 1; i < FW_CFG_FILE_SLOTS; i++) {
		snprintf(name, sizeof(name), "opt/f%02d", i);
		assert_int_equal(fw_cfg_add_file(c->fw, name, &i, sizeof(i)), 0);
	}
	assert_int_equal(fw_cfg_add_file(c->fw, "opt/one-too-many", "x", 1),
			 -1);
	assert_non_null(strstr(err_msg(), "slots"));
}

/* ---- the file directory ------------------------------------------------- */

struct dir_entry {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[56];
};

static uint32_t read_dir(struct ctx *c, struct dir_entry *out, uint32_t max)
{
	uint8_t hdr[4], e[64];
	uint32_t count;

	sel(c, FW_CFG_FILE_DIR);
	read_port(c, hdr, 4);
	count = be32_get(hdr);
	for (uint32_t i = 0; i < count && i < max; i++) {
		read_port(c, e, 64);
		out[i].size = be32_get(e);
		out[i].select = be16_get(e + 4);
		out[i].reserved = be16_get(e + 6);
		memcpy(out[i].name, e + 8, 56);
	}
	return count;
}

static void test_file_dir_sorted(void **state)
{
	struct ctx *c = *state;
	/* Added out of order; QEMU sorts the directory by strcmp(). */
	static const char *const added[] = { "etc/e820", "bootorder",
					     "etc/boot-fail-wait", "zzz",
					     "Upper", "a" };
	static const char *const sorted[] = { "Upper", "a", "bootorder",
					      "etc/boot-fail-wait", "etc/e820",
					      "zzz" };
	struct dir_entry d[8];
	uint8_t buf[64];

	for (size_t i = 0; i < 6; i++)
		assert_int_equal(fw_cfg_add_file(c->fw, added[i], added[i],
						 (uint32_t)strlen(added[i])),
				 0);
	assert_int_equal(read_dir(c, d, 8), 6);
	for (uint32_t i = 0; i < 6; i++) {
		assert_string_equal(d[i].name, sorted[i]);
		assert_int_equal(d[i].select, FW_CFG_FILE_FIRST + i);
		assert_int_equal(d[i].size, strlen(sorted[i]));
		assert_int_equal(d[i].reserved, 0);
		/* The selector in the entry serves that file. */
		sel(c, d[i].select);
		memset(buf, 0xee, sizeof(buf));
		read_port(c, buf, d[i].size + 1);
		assert_memory_equal(buf, sorted[i], d[i].size);
		assert_int_equal(buf[d[i].size], 0);
	}
	/*
	 * QEMU sizes the directory for every slot: entries after the last
	 * file are zero, and the item ends after 4 + 64 * 32 bytes.
	 */
	sel(c, FW_CFG_FILE_DIR);
	for (uint32_t i = 0; i < 4 + 64 * 6; i++)
		in8(c, PORT_DATA);
	for (uint32_t i = 4 + 64 * 6; i < 4 + 64 * FW_CFG_FILE_SLOTS; i++)
		assert_int_equal(in8(c, PORT_DATA), 0);
}

static void test_file_selectors_follow_sort_order(void **state)
{
	struct ctx *c = *state;
	uint8_t b;

	assert_int_equal(fw_cfg_add_file(c->fw, "b", "B", 1), 0);
	sel(c, FW_CFG_FILE_FIRST);
	assert_int_equal(in8(c, PORT_DATA), 'B');
	/* "a" sorts first and takes 0x20; "b" moves to 0x21, as in QEMU. */
	assert_int_equal(fw_cfg_add_file(c->fw, "a", "A", 1), 0);
	sel(c, FW_CFG_FILE_FIRST);
	assert_int_equal(in8(c, PORT_DATA), 'A');
	sel(c, FW_CFG_FILE_FIRST + 1);
	assert_int_equal(in8(c, PORT_DATA), 'B');
	/* Beyond the files but inside the slots: an empty key. */
	sel(c, FW_CFG_FILE_FIRST + 2);
	b = in8(c, PORT_DATA);
	assert_int_equal(b, 0);
}

static void test_dir_absent_without_files(void **state)
{
	struct ctx *c = *state;
	uint8_t hdr[4];

	sel(c, FW_CFG_FILE_DIR);
	read_port(c, hdr, 4);
	assert_int_equal(be32_get(hdr), 0);
}

static void test_read_file_api(void **state)
{
	struct ctx *c = *state;
	char buf[8] = { 0 };

	assert_int_equal(fw_cfg_add_file(c->fw, "etc/x", "hello", 5), 0);
	assert_int_equal(fw_cfg_read_file(c->fw, "etc/x", buf, 3), 5);
	assert_memory_equal(buf, "hel\0", 4);
	assert_int_equal(fw_cfg_read_file(c->fw, "etc/x", NULL, 0), 5);
	assert_int_equal(fw_cfg_read_file(c->fw, "etc/y", buf, 8), -1);
	assert_int_equal(fw_cfg_add_file(c->fw, "empty", NULL, 0), 0);
	assert_int_equal(fw_cfg_read_file(c->fw, "empty", buf, 8), 0);
}

/* ---- the data port ------------------------------------------------------ */

static void test_file_byte_by_byte_and_past_end(void **state)
{
	struct ctx *c = *state;
	uint8_t b[12];

	assert_int_equal(fw_cfg_add_file(c->fw, "etc/five", "12345", 5), 0);
	sel(c, FW_CFG_FILE_FIRST);
	read_port(c, b, sizeof(b));
	assert_memory_equal(b, "12345\0\0\0\0\0\0\0", sizeof(b));
	/* Still zero much later: the offset stops at the end. */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(in8(c, PORT_DATA), 0);
}

static void test_select_resets_offset(void **state)
{
	struct ctx *c = *state;

	sel(c, FW_CFG_SIGNATURE);
	assert_int_equal(in8(c, PORT_DATA), 'Q');
	assert_int_equal(in8(c, PORT_DATA), 'E');
	sel(c, FW_CFG_SIGNATURE);
	assert_int_equal(in8(c, PORT_DATA), 'Q');
	sel(c, FW_CFG_ID);
	sel(c, FW_CFG_SIGNATURE);
	assert_int_equal(in8(c, PORT_DATA), 'Q');
	assert_int_equal(in8(c, PORT_DATA), 'E');
	fw_cfg_device_ops.reset(c->fw);
	assert_int_equal(in8(c, PORT_DATA), 'Q');
}

static void test_writes_ignored(void **state)
{
	struct ctx *c = *state;
	uint8_t d[4] = { 'X', 'X', 'X', 'X' };

	/* The write bit is masked off; the item stays read-only. */
	sel(c, FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE);
	assert_int_equal(bus_write(&c->io, PORT_DATA, d, 1), BUS_OK);
	assert_int_equal(in8(c, PORT_DATA), 'Q'); /* offset did not move */
	assert_int_equal(bus_write(&c->io, PORT_DATA, d, 1), BUS_OK);
	assert_int_equal(in8(c, PORT_DATA), 'E');
	sel(c, FW_CFG_SIGNATURE);
	assert_int_equal(in8(c, PORT_DATA), 'Q');
	/* A byte write to the selector port is a data write, not a select. */
	bus_data_put(d, 1, FW_CFG_ID);
	assert_int_equal(bus_write(&c->io, PORT_SEL, d, 1), BUS_OK);
	assert_int_equal(in8(c, PORT_DATA), 'E');
	/* Widths the ports do not have never reach the device. */
	assert_int_equal(bus_write(&c->io, PORT_SEL, d, 4), BUS_BAD_WIDTH);
	assert_int_equal(bus_write(&c->io, PORT_DATA, d, 2), BUS_BAD_WIDTH);
	/* A 16-bit read is refused by QEMU and reads 0, no offset change. */
	assert_int_equal(bus_read(&c->io, PORT_SEL, d, 2), BUS_OK);
	assert_int_equal(bus_data_get(d, 2), 0);
	assert_int_equal(in8(c, PORT_DATA), 'M');
	assert_int_equal(in8(c, PORT_DATA), 'U');
}

static void test_invalid_and_empty_keys(void **state)
{
	struct ctx *c = *state;

	sel(c, 0x3fff); /* beyond the table */
	assert_int_equal(in8(c, PORT_DATA), 0);
	sel(c, FW_CFG_INVALID);
	assert_int_equal(in8(c, PORT_DATA), 0);
	sel(c, 0x1a); /* inside the table, nothing added */
	assert_int_equal(in8(c, PORT_DATA), 0);
	sel(c, FW_CFG_ARCH_LOCAL | FW_CFG_SIGNATURE); /* arch table is apart */
	assert_int_equal(in8(c, PORT_DATA), 0);
}

/* ---- DMA ---------------------------------------------------------------- */

static void test_dma_select_read(void **state)
{
	struct ctx *c = *state;
	static const char text[] = "the quick brown fox";

	assert_int_equal(fw_cfg_add_file(c->fw, "etc/text", text, sizeof(text)),
			 0);
	memset(c->ram + 0x2000, 0xaa, 64);
	put_desc(c, 0x1000,
		 SEL_CTL(FW_CFG_FILE_FIRST) | FW_CFG_DMA_CTL_READ, sizeof(text),
		 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + 0x2000, text, sizeof(text));
	assert_int_equal(c->ram[0x2000 + sizeof(text)], 0xaa);
	/* The offset moved to the end: the data port reads zeros now. */
	assert_int_equal(in8(c, PORT_DATA), 0);

	/* Signature and ID the way SeaBIOS reads them with DMA. */
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_ID) | FW_CFG_DMA_CTL_READ, 4,
		 0x3000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_int_equal(bus_data_get(c->ram + 0x3000, 4), 3);
}

static void test_dma_read_past_end_zero_fills(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fw_cfg_add_file(c->fw, "f", "12345", 5), 0);
	memset(c->ram + 0x2000, 0xaa, 32);
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_FILE_FIRST) | FW_CFG_DMA_CTL_READ,
		 16, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + 0x2000, "12345\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(c->ram[0x2010], 0xaa);

	/* Nothing selected at all: zeros too, and success. */
	memset(c->ram + 0x2000, 0xaa, 32);
	put_desc(c, 0x1000, SEL_CTL(0x3fff) | FW_CFG_DMA_CTL_READ, 8, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + 0x2000, "\0\0\0\0\0\0\0\0\xaa", 9);
}

static void test_dma_skip_then_read(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fw_cfg_add_file(c->fw, "f", "0123456789", 10), 0);
	sel(c, FW_CFG_FILE_FIRST);
	/* SeaBIOS's qemu_cfg_skip passes address 0: skip touches no memory. */
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_SKIP, 3, 0);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_READ, 4, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + 0x2000, "3456", 4);
	/* The port continues where DMA stopped. */
	assert_int_equal(in8(c, PORT_DATA), '7');
	/* Skipping far past the end is fine and stops at the end. */
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_SKIP, 0xffffffff, 0);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_int_equal(in8(c, PORT_DATA), 0);
	/* Skip with read set is a read (read wins, as in QEMU). */
	sel(c, FW_CFG_FILE_FIRST);
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_SKIP | FW_CFG_DMA_CTL_READ, 2,
		 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + 0x2000, "01", 2);
}

static void test_dma_select_only_and_no_op(void **state)
{
	struct ctx *c = *state;

	sel(c, FW_CFG_ID);
	/* Select without an operation: length is ignored, status 0. */
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_SIGNATURE), 0x1000, 0xdeadbeef);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_int_equal(in8(c, PORT_DATA), 'Q');
	/* An error bit coming in is not sticky. */
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_ERROR, 0, 0);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	/* Zero length: nothing to do, even for a write. */
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_WRITE, 0, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
}

static void test_dma_data_outside_ram(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fw_cfg_add_file(c->fw, "f", "abcdefgh", 8), 0);

	/* Buffer straddles the end of RAM: error, nothing written. */
	memset(c->ram + RAM_SIZE - 4, 0xaa, 4);
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_FILE_FIRST) | FW_CFG_DMA_CTL_READ,
		 8, RAM_SIZE - 4);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	assert_memory_equal(c->ram + RAM_SIZE - 4, "\xaa\xaa\xaa\xaa", 4);
	/* As in QEMU the offset still moved by what the item had. */
	assert_int_equal(in8(c, PORT_DATA), 0);

	/* Entirely outside RAM. */
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_FILE_FIRST) | FW_CFG_DMA_CTL_READ,
		 8, 0x40000000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);

	/* Data fits the item but the zero fill would leave RAM. */
	memset(c->ram + RAM_SIZE - 16, 0xaa, 16);
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_FILE_FIRST) | FW_CFG_DMA_CTL_READ,
		 32, RAM_SIZE - 16);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	for (int i = 0; i < 16; i++)
		assert_int_equal(c->ram[RAM_SIZE - 16 + i], 0xaa);
}

static void test_dma_huge_length(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(fw_cfg_add_file(c->fw, "f", "abcdefgh", 8), 0);
	memset(c->ram + 0x2000, 0xaa, 16);
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_FILE_FIRST) | FW_CFG_DMA_CTL_READ,
		 0xffffffff, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(c->ram[0x2000], 0xaa);

	/* Zero-fill of all RAM above the descriptor page works. */
	memset(c->ram + 0x2000, 0xaa, RAM_SIZE - 0x2000);
	put_desc(c, 0x1000, SEL_CTL(0x3fff) | FW_CFG_DMA_CTL_READ,
		 (uint32_t)(RAM_SIZE - 0x2000), 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	for (uint64_t a = 0x2000; a < RAM_SIZE; a += 0x1000)
		assert_int_equal(c->ram[a], 0);
	assert_int_equal(c->ram[RAM_SIZE - 1], 0);
}

static void test_dma_address_overflow(void **state)
{
	struct ctx *c = *state;

	put_desc(c, 0x1000, SEL_CTL(FW_CFG_SIGNATURE) | FW_CFG_DMA_CTL_READ, 1,
		 0xffffffffffffffffull);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	/* Wraps from the top of the address space back into RAM. */
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_SIGNATURE) | FW_CFG_DMA_CTL_READ,
		 0x20, 0xfffffffffffffff0ull);
	c->ram[0] = 0xaa;
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(c->ram[0], 0xaa);
}

static void test_dma_descriptor_outside_ram(void **state)
{
	struct ctx *c = *state;
	uint8_t *snap = malloc(RAM_SIZE);
	uint8_t d[8];

	assert_non_null(snap);
	for (uint64_t i = 0; i < RAM_SIZE; i++)
		c->ram[i] = (uint8_t)(i * 7);
	memcpy(snap, c->ram, RAM_SIZE);

	kick(c, (uint32_t)RAM_SIZE); /* just past RAM */
	kick(c, 0xfffffff0); /* top of 32-bit space */
	/* A 64-bit descriptor address via both halves. */
	out32_be(c, PORT_DMA_HI, 0xffffffff);
	out32_be(c, PORT_DMA_LO, 0xfffffff8); /* wraps past 2^64 */
	/* One 64-bit write (other architectures). */
	be64_put(d, 0x123456789abcdef0ull);
	assert_int_equal(bus_write(&c->io, PORT_DMA_HI, d, 8), BUS_OK);
	assert_memory_equal(c->ram, snap, RAM_SIZE);
	free(snap);
}

static void test_dma_descriptor_straddles_end(void **state)
{
	struct ctx *c = *state;
	uint64_t desc = RAM_SIZE - 8; /* control and length in RAM */
	uint8_t *snap = malloc(RAM_SIZE);

	assert_non_null(snap);
	be32_put(c->ram + desc, SEL_CTL(FW_CFG_SIGNATURE) |
					FW_CFG_DMA_CTL_READ);
	be32_put(c->ram + desc + 4, 4);
	memcpy(snap, c->ram, RAM_SIZE);
	kick(c, (uint32_t)desc);
	/* QEMU flags the error in the part of the control field it can. */
	assert_int_equal(be32_get(c->ram + desc), FW_CFG_DMA_CTL_ERROR);
	assert_memory_equal(c->ram, snap, desc);
	assert_memory_equal(c->ram + desc + 4, snap + desc + 4, 4);

	/* Control field itself straddles: nothing at all is written. */
	memcpy(snap, c->ram, RAM_SIZE);
	kick(c, (uint32_t)(RAM_SIZE - 2));
	assert_memory_equal(c->ram, snap, RAM_SIZE);
	free(snap);
}

static void test_dma_register_halves(void **state)
{
	struct ctx *c = *state;
	uint8_t d[8];

	/* High half out of reach, then a low-half write: not in RAM. */
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_SIGNATURE) | FW_CFG_DMA_CTL_READ, 4,
		 0x2000);
	out32_be(c, PORT_DMA_HI, 1);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000),
			 SEL_CTL(FW_CFG_SIGNATURE) | FW_CFG_DMA_CTL_READ);
	/* The register went back to 0: the low half alone now works. */
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + 0x2000, "QEMU", 4);

	/* A 64-bit big-endian write at +0 starts a transfer too. */
	put_desc(c, 0x1100, SEL_CTL(FW_CFG_ID) | FW_CFG_DMA_CTL_READ, 4,
		 0x2100);
	be64_put(d, 0x1100);
	assert_int_equal(bus_write(&c->io, PORT_DMA_HI, d, 8), BUS_OK);
	assert_int_equal(status(c, 0x1100), 0);
	assert_int_equal(bus_data_get(c->ram + 0x2100, 4), 3);

	/* Writes QEMU does not accept change nothing. */
	put_desc(c, 0x1200, SEL_CTL(FW_CFG_ID) | FW_CFG_DMA_CTL_READ, 4,
		 0x2200);
	assert_int_equal(bus_write(&c->io, PORT_DMA_HI + 6, d, 2), BUS_OK);
	assert_int_equal(bus_write(&c->io, PORT_DMA_HI + 7, d, 1), BUS_OK);
	assert_int_equal(bus_write(&c->io, PORT_DMA_HI + 2, d, 4), BUS_OK);
	assert_int_equal(bus_write(&c->io, PORT_DMA_LO, d, 8), BUS_BAD_WIDTH);
	assert_int_equal(status(c, 0x1200),
			 SEL_CTL(FW_CFG_ID) | FW_CFG_DMA_CTL_READ);
	kick(c, 0x1200); /* and the register was not disturbed */
	assert_int_equal(status(c, 0x1200), 0);
}

static void test_dma_write(void **state)
{
	struct ctx *c = *state;
	char buf[8];

	assert_int_equal(fw_cfg_add_file(c->fw, "ro", "aaaa", 4), 0);
	assert_int_equal(fw_cfg_add_file_writable(c->fw, "rw", "bbbb", 4), 0);
	/* "ro" is 0x20, "rw" is 0x21 (sorted). */
	memcpy(c->ram + 0x2000, "WXYZ", 4);

	/* Into a writable file, in place. */
	put_desc(c, 0x1000, SEL_CTL(0x21) | FW_CFG_DMA_CTL_WRITE, 2, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_int_equal(fw_cfg_read_file(c->fw, "rw", buf, 4), 4);
	assert_memory_equal(buf, "WXbb", 4);
	/* Continuing at the offset the first write left. */
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_WRITE, 2, 0x2002);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_int_equal(fw_cfg_read_file(c->fw, "rw", buf, 4), 4);
	assert_memory_equal(buf, "WXYZ", 4);
	/* At the end: nothing left to write into. */
	put_desc(c, 0x1000, FW_CFG_DMA_CTL_WRITE, 1, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);

	/* Past the end: dropped entirely (the item cannot grow). */
	memcpy(c->ram + 0x2000, "12345", 5);
	put_desc(c, 0x1000, SEL_CTL(0x21) | FW_CFG_DMA_CTL_WRITE, 5, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(fw_cfg_read_file(c->fw, "rw", buf, 4), 4);
	assert_memory_equal(buf, "WXYZ", 4);

	/* Source outside RAM. */
	put_desc(c, 0x1000, SEL_CTL(0x21) | FW_CFG_DMA_CTL_WRITE, 4,
		 RAM_SIZE - 2);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(fw_cfg_read_file(c->fw, "rw", buf, 4), 4);
	assert_memory_equal(buf, "WXYZ", 4);

	/* Read-only file, and a numbered item: refused. */
	put_desc(c, 0x1000, SEL_CTL(0x20) | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(fw_cfg_read_file(c->fw, "ro", buf, 4), 4);
	assert_memory_equal(buf, "aaaa", 4);
	put_desc(c, 0x1000, SEL_CTL(FW_CFG_SIGNATURE) | FW_CFG_DMA_CTL_WRITE, 4,
		 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	sel(c, FW_CFG_SIGNATURE);
	assert_int_equal(in8(c, PORT_DATA), 'Q');
	/* Nothing selected. */
	put_desc(c, 0x1000, SEL_CTL(0x3fff) | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
}

static void test_dma_across_regions_and_rom(void **state)
{
	struct ctx *c = *state;
	struct mem_backend *b2, *rom;
	static const char text[] = "0123456789abcdef";

	/* RAM continues in a second region; ROM sits right after it. */
	b2 = mem_backend_create(&c->mem, "ram2", 0x1000, NULL);
	assert_non_null(b2);
	assert_int_equal(mem_add_region(&c->mem, "ram2", b2, 0, RAM_SIZE,
					0x1000, false, true),
			 0);
	rom = mem_backend_create(&c->mem, "rom", 0x1000, NULL);
	assert_non_null(rom);
	assert_int_equal(mem_add_region(&c->mem, "rom", rom, 0,
					RAM_SIZE + 0x1000, 0x1000, true,
					false),
			 0);
	assert_int_equal(fw_cfg_add_file(c->fw, "t", text, 16), 0);

	put_desc(c, 0x1000, SEL_CTL(0x20) | FW_CFG_DMA_CTL_READ, 16,
		 RAM_SIZE - 8);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + RAM_SIZE - 8, text, 8);
	assert_memory_equal(b2->hva, text + 8, 8);

	/* Into ROM: refused, and nothing written to the RAM part. */
	memset(b2->hva + 0x1000 - 8, 0xaa, 8);
	put_desc(c, 0x1000, SEL_CTL(0x20) | FW_CFG_DMA_CTL_READ, 16,
		 RAM_SIZE + 0x1000 - 8);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), FW_CFG_DMA_CTL_ERROR);
	for (int i = 0; i < 8; i++)
		assert_int_equal(b2->hva[0x1000 - 8 + i], 0xaa);

	/* A descriptor in ROM: the transfer runs, the status cannot land. */
	be32_put(rom->hva, SEL_CTL(0x20) | FW_CFG_DMA_CTL_READ);
	be32_put(rom->hva + 4, 4);
	be64_put(rom->hva + 8, 0x3000);
	kick(c, (uint32_t)(RAM_SIZE + 0x1000));
	assert_memory_equal(c->ram + 0x3000, "0123", 4);
	assert_int_equal(be32_get(rom->hva),
			 SEL_CTL(0x20) | FW_CFG_DMA_CTL_READ);
}

/* ---- MMIO (Arm "virt" layout) ------------------------------------------- */

static void test_mmio(void **state)
{
	struct ctx *c = *state;
	const uint64_t base = 0x9020000;
	struct bus mmio;
	uint8_t d[8];

	bus_init(&mmio, "mmio", 0);
	assert_int_equal(fw_cfg_register_mmio(c->fw, &mmio, base), 0);
	assert_int_equal(fw_cfg_add_file(c->fw, "etc/mmio", "ABCDEFGHIJ", 10),
			 0);
	/* Selector is big-endian: key 0x0020 is the bytes 00 20. */
	d[0] = 0x00;
	d[1] = 0x20;
	assert_int_equal(bus_write(&mmio, base + 8, d, 2), BUS_OK);
	assert_int_equal(bus_read(&mmio, base, d, 8), BUS_OK);
	assert_memory_equal(d, "ABCDEFGH", 8);
	assert_int_equal(bus_read(&mmio, base, d, 4), BUS_OK);
	assert_memory_equal(d, "IJ\0\0", 4); /* padded with zeros */
	/* Only offset 0 of the data register is valid. */
	d[0] = 0;
	d[1] = 0;
	assert_int_equal(bus_write(&mmio, base + 8, d, 2), BUS_OK);
	assert_int_equal(bus_read(&mmio, base + 1, d, 1), BUS_OK);
	assert_int_equal(d[0], 0);
	assert_int_equal(bus_read(&mmio, base, d, 2), BUS_OK);
	assert_memory_equal(d, "QE", 2);
	/* DMA at +16, one 64-bit big-endian write. */
	put_desc(c, 0x1000, SEL_CTL(0x20) | FW_CFG_DMA_CTL_READ, 10, 0x2000);
	be64_put(d, 0x1000);
	assert_int_equal(bus_write(&mmio, base + 16, d, 8), BUS_OK);
	assert_int_equal(status(c, 0x1000), 0);
	assert_memory_equal(c->ram + 0x2000, "ABCDEFGHIJ", 10);
	assert_int_equal(fw_cfg_register_mmio(c->fw, &mmio, UINT64_MAX - 8),
			 -1);
	bus_destroy(&mmio);
}

static void test_register_errors(void **state)
{
	struct ctx *c = *state;
	struct bus io;

	/* Already claimed in this bus. */
	assert_int_equal(fw_cfg_register(c->fw, &c->io, FW_CFG_IO_BASE), -1);
	bus_init(&io, "io", 0x10000);
	/* The DMA range would run past port 0xffff. */
	assert_int_equal(fw_cfg_register(c->fw, &io, 0xfff8), -1);
	bus_destroy(&io);
}

/* ---- several vCPUs ------------------------------------------------------ */

struct worker {
	struct ctx *c;
	uint32_t desc;
	int failures;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ctx *c = w->c;
	uint32_t buf = w->desc + 0x100;
	uint8_t d[4];

	for (int i = 0; i < 2000; i++) {
		/* Each transfer selects and reads under the device lock. */
		put_desc(c, w->desc, SEL_CTL(0x20) | FW_CFG_DMA_CTL_READ, 26,
			 buf);
		memset(c->ram + buf, 0, 26);
		be32_put(d, w->desc);
		bus_write(&c->io, PORT_DMA_LO, d, 4);
		if (status(c, w->desc) != 0 ||
		    memcmp(c->ram + buf, "abcdefghijklmnopqrstuvwxyz", 26))
			w->failures++;
		/* Port traffic from the other threads in between. */
		d[0] = 1;
		d[1] = 0;
		bus_write(&c->io, PORT_SEL, d, 2);
		bus_read(&c->io, PORT_DATA, d, 1);
	}
	return NULL;
}

static void test_concurrent_dma(void **state)
{
	struct ctx *c = *state;
	pthread_t t[4];
	struct worker w[4];

	assert_int_equal(fw_cfg_add_file(c->fw, "abc",
					 "abcdefghijklmnopqrstuvwxyz", 26),
			 0);
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ .c = c, .desc = 0x10000 + 0x1000 * i };
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]),
				 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
}

/* ---- save, load, reset (device.h) --------------------------------------- */

#define HIGH_GPA 0x100000000ull /* a page of RAM above 4 GiB */
static const char ro_text[] = "read-only-file-contents";

/* The machine's items (the same on every device of a test) and RAM at 4G. */
static uint8_t *machine(struct ctx *c)
{
	struct mem_backend *b = mem_backend_create(&c->mem, "high", 0x1000, NULL);

	assert_non_null(b);
	assert_int_equal(mem_add_region(&c->mem, "high", b, 0, HIGH_GPA, 0x1000,
					false, true),
			 0);
	assert_int_equal(fw_cfg_add_file(c->fw, "etc/ro", ro_text,
					 sizeof(ro_text) - 1),
			 0);
	assert_int_equal(fw_cfg_add_file_writable(c->fw, "etc/rw", "bbbbbbbb", 8),
			 0);
	assert_int_equal(fw_cfg_add_u64(c->fw, FW_CFG_RAM_SIZE, RAM_SIZE), 0);
	return b->hva;
}

/*
 * The guest wrote "WXYZ" into etc/rw through DMA, selected etc/ro and read
 * 10 bytes of it through the data port, and wrote the DMA register's high
 * half (1: a descriptor above 4 GiB) without the low half yet.
 */
static void busy_state(struct ctx *c)
{
	uint8_t got[10];

	memcpy(c->ram + 0x2000, "WXYZ", 4);
	put_desc(c, 0x1000, SEL_CTL(0x21) | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
	kick(c, 0x1000);
	assert_int_equal(status(c, 0x1000), 0);
	sel(c, 0x20);
	read_port(c, got, sizeof(got));
	assert_memory_equal(got, ro_text, sizeof(got));
	out32_be(c, PORT_DMA_HI, 1);
}

UNIT_CTX_STATE(fw_cfg_device_ops, fw)

/* Where the saved fields sit (fw_cfg_save's layout). */
enum {
	AT_KEY = 0,
	AT_OFF = 2,
	AT_DMA = 6,
	AT_NR_FILES = 14,
	AT_NR_WRITABLE = 18,
	AT_NAME = 22, /* u16 length, then "etc/rw" */
	AT_LEN = AT_NAME + 2 + 6,
	AT_DATA = AT_LEN + 4,
	SAVED_LEN = AT_DATA + 8,
};

static void test_save_load_same_behaviour(void **state)
{
	struct ctx *a = *state, *b = ctx_new();
	uint8_t *high_a = machine(a), *high_b = machine(b);
	struct state_writer w;
	uint8_t got_a[16], got_b[16], rw[8];

	busy_state(a);
	save(a, &w);
	assert_int_equal(w.len, SAVED_LEN);
	assert_int_equal(load(b, w.buf, w.len), 0);
	resaves(b, &w);

	/* The guest's bytes in the writable file came along. */
	assert_int_equal(fw_cfg_read_file(b->fw, "etc/rw", rw, 8), 8);
	assert_memory_equal(rw, "WXYZbbbb", 8);
	/* The rest of etc/ro, then zeros, on both. */
	read_port(a, got_a, sizeof(got_a));
	read_port(b, got_b, sizeof(got_b));
	assert_memory_equal(got_a, got_b, sizeof(got_a));
	assert_memory_equal(got_b, ro_text + 10, sizeof(ro_text) - 11);
	/* The low half completes the address: the descriptor above 4 GiB. */
	be32_put(high_a + 0x100, SEL_CTL(FW_CFG_RAM_SIZE) | FW_CFG_DMA_CTL_READ);
	be32_put(high_a + 0x104, 8);
	be64_put(high_a + 0x108, 0x3000);
	memcpy(high_b + 0x100, high_a + 0x100, 16);
	kick(a, 0x100);
	kick(b, 0x100);
	assert_int_equal(be32_get(high_a + 0x100), 0);
	assert_int_equal(be32_get(high_b + 0x100), 0);
	assert_int_equal(bus_data_get(b->ram + 0x3000, 8), RAM_SIZE);
	assert_memory_equal(a->ram + 0x3000, b->ram + 0x3000, 8);
	state_writer_free(&w);
	ctx_free(b);
}

static void test_load_truncated_or_out_of_range(void **state)
{
	struct ctx *a = *state, *b = ctx_new(), *other = ctx_new();
	struct fw_cfg *no_dma = fw_cfg_create(NULL);
	struct state_writer w;
	struct state_reader r;
	uint8_t rw[8];

	(void)machine(a);
	(void)machine(b);
	(void)machine(other);
	busy_state(a);
	save(a, &w);
	refuses_truncated(b, &w);

	w.buf[AT_KEY + 1] = 0x3f; /* 0x3f20: beyond the last key */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_KEY + 1] = 0x00;
	w.buf[AT_OFF] = 200; /* etc/ro has 23 bytes */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_OFF] = 10;
	w.buf[AT_NR_FILES] = 3;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_NR_FILES] = 2;
	w.buf[AT_NR_WRITABLE] = 0;
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_NR_WRITABLE] = 1;
	w.buf[AT_NAME + 2 + 5] = 'o'; /* etc/ro: not writable */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_NAME + 2 + 5] = 'x'; /* etc/rx: no such file */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_NAME + 2 + 5] = 'w';
	w.buf[AT_LEN] = 9; /* the file cannot change size */
	assert_int_equal(load(b, w.buf, w.len), -1);
	w.buf[AT_LEN] = 8;
	/* A DMA address for a device that has no DMA register. */
	assert_int_equal(fw_cfg_add_file(no_dma, "etc/ro", ro_text, 23), 0);
	assert_int_equal(fw_cfg_add_file_writable(no_dma, "etc/rw", "bbbbbbbb", 8),
			 0);
	state_reader_init(&r, w.buf, w.len);
	assert_int_equal(fw_cfg_device_ops.load(no_dma, &r, 1), -1);
	/* A device with other files. */
	assert_int_equal(fw_cfg_add_file(other->fw, "etc/extra", "x", 1), 0);
	assert_int_equal(load(other, w.buf, w.len), -1);

	/* Nothing of the refused streams was taken; the good one loads. */
	assert_int_equal(fw_cfg_read_file(b->fw, "etc/rw", rw, 8), 8);
	assert_memory_equal(rw, "bbbbbbbb", 8);
	assert_int_equal(in8(b, PORT_DATA), 'Q');
	assert_int_equal(load(b, w.buf, w.len), 0);
	assert_int_equal(fw_cfg_read_file(b->fw, "etc/rw", rw, 8), 8);
	assert_memory_equal(rw, "WXYZbbbb", 8);
	fw_cfg_device_ops.destroy(no_dma);
	state_writer_free(&w);
	ctx_free(other);
	ctx_free(b);
}

static void test_reset_is_power_on(void **state)
{
	struct ctx *a = *state, *fresh = ctx_new();
	struct state_writer wa, wf;
	uint8_t got[10];

	(void)machine(a);
	(void)machine(fresh);
	sel(a, 0x20);
	read_port(a, got, sizeof(got));
	out32_be(a, PORT_DMA_HI, 1);
	fw_cfg_device_ops.reset(a->fw);
	save(a, &wa);
	save(fresh, &wf);
	assert_int_equal(wa.len, wf.len);
	assert_memory_equal(wa.buf, wf.buf, wf.len);
	assert_int_equal(in8(a, PORT_DATA), 'Q');
	/* The low half alone again: the register was cleared. */
	put_desc(a, 0x1000, SEL_CTL(FW_CFG_SIGNATURE) | FW_CFG_DMA_CTL_READ, 4,
		 0x2000);
	kick(a, 0x1000);
	assert_int_equal(status(a, 0x1000), 0);
	assert_memory_equal(a->ram + 0x2000, "QEMU", 4);
	state_writer_free(&wa);
	state_writer_free(&wf);
	ctx_free(fresh);
}

/* What the guest wrote into a writable file stays across a reset. */
static void test_reset_keeps_written_files(void **state)
{
	struct ctx *c = *state;
	uint8_t rw[8];

	(void)machine(c);
	busy_state(c);
	fw_cfg_device_ops.reset(c->fw);
	assert_int_equal(fw_cfg_read_file(c->fw, "etc/rw", rw, 8), 8);
	assert_memory_equal(rw, "WXYZbbbb", 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_signature),
		T(test_byte_read_at_selector_port),
		T(test_id),
		cmocka_unit_test(test_no_dma),
		T(test_dma_register_reads_signature),
		T(test_numeric_items_little_endian),
		T(test_add_refusals),
		T(test_file_dir_sorted),
		T(test_file_selectors_follow_sort_order),
		T(test_dir_absent_without_files),
		T(test_read_file_api),
		T(test_file_byte_by_byte_and_past_end),
		T(test_select_resets_offset),
		T(test_writes_ignored),
		T(test_invalid_and_empty_keys),
		T(test_dma_select_read),
		T(test_dma_read_past_end_zero_fills),
		T(test_dma_skip_then_read),
		T(test_dma_select_only_and_no_op),
		T(test_dma_data_outside_ram),
		T(test_dma_huge_length),
		T(test_dma_address_overflow),
		T(test_dma_descriptor_outside_ram),
		T(test_dma_descriptor_straddles_end),
		T(test_dma_register_halves),
		T(test_dma_write),
		T(test_dma_across_regions_and_rom),
		T(test_mmio),
		T(test_register_errors),
		T(test_concurrent_dma),
		T(test_save_load_same_behaviour),
		T(test_load_truncated_or_out_of_range),
		T(test_reset_is_power_on),
		T(test_reset_keeps_written_files),
#undef T
	};

	/* The device logs guest misbehaviour; the tests provoke plenty. */
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
