/* tests/unit/test_rxring.c - the OSA's classified receive rings on their own: binding
 * that follows load (with hysteresis), ring bounds, frames following a rebinding, DRR. */
#include <stdlib.h>

#include "osa/rxring.h"
#include "tests/tcheck.h"

static struct rxr_key ip_key(uint8_t last)
{
	struct rxr_key k;

	memset(&k, 0, sizeof(k));
	k.family = '4';
	k.addr[0] = 10;
	k.addr[3] = last;
	return k;
}

/* One frame of len bytes for key (NULL: the DEFAULT ring); its first byte says which
 * destination it is for and the next two its number.  true if queued. */
static bool put_one(struct rxr *r, const struct rxr_key *k, uint32_t len, uint16_t nr)
{
	uint8_t *buf;
	uint16_t id;

	if (rxr_take_slots(r, &buf, &id, 1) != 1)
		return false;
	buf[0] = k ? k->addr[3] : 0;
	buf[1] = (uint8_t)(nr >> 8);
	buf[2] = (uint8_t)nr;
	memset(&rxr_slot(r, id)->pf, 0, sizeof(struct pframe));
	rxr_slot(r, id)->sp.ptr = buf;
	rxr_slot(r, id)->sp.len = len;
	rxr_slot(r, id)->pf.spans = &rxr_slot(r, id)->sp;
	rxr_slot(r, id)->pf.nspans = 1;
	rxr_slot(r, id)->pf.len = len;
	return rxr_queue(r, id, k, len);
}

static int ring_of(const struct rxr *r, const struct rxr_key *k)
{
	for (unsigned d = 0; d < RXR_DESTS; d++)
		if (r->dest[d].used && !memcmp(&r->dest[d].key, k, sizeof(*k)))
			return r->dest[d].ring;
	return -1;
}

/* A NIC with room for `room` frames; records who got them, in order. */
struct sink {
	unsigned room, n;
	uint8_t who[4096];
	uint16_t nr[4096];
};

static unsigned sink_put(void *ctx, const struct pframe *f, unsigned n, bool *full)
{
	struct sink *s = ctx;
	unsigned k;

	for (k = 0; k < n && s->room; k++, s->room--, s->n++) {
		s->who[s->n] = f[k].spans[0].ptr[0];
		s->nr[s->n] = (uint16_t)(f[k].spans[0].ptr[1] << 8 | f[k].spans[0].ptr[2]);
	}
	*full = k < n;
	return k;
}

TEST(rxring_binding_follows_load_with_hysteresis)
{
	struct rxr *r = calloc(1, sizeof(*r));
	struct rxr_key a = ip_key(1), b = ip_key(2), c = ip_key(3);
	struct sink *s = calloc(1, sizeof(*s));

	REQUIRE(r && s);
	REQUIRE(rxr_init(r, 1, 1536) == 0);
	/* The first destination seen takes the free hardware ring at once. */
	CHECK(put_one(r, &a, 100, 0));
	CHECK_EQ(ring_of(r, &a), (int)RXR_HW0);
	CHECK(put_one(r, &b, 100, 0));
	CHECK(ring_of(r, &b) >= 1 && ring_of(r, &b) < (int)RXR_HW0);
	CHECK_EQ(r->st.binds, 1);
	/* B gets busy, A quiet: after a tick B holds the hardware ring, and its frame
	 * queued on the software ring moved with it (A's went the other way). */
	for (unsigned k = 1; k < 40; k++)
		CHECK(put_one(r, &b, 100, (uint16_t)k));
	rxr_tick(r);
	CHECK_EQ(ring_of(r, &b), (int)RXR_HW0);
	CHECK(ring_of(r, &a) >= 1 && ring_of(r, &a) < (int)RXR_HW0);
	CHECK_EQ(r->st.rebinds, 1);
	CHECK_EQ(r->rings[RXR_HW0].n, 40);
	CHECK_EQ(r->rings[RXR_HW0].dest, r->last);
	s->room = 1000;
	CHECK_EQ(rxr_drain(r, UINT32_MAX, sink_put, s), 41);
	/* Each destination's frames in the order they came. */
	for (unsigned k = 0, nb = 0; k < s->n; k++)
		if (s->who[k] == 2)
			CHECK_EQ(s->nr[k], nb++);
	/* Hysteresis: A now a little busier than B (not RXR_HYST times): no change. */
	for (unsigned tick = 0; tick < 8; tick++) {
		for (unsigned k = 0; k < 50; k++)
			CHECK(put_one(r, &a, 100, 0));
		for (unsigned k = 0; k < 40; k++)
			CHECK(put_one(r, &b, 100, 0));
		s->room = 1000;
		rxr_drain(r, UINT32_MAX, sink_put, s);
		rxr_tick(r);
	}
	CHECK_EQ(ring_of(r, &b), (int)RXR_HW0);
	CHECK_EQ(r->st.rebinds, 1);
	/* B stops, C floods: C takes the ring from B (A's load is decaying too). */
	for (unsigned tick = 0; tick < 4; tick++) {
		for (unsigned k = 0; k < 100; k++)
			CHECK(put_one(r, &c, 100, 0));
		s->room = 1000;
		rxr_drain(r, UINT32_MAX, sink_put, s);
		rxr_tick(r);
	}
	CHECK_EQ(ring_of(r, &c), (int)RXR_HW0);
	CHECK(r->st.rebinds >= 2);
	/* More hardware rings: the next tick binds the busiest unbound ones. */
	CHECK_EQ(rxr_set_hw(r, 3), 0);
	CHECK_EQ(rxr_set_hw(r, 0), -EINVAL);
	CHECK_EQ(rxr_set_hw(r, RXR_HW_MAX + 1), -EINVAL);
	for (unsigned k = 0; k < 20; k++)
		CHECK(put_one(r, &a, 100, 0));
	rxr_tick(r);
	CHECK(ring_of(r, &a) >= (int)RXR_HW0);
	/* Fewer: a destination whose ring goes away takes its frames to its software ring. */
	{
		unsigned before = r->waiting;

		for (unsigned k = 0; k < 5; k++)
			CHECK(put_one(r, &a, 100, 0));
		CHECK_EQ(rxr_set_hw(r, 1), 0);
		CHECK_EQ(r->waiting, before + 5);
		CHECK(ring_of(r, &a) <= (int)RXR_HW0);
		CHECK(ring_of(r, &c) <= (int)RXR_HW0);
		s->room = 1000;
		CHECK_EQ(rxr_drain(r, UINT32_MAX, sink_put, s), before + 5);
	}
	rxr_free(r);
	free(r);
	free(s);
}

TEST(rxring_bounds_drop_on_the_full_ring_only)
{
	struct rxr *r = calloc(1, sizeof(*r));
	struct rxr_key a = ip_key(1), b = ip_key(2);
	struct sink *s = calloc(1, sizeof(*s));
	unsigned ok = 0;

	REQUIRE(r && s);
	REQUIRE(rxr_init(r, 2, 9216) == 0);
	/* Small frames: the frame bound. */
	for (unsigned k = 0; k < RXR_FRAMES + 10; k++)
		ok += put_one(r, &a, 60, 0);
	CHECK_EQ(ok, RXR_FRAMES);
	CHECK_EQ(r->rings[ring_of(r, &a)].drops[RXR_D_FRAMES], 10);
	/* Jumbo frames: the byte bound (116 of 9000 bytes fit 1 MiB). */
	ok = 0;
	for (unsigned k = 0; k < RXR_BYTES / 9000 + 10; k++)
		ok += put_one(r, &b, 9000, 0);
	CHECK_EQ(ok, RXR_BYTES / 9000);
	CHECK_EQ(r->rings[ring_of(r, &b)].drops[RXR_D_BYTES], 10);
	CHECK_EQ(r->rings[ring_of(r, &b)].drops[RXR_D_FRAMES], 0);
	CHECK_EQ(r->rings[ring_of(r, &a)].drops[RXR_D_BYTES], 0);
	/* The DEFAULT ring takes what has no destination, within its own bounds. */
	CHECK(put_one(r, NULL, 60, 0));
	CHECK_EQ(r->rings[0].n, 1);
	/* Every ring full: slots are left for a wire read. */
	CHECK(r->nfree >= RXR_READ_MAX);
	/* Deficit round robin by bytes (quantum 9216): with room for 155 frames, one
	 * turn each: the DEFAULT ring's frame, 153 of A's 60-byte frames (9180 bytes) and
	 * one jumbo frame of B. */
	CHECK_EQ(r->quantum, 9216);
	s->room = 155;
	rxr_drain(r, UINT32_MAX, sink_put, s);
	{
		unsigned na = 0, nb = 0, nd = 0;

		for (unsigned k = 0; k < s->n; k++) {
			na += s->who[k] == 1;
			nb += s->who[k] == 2;
			nd += s->who[k] == 0;
		}
		CHECK_EQ(nd, 1);
		CHECK_EQ(na, 9216 / 60);
		CHECK_EQ(nb, 1);
	}
	CHECK_EQ(rxr_flush(r), RXR_FRAMES + RXR_BYTES / 9000 + 1 - 155);
	CHECK_EQ(r->waiting, 0);
	CHECK_EQ(r->nfree, r->nslots);
	rxr_free(r);
	free(r);
	free(s);
}

TEST(rxring_init_rejects_bad_arguments)
{
	struct rxr r;

	CHECK_EQ(rxr_init(&r, 0, 1536), -EINVAL);
	CHECK_EQ(rxr_init(&r, RXR_HW_MAX + 1, 1536), -EINVAL);
	CHECK_EQ(rxr_init(&r, 4, 10), -EINVAL);
	CHECK_EQ(rxr_init(&r, 4, 1536), 0);
	rxr_free(&r);
}

/* Drain everything; count X's (key 200) frames and how many came in order 0, 1, 2... */
static void drain_x(struct rxr *r, struct sink *s, unsigned *nx, unsigned *seen)
{
	s->room = 4096;
	s->n = 0;
	rxr_drain(r, UINT32_MAX, sink_put, s);
	for (unsigned k = 0; k < s->n; k++) {
		if (s->who[k] != 200)
			continue;
		(*nx)++;
		if (s->nr[k] == *seen)
			(*seen)++;
	}
}

/* A destination's frames reach the NIC in the order they came, whatever ring they
 * waited in: here frames of X queued while the destination table was full (so on a
 * software ring, UNTRACKED), then X gets an entry and at once a free hardware ring,
 * then more frames.  The drain hands over a quantum per ring and turn, so frames left
 * behind on the software ring would come after newer ones from the hardware ring.
 * Then X loses its ring (RINGS 1) and wins one back by load, frames waiting each time. */
TEST(rxring_frames_keep_their_order_when_the_destination_is_bound_later)
{
	struct rxr *r = calloc(1, sizeof(*r));
	struct sink *s = calloc(1, sizeof(*s));
	struct rxr_key x = ip_key(200);
	unsigned nx = 0, seen = 0;
	uint16_t nr = 0;

	REQUIRE(r && s);
	REQUIRE(rxr_init(r, 1, 1536) == 0);
	r->seed = 12345;		/* a fixed hash: the same rings every run */
	/* 64 destinations with a frame each: the table is full, nothing evictable. */
	for (unsigned k = 0; k < RXR_DESTS; k++) {
		struct rxr_key kk = ip_key((uint8_t)(k + 1));

		CHECK(put_one(r, &kk, 100, 0));
	}
	for (unsigned g = 1; g < RXR_HW0; g++)
		REQUIRE(r->rings[g].n > 0);	/* every software ring starts with another's */
	/* 40 frames of X: no entry for it, they wait on its software ring. */
	for (unsigned k = 0; k < 40; k++)
		CHECK(put_one(r, &x, 100, nr++));
	CHECK_EQ(r->st.untracked, 40);
	CHECK_EQ(ring_of(r, &x), -1);
	/* One frame goes to the NIC (another destination's: every software ring has one
	 * ahead of X's), so its entry may be reused; a second hardware ring is free. */
	s->room = 1;
	CHECK_EQ(rxr_drain(r, UINT32_MAX, sink_put, s), 1);
	CHECK(s->who[0] != 200);
	CHECK_EQ(rxr_set_hw(r, 2), 0);
	/* X's next frames: it gets an entry and the free hardware ring at once. */
	for (unsigned k = 0; k < 40; k++)
		CHECK(put_one(r, &x, 100, nr++));
	CHECK_EQ(ring_of(r, &x), (int)RXR_HW0 + 1);
	drain_x(r, s, &nx, &seen);
	CHECK_EQ(r->waiting, 0);
	CHECK_EQ(nx, nr);
	CHECK_EQ(seen, nr);		/* 0, 1, 2, ... with no gap or step back */
	/* X gives its ring back while frames wait in it (RINGS 1), more come on the
	 * software ring, and by load it takes the remaining hardware ring. */
	for (unsigned k = 0; k < 10; k++)
		CHECK(put_one(r, &x, 100, nr++));
	CHECK_EQ(rxr_set_hw(r, 1), 0);
	CHECK(ring_of(r, &x) < (int)RXR_HW0);
	for (unsigned k = 0; k < 60; k++)
		CHECK(put_one(r, &x, 100, nr++));
	rxr_tick(r);
	CHECK_EQ(ring_of(r, &x), (int)RXR_HW0);
	for (unsigned k = 0; k < 10; k++)
		CHECK(put_one(r, &x, 100, nr++));
	drain_x(r, s, &nx, &seen);
	CHECK_EQ(r->waiting, 0);
	CHECK_EQ(nx, nr);
	CHECK_EQ(seen, nr);
	rxr_free(r);
	free(r);
	free(s);
}

/* An address that is deregistered takes its waiting frames with it (every VLAN, its
 * hardware ring freed), counted as "destination gone"; the others' stay, in order.
 * rxr_flush (the NIC reset or stopped) counts the same way. */
TEST(rxring_forget_drops_that_address_only_and_frees_its_ring)
{
	struct rxr *r = calloc(1, sizeof(*r));
	struct sink *s = calloc(1, sizeof(*s));
	struct rxr_key a = ip_key(1), a5 = ip_key(1), b = ip_key(2);
	unsigned nb = 0;

	REQUIRE(r && s);
	REQUIRE(rxr_init(r, 1, 1536) == 0);
	a5.vlan = 5;
	for (unsigned k = 0; k < 10; k++) {
		CHECK(put_one(r, &a, 100, (uint16_t)k));
		CHECK(put_one(r, &a5, 100, (uint16_t)k));
		CHECK(put_one(r, &b, 100, (uint16_t)k));
	}
	CHECK(put_one(r, NULL, 60, 0));
	CHECK_EQ(ring_of(r, &a), (int)RXR_HW0);
	CHECK_EQ(rxr_forget(r, '4', a.addr), 20);
	CHECK_EQ(ring_of(r, &a), -1);
	CHECK_EQ(ring_of(r, &a5), -1);
	CHECK_EQ(r->rings[RXR_HW0].dest, RXR_NONE);	/* free for the next busiest */
	CHECK_EQ(r->rings[RXR_HW0].drops[RXR_D_GONE], 10);
	CHECK_EQ(r->rings[ring_of(r, &b)].n, 10);
	CHECK_EQ(r->waiting, 11);
	CHECK_STR(rxr_drop_name(RXR_D_GONE), "destination gone");
	/* B's and the DEFAULT ring's frames are all there, B's in order. */
	s->room = 100;
	CHECK_EQ(rxr_drain(r, UINT32_MAX, sink_put, s), 11);
	for (unsigned k = 0; k < s->n; k++) {
		CHECK(s->who[k] != 1);
		if (s->who[k] == 2)
			CHECK_EQ(s->nr[k], nb++);
	}
	CHECK_EQ(nb, 10);
	/* A comes back: a new entry, no old frame. */
	CHECK(put_one(r, &a, 100, 99));
	CHECK_EQ(r->waiting, 1);
	rxr_tick(r);
	CHECK(ring_of(r, &a) >= 0);
	CHECK_EQ(rxr_flush(r), 1);
	CHECK_EQ(r->rings[RXR_HW0].drops[RXR_D_GONE], 11);	/* A took the free ring */
	CHECK_EQ(r->waiting, 0);
	CHECK_EQ(r->nfree, r->nslots);
	rxr_free(r);
	free(r);
	free(s);
}

/* Slot storage follows use: nothing before the first frame; at a jumbo frame size small
 * frames sit in 2 KiB slots, not in READ slots; what stayed free through a tick goes
 * back; a new frame size (the MTU changed) gives READ slots of that size, and those
 * of the old size go when they come back. */
TEST(rxring_storage_follows_use_and_the_frame_size)
{
	struct rxr *r = calloc(1, sizeof(*r));
	struct sink *s = calloc(1, sizeof(*s));
	struct rxr_key a = ip_key(1), b = ip_key(2);
	unsigned ok = 0;
	uint8_t *buf;
	uint16_t id;

	REQUIRE(r && s);
	REQUIRE(rxr_init(r, 2, 9024) == 0);
	CHECK_EQ(r->storage, 0);		/* was nslots x 9024: 97 MB */
	CHECK_EQ(r->nfree, r->nslots);
	/* 512 small frames: 512 slots of 2 KiB and the one READ slot they came through. */
	for (unsigned k = 0; k < RXR_FRAMES; k++)
		ok += put_one(r, &a, 100, (uint16_t)k);
	CHECK_EQ(ok, RXR_FRAMES);
	CHECK_EQ(r->st.copied, RXR_FRAMES);
	CHECK_EQ(r->storage, RXR_FRAMES * 2048u + 9024u);
	/* Jumbo frames keep their READ slot, up to the ring's byte bound. */
	ok = 0;
	for (unsigned k = 0; k < RXR_BYTES / 9000 + 5; k++)
		ok += put_one(r, &b, 9000, (uint16_t)k);
	CHECK_EQ(ok, RXR_BYTES / 9000);
	CHECK_EQ(r->storage, RXR_FRAMES * 2048u + (RXR_BYTES / 9000 + 1) * 9024u);
	/* Everything delivered, in order, from the slots it was copied to. */
	s->room = 4096;
	CHECK_EQ(rxr_drain(r, UINT32_MAX, sink_put, s), RXR_FRAMES + RXR_BYTES / 9000);
	for (unsigned k = 0, na = 0; k < s->n; k++)
		if (s->who[k] == 1)
			CHECK_EQ(s->nr[k], na++);
	/* Idle for two ticks: a wire read's worth of READ slots is kept, nothing else. */
	rxr_tick(r);
	rxr_tick(r);
	CHECK(r->storage <= RXR_READ_MAX * 9024u);
	CHECK_EQ(r->nfree, r->nslots);
	/* The MTU goes down: READ slots are small, no copy. */
	CHECK_EQ(rxr_set_frame_max(r, 1536), 0);
	CHECK_EQ(r->storage, 0);
	CHECK_EQ(r->quantum, 1536);
	REQUIRE(rxr_take_slots(r, &buf, &id, 1) == 1);
	CHECK_EQ(rxr_slot(r, id)->cap, 1536);
	rxr_put_slot(r, id);
	CHECK(put_one(r, &a, 1500, 0));
	CHECK_EQ(r->storage, 1536);
	/* ... and up again while that frame waits: its slot goes when it comes back. */
	CHECK_EQ(rxr_set_frame_max(r, 9216), 0);
	CHECK_EQ(r->storage, 1536);
	REQUIRE(rxr_take_slots(r, &buf, &id, 1) == 1);
	CHECK_EQ(rxr_slot(r, id)->cap, 9216);
	rxr_put_slot(r, id);
	s->room = 4096;
	s->n = 0;
	CHECK_EQ(rxr_drain(r, UINT32_MAX, sink_put, s), 1);
	CHECK_EQ(r->storage, 9216);
	CHECK_EQ(rxr_set_frame_max(r, 63), -EINVAL);
	CHECK_EQ(rxr_set_frame_max(r, RXR_FRAME_MAX + 1), -EINVAL);
	rxr_free(r);
	free(r);
	free(s);
}
