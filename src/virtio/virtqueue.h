/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.2, section 2.7), the device side.
 *
 * The driver (guest) owns three areas in guest memory that the transport
 * tells us about: the descriptor table (16 bytes per descriptor), the
 * available ring (flags, idx, ring[size], used_event) and the used ring
 * (flags, idx, {id, len}[size], avail_event).  vq_pop() takes the next
 * chain the driver made available and turns it into iovecs through the
 * checked scatter-gather door (mem.h gpa_to_iovec); vq_push() returns it
 * with the number of bytes written; vq_should_notify() says whether the
 * driver wants an interrupt now (VIRTQ_AVAIL_F_NO_INTERRUPT, or with
 * VIRTIO_F_EVENT_IDX the used_event index, 2.7.10).
 *
 * Nothing the guest writes is trusted.  A chain is refused — vq_pop()
 * returns VQ_BROKEN, the queue is marked broken and stays so until reset,
 * and the caller sets DEVICE_NEEDS_RESET — when:
 *   - a descriptor index or the avail index is out of range (more than
 *     `size` new entries),
 *   - the chain has more descriptors than the queue (a loop), or than
 *     VQ_MAX_IOV iovec pieces,
 *   - an address + length wraps or lies outside RAM (or, for a descriptor
 *     the device writes, in read-only memory),
 *   - a device-readable descriptor follows a device-writable one (2.7.4.2),
 *   - an indirect table is used without VIRTIO_F_INDIRECT_DESC, is nested,
 *     is not a multiple of 16 bytes, is empty or has more entries than the
 *     queue, or comes with VIRTQ_DESC_F_NEXT set (2.7.5.3.1),
 *   - the total length of either direction exceeds VQ_MAX_CHAIN_BYTES.
 * Each kind of breakage is logged once per queue.
 *
 * Ring fields are read with acquire and written with release semantics
 * (virtio 1.2, 2.7.13: memory barriers); the driver runs on other CPUs.
 * A queue is used by one thread at a time: its device's lock or its I/O
 * thread serialises pop and push.
 */
#ifndef MINIVMM_VIRTIO_VIRTQUEUE_H
#define MINIVMM_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct guest_mem;
struct state_reader;
struct state_writer;

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
/* Ring flags (2.7.6, 2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* The largest queue we offer (QueueNumMax), a power of 2 (2.7). */
#define VQ_MAX_SIZE 1024
/* iovec pieces one chain may become (descriptors times region splits). */
#define VQ_MAX_IOV 512
/* Bytes one chain may carry in each direction. */
#define VQ_MAX_CHAIN_BYTES (64u << 20)

struct virtqueue {
	/* As the driver configured it (through the transport). */
	uint16_t size; /* 0: not configured */
	bool ready; /* QueueReady / queue_enable */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t msix_vector; /* virtio-pci only; VIRTIO_MSI_NO_VECTOR */

	/* Negotiated features that change the ring's behaviour. */
	bool event_idx;
	bool indirect;

	/* Where the three areas are mapped (set by vq_enable). */
	uint8_t *desc, *avail, *used;

	/* Device side. */
	uint16_t last_avail; /* next avail ring entry to take */
	uint16_t used_idx; /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last notification */
	bool signalled_valid;
	bool broken;
	unsigned warned; /* kinds of breakage already logged */
	const struct guest_mem *mem;
	unsigned index; /* queue number, for messages */
	const char *owner; /* device name, for messages */
};

/* One chain taken from the available ring. */
struct vq_chain {
	uint16_t head; /* descriptor index to hand back in vq_push */
	struct iovec out[VQ_MAX_IOV]; /* device-readable, in order */
	unsigned nr_out;
	struct iovec in[VQ_MAX_IOV]; /* device-writable, in order */
	unsigned nr_in;
	uint32_t out_len, in_len; /* byte totals */
};

enum vq_pop_result {
	VQ_EMPTY = 0, /* nothing available */
	VQ_GOT = 1, /* *chain filled */
	VQ_BROKEN = -1, /* the driver broke the rules: reset needed */
};

/* A queue at its reset state (not configured, not ready). */
void vq_init(struct virtqueue *vq, const struct guest_mem *mem,
	     unsigned index, const char *owner);
void vq_reset(struct virtqueue *vq);

/*
 * The queue goes ready with the configuration the driver wrote: size a
 * power of 2 and at most VQ_MAX_SIZE, the three areas aligned (16, 2, 4
 * bytes, 2.7) and each wholly inside one RAM region (the used ring
 * writable).  -1 with err_msg() when not, and the queue stays not ready.
 */
int vq_enable(struct virtqueue *vq);

/* Take the next available chain (see above). */
enum vq_pop_result vq_pop(struct virtqueue *vq, struct vq_chain *chain);

/*
 * Hand a chain back: used ring entry {head, written}, then used->idx
 * (release).  `written` is what the device wrote into chain->in.
 */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written);

/*
 * Hand back n chains at once: the n used ring entries, then one used->idx
 * update, so the driver sees all of them or none (virtio-net's merged
 * receive buffers, 5.1.6.4).
 */
void vq_push_batch(struct virtqueue *vq, const uint16_t *heads,
		   const uint32_t *written, unsigned n);

/* Put a popped but unprocessed chain back (it is taken again next time). */
void vq_unpop(struct virtqueue *vq);

/* Whether the driver wants an interrupt for what was pushed since the last one. */
bool vq_should_notify(struct virtqueue *vq);

/*
 * Ask the driver not to kick (or to kick again), for polling back ends:
 * VIRTQ_USED_F_NO_NOTIFY, or with event_idx the avail_event index.
 * vq_enable_notify returns true when chains arrived meanwhile.
 */
void vq_disable_notify(struct virtqueue *vq);
bool vq_enable_notify(struct virtqueue *vq);

/* Whether the driver has made chains available that we have not taken. */
bool vq_has_avail(struct virtqueue *vq);

/* The queue's configuration and device-side indexes (for snapshots). */
void vq_save(const struct virtqueue *vq, struct state_writer *w);
int vq_load(struct virtqueue *vq, struct state_reader *r);

#endif
