/* lib/shmring.h - frames between two processes without a syscall per frame: a memfd
 * both map, a single-producer ring each way, eventfd doorbells rung only on sleepers. */
#ifndef CPNET_LIB_SHMRING_H
#define CPNET_LIB_SHMRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One shared area per pair of processes, created by side A (the more trusted one: it
 * seals the memfd so that the peer can neither shrink it under A's mapping nor grow
 * it) and attached by side B from the three descriptors A passes (shr_fds order).
 * Queue 0 carries A -> B, queue 1 B -> A.  The payload of a slot is opaque here: the
 * user (vnic/vmlink for frames, application ports later) puts its own message in it.
 *
 * Layout (host byte order: both processes run on one host), doc/rings.md:
 *	0	header: u32 magic, u32 version, u32 nslots, u32 slot_size, u64 size
 *	256	queue 0 control, 512 queue 1 control: four 64-byte lines each --
 *		+0 prod (producer's), +64 cons (consumer's), +128 sleeps (consumer: 1
 *		"ring me", n > 1 "ring me once n entries wait", a nap), +192 waits
 *		(producer: 1 "ring me when there is room", n > 1 "once n slots are
 *		free")
 *	4096	queue 0 descriptors, then queue 1's: nslots x {u32 len, u32 flags},
 *		page aligned
 *	...	queue 0 slots, then queue 1's: nslots x slot_size each, page aligned
 *	...	the user's extra area (shr_create_extra), whole pages, to the end
 * Indices run free (u32, wrapping); entry i is descriptor/slot i % nslots.
 *
 * A message takes as many consecutive entries as its length needs in whole slots (at
 * least one; at most half the ring, shr_max_msg), its bytes contiguous from the first
 * entry's slot on; only the first entry's descriptor counts (flags 0), the others' are
 * never read.  A message never wraps: one that would not fit before the ring's end is
 * preceded by a wrap entry (flags SHR_DF_WRAP, len 0) that takes the entries up to
 * the end, and starts at entry 0.  So a ring of small slots holds many small frames
 * and still carries a large one (version 2; version 1 had one message per entry).
 *
 * Ordering: the producer fills slots and descriptors, then stores prod with release;
 * the consumer loads prod with acquire, copies what it takes, then stores cons with
 * release.  A side about to sleep sets its flag, then (full fence) reads the index
 * again: a peer that published meanwhile either sees the flag (and rings) or was
 * seen by the re-check -- no lost wakeup.  The ringing side takes the flag with an
 * exchange, so one sleep costs at most one doorbell.
 *
 * The peer is hostile: every index, length or flag word read from the area is read
 * once, checked (prod - cons <= nslots and never backwards; a message's entries inside
 * the ring, published and not past its end; len <= the reader's cap; flags known; a
 * wrap entry not at entry 0) and the slots copied before use.  A violation breaks the ring for good (`broken` says why): the user
 * drops the link.  Nothing A reads depends on the header, which B could rewrite.
 */

#define SHR_MAGIC	0x43505247u	/* "CPRG" */
#define SHR_VERSION	2
#define SHR_MAX_SLOTS	4096
#define SHR_MAX_SLOT	(1u << 20)
/* Slots are whole cache lines, or 16 or 32 bytes: small entries (an application
 * port's posts and completions) four or two to a line, so that the peer's side moves
 * a line per four entries, not per entry. */
#define SHR_MIN_SLOT	16
#define SHR_MAX_EXTRA	((size_t)256 << 20)
/* The longest message: half the ring (so that it fits after a wrap entry once the ring
 * is empty), at most this. */
#define SHR_MAX_MSG	(1u << 30)
/* Descriptor flags: the entries from this one to the ring's end carry nothing. */
#define SHR_DF_WRAP	0x1u

enum shr_break {
	SHR_OK = 0,
	SHR_BAD_PROD,		/* the producer index jumped beyond the ring or went back */
	SHR_BAD_CONS,		/* the consumer index passed the producer or went back */
	SHR_BAD_LEN,		/* a message's length beyond the reader's cap, or its entries
				 * past the ring's end or not all published */
	SHR_BAD_MSG,		/* the user found the slot's content malformed (shr_break) */
	SHR_BAD_DESC,		/* unknown descriptor flags, or a wrap entry out of place */
	SHR_BREAK_MAX
};

struct shr_q;

struct shring {
	uint8_t *map;
	size_t size;
	int memfd;		/* kept by A to pass (and by B to keep); closed by shr_free */
	int bell_me;		/* readable when the peer rang for us */
	int bell_peer;		/* written to wake the peer */
	bool side_b;
	uint32_t nslots, slot_size;
	struct shr_q *txq, *rxq;
	uint8_t *txd, *rxd, *txs, *rxs;
	/* The truth of each index is private; the shared copies are only published. */
	uint32_t tx_prod;	/* next entry to fill */
	uint32_t tx_pub;	/* what the peer has been shown */
	uint32_t tx_cons;	/* the peer's consumer index as last validated */
	uint32_t rx_cons;	/* next entry to take */
	uint32_t rx_pub;	/* what the peer has been given back */
	uint32_t rx_prod;	/* the peer's producer index as last validated */
	uint32_t tx_pad;	/* entries the reserved message skips first (a wrap) */
	enum shr_break broken;
	/* The user's own area after the rings (shr_create_extra), whole pages; NULL /
	 * 0 without one.  Nothing here reads it: its user decides who writes what. */
	uint8_t *extra;
	size_t extra_size;
	/* Counters: doorbells rung, wakeups asked, frames each way, ring-full events. */
	uint64_t bells, arms, tx_frames, rx_frames, tx_full;
	/* shr_arm or shr_nap set the consumer's flag, found work on the re-check, and
	 * the producer had taken the flag first: its doorbell is (or is about to be)
	 * readable though the consumer does not sleep (shr_bell_coming). */
	bool bell_coming;
	/* Tests only (NULL otherwise): called by shr_arm and shr_nap between setting
	 * the flag (and the fence) and the re-check, where a producer running on
	 * another CPU may publish and take the flag. */
	void (*recheck_hook)(void *arg);
	void *recheck_arg;
};

/* Side A: a new area with nslots (power of two, <= SHR_MAX_SLOTS) slots of slot_size
 * bytes (16, 32, or a multiple of 64 up to SHR_MAX_SLOT) each way.  0 or -errno (-EINVAL, -ENOMEM, ...). */
int shr_create(struct shring *r, uint32_t nslots, uint32_t slot_size);
/* The same with `extra` bytes (rounded up to pages, <= SHR_MAX_EXTRA) of the user's
 * own after the rings (r->extra): application ports keep their buffers there.  B
 * finds its size from the header (shr_attach). */
int shr_create_extra(struct shring *r, uint32_t nslots, uint32_t slot_size, size_t extra);
/* The descriptors A passes to B: memfd, A's bell, B's bell (A keeps its own). */
void shr_fds(const struct shring *r, int fds[3]);
/* Side B: attach to what A passed (takes the descriptors, even on failure).  Checks
 * the header against the memfd's size and its seals.  0, -EPROTO (not a ring of this
 * version), -EINVAL (sizes), -errno. */
int shr_attach(struct shring *r, const int fds[3]);
void shr_free(struct shring *r);

/* The longest message this ring carries: slot_size x nslots / 2, at most SHR_MAX_MSG
 * (never less than a slot). */
uint32_t shr_max_msg(const struct shring *r);

/* ---- producer ---- */
/* Room for the next message of up to len bytes: *out points at len contiguous bytes to
 * fill (then shr_tx_put).  0; -EAGAIN when the ring has not the entries free (with
 * `bell`, the peer is asked to ring once they are); -EMSGSIZE (len > shr_max_msg);
 * -EPIPE (broken). */
int shr_tx_reserve(struct shring *r, uint32_t len, bool bell, uint8_t **out);
/* The next free slot (slot_size bytes to fill), or NULL when the ring is full or
 * broken; a full ring asks the peer to ring when it takes something. */
uint8_t *shr_tx_slot(struct shring *r);
/* The same for a producer that waits for room by looking again after a timed sleep,
 * never on its doorbell: a full ring asks for no doorbell (the consumer would write
 * the eventfd after each batch it takes, for nobody). */
uint8_t *shr_tx_slot_nobell(struct shring *r);
/* The entries free for the producer now (the peer's index read and checked; 0 when
 * broken). */
uint32_t shr_tx_room(struct shring *r);
/* About to sleep on bell_me for room (shr_tx_slot found the ring full): ask the
 * consumer to ring once `room` slots (1..nslots) are free.  True when they are free
 * already (do not sleep). */
bool shr_tx_want(struct shring *r, uint32_t room);
/* The entries the next message of len bytes takes where the producer stands (a wrap
 * entry before it included): what shr_tx_reserve needs free; nslots when len is over
 * shr_max_msg. */
uint32_t shr_tx_need(const struct shring *r, uint32_t len);
/* What shr_tx_reserve (or shr_tx_slot) gave holds len bytes (no more than reserved):
 * the next message, not yet visible. */
void shr_tx_put(struct shring *r, uint32_t len);
/* Make every put entry visible (one release store) and ring the peer if it sleeps:
 * a batch costs at most one syscall.  0, or -EPIPE when the ring is broken. */
int shr_tx_publish(struct shring *r);

/* ---- consumer ---- */
/* The next message copied into buf (cap bytes): its length, 0 when none waits, -EPIPE
 * when the ring is (or is now) broken.  Wrap entries are skipped here. */
int shr_rx_get(struct shring *r, uint8_t *buf, uint32_t cap);
/* The next message where it lies in the shared area: *msg points at its `len` bytes
 * (the return value, as shr_rx_get's), inside the ring's slots -- the length and the
 * entries checked, the bytes not: the peer may rewrite them at any time.  The caller
 * copies what it looks at (once) before deciding anything on it, and may copy the rest
 * straight to where it goes; the entries stay taken, their slots not yet the
 * producer's, until shr_rx_done. */
int shr_rx_ref(struct shring *r, const uint8_t **msg, uint32_t cap);
/* Give the taken entries back (one release store); rings a producer waiting for room. */
void shr_rx_done(struct shring *r);
/* Whether an entry waits, from the shared index alone (no system call, nothing
 * taken, nothing checked: shr_rx_get checks what it takes). */
bool shr_rx_pending(const struct shring *r);
/* About to sleep on bell_me: say so.  True when something arrived (or room came) since
 * the last look -- then do not sleep (the flag is taken back, or found taken by the
 * producer: shr_bell_coming). */
bool shr_arm(struct shring *r);
/* Awake again (or deciding to poll): take back a flag still set, so that the peer
 * does not ring a consumer that is not asleep.  The next sleep arms again.  True when
 * this took back a flag the producer had not taken (an exchange: that flag rings no
 * doorbell); false when none was set (never set, taken back before, or taken by the
 * producer, whose doorbell then comes or came). */
bool shr_disarm(struct shring *r);
/* Whether the consumer's flag (shr_arm, shr_nap) is still set: the producer has not
 * taken it, so it has not rung for it (a load, nothing written). */
bool shr_armed(const struct shring *r);
/* About to nap (a timed sleep on bell_me while polling, lib/adapt.h): ask the peer to
 * ring only once `fill` entries wait (2..nslots), so that a long nap cannot let the ring
 * fill up; the next look takes the flag back (shr_disarm).  True when `fill` entries
 * already wait (do not nap; a flag the producer took meanwhile: shr_bell_coming). */
bool shr_nap(struct shring *r, uint32_t fill);
/* Once after shr_arm or shr_nap returned true (do not sleep): true when the producer
 * had taken the flag they set before their re-check took it back -- its doorbell was
 * rung for a consumer that is not asleep, and only its owner empties it (a reader
 * polling on bell_me would find it readable on every poll until then).  Reading it
 * resets it; so does shr_bell_drain. */
bool shr_bell_coming(struct shring *r);
/* bell_me was readable: empty it. */
void shr_bell_drain(struct shring *r);
/* The user found an entry malformed: the ring is broken with SHR_BAD_MSG. */
void shr_break(struct shring *r, enum shr_break why);
const char *shr_break_name(enum shr_break why);

/* Test and fuzz access: the shared control words of queue q (0 = A -> B), and the
 * descriptor length word of entry i, as the peer would write them. */
uint32_t *shr_peer_prod(struct shring *r, unsigned q);
uint32_t *shr_peer_cons(struct shring *r, unsigned q);
uint32_t *shr_peer_len(struct shring *r, unsigned q, uint32_t i);
uint32_t *shr_peer_flags(struct shring *r, unsigned q, uint32_t i);
uint8_t *shr_peer_slot(struct shring *r, unsigned q, uint32_t i);
/* Test and fuzz access: both queues empty again on the same area, as if just made and
 * attached -- the shared indices, flags and descriptors zero, this side's indices,
 * `broken` and counters too, its doorbell drained -- without a new memfd whose pages
 * would all fault again.  Slot bytes stay as they are (whoever needs them zero clears
 * what it wrote).  Both sides start over at once, so the peer must be this process:
 * each side's owner calls it (tests, the ring fuzzer). */
void shr_reset(struct shring *r);

#endif
