/* tests/unit/test_shaper.c - the bandwidth cap's token bucket (vswitch/shaper) on a
 * simulated clock: the rate it lets through, its burst, OFF, changes and counters. */
#include <errno.h>
#include <stdint.h>

#include "tests/tcheck.h"
#include "vswitch/shaper.h"

#define NS 1000000000ull

/* Offer frames of `len` bytes every `gap_ns` from t0 for `dur_ns`; returns the bytes
 * that passed. */
static uint64_t offer(struct shaper *s, uint64_t t0, uint64_t dur_ns, uint64_t gap_ns,
		      uint32_t len, uint64_t *offered)
{
	uint64_t passed = 0;

	for (uint64_t t = t0; t < t0 + dur_ns; t += gap_ns) {
		if (shaper_take(s, len, t))
			passed += len;
		if (offered)
			(*offered)++;
	}
	return passed;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

TEST(shaper_rate_over_10s_within_1pct)
{
	struct shaper s = { 0 };
	uint64_t offered = 0, bytes;

	/* 20 Mbit/s cap, 1500-byte frames offered at 40 Mbit/s (one per 300 us). */
	shaper_set(&s, 20000000ull, 5 * NS);
	bytes = offer(&s, 5 * NS, 10 * NS, 300000, 1500, &offered);
	CHECK(absdiff(bytes * 8 / 10, 20000000ull) <= 20000000ull / 100);
	/* Never more than the burst plus the rate's bytes. */
	CHECK(bytes <= s.burst + 20000000ull / 8 * 10);
	CHECK_EQ(s.pass_frames + s.drop_frames, offered);
	CHECK_EQ(s.pass_bytes, bytes);
	CHECK_EQ(s.drop_bytes, (offered - s.pass_frames) * 1500);
	CHECK(s.drop_frames > offered / 3);	/* about half was over the cap */
	/* Offered below the cap: everything passes (10 Mbit/s). */
	shaper_set(&s, 0, 0);
	shaper_set(&s, 20000000ull, 99 * NS);
	offered = 0;
	s.drop_frames = 0;
	bytes = offer(&s, 100 * NS, 10 * NS, 1200000, 1500, &offered);
	CHECK_EQ(bytes, offered * 1500);
	CHECK_EQ(s.drop_frames, 0);
}

TEST(shaper_burst_bound)
{
	struct shaper s = { 0 };
	unsigned n = 0;

	/* The rule: rate x 100 ms, at least a 64 KiB large send with headers. */
	CHECK_EQ(shaper_burst_for(5000000ull), SHAPER_BURST_MIN);
	CHECK_EQ(shaper_burst_for(20000000ull), 250000u);
	CHECK_EQ(shaper_burst_for(1000000000ull), 12500000u);
	CHECK_EQ(shaper_burst_for(1000ull), SHAPER_BURST_MIN);
	shaper_set(&s, 1000000000ull, 0);
	/* A new cap grants nothing at once. */
	CHECK(!shaper_take(&s, 64, 0));
	/* Idle for a second: the bucket holds the burst, not a second's worth. */
	while (shaper_take(&s, 1000, NS) && n < 100000)
		n++;
	CHECK_EQ(n, 12500u);
	CHECK_EQ(s.drop_frames, 2);
	/* 8 us later at 1 Gbit/s: exactly one more 1000-byte frame. */
	CHECK(shaper_take(&s, 1000, NS + 8000));
	CHECK(!shaper_take(&s, 1000, NS + 8000));
	/* The largest frame passes a full bucket of the smallest cap; one larger never. */
	shaper_set(&s, SHAPER_RATE_MIN, 0);
	CHECK(shaper_take(&s, SHAPER_BURST_MIN, 3600 * NS));
	CHECK(!shaper_take(&s, SHAPER_BURST_MIN + 1, 7200 * NS));
}

TEST(shaper_off_passes_everything_uncounted)
{
	struct shaper s = { 0 };

	CHECK(!shaper_on(&s));
	for (unsigned i = 0; i < 1000; i++)
		CHECK(shaper_take(&s, 9000, 0));
	CHECK_EQ(s.pass_frames + s.drop_frames, 0);
	/* On, used up, then OFF again: everything passes, the counts stay. */
	shaper_set(&s, 1000000ull, 0);
	while (shaper_take(&s, 1500, 0))
		;
	CHECK_EQ(s.drop_frames, 1);
	shaper_set(&s, 0, 0);
	CHECK(!shaper_on(&s));
	CHECK(shaper_take(&s, 1500, 0));
	CHECK_EQ(s.drop_frames, 1);
}

TEST(shaper_rate_change_mid_flow)
{
	struct shaper s = { 0 };
	uint64_t a, b;

	shaper_set(&s, 40000000ull, 0);
	a = offer(&s, 0, 5 * NS, 100000, 1500, NULL);		/* 120 Mbit/s offered */
	shaper_set(&s, 5000000ull, 5 * NS);
	b = offer(&s, 5 * NS, 5 * NS, 100000, 1500, NULL);
	/* Each part: its rate's bytes (a new rate starts with an empty bucket), to two
	 * frames (the last frame's part of the time, what is left under a frame). */
	CHECK(absdiff(a, 40000000ull / 8 * 5) <= 3000);
	CHECK(absdiff(b, 5000000ull / 8 * 5) <= 3000);
	CHECK(absdiff(a * 8 / 5, 40000000ull) <= 40000000ull / 100);
	/* A clock that goes back adds nothing (and takes nothing away). */
	shaper_set(&s, 8000000ull, 10 * NS);
	while (shaper_take(&s, 1000, 10 * NS))
		;
	CHECK(!shaper_take(&s, 1000, 9 * NS));
	CHECK(shaper_take(&s, 1000, 10 * NS + 1000000));	/* 1 ms = 1000 bytes */
	CHECK(!shaper_take(&s, 1000, 10 * NS + 1000000));
}

TEST(shaper_parse_and_show_rates)
{
	uint64_t r = 0;
	char b[24];

	CHECK_EQ(shaper_parse_rate("20M", &r), 0);
	CHECK_EQ(r, 20000000ull);
	CHECK_EQ(shaper_parse_rate("1500k", &r), 0);
	CHECK_EQ(r, 1500000ull);
	CHECK_EQ(shaper_parse_rate("400G", &r), 0);
	CHECK_EQ(r, SHAPER_RATE_MAX);
	CHECK_EQ(shaper_parse_rate("64000", &r), 0);
	CHECK_EQ(r, 64000ull);
	CHECK_EQ(shaper_parse_rate("401G", &r), -ERANGE);
	CHECK_EQ(shaper_parse_rate("999", &r), -ERANGE);
	CHECK_EQ(shaper_parse_rate("0", &r), -ERANGE);
	CHECK_EQ(shaper_parse_rate("99999999999999999999999", &r), -ERANGE);
	CHECK_EQ(shaper_parse_rate("20MB", &r), -EINVAL);
	CHECK_EQ(shaper_parse_rate("M", &r), -EINVAL);
	CHECK_EQ(shaper_parse_rate("-5M", &r), -EINVAL);
	CHECK_EQ(shaper_parse_rate("2.5M", &r), -EINVAL);
	CHECK_EQ(shaper_parse_rate("", &r), -EINVAL);
	CHECK_EQ(r, 64000ull);		/* a refused rate leaves *rate alone */
	shaper_rate_text(b, sizeof(b), 20000000ull);
	CHECK_STR(b, "20M");
	shaper_rate_text(b, sizeof(b), 1500000ull);
	CHECK_STR(b, "1500K");
	shaper_rate_text(b, sizeof(b), 2000000000ull);
	CHECK_STR(b, "2G");
	shaper_rate_text(b, sizeof(b), 64001ull);
	CHECK_STR(b, "64001");
}

TEST(shaper_refund_gives_back_what_was_not_taken)
{
	struct shaper s = { 0 };
	unsigned n = 0;

	shaper_set(&s, 1000000ull, 0);		/* burst: SHAPER_BURST_MIN */
	while (shaper_take(&s, 1000, NS))	/* full after a second */
		n++;
	CHECK_EQ(n, SHAPER_BURST_MIN / 1000);
	/* Two of them found no buffer: two more pass, at the same instant. */
	shaper_refund(&s, 1000);
	shaper_refund(&s, 1000);
	CHECK_EQ(s.pass_frames, n - 2);
	CHECK(shaper_take(&s, 1000, NS));
	CHECK(shaper_take(&s, 1000, NS));
	CHECK(!shaper_take(&s, 1000, NS));
	CHECK_EQ(s.pass_bytes, (uint64_t)n * 1000);
	/* Never past the burst. */
	CHECK(shaper_take(&s, 1000, 10 * NS));
	shaper_refund(&s, 1000);
	shaper_refund(&s, 1000);
	CHECK_EQ(s.tokens, (uint64_t)SHAPER_BURST_MIN * 8000000000ull);
	/* Nothing back on an uncapped bucket. */
	shaper_set(&s, 0, 0);
	shaper_refund(&s, 1000);
	CHECK_EQ(s.tokens, 0);
}
