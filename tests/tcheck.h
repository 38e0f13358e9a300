/* tests/tcheck.h - cpnet's unit-test harness: named cases in one binary (cpnet-test).
 * Each test file registers its cases with TEST(name); `cpnet-test --list` shows them. */
#ifndef CPNET_TESTS_TCHECK_H
#define CPNET_TESTS_TCHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct tctx {
	const char *name;
	int failures;
	int checks;
	char tmp[32];		/* tc_tmpdir's directory, "" until asked for */
};

struct tcase {
	const char *name;
	void (*fn)(struct tctx *t);
	const char *file;
	struct tcase *next;
};

void tc_register(struct tcase *tc);
void tc_fail(struct tctx *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Parse a hex dump ("00E00000 0000 0001 ..." spaces and newlines ignored) into buf.
 * Returns the number of bytes, or -1 if the text is not hex or does not fit. */
int tc_hex(const char *text, uint8_t *buf, size_t cap);
/* The case's scratch directory (/tmp/cpnet-test.XXXXXX), made at the first call and
 * removed with all it holds when the case ends, passed, failed or stopped by REQUIRE:
 * sockets and files a case makes go there, and nothing is left behind.  NULL (and a
 * failure) if it cannot be made.  tc_path: a name in it, "" if there is none. */
const char *tc_tmpdir(struct tctx *t);
const char *tc_path(struct tctx *t, char *buf, size_t cap, const char *name);

#define TEST(tname)                                                            \
	static void test_##tname(struct tctx *t);                              \
	static struct tcase tcase_##tname = { #tname, test_##tname, __FILE__, 0 }; \
	__attribute__((constructor)) static void tcreg_##tname(void)           \
	{                                                                      \
		tc_register(&tcase_##tname);                                   \
	}                                                                      \
	static void test_##tname(struct tctx *t)

#define CHECK(cond)                                                            \
	do {                                                                   \
		t->checks++;                                                   \
		if (!(cond))                                                   \
			tc_fail(t, __FILE__, __LINE__, "CHECK(%s)", #cond);    \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		unsigned long long va_ = (unsigned long long)(a);              \
		unsigned long long vb_ = (unsigned long long)(b);              \
		t->checks++;                                                   \
		if (va_ != vb_)                                                \
			tc_fail(t, __FILE__, __LINE__,                         \
				"%s == %s: 0x%llx != 0x%llx (%lld != %lld)",   \
				#a, #b, va_, vb_, (long long)va_, (long long)vb_); \
	} while (0)

#define CHECK_MEM(a, b, n)                                                     \
	do {                                                                   \
		t->checks++;                                                   \
		if (memcmp((a), (b), (n)) != 0)                                \
			tc_fail(t, __FILE__, __LINE__, "memcmp(%s, %s, %s) differs", \
				#a, #b, #n);                                   \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *sa_ = (a), *sb_ = (b);                             \
		t->checks++;                                                   \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                     \
			tc_fail(t, __FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				#a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
	} while (0)

/* Stop the case on failure (for preconditions later checks depend on). */
#define REQUIRE(cond)                                                          \
	do {                                                                   \
		t->checks++;                                                   \
		if (!(cond)) {                                                 \
			tc_fail(t, __FILE__, __LINE__, "REQUIRE(%s)", #cond);  \
			return;                                                \
		}                                                              \
	} while (0)

#endif
