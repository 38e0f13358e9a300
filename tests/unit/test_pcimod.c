/* tests/unit/test_pcimod.c - PCI moderation's decisions (vnic/pcimod): prompt for an idle
 * guest, coalesced for a busy one, owed interrupts found or raised by the hold-off. */
#include <errno.h>
#include <stdlib.h>

#include "tests/tcheck.h"
#include "vnic/pcimod.h"

TEST(pcim_every_raises_one_per_batch)
{
	struct pcim m;

	pcim_init(&m);
	CHECK_EQ(m.mode, PCIM_EVERY);
	for (unsigned i = 0; i < 10; i++)
		CHECK(pcim_batch(&m, i % 2, 100 * i));
	CHECK_EQ(m.st.batches, 10);
	CHECK_EQ(m.st.at_once, 10);
	CHECK(!m.owed);
	CHECK_EQ(pcim_due(&m), 0);
	CHECK(!pcim_poll(&m, false, 1000000));
}

TEST(pcim_adaptive_prompt_when_caught_up_owed_when_busy)
{
	struct pcim m;

	pcim_init(&m);
	REQUIRE(pcim_set(&m, PCIM_ADAPTIVE, 500) == 0);
	/* Idle guest: at once. */
	CHECK(pcim_batch(&m, true, 1000));
	CHECK(!m.coalescing);
	/* Busy guest: owed, due after the hold-off counted from the first deferral. */
	CHECK(!pcim_batch(&m, false, 1100));
	CHECK(m.coalescing);
	CHECK_EQ(pcim_due(&m), 1600);
	CHECK(!pcim_batch(&m, false, 1300));
	CHECK_EQ(pcim_due(&m), 1600);
	CHECK_EQ(m.st.switches, 1);
	/* Not yet due, guest has not taken the newest: nothing. */
	CHECK(!pcim_poll(&m, false, 1599));
	CHECK(m.owed);
	/* The guest found them itself: nothing raised, nothing owed. */
	CHECK(!pcim_poll(&m, true, 1599));
	CHECK(!m.owed);
	CHECK_EQ(m.st.found, 1);
	CHECK_EQ(pcim_due(&m), 0);
	CHECK_EQ(m.st.at_once, 1);
	CHECK_EQ(m.st.batches, 3);
}

TEST(pcim_adaptive_holdoff_runs_out_raises_once)
{
	struct pcim m;

	pcim_init(&m);
	REQUIRE(pcim_set(&m, PCIM_ADAPTIVE, 200) == 0);
	CHECK(!pcim_batch(&m, false, 0));
	CHECK(!pcim_poll(&m, false, 199));
	CHECK(pcim_poll(&m, false, 200));
	CHECK_EQ(m.st.late, 1);
	CHECK(!m.owed);
	CHECK(!pcim_poll(&m, false, 5000));	/* raised once, not again */
	CHECK_EQ(m.st.late, 1);
	/* A batch that finds the guest caught up covers an owed PCI. */
	CHECK(!pcim_batch(&m, false, 6000));
	CHECK(pcim_batch(&m, true, 6050));
	CHECK(!m.owed);
	CHECK_EQ(m.st.at_once, 1);
	CHECK_EQ(m.st.switches, 2);
}

TEST(pcim_bad_settings_refused_and_parse)
{
	struct pcim m;
	uint8_t mode = 9;

	pcim_init(&m);
	CHECK_EQ(pcim_set(&m, 7, 500), -EINVAL);
	CHECK_EQ(pcim_set(&m, PCIM_ADAPTIVE, 0), -EINVAL);
	CHECK_EQ(pcim_set(&m, PCIM_ADAPTIVE, PCIM_HOLDOFF_MAX_US + 1), -EINVAL);
	CHECK_EQ(m.mode, PCIM_EVERY);
	CHECK_EQ(pcim_mode_parse("Adaptive", &mode), 0);
	CHECK_EQ(mode, PCIM_ADAPTIVE);
	CHECK_EQ(pcim_mode_parse("every", &mode), 0);
	CHECK_EQ(mode, PCIM_EVERY);
	CHECK_EQ(pcim_mode_parse("sometimes", &mode), -EINVAL);
	CHECK_STR(pcim_mode_name(PCIM_ADAPTIVE), "ADAPTIVE");
}

TEST(pcim_adaptive_fast_input_waits_for_company_slow_input_does_not)
{
	struct pcim m;
	uint64_t now = 10000;
	unsigned raised = 0;

	pcim_init(&m);
	REQUIRE(pcim_set(&m, PCIM_ADAPTIVE, 500) == 0);
	/* Slow input (a batch every 5 ms), guest always caught up: every PCI at once. */
	for (unsigned i = 0; i < 10; i++, now += 5000)
		raised += pcim_batch(&m, true, now);
	CHECK_EQ(raised, 10);
	CHECK(!m.owed);
	/* Fast input (every 20 us): after the average catches up, a caught-up guest's
	 * PCI waits PCIM_COALESCE_US for the batches behind it. */
	raised = 0;
	for (unsigned i = 0; i < 100; i++, now += 20) {
		raised += pcim_batch(&m, true, now);
		raised += pcim_poll(&m, false, now);
	}
	if (getenv("CPNET_TEST_VERBOSE"))
		fprintf(stderr, "raised %u coalesced %llu at_once %llu\n", raised,
			(unsigned long long)m.st.coalesced, (unsigned long long)m.st.at_once);
	CHECK(raised < 20);
	CHECK(m.coalescing);
	CHECK(m.st.coalesced > 80);
	/* An owed PCI of fast input is due within PCIM_COALESCE_US, not the hold-off. */
	CHECK(m.owed);
	CHECK(pcim_due(&m) <= now + PCIM_COALESCE_US);
	/* Input stops: the owed PCI comes when due, and the next slow batch is prompt. */
	CHECK(pcim_poll(&m, false, now + PCIM_COALESCE_US));
	now += 20000;
	CHECK(pcim_batch(&m, true, now));
	now += 20000;
	CHECK(pcim_batch(&m, true, now));
	CHECK(!m.coalescing);
}
