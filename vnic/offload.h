/* vnic/offload.h - finishing what a sending guest left to the adapter (checksums, large sends)
 * for one receiver: a guest NIC, the uplink's OSA, a CPNIC's TAP.  The switch never does it. */
#ifndef CPNET_VNIC_OFFLOAD_H
#define CPNET_VNIC_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "vnic/port.h"

/* Scratch one receiver owns for it: the frame made linear, and one segment. */
#define OFL_SCRATCH (2 * 65536u)

/* Takes one finished frame (the caller's put): true if it went out / in. */
typedef bool (*ofl_emit_fn)(void *ctx, const struct pframe *f);

/* What became of one frame (counters for the receiver). */
struct ofl_result {
	unsigned emitted;	/* frames emit took */
	unsigned failed;	/* frames emit refused */
	bool completed;		/* a checksum was written */
	bool segmented;		/* a large send was cut */
	int err;		/* -ENOMEM (no scratch), -EBADMSG (not TCP/UDP, too long,
				 * or headers that do not parse): nothing emitted */
};

/*
 * Hand f to emit the way this receiver needs it.  verified_ok: the receiver takes a
 * frame whose checksum was left out as verified (a guest with inbound checksum on),
 * so nothing is computed but the IPv4 header checksum Linux's layer 3 leaves out;
 * otherwise every checksum is written.  A large send always becomes segments.
 * A frame with nothing left to do goes to emit unchanged (no copy).  *scratch is
 * allocated (OFL_SCRATCH bytes) the first time it is needed; the caller frees it.
 */
void ofl_finish(const struct pframe *f, bool verified_ok, uint8_t **scratch, ofl_emit_fn emit,
		void *ctx, struct ofl_result *r);

/* Does f need ofl_finish for a receiver (verified_ok as above)? */
static inline bool ofl_needed(const struct pframe *f, bool verified_ok)
{
	return f->gso_size ||
	       (f->csum == PF_CSUM_PARTIAL && (!verified_ok || f->csum_ip_hdr));
}

#endif
