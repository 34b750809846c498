// SPDX-License-Identifier: MIT
#include "loader/bzimage.h"
#include "byteorder.h"

#include <string.h>

#include "log.h"

int bzimage_parse(const uint8_t *image, size_t len, const char *name,
		  struct bzimage_info *info)
{
	memset(info, 0, sizeof(*info));
	if (len < BZ_INIT_SIZE + 4)
		return err_set("%s: %zu bytes is too short for a Linux kernel (no boot protocol header)",
			       name, len);
	if (le_get(image + BZ_BOOT_FLAG, 2) != 0xaa55 ||
	    le_get(image + BZ_HEADER, 4) != BZ_HDRS_MAGIC)
		return err_set("%s: not a Linux bzImage (no 0xAA55 boot flag and \"HdrS\" header)",
			       name);
	info->version = (uint16_t)le_get(image + BZ_VERSION, 2);
	if (info->version < BZ_MIN_VERSION)
		return err_set("%s: boot protocol %u.%02u is too old (minivmm needs 2.06 or later)",
			       name, info->version >> 8, info->version & 0xff);
	info->header_end = 0x202 + image[0x201];
	info->setup_sects = image[BZ_SETUP_SECTS] ? image[BZ_SETUP_SECTS] : 4;
	info->loadflags = image[BZ_LOADFLAGS];
	info->xloadflags = (uint16_t)le_get(image + BZ_XLOADFLAGS, 2);
	info->code32_start = le_get(image + BZ_CODE32_START, 4);
	info->initrd_addr_max = le_get(image + BZ_INITRD_ADDR_MAX, 4);
	info->kernel_alignment = le_get(image + BZ_KERNEL_ALIGNMENT, 4);
	info->relocatable = image[BZ_RELOCATABLE] != 0;
	info->cmdline_size = le_get(image + BZ_CMDLINE_SIZE, 4);
	/* pref_address and init_size arrived with protocol 2.10. */
	if (info->version >= 0x020a && info->header_end >= BZ_INIT_SIZE + 4) {
		info->pref_address = (uint64_t)le_get(image + BZ_PREF_ADDRESS, 4) |
				     (uint64_t)le_get(image + BZ_PREF_ADDRESS + 4, 4)
					     << 32;
		info->init_size = le_get(image + BZ_INIT_SIZE, 4);
	}
	/* The 64-bit entry is documented from 2.12 (xloadflags). */
	info->has_64bit_entry = info->version >= 0x020c &&
				(info->xloadflags & BZ_XLF_KERNEL_64);

	if (!(info->loadflags & BZ_LOADED_HIGH))
		return err_set("%s: a zImage loaded low (below 1 MiB) is not supported; use a bzImage",
			       name);
	if (info->header_end > 0x280 || info->header_end < BZ_CMDLINE_SIZE + 4)
		return err_set("%s: setup header length %zu is implausible", name,
			       info->header_end);
	info->setup_size = (uint64_t)(info->setup_sects + 1) * 512;
	if (info->setup_size >= len)
		return err_set("%s: truncated: %u setup sectors but only %zu bytes",
			       name, info->setup_sects, len);
	info->kernel_size = len - info->setup_size;
	if (info->init_size && info->init_size < info->kernel_size)
		return err_set("%s: init_size 0x%x is smaller than the kernel (0x%llx bytes)",
			       name, info->init_size,
			       (unsigned long long)info->kernel_size);
	if (info->version >= 0x0208 && info->header_end >= BZ_PAYLOAD_LENGTH + 4) {
		uint64_t off = le_get(image + BZ_PAYLOAD_OFFSET, 4);
		uint64_t plen = le_get(image + BZ_PAYLOAD_LENGTH, 4);

		if (plen && off + plen <= info->kernel_size) {
			info->payload_offset = (uint32_t)off;
			info->payload_length = (uint32_t)plen;
		}
	}
	if (info->cmdline_size == 0)
		return err_set("%s: header says the kernel takes no command line",
			       name);
	return 0;
}
