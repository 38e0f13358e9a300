/* osa/rxring.c - the OSA model's classified receive rings: slot pool, destinations,
 * load-following binding of hardware rings, deficit round robin towards the NIC. */
#include "osa/rxring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool key_eq(const struct rxr_key *a, const struct rxr_key *b)
{
	return a->family == b->family && a->vlan == b->vlan && !memcmp(a->addr, b->addr, 16);
}

/* The software ring a destination shares (FNV-1a of its key, seeded per OSA). */
static uint16_t sw_ring(const struct rxr *r, const struct rxr_key *k)
{
	uint32_t h = 2166136261u ^ r->seed;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ k->addr[i]) * 16777619u;
	h = (h ^ (k->vlan & 0xFF)) * 16777619u;
	h = (h ^ (k->vlan >> 8)) * 16777619u;
	h = (h ^ k->family) * 16777619u;
	return (uint16_t)(1u + h % RXR_SW_RINGS);
}

static bool is_hw(const struct rxr *r, unsigned ring)
{
	return ring >= RXR_HW0 && ring < r->nrings;
}

/* ---- pool ---------------------------------------------------------------------------- */

/* Bytes of a slot of class c: 2 KiB, 4 KiB, or the READ size. */
static uint32_t class_size(const struct rxr *r, unsigned c)
{
	return c == RXR_C_READ ? r->frame_max : 2048u << c;
}

/* The class whose size cap is (the small ones first: frame_max may be one of them);
 * -1 for a size no class has now (a READ slot of an older MTU). */
static int class_of(const struct rxr *r, uint32_t cap)
{
	for (unsigned c = 0; c < RXR_CLASSES; c++)
		if (cap == class_size(r, c))
			return (int)c;
	return -1;
}

static void push(struct rxr *r, unsigned c, uint16_t id)
{
	r->stk[c][r->nstk[c]++] = id;
	r->nfree++;
}

static void drop_storage(struct rxr *r, struct rxr_slot *s)
{
	r->storage -= s->cap;
	free(s->buf);
	s->buf = NULL;
	s->cap = 0;
}

/* A free slot of class c: one that has its storage, else an id that gets it now.
 * RXR_NONE when there is no id left or no memory. */
static uint16_t take_class(struct rxr *r, unsigned c)
{
	struct rxr_slot *s;
	uint16_t id;

	if (r->nstk[c]) {
		id = r->stk[c][--r->nstk[c]];
		if (r->nstk[c] < r->low[c])
			r->low[c] = r->nstk[c];
		r->nfree--;
		return id;
	}
	if (!r->nstk[RXR_C_NONE])
		return RXR_NONE;
	id = r->stk[RXR_C_NONE][r->nstk[RXR_C_NONE] - 1];
	s = &r->slots[id];
	s->buf = malloc(class_size(r, c));
	if (!s->buf) {
		r->st.nomem++;
		return RXR_NONE;
	}
	s->cap = class_size(r, c);
	r->storage += s->cap;
	r->nstk[RXR_C_NONE]--;
	r->nfree--;
	return id;
}

unsigned rxr_take_slots(struct rxr *r, uint8_t **bufs, uint16_t *ids, unsigned n)
{
	unsigned k;
	int c = class_of(r, r->frame_max);

	for (k = 0; k < n; k++) {
		uint16_t id = take_class(r, (unsigned)c);

		if (id == RXR_NONE)
			break;
		ids[k] = id;
		bufs[k] = r->slots[id].buf;
	}
	return k;
}

void rxr_put_slot(struct rxr *r, uint16_t id)
{
	struct rxr_slot *s = &r->slots[id];
	int c = class_of(r, s->cap);

	if (c < 0) {
		drop_storage(r, s);	/* the MTU changed while it was in use */
		c = RXR_C_NONE;
	}
	push(r, (unsigned)c, id);
}

/* A frame of len bytes in slot id that fits a class of at most half the READ size
 * moves there (its span rebased), the READ slot goes back: what a ring of small frames
 * holds is proportional to its bytes, not to the MTU.  Returns the slot it is in. */
static uint16_t copy_down(struct rxr *r, uint16_t id, uint32_t len)
{
	struct rxr_slot *s = &r->slots[id], *t;
	size_t off;
	uint16_t nid;
	unsigned c;

	for (c = 0; c < RXR_C_READ; c++)
		if (len <= class_size(r, c) && 2 * class_size(r, c) <= r->frame_max)
			break;
	if (c == RXR_C_READ || s->cap <= class_size(r, c) || s->pf.nspans != 1 ||
	    s->pf.spans != &s->sp || s->sp.ptr < s->buf)
		return id;
	off = (size_t)(s->sp.ptr - s->buf);
	if (off + s->sp.len > len)
		return id;
	nid = take_class(r, c);
	if (nid == RXR_NONE)
		return id;		/* no memory: it stays where it is */
	t = &r->slots[nid];
	memcpy(t->buf, s->buf, len);
	t->pf = s->pf;
	t->sp = s->sp;
	t->sp.ptr = t->buf + off;
	t->pf.spans = &t->sp;
	r->st.copied++;
	rxr_put_slot(r, id);
	return nid;
}

/* Storage that stayed free through a whole period goes back, beyond a wire read's
 * worth of READ slots. */
static void pool_trim(struct rxr *r)
{
	for (unsigned c = 0; c < RXR_CLASSES; c++) {
		unsigned keep = (int)c == class_of(r, r->frame_max) ? RXR_READ_MAX : 0;

		while (r->low[c] > keep && r->nstk[c]) {
			uint16_t id = r->stk[c][--r->nstk[c]];

			drop_storage(r, &r->slots[id]);
			r->stk[RXR_C_NONE][r->nstk[RXR_C_NONE]++] = id;
			r->low[c]--;
		}
		r->low[c] = r->nstk[c];
	}
}

int rxr_set_frame_max(struct rxr *r, uint32_t frame_max)
{
	unsigned c = RXR_C_READ;

	if (frame_max < 64 || frame_max > RXR_FRAME_MAX)
		return -EINVAL;
	if (frame_max == r->frame_max)
		return 0;
	/* Free READ slots of the old size go now. */
	while (r->nstk[c]) {
		uint16_t id = r->stk[c][--r->nstk[c]];

		drop_storage(r, &r->slots[id]);
		r->stk[RXR_C_NONE][r->nstk[RXR_C_NONE]++] = id;
	}
	r->low[c] = 0;
	r->frame_max = frame_max;
	r->quantum = frame_max;
	return 0;
}

/* ---- rings --------------------------------------------------------------------------- */

static uint16_t ring_pop(struct rxr *r, struct rxr_ring *g)
{
	uint16_t id = g->q[g->head];

	g->head = (g->head + 1) % RXR_FRAMES;
	g->n--;
	g->bytes -= r->slots[id].wire_len;
	r->waiting--;
	return id;
}

static bool ring_push(struct rxr *r, struct rxr_ring *g, uint16_t id)
{
	uint32_t len = r->slots[id].wire_len;

	if (g->n >= RXR_FRAMES) {
		g->drops[RXR_D_FRAMES]++;
		return false;
	}
	if (g->bytes + len > RXR_BYTES) {
		g->drops[RXR_D_BYTES]++;
		return false;
	}
	g->q[(g->head + g->n) % RXR_FRAMES] = id;
	g->n++;
	g->bytes += len;
	r->waiting++;
	return true;
}

/* A queued frame the ring `g` cannot take after all: back to the pool, counted on
 * its destination (the ring counted the reason). */
static void lose(struct rxr *r, uint16_t id)
{
	uint16_t d = r->slots[id].dest;

	if (d != RXR_NONE) {
		r->dest[d].queued--;
		r->dest[d].drops++;
	}
	rxr_put_slot(r, id);
}

/* Move destination d's queued frames from ring `from` to ring `to`, in order; the
 * others stay in `from`, in order. */
static void ring_move(struct rxr *r, unsigned from, unsigned to, uint16_t d)
{
	struct rxr_ring *f = &r->rings[from], *t = &r->rings[to];
	unsigned n = f->n;

	if (from == to)
		return;
	for (unsigned k = 0; k < n; k++) {
		uint16_t id = ring_pop(r, f);
		struct rxr_ring *g = r->slots[id].dest == d ? t : f;

		if (!ring_push(r, g, id))
			lose(r, id);
	}
}

/* Can ring `to` take every frame of destination d queued on ring `from`? */
static bool ring_room_for(const struct rxr *r, unsigned from, unsigned to, uint16_t d)
{
	const struct rxr_ring *f = &r->rings[from], *t = &r->rings[to];
	uint64_t bytes = 0;
	unsigned n = 0;

	for (unsigned k = 0; k < f->n; k++) {
		uint16_t id = f->q[(f->head + k) % RXR_FRAMES];

		if (r->slots[id].dest == d) {
			n++;
			bytes += r->slots[id].wire_len;
		}
	}
	return t->n + n <= RXR_FRAMES && t->bytes + bytes <= RXR_BYTES;
}

/* Give hardware ring h to destination d (its previous owner goes to its software
 * ring), frames following their destination.  Refused (false) when the previous
 * owner's frames would not fit its software ring, unless forced: a rebinding that
 * follows load never drops a frame. */
static bool ring_bind(struct rxr *r, unsigned h, uint16_t d, bool force)
{
	struct rxr_ring *g = &r->rings[h];
	uint16_t old = g->dest;

	if (!force && old != RXR_NONE &&
	    !ring_room_for(r, h, sw_ring(r, &r->dest[old].key), old))
		return false;
	if (old != RXR_NONE) {
		uint16_t s = sw_ring(r, &r->dest[old].key);

		ring_move(r, h, s, old);
		r->dest[old].ring = s;
		r->st.rebinds++;
	}
	g->dest = d;
	if (d != RXR_NONE) {
		ring_move(r, r->dest[d].ring, h, d);
		r->dest[d].ring = (uint16_t)h;
		r->st.binds++;
	}
	return true;
}

static int free_hw(const struct rxr *r)
{
	for (unsigned h = RXR_HW0; h < r->nrings; h++)
		if (r->rings[h].dest == RXR_NONE)
			return (int)h;
	return -1;
}

/* A new entry d adopts the frames of its key queued UNTRACKED (on its software ring,
 * where the entry starts): from now on they move with it, so a binding cannot leave
 * them behind newer frames of the same key. */
static void adopt(struct rxr *r, uint16_t d)
{
	struct rxr_dest *e = &r->dest[d];
	const struct rxr_ring *g = &r->rings[e->ring];

	for (unsigned k = 0; k < g->n; k++) {
		struct rxr_slot *s = &r->slots[g->q[(g->head + k) % RXR_FRAMES]];

		if (s->dest == RXR_NONE && key_eq(&s->key, &e->key)) {
			s->dest = d;
			e->queued++;
		}
	}
}

/* The destination entry for key, created when missing (evicting an idle unbound one
 * with nothing queued); RXR_NONE when every entry is in use. */
static uint16_t dest_get(struct rxr *r, const struct rxr_key *key)
{
	uint16_t best = RXR_NONE;
	int h;

	if (r->last != RXR_NONE && r->dest[r->last].used && key_eq(&r->dest[r->last].key, key))
		return r->last;
	for (unsigned i = 0; i < RXR_DESTS; i++) {
		const struct rxr_dest *e = &r->dest[i];

		if (e->used && key_eq(&e->key, key))
			return r->last = (uint16_t)i;
		if (!e->used) {
			if (best == RXR_NONE || r->dest[best].used)
				best = (uint16_t)i;
		} else if (!e->queued && !is_hw(r, e->ring) &&
			   (best == RXR_NONE || (r->dest[best].used && e->load < r->dest[best].load))) {
			best = (uint16_t)i;
		}
	}
	if (best == RXR_NONE)
		return RXR_NONE;
	memset(&r->dest[best], 0, sizeof(r->dest[best]));
	r->dest[best].used = true;
	r->dest[best].key = *key;
	r->dest[best].ring = sw_ring(r, key);
	adopt(r, best);
	/* A hardware ring nobody holds is taken at once (nothing queued to move). */
	h = free_hw(r);
	if (h >= 0)
		(void)ring_bind(r, (unsigned)h, best, false);	/* a free ring: nothing to move out */
	return r->last = best;
}

bool rxr_queue(struct rxr *r, uint16_t id, const struct rxr_key *key, uint32_t wire_len)
{
	struct rxr_slot *s;
	uint16_t d = RXR_NONE;
	unsigned ring = 0;

	id = copy_down(r, id, wire_len);
	s = &r->slots[id];
	s->wire_len = wire_len;
	if (key) {
		d = dest_get(r, key);
		if (d == RXR_NONE) {
			r->st.untracked++;
			ring = sw_ring(r, key);
			s->key = *key;	/* for the entry it may get while it waits */
		} else {
			ring = r->dest[d].ring;
		}
	}
	s->dest = d;
	if (!ring_push(r, &r->rings[ring], id)) {
		if (d != RXR_NONE)
			r->dest[d].drops++;
		rxr_put_slot(r, id);
		return false;
	}
	r->rings[ring].frames++;
	r->rings[ring].fbytes += wire_len;
	if (d != RXR_NONE) {
		struct rxr_dest *e = &r->dest[d];

		e->queued++;
		e->win++;
		e->frames++;
		e->bytes += wire_len;
	}
	return true;
}

/* ---- draining ------------------------------------------------------------------------ */

static void next_turn(struct rxr *r, struct rxr_ring *g)
{
	g->in_turn = false;
	if (!g->n)
		g->deficit = 0;		/* an idle ring saves no credit */
	r->cur = (r->cur + 1) % r->nrings;
}

unsigned rxr_drain(struct rxr *r, unsigned max, rxr_put_fn put, void *ctx)
{
	struct pframe pf[RXR_BATCH];
	unsigned total = 0;

	while (r->waiting && total < max) {
		struct rxr_ring *g = &r->rings[r->cur];
		unsigned k = 0, used;
		uint32_t bytes = 0;
		bool full = false;

		if (!g->n) {
			next_turn(r, g);
			continue;
		}
		if (!g->in_turn) {
			g->deficit += r->quantum;
			g->in_turn = true;
		}
		while (k < RXR_BATCH && k < g->n && total + k < max) {
			const struct rxr_slot *s = &r->slots[g->q[(g->head + k) % RXR_FRAMES]];

			if (bytes + s->wire_len > g->deficit)
				break;
			bytes += s->wire_len;
			pf[k++] = s->pf;
		}
		if (!k) {
			/* The head is larger than what is left of this turn: next turn. */
			next_turn(r, g);
			continue;
		}
		used = put(ctx, pf, k, &full);
		if (used > k)
			used = k;
		for (unsigned i = 0; i < used; i++) {
			uint16_t id = ring_pop(r, g);
			uint16_t d = r->slots[id].dest;

			g->deficit -= r->slots[id].wire_len;
			g->delivered++;
			if (d != RXR_NONE)
				r->dest[d].queued--;
			rxr_put_slot(r, id);
		}
		total += used;
		if (full || used < k || total == max)
			break;		/* no room: this ring resumes its turn next time */
		if (!g->n || r->slots[g->q[g->head]].wire_len > g->deficit)
			next_turn(r, g);
	}
	return total;
}

/* Drop the frames of ring g that gone() names (NULL: all), counted RXR_D_GONE; the
 * others stay, in order.  Returns how many went. */
static unsigned ring_purge(struct rxr *r, struct rxr_ring *g,
			   bool (*gone)(const struct rxr *r, const struct rxr_slot *s, const void *ctx),
			   const void *ctx)
{
	unsigned n = g->n, dropped = 0;

	for (unsigned k = 0; k < n; k++) {
		uint16_t id = ring_pop(r, g);
		const struct rxr_slot *s = &r->slots[id];

		if (gone && !gone(r, s, ctx)) {
			(void)ring_push(r, g, id);	/* fits: it was there */
			continue;
		}
		if (s->dest != RXR_NONE) {
			r->dest[s->dest].queued--;
			r->dest[s->dest].drops++;
		}
		g->drops[RXR_D_GONE]++;
		rxr_put_slot(r, id);
		dropped++;
	}
	if (!g->n) {
		g->deficit = 0;
		g->in_turn = false;
	}
	return dropped;
}

unsigned rxr_flush(struct rxr *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nrings; i++)
		n += ring_purge(r, &r->rings[i], NULL, NULL);
	return n;
}

/* Has key k the address of `want` (its family and address; the VLAN is not looked at)? */
static bool same_addr(const struct rxr_key *k, const struct rxr_key *want)
{
	return k->family == want->family && !memcmp(k->addr, want->addr, sizeof(k->addr));
}

static bool slot_gone(const struct rxr *r, const struct rxr_slot *s, const void *ctx)
{
	/* An untracked frame (only software rings hold them) carries its key. */
	return s->dest != RXR_NONE ? same_addr(&r->dest[s->dest].key, ctx) : same_addr(&s->key, ctx);
}

unsigned rxr_forget(struct rxr *r, uint8_t family, const uint8_t *addr)
{
	struct rxr_key want;
	unsigned n = 0;

	memset(&want, 0, sizeof(want));
	want.family = family;
	memcpy(want.addr, addr, family == 'M' ? 6 : family == '4' ? 4 : 16);
	/* The DEFAULT ring holds no destination's frames. */
	for (unsigned i = 1; i < r->nrings; i++)
		n += ring_purge(r, &r->rings[i], slot_gone, &want);
	for (unsigned d = 0; d < RXR_DESTS; d++) {
		struct rxr_dest *e = &r->dest[d];

		if (!e->used || !same_addr(&e->key, &want))
			continue;
		if (is_hw(r, e->ring))
			r->rings[e->ring].dest = RXR_NONE;
		memset(e, 0, sizeof(*e));
		if (r->last == d)
			r->last = RXR_NONE;
	}
	return n;
}

/* ---- binding ------------------------------------------------------------------------- */

void rxr_tick(struct rxr *r)
{
	pool_trim(r);
	for (unsigned i = 0; i < RXR_DESTS; i++) {
		struct rxr_dest *e = &r->dest[i];

		if (!e->used)
			continue;
		e->load = e->load - e->load / 4 + e->win;
		e->win = 0;
	}
	/* At most one change per hardware ring and tick. */
	for (unsigned round = 0; round < r->nhw; round++) {
		uint16_t u = RXR_NONE;
		int h = free_hw(r);

		for (unsigned i = 0; i < RXR_DESTS; i++) {
			const struct rxr_dest *e = &r->dest[i];

			if (e->used && e->load && !is_hw(r, e->ring) &&
			    (u == RXR_NONE || e->load > r->dest[u].load))
				u = (uint16_t)i;
		}
		if (u == RXR_NONE)
			return;
		if (h < 0) {
			/* The least loaded bound destination, if the challenger beats it
			 * by the hysteresis margin. */
			uint32_t least = UINT32_MAX;

			for (unsigned g = RXR_HW0; g < r->nrings; g++) {
				uint32_t l = r->dest[r->rings[g].dest].load;

				if (l < least) {
					least = l;
					h = (int)g;
				}
			}
			if ((uint64_t)r->dest[u].load <= (uint64_t)least * RXR_HYST + RXR_BIND_MIN)
				return;
		}
		if (!ring_bind(r, (unsigned)h, u, false))
			return;		/* next tick, when the owner's frames have drained */
	}
}

int rxr_set_hw(struct rxr *r, unsigned nhw)
{
	if (nhw < 1 || nhw > RXR_HW_MAX)
		return -EINVAL;
	/* Rings that go away give their destination back to its software ring. */
	for (unsigned h = RXR_HW0 + nhw; h < r->nrings; h++) {
		/* The operator took the ring away: what its software ring cannot hold
		 * is dropped and counted on the destination. */
		(void)ring_bind(r, h, RXR_NONE, true);
		r->rings[h].deficit = 0;
		r->rings[h].in_turn = false;
	}
	r->nhw = nhw;
	r->nrings = RXR_HW0 + nhw;
	if (r->cur >= r->nrings)
		r->cur = 0;
	/* New rings are taken by the next tick. */
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------------------- */

int rxr_init(struct rxr *r, unsigned nhw, uint32_t frame_max)
{
	memset(r, 0, sizeof(*r));
	if (nhw < 1 || nhw > RXR_HW_MAX || frame_max < 64 || frame_max > RXR_FRAME_MAX)
		return -EINVAL;
	/* Every ring full and a wire read in progress still leave slot ids: reading the
	 * wire never waits for the NIC, drops happen in the rings.  Their storage comes
	 * as they are used. */
	r->nslots = RXR_RINGS_MAX * RXR_FRAMES + RXR_READ_MAX;
	r->frame_max = frame_max;
	r->quantum = frame_max;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	r->rings = calloc(RXR_RINGS_MAX, sizeof(*r->rings));
	if (!r->slots || !r->rings)
		goto free_all;
	for (unsigned c = 0; c <= RXR_C_NONE; c++) {
		r->stk[c] = calloc(r->nslots, sizeof(uint16_t));
		if (!r->stk[c])
			goto free_all;
	}
	for (unsigned i = 0; i < RXR_RINGS_MAX; i++) {
		r->rings[i].q = calloc(RXR_FRAMES, sizeof(uint16_t));
		if (!r->rings[i].q)
			goto free_all;
		r->rings[i].kind = i == 0 ? RXR_DEFAULT : i < RXR_HW0 ? RXR_SOFTWARE : RXR_HARDWARE;
		r->rings[i].dest = RXR_NONE;
	}
	for (unsigned i = 0; i < r->nslots; i++)
		r->stk[RXR_C_NONE][i] = (uint16_t)(r->nslots - 1 - i);
	r->nstk[RXR_C_NONE] = r->nfree = r->nslots;
	r->nhw = nhw;
	r->nrings = RXR_HW0 + nhw;
	r->last = RXR_NONE;
	return 0;

free_all:
	rxr_free(r);
	return -ENOMEM;
}

void rxr_free(struct rxr *r)
{
	if (r->rings)
		for (unsigned i = 0; i < RXR_RINGS_MAX; i++)
			free(r->rings[i].q);
	free(r->rings);
	for (unsigned c = 0; c <= RXR_C_NONE; c++)
		free(r->stk[c]);
	for (unsigned i = 0; r->slots && i < r->nslots; i++)
		free(r->slots[i].buf);
	free(r->slots);
	memset(r, 0, sizeof(*r));
}

/* ---- names --------------------------------------------------------------------------- */

const char *rxr_kind_name(enum rxr_kind k)
{
	switch (k) {
	case RXR_DEFAULT: return "DEFAULT";
	case RXR_HARDWARE: return "HARDWARE";
	case RXR_SOFTWARE: return "SOFTWARE";
	}
	return "?";
}

const char *rxr_drop_name(enum rxr_drop why)
{
	static const char *const names[RXR_D_NR] = {
		[RXR_D_FRAMES] = "ring full (frames)",
		[RXR_D_BYTES] = "ring full (bytes)",
		[RXR_D_GONE] = "destination gone",
	};

	return (unsigned)why < RXR_D_NR ? names[why] : "?";
}

void rxr_key_text(const struct rxr_key *k, char *buf, unsigned len)
{
	const uint8_t *a = k->addr;

	if (k->family == 'M')
		snprintf(buf, len, "%02X:%02X:%02X:%02X:%02X:%02X", a[0], a[1], a[2], a[3], a[4],
			 a[5]);
	else if (k->family == '4')
		snprintf(buf, len, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	else if (!inet_ntop(AF_INET6, a, buf, len))
		snprintf(buf, len, "?");
}
