/* vnic/offload.c - finishing a frame's offloads for one receiver: checksums written (lib/csum)
 * or left as verified, a large send cut into segments (lib/tso), each handed on as a pframe. */
#include "vnic/offload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/csum.h"
#include "lib/tso.h"
#include "qdio/queue.h"

#define HALF (OFL_SCRATCH / 2)

static void emit_one(ofl_emit_fn emit, void *ctx, const struct pframe *g, struct ofl_result *r)
{
	if (emit(ctx, g))
		r->emitted++;
	else
		r->failed++;
}

void ofl_finish(const struct pframe *f, bool verified_ok, uint8_t **scratch, ofl_emit_fn emit,
		void *ctx, struct ofl_result *r)
{
	struct qdio_span sp;
	struct csum_pkt cp;
	struct pframe g;
	struct tso t;
	uint8_t *buf;
	int n;

	memset(r, 0, sizeof(*r));
	if (!ofl_needed(f, verified_ok)) {
		emit_one(emit, ctx, f, r);
		return;
	}
	if (!*scratch)
		*scratch = malloc(OFL_SCRATCH);
	buf = *scratch;
	if (!buf) {
		r->err = -ENOMEM;
		return;
	}
	if (f->len > HALF || qdio_spans_copy(f->spans, f->nspans, 0, buf, f->len) != f->len) {
		r->err = -EBADMSG;
		return;
	}
	g = *f;
	g.spans = &sp;
	g.nspans = 1;
	g.csum_ip_hdr = false;
	g.csum = verified_ok ? PF_CSUM_PARTIAL : PF_CSUM_NONE;
	if (!f->gso_size) {
		if (csum_parse(buf, f->len, f->kind == PF_ETH, &cp) < 0) {
			r->err = -EBADMSG;
			return;
		}
		if (verified_ok) {
			csum_ip4_hdr(buf, &cp);
		} else {
			csum_complete(buf, &cp, f->csum_ip_hdr);
			r->completed = true;
		}
		sp = (struct qdio_span){ buf, f->len };
		emit_one(emit, ctx, &g, r);
		return;
	}
	if (tso_init(&t, buf, f->len, f->kind == PF_ETH, f->gso_size, !verified_ok) < 0) {
		r->err = -EBADMSG;
		return;
	}
	r->segmented = true;
	g.gso_size = 0;
	while ((n = tso_next(&t, buf + HALF, HALF)) > 0) {
		sp = (struct qdio_span){ buf + HALF, (uint32_t)n };
		g.len = (uint32_t)n;
		emit_one(emit, ctx, &g, r);
	}
	if (n < 0)
		r->failed++;
}
