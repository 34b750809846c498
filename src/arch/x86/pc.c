// SPDX-License-Identifier: MIT
/* The pc machine: arrives with the PC-machine work (memory map, firmware). */
#include "config.h"
#include "log.h"
#include "machine.h"
#include "vm.h"

int arch_machine_has_irqchip(int kind)
{
	return kind == MACHINE_PC;
}

int arch_machine_create(struct vm *vm)
{
	return err_set("-M %s: the pc machine is not built yet",
		       vm->cfg->machine_name);
}
