/* osa/wire.h - the wire provider interface of the OSA-Express model: what the OSA's
 * physical port is plugged into (a Linux TAP, or an in-memory wire for tests). */
#ifndef CPNET_OSA_WIRE_H
#define CPNET_OSA_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "osa/vnet.h"

/*
 * A provider is a struct of callbacks (NULL = unsupported, the wrappers below answer
 * -EOPNOTSUPP), in the style of Open vSwitch's netdev providers.  A wire carries whole
 * Ethernet frames (destination MAC first, no preamble, no FCS), one per call.
 *
 * Copy once: send gathers the frame from an iovec (the OSA hands it the guest's
 * spans plus a header it built), recv writes one frame into a caller buffer that
 * the OSA then hands on as the span the receiving NIC copies from.
 *
 * Batches: send_batch and recv_batch move several frames per call where the device
 * allows it (the TAP provider: one io_uring_enter for the whole batch, see
 * doc/osa.md); a provider without them is driven one frame per call by the wrappers,
 * so the OSA has one path.  Either way frames keep their order.
 *
 * Event loop: `fd` is a descriptor that becomes readable when recv has something
 * (TAP), or -1 when the wire has none (memory: poll it).  Non-blocking always.
 *
 * Thread-safety: a wire is used by one thread (the OSA's).
 */

#define WIRE_NAME_MAX 16		/* IFNAMSIZ */
#define WIRE_FRAME_MAX 9216u		/* largest frame on any wire: jumbo 9000 + headers */
#define WIRE_IOV_MAX 20u		/* header + up to 16 spans + spare */

#define WIRE_BATCH_MAX 64u		/* frames per send_batch / recv_batch call */
#define WIRE_OFL_FRAME_MAX 65600u	/* a large send a wire finishes: 64 KiB + headers */

struct wire;

/*
 * What a frame leaves to a wire that finishes it (struct wire.offloads; the TAP with
 * IFF_VNET_HDR: the host kernel, which segments only where it must).  The checksum
 * field holds the pseudo-header sum, as Linux's CHECKSUM_PARTIAL; IP lengths and the
 * IPv4 header checksum are those of the whole frame.  Offsets count from the frame's
 * first byte.  All zero: a finished frame.
 */
enum { WIRE_GSO_NONE = 0, WIRE_GSO_TCP4, WIRE_GSO_TCP6 };

struct wire_ofl {
	uint16_t csum_start;		/* 0: no checksum left; else it covers from here on */
	uint16_t csum_offset;		/* the checksum field, counted from csum_start */
	uint16_t hdr_len;		/* gso: the headers every segment repeats */
	uint16_t gso_size;		/* gso: TCP payload bytes per segment */
	uint8_t gso;			/* WIRE_GSO_*: a TCP large send to cut */
	bool ecn;			/* gso: CWR set, only the first segment keeps it */
};

/* One frame of a send batch: gathered from iov like send; rc is send's answer.  ofl:
 * only on a wire with offloads (up to WIRE_OFL_FRAME_MAX bytes then). */
struct wire_txf {
	const struct iovec *iov;
	unsigned niov;
	uint32_t len;
	int rc;
	struct wire_ofl ofl;
};

struct wire_class {
	const char *type;		/* "TAP", "MEM": the SYSTEM CONFIG keyword */
	/* Attach to the named device (non-blocking).  -ENODEV, -EPERM, -errno. */
	int (*open)(struct wire *w, const char *name);
	void (*close)(struct wire *w);
	/* One frame of `len` bytes gathered from iov.  0, -EAGAIN (no room now: the
	 * frame is dropped by the caller), -ENETDOWN (link down / device gone). */
	int (*send)(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len);
	/* One frame into buf.  Its length, -EAGAIN (nothing), -EMSGSIZE (longer than
	 * cap: dropped), -ENETDOWN. */
	int (*recv)(struct wire *w, uint8_t *buf, uint32_t cap);
	/* 1 up (administratively up and carrier), 0 down, -ENODEV gone. */
	int (*link)(struct wire *w);
	int (*get_mtu)(struct wire *w, uint32_t *mtu);
	/* The wire's own (far-side / host-side) MAC: informational. */
	int (*get_mac)(struct wire *w, uint8_t mac[6]);
	/* Up to WIRE_BATCH_MAX frames in order; sets each f[i].rc as send would. */
	void (*send_batch)(struct wire *w, struct wire_txf *f, unsigned n);
	/* Up to n (<= WIRE_BATCH_MAX) frames, in order, into bufs[0..n) (cap bytes each):
	 * lens[i] is a frame's length, -EMSGSIZE (lost: too long) or -EAGAIN (slot left
	 * empty); ofl[i] (ofl may be NULL: large receives are refused then) what a frame
	 * leaves open, only while rx_large is on (set by the wrapper to all zero first).
	 * Returns the number of slots looked at (0 = nothing waiting), or -ENETDOWN /
	 * -errno when the first read failed. */
	int (*recv_batch)(struct wire *w, uint8_t *const *bufs, uint32_t cap, unsigned n,
			  int *lens, struct wire_ofl *ofl);
	/* Receive large sends whole, their checksums open (on), or only finished frames
	 * (off): the host kernel is told so (a TAP's TUNSETOFFLOAD).  0 or -errno. */
	int (*set_rx_large)(struct wire *w, bool on);
};

struct wire_stats {
	uint64_t tx_frames, tx_bytes, tx_busy, tx_errors;
	uint64_t rx_frames, rx_bytes, rx_truncated, rx_errors;
	/* System calls the provider made to move frames (reads/writes, or io_uring
	 * submissions), for the frames-per-syscall figures of the benchmarks. */
	uint64_t tx_syscalls, rx_syscalls;
	/* Frames read behind a virtio-net header that does not fit the frame, by reason
	 * (enum vnet_bad, osa/vnet.h): dropped (and counted as truncated, too). */
	uint64_t rx_bad_vnet[VNET_BAD_NR];
};

struct wire {
	const struct wire_class *cls;
	int fd;				/* readable when frames wait; -1 = none */
	char name[WIRE_NAME_MAX];
	void *priv;			/* the provider's state */
	bool failed;			/* a send/recv saw the device go away */
	bool offloads;			/* send_batch takes wire_txf.ofl (set by open) */
	bool rx_large;			/* recv_batch may hand large receives (wire_set_rx_large) */
	struct wire_stats st;
};

extern const struct wire_class wire_tap_class;
extern const struct wire_class wire_mem_class;

/* The provider for a SYSTEM CONFIG keyword ("TAP", "MEM", any case), or NULL. */
const struct wire_class *wire_class_find(const char *type);

/* Open `name` with provider cls.  On failure the wire is left closed (fd -1). */
int wire_open(struct wire *w, const struct wire_class *cls, const char *name);
void wire_close(struct wire *w);
/* The wrappers count into w->st; unsupported operations give -EOPNOTSUPP. */
int wire_send(struct wire *w, const struct iovec *iov, unsigned niov, uint32_t len);
int wire_recv(struct wire *w, uint8_t *buf, uint32_t cap);
/* Batches (the provider's, else one call per frame); same counting as above. */
void wire_send_batch(struct wire *w, struct wire_txf *f, unsigned n);
int wire_recv_batch(struct wire *w, uint8_t *const *bufs, uint32_t cap, unsigned n, int *lens,
		    struct wire_ofl *ofl);
/* Large receives on or off (struct wire_class set_rx_large); -EOPNOTSUPP for a wire
 * that cannot.  On success w->rx_large says which. */
int wire_set_rx_large(struct wire *w, bool on);
int wire_link(struct wire *w);
int wire_mtu(struct wire *w, uint32_t *mtu);
int wire_mac(struct wire *w, uint8_t mac[6]);

/* ---- the in-memory provider (tests, fuzzing, two OSAs back to back) ---- */

#define WIRE_MEM_SLOTS 32		/* frames a memory wire holds each way */

/* Join two open memory wires: what one sends the other receives. */
int wire_mem_connect(struct wire *a, struct wire *b);
/* The far end (a test harness) puts a frame on the wire for w to receive.
 * 0, -ENOSPC (ring full), -EMSGSIZE, -EINVAL (not a memory wire). */
int wire_mem_inject(struct wire *w, const uint8_t *frame, uint32_t len);
/* The far end takes the next frame w sent (unconnected wires keep them).
 * Its length, -EAGAIN none, -EMSGSIZE cap too small (frame kept), -EINVAL. */
int wire_mem_collect(struct wire *w, uint8_t *buf, uint32_t cap);
/* The harness's end takes frames with what they left to the wire (struct wire_ofl),
 * up to WIRE_OFL_FRAME_MAX bytes: an unconnected wire with nothing sent yet.
 * 0, -EINVAL, -ENOMEM. */
int wire_mem_set_offloads(struct wire *w);
/* wire_mem_inject with what the frame leaves open (a large receive: up to
 * WIRE_OFL_FRAME_MAX bytes, once the wire's rx_large is on).  As wire_mem_inject. */
int wire_mem_inject_ofl(struct wire *w, const uint8_t *frame, uint32_t len,
			const struct wire_ofl *ofl);
/* wire_mem_collect, and what the frame left to the wire (all zero: nothing). */
int wire_mem_collect_ofl(struct wire *w, uint8_t *buf, uint32_t cap, struct wire_ofl *ofl);
/* Pull the cable (down) or plug it back (up); a deleted device: gone = true. */
void wire_mem_set_link(struct wire *w, bool up, bool gone);
void wire_mem_set_mtu(struct wire *w, uint32_t mtu);

#endif
