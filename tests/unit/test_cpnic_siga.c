/* tests/unit/test_cpnic_siga.c - the CPNIC's SIGA on the CPU thread (hercules/cpnic_port.c:
 * cpnic_siga): when it runs inline, when it goes to the worker, and the deferred PCI. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hercules/cpnic.h"
#include "lib/shmring.h"
#include "vnic/vmlink.h"
#include "tests/tcheck.h"

/* A NIC with its devices, not brought online (nic_siga answers at once), no threads. */
static struct cpnic *siga_nic(enum cpnic_be be)
{
	struct cpnic *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cfg.base_devno = 0x0A00;
	c->cfg.ndev = c->ndev = 3;
	c->cfg.chpid = 0x0A;
	c->cfg.type = NIC_QDIO;
	c->cfg.mac[0] = 0x02;
	c->cfg.mac[5] = 0x01;
	if (nic_create(&c->nic, &c->cfg) < 0) {
		free(c);
		return NULL;
	}
	c->np = &c->nic;
	c->be = be;
	c->tapfd = -1;
	pthread_mutex_init(&c->own_lock, NULL);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_cond_init(&c->wcond, NULL);
	c->lock = &c->own_lock;
	c->created = true;
	for (unsigned i = 0; i < c->ndev; i++) {
		c->dev[i].c = c;
		c->dev[i].index = i;
	}
	return c;
}

static void siga_nic_free(struct cpnic *c)
{
	cpnic_worker_stop(c);
	nic_destroy(&c->nic);
	free(c);
}

static unsigned room_asked;
static bool room_answer;

static bool fake_room(struct cpnic *c, unsigned frames)
{
	(void)c;
	room_asked = frames;
	return room_answer;
}

static void *hold_lock(void *arg)
{
	struct cpnic *c = arg;

	pthread_mutex_lock(c->lock);
	pthread_mutex_lock(&c->wlock);
	c->stop = true;		/* "held": the test thread may go on */
	pthread_cond_broadcast(&c->wcond);
	while (c->stop)
		pthread_cond_wait(&c->wcond, &c->wlock);
	pthread_mutex_unlock(&c->wlock);
	pthread_mutex_unlock(c->lock);
	return NULL;
}

/*
 * A SIGA runs on the CPU thread only when nothing is in line before it and nothing can
 * make it wait; every other case is posted to the worker with its queue mask, merged
 * with what waits there, in the order the guest gave them.
 */
TEST(cpnic_siga_runs_inline_only_when_nothing_is_in_line_and_nothing_can_wait)
{
	struct cpnic *c = siga_nic(CPNIC_BE_TAP);
	struct nidbk *nid;
	pthread_t th;

	REQUIRE(c);
	nid = &c->np->dev[2];
	/* Idle worker, free lock, a TAP: inline, nothing posted. */
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_inline, 1);
	CHECK_EQ(c->siga_handed, 0);
	CHECK_EQ(c->siga_w, 0);
	CHECK(!cpnic_siga_inline_now());
	/* A SIGA-w waits for the worker: the next SIGA-r may not overtake it. */
	c->siga_w = 0x40000000u;
	cpnic_siga(c, nid, false, 0x80000000u, true);
	CHECK_EQ(c->siga_inline, 1);
	CHECK_EQ(c->siga_handed, 1);
	CHECK_EQ(c->siga_r, 0x80000000u);
	/* ...nor another SIGA-w: the masks merge. */
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_w, 0xC0000000u);
	CHECK_EQ(c->siga_handed, 2);
	c->siga_w = c->siga_r = 0;
	/* The worker took SIGAs and runs them: behind them too. */
	c->wbusy = true;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_handed, 3);
	CHECK_EQ(c->siga_w, 0x80000000u);
	c->siga_w = 0;
	c->wbusy = false;
	/* Another thread (a reader delivering) holds the NIC lock: no wait, posted. */
	REQUIRE(pthread_create(&th, NULL, hold_lock, c) == 0);
	pthread_mutex_lock(&c->wlock);
	while (!c->stop)
		pthread_cond_wait(&c->wcond, &c->wlock);
	pthread_mutex_unlock(&c->wlock);
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_handed, 4);
	CHECK_EQ(c->siga_inline, 1);
	pthread_mutex_lock(&c->wlock);
	c->stop = false;
	pthread_cond_broadcast(&c->wcond);
	pthread_mutex_unlock(&c->wlock);
	pthread_join(th, NULL);
	c->siga_w = 0;
	/* Back ends whose frames run another NIC or the OSA model: always the worker. */
	c->be = CPNIC_BE_PEER;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	c->be = CPNIC_BE_OSA;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_handed, 6);
	c->siga_w = 0;
	/* A closing NIC: the worker (stopped by then) gets it, not the NIC. */
	c->be = CPNIC_BE_TUN;
	c->closing = true;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_handed, 7);
	c->closing = false;
	c->siga_w = 0;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_inline, 2);
	/* siga=worker: every SIGA to the worker. */
	c->siga_worker = true;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_handed, 8);
	CHECK_EQ(c->siga_inline, 2);
	siga_nic_free(c);
}

/* port=cp: a SIGA-w may wait on a full ring, so it runs inline only when the ring has a
 * slot for every frame the primed buffers can hold, and only for a one-CPU guest. */
TEST(cpnic_siga_on_a_cp_link_asks_the_ring_for_room_first)
{
	struct cpnic *c = siga_nic(CPNIC_BE_CP);
	struct nidbk *nid;

	REQUIRE(c);
	nid = &c->np->dev[2];
	/* Queues not running: nic_siga answers at once, whatever the ring. */
	cpnic_siga(c, nid, true, 0x80000000u, false);
	CHECK_EQ(c->siga_inline, 1);
	/* Running (no queue established: nothing primed), no link: the worker. */
	c->np->qdio_active = true;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_handed, 1);
	c->siga_w = 0;
	c->tx_room = fake_room;
	room_answer = true;
	room_asked = 99;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_inline, 2);
	CHECK_EQ(room_asked, 0);
	/* More than one CPU: another may prime during the round; the worker. */
	room_asked = 99;
	cpnic_siga(c, nid, true, 0x80000000u, false);
	CHECK_EQ(c->siga_handed, 2);
	CHECK_EQ(room_asked, 99);
	c->siga_w = 0;
	/* The ring says no room. */
	room_answer = false;
	cpnic_siga(c, nid, true, 0x80000000u, true);
	CHECK_EQ(c->siga_handed, 3);
	c->siga_w = 0;
	/* A SIGA-r reaches no port on a cp link: inline, the ring not asked. */
	room_asked = 99;
	cpnic_siga(c, nid, false, 0x80000000u, false);
	CHECK_EQ(c->siga_inline, 3);
	CHECK_EQ(room_asked, 99);
	c->np->qdio_active = false;
	siga_nic_free(c);
}

/* The room an inline SIGA asks a version 2 ring for: every frame the primed buffers can
 * hold at its largest (as many entries as its bytes need), and a wrap entry's worth. */
TEST(cpnic_ring_fits_counts_entries_of_the_largest_frames)
{
	static struct shring r;
	uint32_t per, need1;
	uint8_t *p;

	REQUIRE(shr_create(&r, 4096, 2048) == 0);
	per = (VML_MAX_MSG + 2047) / 2048;
	need1 = QDIO_SBALES * per + per - 1;
	CHECK(cpnic_ring_fits(&r, 0));
	CHECK(cpnic_ring_fits(&r, 1));
	CHECK(cpnic_ring_fits(&r, 4096 / (QDIO_SBALES * per) - 1));
	CHECK(!cpnic_ring_fits(&r, 4096 / (QDIO_SBALES * per) + 1));
	/* Small messages leave exactly need1 - 1 entries free: one buffer's worth does
	 * not fit (counted in frames, as before version 2, it would have). */
	for (uint32_t i = 0; i < 4096 - (need1 - 1); i++) {
		REQUIRE(shr_tx_reserve(&r, 16, false, &p) == 0);
		shr_tx_put(&r, 16);
	}
	/* Put but not published: the worker is mid-batch, nothing is asked. */
	CHECK(!cpnic_ring_fits(&r, 0));
	REQUIRE(shr_tx_publish(&r) == 0);
	CHECK_EQ(shr_tx_room(&r), need1 - 1);
	CHECK(!cpnic_ring_fits(&r, 1));
	CHECK(cpnic_ring_fits(&r, 0));
	shr_free(&r);
}

static pthread_t pci_thread;
static unsigned pcis;
static pthread_mutex_t pci_mu = PTHREAD_MUTEX_INITIALIZER;

static void fake_pci(void *ctx)
{
	(void)ctx;
	pthread_mutex_lock(&pci_mu);
	pcis++;
	pci_thread = pthread_self();
	pthread_mutex_unlock(&pci_mu);
}

static void fake_ready(void *ctx)
{
	(void)ctx;
}

static void fake_active(void *ctx, bool on)
{
	(void)ctx;
	(void)on;
}

/* A PCI raised during an inline SIGA is presented by the worker, on its own thread
 * (the CPU thread holds the device lock the PCI takes), once per deferral. */
TEST(cpnic_siga_deferred_pci_is_presented_by_the_worker)
{
	static const struct nid_chan_ops ops = { fake_ready, fake_pci, fake_active };
	struct cpnic *c = siga_nic(CPNIC_BE_TAP);
	unsigned got = 0;

	REQUIRE(c);
	for (unsigned i = 0; i < c->ndev; i++)
		nid_bind_channel(&c->np->dev[i], &ops, &c->dev[i]);
	REQUIRE(cpnic_worker_start(c) == 0);
	pthread_mutex_lock(c->lock);
	cpnic_defer_pci(&c->dev[2]);
	pthread_mutex_unlock(c->lock);
	for (int i = 0; i < 2000 && !got; i++) {
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
		pthread_mutex_lock(&pci_mu);
		got = pcis;
		pthread_mutex_unlock(&pci_mu);
	}
	CHECK_EQ(got, 1);
	pthread_mutex_lock(&pci_mu);
	CHECK(!pthread_equal(pci_thread, pthread_self()));
	pthread_mutex_unlock(&pci_mu);
	pthread_mutex_lock(&c->wlock);
	CHECK_EQ(c->pci_owed, 0);
	pthread_mutex_unlock(&c->wlock);
	siga_nic_free(c);
}
