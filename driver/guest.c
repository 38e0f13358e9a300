/* driver/guest.c - the synthetic guest: storage + css + qeth interfaces + stack, wired to
 * in-process virtual NICs the way the Hercules glue wires a real guest's devices. */
#include "driver/guest.h"

#include <string.h>

#include "qeth/qhdr.h"

#define PING_ROUNDS 16

/* ---- channel glue: the NIC's callbacks land on our subchannels ------------------ */

static void chan_ready(void *ctx) { subch_device_ready(ctx); }
static void chan_pci(void *ctx) { subch_pci(ctx); }
static void chan_qdio(void *ctx, bool on) { subch_set_qdio_active(ctx, on); }

static const struct nid_chan_ops guest_chan_ops = {
	.ready = chan_ready,
	.pci = chan_pci,
	.qdio_active = chan_qdio,
};

static int if_siga(void *ctx, struct subch *data, unsigned fc, uint32_t mask)
{
	struct guest_if *i = ctx;

	(void)data;
	return nic_siga(i->nid[2], fc, mask);
}

static void if_rx(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct guest_if *i = ctx;

	if (i->drv.cfg.layer == 2)
		stack_rx_eth(&i->stk, data, len);
	else
		stack_rx_l3(&i->stk, qh, data, len);
}

static int if_tx(void *ctx, enum stk_tx_kind kind, const uint8_t *buf, uint32_t len,
		 const uint8_t nh4[4], uint8_t cast)
{
	struct guest_if *i = ctx;
	int rc;

	switch (kind) {
	case STK_TX_ETH:
		rc = qdrv_send_l2(&i->drv, buf, len);
		break;
	case STK_TX_IP4:
		rc = qdrv_send_l3_v4(&i->drv, buf, len, nh4, cast);
		break;
	case STK_TX_ETH6:
		rc = qdrv_send_l3_v6(&i->drv, buf, len, cast);
		break;
	default:
		return -EINVAL;
	}
	if (rc < 0)
		return rc;
	rc = qdrv_flush(&i->drv);
	return rc < 0 ? rc : 0;
}

/* ---- guest ---------------------------------------------------------------------- */

static uint64_t if_area_size(void)
{
	struct qdrv_cfg c;

	memset(&c, 0, sizeof(c));
	return (qdrv_area_size(&c) + QDIO_PAGE - 1) & ~(uint64_t)(QDIO_PAGE - 1);
}

uint64_t guest_mem_size(unsigned nifs)
{
	return GUEST_AREA_BASE + (uint64_t)nifs * if_area_size();
}

int guest_create(struct guest *g, uint64_t mem)
{
	int rc;

	memset(g, 0, sizeof(*g));
	rc = gs_plain_init(&g->gs, mem ? mem : guest_mem_size(1));
	if (rc < 0)
		return rc;
	css_init(&g->css, &g->gs);
	g->next_area = GUEST_AREA_BASE;
	for (unsigned k = 0; k < GUEST_MAX_IF; k++)
		g->ifs[k].g = g;
	return 0;
}

void guest_detach_nic(struct guest_if *i)
{
	if (!i || !i->used)
		return;
	if (i->drv.state != QDRV_OFFLINE)
		qdrv_offline(&i->drv);
	for (int d = 0; d < 3; d++) {
		nid_bind_channel(i->nid[d], NULL, NULL);
		subch_destroy(&i->sch[d]);
	}
	i->used = false;
}

void guest_destroy(struct guest *g)
{
	for (unsigned k = 0; k < GUEST_MAX_IF; k++)
		guest_detach_nic(&g->ifs[k]);
	gs_plain_free(&g->gs);
	memset(g, 0, sizeof(*g));
}

int guest_attach_nic(struct guest *g, struct nicbk *nic, uint16_t devno, uint8_t layer,
		     struct guest_if **out)
{
	struct guest_if *i = NULL;
	struct qdrv_cfg cfg;
	uint64_t size = if_area_size();
	int rc;

	if (layer != 2 && layer != 3)
		return -EINVAL;
	for (unsigned k = 0; k < GUEST_MAX_IF && !i; k++)
		if (!g->ifs[k].used)
			i = &g->ifs[k];
	if (!i)
		return -ENOSPC;
	if (!gs_range_ok(&g->gs, g->next_area, size))
		return -ENOSPC;
	memset(i, 0, sizeof(*i));
	i->g = g;
	i->nic = nic;
	for (int d = 0; d < 3; d++) {
		i->nid[d] = nic_find_dev(nic, (uint16_t)(devno + d));
		if (!i->nid[d])
			return -ENODEV;
	}
	for (int d = 0; d < 3; d++) {
		rc = subch_init(&i->sch[d], &g->css, i->nid[d]->schno, i->nid[d]->devno,
				nic->cfg.chpid, &nic_devops, i->nid[d]);
		if (rc < 0) {
			while (--d >= 0)
				subch_destroy(&i->sch[d]);
			return rc;
		}
		nid_bind_channel(i->nid[d], &guest_chan_ops, &i->sch[d]);
	}
	nic_attach_storage(nic, &g->gs);

	memset(&cfg, 0, sizeof(cfg));
	cfg.layer = layer;
	cfg.ipv6 = true;
	cfg.out_nelem = QDIO_SBALES;
	cfg.area_base = g->next_area;
	cfg.area_size = size;
	cfg.siga = if_siga;
	cfg.siga_ctx = i;
	cfg.rx = if_rx;
	cfg.rx_ctx = i;
	rc = qdrv_init(&i->drv, &g->css, &i->sch[0], &i->sch[1], &i->sch[2], &cfg);
	if (rc < 0)
		goto unbind;
	i->area = g->next_area;
	g->next_area += size;
	stack_init(&i->stk, layer, nic->cfg.mac, if_tx, i);
	i->used = true;
	if (out)
		*out = i;
	return 0;

unbind:
	for (int d = 0; d < 3; d++) {
		nid_bind_channel(i->nid[d], NULL, NULL);
		subch_destroy(&i->sch[d]);
	}
	return rc;
}

int guest_if_online(struct guest_if *i)
{
	int rc = qdrv_online(&i->drv);

	if (rc < 0)
		return rc;
	stack_set_mac(&i->stk, i->drv.mac);
	/* "ip link set up": the multicast registrations Linux makes. */
	if (i->drv.cfg.layer == 2) {
		static const uint8_t m4[6] = { 0x01, 0x00, 0x5E, 0x00, 0x00, 0x01 };
		static const uint8_t m6[6] = { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 };
		uint8_t sn[6] = { 0x33, 0x33, 0xFF, 0, 0, 0 };

		memcpy(sn + 3, i->stk.ll6 + 13, 3);
		if ((rc = qdrv_setgmac(&i->drv, m4)) < 0 || (rc = qdrv_setgmac(&i->drv, m6)) < 0 ||
		    (rc = qdrv_setgmac(&i->drv, sn)) < 0)
			return rc;
	} else {
		static const uint8_t g4[4] = { 224, 0, 0, 1 };
		static const uint8_t g6[16] = { 0xFF, 0x02, [15] = 1 };

		if ((rc = qdrv_setipm(&i->drv, false, g4)) < 0)
			return rc;
		if (i->drv.ipa4_supported & IPA_IPV6) {
			rc = qdrv_setipm(&i->drv, true, g6);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

void guest_if_offline(struct guest_if *i)
{
	qdrv_offline(&i->drv);
}

int guest_if_add_ip4(struct guest_if *i, const uint8_t addr[4], unsigned prefix)
{
	int rc;

	if (prefix > 32)
		return -EINVAL;
	if (i->drv.cfg.layer == 3) {
		rc = qdrv_setip(&i->drv, false, addr, prefix);
		if (rc < 0)
			return rc;
		if (rc != 0 && rc != IPA_RC_DUPLICATE_IP_ADDRESS && rc != IPA_RC_LAN_OFFLINE)
			return -EADDRNOTAVAIL;
	}
	stack_set_ip4(&i->stk, addr, prefix);
	return 0;
}

int guest_if_add_ip6(struct guest_if *i, const uint8_t addr[16])
{
	int rc;

	if (i->drv.cfg.layer == 3) {
		rc = qdrv_setip(&i->drv, true, addr, 64);
		if (rc < 0)
			return rc;
		if (rc != 0 && rc != IPA_RC_DUPLICATE_IP_ADDRESS && rc != IPA_RC_LAN_OFFLINE)
			return -EADDRNOTAVAIL;
	} else {
		uint8_t sn[6] = { 0x33, 0x33, 0xFF, addr[13], addr[14], addr[15] };

		rc = qdrv_setgmac(&i->drv, sn);
		if (rc < 0)
			return rc;
	}
	stack_set_ip6(&i->stk, addr);
	return 0;
}

int guest_poll(struct guest *g)
{
	struct subch *s;
	int n = 0;

	/* Drain the interruption queue, then let every interface scan its queues. */
	for (unsigned guard = 0; guard < 1024 && (s = css_next_irq(&g->css)); guard++)
		for (unsigned k = 0; k < GUEST_MAX_IF; k++)
			if (g->ifs[k].used && qdrv_irq(&g->ifs[k].drv, s))
				break;
	for (unsigned k = 0; k < GUEST_MAX_IF; k++)
		if (g->ifs[k].used)
			n += qdrv_poll(&g->ifs[k].drv);
	return n;
}

static void pump_all(struct guest *g, guest_pump_fn pump, void *ctx)
{
	guest_poll(g);
	if (pump)
		pump(ctx);
	guest_poll(g);
}

static int ping(struct guest_if *i, bool v6, const uint8_t *dst, unsigned count, uint32_t plen,
		guest_pump_fn pump, void *ctx)
{
	struct stack *s = &i->stk;
	unsigned got = 0;

	for (unsigned n = 0; n < count; n++) {
		uint64_t before = v6 ? s->st.echo6_rep_rx : s->st.echo_rep_rx;
		int rc = -EAGAIN;

		for (unsigned t = 0; t < PING_ROUNDS && rc == -EAGAIN; t++) {
			rc = v6 ? stack_ping6(s, dst, (uint16_t)n, plen)
				: stack_ping4(s, dst, (uint16_t)n, plen);
			if (rc == -EAGAIN)
				pump_all(i->g, pump, ctx);
		}
		if (rc < 0)
			continue;
		for (unsigned t = 0; t < PING_ROUNDS; t++) {
			pump_all(i->g, pump, ctx);
			if ((v6 ? s->st.echo6_rep_rx : s->st.echo_rep_rx) > before)
				break;
		}
		if ((v6 ? s->st.echo6_rep_rx : s->st.echo_rep_rx) > before)
			got++;
	}
	return (int)got;
}

int guest_ping4(struct guest_if *i, const uint8_t dst[4], unsigned count, uint32_t plen,
		guest_pump_fn pump, void *pump_ctx)
{
	return ping(i, false, dst, count, plen, pump, pump_ctx);
}

int guest_ping6(struct guest_if *i, const uint8_t dst[16], unsigned count, uint32_t plen,
		guest_pump_fn pump, void *pump_ctx)
{
	return ping(i, true, dst, count, plen, pump, pump_ctx);
}
