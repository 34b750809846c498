// SPDX-License-Identifier: MIT
/*
 * decompress_lib() for a build without the liblzma, zlib and libzstd
 * headers (the Makefile picks this file then): every bzImage decompresses
 * in the guest, and -v says why.
 */
#include "decompress.h"

#include "log.h"

int decompress_lib(enum compression c, const uint8_t *in, size_t in_len,
		   uint8_t *out, size_t out_len)
{
	(void)in;
	(void)in_len;
	(void)out;
	(void)out_len;
	return err_set("this minivmm was built without the headers of liblzma, zlib and libzstd (liblzma-dev, zlib1g-dev, libzstd-dev), so %s is not decoded on the host",
		       decompress_name(c));
}
