/* tests/unit/test_appl_trace.c - the trace port's request on the VM link (VML_APPL_TRACE and
 * its one filter in the logon's reserved bytes): round trip, and what a hostile peer sends. */
#include <errno.h>
#include <string.h>

#include "tests/tcheck.h"
#include "vnic/vmlink.h"

TEST(appl_trace_logon_filters_round_trip_and_refuse_garbage)
{
	struct vml_appl_logon a, d;
	uint8_t b[128];
	int n;

	memset(&a, 0, sizeof(a));
	strcpy(a.userid, "SNIFF");
	strcpy(a.password, "pw");
	strcpy(a.owner, "SYSTEM");
	strcpy(a.lan, "VSW1");
	/* The whole LAN. */
	a.flags = VML_APPL_TRACE;
	n = vml_appl_logon_encode(&a, b, sizeof(b));
	REQUIRE(n == VML_HDR_SIZE + VML_APPL_LOGON_SIZE);
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	CHECK_EQ(d.flags, VML_APPL_TRACE);
	/* One user. */
	a.flags = VML_APPL_TRACE | VML_APPL_TRACE_USER;
	strcpy(a.trace_user, "linux01");
	n = vml_appl_logon_encode(&a, b, sizeof(b));
	REQUIRE(n > 0);
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	CHECK_STR(d.trace_user, "LINUX01");
	/* One port, one VLAN. */
	a.flags = VML_APPL_TRACE | VML_APPL_TRACE_PORT;
	a.trace_num = 2048;
	n = vml_appl_logon_encode(&a, b, sizeof(b));
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	CHECK_EQ(d.trace_num, 2048);
	a.flags = VML_APPL_TRACE | VML_APPL_TRACE_VLAN;
	a.trace_num = 4094;
	n = vml_appl_logon_encode(&a, b, sizeof(b));
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	CHECK_EQ(d.trace_num, 4094);

	/* Hostile: VLAN 4095, a port past 2048, bytes after the number, two filters, a
	 * filter without TRACE, an empty user, a control character in it. */
	b[VML_HDR_SIZE + 40] = 0x0F;
	b[VML_HDR_SIZE + 41] = 0xFF;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 35] = VML_APPL_TRACE | VML_APPL_TRACE_PORT;
	b[VML_HDR_SIZE + 40] = 0x08;
	b[VML_HDR_SIZE + 41] = 0x01;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 40] = 0;
	b[VML_HDR_SIZE + 41] = 5;
	b[VML_HDR_SIZE + 47] = 1;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 47] = 0;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	b[VML_HDR_SIZE + 35] = VML_APPL_TRACE | VML_APPL_TRACE_PORT | VML_APPL_TRACE_VLAN;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 35] = VML_APPL_TRACE_PORT;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	b[VML_HDR_SIZE + 35] = VML_APPL_TRACE | VML_APPL_TRACE_USER;
	memset(b + VML_HDR_SIZE + 40, ' ', 8);
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	memcpy(b + VML_HDR_SIZE + 40, "AB\\x01     ", 8);
	b[VML_HDR_SIZE + 42] = 0x01;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
	/* Without a trace the reserved bytes stay zero. */
	b[VML_HDR_SIZE + 35] = 0;
	memset(b + VML_HDR_SIZE + 40, 0, 8);
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), 0);
	b[VML_HDR_SIZE + 44] = 1;
	CHECK_EQ(vml_appl_logon_decode(b, (size_t)n, &d), -EBADMSG);
}
