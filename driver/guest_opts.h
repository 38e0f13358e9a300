/* driver/guest_opts.h - `cpnet-guest connect`'s options: one table parses them, knows
 * which take a value and writes their usage text (driver/cpnet_guest_main.c runs them). */
#ifndef CPNET_DRIVER_GUEST_OPTS_H
#define CPNET_DRIVER_GUEST_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "driver/guest.h"
#include "lib/adapt.h"
#include "vnic/vmlink.h"

#define CONN_MAX_IPS GUEST_MAX_IF
#define CONN_MAX_PINGS 32
#define CONN_MAX_JOINS 8

/* A ping target: IPv4 or IPv6, optionally from a given NIC (vdev 0 = by subnet). */
struct cping {
	bool v6;
	uint8_t a[16];
	uint16_t via;
};

struct copts {
	const char *sock, *user, *pass;
	uint8_t ips[CONN_MAX_IPS][4];
	unsigned prefix[CONN_MAX_IPS], nips;
	uint8_t ip6s[CONN_MAX_IPS][16];
	unsigned nip6s;
	struct cping pings[CONN_MAX_PINGS];
	unsigned npings;
	uint8_t joins[CONN_MAX_JOINS][4];
	uint16_t join_via[CONN_MAX_JOINS];
	unsigned njoins;
	const char *go;
	unsigned count;
	unsigned long stay;
	uint8_t layer;
	bool verbose;
	enum vml_transport transport;
	enum adapt_policy poll_policy;	/* --poll-mode: how the link reads its ring */
	bool flood, stats;
	uint8_t flood_dst[4];
	unsigned flood_size, flood_secs;
	unsigned long flood_rate;	/* frames/s, 0: as fast as the link takes them */
};

/* The options args[0..n-1] (what follows `connect`) into *o, defaults first.  0, or 2
 * (the program's exit status) after one line on err naming the refused argument (an
 * unknown option, a missing or invalid value) or the rule broken (required options;
 * an option without the one it shapes: --flood's companions, --count without a ping,
 * --go without --stay, --poll-mode without the ring).  o keeps pointers into args. */
int copts_parse(struct copts *o, int n, char *const args[], FILE *err);
/* One line per option: the option, its value's name, what it does. */
void copts_usage(FILE *f);

#endif
