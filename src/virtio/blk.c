// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.2, 5.2): see blk.h.  Configuration space layout
 * (5.2.4), little-endian:
 *
 *    0 capacity (le64, 512-byte sectors)   24 physical_block_exp (u8)
 *    8 size_max (le32)                      25 alignment_offset (u8)
 *   12 seg_max (le32)                       26 min_io_size (le16)
 *   16 geometry (cyl le16, heads, sectors)  28 opt_io_size (le32)
 *   20 blk_size (le32)                      32 writeback (u8), 34 num_queues (le16)
 *   36 max_discard_sectors, 40 max_discard_seg, 44 discard_sector_alignment,
 *   48 max_write_zeroes_sectors, 52 max_write_zeroes_seg (le32 each),
 *   56 write_zeroes_may_unmap (u8)
 */
#include "virtio/blk.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "block/aio.h"
#include "block/image.h"
#include "byteorder.h"
#include "iov.h"
#include "log.h"
#include "virtio/virtio.h"

#define HDR_LEN 16
#define SEGMENT_LEN 16
/*
 * Segments the driver may use per request: as QEMU, the queue size less
 * the header and the status, so a 1 MiB request of 4 KiB pages is one
 * request.  A segment may cross a RAM region boundary (two pieces): a
 * chain holds twice as many.
 */
#define BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2)
_Static_assert(2 * BLK_SEG_MAX + 2 <= VQ_MAX_IOV,
	       "a chain of BLK_SEG_MAX split segments fits in a vq_chain");
/* Sectors one discard or write-zeroes segment may cover (2 GiB). */
#define BLK_MAX_DISCARD_SECTORS (4u << 20)

struct blk_req {
	struct virtio_blk *blk;
	struct block_request io;
	struct vq_chain chain;
	struct iovec data[VQ_MAX_IOV];
	uint8_t *status; /* the chain's last writable byte */
	uint32_t written; /* for the used ring: data + status */
	int next_free;
};

struct virtio_blk {
	struct virtio_dev vdev;
	struct block_image *img;
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	uint64_t sectors;
	uint8_t config[VIRTIO_BLK_CONFIG_SIZE];

	pthread_mutex_t lock; /* the queue, the request pool, the flags */
	pthread_cond_t idle; /* in_flight reached 0 */
	struct blk_req *reqs;
	int free_head;
	unsigned in_flight;
	bool stalled; /* stopped taking chains: no free request, or EAGAIN */
	bool resetting; /* completions no longer touch the ring */

	/* Counters (for -v and tests). */
	uint64_t nr_requests, nr_errors;
};

/* ---- Configuration space ---- */

static unsigned log2_sectors(uint32_t bytes)
{
	unsigned e = 0;

	while (e < 16 && ((uint32_t)VIRTIO_BLK_SECTOR << e) < bytes)
		e++;
	return e;
}

static void build_config(struct virtio_blk *blk)
{
	uint8_t *c = blk->config;
	uint32_t pbs = block_image_physical_block_size(blk->img);

	memset(c, 0, sizeof(blk->config));
	le_put(c + 0, blk->sectors, 8);
	le_put(c + 12, BLK_SEG_MAX, 4);
	le_put(c + 20, VIRTIO_BLK_SECTOR, 4);
	c[24] = (uint8_t)log2_sectors(pbs);
	le_put(c + 26, block_image_min_io_size(blk->img) / VIRTIO_BLK_SECTOR ?
			       block_image_min_io_size(blk->img) / VIRTIO_BLK_SECTOR : 1,
	       2);
	le_put(c + 34, 1, 2);
	le_put(c + 36, BLK_MAX_DISCARD_SECTORS, 4);
	le_put(c + 40, 1, 4);
	le_put(c + 44, 1, 4);
	le_put(c + 48, BLK_MAX_DISCARD_SECTORS, 4);
	le_put(c + 52, 1, 4);
	c[56] = block_image_discard(blk->img) ? 1 : 0;
}

static void blk_config_read(struct virtio_dev *dev, uint32_t off,
			    uint8_t *data, uint32_t len)
{
	struct virtio_blk *blk = dev->priv;

	memcpy(data, blk->config + off, len);
}

/* ---- The request pool ---- */

static struct blk_req *req_get(struct virtio_blk *blk)
{
	struct blk_req *r;

	if (blk->free_head < 0)
		return NULL;
	r = &blk->reqs[blk->free_head];
	blk->free_head = r->next_free;
	return r;
}

static void req_put(struct virtio_blk *blk, struct blk_req *r)
{
	r->next_free = blk->free_head;
	blk->free_head = (int)(r - blk->reqs);
}

static void pool_init(struct virtio_blk *blk)
{
	blk->free_head = -1;
	for (int i = VIRTIO_BLK_QUEUE_SIZE; i-- > 0;) {
		blk->reqs[i].blk = blk;
		req_put(blk, &blk->reqs[i]);
	}
}

/* ---- Completing ---- */

/*
 * Hand a request back: status byte, used ring, pool.  Lock held.  Returns
 * whether the driver is to be interrupted.
 */
static bool complete_locked(struct virtio_blk *blk, struct blk_req *r,
			    uint8_t status)
{
	struct virtqueue *vq = &blk->vdev.vqs[0];
	bool notify = false;

	if (status != VIRTIO_BLK_S_OK)
		blk->nr_errors++;
	if (!blk->resetting) {
		*r->status = status;
		vq_push(vq, r->chain.head, r->written);
		notify = vq_should_notify(vq);
	}
	req_put(blk, r);
	return notify;
}

static void interrupt(struct virtio_blk *blk)
{
	struct virtio_dev *dev = &blk->vdev;

	if (dev->transport.notify_queue)
		dev->transport.notify_queue(dev->transport.ctx, 0);
}

/* An I/O thread finished r. */
static void io_done(struct block_request *io)
{
	struct blk_req *r = io->opaque;
	struct virtio_blk *blk = r->blk;
	uint8_t status = io->result < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	bool notify, stalled;

	pthread_mutex_lock(&blk->lock);
	notify = complete_locked(blk, r, status);
	stalled = blk->stalled && !blk->resetting;
	blk->stalled = false;
	if (--blk->in_flight == 0)
		pthread_cond_broadcast(&blk->idle);
	pthread_mutex_unlock(&blk->lock);
	if (notify)
		interrupt(blk);
	/* Chains wait for a free request: take them on the event loop. */
	if (stalled && blk->vdev.transport.kick_later)
		blk->vdev.transport.kick_later(blk->vdev.transport.ctx, 0);
}

/* ---- Parsing ---- */

static bool in_disk(const struct virtio_blk *blk, uint64_t sector,
		    uint64_t count)
{
	return sector <= blk->sectors && count <= blk->sectors - sector;
}

/*
 * Turn a chain into an I/O for the image, or an immediate status.  Returns
 * VIRTIO_BLK_S_OK with r->io filled when there is I/O to do, else the
 * status to complete with (the answer is already in the chain for GET_ID).
 */
static int parse(struct virtio_blk *blk, struct blk_req *r, bool *submit)
{
	struct vq_chain *c = &r->chain;
	uint8_t hdr[HDR_LEN], seg[SEGMENT_LEN];
	uint32_t type, data_in, data_out;
	uint64_t sector;

	*submit = false;
	r->written = 1;
	/* The status byte: the last writable byte (5.2.6). */
	if (c->in_len < 1 || c->out_len < HDR_LEN)
		return -1; /* no place to answer: the caller drops it */
	r->status = (uint8_t *)c->in[c->nr_in - 1].iov_base +
		    c->in[c->nr_in - 1].iov_len - 1;
	iov_to_buf(c->out, c->nr_out, 0, hdr, HDR_LEN);
	type = (uint32_t)le_get(hdr, 4);
	sector = le_get(hdr + 8, 8);
	data_in = c->in_len - 1;
	data_out = c->out_len - HDR_LEN;
	memset(&r->io, 0, sizeof(r->io));
	r->io.opaque = r;
	r->io.done = io_done;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool in = type == VIRTIO_BLK_T_IN;
		uint32_t len = in ? data_in : data_out;

		if ((in ? data_out : data_in) || len % VIRTIO_BLK_SECTOR ||
		    !in_disk(blk, sector, len / VIRTIO_BLK_SECTOR) ||
		    sector > UINT64_MAX / VIRTIO_BLK_SECTOR)
			return VIRTIO_BLK_S_IOERR;
		if (!in && block_image_readonly(blk->img))
			return VIRTIO_BLK_S_IOERR;
		r->io.op = in ? BLOCK_READ : BLOCK_WRITE;
		r->io.offset = sector * VIRTIO_BLK_SECTOR;
		r->io.len = len;
		r->io.iov = r->data;
		r->io.nr_iov = in ? iov_slice(r->data, c->in, c->nr_in, 0, len) :
				    iov_slice(r->data, c->out, c->nr_out, HDR_LEN, len);
		if (in)
			r->written = len + 1;
		break;
	}
	case VIRTIO_BLK_T_FLUSH:
		r->io.op = BLOCK_FLUSH;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
		size_t n = data_in < VIRTIO_BLK_ID_BYTES ? data_in :
							    VIRTIO_BLK_ID_BYTES;

		memcpy(id, blk->serial, strlen(blk->serial));
		iov_from_buf(c->in, c->nr_in, 0, id, n);
		r->written = (uint32_t)n + 1;
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		uint64_t start;
		uint32_t count, flags;

		/* One segment (max_*_seg is 1), reserved flags clear (5.2.6.2). */
		if (data_out != SEGMENT_LEN || data_in)
			return VIRTIO_BLK_S_IOERR;
		iov_to_buf(c->out, c->nr_out, HDR_LEN, seg, SEGMENT_LEN);
		start = le_get(seg, 8);
		count = (uint32_t)le_get(seg + 8, 4);
		flags = (uint32_t)le_get(seg + 12, 4);
		if ((flags & ~1u) || count > BLK_MAX_DISCARD_SECTORS ||
		    !in_disk(blk, start, count) ||
		    (type == VIRTIO_BLK_T_DISCARD && flags))
			return VIRTIO_BLK_S_UNSUPP;
		if (block_image_readonly(blk->img))
			return VIRTIO_BLK_S_IOERR;
		r->io.op = type == VIRTIO_BLK_T_DISCARD ? BLOCK_DISCARD :
							  BLOCK_WRITE_ZEROES;
		if (flags & 1)
			r->io.flags = BLOCK_REQ_MAY_UNMAP;
		r->io.offset = start * VIRTIO_BLK_SECTOR;
		r->io.len = (uint64_t)count * VIRTIO_BLK_SECTOR;
		break;
	}
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
	*submit = true;
	return VIRTIO_BLK_S_OK;
}

/* ---- Taking requests ---- */

static void blk_notify(struct virtio_dev *dev, unsigned q)
{
	struct virtio_blk *blk = dev->priv;
	struct virtqueue *vq = &dev->vqs[0];
	bool notify = false, broken = false, more = false;
	unsigned budget = 2 * VIRTIO_BLK_QUEUE_SIZE;

	if (q != 0)
		return;
	pthread_mutex_lock(&blk->lock);
	while (!blk->resetting) {
		struct blk_req *r = req_get(blk);
		enum vq_pop_result got;
		bool submit;
		int status;

		if (!r) {
			blk->stalled = true;
			break;
		}
		if (budget-- == 0) {
			/* Bounded work per kick; the rest on the next round. */
			req_put(blk, r);
			more = true;
			break;
		}
		got = vq_pop(vq, &r->chain);
		if (got != VQ_GOT) {
			req_put(blk, r);
			broken = got == VQ_BROKEN;
			break;
		}
		blk->nr_requests++;
		status = parse(blk, r, &submit);
		if (status < 0) {
			/* Nowhere to put a status: hand it back unanswered. */
			vq_push(vq, r->chain.head, 0);
			notify |= vq_should_notify(vq);
			req_put(blk, r);
			continue;
		}
		if (!submit) {
			notify |= complete_locked(blk, r, (uint8_t)status);
			continue;
		}
		blk->in_flight++;
		status = block_submit(blk->img, &r->io);
		if (status == -EAGAIN) {
			/* The image's queue is full: try again on a completion. */
			blk->in_flight--;
			vq_unpop(vq);
			req_put(blk, r);
			blk->stalled = true;
			break;
		}
		if (status < 0) {
			/* Refused without touching the file (range, read-only). */
			blk->in_flight--;
			notify |= complete_locked(blk, r, VIRTIO_BLK_S_IOERR);
		}
	}
	pthread_mutex_unlock(&blk->lock);
	if (notify)
		interrupt(blk);
	if (broken)
		virtio_needs_reset(dev, "a malformed request chain");
	if (more && dev->transport.kick_later)
		dev->transport.kick_later(dev->transport.ctx, 0);
}

static int blk_activate(struct virtio_dev *dev)
{
	struct virtio_blk *blk = dev->priv;

	pthread_mutex_lock(&blk->lock);
	blk->resetting = false;
	pthread_mutex_unlock(&blk->lock);
	return 0;
}

/* Stop taking requests, wait for those in flight, forget them. */
static void blk_reset(struct virtio_dev *dev)
{
	struct virtio_blk *blk = dev->priv;

	pthread_mutex_lock(&blk->lock);
	blk->resetting = true;
	while (blk->in_flight)
		pthread_cond_wait(&blk->idle, &blk->lock);
	pool_init(blk);
	blk->stalled = false;
	pthread_mutex_unlock(&blk->lock);
}

/* A snapshot: let the requests in flight complete; keep taking new ones. */
static void blk_drain(struct virtio_dev *dev)
{
	struct virtio_blk *blk = dev->priv;

	pthread_mutex_lock(&blk->lock);
	while (blk->in_flight)
		pthread_cond_wait(&blk->idle, &blk->lock);
	pthread_mutex_unlock(&blk->lock);
}

static void blk_destroy(struct virtio_dev *dev)
{
	struct virtio_blk *blk = dev->priv;

	pthread_mutex_destroy(&blk->lock);
	pthread_cond_destroy(&blk->idle);
	free(blk->reqs);
	free(blk);
}

static const struct virtio_dev_ops blk_ops = {
	.type = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.version = 1,
	.config_size = VIRTIO_BLK_CONFIG_SIZE,
	.config_read = blk_config_read,
	.activate = blk_activate,
	.reset = blk_reset,
	.queue_notify = blk_notify,
	.drain = blk_drain,
	.destroy = blk_destroy,
};

struct virtio_dev *virtio_blk_create(const char *name,
				     const struct guest_mem *mem,
				     struct block_image *img,
				     const char *serial)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	uint64_t features = (1ull << VIRTIO_BLK_F_SEG_MAX) |
			    (1ull << VIRTIO_BLK_F_BLK_SIZE) |
			    (1ull << VIRTIO_BLK_F_FLUSH) |
			    (1ull << VIRTIO_BLK_F_TOPOLOGY);

	if (!blk || !(blk->reqs = calloc(VIRTIO_BLK_QUEUE_SIZE,
					 sizeof(*blk->reqs)))) {
		free(blk);
		err_set("%s: out of memory", name);
		return NULL;
	}
	blk->img = img;
	snprintf(blk->serial, sizeof(blk->serial), "%s", serial ? serial : "");
	blk->sectors = block_image_size(img) / VIRTIO_BLK_SECTOR;
	if (block_image_readonly(img))
		features |= 1ull << VIRTIO_BLK_F_RO;
	if (block_image_discard(img))
		features |= (1ull << VIRTIO_BLK_F_DISCARD) |
			    (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	else
		features |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	build_config(blk);
	pthread_mutex_init(&blk->lock, NULL);
	pthread_cond_init(&blk->idle, NULL);
	pool_init(blk);
	if (virtio_dev_init(&blk->vdev, name, &blk_ops, blk, mem, features,
			    VIRTIO_BLK_QUEUES, VIRTIO_BLK_QUEUE_SIZE) < 0) {
		blk_destroy(&blk->vdev);
		return NULL;
	}
	return &blk->vdev;
}
