/* vhost/vumsg.h - the vhost-user protocol's messages (QEMU <-> cpnet-vhost on a Unix
 * socket): header, the bodies cpnet-vhost takes, their checks, reading one with its fds. */
#ifndef CPNET_VHOST_VUMSG_H
#define CPNET_VHOST_VUMSG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"

/*
 * vhost-user messages are in the HOST's byte order (both ends run on one host; on
 * s390x they are big-endian), unlike the virtio rings they describe, which are
 * little-endian with VIRTIO_F_VERSION_1 (vhost/vring.h).  Every message is a 12-byte
 * header -- u32 request, u32 flags (bits 0-1 version = 1, bit 2 reply, bit 3
 * need_reply), u32 payload size -- then the payload; file descriptors travel as
 * SCM_RIGHTS with the header.  The peer is hostile: sizes, counts, indexes, flags and
 * fd counts are checked here, before anything acts on them.
 */
#define VU_HDR_SIZE 12
#define VU_OFF_REQUEST 0
#define VU_OFF_FLAGS 4
#define VU_OFF_SIZE 8
CPNET_LAYOUT(VU_HDR, VU_OFF_SIZE + 4);

#define VU_VERSION 0x1u
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY 0x4u
#define VU_FLAG_NEED_REPLY 0x8u

#define VU_MAX_PAYLOAD 512u	/* the largest body cpnet-vhost takes (a memory table: 264) */
#define VU_MAX_FDS 8u
#define VU_MAX_REGIONS 8u
#define VU_MAX_QUEUES 2u	/* one RX and one TX queue: no multiqueue offered */

enum vu_req {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
};

/* Feature bits (virtio and vhost-user). */
#define VIRTIO_NET_F_CSUM 0		/* the guest may leave TCP/UDP checksums to us */
#define VIRTIO_NET_F_GUEST_CSUM 1	/* the guest takes frames with checksums open / valid */
#define VIRTIO_NET_F_GUEST_TSO4 7	/* ... and TCP large sends whole (IPv4, IPv6) */
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9	/* ... with the ECN bit of a large send that has CWR */
#define VIRTIO_NET_F_HOST_TSO4 11	/* ... and send TCP large sends (IPv4, IPv6) */
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX 29
#define VHOST_USER_F_PROTOCOL_FEATURES 30
#define VIRTIO_F_VERSION_1 32
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_REPLY_ACK 3

/* Bodies. */
#define VU_U64_SIZE 8
#define VU_STATE_SIZE 8		/* u32 index, u32 num */
#define VU_ADDR_SIZE 40		/* u32 index, u32 flags, u64 desc, used, avail, log */
#define VU_ADDR_OFF_LOG 32
CPNET_LAYOUT(VU_ADDR, VU_ADDR_OFF_LOG + 8);
#define VU_REGION_SIZE 32	/* u64 guest address, size, user address, mmap offset */
#define VU_MEM_OFF_REGIONS 8	/* u32 count, u32 padding, then the regions */
CPNET_LAYOUT(VU_REGION, 24 + 8);
#define VU_FD_INDEX_MASK 0xFFu	/* SET_VRING_KICK/CALL/ERR: u64 index | NOFD */
#define VU_FD_NOFD 0x100u

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

/* One message as read: header, payload, the fds it carried (owned by the caller
 * once read: vu_msg_close_fds closes those nobody took). */
struct vu_msg {
	struct vu_hdr h;
	uint8_t payload[VU_MAX_PAYLOAD];
	int fds[VU_MAX_FDS];
	unsigned nfds;
};

struct vu_state {
	uint32_t index;
	uint32_t num;
};

struct vu_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc, used, avail, log;
};

struct vu_region {
	uint64_t gpa;		/* guest physical address */
	uint64_t size;
	uint64_t uva;		/* QEMU's address for it (what SET_VRING_ADDR uses) */
	uint64_t mmap_offset;	/* where it starts in the fd */
};

struct vu_memtable {
	uint32_t n;
	struct vu_region r[VU_MAX_REGIONS];
};

/* Header: version 1, no reply bit, size at most VU_MAX_PAYLOAD.  0 or -EBADMSG /
 * -EPROTO (version) / -EMSGSIZE (size). */
int vu_hdr_decode(const uint8_t *b, size_t len, struct vu_hdr *h);
int vu_hdr_encode(const struct vu_hdr *h, uint8_t *b, size_t cap);

/* Bodies: exact sizes (-EMSGSIZE otherwise).  Queue indexes below VU_MAX_QUEUES
 * (-EINVAL); SET_VRING_ADDR flags only bit 0 (LOG) (-EINVAL). */
int vu_u64_decode(const struct vu_msg *m, uint64_t *v);
int vu_state_decode(const struct vu_msg *m, struct vu_state *s);
int vu_addr_decode(const struct vu_msg *m, struct vu_addr *a);
/* SET_VRING_KICK/CALL/ERR: the queue and whether an fd came (exactly one fd unless
 * NOFD; none with NOFD; no other bits).  *fd_given tells which. */
int vu_fdidx_decode(const struct vu_msg *m, uint32_t *index, int *fd_given);
/* SET_MEM_TABLE: 1..8 regions, one fd each, each non-empty, no address wrapping
 * around (guest, user or file offset), no two overlapping in guest or user space. */
int vu_memtable_decode(const struct vu_msg *m, struct vu_memtable *t);

/* A reply: header (REPLY set) + payload of len bytes into b; its size, or -ENOSPC. */
int vu_reply_encode(uint32_t request, const void *payload, uint32_t len, uint8_t *b, size_t cap);

/* Read one message from a connected stream socket: 1 read, 0 peer closed cleanly
 * between messages, negative errno (-EBADMSG, -EMSGSIZE, -EPROTO: a broken peer;
 * too many fds or a truncated control message also -EPROTO, fds closed). */
int vu_recv(int sock, struct vu_msg *m);
/* Send a reply for request with payload; 0 or negative errno. */
int vu_send_reply(int sock, uint32_t request, const void *payload, uint32_t len);
void vu_msg_close_fds(struct vu_msg *m);

/* Host-order scalars of the protocol (memcpy: no alignment assumed). */
uint32_t vu_get32(const uint8_t *p);
uint64_t vu_get64(const uint8_t *p);
void vu_put32(uint8_t *p, uint32_t v);
void vu_put64(uint8_t *p, uint64_t v);

#endif
