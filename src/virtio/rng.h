/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng, the entropy device (virtio 1.2, 5.4): one request queue; the
 * device fills each device-writable buffer the driver offers with bytes
 * from the host's getrandom(), and hands it back.  No configuration space,
 * no features.
 */
#ifndef MINIVMM_VIRTIO_RNG_H
#define MINIVMM_VIRTIO_RNG_H

struct guest_mem;
struct virtio_dev;

/* Bytes filled into one chain at most (the driver asks again for more). */
#define VIRTIO_RNG_MAX_CHAIN 65536
#define VIRTIO_RNG_QUEUES 1 /* requestq */

/* A virtio-rng device named `name`; put it behind a transport. */
struct virtio_dev *virtio_rng_create(const char *name,
				     const struct guest_mem *mem);

#endif
