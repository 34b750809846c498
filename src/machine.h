/* SPDX-License-Identifier: MIT */
/*
 * Machines: what to create for a configuration, in one readable function per
 * machine (docs/ARCHITECTURE.md, "Machines").  The bare machine is generic; every other
 * machine comes from the architecture (x86: pc).
 */
#ifndef MINIVMM_MACHINE_H
#define MINIVMM_MACHINE_H

struct vm;

/*
 * Build memory regions, devices, the loaded image and vm->boot for
 * vm->cfg->machine.  Memory slots and vCPUs are created afterwards by vm.c.
 */
int machine_create(struct vm *vm);

/*
 * Load the images again and fill vm->boot, after a machine reset (RAM is
 * kept, as on a PC's warm reset; the loaders overwrite what they own).
 */
int machine_load(struct vm *vm);

/* Arch hook of machine_load for machines other than bare. */
int arch_machine_load(struct vm *vm);

/* The --debugcon and --debugcon-mmio consoles (every machine has them). */
int machine_add_debugcons(struct vm *vm);

/*
 * The host side of the serial console (-serial), for a UART the machine has
 * just added: the console device (added after the UART, so it is destroyed
 * first and its input thread stops before the UART goes), Ctrl-A x stopping
 * the VM, and vm->console.  The caller attaches its UART to the result.
 * NULL with err_msg() on failure.
 */
struct console;
struct console *machine_add_console(struct vm *vm);

/* Arch hook: create a machine other than bare (x86: pc). */
int arch_machine_create(struct vm *vm);

/* Arch hook: whether this machine kind uses the in-kernel irqchip. */
int arch_machine_has_irqchip(int kind);

#endif
