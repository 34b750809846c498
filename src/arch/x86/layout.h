/* SPDX-License-Identifier: MIT */
/*
 * Every guest-visible address, port and IRQ of the x86 machines.
 *
 * bare machine (flat images; README, "Flat images on the bare machine"):
 *
 *   ram-base (default 0) ........ RAM, -m bytes, one memslot
 *   ram-base + load ............. the image (--load, default ram-base)
 *   top of RAM below 4 GiB - 32K  boot tables for --mode protected|long:
 *                                 GDT page, then PML4, PDPT and four page
 *                                 directories identity-mapping 0-4 GiB with
 *                                 2 MiB pages.  An image overlapping them is
 *                                 refused; real-mode images have no tables.
 *   port 0xe9 ................... debug console (plus every --debugcon PORT)
 *
 * Interrupt controllers, firmware and the PC memory map belong to the pc
 * machine (section below).
 */
#ifndef MINIVMM_X86_LAYOUT_H
#define MINIVMM_X86_LAYOUT_H

#define X86_4G 0x100000000ull

/* Boot tables for flat protected/long-mode images. */
#define FLAT_TABLES_SIZE 0x8000ull /* GDT + PML4 + PDPT + 4 PDs + spare */
#define FLAT_TABLES_GDT_OFF 0x0000ull
#define FLAT_TABLES_PML4_OFF 0x1000ull
#define FLAT_TABLES_PDPT_OFF 0x2000ull
#define FLAT_TABLES_PD_OFF 0x3000ull /* four pages: 0x3000-0x6fff */

/* GDT selectors of the flat boot GDT. */
#define FLAT_SEL_CODE64 0x08
#define FLAT_SEL_CODE32 0x10
#define FLAT_SEL_DATA 0x18

/* Real mode: the highest segment base a selector can express. */
#define REAL_MODE_MAX_BASE 0xffff0ull

/*
 * KVM's helpers for real-mode emulation on CPUs without unrestricted guest:
 * an identity-map page and a 3-page TSS, where QEMU puts them.
 */
#define X86_IDENTITY_MAP_ADDR 0xfeffc000ull
#define X86_TSS_ADDR 0xfeffd000ull
#define X86_IDENTITY_TSS_SIZE 0x4000ull

#define X86_DEBUGCON_PORT 0xe9

/* ------------------------------------------------------------------------
 * pc machine (README, "The pc machine"): the memory map QEMU 7.2's i440fx "pc"
 * machine builds, which SeaBIOS and Linux then rely on.
 *
 *   0 .................... RAM below 4 GiB ("low RAM"), at most
 *                          max-ram-below-4g, ending below the IOAPIC
 *   0xa0000-0xfffff ...... legacy VGA window and BIOS shadow (firmware
 *                          reserves it; low RAM still spans it in E820)
 *   end of low RAM ....... 32-bit PCI hole, up to the IOAPIC:
 *     .. 0xfe7fffff ...... the PCI window (PC_PCI_WINDOW_END): memory BARs;
 *                          minivmm assigns them here for -kernel
 *     0xfe800000 ......... virtio-mmio devices, 2 MiB (PC_VIRTIO_MMIO_*)
 *     0xfea00000 ......... memory BARs again, up to the IOAPIC: SeaBIOS
 *                          allocates BARs downward from 0xfec00000
 *   0xfec00000 ........... IOAPIC (low RAM must end before it)
 *   0xfeffc000 ........... KVM identity-map page + 3-page TSS (E820 reserved)
 *   4 GiB ................ RAM above 4 GiB ("high RAM")
 *   0xfd_0000_0000 ....... AMD HyperTransport hole, to 1 TiB (E820 reserved
 *                          for AMD vCPUs with >= 40 physical address bits;
 *                          high RAM moves to 1 TiB if it would reach it)
 *   port 0x70/0x71 ....... CMOS/RTC index and data
 * ------------------------------------------------------------------------ */

/* Default max-ram-below-4g: 3.5 GiB (QEMU hw/i386/pc_piix.c pc_init1). */
#define PC_MAX_RAM_BELOW_4G_DEFAULT 0xe0000000ull
/* Gigabyte-aligned split used when RAM does not fit below the default. */
#define PC_RAM_BELOW_4G_GB_SPLIT 0xc0000000ull
/* Largest value max-ram-below-4g accepts. */
#define PC_MAX_RAM_BELOW_4G_LIMIT X86_4G
/* High RAM starts here unless the AMD HyperTransport hole moves it. */
#define PC_HIGH_RAM_START X86_4G

/* The 640 KiB of conventional memory reported in CMOS 0x15/0x16. */
#define PC_BASE_MEMORY_END 0xa0000ull

/* IOAPIC: the 32-bit PCI hole ends here; low RAM must stay below it. */
#define PC_IOAPIC_ADDR 0xfec00000ull

/*
 * virtio-mmio devices (virtio 1.2, 4.2): 2 MiB for their register blocks,
 * inside the PCI hole but outside every range the PCI bus claims, and
 * never where minivmm assigns a BAR.
 */
#define PC_VIRTIO_MMIO_BASE 0xfe800000ull
#define PC_VIRTIO_MMIO_SIZE 0x200000ull
/*
 * The rest of the 32-bit PCI hole, from the end of low RAM to the IOAPIC,
 * reaches the PCI bus (dev/pci_host.h).  The PCI window proper runs from
 * the end of low RAM to PC_PCI_WINDOW_END, the virtio-mmio window; it is
 * where minivmm assigns BARs itself when no firmware runs (-kernel).
 * SeaBIOS knows nothing of the virtio-mmio window: it allocates BARs from
 * the top of the hole (its pcimem_end is 0xfec00000) downward, a 4 KiB BAR
 * at 0xfebff000 first, so the part above the virtio-mmio window,
 * PC_PCI_UPPER_START to the IOAPIC, reaches the BARs as well.  Only BARs
 * adding up to more than those 2 MiB would reach into the virtio-mmio
 * window.
 */
#define PC_PCI_WINDOW_END PC_VIRTIO_MMIO_BASE
#define PC_PCI_UPPER_START (PC_VIRTIO_MMIO_BASE + PC_VIRTIO_MMIO_SIZE)

/* AMD HyperTransport reserved range (AMD IOMMU spec, table 3). */
#define PC_AMD_HT_START 0xfd00000000ull
#define PC_AMD_HT_END 0x10000000000ull /* exclusive: 1 TiB */
#define PC_AMD_HT_SIZE (PC_AMD_HT_END - PC_AMD_HT_START)
#define PC_AMD_ABOVE_1TB_START PC_AMD_HT_END
/* Size of the 64-bit PCI window QEMU's i440fx host bridge advertises. */
#define PC_PCI_HOLE64_SIZE 0x80000000ull

/* MC146818 RTC + CMOS NVRAM ports, and its ISA IRQ. */
#define PC_CMOS_PORT 0x70
#define PC_CMOS_PORT_LEN 2
#define PC_RTC_IRQ 8


/* ------------------------------------------------------------------------
 * pc machine: firmware, legacy devices (QEMU's i440fx "pc" places them so)
 *
 *   0x00000-0x9ffff ...... RAM (conventional memory)
 *   0xa0000-0xbffff ...... VGA window: no device, reads all-ones
 *   0xc0000-0xfffff ...... RAM, the last 128 KiB of the firmware copied to
 *                          0xe0000-0xfffff (QEMU's "isa-bios" alias, already
 *                          shadowed: PAM writes change no mapping)
 *   4 GiB - size ......... the firmware image, read-only (bios-256k.bin:
 *                          0xfffc0000-0xffffffff); the vCPU starts at
 *                          F000:FFF0 = 0xfffffff0
 *   port 0x60/0x64 ....... i8042 (0xfe on 0x64 resets)
 *   port 0x80 ............ POST codes
 *   port 0x92 ............ System Control Port A (A20, fast reset)
 *   port 0x3f0 ........... boot-time marker (write 123)
 *   port 0x3f8-0x3ff ..... COM1, 16550A UART, IRQ 4
 *   port 0x510/0x511 ..... fw_cfg selector/data, 0x514-0x51b its DMA address
 *   port 0xcf8-0xcff ..... PCI config mechanism #1; 0xcf9 reset control
 * ------------------------------------------------------------------------ */
#define PC_VGA_WINDOW 0xa0000ull
#define PC_VGA_WINDOW_END 0xc0000ull
#define PC_ISA_BIOS_MAX 0x20000ull /* 128 KiB aliased below 1 MiB */
#define PC_ISA_BIOS_END 0x100000ull
#define PC_BIOS_MAX_SIZE (16ull << 20) /* QEMU's limit for -bios */
#define PC_BIOS_ALIGN 0x10000ull /* the image must be whole 64 KiB */
#define PC_DEFAULT_BIOS "/usr/share/seabios/bios-256k.bin"
#define PC_POST_PORT 0x80
#define PC_FW_CFG_PORT 0x510
#define PC_SEABIOS_DEBUG_PORT 0x402
#define PC_COM1_PORT 0x3f8 /* 16550A UART, 8 ports */
#define PC_COM1_IRQ 4
#define PC_IOAPIC_PINS 24
/*
 * MSI routes (pc_msi.h): one GSI per MSI-X vector in use, above the
 * IOAPIC's pins, at most PC_MSI_MAX_ROUTES of them.
 */
#define PC_MSI_GSI_BASE PC_IOAPIC_PINS
#define PC_MSI_MAX_ROUTES 256
/* MSI message addresses of interrupts (Intel SDM vol. 3, 11.11.1). */
#define PC_MSI_ADDR_BASE 0xfee00000ull
#define PC_MSI_ADDR_SIZE 0x100000ull

/*
 * virtio-mmio slots (pc and bare) in that window: 0x200 bytes each; on pc
 * each described in the DSDT (HID LNRO0005) with IOAPIC pin 16 + slot,
 * edge-triggered.
 */
#define PC_VIRTIO_MMIO_STRIDE 0x200ull
/*
 * PCI INTx (the fallback when a driver does not enable MSI-X): INTA# of
 * slots 2-5 on ISA IRQs 10, 11, 5 and 7 (free on this machine), one each,
 * level-triggered, described in PCI0's _PRT.  Later slots have no INTx.
 */
#define PC_PCI_INTX_SLOTS 4
static inline int pc_pci_intx_gsi(unsigned slot)
{
	static const unsigned char gsi[PC_PCI_INTX_SLOTS] = { 10, 11, 5, 7 };

	return slot >= 2 && slot < 2 + PC_PCI_INTX_SLOTS ? gsi[slot - 2] : -1;
}
#define PC_VIRTIO_MMIO_SLOTS 8
#define PC_VIRTIO_MMIO_FIRST_GSI 16


/* ------------------------------------------------------------------------
 * pc machine, Linux loaded directly (-kernel, Linux boot protocol 2.06+):
 *
 *   0x7000 ............... zero page (struct boot_params)
 *   0x9000-0x10fff ....... boot GDT and identity page tables (0-4 GiB)
 *   0x20000 .............. kernel command line (up to 64 KiB)
 *   0x9fc00-0x9ffff ...... reserved in the E820 map (EBDA, as SeaBIOS does)
 *   0xf0000-0xfffff ...... reserved in the E820 map (BIOS area: RSDP)
 *   top 128 KiB of low RAM  ACPI tables (E820 type ACPI)
 *   0x100000 ............. protected-mode kernel (bzImage after its setup)
 *   below the end of low RAM, as high as the kernel allows: the initrd
 * ------------------------------------------------------------------------ */
#define LINUX_ZERO_PAGE 0x7000ull
#define LINUX_BOOT_TABLES 0x9000ull
#define LINUX_CMDLINE 0x20000ull
#define LINUX_CMDLINE_MAX 0x10000ull
#define LINUX_KERNEL_ADDR 0x100000ull
#define LINUX_EBDA_START 0x9fc00ull
#define LINUX_BIOS_AREA 0xf0000ull
#define LINUX_RSDP_ADDR 0xf0000ull /* in the BIOS area the OS scans */
#define LINUX_MPTABLE_ADDR 0xf0040ull /* MP floating pointer + table */
/* boot.rst: initrd_addr_max of protocols before 2.03. */
#define LINUX_INITRD_ADDR_MAX_OLD 0x37ffffffull

/* ------------------------------------------------------------------------
 * A multiboot v1 kernel (-kernel with a multiboot header) finds its boot
 * information where QEMU's multiboot option ROM puts it; minivmm fills it
 * in directly, without firmware:
 *
 *   0x9000-0x94ff ........ memory map (the E820 table, 24-byte records)
 *   0x9500 ............... multiboot information structure (88 bytes)
 *   0x9560-0x957f ........ boot GDT (flat 32-bit code and data)
 *   after the kernel, page aligned: the module list, the command lines and
 *   the boot loader's name; then each module, page aligned
 *
 * A kernel or modules over 0x9000-0x957f (where QEMU's ROM would write
 * over them) get the three on the page after the strings instead.
 *
 * The MP and ACPI tables are where a Linux kernel finds them (above).
 * ------------------------------------------------------------------------ */
#define MULTIBOOT_MMAP 0x9000ull
#define MULTIBOOT_MMAP_END 0x9500ull
#define MULTIBOOT_INFO 0x9500ull
#define MULTIBOOT_GDT 0x9560ull
#define MULTIBOOT_AREA_END 0x9580ull /* exclusive */

/* ------------------------------------------------------------------------
 * ACPI (pc machine): the fixed hardware the ACPI tables describe, placed
 * where QEMU's i440fx machine has it once SeaBIOS has set its PIIX4 PM
 * base to 0x600 (ACPI 6.4 §4.8, "fixed hardware registers"):
 *
 *   port 0x600-0x603 ..... PM1a event block: PM1_STS (+0), PM1_EN (+2)
 *   port 0x604-0x605 ..... PM1a control block: PM1_CNT
 *   port 0x608-0x60b ..... PM timer, 3.579545 MHz, 24 bits
 *   port 0xcf9 ........... FADT reset register (write 0x06)
 *   IRQ 9 ................ SCI, level-triggered, active high
 *   0xfee00000 ........... local APICs; IOAPIC id 0 at PC_IOAPIC_ADDR, GSI 0
 *
 * The tables travel through fw_cfg as QEMU sends them: a blob padded to a
 * multiple of 128 KiB, which SeaBIOS keeps in its high zone (so E820 shows
 * the same RESERVED range at the top of low RAM), the RSDP, which it places
 * in the F segment, and the linker/loader command file.
 * ------------------------------------------------------------------------ */
#define PC_ACPI_PM_BASE 0x600
#define PC_ACPI_PM1_EVT_PORT (PC_ACPI_PM_BASE + 0x0)
#define PC_ACPI_PM1_EVT_LEN 4
#define PC_ACPI_PM1_CNT_PORT (PC_ACPI_PM_BASE + 0x4)
#define PC_ACPI_PM1_CNT_LEN 2
#define PC_ACPI_PM_TMR_PORT (PC_ACPI_PM_BASE + 0x8)
#define PC_ACPI_PM_TMR_LEN 4
#define PC_ACPI_SCI_IRQ 9
/* SLP_TYP of \_S5 in our DSDT; QEMU's PIIX4 and DSDT use 0 as well. */
#define PC_ACPI_S5_SLP_TYP 0
#define PC_ACPI_S3_SLP_TYP 1 /* QEMU's PIIX4: \_S3 = 1 */
#define PC_ACPI_RESET_PORT 0xcf9
#define PC_ACPI_RESET_VALUE 0x06 /* hard reset (SYS_RST) + RST_CPU */
#define PC_LAPIC_ADDR 0xfee00000ull
#define PC_IOAPIC_ID 0
#define PC_IOAPIC_GSI_BASE 0
#define PC_PIT_IRQ 0 /* ISA IRQ 0, wired to IOAPIC pin 2 */
#define PC_PIT_GSI 2
#define PC_KBD_IRQ 1
/* QEMU's ACPI_BUILD_TABLE_SIZE: the tables blob is padded to a multiple. */
#define PC_ACPI_TABLES_ALIGN 0x20000u
/* QEMU's ACPI_BUILD_ALIGN_SIZE: the loader file is padded to a multiple. */
#define PC_ACPI_LOADER_ALIGN 0x1000u

/* ------------------------------------------------------------------------
 * pc machine, an ELF kernel booted by its PVH entry (Xen's PVH boot ABI,
 * as QEMU and Firecracker do; xen/include/public/arch-x86/hvm/start_info.h).
 * The command line, ACPI tables, RSDP, initrd and E820 layout are those of
 * the bzImage path above; the zero page is not used.
 *
 *   0x6000 ............... struct hvm_start_info (56 bytes); EBX points here
 *   0x6040 ............... module list: the initrd (one 32-byte entry)
 *   0x6080-0x6c7f ........ memory map, up to E820_MAX_ENTRIES 24-byte entries
 *   0x9000-0x10fff ....... boot GDT (flat 32-bit code 0x10, data 0x18)
 *   >= 0x100000 .......... the PT_LOAD segments at their p_paddr
 * ------------------------------------------------------------------------ */
#define PVH_START_INFO 0x6000ull
#define PVH_MODLIST 0x6040ull
#define PVH_MEMMAP 0x6080ull
#define PVH_MEMMAP_END 0x6c80ull /* exclusive; below LINUX_ZERO_PAGE */

#endif
