// SPDX-License-Identifier: MIT
/*
 * The byte buffer ACPI tables are built in, and the AML encoders
 * (ACPI 6.4 §20.2: names, integers, PkgLength objects; §19.6.35 EISAID).
 */
#include "acpi_aml.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

bool abuf_grow(struct abuf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (b->failed)
		return false;
	if (extra > ABUF_MAX - b->len) {
		b->failed = true;
		return false;
	}
	need = b->len + extra;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 512;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	memset(p + b->cap, 0, cap - b->cap);
	b->data = p;
	b->cap = cap;
	return true;
}

/* Append n bytes (zeros when src is NULL); returns where they went. */
size_t abuf_put(struct abuf *b, const void *src, size_t n)
{
	size_t off = b->len;

	if (!abuf_grow(b, n))
		return off;
	if (src)
		memcpy(b->data + off, src, n);
	else
		memset(b->data + off, 0, n);
	b->len += n;
	return off;
}

/* Append a little-endian integer of size bytes. */
size_t abuf_int(struct abuf *b, uint64_t v, unsigned size)
{
	uint8_t le[8];

	for (unsigned i = 0; i < size; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return abuf_put(b, le, size);
}

/* Overwrite size bytes at off with v, little-endian. */
void abuf_set(struct abuf *b, size_t off, uint64_t v, unsigned size)
{
	if (b->failed || off > b->len || size > b->len - off) {
		b->failed = true;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		b->data[off + i] = (uint8_t)(v >> (8 * i));
}

/* Insert n bytes at position at, moving what follows. */
void abuf_insert(struct abuf *b, size_t at, const uint8_t *src, size_t n)
{
	if (b->failed || at > b->len || !abuf_grow(b, n))
		return;
	memmove(b->data + at + n, b->data + at, b->len - at);
	memcpy(b->data + at, src, n);
	b->len += n;
}

/*
 * Names are given as their encoded bytes: a 4-character NameSeg padded with
 * '_' ("KBD_"), optionally after the root prefix '\\'.
 */
void aml_name(struct abuf *b, const char *name)
{
	abuf_put(b, name, strlen(name));
}

/* The shortest integer encoding (§20.2.3 ComputationalData). */
void aml_integer(struct abuf *b, uint64_t v)
{
	static const uint8_t prefix[] = { AML_BYTE, AML_WORD, AML_DWORD,
					  AML_QWORD };
	unsigned i = v <= 0xff ? 0 : v <= 0xffff ? 1 : v <= 0xffffffff ? 2 : 3;

	if (v <= 1) { /* ZeroOp, OneOp */
		abuf_int(b, v ? AML_ONE : AML_ZERO, 1);
		return;
	}
	abuf_int(b, prefix[i], 1);
	abuf_int(b, v, 1u << i);
}

/*
 * Opcodes with a PkgLength (Scope, Device, Buffer, Package): aml_open()
 * writes the opcode (and the name, for Scope and Device) and returns where
 * the PkgLength goes; aml_close() measures what was written since and
 * inserts the encoded length there.
 */
static size_t aml_open(struct abuf *b, const uint8_t *op, size_t oplen,
		       const char *name)
{
	size_t at;

	abuf_put(b, op, oplen);
	at = b->len;
	if (name)
		aml_name(b, name);
	return at;
}

size_t aml_scope_open(struct abuf *b, const char *name)
{
	static const uint8_t op[] = { AML_SCOPE };

	return aml_open(b, op, sizeof(op), name);
}

size_t aml_device_open(struct abuf *b, const char *name)
{
	static const uint8_t op[] = { AML_EXT, AML_EXT_DEVICE };

	return aml_open(b, op, sizeof(op), name);
}

size_t aml_package_open(struct abuf *b, uint8_t nr_elements)
{
	static const uint8_t op[] = { AML_PACKAGE };
	size_t at = aml_open(b, op, sizeof(op), NULL);

	abuf_int(b, nr_elements, 1); /* NumElements */
	return at;
}

size_t aml_buffer_open(struct abuf *b)
{
	static const uint8_t op[] = { AML_BUFFER };

	return aml_open(b, op, sizeof(op), NULL);
}

/*
 * PkgLength (§20.2.4) counts its own bytes: one byte up to 63, otherwise a
 * lead byte with the count of following bytes in bits 6-7 and the low
 * nibble of the length, then the rest of the length 8 bits at a time.
 */
void aml_close(struct abuf *b, size_t at)
{
	size_t body = b->len - at, n = 1, total = body + 1;
	uint8_t enc[4];

	if (b->failed)
		return;
	if (total > 0x3f)
		for (n = 2, total = body + n; total >> (4 + 8 * (n - 1));)
			total = body + ++n;
	if (n > 4) {
		b->failed = true; /* 2^28 bytes: not under ABUF_MAX */
		return;
	}
	enc[0] = n == 1 ? (uint8_t)total :
			  (uint8_t)(((n - 1) << 6) | (total & 0xf));
	for (size_t i = 1; i < n; i++)
		enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	abuf_insert(b, at, enc, n);
}

void aml_name_integer(struct abuf *b, const char *name, uint64_t v)
{
	abuf_int(b, AML_NAME, 1);
	aml_name(b, name);
	aml_integer(b, v);
}

void aml_name_string(struct abuf *b, const char *name, const char *s)
{
	abuf_int(b, AML_NAME, 1);
	aml_name(b, name);
	abuf_int(b, AML_STRING, 1);
	abuf_put(b, s, strlen(s) + 1);
}

/*
 * EISAID("PNP0303") (§19.6.35): three letters compressed to 5 bits each,
 * big-endian, then four hex digits; stored as a DWord.
 */
void aml_name_eisaid(struct abuf *b, const char *name, const char *id)
{
	uint8_t v[4];
	unsigned c1 = (unsigned)(id[0] - '@') & 0x1f;
	unsigned c2 = (unsigned)(id[1] - '@') & 0x1f;
	unsigned c3 = (unsigned)(id[2] - '@') & 0x1f;
	unsigned d[4];

	assert(strlen(id) == 7);
	for (int i = 0; i < 4; i++) {
		char c = id[3 + i];

		d[i] = (unsigned)(c <= '9' ? c - '0' : c - 'A' + 10) & 0xf;
	}
	v[0] = (uint8_t)((c1 << 2) | (c2 >> 3));
	v[1] = (uint8_t)(((c2 & 7) << 5) | c3);
	v[2] = (uint8_t)((d[0] << 4) | d[1]);
	v[3] = (uint8_t)((d[2] << 4) | d[3]);
	abuf_int(b, AML_NAME, 1);
	aml_name(b, name);
	abuf_int(b, AML_DWORD, 1);
	abuf_put(b, v, 4);
}

/* Name(_CRS, ResourceTemplate() { bytes }) */
void aml_name_crs(struct abuf *b, const uint8_t *res, size_t len)
{
	size_t at;

	abuf_int(b, AML_NAME, 1);
	aml_name(b, "_CRS");
	at = aml_buffer_open(b);
	aml_integer(b, len);
	abuf_put(b, res, len);
	aml_close(b, at);
}
