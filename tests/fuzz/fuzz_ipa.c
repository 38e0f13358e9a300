/* tests/fuzz/fuzz_ipa.c - libFuzzer target for the IPA command codecs (qeth/ipa.c).
 * Any input as a whole PDU and as a bare command: decode, entry walks, encode/decode fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qeth/ipa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

static uint8_t enc1[70000], enc2[70000], rep[70000];

/* Walk whatever lists the command carries; every accessor stays inside the data. */
static void walk(const struct ipa_cmd *c, int status)
{
	uint8_t addr[16];
	uint32_t flags;
	struct ipa_sbp_entry se;
	struct ipa_acn_entry ae;
	struct ipa_oat_record r;
	size_t pos = 0;
	int rc, steps = 0;

	switch (c->hdr.cmd) {
	case IPA_CMD_SETBRIDGEPORT_OSA:
	case IPA_CMD_SETBRIDGEPORT_IQD:
		for (unsigned i = 0; i < c->u.sbp.n_entries; i++)
			must(ipa_sbp_entry_get(&c->u.sbp, i, &se) == 0);
		break;
	case IPA_CMD_REGISTER_LOCAL_ADDR:
	case IPA_CMD_UNREGISTER_LOCAL_ADDR:
		for (uint32_t i = 0; i < c->u.laddr.count; i++)
			must(ipa_local_addr_get(&c->u.laddr, i, addr, &flags) == 0);
		must(ipa_local_addr_get(&c->u.laddr, c->u.laddr.count, addr, &flags) == -EINVAL);
		break;
	case IPA_CMD_ADDRESS_CHANGE_NOTIF:
		for (uint32_t i = 0; i < c->u.acn.count; i++)
			must(ipa_acn_entry_get(&c->u.acn, i, &ae) == 0);
		break;
	case IPA_CMD_SETADAPTERPARMS:
		if (status != 0 || c->u.setadp.subcmd != IPA_SETADP_QUERY_OAT ||
		    c->u.setadp.data_len <= IPA_ADP_OAT_OFF_RECORDS)
			break;
		while ((rc = ipa_oat_record_next(c->u.setadp.data + IPA_ADP_OAT_OFF_RECORDS,
						 c->u.setadp.data_len - IPA_ADP_OAT_OFF_RECORDS,
						 &pos, &r)) == 1)
			must(++steps < 70000);
		must(rc == 0 || rc == -EMSGSIZE || rc == -EBADMSG);
		break;
	}
}

static void one(const uint8_t *data, size_t size)
{
	struct ipa_cmd c, d;
	int rc, n, m, rc2;

	memset(&c, 0, sizeof(c));
	rc = ipa_cmd_decode(data, size, &c);
	must(rc == 0 || rc == IPA_DECODE_UNKNOWN_CMD || rc == IPA_DECODE_UNKNOWN_SUBCMD ||
	     rc == -EMSGSIZE || rc == -EBADMSG);
	(void)ipa_rc_name(c.hdr.rc);
	(void)ipa_cmd_name(c.hdr.cmd);
	if (rc < 0)
		return;
	walk(&c, rc);

	/* encode(decode(x)) never grows, decodes with the same status, and is a fixed
	 * point of decode+encode. */
	n = ipa_cmd_encode(&c, enc1, sizeof(enc1));
	must(n >= IPA_HDR_SIZE && (size_t)n <= size);
	must(ipa_cmd_size(&c) == n);
	memset(&d, 0, sizeof(d));
	rc2 = ipa_cmd_decode(enc1, (size_t)n, &d);
	must(rc2 == rc);
	m = ipa_cmd_encode(&d, enc2, sizeof(enc2));
	must(m == n);
	must(memcmp(enc1, enc2, (size_t)n) == 0);
	must(ipa_cmd_encode(&c, enc2, (size_t)n - 1) == -ENOSPC);

	/* The adapter's reply keeps everything but initiator and return code. */
	must(ipa_reply_build(data, size, IPA_INIT_OSA_REPLY, IPA_RC_NOTSUPP, rep,
			     sizeof(rep)) == (int)size || size > sizeof(rep));
	if (size <= sizeof(rep)) {
		must(ipa_is_reply(rep, size) == 1);
		must(memcmp(rep + IPA_HDR_SIZE, data + IPA_HDR_SIZE, size - IPA_HDR_SIZE) == 0);
		must(memcmp(rep + 2, data + 2, 2) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off, cl;
	int rc;

	rc = ipa_pdu_payload(data, size, &off, &cl);
	must(rc == 0 || rc == -EMSGSIZE || rc == -EPROTO || rc == -EBADMSG);
	if (rc == 0) {
		must(off == IPA_PDU_HDR_SIZE && cl >= IPA_HDR_SIZE && off + cl <= size);
		one(data + off, cl);
	}
	one(data, size);
	return 0;
}
