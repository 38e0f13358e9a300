/* osa/wire_mem.c - the in-memory wire provider: two wires back to back, or one wire
 * whose far end is a test harness that injects frames and collects what was sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "osa/wire.h"

/* A bounded ring of whole frames; storage allocated once at open (and once more when
 * the harness asks for offloads: slots of WIRE_OFL_FRAME_MAX). */
struct mring {
	unsigned head, count;
	uint32_t len[WIRE_MEM_SLOTS];
	struct wire_ofl ofl[WIRE_MEM_SLOTS];	/* what each frame left to the wire */
	uint32_t slot_size;
	uint8_t *data;			/* WIRE_MEM_SLOTS * slot_size */
};

struct wmem {
	struct mring rx;		/* frames waiting for recv */
	struct mring tx;		/* frames sent while not connected (harness) */
	struct wire *peer;
	bool up, gone;
	uint32_t mtu;
	uint8_t mac[6];
};

static struct wmem *wm(struct wire *w)
{
	return w && w->cls == &wire_mem_class ? w->priv : NULL;
}

static uint8_t *slot(struct mring *r, unsigned i)
{
	return r->data + (size_t)i * r->slot_size;
}

/* Append a frame gathered from iov; -ENOSPC when the ring is full. */
static int ring_put(struct mring *r, const struct iovec *iov, unsigned niov, uint32_t len)
{
	unsigned i;
	uint8_t *d;
	uint32_t off = 0;

	if (len > r->slot_size)
		return -EMSGSIZE;
	if (r->count == WIRE_MEM_SLOTS)
		return -ENOSPC;
	i = (r->head + r->count) % WIRE_MEM_SLOTS;
	d = slot(r, i);
	for (unsigned k = 0; k < niov && off < len; k++) {
		size_t n = iov[k].iov_len;

		if (n > len - off)
			n = len - off;
		memcpy(d + off, iov[k].iov_base, n);
		off += (uint32_t)n;
	}
	if (off != len)
		return -EINVAL;		/* the iovec is shorter than the frame it claims */
	r->len[i] = len;
	memset(&r->ofl[i], 0, sizeof(r->ofl[i]));
	r->count++;
	return 0;
}

static int ring_get(struct mring *r, uint8_t *buf, uint32_t cap, struct wire_ofl *ofl)
{
	uint32_t len;

	if (!r->count)
		return -EAGAIN;
	len = r->len[r->head];
	if (len > cap)
		return -EMSGSIZE;
	memcpy(buf, slot(r, r->head), len);
	if (ofl)
		*ofl = r->ofl[r->head];
	r->head = (r->head + 1) % WIRE_MEM_SLOTS;
	r->count--;
	return (int)len;
}

static int mem_open(struct wire *w, const char *name)
{
	struct wmem *m = calloc(1, sizeof(*m));

	(void)name;
	if (!m)
		return -ENOMEM;
	m->rx.slot_size = m->tx.slot_size = WIRE_FRAME_MAX;
	m->rx.data = malloc((size_t)WIRE_MEM_SLOTS * WIRE_FRAME_MAX);
	m->tx.data = malloc((size_t)WIRE_MEM_SLOTS * WIRE_FRAME_MAX);
	if (!m->rx.data || !m->tx.data) {
		free(m->rx.data);
		free(m->tx.data);
		free(m);
		return -ENOMEM;
	}
	m->up = true;
	m->mtu = 1500;
	/* A locally administered address for the far side, distinct per wire name. */
	m->mac[0] = 0x02;
	m->mac[1] = 0xCE;
	for (const char *p = name; *p; p++)
		m->mac[2 + (unsigned)(p - name) % 4] ^= (uint8_t)*p;
	w->priv = m;
	w->fd = -1;
	return 0;
}

static void mem_close(struct wire *w)
{
	struct wmem *m = w->priv;

	if (!m)
		return;
	if (m->peer) {
		struct wmem *pm = wm(m->peer);

		if (pm)
			pm->peer = NULL;
	}
	free(m->rx.data);
	free(m->tx.data);
	free(m);
	w->priv = NULL;
}

static int mem_send(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len)
{
	struct wmem *m = w->priv;
	int rc;

	if (m->gone || !m->up)
		return -ENETDOWN;
	if (m->peer) {
		struct wmem *pm = wm(m->peer);

		if (!pm || pm->gone || !pm->up)
			return -ENETDOWN;
		rc = ring_put(&pm->rx, iov, niov, len);
	} else {
		rc = ring_put(&m->tx, iov, niov, len);
	}
	return rc == -ENOSPC ? -EAGAIN : rc;
}

/* One frame; *ofl (NULL: the reader takes no large receives) what it leaves open. */
static int mem_recv_ofl(struct wire *w, uint8_t *buf, uint32_t cap, struct wire_ofl *ofl)
{
	struct wmem *m = w->priv;
	struct wire_ofl o;
	int rc;

	if (m->gone)
		return -ENETDOWN;
	if (!m->up)
		return -EAGAIN;		/* cable pulled: nothing arrives */
	rc = ring_get(&m->rx, buf, cap, &o);
	if (rc == -EMSGSIZE || (rc >= 0 && o.gso && !(ofl && w->rx_large))) {
		/* Like a TAP read into a short buffer, or a large receive a TAP would
		 * refuse: the frame is lost. */
		if (rc == -EMSGSIZE) {
			m->rx.head = (m->rx.head + 1) % WIRE_MEM_SLOTS;
			m->rx.count--;
		}
		return -EMSGSIZE;
	}
	if (rc >= 0 && ofl)
		*ofl = o;
	return rc;
}

static int mem_recv(struct wire *w, uint8_t *buf, uint32_t cap)
{
	return mem_recv_ofl(w, buf, cap, NULL);
}

static int mem_recv_batch(struct wire *w, uint8_t *const *bufs, uint32_t cap, unsigned n,
			  int *lens, struct wire_ofl *ofl)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		lens[i] = mem_recv_ofl(w, bufs[i], cap, ofl ? &ofl[i] : NULL);
		if (lens[i] == -EAGAIN)
			break;
		if (lens[i] < 0 && lens[i] != -EMSGSIZE)
			return i ? (int)i : lens[i];
	}
	return (int)i;
}

/* Large receives: the far end may inject frames of up to WIRE_OFL_FRAME_MAX bytes
 * (storage grown once, while nothing waits). */
static int mem_set_rx_large(struct wire *w, bool on)
{
	struct wmem *m = w->priv;
	uint8_t *d;

	if (!on || m->rx.slot_size == WIRE_OFL_FRAME_MAX)
		return 0;
	if (m->rx.count)
		return -EBUSY;
	d = malloc((size_t)WIRE_MEM_SLOTS * WIRE_OFL_FRAME_MAX);
	if (!d)
		return -ENOMEM;
	free(m->rx.data);
	m->rx.data = d;
	m->rx.slot_size = WIRE_OFL_FRAME_MAX;
	return 0;
}

/* With offloads (the harness's end only): what each frame left to the wire is kept
 * for wire_mem_collect_ofl, as a TAP with IFF_VNET_HDR hands it to the kernel. */
static void mem_send_batch(struct wire *w, struct wire_txf *f, unsigned n)
{
	struct wmem *m = w->priv;

	for (unsigned i = 0; i < n; i++) {
		f[i].rc = mem_send(w, f[i].iov, f[i].niov, f[i].len);
		if (f[i].rc == 0 && !m->peer && w->offloads) {
			unsigned last = (m->tx.head + m->tx.count - 1) % WIRE_MEM_SLOTS;

			m->tx.ofl[last] = f[i].ofl;
		}
	}
}

static int mem_link(struct wire *w)
{
	struct wmem *m = w->priv;

	if (m->gone)
		return -ENODEV;
	return m->up && !w->failed ? 1 : 0;
}

static int mem_get_mtu(struct wire *w, uint32_t *mtu)
{
	*mtu = ((struct wmem *)w->priv)->mtu;
	return 0;
}

static int mem_get_mac(struct wire *w, uint8_t mac[6])
{
	memcpy(mac, ((struct wmem *)w->priv)->mac, 6);
	return 0;
}

const struct wire_class wire_mem_class = {
	.type = "MEM",
	.open = mem_open,
	.close = mem_close,
	.send = mem_send,
	.recv = mem_recv,
	.recv_batch = mem_recv_batch,
	.set_rx_large = mem_set_rx_large,
	.send_batch = mem_send_batch,
	.link = mem_link,
	.get_mtu = mem_get_mtu,
	.get_mac = mem_get_mac,
};

int wire_mem_connect(struct wire *a, struct wire *b)
{
	struct wmem *ma = wm(a), *mb = wm(b);

	if (!ma || !mb || a == b)
		return -EINVAL;
	ma->peer = b;
	mb->peer = a;
	return 0;
}

int wire_mem_inject(struct wire *w, const uint8_t *frame, uint32_t len)
{
	struct wmem *m = wm(w);
	struct iovec iov = { (void *)(uintptr_t)frame, len };

	if (!m)
		return -EINVAL;
	return ring_put(&m->rx, &iov, 1, len);
}

int wire_mem_inject_ofl(struct wire *w, const uint8_t *frame, uint32_t len,
			const struct wire_ofl *ofl)
{
	struct wmem *m = wm(w);
	int rc = wire_mem_inject(w, frame, len);

	if (rc == 0)
		m->rx.ofl[(m->rx.head + m->rx.count - 1) % WIRE_MEM_SLOTS] = *ofl;
	return rc;
}

int wire_mem_collect(struct wire *w, uint8_t *buf, uint32_t cap)
{
	struct wmem *m = wm(w);

	if (!m)
		return -EINVAL;
	return ring_get(&m->tx, buf, cap, NULL);
}

int wire_mem_collect_ofl(struct wire *w, uint8_t *buf, uint32_t cap, struct wire_ofl *ofl)
{
	struct wmem *m = wm(w);

	if (!m)
		return -EINVAL;
	return ring_get(&m->tx, buf, cap, ofl);
}

int wire_mem_set_offloads(struct wire *w)
{
	struct wmem *m = wm(w);
	uint8_t *d;

	if (!m || m->peer || m->tx.count)
		return -EINVAL;
	if (w->offloads)
		return 0;
	d = malloc((size_t)WIRE_MEM_SLOTS * WIRE_OFL_FRAME_MAX);
	if (!d)
		return -ENOMEM;
	free(m->tx.data);
	m->tx.data = d;
	m->tx.slot_size = WIRE_OFL_FRAME_MAX;
	w->offloads = true;
	return 0;
}

void wire_mem_set_link(struct wire *w, bool up, bool gone)
{
	struct wmem *m = wm(w);

	if (!m)
		return;
	m->up = up;
	m->gone = gone;
	if (up && !gone)
		w->failed = false;
}

void wire_mem_set_mtu(struct wire *w, uint32_t mtu)
{
	struct wmem *m = wm(w);

	if (m)
		m->mtu = mtu;
}
