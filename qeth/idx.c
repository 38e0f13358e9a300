/* qeth/idx.c - IDX ACTIVATE request/reply and IDX TERMINATE codecs (reference §2.2).
 * The adapter engines answer with idx_reply_encode; the driver side checks like qeth. */
#include "qeth/idx.h"

#include <string.h>

#include "lib/be.h"

const uint8_t idx_name_hallole[IDX_NAME_LEN] = { 0xC8, 0xC1, 0xD3, 0xD3, 0xD6, 0xD3, 0xC5, 0x40 };

int idx_req_decode(const uint8_t *buf, size_t len, struct idx_req *out)
{
	uint16_t type;
	uint8_t port;

	if (len < IDX_REQ_SIZE)
		return -EMSGSIZE;
	/* A host never sends TERMINATE or anything but a device-directed command here. */
	if (be_get16(buf + IDX_OFF_CMD) != IDX_CMD_DEVICE)
		return -EPROTO;
	type = be_get16(buf + IDX_OFF_TYPE);
	if (type != IDX_TYPE_READ && type != IDX_TYPE_WRITE)
		return -EPROTO;
	port = be_get8(buf + IDX_OFF_PORT);
	out->seq = be_get32(buf + IDX_OFF_SEQ);
	out->type = type;
	out->paths = be_get8(buf + IDX_OFF_PATHS);
	out->port_flags = port & (uint8_t)~IDX_PORT_NO_MASK;
	out->portno = port & IDX_PORT_NO_MASK;
	out->token = be_get32(buf + IDX_OFF_TOKEN);
	out->func_level = be_get16(buf + IDX_OFF_FUNC_LEVEL);
	memcpy(out->name, buf + IDX_OFF_NAME, IDX_NAME_LEN);
	out->datadev = be_get16(buf + IDX_OFF_DATADEV);
	out->realaddr = be_get16(buf + IDX_OFF_REALADDR);
	return 0;
}

int idx_req_encode(const struct idx_req *in, uint8_t *buf, size_t cap)
{
	if (cap < IDX_REQ_SIZE)
		return -ENOSPC;
	if (in->portno > IDX_PORT_NO_MASK || (in->port_flags & IDX_PORT_NO_MASK))
		return -EINVAL;
	memset(buf, 0, IDX_REQ_SIZE);
	be_put16(buf + IDX_OFF_CMD, IDX_CMD_DEVICE);
	be_put32(buf + IDX_OFF_SEQ, in->seq);
	be_put16(buf + IDX_OFF_TYPE, in->type);
	be_put8(buf + IDX_OFF_PATHS, in->paths);
	be_put8(buf + IDX_OFF_PORT, (uint8_t)(in->port_flags | in->portno));
	be_put32(buf + IDX_OFF_TOKEN, in->token);
	be_put16(buf + IDX_OFF_FUNC_LEVEL, in->func_level);
	memcpy(buf + IDX_OFF_NAME, in->name, IDX_NAME_LEN);
	be_put16(buf + IDX_OFF_DATADEV, in->datadev);
	be_put16(buf + IDX_OFF_REALADDR, in->realaddr);
	return IDX_REQ_SIZE;
}

void idx_req_linux(struct idx_req *r, bool read_dev, uint8_t portno, uint16_t func_level,
		   uint16_t datadev, uint16_t realaddr)
{
	memset(r, 0, sizeof(*r));
	/* The transport sequence is 0 on both IDX requests (reference §2.6). */
	r->seq = 0;
	r->type = read_dev ? IDX_TYPE_READ : IDX_TYPE_WRITE;
	r->paths = 1;
	r->port_flags = IDX_PORT_FLAGS;
	r->portno = portno;
	r->token = IDX_HOST_TOKEN;
	r->func_level = func_level;
	memcpy(r->name, idx_name_hallole, IDX_NAME_LEN);
	r->datadev = datadev;
	r->realaddr = realaddr;
}

uint16_t idx_peer_level(uint16_t level)
{
	if ((level & 0xFF) == 0x08)
		return (uint16_t)((level & 0xFF) + 0x400);
	if (((level >> 8) & 3) == 1)
		return (uint16_t)((level & 0xFF) + 0x200);
	return level;
}

int idx_reply_encode(const struct idx_req *req, const struct idx_reply_params *p,
		     uint8_t *buf, size_t cap)
{
	uint8_t type_hi = (uint8_t)(req->type >> 8) & (uint8_t)~0x03;

	if (cap < IDX_REQ_SIZE)
		return -ENOSPC;
	if (req->portno > IDX_PORT_NO_MASK)
		return -EINVAL;
	/* The reply is the request patched in place (what qeth was shown to accept). */
	memset(buf, 0, IDX_REQ_SIZE);
	be_put16(buf + IDX_OFF_CMD, IDX_CMD_DEVICE);
	be_put32(buf + IDX_OFF_SEQ, req->seq);
	be_put8(buf + IDX_OFF_PATHS, req->paths);
	be_put8(buf + IDX_OFF_PORT, (uint8_t)(IDX_PORT_FLAGS | req->portno));
	memcpy(buf + IDX_OFF_NAME, req->name, IDX_NAME_LEN);
	be_put16(buf + IDX_OFF_DATADEV, req->datadev);
	be_put16(buf + IDX_OFF_REALADDR, req->realaddr);

	switch (p->verdict) {
	case IDX_POSITIVE:
		be_put8(buf + IDX_OFF_REPLY, type_hi | IDX_REPLY_POSITIVE);
		be_put32(buf + IDX_OFF_TOKEN, p->token);
		be_put16(buf + IDX_OFF_FUNC_LEVEL, idx_peer_level(req->func_level));
		memcpy(buf + IDX_OFF_MCL, p->mcl, 4);
		break;
	case IDX_NEGATIVE:
		be_put8(buf + IDX_OFF_REPLY, type_hi | 0x01);
		be_put8(buf + IDX_OFF_CAUSE, p->cause);
		be_put32(buf + IDX_OFF_TOKEN, req->token);
		be_put16(buf + IDX_OFF_FUNC_LEVEL, req->func_level);
		break;
	case IDX_TERMINATE:
		be_put8(buf + IDX_OFF_CMD, IDX_CMD_TERM_MASK);
		be_put32(buf + IDX_OFF_SEQ, (uint32_t)p->cause << 24);
		be_put8(buf + IDX_OFF_REPLY, type_hi | 0x01);
		be_put32(buf + IDX_OFF_TOKEN, req->token);
		be_put16(buf + IDX_OFF_FUNC_LEVEL, req->func_level);
		break;
	default:
		return -EINVAL;
	}
	return IDX_REQ_SIZE;
}

int idx_terminate_encode(uint8_t cause, uint8_t *buf, size_t cap)
{
	if (cap < IDX_REQ_SIZE)
		return -ENOSPC;
	memset(buf, 0, IDX_REQ_SIZE);
	be_put8(buf + IDX_OFF_CMD, IDX_CMD_TERM_MASK);
	be_put8(buf + IDX_OFF_SEQ, cause);
	return IDX_REQ_SIZE;
}

bool idx_is_terminate(const uint8_t *buf, size_t len)
{
	return len > IDX_OFF_CMD && (buf[IDX_OFF_CMD] & IDX_CMD_TERM_MASK) == IDX_CMD_TERM_MASK;
}

int idx_terminate_errno(uint8_t cause)
{
	if (cause == IDX_TERM_BAD_MODE || cause == IDX_TERM_BAD_MODE2)
		return -EPROTONOSUPPORT;
	return -ECONNRESET;
}

int idx_reply_decode(const uint8_t *buf, size_t len, struct idx_reply *out)
{
	uint8_t port;

	memset(out, 0, sizeof(*out));
	if (idx_is_terminate(buf, len)) {
		if (len <= IDX_OFF_SEQ)
			return -EMSGSIZE;
		out->verdict = IDX_TERMINATE;
		out->cause = be_get8(buf + IDX_OFF_SEQ);
		return 0;
	}
	if (len < IDX_REPLY_MIN)
		return -EMSGSIZE;
	if ((be_get8(buf + IDX_OFF_REPLY) & 0x03) == IDX_REPLY_POSITIVE) {
		out->verdict = IDX_POSITIVE;
	} else {
		out->verdict = IDX_NEGATIVE;
		out->cause = be_get8(buf + IDX_OFF_CAUSE);
	}
	port = be_get8(buf + IDX_OFF_PORT);
	out->port_flags = port & (uint8_t)~IDX_PORT_NO_MASK;
	out->portno = port & IDX_PORT_NO_MASK;
	out->token = be_get32(buf + IDX_OFF_TOKEN);
	out->func_level = be_get16(buf + IDX_OFF_FUNC_LEVEL);
	memcpy(out->mcl, buf + IDX_OFF_MCL, 4);
	return 0;
}

int idx_reply_check(const struct idx_reply *r, bool read_dev, uint16_t sent_level)
{
	uint16_t want = idx_peer_level(sent_level);

	switch (r->verdict) {
	case IDX_TERMINATE:
		return idx_terminate_errno(r->cause);
	case IDX_NEGATIVE:
		if (r->cause == IDX_CAUSE_BUSY)
			return -EBUSY;
		if (r->cause == IDX_CAUSE_NOAUTH || r->cause == IDX_CAUSE_NOAUTH2)
			return -EPERM;
		return -ECONNREFUSED;
	case IDX_POSITIVE:
		break;
	default:
		return -EINVAL;
	}
	/* The write device tolerates the 0x0100 bit (0x0201 and 0x0301 both pass). */
	if (read_dev ? r->func_level != want : (r->func_level & ~0x0100) != want)
		return -EPROTO;
	return 0;
}

int idx_reply_accept(const uint8_t *buf, size_t len, bool read_dev, uint16_t sent_level,
		     struct idx_reply *out)
{
	int rc = idx_reply_decode(buf, len, out);

	if (rc < 0)
		return rc;
	return idx_reply_check(out, read_dev, sent_level);
}
