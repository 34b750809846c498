// SPDX-License-Identifier: MIT
#include "linux_boot.h"
#include "byteorder.h"

#include <stdlib.h>
#include <string.h>

#include "kernel_boot.h"
#include "kernel_unpack.h"
#include "layout.h"
#include "loader/bzimage.h"
#include "loader/elf.h"
#include "log.h"
#include "vm.h"
#include "x86.h"

/* struct boot_params offsets (Documentation/arch/x86/zero-page.rst). */
#define ZP_ACPI_RSDP_ADDR 0x070
#define ZP_EXT_RAMDISK_IMAGE 0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0
#define ZP_E820_MAX 128
#define ZP_SIZE 0x1000

/*
 * --decompress=host: put the bzImage's own vmlinux in place of the
 * bzImage (kernel_unpack.h) and set *entry to its 64-bit entry.  -1 when
 * that cannot be done (the reason goes to -v); the caller then loads the
 * bzImage itself, and its decompressor runs in the guest.
 */
static int unpack_vmlinux(struct vm *vm, const uint8_t *image,
			  const struct bzimage_info *k, uint64_t kernel_end,
			  uint64_t *entry)
{
	const char *name = vm->cfg->kernel;
	struct kernel_unpacked u;
	int r = -1;

	if (kernel_unpack(image, k, vm->cfg->kernel_cache, &u) < 0) {
		log_info("-kernel %s: decompressing in the guest: %s", name,
			 err_msg());
		return -1;
	}
	if (u.info.load_start < LINUX_KERNEL_ADDR ||
	    u.info.load_end > kernel_end) {
		log_info("-kernel %s: decompressing in the guest: the vmlinux (0x%llx-0x%llx) is outside 0x%llx-0x%llx",
			 name, (unsigned long long)u.info.load_start,
			 (unsigned long long)u.info.load_end,
			 (unsigned long long)LINUX_KERNEL_ADDR,
			 (unsigned long long)kernel_end);
	} else if (kernel_boot_load_elf(vm, name, &u.info, u.elf) == 0) {
		*entry = u.info.e_entry;
		vm->boot.load_addr = u.info.load_start;
		vm->boot.image_size = u.info.load_end - u.info.load_start;
		if (u.from_cache)
			log_info("-kernel %s: %s vmlinux (%zu bytes) from the kernel cache",
				 name, decompress_name(u.format), u.len);
		else
			log_info("-kernel %s: %s vmlinux (%zu bytes) decompressed on the host in %.0f ms",
				 name, decompress_name(u.format), u.len, u.ms);
		r = 0;
	}
	kernel_unpacked_free(&u);
	return r;
}

int linux_boot_bzimage(struct vm *vm, const struct pc_memory_layout *layout,
		       const uint8_t *image, size_t len)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t gdt[4] = { 0, 0, GDT_CODE64, GDT_DATA };
	uint64_t need, runtime, kernel_end, low_end = layout->below_4g;
	struct kernel_boot_tables tables;
	struct kernel_boot_initrd initrd;
	struct bzimage_info k;
	struct e820_table *e820;
	uint8_t *zp;
	uint64_t entry;
	int r = -1, unpacked;

	e820 = calloc(1, sizeof(*e820));
	zp = calloc(1, ZP_SIZE);
	if (!e820 || !zp) {
		err_set("out of memory");
		goto out;
	}
	if (bzimage_parse(image, len, cfg->kernel, &k) < 0) {
		err_set("-kernel %s", err_msg());
		goto out;
	}

	/*
	 * boot.rst, init_size: the kernel needs init_size bytes from its
	 * runtime start, which for a relocatable kernel is the load address
	 * or pref_address, whichever is higher, aligned up to
	 * kernel_alignment; otherwise pref_address.  The initrd must stay
	 * clear of that range as well as of the loaded image.
	 */
	runtime = LINUX_KERNEL_ADDR;
	if (k.pref_address) {
		runtime = k.pref_address;
		if (k.relocatable && k.pref_address < LINUX_KERNEL_ADDR)
			runtime = LINUX_KERNEL_ADDR;
		if (k.relocatable && k.kernel_alignment &&
		    !(k.kernel_alignment & (k.kernel_alignment - 1)))
			runtime = (runtime + k.kernel_alignment - 1) &
				  ~((uint64_t)k.kernel_alignment - 1);
	}
	need = k.init_size > k.kernel_size ? k.init_size : k.kernel_size;
	kernel_end = runtime + need;
	if (kernel_end < LINUX_KERNEL_ADDR + k.kernel_size)
		kernel_end = LINUX_KERNEL_ADDR + k.kernel_size;
	if (kernel_end > low_end) {
		err_set("-kernel %s: needs RAM up to 0x%llx (0x%llx bytes from its runtime start 0x%llx) but RAM below 4 GiB ends at 0x%llx; give more memory",
			cfg->kernel, (unsigned long long)kernel_end,
			(unsigned long long)need, (unsigned long long)runtime,
			(unsigned long long)low_end);
		goto out;
	}
	entry = k.has_64bit_entry ? LINUX_KERNEL_ADDR + 0x200 : k.code32_start;
	if (cfg->decompress_guest || !k.has_64bit_entry)
		unpacked = -1;
	else
		unpacked = unpack_vmlinux(vm, image, &k, kernel_end, &entry);
	if (unpacked < 0 &&
	    copy_to_guest(&vm->mem, LINUX_KERNEL_ADDR, image + k.setup_size,
			  k.kernel_size) < 0) {
		err_set("-kernel %s: cannot place the kernel at 0x%llx",
			cfg->kernel, (unsigned long long)LINUX_KERNEL_ADDR);
		goto out;
	}

	if (kernel_boot_cmdline(vm, k.cmdline_size) < 0)
		goto out;

	/* Zero page: the image's setup header, then what the loader fills in. */
	memcpy(zp + BZ_SETUP_SECTS, image + BZ_SETUP_SECTS,
	       k.header_end - BZ_SETUP_SECTS);
	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	le_put(zp + BZ_CMD_LINE_PTR, LINUX_CMDLINE, 4);
	le_put(zp + ZP_EXT_CMD_LINE_PTR, LINUX_CMDLINE >> 32, 4);
	if (kernel_boot_place_tables(vm, layout, &tables) < 0)
		goto out;
	if (tables.rsdp)
		le_put(zp + ZP_ACPI_RSDP_ADDR, tables.rsdp, 8);
	if (kernel_end > tables.acpi_base) {
		err_set("-kernel %s: needs RAM up to 0x%llx but the ACPI tables start at 0x%llx; give more memory",
			cfg->kernel, (unsigned long long)kernel_end,
			(unsigned long long)tables.acpi_base);
		goto out;
	}
	if (cfg->initrd) {
		/* boot.rst: initrd_addr_max from protocol 2.03 on. */
		uint64_t addr_max = k.version >= 0x0203 ?
					    k.initrd_addr_max :
					    LINUX_INITRD_ADDR_MAX_OLD;

		if (kernel_boot_load_initrd(vm, addr_max, tables.acpi_base,
					    kernel_end, &initrd) < 0)
			goto out;
		le_put(zp + BZ_RAMDISK_IMAGE, initrd.addr, 4);
		le_put(zp + BZ_RAMDISK_SIZE, initrd.size, 4);
		le_put(zp + ZP_EXT_RAMDISK_IMAGE, initrd.addr >> 32, 4);
		le_put(zp + ZP_EXT_RAMDISK_SIZE, initrd.size >> 32, 4);
	}
	if (kernel_boot_e820(layout, tables.acpi_base, e820) < 0)
		goto out;
	if (e820->nr > ZP_E820_MAX) {
		err_set("the E820 map has %zu entries; the zero page holds %d",
			e820->nr, ZP_E820_MAX);
		goto out;
	}
	zp[ZP_E820_ENTRIES] = (uint8_t)e820->nr;
	for (size_t i = 0; i < e820->nr; i++) {
		uint8_t *p = zp + ZP_E820_TABLE + i * 20;

		le_put(p, e820->entries[i].addr, 8);
		le_put(p + 8, e820->entries[i].size, 8);
		le_put(p + 16, e820->entries[i].type, 4);
	}
	if (copy_to_guest(&vm->mem, LINUX_ZERO_PAGE, zp, ZP_SIZE) < 0) {
		err_set("zero page at 0x%llx is not RAM",
			(unsigned long long)LINUX_ZERO_PAGE);
		goto out;
	}

	/* boot.rst "64-bit boot protocol": __BOOT_CS 0x10, __BOOT_DS 0x18. */
	vm->boot.mode = k.has_64bit_entry ? CPU_MODE_LONG : CPU_MODE_PROTECTED;
	if (!k.has_64bit_entry)
		gdt[2] = GDT_CODE32;
	vm->boot.cs_sel = 0x10;
	vm->boot.ds_sel = 0x18;
	vm->boot.entry = entry;
	vm->boot.rsi = LINUX_ZERO_PAGE;
	if (unpacked < 0) {
		vm->boot.load_addr = LINUX_KERNEL_ADDR;
		vm->boot.image_size = k.kernel_size;
	}
	vm->boot.tables_gpa = LINUX_BOOT_TABLES;
	r = x86_write_boot_tables(vm, LINUX_BOOT_TABLES, k.has_64bit_entry, gdt);
	if (r == 0)
		log_info("Linux boot protocol %u.%02u, %s entry at 0x%llx, zero page at 0x%llx",
			 k.version >> 8, k.version & 0xff,
			 unpacked == 0	   ? "vmlinux 64-bit" :
			 k.has_64bit_entry ? "64-bit" :
					     "32-bit",
			 (unsigned long long)vm->boot.entry,
			 (unsigned long long)LINUX_ZERO_PAGE);
out:
	free(e820);
	free(zp);
	return r;
}
