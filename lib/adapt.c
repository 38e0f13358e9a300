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
};

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
}

static void set_mode(struct adapt *a, enum adapt_mode m)
{
	a->mode = m;
	a->switches++;
	a->streak = 0;
	a->empty = 0;
}

void adapt_sleep(struct adapt *a)
{
	a->took_asleep = false;
}

bool adapt_look(struct adapt *a, unsigned work, bool woken, uint64_t now_ns)
{
	bool close = a->seen_work && now_ns - a->last_work_ns <= a->cfg.enter_gap_ns;
	/* The doorbell's work was taken by an earlier look of this wake-up. */
	bool taken_before = a->took_asleep;

	a->took_asleep = woken ? false : a->took_asleep || work;
	if (woken)
		a->interrupts++;
	if (a->mode == ADAPT_M_POLL) {
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
		if (work)
			a->streak = close ? a->streak + 1 : 1;
		else if (woken && !taken_before)
			a->streak = 0;	/* a wake-up for nothing: not busy */
		if (a->streak >= a->cfg.enter_looks)
			set_mode(a, ADAPT_M_POLL);
	} else if (!work && (a->empty >= a->cfg.exit_empty ||
			     now_ns - a->last_work_ns >= a->cfg.exit_idle_ns)) {
		set_mode(a, ADAPT_M_INTERRUPT);
	}
	return adapt_polling(a);
}

uint64_t adapt_nap(struct adapt *a)
{
	if (a->policy != ADAPT_ADAPTIVE || a->mode != ADAPT_M_POLL || !a->empty ||
	    !a->cfg.nap_ns)
		return 0;
	return a->cfg.nap_ns;
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

uint64_t adapt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
