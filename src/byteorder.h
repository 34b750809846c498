/* SPDX-License-Identifier: MIT */
/*
 * Little-endian byte strings: the one pair of helpers for guest-visible
 * formats (bus data, boot_params, E820, ACPI, MP tables, ELF, fw_cfg).
 */
#ifndef MINIVMM_BYTEORDER_H
#define MINIVMM_BYTEORDER_H

#include <stdint.h>

/* The n (at most 8) bytes at p as a little-endian number. */
static inline uint64_t le_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Store the low n (at most 8) bytes of v at p, little-endian. */
static inline void le_put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n && i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
