/* SPDX-License-Identifier: MIT */
/*
 * QEMU firmware configuration device (fw_cfg).
 *
 * The device firmware (SeaBIOS, OVMF) and Linux's qemu_fw_cfg driver use to
 * learn about the machine: a table of numbered items ("keys"), a directory
 * of named items ("files"), a byte-wide data register and a DMA interface.
 * We follow QEMU's docs/specs/fw_cfg.rst and mirror what QEMU's
 * hw/nvram/fw_cfg.c does where the text leaves a choice, so the same
 * firmware image sees the same bytes under minivmm and under QEMU.
 *
 * Guest-visible registers on x86 (fw_cfg.rst, "Register Locations"):
 *
 *   base + 0  (0x510)  selector, 16-bit little-endian write
 *   base + 1  (0x511)  data, 8-bit; reads the next byte of the item
 *   base + 4  (0x514)  DMA address, 8 bytes, big-endian; high half at +4,
 *                      low half at +8 (0x518), whose write starts the
 *                      transfer; reads return "QEMU CFG"
 *
 * On Arm (MMIO; fw_cfg_register_mmio): data at base + 0 (1..8 bytes),
 * selector at base + 8 (16-bit big-endian), DMA address at base + 16.
 *
 * Everything here is plain C over struct bus and struct guest_mem: no KVM,
 * so it is unit-tested and fuzzed directly.  Items are added during setup;
 * after that the guest only reads them (and may overwrite the few items
 * added with fw_cfg_add_file_writable, through DMA).  A mutex in the device
 * serialises vCPUs.  Guest misbehaviour is answered the way QEMU answers
 * it (zeros, ignored writes, the DMA error bit) and logged at most once per
 * kind; nothing a guest does can fail the VM.
 */
#ifndef MINIVMM_DEV_FW_CFG_H
#define MINIVMM_DEV_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"

struct bus;
struct guest_mem;
struct fw_cfg;

/* Well-known keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE 0x0000 /* "QEMU", added by fw_cfg_create */
#define FW_CFG_ID 0x0001 /* le32 feature bits, added by fw_cfg_create */
#define FW_CFG_UUID 0x0002 /* 16 bytes */
#define FW_CFG_RAM_SIZE 0x0003 /* le64 */
#define FW_CFG_NOGRAPHIC 0x0004 /* le16 */
#define FW_CFG_NB_CPUS 0x0005 /* le16 */
#define FW_CFG_MACHINE_ID 0x0006
#define FW_CFG_KERNEL_ADDR 0x0007 /* le32 */
#define FW_CFG_KERNEL_SIZE 0x0008 /* le32 */
#define FW_CFG_KERNEL_CMDLINE 0x0009
#define FW_CFG_INITRD_ADDR 0x000a /* le32 */
#define FW_CFG_INITRD_SIZE 0x000b /* le32 */
#define FW_CFG_BOOT_DEVICE 0x000c
#define FW_CFG_NUMA 0x000d /* le64 count, then per-CPU and per-node le64 */
#define FW_CFG_BOOT_MENU 0x000e /* le16 */
#define FW_CFG_MAX_CPUS 0x000f /* le16 */
#define FW_CFG_KERNEL_ENTRY 0x0010
#define FW_CFG_KERNEL_DATA 0x0011 /* bytes */
#define FW_CFG_INITRD_DATA 0x0012 /* bytes */
#define FW_CFG_CMDLINE_ADDR 0x0013 /* le32 */
#define FW_CFG_CMDLINE_SIZE 0x0014 /* le32 */
#define FW_CFG_CMDLINE_DATA 0x0015 /* NUL-terminated string */
#define FW_CFG_SETUP_ADDR 0x0016 /* le32 */
#define FW_CFG_SETUP_SIZE 0x0017 /* le32 */
#define FW_CFG_SETUP_DATA 0x0018 /* bytes */
#define FW_CFG_FILE_DIR 0x0019 /* the file directory; owned by the device */
#define FW_CFG_FILE_FIRST 0x0020 /* selector of the first file */

/* Selector bits (fw_cfg.rst, "Selector (Control) Register"). */
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_ARCH_LOCAL 0x8000
#define FW_CFG_ENTRY_MASK 0x3fff
#define FW_CFG_INVALID 0xffff

/* x86 arch-local keys (QEMU hw/i386/fw_cfg.h). */
#define FW_CFG_ACPI_TABLES (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE (FW_CFG_ARCH_LOCAL + 3) /* le32 count + entries */
#define FW_CFG_HPET (FW_CFG_ARCH_LOCAL + 4)

/*
 * Number of file slots.  QEMU's default ("x-file-slots", 0x20 since
 * machine type 2.9); the directory item is always sized for all of them,
 * as in QEMU, and selectors FW_CFG_FILE_FIRST + slots and up are invalid.
 */
#define FW_CFG_FILE_SLOTS 0x20
#define FW_CFG_MAX_ENTRY (FW_CFG_FILE_FIRST + FW_CFG_FILE_SLOTS)
/* A file name including its NUL; longer names are refused. */
#define FW_CFG_MAX_FILE_PATH 56

/* FW_CFG_ID bits. */
#define FW_CFG_VERSION 0x01 /* traditional (port) interface */
#define FW_CFG_VERSION_DMA 0x02 /* DMA interface */

/* DMA control bits (fw_cfg.rst, "Guest-side DMA Interface"). */
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

/* What a read of the DMA address register returns ("QEMU CFG", BE). */
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull

/* Register layout. */
#define FW_CFG_IO_BASE 0x510 /* x86 port base */
#define FW_CFG_IO_CTL_LEN 2 /* selector + overlapping data port */
#define FW_CFG_IO_DMA_OFF 4
#define FW_CFG_MMIO_DATA_OFF 0
#define FW_CFG_MMIO_CTL_OFF 8
#define FW_CFG_MMIO_DMA_OFF 16
#define FW_CFG_DMA_LEN 8
#define FW_CFG_DMA_DESC_LEN 16 /* {be32 control, be32 length, be64 addr} */

/*
 * Create a device holding the signature and ID items and with the
 * signature item selected (QEMU's reset state).  `mem` is where DMA goes;
 * NULL creates a device without the DMA interface (ID bit 1 clear, no DMA
 * register), like QEMU's fw_cfg_init_io().  `mem` must outlive the device.
 * Returns NULL with err_msg() set on allocation failure.
 * fw_cfg_register() or fw_cfg_register_mmio() attach it to a bus,
 * fw_cfg_device_ops.destroy frees it.
 */
struct fw_cfg *fw_cfg_create(const struct guest_mem *mem);

/*
 * The device operations (device.h), each under the device's lock:
 *
 *   reset    select the signature item again (offset 0), as QEMU's
 *            fw_cfg_reset does, and clear the DMA address register (QEMU
 *            keeps a half-written one; a guest writes the high half first,
 *            which replaces it, so only the power-on value is visible
 *            here).  Items, and what the guest wrote into writable files,
 *            stay.
 *   save     the selected key, the offset in it, the DMA address, and the
 *            contents of every writable file (the rest is the machine's
 *            configuration, rebuilt by whoever creates the device).
 *   load     into a device built with the same items: the number of files
 *            and of writable ones must match, each saved file must be a
 *            writable file of the same size here, the key one the selector
 *            can hold, the offset inside that item, and a DMA address only
 *            on a device with DMA.
 *   destroy  frees the device and its items.
 */
extern const struct device_ops fw_cfg_device_ops;

/*
 * Add a numbered item; the bytes are copied.  Refused (-1, err_msg()):
 * a key with the write bit (0x4000) set, FW_CFG_FILE_DIR, generic keys at
 * or above FW_CFG_FILE_FIRST (use fw_cfg_add_file), keys at or beyond
 * FW_CFG_MAX_ENTRY, a key already present, and len 0xffffffff.
 */
int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data,
		     uint32_t len);
/* Numeric items are stored little-endian, as QEMU's fw_cfg_add_i16/32/64. */
int fw_cfg_add_u16(struct fw_cfg *fw, uint16_t key, uint16_t value);
int fw_cfg_add_u32(struct fw_cfg *fw, uint16_t key, uint32_t value);
int fw_cfg_add_u64(struct fw_cfg *fw, uint16_t key, uint64_t value);
/* The string and its terminating NUL (QEMU's fw_cfg_add_string). */
int fw_cfg_add_string(struct fw_cfg *fw, uint16_t key, const char *value);

/*
 * Add a named file; the bytes are copied.  As in QEMU (machine types 2.6
 * and later) the directory is kept sorted by name with strcmp() and a
 * file's selector is FW_CFG_FILE_FIRST + its position in that order, so
 * adding a file renumbers the files that sort after it.  Selectors are
 * therefore final only once every file has been added (before the guest
 * runs).  Refused: an empty name or one of FW_CFG_MAX_FILE_PATH bytes or
 * more, a duplicate name, more than FW_CFG_FILE_SLOTS files, len 0xffffffff.
 */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data,
		    uint32_t len);
/*
 * Like fw_cfg_add_file, but the guest may overwrite the contents in place
 * through a DMA write (never resize them); QEMU's read_only=false files.
 */
int fw_cfg_add_file_writable(struct fw_cfg *fw, const char *name,
			     const void *data, uint32_t len);
/*
 * Copy up to `len` bytes of file `name` as it is now into buf.  Returns
 * the file's size, or -1 (err_msg()) when there is no such file.
 */
int64_t fw_cfg_read_file(struct fw_cfg *fw, const char *name, void *buf,
			 uint32_t len);

/*
 * Claim the x86 port registers: [base, base + 2) for selector and data and,
 * with DMA, [base + 4, base + 12) for the DMA address.  The device must
 * outlive the bus.  Returns 0 or -1 with err_msg().
 */
int fw_cfg_register(struct fw_cfg *fw, struct bus *pio, uint16_t base);
/*
 * Claim the MMIO registers of QEMU's Arm "virt" layout at `base`: data
 * [base, base + 8), selector [base + 8, base + 10), DMA [base + 16, +24).
 */
int fw_cfg_register_mmio(struct fw_cfg *fw, struct bus *mmio, uint64_t base);

#endif
