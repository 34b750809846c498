// SPDX-License-Identifier: MIT
/*
 * The x86 answers to the arch hooks that describe the architecture to the
 * generic code (arch_info), the late per-VM step after the vCPUs exist,
 * and the device tree x86 does not have.
 */
#include "arch/arch.h"
#include "config.h"
#include "layout.h"
#include "log.h"
#include "vm.h"
#include "x86.h"

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

/* Every vCPU exists: keep the in-kernel irqchip's state for resets. */
int arch_vcpus_ready(struct vm *vm)
{
	struct x86_vm *xv = vm->arch;

	if (!vm->has_irqchip)
		return 0;
	return x86_irqchip_get(vm, &xv->irqchip_reset);
}

int arch_dtb_write(const struct vm_config *cfg, const char *path)
{
	(void)cfg;
	(void)path;
	return err_set("minivmm dtb: x86 machines have no device tree (ACPI and E820 describe them; see minivmm memmap)");
}
