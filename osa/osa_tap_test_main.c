/* osa/osa_tap_test_main.c - osa-tap-test: a synthetic guest brings a layer-3 OSA up on a
 * real TAP and pings a host on it (tests/scenarios/osa_tap.sh); optionally flaps the link
 * and exchanges a burst of numbered UDP datagrams with the host (order and loss). */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "driver/guest.h"
#include "lib/be.h"
#include "osa/osa.h"
#include "qeth/qhdr.h"

#define BURST_PORT_HOST 9999	/* the host listens here for the guest's burst */
#define BURST_PORT_GUEST 9998	/* and sends its own burst here */
#define BURST_MAX 1000u
#define BURST_PAYLOAD 1000u	/* bytes after the sequence number: 16 per SBAL */

struct ctx {
	struct osa o;
	struct guest g;
	struct guest_if *i;
	unsigned link_events;
	/* The host's burst as the guest received it. */
	qdrv_rx_fn stack_rx;
	void *stack_ctx;
	uint8_t gip[4];
	unsigned burst_got, burst_next, burst_misordered;
};

static void on_link(void *c, struct osa *o, bool up)
{
	struct ctx *x = c;

	x->link_events++;
	printf("osa-tap-test: OSA %04X link %s\n", o->cfg.rdev, up ? "up" : "down");
}

/* Wait for the TAP (at most 50 ms), then move what arrived into the guest. */
static void pump(void *c)
{
	struct ctx *x = c;
	struct pollfd p = { .fd = osa_wire_fd(&x->o), .events = POLLIN };

	if (poll(&p, 1, 50) > 0)
		osa_poll(&x->o, 64);
	osa_check_link(&x->o);
}

/* UDP datagrams to BURST_PORT_GUEST: check the sequence numbers; the rest goes to the
 * guest's stack as before. */
static void burst_rx(void *c, const uint8_t *qh, const uint8_t *data, uint32_t len)
{
	struct ctx *x = c;
	uint32_t hl;

	if (len >= 20 + 8 + 4 && (data[0] >> 4) == 4 && data[9] == 17 &&
	    !memcmp(data + 16, x->gip, 4) &&
	    (hl = (data[0] & 15u) * 4u) + 8 + 4 <= len &&
	    be_get16(data + hl + 2) == BURST_PORT_GUEST) {
		uint32_t seq = be_get32(data + hl + 8);

		if (seq != x->burst_next)
			x->burst_misordered++;
		x->burst_next = seq + 1;
		x->burst_got++;
		return;
	}
	x->stack_rx(x->stack_ctx, qh, data, len);
}

/* n numbered UDP datagrams to the peer, all queued before one flush: one SIGA-w for
 * several SBALs, so the OSA gets them as one batch (and the TAP as few). */
static int burst_send(struct ctx *x, const uint8_t pip[4], unsigned n)
{
	static uint8_t pkt[20 + 8 + 4 + BURST_PAYLOAD];
	uint64_t siga0 = osa_nic(&x->o)->st.sigas_w, b0 = osa_nic(&x->o)->st.tx_batches;
	int rc;

	for (unsigned k = 0; k < n; k++) {
		memset(pkt, 0, sizeof(pkt));
		pkt[0] = 0x45;
		be_put16(pkt + 2, sizeof(pkt));
		be_put16(pkt + 4, (uint16_t)k);
		pkt[8] = 64;
		pkt[9] = 17;
		memcpy(pkt + 12, x->gip, 4);
		memcpy(pkt + 16, pip, 4);
		be_put16(pkt + 10, stack_csum(pkt, 20, 0));
		be_put16(pkt + 20, BURST_PORT_GUEST);
		be_put16(pkt + 22, BURST_PORT_HOST);
		be_put16(pkt + 24, sizeof(pkt) - 20);	/* checksum 0: none (IPv4) */
		be_put32(pkt + 28, k);
		memset(pkt + 32, (int)(k & 0xFF), BURST_PAYLOAD);
		rc = qdrv_send_l3_v4(&x->i->drv, pkt, sizeof(pkt), pip, QHDR_L3_CAST_UCAST);
		if (rc < 0) {
			fprintf(stderr, "osa-tap-test: burst datagram %u: %s\n", k, strerror(-rc));
			return rc;
		}
	}
	rc = qdrv_flush(&x->i->drv);
	if (rc < 0)
		return rc;
	printf("osa-tap-test: burst: %u datagrams sent in %d buffers, %llu SIGA-w, %llu "
	       "port batches\n", n, rc,
	       (unsigned long long)(osa_nic(&x->o)->st.sigas_w - siga0),
	       (unsigned long long)(osa_nic(&x->o)->st.tx_batches - b0));
	return 0;
}

static int parse_ip4(const char *s, uint8_t ip[4], unsigned *prefix)
{
	unsigned a, b, c, d, p = 32;
	int n = prefix ? sscanf(s, "%u.%u.%u.%u/%u", &a, &b, &c, &d, &p)
		       : sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d);

	if (n < 4 || a > 255 || b > 255 || c > 255 || d > 255 || p > 32)
		return -EINVAL;
	ip[0] = (uint8_t)a;
	ip[1] = (uint8_t)b;
	ip[2] = (uint8_t)c;
	ip[3] = (uint8_t)d;
	if (prefix)
		*prefix = n == 5 ? p : 24;
	return 0;
}

/* Operator action on the TAP: ip link set dev NAME up/down. */
static int set_if_up(const char *name, bool up)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = -errno;
	} else {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
	close(s);
	return rc;
}

/* The TAP's operational state (IFF_RUNNING) trails IFF_UP by up to a second; until
 * it is up a bridge does not forward to the port.  Wait for it (bounded: 5 s). */
static void await_running(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	for (int k = 0; k < 100; k++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags & IFF_RUNNING))
			break;
		usleep(50000);
	}
	close(s);
}

/* Poll the link until it is `up` (bounded: 2 s); the guest must follow. */
static int await_link(struct ctx *x, bool up)
{
	for (int k = 0; k < 100; k++) {
		pump(x);
		guest_poll(&x->g);
		if (x->o.link_up == up && x->i->drv.link_up == up)
			return 0;
	}
	fprintf(stderr, "osa-tap-test: link did not go %s (osa %d, driver %d)\n",
		up ? "up" : "down", x->o.link_up, x->i->drv.link_up);
	return -ETIMEDOUT;
}

static void usage(void)
{
	fprintf(stderr, "usage: osa-tap-test TAPNAME GUEST-IP[/PREFIX] PEER-IP [COUNT] [--flap]"
			" [--serve SECONDS] [--burst N]\n"
			"  brings a synthetic guest up on a layer-3 OSA whose port is the TAP,\n"
			"  pings PEER-IP COUNT times (default 3); --flap then sets the TAP down\n"
			"  and up and checks that the guest sees STOPLAN and STARTLAN; --serve\n"
			"  keeps the guest answering for SECONDS (the host pings it); --burst\n"
			"  sends N numbered UDP datagrams to PEER-IP port 9999 in one flush and\n"
			"  waits for N from the host to port 9998, complete and in order.\n");
}

int main(int argc, char **argv)
{
	struct ctx *x;
	struct osa_cfg c;
	uint8_t gip[4], pip[4];
	unsigned prefix, count = 3;
	bool flap = false;
	unsigned serve = 0, burst = 0;
	int rc, n, ret = 1;

	if (argc < 4 || parse_ip4(argv[2], gip, &prefix) < 0 || parse_ip4(argv[3], pip, NULL) < 0) {
		usage();
		return 2;
	}
	for (int a = 4; a < argc; a++) {
		if (!strcmp(argv[a], "--flap"))
			flap = true;
		else if (!strcmp(argv[a], "--serve") && a + 1 < argc)
			serve = (unsigned)strtoul(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--burst") && a + 1 < argc)
			burst = (unsigned)strtoul(argv[++a], NULL, 10);
		else
			count = (unsigned)strtoul(argv[a], NULL, 10);
	}
	if (count == 0 || count > 1000 || serve > 600 || burst > BURST_MAX) {
		usage();
		return 2;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return 1;
	memset(&c, 0, sizeof(c));
	c.rdev = 0x0A00;
	c.schno = 0x10;
	c.chpid = 0x0A;
	c.link_cb = on_link;
	c.link_ctx = x;
	rc = osa_create(&x->o, &c, &wire_tap_class, argv[1]);
	if (rc < 0) {
		fprintf(stderr, "osa-tap-test: TAP %s: %s\n", argv[1], strerror(-rc));
		free(x);
		return 1;
	}
	printf("osa-tap-test: OSA 0A00-0A02 on TAP %s, MAC %02X:%02X:%02X:%02X:%02X:%02X, "
	       "MTU %u, link %s\n", x->o.wire.name, x->o.mac[0], x->o.mac[1], x->o.mac[2],
	       x->o.mac[3], x->o.mac[4], x->o.mac[5], x->o.mtu, x->o.link_up ? "up" : "down");
	await_running(x->o.wire.name);
	if ((rc = guest_create(&x->g, 0)) < 0 ||
	    (rc = guest_attach_nic(&x->g, osa_nic(&x->o), 0x0A00, 3, &x->i)) < 0) {
		fprintf(stderr, "osa-tap-test: guest: %s\n", strerror(-rc));
		goto out;
	}
	if ((rc = guest_if_online(x->i)) < 0 || (rc = guest_if_add_ip4(x->i, gip, prefix)) < 0) {
		fprintf(stderr, "osa-tap-test: online: %d %s\n", rc, x->i->drv.last_error);
		goto out;
	}
	printf("osa-tap-test: guest online in layer 3 as %s\n", argv[2]);
	n = guest_ping4(x->i, pip, count, 56, pump, x);
	printf("osa-tap-test: %d of %u echo replies from %s (ARP: %llu requests sent, "
	       "%llu answered)\n", n, count, argv[3], (unsigned long long)x->o.st.arp_req_tx,
	       (unsigned long long)x->o.st.arp_rep_tx);
	if (n != (int)count)
		goto out;
	if (burst) {
		/* The host (tests/scenarios/osa_tap.sh) takes our burst, then sends its
		 * own: wait for it up to 20 s in 50 ms rounds. */
		memcpy(x->gip, gip, 4);
		x->stack_rx = x->i->drv.cfg.rx;
		x->stack_ctx = x->i->drv.cfg.rx_ctx;
		x->i->drv.cfg.rx = burst_rx;
		x->i->drv.cfg.rx_ctx = x;
		if (burst_send(x, pip, burst) < 0)
			goto out;
		fflush(stdout);
		for (unsigned k = 0; k < 400 && x->burst_got < burst; k++) {
			pump(x);
			guest_poll(&x->g);
		}
		x->i->drv.cfg.rx = x->stack_rx;
		x->i->drv.cfg.rx_ctx = x->stack_ctx;
		printf("osa-tap-test: burst: %u of %u datagrams from the host, %u out of order\n",
		       x->burst_got, burst, x->burst_misordered);
		if (x->burst_got != burst || x->burst_misordered)
			goto out;
	}
	if (flap) {
		if (set_if_up(x->o.wire.name, false) < 0 || await_link(x, false) < 0)
			goto out;
		printf("osa-tap-test: TAP down -> guest saw STOPLAN\n");
		if (set_if_up(x->o.wire.name, true) < 0 || await_link(x, true) < 0)
			goto out;
		printf("osa-tap-test: TAP up -> guest saw STARTLAN\n");
		if (x->link_events != 2)
			goto out;
	}
	if (serve) {
		uint64_t e0 = x->i->stk.st.echo_req_rx, a0 = x->o.st.arp_rep_tx;

		/* The scenario pings the guest now: ARP answered by the OSA, echo by
		 * the guest. 50 ms rounds. */
		printf("osa-tap-test: serving for %u s\n", serve);
		fflush(stdout);
		for (unsigned k = 0; k < serve * 20; k++) {
			pump(x);
			guest_poll(&x->g);
		}
		printf("osa-tap-test: served: %llu echo requests, %llu ARP replies\n",
		       (unsigned long long)(x->i->stk.st.echo_req_rx - e0),
		       (unsigned long long)(x->o.st.arp_rep_tx - a0));
	}
	ret = 0;
out:
	for (int d = 0; d < OSA_D_NR; d++)
		if (x->o.st.rx_drop[d] || x->o.st.tx_drop[d])
			printf("osa-tap-test: dropped (%s): %llu in, %llu out\n",
			       osa_drop_name((enum osa_drop)d),
			       (unsigned long long)x->o.st.rx_drop[d],
			       (unsigned long long)x->o.st.tx_drop[d]);
	guest_destroy(&x->g);
	osa_destroy(&x->o);
	free(x);
	return ret;
}
