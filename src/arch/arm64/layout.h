/* SPDX-License-Identifier: MIT */
/*
 * Every guest-visible address and interrupt of the arm64 machines.  The
 * virt machine uses the addresses of QEMU's `virt` board (hw/arm/virt.c,
 * base_memmap and a15irqmap), so a kernel and device tree habits that work
 * there work here.
 *
 * bare machine (flat images):
 *
 *   0x0900_0000 ......... MMIO debug console (plus every --debugcon-mmio)
 *   0x4000_0000 ......... RAM (ram-base), -m bytes; the image at ram-base
 *                         (--load), entered at its first byte (--entry)
 *                         in EL1h, MMU and caches off, DAIF masked
 *
 * virt machine:
 *
 *   0x0800_0000 ......... GIC distributor, 64 KiB
 *   0x0801_0000 ......... GICv2 CPU interface, 64 KiB (v2 only)
 *   0x080a_0000 ......... GICv3 redistributors, 128 KiB per vCPU (v3 only)
 *   0x0900_0000 ......... PL011 UART, 4 KiB, SPI 1
 *   0x0a00_0000 ......... virtio-mmio slots, 32 x 0x200, SPIs 16..47
 *   0x4000_0000 ......... RAM, -m bytes:
 *     + 2 MiB-aligned base + text_offset   the kernel (-kernel), image_size
 *                                          bytes from there
 *     top 2 MiB block ................... the device tree (x0 at entry)
 *     just below it ..................... the initrd, page aligned
 *
 * Interrupt numbers: SPI n is GIC INTID 32 + n, PPI n is INTID 16 + n.
 */
#ifndef MINIVMM_ARM64_LAYOUT_H
#define MINIVMM_ARM64_LAYOUT_H

#define ARM64_SZ_4K 0x1000ull
#define ARM64_SZ_64K 0x10000ull
#define ARM64_SZ_2M 0x200000ull

/* RAM (both machines): QEMU virt's base; at most 255 GiB as there. */
#define ARM64_RAM_BASE 0x40000000ull
#define ARM64_RAM_MAX (255ull << 30)

/* GIC (virt). */
#define ARM64_GIC_DIST_BASE 0x08000000ull
#define ARM64_GIC_DIST_SIZE ARM64_SZ_64K
#define ARM64_GIC_CPU_BASE 0x08010000ull /* GICv2 CPU interface */
#define ARM64_GIC_CPU_SIZE ARM64_SZ_64K
#define ARM64_GIC_REDIST_BASE 0x080a0000ull /* GICv3 */
#define ARM64_GIC_REDIST_PER_CPU (2 * ARM64_SZ_64K) /* RD_base + SGI_base */
/* QEMU virt's first redistributor region ends at 0x0900_0000 (123 vCPUs). */
#define ARM64_GIC_REDIST_LIMIT 0x00f60000ull
/* Interrupts the GIC implements: 32 private + 96 SPIs, a multiple of 32. */
#define ARM64_GIC_NR_IRQS 128
#define ARM64_GICV2_MAX_CPUS 8

#define ARM64_SPI_INTID(spi) (32u + (spi))
#define ARM64_PPI_INTID(ppi) (16u + (ppi))

/* Architected timer PPIs (as on QEMU virt). */
#define ARM64_TIMER_PPI_SEC_PHYS 13
#define ARM64_TIMER_PPI_PHYS 14
#define ARM64_TIMER_PPI_VIRT 11
#define ARM64_TIMER_PPI_HYP 10

/* PL011 UART (virt); the bare machine's default debug console is its DR. */
#define ARM64_UART_BASE 0x09000000ull
#define ARM64_UART_SIZE ARM64_SZ_4K
#define ARM64_UART_SPI 1
#define ARM64_DEBUGCON_MMIO ARM64_UART_BASE

/* virtio-mmio transports (virt). */
#define ARM64_VIRTIO_BASE 0x0a000000ull
#define ARM64_VIRTIO_STRIDE 0x200ull
#define ARM64_VIRTIO_SIZE 0x200ull
#define ARM64_VIRTIO_COUNT 32
#define ARM64_VIRTIO_FIRST_SPI 16

/*
 * The device tree: at most 2 MiB (booting.rst section 2), 8-byte aligned,
 * alone in the last 2 MiB block of RAM so its cacheable mapping shares a
 * block with nothing else.
 */
#define ARM64_DTB_MAX_SIZE ARM64_SZ_2M

/* The initrd starts on a page boundary. */
#define ARM64_INITRD_ALIGN ARM64_SZ_4K

/* Lowest guest-physical address above the device region of the board. */
#define ARM64_MMIO_END 0x40000000ull

#endif
