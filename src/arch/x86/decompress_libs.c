// SPDX-License-Identifier: MIT
/*
 * The decoders behind decompress(): liblzma, zlib and libzstd, each opened
 * with dlopen() the first time it is needed.  Built when their headers
 * are installed (liblzma-dev, zlib1g-dev, libzstd-dev); otherwise the
 * Makefile takes decompress_nolibs.c instead.
 */
#include "decompress.h"

#include <dlfcn.h>
#include <lzma.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "log.h"

/*
 * A library opened on first use.  Its functions are looked up into fn[] in
 * the order of names[] and called through typed casts.  state: 0 untried,
 * 1 ready, -1 unavailable (remembered, so a missing library is tried once).
 */
struct lib {
	const char *soname;
	const char *const names[4];
	int state;
	void *fn[4];
};

static int lib_load(struct lib *l)
{
	void *h;
	size_t i;

	if (l->state == 0) {
		l->state = -1;
		h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			log_debug("dlopen %s: %s", l->soname, dlerror());
			return err_set("%s is not available", l->soname);
		}
		for (i = 0; i < 4 && l->names[i]; i++) {
			l->fn[i] = dlsym(h, l->names[i]);
			if (!l->fn[i]) {
				dlclose(h);
				return err_set("%s has no %s", l->soname,
					       l->names[i]);
			}
		}
		l->state = 1;
	}
	return l->state > 0 ? 0 : err_set("%s is not available", l->soname);
}

#define CALL(l, i, f) ((__typeof__(f) *)(l).fn[i])

/* ---- xz and lzma: liblzma ---- */

static struct lib xz = {
	.soname = "liblzma.so.5",
	.names = { "lzma_stream_decoder", "lzma_alone_decoder", "lzma_code",
		   "lzma_end" },
};

static int xz_decode(bool alone, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lib_load(&xz) < 0)
		return -1;
	r = alone ? CALL(xz, 1, lzma_alone_decoder)(&s, UINT64_MAX) :
		    CALL(xz, 0, lzma_stream_decoder)(&s, UINT64_MAX, 0);
	if (r != LZMA_OK)
		return err_set("liblzma: cannot start a decoder (%d)", (int)r);
	s.next_in = in;
	s.avail_in = in_len;
	s.next_out = out;
	s.avail_out = out_len;
	do
		r = CALL(xz, 2, lzma_code)(&s, LZMA_FINISH);
	while (r == LZMA_OK);
	CALL(xz, 3, lzma_end)(&s);
	if (r != LZMA_STREAM_END)
		return err_set(r == LZMA_BUF_ERROR ?
				       "the data is truncated or larger than its recorded size" :
				       "corrupt data (liblzma error %d)",
			       (int)r);
	if (s.total_out != out_len)
		return err_set("%llu bytes, not the %zu recorded",
			       (unsigned long long)s.total_out, out_len);
	return 0;
}

/* ---- gzip: zlib ---- */

static struct lib gz = {
	.soname = "libz.so.1",
	.names = { "inflateInit2_", "inflate", "inflateEnd" },
};

static int gzip_decode(const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t out_len)
{
	z_stream s;
	int r;

	if (lib_load(&gz) < 0)
		return -1;
	if (in_len > UINT32_MAX || out_len > UINT32_MAX)
		return err_set("too large for zlib");
	memset(&s, 0, sizeof(s));
	/* 16 + 15: a gzip wrapper around a deflate stream, 32 KiB window. */
	if (CALL(gz, 0, inflateInit2_)(&s, 16 + 15, ZLIB_VERSION,
				       (int)sizeof(s)) != Z_OK)
		return err_set("zlib: cannot start a decoder");
	s.next_in = (Bytef *)(uintptr_t)in;
	s.avail_in = (uInt)in_len;
	s.next_out = out;
	s.avail_out = (uInt)out_len;
	r = CALL(gz, 1, inflate)(&s, Z_FINISH);
	CALL(gz, 2, inflateEnd)(&s);
	if (r != Z_STREAM_END)
		return err_set(r == Z_BUF_ERROR ?
				       "the data is truncated or larger than its recorded size" :
				       "corrupt data (zlib error %d)",
			       r);
	if (s.total_out != out_len)
		return err_set("%lu bytes, not the %zu recorded", s.total_out,
			       out_len);
	return 0;
}

/* ---- zstd: libzstd ---- */

static struct lib zs = {
	.soname = "libzstd.so.1",
	.names = { "ZSTD_findFrameCompressedSize", "ZSTD_decompress",
		   "ZSTD_isError", "ZSTD_getErrorName" },
};

static int zstd_decode(const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t out_len)
{
	size_t frame, n;

	if (lib_load(&zs) < 0)
		return -1;
	/* One frame; the kernel build appends its size after it. */
	frame = CALL(zs, 0, ZSTD_findFrameCompressedSize)(in, in_len);
	if (CALL(zs, 2, ZSTD_isError)(frame))
		return err_set("corrupt data (zstd: %s)",
			       CALL(zs, 3, ZSTD_getErrorName)(frame));
	n = CALL(zs, 1, ZSTD_decompress)(out, out_len, in, frame);
	if (CALL(zs, 2, ZSTD_isError)(n))
		return err_set("corrupt data (zstd: %s)",
			       CALL(zs, 3, ZSTD_getErrorName)(n));
	if (n != out_len)
		return err_set("%zu bytes, not the %zu recorded", n, out_len);
	return 0;
}

int decompress_lib(enum compression c, const uint8_t *in, size_t in_len,
		   uint8_t *out, size_t out_len)
{
	switch (c) {
	case COMP_XZ:
		return xz_decode(false, in, in_len, out, out_len);
	case COMP_LZMA:
		return xz_decode(true, in, in_len, out, out_len);
	case COMP_GZIP:
		return gzip_decode(in, in_len, out, out_len);
	case COMP_ZSTD:
		return zstd_decode(in, in_len, out, out_len);
	default:
		return err_set("%s is not decoded on the host",
			       decompress_name(c));
	}
}
