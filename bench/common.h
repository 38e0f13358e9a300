/* bench/common.h - timing, interleaved measurement and the QDIO loopback shared by the
 * benchmarks; every result is a ratio against a baseline measured in the same process. */
#ifndef CPNET_BENCH_COMMON_H
#define CPNET_BENCH_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gstor.h"
#include "qdio/queue.h"

/* Keep the compiler from dropping work whose result nobody reads. */
#define BENCH_USE(p) __asm__ volatile("" : : "r"(p) : "memory")

/* One thing to measure: each call does one batch and returns the units it did
 * (frames, messages); 0 means it failed (the benchmark stops with an error). */
struct bench_run {
	const char *name;
	uint64_t (*run)(void *ctx);
	void *ctx;
	/* Filled by bench_measure. */
	uint64_t units;
	double secs;
	double rate;		/* units per second */
};

double bench_now(void);
/*
 * Measure n runs for about `secs` seconds in total, interleaved in short slices
 * (A B C A B C ...) so that a machine busy with other work slows every run alike
 * and the ratios stay meaningful.  Returns 0, or -1 if a run returned 0.
 */
int bench_measure(struct bench_run *r, unsigned n, double secs);
/* "name: N Mpps, ratio X.XX vs <base>" plus an optional note. */
void bench_report(const char *name, const struct bench_run *r, const struct bench_run *base,
		  const char *note);
/* Seconds per case: CPNET_BENCH_SECS or `dflt`. */
double bench_secs(double dflt);
/* Calls to malloc/calloc/realloc in this process so far (the benchmarks count the
 * allocations a run makes: the data path must make none per frame). */
uint64_t bench_allocs(void);

/* The memcpy baseline: each frame copied `copies` times through buffers laid out
 * like the path's (4 KiB slots, then packed), the same bytes the path moves. */
struct memcpy_base {
	uint32_t len;
	unsigned batch, copies;
	uint8_t *src, *slots, *packed;
	unsigned slot;
};
int memcpy_base_init(struct memcpy_base *m, uint32_t len, unsigned batch, unsigned copies);
void memcpy_base_free(struct memcpy_base *m);
uint64_t memcpy_base_run(void *ctx);

/*
 * QDIO loopback on one storage: the program side fills the output queue, the adapter
 * side scans it and puts every packet (same qeth header, payload spans in place) into
 * the input queue, the program side takes the input and gives it back.  Two copies
 * per frame: frame -> output pages, output pages -> input pages.
 */
struct qloop {
	struct gstor gs;
	struct qdio_queue pg_out, pg_in, ad_out, ad_in;
	uint8_t hdr[32];
	uint8_t *frame;
	uint32_t len;
	unsigned batch;
	uint64_t tx, rx, rx_bytes, bad;
};
int qloop_init(struct qloop *l, uint32_t len, unsigned batch);
void qloop_free(struct qloop *l);
uint64_t qloop_run(void *ctx);

#endif
