/* cp/msg.c - the one message catalogue (IDs, return codes, texts) and its formatter.
 * Commands, SYSTEM CONFIG and the directory parser all report through it. */
#include "cp/msg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/cpnet.h"

#define M(id_, code_, rc_, fmt_) [id_] = { id_, code_, rc_, false, fmt_ }
#define R(id_, code_, fmt_) [id_] = { id_, code_, 0, true, fmt_ }

static const struct msg_def catalogue[MSG_COUNT] = {
	M(MSG_UNKNOWN_CMD, "HCPCMD001E", 1, "Unknown CP command: %s"),
	M(MSG_INV_OPERAND, "HCPCMD002E", 2, "Invalid operand - %s"),
	M(MSG_INV_OPTION, "HCPCMD003E", 3, "Invalid option - %s"),
	M(MSG_INV_USERID, "HCPCMD007E", 7, "Invalid userid - %s"),
	M(MSG_CONFLICT, "HCPCMD013E", 13, "Conflicting option - %s"),
	M(MSG_USERID_MISSING, "HCPCMD020E", 20, "Userid missing or invalid"),
	M(MSG_VDEV_MISSING, "HCPCMD022E", 22,
	  "A virtual device number was not supplied or it was invalid."),
	M(MSG_OPERAND_MISSING, "HCPCMD026E", 26, "Operand missing or invalid"),
	M(MSG_DEV_NOT_EXIST, "HCPCMD040E", 40, "Device %s does not exist"),
	M(MSG_NOT_LOGGED_ON, "HCPCMD045E", 45, "%s not logged on"),
	M(MSG_OPTION_NEEDS, "HCPCMD1001E", 1001, "An operand is missing for %s."),
	M(MSG_AMBIGUOUS, "HCPCMD9001E", 9001, "Ambiguous abbreviation - %s"),
	M(MSG_LINE_TOO_LONG, "HCPCMD9002E", 9002, "Command line too long (more than %s characters)"),
	M(MSG_NEED_LOGON, "HCPCMD9003E", 9003, "Not logged on; enter LOGON userid password"),
	M(MSG_LINE_NUL, "HCPCMD9004E", 9004,
	  "Command line contains a NUL character (column %s); not executed"),
	M(MSG_OUT_OF_RANGE, "HCPCMD9010E", 9010, "Value %s for %s is out of range (%s)"),
	M(MSG_DUPLICATE_OPTION, "HCPCMD9011E", 9011, "Option %s was specified more than once"),
	M(MSG_INTERNAL, "HCPCMD9099E", 9099, "Internal error: %s"),

	M(MSG_APPL_VLAN, "HCPAPL9500E", 9500, "VLAN %s is not authorized for %s on %s %s %s"),
	M(MSG_APPL_PROMISC, "HCPAPL9501E", 9501,
	  "%s is not authorized for promiscuous mode on %s %s %s"),
	M(MSG_APPL_ENDED, "HCPAPL9502I", 0, "Application port %s of %s on %s %s %s ended"),
	M(MSG_APPL_CONNECTED, "HCPAPL9503I", 0, "Application port %s of %s connected to %s %s %s"),
	M(MSG_APPL_TRUNK, "HCPAPL9504E", 9504,
	  "%s is a trunk port on %s %s %s: its frames carry their VLAN tags; VLAN %s cannot be chosen"),
	/* z/VM does not run a layer-2 NIC on an IP VSWITCH (its STARTLAN fails with IPA
	 * return code X'0040', LAN frame mismatch); a virtio-net port is layer 2 only. */
	M(MSG_APPL_LAYER, "HCPAPL9505E", 9505,
	  "Virtio-net port of %s carries Ethernet frames; %s %s %s is transport IP"),

	M(MSG_LOGON_FAILED, "HCPLGA050E", 50, "LOGON unsuccessful--incorrect userid and/or password"),
	M(MSG_NOT_IN_DIR, "HCPLGA053E", 53, "%s not in CP directory"),
	M(MSG_ALREADY_ON, "HCPLGA054E", 54, "%s is already logged on"),

	M(MSG_LAN_EXISTS, "HCPLAN9100E", 9100, "%s %s %s already exists"),
	M(MSG_LAN_NOT_EXIST, "HCPLAN9101E", 9101, "%s %s %s does not exist"),
	M(MSG_LAN_BUSY, "HCPLAN9102E", 9102, "%s of %s %s %s cannot change while adapters are coupled"),
	M(MSG_LAN_NOT_AUTH, "HCPLAN9103E", 9103, "%s is not authorized to couple to %s %s %s"),
	M(MSG_LAN_FULL, "HCPLAN9104E", 9104, "%s %s %s has reached its maximum number of connections"),
	M(MSG_PORT_IN_USE, "HCPLAN9105E", 9105, "Port number %s is in use on %s %s %s"),
	M(MSG_NOT_IN_ACCESSLIST, "HCPLAN9106E", 9106, "%s is not in the access list of %s %s %s"),
	M(MSG_GRANT_TOO_MANY, "HCPLAN9107E", 9107, "Too many userids (at most %s)"),
	M(MSG_LAN_OWNER, "HCPLAN9108E", 9108, "%s is not authorized for LANs owned by %s"),
	M(MSG_LAN_LIMIT, "HCPLAN9109E", 9109, "The %s LAN limit of %s has been reached"),
	M(MSG_NOT_VSWITCH_OP, "HCPLAN9110E", 9110, "Option %s is valid only for a %s"),
	M(MSG_SWU_STATUS, "HCPSWU2830I", 0, "VSWITCH SYSTEM %s status is %s."),
	M(MSG_SWU_NO_RDEV, "HCPSWU2832E", 2832, "Connection for VSWITCH SYSTEM %s is not active. None of the RDEVs are available working OSA-Express devices."),
	M(MSG_SWU_STALL, "HCPSWU2843E", 2843, "A stall was detected for TCP/IP Controller %s. It was managing device %s for VSWITCH SYSTEM %s."),
	M(MSG_SWU_CTL_GONE, "HCPSWU9320E", 9320, "TCP/IP Controller %s was logged off. It was managing device %s for VSWITCH SYSTEM %s."),
	M(MSG_SWU_RDEV_FAIL, "HCPSWU9321E", 9321, "Device %s of VSWITCH SYSTEM %s failed: %s."),
	M(MSG_SWU_CONTROLLER, "HCPSWU9322I", 0, "%s is VSWITCH controller for device %s of VSWITCH SYSTEM %s."),
	M(MSG_SWU_INIT_FAIL, "HCPSWU9323E", 9323, "TCP/IP Controller %s could not initialize device %s for VSWITCH SYSTEM %s: %s"),
	M(MSG_SWU_NO_SWITCHOVER, "HCPSWU9324E", 9324, "UPLINK SWITCHOVER of VSWITCH SYSTEM %s is not possible: %s"),
	M(MSG_SWU_ADDR_PRESSURE, "HCPSWU9325W", 0, "The address table of device %s of VSWITCH SYSTEM %s is full (%s entries): %s addresses evicted, %s installed on demand since the last report."),
	M(MSG_NONE_DEFINED, "HCPLAN9111I", 0, "No %s is defined"),
	M(MSG_PORT_NOT_AUTH, "HCPLAN9112E", 9112,
	  "Port number %s on %s %s %s is defined for %s, not for %s"),
	M(MSG_LAN_UNRESTRICTED, "HCPLAN9113E", 9113,
	  "%s %s %s is UNRESTRICTED; %s applies to a RESTRICTED LAN only"),
	M(MSG_NO_NICS, "HCPNIC9209I", 0, "No NICs are defined for %s"),

	M(MSG_DEV_EXISTS, "HCPNIC9200E", 9200, "Device %s already exists"),
	M(MSG_NIC_COUPLED, "HCPNIC9202E", 9202, "NIC %s is already coupled to %s %s %s"),
	M(MSG_NIC_NOT_COUPLED, "HCPNIC9203E", 9203, "NIC %s is not coupled"),
	M(MSG_NIC_TYPE_MISMATCH, "HCPNIC9204E", 9204, "NIC %s of type %s cannot couple to %s %s %s of type %s"),
	M(MSG_NO_MAC, "HCPNIC9205E", 9205, "No MAC address is available in the MACIDRANGE"),
	M(MSG_NIC_NO_LAN, "HCPNIC9207E", 9207, "NIC %s has no LAN in the directory; name one"),
	M(MSG_NIC_LIMIT, "HCPNIC9208E", 9208, "%s already has the maximum of %s NICs"),
	M(MSG_NIC_PROMISC, "HCPNIC9210E", 9210,
	  "NIC %s of %s is not authorized for promiscuous mode on %s %s %s"),

	M(MSG_GUEST_FAILED, "HCPVMX9301E", 9301, "Synthetic guest %s NIC %s did not come online: %s"),
	M(MSG_NO_GUEST, "HCPVMX9303E", 9303, "%s is not a synthetic guest with NIC %s"),
	M(MSG_NO_CONTROLLER, "HCPSWQ9304E", 9304, "No VSWITCH controllers are available"),

	M(MSG_CFG_UNKNOWN_STMT, "HCPCFG9400E", 9400, "Unknown statement - %s"),
	M(MSG_CFG_DUPLICATE, "HCPCFG9401E", 9401, "%s %s was already defined at line %s; this statement is ignored"),
	M(MSG_CFG_UNTERMINATED, "HCPCFG9402E", 9402, "Comment is not terminated"),
	M(MSG_CFG_CONT_EOF, "HCPCFG9403E", 9403, "Continued statement is not completed at end of file"),
	M(MSG_CFG_TOO_LONG, "HCPCFG9404E", 9404, "Statement is longer than %s characters"),
	M(MSG_CFG_BAD_CHAR, "HCPCFG9405E", 9405, "Invalid character in statement"),
	M(MSG_CFG_OPEN, "HCPCFG9406E", 9406, "Cannot read %s: %s"),
	M(MSG_CFG_NO_USER, "HCPDIR9410E", 9410, "%s statement outside a USER entry"),
	M(MSG_CFG_DUP_USER, "HCPDIR9411E", 9411, "USER %s was already defined at line %s; this entry is ignored"),
	M(MSG_CFG_DUP_NICDEF, "HCPDIR9412E", 9412, "NICDEF %s (devices %s-%s) of %s overlaps NICDEF %s (devices %s-%s) at line %s; this statement is ignored"),
	M(MSG_CFG_UNKNOWN_USER, "HCPCFG9413E", 9413, "%s is not in the user directory"),
	M(MSG_CFG_RDEV_HOOK, "HCPCFG9414W", 0, "RDEVICE %s recorded; the uplink is not connected yet"),
	M(MSG_CFG_RDEV_OPEN, "HCPCFG9415W", 0, "RDEVICE %s: back end %s %s cannot be opened (%s); the device is not ready"),
	M(MSG_CFG_QUALIFIER, "HCPCFG9416E", 9416, "Invalid record qualifier - %s"),
	M(MSG_CFG_BLOCK_OPEN, "HCPCFG9417E", 9417, "%s: BEGIN at line %s has no matching END"),
	M(MSG_CFG_END_UNMATCHED, "HCPCFG9418E", 9418, "%s: END has no matching BEGIN"),
	M(MSG_CFG_NEEDS_QUALIFIER, "HCPCFG9419E", 9419, "%s needs a record qualifier (sysname: %s)"),
	M(MSG_CFG_QUALIFIED, "HCPCFG9420E", 9420, "%s cannot have a record qualifier or be in a BEGIN block"),

	M(MSG_TRACE_NOT_EXIST, "HCPTRC9600E", 9600, "Trace %s does not exist"),
	M(MSG_TRACE_FILE, "HCPTRC9601E", 9601, "Trace file %s cannot be written: %s"),
	M(MSG_TRACE_NAME, "HCPTRC9602E", 9602, "Invalid trace file name - %s (a name without / ending in .pcap, .pcapng, .pcap.gz or .pcapng.gz)"),
	M(MSG_TRACE_LIMIT, "HCPTRC9603E", 9603, "The maximum of %s traces is reached; stop one first"),
	M(MSG_NO_TRACES, "HCPTRC9604I", 0, "No traces are defined"),

	R(MSG_R_NIC_CREATED, "HCPNIC9900R", "NIC %s is created; devices %s-%s defined"),
	R(MSG_R_NIC_DESTROYED, "HCPNIC9901R", "NIC %s is destroyed; devices %s-%s detached"),
	R(MSG_R_NIC_CONNECTED, "HCPNIC9902R", "NIC %s is connected to %s %s %s"),
	R(MSG_R_NIC_DISCONNECTED, "HCPNIC9903R", "NIC %s is disconnected from %s %s %s"),
	R(MSG_R_LAN_CREATED, "HCPLAN9904R", "%s %s %s is created"),
	R(MSG_R_LAN_DESTROYED, "HCPLAN9905R", "%s %s %s is destroyed"),
	R(MSG_R_COMPLETE, "HCPCMD9906R", "Command complete"),
	R(MSG_R_AUTOLOGGED, "HCPVMX9907R", "AUTO LOGON  ***       %-8s USERS = %s"),
	R(MSG_R_FORCED, "HCPVMX9908R", "USER DSC   LOGOFF AS  %-8s USERS = %s    FORCED BY %s"),
	R(MSG_R_LOGOFF, "HCPVMX9909R", "LOGOFF AS  %-8s USERS = %s"),
	R(MSG_R_LOGON, "HCPVMX9910R", "LOGON AS  %-8s USERS = %s"),
	R(MSG_R_PING, "HCPVMX9911R", "PING %s from %s NIC %s: %s sent, %s received"),
	R(MSG_R_NIC_LAN_GONE, "HCPNIC9912R", "NIC %s of %s is disconnected from %s %s %s"),
	R(MSG_R_TRACE_STARTED, "HCPTRC9913R", "Trace %s started on %s %s %s (%s) to %s"),
	R(MSG_R_TRACE_STOPPED, "HCPTRC9914R", "Trace %s stopped: %s frames (%s bytes) written to %s; %s"),
};

const struct msg_def *msg_def(enum msg_id id)
{
	if ((unsigned)id >= MSG_COUNT || !catalogue[id].code)
		return NULL;
	return &catalogue[id];
}

const struct msg_def *msg_at(unsigned i)
{
	for (unsigned k = 1; k < MSG_COUNT; k++) {
		if (!catalogue[k].code)
			continue;
		if (i-- == 0)
			return &catalogue[k];
	}
	return NULL;
}

const struct msg_def *msg_by_code(const char *code)
{
	for (unsigned k = 1; k < MSG_COUNT; k++)
		if (catalogue[k].code && !strcmp(catalogue[k].code, code))
			return &catalogue[k];
	return NULL;
}

int msg_vformat(char *buf, size_t cap, enum msg_id id, va_list ap)
{
	const struct msg_def *m = msg_def(id);
	char text[1024];
	int n;

	if (!m)
		return -EINVAL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = vsnprintf(text, sizeof(text), m->fmt, ap);
#pragma GCC diagnostic pop
	if (n < 0)
		return -EINVAL;
	if (m->bare)
		return snprintf(buf, cap, "%s", text);
	return snprintf(buf, cap, "%s %s", m->code, text);
}

int msg_format(char *buf, size_t cap, enum msg_id id, ...)
{
	va_list ap;
	int n;

	va_start(ap, id);
	n = msg_vformat(buf, cap, id, ap);
	va_end(ap);
	return n;
}

void msg_sanitize(char *out, size_t cap, const char *in, size_t max)
{
	size_t n = 0, i;

	if (!cap)
		return;
	if (max > cap - 4)
		max = cap > 4 ? cap - 4 : 0;
	for (i = 0; in && in[i] && n < max; i++)
		out[n++] = (in[i] >= 0x21 && in[i] <= 0x7E) ? in[i] : '.';
	if (in && in[i] && cap > n + 3) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = 0;
}
