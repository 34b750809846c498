/* SPDX-License-Identifier: MIT */
/*
 * Bytes for ACPI tables: a growable buffer and the AML encoders a DSDT is
 * written with (ACPI 6.4 chapter 20; resource descriptors chapter 6.4).
 *
 * struct abuf grows as it is written; the first failure (out of memory,
 * ABUF_MAX reached, a write outside it) sticks in `failed` and every later
 * write does nothing, so a builder checks once at the end.  Offsets it
 * returns are where the bytes went; they stay valid as the buffer grows
 * (the data pointer may move).
 *
 * AML objects with a PkgLength (Scope, Device, Package, Buffer) are
 * written open-then-close:
 *
 *	size_t dev = aml_device_open(b, "VR00");
 *	aml_name_string(b, "_HID", "LNRO0005");
 *	aml_name_integer(b, "_UID", 0);
 *	aml_name_crs(b, crs, sizeof(crs));
 *	aml_close(b, dev);
 *
 * aml_close() measures what was written since the open and inserts the
 * encoded length.  Names are their encoded bytes: a NameSeg of four
 * characters padded with '_' ("KBD_"), optionally after the root prefix
 * '\\' ("\\_SB_").  Pure computation, no globals.
 */
#ifndef MINIVMM_X86_ACPI_AML_H
#define MINIVMM_X86_ACPI_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the buffer ---- */

struct abuf {
	uint8_t *data; /* malloc'd; the owner frees it */
	size_t len, cap;
	bool failed;
};

/* Far beyond any table set we build; keeps every offset a valid u32. */
#define ABUF_MAX (16u << 20)

/* Room for extra more bytes; what it adds beyond len is zeroed. */
bool abuf_grow(struct abuf *b, size_t extra);
/* Append n bytes (zeros when src is NULL); returns where they went. */
size_t abuf_put(struct abuf *b, const void *src, size_t n);
/* Append a little-endian integer of size (1-8) bytes; returns its offset. */
size_t abuf_int(struct abuf *b, uint64_t v, unsigned size);
/* Overwrite size bytes at off with v, little-endian (inside len only). */
void abuf_set(struct abuf *b, size_t off, uint64_t v, unsigned size);
/* Insert n bytes at position at, moving what follows. */
void abuf_insert(struct abuf *b, size_t at, const uint8_t *src, size_t n);

/* ---- AML (§20.2) ---- */

#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_STRING 0x0d
#define AML_QWORD 0x0e
#define AML_SCOPE 0x10
#define AML_BUFFER 0x11
#define AML_PACKAGE 0x12
#define AML_EXT 0x5b
#define AML_EXT_DEVICE 0x82

/* A name's encoded bytes, as they are (see above). */
void aml_name(struct abuf *b, const char *name);
/* An integer in its shortest encoding (ZeroOp, OneOp, Byte ... QWord). */
void aml_integer(struct abuf *b, uint64_t v);

/*
 * Open an object with a PkgLength; the return value goes to aml_close().
 * Scope(name) and Device(name) write the name; Package writes NumElements
 * (the caller then writes that many elements); Buffer leaves BufferSize
 * and the bytes to the caller.
 */
size_t aml_scope_open(struct abuf *b, const char *name);
size_t aml_device_open(struct abuf *b, const char *name);
size_t aml_package_open(struct abuf *b, uint8_t nr_elements);
size_t aml_buffer_open(struct abuf *b);
/*
 * Insert the PkgLength (§20.2.4) of what was written since the open: one
 * byte up to 63 bytes, else a lead byte and up to three more.
 */
void aml_close(struct abuf *b, size_t at);

/* Name(name, v) */
void aml_name_integer(struct abuf *b, const char *name, uint64_t v);
/* Name(name, "s") */
void aml_name_string(struct abuf *b, const char *name, const char *s);
/* Name(name, EISAID("PNP0303")): id is three letters and four hex digits. */
void aml_name_eisaid(struct abuf *b, const char *name, const char *id);
/* Name(_CRS, ResourceTemplate() { res }): res ends with RES_END. */
void aml_name_crs(struct abuf *b, const uint8_t *res, size_t len);

/* ---- resource descriptors (§6.4.2), for aml_name_crs() ---- */

/* I/O port descriptor, 16-bit decode: len ports at the fixed port. */
#define RES_IO(port, len)                                              \
	0x47, 0x01, (port)&0xff, (port) >> 8, (port)&0xff, (port) >> 8, \
		0x01, (len)
/* IRQ descriptor without the flags byte: edge, active high, ISA 0-15. */
#define RES_IRQ_NOFLAGS(irq) 0x22, (1u << (irq)) & 0xff, (1u << (irq)) >> 8
/* End tag; checksum 0 means "treat as valid". */
#define RES_END 0x79, 0x00

#endif
