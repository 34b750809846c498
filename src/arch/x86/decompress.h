/* SPDX-License-Identifier: MIT */
/*
 * Decompressing a bzImage's kernel on the host.
 *
 * A bzImage carries the kernel proper (an ELF vmlinux) compressed, and a
 * small decompressor that unpacks it inside the guest before Linux starts.
 * Under nested virtualization that decompressor is one of the slowest parts
 * of a boot, so minivmm can do the work on the host instead (linux_boot.c).
 *
 * The formats are the ones the kernel build offers; each is decoded by the
 * system's own library, opened with dlopen() the first time it is needed,
 * so minivmm itself links against nothing but libc and a missing library
 * only means the guest decompresses as before:
 *
 *   xz     liblzma.so.5      (Debian's kernels)
 *   lzma   liblzma.so.5
 *   gzip   libz.so.1         (the kernel's default)
 *   zstd   libzstd.so.1
 *   bzip2, lzo, lz4          recognised, not decoded here
 */
#ifndef MINIVMM_X86_DECOMPRESS_H
#define MINIVMM_X86_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum compression {
	COMP_UNKNOWN = 0,
	COMP_GZIP,
	COMP_XZ,
	COMP_LZMA,
	COMP_ZSTD,
	COMP_BZIP2,
	COMP_LZO,
	COMP_LZ4,
};

/* The format of buf, from its magic bytes (COMP_UNKNOWN if none fits). */
enum compression decompress_detect(const uint8_t *buf, size_t len);

/* "gzip", "xz", ...; "unknown" for COMP_UNKNOWN. */
const char *decompress_name(enum compression c);

/*
 * Decode the single stream in[0, in_len) into out, which must come out at
 * exactly out_len bytes (bytes after the end of the stream are ignored).
 * -1 with err_msg() when the library is missing, the data is corrupt, or
 * the size differs.
 */
int decompress(enum compression c, const uint8_t *in, size_t in_len,
	       uint8_t *out, size_t out_len);

/*
 * The library decoders (xz, lzma, gzip, zstd) behind decompress():
 * decompress_libs.c, or decompress_nolibs.c in a build without their
 * headers, which refuses with the reason.
 */
int decompress_lib(enum compression c, const uint8_t *in, size_t in_len,
		   uint8_t *out, size_t out_len);

#endif
