/* driver/cpnet_guest_main.c - the `cpnet-guest` program: synthetic guests driving virtual
 * NICs through the real qeth protocol: an in-process selftest, or a VM logged on to cpnetd. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cp/parse.h"
#include "driver/guest.h"
#include "driver/guest_opts.h"
#include "lib/be.h"
#include "vnic/vmlink.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: cpnet-guest selftest [--layer2|--layer3] [--count N] [--verbose|-v]\n"
		   "       cpnet-guest connect --socket PATH --user U --password P [OPTION]...\n"
		   "       cpnet-guest --help\n"
		   "  selftest  two in-process guests on two NICs joined point to point:\n"
		   "            bring both online (layer 2 unless --layer3), then ping --count\n"
		   "            times, 1-100000 (default 4): IPv4, and IPv6 in layer 2;\n"
		   "            --verbose shows each guest's IPA exchanges\n"
		   "  connect   a virtual machine in this process: LOGON to cpnetd's VM socket;\n"
		   "            each NIC CP defines is created here, brought online (layer 2 on\n"
		   "            an ETHERNET LAN, 3 on an IP one, --layer when not coupled) and\n"
		   "            given the next --ip; then ping each --ping address and answer\n"
		   "            pings for --stay seconds.  Its options:\n");
	copts_usage(f);
}

static void pump(void *ctx)
{
	guest_poll(ctx);
}

static void dump_ipa(const struct qdrv *q, const char *who)
{
	unsigned n = q->n_ipa < QDRV_IPA_LOG ? q->n_ipa : QDRV_IPA_LOG;

	for (unsigned k = 0; k < n; k++) {
		const struct qdrv_ipa_rec *r = &q->ipa_log[(q->n_ipa - n + k) % QDRV_IPA_LOG];

		printf("  %s IPA %-16s prot %u sub 0x%08x rc 0x%04x sub_rc 0x%04x%s\n", who,
		       ipa_cmd_name(r->cmd), r->prot, r->sub, r->rc, r->sub_rc,
		       r->err ? " (no reply)" : "");
	}
}

static int selftest(uint8_t layer, unsigned count, bool verbose)
{
	static const uint8_t ip[2][4] = { { 10, 1, 0, 1 }, { 10, 1, 0, 2 } };
	static const uint8_t ip6[2][16] = { { 0xFD, 0, [15] = 1 }, { 0xFD, 0, [15] = 2 } };
	struct nicbk *nic = calloc(2, sizeof(*nic));
	struct guest *g = calloc(2, sizeof(*g));
	struct guest_if *gi[2];
	struct port_p2p j;
	int rc = 1, n;

	if (!nic || !g) {
		fprintf(stderr, "cpnet-guest: out of memory\n");
		goto out;
	}
	for (int k = 0; k < 2; k++) {
		struct nic_cfg c;

		memset(&c, 0, sizeof(c));
		c.base_devno = 0x0A00;
		c.ndev = 3;
		c.base_schno = 0x10;
		c.chpid = 0x0A;
		c.mac[0] = 0x02;
		c.mac[5] = (uint8_t)(0x10 + k);
		c.vm_nic = true;
		snprintf(c.owner, sizeof(c.owner), "GUEST%d", k + 1);
		if (nic_create(&nic[k], &c) < 0 || guest_create(&g[k], 0) < 0 ||
		    guest_attach_nic(&g[k], &nic[k], 0x0A00, layer, &gi[k]) < 0) {
			fprintf(stderr, "cpnet-guest: cannot set up guest %d\n", k + 1);
			goto out;
		}
	}
	port_p2p_join(&j, &nic[0].port, &nic[1].port);
	for (int k = 0; k < 2; k++) {
		int e = guest_if_online(gi[k]);

		if (verbose)
			dump_ipa(&gi[k]->drv, k ? "B" : "A");
		if (e < 0) {
			fprintf(stderr, "cpnet-guest: guest %d online failed: %s (%s)\n", k + 1,
				gi[k]->drv.last_error, cpnet_strerror(e));
			goto split;
		}
		if (guest_if_add_ip4(gi[k], ip[k], 24) < 0 ||
		    (layer == 2 && guest_if_add_ip6(gi[k], ip6[k]) < 0)) {
			fprintf(stderr, "cpnet-guest: guest %d address failed: %s\n", k + 1,
				gi[k]->drv.last_error);
			goto split;
		}
		printf("guest %d online: layer %u, MAC %02x:%02x:%02x:%02x:%02x:%02x, 10.1.0.%d/24\n",
		       k + 1, layer, gi[k]->drv.mac[0], gi[k]->drv.mac[1], gi[k]->drv.mac[2],
		       gi[k]->drv.mac[3], gi[k]->drv.mac[4], gi[k]->drv.mac[5], k + 1);
	}
	rc = 0;
	n = guest_ping4(gi[0], ip[1], count, 56, pump, &g[1]);
	printf("ping 10.1.0.2: %u sent, %d received\n", count, n);
	if (n != (int)count)
		rc = 1;
	if (layer == 2) {
		n = guest_ping6(gi[0], ip6[1], count, 56, pump, &g[1]);
		printf("ping fd00::2: %u sent, %d received\n", count, n);
		if (n != (int)count)
			rc = 1;
	}
	printf("selftest %s\n", rc ? "FAILED" : "passed");
split:
	port_p2p_split(&j);
out:
	for (int k = 0; g && nic && k < 2; k++) {
		guest_destroy(&g[k]);
		nic_destroy(&nic[k]);
	}
	free(g);
	free(nic);
	return rc;
}

/* ---- connect: a virtual machine whose CP is cpnetd ---------------------------------- */

#define CONN_PUMP_MS 25			/* one ping wait round (guest.c waits 16) */
#define CONN_MULTI_MS 300		/* late answers to a broadcast / group ping */
#define CONN_SETTLE_MS 300		/* NIC definitions follow the LOGON reply at once */
#define CONN_SETUP_MS 10000

/* One NIC CP defined for us: the NICBK lives here, on our guest's storage. */
struct rnic {
	bool used;
	struct vml_nicdef def;
	struct nicbk nic;
	struct guest_if *gif;
	bool link_up;
	bool link_applied;		/* nic_set_link matches link_up */
	bool attached;
	bool detach;			/* VML_NIC_DETACH came: release in the main loop */
	bool failed;
	bool went_down;			/* CP said link down since service() last looked */
	bool lan_lost;			/* uncoupled while online: recover at STARTLAN */
	int ip;				/* index into opts.ips, -1 = none */
	int ip6;			/* index into opts.ip6s, -1 = none */
};

struct conn {
	struct copts *opt;
	struct vmlink link;
	struct guest g;
	struct rnic nics[GUEST_MAX_IF];
	unsigned next_ip, next_ip6;
	uint16_t next_schno;
	bool gone;			/* CP logged us off or the link closed */
	bool changed;			/* something for service() to do */
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct rnic *rnic_find(struct conn *c, uint16_t vdev)
{
	for (unsigned k = 0; k < GUEST_MAX_IF; k++)
		if (c->nics[k].used && c->nics[k].def.vdev == vdev)
			return &c->nics[k];
	return NULL;
}

/*
 * The link callbacks can run nested inside a registration's wait for CP's answer
 * (vmlink handles other messages meanwhile), so they only create the NICBK and put it
 * on the link; attaching, online, detaching happen in service(), outside any IPA.
 */
static void cb_nicdef(void *ctx, const struct vml_nicdef *d)
{
	struct conn *c = ctx;
	struct rnic *r = NULL;
	struct nic_cfg cfg;
	int rc;

	if (rnic_find(c, d->vdev)) {
		fprintf(stderr, "cpnet-guest: NIC %04X defined twice; ignored\n", d->vdev);
		return;
	}
	for (unsigned k = 0; k < GUEST_MAX_IF && !r; k++)
		if (!c->nics[k].used)
			r = &c->nics[k];
	if (!r) {
		fprintf(stderr, "cpnet-guest: NIC %04X: no room (at most %d NICs)\n", d->vdev,
			GUEST_MAX_IF);
		return;
	}
	memset(r, 0, sizeof(*r));
	memset(&cfg, 0, sizeof(cfg));
	cfg.base_devno = d->vdev;
	cfg.ndev = d->ndev;
	cfg.base_schno = c->next_schno;
	cfg.chpid = d->chpid;
	cfg.type = d->type == NIC_HIPERS ? NIC_HIPERS : NIC_QDIO;
	memcpy(cfg.mac, d->mac, 6);
	cfg.vm_nic = true;
	snprintf(cfg.owner, sizeof(cfg.owner), "%s", c->opt->user);
	rc = nic_create(&r->nic, &cfg);
	if (rc < 0) {
		fprintf(stderr, "cpnet-guest: NIC %04X: %s\n", d->vdev, cpnet_strerror(rc));
		return;
	}
	nic_set_link(&r->nic, false);	/* until CP says the NIC is coupled */
	if (!vml_add_nic(&c->link, d->vdev, &r->nic.port)) {
		fprintf(stderr, "cpnet-guest: NIC %04X: link full\n", d->vdev);
		nic_destroy(&r->nic);
		return;
	}
	snprintf(r->nic.port.name, sizeof(r->nic.port.name), "%.8s.%04X", c->opt->user, d->vdev);
	r->def = *d;
	r->used = true;
	r->ip = c->next_ip < c->opt->nips ? (int)c->next_ip++ : -1;
	r->ip6 = c->next_ip6 < c->opt->nip6s ? (int)c->next_ip6++ : -1;
	c->next_schno = (uint16_t)(c->next_schno + d->ndev);
	c->changed = true;
	printf("NIC %04X defined: devices %04X-%04X, LAN %s %s\n", d->vdev, d->vdev,
		       d->vdev + d->ndev - 1, d->owner[0] ? d->owner : "*", d->lan[0] ? d->lan : "none");
}

static void cb_detach(void *ctx, uint16_t vdev)
{
	struct conn *c = ctx;
	struct rnic *r = rnic_find(c, vdev);

	if (r) {
		r->detach = true;
		c->changed = true;
	}
}

static void cb_link(void *ctx, uint16_t vdev, bool up)
{
	struct conn *c = ctx;
	struct rnic *r = rnic_find(c, vdev);

	if (r) {
		r->link_up = up;
		r->went_down = r->went_down || !up;
		r->link_applied = false;
		c->changed = true;
	}
}

static void rnic_release(struct conn *c, struct rnic *r)
{
	guest_detach_nic(r->gif);
	vml_del_nic(&c->link, r->def.vdev);
	nic_destroy(&r->nic);
	memset(r, 0, sizeof(*r));
}

/*
 * "ip -6 addr add": in layer 2 the solicited-node group MAC comes with the address
 * (guest_if_add_ip6).  In layer 3 Linux also registers its link-local address (the
 * neighbour solicitation goes out from it, the advertisement comes back to it) and
 * joins the address's solicited-node group, so that another guest's NS reaches it.
 */
static int rnic_add_ip6(struct rnic *r, const uint8_t a[16])
{
	uint8_t sn[16] = { 0xFF, 0x02, [11] = 1, [12] = 0xFF };
	int rc;

	if (r->gif->drv.cfg.layer == 3) {
		if (!(r->gif->drv.ipa4_supported & IPA_IPV6))
			return -EOPNOTSUPP;
		rc = qdrv_setip(&r->gif->drv, true, r->gif->stk.ll6, 64);
		if (rc < 0)
			return rc;
		if (rc != 0 && rc != IPA_RC_DUPLICATE_IP_ADDRESS)
			return -EADDRNOTAVAIL;
		memcpy(sn + 13, a + 13, 3);
		rc = qdrv_setipm(&r->gif->drv, true, sn);
		if (rc < 0)
			return rc;
	}
	return guest_if_add_ip6(r->gif, a);
}

/* "ip maddr add": the adapter registration (group MAC or group IP), then the stack. */
static int rnic_join(struct rnic *r, const uint8_t g[4])
{
	uint8_t mac[6];
	int rc;

	if (r->gif->drv.cfg.layer == 2) {
		stack_mcast_mac4(g, mac);
		rc = qdrv_setgmac(&r->gif->drv, mac);
	} else {
		rc = qdrv_setipm(&r->gif->drv, false, g);
	}
	if (rc < 0)
		return rc;
	return stack_join4(&r->gif->stk, g);
}

/* Bring a coupled NIC online: attach the guest interface, online, its address. */
static void rnic_up(struct conn *c, struct rnic *r);

static void rnic_setup(struct conn *c, struct rnic *r)
{
	uint8_t layer = r->def.transport == 2 ? 2 : r->def.transport == 1 ? 3 : c->opt->layer;
	int rc;

	r->attached = true;
	rc = guest_attach_nic(&c->g, &r->nic, r->def.vdev, layer, &r->gif);
	if (rc < 0) {
		r->gif = NULL;
		r->failed = true;
		fprintf(stderr, "cpnet-guest: NIC %04X: attach: %s\n", r->def.vdev, cpnet_strerror(rc));
		return;
	}
	rnic_up(c, r);
}

/* online, addresses, groups: at setup and again in a recovery. */
static void rnic_up(struct conn *c, struct rnic *r)
{
	uint8_t layer = r->gif->drv.cfg.layer;
	const uint8_t *m;
	int rc;

	rc = guest_if_online(r->gif);
	if (rc < 0) {
		r->failed = true;
		fprintf(stderr, "cpnet-guest: NIC %04X: online failed: %s (%s)\n", r->def.vdev,
			r->gif->drv.last_error, cpnet_strerror(rc));
		if (c->opt->verbose)
			dump_ipa(&r->gif->drv, "NIC");
		return;
	}
	if (r->ip >= 0) {
		rc = guest_if_add_ip4(r->gif, c->opt->ips[r->ip], c->opt->prefix[r->ip]);
		if (rc < 0) {
			r->failed = true;
			fprintf(stderr, "cpnet-guest: NIC %04X: address: %s\n", r->def.vdev,
				cpnet_strerror(rc));
			return;
		}
	}
	if (r->ip6 >= 0) {
		rc = rnic_add_ip6(r, c->opt->ip6s[r->ip6]);
		if (rc < 0) {
			r->failed = true;
			fprintf(stderr, "cpnet-guest: NIC %04X: IPv6 address: %s (%s)\n", r->def.vdev,
				r->gif->drv.last_error, cpnet_strerror(rc));
			return;
		}
	}
	for (unsigned k = 0; k < c->opt->njoins; k++) {
		if (c->opt->join_via[k] && c->opt->join_via[k] != r->def.vdev)
			continue;
		rc = rnic_join(r, c->opt->joins[k]);
		if (rc < 0) {
			r->failed = true;
			fprintf(stderr, "cpnet-guest: NIC %04X: join: %s\n", r->def.vdev,
				cpnet_strerror(rc));
			return;
		}
	}
	m = r->gif->drv.mac;
	printf("NIC %04X online: layer %u, MAC %02X-%02X-%02X-%02X-%02X-%02X", r->def.vdev, layer,
	       m[0], m[1], m[2], m[3], m[4], m[5]);
	if (r->def.lan[0])
		printf(", %s %s %s", r->def.transport == 2 ? "ETHERNET" : "IP", r->def.owner,
		       r->def.lan);
	else
		printf(", coupled by COUPLE");
	if (r->ip >= 0)
		printf(", %u.%u.%u.%u/%u", c->opt->ips[r->ip][0], c->opt->ips[r->ip][1],
		       c->opt->ips[r->ip][2], c->opt->ips[r->ip][3], c->opt->prefix[r->ip]);
	if (r->ip6 >= 0) {
		char t[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, c->opt->ip6s[r->ip6], t, sizeof(t));
		printf(", %s/64", t);
	}
	printf("\n");
	for (unsigned k = 0; k < r->gif->stk.ngroups4; k++) {
		const uint8_t *g = r->gif->stk.groups4[k];

		printf("NIC %04X joined %u.%u.%u.%u\n", r->def.vdev, g[0], g[1], g[2], g[3]);
	}
	fflush(stdout);
}

/* What the callbacks asked for. */
static void service(struct conn *c)
{
	while (c->changed) {
		c->changed = false;
		for (unsigned k = 0; k < GUEST_MAX_IF; k++) {
			struct rnic *r = &c->nics[k];

			if (!r->used)
				continue;
			if (r->detach) {
				printf("NIC %04X detached by CP\n", r->def.vdev);
				rnic_release(c, r);
				continue;
			}
			if (!r->link_applied) {
				r->link_applied = true;
				/* UNCOUPLE + COUPLE between two looks: STOPLAN, then STARTLAN. */
				if (r->went_down && r->link_up)
					nic_set_link(&r->nic, false);
				nic_set_link(&r->nic, r->link_up);
				if (r->went_down && r->gif && !r->failed)
					r->lan_lost = true;
				r->went_down = false;
			}
			if (r->link_up && !r->attached)
				rnic_setup(c, r);	/* may run callbacks: loop again */
		}
	}
}

/*
 * The adapter's unsolicited STOPLAN (UNCOUPLE) and STARTLAN (COUPLE again): like
 * Linux, the STARTLAN after a lost LAN makes the driver recover the connection
 * (offline, online, every address and group registered again), since the LAN
 * forgot the port's registrations when it was uncoupled.
 */
static void watch_links(struct conn *c)
{
	for (unsigned k = 0; k < GUEST_MAX_IF; k++) {
		struct rnic *r = &c->nics[k];

		if (!r->used || !r->gif || r->failed || r->gif->drv.state != QDRV_ONLINE)
			continue;
		if (!r->gif->drv.link_up) {
			r->lan_lost = true;
		} else if (r->lan_lost && r->link_up) {
			r->lan_lost = false;
			printf("NIC %04X LAN restored: recovery\n", r->def.vdev);
			guest_if_offline(r->gif);
			rnic_up(c, r);
		}
	}
}

/* Handle what CP sent, waiting at most wait_ms for the first message. */
static void pump_link(struct conn *c, int wait_ms)
{
	int r = vml_poll(&c->link, wait_ms);

	/* Bounded: the guest must get to its input buffers before they all fill. */
	for (unsigned n = 0; n < 8 && (r > 0 || (r < 0 && r != -EPIPE)); n++)
		r = vml_poll(&c->link, 0);
	if (r == -EPIPE)
		c->gone = true;
}

/*
 * One wait round of a ping (guest_ping4/6 wait a bounded number of rounds): a round
 * lasts CONN_PUMP_MS even when other guests' traffic keeps arriving, so the bound is
 * in time and a busy LAN does not cut the wait for an ARP or echo reply short.
 */
static void pump_ping(void *ctx)
{
	struct conn *c = ctx;
	long until = now_ms() + CONN_PUMP_MS, left;

	do {
		left = until - now_ms();
		pump_link(c, left > 0 ? (int)left : 0);
		guest_poll(&c->g);
	} while (now_ms() < until && !c->gone);
}

static struct rnic *route_via(struct conn *c, uint16_t vdev)
{
	struct rnic *r = rnic_find(c, vdev);

	return r && r->gif && !r->failed ? r : NULL;
}

static bool any_online(struct conn *c)
{
	for (unsigned k = 0; k < GUEST_MAX_IF; k++)
		if (c->nics[k].used && c->nics[k].gif && !c->nics[k].failed)
			return true;
	return false;
}

/* The NIC whose /64 holds dst (otherwise the first NIC with IPv6). */
static struct rnic *route6(struct conn *c, const uint8_t dst[16])
{
	struct rnic *first = NULL;

	for (unsigned k = 0; k < GUEST_MAX_IF; k++) {
		struct rnic *r = &c->nics[k];

		if (!r->used || !r->gif || r->failed || r->ip6 < 0)
			continue;
		if (!first)
			first = r;
		if (!memcmp(c->opt->ip6s[r->ip6], dst, 8))
			return r;
	}
	return first;
}

static struct rnic *route(struct conn *c, const uint8_t dst[4])
{
	uint32_t d = (uint32_t)dst[0] << 24 | (uint32_t)dst[1] << 16 | (uint32_t)dst[2] << 8 | dst[3];
	struct rnic *first = NULL;

	for (unsigned k = 0; k < GUEST_MAX_IF; k++) {
		struct rnic *r = &c->nics[k];
		uint32_t mine, mask;
		const uint8_t *a;

		if (!r->used || !r->gif || r->failed)
			continue;
		if (!first)
			first = r;
		if (r->ip < 0)
			continue;
		a = c->opt->ips[r->ip];
		mine = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		mask = c->opt->prefix[r->ip] ? ~0u << (32 - c->opt->prefix[r->ip]) : 0;
		if ((d & mask) == (mine & mask))
			return r;
	}
	return first;
}

static bool ip4_multi(const struct conn *c, const struct rnic *r, const uint8_t a[4])
{
	uint32_t d = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	unsigned p;

	if ((a[0] & 0xF0) == 0xE0 || d == 0xFFFFFFFFu)
		return true;
	if (r->ip < 0 || (p = c->opt->prefix[r->ip]) >= 31 || p == 0)
		return false;
	return (d & ~(~0u << (32 - p))) == ~(~0u << (32 - p));	/* host part all ones */
}

static int cmp4(const void *a, const void *b)
{
	return memcmp(a, b, 4);
}

/* Ping every --ping / --ping6 target once; false when one was not answered. */
static bool do_pings(struct conn *c)
{
	const struct copts *opt = c->opt;
	bool ok = true;

	for (unsigned p = 0; p < opt->npings && !c->gone; p++) {
		const struct cping *cp = &opt->pings[p];
		struct rnic *rn = cp->via ? route_via(c, cp->via) : cp->v6 ? route6(c, cp->a)
								 : route(c, cp->a);
		char t[INET6_ADDRSTRLEN];
		bool multi;
		int got;

		inet_ntop(cp->v6 ? AF_INET6 : AF_INET, cp->a, t, sizeof(t));
		if (!rn) {
			/* Say which: the NIC named does not exist or is not up, no NIC has
			 * the address family, or none is up at all. */
			if (cp->via && !rnic_find(c, cp->via))
				fprintf(stderr, "cpnet-guest: ping %s%%%04X: the user has no NIC "
					"%04X\n", t, cp->via, cp->via);
			else if (cp->via)
				fprintf(stderr, "cpnet-guest: ping %s%%%04X: NIC %04X is not online\n",
					t, cp->via, cp->via);
			else if (cp->v6 && any_online(c))
				fprintf(stderr, "cpnet-guest: ping %s: no NIC online has an IPv6 "
					"address (--ip6)\n", t);
			else
				fprintf(stderr, "cpnet-guest: ping %s: no interface online\n", t);
			ok = false;
			continue;
		}
		multi = !cp->v6 && ip4_multi(c, rn, cp->a);
		rn->gif->stk.nrepl4 = 0;
		if (cp->v6)
			got = guest_ping6(rn->gif, cp->a, opt->count, 56, pump_ping, c);
		else
			got = guest_ping4(rn->gif, cp->a, opt->count, 56, pump_ping, c);
		printf("ping %s from NIC %04X: %u sent, %d received\n", t, rn->def.vdev, opt->count,
		       got);
		if (multi) {
			/* Every answerer, sorted: what a broadcast or group ping reached. */
			struct stack *st = &rn->gif->stk;
			long until = now_ms() + CONN_MULTI_MS;

			while (now_ms() < until && !c->gone)
				pump_ping(c);
			qsort(st->repl4, st->nrepl4, 4, cmp4);
			printf("ping %s answered by", t);
			for (unsigned k = 0; k < st->nrepl4; k++)
				printf(" %u.%u.%u.%u", st->repl4[k][0], st->repl4[k][1], st->repl4[k][2],
				       st->repl4[k][3]);
			printf("%s\n", st->nrepl4 ? "" : " nobody");
		}
		fflush(stdout);
		if (got != (int)opt->count)
			ok = false;
	}
	return ok;
}

/* The Ethernet + IPv4 + UDP (discard port) frame of --flood, len bytes. */
static void flood_frame(const struct stack *st, const uint8_t dmac[6], const uint8_t dst[4],
			uint8_t *f, unsigned len)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	unsigned iplen = len - 14;

	memset(f, 0, len);
	memcpy(f, dmac, 6);
	memcpy(f + 6, st->mac, 6);
	be_put16(f + 12, ETH_P_IPV4);
	ip[0] = 0x45;
	be_put16(ip + 2, (uint16_t)iplen);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, st->ip4, 4);
	memcpy(ip + 16, dst, 4);
	be_put16(ip + 10, (uint16_t)~stack_csum(ip, 20, 0));
	be_put16(udp, 9);
	be_put16(udp + 2, 9);
	be_put16(udp + 4, (uint16_t)(iplen - 20));
}

/* --rate: how many frames are due by now (at most `max`), or 0 after sleeping until
 * the next one is (the sleep's own lateness makes the next batch bigger, as a busy
 * guest's would be). */
static unsigned flood_due(unsigned long rate, struct timespec t0, uint64_t sent, unsigned max)
{
	struct timespec t;
	uint64_t ns, due;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ns = (uint64_t)(t.tv_sec - t0.tv_sec) * 1000000000u + (uint64_t)t.tv_nsec - (uint64_t)t0.tv_nsec;
	due = (uint64_t)((unsigned __int128)ns * rate / 1000000000u);
	if (due > sent)
		return due - sent > max ? max : (unsigned)(due - sent);
	ns = (uint64_t)((unsigned __int128)(sent + 1) * 1000000000u / rate) - ns;
	t.tv_sec = (time_t)(ns / 1000000000u);
	t.tv_nsec = (long)(ns % 1000000000u);
	nanosleep(&t, NULL);
	return 0;
}

/*
 * --flood: frames as fast as the NIC's output queue and the link take them (or at
 * --rate), for --seconds.  The link is looked at (control messages) every few milliseconds, not
 * per frame; a sender whose frames the link dropped (full) gives the CPU away for a
 * moment, as a guest's qeth would stop its queue.
 */
static bool do_flood(struct conn *c)
{
	const struct copts *o = c->opt;
	struct rnic *rn = route(c, o->flood_dst);
	uint8_t frame[1514];
	const uint8_t *dmac;
	uint64_t sent = 0, drops0;
	long t0, last_pump;
	struct timespec ts0;
	struct port *p;

	if (!rn || rn->gif->stk.layer != 2 || !(dmac = stack_neigh(&rn->gif->stk, false, o->flood_dst))) {
		fprintf(stderr, "cpnet-guest: flood: no layer-2 NIC knows the destination (ping it first)\n");
		return false;
	}
	flood_frame(&rn->gif->stk, dmac, o->flood_dst, frame, o->flood_size);
	p = &rn->nic.port;
	drops0 = p->st.drop[PD_NOBUF];
	printf("flood: start\n");	/* bench/adapt_rings.sh samples CPU times here */
	fflush(stdout);
	t0 = last_pump = now_ms();
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	while (!c->gone && !stop_flag && now_ms() - t0 < (long)o->flood_secs * 1000) {
		uint64_t d = p->st.drop[PD_NOBUF];
		unsigned n = 0, max = o->flood_rate ? flood_due(o->flood_rate, ts0, sent, 64) : 64;

		while (n < max && qdrv_send_l2(&rn->gif->drv, frame, o->flood_size) == 0)
			n++;
		qdrv_flush(&rn->gif->drv);
		sent += n;
		guest_poll(&c->g);
		if (now_ms() - last_pump >= 5) {
			pump_link(c, 0);
			last_pump = now_ms();
		}
		if (p->st.drop[PD_NOBUF] != d)
			sched_yield();
	}
	printf("flood: %llu frames of %u bytes in %u s, %llu dropped by the link (full)\n",
	       (unsigned long long)sent, o->flood_size, o->flood_secs,
	       (unsigned long long)(p->st.drop[PD_NOBUF] - drops0));
	fflush(stdout);
	return true;
}

static void print_stats(const struct conn *c)
{
	for (unsigned k = 0; k < GUEST_MAX_IF; k++) {
		const struct rnic *r = &c->nics[k];
		uint64_t drops = 0;

		if (!r->used)
			continue;
		for (unsigned d = 0; d < PD_NR; d++)
			drops += r->nic.port.st.drop[d];
		printf("NIC %04X: %llu frames received, %llu sent, %llu dropped\n", r->def.vdev,
		       (unsigned long long)r->nic.port.st.rx_packets,
		       (unsigned long long)r->nic.port.st.tx_packets, (unsigned long long)drops);
	}
	printf("link: frames on the %s, %llu syscalls\n", c->link.ring_tx ? "ring" : "socket",
	       (unsigned long long)vml_syscalls(&c->link));
	printf("ring reader: %s %s, %llu switches, %llu interrupts, %llu polls, %llu empty, "
	       "%llu naps\n",
	       adapt_policy_name(c->link.rxa.policy), adapt_mode_name(c->link.rxa.mode),
	       (unsigned long long)c->link.rxa.switches,
	       (unsigned long long)c->link.rxa.interrupts, (unsigned long long)c->link.rxa.polls,
	       (unsigned long long)c->link.rxa.empty_polls, (unsigned long long)c->link.rxa.naps);
}

static int connect_vm(struct copts *opt)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct vml_logon_reply reply;
	int fd = -1, rc = 1, r;
	long t0, idle_since;
	bool all_ok = true;

	if (!c) {
		fprintf(stderr, "cpnet-guest: out of memory\n");
		return 1;
	}
	c->opt = opt;
	fd = vml_connect(opt->sock);
	if (fd < 0) {
		fprintf(stderr, "cpnet-guest: %s: %s\n", opt->sock, strerror(-fd));
		goto out;
	}
	if (guest_create(&c->g, guest_mem_size(GUEST_MAX_IF)) < 0 ||
	    vml_init(&c->link, fd, false) < 0) {
		fprintf(stderr, "cpnet-guest: out of memory\n");
		goto out;
	}
	c->link.ctx = c;
	c->link.on_nicdef = cb_nicdef;
	c->link.on_detach = cb_detach;
	c->link.on_link = cb_link;
	c->link.transport = opt->transport;
	vml_poll_policy(&c->link, opt->poll_policy, NULL);
	r = vml_logon(&c->link, opt->user, opt->pass, 10000, &reply);
	if (r != 0) {
		if (r > 0)
			fprintf(stderr, "%s\n", reply.text);
		else
			fprintf(stderr, "cpnet-guest: LOGON: %s\n", cpnet_strerror(r));
		goto out_link;
	}
	printf("%s\n", reply.text);
	fflush(stdout);

	/* The NIC definitions: until quiet for a moment and every coupled NIC is set up. */
	t0 = idle_since = now_ms();
	while (!c->gone && !stop_flag && now_ms() - t0 < CONN_SETUP_MS) {
		uint64_t before = c->link.received;

		pump_link(c, 50);
		service(c);
		guest_poll(&c->g);
		if (c->link.received != before)
			idle_since = now_ms();
		else if (now_ms() - idle_since >= CONN_SETTLE_MS)
			break;
	}
	for (unsigned k = 0; k < GUEST_MAX_IF; k++)
		if (c->nics[k].used && (c->nics[k].failed || !c->nics[k].gif)) {
			if (!c->nics[k].failed)
				printf("NIC %04X not coupled: left offline\n", c->nics[k].def.vdev);
			all_ok = all_ok && !c->nics[k].failed;
		}
	/* A group joined through a NIC the user does not have would be joined nowhere. */
	for (unsigned k = 0; k < opt->njoins; k++)
		if (opt->join_via[k] && !rnic_find(c, opt->join_via[k])) {
			fprintf(stderr, "cpnet-guest: --join %u.%u.%u.%u%%%04X: the user has no NIC "
				"%04X\n", opt->joins[k][0], opt->joins[k][1], opt->joins[k][2],
				opt->joins[k][3], opt->join_via[k], opt->join_via[k]);
			all_ok = false;
		}
	if (!opt->go && !do_pings(c))
		all_ok = false;
	if (opt->flood && all_ok && !do_flood(c))
		all_ok = false;
	if (opt->stay) {
		long end = now_ms() + (long)opt->stay * 1000;

		unsigned round = 0;

		while (!c->gone && !stop_flag && now_ms() < end) {
			pump_link(c, 50);
			service(c);
			guest_poll(&c->g);
			watch_links(c);
			if (opt->go && access(opt->go, F_OK) == 0) {
				unlink(opt->go);
				if (!do_pings(c))
					all_ok = false;
				printf("ping round %u done\n", ++round);
				fflush(stdout);
			}
		}
	}
	if (c->gone)
		printf("LOGOFF by CP (link closed)\n");
	if (opt->stats)
		print_stats(c);
	rc = all_ok ? 0 : 1;
out_link:
	guest_destroy(&c->g);
	for (unsigned k = 0; k < GUEST_MAX_IF; k++)
		if (c->nics[k].used) {
			vml_del_nic(&c->link, c->nics[k].def.vdev);
			nic_destroy(&c->nics[k].nic);
		}
	if (!c->gone) {
		uint8_t b[VML_HDR_SIZE + 2];
		int len = vml_simple_encode(VML_LOGOFF, 0, 0, 0, b, sizeof(b));

		if (len > 0)
			vml_send(&c->link, b, (size_t)len);
	}
	vml_free(&c->link);
out:
	if (fd >= 0)
		close(fd);
	free(c);
	return rc;
}

static int connect_main(int argc, char **argv)
{
	struct copts o;
	struct sigaction sa;
	int rc = copts_parse(&o, argc - 2, argv + 2, stderr);

	if (rc)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);	/* progress lines for whoever watches */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return connect_vm(&o);
}

int main(int argc, char **argv)
{
	uint8_t layer = 2;
	unsigned long count = 4;
	bool verbose = false;

	if (argc >= 2 && !strcmp(argv[1], "connect"))
		return connect_main(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "selftest") != 0) {
		usage(stderr);
		return 2;
	}
	for (int k = 2; k < argc; k++) {
		if (!strcmp(argv[k], "--layer2")) {
			layer = 2;
		} else if (!strcmp(argv[k], "--layer3")) {
			layer = 3;
		} else if (!strcmp(argv[k], "--verbose") || !strcmp(argv[k], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[k], "--count") && k + 1 < argc) {
			/* Digits only, as connect's --count (cp/parse's reader). */
			if (parse_dec(argv[++k], 100000, &count) < 0 || count == 0) {
				usage(stderr);
				return 2;
			}
		} else {
			usage(stderr);
			return 2;
		}
	}
	return selftest(layer, (unsigned)count, verbose);
}
