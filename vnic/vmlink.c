/* vnic/vmlink.c - cpnetd <-> virtual-machine process link: message codecs and the
 * proxy ports that replay frames and registrations on either side (see vmlink.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* recvmmsg */
#endif
#include "vnic/vmlink.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/be.h"
#include "lib/fdpass.h"
#include "qeth/ipa.h"

/* Body offsets (relative to VML_HDR_SIZE). */
#define NICDEF_OFF_VDEV		0
#define NICDEF_OFF_NDEV		2
#define NICDEF_OFF_CHPID	4
#define NICDEF_OFF_TYPE		5
#define NICDEF_OFF_TRANSPORT	6
#define NICDEF_OFF_MAC		8
#define NICDEF_OFF_LAN		16
#define NICDEF_OFF_OWNER	24
_Static_assert(NICDEF_OFF_OWNER + 8 == VML_NICDEF_SIZE, "NICDEF layout");

#define FRAME_OFF_KIND		0
#define FRAME_OFF_CAST		1
#define FRAME_OFF_FLAGS		2
#define FRAME_OFF_VLAN		4
#define FRAME_OFF_NEXTHOP	8
#define FRAME_OFF_SRCMAC	24
#define FRAME_OFF_GSO		30	/* large send: segment size, 0 = one frame */
_Static_assert(FRAME_OFF_GSO + 2 == VML_FRAME_META, "FRAME layout");
#define FRAME_F_IPV6		0x01
#define FRAME_F_SRCMAC		0x02
#define FRAME_F_CSUM_PARTIAL	0x04	/* pframe.csum: exclusive with VERIFIED */
#define FRAME_F_CSUM_VERIFIED	0x08
#define FRAME_F_CSUM_IPHDR	0x10	/* pframe.csum_ip_hdr, only with PARTIAL */
#define FRAME_F_ALL		0x1F

#define ADDR_OFF_OP		0
#define ADDR_OFF_IPV6		1
#define ADDR_OFF_VLAN		2
#define ADDR_OFF_VALUE		4
#define ADDR_OFF_IP		8
#define ADDR_OFF_MASK		24
#define ADDR_OFF_MAC		40
#define ADDR_OFF_RSVD		46
_Static_assert(ADDR_OFF_RSVD + 2 == VML_ADDR_SIZE, "ADDR layout");
_Static_assert(VML_HANDLE_CLOSE_SIZE == 2 && VML_APPL_OFFLOAD_SIZE == 2, "u16 bodies");

#define RING_OFF_VERSION	0
#define RING_OFF_RSVD		2
#define RING_OFF_NSLOTS		4
#define RING_OFF_SLOTSIZE	8
_Static_assert(RING_OFF_SLOTSIZE + 4 == VML_RING_SIZE, "RING layout");
#define VML_MAX_FDS		3	/* descriptors one message may carry (VML_RING) */

#define LOGON_OFF_USER		0
#define LOGON_OFF_PASS		8
_Static_assert(LOGON_OFF_PASS + 8 == VML_LOGON_SIZE, "LOGON layout");

#define APL_OFF_USER		0
#define APL_OFF_PASS		8
#define APL_OFF_OWNER		16
#define APL_OFF_LAN		24
#define APL_OFF_VLAN		32
#define APL_OFF_FLAGS		34
#define APL_OFF_REGION		36
#define APL_OFF_RSVD		40
#define APL_OFF_PORTNUM		48
_Static_assert(APL_OFF_RSVD + 8 == VML_APPL_LOGON_SIZE_V1, "APPL_LOGON layout");
_Static_assert(APL_OFF_PORTNUM + 8 == VML_APPL_LOGON_SIZE, "APPL_LOGON layout");
#define APR_OFF_RC		0
#define APR_OFF_VDEV		2
#define APR_OFF_ID		4
#define APR_OFF_TRANSPORT	8
#define APR_OFF_MAC		10
#define APR_OFF_MAXF		16
#define APR_OFF_TLEN		20
#define APR_OFF_PORTNUM		22
_Static_assert(APR_OFF_PORTNUM + 2 == VML_APPL_REPLY_FIXED, "APPL_REPLY layout");
#define HDL_OFF_RC		0
#define HDL_OFF_ID		2
#define HDL_OFF_NSLOTS		4
#define HDL_OFF_SLOTSIZE	8
_Static_assert(HDL_OFF_SLOTSIZE + 4 == VML_HANDLE_SIZE, "HANDLE layout");

static void put_hdr(uint8_t *buf, uint8_t type, uint16_t vdev, uint32_t seq)
{
	buf[0] = VML_VERSION;
	buf[1] = type;
	be_put16(buf + 2, vdev);
	be_put32(buf + 4, seq);
}

int vml_hdr_decode(const uint8_t *buf, size_t len, struct vml_hdr *h)
{
	if (len < VML_HDR_SIZE)
		return -EMSGSIZE;
	if (buf[0] != VML_VERSION || buf[1] == 0 || buf[1] >= VML_TYPE_MAX)
		return -EPROTO;
	h->type = buf[1];
	h->vdev = be_get16(buf + 2);
	h->seq = be_get32(buf + 4);
	return 0;
}

/* Blank-padded 8-character name <-> NUL-terminated, uppercased; printable only. */
static int put_name(uint8_t *p, const char *s)
{
	size_t n = strlen(s);

	if (n > 8)
		return -EINVAL;
	for (size_t i = 0; i < 8; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : ' ';

		if (c < 0x20 || c > 0x7E)
			return -EINVAL;
		p[i] = (uint8_t)toupper(c);
	}
	return 0;
}

static int get_name(const uint8_t *p, char out[9], bool fold)
{
	int n = 8;

	while (n > 0 && p[n - 1] == ' ')
		n--;
	for (int i = 0; i < n; i++) {
		if (p[i] < 0x21 || p[i] > 0x7E)
			return -EBADMSG;
		out[i] = (char)(fold ? toupper(p[i]) : p[i]);
	}
	out[n] = 0;
	return 0;
}

int vml_logon_encode(const struct vml_logon *l, uint8_t *buf, size_t cap)
{
	if (cap < VML_HDR_SIZE + VML_LOGON_SIZE)
		return -ENOSPC;
	put_hdr(buf, VML_LOGON, 0, 0);
	if (put_name(buf + VML_HDR_SIZE + LOGON_OFF_USER, l->userid) < 0)
		return -EINVAL;
	/* Passwords keep their case: copy as is, blank padded. */
	if (strlen(l->password) > 8)
		return -EINVAL;
	memset(buf + VML_HDR_SIZE + LOGON_OFF_PASS, ' ', 8);
	memcpy(buf + VML_HDR_SIZE + LOGON_OFF_PASS, l->password, strlen(l->password));
	return VML_HDR_SIZE + VML_LOGON_SIZE;
}

int vml_logon_decode(const uint8_t *buf, size_t len, struct vml_logon *l)
{
	if (len != VML_HDR_SIZE + VML_LOGON_SIZE)
		return -EMSGSIZE;
	if (get_name(buf + VML_HDR_SIZE + LOGON_OFF_USER, l->userid, true) < 0 ||
	    get_name(buf + VML_HDR_SIZE + LOGON_OFF_PASS, l->password, false) < 0)
		return -EBADMSG;
	if (!l->userid[0])
		return -EBADMSG;
	return 0;
}

int vml_logon_reply_encode(const struct vml_logon_reply *r, uint8_t *buf, size_t cap)
{
	size_t n = strnlen(r->text, sizeof(r->text) - 1);

	if (cap < VML_HDR_SIZE + 4 + n)
		return -ENOSPC;
	put_hdr(buf, VML_LOGON_REPLY, 0, 0);
	be_put16(buf + VML_HDR_SIZE, r->rc);
	be_put16(buf + VML_HDR_SIZE + 2, (uint16_t)n);
	memcpy(buf + VML_HDR_SIZE + 4, r->text, n);
	return (int)(VML_HDR_SIZE + 4 + n);
}

int vml_logon_reply_decode(const uint8_t *buf, size_t len, struct vml_logon_reply *r)
{
	size_t n;

	if (len < VML_HDR_SIZE + 4)
		return -EMSGSIZE;
	n = be_get16(buf + VML_HDR_SIZE + 2);
	if (n != len - VML_HDR_SIZE - 4 || n >= sizeof(r->text))
		return -EBADMSG;
	r->rc = be_get16(buf + VML_HDR_SIZE);
	memcpy(r->text, buf + VML_HDR_SIZE + 4, n);
	r->text[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r->text[i] < 0x20)
			r->text[i] = '?';
	return 0;
}

int vml_nicdef_encode(const struct vml_nicdef *d, uint8_t *buf, size_t cap)
{
	uint8_t *b = buf + VML_HDR_SIZE;

	if (cap < VML_HDR_SIZE + VML_NICDEF_SIZE)
		return -ENOSPC;
	put_hdr(buf, VML_NIC_DEFINE, d->vdev, 0);
	memset(b, 0, VML_NICDEF_SIZE);
	be_put16(b + NICDEF_OFF_VDEV, d->vdev);
	be_put16(b + NICDEF_OFF_NDEV, d->ndev);
	b[NICDEF_OFF_CHPID] = d->chpid;
	b[NICDEF_OFF_TYPE] = d->type;
	b[NICDEF_OFF_TRANSPORT] = d->transport;
	memcpy(b + NICDEF_OFF_MAC, d->mac, 6);
	if (put_name(b + NICDEF_OFF_LAN, d->lan) < 0 || put_name(b + NICDEF_OFF_OWNER, d->owner) < 0)
		return -EINVAL;
	return VML_HDR_SIZE + VML_NICDEF_SIZE;
}

int vml_nicdef_decode(const uint8_t *buf, size_t len, struct vml_nicdef *d)
{
	const uint8_t *b = buf + VML_HDR_SIZE;

	if (len != VML_HDR_SIZE + VML_NICDEF_SIZE)
		return -EMSGSIZE;
	memset(d, 0, sizeof(*d));
	d->vdev = be_get16(b + NICDEF_OFF_VDEV);
	d->ndev = be_get16(b + NICDEF_OFF_NDEV);
	d->chpid = b[NICDEF_OFF_CHPID];
	d->type = b[NICDEF_OFF_TYPE];
	d->transport = b[NICDEF_OFF_TRANSPORT];
	memcpy(d->mac, b + NICDEF_OFF_MAC, 6);
	if (d->ndev < 3 || d->transport > 2 || d->type > 1 ||
	    (uint32_t)d->vdev + d->ndev - 1 > 0xFFFF)
		return -EBADMSG;
	if (get_name(b + NICDEF_OFF_LAN, d->lan, true) < 0 ||
	    get_name(b + NICDEF_OFF_OWNER, d->owner, true) < 0)
		return -EBADMSG;
	return 0;
}

int vml_frame_encode(uint16_t vdev, const struct pframe *f, uint8_t *buf, size_t cap)
{
	uint8_t *m = buf + VML_HDR_SIZE;
	size_t off = VML_HDR_SIZE + VML_FRAME_META;

	if (f->len > 65536 || cap < off + f->len)
		return -ENOSPC;
	put_hdr(buf, VML_FRAME, vdev, 0);
	memset(m, 0, VML_FRAME_META);
	m[FRAME_OFF_KIND] = f->kind;
	m[FRAME_OFF_CAST] = f->cast;
	m[FRAME_OFF_FLAGS] = (f->ipv6 ? FRAME_F_IPV6 : 0) | (f->has_src_mac ? FRAME_F_SRCMAC : 0) |
			     (f->csum == PF_CSUM_PARTIAL ? FRAME_F_CSUM_PARTIAL : 0) |
			     (f->csum == PF_CSUM_VERIFIED ? FRAME_F_CSUM_VERIFIED : 0) |
			     (f->csum == PF_CSUM_PARTIAL && f->csum_ip_hdr ? FRAME_F_CSUM_IPHDR : 0);
	be_put16(m + FRAME_OFF_VLAN, f->vlan);
	be_put16(m + FRAME_OFF_GSO, f->gso_size);
	memcpy(m + FRAME_OFF_NEXTHOP, f->next_hop, 16);
	memcpy(m + FRAME_OFF_SRCMAC, f->src_mac, 6);
	if (qdio_spans_copy(f->spans, f->nspans, 0, buf + off, f->len) != f->len)
		return -EINVAL;
	return (int)(off + f->len);
}

int vml_frame_decode(const uint8_t *buf, size_t len, struct pframe *f, struct qdio_span *span)
{
	const uint8_t *m = buf + VML_HDR_SIZE;
	size_t off = VML_HDR_SIZE + VML_FRAME_META;
	uint8_t fl;

	if (len <= off)
		return -EMSGSIZE;
	memset(f, 0, sizeof(*f));
	f->kind = m[FRAME_OFF_KIND];
	f->cast = m[FRAME_OFF_CAST];
	fl = m[FRAME_OFF_FLAGS];
	if ((f->kind != PF_ETH && f->kind != PF_IP) || f->cast > PF_ANYCAST ||
	    (fl & ~FRAME_F_ALL) ||
	    (fl & (FRAME_F_CSUM_PARTIAL | FRAME_F_CSUM_VERIFIED)) ==
		    (FRAME_F_CSUM_PARTIAL | FRAME_F_CSUM_VERIFIED) ||
	    ((fl & FRAME_F_CSUM_IPHDR) && !(fl & FRAME_F_CSUM_PARTIAL)))
		return -EBADMSG;
	f->ipv6 = fl & FRAME_F_IPV6;
	f->has_src_mac = fl & FRAME_F_SRCMAC;
	f->csum = (fl & FRAME_F_CSUM_PARTIAL) ? PF_CSUM_PARTIAL
		  : (fl & FRAME_F_CSUM_VERIFIED) ? PF_CSUM_VERIFIED : PF_CSUM_NONE;
	f->csum_ip_hdr = fl & FRAME_F_CSUM_IPHDR;
	/* A large send is a TCP frame whose checksums the receiver completes: a
	 * segment size on anything else is a peer's garbage. */
	f->gso_size = be_get16(m + FRAME_OFF_GSO);
	if (f->gso_size && f->csum != PF_CSUM_PARTIAL)
		return -EBADMSG;
	f->vlan = be_get16(m + FRAME_OFF_VLAN);
	if (f->vlan > 4095)
		return -EBADMSG;
	memcpy(f->next_hop, m + FRAME_OFF_NEXTHOP, 16);
	memcpy(f->src_mac, m + FRAME_OFF_SRCMAC, 6);
	span->ptr = buf + off;
	span->len = (uint32_t)(len - off);
	f->spans = span;
	f->nspans = 1;
	f->len = span->len;
	return 0;
}

/* A frame from the link's peer.  "Checksum verified" comes only from cpnetd, for what
 * an adapter on the wire checked (cp/uplink.c): no VM or application can vouch for a
 * checksum to the others on its LAN, so from them it is a bad message like any other. */
static int frame_in(const struct vmlink *l, const uint8_t *buf, size_t len, struct pframe *f,
		    struct qdio_span *span)
{
	int rc = vml_frame_decode(buf, len, f, span);

	if (rc == 0 && l->cp_side && f->csum == PF_CSUM_VERIFIED)
		return -EBADMSG;
	return rc;
}

int vml_addr_encode(uint16_t vdev, uint32_t seq, const struct paddr *a, uint8_t *buf, size_t cap)
{
	uint8_t *b = buf + VML_HDR_SIZE;

	if (cap < VML_HDR_SIZE + VML_ADDR_SIZE)
		return -ENOSPC;
	put_hdr(buf, VML_ADDR, vdev, seq);
	memset(b, 0, VML_ADDR_SIZE);
	b[ADDR_OFF_OP] = a->op;
	b[ADDR_OFF_IPV6] = a->ipv6;
	be_put16(b + ADDR_OFF_VLAN, a->vlan);
	be_put32(b + ADDR_OFF_VALUE, a->value);
	memcpy(b + ADDR_OFF_IP, a->ip, 16);
	memcpy(b + ADDR_OFF_MASK, a->mask, 16);
	memcpy(b + ADDR_OFF_MAC, a->mac, 6);
	return VML_HDR_SIZE + VML_ADDR_SIZE;
}

int vml_addr_decode(const uint8_t *buf, size_t len, struct paddr *a)
{
	const uint8_t *b = buf + VML_HDR_SIZE;

	if (len != VML_HDR_SIZE + VML_ADDR_SIZE)
		return -EMSGSIZE;
	memset(a, 0, sizeof(*a));
	a->op = b[ADDR_OFF_OP];
	if (a->op < PA_SETIP || a->op > PA_BANDWIDTH || b[ADDR_OFF_IPV6] > 1)
		return -EBADMSG;
	a->ipv6 = b[ADDR_OFF_IPV6];
	a->vlan = be_get16(b + ADDR_OFF_VLAN);
	a->value = be_get32(b + ADDR_OFF_VALUE);
	memcpy(a->ip, b + ADDR_OFF_IP, 16);
	memcpy(a->mask, b + ADDR_OFF_MASK, 16);
	memcpy(a->mac, b + ADDR_OFF_MAC, 6);
	return 0;
}

int vml_simple_encode(uint8_t type, uint16_t vdev, uint32_t seq, uint16_t value, uint8_t *buf,
		      size_t cap)
{
	if (cap < VML_HDR_SIZE + 2)
		return -ENOSPC;
	put_hdr(buf, type, vdev, seq);
	switch (type) {
	case VML_ADDR_RC:
		be_put16(buf + VML_HDR_SIZE, value);
		return VML_HDR_SIZE + VML_ADDR_RC_SIZE;
	case VML_LINK:
		buf[VML_HDR_SIZE] = value ? 1 : 0;
		return VML_HDR_SIZE + VML_LINK_SIZE;
	case VML_LOGOFF:
		if (value >= VML_LOGOFF_REASON_MAX)
			return -EINVAL;
		be_put16(buf + VML_HDR_SIZE, value);
		return VML_HDR_SIZE + VML_LOGOFF_SIZE;
	case VML_NIC_DETACH:
		return VML_HDR_SIZE;
	case VML_HANDLE_CLOSE:
	case VML_APPL_OFFLOAD:
		be_put16(buf + VML_HDR_SIZE, value);
		return VML_HDR_SIZE + 2;
	case VML_RING_ACK:
		if (value >= VML_RING_RC_MAX)
			return -EINVAL;
		be_put16(buf + VML_HDR_SIZE, value);
		return VML_HDR_SIZE + VML_RING_ACK_SIZE;
	default:
		return -EINVAL;
	}
}

int vml_simple_decode(const uint8_t *buf, size_t len, uint16_t *value)
{
	*value = 0;
	switch (buf[1]) {
	case VML_ADDR_RC:
		if (len != VML_HDR_SIZE + VML_ADDR_RC_SIZE)
			return -EMSGSIZE;
		*value = be_get16(buf + VML_HDR_SIZE);
		return 0;
	case VML_LINK:
		if (len != VML_HDR_SIZE + VML_LINK_SIZE || buf[VML_HDR_SIZE] > 1)
			return -EMSGSIZE;
		*value = buf[VML_HDR_SIZE];
		return 0;
	case VML_LOGOFF:
		/* No body: a peer that gives no reason ends the session. */
		if (len == VML_HDR_SIZE)
			return 0;
		if (len != VML_HDR_SIZE + VML_LOGOFF_SIZE)
			return -EMSGSIZE;
		*value = be_get16(buf + VML_HDR_SIZE);
		return *value < VML_LOGOFF_REASON_MAX ? 0 : -EBADMSG;
	case VML_RING_ACK:
		if (len != VML_HDR_SIZE + VML_RING_ACK_SIZE)
			return -EMSGSIZE;
		*value = be_get16(buf + VML_HDR_SIZE);
		return *value < VML_RING_RC_MAX ? 0 : -EBADMSG;
	case VML_HANDLE_CLOSE:
	case VML_APPL_OFFLOAD:
		if (len != VML_HDR_SIZE + 2)
			return -EMSGSIZE;
		*value = be_get16(buf + VML_HDR_SIZE);
		return 0;
	default:
		return len == VML_HDR_SIZE ? 0 : -EMSGSIZE;
	}
}

int vml_ring_encode(const struct vml_ring_offer *r, uint8_t *buf, size_t cap)
{
	uint8_t *b = buf + VML_HDR_SIZE;

	if (cap < VML_HDR_SIZE + VML_RING_SIZE)
		return -ENOSPC;
	put_hdr(buf, VML_RING, 0, 0);
	memset(b, 0, VML_RING_SIZE);
	be_put16(b + RING_OFF_VERSION, r->version);
	be_put32(b + RING_OFF_NSLOTS, r->nslots);
	be_put32(b + RING_OFF_SLOTSIZE, r->slot_size);
	return VML_HDR_SIZE + VML_RING_SIZE;
}

int vml_ring_decode(const uint8_t *buf, size_t len, struct vml_ring_offer *r)
{
	const uint8_t *b = buf + VML_HDR_SIZE;

	if (len != VML_HDR_SIZE + VML_RING_SIZE)
		return -EMSGSIZE;
	if (be_get16(b + RING_OFF_RSVD))
		return -EBADMSG;
	r->version = be_get16(b + RING_OFF_VERSION);
	r->nslots = be_get32(b + RING_OFF_NSLOTS);
	r->slot_size = be_get32(b + RING_OFF_SLOTSIZE);
	return 0;
}

/* ---- application ports ------------------------------------------------------------ */

int vml_appl_logon_encode(const struct vml_appl_logon *a, uint8_t *buf, size_t cap)
{
	uint8_t *b = buf + VML_HDR_SIZE;

	if (cap < VML_HDR_SIZE + VML_APPL_LOGON_SIZE)
		return -ENOSPC;
	put_hdr(buf, VML_APPL_LOGON, 0, 0);
	memset(b, 0, VML_APPL_LOGON_SIZE);
	if (put_name(b + APL_OFF_USER, a->userid) < 0 || put_name(b + APL_OFF_OWNER, a->owner) < 0 ||
	    put_name(b + APL_OFF_LAN, a->lan) < 0 || strlen(a->password) > 8)
		return -EINVAL;
	/* Passwords keep their case (as in LOGON). */
	memset(b + APL_OFF_PASS, ' ', 8);
	memcpy(b + APL_OFF_PASS, a->password, strlen(a->password));
	be_put16(b + APL_OFF_VLAN, a->vlan);
	be_put16(b + APL_OFF_FLAGS, a->flags);
	be_put32(b + APL_OFF_REGION, a->region);
	be_put16(b + APL_OFF_PORTNUM, a->portnum);
	if (a->flags & VML_APPL_TRACE_USER) {
		if (put_name(b + APL_OFF_RSVD, a->trace_user) < 0)
			return -EINVAL;
	} else if (a->flags & (VML_APPL_TRACE_PORT | VML_APPL_TRACE_VLAN | VML_APPL_NICDEF)) {
		be_put16(b + APL_OFF_RSVD, a->trace_num);
	}
	return VML_HDR_SIZE + VML_APPL_LOGON_SIZE;
}

int vml_appl_logon_decode(const uint8_t *buf, size_t len, struct vml_appl_logon *a)
{
	const uint8_t *b = buf + VML_HDR_SIZE;

	if (len != VML_HDR_SIZE + VML_APPL_LOGON_SIZE && len != VML_HDR_SIZE + VML_APPL_LOGON_SIZE_V1)
		return -EMSGSIZE;
	a->portnum = 0;
	if (len == VML_HDR_SIZE + VML_APPL_LOGON_SIZE) {
		/* The port number is range-checked by the switch (HCPCMD9010E, as for
		 * COUPLE); the rest of the field is reserved. */
		a->portnum = be_get16(b + APL_OFF_PORTNUM);
		if (be_get16(b + APL_OFF_PORTNUM + 2) || be_get32(b + APL_OFF_PORTNUM + 4))
			return -EBADMSG;
	}
	if (get_name(b + APL_OFF_USER, a->userid, true) < 0 ||
	    get_name(b + APL_OFF_PASS, a->password, false) < 0 ||
	    get_name(b + APL_OFF_OWNER, a->owner, true) < 0 ||
	    get_name(b + APL_OFF_LAN, a->lan, true) < 0)
		return -EBADMSG;
	a->vlan = be_get16(b + APL_OFF_VLAN);
	a->flags = be_get16(b + APL_OFF_FLAGS);
	a->region = be_get32(b + APL_OFF_REGION);
	a->trace_num = 0;
	a->trace_user[0] = 0;
	if (!a->userid[0] || a->vlan > 4095 || (a->flags & ~VML_APPL_FLAGS))
		return -EBADMSG;
	/* A LAN by name, or (NICDEF) by the directory: then no name, no trace, and the
	 * reserved bytes hold the device number only. */
	if (a->flags & VML_APPL_NICDEF) {
		if (a->lan[0] || a->owner[0] || (a->flags & (VML_APPL_TRACE | VML_APPL_TRACE_PORT |
							     VML_APPL_TRACE_USER | VML_APPL_TRACE_VLAN)) ||
		    be_get16(b + APL_OFF_RSVD + 2) || be_get32(b + APL_OFF_RSVD + 4))
			return -EBADMSG;
		a->trace_num = be_get16(b + APL_OFF_RSVD);
		return 0;
	}
	if (!a->lan[0] || !a->owner[0])
		return -EBADMSG;
	/* At most one trace filter, only on a trace; the reserved bytes hold it, or 0. */
	{
		unsigned f = a->flags & (VML_APPL_TRACE_PORT | VML_APPL_TRACE_USER |
					 VML_APPL_TRACE_VLAN);

		if ((f && !(a->flags & VML_APPL_TRACE)) || (f & (f - 1)))
			return -EBADMSG;
		if (f == VML_APPL_TRACE_USER) {
			if (get_name(b + APL_OFF_RSVD, a->trace_user, true) < 0 || !a->trace_user[0])
				return -EBADMSG;
		} else if (f) {
			a->trace_num = be_get16(b + APL_OFF_RSVD);
			if (!a->trace_num || be_get16(b + APL_OFF_RSVD + 2) || be_get32(b + APL_OFF_RSVD + 4) ||
			    a->trace_num > (f == VML_APPL_TRACE_PORT ? 2048 : 4094))
				return -EBADMSG;
		} else if (be_get64(b + APL_OFF_RSVD)) {
			return -EBADMSG;
		}
	}
	return 0;
}

int vml_appl_reply_encode(const struct vml_appl_reply *r, uint8_t *buf, size_t cap)
{
	size_t n = strnlen(r->text, sizeof(r->text) - 1);
	uint8_t *b = buf + VML_HDR_SIZE;

	if (cap < VML_HDR_SIZE + VML_APPL_REPLY_FIXED + n)
		return -ENOSPC;
	put_hdr(buf, VML_APPL_REPLY, 0, 0);
	memset(b, 0, VML_APPL_REPLY_FIXED);
	be_put16(b + APR_OFF_RC, r->rc);
	be_put16(b + APR_OFF_VDEV, r->vdev);
	be_put32(b + APR_OFF_ID, r->port_id);
	b[APR_OFF_TRANSPORT] = r->transport;
	memcpy(b + APR_OFF_MAC, r->mac, 6);
	be_put32(b + APR_OFF_MAXF, r->max_frame);
	be_put16(b + APR_OFF_TLEN, (uint16_t)n);
	be_put16(b + APR_OFF_PORTNUM, r->portnum);
	memcpy(b + VML_APPL_REPLY_FIXED, r->text, n);
	return (int)(VML_HDR_SIZE + VML_APPL_REPLY_FIXED + n);
}

int vml_appl_reply_decode(const uint8_t *buf, size_t len, struct vml_appl_reply *r)
{
	const uint8_t *b = buf + VML_HDR_SIZE;
	size_t n;

	if (len < VML_HDR_SIZE + VML_APPL_REPLY_FIXED)
		return -EMSGSIZE;
	n = be_get16(b + APR_OFF_TLEN);
	if (n != len - VML_HDR_SIZE - VML_APPL_REPLY_FIXED || n >= sizeof(r->text))
		return -EBADMSG;
	r->rc = be_get16(b + APR_OFF_RC);
	r->vdev = be_get16(b + APR_OFF_VDEV);
	r->port_id = be_get32(b + APR_OFF_ID);
	r->transport = b[APR_OFF_TRANSPORT];
	memcpy(r->mac, b + APR_OFF_MAC, 6);
	r->max_frame = be_get32(b + APR_OFF_MAXF);
	r->portnum = be_get16(b + APR_OFF_PORTNUM);
	memcpy(r->text, b + VML_APPL_REPLY_FIXED, n);
	r->text[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r->text[i] < 0x20 || (unsigned char)r->text[i] > 0x7E)
			r->text[i] = '?';
	if (r->rc == 0 && r->transport != 1 && r->transport != 2)
		return -EBADMSG;
	return 0;
}

int vml_handle_open_encode(uint16_t vdev, uint32_t seq, uint32_t nslots, uint8_t *buf, size_t cap)
{
	if (cap < VML_HDR_SIZE + VML_HANDLE_OPEN_SIZE)
		return -ENOSPC;
	put_hdr(buf, VML_HANDLE_OPEN, vdev, seq);
	be_put32(buf + VML_HDR_SIZE, nslots);
	return VML_HDR_SIZE + VML_HANDLE_OPEN_SIZE;
}

int vml_handle_open_decode(const uint8_t *buf, size_t len, uint32_t *nslots)
{
	if (len != VML_HDR_SIZE + VML_HANDLE_OPEN_SIZE)
		return -EMSGSIZE;
	*nslots = be_get32(buf + VML_HDR_SIZE);
	return 0;
}

int vml_handle_reply_encode(uint16_t vdev, uint32_t seq, const struct vml_handle_reply *r,
			    uint8_t *buf, size_t cap)
{
	uint8_t *b = buf + VML_HDR_SIZE;

	if (cap < VML_HDR_SIZE + VML_HANDLE_SIZE)
		return -ENOSPC;
	put_hdr(buf, VML_HANDLE, vdev, seq);
	be_put16(b + HDL_OFF_RC, r->rc);
	be_put16(b + HDL_OFF_ID, r->id);
	be_put32(b + HDL_OFF_NSLOTS, r->nslots);
	be_put32(b + HDL_OFF_SLOTSIZE, r->slot_size);
	return VML_HDR_SIZE + VML_HANDLE_SIZE;
}

int vml_handle_reply_decode(const uint8_t *buf, size_t len, struct vml_handle_reply *r)
{
	const uint8_t *b = buf + VML_HDR_SIZE;

	if (len != VML_HDR_SIZE + VML_HANDLE_SIZE)
		return -EMSGSIZE;
	r->rc = be_get16(b + HDL_OFF_RC);
	r->id = be_get16(b + HDL_OFF_ID);
	r->nslots = be_get32(b + HDL_OFF_NSLOTS);
	r->slot_size = be_get32(b + HDL_OFF_SLOTSIZE);
	return 0;
}

/* ---- the link --------------------------------------------------------------------- */

int vml_init(struct vmlink *l, int fd, bool cp_side)
{
	memset(l, 0, sizeof(*l));
	l->ring.memfd = l->ring.bell_me = l->ring.bell_peer = -1;	/* no ring yet */
	l->buf = malloc((size_t)VML_RX_BATCH * VML_MAX_MSG);
	l->obuf = malloc(VML_MAX_MSG);
	if (!l->buf || !l->obuf) {
		free(l->buf);
		free(l->obuf);
		return -ENOMEM;
	}
	l->fd = fd;
	l->cp_side = cp_side;
	l->rx_in_place = !cp_side;
	l->rc_timeout_ms = 5000;
	l->peer_logoff = -1;
	l->ring_ack = -1;
	l->hfds[0] = l->hfds[1] = l->hfds[2] = -1;
	vml_poll_policy(l, ADAPT_ADAPTIVE, NULL);
	return 0;
}

void vml_free(struct vmlink *l)
{
	for (unsigned i = 0; i < VML_MAX_NICS; i++)
		if (l->nics[i].used)
			vml_del_nic(l, l->nics[i].vdev);
	vml_ring_close(l);
	for (int i = 0; i < 3; i++)
		if (l->hfds[i] >= 0)
			close(l->hfds[i]);
	free(l->buf);
	free(l->obuf);
	l->buf = l->obuf = NULL;
}

#define VML_CTL_WAIT_MS 2000	/* how long a control message may wait for room */

/*
 * Frames never wait: a full socket answers -EAGAIN at once (not a link error: the
 * caller queues the frame within QUEUESTORAGE or drops and counts it).  Control
 * messages (NIC definitions, link state, registrations, LOGOFF) must not be lost, so
 * they wait, bounded, for room in the socket.
 */
int vml_send(struct vmlink *l, const uint8_t *msg, size_t len)
{
	bool frame = len >= 2 && msg[1] == VML_FRAME;
	int waited = 0;

	for (;;) {
		ssize_t n = send(l->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		struct pollfd pfd = { l->fd, POLLOUT, 0 };

		l->syscalls++;

		if (n == (ssize_t)len) {
			l->sent++;
			return 0;
		}
		if (frame && n < 0 && (errno == EAGAIN || errno == EINTR))
			return -EAGAIN;
		if (n >= 0 || frame || (errno != EAGAIN && errno != EINTR) ||
		    waited >= VML_CTL_WAIT_MS) {
			l->errors++;
			return n < 0 ? -errno : -EIO;
		}
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR) {
			l->errors++;
			return -errno;
		}
		waited += 100;
	}
}

static struct vml_nic *find_nic(struct vmlink *l, uint16_t vdev)
{
	for (unsigned i = 0; i < VML_MAX_NICS; i++)
		if (l->nics[i].used && l->nics[i].vdev == vdev)
			return &l->nics[i];
	return NULL;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

union vml_cmsg {
	struct cmsghdr h;
	char b[CMSG_SPACE(VML_MAX_FDS * sizeof(int))];
};

static int recv_one(struct vmlink *l, int wait_ms, size_t *len, int fds[VML_MAX_FDS],
		    int *nfds)
{
	struct pollfd pfd = { l->fd, POLLIN, 0 };
	union vml_cmsg cm;
	struct iovec iov = { l->buf, VML_MAX_MSG };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int rc = poll(&pfd, 1, wait_ms);

	l->syscalls++;
	*nfds = 0;
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return 0;
	if (!l->cp_side) {
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
	}
	n = recvmsg(l->fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
	l->syscalls++;
	/* Only the VM side gives the kernel room for descriptors: a VM cannot put
	 * any into cpnetd. */
	if (n > 0 && !l->cp_side)
		*nfds = (int)fdpass_take(&mh, fds, VML_MAX_FDS);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -EPIPE;
	if ((size_t)n > VML_MAX_MSG) {
		l->errors++;
		close_fds(fds, *nfds);
		*nfds = 0;
		return -EMSGSIZE;
	}
	*len = (size_t)n;
	l->received++;
	return 1;
}

/* Nanoseconds, monotonic (vDSO: no syscall). */
static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* How long (ms) the VM's side waits for room in a full ring while cpnetd frees none. */
#define VML_TX_STALL_MS 100u

/* Put one frame in the ring, encoded as a VML_FRAME message straight from its spans
 * (this side's one copy).  0, -EAGAIN (full), -EPIPE (broken), -ENOSPC (too big). */
static int ring_put(struct vmlink *l, uint16_t vdev, const struct pframe *f)
{
	/* The VM's side waits for room in vml_ring_tx (timed steps, or an application
	 * link on its doorbell through shr_tx_want), never by shr_tx_reserve's own
	 * request; cpnetd's side is woken by the doorbell for what waits in CP. */
	uint8_t *slot;
	int len;

	if (f->len > 65536)
		return -ENOSPC;
	len = shr_tx_reserve(&l->ring, VML_HDR_SIZE + VML_FRAME_META + f->len, l->cp_side, &slot);
	if (len < 0)
		return len == -EMSGSIZE ? -ENOSPC : len;
	len = vml_frame_encode(vdev, f, slot, VML_HDR_SIZE + VML_FRAME_META + f->len);
	if (len < 0)
		return len;
	shr_tx_put(&l->ring, (uint32_t)len);
	return 0;
}

/*
 * The VM's side waits for room in a full ring by a timed sleep (no doorbell: see
 * vml_ring_tx).  A sleep per few slots freed would be a syscall per few frames; one
 * that lets the ring run dry would idle cpnetd.  So the sleep follows cpnetd's rate:
 * doubled while a sleep frees less than an eighth of the ring, halved while it frees
 * more than half -- each wait covers hundreds to thousands of frames of a deep ring,
 * and cpnetd still finds about half a ring when the sleep ends.
 */
static void tx_sleep(struct vmlink *l)
{
	uint64_t ns = l->tx_sleep_ns ? l->tx_sleep_ns : VML_TX_SLEEP_MIN_NS;
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	uint32_t freed;

	nanosleep(&ts, NULL);
	l->syscalls++;
	l->tx_sleeps++;
	freed = shr_tx_room(&l->ring);
	if (freed < l->ring.nslots / 8)
		ns = ns * 2 < VML_TX_SLEEP_MAX_NS ? ns * 2 : VML_TX_SLEEP_MAX_NS;
	else if (freed > l->ring.nslots / 2)
		ns = ns / 2 > VML_TX_SLEEP_MIN_NS ? ns / 2 : VML_TX_SLEEP_MIN_NS;
	l->tx_sleep_ns = ns;
}

unsigned vml_ring_tx(struct vmlink *l, uint16_t vdev, const struct pframe *f, unsigned n,
		     unsigned stall_ms, bool in_order)
{
	uint64_t stall_since = 0;
	unsigned sent = 0;

	/* n descriptors, one publish, at most one doorbell. */
	for (unsigned i = 0; i < n; i++) {
		int rc = ring_put(l, vdev, &f[i]);

		/* The VM's side only: a full ring holds the guest's SIGA (what a real
		 * adapter's backpressure does to a burst) instead of dropping; cpnetd was
		 * rung by the publish.  As long as cpnetd frees slots the wait goes on,
		 * however slowly it drains (a loaded machine); one that frees none for
		 * stall_ms (stuck, stopped) costs that long, then the rest does not go.
		 * cpnetd's side never waits: its one thread serves every VM. */
		while (rc == -EAGAIN && !l->cp_side) {
			uint64_t now = now_ns() / 1000000u;
			struct pollfd pfd = { l->ring.bell_me, POLLIN, 0 };
			uint32_t want = n - i, need;

			if (!stall_since)
				stall_since = now;
			else if (now - stall_since >= stall_ms)
				break;
			shr_tx_publish(&l->ring);
			if (!l->tx_bell_wait) {
				/* A VM's reader thread sleeps on the same doorbell: this
				 * side waits by timed looks (and asked for no doorbell,
				 * shr_tx_slot_nobell). */
				tx_sleep(l);
				rc = ring_put(l, vdev, &f[i]);
				continue;
			}
			/* Room for the rest of the batch, at most a quarter of the ring: one
			 * wake-up per cpnetd batch, not per slot freed -- and never less than
			 * this frame takes (a large one spans many entries, a wrap entry
			 * may precede it): asked for less, the look finds "room" that
			 * ring_put cannot use and the loop spins. */
			if (want > l->ring.nslots / 4)
				want = l->ring.nslots / 4;
			need = shr_tx_need(&l->ring, VML_HDR_SIZE + VML_FRAME_META + f[i].len);
			if (want < need)
				want = need;
			if (!shr_tx_want(&l->ring, want)) {
				l->syscalls++;
				if (poll(&pfd, 1, 1) > 0) {
					shr_bell_drain(&l->ring);
					l->syscalls++;
				}
			}
			rc = ring_put(l, vdev, &f[i]);
		}
		if (rc == 0) {
			sent++;
			stall_since = 0;	/* progress: a new stall starts afresh */
		} else if (in_order) {
			break;
		}
	}
	shr_tx_publish(&l->ring);
	return sent;
}

/* Frames of one side replayed on the other. */
static void vm_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct vml_nic *vn = peer;
	struct vmlink *l = vn->proxy.owner;

	(void)from;
	if (l->ring_tx) {
		unsigned sent = vml_ring_tx(l, vn->vdev, f, n, VML_TX_STALL_MS, false);

		if (sent < n)
			port_count_drop(vn->nicport, PD_NOBUF, false, n - sent);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		int len = vml_frame_encode(vn->vdev, &f[i], l->obuf, VML_MAX_MSG);

		/* A full socket: CP is not keeping up, like a receiver out of buffers. */
		if (len < 0 || vml_send(l, l->obuf, (size_t)len) < 0)
			port_count_drop(vn->nicport, PD_NOBUF, false, 1);
	}
}

static int handle(struct vmlink *l, const uint8_t *m, size_t len, uint32_t want_seq,
		  uint16_t *rc_out, int *fds, int nfds);

/* Frames in the ring wait while an answer is awaited: they are the reader's, and this
 * may run inside a delivery. */
int vml_await(struct vmlink *l, uint32_t seq, uint16_t *rc)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int fds[VML_MAX_FDS], nfds = 0;
		size_t mlen = 0;
		long ms;
		int r;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= l->rc_timeout_ms)
			return -ETIMEDOUT;
		r = recv_one(l, (int)(l->rc_timeout_ms - ms), &mlen, fds, &nfds);
		if (r < 0 && r != -EMSGSIZE)
			return r;
		if (r <= 0)
			continue;
		r = handle(l, l->buf, mlen, seq, rc, fds, nfds);
		close_fds(fds, nfds);
		if (r == 2)
			return 0;
		if (r == -EPIPE)
			return -EPIPE;
	}
}

int vml_handle_call(struct vmlink *l, const uint8_t *msg, size_t len, uint32_t seq)
{
	uint16_t rc;
	int r;

	if (l->cp_side)
		return -EINVAL;
	r = vml_send(l, msg, len);
	if (r < 0)
		return r;
	return vml_await(l, seq, &rc);
}

static uint16_t vm_addr(void *peer, struct port *from, const struct paddr *a)
{
	struct vml_nic *vn = peer;
	struct vmlink *l = vn->proxy.owner;
	uint32_t seq = ++l->seq;
	uint16_t rc = IPA_RC_LAN_OFFLINE;
	int len;

	(void)from;
	len = vml_addr_encode(vn->vdev, seq, a, l->obuf, VML_MAX_MSG);
	if (len < 0 || vml_send(l, l->obuf, (size_t)len) < 0)
		return IPA_RC_LAN_OFFLINE;
	return vml_await(l, seq, &rc) == 0 ? rc : IPA_RC_LAN_OFFLINE;
}

static const struct port_ops vm_ops = { vm_tx, vm_addr };

/* Send a NIC's waiting frames in order until the socket (or the ring) is full; true
 * when none wait. */
static bool flush_nic(struct vmlink *l, struct vml_nic *vn)
{
	struct vml_qmsg *q;
	bool all = true;

	while ((q = vn->qhead) != NULL) {
		int rc;

		if (l->ring_tx) {
			uint8_t *slot = NULL;

			rc = shr_tx_reserve(&l->ring, q->len, true, &slot);
			if (rc == 0) {
				/* Encoded by the same vml_frame_encode, <= VML_MAX_MSG. */
				memcpy(slot, q->msg, q->len);
				shr_tx_put(&l->ring, q->len);
			}
		} else {
			rc = vml_send(l, q->msg, q->len);
		}
		if (rc == -EAGAIN) {
			all = false;
			break;
		}
		if (rc < 0)	/* the VM is gone: what waited is lost with it (counted) */
			port_count_drop(&vn->proxy, PD_DOWN, true, 1);
		vn->qhead = q->next;
		if (!vn->qhead)
			vn->qtail = NULL;
		vn->qframes--;
		vn->proxy.rxq_used -= q->len;
		free(q);
	}
	if (l->ring_tx)
		shr_tx_publish(&l->ring);
	return all;
}

static void drop_queue(struct vml_nic *vn)
{
	struct vml_qmsg *q;

	while ((q = vn->qhead) != NULL) {
		vn->qhead = q->next;
		free(q);
	}
	vn->qtail = NULL;
	vn->qframes = 0;
	vn->proxy.rxq_used = 0;
}

/* Keep one encoded frame (l->obuf) for later: within the port's queue storage, else
 * dropped as PD_QSTORAGE.  true if it was kept. */
static bool enqueue(struct vml_nic *vn, const uint8_t *msg, uint32_t len)
{
	struct port *p = &vn->proxy;
	struct vml_qmsg *q;

	if (len > p->rxq_limit || p->rxq_used > p->rxq_limit - len) {
		port_count_drop(p, PD_QSTORAGE, true, 1);
		return false;
	}
	q = malloc(sizeof(*q) + len);
	if (!q) {
		port_count_drop(p, PD_QSTORAGE, true, 1);
		return false;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->msg, msg, len);
	if (vn->qtail)
		vn->qtail->next = q;
	else
		vn->qhead = q;
	vn->qtail = q;
	vn->qframes++;
	p->rxq_used += len;
	if (p->rxq_used > p->rxq_peak)
		p->rxq_peak = p->rxq_used;
	return true;
}

/*
 * CP side: frames the LAN delivers to the proxy go to the VM.  The socket (or the
 * ring) holds what it holds; when it is full (the VM is not reading) frames wait in
 * the NIC's queue, in order, up to the LAN's QUEUESTORAGE; beyond that they are
 * dropped and counted.  Other NICs and VMs never wait for this one.
 */
static unsigned cp_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct vmlink *l = owner;
	struct vml_nic *vn = (struct vml_nic *)((char *)p - offsetof(struct vml_nic, proxy));
	bool direct = flush_nic(l, vn);
	unsigned took = 0;

	for (unsigned i = 0; i < n; i++) {
		int len, rc;

		if (direct && l->ring_tx) {
			rc = ring_put(l, vn->vdev, &f[i]);
			if (rc == 0) {
				took++;
				continue;
			}
			if (rc == -ENOSPC || rc == -EINVAL) {
				port_count_drop(p, PD_TOOBIG, true, 1);
				continue;
			}
			if (rc != -EAGAIN) {
				port_count_drop(p, PD_DOWN, true, 1);
				continue;
			}
			direct = false;	/* full: this and what follows wait, in order */
		}
		len = vml_frame_encode(vn->vdev, &f[i], l->obuf, VML_MAX_MSG);
		if (len < 0) {
			port_count_drop(p, PD_TOOBIG, true, 1);
			continue;
		}
		if (direct) {
			rc = vml_send(l, l->obuf, (size_t)len);
			if (rc == 0) {
				took++;
				continue;
			}
			if (rc != -EAGAIN) {
				port_count_drop(p, PD_DOWN, true, 1);
				continue;
			}
			direct = false;
		}
		if (enqueue(vn, l->obuf, (uint32_t)len))
			took++;
	}
	if (l->ring_tx)
		shr_tx_publish(&l->ring);
	return took;
}

unsigned vml_flush(struct vmlink *l)
{
	unsigned waiting = 0;

	for (unsigned i = 0; i < VML_MAX_NICS; i++) {
		struct vml_nic *vn = &l->nics[i];

		if (!vn->used || !vn->qhead)
			continue;
		flush_nic(l, vn);
		waiting += vn->qframes;
	}
	return waiting;
}

struct port *vml_add_nic(struct vmlink *l, uint16_t vdev, struct port *nicport)
{
	struct vml_nic *vn = find_nic(l, vdev);

	if (vn)
		return NULL;
	for (unsigned i = 0; i < VML_MAX_NICS; i++) {
		if (l->nics[i].used)
			continue;
		vn = &l->nics[i];
		memset(vn, 0, sizeof(*vn));
		vn->used = true;
		vn->vdev = vdev;
		vn->proxy.owner = l;
		if (l->cp_side) {
			vn->proxy.rx = cp_rx;
		} else {
			vn->nicport = nicport;
			nicport->ops = &vm_ops;
			nicport->peer = vn;
		}
		return &vn->proxy;
	}
	return NULL;
}

void vml_del_nic(struct vmlink *l, uint16_t vdev)
{
	struct vml_nic *vn = find_nic(l, vdev);

	if (!vn)
		return;
	if (!l->cp_side && vn->nicport && vn->nicport->peer == vn) {
		vn->nicport->ops = NULL;
		vn->nicport->peer = NULL;
	}
	drop_queue(vn);
	memset(vn, 0, sizeof(*vn));
}

/* ---- the ring ---------------------------------------------------------------------- */

int vml_send_fds(struct vmlink *l, const uint8_t *msg, size_t len, const int *fds, unsigned nfds)
{
	union vml_cmsg cm;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			     .msg_controllen = CMSG_SPACE(nfds * sizeof(int)) };
	struct cmsghdr *c;
	ssize_t n;

	if (!nfds || nfds > VML_MAX_FDS)
		return -EINVAL;
	memset(&cm, 0, sizeof(cm));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	n = sendmsg(l->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	l->syscalls++;
	if (n != (ssize_t)len) {
		l->errors++;
		return n < 0 ? -errno : -EIO;
	}
	l->sent++;
	return 0;
}

int vml_ring_offer(struct vmlink *l)
{
	uint8_t b[VML_HDR_SIZE + VML_RING_SIZE];
	struct vml_ring_offer o = { SHR_VERSION, l->ring_nslots ? l->ring_nslots : VML_RING_SLOTS,
				    VML_RING_SLOT };
	int fds[VML_MAX_FDS], len, rc;

	if (!l->cp_side || l->ring_on)
		return -EINVAL;
	len = vml_ring_encode(&o, b, sizeof(b));
	if (len < 0)
		return len;
	rc = shr_create_extra(&l->ring, o.nslots, o.slot_size, l->ring_extra);
	if (rc < 0)
		return rc;
	l->ring_on = true;	/* for on_ring_made; undone below if the offer fails */
	if (l->on_ring_made)
		l->on_ring_made(l->ctx);
	l->ring_on = false;
	shr_fds(&l->ring, fds);
	rc = vml_send_fds(l, b, (size_t)len, fds, VML_MAX_FDS);
	if (rc < 0) {
		shr_free(&l->ring);
		return rc;
	}
	/* What the VM puts in may be read now; what CP puts in waits for the ACK. */
	l->ring_on = true;
	l->ring_ack = -1;
	return 0;
}

void vml_ring_close(struct vmlink *l)
{
	l->syscalls += l->ring.bells;
	if (l->ring.map || l->ring.memfd >= 0 || l->ring.bell_me >= 0)
		shr_free(&l->ring);
	l->ring_on = l->ring_tx = false;
	/* The flags and the doorbell went with that ring: a new one starts clean. */
	l->bell_out = l->bell_asked = false;
}

int vml_bell_fd(const struct vmlink *l)
{
	return l->ring_on ? l->ring.bell_me : -1;
}

uint64_t vml_syscalls(const struct vmlink *l)
{
	return l->syscalls + l->ring.bells;
}

/*
 * The doorbell flags this side puts in the ring (shr_arm, shr_nap) and what became of
 * them: a flag it takes back itself (shr_disarm's exchange) rings nothing, so the
 * doorbell needs no emptying for it; one the peer took means a doorbell comes, to be
 * emptied (bell_asked).  Without this, every nap left bell_asked set until a doorbell
 * that never came, and a drain loop's empty look after each batch made a poll() for
 * it: a syscall per nap (vmlink_ring_nap_taken_back_leaves_no_doorbell_to_empty).
 */
static void bell_flag_back(struct vmlink *l)
{
	bool took = shr_disarm(&l->ring);

	if (l->bell_out && !took)
		l->bell_asked = true;	/* the peer took it: its doorbell comes */
	l->bell_out = false;
}

/* About to put a flag in the ring: one still out is taken back first, so that what
 * became of it is known.  Overwriting it instead left "the peer may have had it", and
 * every empty drain look made a poll() for a doorbell that had not rung, until the
 * next one did (vmlink_ring_flag_overwritten_leaves_no_doorbell_to_empty). */
static void bell_flag_prepare(struct vmlink *l)
{
	/* Only the VM side asks what became of its flag (bell_asked): cpnetd re-arms
	 * every idle ring each turn, and an exchange on a line the VM writes would buy
	 * it nothing. */
	if (l->bell_out && !l->cp_side)
		bell_flag_back(l);
}

static void bell_flag_set(struct vmlink *l)
{
	l->bell_out = true;
}

/* shr_arm / shr_nap found work and took their flag back -- or found it taken: the peer
 * published between the flag and the re-check, took the flag and rang.  That doorbell
 * is readable though this side does not sleep; the next look must empty it (the
 * CPNIC's reader polls on it: left readable, its poll returned at once, every time,
 * until the socket's look emptied it 5 ms later). */
static void bell_flag_missed(struct vmlink *l)
{
	if (shr_bell_coming(&l->ring) && !l->cp_side)
		l->bell_asked = true;
}

/* The doorbell was emptied: what it held is gone; a flag still set stays out. */
static void bell_emptied(struct vmlink *l)
{
	shr_bell_drain(&l->ring);
	l->bell_asked = false;
	l->bell_out = l->bell_out && shr_armed(&l->ring);
	l->syscalls++;
}

bool vml_arm(struct vmlink *l)
{
	if (!l->ring_on)
		return false;
	bell_flag_prepare(l);
	if (shr_arm(&l->ring)) {
		bell_flag_missed(l);
		return true;
	}
	bell_flag_set(l);
	adapt_sleep(&l->rxa);	/* armed: it sleeps until the doorbell */
	return false;
}

void vml_ring_note(struct vmlink *l, unsigned taken, bool woken)
{
	if (!l->ring_on)
		return;
	l->nap_until = 0;	/* a look ends a nap */
	if (adapt_look(&l->rxa, taken, woken, adapt_now_ns()))
		bell_flag_back(l);
}

int64_t vml_ring_nap_left(const struct vmlink *l)
{
	uint64_t now;

	if (!l->ring_on || !l->nap_until)
		return 0;
	now = adapt_now_ns();
	return l->nap_until > now ? (int64_t)(l->nap_until - now) : 0;
}

int64_t vml_ring_wait_ns(struct vmlink *l)
{
	if (!l->ring_on)
		return -1;
	if (adapt_polling(&l->rxa)) {
		int64_t left = vml_ring_nap_left(l);
		uint64_t nap;

		if (left > 0)
			return left;	/* the nap under way: not taken again */
		nap = adapt_nap(&l->rxa);
		/* The nap ends early once a nap's batch waits (the producer rings at that
		 * fill, adapt_nap_fill): at a steady high rate the doorbell ends the naps,
		 * not the timer, which costs this host's consumer several doorbell
		 * wake-ups (doc/rings.md); the timer bounds what comes in small numbers. */
		if (nap)
			bell_flag_prepare(l);
		if (nap && shr_nap(&l->ring, adapt_nap_fill(&l->rxa, l->ring.nslots)))
			nap = 0;
		if (nap) {
			adapt_napped(&l->rxa);
			l->nap_until = adapt_now_ns() + nap;
			bell_flag_set(l);	/* at the fill threshold */
		}
		bell_flag_missed(l);	/* a nap the re-check refused */
		return (int64_t)nap;
	}
	return vml_arm(l) ? 0 : -1;
}

void vml_poll_policy(struct vmlink *l, enum adapt_policy p, const struct adapt_cfg *cfg)
{
	struct adapt_cfg ring = adapt_ring_cfg(VML_RING_SLOTS);

	adapt_init(&l->rxa, p, cfg ? cfg : &ring);
}

/* VM side: CP offers a ring.  Take it unless told to keep to the socket; answer. */
static void ring_offered(struct vmlink *l, const uint8_t *m, size_t len, int *fds, int nfds)
{
	struct vml_ring_offer o;
	uint16_t ack = VML_RING_FAILED;
	uint8_t b[VML_HDR_SIZE + VML_RING_ACK_SIZE];
	int n;

	if (l->transport == VML_TRANSPORT_SOCKET) {
		ack = VML_RING_DECLINED;
	} else if (!l->ring_on && nfds == VML_MAX_FDS && vml_ring_decode(m, len, &o) == 0 &&
		   o.version == SHR_VERSION) {
		int own[VML_MAX_FDS];

		memcpy(own, fds, sizeof(own));
		for (int i = 0; i < VML_MAX_FDS; i++)
			fds[i] = -1;	/* the ring's now, attached or closed */
		/* The largest frame must fit (in as many slots as it takes). */
		if (shr_attach(&l->ring, own) == 0 && l->ring.nslots == o.nslots &&
		    l->ring.slot_size == o.slot_size && shr_max_msg(&l->ring) >= VML_MAX_MSG) {
			ack = VML_RING_TAKEN;
		} else {
			shr_free(&l->ring);
		}
	}
	n = vml_simple_encode(VML_RING_ACK, 0, 0, ack, b, sizeof(b));
	if (n > 0 && vml_send(l, b, (size_t)n) == 0 && ack == VML_RING_TAKEN) {
		l->ring_on = true;
		l->ring_tx = true;
		if (l->on_ring)
			l->on_ring(l->ctx);
	} else if (ack == VML_RING_TAKEN) {
		shr_free(&l->ring);
	}
}

/* Returns 2 when the awaited ADDR_RC arrived, 1 handled, negative on a bad message.
 * fds: descriptors the message carried; what handle keeps it sets to -1. */
static int handle(struct vmlink *l, const uint8_t *m, size_t len, uint32_t want_seq,
		  uint16_t *rc_out, int *fds, int nfds)
{
	struct vml_hdr h;
	struct vml_nic *vn;
	struct pframe f;
	struct qdio_span sp;
	struct paddr a;
	uint16_t v;
	int rc;

	rc = vml_hdr_decode(m, len, &h);
	if (rc < 0)
		goto bad;
	vn = find_nic(l, h.vdev);
	switch (h.type) {
	case VML_FRAME:
		rc = frame_in(l, m, len, &f, &sp);
		if (rc < 0 || !vn)
			goto bad;
		if (l->cp_side)
			port_tx(&vn->proxy, &f, 1);
		else
			port_deliver(vn->nicport, &f, 1);
		return 1;
	case VML_ADDR:
		if (!l->cp_side)
			goto bad;
		rc = vml_addr_decode(m, len, &a);
		if (rc < 0 || !vn)
			v = IPA_RC_INVALID_FORMAT;
		else
			v = port_addr(&vn->proxy, &a);
		rc = vml_simple_encode(VML_ADDR_RC, h.vdev, h.seq, v, l->obuf, VML_MAX_MSG);
		if (rc > 0)
			vml_send(l, l->obuf, (size_t)rc);
		return 1;
	case VML_ADDR_RC:
		if (l->cp_side || vml_simple_decode(m, len, &v) < 0)
			goto bad;
		if (want_seq && h.seq == want_seq) {
			*rc_out = v;
			return 2;
		}
		return 1;	/* a late answer to a registration that timed out */
	case VML_LINK:
		if (l->cp_side || vml_simple_decode(m, len, &v) < 0)
			goto bad;
		if (l->on_link)
			l->on_link(l->ctx, h.vdev, v != 0);
		return 1;
	case VML_NIC_DEFINE: {
		struct vml_nicdef d;

		if (l->cp_side || vml_nicdef_decode(m, len, &d) < 0)
			goto bad;
		if (l->on_nicdef)
			l->on_nicdef(l->ctx, &d);
		return 1;
	}
	case VML_NIC_DETACH:
		if (l->cp_side)
			goto bad;
		if (l->on_detach)
			l->on_detach(l->ctx, h.vdev);
		return 1;
	case VML_RING:
		if (l->cp_side)
			goto bad;
		ring_offered(l, m, len, fds, nfds);
		return 1;
	case VML_RING_ACK:
		/* Only the answer to our offer, once: a later one changes nothing. */
		if (!l->cp_side || vml_simple_decode(m, len, &v) < 0 || !l->ring_on ||
		    l->ring_ack >= 0)
			goto bad;
		l->ring_ack = v;
		if (v == VML_RING_TAKEN)
			l->ring_tx = true;
		else
			vml_ring_close(l);	/* frames stay on the socket */
		return 1;
	case VML_HANDLE_OPEN:
	case VML_HANDLE_CLOSE:
	case VML_APPL_OFFLOAD:
		if (!l->cp_side || !l->on_ctl)
			goto bad;
		rc = l->on_ctl(l->ctx, &h, m, len);
		if (rc < 0)
			goto bad;
		return 1;
	case VML_HANDLE: {
		struct vml_handle_reply hr;

		if (l->cp_side || vml_handle_reply_decode(m, len, &hr) < 0)
			goto bad;
		if (!want_seq || h.seq != want_seq)
			return 1;	/* a late answer: its descriptors are closed */
		l->hreply = hr;
		for (int i = 0; i < 3; i++) {
			if (l->hfds[i] >= 0)
				close(l->hfds[i]);
			l->hfds[i] = i < nfds ? fds[i] : -1;
			if (i < nfds)
				fds[i] = -1;
		}
		*rc_out = hr.rc;
		return 2;
	}
	case VML_LOGOFF:
		/* A malformed LOGOFF still ends the session, for no stated reason. */
		l->peer_logoff = vml_simple_decode(m, len, &v) < 0 ? VML_LOGOFF_ENDED : v;
		return -EPIPE;
	default:
		goto bad;
	}
bad:
	l->errors++;
	return rc < 0 ? rc : -EBADMSG;
}

/* Frames of consecutive messages (or ring entries) for one NIC go to the port as one
 * batch. */
#define BATCH_MAX (VML_RING_BATCH > VML_RX_BATCH ? VML_RING_BATCH : VML_RX_BATCH)
struct rx_batch {
	struct vml_nic *vn;
	unsigned n;
	struct pframe f[BATCH_MAX];
	struct qdio_span sp[BATCH_MAX];
};

static void rx_flush(struct vmlink *l, struct rx_batch *b)
{
	if (!b->n)
		return;
	if (l->cp_side)
		port_tx(&b->vn->proxy, b->f, b->n);
	else
		port_deliver(b->vn->nicport, b->f, b->n);
	b->n = 0;
	b->vn = NULL;
}

/* The frame decoded into b->f[b->n] joins the batch, for NIC vn: the batch of another
 * NIC goes first (the frame moves to the front of the next). */
static void rx_add(struct vmlink *l, struct rx_batch *b, struct vml_nic *vn)
{
	if (b->vn != vn && b->n) {
		struct pframe f = b->f[b->n];
		struct qdio_span sp = b->sp[b->n];

		rx_flush(l, b);
		b->f[0] = f;
		b->sp[0] = sp;
	}
	b->f[b->n].spans = &b->sp[b->n];
	b->vn = vn;
	b->n++;
}

/*
 * Entries are copied out of the shared area into the link's buffer (packed, 8-byte
 * aligned) before anything looks at them: the peer may rewrite a slot at any time,
 * and what the switch checks (addresses, VLAN) must be what it forwards.  Only
 * VML_FRAME messages may be in the ring, with metadata vml_frame_decode accepts;
 * anything else breaks the ring (SHR_BAD_MSG).  With rx_in_place only the header and
 * metadata are copied: the frame's span is the slot's bytes after them, its length
 * the one shr_rx_ref checked, and the slots go back only after the frames were
 * delivered (copied by the receiver).
 */
int vml_poll_ring(struct vmlink *l)
{
	const size_t cap = (size_t)VML_RX_BATCH * VML_MAX_MSG;
	const size_t meta = VML_HDR_SIZE + VML_FRAME_META;
	struct rx_batch b;
	size_t off = 0;
	int taken = 0;

	if (!l->ring_on)
		return 0;
	if (l->ring.broken)
		return -EPIPE;
	b.n = 0;
	b.vn = NULL;
	while (taken < VML_RING_BATCH && off + VML_MAX_MSG <= cap) {
		uint8_t *m = l->buf + off;
		const uint8_t *s;
		int len = shr_rx_ref(&l->ring, &s, VML_MAX_MSG);
		size_t keep;
		struct vml_nic *vn;

		if (len == 0)
			break;
		if (len < 0)
			goto broken;
		taken++;
		/* Read once: what is decoded is this copy (vml_frame_decode reads the
		 * header and metadata only; len gives the frame's length). */
		keep = l->rx_in_place && (size_t)len > meta ? meta : (size_t)len;
		memcpy(m, s, keep);
		if ((size_t)len <= VML_HDR_SIZE || m[0] != VML_VERSION || m[1] != VML_FRAME ||
		    frame_in(l, m, (size_t)len, &b.f[b.n], &b.sp[b.n]) < 0) {
			shr_break(&l->ring, SHR_BAD_MSG);
			goto broken;
		}
		if (keep < (size_t)len)	/* the bytes after the metadata, in the slot */
			b.sp[b.n].ptr = s + meta;
		l->received++;
		vn = find_nic(l, be_get16(m + 2));
		if (!vn) {	/* a NIC that just left the link: not the peer's fault */
			l->errors++;
			continue;
		}
		rx_add(l, &b, vn);
		off += (keep + 7) & ~(size_t)7;
	}
	if (l->rx_in_place) {
		/* Delivered (copied by the receiver), then the slots go back. */
		rx_flush(l, &b);
		shr_rx_done(&l->ring);
	} else {
		/* Copied: the slots go back before the frames travel on. */
		shr_rx_done(&l->ring);
		rx_flush(l, &b);
	}
	if (l->ring_tx && l->cp_side)
		vml_flush(l);	/* room may have come for frames that waited */
	return l->ring.broken ? -EPIPE : taken;

broken:
	rx_flush(l, &b);	/* what was checked before the fault still goes */
	return -EPIPE;
}

/* The session ended inside a batch: descriptors the rest carried are closed. */
static void drop_rest(struct vmlink *l, struct mmsghdr *mm, int from, int n)
{
	for (int j = from; j < n && !l->cp_side; j++) {
		int more[VML_MAX_FDS];

		close_fds(more, (int)fdpass_take(&mm[j].msg_hdr, more, VML_MAX_FDS));
	}
}

/* While the ring is busy, the socket (control messages: rare, they can wait a few
 * ms) once per 5 ms: at a flood of a million frames a second, a syscall per 5000. */
#define SOCK_BUSY_NS 5000000ull

/*
 * Poll mode (lib/adapt.h): look at the ring, doorbell unarmed, napping between empty
 * looks (adapt_nap; a nap ends early when the socket has a message or a nap's batch
 * waits, shr_nap), until work comes,
 * the poll phase ends (adapt bounds it: an idle consumer goes back to sleeping), the
 * caller's wait is over, or the socket is due its look (SOCK_BUSY_NS).  Entries taken,
 * 0, or -EPIPE; *wait_ms becomes what is left of the wait (0: over, or the socket).
 */
static int ring_spin(struct vmlink *l, int *wait_ms)
{
	uint64_t t0 = now_ns(), t = t0;

	while (adapt_polling(&l->rxa)) {
		uint64_t nap;

		if (shr_rx_pending(&l->ring) || l->ring.broken) {
			int rc = vml_poll_ring(l);

			if (rc < 0)
				return -EPIPE;
			vml_ring_note(l, (unsigned)rc, false);
			if (rc > 0)
				return rc;
			continue;
		}
		vml_ring_note(l, 0, false);	/* an empty poll */
		t = now_ns();
		if ((*wait_ms > 0 && t - t0 >= (uint64_t)*wait_ms * 1000000u) ||
		    t - l->sock_check_ns >= SOCK_BUSY_NS) {
			l->sock_check_ns = t;
			*wait_ms = 0;
			return 0;
		}
		if (!adapt_polling(&l->rxa))
			break;	/* that poll ended the phase */
		nap = (uint64_t)vml_ring_wait_ns(l);	/* polling: a nap or none */
		if (nap) {
			struct pollfd pfd[2] = { { l->fd, POLLIN, 0 }, { vml_bell_fd(l), POLLIN, 0 } };
			struct timespec ts;

			if (*wait_ms > 0 && nap > (uint64_t)*wait_ms * 1000000u - (t - t0))
				nap = (uint64_t)*wait_ms * 1000000u - (t - t0);
			ts.tv_sec = (time_t)(nap / 1000000000u);
			ts.tv_nsec = (long)(nap % 1000000000u);
			l->syscalls++;
			if (ppoll(pfd, 2, &ts, NULL) > 0) {
				if (pfd[1].revents) {
					/* A nap's batch waits (shr_nap): look now. */
					int rc;

					bell_emptied(l);
					rc = vml_poll_ring(l);
					if (rc < 0)
						return -EPIPE;
					vml_ring_note(l, (unsigned)rc, true);
					if (rc > 0)
						return rc;
				}
				if (pfd[0].revents) {
					/* A message: vml_poll reads the socket now. */
					l->sock_check_ns = now_ns();
					*wait_ms = 0;
					return 0;
				}
			}
		}
	}
	if (*wait_ms > 0)	/* the phase ended inside the wait: sleep what is left */
		*wait_ms -= (int)((t - t0) / 1000000u);
	return 0;
}

/* The socket's messages waiting now (at most vlen, one recvmmsg, no wait): frames for
 * one NIC handed over as one batch, the others handled in order.  Returns how many were
 * read, 0 none, -EPIPE when the peer is gone or logged off. */
static int sock_rx(struct vmlink *l, unsigned vlen)
{
	struct mmsghdr mm[VML_RX_BATCH];
	struct iovec iov[VML_RX_BATCH];
	union vml_cmsg cm[VML_RX_BATCH];
	struct rx_batch b;
	uint16_t dummy;
	int n, rc;

	if (vlen > VML_RX_BATCH)
		vlen = VML_RX_BATCH;
	memset(mm, 0, sizeof(mm));
	for (unsigned i = 0; i < vlen; i++) {
		iov[i].iov_base = l->buf + (size_t)i * VML_MAX_MSG;
		iov[i].iov_len = VML_MAX_MSG;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		if (!l->cp_side) {
			mm[i].msg_hdr.msg_control = cm[i].b;
			mm[i].msg_hdr.msg_controllen = sizeof(cm[i].b);
		}
	}
	n = recvmmsg(l->fd, mm, vlen, MSG_DONTWAIT | MSG_CMSG_CLOEXEC, NULL);
	l->syscalls++;
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -EPIPE;
	b.n = 0;
	b.vn = NULL;
	for (int i = 0; i < n; i++) {
		const uint8_t *m = iov[i].iov_base;
		size_t len = mm[i].msg_len;
		int fds[VML_MAX_FDS], nfds = 0;
		struct vml_nic *vn;

		if (!l->cp_side)
			nfds = (int)fdpass_take(&mm[i].msg_hdr, fds, VML_MAX_FDS);
		if (len == 0) {		/* end of file: the peer closed */
			close_fds(fds, nfds);
			drop_rest(l, mm, i + 1, n);
			rx_flush(l, &b);
			return -EPIPE;
		}
		l->received++;
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			close_fds(fds, nfds);
			l->errors++;
			continue;
		}
		if (len > VML_HDR_SIZE && m[0] == VML_VERSION && m[1] == VML_FRAME &&
		    (vn = find_nic(l, be_get16(m + 2))) != NULL) {
			close_fds(fds, nfds);
			if (frame_in(l, m, len, &b.f[b.n], &b.sp[b.n]) < 0) {
				l->errors++;
				continue;
			}
			rx_add(l, &b, vn);
			continue;
		}
		rx_flush(l, &b);
		rc = handle(l, m, len, 0, &dummy, fds, nfds);
		close_fds(fds, nfds);
		if (rc == -EPIPE) {
			drop_rest(l, mm, i + 1, n);
			return -EPIPE;
		}
	}
	rx_flush(l, &b);
	return n;
}

int vml_poll(struct vmlink *l, int wait_ms)
{
	struct pollfd pfd[2] = { { l->fd, POLLIN, 0 }, { vml_bell_fd(l), POLLIN, 0 } };
	/* The caller's own "no wait" (a drain loop's look), not ring_spin's: when that
	 * hands the socket's look over (wait_ms 0), the socket must be looked at. */
	bool drain_look = wait_ms == 0;
	int rc, got = 0;

	if (l->ring_on) {
		rc = vml_poll_ring(l);
		if (rc < 0)
			return -EPIPE;
		vml_ring_note(l, (unsigned)rc, false);
		if (rc == 0 && wait_ms != 0 && adapt_polling(&l->rxa))
			rc = ring_spin(l, &wait_ms);
		if (rc < 0)
			return -EPIPE;
		if (rc > 0) {
			/* Busy: control messages are rare, the socket is looked at once
			 * per SOCK_BUSY_NS -- no syscall per frame or per batch. */
			uint64_t t = now_ns();

			if (t - l->sock_check_ns < SOCK_BUSY_NS)
				return 1;
			l->sock_check_ns = t;
			got = 1;
			wait_ms = 0;
		} else if (drain_look && !l->cp_side) {
			/* A look without a wait that found the ring empty: the socket,
			 * too, at most once per SOCK_BUSY_NS -- a caller that drains
			 * with vml_poll(l, 0) after each batch (cpnet-guest, the CPNIC's
			 * reader) would make a poll() per batch for control messages that
			 * are rare and can wait a millisecond.  Unless a doorbell may
			 * wait: the peer took a flag of ours since this side last emptied
			 * it (a flag this side took back rang nothing) -- a caller that
			 * slept in its own poll on the doorbell (the CPNIC's reader)
			 * relies on this look to empty it and to count the wake-up. */
			uint64_t t = now_ns();

			if (l->bell_out && !shr_armed(&l->ring)) {
				l->bell_out = false;	/* the peer took the flag */
				l->bell_asked = true;
			}
			if (!l->bell_asked && t - l->sock_check_ns < SOCK_BUSY_NS)
				return 0;
			l->sock_check_ns = t;
		} else if (wait_ms != 0 && vml_ring_wait_ns(l) == 0) {
			wait_ms = 0;	/* work came while arming */
		}
	}
	rc = poll(pfd, l->ring_on ? 2 : 1, wait_ms);
	l->syscalls++;
	if (l->ring_on && wait_ms != 0)
		bell_flag_back(l);	/* awake: the next sleep arms again */
	if (rc < 0)
		return errno == EINTR ? got : -errno;
	if (rc == 0)
		return got;
	if (l->ring_on && pfd[1].revents) {
		bell_emptied(l);
		rc = vml_poll_ring(l);
		if (rc < 0)
			return -EPIPE;
		vml_ring_note(l, (unsigned)rc, true);
		got |= rc > 0;
	}
	if (!pfd[0].revents)
		return got;
	rc = sock_rx(l, VML_RX_BATCH);
	if (rc < 0)
		return rc;
	return (rc > 0 || got) ? 1 : 0;
}

int vml_poll_frames(struct vmlink *l, unsigned max)
{
	int got = 0;

	while ((unsigned)got < max) {
		uint8_t h[2];
		ssize_t r = recv(l->fd, h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);
		int rc;

		l->syscalls++;
		/* Nothing waiting, the peer gone (the loop finds out), or not a frame:
		 * left where it is. */
		if (r < (ssize_t)sizeof(h) || h[0] != VML_VERSION || h[1] != VML_FRAME)
			return got;
		rc = sock_rx(l, 1);
		if (rc <= 0)
			return rc < 0 ? rc : got;
		got++;
	}
	return got;
}

int vml_logon_fd(int fd, const char *userid, const char *password, int wait_ms,
		 struct vml_logon_reply *reply)
{
	uint8_t out[VML_HDR_SIZE + VML_LOGON_SIZE];
	uint8_t in[VML_HDR_SIZE + 4 + sizeof(reply->text)];
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct vml_logon lg;
	ssize_t got;
	int n, r;

	memset(&lg, 0, sizeof(lg));
	if (strlen(userid) > 8 || strlen(password) > 8)
		return -EINVAL;
	strcpy(lg.userid, userid);
	strcpy(lg.password, password);
	n = vml_logon_encode(&lg, out, sizeof(out));
	memset(&lg, 0, sizeof(lg));
	if (n < 0)
		return n;
	got = send(fd, out, (size_t)n, MSG_NOSIGNAL);
	memset(out, 0, sizeof(out));
	if (got != n)
		return got < 0 ? -errno : -EIO;
	r = poll(&pfd, 1, wait_ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	got = recv(fd, in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC);
	if (got == 0)
		return -EPIPE;
	if (got < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	/* CP's first message answers the LOGON; anything else (or too long) is not CP. */
	if ((size_t)got > sizeof(in) || got < 2 || in[1] != VML_LOGON_REPLY)
		return -EPROTO;
	r = vml_logon_reply_decode(in, (size_t)got, reply);
	if (r < 0)
		return r;
	return reply->rc;
}

int vml_logon(struct vmlink *l, const char *userid, const char *password, int wait_ms,
	      struct vml_logon_reply *reply)
{
	int r = vml_logon_fd(l->fd, userid, password, wait_ms, reply);

	if (r == -EPROTO || r == -EBADMSG || r == -EMSGSIZE)
		l->errors++;
	if (r >= 0) {
		l->sent++;
		l->received++;
	}
	return r;
}

int vml_appl_logon_fd(int fd, const struct vml_appl_logon *a, int wait_ms,
		      struct vml_appl_reply *reply)
{
	uint8_t out[VML_HDR_SIZE + VML_APPL_LOGON_SIZE];
	uint8_t in[VML_HDR_SIZE + VML_APPL_REPLY_FIXED + sizeof(reply->text)];
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t got;
	int n, r;

	n = vml_appl_logon_encode(a, out, sizeof(out));
	if (n < 0)
		return n;
	got = send(fd, out, (size_t)n, MSG_NOSIGNAL);
	memset(out, 0, sizeof(out));	/* the password */
	if (got != n)
		return got < 0 ? -errno : -EIO;
	r = poll(&pfd, 1, wait_ms);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	got = recv(fd, in, sizeof(in), MSG_DONTWAIT | MSG_TRUNC);
	if (got == 0)
		return -EPIPE;
	if (got < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	/* CP's first message answers; a LOGON_REPLY is a refusal before the port. */
	if ((size_t)got > sizeof(in) || got < 2)
		return -EPROTO;
	if (in[1] == VML_LOGON_REPLY) {
		struct vml_logon_reply lr;

		r = vml_logon_reply_decode(in, (size_t)got, &lr);
		if (r < 0)
			return r;
		memset(reply, 0, sizeof(*reply));
		reply->rc = lr.rc ? lr.rc : 9099;
		memcpy(reply->text, lr.text, sizeof(reply->text));
		return 0;
	}
	if (in[1] != VML_APPL_REPLY)
		return -EPROTO;
	return vml_appl_reply_decode(in, (size_t)got, reply);
}

int vml_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- VM side: logging on again ------------------------------------------------------ */

void vml_retry_start(struct vml_retry *r, uint64_t now_ms)
{
	memset(r, 0, sizeof(*r));
	r->since_ms = now_ms;
	r->delay_ms = VML_RETRY_MIN_MS;
	r->next_ms = now_ms + VML_RETRY_MIN_MS;
}

uint64_t vml_retry_wait(const struct vml_retry *r, uint64_t now_ms)
{
	return r->next_ms > now_ms ? r->next_ms - now_ms : 0;
}

bool vml_retry_failed(struct vml_retry *r, uint64_t now_ms)
{
	bool growing = r->delay_ms < VML_RETRY_MAX_MS;
	bool log;

	r->attempts++;
	log = growing || now_ms - r->logged_ms >= VML_RETRY_LOG_MS;
	if (log)
		r->logged_ms = now_ms;
	r->delay_ms = r->delay_ms * 2 > VML_RETRY_MAX_MS ? VML_RETRY_MAX_MS : r->delay_ms * 2;
	r->next_ms = now_ms + r->delay_ms;
	return log;
}
