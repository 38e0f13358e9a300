/* tests/fuzz/fuzz_ccw.c - libFuzzer target: CCW codec round trip and the chain walker
 * over random guest storage; must terminate and never touch outside storage. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "css/ccw.h"
#include "lib/gstor.h"

#define CTL 8	/* control bytes: cpa (4), device-length seeds (4) */

static uint8_t devbuf[CCW_DC_MAX * 0x10000u];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gstor gs;
	struct ccw_walk w;
	struct ccw_cmd cmd;
	struct ccw_xfer x;
	struct ccw1 c;
	uint8_t *mem;
	uint32_t cpa;
	size_t msize;
	unsigned step = 0;
	int rc;

	if (size >= CCW_SIZE && ccw1_decode(data, size, &c) == 0) {
		uint8_t b[CCW_SIZE];

		if (ccw1_encode(&c, b, sizeof(b)) != CCW_SIZE || memcmp(b, data, CCW_SIZE))
			abort();
	}
	if (size < CTL)
		return 0;
	/* Storage is exactly the rest of the input, so ASan sees any stray access. */
	msize = size - CTL;
	mem = malloc(msize ? msize : 1);
	if (!mem)
		return 0;
	memcpy(mem, data + CTL, msize);
	gs_wrap(&gs, mem, msize);
	cpa = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	/* Mostly aim inside storage so that walks get somewhere. */
	if (!(data[0] & 0x40) && msize)
		cpa = (uint32_t)(cpa % msize);
	if (ccw_chain_begin(&w, &gs, cpa) != 0)
		goto out_mem;
	while ((rc = ccw_chain_next_cmd(&w, &gs, &cmd)) == 1) {
		uint8_t sel = data[4 + (step & 3)];
		uint32_t len = (uint32_t)sel * 97u % (cmd.total + 64u);

		if (cmd.nseg == 0 || cmd.nseg > CCW_DC_MAX || w.fetches > CCW_WALK_MAX_FETCH)
			abort();
		switch (sel & 3) {
		case 0:
			rc = ccw_chain_end_cmd(&w, &x);
			break;
		case 1:
			rc = ccw_chain_write_data(&w, &gs, devbuf, len, &x);
			break;
		default:
			rc = ccw_chain_read_data(&w, &gs, devbuf, len, &x);
			break;
		}
		if (rc == 0 && (x.moved > cmd.total || x.moved > len))
			abort();
		if (rc)
			break;
		if (++step > 4 * CCW_WALK_MAX_FETCH)
			abort();	/* the walker must bound itself */
	}
out_mem:
	free(mem);
	return 0;
}
