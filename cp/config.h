/* cp/config.h - SYSTEM CONFIG: the statements that build the System LAN table, VMLAN
 * settings and the AUTOLOG list at start; errors as file:line: messages (--check). */
#ifndef CPNET_CP_CONFIG_H
#define CPNET_CP_CONFIG_H

#include "cp/cp.h"
#include "cp/parse.h"

/*
 * Grammar (keywords abbreviate as in the commands; see doc/config.md):
 *   DEFINE VSWITCH name <DEFINE VSWITCH operands>
 *   DEFINE LAN name [OWNERID SYSTEM] <DEFINE LAN operands>
 *   MODIFY VSWITCH name <SET VSWITCH operands, e.g. GRANT userid>
 *   VMLAN MACPREFIX xxxxxx | USERPREFIX xxxxxx | MACIDRANGE SYSTEM a-b [USER c-d]
 *         | LIMIT PERSISTENT n|INFINITE [TRANSIENT n|INFINITE] | MACPROTECT ON|OFF
 *   AUTOLOG userid...            (cpnet: users started at IPL with synthetic guests)
 *   RDEVICE rdev[-rdev] TYPE OSA (recorded for the uplink; the hook is cp->rdev_hook)
 *   SYSTEM_IDENTIFIER LPAR lparname sysname | type cpuid sysname
 *   SYSTEM_IDENTIFIER_DEFAULT sysname
 *   sysname: BEGIN ... sysname: END, and "sysname: statement" (record qualifiers):
 *         applied only when sysname is this system (cp->sysid)
 *   z/VM statements without network meaning (CP_OWNED, FEATURES, ...): ignored
 * The first statement for a name wins; a later one is reported and ignored.
 */

/* The host's identity for SYSTEM_IDENTIFIER: s390x /proc/sysinfo (LPAR Name, Type,
 * Sequence Code), else the host name as the LPAR name.  Leaves id->forced alone. */
void config_sysid_host(struct cp_sysid *id);
/* The statement keyword table (for the test that it is sorted). */
const struct kw *config_table(size_t *n);

/* Parse and apply a whole SYSTEM CONFIG text.  Returns the number of errors. */
int config_parse(struct cp *cp, const char *file, const char *text, size_t len, struct out *o);
int config_load(struct cp *cp, const char *path, struct out *o);
/* After the directory is loaded: every AUTOLOG user must be in it.  Error count. */
int config_check_users(struct cp *cp, struct out *o);
/* Start the AUTOLOG users (in order); returns how many came up. */
unsigned config_autolog(struct cp *cp, struct out *o);

/* SET VMLAN / VMLAN operands (argv[0] is the first operand).  0 or message rc. */
int vmlan_set(struct cp *cp, char **argv, unsigned argc, struct out *o);

#endif
