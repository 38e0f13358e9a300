/* lib/adapt.c - the interrupt/poll state machine (lib/adapt.h): hysteresis both ways,
 * bounded poll phases, counters; pure arithmetic on the caller's clock. */
#include "lib/adapt.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct adapt_cfg defaults = {
	.enter_looks = ADAPT_ENTER_LOOKS,
	.enter_gap_ns = ADAPT_ENTER_GAP_NS,
	.exit_empty = ADAPT_EXIT_EMPTY,
	.exit_idle_ns = ADAPT_EXIT_IDLE_NS,
	.nap_ns = ADAPT_NAP_NS,
	.nap_max_ns = ADAPT_NAP_MAX_NS,
	.nap_batch = ADAPT_NAP_BATCH,
};

struct adapt_cfg adapt_ring_cfg(uint32_t nslots)
{
	struct adapt_cfg c = defaults;

	c.nap_max_ns = ADAPT_RING_NAP_MAX_NS;
	c.nap_batch = ADAPT_RING_NAP_BATCH;
	c.nap_bell = true;
	c.busy_min = ADAPT_RING_BUSY_MIN;
	c.thin_naps = ADAPT_RING_THIN_NAPS;
	if (c.nap_batch > nslots / 2)
		c.nap_batch = nslots / 2 ? nslots / 2 : 1;
	return c;
}

void adapt_init(struct adapt *a, enum adapt_policy p, const struct adapt_cfg *cfg)
{
	*a = (struct adapt){ 0 };
	a->policy = (unsigned)p < ADAPT_POLICY_MAX ? p : ADAPT_ADAPTIVE;
	a->cfg = cfg ? *cfg : defaults;
	if (!a->cfg.enter_looks)
		a->cfg.enter_looks = 1;
	if (!a->cfg.exit_empty)
		a->cfg.exit_empty = 1;
	a->mode = a->policy == ADAPT_POLL ? ADAPT_M_POLL : ADAPT_M_INTERRUPT;
	a->nap_cur = a->cfg.nap_ns;
}

static void set_mode(struct adapt *a, enum adapt_mode m)
{
	a->mode = m;
	a->switches++;
	a->streak = 0;
	a->empty = 0;
	a->thin = 0;
	a->napped = false;
	a->nap_cur = a->cfg.nap_ns;
}

/*
 * The look after a nap found `work`: the next nap gathers about nap_batch items.
 * Timer naps (no nap_bell) aim at half a batch to two, and an empty one changes
 * nothing (the idle bound decides).  Naps a doorbell ends at a batch (nap_bell) grow
 * until it does: a nap the timer ended with less than a batch, or with nothing, was
 * shorter than the producer's gaps -- and each timer wake-up costs the consumer
 * several doorbell wake-ups (doc/rings.md, "naps while polling"); behind a producer
 * that naps itself, an empty nap also ended the poll phase at the idle bound and the
 * consumer went back to a doorbell per batch, a thousand times a second.
 */
static void size_nap(struct adapt *a, unsigned work)
{
	uint64_t max = a->cfg.nap_max_ns > a->cfg.nap_ns ? a->cfg.nap_max_ns : a->cfg.nap_ns;
	unsigned b = a->cfg.nap_batch;

	if (!b || (!work && !a->cfg.nap_bell))
		return;
	if (a->cfg.nap_bell ? work < b : 2u * work < b)
		a->nap_cur = a->nap_cur * 2 < max ? a->nap_cur * 2 : max;
	else if (work > 2u * b)
		a->nap_cur = a->nap_cur / 2 > a->cfg.nap_ns ? a->nap_cur / 2 : a->cfg.nap_ns;
}

void adapt_sleep(struct adapt *a)
{
	a->took_asleep = false;
}

/* A poll phase ends after exit_idle_ns without work, but never within two of the
 * current naps: one empty nap at a lower rate is not idleness. */
static uint64_t idle_bound(const struct adapt *a)
{
	return a->cfg.exit_idle_ns > 2 * a->nap_cur ? a->cfg.exit_idle_ns : 2 * a->nap_cur;
}

/* Is a look that found `work` items `gap` ns after the last one that found work part
 * of a busy series?  Close together; or a nap's whole batch within the longest nap:
 * polling would wake no more often than the doorbells do (a nap gathers that batch),
 * and the producer would stop ringing.  A consumer behind a producer that itself
 * naps gets its work in such batches, each later than enter_gap_ns after the last,
 * and stayed on interrupts for good, its producer paying a doorbell per batch. */
static bool busy_gap(const struct adapt *a, unsigned work, uint64_t gap)
{
	uint64_t max = a->cfg.nap_max_ns > a->cfg.nap_ns ? a->cfg.nap_max_ns : a->cfg.nap_ns;

	return gap <= a->cfg.enter_gap_ns ||
	       (a->cfg.nap_batch && a->cfg.nap_ns && work >= a->cfg.nap_batch && gap <= max);
}

bool adapt_look(struct adapt *a, unsigned work, bool woken, uint64_t now_ns)
{
	bool close = a->seen_work && busy_gap(a, work, now_ns - a->last_work_ns);
	/* The doorbell's work was taken by an earlier look of this wake-up. */
	bool taken_before = a->took_asleep;

	bool thin = work && work < a->cfg.busy_min;	/* some, one at a time */

	a->took_asleep = woken ? false : a->took_asleep || work;
	a->last_found = work;
	if (woken)
		a->interrupts++;
	if (a->mode == ADAPT_M_POLL) {
		if (a->napped) {
			size_nap(a, work);
			if (thin)
				a->thin++;
			else if (work)
				a->thin = 0;
		}
		a->napped = false;
		a->polls++;
		if (work) {
			a->empty = 0;
		} else {
			a->empty_polls++;
			a->empty++;
		}
	}
	if (work) {
		a->last_work_ns = now_ns;
		a->seen_work = true;
	}
	if (a->policy != ADAPT_ADAPTIVE)
		return adapt_polling(a);
	if (a->mode == ADAPT_M_INTERRUPT) {
		if (thin && woken)
			a->streak = 0;	/* a doorbell per item: not busy */
		else if (work && !thin)
			a->streak = close ? a->streak + 1 : 1;
		else if (!work && woken && !taken_before)
			a->streak = 0;	/* a wake-up for nothing: not busy */
		if (a->streak >= a->cfg.enter_looks)
			set_mode(a, ADAPT_M_POLL);
	} else if ((!work && (a->empty >= a->cfg.exit_empty ||
			      now_ns - a->last_work_ns >= idle_bound(a))) ||
		   (a->cfg.thin_naps && a->thin >= a->cfg.thin_naps)) {
		set_mode(a, ADAPT_M_INTERRUPT);
	}
	return adapt_polling(a);
}

uint64_t adapt_nap(struct adapt *a)
{
	if (a->policy != ADAPT_ADAPTIVE || a->mode != ADAPT_M_POLL || !a->cfg.nap_ns ||
	    (a->last_found && a->last_found >= a->cfg.nap_batch))
		return 0;
	return a->nap_cur;
}

int adapt_policy_parse(const char *s, enum adapt_policy *p)
{
	size_t n = s ? strlen(s) : 0;

	/* The three words start with different letters: any prefix is unique. */
	for (unsigned k = 0; n && k < ADAPT_POLICY_MAX; k++) {
		const char *w = adapt_policy_name((enum adapt_policy)k);

		if (n <= strlen(w) && !strncasecmp(s, w, n)) {
			*p = (enum adapt_policy)k;
			return 0;
		}
	}
	return -EINVAL;
}

const char *adapt_policy_name(enum adapt_policy p)
{
	switch (p) {
	case ADAPT_ADAPTIVE: return "ADAPTIVE";
	case ADAPT_INTERRUPT: return "INTERRUPT";
	case ADAPT_POLL: return "POLL";
	default: return "?";
	}
}

const char *adapt_mode_name(enum adapt_mode m)
{
	return m == ADAPT_M_POLL ? "POLL" : "INTERRUPT";
}

void adapt_napped(struct adapt *a)
{
	a->naps++;
	a->napped = true;
}

uint64_t adapt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
