// SPDX-License-Identifier: MIT
/*
 * The fw_cfg table-loader script (QEMU's etc/table-loader format, QEMU
 * hw/acpi/bios-linker-loader.c): writing its ALLOCATE, ADD_POINTER and
 * ADD_CHECKSUM commands, and running them on the host the way SeaBIOS's
 * src/fw/romfile_loader.c does, for boots without firmware and for the
 * tests.
 */
#include "acpi.h"
#include "acpi_loader.h"
#include "byteorder.h"

#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "layout.h"
#include "log.h"

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return sum;
}

/* ------------------------------------------------------------------------
 * Writing commands
 * ------------------------------------------------------------------------ */

static void put_name(uint8_t *field, const char *name)
{
	size_t n = strlen(name);

	assert(n < ACPI_LOADER_FILESZ);
	memcpy(field, name, n);
}

static void loader_emit(struct abuf *cmds, const uint8_t *e)
{
	abuf_put(cmds, e, ACPI_LOADER_ENTRY_SIZE);
}

void acpi_loader_allocate(struct abuf *cmds, const char *file, uint32_t align,
			  uint8_t zone)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = { 0 };

	le_put(e, ACPI_LOADER_ALLOCATE, 4);
	put_name(e + 4, file);
	le_put(e + ACPI_LOADER_ALLOC_ALIGN_OFF, align, 4);
	e[ACPI_LOADER_ALLOC_ZONE_OFF] = zone;
	loader_emit(cmds, e);
}

void acpi_loader_add_pointer(struct abuf *cmds, const char *dest,
			     const char *src, size_t offset, uint8_t size)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = { 0 };

	le_put(e, ACPI_LOADER_ADD_POINTER, 4);
	put_name(e + 4, dest);
	put_name(e + ACPI_LOADER_PTR_SRC_OFF, src);
	le_put(e + ACPI_LOADER_PTR_OFFSET_OFF, offset, 4);
	e[ACPI_LOADER_PTR_SIZE_OFF] = size;
	loader_emit(cmds, e);
}

void acpi_loader_add_checksum(struct abuf *cmds, const char *file,
			      size_t offset, size_t start, size_t len)
{
	uint8_t e[ACPI_LOADER_ENTRY_SIZE] = { 0 };

	le_put(e, ACPI_LOADER_ADD_CHECKSUM, 4);
	put_name(e + 4, file);
	le_put(e + ACPI_LOADER_CKSUM_OFFSET_OFF, offset, 4);
	le_put(e + ACPI_LOADER_CKSUM_START_OFF, start, 4);
	le_put(e + ACPI_LOADER_CKSUM_LEN_OFF, len, 4);
	loader_emit(cmds, e);
}

/* ------------------------------------------------------------------------
 * Host-side loader: what SeaBIOS's romfile_loader_execute() does
 * ------------------------------------------------------------------------ */

struct lfile {
	const char *name;
	uint8_t *data;
	uint32_t size;
	uint64_t gpa;
	bool placed;
};

static struct lfile *lfile_find(struct lfile *files, size_t n,
				const uint8_t *field)
{
	if (!memchr(field, 0, ACPI_LOADER_FILESZ))
		return NULL; /* unterminated name */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(files[i].name, (const char *)field))
			return &files[i];
	return NULL;
}

/* ALLOCATE: the caller's placement must honour alignment and zone. */
static int loader_allocate_check(struct lfile *f, const uint8_t *e)
{
	uint32_t align = (uint32_t)le_get(e + ACPI_LOADER_ALLOC_ALIGN_OFF, 4);
	uint8_t zone = e[ACPI_LOADER_ALLOC_ZONE_OFF];
	uint64_t end = f->gpa + f->size;
	bool in_zone = zone == ACPI_LOADER_ZONE_FSEG ?
			       f->gpa >= 0xe0000 && end <= PC_ISA_BIOS_END :
			       zone == ACPI_LOADER_ZONE_HIGH && end <= X86_4G;

	if (!align || (align & (align - 1)) || f->gpa % align)
		return err_set("acpi loader: %s at 0x%llx: alignment %u",
			       f->name, (unsigned long long)f->gpa, align);
	if (!in_zone)
		return err_set("acpi loader: %s at 0x%llx is outside zone %u",
			       f->name, (unsigned long long)f->gpa, zone);
	f->placed = true;
	return 0;
}

/* ADD_POINTER: add the address of src to the field in f. */
static int loader_pointer(struct lfile *f, struct lfile *src,
			  const uint8_t *e, size_t idx)
{
	uint32_t off = (uint32_t)le_get(e + ACPI_LOADER_PTR_OFFSET_OFF, 4);
	uint8_t size = e[ACPI_LOADER_PTR_SIZE_OFF];
	uint64_t v;

	if (!src || !f->placed || !src->placed)
		return err_set("acpi loader: pointer %zu: file not placed",
			       idx);
	if ((size != 1 && size != 2 && size != 4 && size != 8) ||
	    off > f->size || size > f->size - off)
		return err_set("acpi loader: pointer %zu (offset %u, size %u) outside %s",
			       idx, off, size, f->name);
	v = le_get(f->data + off, size) + src->gpa;
	if (size < 8 && v >> (8 * size))
		return err_set("acpi loader: pointer %zu overflows %u bytes",
			       idx, size);
	le_put(f->data + off, v, size);
	return 0;
}

/* ADD_CHECKSUM: make [start, start + len) sum to 0 through byte off. */
static int loader_checksum(struct lfile *f, const uint8_t *e, size_t idx)
{
	uint32_t off = (uint32_t)le_get(e + ACPI_LOADER_CKSUM_OFFSET_OFF, 4);
	uint32_t start = (uint32_t)le_get(e + ACPI_LOADER_CKSUM_START_OFF, 4);
	uint32_t len = (uint32_t)le_get(e + ACPI_LOADER_CKSUM_LEN_OFF, 4);
	uint8_t sum;

	if (!f->placed || off >= f->size || start > f->size ||
	    len > f->size - start)
		return err_set("acpi loader: checksum %zu outside %s", idx,
			       f->name);
	sum = acpi_checksum(f->data + start, len);
	f->data[off] = (uint8_t)(f->data[off] - sum);
	return 0;
}

static int loader_one(struct lfile *files, size_t nfiles, const uint8_t *e,
		      size_t idx)
{
	uint32_t cmd = (uint32_t)le_get(e, 4);
	struct lfile *f = lfile_find(files, nfiles, e + 4), *src;

	if (cmd == 0)
		return 0; /* padding */
	if (!f)
		return err_set("acpi loader: command %zu: unknown file", idx);
	switch (cmd) {
	case ACPI_LOADER_ALLOCATE:
		return loader_allocate_check(f, e);
	case ACPI_LOADER_ADD_POINTER:
		src = lfile_find(files, nfiles, e + ACPI_LOADER_PTR_SRC_OFF);
		return loader_pointer(f, src, e, idx);
	case ACPI_LOADER_ADD_CHECKSUM:
		return loader_checksum(f, e, idx);
	default:
		return err_set("acpi loader: command %zu: unknown command %u",
			       idx, cmd);
	}
}

int acpi_loader_execute(const struct acpi_tables *t, uint64_t tables_gpa,
			uint64_t rsdp_gpa, uint8_t *tables_out,
			uint8_t *rsdp_out)
{
	struct lfile files[] = {
		{ ACPI_TABLES_FILE, tables_out, t->tables_size, tables_gpa,
		  false },
		{ ACPI_RSDP_FILE, rsdp_out, ACPI_RSDP_SIZE, rsdp_gpa, false },
	};

	if (!t->tables || !t->loader ||
	    t->loader_size % ACPI_LOADER_ENTRY_SIZE)
		return err_set("acpi loader: no tables or a partial command");
	memcpy(tables_out, t->tables, t->tables_size);
	memcpy(rsdp_out, t->rsdp, ACPI_RSDP_SIZE);
	for (size_t i = 0; i < t->loader_size / ACPI_LOADER_ENTRY_SIZE; i++)
		if (loader_one(files, 2, t->loader + i * ACPI_LOADER_ENTRY_SIZE,
			       i) < 0)
			return -1;
	return 0;
}

