/* osa/rxring.h - the OSA model's classified receive rings: inbound frames sorted by
 * destination into bounded rings (a few "hardware" rings bound to the busiest). */
#ifndef CPNET_OSA_RXRING_H
#define CPNET_OSA_RXRING_H

#include <stdbool.h>
#include <stdint.h>

#include "vnic/port.h"

/*
 * Crossbow's receive side, in the OSA model (doc/rings.md, "Classified receive rings
 * on the OSA").  The OSA reads the wire into slots of a pool it owns (the frame's one
 * copy before the input SBAL), classifies each accepted frame by destination and
 * queues the slot on that destination's ring:
 *
 *   - a destination is a unicast address the OSA accepted a frame for, with its VLAN:
 *     a MAC (layer 2) or an IPv4/IPv6 address (layer 3).  Broadcast and multicast go
 *     to the shared DEFAULT ring (ring 0);
 *   - `nhw` HARDWARE rings (RDEVICE ... RINGS n) are each bound to one destination,
 *     the busiest; every other destination shares one of RXR_SW_RINGS SOFTWARE rings
 *     chosen by a hash of its key;
 *   - binding follows load: every rxr_tick (the OSA's timer) each destination's frame
 *     count of the period goes into a decaying load; a free hardware ring goes to the
 *     busiest unbound destination, and an unbound destination takes a bound one's ring
 *     when its load exceeds RXR_HYST times the bound one's plus RXR_BIND_MIN
 *     (hysteresis: two destinations of about equal load do not trade places every
 *     tick).  A rebinding moves the queued frames with their destination (slot indices,
 *     in order), so a destination's frames are always in one ring and never reordered;
 *     frames queued UNTRACKED (the table was full) are adopted by the entry their key
 *     gets later, before it can be bound, so that holds for them too;
 *   - each ring holds at most RXR_FRAMES frames and RXR_BYTES bytes; a frame that does
 *     not fit is dropped and counted on that ring, with the reason;
 *   - rxr_drain hands the rings' frames to the NIC by deficit round robin: each ring
 *     with frames gets a quantum of bytes per turn; when the NIC has no empty input
 *     buffer the drain stops where it is and the frames wait in their rings, so a
 *     flooded destination fills (and overflows) only its own ring.
 *
 * Storage follows use (doc/rings.md, "Storage"): the slot descriptors, the rings and
 * the destination table are allocated by rxr_init, a slot's bytes only when the pool
 * has no free slot of the class needed.  The wire reads into READ slots of `frame_max`
 * bytes (the wire's MTU + 18, followed when it changes: rxr_set_frame_max); a frame
 * that fits a class of at most half that size (2 KiB, 4 KiB) is copied into one and
 * its READ slot goes back, so a ring of small frames does not hold jumbo slots.  What
 * stayed free through a whole tick beyond a read's worth is given back (rxr_tick).
 * A steady flow allocates nothing.  Thread-safety: one thread (the OSA's).
 */

#define RXR_HW_DEFAULT 4u		/* hardware rings when RDEVICE names none */
#define RXR_HW_MAX 16u			/* RDEVICE ... RINGS 1-16 */
#define RXR_SW_RINGS 4u			/* software rings the unbound destinations share */
#define RXR_FRAMES 512u			/* frames one ring holds */
#define RXR_BYTES (1024u * 1024u)	/* bytes one ring holds */
#define RXR_DESTS 64u			/* destinations tracked */
#define RXR_HYST 2u			/* a challenger needs this times the bound load ... */
#define RXR_BIND_MIN 8u			/* ... plus this many frames per period */
#define RXR_BATCH 32u			/* frames per hand-over to the NIC */
#define RXR_READ_MAX 32u		/* slots a wire read may hold beyond full rings */
#define RXR_NONE 0xFFFFu
#define RXR_FRAME_MAX 65600u		/* largest frame_max: a large receive (the wire's
					 * WIRE_OFL_FRAME_MAX) */
/* Slot classes: two small sizes a frame is copied down to, and the READ size. */
#define RXR_CLASSES 3u
#define RXR_C_READ 2u
#define RXR_C_NONE RXR_CLASSES		/* free ids with no storage */

enum rxr_kind { RXR_DEFAULT = 0, RXR_HARDWARE, RXR_SOFTWARE };

/* Why a ring dropped a frame (QUERY OSA ... DETAILS). */
enum rxr_drop {
	RXR_D_FRAMES = 0,	/* the ring held RXR_FRAMES frames */
	RXR_D_BYTES,		/* the ring held RXR_BYTES bytes */
	RXR_D_GONE,		/* its destination went away while it waited (the address
				 * was deregistered, the NIC reset or stopped) */
	RXR_D_NR
};

/* A destination: family 'M' (MAC, addr[0..5]), '4' (IPv4, addr[0..3]), '6'. */
struct rxr_key {
	uint8_t addr[16];
	uint16_t vlan;
	uint8_t family;
};

struct rxr_dest {
	bool used;
	struct rxr_key key;
	uint16_t ring;			/* where its frames queue now */
	uint32_t win;			/* frames this period */
	uint32_t load;			/* decaying: load - load/4 + win each tick */
	uint32_t queued;		/* frames of it in its ring */
	uint64_t frames, bytes, drops;
};

struct rxr_ring {
	uint8_t kind;			/* enum rxr_kind */
	uint16_t dest;			/* HARDWARE: the bound destination, or RXR_NONE */
	uint16_t *q;			/* slot indices, RXR_FRAMES, circular */
	unsigned head, n;
	uint32_t bytes;			/* queued */
	uint32_t deficit;		/* deficit round robin */
	bool in_turn;			/* its quantum for this turn was granted */
	uint64_t frames, fbytes;	/* queued ever */
	uint64_t delivered;		/* taken by the NIC (or dropped there with a reason) */
	uint64_t drops[RXR_D_NR];
};

/* One pool slot: the frame's bytes and what the classifier said of it. */
struct rxr_slot {
	uint8_t *buf;			/* its storage (NULL: none yet) */
	uint32_t cap;			/* bytes at buf: a class's size */
	struct pframe pf;		/* pf.spans = &sp */
	struct qdio_span sp;
	uint16_t dest;			/* RXR_NONE: default ring or untracked */
	uint32_t wire_len;		/* bytes as read (what the ring's bounds count) */
	struct rxr_key key;		/* an untracked frame's destination: the entry its
					 * key gets later adopts it (order across binding) */
};

struct rxr_stats {
	uint64_t binds;			/* a destination got a hardware ring */
	uint64_t rebinds;		/* ...that another destination held */
	uint64_t untracked;		/* unicast frames with no destination entry free */
	uint64_t copied;		/* frames copied from a READ slot to a small one */
	uint64_t nomem;			/* slot storage that could not be allocated (the
					 * wire read waits, or the frame keeps its READ slot) */
};

/* Ring layout: 0 DEFAULT, 1..RXR_SW_RINGS SOFTWARE, then the HARDWARE rings (storage
 * for RXR_HW_MAX, nhw of them in use), so changing nhw moves no other ring. */
#define RXR_HW0 (1u + RXR_SW_RINGS)
#define RXR_RINGS_MAX (RXR_HW0 + RXR_HW_MAX)

struct rxr {
	unsigned nhw, nrings;		/* rings in use: RXR_HW0 + nhw */
	uint32_t frame_max;		/* bytes of a READ slot (the largest frame read) */
	uint32_t quantum;		/* DRR bytes per turn (>= frame_max: a turn moves one) */
	unsigned nslots;		/* slot ids: every ring full plus a wire read */
	struct rxr_slot *slots;
	/* Free slot ids by class of their storage, and those with none (RXR_C_NONE):
	 * stacks, the most recently used on top. */
	uint16_t *stk[RXR_CLASSES + 1];
	unsigned nstk[RXR_CLASSES + 1];
	unsigned low[RXR_CLASSES];	/* the fewest free of a class since the last tick */
	unsigned nfree;			/* ids not in use (all stacks) */
	uint64_t storage;		/* bytes of slot storage allocated now */
	struct rxr_ring *rings;
	unsigned cur;			/* DRR: the ring whose turn it is */
	unsigned waiting;		/* frames queued in all rings */
	struct rxr_dest dest[RXR_DESTS];
	uint16_t last;			/* the destination found last (a flood hits it) */
	uint32_t seed;			/* of the software-ring hash: chosen per OSA, so that
					 * a sender cannot pick keys that share a victim's ring */
	struct rxr_stats st;
};

/* Rings for a NIC whose largest frame is frame_max (64..RXR_FRAME_MAX) bytes; nhw
 * 1..RXR_HW_MAX.  No frame storage yet.  0, -EINVAL, -ENOMEM (nothing left allocated). */
int rxr_init(struct rxr *r, unsigned nhw, uint32_t frame_max);
/* The wire's largest frame changed (its MTU): READ slots from now on have frame_max
 * bytes; free ones of the old size are given back, those in use when they come back.
 * 0 or -EINVAL. */
int rxr_set_frame_max(struct rxr *r, uint32_t frame_max);
void rxr_free(struct rxr *r);
/* Change the number of hardware rings 1..RXR_HW_MAX (the frames of a destination
 * whose ring goes away move to its software ring).  0 or -EINVAL. */
int rxr_set_hw(struct rxr *r, unsigned nhw);

/* Slots for the wire to read into: up to n free READ slots (frame_max bytes each),
 * taken off the pool (bufs[i] is slot ids[i]'s storage).  Returns how many (fewer
 * when storage cannot be allocated: counted in st.nomem). */
unsigned rxr_take_slots(struct rxr *r, uint8_t **bufs, uint16_t *ids, unsigned n);
/* A slot not queued after all (nothing read, or the classifier dropped the frame). */
void rxr_put_slot(struct rxr *r, uint16_t id);
static inline struct rxr_slot *rxr_slot(struct rxr *r, uint16_t id) { return &r->slots[id]; }
/* Queue slot id (its pf filled in, one span inside the wire_len bytes read) for key
 * (NULL: the DEFAULT ring); a small frame may move to a smaller slot first.  true if
 * queued; false: dropped and counted on its ring (the slot is back in the pool). */
bool rxr_queue(struct rxr *r, uint16_t id, const struct rxr_key *key, uint32_t wire_len);

/* Hand up to max queued frames over by deficit round robin.  put() takes frames in
 * order and returns how many it consumed, setting *full when it stopped for lack of
 * room; the ring it stopped in (or at max) resumes its turn next time.  Returns frames
 * consumed. */
typedef unsigned (*rxr_put_fn)(void *ctx, const struct pframe *f, unsigned n, bool *full);
unsigned rxr_drain(struct rxr *r, unsigned max, rxr_put_fn put, void *ctx);
/* Drop every queued frame (the NIC was reset or stopped), counted RXR_D_GONE on
 * its ring; returns how many. */
unsigned rxr_flush(struct rxr *r);
/* The address (family 'M' addr[0..5], '4' addr[0..3], '6' addr[0..15]) is no longer
 * a destination: its queued frames (any VLAN, untracked ones too) are dropped, counted
 * RXR_D_GONE on their ring, and its entries freed (a hardware ring it held is free for
 * the next tick).  Frames that wait for an address must not reach whoever registers
 * it next.  Returns the frames dropped. */
unsigned rxr_forget(struct rxr *r, uint8_t family, const uint8_t *addr);
/* Loads and binding, and free storage given back; called once per timer period. */
void rxr_tick(struct rxr *r);

const char *rxr_kind_name(enum rxr_kind k);
const char *rxr_drop_name(enum rxr_drop why);
/* "02:00:00:00:00:0A", "10.1.2.3", "fd00::1": the destination's address. */
void rxr_key_text(const struct rxr_key *k, char *buf, unsigned len);

#endif
