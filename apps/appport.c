/* apps/appport.c - what the programs on the port API share: the options naming their
 * port, number parsing, registering and a receive handle, with their messages. */
#include "apps/appport.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int app_num(const char *prog, const char *opt, const char *s, double lo, double hi, bool frac,
	    double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	/* isfinite: strtod takes "nan" and "inf", which no range test refuses. */
	if (errno || end == s || *end || !isfinite(*v) || *v < lo || *v > hi ||
	    (!frac && *v != (double)(long long)*v)) {
		fprintf(stderr, "%s: %s %s: not a%s number in %g..%.0f\n", prog, opt, s,
			frac ? "" : " whole", lo, hi);
		return -1;
	}
	return 0;
}

int appport_option(const char *prog, int c, const char *arg, struct cpnp_reg *r)
{
	double v;

	switch (c) {
	case APPOPT_SOCKET: r->socket = arg; return 1;
	case APPOPT_USER: r->user = arg; return 1;
	case APPOPT_PASSWORD: r->password = arg; return 1;
	case APPOPT_PWFILE: r->pwfile = arg; return 1;
	case APPOPT_VSWITCH: r->vswitch = arg; return 1;
	case APPOPT_LAN: r->lan = arg; return 1;
	case APPOPT_OWNER: r->lan_owner = arg; return 1;
	case APPOPT_PORTNUMBER:
		/* The range is cpnetd's to check (HCPCMD9010E, as for COUPLE). */
		if (app_num(prog, "--portnumber", arg, 0, 65535, false, &v))
			return -1;
		r->portnum = (uint16_t)v;
		return 1;
	default:
		return 0;
	}
}

int appport_getopt(const char *prog, int argc, char **argv, const char *so,
		   const struct option *lo, struct cpnp_reg *r)
{
	int c;

	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		int k = appport_option(prog, c, optarg, r);

		if (k < 0)
			return APPOPT_BAD;
		if (!k)
			return c;
	}
	return -1;
}

bool appport_complete(const struct cpnp_reg *r, bool optional)
{
	if (optional && !r->user && !r->password && !r->pwfile && !r->vswitch && !r->lan &&
	    !r->lan_owner && !r->socket && !r->portnum)
		return true;
	return r->user && !r->vswitch != !r->lan && !r->password != !r->pwfile;
}

volatile sig_atomic_t app_stop;

static void on_stop(int sig)
{
	(void)sig;
	app_stop = 1;
}

void app_stop_on_signals(void)
{
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
}

void appport_say(const char *prog, const char *what, const struct cpnp_port *p, int rc)
{
	const char *why = cpnp_last_error(p);

	fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, cpnp_strerror(rc), why ? why : "");
}

int appport_register(const char *prog, const struct cpnp_reg *r, struct cpnp_port **p)
{
	int rc = cpnp_register(r, p);

	if (rc < 0)
		appport_say(prog, "register", NULL, rc);
	return rc;
}

int appport_handle(const char *prog, struct cpnp_port *p, unsigned n, uint32_t bufsz,
		   struct cpnp_handle **h)
{
	/* A handle with room for all n (cpnp_handle_open_n takes 16 at least). */
	int rc = cpnp_handle_open_n(p, n > CPNP_HANDLE_SLOTS ? n : CPNP_HANDLE_SLOTS, h);

	for (unsigned i = 0; rc == 0 && i < n; i++) {
		void *b = cpnp_alloc(p, bufsz);

		rc = b ? cpnp_post(*h, b, bufsz) : -ENOBUFS;
	}
	if (rc < 0 && prog)
		appport_say(prog, "receive buffers", p, rc);
	return rc;
}
