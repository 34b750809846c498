// SPDX-License-Identifier: MIT
/*
 * The fw_cfg device's guest-visible registers (port and MMIO layouts) and
 * its DMA engine (QEMU docs/specs/fw_cfg.rst, "Guest-side DMA Interface").
 * Every DMA descriptor and buffer goes through the checked guest-memory
 * door; a bad address sets the error bit, as in QEMU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "byteorder.h"
#include "dev/fw_cfg_internal.h"
#include "log.h"
#include "mem.h"

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
