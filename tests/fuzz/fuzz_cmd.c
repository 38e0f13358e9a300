/* tests/fuzz/fuzz_cmd.c - libFuzzer target: operator command lines (cp/parse.c, cmds/)
 * dispatched for real against a small CP: a VSWITCH, a Guest LAN, three users, one NIC. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmds/cmds.h"
#include "cp/config.h"
#include "cp/cp.h"
#include "tests/fuzz/small_quarantine.h"

/* Input: a byte that picks who types (OPERATOR, ALICE, BOB), then command lines
 * separated by newlines (at most MAX_LINES). A fresh CP per input keeps runs
 * independent: a LAN costs nothing until something couples to it.  The directory is
 * parsed once (parsing the same text again tests nothing and was a third of each
 * input): CP only reads it, and every input checks that it is still as parsed. */
#define MAX_LINES 16

static const char dir_text[] =
	"USER OPERATOR OPERATOR ABCDEFG\n"
	"USER ALICE ALICEPW G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM VSW1\n"
	"  NICDEF 0700 TYPE QDIO\n"
	"USER BOB BOBPW G\n"
	"USER LINUX01 NOLOG G\n"
	"  NICDEF 0600 TYPE QDIO LAN SYSTEM GLAN1\n";
static const char cfg_text[] =
	"DEFINE VSWITCH VSW1 RDEV NONE ETHERNET VLAN 10 PORTTYPE ACCESS\n"
	"MODIFY VSWITCH VSW1 GRANT ALICE VLAN 10 20\n"
	"DEFINE LAN GLAN1 OWNERID SYSTEM TYPE QDIO IP MAXCONN 4\n";
static const char *const issuers[3] = { "OPERATOR", "ALICE", "BOB" };
static const char *const passwords[3] = { "OPERATOR", "ALICEPW", "BOBPW" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cp cp;
static struct dir base_dir;		/* parsed once; lent to each input's CP */
static struct dir_user *base_users;	/* what it held then */

static void must(int cond);

static void dir_lend(void)
{
	struct out o;

	if (!base_users) {
		out_init(&o);
		must(dir_parse(&base_dir, "dir", dir_text, sizeof(dir_text) - 1, &o) == 0);
		out_free(&o);
		base_users = malloc(base_dir.n * sizeof(*base_users));
		must(base_users != NULL);
		memcpy(base_users, base_dir.users, base_dir.n * sizeof(*base_users));
	}
	cp.dir = base_dir;
}

/* Take the directory back before cp_free (which would free it), unchanged. */
static void dir_take_back(void)
{
	must(cp.dir.users == base_dir.users && cp.dir.n == base_dir.n &&
	     cp.dir.cap == base_dir.cap &&
	     !memcmp(base_users, base_dir.users, base_dir.n * sizeof(*base_users)));
	dir_init(&cp.dir);
}

static void must(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* A console gets printable ASCII lines only, whatever the operator typed. */
static void check_out(const struct out *o)
{
	if (!o->buf || o->truncated)
		return;
	must(o->len == 0 || o->buf[o->len - 1] == '\n');
	for (size_t i = 0; i < o->len; i++)
		must(o->buf[i] == '\n' || (o->buf[i] >= 0x20 && o->buf[i] <= 0x7E));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *who;
	struct out o;
	struct vm *vm;
	size_t pos = 1;
	unsigned lines = 0;

	if (size < 1 || cp_init(&cp, 5) < 0)
		return 0;
	out_init(&o);
	dir_lend();
	/* The base CP builds without a message: anything else is a regression here. */
	must(config_parse(&cp, "cfg", cfg_text, sizeof(cfg_text) - 1, &o) == 0);
	for (unsigned k = 0; k < 3; k++)
		must(cp_logon(&cp, issuers[k], passwords[k], &o, &vm) == 0);
	who = issuers[data[0] % 3];
	while (pos < size && lines++ < MAX_LINES) {
		const char *line = (const char *)data + pos;
		const char *nl = memchr(line, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - line) : size - pos;
		int rc;

		/* The issuer may have logged off or been forced by an earlier line. */
		vm = cp_find_vm(&cp, who);
		if (!vm)
			break;
		out_reset(&o);
		rc = cmd_execute(&cp, vm, line, len, &o);
		/* A failing command always says why. */
		must(rc >= 0);
		must(rc == 0 || o.nerr > 0 || o.truncated);
		check_out(&o);
		pos += len + 1;
	}
	/* Whatever ran, CP can still tell what is there. */
	vm = cp_find_vm(&cp, "OPERATOR");
	if (vm) {
		out_reset(&o);
		must(cmd_execute(&cp, vm, "QUERY VSWITCH ALL DETAILS", 25, &o) >= 0);
		check_out(&o);
	}
	out_free(&o);
	dir_take_back();
	cp_free(&cp);
	return 0;
}
