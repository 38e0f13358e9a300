/* vhost/vudev.h - one vhost-user-net device as cpnet-vhost serves it to QEMU: what the
 * control messages set up (features, memory table, two vrings with their eventfds). */
#ifndef CPNET_VHOST_VUDEV_H
#define CPNET_VHOST_VUDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vhost/vring.h"
#include "vhost/vumem.h"
#include "vhost/vumsg.h"

#define VU_RXQ 0	/* virtio-net queue 0: device -> guest */
#define VU_TXQ 1	/* queue 1: guest -> device */

/* What cpnet-vhost implements, and so offers: virtio 1.0 rings (little-endian),
 * event-index notification suppression, mergeable RX buffers (a frame spans as many
 * as it needs, num_buffers), the guest leaving TCP/UDP checksums and TCP segmentation
 * to the switch (TX: the switch completes and cuts them, as for a qeth guest's large
 * send), the guest taking frames with checksums open or vouched for and TCP large sends
 * whole (RX: the port asks the switch for them, cpnp_set_rx_offload; the ECN bit of a
 * large send with CWR is passed on), and the vhost-user protocol features (reply-ack). */
#define VU_FEATURES                                                                 \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |         \
	 (1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VIRTIO_NET_F_CSUM) |           \
	 (1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6) |       \
	 (1ull << VIRTIO_NET_F_GUEST_CSUM) | (1ull << VIRTIO_NET_F_GUEST_TSO4) |     \
	 (1ull << VIRTIO_NET_F_GUEST_TSO6) | (1ull << VIRTIO_NET_F_GUEST_ECN) |      \
	 (1ull << VHOST_USER_F_PROTOCOL_FEATURES))
#define VU_PROTOCOL_FEATURES (1ull << VU_PROTOCOL_F_REPLY_ACK)

struct vu_ring {
	struct vq q;
	uint16_t num;		/* SET_VRING_NUM */
	uint16_t base;		/* SET_VRING_BASE */
	struct vu_addr addr;	/* SET_VRING_ADDR */
	bool have_addr;
	bool enabled;		/* SET_VRING_ENABLE (not needed without protocol features) */
	bool started;		/* kick fd came: the ring runs */
	int kick, call, err;	/* eventfds from QEMU, -1 none */
};

struct vudev {
	int sock;		/* the connection to QEMU */
	uint64_t features;	/* SET_FEATURES */
	uint64_t protocol;	/* SET_PROTOCOL_FEATURES */
	/* SET_PROTOCOL_FEATURES came: rings start disabled and SET_VRING_ENABLE turns
	 * them on (QEMU sends it before SET_FEATURES); without it they run when kicked. */
	bool protocol_set;
	bool owner;
	struct vumem mem;
	struct vu_ring ring[VU_MAX_QUEUES];
	uint64_t msgs, refused;
};

void vudev_init(struct vudev *d, int sock);
/* Everything released (eventfds, memory table), the socket closed. */
void vudev_free(struct vudev *d);

/* Act on one message (its fds are taken or closed) and answer it (a GET's reply, the
 * reply-ack when asked and negotiated).  0 on success; -errno for a message refused:
 * the caller drops the connection (a peer that breaks the protocol is not trusted
 * further; the reason is returned so that it can be said). */
int vudev_handle(struct vudev *d, struct vu_msg *m);

/* A ring processes frames: started, enabled, its vring set up. */
bool vudev_ring_live(const struct vudev *d, unsigned index);
/* Ring the guest's call eventfd of a ring (an interrupt). */
void vudev_call(struct vudev *d, unsigned index);

#endif
