/* lib/tso.c - TCP segmentation of a large send the way a NIC does it: headers repeated,
 * IPv4 ids counted up, lengths and sequence numbers per segment, FIN/PSH on the last only. */
#include "lib/tso.h"

#include <errno.h>
#include <string.h>

#include "lib/be.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

int tso_init(struct tso *t, const uint8_t *f, uint32_t len, bool eth, uint32_t mss, bool csum)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = csum_parse(f, len, eth, &t->p);
	if (rc < 0)
		return rc;
	if (t->p.proto != CSUM_PROTO_TCP)
		return -EPROTONOSUPPORT;
	if (mss == 0)
		return -EBADMSG;
	t->f = f;
	t->hlen = t->p.l4 + t->p.l4hlen;
	t->mss = mss;
	t->seq = be_get32(f + t->p.l4 + 4);
	t->flags = f[t->p.l4 + 13];
	t->ip_id = t->p.v6 ? 0 : be_get16(f + t->p.l3 + 4);
	t->csum = csum;
	if (tso_count(t) > TSO_MAX_SEGS)
		return -E2BIG;
	return 0;
}

enum tso_req_bad tso_req_check(const uint8_t *f, uint32_t len, const struct tso_req *r,
			       struct csum_pkt *p)
{
	uint32_t pay;

	if (!r->csum && !r->gso_v)
		return TSO_REQ_OK;
	/* A large send's segments each get their checksum written: left open, or none. */
	if (!r->csum)
		return TSO_REQ_NOCSUM;
	if (csum_parse(f, len, true, p) < 0 || p->l4 != r->csum_start ||
	    r->csum_offset != (p->proto == CSUM_PROTO_TCP ? 16 : 6))
		return TSO_REQ_WHERE;
	if (!r->gso_v)
		return TSO_REQ_OK;
	if (p->proto != CSUM_PROTO_TCP || p->v6 != (r->gso_v == 6))
		return TSO_REQ_PROTO;
	pay = p->end - p->l4 - p->l4hlen;
	if (r->gso_size < tso_mss_min(p->v6) ||
	    (pay + r->gso_size - 1u) / r->gso_size > TSO_MAX_SEGS)
		return TSO_REQ_SIZE;
	return TSO_REQ_OK;
}

unsigned tso_count(const struct tso *t)
{
	uint32_t pay = t->p.end - t->hlen;

	return pay == 0 ? 1 : (unsigned)((pay + t->mss - 1) / t->mss);
}

int tso_next(struct tso *t, uint8_t *out, uint32_t cap)
{
	uint32_t pay = t->p.end - t->hlen, chunk, seglen;
	struct csum_pkt sp = t->p;
	uint8_t *tcp, fl;
	bool last;

	if (t->n > 0 && t->off >= pay)
		return 0;
	chunk = pay - t->off < t->mss ? pay - t->off : t->mss;
	seglen = t->hlen + chunk;
	if (seglen > cap)
		return -ENOSPC;
	last = t->off + chunk >= pay;
	memcpy(out, t->f, t->hlen);
	memcpy(out + t->hlen, t->f + t->hlen + t->off, chunk);
	if (t->p.v6) {
		be_put16(out + t->p.l3 + 4, (uint16_t)(seglen - t->p.l3 - 40));
	} else {
		be_put16(out + t->p.l3 + 2, (uint16_t)(seglen - t->p.l3));
		be_put16(out + t->p.l3 + 4, (uint16_t)(t->ip_id + t->n));
	}
	tcp = out + t->p.l4;
	be_put32(tcp + 4, t->seq + t->off);
	/* CWR only on the first segment, FIN and PSH only on the last (as Linux's GSO). */
	fl = t->flags;
	if (t->n > 0)
		fl &= (uint8_t)~TCP_CWR;
	if (!last)
		fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
	tcp[13] = fl;
	sp.end = seglen;
	if (t->csum) {
		csum_complete(out, &sp, true);
	} else {
		be_put16(tcp + 16, 0);
		csum_ip4_hdr(out, &sp);
	}
	t->off += chunk;
	t->n++;
	return (int)seglen;
}
