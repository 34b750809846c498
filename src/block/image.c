// SPDX-License-Identifier: MIT
/*
 * Opening a disk image (block/image.h): the checks, the lock, the size and
 * block sizes, and O_DIRECT's alignment.  The requests are aio.c's.
 */
#include "block/image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/aio.h"
#include "block/internal.h"
#include "log.h"

static const char *cache_name(enum drive_cache cache)
{
	switch (cache) {
	case DRIVE_CACHE_WRITEBACK:
		return "writeback";
	case DRIVE_CACHE_NONE:
		return "none";
	case DRIVE_CACHE_UNSAFE:
		return "unsafe";
	}
	return "?";
}

/* A power of two from 512 to 64 KiB, else 512. */
static uint32_t sane_block(uint64_t v)
{
	if (v < 512 || v > (64u << 10) || (v & (v - 1)))
		return 512;
	return (uint32_t)v;
}

/*
 * O_DIRECT's alignment, probed as QEMU does (raw_probe_alignment): the
 * smallest power of two from 512 for which a read at offset 0 into a
 * buffer aligned to just that works.  A block device says it (BLKSSZGET);
 * when nothing can be probed (an empty file), the page size is safe.
 */
static uint32_t probe_dio_align(struct block_image *img)
{
	uint32_t align = 4096;
	void *buf;

	if (img->blockdev) {
		int ssz = 0;

		if (ioctl(img->fd, BLKSSZGET, &ssz) == 0 && ssz >= 512)
			return sane_block((uint64_t)ssz);
		return 4096;
	}
	if (img->size < 4096 || posix_memalign(&buf, 8192, 8192))
		return 4096;
	for (uint32_t a = 512; a <= 4096; a *= 2) {
		if (pread(img->fd, (char *)buf + a, a, 0) >= 0) {
			align = a;
			break;
		}
	}
	free(buf);
	return align;
}

/*
 * The OFD lock (QEMU's image locking, on the whole file): shared for a
 * read-only user, exclusive for a writer.  A filesystem without locks
 * (some network filesystems) gets a warning, as in QEMU.
 */
static int lock_image(struct block_image *img)
{
	struct flock fl = {
		.l_type = img->readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,
	};

	if (fcntl(img->fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return err_set("-drive file=%s: %s is in use by another process (locked)",
			       img->path, img->path);
	if (errno == EINVAL || errno == ENOLCK || errno == EOPNOTSUPP) {
		log_warn("-drive file=%s: the filesystem does not lock files: the image is not protected from a second user",
			 img->path);
		return 0;
	}
	return err_errno("-drive file=%s: cannot lock it", img->path);
}

static int open_file(struct block_image *img, const struct drive_cfg *cfg)
{
	int flags = (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	const char *p = img->path;
	struct stat st;

	if (stat(p, &st) < 0)
		return err_errno("-drive file=%s: cannot open %s", p, p);
	if (S_ISDIR(st.st_mode))
		return err_set("-drive file=%s: %s is a directory, not a disk image",
			       p, p);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return err_set("-drive file=%s: %s is neither a regular file nor a block device",
			       p, p);
	if (!cfg->readonly && access(p, W_OK) < 0 &&
	    (errno == EACCES || errno == EROFS || errno == EPERM))
		return err_errno("-drive file=%s: %s cannot be written (add readonly=on)",
				 p, p);
	if (cfg->cache == DRIVE_CACHE_NONE)
		flags |= O_DIRECT;
	img->fd = open(p, flags);
	if (img->fd < 0) {
		if (errno == EINVAL && (flags & O_DIRECT))
			return err_set("-drive file=%s: cache=none needs O_DIRECT, which the filesystem holding %s refuses (tmpfs did before Linux 6.6); use cache=writeback",
				       p, p);
		if (!cfg->readonly &&
		    (errno == EACCES || errno == EROFS || errno == EPERM))
			return err_errno("-drive file=%s: %s cannot be written (add readonly=on)",
					 p, p);
		return err_errno("-drive file=%s: cannot open %s", p, p);
	}
	/* What was opened, not what was there a moment ago. */
	if (fstat(img->fd, &st) < 0)
		return err_errno("-drive file=%s: fstat", p);
	if (S_ISBLK(st.st_mode)) {
		uint64_t size = 0;
		unsigned pbsz = 0, iomin = 0;

		img->blockdev = true;
		if (ioctl(img->fd, BLKGETSIZE64, &size) < 0)
			return err_errno("-drive file=%s: BLKGETSIZE64", p);
		img->size = size;
		if (ioctl(img->fd, BLKPBSZGET, &pbsz) < 0)
			pbsz = 512;
		if (ioctl(img->fd, BLKIOMIN, &iomin) < 0)
			iomin = pbsz;
		img->phys_block = sane_block(pbsz);
		img->min_io = sane_block(iomin);
	} else if (S_ISREG(st.st_mode)) {
		img->size = (uint64_t)st.st_size;
		img->phys_block = sane_block((uint64_t)st.st_blksize);
		img->min_io = img->phys_block;
	} else {
		return err_set("-drive file=%s: %s is neither a regular file nor a block device",
			       p, p);
	}
	return 0;
}

struct block_image *block_image_open(const struct drive_cfg *cfg)
{
	struct block_image *img = calloc(1, sizeof(*img));

	if (!img) {
		err_set("-drive file=%s: out of memory", cfg->file);
		return NULL;
	}
	img->fd = -1;
	snprintf(img->path, sizeof(img->path), "%s", cfg->file);
	snprintf(img->id, sizeof(img->id), "%s", cfg->id);
	img->readonly = cfg->readonly;
	img->discard = cfg->discard;
	img->cache = cfg->cache;
	img->direct = cfg->cache == DRIVE_CACHE_NONE;
	if (!img->path[0]) {
		err_set("-drive: file= is missing");
		goto fail;
	}
	if (open_file(img, cfg) < 0 || lock_image(img) < 0)
		goto fail;
	img->dio_align = img->direct ? probe_dio_align(img) : 1;
	if (posix_memalign(&img->zeros, 4096, BLOCK_ZERO_SIZE)) {
		img->zeros = NULL;
		err_set("-drive file=%s: out of memory", img->path);
		goto fail;
	}
	memset(img->zeros, 0, BLOCK_ZERO_SIZE);
	if (block_workers_start(img) < 0)
		goto fail;
	log_info("drive %s: %s, %llu bytes, %s%s, cache=%s%s, discard=%s, I/O: %s",
		 img->id, img->path, (unsigned long long)img->size,
		 img->blockdev ? "block device, " : "",
		 img->readonly ? "read-only" : "read-write",
		 cache_name(img->cache), img->direct ? " (O_DIRECT)" : "",
		 img->discard ? "unmap" : "ignore", block_aio_backend());
	return img;
fail:
	block_image_close(img);
	return NULL;
}

void block_image_close(struct block_image *img)
{
	if (!img)
		return;
	block_workers_stop(img);
	/* Closing the only descriptor of the open file drops the OFD lock. */
	if (img->fd >= 0)
		close(img->fd);
	free(img->zeros);
	free(img);
}

uint64_t block_image_size(const struct block_image *img)
{
	return img->size;
}

bool block_image_readonly(const struct block_image *img)
{
	return img->readonly;
}

uint32_t block_image_logical_block_size(const struct block_image *img)
{
	(void)img;
	return BLOCK_LOGICAL_BLOCK_SIZE;
}

uint32_t block_image_physical_block_size(const struct block_image *img)
{
	return img->phys_block;
}

uint32_t block_image_min_io_size(const struct block_image *img)
{
	return img->min_io;
}

bool block_image_discard(const struct block_image *img)
{
	return img->discard;
}

const char *block_image_path(const struct block_image *img)
{
	return img->path;
}

const char *block_image_id(const struct block_image *img)
{
	return img->id;
}

static void image_destroy(void *dev)
{
	block_image_close(dev);
}

const struct device_ops block_image_device_ops = {
	.type = "block-image",
	.version = 1,
	.destroy = image_destroy,
};
