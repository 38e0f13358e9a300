/* controller/ctlmsg.h - the messages between CP and a VSWITCH controller virtual machine
 * (ControlSwitch, InitializationComplete, address registrations and their results). */
#ifndef CPNET_CONTROLLER_CTLMSG_H
#define CPNET_CONTROLLER_CTLMSG_H

#include <stdbool.h>
#include <stdint.h>

#include "vnic/port.h"

/*
 * CP and a controller share no state: everything crosses as a `struct ctl_msg` put
 * on the other side's queue (a bounded ring; a full ring refuses the message and the
 * sender counts it).  A message names the uplink connection by `token` (CP's switch
 * slot and a generation that changes on every (re)connection), so that a late answer
 * for a connection CP has already abandoned is recognised and dropped.
 *
 *   CP -> controller                     controller -> CP
 *   CTLM_CONTROL_SWITCH (rdev.port, layer) CTLM_INIT_COMPLETE (rc, the data device)
 *   CTLM_REGISTER (paddr SET*)            CTLM_RESULT (paddr, IPA return code)
 *   CTLM_DEREGISTER (paddr DEL*)          CTLM_RESULT
 *   CTLM_RELEASE                          CTLM_RELEASED
 *   CTLM_PROBE                            (none: taking it off the queue is the sign of life)
 *   CTLM_RESOLVE (paddr SETIP/SETVMAC)    CTLM_RESULT (installed from its rules) or
 *                                         CTLM_UNKNOWN (it holds no rule for it)
 *
 * RESOLVE is the miss protocol's question (doc/osa.md "The address table"): the OSA
 * had a frame for an address it does not hold and CP's LAN IP table did not answer;
 * the controller answers from the rules it was given (every Register not
 * Deregistered since on that connection).
 */
enum ctl_msg_type {
	CTLM_CONTROL_SWITCH = 1,
	CTLM_INIT_COMPLETE,
	CTLM_REGISTER,
	CTLM_DEREGISTER,
	CTLM_RESULT,
	CTLM_RELEASE,
	CTLM_RELEASED,
	CTLM_PROBE,			/* keepalive: consuming it is the answer */
	CTLM_RESOLVE,			/* an address the OSA missed: install it if known */
	CTLM_UNKNOWN,			/* ... not known to the controller */
	CTLM_NTYPES
};

struct qdrv;

struct ctl_msg {
	uint8_t type;			/* enum ctl_msg_type */
	uint8_t layer;			/* CONTROL_SWITCH: 2 ETHERNET, 3 IP */
	uint8_t port;			/* CONTROL_SWITCH: the OSA port (RDEV rdev.Pn) */
	uint16_t rdev;			/* the OSA's first device number */
	uint32_t token;			/* CP's connection token */
	int32_t rc;			/* INIT_COMPLETE: 0 or -errno; RESULT: IPA rc or -errno */
	uint8_t req;			/* RESULT / UNKNOWN: the request answered (REGISTER,
					 * DEREGISTER or RESOLVE), so CP counts each where
					 * it belongs */
	struct paddr a;			/* REGISTER / DEREGISTER / RESULT */
	/* INIT_COMPLETE: the OSA's data device, now CP's (its driver-side queues). */
	struct qdrv *data;
	char text[64];			/* INIT_COMPLETE failure: the failing step */
};

#define CTLQ_SLOTS 256u			/* power of two */

struct ctl_queue {
	struct ctl_msg m[CTLQ_SLOTS];
	uint32_t head, tail;		/* free-running; tail - head = queued */
	uint64_t sent, refused;
};

void ctlq_init(struct ctl_queue *q);
/* 0, or -ENOSPC (full: counted in `refused`). */
int ctlq_put(struct ctl_queue *q, const struct ctl_msg *m);
/* 1 with *m filled, 0 when empty. */
int ctlq_get(struct ctl_queue *q, struct ctl_msg *m);
unsigned ctlq_len(const struct ctl_queue *q);
const char *ctlm_name(uint8_t type);

#endif
