/* tests/unit/test_adapt.c - the interrupt/poll state machine (lib/adapt) on an injected
 * clock: hysteresis both ways, bounded poll phases, counters, the fixed policies. */
#include <errno.h>

#include "lib/adapt.h"
#include "tests/tcheck.h"

#define US 1000ull

static const struct adapt_cfg cfg = {
	.enter_looks = 3, .enter_gap_ns = 100 * US, .exit_empty = 10, .exit_idle_ns = 500 * US,
};

TEST(adapt_busy_wakeups_switch_to_poll_only_in_a_close_series)
{
	struct adapt a;
	uint64_t now = 1000 * US;

	adapt_init(&a, ADAPT_ADAPTIVE, &cfg);
	CHECK(!adapt_polling(&a));
	/* Work, but far apart: a low rate stays on interrupts however long it lasts. */
	for (int i = 0; i < 20; i++, now += 150 * US)
		CHECK(!adapt_look(&a, 1, true, now));
	CHECK_EQ(a.interrupts, 20);
	CHECK_EQ(a.switches, 0);
	/* Two close ones, then a wake-up for nothing: the series starts again. */
	CHECK(!adapt_look(&a, 1, true, now += 10 * US));
	CHECK(!adapt_look(&a, 1, true, now += 10 * US));
	CHECK(!adapt_look(&a, 0, true, now += 10 * US));
	CHECK(!adapt_look(&a, 1, true, now += 10 * US));
	/* An empty look that was not a wake-up (another source woke the consumer)
	 * neither counts nor breaks the series. */
	CHECK(!adapt_look(&a, 0, false, now += 1 * US));
	CHECK(!adapt_look(&a, 1, true, now += 10 * US));
	CHECK_EQ(a.polls, 0);
	CHECK(adapt_look(&a, 1, false, now += 10 * US));	/* the third close one */
	CHECK_EQ(a.switches, 1);
	CHECK_EQ(a.polls, 0);
	CHECK_EQ(a.interrupts, 25);
}

TEST(adapt_poll_phase_ends_after_bounded_empty_polls_or_idle_time)
{
	struct adapt a;
	uint64_t now = 0;

	adapt_init(&a, ADAPT_ADAPTIVE, &cfg);
	for (int i = 0; i < 3; i++)
		adapt_look(&a, 4, true, now += 5 * US);
	REQUIRE(adapt_polling(&a));
	/* Empty polls that come fast: the count ends the phase (10). */
	for (int i = 0; i < 9; i++)
		CHECK(adapt_look(&a, 0, false, now += 1));
	/* Work resets the count. */
	CHECK(adapt_look(&a, 2, false, now += 1));
	for (int i = 0; i < 9; i++)
		CHECK(adapt_look(&a, 0, false, now += 1));
	CHECK(!adapt_look(&a, 0, false, now += 1));
	CHECK_EQ(a.switches, 2);
	CHECK_EQ(a.polls, 20);
	CHECK_EQ(a.empty_polls, 19);
	/* Slow empty polls (a loaded machine): the time ends the phase after 500 us
	 * without work, long before ten of them. */
	for (int i = 0; i < 3; i++)
		adapt_look(&a, 1, true, now += 5 * US);
	REQUIRE(adapt_polling(&a));
	CHECK(adapt_look(&a, 0, false, now += 300 * US));
	CHECK(!adapt_look(&a, 0, false, now += 200 * US));
	CHECK_EQ(a.switches, 4);
	/* Back on interrupts: hysteresis -- one busy wake-up does not switch again. */
	CHECK(!adapt_look(&a, 1, true, now += 1 * US));
	CHECK(!adapt_look(&a, 1, true, now += 1 * US));
	CHECK(adapt_look(&a, 1, true, now += 1 * US));
}

TEST(adapt_idle_consumer_always_ends_up_sleeping)
{
	struct adapt a;
	uint64_t now = 0;
	unsigned polls = 0;

	adapt_init(&a, ADAPT_ADAPTIVE, NULL);
	while (!adapt_polling(&a) && now < 1000000 * US)
		adapt_look(&a, 8, true, now += 10 * US);
	REQUIRE(adapt_polling(&a));
	/* The load stops: whatever the poll rate, the phase is over within the default
	 * bounds (ADAPT_EXIT_EMPTY polls or ADAPT_EXIT_IDLE_NS). */
	while (adapt_look(&a, 0, false, now += 100) && polls < 100000)
		polls++;
	CHECK(!adapt_polling(&a));
	CHECK(polls + 1 <= ADAPT_EXIT_EMPTY);
	CHECK((uint64_t)(polls + 1) * 100 <= ADAPT_EXIT_IDLE_NS + 100);
}

TEST(adapt_fixed_policies_never_switch)
{
	struct adapt a, b;
	uint64_t now = 0;

	adapt_init(&a, ADAPT_INTERRUPT, &cfg);
	adapt_init(&b, ADAPT_POLL, &cfg);
	CHECK(!adapt_polling(&a));
	CHECK(adapt_polling(&b));
	for (int i = 0; i < 100; i++, now += 1 * US) {
		CHECK(!adapt_look(&a, 5, true, now));
		CHECK(adapt_look(&b, 0, false, now + 1000 * US));
	}
	CHECK_EQ(a.switches + b.switches, 0);
	CHECK_EQ(a.interrupts, 100);
	CHECK_EQ(a.polls, 0);
	CHECK_EQ(b.polls, 100);
	CHECK_EQ(b.empty_polls, 100);
}

TEST(adapt_policy_words)
{
	enum adapt_policy p = ADAPT_POLL;

	CHECK_EQ(adapt_policy_parse("adaptive", &p), 0);
	CHECK_EQ(p, ADAPT_ADAPTIVE);
	CHECK_EQ(adapt_policy_parse("INT", &p), 0);
	CHECK_EQ(p, ADAPT_INTERRUPT);
	CHECK_EQ(adapt_policy_parse("Poll", &p), 0);
	CHECK_EQ(p, ADAPT_POLL);
	CHECK_EQ(adapt_policy_parse("polling", &p), -EINVAL);
	CHECK_EQ(adapt_policy_parse("", &p), -EINVAL);
	CHECK_EQ(adapt_policy_parse("x", &p), -EINVAL);
	CHECK_EQ(p, ADAPT_POLL);
}

TEST(adapt_naps_only_after_an_empty_poll_and_only_when_adaptive)
{
	struct adapt_cfg c = cfg;
	struct adapt a, b;
	uint64_t now = 0;

	c.nap_ns = 40 * US;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	CHECK_EQ(adapt_nap(&a), 0);	/* on interrupts: it arms and sleeps instead */
	for (int i = 0; i < 3; i++)
		adapt_look(&a, 4, true, now += 5 * US);
	REQUIRE(adapt_polling(&a));
	CHECK_EQ(adapt_nap(&a), 0);	/* the last look found work: look again at once */
	CHECK(adapt_look(&a, 0, false, now += 1 * US));
	CHECK_EQ(adapt_nap(&a), 40 * US);
	CHECK_EQ(a.naps, 0);	/* offered, not taken: not counted */
	adapt_napped(&a);
	CHECK(adapt_look(&a, 0, false, now += 45 * US));
	CHECK_EQ(adapt_nap(&a), 40 * US);
	adapt_napped(&a);
	CHECK(adapt_look(&a, 3, false, now += 45 * US));	/* the nap's batch */
	CHECK_EQ(adapt_nap(&a), 0);
	CHECK_EQ(a.naps, 2);
	/* Naps do not keep an idle consumer polling: the idle bound (500 us) ends it. */
	while (adapt_polling(&a) && now < 10000 * US) {
		adapt_look(&a, 0, false, now += 45 * US);
		adapt_nap(&a);
	}
	CHECK(!adapt_polling(&a));
	CHECK(now - a.last_work_ns <= 500 * US + 45 * US);
	CHECK_EQ(adapt_nap(&a), 0);
	/* Poll-only spins (never a nap); nap_ns 0 spins too. */
	adapt_init(&b, ADAPT_POLL, &c);
	adapt_look(&b, 0, false, now);
	CHECK_EQ(adapt_nap(&b), 0);
	c.nap_ns = 0;
	adapt_init(&b, ADAPT_ADAPTIVE, &c);
	for (int i = 0; i < 3; i++)
		adapt_look(&b, 4, true, now += 5 * US);
	adapt_look(&b, 0, false, now += 1 * US);
	CHECK(adapt_polling(&b));
	CHECK_EQ(adapt_nap(&b), 0);
	CHECK_EQ(b.naps, 0);
}

/* A consumer that looks at its source before its doorbell (the CPNIC's reader: its own
 * poll wakes on the doorbell, then vml_poll looks at the ring, then finds the doorbell
 * rung) finds the doorbell's work already taken: that wake-up was not for nothing.  But
 * work taken before it went to sleep does not excuse a wake-up that finds nothing. */
TEST(adapt_wakeup_whose_work_an_earlier_look_took_is_not_for_nothing)
{
	struct adapt a;
	uint64_t now = 1000 * US;

	adapt_init(&a, ADAPT_ADAPTIVE, &cfg);
	for (int i = 0; i < 3; i++) {
		adapt_sleep(&a);
		CHECK_EQ(adapt_polling(&a), false);
		adapt_look(&a, 4, false, now += 10 * US);	/* the ring, emptied */
		adapt_look(&a, 0, true, now += 1 * US);		/* then the doorbell */
	}
	CHECK(adapt_polling(&a));
	CHECK_EQ(a.interrupts, 3);
	CHECK_EQ(a.switches, 1);
	/* Work before the sleep, then a wake-up for nothing: the series starts again. */
	adapt_init(&a, ADAPT_ADAPTIVE, &cfg);
	adapt_sleep(&a);
	adapt_look(&a, 4, false, now += 10 * US);
	adapt_look(&a, 0, true, now += 1 * US);
	adapt_look(&a, 4, false, now += 10 * US);
	adapt_sleep(&a);
	adapt_look(&a, 0, true, now += 10 * US);		/* nothing came */
	adapt_sleep(&a);
	adapt_look(&a, 4, false, now += 10 * US);
	adapt_look(&a, 0, true, now += 1 * US);
	CHECK(!adapt_polling(&a));				/* 1 in the series, not 3 */
	/* One wake-up excuses one empty look after it, not the next wake-up. */
	adapt_look(&a, 0, true, now += 10 * US);
	adapt_sleep(&a);
	adapt_look(&a, 4, false, now += 10 * US);
	adapt_look(&a, 0, true, now += 1 * US);
	adapt_sleep(&a);
	adapt_look(&a, 4, false, now += 10 * US);
	CHECK(!adapt_polling(&a));				/* 2 after the reset */
}

/* Rate-matched naps: the look after a nap sizes the next one so that a nap gathers about
 * nap_batch items -- longer while the batches are small (up to nap_max_ns), shorter while
 * they are big (down to nap_ns); a look that found a whole batch is followed by another
 * look at once, a short one by a nap; the poll phase still ends when the work stops,
 * after two of the current naps at most. */
TEST(adapt_naps_follow_the_rate_between_their_bounds)
{
	struct adapt_cfg c = cfg;
	struct adapt a;
	uint64_t now = 0, nap;

	c.nap_ns = 50 * US;
	c.nap_max_ns = 400 * US;
	c.nap_batch = 32;
	c.exit_empty = 1000;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	for (int i = 0; i < 3; i++)
		adapt_look(&a, 40, true, now += 5 * US);
	REQUIRE(adapt_polling(&a));
	CHECK_EQ(adapt_nap(&a), 0);			/* a whole batch: look again */
	adapt_look(&a, 5, false, now += 1 * US);
	CHECK_EQ(adapt_nap(&a), 50 * US);		/* a short one: nap, the shortest */
	adapt_napped(&a);
	/* 5 items per 100 us: the naps grow until one gathers at least 16. */
	uint64_t want[] = { 100, 200, 400, 400 };
	for (unsigned k = 0; k < 4; k++) {
		nap = a.nap_cur;
		adapt_look(&a, (unsigned)(nap / (20 * US)), false, now += nap);
		CHECK_EQ(adapt_nap(&a), want[k] * US);
		adapt_napped(&a);
	}
	/* 1 item per us: 400 items after a 400 us nap -- shorter, down to 50 us (50 items
	 * is not more than twice 32: it stays). */
	uint64_t down[] = { 200, 100, 50, 50 };
	for (unsigned k = 0; k < 4; k++) {
		nap = a.nap_cur;
		adapt_look(&a, (unsigned)(nap / US), false, now += nap);
		/* A big batch: look again at once, which finds little, then the nap. */
		CHECK_EQ(adapt_nap(&a), 0);
		adapt_look(&a, 1, false, now += 1 * US);
		CHECK_EQ(adapt_nap(&a), down[k] * US);
		adapt_napped(&a);
	}
	CHECK(adapt_polling(&a));
	/* Long naps, then the work stops: one empty nap of 400 us is not idleness (the
	 * bound is two naps, 800 us, over exit_idle_ns 500 us), two are. */
	a.nap_cur = 400 * US;
	adapt_look(&a, 1, false, now += 1 * US);
	CHECK_EQ(adapt_nap(&a), 400 * US);
	adapt_napped(&a);
	CHECK(adapt_look(&a, 0, false, now += 400 * US));
	CHECK_EQ(a.nap_cur, 400 * US);			/* nothing came: no resizing */
	CHECK_EQ(adapt_nap(&a), 400 * US);
	adapt_napped(&a);
	CHECK(!adapt_look(&a, 0, false, now += 400 * US));
	CHECK_EQ(a.nap_cur, 50 * US);			/* back on interrupts: reset */
	/* A nap offered but not taken sizes nothing: the next look is not after a nap. */
	c.exit_idle_ns = 500 * US;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	for (int i = 0; i < 3; i++)
		adapt_look(&a, 40, true, now += 5 * US);
	adapt_look(&a, 0, false, now += 1 * US);
	CHECK_EQ(adapt_nap(&a), 50 * US);
	adapt_look(&a, 1, false, now += 50 * US);
	CHECK_EQ(a.nap_cur, 50 * US);
	CHECK_EQ(a.naps, 0);
	/* Without nap_batch every nap is nap_ns (the fixed naps of the older tests). */
	c.nap_batch = 0;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	for (int i = 0; i < 3; i++)
		adapt_look(&a, 4, true, now += 5 * US);
	adapt_look(&a, 0, false, now += 1 * US);
	CHECK_EQ(adapt_nap(&a), 50 * US);
	adapt_napped(&a);
	adapt_look(&a, 1, false, now += 50 * US);
	CHECK_EQ(adapt_nap(&a), 0);
	adapt_look(&a, 0, false, now += 1 * US);
	CHECK_EQ(adapt_nap(&a), 50 * US);
}

/* Behind a producer that naps itself, the work comes in batches further apart than
 * enter_gap_ns: a wake-up per batch of a nap's worth.  Polling with naps wakes no more
 * often and spares the producer its doorbells, so such a series enters polling too --
 * not batches under nap_batch, nor batches further apart than the longest nap. */
TEST(adapt_batches_a_nap_would_gather_enter_polling)
{
	struct adapt_cfg c = { .enter_looks = 4, .enter_gap_ns = 200 * US, .exit_empty = 2000,
			       .exit_idle_ns = 500 * US, .nap_ns = 50 * US,
			       .nap_max_ns = 500 * US, .nap_batch = 32 };
	struct adapt a;
	uint64_t now = 1000 * US;

	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	/* 20 items every 360 us: under a batch, stays on interrupts. */
	for (int i = 0; i < 20; i++)
		CHECK(!adapt_look(&a, 20, true, now += 360 * US));
	/* 36 items every 600 us: past the longest nap, stays too. */
	for (int i = 0; i < 20; i++)
		CHECK(!adapt_look(&a, 36, true, now += 600 * US));
	CHECK_EQ(a.switches, 0);
	/* 36 items every 360 us: with the last look (the series' first) the fourth in a
	 * row enters polling. */
	for (int i = 0; i < 2; i++)
		CHECK(!adapt_look(&a, 36, true, now += 360 * US));
	CHECK(adapt_look(&a, 36, true, now += 360 * US));
	CHECK_EQ(a.switches, 1);
	/* Without naps (nap_ns 0: a consumer that spins) only the gap counts. */
	c.nap_ns = 0;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	for (int i = 0; i < 20; i++)
		CHECK(!adapt_look(&a, 36, true, now += 360 * US));
	CHECK_EQ(a.switches, 0);
}

/* A ring's naps (nap_bell: the producer rings once a batch waits) grow until the
 * doorbell ends them: a nap the timer ended with less than a batch -- or with nothing
 * -- was shorter than the producer's gaps, and on this host a timer wake-up costs the
 * consumer several doorbell wake-ups.  Behind a producer that delivers 70 items every
 * 700 us the naps reach 800 us, the doorbell ends each with a batch, and the poll
 * phase lasts (before, an empty 100 us nap ended it at the 500 us idle bound and the
 * consumer went back to a doorbell per batch: a switch every few batches).  Timer
 * naps (no nap_bell) keep their rule: an empty nap resizes nothing, 16-64 items keep
 * the size. */
TEST(adapt_ring_naps_grow_until_the_doorbell_ends_them)
{
	const struct adapt_cfg ring = adapt_ring_cfg(4096);
	struct adapt_cfg c = adapt_ring_cfg(4096);
	struct adapt a;
	uint64_t now = 1000 * US, next = now;

	CHECK(c.nap_bell);
	CHECK_EQ(c.nap_batch, ADAPT_RING_NAP_BATCH);
	c.nap_ns = 100 * US;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	/* A producer that naps: 70 items every 700 us (the doorbell at 64 wakes the
	 * consumer at once when it is asleep on it; the rest comes with the next). */
	for (int i = 0; i < 4; i++)
		adapt_look(&a, 70, true, now = next += 700 * US);
	REQUIRE(adapt_polling(&a));
	for (int k = 0; k < 40; k++) {
		uint64_t nap;

		adapt_look(&a, 0, false, now + 1 * US);	/* drained: an empty poll */
		nap = adapt_nap(&a);
		REQUIRE(nap > 0);
		adapt_napped(&a);
		if (now + nap < next + 700 * US) {	/* the timer ends it: empty */
			now += nap;
			adapt_look(&a, 0, false, now);
		} else {				/* the doorbell ends it */
			now = next += 700 * US;
			adapt_look(&a, 70, true, now);
		}
	}
	CHECK(adapt_polling(&a));
	CHECK_EQ(a.switches, 1);
	CHECK_EQ(a.nap_cur, 800 * US);
	/* Less than a batch in a nap: longer (to the longest, 1 ms); more than two: shorter. */
	adapt_look(&a, 10, false, now += 10 * US);
	CHECK_EQ(adapt_nap(&a), 800 * US);
	adapt_napped(&a);
	adapt_look(&a, 40, false, now += 800 * US);
	CHECK_EQ(a.nap_cur, ADAPT_RING_NAP_MAX_NS);
	adapt_nap(&a);
	adapt_napped(&a);
	adapt_look(&a, 200, false, now += 200 * US);
	CHECK_EQ(a.nap_cur, ADAPT_RING_NAP_MAX_NS / 2);
	/* Timer naps: an empty one and one of 40 (between half a batch and two) keep it. */
	c.nap_bell = false;
	c.nap_batch = 32;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	for (int i = 0; i < 4; i++)
		adapt_look(&a, 70, true, now += 100 * US);
	REQUIRE(adapt_polling(&a));
	adapt_look(&a, 0, false, now += 1 * US);
	adapt_napped(&a);
	adapt_look(&a, 0, false, now += 100 * US);
	CHECK_EQ(a.nap_cur, 100 * US);
	adapt_napped(&a);
	adapt_look(&a, 40, false, now += 100 * US);
	CHECK_EQ(a.nap_cur, 100 * US);
	/* The fill at which a ring rings a napping consumer: a batch, at most half the
	 * ring; half the ring without a batch. */
	adapt_init(&a, ADAPT_ADAPTIVE, &ring);
	CHECK_EQ(adapt_nap_fill(&a, 4096), ADAPT_RING_NAP_BATCH);
	CHECK_EQ(adapt_nap_fill(&a, 64), 32u);
	c.nap_batch = 0;
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	CHECK_EQ(adapt_nap_fill(&a, 4096), 2048u);
}

/* One item at a time is not a high rate (busy_min, thin_naps): a request and its
 * response 100 us apart, each woken by the doorbell, never enter polling -- each would
 * otherwise wait for a nap's timer, up to 1 ms, where the doorbell takes microseconds.
 * A consumer that did enter polling (a burst) and then takes one item per nap goes back
 * to its doorbell after thin_naps such naps; empty naps count neither way (the idle
 * bound sees to those), a nap with a batch starts the count again. */
TEST(adapt_ring_one_item_at_a_time_stays_on_doorbells)
{
	const struct adapt_cfg ring = adapt_ring_cfg(4096);
	struct adapt a;
	uint64_t now = 1000 * US;

	adapt_init(&a, ADAPT_ADAPTIVE, &ring);
	for (int i = 0; i < 100; i++)
		CHECK(!adapt_look(&a, 1, true, now += 100 * US));
	CHECK_EQ(a.switches, 0);
	/* Batches close together: polling, as before. */
	for (int i = 0; i < 3; i++)
		CHECK(!adapt_look(&a, 10, true, now += 100 * US));
	CHECK(adapt_look(&a, 10, true, now += 100 * US));
	/* A one-frame look that was not a wake-up (a drain look) breaks nothing. */
	adapt_init(&a, ADAPT_ADAPTIVE, &ring);
	for (int i = 0; i < 3; i++) {
		CHECK(!adapt_look(&a, 10, true, now += 100 * US));
		CHECK(!adapt_look(&a, 1, false, now += 1 * US));
	}
	CHECK(adapt_look(&a, 10, true, now += 100 * US));
	/* Then naps that find one frame each, with an empty one and a batch between. */
	adapt_look(&a, 0, false, now += 1 * US);
	for (int i = 0; i < 3; i++) {
		adapt_napped(&a);
		CHECK(adapt_look(&a, 1, false, now += 50 * US));
	}
	adapt_napped(&a);
	CHECK(adapt_look(&a, 0, false, now += 50 * US));	/* empty: neither way */
	adapt_napped(&a);
	CHECK(adapt_look(&a, 20, false, now += 50 * US));	/* a batch: again */
	for (int i = 0; i < 3; i++) {
		adapt_napped(&a);
		CHECK(adapt_look(&a, 1, false, now += 50 * US));
	}
	adapt_napped(&a);
	CHECK(!adapt_look(&a, 1, false, now += 50 * US));	/* the fourth: doorbells */
	CHECK_EQ(a.switches, 2);
	/* Without busy_min (the wire reader's defaults) one item a look is busy enough. */
	adapt_init(&a, ADAPT_ADAPTIVE, NULL);
	for (int i = 0; i < 3; i++)
		CHECK(!adapt_look(&a, 1, true, now += 100 * US));
	CHECK(adapt_look(&a, 1, true, now += 100 * US));
	CHECK(!a.cfg.nap_bell);
	CHECK_EQ(a.cfg.nap_max_ns, ADAPT_NAP_MAX_NS);
	CHECK_EQ(a.cfg.nap_batch, ADAPT_NAP_BATCH);
}

/* A ring's batch is at most half of it: a port handle's ring of 16 entries is rung at 8
 * and its naps are sized and its batches counted against 8, not 64. */
TEST(adapt_ring_cfg_fits_the_batch_to_small_rings)
{
	struct adapt_cfg c = adapt_ring_cfg(4096);
	struct adapt a;

	CHECK_EQ(c.nap_batch, ADAPT_RING_NAP_BATCH);
	CHECK(c.nap_bell);
	c = adapt_ring_cfg(16);
	CHECK_EQ(c.nap_batch, 8u);
	CHECK_EQ(c.nap_max_ns, ADAPT_RING_NAP_MAX_NS);
	adapt_init(&a, ADAPT_ADAPTIVE, &c);
	CHECK_EQ(adapt_nap_fill(&a, 16), 8u);
	c = adapt_ring_cfg(128);
	CHECK_EQ(c.nap_batch, 64u);
}
