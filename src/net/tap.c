// SPDX-License-Identifier: MIT
/*
 * The tap back end: see tap.h.
 */
#include "net/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define TUN_PATH "/dev/net/tun"

/*
 * Which offloads the kernel takes, each combination as the guest could
 * negotiate it (TSO and UFO need the partial checksum, ECN needs TSO).
 * Kernels before 4.14 and after it differ on UFO; old ones on nothing we
 * use.  Everything is off again afterwards.
 */
static void probe_offloads(struct net_tap *tap)
{
	static const uint32_t combos[] = {
		TUN_F_CSUM,
		TUN_F_CSUM | TUN_F_TSO4,
		TUN_F_CSUM | TUN_F_TSO6,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN,
		TUN_F_CSUM | TUN_F_UFO,
	};

	tap->offloads = 0;
	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++)
		if (ioctl(tap->fd, TUNSETOFFLOAD, (unsigned long)combos[i]) == 0)
			tap->offloads |= combos[i];
	if (ioctl(tap->fd, TUNSETOFFLOAD, 0ul) < 0)
		log_warn("tap %s: TUNSETOFFLOAD 0: %s", tap->ifname,
			 strerror(errno));
}

static struct net_tap *finish(int fd, const char *ifname)
{
	struct net_tap *tap = calloc(1, sizeof(*tap));
	int flags = fcntl(fd, F_GETFL);

	if (!tap) {
		err_set("tap %s: out of memory", ifname);
		close(fd);
		return NULL;
	}
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		err_errno("tap %s: O_NONBLOCK", ifname);
		close(fd);
		free(tap);
		return NULL;
	}
	tap->fd = fd;
	snprintf(tap->ifname, sizeof(tap->ifname), "%s", ifname);
	probe_offloads(tap);
	return tap;
}

struct net_tap *net_tap_open(const char *ifname)
{
	struct ifreq ifr;
	int fd;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ) {
		err_set("tap '%s': an interface name has 1 to %d characters",
			ifname ? ifname : "", IFNAMSIZ - 1);
		return NULL;
	}
	fd = open(TUN_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err_errno("tap %s: cannot open " TUN_PATH "%s", ifname,
			  errno == ENOENT ? " (is the tun module loaded?)" : "");
		return NULL;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		if (e == EPERM)
			err_set("tap %s: not permitted: creating a tap needs CAP_NET_ADMIN (or make one for this user first: ip tuntap add %s mode tap user $USER)",
				ifname, ifname);
		else if (e == EBUSY)
			err_set("tap %s: in use by another program", ifname);
		else if (e == EINVAL)
			err_set("tap %s: refused (is %s a tun device, or not a tap?)",
				ifname, ifname);
		else
			err_errno("tap %s: TUNSETIFF", ifname);
		return NULL;
	}
	return finish(fd, ifr.ifr_name);
}

struct net_tap *net_tap_from_fd(int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		err_set("tap fd=%d: not an open file descriptor", fd);
		return NULL;
	}
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		err_set("tap fd=%d: not a tap (TUNGETIFF: %s)", fd,
			strerror(errno));
		return NULL;
	}
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP) {
		err_set("tap fd=%d: %s is a tun device, not a tap", fd, ifr.ifr_name);
		return NULL;
	}
	if (!(ifr.ifr_flags & IFF_VNET_HDR) || !(ifr.ifr_flags & IFF_NO_PI)) {
		err_set("tap fd=%d: %s was opened without IFF_VNET_HDR and IFF_NO_PI",
			fd, ifr.ifr_name);
		return NULL;
	}
	/* The fd is ours from here: not to be inherited further. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		err_errno("tap fd=%d: FD_CLOEXEC", fd);
		return NULL;
	}
	return finish(fd, ifr.ifr_name);
}

int net_tap_set_vnet_hdr_len(struct net_tap *tap, int len)
{
	if (ioctl(tap->fd, TUNSETVNETHDRSZ, &len) < 0)
		return err_errno("tap %s: TUNSETVNETHDRSZ %d", tap->ifname, len);
	return 0;
}

int net_tap_set_offload(struct net_tap *tap, uint32_t flags)
{
	if (ioctl(tap->fd, TUNSETOFFLOAD, (unsigned long)flags) < 0)
		return err_errno("tap %s: TUNSETOFFLOAD 0x%x", tap->ifname, flags);
	return 0;
}

unsigned net_tap_mtu(const struct net_tap *tap, unsigned fallback)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned mtu = fallback;

	if (s < 0)
		return fallback;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap->ifname);
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned)ifr.ifr_mtu;
	close(s);
	return mtu;
}

void net_tap_close(struct net_tap *tap)
{
	if (!tap)
		return;
	if (tap->fd >= 0)
		close(tap->fd);
	free(tap);
}
