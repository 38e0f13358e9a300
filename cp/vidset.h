/* cp/vidset.h - the VLAN id set operand ("vid vid-vid ...") shared by SET VSWITCH GRANT,
 * MODIFY VSWITCH and the directory's NICDEF: lexical layer only, below lanops and dir. */
#ifndef CPNET_CP_VIDSET_H
#define CPNET_CP_VIDSET_H

#include "cp/parse.h"
#include "vswitch/lan.h"

/* "vid vid-vid ..." starting at argv[*i]; stops at the first token that is not a VLAN
 * id or range.  0 (at least one id) or the message rc. */
int vidset_parse(char **argv, unsigned argc, unsigned *i, struct lan_vlanset *set,
		 struct out *o);

#endif
