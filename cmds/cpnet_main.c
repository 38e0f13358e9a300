/* cmds/cpnet_main.c - cpnet: the operator's CLI.  Logs on to cpnetd's socket and runs
 * one CP command (arguments) or reads commands from stdin (interactive or piped). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/cpnet/cpnetd.sock"
#define REPLY_TIMEOUT_MS 60000
#define LINE_MAX_OUT 8192

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpnet [-s|--socket PATH] [-u|--user USERID] [-p|--password PW] [command ...]\n"
		"       cpnet -h|--help\n"
		"  with a command: its output on stdout; what CP answered the LOGON on stderr\n"
		"  without a command: read commands from stdin, print the LOGON's answer, then\n"
		"  each result, each followed by its Ready line\n"
		"  environment: CPNET_SOCKET, CPNET_USER (default OPERATOR), CPNET_PASSWORD\n"
		"  exit status: 0 the command's rc 0 (from stdin: the last command's), 1 it failed\n"
		"  (or a line with a NUL byte, not sent), 2 connection or LOGON failed, or lost\n");
}

/* MSG_NOSIGNAL: cpnetd gone is "connection lost" (exit 2), not death by SIGPIPE. */
static int send_line(struct conn *c, const char *s)
{
	size_t n = strlen(s), off = 0;

	while (off < n) {
		ssize_t w = send(c->fd, s + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return send(c->fd, "\n", 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Read one line (without newline) into out; -1 on EOF/timeout. */
static int read_line(struct conn *c, char *out, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd p = { c->fd, POLLIN, 0 };
		ssize_t r;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			size_t k = l < cap - 1 ? l : cap - 1;

			memcpy(out, c->buf, k);
			out[k] = 0;
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return 0;
		}
		if (c->len == sizeof(c->buf))
			c->len = 0;	/* an absurd line: drop it */
		if (poll(&p, 1, REPLY_TIMEOUT_MS) <= 0)
			return -1;
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r <= 0)
			return -1;
		c->len += (size_t)r;
	}
}

/*
 * One line of stdin into cmd (NUL terminated, without the newline).  Returns its
 * length, or -1 at the end of input.  A line longer than cap-1 is cut (the server
 * answers the cut line "too long"); *nul_col is the 1-based column of the first NUL
 * byte in the line, 0 when there is none: such a line is not a command, and must not
 * be sent cut short at the NUL.
 */
static long read_cmd(FILE *in, char *cmd, size_t cap, size_t *nul_col)
{
	size_t n = 0, col = 0;
	int ch = EOF;

	*nul_col = 0;
	while ((ch = getc(in)) != EOF && ch != '\n') {
		col++;
		if (ch == 0 && !*nul_col)
			*nul_col = col;
		if (n < cap - 1)
			cmd[n++] = (char)ch;
	}
	cmd[n] = 0;
	if (ch == EOF && col == 0)
		return -1;
	return (long)n;
}

/* Send a command, print its output; returns its rc (>= 0) or -1. */
static int run(struct conn *c, const char *cmd, FILE *out, bool show_ready)
{
	char line[LINE_MAX_OUT];

	if (send_line(c, cmd) < 0)
		return -1;
	for (;;) {
		if (read_line(c, line, sizeof(line)) < 0)
			return -1;
		if (!strncmp(line, "Ready", 5)) {
			int rc = 0;

			if (show_ready)
				fprintf(out, "%s\n", line);
			if (line[5] == '(')
				rc = atoi(line + 6);
			fflush(out);
			return rc;
		}
		fprintf(out, "%s\n", line);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "user", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = getenv("CPNET_SOCKET"), *user = getenv("CPNET_USER");
	const char *pw = getenv("CPNET_PASSWORD");
	struct sockaddr_un sa;
	struct conn *c;
	char cmd[LINE_MAX_OUT];
	bool bad_input = false;
	int o, rc;

	while ((o = getopt_long(argc, argv, "+s:u:p:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': sock = optarg; break;
		case 'u': user = optarg; break;
		case 'p': pw = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!sock || !*sock)
		sock = DEFAULT_SOCKET;
	if (!user || !*user)
		user = "OPERATOR";
	if (!pw) {
		fprintf(stderr, "cpnet: no password (--password or CPNET_PASSWORD)\n");
		return 2;
	}
	if (strlen(sock) >= sizeof(sa.sun_path) || strlen(user) > 64 || strlen(pw) > 64) {
		fprintf(stderr, "cpnet: argument too long\n");
		return 2;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "cpnet: %s: %s\n", sock, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "LOGON %s %s", user, pw);
	/* What CP answers LOGON (LOGON AS ..., and a NICDEF that could not couple) is
	 * shown like any answer.  A session's transcript has it first, with its Ready
	 * line; for a command given as arguments it goes to stderr: stdout is that
	 * command's own output, which scripts read. */
	rc = run(c, cmd, optind < argc ? stderr : stdout, optind >= argc);
	if (rc != 0) {
		if (rc > 0)
			fprintf(stderr, "cpnet: LOGON %s failed (rc %d)\n", user, rc);
		else
			fprintf(stderr, "cpnet: LOGON %s: no answer from %s\n", user, sock);
		close(c->fd);
		free(c);
		return 2;
	}
	if (optind < argc) {
		size_t n = 0;

		/* Words joined by blanks, cut where cmd ends: the cut line is still far
		 * past the server's limit, which answers it "too long". */
		for (int i = optind; i < argc && n < sizeof(cmd) - 1; i++) {
			size_t l = strlen(argv[i]);

			if (n)
				cmd[n++] = ' ';
			if (l > sizeof(cmd) - 1 - n)
				l = sizeof(cmd) - 1 - n;
			memcpy(cmd + n, argv[i], l);
			n += l;
		}
		cmd[n] = 0;
		rc = run(c, cmd, stdout, false);
		if (rc < 0)	/* said, as a session says it: exit 2 alone is no reason */
			fprintf(stderr, "cpnet: connection lost\n");
		close(c->fd);
		free(c);
		return rc < 0 ? 2 : rc ? 1 : 0;
	}
	rc = 0;
	for (unsigned lineno = 1;; lineno++) {
		size_t nul_col;

		if (isatty(0)) {
			fputs("cpnet> ", stdout);
			fflush(stdout);
		}
		if (read_cmd(stdin, cmd, sizeof(cmd), &nul_col) < 0)
			break;
		if (nul_col) {
			fprintf(stderr, "cpnet: line %u: a NUL byte at column %zu; not sent\n", lineno,
				nul_col);
			bad_input = true;
			continue;
		}
		rc = run(c, cmd, stdout, true);
		if (rc < 0) {
			fprintf(stderr, "cpnet: connection lost\n");
			close(c->fd);
			free(c);
			return 2;
		}
	}
	close(c->fd);
	free(c);
	return rc || bad_input ? 1 : 0;
}
