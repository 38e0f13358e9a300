/* cp/vidset.c - parses a VLAN id set operand into a lan_vlanset; used by the SET VSWITCH
 * operands (cp/lanops.c) and NICDEF in the directory (cp/dir.c). */
#include "cp/vidset.h"

#include <string.h>

int vidset_parse(char **argv, unsigned argc, unsigned *i, struct lan_vlanset *set,
		 struct out *o)
{
	unsigned n = 0;

	memset(set, 0, sizeof(*set));
	for (; *i < argc; (*i)++) {
		const char *s = argv[*i];
		const char *dash = strchr(s, '-');
		char a[8], b[8];
		unsigned long lo, hi;

		if (s[0] < '0' || s[0] > '9')
			break;	/* the next keyword */
		if (dash) {
			size_t al = (size_t)(dash - s), bl = strlen(dash + 1);

			if (al == 0 || al > 4 || bl == 0 || bl > 4)
				return out_msg(o, MSG_INV_OPERAND, out_tok(s));
			memcpy(a, s, al);
			a[al] = 0;
			memcpy(b, dash + 1, bl + 1);
		} else {
			if (strlen(s) > 4)
				return out_msg(o, MSG_OUT_OF_RANGE, out_tok(s), "VLAN", "1-4094");
			memcpy(a, s, strlen(s) + 1);
			memcpy(b, s, strlen(s) + 1);
		}
		if (parse_dec(a, 9999, &lo) < 0 || parse_dec(b, 9999, &hi) < 0)
			return out_msg(o, MSG_INV_OPERAND, out_tok(s));
		if (lo < 1 || hi > LAN_VID_MAX || lo > hi)
			return out_msg(o, MSG_OUT_OF_RANGE, out_tok(s), "VLAN", "1-4094");
		for (unsigned long v = lo; v <= hi; v++)
			lan_vlan_add(set, (uint16_t)v);
		n++;
	}
	if (!n)
		return out_msg(o, MSG_OPTION_NEEDS, "VLAN");
	return 0;
}
