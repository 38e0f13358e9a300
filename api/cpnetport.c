/* api/cpnetport.c - libcpnetport: the program's side of an application port, over the
 * VM link (vnic/vmlink) and its shared rings (lib/shmring); layout in vnic/applmem.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "api/cpnetport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/shmring.h"
#include "lib/tso.h"
#include "qeth/ipa.h"
#include "vnic/applmem.h"
#include "vnic/vmlink.h"

#define ERR_MAX 160
#define TX_STALL_MS 20u	/* a full ring that cpnetd does not drain holds cpnp_send this long */
#define TX_CHUNK 64

_Static_assert(CPNP_RXOL_CSUM == APPL_RXOL_CSUM && CPNP_RXOL_TSO4 == APPL_RXOL_TSO4 &&
	       CPNP_RXOL_TSO6 == APPL_RXOL_TSO6 && CPNP_RECV_LARGE_MAX == APPL_FRAME_LARGE_MAX,
	       "receive offloads are the API's");
_Static_assert(CPNP_F_IPV6 == APPL_DONE_IPV6 && CPNP_F_MCAST == APPL_DONE_MCAST &&
	       CPNP_F_BCAST == APPL_DONE_BCAST && CPNP_F_TOOBIG == APPL_DONE_TOOBIG &&
	       CPNP_F_ETH == APPL_DONE_ETH, "completion flags are the API's");
_Static_assert(CPNP_MAX_HANDLES == APPL_MAX_HANDLES, "handles per port");
_Static_assert(CPNP_REGION_MAX == APPL_REGION_MAX, "region bound");
_Static_assert(CPNP_HANDLE_SLOTS_MAX == APPL_SLOTS_MAX && CPNP_HANDLE_SLOTS >= APPL_SLOTS_MIN,
	       "handle ring sizes");

struct cpnp_handle {
	struct cpnp_port *port;
	struct cpnp_handle *next;	/* every handle of the port, closed ones too */
	struct shring ring;		/* side B: posts out (queue 1), completions in */
	uint32_t nslots;		/* buffers it can have posted */
	/* Sleep on the eventfd or poll (lib/adapt.h): at a high rate the receiver
	 * looks again after a nap instead of making cpnetd ring for every batch. */
	struct adapt rxa;
	bool woken;			/* the last wait ended by the eventfd */
	uint16_t id;
	bool closed;
};

struct cpnp_port {
	struct vmlink link;
	struct port nic;		/* registrations go through the link (VML_ADDR) */
	uint16_t vdev;
	uint32_t id;
	uint8_t transport;
	uint8_t mac[6];
	uint32_t max_frame;
	uint16_t portnum;
	uint8_t *region;
	size_t region_size, alloc_off;
	struct cpnp_handle *handles;
	unsigned nopen;
	int ended;			/* 0, or the error every call returns now */
	char err[ERR_MAX];
};

static __thread char reg_err[ERR_MAX];

__attribute__((format(printf, 2, 3)))
static int fail(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, ERR_MAX, fmt, ap);
	va_end(ap);
	return 0;
}

const char *cpnp_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0: return "success";
	case ENOENT: return "no such LAN or VSWITCH";
	case EACCES: return "not authorized";
	case EPERM: return "LOGON refused (userid or password)";
	case EUSERS: return "the LAN has its maximum number of connections";
	case EFAULT: return "buffer outside the port's region";
	case EMSGSIZE: return "frame larger than the LAN carries";
	case EBADF: return "the handle is closed";
	case ESHUTDOWN: return "the port was ended by cpnetd";
	case EPIPE: return "cpnetd is gone";
	case ENOBUFS: return "no room (region or ring full)";
	case EADDRINUSE: return "address or port number in use by another port";
	case ERANGE: return "port number out of range (1-2048)";
	case EADDRNOTAVAIL: return "address not registered by this port";
	case EINVAL: return "invalid argument";
	case ETIMEDOUT: return "cpnetd did not answer in time";
	case ECONNREFUSED: return "cpnetd is not running at that socket";
	case EPROTO: return "protocol error between the library and cpnetd";
	case EMFILE: return "too many handles on the port";
	case EPROTONOSUPPORT: return "an Ethernet (virtio) port cannot join an IP LAN";
	case ENODEV: return "no such NICDEF, or it names no LAN";
	default: return strerror(err < 0 ? -err : err);
	}
}

const char *cpnp_last_error(const struct cpnp_port *p)
{
	return p ? p->err : reg_err;
}

/* The port ended (FORCE, its LAN detached): cpnetd says so in the region's info
 * page, read without a system call. */
static int live(struct cpnp_port *p)
{
	uint32_t st;

	if (p->ended)
		return p->ended;
	st = __atomic_load_n((uint32_t *)(p->region + APPL_INFO_STATE_OFF), __ATOMIC_ACQUIRE);
	if (st == APPL_ACTIVE)
		return 0;
	if (st == APPL_STOPPED || st == APPL_DEREGISTERED) {
		p->ended = -EPIPE;
		fail(p->err, "port %08X: %s", p->id, st == APPL_STOPPED ? "cpnetd stopped" :
		     "its connection to cpnetd ended");
		return p->ended;
	}
	p->ended = -ESHUTDOWN;
	fail(p->err, "port %08X was ended by cpnetd: %s", p->id,
	     st == APPL_FORCED ? "FORCE of its user" :
	     st == APPL_REVOKED ? "its user's access was revoked" : "its LAN was detached");
	return p->ended;
}

/* The socket said the session ended (LOGOFF or EOF). */
static int gone(struct cpnp_port *p)
{
	int why = p->link.peer_logoff;

	if (p->ended)
		return p->ended;
	if (why == VML_LOGOFF_FORCED || why == VML_LOGOFF_LAN_GONE || why == VML_LOGOFF_REVOKED) {
		p->ended = -ESHUTDOWN;
		fail(p->err, "port %08X was ended by cpnetd: %s", p->id,
		     why == VML_LOGOFF_FORCED ? "FORCE of its user" :
		     why == VML_LOGOFF_REVOKED ? "its user's access was revoked" :
		     "its LAN was detached");
	} else {
		p->ended = -EPIPE;
		fail(p->err, "port %08X: %s", p->id, why == VML_LOGOFF_SHUTDOWN ? "cpnetd stopped" :
		     "its connection to cpnetd ended");
	}
	return p->ended;
}

static int read_pwfile(const char *path, char pw[9])
{
	char line[64];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	n = strcspn(line, "\r\n");
	line[n] = 0;
	if (n == 0 || n > 8)
		return -EINVAL;
	memcpy(pw, line, n + 1);
	memset(line, 0, sizeof(line));
	return 0;
}

static int refusal(uint16_t rc)
{
	switch (rc) {
	case 50: case 53: case 7: return -EPERM;	/* LOGON, not in directory, bad userid */
	case 9101: return -ENOENT;
	case 9103: case 9500: case 9501: case 9112: return -EACCES;	/* 9112: port number */
	case 9105: return -EADDRINUSE;			/* port number in use */
	case 9010: return -ERANGE;			/* port number out of range */
	case 9104: return -EUSERS;
	case 9504: return -EINVAL;			/* a VLAN chosen on a trunk port */
	case 9205: return -ENOSPC;			/* no MAC left */
	case 9003: return -EPROTO;
	case 9505: return -EPROTONOSUPPORT;		/* a virtio port on an IP LAN */
	case 40: case 9207: return -ENODEV;		/* no such NICDEF, or no LAN in it */
	default: return -EIO;
	}
}

/* 64 bits: milliseconds since boot pass INT_MAX after 24.8 days of uptime. */
static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* What is left of a wait of tmo ms that started at t0: 0 when it is over. */
static int ms_left(int tmo, int64_t t0)
{
	int64_t left = tmo - (now_ms() - t0);

	return left > 0 ? (int)left : 0;
}

static void port_free(struct cpnp_port *p)
{
	int fd = p->link.fd;

	while (p->handles) {
		struct cpnp_handle *h = p->handles;

		p->handles = h->next;
		if (!h->closed)
			shr_free(&h->ring);
		free(h);
	}
	if (p->link.buf)
		vml_free(&p->link);
	if (fd >= 0)
		close(fd);
	free(p);
}

int cpnp_register(const struct cpnp_reg *r, struct cpnp_port **out)
{
	struct vml_appl_logon a;
	struct vml_appl_reply rep;
	struct cpnp_port *p;
	const char *sock;
	int64_t t0;
	int fd, rc, tmo;

	reg_err[0] = 0;
	if (!r || !out || !r->user ||
	    ((r->flags & CPNP_REG_NIC) ? (r->lan || r->vswitch) : (!r->lan == !r->vswitch)) ||
	    (!r->password && !r->pwfile) || r->region > CPNP_REGION_MAX ||
	    (r->flags & ~(CPNP_REG_PROMISC | CPNP_REG_TRACE | CPNP_REG_VIRTIO | CPNP_REG_NIC)) ||
	    r->vlan > 4094) {
		fail(reg_err, "a registration needs user, password or pwfile, and one of lan, "
		     "vswitch or nic (vlan <= 4094, region <= %u MB)", CPNP_REGION_MAX >> 20);
		return -EINVAL;
	}
	sock = r->socket ? r->socket : getenv("CPNET_VM_SOCKET");
	if (!sock) {
		fail(reg_err, "no socket given and CPNET_VM_SOCKET is not set");
		return -EINVAL;
	}
	memset(&a, 0, sizeof(a));
	if (strlen(r->user) > 8 || (r->lan && strlen(r->lan) > 8) ||
	    (r->vswitch && strlen(r->vswitch) > 8) || (r->lan_owner && strlen(r->lan_owner) > 8) ||
	    (r->password && strlen(r->password) > 8)) {
		fail(reg_err, "user, LAN, owner and password are 1 to 8 characters");
		return -EINVAL;
	}
	strcpy(a.userid, r->user);
	if (r->password) {
		strcpy(a.password, r->password);
	} else if ((rc = read_pwfile(r->pwfile, a.password)) < 0) {
		/* -EINVAL whatever the cause: the file's own errno (-ENOENT, -EACCES)
		 * would read as cpnetd's "no such LAN" or "not authorized". */
		fail(reg_err, "password file %s: %s", r->pwfile,
		     rc == -EINVAL ? "no password of 1 to 8 characters on its first line"
				   : strerror(-rc));
		return -EINVAL;
	}
	if (r->flags & CPNP_REG_NIC) {
		/* cpnetd takes the LAN from the NICDEF; the filter's bytes carry the vdev. */
		if (r->lan || r->vswitch || r->lan_owner || (r->flags & CPNP_REG_TRACE)) {
			fail(reg_err, "CPNP_REG_NIC names the LAN: no lan, lan_owner, vswitch or "
			     "trace with it");
			return -EINVAL;
		}
		a.flags |= VML_APPL_NICDEF;
		a.trace_num = r->nic;
	} else {
		strcpy(a.owner, r->vswitch ? "SYSTEM" : r->lan_owner ? r->lan_owner : r->user);
		strcpy(a.lan, r->vswitch ? r->vswitch : r->lan);
	}
	a.vlan = r->vlan;
	a.portnum = r->portnum;
	a.flags |= (r->flags & CPNP_REG_PROMISC) ? VML_APPL_PROMISC : 0;
	a.flags |= (r->flags & CPNP_REG_VIRTIO) ? VML_APPL_VIRTIO : 0;
	if (r->flags & CPNP_REG_TRACE) {
		unsigned nf = !!r->trace_port + !!r->trace_user + !!r->trace_vlan;

		if (nf > 1 || r->trace_port > 2048 || r->trace_vlan > 4094 ||
		    (r->trace_user && (!*r->trace_user || strlen(r->trace_user) > 8))) {
			fail(reg_err, "a trace takes one of trace_port (1-2048), trace_user (1 to 8 "
			     "characters), trace_vlan (1-4094)");
			return -EINVAL;
		}
		a.flags |= VML_APPL_TRACE;
		if (r->trace_port) {
			a.flags |= VML_APPL_TRACE_PORT;
			a.trace_num = r->trace_port;
		} else if (r->trace_vlan) {
			a.flags |= VML_APPL_TRACE_VLAN;
			a.trace_num = r->trace_vlan;
		} else if (r->trace_user) {
			a.flags |= VML_APPL_TRACE_USER;
			strcpy(a.trace_user, r->trace_user);
		}
	} else if (r->trace_port || r->trace_user || r->trace_vlan) {
		fail(reg_err, "trace_port, trace_user and trace_vlan are for CPNP_REG_TRACE");
		return -EINVAL;
	}
	a.region = (uint32_t)r->region;
	tmo = r->timeout_ms > 0 ? r->timeout_ms : 5000;

	fd = vml_connect(sock);
	if (fd < 0) {
		memset(&a, 0, sizeof(a));
		fail(reg_err, "cannot connect to cpnetd at %s: %s", sock, strerror(-fd));
		return fd == -ENOENT ? -ECONNREFUSED : fd;
	}
	rc = vml_appl_logon_fd(fd, &a, tmo, &rep);
	memset(&a, 0, sizeof(a));
	if (rc < 0 || rep.rc) {
		if (rc < 0)
			fail(reg_err, "no answer from cpnetd: %s", strerror(-rc));
		else
			fail(reg_err, "%s", rep.text);
		close(fd);
		return rc < 0 ? rc : refusal(rep.rc);
	}
	p = calloc(1, sizeof(*p));
	if (!p || vml_init(&p->link, fd, false) < 0) {
		free(p);
		close(fd);
		fail(reg_err, "out of memory");
		return -ENOMEM;
	}
	p->link.rc_timeout_ms = tmo;
	p->link.tx_bell_wait = true;	/* nothing else sleeps on the link's doorbell */
	p->vdev = rep.vdev;
	p->id = rep.port_id;
	p->transport = rep.transport;
	memcpy(p->mac, rep.mac, 6);
	p->max_frame = rep.max_frame;
	p->portnum = rep.portnum;
	snprintf(p->nic.name, sizeof(p->nic.name), "APPL%08X", p->id);
	/* The ring (and in it the region) follows the reply. */
	t0 = now_ms();
	while (!p->link.ring_tx) {
		int left = ms_left(tmo, t0);

		if (left <= 0 || vml_poll(&p->link, left) < 0)
			break;
	}
	if (!p->link.ring_tx || !p->link.ring.extra ||
	    p->link.ring.extra_size <= APPL_INFO_SIZE || !vml_add_nic(&p->link, p->vdev, &p->nic)) {
		fail(reg_err, "cpnetd offered no usable shared region for port %08X", rep.port_id);
		port_free(p);
		return -EPROTO;
	}
	p->region = p->link.ring.extra;
	p->region_size = p->link.ring.extra_size;
	p->alloc_off = APPL_INFO_SIZE;
	if (*(uint32_t *)(p->region + APPL_INFO_MAGIC_OFF) != APPL_INFO_MAGIC ||
	    *(uint32_t *)(p->region + APPL_INFO_ID_OFF) != p->id) {
		fail(reg_err, "the shared region is not port %08X's", p->id);
		port_free(p);
		return -EPROTO;
	}
	fail(p->err, "%s", rep.text);
	*out = p;
	return 0;
}

int cpnp_deregister(struct cpnp_port *p)
{
	uint8_t b[VML_HDR_SIZE + VML_LOGOFF_SIZE];
	int len;

	if (!p)
		return -EINVAL;
	if (!p->ended) {
		/* cpnetd releases the port when the socket closes; the LOGOFF says it was
		 * meant. */
		len = vml_simple_encode(VML_LOGOFF, 0, 0, VML_LOGOFF_ENDED, b, sizeof(b));
		if (len > 0)
			vml_send(&p->link, b, (size_t)len);
	}
	port_free(p);
	return 0;
}

uint32_t cpnp_port_id(const struct cpnp_port *p)
{
	return p->id;
}

enum cpnp_transport cpnp_transport(const struct cpnp_port *p)
{
	return p->transport == 2 ? CPNP_ETHERNET : CPNP_IP;
}

void cpnp_port_mac(const struct cpnp_port *p, uint8_t mac[6])
{
	memcpy(mac, p->mac, 6);
}

uint32_t cpnp_max_frame(const struct cpnp_port *p)
{
	return p->max_frame;
}

unsigned cpnp_port_number(const struct cpnp_port *p)
{
	return p->portnum;
}

/* ---- addresses ---------------------------------------------------------------------- */

static int ipa_errno(uint16_t rc)
{
	switch (rc) {
	case IPA_RC_SUCCESS: return 0;
	case IPA_RC_DUPLICATE_IP_ADDRESS: case IPA_RC_L2_DUP_MAC: return -EADDRINUSE;
	case IPA_RC_IP_ADDR_TABLE_FULL: case IPA_RC_L2_ADDR_TABLE_FULL: return -ENOSPC;
	case IPA_RC_L2_MAC_NOT_AUTH_BY_HYP: return -EACCES;
	case IPA_RC_PRIMARY_ALREADY_DEFINED: case IPA_RC_MC_ADDR_NOT_FOUND:
	case IPA_RC_L2_MAC_NOT_FOUND: case IPA_RC_L2_GMAC_NOT_FOUND: return -EADDRNOTAVAIL;
	case IPA_RC_LAN_FRAME_MISMATCH: case IPA_RC_INVALID_FORMAT: return -EINVAL;
	case IPA_RC_LAN_OFFLINE: return -EPIPE;
	default: return -EIO;
	}
}

static int do_reg(struct cpnp_port *p, const struct paddr *a, const char *what)
{
	uint16_t rc;
	int e = live(p);

	if (e)
		return e;
	rc = port_addr(&p->nic, a);
	if (rc == IPA_RC_LAN_OFFLINE && p->link.peer_logoff >= 0)
		return gone(p);
	e = ipa_errno(rc);
	if (e)
		fail(p->err, "%s refused by the switch (IPA return code 0x%04X: %s)", what, rc,
		     cpnp_strerror(e));
	return e;
}

static int ip_op(struct cpnp_port *p, const char *addr, bool add)
{
	char buf[64];
	const char *slash;
	struct paddr a;
	unsigned plen;

	if (!addr || strlen(addr) >= sizeof(buf))
		return fail(p->err, "no address"), -EINVAL;
	if (p->transport != CPNP_IP) {
		fail(p->err, "an ETHERNET port registers MACs, not IP addresses");
		return -EINVAL;
	}
	strcpy(buf, addr);
	slash = strchr(addr, '/');
	if (slash)
		buf[slash - addr] = 0;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, buf, a.ip) == 1) {
		plen = 32;
	} else if (inet_pton(AF_INET6, buf, a.ip) == 1) {
		a.ipv6 = true;
		plen = 128;
	} else {
		fail(p->err, "not an IPv4 or IPv6 address: %s", addr);
		return -EINVAL;
	}
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);

		if (*end || end == slash + 1 || l > plen) {
			fail(p->err, "bad prefix length in %s", addr);
			return -EINVAL;
		}
		plen = (unsigned)l;
	}
	for (unsigned i = 0; i < plen; i++)
		a.mask[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	if (a.ipv6 ? a.ip[0] == 0xFF : (a.ip[0] & 0xF0) == 0xE0)
		a.op = add ? PA_SETIPM : PA_DELIPM;	/* a group */
	else
		a.op = add ? PA_SETIP : PA_DELIP;
	return do_reg(p, &a, addr);
}

int cpnp_add_ip(struct cpnp_port *p, const char *addr)
{
	return ip_op(p, addr, true);
}

int cpnp_del_ip(struct cpnp_port *p, const char *addr)
{
	return ip_op(p, addr, false);
}

static int mac_op(struct cpnp_port *p, const uint8_t mac[6], bool add)
{
	struct paddr a;
	char what[32];

	if (!mac)
		return -EINVAL;
	if (p->transport != CPNP_ETHERNET) {
		fail(p->err, "an IP LAN port registers IP addresses, not MACs");
		return -EINVAL;
	}
	memset(&a, 0, sizeof(a));
	memcpy(a.mac, mac, 6);
	a.op = (mac[0] & 1) ? (add ? PA_SETGMAC : PA_DELGMAC) : (add ? PA_SETVMAC : PA_DELVMAC);
	snprintf(what, sizeof(what), "MAC %02X-%02X-%02X-%02X-%02X-%02X", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return do_reg(p, &a, what);
}

int cpnp_add_mac(struct cpnp_port *p, const uint8_t mac[6])
{
	return mac_op(p, mac, true);
}

int cpnp_del_mac(struct cpnp_port *p, const uint8_t mac[6])
{
	return mac_op(p, mac, false);
}

int cpnp_set_rx_offload(struct cpnp_port *p, unsigned flags)
{
	uint32_t seq;
	uint16_t rc = 0;
	int e = live(p), len;

	if (e)
		return e;
	if ((flags & ~(unsigned)APPL_RXOL_ALL) ||
	    ((flags & (CPNP_RXOL_TSO4 | CPNP_RXOL_TSO6)) && !(flags & CPNP_RXOL_CSUM))) {
		fail(p->err, "receive offloads 0x%X: CSUM, TSO4, TSO6 (a TSO with CSUM)", flags);
		return -EINVAL;
	}
	seq = ++p->link.seq;
	len = vml_simple_encode(VML_APPL_OFFLOAD, p->vdev, seq, (uint16_t)flags, p->link.obuf,
				VML_MAX_MSG);
	if (len < 0 || (e = vml_send(&p->link, p->link.obuf, (size_t)len)) < 0 ||
	    (e = vml_await(&p->link, seq, &rc)) < 0) {
		if (p->link.peer_logoff >= 0)
			return gone(p);
		fail(p->err, "receive offloads: cpnetd did not answer (%s)",
		     strerror(-(e < 0 ? e : EPROTO)));
		return e < 0 ? e : -EPROTO;
	}
	e = ipa_errno(rc);
	if (e)
		fail(p->err, "receive offloads 0x%X refused by cpnetd (return code 0x%04X)", flags,
		     rc);
	return e;
}

int cpnp_set_bandwidth(struct cpnp_port *p, uint32_t kbps)
{
	struct paddr a;
	char what[48];

	if (kbps > CPNP_BANDWIDTH_MAX) {
		fail(p->err, "%u kbit/s: the cap is 1 to %u kbit/s (0 = none)", kbps,
		     CPNP_BANDWIDTH_MAX);
		return -EINVAL;
	}
	memset(&a, 0, sizeof(a));
	a.op = PA_BANDWIDTH;
	a.value = kbps;
	snprintf(what, sizeof(what), "bandwidth cap %u kbit/s", kbps);
	return do_reg(p, &a, what);
}

void *cpnp_alloc(struct cpnp_port *p, size_t len)
{
	size_t off = (p->alloc_off + 63) & ~(size_t)63;

	if (!len || off > p->region_size || len > p->region_size - off) {
		fail(p->err, "the region has %zu bytes left, %zu asked", p->region_size - p->alloc_off,
		     len);
		return NULL;
	}
	p->alloc_off = off + len;
	return p->region + off;
}

/* ---- receive handles ---------------------------------------------------------------- */

int cpnp_handle_open(struct cpnp_port *p, struct cpnp_handle **out)
{
	return cpnp_handle_open_n(p, CPNP_HANDLE_SLOTS, out);
}

int cpnp_handle_open_n(struct cpnp_port *p, unsigned nbufs, struct cpnp_handle **out)
{
	struct cpnp_handle *h;
	struct adapt_cfg ac;
	uint32_t seq, nslots = APPL_SLOTS_MIN;
	int rc, len;

	if ((rc = live(p)))
		return rc;
	/* Checked before cpnetd opens a handle that nobody could close. */
	if (!out) {
		fail(p->err, "no place for the handle (out is NULL)");
		return -EINVAL;
	}
	if (nbufs < APPL_SLOTS_MIN || nbufs > CPNP_HANDLE_SLOTS_MAX) {
		fail(p->err, "a handle holds %u to %u buffers, not %u", APPL_SLOTS_MIN,
		     CPNP_HANDLE_SLOTS_MAX, nbufs);
		return -EINVAL;
	}
	while (nslots < nbufs)
		nslots *= 2;
	if (p->nopen >= CPNP_MAX_HANDLES) {
		fail(p->err, "a port has at most %u handles open", CPNP_MAX_HANDLES);
		return -EMFILE;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	seq = ++p->link.seq;
	len = vml_handle_open_encode(p->vdev, seq, nslots, p->link.obuf, VML_MAX_MSG);
	rc = len < 0 ? len : vml_handle_call(&p->link, p->link.obuf, (size_t)len, seq);
	if (rc == -EPIPE) {
		free(h);
		return gone(p);
	}
	if (rc == 0 && p->link.hreply.rc)
		rc = -(int)p->link.hreply.rc;
	if (rc < 0) {
		free(h);
		fail(p->err, "cpnetd refused the handle: %s", cpnp_strerror(rc));
		return rc;
	}
	rc = shr_attach(&h->ring, p->link.hfds);	/* takes the descriptors */
	p->link.hfds[0] = p->link.hfds[1] = p->link.hfds[2] = -1;
	h->id = p->link.hreply.id;
	h->port = p;
	h->nslots = nslots;
	ac = adapt_ring_cfg(nslots);	/* a small ring's batch is half of it */
	adapt_init(&h->rxa, ADAPT_ADAPTIVE, &ac);
	if (rc == 0 && (h->ring.slot_size != APPL_ENTRY || h->ring.nslots != nslots))
		rc = -EPROTO;
	if (rc < 0) {
		len = vml_simple_encode(VML_HANDLE_CLOSE, p->vdev, 0, h->id, p->link.obuf,
					VML_MAX_MSG);
		if (len > 0)
			vml_send(&p->link, p->link.obuf, (size_t)len);
		shr_free(&h->ring);
		free(h);
		fail(p->err, "the handle's ring from cpnetd is not usable: %s", cpnp_strerror(rc));
		return -EPROTO;
	}
	h->next = p->handles;
	p->handles = h;
	p->nopen++;
	*out = h;
	return 0;
}

/* cpnetd lists the handles it keeps open in the info page: one it closed because its
 * ring broke is gone (a memory read per call, no system call). */
static bool listed(const struct cpnp_handle *h)
{
	for (unsigned k = 0; k < CPNP_MAX_HANDLES; k++)
		if (__atomic_load_n((const uint32_t *)(h->port->region + APPL_INFO_HANDLES_OFF + 4 * k),
				    __ATOMIC_ACQUIRE) == h->id)
			return true;
	return false;
}

int cpnp_handle_close(struct cpnp_handle *h)
{
	struct cpnp_port *p = h->port;
	int len;

	if (h->closed) {
		fail(p->err, "handle %u is already closed", h->id);
		return -EBADF;
	}
	if (!p->ended && listed(h)) {
		len = vml_simple_encode(VML_HANDLE_CLOSE, p->vdev, 0, h->id, p->link.obuf,
					VML_MAX_MSG);
		if (len > 0)
			vml_send(&p->link, p->link.obuf, (size_t)len);
	}
	shr_free(&h->ring);
	h->closed = true;
	p->nopen--;
	return 0;
}

static int usable(struct cpnp_handle *h)
{
	int rc;

	if (h->closed) {
		fail(h->port->err, "handle %u is closed", h->id);
		return -EBADF;
	}
	if ((rc = live(h->port)))
		return rc;
	if (!listed(h)) {
		fail(h->port->err, "cpnetd closed handle %u: its ring broke the rules", h->id);
		return -EPROTO;
	}
	return 0;
}

/* One post, not yet visible: 0, -EFAULT (not in the region), -ENOBUFS (ring full). */
static int post_put(struct cpnp_handle *h, void *buf, size_t len)
{
	struct cpnp_port *p = h->port;
	uint8_t *b = buf, *slot;
	uint64_t off;
	uint32_t l32;

	if (!b || b < p->region + APPL_INFO_SIZE || b >= p->region + p->region_size ||
	    len < APPL_BUF_MIN || len > (size_t)(p->region + p->region_size - b) ||
	    len > UINT32_MAX) {
		fail(p->err, "a buffer must lie in the port's region (cpnp_alloc) and hold at "
		     "least %u bytes", APPL_BUF_MIN);
		return -EFAULT;
	}
	slot = shr_tx_slot(&h->ring);
	if (!slot) {
		fail(p->err, "handle %u has %u buffers posted already", h->id, h->nslots);
		return -ENOBUFS;
	}
	off = (uint64_t)(b - p->region);
	l32 = (uint32_t)len;
	memset(slot, 0, APPL_POST_SIZE);	/* the reserved word (APPL_POST_RSV) 0 */
	memcpy(slot + APPL_POST_OFF, &off, 8);
	memcpy(slot + APPL_POST_LEN, &l32, 4);
	shr_tx_put(&h->ring, APPL_POST_SIZE);
	return 0;
}

int cpnp_post(struct cpnp_handle *h, void *buf, size_t len)
{
	int rc = usable(h);

	if (rc)
		return rc;
	rc = post_put(h, buf, len);
	/* cpnetd is rung only while frames wait for buffers (it said so). */
	shr_tx_publish(&h->ring);
	return rc;
}

int cpnp_post_n(struct cpnp_handle *h, void *const *bufs, unsigned n, size_t len)
{
	unsigned k = 0;
	int rc = usable(h);

	if (rc)
		return rc;
	if (!bufs && n) {
		fail(h->port->err, "no buffers (bufs is NULL)");
		return -EINVAL;
	}
	for (; k < n; k++)
		if ((rc = post_put(h, bufs[k], len)) < 0)
			break;
	shr_tx_publish(&h->ring);	/* one publish for the batch */
	return k ? (int)k : rc;
}

enum cpnp_state cpnp_state(const struct cpnp_handle *h)
{
	const uint8_t *st = h->port->region + APPL_INFO_STATE_OFF;

	if (h->closed || h->port->ended ||
	    __atomic_load_n((const uint32_t *)st, __ATOMIC_ACQUIRE) != APPL_ACTIVE || !listed(h))
		return CPNP_CLOSED;
	return shr_rx_pending(&h->ring) ? CPNP_DATA : CPNP_NO_DATA;
}

int cpnp_wait_fd(const struct cpnp_handle *h)
{
	return h->closed ? -EBADF : h->ring.bell_me;
}

int cpnp_ready(struct cpnp_handle *h)
{
	int rc = usable(h);

	if (rc)
		return rc;
	return shr_arm(&h->ring) ? 1 : 0;
}

/* Polling (lib/adapt.h) and nothing waits: an empty poll, then a nap up to the
 * adapt's nap (and the caller's time left), the eventfd unarmed unless a nap's batch
 * waits (shr_nap, adapt_nap_fill).  1 data came, 0 not (yet: also when the poll phase
 * just ended), or the error that ended the port. */
static int nap(struct cpnp_handle *h, int left_ms)
{
	struct cpnp_port *p = h->port;
	struct pollfd pfd[2] = { { h->ring.bell_me, POLLIN, 0 }, { p->link.fd, POLLIN, 0 } };
	struct timespec ts;
	uint64_t ns;
	int rc;

	if (!adapt_look(&h->rxa, 0, false, adapt_now_ns()))
		return 0;	/* the phase ended: the caller arms and sleeps */
	ns = adapt_nap(&h->rxa);
	if (left_ms >= 0 && ns > (uint64_t)left_ms * 1000000u)
		ns = (uint64_t)left_ms * 1000000u;
	if (!ns || shr_nap(&h->ring, adapt_nap_fill(&h->rxa, h->nslots)))
		return shr_rx_pending(&h->ring);
	adapt_napped(&h->rxa);	/* taken: counted, and the next look sizes the next */
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	rc = ppoll(pfd, 2, &ts, NULL);
	shr_disarm(&h->ring);
	if (rc < 0 && errno != EINTR)
		return -errno;
	if (rc > 0 && pfd[0].revents)
		shr_bell_drain(&h->ring);
	if (rc > 0 && pfd[1].revents && vml_poll(&p->link, 0) < 0)
		return gone(p);
	return shr_rx_pending(&h->ring);
}

int cpnp_wait(struct cpnp_handle *h, int timeout_ms)
{
	struct cpnp_port *p = h->port;
	int64_t t0 = now_ms();

	for (;;) {
		struct pollfd pfd[2] = { { h->ring.bell_me, POLLIN, 0 }, { p->link.fd, POLLIN, 0 } };
		/* Any negative timeout waits for ever, as poll(2)'s does. */
		int left = timeout_ms < 0 ? -1 : ms_left(timeout_ms, t0);
		int rc;

		if (adapt_polling(&h->rxa)) {
			if ((rc = usable(h)))
				return rc;
			if (shr_rx_pending(&h->ring))
				return 1;
			if (timeout_ms >= 0 && left <= 0)
				return 0;
			if ((rc = nap(h, left)) != 0)
				return rc;
			continue;
		}
		rc = cpnp_ready(h);
		if (rc)
			return rc;
		if (timeout_ms >= 0 && left <= 0)
			return 0;
		adapt_sleep(&h->rxa);
		rc = poll(pfd, 2, left);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc > 0 && pfd[0].revents) {
			shr_bell_drain(&h->ring);
			h->woken = true;
		}
		/* The socket: the session ending (FORCE, cpnetd gone) or a late answer. */
		if (rc > 0 && pfd[1].revents && vml_poll(&p->link, 0) < 0)
			return gone(p);
		if (shr_rx_pending(&h->ring))
			return 1;
		if (h->woken) {
			adapt_look(&h->rxa, 0, true, adapt_now_ns());	/* woken for nothing */
			h->woken = false;
		}
	}
}

int cpnp_recv(struct cpnp_handle *h, struct cpnp_frame *f, unsigned n)
{
	return cpnp_recv_offload(h, f, NULL, n);
}

int cpnp_recv_offload(struct cpnp_handle *h, struct cpnp_frame *f, struct cpnp_offload *ol,
		      unsigned n)
{
	struct cpnp_port *p = h->port;
	unsigned got = 0;
	int rc;

	if ((rc = usable(h)))
		return rc;
	if (!f && n) {
		fail(p->err, "no frames to fill (f is NULL)");
		return -EINVAL;
	}
	while (got < n) {
		uint8_t ent[APPL_ENTRY];
		uint32_t off, len;
		uint16_t vlan, flags, gso;
		int l = shr_rx_get(&h->ring, ent, sizeof(ent));

		if (l == 0)
			break;
		if (l != APPL_DONE_SIZE) {
			fail(p->err, "handle %u: cpnetd's completion ring is broken", h->id);
			return -EPROTO;
		}
		memcpy(&off, ent + APPL_DONE_OFF, 4);
		memcpy(&gso, ent + APPL_DONE_GSO, 2);
		memcpy(&len, ent + APPL_DONE_LEN, 4);
		memcpy(&vlan, ent + APPL_DONE_VLAN, 2);
		memcpy(&flags, ent + APPL_DONE_FLAGS, 2);
		if (off < APPL_INFO_SIZE || off > p->region_size || len > p->region_size - off) {
			fail(p->err, "handle %u: a completion outside the region", h->id);
			return -EPROTO;
		}
		f[got].data = p->region + off;
		f[got].len = len;
		f[got].vlan = vlan;
		f[got].flags = flags & (CPNP_F_IPV6 | CPNP_F_MCAST | CPNP_F_BCAST | CPNP_F_TOOBIG |
					CPNP_F_ETH);
		if (ol) {
			/* Only what the port asked for (cpnp_set_rx_offload) is ever set. */
			ol[got].gso_size = gso;
			ol[got].flags = ((flags & APPL_DONE_CSUM_PARTIAL) ? CPNP_OL_CSUM : 0) |
					((flags & APPL_DONE_CSUM_VALID) ? CPNP_OL_CSUM_VALID : 0);
		}
		got++;
	}
	shr_rx_done(&h->ring);
	/* What this look found decides between sleeping and polling (lib/adapt.h). */
	if (adapt_look(&h->rxa, got, h->woken, adapt_now_ns()))
		shr_disarm(&h->ring);
	h->woken = false;
	return (int)got;
}

/* ---- sending ------------------------------------------------------------------------ */

static void frame_meta(const struct cpnp_port *p, const struct cpnp_frame *in, struct pframe *f,
		       struct qdio_span *sp)
{
	const uint8_t *d = in->data;

	memset(f, 0, sizeof(*f));
	sp->ptr = d;
	sp->len = in->len;
	f->spans = sp;
	f->nspans = 1;
	f->len = in->len;
	f->vlan = in->vlan;
	if (p->transport == CPNP_ETHERNET) {
		f->kind = PF_ETH;
		f->cast = !memcmp(d, "\xff\xff\xff\xff\xff\xff", 6) ? PF_BROADCAST
			  : (d[0] & 1) ? PF_MULTICAST : PF_UNICAST;
		return;
	}
	f->kind = PF_IP;
	f->ipv6 = (d[0] >> 4) == 6;
	if (f->ipv6) {
		memcpy(f->next_hop, d + 24, 16);
		f->cast = d[24] == 0xFF ? PF_MULTICAST : PF_UNICAST;
	} else {
		memcpy(f->next_hop + 12, d + 16, 4);
		f->cast = !memcmp(d + 16, "\xff\xff\xff\xff", 4) ? PF_BROADCAST
			  : (d[16] & 0xF0) == 0xE0 ? PF_MULTICAST : PF_UNICAST;
	}
}

/* A large send over IPv6 (held to IPv6's segment floor, lib/tso.h; the switch checks
 * the same, this only says why early). */
static bool ol_v6(const uint8_t *d, uint32_t len, bool eth)
{
	unsigned et;

	if (!eth)
		return d[0] >> 4 == 6;
	et = (unsigned)d[12] << 8 | d[13];
	if (et == 0x8100 && len >= 18)
		et = (unsigned)d[16] << 8 | d[17];
	return et == 0x86DD;
}

int cpnp_send(struct cpnp_port *p, const struct cpnp_frame *f, unsigned n)
{
	return cpnp_send_offload(p, f, NULL, n);
}

int cpnp_send_offload(struct cpnp_port *p, const struct cpnp_frame *f,
		      const struct cpnp_offload *ol, unsigned n)
{
	struct pframe pf[TX_CHUNK];
	struct qdio_span sp[TX_CHUNK];
	unsigned sent = 0;
	int rc;

	if ((rc = live(p)))
		return rc;
	if (!f && n) {
		fail(p->err, "no frames (f is NULL)");
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *d = f[i].data;
		bool eth = p->transport == CPNP_ETHERNET;
		bool large = ol && ol[i].gso_size;
		uint32_t max = large ? CPNP_SEND_LARGE_MAX : p->max_frame;

		if (ol && ((ol[i].flags & ~CPNP_OL_CSUM) ||
			   (ol[i].gso_size && !(ol[i].flags & CPNP_OL_CSUM)))) {
			fail(p->err, "frame %u: offload flags %#x, segment size %u", i,
			     ol[i].flags, ol[i].gso_size);
			return -EINVAL;
		}
		if (f[i].len > max) {
			fail(p->err, "frame %u: %u bytes, the LAN carries at most %u", i, f[i].len,
			     max);
			return -EMSGSIZE;
		}
		if (!d || f[i].len < (eth ? 14u : 20u) || f[i].vlan > 4094 ||
		    (!eth && (d[0] >> 4) != 4 && ((d[0] >> 4) != 6 || f[i].len < 40))) {
			fail(p->err, "frame %u is not %s", i, eth ? "an Ethernet frame" :
			     "an IPv4 or IPv6 packet");
			return -EINVAL;
		}
		if (large && ol[i].gso_size < tso_mss_min(ol_v6(d, f[i].len, eth))) {
			fail(p->err, "frame %u: segment size %u, a large send's is at least %u",
			     i, ol[i].gso_size, tso_mss_min(ol_v6(d, f[i].len, eth)));
			return -EINVAL;
		}
	}
	while (sent < n) {
		unsigned k = n - sent < TX_CHUNK ? n - sent : TX_CHUNK, went;

		for (unsigned i = 0; i < k; i++) {
			frame_meta(p, &f[sent + i], &pf[i], &sp[i]);
			if (ol) {
				pf[i].csum = (ol[sent + i].flags & CPNP_OL_CSUM) ? PF_CSUM_PARTIAL
										  : PF_CSUM_NONE;
				pf[i].gso_size = ol[sent + i].gso_size;
			}
		}
		went = vml_ring_tx(&p->link, p->vdev, pf, k, TX_STALL_MS, true);
		sent += went;
		if (went < k) {
			if (p->link.ring.broken)
				return gone(p);
			break;
		}
	}
	return (int)sent;
}
