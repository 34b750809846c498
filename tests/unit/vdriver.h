/* SPDX-License-Identifier: MIT */
/*
 * A virtio driver's side of a split virtqueue, for unit tests: it writes
 * descriptors and the available ring into guest RAM the way a guest
 * driver does (virtio 1.2, 2.7), and reads the used ring back.  Include
 * after <cmocka.h>.
 */
#ifndef MINIVMM_TESTS_VDRIVER_H
#define MINIVMM_TESTS_VDRIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "byteorder.h"
#include "virtio/virtqueue.h"

struct vdrv {
	uint8_t *ram; /* host address of guest-physical 0 */
	uint16_t size;
	uint64_t desc, avail, used; /* ring addresses */
	uint16_t avail_idx; /* the driver's */
	uint16_t next_desc; /* next free descriptor */
};

struct vbuf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* Rings cleared, indexes at 0. */
static inline void vdrv_init(struct vdrv *d, uint8_t *ram, uint16_t size,
			     uint64_t desc, uint64_t avail, uint64_t used)
{
	*d = (struct vdrv){ .ram = ram, .size = size, .desc = desc,
			    .avail = avail, .used = used };
	memset(ram + desc, 0, 16u * size);
	memset(ram + avail, 0, 6u + 2u * size);
	memset(ram + used, 0, 6u + 8u * size);
}

static inline void vdrv_put_desc(uint8_t *table, uint16_t i, uint64_t addr,
				 uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = table + 16u * i;

	le_put(p, addr, 8);
	le_put(p + 8, len, 4);
	le_put(p + 12, flags, 2);
	le_put(p + 14, next, 2);
}

/* Make head available: ring entry, then idx. */
static inline void vdrv_publish(struct vdrv *d, uint16_t head)
{
	le_put(d->ram + d->avail + 4 + 2u * (d->avail_idx % d->size), head, 2);
	d->avail_idx++;
	/* Release, as a driver's write: the ring entry is seen first. */
	__atomic_store_n((uint16_t *)(void *)(d->ram + d->avail + 2),
			 (uint16_t)le_get((const uint8_t *)&d->avail_idx, 2),
			 __ATOMIC_RELEASE);
}

/* A direct chain of n buffers, published; returns its head. */
static inline uint16_t vdrv_add_chain(struct vdrv *d, const struct vbuf *b,
				      unsigned n)
{
	uint16_t head = d->next_desc % d->size;

	for (unsigned i = 0; i < n; i++) {
		uint16_t k = (uint16_t)((head + i) % d->size);

		vdrv_put_desc(d->ram + d->desc, k, b[i].gpa, b[i].len,
			      (uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			      (uint16_t)((k + 1) % d->size));
	}
	d->next_desc = (uint16_t)(d->next_desc + n);
	vdrv_publish(d, head);
	return head;
}

/* Acquire, as a driver's read: the entries below it are then visible. */
static inline uint16_t vdrv_used_idx(const struct vdrv *d)
{
	uint16_t v = __atomic_load_n((const uint16_t *)(const void *)(d->ram + d->used + 2),
				     __ATOMIC_ACQUIRE);

	return (uint16_t)le_get((const uint8_t *)&v, 2);
}

/* Used ring entry i: its id and length. */
static inline uint32_t vdrv_used_id(const struct vdrv *d, uint16_t i)
{
	return (uint32_t)le_get(d->ram + d->used + 4 + 8u * (i % d->size), 4);
}

static inline uint32_t vdrv_used_len(const struct vdrv *d, uint16_t i)
{
	return (uint32_t)le_get(d->ram + d->used + 8 + 8u * (i % d->size), 4);
}

#endif
