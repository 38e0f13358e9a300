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
 *                      `enter_gap_ns` of the previous one that did (a wake-up that
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
 * A poll that found nothing is followed by a nap (adapt_nap): a timed sleep of
 * `nap_ns` with the doorbell still unarmed, so the producer keeps not ringing and the
 * next look takes what came meanwhile as one batch.  Spinning instead would take the
 * CPU from the producer on a host with fewer CPUs than busy processes (this one has
 * two) and make the producer's gaps, and so the poll phases, end sooner; a nap costs a
 * timer wake-up per `nap_ns`, never one per frame.  The nap is interrupt moderation
 * done by the consumer (NAPI's deferred interrupts with a flush timer); it adds at most
 * `nap_ns` (plus the kernel's timer slack) to a frame's latency, only while polling.
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
	uint64_t nap_ns;	/* 0: spin (look again at once) */
};

/* The defaults (doc/rings.md, "Adaptive interrupt and polling", says why these). */
#define ADAPT_ENTER_LOOKS	4
#define ADAPT_ENTER_GAP_NS	200000ull	/* 200 us: 5000 batches/s and more */
#define ADAPT_EXIT_EMPTY	2000
#define ADAPT_EXIT_IDLE_NS	500000ull	/* 500 us without work: sleep */
#define ADAPT_NAP_NS		100000ull	/* 100 us between empty polls */

struct adapt {
	enum adapt_policy policy;
	enum adapt_mode mode;
	struct adapt_cfg cfg;
	unsigned streak;	/* INTERRUPT: looks in a row with work, close together */
	unsigned empty;		/* POLL: empty polls in a row */
	uint64_t last_work_ns;	/* the last look that found work */
	bool seen_work;
	bool took_asleep;	/* a look that was not a wake-up found work since the
				 * consumer last went to sleep: the next wake-up's work */
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

/* The consumer polls and its last look found nothing: it may sleep up to the returned
 * time, doorbell unarmed, before its next look (woken earlier by something else is
 * fine).  0: look again at once (not polling, the last look found work, or ADAPT_POLL,
 * which spins: benchmarks only).  Asking counts nothing: a consumer that takes the nap
 * (leaves its source alone for it) says so with adapt_napped, so that `naps` counts
 * naps taken, not naps offered. */
uint64_t adapt_nap(struct adapt *a);
static inline void adapt_napped(struct adapt *a)
{
	a->naps++;
}

/* "adaptive" | "interrupt" | "poll" (any case, abbreviations from one letter): 0 with
 * *p set, or -EINVAL. */
int adapt_policy_parse(const char *s, enum adapt_policy *p);
const char *adapt_policy_name(enum adapt_policy p);	/* "ADAPTIVE" ... */
const char *adapt_mode_name(enum adapt_mode m);		/* "INTERRUPT" | "POLL" */
/* CLOCK_MONOTONIC in ns: what the callers that are not tests pass as now_ns. */
uint64_t adapt_now_ns(void);

#endif
