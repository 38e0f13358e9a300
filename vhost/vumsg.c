/* vhost/vumsg.c - the vhost-user protocol's messages: decoding each body with its checks,
 * reading one message (and its SCM_RIGHTS fds) from QEMU's socket, writing replies. */
#define _GNU_SOURCE
#include "vhost/vumsg.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/fdpass.h"

uint32_t vu_get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

uint64_t vu_get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

void vu_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

void vu_put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

int vu_hdr_decode(const uint8_t *b, size_t len, struct vu_hdr *h)
{
	if (len < VU_HDR_SIZE)
		return -EMSGSIZE;
	h->request = vu_get32(b + VU_OFF_REQUEST);
	h->flags = vu_get32(b + VU_OFF_FLAGS);
	h->size = vu_get32(b + VU_OFF_SIZE);
	if ((h->flags & VU_FLAG_VERSION_MASK) != VU_VERSION)
		return -EPROTO;
	/* A request never carries the reply bit: that is our direction. */
	if (h->flags & VU_FLAG_REPLY)
		return -EBADMSG;
	if (h->size > VU_MAX_PAYLOAD)
		return -EMSGSIZE;
	return 0;
}

int vu_hdr_encode(const struct vu_hdr *h, uint8_t *b, size_t cap)
{
	if (cap < VU_HDR_SIZE)
		return -ENOSPC;
	vu_put32(b + VU_OFF_REQUEST, h->request);
	vu_put32(b + VU_OFF_FLAGS, h->flags);
	vu_put32(b + VU_OFF_SIZE, h->size);
	return VU_HDR_SIZE;
}

int vu_u64_decode(const struct vu_msg *m, uint64_t *v)
{
	if (m->h.size != VU_U64_SIZE)
		return -EMSGSIZE;
	*v = vu_get64(m->payload);
	return 0;
}

int vu_state_decode(const struct vu_msg *m, struct vu_state *s)
{
	if (m->h.size != VU_STATE_SIZE)
		return -EMSGSIZE;
	s->index = vu_get32(m->payload);
	s->num = vu_get32(m->payload + 4);
	return s->index < VU_MAX_QUEUES ? 0 : -EINVAL;
}

int vu_addr_decode(const struct vu_msg *m, struct vu_addr *a)
{
	const uint8_t *p = m->payload;

	if (m->h.size != VU_ADDR_SIZE)
		return -EMSGSIZE;
	a->index = vu_get32(p);
	a->flags = vu_get32(p + 4);
	a->desc = vu_get64(p + 8);
	a->used = vu_get64(p + 16);
	a->avail = vu_get64(p + 24);
	a->log = vu_get64(p + VU_ADDR_OFF_LOG);
	if (a->index >= VU_MAX_QUEUES)
		return -EINVAL;
	/* Bit 0 asks for dirty logging, which cpnet-vhost does not offer (no LOG_ALL). */
	if (a->flags)
		return -EINVAL;
	return 0;
}

int vu_fdidx_decode(const struct vu_msg *m, uint32_t *index, int *fd_given)
{
	uint64_t v;
	int rc = vu_u64_decode(m, &v);

	if (rc)
		return rc;
	if (v & ~(uint64_t)(VU_FD_INDEX_MASK | VU_FD_NOFD))
		return -EINVAL;
	*index = (uint32_t)(v & VU_FD_INDEX_MASK);
	*fd_given = !(v & VU_FD_NOFD);
	if (*index >= VU_MAX_QUEUES)
		return -EINVAL;
	if (m->nfds != (*fd_given ? 1u : 0u))
		return -EBADMSG;
	return 0;
}

static int overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int vu_memtable_decode(const struct vu_msg *m, struct vu_memtable *t)
{
	const uint8_t *p = m->payload;

	if (m->h.size < VU_MEM_OFF_REGIONS)
		return -EMSGSIZE;
	t->n = vu_get32(p);
	if (t->n == 0 || t->n > VU_MAX_REGIONS)
		return -EINVAL;
	if (m->h.size != VU_MEM_OFF_REGIONS + t->n * VU_REGION_SIZE)
		return -EMSGSIZE;
	if (m->nfds != t->n)
		return -EBADMSG;
	for (uint32_t i = 0; i < t->n; i++) {
		const uint8_t *r = p + VU_MEM_OFF_REGIONS + i * VU_REGION_SIZE;
		struct vu_region *g = &t->r[i];

		g->gpa = vu_get64(r);
		g->size = vu_get64(r + 8);
		g->uva = vu_get64(r + 16);
		g->mmap_offset = vu_get64(r + 24);
		if (!g->size || g->gpa + g->size < g->gpa || g->uva + g->size < g->uva ||
		    g->mmap_offset + g->size < g->mmap_offset)
			return -EINVAL;
		for (uint32_t k = 0; k < i; k++)
			if (overlap(g->gpa, g->size, t->r[k].gpa, t->r[k].size) ||
			    overlap(g->uva, g->size, t->r[k].uva, t->r[k].size))
				return -EBADMSG;
	}
	return 0;
}

int vu_reply_encode(uint32_t request, const void *payload, uint32_t len, uint8_t *b, size_t cap)
{
	struct vu_hdr h = { request, VU_VERSION | VU_FLAG_REPLY, len };

	if (len > VU_MAX_PAYLOAD || cap < VU_HDR_SIZE + (size_t)len)
		return -ENOSPC;
	vu_hdr_encode(&h, b, cap);
	if (len)
		memcpy(b + VU_HDR_SIZE, payload, len);
	return VU_HDR_SIZE + (int)len;
}

void vu_msg_close_fds(struct vu_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		if (m->fds[i] >= 0)
			close(m->fds[i]);
	m->nfds = 0;
}

/* Read exactly len bytes (the rest of a message): a peer stopping half-way is broken. */
static int read_full(int sock, uint8_t *b, size_t len)
{
	while (len) {
		ssize_t n = recv(sock, b, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

int vu_recv(int sock, struct vu_msg *m)
{
	uint8_t hb[VU_HDR_SIZE];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
	} ctl;
	struct iovec iov = { hb, sizeof(hb) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;
	int rc;

	m->nfds = 0;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	m->nfds = fdpass_take(&mh, m->fds, VU_MAX_FDS);
	/* The kernel cut fds off: they are gone, and the message cannot be trusted. */
	if (mh.msg_flags & MSG_CTRUNC) {
		rc = -EPROTO;
		goto fail;
	}
	if ((size_t)n < sizeof(hb) && (rc = read_full(sock, hb + n, sizeof(hb) - (size_t)n)))
		goto fail;
	if ((rc = vu_hdr_decode(hb, sizeof(hb), &m->h)))
		goto fail;
	if ((rc = read_full(sock, m->payload, m->h.size)))
		goto fail;
	return 1;
fail:
	vu_msg_close_fds(m);
	return rc;
}

int vu_send_reply(int sock, uint32_t request, const void *payload, uint32_t len)
{
	uint8_t b[VU_HDR_SIZE + VU_MAX_PAYLOAD];
	int n = vu_reply_encode(request, payload, len, b, sizeof(b));
	ssize_t w;

	if (n < 0)
		return n;
	do
		w = send(sock, b, (size_t)n, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return w == n ? 0 : -EPIPE;
}
