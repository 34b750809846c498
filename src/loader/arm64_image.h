/* SPDX-License-Identifier: MIT */
/*
 * The Linux arm64 Image header (Documentation/arch/arm64/booting.rst,
 * section 4, "Call the kernel image"): the first 64 bytes of an
 * uncompressed arm64 kernel.
 *
 *   0x00  u32 code0        executable code (or "MZ" for an EFI stub)
 *   0x04  u32 code1        executable code
 *   0x08  u64 text_offset  image load offset from a 2 MiB aligned base, LE
 *   0x10  u64 image_size   effective image size (incl. BSS), LE; 0 = old
 *   0x18  u64 flags        bit 0: endianness (1 = big), bits 1-2: page
 *                          size (0 unspecified, 1 4K, 2 16K, 3 64K), bit
 *                          3: physical placement (1 = anywhere in RAM)
 *   0x20  u64 res2, res3, res4
 *   0x38  u32 magic        0x644d5241, "ARM\x64"
 *   0x3c  u32 res5         offset to the PE header (EFI stub)
 *
 * Pure: no guest memory, no KVM, so every refusal is unit-tested.  The
 * machine reads the file, calls arm64_image_parse() and then
 * arm64_image_place() to learn where to copy it.
 */
#ifndef MINIVMM_LOADER_ARM64_IMAGE_H
#define MINIVMM_LOADER_ARM64_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets in the header. */
#define ARM64_IMAGE_CODE0 0x00
#define ARM64_IMAGE_CODE1 0x04
#define ARM64_IMAGE_TEXT_OFFSET 0x08
#define ARM64_IMAGE_IMAGE_SIZE 0x10
#define ARM64_IMAGE_FLAGS 0x18
#define ARM64_IMAGE_MAGIC_OFF 0x38
#define ARM64_IMAGE_HEADER_SIZE 64

#define ARM64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64", little-endian */

/* flags */
#define ARM64_IMAGE_FLAG_BE 0x1ull /* kernel is big-endian */
#define ARM64_IMAGE_FLAG_PAGE_SHIFT 1
#define ARM64_IMAGE_FLAG_PAGE_MASK 0x6ull
#define ARM64_IMAGE_FLAG_PHYS_ANY 0x8ull /* base anywhere in RAM */

/* The base the image sits text_offset above must be 2 MiB aligned. */
#define ARM64_IMAGE_ALIGN 0x200000ull
/* booting.rst: "Where image_size is zero, text_offset can be assumed to be
 * 0x80000" (kernels before v3.17). */
#define ARM64_IMAGE_OLD_TEXT_OFFSET 0x80000ull

struct arm64_image {
	uint64_t text_offset; /* 0x80000 already substituted for old kernels */
	uint64_t image_size; /* as in the header: 0 for an old kernel */
	uint64_t flags;
	uint32_t code0, code1;
	uint64_t file_size; /* bytes of the file (copied to guest memory) */
	/*
	 * Bytes of RAM the kernel needs from its load address: image_size,
	 * or the file size when the header says 0 (nothing better is known).
	 */
	uint64_t mem_size;
	unsigned page_size; /* 4096, 16384, 65536, or 0 (unspecified) */
	bool phys_anywhere; /* flags bit 3 */
	bool efi_stub; /* code0 starts with "MZ" (it also boots as Image) */
};

/*
 * Parse and validate the header of an image of `size` bytes read from the
 * file `name`.  Refuses (-1, err_msg() naming the file) an image shorter
 * than the header, a missing "ARM\x64" magic (with a hint when the file is
 * gzip-compressed, an EFI zboot image or an ELF vmlinux), a big-endian
 * kernel, a file larger than its own image_size (not a plain Image), and a
 * text_offset that is not a 4 KiB multiple below 2 MiB (every kernel's is:
 * 0x80000, 0, or a random page offset with RANDOMIZE_TEXT_OFFSET).
 */
int arm64_image_parse(const void *buf, size_t size, const char *name,
		      struct arm64_image *out);

/*
 * Where the kernel goes in RAM [ram_base, ram_base + ram_size): the lowest
 * 2 MiB aligned address at or above ram_base, plus text_offset (booting.rst
 * recommends the start of RAM: kernels before v4.6 cannot use memory below
 * the image).  *load gets the address to copy the file to and enter at;
 * *end (may be NULL) gets load + mem_size, the first byte after what the
 * kernel uses, where the DTB and initrd may go.  -1 with err_msg() when
 * the kernel does not fit.
 */
int arm64_image_place(const struct arm64_image *img, uint64_t ram_base,
		      uint64_t ram_size, uint64_t *load, uint64_t *end);

#endif
