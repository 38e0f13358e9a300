/* lib/cpnet.h - project-wide conventions: error codes, helpers every module may use.
 * Every function that can fail returns 0 (or a length) on success and a negative errno. */
#ifndef CPNET_LIB_CPNET_H
#define CPNET_LIB_CPNET_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The error vocabulary of decoders and engines (negative errno values):
 *   -EMSGSIZE  buffer too short for the block, or a length field larger than allowed
 *   -EBADMSG   inconsistent block: fields that contradict each other or the framing
 *   -EPROTO    a valid block in the wrong place (wrong type, wrong order, wrong role)
 *   -EFAULT    a guest address outside the guest's storage
 *   -EXDEV     a guest range that breaks an architected boundary rule (4 KiB for SBALEs)
 *   -ELOOP     a bounded walk ran out of steps (chained SBALs or CCWs that loop)
 *   -ENOSPC    the output buffer cannot hold what an encoder has to write
 *   -EINVAL    a parameter out of its architected range
 *   -EAGAIN    nothing to do now (no buffer free, no READ pending)
 *   -EOPNOTSUPP a facility cpnet does not provide (IDA in CCWs, an unknown command)
 */

#define CPNET_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Compile-time proof that a wire layout's last field ends where the block ends:
 * CPNET_LAYOUT(IDX_REQ, IDX_REQ_OFF_ADDR + 2) next to the codec's offset macros. */
#define CPNET_LAYOUT(blk, end) _Static_assert((end) == blk##_SIZE, #blk " layout and size disagree")

const char *cpnet_strerror(int err);

#endif
