/* tests/unit/test_ipa.c - IPA commands: PDU framing from the Linux 6.1 trace, every command body,
 * round trips, replies, and one case per kind of bad input. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/be.h"
#include "qeth/ipa.h"
#include "tests/tcheck.h"

/* First 48 bytes of IPA PDUs a Linux 6.1 guest wrote (trace-q3d_vnic_echo_online.log). */
static const char tr_startlan[] =
	"00E00000 00000006 00000014 00000054 10000001 00000000 C1080001 00000005 "
	"00000004 00240014 00001405 0001010B";
static const char tr_qipassist[] =
	"00E00000 00000007 00000014 00000054 10000001 00000000 C1080001 00000006 "
	"00000005 00240014 00001405 0001010B";
static const char tr_sbp[] =
	"00E00000 00000008 00000014 00000074 10000001 00000000 C1080001 00000007 "
	"00000006 00240034 00003405 0001010B";
static const char tr_setadp[] =
	"00E00000 00000009 00000014 00000080 10000001 00000000 C1080001 00000008 "
	"00000007 00240040 00004005 0001010B";
static const char tr_setvmac[] =
	"00E00000 0000000A 00000014 0000005E 10000001 00000000 C1080001 00000009 "
	"00000008 0024001E 00001E05 0001010B";
static const char tr_vnicc[] =
	"00E00000 0000000B 00000014 00000064 10000001 00000000 C1080001 0000000A "
	"00000009 00240024 00002405 0001010B";

/* IPA commands consistent with those PDUs (layer 2: primary version 2). */
static const char c_startlan[] = "01 00 0001 0000 01 00 02 01 0000 00000000 00000000";
static const char c_qipassist[] = "B2 00 0002 0000 01 00 02 01 0004 00000000 00000000";
static const char c_sbp_query[] =
	"2B 00 0003 0000 01 00 02 01 0000 00000000 00000000"
	"00000000 00000000 0018 0000 00000000 0000 01 01 00000000"
	"00000000 00000000";
static const char c_setadp_qcs[] =
	"B8 00 0004 0000 01 00 02 01 0004 00000000 00000000"
	"00000000 00000000 0024 0000 00000001 0000 01 01 00 000000"
	"00000000 00000000 00000000 00000000 00000000";
static const char c_setvmac[] =
	"21 00 0005 0000 01 00 02 01 0004 00000000 00000000"
	"00000006 5A6C9EC36CBC";
static const char c_vnicc_query[] =
	"2A 00 0006 0000 01 00 02 01 0000 00000000 00000000"
	"00000000 00000000 0008 0000 00000000";

/* The rest of the 0x40-byte PDU header: 8 zero bytes, PH (01, 3-byte length, 0x40). */
static int pdu_build(const char *head48, const char *cmdhex, uint8_t *out, size_t cap)
{
	int n;

	if (tc_hex(head48, out, cap) != 48)
		return -1;
	memset(out + 0x30, 0, 8);
	n = tc_hex(cmdhex, out + 0x40, cap - 0x40);
	if (n < 0)
		return -1;
	out[0x38] = 0x01;
	be_put24(out + 0x39, (uint32_t)n);
	be_put32(out + 0x3C, 0x40);
	return 0x40 + n;
}

static void roundtrip(struct tctx *t, const uint8_t *b, size_t n, int want)
{
	struct ipa_cmd c;
	uint8_t out[512];
	int m;

	CHECK_EQ(ipa_cmd_decode(b, n, &c), want);
	m = ipa_cmd_encode(&c, out, sizeof(out));
	CHECK_EQ(m, n);
	if (m == (int)n)
		CHECK_MEM(out, b, n);
}

static int hx(const char *s, uint8_t *b, size_t cap)
{
	return tc_hex(s, b, cap);
}

TEST(ipa_pdu_trace_headers_locate_the_command)
{
	static const struct {
		const char *head, *cmd;
		uint8_t code;
		size_t cmdlen;
	} v[] = {
		{ tr_startlan, c_startlan, IPA_CMD_STARTLAN, 0x14 },
		{ tr_qipassist, c_qipassist, IPA_CMD_QIPASSIST, 0x14 },
		{ tr_sbp, c_sbp_query, IPA_CMD_SETBRIDGEPORT_OSA, 0x34 },
		{ tr_setadp, c_setadp_qcs, IPA_CMD_SETADAPTERPARMS, 0x40 },
		{ tr_setvmac, c_setvmac, IPA_CMD_SETVMAC, 0x1E },
		{ tr_vnicc, c_vnicc_query, IPA_CMD_VNICC, 0x24 },
	};
	uint8_t b[256];

	for (size_t i = 0; i < CPNET_ARRAY_SIZE(v); i++) {
		size_t off = 0, cl = 0;
		struct ipa_cmd c;
		int n = pdu_build(v[i].head, v[i].cmd, b, sizeof(b));

		REQUIRE(n > 0);
		CHECK_EQ(n, 0x40 + v[i].cmdlen);
		CHECK_EQ(ipa_pdu_payload(b, (size_t)n, &off, &cl), 0);
		CHECK_EQ(off, 0x40);
		CHECK_EQ(cl, v[i].cmdlen);
		CHECK_EQ(b[IPA_PDU_OFF_RRH_PROT], IPA_PDU_PROT_L2);
		CHECK_EQ(ipa_cmd_decode(b + off, cl, &c), 0);
		CHECK_EQ(c.hdr.cmd, v[i].code);
		/* A READ buffer is larger than the message: still fine. */
		CHECK_EQ(ipa_pdu_payload(b, sizeof(b), &off, &cl), 0);
		CHECK_EQ(cl, v[i].cmdlen);
	}
}

TEST(ipa_pdu_rejects_bad_framing)
{
	uint8_t b[256], x[256];
	size_t off, cl;
	int n = pdu_build(tr_startlan, c_startlan, b, sizeof(b));

	REQUIRE(n == 0x54);
	CHECK_EQ(ipa_pdu_payload(b, 0x3F, &off, &cl), -EMSGSIZE);
	CHECK_EQ(ipa_pdu_payload(b, 0x53, &off, &cl), -EMSGSIZE); /* total past buffer */
	memcpy(x, b, (size_t)n);
	x[1] = 0xE1; /* not a TH */
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EPROTO);
	memcpy(x, b, (size_t)n);
	x[0x18] = 0x81; /* an MPC (CM) message, not IPA */
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EPROTO);
	memcpy(x, b, (size_t)n);
	x[0x27] = 0x15; /* first command length disagrees */
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EBADMSG);
	memcpy(x, b, (size_t)n);
	x[0x2A] = 0x18; /* 3-byte PH-data length disagrees */
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EBADMSG);
	memcpy(x, b, (size_t)n);
	x[0x3B] = 0x13; /* PH length disagrees */
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EBADMSG);
	memcpy(x, b, (size_t)n);
	x[0x3F] = 0x48; /* data not at 0x40 */
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EBADMSG);
	memcpy(x, b, (size_t)n);
	x[0x0B] = 0x18; /* RRH not at 0x14 */
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EBADMSG);
	memcpy(x, b, (size_t)n);
	x[0x0F] = 0x58; /* total length disagrees with the command length */
	CHECK_EQ(ipa_pdu_payload(x, sizeof(x), &off, &cl), -EBADMSG);
	/* All three lengths agree on 16: too short for an IPA header. */
	memcpy(x, b, (size_t)n);
	x[0x27] = 0x10;
	x[0x2A] = 0x10;
	x[0x3B] = 0x10;
	x[0x0F] = 0x50;
	CHECK_EQ(ipa_pdu_payload(x, (size_t)n, &off, &cl), -EBADMSG);
}

TEST(ipa_header_fields_of_trace_startlan)
{
	uint8_t b[64];
	struct ipa_cmd c;
	int n = hx(c_startlan, b, sizeof(b));

	REQUIRE(n == IPA_HDR_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.hdr.cmd, IPA_CMD_STARTLAN);
	CHECK_EQ(c.hdr.initiator, IPA_INIT_HOST);
	CHECK_EQ(c.hdr.seqno, 1);
	CHECK_EQ(c.hdr.rc, 0);
	CHECK_EQ(c.hdr.adapter_type, IPA_ADAPTER_TYPE);
	CHECK_EQ(c.hdr.port, 0);
	CHECK_EQ(c.hdr.prim_version, IPA_PRIM_L2);
	CHECK_EQ(c.hdr.param_count, 1);
	CHECK_EQ(c.hdr.prot, IPA_PROT_NONE);
	CHECK_EQ(c.hdr.supported, 0);
	CHECK_EQ(c.hdr.enabled, 0);
	CHECK_EQ(ipa_cmd_decode(b, IPA_HDR_SIZE - 1, &c), -EMSGSIZE);
	roundtrip(t, b, (size_t)n, 0);
	/* QIPASSIST reply: capabilities in the header. */
	n = hx("B2 81 0002 0000 01 00 02 01 0004 00019461 00000000", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.hdr.initiator, IPA_INIT_OSA_REPLY);
	CHECK_EQ(c.hdr.prot, IPA_PROT_V4);
	CHECK_EQ(c.hdr.supported, IPA_HERCULES_ASSISTS);
	roundtrip(t, b, (size_t)n, 0);
}

TEST(ipa_setvmac_and_friends)
{
	static const uint8_t codes[] = { IPA_CMD_SETVMAC, IPA_CMD_DELVMAC, IPA_CMD_SETGMAC,
					 IPA_CMD_DELGMAC };
	static const uint8_t mac[6] = { 0x5A, 0x6C, 0x9E, 0xC3, 0x6C, 0xBC };
	uint8_t b[64];
	struct ipa_cmd c;
	int n = hx(c_setvmac, b, sizeof(b));

	REQUIRE(n == IPA_MAC_SIZE);
	for (size_t i = 0; i < sizeof(codes); i++) {
		b[0] = codes[i];
		CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
		CHECK_EQ(c.hdr.cmd, codes[i]);
		CHECK_EQ(c.u.mac.len, 6);
		CHECK_MEM(c.u.mac.addr, mac, 6);
		roundtrip(t, b, (size_t)n, 0);
		CHECK_EQ(ipa_cmd_decode(b, (size_t)n - 1, &c), -EMSGSIZE);
	}
}

TEST(ipa_setvmac_mac_length_not_6)
{
	uint8_t b[64];
	struct ipa_cmd c;
	int n = hx(c_setvmac, b, sizeof(b));

	REQUIRE(n == IPA_MAC_SIZE);
	be_put32(b + IPA_MAC_OFF_LEN, 8);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put32(b + IPA_MAC_OFF_LEN, 0);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
}

TEST(ipa_setvlan_delvlan)
{
	uint8_t b[64];
	struct ipa_cmd c;
	int n = hx("25 00 0009 0000 01 00 02 01 0004 00000000 00000000 0064", b, sizeof(b));

	REQUIRE(n == IPA_VLAN_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.vlan, 100);
	roundtrip(t, b, (size_t)n, 0);
	b[0] = IPA_CMD_DELVLAN;
	roundtrip(t, b, (size_t)n, 0);
	CHECK_EQ(ipa_cmd_decode(b, IPA_VLAN_SIZE - 1, &c), -EMSGSIZE);
}

TEST(ipa_setip_v4_and_v6)
{
	static const uint8_t a4[4] = { 10, 1, 2, 3 }, m4[4] = { 255, 255, 255, 0 };
	uint8_t b[128];
	struct ipa_cmd c;
	int n = hx("B1 00 0010 0000 01 00 01 01 0004 00000000 00000000"
		   "0A010203 FFFFFF00 00000001", b, sizeof(b));

	REQUIRE(n == IPA_SETIP4_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.hdr.prim_version, IPA_PRIM_L3);
	CHECK_MEM(c.u.setip.addr, a4, 4);
	CHECK_MEM(c.u.setip.mask, m4, 4);
	CHECK_EQ(c.u.setip.flags, IPA_SETIP_FLAG_VIPA);
	roundtrip(t, b, (size_t)n, 0);
	b[0] = IPA_CMD_DELIP;
	be_put32(b + IPA_SETIP4_OFF_FLAGS, IPA_DELIP_FLAG_ADDR_NEEDS_SETIP);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setip.flags, 0x80);
	roundtrip(t, b, (size_t)n, 0);

	n = hx("B1 00 0011 0000 01 00 01 01 0006 00000000 00000000"
	       "20010DB8000000000000000000000001 FFFFFFFFFFFFFFFF0000000000000000 00000002",
	       b, sizeof(b));
	REQUIRE(n == IPA_SETIP6_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setip.addr[0], 0x20);
	CHECK_EQ(c.u.setip.addr[15], 0x01);
	CHECK_EQ(c.u.setip.mask[7], 0xFF);
	CHECK_EQ(c.u.setip.mask[8], 0x00);
	CHECK_EQ(c.u.setip.flags, IPA_SETIP_FLAG_TAKEOVER);
	roundtrip(t, b, (size_t)n, 0);
}

TEST(ipa_setip_bad_lengths_and_versions)
{
	uint8_t b[128];
	struct ipa_cmd c;
	int n = hx("B1 00 0010 0000 01 00 01 01 0004 00000000 00000000"
		   "0A010203 FFFFFF00 00000000", b, sizeof(b));

	REQUIRE(n == IPA_SETIP4_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, IPA_SETIP4_SIZE - 1, &c), -EMSGSIZE);
	/* An IPv4-sized SETIP that claims protocol 6. */
	be_put16(b + IPA_OFF_PROT, IPA_PROT_V6);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	be_put16(b + IPA_OFF_PROT, 0);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	c.hdr.cmd = IPA_CMD_SETIP;
	c.hdr.prot = 5;
	CHECK_EQ(ipa_cmd_encode(&c, b, sizeof(b)), -EINVAL);
}

TEST(ipa_setipm_v4_v6)
{
	static const uint8_t mac[6] = { 0x01, 0x00, 0x5E, 0x00, 0x00, 0x01 };
	uint8_t b[128];
	struct ipa_cmd c;
	int n = hx("B4 00 0012 0000 01 00 01 01 0004 00000000 00000000"
		   "01005E000001 0000 000000000000000000000000 E0000001", b, sizeof(b));

	REQUIRE(n == IPA_SETIPM_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_MEM(c.u.setipm.mac, mac, 6);
	CHECK_EQ(c.u.setipm.addr[IPA_SETIPM_V4_IN_ADDR], 0xE0);
	CHECK_EQ(c.u.setipm.addr[15], 0x01);
	roundtrip(t, b, (size_t)n, 0);
	b[0] = IPA_CMD_DELIPM;
	be_put16(b + IPA_OFF_PROT, IPA_PROT_V6);
	roundtrip(t, b, (size_t)n, 0);
	CHECK_EQ(ipa_cmd_decode(b, IPA_SETIPM_SIZE - 1, &c), -EMSGSIZE);
	be_put16(b + IPA_OFF_PROT, 0);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
}

TEST(ipa_setrtg_and_create_addr)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x07 };
	uint8_t b[64];
	struct ipa_cmd c;
	int n = hx("B6 00 0013 0000 01 00 01 01 0006 00000000 00000000 00", b, sizeof(b));

	REQUIRE(n == IPA_SETRTG_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setrtg, IPA_RTG_NONE);
	b[IPA_SETRTG_OFF_TYPE] = IPA_RTG_MULTICAST_ROUTER;
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setrtg, 3);
	roundtrip(t, b, (size_t)n, 0);
	CHECK_EQ(ipa_cmd_decode(b, IPA_HDR_SIZE, &c), -EMSGSIZE);

	/* Hercules' answer: its MAC (local bit on) followed by FF FE. */
	n = hx("C3 00 0014 0000 01 00 01 01 0006 00000000 00000000 020000000007 FFFE",
	       b, sizeof(b));
	REQUIRE(n == IPA_CREATE_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_MEM(c.u.create.mac, mac, 6);
	CHECK_EQ(c.u.create.uid, 0xFFFE);
	roundtrip(t, b, (size_t)n, 0);
	CHECK_EQ(ipa_cmd_decode(b, IPA_CREATE_SIZE - 1, &c), -EMSGSIZE);
}

TEST(ipa_setassparms_forms)
{
	uint8_t b[160];
	struct ipa_cmd c;
	/* IPv6 START on protocol 4 with flags 3 (L3 bring-up step 6). */
	int n = hx("B3 00 0020 0000 01 00 01 01 0004 00000000 00000000"
		   "00000020 000C 0001 0000 00 00 00000003", b, sizeof(b));

	REQUIRE(n == 0x24);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setass.assist, IPA_IPV6);
	CHECK_EQ(c.u.setass.cmd, IPA_SETASS_START);
	CHECK_EQ(c.u.setass.data_len, 4);
	CHECK_EQ(c.u.setass.form, IPA_SETASS_FORM_FLAGS);
	CHECK_EQ(c.u.setass.d.flags, 3);
	roundtrip(t, b, (size_t)n, 0);

	/* START without data. */
	n = hx("B3 00 0021 0000 01 00 01 01 0004 00000000 00000000"
	       "00000001 0008 0001 0000 00 00", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setass.form, IPA_SETASS_FORM_NONE);
	CHECK_EQ(c.u.setass.data_len, 0);
	roundtrip(t, b, (size_t)n, 0);

	/* Outbound TSO ENABLE reply: {mss, supported}, assist rc in the sub-header. */
	n = hx("B3 81 0022 0000 01 00 01 01 0004 00000000 00100000"
	       "00100000 0010 0004 0000 01 01 0000FFFF 00000001", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setass.form, IPA_SETASS_FORM_PAIR);
	CHECK_EQ(c.u.setass.d.tso.mss, 0xFFFF);
	CHECK_EQ(c.u.setass.d.tso.supported, IPA_LARGE_SEND_TCP);
	CHECK_EQ(c.u.setass.n_replies, 1);
	CHECK_EQ(c.u.setass.seq, 1);
	roundtrip(t, b, (size_t)n, 0);

	/* ARP add entry: MAC, 2 bytes, 16-byte IP, 32 reserved. */
	n = hx("B3 00 0023 0000 01 00 01 01 0004 00000000 00000000"
	       "00000001 0040 0005 0000 00 00"
	       "0200000000AA 0000 C0A80001000000000000000000000000"
	       "0000000000000000000000000000000000000000000000000000000000000000",
	       b, sizeof(b));
	REQUIRE(n == 0x20 + IPA_ARP_ENTRY_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setass.form, IPA_SETASS_FORM_ARP_ENTRY);
	CHECK_EQ(c.u.setass.d.arp_entry.mac[5], 0xAA);
	CHECK_EQ(c.u.setass.d.arp_entry.ip[0], 0xC0);
	CHECK_EQ(c.u.setass.d.arp_entry.ip[3], 0x01);
	roundtrip(t, b, (size_t)n, 0);
	/* The same with the entry cut short. */
	be_put16(b + IPA_SETASS_OFF_LEN, 8 + 24);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);

	/* ARP query info. */
	n = hx("B3 00 0024 0000 01 00 01 01 0004 00000000 00000000"
	       "00000001 0010 0104 0000 00 00 0001 0000 00000000", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setass.form, IPA_SETASS_FORM_ARP_QUERY);
	CHECK_EQ(c.u.setass.d.arp_query.request_bits, 1);
	CHECK_EQ(c.u.setass.d.arp_query.n_entries, 0);
	roundtrip(t, b, (size_t)n, 0);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n - 1, &c), -EMSGSIZE);
}

TEST(ipa_setassparms_bad_lengths)
{
	uint8_t b[64];
	struct ipa_cmd c;
	int n = hx("B3 00 0020 0000 01 00 01 01 0004 00000000 00000000"
		   "00000020 000C 0001 0000 00 00 00000003", b, sizeof(b));

	REQUIRE(n == 0x24);
	CHECK_EQ(ipa_cmd_decode(b, IPA_SETASS_SIZE - 1, &c), -EMSGSIZE);
	be_put16(b + IPA_SETASS_OFF_LEN, 7); /* below its own 8-byte header */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put16(b + IPA_SETASS_OFF_LEN, 0x0D); /* one byte past the command */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
}

TEST(ipa_setadp_query_commands_supported)
{
	uint8_t b[128], r[128];
	struct ipa_cmd c;
	int n = hx(c_setadp_qcs, b, sizeof(b)), m;

	REQUIRE(n == 0x40);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.hdr.prot, IPA_PROT_V4);
	CHECK_EQ(c.u.setadp.subcmd, IPA_SETADP_QUERY_COMMANDS_SUPPORTED);
	CHECK_EQ(c.u.setadp.data_len, IPA_ADP_QCS_SIZE);
	CHECK_EQ(c.u.setadp.used_total, 1);
	CHECK_EQ(c.u.setadp.seq, 1);
	CHECK(c.u.setadp.has_data);
	roundtrip(t, b, (size_t)n, 0);

	/* The adapter's reply, built from the decoded request. */
	REQUIRE(ipa_cmd_make_reply(&c, IPA_INIT_OSA_REPLY, IPA_RC_SUCCESS) == 0);
	c.u.setadp.supported = 0x00000803;
	c.u.setadp.d.qcs.n_lan_types = 1;
	c.u.setadp.d.qcs.lan_type = 0x01;
	c.u.setadp.d.qcs.supported = 0x00000803;
	m = ipa_cmd_encode(&c, r, sizeof(r));
	REQUIRE(m == n);
	CHECK_EQ(r[IPA_OFF_INITIATOR], 0x81);
	CHECK_EQ(be_get16(r + IPA_OFF_SEQNO), 4);
	CHECK_EQ(be_get32(r + IPA_SETADP_OFF_SUPPORTED), 0x803);
	CHECK_EQ(r[IPA_SETADP_OFF_DATA + IPA_ADP_QCS_OFF_LAN_TYPE], 1);
	CHECK_EQ(be_get32(r + IPA_SETADP_OFF_DATA + IPA_ADP_QCS_OFF_SUPPORTED), 0x803);
	CHECK_EQ(ipa_cmd_decode(r, (size_t)m, &c), 0);
	CHECK_EQ(c.u.setadp.d.qcs.supported, 0x803);
}

TEST(ipa_setadp_alter_mac_promisc_access)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	uint8_t b[128];
	struct ipa_cmd c;
	int n = hx("B8 81 0005 0000 01 00 02 01 0004 00000803 00000000"
		   "00000000 00000000 0022 0000 00000002 0000 01 01 80 000000"
		   "00000000 00000006 00000001 021122334455", b, sizeof(b));

	REQUIRE(n == 0x2C + IPA_ADP_MAC_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setadp.flags, IPA_SETADP_FLAG_VIRTUAL_MAC);
	CHECK_EQ(c.u.setadp.d.mac.op, IPA_ADP_MAC_READ);
	CHECK_EQ(c.u.setadp.d.mac.addr_size, 6);
	CHECK_EQ(c.u.setadp.d.mac.count, 1);
	CHECK_MEM(c.u.setadp.d.mac.mac, mac, 6);
	roundtrip(t, b, (size_t)n, 0);
	be_put32(b + 0x2C + IPA_ADP_MAC_OFF_SIZE, 8);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put32(b + 0x2C + IPA_ADP_MAC_OFF_SIZE, 6);
	be_put32(b + 0x2C + IPA_ADP_MAC_OFF_COUNT, 2); /* a second MAC would be past the data */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);

	n = hx("B8 00 0006 0000 01 00 02 01 0004 00000000 00000000"
	       "00000000 00000000 0014 0000 00000800 0000 01 01 00 000000 00000001", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setadp.subcmd, IPA_SETADP_SET_PROMISC_MODE);
	CHECK_EQ(c.u.setadp.d.mode, IPA_ADP_PROMISC_ON);
	roundtrip(t, b, (size_t)n, 0);

	n = hx("B8 00 0007 0000 01 00 02 01 0004 00000000 00000000"
	       "00000000 00000000 001C 0000 00010000 0010 01 01 00 000000"
	       "00000002 00000000 00000000", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setadp.subcmd, IPA_SETADP_SET_ACCESS_CONTROL);
	CHECK_EQ(c.u.setadp.d.mode, IPA_ADP_ISOLATION_DROP);
	CHECK_EQ(c.u.setadp.sub_rc, IPA_ADP_ACCESS_RC_ALREADY_ISOLATED);
	roundtrip(t, b, (size_t)n, 0);
}

TEST(ipa_setadp_query_oat_with_physical_record)
{
	uint8_t b[256], rec[IPA_OAT_REC_PHYS_SIZE];
	struct ipa_cmd c;
	struct ipa_oat_record r;
	size_t pos = 0;
	int n = hx("B8 00 0008 0000 01 00 02 01 0004 00000000 00000000"
		   "00000000 00000000 0020 0000 00080000 0000 01 01 00 000000"
		   "00000001 00000000 00000000 00000000", b, sizeof(b));

	REQUIRE(n == 0x3C);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setadp.d.oat.scope, IPA_OAT_SCOPE_INTERFACE);
	roundtrip(t, b, (size_t)n, 0);

	/* Reply: one physical-interface record at 0x3C, 1G full duplex on copper. */
	REQUIRE(ipa_oat_phys_encode(IPA_OAT_SPEED_1G_FULL, IPA_OAT_MEDIA_COPPER, rec,
				    sizeof(rec)) == IPA_OAT_REC_PHYS_SIZE);
	CHECK_EQ(ipa_oat_phys_encode(0, 0, rec, sizeof(rec) - 1), -ENOSPC);
	REQUIRE(ipa_oat_phys_encode(IPA_OAT_SPEED_1G_FULL, IPA_OAT_MEDIA_COPPER, rec,
				    sizeof(rec)) == IPA_OAT_REC_PHYS_SIZE);
	memcpy(b + 0x3C, rec, sizeof(rec));
	be_put16(b + IPA_SETADP_OFF_CMDLEN, 16 + 16 + IPA_OAT_REC_PHYS_SIZE);
	n = 0x3C + IPA_OAT_REC_PHYS_SIZE;
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(b[0x3C + 16 + 33], IPA_OAT_SPEED_1G_FULL); /* reference offsets */
	CHECK_EQ(ipa_oat_record_next(c.u.setadp.data + IPA_ADP_OAT_OFF_RECORDS,
				     c.u.setadp.data_len - IPA_ADP_OAT_OFF_RECORDS, &pos, &r), 1);
	CHECK_EQ(r.type, IPA_OAT_TYPE_PHYS_IF);
	CHECK_EQ(r.length, IPA_OAT_REC_PHYS_SIZE);
	CHECK(r.has_phys);
	CHECK_EQ(r.speed_duplex, IPA_OAT_SPEED_1G_FULL);
	CHECK_EQ(r.media_type, IPA_OAT_MEDIA_COPPER);
	CHECK_EQ(ipa_oat_record_next(c.u.setadp.data + 16, c.u.setadp.data_len - 16, &pos, &r), 0);
	roundtrip(t, b, (size_t)n, 0);
}

TEST(ipa_oat_record_walk_rejects_bad_records)
{
	uint8_t rec[IPA_OAT_REC_PHYS_SIZE];
	struct ipa_oat_record r;
	size_t pos = 0;

	REQUIRE(ipa_oat_phys_encode(1, 1, rec, sizeof(rec)) > 0);
	CHECK_EQ(ipa_oat_record_next(rec, 15, &pos, &r), -EMSGSIZE);
	CHECK_EQ(ipa_oat_record_next(rec, sizeof(rec) - 1, &pos, &r), -EMSGSIZE);
	be_put16(rec + IPA_OAT_REC_OFF_LEN, 8); /* would not advance past its own header */
	CHECK_EQ(ipa_oat_record_next(rec, sizeof(rec), &pos, &r), -EBADMSG);
	be_put16(rec + IPA_OAT_REC_OFF_LEN, 16); /* too short for the physical data */
	CHECK_EQ(ipa_oat_record_next(rec, sizeof(rec), &pos, &r), 1);
	CHECK(!r.has_phys);
	CHECK_EQ(pos, 16);
}

TEST(ipa_setadp_switch_attributes_and_card_info)
{
	uint8_t b[128];
	struct ipa_cmd c;
	/* Requests carry no data. */
	int n = hx("B8 00 0009 0000 01 00 02 01 0004 00000000 00000000"
		   "00000000 00000000 0010 0000 00100000 0000 01 01 00 000000", b, sizeof(b));

	REQUIRE(n == 0x2C);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK(!c.u.setadp.has_data);
	roundtrip(t, b, (size_t)n, 0);
	n = hx("B8 81 0009 0000 01 00 02 01 0004 00000000 00000000"
	       "00000000 00000000 0024 0000 00100000 0000 01 01 00 000000"
	       "01 000000 00000003 00000002 0000000000000000", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK(c.u.setadp.has_data);
	CHECK_EQ(c.u.setadp.d.swa.version, 1);
	CHECK_EQ(c.u.setadp.d.swa.caps, IPA_ADP_SWA_FORW_802_1 | IPA_ADP_SWA_REFL_RELAY);
	CHECK_EQ(c.u.setadp.d.swa.settings, IPA_ADP_SWA_REFL_RELAY);
	roundtrip(t, b, (size_t)n, 0);
	/* Some data, but not up to the settings word. */
	be_put16(b + IPA_SETADP_OFF_CMDLEN, 16 + 8);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);

	n = hx("B8 81 000A 0000 01 00 02 01 0004 00000000 00000000"
	       "00000000 00000000 001C 0000 00000400 0000 01 01 00 000000"
	       "61 00 0003 00000007 00000000", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.setadp.d.card.card_type, 0x61);
	CHECK_EQ(c.u.setadp.d.card.port_mode, IPA_ADP_CARD_FULL_DUPLEX);
	CHECK_EQ(c.u.setadp.d.card.port_speed, IPA_ADP_CARD_SPEED_1G);
	roundtrip(t, b, (size_t)n, 0);
}

TEST(ipa_setadp_bad_lengths_and_unknown_subcmd)
{
	uint8_t b[128];
	struct ipa_cmd c;
	int n = hx(c_setadp_qcs, b, sizeof(b));

	REQUIRE(n == 0x40);
	CHECK_EQ(ipa_cmd_decode(b, IPA_SETADP_SIZE - 1, &c), -EMSGSIZE);
	be_put16(b + IPA_SETADP_OFF_CMDLEN, 15); /* below the sub-header */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put16(b + IPA_SETADP_OFF_CMDLEN, 0x25); /* one byte past the command */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	be_put16(b + IPA_SETADP_OFF_CMDLEN, 16 + 8); /* QCS data without the mask */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	/* SNMP has no layout here: header and raw data, distinct status. */
	be_put16(b + IPA_SETADP_OFF_CMDLEN, 0x24);
	be_put32(b + IPA_SETADP_OFF_SUBCMD, IPA_SETADP_SET_SNMP_CONTROL);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), IPA_DECODE_UNKNOWN_SUBCMD);
	CHECK_EQ(c.u.setadp.data_len, 20);
	CHECK(c.u.setadp.data == b + IPA_SETADP_OFF_DATA);
	roundtrip(t, b, (size_t)n, IPA_DECODE_UNKNOWN_SUBCMD);
}

TEST(ipa_set_diag_ass_query_and_trap)
{
	uint8_t b[160], cd[64];
	struct ipa_cmd c;
	int n = hx("B9 00 0003 0000 01 00 02 01 0000 00000000 00000000"
		   "12345678 00000000 0010 0000 00000001 00 00 0000 00000000", b, sizeof(b));

	REQUIRE(n == IPA_DIAG_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.diag.host_tod, 0x12345678);
	CHECK_EQ(c.u.diag.subcmd, IPA_DIAG_QUERY);
	CHECK_EQ(c.u.diag.cdata_len, 0);
	roundtrip(t, b, (size_t)n, 0);
	/* Query reply: supported sub-commands in ext. */
	be_put32(b + IPA_DIAG_OFF_EXT, IPA_DIAG_TRAP);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.diag.ext, IPA_DIAG_TRAP);

	/* Trap arm with 64 bytes of capture data. */
	for (int i = 0; i < 64; i++)
		cd[i] = (uint8_t)i;
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SET_DIAG_ASS;
	c.u.diag.subcmd = IPA_DIAG_TRAP;
	c.u.diag.action = IPA_DIAG_TRAP_ARM;
	c.u.diag.type = 1;
	c.u.diag.options = 0x0102;
	c.u.diag.cdata = cd;
	c.u.diag.cdata_len = 64;
	n = ipa_cmd_encode(&c, b, sizeof(b));
	REQUIRE(n == IPA_DIAG_OFF_CDATA + 64);
	CHECK_EQ(be_get16(b + IPA_DIAG_OFF_SUBLEN), 16 + 64);
	CHECK_EQ(b[IPA_DIAG_OFF_ACTION], IPA_DIAG_TRAP_ARM);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.diag.cdata_len, 64);
	CHECK_MEM(c.u.diag.cdata, cd, 64);
	CHECK_EQ(c.u.diag.options, 0x0102);
	roundtrip(t, b, (size_t)n, 0);

	CHECK_EQ(ipa_cmd_decode(b, IPA_DIAG_SIZE - 1, &c), -EMSGSIZE);
	be_put16(b + IPA_DIAG_OFF_SUBLEN, 15);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put16(b + IPA_DIAG_OFF_SUBLEN, 16 + 65); /* more than 64 bytes of cdata */
	CHECK_EQ(ipa_cmd_decode(b, sizeof(b), &c), -EMSGSIZE);
	be_put16(b + IPA_DIAG_OFF_SUBLEN, 16 + 64);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n - 1, &c), -EMSGSIZE);
	c.u.diag.cdata_len = 65;
	CHECK_EQ(ipa_cmd_encode(&c, b, sizeof(b)), -EINVAL);
}

TEST(ipa_vnicc_sub_commands)
{
	uint8_t b[128];
	struct ipa_cmd c;
	int n = hx(c_vnicc_query, b, sizeof(b));

	REQUIRE(n == IPA_VNICC_SIZE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.vnicc.subcmd, IPA_VNICC_QUERY_CHARS);
	CHECK_EQ(c.u.vnicc.data_len, 0);
	roundtrip(t, b, (size_t)n, 0);

	n = hx("2A 00 0007 0000 01 00 02 01 0000 00000000 00000000"
	       "FE000000 02000000 0010 0000 00000008 80000000 00000258", b, sizeof(b));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.vnicc.supported, 0xFE000000);
	CHECK_EQ(c.u.vnicc.enabled, IPA_VNICC_RX_BCAST);
	CHECK_EQ(c.u.vnicc.subcmd, IPA_VNICC_SET_TIMEOUT);
	CHECK_EQ(c.u.vnicc.vnic_char, IPA_VNICC_FLOODING);
	CHECK_EQ(c.u.vnicc.value, 600);
	roundtrip(t, b, (size_t)n, 0);
	/* SET_TIMEOUT without the timeout word. */
	be_put16(b + IPA_VNICC_OFF_DATALEN, 8 + 4);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	/* ENABLE without the characteristic. */
	be_put16(b + IPA_VNICC_OFF_DATALEN, 8);
	be_put32(b + IPA_VNICC_OFF_SUBCMD, IPA_VNICC_ENABLE);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	be_put16(b + IPA_VNICC_OFF_DATALEN, 7);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put16(b + IPA_VNICC_OFF_DATALEN, 8 + 9);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	CHECK_EQ(ipa_cmd_decode(b, IPA_VNICC_SIZE - 1, &c), -EMSGSIZE);
}

TEST(ipa_setbridgeport_query_and_ports)
{
	uint8_t b[160];
	struct ipa_cmd c;
	struct ipa_sbp_entry e;
	int n = hx(c_sbp_query, b, sizeof(b));

	REQUIRE(n == 0x34);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.sbp.subcmd, IPA_SBP_QUERY_COMMANDS_SUPPORTED);
	CHECK_EQ(c.u.sbp.data_len, 8);
	CHECK_EQ(c.u.sbp.used_total, 1);
	roundtrip(t, b, (size_t)n, 0);
	b[0] = IPA_CMD_SETBRIDGEPORT_IQD;
	roundtrip(t, b, (size_t)n, 0);

	/* State change event with two port entries. */
	n = hx("2B 01 0000 0000 01 00 02 01 0000 00000000 00000000"
	       "00000000 00000000 002C 0000 00000010 0000 01 01 00000000"
	       "01 01 02 0C"
	       "01 02 0000 0A02 00 00 00 0A 0000"
	       "02 01 0000 0B04 00 00 00 0B 0001", b, sizeof(b));
	REQUIRE(n == 0x2C + 4 + 24);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(c.u.sbp.subcmd, IPA_SBP_STATE_CHANGE);
	CHECK_EQ(c.u.sbp.n_entries, 2);
	CHECK_EQ(c.u.sbp.entry_len, 12);
	CHECK_EQ(ipa_sbp_entry_get(&c.u.sbp, 1, &e), 0);
	CHECK_EQ(e.role, 2);
	CHECK_EQ(e.state, 1);
	CHECK_EQ(e.token.devnum, 0x0B04);
	CHECK_EQ(e.token.chpid, 0x0B);
	CHECK_EQ(e.token.chid, 1);
	CHECK_EQ(ipa_sbp_entry_get(&c.u.sbp, 2, &e), -EINVAL);
	roundtrip(t, b, (size_t)n, 0);
	b[0x2C + 3] = 8; /* entries shorter than their layout */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	b[0x2C + 3] = 12;
	b[0x2C + 2] = 3; /* a third entry past the data */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	b[0x2C + 2] = 2;
	be_put16(b + IPA_SBP_OFF_CMDLEN, 0x0F);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put16(b + IPA_SBP_OFF_CMDLEN, 16 + 29);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	/* SET_PRIMARY needs the 8-byte token. */
	be_put16(b + IPA_SBP_OFF_CMDLEN, 16 + 4);
	be_put32(b + IPA_SBP_OFF_SUBCMD, IPA_SBP_SET_PRIMARY);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
}

TEST(ipa_register_local_addr_v4_v6)
{
	uint8_t b[160], a[16];
	uint32_t fl;
	struct ipa_cmd c;
	int n = hx("D1 01 0000 0000 01 00 01 01 0004 00000000 00000000"
		   "00000002 00000004 0A000001 00000000 0A000002 00000001", b, sizeof(b));

	REQUIRE(n == 0x1C + 16);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(ipa_is_reply(b, (size_t)n), 0);
	CHECK_EQ(c.u.laddr.count, 2);
	CHECK_EQ(c.u.laddr.addr_len, 4);
	CHECK_EQ(ipa_local_addr_get(&c.u.laddr, 1, a, &fl), 0);
	CHECK_EQ(a[0], 10);
	CHECK_EQ(a[3], 2);
	CHECK_EQ(a[4], 0);
	CHECK_EQ(fl, 1);
	CHECK_EQ(ipa_local_addr_get(&c.u.laddr, 2, a, &fl), -EINVAL);
	roundtrip(t, b, (size_t)n, 0);
	b[0] = IPA_CMD_UNREGISTER_LOCAL_ADDR;
	roundtrip(t, b, (size_t)n, 0);

	/* Build an IPv6 one with the entry writer. */
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_REGISTER_LOCAL_ADDR;
	c.hdr.initiator = IPA_INIT_ADAPTER;
	c.hdr.prot = IPA_PROT_V6;
	{
		uint8_t ent[20], v6[16] = { 0xFE, 0x80 };

		v6[15] = 9;
		CHECK_EQ(ipa_local_addr_put(ent, sizeof(ent), 16, 0, v6, 7), 0);
		CHECK_EQ(ipa_local_addr_put(ent, sizeof(ent), 16, 1, v6, 7), -ENOSPC);
		CHECK_EQ(ipa_local_addr_put(ent, sizeof(ent), 5, 0, v6, 7), -EINVAL);
		c.u.laddr.count = 1;
		c.u.laddr.addr_len = 16;
		c.u.laddr.entries = ent;
		n = ipa_cmd_encode(&c, b, sizeof(b));
		REQUIRE(n == 0x1C + 20);
		CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
		CHECK_EQ(ipa_local_addr_get(&c.u.laddr, 0, a, &fl), 0);
		CHECK_MEM(a, v6, 16);
		CHECK_EQ(fl, 7);
	}
}

TEST(ipa_register_local_addr_bad_counts_and_lengths)
{
	uint8_t b[160];
	struct ipa_cmd c;
	int n = hx("D1 01 0000 0000 01 00 01 01 0004 00000000 00000000"
		   "00000002 00000004 0A000001 00000000 0A000002 00000001", b, sizeof(b));

	REQUIRE(n == 0x2C);
	be_put32(b + IPA_LADDR_OFF_COUNT, 3); /* one more entry than the buffer holds */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	be_put32(b + IPA_LADDR_OFF_COUNT, 0x40000000); /* count * 8 would wrap 32 bits */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	be_put32(b + IPA_LADDR_OFF_COUNT, 0xFFFFFFFF);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	be_put32(b + IPA_LADDR_OFF_COUNT, 1);
	be_put32(b + IPA_LADDR_OFF_ADDRLEN, 16); /* IPv6 length on protocol 4 */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put32(b + IPA_LADDR_OFF_ADDRLEN, 4);
	be_put16(b + IPA_OFF_PROT, 6); /* IPv4 length on protocol 6 */
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	be_put16(b + IPA_OFF_PROT, 0);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EBADMSG);
	CHECK_EQ(ipa_cmd_decode(b, IPA_LADDR_SIZE - 1, &c), -EMSGSIZE);
}

TEST(ipa_address_change_notification)
{
	uint8_t b[160], ent[40];
	struct ipa_cmd c;
	struct ipa_acn_entry e = { .token = { .devnum = 0x0A00, .chpid = 0x0A },
				   .mac = { 0x02, 1, 2, 3, 4, 5 }, .vlan = 12,
				   .change_code = IPA_ACN_CODE_MAC | IPA_ACN_CODE_REMOVAL };
	struct ipa_acn_entry g;
	int n;

	CHECK_EQ(ipa_acn_entry_put(ent, sizeof(ent), 0, &e), 0);
	e.vlan = 13;
	CHECK_EQ(ipa_acn_entry_put(ent, sizeof(ent), 1, &e), 0);
	CHECK_EQ(ipa_acn_entry_put(ent, sizeof(ent), 2, &e), -ENOSPC);
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_ADDRESS_CHANGE_NOTIF;
	c.hdr.initiator = IPA_INIT_ADAPTER;
	c.u.acn.lost_mask = 0;
	c.u.acn.count = 2;
	c.u.acn.entries = ent;
	n = ipa_cmd_encode(&c, b, sizeof(b));
	REQUIRE(n == IPA_ACN_OFF_ENTRIES + 40);
	CHECK_EQ(be_get16(b + IPA_ACN_OFF_COUNT), 2);
	CHECK_EQ(b[IPA_ACN_OFF_ENTRIES + 20 + IPA_ACN_ENT_OFF_CODE], 0x82);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(ipa_acn_entry_get(&c.u.acn, 1, &g), 0);
	CHECK_EQ(g.token.devnum, 0x0A00);
	CHECK_EQ(g.token.chpid, 0x0A);
	CHECK_EQ(g.vlan, 13);
	CHECK_MEM(g.mac, e.mac, 6);
	CHECK_EQ(g.change_code, 0x82);
	CHECK_EQ(ipa_acn_entry_get(&c.u.acn, 2, &g), -EINVAL);
	roundtrip(t, b, (size_t)n, 0);
	be_put16(b + IPA_ACN_OFF_COUNT, 3);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), -EMSGSIZE);
	CHECK_EQ(ipa_cmd_decode(b, IPA_ACN_SIZE - 1, &c), -EMSGSIZE);
}

TEST(ipa_unknown_command_decodes_header_and_gets_notsupp)
{
	uint8_t b[64], r[64];
	struct ipa_cmd c;
	int n = hx("41 00 0033 0000 01 00 02 01 0004 00000000 00000000 DEADBEEF", b, sizeof(b));

	REQUIRE(n == 24);
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), IPA_DECODE_UNKNOWN_CMD);
	CHECK_EQ(c.hdr.cmd, IPA_CMD_SETCCID);
	CHECK_EQ(c.hdr.seqno, 0x33);
	b[0] = 0x77;
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), IPA_DECODE_UNKNOWN_CMD);
	CHECK_STR(ipa_cmd_name(0x77), "unknown");
	/* The answer the adapter gives: the request echoed with 0x0001. */
	CHECK_EQ(ipa_reply_build(b, (size_t)n, IPA_INIT_OSA_REPLY, IPA_RC_NOTSUPP, r, sizeof(r)), n);
	CHECK_EQ(r[IPA_OFF_INITIATOR], IPA_INIT_OSA_REPLY);
	CHECK_EQ(be_get16(r + IPA_OFF_RC), IPA_RC_NOTSUPP);
	CHECK_EQ(be_get16(r + IPA_OFF_SEQNO), 0x33);
	CHECK_MEM(r + IPA_HDR_SIZE, b + IPA_HDR_SIZE, 4);
	CHECK_EQ(ipa_is_reply(r, (size_t)n), 1);
	CHECK_EQ(ipa_is_reply(b, (size_t)n), 1); /* a host request has initiator 0 too */
}

TEST(ipa_reply_build_rules)
{
	uint8_t b[64], r[64];
	struct ipa_cmd c;
	int n = hx(c_startlan, b, sizeof(b));

	REQUIRE(n == 20);
	CHECK_EQ(ipa_reply_build(b, (size_t)n, IPA_INIT_HOST, IPA_RC_LAN_OFFLINE, r, sizeof(r)), 20);
	CHECK_EQ(r[IPA_OFF_INITIATOR], 0);
	CHECK_EQ(be_get16(r + IPA_OFF_RC), 0xE080);
	CHECK_EQ(ipa_reply_build(b, (size_t)n, IPA_INIT_ADAPTER, 0, r, sizeof(r)), -EINVAL);
	CHECK_EQ(ipa_reply_build(b, (size_t)n, IPA_INIT_HOST_REPLY, 0, r, sizeof(r)), -EINVAL);
	CHECK_EQ(ipa_reply_build(b, 19, IPA_INIT_HOST, 0, r, sizeof(r)), -EMSGSIZE);
	CHECK_EQ(ipa_reply_build(b, (size_t)n, IPA_INIT_HOST, 0, r, 19), -ENOSPC);
	/* In place. */
	CHECK_EQ(ipa_reply_build(b, (size_t)n, IPA_INIT_OSA_REPLY, 0, b, sizeof(b)), 20);
	CHECK_EQ(b[IPA_OFF_INITIATOR], 0x81);
	CHECK_EQ(be_get16(b + IPA_OFF_SEQNO), 1);
	CHECK_EQ(ipa_is_reply(b, 19), -EMSGSIZE);
	b[IPA_OFF_INITIATOR] = IPA_INIT_ADAPTER;
	CHECK_EQ(ipa_is_reply(b, (size_t)n), 0);
	CHECK(!ipa_initiator_is_reply(0x80));
	CHECK_EQ(ipa_cmd_decode(b, (size_t)n, &c), 0);
	CHECK_EQ(ipa_cmd_make_reply(&c, 0x01, 0), -EINVAL);
	CHECK_EQ(ipa_cmd_make_reply(&c, 0x00, 0x0001), 0);
	CHECK_EQ(c.hdr.rc, 1);
	CHECK_EQ(c.hdr.initiator, 0);
	CHECK_EQ(ipa_cmd_encode(&c, r, 19), -ENOSPC);
	CHECK_EQ(ipa_hdr_encode(&c.hdr, r, 19), -ENOSPC);
}

TEST(ipa_names)
{
	CHECK_STR(ipa_rc_name(0xE005), "duplicate IP address");
	CHECK_STR(ipa_rc_name(0xE080), "LAN offline");
	CHECK_STR(ipa_rc_name(0x0001), "command not supported");
	CHECK_STR(ipa_rc_name(0x2B10), "bridge-port error");
	CHECK_STR(ipa_rc_name(0x1234), "unknown");
	CHECK_STR(ipa_cmd_name(IPA_CMD_SETADAPTERPARMS), "SETADAPTERPARMS");
	CHECK_STR(ipa_cmd_name(IPA_CMD_ADDRESS_CHANGE_NOTIF), "ADDRESS_CHANGE_NOTIF");
	CHECK(ipa_rc_is_notsupp(0x0001));
	CHECK(ipa_rc_is_notsupp(0x0004));
	CHECK(ipa_rc_is_notsupp(0x2003));
	CHECK(ipa_rc_is_notsupp(0xE00E));
	CHECK(!ipa_rc_is_notsupp(0xE080));
}

TEST(ipa_encode_from_scratch_zero_fills_data)
{
	uint8_t b[128];
	struct ipa_cmd c;
	int n;

	memset(b, 0xAA, sizeof(b));
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SETADAPTERPARMS;
	c.hdr.adapter_type = 1;
	c.hdr.prim_version = 2;
	c.hdr.param_count = 1;
	c.hdr.prot = 4;
	c.u.setadp.subcmd = IPA_SETADP_QUERY_COMMANDS_SUPPORTED;
	c.u.setadp.used_total = 1;
	c.u.setadp.seq = 1;
	c.u.setadp.data_len = IPA_ADP_QCS_SIZE;
	n = ipa_cmd_encode(&c, b, sizeof(b));
	REQUIRE(n == 0x40);
	{
		uint8_t want[128];

		/* Exactly what Linux sends (seq 4 aside). */
		REQUIRE(hx(c_setadp_qcs, want, sizeof(want)) == 0x40);
		be_put16(want + IPA_OFF_SEQNO, 0);
		CHECK_MEM(b, want, 0x40);
	}
	/* has_data with a length below the layout is refused. */
	c.u.setadp.has_data = true;
	c.u.setadp.data_len = 8;
	CHECK_EQ(ipa_cmd_encode(&c, b, sizeof(b)), -EINVAL);
	CHECK_EQ(ipa_cmd_size(&c), -EINVAL);
	/* SETASSPARMS ARP add with no room for the entry. */
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_SETASSPARMS;
	c.u.setass.assist = IPA_ARP_PROCESSING;
	c.u.setass.cmd = IPA_SETASS_ARP_ADD_ENTRY;
	c.u.setass.data_len = 8;
	CHECK_EQ(ipa_cmd_encode(&c, b, sizeof(b)), -EINVAL);
	/* Local addresses with a bad address length. */
	memset(&c, 0, sizeof(c));
	c.hdr.cmd = IPA_CMD_REGISTER_LOCAL_ADDR;
	c.u.laddr.addr_len = 5;
	CHECK_EQ(ipa_cmd_encode(&c, b, sizeof(b)), -EINVAL);
}
