/* SPDX-License-Identifier: MIT */
/*
 * Machines: what to create for a configuration, in one readable function per
 * machine (docs/ARCHITECTURE.md, "The device interface").  The bare machine
 * is generic; every other machine comes from the architecture (x86: pc,
 * arm64: virt).  Every device is created, added to vm->devices with its
 * ops and then attached to a bus (device.h).
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

/*
 * The --debugcon and --debugcon-mmio consoles (every machine has them), and
 * -device isa-debug-exit (machines with ports).
 */
int machine_add_debugcons(struct vm *vm);

/*
 * The host side of the serial console (-serial) for the UART the machine
 * has just added: the console (vm->console; vm_destroy() destroys it after
 * the devices, and vm_run() has stopped its input thread before that),
 * Ctrl-A x stopping the VM, and console_attach(): console input goes to
 * port->receive, and *host is filled with the console's write() and
 * rx_ready() for the caller to give its UART (X_set_host).  -1 with
 * err_msg() on failure.
 */
struct chardev_host;
struct chardev_port;
/*
 * The host side of the guest's consoles (-serial; stdio when -serial none
 * and a virtio console wants one), created on first use: vm->console, with
 * Ctrl-A x stopping the VM.  NULL with err_msg().  Every character device
 * attached writes to it; input goes to the one attached last.
 */
struct console;
struct console *machine_console(struct vm *vm);

int machine_add_serial(struct vm *vm, const struct chardev_port *port,
		       struct chardev_host *host);

/*
 * The disk image of cfg->drives[index] (block/image.h), or NULL.
 * machine_create() opens and locks every -drive first, before any device,
 * and adds it to vm->devices as "drive0", "drive1", ... so that it is
 * closed after the devices that use it; a virtio-blk device takes its
 * image from here (vdev_cfg.drive) and does not close it.
 */
struct block_image;
struct block_image *machine_drive(struct vm *vm, int index);

/* Arch hook: create a machine other than bare (x86: pc). */
int arch_machine_create(struct vm *vm);

/* Arch hook: whether this machine kind uses the in-kernel irqchip. */
int arch_machine_has_irqchip(int kind);

#endif
