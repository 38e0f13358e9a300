/* tests/unit/test_offload.c - checksum and large-send offloads through two virtual NICs:
 * what a receiving guest gets with and without inbound checksum, in both layers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/guest.h"
#include "lib/be.h"
#include "lib/csum.h"
#include "qeth/ipa.h"
#include "qeth/qhdr.h"
#include "tests/tcheck.h"
#include "vnic/nic.h"

#define CAP_MAX 64

struct cap {
	unsigned n;
	uint8_t hdr[CAP_MAX][QHDR_SIZE];
	uint8_t *data[CAP_MAX];
	uint32_t len[CAP_MAX];
	const uint8_t *rxbuf;		/* the receiving driver's gather buffer */
	bool gathered[CAP_MAX];		/* handed from rxbuf, not in place */
};

struct ow {
	struct nicbk nic[2];
	struct guest g[2];
	struct guest_if *i[2];
	struct port_p2p j;
	struct cap cap;
	uint8_t layer;
};

static void cap_rx(void *ctx, const uint8_t *qhdr, const uint8_t *data, uint32_t len)
{
	struct cap *c = ctx;

	if (c->n >= CAP_MAX)
		return;
	memcpy(c->hdr[c->n], qhdr, QHDR_SIZE);
	c->data[c->n] = malloc(len);
	memcpy(c->data[c->n], data, len);
	c->gathered[c->n] = data == c->rxbuf;
	c->len[c->n++] = len;
}

static void cap_clear(struct cap *c)
{
	for (unsigned k = 0; k < c->n; k++)
		free(c->data[k]);
	c->n = 0;
}

static void ow_free(struct ow *w)
{
	if (!w)
		return;
	cap_clear(&w->cap);
	port_p2p_split(&w->j);
	for (int k = 0; k < 2; k++)
		guest_destroy(&w->g[k]);
	for (int k = 0; k < 2; k++)
		nic_destroy(&w->nic[k]);
	free(w);
}

static struct ow *ow_new(uint8_t layer)
{
	struct ow *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->layer = layer;
	for (int k = 0; k < 2; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = 0x0A00;
		c.ndev = 3;
		c.base_schno = (uint16_t)(0x10 * (k + 1));
		c.chpid = 0x0A;
		c.type = NIC_QDIO;
		c.mac[0] = 0x02;
		c.mac[5] = (uint8_t)(0x20 + k);
		c.vm_nic = true;
		if (nic_create(&w->nic[k], &c) < 0 || guest_create(&w->g[k], guest_mem_size(1)) < 0 ||
		    guest_attach_nic(&w->g[k], &w->nic[k], 0x0A00, layer, &w->i[k]) < 0)
			goto fail;
	}
	port_p2p_join(&w->j, &w->nic[0].port, &w->nic[1].port);
	if (guest_if_online(w->i[0]) < 0 || guest_if_online(w->i[1]) < 0)
		goto fail;
	w->i[1]->drv.cfg.rx = cap_rx;
	w->i[1]->drv.cfg.rx_ctx = &w->cap;
	w->cap.rxbuf = w->i[1]->drv.rxbuf;
	return w;
fail:
	ow_free(w);
	return NULL;
}

/* Linux's qeth_set_csum_on / qeth_set_tso_on for one assist: START, then ENABLE. */
static int enable(struct qdrv *q, uint16_t prot, uint32_t assist)
{
	struct ipa_cmd c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SETASSPARMS;
	c.hdr.prot = prot;
	c.u.setass.assist = assist;
	c.u.setass.cmd = IPA_SETASS_START;
	if ((rc = qdrv_ipa(q, &c, NULL)) != 0)
		return rc;
	c.u.setass.cmd = IPA_SETASS_ENABLE;
	if (assist == IPA_OUTBOUND_TSO) {
		c.u.setass.data_len = 8;
		c.u.setass.d.caps.enabled = IPA_LARGE_SEND_TCP;
	} else {
		c.u.setass.data_len = 4;
		c.u.setass.d.flags = IPA_CSUM_TCP | IPA_CSUM_UDP | IPA_CSUM_LP2LP;
	}
	return qdrv_ipa(q, &c, NULL);
}

/* An Ethernet frame with IPv4 or IPv6 and TCP (12 option bytes) or UDP, payload pay
 * bytes; the L4 checksum field holds 0xBEEF (what the sender "left out"). */
static uint32_t frame(uint8_t *f, bool v6, bool tcp, uint32_t pay)
{
	uint32_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), hl = tcp ? 32 : 8, len = l4 + hl + pay;

	memset(f, 0, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x21\x02\x00\x00\x00\x00\x20", 12);
	be_put16(f + 12, v6 ? 0x86DD : 0x0800);
	if (v6) {
		f[l3] = 0x60;
		be_put16(f + l3 + 4, (uint16_t)(len - l4));
		f[l3 + 6] = tcp ? 6 : 17;
		f[l3 + 7] = 64;
		f[l3 + 8] = 0xfd;
		f[l3 + 23] = 1;
		f[l3 + 24] = 0xfd;
		f[l3 + 39] = 2;
	} else {
		f[l3] = 0x45;
		be_put16(f + l3 + 2, (uint16_t)(len - l3));
		be_put16(f + l3 + 4, 0x4000);
		f[l3 + 8] = 64;
		f[l3 + 9] = tcp ? 6 : 17;
		memcpy(f + l3 + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		be_put16(f + l3 + 10, 0);
		uint32_t s = 0;
		for (int k = 0; k < 20; k += 2)
			s += be_get16(f + l3 + k);
		while (s >> 16)
			s = (s & 0xFFFF) + (s >> 16);
		be_put16(f + l3 + 10, (uint16_t)~s);
	}
	be_put16(f + l4, 40000);
	be_put16(f + l4 + 2, 5001);
	if (tcp) {
		be_put32(f + l4 + 4, 1000);
		f[l4 + 12] = 0x80;		/* 32-byte header */
		f[l4 + 13] = 0x18;		/* PSH ACK */
		be_put16(f + l4 + 16, 0xBEEF);
		memcpy(f + l4 + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	} else {
		be_put16(f + l4 + 4, (uint16_t)(8 + pay));
		be_put16(f + l4 + 6, 0xBEEF);
	}
	for (uint32_t k = 0; k < pay; k++)
		f[l4 + hl + k] = (uint8_t)(k * 7 + 3);
	return len;
}

/* Send frame f from guest 0 behind a checksum (tso_mss 0) or TSO header, as Linux. */
static int send_ofl(struct ow *w, const uint8_t *f, uint32_t len, bool v6, bool tcp,
		    uint16_t tso_mss)
{
	uint8_t raw[QHDR_TSO_HDR_SIZE];
	struct qdio_span sp = { f, len };
	struct qhdr h;
	int n, rc;

	memset(&h, 0, sizeof(h));
	if (w->layer == 2) {
		h.id = tso_mss ? QHDR_ID_L2_TSO : QHDR_ID_L2;
		h.l2.flags2 = QHDR_L2_UCAST;
		h.l2.pkt_len = (uint16_t)len;
		if (!tso_mss)
			h.l2.flags1 = QHDR_L2_CSUM_TRANSP | (tcp ? 0 : QHDR_L2_CSUM_UDP);
	} else {
		/* Layer 3 sends IPv6 with its Ethernet header (passthrough). */
		h.id = tso_mss ? QHDR_ID_L3_TSO : QHDR_ID_L3;
		h.l3.flags = QHDR_L3_IPV6 | QHDR_L3_PASSTHRU | QHDR_L3_CAST_UCAST;
		h.l3.length = (uint16_t)len;
		memcpy(h.l3.addr, f + 14 + 24, 16);
		if (!tso_mss)
			h.l3.ext_flags = QHDR_L3_EXT_CSUM_TRANSP | (tcp ? 0 : QHDR_L3_EXT_UDP);
	}
	(void)v6;
	if (tso_mss) {
		h.tso.type = QHDR_TSO_TYPE;
		h.tso.version = QHDR_TSO_VERSION;
		h.tso.mss = tso_mss;
		h.tso.proto_hlen = (uint16_t)(14 + (v6 ? 40 : 20) + 32);
		h.tso.payload_len = len - h.tso.proto_hlen;
	}
	n = qhdr_encode(&h, raw, sizeof(raw));
	if (n < 0)
		return n;
	rc = qdrv_sendv_hdr(&w->i[0]->drv, raw, (uint32_t)n, &sp, 1, len);
	if (rc < 0)
		return rc;
	rc = qdrv_flush(&w->i[0]->drv);
	if (rc < 0)
		return rc;
	for (int k = 0; k < 8; k++)
		qdrv_poll(&w->i[1]->drv);
	return 0;
}

static bool verified_flag(const struct ow *w, unsigned k)
{
	return w->cap.hdr[k][w->layer == 2 ? QHDR_L2_OFF_FLAGS1 : QHDR_L3_OFF_EXT] &
	       QHDR_L2_CSUM_TRANSP;
}

TEST(offload_large_send_segmented_for_each_receiver)
{
	static uint8_t f[65536];

	for (uint8_t layer = 2; layer <= 3; layer++) {
		for (int rx_on = 0; rx_on < 2; rx_on++) {
			for (int v6 = layer == 3; v6 < 2; v6++) {
				struct ow *w = ow_new(layer);
				uint32_t len, pay = 5000, got = 0, hl = 14 + (v6 ? 40 : 20) + 32;
				uint32_t seq = 1000;

				REQUIRE(w);
				CHECK_EQ(enable(&w->i[0]->drv, v6 ? 6 : 4, IPA_OUTBOUND_TSO), 0);
				if (rx_on)
					CHECK_EQ(enable(&w->i[1]->drv, v6 ? 6 : 4,
							IPA_INBOUND_CHECKSUM), 0);
				CHECK_EQ(w->nic[1].offl4 | w->nic[1].offl6, rx_on ? NIC_OFL_RXCSUM : 0);
				len = frame(f, v6, true, pay);
				REQUIRE(send_ofl(w, f, len, v6, true, 1448) == 0);
				/* 5000 = 3 * 1448 + 656: four segments, in order. */
				CHECK_EQ(w->cap.n, 4);
				for (unsigned k = 0; k < w->cap.n; k++) {
					const uint8_t *s = w->cap.data[k];
					struct csum_pkt cp;
					uint32_t sl = w->cap.len[k];

					CHECK_EQ(sl, hl + (k < 3 ? 1448 : 656));
					REQUIRE(csum_parse(s, sl, true, &cp) == 0);
					CHECK_EQ(be_get32(s + cp.l4 + 4), seq);
					CHECK_EQ(s[cp.l4 + 13], k < 3 ? 0x10 : 0x18);
					CHECK_MEM(s + hl, f + hl + got, sl - hl);
					if (rx_on) {
						CHECK(verified_flag(w, k));
						CHECK_EQ(be_get16(s + cp.l4 + 16), 0);
					} else {
						CHECK(!verified_flag(w, k));
						CHECK(csum_verify(s, &cp));
					}
					seq += sl - hl;
					got += sl - hl;
				}
				CHECK_EQ(got, pay);
				CHECK_EQ(w->nic[1].st.rx_segmented, 1);
				ow_free(w);
			}
		}
	}
}

TEST(offload_partial_checksum_completed_or_marked)
{
	static uint8_t f[4096];

	for (uint8_t layer = 2; layer <= 3; layer++) {
		for (int rx_on = 0; rx_on < 2; rx_on++) {
			for (int tcp = 0; tcp < 2; tcp++) {
				struct ow *w = ow_new(layer);
				bool v6 = layer == 3 || tcp;
				uint32_t len = frame(f, v6, tcp, 333);
				struct csum_pkt cp;

				REQUIRE(w);
				CHECK_EQ(enable(&w->i[0]->drv, v6 ? 6 : 4, IPA_OUTBOUND_CHECKSUM), 0);
				if (rx_on)
					CHECK_EQ(enable(&w->i[1]->drv, v6 ? 6 : 4,
							IPA_INBOUND_CHECKSUM), 0);
				REQUIRE(send_ofl(w, f, len, v6, tcp, 0) == 0);
				REQUIRE(w->cap.n == 1);
				CHECK_EQ(w->cap.len[0], len);
				REQUIRE(csum_parse(w->cap.data[0], len, true, &cp) == 0);
				if (rx_on) {
					/* Nobody computed anything: the field is the sender's. */
					CHECK(verified_flag(w, 0));
					CHECK_MEM(w->cap.data[0], f, len);
					CHECK_EQ(w->nic[1].st.rx_completed, 0);
				} else {
					CHECK(!verified_flag(w, 0));
					CHECK(csum_verify(w->cap.data[0], &cp));
					CHECK_EQ(w->nic[1].st.rx_completed, 1);
				}
				ow_free(w);
			}
		}
	}
}

/* The receiving driver reads a frame that lies in one element of its input buffer
 * where it lies, and gathers one spread over several (a 9000-byte frame over 4 KiB
 * pages) into its own buffer: either way the guest's stack gets the frame's bytes. */
TEST(offload_receiver_reads_one_element_in_place_and_gathers_more)
{
	static uint8_t f[2][16384];
	static const uint32_t pay[2] = { 1000, 9000 };
	uint32_t len[2];

	for (uint8_t layer = 2; layer <= 3; layer++) {
		struct ow *w = ow_new(layer);

		REQUIRE(w);
		for (int k = 0; k < 2; k++) {
			len[k] = frame(f[k], true, false, pay[k]);
			REQUIRE(send_ofl(w, f[k], len[k], true, false, 0) == 0);
		}
		REQUIRE(w->cap.n == 2);
		for (int k = 0; k < 2; k++) {
			/* IPv6 goes with its Ethernet header in both layers; the payload
			 * is the frame's tail (the UDP checksum may have been completed). */
			CHECK_EQ(w->cap.len[k], len[k]);
			CHECK(memcmp(w->cap.data[k], f[k], 14 + 40 + 6) == 0);
			CHECK(memcmp(w->cap.data[k] + len[k] - pay[k], f[k] + len[k] - pay[k],
				     pay[k]) == 0);
		}
		CHECK(!w->cap.gathered[0]);
		CHECK(w->cap.gathered[1]);
		ow_free(w);
	}
}

/* A TSO header whose two lengths do not add up to the frame is the guest's garbage. */
TEST(offload_tso_header_lengths_must_add_up)
{
	static uint8_t f[16384];
	struct ow *w = ow_new(2);
	uint8_t raw[QHDR_TSO_HDR_SIZE];
	struct qdio_span sp;
	struct qhdr h;
	uint32_t len;

	REQUIRE(w);
	len = frame(f, false, true, 9000);
	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2_TSO;
	h.l2.flags2 = QHDR_L2_UCAST;
	h.l2.pkt_len = (uint16_t)len;
	h.tso.type = QHDR_TSO_TYPE;
	h.tso.version = QHDR_TSO_VERSION;
	h.tso.mss = 1448;
	h.tso.proto_hlen = 66;
	h.tso.payload_len = len - 66 + 1;
	REQUIRE(qhdr_encode(&h, raw, sizeof(raw)) == QHDR_TSO_HDR_SIZE);
	sp = (struct qdio_span){ f, len };
	REQUIRE(qdrv_sendv_hdr(&w->i[0]->drv, raw, QHDR_TSO_HDR_SIZE, &sp, 1, len) == 0);
	REQUIRE(qdrv_flush(&w->i[0]->drv) >= 0);
	for (int k = 0; k < 4; k++)
		qdrv_poll(&w->i[1]->drv);
	CHECK_EQ(w->cap.n, 0);
	CHECK_EQ(w->nic[0].st.tx_bad_frames, 1);
	ow_free(w);
}
