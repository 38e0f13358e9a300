/* api/cpnetport.h - the port API (libcpnetport): a program on the host becomes a port
 * of a cpnet Guest LAN or VSWITCH, with the switch's rules applied as to a NIC. */
#ifndef CPNETPORT_H
#define CPNETPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A port is registered by a directory user on one LAN; cpnetd authorizes it like a
 * NIC of that user (GRANT/REVOKE, RESTRICTED, VLAN and PORTTYPE, MAXCONN, ISOLATION,
 * MACPROTECT, source checks) and shows it in QUERY VSWITCH/LAN DETAILS as type APPL.
 * Frames go to cpnetd through a shared-memory ring; cpnetd writes received frames
 * straight into buffers the program posted on a receive handle (memory of the port's
 * shared region, from cpnp_alloc).  doc/ports.md has the model and an example.
 *
 * Errors: every call returns 0 (or a count) or a negative errno; cpnp_strerror says
 * what the number means here, cpnp_last_error(port) gives cpnetd's message for the
 * last failure of that port (NULL: of the last cpnp_register of this thread):
 *   -ENOENT     no such LAN / VSWITCH           -EACCES   not authorized (RESTRICTED
 *   -EPERM      LOGON refused (user, password)             LAN, VLAN, PROMISCUOUS, MAC,
 *                                                          a port number another user's)
 *   -EUSERS     the LAN is full (MAXCONN)       -EFAULT   buffer outside the region
 *   -EMSGSIZE   frame larger than the LAN takes -EBADF    handle already closed
 *   -ESHUTDOWN  the port was ended by cpnetd (FORCE, the LAN went away)
 *   -EPIPE      cpnetd is gone                  -ENOBUFS  region or ring full
 *   -EADDRINUSE address (or the port number     -EINVAL   malformed argument
 *               asked for) in use by another    -ERANGE   port number not 1..2048
 *   -EPROTO     cpnetd closed the handle: its ring broke the rules (or a protocol error)
 *   -EPROTONOSUPPORT  a CPNP_REG_VIRTIO port on an IP LAN  -ENODEV  no such NICDEF
 *               (CPNP_REG_NIC), or it names no LAN
 * A port and its handles are used by one thread at a time.  All shared structures
 * are in the host's byte order: both processes run on one host (big-endian s390x
 * included).
 */

#define CPNP_API_VERSION 1

/* What libcpnetport.so exports: these functions and nothing else. */
#define CPNP_API __attribute__((visibility("default")))

struct cpnp_port;
struct cpnp_handle;

/* What cpnp_register asks for.  Zero what you do not set. */
struct cpnp_reg {
	const char *socket;	/* cpnetd's VM socket; NULL: $CPNET_VM_SOCKET */
	const char *user;	/* directory user the port belongs to */
	const char *password;	/* its password, or NULL with pwfile */
	const char *pwfile;	/* a file whose first line is the password */
	const char *lan_owner;	/* Guest LAN: its owner (NULL = user) */
	const char *lan;	/* Guest LAN name, or NULL with vswitch */
	const char *vswitch;	/* VSWITCH name, or NULL with lan */
	uint16_t vlan;		/* 0 = the port's authorized default; else it must be granted */
	/* The port number on the LAN (QUERY's "Port:"), as COUPLE ... PORTNUMBER n: 0 =
	 * any (the lowest free one defined for the user by SET VSWITCH ... PORTNUMBER n
	 * USERID, else the lowest free one); 1..2048 that one or a refusal. */
	uint16_t portnum;
	unsigned flags;		/* CPNP_REG_* */
	size_t region;		/* bytes of buffer memory (0 = CPNP_REGION_DEFAULT) */
	int timeout_ms;		/* for cpnetd's answers (0 = 5000) */
	/* CPNP_REG_TRACE: at most one of these narrows the trace (0 / NULL: the LAN). */
	uint16_t trace_port;	/* frames port number n sends or receives */
	const char *trace_user;	/* ... the connections of this user send or receive */
	uint16_t trace_vlan;	/* frames of this VLAN */
	/* CPNP_REG_NIC: the LAN is the one the user's directory NICDEF for this device
	 * number names (lan, lan_owner and vswitch stay NULL).  Read only with the flag:
	 * a program built before the field never sets it. */
	uint16_t nic;
};
#define CPNP_REG_PROMISC 0x1u		/* see every frame of the LAN (needs authorization) */
/* A trace port: every frame any port sends into the LAN (also those the switch then
 * drops), from the switch's tap (vswitch/trace), nothing else; authorized like
 * PROMISC.  Receive-only: the port does not take part in forwarding. */
#define CPNP_REG_TRACE 0x2u
/* The port is a virtual machine's virtio-net device (cpnet-vhost, doc/qemu.md): QUERY
 * shows it as Type VIRTIO.  It carries Ethernet frames: an IP LAN refuses it
 * (HCPAPL9505E, -EPROTONOSUPPORT), as z/VM's IP VSWITCH does a layer-2 NIC. */
#define CPNP_REG_VIRTIO 0x4u
#define CPNP_REG_NIC 0x8u		/* the LAN of NICDEF `nic` (see struct cpnp_reg) */
#define CPNP_REGION_DEFAULT (4u << 20)
#define CPNP_REGION_MAX (256u << 20)

/* Connect, LOG ON as r->user and register a port on the LAN.  0 with *out set. */
CPNP_API int cpnp_register(const struct cpnp_reg *r, struct cpnp_port **out);
/* Release the port and everything it holds (handles, region); frees *p. */
CPNP_API int cpnp_deregister(struct cpnp_port *p);

/* A short text for an error number of this API. */
CPNP_API const char *cpnp_strerror(int err);
/* cpnetd's message (HCP... text) or the library's reason for the last failure. */
CPNP_API const char *cpnp_last_error(const struct cpnp_port *p);

enum cpnp_transport { CPNP_IP = 1, CPNP_ETHERNET = 2 };

/* The port's unique id (QUERY shows it as "APPL: id" in hex), the LAN's transport
 * (IP LAN: frames are IP packets; ETHERNET: Ethernet frames), the MAC cpnetd assigned
 * (ETHERNET: registered already), the largest frame cpnp_send takes. */
CPNP_API uint32_t cpnp_port_id(const struct cpnp_port *p);
CPNP_API enum cpnp_transport cpnp_transport(const struct cpnp_port *p);
CPNP_API void cpnp_port_mac(const struct cpnp_port *p, uint8_t mac[6]);
CPNP_API uint32_t cpnp_max_frame(const struct cpnp_port *p);
/* The port's number on the LAN (QUERY's "Port:"; what cpnp_reg.portnum asked for,
 * or the one cpnetd chose): 1..2048. */
CPNP_API unsigned cpnp_port_number(const struct cpnp_port *p);

/* Addresses (the registrations a NIC's guest makes).  IP LAN: "10.1.0.5" or
 * "fd00::5" (a "/len" suffix is accepted); a multicast address joins that group.
 * ETHERNET: a unicast MAC (MACPROTECT applies) or a group MAC to join. */
CPNP_API int cpnp_add_ip(struct cpnp_port *p, const char *addr);
CPNP_API int cpnp_del_ip(struct cpnp_port *p, const char *addr);
CPNP_API int cpnp_add_mac(struct cpnp_port *p, const uint8_t mac[6]);
CPNP_API int cpnp_del_mac(struct cpnp_port *p, const uint8_t mac[6]);

/* The port's own bandwidth cap, in kbit/s (1 .. CPNP_BANDWIDTH_MAX, 0 = none): what it sends
 * into the LAN and what the LAN delivers to it each pass a token bucket of that rate
 * (burst: 100 ms of it, at least 64 KiB), the excess is dropped and counted (QUERY:
 * "Discarded (bandwidth cap, sent|received)").  An operator's cap on the port number
 * (SET VSWITCH ... PORTNUMBER n BANDWIDTH) still applies: the lower one wins.
 * -EINVAL for a rate out of range. */
CPNP_API int cpnp_set_bandwidth(struct cpnp_port *p, uint32_t kbps);
#define CPNP_BANDWIDTH_MAX 400000000u	/* kbit/s: 400 Gbit/s */

/* Buffer memory in the port's shared region (64-byte aligned, for the port's life).
 * NULL when the region is used up (cpnp_last_error says so). */
CPNP_API void *cpnp_alloc(struct cpnp_port *p, size_t len);

/* ---- receiving --------------------------------------------------------------------- */

#define CPNP_MAX_HANDLES 4
#define CPNP_HANDLE_SLOTS 256		/* buffers a handle can have posted (cpnp_handle_open) */
#define CPNP_HANDLE_SLOTS_MAX 4096	/* the most cpnp_handle_open_n gives a handle */

enum cpnp_state {
	CPNP_NO_DATA = 0,	/* no filled buffer waits */
	CPNP_DATA = 1,		/* cpnp_recv returns at least one */
	CPNP_CLOSED = 2	/* the handle was closed (or the port ended); no comma: C++98 and C89 -pedantic */
};

/* A receive handle: frames for the port go to its handles' posted buffers (several
 * handles take turns).  A frame arriving while no buffer is posted waits in cpnetd, in
 * order, and goes into the next buffers posted; what waits is bounded by the LAN's
 * QUEUESTORAGE, beyond it frames are dropped and counted (QUERY: "queue storage"). */
CPNP_API int cpnp_handle_open(struct cpnp_port *p, struct cpnp_handle **h);
/* The same with room for nbufs posted buffers (16..CPNP_HANDLE_SLOTS_MAX, rounded up to
 * a power of two; -EINVAL otherwise): a receiver that is off the CPU for a while keeps
 * more buffers posted. */
CPNP_API int cpnp_handle_open_n(struct cpnp_port *p, unsigned nbufs, struct cpnp_handle **h);
/* The handle is gone; posted buffers return to the program.  A later call on it gets
 * -EBADF (its memory is freed with the port). */
CPNP_API int cpnp_handle_close(struct cpnp_handle *h);

/* Post one empty buffer of len bytes (at least 64); it must lie in the port's region
 * (-EFAULT otherwise).  -ENOBUFS when the handle's CPNP_HANDLE_SLOTS (or nbufs) are
 * posted. */
CPNP_API int cpnp_post(struct cpnp_handle *h, void *buf, size_t len);
/* Post n buffers of len bytes each with one publish (cheaper per buffer than n
 * cpnp_post): how many were posted (all, or those before the first that failed), or
 * the error of the first. */
CPNP_API int cpnp_post_n(struct cpnp_handle *h, void *const *bufs, unsigned n, size_t len);
/* Read from shared memory, no system call. */
CPNP_API enum cpnp_state cpnp_state(const struct cpnp_handle *h);
/* An eventfd that becomes readable on the no-data -> data transition after
 * cpnp_ready (wait for POLLIN, read its 8 bytes -- an eventfd stays readable until
 * read, and the library reads it only inside cpnp_wait -- then call cpnp_recv). */
CPNP_API int cpnp_wait_fd(const struct cpnp_handle *h);
/* Tell the switch the handle is ready and waits: it rings the eventfd with the next
 * frame.  1 when data is already there (do not sleep), 0 armed, or -errno. */
CPNP_API int cpnp_ready(struct cpnp_handle *h);
/* cpnp_ready, then wait up to timeout_ms for data (0: only look; any negative value,
 * -1 say: for ever, as poll(2)).  1 data, 0 timeout, or the error that ended the port.
 * While frames come fast it polls instead, with short naps (lib/adapt.h's
 * thresholds), so that cpnetd need not ring for every batch. */
CPNP_API int cpnp_wait(struct cpnp_handle *h, int timeout_ms);

struct cpnp_frame {
	void *data;		/* recv: the filled buffer (posted before); send: the frame */
	uint32_t len;		/* frame bytes */
	uint16_t vlan;		/* recv: VLAN id cpnetd saw it on (0 = none) */
	uint16_t flags;		/* CPNP_F_* */
};
#define CPNP_F_IPV6	0x01u	/* IP LAN: an IPv6 packet */
#define CPNP_F_MCAST	0x02u	/* recv: multicast */
#define CPNP_F_BCAST	0x04u	/* recv: broadcast */
#define CPNP_F_TOOBIG	0x08u	/* recv: a frame longer than this buffer was dropped;
				 * the buffer comes back empty (len 0) */
#define CPNP_F_ETH	0x10u	/* recv on an IP LAN: an Ethernet frame (layer-3
				 * passthrough, e.g. IPv6 of a layer-3 guest) */

/* Up to n filled buffers (data, len, vlan, flags), oldest first: their count, 0 none.
 * A buffer is the program's again until it posts it anew. */
CPNP_API int cpnp_recv(struct cpnp_handle *h, struct cpnp_frame *f, unsigned n);

/* ---- receive offloads (a NIC's inbound assists) ---------------------------------------
 * By default the switch finishes every frame before a port's buffers: checksums a sender
 * left open are written, large sends are cut into segments (as for a NIC whose guest
 * enabled no inbound assist).  A program that hands frames on to something that takes
 * them unfinished (a virtio-net guest, a TAP with offloads) says so here, at any time:
 *   CPNP_RXOL_CSUM  frames may arrive with their TCP/UDP checksum open (CPNP_OL_CSUM: the
 *                   field holds the pseudo-header sum, the IP length fields and an IPv4
 *                   header checksum are right) or vouched for (CPNP_OL_CSUM_VALID: the
 *                   adapter it came in on, the uplink's OSA, checked it; the switch
 *                   checks nothing, and segments cut from a large send whose checksum
 *                   was left open arrive with CPNP_OL_CSUM)
 *   CPNP_RXOL_TSO4/6  TCP large sends over IPv4 / IPv6 arrive whole (gso_size: their
 *                   segment size; checksum open), up to CPNP_SEND_LARGE_MAX + 256
 *                   bytes: post buffers that large (a smaller one gets CPNP_F_TOOBIG)
 * 0 turns them off.  Frames already waiting for buffers keep the form they had.  -EINVAL
 * for bits not defined or TSO without CSUM. */
#define CPNP_RXOL_CSUM 0x1u
#define CPNP_RXOL_TSO4 0x2u
#define CPNP_RXOL_TSO6 0x4u
#define CPNP_RECV_LARGE_MAX (65536u + 256u)
CPNP_API int cpnp_set_rx_offload(struct cpnp_port *p, unsigned flags);

/* ---- sending ----------------------------------------------------------------------- */

/* A batch through the switch (to NICs, other ports, the uplink).  Every frame is
 * checked first (-EMSGSIZE / -EINVAL and nothing sent); returns how many went into
 * the ring (fewer when cpnetd does not keep up for 20 ms; the rest is not sent).
 * The switch's rules (VLAN, source checks, isolation) count their drops on the port. */
CPNP_API int cpnp_send(struct cpnp_port *p, const struct cpnp_frame *f, unsigned n);

/* cpnp_send with, for each frame f[i], what ol[i] asks of the switch (a NIC's
 * checksum and large-send assists): CPNP_OL_CSUM -- the TCP/UDP checksum is left for
 * the switch to complete (the IP header's is the program's); gso_size -- a TCP large
 * send (with CPNP_OL_CSUM) of up to CPNP_SEND_LARGE_MAX bytes that the switch cuts into
 * segments of gso_size payload bytes for receivers that cannot take it whole (at most
 * the LAN's MTU - 40, at least 536 over IPv4 and 1220 over IPv6: RFC 879's default
 * MSS, IPv6's minimum MTU 1280 - 60).  ol NULL: cpnp_send.  -EINVAL for flags not
 * defined, a gso_size without CPNP_OL_CSUM or under that floor, -EMSGSIZE as cpnp_send (CPNP_SEND_LARGE_MAX for a
 * large send); a frame whose headers are not TCP/UDP is dropped and counted by the
 * switch. */
struct cpnp_offload {
	uint16_t gso_size;	/* 0: one frame */
	uint16_t flags;		/* CPNP_OL_* */
};
#define CPNP_OL_CSUM 0x1u
#define CPNP_OL_CSUM_VALID 0x2u	/* recv only: see CPNP_RXOL_CSUM */
#define CPNP_SEND_LARGE_MAX 65536u
CPNP_API int cpnp_send_offload(struct cpnp_port *p, const struct cpnp_frame *f,
			       const struct cpnp_offload *ol, unsigned n);

/* cpnp_recv with, for each frame, what is left open in it (ol[i]: gso_size, CPNP_OL_CSUM
 * or CPNP_OL_CSUM_VALID; all 0 unless cpnp_set_rx_offload asked for them). */
CPNP_API int cpnp_recv_offload(struct cpnp_handle *h, struct cpnp_frame *f,
			       struct cpnp_offload *ol, unsigned n);

#ifdef __cplusplus
}
#endif

#endif
