/* vnic/applmem.h - the shared memory of an application port (api/cpnetport.h): the
 * layout both cpnetd (cp/appl.c) and libcpnetport read and write; no code. */
#ifndef CPNET_VNIC_APPLMEM_H
#define CPNET_VNIC_APPLMEM_H

/*
 * region	the extra area of the link's ring (lib/shmring.h shr_create_extra): the
 *		program's buffer memory.  Its first APPL_INFO_SIZE bytes are cpnetd's
 *		(the port's state, which the program reads without a system call).
 * handle	a ring of its own per receive handle (cpnetd is side A): queue 1 carries
 *		posts (program -> cpnetd), queue 0 completions (cpnetd -> program), one
 *		entry per APPL_ENTRY-byte slot.
 * Host byte order throughout: both processes run on one host (s390x included).
 */
#define APPL_VDEV 0x0001		/* the port's device number on its link */
#define APPL_MAX_HANDLES 4
#define APPL_ENTRY 16			/* a post or completion slot: four to a cache
					 * line (lib/shmring SHR_MIN_SLOT) */
#define APPL_SLOTS_MIN 16
#define APPL_SLOTS_MAX 4096
#define APPL_INFO_SIZE 4096
#define APPL_REGION_MIN (64u << 10)
#define APPL_REGION_DEF (4u << 20)
#define APPL_REGION_MAX (256u << 20)
#define APPL_BUF_MIN 64			/* the smallest buffer a post may name */
#define APPL_FRAME_LARGE_MAX (65536u + 256u)	/* a large send delivered whole, headers
						 * included (APPL_RXOL_TSO*) */

/* Entry layouts (host order), offsets in the slot. */
#define APPL_POST_OFF 0			/* u64 */
#define APPL_POST_LEN 8			/* u32 */
#define APPL_POST_RSV 12		/* u32, reserved: 0 (else the post is refused) */
#define APPL_POST_SIZE 16
#define APPL_DONE_OFF 0			/* u32: the region is at most APPL_REGION_MAX */
#define APPL_DONE_GSO 4			/* u16: a large send's segment size (0: one frame) */
#define APPL_DONE_RSV 6			/* u16: 0 */
#define APPL_DONE_LEN 8			/* u32 */
#define APPL_DONE_VLAN 12		/* u16 */
#define APPL_DONE_FLAGS 14		/* u16 */
#define APPL_DONE_SIZE 16
#define APPL_DONE_IPV6 0x01u
#define APPL_DONE_MCAST 0x02u
#define APPL_DONE_BCAST 0x04u
#define APPL_DONE_TOOBIG 0x08u
#define APPL_DONE_ETH 0x10u		/* IP LAN: an Ethernet frame (layer-3 passthrough) */
/* Only to a port that asked (VML_APPL_OFFLOAD, APPL_RXOL_*): */
#define APPL_DONE_CSUM_PARTIAL 0x20u	/* the TCP/UDP checksum is left open: its field holds
					 * the pseudo-header sum (lib/csum.h csum_open) */
#define APPL_DONE_CSUM_VALID 0x40u	/* the checksum is right (verified where the frame
					 * came in, or computed by nobody because its sender
					 * vouched for it): the receiver need not check it */

/* What an application port takes whole (VML_APPL_OFFLOAD body, u16): frames whose
 * checksum is left open (and is told which are verified), TCP large sends over IPv4 /
 * IPv6 (with APPL_RXOL_CSUM: a large send's checksum is always open).  Without them
 * cpnetd completes checksums and cuts large sends before the port's buffers. */
#define APPL_RXOL_CSUM 0x1u
#define APPL_RXOL_TSO4 0x2u
#define APPL_RXOL_TSO6 0x4u
#define APPL_RXOL_ALL 0x7u

/* The region's info page: u32 magic, u32 state, u32 port id, u32 0, then the ids of
 * the open handles, one u32 per handle slot (0 = none): a handle cpnetd closed (its
 * ring broken) is no longer listed (host order). */
#define APPL_INFO_MAGIC_OFF 0
#define APPL_INFO_STATE_OFF 4
#define APPL_INFO_ID_OFF 8
#define APPL_INFO_HANDLES_OFF 16
#define APPL_INFO_MAGIC 0x43504150u	/* "CPAP" */
enum appl_state {
	APPL_ACTIVE = 1,
	APPL_FORCED = 2,		/* FORCE of its user */
	APPL_LAN_GONE = 3,		/* DETACH LAN / VSWITCH */
	APPL_DEREGISTERED = 4,		/* the program ended it, or its link closed */
	APPL_REVOKED = 5,		/* REVOKE on a RESTRICTED Guest LAN (as NICs are
					 * uncoupled) */
	APPL_STOPPED = 6,		/* cpnetd stopped (restart, upgrade) */
};

#endif
