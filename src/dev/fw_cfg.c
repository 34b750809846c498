// SPDX-License-Identifier: MIT
/*
 * QEMU fw_cfg device: item store, port/MMIO registers and the DMA engine.
 *
 * Section names in comments refer to QEMU's docs/specs/fw_cfg.rst; where
 * the spec is silent we say what QEMU's hw/nvram/fw_cfg.c does and do the
 * same, so firmware cannot tell the two apart.
 */
#include "dev/fw_cfg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "mem.h"
#include "state.h"

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
static bool fw_cfg_first(struct fw_cfg *fw, unsigned kind)
{
	if (fw->warned & kind)
		return false;
	fw->warned |= kind;
	return true;
}

/* ---- item store --------------------------------------------------------- */

/*
 * "Selector (Control) Register": selecting resets the offset.  Like QEMU,
 * the write bit (0x4000) is only masked off, so 0x4000|k reads item k, and
 * a key beyond the table selects nothing (reads return zeros).
 */
static void fw_cfg_select(struct fw_cfg *fw, uint16_t key)
{
	fw->cur_off = 0;
	if ((key & FW_CFG_ENTRY_MASK) < FW_CFG_MAX_ENTRY)
		fw->cur_key = key;
	else
		fw->cur_key = FW_CFG_INVALID;
}

/* The selected item, or NULL when nothing is there. */
static struct fw_cfg_item *fw_cfg_cur(struct fw_cfg *fw)
{
	struct fw_cfg_item *it;

	if (fw->cur_key == FW_CFG_INVALID)
		return NULL;
	it = &fw->items[!!(fw->cur_key & FW_CFG_ARCH_LOCAL)]
		       [fw->cur_key & FW_CFG_ENTRY_MASK];
	return it->data ? it : NULL;
}

/* Bytes left in the selected item from the current offset. */
static uint32_t fw_cfg_avail(struct fw_cfg *fw, const struct fw_cfg_item *it)
{
	return it && fw->cur_off < it->len ? it->len - fw->cur_off : 0;
}

/*
 * "Data Register": the next `len` bytes in item order, zeros once the item
 * is exhausted.  The offset stops at the end of the item.
 */
static void fw_cfg_read_data(struct fw_cfg *fw, uint8_t *out, uint32_t len)
{
	const struct fw_cfg_item *it = fw_cfg_cur(fw);
	uint32_t n = min_u32(len, fw_cfg_avail(fw, it));

	if (n) {
		memcpy(out, it->data + fw->cur_off, n);
		fw->cur_off += n;
	}
	memset(out + n, 0, len - n);
}

static uint8_t *fw_cfg_dup(const void *data, uint32_t len)
{
	/* One spare byte so an empty item still has a non-NULL buffer. */
	uint8_t *p = malloc((size_t)len + 1);

	if (p && len)
		memcpy(p, data, len);
	return p;
}

static int fw_cfg_check_len(const char *what, const void *data, uint32_t len)
{
	/* QEMU keeps lengths below UINT32_MAX (fw_cfg_add_bytes_callback). */
	if (len == UINT32_MAX)
		return err_set("fw_cfg: %s: item of 0x%x bytes is too large",
			       what, len);
	if (len && !data)
		return err_set("fw_cfg: %s: no data", what);
	return 0;
}

struct fw_cfg *fw_cfg_create(const struct guest_mem *mem)
{
	struct fw_cfg *fw = calloc(1, sizeof(*fw));
	uint32_t id = FW_CFG_VERSION;

	if (!fw) {
		err_set("fw_cfg: out of memory");
		return NULL;
	}
	pthread_mutex_init(&fw->lock, NULL);
	fw->mem = mem;
	if (mem)
		id |= FW_CFG_VERSION_DMA;
	/* What QEMU's fw_cfg_common_realize puts in every device. */
	if (fw_cfg_add_bytes(fw, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
	    fw_cfg_add_u32(fw, FW_CFG_ID, id) < 0) {
		fw_cfg_device_ops.destroy(fw);
		return NULL;
	}
	fw_cfg_select(fw, FW_CFG_SIGNATURE);
	return fw;
}

static void fw_cfg_destroy(void *dev)
{
	struct fw_cfg *fw = dev;

	if (!fw)
		return;
	for (int a = 0; a < 2; a++)
		for (int i = 0; i < FW_CFG_MAX_ENTRY; i++)
			free(fw->items[a][i].data);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
}

static void fw_cfg_reset(void *dev)
{
	struct fw_cfg *fw = dev;

	pthread_mutex_lock(&fw->lock);
	fw_cfg_select(fw, FW_CFG_SIGNATURE);
	fw->dma_addr = 0;
	pthread_mutex_unlock(&fw->lock);
}

int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data,
		     uint32_t len)
{
	int arch = !!(key & FW_CFG_ARCH_LOCAL);
	uint16_t idx = key & FW_CFG_ENTRY_MASK;
	char what[16];
	uint8_t *copy;

	snprintf(what, sizeof(what), "key 0x%04x", key);
	if (key & FW_CFG_WRITE_CHANNEL)
		return err_set("fw_cfg: %s has the write bit (0x4000) set",
			       what);
	if (!arch && (idx == FW_CFG_FILE_DIR || idx >= FW_CFG_FILE_FIRST))
		return err_set("fw_cfg: %s is reserved for the file directory; use fw_cfg_add_file",
			       what);
	if (idx >= FW_CFG_MAX_ENTRY)
		return err_set("fw_cfg: %s is beyond the last key 0x%04x", what,
			       FW_CFG_ARCH_LOCAL | (FW_CFG_MAX_ENTRY - 1));
	if (fw_cfg_check_len(what, data, len) < 0)
		return -1;
	copy = fw_cfg_dup(data, len);
	if (!copy)
		return err_set("fw_cfg: %s: out of memory", what);

	pthread_mutex_lock(&fw->lock);
	if (fw->items[arch][idx].data) {
		pthread_mutex_unlock(&fw->lock);
		free(copy);
		return err_set("fw_cfg: %s is already present", what);
	}
	fw->items[arch][idx] = (struct fw_cfg_item){ .data = copy, .len = len };
	pthread_mutex_unlock(&fw->lock);
	return 0;
}

/* Numeric items are little-endian (QEMU's fw_cfg_add_i16/i32/i64). */
int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t value)
{
	uint8_t b[2];

	bus_data_put(b, sizeof(b), value);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t value)
{
	uint8_t b[4];

	bus_data_put(b, sizeof(b), value);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_u64(struct fw_cfg *fw, uint16_t key, uint64_t value)
{
	uint8_t b[8];

	bus_data_put(b, sizeof(b), value);
	return fw_cfg_add_bytes(fw, key, b, sizeof(b));
}

int fw_cfg_add_string(struct fw_cfg *fw, uint16_t key, const char *value)
{
	size_t len;

	if (!value)
		return err_set("fw_cfg: key 0x%04x: no string", key);
	len = strlen(value) + 1;
	if (len >= UINT32_MAX)
		return err_set("fw_cfg: key 0x%04x: string too long", key);
	return fw_cfg_add_bytes(fw, key, value, (uint32_t)len);
}

/* ---- file directory ----------------------------------------------------- */

static uint8_t *dir_entry(struct fw_cfg *fw, uint32_t i)
{
	return fw->items[0][FW_CFG_FILE_DIR].data + DIR_HDR_LEN +
	       (size_t)i * DIR_ENTRY_LEN;
}

static const char *dir_name(struct fw_cfg *fw, uint32_t i)
{
	return (const char *)dir_entry(fw, i) + DIR_ENTRY_NAME_OFF;
}

/* Index of file `name`, or -1.  Lock held. */
static int fw_cfg_find_file(struct fw_cfg *fw, const char *name)
{
	for (uint32_t i = 0; i < fw->nr_files; i++)
		if (strcmp(dir_name(fw, i), name) == 0)
			return (int)i;
	return -1;
}

/*
 * QEMU's fw_cfg_add_file_callback on machine types 2.6 and later (older
 * ones used a fixed legacy order): the directory is an item of
 * 4 + 64 * slots bytes created with the first file, entries are kept
 * sorted by strcmp() of the name, and entry i is always served by selector
 * FW_CFG_FILE_FIRST + i, so an insertion moves the items after it up one
 * key.  SeaBIOS and Linux only go through the directory, so the renumbering
 * is invisible once setup is over.
 */
static int fw_cfg_add_file_common(struct fw_cfg *fw, const char *name,
				  const void *data, uint32_t len,
				  bool writable)
{
	size_t name_len = name ? strnlen(name, FW_CFG_MAX_FILE_PATH) : 0;
	struct fw_cfg_item *files = &fw->items[0][FW_CFG_FILE_FIRST];
	uint8_t *copy, *dir = NULL, *e;
	uint32_t idx, count;

	if (name_len == 0)
		return err_set("fw_cfg: empty file name");
	if (name_len >= FW_CFG_MAX_FILE_PATH)
		return err_set("fw_cfg: file name \"%.*s...\" is longer than %d characters",
			       20, name, FW_CFG_MAX_FILE_PATH - 1);
	if (fw_cfg_check_len(name, data, len) < 0)
		return -1;
	copy = fw_cfg_dup(data, len);
	if (!copy)
		return err_set("fw_cfg: %s: out of memory", name);

	pthread_mutex_lock(&fw->lock);
	count = fw->nr_files;
	if (count == FW_CFG_FILE_SLOTS) {
		pthread_mutex_unlock(&fw->lock);
		free(copy);
		return err_set("fw_cfg: %s: all %d file slots are used", name,
			       FW_CFG_FILE_SLOTS);
	}
	if (!fw->items[0][FW_CFG_FILE_DIR].data) {
		dir = calloc(1, DIR_LEN);
		if (!dir) {
			pthread_mutex_unlock(&fw->lock);
			free(copy);
			return err_set("fw_cfg: %s: out of memory", name);
		}
		fw->items[0][FW_CFG_FILE_DIR] =
			(struct fw_cfg_item){ .data = dir, .len = DIR_LEN };
	}
	if (fw_cfg_find_file(fw, name) >= 0) {
		pthread_mutex_unlock(&fw->lock);
		free(copy);
		return err_set("fw_cfg: duplicate file name %s", name);
	}

	/* After every name that sorts before or equal (stable, as QEMU). */
	for (idx = count; idx > 0 && strcmp(name, dir_name(fw, idx - 1)) < 0;
	     idx--)
		;
	memmove(&files[idx + 1], &files[idx], (count - idx) * sizeof(*files));
	memmove(dir_entry(fw, idx + 1), dir_entry(fw, idx),
		(size_t)(count - idx) * DIR_ENTRY_LEN);

	files[idx] = (struct fw_cfg_item){ .data = copy,
					   .len = len,
					   .writable = writable };
	e = dir_entry(fw, idx);
	memset(e, 0, DIR_ENTRY_LEN);
	put_be32(e, len);
	memcpy(e + DIR_ENTRY_NAME_OFF, name, name_len);
	fw->nr_files = ++count;
	for (uint32_t i = idx; i < count; i++)
		put_be16(dir_entry(fw, i) + 4,
			 (uint16_t)(FW_CFG_FILE_FIRST + i));
	put_be32(fw->items[0][FW_CFG_FILE_DIR].data, count);
	pthread_mutex_unlock(&fw->lock);
	return 0;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    uint32_t len)
{
	return fw_cfg_add_file_common(fw, name, data, len, false);
}

int fw_cfg_add_file_writable(struct fw_cfg *fw, const char *name,
			     const void *data, uint32_t len)
{
	return fw_cfg_add_file_common(fw, name, data, len, true);
}

int64_t fw_cfg_read_file(struct fw_cfg *fw, const char *name, void *buf,
			 uint32_t len)
{
	const struct fw_cfg_item *it;
	int idx;

	if (!name)
		return err_set("fw_cfg: no file name");
	pthread_mutex_lock(&fw->lock);
	idx = fw_cfg_find_file(fw, name);
	if (idx < 0) {
		pthread_mutex_unlock(&fw->lock);
		return err_set("fw_cfg: no file %s", name);
	}
	it = &fw->items[0][FW_CFG_FILE_FIRST + idx];
	if (buf)
		memcpy(buf, it->data, min_u32(len, it->len));
	len = it->len;
	pthread_mutex_unlock(&fw->lock);
	return len;
}

/* ---- device ops: save and load -------------------------------------------- */

/*
 * Version 1: u16 selected key, u32 offset in it, u64 DMA address; u32
 * number of files, u32 number of writable files, then per writable file
 * (in directory order) its name (state_put_str), u32 length and contents.
 */
static int fw_cfg_save(void *dev, struct state_writer *w)
{
	struct fw_cfg *fw = dev;
	const struct fw_cfg_item *files = &fw->items[0][FW_CFG_FILE_FIRST];
	uint32_t writable = 0;

	pthread_mutex_lock(&fw->lock);
	for (uint32_t i = 0; i < fw->nr_files; i++)
		writable += files[i].writable;
	state_put_u16(w, fw->cur_key);
	state_put_u32(w, fw->cur_off);
	state_put_u64(w, fw->dma_addr);
	state_put_u32(w, fw->nr_files);
	state_put_u32(w, writable);
	for (uint32_t i = 0; i < fw->nr_files; i++) {
		if (!files[i].writable)
			continue;
		state_put_str(w, dir_name(fw, i));
		state_put_u32(w, files[i].len);
		state_put_bytes(w, files[i].data, files[i].len);
	}
	pthread_mutex_unlock(&fw->lock);
	return 0;
}

/*
 * Everything is read and checked against this device (same files, same
 * writable ones of the same sizes, a selector it could hold, an offset
 * inside that item) before any of it is used.  Lock held.
 */
static int fw_cfg_load_locked(struct fw_cfg *fw, struct state_reader *r,
			      uint8_t **staged)
{
	struct fw_cfg_item *files = &fw->items[0][FW_CFG_FILE_FIRST];
	uint32_t nr_files, writable, have = 0, cur_off;
	uint16_t cur_key;
	uint64_t dma_addr;
	const struct fw_cfg_item *it;
	uint16_t saved_key;

	cur_key = state_get_u16(r);
	cur_off = state_get_u32(r);
	dma_addr = state_get_u64(r);
	nr_files = state_get_u32(r);
	writable = state_get_u32(r);
	if (state_reader_error(r, "fw_cfg") < 0)
		return -1;
	for (uint32_t i = 0; i < fw->nr_files; i++)
		have += files[i].writable;
	if (nr_files != fw->nr_files || writable != have)
		return state_reader_fail(r, "%u files (%u writable) saved, this machine has %u (%u)",
					 nr_files, writable, fw->nr_files, have);
	for (uint32_t n = 0; n < writable; n++) {
		char name[FW_CFG_MAX_FILE_PATH];
		uint32_t len;
		int idx;

		state_get_str(r, name, sizeof(name));
		len = state_get_u32(r);
		if (state_reader_error(r, "fw_cfg") < 0)
			return -1;
		idx = fw_cfg_find_file(fw, name);
		if (idx < 0 || !files[idx].writable)
			return state_reader_fail(r, "no writable file \"%s\" here",
						 name);
		if (staged[idx])
			return state_reader_fail(r, "file %s saved twice", name);
		if (len != files[idx].len)
			return state_reader_fail(r, "file %s of %u bytes, here it has %u",
						 name, len, files[idx].len);
		if (len > state_remaining(r))
			return state_reader_fail(r, "file %s: truncated", name);
		staged[idx] = malloc((size_t)len + 1);
		if (!staged[idx])
			return state_reader_fail(r, "file %s: out of memory", name);
		state_get_bytes(r, staged[idx], len);
	}
	if (state_reader_error(r, "fw_cfg") < 0)
		return -1;

	if (cur_key != FW_CFG_INVALID &&
	    (cur_key & FW_CFG_ENTRY_MASK) >= FW_CFG_MAX_ENTRY)
		return state_reader_fail(r, "selector 0x%04x beyond the last key",
					 cur_key);
	if (dma_addr && !fw->mem)
		return state_reader_fail(r, "a DMA address on a device without DMA");
	saved_key = fw->cur_key;
	fw->cur_key = cur_key;
	it = fw_cfg_cur(fw);
	fw->cur_key = saved_key;
	if (cur_off > (it ? it->len : 0))
		return state_reader_fail(r, "offset %u beyond the %u bytes of item 0x%04x",
					 cur_off, it ? it->len : 0, cur_key);

	fw->cur_key = cur_key;
	fw->cur_off = cur_off;
	fw->dma_addr = dma_addr;
	for (uint32_t i = 0; i < fw->nr_files; i++)
		if (staged[i])
			memcpy(files[i].data, staged[i], files[i].len);
	return 0;
}

static int fw_cfg_load(void *dev, struct state_reader *r, uint32_t version)
{
	struct fw_cfg *fw = dev;
	uint8_t *staged[FW_CFG_FILE_SLOTS] = { NULL };
	int rc;

	(void)version;
	pthread_mutex_lock(&fw->lock);
	rc = fw_cfg_load_locked(fw, r, staged);
	pthread_mutex_unlock(&fw->lock);
	for (int i = 0; i < FW_CFG_FILE_SLOTS; i++)
		free(staged[i]);
	return rc;
}

const struct device_ops fw_cfg_device_ops = {
	.type = "fw_cfg",
	.version = 1,
	.reset = fw_cfg_reset,
	.save = fw_cfg_save,
	.load = fw_cfg_load,
	.destroy = fw_cfg_destroy,
};

/* ---- DMA ---------------------------------------------------------------- */

/*
 * Is all of [gpa, gpa + len) guest RAM the guest may write (no gap, no
 * ROM)?  Checked before a DMA read writes anything, so a transfer that
 * fails has written nothing.  Regions are sorted and disjoint, so each hop
 * moves to a higher region: at most MEM_MAX_REGIONS hops.
 */
static bool fw_cfg_guest_writable(const struct guest_mem *mem, uint64_t gpa,
				  uint64_t len)
{
	uint64_t last;

	if (len == 0)
		return true;
	if (__builtin_add_overflow(gpa, len - 1, &last))
		return false;
	for (int hop = 0; hop < MEM_MAX_REGIONS; hop++) {
		const struct mem_region *r = mem_find(mem, gpa);
		uint64_t r_last;

		if (!r || r->readonly)
			return false;
		r_last = r->gpa + (r->size - 1);
		if (r_last >= last)
			return true;
		gpa = r_last + 1;
	}
	return false;
}

/* Zero [gpa, gpa + len), region by region through gpa_to_hva. */
static int fw_cfg_guest_zero(const struct guest_mem *mem, uint64_t gpa,
			     uint64_t len)
{
	for (int hop = 0; len && hop < MEM_MAX_REGIONS; hop++) {
		const struct mem_region *r = mem_find(mem, gpa);
		uint64_t chunk;
		void *hva;

		if (!r || r->readonly)
			return -1;
		chunk = r->size - (gpa - r->gpa);
		if (chunk > len)
			chunk = len;
		hva = gpa_to_hva(mem, gpa, chunk);
		if (!hva)
			return -1;
		memset(hva, 0, chunk);
		gpa += chunk;
		len -= chunk;
	}
	return len ? -1 : 0;
}

/*
 * "Guest-side DMA Interface", read: `length` bytes from the current offset
 * to guest `gpa`; past the end of the item (or with nothing selected) QEMU
 * fills with zeros and reports success.  As in QEMU the offset moves by the
 * bytes the item had, even when the guest buffer turns out to be bad.
 */
static uint32_t fw_cfg_dma_read(struct fw_cfg *fw, uint64_t gpa,
				uint32_t length)
{
	const struct fw_cfg_item *it = fw_cfg_cur(fw);
	uint32_t n = min_u32(length, fw_cfg_avail(fw, it));
	uint32_t status = 0;

	if (!fw_cfg_guest_writable(fw->mem, gpa, length))
		status = FW_CFG_DMA_CTL_ERROR;
	else if (n &&
		 copy_to_guest(fw->mem, gpa, it->data + fw->cur_off, n) < 0)
		status = FW_CFG_DMA_CTL_ERROR;
	else if (n < length &&
		 fw_cfg_guest_zero(fw->mem, gpa + n, length - n) < 0)
		status = FW_CFG_DMA_CTL_ERROR;
	fw->cur_off += n;
	return status;
}

/*
 * Write: only into an item added writable, only within its current size
 * ("the item cannot be resized"); a transfer that would run past the end
 * is dropped entirely.  Every refusal sets the error bit.
 */
static uint32_t fw_cfg_dma_write(struct fw_cfg *fw, uint64_t gpa,
				 uint32_t length)
{
	const struct fw_cfg_item *it = fw_cfg_cur(fw);
	uint32_t n = fw_cfg_avail(fw, it);
	uint32_t status = 0;

	if (n == 0)
		return FW_CFG_DMA_CTL_ERROR; /* offset unchanged, as QEMU */
	n = min_u32(length, n);
	if (!it->writable || n != length ||
	    copy_from_guest(fw->mem, it->data + fw->cur_off, gpa, n) < 0)
		status = FW_CFG_DMA_CTL_ERROR;
	fw->cur_off += n; /* QEMU moves on even after a refused write */
	return status;
}

/* Skip: advance the offset, never past the end; touches no memory. */
static uint32_t fw_cfg_dma_skip(struct fw_cfg *fw, uint32_t length)
{
	fw->cur_off += min_u32(length, fw_cfg_avail(fw, fw_cfg_cur(fw)));
	return 0;
}

/*
 * One transfer for the descriptor whose address is in the DMA register.
 * The interface has no chaining: one write of the address, one descriptor,
 * and the work is bounded by its 32-bit length.  The status goes back to
 * the control field (0 = done, bit 0 = error).
 */
static void fw_cfg_dma_run(struct fw_cfg *fw)
{
	uint64_t desc = fw->dma_addr;
	uint8_t raw[FW_CFG_DMA_DESC_LEN], st[4];
	uint32_t control, length, status = 0;
	uint64_t addr;

	/* The register reads as 0 again after an operation. */
	fw->dma_addr = 0;

	if (copy_from_guest(fw->mem, raw, desc, sizeof(raw)) < 0) {
		/*
		 * QEMU still tries to flag the error in the control field;
		 * that works when only the tail of the descriptor is outside
		 * RAM.  Otherwise the guest cannot be told at all.
		 */
		bool told;

		put_be32(st, FW_CFG_DMA_CTL_ERROR);
		told = copy_to_guest(fw->mem, desc, st, sizeof(st)) == 0;
		if (fw_cfg_first(fw, FW_CFG_WARN_DESC))
			log_warn("fw_cfg: DMA descriptor at 0x%llx is not in guest RAM; %s (logged once)",
				 (unsigned long long)desc,
				 told ? "error flagged" : "ignored");
		return;
	}
	control = (uint32_t)get_be(raw, 4);
	length = (uint32_t)get_be(raw + 4, 4);
	addr = get_be(raw + 8, 8);

	if (control & FW_CFG_DMA_CTL_SELECT)
		fw_cfg_select(fw, (uint16_t)(control >> 16));

	/* Read wins over write, write over skip, as in QEMU. */
	if (length == 0)
		status = 0;
	else if (control & FW_CFG_DMA_CTL_READ)
		status = fw_cfg_dma_read(fw, addr, length);
	else if (control & FW_CFG_DMA_CTL_WRITE)
		status = fw_cfg_dma_write(fw, addr, length);
	else if (control & FW_CFG_DMA_CTL_SKIP)
		status = fw_cfg_dma_skip(fw, length);

	put_be32(st, status);
	if (copy_to_guest(fw->mem, desc, st, sizeof(st)) < 0 &&
	    fw_cfg_first(fw, FW_CFG_WARN_STATUS))
		log_warn("fw_cfg: cannot write the DMA status to 0x%llx (read-only?) (logged once)",
			 (unsigned long long)desc);
}

/* ---- registers ---------------------------------------------------------- */

/*
 * DMA address register reads: the bytes of "QEMU CFG" at their offsets
 * ("Signature").  QEMU refuses unaligned accesses, and a refused read
 * returns 0.
 */
static void fw_cfg_dma_reg_read(void *opaque, uint64_t offset, uint8_t *data,
				uint32_t len)
{
	(void)opaque;
	if (offset & (len - 1)) {
		memset(data, 0, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(FW_CFG_DMA_SIGNATURE >>
				    (8 * (7 - (offset + i))));
}

/*
 * The register is big-endian: a 32-bit write at +0 sets the high half
 * (and clears the low half, as QEMU does), one at +4 ORs in the low half
 * and starts the transfer, a 64-bit write at +0 sets both and starts it.
 * QEMU accepts no other write.
 */
static void fw_cfg_dma_reg_write(void *opaque, uint64_t offset,
				 const uint8_t *data, uint32_t len)
{
	struct fw_cfg *fw = opaque;
	uint64_t v = get_be(data, len);

	pthread_mutex_lock(&fw->lock);
	if (len == 4 && offset == 0) {
		fw->dma_addr = v << 32;
	} else if (len == 4 && offset == 4) {
		fw->dma_addr |= v;
		fw_cfg_dma_run(fw);
	} else if (len == 8 && offset == 0) {
		fw->dma_addr = v;
		fw_cfg_dma_run(fw);
	} else if (fw_cfg_first(fw, FW_CFG_WARN_DMA_REG)) {
		log_warn("fw_cfg: %u-byte write at DMA register offset %llu ignored (logged once)",
			 len, (unsigned long long)offset);
	}
	pthread_mutex_unlock(&fw->lock);
}

/*
 * x86 ports base and base + 1 form one 2-byte range in QEMU
 * ("fw_cfg_comb"): any byte read there reads the data register (even at
 * base + 0), a 16-bit write selects, a byte write is the old data write
 * and does nothing since QEMU 2.4.  A 16-bit read is refused and reads 0.
 */
static void fw_cfg_io_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t len)
{
	struct fw_cfg *fw = opaque;

	(void)offset;
	pthread_mutex_lock(&fw->lock);
	if (len == 1) {
		fw_cfg_read_data(fw, data, 1);
	} else {
		memset(data, 0, len);
		if (fw_cfg_first(fw, FW_CFG_WARN_PORT))
			log_warn("fw_cfg: %u-byte read of the selector port returns 0 (logged once)",
				 len);
	}
	pthread_mutex_unlock(&fw->lock);
}

static void fw_cfg_io_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t len)
{
	struct fw_cfg *fw = opaque;

	(void)offset;
	if (len != 2)
		return; /* data writes: ignored since QEMU 2.4 */
	pthread_mutex_lock(&fw->lock);
	fw_cfg_select(fw, (uint16_t)bus_data_get(data, 2));
	pthread_mutex_unlock(&fw->lock);
}

/* MMIO data register: 1 to 8 bytes at offset 0 only, in item order. */
static void fw_cfg_mmio_data_read(void *opaque, uint64_t offset,
				  uint8_t *data, uint32_t len)
{
	struct fw_cfg *fw = opaque;

	if (offset != 0) {
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&fw->lock);
	fw_cfg_read_data(fw, data, len);
	pthread_mutex_unlock(&fw->lock);
}

static void fw_cfg_mmio_data_write(void *opaque, uint64_t offset,
				   const uint8_t *data, uint32_t len)
{
	(void)opaque, (void)offset, (void)data, (void)len; /* since QEMU 2.4 */
}

/* MMIO selector: 16-bit big-endian writes only; reads return 0. */
static void fw_cfg_mmio_ctl_read(void *opaque, uint64_t offset, uint8_t *data,
				 uint32_t len)
{
	(void)opaque, (void)offset;
	memset(data, 0, len);
}

static void fw_cfg_mmio_ctl_write(void *opaque, uint64_t offset,
				  const uint8_t *data, uint32_t len)
{
	struct fw_cfg *fw = opaque;

	if (len != 2 || offset != 0)
		return;
	pthread_mutex_lock(&fw->lock);
	fw_cfg_select(fw, (uint16_t)get_be(data, 2));
	pthread_mutex_unlock(&fw->lock);
}

static const struct bus_ops fw_cfg_io_ops = {
	.read = fw_cfg_io_read,
	.write = fw_cfg_io_write,
};

static const struct bus_ops fw_cfg_dma_ops = {
	.read = fw_cfg_dma_reg_read,
	.write = fw_cfg_dma_reg_write,
};

static const struct bus_ops fw_cfg_mmio_data_ops = {
	.read = fw_cfg_mmio_data_read,
	.write = fw_cfg_mmio_data_write,
};

static const struct bus_ops fw_cfg_mmio_ctl_ops = {
	.read = fw_cfg_mmio_ctl_read,
	.write = fw_cfg_mmio_ctl_write,
};

/*
 * A failure part-way leaves the earlier ranges claimed; the bus has no
 * unregister, and a failed registration ends VM setup anyway.
 */
int fw_cfg_register(struct fw_cfg *fw, struct bus *pio, uint16_t base)
{
	if (bus_register(pio, "fw_cfg", base, FW_CFG_IO_CTL_LEN,
			 BUS_W1 | BUS_W2, &fw_cfg_io_ops, fw) < 0)
		return -1;
	if (fw->mem &&
	    bus_register(pio, "fw_cfg-dma", (uint64_t)base + FW_CFG_IO_DMA_OFF,
			 FW_CFG_DMA_LEN, BUS_W_ANY, &fw_cfg_dma_ops, fw) < 0)
		return -1;
	return 0;
}

int fw_cfg_register_mmio(struct fw_cfg *fw, struct bus *mmio, uint64_t base)
{
	if (base > UINT64_MAX - (FW_CFG_MMIO_DMA_OFF + FW_CFG_DMA_LEN - 1))
		return err_set("fw_cfg: MMIO base 0x%llx wraps around",
			       (unsigned long long)base);
	if (bus_register(mmio, "fw_cfg-data", base + FW_CFG_MMIO_DATA_OFF, 8,
			 BUS_W_ANY, &fw_cfg_mmio_data_ops, fw) < 0)
		return -1;
	if (bus_register(mmio, "fw_cfg-ctl", base + FW_CFG_MMIO_CTL_OFF, 2,
			 BUS_W1 | BUS_W2, &fw_cfg_mmio_ctl_ops, fw) < 0)
		return -1;
	if (fw->mem &&
	    bus_register(mmio, "fw_cfg-dma", base + FW_CFG_MMIO_DMA_OFF,
			 FW_CFG_DMA_LEN, BUS_W_ANY, &fw_cfg_dma_ops, fw) < 0)
		return -1;
	return 0;
}
