// SPDX-License-Identifier: MIT
#include "decompress.h"

#include <string.h>

#include "log.h"

/* Magic numbers at the start of each format, as the kernel build emits it. */
static const struct {
	enum compression c;
	const char *name;
	uint8_t magic[6];
	size_t magic_len;
} formats[] = {
	{ COMP_GZIP, "gzip", { 0x1f, 0x8b }, 2 },
	{ COMP_XZ, "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6 },
	/* lzma "alone": properties byte 0x5d, then a little-endian dict size. */
	{ COMP_LZMA, "lzma", { 0x5d, 0x00, 0x00 }, 3 },
	{ COMP_ZSTD, "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	{ COMP_BZIP2, "bzip2", { 'B', 'Z', 'h' }, 3 },
	{ COMP_LZO, "lzo", { 0x89, 'L', 'Z', 'O' }, 4 },
	{ COMP_LZ4, "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4 }, /* legacy frame */
};

enum compression decompress_detect(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (len >= formats[i].magic_len &&
		    !memcmp(buf, formats[i].magic, formats[i].magic_len))
			return formats[i].c;
	return COMP_UNKNOWN;
}

const char *decompress_name(enum compression c)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].c == c)
			return formats[i].name;
	return "unknown";
}

int decompress(enum compression c, const uint8_t *in, size_t in_len,
	       uint8_t *out, size_t out_len)
{
	switch (c) {
	case COMP_XZ:
	case COMP_LZMA:
	case COMP_GZIP:
	case COMP_ZSTD:
		return decompress_lib(c, in, in_len, out, out_len);
	default:
		return err_set("%s is not decoded on the host",
			       decompress_name(c));
	}
}
