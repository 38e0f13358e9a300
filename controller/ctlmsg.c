/* controller/ctlmsg.c - the bounded message ring between CP and a controller virtual
 * machine: the only way either side learns anything about the other. */
#include "controller/ctlmsg.h"

#include <errno.h>
#include <string.h>

void ctlq_init(struct ctl_queue *q)
{
	memset(q, 0, sizeof(*q));
}

unsigned ctlq_len(const struct ctl_queue *q)
{
	return q->tail - q->head;
}

int ctlq_put(struct ctl_queue *q, const struct ctl_msg *m)
{
	if (ctlq_len(q) >= CTLQ_SLOTS) {
		q->refused++;
		return -ENOSPC;
	}
	q->m[q->tail & (CTLQ_SLOTS - 1)] = *m;
	q->tail++;
	q->sent++;
	return 0;
}

int ctlq_get(struct ctl_queue *q, struct ctl_msg *m)
{
	if (q->head == q->tail)
		return 0;
	*m = q->m[q->head & (CTLQ_SLOTS - 1)];
	q->head++;
	return 1;
}

const char *ctlm_name(uint8_t type)
{
	static const char *const names[CTLM_NTYPES] = {
		[CTLM_CONTROL_SWITCH] = "ControlSwitch",
		[CTLM_INIT_COMPLETE] = "InitializationComplete",
		[CTLM_REGISTER] = "Register",
		[CTLM_DEREGISTER] = "Deregister",
		[CTLM_RESULT] = "Result",
		[CTLM_RELEASE] = "Release",
		[CTLM_RELEASED] = "Released",
		[CTLM_PROBE] = "Probe",
		[CTLM_RESOLVE] = "Resolve",
		[CTLM_UNKNOWN] = "Unknown",
	};

	return type < CTLM_NTYPES && names[type] ? names[type] : "?";
}
