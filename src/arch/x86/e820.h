/* SPDX-License-Identifier: MIT */
/*
 * The E820 memory map: what the machine tells firmware (and firmware tells
 * the OS through INT 15h AX=E820h) about guest-physical memory.
 *
 * The table keeps entries in the order they were added, as QEMU's does: it
 * is handed to firmware unsorted (SeaBIOS and Linux sort and sanitise it).
 * Rules of e820_add(), chosen so that every table QEMU 7.2's pc machine
 * produces is accepted unchanged:
 *   - an empty range, a range that wraps past 2^64 or an unknown type is
 *     refused;
 *   - a range that overlaps any entry already in the table is refused (QEMU
 *     itself never adds overlapping entries on the pc machine: low RAM must
 *     end below the IOAPIC, so it never reaches the KVM identity-map pages,
 *     and high RAM moves above the AMD HyperTransport hole);
 *   - a range that touches the most recently added entry and has the same
 *     type is merged into it (QEMU never produces such a pair, so its tables
 *     are unaffected; it keeps hand-written --e820 lists short);
 *   - every entry that is not RAM is also recorded in a second, fixed-size
 *     table of E820_LEGACY_MAX entries, mirroring the reservations-only table
 *     QEMU exposed as fw_cfg key FW_CFG_E820_TABLE (0x8003) up to QEMU 7.1.
 *     When that table is full the entry is refused and neither table
 *     changes, which is what QEMU's e820_add_entry() did (-EBUSY).
 *
 * Firmware formats (both little-endian, packed, 20 bytes per entry
 * { u64 addr; u64 len; u32 type; }):
 *   - fw_cfg file "etc/e820": all entries, in order, nothing else;
 *   - legacy key FW_CFG_E820_TABLE: u32 count, then E820_LEGACY_MAX entry
 *     slots (unused ones zero): always E820_LEGACY_SIZE = 324 bytes.
 *     QEMU 7.2 no longer registers this key (commit "hw/i386/e820: remove
 *     legacy reserved entries for e820", QEMU 7.2 development cycle); SeaBIOS
 *     only reads it when "etc/e820" is absent.  Reading an unregistered key
 *     from QEMU 7.2 returns zeros, i.e. a count of 0.
 */
#ifndef MINIVMM_X86_E820_H
#define MINIVMM_X86_E820_H

#include <stddef.h>
#include <stdint.h>

enum e820_type {
	E820_RAM = 1,
	E820_RESERVED = 2,
	E820_ACPI = 3,
	E820_NVS = 4,
	E820_UNUSABLE = 5,
};

/*
 * Room for the whole map.  128 is also the number of entries the Linux boot
 * protocol's zero page can carry (boot_params.e820_table).
 */
#define E820_MAX_ENTRIES 128
/* QEMU's legacy reservations table: E820_NR_ENTRIES = 16. */
#define E820_LEGACY_MAX 16
/* Bytes of one packed entry and of the two firmware formats. */
#define E820_ENTRY_SIZE 20
#define E820_LEGACY_SIZE (4 + E820_LEGACY_MAX * E820_ENTRY_SIZE)

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_table {
	struct e820_entry entries[E820_MAX_ENTRIES];
	size_t nr;
	/* Non-RAM entries only, same order: the legacy fixed-size table. */
	struct e820_entry legacy[E820_LEGACY_MAX];
	size_t nr_legacy;
};

void e820_init(struct e820_table *table);

/*
 * Add [addr, addr + size) of `type` under the rules above.  Returns 0, or
 * -1 with err_msg() saying why (the caller prefixes the option it came
 * from).
 */
int e820_add(struct e820_table *table, uint64_t addr, uint64_t size,
	     uint32_t type);

/* "RAM", "RESERVED", "ACPI", "NVS", "UNUSABLE", or "unknown". */
const char *e820_type_name(uint32_t type);

/*
 * Serialise for fw_cfg.  Both return the number of bytes the format needs
 * and write them only when `cap` is at least that (so a first call with
 * buf = NULL, cap = 0 sizes the buffer).
 *   e820_serialize_file():   "etc/e820", nr * 20 bytes;
 *   e820_serialize_legacy(): FW_CFG_E820_TABLE, E820_LEGACY_SIZE bytes.
 */
size_t e820_serialize_file(const struct e820_table *table, uint8_t *buf,
			   size_t cap);
size_t e820_serialize_legacy(const struct e820_table *table, uint8_t *buf,
			     size_t cap);

/*
 * Human-readable listing, one line per entry in table order:
 *   "  0: 0x0000000000000000-0x00000000bfffffff RAM       3 GiB\n"
 * (inclusive end, like Linux's boot log).  snprintf() semantics: returns
 * the length the whole text needs, writes at most cap - 1 characters and a
 * terminating NUL when cap > 0.
 */
size_t e820_format(const struct e820_table *table, char *buf, size_t cap);

/* "3 GiB", "640 KiB", "16 KiB", "0x1234 bytes": exact, for listings. */
void e820_format_size(uint64_t size, char *buf, size_t cap);

#endif
