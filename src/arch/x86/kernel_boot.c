// SPDX-License-Identifier: MIT
/*
 * The parts of a -kernel boot that do not depend on the entry protocol
 * (kernel_boot.h): reading the file and choosing the loader, the OS's
 * E820 map, the MP and ACPI tables without firmware, the initrd, ELF
 * segments and the command line.
 */
#include "kernel_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi.h"
#include "layout.h"
#include "linux_boot.h"
#include "byteorder.h"
#include "loader/bzimage.h"
#include "loader/elf.h"
#include "loader/multiboot.h"
#include "log.h"
#include "mptable.h"
#include "multiboot.h"
#include "pvh.h"
#include "vm.h"

/* Largest kernel file accepted: far above any real bzImage. */
#define KERNEL_FILE_MAX (512ull << 20)

int kernel_boot_e820(const struct pc_memory_layout *layout, uint64_t acpi_base,
		     struct e820_table *out)
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

/* Where the ACPI blob goes: the top of low RAM, page aligned. */
static uint64_t acpi_blob_base(const struct pc_memory_layout *layout,
			       const struct acpi_tables *t)
{
	return (layout->below_4g - t->tables_size) & ~0xfffull;
}

int kernel_boot_table(const struct pc_memory_layout *layout,
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
	return kernel_boot_e820(layout, base, out);
}

/* The MP floating pointer and configuration table (MP spec 1.4). */
static int place_mptable(struct vm *vm)
{
	uint8_t mp[4096];
	size_t n = mptable_build(mp, sizeof(mp), LINUX_MPTABLE_ADDR,
				 vm->cfg->smp);

	if (!n)
		return -1;
	if (copy_to_guest(&vm->mem, LINUX_MPTABLE_ADDR, mp, n) < 0)
		return err_set("MP table: 0x%llx is not RAM",
			       (unsigned long long)LINUX_MPTABLE_ADDR);
	return 0;
}

/*
 * ACPI tables without firmware: the blob at the top of low RAM, the RSDP
 * at the start of the BIOS area; QEMU's loader script does the relocation
 * (acpi_loader_execute()).
 */
int kernel_boot_place_tables(struct vm *vm,
			     const struct pc_memory_layout *layout,
			     struct kernel_boot_tables *out)
{
	struct acpi_tables t;
	uint8_t *blob, rsdp[ACPI_RSDP_SIZE];
	uint64_t base;
	int r = -1;

	out->acpi_base = layout->below_4g;
	out->rsdp = 0;
	if (place_mptable(vm) < 0)
		return -1;
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
	out->acpi_base = base;
	out->rsdp = LINUX_RSDP_ADDR;
	r = 0;
out:
	free(blob);
	acpi_tables_free(&t);
	return r;
}

uint8_t *kernel_boot_read_file(const char *opt, const char *path, uint64_t max,
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

int kernel_boot_load_initrd(struct vm *vm, uint64_t addr_max, uint64_t low_end,
			    uint64_t kernel_end,
			    struct kernel_boot_initrd *out)
{
	const char *path = vm->cfg->initrd;
	uint64_t size, top, addr;
	uint8_t *data;

	data = kernel_boot_read_file("-initrd", path, low_end, &size);
	if (!data)
		return -1;
	top = addr_max + 1;
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
	out->addr = addr;
	out->size = size;
	return 0;
}

int kernel_boot_load_elf(struct vm *vm, const char *name,
			 const struct elf_info *info, const uint8_t *image)
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
	vm->boot.nr_kernel_map = 0;
	for (size_t i = 0; i < info->nr_segs; i++) {
		unsigned n = vm->boot.nr_kernel_map;

		if (n == sizeof(vm->boot.kernel_map) / sizeof(vm->boot.kernel_map[0]))
			break;
		/* The kernel map only (not the zero-based per-CPU section). */
		if (!(info->segs[i].vaddr >> 63))
			continue;
		vm->boot.kernel_map[n].vaddr = info->segs[i].vaddr;
		vm->boot.kernel_map[n].paddr = info->segs[i].paddr;
		vm->boot.kernel_map[n].size = info->segs[i].memsz;
		vm->boot.nr_kernel_map++;
	}
	return 0;
}

int kernel_boot_cmdline(struct vm *vm, uint64_t kernel_max)
{
	const char *append = vm->cfg->append ? vm->cfg->append : "";
	size_t cmdlen = strlen(append);

	if (cmdlen > kernel_max || cmdlen + 1 > LINUX_CMDLINE_MAX) {
		if (kernel_max != KERNEL_CMDLINE_ANY)
			return err_set("-append: %zu bytes, the kernel takes at most %llu",
				       cmdlen, (unsigned long long)kernel_max);
		return err_set("-append: %zu bytes, at most %llu", cmdlen,
			       (unsigned long long)LINUX_CMDLINE_MAX - 1);
	}
	if (copy_to_guest(&vm->mem, LINUX_CMDLINE, append, cmdlen + 1) < 0)
		return err_set("-append: no RAM at 0x%llx",
			       (unsigned long long)LINUX_CMDLINE);
	return 0;
}

int kernel_boot_setup(struct vm *vm, const struct pc_memory_layout *layout)
{
	struct multiboot_image mb;
	uint64_t len;
	uint8_t *image;
	int r;

	image = kernel_boot_read_file("-kernel", vm->cfg->kernel, KERNEL_FILE_MAX, &len);
	if (!image)
		return -1;
	/*
	 * As QEMU: a Linux setup header first, then a multiboot header, then
	 * an ELF's PVH note.
	 */
	if (len >= BZ_HEADER + 4 && le_get(image + BZ_HEADER, 4) == BZ_HDRS_MAGIC)
		r = linux_boot_bzimage(vm, layout, image, len);
	else if ((r = multiboot_parse(image, len, vm->cfg->kernel, &mb)) != 0)
		r = r < 0 ? -1 : multiboot_boot_setup(vm, layout, image, &mb);
	else if (elf_is_elf(image, len)) /* vmlinux: its PVH entry */
		r = pvh_boot_setup(vm, layout, image, len);
	else
		r = err_set("-kernel %s: not a kernel minivmm boots: no Linux boot header (\"HdrS\" at 0x202), no multiboot header in the first 8 KiB, not an ELF",
			    vm->cfg->kernel);
	free(image);
	return r;
}
