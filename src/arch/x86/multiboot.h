/* SPDX-License-Identifier: MIT */
/*
 * Booting a multiboot v1 kernel (Multiboot Specification 0.6.96) the way
 * QEMU's -kernel does: the image at its physical addresses, the -initrd
 * files as modules, the information structure where QEMU's option ROM puts
 * it (layout.h), and the boot vCPU in 32-bit protected mode, paging off,
 * flat segments, interrupts off, EAX = 0x2BADB002, EBX = the structure.
 */
#ifndef MINIVMM_X86_MULTIBOOT_H
#define MINIVMM_X86_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "pc_memory.h"

struct vm;
struct multiboot_image;

/* The multiboot information structure (§3.3): size and field offsets. */
#define MBI_SIZE 88
#define MBI_FLAGS 0
#define MBI_MEM_LOWER 4
#define MBI_MEM_UPPER 8
#define MBI_BOOT_DEVICE 12
#define MBI_CMDLINE 16
#define MBI_MODS_COUNT 20
#define MBI_MODS_ADDR 24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR 48
#define MBI_BOOT_LOADER_NAME 64

/* MBI_FLAGS bits. */
#define MBI_HAS_MEMORY (1u << 0)
#define MBI_HAS_BOOT_DEVICE (1u << 1)
#define MBI_HAS_CMDLINE (1u << 2)
#define MBI_HAS_MODS (1u << 3)
#define MBI_HAS_MMAP (1u << 6)
#define MBI_HAS_LOADER_NAME (1u << 9)

#define MB_MOD_SIZE 16 /* mod_start, mod_end, string, reserved */
#define MB_MMAP_ENTRY_SIZE 24 /* size (20), base_addr, length, type */
#define MB_BOOT_DEVICE_NONE 0x8000ffffu /* as QEMU: BIOS drive 0x80 */
#define MB_LOADER_NAME "minivmm"

/*
 * Load the multiboot kernel mb (parsed by multiboot_parse() from image,
 * the -kernel file) and the -initrd modules, and set up the boot.  A
 * kernel (or what follows it) that covers the fixed information area at
 * 0x9000 gets the area on the page after its command lines instead.
 * Refuses (-1, err_msg()) a segment, module or command line outside RAM
 * (the E820 map a kernel gets), and what multiboot_modules_parse()
 * refuses.
 */
int multiboot_boot_setup(struct vm *vm, const struct pc_memory_layout *layout,
			 const uint8_t *image, const struct multiboot_image *mb);

#endif
