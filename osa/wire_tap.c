/* osa/wire_tap.c - the Linux TAP wire provider: the OSA's port is a TAP interface
 * (IFF_TAP | IFF_NO_PI, non-blocking), opened by name; link from IFF_UP and I/O errors.
 * Batches go through an io_uring (one io_uring_enter per batch, RWF_NOWAIT reads and
 * writes), or one read/writev per frame when io_uring is unavailable or
 * CPNET_TAP_IO=syscall.  With IFF_VNET_HDR (unless CPNET_TAP_OFFLOAD=0) every frame
 * carries a virtio-net header, so a large send or a checksum a guest left out goes to
 * the host kernel unfinished, and while the OSA asks (set_rx_large) the host's TCP large
 * sends come in whole, each header checked against its frame (doc/osa.md). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/io_uring.h>

#include "lib/be.h"
#include "lib/csum.h"
#include "lib/tso.h"
#include "osa/vnet.h"
#include "osa/wire.h"

/* The io_uring of a TAP: WIRE_BATCH_MAX entries, drained completely by every batch
 * (each submission waits for all its completions), so SQE i is always slot i. */
struct tap_uring {
	int fd;
	void *sq_map, *cq_map;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

struct wtap {
	int ctl;			/* AF_INET datagram socket for the interface ioctls */
	struct tap_uring *u;		/* NULL: one read/writev per frame */
	unsigned rx_want;		/* reads to post per batch (follows what came) */
	/* With a virtio-net header (w->offloads): each frame's header and its iovec with
	 * the header in front, for a batch. */
	struct vnet_hdr vh[WIRE_BATCH_MAX];
	struct iovec viov[WIRE_BATCH_MAX][WIRE_IOV_MAX + 1];
};

static void ifreq_for(struct ifreq *ifr, const struct wire *w)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", w->name);
}

/* Errors that mean the device is gone or down for good (until re-opened / set up). */
static bool fatal(int e)
{
	return e == EBADFD || e == ENODEV || e == ENXIO || e == EIO || e == EPIPE ||
	       e == ENETDOWN;
}

static void uring_free(struct tap_uring *u)
{
	if (!u)
		return;
	if (u->sqes && u->sqes != MAP_FAILED)
		munmap(u->sqes, u->sqes_len);
	if (u->cq_map && u->cq_map != MAP_FAILED && u->cq_map != u->sq_map)
		munmap(u->cq_map, u->cq_len);
	if (u->sq_map && u->sq_map != MAP_FAILED)
		munmap(u->sq_map, u->sq_len);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

/* An io_uring for the batches, or NULL (kernel without it, seccomp, io_uring_disabled,
 * CPNET_TAP_IO=syscall): the provider then makes one system call per frame. */
static struct tap_uring *uring_new(void)
{
	const char *mode = getenv("CPNET_TAP_IO");
	struct io_uring_params p;
	struct tap_uring *u;

	if (mode && !strcmp(mode, "syscall"))
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	memset(&p, 0, sizeof(p));
	u->fd = (int)syscall(__NR_io_uring_setup, WIRE_BATCH_MAX, &p);
	if (u->fd < 0 || p.sq_entries < WIRE_BATCH_MAX || p.cq_entries < WIRE_BATCH_MAX)
		goto fail;
	u->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	u->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_len > u->sq_len)
			u->sq_len = u->cq_len;
		u->cq_len = u->sq_len;
	}
	u->sq_map = mmap(NULL, u->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 u->fd, IORING_OFF_SQ_RING);
	if (u->sq_map == MAP_FAILED)
		goto fail;
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		u->cq_map = u->sq_map;
	else
		u->cq_map = mmap(NULL, u->cq_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_CQ_RING);
	if (u->cq_map == MAP_FAILED)
		goto fail;
	u->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       u->fd, IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED)
		goto fail;
	u->sq_tail = (unsigned *)((uint8_t *)u->sq_map + p.sq_off.tail);
	u->sq_mask = (unsigned *)((uint8_t *)u->sq_map + p.sq_off.ring_mask);
	u->sq_array = (unsigned *)((uint8_t *)u->sq_map + p.sq_off.array);
	u->cq_head = (unsigned *)((uint8_t *)u->cq_map + p.cq_off.head);
	u->cq_tail = (unsigned *)((uint8_t *)u->cq_map + p.cq_off.tail);
	u->cq_mask = (unsigned *)((uint8_t *)u->cq_map + p.cq_off.ring_mask);
	u->cqes = (struct io_uring_cqe *)((uint8_t *)u->cq_map + p.cq_off.cqes);
	return u;
fail:
	uring_free(u);
	return NULL;
}

/*
 * Run sqes[0..n) (prepared by the caller, user_data = slot) and wait for all their
 * completions: with RWF_NOWAIT none of them ever waits for the TAP, so this is one
 * system call.  res[slot] gets each result (-errno on failure).  -errno when the ring
 * itself failed (the caller falls back to plain system calls for good).
 */
static int uring_run(struct tap_uring *u, unsigned n, int *res)
{
	unsigned tail = *u->sq_tail, got = 0;
	long rc;

	for (unsigned i = 0; i < n; i++)
		u->sq_array[(tail + i) & *u->sq_mask] = i;
	__atomic_store_n(u->sq_tail, tail + n, __ATOMIC_RELEASE);
	rc = syscall(__NR_io_uring_enter, u->fd, n, n, IORING_ENTER_GETEVENTS, NULL, 0);
	if (rc < 0 || (unsigned long)rc != n)
		return rc < 0 ? -errno : -EIO;
	/* A signal may end the wait early (the submissions stand): wait again, bounded. */
	for (unsigned tries = 0;; tries++) {
		unsigned head = *u->cq_head;
		unsigned ctail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);

		for (; head != ctail; head++) {
			const struct io_uring_cqe *c = &u->cqes[head & *u->cq_mask];

			if (c->user_data < n) {
				res[c->user_data] = c->res;
				got++;
			}
		}
		__atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
		if (got >= n)
			return 0;
		if (tries == 8)
			return -EIO;
		if (syscall(__NR_io_uring_enter, u->fd, 0, n - got, IORING_ENTER_GETEVENTS, NULL,
			    0) < 0 && errno != EINTR)
			return -errno;
	}
}

static void prep_rw(struct io_uring_sqe *q, uint8_t op, int fd, const void *addr,
		    uint32_t len, unsigned slot)
{
	memset(q, 0, sizeof(*q));
	q->opcode = op;
	q->fd = fd;
	q->addr = (uint64_t)(uintptr_t)addr;
	q->len = len;
	q->rw_flags = RWF_NOWAIT;	/* an empty/full TAP answers -EAGAIN, never waits */
	q->user_data = slot;
}

static bool vnet_wanted(void)
{
	const char *v = getenv("CPNET_TAP_OFFLOAD");

	return !v || strcmp(v, "0");
}

static int tap_open(struct wire *w, const char *name)
{
	struct wtap *t;
	struct ifreq ifr;
	int rc;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	w->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (w->fd < 0) {
		rc = -errno;
		goto free_t;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (vnet_wanted()) {
		/* Large sends and checksums to the kernel: it cuts and sums only where it
		 * must (a local receiver takes a 64 KiB send whole and acknowledges it once).
		 * What the kernel hands us stays finished (no TUNSETOFFLOAD features) until
		 * the OSA asks for large receives (tap_set_rx_large). */
		ifr.ifr_flags |= IFF_VNET_HDR;
		if (ioctl(w->fd, TUNSETIFF, &ifr) == 0 &&
		    ioctl(w->fd, TUNSETVNETHDRSZ, &(int){ VNET_HLEN }) == 0 &&
		    ioctl(w->fd, TUNSETOFFLOAD, 0UL) == 0) {
			w->offloads = true;
		} else {
			/* A kernel or a TAP that refuses it: plain frames on a fresh fd. */
			close(w->fd);
			w->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
			if (w->fd < 0) {
				rc = -errno;
				goto free_t;
			}
			ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
		}
	}
	if (!w->offloads && ioctl(w->fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		goto close_fd;
	}
	/* The kernel may have completed a pattern name ("cpnt%d"). */
	snprintf(w->name, sizeof(w->name), "%s", ifr.ifr_name);
	t->ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (t->ctl < 0) {
		rc = -errno;
		goto close_fd;
	}
	/* Plugging the cable in: bring the interface up once (best effort; an operator
	 * who sets it down later is seen as a link-down by tap_link). */
	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		(void)ioctl(t->ctl, SIOCSIFFLAGS, &ifr);
	}
	t->u = uring_new();
	t->rx_want = 8;
	w->priv = t;
	return 0;

close_fd:
	close(w->fd);
	w->fd = -1;
free_t:
	free(t);
	return rc;
}

static void tap_close(struct wire *w)
{
	struct wtap *t = w->priv;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (t) {
		uring_free(t->u);
		close(t->ctl);
		free(t);
	}
	w->priv = NULL;
}

/* A write's result (bytes or -errno, from writev or a completion) as send's answer. */
static int tx_result(struct wire *w, long n)
{
	int e = (int)-n;

	if (n >= 0)
		return 0;
	if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS)
		return -EAGAIN;
	/* A TAP that is merely set down answers writes with EIO (a deleted one with
	 * EBADFD): link down until it is set up again, not a failed device. */
	if (e == EIO)
		return -ENETDOWN;
	if (fatal(e)) {
		w->failed = true;
		return -ENETDOWN;
	}
	return -e;
}

/* A read's result as recv's answer. */
static int rx_result(struct wire *w, long n)
{
	int e = (int)-n;

	if (n > 0)
		return (int)n;
	if (n == 0)
		return -EAGAIN;
	if (e == EAGAIN || e == EWOULDBLOCK || e == EINTR)
		return -EAGAIN;
	if (e == EINVAL || e == EMSGSIZE)
		return -EMSGSIZE;	/* the frame did not fit: the kernel dropped it */
	if (fatal(e)) {
		w->failed = true;
		return -ENETDOWN;
	}
	return -e;
}

/* The virtio-net header for what a frame left to the wire. */
static void vnet_put(struct vnet_hdr *h, const struct wire_ofl *o)
{
	memset(h, 0, sizeof(*h));
	if (o->csum_start) {
		h->flags = VNET_F_NEEDS_CSUM;
		h->csum_start = o->csum_start;
		h->csum_offset = o->csum_offset;
	}
	if (o->gso) {
		h->gso_type = (uint8_t)(o->gso == WIRE_GSO_TCP6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4);
		if (o->ecn)
			h->gso_type |= VNET_GSO_ECN;
		h->hdr_len = o->hdr_len;
		h->gso_size = o->gso_size;
	}
}

/* The iovec to write for frame i of a batch: with a virtio-net header, that in front. */
static const struct iovec *tx_iov(struct wire *w, unsigned i, const struct iovec *iov,
				  unsigned *niov, const struct wire_ofl *o)
{
	struct wtap *t = w->priv;

	if (!w->offloads)
		return iov;
	if (*niov > WIRE_IOV_MAX)
		*niov = WIRE_IOV_MAX;	/* the OSA never gathers more */
	vnet_put(&t->vh[i], o);
	t->viov[i][0] = (struct iovec){ &t->vh[i], VNET_HLEN };
	memcpy(&t->viov[i][1], iov, *niov * sizeof(*iov));
	++*niov;
	return t->viov[i];
}

static int send_one(struct wire *w, const struct iovec *iov, unsigned niov,
		    const struct wire_ofl *o)
{
	ssize_t n;

	iov = tx_iov(w, 0, iov, &niov, o);
	w->st.tx_syscalls++;
	n = writev(w->fd, iov, (int)niov);
	return tx_result(w, n >= 0 ? (long)n : -(long)errno);
}

static int tap_send(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len)
{
	(void)len;
	return send_one(w, iov, niov, &(struct wire_ofl){ 0 });
}

int vnet_rx_finish(const struct vnet_hdr *h, uint8_t *frame, uint32_t len,
		   struct wire_ofl *large, enum vnet_bad *why)
{
	static const enum vnet_bad of_req[TSO_REQ_NR] = {
		[TSO_REQ_NOCSUM] = VNET_BAD_NOCSUM, [TSO_REQ_WHERE] = VNET_BAD_WHERE,
		[TSO_REQ_PROTO] = VNET_BAD_PROTO, [TSO_REQ_SIZE] = VNET_BAD_SIZE,
	};
	uint8_t gso = h->gso_type;
	struct tso_req r = {
		.csum = (h->flags & VNET_F_NEEDS_CSUM) != 0,
		.csum_start = h->csum_start,
		.csum_offset = h->csum_offset,
		.gso_v = (uint8_t)(gso == VNET_GSO_TCPV4 ? 4 : gso == VNET_GSO_TCPV6 ? 6 : 0),
		.gso_size = h->gso_size,
	};
	enum tso_req_bad bad;
	struct csum_pkt p;

	/* One of the two flags at most: a checksum left open is not also vouched for. */
	if ((h->flags & ~(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID)) ||
	    h->flags == (VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID)) {
		*why = VNET_BAD_FLAGS;
		return -EBADMSG;
	}
	if (gso != VNET_GSO_NONE && !r.gso_v) {
		*why = VNET_BAD_GSO_TYPE;
		return -EBADMSG;
	}
	bad = tso_req_check(frame, len, &r, &p);
	if (bad != TSO_REQ_OK) {
		*why = of_req[bad];
		return -EBADMSG;
	}
	if (r.gso_v && !large) {
		*why = VNET_BAD_LARGE;
		return -EBADMSG;
	}
	if (r.gso_v) {
		/* Kept whole for a receiver that takes it; the checksum stays open (every
		 * segment cut from it, or the receiver, completes its own). */
		memset(large, 0, sizeof(*large));
		large->gso = r.gso_v == 6 ? WIRE_GSO_TCP6 : WIRE_GSO_TCP4;
		large->gso_size = r.gso_size;
		large->hdr_len = (uint16_t)(p.l4 + p.l4hlen);
		large->csum_start = r.csum_start;
		large->csum_offset = r.csum_offset;
		return (int)len;
	}
	if (r.csum)
		csum_complete(frame, &p, false);
	return (int)len;
}

const char *vnet_bad_name(enum vnet_bad why)
{
	static const char *const names[VNET_BAD_NR] = {
		[VNET_BAD_FLAGS] = "flags",
		[VNET_BAD_GSO_TYPE] = "GSO type",
		[VNET_BAD_LARGE] = "large receive not asked for",
		[VNET_BAD_NOCSUM] = "large send without checksum",
		[VNET_BAD_WHERE] = "checksum not at the TCP/UDP header",
		[VNET_BAD_PROTO] = "large send not TCP of its IP version",
		[VNET_BAD_SIZE] = "segment size",
	};

	return (unsigned)why < VNET_BAD_NR ? names[why] : "?";
}

/* A frame read behind a virtio-net header (n bytes in all): its length, or -EMSGSIZE
 * (lost: a header that does not fit the frame, counted by reason); *ofl (NULL: none
 * taken) what it leaves open while large receives are on. */
static int vnet_strip(struct wire *w, const struct vnet_hdr *h, uint8_t *buf, long n,
		      struct wire_ofl *ofl)
{
	enum vnet_bad why;
	int r;

	if (n < (long)VNET_HLEN)
		return -EMSGSIZE;
	r = vnet_rx_finish(h, buf, (uint32_t)(n - VNET_HLEN), w->rx_large ? ofl : NULL, &why);
	if (r == -EBADMSG) {
		w->st.rx_bad_vnet[why]++;
		r = -EMSGSIZE;
	}
	return r;
}

static int tap_recv_ofl(struct wire *w, uint8_t *buf, uint32_t cap, struct wire_ofl *ofl)
{
	struct vnet_hdr h;
	struct iovec iov[2] = { { &h, VNET_HLEN }, { buf, cap } };
	ssize_t n;
	int r;

	w->st.rx_syscalls++;
	if (!w->offloads) {
		n = read(w->fd, buf, cap);
		return rx_result(w, n >= 0 ? (long)n : -(long)errno);
	}
	n = readv(w->fd, iov, 2);
	r = rx_result(w, n >= 0 ? (long)n : -(long)errno);
	return r < 0 ? r : vnet_strip(w, &h, buf, n, ofl);
}

static int tap_recv(struct wire *w, uint8_t *buf, uint32_t cap)
{
	return tap_recv_ofl(w, buf, cap, NULL);
}

/* The ring failed (it should not): plain system calls from now on. */
static void uring_lost(struct wtap *t)
{
	uring_free(t->u);
	t->u = NULL;
}

static void tap_send_batch(struct wire *w, struct wire_txf *f, unsigned n)
{
	struct wtap *t = w->priv;
	int res[WIRE_BATCH_MAX];
	unsigned i;

	if (t->u && n > 1) {
		for (i = 0; i < n; i++) {
			unsigned niov = f[i].niov;
			const struct iovec *iov = tx_iov(w, i, f[i].iov, &niov, &f[i].ofl);

			prep_rw(&t->u->sqes[i], IORING_OP_WRITEV, w->fd, iov, niov, i);
		}
		w->st.tx_syscalls++;
		if (uring_run(t->u, n, res) < 0) {
			/* Nothing is known about which went out: count them as not sent. */
			uring_lost(t);
			for (i = 0; i < n; i++)
				f[i].rc = -EAGAIN;
			return;
		}
		if (res[0] != -EOPNOTSUPP) {
			for (i = 0; i < n; i++)
				f[i].rc = tx_result(w, res[i]);
			return;
		}
		/* A kernel whose TAP cannot do RWF_NOWAIT refused them all: nothing was
		 * written, so send them the old way, now and from now on. */
		uring_lost(t);
	}
	for (i = 0; i < n; i++)
		f[i].rc = send_one(w, f[i].iov, f[i].niov, &f[i].ofl);
}

static int tap_recv_batch(struct wire *w, uint8_t *const *bufs, uint32_t cap, unsigned n,
			  int *lens, struct wire_ofl *ofl)
{
	struct wtap *t = w->priv;
	struct iovec iov[WIRE_BATCH_MAX][2];
	int res[WIRE_BATCH_MAX];
	unsigned done = 0, m, i, got;

	/* Post as many reads as came last time (doubling while the TAP keeps them
	 * coming): reads past the last frame only answer -EAGAIN. */
	while (t->u && done < n) {
		m = t->rx_want < n - done ? t->rx_want : n - done;
		for (i = 0; i < m; i++) {
			unsigned k = 0;

			if (w->offloads)
				iov[i][k++] = (struct iovec){ &t->vh[i], VNET_HLEN };
			iov[i][k++] = (struct iovec){ bufs[done + i], cap };
			prep_rw(&t->u->sqes[i], IORING_OP_READV, w->fd, iov[i], k, i);
		}
		w->st.rx_syscalls++;
		if (uring_run(t->u, m, res) < 0) {
			uring_lost(t);
			return (int)done;
		}
		if (res[0] == -EOPNOTSUPP) {
			/* A kernel whose TAP cannot do RWF_NOWAIT refused every read:
			 * nothing was read; the old path takes over for good. */
			uring_lost(t);
			break;
		}
		/* Reads run in slot order, so frames are in order; a frame that came
		 * while an earlier read found the TAP empty leaves an -EAGAIN hole. */
		got = 0;
		for (i = 0; i < m; i++) {
			int r = rx_result(w, res[i]);

			if (r >= 0 && w->offloads)
				r = vnet_strip(w, &t->vh[i], bufs[done + i], r,
					       ofl ? &ofl[done + i] : NULL);
			lens[done + i] = r;
			if (r < 0 && r != -EMSGSIZE && r != -EAGAIN)
				return done + i ? (int)(done + i) : r;	/* seen again next poll */
			if (r != -EAGAIN)
				got = i + 1;
		}
		done += got;
		if (got < m) {
			t->rx_want = got + 1 > 2 ? got + 1 : 2;
			return (int)done;
		}
		t->rx_want = m * 2 < WIRE_BATCH_MAX ? m * 2 : WIRE_BATCH_MAX;
	}
	/* The old path: one read per frame until the TAP is empty. */
	for (i = done; i < n; i++) {
		lens[i] = tap_recv_ofl(w, bufs[i], cap, ofl ? &ofl[i] : NULL);
		if (lens[i] == -EAGAIN)
			break;
		if (lens[i] < 0 && lens[i] != -EMSGSIZE)
			return i ? (int)i : lens[i];
	}
	return (int)i;
}

/* What the host kernel may hand us: large TCP sends whole with their checksums open
 * (CSUM, TSO4, TSO6; never ECN, whose CWR rule we would have to keep for every
 * receiver) or only finished frames.  Only with the virtio-net header. */
static int tap_set_rx_large(struct wire *w, bool on)
{
	unsigned long f = on ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0;

	if (!w->offloads)
		return -EOPNOTSUPP;
	return ioctl(w->fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

static int tap_link(struct wire *w)
{
	struct wtap *t = w->priv;
	struct ifreq ifr;

	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFFLAGS, &ifr) < 0)
		return errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	if (w->failed) {
		/* A read/write saw the device vanish; a TAP re-created under the same
		 * name is not ours (our descriptor is detached). */
		return 0;
	}
	/* IFF_UP only: a TAP has carrier while our descriptor is attached, and
	 * IFF_RUNNING (operstate) follows IFF_UP up to a second late (linkwatch), which
	 * would show a freshly opened TAP as down. */
	return (ifr.ifr_flags & IFF_UP) ? 1 : 0;
}

static int tap_get_mtu(struct wire *w, uint32_t *mtu)
{
	struct wtap *t = w->priv;
	struct ifreq ifr;

	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFMTU, &ifr) < 0)
		return -errno;
	*mtu = (uint32_t)ifr.ifr_mtu;
	return 0;
}

static int tap_get_mac(struct wire *w, uint8_t mac[6])
{
	struct wtap *t = w->priv;
	struct ifreq ifr;

	ifreq_for(&ifr, w);
	if (ioctl(t->ctl, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

const struct wire_class wire_tap_class = {
	.type = "TAP",
	.open = tap_open,
	.close = tap_close,
	.send = tap_send,
	.recv = tap_recv,
	.send_batch = tap_send_batch,
	.recv_batch = tap_recv_batch,
	.set_rx_large = tap_set_rx_large,
	.link = tap_link,
	.get_mtu = tap_get_mtu,
	.get_mac = tap_get_mac,
};
