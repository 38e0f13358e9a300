/* qdio/blocks.h - QDIO control blocks: QDR, QDESFMT0, QIB, SLIB, SL, SLSB states, SBAL/SBALE.
 * Pure codecs over byte buffers plus the establish-time fetch/validation from guest storage. */
#ifndef CPNET_QDIO_BLOCKS_H
#define CPNET_QDIO_BLOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cpnet.h"
#include "lib/gstor.h"

/* Architected ring geometry: every queue has 128 buffers of 16 elements. */
#define QDIO_BUFS        128u
#define QDIO_SBALES      16u
#define QDIO_QUEUES_MAX  32u	/* per direction; what cpnet accepts in a QDR */
#define QDIO_PAGE        4096u

/* ---- QDR: Queue Description Record (4096 bytes, 4K aligned) ------------------- */
#define QDESFMT0_SIZE        32
#define QDESFMT0_OFF_SLIB    0x00
#define QDESFMT0_OFF_SL      0x08
#define QDESFMT0_OFF_SLSB    0x10
#define QDESFMT0_OFF_RSVD    0x18	/* 4 bytes zero */
#define QDESFMT0_OFF_KEYS1   0x1C	/* SLIB key (high nibble), SL key (low) */
#define QDESFMT0_OFF_KEYS2   0x1D	/* SBAL key (high nibble), SLSB key (low) */
#define QDESFMT0_OFF_RSVD2   0x1E
CPNET_LAYOUT(QDESFMT0, QDESFMT0_OFF_RSVD2 + 2);

#define QDR_SIZE         4096
#define QDR_ALIGN        4096
#define QDR_OFF_QFMT     0x00
#define QDR_OFF_PFMT     0x01
#define QDR_OFF_AC       0x03
#define QDR_OFF_IQDCNT   0x05
#define QDR_OFF_OQDCNT   0x07
#define QDR_OFF_IQDSZ    0x09
#define QDR_OFF_OQDSZ    0x0B
#define QDR_OFF_QIBA     0x30
#define QDR_OFF_QKEY     0x3C	/* high nibble */
#define QDR_OFF_QDF0     0x40	/* input descriptors first, then output */
#define QDR_QDF0_SLOTS   ((QDR_SIZE - QDR_OFF_QDF0) / QDESFMT0_SIZE)
#define QDR_DESC_WORDS   (QDESFMT0_SIZE / 4)	/* iqdsz/oqdsz: descriptor size in words */
CPNET_LAYOUT(QDR, QDR_OFF_QDF0 + QDR_QDF0_SLOTS * QDESFMT0_SIZE);

#define QDIO_QFMT_QETH   0
#define QDIO_QFMT_FCP    1
#define QDIO_QFMT_IQDIO  2

struct qdesfmt0 {
	uint64_t slib, sl, slsb;
	uint8_t slib_key, sl_key, sbal_key, slsb_key;	/* 4-bit keys */
};

struct qdr {
	uint8_t qfmt, pfmt, ac;
	uint8_t iqdcnt, oqdcnt;
	uint8_t iqdsz, oqdsz;
	uint64_t qiba;
	uint8_t qkey;				/* 4-bit key */
	struct qdesfmt0 in[QDIO_QUEUES_MAX];
	struct qdesfmt0 out[QDIO_QUEUES_MAX];
};

/* -EMSGSIZE short buffer; -EBADMSG counts outside 1..32 or descriptor size not 8 words. */
int qdr_decode(const uint8_t *buf, size_t len, struct qdr *out);
/* Returns QDR_SIZE; -ENOSPC, -EINVAL for counts/keys out of range. Reserved bytes zero. */
int qdr_encode(const struct qdr *in, uint8_t *buf, size_t cap);
int qdesfmt0_decode(const uint8_t *buf, size_t len, struct qdesfmt0 *out);
int qdesfmt0_encode(const struct qdesfmt0 *in, uint8_t *buf, size_t cap);

/* ---- QIB: Queue Information Block (256 bytes, 256 aligned) -------------------- */
#define QIB_SIZE         256
#define QIB_ALIGN        256
#define QIB_OFF_QFMT     0x00
#define QIB_OFF_PFMT     0x01
#define QIB_OFF_RFLAGS   0x02
#define QIB_OFF_AC       0x03
#define QIB_OFF_ISLIBA   0x08
#define QIB_OFF_OSLIBA   0x10
#define QIB_OFF_EBCNAM   0x20	/* EBCDIC bus id of the data device, 8 bytes */
#define QIB_OFF_PARM     0x80
#define QIB_PARM_LEN     128
CPNET_LAYOUT(QIB, QIB_OFF_PARM + QIB_PARM_LEN);

#define QIB_RFLAGS_QEBSM 0x80
#define QIB_RFLAGS_TDD   0x02	/* data division */
#define QIB_AC_OUTBOUND_PCI 0x40

/* qeth's parameter area at QIB+0x80 (offsets relative to it). Each group is
 * recognised by its EBCDIC marker; VM NICs get an all-zero area. */
#define QIB_PARM_OFF_PCIT        0x00	/* "PCIT" */
#define QIB_PARM_OFF_PCIT_A      0x04
#define QIB_PARM_OFF_PCIT_B      0x08
#define QIB_PARM_OFF_PCIT_TIMER  0x0C
#define QIB_PARM_OFF_BLKT        0x10	/* "BLKT" */
#define QIB_PARM_OFF_BLKT_TOTAL  0x14
#define QIB_PARM_OFF_BLKT_INTER  0x18
#define QIB_PARM_OFF_BLKT_JUMBO  0x1C
#define QIB_PARM_OFF_PQUE        0x20	/* "PQUE" */
#define QIB_PARM_OFF_PQUE_ORDER  0x24
#define QIB_PARM_OFF_PQUE_UNITS  0x25
#define QIB_PARM_OFF_PQUE_PRIO   0x28	/* 4 x u32 */
#define QIB_PARM_MARK_PCIT  0xD7C3C9E3u	/* EBCDIC "PCIT" */
#define QIB_PARM_MARK_BLKT  0xC2D3D2E3u	/* EBCDIC "BLKT" */
#define QIB_PARM_MARK_PQUE  0xD7D8E4C5u	/* EBCDIC "PQUE" */

struct qib {
	uint8_t qfmt, pfmt, rflags, ac;
	uint64_t isliba, osliba;	/* informational only: may not be absolute (ref 4.1.1) */
	uint8_t ebcnam[8];
	bool has_pcit, has_blkt, has_pque;
	uint32_t pcit_a, pcit_b, pcit_timer;
	uint32_t blkt_total, blkt_inter, blkt_jumbo;
	uint8_t pque_order, pque_units;
	uint32_t pque_prio[4];
};

int qib_decode(const uint8_t *buf, size_t len, struct qib *out);
int qib_encode(const struct qib *in, uint8_t *buf, size_t cap);

/* ---- SLIB (2048, 2K aligned), SL (1024, 1K aligned), SLSB (128, 256 aligned) ---- */
#define SLIB_SIZE        2048
#define SLIB_ALIGN       2048
#define SLIB_OFF_NEXT    0x000
#define SLIB_OFF_SL      0x008
#define SLIB_OFF_SLSB    0x010
#define SLIB_OFF_RSVD    0x018
#define SLIB_OFF_ELEMS   0x400	/* 128 x 8 bytes, unused by qeth */
CPNET_LAYOUT(SLIB, SLIB_OFF_ELEMS + 8 * QDIO_BUFS);

struct slib {
	uint64_t next, sl, slsb;
};
int slib_decode(const uint8_t *buf, size_t len, struct slib *out);
/* Writes all 2048 bytes (reserved and element area zero). */
int slib_encode(const struct slib *in, uint8_t *buf, size_t cap);

#define SL_SIZE          1024
#define SL_ALIGN         1024
#define SL_OFF_SBAL(i)   (8 * (i))
CPNET_LAYOUT(SL, SL_OFF_SBAL(QDIO_BUFS - 1) + 8);
int sl_decode(const uint8_t *buf, size_t len, uint64_t sbal[QDIO_BUFS]);
int sl_encode(const uint64_t sbal[QDIO_BUFS], uint8_t *buf, size_t cap);

#define SLSB_SIZE        128
#define SLSB_ALIGN       256

/* SLSB state byte = owner | type | state. */
#define SLSB_OWNER_PROG      0x80
#define SLSB_OWNER_CU        0x40
#define SLSB_TYPE_OUTPUT     0x20
#define SLSB_ST_NOT_INIT     0x00
#define SLSB_ST_EMPTY        0x01
#define SLSB_ST_PRIMED       0x02
#define SLSB_ST_PENDING      0x03
#define SLSB_ST_HALTED       0x0E
#define SLSB_ST_ERROR        0x0F

#define SLSB_P_INPUT_NOT_INIT   (SLSB_OWNER_PROG | SLSB_ST_NOT_INIT)			/* 0x80 */
#define SLSB_P_INPUT_ACK        (SLSB_OWNER_PROG | SLSB_ST_EMPTY)			/* 0x81 */
#define SLSB_CU_INPUT_EMPTY     (SLSB_OWNER_CU | SLSB_ST_EMPTY)				/* 0x41 */
#define SLSB_P_INPUT_PRIMED     (SLSB_OWNER_PROG | SLSB_ST_PRIMED)			/* 0x82 */
#define SLSB_P_INPUT_HALTED     (SLSB_OWNER_PROG | SLSB_ST_HALTED)			/* 0x8E */
#define SLSB_P_INPUT_ERROR      (SLSB_OWNER_PROG | SLSB_ST_ERROR)			/* 0x8F */
#define SLSB_P_OUTPUT_NOT_INIT  (SLSB_OWNER_PROG | SLSB_TYPE_OUTPUT | SLSB_ST_NOT_INIT)	/* 0xA0 */
#define SLSB_P_OUTPUT_EMPTY     (SLSB_OWNER_PROG | SLSB_TYPE_OUTPUT | SLSB_ST_EMPTY)	/* 0xA1 */
#define SLSB_P_OUTPUT_PENDING   (SLSB_OWNER_PROG | SLSB_TYPE_OUTPUT | SLSB_ST_PENDING)	/* 0xA3 */
#define SLSB_CU_OUTPUT_PRIMED   (SLSB_OWNER_CU | SLSB_TYPE_OUTPUT | SLSB_ST_PRIMED)	/* 0x62 */
#define SLSB_P_OUTPUT_HALTED    (SLSB_OWNER_PROG | SLSB_TYPE_OUTPUT | SLSB_ST_HALTED)	/* 0xAE */
#define SLSB_P_OUTPUT_ERROR     (SLSB_OWNER_PROG | SLSB_TYPE_OUTPUT | SLSB_ST_ERROR)	/* 0xAF */

/* True for the states the architecture defines for a queue of that direction. */
bool slsb_state_valid(uint8_t state, bool output);

/* ---- SBAL (256 bytes, 256 aligned) of 16 SBALEs (16 bytes) ---------------------- */
#define SBALE_SIZE       16
#define SBALE_OFF_EFLAGS 0x00
#define SBALE_OFF_RSVD   0x01
#define SBALE_OFF_SCOUNT 0x02
#define SBALE_OFF_SFLAGS 0x03
#define SBALE_OFF_LEN    0x04
#define SBALE_OFF_ADDR   0x08
CPNET_LAYOUT(SBALE, SBALE_OFF_ADDR + 8);

#define SBAL_SIZE        256
#define SBAL_ALIGN       256
#define SBAL_OFF_ELEM(i) (SBALE_SIZE * (i))
CPNET_LAYOUT(SBAL, SBAL_OFF_ELEM(QDIO_SBALES - 1) + SBALE_SIZE);

#define SBALE_EF_LAST        0x40
#define SBALE_EF_CONTIGUOUS  0x20
#define SBALE_EF_FRAG_MASK   0x0C
#define SBALE_FRAG_NONE      0x00
#define SBALE_FRAG_FIRST     0x04
#define SBALE_FRAG_MIDDLE    0x08
#define SBALE_FRAG_LAST      0x0C
#define SBALE_SF0_PCI_REQ    0x40	/* element 0: interrupt when this output buffer is done */
#define SBALE_SF0_DATA_CONT  0x20
#define SBAL_STATUS_ELEM     15		/* element whose sflags carry the error reason */

struct sbale {
	uint8_t eflags, scount, sflags;
	uint32_t len;
	uint64_t addr;
};

struct sbal {
	struct sbale e[QDIO_SBALES];
};

int sbale_decode(const uint8_t *buf, size_t len, struct sbale *out);
int sbale_encode(const struct sbale *in, uint8_t *buf, size_t cap);
int sbal_decode(const uint8_t *buf, size_t len, struct sbal *out);
int sbal_encode(const struct sbal *in, uint8_t *buf, size_t cap);

/* ---- from guest storage ------------------------------------------------------- */
/*
 * Establish Queues: fetch the QDR at `addr` (4K aligned) once, decode it and validate
 * every address it holds against storage and its alignment rule (QIB 256, SLIB 2K,
 * SL 1K, SLSB 256).  -EFAULT outside storage, -EXDEV misaligned, -EBADMSG/-EMSGSIZE
 * from the decoder.  The caller keeps `out` and never re-reads the guest's QDR.
 */
int qdr_fetch(struct gstor *gs, uint64_t addr, struct qdr *out);
/* The address checks of qdr_fetch on an already decoded QDR. */
int qdr_check(struct gstor *gs, const struct qdr *qdr);
int qib_fetch(struct gstor *gs, uint64_t addr, struct qib *out);

#endif
