// SPDX-License-Identifier: MIT
/*
 * The virt machine's device tree, written with libfdt's sequential-write
 * API (nodes in the order they appear, no fix-ups afterwards).  Node and
 * property choices follow QEMU's hw/arm/virt.c and the bindings in Linux's
 * Documentation/devicetree/bindings: arm/psci.yaml, arm/cpus.yaml,
 * interrupt-controller/arm,gic-v3.yaml and arm,gic.yaml, timer/
 * arm,arch_timer.yaml, serial/pl011.yaml, clock/fixed-clock.yaml and
 * virtio/mmio.yaml.
 */
/* First, and with this set: see fdt.h (its name shadows libfdt's). */
#define ARM64_FDT_WITH_LIBFDT
#include <libfdt.h>

#include "fdt.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* Fixed phandles: the tree is built in one pass, so they are known early. */
#define PHANDLE_GIC 1
#define PHANDLE_APB_PCLK 2

/* GICv3: each vCPU's redistributor is two 64 KiB frames (RD_base, SGI_base). */
#define GICV3_REDIST_STRIDE 0x20000ull

/* The GIC binding's PPI numbers are 0-15, SPI numbers 0-987 (INTID 32-1019). */
#define GIC_MAX_PPI 16
#define GIC_MAX_SPI 988

/* PSCI 0.2 function IDs (PSCI spec, DEN0022, table 5), for "arm,psci". */
#define PSCI_FN64_CPU_SUSPEND 0xc4000001u
#define PSCI_FN_CPU_OFF 0x84000002u
#define PSCI_FN64_CPU_ON 0xc4000003u
#define PSCI_FN64_MIGRATE 0xc4000005u

uint64_t arm64_fdt_mpidr(unsigned index)
{
	/* KVM reset_mpidr(): 16 vCPUs per cluster in Aff0, then Aff1, Aff2. */
	return (uint64_t)(index & 0xf) | (uint64_t)((index >> 4) & 0xff) << 8 |
	       (uint64_t)((index >> 12) & 0xff) << 16;
}

/* The first libfdt error, kept while the rest of the build is skipped. */
struct builder {
	void *fdt;
	int err;
};

static void check(struct builder *b, int r)
{
	if (r < 0 && !b->err)
		b->err = r;
}

/* Call into libfdt only while nothing has failed (the buffer may be bad). */
#define FDT_DO(b, call)                      \
	do {                                 \
		if (!(b)->err)               \
			check((b), (call));  \
	} while (0)

static void begin(struct builder *b, const char *name)
{
	FDT_DO(b, fdt_begin_node(b->fdt, name));
}

static void end(struct builder *b)
{
	FDT_DO(b, fdt_end_node(b->fdt));
}

static void prop(struct builder *b, const char *name, const void *val,
		 int len)
{
	FDT_DO(b, fdt_property(b->fdt, name, val, len));
}

static void prop_u32(struct builder *b, const char *name, uint32_t v)
{
	FDT_DO(b, fdt_property_u32(b->fdt, name, v));
}

static void prop_u64(struct builder *b, const char *name, uint64_t v)
{
	FDT_DO(b, fdt_property_u64(b->fdt, name, v));
}

static void prop_str(struct builder *b, const char *name, const char *s)
{
	FDT_DO(b, fdt_property_string(b->fdt, name, s));
}

/* A list of strings; `list` holds them NUL-separated (sizeof a literal). */
#define prop_strs(b, name, list) prop((b), (name), (list), sizeof(list))

/* A property of n 32-bit cells. */
static void prop_cells(struct builder *b, const char *name,
		       const uint32_t *cells, unsigned n)
{
	fdt32_t be[12];

	for (unsigned i = 0; i < n && i < 12; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	prop(b, name, be, (int)(n * sizeof(be[0])));
}

/* reg with #address-cells = #size-cells = 2: n (base, size) pairs. */
static void prop_reg(struct builder *b, const uint64_t *pairs, unsigned n)
{
	fdt64_t be[4];

	for (unsigned i = 0; i < 2 * n && i < 4; i++)
		be[i] = cpu_to_fdt64(pairs[i]);
	prop(b, "reg", be, (int)(2 * n * sizeof(be[0])));
}

/* "name@ADDR", the unit address in hex without 0x. */
static void begin_at(struct builder *b, const char *name, uint64_t addr)
{
	char node[64];

	snprintf(node, sizeof(node), "%s@%llx", name, (unsigned long long)addr);
	begin(b, node);
}

static void add_cpus(struct builder *b, const struct arm64_fdt_info *info)
{
	begin(b, "cpus");
	prop_u32(b, "#address-cells", 1); /* MPIDR Aff3 is always 0 here */
	prop_u32(b, "#size-cells", 0);
	for (unsigned i = 0; i < info->nr_cpus; i++) {
		uint64_t mpidr = arm64_fdt_mpidr(i);

		begin_at(b, "cpu", mpidr);
		prop_str(b, "device_type", "cpu");
		prop_str(b, "compatible", "arm,armv8");
		prop_u32(b, "reg", (uint32_t)mpidr);
		prop_str(b, "enable-method", "psci");
		end(b);
	}
	end(b);
}

static void add_psci(struct builder *b, const struct arm64_fdt_info *info)
{
	begin(b, "psci");
	prop_strs(b, "compatible", "arm,psci-0.2\0arm,psci");
	prop_str(b, "method", info->psci_method ? info->psci_method : "hvc");
	/* Only "arm,psci" (0.1) readers use these; 0.2 IDs are fixed. */
	prop_u32(b, "cpu_suspend", PSCI_FN64_CPU_SUSPEND);
	prop_u32(b, "cpu_off", PSCI_FN_CPU_OFF);
	prop_u32(b, "cpu_on", PSCI_FN64_CPU_ON);
	prop_u32(b, "migrate", PSCI_FN64_MIGRATE);
	end(b);
}

static void add_gic(struct builder *b, const struct arm64_fdt_info *info)
{
	begin_at(b, "intc", info->gic.dist_base);
	if (info->gic.version == 3) {
		uint64_t reg[4] = { info->gic.dist_base, info->gic.dist_size,
				    info->gic.redist_base,
				    info->gic.redist_size };

		prop_str(b, "compatible", "arm,gic-v3");
		prop_u32(b, "#redistributor-regions", 1);
		prop_reg(b, reg, 2);
	} else {
		uint64_t reg[4] = { info->gic.dist_base, info->gic.dist_size,
				    info->gic.cpu_base, info->gic.cpu_size };

		prop_str(b, "compatible", "arm,cortex-a15-gic");
		prop_reg(b, reg, 2);
	}
	prop_u32(b, "#interrupt-cells", 3);
	/* No children (no ITS, no v2m); an interrupt-map would read this. */
	prop_u32(b, "#address-cells", 0);
	prop(b, "interrupt-controller", NULL, 0);
	prop_u32(b, "phandle", PHANDLE_GIC);
	end(b);
}

static void add_timer(struct builder *b, const struct arm64_fdt_info *info)
{
	uint32_t flags = ARM64_FDT_IRQ_LEVEL_HIGH, cells[12];

	/* GICv2 PPIs name the CPUs they reach (arm,gic.yaml, cell 3). */
	if (info->gic.version == 2)
		flags |= ((1u << info->nr_cpus) - 1) << 8;
	for (unsigned i = 0; i < 4; i++) {
		cells[3 * i] = ARM64_FDT_IRQ_PPI;
		cells[3 * i + 1] = info->timer_ppi[i];
		cells[3 * i + 2] = flags;
	}
	begin(b, "timer");
	prop_str(b, "compatible", "arm,armv8-timer");
	prop_cells(b, "interrupts", cells, 12);
	prop(b, "always-on", NULL, 0);
	end(b);
}

static void add_uart(struct builder *b, const struct arm64_fdt_info *info)
{
	uint32_t hz = info->uart_clock_hz ? info->uart_clock_hz :
					    ARM64_FDT_APB_PCLK_HZ;
	uint64_t reg[2] = { info->uart_base, info->uart_size };
	uint32_t irq[3] = { ARM64_FDT_IRQ_SPI, info->uart_spi,
			    ARM64_FDT_IRQ_LEVEL_HIGH };
	uint32_t clocks[2] = { PHANDLE_APB_PCLK, PHANDLE_APB_PCLK };

	begin(b, "apb-pclk");
	prop_str(b, "compatible", "fixed-clock");
	prop_u32(b, "#clock-cells", 0);
	prop_u32(b, "clock-frequency", hz);
	prop_str(b, "clock-output-names", "clk24mhz");
	prop_u32(b, "phandle", PHANDLE_APB_PCLK);
	end(b);

	begin_at(b, "pl011", info->uart_base);
	prop_strs(b, "compatible", "arm,pl011\0arm,primecell");
	prop_reg(b, reg, 1);
	prop_cells(b, "interrupts", irq, 3);
	prop_cells(b, "clocks", clocks, 2);
	prop_strs(b, "clock-names", "uartclk\0apb_pclk");
	end(b);
}

static void add_virtio(struct builder *b, const struct arm64_fdt_info *info)
{
	for (unsigned i = 0; i < info->virtio_count; i++) {
		uint64_t base = info->virtio_base + i * info->virtio_stride;
		uint64_t reg[2] = { base, info->virtio_size };
		uint32_t irq[3] = { ARM64_FDT_IRQ_SPI,
				    info->virtio_first_spi + i,
				    info->virtio_level ?
					    ARM64_FDT_IRQ_LEVEL_HIGH :
					    ARM64_FDT_IRQ_EDGE_RISING };

		begin_at(b, "virtio_mmio", base);
		prop_str(b, "compatible", "virtio,mmio");
		prop_reg(b, reg, 1);
		prop_cells(b, "interrupts", irq, 3);
		prop(b, "dma-coherent", NULL, 0);
		end(b);
	}
}

static void add_chosen(struct builder *b, const struct arm64_fdt_info *info)
{
	begin(b, "chosen");
	if (info->bootargs)
		prop_str(b, "bootargs", info->bootargs);
	if (info->uart_present) {
		char path[64];

		snprintf(path, sizeof(path), ARM64_FDT_UART_NODE_FMT,
			 (unsigned long long)info->uart_base);
		prop_str(b, "stdout-path", path);
	}
	if (info->initrd_end) {
		prop_u64(b, "linux,initrd-start", info->initrd_start);
		prop_u64(b, "linux,initrd-end", info->initrd_end);
	}
	end(b);
}

/* Reject descriptions Linux would choke on, with the field named. */
static int validate(const struct arm64_fdt_info *info)
{
	const char *m = info->psci_method;

	if (!info->ram_size || info->ram_base + info->ram_size < info->ram_base)
		return err_set("dtb: RAM 0x%llx+0x%llx is empty or wraps",
			       (unsigned long long)info->ram_base,
			       (unsigned long long)info->ram_size);
	if (!info->nr_cpus || info->nr_cpus > ARM64_FDT_MAX_CPUS)
		return err_set("dtb: %u vCPUs (1 to %d supported)",
			       info->nr_cpus, ARM64_FDT_MAX_CPUS);
	if (info->gic.version != 2 && info->gic.version != 3)
		return err_set("dtb: GIC version %u (2 or 3)",
			       info->gic.version);
	if (info->gic.version == 2 &&
	    info->nr_cpus > ARM64_FDT_MAX_CPUS_GICV2)
		return err_set("dtb: a GICv2 serves at most %d vCPUs, not %u",
			       ARM64_FDT_MAX_CPUS_GICV2, info->nr_cpus);
	if (info->gic.version == 3 &&
	    info->gic.redist_size < info->nr_cpus * GICV3_REDIST_STRIDE)
		return err_set("dtb: GICv3 redistributor region of 0x%llx bytes is too small for %u vCPUs",
			       (unsigned long long)info->gic.redist_size,
			       info->nr_cpus);
	for (unsigned i = 0; i < 4; i++) {
		if (info->timer_ppi[i] >= GIC_MAX_PPI)
			return err_set("dtb: timer PPI %u is not 0-15",
				       info->timer_ppi[i]);
	}
	if (info->uart_present && info->uart_spi >= GIC_MAX_SPI)
		return err_set("dtb: UART SPI %u is beyond %d",
			       info->uart_spi, GIC_MAX_SPI - 1);
	if (info->virtio_count > ARM64_FDT_MAX_VIRTIO ||
	    (info->virtio_count &&
	     info->virtio_first_spi + info->virtio_count > GIC_MAX_SPI))
		return err_set("dtb: %u virtio-mmio slots from SPI %u do not fit (at most %d, SPIs below %d)",
			       info->virtio_count, info->virtio_first_spi,
			       ARM64_FDT_MAX_VIRTIO, GIC_MAX_SPI);
	if ((info->initrd_start || info->initrd_end) &&
	    info->initrd_end <= info->initrd_start)
		return err_set("dtb: initrd range 0x%llx-0x%llx is empty",
			       (unsigned long long)info->initrd_start,
			       (unsigned long long)info->initrd_end);
	if (m && strcmp(m, "hvc") && strcmp(m, "smc"))
		return err_set("dtb: PSCI method '%s' (hvc or smc)", m);
	return 0;
}

int arm64_fdt_build(const struct arm64_fdt_info *info, void *buf, size_t size)
{
	struct builder b = { .fdt = buf };
	uint64_t mem[2] = { info->ram_base, info->ram_size };

	if (validate(info) < 0)
		return -1;
	if (size > INT32_MAX)
		size = INT32_MAX; /* libfdt sizes are ints */
	FDT_DO(&b, fdt_create(buf, (int)size));
	FDT_DO(&b, fdt_finish_reservemap(buf));

	begin(&b, "");
	prop_str(&b, "compatible", "linux,dummy-virt");
	prop_u32(&b, "#address-cells", 2);
	prop_u32(&b, "#size-cells", 2);
	prop_u32(&b, "interrupt-parent", PHANDLE_GIC);

	add_psci(&b, info);
	begin_at(&b, "memory", info->ram_base);
	prop_str(&b, "device_type", "memory");
	prop_reg(&b, mem, 1);
	end(&b);
	add_cpus(&b, info);
	add_gic(&b, info);
	add_timer(&b, info);
	if (info->uart_present)
		add_uart(&b, info);
	add_virtio(&b, info);
	add_chosen(&b, info);
	end(&b);
	FDT_DO(&b, fdt_finish(buf));

	if (b.err == -FDT_ERR_NOSPACE)
		return err_set("dtb: the device tree does not fit in %zu bytes",
			       size);
	if (b.err)
		return err_set("dtb: libfdt: %s", fdt_strerror(b.err));
	return (int)fdt_totalsize(buf);
}
