// SPDX-License-Identifier: MIT
/*
 * The x86 answers to the arch hooks that describe the architecture to the
 * generic code (arch_info) and to those x86 has nothing to do for: no
 * late per-VM setup after the vCPUs, no device tree.
 */
#include "arch/arch.h"
#include "config.h"
#include "layout.h"
#include "log.h"

static const struct arch_info x86_info = {
	.name = "x86_64",
	.machine = MACHINE_PC,
	.machines = "bare, pc, pc-i440fx-1.7",
	.bare_ram_base = 0,
	.has_pio = true,
	.has_cpu_modes = true,
	.bare_debugcon_mmio = 0,
	.bare_end = "HLT ends the run",
};

const struct arch_info *arch_info(void)
{
	return &x86_info;
}

int arch_vcpus_ready(struct vm *vm)
{
	(void)vm;
	return 0;
}

int arch_dtb_write(const struct vm_config *cfg, const char *path)
{
	(void)cfg;
	(void)path;
	return err_set("minivmm dtb: x86 machines have no device tree (ACPI and E820 describe them; see minivmm memmap)");
}
