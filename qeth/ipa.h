/* qeth/ipa.h - IPA (IP assist) commands: the 20-byte header and the data of every command.
 * Works on the IPA command bytes at PDU offset 0x40; both the adapter and the driver side use it. */
#ifndef CPNET_QETH_IPA_H
#define CPNET_QETH_IPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"

/*
 * All offsets below are relative to the start of the IPA command (PDU offset 0x40),
 * so they read the same as the tables of the reference (§3.2, §3.5).
 */

/* ---- IPA PDU framing (§3.1), only what is needed to find the command ---------- */
#define IPA_PDU_OFF_TH_WORD 0x00   /* 4: 00 E0 00 00 */
#define IPA_PDU_OFF_TH_RRH 0x08    /* 4: offset of the RRH, 0x14 */
#define IPA_PDU_OFF_TOTAL 0x0C     /* 4: total length (low half used) */
#define IPA_PDU_OFF_RRH_TYPE 0x18  /* 1: 0xC1 IPA */
#define IPA_PDU_OFF_RRH_PROT 0x19  /* 1: 0x08 layer 2 / 0x03 layer 3 */
#define IPA_PDU_OFF_RRH_PH 0x24    /* 2: offset RRH -> PH, 0x0024 */
#define IPA_PDU_OFF_LEN1 0x26      /* 2: IPA command length */
#define IPA_PDU_OFF_LEN2 0x28      /* 3: IPA command length (3-byte field) */
#define IPA_PDU_OFF_PH_LOC 0x38    /* 1: 0x01 */
#define IPA_PDU_OFF_LEN3 0x39      /* 3: IPA command length (PH data length) */
#define IPA_PDU_OFF_DATA 0x3C      /* 4: offset of the command from TH, 0x40 */
#define IPA_PDU_HDR_SIZE 0x40
CPNET_LAYOUT(IPA_PDU_HDR, IPA_PDU_OFF_DATA + 4);

#define IPA_PDU_TH_WORD 0x00E00000u
#define IPA_PDU_RRH_TYPE_IPA 0xC1
#define IPA_PDU_PROT_L2 0x08
#define IPA_PDU_PROT_L3 0x03

/* Find the IPA command inside a whole message: *off = 0x40, *cmdlen = its length.
 * 0; -EMSGSIZE (short, or the total length runs past len); -EPROTO (not an MPC
 * message, or an MPC setup message rather than IPA); -EBADMSG (geometry not the
 * fixed host layout, or the three command lengths and the total disagree). */
int ipa_pdu_payload(const uint8_t *buf, size_t len, size_t *off, size_t *cmdlen);
/* Set the command length in a PDU of that geometry (the three length fields and the
 * total), for a reply longer than its request.  -EINVAL if it does not fit 16 bits. */
int ipa_pdu_set_len(uint8_t *buf, size_t cmdlen);

/* ---- IPA command header (§3.2) --------------------------------------------------- */
#define IPA_OFF_CMD 0x00
#define IPA_OFF_INITIATOR 0x01
#define IPA_OFF_SEQNO 0x02
#define IPA_OFF_RC 0x04
#define IPA_OFF_ADP_TYPE 0x06
#define IPA_OFF_PORT 0x07
#define IPA_OFF_PRIM_VERSION 0x08
#define IPA_OFF_PARAM_COUNT 0x09
#define IPA_OFF_PROT 0x0A
#define IPA_OFF_SUPPORTED 0x0C
#define IPA_OFF_ENABLED 0x10
#define IPA_HDR_SIZE 0x14
CPNET_LAYOUT(IPA_HDR, IPA_OFF_ENABLED + 4);
#define IPA_OFF_DATA IPA_HDR_SIZE

#define IPA_INIT_HOST 0x00       /* host request, and the reply Hercules gives */
#define IPA_INIT_ADAPTER 0x01    /* adapter-initiated (unsolicited) */
#define IPA_INIT_HOST_REPLY 0x80 /* host's reply to an unsolicited one */
#define IPA_INIT_OSA_REPLY 0x81  /* adapter's reply */

#define IPA_PRIM_L3 1
#define IPA_PRIM_L2 2
#define IPA_PROT_NONE 0
#define IPA_PROT_V4 4
#define IPA_PROT_V6 6
#define IPA_ADAPTER_TYPE 0x01

struct ipa_hdr {
	uint8_t cmd;
	uint8_t initiator;
	uint16_t seqno;
	uint16_t rc;
	uint8_t adapter_type;
	uint8_t port;
	uint8_t prim_version;
	uint8_t param_count;
	uint16_t prot;
	uint32_t supported;
	uint32_t enabled;
};

/* ---- command codes (§3.3) ---------------------------------------------------------- */
#define IPA_CMD_STARTLAN 0x01
#define IPA_CMD_STOPLAN 0x02
#define IPA_CMD_SETVMAC 0x21
#define IPA_CMD_DELVMAC 0x22
#define IPA_CMD_SETGMAC 0x23
#define IPA_CMD_DELGMAC 0x24
#define IPA_CMD_SETVLAN 0x25
#define IPA_CMD_DELVLAN 0x26
#define IPA_CMD_VNICC 0x2A
#define IPA_CMD_SETBRIDGEPORT_OSA 0x2B
#define IPA_CMD_SETCCID 0x41
#define IPA_CMD_DELCCID 0x42
#define IPA_CMD_MODCCID 0x43
#define IPA_CMD_SETIP 0xB1
#define IPA_CMD_QIPASSIST 0xB2
#define IPA_CMD_SETASSPARMS 0xB3
#define IPA_CMD_SETIPM 0xB4
#define IPA_CMD_DELIPM 0xB5
#define IPA_CMD_SETRTG 0xB6
#define IPA_CMD_DELIP 0xB7
#define IPA_CMD_SETADAPTERPARMS 0xB8
#define IPA_CMD_SET_DIAG_ASS 0xB9
#define IPA_CMD_SETBRIDGEPORT_IQD 0xBE
#define IPA_CMD_CREATE_ADDR 0xC3
#define IPA_CMD_DESTROY_ADDR 0xC4
#define IPA_CMD_REGISTER_LOCAL_ADDR 0xD1
#define IPA_CMD_UNREGISTER_LOCAL_ADDR 0xD2
#define IPA_CMD_ADDRESS_CHANGE_NOTIF 0xD3

/* ---- return codes (§3.4) ----------------------------------------------------------- */
#define IPA_RC_SUCCESS 0x0000
#define IPA_RC_NOTSUPP 0x0001
#define IPA_RC_IP_TABLE_FULL 0x0002
#define IPA_RC_UNKNOWN_ERROR 0x0003
#define IPA_RC_UNSUPPORTED_COMMAND 0x0004
#define IPA_RC_TRACE_ALREADY_ACTIVE 0x0005 /* also VNICC "out of sequence" */
#define IPA_RC_INVALID_FORMAT 0x0006
#define IPA_RC_DUP_IPV6_REMOTE 0x0008
#define IPA_RC_DUP_IPV6_HOME 0x0010
#define IPA_RC_UNREGISTERED_ADDR 0x0011
#define IPA_RC_NO_ID_AVAILABLE 0x0012
#define IPA_RC_ID_NOT_FOUND 0x0013
#define IPA_RC_INVALID_IP_VERSION 0x0020
#define IPA_RC_LAN_FRAME_MISMATCH 0x0040
#define IPA_RC_L2_UNSUPPORTED_CMD 0x2003
#define IPA_RC_L2_DUP_MAC 0x2005
#define IPA_RC_L2_ADDR_TABLE_FULL 0x2006
#define IPA_RC_L2_DUP_LAYER3_MAC 0x200A
#define IPA_RC_L2_GMAC_NOT_FOUND 0x200B
#define IPA_RC_L2_MAC_NOT_AUTH_BY_HYP 0x200C
#define IPA_RC_L2_MAC_NOT_AUTH_BY_ADP 0x200D
#define IPA_RC_L2_MAC_NOT_FOUND 0x2010
#define IPA_RC_L2_INVALID_VLAN_ID 0x2015
#define IPA_RC_L2_DUP_VLAN_ID 0x2016
#define IPA_RC_L2_VLAN_ID_NOT_FOUND 0x2017
#define IPA_RC_L2_VLAN_ID_NOT_ALLOWED 0x2050
#define IPA_RC_VNICC_VNICBP 0x20B0
#define IPA_RC_SBP_FIRST 0x2B0C /* bridge-port (OSA) codes span FIRST..LAST */
#define IPA_RC_SBP_LAST 0x2BEB
#define IPA_RC_DATA_MISMATCH 0xE001
#define IPA_RC_INVALID_MTU_SIZE 0xE002
#define IPA_RC_INVALID_LANTYPE 0xE003
#define IPA_RC_INVALID_LANNUM 0xE004
#define IPA_RC_DUPLICATE_IP_ADDRESS 0xE005
#define IPA_RC_IP_ADDR_TABLE_FULL 0xE006
#define IPA_RC_LAN_PORT_STATE_ERROR 0xE007
#define IPA_RC_SETIP_NO_STARTLAN 0xE008
#define IPA_RC_SETIP_ALREADY_RECEIVED 0xE009
#define IPA_RC_IP_ADDR_ALREADY_USED 0xE00A
#define IPA_RC_MC_ADDR_NOT_FOUND 0xE00B
#define IPA_RC_SETIP_INVALID_VERSION 0xE00D
#define IPA_RC_UNSUPPORTED_SUBCMD 0xE00E
#define IPA_RC_ARP_ASSIST_NO_ENABLE 0xE00F
#define IPA_RC_PRIMARY_ALREADY_DEFINED 0xE010 /* DELIP: "IP address not defined" */
#define IPA_RC_SECOND_ALREADY_DEFINED 0xE011
#define IPA_RC_INVALID_SETRTG_INDICATOR 0xE012
#define IPA_RC_MC_ADDR_ALREADY_DEFINED 0xE013
#define IPA_RC_LAN_OFFLINE 0xE080
#define IPA_RC_VEPA_TO_VEB_TRANSITION 0xE090
#define IPA_RC_INVALID_IP_VERSION2 0xF001
#define IPA_RC_FFFF 0xFFFF

/* A short English name of a return code (never NULL; "unknown" if not listed). */
const char *ipa_rc_name(uint16_t rc);
/* The command's name ("STARTLAN", ...; "unknown" if not listed). */
const char *ipa_cmd_name(uint8_t cmd);
/* The "not supported" family the driver treats alike (0x0001, 0x0004, 0x2003, 0xE00E). */
bool ipa_rc_is_notsupp(uint16_t rc);

/* ---- IP-assist bits (§3.6), also the SETASSPARMS assist numbers --------------------- */
#define IPA_ARP_PROCESSING 0x00000001u
#define IPA_INBOUND_CHECKSUM 0x00000002u
#define IPA_OUTBOUND_CHECKSUM 0x00000004u
#define IPA_IP_FRAGMENTATION 0x00000008u /* "reserved" in current drivers */
#define IPA_FILTERING 0x00000010u
#define IPA_IPV6 0x00000020u
#define IPA_MULTICASTING 0x00000040u
#define IPA_IP_REASSEMBLY 0x00000080u
#define IPA_QUERY_ARP_COUNTERS 0x00000100u
#define IPA_QUERY_ARP_ADDR_INFO 0x00000200u
#define IPA_SETADAPTERPARMS 0x00000400u
#define IPA_VLAN_PRIO 0x00000800u
#define IPA_PASSTHRU 0x00001000u
#define IPA_FLUSH_ARP_SUPPORT 0x00002000u
#define IPA_FULL_VLAN 0x00004000u
#define IPA_INBOUND_PASSTHRU 0x00008000u
#define IPA_SOURCE_MAC 0x00010000u
#define IPA_OSA_MC_ROUTER 0x00020000u
#define IPA_QUERY_ARP_ASSIST 0x00040000u
#define IPA_INBOUND_TSO 0x00080000u
#define IPA_OUTBOUND_TSO 0x00100000u
#define IPA_INBOUND_CHECKSUM_V6 0x00400000u
#define IPA_OUTBOUND_CHECKSUM_V6 0x00800000u
/* What Hercules advertises: ARP, IPv6, multicasting, SETADAPTERPARMS, passthru,
 * inbound passthru, source MAC. */
#define IPA_HERCULES_ASSISTS 0x00019461u

/* Checksum flag bits (SETASSPARMS data) and the TSO capability bit. */
#define IPA_CSUM_IP_HDR 0x0002u
#define IPA_CSUM_UDP 0x0008u
#define IPA_CSUM_TCP 0x0010u
#define IPA_CSUM_LP2LP 0x0020u
#define IPA_LARGE_SEND_TCP 0x00000001u

/* ---- simple command bodies (§3.5) -------------------------------------------------- */
/* SETVMAC / DELVMAC / SETGMAC / DELGMAC */
#define IPA_MAC_OFF_LEN 0x14 /* 4: MAC length, 6 */
#define IPA_MAC_OFF_ADDR 0x18 /* 6 */
#define IPA_MAC_SIZE 0x1E
CPNET_LAYOUT(IPA_MAC, IPA_MAC_OFF_ADDR + 6);
#define IPA_MAC_LEN 6

/* SETVLAN / DELVLAN */
#define IPA_VLAN_OFF_ID 0x14
#define IPA_VLAN_SIZE 0x16
CPNET_LAYOUT(IPA_VLAN, IPA_VLAN_OFF_ID + 2);

/* SETIP / DELIP, IPv4 (prot 4) and IPv6 (prot 6) */
#define IPA_SETIP4_OFF_ADDR 0x14
#define IPA_SETIP4_OFF_MASK 0x18
#define IPA_SETIP4_OFF_FLAGS 0x1C
#define IPA_SETIP4_SIZE 0x20
CPNET_LAYOUT(IPA_SETIP4, IPA_SETIP4_OFF_FLAGS + 4);
#define IPA_SETIP6_OFF_ADDR 0x14
#define IPA_SETIP6_OFF_MASK 0x24
#define IPA_SETIP6_OFF_FLAGS 0x34
#define IPA_SETIP6_SIZE 0x38
CPNET_LAYOUT(IPA_SETIP6, IPA_SETIP6_OFF_FLAGS + 4);
#define IPA_SETIP_FLAG_VIPA 0x01     /* SETIP: no gratuitous ARP */
#define IPA_SETIP_FLAG_TAKEOVER 0x02
#define IPA_DELIP_FLAG_TAKEOVER 0x20 /* DELIP: address to be taken over */
#define IPA_DELIP_FLAG_VIPA 0x40
#define IPA_DELIP_FLAG_ADDR_NEEDS_SETIP 0x80

/* SETIPM / DELIPM: IPv4 lives in the last 4 bytes of the 16-byte address */
#define IPA_SETIPM_OFF_MAC 0x14
#define IPA_SETIPM_OFF_PAD 0x1A
#define IPA_SETIPM_OFF_ADDR 0x1C
#define IPA_SETIPM_SIZE 0x2C
CPNET_LAYOUT(IPA_SETIPM, IPA_SETIPM_OFF_ADDR + 16);
#define IPA_SETIPM_V4_IN_ADDR 12

/* SETRTG */
#define IPA_SETRTG_OFF_TYPE 0x14
#define IPA_SETRTG_SIZE 0x15
CPNET_LAYOUT(IPA_SETRTG, IPA_SETRTG_OFF_TYPE + 1);
#define IPA_RTG_NONE 0
#define IPA_RTG_PRIMARY_ROUTER 1
#define IPA_RTG_SECONDARY_ROUTER 2
#define IPA_RTG_MULTICAST_ROUTER 3
#define IPA_RTG_PRIMARY_CONNECTOR 4
#define IPA_RTG_SECONDARY_CONNECTOR 5

/* CREATE_ADDR / DESTROY_ADDR */
#define IPA_CREATE_OFF_MAC 0x14
#define IPA_CREATE_OFF_UID 0x1A
#define IPA_CREATE_SIZE 0x1C
CPNET_LAYOUT(IPA_CREATE, IPA_CREATE_OFF_UID + 2);

/* ---- SETASSPARMS ------------------------------------------------------------------- */
#define IPA_SETASS_OFF_ASSIST 0x14 /* 4: assist number (one IPA_* bit) */
#define IPA_SETASS_OFF_LEN 0x18    /* 2: 8 + data length */
#define IPA_SETASS_OFF_CMD 0x1A    /* 2 */
#define IPA_SETASS_OFF_RC 0x1C     /* 2 */
#define IPA_SETASS_OFF_NREPLIES 0x1E
#define IPA_SETASS_OFF_SEQ 0x1F
#define IPA_SETASS_OFF_DATA 0x20
#define IPA_SETASS_SIZE 0x20
CPNET_LAYOUT(IPA_SETASS, IPA_SETASS_OFF_SEQ + 1);
#define IPA_SETASS_LEN_BASE 8 /* the length field counts from IPA_SETASS_OFF_LEN */

#define IPA_SETASS_START 0x0001
#define IPA_SETASS_STOP 0x0002
#define IPA_SETASS_CONFIGURE 0x0003
#define IPA_SETASS_ENABLE 0x0004
/* Sub-commands of the ARP_PROCESSING assist (same field, different meaning). */
#define IPA_SETASS_ARP_SET_NO_ENTRIES 0x0003
#define IPA_SETASS_ARP_QUERY_CACHE 0x0004
#define IPA_SETASS_ARP_ADD_ENTRY 0x0005
#define IPA_SETASS_ARP_REMOVE_ENTRY 0x0006
#define IPA_SETASS_ARP_FLUSH_CACHE 0x0007
#define IPA_SETASS_ARP_QUERY_INFO 0x0104
#define IPA_SETASS_ARP_QUERY_STATS 0x0204

/* ARP cache entry (add/remove): MAC, 2 bytes, 16-byte IP (IPv4 first), 32 bytes. */
#define IPA_ARP_ENTRY_OFF_MAC 0
#define IPA_ARP_ENTRY_OFF_IP 8
#define IPA_ARP_ENTRY_OFF_RSVD 24
#define IPA_ARP_ENTRY_SIZE 56
CPNET_LAYOUT(IPA_ARP_ENTRY, IPA_ARP_ENTRY_OFF_RSVD + 32);
/* ARP query (cache / info): request bits, reply bits, number of entries, entries. */
#define IPA_ARP_QUERY_OFF_REQ 0
#define IPA_ARP_QUERY_OFF_REPLY 2
#define IPA_ARP_QUERY_OFF_COUNT 4
#define IPA_ARP_QUERY_SIZE 8
CPNET_LAYOUT(IPA_ARP_QUERY, IPA_ARP_QUERY_OFF_COUNT + 4);

/* How the data of a SETASSPARMS is laid out; a function of (assist, command, length). */
enum ipa_setass_form {
	IPA_SETASS_FORM_NONE,      /* no data, or fewer than 4 bytes (kept raw) */
	IPA_SETASS_FORM_FLAGS,     /* u32 flags (4..7 bytes) */
	IPA_SETASS_FORM_PAIR,      /* two u32: {supported, enabled} or TSO {mss, supported} */
	IPA_SETASS_FORM_ARP_ENTRY, /* ARP add / remove */
	IPA_SETASS_FORM_ARP_QUERY, /* ARP query cache / query info */
};
enum ipa_setass_form ipa_setass_form(uint32_t assist, uint16_t cmd, size_t data_len);

struct ipa_setass {
	uint32_t assist;
	uint16_t cmd;
	uint16_t rc;
	uint8_t n_replies;
	uint8_t seq;
	uint8_t form;           /* enum ipa_setass_form, set by decode (encode recomputes it) */
	uint16_t data_len;      /* length field - 8 */
	const uint8_t *data;    /* the data bytes in the decoded buffer (NULL: zeros) */
	union {
		uint32_t flags;
		struct { uint32_t supported, enabled; } caps;
		struct { uint32_t mss, supported; } tso;
		struct { uint8_t mac[6]; uint8_t ip[16]; } arp_entry;
		struct { uint16_t request_bits, reply_bits; uint32_t n_entries; } arp_query;
	} d;
};

/* ---- SETADAPTERPARMS --------------------------------------------------------------- */
#define IPA_SETADP_OFF_SUPPORTED 0x14 /* 4: adapter-supported sub-commands (reply) */
#define IPA_SETADP_OFF_ENABLED 0x18   /* 4 */
#define IPA_SETADP_OFF_CMDLEN 0x1C    /* 2: 16 + data length */
#define IPA_SETADP_OFF_SUBCMD 0x20    /* 4 */
#define IPA_SETADP_OFF_SUBRC 0x24     /* 2 */
#define IPA_SETADP_OFF_USED_TOTAL 0x26
#define IPA_SETADP_OFF_SEQ 0x27
#define IPA_SETADP_OFF_FLAGS 0x28
#define IPA_SETADP_OFF_RSVD 0x29      /* 3 */
#define IPA_SETADP_OFF_DATA 0x2C
#define IPA_SETADP_SIZE 0x2C
CPNET_LAYOUT(IPA_SETADP, IPA_SETADP_OFF_RSVD + 3);
#define IPA_SETADP_CMDLEN_BASE 16 /* the length field counts from IPA_SETADP_OFF_CMDLEN */
#define IPA_SETADP_FLAG_VIRTUAL_MAC 0x80

#define IPA_SETADP_QUERY_COMMANDS_SUPPORTED 0x00000001u
#define IPA_SETADP_ALTER_MAC_ADDRESS 0x00000002u
#define IPA_SETADP_ADD_DELETE_GROUP_ADDRESS 0x00000004u
#define IPA_SETADP_ADD_DELETE_FUNCTIONAL_ADDR 0x00000008u
#define IPA_SETADP_SET_ADDRESSING_MODE 0x00000010u
#define IPA_SETADP_SET_CONFIG_PARMS 0x00000020u
#define IPA_SETADP_SET_CONFIG_PARMS_EXTENDED 0x00000040u
#define IPA_SETADP_SET_BROADCAST_MODE 0x00000080u
#define IPA_SETADP_SEND_OSA_MESSAGE 0x00000100u
#define IPA_SETADP_SET_SNMP_CONTROL 0x00000200u
#define IPA_SETADP_QUERY_CARD_INFO 0x00000400u
#define IPA_SETADP_SET_PROMISC_MODE 0x00000800u
#define IPA_SETADP_SET_DIAG_ASSIST 0x00002000u
#define IPA_SETADP_SET_ACCESS_CONTROL 0x00010000u
#define IPA_SETADP_QUERY_OAT 0x00080000u
#define IPA_SETADP_QUERY_SWITCH_ATTRIBUTES 0x00100000u

/* Data layouts, relative to IPA_SETADP_OFF_DATA; *_SIZE is what the driver sends. */
#define IPA_ADP_QCS_OFF_NLAN 0       /* u32 number of LAN types */
#define IPA_ADP_QCS_OFF_LAN_TYPE 4   /* u8 */
#define IPA_ADP_QCS_OFF_SUPPORTED 8  /* u32 supported sub-command mask */
#define IPA_ADP_QCS_OFF_RSVD 12      /* 8 */
#define IPA_ADP_QCS_SIZE 20
CPNET_LAYOUT(IPA_ADP_QCS, IPA_ADP_QCS_OFF_RSVD + 8);
#define IPA_ADP_MAC_OFF_OP 0
#define IPA_ADP_MAC_OFF_SIZE 4
#define IPA_ADP_MAC_OFF_COUNT 8
#define IPA_ADP_MAC_OFF_ADDR 12
#define IPA_ADP_MAC_SIZE 18
CPNET_LAYOUT(IPA_ADP_MAC, IPA_ADP_MAC_OFF_ADDR + 6);
#define IPA_ADP_MODE_OFF 0
#define IPA_ADP_MODE_SIZE 4
CPNET_LAYOUT(IPA_ADP_MODE, IPA_ADP_MODE_OFF + 4);
#define IPA_ADP_ACCESS_OFF_MODE 0
#define IPA_ADP_ACCESS_OFF_RSVD 4
#define IPA_ADP_ACCESS_SIZE 12
CPNET_LAYOUT(IPA_ADP_ACCESS, IPA_ADP_ACCESS_OFF_RSVD + 8);
#define IPA_ADP_OAT_OFF_SCOPE 0
#define IPA_ADP_OAT_OFF_RSVD 4
#define IPA_ADP_OAT_OFF_RECORDS 16   /* reply records (IPA offset 0x3C) */
#define IPA_ADP_OAT_SIZE 16
CPNET_LAYOUT(IPA_ADP_OAT, IPA_ADP_OAT_OFF_RSVD + 12);
#define IPA_ADP_SWA_OFF_VERSION 0
#define IPA_ADP_SWA_OFF_CAPS 4
#define IPA_ADP_SWA_OFF_SETTINGS 8
#define IPA_ADP_SWA_OFF_RSVD 12
#define IPA_ADP_SWA_SIZE 20
CPNET_LAYOUT(IPA_ADP_SWA, IPA_ADP_SWA_OFF_RSVD + 8);
#define IPA_ADP_CARD_OFF_TYPE 0
#define IPA_ADP_CARD_OFF_PORT_MODE 2
#define IPA_ADP_CARD_OFF_SPEED 4
#define IPA_ADP_CARD_OFF_RSVD 8
#define IPA_ADP_CARD_SIZE 12
CPNET_LAYOUT(IPA_ADP_CARD, IPA_ADP_CARD_OFF_RSVD + 4);

#define IPA_ADP_MAC_READ 0
#define IPA_ADP_MAC_REPLACE 1
#define IPA_ADP_MAC_ADD 2
#define IPA_ADP_MAC_DEL 4
#define IPA_ADP_MAC_RESET 8
#define IPA_ADP_PROMISC_OFF 0
#define IPA_ADP_PROMISC_ON 1
#define IPA_ADP_ISOLATION_NONE 0
#define IPA_ADP_ISOLATION_FWD 1
#define IPA_ADP_ISOLATION_DROP 2
#define IPA_ADP_ACCESS_RC_OK 0x0000
#define IPA_ADP_ACCESS_RC_NOT_SUPPORTED 0x0004
#define IPA_ADP_ACCESS_RC_ALREADY_NOT_ISOLATED 0x0008
#define IPA_ADP_ACCESS_RC_ALREADY_ISOLATED 0x0010
#define IPA_ADP_ACCESS_RC_NONE_SHARED 0x0014
#define IPA_ADP_ACCESS_RC_CHECKSUM_OFF 0x0018
#define IPA_ADP_ACCESS_RC_REFLREL_UNSUPPORTED 0x0022
#define IPA_ADP_ACCESS_RC_REFLREL_FAILED 0x0024
#define IPA_ADP_ACCESS_RC_REFLREL_DEACT_FAILED 0x0028
#define IPA_ADP_SWA_FORW_802_1 0x01u
#define IPA_ADP_SWA_REFL_RELAY 0x02u
#define IPA_ADP_SWA_RTE 0x04u
#define IPA_ADP_SWA_ECP 0x08u
#define IPA_ADP_SWA_VDP 0x10u
/* Card types are OSA feature codes (0x61 1G copper ... 0xC1 10G fibre); a virtual
 * NIC has none, and 0 is none of them. */
#define IPA_ADP_CARD_TYPE_VIRTUAL 0x00
#define IPA_ADP_CARD_HALF_DUPLEX 2
#define IPA_ADP_CARD_FULL_DUPLEX 3
#define IPA_ADP_CARD_SPEED_10M 5
#define IPA_ADP_CARD_SPEED_100M 6
#define IPA_ADP_CARD_SPEED_1G 7
#define IPA_ADP_CARD_SPEED_10G 8
#define IPA_ADP_CARD_SPEED_25G 0x0A

/* QUERY_OAT reply record: type, length, version, 10 bytes, then (type 4) the
 * 64-byte physical-interface data with speed/duplex at +33 and media at +34. */
#define IPA_OAT_REC_OFF_TYPE 0
#define IPA_OAT_REC_OFF_LEN 2
#define IPA_OAT_REC_OFF_VERSION 4
#define IPA_OAT_REC_OFF_PHYS 16
#define IPA_OAT_REC_HDR_SIZE 16
#define IPA_OAT_PHYS_OFF_SPEED 33
#define IPA_OAT_PHYS_OFF_MEDIA 34
#define IPA_OAT_PHYS_SIZE 64
#define IPA_OAT_REC_PHYS_SIZE (IPA_OAT_REC_HDR_SIZE + IPA_OAT_PHYS_SIZE)
#define IPA_OAT_SCOPE_INTERFACE 1
#define IPA_OAT_TYPE_PHYS_IF 4
#define IPA_OAT_SPEED_UNKNOWN 0x00
#define IPA_OAT_SPEED_10M_HALF 0x01
#define IPA_OAT_SPEED_10M_FULL 0x02
#define IPA_OAT_SPEED_100M_HALF 0x03
#define IPA_OAT_SPEED_100M_FULL 0x04
#define IPA_OAT_SPEED_1G_HALF 0x05
#define IPA_OAT_SPEED_1G_FULL 0x06
#define IPA_OAT_SPEED_10G_FULL 0x08
#define IPA_OAT_SPEED_25G_FULL 0x0A
#define IPA_OAT_MEDIA_COPPER 0x01
#define IPA_OAT_MEDIA_FIBRE_SHORT 0x02
#define IPA_OAT_MEDIA_FIBRE_LONG 0x04

struct ipa_oat_record {
	uint16_t type;
	uint16_t length;
	uint16_t version;
	bool has_phys;          /* type 4 and long enough for the physical-interface data */
	uint8_t speed_duplex;
	uint8_t media_type;
};
/* Walk the QUERY_OAT reply records: *pos starts at 0.  1 = a record in *rec (and
 * *pos advanced), 0 = end, -EMSGSIZE = a record runs past the data, -EBADMSG = a
 * record length below the 16-byte record header (would loop). */
int ipa_oat_record_next(const uint8_t *recs, size_t len, size_t *pos, struct ipa_oat_record *rec);
/* Write one physical-interface record (IPA_OAT_REC_PHYS_SIZE bytes) or -ENOSPC. */
int ipa_oat_phys_encode(uint8_t speed_duplex, uint8_t media_type, uint8_t *buf, size_t cap);

struct ipa_setadp {
	uint32_t supported;
	uint32_t enabled;
	uint32_t subcmd;
	uint16_t sub_rc;
	uint8_t used_total;
	uint8_t seq;
	uint8_t flags;
	bool has_data;       /* the sub-command's fixed fields below are valid */
	uint16_t data_len;   /* cmdlen field - 16 */
	const uint8_t *data; /* data bytes in the decoded buffer (NULL: zeros) */
	union {
		struct { uint32_t n_lan_types; uint8_t lan_type; uint32_t supported; } qcs;
		struct { uint32_t op, addr_size, count; uint8_t mac[6]; } mac;
		uint32_t mode;    /* SET_PROMISC_MODE, SET_ACCESS_CONTROL */
		struct { uint32_t scope; } oat; /* records: data + 16 .. data + data_len */
		struct { uint8_t version; uint32_t caps, settings; } swa;
		struct { uint8_t card_type; uint16_t port_mode; uint32_t port_speed; } card;
	} d;
};

/* ---- SET_DIAG_ASS ------------------------------------------------------------------ */
#define IPA_DIAG_OFF_TOD 0x14
#define IPA_DIAG_OFF_SUBLEN 0x1C  /* 2: 16 + cdata length */
#define IPA_DIAG_OFF_SUBCMD 0x20
#define IPA_DIAG_OFF_TYPE 0x24
#define IPA_DIAG_OFF_ACTION 0x25
#define IPA_DIAG_OFF_OPTIONS 0x26
#define IPA_DIAG_OFF_EXT 0x28
#define IPA_DIAG_OFF_CDATA 0x2C
#define IPA_DIAG_SIZE 0x2C
CPNET_LAYOUT(IPA_DIAG, IPA_DIAG_OFF_EXT + 4);
#define IPA_DIAG_SUBLEN_BASE 16
#define IPA_DIAG_CDATA_MAX 64
#define IPA_DIAG_QUERY 0x01
#define IPA_DIAG_TRAP 0x02
#define IPA_DIAG_TRACE 0x04
#define IPA_DIAG_NOLOG 0x08
#define IPA_DIAG_DUMP 0x10
#define IPA_DIAG_TRAP_ARM 0x01
#define IPA_DIAG_TRAP_DISARM 0x02
#define IPA_DIAG_TRAP_CAPTURE 0x04

struct ipa_diag {
	uint32_t host_tod;
	uint32_t subcmd;
	uint8_t type;
	uint8_t action;
	uint16_t options;
	uint32_t ext;            /* query reply: supported sub-command mask */
	uint8_t cdata_len;       /* sub-length field - 16, at most 64 */
	const uint8_t *cdata;    /* NULL: zeros */
};

/* ---- VNICC ------------------------------------------------------------------------- */
#define IPA_VNICC_OFF_SUPPORTED 0x14
#define IPA_VNICC_OFF_ENABLED 0x18
#define IPA_VNICC_OFF_DATALEN 0x1C /* 2: 8 + data length */
#define IPA_VNICC_OFF_SUBCMD 0x20
#define IPA_VNICC_OFF_DATA 0x24
#define IPA_VNICC_SIZE 0x24
CPNET_LAYOUT(IPA_VNICC, IPA_VNICC_OFF_SUBCMD + 4);
#define IPA_VNICC_DATALEN_BASE 8
#define IPA_VNICC_QUERY_CHARS 0x00
#define IPA_VNICC_QUERY_CMDS 0x01
#define IPA_VNICC_ENABLE 0x02
#define IPA_VNICC_DISABLE 0x04
#define IPA_VNICC_SET_TIMEOUT 0x08
#define IPA_VNICC_GET_TIMEOUT 0x10
#define IPA_VNICC_FLOODING 0x80000000u
#define IPA_VNICC_MCAST_FLOODING 0x40000000u
#define IPA_VNICC_LEARNING 0x20000000u
#define IPA_VNICC_TAKEOVER_SETVMAC 0x10000000u
#define IPA_VNICC_TAKEOVER_LEARNING 0x08000000u
#define IPA_VNICC_BRIDGE_INVISIBLE 0x04000000u
#define IPA_VNICC_RX_BCAST 0x02000000u

struct ipa_vnicc {
	uint32_t supported;
	uint32_t enabled;
	uint32_t subcmd;
	uint16_t data_len;    /* data-length field - 8 */
	const uint8_t *data;  /* NULL: zeros */
	uint32_t vnic_char;   /* data word 0, if data_len >= 4 */
	uint32_t value;       /* data word 1 (supported cmds / timeout), if data_len >= 8 */
};

/* ---- SETBRIDGEPORT (0x2B OSA, 0xBE IQD) ---------------------------------------------- */
#define IPA_SBP_OFF_SUPPORTED 0x14
#define IPA_SBP_OFF_ENABLED 0x18
#define IPA_SBP_OFF_CMDLEN 0x1C   /* 2: 16 + data length */
#define IPA_SBP_OFF_SUBCMD 0x20
#define IPA_SBP_OFF_SUBRC 0x24
#define IPA_SBP_OFF_USED_TOTAL 0x26
#define IPA_SBP_OFF_SEQ 0x27
#define IPA_SBP_OFF_RSVD 0x28
#define IPA_SBP_OFF_DATA 0x2C
#define IPA_SBP_SIZE 0x2C
CPNET_LAYOUT(IPA_SBP, IPA_SBP_OFF_RSVD + 4);
#define IPA_SBP_CMDLEN_BASE 16
#define IPA_SBP_QUERY_COMMANDS_SUPPORTED 0x00
#define IPA_SBP_RESET_ROLE 0x01
#define IPA_SBP_SET_PRIMARY 0x02
#define IPA_SBP_SET_SECONDARY 0x04
#define IPA_SBP_QUERY_PORTS 0x08
#define IPA_SBP_STATE_CHANGE 0x10
/* Port data (query ports reply, state change): 4 bytes then entries. */
#define IPA_SBP_PORTS_OFF_PRI 0
#define IPA_SBP_PORTS_OFF_SEC 1
#define IPA_SBP_PORTS_OFF_COUNT 2
#define IPA_SBP_PORTS_OFF_ENTLEN 3
#define IPA_SBP_PORTS_SIZE 4
CPNET_LAYOUT(IPA_SBP_PORTS, IPA_SBP_PORTS_OFF_ENTLEN + 1);
#define IPA_SBP_ENTRY_OFF_ROLE 0
#define IPA_SBP_ENTRY_OFF_STATE 1
#define IPA_SBP_ENTRY_OFF_TOKEN 4
#define IPA_SBP_ENTRY_SIZE 12
CPNET_LAYOUT(IPA_SBP_ENTRY, IPA_SBP_ENTRY_OFF_TOKEN + 8);

/* The 8-byte network-interface token of bridge-port and address-change data. */
#define IPA_TOKEN_SIZE 8
struct ipa_net_token {
	uint16_t devnum;
	uint8_t cssid, iid, ssid, chpid;
	uint16_t chid;
};
void ipa_token_get(const uint8_t *p, struct ipa_net_token *t);
void ipa_token_put(uint8_t *p, const struct ipa_net_token *t);

struct ipa_sbp_entry {
	uint8_t role;
	uint8_t state;
	struct ipa_net_token token;
};

struct ipa_sbp {
	uint32_t supported;
	uint32_t enabled;
	uint32_t subcmd;
	uint16_t sub_rc;
	uint8_t used_total;
	uint8_t seq;
	uint16_t data_len;    /* cmdlen field - 16 */
	const uint8_t *data;  /* NULL: zeros */
	/* QUERY_COMMANDS_SUPPORTED (data_len >= 4): */
	uint32_t supported_cmds;
	/* QUERY_PORTS / STATE_CHANGE, when data_len >= 4 (checked: entries fit): */
	uint8_t primary_supported, secondary_supported, n_entries, entry_len;
};
/* Entry i of a ports list decoded by ipa_cmd_decode: 0 or -EINVAL (i out of range). */
int ipa_sbp_entry_get(const struct ipa_sbp *s, unsigned int i, struct ipa_sbp_entry *e);

/* ---- unsolicited: REGISTER / UNREGISTER_LOCAL_ADDR ------------------------------------ */
#define IPA_LADDR_OFF_COUNT 0x14
#define IPA_LADDR_OFF_ADDRLEN 0x18
#define IPA_LADDR_OFF_ENTRIES 0x1C
#define IPA_LADDR_SIZE 0x1C
CPNET_LAYOUT(IPA_LADDR, IPA_LADDR_OFF_ADDRLEN + 4);

struct ipa_local_addrs {
	uint32_t count;
	uint32_t addr_len;       /* 4 (prot 4) or 16 (prot 6) */
	const uint8_t *entries;  /* count * (addr_len + 4) bytes; NULL: zeros */
};
/* Entry i: address (addr_len bytes into addr[16], rest zeroed) and flags. 0 / -EINVAL. */
int ipa_local_addr_get(const struct ipa_local_addrs *la, uint32_t i, uint8_t addr[16],
		       uint32_t *flags);
/* Write entry i into an entries array of `count` entries of la->addr_len. 0 / -EINVAL. */
int ipa_local_addr_put(uint8_t *entries, size_t cap, uint32_t addr_len, uint32_t i,
		       const uint8_t *addr, uint32_t flags);

/* ---- unsolicited: ADDRESS_CHANGE_NOTIF ----------------------------------------------- */
#define IPA_ACN_OFF_LOST 0x14
#define IPA_ACN_OFF_RSVD 0x15
#define IPA_ACN_OFF_COUNT 0x16
#define IPA_ACN_OFF_ENTRIES 0x18
#define IPA_ACN_SIZE 0x18
CPNET_LAYOUT(IPA_ACN, IPA_ACN_OFF_COUNT + 2);
#define IPA_ACN_ENT_OFF_TOKEN 0
#define IPA_ACN_ENT_OFF_MAC 8
#define IPA_ACN_ENT_OFF_LNID 14
#define IPA_ACN_ENT_OFF_CODE 16
#define IPA_ACN_ENT_OFF_RSVD 17
#define IPA_ACN_ENT_SIZE 20
CPNET_LAYOUT(IPA_ACN_ENT, IPA_ACN_ENT_OFF_RSVD + 3);
#define IPA_ACN_CODE_VLAN 0x01
#define IPA_ACN_CODE_MAC 0x02
#define IPA_ACN_CODE_REMOVAL 0x80

struct ipa_acn_entry {
	struct ipa_net_token token;
	uint8_t mac[6];
	uint16_t vlan;
	uint8_t change_code;
};

struct ipa_addr_change {
	uint8_t lost_mask;
	uint16_t count;
	const uint8_t *entries;  /* count * 20 bytes; NULL: zeros */
};
int ipa_acn_entry_get(const struct ipa_addr_change *ac, uint32_t i, struct ipa_acn_entry *e);
/* Write entry e at position i of an entries array of cap bytes: 0 / -ENOSPC. */
int ipa_acn_entry_put(uint8_t *entries, size_t cap, uint32_t i, const struct ipa_acn_entry *e);

/* ---- the whole command -------------------------------------------------------------- */
/*
 * Tagged by hdr.cmd:
 *   SETVMAC/DELVMAC/SETGMAC/DELGMAC -> u.mac      SETVLAN/DELVLAN -> u.vlan
 *   SETIP/DELIP (prot 4|6)          -> u.setip    SETIPM/DELIPM   -> u.setipm
 *   SETRTG -> u.setrtg     CREATE_ADDR/DESTROY_ADDR -> u.create
 *   SETASSPARMS -> u.setass   SETADAPTERPARMS -> u.setadp   SET_DIAG_ASS -> u.diag
 *   VNICC -> u.vnicc   SETBRIDGEPORT (0x2B/0xBE) -> u.sbp
 *   REGISTER/UNREGISTER_LOCAL_ADDR -> u.laddr   ADDRESS_CHANGE_NOTIF -> u.acn
 *   STARTLAN, STOPLAN, QIPASSIST: header only.
 * Pointers (data, entries, cdata) point into the decoded buffer: copy-once, valid as
 * long as that buffer is.
 */
struct ipa_cmd {
	struct ipa_hdr hdr;
	union {
		struct { uint32_t len; uint8_t addr[6]; } mac;
		uint16_t vlan;
		struct { uint8_t addr[16]; uint8_t mask[16]; uint32_t flags; } setip; /* v4: [0..3] */
		struct { uint8_t mac[6]; uint8_t addr[16]; } setipm;
		uint8_t setrtg;
		struct { uint8_t mac[6]; uint16_t uid; } create;
		struct ipa_setass setass;
		struct ipa_setadp setadp;
		struct ipa_diag diag;
		struct ipa_vnicc vnicc;
		struct ipa_sbp sbp;
		struct ipa_local_addrs laddr;
		struct ipa_addr_change acn;
	} u;
};

/* Positive decode statuses: the header is valid, the body was not interpreted. */
#define IPA_DECODE_UNKNOWN_CMD 1    /* unknown command code: answer IPA_RC_NOTSUPP */
#define IPA_DECODE_UNKNOWN_SUBCMD 2 /* SETADAPTERPARMS sub-command without a layout here */

int ipa_hdr_decode(const uint8_t *buf, size_t len, struct ipa_hdr *out);
int ipa_hdr_encode(const struct ipa_hdr *in, uint8_t *buf, size_t cap);

/* Decode one IPA command of len bytes (the command length of the PDU).
 * 0, IPA_DECODE_UNKNOWN_CMD, IPA_DECODE_UNKNOWN_SUBCMD, or
 * -EMSGSIZE (shorter than the command + protocol needs, or an inner length/count
 * runs past the buffer), -EBADMSG (inner fields contradict: MAC length != 6, a
 * protocol version the command has no layout for, an address length that does not
 * match the protocol, an inner length below its own header). */
int ipa_cmd_decode(const uint8_t *buf, size_t len, struct ipa_cmd *out);
/* The number of bytes ipa_cmd_encode will write for c (or -EBADMSG / -EINVAL). */
int ipa_cmd_size(const struct ipa_cmd *c);
/* Encode: bytes written; -ENOSPC; -EINVAL (inconsistent input, e.g. SETIP with a
 * protocol other than 4/6, a SETADAPTERPARMS data length below its layout). */
int ipa_cmd_encode(const struct ipa_cmd *in, uint8_t *buf, size_t cap);

/* ---- replies ---------------------------------------------------------------------- */
/* Is this initiator byte a reply (0x00 host/Hercules style, 0x81 OSA)?  Anything else
 * (0x01) is an unsolicited adapter message. */
static inline bool ipa_initiator_is_reply(uint8_t initiator)
{
	return initiator == IPA_INIT_HOST || initiator == IPA_INIT_OSA_REPLY;
}
/* Driver side: 1 reply, 0 unsolicited, -EMSGSIZE if not even a header. */
int ipa_is_reply(const uint8_t *buf, size_t len);
/* Adapter side: build the reply to a request the way the adapter answers: copy the
 * request (req_len bytes, the IPA command only), keep its seqno, set the initiator
 * (IPA_INIT_HOST or IPA_INIT_OSA_REPLY) and the return code.  Bytes written;
 * -EMSGSIZE (request shorter than a header), -ENOSPC, -EINVAL (bad initiator). */
int ipa_reply_build(const uint8_t *req, size_t req_len, uint8_t initiator, uint16_t rc,
		    uint8_t *out, size_t cap);
/* The same on a decoded command (then ipa_cmd_encode it). -EINVAL on a bad initiator. */
int ipa_cmd_make_reply(struct ipa_cmd *c, uint8_t initiator, uint16_t rc);

#endif
