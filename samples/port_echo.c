/* samples/port_echo.c - the port API's example (doc/ports.md): a program that becomes a
 * port of a cpnet LAN, answers ARP and ping for its address, and can ping others. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cpnetport.h>

/* Uses only the installed header: build with
 *   cc -o port-echo port_echo.c -lcpnetport -lpthread
 * Run: port-echo --socket /run/cpnet/cpnetd.sock.vm --user APP1 --password PW \
 *        (--lan NAME [--owner USER] | --vswitch NAME) --ip 10.1.0.9/24 \
 *        [--portnumber N] [--ping 10.1.0.1] [--count N] [--seconds S]
 * Prints "port-echo: port ID on ..." once registered, "reply from A" per answered
 * ping, and at the end "port-echo: N pings answered, M requests echoed". */

#define NBUF 64
#define BUFSZ 2048

struct app {
	struct cpnp_port *p;
	struct cpnp_handle *h;
	bool eth;
	uint8_t mac[6];
	uint8_t ip[4], peer_ip[4], peer_mac[6];
	bool have_peer_mac;
	unsigned echoed, answered;
};

static uint16_t csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int send1(struct app *a, uint8_t *f, uint32_t len)
{
	struct cpnp_frame fr = { .data = f, .len = len };
	int rc = cpnp_send(a->p, &fr, 1);

	if (rc < 0)
		fprintf(stderr, "port-echo: send: %s (%s)\n", cpnp_strerror(rc),
			cpnp_last_error(a->p));
	return rc;
}

/* An IPv4 ICMP packet at ip (type, id, seq, 32 bytes of payload) to dst. */
static uint32_t icmp_build(uint8_t *ip, const uint8_t src[4], const uint8_t dst[4],
			   uint8_t type, uint16_t id, uint16_t seq, const uint8_t *data,
			   uint32_t dlen)
{
	uint32_t tot = 20 + 8 + dlen;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, csum(ip, 20));
	ip[20] = type;
	put16(ip + 24, id);
	put16(ip + 26, seq);
	memmove(ip + 28, data, dlen);
	put16(ip + 22, csum(ip + 20, 8 + dlen));
	return tot;
}

static void eth_hdr(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
}

static void arp_send(struct app *a, uint16_t op, const uint8_t tmac[6], const uint8_t tip[4])
{
	static const uint8_t bcast[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
	uint8_t f[60] = { 0 };

	eth_hdr(f, op == 1 ? bcast : tmac, a->mac, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, a->mac, 6);
	memcpy(f + 28, a->ip, 4);
	memcpy(f + 32, op == 1 ? (const uint8_t *)"\0\0\0\0\0\0" : tmac, 6);
	memcpy(f + 38, tip, 4);
	send1(a, f, sizeof(f));
}

/* One received frame: answer ARP for our address and echo requests; count replies. */
static void handle(struct app *a, uint8_t *f, uint32_t len)
{
	uint8_t out[BUFSZ];
	uint8_t *ip = f;
	uint32_t l3 = 0;

	if (a->eth) {
		if (len < 42)
			return;
		if (f[12] == 0x08 && f[13] == 0x06 && !memcmp(f + 38, a->ip, 4)) {
			if (f[21] == 1)
				arp_send(a, 2, f + 22, f + 28);
			else if (f[21] == 2 && !memcmp(f + 28, a->peer_ip, 4)) {
				memcpy(a->peer_mac, f + 22, 6);
				a->have_peer_mac = true;
			}
			return;
		}
		if (f[12] != 0x08 || f[13] != 0x00)
			return;
		l3 = 14;
		ip = f + 14;
	}
	if (len < l3 + 28 || (ip[0] >> 4) != 4 || ip[9] != 1 || memcmp(ip + 16, a->ip, 4))
		return;
	if (ip[20] == 8) {		/* echo request: answer it */
		uint32_t tot = (uint32_t)(ip[2] << 8 | ip[3]), hl = (ip[0] & 15) * 4u;
		uint32_t n;

		if (tot > len - l3 || tot < hl + 8 || tot - hl - 8 > BUFSZ - 64)
			return;
		n = icmp_build(out + l3, a->ip, ip + 12, 0, (uint16_t)(ip[hl + 4] << 8 | ip[hl + 5]),
			       (uint16_t)(ip[hl + 6] << 8 | ip[hl + 7]), ip + hl + 8, tot - hl - 8);
		if (a->eth)
			eth_hdr(out, f + 6, a->mac, 0x0800);
		if (send1(a, out, l3 + n) == 1)
			a->echoed++;
	} else if (ip[20] == 0 && !memcmp(ip + 12, a->peer_ip, 4)) {
		char b[16];

		a->answered++;
		printf("reply from %s\n", inet_ntop(AF_INET, a->peer_ip, b, sizeof(b)));
		fflush(stdout);
	}
}

/* Take what arrived, give the buffers back, answer. */
static int drain(struct app *a)
{
	struct cpnp_frame fr[16];
	int n;

	while ((n = cpnp_recv(a->h, fr, 16)) > 0)
		for (int i = 0; i < n; i++) {
			if (fr[i].len)
				handle(a, fr[i].data, fr[i].len);
			cpnp_post(a->h, fr[i].data, BUFSZ);
		}
	return n;
}

static void ping_once(struct app *a, uint16_t seq)
{
	static const uint8_t pad[32] = "cpnet port-echo ping payload....";
	uint8_t f[128];
	uint32_t l3 = a->eth ? 14 : 0, n;

	if (a->eth && !a->have_peer_mac) {
		arp_send(a, 1, NULL, a->peer_ip);
		return;
	}
	n = icmp_build(f + l3, a->ip, a->peer_ip, 8, 0x4350, seq, pad, sizeof(pad));
	if (a->eth)
		eth_hdr(f, a->peer_mac, a->mac, 0x0800);
	send1(a, f, l3 + n);
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char usage[] =
	"usage: port-echo [--socket VMSOCKET] --user U (--password P | --pwfile F)\n"
	"                 (--lan NAME [--owner USER] | --vswitch NAME) --ip A.B.C.D[/len]\n"
	"                 [--portnumber N] [--ping A.B.C.D] [--count N] [--seconds S]\n"
	"  answers ARP and ping for --ip; --ping pings another station --count times\n"
	"  (default 3); ends after --seconds (default 10); the socket defaults to\n"
	"  $CPNET_VM_SOCKET\n";

/* A whole number in 0..max for option k, or -1 (said on stderr). */
static long number(const char *k, const char *v, unsigned long max)
{
	char *e;
	unsigned long n = strtoul(v, &e, 10);

	if (!*v || *e || *v == '-' || n > max) {
		fprintf(stderr, "port-echo: %s %s: not a whole number in 0..%lu\n", k, v, max);
		return -1;
	}
	return (long)n;
}

int main(int argc, char **argv)
{
	struct cpnp_reg r = { 0 };
	struct app a = { 0 };
	const char *ipa = NULL, *peer = NULL;
	unsigned count = 3, seconds = 10;
	uint16_t seq = 0;
	double end, next = 0;
	long n;
	int rc;

	for (int i = 1; i < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--help") || !strcmp(k, "-h")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!v) {	/* every option takes a value: one left without is no default */
			fprintf(stderr, "port-echo: %s needs a value\n%s", k, usage);
			return 2;
		}
		if (!strcmp(k, "--socket")) r.socket = v;
		else if (!strcmp(k, "--user")) r.user = v;
		else if (!strcmp(k, "--password")) r.password = v;
		else if (!strcmp(k, "--pwfile")) r.pwfile = v;
		else if (!strcmp(k, "--lan")) r.lan = v;
		else if (!strcmp(k, "--owner")) r.lan_owner = v;
		else if (!strcmp(k, "--vswitch")) r.vswitch = v;
		else if (!strcmp(k, "--ip")) ipa = v;
		else if (!strcmp(k, "--ping")) peer = v;
		else if (!strcmp(k, "--portnumber") || !strcmp(k, "--count") ||
			 !strcmp(k, "--seconds")) {
			/* cpnetd checks a port number (1..2048, free, not another user's). */
			if ((n = number(k, v, k[2] == 'p' ? 0xFFFF : 86400)) < 0)
				return 2;
			if (k[2] == 'p')
				r.portnum = (uint16_t)n;
			else if (k[2] == 'c')
				count = (unsigned)n;
			else
				seconds = (unsigned)n;
		} else {
			fprintf(stderr, "port-echo: unknown option %s\n%s", k, usage);
			return 2;
		}
	}
	if (!ipa || inet_pton(AF_INET, ipa, a.ip) != 1) {
		char b[20];

		snprintf(b, sizeof(b), "%s", ipa ? ipa : "");
		b[strcspn(b, "/")] = 0;
		if (inet_pton(AF_INET, b, a.ip) != 1) {
			fprintf(stderr, "port-echo: --ip A.B.C.D[/len] is required\n%s", usage);
			return 2;
		}
	}
	if (peer && inet_pton(AF_INET, peer, a.peer_ip) != 1) {
		fprintf(stderr, "port-echo: --ping wants an IPv4 address\n");
		return 2;
	}
	/* 1. Register: cpnetd authorizes the port like a NIC of the user. */
	rc = cpnp_register(&r, &a.p);
	if (rc < 0) {
		fprintf(stderr, "port-echo: register: %s: %s\n", cpnp_strerror(rc),
			cpnp_last_error(NULL));
		return 1;
	}
	a.eth = cpnp_transport(a.p) == CPNP_ETHERNET;
	cpnp_port_mac(a.p, a.mac);
	/* 2. Addresses: an IP LAN routes by registered addresses (SETIP); an ETHERNET
	 * port's MAC is registered already and it answers ARP itself. */
	if (!a.eth && (rc = cpnp_add_ip(a.p, ipa)) < 0) {
		fprintf(stderr, "port-echo: add_ip %s: %s\n", ipa, cpnp_last_error(a.p));
		goto out;
	}
	/* 3. A receive handle with buffers from the shared region. */
	rc = cpnp_handle_open(a.p, &a.h);
	for (unsigned i = 0; rc == 0 && i < NBUF; i++) {
		void *b = cpnp_alloc(a.p, BUFSZ);

		rc = b ? cpnp_post(a.h, b, BUFSZ) : -ENOBUFS;
	}
	if (rc < 0) {
		fprintf(stderr, "port-echo: handle: %s (%s)\n", cpnp_strerror(rc),
			cpnp_last_error(a.p));
		goto out;
	}
	printf("port-echo: port %08X on %s %s (%s), port number %u\n", cpnp_port_id(a.p),
	       r.vswitch ? "VSWITCH" : "LAN", r.vswitch ? r.vswitch : r.lan,
	       a.eth ? "ETHERNET" : "IP", cpnp_port_number(a.p));
	fflush(stdout);
	/* 4. Serve: sleep on the eventfd only when the handle has no data. */
	end = now() + seconds;
	while (now() < end) {
		if (peer && seq < count && now() >= next) {
			ping_once(&a, ++seq);
			if (a.eth && !a.have_peer_mac)
				seq--;	/* resolved first; the ping follows */
			next = now() + 0.2;
		}
		rc = cpnp_wait(a.h, 100);
		if (rc < 0)
			break;
		if (drain(&a) < 0)
			break;
	}
	printf("port-echo: %u pings answered, %u requests echoed\n", a.answered, a.echoed);
	if (rc < 0)
		fprintf(stderr, "port-echo: %s (%s)\n", cpnp_strerror(rc), cpnp_last_error(a.p));
out:
	/* 5. Deregister: cpnetd releases everything (it would on exit too). */
	cpnp_deregister(a.p);
	return rc < 0 ? 1 : 0;
}
