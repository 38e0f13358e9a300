/* cp/stmt.c - statement reader for SYSTEM CONFIG and the user directory: strips
 * comments, joins continued lines, counts lines, refuses what it cannot hold. */
#include "cp/stmt.h"

#include "cp/msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STMT_FILE_MAX (16u << 20)

void stmt_init(struct stmt_reader *r, const char *text, size_t len, bool continuation)
{
	memset(r, 0, sizeof(*r));
	r->text = text;
	r->len = len;
	r->lineno = 1;
	r->continuation = continuation;
}

/* One physical line without comments into line[] (bounded); returns its length or
 * -1 if it did not fit; *bad set for control/non-ASCII bytes. */
static long read_line(struct stmt_reader *r, char *line, size_t cap, bool *bad)
{
	size_t n = 0;
	bool over = false, first = true, star = false;

	while (r->pos < r->len && r->text[r->pos] != '\n') {
		unsigned char c = (unsigned char)r->text[r->pos];

		if (star) {		/* the rest of a '*' comment line */
			r->pos++;
			continue;
		}
		if (r->in_comment) {
			if (c == '*' && r->pos + 1 < r->len && r->text[r->pos + 1] == '/') {
				r->in_comment = false;
				r->pos += 2;
				continue;
			}
			r->pos++;
			continue;
		}
		if (c == '/' && r->pos + 1 < r->len && r->text[r->pos + 1] == '*') {
			r->in_comment = true;
			r->comment_line = r->lineno;
			r->pos += 2;
			continue;
		}
		r->pos++;
		if (first && c != ' ' && c != '\t') {
			first = false;
			if (c == '*') {
				star = true;	/* a '*' comment line */
				continue;
			}
		}
		if (c == '\r' || c == '\t')
			c = ' ';
		if (c < 0x20 || c > 0x7E)
			*bad = true;
		if (n + 1 >= cap) {
			over = true;
			continue;
		}
		line[n++] = (char)c;
	}
	if (r->pos < r->len)
		r->pos++;	/* the newline */
	r->lineno++;
	line[n] = 0;
	return over ? -1 : (long)n;
}

int stmt_next(struct stmt_reader *r, char buf[CMD_LINE_MAX + 1], unsigned *line)
{
	char phys[CMD_LINE_MAX + 2];
	size_t n = 0;
	bool cont = false, over = false, bad = false;

	buf[0] = 0;
	for (;;) {
		unsigned at = r->lineno;
		long l;

		if (r->pos >= r->len) {
			if (r->in_comment) {
				r->in_comment = false;
				*line = r->comment_line;
				return MSG_CFG_UNTERMINATED;
			}
			if (cont) {
				return MSG_CFG_CONT_EOF;
			}
			return 0;
		}
		l = read_line(r, phys, sizeof(phys), &bad);
		if (l < 0) {
			over = true;
			l = 0;
		}
		while (l > 0 && phys[l - 1] == ' ')
			l--;
		phys[l] = 0;
		{
			long s = 0;

			while (phys[s] == ' ')
				s++;
			if (s == l && !over)
				continue;	/* blank or comment-only line (also mid-statement) */
			if (!cont)
				*line = at;
		}
		cont = r->continuation && l > 0 && phys[l - 1] == ',';
		if (cont)
			phys[l - 1] = ' ';
		if (n + (size_t)l + 1 > CMD_LINE_MAX)
			over = true;
		else {
			if (n)
				buf[n++] = ' ';
			memcpy(buf + n, phys, (size_t)l);
			n += (size_t)l;
			buf[n] = 0;
		}
		if (cont)
			continue;
		if (over)
			return MSG_CFG_TOO_LONG;
		if (bad)
			return MSG_CFG_BAD_CHAR;
		return 1;
	}
}

int stmt_read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > STMT_FILE_MAX + 8192) {
				free(b);
				fclose(f);
				return -EFBIG;
			}
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				fclose(f);
				return -ENOMEM;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(b);
		fclose(f);
		return -EIO;
	}
	fclose(f);
	b[n] = 0;
	*text = b;
	*len = n;
	return 0;
}

int stmt_load(const char *path, struct out *o, stmt_parse_fn parse, void *ctx)
{
	char *text;
	size_t len;
	int rc = stmt_read_file(path, &text, &len);

	if (rc < 0) {
		o->file = path;
		o->line = 0;
		out_msg(o, MSG_CFG_OPEN, path, strerror(-rc));
		o->file = NULL;
		return 1;
	}
	rc = parse(ctx, path, text, len, o);
	free(text);
	return rc;
}
