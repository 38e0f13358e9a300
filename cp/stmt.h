/* cp/stmt.h - reads logical statements out of a SYSTEM CONFIG or user directory file:
 * comments, continuation lines and line numbers, with bounded statement length. */
#ifndef CPNET_CP_STMT_H
#define CPNET_CP_STMT_H

#include <stdbool.h>
#include <stddef.h>

#include "cp/parse.h"

/*
 * The file format (z/VM SYSTEM CONFIG, simplified):
 *  - a line whose first non-blank character is '*' is a comment;
 *  - slash-star ... star-slash is a comment anywhere, also across lines;
 *  - a line whose last non-blank character is ',' continues on the next line
 *    (the comma is a separator), when `continuation` is set (SYSTEM CONFIG; the
 *    directory has none);
 *  - a statement is reported with the number of its first line.
 */
struct stmt_reader {
	const char *text;
	size_t len, pos;
	unsigned lineno;	/* current physical line (1-based) */
	bool continuation;
	bool in_comment;
	unsigned comment_line;	/* where the open comment started */
};

void stmt_init(struct stmt_reader *r, const char *text, size_t len, bool continuation);
/*
 * The next statement into buf (NUL-terminated) and the line it starts on.
 * Returns 1 for a statement, 0 at the end, or a message ID (> 1) for a statement
 * that could not be read (it is skipped; *line says where):
 * MSG_CFG_TOO_LONG, MSG_CFG_UNTERMINATED, MSG_CFG_CONT_EOF, MSG_CFG_BAD_CHAR.
 */
int stmt_next(struct stmt_reader *r, char buf[CMD_LINE_MAX + 1], unsigned *line);

/* Read a whole file (at most 16 MiB) into a NUL-terminated buffer. 0 or -errno. */
int stmt_read_file(const char *path, char **text, size_t *len);

/* Read `path` and hand its text to `parse` (SYSTEM CONFIG, the directory).  A file
 * that cannot be read is one error, MSG_CFG_OPEN at path:0.  Returns the error count. */
typedef int (*stmt_parse_fn)(void *ctx, const char *file, const char *text, size_t len,
			     struct out *o);
int stmt_load(const char *path, struct out *o, stmt_parse_fn parse, void *ctx);

#endif
