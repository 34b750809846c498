// SPDX-License-Identifier: MIT
/*
 * vhost-vsock: virtio-vsock with the kernel's back end; see vhost_vsock.h.
 * The ioctls are <linux/vhost.h>'s (Documentation: drivers/vhost).
 */
#include "virtio/vhost_vsock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "byteorder.h"
#include "event_loop.h"
#include "log.h"
#include "mem.h"
#include "state.h"
#include "virtio/virtio.h"
#include "virtio/vsock.h"
#include "virtio/vsock_proto.h"

#define NR_RINGS 2 /* rx, tx: the kernel's; the event queue stays ours */
#define VIRTIO_VSOCK_F_SEQPACKET 1

struct vhost_vsock {
	struct virtio_dev vdev;
	int fd; /* /dev/vhost-vsock */
	uint64_t cid;
	uint64_t kernel_features;
	struct event_loop *loop;
	int call_fd[NR_RINGS];
	struct event_source *call_src[NR_RINGS];
	pthread_mutex_t lock; /* running */
	bool running;
};

struct call_ctx {
	struct vhost_vsock *v;
	unsigned q;
};

static void vsock_config_read(struct virtio_dev *dev, uint32_t off,
			      uint8_t *data, uint32_t len)
{
	struct vhost_vsock *v = dev->priv;
	uint8_t cfg[VIRTIO_VSOCK_CONFIG_SIZE];

	le_put(cfg, v->cid, 8);
	memcpy(data, cfg + off, len);
}

/* The kernel used buffers of ring q and wants the guest interrupted. */
static void on_call(void *opaque, uint32_t events)
{
	struct vhost_vsock *v = opaque;
	struct virtio_dev *dev = &v->vdev;
	uint64_t n;

	(void)events;
	for (unsigned q = 0; q < NR_RINGS; q++) {
		if (read(v->call_fd[q], &n, sizeof(n)) != sizeof(n))
			continue; /* EAGAIN: not this one */
		if (dev->transport.notify_queue)
			dev->transport.notify_queue(dev->transport.ctx, q);
	}
}

static int vhost(struct vhost_vsock *v, unsigned long req, const char *what,
		 void *arg)
{
	if (ioctl(v->fd, req, arg) < 0)
		return err_errno("%s: %s", v->vdev.name, what);
	return 0;
}

/* Every region of guest memory, as the kernel is to find the buffers. */
static int set_mem_table(struct vhost_vsock *v)
{
	const struct guest_mem *mem = v->vdev.mem;
	struct vhost_memory *table;
	int r;

	table = calloc(1, sizeof(*table) +
				  mem->nr_regions * sizeof(table->regions[0]));
	if (!table)
		return err_set("%s: out of memory", v->vdev.name);
	table->nregions = (uint32_t)mem->nr_regions;
	for (size_t i = 0; i < mem->nr_regions; i++) {
		table->regions[i].guest_phys_addr = mem->regions[i].gpa;
		table->regions[i].memory_size = mem->regions[i].size;
		table->regions[i].userspace_addr = (uintptr_t)mem->regions[i].hva;
	}
	r = vhost(v, VHOST_SET_MEM_TABLE, "VHOST_SET_MEM_TABLE", table);
	free(table);
	return r;
}

static int set_ring(struct vhost_vsock *v, unsigned q)
{
	struct virtio_dev *dev = &v->vdev;
	struct virtqueue *vq = &dev->vqs[q];
	struct vhost_vring_state num = { .index = q, .num = vq->size };
	struct vhost_vring_state base = { .index = q, .num = vq->last_avail };
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uintptr_t)vq->desc,
		.avail_user_addr = (uintptr_t)vq->avail,
		.used_user_addr = (uintptr_t)vq->used,
	};
	struct vhost_vring_file kick = { .index = q };
	struct vhost_vring_file call = { .index = q, .fd = v->call_fd[q] };

	if (!vq->ready)
		return err_set("%s: the driver did not enable queue %u", dev->name, q);
	/* The kernel waits on the ioeventfd; the transport stops reading it. */
	kick.fd = dev->transport.queue_kick_fd ?
			  dev->transport.queue_kick_fd(dev->transport.ctx, q, false) : -1;
	if (kick.fd < 0)
		return err_set("%s: queue %u has no ioeventfd for the kernel to wait on (vhost needs KVM_IOEVENTFD)",
			       dev->name, q);
	if (vhost(v, VHOST_SET_VRING_NUM, "VHOST_SET_VRING_NUM", &num) < 0 ||
	    vhost(v, VHOST_SET_VRING_BASE, "VHOST_SET_VRING_BASE", &base) < 0 ||
	    vhost(v, VHOST_SET_VRING_ADDR, "VHOST_SET_VRING_ADDR", &addr) < 0 ||
	    vhost(v, VHOST_SET_VRING_KICK, "VHOST_SET_VRING_KICK", &kick) < 0 ||
	    vhost(v, VHOST_SET_VRING_CALL, "VHOST_SET_VRING_CALL", &call) < 0)
		return -1;
	return 0;
}

static int set_running(struct vhost_vsock *v, int on)
{
	return vhost(v, VHOST_VSOCK_SET_RUNNING, "VHOST_VSOCK_SET_RUNNING", &on);
}

/* DRIVER_OK (dev->lock held): hand the rings to the kernel and start it. */
static int vhost_vsock_activate(struct virtio_dev *dev)
{
	struct vhost_vsock *v = dev->priv;
	uint64_t features = dev->guest_features & v->kernel_features;
	int r = -1;

	pthread_mutex_lock(&v->lock);
	if (vhost(v, VHOST_SET_FEATURES, "VHOST_SET_FEATURES", &features) < 0 ||
	    set_mem_table(v) < 0)
		goto out;
	for (unsigned q = 0; q < NR_RINGS; q++)
		if (set_ring(v, q) < 0)
			goto out;
	if (set_running(v, 1) < 0)
		goto out;
	v->running = true;
	r = 0;
out:
	pthread_mutex_unlock(&v->lock);
	return r;
}

static void vhost_vsock_reset(struct virtio_dev *dev)
{
	struct vhost_vsock *v = dev->priv;

	pthread_mutex_lock(&v->lock);
	/* The kernel stops using the rings before the core resets them. */
	if (v->running && set_running(v, 0) < 0)
		log_warn("%s", err_msg());
	v->running = false;
	/* The transport reads its ioeventfds again (kicks exit to us). */
	for (unsigned q = 0; q < NR_RINGS && dev->transport.queue_kick_fd; q++)
		dev->transport.queue_kick_fd(dev->transport.ctx, q, true);
	pthread_mutex_unlock(&v->lock);
}

/* The VM pauses: the kernel stops serving the rings, and starts again. */
static void vhost_vsock_pause(struct virtio_dev *dev, bool paused)
{
	struct vhost_vsock *v = dev->priv;

	pthread_mutex_lock(&v->lock);
	if (v->running && set_running(v, !paused) < 0)
		log_warn("%s", err_msg());
	pthread_mutex_unlock(&v->lock);
}

static void vhost_vsock_notify(struct virtio_dev *dev, unsigned q)
{
	/* rx and tx are the kernel's; the event queue has nothing to send. */
	(void)dev;
	(void)q;
}

static int vhost_vsock_save(struct virtio_dev *dev, struct state_writer *w)
{
	(void)w;
	return err_set("%s: a snapshot of vhost-vsock is not supported (its rings are the kernel's); use -device vsock",
		       dev->name);
}

static int vhost_vsock_load(struct virtio_dev *dev, struct state_reader *r,
			    uint32_t version)
{
	(void)version;
	return state_reader_fail(r, "%s: vhost-vsock is never saved", dev->name);
}

static void vhost_vsock_destroy(struct virtio_dev *dev)
{
	struct vhost_vsock *v = dev->priv;

	vhost_vsock_reset(dev);
	event_loop_remove(v->loop, v->call_src[0]);
	event_loop_remove(v->loop, v->call_src[1]);
	for (unsigned q = 0; q < NR_RINGS; q++)
		if (v->call_fd[q] >= 0)
			close(v->call_fd[q]);
	if (v->fd >= 0)
		close(v->fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static const struct virtio_dev_ops vhost_vsock_ops = {
	.type = "vhost-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.version = 1,
	.config_size = VIRTIO_VSOCK_CONFIG_SIZE,
	.config_read = vsock_config_read,
	.activate = vhost_vsock_activate,
	.reset = vhost_vsock_reset,
	.queue_notify = vhost_vsock_notify,
	.pause = vhost_vsock_pause,
	.save_state = vhost_vsock_save,
	.load_state = vhost_vsock_load,
	.destroy = vhost_vsock_destroy,
};

/* What the core offers must be the kernel's too. */
static const uint64_t core_features = (1ull << VIRTIO_F_VERSION_1) |
				      (1ull << VIRTIO_F_INDIRECT_DESC) |
				      (1ull << VIRTIO_F_EVENT_IDX);

struct virtio_dev *virtio_vhost_vsock_create(const char *name,
					     const struct guest_mem *mem,
					     uint64_t guest_cid,
					     struct event_loop *loop,
					     const char *path)
{
	struct vhost_vsock *v;
	uint64_t cid = guest_cid;

	if (guest_cid < VSOCK_MIN_GUEST_CID || guest_cid > VSOCK_MAX_GUEST_CID) {
		err_set("%s: guest-cid=%llu: a guest's CID is 3 to %llu", name,
			(unsigned long long)guest_cid,
			(unsigned long long)VSOCK_MAX_GUEST_CID);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		err_set("%s: out of memory", name);
		return NULL;
	}
	v->cid = guest_cid;
	v->loop = loop;
	v->call_fd[0] = v->call_fd[1] = -1;
	pthread_mutex_init(&v->lock, NULL);
	snprintf(v->vdev.name, sizeof(v->vdev.name), "%s", name);
	v->fd = open(path, O_RDWR | O_CLOEXEC);
	if (v->fd < 0) {
		if (errno == ENOENT)
			err_set("%s: %s does not exist (load the vhost_vsock module, or use the user-space -device vsock,guest-cid=N,uds=PATH)",
				name, path);
		else
			err_errno("%s: %s", name, path);
		goto fail;
	}
	if (vhost(v, VHOST_SET_OWNER, "VHOST_SET_OWNER", NULL) < 0 ||
	    vhost(v, VHOST_GET_FEATURES, "VHOST_GET_FEATURES", &v->kernel_features) < 0)
		goto fail;
	if ((v->kernel_features & core_features) != core_features) {
		err_set("%s: the kernel's vhost-vsock lacks VERSION_1, INDIRECT_DESC or EVENT_IDX (features 0x%llx)",
			name, (unsigned long long)v->kernel_features);
		goto fail;
	}
	if (ioctl(v->fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0) {
		if (errno == EADDRINUSE)
			err_set("%s: guest-cid=%llu is in use by another VM on this host",
				name, (unsigned long long)guest_cid);
		else
			err_errno("%s: VHOST_VSOCK_SET_GUEST_CID %llu", name,
				  (unsigned long long)guest_cid);
		goto fail;
	}
	for (unsigned q = 0; q < NR_RINGS; q++) {
		v->call_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (v->call_fd[q] < 0) {
			err_errno("%s: eventfd", name);
			goto fail;
		}
	}
	/* One source per call eventfd; on_call reads whichever fired. */
	v->call_src[0] = event_loop_add_fd(loop, v->call_fd[0], EPOLLIN, on_call, v);
	v->call_src[1] = v->call_src[0] ?
				 event_loop_add_fd(loop, v->call_fd[1], EPOLLIN, on_call, v) :
				 NULL;
	if (!v->call_src[1])
		goto fail;
	if (virtio_dev_init(&v->vdev, name, &vhost_vsock_ops, v, mem,
			    v->kernel_features & (1ull << VIRTIO_VSOCK_F_SEQPACKET),
			    VIRTIO_VSOCK_QUEUES, VIRTIO_VSOCK_QUEUE_SIZE) < 0)
		goto fail;
	return &v->vdev;
fail:
	event_loop_remove(loop, v->call_src[0]);
	event_loop_remove(loop, v->call_src[1]);
	for (unsigned q = 0; q < NR_RINGS; q++)
		if (v->call_fd[q] >= 0)
			close(v->call_fd[q]);
	if (v->fd >= 0)
		close(v->fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
	return NULL;
}
