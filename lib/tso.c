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
