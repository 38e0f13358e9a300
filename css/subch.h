/* css/subch.h - an in-process channel-subsystem model: subchannels, start/halt/clear,
 * CCW-chain execution, status and an interruption queue.  The synthetic guest and the
 * tests drive cpnet's device models through it; Hercules has its own channel. */
#ifndef CPNET_CSS_SUBCH_H
#define CPNET_CSS_SUBCH_H

#include <stdbool.h>
#include <stdint.h>

#include "css/ccw.h"
#include "css/device.h"
#include "lib/gstor.h"

/* SCSW word 0 fields (z/Architecture format-1 ... we keep format-0 I/O SCSW layout). */
#define SCSW_FC_START	0x4
#define SCSW_FC_HALT	0x2
#define SCSW_FC_CLEAR	0x1
#define SCSW_AC_RESUME_PEND	0x40
#define SCSW_AC_START_PEND	0x20
#define SCSW_AC_HALT_PEND	0x10
#define SCSW_AC_CLEAR_PEND	0x08
#define SCSW_AC_SCH_ACTIVE	0x04
#define SCSW_AC_DEV_ACTIVE	0x02
#define SCSW_AC_SUSPENDED	0x01
#define SCSW_SC_ALERT	0x10
#define SCSW_SC_INTERMEDIATE 0x08
#define SCSW_SC_PRIMARY	0x04
#define SCSW_SC_SECONDARY 0x02
#define SCSW_SC_PENDING	0x01
#define SCSW_SIZE 12

/* Subchannel-status word as stored by TEST SUBCHANNEL. */
struct scsw {
	uint8_t key;
	bool q;		/* QDIO queues active on this subchannel */
	uint8_t fc, ac, sc;
	uint32_t ccw_addr;
	uint8_t dstat, cstat;
	uint16_t residual;
};
int scsw_encode(const struct scsw *in, uint8_t *buf, size_t cap);
int scsw_decode(const uint8_t *buf, size_t len, struct scsw *out);

/* Condition codes of the I/O instructions. */
enum css_cc { CSS_CC0 = 0, CSS_CC1 = 1, CSS_CC2 = 2, CSS_CC3 = 3 };

#define SUBCH_IOBUF 65536	/* largest data transfer of one command */

struct css;

struct subch {
	struct css *css;
	uint16_t schno;
	uint16_t devno;
	uint8_t chpid;
	bool enabled;
	const struct css_devops *ops;
	void *dev;

	struct scsw scsw;	/* status as TSCH will store it */
	uint32_t intparm;	/* of the current start function */
	uint8_t sense[SENSE_SIZE];
	bool pending_cmd;	/* device returned CSS_IO_PENDING for `io` */
	bool pci_pending;	/* an intermediate PCI interruption is pending */

	struct ccw_walk walk;
	struct ccw_cmd cmd;
	struct ccw_xfer xfer;	/* transfer result of a write-type command */
	struct css_io io;
	uint8_t *iobuf;

	/* Interruption queue link. */
	struct subch *irq_next;
	bool irq_queued;

	/* Counters. */
	uint64_t n_start, n_halt, n_clear, n_pci, n_program_check, n_unit_check;
};

/*
 * A channel subsystem: one guest's subchannels and their interruption queue.
 * Thread-safety: none; one thread drives a css (the synthetic guest's loop).  Device
 * models call subch_device_ready / subch_pci from that same thread.
 */
struct css {
	struct gstor *gs;
	struct subch *irq_head, *irq_tail;
	/* Called when a subchannel becomes status pending (may be NULL). */
	void (*notify)(void *ctx, struct subch *s);
	void *notify_ctx;
};

void css_init(struct css *css, struct gstor *gs);
int subch_init(struct subch *s, struct css *css, uint16_t schno, uint16_t devno,
	       uint8_t chpid, const struct css_devops *ops, void *dev);
void subch_destroy(struct subch *s);

/* SSCH: cc 0 started, 1 status pending, 2 busy, 3 not operational (disabled/no device). */
enum css_cc subch_ssch(struct subch *s, uint32_t intparm, uint32_t cpa);
enum css_cc subch_hsch(struct subch *s);
enum css_cc subch_csch(struct subch *s);
/* TSCH: cc 0 and *out = status (pending status cleared), cc 1 nothing pending. */
enum css_cc subch_tsch(struct subch *s, struct scsw *out, uint32_t *intparm);

/* Device side. The device's pending command can make progress: run it again. */
void subch_device_ready(struct subch *s);
/* Present an intermediate PCI interruption while the start function stays active. */
void subch_pci(struct subch *s);
/* Set or clear the QDIO-active indication (Activate Queues running). */
void subch_set_qdio_active(struct subch *s, bool on);
/* Is a start function active (for devices that keep commands running)? */
bool subch_start_active(const struct subch *s);

/* Interruption queue: the next status-pending subchannel, or NULL (like TPI). */
struct subch *css_next_irq(struct css *css);

#endif
