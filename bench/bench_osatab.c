/* bench/bench_osatab.c - 8,192 guest addresses on an IP VSWITCH whose OSA holds 1,024:
 * every address reached from the wire through the miss protocol, its cost against a table that holds all. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/common.h"
#include "cp/config.h"
#include "cp/cp.h"
#include "cp/dir.h"
#include "cp/parse.h"
#include "cp/uplink.h"
#include "osa/osa.h"
#include "osa/wire.h"
#include "vswitch/switch.h"

/*
 * cpnetd without sockets (as tests/unit/test_controller.c's fixture): SYSTEM CONFIG and
 * directory text, the controller DTCVSW1 driving an OSA on an in-memory wire, and one
 * guest port on the IP VSWITCH that registered N = 8,192 IPv4 addresses (SETIP, a /16
 * mask each: the OSA keeps it).  The far end of the wire plays the namespace host: one UDP datagram at a
 * time to each address in turn, so every address is in use and, with the default
 * 1,024-entry table, every frame misses: the OSA holds it, CP (the proxy) answers from
 * the LAN IP table with a Register, the controller installs it with SETIP through its
 * driver (evicting another), the OSA releases the frame, CP's data device takes it into
 * the switch, the guest port gets it.  The baseline is the same rig with ADDRESSES
 * 8192: everything installed, every frame a hit.  Two measurements, both rigs in the
 * same run:
 *   - frames/s, 16 datagrams per wire poll (bench_measure, interleaved);
 *   - latency, one datagram injected, CP polled until the guest port has it (ns clock),
 *     median and 99th percentile over every address.
 * The clock CP and the OSA see is the real one plus a warp, so that setup can run
 * 50 ms ticks back to back as cpnetd's timer would.
 */
#define NADDR 8192u
#define SMALL 1024u		/* the default table: 1/8 of the addresses */
#define BATCH 16u		/* datagrams per wire poll in the rate runs */
#define PLEN 18u		/* UDP payload: a 64-byte frame on the wire */

static const char dir_text[] =
	"USER DTCVSW1 NOLOG 64M 64M BG\n"
	"  CONTROLLER\n"
	"USER LINUX01 NOLOG 1G 1G G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSWIP\n"
	"  IPADDR 0600 10.9.0.1/24\n";

static const uint8_t HOST_MAC[6] = { 0x02, 0xAA, 0, 0, 0, 0x02 };
static const uint8_t HOST_IP[4] = { 10, 9, 0, 2 };

struct rig {
	const char *what;
	struct cp cp;
	uint64_t warp;			/* ms added to the real clock */
	struct lanbk *lan;
	struct osa *osa;
	struct port p;			/* the guest port with the addresses */
	uint32_t *hits;			/* datagrams each address got */
	uint64_t got, other;
	unsigned next;			/* the next address the host sends to */
	uint8_t fr[64];
	bool inited;			/* cp_init done: cp_free owed */
};

static uint64_t rig_clock(void *ctx)
{
	return (uint64_t)(bench_now() * 1000.0) + ((struct rig *)ctx)->warp;
}

/* Address k: 10.64.0.1 + k, in 10.64.0.0/16 (neither its network nor its broadcast
 * address: with the mask kept, 10.64.0.255 would be a broadcast only in a /24). */
static void addr_of(unsigned k, uint8_t ip[4])
{
	unsigned v = k + 1;

	ip[0] = 10;
	ip[1] = 64;
	ip[2] = (uint8_t)(v >> 8);
	ip[3] = (uint8_t)v;
}

static unsigned sink(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct rig *g = owner;

	(void)p;
	for (unsigned i = 0; i < n; i++) {
		uint8_t d[4];
		unsigned k;

		if (qdio_spans_copy(f[i].spans, f[i].nspans, 16, d, 4) != 4 || d[0] != 10 ||
		    d[1] != 64 || (k = ((unsigned)d[2] << 8 | d[3]) - 1) >= NADDR) {
			g->other++;
			continue;
		}
		g->hits[k]++;
		g->got++;
	}
	return n;
}

/* cpnetd's timer: 50 ms, the controllers run, CP reads their answers, wires polled. */
static void ticks(struct rig *g, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		g->warp += 50;
		uplink_tick(g->cp.up);
		uplink_poll(g->cp.up);
		cp_poll_guests(&g->cp);
		uplink_poll(g->cp.up);
	}
}

/* The host's datagram to address k into the wire (not yet read). */
static void host_send(struct rig *g, unsigned k)
{
	uint8_t *p = g->fr + 14;
	uint32_t tot = 20 + 8 + PLEN;

	memcpy(g->fr, g->osa->mac, 6);
	memcpy(g->fr + 6, HOST_MAC, 6);
	g->fr[12] = 0x08;
	g->fr[13] = 0x00;
	memset(p, 0, tot);
	p[0] = 0x45;
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, HOST_IP, 4);
	addr_of(k, p + 16);
	p[20] = 0x30;
	p[21] = 0x39;
	p[23] = 9;
	p[25] = (uint8_t)(8 + PLEN);
	wire_mem_inject(&g->osa->wire, g->fr, 14 + tot);
}

static int rig_up(struct rig *g, const char *what, unsigned table)
{
	char cfg[512];
	struct up_osa *d;
	struct paddr a;
	struct out o;
	int n, rc = 0;

	memset(g, 0, sizeof(*g));
	g->what = what;
	g->hits = calloc(NADDR, sizeof(*g->hits));
	if (!g->hits || cp_init(&g->cp, 42) < 0)
		return -ENOMEM;
	g->inited = true;
	g->cp.up->clock_ms = rig_clock;
	g->cp.up->clock_ctx = g;
	n = snprintf(cfg, sizeof(cfg),
		     "RDEVICE 0A00-0A02 TYPE OSA BACKEND MEM bosa%u ADDRESSES %u\n"
		     "DEFINE VSWITCH VSWIP RDEV 0A00 CONTROLLER DTCVSW1 IP\n"
		     "MODIFY VSWITCH VSWIP GRANT LINUX01\n"
		     "AUTOLOG DTCVSW1 LINUX01\n", table, table);
	out_init(&o);
	if (config_parse(&g->cp, "bench.cfg", cfg, (size_t)n, &o) ||
	    dir_parse(&g->cp.dir, "bench.direct", dir_text, sizeof(dir_text) - 1, &o)) {
		fprintf(stderr, "%.*s", (int)o.len, o.buf);
		rc = -EINVAL;
	}
	if (rc == 0)
		config_autolog(&g->cp, &o);
	out_free(&o);
	if (rc)
		return rc;
	ticks(g, 4);
	g->lan = lan_find(&g->cp.lans, "SYSTEM", "VSWIP");
	d = uplink_find_osa(g->cp.up, 0x0A00);
	g->osa = d ? d->osa : NULL;
	if (!g->lan || !g->osa || g->osa->at.cap != table)
		return -ENODEV;
	g->p.rx = sink;
	g->p.owner = g;
	if (lan_attach_port(g->lan, &g->p, "LINUX01", 0x0700, 0, NULL) <= 0)
		return -EIO;
	memset(&a, 0, sizeof(a));
	a.op = PA_LAYER;
	a.value = 3;
	rc = port_addr(&g->p, &a) ? -EIO : 0;
	a.op = PA_STARTLAN;
	if (rc == 0 && port_addr(&g->p, &a))
		rc = -EIO;
	for (unsigned k = 0; rc == 0 && k < NADDR; k++) {
		memset(&a, 0, sizeof(a));
		a.op = PA_SETIP;
		addr_of(k, a.ip);
		memset(a.mask, 0xFF, 2);	/* 255.255.0.0 */
		if (port_addr(&g->p, &a))
			rc = -EIO;	/* a guest is never refused for the OSA's size */
		if (k % 64 == 63)
			ticks(g, 1);
	}
	/* What was pushed in advance is installed (the big table: everything). */
	for (unsigned t = 0; rc == 0 && t < 400 && g->osa->at.n < (table < NADDR ? table : NADDR); t++)
		ticks(g, 1);
	return rc;
}

static void rig_down(struct rig *g)
{
	if (g->lan && g->p.peer)
		lan_detach_port(g->lan, &g->p);
	if (g->inited)
		cp_free(&g->cp);
	free(g->hits);
}

/* One rate run: BATCH datagrams to the next addresses, one wire poll (the misses are
 * answered and their frames released within it).  Frames that reached the port. */
static uint64_t rig_run(void *ctx)
{
	struct rig *g = ctx;
	uint64_t got0 = g->got;

	for (unsigned i = 0; i < BATCH; i++) {
		host_send(g, g->next);
		g->next = (g->next + 1) % NADDR;
	}
	uplink_poll(g->cp.up);
	return g->got - got0 == BATCH ? BATCH : 0;
}

/* One datagram to each address in turn, each timed from the inject to the guest port
 * (at most 64 polls; a frame not there by then is a failure).  ns in lat[NADDR]. */
static int rig_latency(struct rig *g, uint64_t *lat)
{
	for (unsigned k = 0; k < NADDR; k++) {
		uint64_t got0 = g->got;
		double t0 = bench_now();
		unsigned polls = 0;

		host_send(g, g->next);
		g->next = (g->next + 1) % NADDR;
		while (g->got == got0 && polls++ < 64)
			uplink_poll(g->cp.up);
		if (g->got == got0)
			return -ETIMEDOUT;
		lat[k] = (uint64_t)((bench_now() - t0) * 1e9);
	}
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static unsigned reached(const struct rig *g)
{
	unsigned n = 0;

	for (unsigned k = 0; k < NADDR; k++)
		n += g->hits[k] > 0;
	return n;
}

int main(void)
{
	struct rig *g = calloc(2, sizeof(*g));
	uint64_t *lat[2] = { calloc(NADDR, sizeof(uint64_t)), calloc(NADDR, sizeof(uint64_t)) };
	struct bench_run r[2];
	struct osa_stats s0, s1;
	struct atab_stats a0, a1;
	double secs = bench_secs(2.0), med[2], p99[2], mean[2];
	int rc = g && lat[0] && lat[1] ? 0 : -ENOMEM;
	unsigned reach[2] = { 0, 0 };

	if (rc == 0)
		rc = rig_up(&g[0], "8256-entry table", NADDR + 64);
	if (rc == 0)
		rc = rig_up(&g[1], "1024-entry table", SMALL);
	/* Every address once from the host side (the first round). */
	for (unsigned i = 0; rc == 0 && i < 2; i++) {
		for (unsigned k = 0; rc == 0 && k < NADDR / BATCH; k++)
			if (!rig_run(&g[i]))
				rc = -EIO;
		reach[i] = reached(&g[i]);
	}
	if (rc == 0) {
		s0 = g[1].osa->st;
		a0 = g[1].osa->at.st;
	}
	for (unsigned i = 0; rc == 0 && i < 2; i++)
		rc = rig_latency(&g[i], lat[i]);
	if (rc == 0) {
		s1 = g[1].osa->st;
		a1 = g[1].osa->at.st;
	}
	for (unsigned i = 0; rc == 0 && i < 2; i++) {
		double sum = 0;

		qsort(lat[i], NADDR, sizeof(uint64_t), cmp_u64);
		for (unsigned k = 0; k < NADDR; k++)
			sum += (double)lat[i][k];
		mean[i] = sum / NADDR / 1e3;
		med[i] = (double)lat[i][NADDR / 2] / 1e3;
		p99[i] = (double)lat[i][NADDR * 99 / 100] / 1e3;
	}
	for (unsigned i = 0; i < 2; i++)
		r[i] = (struct bench_run){ .name = g ? g[i].what : "", .run = rig_run, .ctx = g ? &g[i] : NULL };
	if (rc == 0)
		rc = bench_measure(r, 2, secs) ? -EIO : 0;
	if (rc == 0) {
		const struct osa *o = g[1].osa;
		const struct osa_stats *s = &s1;
		uint64_t inst = s->miss_installed - s0.miss_installed;
		char note[240];

		snprintf(note, sizeof(note), "(%u addresses, IP VSWITCH, memory wire, %u datagrams "
			 "a poll; every frame a miss, installed from the LAN IP table)", NADDR, BATCH);
		bench_report("osatab_8192_misses", &r[1], &r[0], note);
		printf("osatab_latency_p50: %.1f us, ratio %.2f vs %s (one datagram, wire to guest port)\n",
		       med[1], med[1] / med[0], g[0].what);
		printf("osatab_latency_p99: %.1f us, ratio %.2f vs %s\n", p99[1], p99[1] / p99[0],
		       g[0].what);
		printf("osatab table:\n");
		printf("  %-18s %8s %9s %8s %8s %8s %9s %9s %9s %9s %10s\n", "table", "reached",
		       "kframes/s", "p50 us", "p99 us", "mean us", "hits", "misses", "installs",
		       "evicted", "OSA lat ms");
		for (unsigned i = 0; i < 2; i++) {
			const struct osa *x = g[i].osa;

			printf("  %-18s %8u %9.1f %8.1f %8.1f %8.1f %9" PRIu64 " %9" PRIu64 " %9" PRIu64
			       " %9" PRIu64 " %4" PRIu64 "/%" PRIu64 "\n", g[i].what, reach[i],
			       r[i].rate / 1e3, med[i], p99[i], mean[i], x->st.addr_hits, x->st.addr_misses,
			       x->at.st.installs, x->at.st.evictions,
			       x->st.miss_installed ? x->st.miss_lat_sum_ms / x->st.miss_installed : 0,
			       x->st.miss_lat_max_ms);
		}
		printf("  (1024-entry table: the latency pass %" PRIu64 " misses, %" PRIu64
		       " installed on miss, %" PRIu64 " evictions; the whole run discarded %" PRIu64
		       " miss queue full, %" PRIu64 " not installed in time, %" PRIu64
		       " not registered; OSA lat = avg/max ms first miss to install, its ms clock)\n",
		       s->addr_misses - s0.addr_misses, inst, a1.evictions - a0.evictions,
		       o->st.rx_drop[OSA_D_MISSQ], o->st.rx_drop[OSA_D_MISS_TIMEOUT],
		       o->st.rx_drop[OSA_D_NOT_MINE]);
		if (reach[0] != NADDR || reach[1] != NADDR || g[0].other || g[1].other) {
			fprintf(stderr, "bench_osatab: reached %u and %u of %u addresses\n", reach[0],
				reach[1], NADDR);
			rc = -EIO;
		}
	} else {
		fprintf(stderr, "bench_osatab: failed (%d)\n", rc);
	}
	for (unsigned i = 0; g && i < 2; i++)
		rig_down(&g[i]);
	free(g);
	free(lat[0]);
	free(lat[1]);
	return rc ? 1 : 0;
}
