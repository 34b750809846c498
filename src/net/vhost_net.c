// SPDX-License-Identifier: MIT
/*
 * vhost-net: see vhost_net.h.
 */
#include "net/vhost_net.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vhost.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "virtio/virtqueue.h"

static int sys_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg);
}

struct vhost_net *vhost_net_open_with(int fd,
				      int (*fn)(int fd, unsigned long request,
						void *arg))
{
	struct vhost_net *v = calloc(1, sizeof(*v));

	if (!v) {
		err_set(VHOST_NET_DEV ": out of memory");
		close(fd);
		return NULL;
	}
	v->fd = fd;
	v->ioctl = fn;
	if (v->ioctl(fd, VHOST_SET_OWNER, NULL) < 0) {
		err_errno(VHOST_NET_DEV ": VHOST_SET_OWNER");
		vhost_net_close(v);
		return NULL;
	}
	if (v->ioctl(fd, VHOST_GET_FEATURES, &v->features) < 0) {
		err_errno(VHOST_NET_DEV ": VHOST_GET_FEATURES");
		vhost_net_close(v);
		return NULL;
	}
	return v;
}

struct vhost_net *vhost_net_open(void)
{
	int fd = open(VHOST_NET_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		err_errno("cannot open " VHOST_NET_DEV "%s",
			  errno == ENOENT ? " (no vhost-net here: modprobe vhost_net)" :
			  errno == EACCES ? " (no access for this user)" : "");
		return NULL;
	}
	return vhost_net_open_with(fd, sys_ioctl);
}

void vhost_net_close(struct vhost_net *v)
{
	if (!v)
		return;
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

uint64_t vhost_net_supported(const struct vhost_net *v, uint64_t wanted)
{
	return wanted & v->features;
}

int vhost_net_start_device(struct vhost_net *v, const struct guest_mem *mem,
			   uint64_t features)
{
	struct vhost_memory *table;
	size_t n = 0;
	int r;

	if (v->ioctl(v->fd, VHOST_SET_FEATURES, &features) < 0)
		return err_errno(VHOST_NET_DEV ": VHOST_SET_FEATURES 0x%llx",
				 (unsigned long long)features);
	table = calloc(1, sizeof(*table) +
				  mem->nr_regions * sizeof(table->regions[0]));
	if (!table)
		return err_set(VHOST_NET_DEV ": out of memory");
	/* Writable RAM only: the kernel writes frames where the guest says. */
	for (size_t i = 0; i < mem->nr_regions; i++) {
		const struct mem_region *reg = &mem->regions[i];

		if (reg->readonly)
			continue;
		table->regions[n].guest_phys_addr = reg->gpa;
		table->regions[n].memory_size = reg->size;
		table->regions[n].userspace_addr = (uint64_t)(uintptr_t)reg->hva;
		n++;
	}
	table->nregions = (uint32_t)n;
	r = v->ioctl(v->fd, VHOST_SET_MEM_TABLE, table);
	free(table);
	if (r < 0)
		return err_errno(VHOST_NET_DEV ": VHOST_SET_MEM_TABLE (%zu regions)", n);
	return 0;
}

int vhost_net_start_queue(struct vhost_net *v, unsigned q,
			  const struct virtqueue *vq, int kick_fd, int call_fd,
			  int tap_fd)
{
	struct vhost_vring_state num = { .index = q, .num = vq->size };
	struct vhost_vring_state base = { .index = q, .num = vq->last_avail };
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uint64_t)(uintptr_t)vq->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)vq->avail,
		.used_user_addr = (uint64_t)(uintptr_t)vq->used,
	};
	struct vhost_vring_file kick = { .index = q, .fd = kick_fd };
	struct vhost_vring_file call = { .index = q, .fd = call_fd };
	struct vhost_vring_file backend = { .index = q, .fd = tap_fd };

	if (!vq->ready || !vq->desc || !vq->avail || !vq->used)
		return err_set(VHOST_NET_DEV ": queue %u is not ready", q);
	if (v->ioctl(v->fd, VHOST_SET_VRING_NUM, &num) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: VHOST_SET_VRING_NUM %u", q,
				 vq->size);
	if (v->ioctl(v->fd, VHOST_SET_VRING_BASE, &base) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: VHOST_SET_VRING_BASE", q);
	if (v->ioctl(v->fd, VHOST_SET_VRING_ADDR, &addr) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: VHOST_SET_VRING_ADDR", q);
	if (v->ioctl(v->fd, VHOST_SET_VRING_KICK, &kick) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: VHOST_SET_VRING_KICK", q);
	if (v->ioctl(v->fd, VHOST_SET_VRING_CALL, &call) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: VHOST_SET_VRING_CALL", q);
	if (v->ioctl(v->fd, VHOST_NET_SET_BACKEND, &backend) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: VHOST_NET_SET_BACKEND", q);
	return 0;
}

int vhost_net_stop_queue(struct vhost_net *v, unsigned q, uint16_t *last_avail)
{
	struct vhost_vring_file backend = { .index = q, .fd = -1 };
	struct vhost_vring_state base = { .index = q };

	if (v->ioctl(v->fd, VHOST_NET_SET_BACKEND, &backend) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: no backend", q);
	if (v->ioctl(v->fd, VHOST_GET_VRING_BASE, &base) < 0)
		return err_errno(VHOST_NET_DEV ": queue %u: VHOST_GET_VRING_BASE", q);
	*last_avail = (uint16_t)base.num;
	return 0;
}
