// SPDX-License-Identifier: MIT
/*
 * Split virtqueues, device side (virtio 1.2, 2.7).  Layouts:
 *
 *   descriptor table   16 * size   { le64 addr, le32 len, le16 flags, le16 next }
 *   available ring     6 + 2*size  { le16 flags, le16 idx, le16 ring[size], le16 used_event }
 *   used ring          6 + 8*size  { le16 flags, le16 idx, {le32 id, le32 len}[size], le16 avail_event }
 *
 * The areas are mapped once, when the queue goes ready (each must lie in
 * one RAM region); buffers are mapped per chain through gpa_to_iovec().
 */
#include "virtio/virtqueue.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "byteorder.h"
#include "log.h"
#include "mem.h"
#include "state.h"

#define DESC_SIZE 16
#define RING_HDR 4 /* flags, idx */

/* Kinds of breakage, each logged once per queue. */
enum {
	WARN_AVAIL_IDX = 1u << 0,
	WARN_HEAD = 1u << 1,
	WARN_LOOP = 1u << 2,
	WARN_ADDR = 1u << 3,
	WARN_ORDER = 1u << 4,
	WARN_INDIRECT = 1u << 5,
	WARN_LENGTH = 1u << 6,
	WARN_NEXT = 1u << 7,
};

void vq_init(struct virtqueue *vq, const struct guest_mem *mem,
	     unsigned index, const char *owner)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->index = index;
	vq->owner = owner;
	vq->msix_vector = 0xffff;
}

void vq_reset(struct virtqueue *vq)
{
	vq_init(vq, vq->mem, vq->index, vq->owner);
}

static uint64_t avail_size(uint16_t size)
{
	return RING_HDR + 2ull * size + 2;
}

static uint64_t used_size(uint16_t size)
{
	return RING_HDR + 8ull * size + 2;
}

/* The host mapping of a whole area in one region (writable if asked). */
static uint8_t *map_area(const struct guest_mem *mem, uint64_t gpa,
			 uint64_t len, bool write)
{
	uint8_t *p = gpa_to_hva(mem, gpa, len);

	if (!p || (write && mem_check_range(mem, gpa, len, true) < 0))
		return NULL;
	return p;
}

int vq_enable(struct virtqueue *vq)
{
	uint16_t n = vq->size;

	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1)))
		return err_set("%s queue %u: size %u is not a power of 2 up to %d",
			       vq->owner, vq->index, n, VQ_MAX_SIZE);
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return err_set("%s queue %u: ring addresses 0x%llx/0x%llx/0x%llx are misaligned",
			       vq->owner, vq->index,
			       (unsigned long long)vq->desc_gpa,
			       (unsigned long long)vq->avail_gpa,
			       (unsigned long long)vq->used_gpa);
	vq->desc = map_area(vq->mem, vq->desc_gpa, DESC_SIZE * (uint64_t)n, false);
	vq->avail = map_area(vq->mem, vq->avail_gpa, avail_size(n), false);
	vq->used = map_area(vq->mem, vq->used_gpa, used_size(n), true);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		return err_set("%s queue %u: a ring (0x%llx, 0x%llx, 0x%llx, size %u) is not in guest RAM",
			       vq->owner, vq->index,
			       (unsigned long long)vq->desc_gpa,
			       (unsigned long long)vq->avail_gpa,
			       (unsigned long long)vq->used_gpa, n);
	}
	vq->ready = true;
	return 0;
}

/* ---- Ring fields: little-endian, shared with the driver ---- */

static uint16_t load16(const uint8_t *p)
{
	uint16_t v = __atomic_load_n((const uint16_t *)(const void *)p,
				     __ATOMIC_ACQUIRE);

	return le_get((const uint8_t *)&v, 2) & 0xffff;
}

static void store16(uint8_t *p, uint16_t v)
{
	uint16_t le;

	le_put((uint8_t *)&le, v, 2);
	__atomic_store_n((uint16_t *)(void *)p, le, __ATOMIC_RELEASE);
}

static uint8_t *avail_ring(struct virtqueue *vq, uint16_t i)
{
	return vq->avail + RING_HDR + 2u * (i % vq->size);
}

static uint8_t *used_event(struct virtqueue *vq)
{
	return vq->avail + RING_HDR + 2u * vq->size;
}

static uint8_t *avail_event(struct virtqueue *vq)
{
	return vq->used + RING_HDR + 8u * vq->size;
}

/* ---- Taking chains ---- */

static enum vq_pop_result broken(struct virtqueue *vq, unsigned kind,
				 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum vq_pop_result broken(struct virtqueue *vq, unsigned kind,
				 const char *fmt, ...)
{
	char why[160];
	va_list ap;

	vq->broken = true;
	if (!(vq->warned & kind)) {
		vq->warned |= kind;
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		log_warn("%s queue %u: %s; the device needs a reset (logged once)",
			 vq->owner, vq->index, why);
	}
	return VQ_BROKEN;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void read_desc(const uint8_t *table, uint16_t i, struct desc *d)
{
	const uint8_t *p = table + DESC_SIZE * (size_t)i;

	d->addr = le_get(p, 8);
	d->len = (uint32_t)le_get(p + 8, 4);
	d->flags = (uint16_t)le_get(p + 12, 2);
	d->next = (uint16_t)le_get(p + 14, 2);
}

/* Add one descriptor's buffer to the chain. */
static enum vq_pop_result add_buffer(struct virtqueue *vq,
				     struct vq_chain *c, const struct desc *d)
{
	bool write = d->flags & VIRTQ_DESC_F_WRITE;
	struct iovec *iov = write ? c->in : c->out;
	unsigned *nr = write ? &c->nr_in : &c->nr_out;
	uint32_t *total = write ? &c->in_len : &c->out_len;
	unsigned room = VQ_MAX_IOV - c->nr_in - c->nr_out;
	int n;

	/* 2.7.4.2: readable descriptors come before writable ones. */
	if (!write && c->nr_in)
		return broken(vq, WARN_ORDER,
			      "a device-readable descriptor after a writable one (head %u)",
			      c->head);
	if (d->len == 0)
		return VQ_GOT;
	if (d->len > VQ_MAX_CHAIN_BYTES - *total)
		return broken(vq, WARN_LENGTH,
			      "a chain longer than %u bytes (head %u)",
			      VQ_MAX_CHAIN_BYTES, c->head);
	n = gpa_to_iovec(vq->mem, d->addr, d->len, write, iov + *nr, room);
	if (n < 0)
		return broken(vq, WARN_ADDR,
			      "a buffer at 0x%llx (+%u) outside %sRAM, or in too many pieces",
			      (unsigned long long)d->addr, d->len,
			      write ? "writable " : "");
	*nr += (unsigned)n;
	*total += d->len;
	return VQ_GOT;
}

/* Walk the chain from `head` (in the queue's table, through one indirect). */
static enum vq_pop_result walk(struct virtqueue *vq, uint16_t head,
			       struct vq_chain *c)
{
	const uint8_t *table = vq->desc;
	uint32_t limit = vq->size, hops = 0;
	bool in_indirect = false;
	uint16_t i = head;
	struct desc d;

	for (;;) {
		if (++hops > limit)
			return broken(vq, WARN_LOOP,
				      "a chain of more than %u descriptors (head %u): a loop",
				      limit, head);
		read_desc(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.7.5.3.1 */
			if (!vq->indirect || in_indirect ||
			    (d.flags & VIRTQ_DESC_F_NEXT) || d.len == 0 ||
			    d.len % DESC_SIZE || d.len / DESC_SIZE > vq->size)
				return broken(vq, WARN_INDIRECT,
					      "an invalid indirect descriptor (table of %u bytes, head %u)",
					      d.len, head);
			table = gpa_to_hva(vq->mem, d.addr, d.len);
			if (!table)
				return broken(vq, WARN_ADDR,
					      "an indirect table at 0x%llx (+%u) outside RAM",
					      (unsigned long long)d.addr, d.len);
			in_indirect = true;
			limit = d.len / DESC_SIZE;
			hops = 0;
			i = 0;
			continue;
		}
		if (add_buffer(vq, c, &d) != VQ_GOT)
			return VQ_BROKEN;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VQ_GOT;
		if (d.next >= limit)
			return broken(vq, WARN_NEXT,
				      "descriptor next %u beyond its table of %u",
				      d.next, limit);
		i = d.next;
	}
}

bool vq_has_avail(struct virtqueue *vq)
{
	return vq->ready && !vq->broken &&
	       load16(vq->avail + 2) != vq->last_avail;
}

enum vq_pop_result vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t avail_idx, head;

	if (!vq->ready || vq->broken)
		return vq->broken ? VQ_BROKEN : VQ_EMPTY;
	avail_idx = load16(vq->avail + 2); /* acquire: ring entries below */
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
		return broken(vq, WARN_AVAIL_IDX,
			      "avail idx %u is more than the queue ahead of %u",
			      avail_idx, vq->last_avail);
	if (avail_idx == vq->last_avail)
		return VQ_EMPTY;
	head = load16(avail_ring(vq, vq->last_avail));
	if (head >= vq->size)
		return broken(vq, WARN_HEAD, "head descriptor %u of a queue of %u",
			      head, vq->size);
	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	if (walk(vq, head, c) != VQ_GOT)
		return VQ_BROKEN;
	vq->last_avail++;
	/* 2.7.10: with notifications on, ask for a kick at the next entry. */
	if (vq->event_idx)
		store16(avail_event(vq), vq->last_avail);
	return VQ_GOT;
}

void vq_unpop(struct virtqueue *vq)
{
	vq->last_avail--;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	uint8_t *elem;

	if (!vq->ready)
		return;
	elem = vq->used + RING_HDR + 8u * (vq->used_idx % vq->size);
	le_put(elem, head, 4);
	le_put(elem + 4, written, 4);
	vq->used_idx++;
	store16(vq->used + 2, vq->used_idx); /* release: the entry first */
}

void vq_push_batch(struct virtqueue *vq, const uint16_t *heads,
		   const uint32_t *written, unsigned n)
{
	if (!vq->ready)
		return;
	for (unsigned i = 0; i < n; i++) {
		uint8_t *elem = vq->used + RING_HDR +
				8u * ((uint16_t)(vq->used_idx + i) % vq->size);

		le_put(elem, heads[i], 4);
		le_put(elem + 4, written[i], 4);
	}
	vq->used_idx = (uint16_t)(vq->used_idx + n);
	store16(vq->used + 2, vq->used_idx); /* release: the entries first */
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, now, event;
	bool valid;

	if (!vq->ready)
		return false;
	/* The used idx store before the driver's flags/event reads (2.7.13). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(vq->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	valid = vq->signalled_valid;
	old = vq->signalled_used;
	now = vq->used_idx;
	vq->signalled_valid = true;
	vq->signalled_used = now;
	event = load16(used_event(vq));
	/* vring_need_event(): did the index pass used_event since `old`? */
	return !valid || (uint16_t)(now - event - 1) < (uint16_t)(now - old);
}

void vq_disable_notify(struct virtqueue *vq)
{
	if (!vq->ready || vq->event_idx)
		return; /* with event_idx, not moving avail_event says it */
	store16(vq->used, load16(vq->used) | VIRTQ_USED_F_NO_NOTIFY);
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq->ready)
		return false;
	if (vq->event_idx)
		store16(avail_event(vq), load16(vq->avail + 2));
	else
		store16(vq->used, load16(vq->used) & ~VIRTQ_USED_F_NO_NOTIFY);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_has_avail(vq);
}

/* ---- Snapshots ---- */

void vq_save(const struct virtqueue *vq, struct state_writer *w)
{
	state_put_u16(w, vq->size);
	state_put_bool(w, vq->ready);
	state_put_u64(w, vq->desc_gpa);
	state_put_u64(w, vq->avail_gpa);
	state_put_u64(w, vq->used_gpa);
	state_put_u16(w, vq->msix_vector);
	state_put_bool(w, vq->event_idx);
	state_put_bool(w, vq->indirect);
	state_put_u16(w, vq->last_avail);
	state_put_u16(w, vq->used_idx);
	state_put_u16(w, vq->signalled_used);
	state_put_bool(w, vq->signalled_valid);
	state_put_bool(w, vq->broken);
}

int vq_load(struct virtqueue *vq, struct state_reader *r)
{
	struct virtqueue in;

	vq_init(&in, vq->mem, vq->index, vq->owner);
	in.size = state_get_u16(r);
	in.ready = state_get_bool(r);
	in.desc_gpa = state_get_u64(r);
	in.avail_gpa = state_get_u64(r);
	in.used_gpa = state_get_u64(r);
	in.msix_vector = state_get_u16(r);
	in.event_idx = state_get_bool(r);
	in.indirect = state_get_bool(r);
	in.last_avail = state_get_u16(r);
	in.used_idx = state_get_u16(r);
	in.signalled_used = state_get_u16(r);
	in.signalled_valid = state_get_bool(r);
	in.broken = state_get_bool(r);
	if (state_reader_error(r, "virtqueue") < 0)
		return -1;
	if (in.size > VQ_MAX_SIZE || (in.size & (in.size - 1)))
		return state_reader_fail(r, "queue %u: size %u", vq->index,
					 in.size);
	if (in.ready) {
		in.ready = false;
		if (vq_enable(&in) < 0)
			return state_reader_fail(r, "%s", err_msg());
	}
	*vq = in;
	return 0;
}
