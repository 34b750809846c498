// SPDX-License-Identifier: MIT
/*
 * E820 table: insertion-ordered entries plus the legacy reservations table.
 * See e820.h for the rules and the two firmware formats.
 */
#include "e820.h"
#include "byteorder.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"

void e820_init(struct e820_table *table)
{
	memset(table, 0, sizeof(*table));
}

const char *e820_type_name(uint32_t type)
{
	switch (type) {
	case E820_RAM:
		return "RAM";
	case E820_RESERVED:
		return "RESERVED";
	case E820_ACPI:
		return "ACPI";
	case E820_NVS:
		return "NVS";
	case E820_UNUSABLE:
		return "UNUSABLE";
	default:
		return "unknown";
	}
}

/* Last byte of an entry; callers made sure it does not wrap. */
static uint64_t e820_last(const struct e820_entry *e)
{
	return e->addr + (e->size - 1);
}

int e820_add(struct e820_table *table, uint64_t addr, uint64_t size,
	     uint32_t type)
{
	struct e820_entry *prev;
	uint64_t last;

	if (type < E820_RAM || type > E820_UNUSABLE)
		return err_set("e820: unknown entry type %" PRIu32
			       " (1 RAM, 2 RESERVED, 3 ACPI, 4 NVS, 5 UNUSABLE)",
			       type);
	if (size == 0)
		return err_set("e820: empty %s entry at 0x%" PRIx64,
			       e820_type_name(type), addr);
	if (__builtin_add_overflow(addr, size - 1, &last))
		return err_set("e820: %s entry 0x%" PRIx64 "+0x%" PRIx64
			       " wraps past the end of the address space",
			       e820_type_name(type), addr, size);

	for (size_t i = 0; i < table->nr; i++) {
		const struct e820_entry *e = &table->entries[i];

		if (addr <= e820_last(e) && e->addr <= last)
			return err_set("e820: %s 0x%" PRIx64 "-0x%" PRIx64
				       " overlaps entry %zu, %s 0x%" PRIx64
				       "-0x%" PRIx64,
				       e820_type_name(type), addr, last, i,
				       e820_type_name(e->type), e->addr,
				       e820_last(e));
	}

	/*
	 * Merge with the most recent entry when the two touch and agree on the
	 * type.  Overlap was ruled out above, so "touch" means one ends exactly
	 * where the other starts, and the merged size cannot wrap.
	 */
	prev = table->nr ? &table->entries[table->nr - 1] : NULL;
	if (prev && prev->type == type &&
	    (e820_last(prev) + 1 == addr || last + 1 == prev->addr)) {
		if (addr < prev->addr)
			prev->addr = addr;
		prev->size += size;
		if (type != E820_RAM) {
			/* A non-RAM last entry is also the legacy table's last. */
			table->legacy[table->nr_legacy - 1] = *prev;
		}
		return 0;
	}

	if (table->nr == E820_MAX_ENTRIES)
		return err_set("e820: table full (%d entries)",
			       E820_MAX_ENTRIES);
	if (type != E820_RAM) {
		if (table->nr_legacy == E820_LEGACY_MAX)
			return err_set("e820: %s 0x%" PRIx64 "-0x%" PRIx64
				       ": the reservations table is full (%d non-RAM entries, the size of QEMU's FW_CFG_E820_TABLE)",
				       e820_type_name(type), addr, last,
				       E820_LEGACY_MAX);
		table->legacy[table->nr_legacy++] = (struct e820_entry){
			.addr = addr, .size = size, .type = type
		};
	}
	table->entries[table->nr++] =
		(struct e820_entry){ .addr = addr, .size = size, .type = type };
	return 0;
}

static void put_entry(uint8_t *p, const struct e820_entry *e)
{
	le_put(p, e->addr, 8);
	le_put(p + 8, e->size, 8);
	le_put(p + 16, e->type, 4);
}

size_t e820_serialize_file(const struct e820_table *table, uint8_t *buf,
			   size_t cap)
{
	size_t need = table->nr * E820_ENTRY_SIZE;

	if (buf && cap >= need) {
		for (size_t i = 0; i < table->nr; i++)
			put_entry(buf + i * E820_ENTRY_SIZE,
				  &table->entries[i]);
	}
	return need;
}

size_t e820_serialize_legacy(const struct e820_table *table, uint8_t *buf,
			     size_t cap)
{
	if (buf && cap >= E820_LEGACY_SIZE) {
		memset(buf, 0, E820_LEGACY_SIZE);
		le_put(buf, table->nr_legacy, 4);
		for (size_t i = 0; i < table->nr_legacy; i++)
			put_entry(buf + 4 + i * E820_ENTRY_SIZE,
				  &table->legacy[i]);
	}
	return E820_LEGACY_SIZE;
}

void e820_format_size(uint64_t size, char *buf, size_t cap)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned u = 0;

	if (size == 0 || (size & 0x3ff)) {
		snprintf(buf, cap, "0x%" PRIx64 " bytes", size);
		return;
	}
	size >>= 10;
	while (u + 1 < sizeof(units) / sizeof(units[0]) && !(size & 0x3ff)) {
		size >>= 10;
		u++;
	}
	snprintf(buf, cap, "%" PRIu64 " %s", size, units[u]);
}

size_t e820_format(const struct e820_table *table, char *buf, size_t cap)
{
	size_t len = 0;

	if (cap)
		buf[0] = '\0';
	for (size_t i = 0; i < table->nr; i++) {
		const struct e820_entry *e = &table->entries[i];
		char size[32];

		e820_format_size(e->size, size, sizeof(size));
		strbuf_appendf(buf, cap, &len,
			"%3zu: 0x%016" PRIx64 "-0x%016" PRIx64 " %-8s %s\n", i,
			e->addr, e820_last(e), e820_type_name(e->type), size);
	}
	return len;
}
