// SPDX-License-Identifier: MIT
#include "acpi_loader.h"

#include <string.h>

#include "log.h"

enum {
	LOADER_ALLOCATE = 1,
	LOADER_ADD_POINTER = 2,
	LOADER_ADD_CHECKSUM = 3,
	LOADER_ZONE_HIGH = 1,
	LOADER_ZONE_FSEG = 2,
};

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The file a NUL-terminated (within 56 bytes) name refers to. */
static struct acpi_loader_file *find(struct acpi_loader_file *files, size_t n,
				     const uint8_t *name, size_t entry)
{
	if (!memchr(name, 0, ACPI_LOADER_NAME_MAX)) {
		err_set("ACPI loader entry %zu: file name not terminated", entry);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(files[i].name, (const char *)name))
			return &files[i];
	err_set("ACPI loader entry %zu: unknown file '%s'", entry,
		(const char *)name);
	return NULL;
}

/* Host pointer to [off, off + len) of an allocated file, or NULL. */
static uint8_t *file_bytes(struct guest_mem *mem,
			   const struct acpi_loader_file *f, uint64_t off,
			   uint64_t len, size_t entry)
{
	uint8_t *p;

	if (!f->gpa || off > f->len || len > f->len - off) {
		err_set("ACPI loader entry %zu: range 0x%llx+0x%llx outside %s (%u bytes%s)",
			entry, (unsigned long long)off, (unsigned long long)len,
			f->name, f->len, f->gpa ? "" : ", not allocated");
		return NULL;
	}
	p = gpa_to_hva(mem, f->gpa, f->len ? f->len : 1);
	if (!p)
		err_set("ACPI loader entry %zu: %s is not in RAM", entry,
			f->name);
	return p ? p + off : NULL;
}

static int allocate(struct guest_mem *mem, const uint8_t *e,
		    struct acpi_loader_file *f, struct acpi_loader_zone *high,
		    struct acpi_loader_zone *fseg, size_t entry)
{
	uint32_t align = (uint32_t)get_le(e + 4 + 56, 4);
	uint8_t zone_id = e[4 + 60];
	struct acpi_loader_zone *z = zone_id == LOADER_ZONE_FSEG ? fseg : high;
	uint64_t at;

	if (zone_id != LOADER_ZONE_HIGH && zone_id != LOADER_ZONE_FSEG)
		return err_set("ACPI loader entry %zu: unknown zone %u", entry,
			       zone_id);
	if (align == 0 || (align & (align - 1)) || align > 0x10000)
		return err_set("ACPI loader entry %zu: bad alignment %u", entry,
			       align);
	if (f->gpa)
		return err_set("ACPI loader entry %zu: %s allocated twice",
			       entry, f->name);
	at = (z->base + z->used + align - 1) & ~(uint64_t)(align - 1);
	if (at - z->base > z->size || f->len > z->size - (at - z->base))
		return err_set("ACPI loader entry %zu: %s (%u bytes) does not fit in its zone",
			       entry, f->name, f->len);
	if (copy_to_guest(mem, at, f->data, f->len) < 0)
		return err_set("ACPI loader entry %zu: zone at 0x%llx is not RAM",
			       entry, (unsigned long long)at);
	f->gpa = at;
	z->used = at - z->base + f->len;
	return 0;
}

int acpi_loader_run(struct guest_mem *mem, const uint8_t *script, size_t len,
		    struct acpi_loader_file *files, size_t nr_files,
		    struct acpi_loader_zone *high, struct acpi_loader_zone *fseg)
{
	if (len % ACPI_LOADER_ENTRY_SIZE)
		return err_set("ACPI loader script of %zu bytes is not whole entries",
			       len);
	for (size_t i = 0; i < nr_files; i++)
		files[i].gpa = 0;
	/* The loop is bounded by the script's length. */
	for (size_t n = 0; n < len / ACPI_LOADER_ENTRY_SIZE; n++) {
		const uint8_t *e = script + n * ACPI_LOADER_ENTRY_SIZE;
		uint32_t cmd = (uint32_t)get_le(e, 4);
		struct acpi_loader_file *a, *b;

		switch (cmd) {
		case 0: /* unused entry */
			break;
		case LOADER_ALLOCATE:
			a = find(files, nr_files, e + 4, n);
			if (!a || allocate(mem, e, a, high, fseg, n) < 0)
				return -1;
			break;
		case LOADER_ADD_POINTER: {
			uint32_t off = (uint32_t)get_le(e + 4 + 112, 4);
			uint8_t size = e[4 + 116];
			uint8_t *p;

			a = find(files, nr_files, e + 4, n);
			b = a ? find(files, nr_files, e + 4 + 56, n) : NULL;
			if (!b)
				return -1;
			if (size != 1 && size != 2 && size != 4 && size != 8)
				return err_set("ACPI loader entry %zu: pointer size %u",
					       n, size);
			if (!b->gpa)
				return err_set("ACPI loader entry %zu: %s not allocated",
					       n, b->name);
			p = file_bytes(mem, a, off, size, n);
			if (!p)
				return -1;
			put_le(p, get_le(p, size) + b->gpa, size);
			break;
		}
		case LOADER_ADD_CHECKSUM: {
			uint32_t off = (uint32_t)get_le(e + 4 + 56, 4);
			uint32_t start = (uint32_t)get_le(e + 4 + 60, 4);
			uint32_t clen = (uint32_t)get_le(e + 4 + 64, 4);
			uint8_t *sum, *range, total = 0;

			a = find(files, nr_files, e + 4, n);
			if (!a)
				return -1;
			sum = file_bytes(mem, a, off, 1, n);
			range = sum ? file_bytes(mem, a, start, clen, n) : NULL;
			if (!range)
				return -1;
			for (uint32_t i = 0; i < clen; i++)
				total = (uint8_t)(total + range[i]);
			*sum = (uint8_t)(*sum - total);
			break;
		}
		default:
			return err_set("ACPI loader entry %zu: unsupported command %u",
				       n, cmd);
		}
	}
	return 0;
}
