/* cmds/cmds.h - CP commands: the command table (name, minimum abbreviation, privilege
 * classes, handler, operand counts, usage) and the dispatcher that enforces it. */
#ifndef CPNET_CMDS_CMDS_H
#define CPNET_CMDS_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cp/cp.h"
#include "cp/parse.h"

struct cmd_ctx {
	struct cp *cp;
	struct vm *vm;		/* the issuer */
	struct out *o;
};

/* A handler gets the operands after the command (and subcommand) words and
 * returns 0 or the rc of the message it wrote. */
typedef int (*cmd_fn)(struct cmd_ctx *c, char **argv, unsigned argc);

struct cmd_def {
	const char *name;
	uint8_t min;		/* shortest abbreviation */
	const char *classes;	/* privilege classes, any of which allows it; "*" = all */
	cmd_fn fn;		/* NULL when `sub` decides */
	uint8_t min_args, max_args;
	const char *usage;
	const struct cmd_def *sub;	/* subcommand table (DEFINE NIC, QUERY LAN, ...) */
	uint8_t nsub;
};

/*
 * Run one command line for `vm`.  Unknown or unauthorized command: HCPCMD001E (as
 * z/VM: a user does not learn of commands above its classes); unauthorized or
 * unknown subcommand: HCPCMD003E; ambiguous abbreviation: HCPCMD9001E; a line
 * over CMD_LINE_MAX: HCPCMD9002E.  Returns the command's return code.
 */
int cmd_execute(struct cp *cp, struct vm *vm, const char *line, size_t len, struct out *o);

/* The command table, for tests and doc/commands.md. */
const struct cmd_def *cmd_table(size_t *n);
/* The entry a token names in a table: NULL (none) or *ambig set. */
const struct cmd_def *cmd_lookup(const struct cmd_def *tab, size_t n, const char *tok,
				 bool *ambig);

/* Handlers (cmds/define.c, cmds/query.c, cmds/dispatch.c). */
int cmd_define_nic(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_define_lan(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_define_vswitch(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_detach_nic(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_detach_lan(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_detach_vswitch(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_couple(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_uncouple(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_set_lan(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_set_vswitch(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_set_vmlan(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_set_nic(struct cmd_ctx *c, char **argv, unsigned argc);
/* SET NIC's operand table, for the unit test of the tables. */
const struct kw *setnic_table(size_t *n);
int cmd_query_nic(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_lan(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_vswitch(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_vmlan(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_controller(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_osa(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_virtual(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_names(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_logoff(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_force(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_autolog(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_ping(struct cmd_ctx *c, char **argv, unsigned argc);

/* "name [OWNERID SYSTEM|userid]" naming a Guest LAN the issuer may change (its own, or
 * any with class B); *used = the tokens taken.  "name" of a VSWITCH.  0 or the rc of the
 * message written (cmds/define.c). */
int cmd_find_guest_lan(struct cmd_ctx *c, char **argv, unsigned argc, unsigned *used,
		       struct lanbk **lan);
int cmd_find_vswitch(struct cmd_ctx *c, const char *tok, struct lanbk **lan);
/* TRACE START / STOP and QUERY TRACE (cmds/trace.c). */
int cmd_trace_start(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_trace_stop(struct cmd_ctx *c, char **argv, unsigned argc);
int cmd_query_trace(struct cmd_ctx *c, char **argv, unsigned argc);

/* QUERY output of one LAN / VSWITCH (also used by tests on doc shapes). */
enum q_detail { Q_BRIEF = 0, Q_DETAILS, Q_ACCESSLIST };
void query_lan_out(struct cp *cp, const struct lanbk *lan, enum q_detail d, struct out *o);
void query_nic_out(const struct vnic *n, bool details, struct out *o);

#endif
