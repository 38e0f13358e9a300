/* apps/cpnet_tap_main.c - cpnet-tap: a Linux TAP interface as a port of a cpnet ETHERNET
 * LAN (the port API), so that the host's own IP stack (TCP included) is on the switch. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "apps/appport.h"

#define NBUF 128u
#define BATCH 32u
#define TAP_FRAME 9018u		/* the largest frame an ETHERNET LAN carries, and some */

#define PROG "cpnet-tap"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpnet-tap --user U (--password P | --pwfile F) (--vswitch NAME | --lan NAME\n"
		"                 [--owner O]) --tap IFNAME [--vlan V] [--portnumber N] [--seconds S]\n"
		"                 [--socket PATH]\n"
		APPPORT_USAGE
		"  --tap IFNAME     the TAP interface to make (at most 15 characters)\n"
		"  --vlan V         the port's VLAN, if the user is granted more than one\n"
		"  Makes the TAP interface IFNAME (created here, gone when cpnet-tap ends) a port of\n"
		"  the ETHERNET LAN, authorized like a NIC of the user; the interface gets the MAC\n"
		"  cpnetd assigned to the port (the switch's source checks want it).  Frames the\n"
		"  host's stack sends on IFNAME go into the switch, frames the switch delivers to\n"
		"  the port come out of IFNAME.  Move IFNAME to a network namespace and give it an\n"
		"  address as any interface.  Prints 'cpnet-tap: port ID on ... MAC m' once ready,\n"
		"  'cpnet-tap: N frames in, M out' at the end (SIGINT/SIGTERM or --seconds).\n");
}

/* The TAP device, with the port's MAC (SIOCSIFHWADDR on the tun descriptor). */
static int tap_open(const char *name, const uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0)
		goto fail;
	return fd;
fail:
	{
		int e = -errno;

		close(fd);
		return e;
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		APPPORT_OPTIONS,
		{ "tap", required_argument, 0, 'T' },
		{ "vlan", required_argument, 0, 'v' },
		{ "seconds", required_argument, 0, 't' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct cpnp_reg reg = { 0 };
	struct cpnp_port *port = NULL;
	struct cpnp_handle *h = NULL;
	struct cpnp_frame fr[BATCH];
	static uint8_t in[TAP_FRAME];
	const char *tap = NULL;
	double v, seconds = 0;
	unsigned long long from_tap = 0, to_tap = 0, tap_full = 0;
	uint8_t mac[6];
	uint32_t bufsz;
	double end = 0;
	int c, rc, fd = -1, ret = 1;

	while ((c = appport_getopt(PROG, argc, argv, "h", lo, &reg)) != -1) {
		switch (c) {
		case APPOPT_BAD:
			return 2;
		case 'T': tap = optarg; break;
		case 'v':
			if (app_num(PROG, "--vlan", optarg, 1, 4094, false, &v))
				return 2;
			reg.vlan = (uint16_t)v;
			break;
		case 't':
			if (app_num(PROG, "--seconds", optarg, 0.001, 1 << 30, true, &seconds))
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !tap || !appport_complete(&reg, false)) {
		usage(stderr);
		return 2;
	}
	if (strlen(tap) >= IFNAMSIZ) {
		fprintf(stderr, "cpnet-tap: --tap %s: longer than %d characters\n", tap, IFNAMSIZ - 1);
		return 2;
	}
	/* The kernel takes "" and "x%d" as a pattern and names the TAP itself: the name we
	 * print and the user moves to a namespace would not be the interface's. */
	if (!*tap || tap[strcspn(tap, "%/: \t\n")]) {
		fprintf(stderr, "cpnet-tap: --tap '%s': an interface name (no %%, /, : or blanks)\n",
			tap);
		return 2;
	}
	if (appport_register(PROG, &reg, &port) < 0)
		return 1;
	if (cpnp_transport(port) != CPNP_ETHERNET) {
		fprintf(stderr, "cpnet-tap: %s is an IP LAN: a TAP carries Ethernet frames\n",
			reg.vswitch ? reg.vswitch : reg.lan);
		goto out;
	}
	cpnp_port_mac(port, mac);
	fd = tap_open(tap, mac);
	if (fd < 0) {
		/* TUNSETIFF: EINVAL for an interface of that name that is no TAP (lo, eth0),
		 * EBUSY for a TAP another process holds. */
		fprintf(stderr, "cpnet-tap: TAP %s: %s\n", tap,
			fd == -EINVAL ? "an interface of that name exists and is not a TAP" :
			fd == -EBUSY ? "the TAP exists and another process has it open" :
			strerror(-fd));
		goto out;
	}
	bufsz = cpnp_max_frame(port);
	if (appport_handle(PROG, port, NBUF, bufsz, &h) < 0)
		goto out;
	app_stop_on_signals();
	if (seconds)
		end = now_s() + seconds;
	printf("cpnet-tap: port %08X on %s %s, port number %u, MAC %02X-%02X-%02X-%02X-%02X-%02X, "
	       "interface %s\n", cpnp_port_id(port), reg.vswitch ? "VSWITCH" : "LAN",
	       reg.vswitch ? reg.vswitch : reg.lan, cpnp_port_number(port), mac[0], mac[1], mac[2],
	       mac[3], mac[4], mac[5], tap);
	fflush(stdout);
	rc = 0;
	while (!app_stop && (!end || now_s() < end)) {
		struct pollfd pf[2] = { { fd, POLLIN, 0 }, { cpnp_wait_fd(h), POLLIN, 0 } };
		int n, ready = cpnp_ready(h);
		uint64_t ev;

		if (ready < 0) {
			rc = ready;
			break;
		}
		if (!ready && (n = poll(pf, 2, 200)) <= 0) {
			if (n < 0 && errno != EINTR) {
				rc = -errno;
				break;
			}
			/* Quiet for 200 ms: cpnp_wait also reads the link, where cpnetd's
			 * end shows (FORCE, cpnetd gone). */
			if (n == 0 && (rc = cpnp_wait(h, 1)) < 0)
				break;
			rc = 0;
		}
		if (pf[1].revents & POLLIN)
			(void)!read(pf[1].fd, &ev, sizeof(ev));
		/* The host's stack -> the switch: one frame a read, a batch of what is there. */
		for (unsigned k = 0; k < BATCH; k++) {
			ssize_t got = read(fd, in, sizeof(in));
			struct cpnp_frame f = { .data = in, .len = (uint32_t)got };

			if (got <= 0)
				break;
			/* A frame the LAN would refuse (too large, too short) is the host's
			 * problem: dropped here, the port goes on. */
			if ((uint32_t)got > bufsz || got < 14)
				continue;
			n = cpnp_send(port, &f, 1);
			if (n == -EMSGSIZE || n == -EINVAL)
				continue;
			if (n < 0) {
				rc = n;
				break;
			}
			from_tap += (unsigned)n;
		}
		if (rc < 0)
			break;
		/* The switch -> the host's stack. */
		while ((n = cpnp_recv(h, fr, BATCH)) > 0) {
			for (int i = 0; i < n; i++) {
				if (fr[i].len && write(fd, fr[i].data, fr[i].len) == (ssize_t)fr[i].len)
					to_tap++;
				else if (fr[i].len)
					tap_full++;	/* the interface is down or its queue full */
				if ((rc = cpnp_post(h, fr[i].data, bufsz)) < 0)
					break;
			}
			if (rc < 0)
				break;
		}
		if (n < 0)
			rc = n;
		if (rc < 0)
			break;
	}
	if (rc < 0)
		appport_say(PROG, "port", port, rc);
	else
		ret = 0;
	printf("cpnet-tap: %llu frames in, %llu out, %llu not taken by %s\n", from_tap, to_tap,
	       tap_full, tap);
out:
	if (fd >= 0)
		close(fd);
	if (h)
		cpnp_handle_close(h);
	cpnp_deregister(port);
	return ret;
}
