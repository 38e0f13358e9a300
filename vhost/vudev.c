/* vhost/vudev.c - the vhost-user device's control side: each message checked, then
 * applied to the features, the memory table and the two vrings; replies and acks. */
#include "vhost/vudev.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

void vudev_init(struct vudev *d, int sock)
{
	memset(d, 0, sizeof(*d));
	d->sock = sock;
	for (unsigned i = 0; i < VU_MAX_QUEUES; i++)
		d->ring[i].kick = d->ring[i].call = d->ring[i].err = -1;
}

static void set_fd(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

static void ring_stop(struct vudev *d, unsigned i)
{
	struct vu_ring *r = &d->ring[i];

	r->started = false;
	memset(&r->q, 0, sizeof(r->q));
}

void vudev_free(struct vudev *d)
{
	for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
		ring_stop(d, i);
		set_fd(&d->ring[i].kick, -1);
		set_fd(&d->ring[i].call, -1);
		set_fd(&d->ring[i].err, -1);
	}
	vumem_free(&d->mem);
	if (d->sock >= 0)
		close(d->sock);
	d->sock = -1;
}

bool vudev_ring_live(const struct vudev *d, unsigned index)
{
	const struct vu_ring *r = &d->ring[index];

	return r->started && (r->enabled || !d->protocol_set) && r->q.num && !r->q.broken;
}

void vudev_call(struct vudev *d, unsigned index)
{
	uint64_t one = 1;

	if (d->ring[index].call >= 0)
		(void)!write(d->ring[index].call, &one, sizeof(one));
}

/* The vring from what SET_VRING_NUM/ADDR/BASE said, against the current table. */
static int ring_setup(struct vudev *d, unsigned i)
{
	struct vu_ring *r = &d->ring[i];

	if (!r->have_addr || !r->num)
		return -EPROTO;
	return vq_setup(&r->q, &d->mem, r->num, r->addr.desc, r->addr.avail, r->addr.used,
			r->base, d->features & (1ull << VIRTIO_RING_F_EVENT_IDX));
}

static int handle(struct vudev *d, struct vu_msg *m, uint64_t *reply, bool *has_reply)
{
	struct vu_state st;
	struct vu_memtable t;
	uint32_t idx;
	uint64_t v;
	int rc, given;

	/* Only SET_MEM_TABLE and SET_VRING_KICK/CALL/ERR carry fds. */
	if (m->nfds && m->h.request != VU_SET_MEM_TABLE && m->h.request != VU_SET_VRING_KICK &&
	    m->h.request != VU_SET_VRING_CALL && m->h.request != VU_SET_VRING_ERR)
		return -EBADMSG;
	switch (m->h.request) {
	case VU_GET_FEATURES:
		if (m->h.size)
			return -EMSGSIZE;
		*reply = VU_FEATURES;
		*has_reply = true;
		return 0;
	case VU_SET_FEATURES:
		if ((rc = vu_u64_decode(m, &v)))
			return rc;
		/* Only what we offered; and the rings' byte order is virtio 1.0's. */
		if ((v & ~VU_FEATURES) || !(v & (1ull << VIRTIO_F_VERSION_1)))
			return -EINVAL;
		/* virtio 1.0 5.1.3.1: large sends to the guest need its checksum offload (a
		 * large send's checksum is always open); ECN needs large sends. */
		if ((v & ((1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_GUEST_TSO6))) &&
		    !(v & (1ull << VIRTIO_NET_F_GUEST_CSUM)))
			return -EINVAL;
		if ((v & (1ull << VIRTIO_NET_F_GUEST_ECN)) &&
		    !(v & ((1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_GUEST_TSO6))))
			return -EINVAL;
		d->features = v;
		for (unsigned i = 0; i < VU_MAX_QUEUES; i++)
			d->ring[i].q.event_idx = v & (1ull << VIRTIO_RING_F_EVENT_IDX);
		return 0;
	case VU_GET_PROTOCOL_FEATURES:
		if (m->h.size)
			return -EMSGSIZE;
		*reply = VU_PROTOCOL_FEATURES;
		*has_reply = true;
		return 0;
	case VU_SET_PROTOCOL_FEATURES:
		if ((rc = vu_u64_decode(m, &v)))
			return rc;
		if (v & ~VU_PROTOCOL_FEATURES)
			return -EINVAL;
		d->protocol = v;
		d->protocol_set = true;
		return 0;
	case VU_SET_OWNER:
		if (m->h.size && m->h.size != VU_U64_SIZE)
			return -EMSGSIZE;
		d->owner = true;
		return 0;
	case VU_RESET_OWNER:
		for (unsigned i = 0; i < VU_MAX_QUEUES; i++)
			ring_stop(d, i);
		d->owner = false;
		d->features = 0;
		return 0;
	case VU_SET_MEM_TABLE:
		if ((rc = vu_memtable_decode(m, &t)))
			return rc;
		m->nfds = 0;	/* vumem_set takes them, whatever happens */
		rc = vumem_set(&d->mem, &t, m->fds);
		/* The rings pointed into the old table: set them up in the new one. */
		for (unsigned i = 0; i < VU_MAX_QUEUES; i++) {
			struct vu_ring *r = &d->ring[i];

			if (!r->q.num)
				continue;
			r->base = r->q.last_avail;
			if (rc || ring_setup(d, i) < 0)
				ring_stop(d, i);
		}
		return rc;
	case VU_SET_VRING_NUM:
		if ((rc = vu_state_decode(m, &st)))
			return rc;
		if (!st.num || st.num > VQ_MAX_SIZE || (st.num & (st.num - 1)))
			return -EINVAL;
		d->ring[st.index].num = (uint16_t)st.num;
		return 0;
	case VU_SET_VRING_BASE:
		if ((rc = vu_state_decode(m, &st)))
			return rc;
		if (st.num > 0xFFFF)
			return -EINVAL;
		d->ring[st.index].base = (uint16_t)st.num;
		return 0;
	case VU_SET_VRING_ADDR: {
		struct vu_addr a;

		if ((rc = vu_addr_decode(m, &a)))
			return rc;
		d->ring[a.index].addr = a;
		d->ring[a.index].have_addr = true;
		return 0;
	}
	case VU_GET_VRING_BASE:
		/* Stops the ring; the answer is where the guest should resume. */
		if ((rc = vu_state_decode(m, &st)))
			return rc;
		{
			struct vu_ring *r = &d->ring[st.index];
			uint8_t b[VU_STATE_SIZE];

			st.num = r->q.num ? r->q.last_avail : r->base;
			/* Kept: a restart without SET_VRING_BASE resumes where it stopped. */
			r->base = (uint16_t)st.num;
			ring_stop(d, st.index);
			set_fd(&r->kick, -1);
			vu_put32(b, st.index);
			vu_put32(b + 4, st.num);
			rc = vu_send_reply(d->sock, m->h.request, b, sizeof(b));
			return rc < 0 ? rc : 1;
		}
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		if ((rc = vu_fdidx_decode(m, &idx, &given)))
			return rc;
		{
			struct vu_ring *r = &d->ring[idx];
			int fd = given ? m->fds[0] : -1;

			m->nfds = 0;
			if (m->h.request == VU_SET_VRING_CALL) {
				set_fd(&r->call, fd);
				return 0;
			}
			if (m->h.request == VU_SET_VRING_ERR) {
				set_fd(&r->err, fd);
				return 0;
			}
			/* A ring without a kick fd would have to be polled: not offered. */
			if (fd < 0)
				return -EINVAL;
			ring_stop(d, idx);
			set_fd(&r->kick, fd);
			if ((rc = ring_setup(d, idx)) < 0)
				return rc;
			r->started = true;
			return 0;
		}
	case VU_SET_VRING_ENABLE:
		if ((rc = vu_state_decode(m, &st)))
			return rc;
		if (st.num > 1 || !d->protocol_set)
			return -EINVAL;
		d->ring[st.index].enabled = st.num;
		return 0;
	default:
		/* Logging, multiqueue, config space...: never offered, so never valid. */
		return -EOPNOTSUPP;
	}
}

int vudev_handle(struct vudev *d, struct vu_msg *m)
{
	uint64_t reply = 0;
	bool has_reply = false;
	int rc = handle(d, m, &reply, &has_reply);

	vu_msg_close_fds(m);
	d->msgs++;
	if (rc < 0)
		d->refused++;
	if (rc == 1)
		return 0;	/* answered already (GET_VRING_BASE) */
	if (has_reply)
		return vu_send_reply(d->sock, m->h.request, &reply, sizeof(reply));
	if ((m->h.flags & VU_FLAG_NEED_REPLY) &&
	    (d->protocol & (1ull << VU_PROTOCOL_F_REPLY_ACK))) {
		uint64_t ack = rc < 0 ? 1 : 0;
		int s = vu_send_reply(d->sock, m->h.request, &ack, sizeof(ack));

		if (s < 0)
			return s;
	}
	return rc;
}
