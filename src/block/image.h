/* SPDX-License-Identifier: MIT */
/*
 * Disk images: the back end of a -drive (struct drive_cfg), for the
 * virtio-blk model.  Raw files and block devices only.
 *
 *   struct block_image *img = block_image_open(&cfg->drives[i]);
 *   ... block_image_size(img), block_image_readonly(img), ...
 *   ... block_submit(img, &req) / block_drain(img)   (block/aio.h)
 *   block_image_close(img);
 *
 * Opening checks everything a drive can get wrong before the guest runs
 * (a missing or unreadable file, a directory, a file that cannot be
 * written without readonly=on, cache=none on a filesystem without
 * O_DIRECT) and locks the image as QEMU does, with an open file
 * description lock on the whole file: a write lock when opened read-write,
 * a read lock when read-only.  A second minivmm (or QEMU) on an image in
 * use is refused; two read-only users may share it.  The lock lasts until
 * block_image_close().
 *
 * Caching (drive_cfg.cache): writeback uses the host page cache and
 * BLOCK_FLUSH calls fdatasync(); none opens with O_DIRECT (a misaligned
 * request goes through an aligned bounce buffer) and flushes the same
 * way; unsafe uses the page cache and BLOCK_FLUSH does nothing.
 *
 * Every image has its own small pool of I/O threads ("iothread-N", every
 * signal blocked), started here and stopped by block_image_close().
 */
#ifndef MINIVMM_BLOCK_IMAGE_H
#define MINIVMM_BLOCK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "vm_config.h"

struct block_image;

/* The block size the guest is told about (and the unit of its sectors). */
#define BLOCK_LOGICAL_BLOCK_SIZE 512u

/*
 * Open cfg->file as cfg says (readonly, cache, discard), lock it and start
 * its I/O threads.  NULL with err_msg() naming the drive
 * ("-drive file=PATH: ...") on failure; nothing is left open.
 */
struct block_image *block_image_open(const struct drive_cfg *cfg);

/*
 * Wait for every request in flight (block_drain), stop the I/O threads,
 * drop the lock and close the file.  NULL is ignored.  Not from a done
 * callback.
 */
void block_image_close(struct block_image *img);

/* Size in bytes (fstat, or BLKGETSIZE64 for a block device). */
uint64_t block_image_size(const struct block_image *img);
/* readonly=on: every write, discard and write-zeroes is refused (-EROFS). */
bool block_image_readonly(const struct block_image *img);
/* BLOCK_LOGICAL_BLOCK_SIZE. */
uint32_t block_image_logical_block_size(const struct block_image *img);
/*
 * The host's physical block (BLKPBSZGET; st_blksize for a file), a power
 * of two from 512 to 64 KiB, and its minimum I/O size (BLKIOMIN; the same
 * for a file): what virtio-blk reports as its topology.
 */
uint32_t block_image_physical_block_size(const struct block_image *img);
uint32_t block_image_min_io_size(const struct block_image *img);
/*
 * discard=unmap: BLOCK_DISCARD frees the range (and the model may offer
 * VIRTIO_BLK_F_DISCARD); false: BLOCK_DISCARD succeeds without doing
 * anything.  BLOCK_WRITE_ZEROES works either way.
 */
bool block_image_discard(const struct block_image *img);
/* As given in -drive file= and id=. */
const char *block_image_path(const struct block_image *img);
const char *block_image_id(const struct block_image *img);

/*
 * An open image as an entry of the VM's device list (device.h), which owns
 * it: destroy closes it (after draining); no reset, no saved state.
 * machine_create() adds every -drive this way (machine_drive()).
 */
extern const struct device_ops block_image_device_ops;

#endif
