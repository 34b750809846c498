// SPDX-License-Identifier: MIT
/*
 * The bare machine (README, "Flat images on the bare machine"): one RAM
 * region at ram-base, the debug consoles, and a flat image.  No interrupt
 * controller, so HLT
 * leaves the guest and ends the run.
 */
#include "machine.h"

#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "block/image.h"
#include "chardev.h"
#include "console.h"
#include "dev/debug_exit.h"
#include "dev/debugcon.h"
#include "loader/flat.h"
#include "log.h"
#include "virtio/devices.h"
#include "vm.h"

static void console_quit(void *ctx)
{
	vm_request_stop(ctx, VM_STOP_SIGNAL, "Ctrl-A x on the console");
}

struct console *machine_console(struct vm *vm)
{
	struct console_spec stdio;
	const struct console_spec *spec = &vm->cfg->serial;
	struct console *con;

	if (vm->console)
		return vm->console;
	/* -serial none removes the UART; a virtio console still has stdio. */
	if (spec->kind == CONSOLE_NONE) {
		console_spec_init(&stdio);
		spec = &stdio;
	}
	con = console_create(spec);
	if (!con)
		return NULL;
	console_set_quit(con, console_quit, vm);
	vm->console = con;
	return con;
}

int machine_add_serial(struct vm *vm, const struct chardev_port *port,
		       struct chardev_host *host)
{
	struct console *con = machine_console(vm);

	if (!con)
		return -1;
	console_attach(con, port, host);
	return 0;
}

static void debug_exit_stop(void *opaque, int status)
{
	vm_request_exit(opaque, status);
}

int machine_add_debugcons(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	char name[DEVICE_NAME_MAX];

	for (size_t i = 0; i < cfg->nr_debugcon; i++) {
		struct debugcon *dc = debugcon_create(cfg->debugcon[i], stdout);

		snprintf(name, sizeof(name), "debugcon-0x%x", cfg->debugcon[i]);
		if (!dc ||
		    device_list_add(&vm->devices, name, &debugcon_device_ops,
				    dc) < 0 ||
		    debugcon_register(dc, &vm->pio) < 0)
			return err_set("--debugcon 0x%x: %s", cfg->debugcon[i],
				       err_msg());
	}
	for (size_t i = 0; i < cfg->nr_debugcon_mmio; i++) {
		uint64_t addr = cfg->debugcon_mmio[i];
		struct debugcon *dc = debugcon_create(addr, stdout);

		snprintf(name, sizeof(name), "debugcon-mmio-0x%llx",
			 (unsigned long long)addr);
		if (!dc ||
		    device_list_add(&vm->devices, name, &debugcon_device_ops,
				    dc) < 0 ||
		    debugcon_register_mmio(dc, &vm->mmio) < 0)
			return err_set("--debugcon-mmio 0x%llx: %s",
				       (unsigned long long)addr, err_msg());
	}
	if (cfg->debug_exit) {
		struct debug_exit *de = debug_exit_create(cfg->debug_exit_iobase,
							  cfg->debug_exit_iosize,
							  debug_exit_stop, vm);

		if (!de ||
		    device_list_add(&vm->devices, "isa-debug-exit",
				    &debug_exit_device_ops, de) < 0 ||
		    debug_exit_register(de, &vm->pio) < 0)
			return err_set("-device isa-debug-exit: %s", err_msg());
	}
	return 0;
}

static int bare_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct mem_backend_cfg bcfg = {
		.path = cfg->mem_path,
		.prealloc = cfg->mem_prealloc,
	};
	struct mem_backend *ram;

	ram = mem_backend_create(&vm->mem, "ram", cfg->ram_size, &bcfg);
	if (!ram)
		return -1;
	if (mem_add_region(&vm->mem, "ram", ram, 0, cfg->ram_base,
			   cfg->ram_size, false, true) < 0)
		return -1;
	/* virtio-mmio devices too: no interrupts here, the guest polls. */
	if (machine_add_debugcons(vm) < 0)
		return -1;
	return virtio_devices_create(vm);
}

static int bare_load(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	uint64_t size = 0;

	if (cfg->image) {
		if (flat_load_file(&vm->mem, cfg->image, cfg->load_addr, &size) < 0)
			return -1;
	} else {
		size = cfg->builtin_image_size;
		if (flat_load_bytes(&vm->mem, "built-in demo guest",
				    cfg->builtin_image, size, cfg->load_addr) < 0)
			return -1;
	}
	vm->boot.mode = cfg->mode;
	vm->boot.load_addr = cfg->load_addr;
	vm->boot.image_size = size;
	vm->boot.entry = cfg->entry;
	if (!gpa_to_hva(&vm->mem, cfg->entry, 1))
		return err_set("--entry 0x%llx is outside RAM",
			       (unsigned long long)cfg->entry);
	return arch_flat_setup(vm);
}

int machine_load(struct vm *vm)
{
	memset(&vm->boot, 0, sizeof(vm->boot));
	if (vm->cfg->machine == MACHINE_BARE)
		return bare_load(vm);
	return arch_machine_load(vm);
}

/* "drive0", "drive1", ...: the device list's name of cfg->drives[i]. */
static void drive_name(char *name, size_t size, size_t index)
{
	snprintf(name, size, "drive%zu", index);
}

static int machine_add_drives(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	char name[DEVICE_NAME_MAX];

	for (size_t i = 0; i < cfg->nr_drives; i++) {
		struct block_image *img = block_image_open(&cfg->drives[i]);

		drive_name(name, sizeof(name), i);
		if (!img || device_list_add(&vm->devices, name,
					    &block_image_device_ops, img) < 0)
			return -1;
	}
	return 0;
}

struct block_image *machine_drive(struct vm *vm, int index)
{
	char name[DEVICE_NAME_MAX];
	struct device *d;

	if (index < 0 || (size_t)index >= vm->cfg->nr_drives)
		return NULL;
	drive_name(name, sizeof(name), (size_t)index);
	d = device_list_find(&vm->devices, name);
	return d && d->ops == &block_image_device_ops ? d->dev : NULL;
}

int machine_create(struct vm *vm)
{
	/*
	 * Every -drive is opened and locked before anything else is built
	 * (a bad image ends the start with exit 2), and the device list
	 * closes it after the devices that use it.
	 */
	if (machine_add_drives(vm) < 0)
		return -1;
	vm->has_irqchip = arch_machine_has_irqchip(vm->cfg->machine);
	if ((vm->cfg->machine == MACHINE_BARE ? bare_create(vm) :
						arch_machine_create(vm)) < 0)
		return -1;
	/* A restore's memory and state come from the snapshot instead. */
	return vm->cfg->restore ? 0 : machine_load(vm);
}
