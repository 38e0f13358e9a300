/* apps/appport.h - what the programs on the port API (cpnet-trace, cpnet-pktgen,
 * cpnet-tap) share: the options naming their port, numbers, registering, a handle. */
#ifndef CPNET_APPS_APPPORT_H
#define CPNET_APPS_APPPORT_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/cpnetport.h"

/* getopt_long values of the port's options (above any short option's character). */
enum {
	APPOPT_SOCKET = 0x100, APPOPT_USER, APPOPT_PASSWORD, APPOPT_PWFILE, APPOPT_VSWITCH,
	APPOPT_LAN, APPOPT_OWNER, APPOPT_PORTNUMBER,
};

/* The long options every program on the API takes, for its struct option table. */
#define APPPORT_OPTIONS                                                        \
	{ "socket", required_argument, 0, APPOPT_SOCKET },                     \
	{ "user", required_argument, 0, APPOPT_USER },                         \
	{ "password", required_argument, 0, APPOPT_PASSWORD },                 \
	{ "pwfile", required_argument, 0, APPOPT_PWFILE },                     \
	{ "vswitch", required_argument, 0, APPOPT_VSWITCH },                   \
	{ "lan", required_argument, 0, APPOPT_LAN },                           \
	{ "owner", required_argument, 0, APPOPT_OWNER },                       \
	{ "portnumber", required_argument, 0, APPOPT_PORTNUMBER }

/* Their usage text (one line each, indented like the programs' own). */
#define APPPORT_USAGE                                                                      \
	"  --user U, --password P | --pwfile F   the directory user the port belongs to\n"    \
	"  --vswitch NAME | --lan NAME [--owner O]   the LAN (a Guest LAN's owner: U)\n"      \
	"  --socket PATH    cpnetd's VM socket (default $CPNET_VM_SOCKET)\n"                  \
	"  --portnumber N   the port number on the LAN, 1..2048 (default: cpnetd chooses)\n"

/* getopt_long's answer c with its argument: 1 if it was one of APPPORT_OPTIONS (kept in
 * r), 0 if not, -1 for a bad value (said on stderr as "prog: ..."). */
int appport_option(const char *prog, int c, const char *arg, struct cpnp_reg *r);
/* getopt_long over argv that keeps the port's options (APPPORT_OPTIONS, in lo) in r
 * itself: the next other option, -1 at the end, APPOPT_BAD after a bad value (said). */
#define APPOPT_BAD (-2)
int appport_getopt(const char *prog, int argc, char **argv, const char *so,
		   const struct option *lo, struct cpnp_reg *r);
/* r names a user, one password source and one LAN (or, with optional, nothing). */
bool appport_complete(const struct cpnp_reg *r, bool optional);

/* A decimal number in lo..hi (fractions only when frac): 0, or -1 said on stderr. */
int app_num(const char *prog, const char *opt, const char *s, double lo, double hi, bool frac,
	    double *v);

/* cpnp_register, saying why on stderr when it fails ("prog: register: ..."). */
int appport_register(const char *prog, const struct cpnp_reg *r, struct cpnp_port **p);
/* A receive handle with n buffers of bufsz bytes posted: 0, or the error (said on
 * stderr unless prog is NULL; *h may be set and is for the caller to close). */
int appport_handle(const char *prog, struct cpnp_port *p, unsigned n, uint32_t bufsz,
		   struct cpnp_handle **h);
/* Set by SIGINT and SIGTERM once app_stop_on_signals() ran: the program's loop ends,
 * and it closes its file and deregisters its port as at any other end. */
extern volatile sig_atomic_t app_stop;
void app_stop_on_signals(void);

/* "prog: what: <cpnp_strerror> (<cpnp_last_error>)" on stderr. */
void appport_say(const char *prog, const char *what, const struct cpnp_port *p, int rc);

#endif
