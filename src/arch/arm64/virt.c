// SPDX-License-Identifier: MIT
/*
 * The virt machine: QEMU's arm64 `virt` board as a kernel sees it.  One
 * function creates everything, in order: the in-kernel
 * GIC, RAM, the PL011 and its console, the debug consoles, the kernel
 * (Documentation/arch/arm64/booting.rst) or a flat image, the initrd, and
 * the device tree whose address x0 carries at entry.  The placement is a
 * plan computed without KVM, shared with `minivmm memmap` and `minivmm
 * dtb`.  Addresses are in layout.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/arch.h"
#include "arm64.h"
#include "chardev.h"
#include "console.h"
#include "dev/debugcon.h"
#include "dev/pl011.h"
#include "fdt.h"
#include "layout.h"
#include "loader/flat.h"
#include "log.h"
#include "machine.h"
#include "virtio/devices.h"
#include "virtio/virtio.h"
#include "vm.h"

int arch_machine_has_irqchip(int kind)
{
	return kind == MACHINE_VIRT;
}

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

void virt_plan_free(struct virt_plan *plan)
{
	if (plan->kernel_data)
		munmap((void *)plan->kernel_data, plan->kernel_map_size);
	plan->kernel_data = NULL;
}

/* Map the kernel file and parse its header (booting.rst section 4). */
static int plan_kernel(const char *path, struct virt_plan *plan)
{
	struct stat st;
	void *map;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno("-kernel %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set("-kernel %s: not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return err_set("-kernel %s: empty file", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return err_errno("-kernel %s: cannot map it", path);
	plan->kernel_data = map;
	plan->kernel_map_size = (size_t)st.st_size;
	if (arm64_image_parse(map, (size_t)st.st_size, path, &plan->image) < 0)
		return -1;
	if (arm64_image_place(&plan->image, plan->ram_base, plan->ram_size,
			      &plan->kernel_gpa, &plan->kernel_end) < 0)
		return err_set("-kernel %s: %s", path, err_msg());
	plan->has_kernel = true;
	return 0;
}

static int plan_make(const struct vm_config *cfg, unsigned gic_version,
		     struct virt_plan *plan)
{
	uint64_t ram_end, low;

	memset(plan, 0, sizeof(*plan));
	plan->ram_base = ARM64_RAM_BASE;
	plan->ram_size = cfg->ram_size;
	plan->gic_version = gic_version;
	if (cfg->ram_size > ARM64_RAM_MAX)
		return err_set("-m %llu MiB: the virt machine has at most %llu GiB of RAM",
			       (unsigned long long)(cfg->ram_size >> 20),
			       (unsigned long long)(ARM64_RAM_MAX >> 30));
	ram_end = plan->ram_base + plan->ram_size;
	if (plan->ram_size < 2 * ARM64_DTB_MAX_SIZE)
		return err_set("-m: the virt machine needs at least 4 MiB of RAM (the device tree has the last 2 MiB block)");
	/* The device tree alone in the last 2 MiB block of RAM. */
	plan->dtb_gpa = align_down(ram_end - ARM64_DTB_MAX_SIZE, ARM64_SZ_2M);

	if (cfg->kernel && plan_kernel(cfg->kernel, plan) < 0)
		return -1;
	if (!cfg->kernel)
		plan->flat_gpa = cfg->load_set ? cfg->load_addr : plan->ram_base;
	low = plan->has_kernel ? plan->kernel_end : plan->ram_base;
	if (plan->has_kernel && plan->kernel_end > plan->dtb_gpa)
		return err_set("-kernel %s: the kernel needs 0x%llx-0x%llx, which reaches the device tree at 0x%llx: give more RAM (-m)",
			       cfg->kernel, (unsigned long long)plan->kernel_gpa,
			       (unsigned long long)plan->kernel_end,
			       (unsigned long long)plan->dtb_gpa);

	if (cfg->initrd) {
		struct stat st;

		if (stat(cfg->initrd, &st) < 0)
			return err_errno("-initrd %s", cfg->initrd);
		if (!S_ISREG(st.st_mode) || st.st_size == 0)
			return err_set("-initrd %s: not a regular, non-empty file",
				       cfg->initrd);
		plan->initrd_size = (uint64_t)st.st_size;
		/* Just below the device tree, clear of the kernel. */
		if (plan->initrd_size > plan->dtb_gpa - low)
			return err_set("-initrd %s: %llu bytes do not fit between the kernel (ends 0x%llx) and the device tree (0x%llx): give more RAM (-m)",
				       cfg->initrd,
				       (unsigned long long)plan->initrd_size,
				       (unsigned long long)low,
				       (unsigned long long)plan->dtb_gpa);
		plan->initrd_gpa = align_down(plan->dtb_gpa - plan->initrd_size,
					      ARM64_INITRD_ALIGN);
		if (plan->initrd_gpa < low)
			return err_set("-initrd %s: does not fit above the kernel: give more RAM (-m)",
				       cfg->initrd);
	}
	return 0;
}

int virt_plan_make(const struct vm_config *cfg, unsigned gic_version,
		   struct virt_plan *plan)
{
	if (plan_make(cfg, gic_version, plan) < 0) {
		virt_plan_free(plan);
		return -1;
	}
	return 0;
}

int virt_dtb_build(const struct vm_config *cfg, const struct virt_plan *plan,
		   void *buf, size_t size)
{
	struct arm64_fdt_info info;

	memset(&info, 0, sizeof(info));
	info.ram_base = plan->ram_base;
	info.ram_size = plan->ram_size;
	info.nr_cpus = cfg->smp;
	info.gic.version = plan->gic_version;
	info.gic.dist_base = ARM64_GIC_DIST_BASE;
	info.gic.dist_size = ARM64_GIC_DIST_SIZE;
	if (plan->gic_version == 3) {
		info.gic.redist_base = ARM64_GIC_REDIST_BASE;
		info.gic.redist_size =
			(uint64_t)cfg->smp * ARM64_GIC_REDIST_PER_CPU;
	} else {
		info.gic.cpu_base = ARM64_GIC_CPU_BASE;
		info.gic.cpu_size = ARM64_GIC_CPU_SIZE;
	}
	/* The binding's order: secure, non-secure physical, virtual, hyp. */
	info.timer_ppi[0] = ARM64_TIMER_PPI_SEC_PHYS;
	info.timer_ppi[1] = ARM64_TIMER_PPI_PHYS;
	info.timer_ppi[2] = ARM64_TIMER_PPI_VIRT;
	info.timer_ppi[3] = ARM64_TIMER_PPI_HYP;
	info.uart_present = cfg->serial.kind != CONSOLE_NONE;
	info.uart_base = ARM64_UART_BASE;
	info.uart_size = ARM64_UART_SIZE;
	info.uart_spi = ARM64_UART_SPI;
	info.uart_clock_hz = ARM64_FDT_APB_PCLK_HZ;
	/* Slots 0..n-1, in the order virtio_devices_create() fills them. */
	info.virtio_count = virtio_mmio_count(cfg);
	info.virtio_base = ARM64_VIRTIO_BASE;
	info.virtio_stride = ARM64_VIRTIO_STRIDE;
	info.virtio_size = ARM64_VIRTIO_SIZE;
	info.virtio_first_spi = ARM64_VIRTIO_FIRST_SPI;
	info.bootargs = cfg->append ? cfg->append : "";
	if (plan->initrd_size) {
		info.initrd_start = plan->initrd_gpa;
		info.initrd_end = plan->initrd_gpa + plan->initrd_size;
	}
	info.psci_method = "hvc";
	return arm64_fdt_build(&info, buf, size);
}

/* The PL011 and the host side of the console (-serial). */
static int virt_create_uart(struct vm *vm)
{
	struct chardev_host host;
	struct chardev_port port;
	struct irq_line *irq;
	struct pl011 *uart;

	if (vm->cfg->serial.kind == CONSOLE_NONE)
		return 0;
	uart = pl011_create();
	if (!uart ||
	    device_list_add(&vm->devices, "pl011", &pl011_device_ops, uart) < 0 ||
	    pl011_register(uart, &vm->mmio, ARM64_UART_BASE) < 0)
		return -1;
	irq = vm_irq_line(vm, ARM64_UART_SPI);
	if (!irq)
		return -1;
	pl011_set_irq(uart, irq);
	port = (struct chardev_port){ .receive = pl011_receive, .dev = uart };
	if (machine_add_serial(vm, &port, &host) < 0)
		return -1;
	pl011_set_host(uart, &host);
	return 0;
}

/* The kernel or the flat image, and the initrd, into RAM. */
static int virt_load(struct vm *vm, const struct virt_plan *plan)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_state *b = &vm->boot;
	uint64_t size;

	if (plan->has_kernel) {
		/*
		 * read() straight into RAM: copying from the mapping the
		 * header was parsed from would fault in every page of it.
		 */
		if (flat_load_file(&vm->mem, cfg->kernel, plan->kernel_gpa,
				   &size) < 0)
			return err_set("-kernel: %s", err_msg());
		if (size != plan->image.file_size)
			return err_set("-kernel %s: changed size while loading",
				       cfg->kernel);
		b->load_addr = b->entry = plan->kernel_gpa;
		b->image_size = plan->image.file_size;
	} else {
		if (flat_load_file(&vm->mem, cfg->image, plan->flat_gpa, &size) < 0)
			return -1;
		if (plan->flat_gpa < plan->dtb_gpa + ARM64_DTB_MAX_SIZE &&
		    plan->dtb_gpa < plan->flat_gpa + size)
			return err_set("%s at 0x%llx-0x%llx overlaps the device tree's block at 0x%llx-0x%llx (the last 2 MiB of RAM): load it lower or give more RAM",
				       cfg->image,
				       (unsigned long long)plan->flat_gpa,
				       (unsigned long long)(plan->flat_gpa + size - 1),
				       (unsigned long long)plan->dtb_gpa,
				       (unsigned long long)(plan->dtb_gpa +
							    ARM64_DTB_MAX_SIZE - 1));
		b->load_addr = plan->flat_gpa;
		b->image_size = size;
		b->entry = cfg->entry_set ? cfg->entry : plan->flat_gpa;
		if (!gpa_to_hva(&vm->mem, b->entry, 4))
			return err_set("--entry 0x%llx is outside RAM",
				       (unsigned long long)b->entry);
		if (arch_flat_setup(vm) < 0)
			return -1;
	}
	if (cfg->initrd) {
		if (flat_load_file(&vm->mem, cfg->initrd, plan->initrd_gpa,
				   &size) < 0)
			return err_set("-initrd: %s", err_msg());
		if (size != plan->initrd_size)
			return err_set("-initrd %s: changed size while loading",
				       cfg->initrd);
	}
	return 0;
}

static int virt_load_dtb(struct vm *vm, const struct virt_plan *plan)
{
	void *buf = malloc(ARM64_DTB_MAX_SIZE);
	int size;

	if (!buf)
		return err_set("out of memory for the device tree");
	size = virt_dtb_build(vm->cfg, plan, buf, ARM64_DTB_MAX_SIZE);
	if (size < 0 || copy_to_guest(&vm->mem, plan->dtb_gpa, buf,
				      (uint64_t)size) < 0) {
		free(buf);
		return size < 0 ? err_set("device tree: %s", err_msg()) :
				  err_set("device tree does not fit in RAM at 0x%llx",
					  (unsigned long long)plan->dtb_gpa);
	}
	free(buf);
	vm->boot.dtb_gpa = plan->dtb_gpa;
	return 0;
}

int arch_machine_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct arm64_vm *av = vm->arch;
	struct mem_backend_cfg bcfg = {
		.path = cfg->mem_path,
		.prealloc = cfg->mem_prealloc,
	};
	struct mem_backend *ram;
	struct virt_plan plan;
	int r = -1;

	/* The GIC first: its version decides the device tree. */
	if (arm64_gic_create(vm, cfg->smp) < 0)
		return -1;
	if (virt_plan_make(cfg, av->gic_version, &plan) < 0)
		goto out;
	ram = mem_backend_create(&vm->mem, "ram", plan.ram_size, &bcfg);
	if (!ram || mem_add_region(&vm->mem, "ram", ram, 0, plan.ram_base,
				   plan.ram_size, false, true) < 0)
		goto out;
	if (virt_create_uart(vm) < 0 || machine_add_debugcons(vm) < 0 ||
	    virtio_devices_create(vm) < 0)
		goto out;
	r = 0;
out:
	virt_plan_free(&plan);
	return r;
}

/* The images and the device tree: at creation and at every reset. */
int arch_machine_load(struct vm *vm)
{
	struct arm64_vm *av = vm->arch;
	struct virt_plan plan;
	int r = -1;

	if (virt_plan_make(vm->cfg, av->gic_version, &plan) < 0)
		return -1;
	if (virt_load(vm, &plan) == 0 && virt_load_dtb(vm, &plan) == 0)
		r = 0;
	virt_plan_free(&plan);
	return r;
}

int arch_virtio_mmio_slot(unsigned n, uint64_t *base, unsigned *irq)
{
	if (n >= ARM64_VIRTIO_COUNT)
		return -1;
	*base = ARM64_VIRTIO_BASE + n * ARM64_VIRTIO_STRIDE;
	*irq = ARM64_VIRTIO_FIRST_SPI + n;
	return 0;
}

int arch_virtio_pci_add(struct vm *vm, struct virtio_dev *dev)
{
	(void)vm;
	err_set("%s: the virt machine has no PCI bus; use the -device (virtio-mmio) spelling",
		dev->name);
	virtio_dev_destroy(dev);
	return -1;
}

int arch_virtio_pci_intx(unsigned slot)
{
	(void)slot;
	return -1;
}

/* The GIC a run would most likely get, for memmap and dtb (no VM there). */
static unsigned virt_default_gic(const struct vm_config *cfg)
{
	return cfg->gic_version ? cfg->gic_version : 3;
}

static void memmap_line(FILE *out, uint64_t start, uint64_t size,
			const char *what)
{
	fprintf(out, "  0x%010llx-0x%010llx  %s\n", (unsigned long long)start,
		(unsigned long long)(start + size - 1), what);
}

int arch_memmap(const struct vm_config *cfg, FILE *out)
{
	struct virt_plan plan;
	unsigned gic;

	if (cfg->machine == MACHINE_BARE) {
		fprintf(out, "machine bare (%s)\n", cfg->machine_why);
		for (size_t i = 0; i < cfg->nr_debugcon_mmio; i++)
			memmap_line(out, cfg->debugcon_mmio[i], DEBUGCON_MMIO_LEN,
				    "debug console (--debugcon-mmio)");
		memmap_line(out, cfg->ram_base, cfg->ram_size, "RAM");
		fprintf(out, "  image at 0x%llx, entry 0x%llx, EL1h, MMU off\n",
			(unsigned long long)cfg->load_addr,
			(unsigned long long)cfg->entry);
		virtio_devices_describe(cfg, out);
		return 0;
	}
	gic = virt_default_gic(cfg);
	if (virt_plan_make(cfg, gic, &plan) < 0)
		return -1;
	fprintf(out, "machine virt (%s), %u vCPU%s, GICv%u%s\n",
		cfg->machine_why, cfg->smp, cfg->smp == 1 ? "" : "s", gic,
		cfg->gic_version ? "" : " (v2 where the host has no v3)");
	memmap_line(out, ARM64_GIC_DIST_BASE, ARM64_GIC_DIST_SIZE,
		    "GIC distributor");
	if (gic == 3)
		memmap_line(out, ARM64_GIC_REDIST_BASE,
			    (uint64_t)cfg->smp * ARM64_GIC_REDIST_PER_CPU,
			    "GICv3 redistributors");
	else
		memmap_line(out, ARM64_GIC_CPU_BASE, ARM64_GIC_CPU_SIZE,
			    "GICv2 CPU interface");
	if (cfg->serial.kind != CONSOLE_NONE)
		memmap_line(out, ARM64_UART_BASE, ARM64_UART_SIZE,
			    "PL011 UART (SPI 1)");
	for (size_t i = 0; i < cfg->nr_debugcon_mmio; i++)
		memmap_line(out, cfg->debugcon_mmio[i], DEBUGCON_MMIO_LEN,
			    "debug console (--debugcon-mmio)");
	memmap_line(out, ARM64_VIRTIO_BASE,
		    ARM64_VIRTIO_COUNT * ARM64_VIRTIO_STRIDE,
		    "virtio-mmio slots (SPIs 16-47)");
	memmap_line(out, plan.ram_base, plan.ram_size, "RAM");
	if (plan.has_kernel)
		memmap_line(out, plan.kernel_gpa,
			    plan.kernel_end - plan.kernel_gpa,
			    "  kernel (image_size)");
	else if (cfg->image)
		fprintf(out, "  flat image at 0x%llx\n",
			(unsigned long long)plan.flat_gpa);
	if (plan.initrd_size)
		memmap_line(out, plan.initrd_gpa, plan.initrd_size, "  initrd");
	memmap_line(out, plan.dtb_gpa, ARM64_DTB_MAX_SIZE,
		    "  device tree block (x0)");
	virt_plan_free(&plan);
	virtio_devices_describe(cfg, out);
	return 0;
}

int arch_dtb_write(const struct vm_config *cfg, const char *path)
{
	struct virt_plan plan;
	void *buf;
	int size, fd;
	bool to_stdout = !strcmp(path, "-");

	if (cfg->machine != MACHINE_VIRT)
		return err_set("minivmm dtb: -M bare has no device tree (use -M virt)");
	if (virt_plan_make(cfg, virt_default_gic(cfg), &plan) < 0)
		return -1;
	buf = malloc(ARM64_DTB_MAX_SIZE);
	if (!buf) {
		virt_plan_free(&plan);
		return err_set("out of memory for the device tree");
	}
	size = virt_dtb_build(cfg, &plan, buf, ARM64_DTB_MAX_SIZE);
	virt_plan_free(&plan);
	if (size < 0) {
		free(buf);
		return err_set("device tree: %s", err_msg());
	}
	fd = to_stdout ? STDOUT_FILENO :
			 open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			      0644);
	if (fd < 0) {
		free(buf);
		return err_errno("-o %s", path);
	}
	for (size_t done = 0; done < (size_t)size;) {
		ssize_t n = write(fd, (char *)buf + done, (size_t)size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_errno("-o %s: write", path);
			free(buf);
			if (!to_stdout)
				close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	free(buf);
	if (!to_stdout && close(fd) < 0)
		return err_errno("-o %s: close", path);
	return 0;
}

int arch_ctrl_alt_del(struct vm *vm)
{
	(void)vm;
	return err_set("the virt machine has no keyboard (x86 only, as in Firecracker)");
}
