/* tests/unit/test_qdio_queue.c - the QDIO queue engine: a program side and an adapter
 * side exchanging frames over one simulated guest storage, plus every kind of bad SBAL. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"
#include "lib/gstor.h"
#include "qdio/blocks.h"
#include "qdio/queue.h"
#include "tests/tcheck.h"

#define AC1_ALL (QDIO_AC1_SIGA_INPUT_NEEDED | QDIO_AC1_SIGA_OUTPUT_NEEDED)
#define RIG_BASE 0x10000ull

/* One guest storage; the program side (pin/pout) and the adapter side (ain/aout)
 * each have their own queue structs established from the same QDR. */
struct rig {
	struct gstor gs;
	struct qdio_pg_layout lay;
	struct qdr qdr;
	struct qdio_queue pin, pout, ain, aout;
};

static int rig_init(struct rig *r, unsigned nelem)
{
	struct qdio_pg_cfg cfg = { .qfmt = 0, .nin = 1, .nout = 1, .nelem = (uint8_t)nelem };
	int rc;

	memset(r, 0, sizeof(*r));
	rc = gs_plain_init(&r->gs, RIG_BASE + qdio_pg_size(&cfg) + 0x10000);
	if (rc == 0)
		rc = qdio_pg_build(&r->gs, RIG_BASE, &cfg, &r->lay);
	if (rc == 0)
		rc = qdr_fetch(&r->gs, r->lay.qdr, &r->qdr);	/* the adapter's Establish */
	if (rc == 0)
		rc = qdio_queue_init(&r->pin, &r->gs, &r->qdr, false, 0);
	if (rc == 0)
		rc = qdio_queue_init(&r->pout, &r->gs, &r->qdr, true, 0);
	if (rc == 0)
		rc = qdio_queue_init(&r->ain, &r->gs, &r->qdr, false, 0);
	if (rc == 0)
		rc = qdio_queue_init(&r->aout, &r->gs, &r->qdr, true, 0);
	if (rc == 0)
		rc = qdio_pg_start(&r->pin, r->lay.in_pages[0], nelem, AC1_ALL);
	if (rc == 0)
		rc = qdio_pg_start(&r->pout, r->lay.out_pages[0], nelem, AC1_ALL);
	qdio_ad_start(&r->ain);
	qdio_ad_start(&r->aout);
	return rc;
}

static void rig_free(struct rig *r)
{
	gs_plain_free(&r->gs);
}

static uint8_t state(struct qdio_queue *q, unsigned b)
{
	uint8_t s = 0;

	qdio_get_state(q, b, &s);
	return s;
}

static uint64_t sbal_of(struct qdio_queue *q, unsigned b)
{
	uint64_t a = 0;

	qdio_sbal_addr(q, b, &a);
	return a;
}

static void put_sbale(struct gstor *gs, uint64_t sbal, unsigned e, uint8_t eflags,
		      uint32_t len, uint64_t addr)
{
	uint8_t raw[SBALE_SIZE];
	struct sbale el = { .eflags = eflags, .len = len, .addr = addr };

	sbale_encode(&el, raw, sizeof(raw));
	gs_store(gs, sbal + SBAL_OFF_ELEM(e), raw, sizeof(raw));
}

static struct sbale get_sbale(struct gstor *gs, uint64_t sbal, unsigned e)
{
	uint8_t raw[SBALE_SIZE];
	struct sbale el;

	memset(&el, 0, sizeof(el));
	if (gs_fetch(gs, sbal + SBAL_OFF_ELEM(e), raw, sizeof(raw)) == 0)
		sbale_decode(raw, sizeof(raw), &el);
	return el;
}

/* ---- frames ------------------------------------------------------------------------ */

static uint64_t fnv(const uint8_t *p, uint32_t n, uint64_t h)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static void fill_frame(uint8_t *buf, uint32_t len, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i * 7 + (i >> 8));
	if (len >= 4)
		be_put32(buf, seq);
}

static void l2_hdr(uint8_t *h, uint32_t len)
{
	memset(h, 0, 32);
	h[0] = 0x02;
	h[3] = 0x04;	/* unicast */
	be_put16(h + 6, (uint16_t)len);
}

static uint64_t frame_hash(uint32_t len, uint32_t seq)
{
	static uint8_t buf[65536];

	fill_frame(buf, len, seq);
	return fnv(buf, len, 0xcbf29ce484222325ull);
}

#define SINK_MAX 512
struct sink {
	unsigned bufs, pkts;
	uint32_t len[SINK_MAX];
	uint64_t hash[SINK_MAX];
	uint8_t nspans[SINK_MAX];
	uint8_t hdrbad;
	int ret;		/* what the output callback returns */
	int stop_on_buf;	/* -1: never */
	/* fast requeue: the program primes more while the adapter is scanning */
	struct qdio_queue *prog;
	int requeue_on_buf;
	unsigned requeue_n;
	enum qdio_siga requeue_siga;
	int requeue_primed;
};

static void sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->stop_on_buf = -1;
	s->requeue_on_buf = -1;
}

static int send_one(struct qdio_queue *q, uint32_t len, uint32_t seq)
{
	static uint8_t buf[65536];
	uint8_t h[32];
	struct qdio_span sp;

	fill_frame(buf, len, seq);
	l2_hdr(h, len);
	sp.ptr = buf;
	sp.len = len;
	return qdio_pg_out_put(q, h, 32, &sp, 1);
}

static int recv_one(struct qdio_queue *q, uint32_t len, uint32_t seq)
{
	static uint8_t buf[65536];
	uint8_t h[32];
	struct qdio_span sp[2];

	fill_frame(buf, len, seq);
	l2_hdr(h, len);
	/* Two spans, as a frame taken from another guest's multi-element SBAL. */
	sp[0].ptr = buf;
	sp[0].len = len / 3;
	sp[1].ptr = buf + len / 3;
	sp[1].len = len - len / 3;
	return qdio_ad_in_put(q, h, 32, sp, 2);
}

static int out_cb(void *ctx, struct qdio_queue *q, const struct qdio_sbal_view *v)
{
	static uint8_t tmp[65536 + 64];
	struct sink *s = ctx;
	unsigned i;

	(void)q;
	if (s->stop_on_buf == v->bufnr)
		return QDIO_CB_STOP;
	if (s->requeue_on_buf == v->bufnr) {
		for (i = 0; i < s->requeue_n; i++)
			send_one(s->prog, 3000, 1000 + i);
		s->requeue_primed = qdio_pg_out_flush(s->prog, &s->requeue_siga);
		s->requeue_on_buf = -1;
	}
	s->bufs++;
	for (i = 0; i < v->npkts && s->pkts < SINK_MAX; i++) {
		const struct qdio_pkt *p = &v->pkt[i];
		uint32_t n = qdio_spans_copy(&v->span[p->span], p->nspans, 0, tmp, p->len);

		if (n != p->len || n < 32 || tmp[0] != 0x02 || be_get16(tmp + 6) != n - 32)
			s->hdrbad++;
		s->len[s->pkts] = n - 32;
		s->hash[s->pkts] = fnv(tmp + 32, n - 32, 0xcbf29ce484222325ull);
		s->nspans[s->pkts] = p->nspans;
		s->pkts++;
	}
	return s->ret;
}

static void rx_cb(void *ctx, const uint8_t *hdr, const struct qdio_span *data,
		  unsigned nspans, uint32_t len)
{
	struct sink *s = ctx;
	uint64_t h = 0xcbf29ce484222325ull;
	uint32_t got = 0;
	unsigned i;

	if (s->pkts >= SINK_MAX)
		return;
	for (i = 0; i < nspans; i++) {
		h = fnv(data[i].ptr, data[i].len, h);
		got += data[i].len;
	}
	if (hdr[0] != 0x02 || be_get16(hdr + 6) != len || got != len)
		s->hdrbad++;
	s->len[s->pkts] = len;
	s->hash[s->pkts] = h;
	s->nspans[s->pkts] = (uint8_t)nspans;
	s->pkts++;
}

/* ---- happy paths ---------------------------------------------------------------------- */

TEST(qdio_queue_pg_start_sets_not_init_states)
{
	struct rig r;
	unsigned b, bad = 0;

	REQUIRE(rig_init(&r, 2) == 0);
	for (b = 0; b < QDIO_BUFS; b++)
		bad += state(&r.pin, b) != 0x80 || state(&r.pout, b) != 0xA0;
	CHECK_EQ(bad, 0);
	CHECK_EQ(r.qdr.iqdcnt, 1);
	CHECK_EQ(r.qdr.oqdcnt, 1);
	rig_free(&r);
}

TEST(qdio_queue_output_frame_reaches_adapter)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 4) == 0);
	sink_init(&s);
	CHECK_EQ(send_one(&r.pout, 60, 7), 0);
	CHECK_EQ(state(&r.pout, 0), 0xA0);	/* filled, not primed before flush */
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	CHECK_EQ(siga, QDIO_SIGA_W);
	CHECK_EQ(state(&r.pout, 0), 0x62);
	CHECK_EQ(state(&r.pout, 1), 0xA0);
	CHECK_EQ(get_sbale(&r.gs, sbal_of(&r.pout, 0), 0).eflags, SBALE_EF_LAST);
	CHECK_EQ(get_sbale(&r.gs, sbal_of(&r.pout, 0), 0).len, 92);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 16, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 1);
	CHECK_EQ(res.errors, 0);
	CHECK(!res.more);
	CHECK(!res.pci);
	CHECK_EQ(s.pkts, 1);
	CHECK_EQ(s.hdrbad, 0);
	CHECK_EQ(s.len[0], 60);
	CHECK_EQ(s.hash[0], frame_hash(60, 7));
	CHECK_EQ(state(&r.pout, 0), 0xA1);
	CHECK_EQ(r.aout.st.packets, 1);
	CHECK_EQ(r.aout.st.bytes, 92);
	CHECK_EQ(qdio_pg_out_reap(&r.pout, 128), 1);
	CHECK_EQ(qdio_pg_out_reap(&r.pout, 128), 0);
	/* Nothing primed: a second scan finds nothing. */
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 16, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 0);
	rig_free(&r);
}

TEST(qdio_queue_input_frame_reaches_program)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 4) == 0);
	sink_init(&s);
	CHECK_EQ(qdio_pg_in_give(&r.pin, 64, &siga), 64);
	CHECK_EQ(siga, QDIO_SIGA_R);
	CHECK_EQ(state(&r.pin, 0), 0x41);
	CHECK_EQ(state(&r.pin, 63), 0x41);
	CHECK_EQ(state(&r.pin, 64), 0x80);
	CHECK_EQ(recv_one(&r.ain, 1500, 3), 0);
	CHECK_EQ(recv_one(&r.ain, 60, 4), 0);
	CHECK_EQ(state(&r.pin, 0), 0x41);	/* not primed before the flush */
	CHECK(!qdio_ad_take_irq(&r.ain));
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 0);
	CHECK(qdio_ad_take_irq(&r.ain));
	CHECK(!qdio_ad_take_irq(&r.ain));
	CHECK_EQ(state(&r.pin, 0), 0x82);
	CHECK_EQ(state(&r.pin, 1), 0x41);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 128, rx_cb, &s), 1);
	CHECK_EQ(s.pkts, 2);
	CHECK_EQ(s.hdrbad, 0);
	CHECK_EQ(s.hash[0], frame_hash(1500, 3));
	CHECK_EQ(s.hash[1], frame_hash(60, 4));
	CHECK_EQ(state(&r.pin, 0), 0x80);
	CHECK_EQ(r.ain.st.packets, 2);
	CHECK_EQ(r.ain.st.buffers, 1);
	rig_free(&r);
}

TEST(qdio_queue_output_wraps_past_127)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;
	unsigned round, k, seq = 0, bad = 0;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	/* Batches of 3 buffers (one 3000-byte frame per 4K SBAL): 43 * 3 crosses 127 -> 0. */
	for (round = 0; round < 100; round++) {
		for (k = 0; k < 3; k++)
			bad += send_one(&r.pout, 3000, seq++) != 0;
		bad += qdio_pg_out_flush(&r.pout, &siga) != 3;
		bad += siga != QDIO_SIGA_W;
		bad += qdio_ad_out_scan(&r.aout, 128, out_cb, &s, &res) != 0;
		bad += res.buffers != 3;
		bad += qdio_pg_out_reap(&r.pout, 128) != 3;
		if (s.pkts > SINK_MAX - 4) {
			for (k = 0; k < s.pkts; k++)
				bad += s.hash[k] != frame_hash(3000, seq - s.pkts + k);
			s.pkts = 0;
		}
	}
	for (k = 0; k < s.pkts; k++)
		bad += s.hash[k] != frame_hash(3000, seq - s.pkts + k);
	CHECK_EQ(bad, 0);
	CHECK_EQ(s.hdrbad, 0);
	CHECK_EQ(r.aout.next, 300 % 128);
	CHECK_EQ(r.pout.next, 300 % 128);
	CHECK_EQ(r.aout.st.buffers, 300);
	CHECK_EQ(state(&r.pout, 127), 0xA1);
	rig_free(&r);
}

TEST(qdio_queue_input_wraps_past_127)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;
	unsigned round, k, seq = 0, bad = 0, taken;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 64, &siga) == 64);
	for (round = 0; round < 100; round++) {
		/* Three 3000-byte frames: each needs its own 4K SBAL, so the engine
		 * primes a full buffer by itself before opening the next. */
		for (k = 0; k < 3; k++)
			bad += recv_one(&r.ain, 3000, seq++) != 0;
		bad += qdio_ad_in_flush(&r.ain) != 1;
		taken = (unsigned)qdio_pg_in_take(&r.pin, 128, rx_cb, &s);
		bad += taken != 3;
		bad += qdio_pg_in_give(&r.pin, taken, &siga) != (int)taken;
		for (k = 0; k < s.pkts; k++)
			bad += s.hash[k] != frame_hash(3000, seq - s.pkts + k);
		s.pkts = 0;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(s.hdrbad, 0);
	CHECK_EQ(r.ain.next, 300 % 128);
	CHECK_EQ(r.pin.next, 300 % 128);
	CHECK_EQ(r.pin.busy, 64);
	CHECK_EQ(r.ain.st.err[QDIO_E_NOBUF], 0);
	rig_free(&r);
}

TEST(qdio_queue_partial_batches_with_max)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;
	unsigned k;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	for (k = 0; k < 10; k++)
		REQUIRE(send_one(&r.pout, 2000, k) == 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 10);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 4, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 4);
	CHECK(res.more);
	CHECK_EQ(state(&r.pout, 3), 0xA1);
	CHECK_EQ(state(&r.pout, 4), 0x62);
	CHECK_EQ(qdio_pg_out_reap(&r.pout, 2), 2);	/* partial reap too */
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 4, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 4);
	CHECK(res.more);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 4, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 2);
	CHECK(!res.more);
	CHECK_EQ(qdio_pg_out_reap(&r.pout, 128), 8);
	CHECK_EQ(s.pkts, 10);
	CHECK_EQ(s.hash[9], frame_hash(2000, 9));
	rig_free(&r);
}

TEST(qdio_queue_fast_requeue_is_picked_up_without_siga)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;
	unsigned k;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	for (k = 0; k < 3; k++)
		REQUIRE(send_one(&r.pout, 3000, k) == 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 3);
	CHECK_EQ(siga, QDIO_SIGA_W);
	/* While the adapter works on buffer 1, the program primes buffers 3 and 4:
	 * buffer 2 is still 0x62, so the program does not signal... */
	s.prog = &r.pout;
	s.requeue_on_buf = 1;
	s.requeue_n = 2;
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 128, out_cb, &s, &res), 0);
	CHECK_EQ(s.requeue_primed, 2);
	CHECK_EQ(s.requeue_siga, QDIO_SIGA_NONE);
	/* ...and the adapter, scanning on until a non-primed buffer, sends them. */
	CHECK_EQ(res.buffers, 5);
	CHECK_EQ(s.pkts, 5);
	CHECK_EQ(s.hash[4], frame_hash(3000, 1001));
	CHECK_EQ(state(&r.pout, 4), 0xA1);
	CHECK_EQ(r.pout.st.signals, 1);
	/* Once the adapter is idle, a new run needs a SIGA again. */
	CHECK_EQ(send_one(&r.pout, 100, 9), 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	CHECK_EQ(siga, QDIO_SIGA_W);
	rig_free(&r);
}

TEST(qdio_queue_siga_follows_device_characteristics)
{
	struct rig r;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 1) == 0);
	r.pout.ac1 = 0;
	CHECK_EQ(send_one(&r.pout, 100, 1), 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	CHECK_EQ(siga, QDIO_SIGA_NONE);
	r.pout.ac1 = QDIO_AC1_SIGA_SYNC_NEEDED | QDIO_AC1_SIGA_OUTPUT_NEEDED;
	CHECK_EQ(send_one(&r.pout, 100, 2), 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	CHECK_EQ(siga, QDIO_SIGA_S);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 0);	/* nothing filled */
	CHECK_EQ(siga, QDIO_SIGA_NONE);
	r.pin.ac1 = 0;
	CHECK_EQ(qdio_pg_in_give(&r.pin, 8, &siga), 8);
	CHECK_EQ(siga, QDIO_SIGA_NONE);
	rig_free(&r);
}

TEST(qdio_queue_output_multi_element_packet)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;
	uint64_t sb;

	REQUIRE(rig_init(&r, 4) == 0);
	sink_init(&s);
	CHECK_EQ(send_one(&r.pout, 9000, 5), 0);	/* 9032 bytes: 3 pages */
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	sb = sbal_of(&r.pout, 0);
	CHECK_EQ(get_sbale(&r.gs, sb, 0).eflags, SBALE_FRAG_FIRST);
	CHECK_EQ(get_sbale(&r.gs, sb, 1).eflags, SBALE_FRAG_MIDDLE);
	CHECK_EQ(get_sbale(&r.gs, sb, 2).eflags, SBALE_FRAG_LAST | SBALE_EF_LAST);
	CHECK_EQ(get_sbale(&r.gs, sb, 2).len, 9032 - 8192);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 1);
	CHECK_EQ(s.pkts, 1);
	CHECK_EQ(s.nspans[0], 3);
	CHECK_EQ(s.len[0], 9000);
	CHECK_EQ(s.hash[0], frame_hash(9000, 5));
	CHECK_EQ(s.hdrbad, 0);
	rig_free(&r);
}

TEST(qdio_queue_output_header_in_own_element)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;
	uint8_t h[32], frame[200];
	uint64_t sb, data = 0x8000, hdr = 0x9000 - 32;	/* header ends at a page end */

	REQUIRE(rig_init(&r, 4) == 0);
	sink_init(&s);
	CHECK_EQ(send_one(&r.pout, 10, 0), 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	/* Rewrite buffer 0 the way qeth does for a non-linear skb: header alone
	 * (FIRST, CONTIGUOUS), then the frame (LAST_FRAG) in another element. */
	fill_frame(frame, sizeof(frame), 77);
	l2_hdr(h, sizeof(frame));
	gs_store(&r.gs, hdr, h, 32);
	gs_store(&r.gs, data, frame, sizeof(frame));
	sb = sbal_of(&r.pout, 0);
	put_sbale(&r.gs, sb, 0, SBALE_FRAG_FIRST | SBALE_EF_CONTIGUOUS, 32, hdr);
	put_sbale(&r.gs, sb, 1, SBALE_FRAG_LAST | SBALE_EF_LAST, sizeof(frame), data);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK_EQ(res.errors, 0);
	CHECK_EQ(s.pkts, 1);
	CHECK_EQ(s.nspans[0], 2);
	CHECK_EQ(s.len[0], sizeof(frame));
	CHECK_EQ(s.hash[0], frame_hash(sizeof(frame), 77));
	CHECK_EQ(s.hdrbad, 0);
	rig_free(&r);
}

TEST(qdio_queue_output_packs_several_packets_per_sbal)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 4) == 0);
	sink_init(&s);
	CHECK_EQ(send_one(&r.pout, 64, 1), 0);
	CHECK_EQ(send_one(&r.pout, 5000, 2), 0);	/* two elements */
	CHECK_EQ(send_one(&r.pout, 1400, 3), 0);	/* fourth element: still buffer 0 */
	CHECK_EQ(send_one(&r.pout, 100, 4), 0);	/* no element left: buffer 1 */
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 2);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 2);
	CHECK_EQ(s.bufs, 2);
	CHECK_EQ(s.pkts, 4);
	CHECK_EQ(s.nspans[1], 2);
	CHECK_EQ(s.hash[0], frame_hash(64, 1));
	CHECK_EQ(s.hash[1], frame_hash(5000, 2));
	CHECK_EQ(s.hash[2], frame_hash(1400, 3));
	CHECK_EQ(s.hash[3], frame_hash(100, 4));
	rig_free(&r);
}

TEST(qdio_queue_inbound_header_never_crosses_element)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;
	uint64_t sb;
	struct sbale e0, e1;

	REQUIRE(rig_init(&r, 2) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 8, &siga) == 8);
	/* 32 + 4044 = 4076: 20 bytes left in element 0, too few for a header. */
	CHECK_EQ(recv_one(&r.ain, 4044, 1), 0);
	CHECK_EQ(recv_one(&r.ain, 100, 2), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	sb = sbal_of(&r.pin, 0);
	e0 = get_sbale(&r.gs, sb, 0);
	e1 = get_sbale(&r.gs, sb, 1);
	CHECK_EQ(e0.len, 4076);
	CHECK_EQ(e0.eflags, 0);
	CHECK_EQ(e1.len, 132);
	CHECK_EQ(e1.eflags, SBALE_EF_LAST);
	/* Buffer 1: a packet spanning both elements, then one right behind it. */
	CHECK_EQ(recv_one(&r.ain, 5000, 3), 0);
	CHECK_EQ(recv_one(&r.ain, 64, 4), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	sb = sbal_of(&r.pin, 1);
	CHECK_EQ(get_sbale(&r.gs, sb, 0).len, 4096);
	CHECK_EQ(get_sbale(&r.gs, sb, 1).len, 5032 - 4096 + 96);
	/* Buffer 2: a packet ending exactly at the element end. */
	CHECK_EQ(recv_one(&r.ain, 4064, 5), 0);
	CHECK_EQ(recv_one(&r.ain, 10, 6), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	sb = sbal_of(&r.pin, 2);
	CHECK_EQ(get_sbale(&r.gs, sb, 0).len, 4096);
	CHECK_EQ(get_sbale(&r.gs, sb, 1).len, 42);
	/* Buffer 3: one small packet, element 1 keeps the driver's preset LAST. */
	CHECK_EQ(recv_one(&r.ain, 10, 7), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	sb = sbal_of(&r.pin, 3);
	CHECK_EQ(get_sbale(&r.gs, sb, 0).eflags, SBALE_EF_LAST);
	CHECK_EQ(get_sbale(&r.gs, sb, 0).len, 42);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 128, rx_cb, &s), 4);
	CHECK_EQ(s.pkts, 7);
	CHECK_EQ(s.hdrbad, 0);
	CHECK_EQ(s.hash[0], frame_hash(4044, 1));
	CHECK_EQ(s.hash[1], frame_hash(100, 2));
	CHECK_EQ(s.hash[2], frame_hash(5000, 3));
	CHECK_EQ(s.nspans[2], 2);
	CHECK_EQ(s.hash[3], frame_hash(64, 4));
	CHECK_EQ(s.hash[4], frame_hash(4064, 5));
	CHECK_EQ(s.hash[5], frame_hash(10, 6));
	CHECK_EQ(s.hash[6], frame_hash(10, 7));
	CHECK_EQ(r.pin.st.err[QDIO_E_HDR], 0);
	rig_free(&r);
}

TEST(qdio_queue_inbound_full_buffer_is_primed_by_itself)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;
	unsigned k;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 4, &siga) == 4);
	/* 40 + 32 bytes each: 56 fit one 4K element (4032), the 57th opens buffer 1. */
	for (k = 0; k < 57; k++)
		REQUIRE(recv_one(&r.ain, 40, k) == 0);
	CHECK_EQ(state(&r.pin, 0), 0x82);
	CHECK_EQ(state(&r.pin, 1), 0x41);
	CHECK_EQ(get_sbale(&r.gs, sbal_of(&r.pin, 0), 0).len, 56 * 72);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 128, rx_cb, &s), 2);
	CHECK_EQ(s.pkts, 57);
	CHECK_EQ(s.hash[56], frame_hash(40, 56));
	/* 20 bytes left in the only element: the next header needs a new buffer. */
	CHECK_EQ(recv_one(&r.ain, 4044, 60), 0);
	CHECK_EQ(recv_one(&r.ain, 3, 61), 0);
	CHECK_EQ(state(&r.pin, 2), 0x82);
	CHECK_EQ(get_sbale(&r.gs, sbal_of(&r.pin, 2), 0).len, 4076);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	CHECK_EQ(get_sbale(&r.gs, sbal_of(&r.pin, 3), 0).len, 35);
	s.pkts = 0;
	CHECK_EQ(qdio_pg_in_take(&r.pin, 128, rx_cb, &s), 2);
	CHECK_EQ(s.pkts, 2);
	CHECK_EQ(s.hash[1], frame_hash(3, 61));
	rig_free(&r);
}

TEST(qdio_queue_input_exhausted_then_continues)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 2, &siga) == 2);
	CHECK_EQ(recv_one(&r.ain, 3000, 1), 0);
	CHECK_EQ(recv_one(&r.ain, 3000, 2), 0);	/* primes buffer 0, fills buffer 1 */
	CHECK_EQ(recv_one(&r.ain, 3000, 3), -EAGAIN);	/* primes buffer 1, none left */
	CHECK_EQ(recv_one(&r.ain, 3000, 4), -EAGAIN);
	CHECK_EQ(r.ain.st.err[QDIO_E_NOBUF], 2);
	CHECK_EQ(state(&r.pin, 1), 0x82);
	CHECK_EQ(state(&r.pin, 2), 0x80);	/* never given: not the adapter's */
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 0);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 128, rx_cb, &s), 2);
	CHECK_EQ(qdio_pg_in_give(&r.pin, 2, &siga), 2);
	CHECK_EQ(recv_one(&r.ain, 3000, 5), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	CHECK_EQ(state(&r.pin, 2), 0x82);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 128, rx_cb, &s), 1);
	CHECK_EQ(s.pkts, 3);
	CHECK_EQ(s.hash[2], frame_hash(3000, 5));
	rig_free(&r);
}

TEST(qdio_queue_program_cannot_overfill_output)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;
	unsigned k, ok = 0;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	for (k = 0; k < 130; k++)
		ok += send_one(&r.pout, 3000, k) == 0;
	/* 128 buffers: the 129th packet closes buffer 127 and finds no free one. */
	CHECK_EQ(ok, 128);
	CHECK_EQ(r.pout.st.err[QDIO_E_NOBUF], 2);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 128);
	CHECK_EQ(siga, QDIO_SIGA_W);	/* a full ring is not a fast requeue */
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 1000, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 128);
	CHECK_EQ(qdio_pg_out_reap(&r.pout, 1000), 128);
	CHECK_EQ(send_one(&r.pout, 3000, 200), 0);
	rig_free(&r);
}

TEST(qdio_queue_too_big_packets_are_refused)
{
	struct rig r;
	enum qdio_siga siga;
	uint8_t h[32];
	struct qdio_span sp = { .ptr = NULL, .len = 0 };

	REQUIRE(rig_init(&r, 2) == 0);
	REQUIRE(qdio_pg_in_give(&r.pin, 2, &siga) == 2);
	CHECK_EQ(send_one(&r.pout, 8192 - 32, 1), 0);	/* exactly 2 pages */
	CHECK_EQ(send_one(&r.pout, 8192 - 31, 1), -EMSGSIZE);
	CHECK_EQ(r.pout.st.err[QDIO_E_TOOBIG], 1);
	CHECK_EQ(recv_one(&r.ain, 8192 - 31, 1), -EMSGSIZE);
	CHECK_EQ(r.ain.st.err[QDIO_E_TOOBIG], 1);
	CHECK_EQ(recv_one(&r.ain, 8192 - 32, 1), 0);
	l2_hdr(h, 0);
	CHECK_EQ(qdio_ad_in_put(&r.ain, h, 0, &sp, 0), -EINVAL);
	CHECK_EQ(qdio_ad_in_put(&r.ain, h, QDIO_HDR_MAX + 1, &sp, 0), -EINVAL);
	CHECK_EQ(qdio_pg_out_put(&r.pout, h, 0, &sp, 0), -EINVAL);
	/* Wrong direction for the call. */
	CHECK_EQ(qdio_ad_in_put(&r.aout, h, 32, &sp, 0), -EPROTO);
	CHECK_EQ(qdio_pg_out_put(&r.pin, h, 32, &sp, 0), -EPROTO);
	rig_free(&r);
}

TEST(qdio_queue_pci_request_is_reported)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	CHECK_EQ(send_one(&r.pout, 100, 1), 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK(!res.pci);
	CHECK(!qdio_ad_take_irq(&r.aout));
	r.pout.pci_req = true;
	CHECK_EQ(send_one(&r.pout, 100, 2), 0);
	CHECK_EQ(qdio_pg_out_flush(&r.pout, &siga), 1);
	CHECK_EQ(get_sbale(&r.gs, sbal_of(&r.pout, 1), 0).sflags, SBALE_SF0_PCI_REQ);
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK(res.pci);
	CHECK(qdio_ad_take_irq(&r.aout));
	rig_free(&r);
}

TEST(qdio_queue_consumer_backpressure_and_reject)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(send_one(&r.pout, 3000, 1) == 0);
	REQUIRE(send_one(&r.pout, 3000, 2) == 0);
	REQUIRE(qdio_pg_out_flush(&r.pout, &siga) == 2);
	s.stop_on_buf = 1;
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK(res.stopped);
	CHECK_EQ(res.buffers, 1);
	CHECK_EQ(state(&r.pout, 1), 0x62);	/* left for later */
	s.stop_on_buf = -1;
	s.ret = -EIO;
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 1);
	CHECK_EQ(res.errors, 1);
	CHECK_EQ(state(&r.pout, 1), 0xAF);
	CHECK_EQ(r.aout.st.err[QDIO_E_CONSUMER], 1);
	CHECK_EQ(qdio_pg_out_reap(&r.pout, 8), 2);
	CHECK_EQ(r.pout.st.err[QDIO_E_PEER], 1);
	CHECK_EQ(r.pout.st.last_sf15, QDIO_SF15_REASON(QDIO_E_CONSUMER));
	rig_free(&r);
}

/* ---- bad input, one kind per case ------------------------------------------------ */

/* Prime buffer 0 with a valid one-element packet, then let `bad` corrupt its SBAL;
 * the adapter must complete it as ERROR with `why` and never call the consumer. */
static void expect_bad_output(struct tctx *t, struct rig *r, enum qdio_err why)
{
	struct sink s;
	struct qdio_scan res;

	sink_init(&s);
	CHECK_EQ(qdio_ad_out_scan(&r->aout, 8, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 1);
	CHECK_EQ(res.errors, 1);
	CHECK_EQ(s.bufs, 0);
	CHECK_EQ(state(&r->pout, 0), 0xAF);
	CHECK_EQ(r->aout.st.err[why], 1);
	CHECK_EQ(r->aout.st.packets, 0);
	CHECK_EQ(qdio_pg_out_reap(&r->pout, 8), 1);
	CHECK_EQ(r->pout.st.err[QDIO_E_PEER], 1);
	if (why != QDIO_E_SL)
		CHECK_EQ(r->pout.st.last_sf15, QDIO_SF15_REASON(why));
}

static int prime_one(struct rig *r, unsigned nelem)
{
	enum qdio_siga siga;
	int rc = rig_init(r, nelem);

	if (rc == 0)
		rc = send_one(&r->pout, 100, 1);
	if (rc == 0)
		rc = qdio_pg_out_flush(&r->pout, &siga) == 1 ? 0 : -EIO;
	return rc;
}

TEST(qdio_queue_bad_sbale_outside_storage)
{
	struct rig r;

	REQUIRE(prime_one(&r, 1) == 0);
	put_sbale(&r.gs, sbal_of(&r.pout, 0), 0, SBALE_EF_LAST, 100, r.gs.size - 50);
	expect_bad_output(t, &r, QDIO_E_SBALE_FAULT);
	rig_free(&r);
}

TEST(qdio_queue_bad_sbale_crossing_4k)
{
	struct rig r;

	REQUIRE(prime_one(&r, 1) == 0);
	put_sbale(&r.gs, sbal_of(&r.pout, 0), 0, SBALE_EF_LAST, 100, 0x20000 - 50);
	expect_bad_output(t, &r, QDIO_E_SBALE_CROSS);
	rig_free(&r);
}

TEST(qdio_queue_bad_sbal_without_last_entry)
{
	struct rig r;
	uint64_t sb;
	unsigned e;

	REQUIRE(prime_one(&r, 1) == 0);
	sb = sbal_of(&r.pout, 0);
	for (e = 0; e < QDIO_SBALES; e++)
		put_sbale(&r.gs, sb, e, SBALE_FRAG_NONE, 64, 0x20000 + 64 * e);
	expect_bad_output(t, &r, QDIO_E_NO_LAST);
	rig_free(&r);
}

TEST(qdio_queue_bad_fragment_middle_without_first)
{
	struct rig r;
	uint64_t sb;

	REQUIRE(prime_one(&r, 1) == 0);
	sb = sbal_of(&r.pout, 0);
	put_sbale(&r.gs, sb, 0, SBALE_FRAG_NONE, 64, 0x20000);
	put_sbale(&r.gs, sb, 1, SBALE_FRAG_MIDDLE, 64, 0x20040);
	put_sbale(&r.gs, sb, 2, SBALE_FRAG_LAST | SBALE_EF_LAST, 64, 0x20080);
	expect_bad_output(t, &r, QDIO_E_FRAG);
	rig_free(&r);
}

TEST(qdio_queue_bad_fragment_unterminated_packet)
{
	struct rig r;
	uint64_t sb;

	REQUIRE(prime_one(&r, 1) == 0);
	sb = sbal_of(&r.pout, 0);
	put_sbale(&r.gs, sb, 0, SBALE_FRAG_FIRST, 64, 0x20000);
	put_sbale(&r.gs, sb, 1, SBALE_FRAG_MIDDLE | SBALE_EF_LAST, 64, 0x20040);
	expect_bad_output(t, &r, QDIO_E_FRAG);
	rig_free(&r);
}

TEST(qdio_queue_bad_fragment_first_inside_packet)
{
	struct rig r;
	uint64_t sb;

	REQUIRE(prime_one(&r, 1) == 0);
	sb = sbal_of(&r.pout, 0);
	put_sbale(&r.gs, sb, 0, SBALE_FRAG_FIRST, 64, 0x20000);
	put_sbale(&r.gs, sb, 1, SBALE_FRAG_FIRST, 64, 0x20040);
	put_sbale(&r.gs, sb, 2, SBALE_FRAG_LAST | SBALE_EF_LAST, 64, 0x20080);
	expect_bad_output(t, &r, QDIO_E_FRAG);
	rig_free(&r);
}

TEST(qdio_queue_bad_sl_entry_outside_storage)
{
	struct rig r;

	REQUIRE(prime_one(&r, 1) == 0);
	REQUIRE(gs_store64(&r.gs, r.aout.sl, r.gs.size) == 0);
	expect_bad_output(t, &r, QDIO_E_SL);
	rig_free(&r);
}

TEST(qdio_queue_bad_sl_entry_misaligned)
{
	struct rig r;

	REQUIRE(prime_one(&r, 1) == 0);
	REQUIRE(gs_store64(&r.gs, r.aout.sl, 0x20080) == 0);
	expect_bad_output(t, &r, QDIO_E_SL);
	rig_free(&r);
}

TEST(qdio_queue_bad_slsb_state_on_output)
{
	struct rig r;
	struct sink s;
	struct qdio_scan res;

	REQUIRE(prime_one(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(qdio_set_state(&r.pout, 0, SLSB_CU_INPUT_EMPTY) == 0);	/* 0x41 on output */
	CHECK_EQ(qdio_ad_out_scan(&r.aout, 8, out_cb, &s, &res), 0);
	CHECK_EQ(res.buffers, 0);
	CHECK_EQ(s.bufs, 0);
	CHECK_EQ(state(&r.pout, 0), 0x41);	/* not ours: untouched */
	CHECK_EQ(r.aout.st.err[QDIO_E_STATE], 1);
	CHECK_EQ(r.aout.next, 0);
	CHECK_EQ(qdio_pg_out_reap(&r.pout, 8), 0);
	CHECK_EQ(r.pout.st.err[QDIO_E_STATE], 1);
	rig_free(&r);
}

TEST(qdio_queue_bad_slsb_state_on_input)
{
	struct rig r;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 1) == 0);
	REQUIRE(qdio_pg_in_give(&r.pin, 2, &siga) == 2);
	REQUIRE(qdio_set_state(&r.pin, 0, SLSB_CU_OUTPUT_PRIMED) == 0);	/* 0x62 on input */
	CHECK_EQ(recv_one(&r.ain, 100, 1), -EAGAIN);
	CHECK_EQ(r.ain.st.err[QDIO_E_STATE], 1);
	CHECK_EQ(state(&r.pin, 0), 0x62);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 8, rx_cb, NULL), 0);
	CHECK_EQ(r.pin.st.err[QDIO_E_STATE], 1);
	rig_free(&r);
}

TEST(qdio_queue_bad_input_sbal_is_returned_as_error)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 3, &siga) == 3);
	/* Buffer 0: element 0 outside storage; buffer 1: SL entry outside storage. */
	put_sbale(&r.gs, sbal_of(&r.pin, 0), 0, SBALE_EF_LAST, 4096, r.gs.size);
	REQUIRE(gs_store64(&r.gs, r.ain.sl + 8, 0xFFFFFFFFFFFFFF00ull) == 0);
	CHECK_EQ(recv_one(&r.ain, 100, 1), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	CHECK_EQ(state(&r.pin, 0), 0x8F);
	CHECK_EQ(state(&r.pin, 1), 0x8F);
	CHECK_EQ(state(&r.pin, 2), 0x82);
	CHECK_EQ(r.ain.st.err[QDIO_E_SBALE_FAULT], 1);
	CHECK_EQ(r.ain.st.err[QDIO_E_SL], 1);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 8, rx_cb, &s), 3);
	CHECK_EQ(r.pin.st.err[QDIO_E_PEER], 2);
	CHECK_EQ(s.pkts, 1);
	CHECK_EQ(s.hash[0], frame_hash(100, 1));
	rig_free(&r);
}

TEST(qdio_queue_bad_input_element_crossing_4k_shortens_buffer)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;
	uint64_t sb;

	REQUIRE(rig_init(&r, 2) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 1, &siga) == 1);
	sb = sbal_of(&r.pin, 0);
	/* Element 1 crosses a page: only element 0 is usable. */
	put_sbale(&r.gs, sb, 1, SBALE_EF_LAST, 4096, 0x20010);
	CHECK_EQ(recv_one(&r.ain, 3000, 1), 0);
	CHECK_EQ(recv_one(&r.ain, 3000, 2), -EAGAIN);	/* primes buffer 0, no more */
	CHECK_EQ(state(&r.pin, 0), 0x82);
	CHECK_EQ(get_sbale(&r.gs, sb, 0).eflags, SBALE_EF_LAST);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 8, rx_cb, &s), 1);
	CHECK_EQ(s.pkts, 1);
	rig_free(&r);
}

TEST(qdio_queue_program_parser_rejects_unknown_header)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;
	uint8_t h[32];
	struct qdio_span sp = { .ptr = h, .len = 8 };

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 1, &siga) == 1);
	CHECK_EQ(recv_one(&r.ain, 100, 1), 0);
	memset(h, 0, sizeof(h));
	h[0] = 0x7E;	/* not a qeth header id: qeth drops the rest */
	CHECK_EQ(qdio_ad_in_put(&r.ain, h, 32, &sp, 1), 0);
	CHECK_EQ(recv_one(&r.ain, 100, 2), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 8, rx_cb, &s), 1);
	CHECK_EQ(s.pkts, 1);
	CHECK_EQ(r.pin.st.err[QDIO_E_HDR], 1);
	rig_free(&r);
}

TEST(qdio_queue_program_parser_rejects_truncated_packet)
{
	struct rig r;
	struct sink s;
	enum qdio_siga siga;

	REQUIRE(rig_init(&r, 1) == 0);
	sink_init(&s);
	REQUIRE(qdio_pg_in_give(&r.pin, 1, &siga) == 1);
	CHECK_EQ(recv_one(&r.ain, 100, 1), 0);
	CHECK_EQ(qdio_ad_in_flush(&r.ain), 1);
	/* The header claims more data than the buffer holds. */
	REQUIRE(gs_store16(&r.gs, r.lay.in_pages[0] + 6, 200) == 0);
	CHECK_EQ(qdio_pg_in_take(&r.pin, 8, rx_cb, &s), 1);
	CHECK_EQ(s.pkts, 0);
	CHECK_EQ(r.pin.st.err[QDIO_E_HDR], 1);
	rig_free(&r);
}

TEST(qdio_queue_init_rejects_missing_queue)
{
	struct rig r;
	struct qdio_queue q;
	struct qdr bad;

	REQUIRE(rig_init(&r, 1) == 0);
	CHECK_EQ(qdio_queue_init(&q, &r.gs, &r.qdr, true, 1), -EINVAL);
	CHECK_EQ(qdio_queue_init(&q, &r.gs, &r.qdr, false, 1), -EINVAL);
	bad = r.qdr;
	bad.out[0].slsb += 0x80;
	CHECK_EQ(qdio_queue_init(&q, &r.gs, &bad, true, 0), -EXDEV);
	CHECK_EQ(qdio_pg_start(&r.pout, r.lay.out_pages[0], 17, 0), -EINVAL);
	CHECK_EQ(qdio_pg_start(&r.pout, r.gs.size, 1, 0), -EFAULT);
	rig_free(&r);
}

TEST(qdio_queue_build_lays_out_blocks_like_linux)
{
	struct qdio_pg_cfg cfg = { .nin = 1, .nout = 4, .nelem = 1,
				   .ebcnam = { 0xF0, 0x4B, 0xF0, 0x4B, 0xF0, 0xF6, 0xF0, 0xF2 } };
	struct qdio_pg_layout lay;
	struct gstor gs;
	struct qdr qdr;
	struct qib qib;
	uint8_t raw[SLIB_SIZE];
	struct slib slib;

	REQUIRE(gs_plain_init(&gs, qdio_pg_size(&cfg) + 0x2000) == 0);
	CHECK_EQ(qdio_pg_build(&gs, 0x3000, &cfg, &lay), -EFAULT);	/* does not fit */
	CHECK_EQ(qdio_pg_build(&gs, 0x800, &cfg, &lay), -EXDEV);
	REQUIRE(qdio_pg_build(&gs, 0x2000, &cfg, &lay) == 0);
	REQUIRE(qdr_fetch(&gs, lay.qdr, &qdr) == 0);
	CHECK_EQ(qdr.iqdcnt, 1);
	CHECK_EQ(qdr.oqdcnt, 4);
	CHECK_EQ(qdr.out[0].sl, qdr.out[0].slib + 0x800);	/* SL in the SLIB's page */
	REQUIRE(qib_fetch(&gs, qdr.qiba, &qib) == 0);
	CHECK_EQ(qib.isliba, qdr.in[0].slib);
	CHECK_EQ(qib.osliba, qdr.out[0].slib);
	CHECK_EQ(qib.ebcnam[5], 0xF6);
	REQUIRE(gs_fetch(&gs, qdr.out[2].slib, raw, sizeof(raw)) == 0);
	REQUIRE(slib_decode(raw, sizeof(raw), &slib) == 0);
	CHECK_EQ(slib.next, qdr.out[3].slib);
	CHECK_EQ(slib.sl, qdr.out[2].sl);
	CHECK_EQ(slib.slsb, qdr.out[2].slsb);
	REQUIRE(gs_fetch(&gs, qdr.out[3].slib, raw, sizeof(raw)) == 0);
	REQUIRE(slib_decode(raw, sizeof(raw), &slib) == 0);
	CHECK_EQ(slib.next, 0);
	CHECK_EQ(lay.end, qdio_pg_size(&cfg) + 0x2000);
	cfg.nelem = 0;
	CHECK_EQ(qdio_pg_size(&cfg), 0);
	CHECK_EQ(qdio_pg_build(&gs, 0, &cfg, &lay), -EINVAL);
	gs_plain_free(&gs);
}

/* Built again over used storage (an interface set offline and online): every control
 * block is clean (SLSBs, SBALs), the data pages are left as they were. */
TEST(qdio_pg_build_over_used_storage)
{
	struct qdio_pg_cfg cfg = { .nin = 1, .nout = 2, .nelem = 2 };
	struct qdio_pg_layout lay;
	struct gstor gs;
	struct qdr qdr;
	uint64_t size = qdio_pg_size(&cfg);
	uint8_t b;

	REQUIRE(gs_plain_init(&gs, size) == 0);
	memset(gs.base, 0xA5, size);
	REQUIRE(qdio_pg_build(&gs, 0, &cfg, &lay) == 0);
	REQUIRE(qdr_fetch(&gs, lay.qdr, &qdr) == 0);
	for (unsigned q = 0; q < 3; q++) {
		const struct qdesfmt0 *d = q ? &qdr.out[q - 1] : &qdr.in[0];
		uint64_t sbal0 = d->slsb + QDIO_PAGE;

		for (unsigned k = 0; k < QDIO_BUFS; k++) {
			uint64_t sbal;

			REQUIRE(gs_fetch8(&gs, d->slsb + k, &b) == 0);
			CHECK_EQ(b, 0);
			REQUIRE(gs_fetch64(&gs, d->sl + 8 * k, &sbal) == 0);
			CHECK_EQ(sbal, sbal0 + (uint64_t)k * SBAL_SIZE);
			for (unsigned o = 0; o < SBAL_SIZE; o += 37) {
				REQUIRE(gs_fetch8(&gs, sbal + o, &b) == 0);
				CHECK_EQ(b, 0);
			}
		}
	}
	REQUIRE(gs_fetch8(&gs, lay.in_pages[0], &b) == 0);
	CHECK_EQ(b, 0xA5);
	gs_plain_free(&gs);
}
