/* css/ccw.c - format-1 CCW codec and the bounded chain walker (see css/ccw.h).
 * Every CCW is fetched once through lib/gstor.h and validated before it is used. */
#include "css/ccw.h"

#include <string.h>

#include "lib/be.h"

int ccw1_decode(const uint8_t *buf, size_t len, struct ccw1 *out)
{
	uint32_t addr;

	if (len < CCW_SIZE)
		return -EMSGSIZE;
	addr = be_get32(buf + CCW_OFF_ADDR);
	if (addr & CCW_ADDR_INVALID_BIT)
		return -EBADMSG;
	out->cmd = be_get8(buf + CCW_OFF_CMD);
	out->flags = be_get8(buf + CCW_OFF_FLAGS);
	out->count = be_get16(buf + CCW_OFF_COUNT);
	out->addr = addr;
	return 0;
}

int ccw1_encode(const struct ccw1 *in, uint8_t *buf, size_t cap)
{
	if (cap < CCW_SIZE)
		return -ENOSPC;
	if (in->addr & CCW_ADDR_INVALID_BIT)
		return -EINVAL;
	be_put8(buf + CCW_OFF_CMD, in->cmd);
	be_put8(buf + CCW_OFF_FLAGS, in->flags);
	be_put16(buf + CCW_OFF_COUNT, in->count);
	be_put32(buf + CCW_OFF_ADDR, in->addr);
	return CCW_SIZE;
}

enum ccw_kind ccw_cmd_kind(uint8_t cmd)
{
	switch (cmd & 0x03) {
	case 0x01: return CCW_KIND_WRITE;
	case 0x02: return CCW_KIND_READ;
	case 0x03: return CCW_KIND_CONTROL;
	default: break;
	}
	switch (cmd & 0x0F) {
	case 0x04: return CCW_KIND_SENSE;
	case 0x08: return CCW_KIND_TIC;
	case 0x0C: return CCW_KIND_READ_BACKWARD;
	default: return CCW_KIND_INVALID;
	}
}

int ccw_chain_begin(struct ccw_walk *w, struct gstor *gs, uint32_t cpa)
{
	(void)gs;	/* nothing is fetched before the first command is asked for */
	memset(w, 0, sizeof(*w));
	if (cpa & CCW_ADDR_INVALID_BIT)
		return -EBADMSG;
	if (cpa & 7)
		return -EXDEV;
	w->next = cpa;
	w->chain = true;
	w->state = CCW_WALK_IDLE;
	return 0;
}

static int walk_fail(struct ccw_walk *w, int err)
{
	w->state = CCW_WALK_BROKEN;
	w->err = err;
	return err;
}

/*
 * Fetch the CCW at *addr, following TICs.  On return *addr is where the non-TIC CCW
 * was found.  A TIC's target must be doubleword aligned and must not be a TIC.
 */
static int fetch_ccw(struct ccw_walk *w, struct gstor *gs, uint32_t *addr, struct ccw1 *c)
{
	uint8_t raw[CCW_SIZE];
	bool after_tic = false;
	int rc;

	for (;;) {
		if (w->fetches >= CCW_WALK_MAX_FETCH)
			return -ELOOP;
		w->fetches++;
		/* Status reports the CCW being fetched + 8, also when it cannot be used. */
		w->scsw_ccw = *addr + CCW_SIZE;
		rc = gs_fetch(gs, *addr, raw, sizeof(raw));
		if (rc)
			return rc;
		if (ccw_is_tic(raw[CCW_OFF_CMD]) && after_tic)
			return -EBADMSG;	/* TIC to TIC */
		rc = ccw1_decode(raw, sizeof(raw), c);
		if (rc || !ccw_is_tic(c->cmd))
			return rc;
		if (c->addr & 7)
			return -EXDEV;
		after_tic = true;
		*addr = c->addr;
	}
}

static int check_flags(const struct ccw1 *c, bool data_chained)
{
	if (c->flags & (CCW_FLAG_IDA | CCW_FLAG_MIDA))
		return -EOPNOTSUPP;
	if (c->count == 0 && ((c->flags & CCW_FLAG_CD) || data_chained))
		return -EBADMSG;
	return 0;
}

int ccw_chain_next_cmd(struct ccw_walk *w, struct gstor *gs, struct ccw_cmd *cmd)
{
	struct ccw_cmd *cur = &w->cmd;
	uint32_t addr;
	struct ccw1 c;
	int rc;

	switch (w->state) {
	case CCW_WALK_BROKEN:
		return w->err;
	case CCW_WALK_ENDED:
		return 0;
	case CCW_WALK_CMD:
		return walk_fail(w, -EPROTO);	/* previous command not completed */
	case CCW_WALK_DONE:
		if (!w->chain) {
			w->state = CCW_WALK_ENDED;
			return 0;
		}
		break;
	default:
		break;
	}

	addr = w->next;
	rc = fetch_ccw(w, gs, &addr, &c);
	if (rc)
		return walk_fail(w, rc);
	if (ccw_cmd_kind(c.cmd) == CCW_KIND_INVALID)
		return walk_fail(w, -EBADMSG);
	rc = check_flags(&c, false);
	if (rc)
		return walk_fail(w, rc);

	memset(cur, 0, sizeof(*cur));
	cur->cmd = c.cmd;
	cur->flags = c.flags;
	cur->ccw_addr = addr;
	cur->suspend = (c.flags & CCW_FLAG_SUSPEND) != 0;
	for (;;) {
		struct ccw_seg *s = &w->seg[cur->nseg++];

		s->ccw_addr = addr;
		s->addr = c.addr;
		s->count = c.count;
		s->flags = c.flags;
		cur->total += c.count;
		if (c.flags & CCW_FLAG_PCI)
			cur->pci = true;
		if (!(c.flags & CCW_FLAG_CD))
			break;
		if (cur->nseg >= CCW_DC_MAX)
			return walk_fail(w, -ELOOP);
		addr += CCW_SIZE;
		rc = fetch_ccw(w, gs, &addr, &c);
		if (rc)
			return walk_fail(w, rc);
		rc = check_flags(&c, true);
		if (rc)
			return walk_fail(w, rc);
	}
	cur->chain = (c.flags & CCW_FLAG_CC) != 0;
	w->next = addr + CCW_SIZE;
	w->scsw_ccw = addr + CCW_SIZE;
	w->state = CCW_WALK_CMD;
	*cmd = *cur;
	return 1;
}

/* Close the command: the transfer ended in segment `end` with `residual` left. */
static void finish(struct ccw_walk *w, unsigned end, uint16_t residual, bool more,
		   uint32_t moved, struct ccw_xfer *x)
{
	const struct ccw_seg *s = &w->seg[end];

	x->moved = moved;
	x->residual = residual;
	x->incorrect_length = (residual != 0 || more) && !(s->flags & CCW_FLAG_SLI);
	x->pci = w->cmd.pci;
	x->scsw_ccw = s->ccw_addr + CCW_SIZE;
	/* Chaining is taken from the last CCW of the chain; a transfer that ended early
	 * with incorrect length suppresses it. */
	x->chain = w->cmd.chain && !x->incorrect_length;
	w->chain = x->chain;
	w->scsw_ccw = x->scsw_ccw;
	w->state = CCW_WALK_DONE;
}

/*
 * The common transfer loop.  to_guest: copy device bytes into guest storage; else
 * copy guest bytes to the device.  devlen is what the device offers or wants.
 */
static int transfer(struct ccw_walk *w, struct gstor *gs, uint8_t *dev, uint32_t devlen,
		    bool to_guest, struct ccw_xfer *x)
{
	uint32_t left = devlen, moved = 0;
	unsigned i;

	memset(x, 0, sizeof(*x));
	if (w->state != CCW_WALK_CMD)
		return w->state == CCW_WALK_BROKEN ? w->err : -EPROTO;
	if (devlen && !dev)
		return walk_fail(w, -EINVAL);

	for (i = 0; i < w->cmd.nseg; i++) {
		const struct ccw_seg *s = &w->seg[i];
		uint32_t n = left < s->count ? left : s->count;
		bool last = i + 1 == w->cmd.nseg;

		if (n) {
			if (to_guest && (s->flags & CCW_FLAG_SKIP)) {
				/* counted, not stored, address not used */
			} else {
				uint8_t *g = gs_map(gs, s->addr, n, to_guest);

				if (!g) {
					x->moved = moved;
					x->residual = s->count;
					x->scsw_ccw = s->ccw_addr + CCW_SIZE;
					w->scsw_ccw = x->scsw_ccw;
					return walk_fail(w, -EFAULT);
				}
				if (to_guest)
					memcpy(g, dev + moved, n);
				else
					memcpy(dev + moved, g, n);
			}
			moved += n;
			left -= n;
		}
		if (n < s->count || last) {
			finish(w, i, (uint16_t)(s->count - n), left != 0, moved, x);
			return 0;
		}
	}
	return walk_fail(w, -EPROTO);	/* unreachable: nseg >= 1 */
}

int ccw_chain_read_data(struct ccw_walk *w, struct gstor *gs, const void *devbuf,
			uint32_t devlen, struct ccw_xfer *x)
{
	/* The buffer is only read in this direction; the cast keeps one loop. */
	return transfer(w, gs, (uint8_t *)(uintptr_t)devbuf, devlen, true, x);
}

int ccw_chain_write_data(struct ccw_walk *w, struct gstor *gs, void *devbuf,
			 uint32_t devcap, struct ccw_xfer *x)
{
	return transfer(w, gs, devbuf, devcap, false, x);
}

int ccw_chain_end_cmd(struct ccw_walk *w, struct ccw_xfer *x)
{
	memset(x, 0, sizeof(*x));
	if (w->state != CCW_WALK_CMD)
		return w->state == CCW_WALK_BROKEN ? w->err : -EPROTO;
	/* No data: the transfer ends in the first CCW with a non-zero count. */
	for (unsigned i = 0; i < w->cmd.nseg; i++) {
		if (w->seg[i].count || i + 1 == w->cmd.nseg) {
			finish(w, i, w->seg[i].count, false, 0, x);
			break;
		}
	}
	return 0;
}
