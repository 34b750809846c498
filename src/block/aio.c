// SPDX-License-Identifier: MIT
/*
 * Requests on a disk image (block/aio.h): a bounded queue, a pool of
 * BLOCK_IO_THREADS threads per image that carry each request out with
 * preadv/pwritev/fdatasync/fallocate, and the O_DIRECT bounce buffer.
 */
#include "block/aio.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "block/internal.h"
#include "iov.h"
#include "log.h"

const char *block_aio_backend(void)
{
	return "4 I/O threads per image (preadv/pwritev)";
}

/* ---- carrying out one request ------------------------------------------ */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Drop the first n bytes of iov[0..*nr), which holds at least n. */
static struct iovec *iov_advance(struct iovec *iov, unsigned *nr, size_t n)
{
	while (*nr && n >= iov->iov_len) {
		n -= iov->iov_len;
		iov++;
		(*nr)--;
	}
	if (n) {
		iov->iov_base = (char *)iov->iov_base + n;
		iov->iov_len -= n;
	}
	return iov;
}

static void iov_memset_zero(struct iovec *iov, unsigned nr)
{
	for (unsigned i = 0; i < nr; i++)
		memset(iov[i].iov_base, 0, iov[i].iov_len);
}

/*
 * preadv/pwritev of len bytes until done: short transfers go on where they
 * stopped, a read at the end of the file fills the rest with zeros, a
 * write that makes no progress is -EIO.  iov is the worker's copy.
 */
static ssize_t rw_vectored(int fd, bool write, uint64_t offset,
			   struct iovec *iov, unsigned nr, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t r = write ? pwritev(fd, iov, (int)nr,
					    (off_t)(offset + done)) :
				    preadv(fd, iov, (int)nr,
					   (off_t)(offset + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {
			if (write)
				return -EIO;
			iov_memset_zero(iov, nr);
			break;
		}
		done += (uint64_t)r;
		iov = iov_advance(iov, &nr, (size_t)r);
	}
	return (ssize_t)len;
}

/* pread/pwrite of a plain buffer until done (reads past the end: zeros). */
static ssize_t rw_buffer(int fd, bool write, uint64_t offset, void *buf,
			 size_t len)
{
	struct iovec one = { .iov_base = buf, .iov_len = len };

	return rw_vectored(fd, write, offset, &one, 1, len);
}

static bool is_aligned(const struct block_image *img, uint64_t offset,
		       uint64_t len, const struct iovec *iov, unsigned nr)
{
	uint64_t mask = img->dio_align - 1;

	if ((offset | len) & mask)
		return false;
	for (unsigned i = 0; i < nr; i++)
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & mask)
			return false;
	return true;
}

/*
 * O_DIRECT with a misaligned offset, length or buffer: whole aligned
 * blocks through the worker's bounce buffer, BLOCK_BOUNCE_SIZE at a time.
 * A write reads the partial blocks at either end first (the caller holds
 * rmw_lock for writing) and, when the last block went past the end of a
 * file whose size is not a multiple of the alignment, cuts the file back.
 */
static ssize_t rw_bounce(struct block_worker *w, bool write, uint64_t offset,
			 const struct iovec *iov, unsigned nr, uint64_t len)
{
	struct block_image *img = w->img;
	uint64_t a = img->dio_align, end = offset + len, pos = offset;
	bool grew = false;
	ssize_t r = (ssize_t)len;
	char *bounce;

	if (!w->bounce && posix_memalign(&w->bounce, 4096, BLOCK_BOUNCE_SIZE)) {
		w->bounce = NULL;
		return -ENOMEM;
	}
	bounce = w->bounce;
	while (pos < end) {
		uint64_t astart = pos & ~(a - 1);
		uint64_t aend = min_u64((end + a - 1) & ~(a - 1),
					astart + BLOCK_BOUNCE_SIZE);
		uint64_t cend = min_u64(aend, end);
		size_t span = (size_t)(aend - astart);

		if (!write) {
			r = rw_buffer(img->fd, false, astart, bounce, span);
			if (r < 0)
				return r;
			iov_from_buf(iov, nr, (size_t)(pos - offset),
				     bounce + (pos - astart), (size_t)(cend - pos));
			pos = cend;
			continue;
		}
		/* The partial block at the start, and the one at the end. */
		if (pos > astart) {
			r = rw_buffer(img->fd, false, astart, bounce, (size_t)a);
			if (r < 0)
				break;
		}
		if (cend < aend && (aend - a > astart || pos == astart)) {
			r = rw_buffer(img->fd, false, aend - a,
				      bounce + (aend - a - astart), (size_t)a);
			if (r < 0)
				break;
		}
		iov_to_buf(iov, nr, (size_t)(pos - offset),
			   bounce + (pos - astart), (size_t)(cend - pos));
		if (!img->blockdev && aend > img->size)
			grew = true;
		r = rw_buffer(img->fd, true, astart, bounce, span);
		if (r < 0)
			break;
		pos = cend;
	}
	if (grew && ftruncate(img->fd, (off_t)img->size) < 0 && r >= 0)
		r = -errno;
	return r < 0 ? r : (ssize_t)len;
}

/* Changes to the file other than a bounced write, against rw_bounce. */
static void shared_lock(struct block_image *img)
{
	if (img->direct)
		pthread_rwlock_rdlock(&img->rmw_lock);
}

static void shared_unlock(struct block_image *img)
{
	if (img->direct)
		pthread_rwlock_unlock(&img->rmw_lock);
}

static ssize_t do_rw(struct block_worker *w, bool write, uint64_t offset,
		     const struct iovec *iov, unsigned nr, uint64_t len)
{
	struct block_image *img = w->img;
	ssize_t r;

	if (len == 0)
		return 0;
	if (img->direct && !is_aligned(img, offset, len, iov, nr)) {
		if (write)
			pthread_rwlock_wrlock(&img->rmw_lock);
		r = rw_bounce(w, write, offset, iov, nr, len);
		if (write)
			pthread_rwlock_unlock(&img->rmw_lock);
		return r;
	}
	/* preadv/pwritev advance the copy, never the caller's array. */
	memcpy(w->iov, iov, nr * sizeof(*iov));
	if (write)
		shared_lock(img);
	r = rw_vectored(img->fd, write, offset, w->iov, nr, len);
	if (write)
		shared_unlock(img);
	return r;
}

/* The host cannot do it (and says so): the caller tries something else. */
static bool unsupported(int e)
{
	return e == EOPNOTSUPP || e == ENOTTY || e == ENOSYS || e == EINVAL;
}

static ssize_t do_discard(struct block_image *img, uint64_t offset,
			  uint64_t len)
{
	int r;

	if (!img->discard || len == 0)
		return (ssize_t)len;
	if (img->blockdev) {
		uint64_t range[2] = { offset, len };

		r = ioctl(img->fd, BLKDISCARD, range);
	} else {
		r = fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)offset, (off_t)len);
	}
	/* A discard is a hint: a host that cannot has still done it right. */
	if (r < 0 && !unsupported(errno))
		return -errno;
	return (ssize_t)len;
}

/* 0 when the host zeroed the range, else -errno (-EOPNOTSUPP: write them). */
static int zero_range(struct block_image *img, uint64_t offset, uint64_t len,
		      uint32_t flags)
{
	uint64_t range[2] = { offset, len };

	if ((flags & BLOCK_REQ_MAY_UNMAP) && img->discard && !img->blockdev &&
	    fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)offset, (off_t)len) == 0)
		return 0;
	if (fallocate(img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		      (off_t)offset, (off_t)len) == 0)
		return 0;
	if (!unsupported(errno))
		return -errno;
	if (!img->blockdev)
		return -EOPNOTSUPP;
	if (ioctl(img->fd, BLKZEROOUT, range) == 0)
		return 0;
	return unsupported(errno) ? -EOPNOTSUPP : -errno;
}

static ssize_t write_zeroes(struct block_worker *w, uint64_t offset,
			    uint64_t len, uint32_t flags)
{
	struct block_image *img = w->img;
	uint64_t done = 0;
	int r;

	if (len == 0)
		return 0;
	shared_lock(img);
	r = zero_range(img, offset, len, flags);
	shared_unlock(img);
	if (r == 0)
		return (ssize_t)len;
	if (r != -EOPNOTSUPP)
		return r;
	/* Written zeros, BLOCK_ZERO_SIZE at a time (do_rw locks as it needs). */
	while (done < len) {
		uint64_t n = min_u64(len - done, BLOCK_ZERO_SIZE);
		struct iovec one = { .iov_base = img->zeros, .iov_len = n };
		ssize_t wr = do_rw(w, true, offset + done, &one, 1, n);

		if (wr < 0)
			return wr;
		done += n;
	}
	return (ssize_t)len;
}

static ssize_t execute(struct block_worker *w, struct block_request *req)
{
	struct block_image *img = w->img;
	ssize_t r;

	switch (req->op) {
	case BLOCK_READ:
		return do_rw(w, false, req->offset, req->iov, req->nr_iov,
			     req->len);
	case BLOCK_WRITE:
		return do_rw(w, true, req->offset, req->iov, req->nr_iov,
			     req->len);
	case BLOCK_FLUSH:
		if (img->cache == DRIVE_CACHE_UNSAFE)
			return 0;
		while ((r = fdatasync(img->fd)) < 0 && errno == EINTR)
			;
		return r < 0 ? -errno : 0;
	case BLOCK_DISCARD:
		shared_lock(img);
		r = do_discard(img, req->offset, req->len);
		shared_unlock(img);
		return r;
	case BLOCK_WRITE_ZEROES:
		return write_zeroes(w, req->offset, req->len, req->flags);
	}
	return -EINVAL;
}

/* ---- the queue and the I/O threads ----------------------------------- */

static atomic_uint next_thread_number;

static void *worker_main(void *arg)
{
	struct block_worker *w = arg;
	struct block_image *img = w->img;

	pthread_mutex_lock(&img->lock);
	for (;;) {
		struct block_request *req;

		while (!img->queued && !img->stopping)
			pthread_cond_wait(&img->work, &img->lock);
		if (!img->queued)
			break; /* stopping, and nothing left */
		req = img->queue[img->head];
		img->head = (img->head + 1) % BLOCK_QUEUE_DEPTH;
		img->queued--;
		pthread_mutex_unlock(&img->lock);

		req->result = execute(w, req);

		/* The slot is free before done runs, so done may submit again. */
		pthread_mutex_lock(&img->lock);
		img->accepted--;
		pthread_mutex_unlock(&img->lock);
		req->done(req); /* req may be gone after this */
		pthread_mutex_lock(&img->lock);
		if (--img->pending == 0)
			pthread_cond_broadcast(&img->idle);
	}
	pthread_mutex_unlock(&img->lock);
	return NULL;
}

int block_workers_start(struct block_image *img)
{
	sigset_t all, old;

	if (pthread_mutex_init(&img->lock, NULL) ||
	    pthread_cond_init(&img->work, NULL) ||
	    pthread_cond_init(&img->idle, NULL) ||
	    pthread_rwlock_init(&img->rmw_lock, NULL))
		return err_set("-drive file=%s: cannot initialise its locks",
			       img->path);
	img->sync_init = true;
	/* The threads start with every signal blocked (docs/ARCHITECTURE.md). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (unsigned i = 0; i < BLOCK_IO_THREADS; i++) {
		struct block_worker *w = &img->workers[i];
		char name[16];
		int e;

		w->img = img;
		w->iov = calloc(BLOCK_MAX_IOV, sizeof(*w->iov));
		if (!w->iov) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return err_set("-drive file=%s: out of memory", img->path);
		}
		e = pthread_create(&w->thread, NULL, worker_main, w);
		if (e) {
			free(w->iov);
			w->iov = NULL;
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			errno = e;
			return err_errno("-drive file=%s: cannot start an I/O thread",
					 img->path);
		}
		snprintf(name, sizeof(name), "iothread-%u",
			 atomic_fetch_add(&next_thread_number, 1) % 100000);
		pthread_setname_np(w->thread, name);
		img->nr_workers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void block_workers_stop(struct block_image *img)
{
	if (!img->sync_init)
		return;
	block_drain(img);
	pthread_mutex_lock(&img->lock);
	img->stopping = true;
	pthread_cond_broadcast(&img->work);
	pthread_mutex_unlock(&img->lock);
	for (unsigned i = 0; i < img->nr_workers; i++) {
		pthread_join(img->workers[i].thread, NULL);
		free(img->workers[i].iov);
		free(img->workers[i].bounce);
	}
	/* A worker that failed to start has its iov freed already. */
	img->nr_workers = 0;
	pthread_rwlock_destroy(&img->rmw_lock);
	pthread_cond_destroy(&img->idle);
	pthread_cond_destroy(&img->work);
	pthread_mutex_destroy(&img->lock);
	img->sync_init = false;
}

static bool on_io_thread(const struct block_image *img)
{
	for (unsigned i = 0; i < img->nr_workers; i++)
		if (pthread_equal(pthread_self(), img->workers[i].thread))
			return true;
	return false;
}

/* The checks that need no I/O: 0, or the refusal (see block/aio.h). */
static int check_request(const struct block_image *img,
			 const struct block_request *req)
{
	uint64_t end, total = 0;

	if (!req->done)
		return -EINVAL;
	switch (req->op) {
	case BLOCK_READ:
	case BLOCK_WRITE:
		if (req->nr_iov > BLOCK_MAX_IOV || (req->nr_iov && !req->iov))
			return -EINVAL;
		for (unsigned i = 0; i < req->nr_iov; i++)
			if (__builtin_add_overflow(total, req->iov[i].iov_len,
						   &total))
				return -EINVAL;
		if (total != req->len)
			return -EINVAL;
		break;
	case BLOCK_FLUSH:
		return 0;
	case BLOCK_DISCARD:
	case BLOCK_WRITE_ZEROES:
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(req->offset, req->len, &end) ||
	    end > img->size)
		return -EIO;
	if (img->readonly && req->op != BLOCK_READ)
		return -EROFS;
	return 0;
}

int block_submit(struct block_image *img, struct block_request *req)
{
	int r = check_request(img, req);

	if (r < 0) {
		req->result = r;
		return r;
	}
	pthread_mutex_lock(&img->lock);
	assert(!img->stopping);
	if (img->accepted == BLOCK_QUEUE_DEPTH) {
		pthread_mutex_unlock(&img->lock);
		return -EAGAIN;
	}
	img->queue[(img->head + img->queued) % BLOCK_QUEUE_DEPTH] = req;
	img->queued++;
	img->accepted++;
	img->pending++;
	pthread_cond_signal(&img->work);
	pthread_mutex_unlock(&img->lock);
	return 0;
}

void block_drain(struct block_image *img)
{
	assert(!on_io_thread(img));
	pthread_mutex_lock(&img->lock);
	while (img->pending)
		pthread_cond_wait(&img->idle, &img->lock);
	pthread_mutex_unlock(&img->lock);
}
