/* driver/qdrv.h - the driver side of the OSA-Express QDIO protocol (what Linux qeth, qdio
 * and cio do): used by the synthetic guest, controller guests and CP's uplink driver. */
#ifndef CPNET_DRIVER_QDRV_H
#define CPNET_DRIVER_QDRV_H

#include <stdbool.h>
#include <stdint.h>

#include "css/rcd.h"
#include "css/senseid.h"
#include "css/subch.h"
#include "lib/gstor.h"
#include "qdio/queue.h"
#include "qeth/ipa.h"
#include "qeth/mpc.h"

/*
 * One qeth interface: three subchannels (read, write, data) of one struct css over
 * the guest's storage.  The engine builds every CCW, control buffer and QDIO block
 * inside an area [area_base, area_base + area_size) of that storage that the embedder
 * reserves for it (qdrv_area_size tells how much).
 *
 * Waiting: every "send and wait for the reply" is a bounded loop that processes the
 * interrupts of the three subchannels (TEST SUBCHANNEL on each) and calls the
 * embedder's `idle` hook between rounds; after cfg.max_wait rounds without the
 * awaited event it gives up with -ETIMEDOUT.  The in-process css runs device work
 * synchronously, so there the answer is normally present after the first round.
 *
 * Errors: negative errno, and `last_error` names the failing step ("cm_enable: ...").
 * Every IPA command sent is logged with its return codes (ipa_log).
 *
 * Thread-safety: none; one thread drives a qdrv (and its css).
 */

#define QDRV_OUT_QUEUES 4
#define QDRV_IN_BUFS    64	/* input buffers handed to the adapter (Linux OSD default) */
#define QDRV_IN_REFILL  32	/* re-give in batches of at least this many */
#define QDRV_IPA_LOG    128
#define QDRV_MSG_MAX    4096
#define QDRV_MAX_WAIT   64	/* default wait rounds */
#define QDRV_ERR_LEN    160

enum qdrv_state {
	QDRV_OFFLINE = 0,
	QDRV_SENSED,		/* SENSE ID / NOP / RCD done */
	QDRV_IDX,		/* IDX ACTIVATE on read and write */
	QDRV_MPC,		/* CM/ULP enabled and set up */
	QDRV_QDIO,		/* queues established and active, DM_ACT done */
	QDRV_ONLINE,		/* IPA bring-up done: can send and receive */
	QDRV_BROKEN,		/* a step failed or the adapter terminated the connection */
};

/* Which devices the driver actually drives (controller guests: control only). */
#define QDRV_USE_CONTROL 0x1
#define QDRV_USE_DATA    0x2

typedef void (*qdrv_rx_fn)(void *ctx, const uint8_t *qhdr, const uint8_t *data,
			   uint32_t len);

/* Batched, copy-free receive (cfg.rxv): up to QDRV_RX_BATCH packets per call, the
 * payload left in the input SBAL pages.  The spans stay valid until the callback
 * returns (the buffers are given back to the adapter only after it). */
#define QDRV_RX_BATCH 256
#define QDRV_RX_SPANS (QDRV_RX_BATCH * 2)	/* span pool; a full pool delivers early */
#define QDRV_TX_SPANS 32			/* spans qdrv_sendv_* trims to a length */

struct qdrv_rxpkt {
	uint8_t qhdr[QDIO_QETH_HDR];		/* the qeth header (copied: validated once) */
	const struct qdio_span *spans;		/* payload in the input SBAL pages */
	uint8_t nspans;
	uint32_t len;
};
typedef void (*qdrv_rxv_fn)(void *ctx, const struct qdrv_rxpkt *p, unsigned n);

struct qdrv_cfg {
	uint8_t layer;			/* 2 or 3 */
	uint8_t portno;
	bool ipv6;			/* use IPv6 if the adapter advertises it (L3) */
	uint8_t out_nelem;		/* elements per SBAL (all queues; input needs 16) */
	uint8_t qdioac1;		/* SSQD qdioac1 (0: SIGA-r and SIGA-w needed) */
	uint8_t mac[6];			/* L2: MAC to register; all zero = READ_MAC result */
	unsigned max_wait;		/* wait rounds (0 = QDRV_MAX_WAIT) */
	uint64_t area_base, area_size;	/* engine storage in the guest (4K aligned) */
	/* SIGA: fc 0 write, 1 read, 2 sync; returns the condition code. */
	int (*siga)(void *ctx, struct subch *data, unsigned fc, uint32_t mask);
	void *siga_ctx;
	/* Called between wait rounds (let an asynchronous adapter progress); may be NULL. */
	void (*idle)(void *ctx);
	void *idle_ctx;
	/* Received packets (qeth header + frame/packet): `data` is the frame where it
	 * lies in the input buffer when it is in one element, else gathered into rxbuf;
	 * valid until rx returns either way (the buffer goes back to the adapter after). */
	qdrv_rx_fn rx;
	void *rx_ctx;
	/* Or, when set (rx is then not called): received packets in batches, in place;
	 * called with rx_ctx. */
	qdrv_rxv_fn rxv;
};

struct qdrv_ipa_rec {
	uint8_t cmd;
	uint16_t prot;
	uint32_t sub;		/* SETASSPARMS assist/cmd, SETADAPTERPARMS sub-command ... */
	uint16_t rc;
	uint16_t sub_rc;
	int err;		/* negative errno if no reply was decoded */
};

struct qdrv_dev_io {
	bool busy;		/* a start function of ours is running */
	bool done;		/* it ended; status in last */
	struct scsw last;
	uint32_t intparm;
};

struct qdrv_stats {
	uint64_t irqs, pcis, reads, mpc_replies, ipa_replies, unsolicited, stray;
	uint64_t tx_pkts, tx_bytes, tx_busy, tx_sigas, rx_pkts, rx_bytes, rx_sigas;
	uint64_t siga_errors;
	uint64_t rx_batches;		/* cfg.rxv calls */
};

/* What one packet leaves to the adapter (after qdrv_tx_offloads_on), as Linux's qeth
 * asks an OSA: the checksum, and for a TCP large send the cutting into segments. */
struct qdrv_txo {
	uint16_t mss;		/* large send: TCP payload bytes per segment; 0: none */
	uint16_t hdr_len;	/* large send: bytes of headers from the packet's first byte */
	bool csum;		/* the TCP/UDP checksum left out (implied by a large send) */
	bool udp;		/* ...and it is UDP's */
	bool ip_hdr;		/* the IPv4 header checksum left out too */
};

#define QDRV_OFL_CSUM 0x01	/* qdrv.tx_ofl4/6: outbound checksum enabled */
#define QDRV_OFL_TSO 0x02	/* TCP large send enabled */

struct qdrv {
	struct css *css;
	struct gstor *gs;
	struct subch *sch[3];		/* read, write, data */
	struct qdrv_cfg cfg;
	enum qdrv_state state;
	int last_rc;
	char last_error[QDRV_ERR_LEN];

	/* Storage layout inside the area. */
	uint64_t a_ccw, a_rbuf, a_wbuf, a_misc, a_qdio;

	/* Discovery. */
	struct senseid id[3];
	uint8_t eq_cmd, aq_cmd, rcd_cmd;
	uint16_t eq_count, aq_count, rcd_count;
	struct rcd_view rcd;
	uint16_t realaddr;

	/* Connection. */
	struct qdrv_dev_io io[3];
	bool read_armed;		/* the outstanding READ is running */
	struct mpc_seq seq;
	uint32_t idx_token_r, idx_token_w;
	uint32_t cm_filter_r, cm_conn_r, ulp_filter_r, ulp_conn_r;
	struct mpc_ulp_info ulp;
	uint16_t ipa_seq;
	bool mpc_wait, mpc_got;
	bool ipa_wait, ipa_got;
	uint16_t ipa_wait_seq;
	uint8_t msg[QDRV_MSG_MAX];	/* last message read */
	uint8_t reply[QDRV_MSG_MAX];	/* the awaited reply */
	uint32_t reply_len;
	bool link_up;			/* STARTLAN rc 0 and no STOPLAN since */
	bool terminated;		/* IDX TERMINATE seen */

	/* Capabilities from the IPA bring-up. */
	uint32_t ipa4_supported, ipa4_enabled, ipa6_supported, ipa6_enabled;
	uint8_t tx_ofl4, tx_ofl6;	/* QDRV_OFL_*: what qdrv_tx_offloads_on got */
	uint32_t adp_supported;
	uint8_t lan_type;
	uint8_t mac[6];
	bool mac_registered;
	uint16_t ipv6_uid;

	struct qdrv_ipa_rec ipa_log[QDRV_IPA_LOG];
	unsigned n_ipa;			/* total commands sent (log wraps) */

	/* QDIO. */
	struct qdio_pg_layout lay;
	struct qdio_queue inq;
	struct qdio_queue outq[QDRV_OUT_QUEUES];
	bool qdio_active;
	unsigned in_taken;		/* consumed since the last give */
	struct qdrv_stats st;
	uint8_t rxbuf[65536];		/* an inbound packet of several elements, gathered */
	/* cfg.rxv: the batch being gathered during one qdrv_poll. */
	unsigned rxn, rxns;
	struct qdrv_rxpkt rxb[QDRV_RX_BATCH];
	struct qdio_span rxsp[QDRV_RX_SPANS];
};

/* Bytes the engine needs in guest storage for cfg (control pages + QDIO blocks). */
uint64_t qdrv_area_size(const struct qdrv_cfg *cfg);

/* Bind to three subchannels.  -EINVAL (bad layer, area too small/misaligned). */
int qdrv_init(struct qdrv *q, struct css *css, struct subch *read, struct subch *write,
	      struct subch *data, const struct qdrv_cfg *cfg);

/*
 * "echo 1 > online": SENSE ID on each device (1731/01 + 1732/01), NOP, RCD, IDX on
 * read and write, CM/ULP, QDIO establish + activate, DM_ACT, then the IPA bring-up of
 * the layer, with 64 input buffers given.  0 or a negative errno with last_error set.
 * On failure the interface is taken offline again (state QDRV_OFFLINE, last_error
 * kept).  The steps are also callable one by one (controller guests stop after
 * qdrv_mpc); a failing step leaves the state where it was, call qdrv_offline.
 */
int qdrv_online(struct qdrv *q);
int qdrv_sense(struct qdrv *q);
int qdrv_idx(struct qdrv *q);
int qdrv_mpc(struct qdrv *q);
int qdrv_qdio(struct qdrv *q);
int qdrv_ipa_bringup(struct qdrv *q);
/* Offline: clear the data device (queues), halt+clear read and write, reset state. */
void qdrv_offline(struct qdrv *q);

/*
 * One IPA command: the header (seqno, adapter type, port, version) is filled here;
 * the caller sets cmd, prot and the body.  Returns the IPA return code (>= 0; for
 * SETASSPARMS / SETADAPTERPARMS the inner return code when the outer one is 0) or a
 * negative errno.  `reply` (may be NULL) gets the decoded reply, whose pointers point
 * into q->reply (valid until the next command).
 */
int qdrv_ipa(struct qdrv *q, struct ipa_cmd *cmd, struct ipa_cmd *reply);

/* "ip addr add": L3 SETIP (v4: 4-byte addr, mask from prefix; v6: 16 bytes). */
int qdrv_setip(struct qdrv *q, bool v6, const uint8_t *addr, unsigned prefix);
int qdrv_delip(struct qdrv *q, bool v6, const uint8_t *addr, unsigned prefix);
/* L3 multicast group (SETIPM), the MAC mapped from the group address. */
int qdrv_setipm(struct qdrv *q, bool v6, const uint8_t *addr);
/* L2 group MAC (SETGMAC) and extra unicast MAC (SETVMAC). */
int qdrv_setgmac(struct qdrv *q, const uint8_t mac[6]);
int qdrv_setvmac(struct qdrv *q, const uint8_t mac[6]);

/* "echo none|forward|drop > isolation": SETADAPTERPARMS SET_ACCESS_CONTROL with
 * mode IPA_ADP_ISOLATION_* (Linux's 12 bytes of data).  The IPA rc, else the sub-rc. */
int qdrv_set_isolation(struct qdrv *q, uint32_t mode);

/* The last IPA record for command `cmd` (NULL if none was sent). */
const struct qdrv_ipa_rec *qdrv_ipa_find(const struct qdrv *q, uint8_t cmd);

/* ---- data path ---- */
/* L2: one Ethernet frame. -EAGAIN no free output buffer (reap/poll), -ENETDOWN. */
int qdrv_send_l2(struct qdrv *q, const uint8_t *frame, uint32_t len);
/* L3: an IPv4 packet (bare, next hop in the header) or an IPv6 frame (Ethernet header
 * + passthrough flag, as Linux sends it).  cast: QHDR_L3_CAST_*. */
int qdrv_send_l3_v4(struct qdrv *q, const uint8_t *pkt, uint32_t len, const uint8_t nh[4],
		    uint8_t cast);
int qdrv_send_l3_v6(struct qdrv *q, const uint8_t *frame, uint32_t len, uint8_t cast);
/* The same from a span list (a frame left where its sender put it): the qeth header
 * and the spans are written straight into the output SBAL pages, the frame's only
 * copy.  `len` bytes are sent; spans beyond it are ignored, spans shorter than it
 * are -EINVAL, a tail needing more than QDRV_TX_SPANS spans -EMSGSIZE. */
int qdrv_sendv_l2(struct qdrv *q, const struct qdio_span *sp, unsigned nsp, uint32_t len);
int qdrv_sendv_l3_v4(struct qdrv *q, const struct qdio_span *sp, unsigned nsp, uint32_t len,
		     const uint8_t nh[4], uint8_t cast);
/* nh: the IPv6 next hop for the header (a router's address for an off-link
 * destination); NULL or all zero = the packet's destination. */
int qdrv_sendv_l3_v6(struct qdrv *q, const struct qdio_span *sp, unsigned nsp, uint32_t len,
		     const uint8_t *nh, uint8_t cast);
/*
 * One packet as qdrv_sendv_l2 (layer 2), qdrv_sendv_l3_v4 (layer 3, v6 false: nh the
 * IPv4 next hop) or qdrv_sendv_l3_v6 (v6: nh as there) send it, with what it leaves to
 * the adapter (o, NULL: nothing): a large send gets the TSO header extension.
 * -EOPNOTSUPP: the adapter did not enable that offload for the packet's family;
 * -EMSGSIZE: it does not fit one output buffer (the caller cuts it itself).
 */
int qdrv_sendv_txo(struct qdrv *q, const struct qdrv_txo *o, const struct qdio_span *sp,
		   unsigned nsp, uint32_t len, bool v6, const uint8_t *nh, uint8_t cast);
/* Outbound checksum and TCP large send on the adapter, for each family it has
 * (SETASSPARMS START then ENABLE of OUTBOUND_CHECKSUM and OUTBOUND_TSO, as Linux's
 * qeth_set_csum_on / qeth_set_tso_on): tx_ofl4 / tx_ofl6 say what it enabled.
 * 0 (what an adapter does not offer stays off), or -errno if it could not be asked. */
int qdrv_tx_offloads_on(struct qdrv *q);
/* Prime what was queued and SIGA-w if needed.  Returns buffers primed or -errno. */
/* One packet behind a qeth header the caller built (32 bytes, or 64 with the TSO
 * extension): what Linux writes for checksum and large-send offloads. */
int qdrv_sendv_hdr(struct qdrv *q, const uint8_t *hdr, uint32_t hlen, const struct qdio_span *sp,
		   unsigned nsp, uint32_t len);
int qdrv_flush(struct qdrv *q);
/* Interrupts, reaping and receiving: returns packets delivered to cfg.rx or cfg.rxv
 * (>= 0); with cfg.rxv one call per QDRV_RX_BATCH packets, before any buffer is
 * given back. */
int qdrv_poll(struct qdrv *q);
/* Handle one interrupting subchannel (for embedders that drain css_next_irq):
 * returns 1 if it was one of ours, 0 otherwise. */
int qdrv_irq(struct qdrv *q, struct subch *s);

const char *qdrv_state_name(enum qdrv_state s);

#endif
