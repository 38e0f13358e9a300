/* hercules/cpnic.h - the CPNIC Hercules device: one vnic NICBK per device group plus its
 * threads and port back end; shared by the Hercules glue (hdtcpnic.c) and cpnic_port.c. */
#ifndef CPNET_HERCULES_CPNIC_H
#define CPNET_HERCULES_CPNIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/gstor.h"
#include "vnic/nic.h"
#include "vnic/port.h"

/*
 * Locking (see doc/hercules.md):
 *   NIC lock (*cpnic.lock)  ->  Hercules DEVBLK lock  ->  cpnic.wlock (leaf)
 * Every call into vnic/ is made with the NIC lock held.  Hercules calls SIGA and the
 * halt callback with the device lock held on a CPU thread, so those paths never take
 * the NIC lock: SIGA posts work under wlock, halt only signals.  Two NICs joined with
 * port=peer share one NIC lock (a frame from one runs the other's rx), so the lock is
 * a pointer.  The registry lock is taken alone (config thread, CHSC on a CPU thread).
 */

enum cpnic_be { CPNIC_BE_NONE = 0, CPNIC_BE_PEER, CPNIC_BE_TAP, CPNIC_BE_TUN };

#define CPNIC_ARGS_MAX   256	/* the config line's arguments, the group key */
#define CPNIC_RX_BATCH   32	/* frames read from the TAP per NIC-lock hold */
#define CPNIC_RX_BUF     65536	/* one frame buffer (largest TAP/TUN frame) */

struct cpnic;

/* One device of the group: the vnic NIDBK's channel context. */
struct cpnic_dev {
	struct cpnic *c;
	void *hdev;		/* DEVBLK * (opaque here) */
	unsigned index;
	pthread_cond_t cond;	/* a pending command may make progress */
	bool ready;		/* set by the vnic ready callback */
};

struct cpnic {
	struct cpnic *next;		/* registry */
	char args[CPNIC_ARGS_MAX];	/* group key: the config arguments */
	/* configuration */
	struct nic_cfg cfg;
	enum cpnic_be be;
	char ifname[16];		/* TAP/TUN name */
	uint16_t peer_devno;
	bool trace;
	/* group assembly */
	unsigned ndev, nattached;
	bool created;			/* nic_create done, threads running */
	bool closing;			/* a device closed: pending commands end */
	unsigned nclosed;		/* devices closed so far */
	unsigned in_exec;		/* device threads inside exec (NIC lock) */
	struct cpnic_dev dev[NIC_MAX_DEVS];

	pthread_mutex_t own_lock;
	pthread_mutex_t *lock;		/* the NIC lock (own_lock or a peer's) */
	struct nicbk nic;
	struct gstor gs;

	/* SIGA worker: the CPU thread posts queue masks, the worker runs nic_siga. */
	pthread_t worker;
	bool worker_started;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	uint32_t siga_w, siga_r;
	struct nidbk *siga_nid;
	bool stop;

	/* back ends */
	struct cpnic *peer;
	struct port_p2p p2p;
	int tapfd;
	int wake[2];			/* pipe that stops the reader */
	pthread_t reader;
	bool reader_started;
	uint8_t *rxbuf;			/* CPNIC_RX_BATCH * CPNIC_RX_BUF */
	uint64_t tx_errors, rx_errors;
};

/* Open the TAP/TUN named in c->ifname, attach the NIC port to it, start the reader.
 * Returns 0 or a negative errno (message in err). */
int cpnic_tap_open(struct cpnic *c, char *err, size_t errlen);
/* Stop the reader and close the TAP/TUN (NIC lock not held). */
void cpnic_tap_close(struct cpnic *c);

/* Start/stop the SIGA worker thread. */
int cpnic_worker_start(struct cpnic *c);
void cpnic_worker_stop(struct cpnic *c);
/* Post SIGA work (called on a CPU thread with the device lock held: wlock only). */
void cpnic_post_siga(struct cpnic *c, struct nidbk *nid, bool write, uint32_t mask);

/* Parse "02:00:00:00:0a:00"; 0 or -EINVAL. */
int cpnic_parse_mac(const char *s, uint8_t mac[6]);

#endif
