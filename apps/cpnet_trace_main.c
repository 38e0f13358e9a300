/* apps/cpnet_trace_main.c - cpnet-trace: a trace port of the port API (promiscuous,
 * authorized like a NIC's SET VSWITCH ... GRANT user PROMISCUOUS) writing pcap/pcapng. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apps/appport.h"
#include "lib/cpnet.h"
#include "lib/pcapw.h"

#define NBUF 256u
#define BATCH 64u
#define PROG "cpnet-trace"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpnet-trace --user U (--password P | --pwfile F) (--vswitch NAME | --lan NAME\n"
		"                   [--owner O]) -w FILE [--trace-port N | --trace-user U | --trace-vlan V]\n"
		"                   [--snaplen N] [--count N] [--bytes N] [--filesize MB [--files N]]\n"
		"                   [--seconds S] [--socket PATH] [--portnumber N]\n"
		APPPORT_USAGE
		"  A trace port of the LAN (CPNP_REG_TRACE: every frame a port sends into the LAN,\n"
		"  from the switch's tap; the user needs PROMISCUOUS authorization, SET VSWITCH\n"
		"  name GRANT user PROMISCUOUS on a RESTRICTED LAN).  FILE ends in .pcap,\n"
		"  .pcapng, .pcap.gz or .pcapng.gz.\n"
		"  --trace-port N  only what port number N sends or receives\n"
		"  --trace-user U  only what the connections of user U send or receive\n"
		"  --trace-vlan V  only frames of VLAN V\n"
		"  Stops after --count frames, --bytes bytes, --seconds, or at SIGINT/SIGTERM;\n"
		"  prints 'cpnet-trace: N frames (B bytes) written to FILE'.\n");
}

/* A whole number in 1..max of option opt into *v: 0, or -1 (said). */
static int num(const char *opt, const char *s, double max, unsigned long long *v)
{
	double d;

	if (app_num(PROG, opt, s, 1, max, false, &d))
		return -1;
	*v = (unsigned long long)d;
	return 0;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		APPPORT_OPTIONS,
		{ "trace-vlan", required_argument, 0, 'v' },
		{ "trace-port", required_argument, 0, 'N' },
		{ "trace-user", required_argument, 0, 'U' },
		{ "snaplen", required_argument, 0, 's' },
		{ "count", required_argument, 0, 'c' },
		{ "bytes", required_argument, 0, 'b' },
		{ "filesize", required_argument, 0, 'F' },
		{ "files", required_argument, 0, 'n' },
		{ "seconds", required_argument, 0, 't' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct cpnp_reg reg = { 0 };
	struct pcapw_opts po = { 0 };
	struct cpnp_port *port = NULL;
	struct cpnp_handle *h = NULL;
	struct pcapw *w = NULL;
	struct cpnp_frame fr[BATCH];
	unsigned long long v, seconds = 0;
	uint64_t end_ns = 0, toobig = 0;
	uint32_t bufsz;
	int c, rc, ret = 1;

	while ((c = appport_getopt(PROG, argc, argv, "w:h", lo, &reg)) != -1) {
		switch (c) {
		case APPOPT_BAD:
			return 2;
		case 'w': po.path = optarg; break;
		case 'v':
			if (num("--trace-vlan", optarg, 4094, &v))
				return 2;
			reg.trace_vlan = (uint16_t)v;
			break;
		case 'N':
			if (num("--trace-port", optarg, 2048, &v))
				return 2;
			reg.trace_port = (uint16_t)v;
			break;
		case 'U': reg.trace_user = optarg; break;
		case 's':
			if (num("--snaplen", optarg, PCAPW_SNAP_DEFAULT, &v))
				return 2;
			po.snaplen = (uint32_t)v;
			break;
		case 'c':
			if (num("--count", optarg, 0x1p48, &v))
				return 2;
			po.max_packets = v;
			break;
		case 'b':
			if (num("--bytes", optarg, 0x1p48, &v))
				return 2;
			po.max_bytes = v;
			break;
		case 'F':
			if (num("--filesize", optarg, 1u << 20, &v))
				return 2;
			po.rotate_bytes = v * 1000000u;
			break;
		case 'n':
			if (num("--files", optarg, 100000, &v))
				return 2;
			po.rotate_files = (unsigned)v;
			break;
		case 't':
			if (num("--seconds", optarg, 1u << 30, &seconds))
				return 2;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !po.path || !appport_complete(&reg, false)) {
		usage(stderr);
		return 2;
	}
	if (pcapw_name_format(po.path, &po.fmt, &po.gzip) < 0) {
		fprintf(stderr, "cpnet-trace: %s: the name must end in .pcap, .pcapng, .pcap.gz or .pcapng.gz\n",
			po.path);
		return 2;
	}
	/* One filter (cpnp_register would refuse more, in its field names, not these). */
	if (!!reg.trace_port + !!reg.trace_user + !!reg.trace_vlan > 1) {
		fprintf(stderr, "cpnet-trace: --trace-port, --trace-user and --trace-vlan exclude "
			"each other: give one\n");
		return 2;
	}
	if (reg.trace_user && (!*reg.trace_user || strlen(reg.trace_user) > 8)) {
		fprintf(stderr, "cpnet-trace: --trace-user %s: a user ID of 1 to 8 characters\n",
			reg.trace_user);
		return 2;
	}
	if (po.rotate_files && !po.rotate_bytes) {
		fprintf(stderr, "cpnet-trace: --files needs --filesize\n");
		return 2;
	}
	reg.flags = CPNP_REG_TRACE;
	if (appport_register(PROG, &reg, &port) < 0)
		return 1;
	po.linktype = cpnp_transport(port) == CPNP_ETHERNET ? PCAPW_LINK_ETHERNET : PCAPW_LINK_RAW;
	po.ifname = reg.vswitch ? reg.vswitch : reg.lan;
	rc = pcapw_open(&w, &po);
	if (rc < 0) {
		fprintf(stderr, "cpnet-trace: %s: %s\n", po.path, cpnet_strerror(rc));
		goto out;
	}
	bufsz = cpnp_max_frame(port);
	if (appport_handle(PROG, port, NBUF, bufsz, &h) < 0)
		goto out;
	app_stop_on_signals();
	if (seconds)
		end_ns = wall_ns() + seconds * 1000000000ull;
	printf("cpnet-trace: port %08X tracing %s %s to %s\n", cpnp_port_id(port),
	       reg.vswitch ? "VSWITCH" : "LAN", po.ifname, po.path);
	fflush(stdout);
	while (!app_stop && (!end_ns || wall_ns() < end_ns)) {
		int n;

		rc = cpnp_wait(h, 200);
		if (rc < 0)
			break;
		n = cpnp_recv(h, fr, BATCH);
		if (n < 0) {
			rc = n;
			break;
		}
		for (int i = 0; i < n; i++) {
			struct qdio_span sp = { fr[i].data, fr[i].len };
			uint64_t ts = wall_ns();
			int wr = 0;

			/* The tap gives what the file takes (an IP LAN: IP packets only). */
			if (fr[i].flags & CPNP_F_TOOBIG)
				toobig++;
			else
				wr = pcapw_write(w, ts, &sp, 1, fr[i].len);
			if (cpnp_post(h, fr[i].data, bufsz) < 0 && !rc)
				rc = -ENOBUFS;
			if (wr == 1)
				app_stop = 1;
			else if (wr < 0)
				rc = wr;
		}
		if (rc < 0)
			break;
	}
	if (rc < 0)
		appport_say(PROG, "port", port, rc);
	else
		ret = 0;
out:
	if (w) {
		const struct pcapw_stats *st = pcapw_stats(w);

		printf("cpnet-trace: %llu frames (%llu bytes) written to %s; %llu too big for a buffer\n",
		       (unsigned long long)st->packets, (unsigned long long)st->bytes, po.path,
		       (unsigned long long)toobig);
		if (pcapw_close(w) < 0)
			ret = 1;
	}
	if (h)
		cpnp_handle_close(h);
	cpnp_deregister(port);
	return ret;
}
