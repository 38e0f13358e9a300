/* apps/pgport.h - cpnet-pktgen's port-API transport (struct pktgen_io over a cpnet port:
 * cpnp_send batches, one receive handle with posted buffers). */
#ifndef CPNET_APPS_PGPORT_H
#define CPNET_APPS_PGPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "api/cpnetport.h"

struct pgport {
	struct cpnp_port *port;
	struct cpnp_handle *h;	/* receive side only */
	uint8_t *tx;		/* a batch of frames being filled */
	uint32_t fmax, bufsz;
	uint64_t toobig;	/* frames longer than a posted buffer */
	uint64_t full;		/* sends that found the ring full */
};

/* Transmit buffers for frames up to frame_max; with rx a handle with posted buffers of
 * bufsz bytes (0: the LAN's largest frame; a longer frame comes back empty and counts
 * in pgport_drops).  0 or -errno (pgport_close cleans up either way). */
int pgport_open(struct pgport *g, struct cpnp_port *port, bool rx, uint32_t frame_max,
		uint32_t bufsz);
void pgport_close(struct pgport *g);
/* struct pktgen_io's send and recv. */
int pgport_send(void *ctx, unsigned n, uint32_t len, void (*fill)(void *arg, uint8_t *buf),
		void *arg);
int pgport_recv(void *ctx, int timeout_ms, void (*cb)(void *arg, const uint8_t *f, uint32_t len),
		void *arg);
/* struct pktgen_io's drops: frames longer than the posted buffers. */
uint64_t pgport_drops(void *ctx);

#endif
