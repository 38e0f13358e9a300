/* tests/fuzz/fuzz_idx.c - libFuzzer target for the IDX ACTIVATE codecs (qeth/idx.c).
 * Any input: adapter-side request decode, driver-side reply checks, reply round trips. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qeth/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idx_req r, again;
	struct idx_reply rep;
	struct idx_reply_params p;
	uint8_t buf[IDX_REQ_SIZE], out[IDX_REQ_SIZE];
	int rc;

	/* Driver side on raw bytes: never crashes, errors come from the vocabulary. */
	for (int rd = 0; rd < 2; rd++) {
		rc = idx_reply_accept(data, size, rd, size ? data[0] : 0x0101, &rep);
		must(rc == 0 || rc == -EMSGSIZE || rc == -EPROTO || rc == -EBUSY ||
		     rc == -EPERM || rc == -ECONNREFUSED || rc == -ECONNRESET ||
		     rc == -EPROTONOSUPPORT);
	}

	/* Cleared so that memcmp below compares padding as equal too. */
	memset(&r, 0, sizeof(r));
	memset(&again, 0, sizeof(again));
	if (idx_req_decode(data, size, &r) != 0)
		return 0;
	/* encode(decode(x)) decodes to the same request. */
	must(idx_req_encode(&r, buf, sizeof(buf)) == IDX_REQ_SIZE);
	must(idx_req_decode(buf, sizeof(buf), &again) == 0);
	must(memcmp(&r, &again, sizeof(r)) == 0);

	/* Every reply the adapter builds is read back as what it meant. */
	memset(&p, 0, sizeof(p));
	p.token = size > IDX_REQ_SIZE + 4 ? (uint32_t)data[IDX_REQ_SIZE] << 24 : 0xD8C5E3F1u;
	p.cause = size > IDX_REQ_SIZE ? data[size - 1] : 0x19;
	for (int v = IDX_POSITIVE; v <= IDX_TERMINATE; v++) {
		p.verdict = (enum idx_verdict)v;
		must(idx_reply_encode(&r, &p, out, sizeof(out)) == IDX_REQ_SIZE);
		rc = idx_reply_accept(out, sizeof(out), r.type == IDX_TYPE_READ, r.func_level, &rep);
		must(rep.verdict == p.verdict);
		if (v == IDX_POSITIVE) {
			/* The write device masks 0x0100 off the reply: a peer level with
			 * that bit cannot be matched there, by any adapter. */
			must(rc == 0 || (r.type == IDX_TYPE_WRITE &&
					 (idx_peer_level(r.func_level) & 0x0100)));
			must(rep.token == p.token);
			must(rep.portno == r.portno);
		} else {
			must(rc < 0);
			must(rep.cause == p.cause);
		}
	}
	return 0;
}
