/* vswitch/shaper.c - the token bucket of a bandwidth cap: integer arithmetic on
 * an injected monotonic clock; the switch (switch.c) charges frames to it. */
#include "vswitch/shaper.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

/* Units of the bucket per byte: a nanosecond at `rate` bits/s adds `rate` units, and
 * a byte is 8 bits = 8e9 bit-nanoseconds. */
#define UNITS_PER_BYTE 8000000000ull

uint64_t shaper_mono_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t shaper_burst_for(uint64_t rate)
{
	uint64_t b = rate / 8u * SHAPER_BURST_MS / 1000u;

	return b > SHAPER_BURST_MIN ? b : SHAPER_BURST_MIN;
}

void shaper_set(struct shaper *s, uint64_t rate, uint64_t now_ns)
{
	if (rate > SHAPER_RATE_MAX)
		rate = SHAPER_RATE_MAX;
	s->rate = rate;
	s->burst = rate ? shaper_burst_for(rate) : 0;
	s->tokens = 0;
	s->last_ns = now_ns;
}

/* Bring the bucket up to now: elapsed x rate units, never past the burst.  The fill
 * is computed without overflow: a gap long enough to fill the bucket fills it. */
static void refill(struct shaper *s, uint64_t now_ns)
{
	uint64_t cap = s->burst * UNITS_PER_BYTE, room, dt;

	if (now_ns <= s->last_ns)
		return;		/* a clock that did not move (or went back) adds nothing */
	dt = now_ns - s->last_ns;
	s->last_ns = now_ns;
	room = cap - s->tokens;
	if (dt >= room / s->rate + 1)
		s->tokens = cap;
	else
		s->tokens += dt * s->rate;
}

bool shaper_take(struct shaper *s, uint32_t len, uint64_t now_ns)
{
	uint64_t need = (uint64_t)len * UNITS_PER_BYTE;

	if (!s->rate)
		return true;
	refill(s, now_ns);
	if (s->tokens < need) {
		s->drop_frames++;
		s->drop_bytes += len;
		return false;
	}
	s->tokens -= need;
	s->pass_frames++;
	s->pass_bytes += len;
	return true;
}

void shaper_refund(struct shaper *s, uint32_t len)
{
	uint64_t back = (uint64_t)len * UNITS_PER_BYTE, cap = s->burst * UNITS_PER_BYTE;

	if (!s->rate || !s->pass_frames || s->pass_bytes < len)
		return;
	s->tokens = cap - s->tokens < back ? cap : s->tokens + back;
	s->pass_frames--;
	s->pass_bytes -= len;
}

int shaper_parse_rate(const char *tok, uint64_t *rate)
{
	uint64_t v = 0, mul = 1;
	const char *p = tok;

	if (!tok || *tok < '0' || *tok > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > SHAPER_RATE_MAX)
			return -ERANGE;		/* stop before it could overflow */
		v = v * 10u + (uint64_t)(*p - '0');
	}
	switch (*p) {
	case 0: break;
	case 'K': case 'k': mul = 1000ull; p++; break;
	case 'M': case 'm': mul = 1000000ull; p++; break;
	case 'G': case 'g': mul = 1000000000ull; p++; break;
	default: return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	if (v > SHAPER_RATE_MAX / mul || v * mul < SHAPER_RATE_MIN)
		return -ERANGE;
	*rate = v * mul;
	return 0;
}

void shaper_rate_text(char *b, unsigned n, uint64_t rate)
{
	if (rate && rate % 1000000000ull == 0)
		snprintf(b, n, "%lluG", (unsigned long long)(rate / 1000000000ull));
	else if (rate && rate % 1000000ull == 0)
		snprintf(b, n, "%lluM", (unsigned long long)(rate / 1000000ull));
	else if (rate && rate % 1000ull == 0)
		snprintf(b, n, "%lluK", (unsigned long long)(rate / 1000ull));
	else
		snprintf(b, n, "%llu", (unsigned long long)rate);
}
