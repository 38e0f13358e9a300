/* hercules/cpnic.h - the CPNIC Hercules device: one vnic NICBK per device group plus its
 * threads and port back end; shared by the Hercules glue (hdtcpnic.c) and cpnic_port.c. */
#ifndef CPNET_HERCULES_CPNIC_H
#define CPNET_HERCULES_CPNIC_H

#include <poll.h>
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
 * halt callback with the device lock held on a CPU thread, so those paths never WAIT
 * for the NIC lock: halt only signals; SIGA runs inline when a trylock of the NIC lock
 * succeeds and nothing can make it wait (cpnic_siga), else posts work under wlock for
 * the worker.  An inline SIGA's PCIs are deferred to the worker (the CPU thread holds
 * the device lock the PCI takes, and Hercules's interrupt lock comes before device
 * locks).  Two NICs joined with
 * port=peer share one NIC lock (a frame from one runs the other's rx), so the lock is
 * a pointer; so do all NICs on one port=cp link (the link's lock, see below).  The
 * registry lock is taken alone or before a NIC lock (config thread, close, CHSC).
 */

enum cpnic_be { CPNIC_BE_NONE = 0, CPNIC_BE_PEER, CPNIC_BE_TAP, CPNIC_BE_TUN, CPNIC_BE_CP,
		CPNIC_BE_OSA };

#define CPNIC_ARGS_MAX   256	/* the config line's arguments, the group key */
#define CPNIC_RX_BATCH   32	/* frames read from the TAP per NIC-lock hold */
#define CPNIC_RX_BUF     65536	/* one frame buffer (largest TAP/TUN frame) */
#define CPNIC_PATH_MAX   108	/* sun_path */
#define CPNIC_OSA_BUDGET 64	/* frames osa_poll reads per NIC-lock hold */
#define CPNIC_OSA_LINK_MS 1000	/* period of osa_check_link (TAP set down -> STOPLAN) */

struct cpnic;
struct cpnic_link;
struct osa;

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
	uint8_t pci_mode;		/* pci= (enum pcim_mode) */
	bool pci_mode_set;
	uint32_t pci_hold_us;		/* pcihold= */
	bool siga_worker;		/* siga=worker: no inline SIGA (cpnic_siga) */
	/* port=cp: cpnetd's VM socket, the user to LOGON as, its password (or file) */
	char cp_path[CPNIC_PATH_MAX];
	char cp_user[9];
	char cp_pass[9];
	char cp_pwfile[CPNIC_PATH_MAX];
	/* group assembly */
	unsigned ndev, nattached;
	bool created;			/* nic_create done, threads running */
	bool closing;			/* a device closed: pending commands end */
	unsigned nclosed;		/* devices closed so far */
	unsigned in_exec;		/* device threads inside exec (NIC lock) */
	struct cpnic_dev dev[NIC_MAX_DEVS];

	pthread_mutex_t own_lock;
	pthread_mutex_t *lock;		/* the NIC lock (own_lock or a peer's) */
	struct nicbk nic;		/* the NIC of every back end but osa */
	/* The NICBK the devices drive: &nic, or osa_nic(osa) for port=osa (the OSA
	 * model owns its NICBK).  Set before the NIC exists; the glue uses only this. */
	struct nicbk *np;
	struct gstor gs;

	/* SIGA worker: the CPU thread posts queue masks, the worker runs nic_siga;
	 * or the CPU thread runs it inline (cpnic_siga).  Under wlock: */
	pthread_t worker;
	bool worker_started;
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	uint32_t siga_w, siga_r;
	struct nidbk *siga_nid;
	bool wbusy;			/* the worker took SIGAs and has not finished them */
	uint64_t pci_owed;		/* devices (bit = index) whose PCI an inline SIGA
					 * left to the worker */
	uint64_t siga_handed;		/* SIGAs posted to the worker */
	bool stop;
	uint64_t siga_inline;		/* SIGAs run on the CPU thread (NIC lock) */

	/* back ends */
	struct cpnic *peer;
	struct port_p2p p2p;
	int tapfd;
	int wake[2];			/* pipe that stops the reader */
	pthread_t reader;
	bool reader_started;
	uint8_t *rxbuf;			/* CPNIC_RX_BATCH * CPNIC_RX_BUF */
	uint8_t *ofl_buf;		/* the guest's offloads finished for the TAP */
	uint64_t tx_errors, rx_errors;
	/* port=cp: the link shared by every NIC of this user in this process (its lock
	 * is the NIC lock of all of them); NULL when LOGON or the NICDEF failed. */
	struct cpnic_link *link;
	/* port=cp, NIC lock held: can the link take what `bufs` primed output buffers
	 * hold now without waiting?  (cpnic_cp_open sets it; cpnic_siga asks before an
	 * inline SIGA.) */
	bool (*tx_room)(struct cpnic *c, unsigned bufs);
	/* port=osa: the OSA-Express model on the TAP in ifname (allocated: it holds its
	 * own NICBK); driven under the NIC lock by the reader thread and the SIGA worker. */
	struct osa *osa;
	bool osa_link;			/* last link state the reader logged */
};

/* Open the TAP/TUN named in c->ifname, attach the NIC port to it, start the reader.
 * Returns 0 or a negative errno (message in err). */
int cpnic_tap_open(struct cpnic *c, char *err, size_t errlen);
/* The NIC's port writes the guest's frames to fd (a TAP/TUN; a pipe in the unit
 * tests), finished: checksums written, large sends cut (vnic/offload: the TAP is
 * opened without IFF_VNET_HDR, so it takes no unfinished frame).  No reader. */
void cpnic_tap_attach(struct cpnic *c, int fd);
/* Stop the reader and close the TAP/TUN (NIC lock not held). */
void cpnic_tap_close(struct cpnic *c);

/*
 * port=osa: the OSA-Express model (osa/) on the TAP c->ifname (hercules/cpnic_osa.c).
 * cpnic_osa_open (registry lock held, instead of nic_create): osa_create with the
 * group's devices, chpid and MAC; c->np becomes the OSA's NICBK.  After the channel
 * is bound, cpnic_osa_start starts the reader thread: it polls the wire descriptor
 * (and a wake pipe) without any lock, then under the NIC lock runs osa_poll (frames,
 * ARP timers; at least every OSA_TIMER_MS) and osa_check_link (every
 * CPNIC_OSA_LINK_MS).  cpnic_osa_stop (no lock held) stops and joins the reader;
 * cpnic_osa_destroy (NIC lock held, after the reader and worker are stopped) destroys
 * the OSA and its NICBK.
 */
int cpnic_osa_open(struct cpnic *c, char *err, size_t errlen);
int cpnic_osa_start(struct cpnic *c, char *err, size_t errlen);
void cpnic_osa_stop(struct cpnic *c);
void cpnic_osa_destroy(struct cpnic *c);
/* For devlist and the close line: a few OSA counters ("" unless port=osa). */
void cpnic_osa_counters(const struct cpnic *c, char *buf, size_t len);

/* A reader thread's wait (us) that keeps the owed PCI of `nic` on time: the smaller of
 * wait_us and the time to nic_pci_due; -1 = none.  NIC lock held. */
int64_t cpnic_pci_wait(struct nicbk *nic, int64_t wait_us);
/* poll() with a wait in microseconds (-1 = none): an owed PCI may be due in 200 us. */
int cpnic_poll_us(struct pollfd *pfd, unsigned n, int64_t wait_us);
/* pthread_create for the module's threads: asynchronous signals blocked (Hercules's
 * SIGTERM is its main thread's), named `name` (at most 15 bytes kept).  0 or an errno. */
int cpnic_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *name);
/* Start/stop the SIGA worker thread. */
int cpnic_worker_start(struct cpnic *c);
void cpnic_worker_stop(struct cpnic *c);
/*
 * A SIGA-w (write) or SIGA-r on a CPU thread holding the device lock.  Runs nic_siga
 * at once when (1) no SIGA waits for or runs on the worker (an inline one must not
 * overtake them), (2) a trylock of the NIC lock succeeds (a trylock cannot invert the
 * lock order; it fails while the worker or a reader works), and (3) nic_siga cannot
 * wait: the port is a TAP/TUN (non-blocking writes), none, or port=cp whose ring has
 * room for every frame the primed buffers can hold -- provable only when the guest has
 * one CPU (`one_cpu`: no other CPU primes more during the round).  port=peer and
 * port=osa (a frame runs another NIC's receive or the OSA model) always go to the
 * worker, and so does every SIGA of a NIC configured siga=worker.  Otherwise the masks
 * are posted and the worker runs them, merged.
 */
void cpnic_siga(struct cpnic *c, struct nidbk *nid, bool write, uint32_t mask, bool one_cpu);
/* Whether ring r (its user's lock held) takes what `bufs` primed output buffers can
 * hold without a wait: each up to QDIO_SBALES frames, each up to 64 KiB (vml_ring_tx
 * sends no more), a message of as many ring entries as its bytes need, and one wrap
 * entry's worth before one of them.  Nothing unpublished may be pending. */
struct shring;
bool cpnic_ring_fits(struct shring *r, unsigned bufs);
/* On the thread of an inline SIGA (device lock held): a PCI must be deferred. */
bool cpnic_siga_inline_now(void);
/* Leave the PCI of device d to the worker (inline SIGA, NIC lock held). */
void cpnic_defer_pci(struct cpnic_dev *d);

/*
 * port=cp: the NIC's port is a proxy on a vmlink to cpnetd (hercules/cpnic_cp.c).
 * One link per (socket, user) in the process, shared by all that user's NICs: CP
 * allows one LOGON per user and announces every NICDEF on it.  The link's lock is
 * the NIC lock of all its NICs, because a registration (vm_addr, device thread, in
 * IPA) reads the socket itself and may deliver frames to any NIC of the link.
 *
 * cpnic_cp_open (registry lock held, before nic_create): find or make the link
 * (connect, LOGON), wait (bounded) for the NICDEF of c's base device, check it,
 * take its MAC and point c->lock at the link's lock.  0, or a negative errno with
 * the reason in err (c then has no link and no port).
 * cpnic_cp_attach (registry lock held, after nic_create): put the NIC's port on the
 * link, apply the LAN state CP sent, start the link's reader thread.
 * cpnic_cp_detach (NIC lock held): take the port off the link.
 * cpnic_cp_put (registry lock held, NIC lock not held): drop c's reference; the
 * last one stops the reader, sends LOGOFF and closes the socket.
 */
int cpnic_cp_open(struct cpnic *c, char *err, size_t errlen);
int cpnic_cp_attach(struct cpnic *c, char *err, size_t errlen);
void cpnic_cp_detach(struct cpnic *c);
void cpnic_cp_put(struct cpnic *c);
/* For devlist: "up", "down", "detached" (by CP), "gone" (session ended), "unattached". */
const char *cpnic_cp_state(const struct cpnic *c);

/* A line in the Hercules log (hdtcpnic.c: logmsg), for threads outside the glue. */
void cpnic_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse "02:00:00:00:0a:00"; 0 or -EINVAL. */
int cpnic_parse_mac(const char *s, uint8_t mac[6]);

#endif
