/* vswitch/trace.c - LAN traces: the tap callback that filters the switch's frames and
 * writes them with lib/pcapw (one code path for every trace of a LAN). */
#include "vswitch/trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/be.h"
#include "vswitch/switch.h"

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100

/* The first n bytes of a frame out of its spans; false if it is shorter. */
static bool head(const struct pframe *f, uint8_t *b, uint32_t n)
{
	uint32_t got = 0;

	for (unsigned s = 0; s < f->nspans && got < n; s++) {
		uint32_t k = f->spans[s].len < n - got ? f->spans[s].len : n - got;

		memcpy(b + got, f->spans[s].ptr, k);
		got += k;
	}
	return got == n;
}

/* The VLAN of a frame on a VLAN-unaware LAN: its own tag. */
static uint16_t frame_vid(const struct lanbk *lan, const struct pframe *f)
{
	uint8_t b[16];

	if (lan->transport != LAN_ETHERNET || f->kind != PF_ETH)
		return f->vlan & 0x0FFF;
	if (!head(f, b, 16) || be_get16(b + 12) != ETH_P_8021Q)
		return 0;
	return be_get16(b + 14) & 0x0FFF;
}

/* Does a connection matching `is` send or receive frame i? */
static bool involves(const struct lanbk *lan, const struct lan_conn *from, unsigned i,
		     bool (*is)(const struct lan_conn *c, const struct trace_filter *flt),
		     const struct trace_filter *flt)
{
	if (from && is(from, flt))
		return true;
	for (unsigned k = 0; k < lan->nlive; k++) {
		const struct lan_conn *c = lan_conn_at(lan, lan->live[k]);

		if (c && c->port && is(c, flt) && lan_tap_reaches(c, i))
			return true;
	}
	return false;
}

static bool is_port(const struct lan_conn *c, const struct trace_filter *flt)
{
	return !c->uplink && c->portnum == flt->portnum;
}

static bool is_user(const struct lan_conn *c, const struct trace_filter *flt)
{
	return !c->uplink && !strcmp(c->owner, flt->user);
}

bool trace_match(const struct trace_filter *flt, const struct lanbk *lan,
		 const struct lan_conn *from, const struct pframe *f, unsigned i, uint16_t vid)
{
	switch (flt->scope) {
	case TRACE_ALL:
		return true;
	case TRACE_PORT:
		return involves(lan, from, i, is_port, flt);
	case TRACE_USER:
		return involves(lan, from, i, is_user, flt);
	case TRACE_VLAN:
		return (lan->vlan_aware ? vid : frame_vid(lan, f)) == flt->vid;
	}
	return false;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Does the trace write its frames tagged with their VLAN?  When it covers more than
 * one VLAN of a layer-2 VLAN-aware LAN: the file alone then says each frame's VLAN, as
 * a trunk port with every VLAN sees it (the native VLAN's frames too).  A VLAN
 * filter, or a trace port whose user has one VLAN (ACCESS), covers one: its frames
 * are written untagged, as an access port of that VLAN gets them. */
static bool writes_tags(const struct trace *t)
{
	if (t->flt.scope == TRACE_VLAN)
		return false;
	return !t->port || (t->conn && t->conn->porttype == LAN_TRUNK);
}

static void tap_frame(void *ctx, const struct lanbk *lan, const struct lan_conn *from,
		      const struct pframe *f, unsigned i, uint16_t vid)
{
	struct trace *t = ctx;
	struct qdio_span sp[256 + 16];
	uint8_t tag[4];
	struct pframe o;
	int rc;

	if (t->end || !trace_match(&t->flt, lan, from, f, i, vid))
		return;
	/* A trace port sees what its user may see (VLANs, isolation), no more: the
	 * PROMISCUOUS authorization widens what reaches it, not what it is granted. */
	if (t->port && (!t->conn || !lan_may_see(lan, from, t->conn, vid)))
		return;
	t->matched++;
	/* Layer 2, VLAN aware: the frame with or without its VLAN's tag (above). */
	lan_tap_view(lan, f, i, writes_tags(t), tag, sp, &o);
	if (lan->transport != LAN_ETHERNET && f->kind == PF_ETH) {
		/* An IP LAN's link-layer frame (IPv6, passthrough): the raw-IP link type
		 * takes its IP packet; anything else it cannot show. */
		uint8_t b[ETH_HLEN];
		uint32_t skip = ETH_HLEN;

		if (!head(f, b, ETH_HLEN) || f->len <= ETH_HLEN ||
		    (be_get16(b + 12) != ETH_P_IP && be_get16(b + 12) != ETH_P_IPV6)) {
			t->not_ip++;
			return;
		}
		o.nspans = 0;
		for (unsigned k = 0; k < f->nspans; k++) {
			if (skip >= f->spans[k].len) {
				skip -= f->spans[k].len;
				continue;
			}
			sp[o.nspans].ptr = f->spans[k].ptr + skip;
			sp[o.nspans].len = f->spans[k].len - skip;
			skip = 0;
			o.nspans++;
		}
		o.spans = sp;
		o.len = f->len - ETH_HLEN;
		o.kind = PF_IP;
	}
	if (t->port) {
		/* A trace port of the port API: its application writes the file. */
		(void)port_deliver(t->port, &o, 1);
		t->st.packets++;
		t->st.wire_bytes += o.len;
		return;
	}
	rc = pcapw_write(t->w, wall_ns(), o.spans, o.nspans, o.len);
	if (rc == 1) {
		trace_end(t, TRACE_LIMIT);
	} else if (rc < 0 && rc != -EINVAL) {
		t->err = rc;
		trace_end(t, TRACE_WRITE_ERROR);
	}
}

static void tap_gone(void *ctx, struct lanbk *lan)
{
	struct trace *t = ctx;

	(void)lan;
	/* The LAN already took the tap off its list. */
	t->lan = NULL;
	trace_end(t, TRACE_LAN_GONE);
}

/* The trace on its LAN, once its sink is ready. */
static void trace_attach(struct trace *t, struct lanbk *lan, const struct trace_filter *flt,
			 unsigned id)
{
	t->lan = lan;
	memcpy(t->lan_owner, lan->owner, sizeof(t->lan_owner));
	memcpy(t->lan_name, lan->name, sizeof(t->lan_name));
	t->lan_kind = lan->kind;
	t->flt = *flt;
	t->id = id;
	t->tap.frame = tap_frame;
	t->tap.gone = tap_gone;
	t->tap.ctx = t;
	lan_tap_add(lan, &t->tap);
}

int trace_start(struct trace **out, struct lanbk *lan, const struct trace_filter *flt,
		const struct pcapw_opts *o, unsigned id)
{
	struct pcapw_opts po = *o;
	struct trace *t;
	int rc;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	po.linktype = trace_linktype(lan);
	rc = pcapw_open(&t->w, &po);
	if (rc < 0) {
		free(t);
		return rc;
	}
	snprintf(t->file, sizeof(t->file), "%s", o->path);
	trace_attach(t, lan, flt, id);
	*out = t;
	return 0;
}

int trace_start_port(struct trace **out, struct lanbk *lan, const struct trace_filter *flt,
		     struct port *port, unsigned id)
{
	struct trace *t;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->port = port;
	t->conn = lan_conn_of(lan, port);
	trace_attach(t, lan, flt, id);
	*out = t;
	return 0;
}

uint32_t trace_linktype(const struct lanbk *lan)
{
	return lan->transport == LAN_ETHERNET ? PCAPW_LINK_ETHERNET : PCAPW_LINK_RAW;
}

void trace_end(struct trace *t, uint8_t why)
{
	int rc;

	if (t->end)
		return;
	t->end = why;
	if (t->lan)
		(void)lan_tap_del(t->lan, &t->tap);
	t->port = NULL;
	if (!t->w)
		return;
	t->st = *pcapw_stats(t->w);
	rc = pcapw_close(t->w);
	t->w = NULL;
	if (rc < 0 && why != TRACE_WRITE_ERROR) {
		t->end = TRACE_WRITE_ERROR;
		t->err = rc;
	}
}

void trace_free(struct trace *t)
{
	if (!t)
		return;
	trace_end(t, TRACE_STOPPED);
	free(t);
}

void trace_scope_text(const struct trace_filter *flt, char *buf, size_t cap)
{
	switch (flt->scope) {
	case TRACE_PORT:
		snprintf(buf, cap, "PORT %u", flt->portnum);
		break;
	case TRACE_USER:
		snprintf(buf, cap, "USER %s", flt->user);
		break;
	case TRACE_VLAN:
		snprintf(buf, cap, "VLAN %u", flt->vid);
		break;
	default:
		snprintf(buf, cap, "ALL");
		break;
	}
}

const char *trace_end_text(const struct trace *t)
{
	switch (t->end) {
	case TRACE_RUNNING:
		return "ACTIVE";
	case TRACE_LIMIT:
		return "ENDED (limit reached)";
	case TRACE_LAN_GONE:
		return "ENDED (LAN destroyed)";
	case TRACE_WRITE_ERROR:
		return "ENDED (write error)";
	default:
		return "STOPPED";
	}
}
