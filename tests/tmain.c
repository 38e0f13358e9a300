/* tests/tmain.c - runner of the unit-test binary: list, select by name or glob, report.
 * Ends with "unit: N passed, N failed, 0 skipped" (a unit test cannot skip), read by CI. */
#define _XOPEN_SOURCE 700
#include <fnmatch.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tcheck.h"

static struct tcase *cases;
static size_t ncases;

void tc_register(struct tcase *tc)
{
	tc->next = cases;
	cases = tc;
	ncases++;
}

void tc_fail(struct tctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failures++;
	fprintf(stderr, "  %s:%d: [%s] ", file, line, t->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int tc_hex(const char *text, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = text; *p; p++) {
		int v;

		if (*p == ' ' || *p == '\n' || *p == '\t' || *p == ':')
			continue;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		buf[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

const char *tc_tmpdir(struct tctx *t)
{
	if (!t->tmp[0]) {
		snprintf(t->tmp, sizeof(t->tmp), "/tmp/cpnet-test.XXXXXX");
		if (!mkdtemp(t->tmp)) {
			t->tmp[0] = 0;
			tc_fail(t, __FILE__, __LINE__, "cannot make a scratch directory in /tmp");
			return NULL;
		}
	}
	return t->tmp;
}

const char *tc_path(struct tctx *t, char *buf, size_t cap, const char *name)
{
	const char *d = tc_tmpdir(t);

	if (!d || (size_t)snprintf(buf, cap, "%s/%s", d, name) >= cap)
		buf[0] = 0;
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The case's scratch directory goes with everything in it (depth first, no links
 * followed). */
static void tmp_remove(struct tctx *t)
{
	if (t->tmp[0])
		nftw(t->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int cmp_case(const void *a, const void *b)
{
	return strcmp((*(struct tcase *const *)a)->name, (*(struct tcase *const *)b)->name);
}

static int selected(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return 1;
	for (int i = first; i < argc; i++)
		if (fnmatch(argv[i], name, 0) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct tcase **v = calloc(ncases ? ncases : 1, sizeof(*v));
	size_t i = 0;
	int list = 0, verbose = 0, first = 1, passed = 0, failed = 0;

	if (!v)
		return 2;
	for (struct tcase *c = cases; c; c = c->next)
		v[i++] = c;
	qsort(v, ncases, sizeof(*v), cmp_case);

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--list") || !strcmp(argv[first], "-l")) {
			list = 1;
		} else if (!strcmp(argv[first], "-v")) {
			verbose = 1;
		} else {
			fprintf(stderr, "usage: %s [--list] [-v] [NAME|GLOB ...]\n", argv[0]);
			free(v);
			return 2;
		}
	}

	for (i = 0; i < ncases; i++) {
		struct tctx t = { v[i]->name, 0, 0, "" };

		if (!selected(v[i]->name, argc, argv, first))
			continue;
		if (list) {
			printf("%s\n", v[i]->name);
			continue;
		}
		v[i]->fn(&t);
		tmp_remove(&t);
		if (t.failures) {
			failed++;
			printf("FAIL %s (%d of %d checks)\n", t.name, t.failures, t.checks);
		} else {
			passed++;
			if (verbose)
				printf("ok   %s (%d checks)\n", t.name, t.checks);
		}
	}
	free(v);
	if (list)
		return 0;
	if (passed + failed == 0) {
		fprintf(stderr, "no test matched\n");
		return 2;
	}
	printf("unit: %d passed, %d failed, 0 skipped\n", passed, failed);
	return failed ? 1 : 0;
}
