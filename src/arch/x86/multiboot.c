// SPDX-License-Identifier: MIT
#include "multiboot.h"
#include "byteorder.h"

#include <stdlib.h>
#include <string.h>

#include "e820.h"
#include "kernel_boot.h"
#include "layout.h"
#include "loader/multiboot.h"
#include "log.h"
#include "vm.h"
#include "x86.h"

#define PAGE 4096ull

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

/* [addr, addr + size) lies inside one RAM entry of the map. */
static bool in_ram(const struct e820_table *map, uint64_t addr, uint64_t size)
{
	for (size_t i = 0; i < map->nr; i++) {
		const struct e820_entry *e = &map->entries[i];

		if (e->type == E820_RAM && addr >= e->addr &&
		    addr - e->addr <= e->size && size <= e->size - (addr - e->addr))
			return true;
	}
	return false;
}

/*
 * The information area, at MULTIBOOT_MMAP or moved after the kernel: the
 * memory map, the information structure and the boot GDT (layout.h).
 */
#define MB_INFO_MBI (MULTIBOOT_INFO - MULTIBOOT_MMAP)
#define MB_INFO_GDT (MULTIBOOT_GDT - MULTIBOOT_MMAP)
#define MB_INFO_SIZE (MULTIBOOT_AREA_END - MULTIBOOT_MMAP)

/* [addr, addr + size) overlaps the fixed area at 0x9000 (layout.h). */
static bool over_info_area(uint64_t addr, uint64_t size)
{
	return addr < MULTIBOOT_AREA_END && addr + size > MULTIBOOT_MMAP;
}

/* What goes after the kernel: module list, strings, then the modules. */
struct mb_after {
	struct multiboot_module_spec specs[MB_MAX_MODULES];
	uint8_t *data[MB_MAX_MODULES];
	uint64_t size[MB_MAX_MODULES];
	size_t nr;
	char *kernel_cmdline;
};

static void after_free(struct mb_after *a)
{
	for (size_t i = 0; i < a->nr; i++)
		free(a->data[i]);
	multiboot_modules_free(a->specs, a->nr);
	free(a->kernel_cmdline);
}

/* Read every -initrd module (the file name is the entry's first word). */
static int read_modules(struct vm *vm, uint64_t max, struct mb_after *a)
{
	size_t n;

	if (!vm->cfg->initrd)
		return 0;
	if (multiboot_modules_parse(vm->cfg->initrd, a->specs, &n) < 0)
		return -1;
	a->nr = n;
	for (size_t i = 0; i < n; i++) {
		char *file = strndup(a->specs[i].cmdline, a->specs[i].name_len);

		if (!file)
			return err_set("out of memory");
		a->data[i] = kernel_boot_read_file("-initrd", file, max,
						   &a->size[i]);
		free(file);
		if (!a->data[i])
			return -1;
	}
	return 0;
}

/* The memory map at gpa: the E820 table in multiboot records. */
static int write_mmap(struct vm *vm, uint64_t gpa, const struct e820_table *map,
		      uint32_t *length)
{
	uint8_t rec[MB_MMAP_ENTRY_SIZE];

	if (map->nr * MB_MMAP_ENTRY_SIZE > MB_INFO_MBI)
		return err_set("the E820 map has %zu entries; the multiboot memory map holds %llu",
			       map->nr, MB_INFO_MBI / MB_MMAP_ENTRY_SIZE);
	for (size_t i = 0; i < map->nr; i++) {
		/* "size" counts the bytes after itself. */
		le_put(rec, MB_MMAP_ENTRY_SIZE - 4, 4);
		le_put(rec + 4, map->entries[i].addr, 8);
		le_put(rec + 12, map->entries[i].size, 8);
		le_put(rec + 20, map->entries[i].type, 4);
		if (copy_to_guest(&vm->mem, gpa + i * sizeof(rec), rec,
				  sizeof(rec)) < 0)
			return err_set("multiboot memory map at 0x%llx is not RAM",
				       (unsigned long long)gpa);
	}
	*length = (uint32_t)(map->nr * MB_MMAP_ENTRY_SIZE);
	return 0;
}

/*
 * Where the strings (from `strings`), the information area (*info: moved
 * onto the page after the strings, or the fixed one) and the first module
 * (*mod_at) go; returns the end of the last module, page aligned.
 */
static uint64_t layout_after(const struct mb_after *a, uint64_t strings,
			     bool moved, uint64_t *info, uint64_t *mod_at)
{
	uint64_t end = strings + strlen(a->kernel_cmdline) + 1 +
		       sizeof(MB_LOADER_NAME);

	for (size_t i = 0; i < a->nr; i++)
		end += strlen(a->specs[i].cmdline) + 1;
	end = page_up(end);
	*info = MULTIBOOT_MMAP;
	if (moved) {
		*info = end;
		end = page_up(end + MB_INFO_SIZE);
	}
	*mod_at = end;
	for (size_t i = 0; i < a->nr; i++)
		end = page_up(end + a->size[i]); /* sizes < 4 GiB each: no wrap */
	return end;
}

/* A string into guest memory at *at (then past its NUL); its address. */
static uint32_t put_string(struct vm *vm, uint64_t *at, const char *s)
{
	uint64_t addr = *at;
	size_t n = strlen(s) + 1;

	/* The whole range was checked to be RAM. */
	(void)copy_to_guest(&vm->mem, addr, s, n);
	*at += n;
	return (uint32_t)addr;
}

int multiboot_boot_setup(struct vm *vm, const struct pc_memory_layout *layout,
			 const uint8_t *image, const struct multiboot_image *mb)
{
	const struct vm_config *cfg = vm->cfg;
	const char *name = cfg->kernel;
	const struct elf_info *e = &mb->elf;
	uint64_t gdt[4] = { 0, 0, GDT_CODE32, GDT_DATA };
	struct e820_table *map = calloc(1, sizeof(*map));
	struct mb_after *a = calloc(1, sizeof(*a));
	struct kernel_boot_tables tables;
	uint8_t mbi[MBI_SIZE] = { 0 };
	uint64_t base, strings, at, end, mod_at, info = MULTIBOOT_MMAP;
	bool moved = false;
	uint32_t mmap_len = 0, cmdline_addr, loader_addr;
	int r = -1;

	if (!map || !a) {
		err_set("out of memory");
		goto out;
	}
	if (kernel_boot_place_tables(vm, layout, &tables) < 0 ||
	    kernel_boot_e820(layout, tables.acpi_base, map) < 0)
		goto out;
	for (size_t i = 0; i < e->nr_segs; i++) {
		const struct elf_segment *s = &e->segs[i];

		if (!in_ram(map, s->paddr, s->memsz)) {
			err_set("-kernel %s: segment 0x%llx-0x%llx is not in RAM (see `minivmm memmap`)%s",
				name, (unsigned long long)s->paddr,
				(unsigned long long)(s->paddr + s->memsz),
				s->paddr >= LINUX_KERNEL_ADDR ? "; give more memory" : "");
			goto out;
		}
		if (over_info_area(s->paddr, s->memsz))
			moved = true;
	}
	if (read_modules(vm, layout->below_4g, a) < 0)
		goto out;

	/*
	 * After the kernel, as QEMU lays it out: the module list, the
	 * command lines (the modules', then the kernel's, which is
	 * "<-kernel file> <-append text>"), the loader's name, then each
	 * module on a page of its own.  A kernel that covers the fixed
	 * information area (QEMU's option ROM would write over it) gets the
	 * area on a page after the strings instead.
	 */
	a->kernel_cmdline = malloc(strlen(name) + strlen(cfg->append ? cfg->append : "") + 2);
	if (!a->kernel_cmdline) {
		err_set("out of memory");
		goto out;
	}
	sprintf(a->kernel_cmdline, "%s %s", name, cfg->append ? cfg->append : "");
	base = e->load_start + page_up(e->load_end - e->load_start);
	strings = base + a->nr * MB_MOD_SIZE;
	end = layout_after(a, strings, false, &info, &mod_at);
	if (moved || over_info_area(base, end - base)) {
		moved = true;
		end = layout_after(a, strings, true, &info, &mod_at);
	}
	if (!in_ram(map, base, end - base)) {
		err_set("-kernel %s: the command lines and %zu module(s) need 0x%llx-0x%llx after the kernel; that is not all RAM; give more memory",
			name, a->nr, (unsigned long long)base,
			(unsigned long long)end);
		goto out;
	}

	if (kernel_boot_load_elf(vm, name, e, image) < 0)
		goto out;
	at = strings;
	for (size_t i = 0; i < a->nr; i++) {
		uint8_t mod[MB_MOD_SIZE] = { 0 };

		le_put(mod, mod_at, 4);
		le_put(mod + 4, mod_at + a->size[i], 4);
		le_put(mod + 8, put_string(vm, &at, a->specs[i].cmdline), 4);
		(void)copy_to_guest(&vm->mem, base + i * MB_MOD_SIZE, mod, sizeof(mod));
		(void)copy_to_guest(&vm->mem, mod_at, a->data[i], a->size[i]);
		log_info("multiboot module %zu: '%s' at 0x%llx-0x%llx", i,
			 a->specs[i].cmdline, (unsigned long long)mod_at,
			 (unsigned long long)(mod_at + a->size[i]));
		mod_at = page_up(mod_at + a->size[i]);
	}
	cmdline_addr = put_string(vm, &at, a->kernel_cmdline);
	loader_addr = put_string(vm, &at, MB_LOADER_NAME);
	if (write_mmap(vm, info, map, &mmap_len) < 0)
		goto out;

	le_put(mbi + MBI_FLAGS,
	       MBI_HAS_MEMORY | MBI_HAS_BOOT_DEVICE | MBI_HAS_CMDLINE |
		       MBI_HAS_MODS | MBI_HAS_MMAP | MBI_HAS_LOADER_NAME,
	       4);
	/* As QEMU: 640 KiB of low memory, upper memory to the end below 4 GiB. */
	le_put(mbi + MBI_MEM_LOWER, PC_BASE_MEMORY_END / 1024, 4);
	le_put(mbi + MBI_MEM_UPPER, layout->below_4g / 1024 - 1024, 4);
	le_put(mbi + MBI_BOOT_DEVICE, MB_BOOT_DEVICE_NONE, 4);
	le_put(mbi + MBI_CMDLINE, cmdline_addr, 4);
	le_put(mbi + MBI_MODS_COUNT, a->nr, 4);
	le_put(mbi + MBI_MODS_ADDR, base, 4);
	le_put(mbi + MBI_MMAP_LENGTH, mmap_len, 4);
	le_put(mbi + MBI_MMAP_ADDR, info, 4);
	le_put(mbi + MBI_BOOT_LOADER_NAME, loader_addr, 4);
	if (copy_to_guest(&vm->mem, info + MB_INFO_MBI, mbi, sizeof(mbi)) < 0) {
		err_set("multiboot information at 0x%llx is not RAM",
			(unsigned long long)(info + MB_INFO_MBI));
		goto out;
	}
	if (moved)
		log_info("multiboot: the kernel covers 0x%llx-0x%llx; its information is at 0x%llx instead",
			 (unsigned long long)MULTIBOOT_MMAP,
			 (unsigned long long)MULTIBOOT_AREA_END,
			 (unsigned long long)info);
	if (mb->flags & MB_FLAG_VIDEO_MODE)
		log_info("multiboot: -kernel %s asks for a video mode; it gets none (text mode, as with QEMU)",
			 name);

	vm->boot.mode = CPU_MODE_PROTECTED;
	vm->boot.cs_sel = FLAT_SEL_CODE32;
	vm->boot.ds_sel = FLAT_SEL_DATA;
	vm->boot.entry = mb->entry;
	vm->boot.rax = MB_BOOT_MAGIC;
	vm->boot.rbx = info + MB_INFO_MBI;
	vm->boot.rsi = 0;
	vm->boot.load_addr = e->load_start;
	vm->boot.image_size = e->load_end - e->load_start;
	vm->boot.tables_gpa = info + MB_INFO_GDT;
	r = x86_write_boot_tables(vm, info + MB_INFO_GDT, false, gdt);
	if (r == 0)
		log_info("multiboot boot: %s %zu segment(s) at 0x%llx-0x%llx, entry 0x%x, info at 0x%llx (%zu E820 entries, %zu module(s))",
			 mb->aout_kludge ? "a.out kludge," : "ELF,", e->nr_segs,
			 (unsigned long long)e->load_start,
			 (unsigned long long)e->load_end, mb->entry,
			 (unsigned long long)(info + MB_INFO_MBI), map->nr, a->nr);
out:
	if (a)
		after_free(a);
	free(a);
	free(map);
	return r;
}
