/* SPDX-License-Identifier: MIT */
/*
 * The virtio device model (virtio 1.2, "modern" devices only), apart from
 * any transport.
 *
 *   device model (blk.c, console.c, rng.c)   struct virtio_dev_ops
 *         |  queues, config space, features
 *   struct virtio_dev  (virtio.c: status, feature negotiation, reset,
 *         |             config generation, the queues, save/load)
 *   transport (mmio.c, pci.c)                struct virtio_transport
 *         registers the guest sees; interrupts (irqfd) and queue
 *         notifications (ioeventfd) to and from the guest
 *
 * A device model knows nothing of its transport: it reads its queues,
 * answers config-space reads, and calls virtio_notify_queue() when it has
 * put used buffers the driver should hear about.  A transport knows
 * nothing of the device type: it maps its registers onto virtio_dev's
 * common operations below.
 *
 * Status (2.1) goes ACKNOWLEDGE -> DRIVER -> FEATURES_OK -> DRIVER_OK; the
 * device accepts FEATURES_OK only for a subset of what it offered that
 * includes VIRTIO_F_VERSION_1, and starts the model (ops->activate) at
 * DRIVER_OK.  Writing 0 resets the device (ops->reset, every queue back
 * to its reset state).  A model that finds the driver breaking the rules
 * (a broken chain) calls virtio_needs_reset(): DEVICE_NEEDS_RESET is set
 * and a configuration-change interrupt sent (2.1.2), and the model stops
 * using its queues until the driver resets the device.
 *
 * Locking: `lock` guards status, features, config generation and the queue
 * configuration; transports take it around register accesses.  Queue
 * processing is the model's: it runs from the queue-notify callback (the
 * main thread's event loop when the transport uses an ioeventfd, else the
 * vCPU thread of the MMIO exit) or on the model's own I/O threads, with
 * the model's own locking of each queue.
 */
#ifndef MINIVMM_VIRTIO_VIRTIO_H
#define MINIVMM_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtqueue.h"

struct guest_mem;
struct state_reader;
struct state_writer;

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Reserved feature bits the core handles (6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* Device IDs (5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_VSOCK 19

/* ISR status bits (4.1.4.5, 4.2.2 InterruptStatus). */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* "No MSI-X vector" (4.1.5.1.2). */
#define VIRTIO_MSI_NO_VECTOR 0xffff

#define VIRTIO_MAX_QUEUES 16
#define VIRTIO_NAME_MAX 32

struct virtio_dev;

/* What each device type implements. */
struct virtio_dev_ops {
	const char *type; /* "virtio-blk", ... (device_ops.type of the whole) */
	uint32_t device_id; /* VIRTIO_ID_* */
	uint32_t version; /* of what save_state writes */
	/* Bytes of device-specific configuration space (5.x.4). */
	uint32_t config_size;
	/*
	 * Read/write config bytes [offset, offset + len), already checked to
	 * lie inside config_size.  Called with dev->lock held.
	 */
	void (*config_read)(struct virtio_dev *dev, uint32_t offset,
			    uint8_t *data, uint32_t len);
	void (*config_write)(struct virtio_dev *dev, uint32_t offset,
			     const uint8_t *data, uint32_t len);
	/* DRIVER_OK with these features: start using the queues (0 or -1). */
	int (*activate)(struct virtio_dev *dev);
	/*
	 * Device reset (status 0, or a machine reset): stop using the queues,
	 * wait for requests in flight, forget them.  dev->lock is NOT held.
	 */
	void (*reset)(struct virtio_dev *dev);
	/* The driver kicked queue q (ready, device activated). */
	void (*queue_notify)(struct virtio_dev *dev, unsigned q);
	/*
	 * Before a save (a snapshot of a paused VM): wait until no request is
	 * in flight, so guest memory, the rings and the interrupts are final.
	 * May be NULL (the model answers on the main thread).
	 */
	void (*drain)(struct virtio_dev *dev);
	/*
	 * The VM pauses (true) or goes on (false): stop and restart what the
	 * model does on its own, without a kick (a back end's input, a kernel
	 * serving the rings).  May be NULL.  dev->lock is NOT held.
	 */
	void (*pause)(struct virtio_dev *dev, bool paused);
	/* The model's own state, for snapshots (may be NULL: none). */
	int (*save_state)(struct virtio_dev *dev, struct state_writer *w);
	int (*load_state)(struct virtio_dev *dev, struct state_reader *r,
			  uint32_t version);
	/* Free the model (priv); its queues are idle. */
	void (*destroy)(struct virtio_dev *dev);
};

/* What a transport gives the device to reach the driver. */
struct virtio_transport {
	/* Interrupt for queue q (vring interrupt: ISR bit 0 or its vector). */
	void (*notify_queue)(void *ctx, unsigned q);
	/* Configuration-change interrupt (ISR bit 1 or the config vector). */
	void (*notify_config)(void *ctx);
	/*
	 * Call ops->queue_notify(q) again soon, from the event loop: a model
	 * that stopped after a bounded batch with chains still available.
	 * NULL: the model just waits for the next kick.
	 */
	void (*kick_later)(void *ctx, unsigned q);
	/*
	 * The eventfd KVM signals when the driver kicks queue q (an
	 * ioeventfd), or -1 when kicks exit to minivmm.  watch false: the
	 * transport stops reading it, for a model that hands it to the
	 * kernel (vhost); true: it reads and kicks the model again.  NULL: no
	 * such eventfds.  Any thread.
	 */
	int (*queue_kick_fd)(void *ctx, unsigned q, bool watch);
	/*
	 * From now on the eventfd fd signals queue q's interrupt without
	 * minivmm (an in-kernel back end's call fd: KVM delivers it, holding
	 * it while the vector is masked); fd -1 undoes it.  0 when taken: the
	 * model stops reading fd and the driver hears of every signal; -1
	 * when this transport cannot (no MSI-X vector for q, INTx, mmio) and
	 * the model goes on with notify_queue.  NULL: never.  Any thread.
	 */
	int (*queue_call_fd)(void *ctx, unsigned q, int fd);
	void *ctx;
};

struct virtio_dev {
	char name[VIRTIO_NAME_MAX]; /* "virtio-blk0", for messages and -v */
	const struct virtio_dev_ops *ops;
	void *priv; /* the model's state */
	const struct guest_mem *mem;

	pthread_mutex_t lock;
	uint64_t host_features; /* offered: the model's + the core's */
	uint64_t guest_features; /* accepted by the driver */
	uint8_t status;
	uint32_t config_generation;
	bool activated; /* ops->activate succeeded since the last reset */
	bool paused; /* virtio_pause(): kicks wait in kicks_waiting */
	uint32_t kicks_waiting; /* bit q: queue q was kicked while paused */

	unsigned nr_queues;
	struct virtqueue vqs[VIRTIO_MAX_QUEUES];
	uint16_t queue_max[VIRTIO_MAX_QUEUES]; /* QueueNumMax per queue */

	struct virtio_transport transport;
};

/*
 * Set up dev for a model: `features` are the model's own feature bits;
 * the core adds VERSION_1, INDIRECT_DESC and EVENT_IDX.  nr_queues at most
 * VIRTIO_MAX_QUEUES, each of at most queue_max entries.  -1 with err_msg().
 */
int virtio_dev_init(struct virtio_dev *dev, const char *name,
		    const struct virtio_dev_ops *ops, void *priv,
		    const struct guest_mem *mem, uint64_t features,
		    unsigned nr_queues, uint16_t queue_max);
/* Free what init took and call ops->destroy. */
void virtio_dev_destroy(struct virtio_dev *dev);

/* The transport's half (called with dev->lock held unless said). */
uint32_t virtio_get_device_features(struct virtio_dev *dev, unsigned word);
void virtio_set_driver_features(struct virtio_dev *dev, unsigned word,
				uint32_t value);
uint32_t virtio_get_driver_features(struct virtio_dev *dev, unsigned word);
/*
 * A status write, with the rules of 2.1/3.1.1: 0 resets (dev->lock is
 * dropped around ops->reset), FEATURES_OK is kept only for an acceptable
 * feature set, DRIVER_OK activates the model.
 */
void virtio_set_status(struct virtio_dev *dev, uint8_t status);
/* A queue configured by the driver goes ready (vq_enable); -1 when refused. */
int virtio_queue_enable(struct virtio_dev *dev, unsigned q);
/* Config space access, bounds-checked against ops->config_size. */
void virtio_config_read(struct virtio_dev *dev, uint32_t offset,
			uint8_t *data, uint32_t len);
void virtio_config_write(struct virtio_dev *dev, uint32_t offset,
			 const uint8_t *data, uint32_t len);
/* The driver kicked queue q (no lock needed: hands over to the model). */
void virtio_queue_kick(struct virtio_dev *dev, unsigned q);
/*
 * The VM pauses or goes on (the transports' device_ops.pause): while
 * paused, kicks are kept, not passed on; the model's own work is stopped
 * (ops->pause) and what is in flight finished (ops->drain); going on, the
 * model restarts and the kept kicks are passed on.
 */
void virtio_pause(struct virtio_dev *dev, bool paused);
/* Device reset from the machine (device list reset). */
void virtio_reset(struct virtio_dev *dev);

/* The model's half. */
/* Interrupt the driver for queue q if vq_should_notify() says so. */
void virtio_notify_queue(struct virtio_dev *dev, unsigned q);
/* The model changed its config space: new generation, config interrupt. */
void virtio_config_changed(struct virtio_dev *dev);
/* The driver broke the rules: DEVICE_NEEDS_RESET (2.1.2). */
void virtio_needs_reset(struct virtio_dev *dev, const char *why);
/* A feature the driver accepted. */
bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit);

/* Common state (status, features, queues) and the model's, for snapshots. */
int virtio_save(struct virtio_dev *dev, struct state_writer *w);
int virtio_load(struct virtio_dev *dev, struct state_reader *r,
		uint32_t version);

#endif
