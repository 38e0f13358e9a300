/* vnic/data.c - the data device of a virtual NIC: Establish/Activate Queues, SIGA,
 * outbound SBALs to the port and frames from the port into input SBALs (copy once). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qdio/blocks.h"
#include "qeth/qhdr.h"
#include "vnic/nic_int.h"
#include "vnic/offload.h"
#include "vnic/qframe.h"

/* Buffers one SIGA-w may process while the guest keeps priming (fast requeue: it
 * signals no more while it sees us busy), in batches of what is primed each time. */
#define SIGA_MAX_BUFS (8u * QDIO_BUFS)

int nic_qdio_establish(struct nidbk *d, const uint8_t *buf, uint32_t len)
{
	struct nicbk *nic = d->nic;
	struct qdr qdr;
	unsigned i;
	int rc;

	if (d->role != NID_UNASSIGNED && d->role != NID_DATA)
		return -EPROTO;
	if (nic->state < NC_ULP_SETUP || (nic->ddev && nic->ddev != d) || d->aq_running)
		return -EPROTO;
	if (!nic->gs)
		return -EIO;
	rc = qdr_decode(buf, len, &qdr);
	if (rc < 0)
		return rc;
	if (qdr.qfmt != (nic->cfg.type == NIC_HIPERS ? QDIO_QFMT_IQDIO : QDIO_QFMT_QETH))
		return -EBADMSG;
	rc = qdr_check(nic->gs, &qdr);
	if (rc < 0)
		return rc;
	/* The queue blocks and the output batch (180 KB) come with the first queues: a
	 * NIC that is defined but never brought up (most of a directory's) does not carry
	 * them. */
	if (!nic->inq) {
		nic->inq = calloc(2 * QDIO_QUEUES_MAX, sizeof(*nic->inq));
		if (!nic->inq)
			return -ENOMEM;
		nic->outq = nic->inq + QDIO_QUEUES_MAX;
	}
	if (!nic->txb && !(nic->txb = malloc(sizeof(*nic->txb))))
		return -ENOMEM;
	for (i = 0; i < qdr.iqdcnt; i++) {
		rc = qdio_queue_init(&nic->inq[i], nic->gs, &qdr, false, i);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < qdr.oqdcnt; i++) {
		rc = qdio_queue_init(&nic->outq[i], nic->gs, &qdr, true, i);
		if (rc < 0)
			return rc;
	}
	nic->nin = qdr.iqdcnt;
	nic->nout = qdr.oqdcnt;
	nic->qdio_established = true;
	d->role = NID_DATA;
	nic->ddev = d;
	return 0;
}

int nic_qdio_activate(struct nidbk *d)
{
	struct nicbk *nic = d->nic;

	if (d->aq_running)
		return CSS_IO_PENDING;	/* the channel asked again: still running */
	if (d->role != NID_DATA || !nic->qdio_established)
		return -EPROTO;
	for (unsigned i = 0; i < nic->nin; i++)
		qdio_ad_start(&nic->inq[i]);
	for (unsigned i = 0; i < nic->nout; i++)
		qdio_ad_start(&nic->outq[i]);
	d->aq_running = true;
	nic->qdio_active = true;
	if (d->chan && d->chan->qdio_active)
		d->chan->qdio_active(d->chan_ctx, true);
	/* Activate Queues never ends on its own: halt or clear ends it. */
	return CSS_IO_PENDING;
}

void nic_qdio_stop(struct nicbk *nic)
{
	struct nidbk *d = nic->ddev;

	if (d && d->aq_running) {
		d->aq_running = false;
		if (d->chan && d->chan->qdio_active)
			d->chan->qdio_active(d->chan_ctx, false);
	}
	nic->qdio_active = false;
	nic->qdio_established = false;
	nic->nin = nic->nout = 0;
	nic->pcim.owed = false;
	nic->rx_round = false;
}

static void pci(struct nicbk *nic)
{
	struct nidbk *d = nic->ddev;

	if (d && d->chan && d->chan->pci) {
		nic->st.pcis++;
		d->chan->pci(d->chan_ctx);
	}
}

/* Frames from one outbound SBAL appended to the round's batch: validate each qeth
 * header, describe the payload (spans into the guest's buffer, header cut off). */
static void out_sbal(struct nicbk *nic, const struct qdio_sbal_view *v, unsigned *nfr,
		     unsigned *nsp)
{
	struct nic_txbatch *t = nic->txb;

	for (unsigned p = 0; p < v->npkts; p++) {
		const struct qdio_pkt *pk = &v->pkt[p];
		const struct qdio_span *in = &v->span[pk->span];
		uint8_t hb[QHDR_TSO_HDR_SIZE];
		struct pframe *f = &t->fr[*nfr];
		struct qhdr h;
		uint32_t got, hl, skip, dl;
		unsigned first = *nsp;

		memset(&h, 0, sizeof(h));
		got = qdio_spans_copy(in, pk->nspans, 0, hb, sizeof(hb));
		/* A large send (TSO header) says how its frame splits into protocol
		 * headers and payload; both must add up to the frame. */
		if (qhdr_decode(hb, got, &h) < 0 || qhdr_id_is_l2(h.id) != (nic->layer == 2) ||
		    (qhdr_id_is_tso(h.id) &&
		     h.tso.proto_hlen + h.tso.payload_len != qhdr_data_len(&h))) {
			nic->st.tx_bad_frames++;
			port_count_drop(&nic->port, PD_BADFRAME, false, 1);
			continue;
		}
		hl = (uint32_t)qhdr_len(h.id);
		dl = qhdr_data_len(&h);
		if ((uint64_t)hl + dl > pk->len) {
			nic->st.tx_bad_frames++;
			port_count_drop(&nic->port, PD_BADFRAME, false, 1);
			continue;
		}
		/* The payload: the packet's spans minus the header bytes, cut at dl. */
		skip = hl;
		for (unsigned s = 0; s < pk->nspans && dl; s++) {
			const uint8_t *ptr = in[s].ptr;
			uint32_t len = in[s].len;

			if (skip >= len) {
				skip -= len;
				continue;
			}
			ptr += skip;
			len -= skip;
			skip = 0;
			if (len > dl)
				len = dl;
			t->sp[*nsp].ptr = ptr;
			t->sp[*nsp].len = len;
			(*nsp)++;
			dl -= len;
		}
		memset(f, 0, sizeof(*f));
		f->spans = &t->sp[first];
		f->nspans = (uint8_t)(*nsp - first);
		f->len = qhdr_data_len(&h);
		qframe_meta(&h, QF_OUTBOUND, f);
		(*nfr)++;
	}
}

/*
 * One SIGA-w round on an output queue: every buffer the guest primed, from the last
 * one processed up to the last primed, goes to the port in ONE batch in ring order,
 * and only then are the buffers completed (the spans point into them).  A bad SBAL
 * in the middle completes as ERROR; the frames of the others still go, in order.
 * Returns whether an interrupt was asked for; *more says the guest primed again.
 */
static bool out_round(struct nicbk *nic, struct qdio_queue *q, bool *more, unsigned *bufs)
{
	struct nic_txbatch *t = nic->txb;
	struct qdio_scan res;
	unsigned nfr = 0, nsp = 0;
	bool up;
	int n;

	*more = false;
	n = qdio_ad_out_gather(q, t->buf, QDIO_BUFS);
	if (n <= 0)
		return false;
	*bufs += (unsigned)n;
	/* No connection or no STARTLAN: the port is down for this guest (the switch was
	 * told PA_STOPLAN), so nothing it primes may reach the LAN. */
	up = nic->state == NC_DM_ACT && nic->lan_started;
	for (int i = 0; i < n; i++) {
		if (t->buf[i].why != QDIO_E_NONE)
			continue;
		if (up)
			out_sbal(nic, &t->buf[i].v, &nfr, &nsp);
		else
			port_count_drop(&nic->port, PD_DOWN, false, t->buf[i].v.npkts);
	}
	if (nfr) {
		nic->st.tx_frames += nfr;
		nic->st.tx_batches++;
		nic->tx_active = true;
		port_tx(&nic->port, t->fr, nfr);
		nic->tx_active = false;
	}
	memset(&res, 0, sizeof(res));
	if (qdio_ad_out_complete(q, t->buf, (unsigned)n, &res) < 0)
		return res.pci;
	*more = res.more;
	return res.pci;
}

int nic_qdio_siga(struct nidbk *d, unsigned fc, uint32_t mask)
{
	struct nicbk *nic = d->nic;
	bool want_pci = false;

	if (d->role != NID_DATA)
		return 3;
	if (!nic->qdio_active)
		return 1;
	switch (fc) {
	case NIC_SIGA_W:
	case NIC_SIGA_S:
		if (fc == NIC_SIGA_W)
			nic->st.sigas_w++;
		else
			nic->st.sigas_s++;
		/* A SIGA from inside our own port_tx (a receiver's interrupt handler that
		 * sends at once): the round under way sees the new buffers as `more`. */
		if (nic->tx_active)
			return 0;
		for (unsigned qn = 0; qn < nic->nout; qn++) {
			unsigned done = 0;
			bool more = true;

			if (!(mask & (0x80000000u >> qn)))
				continue;
			while (more && done < SIGA_MAX_BUFS)
				want_pci |= out_round(nic, &nic->outq[qn], &more, &done);
		}
		if (want_pci)
			pci(nic);
		nic_pci_poll(nic);
		return 0;
	case NIC_SIGA_R:
		/* New empty input buffers: what waits for them with the port's owner
		 * (the OSA's receive rings) goes in now; everything else was delivered
		 * or dropped as it came.  The guest is at work: a good moment to settle
		 * an owed PCI. */
		nic->st.sigas_r++;
		if (nic->in_room)
			nic->in_room(nic->in_room_ctx);
		nic_pci_poll(nic);
		return 0;
	default:
		return 3;
	}
}

/* One frame into the input queue with its inbound header: 1 if it went in, 0 if it
 * was dropped (counted), -EAGAIN when no input buffer was empty (counted as a drop
 * unless `hold`: then the caller keeps the frame). */
static int put_frame(struct nicbk *nic, struct qdio_queue *q, struct port *p,
		     const struct pframe *f, bool verified, bool hold)
{
	uint8_t hb[QHDR_SIZE];
	struct qhdr h;
	int rc;

	if (qframe_inbound_hdr(f, nic->layer, verified, &h) < 0) {
		port_count_drop(p, PD_BADFRAME, true, 1);
		return 0;
	}
	if (f->len == 0 || f->len > QHDR_MAX_DATA) {
		port_count_drop(p, PD_TOOBIG, true, 1);
		return 0;
	}
	qhdr_encode(&h, hb, sizeof(hb));
	rc = qdio_ad_in_put(q, hb, QHDR_SIZE, f->spans, f->nspans);
	if (rc == -EAGAIN) {
		if (!hold)
			port_count_drop(p, PD_NOBUF, true, 1);
		return -EAGAIN;
	}
	if (rc < 0) {
		port_count_drop(p, PD_TOOBIG, true, 1);
		return 0;
	}
	return 1;
}

struct rx_ctx {
	struct nicbk *nic;
	struct qdio_queue *q;
	struct port *p;
	bool rx_csum;
};

static bool rx_emit(void *ctx, const struct pframe *f)
{
	struct rx_ctx *c = ctx;

	return put_frame(c->nic, c->q, c->p, f, c->rx_csum, false) > 0;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t now_us(struct nicbk *nic)
{
	return nic->clock_us ? nic->clock_us(nic->clock_ctx) : mono_us();
}

/* End of a delivery round: prime the open input buffer and decide on the PCI
 * (vnic/pcimod.h): had the guest reached the last buffer handed before this round?
 * Looked at after priming, so a guest that went idle meanwhile is seen as idle. */
static void rx_push(struct nicbk *nic)
{
	struct qdio_queue *q = nic->inq;	/* queue 0; NULL before the first queues */
	bool had = nic->rx_had, round = nic->rx_round;

	nic->rx_round = false;
	if (!nic->qdio_active || nic->nin == 0)
		return;
	qdio_ad_in_flush(q);
	if (qdio_ad_take_irq(q)) {
		/* The SLSB and the clock only where they decide (EVERY, the default,
		 * needs neither). */
		bool adaptive = nic->pcim.mode == PCIM_ADAPTIVE;
		bool caught_up = !adaptive || !round || !had ||
				 qdio_ad_in_taken_buf(q, nic->rx_prev);
		uint64_t now = adaptive ? now_us(nic) : 0;

		if (pcim_batch(&nic->pcim, caught_up, now))
			pci(nic);
	}
}

/* A large send the driver takes whole (nicbk.rx_large): layer 2, its checksum open, one
 * input buffer's worth at most. */
static bool whole_large(const struct nicbk *nic, const struct pframe *f)
{
	return nic->rx_large && f->gso_size && nic->layer == 2 && f->kind == PF_ETH &&
	       f->csum == PF_CSUM_PARTIAL && !f->csum_ip_hdr && f->len <= QHDR_MAX_DATA;
}

/* Frames into the input queue, one qeth header each.  What the sender left to the
 * adapter is done here, for this receiver only: a guest with inbound checksum on gets
 * such frames marked verified and nothing computed.  `hold`: stop at the first frame
 * that finds no buffer (*full) without counting it.  Returns frames consumed; *took
 * how many of them went in, *bytes theirs. */
static unsigned rx_frames(struct nicbk *nic, struct port *p, const struct pframe *f, unsigned n,
			  bool hold, bool *full, unsigned *took, uint64_t *bytes)
{
	struct qdio_queue *q = nic->inq;	/* queue 0; NULL before the first queues */
	bool rx_csum = ((nic->offl4 | nic->offl6) & NIC_OFL_RXCSUM) != 0;
	struct rx_ctx c = { nic, q, p, rx_csum };
	unsigned i;

	/* The first call of a round remembers where the guest's buffers stood (a NIC
	 * without queues drops below, and rx_push ends the round unread). */
	if (!nic->rx_round) {
		nic->rx_round = true;
		nic->rx_had = q && q->ad_handed;
		nic->rx_prev = q ? q->ad_last : 0;
	}

	*took = 0;
	*bytes = 0;
	*full = false;
	if (!nic->qdio_active || !nic->lan_started || nic->nin == 0) {
		port_count_drop(p, PD_DOWN, true, n);
		return n;
	}
	for (i = 0; i < n; i++) {
		struct ofl_result r;

		if (!ofl_needed(&f[i], rx_csum) || whole_large(nic, &f[i])) {
			int rc = put_frame(nic, q, p, &f[i], rx_csum, hold);

			if (rc == -EAGAIN && hold) {
				*full = true;
				break;
			}
			if (rc > 0) {
				(*took)++;
				*bytes += f[i].len;
			}
			continue;
		}
		ofl_finish(&f[i], rx_csum, &nic->ofl_buf, rx_emit, &c, &r);
		if (r.err)
			port_count_drop(p, r.err == -ENOMEM ? PD_NOBUF : PD_BADFRAME, true, 1);
		nic->st.rx_completed += r.completed;
		nic->st.rx_segmented += r.segmented;
		if (r.emitted > 0) {
			(*took)++;
			*bytes += f[i].len;
		}
	}
	nic->st.rx_frames += *took;
	return i;
}

/* Frames the port delivers: what finds no buffer is dropped (PD_NOBUF). */
unsigned nic_port_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct nicbk *nic = owner;
	uint64_t bytes;
	unsigned took;
	bool full;

	rx_frames(nic, p, f, n, false, &full, &took, &bytes);
	rx_push(nic);
	return took;
}

unsigned nic_rx_fill(struct nicbk *nic, const struct pframe *f, unsigned n, bool *full)
{
	struct port *p = &nic->port;
	unsigned took, used;
	uint64_t bytes;

	*full = false;
	if (!n)
		return 0;
	used = rx_frames(nic, p, f, n, true, full, &took, &bytes);
	if (used == 0)
		nic->rx_round = false;	/* nothing went in: no round to push */
	/* port_deliver's accounting, for what went in. */
	p->st.rx_packets += took;
	p->st.rx_bytes += bytes;
	return used;
}

void nic_rx_push(struct nicbk *nic)
{
	rx_push(nic);
}

bool nic_rx_room(struct nicbk *nic)
{
	return nic->qdio_active && nic->nin && qdio_ad_in_room(&nic->inq[0]);
}

int nic_set_pci_mode(struct nicbk *nic, uint8_t mode, uint32_t holdoff_us,
		     uint64_t (*clock_us)(void *ctx), void *clock_ctx)
{
	int rc = pcim_set(&nic->pcim, mode, holdoff_us);

	if (rc < 0)
		return rc;
	nic->clock_us = clock_us;
	nic->clock_ctx = clock_ctx;
	return 0;
}

int64_t nic_pci_wait_us(struct nicbk *nic)
{
	uint64_t due = nic_pci_due(nic), now;

	if (!due)
		return -1;
	now = now_us(nic);
	return due > now ? (int64_t)(due - now) : 0;
}

void nic_pci_poll(struct nicbk *nic)
{
	if (!nic->pcim.owed)
		return;
	if (!nic->qdio_active || nic->nin == 0) {
		nic->pcim.owed = false;		/* queues gone: nobody to tell */
		return;
	}
	if (pcim_poll(&nic->pcim, qdio_ad_in_taken(&nic->inq[0]), now_us(nic)))
		pci(nic);
}
