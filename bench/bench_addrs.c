/* bench/bench_addrs.c - forwarding through one VSWITCH with 16 and with 8,192 registered
 * addresses (RFC 2889 address caching), in one process; the decision cache on and off;
 * an ETHERNET VSWITCH (MACs) and an IP one (IPv4 addresses). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/common.h"
#include "vswitch/lan.h"
#include "vswitch/switch.h"

/*
 * RFC 2889's address caching test, in process: the receivers registered N MAC
 * addresses between them (SETVMAC, as Linux guests do; on an IP VSWITCH N IPv4
 * addresses, SETIP), and one sender's frames go to all N in turn, so that every
 * address is in use.  The switch alone is measured: the
 * ports are in-process sinks that count what they get (no QDIO, no guest driver),
 * which is where the number of addresses could show.  Each case is the same switch,
 * with its decision cache on, or off (the bench-only knob dcache.off): the uncached
 * lookup is the one that fills the cache, so "off" is what the switch cost before it.
 */
#define NRX 16			/* receiving ports, N/16 addresses each */
#define NFR 8192		/* frames in the sender's ring (the most addresses) */
#define FLEN 64
#define BATCH 256

struct rig {
	const char *what;
	struct lan_table tb;
	struct lanbk *lan;
	struct port tx, rx[NRX];
	uint8_t *buf;
	struct qdio_span *sp;
	struct pframe *f;
	unsigned at;
	uint64_t got;
};

static unsigned sink(void *owner, struct port *p, const struct pframe *f, unsigned n)
{
	struct rig *g = owner;

	(void)p;
	for (unsigned i = 0; i < n; i++)
		BENCH_USE(f[i].spans[0].ptr);
	g->got += n;
	return n;
}

/* Address k: a MAC 02-00-5E-kk-kk-kk, or the IPv4 address 10.k.k.k (in m[0..3]). */
static void ip_of(unsigned k, uint8_t *m)
{
	m[0] = 10;
	m[1] = (uint8_t)(k >> 16);
	m[2] = (uint8_t)(k >> 8);
	m[3] = (uint8_t)k;
}

static void mac_of(unsigned k, uint8_t *m)
{
	m[0] = 0x02;
	m[1] = 0x00;
	m[2] = 0x5E;
	m[3] = (uint8_t)(k >> 16);
	m[4] = (uint8_t)(k >> 8);
	m[5] = (uint8_t)k;
}

/* A registration of port p: op with value, or address k (SETVMAC / SETIP). */
static int reg(struct port *p, uint8_t op, unsigned value, unsigned k)
{
	struct paddr a;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.value = value;
	if (op == PA_SETVMAC)
		mac_of(k, a.mac);
	else if (op == PA_SETIP)
		ip_of(k, a.ip);
	return port_addr(p, &a) ? -EIO : 0;
}

static int port_up(struct lanbk *lan, struct port *p, struct rig *g, const char *user)
{
	p->rx = sink;
	p->owner = g;
	if (lan_attach_port(lan, p, user, 0x600, LAN_PORTNUM_AUTO, NULL) < 0)
		return -EIO;
	if (reg(p, PA_LAYER, lan->transport == LAN_IP ? 3 : 2, 0) ||
	    reg(p, PA_STARTLAN, 0, 0))
		return -EIO;
	return 0;
}

/* Frame j of the ring, to address `to` from the sender (address 0xFFFFFF; on an IP
 * VSWITCH it registered it: the switch checks a guest's source). */
static void frame_at(struct rig *g, unsigned j, unsigned to, bool ip)
{
	uint8_t *b = g->buf + (size_t)j * FLEN;

	memset(b, 0x5A, FLEN);
	if (ip) {
		b[0] = 0x45;
		b[2] = 0;
		b[3] = FLEN;
		b[9] = 17;
		ip_of(0xFFFFFF, b + 12);
		ip_of(to, b + 16);
	} else {
		mac_of(to, b);
		mac_of(0xFFFFFF, b + 6);	/* not registered: no MACPROTECT */
		b[12] = 0x88;
		b[13] = 0xB5;
	}
	g->sp[j].ptr = b;
	g->sp[j].len = FLEN;
	g->f[j].spans = &g->sp[j];
	g->f[j].nspans = 1;
	g->f[j].kind = ip ? PF_IP : PF_ETH;
	g->f[j].len = FLEN;
}

/* naddr addresses on NRX receivers; the sender's ring of NFR frames goes to them in
 * turn.  ip: an IP VSWITCH; cached: the decision cache on. */
static int rig_up(struct rig *g, const char *what, unsigned naddr, bool ip, bool cached)
{
	char user[9];
	int rc;

	memset(g, 0, sizeof(*g));
	g->what = what;
	lan_table_init(&g->tb, 0xADD5ull);
	rc = lan_define(&g->tb, "SYSTEM", "BENCHSW", LAN_VSWITCH, &g->lan);
	if (rc == 0)
		rc = lan_set_transport(g->lan, ip ? LAN_IP : LAN_ETHERNET);
	if (rc == 0)
		rc = port_up(g->lan, &g->tx, g, "SENDER");
	if (rc == 0 && ip)
		rc = reg(&g->tx, PA_SETIP, 0, 0xFFFFFF);
	for (unsigned k = 0; rc == 0 && k < NRX; k++) {
		snprintf(user, sizeof(user), "RX%02u", k);
		rc = port_up(g->lan, &g->rx[k], g, user);
	}
	for (unsigned k = 0; rc == 0 && k < naddr; k++)
		rc = reg(&g->rx[k % NRX], ip ? PA_SETIP : PA_SETVMAC, 0, k);
	g->buf = malloc((size_t)NFR * FLEN);
	g->sp = calloc(NFR, sizeof(*g->sp));
	g->f = calloc(NFR, sizeof(*g->f));
	if (rc == 0 && (!g->buf || !g->sp || !g->f))
		rc = -ENOMEM;
	for (unsigned j = 0; rc == 0 && j < NFR; j++)
		frame_at(g, j, j % naddr, ip);
	if (rc == 0)
		g->lan->dc.off = !cached;
	return rc;
}

static void rig_down(struct rig *g)
{
	lan_table_free(&g->tb);
	free(g->buf);
	free(g->sp);
	free(g->f);
}

static uint64_t rig_run(void *ctx)
{
	struct rig *g = ctx;
	uint64_t got0 = g->got;

	port_tx(&g->tx, g->f + g->at, BATCH);
	g->at = (g->at + BATCH) % NFR;
	return g->got - got0 == BATCH ? BATCH : 0;
}

/* One transport: 16 and 8,192 addresses, cache on and off, interleaved; the lines
 * are prefixed (addrs_ / ip_addrs_, dcache_ / ip_dcache_).  0 or 1. */
static int one(bool ip, double secs)
{
	static const struct {
		const char *what;
		unsigned naddr;
		bool cached;
	} c[4] = {
		{ "16 addresses", 16, true },
		{ "8192 addresses", 8192, true },
		{ "16 addresses uncached", 16, false },
		{ "8192 addresses uncached", 8192, false },
	};
	struct rig *g = calloc(4, sizeof(*g));
	struct bench_run r[4];
	const char *px = ip ? "ip_" : "";
	char name[32], note[200];
	uint64_t a0, allocs;
	int rc = g ? 0 : -ENOMEM;

	for (unsigned k = 0; rc == 0 && k < 4; k++) {
		rc = rig_up(&g[k], c[k].what, c[k].naddr, ip, c[k].cached);
		r[k] = (struct bench_run){ .name = c[k].what, .run = rig_run, .ctx = &g[k] };
	}
	a0 = bench_allocs();
	if (rc == 0)
		rc = bench_measure(r, 4, secs);
	allocs = bench_allocs() - a0;
	if (rc == 0) {
		const struct dcache *dc = &g[1].lan->dc;

		snprintf(note, sizeof(note), "(RFC 2889 address caching, one %s VSWITCH; goal >= "
			 "0.75; cache %u entries, %.1f%% hits; %llu allocations in all runs)",
			 ip ? "IP" : "ETHERNET", dcache_entries(dc),
			 100.0 * (double)dc->hits / (double)(dc->hits + dc->misses),
			 (unsigned long long)allocs);
		snprintf(name, sizeof(name), "%saddrs_8192", px);
		bench_report(name, &r[1], &r[0], note);
		snprintf(name, sizeof(name), "%saddrs_8192_uncached", px);
		bench_report(name, &r[3], &r[2], "(the same without the cache)");
		snprintf(name, sizeof(name), "%sdcache_8192", px);
		bench_report(name, &r[1], &r[3], "(decision cache on vs off)");
		snprintf(name, sizeof(name), "%sdcache_16", px);
		bench_report(name, &r[0], &r[2], "(decision cache on vs off)");
	} else {
		fprintf(stderr, "bench_addrs: %s VSWITCH failed (%d)\n", ip ? "IP" : "ETHERNET", rc);
	}
	for (unsigned k = 0; g && k < 4; k++)
		rig_down(&g[k]);
	free(g);
	return rc ? 1 : 0;
}

int main(void)
{
	double secs = bench_secs(2.0);

	return one(false, secs) | one(true, secs);
}
