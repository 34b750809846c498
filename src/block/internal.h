/* SPDX-License-Identifier: MIT */
/*
 * What image.c (opening, locking, the properties) and aio.c (the I/O
 * threads and the requests) share; nothing outside src/block/ includes it.
 */
#ifndef MINIVMM_BLOCK_INTERNAL_H
#define MINIVMM_BLOCK_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "block/aio.h"
#include "vm_config.h"

/* Each I/O thread's own buffers. */
struct block_worker {
	struct block_image *img;
	pthread_t thread;
	struct iovec *iov; /* BLOCK_MAX_IOV entries: a request's iov, advanced */
	void *bounce; /* BLOCK_BOUNCE_SIZE, aligned; cache=none, on first use */
};

/* Bounce buffer per I/O thread, and the zeros written at a time. */
#define BLOCK_BOUNCE_SIZE (1u << 20)
#define BLOCK_ZERO_SIZE (64u << 10)

struct block_image {
	char path[sizeof(((struct drive_cfg *)0)->file)];
	char id[sizeof(((struct drive_cfg *)0)->id)];
	int fd;
	bool readonly;
	bool blockdev;
	bool discard;
	bool direct; /* O_DIRECT (cache=none) */
	enum drive_cache cache;
	uint64_t size;
	uint32_t phys_block;
	uint32_t min_io;
	/* cache=none: offsets, lengths and buffers aligned to this need no bounce */
	uint32_t dio_align;
	void *zeros; /* BLOCK_ZERO_SIZE zero bytes, aligned */

	/*
	 * cache=none: a misaligned write reads, patches and writes back whole
	 * aligned blocks; it holds rmw_lock for writing, every other change
	 * to the file for reading, so no write lands between its read and its
	 * write back.
	 */
	pthread_rwlock_t rmw_lock;

	/* The queue, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t work; /* a request was queued, or stopping */
	pthread_cond_t idle; /* pending went to 0 */
	struct block_request *queue[BLOCK_QUEUE_DEPTH];
	unsigned head; /* the next request to take */
	unsigned queued; /* in queue[], not yet taken */
	unsigned accepted; /* submitted, done not yet called: <= depth */
	unsigned pending; /* submitted, done not yet returned */
	bool stopping;
	struct block_worker workers[BLOCK_IO_THREADS];
	unsigned nr_workers;
	bool sync_init; /* lock, conds and rmw_lock initialised */
};

/* aio.c: start and stop the I/O threads of an opened image. */
int block_workers_start(struct block_image *img);
void block_workers_stop(struct block_image *img);

#endif
