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

/* The solicited-node group ff02::1:ffXX:XXXX of an IPv6 `target` and its MAC
 * 33:33:ff:XX:XX:XX (RFC 4291 2.7.1, RFC 2464 7): one mapping for the OSA model and the
 * synthetic guest's stack. */
static inline void ip6_solicited_node(const uint8_t *target, uint8_t ip[16], uint8_t mac[6])
{
	static const uint8_t pre[13] = { 0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF };

	for (unsigned i = 0; i < 13; i++)
		ip[i] = pre[i];
	for (unsigned i = 13; i < 16; i++)
		ip[i] = target[i];
	mac[0] = 0x33;
	mac[1] = 0x33;
	for (unsigned i = 0; i < 4; i++)
		mac[2 + i] = ip[12 + i];
}

#endif
