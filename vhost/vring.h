/* vhost/vring.h - a split virtqueue (virtio 1.0, little-endian) read and written in
 * place in the guest's shared memory: descriptor chains, used ring, notifications. */
#ifndef CPNET_VHOST_VRING_H
#define CPNET_VHOST_VRING_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/cpnet.h"
#include "vhost/vumem.h"

/*
 * Layout (virtio 1.0 2.4, all fields little-endian, lib/le.h):
 *   descriptor table: num x 16 bytes { u64 addr (guest physical), u32 len,
 *                     u16 flags (NEXT 1, WRITE 2, INDIRECT 4), u16 next }
 *   available ring:   u16 flags (NO_INTERRUPT 1), u16 idx, u16 ring[num],
 *                     u16 used_event (EVENT_IDX)
 *   used ring:        u16 flags (NO_NOTIFY 1), u16 idx, num x { u32 id, u32 len },
 *                     u16 avail_event (EVENT_IDX)
 * The guest is hostile: each descriptor is copied out once and then checked (index
 * below num, address + length inside one memory region, direction), a chain is at
 * most num descriptors long (a loop ends there: -ELOOP), an avail index more than num
 * ahead of what we consumed breaks the queue.  Indirect descriptors are refused (not
 * negotiated).  One thread owns a queue.
 */
#define VQ_DESC_SIZE 16
#define VQ_DESC_OFF_LEN 8
#define VQ_DESC_OFF_FLAGS 12
#define VQ_DESC_OFF_NEXT 14
CPNET_LAYOUT(VQ_DESC, VQ_DESC_OFF_NEXT + 2);
#define VQ_USED_ELEM_SIZE 8
#define VQ_RING_HDR 4		/* flags, idx */
#define VQ_DESC_F_NEXT 1u
#define VQ_DESC_F_WRITE 2u
#define VQ_DESC_F_INDIRECT 4u
#define VQ_AVAIL_F_NO_INTERRUPT 1u
#define VQ_USED_F_NO_NOTIFY 1u
#define VQ_MAX_SIZE 32768u
#define VQ_MAX_SEGS 64u		/* segments of one chain we keep (longer: refused) */

/* The virtio-net header in front of each frame with VERSION_1: 12 bytes. */
#define VNET_HDR_SIZE 12
#define VNET_HDR_OFF_GSO_TYPE 1
#define VNET_HDR_OFF_NUM_BUFFERS 10
CPNET_LAYOUT(VNET_HDR, VNET_HDR_OFF_NUM_BUFFERS + 2);
#define VNET_HDR_OFF_HDR_LEN 2
#define VNET_HDR_OFF_GSO_SIZE 4
#define VNET_HDR_OFF_CSUM_START 6
#define VNET_HDR_OFF_CSUM_OFFSET 8
#define VNET_HDR_F_NEEDS_CSUM 1u
#define VNET_HDR_F_DATA_VALID 2u
#define VNET_GSO_TCPV4 1u
#define VNET_GSO_TCPV6 4u
#define VNET_GSO_ECN 0x80u

/* What a TX frame asks of the switch, and what an RX frame has left open (the port
 * API's struct cpnp_offload both ways). */
struct vnet_ol {
	uint16_t gso_size;	/* TCP large send: segment payload size; 0 = one frame */
	bool csum;		/* the TCP/UDP checksum is left to complete */
	bool valid;		/* RX: the checksum is right (checked or vouched for) */
};

/* The most RX chains one frame may take with mergeable buffers (a 64 KiB large send in
 * Linux's smallest mergeable buffers, 1518 bytes, takes 44), and the segments they may
 * have in all. */
#define VQ_RX_MAX_CHAINS 64u
#define VQ_RX_MAX_SEGS 256u

/* Why a chain or a queue was refused (counted per queue, cpnet-vhost prints them). */
enum vq_bad {
	VQ_BAD_INDEX,		/* head or next index >= num */
	VQ_BAD_ADDR,		/* address + length outside the memory table */
	VQ_BAD_DIR,		/* a write descriptor on TX, a read one on RX */
	VQ_BAD_INDIRECT,	/* indirect descriptor (not negotiated) */
	VQ_BAD_LOOP,		/* longer than num (a loop) or than VQ_MAX_SEGS */
	VQ_BAD_SHORT,		/* shorter than the virtio-net header */
	VQ_BAD_HDR,		/* TX header asks for an offload not negotiated */
	VQ_BAD_AVAIL,		/* avail index jumped more than num: queue broken */
	VQ_BAD_MAX
};

struct vq_seg {
	uint8_t *p;
	uint32_t len;
};

struct vq {
	uint16_t num;		/* 0: not set up */
	uint8_t *desc, *avail, *used;
	uint16_t last_avail;	/* next avail entry we take */
	uint16_t used_idx;	/* our copy of used->idx (we are its only writer) */
	uint16_t signalled_used;	/* used idx at the last vq_publish */
	bool event_idx;		/* negotiated VIRTIO_RING_F_EVENT_IDX */
	bool broken;		/* the guest broke the rules: no more processing */
	uint64_t bad[VQ_BAD_MAX];
};

/* Set up from QEMU addresses (SET_VRING_ADDR) with num (SET_VRING_NUM) and the first
 * avail index (SET_VRING_BASE): each ring inside one region, aligned as virtio says
 * (desc 16, avail 2, used 4).  0 or -EINVAL (num not a power of two 1..32768),
 * -EFAULT (outside the table), -EXDEV (misaligned). */
int vq_setup(struct vq *q, struct vumem *m, uint16_t num, uint64_t desc, uint64_t avail,
	     uint64_t used, uint16_t base, bool event_idx);

/* Entries the guest made available and we did not take: 0..num (more breaks the
 * queue: returns 0 with q->broken set). */
unsigned vq_avail_count(struct vq *q);

/* Take the next available chain: its head and up to VQ_MAX_SEGS segments (host
 * pointers, each checked), all readable (write = false) or all writable.  1 taken,
 * 0 none, -errno if the chain is bad (it is taken anyway: the caller returns it with
 * vq_push(head, 0); *head is set then) or -EBADF if the queue is broken (not taken). */
int vq_pop(struct vq *q, struct vumem *m, bool write, uint16_t *head, struct vq_seg *seg,
	   unsigned *nseg, uint32_t *total);

/* Put a used entry (not visible to the guest until vq_publish). */
void vq_push(struct vq *q, uint16_t head, uint32_t len);
/* Make the pushed entries visible (one release store) and say whether the guest wants
 * an interrupt for them (EVENT_IDX: used_event crossed; else NO_INTERRUPT clear);
 * false when nothing was pushed since the last call. */
bool vq_publish(struct vq *q);

/* Notification suppression: ask the guest to kick for the next buffer (EVENT_IDX:
 * avail_event = what we consumed; else clear NO_NOTIFY), then look again: true if
 * more came meanwhile (process before sleeping).  vq_kicks_off: no kicks wanted. */
bool vq_kicks_on(struct vq *q);
void vq_kicks_off(struct vq *q);
/* Ask for a kick when the guest adds buffers beyond those it made available so far
 * (EVENT_IDX: avail_event = its avail index now; else clear NO_NOTIFY): for a frame
 * that waits for more buffers than the guest has posted.  True if more came
 * meanwhile. */
bool vq_kicks_on_more(struct vq *q);

/* The virtio-net side.  TX: validate the 12-byte header at the front of a chain and
 * find the frame: returns the frame's length and *frame pointing at it when it lies
 * in one segment, else copies it into bounce (cap bytes) and points there; -errno
 * (counted) for a chain that is no frame.  *ol: the offloads the header asks for,
 * only those features (VIRTIO_NET_F_CSUM, HOST_TSO4/6) allow, and only for a TCP/UDP
 * frame whose csum_start / csum_offset are where its headers say (a large send: TCP
 * of the IP version its GSO type names, a segment size). */
int vnet_tx_frame(struct vq *q, const struct vq_seg *seg, unsigned nseg, uint32_t total,
		  uint64_t features, uint8_t *bounce, uint32_t cap, const uint8_t **frame,
		  struct vnet_ol *ol);
/* RX: the header for a frame of len bytes at data with what ol says is left open, as
 * the features allow: NEEDS_CSUM with csum_start / csum_offset where the frame's TCP/UDP
 * header is (GUEST_CSUM), a large send's GSO type, hdr_len and gso_size (GUEST_TSO4/6; the
 * ECN bit for one with CWR, GUEST_ECN), DATA_VALID for a checksum vouched for (GUEST_CSUM;
 * without it the flag is left out and the guest checks).  0, or -EPROTO for a frame that
 * needs what the guest did not negotiate or whose headers say otherwise. */
int vnet_rx_hdr(uint8_t *h, const uint8_t *data, uint32_t len, const struct vnet_ol *ol,
		uint64_t features);

/* RX: put header h (VNET_HDR_SIZE bytes; num_buffers is written here) and the frame into
 * the guest's buffers: one chain, or with mergeable buffers as many chains as it needs
 * (at most VQ_RX_MAX_CHAINS), each pushed with what it holds (not yet published).  1 put;
 * 0 the guest has not posted enough buffers yet: nothing is taken (vq_kicks_on_more,
 * then try again); -EMSGSIZE it can never fit (one chain too small, or more chains
 * than the guest's whole ring or VQ_RX_MAX_CHAINS): the chains taken go back empty,
 * which the guest drops; -errno of vq_pop for a bad chain (returned empty with those
 * taken before it, counted by the queue); -EBADF the queue is broken. */
int vnet_rx_put(struct vq *q, struct vumem *m, uint8_t *h, const uint8_t *data, uint32_t len,
		bool mrg_rxbuf);

#endif
