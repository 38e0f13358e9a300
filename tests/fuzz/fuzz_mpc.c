/* tests/fuzz/fuzz_mpc.c - libFuzzer target for MPC framing and the setup exchange (qeth/mpc.c).
 * Any input: full parse, PUS walk, driver-side locate; parsed requests answered and read back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qeth/mpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
	if (!cond)
		abort();
}

/* Re-encode a parsed request with the driver encoders; it must parse to the same fields. */
static void reencode(const struct mpc_req *r)
{
	uint8_t b[256];
	struct mpc_hdr h = { .th_seq = r->msg.th_seq, .pdu_seq = r->msg.pdu_seq,
			     .ack_seq = r->msg.ack_seq, .dest_token = r->msg.dest_token };
	struct mpc_req again;
	int n = -1;

	switch (r->cmd) {
	case MPC_CM_ENABLE:
		if (r->filter_proto != MPC_PROTO_SETUP)
			return; /* Linux's CM_ENABLE always says 0x7E */
		n = mpc_cm_enable_encode(&h, r->filter_token, b, sizeof(b));
		break;
	case MPC_CM_SETUP:
		n = mpc_cm_setup_encode(&h, r->conn_token, r->peer_filter, b, sizeof(b));
		break;
	case MPC_ULP_ENABLE:
		n = mpc_ulp_enable_encode(&h, r->filter_proto, r->ulp.linknum, r->filter_token,
					  b, sizeof(b));
		break;
	case MPC_ULP_SETUP:
		n = mpc_ulp_setup_encode(&h, r->conn_token, r->peer_filter, r->devno, r->realaddr,
					 b, sizeof(b));
		break;
	case MPC_DM_ACT:
		n = mpc_dm_act_encode(&h, r->conn_token, b, sizeof(b));
		break;
	}
	must(n > 0);
	must(mpc_req_decode(b, (size_t)n, &again) == 0);
	must(again.cmd == r->cmd);
	must(again.msg.pdu_seq == r->msg.pdu_seq && again.msg.dest_token == r->msg.dest_token);
	/* Only the fields the command carries: extra PUS items are not re-encoded. */
	switch (r->cmd) {
	case MPC_CM_ENABLE:
	case MPC_ULP_ENABLE:
		must(again.filter_token == r->filter_token);
		must(again.filter_proto == r->filter_proto);
		break;
	case MPC_ULP_SETUP:
		must(again.devno == r->devno && again.realaddr == r->realaddr);
		/* fall through */
	case MPC_CM_SETUP:
		must(again.peer_filter == r->peer_filter);
		/* fall through */
	case MPC_DM_ACT:
		must(again.conn_token == r->conn_token);
		break;
	}
}

static void answer(const struct mpc_req *r, const uint8_t *data, size_t size)
{
	static uint8_t rep[MPC_MSG_MAX];
	struct mpc_adapter_params a = { .filter_token = 0xD8C5E3F2u, .conn_token = 0xD8C5E3F3u,
					.max_mtu = 1500, .link_type = MPC_LINK_GBE };
	struct mpc_hdr h;
	struct mpc_msg m;
	struct mpc_ulp_info ui;
	uint32_t tok = 0;
	int n;

	if (size >= 4)
		a.max_mtu = (uint16_t)(data[size - 1] | data[size - 2] << 8);
	mpc_reply_hdr(r, r->msg.th_seq, r->msg.pdu_seq, r->msg.dest_token, &h);
	n = mpc_reply_encode(&h, r, &a, rep, sizeof(rep));
	must(n > 0 && n < 256);
	must(mpc_msg_decode(rep, (size_t)n, &m) == 0);
	must(m.ack_seq == r->msg.pdu_seq);
	switch (r->cmd) {
	case MPC_CM_ENABLE:
		must(mpc_drv_cm_enable_reply(rep, (size_t)n, &tok) == 0 && tok == a.filter_token);
		break;
	case MPC_CM_SETUP:
		must(mpc_drv_cm_setup_reply(rep, (size_t)n, &tok) == 0 && tok == a.conn_token);
		break;
	case MPC_ULP_ENABLE:
		must(mpc_drv_ulp_enable_reply(rep, (size_t)n, &ui) == 0);
		must(ui.filter_token == a.filter_token && ui.max_mtu == a.max_mtu &&
		     ui.link_type == a.link_type);
		break;
	case MPC_ULP_SETUP:
		must(mpc_drv_ulp_setup_reply(rep, (size_t)n, &tok) == 0 && tok == a.conn_token);
		break;
	case MPC_DM_ACT:
		must(mpc_drv_dm_act_reply(rep, (size_t)n) == 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mpc_msg m;
	struct mpc_req r;
	struct mpc_drv_loc loc;
	struct mpc_ulp_info ui;
	struct mpc_puk puk;
	struct mpc_pus_iter it;
	struct mpc_pus s;
	uint32_t tok;

	/* The driver side on raw bytes. */
	(void)mpc_drv_locate(data, size, &loc);
	(void)mpc_drv_cm_enable_reply(data, size, &tok);
	(void)mpc_drv_ulp_enable_reply(data, size, &ui);
	(void)mpc_drv_ulp_setup_reply(data, size, &tok);
	(void)mpc_drv_dm_act_reply(data, size);

	if (mpc_msg_decode(data, size, &m) != 0)
		return 0;
	must(m.pdu_off + m.pdu_len == m.total_len && m.total_len <= size);
	/* Walk whatever PUS items the PDU holds, with every accessor on each. */
	if (mpc_puk_decode(data + m.pdu_off, m.pdu_len, &puk) == 0) {
		mpc_pus_iter_init(&it, data + m.pdu_off, &puk);
		while (mpc_pus_next(&it, &s) > 0) {
			struct mpc_ulp_params u;
			const uint8_t *d;
			size_t n;
			uint8_t proto, ud[8];
			uint16_t dev, ra;

			must(s.p >= data + m.pdu_off + MPC_PUK_SIZE &&
			     s.p + s.len <= data + m.pdu_off + m.pdu_len);
			(void)mpc_pus_filter(&s, &proto, &tok);
			(void)mpc_pus_user_data(&s, ud);
			(void)mpc_pus_token(&s, &tok);
			(void)mpc_pus_bytes(&s, &d, &n);
			(void)mpc_pus_ulp(&s, &u);
			(void)mpc_pus_devno(&s, &dev, &ra);
		}
	}
	if (mpc_req_decode(data, size, &r) != 0)
		return 0;
	reencode(&r);
	answer(&r, data, size);
	return 0;
}
