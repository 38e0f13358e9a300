/* tests/fuzz/fuzz_qdio_scan.c - libFuzzer target: random guest storage under established
 * queues; the adapter scan/fill and the program parser must terminate and stay in storage. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"
#include "lib/gstor.h"
#include "qdio/blocks.h"
#include "qdio/queue.h"

#define STOR_SIZE 0x10000u
/* Control blocks at the start of storage so that short inputs already reach them. */
#define IN_SLSB   0x0100u
#define OUT_SLSB  0x0200u
#define IN_SL     0x0400u
#define OUT_SL    0x0800u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fctx {
	uint64_t sum;
	uint8_t mode;
	unsigned calls;
};

static int out_cb(void *ctx, struct qdio_queue *q, const struct qdio_sbal_view *v)
{
	struct fctx *f = ctx;
	unsigned i;
	uint32_t j;

	(void)q;
	if (v->npkts > QDIO_SBALES || v->nspans > QDIO_SBALES)
		abort();
	/* Touch every mapped byte: ASan reports any span outside storage. */
	for (i = 0; i < v->nspans; i++)
		for (j = 0; j < v->span[i].len; j++)
			f->sum += v->span[i].ptr[j];
	f->calls++;
	switch ((f->mode + f->calls) % 7) {
	case 0: return -5;
	case 1: return f->calls > 3 ? QDIO_CB_STOP : 0;
	default: return 0;
	}
}

static void rx_cb(void *ctx, const uint8_t *hdr, const struct qdio_span *d, unsigned n,
		  uint32_t len)
{
	struct fctx *f = ctx;
	uint32_t got = 0, j;
	unsigned i;

	f->sum += hdr[0] + hdr[31];
	for (i = 0; i < n; i++) {
		for (j = 0; j < d[i].len; j++)
			f->sum += d[i].ptr[j];
		got += d[i].len;
	}
	if (got != len)
		abort();
}

/* Pull SL entries (and the elements of the SBALs they name) into storage so the
 * fuzzer reaches the element walk instead of stopping at the SL check. Works on the
 * storage array itself before it is wrapped: thousands of words, each through gstor,
 * would cost most of an input's time. */
static void steer(uint8_t *mem, uint64_t sl, bool elems)
{
	unsigned b, e;

	for (b = 0; b < QDIO_BUFS; b++) {
		uint64_t a = be_get64(mem + sl + 8 * b);

		a = (a % STOR_SIZE) & ~(uint64_t)0xFF;
		be_put64(mem + sl + 8 * b, a);
		if (!elems)
			continue;
		for (e = 0; e < QDIO_SBALES; e++) {
			uint8_t *el = mem + a + SBAL_OFF_ELEM(e);

			be_put64(el + SBALE_OFF_ADDR, be_get64(el + SBALE_OFF_ADDR) % STOR_SIZE);
			be_put32(el + SBALE_OFF_LEN, be_get32(el + SBALE_OFF_LEN) % 4200);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[70000], stor[STOR_SIZE];
	struct qdio_queue ain, aout, pin, pout;
	struct qdio_scan res;
	struct qdio_span sp;
	struct fctx f;
	struct gstor gs;
	struct qdr qdr;
	uint8_t mode, hdr[64];
	unsigned i;

	if (size < 2)
		return 0;
	mode = data[0];
	/* The input, repeated over all of storage: one copy, then doubling the filled part
	 * (storage is one static array, so an input costs no allocation). */
	{
		size_t have = size - 1 < STOR_SIZE ? size - 1 : STOR_SIZE;

		memcpy(stor, data + 1, have);
		while (have < STOR_SIZE) {
			size_t n = have < STOR_SIZE - have ? have : STOR_SIZE - have;

			memcpy(stor + have, stor, n);
			have += n;
		}
	}
	if (mode & 1)
		steer(stor, OUT_SL, mode & 2);
	if (mode & 4)
		steer(stor, IN_SL, mode & 2);
	gs_wrap(&gs, stor, STOR_SIZE);

	memset(&qdr, 0, sizeof(qdr));
	qdr.iqdcnt = qdr.oqdcnt = 1;
	qdr.iqdsz = qdr.oqdsz = QDR_DESC_WORDS;
	qdr.in[0].sl = IN_SL;
	qdr.in[0].slsb = IN_SLSB;
	qdr.out[0].sl = OUT_SL;
	qdr.out[0].slsb = OUT_SLSB;
	if (qdio_queue_init(&ain, &gs, &qdr, false, 0) || qdio_queue_init(&aout, &gs, &qdr, true, 0) ||
	    qdio_queue_init(&pin, &gs, &qdr, false, 0) || qdio_queue_init(&pout, &gs, &qdr, true, 0))
		abort();
	memset(&f, 0, sizeof(f));
	f.mode = mode;

	/* Adapter: scan outbound, twice (the second continues where the first stopped);
	 * with mode 0x20 the second pass is one gathered batch, as the vnic's SIGA-w
	 * takes them (every primed buffer, then the completions). */
	for (i = 0; i < 2; i++) {
		if (i == 1 && (mode & 0x20)) {
			static struct qdio_out_buf ob[QDIO_BUFS];
			int n = qdio_ad_out_gather(&aout, ob, QDIO_BUFS);
			unsigned k, take;

			if (n < 0 || n > (int)QDIO_BUFS)
				abort();
			for (k = 0, take = (unsigned)n; k < (unsigned)n; k++) {
				int rc;

				if (ob[k].why >= QDIO_E_NR)
					abort();
				if (ob[k].why != QDIO_E_NONE)
					continue;
				rc = out_cb(&f, &aout, &ob[k].v);
				if (rc == QDIO_CB_STOP) {
					take = k;
					break;
				}
				if (rc < 0)
					ob[k].why = QDIO_E_CONSUMER;
			}
			memset(&res, 0, sizeof(res));
			if (qdio_ad_out_complete(&aout, ob, take, &res) != 0 || res.buffers != take ||
			    res.errors > take)
				abort();
			continue;
		}
		if (qdio_ad_out_scan(&aout, 300, out_cb, &f, &res) != 0)
			abort();
		if (res.buffers > 300 || res.errors > res.buffers)
			abort();
	}

	/* Adapter: fill inbound with packets of sizes taken from the input. */
	memset(hdr, 0x02, sizeof(hdr));
	for (i = 0; i < 40; i++) {
		size_t at = 1 + (i * 2) % (size - 1);
		uint32_t len = (uint32_t)(data[at] << 8 | data[(at + 1) % size]) * (mode & 0x10 ? 2u : 1u);
		int rc;

		sp.ptr = pkt;
		sp.len = len;
		rc = qdio_ad_in_put(&ain, hdr, (mode & 8) ? 64 : 32, &sp, 1);
		if (rc != 0 && rc != -EAGAIN && rc != -EMSGSIZE)
			abort();
		if (i % 7 == 6 && qdio_ad_in_flush(&ain) < 0)
			abort();
	}
	if (qdio_ad_in_flush(&ain) < 0)
		abort();

	/* Program: parse whatever the storage now holds as primed input, reap output. */
	pin.busy = QDIO_BUFS;
	if (qdio_pg_in_take(&pin, 300, rx_cb, &f) < 0)
		abort();
	pout.busy = QDIO_BUFS;
	if (qdio_pg_out_reap(&pout, 300) < 0)
		abort();
	return 0;
}
