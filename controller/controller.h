/* controller/controller.h - a VSWITCH controller virtual machine (DTCVSW1, DTCVSW2): it
 * talks to CP only through ctl_msg queues and to its OSAs only through the driver side. */
#ifndef CPNET_CONTROLLER_CONTROLLER_H
#define CPNET_CONTROLLER_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "controller/ctlmsg.h"
#include "driver/guest.h"
#include "vnic/nic.h"
#include "vswitch/iptab.h"

/*
 * What z/VM's controller (a TCP/IP stack with VSWITCH CONTROLLER ON) does, and
 * nothing more: CP ATTACHes an OSA's three devices to it (ctl_attach: subchannels in
 * the controller's own channel subsystem over its own storage), then sends
 * ControlSwitch; the controller brings the OSA up with the driver side (SENSE ID,
 * IDX, CM/ULP, QDIO establish/activate, STARTLAN and the assists of the layer) and
 * answers InitializationComplete, handing CP the data device.  From then on it only
 * turns Register/Deregister requests into SETIP/SETIPM/SETVMAC/SETGMAC (and the DEL
 * forms) on the OSA and answers each with a Result carrying the IPA return code, and
 * answers Resolve (an address the OSA missed) from the unicast rules it was given.
 * It is not in the data path.
 *
 * The controller runs when ctl_run is called (cpnetd's event loop, every tick); a
 * stalled controller (ctl_stall: a hung or killed virtual machine) stops consuming
 * its queue, which is how CP notices it.
 */

#define CTL_MAX_OSAS GUEST_MAX_IF
#define CTL_VDEV_BASE 0x0600		/* first virtual device of an attached OSA */
#define CTL_VDEV_STEP 0x0010
#define CTL_RULES 8192			/* unicast registrations remembered per connection */

struct ctl_osa {
	bool used;
	uint16_t rdev, vdev;
	uint8_t layer;
	struct nicbk *nic;
	struct guest_if *gif;		/* the OSA as the controller's qeth interface */
	uint32_t token;			/* connection it controls (0 = none) */
	/* The unicast addresses CP registered on this connection and has not withdrawn
	 * (kind IPT_V4/V6/MAC, owner 0): what a Resolve is answered from, as the
	 * OSA's own table may have evicted them. */
	struct iptab rules;
};

struct ctl_stats {
	uint64_t msgs, inits, init_failed, regs, reg_failed, answers_lost;
	uint64_t resolved, unknown;	/* Resolve: installed from the rules / not known */
};

struct ctlr {
	char userid[9];
	struct guest g;			/* the virtual machine's storage and channel subsystem */
	struct ctl_osa osa[CTL_MAX_OSAS];
	struct ctl_queue in;		/* CP -> controller */
	struct ctl_queue *cp;		/* controller -> CP (CP's queue) */
	bool stalled;
	struct ctl_stats st;
};

/* A controller virtual machine for `userid` answering on `cp_queue`.  0 / -ENOMEM. */
int ctl_create(struct ctlr *c, const char *userid, struct ctl_queue *cp_queue);
/* Logoff: every attached OSA is taken offline and detached. */
void ctl_destroy(struct ctlr *c);

/* CP's ATTACH rdev TO userid: the OSA's devices rdev..rdev+2 become a qeth
 * interface of `layer` in the controller; *vdev is the virtual device number.
 * 0, -ENOSPC (no free slot), -EEXIST (already attached), -ENODEV, -EINVAL. */
int ctl_attach(struct ctlr *c, struct nicbk *nic, uint16_t rdev, uint8_t layer, uint16_t *vdev);
/* CP's DETACH: offline (if up) and release the subchannels.  0 or -ENOENT. */
int ctl_detach(struct ctlr *c, uint16_t rdev);
const struct ctl_osa *ctl_find_osa(const struct ctlr *c, uint16_t rdev);

/* Put a message on the controller's queue (what CP calls).  0 or -ENOSPC. */
int ctl_post(struct ctlr *c, const struct ctl_msg *m);
/* Run the virtual machine: handle up to `budget` queued messages.  Returns how many. */
unsigned ctl_run(struct ctlr *c, unsigned budget);
/* Simulate a hung (or killed) controller: it stops handling its queue. */
void ctl_stall(struct ctlr *c, bool stalled);

/* ---- selection (DEFINE VSWITCH ... CONTROLLER *|userid) ---- */
struct ctl_cand {
	const char *userid;
	bool eligible;			/* logged on and marked as a controller */
	unsigned managing;		/* connections it manages now */
};
/* The candidate to use: `want` names one ("*" = the eligible one managing the fewest
 * switches, first on a tie), `avoid` (may be NULL) is skipped when another eligible
 * candidate exists.  Index, or -ENOENT. */
int ctl_select(const struct ctl_cand *c, unsigned n, const char *want, const char *avoid);

#endif
