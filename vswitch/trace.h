/* vswitch/trace.h - a trace of one LAN: a tap on the switch (lan_tap), a filter (the
 * whole LAN, one port, one user, one VLAN) and a capture writer (lib/pcapw). */
#ifndef CPNET_VSWITCH_TRACE_H
#define CPNET_VSWITCH_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/pcapw.h"
#include "vswitch/lan.h"

enum trace_scope { TRACE_ALL = 0, TRACE_PORT = 1, TRACE_USER = 2, TRACE_VLAN = 3 };

/*
 * What a trace keeps.  PORT n and USER u: the frames that port (the connections of
 * that user) sent into the LAN or that the switch delivers to it; VLAN v: the frames
 * whose VLAN is v (the ingress VLAN the switch gave them on a VLAN-aware LAN, else the
 * 802.1Q tag of a layer-2 frame or the VLAN of a layer-3 one).
 */
struct trace_filter {
	uint8_t scope;			/* enum trace_scope */
	uint16_t portnum;
	char user[LAN_NAME_MAX + 1];
	uint16_t vid;
};

/* Why a trace stopped writing. */
enum trace_end { TRACE_RUNNING = 0, TRACE_LIMIT, TRACE_LAN_GONE, TRACE_WRITE_ERROR, TRACE_STOPPED };

struct trace {
	struct lan_tap tap;
	struct lanbk *lan;		/* NULL once the LAN is gone */
	char lan_owner[LAN_NAME_MAX + 1], lan_name[LAN_NAME_MAX + 1];
	uint8_t lan_kind;
	struct trace_filter flt;
	struct pcapw *w;		/* the file; NULL once ended, or for a port */
	struct port *port;		/* or: a trace port the frames go to (port API) */
	const struct lan_conn *conn;	/* ...its connection (slots never move) */
	char file[PCAPW_NAME_MAX];	/* the file (pattern) asked for */
	uint8_t end;			/* enum trace_end */
	int err;			/* TRACE_WRITE_ERROR: the errno */
	struct pcapw_stats st;		/* final once ended (a port's: frames delivered) */
	uint64_t matched;		/* frames the filter kept */
	uint64_t not_ip;		/* IP LAN: link-layer frames without IP (not written) */
	unsigned id;
	struct trace *next;		/* the owner's list */
};

/* Does frame i (from `from`, VLAN vid) pass the filter?  For lan_tap frame(). */
bool trace_match(const struct trace_filter *flt, const struct lanbk *lan,
		 const struct lan_conn *from, const struct pframe *f, unsigned i, uint16_t vid);

/*
 * Start tracing `lan` into the file of `o` (its linktype is set from the LAN's
 * transport: Ethernet or raw IP).  0 with *out set, or pcapw_open's error.
 */
int trace_start(struct trace **out, struct lanbk *lan, const struct trace_filter *flt,
		const struct pcapw_opts *o, unsigned id);
/*
 * Start a trace whose frames go to `port` (port_deliver, one frame at a time): the
 * trace port of the port API, whose application writes them with lib/pcapw and the
 * link type trace_linktype().  Frames come as the file would get them: on an IP LAN
 * bare IP packets (PF_IP).  0 or -ENOMEM.  trace_end detaches it from the port.
 */
int trace_start_port(struct trace **out, struct lanbk *lan, const struct trace_filter *flt,
		     struct port *port, unsigned id);
/* PCAPW_LINK_ETHERNET or PCAPW_LINK_RAW for a LAN's transport. */
uint32_t trace_linktype(const struct lanbk *lan);
/* Stop writing (the file is complete afterwards); the trace stays readable.  Idempotent. */
void trace_end(struct trace *t, uint8_t why);
/* trace_end, then free. */
void trace_free(struct trace *t);
/* "LAN", "PORT 3", "USER LINUX01", "VLAN 20" into buf. */
void trace_scope_text(const struct trace_filter *flt, char *buf, size_t cap);
const char *trace_end_text(const struct trace *t);

#endif
