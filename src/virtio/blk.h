/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2, 5.2) over a raw disk image (src/block/).
 *
 * One request queue.  Requests: IN (read), OUT (write), FLUSH, GET_ID (the
 * serial, 20 bytes), DISCARD and WRITE_ZEROES (one segment each, as Linux
 * sends them with max_*_seg = 1).  Offered features: FLUSH, BLK_SIZE,
 * SEG_MAX, SIZE_MAX, TOPOLOGY, DISCARD and WRITE_ZEROES when the image can,
 * RO for a read-only drive (writes then answer IOERR).
 *
 * Every request is checked before the image is touched: a header in the
 * readable part, a status byte at the end of the writable part, the data
 * a whole number of 512-byte sectors inside the disk, the right direction
 * for the type; a bad one completes with VIRTIO_BLK_S_IOERR (or UNSUPP for
 * an unknown type) and the device goes on.  A chain that breaks the ring
 * rules sets DEVICE_NEEDS_RESET (virtqueue.h).
 *
 * Reads and writes go to the image's I/O threads straight from and into
 * guest memory (the chain's iovecs); completions are pushed to the used
 * ring from those threads (the queue has its own lock) and the driver is
 * interrupted as the ring's suppression rules say.  At most one queue's
 * worth of requests is in flight; a reset or a pause waits for them.
 */
#ifndef MINIVMM_VIRTIO_BLK_H
#define MINIVMM_VIRTIO_BLK_H

#include <stdint.h>

struct block_image;
struct guest_mem;
struct virtio_dev;

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_CONFIG_SIZE 60
#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_QUEUES 1 /* one request queue */

/*
 * A virtio-blk device named `name` on `img` (which stays the machine's: the
 * device list closes it after the device), reporting `serial` for GET_ID
 * ("" for none).  NULL + err_msg().
 */
struct virtio_dev *virtio_blk_create(const char *name,
				     const struct guest_mem *mem,
				     struct block_image *img,
				     const char *serial);

#endif
