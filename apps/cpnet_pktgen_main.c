/* apps/cpnet_pktgen_main.c - cpnet-pktgen: generator or sink of numbered frames, over a
 * cpnet port (the port API) or a Linux interface (AF_PACKET rings, the baseline). */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "apps/afpkt.h"
#include "apps/appport.h"
#include "apps/pgport.h"
#include "apps/pktgen.h"
#include "lib/cpnet.h"

#define PROG "cpnet-pktgen"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpnet-pktgen gen|sink --if IFNAME [options]\n"
		"       cpnet-pktgen gen|sink --user U (--password P|--pwfile F) (--vswitch NAME |\n"
		"                    --lan NAME [--owner O]) [--socket PATH] [--ip A] [--dst-ip B] [options]\n"
		"  --if IFNAME      a Linux interface, AF_PACKET rings (the baseline)\n"
		"  --user ...       a port of a cpnet LAN through the port API (socket: cpnetd's VM\n"
		"                   socket, default $CPNET_VM_SOCKET); the source MAC is the port's;\n"
		"                   on an IP LAN --ip registers the port's address and --dst-ip\n"
		"                   is where the generator sends\n"
		APPPORT_USAGE
		"  --size N         frame bytes, link header included (default 64)\n"
		"  --batch N        generator: frames per send, 1..1024 (default 64)\n"
		"  --seconds S      stop after S seconds\n"
		"  --count N        stop after N frames\n"
		"  --rate PPS       generator: at most PPS frames/s (default: as fast as it goes)\n"
		"  --idle MS        sink: stop MS ms after the last frame (default 1000)\n"
		"  --bufsize N      sink on a port: receive buffers of N bytes (default: the\n"
		"                   LAN's largest frame; longer frames count as drops)\n"
		"  --stream N       stream id (default 1); the sink counts only its stream\n"
		"  --dst MAC        gen: destination MAC (default ff:ff:ff:ff:ff:ff)\n"
		"  --src MAC        gen --if: source MAC (default 02:00:00:00:00:01)\n"
		"gen prints 'gen: sent=N secs=T fps=R full=F'; sink prints\n"
		"'sink: received=N secs=T fps=R lost=L reordered=X duplicates=D late=Z foreign=F drops=K'\n");
}

struct afio {
	struct afpkt *a;
};

static int af_send(void *ctx, unsigned n, uint32_t len, void (*fill)(void *, uint8_t *), void *arg)
{
	return afpkt_send(((struct afio *)ctx)->a, n, len, fill, arg);
}

static int af_recv(void *ctx, int timeout_ms, void (*cb)(void *, const uint8_t *, uint32_t),
		   void *arg)
{
	return afpkt_recv(((struct afio *)ctx)->a, timeout_ms, cb, arg);
}

static uint64_t af_drops(void *ctx)
{
	return afpkt_rx_drops(((struct afio *)ctx)->a);
}

/* A whole number of option opt in lo..hi (--seconds: a fraction too). */
static int num(const char *opt, const char *s, double lo, double hi, double *v)
{
	return app_num(PROG, opt, s, lo, hi, !strcmp(opt, "--seconds"), v);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "if", required_argument, 0, 'i' },
		{ "size", required_argument, 0, 's' },
		{ "batch", required_argument, 0, 'b' },
		{ "seconds", required_argument, 0, 't' },
		{ "count", required_argument, 0, 'c' },
		{ "rate", required_argument, 0, 'r' },
		{ "idle", required_argument, 0, 'I' },
		{ "bufsize", required_argument, 0, 'Z' },
		{ "stream", required_argument, 0, 'S' },
		{ "dst", required_argument, 0, 'd' },
		{ "src", required_argument, 0, 'a' },
		APPPORT_OPTIONS,
		{ "ip", required_argument, 0, 'A' },
		{ "dst-ip", required_argument, 0, 'B' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	struct cpnp_reg reg = { 0 };
	struct cpnp_port *port = NULL;
	static struct pgport pg;
	const char *ip = NULL, *dst_ip = NULL;
	bool src_given = false, dst_given = false, rate_given = false, batch_given = false,
	     idle_given = false;
	const char *wrong = NULL;
	uint32_t bufsz = 0;
	struct pktgen_cfg cfg;
	struct pktgen_run run = { .batch = 64, .idle_ms = 1000 };
	struct pktgen_result res;
	struct pktgen_io io;
	struct afio af = { 0 };
	const char *ifname = NULL;
	bool gen;
	double v;
	int c, rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.size = 64;
	cfg.stream = 1;
	memset(cfg.dst_mac, 0xFF, 6);
	memcpy(cfg.src_mac, (const uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
	if (argc < 2 || (strcmp(argv[1], "gen") && strcmp(argv[1], "sink"))) {
		usage(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
		return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
	}
	gen = !strcmp(argv[1], "gen");
	optind = 2;
	while ((c = appport_getopt(PROG, argc, argv, "", lo, &reg)) != -1) {
		switch (c) {
		case APPOPT_BAD:
			return 2;
		case 'i':
			ifname = optarg;
			break;
		case 's':
			if (num("--size", optarg, pktgen_min_size(false), PKTGEN_MAX_FRAME, &v))
				return 2;
			cfg.size = (uint32_t)v;
			break;
		case 'b':
			if (num("--batch", optarg, 1, 1024, &v))
				return 2;
			run.batch = (unsigned)v;
			batch_given = true;
			break;
		case 't':
			if (num("--seconds", optarg, 0.001, 86400, &v))
				return 2;
			run.seconds = v;
			break;
		case 'c':
			if (num("--count", optarg, 1, 1e15, &v))
				return 2;
			run.count = (uint64_t)v;
			break;
		case 'r':
			if (num("--rate", optarg, 1, 1e9, &v))
				return 2;
			run.rate = (uint64_t)v;
			rate_given = true;
			break;
		case 'I':
			if (num("--idle", optarg, 0, 3600000, &v))
				return 2;
			run.idle_ms = (unsigned)v;
			idle_given = true;
			break;
		case 'Z':
			if (num("--bufsize", optarg, 64, PKTGEN_MAX_FRAME + 64, &v))
				return 2;
			bufsz = (uint32_t)v;
			break;
		case 'S':
			if (num("--stream", optarg, 0, 4294967295.0, &v))
				return 2;
			cfg.stream = (uint32_t)v;
			break;
		case 'd':
		case 'a':
			if (pktgen_parse_mac(optarg, c == 'd' ? cfg.dst_mac : cfg.src_mac) < 0) {
				fprintf(stderr, "cpnet-pktgen: bad MAC address %s\n", optarg);
				return 2;
			}
			src_given |= c == 'a';
			dst_given |= c == 'd';
			break;
		case 'A': ip = optarg; break;
		case 'B': dst_ip = optarg; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* A Linux interface or a port of a LAN, not both. */
	if (optind != argc || !ifname == !reg.user || !appport_complete(&reg, ifname != NULL)) {
		usage(stderr);
		return 2;
	}
	if (bufsz && (gen || ifname)) {
		fprintf(stderr, "cpnet-pktgen: --bufsize is for a sink on a port\n");
		return 2;
	}
	/* An option the mode has no use for is refused, not ignored: a sink neither paces
	 * nor addresses, a generator does not wait for frames, an interface has no
	 * registered IP address, and a port sends from the MAC cpnetd gave it (the
	 * switch's source check drops any other, so --src would lose every frame). */
	if (!gen && (rate_given || batch_given || src_given || dst_given || dst_ip))
		wrong = rate_given ? "--rate" : batch_given ? "--batch" : src_given ? "--src" :
			dst_given ? "--dst" : "--dst-ip";
	if (wrong) {
		fprintf(stderr, "cpnet-pktgen: %s is for gen\n", wrong);
		return 2;
	}
	if (gen && idle_given) {
		fprintf(stderr, "cpnet-pktgen: --idle is for sink\n");
		return 2;
	}
	if (ifname && (ip || dst_ip)) {
		fprintf(stderr, "cpnet-pktgen: --ip / --dst-ip are for a port on an IP LAN, not --if\n");
		return 2;
	}
	if (!ifname && src_given) {
		fprintf(stderr, "cpnet-pktgen: --src is for --if: a port sends from the MAC cpnetd "
			"assigned it (the switch drops frames from any other)\n");
		return 2;
	}
	if (gen && !run.seconds && !run.count) {
		fprintf(stderr, "cpnet-pktgen: gen needs --seconds or --count\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A paced generator sleeps until each batch is due: to within a microsecond,
	 * not the 50 us of the default timer slack. */
	if (gen && run.rate)
		(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	if (ifname) {
		rc = afpkt_open(&af.a, ifname, gen, !gen, PKTGEN_ETHERTYPE, cfg.size);
		if (rc < 0) {
			fprintf(stderr, "cpnet-pktgen: %s: %s\n", ifname, cpnet_strerror(rc));
			return 1;
		}
		io = (struct pktgen_io){ &af, af_send, af_recv, af_drops };
	} else {
		/* Room for every buffer a handle may hold (pgport_open): one handle, so that
		 * the sink sees the switch's order (handles taking turns would interleave). */
		reg.region = (size_t)CPNP_HANDLE_SLOTS_MAX * (PKTGEN_MAX_FRAME + 64) + (1u << 20);
		if (appport_register(PROG, &reg, &port) < 0)
			return 1;
		cfg.l3 = cpnp_transport(port) == CPNP_IP;
		cpnp_port_mac(port, cfg.src_mac);
		if (!cfg.l3 && (ip || dst_ip)) {
			fprintf(stderr, "cpnet-pktgen: --ip / --dst-ip are for a port on an IP LAN;"
				" this LAN carries Ethernet frames\n");
			cpnp_deregister(port);
			return 2;
		}
		if (cfg.l3 && (!ip || (gen && !dst_ip) || dst_given)) {
			fprintf(stderr, "cpnet-pktgen: an IP LAN needs --ip A.B.C.D (and --dst-ip for "
				"gen, not --dst: its frames carry no MAC)\n");
			cpnp_deregister(port);
			return 2;
		}
		if (cfg.l3 && inet_pton(AF_INET, ip, cfg.src_ip) != 1)
			wrong = "--ip";
		else if (cfg.l3 && dst_ip && inet_pton(AF_INET, dst_ip, cfg.dst_ip) != 1)
			wrong = "--dst-ip";
		if (wrong) {
			fprintf(stderr, "cpnet-pktgen: %s %s: not an IPv4 address A.B.C.D (no /prefix)\n",
				wrong, wrong[2] == 'i' ? ip : dst_ip);
			cpnp_deregister(port);
			return 2;
		}
		if (cfg.l3 && (rc = cpnp_add_ip(port, ip)) < 0) {
			char what[64];

			snprintf(what, sizeof(what), "--ip %s", ip);
			appport_say(PROG, what, port, rc);
			cpnp_deregister(port);
			return 1;
		}
		if (bufsz > cpnp_max_frame(port))
			bufsz = cpnp_max_frame(port);
		rc = pgport_open(&pg, port, !gen, cfg.size, bufsz);
		if (rc < 0) {
			appport_say(PROG, "port", port, rc);
			pgport_close(&pg);
			cpnp_deregister(port);
			return 1;
		}
		io = (struct pktgen_io){ &pg, pgport_send, pgport_recv, pgport_drops };
		printf("port: %08X MAC %02x:%02x:%02x:%02x:%02x:%02x\n", cpnp_port_id(port),
		       cfg.src_mac[0], cfg.src_mac[1], cfg.src_mac[2], cfg.src_mac[3],
		       cfg.src_mac[4], cfg.src_mac[5]);
		fflush(stdout);
	}
	if (gen) {
		static struct pktgen_gen g;

		rc = pktgen_gen_init(&g, &cfg);
		if (rc == 0)
			rc = pktgen_run_gen(&g, &io, &run, &res);
		printf("gen: sent=%llu secs=%.3f fps=%.0f full=%llu\n",
		       (unsigned long long)res.frames, res.secs,
		       res.secs > 0 ? (double)res.frames / res.secs : 0,
		       (unsigned long long)res.full);
	} else {
		static struct pktgen_sink s;

		/* Frames may come padded (Ethernet's 60-byte minimum): take any size. */
		cfg.size = 0;
		pktgen_sink_init(&s, &cfg);
		rc = pktgen_run_sink(&s, &io, &run, &res);
		printf("sink: received=%llu secs=%.3f fps=%.0f e2e_secs=%.3f e2e_fps=%.0f lost=%llu "
		       "reordered=%llu duplicates=%llu late=%llu foreign=%llu drops=%llu\n",
		       (unsigned long long)res.frames, res.secs,
		       res.secs > 0 && res.frames > 1 ? (double)(res.frames - 1) / res.secs : 0,
		       res.e2e_secs, res.e2e_secs > 0 ? (double)res.frames / res.e2e_secs : 0,
		       (unsigned long long)s.c.lost, (unsigned long long)s.c.reordered,
		       (unsigned long long)s.c.duplicates, (unsigned long long)s.c.late,
		       (unsigned long long)s.c.foreign, (unsigned long long)res.drops);
	}
	afpkt_close(af.a);
	if (port) {
		pgport_close(&pg);
		cpnp_deregister(port);
	}
	if (rc < 0) {
		fprintf(stderr, "cpnet-pktgen: %s\n", cpnet_strerror(rc));
		return 1;
	}
	return 0;
}
