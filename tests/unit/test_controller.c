/* tests/unit/test_controller.c - VSWITCH uplinks with controller virtual machines over
 * memory-wire OSAs: selection, registration flow, traffic to a simulated host, failover. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/cmds.h"
#include "controller/controller.h"
#include "cp/config.h"
#include "cp/cp.h"
#include "cp/lanops.h"
#include "cp/uplink.h"
#include "osa/wire.h"
#include "vswitch/switch.h"
#include "tests/tcheck.h"

/*
 * The fixture is cpnetd without sockets: SYSTEM CONFIG and directory text, AUTOLOG,
 * then "ticks" (uplink_tick + uplink_poll + guests, 50 ms of a fake clock each).
 * The far end of each OSA's memory wire is the test playing a host 10.9.0.2 (IP
 * switch VSWIP on 0A00 / 0B00) or 10.8.0.2 (ETHERNET switch VSWL2 on 0C00).
 */
static const char cfg_text[] =
	"RDEVICE 0A00-0A02 TYPE OSA BACKEND MEM upa\n"
	"RDEVICE 0B00-0B02 TYPE OSA BACKEND MEM upb CHPID 0B\n"
	"RDEVICE 0C00 TYPE OSA BACKEND MEM upc\n"
	"DEFINE VSWITCH VSWIP RDEV 0A00 0B00 CONTROLLER * IP\n"
	"DEFINE VSWITCH VSWL2 RDEV 0C00 CONTROLLER DTCVSW2 ETHERNET\n"
	"MODIFY VSWITCH VSWIP GRANT LINUX01\n"
	"MODIFY VSWITCH VSWIP GRANT LINUX03\n"
	"MODIFY VSWITCH VSWL2 GRANT LINUX02\n"
	"AUTOLOG DTCVSW1 DTCVSW2 LINUX01 LINUX02 LINUX03\n";

static const char dir_text[] =
	"USER DTCVSW1 NOLOG 64M 64M BG\n"
	"  CONTROLLER\n"
	"USER DTCVSW2 NOLOG 64M 64M BG\n"
	"  CONTROLLER\n"
	"USER LINUX01 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWIP\n"
	"  IPADDR 0600 10.9.0.1/24\n"
	"USER LINUX02 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWL2\n"
	"  IPADDR 0600 10.8.0.1/24\n"
	"USER LINUX03 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWIP\n"
	"  IPADDR 0600 10.9.0.3/24\n";

static const uint8_t HOST_MAC[6] = { 0x02, 0xAA, 0, 0, 0, 0x02 };

struct fx {
	struct cp cp;
	uint64_t now;
	char console[4096];
	size_t clen;
};

static uint64_t fx_clock(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static void fx_console(void *ctx, const char *line)
{
	struct fx *f = ctx;
	int n = snprintf(f->console + f->clen, sizeof(f->console) - f->clen, "%s\n", line);

	if (n > 0 && f->clen + (size_t)n < sizeof(f->console))
		f->clen += (size_t)n;
}

static void ticks(struct fx *f, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		f->now += 50;
		uplink_tick(f->cp.up);
		uplink_poll(f->cp.up);
		cp_poll_guests(&f->cp);
		uplink_poll(f->cp.up);
	}
}

static struct fx *fx_new_cfg(const char *cfg, size_t cfglen)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct out o;

	if (!f)
		return NULL;
	f->now = 1000000;
	cp_init(&f->cp, 42);
	f->cp.up->clock_ms = fx_clock;
	f->cp.up->clock_ctx = f;
	f->cp.up->console = fx_console;
	f->cp.up->console_ctx = f;
	out_init(&o);
	if (config_parse(&f->cp, "sys.cfg", cfg, cfglen, &o) ||
	    dir_parse(&f->cp.dir, "user.direct", dir_text, sizeof(dir_text) - 1, &o)) {
		fprintf(stderr, "%.*s", (int)o.len, o.buf);
		out_free(&o);
		cp_free(&f->cp);
		free(f);
		return NULL;
	}
	config_autolog(&f->cp, &o);
	out_free(&o);
	ticks(f, 4);
	return f;
}

static struct fx *fx_new(void)
{
	return fx_new_cfg(cfg_text, sizeof(cfg_text) - 1);
}

static void fx_free(struct fx *f)
{
	cp_free(&f->cp);
	free(f);
}

static struct lanbk *sw_lan(struct fx *f, const char *name)
{
	return lan_find(&f->cp.lans, "SYSTEM", name);
}

static struct up_sw *sw_of(struct fx *f, const char *name)
{
	return uplink_find_sw(f->cp.up, sw_lan(f, name));
}

static struct wire *wire_of(struct fx *f, uint16_t rdev)
{
	struct up_osa *d = uplink_find_osa(f->cp.up, rdev);

	return d && d->osa ? &d->osa->wire : NULL;
}

static struct guest_if *gif_of(struct fx *f, const char *user)
{
	struct vm *vm = cp_find_vm(&f->cp, user);

	return vm && vm->nnics ? vm->nics[0]->gif : NULL;
}

/* ---- the host on the wire ---------------------------------------------------------- */

static uint16_t csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)~s;
}

static size_t eth(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

static size_t arp(uint8_t *f, uint16_t op, const uint8_t sha[6], const uint8_t spa[4],
		  const uint8_t tha[6], const uint8_t tpa[4])
{
	static const uint8_t bc[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	size_t n = eth(f, op == 1 ? bc : tha, sha, 0x0806);
	uint8_t *a = f + n;

	memset(a, 0, 28);
	a[1] = 1;
	a[2] = 0x08;
	a[4] = 6;
	a[5] = 4;
	a[7] = (uint8_t)op;
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	return n + 28;
}

static size_t icmp(uint8_t *f, const uint8_t dmac[6], const uint8_t src[4], const uint8_t dst[4],
		   uint8_t type, uint16_t id, uint16_t seq)
{
	size_t n = eth(f, dmac, HOST_MAC, 0x0800);
	uint8_t *ip = f + n, *ic = ip + 20;
	uint16_t c;

	memset(ip, 0, 20 + 8 + 16);
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 16;
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ic[0] = type;
	ic[4] = (uint8_t)(id >> 8);
	ic[5] = (uint8_t)id;
	ic[6] = (uint8_t)(seq >> 8);
	ic[7] = (uint8_t)seq;
	memset(ic + 8, 0x5A, 16);
	c = csum(ic, 8 + 16);
	ic[2] = (uint8_t)(c >> 8);
	ic[3] = (uint8_t)c;
	return n + 20 + 8 + 16;
}

/* What the host saw: counts of ARP requests/replies and echo requests/replies. */
struct seen {
	unsigned arp_req, arp_rep, echo_req, echo_rep, other;
	uint8_t arp_rep_sha[6];
	uint8_t last_src_mac[6];
	uint8_t echo_req_src[4];
	uint16_t echo_id, echo_seq;
};

static void collect(struct wire *w, struct seen *s)
{
	uint8_t b[2048];
	int n;

	while ((n = wire_mem_collect(w, b, sizeof(b))) > 0) {
		uint16_t et = (uint16_t)(b[12] << 8 | b[13]);

		memcpy(s->last_src_mac, b + 6, 6);
		if (et == 0x0806 && n >= 42) {
			if (b[21] == 1) {
				s->arp_req++;
			} else {
				s->arp_rep++;
				memcpy(s->arp_rep_sha, b + 22, 6);
			}
		} else if (et == 0x0800 && n >= 42 && b[23] == 1) {
			if (b[34] == 8) {
				s->echo_req++;
				memcpy(s->echo_req_src, b + 26, 4);
				s->echo_id = (uint16_t)(b[38] << 8 | b[39]);
				s->echo_seq = (uint16_t)(b[40] << 8 | b[41]);
			} else if (b[34] == 0) {
				s->echo_rep++;
			}
		} else {
			s->other++;
		}
	}
}

static const uint8_t G1[4] = { 10, 9, 0, 1 }, G3[4] = { 10, 9, 0, 3 }, H9[4] = { 10, 9, 0, 2 };
static const uint8_t G2[4] = { 10, 8, 0, 1 }, H8[4] = { 10, 8, 0, 2 };

/* A guest pings the host on the wire of `rdev`; the test answers ARP and echo.
 * Returns the echo replies the guest counted. */
static int ping_host(struct fx *f, const char *user, uint16_t rdev, const uint8_t gip[4],
		     const uint8_t hip[4], unsigned count)
{
	struct guest_if *gi = gif_of(f, user);
	struct wire *w = wire_of(f, rdev);
	uint64_t before;
	uint8_t fr[128];
	int got = 0;

	if (!gi || !w)
		return -1;
	before = gi->stk.st.echo_rep_rx;
	for (unsigned k = 0; k < count; k++) {
		struct seen s;

		int rc;

		memset(&s, 0, sizeof(s));
		rc = stack_ping4(&gi->stk, hip, (uint16_t)k, 16);
		for (unsigned t = 0; t < 6 && !s.echo_req; t++) {
			ticks(f, 1);
			if (rc == -EAGAIN)	/* a layer-2 guest resolving the host first */
				rc = stack_ping4(&gi->stk, hip, (uint16_t)k, 16);
			collect(w, &s);
			if (s.arp_req) {
				/* who-has hip: the host answers the asker (OSA, or the guest on L2) */
				size_t n = arp(fr, 2, HOST_MAC, hip, s.last_src_mac, gip);

				wire_mem_inject(w, fr, (uint32_t)n);
				s.arp_req = 0;
			}
		}
		if (s.echo_req) {
			size_t n = icmp(fr, s.last_src_mac, hip, gip, 0, s.echo_id, s.echo_seq);

			wire_mem_inject(w, fr, (uint32_t)n);
			ticks(f, 2);
		}
	}
	got = (int)(gi->stk.st.echo_rep_rx - before);
	return got;
}

/* ---- tests -------------------------------------------------------------------------- */

TEST(controller_select_fewest_and_named)
{
	struct ctl_cand c[3] = {
		{ "DTCVSW1", true, 2 }, { "DTCVSW2", true, 1 }, { "DTCVSW3", false, 0 },
	};

	CHECK_EQ(ctl_select(c, 3, "*", NULL), 1);		/* fewest switches */
	CHECK_EQ(ctl_select(c, 3, "DTCVSW1", NULL), 0);	/* named */
	CHECK_EQ(ctl_select(c, 3, "DTCVSW3", NULL), -ENOENT);	/* not eligible */
	CHECK_EQ(ctl_select(c, 3, "NOBODY", NULL), -ENOENT);
	CHECK_EQ(ctl_select(c, 3, "*", "DTCVSW2"), 0);		/* backup: another one */
	CHECK_EQ(ctl_select(c, 1, "*", "DTCVSW1"), 0);		/* ... or the same */
	c[0].eligible = c[1].eligible = false;
	CHECK_EQ(ctl_select(c, 3, "*", NULL), -ENOENT);
	c[0].eligible = true;
	c[0].managing = c[1].managing = 0;
	c[1].eligible = true;
	CHECK_EQ(ctl_select(c, 3, "*", NULL), 0);		/* tie: the first */
}

TEST(controller_queue_bounded)
{
	struct ctl_queue *q = malloc(sizeof(*q));
	struct ctl_msg m, r;

	CHECK(q != NULL);
	ctlq_init(q);
	memset(&m, 0, sizeof(m));
	for (unsigned k = 0; k < CTLQ_SLOTS; k++) {
		m.token = k + 1;
		CHECK_EQ(ctlq_put(q, &m), 0);
	}
	CHECK_EQ(ctlq_put(q, &m), -ENOSPC);
	CHECK_EQ(q->refused, 1u);
	CHECK_EQ(ctlq_get(q, &r), 1);
	CHECK_EQ(r.token, 1u);
	CHECK_EQ(ctlq_len(q), CTLQ_SLOTS - 1);
	while (ctlq_get(q, &r))
		;
	CHECK_EQ(r.token, CTLQ_SLOTS);
	CHECK_EQ(ctlq_get(q, &r), 0);
	CHECK(strcmp(ctlm_name(CTLM_CONTROL_SWITCH), "ControlSwitch") == 0);
	CHECK(strcmp(ctlm_name(200), "?") == 0);
	free(q);
}

TEST(controller_unknown_rdev_and_bad_messages)
{
	struct ctl_queue *cpq = malloc(sizeof(*cpq));
	struct ctlr *c = malloc(sizeof(*c));
	struct ctl_msg m, r;

	CHECK(cpq && c);
	ctlq_init(cpq);
	CHECK_EQ(ctl_create(c, "DTCVSW9", cpq), 0);
	memset(&m, 0, sizeof(m));
	m.type = CTLM_CONTROL_SWITCH;	/* for devices nobody attached */
	m.rdev = 0x0D00;
	m.layer = 3;
	m.token = 7;
	ctl_post(c, &m);
	m.type = CTLM_REGISTER;		/* for a connection it does not have */
	m.a.op = PA_SETIP;
	ctl_post(c, &m);
	m.type = CTLM_RESULT;		/* not a request: ignored */
	ctl_post(c, &m);
	ctl_stall(c, true);
	CHECK_EQ(ctl_run(c, 10), 0u);	/* a stalled VM does nothing */
	ctl_stall(c, false);
	CHECK_EQ(ctl_run(c, 10), 3u);
	CHECK_EQ(ctlq_get(cpq, &r), 1);
	CHECK_EQ(r.type, CTLM_INIT_COMPLETE);
	CHECK_EQ(r.rc, -ENODEV);
	CHECK(r.data == NULL);
	CHECK_EQ(ctlq_get(cpq, &r), 1);
	CHECK_EQ(r.type, CTLM_RESULT);
	CHECK_EQ(r.rc, -ENOTCONN);
	CHECK_EQ(ctlq_get(cpq, &r), 0);
	CHECK_EQ(ctl_detach(c, 0x0D00), -ENOENT);
	ctl_destroy(c);
	free(c);
	free(cpq);
}

TEST(controller_uplink_comes_up_and_clears_local_only)
{
	struct fx *f = fx_new();
	struct up_sw *s;
	struct lanbk *lan;

	CHECK(f != NULL);
	s = sw_of(f, "VSWIP");
	lan = sw_lan(f, "VSWIP");
	CHECK(s != NULL);
	CHECK(s->active >= 0);
	/* '*': the first controller managing nothing; the backup: the other one on the
	 * other RDEV, pre-initialized. */
	CHECK(strcmp(s->c[s->active].ctl, "DTCVSW1") == 0);
	CHECK_EQ(s->c[s->active].dev->rdev, 0x0A00);
	CHECK_EQ(s->c[1 - s->active].state, UPC_READY);
	CHECK(strcmp(s->c[1 - s->active].ctl, "DTCVSW2") == 0);
	CHECK_EQ(s->c[1 - s->active].dev->rdev, 0x0B00);
	CHECK(lan->uplink == &s->port);
	/* The guests' IPs went to the OSA through the controller: no longer local only. */
	CHECK_EQ(iptab_local_only(&lan->tab, IPT_V4, G1), 0);
	CHECK_EQ(iptab_local_only(&lan->tab, IPT_V4, G3), 0);
	CHECK(s->st.regs_ok >= 2);
	/* The OSA itself knows them now. */
	CHECK(uplink_find_osa(f->cp.up, 0x0A00)->osa->at.nkind[ATAB_V4] >= 2);
	CHECK(uplink_find_osa(f->cp.up, 0x0B00)->osa->at.nkind[ATAB_V4] == 0);	/* backup: none yet */
	/* Named controller for the ETHERNET switch; its guest MAC accepted. */
	s = sw_of(f, "VSWL2");
	CHECK(s && s->active >= 0);
	CHECK(strcmp(s->c[s->active].ctl, "DTCVSW2") == 0);
	{
		struct vm *vm = cp_find_vm(&f->cp, "LINUX02");

		CHECK_EQ(iptab_local_only(&sw_lan(f, "VSWL2")->tab, IPT_MAC, vm->nics[0]->mac), 0);
	}
	CHECK(strstr(f->console, "HCPSWU2830I VSWITCH SYSTEM VSWIP status is ready.") != NULL);
	CHECK(strstr(f->console, "HCPSWU9322I DTCVSW1 is VSWITCH controller for device 0A00.P00") != NULL);
	fx_free(f);
}

TEST(controller_later_registration_travels_the_same_way)
{
	struct fx *f = fx_new();
	struct guest_if *gi;
	struct lanbk *lan;
	static const uint8_t extra[4] = { 10, 9, 0, 77 };

	CHECK(f != NULL);
	lan = sw_lan(f, "VSWIP");
	gi = gif_of(f, "LINUX01");
	CHECK_EQ(qdrv_setip(&gi->drv, false, extra, 24), 0);
	/* Registered on the LAN at once, local only until the OSA accepted it. */
	CHECK_EQ(iptab_local_only(&lan->tab, IPT_V4, extra), 1);
	ticks(f, 2);
	CHECK_EQ(iptab_local_only(&lan->tab, IPT_V4, extra), 0);
	/* Withdrawn: DELIP reaches the OSA too. */
	{
		struct osa *o = uplink_find_osa(f->cp.up, 0x0A00)->osa;
		unsigned n = o->at.nkind[ATAB_V4];

		CHECK_EQ(qdrv_delip(&gi->drv, false, extra, 24), 0);
		ticks(f, 2);
		CHECK_EQ(o->at.nkind[ATAB_V4], n - 1);
	}
	fx_free(f);
}

TEST(controller_ip_switch_traffic_to_host)
{
	struct fx *f = fx_new();
	struct wire *w;
	struct seen s;
	uint8_t fr[128];
	size_t n;
	struct up_sw *sw;
	struct guest_if *gi;
	uint64_t req0;
	static const uint8_t unknown[4] = { 10, 9, 0, 99 };

	CHECK(f != NULL);
	sw = sw_of(f, "VSWIP");
	w = wire_of(f, 0x0A00);
	/* guest -> host: the OSA resolves the host by ARP, the echo goes out. */
	CHECK_EQ(ping_host(f, "LINUX01", 0x0A00, G1, H9, 3), 3);
	CHECK(sw->st.tx_pkts >= 3);
	CHECK(sw->st.rx_pkts >= 3);
	/* host -> guest: ARP for a registered IP is answered with the OSA's MAC. */
	memset(&s, 0, sizeof(s));
	n = arp(fr, 1, HOST_MAC, H9, (const uint8_t[6]){ 0 }, G3);
	wire_mem_inject(w, fr, (uint32_t)n);
	ticks(f, 1);
	collect(w, &s);
	CHECK_EQ(s.arp_rep, 1u);
	CHECK_MEM(s.arp_rep_sha, uplink_find_osa(f->cp.up, 0x0A00)->osa->mac, 6);
	gi = gif_of(f, "LINUX03");
	req0 = gi->stk.st.echo_req_rx;
	n = icmp(fr, s.arp_rep_sha, H9, G3, 8, 0x77, 1);
	wire_mem_inject(w, fr, (uint32_t)n);
	ticks(f, 2);
	collect(w, &s);
	CHECK_EQ(gi->stk.st.echo_req_rx, req0 + 1);
	CHECK_EQ(s.echo_rep, 1u);
	/* ARP for an IP nobody registered: no answer. */
	memset(&s, 0, sizeof(s));
	n = arp(fr, 1, HOST_MAC, H9, (const uint8_t[6]){ 0 }, unknown);
	wire_mem_inject(w, fr, (uint32_t)n);
	ticks(f, 1);
	collect(w, &s);
	CHECK_EQ(s.arp_rep, 0u);
	/* Inbound for an unknown IP: discarded and counted, nobody gets it. */
	{
		struct osa *o = uplink_find_osa(f->cp.up, 0x0A00)->osa;
		uint64_t d0 = o->st.rx_drop[OSA_D_NOT_MINE], rx0 = sw->st.rx_pkts;

		n = icmp(fr, o->mac, H9, unknown, 8, 0x78, 1);
		wire_mem_inject(w, fr, (uint32_t)n);
		ticks(f, 1);
		CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], d0 + 1);
		CHECK_EQ(sw->st.rx_pkts, rx0);
		CHECK(uplink_osa_rx_drops(uplink_find_osa(f->cp.up, 0x0A00)) >= 1);
	}
	fx_free(f);
}

TEST(controller_ethernet_switch_traffic_to_host)
{
	struct fx *f = fx_new();
	struct wire *w;
	struct seen s;
	uint8_t fr[128];
	size_t n;
	struct vm *vm;
	static const uint8_t other[6] = { 0x02, 0xBB, 0, 0, 0, 9 };

	CHECK(f != NULL);
	w = wire_of(f, 0x0C00);
	vm = cp_find_vm(&f->cp, "LINUX02");
	/* The guest resolves the host itself (layer 2) and pings it. */
	CHECK_EQ(ping_host(f, "LINUX02", 0x0C00, G2, H8, 2), 2);
	/* The host asks for the guest: the guest (not the OSA) answers with its MAC. */
	memset(&s, 0, sizeof(s));
	n = arp(fr, 1, HOST_MAC, H8, (const uint8_t[6]){ 0 }, G2);
	wire_mem_inject(w, fr, (uint32_t)n);
	ticks(f, 2);
	collect(w, &s);
	CHECK_EQ(s.arp_rep, 1u);
	CHECK_MEM(s.arp_rep_sha, vm->nics[0]->mac, 6);
	/* A frame for a MAC nobody registered stays outside. */
	{
		struct osa *o = uplink_find_osa(f->cp.up, 0x0C00)->osa;
		uint64_t d0 = o->st.rx_drop[OSA_D_MAC];

		n = icmp(fr, other, H8, G2, 8, 1, 1);
		wire_mem_inject(w, fr, (uint32_t)n);
		ticks(f, 1);
		CHECK_EQ(o->st.rx_drop[OSA_D_MAC], d0 + 1);
	}
	fx_free(f);
}

/* Guest-to-guest pings on VSWIP (LINUX01 -> LINUX03): each answered. */
static int g2g(struct fx *f, unsigned count)
{
	struct guest_if *a = gif_of(f, "LINUX01");
	uint64_t before = a->stk.st.echo_rep_rx;

	for (unsigned k = 0; k < count; k++) {
		stack_ping4(&a->stk, G3, (uint16_t)(100 + k), 16);
		cp_poll_guests(&f->cp);
		cp_poll_guests(&f->cp);
		cp_poll_guests(&f->cp);
	}
	return (int)(a->stk.st.echo_rep_rx - before);
}

TEST(controller_force_fails_over_to_backup)
{
	struct fx *f = fx_new();
	struct up_sw *s;
	struct lanbk *lan;

	CHECK(f != NULL);
	s = sw_of(f, "VSWIP");
	lan = sw_lan(f, "VSWIP");
	CHECK_EQ(g2g(f, 3), 3);
	cp_logoff(&f->cp, cp_find_vm(&f->cp, "DTCVSW1"));	/* FORCE DTCVSW1 */
	/* The pre-initialized backup took over at once. */
	CHECK(s->active >= 0);
	CHECK(strcmp(s->c[s->active].ctl, "DTCVSW2") == 0);
	CHECK_EQ(s->c[s->active].dev->rdev, 0x0B00);
	CHECK_EQ(s->st.failovers, 1u);
	CHECK(strstr(f->console, "HCPSWU9320E TCP/IP Controller DTCVSW1 was logged off. It was "
			 "managing device 0A00.P00 for VSWITCH SYSTEM VSWIP.") != NULL);
	/* Local only again until the new OSA accepted the addresses. */
	CHECK_EQ(iptab_local_only(&lan->tab, IPT_V4, G1), 1);
	CHECK_EQ(g2g(f, 3), 3);		/* guests never noticed */
	ticks(f, 2);
	CHECK_EQ(iptab_local_only(&lan->tab, IPT_V4, G1), 0);
	CHECK_EQ(ping_host(f, "LINUX01", 0x0B00, G1, H9, 2), 2);
	fx_free(f);
}

TEST(controller_stall_detected_and_failed_over)
{
	struct fx *f = fx_new();
	struct up_sw *s;
	struct vm *v1;

	CHECK(f != NULL);
	s = sw_of(f, "VSWIP");
	v1 = cp_find_vm(&f->cp, "DTCVSW1");
	ctl_stall(v1->ctl, true);	/* the virtual machine hangs */
	ticks(f, 10);			/* 0.5 s: not yet a stall */
	CHECK(strcmp(s->c[s->active].ctl, "DTCVSW1") == 0);
	CHECK_EQ(g2g(f, 2), 2);
	ticks(f, 40);
	CHECK(strstr(f->console, "HCPSWU2843E A stall was detected for TCP/IP Controller DTCVSW1. "
			 "It was managing device 0A00.P00 for VSWITCH SYSTEM VSWIP.") != NULL);
	CHECK(s->active >= 0);
	CHECK(strcmp(s->c[s->active].ctl, "DTCVSW2") == 0);
	CHECK(v1->ctl_stalled);
	CHECK_EQ(g2g(f, 2), 2);
	CHECK_EQ(ping_host(f, "LINUX01", 0x0B00, G1, H9, 1), 1);
	fx_free(f);
}

TEST(controller_rdev_failure_and_no_rdev_left)
{
	struct fx *f = fx_new();
	struct up_sw *s;

	CHECK(f != NULL);
	s = sw_of(f, "VSWIP");
	wire_mem_set_link(wire_of(f, 0x0A00), false, true);	/* the device is gone */
	ticks(f, 2);
	CHECK(strstr(f->console, "HCPSWU9321E Device 0A00.P00 of VSWITCH SYSTEM VSWIP failed") != NULL);
	CHECK(s->active >= 0);
	CHECK_EQ(s->c[s->active].dev->rdev, 0x0B00);
	CHECK_EQ(g2g(f, 2), 2);
	CHECK_EQ(ping_host(f, "LINUX01", 0x0B00, G1, H9, 1), 1);
	/* The last RDEV's cable pulled: nothing left. */
	wire_mem_set_link(wire_of(f, 0x0B00), false, false);
	ticks(f, 2);
	CHECK(s->active < 0);
	CHECK(strstr(f->console, "HCPSWU2830I VSWITCH SYSTEM VSWIP status is disconnected following error.") != NULL);
	CHECK(strstr(f->console, "HCPSWU2832E Connection for VSWITCH SYSTEM VSWIP is not active.") != NULL);
	CHECK_EQ(g2g(f, 2), 2);		/* local traffic goes on */
	/* Plugged back in: the uplink returns by itself. */
	wire_mem_set_link(wire_of(f, 0x0B00), true, false);
	ticks(f, 3);
	CHECK(s->active >= 0);
	CHECK_EQ(ping_host(f, "LINUX01", 0x0B00, G1, H9, 1), 1);
	fx_free(f);
}

TEST(controller_switchover_command)
{
	struct fx *f = fx_new();
	struct up_sw *s;
	struct out o;
	char *argv[3] = { "UPLINK", "SWITCHOVER", NULL };
	char bad[] = "0C00", p1[] = "0A00.P1", p0[] = "0A00.P0";

	CHECK(f != NULL);
	s = sw_of(f, "VSWIP");
	out_init(&o);
	CHECK_EQ(vswitch_set(&f->cp, sw_lan(f, "VSWIP"), argv, 2, &o), 0);
	CHECK_EQ(s->c[s->active].dev->rdev, 0x0B00);
	CHECK_EQ(s->st.switchovers, 1u);
	ticks(f, 4);	/* the old RDEV becomes the backup again */
	CHECK_EQ(s->c[1 - s->active].state, UPC_READY);
	CHECK_EQ(s->c[1 - s->active].dev->rdev, 0x0A00);
	argv[2] = bad;	/* not one of VSWIP's RDEVs */
	CHECK_EQ(vswitch_set(&f->cp, sw_lan(f, "VSWIP"), argv, 3, &o), 9324);
	/* rdev.Pn: VSWIP drives port 0 of 0A00, so port 1 is refused, saying why. */
	out_reset(&o);
	argv[2] = p1;
	CHECK_EQ(vswitch_set(&f->cp, sw_lan(f, "VSWIP"), argv, 3, &o), 9324);
	CHECK(o.buf && strstr(o.buf, "RDEV 0A00 uses port 0, not 1") != NULL);
	CHECK_EQ(s->c[s->active].dev->rdev, 0x0B00);
	argv[2] = p0;
	CHECK_EQ(vswitch_set(&f->cp, sw_lan(f, "VSWIP"), argv, 3, &o), 0);
	CHECK_EQ(s->c[s->active].dev->rdev, 0x0A00);
	CHECK_EQ(s->st.switchovers, 2u);
	/* ETHERNET switch: one RDEV, no backup. */
	CHECK_EQ(vswitch_set(&f->cp, sw_lan(f, "VSWL2"), argv, 2, &o), 9324);
	out_free(&o);
	CHECK_EQ(ping_host(f, "LINUX01", 0x0A00, G1, H9, 1), 1);
	fx_free(f);
}

TEST(controller_config_rdevice_errors)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "RDEVICE 0A00-0A03 TYPE OSA\n", "HCPCMD002E Invalid operand - 0A00-0A03" },
		{ "RDEVICE 0A00 TYPE OSA BACKEND FOO x\n", "HCPCMD002E Invalid operand - FOO" },
		{ "RDEVICE 0A00 TYPE OSA BACKEND MEM\n", "HCPCMD1001E An operand is missing for BACKEND." },
		{ "RDEVICE 0A00 TYPE OSA MAC 03-00-00-00-00-01\n", "HCPCMD002E Invalid operand - 03-00-00-00-00-01" },
		{ "RDEVICE 0A00 TYPE OSA CHPID XYZ\n", "HCPCMD002E Invalid operand - XYZ" },
		{ "RDEVICE 0A00-0A05 TYPE OSA BACKEND MEM one\n", "HCPCMD002E Invalid operand - one" },
		{ "RDEVICE 0A00 TYPE OSA\nRDEVICE 0A01 TYPE OSA\n", "HCPNIC9200E Device 0A01 already exists" },
		{ "RDEVICE 0A00 TYPE OSA BACKEND MEM a BOGUS\n", "HCPCMD003E Invalid option - BOGUS" },
		{ "RDEVICE 0A00 TYPE OSA PORT 2\n", "HCPCMD9010E Value 2 for PORT is out of range (0-1)" },
		{ "RDEVICE 0A00 TYPE OSA PORT X\n", "HCPCMD002E Invalid operand - X" },
		{ "RDEVICE 0A00 TYPE OSA PORT\n", "HCPCMD1001E An operand is missing for PORT." },
		{ "RDEVICE 0A00 TYPE OSA ADDRESSES 0\n", "HCPCMD9010E Value 0 for ADDRESSES is out of range (1-16384)" },
		{ "RDEVICE 0A00 TYPE OSA ADDR 16385\n", "HCPCMD9010E Value 16385 for ADDRESSES is out of range (1-16384)" },
		{ "RDEVICE 0A00 TYPE OSA ADDRESSES 1K\n", "HCPCMD002E Invalid operand - 1K" },
		{ "RDEVICE 0A00 TYPE OSA ADDRESSES\n", "HCPCMD1001E An operand is missing for ADDRESSES." },
		{ "DEFINE VSWITCH V RDEV 0A00.P2\n", "HCPCMD002E Invalid operand - 0A00.P2" },
		{ "DEFINE VSWITCH V RDEV 0A00.P001\n", "HCPCMD002E Invalid operand - 0A00.P001" },
		{ "DEFINE VSWITCH V RDEV 0A00.Q1\n", "HCPCMD002E Invalid operand - 0A00.Q1" },
		{ "DEFINE VSWITCH V RDEV 0A00.P\n", "HCPCMD002E Invalid operand - 0A00.P" },
	};

	for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct cp cp;
		struct out o;

		cp_init(&cp, 1);
		out_init(&o);
		config_parse(&cp, "s", cases[k].in, strlen(cases[k].in), &o);
		if (!o.len || !strstr(o.buf, cases[k].want))
			fprintf(stderr, "case %u: %.*s\n", k, (int)o.len, o.buf);
		CHECK(o.len && strstr(o.buf, cases[k].want) != NULL);
		out_free(&o);
		cp_free(&cp);
	}
	/* A range of triplets with a name pattern makes one OSA each. */
	{
		struct cp cp;
		struct out o;
		static const char txt[] = "RDEVICE 0E00-0E05 TYPE OSA BACKEND MEM m%d\n";

		cp_init(&cp, 1);
		out_init(&o);
		CHECK_EQ(config_parse(&cp, "s", txt, sizeof(txt) - 1, &o), 0);
		CHECK_EQ(cp.up->nosas, 2u);
		CHECK(strcmp(uplink_find_osa(cp.up, 0x0E03)->wname, "m1") == 0);
		CHECK(uplink_find_osa(cp.up, 0x0E03)->osa != NULL);
		out_free(&o);
		cp_free(&cp);
	}
}

/* Port 1 of a two-port OSA: RDEV 0A00.P1 drives the OSA whose wire is its PORT 1 (IDX,
 * ULP_ENABLE and the IPA headers name port 1); RDEV 0B00.P01 on a port-0 OSA is refused
 * by the OSA's IDX, and the messages name the port. */
TEST(controller_rdev_port_one)
{
	static const char txt[] =
		"RDEVICE 0A00 TYPE OSA PORT 1 BACKEND MEM upp1\n"
		"RDEVICE 0C00 TYPE OSA BACKEND MEM upp0\n"
		"DEFINE VSWITCH VSWIP RDEV 0A00.P1 CONTROLLER DTCVSW1 IP\n"
		"DEFINE VSWITCH VSWL2 RDEV 0C00.P01 CONTROLLER DTCVSW2 ETHERNET\n"
		"MODIFY VSWITCH VSWIP GRANT LINUX01\n"
		"MODIFY VSWITCH VSWL2 GRANT LINUX02\n"
		"AUTOLOG DTCVSW1 DTCVSW2 LINUX01 LINUX02\n";
	struct fx *f = fx_new_cfg(txt, sizeof(txt) - 1);
	struct up_sw *s;
	struct out o;
	struct vm *op;

	REQUIRE(f);
	ticks(f, 4);
	s = sw_of(f, "VSWIP");
	REQUIRE(s);
	CHECK(s->active >= 0);
	CHECK_EQ(s->c[s->active].port, 1);
	CHECK_EQ(uplink_find_osa(f->cp.up, 0x0A00)->osa->nic.cfg.portno, 1);
	CHECK(strstr(f->console, "HCPSWU9322I DTCVSW1 is VSWITCH controller for device 0A00.P01 "
			     "of VSWITCH SYSTEM VSWIP.") != NULL);
	/* It carries traffic: the guest reaches the host on port 1's wire. */
	CHECK_EQ(ping_host(f, "LINUX01", 0x0A00, G1, H9, 2), 2);
	CHECK(uplink_find_osa(f->cp.up, 0x0A00)->osa->at.nkind[ATAB_V4] >= 1);
	/* Port 1 named on a port-0 OSA: its IDX is refused, the switch stays down. */
	s = sw_of(f, "VSWL2");
	REQUIRE(s);
	CHECK(s->active < 0);
	CHECK(strstr(f->console, "HCPSWU9323E TCP/IP Controller DTCVSW2 could not initialize "
			     "device 0C00.P01 for VSWITCH SYSTEM VSWL2") != NULL);
	CHECK(strstr(f->console, ".P00") == NULL);
	/* QUERY shows the ports. */
	op = cp_find_vm(&f->cp, "DTCVSW1");
	REQUIRE(op);
	out_init(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "QUERY VSWITCH VSWIP DETAILS", 27, &o), 0);
	CHECK(o.buf && strstr(o.buf, "RDEV: 0A00.P01 VDEV:") != NULL);
	out_reset(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "QUERY OSA", 9, &o), 0);
	CHECK(o.buf && strstr(o.buf, "OSA  0A00 ATTACHED TO DTCVSW1 ") != NULL);
	CHECK(o.buf && strstr(o.buf, "CHPID 0A OSD PORT 01") != NULL);
	CHECK(o.buf && strstr(o.buf, "CHPID 0C OSD PORT 00") != NULL);
	out_free(&o);
	fx_free(f);
}

/* IPTIMEOUT end to end: the host on the wire talks to a guest of the IP switch; its
 * address shows in QUERY VSWITCH DETAILS as remote, and cpnetd's timer (uplink_tick,
 * the clock warped) ages it out IPTIMEOUT minutes after it was last seen. */
TEST(controller_iptimeout_ages_remote_ip)
{
	struct fx *f = fx_new();
	struct lanbk *lan;
	struct vm *op;
	struct out o;

	REQUIRE(f);
	lan = sw_lan(f, "VSWIP");
	CHECK_EQ(ping_host(f, "LINUX01", 0x0A00, G1, H9, 1), 1);
	CHECK(iptab_entry(&lan->tab, IPT_V4, H9) != NULL);
	CHECK(iptab_entry(&lan->tab, IPT_V4, H9)->remote);
	op = cp_find_vm(&f->cp, "DTCVSW1");
	REQUIRE(op);
	out_init(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "SET VSWITCH VSWIP IPTIMEOUT 2", 29, &o), 0);
	out_reset(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "QUERY VSWITCH VSWIP DETAILS", 27, &o), 0);
	CHECK(o.buf && strstr(o.buf, "IPTimeout: 2 ") != NULL);
	CHECK(o.buf && strstr(o.buf, "Remote IP Addresses: 1  IPTimeout: 2  Learned: 1  Aged out: 0") != NULL);
	CHECK(o.buf && strstr(o.buf, "    10.9.0.2 ") != NULL);
	/* A minute and a half later: still there. */
	f->now += 90000;
	ticks(f, 1);
	CHECK(iptab_entry(&lan->tab, IPT_V4, H9) != NULL);
	/* Two minutes after the host was last heard from: gone. */
	f->now += 30000;
	ticks(f, 1);
	CHECK(iptab_entry(&lan->tab, IPT_V4, H9) == NULL);
	out_reset(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "QUERY VSWITCH VSWIP DETAILS", 27, &o), 0);
	CHECK(o.buf && strstr(o.buf, "Remote IP Addresses: 0  IPTimeout: 2  Learned: 1  Aged out: 1") != NULL);
	/* The host talks again: learned again; traffic still flows. */
	CHECK_EQ(ping_host(f, "LINUX01", 0x0A00, G1, H9, 1), 1);
	CHECK_EQ(lan->st.remote_learned, 2u);
	out_free(&o);
	fx_free(f);
}

/* RDEVICE ... RINGS n reaches the OSA, and QUERY OSA DETAILS shows its receive rings:
 * after the host pinged LINUX01, its address is a destination bound to a hardware ring
 * and the echo replies are counted there. */
TEST(controller_query_osa_details_shows_receive_rings)
{
	static const char txt[] =
		"RDEVICE 0A00 TYPE OSA BACKEND MEM upr0 RINGS 2\n"
		"DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER DTCVSW1 IP\n"
		"MODIFY VSWITCH VSWIP GRANT LINUX01\n"
		"AUTOLOG DTCVSW1 LINUX01\n";
	struct fx *f = fx_new_cfg(txt, sizeof(txt) - 1);
	struct vm *op;
	struct out o;

	REQUIRE(f);
	ticks(f, 4);
	CHECK_EQ(uplink_find_osa(f->cp.up, 0x0A00)->osa->rx.nhw, 2);
	CHECK_EQ(ping_host(f, "LINUX01", 0x0A00, G1, H9, 3), 3);
	op = cp_find_vm(&f->cp, "DTCVSW1");
	REQUIRE(op);
	out_init(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "QUERY OSA DETAILS", 17, &o), 0);
	CHECK(o.buf && strstr(o.buf, "OSA  0A00 ATTACHED TO DTCVSW1 ") != NULL);
	CHECK(o.buf && strstr(o.buf, "     0A02 RX RINGS: HARDWARE 2 SOFTWARE 4 QUANTUM 1536 BINDS 1 "
			      "REBINDS 0 UNTRACKED 0") != NULL);
	CHECK(o.buf && strstr(o.buf, "     0A02 RX STORAGE: ") != NULL);
	CHECK(o.buf && strstr(o.buf, " FRAME 1536 COPIED 0 NO STORAGE 0") != NULL);
	CHECK(o.buf && strstr(o.buf, "     0A02 RING 00 DEFAULT  BOUND BROADCAST/MULTICAST") != NULL);
	CHECK(o.buf && strstr(o.buf, "     0A02 RING 05 HARDWARE BOUND 10.9.0.1 VLAN 0") != NULL);
	CHECK(o.buf && strstr(o.buf, "     0A02 RING 06 HARDWARE BOUND NONE") != NULL);
	CHECK(o.buf && strstr(o.buf, " QUEUED 0 DROPS 0 (FRAMES 0 BYTES 0 GONE 0)") != NULL);
	CHECK(o.buf && strstr(o.buf, "     0A02 RING 07") == NULL);	/* only 2 in use */
	CHECK(o.buf && strstr(o.buf, "     0A02 DEST 10.9.0.1 VLAN 0 RING 05 LOAD ") != NULL);
	CHECK(o.buf && strstr(o.buf, " FRAMES 3 BYTES 174 DROPS 0") != NULL);
	out_reset(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "QUERY OSA BOGUS", 15, &o), 3);
	CHECK(o.buf && strstr(o.buf, "HCPCMD003E Invalid option - BOGUS") != NULL);
	out_free(&o);
	fx_free(f);
}

/* ---- the OSA's bounded address table and the miss protocol (doc/osa.md) ------------ */

/* Two guests' addresses fill each OSA's table of 2 entries at bring-up. */
static const char tab_cfg[] =
	"RDEVICE 0A00-0A02 TYPE OSA BACKEND MEM upa ADDRESSES 2\n"
	"RDEVICE 0B00-0B02 TYPE OSA BACKEND MEM upb CHPID 0B ADDR 2\n"
	"DEFINE VSWITCH VSWIP RDEV 0A00 0B00 CONTROLLER * IP\n"
	"MODIFY VSWITCH VSWIP GRANT LINUX01\n"
	"MODIFY VSWITCH VSWIP GRANT LINUX03\n"
	"AUTOLOG DTCVSW1 DTCVSW2 LINUX01 LINUX03\n";

static const uint8_t X77[4] = { 10, 9, 0, 77 }, X78[4] = { 10, 9, 0, 78 };
static const uint8_t X99[4] = { 10, 9, 0, 99 };

static struct osa *osa_at(struct fx *f, uint16_t rdev)
{
	struct up_osa *d = uplink_find_osa(f->cp.up, rdev);

	return d ? d->osa : NULL;
}

static bool osa_holds(struct fx *f, uint16_t rdev, const uint8_t ip[4])
{
	struct osa *o = osa_at(f, rdev);

	return o && atab_find(&o->at, ATAB_V4, ip) != NULL;
}

/* The host sends an echo request for `ip` to the OSA's MAC (tag: 802.1Q VLAN, 0 none). */
static void host_echo(struct fx *f, uint16_t rdev, const uint8_t ip[4], uint16_t seq,
		      uint16_t tag)
{
	uint8_t fr[160], out[160];
	size_t n = icmp(fr, osa_at(f, rdev)->mac, H9, ip, 8, 0x4242, seq);

	if (tag) {
		memcpy(out, fr, 12);
		out[12] = 0x81;
		out[13] = 0x00;
		out[14] = (uint8_t)(tag >> 8);
		out[15] = (uint8_t)tag;
		memcpy(out + 16, fr + 12, n - 12);
		wire_mem_inject(wire_of(f, rdev), out, (uint32_t)n + 4);
		return;
	}
	wire_mem_inject(wire_of(f, rdev), fr, (uint32_t)n);
}

/* A UDP datagram of `plen` payload bytes for `ip`. */
static void host_udp(struct fx *f, uint16_t rdev, const uint8_t ip[4], uint32_t plen)
{
	static uint8_t fr[1600];
	size_t n = eth(fr, osa_at(f, rdev)->mac, HOST_MAC, 0x0800);
	uint32_t tot = 20 + 8 + plen;
	uint8_t *p = fr + n;

	memset(p, 0, tot);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, H9, 4);
	memcpy(p + 16, ip, 4);
	p[20] = 0x30;		/* ports 12345 -> 9 (discard) */
	p[21] = 0x39;
	p[23] = 9;
	p[24] = (uint8_t)((8 + plen) >> 8);
	p[25] = (uint8_t)(8 + plen);
	wire_mem_inject(wire_of(f, rdev), fr, (uint32_t)(n + tot));
}

/* Frames the LAN delivered to the guest's NIC (its stack keeps one IPv4 address:
 * frames for its others reach the NIC, not its echo counters). */
static uint64_t nic_rx(struct fx *f, const char *user)
{
	struct vm *vm = cp_find_vm(&f->cp, user);

	return vm && vm->nnics ? vm->nics[0]->port->st.rx_packets : 0;
}

static uint64_t echo_rx(struct fx *f, const char *user)
{
	struct guest_if *gi = gif_of(f, user);

	return gi ? gi->stk.st.echo_req_rx : 0;
}

/* LINUX01 registers 10.9.0.77 while the OSA's table is full: the guest is not refused,
 * CP keeps it in the LAN IP table (local only) and does not push it. */
static struct fx *tab_fx_with_x77(void)
{
	struct fx *f = fx_new_cfg(tab_cfg, sizeof(tab_cfg) - 1);
	struct guest_if *gi;

	if (!f)
		return NULL;
	gi = gif_of(f, "LINUX01");
	if (!gi || guest_if_add_ip4(gi, X77, 24) != 0) {
		fx_free(f);
		return NULL;
	}
	ticks(f, 2);
	return f;
}

/* The parts of the tab_cfg fixture the tests look at. */
struct tabfx {
	struct fx *f;
	struct up_sw *s;
	struct osa *o;			/* 0A00, the active RDEV */
	struct ctlr *c1;		/* DTCVSW1, its controller */
	struct guest_if *gi;		/* LINUX01 */
};

static bool tab_open(struct tabfx *t, bool x77)
{
	struct vm *vm;

	memset(t, 0, sizeof(*t));
	t->f = x77 ? tab_fx_with_x77() : fx_new_cfg(tab_cfg, sizeof(tab_cfg) - 1);
	if (!t->f)
		return false;
	t->s = sw_of(t->f, "VSWIP");
	t->o = osa_at(t->f, 0x0A00);
	vm = cp_find_vm(&t->f->cp, "DTCVSW1");
	t->c1 = vm ? vm->ctl : NULL;
	t->gi = gif_of(t->f, "LINUX01");
	return t->s && t->o && t->c1 && t->gi && t->s->active >= 0;
}

TEST(osatab_miss_answered_from_ip_table_delivers_held_frame)
{
	struct tabfx x;
	struct fx *f;
	struct up_sw *s;
	struct osa *o;
	struct seen seen;
	uint8_t fr[128];
	uint64_t e0;
	const uint8_t *gone;
	size_t n;

	REQUIRE(tab_open(&x, true));
	f = x.f;
	s = x.s;
	o = x.o;
	CHECK_EQ(o->at.n, 2u);
	CHECK_EQ(o->at.cap, 2u);
	CHECK(osa_holds(f, 0x0A00, G1) && osa_holds(f, 0x0A00, G3));
	CHECK(!osa_holds(f, 0x0A00, X77));
	CHECK_EQ(s->st.regs_deferred, 1u);
	CHECK_EQ(iptab_local_only(&sw_lan(f, "VSWIP")->tab, IPT_V4, X77), 1);
	/* The host pings it: the OSA holds the frame, reports the miss, CP finds a
	 * started guest's address, the controller installs it (evicting one), the frame
	 * goes in. */
	e0 = echo_rx(f, "LINUX01");
	host_echo(f, 0x0A00, X77, 1, 0);
	ticks(f, 1);
	CHECK_EQ(echo_rx(f, "LINUX01"), e0 + 1);
	CHECK(osa_holds(f, 0x0A00, X77));
	CHECK_EQ(o->at.n, 2u);
	CHECK_EQ(o->at.st.evictions, 1u);
	CHECK_EQ(o->st.addr_misses, 1u);
	CHECK_EQ(o->st.miss_reported, 1u);
	CHECK_EQ(o->st.miss_installed, 1u);
	CHECK_EQ(o->st.miss_held, 1u);
	CHECK_EQ(o->st.miss_released, 1u);
	CHECK(o->st.miss_lat_max_ms < OSA_MISS_HOLD_MS);
	CHECK_EQ(s->st.miss_table, 1u);
	CHECK_EQ(s->st.miss_asked, 0u);
	CHECK_EQ(iptab_local_only(&sw_lan(f, "VSWIP")->tab, IPT_V4, X77), 0);
	/* Installed with the mask the guest registered it with (/24), not a host mask:
	 * the OSA's subnet-directed broadcast depends on it. */
	{
		const struct atab_entry *te;
		uint8_t k4[4];

		memcpy(k4, X77, 4);
		te = atab_find(&o->at, ATAB_V4, k4);
		REQUIRE(te);
		CHECK_EQ(te->mask, 0xFFFFFF00u);
	}
	/* Accepted answers never outnumber what CP sent. */
	CHECK(s->st.regs_ok + s->st.regs_failed <= s->st.regs_sent);
	/* A second frame hits. */
	host_echo(f, 0x0A00, X77, 2, 0);
	ticks(f, 1);
	CHECK_EQ(echo_rx(f, "LINUX01"), e0 + 2);
	CHECK_EQ(o->st.addr_misses, 1u);
	CHECK(o->st.addr_hits >= 1);
	/* An ARP request for the address the install evicted is answered after its own
	 * miss, with the OSA's MAC. */
	gone = osa_holds(f, 0x0A00, G1) ? G3 : G1;
	memset(&seen, 0, sizeof(seen));
	collect(wire_of(f, 0x0A00), &seen);
	memset(&seen, 0, sizeof(seen));
	n = arp(fr, 1, HOST_MAC, H9, (const uint8_t[6]){ 0 }, gone);
	wire_mem_inject(wire_of(f, 0x0A00), fr, (uint32_t)n);
	ticks(f, 1);
	collect(wire_of(f, 0x0A00), &seen);
	CHECK_EQ(seen.arp_rep, 1u);
	CHECK_MEM(seen.arp_rep_sha, o->mac, 6);
	CHECK_EQ(o->st.miss_installed, 2u);
	CHECK(osa_holds(f, 0x0A00, gone));
	fx_free(f);
}

TEST(osatab_unknown_address_dropped_counted_and_not_asked_again)
{
	struct tabfx x;
	struct fx *f;
	struct up_sw *s;
	struct osa *o;
	uint64_t d0, rx0;

	REQUIRE(tab_open(&x, false));
	f = x.f;
	s = x.s;
	o = x.o;
	d0 = o->st.rx_drop[OSA_D_NOT_MINE];
	rx0 = s->st.rx_pkts;
	/* Nobody's: not in the LAN IP table, so CP answers "unknown" itself (on layer 3
	 * every rule the controller holds came from that table: it is not asked); the
	 * held frame is discarded as "IP not registered". */
	host_echo(f, 0x0A00, X99, 1, 0);
	ticks(f, 1);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], d0 + 1);
	CHECK_EQ(s->st.miss_asked, 0u);
	CHECK_EQ(s->st.miss_unknown, 1u);
	CHECK_EQ(x.c1->st.unknown, 0u);
	CHECK_EQ(x.c1->st.resolved, 0u);
	CHECK_EQ(o->st.miss_unknown, 1u);
	CHECK_EQ(o->at.st.evictions, 0u);	/* nothing was installed for it */
	/* Within OSA_MISS_NEG_MS it is discarded without asking again ... */
	host_echo(f, 0x0A00, X99, 2, 0);
	ticks(f, 1);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], d0 + 2);
	CHECK_EQ(o->st.miss_reported, 1u);
	/* ... and asked again after it. */
	ticks(f, OSA_MISS_NEG_MS / 50 + 1);
	host_echo(f, 0x0A00, X99, 3, 0);
	ticks(f, 1);
	CHECK_EQ(o->st.miss_reported, 2u);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], d0 + 3);
	CHECK_EQ(s->st.rx_pkts, rx0);	/* nothing reached the switch */
	fx_free(f);
}

/* ARP requests from the wire for 32 invented addresses in one poll (what the memory
 * wire holds): the OSA reports
 * OSA_MISS_PER_POLL of them and discards the rest ("too many misses at once"), CP
 * answers those "unknown" itself, and the controller hears nothing of it; a guest's
 * address asked for in the next poll is still installed and answered. */
TEST(osatab_arp_flood_for_unknown_addresses_is_capped_and_never_reaches_controller)
{
	struct tabfx x;
	struct fx *f;
	struct up_sw *s;
	struct osa *o;
	struct seen seen;
	uint8_t fr[128];
	uint64_t msgs0, rate0, mine0, rep0;
	size_t n;

	REQUIRE(tab_open(&x, true));
	f = x.f;
	s = x.s;
	o = x.o;
	msgs0 = x.c1->st.msgs;
	rate0 = o->st.rx_drop[OSA_D_MISS_RATE];
	mine0 = o->st.rx_drop[OSA_D_NOT_MINE];
	for (unsigned k = 0; k < 32; k++) {
		uint8_t tpa[4] = { 10, 9, 1, (uint8_t)k };

		n = arp(fr, 1, HOST_MAC, H9, (const uint8_t[6]){ 0 }, tpa);
		CHECK_EQ(wire_mem_inject(wire_of(f, 0x0A00), fr, (uint32_t)n), 0);
	}
	uplink_poll(f->cp.up);
	CHECK_EQ(o->st.miss_reported, (uint64_t)OSA_MISS_PER_POLL);
	CHECK_EQ(o->st.rx_drop[OSA_D_MISS_RATE], rate0 + 32 - OSA_MISS_PER_POLL);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], mine0 + OSA_MISS_PER_POLL);
	CHECK_EQ(s->st.miss_unknown, (uint64_t)OSA_MISS_PER_POLL);
	CHECK_EQ(s->st.miss_asked, 0u);
	CHECK_EQ(x.c1->st.msgs, msgs0);		/* no Resolve, nothing queued */
	CHECK_EQ(x.c1->st.unknown, 0u);
	/* The next poll has its own allowance: X77 (a guest's, deferred) is installed. */
	collect(wire_of(f, 0x0A00), &seen);
	rep0 = o->st.arp_rep_tx;
	n = arp(fr, 1, HOST_MAC, H9, (const uint8_t[6]){ 0 }, X77);
	wire_mem_inject(wire_of(f, 0x0A00), fr, (uint32_t)n);
	ticks(f, 1);
	CHECK(osa_holds(f, 0x0A00, X77));
	CHECK_EQ(o->st.arp_rep_tx, rep0 + 1);
	fx_free(f);
}

TEST(osatab_miss_queue_bounded_nothing_else_lost)
{
	struct tabfx x;
	struct fx *f;
	struct up_sw *s;
	struct osa *o;
	struct ctlr *c1;
	uint64_t e0, rx0;
	unsigned held;

	REQUIRE(tab_open(&x, true));
	f = x.f;
	s = x.s;
	o = x.o;
	c1 = x.c1;
	REQUIRE(guest_if_add_ip4(x.gi, X78, 24) == 0);
	ticks(f, 2);
	/* The controller does not run for a moment: frames for 10.9.0.77 pile up.  The
	 * queue holds OSA_MISSQ of them; 4 more are counted "miss queue full". */
	ctl_stall(c1, true);
	e0 = nic_rx(f, "LINUX01");
	for (unsigned k = 0; k < OSA_MISSQ + 4; k++) {
		host_echo(f, 0x0A00, X77, (uint16_t)k, 0);
		if (k % 16 == 15)	/* a memory wire holds WIRE_MEM_SLOTS frames */
			uplink_poll(f->cp.up);
	}
	uplink_poll(f->cp.up);
	CHECK_EQ(o->st.miss_held, OSA_MISSQ);
	CHECK_EQ(o->st.rx_drop[OSA_D_MISSQ], 4u);
	CHECK_EQ(o->st.miss_reported, 1u);		/* one address, one question */
	ctl_stall(c1, false);
	ticks(f, 3);
	CHECK_EQ(nic_rx(f, "LINUX01"), e0 + OSA_MISSQ);
	CHECK_EQ(o->st.miss_released, OSA_MISSQ);
	/* The byte bound: 1400-byte datagrams for 10.9.0.78 fill OSA_MISSQ_BYTES first. */
	ctl_stall(c1, true);
	rx0 = s->st.rx_pkts;
	for (unsigned k = 0; k < 30; k++)
		host_udp(f, 0x0A00, X78, 1400);
	uplink_poll(f->cp.up);
	held = OSA_MISSQ_BYTES / (14 + 20 + 8 + 1400);
	CHECK_EQ(o->st.miss_held, OSA_MISSQ + held);
	CHECK_EQ(o->st.rx_drop[OSA_D_MISSQ], 4u + (30 - held));
	CHECK(o->held_bytes <= OSA_MISSQ_BYTES);
	ctl_stall(c1, false);
	ticks(f, 3);
	CHECK_EQ(s->st.rx_pkts, rx0 + held);
	CHECK_EQ(nic_rx(f, "LINUX01"), e0 + OSA_MISSQ + held);
	CHECK_EQ(o->held_bytes, 0u);
	/* Held too long (the controller gone quiet): discarded as not installed in time.
	 * Of LINUX01's three addresses the table of two holds at most two. */
	{
		const uint8_t *cand[3] = { X77, X78, G1 }, *out = NULL;
		uint64_t t0 = o->st.rx_drop[OSA_D_MISS_TIMEOUT];

		for (unsigned k = 0; k < 3 && !out; k++)
			if (!osa_holds(f, 0x0A00, cand[k]))
				out = cand[k];
		REQUIRE(out);
		ctl_stall(c1, true);
		e0 = nic_rx(f, "LINUX01");
		host_echo(f, 0x0A00, out, 92, 0);
		uplink_poll(f->cp.up);
		CHECK_EQ(o->held_bytes > 0, true);
		f->now += OSA_MISS_HOLD_MS + OSA_TIMER_MS;
		uplink_poll(f->cp.up);
		CHECK_EQ(o->st.rx_drop[OSA_D_MISS_TIMEOUT], t0 + 1);
		CHECK_EQ(o->held_bytes, 0u);
		CHECK_EQ(nic_rx(f, "LINUX01"), e0);
	}
	ctl_stall(c1, false);
	fx_free(f);
}

static struct out *run_cmd(struct fx *f, const char *user, const char *cmd, struct out *o)
{
	out_reset(o);
	cmd_execute(&f->cp, cp_find_vm(&f->cp, user), cmd, strlen(cmd), o);
	return o;
}

TEST(osatab_invalidation_delip_grant_force_uncouple)
{
	struct tabfx x;
	struct fx *f;
	struct up_sw *s;
	struct osa *o;
	const struct ctl_osa *co;
	uint64_t d0, a0, e0;
	struct out out;

	REQUIRE(tab_open(&x, true));
	f = x.f;
	s = x.s;
	o = x.o;
	host_echo(f, 0x0A00, X77, 1, 0);
	ticks(f, 1);
	REQUIRE(osa_holds(f, 0x0A00, X77));
	co = ctl_find_osa(x.c1, 0x0A00);
	REQUIRE(co);
	CHECK(iptab_lookup(&co->rules, IPT_V4, X77) >= 0);	/* the controller's rule */
	/* DELIP: off the OSA and out of the controller's rules; a frame for it is nobody's. */
	REQUIRE(qdrv_delip(&x.gi->drv, false, X77, 24) == 0);
	ticks(f, 2);
	CHECK(!osa_holds(f, 0x0A00, X77));
	CHECK(iptab_lookup(&co->rules, IPT_V4, X77) < 0);
	d0 = o->st.rx_drop[OSA_D_NOT_MINE];
	a0 = s->st.miss_asked;
	host_echo(f, 0x0A00, X77, 2, 0);
	ticks(f, 1);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], d0 + 1);
	CHECK_EQ(s->st.miss_asked, a0);		/* nobody's: CP answers, not the controller */
	CHECK(!osa_holds(f, 0x0A00, X77));
	/* GRANT of LINUX01 (its authorization replaced): its addresses leave the OSA and
	 * the next frame installs them again, decided with the new authorization. */
	host_echo(f, 0x0A00, G1, 3, 0);
	ticks(f, 1);
	REQUIRE(osa_holds(f, 0x0A00, G1));
	out_init(&out);
	CHECK(strstr(run_cmd(f, "DTCVSW1", "SET VSWITCH VSWIP GRANT LINUX01", &out)->buf,
		     "Command complete") != NULL);
	ticks(f, 1);
	CHECK(!osa_holds(f, 0x0A00, G1));
	CHECK(s->st.refreshes >= 1);
	e0 = nic_rx(f, "LINUX01");
	host_echo(f, 0x0A00, G1, 4, 0);
	ticks(f, 1);
	CHECK_EQ(nic_rx(f, "LINUX01"), e0 + 1);
	CHECK(osa_holds(f, 0x0A00, G1));
	/* FORCE LINUX03 (logoff, like UNCOUPLE: the port withdraws its registrations):
	 * G3 leaves the LAN IP table and the OSA; frames for it are discarded. */
	host_echo(f, 0x0A00, G3, 5, 0);
	ticks(f, 1);
	REQUIRE(osa_holds(f, 0x0A00, G3));
	cp_logoff(&f->cp, cp_find_vm(&f->cp, "LINUX03"));
	ticks(f, 2);
	CHECK(!osa_holds(f, 0x0A00, G3));
	CHECK(iptab_lookup(&sw_lan(f, "VSWIP")->tab, IPT_V4, G3) < 0);
	d0 = o->st.rx_drop[OSA_D_NOT_MINE];
	host_echo(f, 0x0A00, G3, 6, 0);
	ticks(f, 1);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], d0 + 1);
	/* REVOKE of LINUX01 (a VSWITCH keeps the connection): its addresses leave the OSA
	 * as for GRANT, to be decided again at the next frame; granted again, the next
	 * frame installs G1. */
	{
		uint64_t r0 = s->st.refreshes;

		REQUIRE(osa_holds(f, 0x0A00, G1));
		CHECK(strstr(run_cmd(f, "DTCVSW1", "SET VSWITCH VSWIP REVOKE LINUX01", &out)->buf,
			     "Command complete") != NULL);
		ticks(f, 1);
		CHECK(!osa_holds(f, 0x0A00, G1));
		CHECK(s->st.refreshes > r0);
		CHECK(strstr(run_cmd(f, "DTCVSW1", "SET VSWITCH VSWIP GRANT LINUX01", &out)->buf,
			     "Command complete") != NULL);
		ticks(f, 1);
		e0 = nic_rx(f, "LINUX01");
		host_echo(f, 0x0A00, G1, 7, 0);
		ticks(f, 1);
		CHECK_EQ(nic_rx(f, "LINUX01"), e0 + 1);
	}
	/* UNCOUPLE of LINUX01's NIC: G1 leaves the OSA the same way. */
	REQUIRE(osa_holds(f, 0x0A00, G1));
	CHECK(strstr(run_cmd(f, "LINUX01", "UNCOUPLE 0600", &out)->buf,
		     "NIC 0600 is disconnected from VSWITCH SYSTEM VSWIP") != NULL);
	ticks(f, 2);
	CHECK(!osa_holds(f, 0x0A00, G1));
	CHECK(iptab_lookup(&sw_lan(f, "VSWIP")->tab, IPT_V4, G1) < 0);
	out_free(&out);
	fx_free(f);
}

/* Controller failover: the new OSA starts empty and the new controller from what CP
 * knows: as many addresses as its table holds are pushed, the rest installed on
 * miss; every guest address is reachable through the new OSA. */
TEST(osatab_failover_rebuilds_from_cp)
{
	struct fx *f = tab_fx_with_x77();
	const uint8_t *addr[3] = { G1, G3, X77 };
	struct up_sw *s;
	struct osa *o2;
	uint64_t def0;

	REQUIRE(f);
	s = sw_of(f, "VSWIP");
	REQUIRE(s);
	host_echo(f, 0x0A00, X77, 1, 0);
	ticks(f, 1);
	REQUIRE(osa_holds(f, 0x0A00, X77));
	def0 = s->st.regs_deferred;
	/* Frames reaching the backup's wire are nobody's while it is the backup: every
	 * address is "unknown" there until it becomes active. */
	for (unsigned k = 0; k < 3; k++)
		host_echo(f, 0x0B00, addr[k], (uint16_t)(20 + k), 0);
	ticks(f, 1);
	CHECK_EQ(osa_at(f, 0x0B00)->st.miss_unknown, 3u);
	cp_logoff(&f->cp, cp_find_vm(&f->cp, "DTCVSW1"));	/* FORCE DTCVSW1 */
	ticks(f, 4);
	REQUIRE(s->active >= 0);
	CHECK_EQ(s->c[s->active].dev->rdev, 0x0B00);
	CHECK(strcmp(s->c[s->active].ctl, "DTCVSW2") == 0);
	o2 = osa_at(f, 0x0B00);
	REQUIRE(o2);
	CHECK_EQ(o2->at.n, 2u);				/* its table's worth pushed */
	CHECK_EQ(s->st.regs_deferred, def0 + 1);	/* the third waits for a frame */
	for (unsigned k = 0; k < 3; k++) {
		uint64_t r0 = nic_rx(f, addr[k] == G3 ? "LINUX03" : "LINUX01");

		host_echo(f, 0x0B00, addr[k], (uint16_t)(10 + k), 0);
		ticks(f, 1);
		CHECK_EQ(nic_rx(f, addr[k] == G3 ? "LINUX03" : "LINUX01"), r0 + 1);
	}
	CHECK(o2->st.miss_installed >= 1);	/* each install may evict the next one asked */
	fx_free(f);
}

/* Eligibility: on a VLAN-aware switch LINUX01 is an access port of VLAN 10; a frame
 * for its address tagged VLAN 20 does not install it (not eligible), VLAN 10 does. */
TEST(osatab_miss_not_eligible_for_another_vlan)
{
	static const char txt[] =
		"RDEVICE 0A00-0A02 TYPE OSA BACKEND MEM upv ADDRESSES 1\n"
		"DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER DTCVSW1 IP VLAN 10\n"
		"MODIFY VSWITCH VSWIP GRANT LINUX01 VLAN 10\n"
		"MODIFY VSWITCH VSWIP GRANT LINUX03 VLAN 10\n"
		"AUTOLOG DTCVSW1 LINUX01 LINUX03\n";
	struct fx *f = fx_new_cfg(txt, sizeof(txt) - 1);
	struct up_sw *s;
	struct osa *o;
	const uint8_t *out;
	const char *owner;
	uint64_t r0, d0;
	struct out cmd;

	REQUIRE(f);
	ticks(f, 2);
	s = sw_of(f, "VSWIP");
	o = osa_at(f, 0x0A00);
	REQUIRE(s && o && s->active >= 0);
	CHECK_EQ(o->at.n, 1u);
	out = osa_holds(f, 0x0A00, G1) ? G3 : G1;
	owner = out == G1 ? "LINUX01" : "LINUX03";
	d0 = o->st.rx_drop[OSA_D_NOT_MINE];
	r0 = nic_rx(f, owner);
	host_echo(f, 0x0A00, out, 1, 20);
	ticks(f, 1);
	CHECK_EQ(s->st.miss_refused, 1u);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], d0 + 1);
	CHECK(!osa_holds(f, 0x0A00, out));
	CHECK_EQ(nic_rx(f, owner), r0);
	/* An eligible frame is not held back by that answer for long: after
	 * OSA_MISS_NEG_MS it is asked again, and installed. */
	ticks(f, OSA_MISS_NEG_MS / 50 + 1);
	host_echo(f, 0x0A00, out, 2, 10);
	ticks(f, 1);
	CHECK(osa_holds(f, 0x0A00, out));
	CHECK_EQ(nic_rx(f, owner), r0 + 1);
	CHECK_EQ(s->st.miss_table, 1u);
	/* A VLAN change of the switch (untagged frames from the uplink now VLAN 10):
	 * what the OSA holds is decided again, and an untagged frame now installs it. */
	out_init(&cmd);
	CHECK(strstr(run_cmd(f, "DTCVSW1", "SET VSWITCH VSWIP VLANID 10 NATIVE 10", &cmd)->buf,
		     "Command complete") != NULL);
	out_free(&cmd);
	ticks(f, 1);
	CHECK(s->st.refreshes >= 1);
	CHECK(!osa_holds(f, 0x0A00, out));
	host_echo(f, 0x0A00, out, 3, 0);
	ticks(f, 1);
	CHECK(osa_holds(f, 0x0A00, out));
	CHECK_EQ(nic_rx(f, owner), r0 + 2);
	fx_free(f);
}

/* Table pressure: HCPSWU9325W once per PRESSURE_MS; QUERY VSWITCH DETAILS and QUERY OSA
 * DETAILS show the table and the misses. */
TEST(osatab_pressure_message_and_query)
{
	struct fx *f = tab_fx_with_x77();
	struct out out;
	const char *p;
	unsigned said = 0;

	REQUIRE(f);
	host_echo(f, 0x0A00, X77, 1, 0);
	ticks(f, 2);
	CHECK(strstr(f->console, "HCPSWU9325W The address table of device 0A00.P00 of VSWITCH "
			     "SYSTEM VSWIP is full (2 entries): 1 addresses evicted, 1 "
			     "installed on demand since the last report.") != NULL);
	/* More evictions within the minute: no second message. */
	host_echo(f, 0x0A00, G1, 2, 0);
	host_echo(f, 0x0A00, G3, 3, 0);
	ticks(f, 2);
	for (p = f->console; (p = strstr(p, "HCPSWU9325W")) != NULL; p++)
		said++;
	CHECK_EQ(said, 1u);
	out_init(&out);
	run_cmd(f, "DTCVSW1", "QUERY VSWITCH VSWIP DETAILS", &out);
	CHECK(out.buf && strstr(out.buf, "    Address Table: 2 of 2  Hits: ") != NULL);
	CHECK(out.buf && strstr(out.buf, "    Misses Reported: ") != NULL);
	CHECK(out.buf && strstr(out.buf, "  Miss Latency: avg 0 ms  max 0 ms") != NULL);
	CHECK(out.buf && strstr(out.buf, "    Miss Answers: ") != NULL);
	CHECK(out.buf && strstr(out.buf, " from the IP table  0 asked the controller (0 installed)"
				 "  0 not eligible  0 unknown  Deferred: 1  Refreshed: 0") != NULL);
	run_cmd(f, "DTCVSW1", "QUERY OSA DETAILS", &out);
	CHECK(out.buf && strstr(out.buf, "     Address Table: 2 of 2  Hits: ") != NULL);
	CHECK(out.buf && strstr(out.buf, "Miss Answers") == NULL);	/* CP's, not the OSA's */
	out_free(&out);
	fx_free(f);
}

/* A port on the LAN that registers many addresses and counts what reaches each. */
struct many {
	struct port p;
	unsigned n;
	uint32_t *hits;
	uint64_t other;
};

static unsigned many_rx(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct many *m = owner;

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint8_t d[4];
		unsigned k;

		if (qdio_spans_copy(f[i].spans, f[i].nspans, 16, d, 4) != 4 || d[0] != 10 ||
		    d[1] != 64 || (k = (unsigned)d[2] << 8 | d[3]) >= m->n) {
			m->other++;
			continue;
		}
		m->hits[k]++;
	}
	return n;
}

static void many_ip(unsigned k, uint8_t ip[4])
{
	ip[0] = 10;
	ip[1] = 64;
	ip[2] = (uint8_t)(k >> 8);
	ip[3] = (uint8_t)k;
}

/*
 * Scale: 8,192 guest addresses on an IP VSWITCH whose OSA holds the default 1,024.
 * The guest side registers them all (none refused); the host sends one datagram to
 * each, 16 at a time, and every one reaches its address (most after a miss answered
 * from the LAN IP table); then the first 1,024 again, long evicted.  Printed: misses,
 * installs, evictions and the miss latency the OSA measured (its clock is the test's,
 * 1 ms a batch: the latency is in batches, here each miss resolved within the poll
 * that saw it).
 */
TEST(osatab_scale_8192_addresses_1024_entry_table)
{
	enum { N = 8192, BATCH = 16 };
	static const char txt[] =
		"RDEVICE 0A00-0A02 TYPE OSA BACKEND MEM ups\n"
		"DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER DTCVSW1 IP\n"
		"MODIFY VSWITCH VSWIP GRANT LINUX01\n"
		"AUTOLOG DTCVSW1 LINUX01\n";
	struct fx *f = fx_new_cfg(txt, sizeof(txt) - 1);
	struct many *m = calloc(1, sizeof(*m));
	struct paddr a;
	struct lanbk *lan;
	struct up_sw *s;
	struct osa *o;
	unsigned reached = 0, again = 0;

	REQUIRE(f && m);
	m->n = N;
	m->hits = calloc(N, sizeof(*m->hits));
	REQUIRE(m->hits);
	lan = sw_lan(f, "VSWIP");
	s = sw_of(f, "VSWIP");
	o = osa_at(f, 0x0A00);
	REQUIRE(lan && s && o && s->active >= 0);
	CHECK_EQ(o->at.cap, ATAB_DEFAULT);
	m->p.rx = many_rx;
	m->p.owner = m;
	REQUIRE(lan_attach_port(lan, &m->p, "LINUX01", 0x0700, 0, NULL) > 0);
	memset(&a, 0, sizeof(a));
	a.op = PA_LAYER;
	a.value = 3;
	CHECK_EQ(port_addr(&m->p, &a), 0);
	a.op = PA_STARTLAN;
	CHECK_EQ(port_addr(&m->p, &a), 0);
	for (unsigned k = 0; k < N; k++) {
		memset(&a, 0, sizeof(a));
		a.op = PA_SETIP;
		many_ip(k, a.ip);
		memset(a.mask, 0xFF, 4);
		CHECK_EQ(port_addr(&m->p, &a), 0);	/* never refused */
		if (k % 64 == 63)
			ticks(f, 1);
	}
	ticks(f, 2);
	CHECK_EQ(o->at.n, ATAB_DEFAULT);
	CHECK(s->st.regs_deferred >= N - ATAB_DEFAULT);
	for (unsigned k = 0; k < N + ATAB_DEFAULT; k++) {
		uint8_t ip[4];

		many_ip(k % N, ip);
		host_udp(f, 0x0A00, ip, 18);
		if (k % BATCH == BATCH - 1) {
			f->now += 1;
			uplink_poll(f->cp.up);
		}
		if (k == N - 1) {
			for (unsigned j = 0; j < N; j++)
				reached += m->hits[j] > 0;
		}
	}
	uplink_poll(f->cp.up);
	for (unsigned j = 0; j < ATAB_DEFAULT; j++)
		again += m->hits[j] > 1;
	CHECK_EQ(reached, (unsigned)N);
	CHECK_EQ(again, ATAB_DEFAULT);
	CHECK_EQ(m->other, 0u);
	CHECK_EQ(o->at.n, ATAB_DEFAULT);
	CHECK(o->st.miss_installed >= N - ATAB_DEFAULT);
	CHECK_EQ(o->st.rx_drop[OSA_D_MISSQ], 0u);
	CHECK_EQ(o->st.rx_drop[OSA_D_MISS_TIMEOUT], 0u);
	CHECK_EQ(o->st.rx_drop[OSA_D_NOT_MINE], 0u);
	printf("    scale: %u addresses, table %u: %" PRIu64 " frames, %" PRIu64 " hits, %" PRIu64
	       " misses, %" PRIu64 " installs on miss, %" PRIu64 " evictions, miss latency avg %"
	       PRIu64 " ms max %" PRIu64 " ms (clock: 1 ms per %u frames)\n", (unsigned)N,
	       o->at.cap, o->st.rx_frames, o->st.addr_hits, o->st.addr_misses,
	       o->st.miss_installed, o->at.st.evictions,
	       o->st.miss_installed ? o->st.miss_lat_sum_ms / o->st.miss_installed : 0,
	       o->st.miss_lat_max_ms, (unsigned)BATCH);
	lan_detach_port(lan, &m->p);
	free(m->hits);
	free(m);
	fx_free(f);
}

/* Layer 2: the ETHERNET switch's OSA holds 1 MAC, the adapter's own (the controller's
 * bring-up registered it).  The guest's MAC, kept by CP, is installed by the first
 * frame for it; a frame for the adapter's own MAC then misses too, and as CP's LAN
 * table does not know it, the controller answers from its rules. */
TEST(osatab_ethernet_miss_installs_guest_mac)
{
	static const char txt[] =
		"RDEVICE 0C00 TYPE OSA BACKEND MEM upl ADDRESSES 1\n"
		"DEFINE VSWITCH VSWL2 RDEV 0C00 CONTROLLER DTCVSW2 ETHERNET\n"
		"MODIFY VSWITCH VSWL2 GRANT LINUX02\n"
		"AUTOLOG DTCVSW2 LINUX02\n";
	struct fx *f = fx_new_cfg(txt, sizeof(txt) - 1);
	struct up_sw *s;
	struct osa *o;
	struct vm *vm, *c2;
	uint8_t fr[128];
	uint64_t r0, rx0;
	size_t n;

	REQUIRE(f);
	ticks(f, 2);
	s = sw_of(f, "VSWL2");
	o = osa_at(f, 0x0C00);
	vm = cp_find_vm(&f->cp, "LINUX02");
	c2 = cp_find_vm(&f->cp, "DTCVSW2");
	REQUIRE(s && o && vm && c2 && c2->ctl && s->active >= 0);
	CHECK_EQ(o->at.n, 1u);
	CHECK(atab_find(&o->at, ATAB_MAC, o->mac) != NULL);
	CHECK(atab_find(&o->at, ATAB_MAC, vm->nics[0]->mac) == NULL);
	CHECK_EQ(s->st.regs_deferred, 1u);
	r0 = nic_rx(f, "LINUX02");
	n = icmp(fr, vm->nics[0]->mac, H8, G2, 8, 1, 1);
	wire_mem_inject(wire_of(f, 0x0C00), fr, (uint32_t)n);
	ticks(f, 1);
	CHECK_EQ(nic_rx(f, "LINUX02"), r0 + 1);
	CHECK(atab_find(&o->at, ATAB_MAC, vm->nics[0]->mac) != NULL);
	CHECK(atab_find(&o->at, ATAB_MAC, o->mac) == NULL);	/* evicted */
	CHECK_EQ(s->st.miss_table, 1u);
	/* The adapter's own MAC: asked of the controller, installed from its rules (the
	 * frame is the switch's to handle: a unicast nobody on the LAN has). */
	rx0 = s->st.rx_pkts;
	n = icmp(fr, o->mac, H8, G2, 8, 1, 2);
	wire_mem_inject(wire_of(f, 0x0C00), fr, (uint32_t)n);
	ticks(f, 1);
	CHECK_EQ(s->st.miss_asked, 1u);
	CHECK_EQ(c2->ctl->st.resolved, 1u);
	CHECK(atab_find(&o->at, ATAB_MAC, o->mac) != NULL);
	CHECK_EQ(o->st.miss_installed, 2u);
	CHECK_EQ(s->st.rx_pkts, rx0 + 1);
	/* The controller's Result for the Resolve is counted as the miss's answer, not as
	 * an accepted registration: QUERY's "accepted" never exceeds "sent" (it did). */
	CHECK_EQ(s->st.miss_resolved, 1u);
	CHECK(s->st.regs_ok + s->st.regs_failed <= s->st.regs_sent);
	CHECK_EQ(s->st.regs_ok, s->st.regs_sent);	/* every Register answered, none lost */
	fx_free(f);
}
