/* vswitch/shaper.h - a token bucket in bits per second, the bandwidth cap of one
 * direction of a switch port (SET VSWITCH ... PORTNUMBER n BANDWIDTH, SET NIC ... BANDWIDTH). */
#ifndef CPNET_VSWITCH_SHAPER_H
#define CPNET_VSWITCH_SHAPER_H

#include <stdbool.h>
#include <stdint.h>

/* Rates an operator may set: 1K .. 400G bits per second (0 = no cap). */
#define SHAPER_RATE_MIN 1000ull
#define SHAPER_RATE_MAX 400000000000ull
/* The burst rule: the bucket holds rate x SHAPER_BURST_MS of bytes, at least the
 * largest frame a port hands the switch (a 64 KiB large send with its link and VLAN
 * headers), so that every frame the LAN carries can pass a capped port.  100 ms (Open
 * vSwitch's advice for ingress policing: a burst of at least 10% of the rate): the
 * switch sees a port's frames in the bursts its scheduling makes (a sender or cpnetd
 * off the CPU for tens of milliseconds hands over a backlog at once), and a bucket
 * smaller than such a gap's worth loses the tokens of the gap, so that a capped port
 * gets less than its cap (measured at load 11-15 on 2 cores, 20M cap: 10 ms 17.8M,
 * 50 ms 17.1-18.9M, 100 ms 19.5-19.9M; doc/rings.md). */
#define SHAPER_BURST_MS 100u
#define SHAPER_BURST_MIN (65536u + 18u)

/* The clock the buckets run on: monotonic nanoseconds.  A LAN reads it through a
 * pointer so that tests inject their own time. */
typedef uint64_t (*shaper_clock_fn)(void *ctx);
uint64_t shaper_mono_ns(void *ctx);

struct shaper {
	uint64_t rate;			/* bits per second; 0 = no cap (everything passes) */
	uint64_t burst;			/* bytes the bucket holds */
	/* Tokens in byte-seconds x 8e9 (bits x 1e9 ... bytes scaled so that one elapsed
	 * nanosecond at `rate` adds exactly `rate` units): integer and exact, no drift. */
	uint64_t tokens;
	uint64_t last_ns;		/* when tokens were last brought up to date */
	uint64_t pass_frames, pass_bytes;	/* under the cap, while one was set */
	uint64_t drop_frames, drop_bytes;	/* over the cap: dropped */
};

/* The burst of a rate by the rule above. */
uint64_t shaper_burst_for(uint64_t rate);
/* Set (or change, mid-flow) the cap; rate 0 = OFF.  A new or changed cap starts with
 * an empty bucket (setting a cap grants no burst: it fills at the rate); the counters
 * stay. */
void shaper_set(struct shaper *s, uint64_t rate, uint64_t now_ns);
/* May a frame of len bytes pass at now_ns?  Counts it either way (when capped). */
bool shaper_take(struct shaper *s, uint32_t len, uint64_t now_ns);
/* A frame that passed was not taken after all (its receiver had no buffer): its bytes
 * go back into the bucket (up to the burst) and out of the passed counts. */
void shaper_refund(struct shaper *s, uint32_t len);
static inline bool shaper_on(const struct shaper *s)
{
	return s->rate != 0;
}

/* "20M", "1500K", "1G", "64000" (bits per second; K/M/G = 10^3/10^6/10^9, any case)
 * into *rate.  0, -EINVAL (not a rate) or -ERANGE (outside SHAPER_RATE_MIN..MAX). */
int shaper_parse_rate(const char *tok, uint64_t *rate);
/* The rate as QUERY shows it: "20M", "1500K", "64000" (the shortest exact form). */
void shaper_rate_text(char *b, unsigned n, uint64_t rate);

#endif
