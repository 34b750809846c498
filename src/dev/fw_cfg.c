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
#include "dev/fw_cfg_internal.h"

/* True the first time a kind of misbehaviour is seen.  Lock held. */
bool fw_cfg_first(struct fw_cfg *fw, unsigned kind)
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
void fw_cfg_select(struct fw_cfg *fw, uint16_t key)
{
	fw->cur_off = 0;
	if ((key & FW_CFG_ENTRY_MASK) < FW_CFG_MAX_ENTRY)
		fw->cur_key = key;
	else
		fw->cur_key = FW_CFG_INVALID;
}

/* The selected item, or NULL when nothing is there. */
struct fw_cfg_item *fw_cfg_cur(struct fw_cfg *fw)
{
	struct fw_cfg_item *it;

	if (fw->cur_key == FW_CFG_INVALID)
		return NULL;
	it = &fw->items[!!(fw->cur_key & FW_CFG_ARCH_LOCAL)]
		       [fw->cur_key & FW_CFG_ENTRY_MASK];
	return it->data ? it : NULL;
}

/* Bytes left in the selected item from the current offset. */
uint32_t fw_cfg_avail(struct fw_cfg *fw, const struct fw_cfg_item *it)
{
	return it && fw->cur_off < it->len ? it->len - fw->cur_off : 0;
}

/*
 * "Data Register": the next `len` bytes in item order, zeros once the item
 * is exhausted.  The offset stops at the end of the item.
 */
void fw_cfg_read_data(struct fw_cfg *fw, uint8_t *out, uint32_t len)
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

