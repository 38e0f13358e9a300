/* vnic/port.c - port accounting and the point-to-point attachment.
 * Switches (vswitch/) and the uplink attach through the same struct port. */
#include "vnic/port.h"

#include <string.h>

#include "qeth/ipa.h"

static uint64_t frames_bytes(const struct pframe *f, unsigned n)
{
	uint64_t b = 0;

	for (unsigned i = 0; i < n; i++)
		b += f[i].len;
	return b;
}

void port_count_drop(struct port *p, enum port_drop why, bool rx, unsigned n)
{
	if ((unsigned)why < PD_NR)
		p->st.drop[why] += n;
	if (rx)
		p->st.rx_discards += n;
	else
		p->st.tx_discards += n;
}

void port_tx(struct port *p, const struct pframe *f, unsigned n)
{
	if (!n)
		return;
	if (!p->ops || !p->ops->tx) {
		port_count_drop(p, PD_NOT_COUPLED, false, n);
		return;
	}
	p->st.tx_packets += n;
	p->st.tx_bytes += frames_bytes(f, n);
	p->ops->tx(p->peer, p, f, n);
}

unsigned port_deliver(struct port *p, const struct pframe *f, unsigned n)
{
	unsigned took;

	if (!n)
		return 0;
	if (!p->rx) {
		port_count_drop(p, PD_DOWN, true, n);
		return 0;
	}
	took = p->rx(p->owner, p, f, n);
	if (took > n)
		took = n;
	p->st.rx_packets += took;
	p->st.rx_bytes += frames_bytes(f, took);
	return took;
}

uint16_t port_addr(struct port *p, const struct paddr *a)
{
	if (!p->ops || !p->ops->addr)
		return IPA_RC_LAN_OFFLINE;
	return p->ops->addr(p->peer, p, a);
}

const char *port_drop_name(enum port_drop why)
{
	static const char *const names[PD_NR] = {
		[PD_NOBUF] = "no receive buffer",
		[PD_TOOBIG] = "frame too large",
		[PD_NOPORT] = "no destination",
		[PD_NOT_COUPLED] = "not coupled",
		[PD_DOWN] = "receiver down",
		[PD_BADFRAME] = "malformed frame",
		[PD_SPOOF] = "source address not owned",
		[PD_VLAN] = "VLAN not authorized",
		[PD_ISOLATION] = "isolation",
		[PD_QSTORAGE] = "queue storage",
		[PD_CAP_TX] = "bandwidth cap, sent",
		[PD_CAP_RX] = "bandwidth cap, received",
		[PD_SEGSIZE] = "large send segment size",
		[PD_NOMEM] = "out of memory",
	};

	return (unsigned)why < PD_NR ? names[why] : "?";
}

static void p2p_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct port_p2p *j = peer;
	struct port *to = from == j->a ? j->b : j->a;
	unsigned took = port_deliver(to, f, n);

	/* What the receiver could not take is its drop (counted there). */
	(void)took;
}

static uint16_t p2p_addr(void *peer, struct port *from, const struct paddr *a)
{
	(void)peer;
	(void)from;
	(void)a;
	return 0;
}

static const struct port_ops p2p_ops = { p2p_tx, p2p_addr };

void port_p2p_join(struct port_p2p *j, struct port *a, struct port *b)
{
	j->a = a;
	j->b = b;
	a->ops = b->ops = &p2p_ops;
	a->peer = b->peer = j;
}

void port_p2p_split(struct port_p2p *j)
{
	if (j->a) {
		j->a->ops = NULL;
		j->a->peer = NULL;
	}
	if (j->b) {
		j->b->ops = NULL;
		j->b->peer = NULL;
	}
	memset(j, 0, sizeof(*j));
}
