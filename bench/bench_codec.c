/* bench/bench_codec.c - decode rate of the per-frame qeth header, an IPA command in its
 * MPC frame and an MPC setup request, each against memcpy of the same bytes. */
#include <stdio.h>
#include <string.h>

#include "bench/common.h"
#include "qeth/ipa.h"
#include "qeth/mpc.h"
#include "qeth/qhdr.h"

#define BATCH 1024

struct msg {
	uint8_t buf[512];
	uint32_t len;
};

/* memcpy of the message into a destination of the same size. */
static uint64_t copy_run(void *ctx)
{
	const struct msg *m = ctx;
	uint8_t dst[sizeof(m->buf)];

	for (unsigned i = 0; i < BATCH; i++) {
		BENCH_USE(m->buf);
		memcpy(dst, m->buf, m->len);
		BENCH_USE(dst);
	}
	return BATCH;
}

static uint64_t qhdr_run(void *ctx)
{
	const struct msg *m = ctx;
	struct qhdr h;

	for (unsigned i = 0; i < BATCH; i++) {
		BENCH_USE(m->buf);
		if (qhdr_decode(m->buf, m->len, &h) < 0)
			return 0;
		BENCH_USE(&h);
	}
	return BATCH;
}

/* The adapter's path for an IPA request: locate it in the PDU, decode it. */
static uint64_t ipa_run(void *ctx)
{
	const struct msg *m = ctx;
	struct ipa_cmd c;
	size_t off, cl;

	for (unsigned i = 0; i < BATCH; i++) {
		BENCH_USE(m->buf);
		if (ipa_pdu_payload(m->buf, m->len, &off, &cl) < 0 ||
		    ipa_cmd_decode(m->buf + off, cl, &c) != 0)
			return 0;
		BENCH_USE(&c);
	}
	return BATCH;
}

static uint64_t mpc_run(void *ctx)
{
	const struct msg *m = ctx;
	struct mpc_req r;

	for (unsigned i = 0; i < BATCH; i++) {
		BENCH_USE(m->buf);
		if (mpc_req_decode(m->buf, m->len, &r) < 0)
			return 0;
		BENCH_USE(&r);
	}
	return BATCH;
}

static int build_qhdr(struct msg *m)
{
	struct qhdr h;

	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2;
	h.l2.flags2 = QHDR_L2_UCAST;
	h.l2.pkt_len = 1500;
	m->len = QHDR_SIZE;
	return qhdr_encode(&h, m->buf, sizeof(m->buf));
}

/* SETIP of an IPv4 address, framed the way the write device carries it. */
static int build_ipa(struct msg *m)
{
	struct ipa_cmd c;
	struct mpc_hdr h;
	int n, rc;

	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SETIP;
	c.hdr.seqno = 7;
	c.hdr.adapter_type = 1;
	c.hdr.prim_version = 1;
	c.hdr.prot = IPA_PROT_V4;
	memcpy(c.u.setip.addr, (const uint8_t[4]){ 10, 1, 0, 1 }, 4);
	memcpy(c.u.setip.mask, (const uint8_t[4]){ 255, 255, 255, 0 }, 4);
	n = ipa_cmd_size(&c);
	if (n < 0)
		return n;
	memset(&h, 0, sizeof(h));
	h.th_seq = 5;
	h.rrh_type = MPC_RRH_IPA;
	h.proto = MPC_PROTO_L3;
	h.pdu_seq = 9;
	h.dest_token = 0xC3C30A00u;
	rc = mpc_frame_encode(&h, (size_t)n, m->buf, sizeof(m->buf));
	if (rc < 0)
		return rc;
	n = ipa_cmd_encode(&c, m->buf + rc, sizeof(m->buf) - (size_t)rc);
	if (n < 0)
		return n;
	m->len = (uint32_t)(rc + n);
	return 0;
}

/* ULP_ENABLE as Linux sends it: the longest setup request (PUS-01 and PUS-0A). */
static int build_mpc(struct msg *m)
{
	struct mpc_hdr h;
	int n;

	memset(&h, 0, sizeof(h));
	h.th_seq = 3;
	h.pdu_seq = 3;
	h.dest_token = 0xC3C30A00u;
	n = mpc_ulp_enable_encode(&h, MPC_PROTO_L2, 0, MPC_TOK_ULP_FILTER_W, m->buf,
				  sizeof(m->buf));
	if (n < 0)
		return n;
	m->len = (uint32_t)n;
	return 0;
}

static int one(const char *name, int (*build)(struct msg *), uint64_t (*run)(void *),
	       double secs)
{
	struct msg m;
	struct bench_run r[2];
	char note[64];
	int rc;

	memset(&m, 0, sizeof(m));
	rc = build(&m);
	if (rc < 0) {
		fprintf(stderr, "bench_codec: %s: building the sample: %d\n", name, rc);
		return 1;
	}
	r[0] = (struct bench_run){ .name = name, .run = run, .ctx = &m };
	r[1] = (struct bench_run){ .name = "memcpy", .run = copy_run, .ctx = &m };
	if (bench_measure(r, 2, secs) < 0) {
		fprintf(stderr, "bench_codec: %s: the sample did not decode\n", name);
		return 1;
	}
	snprintf(note, sizeof(note), "(%u-byte message; memcpy %.1f Mpps)", m.len,
		 r[1].rate / 1e6);
	bench_report(name, &r[0], &r[1], note);
	return 0;
}

int main(void)
{
	double secs = bench_secs(1.0);

	return one("codec_qhdr", build_qhdr, qhdr_run, secs) |
	       one("codec_ipa_setip", build_ipa, ipa_run, secs) |
	       one("codec_mpc_ulp_enable", build_mpc, mpc_run, secs);
}
