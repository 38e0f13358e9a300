/* cp/cpnetd_main.c - cpnetd: CP's network part as one process.  Reads SYSTEM CONFIG and
 * the user directory, AUTOLOGs, then serves the operator and VM sockets (or --check only). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cp/config.h"
#include "cp/cp.h"
#include "cp/server.h"
#include "cp/uplink.h"
#include "lib/cpnet.h"

#define DEFAULT_SOCKET "/run/cpnet/cpnetd.sock"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpnetd [--config FILE] [--directory FILE] [--socket PATH] [--vm-socket PATH]\n"
		"              [--system-name NAME] [--trace-dir DIR] [--poll-mode MODE] [--check]\n"
		"  -c, --config FILE     SYSTEM CONFIG (DEFINE VSWITCH/LAN, MODIFY VSWITCH, VMLAN,\n"
		"                        AUTOLOG)\n"
		"  -d, --directory FILE  user directory (USER, NICDEF, IPADDR)\n"
		"  -s, --socket PATH     operator socket (default $CPNET_SOCKET or\n"
		"                        " DEFAULT_SOCKET ")\n"
		"  -v, --vm-socket PATH  socket for virtual machines in other processes (default:\n"
		"                        the operator socket's path + \".vm\")\n"
		"  -n, --system-name NAME  this system's name for SYSTEM CONFIG record qualifiers\n"
		"                        (NAME: statements, NAME: BEGIN/END); default:\n"
		"                        SYSTEM_IDENTIFIER\n"
		"  -t, --trace-dir DIR   where TRACE START writes its files (default: the working\n"
		"                        directory)\n"
		"  -p, --poll-mode MODE  how cpnetd waits for frames from VMs' rings and OSAs'\n"
		"                        wires: adaptive (default: sleeps at a low rate, polls at\n"
		"                        a high one), interrupt (always sleeps), poll (never\n"
		"                        sleeps: measurement only)\n"
		"  -k, --check           parse both files, print file:line: errors, exit 1 if any\n"
		"  -h, --help            this text\n");
}

/* The operator console: uplink messages (HCPSWU...) go to cpnetd's output. */
static void console(void *ctx, const char *line)
{
	(void)ctx;
	printf("%s\n", line);
	fflush(stdout);
}

static void print_out(FILE *f, const struct out *o)
{
	if (o->len)
		fwrite(o->buf, 1, o->len, f);
	fflush(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "directory", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "vm-socket", required_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'k' },
		{ "system-name", required_argument, NULL, 'n' },
		{ "trace-dir", required_argument, NULL, 't' },
		{ "poll-mode", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *directory = NULL, *sock = getenv("CPNET_SOCKET");
	const char *vmsock = NULL, *sysname = NULL, *trace_dir = ".";
	enum adapt_policy policy = ADAPT_ADAPTIVE;
	bool check = false;
	struct server *srv;
	struct cp *cp;
	struct out o;
	int c, errs = 0, rc;

	while ((c = getopt_long(argc, argv, "c:d:s:v:n:t:p:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': directory = optarg; break;
		case 's': sock = optarg; break;
		case 'v': vmsock = optarg; break;
		case 'k': check = true; break;
		case 'n': sysname = optarg; break;
		case 't': trace_dir = optarg; break;
		case 'p':
			if (adapt_policy_parse(optarg, &policy) < 0) {
				fprintf(stderr, "cpnetd: --poll-mode %s: adaptive, interrupt or "
					"poll\n", optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	cp = calloc(1, sizeof(*cp));
	if (!cp)
		return 1;
	cp_init(cp, (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32);
	if (sysname && parse_name(sysname, cp->sysid.forced) < 0) {
		fprintf(stderr, "cpnetd: --system-name %s: 1 to 8 of A-Z 0-9 @ # $ _ -\n", sysname);
		cp_free(cp);
		free(cp);
		return 2;
	}
	cp->trace_dir = trace_dir;
	cp->poll_policy = policy;	/* before RDEVICE statements make OSAs */
	config_sysid_host(&cp->sysid);
	out_init(&o);
	if (config)
		errs += config_load(cp, config, &o);
	if (directory)
		errs += dir_load(&cp->dir, directory, &o);
	errs += config_check_users(cp, &o);
	print_out(stderr, &o);
	if (cp->sysid.name[0])
		printf("cpnetd: system name %s\n", cp->sysid.name);
	out_reset(&o);
	if (check) {
		printf("%s: %d error%s\n", "cpnetd --check", errs, errs == 1 ? "" : "s");
		cp_free(cp);
		free(cp);
		out_free(&o);
		return errs ? 1 : 0;
	}
	if (!strcmp(sock, DEFAULT_SOCKET))
		mkdir("/run/cpnet", 0755);	/* may exist; bind reports real failures */
	rc = server_create(&srv, cp, sock, vmsock);
	if (rc < 0) {
		fprintf(stderr, "cpnetd: %s: %s\n", sock, strerror(-rc));
		cp_free(cp);
		free(cp);
		out_free(&o);
		return 1;
	}
	cp->up->console = console;
	config_autolog(cp, &o);
	print_out(stdout, &o);
	/* Controllers are up: connect the uplinks before the first client comes. */
	for (int k = 0; k < 4; k++)
		uplink_tick(cp->up);
	out_free(&o);
	printf("cpnetd: virtual machines connect on %s\n", server_vm_path(srv));
	printf("cpnetd: ready on %s\n", sock);
	fflush(stdout);
	rc = server_run(srv);
	server_destroy(srv);
	cp_free(cp);
	free(cp);
	return rc < 0 ? 1 : 0;
}
