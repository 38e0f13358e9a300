/* cp/server.c - cpnetd's event loop: epoll over the operator socket and its sessions,
 * the VM socket and its links, a timerfd that polls synthetic guests and a signalfd. */
#define _GNU_SOURCE
#include "cp/server.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmds/cmds.h"
#include "cp/appl.h"
#include "cp/uplink.h"
#include "lib/cpnet.h"
#include "vnic/vmlink.h"

#define SESS_IN_MAX (CMD_LINE_MAX + 2)
#define SESS_OUT_MAX (16u << 20)	/* a client that stops reading is dropped */
#define TICK_NS 50000000L		/* synthetic guests polled every 50 ms */
#define VMC_BATCH 64			/* messages of one link handled per wakeup */

/* epoll ids: fixed fds, then the sessions, then the VM connections. */
enum { ID_LISTEN = 0, ID_TIMER, ID_SIGNAL, ID_VMLISTEN, ID_SESS = 16,
       ID_VMC = ID_SESS + SRV_MAX_SESSIONS, ID_WIRE = ID_VMC + SRV_MAX_VMS,
       ID_VMBELL = ID_WIRE + UPLINK_MAX_OSAS, ID_HBELL = ID_VMBELL + SRV_MAX_VMS };

struct session {
	int fd;
	struct vm *vm;
	char in[SESS_IN_MAX];
	size_t inlen;
	bool discarding;		/* inside an over-long line */
	char *out;
	size_t outlen, outoff, outcap;
	bool want_out;
};

/* A virtual machine in another process: its link, and its VM once LOGON succeeded. */
struct vmconn {
	struct vmlink link;
	struct vm *vm;
	struct appl_port *appl;		/* an application's link: its port (cp/appl.h) */
	bool dead;			/* logged off elsewhere: closed after this batch */
	bool want_out;			/* frames wait for room: EPOLLOUT is on */
	/* The ring's doorbell as cpnetd's own descriptor in the epoll set: a dup, so
	 * that it can leave the set even if the VM keeps the eventfd open. */
	int bellfd;
	/* An application port's receive handles' doorbells (rung by a post while
	 * frames wait for buffers, cp/appl.h appl_poll): dups in the epoll set, and the
	 * id of the handle each belongs to (0: none). */
	int hbellfd[APPL_MAX_HANDLES];
	uint16_t hbell_id[APPL_MAX_HANDLES];
	char user[9];
};

struct server {
	struct cp *cp;
	int ep, lfd, tfd, sfd, vfd;
	char path[108], vpath[108];
	struct session *sess[SRV_MAX_SESSIONS];
	struct vmconn *vmc[SRV_MAX_VMS];
	/* The OSAs' wire descriptors (re-registered when an OSA's wire is closed and
	 * opened again); in the epoll set while the wire reader is in interrupt mode
	 * (wset), out of it while it polls (lib/adapt.h: up_osa.rxa). */
	int wfd[UPLINK_MAX_OSAS];
	bool wset[UPLINK_MAX_OSAS];
	const struct osa *wosa[UPLINK_MAX_OSAS];
	uint64_t wnap_until[UPLINK_MAX_OSAS];	/* a polling wire reader's nap ends (ns) */
	/* epoll_ctl for the wires (tests inject failures: server_set_wire_epoll_ctl). */
	int (*wire_ctl)(int epfd, int op, int fd, struct epoll_event *ev);
	bool stop;
	uint64_t ring_drops[SHR_BREAK_MAX];	/* links dropped for a broken ring, by reason */
	uint64_t epolls;			/* the loop's waits (tests, the bench) */
};

/* Wire k's descriptor in the epoll set (the reader sleeps on it) or out of it (the
 * reader polls).  Level-triggered: frames that came while it was out are reported as
 * soon as it is back in, so no wake-up is lost.  An ADD that fails (ENOMEM, the
 * user's epoll watch limit) is counted and leaves the wire out: wire_asleep says so,
 * and the loop keeps looking at it every turn and tries again, as if it polled. */
static void wire_epoll(struct server *s, unsigned k, bool in)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = ID_WIRE + k };

	if (s->wfd[k] < 0 || s->wset[k] == in)
		return;
	if (s->wire_ctl(s->ep, in ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->wfd[k], &ev) == 0)
		s->wset[k] = in;
	else if (in)
		s->cp->up->osas[k].rearm_fails++;
}

/* Can wire k's reader sleep: its descriptor is in the epoll set (or it has none: the
 * timer polls it)?  False while it polls, and while an ADD failed. */
static bool wire_asleep(const struct server *s, unsigned k)
{
	return s->wfd[k] < 0 || s->wset[k];
}

static void wires_sync(struct server *s)
{
	struct uplinks *u = s->cp->up;

	for (unsigned k = 0; u && k < u->nosas; k++) {
		const struct osa *o = u->osas[k].osa;
		int fd = o ? osa_wire_fd(o) : -1;

		if (fd == s->wfd[k] && o == s->wosa[k])
			continue;
		if (s->wfd[k] >= 0 && s->wset[k])
			epoll_ctl(s->ep, EPOLL_CTL_DEL, s->wfd[k], NULL);	/* may be closed */
		s->wset[k] = false;
		s->wfd[k] = fd;
		s->wosa[k] = o;
		wire_epoll(s, k, !adapt_polling(&u->osas[k].rxa));
	}
}

/* The loop's next wait (ns; -1: until an event, 0: none), made shorter by `w`. */
static void wait_less(int64_t *wait, int64_t w)
{
	if (w >= 0 && (*wait < 0 || w < *wait))
		*wait = w;
}

/* The wire reader of OSA k looks at its wire (`woken`: its descriptor was readable),
 * feeds the frames to the switch and its mode with what it found.  The loop's wait
 * that this reader allows: -1 (asleep on the wire), 0 (look again at once) or a nap
 * (polling, the look found nothing; lib/adapt.h). */
static int64_t wire_look(struct server *s, unsigned k, bool woken)
{
	struct up_osa *d = &s->cp->up->osas[k];
	int n = uplink_poll_wire(s->cp->up, k);
	bool polling;

	if (n > 0)
		cp_poll_guests(s->cp);	/* the guests that got frames answer at once */
	uint64_t now = adapt_now_ns(), nap;

	polling = d->osa && adapt_look(&d->rxa, (unsigned)n, woken, now);
	wire_epoll(s, k, !polling);
	s->wnap_until[k] = 0;		/* a look ends a nap */
	/* Frames a budget left in the OSA's receive rings while CP has buffers for them:
	 * the loop comes back at once, whatever the wire does. */
	if (d->osa && osa_rx_pending(d->osa))
		return 0;
	if (polling) {
		/* A nap taken: the wire is left alone until it ends (wires_poll). */
		nap = adapt_nap(&d->rxa);
		if (nap) {
			adapt_napped(&d->rxa);
			s->wnap_until[k] = now + nap;
		}
		return (int64_t)nap;
	}
	if (wire_asleep(s, k)) {
		adapt_sleep(&d->rxa);	/* in the epoll set: the next wake-up is the wire's */
		return -1;
	}
	/* Not polling, yet out of the epoll set (the add failed): looked at again after
	 * a nap, when the next turn also tries the add again -- not a busy loop. */
	return (int64_t)ADAPT_NAP_NS;
}

/* Every wire reader that polls: one look each.  The loop's wait they allow. */
static int64_t wires_poll(struct server *s)
{
	struct uplinks *u = s->cp->up;
	int64_t wait = -1;

	uint64_t now = adapt_now_ns();

	for (unsigned k = 0; u && k < u->nosas; k++) {
		if (!u->osas[k].osa)
			continue;
		if (osa_rx_pending(u->osas[k].osa)) {
			wait_less(&wait, wire_look(s, k, false));
		} else if (s->wnap_until[k] > now) {
			/* Napping: whatever else woke the loop is not this reader's look. */
			wait_less(&wait, (int64_t)(s->wnap_until[k] - now));
		} else if (adapt_polling(&u->osas[k].rxa) || !wire_asleep(s, k)) {
			wait_less(&wait, wire_look(s, k, false));
		}
	}
	return wait;
}

/*
 * The rings' doorbells are edge-triggered in the epoll set and not read on wake-up
 * (ring_offer).  A VM may write any value, up to one below the eventfd's top, after
 * which its own doorbell writes fail and it wakes nobody: a VM harms only itself
 * that way, and for one tick at most, because the timer empties every doorbell.
 */
static void bell_tick(struct server *s)
{
	for (unsigned k = 0; k < SRV_MAX_VMS; k++) {
		struct vmconn *c = s->vmc[k];

		if (c && !c->dead && c->link.ring_on) {
			shr_bell_drain(&c->link.ring);
			c->link.syscalls++;
		}
	}
}

/* Timer: guests, controllers, failure detection, then what that made arrive. */
static void tick(struct server *s)
{
	bell_tick(s);
	cp_poll_guests(s->cp);
	if (!s->cp->up)
		return;
	uplink_tick(s->cp->up);
	if (uplink_poll(s->cp->up) > 0)
		cp_poll_guests(s->cp);
	wires_sync(s);
}

void server_line(struct cp *cp, struct vm **vm, const char *line, size_t len, struct out *o)
{
	int rc;

	const char *nul = memchr(line, 0, len);

	if (len > CMD_LINE_MAX) {
		char lim[12];

		snprintf(lim, sizeof(lim), "%d", CMD_LINE_MAX);
		rc = out_msg(o, MSG_LINE_TOO_LONG, lim);
	} else if (nul) {
		/* Never run what comes before it: "Q VSW \0 X" is not "Q VSW". */
		char col[24];

		snprintf(col, sizeof(col), "%zu", (size_t)(nul - line) + 1);
		rc = out_msg(o, MSG_LINE_NUL, col);
	} else if (!*vm) {
		struct toks t;

		rc = tok_split(&t, line, len);
		if (rc < 0 || t.n == 0) {
			rc = t.n == 0 && rc == 0 ? 0 : out_msg(o, MSG_NEED_LOGON);
		} else if (!kw_abbrev(t.v[0], "LOGON", 1) && !kw_abbrev(t.v[0], "LOGIN", 4)) {
			rc = out_msg(o, MSG_NEED_LOGON);
		} else if (t.n < 2) {
			rc = out_msg(o, MSG_USERID_MISSING);
		} else {
			char pw[9] = "";
			size_t pl = t.n > 2 ? strlen(t.v[2]) : 0;

			if (t.n > 3 || pl > 8) {
				rc = out_msg(o, MSG_LOGON_FAILED);
			} else {
				for (size_t i = 0; i < pl; i++)
					pw[i] = (char)((t.v[2][i] >= 'a' && t.v[2][i] <= 'z') ?
						       t.v[2][i] - 32 : t.v[2][i]);
				pw[pl] = 0;
				rc = cp_logon(cp, t.v[1], pw, o, vm);
			}
		}
	} else {
		/* A LOGOFF/FORCE of this session's VM clears *vm through on_logoff. */
		rc = cmd_execute(cp, *vm, line, len, o);
	}
	if (rc)
		out_line(o, SRV_READY_PREFIX "(%05d);", rc);
	else
		out_line(o, SRV_READY_PREFIX ";");
}

static void on_logoff(void *ctx, struct vm *vm)
{
	struct server *s = ctx;

	for (unsigned k = 0; k < SRV_MAX_SESSIONS; k++)
		if (s->sess[k] && s->sess[k]->vm == vm)
			s->sess[k]->vm = NULL;
	/* The link stays until the batch ends: cp_logoff still sends on it. */
	for (unsigned k = 0; k < SRV_MAX_VMS; k++)
		if (s->vmc[k] && s->vmc[k]->vm == vm) {
			s->vmc[k]->vm = NULL;
			s->vmc[k]->dead = true;
		}
}

static void sess_close(struct server *s, unsigned k)
{
	struct session *se = s->sess[k];
	struct vm *vm = se->vm;

	epoll_ctl(s->ep, EPOLL_CTL_DEL, se->fd, NULL);
	close(se->fd);
	free(se->out);
	free(se);
	s->sess[k] = NULL;
	if (vm)
		cp_session_end(s->cp, vm);	/* a dropped terminal */
}

static int sess_flush(struct server *s, unsigned k)
{
	struct session *se = s->sess[k];

	while (se->outoff < se->outlen) {
		ssize_t n = write(se->fd, se->out + se->outoff, se->outlen - se->outoff);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0)
			return -EPIPE;
		se->outoff += (size_t)n;
	}
	if (se->outoff == se->outlen)
		se->outoff = se->outlen = 0;
	bool want = se->outlen != 0;
	if (want != se->want_out) {
		struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = ID_SESS + k };

		epoll_ctl(s->ep, EPOLL_CTL_MOD, se->fd, &ev);
		se->want_out = want;
	}
	return 0;
}

static int sess_queue(struct session *se, const char *buf, size_t len)
{
	if (se->outlen + len > SESS_OUT_MAX)
		return -ENOBUFS;
	if (se->outlen + len > se->outcap) {
		size_t nc = se->outcap ? se->outcap : 4096;
		char *nb;

		while (nc < se->outlen + len)
			nc *= 2;
		nb = realloc(se->out, nc);
		if (!nb)
			return -ENOMEM;
		se->out = nb;
		se->outcap = nc;
	}
	memcpy(se->out + se->outlen, buf, len);
	se->outlen += len;
	return 0;
}

static int sess_line(struct server *s, unsigned k, const char *line, size_t len)
{
	struct session *se = s->sess[k];
	struct out o;
	int rc;

	out_init(&o);
	server_line(s->cp, &se->vm, line, len, &o);
	rc = o.len ? sess_queue(se, o.buf, o.len) : 0;
	out_free(&o);
	return rc;
}

static int sess_read(struct server *s, unsigned k)
{
	struct session *se = s->sess[k];
	char buf[4096];
	ssize_t n = read(se->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -EPIPE;
	for (ssize_t i = 0; i < n; i++) {
		char c = buf[i];

		if (c == '\n') {
			if (se->discarding) {
				se->discarding = false;
				if (sess_line(s, k, "", CMD_LINE_MAX + 1) < 0)
					return -ENOBUFS;
			} else {
				size_t l = se->inlen;

				if (l && se->in[l - 1] == '\r')
					l--;
				if (sess_line(s, k, se->in, l) < 0)
					return -ENOBUFS;
			}
			se->inlen = 0;
			if (!s->sess[k])
				return 0;
			continue;
		}
		if (se->discarding)
			continue;
		if (se->inlen >= CMD_LINE_MAX + 1) {
			se->discarding = true;	/* answered when its newline comes */
			se->inlen = 0;
			continue;
		}
		se->in[se->inlen++] = c;
	}
	return sess_flush(s, k);
}

static void accept_one(struct server *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned k;

	if (fd < 0)
		return;
	for (k = 0; k < SRV_MAX_SESSIONS && s->sess[k]; k++)
		;
	if (k == SRV_MAX_SESSIONS) {
		close(fd);	/* full: the client sees EOF */
		return;
	}
	s->sess[k] = calloc(1, sizeof(struct session));
	if (!s->sess[k]) {
		close(fd);
		return;
	}
	s->sess[k]->fd = fd;
	ev.data.u32 = ID_SESS + k;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(s->sess[k]);
		s->sess[k] = NULL;
		close(fd);
	}
}

/*
 * Bind a Unix socket of `type` at path (mode 0660).  A stale socket file is replaced,
 * a live one (a running cpnetd answers) is -EADDRINUSE, another kind of file -EEXIST.
 */
static int listen_unix(const char *path, int type, int *out)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			close(fd);
			return -EEXIST;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
			close(fd);
			return -EADDRINUSE;
		}
		close(fd);
		fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (chmod(path, 0660) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		unlink(path);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

static void pump_links(void *ctx);

int server_create(struct server **out, struct cp *cp, const char *path, const char *vm_path)
{
	struct server *s = calloc(1, sizeof(*s));
	struct epoll_event ev;
	struct itimerspec its = { { 0, TICK_NS }, { 0, TICK_NS } };
	sigset_t mask;
	int rc;

	if (!s)
		return -ENOMEM;
	s->ep = s->lfd = s->tfd = s->sfd = s->vfd = -1;
	s->wire_ctl = epoll_ctl;
	for (unsigned k = 0; k < UPLINK_MAX_OSAS; k++)
		s->wfd[k] = -1;
	s->cp = cp;
	if (strlen(path) >= sizeof(s->path) ||
	    (vm_path ? strlen(vm_path) : strlen(path) + 3) >= sizeof(s->vpath)) {
		free(s);
		return -ENAMETOOLONG;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (vm_path)
		snprintf(s->vpath, sizeof(s->vpath), "%s", vm_path);
	else
		snprintf(s->vpath, sizeof(s->vpath), "%s" SRV_VM_SUFFIX, path);
	rc = listen_unix(s->path, SOCK_STREAM, &s->lfd);
	if (rc < 0)
		goto fail;
	rc = listen_unix(s->vpath, SOCK_SEQPACKET, &s->vfd);
	if (rc < 0) {
		unlink(s->path);
		goto fail;
	}
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	/* The terminal gone (SIGHUP) stops cpnetd like SIGTERM: its sockets unlinked. */
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->ep < 0 || s->tfd < 0 || s->sfd < 0 || timerfd_settime(s->tfd, 0, &its, NULL) < 0)
		goto fail_unlink;
	ev.events = EPOLLIN;
	ev.data.u32 = ID_LISTEN;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		goto fail_unlink;
	ev.data.u32 = ID_TIMER;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->tfd, &ev) < 0)
		goto fail_unlink;
	ev.data.u32 = ID_SIGNAL;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sfd, &ev) < 0)
		goto fail_unlink;
	ev.data.u32 = ID_VMLISTEN;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->vfd, &ev) < 0)
		goto fail_unlink;
	cp->on_logoff = on_logoff;
	cp->on_logoff_ctx = s;
	cp->pump_links = pump_links;
	cp->pump_links_ctx = s;
	wires_sync(s);
	*out = s;
	return 0;

fail_unlink:
	rc = -errno;
	unlink(s->path);
	unlink(s->vpath);
fail:
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->ep >= 0)
		close(s->ep);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->vfd >= 0)
		close(s->vfd);
	free(s);
	return rc;
}

uint64_t server_epolls(const struct server *s)
{
	return s->epolls;
}

unsigned long long server_ring_drops(const struct server *s, enum shr_break why)
{
	return (unsigned)why < SHR_BREAK_MAX ? s->ring_drops[why] : 0;
}

const char *server_vm_path(const struct server *s)
{
	return s->vpath;
}

/* ---- virtual machines in other processes ------------------------------------------ */

static void bell_off(struct server *s, struct vmconn *c)
{
	if (c->bellfd < 0)
		return;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->bellfd, NULL);
	close(c->bellfd);
	c->bellfd = -1;
}

/* Handle slot h's doorbell out of the epoll set. */
static void hbell_off(struct server *s, struct vmconn *c, unsigned h)
{
	if (c->hbellfd[h] >= 0) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, c->hbellfd[h], NULL);
		close(c->hbellfd[h]);
	}
	c->hbellfd[h] = -1;
	c->hbell_id[h] = 0;
}

/* The epoll set follows the port's open handles (opened and closed on the link). */
static void hbells_sync(struct server *s, struct vmconn *c, unsigned k)
{
	for (unsigned h = 0; h < APPL_MAX_HANDLES; h++) {
		uint16_t id = 0;
		int fd = c->appl ? appl_bell_fd(c->appl, h, &id) : -1;
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = ID_HBELL + k * APPL_MAX_HANDLES + h };

		if (fd < 0)
			id = 0;
		if (id == c->hbell_id[h])
			continue;
		hbell_off(s, c, h);
		if (fd < 0)
			continue;
		c->hbellfd[h] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (c->hbellfd[h] < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, c->hbellfd[h], &ev) < 0) {
			/* Without it frames that wait for buffers go at the next frame or
			 * loop pass instead of at the post: slower, not lost. */
			if (c->hbellfd[h] >= 0)
				close(c->hbellfd[h]);
			c->hbellfd[h] = -1;
		}
		c->hbell_id[h] = id;
	}
}

static void vmc_free(struct server *s, unsigned k)
{
	struct vmconn *c = s->vmc[k];

	/* What the link carried, for the operator (and bench/vmlink_rings.sh). */
	if (c->user[0])
		fprintf(stderr, "cpnetd: link of %s closed: frames on the %s, %llu messages "
			"in, %llu out, %llu syscalls; ring reader %s: %llu switches, %llu "
			"interrupts, %llu polls, %llu empty, %llu naps\n", c->user,
			c->link.ring_tx ? "ring" : "socket",
			(unsigned long long)c->link.received,
			(unsigned long long)(c->link.sent + c->link.ring.tx_frames),
			(unsigned long long)vml_syscalls(&c->link),
			adapt_policy_name(c->link.rxa.policy),
			(unsigned long long)c->link.rxa.switches,
			(unsigned long long)c->link.rxa.interrupts,
			(unsigned long long)c->link.rxa.polls,
			(unsigned long long)c->link.rxa.empty_polls,
			(unsigned long long)c->link.rxa.naps);
	bell_off(s, c);
	for (unsigned h = 0; h < APPL_MAX_HANDLES; h++)
		hbell_off(s, c, h);
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->link.fd, NULL);
	close(c->link.fd);
	vml_free(&c->link);
	free(c);
	s->vmc[k] = NULL;
}

/* The connection ends (dropped, LOGOFF from the VM, refused LOGON, shutdown): the
 * VM's NICs leave their LANs, nobody else is touched. */
static void vmc_close(struct server *s, unsigned k)
{
	struct vmconn *c = s->vmc[k];

	if (c->vm)
		cp_logoff(s->cp, c->vm);	/* on_logoff clears c->vm */
	if (c->appl) {
		appl_free(s->cp, c->appl);	/* the port leaves its LAN, handles go */
		c->appl = NULL;
	}
	vmc_free(s, k);
}

static void vmc_accept(struct server *s)
{
	int fd = accept4(s->vfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	struct vmconn *c;
	unsigned k;

	if (fd < 0)
		return;
	for (k = 0; k < SRV_MAX_VMS && s->vmc[k]; k++)
		;
	c = k < SRV_MAX_VMS ? calloc(1, sizeof(*c)) : NULL;
	if (c) {
		c->bellfd = -1;
		for (unsigned h = 0; h < APPL_MAX_HANDLES; h++)
			c->hbellfd[h] = -1;
	}
	if (!c || vml_init(&c->link, fd, true) < 0) {
		free(c);
		close(fd);	/* full: the VM sees the connection closed */
		return;
	}
	vml_poll_policy(&c->link, s->cp->poll_policy, s->cp->poll_cfg);
	ev.data.u32 = ID_VMC + k;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		vml_free(&c->link);
		free(c);
		close(fd);
		return;
	}
	s->vmc[k] = c;
}

/* Offer the VM a ring for its frames; without one (no memory, an old VM that never
 * answers) they stay on the socket. */
static void ring_offer(struct server *s, struct vmconn *c, unsigned k)
{
	/* Edge-triggered: every write of the VM's wakes the loop once, and the loop
	 * never reads the eventfd for it (a syscall per wake-up saved); the timer
	 * empties it (bell_tick). */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u32 = ID_VMBELL + k };

	if (vml_ring_offer(&c->link) < 0)
		return;
	c->bellfd = fcntl(vml_bell_fd(&c->link), F_DUPFD_CLOEXEC, 0);
	if (c->bellfd < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, c->bellfd, &ev) < 0) {
		if (c->bellfd >= 0)
			close(c->bellfd);
		c->bellfd = -1;
		vml_ring_close(&c->link);
	}
}

/* The link ended with -EPIPE: a peer that broke its ring is counted (by reason). */
static void vmc_lost(struct server *s, unsigned k)
{
	struct vmconn *c = s->vmc[k];
	enum shr_break why;

	if (!c->link.ring.broken && c->link.ring_on && (c->vm || c->appl)) {
		/* A LOGOFF or a closed socket: what the peer put in its ring before it went
		 * was sent (cpnp_send returned it, the guest's SIGA completed) -- it goes on
		 * before the port leaves, as a socket's queued data does at close.  One ring's
		 * worth at most (the peer may still be writing); a ring that breaks now ends
		 * the look and is counted below like any other. */
		for (unsigned n = 0; n < VMC_BATCH; n++)
			if (vml_poll_ring(&c->link) <= 0)
				break;
	}
	why = c->link.ring.broken;
	if (why) {
		s->ring_drops[why]++;
		fprintf(stderr, "cpnetd: link of %s dropped: its ring is broken (%s); %llu "
			"link(s) dropped so far for that\n", c->user[0] ? c->user : "?",
			shr_break_name(why), (unsigned long long)s->ring_drops[why]);
	}
	vmc_close(s, k);
}

/* An application's first message: a port on a LAN (cp/appl.c answers).  Its ring
 * carries the port's buffer region. */
static int vmc_appl_logon(struct server *s, struct vmconn *c, unsigned k, size_t n)
{
	struct vml_appl_logon a;
	int rc;

	if (vml_appl_logon_decode(c->link.buf, n, &a) < 0) {
		struct out o;
		struct vml_appl_reply r;
		uint8_t b[VML_HDR_SIZE + VML_APPL_REPLY_FIXED + sizeof(r.text)];
		int len;

		out_init(&o);
		memset(&r, 0, sizeof(r));
		r.rc = (uint16_t)out_msg(&o, MSG_NEED_LOGON);
		snprintf(r.text, sizeof(r.text), "%.*s", (int)(o.len && o.buf[o.len - 1] == '\n' ?
							      o.len - 1 : o.len), o.buf);
		len = vml_appl_reply_encode(&r, b, sizeof(b));
		if (len > 0)
			vml_send(&c->link, b, (size_t)len);
		out_free(&o);
		return -EPIPE;
	}
	for (char *p = a.password; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	rc = appl_register(s->cp, &c->link, &a, &c->appl);
	memset(&a, 0, sizeof(a));
	if (rc)
		return -EPIPE;
	snprintf(c->user, sizeof(c->user), "%s", c->appl->user);
	ring_offer(s, c, k);	/* appl_region_ready comes with it (on_ring_made) */
	if (!c->link.ring_on) {
		c->appl->region = NULL;	/* the offer failed: its area is gone */
		/* No ring, no region: nothing could be received; the program is told. */
		appl_end(s->cp, c->appl, APPL_DEREGISTERED);
		return -EPIPE;
	}
	return 1;
}

/* The first message must be VML_LOGON.  Returns -EPIPE to close the connection. */
static int vmc_logon(struct server *s, struct vmconn *c, unsigned k)
{
	ssize_t n = recv(c->link.fd, c->link.buf, VML_MAX_MSG, MSG_DONTWAIT | MSG_TRUNC);
	struct vml_logon lg;
	struct vml_hdr h;
	struct out o;
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -EPIPE;
	if ((size_t)n <= VML_MAX_MSG && vml_hdr_decode(c->link.buf, (size_t)n, &h) == 0 &&
	    h.type == VML_APPL_LOGON)
		return vmc_appl_logon(s, c, k, (size_t)n);
	out_init(&o);
	if ((size_t)n > VML_MAX_MSG || vml_hdr_decode(c->link.buf, (size_t)n, &h) < 0 ||
	    h.type != VML_LOGON || vml_logon_decode(c->link.buf, (size_t)n, &lg) < 0) {
		uint8_t b[VML_HDR_SIZE + 4 + 128];
		struct vml_logon_reply r;
		int len;

		memset(&r, 0, sizeof(r));
		r.rc = (uint16_t)out_msg(&o, MSG_NEED_LOGON);
		snprintf(r.text, sizeof(r.text), "%.*s", (int)(o.len && o.buf[o.len - 1] == '\n' ?
							      o.len - 1 : o.len), o.buf);
		len = vml_logon_reply_encode(&r, b, sizeof(b));
		if (len > 0)
			vml_send(&c->link, b, (size_t)len);
		out_free(&o);
		return -EPIPE;
	}
	/* Passwords are compared uppercased, as on the operator socket. */
	for (char *p = lg.password; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	rc = cp_logon_remote(s->cp, lg.userid, lg.password, &c->link, &o, &c->vm);
	out_free(&o);
	if (rc)
		return -EPIPE;
	snprintf(c->user, sizeof(c->user), "%s", lg.userid);
	ring_offer(s, c, k);
	return 1;
}

static void vmc_event(struct server *s, unsigned k, uint32_t events)
{
	struct vmconn *c = s->vmc[k];

	if (!c || c->dead)
		return;
	if (events & EPOLLOUT)
		vml_flush(&c->link);	/* the VM reads again: what waited goes first */
	if (!(events & EPOLLIN)) {
		if (events & (EPOLLERR | EPOLLHUP))
			vmc_lost(s, k);
		return;
	}
	if (!c->vm && !c->appl) {
		if (vmc_logon(s, c, k) < 0)
			vmc_close(s, k);
		return;
	}
	/* Frames are forwarded inside vml_poll, straight from the link's buffer. */
	for (unsigned n = 0; n < VMC_BATCH; n++) {
		int r = vml_poll(&c->link, 0);

		if (r == 0)
			break;
		if (r == -EPIPE) {
			vmc_lost(s, k);
			return;
		}
		/* other errors: a bad message, counted by the link, which survives */
	}
}

/* Take what the VM put in its ring (bounded) and tell the link's consumer mode what
 * this look found (`woken`: after its doorbell).  False when the link was dropped. */
/* Up to VMC_BATCH looks at a VM's ring: what it held goes into the LANs.  *taken: the
 * frames taken; 0, or the ring's error (the caller decides when the link ends). */
static int ring_take(struct vmconn *c, unsigned *taken)
{
	*taken = 0;
	for (unsigned n = 0; n < VMC_BATCH; n++) {
		int r = vml_poll_ring(&c->link);

		if (r <= 0)
			return r;
		*taken += (unsigned)r;
	}
	return 0;
}

static bool vmc_ring(struct server *s, unsigned k, bool woken)
{
	struct vmconn *c = s->vmc[k];
	unsigned taken;

	if (ring_take(c, &taken) < 0) {
		vmc_lost(s, k);
		return false;
	}
	vml_ring_note(&c->link, taken, woken);
	return true;
}

/* cp->pump_links, for a command that waits inside the loop (PING): the frames the VMs
 * sent go into their LANs, and what the LANs have for them goes out -- only that.  A VM
 * on a ring: what the ring holds; a VM on the socket link: the frames at the head of
 * its socket (vml_poll_frames; any other message waits for the loop).  A link that
 * fails is left for the loop (vmc_reap ends it when the command has answered), so that
 * no VM, link or LAN goes away under the waiting command.  The other processes need
 * time to answer: with such VMs, one call lasts PUMP_SLICE_NS, looking every 250 us
 * (not less when frames came: a busy neighbour's would end the command's looks before
 * its answer could), and never past cp->pump_until_ns, the command's whole budget. */
#define PUMP_SLICE_NS 5000000ull
static void pump_links(void *ctx)
{
	struct server *s = ctx;
	const struct timespec gap = { 0, 250000 };
	uint64_t end = adapt_now_ns() + PUMP_SLICE_NS;

	if (end > s->cp->pump_until_ns)
		end = s->cp->pump_until_ns;
	for (;;) {
		unsigned links = 0;

		for (unsigned k = 0; k < SRV_MAX_VMS; k++) {
			struct vmconn *c = s->vmc[k];
			unsigned took;

			if (!c || c->dead || !(c->vm || c->appl))
				continue;
			links++;
			vml_flush(&c->link);	/* the command's frames for the VM */
			if (!c->link.ring_on) {
				/* a gone peer: vmc_event's, later */
				(void)vml_poll_frames(&c->link, VMC_BATCH);
				continue;
			}
			/* Each look also sends what waited for room (vml_poll_ring); a
			 * broken ring: vmc_reap's, later. */
			(void)ring_take(c, &took);
			if (took)
				vml_ring_note(&c->link, took, false);	/* the mode sees the work */
		}
		if (!links || adapt_now_ns() >= end)
			return;
		nanosleep(&gap, NULL);
	}
}

/* The VM rang: frames came, or room for frames that waited. */
static void vmc_bell(struct server *s, unsigned k)
{
	struct vmconn *c = s->vmc[k];

	if (!c || c->dead || !c->link.ring_on)
		return;
	if (vmc_ring(s, k, true))
		vml_flush(&c->link);
}

/* Connections whose VM was logged off by a command (LOGOFF, FORCE); and for the
 * others, EPOLLOUT exactly while frames wait for the VM on the socket (QUEUESTORAGE).
 * Rings are emptied and armed (the VM rings only once told we sleep), or, while their
 * reader polls, left unarmed.  The loop's wait the rings allow (wire_look). */
static int64_t vmc_reap(struct server *s)
{
	int64_t wait = -1;

	for (unsigned k = 0; k < SRV_MAX_VMS; k++) {
		struct vmconn *c = s->vmc[k];
		bool want;

		if (c && c->dead) {
			vmc_free(s, k);
			continue;
		}
		if (c && c->appl && c->appl->state != APPL_ACTIVE) {
			vmc_close(s, k);	/* ended by FORCE or DETACH: the program was told */
			continue;
		}
		if (!c)
			continue;
		if (c->appl && c->appl->region && !c->link.ring_on) {
			/* The program declined or failed the ring: its region went with the
			 * mapping.  A port cannot work without it; forget the region before
			 * anything writes there, end the port. */
			c->appl->region = NULL;
			c->appl->region_size = 0;
			appl_end(s->cp, c->appl, APPL_DEREGISTERED);
			vmc_close(s, k);
			continue;
		}
		if (c->bellfd >= 0 && !c->link.ring_on)
			bell_off(s, c);	/* the VM declined the ring */
		if (c->link.ring_on && (c->vm || c->appl)) {
			int64_t left = vml_ring_nap_left(&c->link);

			/* Napping (its threshold doorbell set, vmc_bell looks when it rings):
			 * left alone until the nap ends, not disarmed and napped again on
			 * every turn of the loop.  Else a look, then: polling, a nap; else
			 * the doorbell armed. */
			if (left > 0) {
				wait_less(&wait, left);
			} else {
				if (!vmc_ring(s, k, false))
					continue;
				wait_less(&wait, vml_ring_wait_ns(&c->link));
			}
		}
		if (c->appl) {
			hbells_sync(s, c, k);
			appl_poll(c->appl);	/* frames waiting for buffers */
		}
		want = !c->link.ring_tx && vml_flush(&c->link) != 0;
		if (c->link.ring_tx)
			vml_flush(&c->link);
		if (want != c->want_out) {
			struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0),
						  .data.u32 = ID_VMC + k };

			epoll_ctl(s->ep, EPOLL_CTL_MOD, c->link.fd, &ev);
			c->want_out = want;
		}
	}
	return wait;
}

/* epoll_wait for `wait_ns` (-1: until an event); a nap shorter than a millisecond
 * needs epoll_pwait2 (Linux 5.11); without it the nap becomes a look at once. */
static int loop_wait(int ep, struct epoll_event *evs, int max, int64_t wait_ns)
{
	if (wait_ns > 0) {
		struct timespec ts = { .tv_sec = wait_ns / 1000000000,
				       .tv_nsec = wait_ns % 1000000000 };
		int n = epoll_pwait2(ep, evs, max, &ts, NULL);

		if (n >= 0 || errno != ENOSYS)
			return n;
		wait_ns = 0;
	}
	return epoll_wait(ep, evs, max, wait_ns < 0 ? -1 : 0);
}

void server_set_wire_epoll_ctl(struct server *s,
				int (*fn)(int epfd, int op, int fd, struct epoll_event *ev))
{
	s->wire_ctl = fn ? fn : epoll_ctl;
}

void server_stop(struct server *s)
{
	s->stop = true;
}

/*
 * While some ring or wire had work on the last turn (wait 0), the next turn looks at
 * every ring and polling wire again without asking epoll: each turn looks at them
 * anyway, so epoll would only add the sockets, the timer and the sleeping wires, and
 * a syscall per turn is a syscall per batch under load.  Those wait at most this long.
 */
#define BUSY_EPOLL_NS 1000000ull

int server_run(struct server *s)
{
	struct epoll_event evs[32];
	int64_t wait = -1;
	uint64_t last_epoll = 0;

	signal(SIGPIPE, SIG_IGN);
	while (!s->stop) {
		int n = 0;

		if (wait != 0 || adapt_now_ns() - last_epoll >= BUSY_EPOLL_NS) {
			n = loop_wait(s->ep, evs, 32, wait);
			last_epoll = adapt_now_ns();
			s->epolls++;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			uint32_t id = evs[i].data.u32;

			if (id >= ID_VMC && id < ID_WIRE && s->vmc[id - ID_VMC])
				s->vmc[id - ID_VMC]->link.syscalls++;	/* its share of the wait */
			if (id >= ID_VMBELL && id - ID_VMBELL < SRV_MAX_VMS && s->vmc[id - ID_VMBELL])
				s->vmc[id - ID_VMBELL]->link.syscalls++;
			if (id >= ID_HBELL) {
				unsigned k = (id - ID_HBELL) / APPL_MAX_HANDLES;

				if (k < SRV_MAX_VMS && s->vmc[k] && s->vmc[k]->appl)
					appl_bell(s->vmc[k]->appl, (id - ID_HBELL) % APPL_MAX_HANDLES);
			} else if (id >= ID_VMBELL) {
				if (id - ID_VMBELL < SRV_MAX_VMS)
					vmc_bell(s, id - ID_VMBELL);
			} else if (id == ID_LISTEN) {
				accept_one(s);
			} else if (id == ID_VMLISTEN) {
				vmc_accept(s);
			} else if (id >= ID_WIRE) {
				/* Frames from an OSA (its reader was asleep on the wire). */
				if (s->cp->up && id - ID_WIRE < s->cp->up->nosas)
					wire_look(s, id - ID_WIRE, true);
			} else if (id >= ID_VMC) {
				if (id - ID_VMC < SRV_MAX_VMS)
					vmc_event(s, id - ID_VMC, evs[i].events);
			} else if (id == ID_TIMER) {
				uint64_t ticks;

				if (read(s->tfd, &ticks, sizeof(ticks)) > 0)
					tick(s);
			} else if (id == ID_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(s->sfd, &si, sizeof(si)) > 0)
					s->stop = true;
			} else if (id >= ID_SESS) {
				unsigned k = id - ID_SESS;

				if (k >= SRV_MAX_SESSIONS || !s->sess[k])
					continue;
				if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN)) {
					sess_close(s, k);
					continue;
				}
				if ((evs[i].events & EPOLLIN) && sess_read(s, k) < 0) {
					sess_close(s, k);
					continue;
				}
				if ((evs[i].events & EPOLLOUT) && sess_flush(s, k) < 0)
					sess_close(s, k);
			}
		}
		wait = vmc_reap(s);
		wait_less(&wait, wires_poll(s));
	}
	return 0;
}

void server_destroy(struct server *s)
{
	for (unsigned k = 0; k < SRV_MAX_SESSIONS; k++)
		if (s->sess[k])
			sess_close(s, k);
	/* A stop (SIGTERM, upgrade) is not a FORCE: the VMs may come back. */
	s->cp->stopping = true;
	for (unsigned k = 0; k < SRV_MAX_VMS; k++)
		if (s->vmc[k])
			vmc_close(s, k);	/* the VM is told LOGOFF (shutdown) */
	s->cp->on_logoff = NULL;
	s->cp->pump_links = NULL;
	close(s->sfd);
	close(s->tfd);
	close(s->ep);
	close(s->lfd);
	close(s->vfd);
	unlink(s->path);
	unlink(s->vpath);
	free(s);
}
