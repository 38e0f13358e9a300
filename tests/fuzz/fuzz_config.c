/* tests/fuzz/fuzz_config.c - libFuzzer target: SYSTEM CONFIG and the user directory
 * (cp/config.c, cp/dir.c, cp/stmt.c) from memory, into a fresh CP per input.  AUTOLOG
 * is checked against the directory but not started: a guest's storage costs seconds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cp/config.h"
#include "cp/cp.h"
#include "cp/dir.h"

/* Input: the SYSTEM CONFIG text, a NUL byte, the directory text (none without a NUL). */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cp cp;
static unsigned rdevs_seen;

/* RDEVICE is parsed and checked in full; only opening the OSA is left out, so that
 * no input can make a TAP interface on this machine (BACKEND TAP as root). */
static int rdev_hook(struct cp *c, const struct cp_rdev *r)
{
	(void)c;
	if (r->count == 0)
		__builtin_trap();
	rdevs_seen++;
	return 0;
}

/* What CP writes is for a console: printable ASCII lines; in configuration mode each
 * one starts with the file name it is about. */
static void check_out(const struct out *o)
{
	const char *p, *end;

	if (!o->buf)
		return;
	p = o->buf;
	end = o->buf + o->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			__builtin_trap();	/* every line ends */
		if (strncmp(p, "sys.cfg:", 8) && strncmp(p, "user.dir:", 9))
			__builtin_trap();
		for (const char *q = p; q < nl; q++)
			if (*q < 0x20 || *q > 0x7E)
				__builtin_trap();
		p = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, 0, size);
	size_t clen = nul ? (size_t)(nul - text) : size;
	struct out o;
	int derr, cerr, uerr;

	if (cp_init(&cp, 11) < 0)
		return 0;
	cp.rdev_hook = rdev_hook;
	out_init(&o);
	derr = nul ? dir_parse(&cp.dir, "user.dir", nul + 1, size - clen - 1, &o) : 0;
	cerr = config_parse(&cp, "sys.cfg", text, clen, &o);
	uerr = config_check_users(&cp, &o);
	if (derr < 0 || cerr < 0 || uerr < 0 ||
	    (!o.truncated && o.nerr != (unsigned)(derr + cerr + uerr)))
		__builtin_trap();
	if (!o.truncated)
		check_out(&o);
	/* Every user the directory kept can be found by its name. */
	for (unsigned i = 0; i < cp.dir.n; i++)
		if (dir_find(&cp.dir, cp.dir.users[i].userid) == NULL)
			__builtin_trap();
	out_free(&o);
	cp_free(&cp);
	return 0;
}
