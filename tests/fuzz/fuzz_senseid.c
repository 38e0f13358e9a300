/* tests/fuzz/fuzz_senseid.c - libFuzzer target: SENSE ID and RCD decoders, with
 * encode(decode(x)) round trips that must decode to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "css/rcd.h"
#include "css/senseid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_nd(const struct rcd_nd *a, const struct rcd_nd *b)
{
	if (a->flags != b->flags || a->params != b->params || a->tag != b->tag ||
	    strcmp(a->type, b->type) || strcmp(a->model, b->model) || strcmp(a->mfr, b->mfr) ||
	    strcmp(a->plant, b->plant) || strcmp(a->seq, b->seq))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct senseid id, back;
	struct rcd_view v;
	struct rcd_nd nd, nd2;
	uint8_t b[SENSEID_SIZE], nb[RCD_ND_SIZE];
	int n;

	if (senseid_decode(data, size, &id) == 0) {
		n = senseid_encode(&id, b, sizeof(b));
		if (n < SENSEID_BASIC_SIZE || senseid_decode(b, (size_t)n, &back) != 0)
			abort();
		if (back.cu_type != id.cu_type || back.dev_type != id.dev_type ||
		    back.cu_model != id.cu_model || back.dev_model != id.dev_model ||
		    back.nciw != id.nciw)
			abort();
		for (unsigned i = 0; i < id.nciw; i++)
			if (memcmp(&back.ciw[i], &id.ciw[i], sizeof(id.ciw[i])) != 0)
				abort();
	}
	if (rcd_decode(data, size, &v) == 0) {
		for (unsigned i = 0; i < 3; i++) {
			if (rcd_nd_encode(&v.nd[i], nb, sizeof(nb)) != RCD_ND_SIZE)
				abort();
			if (rcd_nd_decode(nb, sizeof(nb), &nd2) != 0)
				abort();
			same_nd(&v.nd[i], &nd2);
		}
	}
	if (rcd_nd_decode(data, size, &nd) == 0 && rcd_nd_encode(&nd, nb, sizeof(nb)) < 0)
		abort();
	return 0;
}
