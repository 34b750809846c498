// SPDX-License-Identifier: MIT
#include "decompress.h"

#include <dlfcn.h>
#include <lzma.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

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

/*
 * dlopen() LIB once and look up nr symbols into fns (in order).  The
 * outcome, good or bad, is remembered in *state (0 untried, 1 ready,
 * -1 unavailable) so a missing library is reported the same way each time.
 */
static int open_lib(int *state, const char *lib, const char *const *names,
		    void **fns, size_t nr)
{
	void *h;

	if (*state == 0) {
		*state = -1;
		h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			log_debug("dlopen %s: %s", lib, dlerror());
			return err_set("%s is not available", lib);
		}
		for (size_t i = 0; i < nr; i++) {
			fns[i] = dlsym(h, names[i]);
			if (!fns[i]) {
				dlclose(h);
				return err_set("%s has no %s", lib, names[i]);
			}
		}
		*state = 1;
	}
	return *state > 0 ? 0 : err_set("%s is not available", lib);
}

/* ---- xz and lzma: liblzma ---- */

static struct {
	int state;
	__typeof__(lzma_stream_decoder) *stream_decoder;
	__typeof__(lzma_alone_decoder) *alone_decoder;
	__typeof__(lzma_code) *code;
	__typeof__(lzma_end) *end;
} xz;

static int xz_decode(bool alone, const uint8_t *in, size_t in_len,
		     uint8_t *out, size_t out_len)
{
	static const char *const names[] = { "lzma_stream_decoder",
					     "lzma_alone_decoder", "lzma_code",
					     "lzma_end" };
	void *fns[4];
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (xz.state == 0 &&
	    open_lib(&xz.state, "liblzma.so.5", names, fns, 4) == 0) {
		xz.stream_decoder = (__typeof__(xz.stream_decoder))fns[0];
		xz.alone_decoder = (__typeof__(xz.alone_decoder))fns[1];
		xz.code = (__typeof__(xz.code))fns[2];
		xz.end = (__typeof__(xz.end))fns[3];
	}
	if (xz.state < 0)
		return err_set("liblzma.so.5 is not available");
	r = alone ? xz.alone_decoder(&s, UINT64_MAX) :
		    xz.stream_decoder(&s, UINT64_MAX, 0);
	if (r != LZMA_OK)
		return err_set("liblzma: cannot start a decoder (%d)", (int)r);
	s.next_in = in;
	s.avail_in = in_len;
	s.next_out = out;
	s.avail_out = out_len;
	do
		r = xz.code(&s, LZMA_FINISH);
	while (r == LZMA_OK);
	xz.end(&s);
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

static struct {
	int state;
	__typeof__(inflateInit2_) *init;
	__typeof__(inflate) *inflate;
	__typeof__(inflateEnd) *end;
} gz;

static int gzip_decode(const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t out_len)
{
	static const char *const names[] = { "inflateInit2_", "inflate",
					     "inflateEnd" };
	void *fns[3];
	z_stream s;
	int r;

	if (gz.state == 0 && open_lib(&gz.state, "libz.so.1", names, fns, 3) == 0) {
		gz.init = (__typeof__(gz.init))fns[0];
		gz.inflate = (__typeof__(gz.inflate))fns[1];
		gz.end = (__typeof__(gz.end))fns[2];
	}
	if (gz.state < 0)
		return err_set("libz.so.1 is not available");
	if (in_len > UINT32_MAX || out_len > UINT32_MAX)
		return err_set("too large for zlib");
	memset(&s, 0, sizeof(s));
	/* 16 + 15: a gzip wrapper around a deflate stream, 32 KiB window. */
	if (gz.init(&s, 16 + 15, ZLIB_VERSION, (int)sizeof(s)) != Z_OK)
		return err_set("zlib: cannot start a decoder");
	s.next_in = (Bytef *)(uintptr_t)in;
	s.avail_in = (uInt)in_len;
	s.next_out = out;
	s.avail_out = (uInt)out_len;
	r = gz.inflate(&s, Z_FINISH);
	gz.end(&s);
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

static struct {
	int state;
	__typeof__(ZSTD_findFrameCompressedSize) *frame_size;
	__typeof__(ZSTD_decompress) *decompress;
	__typeof__(ZSTD_isError) *is_error;
	__typeof__(ZSTD_getErrorName) *error_name;
} zs;

static int zstd_decode(const uint8_t *in, size_t in_len, uint8_t *out,
		       size_t out_len)
{
	static const char *const names[] = { "ZSTD_findFrameCompressedSize",
					     "ZSTD_decompress", "ZSTD_isError",
					     "ZSTD_getErrorName" };
	void *fns[4];
	size_t frame, n;

	if (zs.state == 0 &&
	    open_lib(&zs.state, "libzstd.so.1", names, fns, 4) == 0) {
		zs.frame_size = (__typeof__(zs.frame_size))fns[0];
		zs.decompress = (__typeof__(zs.decompress))fns[1];
		zs.is_error = (__typeof__(zs.is_error))fns[2];
		zs.error_name = (__typeof__(zs.error_name))fns[3];
	}
	if (zs.state < 0)
		return err_set("libzstd.so.1 is not available");
	/* One frame; the kernel build appends its size after it. */
	frame = zs.frame_size(in, in_len);
	if (zs.is_error(frame))
		return err_set("corrupt data (zstd: %s)", zs.error_name(frame));
	n = zs.decompress(out, out_len, in, frame);
	if (zs.is_error(n))
		return err_set("corrupt data (zstd: %s)", zs.error_name(n));
	if (n != out_len)
		return err_set("%zu bytes, not the %zu recorded", n, out_len);
	return 0;
}

int decompress(enum compression c, const uint8_t *in, size_t in_len,
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
