/* SPDX-License-Identifier: MIT */
/*
 * The Linux/x86 boot protocol's setup header (Documentation/arch/x86/
 * boot.rst): parsed and validated from the first bytes of a bzImage.
 * Pure: no guest memory, no KVM, so every refusal is unit-tested.
 */
#ifndef MINIVMM_LOADER_BZIMAGE_H
#define MINIVMM_LOADER_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets in the image (boot.rst, "The real-mode kernel header"). */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_BOOT_FLAG 0x1fe /* 0xaa55 */
#define BZ_JUMP 0x200
#define BZ_HEADER 0x202 /* "HdrS" */
#define BZ_VERSION 0x206
#define BZ_TYPE_OF_LOADER 0x210
#define BZ_LOADFLAGS 0x211
#define BZ_CODE32_START 0x214
#define BZ_RAMDISK_IMAGE 0x218
#define BZ_RAMDISK_SIZE 0x21c
#define BZ_HEAP_END_PTR 0x224
#define BZ_CMD_LINE_PTR 0x228
#define BZ_INITRD_ADDR_MAX 0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE 0x234
#define BZ_XLOADFLAGS 0x236
#define BZ_CMDLINE_SIZE 0x238
#define BZ_PAYLOAD_OFFSET 0x248
#define BZ_PAYLOAD_LENGTH 0x24c
#define BZ_PREF_ADDRESS 0x258
#define BZ_INIT_SIZE 0x260

#define BZ_HDRS_MAGIC 0x53726448u /* "HdrS" */
#define BZ_MIN_VERSION 0x0206 /* cmdline_size and a 64-bit-clean header */
#define BZ_LOADED_HIGH 0x01
#define BZ_CAN_USE_HEAP 0x80
#define BZ_XLF_KERNEL_64 0x0001
#define BZ_LOADER_UNDEFINED 0xff /* type_of_loader: "no assigned ID" */

struct bzimage_info {
	uint16_t version;
	uint8_t setup_sects; /* 0 already replaced by 4 */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t code32_start;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint32_t cmdline_size;
	uint32_t init_size; /* memory the kernel needs from its load address */
	uint64_t pref_address;
	bool relocatable;
	bool has_64bit_entry; /* XLF_KERNEL_64: enter at +0x200 in long mode */
	uint64_t setup_size; /* bytes of real-mode code before the kernel */
	uint64_t kernel_size; /* bytes of protected-mode kernel after them */
	size_t header_end; /* end of the setup header: 0x202 + byte at 0x201 */
	/*
	 * The compressed vmlinux inside the kernel part (protocol 2.08+),
	 * as an offset from the start of that part; 0/0 when absent or when
	 * the header's values do not lie inside the file.
	 */
	uint32_t payload_offset;
	uint32_t payload_length;
};

/*
 * Parse the header of an image of `len` bytes.  Refuses (-1, err_msg()) a
 * file too short to hold the header or the setup code, a missing boot flag
 * or "HdrS" magic, a protocol older than 2.06, a kernel that cannot be
 * loaded high, and a protected-mode part of zero bytes.
 */
int bzimage_parse(const uint8_t *image, size_t len, const char *name,
		  struct bzimage_info *info);

#endif
