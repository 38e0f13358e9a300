/* cp/parse.h - the lexical layer shared by commands, SYSTEM CONFIG and the directory:
 * tokens, abbreviation-aware keyword tables, numbers, and the output collector. */
#ifndef CPNET_CP_PARSE_H
#define CPNET_CP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cp/msg.h"

#define CMD_LINE_MAX 1024	/* longest command line or SYSTEM CONFIG statement */
#define TOK_MAX 96		/* tokens per line */

/* A line split at blanks.  The strings point into buf (a private copy). */
struct toks {
	unsigned n;
	char *v[TOK_MAX];
	int bad;		/* index of the first token with a byte outside 0x21..0x7E, or -1 */
	char buf[CMD_LINE_MAX + 1];
};

/* 0; -EMSGSIZE longer than CMD_LINE_MAX; -E2BIG more than TOK_MAX tokens.  NUL and
 * other control bytes are kept inside tokens (t->bad names the first such token). */
int tok_split(struct toks *t, const char *line, size_t len);

/*
 * Keyword tables, as in OpenBSD's parse.y: sorted by name (a unit test checks),
 * matched case-insensitively.  A token matches an entry when it is a prefix of the
 * name at least `min` characters long (z/VM's abbreviation rule: DEFine = DEF..DEFINE).
 * Two matches are an ambiguity and are rejected, never resolved by table order.
 */
struct kw {
	const char *name;
	uint8_t min;
	int val;
};
#define KW_NONE (-1)
#define KW_AMBIG (-2)
int kw_lookup(const struct kw *tab, size_t n, const char *tok);
#define KW_LOOKUP(tab, tok) kw_lookup(tab, sizeof(tab) / sizeof((tab)[0]), tok)
/* True when tok abbreviates name with at least min characters. */
bool kw_abbrev(const char *tok, const char *name, unsigned min);

/* Decimal 0..max (no sign, no blanks, at most 10 digits).  0 or -EINVAL / -ERANGE. */
int parse_dec(const char *s, unsigned long max, unsigned long *out);
/* Hexadecimal, 1..maxdigits digits.  0 or -EINVAL. */
int parse_hex(const char *s, unsigned maxdigits, unsigned long *out);
/* A virtual device number: 1-4 hex digits. */
int parse_vdev(const char *s, uint16_t *out);
/* "nnnn[.Pn]": a real device number with an optional OSA port (0..1). */
int parse_rdev(const char *s, uint16_t *rdev, uint8_t *port);
/* A dotted IPv4 address with an optional /prefix (prefix = 32 without one). */
int parse_ip4(const char *s, uint8_t out[4], unsigned *prefix);
/* A userid / LAN name: 1..8 of A-Z 0-9 @ # $ _ -, uppercased into out[9]. */
int parse_name(const char *s, char out[9]);

/*
 * Output of one command (or of one configuration check): lines and the return
 * code of the first error message.  `file`/`line` set = configuration mode: each
 * message is prefixed by "file:line: ".
 */
#define OUT_MAX (4u << 20)
struct out {
	char *buf;
	size_t len, cap;
	int rc;			/* rc of the first error message, 0 if none */
	unsigned nerr;		/* error messages written */
	bool truncated;
	bool quiet;		/* drop command responses (LOGON / AUTOLOG internals) */
	const char *file;
	unsigned line;
};

void out_init(struct out *o);
void out_free(struct out *o);
void out_reset(struct out *o);
/* Append one line (a newline is added). */
void out_line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a catalogue message; returns its return code (0 for responses and
 * informational messages) so handlers can `return out_msg(...)`. */
int out_msg(struct out *o, enum msg_id id, ...);
/* The keyword tok of tab (*k its value), or the operator's message for an ambiguous
 * (HCP...AMBIGUOUS) or unknown (invalid option) word, whose return code it returns. */
int kw_need(const struct kw *tab, size_t n, const char *tok, struct out *o, int *k);
#define KW_NEED(tab, tok, o, k) kw_need(tab, sizeof(tab) / sizeof((tab)[0]), tok, o, k)
/* Echo-safe copy of an operator token for a message argument (static ring). */
const char *out_tok(const char *tok);

#endif
