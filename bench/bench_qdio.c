/* bench/bench_qdio.c - the QDIO queue engine, program and adapter side on one storage:
 * frames/s through output put + flush + adapter scan + input put + take, vs memcpy. */
#include <stdio.h>

#include "bench/common.h"

#define BATCH 256

static int one(uint32_t len, double secs)
{
	struct qloop l;
	struct memcpy_base m;
	struct bench_run r[2];
	char name[32], note[96];
	int rc;

	rc = qloop_init(&l, len, BATCH);
	if (rc < 0) {
		fprintf(stderr, "bench_qdio: loopback setup: %d\n", rc);
		return 1;
	}
	rc = memcpy_base_init(&m, len, BATCH, 2);
	if (rc < 0) {
		qloop_free(&l);
		return 1;
	}
	r[0] = (struct bench_run){ .name = "qdio", .run = qloop_run, .ctx = &l };
	r[1] = (struct bench_run){ .name = "memcpy x2", .run = memcpy_base_run, .ctx = &m };
	rc = bench_measure(r, 2, secs);
	if (rc == 0) {
		snprintf(name, sizeof(name), "qdio_%u", len);
		snprintf(note, sizeof(note), "(%.0f MB/s; memcpy x2 %.2f Mpps %.0f MB/s)",
			 r[0].rate * len / 1e6, r[1].rate / 1e6, r[1].rate * len / 1e6);
		bench_report(name, &r[0], &r[1], note);
	} else {
		fprintf(stderr, "bench_qdio: %u-byte run failed (tx %llu rx %llu bad %llu)\n",
			len, (unsigned long long)l.tx, (unsigned long long)l.rx,
			(unsigned long long)l.bad);
	}
	memcpy_base_free(&m);
	qloop_free(&l);
	return rc ? 1 : 0;
}

int main(void)
{
	double secs = bench_secs(1.0);

	return one(64, secs) | one(1500, secs);
}
