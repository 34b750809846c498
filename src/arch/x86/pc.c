// SPDX-License-Identifier: MIT
/*
 * The pc machine: QEMU's i440fx "pc" as firmware sees it.  One function
 * creates everything, in order: interrupt controllers, RAM, firmware, then
 * the legacy devices, each created, added to the device list and attached
 * to its bus (device.h).  Addresses are in layout.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/acpi_pm.h"
#include "dev/boot_marker.h"
#include "chardev.h"
#include "console.h"
#include "dev/cmos.h"
#include "dev/serial8250.h"
#include "dev/fw_cfg.h"
#include "dev/i8042.h"
#include "dev/pci.h"
#include "dev/pc_testdev.h"
#include "dev/pci_host.h"
#include "dev/post.h"
#include "layout.h"
#include "kernel_boot.h"
#include "log.h"
#include "machine.h"
#include "pc_firmware.h"
#include "pc_msi.h"
#include "vm.h"
#include "virtio/devices.h"
#include "x86.h"

int arch_machine_has_irqchip(int kind)
{
	return kind == MACHINE_PC;
}

/* GSIs go to KVM_IRQ_LINE as they are; pc_irq_routing() maps them. */
uint32_t arch_irq_kvm_number(unsigned irq)
{
	return irq;
}

/*
 * In-kernel PIC, IOAPIC and LAPICs, and the i8254 (with port 0x61); the
 * GSI routing table, static routes now and MSI routes as PCI devices come
 * (pc_msi.h).
 */
static int pc_create_irqchip(struct vm *vm)
{
	/* The in-kernel PIT also answers port 0x61 (speaker/gate). */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	struct pc_msi *msi;

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
		return err_set("-M pc needs KVM_CAP_IRQCHIP (the in-kernel interrupt controllers)");
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_errno("KVM_CREATE_IRQCHIP");
	/* -M pc,pit=off: no i8254 (kvm-unit-tests' vmexit_ipi asks so). */
	if (!vm->cfg->no_pit &&
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0)
		return err_set("-M pc needs KVM_CAP_PIT2 (the in-kernel timer)");
	if (!vm->cfg->no_pit && ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_errno("KVM_CREATE_PIT2");
	msi = pc_msi_create_vm(vm);
	if (!msi)
		return -1;
	return device_list_add(&vm->devices, PC_MSI_DEVICE_NAME,
			       &pc_msi_device_ops, msi);
}

/* The backend of one RAM piece: the machine's own RAM, or an -object. */
static struct mem_backend *pc_backend(struct vm *vm, int index,
				      struct mem_backend **made)
{
	const struct vm_config *cfg = vm->cfg;
	struct mem_backend_cfg bcfg = { 0 };
	const char *name = "pc.ram";
	uint64_t size = cfg->ram_size;
	int slot = index + 1; /* made[0] is pc.ram */

	if (made[slot])
		return made[slot];
	if (index == PC_RAM_BACKEND_MAIN) {
		bcfg.path = cfg->mem_path;
		bcfg.prealloc = cfg->mem_prealloc;
	} else {
		const struct mem_object *o = &cfg->objects[index];

		name = o->id;
		size = o->size;
		bcfg.path = o->is_file ? o->mem_path : NULL;
		bcfg.share = o->share;
		bcfg.prealloc = o->prealloc || cfg->mem_prealloc;
	}
	made[slot] = mem_backend_create(&vm->mem, name, size, &bcfg);
	return made[slot];
}

/*
 * RAM pieces become regions; the piece covering the VGA window is cut
 * around it (the RAM behind 0xa0000-0xbffff exists but is not mapped, as
 * in QEMU when the VGA window routes to the PCI bus).
 */
static int pc_map_ram(struct vm *vm, const struct pc_memory_layout *layout)
{
	struct mem_backend *made[CONFIG_MAX_OBJECTS + 1] = { 0 };

	for (size_t i = 0; i < layout->nr_pieces; i++) {
		const struct pc_ram_piece *p = &layout->pieces[i];
		struct mem_backend *b = pc_backend(vm, p->backend, made);
		uint64_t end = p->gpa + p->size;
		char name[32];

		if (!b)
			return -1;
		snprintf(name, sizeof(name), "ram%zu", i);
		if (p->gpa < PC_VGA_WINDOW_END && end > PC_VGA_WINDOW) {
			uint64_t lo = PC_VGA_WINDOW - p->gpa;

			if (p->gpa < PC_VGA_WINDOW &&
			    mem_add_region(&vm->mem, "ram-low", b, p->offset,
					   p->gpa, lo, false, true) < 0)
				return -1;
			if (end > PC_VGA_WINDOW_END &&
			    mem_add_region(&vm->mem, name, b,
					   p->offset + (PC_VGA_WINDOW_END - p->gpa),
					   PC_VGA_WINDOW_END,
					   end - PC_VGA_WINDOW_END, false, true) < 0)
				return -1;
			continue;
		}
		if (mem_add_region(&vm->mem, name, b, p->offset, p->gpa, p->size,
				   false, true) < 0)
			return -1;
	}
	return 0;
}

/*
 * The firmware image: read-only at the top of 4 GiB, its last 128 KiB also
 * below 1 MiB (QEMU hw/i386/x86.c x86_bios_rom_init).  The ROM is read
 * once, at creation; its low copy is RAM the firmware changes (it shadows
 * itself there), so pc_load_bios() puts it back at every reset.
 */
static int pc_create_bios(struct vm *vm, const char *path)
{
	struct mem_backend_cfg bcfg = { 0 };
	struct mem_backend *rom;
	uint64_t size;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno("--bios %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set("--bios %s: not a regular file", path);
	}
	size = (uint64_t)st.st_size;
	if (size == 0 || size % PC_BIOS_ALIGN || size > PC_BIOS_MAX_SIZE) {
		close(fd);
		return err_set("--bios %s: %llu bytes; a PC firmware image is a whole number of 64 KiB blocks, at most 16 MiB",
			       path, (unsigned long long)size);
	}
	rom = mem_backend_create(&vm->mem, "pc.bios", size, &bcfg);
	if (!rom || mem_add_region(&vm->mem, "bios", rom, 0, X86_4G - size,
				   size, true, false) < 0) {
		close(fd);
		return -1;
	}
	if (mem_read_fd(&vm->mem, X86_4G - size, fd, size, MEM_ALLOW_ROM) < 0) {
		err_set("--bios %s: %s", path, err_msg());
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int pc_load_bios(struct vm *vm)
{
	const struct mem_region *rom = mem_find(&vm->mem, X86_4G - 1);
	uint64_t size, isa;

	if (!rom || rom->is_ram)
		return err_set("-M pc: no firmware below 4 GiB");
	size = rom->size;
	isa = size < PC_ISA_BIOS_MAX ? size : PC_ISA_BIOS_MAX;
	if (mem_copy_within(&vm->mem, PC_ISA_BIOS_END - isa, X86_4G - isa,
			    isa) < 0)
		return err_set("--bios: no RAM below 1 MiB for its low copy");
	vm->boot.reset_vector = true;
	vm->boot.load_addr = X86_4G - size;
	vm->boot.image_size = size;
	vm->boot.entry = 0xfffffff0;
	return 0;
}

static void pc_reset_request(void *ctx)
{
	vm_request_reset(ctx, "guest reset the machine (i8042, port 0x92 or 0xcf9)");
}

static void pc_poweroff_request(void *ctx)
{
	vm_request_stop(ctx, VM_STOP_POWEROFF,
			"guest powered off (ACPI S5 through PM1a_CNT)");
}

/* ACPI PM1a event/control blocks and PM timer, as the FADT lists them. */
static int pc_create_acpi_pm(struct vm *vm)
{
	struct irq_line *sci;
	struct acpi_pm *pm;

	pm = acpi_pm_create(PC_ACPI_S5_SLP_TYP, pc_poweroff_request, vm);
	if (!pm ||
	    device_list_add(&vm->devices, "acpi-pm", &acpi_pm_device_ops, pm) < 0 ||
	    acpi_pm_register(pm, &vm->pio, PC_ACPI_PM_BASE) < 0)
		return -1;
	acpi_pm_set_suspend(pm, PC_ACPI_S3_SLP_TYP, pc_suspend_request, vm);
	((struct x86_vm *)vm->arch)->pm = pm;
	sci = vm_irq_line(vm, PC_ACPI_SCI_IRQ);
	if (!sci)
		return -1;
	acpi_pm_set_irq(pm, sci);
	return 0;
}

/* COM1 and the host side of the console (-serial). */
/* -device pc-testdev: its interrupt lines and page flushes reach the VM here. */
static void testdev_set_irq(void *opaque, unsigned irq, bool level)
{
	/* Made at creation: the lookup does not change the table. */
	struct irq_line *line = vm_irq_line(opaque, irq);

	if (line)
		irq_line_set(line, level);
}

static void testdev_flush_page(void *opaque, uint64_t gpa)
{
	struct vm *vm = opaque;
	uint8_t *hva = gpa_to_hva(&vm->mem, gpa, 4096);

	/*
	 * Protecting the host page makes KVM drop its mapping (an MMU
	 * notifier); the guest's next access maps it again.  As QEMU.
	 */
	if (!hva || ((uintptr_t)hva & 4095))
		return;
	if (mprotect(hva, 4096, PROT_NONE) == 0)
		mprotect(hva, 4096, PROT_READ | PROT_WRITE);
}

static int pc_create_testdev(struct vm *vm)
{
	const struct pc_testdev_host host = {
		.set_irq = testdev_set_irq,
		.flush_page = testdev_flush_page,
		.opaque = vm,
	};
	struct pc_testdev *t;

	if (!vm->cfg->pc_testdev)
		return 0;
	for (unsigned i = 0; i < PC_TESTDEV_NR_IRQS; i++)
		if (!vm_irq_line(vm, i))
			return err_set("-device pc-testdev: %s", err_msg());
	t = pc_testdev_create(&host);
	if (!t ||
	    device_list_add(&vm->devices, "pc-testdev", &pc_testdev_device_ops,
			    t) < 0 ||
	    pc_testdev_register(t, &vm->pio, &vm->mmio) < 0)
		return err_set("-device pc-testdev: %s", err_msg());
	return 0;
}

static int pc_create_serial(struct vm *vm)
{
	struct chardev_host host;
	struct chardev_port port;
	struct serial8250 *uart;
	struct irq_line *irq;

	if (vm->cfg->serial.kind == CONSOLE_NONE)
		return 0;
	uart = serial8250_create();
	if (!uart ||
	    device_list_add(&vm->devices, "com1", &serial8250_device_ops, uart) < 0 ||
	    serial8250_register(uart, &vm->pio, PC_COM1_PORT) < 0)
		return -1;
	irq = vm_irq_line(vm, PC_COM1_IRQ);
	if (!irq)
		return -1;
	serial8250_set_irq(uart, irq);
	port = (struct chardev_port){ .receive = serial8250_receive, .dev = uart };
	if (machine_add_serial(vm, &port, &host) < 0)
		return -1;
	serial8250_set_host(uart, &host);
	return 0;
}

/*
 * The 32-bit PCI hole reaches the PCI bus (layout.h): the PCI window from
 * the end of low RAM to PC_PCI_WINDOW_END, and the part above the
 * virtio-mmio window up to the IOAPIC, where SeaBIOS puts BARs first.
 * Low RAM may end inside either (max-ram-below-4g): only what lies above
 * it is claimed.
 */
static int pc_pci_windows(struct vm *vm, struct pci_host *pci,
			  const struct pc_memory_layout *layout)
{
	uint64_t low = layout->below_4g;

	if (low < PC_PCI_WINDOW_END &&
	    pci_host_register_mmio(pci, &vm->mmio, low, PC_PCI_WINDOW_END) < 0)
		return -1;
	if (pci_host_register_mmio(pci, &vm->mmio,
				   low > PC_PCI_UPPER_START ? low : PC_PCI_UPPER_START,
				   PC_IOAPIC_ADDR) < 0)
		return -1;
	return 0;
}

/*
 * No firmware assigns BARs when Linux is loaded directly: do it as
 * firmware would, in the PCI window, before every boot (a reset cleared
 * them).  SeaBIOS, when it runs, assigns its own.
 */
static int pc_pci_assign(struct vm *vm, const struct pc_memory_layout *layout)
{
	struct pci_host *pci = pc_pci_host_of(vm);
	uint64_t low = layout->below_4g;

	if (!pci || !pci->nr_devices)
		return 0;
	if (low >= PC_PCI_WINDOW_END)
		return err_set("-kernel: low RAM ends at 0x%llx, above the PCI window (0x%llx): no room for the PCI devices' BARs",
			       (unsigned long long)low,
			       (unsigned long long)PC_PCI_WINDOW_END);
	if (pci_host_assign_bars(pci, low, PC_PCI_WINDOW_END) < 0)
		return err_set("-kernel: %s", err_msg());
	return 0;
}

int arch_ctrl_alt_del(struct vm *vm)
{
	struct x86_vm *x = vm->arch;

	if (!x->kbd)
		return err_set("this machine has no keyboard controller (-M pc has)");
	return i8042_send_ctrl_alt_del(x->kbd);
}

int arch_machine_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	const char *bios = cfg->bios ? cfg->bios : PC_DEFAULT_BIOS;
	struct pc_memory_layout *layout;
	struct i8042 *kbd;
	struct pci_host *pci;
	struct cmos *cmos;
	struct fw_cfg *fw;
	struct post *post;
	struct boot_marker *marker;
	bool ident;
	int r = -1;

	layout = calloc(1, sizeof(*layout));
	if (!layout)
		return err_set("out of memory");
	ident = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
		      KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0;
	if (pc_firmware_layout(cfg, ident, layout) < 0)
		goto out;
	for (size_t i = 0; i < layout->nr_warnings; i++)
		log_warn("%s", layout->warnings[i]);

	if (pc_create_irqchip(vm) < 0 || pc_map_ram(vm, layout) < 0)
		goto out;
	/* Firmware from the reset vector, or (machine_load) Linux directly. */
	if (!cfg->kernel && pc_create_bios(vm, bios) < 0)
		goto out;

	/* Machine types up to 2.4 had no fw_cfg DMA (QEMU hw_compat_2_4). */
	fw = fw_cfg_create(layout->compat.major > 2 ||
					   (layout->compat.major == 2 &&
					    layout->compat.minor > 4) ?
				   &vm->mem :
				   NULL);
	if (!fw ||
	    device_list_add(&vm->devices, "fw_cfg", &fw_cfg_device_ops, fw) < 0 ||
	    pc_firmware_fw_cfg(fw, cfg, layout) < 0 ||
	    fw_cfg_register(fw, &vm->pio, PC_FW_CFG_PORT) < 0)
		goto out;

	cmos = cmos_create(NULL, NULL);
	if (!cmos ||
	    device_list_add(&vm->devices, "cmos", &cmos_device_ops, cmos) < 0 ||
	    pc_firmware_cmos(cmos, layout) < 0 ||
	    cmos_register(cmos, &vm->pio, PC_CMOS_PORT) < 0)
		goto out;
	((struct x86_vm *)vm->arch)->cmos = cmos;

	kbd = i8042_create(pc_reset_request, vm);
	if (kbd) {
		kbd->kbd_irq = vm_irq_line(vm, 1);
		((struct x86_vm *)vm->arch)->kbd = kbd;
	}
	if (!kbd || !kbd->kbd_irq ||
	    device_list_add(&vm->devices, "i8042", &i8042_device_ops, kbd) < 0 ||
	    i8042_register(kbd, &vm->pio) < 0)
		goto out;
	pci = pci_host_create(pc_reset_request, vm);
	if (!pci ||
	    device_list_add(&vm->devices, PC_PCI_HOST_NAME, &pci_host_device_ops,
			    pci) < 0 ||
	    pci_host_register(pci, &vm->pio) < 0 ||
	    pc_pci_windows(vm, pci, layout) < 0)
		goto out;
	if (pc_create_serial(vm) < 0)
		goto out;
	if (pc_create_acpi_pm(vm) < 0)
		goto out;
	post = post_create();
	if (!post ||
	    device_list_add(&vm->devices, "post", &post_device_ops, post) < 0 ||
	    post_register(post, &vm->pio, PC_POST_PORT) < 0)
		goto out;
	marker = boot_marker_create(&vm->start_time, stderr);
	if (!marker ||
	    device_list_add(&vm->devices, "boot-marker",
			    &boot_marker_device_ops, marker) < 0 ||
	    boot_marker_register(marker, &vm->pio, BOOT_MARKER_PORT) < 0)
		goto out;
	if (machine_add_debugcons(vm) < 0 || pc_create_testdev(vm) < 0 ||
	    virtio_devices_create(vm) < 0)
		goto out;
	r = 0;
out:
	/* Kept for arch_machine_load, at creation and at every reset. */
	((struct x86_vm *)vm->arch)->layout = layout;
	return r;
}

int arch_machine_load(struct vm *vm)
{
	const struct pc_memory_layout *layout = ((struct x86_vm *)vm->arch)->layout;

	if (!vm->cfg->kernel)
		return pc_load_bios(vm);
	if (kernel_boot_setup(vm, layout) < 0)
		return -1;
	return pc_pci_assign(vm, layout);
}
