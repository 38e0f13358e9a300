/* tests/unit/test_uplink.c - the VSWITCH uplink's data path (cp/uplink.c over the driver
 * side's span sends and batched receive): copy-once, one port_tx / one flush per batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/cmds.h"
#include "controller/controller.h"
#include "cp/config.h"
#include "cp/cp.h"
#include "cp/uplink.h"
#include "lib/be.h"
#include "lib/csum.h"
#include "osa/osa.h"
#include "osa/wire.h"
#include "qeth/qhdr.h"
#include "tests/tcheck.h"

/*
 * cpnetd without sockets: an ETHERNET VSWITCH with two RDEVs (memory wires whose far
 * end is the test), two controllers, two guests.  A spy sits between the uplink port
 * and the switch and records every port_tx: how many calls, how many frames, and
 * whether each frame's bytes are still in the controller's storage (the input SBAL
 * pages CP's data device owns) rather than in a staging copy.
 */
static const char cfg_text[] =
	"RDEVICE 0C00 TYPE OSA BACKEND MEM upc\n"
	"RDEVICE 0D00 TYPE OSA BACKEND MEM upd\n"
	"DEFINE VSWITCH VSWE RDEV 0C00 0D00 CONTROLLER * ETHERNET\n"
	"MODIFY VSWITCH VSWE GRANT LINUX01\n"
	"MODIFY VSWITCH VSWE GRANT LINUX02\n"
	"AUTOLOG DTCVSW1 DTCVSW2 LINUX01 LINUX02\n";

static const char dir_text[] =
	"USER DTCVSW1 NOLOG 64M 64M BG\n"
	"  CONTROLLER\n"
	"USER DTCVSW2 NOLOG 64M 64M BG\n"
	"  CONTROLLER\n"
	"USER LINUX01 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWE\n"
	"  IPADDR 0600 10.8.0.1/24\n"
	"USER LINUX02 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWE\n"
	"  IPADDR 0600 10.8.0.2/24\n";

static const uint8_t HOST_MAC[6] = { 0x02, 0xAA, 0, 0, 0, 0x02 };

struct ufx {
	struct cp cp;
	uint64_t now;
	struct up_sw *sw;
	/* What LINUX01's driver received (its stack is bypassed). */
	unsigned rx;
	uint8_t last[256];
	uint32_t last_len;
};

static uint64_t ufx_clock(void *ctx)
{
	return ((struct ufx *)ctx)->now;
}

static void ufx_ticks(struct ufx *f, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		f->now += 50;
		uplink_tick(f->cp.up);
		uplink_poll(f->cp.up);
		cp_poll_guests(&f->cp);
		uplink_poll(f->cp.up);
	}
}

static void g1_rx(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct ufx *f = ctx;

	(void)qh;
	f->rx++;
	f->last_len = len;
	memcpy(f->last, data, len < sizeof(f->last) ? len : sizeof(f->last));
}

static struct vm *vm_of(struct ufx *f, const char *user)
{
	return cp_find_vm(&f->cp, user);
}

static struct qdrv *drv_of(struct ufx *f, const char *user)
{
	struct vm *vm = vm_of(f, user);

	return vm && vm->nnics ? &vm->nics[0]->gif->drv : NULL;
}

static struct wire *uwire(struct ufx *f, uint16_t rdev)
{
	struct up_osa *d = uplink_find_osa(f->cp.up, rdev);

	return d && d->osa ? &d->osa->wire : NULL;
}

static struct ufx *ufx_new(void)
{
	struct ufx *f = calloc(1, sizeof(*f));
	struct out o;
	struct qdrv *g1;

	if (!f)
		return NULL;
	f->now = 1000000;
	cp_init(&f->cp, 11);
	f->cp.up->clock_ms = ufx_clock;
	f->cp.up->clock_ctx = f;
	out_init(&o);
	if (config_parse(&f->cp, "sys.cfg", cfg_text, sizeof(cfg_text) - 1, &o) ||
	    dir_parse(&f->cp.dir, "user.direct", dir_text, sizeof(dir_text) - 1, &o)) {
		fprintf(stderr, "%.*s", (int)o.len, o.buf);
		out_free(&o);
		cp_free(&f->cp);
		free(f);
		return NULL;
	}
	config_autolog(&f->cp, &o);
	out_free(&o);
	ufx_ticks(f, 6);
	f->sw = uplink_find_sw(f->cp.up, lan_find(&f->cp.lans, "SYSTEM", "VSWE"));
	g1 = drv_of(f, "LINUX01");
	if (!f->sw || f->sw->active < 0 || !g1) {
		cp_free(&f->cp);
		free(f);
		return NULL;
	}
	g1->cfg.rx = g1_rx;
	g1->cfg.rx_ctx = f;
	return f;
}

static void ufx_free(struct ufx *f)
{
	cp_free(&f->cp);
	free(f);
}

/* ---- the spy on the uplink port ------------------------------------------------------- */

struct spy {
	const struct port_ops *ops;	/* the switch's, called after recording */
	const struct gstor *gs;		/* the active controller's storage */
	unsigned calls, frames, in_place, max_n;
};

static struct spy the_spy;

static bool in_storage(const struct gstor *gs, const struct qdio_span *sp, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (sp[k].ptr < gs->base || sp[k].ptr + sp[k].len > gs->base + gs->size)
			return false;
	return n > 0;
}

static void spy_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	the_spy.calls++;
	the_spy.frames += n;
	if (n > the_spy.max_n)
		the_spy.max_n = n;
	for (unsigned i = 0; i < n; i++)
		if (in_storage(the_spy.gs, f[i].spans, f[i].nspans))
			the_spy.in_place++;
	the_spy.ops->tx(peer, from, f, n);
}

static uint16_t spy_addr(void *peer, struct port *from, const struct paddr *a)
{
	return the_spy.ops->addr(peer, from, a);
}

static const struct port_ops spy_ops = { spy_tx, spy_addr };

static void spy_on(struct ufx *f)
{
	struct vm *ctl = vm_of(f, f->sw->c[f->sw->active].ctl);

	memset(&the_spy, 0, sizeof(the_spy));
	the_spy.ops = f->sw->port.ops;
	the_spy.gs = &ctl->ctl->g.gs;
	f->sw->port.ops = &spy_ops;
}

static void spy_off(struct ufx *f)
{
	if (f->sw->port.ops == &spy_ops)
		f->sw->port.ops = the_spy.ops;
}

static uint32_t mkframe(uint8_t *b, const uint8_t dst[6], const uint8_t src[6], uint32_t len,
			uint8_t seed)
{
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	b[12] = 0x88;
	b[13] = 0xB5;
	for (uint32_t k = 14; k < len; k++)
		b[k] = (uint8_t)(seed + k);
	return len;
}

/* ---- tests ------------------------------------------------------------------------------ */

TEST(uplink_inbound_one_port_tx_per_poll_in_place)
{
	struct ufx *f = ufx_new();
	struct vm *g1;
	struct wire *w;
	uint8_t fr[128];
	uint64_t b0, p0;

	CHECK(f != NULL);
	g1 = vm_of(f, "LINUX01");
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	CHECK(w != NULL);
	/* The wire reader naps on its timer (no doorbell while it polls a TAP): the
	 * defaults without a ring's doorbell-ended naps (lib/adapt.h). */
	CHECK(!f->sw->c[f->sw->active].dev->rxa.cfg.nap_bell);
	CHECK_EQ(f->sw->c[f->sw->active].dev->rxa.cfg.nap_max_ns, ADAPT_NAP_MAX_NS);
	CHECK_EQ(f->sw->c[f->sw->active].dev->rxa.cfg.busy_min, 0u);
	for (unsigned k = 0; k < 20; k++)
		CHECK_EQ(wire_mem_inject(w, fr, mkframe(fr, g1->nics[0]->mac, HOST_MAC, 60 + k,
							(uint8_t)k)), 0);
	b0 = f->sw->st.rx_batches;
	p0 = f->sw->st.rx_pkts;
	spy_on(f);
	uplink_poll(f->cp.up);
	spy_off(f);
	/* 20 frames from the wire: one port_tx into the switch, every payload still in
	 * the input SBAL pages of CP's data device (the controller's storage). */
	CHECK_EQ(the_spy.calls, 1u);
	CHECK_EQ(the_spy.frames, 20u);
	CHECK_EQ(the_spy.in_place, 20u);
	CHECK_EQ(f->sw->st.rx_batches, b0 + 1);
	CHECK_EQ(f->sw->st.rx_pkts, p0 + 20);
	/* And the guest got all of them, byte for byte (the switch's one copy). */
	cp_poll_guests(&f->cp);
	CHECK_EQ(f->rx, 20u);
	CHECK_EQ(f->last_len, 79u);
	mkframe(fr, g1->nics[0]->mac, HOST_MAC, 79, 19);
	CHECK_MEM(f->last, fr, 79);
	/* Nothing more arrives: no empty batch is handed to the switch. */
	spy_on(f);
	uplink_poll(f->cp.up);
	spy_off(f);
	CHECK_EQ(the_spy.calls, 0u);
	ufx_free(f);
}

TEST(uplink_inbound_bad_header_discarded_rest_delivered)
{
	/* The batch decoder drops only the packet whose qeth header is bad. */
	struct ufx *f = ufx_new();
	struct qdrv *d;
	struct qdrv_rxpkt p[3];
	uint8_t a[64], b[64];
	struct qdio_span sa = { a, 64 }, sb = { b, 64 };
	struct vm *g1;
	uint64_t disc0, pk0;

	CHECK(f != NULL);
	g1 = vm_of(f, "LINUX01");
	d = f->sw->c[f->sw->active].data;
	CHECK(d->cfg.rxv != NULL);
	CHECK(d->cfg.rx == NULL);
	memset(p, 0, sizeof(p));
	mkframe(a, g1->nics[0]->mac, HOST_MAC, 64, 1);
	mkframe(b, g1->nics[0]->mac, HOST_MAC, 64, 2);
	for (int k = 0; k < 3; k++) {
		struct qhdr h;

		memset(&h, 0, sizeof(h));
		h.id = QHDR_ID_L2;
		h.l2.flags2 = QHDR_L2_UCAST;
		h.l2.pkt_len = 64;
		CHECK_EQ(qhdr_encode(&h, p[k].qhdr, sizeof(p[k].qhdr)), QHDR_SIZE);
		p[k].len = 64;
		p[k].nspans = 1;
		p[k].spans = k == 2 ? &sb : &sa;
	}
	p[1].qhdr[0] = 0x7E;			/* no such header id */
	disc0 = f->sw->st.rx_discards;
	pk0 = f->sw->st.rx_pkts;
	memset(&the_spy, 0, sizeof(the_spy));
	the_spy.ops = f->sw->port.ops;
	the_spy.gs = &vm_of(f, "LINUX01")->guest->gs;	/* not in place: test memory */
	f->sw->port.ops = &spy_ops;
	d->cfg.rxv(d->cfg.rx_ctx, p, 3);
	spy_off(f);
	CHECK_EQ(the_spy.calls, 1u);
	CHECK_EQ(the_spy.frames, 2u);
	CHECK_EQ(f->sw->st.rx_discards, disc0 + 1);
	CHECK_EQ(f->sw->st.rx_pkts, pk0 + 2);
	cp_poll_guests(&f->cp);
	CHECK_EQ(f->rx, 2u);
	CHECK_MEM(f->last, b, 64);
	ufx_free(f);
}

TEST(uplink_outbound_batch_one_flush_exact_bytes)
{
	struct ufx *f = ufx_new();
	struct qdrv *g1d, *d;
	struct vm *g1;
	struct wire *w;
	uint8_t fr[16][128], got[256];
	uint64_t fl0, tx0, sg0;
	int n;

	CHECK(f != NULL);
	g1 = vm_of(f, "LINUX01");
	g1d = drv_of(f, "LINUX01");
	d = f->sw->c[f->sw->active].data;
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	while (wire_mem_collect(w, got, sizeof(got)) > 0)
		;
	fl0 = f->sw->st.tx_batches;
	tx0 = f->sw->st.tx_pkts;
	sg0 = d->st.tx_sigas;
	/* 12 frames for a host on the wire, primed by the guest with one SIGA (one SBAL). */
	for (unsigned k = 0; k < 12; k++)
		CHECK_EQ(qdrv_send_l2(g1d, fr[k], mkframe(fr[k], HOST_MAC, g1->nics[0]->mac,
							  64 + 4 * k, (uint8_t)(0x40 + k))), 0);
	CHECK(qdrv_flush(g1d) > 0);
	uplink_poll(f->cp.up);
	/* One flush of CP's data device for the batch, at most one SIGA. */
	CHECK_EQ(f->sw->st.tx_batches, fl0 + 1);
	CHECK_EQ(f->sw->st.tx_pkts, tx0 + 12);
	CHECK(d->st.tx_sigas - sg0 <= 1);
	for (unsigned k = 0; k < 12; k++) {
		n = wire_mem_collect(w, got, sizeof(got));
		CHECK_EQ(n, (int)(64 + 4 * k));
		CHECK_MEM(got, fr[k], (size_t)n);
	}
	CHECK(wire_mem_collect(w, got, sizeof(got)) < 0);
	ufx_free(f);
}

TEST(uplink_outbound_spans_sent_as_is_trimmed_or_refused)
{
	/* Frames the switch hands the uplink port as span lists (a VLAN tag insertion or
	 * a multi-element guest buffer looks like this): the bytes reach the wire in
	 * order, extra bytes past `len` are not sent, short or empty frames are not. */
	struct ufx *f = ufx_new();
	struct wire *w;
	uint8_t whole[128], got[256], pad[90], many[80];
	struct qdio_span s3[3], s2[2], sshort[1], s40[40];
	struct pframe pf[5];
	uint64_t err0, disc0;
	int n;

	CHECK(f != NULL);
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	while (wire_mem_collect(w, got, sizeof(got)) > 0)
		;
	mkframe(whole, HOST_MAC, HOST_MAC, 100, 7);
	/* A: 100 bytes in three pieces. */
	s3[0] = (struct qdio_span){ whole, 14 };
	s3[1] = (struct qdio_span){ whole + 14, 36 };
	s3[2] = (struct qdio_span){ whole + 50, 50 };
	/* B: 70 bytes wanted from spans holding 100 (60 + 40): the tail is cut. */
	s2[0] = (struct qdio_span){ whole, 60 };
	s2[1] = (struct qdio_span){ whole + 60, 40 };
	/* C: claims 90 bytes, has 50. */
	memcpy(pad, whole, sizeof(pad));
	sshort[0] = (struct qdio_span){ pad, 50 };
	/* E: 40 two-byte spans, 79 bytes wanted: the cut needs more than QDRV_TX_SPANS. */
	mkframe(many, HOST_MAC, HOST_MAC, 80, 9);
	for (unsigned k = 0; k < 40; k++)
		s40[k] = (struct qdio_span){ many + 2 * k, 2 };
	memset(pf, 0, sizeof(pf));
	for (int k = 0; k < 5; k++)
		pf[k].kind = PF_ETH;
	pf[0].spans = s3, pf[0].nspans = 3, pf[0].len = 100;
	pf[1].spans = s2, pf[1].nspans = 2, pf[1].len = 70;
	pf[2].spans = sshort, pf[2].nspans = 1, pf[2].len = 90;
	pf[3].spans = s3, pf[3].nspans = 3, pf[3].len = 0;
	pf[4].spans = s40, pf[4].nspans = 40, pf[4].len = 79;
	err0 = f->sw->st.tx_errors;
	disc0 = f->sw->st.tx_discards;
	CHECK_EQ(port_deliver(&f->sw->port, pf, 5), 2u);
	CHECK_EQ(f->sw->st.tx_errors, err0 + 2);	/* C and E */
	CHECK_EQ(f->sw->st.tx_discards, disc0 + 1);	/* D */
	n = wire_mem_collect(w, got, sizeof(got));
	CHECK_EQ(n, 100);
	CHECK_MEM(got, whole, 100);
	n = wire_mem_collect(w, got, sizeof(got));
	CHECK_EQ(n, 70);
	CHECK_MEM(got, whole, 70);
	CHECK(wire_mem_collect(w, got, sizeof(got)) < 0);
	/* The same 80 bytes in 40 spans, sent whole, need no cut and go out. */
	pf[4].len = 80;
	CHECK_EQ(port_deliver(&f->sw->port, &pf[4], 1), 1u);
	n = wire_mem_collect(w, got, sizeof(got));
	CHECK_EQ(n, 80);
	CHECK_MEM(got, many, 80);
	ufx_free(f);
}

TEST(uplink_failover_keeps_batched_copy_free_path)
{
	struct ufx *f = ufx_new();
	struct vm *g1;
	struct wire *w;
	uint8_t fr[128], got[256];
	struct qdrv *d;
	const char *old_ctl;

	CHECK(f != NULL);
	g1 = vm_of(f, "LINUX01");
	old_ctl = f->sw->c[f->sw->active].ctl;
	CHECK(strcmp(old_ctl, "DTCVSW1") == 0);
	ufx_ticks(f, 2);			/* the backup is READY */
	cp_logoff(&f->cp, vm_of(f, "DTCVSW1"));
	CHECK(f->sw->active >= 0);
	CHECK(strcmp(f->sw->c[f->sw->active].ctl, "DTCVSW2") == 0);
	d = f->sw->c[f->sw->active].data;
	CHECK(d->cfg.rxv != NULL && d->cfg.rx_ctx == f->sw);
	ufx_ticks(f, 3);			/* the guest's MAC registered at the new OSA */
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	for (unsigned k = 0; k < 5; k++)
		CHECK_EQ(wire_mem_inject(w, fr, mkframe(fr, g1->nics[0]->mac, HOST_MAC, 64,
							(uint8_t)k)), 0);
	f->rx = 0;
	spy_on(f);
	uplink_poll(f->cp.up);
	spy_off(f);
	CHECK_EQ(the_spy.calls, 1u);
	CHECK_EQ(the_spy.frames, 5u);
	CHECK_EQ(the_spy.in_place, 5u);
	cp_poll_guests(&f->cp);
	CHECK_EQ(f->rx, 5u);
	/* Outbound through the new OSA too. */
	while (wire_mem_collect(w, got, sizeof(got)) > 0)
		;
	CHECK_EQ(qdrv_send_l2(drv_of(f, "LINUX01"), fr,
			      mkframe(fr, HOST_MAC, g1->nics[0]->mac, 64, 3)), 0);
	CHECK(qdrv_flush(drv_of(f, "LINUX01")) > 0);
	uplink_poll(f->cp.up);
	CHECK_EQ(wire_mem_collect(w, got, sizeof(got)), 64);
	CHECK_MEM(got, fr, 64);
	ufx_free(f);
}

/* SET VSWITCH DISCONNECT: the uplink carries nothing once the command has answered (it
 * waited for the next tick before: frames crossed, QUERY said Disconnected beside an
 * ACTIVE RDEV); CONNECT brings it back. */
TEST(uplink_disconnect_stops_the_uplink_when_the_command_answers)
{
	struct ufx *f = ufx_new();
	struct vm *g1, *op;
	struct wire *w;
	uint8_t fr[128], got[256];
	struct out o;

	CHECK(f != NULL);
	g1 = vm_of(f, "LINUX01");
	op = vm_of(f, "DTCVSW1");	/* class B */
	REQUIRE(g1 && op);
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	REQUIRE(w);
	out_init(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "SET VSWITCH VSWE DISCONNECT", 27, &o), 0);
	out_free(&o);
	CHECK(f->sw->active < 0);
	/* From the wire: nothing reaches the guest. */
	f->rx = 0;
	CHECK_EQ(wire_mem_inject(w, fr, mkframe(fr, g1->nics[0]->mac, HOST_MAC, 64, 1)), 0);
	uplink_poll(f->cp.up);
	cp_poll_guests(&f->cp);
	CHECK_EQ(f->rx, 0u);
	/* From the guest: nothing reaches the wire. */
	while (wire_mem_collect(w, got, sizeof(got)) > 0)
		;
	CHECK_EQ(qdrv_send_l2(drv_of(f, "LINUX01"), fr, mkframe(fr, HOST_MAC, g1->nics[0]->mac, 64, 2)), 0);
	qdrv_flush(drv_of(f, "LINUX01"));
	uplink_poll(f->cp.up);
	CHECK(wire_mem_collect(w, got, sizeof(got)) < 0);	/* -EAGAIN: empty */
	/* CONNECT: up again within a few ticks, frames flow. */
	out_init(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "SET VSWITCH VSWE CONNECT", 24, &o), 0);
	out_free(&o);
	ufx_ticks(f, 6);
	CHECK(f->sw->active >= 0);
	/* DISCONNECT after another operand: at once too. */
	out_init(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "SET VSWITCH VSWE IPTIMEOUT 9 DISCONNECT", 39, &o), 0);
	out_free(&o);
	CHECK(f->sw->active < 0);
	out_init(&o);
	CHECK_EQ(cmd_execute(&f->cp, op, "SET VSWITCH VSWE CONNECT", 24, &o), 0);
	out_free(&o);
	ufx_ticks(f, 6);
	CHECK(f->sw->active >= 0);
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	REQUIRE(w);
	f->rx = 0;
	CHECK_EQ(wire_mem_inject(w, fr, mkframe(fr, g1->nics[0]->mac, HOST_MAC, 64, 3)), 0);
	uplink_poll(f->cp.up);
	cp_poll_guests(&f->cp);
	CHECK_EQ(f->rx, 1u);
	ufx_free(f);
}

/* An IPv4/TCP frame from LINUX01 to the host (12 option bytes), pay payload bytes;
 * the checksum fields are what a sender leaves when the adapter is to write them. */
static uint32_t mk_tcp(uint8_t *b, const uint8_t src[6], uint32_t pay, bool udp)
{
	uint32_t hl = udp ? 8 : 32, len = 14 + 20 + hl + pay;

	memset(b, 0, 14 + 20 + hl);
	memcpy(b, HOST_MAC, 6);
	memcpy(b + 6, src, 6);
	be_put16(b + 12, 0x0800);
	b[14] = 0x45;
	be_put16(b + 16, (uint16_t)(len - 14));
	be_put16(b + 18, 0x0777);
	b[22] = 64;
	b[23] = udp ? 17 : 6;
	memcpy(b + 26, "\x0a\x08\x00\x01\x0a\x08\x00\x63", 8);
	be_put16(b + 34, 33000);
	be_put16(b + 36, 5001);
	if (udp) {
		be_put16(b + 38, (uint16_t)(8 + pay));
	} else {
		be_put32(b + 38, 77);
		b[46] = 0x80;
		b[47] = 0x18;
		memcpy(b + 54, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	}
	for (uint32_t k = 0; k < pay; k++)
		b[14 + 20 + hl + k] = (uint8_t)(k ^ 0x5A);
	return len;
}

/* A large send of mk_tcp's frame (66 header bytes) as Linux's qeth puts it, MSS 1448. */
static bool send_tso(struct qdrv *d, const uint8_t *fr, uint32_t len)
{
	uint8_t raw[QHDR_TSO_HDR_SIZE];
	struct qdio_span sp = { fr, len };
	struct qhdr h;

	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2_TSO;
	h.l2.flags2 = QHDR_L2_UCAST;
	h.l2.pkt_len = (uint16_t)len;
	h.tso.type = QHDR_TSO_TYPE;
	h.tso.version = QHDR_TSO_VERSION;
	h.tso.mss = 1448;
	h.tso.proto_hlen = 66;
	h.tso.payload_len = len - 66;
	return qhdr_encode(&h, raw, sizeof(raw)) == QHDR_TSO_HDR_SIZE &&
	       qdrv_sendv_hdr(d, raw, QHDR_TSO_HDR_SIZE, &sp, 1, len) == 0 && qdrv_flush(d) > 0;
}

/* What guests leave to the adapter is done before the wire: a large send leaves as
 * MSS-sized segments with every checksum right, a left-out checksum is written.  With
 * the OSA's transmit assists on (the controller starts them) CP hands the frame to the
 * OSA as it came and the OSA finishes it; without them CP's uplink finishes it. */
static void large_send_case(struct tctx *t, bool assists)
{
	struct ufx *f = ufx_new();
	static uint8_t fr[20000], got[2048];
	uint8_t raw[QHDR_TSO_HDR_SIZE];
	struct qdio_span sp;
	struct qdrv *g1d;
	struct wire *w;
	struct qhdr h;
	struct vm *g1;
	uint32_t len, off = 0, seq = 77;
	int n, segs = 0;

	REQUIRE(f != NULL);
	g1 = vm_of(f, "LINUX01");
	g1d = drv_of(f, "LINUX01");
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	while (wire_mem_collect(w, got, sizeof(got)) > 0)
		;
	REQUIRE(f->sw->c[f->sw->active].data->tx_ofl4 == (QDRV_OFL_CSUM | QDRV_OFL_TSO));
	if (!assists)
		f->sw->c[f->sw->active].data->tx_ofl4 = f->sw->c[f->sw->active].data->tx_ofl6 = 0;
	len = mk_tcp(fr, g1->nics[0]->mac, 10000, false);
	REQUIRE(send_tso(g1d, fr, len));
	uplink_poll(f->cp.up);
	while ((n = wire_mem_collect(w, got, sizeof(got))) > 0) {
		struct csum_pkt cp;

		REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
		CHECK(csum_verify(got, &cp));
		CHECK_EQ(be_get32(got + 38), seq);
		CHECK_EQ(be_get16(got + 16), n - 14);
		CHECK_EQ(be_get16(got + 18), 0x0777 + segs);
		CHECK(n <= 1514);
		CHECK_MEM(got + 66, fr + 66 + off, (size_t)n - 66);
		seq += (uint32_t)n - 66;
		off += (uint32_t)n - 66;
		segs++;
	}
	CHECK_EQ(segs, 7);		/* 10000 = 6 * 1448 + 1312 */
	CHECK_EQ(off, 10000);
	CHECK_EQ(f->sw->st.tx_segmented, assists ? 0 : 1);
	CHECK_EQ(f->sw->st.tx_offloaded, assists ? 1 : 0);

	/* UDP with the checksum left out (flags[1] 0x20|0x40): written on the way out. */
	len = mk_tcp(fr, g1->nics[0]->mac, 501, true);
	be_put16(fr + 40, 0xBEEF);
	memset(&h, 0, sizeof(h));
	h.id = QHDR_ID_L2;
	h.l2.flags2 = QHDR_L2_UCAST;
	h.l2.flags1 = QHDR_L2_CSUM_TRANSP | QHDR_L2_CSUM_UDP;
	h.l2.pkt_len = (uint16_t)len;
	REQUIRE(qhdr_encode(&h, raw, sizeof(raw)) == QHDR_SIZE);
	sp = (struct qdio_span){ fr, len };
	REQUIRE(qdrv_sendv_hdr(g1d, raw, QHDR_SIZE, &sp, 1, len) == 0);
	REQUIRE(qdrv_flush(g1d) > 0);
	uplink_poll(f->cp.up);
	n = wire_mem_collect(w, got, sizeof(got));
	REQUIRE(n == (int)len);
	{
		struct csum_pkt cp;

		REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
		CHECK(csum_verify(got, &cp));
		CHECK(be_get16(got + 40) != 0xBEEF);
	}
	CHECK_EQ(f->sw->st.tx_completed, assists ? 0 : 1);
	CHECK_EQ(f->sw->st.tx_offloaded, assists ? 2 : 0);
	ufx_free(f);
}

TEST(uplink_outbound_large_send_segmented_checksums_completed)
{
	large_send_case(t, false);
}

TEST(uplink_outbound_large_send_finished_by_the_osa_with_assists)
{
	large_send_case(t, true);
}

/* An OSA whose wire finishes offloads itself (a TAP with IFF_VNET_HDR) gets the large
 * send from CP whole and puts it on the wire whole, for the host kernel to cut. */
TEST(uplink_outbound_large_send_whole_to_a_wire_with_offloads)
{
	struct ufx *f = ufx_new();
	static uint8_t fr[20000], got[WIRE_OFL_FRAME_MAX];
	struct wire_ofl ofl;
	struct csum_pkt cp;
	struct wire *w;
	struct vm *g1;
	uint32_t len;
	int n;

	REQUIRE(f != NULL);
	g1 = vm_of(f, "LINUX01");
	w = uwire(f, f->sw->c[f->sw->active].dev->rdev);
	while (wire_mem_collect(w, got, sizeof(got)) > 0)
		;
	REQUIRE(wire_mem_set_offloads(w) == 0);
	len = mk_tcp(fr, g1->nics[0]->mac, 10000, false);
	REQUIRE(send_tso(drv_of(f, "LINUX01"), fr, len));
	uplink_poll(f->cp.up);
	n = wire_mem_collect_ofl(w, got, sizeof(got), &ofl);
	REQUIRE(n == (int)len);
	CHECK_MEM(got + 66, fr + 66, 10000);
	CHECK_EQ(ofl.gso, WIRE_GSO_TCP4);
	CHECK_EQ(ofl.gso_size, 1448);
	CHECK_EQ(ofl.hdr_len, 66);
	CHECK_EQ(ofl.csum_start, 34);
	REQUIRE(csum_parse(got, (uint32_t)n, true, &cp) == 0);
	CHECK_EQ(be_get16(got + 50), csum_fold(csum_pseudo(&cp, 32 + 10000)));
	CHECK_EQ(wire_mem_collect(w, got, sizeof(got)), -EAGAIN);	/* nothing else */
	CHECK_EQ(f->sw->st.tx_offloaded, 1);
	ufx_free(f);
}

/* ---- large receives from the wire (the host's TCP large sends, a TAP's TSO) ----------- */

/* What LINUX01's driver received, every frame kept (its stack bypassed). */
struct segcap {
	unsigned n, bad_csum;
	uint32_t bytes, maxlen;
	uint16_t rx_mss_seen;
	uint8_t data[70000];	/* the payloads after the first frame's headers, in order */
	uint32_t at;
};

static struct segcap segs;

static void seg_rx(void *ctx, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct qhdr h;
	struct csum_pkt cp;

	(void)ctx;
	memset(&h, 0, sizeof(h));	/* as rx_frame does */
	segs.n++;
	segs.bytes += len;
	if (len > segs.maxlen)
		segs.maxlen = len;
	if (qhdr_decode(qh, QHDR_SIZE, &h) == 0 && qhdr_id_is_l2(h.id) && h.l2.rx_mss)
		segs.rx_mss_seen = h.l2.rx_mss;
	if (csum_parse(data, len, true, &cp) < 0 || !csum_verify(data, &cp)) {
		segs.bad_csum++;
		return;
	}
	if (segs.at + (cp.end - cp.l4 - cp.l4hlen) <= sizeof(segs.data)) {
		memcpy(segs.data + segs.at, data + cp.l4 + cp.l4hlen, cp.end - cp.l4 - cp.l4hlen);
		segs.at += cp.end - cp.l4 - cp.l4hlen;
	}
}

/* The frame the spy saw enter the switch (the last one). */
static struct pframe spied;

static void spy_keep_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	if (n)
		spied = f[n - 1];
	spy_tx(peer, from, f, n);
}

static const struct port_ops spy_keep_ops = { spy_keep_tx, spy_addr };

/*
 * The host sends LINUX01 a TCP stream through the uplink's wire with large receives on
 * (an ETHERNET VSWITCH: the OSA runs layer 2 for CP's data device): a 64 KiB large send
 * crosses the OSA, CP's data device and the uplink port whole -- one frame into the
 * switch with its segment size and its checksum open -- and LINUX01, a qeth guest that
 * cannot take it, gets MSS segments whose checksums verify and whose payload is the
 * sender's.  A malformed request never gets that far (the TAP's header check,
 * tests/unit/test_csum.c); a large receive on a wire that has them off is lost there.
 */
TEST(uplink_inbound_large_receive_whole_into_the_switch_cut_for_a_qeth_guest)
{
	struct ufx *f = ufx_new();
	static uint8_t fr[65600];
	struct wire_ofl ofl = { .csum_start = 34, .csum_offset = 16, .hdr_len = 66,
				.gso_size = 1448, .gso = WIRE_GSO_TCP4 };
	struct up_osa *d;
	struct qdrv *g1d;
	struct wire *w;
	struct vm *g1;
	uint32_t len, pay;

	REQUIRE(f != NULL);
	g1 = vm_of(f, "LINUX01");
	g1d = drv_of(f, "LINUX01");
	d = uplink_find_osa(f->cp.up, f->sw->c[f->sw->active].dev->rdev);
	REQUIRE(d && d->osa);
	w = &d->osa->wire;
	/* Layer 2, started, cpnet's own driver: on, and the READ slots hold one. */
	CHECK(d->osa->rx_large_on);
	CHECK(w->rx_large);
	CHECK(d->osa->nic.rx_large);
	CHECK_EQ(d->osa->rx.frame_max, RXR_FRAME_MAX);

	/* mk_tcp's frame turned around: host -> LINUX01, 60000 payload bytes. */
	len = mk_tcp(fr, HOST_MAC, 60000, false);
	memcpy(fr, g1->nics[0]->mac, 6);
	memcpy(fr + 6, HOST_MAC, 6);
	memcpy(fr + 26, "\x0a\x08\x00\x63\x0a\x08\x00\x01", 8);
	pay = len - 66;
	memset(&segs, 0, sizeof(segs));
	g1d->cfg.rx = seg_rx;
	g1d->cfg.rx_ctx = NULL;
	memset(&spied, 0, sizeof(spied));
	CHECK_EQ(wire_mem_inject_ofl(w, fr, len, &ofl), 0);
	spy_on(f);
	f->sw->port.ops = &spy_keep_ops;
	uplink_poll(f->cp.up);
	f->sw->port.ops = &spy_ops;
	spy_off(f);
	CHECK_EQ(d->osa->st.rx_large, 1);
	CHECK_EQ(the_spy.frames, 1u);
	CHECK_EQ(spied.len, len);
	CHECK_EQ(spied.gso_size, 1448);
	CHECK_EQ(spied.csum, PF_CSUM_PARTIAL);
	CHECK_EQ(spied.kind, PF_ETH);
	CHECK(spied.nspans > 1);	/* across the input buffer's 4 KiB elements */
	cp_poll_guests(&f->cp);
	CHECK_EQ(segs.n, (pay + 1447) / 1448);
	CHECK_EQ(segs.bad_csum, 0u);
	CHECK_EQ(segs.rx_mss_seen, 0);	/* a qeth guest's header never has one */
	CHECK(segs.maxlen <= 66 + 1448u);
	CHECK_EQ(segs.at, pay);
	CHECK_MEM(segs.data, fr + 66, pay);

	/* Off (STOPLAN-like: the OSA's driver is no longer cpnet's own): a large receive
	 * on the wire is lost there, counted as truncated; small frames still pass. */
	d->osa->cfg.rx_large = false;
	f->now += 1000;
	ufx_ticks(f, 6);	/* the OSA's timer */
	CHECK(!d->osa->rx_large_on);
	CHECK(!w->rx_large);
	CHECK(!d->osa->nic.rx_large);
	memset(&segs, 0, sizeof(segs));
	{
		uint64_t tr = w->st.rx_truncated;

		CHECK_EQ(wire_mem_inject_ofl(w, fr, 14 + 20 + 32 + 1000, &ofl), 0);
		uplink_poll(f->cp.up);
		CHECK_EQ(w->st.rx_truncated, tr + 1);
	}
	ufx_free(f);
}
