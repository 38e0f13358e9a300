/* cp/msg.h - CP's message catalogue: every operator-visible message has a stable
 * HCP-style ID (HCPmmmnnnnS) and one text format, kept in ONE table (cp/msg.c). */
#ifndef CPNET_CP_MSG_H
#define CPNET_CP_MSG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * IDs: HCP + a three-letter module + the number + severity (E error, W warning,
 * I information, R response).  Numbers below 9000 are the ones z/VM uses for the
 * same condition; 9000-9999 are cpnet's own (z/VM has no equivalent we know of).
 * The return code a command ends with (Ready(rc);) is the number of its error.
 * Every format uses only %s conversions (checked by a unit test), so arguments
 * are always strings and a bad call cannot read the wrong type.
 */
enum msg_id {
	/* dispatcher and operands */
	MSG_UNKNOWN_CMD = 1,	/* HCPCMD001E Unknown CP command: %s */
	MSG_INV_OPERAND,	/* HCPCMD002E Invalid operand - %s */
	MSG_INV_OPTION,		/* HCPCMD003E Invalid option - %s */
	MSG_INV_USERID,		/* HCPCMD007E Invalid userid - %s */
	MSG_CONFLICT,		/* HCPCMD013E Conflicting option - %s */
	MSG_USERID_MISSING,	/* HCPCMD020E */
	MSG_VDEV_MISSING,	/* HCPCMD022E */
	MSG_OPERAND_MISSING,	/* HCPCMD026E */
	MSG_DEV_NOT_EXIST,	/* HCPCMD040E Device %s does not exist */
	MSG_NOT_LOGGED_ON,	/* HCPCMD045E %s not logged on */
	MSG_OPTION_NEEDS,	/* HCPCMD1001E An operand is missing for %s. */
	MSG_AMBIGUOUS,		/* HCPCMD9001E */
	MSG_LINE_TOO_LONG,	/* HCPCMD9002E */
	MSG_NEED_LOGON,		/* HCPCMD9003E */
	MSG_LINE_NUL,		/* HCPCMD9004E */
	MSG_OUT_OF_RANGE,	/* HCPCMD9010E */
	MSG_DUPLICATE_OPTION,	/* HCPCMD9011E */
	MSG_INTERNAL,		/* HCPCMD9099E */
	/* logon */
	MSG_LOGON_FAILED,	/* HCPLGA050E */
	MSG_NOT_IN_DIR,		/* HCPLGA053E */
	MSG_ALREADY_ON,		/* HCPLGA054E */
	/* LANs and VSWITCHes */
	MSG_LAN_EXISTS,		/* HCPLAN9100E */
	MSG_LAN_NOT_EXIST,	/* HCPLAN9101E */
	MSG_LAN_BUSY,		/* HCPLAN9102E */
	MSG_LAN_NOT_AUTH,	/* HCPLAN9103E */
	MSG_LAN_FULL,		/* HCPLAN9104E */
	MSG_PORT_IN_USE,	/* HCPLAN9105E */
	MSG_NOT_IN_ACCESSLIST,	/* HCPLAN9106E */
	MSG_GRANT_TOO_MANY,	/* HCPLAN9107E */
	MSG_LAN_OWNER,		/* HCPLAN9108E */
	MSG_LAN_LIMIT,		/* HCPLAN9109E */
	MSG_NOT_VSWITCH_OP,	/* HCPLAN9110E */
	MSG_SWU_STATUS,		/* HCPSWU2830I */
	MSG_SWU_NO_RDEV,	/* HCPSWU2832E */
	MSG_SWU_STALL,		/* HCPSWU2843E */
	MSG_SWU_CTL_GONE,	/* HCPSWU9320E */
	MSG_SWU_RDEV_FAIL,	/* HCPSWU9321E */
	MSG_SWU_CONTROLLER,	/* HCPSWU9322I */
	MSG_SWU_INIT_FAIL,	/* HCPSWU9323E */
	MSG_SWU_NO_SWITCHOVER,	/* HCPSWU9324E */
	MSG_SWU_ADDR_PRESSURE,	/* HCPSWU9325W */
	MSG_NONE_DEFINED,	/* HCPLAN9111I */
	MSG_PORT_NOT_AUTH,	/* HCPLAN9112E */
	MSG_LAN_UNRESTRICTED,	/* HCPLAN9113E */
	MSG_NO_NICS,		/* HCPNIC9209I */
	/* NICs */
	MSG_DEV_EXISTS,		/* HCPNIC9200E */
	MSG_NIC_COUPLED,	/* HCPNIC9202E */
	MSG_NIC_NOT_COUPLED,	/* HCPNIC9203E */
	MSG_NIC_TYPE_MISMATCH,	/* HCPNIC9204E */
	MSG_NO_MAC,		/* HCPNIC9205E */
	MSG_NIC_NO_LAN,		/* HCPNIC9207E */
	MSG_NIC_LIMIT,		/* HCPNIC9208E */
	MSG_NIC_PROMISC,	/* HCPNIC9210E */
	/* virtual machines */
	MSG_GUEST_FAILED,	/* HCPVMX9301E */
	MSG_NO_GUEST,		/* HCPVMX9303E */
	MSG_NO_CONTROLLER,	/* HCPSWQ9304E */
	/* application ports (api/cpnetport.h) */
	MSG_APPL_VLAN,		/* HCPAPL9500E */
	MSG_APPL_PROMISC,	/* HCPAPL9501E */
	MSG_APPL_ENDED,		/* HCPAPL9502I */
	MSG_APPL_CONNECTED,	/* HCPAPL9503I */
	MSG_APPL_TRUNK,		/* HCPAPL9504E */
	MSG_APPL_LAYER,		/* HCPAPL9505E */
	/* SYSTEM CONFIG and directory */
	MSG_CFG_UNKNOWN_STMT,	/* HCPCFG9400E */
	MSG_CFG_DUPLICATE,	/* HCPCFG9401E */
	MSG_CFG_UNTERMINATED,	/* HCPCFG9402E */
	MSG_CFG_CONT_EOF,	/* HCPCFG9403E */
	MSG_CFG_TOO_LONG,	/* HCPCFG9404E */
	MSG_CFG_BAD_CHAR,	/* HCPCFG9405E */
	MSG_CFG_OPEN,		/* HCPCFG9406E */
	MSG_CFG_NO_USER,	/* HCPDIR9410E */
	MSG_CFG_DUP_USER,	/* HCPDIR9411E */
	MSG_CFG_DUP_NICDEF,	/* HCPDIR9412E */
	MSG_CFG_UNKNOWN_USER,	/* HCPCFG9413E */
	MSG_CFG_RDEV_HOOK,	/* HCPCFG9414W */
	MSG_CFG_RDEV_OPEN,	/* HCPCFG9415W */
	MSG_CFG_QUALIFIER,	/* HCPCFG9416E */
	MSG_CFG_BLOCK_OPEN,	/* HCPCFG9417E */
	MSG_CFG_END_UNMATCHED,	/* HCPCFG9418E */
	MSG_CFG_NEEDS_QUALIFIER,	/* HCPCFG9419E */
	MSG_CFG_QUALIFIED,	/* HCPCFG9420E */
	/* LAN traces */
	MSG_TRACE_NOT_EXIST,	/* HCPTRC9600E */
	MSG_TRACE_FILE,		/* HCPTRC9601E */
	MSG_TRACE_NAME,		/* HCPTRC9602E */
	MSG_TRACE_LIMIT,	/* HCPTRC9603E */
	MSG_NO_TRACES,		/* HCPTRC9604I */
	/* command responses (shown without their ID, like z/VM's) */
	MSG_R_NIC_CREATED,
	MSG_R_NIC_DESTROYED,
	MSG_R_NIC_CONNECTED,
	MSG_R_NIC_DISCONNECTED,
	MSG_R_LAN_CREATED,
	MSG_R_LAN_DESTROYED,
	MSG_R_COMPLETE,
	MSG_R_AUTOLOGGED,
	MSG_R_FORCED,
	MSG_R_LOGOFF,
	MSG_R_LOGON,
	MSG_R_PING,
	MSG_R_NIC_LAN_GONE,
	MSG_R_TRACE_STARTED,
	MSG_R_TRACE_STOPPED,
	MSG_COUNT
};

struct msg_def {
	enum msg_id id;
	const char *code;	/* "HCPCMD003E" */
	int rc;			/* the return code of a command ending with it (0: none) */
	bool bare;		/* a command response: printed without its code */
	const char *fmt;	/* %s only */
};

/* The catalogue entry of an ID (NULL for an ID outside the table). */
const struct msg_def *msg_def(enum msg_id id);
/* The entry whose code is `code` ("HCPCMD003E"), or NULL. */
const struct msg_def *msg_by_code(const char *code);
/* Entry i of the table in ID order (for doc generation and tests), NULL past the end. */
const struct msg_def *msg_at(unsigned i);

/* Format a message: "HCPCMD003E Invalid option - FOO" (bare ones: text only).
 * Arguments are strings, as many as the format has %s.  Returns the length it
 * needed (like snprintf) or -EINVAL for an unknown ID. */
int msg_format(char *buf, size_t cap, enum msg_id id, ...);
int msg_vformat(char *buf, size_t cap, enum msg_id id, va_list ap);

/* Make an operator-supplied token safe to echo in a message: at most `max`
 * printable ASCII characters (others become '.'), "..." if cut. */
void msg_sanitize(char *out, size_t cap, const char *in, size_t max);

#endif
