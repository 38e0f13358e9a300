/* vswitch/lan.h - LANBK (one Guest LAN or VSWITCH) and the System LAN table: the
 * attributes DEFINE LAN / DEFINE VSWITCH / SET VSWITCH set, and the adapter connections. */
#ifndef CPNET_VSWITCH_LAN_H
#define CPNET_VSWITCH_LAN_H

#include <stdbool.h>
#include <stdint.h>

#include "vnic/port.h"
#include "vswitch/dcache.h"
#include "vswitch/iptab.h"
#include "vswitch/shaper.h"

#define LAN_NAME_MAX 8			/* LAN, VSWITCH and user names: 1..8 chars */
#define LAN_MAXCONN_MAX 1024u		/* MAXCONN 1..1024; 0 = INFINITE (up to this) */
#define LAN_CONN_SLOTS (LAN_MAXCONN_MAX + 1)	/* + the uplink */
#define LAN_CONN_CHUNK 32u
#define LAN_CONN_CHUNKS ((LAN_CONN_SLOTS + LAN_CONN_CHUNK - 1) / LAN_CONN_CHUNK)
#define LAN_PORTNUM_AUTO 0
#define LAN_PORTNUM_MAX 2048u		/* COUPLE ... PORTNUMBER 1..2048 */
#define LAN_RDEV_MAX 3
#define LAN_RDEV_PORT_MAX 1		/* RDEV rdev.P0 / .P1 (z/VM: .Pn, n the OSA port) */
#define LAN_VID_MAX 4094
#define LAN_BATCH 64			/* frames classified together (one bit each) */

/* Registration op for SETRTG (vnic/port.h). */
#define LAN_PA_SETRTG PA_SETRTG

enum lan_kind { LAN_GUESTLAN = 1, LAN_VSWITCH = 2 };
enum lan_transport { LAN_IP = 1, LAN_ETHERNET = 2 };
enum lan_type { LAN_QDIO = 1, LAN_HIPERS = 2 };
enum lan_porttype { LAN_ACCESS = 1, LAN_TRUNK = 2 };
enum lan_macprotect { LAN_MACPROT_UNSPEC = 0, LAN_MACPROT_ON = 1, LAN_MACPROT_OFF = 2 };
enum lan_router { LAN_NONROUTER = 0, LAN_PRIROUTER = 1 };

/* A set of VLAN ids 1..4094 (bit n = vid n). */
struct lan_vlanset {
	uint64_t w[64];
};

static inline bool lan_vlan_has(const struct lan_vlanset *s, uint16_t vid)
{
	return vid <= LAN_VID_MAX && (s->w[vid / 64] >> (vid % 64) & 1);
}
/* 0, or -EINVAL for vid 0 / > 4094. */
int lan_vlan_add(struct lan_vlanset *s, uint16_t vid);
void lan_vlan_del(struct lan_vlanset *s, uint16_t vid);

/* One entry of a RESTRICTED LAN's access list (SET VSWITCH GRANT). */
struct lan_grant {
	char user[LAN_NAME_MAX + 1];
	uint8_t porttype;		/* 0 = the LAN's default */
	bool promisc;			/* PROMISCUOUS authorized */
	bool has_vlans;			/* else the LAN's default VLAN */
	struct lan_vlanset vlans;
};

/* Forwarding counters of a LAN (per-port counters live in struct port). */
struct lan_stats {
	uint64_t frames_in, bytes_in;	/* frames the ports sent to the switch */
	uint64_t delivered;		/* frame copies handed to receivers */
	uint64_t unicast, broadcast, multicast, unknown;
	uint64_t to_uplink, to_router;
	uint64_t drop[PD_NR];		/* frames the switch discarded, by reason */
	/* Remote IP addresses (IP VSWITCH, IPTIMEOUT): */
	uint64_t remote_learned;	/* new entries from traffic the uplink brought in */
	uint64_t remote_aged;		/* removed after IPTIMEOUT minutes unseen */
	uint64_t remote_taken;		/* a guest registered (SETIP) a remote address */
	uint64_t remote_full;		/* not learned: the IP table was full */
};

struct lanbk;

/* One adapter connection: a port attached to the LAN (slot index = its place in
 * lanbk.conn[], which is the port index of the IP table and of the lookup). */
struct lan_conn {
	struct lanbk *lan;		/* back pointer: port->peer points at the conn */
	struct port *port;		/* NULL = free slot */
	char owner[LAN_NAME_MAX + 1];
	uint16_t vdev;
	uint16_t portnum;
	bool uplink;
	uint32_t appl_id;		/* an application port (type APPL): its id; 0 = a NIC */
	bool appl_virtio;		/* ... a virtual machine's virtio-net (type VIRTIO) */
	/* authorization, from the access list or the LAN defaults */
	uint8_t porttype;		/* enum lan_porttype */
	uint16_t pvid;			/* ACCESS: the port's VLAN */
	bool promisc_auth;
	struct lan_vlanset vlans;	/* TRUNK: authorized VLANs */
	/* what the guest did */
	uint8_t layer;			/* PA_LAYER: 0 unknown, 2 or 3 */
	bool mismatch;			/* layer differs from the LAN's transport */
	bool started;			/* STARTLAN accepted, no STOPLAN since */
	bool promisc;			/* asked for and authorized */
	uint8_t rtg4, rtg6;		/* SETRTG indicators */
	uint8_t isolation;		/* SET_ACCESS_CONTROL: IPA_ADP_ISOLATION_NONE/DROP */
	uint8_t mac[6];			/* assigned MAC (MACPROTECT ON allows only this) */
	bool has_mac;
	/* bandwidth caps (switch.c): cap[LAN_CAP_TX] charges what the port sends into
	 * the LAN, cap[LAN_CAP_RX] what the LAN delivers to it; both run at the lower of
	 * the port number's cap (lanbk.pcaps) and the NIC's own (own_cap), 0 = none */
	uint64_t own_cap;		/* bits/s: SET NIC / NICDEF BANDWIDTH */
	struct shaper cap[2];
	/* forwarding scratch: frames of the current batch for this port */
	uint64_t fwd_mask;
	uint16_t idx;			/* its slot: place in lanbk.conn[] */
};

#define LAN_CAP_TX 0		/* port -> LAN */
#define LAN_CAP_RX 1		/* LAN -> port */

/* What the operator set on a port number, kept whether or not a port has that number
 * now and applied when one couples with it: a cap (SET VSWITCH ... PORTNUMBER n
 * BANDWIDTH rate) and the user it is defined for (PORTNUMBER n USERID u: no other
 * user's port may take it).  An entry with neither goes. */
struct lan_pcap {
	uint16_t portnum;
	uint64_t rate;			/* bits/s, 0 = none */
	char user[LAN_NAME_MAX + 1];	/* "" = any user */
};

/* A forwarding decision's destination (struct dc_dec, vswitch/dcache.h): a connection
 * index, LAN_BROADCAST (a set: dc_dec.set) or LAN_NOPORT (dc_dec.why says why). */
#define LAN_BROADCAST (-1)
#define LAN_NOPORT (-2)

/* What a LAN_BROADCAST reaches (bits), as the lookup decided for the frame at hand. */
#define LAN_SET_ALL 0x01u	/* every eligible port */
#define LAN_SET_MEMBERS 0x02u	/* the ports in dc_dec.members */
#define LAN_SET_PROMISC 0x04u	/* promiscuous ports */
#define LAN_SET_UPLINK 0x08u	/* the uplink */
#define LAN_SET_MCROUTER 0x10u	/* multicast routers (SETRTG 3) of the family */
#define LAN_SET_UNKNOWN 0x20u	/* an unknown unicast (nobody reached = PD_NOPORT) */
#define LAN_SET_V6 0x40u	/* the frame is IPv6 (picks the SETRTG family) */

/* Called after a guest's registration changed the tables (so that the uplink can
 * register it on the OSA): op is the paddr op, conn the guest's slot. */
typedef void (*lan_addr_notify_fn)(void *ctx, struct lanbk *lan, unsigned conn,
				   const struct paddr *a);

/*
 * A tap: sees every frame a port sends into the LAN, with the switch's verdict, before
 * it is delivered (the one tap point of every trace: the operator's TRACE and the
 * trace port of the port API).  `frame` gets frame i of the batch from `from`, its
 * ingress VLAN (0 on a VLAN-unaware LAN or when the switch dropped it before knowing);
 * lan_tap_reaches tells which connections receive it.  `gone` is called when the LAN
 * is destroyed (the tap is already off the LAN then).  Called on the LAN's thread.
 */
struct lan_tap {
	struct lan_tap *next;
	void (*frame)(void *ctx, const struct lanbk *lan, const struct lan_conn *from,
		      const struct pframe *f, unsigned i, uint16_t vid);
	void (*gone)(void *ctx, struct lanbk *lan);
	void *ctx;
};

struct lanbk {
	char name[LAN_NAME_MAX + 1];
	char owner[LAN_NAME_MAX + 1];	/* "SYSTEM" or a userid */
	uint8_t kind;			/* enum lan_kind */
	uint8_t transport;		/* enum lan_transport */
	uint8_t type;			/* enum lan_type */
	uint16_t maxconn;		/* 0 = INFINITE */
	bool restricted;
	bool persistent;		/* owner SYSTEM; else transient */
	bool accounting;
	bool isolation;
	uint8_t macprotect;		/* enum lan_macprotect */
	bool vlan_aware;
	uint16_t defvid;		/* default VLAN (aware) */
	uint16_t native_vid;		/* 0 = NONE */
	uint8_t def_porttype;		/* enum lan_porttype */
	uint16_t iptimeout;		/* minutes, 1..240: how long a remote IP stays */
	uint16_t queuestorage;		/* MB, 1..256 */
	/* VSWITCH only */
	uint16_t rdev[LAN_RDEV_MAX];
	uint8_t rdev_port[LAN_RDEV_MAX];	/* the .Pn suffix */
	uint8_t nrdev;
	char controller[LAN_NAME_MAX + 1];	/* "*" = any */
	bool connect;
	uint8_t router;			/* enum lan_router (IP VSWITCH) */

	/* bandwidth caps by port number (switch.c: lan_set_portnum_cap) and the clock
	 * their buckets run on (shaper_mono_ns; tests inject theirs) */
	struct lan_pcap *pcaps;
	unsigned npcaps, pcaps_cap;
	shaper_clock_fn clock;
	void *clock_ctx;

	/* access list */
	struct lan_grant *grants;
	unsigned ngrants, grants_cap;

	/* the System LAN table's links */
	struct lanbk *hnext;		/* next in its hash bucket */
	unsigned tidx;			/* index in lan_table.lans */

	/* adapter connections (allocated at the first attach; NULL before) */
	/* LAN_CONN_SLOTS slots in chunks of LAN_CONN_CHUNK, made as ports come (a slot
	 * never moves: port->peer points at it); lan_conn_at() reads it. */
	struct lan_conn **conn;
	uint16_t *live;			/* indexes of used slots, dense */
	unsigned nlive;
	unsigned nguests;		/* connections counted by MAXCONN */
	struct port *uplink;		/* optional; its slot is uplink_idx */
	int uplink_idx;
	int prirouter4, prirouter6;	/* slot of the SETRTG primary router, or -1 */
	unsigned npromisc;		/* connections in promiscuous mode */

	struct iptab tab;
	uint64_t now_ms;		/* the LAN's clock (monotonic ms): set by lan_age */
	/* Forwarding decisions (switch.c) and their generation: `gen` moves with every
	 * change of the LAN's own state that a decision reads (lan_changed), tab.gen with
	 * every change of the IP table; their sum is what a cached decision must match. */
	struct dcache dc;
	uint64_t gen;
	lan_addr_notify_fn notify;
	void *notify_ctx;
	struct lan_stats st;
	struct lan_tap *taps;		/* traces of this LAN, NULL = none */

	/* forwarding scratch (one batch at a time; the LAN is single-threaded) */
	struct lan_fwd *fwd;
};

/* The System LAN table: an array (QUERY order) and a hash of owner and name, so that
 * DEFINE and lookups cost the same for ten LANs or ten thousand. */
struct lan_table {
	struct lanbk **lans;
	unsigned n, cap;
	struct lanbk **hash;		/* hcap buckets (a power of two, >= n), chained */
	unsigned hcap;
	unsigned npersistent;		/* owner SYSTEM; the rest are transient */
	uint64_t seed;			/* for the IP tables' and the name hashes */
};

/* Checks a LAN/VSWITCH or user name (1..8 of A-Z 0-9 @ # $ _ -, any case) and
 * writes it uppercased into out[9].  0 or -EINVAL. */
int lan_name_canon(const char *in, char out[LAN_NAME_MAX + 1]);

void lan_table_init(struct lan_table *t, uint64_t seed);
/* Destroys every LAN (detaching what is still attached). */
void lan_table_free(struct lan_table *t);
/*
 * DEFINE LAN / DEFINE VSWITCH with the defaults: TYPE QDIO, IP for a Guest LAN and
 * ETHERNET for a VSWITCH, MAXCONN INFINITE, UNRESTRICTED, VLAN UNAWARE, IPTIMEOUT 5,
 * QUEUESTORAGE 8, MACPROTECT UNSPEC, CONTROLLER *, CONNECT, NONROUTER.  A VSWITCH
 * is owned by SYSTEM; owner SYSTEM makes the LAN persistent.  0 with *out set; -EINVAL bad name/owner/kind; -EEXIST the owner
 * already has a LAN of that name; -ENOMEM.
 */
int lan_define(struct lan_table *t, const char *owner, const char *name, uint8_t kind,
	       struct lanbk **out);
struct lanbk *lan_find(const struct lan_table *t, const char *owner, const char *name);
/* DETACH LAN / VSWITCH: uncouples every port, then frees the LANBK.  0, or -ENOENT
 * for a LANBK of another table (lan must not have been destroyed already). */
int lan_destroy(struct lan_table *t, struct lanbk *lan);
/* At logoff of `user`: destroy its transient LANs that have no connection left.
 * Returns how many went. */
unsigned lan_reap_transient(struct lan_table *t, const char *user);

/* ---- validating setters (0 or negative errno) ----------------------------------- */
/* -EBUSY: changing the transport / type / VLAN mode while ports are attached. */
int lan_set_transport(struct lanbk *lan, uint8_t transport);
int lan_set_type(struct lanbk *lan, uint8_t type);
/* 0 = INFINITE, else 1..1024; -EBUSY if below the current connections. */
int lan_set_maxconn(struct lanbk *lan, unsigned maxconn);
void lan_set_restricted(struct lanbk *lan, bool restricted);
void lan_set_accounting(struct lanbk *lan, bool on);
int lan_set_isolation(struct lanbk *lan, bool on);
int lan_set_macprotect(struct lanbk *lan, uint8_t mode);
/* IPTIMEOUT: on an IP VSWITCH the source addresses of what the uplink brings in are
 * learned into the IP table as remote entries (to the uplink; a guest's registration
 * always wins) and removed `minutes` after they were last seen, by lan_age. */
int lan_set_iptimeout(struct lanbk *lan, unsigned minutes);
/* The aging pass (cpnetd's timer: uplink_tick; tests pass their own time): sets the
 * LAN's clock to now_ms and removes the remote entries unseen for IPTIMEOUT.
 * Returns how many went (also counted in st.remote_aged). */
unsigned lan_age(struct lanbk *lan, uint64_t now_ms);
/* QUEUESTORAGE: the bytes that may wait toward each port whose receiver is not taking
 * frames (port.rxq_limit of every attached port, now and at COUPLE). */
int lan_set_queuestorage(struct lanbk *lan, unsigned mb);
uint32_t lan_queue_bytes(const struct lanbk *lan);
int lan_set_vlan_unaware(struct lanbk *lan);
/* VLAN defvid [NATIVE nvid|NONE (0)] [PORTTYPE ACCESS|TRUNK]. */
int lan_set_vlan(struct lanbk *lan, uint16_t defvid, uint16_t native_vid, uint8_t porttype);
/* VSWITCH only (-EOPNOTSUPP on a Guest LAN): 0..3 RDEVs (n 0 = NONE), port .Pn. */
int lan_set_rdevs(struct lanbk *lan, const uint16_t *rdev, const uint8_t *pn, unsigned n);
int lan_set_controller(struct lanbk *lan, const char *userid_or_star);
int lan_set_connect(struct lanbk *lan, bool connect);
/* IP VSWITCH only. */
int lan_set_router(struct lanbk *lan, uint8_t router);

/* GRANT user [PORTTYPE pt (0 = default)] [VLAN set (NULL = default)] [PROMISCUOUS].
 * A new GRANT for a listed user replaces its entry; attached connections of that user
 * take the new authorization.  0, -EINVAL, -ENOMEM. */
int lan_grant(struct lanbk *lan, const char *user, uint8_t porttype,
	      const struct lan_vlanset *vlans, bool promisc);
/* REVOKE: -ENOENT if not listed.  Coupled connections stay (they keep the
 * authorization they had). */
int lan_revoke(struct lanbk *lan, const char *user);
const struct lan_grant *lan_grant_find(const struct lanbk *lan, const char *user);

/* The connection of a port attached to this LAN, or NULL. */
struct lan_conn *lan_conn_of(struct lanbk *lan, const struct port *p);

/* Add / remove a tap (lan_tap_del: 0 or -ENOENT if it is not on this LAN). */
void lan_tap_add(struct lanbk *lan, struct lan_tap *t);
int lan_tap_del(struct lanbk *lan, struct lan_tap *t);
/* Inside a tap's frame(): does connection c receive frame i of the batch? */
static inline bool lan_tap_reaches(const struct lan_conn *c, unsigned i)
{
	return c->fwd_mask >> i & 1;
}

/* Something a forwarding decision reads changed (a setter, COUPLE/UNCOUPLE, the
 * uplink, GRANT, a guest's registration): every cached decision is old from now. */
static inline void lan_changed(struct lanbk *lan)
{
	lan->gen++;
}

/* The generation cached decisions must carry (>= 1; it only ever grows). */
static inline uint64_t lan_generation(const struct lanbk *lan)
{
	return lan->gen + lan->tab.gen;
}

/* Slot idx of the LAN's connection table, or NULL if that slot was never made. */
static inline struct lan_conn *lan_conn_at(const struct lanbk *lan, unsigned idx)
{
	struct lan_conn *ch;

	if (!lan->conn || idx >= LAN_CONN_SLOTS || !(ch = lan->conn[idx / LAN_CONN_CHUNK]))
		return NULL;
	return ch + idx % LAN_CONN_CHUNK;
}

#endif
