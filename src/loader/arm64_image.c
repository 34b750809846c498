// SPDX-License-Identifier: MIT
/*
 * arm64 Image header and placement, following Documentation/arch/arm64/
 * booting.rst, section 4 ("Call the kernel image"): header layout, the
 * image_size == 0 rule for kernels before v3.17, the 2 MiB aligned base.
 */
#include "loader/arm64_image.h"
#include "byteorder.h"

#include <string.h>

#include "log.h"

/* Hints for files that are a kernel, just not an Image. */
static const char *not_an_image_hint(const uint8_t *p, size_t size)
{
	if (size >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return " (it is gzip-compressed: gunzip it to get the Image)";
	/* EFI zboot: an "MZ" PE stub with "zimg" at offset 4. */
	if (size >= 8 && !memcmp(p, "MZ", 2) && !memcmp(p + 4, "zimg", 4))
		return " (it is an EFI zboot image: extract the compressed Image)";
	if (size >= 4 && !memcmp(p, "\x7f" "ELF", 4))
		return " (it is an ELF file: use the Image from arch/arm64/boot)";
	return "";
}

int arm64_image_parse(const void *buf, size_t size, const char *name,
		      struct arm64_image *out)
{
	const uint8_t *p = buf;
	uint64_t page;

	memset(out, 0, sizeof(*out));
	if (size < ARM64_IMAGE_HEADER_SIZE)
		return err_set("%s: %zu bytes is too short for an arm64 Linux Image (the header alone is %d)",
			       name, size, ARM64_IMAGE_HEADER_SIZE);
	if (le_get(p + ARM64_IMAGE_MAGIC_OFF, 4) != ARM64_IMAGE_MAGIC)
		return err_set("%s: not an arm64 Linux Image (no \"ARM\\x64\" magic at 0x38)%s",
			       name, not_an_image_hint(p, size));
	out->code0 = (uint32_t)le_get(p + ARM64_IMAGE_CODE0, 4);
	out->code1 = (uint32_t)le_get(p + ARM64_IMAGE_CODE1, 4);
	out->text_offset = le_get(p + ARM64_IMAGE_TEXT_OFFSET, 8);
	out->image_size = le_get(p + ARM64_IMAGE_IMAGE_SIZE, 8);
	out->flags = le_get(p + ARM64_IMAGE_FLAGS, 8);
	out->file_size = size;
	out->efi_stub = !memcmp(p, "MZ", 2);

	if (out->image_size == 0) {
		/*
		 * Before v3.17 the header's fields were in the kernel's own
		 * byte order and flags did not exist; booting.rst: "Where
		 * image_size is zero, text_offset can be assumed to be
		 * 0x80000."  Such a kernel says nothing about its size
		 * beyond the file.
		 */
		out->text_offset = ARM64_IMAGE_OLD_TEXT_OFFSET;
		out->flags = 0;
		out->mem_size = size;
	} else {
		if (out->flags & ARM64_IMAGE_FLAG_BE)
			return err_set("%s: big-endian arm64 kernel (flags bit 0); minivmm runs little-endian guests only",
				       name);
		if (out->image_size < size)
			return err_set("%s: file is %zu bytes but its header says the kernel is 0x%llx bytes (image_size): not a plain Image",
				       name, size,
				       (unsigned long long)out->image_size);
		out->mem_size = out->image_size;
	}
	if (out->text_offset >= ARM64_IMAGE_ALIGN || out->text_offset % 4096)
		return err_set("%s: text_offset 0x%llx is not a 4 KiB multiple below 2 MiB",
			       name, (unsigned long long)out->text_offset);
	page = (out->flags & ARM64_IMAGE_FLAG_PAGE_MASK) >>
	       ARM64_IMAGE_FLAG_PAGE_SHIFT;
	out->page_size = page ? 1u << (10 + 2 * page) : 0; /* 4K, 16K, 64K */
	out->phys_anywhere = out->flags & ARM64_IMAGE_FLAG_PHYS_ANY;
	return 0;
}

int arm64_image_place(const struct arm64_image *img, uint64_t ram_base,
		      uint64_t ram_size, uint64_t *load, uint64_t *end)
{
	uint64_t ram_end = ram_base + ram_size, base, room;

	if (ram_end < ram_base || ram_size == 0)
		return err_set("arm64 Image: RAM range 0x%llx+0x%llx is invalid",
			       (unsigned long long)ram_base,
			       (unsigned long long)ram_size);
	/* Round up to 2 MiB, watching for the top of the address space. */
	base = (ram_base + (ARM64_IMAGE_ALIGN - 1)) & ~(ARM64_IMAGE_ALIGN - 1);
	room = base >= ram_base && base < ram_end ? ram_end - base : 0;
	if (room < img->text_offset || room - img->text_offset < img->mem_size)
		return err_set("arm64 Image: the kernel needs text_offset 0x%llx + 0x%llx bytes above a 2 MiB aligned base, but RAM 0x%llx-0x%llx has 0x%llx bytes above one",
			       (unsigned long long)img->text_offset,
			       (unsigned long long)img->mem_size,
			       (unsigned long long)ram_base,
			       (unsigned long long)ram_end,
			       (unsigned long long)room);
	*load = base + img->text_offset;
	if (end)
		*end = *load + img->mem_size;
	return 0;
}
