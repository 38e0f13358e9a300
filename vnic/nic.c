/* vnic/nic.c - NICBK/NIDBK lifecycle and the per-device command dispatch: what each
 * channel command means for a device of a virtual OSA-Express NIC in its current role. */
#include "vnic/nic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "css/ccw.h"
#include "css/rcd.h"
#include "css/senseid.h"
#include "vnic/nic_int.h"

const char *nic_state_name(enum nic_conn_state s)
{
	static const char *const names[] = {
		[NC_IDLE] = "idle", [NC_IDX_READ] = "idx-read", [NC_IDX_BOTH] = "idx",
		[NC_CM_ENABLED] = "cm-enabled", [NC_CM_SETUP] = "cm-setup",
		[NC_ULP_ENABLED] = "ulp-enabled", [NC_ULP_SETUP] = "ulp-setup",
		[NC_DM_ACT] = "online",
	};

	return (unsigned)s < CPNET_ARRAY_SIZE(names) ? names[s] : "?";
}

int nic_create(struct nicbk *nic, const struct nic_cfg *cfg)
{
	memset(nic, 0, sizeof(*nic));
	if (cfg->ndev < 3 || cfg->ndev > NIC_MAX_DEVS)
		return -EINVAL;
	if ((uint32_t)cfg->base_devno + cfg->ndev - 1 > 0xFFFF)
		return -EINVAL;
	nic->cfg = *cfg;
	nic->cfg.owner[sizeof(nic->cfg.owner) - 1] = 0;
	if (!nic->cfg.max_mtu)
		nic->cfg.max_mtu = PORT_MAX_MTU;
	if (!nic->cfg.link_type)
		nic->cfg.link_type = 0x03;	/* GbE */
	nic->dev = calloc(cfg->ndev, sizeof(*nic->dev));
	if (!nic->dev)
		goto fail;
	nic->ndev = cfg->ndev;
	for (unsigned i = 0; i < nic->ndev; i++) {
		nic->dev[i].nic = nic;
		nic->dev[i].index = i;
		nic->dev[i].devno = (uint16_t)(cfg->base_devno + i);
		nic->dev[i].schno = (uint16_t)(cfg->base_schno + i);
	}
	memcpy(nic->cur_mac, cfg->mac, 6);
	nic->link_up = true;
	nic->port.rx = nic_port_rx;
	nic->port.owner = nic;
	pcim_init(&nic->pcim);
	return 0;

fail:
	memset(nic, 0, sizeof(*nic));
	return -ENOMEM;
}

void nic_destroy(struct nicbk *nic)
{
	if (!nic->dev)
		return;
	nic_reset(nic);
	free(nic->txb);
	free(nic->inq);
	free(nic->msgbuf);
	free(nic->ofl_buf);
	free(nic->dev);
	memset(nic, 0, sizeof(*nic));
}

void nic_attach_storage(struct nicbk *nic, struct gstor *gs)
{
	nic->gs = gs;
}

void nid_bind_channel(struct nidbk *d, const struct nid_chan_ops *ops, void *ctx)
{
	d->chan = ops;
	d->chan_ctx = ctx;
}

struct nidbk *nic_find_dev(struct nicbk *nic, uint16_t devno)
{
	if (devno < nic->cfg.base_devno || devno - nic->cfg.base_devno >= (int)nic->ndev)
		return NULL;
	return &nic->dev[devno - nic->cfg.base_devno];
}

void nic_reset(struct nicbk *nic)
{
	nic_qdio_stop(nic);
	nic_conn_reset(nic);
}

void nic_set_link(struct nicbk *nic, bool up)
{
	if (nic->link_up == up)
		return;
	nic->link_up = up;
	/* Isolation the guest asked for holds on every LAN the NIC is coupled to. */
	if (up && nic->adp_isolation) {
		struct paddr a = { .op = PA_ISOLATION, .value = nic->adp_isolation };

		port_addr(&nic->port, &a);
	}
	/* Only an online connection hears about it; an unsolicited STARTLAN makes
	 * Linux recover the whole connection, so it follows a STOPLAN only. */
	if (nic->state == NC_DM_ACT && nic->lan_started)
		nic_ipa_unsolicited(nic, up ? 0x01 : 0x02);
}

/* Copy device data into the channel's buffer for a read-type command. */
static void give(struct css_io *io, const uint8_t *data, uint32_t len)
{
	uint32_t n = len < io->count ? len : io->count;

	memcpy(io->in, data, n);
	/* inlen > count tells the channel the device had more (incorrect length). */
	io->inlen = len;
}

static int do_sense_id(struct nidbk *d, struct css_io *io)
{
	struct senseid id;
	uint8_t buf[8 + 4 * SENSEID_MAX_CIW];
	int n;

	if (d->nic->cfg.type == NIC_HIPERS)
		senseid_iqd(&id);
	else
		senseid_osd(&id);
	n = senseid_encode(&id, buf, sizeof(buf));
	if (n < 0)
		return n;
	give(io, buf, (uint32_t)n);
	return 0;
}

static int do_rcd(struct nidbk *d, struct css_io *io)
{
	struct rcd_nic r;
	uint8_t buf[RCD_SIZE];
	int n;

	rcd_nic_default(&r, d->nic->cfg.type == NIC_HIPERS, d->nic->cfg.chpid, d->devno);
	r.vm_nic = d->nic->cfg.vm_nic;
	r.unit_addr = (uint8_t)d->devno;
	n = rcd_encode_nic(&r, buf, sizeof(buf));
	if (n < 0)
		return n;
	give(io, buf, (uint32_t)n);
	return 0;
}

static int do_read(struct nidbk *d, struct css_io *io)
{
	struct nicbk *nic = d->nic;
	int n;

	if (d->idx_reply_len) {
		give(io, d->idx_reply, d->idx_reply_len);
		d->idx_reply_len = 0;
		return 0;
	}
	if (d->role != NID_READ)
		return -EPROTO;
	n = nic_pop_msg(nic, io->in, io->count);
	if (n == -EAGAIN) {
		d->read_waiting = true;
		return CSS_IO_PENDING;
	}
	if (n < 0)
		return n;
	d->read_waiting = false;
	io->inlen = (uint32_t)n;
	return 0;
}

static int do_write(struct nidbk *d, struct css_io *io)
{
	/* IDX ACTIVATE is the first thing on a control device; afterwards only the
	 * write device takes control messages. */
	if (io->count >= 4 && io->out[0] == 0 && io->out[1] == 0 && io->out[2] == 0x80 &&
	    io->out[3] == 0x00)
		return nic_ctl_idx(d, io->out, io->count);
	if (d->role != NID_WRITE)
		return -EPROTO;
	return nic_ctl_write(d, io->out, io->count);
}

static int nic_exec(void *dev, struct css_io *io)
{
	struct nidbk *d = dev;
	struct nicbk *nic = d->nic;
	int rc;

	d->n_ccws++;
	switch (io->cmd) {
	case CCW_CMD_SENSE_ID:
		rc = do_sense_id(d, io);
		break;
	case CCW_CMD_NOP:
		rc = 0;
		break;
	case SENSEID_CMD_RCD:
		rc = (d->role == NID_UNASSIGNED || d->role == NID_DATA) ? do_rcd(d, io) : -EPROTO;
		break;
	case CCW_CMD_WRITE:
		rc = do_write(d, io);
		break;
	case CCW_CMD_READ:
		rc = do_read(d, io);
		break;
	case SENSEID_CMD_EQUEUE:
		rc = nic_qdio_establish(d, io->out, io->count);
		break;
	case SENSEID_CMD_AQUEUE:
		rc = nic_qdio_activate(d);
		break;
	default:
		rc = -EOPNOTSUPP;
		break;
	}
	if (rc < 0) {
		d->n_rejects++;
		nic->st.control_rejects++;
	}
	return rc;
}

/* Halt and clear end what the device was doing.  On a control device that means the
 * connection: Linux halts and clears all three devices to go offline or recover, and
 * starts again with IDX. */
static void nic_halt(void *dev)
{
	struct nidbk *d = dev;
	struct nicbk *nic = d->nic;

	d->read_waiting = false;
	d->idx_reply_len = 0;
	if (d->role == NID_DATA) {
		nic_qdio_stop(nic);
		d->role = NID_UNASSIGNED;
		nic->ddev = NULL;
	} else if (d->role == NID_READ || d->role == NID_WRITE) {
		nic_conn_reset(nic);
	}
}

static void nic_sense(void *dev, uint8_t *sense)
{
	(void)dev;
	(void)sense;
	/* The channel keeps the sense of the last unit check; nothing device-specific. */
}

const struct css_devops nic_devops = {
	.exec = nic_exec,
	.halt = nic_halt,
	.clear = nic_halt,
	.sense = nic_sense,
};

int nic_siga(struct nidbk *d, unsigned fc, uint32_t mask)
{
	return nic_qdio_siga(d, fc, mask);
}
