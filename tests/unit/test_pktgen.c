/* tests/unit/test_pktgen.c - cpnet-pktgen's frames and the sink's counts (apps/pktgen): loss,
 * reorder, duplicates, foreign frames, and the generator/sink loops over a fake transport. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apps/pktgen.h"
#include "lib/be.h"
#include "lib/csum.h"
#include "tests/tcheck.h"

static struct pktgen_cfg eth_cfg(uint32_t size)
{
	struct pktgen_cfg c;

	memset(&c, 0, sizeof(c));
	c.size = size;
	c.stream = 7;
	memcpy(c.dst_mac, (const uint8_t[]){ 2, 0, 0, 0, 0, 2 }, 6);
	memcpy(c.src_mac, (const uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
	return c;
}

TEST(pktgen_frames)
{
	static struct pktgen_gen g;
	struct pktgen_cfg c = eth_cfg(64);
	uint8_t f[2][1500];

	CHECK_EQ(pktgen_min_size(false), 38);
	CHECK_EQ(pktgen_min_size(true), 44);
	c.size = 37;
	CHECK_EQ(pktgen_gen_init(&g, &c), -EINVAL);
	c.size = PKTGEN_MAX_FRAME + 1;
	CHECK_EQ(pktgen_gen_init(&g, &c), -EINVAL);
	c.size = 64;
	REQUIRE(pktgen_gen_init(&g, &c) == 0);
	pktgen_gen_fill(&g, f[0], 111);
	pktgen_gen_fill(&g, f[1], 222);
	CHECK_MEM(f[0], c.dst_mac, 6);
	CHECK_MEM(f[0] + 6, c.src_mac, 6);
	CHECK_EQ(be_get16(f[0] + 12), PKTGEN_ETHERTYPE);
	CHECK_EQ(be_get32(f[0] + 14), PKTGEN_MAGIC);
	CHECK_EQ(be_get32(f[0] + 18), 7);
	CHECK_EQ(be_get64(f[0] + 22), 0);
	CHECK_EQ(be_get64(f[0] + 30), 111);
	CHECK_EQ(be_get64(f[1] + 22), 1);
	CHECK_EQ(be_get64(f[1] + 30), 222);
	/* Same filler in both, and not all zero. */
	CHECK_MEM(f[0] + 38, f[1] + 38, 64 - 38);
	CHECK(f[0][50] || f[0][51]);

	/* Layer 3: an IPv4 header a router would accept. */
	c = eth_cfg(1500);
	c.l3 = true;
	memcpy(c.src_ip, (const uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(c.dst_ip, (const uint8_t[]){ 10, 0, 0, 2 }, 4);
	REQUIRE(pktgen_gen_init(&g, &c) == 0);
	pktgen_gen_fill(&g, f[0], 5);
	CHECK_EQ(f[0][0], 0x45);
	CHECK_EQ(be_get16(f[0] + 2), 1500);
	CHECK_EQ(f[0][9], PKTGEN_IPPROTO);
	CHECK_EQ(csum_fold(csum_add(0, f[0], 20)), 0xFFFF);
	CHECK_EQ(be_get32(f[0] + 20), PKTGEN_MAGIC);
	CHECK_EQ(be_get64(f[0] + 28), 0);
}

/* Frame `seq` of stream 7 (64 bytes, Ethernet) into f. */
static void frame_seq(uint8_t *f, uint64_t seq)
{
	static struct pktgen_gen g;
	struct pktgen_cfg c = eth_cfg(64);

	pktgen_gen_init(&g, &c);
	g.seq = seq;
	pktgen_gen_fill(&g, f, 1000 + seq);
}

static void take(struct pktgen_sink *s, uint64_t seq)
{
	uint8_t f[64];

	frame_seq(f, seq);
	pktgen_sink_take(s, f, 64, 1000 + seq);
}

/* Frames a switch held and then delivered in one burst: the sink's own window (first to
 * last arrival) collapses, the end-to-end one starts at the oldest frame's send. */
TEST(pktgen_sink_e2e_window_starts_at_the_oldest_send)
{
	static struct pktgen_sink s;
	struct pktgen_cfg c = eth_cfg(64);
	uint8_t f[64];

	pktgen_sink_init(&s, &c);
	CHECK_EQ(s.c.first_tx_ns, 0);
	/* Sent at 1003, 1001, 1002 (reordered on the way), all taken at 9000. */
	frame_seq(f, 3);
	pktgen_sink_take(&s, f, 64, 9000);
	frame_seq(f, 1);
	pktgen_sink_take(&s, f, 64, 9000);
	frame_seq(f, 2);
	pktgen_sink_take(&s, f, 64, 9000);
	CHECK_EQ(s.c.first_tx_ns, 1001);
	CHECK_EQ(s.c.last_ns - s.c.first_ns, 0);
	/* A foreign frame's bytes do not move the window. */
	memset(f, 0, sizeof(f));
	CHECK(!pktgen_sink_take(&s, f, 64, 9500));
	CHECK_EQ(s.c.first_tx_ns, 1001);
	CHECK_EQ(s.c.last_ns, 9000);
}

TEST(pktgen_sink_counts)
{
	static struct pktgen_sink s;
	struct pktgen_cfg c = eth_cfg(64);
	uint8_t f[64];

	pktgen_sink_init(&s, &c);
	for (uint64_t i = 0; i < 10; i++)
		take(&s, i);
	CHECK_EQ(s.c.received, 10);
	CHECK_EQ(s.c.lost + s.c.reordered + s.c.duplicates + s.c.late + s.c.foreign, 0);
	CHECK_EQ(s.c.first_ns, 1000);
	CHECK_EQ(s.c.last_ns, 1009);
	/* 10, 12, 13 (11 missing), then 11 late: a reorder, no loss. */
	take(&s, 10);
	take(&s, 12);
	take(&s, 13);
	CHECK_EQ(s.c.lost, 1);
	take(&s, 11);
	CHECK_EQ(s.c.lost, 0);
	CHECK_EQ(s.c.reordered, 1);
	/* 12 again: a duplicate. */
	take(&s, 12);
	CHECK_EQ(s.c.duplicates, 1);
	/* A jump past the window, then a frame from before it: late. */
	take(&s, 10000);
	CHECK_EQ(s.c.lost, 10000 - 14);
	take(&s, 20);
	CHECK_EQ(s.c.late, 1);
	CHECK_EQ(s.c.lost, 10000 - 14);
	/* Inside the window after the jump: 9990 fills a gap. */
	take(&s, 9990);
	CHECK_EQ(s.c.lost, 10000 - 15);
	CHECK_EQ(s.c.reordered, 2);
	/* The sender sent 10005: four more never came. */
	pktgen_sink_finish(&s, 10005);
	CHECK_EQ(s.c.lost, 10000 - 15 + 4);
	CHECK_EQ(s.c.received, 18);

	/* Not ours: other stream, other type, short, wrong size. */
	frame_seq(f, 1);
	be_put32(f + 18, 8);
	CHECK(!pktgen_sink_take(&s, f, 64, 0));
	frame_seq(f, 1);
	be_put16(f + 12, 0x0800);
	CHECK(!pktgen_sink_take(&s, f, 64, 0));
	frame_seq(f, 1);
	CHECK(!pktgen_sink_take(&s, f, 37, 0));
	c.size = 64;
	pktgen_sink_init(&s, &c);
	CHECK(!pktgen_sink_take(&s, f, 60, 0));
	CHECK_EQ(s.c.foreign, 1);
	CHECK_EQ(s.c.received, 0);

	/* A sink that starts late: what came before its first frame is lost. */
	pktgen_sink_init(&s, &c);
	take(&s, 5);
	CHECK_EQ(s.c.lost, 5);
	/* ... and one that saw nothing lost everything. */
	pktgen_sink_init(&s, &c);
	pktgen_sink_finish(&s, 42);
	CHECK_EQ(s.c.lost, 42);
}

/* A fake transport: frames go into a queue; every `drop_every`-th is lost, every
 * `full_every`-th send finds the ring full, and pairs are swapped when `swap`. */
struct fake {
	uint8_t q[4096][64];
	unsigned n, sends, next;
	unsigned drop_every, full_every;
	bool swap;
	uint64_t offered;
};

static int fake_send(void *ctx, unsigned n, uint32_t len, void (*fill)(void *, uint8_t *),
		     void *arg)
{
	struct fake *fk = ctx;
	uint8_t tmp[64];
	unsigned k;

	if (len != 64)
		return -EMSGSIZE;
	if (fk->full_every && ++fk->sends % fk->full_every == 0)
		return 0;
	for (k = 0; k < n && fk->n < 4096; k++) {
		fill(arg, tmp);
		if (fk->drop_every && ++fk->offered % fk->drop_every == 0)
			continue;
		memcpy(fk->q[fk->n++], tmp, 64);
	}
	return (int)k;
}

static int fake_recv(void *ctx, int timeout_ms, void (*cb)(void *, const uint8_t *, uint32_t),
		     void *arg)
{
	struct fake *fk = ctx;

	(void)timeout_ms;
	if (fk->next >= fk->n)
		return 0;
	/* Deliver in batches of up to 32, pairs swapped if asked. */
	{
		unsigned end = fk->next + 32 < fk->n ? fk->next + 32 : fk->n, got = 0;

		for (unsigned i = fk->next; i < end; i++) {
			unsigned j = i;

			if (fk->swap && (i % 2 == 0) && i + 1 < end)
				j = i + 1;
			else if (fk->swap && (i % 2 == 1))
				j = i - 1;
			cb(arg, fk->q[j], 64);
			got++;
		}
		fk->next = end;
		return (int)got;
	}
}

TEST(pktgen_loops_fake_transport)
{
	static struct fake fk;
	static struct pktgen_gen g;
	static struct pktgen_sink s;
	struct pktgen_cfg c = eth_cfg(64);
	struct pktgen_io io = { &fk, fake_send, fake_recv, NULL };
	struct pktgen_run r = { .batch = 64, .count = 3000 };
	struct pktgen_result res;

	memset(&fk, 0, sizeof(fk));
	fk.drop_every = 100;
	fk.full_every = 5;
	fk.swap = true;
	REQUIRE(pktgen_gen_init(&g, &c) == 0);
	CHECK_EQ(pktgen_run_gen(&g, &io, &r, &res), 0);
	CHECK_EQ(res.frames, 3000);
	CHECK(res.full > 0);
	CHECK_EQ(fk.n, 2970);

	pktgen_sink_init(&s, &c);
	r = (struct pktgen_run){ .count = 2970, .idle_ms = 100 };
	CHECK_EQ(pktgen_run_sink(&s, &io, &r, &res), 0);
	pktgen_sink_finish(&s, 3000);
	CHECK_EQ(res.frames, 2970);
	/* The frames were stamped when sent, before the sink ran: its end-to-end window
	 * holds its own first-to-last one. */
	CHECK(res.e2e_secs > 0 && res.e2e_secs >= res.secs);
	CHECK_EQ(s.c.lost, 30);
	CHECK_EQ(s.c.duplicates, 0);
	CHECK(s.c.reordered > 1000);

	/* Bad runs: no batch, no end. */
	r = (struct pktgen_run){ .batch = 0, .count = 1 };
	CHECK_EQ(pktgen_run_gen(&g, &io, &r, &res), -EINVAL);
	r = (struct pktgen_run){ .batch = 8 };
	CHECK_EQ(pktgen_run_gen(&g, &io, &r, &res), -EINVAL);
	r = (struct pktgen_run){ 0 };
	CHECK_EQ(pktgen_run_sink(&s, &io, &r, &res), -EINVAL);
}

TEST(pktgen_parse_mac)
{
	uint8_t m[6];

	REQUIRE(pktgen_parse_mac("02:0a:FF:00:01:9c", m) == 0);
	CHECK_MEM(m, ((const uint8_t[]){ 2, 0x0A, 0xFF, 0, 1, 0x9C }), 6);
	CHECK_EQ(pktgen_parse_mac("02:0a:FF:00:01", m), -EINVAL);
	CHECK_EQ(pktgen_parse_mac("02:0a:FF:00:01:9c:", m), -EINVAL);
	CHECK_EQ(pktgen_parse_mac("zz:0a:FF:00:01:9c", m), -EINVAL);
}
