/* qdio/queue.c - the QDIO queue engine: adapter side (scan output, fill input) and
 * program side (give/take input, fill/prime/reap output), ownership by SLSB byte only. */
#include "qdio/queue.h"

#include <string.h>

#include "lib/be.h"

/* ---- common ---------------------------------------------------------------------- */

int qdio_queue_init(struct qdio_queue *q, struct gstor *gs, const struct qdr *qdr,
		    bool output, unsigned nr)
{
	const struct qdesfmt0 *d;
	int rc;

	if (nr >= (output ? qdr->oqdcnt : qdr->iqdcnt) || nr >= QDIO_QUEUES_MAX)
		return -EINVAL;
	d = output ? &qdr->out[nr] : &qdr->in[nr];
	/* Re-checked here so a queue can never be built from an unchecked QDR. */
	rc = gs_check_block(gs, d->sl, SL_SIZE, SL_ALIGN);
	if (rc < 0)
		return rc;
	rc = gs_check_block(gs, d->slsb, SLSB_SIZE, SLSB_ALIGN);
	if (rc < 0)
		return rc;
	memset(q, 0, sizeof(*q));
	q->gs = gs;
	q->sl = d->sl;
	q->slsb = d->slsb;
	q->output = output;
	q->nr = (uint8_t)nr;
	return 0;
}

int qdio_get_state(struct qdio_queue *q, unsigned b, uint8_t *state)
{
	return gs_state_load(q->gs, q->slsb + b % QDIO_BUFS, state);
}

int qdio_set_state(struct qdio_queue *q, unsigned b, uint8_t state)
{
	return gs_state_store(q->gs, q->slsb + b % QDIO_BUFS, state);
}

int qdio_sbal_addr(struct qdio_queue *q, unsigned b, uint64_t *addr)
{
	uint64_t v;
	int rc;

	rc = gs_fetch64(q->gs, q->sl + SL_OFF_SBAL(b % QDIO_BUFS), &v);
	if (rc < 0)
		return rc;
	rc = gs_check_block(q->gs, v, SBAL_SIZE, SBAL_ALIGN);
	if (rc < 0)
		return rc;
	*addr = v;
	return 0;
}

uint32_t qdio_spans_copy(const struct qdio_span *spans, unsigned n, uint32_t off,
			 uint8_t *dst, uint32_t len)
{
	uint32_t done = 0;
	unsigned i;

	for (i = 0; i < n && done < len; i++) {
		uint32_t chunk;

		if (off >= spans[i].len) {
			off -= spans[i].len;
			continue;
		}
		chunk = spans[i].len - off;
		if (chunk > len - done)
			chunk = len - done;
		memcpy(dst + done, spans[i].ptr + off, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

static enum qdio_err err_of_sbale(int rc)
{
	return rc == -EXDEV ? QDIO_E_SBALE_CROSS : QDIO_E_SBALE_FAULT;
}

static void count_err(struct qdio_queue *q, enum qdio_err e)
{
	q->st.err[e]++;
}

static void owe_irq(struct qdio_queue *q)
{
	if (!q->irq)
		q->st.signals++;
	q->irq = true;
}

/* Record the reason in element 15 sflags; best effort, the SBAL was validated. */
static void store_reason(struct qdio_queue *q, uint64_t sbal, enum qdio_err e)
{
	(void)gs_store8(q->gs, sbal + SBAL_OFF_ELEM(SBAL_STATUS_ELEM) + SBALE_OFF_SFLAGS,
			QDIO_SF15_REASON(e));
}

static void spans_total(const struct qdio_span *s, unsigned n, uint64_t *total)
{
	uint64_t t = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		t += s[i].len;
	*total = t;
}

/* ---- adapter side: output scan -------------------------------------------------- */

void qdio_ad_start(struct qdio_queue *q)
{
	q->next = 0;
	q->irq = false;
	q->ad_handed = false;
	q->ad_last = 0;
	memset(&q->fill, 0, sizeof(q->fill));
}

/* Validate one outbound SBAL (copied in `raw`) and describe its packets. */
static enum qdio_err out_view(struct qdio_queue *q, const uint8_t *raw,
			      struct qdio_sbal_view *v)
{
	struct qdio_pkt *pkt = NULL;
	bool inpkt = false;
	unsigned e;

	v->npkts = 0;
	v->nspans = 0;
	v->bytes = 0;
	v->sflags0 = raw[SBALE_OFF_SFLAGS];
	for (e = 0; e < QDIO_SBALES; e++) {
		struct sbale el;
		uint8_t frag;
		int rc;

		sbale_decode(raw + SBAL_OFF_ELEM(e), SBALE_SIZE, &el);
		rc = gs_check_sbale(q->gs, el.addr, el.len);
		if (rc < 0)
			return err_of_sbale(rc);
		frag = el.eflags & SBALE_EF_FRAG_MASK;
		if (frag == SBALE_FRAG_NONE || frag == SBALE_FRAG_FIRST) {
			if (inpkt)
				return QDIO_E_FRAG;	/* previous packet never ended */
			pkt = &v->pkt[v->npkts++];
			pkt->len = 0;
			pkt->span = v->nspans;
			pkt->nspans = 0;
			inpkt = frag == SBALE_FRAG_FIRST;
		} else {
			if (!inpkt)
				return QDIO_E_FRAG;	/* middle/last without a first */
			if (frag == SBALE_FRAG_LAST)
				inpkt = false;
		}
		if (el.len) {
			const uint8_t *p = gs_map(q->gs, el.addr, el.len, false);

			if (!p)
				return QDIO_E_SBALE_FAULT;
			v->span[v->nspans].ptr = p;
			v->span[v->nspans].len = el.len;
			v->nspans++;
			pkt->nspans++;
			pkt->len += el.len;
			v->bytes += el.len;
		}
		if (el.eflags & SBALE_EF_LAST)
			return inpkt ? QDIO_E_FRAG : QDIO_E_NONE;
	}
	return QDIO_E_NO_LAST;
}

int qdio_ad_out_gather(struct qdio_queue *q, struct qdio_out_buf *bufs, unsigned max)
{
	uint8_t raw[SBAL_SIZE];
	unsigned i;
	uint8_t st;
	int rc;

	if (!q->output)
		return -EPROTO;
	if (max > QDIO_BUFS)
		max = QDIO_BUFS;
	for (i = 0; i < max; i++) {
		unsigned b = qdio_add_buf(q->next, i);
		struct qdio_out_buf *o = &bufs[i];

		rc = qdio_get_state(q, b, &st);
		if (rc < 0)
			return i ? (int)i : rc;
		if (st != SLSB_CU_OUTPUT_PRIMED) {
			if (!slsb_state_valid(st, true))
				count_err(q, QDIO_E_STATE);
			break;
		}
		o->v.bufnr = (uint8_t)b;
		o->v.npkts = 0;
		o->v.bytes = 0;
		o->sbal = 0;
		o->sbal_ok = false;
		if (qdio_sbal_addr(q, b, &o->sbal) < 0 ||
		    gs_fetch(q->gs, o->sbal, raw, sizeof(raw)) < 0) {
			o->why = QDIO_E_SL;
			o->pci = true;	/* no element 0 to read: tell the guest anyway */
			continue;
		}
		o->sbal_ok = true;
		o->pci = (raw[SBALE_OFF_SFLAGS] & SBALE_SF0_PCI_REQ) != 0;
		o->why = (uint8_t)out_view(q, raw, &o->v);
	}
	return (int)i;
}

int qdio_ad_out_complete(struct qdio_queue *q, const struct qdio_out_buf *bufs, unsigned n,
			 struct qdio_scan *res)
{
	uint8_t st;
	int rc;

	for (unsigned i = 0; i < n; i++) {
		const struct qdio_out_buf *o = &bufs[i];
		uint8_t newst = SLSB_P_OUTPUT_EMPTY;

		if (o->why != QDIO_E_NONE) {
			if (o->sbal_ok)
				store_reason(q, o->sbal, (enum qdio_err)o->why);
			count_err(q, (enum qdio_err)o->why);
			newst = SLSB_P_OUTPUT_ERROR;
			res->errors++;
		} else {
			q->st.packets += o->v.npkts;
			q->st.bytes += o->v.bytes;
		}
		rc = qdio_set_state(q, q->next, newst);
		if (rc < 0)
			return rc;
		q->st.buffers++;
		res->buffers++;
		if (o->pci) {
			res->pci = true;
			owe_irq(q);
		}
		q->next = qdio_next_buf(q->next);
	}
	/* Completing b and then looking at b+1 races with the program priming b+1 and
	 * then looking at b (fast requeue): store->load, so a full fence on both sides
	 * is what guarantees one of us sees the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rc = qdio_get_state(q, q->next, &st);
	if (rc < 0)
		return rc;
	res->more = st == SLSB_CU_OUTPUT_PRIMED;
	return 0;
}

int qdio_ad_out_scan(struct qdio_queue *q, unsigned max, qdio_out_cb cb, void *ctx,
		     struct qdio_scan *res)
{
	struct qdio_out_buf o;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!q->output)
		return -EPROTO;
	/* One buffer at a time: each completes right after its callback. */
	for (unsigned i = 0; i < max; i++) {
		rc = qdio_ad_out_gather(q, &o, 1);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			res->more = false;
			return 0;
		}
		if (o.why == QDIO_E_NONE && cb) {
			rc = cb(ctx, q, &o.v);
			if (rc == QDIO_CB_STOP) {
				res->stopped = true;
				res->more = false;
				return 0;
			}
			if (rc < 0)
				o.why = QDIO_E_CONSUMER;
		}
		rc = qdio_ad_out_complete(q, &o, 1, res);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- adapter side: input fill ----------------------------------------------------- */

/* Mark an unusable empty input buffer ERROR so the guest gets it back. */
static void in_reject(struct qdio_queue *q, unsigned b, uint64_t sbal, bool sbal_ok,
		      enum qdio_err why)
{
	if (sbal_ok)
		store_reason(q, sbal, why);
	count_err(q, why);
	(void)qdio_set_state(q, b, SLSB_P_INPUT_ERROR);
	owe_irq(q);
	q->ad_handed = true;
	q->ad_last = (uint8_t)b;
	q->next = qdio_next_buf(b);
}

/* Open the next empty input buffer: its elements as the guest preset them are the
 * capacity (address and length of each, up to the one flagged LAST_ENTRY). */
static int in_open(struct qdio_queue *q)
{
	struct qdio_fill *f = &q->fill;
	uint8_t raw[SBAL_SIZE];
	unsigned tries, e;
	int rc;

	for (tries = 0; tries < QDIO_BUFS; tries++) {
		unsigned b = q->next;
		enum qdio_err why = QDIO_E_NONE;
		uint64_t sbal;
		uint8_t st;

		rc = qdio_get_state(q, b, &st);
		if (rc < 0)
			return rc;
		if (st != SLSB_CU_INPUT_EMPTY) {
			if (!slsb_state_valid(st, false))
				count_err(q, QDIO_E_STATE);
			return -EAGAIN;
		}
		rc = qdio_sbal_addr(q, b, &sbal);
		if (rc < 0 || gs_fetch(q->gs, sbal, raw, sizeof(raw)) < 0) {
			in_reject(q, b, 0, false, QDIO_E_SL);
			continue;
		}
		f->nelem = 0;
		for (e = 0; e < QDIO_SBALES; e++) {
			struct sbale el;

			sbale_decode(raw + SBAL_OFF_ELEM(e), SBALE_SIZE, &el);
			if (el.len == 0) {
				why = QDIO_E_SBALE_FAULT;
				break;
			}
			rc = gs_check_sbale(q->gs, el.addr, el.len);
			if (rc < 0) {
				why = err_of_sbale(rc);
				break;
			}
			f->addr[e] = el.addr;
			f->cap[e] = el.len;
			f->used[e] = 0;
			f->nelem = (uint8_t)(e + 1);
			if (el.eflags & SBALE_EF_LAST)
				break;
		}
		/* A bad element after good ones only shortens the buffer. */
		if (f->nelem == 0) {
			in_reject(q, b, sbal, true, why);
			continue;
		}
		f->open = true;
		f->bufnr = (uint8_t)b;
		f->sbal = sbal;
		f->elem = 0;
		f->off = 0;
		f->pkts = 0;
		return 0;
	}
	return -EAGAIN;
}

static bool in_fits(const struct qdio_fill *f, uint32_t hdrlen, uint64_t total)
{
	unsigned e = f->elem, k;
	uint32_t off = f->off;
	uint64_t room;

	while (f->cap[e] - off < hdrlen) {
		if (++e >= f->nelem)
			return false;
		off = 0;
	}
	room = f->cap[e] - off - hdrlen;
	for (k = e + 1; k < f->nelem; k++)
		room += f->cap[k];
	return total <= room;
}

/* Copy `len` bytes into the open buffer at the current position, moving to the
 * next element when one is full (data may span elements; headers never do). */
static int in_copy(struct qdio_queue *q, const uint8_t *src, uint32_t len)
{
	struct qdio_fill *f = &q->fill;

	while (len) {
		uint32_t chunk;
		uint8_t *dst;

		if (f->off == f->cap[f->elem]) {
			if (f->elem + 1u >= f->nelem)
				return -ENOSPC;	/* in_fits said otherwise: a bug */
			f->elem++;
			f->off = 0;
		}
		chunk = f->cap[f->elem] - f->off;
		if (chunk > len)
			chunk = len;
		dst = gs_map(q->gs, f->addr[f->elem] + f->off, chunk, true);
		if (!dst)
			return -EFAULT;
		memcpy(dst, src, chunk);
		f->off += chunk;
		f->used[f->elem] = f->off;
		src += chunk;
		len -= chunk;
	}
	return 0;
}

static int in_prime(struct qdio_queue *q)
{
	struct qdio_fill *f = &q->fill;
	unsigned e;
	int rc;

	/* Exact lengths and LAST_ENTRY on the last used element: qeth parses up to
	 * there and never looks at the (untouched) elements after it. */
	for (e = 0; e <= f->elem; e++) {
		uint64_t a = f->sbal + SBAL_OFF_ELEM(e);

		rc = gs_store8(q->gs, a + SBALE_OFF_EFLAGS, e == f->elem ? SBALE_EF_LAST : 0);
		if (rc == 0)
			rc = gs_store32(q->gs, a + SBALE_OFF_LEN, f->used[e]);
		if (rc < 0)
			return rc;
	}
	rc = gs_store8(q->gs, f->sbal + SBAL_OFF_ELEM(SBAL_STATUS_ELEM) + SBALE_OFF_SFLAGS, 0);
	if (rc < 0)
		return rc;
	rc = qdio_set_state(q, f->bufnr, SLSB_P_INPUT_PRIMED);
	if (rc < 0)
		return rc;
	f->open = false;
	q->next = qdio_next_buf(f->bufnr);
	q->st.buffers++;
	q->ad_handed = true;
	q->ad_last = f->bufnr;
	owe_irq(q);
	return 1;
}

bool qdio_ad_in_taken_buf(struct qdio_queue *q, unsigned b)
{
	uint8_t st;

	if (q->output || qdio_get_state(q, b, &st) < 0)
		return true;
	return st != SLSB_P_INPUT_PRIMED && st != SLSB_P_INPUT_ERROR;
}

bool qdio_ad_in_room(struct qdio_queue *q)
{
	uint8_t st;

	if (q->output)
		return false;
	if (q->fill.open)
		return true;
	return qdio_get_state(q, q->next, &st) == 0 && st == SLSB_CU_INPUT_EMPTY;
}

bool qdio_ad_in_taken(struct qdio_queue *q)
{
	return !q->ad_handed || qdio_ad_in_taken_buf(q, q->ad_last);
}

int qdio_ad_in_flush(struct qdio_queue *q)
{
	if (q->output)
		return -EPROTO;
	if (!q->fill.open || q->fill.pkts == 0)
		return 0;
	return in_prime(q);
}

int qdio_ad_in_put(struct qdio_queue *q, const uint8_t *hdr, uint32_t hdrlen,
		   const struct qdio_span *data, unsigned nspans)
{
	struct qdio_fill *f = &q->fill;
	uint64_t total;
	unsigned i, round;
	int rc;

	if (q->output)
		return -EPROTO;
	if (hdrlen == 0 || hdrlen > QDIO_HDR_MAX)
		return -EINVAL;
	spans_total(data, nspans, &total);
	if (total > (uint64_t)QDIO_SBALES * QDIO_PAGE) {
		count_err(q, QDIO_E_TOOBIG);
		return -EMSGSIZE;
	}
	/* At most: the open buffer, then one fresh buffer after priming it. */
	for (round = 0; round < 3; round++) {
		if (!f->open) {
			rc = in_open(q);
			if (rc < 0) {
				if (rc == -EAGAIN)
					count_err(q, QDIO_E_NOBUF);
				return rc;
			}
		}
		if (in_fits(f, hdrlen, total))
			break;
		if (f->pkts == 0) {
			count_err(q, QDIO_E_TOOBIG);
			return -EMSGSIZE;
		}
		rc = in_prime(q);
		if (rc < 0)
			return rc;
	}
	if (round == 3)
		return -EMSGSIZE;
	while (f->cap[f->elem] - f->off < hdrlen) {
		f->used[f->elem] = f->off;
		f->elem++;
		f->off = 0;
	}
	rc = in_copy(q, hdr, hdrlen);
	for (i = 0; rc == 0 && i < nspans; i++)
		rc = in_copy(q, data[i].ptr, data[i].len);
	if (rc < 0)
		return rc;
	f->pkts++;
	q->st.packets++;
	q->st.bytes += total;
	return 0;
}

/* ---- program side ------------------------------------------------------------------ */

static uint64_t pg_page(const struct qdio_queue *q, unsigned b, unsigned e)
{
	return q->pg_pages + ((uint64_t)b * q->pg_nelem + e) * QDIO_PAGE;
}

int qdio_pg_start(struct qdio_queue *q, uint64_t pages, unsigned nelem, uint8_t ac1)
{
	uint8_t init = q->output ? SLSB_P_OUTPUT_NOT_INIT : SLSB_P_INPUT_NOT_INIT;
	unsigned b;
	int rc;

	if (nelem < 1 || nelem > QDIO_SBALES)
		return -EINVAL;
	rc = gs_check_block(q->gs, pages, (uint64_t)QDIO_BUFS * nelem * QDIO_PAGE, QDIO_PAGE);
	if (rc < 0)
		return rc;
	for (b = 0; b < QDIO_BUFS; b++) {
		rc = qdio_set_state(q, b, init);
		if (rc < 0)
			return rc;
	}
	q->pg_pages = pages;
	q->pg_nelem = (uint8_t)nelem;
	q->ac1 = ac1;
	q->next = q->prod = 0;
	q->busy = q->run = 0;
	memset(&q->fill, 0, sizeof(q->fill));
	return 0;
}

int qdio_pg_in_give(struct qdio_queue *q, unsigned n, enum qdio_siga *siga)
{
	uint8_t raw[SBAL_SIZE];
	unsigned given = 0, e;
	int rc;

	*siga = QDIO_SIGA_NONE;
	if (q->output || !q->pg_nelem)
		return -EPROTO;
	while (given < n && q->busy < QDIO_BUFS) {
		unsigned b = q->prod;
		uint64_t sbal;
		uint8_t st;

		rc = qdio_get_state(q, b, &st);
		if (rc < 0)
			return rc;
		if (st != SLSB_P_INPUT_NOT_INIT && st != SLSB_P_INPUT_ACK) {
			count_err(q, QDIO_E_STATE);
			break;
		}
		rc = qdio_sbal_addr(q, b, &sbal);
		if (rc < 0) {
			count_err(q, QDIO_E_SL);
			break;
		}
		memset(raw, 0, sizeof(raw));
		for (e = 0; e < q->pg_nelem; e++) {
			struct sbale el = {
				.eflags = e + 1u == q->pg_nelem ? SBALE_EF_LAST : 0,
				.len = QDIO_PAGE,
				.addr = pg_page(q, b, e),
			};
			sbale_encode(&el, raw + SBAL_OFF_ELEM(e), SBALE_SIZE);
		}
		rc = gs_store(q->gs, sbal, raw, sizeof(raw));
		if (rc == 0)
			rc = qdio_set_state(q, b, SLSB_CU_INPUT_EMPTY);
		if (rc < 0)
			return rc;
		q->prod = qdio_next_buf(b);
		q->busy++;
		given++;
	}
	if (given && (q->ac1 & QDIO_AC1_SIGA_INPUT_NEEDED)) {
		*siga = QDIO_SIGA_R;
		q->st.signals++;
	}
	return (int)given;
}

/* Header id -> data length, as qeth's inbound parser reads it. */
static int qeth_hdr_len(const uint8_t *h, uint32_t *len)
{
	switch (h[0]) {
	case 0x01: case 0x03:	/* layer 3 (TSO): length at 0x08 */
		*len = be_get16(h + 8);
		return 0;
	case 0x02: case 0x06:	/* layer 2 (TSO): length at 0x06 */
		*len = be_get16(h + 6);
		return 0;
	default:
		return -EBADMSG;
	}
}

/* Parse one primed input buffer the way qeth does and hand each packet to `cb`. */
static void in_parse(struct qdio_queue *q, unsigned b, qdio_rx_cb cb, void *ctx)
{
	struct qdio_span spans[QDIO_SBALES];
	uint8_t raw[SBAL_SIZE];
	struct sbale el;
	uint64_t sbal;
	uint32_t off = 0;
	unsigned e = 0, iter;
	int rc;

	if (qdio_sbal_addr(q, b, &sbal) < 0 || gs_fetch(q->gs, sbal, raw, sizeof(raw)) < 0) {
		count_err(q, QDIO_E_SL);
		return;
	}
	sbale_decode(raw, SBALE_SIZE, &el);
	rc = gs_check_sbale(q->gs, el.addr, el.len);
	/* Each round consumes a header (>= 32 bytes) or moves to the next element. */
	for (iter = 0; rc == 0 && iter < QDIO_SBALES * (QDIO_PAGE / QDIO_QETH_HDR + 1); iter++) {
		const uint8_t *hdr;
		uint32_t dlen, need;
		unsigned ns = 0;

		if (off + QDIO_QETH_HDR > el.len) {
			if ((el.eflags & SBALE_EF_LAST) || e + 1 >= QDIO_SBALES)
				return;
			e++;
			off = 0;
			sbale_decode(raw + SBAL_OFF_ELEM(e), SBALE_SIZE, &el);
			rc = gs_check_sbale(q->gs, el.addr, el.len);
			continue;
		}
		hdr = gs_map(q->gs, el.addr + off, QDIO_QETH_HDR, false);
		if (!hdr || qeth_hdr_len(hdr, &dlen) < 0) {
			count_err(q, QDIO_E_HDR);	/* qeth drops the rest of the buffer */
			return;
		}
		off += QDIO_QETH_HDR;
		for (need = dlen; need;) {
			uint32_t chunk;

			if (off >= el.len) {
				if ((el.eflags & SBALE_EF_LAST) || e + 1 >= QDIO_SBALES) {
					count_err(q, QDIO_E_HDR);	/* truncated */
					return;
				}
				e++;
				off = 0;
				sbale_decode(raw + SBAL_OFF_ELEM(e), SBALE_SIZE, &el);
				rc = gs_check_sbale(q->gs, el.addr, el.len);
				if (rc < 0)
					break;
				continue;
			}
			chunk = el.len - off;
			if (chunk > need)
				chunk = need;
			spans[ns].ptr = gs_map(q->gs, el.addr + off, chunk, false);
			spans[ns].len = chunk;
			if (!spans[ns].ptr) {
				rc = -EFAULT;
				break;
			}
			ns++;
			off += chunk;
			need -= chunk;
		}
		if (rc < 0)
			break;
		if (cb)
			cb(ctx, hdr, spans, ns, dlen);
		q->st.packets++;
		q->st.bytes += dlen;
	}
	if (rc < 0)
		count_err(q, err_of_sbale(rc));
}

int qdio_pg_in_take(struct qdio_queue *q, unsigned max, qdio_rx_cb cb, void *ctx)
{
	unsigned taken = 0;
	int rc;

	if (q->output)
		return -EPROTO;
	while (taken < max && q->busy > 0) {
		unsigned b = q->next;
		uint8_t st;

		rc = qdio_get_state(q, b, &st);
		if (rc < 0)
			return rc;
		if (st == SLSB_CU_INPUT_EMPTY)
			break;
		if (st == SLSB_P_INPUT_PRIMED) {
			in_parse(q, b, cb, ctx);
		} else if (st == SLSB_P_INPUT_ERROR) {
			uint64_t sbal;

			count_err(q, QDIO_E_PEER);
			q->st.last_sf15 = 0;
			if (qdio_sbal_addr(q, b, &sbal) == 0)
				(void)gs_fetch8(q->gs, sbal + SBAL_OFF_ELEM(SBAL_STATUS_ELEM) +
						SBALE_OFF_SFLAGS, &q->st.last_sf15);
		} else {
			count_err(q, QDIO_E_STATE);
			break;
		}
		rc = qdio_set_state(q, b, SLSB_P_INPUT_NOT_INIT);
		if (rc < 0)
			return rc;
		q->next = qdio_next_buf(b);
		q->busy--;
		q->st.buffers++;
		taken++;
	}
	return (int)taken;
}

static int out_open(struct qdio_queue *q)
{
	struct qdio_fill *f = &q->fill;
	unsigned b = q->prod;
	uint64_t sbal;
	uint8_t st;
	int rc;

	if (q->busy >= QDIO_BUFS)
		return -EAGAIN;
	rc = qdio_get_state(q, b, &st);
	if (rc < 0)
		return rc;
	if (st != SLSB_P_OUTPUT_NOT_INIT && st != SLSB_P_OUTPUT_EMPTY &&
	    st != SLSB_P_OUTPUT_ERROR) {
		count_err(q, QDIO_E_STATE);
		return -EAGAIN;
	}
	rc = qdio_sbal_addr(q, b, &sbal);
	if (rc < 0) {
		count_err(q, QDIO_E_SL);
		return rc;
	}
	memset(f, 0, sizeof(*f));
	f->open = true;
	f->bufnr = (uint8_t)b;
	f->sbal = sbal;
	f->nelem = q->pg_nelem;
	return 0;
}

/* Write the SBAL of the open output buffer and queue it for priming. */
static int out_close(struct qdio_queue *q)
{
	struct qdio_fill *f = &q->fill;
	uint8_t raw[SBAL_SIZE];
	unsigned e;
	int rc;

	memset(raw, 0, sizeof(raw));
	for (e = 0; e < f->elem; e++) {
		struct sbale el = {
			.eflags = (uint8_t)(f->frag[e] | (e + 1u == f->elem ? SBALE_EF_LAST : 0)),
			.sflags = e == 0 && q->pci_req ? SBALE_SF0_PCI_REQ : 0,
			.len = f->used[e],
			.addr = pg_page(q, f->bufnr, e),
		};
		sbale_encode(&el, raw + SBAL_OFF_ELEM(e), SBALE_SIZE);
	}
	rc = gs_store(q->gs, f->sbal, raw, sizeof(raw));
	if (rc < 0)
		return rc;
	f->open = false;
	q->prod = qdio_next_buf(f->bufnr);
	q->busy++;
	q->run++;
	return 0;
}

int qdio_pg_out_put(struct qdio_queue *q, const uint8_t *hdr, uint32_t hdrlen,
		    const struct qdio_span *data, unsigned nspans)
{
	struct qdio_fill *f = &q->fill;
	uint64_t total, need;
	unsigned i, round, k;
	uint32_t off;
	int rc;

	if (!q->output || !q->pg_nelem)
		return -EPROTO;
	if (hdrlen == 0 || hdrlen > QDIO_HDR_MAX)
		return -EINVAL;
	spans_total(data, nspans, &total);
	total += hdrlen;
	need = (total + QDIO_PAGE - 1) / QDIO_PAGE;
	if (need > q->pg_nelem) {
		count_err(q, QDIO_E_TOOBIG);
		return -EMSGSIZE;
	}
	for (round = 0; round < 2; round++) {
		if (!f->open) {
			rc = out_open(q);
			if (rc < 0) {
				if (rc == -EAGAIN)
					count_err(q, QDIO_E_NOBUF);
				return rc;
			}
		}
		if (f->elem + need <= f->nelem)
			break;
		rc = out_close(q);	/* has packets: an empty buffer always fits */
		if (rc < 0)
			return rc;
	}
	/* Header and data back to back over whole pages, one element per page. */
	for (k = 0; k < need; k++) {
		unsigned e = f->elem + k;

		f->used[e] = 0;
		f->frag[e] = need == 1 ? SBALE_FRAG_NONE :
			     k == 0 ? SBALE_FRAG_FIRST :
			     k + 1 == need ? SBALE_FRAG_LAST : SBALE_FRAG_MIDDLE;
	}
	{
		uint64_t pos = 0;
		const uint8_t *src = hdr;
		uint32_t left = hdrlen;

		i = 0;
		for (;;) {
			while (left) {
				unsigned e = f->elem + (unsigned)(pos / QDIO_PAGE);
				uint32_t chunk;
				uint8_t *dst;

				off = (uint32_t)(pos % QDIO_PAGE);
				chunk = QDIO_PAGE - off;
				if (chunk > left)
					chunk = left;
				dst = gs_map(q->gs, pg_page(q, f->bufnr, e) + off, chunk, true);
				if (!dst)
					return -EFAULT;
				memcpy(dst, src, chunk);
				f->used[e] = off + chunk;
				pos += chunk;
				src += chunk;
				left -= chunk;
			}
			if (i >= nspans)
				break;
			src = data[i].ptr;
			left = data[i].len;
			i++;
		}
	}
	f->elem = (uint8_t)(f->elem + need);
	f->pkts++;
	q->st.packets++;
	q->st.bytes += total - hdrlen;
	return 0;
}

int qdio_pg_out_flush(struct qdio_queue *q, enum qdio_siga *siga)
{
	unsigned first, k, run;
	uint8_t prev;
	int rc;

	*siga = QDIO_SIGA_NONE;
	if (!q->output)
		return -EPROTO;
	if (q->fill.open && q->fill.pkts) {
		rc = out_close(q);
		if (rc < 0)
			return rc;
	}
	run = q->run;
	if (run == 0)
		return 0;
	first = (q->prod + QDIO_BUFS - run) % QDIO_BUFS;
	for (k = 0; k < run; k++) {
		rc = qdio_set_state(q, first + k, SLSB_CU_OUTPUT_PRIMED);
		if (rc < 0)
			return rc;
	}
	q->run = 0;
	q->st.buffers += run;
	/* Pairs with the fence in qdio_ad_out_scan (store->load handshake). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rc = qdio_get_state(q, first + QDIO_BUFS - 1, &prev);
	if (rc < 0)
		return rc;
	if (q->ac1 & QDIO_AC1_SIGA_SYNC_NEEDED)
		*siga = QDIO_SIGA_S;
	else if (run < QDIO_BUFS && prev == SLSB_CU_OUTPUT_PRIMED)
		*siga = QDIO_SIGA_NONE;	/* fast requeue: the adapter is still busy */
	else if (q->ac1 & QDIO_AC1_SIGA_OUTPUT_NEEDED)
		*siga = QDIO_SIGA_W;
	if (*siga != QDIO_SIGA_NONE)
		q->st.signals++;
	return (int)run;
}

int qdio_pg_out_reap(struct qdio_queue *q, unsigned max)
{
	unsigned n = 0;
	int rc;

	if (!q->output)
		return -EPROTO;
	while (n < max && q->busy > q->run) {
		unsigned b = q->next;
		uint8_t st;

		rc = qdio_get_state(q, b, &st);
		if (rc < 0)
			return rc;
		if (st == SLSB_CU_OUTPUT_PRIMED)
			break;
		if (st == SLSB_P_OUTPUT_ERROR) {
			uint64_t sbal;

			count_err(q, QDIO_E_PEER);
			q->st.last_sf15 = 0;
			if (qdio_sbal_addr(q, b, &sbal) == 0)
				(void)gs_fetch8(q->gs, sbal + SBAL_OFF_ELEM(SBAL_STATUS_ELEM) +
						SBALE_OFF_SFLAGS, &q->st.last_sf15);
		} else if (st != SLSB_P_OUTPUT_EMPTY) {
			count_err(q, QDIO_E_STATE);
			break;
		}
		q->next = qdio_next_buf(b);
		q->busy--;
		n++;
	}
	return (int)n;
}

/* ---- program side: building the blocks --------------------------------------------- */

#define PG_QUEUE_PAGES(nelem) (1u + 1u + SBAL_SIZE * QDIO_BUFS / QDIO_PAGE + QDIO_BUFS * (nelem))

static bool pg_cfg_ok(const struct qdio_pg_cfg *cfg)
{
	return cfg->nin >= 1 && cfg->nin <= QDIO_QUEUES_MAX &&
	       cfg->nout >= 1 && cfg->nout <= QDIO_QUEUES_MAX &&
	       cfg->nelem >= 1 && cfg->nelem <= QDIO_SBALES;
}

uint64_t qdio_pg_size(const struct qdio_pg_cfg *cfg)
{
	if (!pg_cfg_ok(cfg))
		return 0;
	return (uint64_t)QDIO_PAGE *
	       (2 + (uint64_t)(cfg->nin + cfg->nout) * PG_QUEUE_PAGES(cfg->nelem));
}

int qdio_pg_build(struct gstor *gs, uint64_t base, const struct qdio_pg_cfg *cfg,
		  struct qdio_pg_layout *out)
{
	uint8_t blk[QDR_SIZE];
	uint64_t sbals[QDIO_BUFS];
	struct qdr qdr;
	struct qib qib;
	uint64_t size = qdio_pg_size(cfg), at;
	unsigned nq, i, b;
	int rc;

	if (!size)
		return -EINVAL;
	rc = gs_check_block(gs, base, size, QDIO_PAGE);
	if (rc < 0)
		return rc;
	/* The control blocks start zeroed; the data pages are left as they are (their
	 * content is the program's, written before a buffer is handed over), so that a
	 * driver's buffer pool costs storage only as far as traffic touches it. */
	rc = gs_zero(gs, base, 2 * QDIO_PAGE);
	for (i = 0; rc == 0 && i < cfg->nin + cfg->nout; i++)
		rc = gs_zero(gs, base + 2 * QDIO_PAGE + (uint64_t)i * QDIO_PAGE * PG_QUEUE_PAGES(cfg->nelem),
			     QDIO_PAGE * (2 + SBAL_SIZE * QDIO_BUFS / QDIO_PAGE));
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	memset(&qdr, 0, sizeof(qdr));
	memset(&qib, 0, sizeof(qib));
	out->qdr = base;
	qdr.qfmt = cfg->qfmt;
	qdr.iqdcnt = cfg->nin;
	qdr.oqdcnt = cfg->nout;
	qdr.qiba = base + QDIO_PAGE;
	at = base + 2 * QDIO_PAGE;
	nq = cfg->nin + cfg->nout;
	for (i = 0; i < nq; i++) {
		bool output = i >= cfg->nin;
		unsigned nr = output ? i - cfg->nin : i;
		unsigned last = output ? cfg->nout : cfg->nin;
		struct qdesfmt0 *d = output ? &qdr.out[nr] : &qdr.in[nr];
		struct slib slib;
		uint64_t sbal0 = at + 2 * QDIO_PAGE;

		d->slib = at;
		d->sl = at + SLIB_SIZE;
		d->slsb = at + QDIO_PAGE;
		for (b = 0; b < QDIO_BUFS; b++)
			sbals[b] = sbal0 + (uint64_t)b * SBAL_SIZE;
		slib.sl = d->sl;
		slib.slsb = d->slsb;
		/* Same-direction queues are chained through their SLIBs. */
		slib.next = nr + 1 < last ? at + QDIO_PAGE * PG_QUEUE_PAGES(cfg->nelem) : 0;
		slib_encode(&slib, blk, sizeof(blk));
		sl_encode(sbals, blk + SLIB_SIZE, sizeof(blk) - SLIB_SIZE);
		rc = gs_store(gs, at, blk, SLIB_SIZE + SL_SIZE);
		if (rc < 0)
			return rc;
		if (output)
			out->out_pages[nr] = sbal0 + SBAL_SIZE * QDIO_BUFS;
		else
			out->in_pages[nr] = sbal0 + SBAL_SIZE * QDIO_BUFS;
		if (nr == 0) {
			if (output)
				qib.osliba = at;
			else
				qib.isliba = at;
		}
		at += QDIO_PAGE * PG_QUEUE_PAGES(cfg->nelem);
	}
	out->end = at;
	qib.qfmt = cfg->qfmt;
	memcpy(qib.ebcnam, cfg->ebcnam, sizeof(qib.ebcnam));
	qib_encode(&qib, blk, sizeof(blk));
	rc = gs_store(gs, qdr.qiba, blk, QIB_SIZE);
	if (rc < 0)
		return rc;
	rc = qdr_encode(&qdr, blk, sizeof(blk));
	if (rc < 0)
		return rc;
	return gs_store(gs, base, blk, QDR_SIZE);
}
