/* lib/cpnet.c - error names for the project's return convention (see lib/cpnet.h).
 * Used by logs, tests and the operator messages that report an internal error. */
#include "lib/cpnet.h"

#include <string.h>

const char *cpnet_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "ok";
	case EMSGSIZE: return "block truncated or length too large";
	case EBADMSG: return "inconsistent block";
	case EPROTO: return "protocol violation";
	case EFAULT: return "address outside guest storage";
	case EXDEV: return "range crosses an architected boundary";
	case ELOOP: return "bounded walk exhausted (loop)";
	case ENOSPC: return "no room in output buffer";
	case EINVAL: return "invalid parameter";
	case EAGAIN: return "nothing to do now";
	case EOPNOTSUPP: return "facility not provided";
	default: return strerror(err < 0 ? -err : err);
	}
}
