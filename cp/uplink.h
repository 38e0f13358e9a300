/* cp/uplink.h - CP's side of VSWITCH uplinks: the real OSAs (RDEVICE), which controller
 * manages which RDEV, the messages to and from controllers, the uplink port and failover. */
#ifndef CPNET_CP_UPLINK_H
#define CPNET_CP_UPLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/controller.h"
#include "controller/ctlmsg.h"
#include "driver/qdrv.h"
#include "lib/adapt.h"
#include "osa/osa.h"
#include "vnic/port.h"
#include "vswitch/lan.h"

/*
 * One `struct up_osa` per OSA port an RDEVICE statement defines (three devices).  One
 * `struct up_sw` per VSWITCH that names RDEVs, with up to two connections: the ACTIVE
 * one (its OSA's data device carries the uplink port's frames) and a BACKUP that is
 * initialized in advance (another RDEV, another controller when there is one).
 *
 * A connection goes IDLE -> INIT (devices attached to the controller, ControlSwitch
 * sent) -> READY (InitializationComplete: CP holds the data device) -> ACTIVE (uplink
 * port attached to the LAN, every registered address sent to the controller; each
 * accepted Result clears "local only" in the LAN IP table).  Everything is driven by
 * uplink_tick() (cpnetd's timer and after commands) and by the messages on CP's queue.
 *
 * Failures: the controller logs off / is FORCEd (uplink_vm_gone), stalls (its queue
 * is not consumed within UPLINK_STALL_MS) or the OSA's link goes down / its device
 * disappears (osa_check_link).  The failing connection is torn down; the backup (if
 * READY) becomes ACTIVE at once, else a new connection is started; with nothing left
 * the switch reports HCPSWU2830I / HCPSWU2832E and retries every tick.  Frames between
 * guests never pass through any of this.
 *
 * The OSA's address table is bounded (RDEVICE ... ADDRESSES): CP pushes registrations
 * only while it has room and is the OSA's proxy for the rest (doc/osa.md "The address
 * table"): after each osa_poll it takes the OSA's misses, installs a guest's eligible
 * address through the controller (Register) or asks the controller (Resolve), and
 * dispatches the controller at once; GRANT / REVOKE / VLAN changes deregister the
 * addresses concerned (uplink_refresh) so that the next frame decides again.
 *
 * Data path, copy-once and batched both ways: a batch the LAN hands the uplink port
 * is written from the sender's spans straight into the data device's output SBAL
 * pages, then one flush (at most one SIGA); what the data device's input queue holds
 * goes into the switch as pframes whose spans point into the input SBAL pages, one
 * port_tx per poll (up to QDRV_RX_BATCH frames), before the buffers are given back.
 */

#define UPLINK_MAX_OSAS 32
#define UPLINK_MAX_SW 64
#define UPLINK_STALL_MS 1500		/* a controller not consuming its queue this long */
#define UPLINK_PROBE_MS 500		/* a CTLM_PROBE this often to each controller in use */
#define UPLINK_BUDGET 256		/* frames / messages per poll */

enum up_state { UPC_IDLE = 0, UPC_INIT, UPC_READY, UPC_ACTIVE };

struct up_sw;

struct up_osa {
	uint16_t rdev;
	uint8_t chpid;
	uint8_t portno;			/* the OSA port its wire is (RDEVICE ... PORT n) */
	char backend[8];		/* "TAP", "MEM", "" = no wire */
	char wname[16];
	uint8_t mac[6];
	bool has_mac;
	unsigned rings;			/* RDEVICE ... RINGS n (0: the OSA's default) */
	unsigned addresses;		/* RDEVICE ... ADDRESSES n (0: ATAB_DEFAULT) */
	struct osa *osa;		/* NULL: the wire could not be opened (retried) */
	int open_err;
	bool link;			/* last osa_check_link result */
	uint64_t reopen_at;		/* next try to open a wire that is not open */
	uint64_t retry_at;		/* not used for a connection before (ms) */
	struct up_sw *sw;		/* the switch using it, or NULL */
	unsigned line;
	/* The wire reader's mode (cpnetd: epoll on the wire at a low rate, polling at
	 * a high one; lib/adapt.h), its counters for QUERY ... DETAILS. */
	struct adapt rxa;
	/* Its descriptor could not go (back) into cpnetd's epoll set: the reader looked
	 * at the wire every loop turn meanwhile and tried again (cp/server.c). */
	uint64_t rearm_fails;
};

struct up_conn {
	enum up_state state;
	struct up_osa *dev;
	uint8_t port;			/* the port the VSWITCH names (RDEV rdev.Pn) */
	char ctl[9];			/* controller userid */
	uint16_t vdev;			/* the devices' number at the controller */
	uint32_t token;
	struct qdrv *data;		/* CP's data device (READY / ACTIVE) */
	uint64_t since;			/* state entered (ms) */
	uint32_t probe_tail;		/* the controller queue's tail after our last message */
	uint64_t probe_at;		/* when it was put there */
};

struct up_stats {
	uint64_t rx_pkts, rx_bytes, rx_discards;	/* from the OSA into the switch */
	uint64_t rx_batches;				/* port_tx calls into the switch */
	uint64_t tx_pkts, tx_bytes, tx_discards, tx_errors;	/* to the OSA */
	uint64_t tx_batches;				/* flushes (one SIGA at most each) */
	uint64_t tx_completed, tx_segmented;	/* checksums written / large sends cut */
	uint64_t tx_offloaded;		/* handed to the OSA for it to finish */
	uint64_t regs_sent, regs_ok, regs_failed, stale;
	uint64_t regs_deferred;		/* not pushed: the OSA's table was full (on miss) */
	uint64_t failovers, switchovers;
	/* The miss protocol (doc/osa.md "The address table"): what CP, the proxy,
	 * answered the active OSA's misses with. */
	uint64_t miss_table;		/* a guest's eligible address: installed */
	uint64_t miss_asked;		/* not in the LAN IP table: asked the controller */
	uint64_t miss_resolved;		/* ... which installed it from its rules (Result);
					 * not a registration: regs_ok counts only answers
					 * to what regs_sent counted */
	uint64_t miss_refused;		/* in the table but not eligible (VLAN, not started) */
	uint64_t miss_unknown;		/* nobody's (the controller's answer, or no uplink) */
	uint64_t refreshes;		/* addresses taken off the OSA by an authorization change */
};

struct up_sw {
	struct lanbk *lan;
	struct uplinks *u;
	struct port port;		/* the uplink port */
	struct up_conn c[2];
	int active;			/* index into c[] of the ACTIVE connection, -1 none */
	bool down_reported;		/* HCPSWU2832E said since the last ACTIVE */
	struct up_stats st;
	/* Table pressure (HCPSWU9325I): evictions of the active OSA already reported and
	 * when the next report may come. */
	uint64_t evict_said, install_said;
	uint64_t pressure_at;
	/* Inbound: one batch of frames for the switch, payload in place in CP's input
	 * SBAL pages (no staging buffer either way). */
	struct pframe rxf[QDRV_RX_BATCH];
	/* Outbound offloads the guests left to the adapter, done before the wire:
	 * the frame made linear, and one segment (allocated on first use). */
	uint8_t *ofl_buf;
};

struct cp;
struct vm;

struct uplinks {
	struct cp *cp;
	struct up_osa osas[UPLINK_MAX_OSAS];
	unsigned nosas;
	struct up_sw *sw[UPLINK_MAX_SW];
	unsigned nsw;
	struct ctl_queue inbox;		/* controllers -> CP */
	uint32_t next_token;
	/* The operator console (cpnetd's log); NULL = messages are dropped. */
	void (*console)(void *ctx, const char *line);
	void *console_ctx;
	/* Monotonic ms; NULL = CLOCK_MONOTONIC (tests warp time). */
	uint64_t (*clock_ms)(void *ctx);
	void *clock_ctx;
	bool in_tick;
};

int uplinks_init(struct uplinks *u, struct cp *cp);
/* Release every connection and destroy the OSAs (before the controllers go). */
void uplinks_free(struct uplinks *u);

/* RDEVICE rdev TYPE OSA [PORT n] [BACKEND TAP|MEM name] [MAC m] [CHPID xx]: one OSA
 * port (portno 0 or 1).  0, -EEXIST (overlaps one), -ENOSPC, -EINVAL (port).  A wire that cannot be opened (not root) is
 * retried by uplink_tick; *open_err tells the caller why (0 = open). */
int uplink_add_osa(struct uplinks *u, uint16_t rdev, uint8_t chpid, uint8_t portno,
		   const char *backend,
		   const char *wname, const uint8_t *mac, unsigned line, int *open_err);
struct up_osa *uplink_find_osa(struct uplinks *u, uint16_t rdev);
/* RDEVICE ... RINGS n (validated by the caller): now and whenever the wire reopens. */
void uplink_set_rings(struct up_osa *d, unsigned rings);
/* RDEVICE ... ADDRESSES n (validated by the caller): the OSA's address table size. */
void uplink_set_addresses(struct up_osa *d, unsigned n);
/* Authorizations of `lan` changed (GRANT / REVOKE of `user`, NULL = anyone: a VLAN
 * change): the addresses of the guests concerned leave the active OSA, so the next
 * frame for each misses and is decided again with the new authorization. */
void uplink_refresh(struct uplinks *u, struct lanbk *lan, const char *user);
struct up_sw *uplink_find_sw(struct uplinks *u, const struct lanbk *lan);
/* SET VSWITCH CONNECT|DISCONNECT changed lan->connect: act now rather than at the next
 * tick -- a DISCONNECT's uplink carries no frame once the command has answered, a
 * CONNECT starts bringing it up (within a tick itself: that tick does it). */
void uplink_connect_changed(struct uplinks *u, struct lanbk *lan);

/* Drive everything: messages from controllers, controllers' runs, link checks,
 * failure detection, (re)connection and backups.  Returns work done. */
int uplink_tick(struct uplinks *u);
/* Data: poll the OSAs' wires and CP's data devices (frames into the switches). */
int uplink_poll(struct uplinks *u);
/* Data from the wire of OSA number k (u->osas[k]) and CP's data devices: frames the
 * wire gave (what cpnetd's wire reader feeds its mode with), or 0. */
int uplink_poll_wire(struct uplinks *u, unsigned k);
/* Like uplink_poll, but waits up to `ms` for a wire to become readable first. */
int uplink_pump(struct uplinks *u, int ms);

/* A virtual machine is logging off (forced or not): if it is a controller, every
 * connection it manages fails over.  Called before its controller is destroyed. */
void uplink_vm_gone(struct uplinks *u, struct vm *vm, bool forced);
/* A LAN is being destroyed: its uplink goes away first. */
void uplink_lan_gone(struct uplinks *u, struct lanbk *lan);
/* SET VSWITCH name UPLINK SWITCHOVER [rdev]: 0 or the message rc written to o. */
struct out;
int uplink_switchover(struct uplinks *u, struct lanbk *lan, bool has_rdev, uint16_t rdev,
		      struct out *o);

/* For QUERY: connections the controller `userid` manages. */
unsigned uplink_managing(const struct uplinks *u, const char *userid);
/* Sum of the OSA's receive discards (what never reached the switch). */
uint64_t uplink_osa_rx_drops(const struct up_osa *d);
const char *up_state_name(enum up_state s);
/* "0A00.P01": an RDEV and port the way z/VM's messages and QUERY show them. */
void uplink_rdev_text(char out[12], uint16_t rdev, uint8_t port);

#endif
