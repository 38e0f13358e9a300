/* vnic/control.c - the control path of a virtual NIC: IDX ACTIVATE on the read and
 * write devices, the MPC connection (CM/ULP/DM), and the read device's message ring. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qeth/idx.h"
#include "qeth/ipa.h"
#include "qeth/mpc.h"
#include "vnic/nic_int.h"

uint32_t nic_next_seq(struct nicbk *nic)
{
	return ++nic->seq_out;
}

int nic_post_msg(struct nicbk *nic, const uint8_t *msg, uint32_t len)
{
	unsigned slot;

	if (len == 0 || len > NIC_MSG_MAX)
		return -EMSGSIZE;
	if (nic->msg_count >= NIC_MSG_RING) {
		/* The guest stopped reading; what it never reads it will time out on. */
		nic->st.msg_overflow++;
		return -ENOSPC;
	}
	/* The ring comes with the first message: a NIC that is never brought online
	 * (most of a big directory's) costs no 128 KiB. */
	if (!nic->msgbuf && !(nic->msgbuf = malloc((size_t)NIC_MSG_RING * NIC_MSG_MAX)))
		return -ENOMEM;
	slot = (nic->msg_head + nic->msg_count) % NIC_MSG_RING;
	memcpy(nic->msgbuf + (size_t)slot * NIC_MSG_MAX, msg, len);
	nic->msglen[slot] = (uint16_t)len;
	nic->msg_count++;
	if (nic->rdev && nic->rdev->read_waiting) {
		nic->rdev->read_waiting = false;
		if (nic->rdev->chan && nic->rdev->chan->ready)
			nic->rdev->chan->ready(nic->rdev->chan_ctx);
	}
	return 0;
}

int nic_pop_msg(struct nicbk *nic, uint8_t *buf, uint32_t cap)
{
	unsigned slot = nic->msg_head;
	uint32_t len;

	if (!nic->msg_count)
		return -EAGAIN;
	len = nic->msglen[slot];
	/* A READ shorter than the message gets its start; Linux always reads 4 KiB. */
	memcpy(buf, nic->msgbuf + (size_t)slot * NIC_MSG_MAX, len < cap ? len : cap);
	nic->msg_head = (slot + 1) % NIC_MSG_RING;
	nic->msg_count--;
	return (int)len;
}

void nic_conn_reset(struct nicbk *nic)
{
	if (nic->state >= NC_ULP_ENABLED || nic->lan_started)
		nic_ipa_forget(nic);
	for (unsigned i = 0; i < nic->ndev; i++) {
		struct nidbk *d = &nic->dev[i];

		if (d->role == NID_READ || d->role == NID_WRITE)
			d->role = NID_UNASSIGNED;
		d->read_waiting = false;
		d->idx_reply_len = 0;
	}
	nic->rdev = nic->wdev = NULL;
	nic->state = NC_IDLE;
	nic->layer = 0;
	nic->msg_head = nic->msg_count = 0;
	nic->host_cm_filter = nic->host_cm_conn = 0;
	nic->host_ulp_filter = nic->host_ulp_conn = 0;
	nic->host_issuer = 0;
}

/* IDX ACTIVATE arrives as a WRITE chained to a READ that takes the reply. */
int nic_ctl_idx(struct nidbk *d, const uint8_t *buf, uint32_t len)
{
	struct nicbk *nic = d->nic;
	struct idx_req req;
	struct idx_reply_params p = { IDX_POSITIVE, 0, NIC_TOK_ISSUER(nic),
				      { 0xC3, 0xD7, 0xD5, 0xF1 } };	/* "CPN1" */
	bool rd;
	int rc;

	rc = idx_req_decode(buf, len, &req);
	if (rc < 0)
		return rc;
	if (d->role != NID_UNASSIGNED)
		return -EPROTO;		/* IDX twice without an intervening clear */
	rd = req.type == IDX_TYPE_READ;
	if (rd && nic->rdev) {
		p.verdict = IDX_NEGATIVE;	/* another connection holds the NIC */
		p.cause = IDX_CAUSE_BUSY;
	} else if (!rd && (nic->state != NC_IDX_READ || nic->wdev)) {
		p.verdict = IDX_NEGATIVE;
		p.cause = IDX_CAUSE_BUSY;
	} else if (req.portno != nic->cfg.portno) {
		p.verdict = IDX_NEGATIVE;	/* not the port these devices reach */
		p.cause = IDX_CAUSE_NOAUTH;
	} else if (nic_find_dev(nic, req.datadev) == NULL) {
		p.verdict = IDX_NEGATIVE;	/* data device not part of this NIC */
		p.cause = IDX_CAUSE_NOAUTH;
	}
	rc = idx_reply_encode(&req, &p, d->idx_reply, sizeof(d->idx_reply));
	if (rc < 0)
		return rc;
	d->idx_reply_len = (uint16_t)rc;
	if (p.verdict != IDX_POSITIVE)
		return 0;
	if (rd) {
		d->role = NID_READ;
		nic->rdev = d;
		nic->state = NC_IDX_READ;
		nic->host_issuer = req.token;
		nic->func_level = req.func_level;
	} else {
		d->role = NID_WRITE;
		nic->wdev = d;
		nic->state = NC_IDX_BOTH;
	}
	return 0;
}

/* The reply geometry: our sequence numbers, the request's as ack. */
static void reply_hdr(struct nicbk *nic, const struct mpc_req *req, uint32_t dest,
		      struct mpc_hdr *h)
{
	uint32_t seq = nic_next_seq(nic);

	mpc_reply_hdr(req, seq, seq, dest, h);
}

static int mpc_setup(struct nicbk *nic, const uint8_t *buf, uint32_t len)
{
	uint8_t out[NIC_MSG_MAX];
	struct mpc_req req;
	struct mpc_hdr h;
	enum nic_conn_state next;
	uint32_t *save = NULL;		/* where the host's token goes on success */
	uint32_t token = 0;
	int n, rc;

	rc = mpc_req_decode(buf, len, &req);
	if (rc < 0)
		return rc;
	nic->st.mpc_cmds++;
	switch (req.cmd) {
	case MPC_CM_ENABLE:
		if (nic->state != NC_IDX_BOTH || req.msg.dest_token != NIC_TOK_ISSUER(nic))
			return -EPROTO;
		reply_hdr(nic, &req, nic->host_issuer, &h);
		n = mpc_cm_enable_reply_encode(&h, &req, NIC_TOK_CM_FILTER(nic), out,
					       sizeof(out));
		save = &nic->host_cm_filter;
		token = req.filter_token;
		next = NC_CM_ENABLED;
		break;
	case MPC_CM_SETUP:
		if (nic->state != NC_CM_ENABLED || req.peer_filter != NIC_TOK_CM_FILTER(nic) ||
		    req.msg.dest_token != NIC_TOK_ISSUER(nic))
			return -EPROTO;
		reply_hdr(nic, &req, nic->host_issuer, &h);
		n = mpc_cm_setup_reply_encode(&h, &req, NIC_TOK_CM_CONN(nic), out, sizeof(out));
		save = &nic->host_cm_conn;
		token = req.conn_token;
		next = NC_CM_SETUP;
		break;
	case MPC_ULP_ENABLE:
		if (nic->state != NC_CM_SETUP || req.msg.dest_token != NIC_TOK_CM_CONN(nic))
			return -EPROTO;
		if (req.filter_proto != IPA_PDU_PROT_L2 && req.filter_proto != IPA_PDU_PROT_L3)
			return -EBADMSG;
		if (req.ulp.linknum != nic->cfg.portno)
			return -EBADMSG;
		reply_hdr(nic, &req, nic->host_cm_conn, &h);
		n = mpc_ulp_enable_reply_encode(&h, &req, NIC_TOK_ULP_FILTER(nic),
						nic->cfg.max_mtu, nic->cfg.link_type, out,
						sizeof(out));
		save = &nic->host_ulp_filter;
		token = req.filter_token;
		next = NC_ULP_ENABLED;
		break;
	case MPC_ULP_SETUP:
		if (nic->state != NC_ULP_ENABLED || req.peer_filter != NIC_TOK_ULP_FILTER(nic) ||
		    req.msg.dest_token != NIC_TOK_CM_CONN(nic))
			return -EPROTO;
		reply_hdr(nic, &req, nic->host_cm_conn, &h);
		n = mpc_ulp_setup_reply_encode(&h, &req, NIC_TOK_ULP_CONN(nic), out,
					       sizeof(out));
		save = &nic->host_ulp_conn;
		token = req.conn_token;
		next = NC_ULP_SETUP;
		break;
	case MPC_DM_ACT:
		if (nic->state != NC_ULP_SETUP || req.conn_token != NIC_TOK_ULP_CONN(nic) ||
		    req.msg.dest_token != NIC_TOK_CM_CONN(nic))
			return -EPROTO;
		reply_hdr(nic, &req, nic->host_cm_conn, &h);
		n = mpc_dm_act_reply_encode(&h, &req, out, sizeof(out));
		next = NC_DM_ACT;
		break;
	default:
		return -EPROTO;
	}
	if (n < 0)
		return n;
	/* The connection moves on only once the reply is on its way: a guest that
	 * stopped reading gets a unit check and finds the state as it was. */
	rc = nic_post_msg(nic, out, (uint32_t)n);
	if (rc < 0)
		return rc;
	if (save)
		*save = token;
	nic->state = next;
	if (req.cmd == MPC_ULP_ENABLE) {
		struct paddr a = { .op = PA_LAYER };

		nic->layer = req.filter_proto == IPA_PDU_PROT_L2 ? 2 : 3;
		a.value = nic->layer;
		port_addr(&nic->port, &a);
	}
	return 0;
}

int nic_ctl_write(struct nidbk *d, const uint8_t *buf, uint32_t len)
{
	struct nicbk *nic = d->nic;
	struct mpc_msg m;
	int rc;

	if (nic->state < NC_IDX_BOTH)
		return -EPROTO;
	rc = mpc_msg_decode(buf, len, &m);
	if (rc < 0)
		return rc;
	if (m.rrh_type == IPA_PDU_RRH_TYPE_IPA) {
		if (nic->state != NC_DM_ACT || m.dest_token != NIC_TOK_ULP_CONN(nic))
			return -EPROTO;
		return nic_ipa(nic, buf, len);
	}
	return mpc_setup(nic, buf, len);
}
