/* SPDX-License-Identifier: MIT */
/*
 * What the two halves of the fw_cfg device share (fw_cfg.c: the item store
 * and saved state; fw_cfg_io.c: the registers and the DMA engine).  Not for
 * use outside src/dev/fw_cfg*.c.
 */
#ifndef MINIVMM_DEV_FW_CFG_INTERNAL_H
#define MINIVMM_DEV_FW_CFG_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/fw_cfg.h"

/* "File Directory": be32 count, then 64-byte entries. */
#define DIR_HDR_LEN 4
#define DIR_ENTRY_LEN 64
#define DIR_ENTRY_NAME_OFF 8
#define DIR_LEN (DIR_HDR_LEN + DIR_ENTRY_LEN * FW_CFG_FILE_SLOTS)

struct fw_cfg_item {
	uint8_t *data; /* NULL: nothing under this key */
	uint32_t len;
	bool writable; /* the guest may overwrite it through DMA */
};

/* Kinds of guest misbehaviour, each logged once per device. */
enum {
	FW_CFG_WARN_DESC = 1u << 0, /* DMA descriptor not in RAM */
	FW_CFG_WARN_STATUS = 1u << 1, /* could not write the status back */
	FW_CFG_WARN_DMA_REG = 1u << 2, /* odd access to the DMA register */
	FW_CFG_WARN_PORT = 1u << 3, /* odd access to selector/data */
};

struct fw_cfg {
	pthread_mutex_t lock; /* everything below */
	const struct guest_mem *mem; /* DMA target; NULL without DMA */
	/* [0] generic keys, [1] arch-local keys, indexed by key & 0x3fff */
	struct fw_cfg_item items[2][FW_CFG_MAX_ENTRY];
	uint32_t nr_files;
	uint16_t cur_key; /* as selected, or FW_CFG_INVALID */
	uint32_t cur_off; /* never beyond the selected item's length */
	uint64_t dma_addr; /* DMA address register */
	unsigned warned;
};

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint64_t get_be(const uint8_t *p, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* True the first time a kind of misbehaviour is seen.  Lock held. */
bool fw_cfg_first(struct fw_cfg *fw, unsigned kind);
/* Select an item (selector register semantics); lock held. */
void fw_cfg_select(struct fw_cfg *fw, uint16_t key);
/* The selected item, or NULL when nothing is there. */
struct fw_cfg_item *fw_cfg_cur(struct fw_cfg *fw);
/* Bytes left in the selected item from the current offset. */
uint32_t fw_cfg_avail(struct fw_cfg *fw, const struct fw_cfg_item *it);
/* The next len bytes of the selected item (zeros past its end). */
void fw_cfg_read_data(struct fw_cfg *fw, uint8_t *out, uint32_t len);

#endif
