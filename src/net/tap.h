/* SPDX-License-Identifier: MIT */
/*
 * A tap device (Linux's /dev/net/tun, Documentation/networking/tuntap.rst)
 * as the host side of a virtio-net device.
 *
 * The tap is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR: every frame
 * read or written carries a virtio_net_hdr in front, of the length set
 * with net_tap_set_vnet_hdr_len() (12 for virtio 1.x, with num_buffers),
 * so the header passes between the guest and the host kernel unchanged.
 * The fd is nonblocking: the caller waits on it in the event loop.
 *
 * Offloads: TUNSETOFFLOAD tells the kernel which partial checksums and
 * segmentation offloads (TUN_F_*) the reader of the tap, here the guest,
 * can take.  net_tap_open/net_tap_from_fd probe which combinations the
 * kernel accepts (then turn all of them off); net_tap_set_offload applies
 * what the guest negotiated.
 */
#ifndef MINIVMM_NET_TAP_H
#define MINIVMM_NET_TAP_H

#include <stdbool.h>
#include <stdint.h>

#define NET_TAP_IFNAME_MAX 16 /* IFNAMSIZ, with the NUL */

struct net_tap {
	int fd;
	char ifname[NET_TAP_IFNAME_MAX];
	/* TUN_F_* bits the kernel accepted, each with TUN_F_CSUM. */
	uint32_t offloads;
};

/*
 * Open the tap `ifname`, creating it when there is none (which needs
 * CAP_NET_ADMIN, as attaching to one owned by another user does).  NULL
 * with err_msg() (one line, naming the interface).
 */
struct net_tap *net_tap_open(const char *ifname);
/*
 * A tap fd the caller opened (`-netdev tap,fd=N`): checked with TUNGETIFF
 * to be a tap with IFF_VNET_HDR and no packet information, made
 * nonblocking.  The tap then owns fd.  NULL with err_msg().
 */
struct net_tap *net_tap_from_fd(int fd);
/* TUNSETVNETHDRSZ: 10 or 12 bytes of header in front of each frame. */
int net_tap_set_vnet_hdr_len(struct net_tap *tap, int len);
/* TUNSETOFFLOAD with TUN_F_* flags; -1 with err_msg(). */
int net_tap_set_offload(struct net_tap *tap, uint32_t flags);
/* The interface's MTU (SIOCGIFMTU), or `fallback` when it cannot be read. */
unsigned net_tap_mtu(const struct net_tap *tap, unsigned fallback);
/* Close the fd and free (NULL is fine). */
void net_tap_close(struct net_tap *tap);

#endif
