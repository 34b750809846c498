/* SPDX-License-Identifier: MIT */
/*
 * The flattened device tree the arm64 virt machine hands Linux (x0 at
 * entry, Documentation/arch/arm64/booting.rst section 2), built with libfdt
 * from a plain description of the machine.  Its contents follow what QEMU's
 * hw/arm/virt.c gives a guest, so a kernel that boots on `-M virt` finds
 * the same nodes, names and interrupt numbers here:
 *
 *   /                 compatible "linux,dummy-virt", #address-cells 2,
 *                     #size-cells 2, interrupt-parent = the GIC
 *   /psci             "arm,psci-0.2", "arm,psci"; method "hvc" (or "smc")
 *   /memory@BASE      device_type "memory"
 *   /cpus/cpu@N       "arm,armv8", device_type "cpu", reg = MPIDR
 *                     affinity, enable-method "psci"
 *   /intc@BASE        "arm,gic-v3" (#redistributor-regions 1) or
 *                     "arm,cortex-a15-gic" (GICv2); #interrupt-cells 3
 *   /timer            "arm,armv8-timer", four PPIs, always-on
 *   /apb-pclk         fixed-clock, 24 MHz: the PL011's uartclk/apb_pclk
 *   /pl011@BASE       "arm,pl011", "arm,primecell", one SPI
 *   /virtio_mmio@BASE "virtio,mmio", one SPI each, ascending addresses
 *   /chosen           bootargs, stdout-path, linux,initrd-start/end
 *
 * Interrupt specifiers are the GIC binding's three cells: type (0 SPI,
 * 1 PPI), number (SPI: INTID - 32; PPI: INTID - 16), flags (1 edge rising,
 * 4 level high; GICv2 PPIs also carry a CPU mask in bits 8-15).
 *
 * Compiled only in the arm64 build (libfdt-dev:arm64); no KVM needed, so
 * `minivmm dtb` and tests can build a tree on any arm64 host.
 */
/*
 * libfdt.h says `#include <fdt.h>`.  The Makefile puts src/arch/arm64 on
 * the quote path only (-iquote), so that finds the system's fdt.h; should
 * it ever be on the -I path, <fdt.h> would find this file instead.  For
 * that case fdt.c defines ARM64_FDT_WITH_LIBFDT and includes libfdt.h
 * first, and the system's <fdt.h> (the blob format) comes in from here.
 * Other users of this header see only the builder below.
 */
#ifdef ARM64_FDT_WITH_LIBFDT
#include_next <fdt.h>
#endif

#ifndef MINIVMM_ARM64_FDT_H
#define MINIVMM_ARM64_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits this builder accepts (GICv2 addresses at most 8 CPUs). */
#define ARM64_FDT_MAX_CPUS 512
#define ARM64_FDT_MAX_CPUS_GICV2 8
#define ARM64_FDT_MAX_VIRTIO 64

/* GIC binding interrupt types and flags (dt-bindings/interrupt-controller). */
#define ARM64_FDT_IRQ_SPI 0
#define ARM64_FDT_IRQ_PPI 1
#define ARM64_FDT_IRQ_EDGE_RISING 1
#define ARM64_FDT_IRQ_LEVEL_HIGH 4

/* The PL011's clock on QEMU virt (and the rate Linux then assumes). */
#define ARM64_FDT_APB_PCLK_HZ 24000000u

struct arm64_fdt_info {
	/* One RAM bank. */
	uint64_t ram_base, ram_size;

	/*
	 * vCPUs 0 .. nr_cpus-1.  Each cpu@N's reg is the MPIDR KVM gives
	 * vCPU N (arm64_fdt_mpidr(): aff0 = N & 0xf, aff1 = (N >> 4) & 0xff,
	 * aff2 = (N >> 12) & 0xff), so below 16 vCPUs reg is simply N.
	 */
	unsigned nr_cpus;

	struct {
		unsigned version; /* 2 or 3 */
		uint64_t dist_base, dist_size;
		/* GICv3: one redistributor region, 0x20000 per vCPU. */
		uint64_t redist_base, redist_size;
		/* GICv2: the CPU interface. */
		uint64_t cpu_base, cpu_size;
	} gic;

	/*
	 * Architected timer PPIs (INTID - 16) in the binding's order: secure
	 * EL1 physical, non-secure EL1 physical, EL1 virtual, EL2 (hyp)
	 * physical.  QEMU virt: 13, 14, 11, 10.  Level high.
	 */
	uint32_t timer_ppi[4];

	/* PL011 UART (QEMU virt: 0x9000000, 0x1000, SPI 1, 24 MHz). */
	bool uart_present;
	uint64_t uart_base, uart_size;
	uint32_t uart_spi; /* INTID - 32 */
	uint32_t uart_clock_hz; /* 0 = ARM64_FDT_APB_PCLK_HZ */

	/*
	 * virtio-mmio slots: slot i at virtio_base + i * virtio_stride,
	 * virtio_size bytes (0x200 on QEMU), SPI virtio_first_spi + i.
	 * Edge rising, as QEMU declares them, unless virtio_level.
	 */
	unsigned virtio_count;
	uint64_t virtio_base, virtio_stride, virtio_size;
	uint32_t virtio_first_spi;
	bool virtio_level;

	const char *bootargs; /* NULL: no bootargs property */
	/* Guest-physical [start, end) of the initrd; start == end == 0: none. */
	uint64_t initrd_start, initrd_end;
	const char *psci_method; /* "hvc" (NULL means "hvc") or "smc" */
};

/* Node and property names other code refers to. */
#define ARM64_FDT_UART_NODE_FMT "/pl011@%llx"

/* The MPIDR affinity fields KVM assigns vCPU `index` (reset_mpidr()). */
uint64_t arm64_fdt_mpidr(unsigned index);

/*
 * Build the tree into buf (size bytes).  Returns its size (totalsize,
 * at most size), or -1 with err_msg(): an inconsistent description (no
 * CPUs, GIC version not 2 or 3, too many CPUs for the GIC, an empty
 * initrd range, ...) or a buffer too small.
 */
int arm64_fdt_build(const struct arm64_fdt_info *info, void *buf, size_t size);

#endif
