// SPDX-License-Identifier: MIT
/*
 * fw_cfg items follow QEMU 7.2's hw/i386/fw_cfg.c fw_cfg_arch_create() and
 * hw/nvram/fw_cfg.c; the legacy E820 key is the one QEMU offered up to 7.1
 * (SeaBIOS prefers etc/e820 when both exist).
 */
#include "pc_firmware.h"
#include "virtio/devices.h"

#include <stdlib.h>
#include <string.h>

#include "acpi.h"
#include "arch/arch.h"
#include "layout.h"
#include "kernel_boot.h"
#include "log.h"

int pc_firmware_layout(const struct vm_config *cfg, bool kvm_identity_map,
		       struct pc_memory_layout *layout)
{
	struct pc_memory_opts opts;

	/*
	 * The map follows QEMU's default vCPU model under KVM (qemu64: 40
	 * physical address bits, the host's vendor), so a QEMU command line
	 * pasted here yields the map QEMU gives on the same host.
	 */
	pc_memory_opts_qemu_default(&opts);
	opts.kvm_identity_map = kvm_identity_map;
	if (pc_memory_layout(cfg, &opts, layout) < 0)
		return -1;
	layout->nr_virtio_mmio = virtio_mmio_count(cfg);
	layout->nr_virtio_pci = (unsigned)cfg->nr_vdevs - layout->nr_virtio_mmio;
	return 0;
}

/* FW_CFG_NUMA: node count, node of each APIC ID, memory of each node. */
static int add_numa(struct fw_cfg *fw, const struct vm_config *cfg,
		    const struct pc_memory_layout *layout)
{
	size_t n = 1 + cfg->smp + layout->nr_nodes;
	uint8_t *buf = calloc(n, 8);
	int r;

	if (!buf)
		return err_set("out of memory");
	/* Little-endian u64s, as QEMU's fw_cfg_build_set_numa(). */
	for (size_t i = 0; i < 8; i++)
		buf[i] = (uint8_t)((uint64_t)layout->nr_nodes >> (8 * i));
	for (unsigned cpu = 0; cpu < cfg->smp; cpu++) {
		uint64_t node = layout->cpu_node[cpu] < 0 ?
					0 :
					(uint64_t)layout->cpu_node[cpu];

		for (size_t i = 0; i < 8; i++)
			buf[(1 + cpu) * 8 + i] = (uint8_t)(node >> (8 * i));
	}
	for (size_t nd = 0; nd < layout->nr_nodes; nd++)
		for (size_t i = 0; i < 8; i++)
			buf[(1 + cfg->smp + nd) * 8 + i] =
				(uint8_t)(layout->nodes[nd].size >> (8 * i));
	r = fw_cfg_add_bytes(fw, FW_CFG_NUMA, buf, (uint32_t)(n * 8));
	free(buf);
	return r;
}

/*
 * ACPI: the tables blob, the RSDP and the linker/loader commands, under
 * QEMU's file names; SeaBIOS places and links them (acpi.h).
 */
static int add_acpi(struct fw_cfg *fw, const struct pc_memory_layout *layout)
{
	struct acpi_tables t;
	int r = 0;

	if (!acpi_machine_has_tables(&layout->compat))
		return 0;
	if (acpi_build(layout, &t) < 0)
		return -1;
	if (fw_cfg_add_file(fw, ACPI_TABLES_FILE, t.tables, t.tables_size) < 0 ||
	    fw_cfg_add_file(fw, ACPI_RSDP_FILE, t.rsdp, sizeof(t.rsdp)) < 0 ||
	    fw_cfg_add_file(fw, ACPI_LOADER_FILE, t.loader, t.loader_size) < 0)
		r = -1;
	acpi_tables_free(&t);
	return r;
}

int pc_firmware_fw_cfg(struct fw_cfg *fw, const struct vm_config *cfg,
		       const struct pc_memory_layout *layout)
{
	uint8_t uuid[16] = { 0 }, legacy[E820_LEGACY_SIZE];
	uint8_t e820[E820_MAX_ENTRIES * E820_ENTRY_SIZE];
	size_t e820_len = e820_serialize_file(&layout->e820, e820, sizeof(e820));
	uint8_t wait[4];

	e820_serialize_legacy(&layout->e820, legacy, sizeof(legacy));
	/* -boot reboot-timeout: etc/boot-fail-wait, le32, -1 = never. */
	for (int i = 0; i < 4; i++)
		wait[i] = (uint8_t)((uint32_t)cfg->reboot_timeout >> (8 * i));

	if (fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, sizeof(uuid)) < 0 ||
	    fw_cfg_add_u16(fw, FW_CFG_NOGRAPHIC, 0) < 0 ||
	    fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, layout->ram_size) < 0 ||
	    fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, (uint16_t)cfg->smp) < 0 ||
	    fw_cfg_add_u16(fw, FW_CFG_MAX_CPUS, (uint16_t)cfg->smp) < 0 ||
	    fw_cfg_add_u16(fw, FW_CFG_BOOT_MENU, cfg->boot_menu) < 0 ||
	    add_numa(fw, cfg, layout) < 0 ||
	    /* With the in-kernel irqchip the PIT reaches IOAPIC pin 2. */
	    fw_cfg_add_u32(fw, FW_CFG_IRQ0_OVERRIDE, 1) < 0 ||
	    fw_cfg_add_bytes(fw, FW_CFG_E820_TABLE, legacy, sizeof(legacy)) < 0 ||
	    fw_cfg_add_file(fw, "etc/e820", e820, (uint32_t)e820_len) < 0 ||
	    fw_cfg_add_file(fw, "etc/boot-fail-wait", wait, sizeof(wait)) < 0 ||
	    add_acpi(fw, layout) < 0)
		return err_set("fw_cfg: %s", err_msg());
	return 0;
}

int pc_firmware_cmos(struct cmos *cmos, const struct pc_memory_layout *layout)
{
	if (pc_cmos_init_memory(cmos, layout) < 0)
		return err_set("cmos: %s", err_msg());
	return 0;
}

static const struct {
	uint8_t reg;
	const char *meaning;
} cmos_memory_bytes[] = {
	{ 0x15, "base memory in KiB, low byte" },
	{ 0x16, "base memory in KiB, high byte" },
	{ 0x17, "KiB from 1 MiB to 64 MiB (max 65535), low byte" },
	{ 0x18, "KiB from 1 MiB to 64 MiB, high byte" },
	{ 0x30, "same as 0x17 (extended memory, low byte)" },
	{ 0x31, "same as 0x18 (extended memory, high byte)" },
	{ 0x34, "64 KiB units from 16 MiB to the end of low RAM, low byte" },
	{ 0x35, "64 KiB units from 16 MiB to the end of low RAM, high byte" },
	{ 0x5b, "64 KiB units above 4 GiB, bits 0-7" },
	{ 0x5c, "64 KiB units above 4 GiB, bits 8-15" },
	{ 0x5d, "64 KiB units above 4 GiB, bits 16-23" },
	{ 0x5f, "number of CPUs - 1" },
	{ 0x14, "equipment byte" },
	{ 0x3d, "boot order, first and second device" },
	{ 0x38, "boot order, third device; bit 0: skip floppy signature check" },
};

static void print_e820_bytes(FILE *out, const uint8_t *buf, size_t n)
{
	for (size_t e = 0; e < n; e++) {
		const uint8_t *p = buf + e * E820_ENTRY_SIZE;

		fprintf(out, "    ");
		for (size_t i = 0; i < E820_ENTRY_SIZE; i++)
			fprintf(out, "%02x%s", p[i], i == 7 || i == 15 ? "  " : " ");
		fprintf(out, "\n");
	}
}

int pc_memmap_print(const struct vm_config *cfg, FILE *out)
{
	struct pc_memory_layout *layout = calloc(1, sizeof(*layout));
	uint8_t file[E820_MAX_ENTRIES * E820_ENTRY_SIZE];
	uint8_t legacy[E820_LEGACY_SIZE];
	struct cmos *cmos;
	size_t len;
	char *text;

	if (!layout)
		return err_set("out of memory");
	/* As under KVM with the identity-map capability (every x86 KVM has it). */
	if (pc_firmware_layout(cfg, true, layout) < 0) {
		free(layout);
		return -1;
	}
	/*
	 * With -kernel there is no firmware: the listing shows the table Linux
	 * finds in its zero page (the fw_cfg bytes below stay the machine's).
	 */
	struct e820_table machine_e820 = layout->e820, boot_e820;

	if (cfg->kernel) {
		if (kernel_boot_table(layout, &boot_e820) < 0) {
			free(layout);
			return -1;
		}
		layout->e820 = boot_e820;
	}
	len = pc_memory_format(layout, NULL, 0) + 1;
	text = malloc(len);
	if (!text) {
		free(layout);
		return err_set("out of memory");
	}
	pc_memory_format(layout, text, len);
	fprintf(out, "machine %s, -m %llu MiB, %u vCPU%s\n", cfg->machine_name,
		(unsigned long long)(cfg->ram_size >> 20), cfg->smp,
		cfg->smp == 1 ? "" : "s");
	fputs(text, out);
	free(text);
	if (cfg->kernel) {
		fprintf(out, "(-kernel: the E820 above is the table Linux finds in its zero page (a multiboot\n"
			     " kernel in its memory map), with the low megabyte and the ACPI tables described;\n"
			     " fw_cfg below keeps the machine's)\n");
		layout->e820 = machine_e820;
	}
	for (size_t i = 0; i < layout->nr_warnings; i++)
		fprintf(out, "warning: %s\n", layout->warnings[i]);

	len = e820_serialize_file(&layout->e820, file, sizeof(file));
	fprintf(out, "\nfw_cfg file etc/e820 (%zu bytes: u64 address, u64 length, u32 type, little-endian):\n",
		len);
	print_e820_bytes(out, file, len / E820_ENTRY_SIZE);
	e820_serialize_legacy(&layout->e820, legacy, sizeof(legacy));
	fprintf(out, "fw_cfg key FW_CFG_E820_TABLE 0x%04x (reserved entries only: u32 count %u, then %d slots):\n",
		FW_CFG_E820_TABLE, (unsigned)layout->e820.nr_legacy,
		E820_LEGACY_MAX);
	print_e820_bytes(out, legacy + 4, layout->e820.nr_legacy);

	cmos = cmos_create(NULL, NULL);
	if (!cmos || pc_firmware_cmos(cmos, layout) < 0) {
		if (cmos)
			cmos_device_ops.destroy(cmos);
		free(layout);
		return -1;
	}
	fprintf(out, "\nCMOS NVRAM (ports 0x70/0x71):\n");
	for (size_t i = 0; i < sizeof(cmos_memory_bytes) / sizeof(cmos_memory_bytes[0]); i++)
		fprintf(out, "  0x%02x = 0x%02x  %s\n", cmos_memory_bytes[i].reg,
			cmos_get_byte(cmos, cmos_memory_bytes[i].reg),
			cmos_memory_bytes[i].meaning);
	cmos_device_ops.destroy(cmos);
	free(layout);
	if (cfg->nr_vdevs)
		fprintf(out, "\n");
	virtio_devices_describe(cfg, out);
	return 0;
}

int arch_memmap(const struct vm_config *cfg, FILE *out)
{
	if (cfg->machine != MACHINE_PC)
		return err_set("memmap describes the pc machine's firmware view; -M %s has one RAM region (see -v)",
			       cfg->machine_name);
	return pc_memmap_print(cfg, out);
}
