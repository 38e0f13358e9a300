/* tests/guests/hostile.c - a hostile guest's tools (static s390x, in t_hostile's initramfs): forged
 * sources, oversized frames and a flood through the unmodified qeth driver; plus a UDP handshake.
 *
 * Every command prints one line "HOSTILE <cmd> ..." with what the kernel accepted, so the
 * host test can compare it with the counted drops of cpnetd's switch.  Frames are built
 * here byte by byte in network order (the guest is big-endian, the format is not).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif
#ifndef PACKET_VNET_HDR
#define PACKET_VNET_HDR 15
#endif
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif

/* The virtio_net_hdr a PACKET_VNET_HDR socket reads before each frame (native endian on
 * a legacy header: the guest's). */
struct vnet_hdr {
	uint8_t flags;		/* 1 = NEEDS_CSUM */
	uint8_t gso_type;	/* 1 = TCPV4 */
	uint16_t hdr_len, gso_size, csum_start, csum_offset;
};
_Static_assert(sizeof(struct vnet_hdr) == 10, "virtio_net_hdr is 10 bytes");

static void usage(void)
{
	fprintf(stderr,
		"usage: hostile mac IF SRCMAC DSTMAC COUNT    L2 frames with source SRCMAC\n"
		"       hostile ip4 SRC DST COUNT             raw IPv4/UDP from SRC (IP_HDRINCL)\n"
		"       hostile ip6 SRC DST COUNT             raw IPv6/UDP from SRC (IPV6_HDRINCL)\n"
		"       hostile big IF DSTMAC SRCIP DSTIP SIZE COUNT  frames of SIZE bytes\n"
		"       hostile flood IF DSTMAC SECS STOPPORT  unknown unicast until a datagram\n"
		"                                             arrives on STOPPORT or SECS pass\n"
		"       hostile tell IP PORT                  'go' until answered (60 s at most)\n"
		"       hostile wait PORT SECS                wait for a tell, answer it\n");
	exit(64);
}

static void die(const char *what)
{
	printf("HOSTILE error %s: %s\n", what, strerror(errno));
	exit(1);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int parse_mac(const char *s, uint8_t *m)
{
	unsigned b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -1;
		m[i] = (uint8_t)b[i];
	}
	return 0;
}

static unsigned num(const char *s, unsigned max)
{
	char *e;
	unsigned long v = strtoul(s, &e, 0);

	if (*s == 0 || *e || v > max)
		usage();
	return (unsigned)v;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)~s;
}

/* An IPv4 header at p: total length tot, protocol proto, checksum filled in. */
static void ip4_hdr(uint8_t *p, unsigned tot, uint8_t proto, const struct in_addr *src,
		    const struct in_addr *dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	put16(p + 2, tot);
	put16(p + 4, 0x4242);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	put16(p + 10, csum(p, 20));
}

/* A UDP header to the discard port with `len` bytes after it (checksum 0: none). */
static void udp_hdr(uint8_t *p, unsigned len)
{
	put16(p, 40000);
	put16(p + 2, 9);
	put16(p + 4, 8 + len);
	put16(p + 6, 0);
}

/* A packet socket bound to interface `ifname`; its MAC in `mac` when non-NULL. */
static int packet_socket(const char *ifname, struct sockaddr_ll *to, uint8_t *mac)
{
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		die("socket(AF_PACKET)");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		die(ifname);
	memset(to, 0, sizeof(*to));
	to->sll_family = AF_PACKET;
	to->sll_ifindex = ifr.ifr_ifindex;
	to->sll_halen = 6;
	if (mac) {
		if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
			die("SIOCGIFHWADDR");
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	return fd;
}

/*
 * Send `count` copies of frame f; a full driver queue (ENOBUFS/EAGAIN) is retried after a
 * pause, bounded, so that the guest's own traffic (ping replies) is not starved.  `gap_us`
 * paces every send (0: a short pause after each 32): what the driver takes must also fit
 * Hercules' socket to cpnetd, which drops (and counts) what does not.
 */
static void send_n(const char *tag, int fd, const void *f, size_t len, const struct sockaddr *to,
		   socklen_t tolen, unsigned count, unsigned gap_us)
{
	unsigned sent = 0, failed = 0;
	int last = 0;

	for (unsigned i = 0; i < count; i++) {
		int tries = 0;

		while (sendto(fd, f, len, 0, to, tolen) < 0) {
			last = errno;
			if ((errno != ENOBUFS && errno != EAGAIN) || ++tries > 50) {
				failed++;
				goto next;
			}
			usleep(2000);
		}
		sent++;
next:
		if (gap_us)
			usleep(gap_us);
		else if (i % 32 == 31)
			usleep(5000);	/* leave room in the queue for the guest's own frames */
	}
	printf("HOSTILE %s sent %u failed %u%s%s\n", tag, sent, failed, failed ? " last " : "",
	       failed ? strerror(last) : "");
}

/* mac IF SRCMAC DSTMAC COUNT: an IPv4/UDP frame whose Ethernet source is SRCMAC. */
static int cmd_mac(char **av)
{
	struct sockaddr_ll to;
	uint8_t f[60], src[6], dst[6];
	struct in_addr a = { htonl(0x0A0000FE) }, b = { htonl(0x0A0000FF) };
	int fd;

	if (parse_mac(av[1], src) || parse_mac(av[2], dst))
		usage();
	fd = packet_socket(av[0], &to, NULL);
	memset(f, 0, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, ETHERTYPE_IP);
	ip4_hdr(f + 14, 46, IPPROTO_UDP, &a, &b);
	udp_hdr(f + 34, 18);
	memcpy(to.sll_addr, dst, 6);
	send_n("mac", fd, f, sizeof(f), (struct sockaddr *)&to, sizeof(to), num(av[3], 1000000), 0);
	return 0;
}

/* ip4 SRC DST COUNT: IPv4/UDP with a source of our choosing, routed by the kernel. */
static int cmd_ip4(char **av)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct in_addr src;
	uint8_t p[20 + 8 + 32];
	int fd, on = 1;

	if (inet_pton(AF_INET, av[0], &src) != 1 || inet_pton(AF_INET, av[1], &to.sin_addr) != 1)
		usage();
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on)) < 0)
		die("raw IPv4 socket");
	memset(p, 0, sizeof(p));
	ip4_hdr(p, sizeof(p), IPPROTO_UDP, &src, &to.sin_addr);
	udp_hdr(p + 20, 32);
	send_n("ip4", fd, p, sizeof(p), (struct sockaddr *)&to, sizeof(to), num(av[2], 1000000), 0);
	return 0;
}

/* ip6 SRC DST COUNT: IPv6/UDP with a source of our choosing. */
static int cmd_ip6(char **av)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	struct in6_addr src;
	uint8_t p[40 + 8 + 32];
	int fd, on = 1;

	if (inet_pton(AF_INET6, av[0], &src) != 1 || inet_pton(AF_INET6, av[1], &to.sin6_addr) != 1)
		usage();
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof(on)) < 0)
		die("raw IPv6 socket");
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	put16(p + 4, 8 + 32);
	p[6] = IPPROTO_UDP;
	p[7] = 64;
	memcpy(p + 8, &src, 16);
	memcpy(p + 24, &to.sin6_addr, 16);
	udp_hdr(p + 40, 32);
	send_n("ip6", fd, p, sizeof(p), (struct sockaddr *)&to, sizeof(to), num(av[2], 1000000), 0);
	return 0;
}

/*
 * big IF DSTMAC SRCIP DSTIP SIZE COUNT.  A plain packet-socket frame beyond the MTU is
 * refused by the kernel (EMSGSIZE, reported).  What does get through: a TCP "GSO" packet
 * (PACKET_VNET_HDR) whose segment size makes each segment SIZE bytes on the wire; the
 * kernel segments it in software (qeth offers no TSO here) without checking the MTU,
 * and qeth sends every segment.  Each send makes two frames of SIZE bytes.
 */
static int cmd_big(char **av)
{
	struct sockaddr_ll to;
	struct in_addr sip, dip;
	uint8_t dst[6], mac[6];
	unsigned size = num(av[4], 65000), count = num(av[5], 10000), mss;
	static uint8_t f[sizeof(struct vnet_hdr) + 65536];
	struct vnet_hdr *vh = (struct vnet_hdr *)f;
	uint8_t *e = f + sizeof(*vh);
	size_t len;
	int fd, on = 1;

	if (parse_mac(av[1], dst) || inet_pton(AF_INET, av[2], &sip) != 1 ||
	    inet_pton(AF_INET, av[3], &dip) != 1 || size < 200 || 54 + 2 * (size - 54) > 65000)
		usage();
	mss = size - 54;
	fd = packet_socket(av[0], &to, mac);
	memcpy(to.sll_addr, dst, 6);
	memset(f, 0, sizeof(f));
	memcpy(e, dst, 6);
	memcpy(e + 6, mac, 6);
	put16(e + 12, ETHERTYPE_IP);
	/* First the plain way: one frame of SIZE bytes. */
	ip4_hdr(e + 14, size - 14, IPPROTO_UDP, &sip, &dip);
	udp_hdr(e + 34, size - 42);
	if (sendto(fd, e, size, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		printf("HOSTILE big plain %u refused: %s\n", size, strerror(errno));
	else
		printf("HOSTILE big plain %u sent\n", size);
	close(fd);

	fd = packet_socket(av[0], &to, NULL);
	memcpy(to.sll_addr, dst, 6);
	if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof(on)) < 0)
		die("PACKET_VNET_HDR");
	len = 54 + 2 * mss;
	ip4_hdr(e + 14, (unsigned)len - 14, IPPROTO_TCP, &sip, &dip);
	memset(e + 34, 0, 20);
	put16(e + 34, 40000);		/* ports */
	put16(e + 36, 9);
	e[46] = 5 << 4;			/* data offset: 20 bytes */
	e[47] = 0x18;			/* ACK PSH */
	put16(e + 48, 1024);		/* window */
	vh->flags = 1;			/* the kernel finishes the TCP checksum */
	vh->gso_type = 1;		/* TCPv4 */
	vh->hdr_len = 54;
	vh->gso_size = (uint16_t)mss;
	vh->csum_start = 34;
	vh->csum_offset = 16;
	send_n("big gso", fd, f, sizeof(*vh) + len, (struct sockaddr *)&to, sizeof(to), count,
	       100000);
	printf("HOSTILE big gso frames of %u bytes, 2 per send\n", size);
	return 0;
}

/* A UDP socket bound to `port` on every address. */
static int udp_bound(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("UDP bind");
	return fd;
}

/* A datagram arrived on fd: answer its sender (three times: the answer may meet a full
 * queue) so that its `tell` stops repeating. */
static void heard(int fd)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	char b[16];

	if (recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl) < 0)
		return;
	for (int i = 0; i < 3; i++) {
		sendto(fd, "ok", 2, 0, (struct sockaddr *)&from, fl);
		usleep(100000);
	}
}

/* flood IF DSTMAC SECS STOPPORT: minimal frames from our own MAC to DSTMAC, which
 * nobody owns, as fast as the driver takes them (no qdisc, so the guest's own
 * traffic keeps its queue), until a datagram arrives on STOPPORT or SECS pass. */
static int cmd_flood(char **av)
{
	struct sockaddr_ll to;
	uint8_t f[60], dst[6], mac[6];
	unsigned secs = num(av[2], 3600);
	struct in_addr a = { htonl(0x0A0000FE) }, b = { htonl(0x0A0000FF) };
	uint64_t sent = 0, busy = 0, failed = 0;
	int fd, stop, on = 1;
	const char *why = "time";
	double t0 = now(), t;

	if (parse_mac(av[1], dst))
		usage();
	stop = udp_bound(num(av[3], 65535));
	fd = packet_socket(av[0], &to, mac);
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &on, sizeof(on)) < 0)
		die("PACKET_QDISC_BYPASS");
	memcpy(to.sll_addr, dst, 6);
	memset(f, 0, sizeof(f));
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, ETHERTYPE_IP);
	ip4_hdr(f + 14, 46, IPPROTO_UDP, &a, &b);
	udp_hdr(f + 34, 18);
	for (;;) {
		struct pollfd p = { .fd = stop, .events = POLLIN };

		for (int i = 0; i < 256; i++) {
			if (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) ==
			    (ssize_t)sizeof(f))
				sent++;
			else if (errno == ENOBUFS || errno == EAGAIN)
				busy++;
			else
				failed++;
		}
		if (busy > sent + 100000)
			usleep(200);	/* a stalled queue: do not spin the guest's only CPU */
		if (poll(&p, 1, 0) > 0) {
			heard(stop);
			why = "stop datagram";
			break;
		}
		if (now() - t0 > secs)
			break;
	}
	t = now() - t0;
	printf("HOSTILE flood sent %llu busy %llu failed %llu in %.1fs (%.0f/s), ended by %s\n",
	       (unsigned long long)sent, (unsigned long long)busy, (unsigned long long)failed, t,
	       sent / (t > 0 ? t : 1), why);
	return 0;
}

/* tell IP PORT: "go" every half second until the other side's `wait` (or flood) answers;
 * at most a minute. */
static int cmd_tell(char **av)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)num(av[1], 65535)) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned tries = 0;
	int r = 0;

	if (fd < 0 || inet_pton(AF_INET, av[0], &to.sin_addr) != 1)
		usage();
	while (tries < 120 && r <= 0) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		tries++;
		sendto(fd, "go", 2, 0, (struct sockaddr *)&to, sizeof(to));
		r = poll(&p, 1, 500);
	}
	printf("HOSTILE tell %s:%s %s after %u tries\n", av[0], av[1], r > 0 ? "answered" : "unanswered",
	       tries);
	return r > 0 ? 0 : 1;
}

/* wait PORT SECS: until a `tell` arrives (answered) or SECS pass. */
static int cmd_wait(char **av)
{
	int fd = udp_bound(num(av[0], 65535));
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, (int)num(av[1], 3600) * 1000);

	if (r > 0)
		heard(fd);
	printf("HOSTILE wait %s: %s\n", av[0], r > 0 ? "told" : "timeout");
	return r > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;
		int (*fn)(char **);
	} cmds[] = {
		{ "mac", 4, cmd_mac }, { "ip4", 3, cmd_ip4 }, { "ip6", 3, cmd_ip6 },
		{ "big", 6, cmd_big }, { "flood", 4, cmd_flood }, { "tell", 2, cmd_tell },
		{ "wait", 2, cmd_wait },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			if (argc - 2 != cmds[i].args)
				usage();
			return cmds[i].fn(argv + 2);
		}
	usage();
	return 64;
}
