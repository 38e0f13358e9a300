/* cp/cp.h - CP's own objects: virtual machines and their NICs, VMLAN settings and MAC
 * assignment, and `struct cp` that holds them with the System LAN table and directory. */
#ifndef CPNET_CP_CP_H
#define CPNET_CP_CP_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/controller.h"
#include "cp/dir.h"
#include "cp/parse.h"
#include "driver/guest.h"
#include "vnic/nic.h"
#include "lib/adapt.h"
#include "vnic/vmlink.h"
#include "vswitch/lan.h"

/*
 * Threading: everything here belongs to cpnetd's one event-loop thread (and to the
 * unit tests' thread).  No locks; frames between in-process NICs move inside the
 * calls that produce them (SIGA of a synthetic guest), never across threads.
 */

#define VM_MAX_NICS 16
#define CP_MAX_VMS 4096
#define CP_MAX_AUTOLOG 64
#define CP_MAX_RDEVS 32

/* VMLAN: how CP makes MAC addresses and limits LANs (SET VMLAN / VMLAN statement). */
struct vmlan {
	uint8_t prefix[3];		/* MACPREFIX (first byte must be 02) */
	uint8_t user_prefix[3];		/* USERPREFIX: MACIDs from the directory */
	uint32_t sys_lo, sys_hi;	/* MACIDRANGE SYSTEM */
	uint32_t user_lo, user_hi;	/* MACIDRANGE USER (0-0 = none reserved) */
	unsigned limit_persistent;	/* 0 = INFINITE */
	unsigned limit_transient;
	bool macprotect;		/* VMLAN MACPROTECT */
	uint32_t next;			/* next MACID to try */
};

struct vm;

/*
 * CP's view of one virtual NIC.  A local NIC (AUTOLOG's synthetic guest, terminal
 * users) has its NICBK here; a remote one (the VM runs in another process and
 * reaches cpnetd over a vmlink) has its adapter side in that process and only a
 * proxy port here.  `port` is what couples to the LAN in both cases.
 */
struct vnic {
	struct nicbk *nic;		/* local NIC, or NULL when remote */
	struct port *port;		/* &nic->port, or the vmlink proxy port */
	struct vm *vm;
	uint16_t vdev;
	unsigned ndev;
	uint8_t type;			/* enum lan_type */
	uint8_t chpid;
	uint8_t mac[6];
	uint16_t base_schno;		/* CP's subchannel numbers (local NICs use them) */
	uint32_t macid;
	bool announced;			/* remote: VML_NIC_DEFINE sent */
	struct lanbk *lan;		/* coupled to, or NULL */
	unsigned portnum;
	struct guest_if *gif;		/* the synthetic guest's interface, or NULL */
	uint64_t bandwidth;		/* its own cap, bits/s (SET NIC / NICDEF BANDWIDTH);
					 * 0 = none; applied at every COUPLE */
};

struct vm {
	char userid[9];
	char classes[DIR_CLASSES_MAX + 1];
	const struct dir_user *du;	/* directory entry (cp->dir outlives every vm) */
	struct vnic *nics[VM_MAX_NICS];
	unsigned nnics;
	unsigned nsessions;		/* connected terminals (Unix socket clients) */
	bool autologged;		/* runs disconnected: a session ending leaves it on */
	struct guest *guest;		/* synthetic guest (AUTOLOG), or NULL */
	struct vmlink *link;		/* remote VM: its link (owned by the server), or NULL */
	uint16_t next_schno;
	unsigned term;			/* terminal number of the latest session (QUERY NAMES) */
	struct ctlr *ctl;		/* a VSWITCH controller (CONTROLLER in the directory) */
	bool ctl_stalled;		/* CP saw it stall: not selected again */
};

/* An RDEVICE statement (the OSAs it made live in cp->up). */
struct cp_rdev {
	uint16_t rdev;
	unsigned count;
	unsigned line;
	unsigned rings;			/* RINGS n: hardware receive rings of each OSA */
	unsigned addresses;		/* ADDRESSES n: address table entries of each OSA */
};

struct uplinks;
struct trace;
struct appl_table;

/*
 * Which system this cpnetd is, for SYSTEM CONFIG record qualifiers ("ZVMTEST: ...").
 * cpnetd fills the host's identity before reading SYSTEM CONFIG (config_sysid_host);
 * config_parse resolves `name` from --system-name, SYSTEM_IDENTIFIER or
 * SYSTEM_IDENTIFIER_DEFAULT (doc/config.md).
 */
struct cp_sysid {
	char forced[9];			/* --system-name, "" = not given */
	char lpar[65];			/* LPAR name (s390x sysinfo) or host name, uppercased */
	char type[5];			/* machine type (s390x sysinfo), "" elsewhere */
	char cpuid[7];			/* CPU serial, last 6 digits (s390x sysinfo), or "" */
	char name[9];			/* the resolved system name, "" = none */
};

/* What CP keeps per LAN besides the LANBK: a VSWITCH's own MAC address. */
struct cp_lanx {
	const struct lanbk *lan;
	uint8_t mac[6];
};

struct cp {
	struct lan_table lans;
	struct cp_lanx *lanx;
	unsigned nlanx, lanx_cap;
	struct dir dir;
	struct vmlan vmlan;
	struct vm **vms;		/* logged-on virtual machines */
	unsigned nvms, cap;
	char autolog[CP_MAX_AUTOLOG][9];	/* AUTOLOG statements of SYSTEM CONFIG */
	unsigned autolog_line[CP_MAX_AUTOLOG];
	unsigned nautolog;
	const char *config_file;
	struct cp_sysid sysid;
	struct cp_rdev rdevs[CP_MAX_RDEVS];
	unsigned nrdevs;
	/* Called for each RDEVICE statement (NULL = the OSAs are made in cp->up). */
	int (*rdev_hook)(struct cp *cp, const struct cp_rdev *r);
	struct uplinks *up;		/* VSWITCH uplinks: OSAs, controllers, failover */
	struct appl_table *appl;	/* application ports (cp/appl.h), or NULL */
	unsigned next_term;
	/* Told before a virtual machine goes away (the server drops its sessions). */
	void (*on_logoff)(void *ctx, struct vm *vm);
	void *on_logoff_ctx;
	/* A command that waits for answers (PING) while the server's loop cannot turn:
	 * moves the frames the VMs in other processes sent (rings, sockets) into the
	 * LANs, nothing else (set by the server; NULL: no such VMs). */
	void (*pump_links)(void *ctx);
	void *pump_links_ctx;
	/* Until when (CLOCK_MONOTONIC ns) pump_links may wait for other processes: PING
	 * sets it for its whole run (CP_PING_WAIT_NS), so that a ping to an address
	 * nobody answers holds the loop that long at most; 0: it only looks. */
	uint64_t pump_until_ns;
	/* cpnetd is stopping: remote VMs are told so in their LOGOFF and log on again
	 * when it is back (vmlink VML_LOGOFF_SHUTDOWN); set by the server's shutdown. */
	bool stopping;
	/* How cpnetd's consumers wait for work (cpnetd --poll-mode, lib/adapt.h): the
	 * VMs' rings and the OSAs' wires; adaptive unless told. */
	enum adapt_policy poll_policy;
	/* ...and the VM rings' thresholds (NULL: lib/adapt.h's defaults; tests set
	 * their own so that what they check does not depend on the machine's speed). */
	const struct adapt_cfg *poll_cfg;
	/* TRACE START / STOP (cmds/trace.c): the operator's LAN traces, newest first;
	 * their files go into trace_dir (cpnetd --trace-dir, default its working
	 * directory; NULL: TRACE START refused, so that a CP in a fuzzer writes no files). */
	struct trace *traces;
	unsigned ntraces, next_trace;
	const char *trace_dir;
};

/* The longest one PING command waits for VMs in other processes (cp->pump_until_ns):
 * cpnetd's loop serves nobody else meanwhile (IPA commands time out after 5 s). */
#define CP_PING_WAIT_NS 2000000000ull

int cp_init(struct cp *cp, uint64_t seed);
/* Logs everybody off and frees every object. */
void cp_free(struct cp *cp);

void vmlan_init(struct vmlan *v);
/* A free MAC: MACPREFIX + the next unused MACID of the SYSTEM range.  0 or -ENOSPC. */
int cp_assign_mac(struct cp *cp, uint8_t mac[6], uint32_t *macid);
/* Is this MAC used by any NIC or VSWITCH? */
bool cp_mac_in_use(const struct cp *cp, const uint8_t mac[6]);

struct vm *cp_find_vm(const struct cp *cp, const char *userid);
struct vnic *vm_find_nic(const struct vm *vm, uint16_t vdev);
/* The vnic that owns a NIC device number anywhere in vdev..vdev+ndev-1. */
struct vnic *vm_nic_covering(const struct vm *vm, uint16_t devno);

/* The directory check of a LOGON (user, password already uppercased): 0 with *du and
 * u[] (the canonical userid) set, or the message rc written to o. */
int cp_logon_check(struct cp *cp, const char *userid, const char *password, struct out *o,
		   const struct dir_user **du, char u[9]);

/*
 * LOGON of a socket session: checks the directory and the password; logs the user on
 * (its NICDEFs defined and coupled) or, if it already is, connects to it.  0 with
 * *out set, or the message rc written to o.
 */
int cp_logon(struct cp *cp, const char *userid, const char *password, struct out *o,
	     struct vm **out);
/*
 * LOGON of a virtual machine in another process over `link` (CP side, set up by the
 * caller): checks the directory like cp_logon (password already uppercased), refuses
 * a user already logged on, and answers VML_LOGON_REPLY (rc 0 or the message number,
 * with the message text).  On success the VM is remote: each NICDEF is defined,
 * coupled and announced (VML_NIC_DEFINE, then VML_LINK up when coupled).  0 with
 * *out set, or the message rc (the caller closes the connection).
 */
int cp_logon_remote(struct cp *cp, const char *userid, const char *password,
		    struct vmlink *link, struct out *o, struct vm **out);
/* A session ended (LOGOFF from it, or the connection dropped). */
void cp_session_end(struct cp *cp, struct vm *vm);
/* AUTOLOG: log on without a terminal and start a synthetic guest whose NICDEF NICs
 * come online (layer from the LAN's transport) with their IPADDR addresses.  A user
 * marked CONTROLLER in the directory becomes a VSWITCH controller virtual machine. */
int cp_autolog(struct cp *cp, const char *userid, struct out *o);
/* LOGOFF / FORCE: uncouple and detach every NIC, end the synthetic guest, tell a
 * remote VM (VML_LOGOFF; on_logoff lets the server close its link), reap the
 * user's transient LANs with nothing coupled.  Frees vm. */
void cp_logoff(struct cp *cp, struct vm *vm);

/* DEFINE NIC.  macid_given: use user_prefix+macid instead of assigning one. */
int cp_define_nic(struct cp *cp, struct vm *vm, uint16_t vdev, uint8_t type, unsigned ndev,
		  int chpid, bool macid_given, uint32_t macid, struct out *o,
		  struct vnic **out);
/* COUPLE to a LAN (checks type, authorization, MAXCONN, port number). */
/* SET NIC vdev BANDWIDTH: the NIC's own cap (0 = OFF), now if it is coupled and at
 * every later COUPLE.  0 or negative errno. */
int cp_nic_bandwidth(struct vnic *n, uint64_t rate);

/* SET NIC vdev PROMISCUOUS|NOPROMISCUOUS: the NIC's port on its LAN receives a copy of
 * every frame of its VLANs, or no longer, as when its guest asks (SETADP); the LAN
 * decides whether the user may (GRANT ... PROMISCUOUS on a RESTRICTED one).  0, or the
 * rc of HCPNIC9203E (not coupled) / HCPNIC9210E (not authorized). */
int cp_nic_promisc(struct vnic *n, bool on, struct out *o);
int cp_couple(struct cp *cp, struct vnic *n, struct lanbk *lan, unsigned portnum,
	      struct out *o);
/* The message for lan_attach_port's refusal rc (< 0) of `user`'s port asking for
 * `portnum` (COUPLE, an application port's registration): its message rc. */
int cp_attach_refused(const struct lanbk *lan, int rc, const char *user, unsigned portnum,
		      struct out *o);
int cp_uncouple(struct cp *cp, struct vnic *n, struct out *o);
int cp_detach_nic(struct cp *cp, struct vnic *n, struct out *o);
/* DETACH LAN / VSWITCH: every coupled NIC is uncoupled first. */
/* DETACH LAN / VSWITCH: every coupled NIC is uncoupled first (its guest gets an
 * unsolicited STOPLAN; one HCPNIC9912R line each on `o`), then the LAN goes. */
void cp_destroy_lan(struct cp *cp, struct lanbk *lan, struct out *o);
/* Destroy transient LANs of `owner` that have nothing coupled, if owner is gone. */
void cp_reap_lans(struct cp *cp, const char *owner);

/* Run every synthetic guest's interrupt and queue processing once. */
int cp_poll_guests(struct cp *cp);
/* PING from a synthetic guest's NIC (vdev 0 = its first) to an IPv4 address. */
int cp_ping(struct cp *cp, struct vm *vm, uint16_t vdev, const uint8_t ip[4], unsigned count,
	    struct out *o);

/* A LAN was defined: a VSWITCH gets its MAC.  0 or -ENOMEM / -ENOSPC. */
int cp_lan_added(struct cp *cp, const struct lanbk *lan);
/* The VSWITCH's MAC, or NULL. */
const uint8_t *cp_lan_mac(const struct cp *cp, const struct lanbk *lan);

/* Counts for QUERY VMLAN. */
void cp_lan_counts(const struct cp *cp, unsigned *persistent, unsigned *transient);

/* Formatting helpers shared by QUERY. */
void fmt_mac(char out[18], const uint8_t mac[6]);

#endif
