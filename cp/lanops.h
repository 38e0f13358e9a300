/* cp/lanops.h - the operands of DEFINE LAN / DEFINE VSWITCH / SET VSWITCH / GRANT,
 * parsed once here for both the commands (cmds/) and SYSTEM CONFIG (cp/config.c). */
#ifndef CPNET_CP_LANOPS_H
#define CPNET_CP_LANOPS_H

#include <stdbool.h>
#include <stdint.h>

#include "cp/cp.h"
#include "cp/parse.h"
#include "vswitch/lan.h"

#define GRANT_MAX_USERS 8

/* What DEFINE LAN / DEFINE VSWITCH asked for; "has_" / -1 = not given (default). */
struct lan_spec {
	uint8_t kind;			/* LAN_GUESTLAN or LAN_VSWITCH */
	char name[9];
	char owner[9];			/* "" = the issuer (LAN) / SYSTEM (VSWITCH) */
	bool has_maxconn;
	unsigned maxconn;		/* 0 = INFINITE */
	int restricted, accounting, connect, isolation;	/* -1 / 0 / 1 */
	uint8_t type, transport;	/* 0 = default */
	int router;			/* -1, LAN_NONROUTER, LAN_PRIROUTER */
	bool has_rdev;
	unsigned nrdev;			/* 0 with has_rdev = NONE */
	uint16_t rdev[LAN_RDEV_MAX];
	uint8_t rdev_port[LAN_RDEV_MAX];
	bool has_controller;
	char controller[9];
	bool has_vlan, vlan_unaware;
	uint16_t defvid, native;
	uint8_t porttype;		/* 0 = default */
	bool has_qs, has_ipt;
	unsigned qs, ipt;
	int macprotect;			/* -1 or enum lan_macprotect */
};

/* Parse the operands after DEFINE LAN / DEFINE VSWITCH (argv[0] is the name).
 * 0, or the return code of the message written to o. */
int lanspec_parse(struct lan_spec *s, uint8_t kind, char **argv, unsigned argc, struct out *o);
/* Create the LAN in cp's System LAN table and apply the spec (nothing is left
 * behind on failure).  `issuer` owns a LAN defined without OWNERID. */
int lanspec_define(struct cp *cp, const struct lan_spec *s, const char *issuer,
		   struct lanbk **out, struct out *o);

/*
 * SET VSWITCH name <op ...> and SYSTEM CONFIG MODIFY VSWITCH name <op ...>:
 * GRANT userid... [PORTTYPE ACCESS|TRUNK] [VLAN vidset] [PROMISCUOUS|NOPROMISCUOUS],
 * REVOKE userid..., CONNECT, DISCONNECT, RDEV rdev...|NONE, CONTROLLER *|userid,
 * ISOLATION ON|OFF, MACPROTECT ON|OFF|UNSPEC, PORTTYPE ACCESS|TRUNK, VLAN ...,
 * IPTIMEOUT n, QUEUESTORAGE n, UPLINK SWITCHOVER, PORTNUMBER n BANDWIDTH rate|OFF |
 * USERID userid | REMOVE.  argv[0] is the first operand after the name.  Validates everything before it changes anything.
 */
int vswitch_set(struct cp *cp, struct lanbk *lan, char **argv, unsigned argc, struct out *o);

/*
 * The access list of a RESTRICTED LAN or VSWITCH, one path for SET VSWITCH and SET LAN:
 * GRANT userid... (VSWITCH also [PORTTYPE pt] [VLAN vidset] [PROMISCUOUS|NOPROM...]) or
 * REVOKE userid... (every one must be listed; a revoked user's NICs on a RESTRICTED
 * Guest LAN are uncoupled).  argv[0] is the first userid.  0 or the message rc.
 */
int lan_access_set(struct cp *cp, struct lanbk *lan, bool grant, char **argv, unsigned argc,
		   struct out *o);
/* SET LAN name [OWNERID owner] GRANT userid... | REVOKE userid... | PORTNUMBER n
 * BANDWIDTH rate|OFF | USERID userid | REMOVE: argv[0] is GRANT, REVOKE or PORTNUMBER. */
int lan_set(struct cp *cp, struct lanbk *lan, char **argv, unsigned argc, struct out *o);

/* BANDWIDTH's operand (SET VSWITCH/SET LAN ... PORTNUMBER n BANDWIDTH, SET NIC, NICDEF):
 * a rate in bits per second with K/M/G (vswitch/shaper.h), or OFF (*rate = 0).
 * 0, or the rc of HCPCMD002E (not a rate) / HCPCMD9010E (outside 1K-400G). */
int bandwidth_parse(const char *tok, uint64_t *rate, struct out *o);

/* DEVICES' operand (DEFINE NIC, NICDEF): 3 up to the devices a NIC can have
 * (NIC_MAX_DEVS; z/VM allows 3072), so that a directory --check accepts passes LOGON.
 * 0, or the rc of HCPCMD002E (not a number) / HCPCMD9010E (out of range). */
int devices_parse(const char *tok, unsigned *ndev, struct out *o);

/* The keyword tables (0 DEFINE LAN, 1 DEFINE VSWITCH, 2 SET VSWITCH, 3 SET LAN,
 * 4 after PORTNUMBER n, 5 DEFINE VSWITCH's operands SET VSWITCH takes), for tests. */
const struct kw *lanops_table(int which, size_t *n);

/* "VSWITCH" / "LAN" for messages. */
const char *lan_kind_word(const struct lanbk *lan);

#endif
