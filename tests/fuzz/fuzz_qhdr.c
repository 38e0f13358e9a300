/* tests/fuzz/fuzz_qhdr.c - libFuzzer target for the qeth packet headers (qeth/qhdr.h).
 * Any input as one buffer element: walk header+frame pairs, encode/decode fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qeth/qhdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int steps = 0;

	/* The way an element is parsed: header, frame, next header, until the end. */
	while (off < size) {
		struct qhdr h, g;
		uint8_t e1[QHDR_TSO_HDR_SIZE], e2[QHDR_TSO_HDR_SIZE];
		int rc, span, n;

		rc = qhdr_decode(data + off, size - off, &h);
		must(rc == 0 || rc == -EMSGSIZE || rc == -EPROTO || rc == -EBADMSG);
		if (rc < 0)
			break;
		(void)qhdr_id_name(h.id);
		n = qhdr_encode(&h, e1, sizeof(e1));
		must(n == (int)qhdr_len(h.id) && (size_t)n <= size - off);
		/* The header bytes that carry fields come back unchanged. */
		must(memcmp(e1, data + off, qhdr_id_is_l2(h.id) ? 12 : QHDR_SIZE) == 0);
		must(qhdr_decode(e1, (size_t)n, &g) == 0);
		must(qhdr_encode(&g, e2, sizeof(e2)) == n);
		must(memcmp(e1, e2, (size_t)n) == 0);
		span = qhdr_frame_span(&h, size - off);
		must(span == -EMSGSIZE || (span >= n && (size_t)span <= size - off));
		if (span < 0)
			break;
		off += (size_t)span;
		must(++steps <= 65536);
	}
	return 0;
}
