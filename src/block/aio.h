/* SPDX-License-Identifier: MIT */
/*
 * Asynchronous requests on a disk image (block/image.h).
 *
 * The caller (the virtio-blk model) fills a struct block_request it owns
 * and hands it to block_submit().  Return value:
 *
 *   0        accepted: req->done(req) will be called exactly once, on one of
 *            the image's I/O threads, with req->result set; until then
 *            the request, its iovec array and the buffers belong to the
 *            image.  done may submit again (that is how a refused request
 *            is retried) but must not call block_drain/block_image_close.
 *   -EAGAIN  BLOCK_QUEUE_DEPTH requests are accepted and not yet done:
 *            nothing happened; submit again after a done callback (each
 *            done frees its slot before it is called).
 *   other    refused without touching the file, done is not called, and
 *            req->result holds the same value:
 *            -EIO     the range goes beyond the end of the image (or wraps)
 *            -EROFS   a write, discard or write-zeroes on a readonly image
 *            -EINVAL  an unknown op, no done, more than BLOCK_MAX_IOV
 *                     buffers, or iov lengths that do not add up to len
 *
 * req->result on completion: the number of bytes done (== len) for
 * BLOCK_READ, BLOCK_WRITE, BLOCK_DISCARD and BLOCK_WRITE_ZEROES, 0 for
 * BLOCK_FLUSH; or -errno (-EIO, -ENOSPC, ...), which the model turns into
 * VIRTIO_BLK_S_IOERR.  A read past the end of a file that shrank under us
 * reads zeros.
 *
 * The operations:
 *   BLOCK_READ, BLOCK_WRITE  len bytes at offset into/from iov[0..nr_iov)
 *                            (preadv/pwritev, short transfers continued;
 *                            with cache=none misaligned buffers or offsets
 *                            go through an aligned bounce buffer)
 *   BLOCK_FLUSH              fdatasync (nothing with cache=unsafe);
 *                            offset, len and iov are ignored
 *   BLOCK_DISCARD            len bytes at offset deallocated (a hole in a
 *                            file: fallocate PUNCH_HOLE|KEEP_SIZE, they then
 *                            read as zeros; BLKDISCARD on a block device,
 *                            contents undefined); success without doing
 *                            anything when discard is off or the host
 *                            cannot; iov is ignored
 *   BLOCK_WRITE_ZEROES       len bytes at offset read as zeros afterwards
 *                            (fallocate ZERO_RANGE, else BLKZEROOUT, else
 *                            written zeros; with BLOCK_REQ_MAY_UNMAP and
 *                            discard on, a hole); iov is ignored
 *
 * Requests in flight at once may complete in any order; as on real disks,
 * overlapping reads and writes in flight together have no defined order.
 */
#ifndef MINIVMM_BLOCK_AIO_H
#define MINIVMM_BLOCK_AIO_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct block_image;

enum block_op {
	BLOCK_READ,
	BLOCK_WRITE,
	BLOCK_FLUSH,
	BLOCK_DISCARD,
	BLOCK_WRITE_ZEROES,
};

/* BLOCK_WRITE_ZEROES may deallocate (virtio-blk's unmap flag). */
#define BLOCK_REQ_MAY_UNMAP 0x1u

/* Requests accepted and not yet done, per image. */
#define BLOCK_QUEUE_DEPTH 128
/* I/O threads per image. */
#define BLOCK_IO_THREADS 4
/* Buffers per request (IOV_MAX). */
#define BLOCK_MAX_IOV 1024

struct block_request {
	enum block_op op;
	uint64_t offset; /* bytes */
	const struct iovec *iov; /* BLOCK_READ/WRITE only */
	unsigned nr_iov;
	uint64_t len; /* bytes; for READ/WRITE the sum of the iov lengths */
	uint32_t flags; /* BLOCK_REQ_* */
	ssize_t result; /* set before done is called */
	void (*done)(struct block_request *req);
	void *opaque; /* the caller's */
};

/* See above: 0, -EAGAIN, or a refusal (-EIO, -EROFS, -EINVAL). */
int block_submit(struct block_image *img, struct block_request *req);

/*
 * Wait until no request is in flight: every accepted request's done has
 * returned (including requests the callbacks submitted meanwhile).  For
 * device reset and pause.  Not from a done callback.
 */
void block_drain(struct block_image *img);

/* How requests are carried out, for -v: "4 I/O threads (preadv/pwritev)". */
const char *block_aio_backend(void);

#endif
