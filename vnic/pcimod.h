/* vnic/pcimod.h - when a virtual NIC interrupts its guest for input (PCI moderation):
 * at once when the guest has caught up, coalesced while it is still busy with input. */
#ifndef CPNET_VNIC_PCIMOD_H
#define CPNET_VNIC_PCIMOD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Linux's qdio takes a PCI, then polls (NAPI) every input buffer it finds until none
 * is left, re-enables the interrupt and looks once more; PCIs that come while it polls
 * are thrown away, but each still costs the guest an I/O interruption (in Hercules:
 * emulated interrupt entry, handler, exit).  So a NIC need not interrupt for buffers a
 * polling guest will find by itself, and must interrupt for buffers an idle guest
 * would never look at.  The adapter cannot see the guest's interrupt state; it sees
 * the SLSB: the guest marks the newest buffer it found (ACK) or gives it back.
 *
 * ADAPTIVE: a batch that handed buffers interrupts at once when the guest had taken
 * the last buffer handed before it (it may be idle now: prompt) and input is slow
 * (batches further apart than PCIM_COALESCE_US on average); when input is fast, the
 * interrupt is owed for PCIM_COALESCE_US so that the batches behind it share it (the
 * classic adaptive coalescing: no delay at low load, fewer interrupts at high load).
 * When the guest has not even reached that buffer, it is busy or has a PCI pending,
 * and the interrupt is owed for up to the hold-off.  An owed interrupt is dropped when the guest takes
 * the newest buffer (it found them: checked at its next SIGA, our next batch, or the
 * host's timer), and raised when the hold-off runs out first (never a lost wake-up:
 * whatever the guest does, it hears of every buffer within the hold-off; the host
 * must call nic_pci_poll by pcim_due).  EVERY: one PCI per batch (the old behaviour,
 * and the baseline of the benchmark).
 */
enum pcim_mode { PCIM_EVERY = 0, PCIM_ADAPTIVE = 1 };

#define PCIM_HOLDOFF_US 500u		/* default: like a real OSA's blocking time order */
#define PCIM_HOLDOFF_MAX_US 100000u
#define PCIM_COALESCE_US 200u		/* fast input: how long a PCI waits for company */

struct pcim_stats {
	uint64_t batches;	/* input batches that handed buffers to the guest */
	uint64_t at_once;	/* PCIs raised when the batch was handed */
	uint64_t late;		/* owed PCIs raised when their time ran out */
	uint64_t found;		/* owed PCIs dropped: the guest took the buffers itself */
	uint64_t switches;	/* prompt <-> coalescing changes */
	uint64_t coalesced;	/* batches whose PCI was owed, not raised at once */
};

struct pcim {
	uint8_t mode;		/* enum pcim_mode */
	bool coalescing;	/* the last batch found the guest busy */
	bool owed;
	uint32_t holdoff_us;
	uint64_t deadline;	/* owed: raise by then (us, the NIC's clock) */
	uint64_t last_batch;	/* when the last batch came (us) */
	uint32_t gap_us;	/* moving average of the time between batches */
	struct pcim_stats st;
};

/* EVERY with the default hold-off. */
void pcim_init(struct pcim *m);
/* 0, or -EINVAL for an unknown mode or a hold-off of 0 / above PCIM_HOLDOFF_MAX_US. */
int pcim_set(struct pcim *m, uint8_t mode, uint32_t holdoff_us);
/* A batch handed buffers; caught_up = the guest had taken the last buffer handed
 * before it.  True: raise the PCI now. */
bool pcim_batch(struct pcim *m, bool caught_up, uint64_t now_us);
/* The host's check of an owed PCI; taken = the guest took the newest buffer.  True:
 * raise the PCI now. */
bool pcim_poll(struct pcim *m, bool taken, uint64_t now_us);
/* When pcim_poll must run next (us), or 0 if nothing is owed. */
static inline uint64_t pcim_due(const struct pcim *m)
{
	return m->owed ? m->deadline : 0;
}
const char *pcim_mode_name(uint8_t mode);
/* "every" / "adaptive" (any case); -EINVAL otherwise. */
int pcim_mode_parse(const char *s, uint8_t *mode);

#endif
