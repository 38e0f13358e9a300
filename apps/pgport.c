/* apps/pgport.c - cpnet-pktgen's transport over the port API: a batch of frames through
 * cpnp_send, received frames from posted buffers of one handle. */
#include "apps/pgport.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apps/appport.h"

/* As many buffers as a handle holds: a sink off the CPU for a while at a few Mpps
 * still has buffers posted (what comes beyond waits in cpnetd, QUEUESTORAGE). */
#define PG_NBUF CPNP_HANDLE_SLOTS_MAX
#define PG_BATCH 256u

int pgport_open(struct pgport *g, struct cpnp_port *port, bool rx, uint32_t frame_max,
		uint32_t bufsz)
{
	memset(g, 0, sizeof(*g));
	g->port = port;
	g->fmax = frame_max;
	g->tx = malloc((size_t)PG_BATCH * frame_max);
	if (!g->tx)
		return -ENOMEM;
	if (!rx)
		return 0;
	g->bufsz = bufsz ? bufsz : cpnp_max_frame(port);
	return appport_handle(NULL, port, PG_NBUF, g->bufsz, &g->h);
}

void pgport_close(struct pgport *g)
{
	if (g->h)
		cpnp_handle_close(g->h);
	free(g->tx);
	memset(g, 0, sizeof(*g));
}

int pgport_send(void *ctx, unsigned n, uint32_t len, void (*fill)(void *arg, uint8_t *buf),
		void *arg)
{
	struct pgport *g = ctx;
	struct cpnp_frame f[PG_BATCH];

	if (len > g->fmax)
		return -EMSGSIZE;
	if (n > PG_BATCH)
		n = PG_BATCH;
	for (unsigned i = 0; i < n; i++) {
		f[i].data = g->tx + (size_t)i * g->fmax;
		f[i].len = len;
		f[i].vlan = 0;
		f[i].flags = 0;
		fill(arg, f[i].data);
	}
	/* Every filled frame goes (its sequence number is taken): cpnp_send waits up to
	 * 20 ms for ring room each time; a cpnetd that takes nothing for a second ends
	 * the run. */
	for (unsigned done = 0, tries = 0; done < n;) {
		int k = cpnp_send(g->port, f + done, n - done);

		if (k < 0)
			return k;
		if (k == 0 && ++tries > 50)
			return -ETIMEDOUT;
		g->full += k == 0 || (unsigned)k < n - done;
		done += (unsigned)k;
	}
	return (int)n;
}

int pgport_recv(void *ctx, int timeout_ms, void (*cb)(void *arg, const uint8_t *f, uint32_t len),
		void *arg)
{
	struct pgport *g = ctx;
	struct cpnp_frame f[PG_BATCH];
	void *bufs[PG_BATCH];
	int n, rc;

	rc = cpnp_wait(g->h, timeout_ms);
	if (rc <= 0)
		return rc;
	n = cpnp_recv(g->h, f, PG_BATCH);
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (f[i].flags & CPNP_F_TOOBIG)
			g->toobig++;
		else
			cb(arg, f[i].data, f[i].len);
		bufs[i] = f[i].data;
	}
	/* The buffers go back in one post (one publish). */
	rc = cpnp_post_n(g->h, bufs, (unsigned)n, g->bufsz);
	return rc < 0 ? rc : rc < n ? -ENOBUFS : n;
}

uint64_t pgport_drops(void *ctx)
{
	return ((struct pgport *)ctx)->toobig;
}
