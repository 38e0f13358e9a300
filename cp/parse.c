/* cp/parse.c - tokens, keyword tables with z/VM abbreviations, numbers, output lines.
 * Everything here treats its input as hostile: bounded lengths, no implicit NULs. */
#include "cp/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tok_split(struct toks *t, const char *line, size_t len)
{
	size_t i = 0, o = 0;

	t->n = 0;
	t->bad = -1;
	t->buf[0] = 0;
	if (len > CMD_LINE_MAX)
		return -EMSGSIZE;
	while (i < len) {
		bool badtok = false;

		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' ||
				   line[i] == '\n'))
			i++;
		if (i >= len)
			break;
		if (t->n >= TOK_MAX)
			return -E2BIG;
		t->v[t->n] = &t->buf[o];
		while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
		       line[i] != '\n') {
			unsigned char c = (unsigned char)line[i++];

			if (c < 0x21 || c > 0x7E) {
				badtok = true;
				c = '.';	/* a NUL never ends a token early */
			}
			t->buf[o++] = (char)c;
		}
		t->buf[o++] = 0;
		if (badtok && t->bad < 0)
			t->bad = (int)t->n;
		t->n++;
	}
	return 0;
}

bool kw_abbrev(const char *tok, const char *name, unsigned min)
{
	size_t tl = strlen(tok), nl = strlen(name);

	if (tl < min || tl > nl || tl == 0)
		return false;
	for (size_t i = 0; i < tl; i++)
		if (toupper((unsigned char)tok[i]) != toupper((unsigned char)name[i]))
			return false;
	return true;
}

int kw_need(const struct kw *tab, size_t n, const char *tok, struct out *o, int *k)
{
	*k = kw_lookup(tab, n, tok);
	if (*k == KW_AMBIG)
		return out_msg(o, MSG_AMBIGUOUS, out_tok(tok));
	if (*k == KW_NONE)
		return out_msg(o, MSG_INV_OPTION, out_tok(tok));
	return 0;
}

int kw_lookup(const struct kw *tab, size_t n, const char *tok)
{
	int found = KW_NONE;

	for (size_t i = 0; i < n; i++) {
		unsigned min = tab[i].min ? tab[i].min : (unsigned)strlen(tab[i].name);

		if (!kw_abbrev(tok, tab[i].name, min))
			continue;
		/* An exact spelling of a name wins over a longer name it abbreviates. */
		if (strlen(tok) == strlen(tab[i].name))
			return tab[i].val;
		if (found != KW_NONE)
			found = KW_AMBIG;
		else
			found = tab[i].val;
	}
	/* An ambiguity stays one even if a later exact match was absent. */
	return found;
}

int parse_dec(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 10)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_hex(const char *s, unsigned maxdigits, unsigned long *out)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > maxdigits)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int c = toupper((unsigned char)s[i]), d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EINVAL;
		v = v << 4 | (unsigned long)d;
	}
	*out = v;
	return 0;
}

int parse_vdev(const char *s, uint16_t *out)
{
	unsigned long v;

	if (parse_hex(s, 4, &v) < 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int parse_rdev(const char *s, uint16_t *rdev, uint8_t *port)
{
	char dev[8];
	const char *dot = strchr(s, '.');
	size_t dl = dot ? (size_t)(dot - s) : strlen(s);
	unsigned long v;

	if (dl == 0 || dl > 4)
		return -EINVAL;
	memcpy(dev, s, dl);
	dev[dl] = 0;
	if (parse_hex(dev, 4, &v) < 0)
		return -EINVAL;
	*rdev = (uint16_t)v;
	*port = 0;
	if (dot) {
		unsigned long pn;

		/* ".P1" or ".P01": OSA port 0 or 1. */
		if (toupper((unsigned char)dot[1]) != 'P' || strlen(dot + 2) > 2 ||
		    parse_dec(dot + 2, 1, &pn) < 0)
			return -EINVAL;
		*port = (uint8_t)pn;
	}
	return 0;
}

int parse_ip4(const char *s, uint8_t out[4], unsigned *prefix)
{
	const char *p = s;

	for (int k = 0; k < 4; k++) {
		unsigned v = 0, nd = 0;

		while (*p >= '0' && *p <= '9' && nd < 3) {
			v = v * 10 + (unsigned)(*p++ - '0');
			nd++;
		}
		if (!nd || v > 255)
			return -EINVAL;
		out[k] = (uint8_t)v;
		if (k < 3 && *p++ != '.')
			return -EINVAL;
	}
	*prefix = 32;
	if (*p == '/') {
		unsigned long pl;

		if (parse_dec(p + 1, 32, &pl) < 0)
			return -EINVAL;
		*prefix = (unsigned)pl;
		return 0;
	}
	return *p ? -EINVAL : 0;
}

int parse_name(const char *s, char out[9])
{
	size_t n = strlen(s);

	if (n == 0 || n > 8)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int c = toupper((unsigned char)s[i]);

		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '#' ||
		      c == '$' || c == '_' || c == '-'))
			return -EINVAL;
		out[i] = (char)c;
	}
	out[n] = 0;
	return 0;
}

/* ---- output ------------------------------------------------------------------- */

void out_init(struct out *o)
{
	memset(o, 0, sizeof(*o));
}

void out_free(struct out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

void out_reset(struct out *o)
{
	o->len = 0;
	o->rc = 0;
	o->nerr = 0;
	o->truncated = false;
	if (o->buf)
		o->buf[0] = 0;
}

static void out_append(struct out *o, const char *s, size_t n)
{
	if (o->truncated)
		return;
	if (o->len + n + 2 > OUT_MAX) {
		o->truncated = true;
		return;
	}
	if (o->len + n + 2 > o->cap) {
		size_t nc = o->cap ? o->cap : 1024;
		char *nb;

		while (nc < o->len + n + 2)
			nc *= 2;
		nb = realloc(o->buf, nc);
		if (!nb) {
			o->truncated = true;
			return;
		}
		o->buf = nb;
		o->cap = nc;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len++] = '\n';
	o->buf[o->len] = 0;
}

void out_line(struct out *o, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	out_append(o, line, (size_t)n);
}

int out_msg(struct out *o, enum msg_id id, ...)
{
	const struct msg_def *m = msg_def(id);
	char text[1200];
	va_list ap;
	int n;

	if (!m || (m->bare && o->quiet))
		return 0;
	va_start(ap, id);
	n = msg_vformat(text, sizeof(text), id, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	if (m->rc) {
		o->nerr++;
		if (!o->rc)
			o->rc = m->rc;
	}
	if (o->file)
		out_line(o, "%s:%u: %s", o->file, o->line, text);
	else
		out_append(o, text, (size_t)n);
	return m->rc;
}

const char *out_tok(const char *tok)
{
	static char ring[8][40];
	static unsigned next;
	char *s = ring[next++ % 8];

	msg_sanitize(s, sizeof(ring[0]), tok, 24);
	return s;
}
