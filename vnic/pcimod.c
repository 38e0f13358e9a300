/* vnic/pcimod.c - PCI moderation of a virtual NIC's input (see pcimod.h): the decision
 * only; vnic/data.c reads the SLSB and raises the interruption. */
#include "vnic/pcimod.h"

#include <errno.h>
#include <stdint.h>
#include <strings.h>

void pcim_init(struct pcim *m)
{
	*m = (struct pcim){ .mode = PCIM_EVERY, .holdoff_us = PCIM_HOLDOFF_US,
			    .gap_us = UINT32_MAX };
}

int pcim_set(struct pcim *m, uint8_t mode, uint32_t holdoff_us)
{
	if ((mode != PCIM_EVERY && mode != PCIM_ADAPTIVE) || holdoff_us == 0 ||
	    holdoff_us > PCIM_HOLDOFF_MAX_US)
		return -EINVAL;
	m->mode = mode;
	m->holdoff_us = holdoff_us;
	/* Leaving ADAPTIVE with a PCI owed: the next batch or poll must not keep it. */
	if (mode == PCIM_EVERY && m->owed)
		m->deadline = 0;
	return 0;
}

static void set_coalescing(struct pcim *m, bool on)
{
	if (m->coalescing != on)
		m->st.switches++;
	m->coalescing = on;
}

/* Owe the PCI for at most `wait` us from now (an earlier deadline stays). */
static void owe(struct pcim *m, uint64_t now_us, uint32_t wait)
{
	if (!m->owed || m->deadline > now_us + wait)
		m->deadline = now_us + wait;
	m->owed = true;
	m->st.coalesced++;
}

bool pcim_batch(struct pcim *m, bool caught_up, uint64_t now_us)
{
	uint64_t gap = now_us - m->last_batch;
	uint32_t fast = m->holdoff_us < PCIM_COALESCE_US ? m->holdoff_us : PCIM_COALESCE_US;

	/* Moving average (1/4 weight) of the time between batches.  A gap counts at
	 * most 4x the threshold: one pause is enough to be slow again, five fast batches
	 * to be fast; the first batch counts as slow. */
	if (m->st.batches == 0 || gap > 4u * fast)
		gap = 4u * fast;
	m->gap_us = m->gap_us == UINT32_MAX ? (uint32_t)gap
					    : (uint32_t)(((uint64_t)m->gap_us * 3 + gap) / 4);
	m->last_batch = now_us;
	m->st.batches++;
	if (m->mode == PCIM_EVERY || (caught_up && m->gap_us >= fast)) {
		/* An owed PCI is covered by this one (the guest hears of everything). */
		m->owed = false;
		set_coalescing(m, false);
		m->st.at_once++;
		return true;
	}
	set_coalescing(m, true);
	owe(m, now_us, caught_up ? fast : m->holdoff_us);
	return false;
}

bool pcim_poll(struct pcim *m, bool taken, uint64_t now_us)
{
	if (!m->owed)
		return false;
	if (taken && m->mode == PCIM_ADAPTIVE) {
		m->owed = false;
		m->st.found++;
		return false;
	}
	if (now_us < m->deadline)
		return false;
	m->owed = false;
	m->st.late++;
	return true;
}

const char *pcim_mode_name(uint8_t mode)
{
	return mode == PCIM_ADAPTIVE ? "ADAPTIVE" : "EVERY";
}

int pcim_mode_parse(const char *s, uint8_t *mode)
{
	if (!strcasecmp(s, "every"))
		*mode = PCIM_EVERY;
	else if (!strcasecmp(s, "adaptive"))
		*mode = PCIM_ADAPTIVE;
	else
		return -EINVAL;
	return 0;
}
