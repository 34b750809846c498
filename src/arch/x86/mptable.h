/* SPDX-License-Identifier: MIT */
/*
 * Intel MultiProcessor Specification 1.4 tables, for guests that do not
 * use ACPI (e.g. Linux with acpi=off): the floating pointer structure and
 * the configuration table with one processor entry per vCPU, the ISA bus,
 * the IOAPIC, the 16 ISA interrupts and the two local interrupts.
 */
#ifndef MINIVMM_X86_MPTABLE_H
#define MINIVMM_X86_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* Bytes the tables need for ncpus (floating pointer included). */
size_t mptable_size(unsigned ncpus);

/*
 * Build into buf (mptable_size() bytes) the floating pointer at guest
 * address `gpa` followed by the configuration table.  Returns the bytes
 * written, or 0 (with err_msg()) when buf is too small or ncpus is 0 or
 * above 255.
 */
size_t mptable_build(uint8_t *buf, size_t cap, uint64_t gpa, unsigned ncpus);

#endif
