// SPDX-License-Identifier: MIT
#include "linux_boot.h"
#include "byteorder.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi.h"
#include "kernel_unpack.h"
#include "layout.h"
#include "mptable.h"
#include "loader/bzimage.h"
#include "loader/elf.h"
#include "log.h"
#include "pvh.h"
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

/* Largest kernel file accepted: far above any real bzImage. */
#define LINUX_KERNEL_FILE_MAX (512ull << 20)

int linux_boot_e820(const struct pc_memory_layout *layout,
		    uint64_t acpi_base, struct e820_table *out)
{
	const struct e820_table *in = &layout->e820;

	e820_init(out);
	for (size_t i = 0; i < in->nr; i++) {
		const struct e820_entry *e = &in->entries[i];

		/* The RAM entry starting at 0 is split around the low megabyte. */
		if (e->type == E820_RAM && e->addr == 0 &&
		    e->size > LINUX_KERNEL_ADDR) {
			if (e820_add(out, 0, LINUX_EBDA_START, E820_RAM) < 0 ||
			    e820_add(out, LINUX_EBDA_START,
				     PC_VGA_WINDOW - LINUX_EBDA_START,
				     E820_RESERVED) < 0 ||
			    e820_add(out, LINUX_BIOS_AREA,
				     LINUX_KERNEL_ADDR - LINUX_BIOS_AREA,
				     E820_RESERVED) < 0 ||
			    e820_add(out, LINUX_KERNEL_ADDR,
				     acpi_base - LINUX_KERNEL_ADDR, E820_RAM) < 0)
				return -1;
			if (acpi_base < e->size &&
			    e820_add(out, acpi_base, e->size - acpi_base,
				     E820_ACPI) < 0)
				return -1;
			continue;
		}
		if (e820_add(out, e->addr, e->size, e->type) < 0)
			return -1;
	}
	return 0;
}

static uint8_t *read_file(const char *opt, const char *path, uint64_t max,
			  uint64_t *len)
{
	struct stat st;
	uint8_t *buf;
	uint64_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		err_errno("%s %s", opt, path);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set("%s %s: not a regular file", opt, path);
		close(fd);
		return NULL;
	}
	*len = (uint64_t)st.st_size;
	if (*len == 0 || *len > max) {
		if (*len == 0)
			err_set("%s %s: file is empty", opt, path);
		else
			err_set("%s %s: %llu bytes, more than the %llu bytes that could hold it",
				opt, path, (unsigned long long)*len,
				(unsigned long long)max);
		close(fd);
		return NULL;
	}
	buf = malloc(*len);
	if (!buf) {
		err_set("%s %s: out of memory", opt, path);
		close(fd);
		return NULL;
	}
	while (done < *len) {
		ssize_t n = read(fd, buf + done, *len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_set("%s %s: short read", opt, path);
			free(buf);
			close(fd);
			return NULL;
		}
		done += (uint64_t)n;
	}
	close(fd);
	return buf;
}

/* The PT_LOAD segments of an ELF kernel at their physical addresses. */
int linux_load_elf(struct vm *vm, const char *name, const struct elf_info *info,
		   const uint8_t *image)
{
	for (size_t i = 0; i < info->nr_segs; i++) {
		const struct elf_segment *s = &info->segs[i];
		uint64_t bss = s->memsz - s->filesz;
		uint8_t *hva;

		if (copy_to_guest(&vm->mem, s->paddr, image + s->offset,
				  s->filesz) < 0)
			return err_set("-kernel %s: segment at 0x%llx (0x%llx bytes) is not in RAM",
				       name, (unsigned long long)s->paddr,
				       (unsigned long long)s->filesz);
		if (!bss)
			continue;
		hva = gpa_to_hva(&vm->mem, s->paddr + s->filesz, bss);
		if (!hva)
			return err_set("-kernel %s: segment at 0x%llx (0x%llx bytes in memory) is not in RAM",
				       name, (unsigned long long)s->paddr,
				       (unsigned long long)s->memsz);
		memset(hva, 0, bss);
	}
	return 0;
}

/* Initrd as high as the kernel allows, below the end of low RAM (boot.rst). */
int load_initrd(struct vm *vm, const struct bzimage_info *k,
		uint64_t low_end, uint64_t kernel_end, uint8_t *zp)
{
	const char *path = vm->cfg->initrd;
	uint64_t size, top, addr;
	uint8_t *data;

	data = read_file("-initrd", path, low_end, &size);
	if (!data)
		return -1;
	top = k->version >= 0x0203 ? (uint64_t)k->initrd_addr_max + 1 :
				     LINUX_INITRD_ADDR_MAX_OLD + 1;
	if (top > low_end)
		top = low_end;
	addr = top >= size ? (top - size) & ~0xfffull : 0;
	if (top < size || addr < kernel_end) {
		free(data);
		return err_set("-initrd %s: %llu bytes do not fit between the kernel (ends 0x%llx) and 0x%llx; give more memory",
			       path, (unsigned long long)size,
			       (unsigned long long)kernel_end,
			       (unsigned long long)top);
	}
	if (copy_to_guest(&vm->mem, addr, data, size) < 0) {
		free(data);
		return err_set("-initrd %s: 0x%llx is not RAM", path,
			       (unsigned long long)addr);
	}
	free(data);
	le_put(zp + BZ_RAMDISK_IMAGE, addr, 4);
	le_put(zp + BZ_RAMDISK_SIZE, size, 4);
	le_put(zp + ZP_EXT_RAMDISK_IMAGE, addr >> 32, 4);
	le_put(zp + ZP_EXT_RAMDISK_SIZE, size >> 32, 4);
	return 0;
}

/* Where the ACPI blob goes: the top of low RAM, page aligned. */
static uint64_t acpi_blob_base(const struct pc_memory_layout *layout,
			       const struct acpi_tables *t)
{
	return (layout->below_4g - t->tables_size) & ~0xfffull;
}

int linux_boot_table(const struct pc_memory_layout *layout,
		     struct e820_table *out)
{
	uint64_t base = layout->below_4g;
	struct acpi_tables t;

	if (acpi_machine_has_tables(&layout->compat)) {
		if (acpi_build(layout, &t) < 0)
			return -1;
		base = acpi_blob_base(layout, &t);
		acpi_tables_free(&t);
	}
	return linux_boot_e820(layout, base, out);
}

/*
 * ACPI tables without firmware: the blob at the top of low RAM (where
 * SeaBIOS would put it), the RSDP at the start of the BIOS area where the
 * OS also scans for it; QEMU's loader script does the relocation.
 * *acpi_base: the blob's address (the end of low RAM when there are none).
 */
int place_acpi(struct vm *vm, const struct pc_memory_layout *layout,
	       uint64_t *acpi_base, uint8_t *zp)
{
	struct acpi_tables t;
	uint8_t *blob, rsdp[ACPI_RSDP_SIZE];
	uint64_t base;
	int r = -1;

	/* The MP tables too (MP spec 1.4), for kernels told acpi=off. */
	{
		uint8_t mp[4096];
		size_t n = mptable_build(mp, sizeof(mp), LINUX_MPTABLE_ADDR,
					 vm->cfg->smp);

		if (!n)
			return -1;
		if (copy_to_guest(&vm->mem, LINUX_MPTABLE_ADDR, mp, n) < 0)
			return err_set("MP table: 0x%llx is not RAM",
				       (unsigned long long)LINUX_MPTABLE_ADDR);
	}
	*acpi_base = layout->below_4g;
	if (!acpi_machine_has_tables(&layout->compat))
		return 0;
	if (acpi_build(layout, &t) < 0)
		return -1;
	base = acpi_blob_base(layout, &t);
	blob = malloc(t.tables_size);
	if (!blob) {
		err_set("out of memory");
		goto out;
	}
	if (acpi_loader_execute(&t, base, LINUX_RSDP_ADDR, blob, rsdp) < 0 ||
	    copy_to_guest(&vm->mem, base, blob, t.tables_size) < 0 ||
	    copy_to_guest(&vm->mem, LINUX_RSDP_ADDR, rsdp, sizeof(rsdp)) < 0) {
		err_set("ACPI tables: %s", err_msg()[0] ? err_msg() : "not in RAM");
		goto out;
	}
	le_put(zp + ZP_ACPI_RSDP_ADDR, LINUX_RSDP_ADDR, 8);
	*acpi_base = base;
	r = 0;
out:
	free(blob);
	acpi_tables_free(&t);
	return r;
}

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
	} else if (linux_load_elf(vm, name, &u.info, u.elf) == 0) {
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

int linux_boot_setup(struct vm *vm, const struct pc_memory_layout *layout)
{
	const struct vm_config *cfg = vm->cfg;
	const char *append = cfg->append ? cfg->append : "";
	uint64_t gdt[4] = { 0, 0, GDT_CODE64, GDT_DATA };
	uint64_t len, need, runtime, kernel_end, acpi_base,
		low_end = layout->below_4g;
	struct bzimage_info k;
	struct e820_table *e820;
	size_t cmdlen = strlen(append);
	uint8_t *image, *zp;
	uint64_t entry;
	int r = -1, unpacked;

	image = read_file("-kernel", cfg->kernel, LINUX_KERNEL_FILE_MAX, &len);
	if (!image)
		return -1;
	if (elf_is_elf(image, len)) { /* vmlinux: the PVH entry (pvh.c) */
		r = pvh_boot_setup(vm, layout, image, len);
		free(image);
		return r;
	}
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

	if (cmdlen + 1 > k.cmdline_size + 1ull || cmdlen + 1 > LINUX_CMDLINE_MAX) {
		err_set("-append: %zu bytes, the kernel takes at most %u",
			cmdlen, k.cmdline_size);
		goto out;
	}
	if (copy_to_guest(&vm->mem, LINUX_CMDLINE, append, cmdlen + 1) < 0) {
		err_set("-append: no RAM at 0x%llx",
			(unsigned long long)LINUX_CMDLINE);
		goto out;
	}

	/* Zero page: the image's setup header, then what the loader fills in. */
	memcpy(zp + BZ_SETUP_SECTS, image + BZ_SETUP_SECTS,
	       k.header_end - BZ_SETUP_SECTS);
	zp[BZ_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	le_put(zp + BZ_CMD_LINE_PTR, LINUX_CMDLINE, 4);
	le_put(zp + ZP_EXT_CMD_LINE_PTR, LINUX_CMDLINE >> 32, 4);
	if (place_acpi(vm, layout, &acpi_base, zp) < 0)
		goto out;
	if (kernel_end > acpi_base) {
		err_set("-kernel %s: needs RAM up to 0x%llx but the ACPI tables start at 0x%llx; give more memory",
			cfg->kernel, (unsigned long long)kernel_end,
			(unsigned long long)acpi_base);
		goto out;
	}
	if (cfg->initrd && load_initrd(vm, &k, acpi_base, kernel_end, zp) < 0)
		goto out;
	if (linux_boot_e820(layout, acpi_base, e820) < 0)
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
	free(image);
	free(e820);
	free(zp);
	return r;
}
