/* vnic/nic_int.h - private interfaces between the parts of the virtual NIC:
 * nic.c (devices, lifecycle), control.c (IDX, MPC, messages), ipa.c, data.c (QDIO). */
#ifndef CPNET_VNIC_NIC_INT_H
#define CPNET_VNIC_NIC_INT_H

#include "vnic/nic.h"

/* Adapter tokens: opaque, unique per NIC, never starting with "00S". */
#define NIC_TOK_ISSUER(n)	(0xC3D70000u | (n)->cfg.base_devno)	/* "CP" + devno */
#define NIC_TOK_CM_FILTER(n)	(0xC3D60000u | (n)->cfg.base_devno)
#define NIC_TOK_CM_CONN(n)	(0xC3C30000u | (n)->cfg.base_devno)
#define NIC_TOK_ULP_FILTER(n)	(0xE4C60000u | (n)->cfg.base_devno)
#define NIC_TOK_ULP_CONN(n)	(0xE4C30000u | (n)->cfg.base_devno)

/* control.c */
int nic_ctl_write(struct nidbk *d, const uint8_t *buf, uint32_t len);
int nic_ctl_idx(struct nidbk *d, const uint8_t *buf, uint32_t len);
/* Queue a control message for the read device (copied). -ENOSPC when the ring is full. */
int nic_post_msg(struct nicbk *nic, const uint8_t *msg, uint32_t len);
/* Pop the oldest message into buf (cap bytes); returns its length or -EAGAIN. */
int nic_pop_msg(struct nicbk *nic, uint8_t *buf, uint32_t cap);
void nic_conn_reset(struct nicbk *nic);
/* Next sequence number for a message the adapter sends. */
uint32_t nic_next_seq(struct nicbk *nic);

/* ipa.c */
int nic_ipa(struct nicbk *nic, const uint8_t *buf, uint32_t len);
/* Send an adapter-initiated IPA command (STOPLAN / STARTLAN). */
int nic_ipa_unsolicited(struct nicbk *nic, uint8_t cmd);
/* Withdraw every registration from the port (connection reset). */
void nic_ipa_forget(struct nicbk *nic);

/* data.c */
/* Everything one SIGA-w round forwards: every primed buffer of the queue (at most
 * 128), up to 16 frames each, their payload spans (headers cut off). */
struct nic_txbatch {
	struct qdio_out_buf buf[QDIO_BUFS];
	struct pframe fr[QDIO_BUFS * QDIO_SBALES];
	struct qdio_span sp[QDIO_BUFS * QDIO_SBALES];
};

int nic_qdio_establish(struct nidbk *d, const uint8_t *qdr, uint32_t len);
int nic_qdio_activate(struct nidbk *d);
void nic_qdio_stop(struct nicbk *nic);
int nic_qdio_siga(struct nidbk *d, unsigned fc, uint32_t mask);
unsigned nic_port_rx(void *owner, struct port *p, const struct pframe *f, unsigned n);

#endif
