/* qdio/queue.h - the QDIO queue engine, both sides, over the guest storage accessor.
 * Adapter side for vnic/ and osa/; program side for the synthetic guest, controller, uplink. */
#ifndef CPNET_QDIO_QUEUE_H
#define CPNET_QDIO_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/gstor.h"
#include "qdio/blocks.h"

/*
 * Ownership: the SLSB byte of a buffer says who owns it, nothing else.  Each side
 * keeps only ring indices (where it will look next) and its own bookkeeping; before
 * touching a buffer it loads the state byte (gs_state_load, acquire) and hands a
 * buffer over by storing the new state last (gs_state_store, release).
 *
 * One struct qdio_queue per queue per side: an adapter and a program driving the
 * same storage each have their own (tests do exactly that).  The SL and SLSB
 * addresses are copied from the validated QDR at establish time; SBAL addresses are
 * read from the SL per use and validated each time, because the guest may rewrite
 * the SL at any moment.
 *
 * Thread-safety: a queue is driven by one thread per side.  The only shared data
 * is guest storage; the fast-requeue handshake (program primes N+1 then looks at N,
 * adapter completes N then looks at N+1) needs a full fence on both sides, which
 * the engine issues (see qdio_ad_out_scan and qdio_pg_out_flush).
 */

/* Engine limits (bounded work per call, no allocation per frame). */
#define QDIO_HDR_MAX     256u	/* largest per-packet header the packers accept */
#define QDIO_QETH_HDR    32u	/* inbound qeth header (the program-side parser's unit) */

/* A piece of a packet in guest storage, mapped for a single copy by the consumer. */
struct qdio_span {
	const uint8_t *ptr;
	uint32_t len;
};

/* A packet of an outbound SBAL: spans [span, span + nspans) of the view, qeth
 * header included (it may be in its own element). */
struct qdio_pkt {
	uint32_t len;
	uint8_t span;
	uint8_t nspans;
};

/* One validated outbound SBAL as the adapter hands it to its consumer. */
struct qdio_sbal_view {
	uint8_t bufnr;
	uint8_t sflags0;	/* element 0 request flags (SBALE_SF0_*) */
	uint8_t npkts;
	uint8_t nspans;
	uint32_t bytes;
	struct qdio_pkt pkt[QDIO_SBALES];
	struct qdio_span span[QDIO_SBALES];
};

/* Why a buffer or packet was refused; counters in qdio_stats.err[]. */
enum qdio_err {
	QDIO_E_NONE = 0,
	QDIO_E_SL,		/* SL entry outside storage or not 256-aligned */
	QDIO_E_SBALE_FAULT,	/* element outside storage */
	QDIO_E_SBALE_CROSS,	/* element crosses a 4K boundary */
	QDIO_E_NO_LAST,		/* no LAST_ENTRY within 16 elements */
	QDIO_E_FRAG,		/* fragment flags out of sequence */
	QDIO_E_STATE,		/* SLSB byte in a state impossible for this queue/role */
	QDIO_E_NOBUF,		/* no buffer free: packet not taken */
	QDIO_E_TOOBIG,		/* packet can never fit one SBAL */
	QDIO_E_CONSUMER,	/* the consumer rejected the buffer */
	QDIO_E_PEER,		/* the other side marked a buffer ERROR */
	QDIO_E_HDR,		/* inbound parse: unknown header id or truncated packet */
	QDIO_E_NR
};

/* Error reason cpnet stores in element 15 sflags of a buffer it sets to ERROR.
 * Outside qeth's "benign" output range 15..31, so a bad SBAL is not retried. */
#define QDIO_SF15_REASON(e) ((uint8_t)(0x80 | (e)))

struct qdio_stats {
	uint64_t buffers;	/* buffers completed (adapter) / primed (program) */
	uint64_t packets;
	uint64_t bytes;
	uint64_t signals;	/* interrupts owed (adapter) / SIGAs needed (program) */
	uint64_t err[QDIO_E_NR];
	uint8_t last_sf15;	/* reason of the last ERROR buffer seen by the program */
};

/* SSQD qdioac1 bits the program side honours when deciding on SIGAs. */
#define QDIO_AC1_SIGA_INPUT_NEEDED  0x40
#define QDIO_AC1_SIGA_OUTPUT_NEEDED 0x20
#define QDIO_AC1_SIGA_SYNC_NEEDED   0x10

enum qdio_siga {
	QDIO_SIGA_NONE = 0,
	QDIO_SIGA_W,
	QDIO_SIGA_S,
	QDIO_SIGA_R,
};

/* A buffer being packed (adapter: input SBAL; program: output SBAL). */
struct qdio_fill {
	bool open;
	uint8_t bufnr;
	uint8_t nelem;		/* usable elements */
	uint8_t elem;		/* current element */
	uint32_t off;		/* next free byte in the current element */
	uint32_t pkts;
	uint64_t sbal;
	uint64_t addr[QDIO_SBALES];
	uint32_t cap[QDIO_SBALES];
	uint32_t used[QDIO_SBALES];
	uint8_t frag[QDIO_SBALES];	/* program output: fragment flags per element */
};

struct qdio_queue {
	struct gstor *gs;
	uint64_t sl, slsb;	/* copied from the QDR at establish */
	bool output;
	uint8_t nr;
	/* Adapter: next buffer to scan (output) or fill (input).
	 * Program: first buffer to check (input take, output reap). */
	uint8_t next;
	/* Program: next buffer to give (input) or fill (output). */
	uint8_t prod;
	uint16_t busy;		/* program: buffers in [next, prod), 0..128 */
	uint16_t run;		/* program output: filled, not yet primed (tail of busy) */
	uint8_t ac1;		/* program: QDIO_AC1_* of the device */
	bool irq;		/* adapter: an interrupt is owed (see qdio_ad_take_irq) */
	bool ad_handed;		/* adapter input: a buffer was handed to the program... */
	uint8_t ad_last;	/* ...and this is the last one (primed or errored) */
	bool pci_req;		/* program output: ask for PCI on the buffers it fills */
	uint8_t pg_nelem;	/* program: 4K data pages per SBAL */
	uint64_t pg_pages;	/* program: base of 128 * pg_nelem data pages */
	struct qdio_fill fill;
	struct qdio_stats st;
};

/* Establish: copy queue `nr` of direction `output` from a validated QDR.
 * -EINVAL no such queue; -EFAULT/-EXDEV if SL/SLSB are not valid in storage. */
int qdio_queue_init(struct qdio_queue *q, struct gstor *gs, const struct qdr *qdr,
		    bool output, unsigned nr);

/* Ring arithmetic. */
static inline uint8_t qdio_next_buf(unsigned b) { return (uint8_t)((b + 1) % QDIO_BUFS); }
static inline uint8_t qdio_add_buf(unsigned b, unsigned n) { return (uint8_t)((b + n) % QDIO_BUFS); }

/* SLSB byte of buffer `b` (b taken modulo 128). */
int qdio_get_state(struct qdio_queue *q, unsigned b, uint8_t *state);
int qdio_set_state(struct qdio_queue *q, unsigned b, uint8_t state);
/* SBAL address of buffer `b` from the SL, validated (-EFAULT/-EXDEV) on each call. */
int qdio_sbal_addr(struct qdio_queue *q, unsigned b, uint64_t *addr);

/* Copy `len` bytes starting at byte `off` of a span list; returns bytes copied. */
uint32_t qdio_spans_copy(const struct qdio_span *spans, unsigned n, uint32_t off,
			 uint8_t *dst, uint32_t len);

/* ---- adapter side ---------------------------------------------------------------- */

/* Returns 0 to complete the buffer (0xA1), QDIO_CB_STOP to leave it primed and end
 * the scan (back-pressure), or a negative errno to complete it as ERROR (0xAF). */
#define QDIO_CB_STOP 1
typedef int (*qdio_out_cb)(void *ctx, struct qdio_queue *q, const struct qdio_sbal_view *v);

struct qdio_scan {
	unsigned buffers;	/* buffers completed (0xA1 or 0xAF) */
	unsigned errors;	/* of which ERROR */
	bool pci;		/* a completed buffer asked for an interrupt */
	bool more;		/* stopped at `max` with work possibly left */
	bool stopped;		/* the consumer asked to stop */
};

void qdio_ad_start(struct qdio_queue *q);

/* One primed output buffer looked at by qdio_ad_out_gather and not yet completed:
 * its validated view (spans mapped in place) or the reason it is bad. */
struct qdio_out_buf {
	struct qdio_sbal_view v;
	uint64_t sbal;
	uint8_t why;		/* enum qdio_err: QDIO_E_NONE = valid, else completes ERROR */
	bool sbal_ok;		/* the SBAL was reachable (a reason can be stored in it) */
	bool pci;		/* element 0 asked for an interrupt (or no SBAL to read) */
};

/*
 * Output queue, in two steps, so that a consumer can forward the packets of every
 * buffer the program primed in one batch and only then give the buffers back:
 * gather looks at up to `max` primed (0x62) buffers in ring order from `next`,
 * validating each into bufs[] (a bad one gets its reason in `why`), and stops at the
 * first buffer that is not primed; it completes nothing and does not move `next`.
 * Returns the number gathered or a negative errno (SLSB unreachable).
 */
int qdio_ad_out_gather(struct qdio_queue *q, struct qdio_out_buf *bufs, unsigned max);
/*
 * Complete the first n gathered buffers in ring order: 0xA1, or 0xAF with the reason
 * in element 15 for the ones whose `why` is set (a consumer that rejects a buffer
 * sets QDIO_E_CONSUMER).  Adds to *res (buffers, errors, pci) and sets res->more to
 * whether the buffer after them is primed again (fence first: fast requeue).
 * Returns 0 or a negative errno.
 */
int qdio_ad_out_complete(struct qdio_queue *q, const struct qdio_out_buf *bufs, unsigned n,
			 struct qdio_scan *res);
/*
 * Output queue: process up to `max` primed (0x62) buffers in ring order from the
 * adapter's next index, continuing until a buffer that is not primed (fast requeue).
 * Each SBAL is validated (SL entry, elements, LAST_ENTRY, fragment sequence) before
 * `cb` sees it; a bad one is completed as ERROR with the reason in element 15.
 * Returns 0 (result in *res) or a negative errno when the SLSB itself is unreachable.
 */
int qdio_ad_out_scan(struct qdio_queue *q, unsigned max, qdio_out_cb cb, void *ctx,
		     struct qdio_scan *res);
/*
 * Input queue: pack one packet (header + data spans) into the current input SBAL
 * following the inbound rules (header never crosses an element, exact lengths,
 * LAST_ENTRY on the last used element).  Opens the next empty (0x41) buffer when
 * needed and primes (0x82) a full one on its own.  0 on success; -EAGAIN no empty
 * buffer (packet not taken, counted as NOBUF); -EMSGSIZE never fits (TOOBIG);
 * -EINVAL header length 0 or > QDIO_HDR_MAX.
 */
int qdio_ad_in_put(struct qdio_queue *q, const uint8_t *hdr, uint32_t hdrlen,
		   const struct qdio_span *data, unsigned nspans);
/* End of a batch: prime the open buffer if it holds packets.  Returns 1 if a
 * buffer was primed (an interrupt is owed), 0 if nothing to do, or -errno. */
int qdio_ad_in_flush(struct qdio_queue *q);
/*
 * Input: has the program taken the last buffer the adapter handed it (primed or
 * errored)?  True when its SLSB byte no longer says PRIMED/ERROR: Linux marks the
 * newest buffer it found ACK (0x81), a program that returned it wrote EMPTY (0x41),
 * ours resets taken buffers to NOT_INIT.  Also true when nothing was handed yet or the
 * SLSB is unreachable.  A hint for interrupt moderation only (the program may write
 * anything there); never a reason to lose an interrupt by itself.
 */
bool qdio_ad_in_taken(struct qdio_queue *q);
/* The same for input buffer b (taken modulo 128). */
bool qdio_ad_in_taken_buf(struct qdio_queue *q, unsigned b);
/* Input: may a packet go in now (a buffer is open, or the next one is EMPTY)? */
bool qdio_ad_in_room(struct qdio_queue *q);
/* True once after any input buffer was primed/errored or a PCI was requested. */
static inline bool qdio_ad_take_irq(struct qdio_queue *q)
{
	bool v = q->irq;

	q->irq = false;
	return v;
}

/* ---- program side ---------------------------------------------------------------- */

/*
 * After Establish: set every SLSB byte to NOT_INIT (0x80 input / 0xA0 output) and
 * attach the queue's data area: 128 * nelem 4K pages at `pages` (nelem 1..16) that
 * back the SBAL elements.  -EINVAL bad nelem, -EFAULT/-EXDEV bad page area.
 */
int qdio_pg_start(struct qdio_queue *q, uint64_t pages, unsigned nelem, uint8_t ac1);

/* Input: hand up to `n` buffers to the adapter (elements reset to whole pages,
 * LAST_ENTRY on the last, then 0x41).  Returns the number given; *siga says
 * whether a SIGA-r is due.  */
int qdio_pg_in_give(struct qdio_queue *q, unsigned n, enum qdio_siga *siga);

typedef void (*qdio_rx_cb)(void *ctx, const uint8_t *hdr, const struct qdio_span *data,
			   unsigned nspans, uint32_t len);
/* Input: take up to `max` primed buffers in ring order, parse them as qeth does
 * (32-byte headers, id 1/2/3/6, data may span elements) and call `cb` per packet;
 * an ERROR buffer is counted (reason in st.last_sf15) and dropped.  Taken buffers
 * go back to NOT_INIT until given again.  Returns buffers taken or -errno. */
int qdio_pg_in_take(struct qdio_queue *q, unsigned max, qdio_rx_cb cb, void *ctx);

/* Output: pack one packet into the current output SBAL (outbound rules: each
 * packet starts in a new element, fragment flags over its elements).  -EAGAIN
 * no free buffer (reap first), -EMSGSIZE never fits, -EINVAL bad header length. */
int qdio_pg_out_put(struct qdio_queue *q, const uint8_t *hdr, uint32_t hdrlen,
		    const struct qdio_span *data, unsigned nspans);
/* Output: prime all filled buffers (0x62) and decide on the signal: SIGA-s if the
 * device needs sync, none if the buffer before the run is still primed (fast
 * requeue), SIGA-w if the device needs it.  Returns the number of buffers primed;
 * *siga gets the decision (NONE when nothing was primed). */
int qdio_pg_out_flush(struct qdio_queue *q, enum qdio_siga *siga);
/* Output: reap up to `max` completed buffers (0xA1/0xAF) in ring order.
 * Returns buffers reaped; ERROR ones are counted as QDIO_E_PEER. */
int qdio_pg_out_reap(struct qdio_queue *q, unsigned max);

/* ---- program side: laying the blocks out in storage ----------------------------- */
struct qdio_pg_cfg {
	uint8_t qfmt;
	uint8_t nin, nout;	/* 1..32 each */
	uint8_t nelem;		/* data pages per SBAL, 1..16 */
	uint8_t ebcnam[8];	/* QIB bus id */
};

struct qdio_pg_layout {
	uint64_t qdr;
	uint64_t end;		/* first byte after everything built */
	uint64_t in_pages[QDIO_QUEUES_MAX];
	uint64_t out_pages[QDIO_QUEUES_MAX];
};

/* Build QDR, QIB, SLIB/SL/SLSB and 128 SBALs plus data pages per queue at `base`
 * (4K aligned), the way a driver would before Establish Queues.  The blocks are
 * zeroed first, the data pages are not touched.  -EINVAL bad cfg,
 * -EXDEV misaligned base, -EFAULT storage too small. */
int qdio_pg_build(struct gstor *gs, uint64_t base, const struct qdio_pg_cfg *cfg,
		  struct qdio_pg_layout *out);
/* Bytes qdio_pg_build needs for `cfg`. */
uint64_t qdio_pg_size(const struct qdio_pg_cfg *cfg);

#endif
