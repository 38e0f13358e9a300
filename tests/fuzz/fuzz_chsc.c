/* tests/fuzz/fuzz_chsc.c - libFuzzer target: CHSC request decoders (with exact
 * re-encoding) and chsc_handle on a random 4 KiB block. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "css/chsc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int chp(void *ctx, uint8_t cssid, uint8_t chpid, struct chsc_chpd0 *out)
{
	(void)ctx;
	if (cssid || (chpid & 1))
		return -ENOENT;
	*out = (struct chsc_chpd0){ .flags = CHPD0_VALID, .desc = CHP_TYPE_OSD, .chpid = chpid };
	return 0;
}

static int ssqd(void *ctx, uint8_t ssid, uint16_t sch, struct chsc_ssqd_desc *out)
{
	(void)ctx;
	if (ssid || sch > 16)
		return -ENOENT;
	*out = (struct chsc_ssqd_desc){ .flags = 0xC0, .sch = sch, .qdioac1 = 0x6C };
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct chsc_ops ops = { chp, ssqd, NULL };
	static uint8_t blk[CHSC_BLOCK_SIZE];
	struct chsc_scpd_req sq;
	struct chsc_ssqd_req qq;
	struct chsc_rsp r;
	uint8_t b[16];
	uint16_t rc, req_len;

	if (chsc_scpd_req_decode(data, size, &sq) == 0) {
		if (chsc_scpd_req_encode(&sq, b, sizeof(b)) != 16 || memcmp(b, data, 16))
			abort();
	}
	if (chsc_ssqd_req_decode(data, size, &qq) == 0) {
		if (chsc_ssqd_req_encode(&qq, b, sizeof(b)) != 16 || memcmp(b, data, 16))
			abort();
	}
	memset(blk, 0, sizeof(blk));
	memcpy(blk, data, size < sizeof(blk) ? size : sizeof(blk));
	if (chsc_handle(blk, sizeof(blk), &ops, &rc) != 0)
		return 0;
	req_len = (uint16_t)(blk[0] << 8 | blk[1]);
	if (chsc_rsp_decode(blk + req_len, sizeof(blk) - req_len, &r) != 0 || r.code != rc)
		abort();
	if (rc != CHSC_RC_OK && r.len != CHSC_RSP_SIZE)
		abort();
	return 0;
}
