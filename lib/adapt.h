/* lib/adapt.h - when a consumer should sleep on its doorbell and when it should poll:
 * one state machine for every place that chooses (rings, the uplink's wire reader). */
#ifndef CPNET_LIB_ADAPT_H
#define CPNET_LIB_ADAPT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A consumer of a source of work (a shared-memory ring, a TAP) either sleeps until the
 * source signals (INTERRUPT: an eventfd doorbell, an fd in an epoll set) or looks at
 * it again and again without sleeping (POLL).  A wake-up costs the producer a write
 * and the consumer a sleep and a read; at a high rate that is most of the work per
 * frame.  A poll costs a look and the CPU while it finds nothing.  So: sleep while
 * the rate is low, poll while it is high, with hysteresis both ways:
 *
 *   INTERRUPT -> POLL  after `enter_looks` looks in a row that found work, each within
 *                      `enter_gap_ns` of the previous one that did, or each finding
 *                      at least `nap_batch` items within `nap_max_ns` (a nap would
 *                      gather as much: polling wakes no more often, and spares the
 *                      producer its doorbells) (a wake-up that
 *                      finds nothing breaks the series -- unless a look that was not
 *                      a wake-up already took the work since the consumer went to
 *                      sleep (adapt_sleep): a consumer that looks at its source
 *                      before its doorbell finds the doorbell's work gone; a look
 *                      that found nothing and was not a wake-up does not count
 *                      either way: the consumer looked because something else woke
 *                      it);
 *   POLL -> INTERRUPT  after `exit_empty` empty polls in a row, or `exit_idle_ns`
 *                      since the last poll that found work, whichever comes first:
 *                      a poll phase is bounded, an idle consumer sleeps.
 *
 * A poll that found nothing is followed by a nap (adapt_nap): a timed sleep with the
 * doorbell unarmed -- or, on a ring, set to ring only once `nap_batch` entries wait
 * (`nap_bell`) -- so the producer does not ring per batch and the next look takes
 * what came meanwhile as one batch.  The nap's length follows the rate: it starts at
 * `nap_ns`, doubles (up to `nap_max_ns`) while the look after a nap finds less than
 * half of `nap_batch` items (with `nap_bell`: less than `nap_batch`, or nothing) and
 * halves (down to `nap_ns`) while it finds more than twice as many -- a wake-up per
 * `nap_batch` items or per `nap_max_ns`, whichever comes first (ethtool's rx-frames /
 * rx-usecs, chosen by the consumer itself).  Spinning instead would take the
 * CPU from the producer on a host with fewer CPUs than busy processes (this one has
 * two) and make the producer's gaps, and so the poll phases, end sooner; a nap costs a
 * timer wake-up per nap, never one per frame.  The nap is interrupt moderation
 * done by the consumer (NAPI's deferred interrupts with a flush timer); it adds
 * the nap (at most `nap_max_ns` plus the kernel's timer slack) to a frame's latency,
 * only while polling; an idle consumer is back on its doorbell.
 *
 * The policy fixes the mode for measurement: ADAPT_INTERRUPT never polls, ADAPT_POLL
 * never sleeps (a consumer that polls for ever: benchmarks only).  The caller owns the
 * clock (tests inject one) and says after each look what it found; it never sleeps
 * while adapt_polling() and arms its doorbell before sleeping (doc/rings.md).
 */
enum adapt_policy { ADAPT_ADAPTIVE = 0, ADAPT_INTERRUPT, ADAPT_POLL, ADAPT_POLICY_MAX };
enum adapt_mode { ADAPT_M_INTERRUPT = 0, ADAPT_M_POLL };

struct adapt_cfg {
	unsigned enter_looks;
	uint64_t enter_gap_ns;
	unsigned exit_empty;
	uint64_t exit_idle_ns;
	uint64_t nap_ns;	/* the first and shortest nap; 0: spin (look again at once) */
	uint64_t nap_max_ns;	/* the longest (<= nap_ns: every nap is nap_ns) */
	unsigned nap_batch;	/* the items a nap should gather (0: fixed naps) */
	/* The producer ends a nap once nap_batch items wait (a ring's fill-threshold
	 * doorbell, shr_nap): the nap's timer only bounds what comes in smaller
	 * numbers, so a nap that gathered less than a batch -- or nothing -- is
	 * followed by a longer one; the doorbell, not the timer, ends the naps of a
	 * steady high rate.  Without it (a TAP: no doorbell while polling) the naps
	 * are kept where they gather half a batch to two. */
	bool nap_bell;
	/* One item at a time is not a high rate (0: off): a look that found fewer than
	 * `busy_min` items does not count toward the busy series (a wake-up that did
	 * breaks it), and after `thin_naps` naps in a row whose looks found some but
	 * fewer, the poll phase ends.  A request and its response, or a slow stream,
	 * come a frame per look: a doorbell per frame wakes the consumer in microseconds
	 * and costs less than a nap's timer, which would make each wait for the nap. */
	unsigned busy_min;
	unsigned thin_naps;
};

/* The defaults (doc/rings.md, "Adaptive interrupt and polling", says why these). */
#define ADAPT_ENTER_LOOKS	4
#define ADAPT_ENTER_GAP_NS	200000ull	/* 200 us: 5000 batches/s and more */
#define ADAPT_EXIT_EMPTY	2000
#define ADAPT_EXIT_IDLE_NS	500000ull	/* 500 us without work (or two of the
						 * current naps, if longer): sleep */
#define ADAPT_NAP_NS		50000ull	/* 50 us: the first nap */
#define ADAPT_NAP_MAX_NS	500000ull	/* 500 us: the longest */
#define ADAPT_NAP_BATCH		32u

/* A shared-memory ring's consumer (vmlink, a port handle: nap_bell): its producer
 * rings once a nap's batch waits, so the naps may be longer and the batch bigger
 * without a frame of a busy ring waiting for the timer (doc/rings.md, "naps while
 * polling").  The other fields are the defaults above. */
#define ADAPT_RING_NAP_BATCH	64u		/* 64 entries: 64 frames up to 2 KiB */
#define ADAPT_RING_NAP_MAX_NS	1000000ull	/* 1 ms: what a straggler may wait */
#define ADAPT_RING_BUSY_MIN	2u		/* a batch: two frames or more */
#define ADAPT_RING_THIN_NAPS	4u
/* The thresholds for a ring of `nslots` entries: the defaults above with the ring's
 * naps; a nap's batch is at most half the ring (a port handle's ring may have 16
 * entries), so that the producer's doorbell (adapt_nap_fill), the nap sizing and the
 * batch rules all count the same batch. */
struct adapt_cfg adapt_ring_cfg(uint32_t nslots);

struct adapt {
	enum adapt_policy policy;
	enum adapt_mode mode;
	struct adapt_cfg cfg;
	unsigned streak;	/* INTERRUPT: looks in a row with work, close together */
	unsigned empty;		/* POLL: empty polls in a row */
	unsigned thin;		/* POLL: naps in a row that found under busy_min */
	uint64_t last_work_ns;	/* the last look that found work */
	bool seen_work;
	bool took_asleep;	/* a look that was not a wake-up found work since the
				 * consumer last went to sleep: the next wake-up's work */
	bool napped;		/* the next look is the first after a nap */
	unsigned last_found;	/* what the last look found */
	uint64_t nap_cur;	/* the current nap's length (POLL mode) */
	/* Counters (QUERY ... DETAILS): mode switches, wake-ups from sleep, polls and
	 * the empty ones among them, naps taken (adapt_napped). */
	uint64_t switches, interrupts, polls, empty_polls, naps;
};

/* cfg NULL: the defaults. */
void adapt_init(struct adapt *a, enum adapt_policy p, const struct adapt_cfg *cfg);
/* One look at the source found `work` items (0: none) at now_ns; `woken` when the look
 * followed a wake-up from sleep on this source's doorbell (counted as an interrupt).
 * In POLL mode every look is a poll.  Returns adapt_polling() after the look. */
bool adapt_look(struct adapt *a, unsigned work, bool woken, uint64_t now_ns);
/* The consumer is going to sleep on its doorbell (armed it): the next wake-up is for
 * what comes from now on. */
void adapt_sleep(struct adapt *a);
static inline bool adapt_polling(const struct adapt *a)
{
	return a->mode == ADAPT_M_POLL;
}

/* The consumer polls and its last look found nothing, or less than a nap's batch (the
 * source is drained; looking again at once would take a frame or two per look, a
 * ping-pong with the producer): it may sleep up to the returned time, doorbell
 * unarmed, before its next look (woken earlier by something else is fine).  0: look
 * again at once (not polling, the last look found a whole batch, or ADAPT_POLL, which
 * spins: benchmarks only).  Asking counts nothing: a consumer that takes the nap
 * (leaves its source alone for it) says so with adapt_napped, so that `naps` counts
 * naps taken, not naps offered, and the next look sizes the naps after it. */
uint64_t adapt_nap(struct adapt *a);
void adapt_napped(struct adapt *a);
/* The fill (entries waiting) at which a ring of `nslots` entries should ring a
 * consumer that naps: a nap's batch, but never more than half the ring (a nap must
 * not stop the producer); half the ring when the naps have no batch. */
static inline uint32_t adapt_nap_fill(const struct adapt *a, uint32_t nslots)
{
	uint32_t b = a->cfg.nap_batch;

	return b && b < nslots / 2 ? b : nslots / 2;
}

/* "adaptive" | "interrupt" | "poll" (any case, abbreviations from one letter): 0 with
 * *p set, or -EINVAL. */
int adapt_policy_parse(const char *s, enum adapt_policy *p);
const char *adapt_policy_name(enum adapt_policy p);	/* "ADAPTIVE" ... */
const char *adapt_mode_name(enum adapt_mode m);		/* "INTERRUPT" | "POLL" */
/* CLOCK_MONOTONIC in ns: what the callers that are not tests pass as now_ns. */
uint64_t adapt_now_ns(void);

#endif
