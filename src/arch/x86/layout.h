/* SPDX-License-Identifier: MIT */
/*
 * Every guest-visible address, port and IRQ of the x86 machines.
 *
 * bare machine (flat images; MISSION.md scenarios 1-3):
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

#endif
