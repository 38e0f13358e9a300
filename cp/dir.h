/* cp/dir.h - the user directory: USER entries (password, privilege classes) and their
 * NICDEF statements; read once at start, looked up at LOGON and AUTOLOG. */
#ifndef CPNET_CP_DIR_H
#define CPNET_CP_DIR_H

#include <stdbool.h>
#include <stdint.h>

#include "cp/parse.h"
#include "vswitch/lan.h"

#define DIR_MAX_NICS 8
#define DIR_CLASSES_MAX 32

/* NICDEF vdev TYPE QDIO|HIPERS [DEVICES n] [LAN SYSTEM name | LAN owner name]
 * [CHPID xx] [MACID xxxxxx] [PORTNUMBER n] [PORTTYPE ACCESS|TRUNK] [VLAN vidset]
 * [PROMISCUOUS|NOPROMISCUOUS] [BANDWIDTH rate] (cpnet: the NIC's own cap, bits/s
 * with K/M/G), plus cpnet's IPADDR vdev a.b.c.d/len. */
struct dir_nicdef {
	uint16_t vdev;
	uint8_t type;			/* enum lan_type */
	unsigned ndev;
	bool has_lan;
	char lan_owner[9], lan_name[9];
	bool has_chpid;
	uint8_t chpid;
	bool has_macid;
	uint32_t macid;
	unsigned portnum;		/* 0 = AUTO */
	uint8_t porttype;		/* 0 = from the LAN */
	bool has_vlans;
	struct lan_vlanset vlans;
	int8_t promisc;			/* -1 unspecified, 0 NOPROMISCUOUS, 1 PROMISCUOUS */
	uint64_t bandwidth;		/* BANDWIDTH: bits/s, 0 = none */
	bool has_ip;			/* IPADDR (synthetic guests only) */
	uint8_t ip[4];
	unsigned prefix;
	unsigned line;
};

struct dir_user {
	char userid[9];
	char password[9];		/* "NOLOG": cannot log on, only be AUTOLOGged */
	char classes[DIR_CLASSES_MAX + 1];
	bool controller;		/* CONTROLLER: may be a VSWITCH controller */
	struct dir_nicdef nics[DIR_MAX_NICS];
	unsigned nnics;
	unsigned line;
};

struct dir {
	struct dir_user *users;
	unsigned n, cap;
	const char *file;
};

void dir_init(struct dir *d);
void dir_free(struct dir *d);
/* Parse directory text; every error goes to o as "file:line: HCP... text".  Entries
 * with errors in their USER statement are skipped; a bad NICDEF is skipped.
 * Returns the number of errors (0 = clean), or -ENOMEM. */
int dir_parse(struct dir *d, const char *file, const char *text, size_t len, struct out *o);
int dir_load(struct dir *d, const char *path, struct out *o);
const struct dir_user *dir_find(const struct dir *d, const char *userid);
/* Does the user have any of the classes in `need` ("*" = everybody)? */
bool dir_has_class(const char *classes, const char *need);

#endif
