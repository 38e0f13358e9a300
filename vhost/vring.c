/* vhost/vring.c - the split virtqueue in the guest's memory: taking descriptor chains
 * (each field copied once, then checked), returning them, notification suppression. */
#include "vhost/vring.h"

#include <errno.h>
#include <string.h>

#include "lib/csum.h"
#include "lib/le.h"
#include "lib/tso.h"

#define AVAIL_IDX(q) ((q)->avail + 2)
#define AVAIL_RING(q, i) ((q)->avail + VQ_RING_HDR + 2u * (i))
#define USED_EVENT(q) AVAIL_RING(q, (q)->num)
#define USED_IDX(q) ((q)->used + 2)
#define USED_ELEM(q, i) ((q)->used + VQ_RING_HDR + VQ_USED_ELEM_SIZE * (size_t)(i))
#define AVAIL_EVENT(q) USED_ELEM(q, (q)->num)

int vq_setup(struct vq *q, struct vumem *m, uint16_t num, uint64_t desc, uint64_t avail,
	     uint64_t used, uint16_t base, bool event_idx)
{
	struct vq n = { 0 };

	if (!num || (num & (num - 1)) || num > VQ_MAX_SIZE)
		return -EINVAL;
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -EXDEV;
	n.num = num;
	n.desc = vumem_uva(m, desc, (uint64_t)num * VQ_DESC_SIZE);
	n.avail = vumem_uva(m, avail, VQ_RING_HDR + 2u * num + 2);
	n.used = vumem_uva(m, used, VQ_RING_HDR + (uint64_t)VQ_USED_ELEM_SIZE * num + 2);
	if (!n.desc || !n.avail || !n.used)
		return -EFAULT;
	/* The index fields are read and written atomically: host alignment too. */
	if (((uintptr_t)n.avail & 1) || ((uintptr_t)n.used & 3))
		return -EXDEV;
	n.last_avail = base;
	/* The used index starts where the avail one does: after a GET_VRING_BASE /
	 * SET_VRING_BASE (a stop and restart), everything taken was returned. */
	n.used_idx = base;
	n.signalled_used = base;
	n.event_idx = event_idx;
	*q = n;
	return 0;
}

unsigned vq_avail_count(struct vq *q)
{
	uint16_t idx;
	unsigned n;

	if (!q->num || q->broken)
		return 0;
	/* Acquire: the ring entries the guest wrote before idx are visible after. */
	idx = le_load16_acquire(AVAIL_IDX(q));
	n = (uint16_t)(idx - q->last_avail);
	if (n > q->num) {
		q->bad[VQ_BAD_AVAIL]++;
		q->broken = true;
		return 0;
	}
	return n;
}

int vq_pop(struct vq *q, struct vumem *m, bool write, uint16_t *head, struct vq_seg *seg,
	   unsigned *nseg, uint32_t *total)
{
	uint16_t i;
	unsigned steps = 0, ns = 0;
	uint64_t sum = 0;
	int rc = 0;

	if (q->broken || !q->num)
		return -EBADF;
	if (!vq_avail_count(q))
		return q->broken ? -EBADF : 0;
	*head = le_get16(AVAIL_RING(q, q->last_avail & (q->num - 1u)));
	if (*head >= q->num) {
		/* No chain to give back: the guest's ring itself is garbage. */
		q->bad[VQ_BAD_INDEX]++;
		q->broken = true;
		return -EBADF;
	}
	q->last_avail++;
	i = *head;
	for (;;) {
		uint8_t d[VQ_DESC_SIZE];
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;

		/* One copy of the descriptor, then only the copy is looked at. */
		memcpy(d, q->desc + (size_t)i * VQ_DESC_SIZE, sizeof(d));
		addr = le_get64(d);
		len = le_get32(d + VQ_DESC_OFF_LEN);
		flags = le_get16(d + VQ_DESC_OFF_FLAGS);
		next = le_get16(d + VQ_DESC_OFF_NEXT);
		if (++steps > q->num || ns == VQ_MAX_SEGS) {
			rc = -ELOOP;
			q->bad[VQ_BAD_LOOP]++;
			break;
		}
		if (flags & VQ_DESC_F_INDIRECT) {
			rc = -EPROTO;
			q->bad[VQ_BAD_INDIRECT]++;
			break;
		}
		if (!!(flags & VQ_DESC_F_WRITE) != write) {
			rc = -EPROTO;
			q->bad[VQ_BAD_DIR]++;
			break;
		}
		if (len) {
			uint8_t *p = vumem_gpa(m, addr, len, write);

			if (!p) {
				rc = -EFAULT;
				q->bad[VQ_BAD_ADDR]++;
				break;
			}
			seg[ns].p = p;
			seg[ns].len = len;
			ns++;
			sum += len;
		}
		if (!(flags & VQ_DESC_F_NEXT))
			break;
		if (next >= q->num) {
			rc = -EINVAL;
			q->bad[VQ_BAD_INDEX]++;
			break;
		}
		i = next;
	}
	*nseg = ns;
	/* At most VQ_MAX_SEGS x 4 GiB: fits, but a frame is far smaller; clamp. */
	*total = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
	return rc ? rc : 1;
}

void vq_push(struct vq *q, uint16_t head, uint32_t len)
{
	uint8_t *e = USED_ELEM(q, q->used_idx & (q->num - 1u));

	le_put32(e, head);
	le_put32(e + 4, len);
	q->used_idx++;
}

bool vq_publish(struct vq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx, ev;

	if (!q->num)
		return false;
	/* Release: the used elements are visible before the index that covers them. */
	le_store16_release(USED_IDX(q), now);
	/* The guest's used_event / flags are read after the index is out (a full
	 * barrier: otherwise both sides can each miss the other's update). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* Nothing pushed since the last publish: no interrupt.  Kept in both modes:
	 * without EVENT_IDX too, or the index coming back to its first value (every
	 * 65,536 entries) would look like nothing new. */
	if (old == now)
		return false;
	q->signalled_used = now;
	if (!q->event_idx)
		return !(le_get16(q->avail) & VQ_AVAIL_F_NO_INTERRUPT);
	ev = le_get16(USED_EVENT(q));
	/* virtio 1.0 2.4.7.2: interrupt if used_event lies in [old, now). */
	return (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
}

bool vq_kicks_on(struct vq *q)
{
	if (!q->num || q->broken)
		return false;
	if (q->event_idx) {
		uint8_t *p = AVAIL_EVENT(q);

		le_store16_release(p, q->last_avail);
	} else {
		le_store16_release(q->used, 0);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_avail_count(q) != 0;
}

bool vq_kicks_on_more(struct vq *q)
{
	uint16_t idx;

	if (!q->num || q->broken)
		return false;
	idx = le_load16_acquire(AVAIL_IDX(q));
	if (q->event_idx)
		le_store16_release(AVAIL_EVENT(q), idx);
	else
		le_store16_release(q->used, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return le_load16_acquire(AVAIL_IDX(q)) != idx;
}

void vq_kicks_off(struct vq *q)
{
	if (q->num && !q->event_idx)
		le_store16_release(q->used, VQ_USED_F_NO_NOTIFY);
}

/* The header's offload request, against what was negotiated (0 or -EPROTO). */
static int tx_hdr(const uint8_t *h, uint64_t features, struct vnet_ol *ol)
{
	uint8_t gso = h[VNET_HDR_OFF_GSO_TYPE];

	ol->csum = h[0] & VNET_HDR_F_NEEDS_CSUM;
	ol->gso_size = 0;
	/* DATA_VALID and the rest are for the other direction. */
	if ((h[0] & ~VNET_HDR_F_NEEDS_CSUM) ||
	    (ol->csum && !(features & (1ull << VIRTIO_NET_F_CSUM))))
		return -EPROTO;
	if (!gso)
		return 0;
	/* TCP only (no UDP fragmentation, no ECN bit), as negotiated, with a size. */
	if ((gso != VNET_GSO_TCPV4 && gso != VNET_GSO_TCPV6) ||
	    !(features & (1ull << (gso == VNET_GSO_TCPV4 ? VIRTIO_NET_F_HOST_TSO4
							 : VIRTIO_NET_F_HOST_TSO6))) ||
	    !ol->csum ||
	    le_get16(h + VNET_HDR_OFF_GSO_SIZE) < tso_mss_min(gso == VNET_GSO_TCPV6))
		return -EPROTO;	/* a size under the floor: lib/tso.h */
	ol->gso_size = le_get16(h + VNET_HDR_OFF_GSO_SIZE);
	return 0;
}

/* A frame left for the switch to checksum: TCP/UDP where the header says (lib/tso's
 * check, as for a TAP's header). */
static bool csum_where_said(const uint8_t *h, const uint8_t *f, uint32_t len,
			    const struct vnet_ol *ol)
{
	uint8_t gso = h[VNET_HDR_OFF_GSO_TYPE];
	struct tso_req r = {
		.csum = ol->csum,
		.csum_start = le_get16(h + VNET_HDR_OFF_CSUM_START),
		.csum_offset = le_get16(h + VNET_HDR_OFF_CSUM_OFFSET),
		.gso_v = (uint8_t)(!ol->gso_size ? 0 : gso == VNET_GSO_TCPV6 ? 6 : 4),
		.gso_size = ol->gso_size,
	};
	struct csum_pkt cp;

	return tso_req_check(f, len, &r, &cp) == TSO_REQ_OK;
}

int vnet_tx_frame(struct vq *q, const struct vq_seg *seg, unsigned nseg, uint32_t total,
		  uint64_t features, uint8_t *bounce, uint32_t cap, const uint8_t **frame,
		  struct vnet_ol *ol)
{
	uint8_t h[VNET_HDR_SIZE];
	uint32_t len, skip = VNET_HDR_SIZE, at = 0;
	unsigned i;

	if (total < VNET_HDR_SIZE) {
		q->bad[VQ_BAD_SHORT]++;
		return -EBADMSG;
	}
	/* The header, copied out (it may straddle segments). */
	for (i = 0; at < VNET_HDR_SIZE; i++) {
		uint32_t k = seg[i].len < VNET_HDR_SIZE - at ? seg[i].len : VNET_HDR_SIZE - at;

		memcpy(h + at, seg[i].p, k);
		at += k;
	}
	/* An offload not negotiated would have the frame go out wrong. */
	if (tx_hdr(h, features, ol) < 0) {
		q->bad[VQ_BAD_HDR]++;
		return -EPROTO;
	}
	len = total - VNET_HDR_SIZE;
	/* Find the segment where the frame starts. */
	for (i = 0; i < nseg && skip >= seg[i].len; i++)
		skip -= seg[i].len;
	if (i == nseg || !len) {
		q->bad[VQ_BAD_SHORT]++;
		return -EBADMSG;
	}
	if (seg[i].len - skip >= len) {
		*frame = seg[i].p + skip;	/* in place: the switch's copy is the only one */
	} else {
		if (len > cap)
			return -EMSGSIZE;
		at = 0;
		for (; i < nseg; i++, skip = 0) {
			memcpy(bounce + at, seg[i].p + skip, seg[i].len - skip);
			at += seg[i].len - skip;
		}
		*frame = bounce;
	}
	/* The switch parses its own copy again; this only refuses a header that lies. */
	if (ol->csum && !csum_where_said(h, *frame, len, ol)) {
		q->bad[VQ_BAD_HDR]++;
		return -EPROTO;
	}
	return (int)len;
}

int vnet_rx_hdr(uint8_t *h, const uint8_t *data, uint32_t len, const struct vnet_ol *ol,
		uint64_t features)
{
	struct csum_pkt cp;

	memset(h, 0, VNET_HDR_SIZE);
	if (!ol->csum && !ol->gso_size) {
		if (ol->valid && (features & (1ull << VIRTIO_NET_F_GUEST_CSUM)))
			h[0] = VNET_HDR_F_DATA_VALID;
		return 0;
	}
	/* Open: the guest completes (or trusts) it from csum_start, so the frame's own
	 * headers say where (the switch opened it there: lib/csum.h csum_open). */
	if (!ol->csum || !(features & (1ull << VIRTIO_NET_F_GUEST_CSUM)) ||
	    csum_parse(data, len, true, &cp) < 0)
		return -EPROTO;
	h[0] = VNET_HDR_F_NEEDS_CSUM;
	le_put16(h + VNET_HDR_OFF_CSUM_START, (uint16_t)cp.l4);
	le_put16(h + VNET_HDR_OFF_CSUM_OFFSET, cp.proto == CSUM_PROTO_TCP ? 16 : 6);
	if (!ol->gso_size)
		return 0;
	if (cp.proto != CSUM_PROTO_TCP ||
	    !(features & (1ull << (cp.v6 ? VIRTIO_NET_F_GUEST_TSO6 : VIRTIO_NET_F_GUEST_TSO4))))
		return -EPROTO;
	h[VNET_HDR_OFF_GSO_TYPE] = cp.v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
	/* CWR in a large send: each segment the guest might cut again must not repeat it
	 * (virtio's ECN bit says so); a guest without GUEST_ECN cannot be told. */
	if (data[cp.l4 + 13] & 0x80) {
		if (!(features & (1ull << VIRTIO_NET_F_GUEST_ECN)))
			return -EPROTO;
		h[VNET_HDR_OFF_GSO_TYPE] |= VNET_GSO_ECN;
	}
	le_put16(h + VNET_HDR_OFF_HDR_LEN, (uint16_t)(cp.l4 + cp.l4hlen));
	le_put16(h + VNET_HDR_OFF_GSO_SIZE, ol->gso_size);
	return 0;
}

/* The chains one frame takes: where each one's segments are in the common array. */
struct rx_chain {
	uint16_t head;
	uint32_t total;
	unsigned s0, ns;
};

/* Give back chains taken for a frame that does not go: empty (the guest drops them). */
static void rx_return(struct vq *q, const struct rx_chain *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		vq_push(q, c[i].head, 0);
}

int vnet_rx_put(struct vq *q, struct vumem *m, uint8_t *h, const uint8_t *data, uint32_t len,
		bool mrg_rxbuf)
{
	struct vq_seg seg[VQ_RX_MAX_SEGS];
	struct rx_chain c[VQ_RX_MAX_CHAINS];
	uint64_t need = (uint64_t)VNET_HDR_SIZE + len, got = 0;
	uint16_t start = q->last_avail;
	unsigned nc = 0, ns = 0;
	const uint8_t *src[2] = { h, data };
	uint32_t left[2] = { VNET_HDR_SIZE, len };
	unsigned part = 0;

	/* Take chains until the frame fits: one without mergeable buffers. */
	while (got < need) {
		unsigned n;
		uint32_t total;
		int rc;

		if (nc == (mrg_rxbuf ? VQ_RX_MAX_CHAINS : 1u) || ns + VQ_MAX_SEGS > VQ_RX_MAX_SEGS ||
		    (uint16_t)(q->last_avail - start) == q->num) {
			rx_return(q, c, nc);
			return -EMSGSIZE;
		}
		rc = vq_pop(q, m, true, &c[nc].head, seg + ns, &n, &total);
		if (rc == 0) {
			/* Not yet: the guest refills; nothing taken (no used entry written). */
			q->last_avail = start;
			return 0;
		}
		if (rc == -EBADF)
			return rc;	/* the ring is garbage: nothing can be returned */
		if (rc < 0) {
			vq_push(q, c[nc].head, 0);
			rx_return(q, c, nc);
			return rc;
		}
		c[nc].total = total;
		c[nc].s0 = ns;
		c[nc].ns = n;
		ns += n;
		got += total;
		nc++;
	}
	/* virtio 1.1 5.1.6.3.1: 1 without mergeable buffers. */
	le_put16(h + VNET_HDR_OFF_NUM_BUFFERS, (uint16_t)nc);
	/* Header, then frame, scattered over the chains' segments in order; each chain is
	 * used for what it holds. */
	for (unsigned k = 0; k < nc; k++) {
		uint32_t used = 0;

		for (unsigned s = c[k].s0; s < c[k].s0 + c[k].ns && part < 2; s++) {
			uint32_t off = 0;

			while (off < seg[s].len && part < 2) {
				uint32_t room = seg[s].len - off;
				uint32_t n = left[part] < room ? left[part] : room;

				memcpy(seg[s].p + off, src[part], n);
				src[part] += n;
				left[part] -= n;
				off += n;
				used += n;
				if (!left[part])
					part++;
			}
		}
		vq_push(q, c[k].head, used);
	}
	return 1;
}
