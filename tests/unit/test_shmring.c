/* tests/unit/test_shmring.c - the shared-memory ring pair (lib/shmring): order, batches
 * and doorbells, and a hostile peer writing garbage into indices and lengths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/shmring.h"
#include "tests/tcheck.h"

#define NS 8
#define SS 256

/* A and B in one process: B attached to duplicates of what A would pass. */
static int pair(struct shring *a, struct shring *b)
{
	int fds[3], dups[3];

	if (shr_create(a, NS, SS) < 0)
		return -1;
	shr_fds(a, fds);
	for (int i = 0; i < 3; i++)
		dups[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
	return shr_attach(b, dups);
}

static bool readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1;
}

static void put(struct shring *r, uint8_t tag, uint32_t len)
{
	uint8_t *s = shr_tx_slot(r);

	if (!s)
		return;
	memset(s, tag, len);
	shr_tx_put(r, len);
}

/* n entries of len bytes of tag from r, published together. */
static void put_n(struct shring *r, unsigned n, uint8_t tag, uint32_t len)
{
	for (unsigned i = 0; i < n; i++)
		put(r, tag, len);
	shr_tx_publish(r);
}

/* Entries of 8 bytes from a, each in the slot `slot` (shr_tx_slot, or _nobell) gives, until
 * it gives none (at most 100): how many went in, none published yet. */
static unsigned fill(struct shring *a, uint8_t *(*slot)(struct shring *))
{
	unsigned n = 0;

	while (slot(a) && n < 100) {
		put(a, 2, 8);
		n++;
	}
	return n;
}

TEST(shmring_batch_in_order_rings_a_sleeper_once)
{
	struct shring a, b;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	/* Nothing waits: B may sleep; it says so. */
	CHECK(!shr_arm(&b));
	for (int i = 0; i < 5; i++)
		put(&a, (uint8_t)(0x10 + i), 10 + (uint32_t)i);
	/* Not yet published: B sees nothing. */
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 1);		/* five entries, one doorbell */
	CHECK(readable(b.bell_me));
	shr_bell_drain(&b);
	CHECK(!readable(b.bell_me));
	for (int i = 0; i < 5; i++) {
		CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 10 + i);
		CHECK_EQ(buf[0], 0x10 + i);
		CHECK_EQ(buf[9 + i], 0x10 + i);
	}
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 0);
	shr_rx_done(&b);
	/* B busy (not armed): A publishes without a syscall. */
	put(&a, 1, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 1);
	/* Armed while something waits: B must not sleep (and is not rung for it). */
	CHECK(shr_arm(&b));
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1);
	/* B -> A the same way. */
	CHECK(!shr_arm(&a));
	put(&b, 0x77, 3);
	CHECK_EQ(shr_tx_publish(&b), 0);
	CHECK_EQ(b.bells, 1);
	CHECK(readable(a.bell_me));
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 3);
	CHECK_EQ(buf[2], 0x77);
	CHECK_EQ(a.broken, SHR_OK);
	CHECK_EQ(b.broken, SHR_OK);
	shr_free(&a);
	shr_free(&b);
}

/* A consumer that naps (polling, lib/adapt.h) is rung only once `fill` entries wait:
 * the producer publishes small batches without a syscall until then. */
TEST(shmring_napping_consumer_is_rung_only_at_its_fill_threshold)
{
	struct shring a, b;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	CHECK(!shr_nap(&b, 4));
	put(&a, 1, 1);
	put(&a, 2, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	put(&a, 3, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 0);		/* three wait: below the threshold */
	CHECK(!readable(b.bell_me));
	put(&a, 4, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 1);		/* the fourth: rung once */
	CHECK(readable(b.bell_me));
	put(&a, 5, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 1);		/* the flag went with the doorbell */
	shr_bell_drain(&b);
	for (int i = 1; i <= 5; i++) {
		CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1);
		CHECK_EQ(buf[0], i);
	}
	shr_rx_done(&b);
	/* Already as full as asked: no nap (and no flag left for the producer). */
	for (int i = 0; i < 3; i++)
		put(&a, 9, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK(shr_nap(&b, 3));
	put(&a, 9, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 1);
	/* A threshold beyond the ring is the ring: a full ring rings. */
	for (int i = 0; i < 4; i++)
		CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1);
	shr_rx_done(&b);
	CHECK(!shr_nap(&b, 1000));
	for (int i = 0; i < NS - 1; i++)
		put(&a, 7, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 1);
	put(&a, 7, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 2);
	/* A nap the next look took back (shr_disarm): no doorbell for later frames. */
	for (int i = 0; i < NS; i++)
		CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1);
	shr_rx_done(&b);
	CHECK(!shr_nap(&b, 2));
	shr_disarm(&b);
	put(&a, 7, 1);
	put(&a, 7, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(a.bells, 2);
	CHECK_EQ(a.broken, SHR_OK);
	CHECK_EQ(b.broken, SHR_OK);
	shr_free(&a);
	shr_free(&b);
}

/* What the producer does on its CPU in the moment between the consumer's flag and its
 * re-check (shr_arm, shr_nap): publish `n` entries -- taking the flag and ringing if it
 * wants to -- or only store its index, before it reads the flag. */
struct race {
	struct shring *a;
	unsigned n;
	bool index_only;
};

static void race_publish(void *arg)
{
	struct race *rc = arg;

	for (unsigned i = 0; i < rc->n; i++)
		put(rc->a, (uint8_t)(i + 1), 1);
	if (rc->index_only)
		__atomic_store_n(shr_peer_prod(rc->a, 0), rc->a->tx_prod, __ATOMIC_RELEASE);
	else
		shr_tx_publish(rc->a);
}

/* The producer publishes between the consumer's flag and its re-check: both see each
 * other, the producer takes the flag and rings; the consumer's re-check finds the
 * entries and does not sleep.  It must learn that the doorbell was rung (its re-check
 * takes the flag back with an exchange, which finds it gone): the owner of a doorbell
 * that is readable though nobody sleeps has to empty it.  A plain store of 0 told it
 * nothing, and a reader polling on the doorbell found it readable on every poll.  A
 * producer that stored its index but had not read the flag yet rings nothing: the
 * consumer's exchange gets the flag, the producer's finds none. */
TEST(shmring_flag_taken_between_arm_and_recheck_is_told)
{
	struct shring a, b;
	struct race rc;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	rc = (struct race){ &a, 2, false };
	b.recheck_hook = race_publish;
	b.recheck_arg = &rc;
	/* Arm: the producer took the flag and rang. */
	CHECK(shr_arm(&b));			/* work came: do not sleep */
	CHECK_EQ(a.bells, 1);
	CHECK(readable(b.bell_me));
	CHECK(!shr_armed(&b));
	CHECK(shr_bell_coming(&b));		/* told: a doorbell to empty */
	CHECK(!shr_bell_coming(&b));		/* once */
	shr_bell_drain(&b);
	CHECK(!readable(b.bell_me));
	for (int i = 0; i < 2; i++)
		CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1);
	shr_rx_done(&b);
	/* Arm: the producer stored its index and had not read the flag yet. */
	rc = (struct race){ &a, 1, true };
	CHECK(shr_arm(&b));
	CHECK(!shr_bell_coming(&b));		/* the consumer took its flag back */
	CHECK_EQ(shr_tx_publish(&a), 0);	/* now it reads the flag: none */
	CHECK_EQ(a.bells, 1);
	CHECK(!readable(b.bell_me));
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1);
	shr_rx_done(&b);
	/* Nap: the producer's batch reached the threshold and rang. */
	rc = (struct race){ &a, 3, false };
	CHECK(shr_nap(&b, 3));
	CHECK_EQ(a.bells, 2);
	CHECK(shr_bell_coming(&b));
	CHECK(readable(b.bell_me));
	shr_bell_drain(&b);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1);
	shr_rx_done(&b);
	/* Nap: entries below the threshold come, no doorbell, the nap goes ahead. */
	rc = (struct race){ &a, 1, false };
	CHECK(!shr_nap(&b, 3));
	CHECK_EQ(a.bells, 2);
	CHECK(!shr_bell_coming(&b));
	CHECK(shr_armed(&b));
	b.recheck_hook = NULL;
	CHECK(shr_disarm(&b));
	CHECK_EQ(a.broken, SHR_OK);
	CHECK_EQ(b.broken, SHR_OK);
	shr_free(&a);
	shr_free(&b);
}

TEST(shmring_full_ring_waits_and_is_rung_when_room_comes)
{
	struct shring a, b;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	CHECK_EQ(fill(&a, shr_tx_slot), NS);
	CHECK_EQ(a.tx_full, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK(!readable(a.bell_me));
	/* B takes one and gives it back: A asked for room, so A is rung. */
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 8);
	shr_rx_done(&b);
	CHECK_EQ(b.bells, 1);
	CHECK(readable(a.bell_me));
	CHECK(shr_tx_slot(&a) != NULL);
	shr_free(&a);
	shr_free(&b);
}

/* A producer that waits for room in timed steps (the VM's side of a link) asks for no
 * doorbell: the consumer taking entries rings nobody. */
TEST(shmring_full_ring_without_a_room_bell_is_not_rung)
{
	struct shring a, b;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	CHECK_EQ(fill(&a, shr_tx_slot_nobell), NS);
	CHECK_EQ(a.tx_full, 1);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 8);
	shr_rx_done(&b);
	CHECK_EQ(b.bells, 0);
	CHECK(!readable(a.bell_me));
	/* The room is there for the next look all the same. */
	CHECK(shr_tx_slot_nobell(&a) != NULL);
	shr_free(&a);
	shr_free(&b);
}

TEST(shmring_index_jump_from_the_peer_breaks_the_ring)
{
	struct shring a, b;
	uint8_t buf[SS];

	/* B's producer index jumps past a whole ring. */
	REQUIRE(pair(&a, &b) == 0);
	__atomic_store_n(shr_peer_prod(&b, 1), NS + 1, __ATOMIC_RELEASE);
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), -EPIPE);
	CHECK_EQ(a.broken, SHR_BAD_PROD);
	CHECK(shr_arm(&a));	/* broken: never sleep on it */
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), -EPIPE);
	shr_free(&a);
	shr_free(&b);

	/* ... or goes back after A saw it. */
	REQUIRE(pair(&a, &b) == 0);
	put_n(&b, 2, 1, 4);
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 4);
	__atomic_store_n(shr_peer_prod(&b, 1), 1, __ATOMIC_RELEASE);
	/* The second entry was seen published: A takes it, then sees the index back. */
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 4);
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), -EPIPE);
	CHECK_EQ(a.broken, SHR_BAD_PROD);
	shr_free(&a);
	shr_free(&b);

	/* A consumer index beyond what A produced. */
	REQUIRE(pair(&a, &b) == 0);
	put_n(&a, NS, 1, 4);
	__atomic_store_n(shr_peer_cons(&b, 0), NS + 3, __ATOMIC_RELEASE);
	CHECK(shr_tx_slot(&a) == NULL);
	CHECK_EQ(a.broken, SHR_BAD_CONS);
	CHECK_EQ(shr_tx_publish(&a), -EPIPE);
	CHECK_STR(shr_break_name(a.broken), "consumer index out of range");
	shr_free(&a);
	shr_free(&b);
}

TEST(shmring_length_beyond_the_slot_breaks_the_ring)
{
	struct shring a, b;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	put_n(&b, 2, 1, 4);
	*shr_peer_len(&b, 1, 1) = SS + 1;
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 4);
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), -EPIPE);
	CHECK_EQ(a.broken, SHR_BAD_LEN);
	shr_free(&a);
	shr_free(&b);

	/* Within the slot but beyond what the reader gave room for. */
	REQUIRE(pair(&a, &b) == 0);
	put(&b, 1, 100);
	shr_tx_publish(&b);
	CHECK_EQ(shr_rx_get(&a, buf, 50), -EPIPE);
	CHECK_EQ(a.broken, SHR_BAD_LEN);
	shr_free(&a);
	shr_free(&b);
}

/* Messages longer than a slot take as many entries as they need, contiguous; one that
 * would pass the ring's end starts at entry 0 after a wrap entry; longer than half the
 * ring is refused.  Random lengths, producer and consumer interleaved: every message
 * arrives whole and in order, and the ring is full exactly when the entries are. */
TEST(shmring_messages_of_many_slots_wrap_and_arrive_whole)
{
	struct shring a, b;
	static uint8_t buf[NS / 2 * SS];
	uint8_t *p;
	uint32_t seed = 12345, sent = 0, got = 0, lens[64];

	REQUIRE(pair(&a, &b) == 0);
	CHECK_EQ(shr_max_msg(&a), NS / 2 * SS);
	CHECK_EQ(shr_tx_reserve(&a, NS / 2 * SS + 1, true, &p), -EMSGSIZE);
	/* 3 entries, then 4 from entry 3 (fits to 7), then 2 would pass the end at 7:
	 * a wrap entry at 7, the message at 0 -- once entries 0 and 7 are free. */
	REQUIRE(shr_tx_reserve(&a, 600, true, &p) == 0);
	memset(p, 1, 600);
	shr_tx_put(&a, 600);
	REQUIRE(shr_tx_reserve(&a, 1024, true, &p) == 0);
	memset(p, 2, 1024);
	shr_tx_put(&a, 1024);
	CHECK_EQ(shr_tx_reserve(&a, 300, true, &p), -EAGAIN);	/* 1 free, 3 needed */
	shr_tx_publish(&a);
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 600);
	CHECK(buf[0] == 1 && buf[599] == 1);
	shr_rx_done(&b);
	REQUIRE(shr_tx_reserve(&a, 300, true, &p) == 0);
	CHECK(p == shr_peer_slot(&a, 0, 0));	/* after the wrap */
	memset(p, 3, 300);
	shr_tx_put(&a, 300);
	shr_tx_publish(&a);
	CHECK_EQ(*shr_peer_flags(&a, 0, 7), SHR_DF_WRAP);
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 1024);
	CHECK(buf[0] == 2 && buf[1023] == 2);
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 300);
	CHECK(buf[0] == 3 && buf[299] == 3);
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(b.broken, SHR_OK);
	shr_rx_done(&b);

	for (int round = 0; round < 2000; round++) {
		/* A puts a few, B takes a few: lengths 1 .. half the ring. */
		for (int k = 0; k < 3; k++) {
			uint32_t len;

			seed = seed * 1103515245u + 12345u;
			len = 1 + (seed >> 8) % (NS / 2 * SS);
			if (shr_tx_reserve(&a, len, false, &p) != 0)
				break;
			for (uint32_t j = 0; j < len; j++)
				p[j] = (uint8_t)(sent + j);
			shr_tx_put(&a, len);
			lens[sent++ % 64] = len;
		}
		shr_tx_publish(&a);
		seed = seed * 1103515245u + 12345u;
		for (uint32_t k = (seed >> 8) % 4; k > 0; k--) {
			int n = shr_rx_get(&b, buf, sizeof(buf));

			if (n == 0)
				break;
			REQUIRE(n > 0);
			CHECK_EQ((uint32_t)n, lens[got % 64]);
			CHECK(buf[0] == (uint8_t)got && buf[n - 1] == (uint8_t)(got + (uint32_t)n - 1));
			got++;
		}
		shr_rx_done(&b);
	}
	CHECK(sent > 1000 && got > 1000);
	CHECK_EQ(a.broken, SHR_OK);
	CHECK_EQ(b.broken, SHR_OK);
	shr_free(&a);
	shr_free(&b);
}

/* The peer's descriptors of messages of many slots, checked: one that passes the
 * ring's end, one whose entries are not all published, a wrap entry whose entries
 * are not, a wrap at entry 0, unknown flags. */
TEST(shmring_hostile_multi_slot_descriptors_break_the_ring)
{
	struct shring a, b;
	static uint8_t buf[NS / 2 * SS];
	uint8_t *p;

	for (int g = 0; g < 5; g++) {
		static const enum shr_break want[5] = { SHR_BAD_LEN, SHR_BAD_LEN, SHR_BAD_LEN,
							SHR_BAD_DESC, SHR_BAD_DESC };

		REQUIRE(pair(&a, &b) == 0);
		put_n(&b, 6, 1, 4);	/* entries 0-5 taken: B starts at 6 */
		for (int k = 0; k < 6; k++)
			CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 4);
		shr_rx_done(&a);
		REQUIRE(shr_tx_reserve(&b, 2 * SS, true, &p) == 0);	/* entries 6, 7 */
		shr_tx_put(&b, 2 * SS);
		shr_tx_publish(&b);
		switch (g) {
		case 0:		/* three slots from entry 6: past the end */
			*shr_peer_len(&b, 1, 6) = 3 * SS;
			__atomic_store_n(shr_peer_prod(&b, 1), 6 + 3, __ATOMIC_RELEASE);
			break;
		case 1:		/* two slots, one published */
			__atomic_store_n(shr_peer_prod(&b, 1), 6 + 1, __ATOMIC_RELEASE);
			break;
		case 2:		/* a wrap at 6 with only entry 6 published */
			*shr_peer_flags(&b, 1, 6) = SHR_DF_WRAP;
			__atomic_store_n(shr_peer_prod(&b, 1), 6 + 1, __ATOMIC_RELEASE);
			break;
		case 3:		/* a wrap at 6, then another at entry 0 */
			*shr_peer_flags(&b, 1, 6) = SHR_DF_WRAP;
			*shr_peer_flags(&b, 1, 0) = SHR_DF_WRAP;
			__atomic_store_n(shr_peer_prod(&b, 1), 6 + 2 + 1, __ATOMIC_RELEASE);
			break;
		case 4:
			*shr_peer_flags(&b, 1, 6) = 0x80;
			break;
		}
		CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), -EPIPE);
		CHECK_EQ(a.broken, want[g]);
		CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), -EPIPE);
		shr_free(&a);
		shr_free(&b);
	}
}

TEST(shmring_the_copy_is_what_was_checked)
{
	struct shring a, b;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	put(&b, 0x5A, 16);
	shr_tx_publish(&b);
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 16);
	/* The peer rewrites the slot afterwards: A's copy does not change. */
	memset(shr_peer_slot(&b, 1, 0), 0xEE, 16);
	CHECK_EQ(buf[0], 0x5A);
	CHECK_EQ(buf[15], 0x5A);
	shr_free(&a);
	shr_free(&b);
}

/* A pair broken mid-stream, with entries waiting both ways, a full queue and rung
 * doorbells, reset in place by both owners: it works as a new pair from index 0. */
TEST(shmring_reset_starts_both_sides_over)
{
	struct shring a, b;
	uint8_t buf[SS];

	REQUIRE(pair(&a, &b) == 0);
	for (int i = 0; i < NS; i++)
		put(&a, 1, 4);
	CHECK(shr_tx_slot(&a) == NULL);		/* full: asks B to ring when it takes */
	shr_tx_publish(&a);
	CHECK(!shr_arm(&a));
	put(&b, 2, 8);
	shr_tx_publish(&b);			/* A sleeps: rung */
	CHECK(readable(a.bell_me));
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 8);
	__atomic_store_n(shr_peer_prod(&b, 1), NS + 5, __ATOMIC_RELEASE);
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), -EPIPE);
	CHECK_EQ(a.broken, SHR_BAD_PROD);
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 4);
	shr_reset(&a);
	shr_reset(&b);
	CHECK_EQ(a.broken, SHR_OK);
	CHECK(!readable(a.bell_me) && !readable(b.bell_me));
	CHECK(!shr_rx_pending(&a) && !shr_rx_pending(&b));
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 0);
	CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 0);
	CHECK_EQ(*shr_peer_prod(&a, 0), 0u);
	CHECK_EQ(*shr_peer_len(&a, 1, 0), 0u);
	CHECK_EQ(a.tx_frames + a.rx_frames + b.tx_frames + b.rx_frames, 0u);
	/* A whole ring each way again, in order, from slot 0. */
	for (int i = 0; i < NS; i++) {
		put(&a, (uint8_t)(0x30 + i), 5);
		put(&b, (uint8_t)(0x40 + i), 6);
	}
	CHECK(shr_tx_slot(&a) == NULL);
	CHECK_EQ(shr_tx_publish(&a), 0);
	CHECK_EQ(shr_tx_publish(&b), 0);
	for (int i = 0; i < NS; i++) {
		CHECK_EQ(shr_rx_get(&b, buf, sizeof(buf)), 5);
		CHECK_EQ(buf[0], 0x30 + i);
		CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 6);
		CHECK_EQ(buf[0], 0x40 + i);
	}
	CHECK_EQ(shr_rx_get(&a, buf, sizeof(buf)), 0);
	shr_free(&a);
	shr_free(&b);
}

TEST(shmring_attach_refuses_what_is_not_a_sealed_ring)
{
	struct shring a, b;
	int fds[3], bad[3];

	/* A memfd without seals: its owner could shrink it under our mapping. */
	bad[0] = memfd_create("x", MFD_CLOEXEC);
	REQUIRE(bad[0] >= 0);
	REQUIRE(ftruncate(bad[0], 1 << 20) == 0);
	bad[1] = dup(bad[0]);
	bad[2] = dup(bad[0]);
	CHECK_EQ(shr_attach(&b, bad), -EPROTO);

	/* A sealed one whose header says another version. */
	REQUIRE(shr_create(&a, NS, SS) == 0);
	shr_fds(&a, fds);
	for (int i = 0; i < 3; i++)
		bad[i] = dup(fds[i]);
	a.map[4] ^= 0xFF;	/* version */
	CHECK_EQ(shr_attach(&b, bad), -EPROTO);
	a.map[4] ^= 0xFF;
	/* Sizes that do not match the file. */
	for (int i = 0; i < 3; i++)
		bad[i] = dup(fds[i]);
	a.map[8] = 16;		/* nslots */
	CHECK_EQ(shr_attach(&b, bad), -EINVAL);
	/* The creator refuses sizes it cannot lay out. */
	shr_free(&a);
	CHECK_EQ(shr_create(&a, 3, SS), -EINVAL);
	CHECK_EQ(shr_create(&a, NS, 100), -EINVAL);
	shr_free(&a);
}

/* The peer is another process that dies in the middle of a batch: what it published
 * arrives, what it was writing does not, and the area stays mapped for us. */
TEST(shmring_peer_dying_mid_stream_leaves_what_it_published)
{
	struct shring a, b;
	uint8_t buf[SS];
	int got = 0, r, status;
	pid_t pid;

	REQUIRE(pair(&a, &b) == 0);
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 3; i++)
			put(&b, (uint8_t)i, 32);
		shr_tx_publish(&b);
		/* Half-written entry, never published. */
		memset(shr_tx_slot(&b), 0xAB, 10);
		_exit(0);
	}
	shr_free(&b);
	REQUIRE(waitpid(pid, &status, 0) == pid);
	while ((r = shr_rx_get(&a, buf, sizeof(buf))) > 0) {
		CHECK_EQ(r, 32);
		CHECK_EQ(buf[31], got);
		got++;
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(got, 3);
	CHECK_EQ(a.broken, SHR_OK);
	shr_free(&a);
}
