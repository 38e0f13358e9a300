/* css/ccw.h - format-1 CCWs: the 8-byte codec and the chain walker over guest storage.
 * The subchannel model and the Hercules glue run channel programs through this walker. */
#ifndef CPNET_CSS_CCW_H
#define CPNET_CSS_CCW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"
#include "lib/gstor.h"

/* Format-1 CCW: command, flags, count, 31-bit data address (bit 0 of the word = 0). */
#define CCW_OFF_CMD	0
#define CCW_OFF_FLAGS	1
#define CCW_OFF_COUNT	2
#define CCW_OFF_ADDR	4
#define CCW_SIZE	8
CPNET_LAYOUT(CCW, CCW_OFF_ADDR + 4);

#define CCW_ADDR_INVALID_BIT 0x80000000u	/* must be 0 in a format-1 CCW */

/* Flags (byte 1). */
#define CCW_FLAG_CD	 0x80	/* chain data: next CCW continues this command's data */
#define CCW_FLAG_CC	 0x40	/* chain command: next CCW is a new command */
#define CCW_FLAG_SLI	 0x20	/* suppress length indication */
#define CCW_FLAG_SKIP	 0x10	/* read: count the bytes but do not store them */
#define CCW_FLAG_PCI	 0x08	/* program-controlled interruption */
#define CCW_FLAG_IDA	 0x04	/* indirect data addressing */
#define CCW_FLAG_SUSPEND 0x02	/* suspend before executing this CCW */
#define CCW_FLAG_MIDA	 0x01	/* modified indirect data addressing */

/* Command codes cpnet's devices see.  Transfer-in-channel is any code xxxx1000. */
#define CCW_CMD_WRITE	 0x01
#define CCW_CMD_READ	 0x02
#define CCW_CMD_NOP	 0x03
#define CCW_CMD_SENSE	 0x04
#define CCW_CMD_TIC	 0x08
#define CCW_CMD_SENSE_ID 0xE4

struct ccw1 {
	uint8_t cmd;
	uint8_t flags;
	uint16_t count;
	uint32_t addr;
};

/* -EMSGSIZE if len < 8; -EBADMSG if the address's high bit is set. */
int ccw1_decode(const uint8_t *buf, size_t len, struct ccw1 *out);
/* Returns 8; -ENOSPC if cap < 8; -EINVAL if the address does not fit in 31 bits. */
int ccw1_encode(const struct ccw1 *in, uint8_t *buf, size_t cap);

/* What kind of operation a command code names (architected low-order bits). */
enum ccw_kind {
	CCW_KIND_INVALID,	/* xxxx0000 */
	CCW_KIND_WRITE,		/* xxxxxx01 */
	CCW_KIND_READ,		/* xxxxxx10 */
	CCW_KIND_CONTROL,	/* xxxxxx11 */
	CCW_KIND_SENSE,		/* xxxx0100 */
	CCW_KIND_TIC,		/* xxxx1000 */
	CCW_KIND_READ_BACKWARD,	/* xxxx1100 */
};

static inline bool ccw_is_tic(uint8_t cmd) { return (cmd & 0x0F) == CCW_CMD_TIC; }
enum ccw_kind ccw_cmd_kind(uint8_t cmd);

/*
 * The chain walker.
 *
 * A device model runs a channel program as:
 *
 *	ccw_chain_begin(&w, gs, cpa);
 *	while ((rc = ccw_chain_next_cmd(&w, gs, &cmd)) > 0) {
 *		... decide what cmd.cmd means for the device ...
 *		ccw_chain_read_data(&w, gs, devbuf, devlen, &x);   // device -> guest
 *	   or	ccw_chain_write_data(&w, gs, devbuf, devcap, &x);  // guest -> device
 *	   or	ccw_chain_end_cmd(&w, &x);                         // no data
 *		... present status; stop if the device ended abnormally ...
 *	}
 *
 * next_cmd returns 1 with the next command, 0 when the program has ended (the last
 * command had no command chaining, or its incorrect length suppressed chaining), or
 * a negative errno which the caller turns into a program check:
 *   -EFAULT      a CCW, or data, outside guest storage
 *   -EXDEV       channel-program or TIC address not doubleword aligned
 *   -EBADMSG     a CCW the architecture calls invalid: address high bit set, invalid
 *                command code (xxxx0000), TIC to TIC, count 0 in a CCW that has CD set
 *                or that was reached by data chaining
 *   -EOPNOTSUPP  IDA or MIDA: cpnet refuses indirect data addressing (qeth never uses
 *                it; the caller reports a program check)
 *   -ELOOP       more than CCW_WALK_MAX_FETCH CCW fetches in this program (a TIC loop),
 *                or a data chain of more than CCW_DC_MAX CCWs
 *   -EPROTO      the walker was called out of order
 *
 * Each CCW is fetched from guest storage exactly once and copied into the walker, so
 * a guest rewriting its channel program under us cannot make us act on two different
 * values (copy what you validate).  A data chain is fetched completely when its
 * command starts (prefetch); its segments sit in `seg`.  A TIC inside a data chain is
 * followed.  The command code of a data-chained CCW is ignored, as architected; the
 * CC flag of a CCW that also has CD is ignored (CD takes precedence).
 *
 * Count 0: valid in a format-1 CCW that neither has CD nor was reached by data
 * chaining, for any command (a read or write of count 0 moves no data; if the device
 * had data, that is an incorrect-length condition unless SLI).  With data chaining it
 * is a program check (-EBADMSG).  Flags and count of a TIC are ignored.
 *
 * The transfer (one per command) follows the data-chained CCWs in order:
 *   read_data   device -> guest: scatters devlen bytes; a SKIP segment consumes the
 *               device's bytes without storing (and without checking its address);
 *   write_data  guest -> device: gathers up to devcap bytes (SKIP has no effect on a
 *               write).  devcap is what the device wants: pass cmd.total to take
 *               whatever the program offers.
 * The transfer ends in the first CCW whose count is not used up by the device's data,
 * or in the last CCW of the chain.  `residual` is the count left in that CCW (what the
 * SCSW reports), and the SLI flag of THAT CCW decides the incorrect-length condition:
 *   incorrect_length = (residual != 0 || the device had more than the chain's total)
 *                      && !SLI
 * Read backward is not supported by read_data (the device model should reject it).
 */
#define CCW_DC_MAX		16	/* CCWs in one data chain */
#define CCW_WALK_MAX_FETCH	1024	/* CCW fetches (incl. TICs) per channel program */

struct ccw_seg {
	uint32_t ccw_addr;	/* where this CCW was fetched */
	uint32_t addr;		/* data address */
	uint16_t count;
	uint8_t flags;
};

/* One command (a CCW and its data-chained continuation). */
struct ccw_cmd {
	uint8_t cmd;		/* command code of the first CCW */
	uint8_t flags;		/* flags of the first CCW */
	uint8_t nseg;		/* CCWs in the data chain (1 if no data chaining) */
	bool chain;		/* CC in the last CCW: another command follows */
	bool pci;		/* PCI in any CCW of this command */
	bool suspend;		/* SUSPEND on the first CCW */
	uint32_t total;		/* sum of the counts of all CCWs of the chain */
	uint32_t ccw_addr;	/* address of the first CCW (after following TICs) */
};

/* Result of a command's data transfer. */
struct ccw_xfer {
	uint32_t moved;		/* bytes consumed from / delivered to the device */
	uint16_t residual;	/* count left in the CCW where the transfer ended */
	bool incorrect_length;
	bool chain;		/* command chaining continues (CC and no incorrect length) */
	bool pci;		/* PCI in any CCW of the command */
	uint32_t scsw_ccw;	/* CCW address for the SCSW: the ending CCW's address + 8 */
};

enum ccw_walk_state { CCW_WALK_IDLE, CCW_WALK_CMD, CCW_WALK_DONE, CCW_WALK_ENDED,
		      CCW_WALK_BROKEN };

struct ccw_walk {
	uint32_t next;		/* address of the next command's CCW */
	uint32_t fetches;	/* CCW fetches so far (bounded) */
	uint8_t state;		/* enum ccw_walk_state */
	bool chain;		/* the completed command allows chaining */
	int err;		/* the error that broke the walk */
	uint32_t scsw_ccw;	/* last ending CCW + 8 (for status after an error too) */
	struct ccw_cmd cmd;
	struct ccw_seg seg[CCW_DC_MAX];
};

/* Start a channel program at `cpa`: -EBADMSG if cpa has bit 0 set, -EXDEV if it is not
 * doubleword aligned.  Nothing is fetched yet. */
int ccw_chain_begin(struct ccw_walk *w, struct gstor *gs, uint32_t cpa);
/* 1 = *cmd filled; 0 = program ended; negative errno (see above). */
int ccw_chain_next_cmd(struct ccw_walk *w, struct gstor *gs, struct ccw_cmd *cmd);
int ccw_chain_read_data(struct ccw_walk *w, struct gstor *gs, const void *devbuf,
			uint32_t devlen, struct ccw_xfer *x);
int ccw_chain_write_data(struct ccw_walk *w, struct gstor *gs, void *devbuf,
			 uint32_t devcap, struct ccw_xfer *x);
/* Complete a command that moved no data (control commands, NOP). */
int ccw_chain_end_cmd(struct ccw_walk *w, struct ccw_xfer *x);

#endif
