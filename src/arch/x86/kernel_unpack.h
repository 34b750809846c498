/* SPDX-License-Identifier: MIT */
/*
 * A bzImage's vmlinux, unpacked on the host (--decompress=host, the
 * default).
 *
 * From protocol 2.08 a bzImage says where its compressed kernel is
 * (payload_offset/payload_length); the kernel build appends the size of the
 * decompressed kernel as the payload's last four bytes (little-endian).
 * Decompressed, the payload is the ELF vmlinux the in-guest decompressor
 * would have produced.  linux_boot.c loads its segments at their physical
 * addresses and starts the vCPU at its ELF entry (startup_64) in long mode
 * with the zero page in RSI, the same state the decompressor hands over,
 * so Linux boots as it would have, minus the decompression.  Like any boot
 * that skips the decompressor (Firecracker's, PVH), the kernel runs at its
 * link address: no KASLR.
 *
 * The result is kept in the kernel cache (loader/kcache.h), keyed by a hash
 * of the payload, so later boots of the same kernel only map a file.
 */
#ifndef MINIVMM_X86_KERNEL_UNPACK_H
#define MINIVMM_X86_KERNEL_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decompress.h"
#include "loader/bzimage.h"
#include "loader/elf.h"

/* Decompressed kernels larger than this are not unpacked on the host. */
#define KERNEL_UNPACK_MAX (1ull << 30)

struct kernel_unpacked {
	const uint8_t *elf; /* the vmlinux, mapped */
	size_t len;
	struct elf_info info;
	enum compression format;
	bool from_cache;
	double ms; /* time taken to decompress (0 from the cache) */
};

/*
 * Unpack the payload of the bzImage image, already parsed into k (whose
 * payload fields bzimage_parse() has checked against the file).
 * cache_opt is --kernel-cache (NULL: the default directory).  -1 with
 * err_msg() saying why not; the caller then boots the bzImage as it is.
 */
int kernel_unpack(const uint8_t *image, const struct bzimage_info *k,
		  const char *cache_opt, struct kernel_unpacked *out);
void kernel_unpacked_free(struct kernel_unpacked *u);

#endif
