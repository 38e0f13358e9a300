/* hercules/cpnic_cp.c - CPNIC's port=cp back end: the NIC's port is a proxy on a vmlink
 * (vnic/vmlink.h) to cpnetd's VM socket, which couples it to a Guest LAN or VSWITCH. */
#define _GNU_SOURCE	/* pipe2 */
#include "hercules/cpnic.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/cpnet.h"
#include "vnic/vmlink.h"

/*
 * Threads and locks.  Everything below that touches `l` (the vmlink: its socket, its
 * buffers, its NIC table) or a NIC runs with `lock` held, which is the NIC lock of
 * every NIC on the link:
 *   - the reader thread poll()s the socket WITHOUT the lock (so it never blocks a
 *     device thread), then takes it and calls vml_poll(l, 0): CP's frames are
 *     delivered into the NIC under its lock, and a message a registration already
 *     consumed simply leaves nothing to read;
 *   - a device thread doing IPA (lock held) registers through vm_addr, which sends
 *     VML_ADDR and reads the socket itself until VML_ADDR_RC (bounded), handling
 *     whatever else arrives meanwhile -- so nobody may read the socket without it;
 *   - the SIGA worker's frames go out through vm_tx, under the lock.
 * The link callbacks can thus run nested inside a NIC's IPA processing: they only
 * record what CP said; the reader applies it (nic_set_link, detach) outside any IPA.
 * The link list itself is guarded by the registry lock (configuration and close).
 *
 * cpnetd going away: a LOGOFF saying "ended" (LOGOFF, FORCE) is final (LINK_GONE).
 * A LOGOFF saying "shutdown", or the socket closing without one (a crash), makes the
 * link LINK_RETRY: every NIC loses its port and sees STOPLAN, and the reader connects
 * and LOGONs again with backoff (vml_retry).  The LOGON runs on the new socket WITHOUT
 * the lock (nobody else knows that socket yet); the socket then becomes the link's
 * under the lock, and CP's NICDEFs and LINKs re-attach the NICs (apply): the guest
 * sees STARTLAN and re-registers its addresses, as qeth does after any STARTLAN.
 * Only the reader changes l.fd (under the lock), so its lock-free poll is safe.
 */

#define CP_NICDEF_WAIT_MS 3000	/* LOGON -> the NICDEF of a group (CP sends them at once) */
#define CP_LOGON_WAIT_MS  5000
#define CP_RELOGON_WAIT_MS 2000	/* a LOGON again (the reader waits; Hercules may be stopping) */
#define CP_READ_BATCH     64	/* messages handled per lock hold */

enum { LINK_UP = 0, LINK_RETRY, LINK_GONE };

/* One device number CP told us about, or a group attached to it. */
struct cpnic_lnic {
	bool defined;		/* VML_NIC_DEFINE seen, no VML_NIC_DETACH since */
	bool used;
	uint16_t vdev;
	struct vml_nicdef def;
	bool link_up;		/* the last VML_LINK */
	bool applied_up;	/* what the NIC was last told */
	struct cpnic *c;	/* the CPNIC group on it, or NULL */
	bool attached;		/* c's port is on the link */
	bool refused;		/* CP's new definition does not fit c: said so once */
};

struct cpnic_link {
	struct cpnic_link *next;	/* registry lock */
	char path[CPNIC_PATH_MAX];
	char user[9];
	char pass[9];			/* password= or (re-read at each LOGON) pwfile= */
	char pwfile[CPNIC_PATH_MAX];
	unsigned refs;			/* registry lock */
	pthread_mutex_t lock;		/* the NIC lock of every NIC on the link */
	struct vmlink l;
	int state;			/* LINK_*, atomic (devlist reads it lock-free) */
	bool dirty;			/* a callback recorded something to apply */
	bool stop;
	int wake[2];			/* kicks the reader (stop, dirty) */
	pthread_t reader;
	bool reader_started;
	struct vml_retry retry;		/* LINK_RETRY: when to LOGON again (reader only) */
	struct cpnic_lnic nics[VML_MAX_NICS];
};

static struct cpnic_link *links;	/* registry lock */

static struct cpnic_lnic *lnic_find(struct cpnic_link *k, uint16_t vdev, bool make)
{
	struct cpnic_lnic *free_slot = NULL;

	for (unsigned i = 0; i < VML_MAX_NICS; i++) {
		if (k->nics[i].used && k->nics[i].vdev == vdev)
			return &k->nics[i];
		if (!k->nics[i].used && !free_slot)
			free_slot = &k->nics[i];
	}
	if (!make || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->vdev = vdev;
	return free_slot;
}

static void kick(struct cpnic_link *k)
{
	ssize_t w;

	k->dirty = true;
	if (k->reader_started) {
		w = write(k->wake[1], "k", 1);	/* a full pipe already wakes it */
		(void)w;
	}
}

/* ---- link callbacks (lock held, possibly nested in a registration) --------------- */

static void cb_nicdef(void *ctx, const struct vml_nicdef *d)
{
	struct cpnic_link *k = ctx;
	struct cpnic_lnic *n = lnic_find(k, d->vdev, true);

	if (!n) {
		cpnic_msg("CPNIC: cpnetd defines NIC %04X for %s: more than %d NICs, ignored\n",
			  d->vdev, k->user, VML_MAX_NICS);
		return;
	}
	if (n->c && n->defined)
		return;		/* already attached: CP repeats nothing we need */
	n->def = *d;
	n->defined = true;
	if (n->c)
		kick(k);
}

static void cb_detach(void *ctx, uint16_t vdev)
{
	struct cpnic_link *k = ctx;
	struct cpnic_lnic *n = lnic_find(k, vdev, false);

	if (!n)
		return;
	n->defined = false;
	n->link_up = false;
	kick(k);
}

/* The ring was taken, maybe by a device thread inside a registration: the reader must
 * start waiting on its doorbell, so wake it to look (under the lock). */
static void cb_ring(void *ctx)
{
	kick(ctx);
}

static void cb_link(void *ctx, uint16_t vdev, bool up)
{
	struct cpnic_link *k = ctx;
	struct cpnic_lnic *n = lnic_find(k, vdev, true);

	if (!n)
		return;
	n->link_up = up;
	kick(k);
}

/* ---- applying what CP said (lock held, outside any IPA) -------------------------- */

static void mac_str(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* CP defines a NIC again (LOGON after cpnetd came back, DEFINE NIC after DETACH NIC):
 * put the group's port back on the link if the definition still fits the device the
 * guest already drives.  Its MAC cannot change under the guest's qeth. */
static void reattach(struct cpnic_link *k, struct cpnic_lnic *n)
{
	struct cpnic *c = n->c;
	char have[18], now[18];

	if (n->refused)
		return;
	mac_str(c->cfg.mac, have);
	mac_str(n->def.mac, now);
	if (n->def.ndev != c->ndev || n->def.type != NIC_QDIO || memcmp(n->def.mac, c->cfg.mac, 6)) {
		n->refused = true;
		cpnic_msg("CPNIC %04X: cpnetd defines NIC %04X of %s again with %u devices, MAC %s; "
			  "the group has %u devices, MAC %s: not attached (a NICDEF with MACID "
			  "keeps its MAC across restarts)\n", c->cfg.base_devno, n->vdev, k->user,
			  n->def.ndev, now, c->ndev, have);
		return;
	}
	if (!vml_add_nic(&k->l, n->vdev, &c->nic.port)) {
		n->refused = true;
		cpnic_msg("CPNIC %04X: no room on the link of %s (at most %d NICs)\n",
			  c->cfg.base_devno, k->user, VML_MAX_NICS);
		return;
	}
	n->attached = true;
	n->applied_up = false;	/* CP's LINK decides; until then down */
	cpnic_msg("CPNIC %04X: NIC %04X of %s is on cpnetd again (MAC %s)\n", c->cfg.base_devno,
		  n->vdev, k->user, have);
}

static void apply(struct cpnic_link *k)
{
	bool up = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE) == LINK_UP;

	k->dirty = false;
	for (unsigned i = 0; i < VML_MAX_NICS; i++) {
		struct cpnic_lnic *n = &k->nics[i];
		struct cpnic *c = n->c;

		if (!n->used || !c)
			continue;
		if (!n->attached && n->defined && up)
			reattach(k, n);
		if (!n->attached)
			continue;
		if (!n->defined) {
			vml_del_nic(&k->l, n->vdev);
			nic_set_link(&c->nic, false);
			n->attached = false;
			n->refused = false;
			cpnic_msg("CPNIC %04X: cpnetd detached NIC %04X of %s: link down, no port\n",
				  c->cfg.base_devno, n->vdev, k->user);
			continue;
		}
		if (n->applied_up != n->link_up) {
			n->applied_up = n->link_up;
			nic_set_link(&c->nic, n->link_up);
			cpnic_msg("CPNIC %04X: LAN %s %s is %s\n", c->cfg.base_devno,
				  n->def.owner[0] ? n->def.owner : "*",
				  n->def.lan[0] ? n->def.lan : "(coupled)", n->link_up ? "up" : "down");
		}
	}
}

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * The session ended (lock held): every NIC loses its port and sees STOPLAN; its
 * frames are dropped and counted (port_tx without ops) until it is back.  CP's LOGOFF
 * "ended" (LOGOFF, FORCE) is final; a shutdown or a dropped socket is a cpnetd that
 * may come back: the reader closes the socket and LOGONs again (only the reader
 * may close the socket it polls).
 */
static void link_lost(struct cpnic_link *k)
{
	bool final = k->l.peer_logoff == VML_LOGOFF_ENDED;
	const char *why = final ? "LOGOFF or FORCE" :
			  k->l.peer_logoff == VML_LOGOFF_SHUTDOWN ? "cpnetd stopped" :
			  "the connection to cpnetd broke";

	if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) != LINK_UP)
		return;
	__atomic_store_n(&k->state, final ? LINK_GONE : LINK_RETRY, __ATOMIC_RELEASE);
	/* The ring belonged to that connection: a new LOGON negotiates its own. */
	vml_ring_close(&k->l);
	for (unsigned i = 0; i < VML_MAX_NICS; i++) {
		struct cpnic_lnic *n = &k->nics[i];
		struct cpnic *c = n->c;

		n->link_up = false;
		n->refused = false;
		if (!n->used || !c) {
			n->defined = false;
			continue;
		}
		if (n->attached) {
			vml_del_nic(&k->l, n->vdev);
			nic_set_link(&c->nic, false);
			n->attached = false;
		}
		n->defined = false;
		if (final)
			cpnic_msg("CPNIC %04X: cpnetd ended the session of %s (%s): link down, "
				  "no port\n", c->cfg.base_devno, k->user, why);
		else
			cpnic_msg("CPNIC %04X: session of %s lost (%s): link down (STOPLAN), "
				  "logging on again\n", c->cfg.base_devno, k->user, why);
	}
}

static int read_password(const char *pass, const char *pwfile, char pw[9], char *err,
			 size_t errlen);

/* LINK_RETRY, reader thread, no lock held: one attempt to connect and LOGON again. */
static void relogon(struct cpnic_link *k)
{
	struct vml_logon_reply reply;
	char err[200] = "", pw[9];
	uint64_t t;
	int fd, rc;

	fd = vml_connect(k->path);
	if (fd < 0) {
		snprintf(err, sizeof(err), "cannot reach cpnetd at %s: %s", k->path, strerror(-fd));
	} else if (read_password(k->pass, k->pwfile, pw, err, sizeof(err)) == 0) {
		rc = vml_logon_fd(fd, k->user, pw, CP_RELOGON_WAIT_MS, &reply);
		memset(pw, 0, sizeof(pw));
		if (rc == 0) {
			pthread_mutex_lock(&k->lock);
			k->l.fd = fd;
			k->l.peer_logoff = -1;
			__atomic_store_n(&k->state, LINK_UP, __ATOMIC_RELEASE);
			pthread_mutex_unlock(&k->lock);
			t = now_ms() - k->retry.since_ms;
			cpnic_msg("CPNIC cp:%s: logged on again to cpnetd at %s after %u failed "
				  "attempt(s), %llu.%03llu s without CP: %s\n", k->user, k->path,
				  k->retry.attempts, (unsigned long long)(t / 1000),
				  (unsigned long long)(t % 1000), reply.text);
			return;	/* CP's NICDEFs and LINKs follow on the socket */
		}
		if (rc > 0)
			snprintf(err, sizeof(err), "LOGON refused (rc %d): %s", rc, reply.text);
		else
			snprintf(err, sizeof(err), "LOGON: %s", rc == -ETIMEDOUT ?
				 "no answer from cpnetd" : cpnet_strerror(rc));
	}
	if (fd >= 0)
		close(fd);
	t = now_ms();
	if (vml_retry_failed(&k->retry, t))
		cpnic_msg("CPNIC cp:%s: LOGON again, attempt %u: %s; next in %u ms (%llu s "
			  "without CP)\n", k->user, k->retry.attempts, err, k->retry.delay_ms,
			  (unsigned long long)((t - k->retry.since_ms) / 1000));
}

/* Owed PCIs of the link's NICs that are due; returns the us until the next (-1 none).
 * Lock held. */
static int64_t pci_poll_all(struct cpnic_link *k)
{
	int64_t wait = -1;

	for (unsigned i = 0; i < VML_MAX_NICS; i++) {
		struct cpnic *c = k->nics[i].used ? k->nics[i].c : NULL;

		/* n->c is set once the NIC exists (cpnic_cp_attach), as apply() relies on. */
		if (!c)
			continue;
		nic_pci_poll(&c->nic);
		wait = cpnic_pci_wait(&c->nic, wait);
	}
	return wait;
}

static void *cp_reader(void *arg)
{
	struct cpnic_link *k = arg;
	char drain[64];
	int bell = -1;		/* the ring's doorbell, as last seen under the lock */
	int64_t ring_wait = -1;	/* ns the ring allows us to sleep (vml_ring_wait_ns) */
	int64_t pci_wait = -1;	/* us until an owed PCI of a NIC on the link is due */

	for (;;) {
		int st = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE);
		struct pollfd pfd[3] = { { st == LINK_UP ? k->l.fd : -1, POLLIN, 0 },
					 { k->wake[0], POLLIN, 0 },
					 { st == LINK_UP ? bell : -1, POLLIN, 0 } };
		int64_t timeout = pci_wait;

		if (ring_wait >= 0) {	/* a nap (us, rounded up) or none */
			int64_t us = (ring_wait + 999) / 1000;

			timeout = timeout < 0 || us < timeout ? us : timeout;
		}
		/* Lost: the old socket is closed at once (another thread may have found
		 * the loss), then the next attempt is waited for.  Only this thread
		 * changes l.fd, so reading it here without the lock is safe. */
		if (st == LINK_RETRY && k->l.fd >= 0) {
			timeout = 0;
		} else if (st == LINK_RETRY) {
			uint64_t w = vml_retry_wait(&k->retry, now_ms());

			timeout = (int64_t)(w > VML_RETRY_MAX_MS ? VML_RETRY_MAX_MS : w) * 1000;
		}
		/* No lock while waiting: a device thread may be registering. */
		if (cpnic_poll_us(pfd, 3, timeout) < 0 && errno != EINTR)
			break;
		if (pfd[1].revents)
			while (read(k->wake[0], drain, sizeof(drain)) > 0)
				;
		pthread_mutex_lock(&k->lock);
		if (k->stop) {
			pthread_mutex_unlock(&k->lock);
			break;
		}
		st = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE);
		for (unsigned n = 0; st == LINK_UP && n < CP_READ_BATCH; n++) {
			int r = vml_poll(&k->l, 0);

			if (r == 0)
				break;
			if (r == -EPIPE) {
				link_lost(k);
				st = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE);
			}
			/* other errors: a bad message, counted by the link */
		}
		if (st == LINK_RETRY && k->l.fd >= 0) {
			/* Lost (here or by another thread): the old socket goes. */
			close(k->l.fd);
			k->l.fd = -1;
			vml_retry_start(&k->retry, now_ms());
		}
		if (k->dirty)
			apply(k);
		pci_wait = pci_poll_all(k);
		/* Frames through the ring: CP rings `bell` only once told we sleep (the
		 * ring and its doorbell change only under the lock: read them here). */
		bell = st == LINK_UP ? vml_bell_fd(&k->l) : -1;
		ring_wait = bell >= 0 ? vml_ring_wait_ns(&k->l) : -1;	/* polls, or armed */
		pthread_mutex_unlock(&k->lock);
		if (st == LINK_RETRY && vml_retry_wait(&k->retry, now_ms()) == 0)
			relogon(k);
	}
	return NULL;
}

/* ---- opening ----------------------------------------------------------------------- */

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The password: password= or the first line of pwfile= (1-8 characters). */
static int read_password(const char *pass, const char *pwfile, char pw[9], char *err,
			 size_t errlen)
{
	char line[64];
	size_t n;
	FILE *f;

	if (!pwfile[0]) {
		snprintf(pw, 9, "%s", pass);
		return 0;
	}
	f = fopen(pwfile, "re");
	if (!f) {
		int e = errno;

		snprintf(err, errlen, "pwfile %s: %s", pwfile, strerror(e));
		return -e;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	n = strcspn(line, "\r\n");
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	line[n] = 0;
	if (n < 1 || n > 8) {
		snprintf(err, errlen, "pwfile %s: the first line must be a password of 1-8 "
			 "characters", pwfile);
		return -EINVAL;
	}
	memcpy(pw, line, n + 1);
	memset(line, 0, sizeof(line));
	return 0;
}

static void link_free(struct cpnic_link *k)
{
	if (k->reader_started) {
		ssize_t w;

		pthread_mutex_lock(&k->lock);
		k->stop = true;
		pthread_mutex_unlock(&k->lock);
		w = write(k->wake[1], "s", 1);
		(void)w;
		pthread_join(k->reader, NULL);
	}
	if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) == LINK_UP) {
		uint8_t b[VML_HDR_SIZE + 2];
		int len = vml_simple_encode(VML_LOGOFF, 0, 0, 0, b, sizeof(b));

		if (len > 0)
			vml_send(&k->l, b, (size_t)len);
	}
	if (k->l.fd >= 0)
		close(k->l.fd);
	vml_free(&k->l);
	close(k->wake[0]);
	close(k->wake[1]);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

/* Connect and LOGON; the new link, or NULL with the reason in err. */
static struct cpnic_link *link_open(const struct cpnic *c, char *err, size_t errlen)
{
	struct vml_logon_reply reply;
	struct cpnic_link *k;
	char pw[9];
	int fd, rc;

	if (read_password(c->cp_pass, c->cp_pwfile, pw, err, errlen) < 0)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fd = vml_connect(c->cp_path);
	if (fd < 0) {
		snprintf(err, errlen, "cannot reach cpnetd at %s: %s", c->cp_path, strerror(-fd));
		goto fail_fd;
	}
	if (pipe2(k->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail_fd;
	}
	if (vml_init(&k->l, fd, false) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_pipe;
	}
	k->l.ctx = k;
	k->l.on_nicdef = cb_nicdef;
	k->l.on_detach = cb_detach;
	k->l.on_link = cb_link;
	k->l.on_ring = cb_ring;
	rc = vml_logon(&k->l, c->cp_user, pw, CP_LOGON_WAIT_MS, &reply);
	memset(pw, 0, sizeof(pw));
	if (rc != 0) {
		if (rc > 0)
			snprintf(err, errlen, "LOGON %s refused by cpnetd (rc %d): %s", c->cp_user, rc,
				 reply.text);
		else
			snprintf(err, errlen, "LOGON %s: %s", c->cp_user,
				 rc == -ETIMEDOUT ? "no answer from cpnetd" :
				 rc == -EPIPE ? "cpnetd closed the connection" : cpnet_strerror(rc));
		goto fail_link;
	}
	cpnic_msg("CPNIC %04X: logged on to cpnetd at %s: %s\n", c->cfg.base_devno, c->cp_path,
		  reply.text);
	pthread_mutex_init(&k->lock, NULL);
	snprintf(k->path, sizeof(k->path), "%s", c->cp_path);
	snprintf(k->user, sizeof(k->user), "%s", c->cp_user);
	snprintf(k->pass, sizeof(k->pass), "%s", c->cp_pass);
	snprintf(k->pwfile, sizeof(k->pwfile), "%s", c->cp_pwfile);
	for (char *p = k->user; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	k->state = LINK_UP;
	return k;

fail_link:
	vml_free(&k->l);
fail_pipe:
	close(k->wake[0]);
	close(k->wake[1]);
fail_fd:
	if (fd >= 0)
		close(fd);
	free(k);
	return NULL;
}

static bool same_user(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/*
 * An inline SIGA (cpnic_siga) asks whether what `bufs` primed buffers hold goes out
 * without a wait (lock held).  The socket never waits for a frame (vml_send); the ring
 * waits when full (vml_ring_tx holds the SIGA), so it needs the entries for all of it
 * (cpnic_ring_fits; cpnetd's consumer index read and checked by lib/shmring: a value
 * outside what we published breaks the ring, and a broken ring does not wait).
 */
static bool cp_tx_room(struct cpnic *c, unsigned bufs)
{
	struct cpnic_link *k = c->link;

	if (!k || !k->l.ring_tx || k->l.ring.broken)
		return true;
	return cpnic_ring_fits(&k->l.ring, bufs) || k->l.ring.broken;
}

int cpnic_cp_open(struct cpnic *c, char *err, size_t errlen)
{
	uint16_t vdev = c->cfg.base_devno;
	struct cpnic_link *k;
	struct cpnic_lnic *n = NULL;
	struct timespec t0;
	bool fresh = false;
	int rc = 0;

	/* A link logging on again is still the user's: a second LOGON would clash. */
	for (k = links; k; k = k->next)
		if (strcmp(k->path, c->cp_path) == 0 && same_user(k->user, c->cp_user) &&
		    __atomic_load_n(&k->state, __ATOMIC_ACQUIRE) != LINK_GONE)
			break;
	if (!k) {
		k = link_open(c, err, errlen);
		if (!k)
			return -ECONNREFUSED;
		fresh = true;
	}

	/* CP sends every NICDEF right after the LOGON reply: wait (bounded) for ours. */
	pthread_mutex_lock(&k->lock);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long left = CP_NICDEF_WAIT_MS - ms_since(&t0);
		int r;

		n = lnic_find(k, vdev, false);
		if (n && n->defined)
			break;
		if (left <= 0 || __atomic_load_n(&k->state, __ATOMIC_ACQUIRE) != LINK_UP) {
			char have[VML_MAX_NICS * 5 + 1] = "";
			size_t used = 0;

			for (unsigned i = 0; i < VML_MAX_NICS; i++)
				if (k->nics[i].used && k->nics[i].defined && used + 6 <= sizeof(have))
					used += (size_t)snprintf(have + used, sizeof(have) - used,
								 "%s%04X", used ? " " : "",
								 k->nics[i].vdev);
			if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) == LINK_RETRY)
				snprintf(err, errlen, "the session of %s is lost; its link is "
					 "logging on again", k->user);
			else if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) != LINK_UP)
				snprintf(err, errlen, "cpnetd ended the session of %s", k->user);
			else
				snprintf(err, errlen, "cpnetd defines no NIC %04X for %s (its NICs: %s); "
					 "the CPNIC device numbers must be the NICDEF's", vdev, k->user,
					 used ? have : "none");
			rc = -ENOENT;
			goto out;
		}
		r = vml_poll(&k->l, (int)(left < 100 ? left : 100));
		if (r == -EPIPE)
			link_lost(k);
	}
	if (n->c) {
		snprintf(err, errlen, "NIC %04X of %s is already served by another CPNIC group",
			 vdev, k->user);
		rc = -EEXIST;
	} else if (n->def.ndev != c->ndev) {
		snprintf(err, errlen, "NIC %04X of %s has %u devices in cpnetd, this group %u "
			 "(devs=)", vdev, k->user, n->def.ndev, c->ndev);
		rc = -EINVAL;
	} else if (n->def.type != NIC_QDIO) {
		snprintf(err, errlen, "NIC %04X of %s is a HiperSockets NIC; CPNIC is an OSD",
			 vdev, k->user);
		rc = -EINVAL;
	}
	if (rc == 0) {
		/* CP assigns the MAC (its switch checks it): it overrides mac=. */
		memcpy(c->cfg.mac, n->def.mac, 6);
		cpnic_msg("CPNIC %04X: cpnetd NICDEF %04X of %s: %u devices, MAC "
			  "%02X:%02X:%02X:%02X:%02X:%02X, %s%s%s%s\n", vdev, vdev, k->user,
			  n->def.ndev, n->def.mac[0], n->def.mac[1], n->def.mac[2], n->def.mac[3],
			  n->def.mac[4], n->def.mac[5],
			  n->def.transport == 2 ? "ETHERNET " : n->def.transport == 1 ? "IP " : "",
			  n->def.lan[0] ? n->def.owner : "not coupled", n->def.lan[0] ? " " : "",
			  n->def.lan);
	}
out:
	pthread_mutex_unlock(&k->lock);
	if (rc < 0) {
		if (fresh)
			link_free(k);	/* nobody else uses it: LOGOFF */
		return rc;
	}
	if (fresh) {
		k->next = links;
		links = k;
	}
	k->refs++;
	c->link = k;
	c->tx_room = cp_tx_room;
	/* Before any I/O (configuration time): from now on the link's lock is the NIC's. */
	c->lock = &k->lock;
	return 0;
}

int cpnic_cp_attach(struct cpnic *c, char *err, size_t errlen)
{
	struct cpnic_link *k = c->link;
	struct cpnic_lnic *n;
	char name[24];	/* cut to the kernel's 15 bytes by cpnic_thread_start */
	int rc = 0;

	pthread_mutex_lock(&k->lock);
	n = lnic_find(k, c->cfg.base_devno, false);
	if (!n || !n->defined || n->c) {
		snprintf(err, errlen, "NIC %04X went away before it was attached", c->cfg.base_devno);
		rc = -ENOENT;
	} else if (!vml_add_nic(&k->l, c->cfg.base_devno, &c->nic.port)) {
		snprintf(err, errlen, "no room on the link (at most %d NICs)", VML_MAX_NICS);
		rc = -ENOSPC;
	} else {
		/* Down until the reader applies CP's LAN state (and says so). */
		n->c = c;
		n->attached = true;
		n->applied_up = false;
		nic_set_link(&c->nic, false);
		k->dirty = true;
	}
	pthread_mutex_unlock(&k->lock);
	if (rc < 0)
		return rc;
	if (k->reader_started) {
		pthread_mutex_lock(&k->lock);
		kick(k);
		pthread_mutex_unlock(&k->lock);
		return 0;
	}
	/* Created under the lock: callbacks (reader, registrations) read reader_started. */
	pthread_mutex_lock(&k->lock);
	snprintf(name, sizeof(name), "cpnic-%s", k->user);
	rc = cpnic_thread_start(&k->reader, cp_reader, k, name);
	if (rc) {
		snprintf(err, errlen, "reader thread: %s", strerror(rc));
		cpnic_cp_detach(c);
		pthread_mutex_unlock(&k->lock);
		return -rc;
	}
	k->reader_started = true;
	/* Whatever arrived while nobody read (LINK for a later group) waits in the socket. */
	kick(k);
	pthread_mutex_unlock(&k->lock);
	return 0;
}

void cpnic_cp_detach(struct cpnic *c)
{
	struct cpnic_link *k = c->link;
	struct cpnic_lnic *n;

	if (!k)
		return;
	n = lnic_find(k, c->cfg.base_devno, false);
	if (n && n->c == c) {
		if (n->attached)
			vml_del_nic(&k->l, n->vdev);
		n->attached = false;
		n->c = NULL;
	}
}

void cpnic_cp_put(struct cpnic *c)
{
	struct cpnic_link *k = c->link, **pp;

	if (!k)
		return;
	c->link = NULL;
	if (--k->refs)
		return;
	for (pp = &links; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	link_free(k);
}

const char *cpnic_cp_state(const struct cpnic *c)
{
	struct cpnic_link *k = c->link;

	if (!k)
		return "unattached";
	switch (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE)) {
	case LINK_RETRY:
		return "reconnecting";
	case LINK_GONE:
		return "gone";
	}
	return c->nic.port.ops ? (c->nic.link_up ? "up" : "down") : "detached";
}
