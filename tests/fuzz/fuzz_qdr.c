/* tests/fuzz/fuzz_qdr.c - libFuzzer target: QDR/QIB/SLIB/SBAL codecs and Establish-time
 * QDR validation over random bytes and random guest storage; round trips must hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/gstor.h"
#include "qdio/blocks.h"
#include "qdio/queue.h"

#define STOR_SIZE 0x10000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip_blocks(const uint8_t *raw)
{
	uint8_t enc[QDR_SIZE];
	struct qdr q, q2;
	struct qib b, b2;
	struct slib s, s2;
	struct sbal l, l2;

	if (qdr_decode(raw, QDR_SIZE, &q) == 0) {
		if (qdr_encode(&q, enc, sizeof(enc)) != QDR_SIZE)
			abort();
		if (qdr_decode(enc, sizeof(enc), &q2) != 0 || memcmp(&q, &q2, sizeof(q)) != 0)
			abort();
	}
	memset(&b, 0, sizeof(b));
	memset(&b2, 0, sizeof(b2));
	if (qib_decode(raw, QIB_SIZE, &b) != 0 || qib_encode(&b, enc, sizeof(enc)) != QIB_SIZE)
		abort();
	if (qib_decode(enc, QIB_SIZE, &b2) != 0 || memcmp(&b, &b2, sizeof(b)) != 0)
		abort();
	if (slib_decode(raw, SLIB_SIZE, &s) != 0 || slib_encode(&s, enc, sizeof(enc)) != SLIB_SIZE)
		abort();
	if (slib_decode(enc, SLIB_SIZE, &s2) != 0 || memcmp(&s, &s2, sizeof(s)) != 0)
		abort();
	memset(&l, 0, sizeof(l));
	memset(&l2, 0, sizeof(l2));
	if (sbal_decode(raw, SBAL_SIZE, &l) != 0 || sbal_encode(&l, enc, sizeof(enc)) != SBAL_SIZE)
		abort();
	if (sbal_decode(enc, SBAL_SIZE, &l2) != 0 || memcmp(&l, &l2, sizeof(l)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t raw[QDR_SIZE];
	struct gstor gs;
	struct qdr q;
	struct qib qib;
	struct qdio_queue qq;
	size_t n = size < QDR_SIZE ? size : QDR_SIZE;
	uint64_t at = 0;
	unsigned i;

	memset(raw, 0, sizeof(raw));
	memcpy(raw, data, n);
	roundtrip_blocks(raw);

	if (gs_plain_init(&gs, STOR_SIZE) != 0)
		return 0;
	/* Storage: the QDR at 0, whatever follows the QDR in the input behind it. */
	gs_store(&gs, 0, raw, QDR_SIZE);
	if (size > QDR_SIZE) {
		size_t rest = size - QDR_SIZE;

		if (rest > STOR_SIZE - QDR_SIZE)
			rest = STOR_SIZE - QDR_SIZE;
		gs_store(&gs, QDR_SIZE, data + QDR_SIZE, rest);
		if (rest >= 8)
			at = (uint64_t)data[QDR_SIZE] << 8 | data[QDR_SIZE + 1];
	}
	for (i = 0; i < 2; i++) {
		uint64_t addr = i ? at : 0;

		if (qdr_fetch(&gs, addr, &q) != 0)
			continue;
		/* A QDR that passed Establish gives usable queues and a readable QIB. */
		if (qib_fetch(&gs, q.qiba, &qib) != 0)
			abort();
		if (qdio_queue_init(&qq, &gs, &q, false, q.iqdcnt - 1u) != 0 ||
		    qdio_queue_init(&qq, &gs, &q, true, q.oqdcnt - 1u) != 0)
			abort();
	}
	gs_plain_free(&gs);
	return 0;
}
