/* apps/pktgen.c - frames of the generator and the sink's accounting (cpnet-pktgen over
 * the port API, and the Linux-bridge baseline over AF_PACKET, share it). */
#include "apps/pktgen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/be.h"
#include "lib/csum.h"

_Static_assert(PKTGEN_HDR_OFF_TS + 8 == PKTGEN_HDR_SIZE, "pktgen header layout");

uint32_t pktgen_min_size(bool l3)
{
	return (l3 ? PKTGEN_IP_HLEN : PKTGEN_ETH_HLEN) + PKTGEN_HDR_SIZE;
}

int pktgen_gen_init(struct pktgen_gen *g, const struct pktgen_cfg *cfg)
{
	uint8_t *p = g->tmpl;

	if (cfg->size < pktgen_min_size(cfg->l3) || cfg->size > PKTGEN_MAX_FRAME)
		return -EINVAL;
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	if (cfg->l3) {
		/* IPv4, no options, DF, TTL 64; the checksum covers the header only and
		 * the header is the same for every frame, so it is computed once. */
		be_put8(p, 0x45);
		be_put8(p + 1, 0);
		be_put16(p + 2, (uint16_t)cfg->size);
		be_put16(p + 4, 0);
		be_put16(p + 6, 0x4000);
		be_put8(p + 8, 64);
		be_put8(p + 9, PKTGEN_IPPROTO);
		be_put16(p + 10, 0);
		memcpy(p + 12, cfg->src_ip, 4);
		memcpy(p + 16, cfg->dst_ip, 4);
		be_put16(p + 10, (uint16_t)~csum_fold(csum_add(0, p, PKTGEN_IP_HLEN)));
		g->hdr_off = PKTGEN_IP_HLEN;
	} else {
		memcpy(p, cfg->dst_mac, 6);
		memcpy(p + 6, cfg->src_mac, 6);
		be_put16(p + 12, PKTGEN_ETHERTYPE);
		g->hdr_off = PKTGEN_ETH_HLEN;
	}
	p += g->hdr_off;
	be_put32(p + PKTGEN_HDR_OFF_MAGIC, PKTGEN_MAGIC);
	be_put32(p + PKTGEN_HDR_OFF_STREAM, cfg->stream);
	/* Filler: a pattern, so that a frame cut or shifted on the way is not all zeros. */
	for (uint32_t i = g->hdr_off + PKTGEN_HDR_SIZE; i < cfg->size; i++)
		g->tmpl[i] = (uint8_t)(i * 7);
	return 0;
}

void pktgen_gen_fill(struct pktgen_gen *g, uint8_t *buf, uint64_t ts_ns)
{
	uint8_t *h = buf + g->hdr_off;

	memcpy(buf, g->tmpl, g->cfg.size);
	be_put64(h + PKTGEN_HDR_OFF_SEQ, g->seq++);
	be_put64(h + PKTGEN_HDR_OFF_TS, ts_ns);
}

void pktgen_sink_init(struct pktgen_sink *s, const struct pktgen_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
}

static bool seen_get(const struct pktgen_sink *s, uint64_t seq)
{
	unsigned b = (unsigned)(seq % PKTGEN_WINDOW);

	return s->seen[b / 64] >> (b % 64) & 1;
}

static void seen_set(struct pktgen_sink *s, uint64_t seq, bool v)
{
	unsigned b = (unsigned)(seq % PKTGEN_WINDOW);

	if (v)
		s->seen[b / 64] |= 1ull << (b % 64);
	else
		s->seen[b / 64] &= ~(1ull << (b % 64));
}

/* Sequence numbers (from, to) exclusive were skipped: not seen (yet). */
static void gap(struct pktgen_sink *s, uint64_t from, uint64_t to)
{
	if (to - from - 1 >= PKTGEN_WINDOW) {
		memset(s->seen, 0, sizeof(s->seen));
		return;
	}
	for (uint64_t k = from + 1; k < to; k++)
		seen_set(s, k, false);
}

bool pktgen_sink_take(struct pktgen_sink *s, const uint8_t *f, uint32_t len, uint64_t now_ns)
{
	uint32_t off = s->cfg.l3 ? PKTGEN_IP_HLEN : PKTGEN_ETH_HLEN;
	const uint8_t *h = f + off;
	uint64_t seq, ts;

	if (len < off + PKTGEN_HDR_SIZE || (s->cfg.size && len != s->cfg.size))
		goto foreign;
	if (s->cfg.l3 ? (f[0] >> 4 != 4 || f[9] != PKTGEN_IPPROTO)
		      : be_get16(f + 12) != PKTGEN_ETHERTYPE)
		goto foreign;
	if (be_get32(h + PKTGEN_HDR_OFF_MAGIC) != PKTGEN_MAGIC ||
	    be_get32(h + PKTGEN_HDR_OFF_STREAM) != s->cfg.stream)
		goto foreign;
	seq = be_get64(h + PKTGEN_HDR_OFF_SEQ);
	ts = be_get64(h + PKTGEN_HDR_OFF_TS);
	s->c.received++;
	if (!s->c.first_tx_ns || ts < s->c.first_tx_ns)
		s->c.first_tx_ns = ts;
	s->c.bytes += len;
	if (!s->c.first_ns)
		s->c.first_ns = now_ns;
	s->c.last_ns = now_ns;
	if (!s->started) {
		/* Whatever the generator sent before this one did not come. */
		s->started = true;
		memset(s->seen, 0, sizeof(s->seen));
		s->c.lost += seq;
		s->hi = seq;
		seen_set(s, seq, true);
		return true;
	}
	if (seq > s->hi) {
		s->c.lost += seq - s->hi - 1;
		gap(s, s->hi, seq);
		s->hi = seq;
		seen_set(s, seq, true);
		return true;
	}
	if (s->hi - seq >= PKTGEN_WINDOW) {
		s->c.late++;
		return true;
	}
	if (seen_get(s, seq)) {
		s->c.duplicates++;
		return true;
	}
	/* A frame counted as lost when a later one overtook it. */
	seen_set(s, seq, true);
	s->c.reordered++;
	if (s->c.lost)
		s->c.lost--;
	return true;

foreign:
	s->c.foreign++;
	return false;
}

void pktgen_sink_finish(struct pktgen_sink *s, uint64_t sent)
{
	if (!s->started)
		s->c.lost = sent;
	else if (sent > s->hi + 1)
		s->c.lost += sent - s->hi - 1;
}

int pktgen_parse_mac(const char *str, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(str, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -EINVAL;
	for (unsigned i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* ---- the loops ---------------------------------------------------------------------- */

uint64_t pktgen_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct gen_fill {
	struct pktgen_gen *g;
	uint64_t ts;
};

static void gen_fill_cb(void *arg, uint8_t *buf)
{
	struct gen_fill *f = arg;

	pktgen_gen_fill(f->g, buf, f->ts);
}

/* A bound on the spins of a full transport, so that a peer that stopped taking
 * frames ends the run instead of hanging it (about a second of retries). */
#define FULL_SPINS_MAX 1000000u

int pktgen_run_gen(struct pktgen_gen *g, const struct pktgen_io *io, const struct pktgen_run *r,
		   struct pktgen_result *res)
{
	struct gen_fill f = { g, 0 };
	uint64_t t0 = pktgen_now_ns(), end = 0, now = t0, sent = 0;
	unsigned spins = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (!r->batch || r->batch > 1024 || (!r->seconds && !r->count))
		return -EINVAL;
	if (r->seconds)
		end = t0 + (uint64_t)(r->seconds * 1e9);
	while ((!r->count || sent < r->count) && (!end || now < end)) {
		uint64_t n = r->batch;
		int k;

		if (r->count && r->count - sent < n)
			n = r->count - sent;
		if (r->rate) {
			/* Paced in whole batches: the batch goes when its last frame is due
			 * (frame k at k / rate), asleep until then -- a generator that spins
			 * between frames takes a core from the switch it measures.  A sleep
			 * that overshoots is made up at once: the next batches are due
			 * already. */
			uint64_t due = t0 + (uint64_t)((double)(sent + n - 1) / (double)r->rate * 1e9);

			if (due > now) {
				struct timespec ts = { (time_t)(due / 1000000000u),
						       (long)(due % 1000000000u) };

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				now = pktgen_now_ns();
				continue;
			}
		}
		f.ts = now;
		k = io->send(io->ctx, (unsigned)n, g->cfg.size, gen_fill_cb, &f);
		if (k < 0) {
			rc = k;
			break;
		}
		if (k == 0) {
			res->full++;
			if (++spins > FULL_SPINS_MAX) {
				rc = -ETIMEDOUT;
				break;
			}
		} else {
			spins = 0;
		}
		sent += (unsigned)k;
		now = pktgen_now_ns();
	}
	res->frames = sent;
	res->secs = (double)(now - t0) * 1e-9;
	return rc;
}

struct sink_take {
	struct pktgen_sink *s;
	uint64_t now;
};

static void sink_cb(void *arg, const uint8_t *f, uint32_t len)
{
	struct sink_take *t = arg;

	/* One clock read per batch, taken when its first frame is in hand. */
	if (!t->now)
		t->now = pktgen_now_ns();
	pktgen_sink_take(t->s, f, len, t->now);
}

int pktgen_run_sink(struct pktgen_sink *s, const struct pktgen_io *io, const struct pktgen_run *r,
		    struct pktgen_result *res)
{
	struct sink_take t = { s, 0 };
	uint64_t t0 = pktgen_now_ns(), end = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (!r->seconds && !r->count && !r->idle_ms)
		return -EINVAL;
	if (r->seconds)
		end = t0 + (uint64_t)(r->seconds * 1e9);
	for (;;) {
		int k;

		t.now = pktgen_now_ns();
		if (end && t.now >= end)
			break;
		if (r->count && s->c.received >= r->count)
			break;
		if (r->idle_ms && s->c.received &&
		    t.now - s->c.last_ns >= (uint64_t)r->idle_ms * 1000000u)
			break;
		t.now = 0;
		k = io->recv(io->ctx, 50, sink_cb, &t);
		if (k < 0 && k != -EINTR) {
			rc = k;
			break;
		}
	}
	res->frames = s->c.received;
	res->secs = s->c.received > 1 ? (double)(s->c.last_ns - s->c.first_ns) * 1e-9 : 0;
	/* The same monotonic clock stamps the frames (one host): frames a switch held and
	 * then delivered in a burst cannot make this window shorter than the sending. */
	if (s->c.received > 1 && s->c.first_tx_ns && s->c.last_ns > s->c.first_tx_ns)
		res->e2e_secs = (double)(s->c.last_ns - s->c.first_tx_ns) * 1e-9;
	res->drops = io->drops ? io->drops(io->ctx) : 0;
	return rc;
}
