/* lib/shmring.c - the shared-memory ring pair (see shmring.h): layout, the producer
 * and consumer halves with their ordering, doorbells, and the checks on the peer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create, F_ADD_SEALS */
#endif
#include "lib/shmring.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_MAGIC	0
#define HDR_VERSION	4
#define HDR_NSLOTS	8
#define HDR_SLOTSIZE	12
#define HDR_SIZE	16
#define CTL_OFF		256	/* queue q's control at CTL_OFF + q * CTL_SIZE */
#define CTL_SIZE	256
#define DESC_OFF	4096
#define DESC_SIZE	8	/* u32 len, u32 flags */
#define DESC_FLAGS	4
#define PAGE		4096u

/* A queue's control block: each word on its own cache line (two writers never share
 * one).  Accessed only with __atomic builtins. */
struct shr_q {
	uint32_t prod;
	uint8_t pad0[60];
	uint32_t cons;
	uint8_t pad1[60];
	uint32_t sleeps;
	uint8_t pad2[60];
	uint32_t waits;
	uint8_t pad3[60];
};
_Static_assert(sizeof(struct shr_q) == CTL_SIZE, "queue control is 4 cache lines");
_Static_assert(CTL_OFF + 2 * CTL_SIZE <= DESC_OFF, "control fits the first page");

static size_t round_page(size_t n)
{
	return (n + PAGE - 1) & ~(size_t)(PAGE - 1);
}

static size_t area_size(uint32_t nslots, uint32_t slot_size, size_t *slots_off)
{
	size_t d = round_page((size_t)2 * nslots * DESC_SIZE);

	*slots_off = DESC_OFF + d;
	return *slots_off + round_page((size_t)2 * nslots * slot_size);
}

static bool sizes_ok(uint32_t nslots, uint32_t slot_size)
{
	return nslots >= 2 && nslots <= SHR_MAX_SLOTS && !(nslots & (nslots - 1)) &&
	       slot_size >= SHR_MIN_SLOT && slot_size <= SHR_MAX_SLOT &&
	       (slot_size % 64 == 0 || !(slot_size & (slot_size - 1)));
}

/* Point the queue pointers into the map; A sends on queue 0, B on queue 1. */
static void layout(struct shring *r, size_t slots_off)
{
	uint8_t *q0 = r->map + CTL_OFF, *q1 = q0 + CTL_SIZE;
	uint8_t *d0 = r->map + DESC_OFF, *d1 = d0 + (size_t)r->nslots * DESC_SIZE;
	uint8_t *s0 = r->map + slots_off, *s1 = s0 + (size_t)r->nslots * r->slot_size;

	r->txq = (struct shr_q *)(r->side_b ? q1 : q0);
	r->rxq = (struct shr_q *)(r->side_b ? q0 : q1);
	r->txd = r->side_b ? d1 : d0;
	r->rxd = r->side_b ? d0 : d1;
	r->txs = r->side_b ? s1 : s0;
	r->rxs = r->side_b ? s0 : s1;
}

int shr_create(struct shring *r, uint32_t nslots, uint32_t slot_size)
{
	return shr_create_extra(r, nslots, slot_size, 0);
}

int shr_create_extra(struct shring *r, uint32_t nslots, uint32_t slot_size, size_t extra)
{
	size_t slots_off, size;
	int rc;

	memset(r, 0, sizeof(*r));
	r->memfd = r->bell_me = r->bell_peer = -1;
	if (!sizes_ok(nslots, slot_size) || extra > SHR_MAX_EXTRA)
		return -EINVAL;
	size = area_size(nslots, slot_size, &slots_off);
	r->extra_size = round_page(extra);
	size += r->extra_size;
	r->memfd = memfd_create("cpnet-ring", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (r->memfd < 0)
		return -errno;
	/* Sealed before anyone else sees it: the peer cannot truncate the area under our
	 * mapping (which would turn our next access into SIGBUS). */
	if (ftruncate(r->memfd, (off_t)size) < 0 ||
	    fcntl(r->memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		goto fail_errno;
	r->bell_me = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->bell_peer = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->bell_me < 0 || r->bell_peer < 0)
		goto fail_errno;
	r->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		goto fail_errno;
	}
	r->size = size;
	r->nslots = nslots;
	r->slot_size = slot_size;
	memcpy(r->map + HDR_MAGIC, &(uint32_t){ SHR_MAGIC }, 4);
	memcpy(r->map + HDR_VERSION, &(uint32_t){ SHR_VERSION }, 4);
	memcpy(r->map + HDR_NSLOTS, &nslots, 4);
	memcpy(r->map + HDR_SLOTSIZE, &slot_size, 4);
	memcpy(r->map + HDR_SIZE, &(uint64_t){ size }, 8);
	layout(r, slots_off);
	r->extra = r->extra_size ? r->map + size - r->extra_size : NULL;
	return 0;

fail_errno:
	rc = -errno;
	shr_free(r);
	return rc;
}

void shr_fds(const struct shring *r, int fds[3])
{
	fds[0] = r->memfd;
	fds[1] = r->side_b ? r->bell_peer : r->bell_me;
	fds[2] = r->side_b ? r->bell_me : r->bell_peer;
}

int shr_attach(struct shring *r, const int fds[3])
{
	uint32_t magic, version, nslots, slot_size;
	uint64_t hsize;
	size_t slots_off, size;
	struct stat st;
	uint8_t hdr[24];
	int seals, rc;

	memset(r, 0, sizeof(*r));
	r->side_b = true;
	r->memfd = fds[0];
	r->bell_peer = fds[1];
	r->bell_me = fds[2];
	if (fstat(r->memfd, &st) < 0)
		goto fail_errno;
	seals = fcntl(r->memfd, F_GET_SEALS);
	if (!S_ISREG(st.st_mode) || seals < 0 || !(seals & F_SEAL_SHRINK) ||
	    (size_t)st.st_size < DESC_OFF) {
		rc = -EPROTO;
		goto fail;
	}
	if (pread(r->memfd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		goto fail_errno;
	memcpy(&magic, hdr + HDR_MAGIC, 4);
	memcpy(&version, hdr + HDR_VERSION, 4);
	memcpy(&nslots, hdr + HDR_NSLOTS, 4);
	memcpy(&slot_size, hdr + HDR_SLOTSIZE, 4);
	memcpy(&hsize, hdr + HDR_SIZE, 8);
	if (magic != SHR_MAGIC || version != SHR_VERSION) {
		rc = -EPROTO;
		goto fail;
	}
	if (!sizes_ok(nslots, slot_size)) {
		rc = -EINVAL;
		goto fail;
	}
	size = area_size(nslots, slot_size, &slots_off);
	/* Beyond the rings: the user's extra area, whole pages, bounded. */
	if (hsize != (uint64_t)st.st_size || hsize < size || (hsize - size) % PAGE ||
	    hsize - size > SHR_MAX_EXTRA) {
		rc = -EINVAL;
		goto fail;
	}
	r->extra_size = (size_t)(hsize - size);
	size = (size_t)hsize;
	r->map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		goto fail_errno;
	}
	r->size = size;
	r->nslots = nslots;
	r->slot_size = slot_size;
	layout(r, slots_off);
	r->extra = r->extra_size ? r->map + size - r->extra_size : NULL;
	/* Start where A's side is now (a fresh area: 0; never trusted beyond a check). */
	r->tx_prod = r->tx_pub = r->tx_cons = __atomic_load_n(&r->txq->prod, __ATOMIC_ACQUIRE);
	r->rx_cons = r->rx_pub = r->rx_prod = __atomic_load_n(&r->rxq->cons, __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&r->txq->cons, __ATOMIC_ACQUIRE) != r->tx_prod ||
	    __atomic_load_n(&r->rxq->prod, __ATOMIC_ACQUIRE) != r->rx_cons) {
		rc = -EPROTO;	/* not a fresh area */
		goto fail;
	}
	return 0;

fail_errno:
	rc = -errno;
fail:
	shr_free(r);
	return rc;
}

void shr_free(struct shring *r)
{
	if (r->map)
		munmap(r->map, r->size);
	if (r->memfd >= 0)
		close(r->memfd);
	if (r->bell_me >= 0)
		close(r->bell_me);
	if (r->bell_peer >= 0)
		close(r->bell_peer);
	memset(r, 0, sizeof(*r));
	r->memfd = r->bell_me = r->bell_peer = -1;
	r->broken = SHR_OK;
}

void shr_break(struct shring *r, enum shr_break why)
{
	if (!r->broken)
		r->broken = why;
}

static void ring_peer(struct shring *r)
{
	uint64_t one = 1;
	ssize_t w = write(r->bell_peer, &one, sizeof(one));

	/* EAGAIN: the counter is already near its top, so the peer wakes anyway. */
	(void)w;
	r->bells++;
}

/* ---- producer ---------------------------------------------------------------------- */

/* The peer's consumer index, checked: between what we saw last and what we produced
 * (a peer cannot take what we did not publish, nor give back twice). */
static bool load_tx_cons(struct shring *r)
{
	uint32_t c = __atomic_load_n(&r->txq->cons, __ATOMIC_ACQUIRE);

	if ((uint32_t)(c - r->tx_cons) > (uint32_t)(r->tx_pub - r->tx_cons)) {
		shr_break(r, SHR_BAD_CONS);
		return false;
	}
	r->tx_cons = c;
	return true;
}

uint32_t shr_max_msg(const struct shring *r)
{
	uint64_t m = (uint64_t)(r->nslots / 2) * r->slot_size;

	if (m < r->slot_size)
		m = r->slot_size;
	return m > SHR_MAX_MSG ? SHR_MAX_MSG : (uint32_t)m;
}

/* Entries a message of len bytes takes (len <= shr_max_msg: no overflow). */
static uint32_t entries(const struct shring *r, uint32_t len)
{
	return len <= r->slot_size ? 1 : (uint32_t)(((uint64_t)len + r->slot_size - 1) / r->slot_size);
}

static uint32_t tx_free(const struct shring *r)
{
	return r->nslots - (r->tx_prod - r->tx_cons);
}

/* The entries a message of len bytes (<= shr_max_msg) takes at the producer's place,
 * the wrap entry's included; *pad = those of the wrap. */
static uint32_t tx_need(const struct shring *r, uint32_t len, uint32_t *pad)
{
	uint32_t k = entries(r, len), i = r->tx_prod & (r->nslots - 1);

	/* A message never wraps: the entries up to the end go as one wrap entry. */
	*pad = i + k > r->nslots ? r->nslots - i : 0;
	return *pad + k;
}

uint32_t shr_tx_need(const struct shring *r, uint32_t len)
{
	uint32_t pad;

	return len > shr_max_msg(r) ? r->nslots : tx_need(r, len, &pad);
}

int shr_tx_reserve(struct shring *r, uint32_t len, bool bell, uint8_t **out)
{
	uint32_t i, pad, need;

	if (r->broken)
		return -EPIPE;
	if (len > shr_max_msg(r))
		return -EMSGSIZE;
	need = tx_need(r, len, &pad);
	i = r->tx_prod & (r->nslots - 1);
	if (tx_free(r) < need) {
		if (!load_tx_cons(r))
			return -EPIPE;
		if (tx_free(r) < need && !bell) {
			r->tx_full++;
			return -EAGAIN;
		}
		if (tx_free(r) < need) {
			/* Full: ask for a doorbell once enough is free, then look once more
			 * (it may have emptied between the look and the flag). */
			__atomic_store_n(&r->txq->waits, need, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (!load_tx_cons(r))
				return -EPIPE;
			if (tx_free(r) < need) {
				r->tx_full++;
				return -EAGAIN;
			}
			__atomic_store_n(&r->txq->waits, 0, __ATOMIC_RELAXED);
		}
	}
	r->tx_pad = pad;
	*out = r->txs + (size_t)((i + pad) & (r->nslots - 1)) * r->slot_size;
	return 0;
}

uint8_t *shr_tx_slot(struct shring *r)
{
	uint8_t *p;

	return shr_tx_reserve(r, r->slot_size, true, &p) == 0 ? p : NULL;
}

uint8_t *shr_tx_slot_nobell(struct shring *r)
{
	uint8_t *p;

	return shr_tx_reserve(r, r->slot_size, false, &p) == 0 ? p : NULL;
}

uint32_t shr_tx_room(struct shring *r)
{
	if (r->broken || !load_tx_cons(r))
		return 0;
	return tx_free(r);
}

bool shr_tx_want(struct shring *r, uint32_t room)
{
	if (r->broken)
		return true;	/* let the caller find it */
	if (room < 1)
		room = 1;
	if (room > r->nslots)
		room = r->nslots;
	__atomic_store_n(&r->txq->waits, room, __ATOMIC_RELAXED);
	/* Pairs with the consumer's fence between giving slots back and reading `waits`:
	 * it either sees the wish or gave back before our re-check. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!load_tx_cons(r) || r->nslots - (r->tx_prod - r->tx_cons) >= room) {
		__atomic_store_n(&r->txq->waits, 0, __ATOMIC_RELAXED);
		return true;
	}
	return false;
}

static void put_desc(struct shring *r, uint32_t len, uint32_t flags)
{
	uint8_t *d = r->txd + (size_t)(r->tx_prod & (r->nslots - 1)) * DESC_SIZE;

	__atomic_store_n((uint32_t *)d, len, __ATOMIC_RELAXED);
	__atomic_store_n((uint32_t *)(d + DESC_FLAGS), flags, __ATOMIC_RELAXED);
}

void shr_tx_put(struct shring *r, uint32_t len)
{
	if (r->tx_pad) {
		put_desc(r, 0, SHR_DF_WRAP);
		r->tx_prod += r->tx_pad;
		r->tx_pad = 0;
	}
	put_desc(r, len, 0);
	r->tx_prod += entries(r, len);
	r->tx_frames++;
}

/* The consumer's `sleeps`: 0 awake, 1 asleep (ring at the first entry), n > 1 napping
 * (ring once n entries wait; shr_nap).  The consumer's index is the peer's word: a
 * wrong one only makes us ring, or not, before its nap ends by itself. */
static bool want_bell(struct shring *r)
{
	uint32_t s = __atomic_load_n(&r->txq->sleeps, __ATOMIC_RELAXED);

	return s == 1 ||
	       (s > 1 && r->tx_pub - __atomic_load_n(&r->txq->cons, __ATOMIC_RELAXED) >= s);
}

int shr_tx_publish(struct shring *r)
{
	if (r->broken)
		return -EPIPE;
	if (r->tx_pub == r->tx_prod)
		return 0;
	r->tx_pub = r->tx_prod;
	__atomic_store_n(&r->txq->prod, r->tx_pub, __ATOMIC_RELEASE);
	/* Pairs with the consumer's fence between setting `sleeps` and its re-check. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (want_bell(r) && __atomic_exchange_n(&r->txq->sleeps, 0, __ATOMIC_RELAXED))
		ring_peer(r);
	return 0;
}

/* ---- consumer ---------------------------------------------------------------------- */

/* The peer's producer index, checked: never back, never more than a ring ahead of
 * what we have taken. */
static bool load_rx_prod(struct shring *r)
{
	uint32_t p = __atomic_load_n(&r->rxq->prod, __ATOMIC_ACQUIRE);

	if ((uint32_t)(p - r->rx_cons) > r->nslots ||
	    (uint32_t)(p - r->rx_cons) < (uint32_t)(r->rx_prod - r->rx_cons)) {
		shr_break(r, SHR_BAD_PROD);
		return false;
	}
	r->rx_prod = p;
	return true;
}

/* At least k entries published past rx_cons (looking at the shared index again when
 * the last validated one shows fewer).  False: not (or the ring broke meanwhile). */
static bool rx_avail(struct shring *r, uint32_t k)
{
	if (r->rx_prod - r->rx_cons >= k)
		return true;
	return load_rx_prod(r) && r->rx_prod - r->rx_cons >= k;
}

int shr_rx_get(struct shring *r, uint8_t *buf, uint32_t cap)
{
	const uint8_t *m;
	int len = shr_rx_ref(r, &m, cap);

	if (len > 0)
		memcpy(buf, m, (size_t)len);
	return len;
}

int shr_rx_ref(struct shring *r, const uint8_t **msg, uint32_t cap)
{
	uint32_t i, len, flags, k;
	const uint8_t *d;

	if (r->broken)
		return -EPIPE;
	if (r->rx_cons == r->rx_prod && (!load_rx_prod(r) || r->rx_cons == r->rx_prod))
		return r->broken ? -EPIPE : 0;
	i = r->rx_cons & (r->nslots - 1);
	d = r->rxd + (size_t)i * DESC_SIZE;
	/* Each word read once: what follows uses these values, whatever the peer writes
	 * next. */
	flags = __atomic_load_n((const uint32_t *)(d + DESC_FLAGS), __ATOMIC_RELAXED);
	if (flags == SHR_DF_WRAP && i) {
		/* The entries to the end carry nothing: published with the message after
		 * them (one store of prod), so all of them are there. */
		k = r->nslots - i;
		if (!rx_avail(r, k)) {
			shr_break(r, SHR_BAD_LEN);
			return -EPIPE;
		}
		r->rx_cons += k;
		if (r->rx_cons == r->rx_prod && (!load_rx_prod(r) || r->rx_cons == r->rx_prod))
			return r->broken ? -EPIPE : 0;
		i = 0;
		d = r->rxd;
		flags = __atomic_load_n((const uint32_t *)(d + DESC_FLAGS), __ATOMIC_RELAXED);
	}
	if (flags) {	/* unknown, or a wrap at entry 0 (it would skip the whole ring) */
		shr_break(r, SHR_BAD_DESC);
		return -EPIPE;
	}
	len = __atomic_load_n((const uint32_t *)d, __ATOMIC_RELAXED);
	if (len > cap || len > shr_max_msg(r)) {
		shr_break(r, SHR_BAD_LEN);
		return -EPIPE;
	}
	k = entries(r, len);
	if (i + k > r->nslots || !rx_avail(r, k)) {
		shr_break(r, SHR_BAD_LEN);
		return -EPIPE;
	}
	*msg = r->rxs + (size_t)i * r->slot_size;
	r->rx_cons += k;
	r->rx_frames++;
	return (int)len;
}

/* The producer's `waits`: 0 none, 1 "ring at the first free slot", n > 1 "ring once n
 * are free" (shr_tx_want).  Free counts from the producer index last validated: a
 * producer that put more since gets rung early, finds less room, and asks again. */
void shr_rx_done(struct shring *r)
{
	uint32_t w;

	if (r->rx_pub == r->rx_cons || r->broken)
		return;
	r->rx_pub = r->rx_cons;
	__atomic_store_n(&r->rxq->cons, r->rx_pub, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w = __atomic_load_n(&r->rxq->waits, __ATOMIC_RELAXED);
	if (w && (w == 1 || r->nslots - (r->rx_prod - r->rx_cons) >= w) &&
	    __atomic_exchange_n(&r->rxq->waits, 0, __ATOMIC_RELAXED))
		ring_peer(r);
}

/* The flag just set and the re-check found work (or a broken ring): take the flag back
 * with an exchange, as the producer takes it, so that exactly one of us has it.  A
 * producer that published between our flag and the re-check may have taken it and
 * rung already; a plain store of 0 then hid that a doorbell is readable that nobody
 * sleeps on and nobody would empty (a reader polling on it spun until something else
 * emptied it). */
static void flag_back_after_recheck(struct shring *r)
{
	if (!__atomic_exchange_n(&r->rxq->sleeps, 0, __ATOMIC_RELAXED))
		r->bell_coming = true;
}

static void recheck_hook(struct shring *r)
{
	if (r->recheck_hook)
		r->recheck_hook(r->recheck_arg);
}

bool shr_arm(struct shring *r)
{
	if (r->broken)
		return true;	/* let the caller find it and drop the link */
	if (r->rx_cons != r->rx_prod)
		return true;
	r->arms++;
	__atomic_store_n(&r->rxq->sleeps, 1, __ATOMIC_RELAXED);
	/* Pairs with the producer's fence between publishing and reading `sleeps`. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	recheck_hook(r);
	if (!load_rx_prod(r) || r->rx_cons != r->rx_prod) {
		flag_back_after_recheck(r);
		return true;
	}
	return false;
}

bool shr_nap(struct shring *r, uint32_t fill)
{
	if (r->broken)
		return true;
	if (fill < 2)
		fill = 2;
	if (fill > r->nslots)
		fill = r->nslots;
	if (!load_rx_prod(r) || r->rx_prod - r->rx_cons >= fill)
		return true;
	__atomic_store_n(&r->rxq->sleeps, fill, __ATOMIC_RELAXED);
	/* Pairs with the producer's fence: it either sees the threshold or published
	 * before our re-check.  (A miss here costs only the nap's timeout.) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	recheck_hook(r);
	if (!load_rx_prod(r) || r->rx_prod - r->rx_cons >= fill) {
		flag_back_after_recheck(r);
		return true;
	}
	return false;
}

bool shr_disarm(struct shring *r)
{
	/* Load first: a polling consumer must not write the producer's cache line on
	 * every look.  Then an exchange, not a store: the producer takes the flag with
	 * one too, so exactly one of us has it -- the caller learns whether a doorbell
	 * can still come for it. */
	if (!r->broken && __atomic_load_n(&r->rxq->sleeps, __ATOMIC_RELAXED))
		return __atomic_exchange_n(&r->rxq->sleeps, 0, __ATOMIC_RELAXED) != 0;
	return false;
}

bool shr_armed(const struct shring *r)
{
	return !r->broken && __atomic_load_n(&r->rxq->sleeps, __ATOMIC_RELAXED) != 0;
}

bool shr_rx_pending(const struct shring *r)
{
	if (r->broken)
		return false;
	return r->rx_cons != r->rx_prod ||
	       __atomic_load_n(&r->rxq->prod, __ATOMIC_ACQUIRE) != r->rx_cons;
}

bool shr_bell_coming(struct shring *r)
{
	bool c = r->bell_coming;

	r->bell_coming = false;
	return c;
}

void shr_bell_drain(struct shring *r)
{
	uint64_t v;
	ssize_t n = read(r->bell_me, &v, sizeof(v));

	(void)n;	/* EAGAIN: a spurious wakeup (the peer may ring at will) */
	r->bell_coming = false;
}

const char *shr_break_name(enum shr_break why)
{
	static const char *const names[SHR_BREAK_MAX] = {
		[SHR_OK] = "none",
		[SHR_BAD_PROD] = "producer index out of range",
		[SHR_BAD_CONS] = "consumer index out of range",
		[SHR_BAD_LEN] = "message length beyond the reader's cap or the ring",
		[SHR_BAD_MSG] = "malformed entry",
		[SHR_BAD_DESC] = "descriptor flags unknown or out of place",
	};

	return (unsigned)why < SHR_BREAK_MAX ? names[why] : "?";
}

/* ---- test and fuzz access ---------------------------------------------------------- */

static struct shr_q *queue(struct shring *r, unsigned q)
{
	return (struct shr_q *)(r->map + CTL_OFF + (size_t)(q & 1) * CTL_SIZE);
}

uint32_t *shr_peer_prod(struct shring *r, unsigned q)
{
	return &queue(r, q)->prod;
}

uint32_t *shr_peer_cons(struct shring *r, unsigned q)
{
	return &queue(r, q)->cons;
}

uint32_t *shr_peer_len(struct shring *r, unsigned q, uint32_t i)
{
	uint8_t *d = r->map + DESC_OFF + (size_t)(q & 1) * r->nslots * DESC_SIZE;

	return (uint32_t *)(d + (size_t)(i & (r->nslots - 1)) * DESC_SIZE);
}

uint32_t *shr_peer_flags(struct shring *r, unsigned q, uint32_t i)
{
	return (uint32_t *)((uint8_t *)shr_peer_len(r, q, i) + DESC_FLAGS);
}

uint8_t *shr_peer_slot(struct shring *r, unsigned q, uint32_t i)
{
	uint8_t *base = (q & 1) ? (r->side_b ? r->txs : r->rxs) : (r->side_b ? r->rxs : r->txs);

	return base + (size_t)(i & (r->nslots - 1)) * r->slot_size;
}

void shr_reset(struct shring *r)
{
	if (!r->map)
		return;
	memset(r->map + CTL_OFF, 0, 2 * CTL_SIZE);
	memset(r->map + DESC_OFF, 0, (size_t)2 * r->nslots * DESC_SIZE);
	r->tx_prod = r->tx_pub = r->tx_cons = 0;
	r->rx_cons = r->rx_pub = r->rx_prod = 0;
	r->tx_pad = 0;
	r->broken = SHR_OK;
	r->bell_coming = false;
	r->bells = r->arms = r->tx_frames = r->rx_frames = r->tx_full = 0;
	shr_bell_drain(r);
}
