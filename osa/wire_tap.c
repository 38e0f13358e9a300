/* osa/wire_tap.c - the Linux TAP wire provider: the OSA's port is a TAP interface
 * (IFF_TAP | IFF_NO_PI, non-blocking), opened by name; link from IFF_UP and I/O errors. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "osa/wire.h"

struct wtap {
	int ctl;			/* AF_INET datagram socket for the interface ioctls */
};

static void ifreq_for(struct ifreq *ifr, const struct wire *w)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", w->name);
}

/* Errors that mean the device is gone or down for good (until re-opened / set up). */
static bool fatal(int e)
{
	return e == EBADFD || e == ENODEV || e == ENXIO || e == EIO || e == EPIPE ||
	       e == ENETDOWN;
}

static int tap_open(struct wire *w, const char *name)
{
	struct wtap *t;
	struct ifreq ifr;
	int rc;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	w->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (w->fd < 0) {
		rc = -errno;
		goto free_t;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(w->fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		goto close_fd;
	}
	/* The kernel may have completed a pattern name ("cpnt%d"). */
	snprintf(w->name, sizeof(w->name), "%s", ifr.ifr_name);
	t->ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->ctl < 0) {
		rc = -errno;
		goto close_fd;
	}
	/* Plugging the cable in: bring the interface up once (best effort; an operator
	 * who sets it down later is seen as a link-down by tap_link). */
	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		(void)ioctl(t->ctl, SIOCSIFFLAGS, &ifr);
	}
	w->priv = t;
	return 0;

close_fd:
	close(w->fd);
	w->fd = -1;
free_t:
	free(t);
	return rc;
}

static void tap_close(struct wire *w)
{
	struct wtap *t = w->priv;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (t) {
		close(t->ctl);
		free(t);
	}
	w->priv = NULL;
}

static int tap_send(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len)
{
	ssize_t n;

	(void)len;
	n = writev(w->fd, iov, (int)niov);
	if (n >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
		return -EAGAIN;
	/* A TAP that is merely set down answers writes with EIO (a deleted one with
	 * EBADFD): link down until it is set up again, not a failed device. */
	if (errno == EIO)
		return -ENETDOWN;
	if (fatal(errno)) {
		w->failed = true;
		return -ENETDOWN;
	}
	return -errno;
}

static int tap_recv(struct wire *w, uint8_t *buf, uint32_t cap)
{
	ssize_t n = read(w->fd, buf, cap);

	if (n > 0)
		return (int)n;
	if (n == 0)
		return -EAGAIN;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return -EAGAIN;
	if (errno == EINVAL || errno == EMSGSIZE)
		return -EMSGSIZE;	/* the frame did not fit: the kernel dropped it */
	if (fatal(errno)) {
		w->failed = true;
		return -ENETDOWN;
	}
	return -errno;
}

static int tap_link(struct wire *w)
{
	struct wtap *t = w->priv;
	struct ifreq ifr;

	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFFLAGS, &ifr) < 0)
		return errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	if (w->failed) {
		/* A read/write saw the device vanish; a TAP re-created under the same
		 * name is not ours (our descriptor is detached). */
		return 0;
	}
	/* IFF_UP only: a TAP has carrier while our descriptor is attached, and
	 * IFF_RUNNING (operstate) follows IFF_UP up to a second late (linkwatch), which
	 * would show a freshly opened TAP as down. */
	return (ifr.ifr_flags & IFF_UP) ? 1 : 0;
}

static int tap_get_mtu(struct wire *w, uint32_t *mtu)
{
	struct wtap *t = w->priv;
	struct ifreq ifr;

	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	*mtu = (uint32_t)ifr.ifr_mtu;
	return 0;
}

static int tap_get_mac(struct wire *w, uint8_t mac[6])
{
	struct wtap *t = w->priv;
	struct ifreq ifr;

	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

const struct wire_class wire_tap_class = {
	.type = "TAP",
	.open = tap_open,
	.close = tap_close,
	.send = tap_send,
	.recv = tap_recv,
	.link = tap_link,
	.get_mtu = tap_get_mtu,
	.get_mac = tap_get_mac,
};
