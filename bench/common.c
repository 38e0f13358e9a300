/* bench/common.c - timing, interleaved measurement, the memcpy baseline and the QDIO
 * loopback (adapter and program side of the queue engine on one storage). */
#include "bench/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qdio/blocks.h"
#include "qeth/qhdr.h"

#define SLICES 10

/* ---- allocation counter: the benchmark binaries interpose the allocator (glibc's
 * own entry points do the work) and count calls. ---------------------------------- */

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);

static uint64_t n_allocs;

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);

void *malloc(size_t n)
{
	__atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	__atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	__atomic_add_fetch(&n_allocs, 1, __ATOMIC_RELAXED);
	return __libc_realloc(p, n);
}

uint64_t bench_allocs(void)
{
	return __atomic_load_n(&n_allocs, __ATOMIC_RELAXED);
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double bench_secs(double dflt)
{
	const char *e = getenv("CPNET_BENCH_SECS");
	double v = e ? atof(e) : 0;

	return v > 0 ? v : dflt;
}

int bench_measure(struct bench_run *r, unsigned n, double secs)
{
	double slice = secs / (SLICES * (double)n);

	for (unsigned i = 0; i < n; i++) {
		r[i].units = 0;
		r[i].secs = 0;
		/* Warm up: caches, and the first touch of every buffer page (QDIO data pages
		 * are not pre-faulted, as in a real guest): two laps of a 128-buffer ring
		 * even at one buffer per run. */
		for (unsigned w = 0; w < 2 * QDIO_BUFS; w++)
			if (!r[i].run(r[i].ctx))
				return -1;
	}
	for (unsigned s = 0; s < SLICES; s++) {
		for (unsigned i = 0; i < n; i++) {
			double t0 = bench_now(), t;

			do {
				uint64_t u = r[i].run(r[i].ctx);

				if (!u)
					return -1;
				r[i].units += u;
				t = bench_now();
			} while (t - t0 < slice);
			r[i].secs += t - t0;
		}
	}
	for (unsigned i = 0; i < n; i++)
		r[i].rate = r[i].units / r[i].secs;
	return 0;
}

void bench_report(const char *name, const struct bench_run *r, const struct bench_run *base,
		  const char *note)
{
	printf("%s: %.3f Mpps, ratio %.2f vs %s%s%s\n", name, r->rate / 1e6,
	       r->rate / base->rate, base->name, note ? " " : "", note ? note : "");
}

/* ---- memcpy baseline ------------------------------------------------------------- */

#define SLOT 4096u

int memcpy_base_init(struct memcpy_base *m, uint32_t len, unsigned batch, unsigned copies)
{
	memset(m, 0, sizeof(*m));
	m->len = len;
	m->batch = batch;
	m->copies = copies;
	m->src = malloc(len);
	m->slots = aligned_alloc(SLOT, (size_t)batch * SLOT);
	m->packed = aligned_alloc(SLOT, ((size_t)batch * (len + 32) + SLOT) / SLOT * SLOT);
	if (!m->src || !m->slots || !m->packed) {
		memcpy_base_free(m);
		return -ENOMEM;
	}
	memset(m->src, 0x5A, len);
	memset(m->slots, 0, (size_t)batch * SLOT);
	memset(m->packed, 0, ((size_t)batch * (len + 32) + SLOT) / SLOT * SLOT);
	return 0;
}

void memcpy_base_free(struct memcpy_base *m)
{
	free(m->src);
	free(m->slots);
	free(m->packed);
	memset(m, 0, sizeof(*m));
}

uint64_t memcpy_base_run(void *ctx)
{
	struct memcpy_base *m = ctx;

	for (unsigned i = 0; i < m->batch; i++) {
		uint8_t *slot = m->slots + (size_t)i * SLOT;
		uint8_t *pk = m->packed + (size_t)i * (m->len + 32);

		/* Copy 1: into a page of its own (the output SBAL element). */
		memcpy(slot, m->src, m->len);
		BENCH_USE(slot);
		/* Copy 2: packed behind a header gap (the input SBAL). */
		if (m->copies >= 2) {
			memcpy(pk, slot, m->len);
			BENCH_USE(pk);
		}
		/* Copy 3: out to a receive buffer (the guest driver's one copy). */
		if (m->copies >= 3) {
			memcpy(slot, pk, m->len);
			BENCH_USE(slot);
		}
	}
	return m->batch;
}

/* ---- QDIO loopback ---------------------------------------------------------------- */

#define QL_BASE 0x10000u

int qloop_init(struct qloop *l, uint32_t len, unsigned batch)
{
	struct qdio_pg_cfg cfg;
	struct qdio_pg_layout lay;
	struct qdr qdr;
	struct qhdr h;
	enum qdio_siga sg;
	int rc;

	memset(l, 0, sizeof(*l));
	memset(&cfg, 0, sizeof(cfg));
	cfg.qfmt = QDIO_QFMT_QETH;
	cfg.nin = 1;
	cfg.nout = 1;
	cfg.nelem = QDIO_SBALES;
	rc = gs_plain_init(&l->gs, QL_BASE + qdio_pg_size(&cfg));
	if (rc < 0)
		return rc;
	l->frame = malloc(len);
	if (!l->frame) {
		rc = -ENOMEM;
		goto free_gs;
	}
	memset(l->frame, 0xA5, len);
	l->len = len;
	l->batch = batch;
	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2;
	h.l2.flags2 = QHDR_L2_UCAST;
	h.l2.pkt_len = (uint16_t)len;
	qhdr_encode(&h, l->hdr, sizeof(l->hdr));

	rc = qdio_pg_build(&l->gs, QL_BASE, &cfg, &lay);
	if (rc == 0)
		rc = qdr_fetch(&l->gs, lay.qdr, &qdr);
	if (rc == 0)
		rc = qdio_queue_init(&l->pg_out, &l->gs, &qdr, true, 0);
	if (rc == 0)
		rc = qdio_queue_init(&l->pg_in, &l->gs, &qdr, false, 0);
	if (rc == 0)
		rc = qdio_queue_init(&l->ad_out, &l->gs, &qdr, true, 0);
	if (rc == 0)
		rc = qdio_queue_init(&l->ad_in, &l->gs, &qdr, false, 0);
	if (rc == 0)
		rc = qdio_pg_start(&l->pg_out, lay.out_pages[0], QDIO_SBALES, 0);
	if (rc == 0)
		rc = qdio_pg_start(&l->pg_in, lay.in_pages[0], QDIO_SBALES, 0);
	if (rc < 0)
		goto free_frame;
	qdio_ad_start(&l->ad_out);
	qdio_ad_start(&l->ad_in);
	rc = qdio_pg_in_give(&l->pg_in, QDIO_BUFS, &sg);
	if (rc != QDIO_BUFS) {
		rc = rc < 0 ? rc : -EIO;
		goto free_frame;
	}
	return 0;

free_frame:
	free(l->frame);
free_gs:
	gs_plain_free(&l->gs);
	return rc;
}

void qloop_free(struct qloop *l)
{
	free(l->frame);
	gs_plain_free(&l->gs);
}

/* Adapter side: each outbound packet goes to the input queue with its own header,
 * the payload taken in place from the output pages (the vnic's copy-once). */
static int loop_sbal(void *ctx, struct qdio_queue *q, const struct qdio_sbal_view *v)
{
	struct qloop *l = ctx;

	(void)q;
	for (unsigned p = 0; p < v->npkts; p++) {
		const struct qdio_pkt *pk = &v->pkt[p];
		const struct qdio_span *in = &v->span[pk->span];
		struct qdio_span sp[QDIO_SBALES];
		uint8_t hb[QHDR_SIZE];
		unsigned ns = 0;
		uint32_t skip = QHDR_SIZE;

		if (qdio_spans_copy(in, pk->nspans, 0, hb, sizeof(hb)) != sizeof(hb)) {
			l->bad++;
			continue;
		}
		for (unsigned s = 0; s < pk->nspans; s++) {
			if (skip >= in[s].len) {
				skip -= in[s].len;
				continue;
			}
			sp[ns].ptr = in[s].ptr + skip;
			sp[ns].len = in[s].len - skip;
			skip = 0;
			ns++;
		}
		if (qdio_ad_in_put(&l->ad_in, hb, sizeof(hb), sp, ns) < 0)
			l->bad++;
	}
	return 0;
}

static void loop_rx(void *ctx, const uint8_t *hdr, const struct qdio_span *data,
		    unsigned nspans, uint32_t len)
{
	struct qloop *l = ctx;

	(void)hdr;
	(void)data;
	(void)nspans;
	l->rx++;
	l->rx_bytes += len;
}

uint64_t qloop_run(void *ctx)
{
	struct qloop *l = ctx;
	struct qdio_span sp = { l->frame, l->len };
	struct qdio_scan res;
	enum qdio_siga sg;
	uint64_t rx0 = l->rx;
	int n;

	/* Program side: a batch of frames into the output queue, primed at once. */
	for (unsigned i = 0; i < l->batch; i++) {
		int rc = qdio_pg_out_put(&l->pg_out, l->hdr, sizeof(l->hdr), &sp, 1);

		if (rc == -EAGAIN) {
			qdio_pg_out_reap(&l->pg_out, QDIO_BUFS);
			rc = qdio_pg_out_put(&l->pg_out, l->hdr, sizeof(l->hdr), &sp, 1);
		}
		if (rc < 0)
			return 0;
		l->tx++;
	}
	if (qdio_pg_out_flush(&l->pg_out, &sg) < 0)
		return 0;
	/* Adapter side: scan the primed buffers, pack into input, prime it. */
	do {
		if (qdio_ad_out_scan(&l->ad_out, QDIO_BUFS, loop_sbal, l, &res) < 0)
			return 0;
	} while (res.more);
	if (qdio_ad_in_flush(&l->ad_in) < 0)
		return 0;
	(void)qdio_ad_take_irq(&l->ad_in);
	(void)qdio_ad_take_irq(&l->ad_out);
	/* Program side: take the input, give it back, reap the output. */
	n = qdio_pg_in_take(&l->pg_in, QDIO_BUFS, loop_rx, l);
	if (n < 0)
		return 0;
	if (n > 0 && qdio_pg_in_give(&l->pg_in, (unsigned)n, &sg) != n)
		return 0;
	qdio_pg_out_reap(&l->pg_out, QDIO_BUFS);
	/* Every frame sent must have arrived: a lossy path is no benchmark. */
	if (l->bad || l->rx - rx0 != l->batch)
		return 0;
	return l->batch;
}
