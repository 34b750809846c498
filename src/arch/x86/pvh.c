// SPDX-License-Identifier: MIT
#include "pvh.h"
#include "byteorder.h"

#include <stdlib.h>

#include "e820.h"
#include "kernel_boot.h"
#include "layout.h"
#include "loader/elf.h"
#include "log.h"
#include "vm.h"
#include "x86.h"

int pvh_boot_setup(struct vm *vm, const struct pc_memory_layout *layout,
		   const uint8_t *image, size_t len)
{
	const struct vm_config *cfg = vm->cfg;
	const char *name = cfg->kernel;
	uint64_t gdt[4] = { 0, 0, GDT_CODE32, GDT_DATA };
	uint8_t si[PVH_START_INFO_SIZE] = { 0 };
	uint8_t mod[PVH_MODLIST_ENTRY_SIZE] = { 0 };
	struct elf_info *info = calloc(1, sizeof(*info));
	struct e820_table *e820 = calloc(1, sizeof(*e820));
	struct kernel_boot_tables tables;
	struct kernel_boot_initrd initrd;
	uint8_t *map = NULL;
	int r = -1;

	if (!info || !e820) {
		err_set("out of memory");
		goto out;
	}
	if (elf_parse(image, len, name, info) < 0) {
		err_set("-kernel %s", err_msg());
		goto out;
	}
	if (!info->has_pvh_entry) {
		err_set("-kernel %s: no PVH entry point (Xen note XEN_ELFNOTE_PHYS32_ENTRY); only ELF kernels with one can be booted",
			name);
		goto out;
	}
	if (info->load_start < LINUX_KERNEL_ADDR ||
	    info->load_end > layout->below_4g) {
		err_set("-kernel %s: loads at 0x%llx-0x%llx; it must lie between 0x%llx and the end of RAM below 4 GiB (0x%llx)%s",
			name, (unsigned long long)info->load_start,
			(unsigned long long)info->load_end,
			(unsigned long long)LINUX_KERNEL_ADDR,
			(unsigned long long)layout->below_4g,
			info->load_start < LINUX_KERNEL_ADDR ? "" :
							       "; give more memory");
		goto out;
	}
	if (kernel_boot_load_elf(vm, name, info, image) < 0)
		goto out;
	if (kernel_boot_cmdline(vm, KERNEL_CMDLINE_ANY) < 0)
		goto out;

	if (kernel_boot_place_tables(vm, layout, &tables) < 0)
		goto out;
	if (info->load_end > tables.acpi_base) {
		err_set("-kernel %s: needs RAM up to 0x%llx but the ACPI tables start at 0x%llx; give more memory",
			name, (unsigned long long)info->load_end,
			(unsigned long long)tables.acpi_base);
		goto out;
	}
	if (cfg->initrd) {
		/* No setup header to give a limit: below 896 MiB, as QEMU. */
		if (kernel_boot_load_initrd(vm, LINUX_INITRD_ADDR_MAX_OLD,
					    tables.acpi_base, info->load_end,
					    &initrd) < 0)
			goto out;
		le_put(mod, initrd.addr, 8);
		le_put(mod + 8, initrd.size, 8);
		/* cmdline_paddr 0: the module has no command line. */
		if (copy_to_guest(&vm->mem, PVH_MODLIST, mod, sizeof(mod)) < 0) {
			err_set("PVH module list at 0x%llx is not RAM",
				(unsigned long long)PVH_MODLIST);
			goto out;
		}
		le_put(si + PVH_SI_NR_MODULES, 1, 4);
		le_put(si + PVH_SI_MODLIST_PADDR, PVH_MODLIST, 8);
	}

	/* The memory map: the E820 table the bzImage path puts in the zero page. */
	if (kernel_boot_e820(layout, tables.acpi_base, e820) < 0)
		goto out;
	if (e820->nr * PVH_MEMMAP_ENTRY_SIZE > PVH_MEMMAP_END - PVH_MEMMAP) {
		err_set("the E820 map has %zu entries; the PVH memory map holds %llu",
			e820->nr,
			(PVH_MEMMAP_END - PVH_MEMMAP) / PVH_MEMMAP_ENTRY_SIZE);
		goto out;
	}
	map = calloc(e820->nr ? e820->nr : 1, PVH_MEMMAP_ENTRY_SIZE);
	if (!map) {
		err_set("out of memory");
		goto out;
	}
	for (size_t i = 0; i < e820->nr; i++) {
		uint8_t *p = map + i * PVH_MEMMAP_ENTRY_SIZE;

		le_put(p, e820->entries[i].addr, 8);
		le_put(p + 8, e820->entries[i].size, 8);
		le_put(p + 16, e820->entries[i].type, 4);
	}
	if (copy_to_guest(&vm->mem, PVH_MEMMAP, map,
			  e820->nr * PVH_MEMMAP_ENTRY_SIZE) < 0) {
		err_set("PVH memory map at 0x%llx is not RAM",
			(unsigned long long)PVH_MEMMAP);
		goto out;
	}

	le_put(si + PVH_SI_MAGIC, PVH_START_MAGIC, 4);
	le_put(si + PVH_SI_VERSION, PVH_START_VERSION, 4);
	le_put(si + PVH_SI_CMDLINE_PADDR, LINUX_CMDLINE, 8);
	if (tables.rsdp)
		le_put(si + PVH_SI_RSDP_PADDR, tables.rsdp, 8);
	le_put(si + PVH_SI_MEMMAP_PADDR, PVH_MEMMAP, 8);
	le_put(si + PVH_SI_MEMMAP_ENTRIES, e820->nr, 4);
	if (copy_to_guest(&vm->mem, PVH_START_INFO, si, sizeof(si)) < 0) {
		err_set("PVH start_info at 0x%llx is not RAM",
			(unsigned long long)PVH_START_INFO);
		goto out;
	}

	/*
	 * PVH ABI (Xen docs/misc/pvh.pandoc): 32-bit protected mode, paging
	 * off, flat 4 GiB CS (execute/read) and DS/ES/SS (read/write), EBX =
	 * the start_info address.
	 */
	vm->boot.mode = CPU_MODE_PROTECTED;
	vm->boot.cs_sel = FLAT_SEL_CODE32;
	vm->boot.ds_sel = FLAT_SEL_DATA;
	vm->boot.entry = info->pvh_entry;
	vm->boot.rsi = 0;
	vm->boot.rbx = PVH_START_INFO;
	vm->boot.load_addr = info->load_start;
	vm->boot.image_size = info->load_end - info->load_start;
	vm->boot.tables_gpa = LINUX_BOOT_TABLES;
	r = x86_write_boot_tables(vm, LINUX_BOOT_TABLES, false, gdt);
	if (r == 0)
		log_info("PVH boot: %zu segments at 0x%llx-0x%llx, entry 0x%x, start_info at 0x%llx (%zu E820 entries%s)",
			 info->nr_segs, (unsigned long long)info->load_start,
			 (unsigned long long)info->load_end, info->pvh_entry,
			 (unsigned long long)PVH_START_INFO, e820->nr,
			 cfg->initrd ? ", initrd as module 0" : "");
out:
	free(info);
	free(e820);
	free(map);
	return r;
}
