/* css/subch.c - the in-process channel subsystem: runs channel programs through the
 * CCW walker, calls the device model per command, keeps SCSW status and interrupts. */
#include "css/subch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/be.h"

struct css_status css_status_from_errno(int err, bool from_device)
{
	struct css_status st = { 0, 0, 0 };

	if (err >= 0)
		return st;
	if (!from_device) {
		/* The channel could not run the program as written. */
		st.cstat = CHN_PROGRAM_CHECK;
		return st;
	}
	st.dstat = DEV_CHANNEL_END | DEV_DEVICE_END | DEV_UNIT_CHECK;
	switch (-err) {
	case EIO:
	case ENOMEM:
		st.sense0 = SENSE0_EQUIPMENT_CHECK;
		break;
	case EFAULT:
	case EXDEV:
		/* The device followed a guest address (a QDR, a queue) that is invalid. */
		st.dstat = DEV_CHANNEL_END | DEV_DEVICE_END;
		st.cstat = CHN_PROGRAM_CHECK;
		break;
	default:
		/* Wrong command for this device, role or state; malformed control data. */
		st.sense0 = SENSE0_CMD_REJECT;
		break;
	}
	return st;
}

int scsw_encode(const struct scsw *in, uint8_t *buf, size_t cap)
{
	uint32_t w0;

	if (cap < SCSW_SIZE)
		return -ENOSPC;
	w0 = (uint32_t)(in->key & 0xF) << 28 | (in->q ? 1u : 0u) << 15 |
	     (uint32_t)(in->fc & 7) << 12 | (uint32_t)(in->ac & 0x7F) << 5 | (in->sc & 0x1F);
	be_put32(buf, w0);
	be_put32(buf + 4, in->ccw_addr);
	be_put8(buf + 8, in->dstat);
	be_put8(buf + 9, in->cstat);
	be_put16(buf + 10, in->residual);
	return SCSW_SIZE;
}

int scsw_decode(const uint8_t *buf, size_t len, struct scsw *out)
{
	uint32_t w0;

	if (len < SCSW_SIZE)
		return -EMSGSIZE;
	w0 = be_get32(buf);
	out->key = (uint8_t)(w0 >> 28);
	out->q = (w0 >> 15) & 1;
	out->fc = (uint8_t)((w0 >> 12) & 7);
	out->ac = (uint8_t)((w0 >> 5) & 0x7F);
	out->sc = (uint8_t)(w0 & 0x1F);
	out->ccw_addr = be_get32(buf + 4);
	out->dstat = buf[8];
	out->cstat = buf[9];
	out->residual = be_get16(buf + 10);
	return 0;
}

void css_init(struct css *css, struct gstor *gs)
{
	memset(css, 0, sizeof(*css));
	css->gs = gs;
}

int subch_init(struct subch *s, struct css *css, uint16_t schno, uint16_t devno,
	       uint8_t chpid, const struct css_devops *ops, void *dev)
{
	memset(s, 0, sizeof(*s));
	s->iobuf = malloc(SUBCH_IOBUF);
	if (!s->iobuf)
		return -ENOMEM;
	s->css = css;
	s->schno = schno;
	s->devno = devno;
	s->chpid = chpid;
	s->ops = ops;
	s->dev = dev;
	s->enabled = true;
	return 0;
}

static void irq_unqueue(struct subch *s)
{
	struct css *css = s->css;
	struct subch **pp;

	if (!s->irq_queued)
		return;
	for (pp = &css->irq_head; *pp; pp = &(*pp)->irq_next) {
		if (*pp == s) {
			*pp = s->irq_next;
			break;
		}
	}
	css->irq_tail = NULL;
	for (struct subch *p = css->irq_head; p; p = p->irq_next)
		css->irq_tail = p;
	s->irq_next = NULL;
	s->irq_queued = false;
}

void subch_destroy(struct subch *s)
{
	if (s->css)
		irq_unqueue(s);
	free(s->iobuf);
	memset(s, 0, sizeof(*s));
}

static void irq_queue(struct subch *s)
{
	struct css *css = s->css;

	if (!s->irq_queued) {
		s->irq_next = NULL;
		if (css->irq_tail)
			css->irq_tail->irq_next = s;
		else
			css->irq_head = s;
		css->irq_tail = s;
		s->irq_queued = true;
	}
	if (css->notify)
		css->notify(css->notify_ctx, s);
}

struct subch *css_next_irq(struct css *css)
{
	struct subch *s = css->irq_head;

	if (s)
		irq_unqueue(s);
	return s;
}

bool subch_start_active(const struct subch *s)
{
	return (s->scsw.fc & SCSW_FC_START) && !(s->scsw.sc & SCSW_SC_PENDING &&
						 s->scsw.sc & SCSW_SC_PRIMARY);
}

/* End the start function: primary (+secondary) status pending. */
static void end_start(struct subch *s, uint8_t dstat, uint8_t cstat, uint16_t residual,
		      uint32_t ccw_addr)
{
	s->scsw.dstat = dstat;
	s->scsw.cstat |= cstat;
	s->scsw.residual = residual;
	s->scsw.ccw_addr = ccw_addr;
	s->scsw.ac = 0;
	s->scsw.sc = SCSW_SC_PRIMARY | SCSW_SC_SECONDARY | SCSW_SC_PENDING;
	if (cstat || (dstat & (DEV_UNIT_CHECK | DEV_UNIT_EXCEPTION)))
		s->scsw.sc |= SCSW_SC_ALERT;
	s->pending_cmd = false;
	irq_queue(s);
}

/*
 * Run the current channel program from the current command on until it ends or a
 * command stays pending in the device.
 */
static void run_program(struct subch *s)
{
	struct gstor *gs = s->css->gs;

	for (int guard = 0; guard < CCW_WALK_MAX_FETCH; guard++) {
		struct ccw_xfer x;
		struct css_status st;
		enum ccw_kind kind;
		int rc;

		if (!s->pending_cmd) {
			rc = ccw_chain_next_cmd(&s->walk, gs, &s->cmd);
			if (rc < 0) {
				s->n_program_check++;
				st = css_status_from_errno(rc, false);
				end_start(s, 0, st.cstat, 0, s->walk.scsw_ccw);
				return;
			}
			if (rc == 0) {
				/* Normal end is presented by the last command below. */
				return;
			}
			memset(&s->io, 0, sizeof(s->io));
			s->io.cmd = s->cmd.cmd;
			s->io.flags = s->cmd.flags;
			s->io.count = s->cmd.total < SUBCH_IOBUF ? s->cmd.total : SUBCH_IOBUF;
			s->io.intparm = s->intparm;
			kind = ccw_cmd_kind(s->cmd.cmd);
			if (kind == CCW_KIND_WRITE || kind == CCW_KIND_CONTROL) {
				rc = ccw_chain_write_data(&s->walk, gs, s->iobuf, s->io.count,
							  &s->xfer);
				if (rc < 0) {
					s->n_program_check++;
					st = css_status_from_errno(rc, false);
					end_start(s, 0, st.cstat, 0, s->walk.scsw_ccw);
					return;
				}
				s->io.out = s->iobuf;
				s->io.count = s->xfer.moved;
			} else {
				s->io.in = s->iobuf;
			}
			if (s->cmd.pci) {
				s->n_pci++;
				subch_pci(s);
			}
		}

		if (s->io.cmd == CCW_CMD_SENSE && s->ops->sense) {
			/* BASIC SENSE is the channel's business: present the stored sense. */
			s->ops->sense(s->dev, s->sense);
			memcpy(s->iobuf, s->sense, SENSE_SIZE);
			s->io.inlen = SENSE_SIZE;
			rc = 0;
		} else {
			rc = s->ops->exec(s->dev, &s->io);
		}
		if (rc == CSS_IO_PENDING) {
			s->pending_cmd = true;
			s->scsw.ac |= SCSW_AC_DEV_ACTIVE;
			return;
		}
		s->pending_cmd = false;
		s->scsw.ac &= (uint8_t)~SCSW_AC_DEV_ACTIVE;

		kind = ccw_cmd_kind(s->io.cmd);
		if (rc < 0) {
			s->n_unit_check++;
			st = css_status_from_errno(rc, true);
			memset(s->sense, 0, sizeof(s->sense));
			s->sense[0] = st.sense0;
			if (s->io.out)
				x = s->xfer;
			else if (ccw_chain_end_cmd(&s->walk, &x) < 0)
				memset(&x, 0, sizeof(x));
			end_start(s, st.dstat, st.cstat, x.residual, x.scsw_ccw);
			return;
		}
		if (kind == CCW_KIND_READ || kind == CCW_KIND_SENSE ||
		    kind == CCW_KIND_READ_BACKWARD) {
			uint32_t n = s->io.inlen > s->io.count ? s->io.count : s->io.inlen;

			rc = ccw_chain_read_data(&s->walk, gs, s->iobuf, n, &x);
			if (rc >= 0 && s->io.inlen > s->io.count && !(s->cmd.flags & CCW_FLAG_SLI))
				x.incorrect_length = true, x.chain = false;
		} else if (kind == CCW_KIND_WRITE || kind == CCW_KIND_CONTROL) {
			/* The data moved before exec; the walker computed the residual. */
			x = s->xfer;
			rc = 0;
		} else {
			rc = ccw_chain_end_cmd(&s->walk, &x);
		}
		if (rc < 0) {
			s->n_program_check++;
			st = css_status_from_errno(rc, false);
			end_start(s, 0, st.cstat, 0, s->walk.scsw_ccw);
			return;
		}
		{
			uint8_t dstat = s->io.unitstat ? s->io.unitstat
						       : DEV_CHANNEL_END | DEV_DEVICE_END;
			uint8_t cstat = x.incorrect_length ? CHN_INCORRECT_LEN : 0;
			bool plain_end = dstat == (DEV_CHANNEL_END | DEV_DEVICE_END) && !cstat;

			if (plain_end && x.chain && s->cmd.chain)
				continue;
			end_start(s, dstat, cstat, x.residual, x.scsw_ccw);
			return;
		}
	}
	/* Unreachable with a well-behaved walker; keep the bound explicit. */
	s->n_program_check++;
	end_start(s, 0, CHN_PROGRAM_CHECK, 0, s->walk.scsw_ccw);
}

enum css_cc subch_ssch(struct subch *s, uint32_t intparm, uint32_t cpa)
{
	int rc;

	if (!s->enabled || !s->ops)
		return CSS_CC3;
	if (s->scsw.sc & SCSW_SC_PENDING)
		return CSS_CC1;
	if (s->scsw.fc)
		return CSS_CC2;
	memset(&s->scsw, 0, sizeof(s->scsw));
	s->scsw.fc = SCSW_FC_START;
	s->scsw.ac = SCSW_AC_SCH_ACTIVE;
	s->intparm = intparm;
	s->pending_cmd = false;
	s->n_start++;
	rc = ccw_chain_begin(&s->walk, s->css->gs, cpa);
	if (rc < 0) {
		s->n_program_check++;
		end_start(s, 0, CHN_PROGRAM_CHECK, 0, cpa);
		return CSS_CC0;
	}
	run_program(s);
	return CSS_CC0;
}

enum css_cc subch_hsch(struct subch *s)
{
	if (!s->enabled || !s->ops)
		return CSS_CC3;
	if ((s->scsw.sc & SCSW_SC_PENDING) && !(s->scsw.sc & SCSW_SC_INTERMEDIATE))
		return CSS_CC1;
	if (s->scsw.fc & (SCSW_FC_HALT | SCSW_FC_CLEAR))
		return CSS_CC2;
	s->n_halt++;
	if (s->ops->halt)
		s->ops->halt(s->dev);
	s->pending_cmd = false;
	s->pci_pending = false;
	s->scsw.q = false;
	s->scsw.fc |= SCSW_FC_HALT;
	s->scsw.ac = 0;
	s->scsw.sc = SCSW_SC_PENDING | (s->scsw.fc & SCSW_FC_START ? SCSW_SC_PRIMARY : 0);
	irq_queue(s);
	return CSS_CC0;
}

enum css_cc subch_csch(struct subch *s)
{
	if (!s->enabled || !s->ops)
		return CSS_CC3;
	s->n_clear++;
	if (s->ops->clear)
		s->ops->clear(s->dev);
	irq_unqueue(s);
	memset(&s->scsw, 0, sizeof(s->scsw));
	s->pending_cmd = false;
	s->pci_pending = false;
	s->scsw.fc = SCSW_FC_CLEAR;
	s->scsw.sc = SCSW_SC_PENDING;
	irq_queue(s);
	return CSS_CC0;
}

enum css_cc subch_tsch(struct subch *s, struct scsw *out, uint32_t *intparm)
{
	if (!s->enabled)
		return CSS_CC3;
	if (!(s->scsw.sc & SCSW_SC_PENDING)) {
		memset(out, 0, sizeof(*out));
		*out = s->scsw;
		return CSS_CC1;
	}
	*out = s->scsw;
	if (intparm)
		*intparm = s->intparm;
	irq_unqueue(s);
	if (s->scsw.sc & SCSW_SC_INTERMEDIATE && !(s->scsw.sc & SCSW_SC_PRIMARY)) {
		/* Intermediate status only: the start function goes on. */
		s->scsw.sc = 0;
		s->scsw.cstat = 0;
		s->pci_pending = false;
	} else {
		memset(&s->scsw, 0, sizeof(s->scsw));
	}
	return CSS_CC0;
}

void subch_device_ready(struct subch *s)
{
	if (!s->pending_cmd || !(s->scsw.fc & SCSW_FC_START) ||
	    (s->scsw.fc & (SCSW_FC_HALT | SCSW_FC_CLEAR)))
		return;
	run_program(s);
}

void subch_pci(struct subch *s)
{
	if (!(s->scsw.fc & SCSW_FC_START) || (s->scsw.fc & (SCSW_FC_HALT | SCSW_FC_CLEAR)))
		return;
	if (s->scsw.sc & SCSW_SC_PRIMARY)
		return;
	s->pci_pending = true;
	s->scsw.cstat |= CHN_PCI;
	s->scsw.sc |= SCSW_SC_INTERMEDIATE | SCSW_SC_PENDING;
	irq_queue(s);
}

void subch_set_qdio_active(struct subch *s, bool on)
{
	s->scsw.q = on;
}
