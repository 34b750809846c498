/* SPDX-License-Identifier: MIT */
/* x86 helpers shared by the CPU setup, the pc machine and the Linux loader. */
#ifndef MINIVMM_X86_X86_H
#define MINIVMM_X86_X86_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* GDT descriptors: base 0, limit 4 GiB, present, ring 0 (SDM vol. 3, 3.4.5). */
#define GDT_CODE64 0x00af9b000000ffffull
#define GDT_CODE32 0x00cf9b000000ffffull
#define GDT_DATA 0x00cf93000000ffffull

/*
 * Write a 4-entry GDT and (long_mode) identity page tables for 0-4 GiB with
 * 2 MiB pages into the FLAT_TABLES_SIZE bytes at gpa; records the GDT and
 * PML4 addresses in vm->boot.
 */
int x86_write_boot_tables(struct vm *vm, uint64_t gpa, bool long_mode,
			  const uint64_t gdt[4]);

#endif
