/* vhost/cpnet_vhost_main.c - cpnet-vhost: a QEMU virtual machine's virtio-net device as a
 * port of a cpnet LAN, served over vhost-user (QEMU's rings in shared guest memory). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "apps/appport.h"
#include "apps/pktgen.h"
#include "cp/parse.h"
#include "vhost/vudev.h"

#define PROG "cpnet-vhost"
#define NBUF 256u		/* receive buffers posted to cpnetd (CPNP_HANDLE_SLOTS) */
/* Each one takes a large send whole (the guest may negotiate GUEST_TSO at any time):
 * 256 x 64 KiB of the port's region, touched only as frames fill them. */
#define BUFSZ CPNP_RECV_LARGE_MAX
#define BATCH 64u		/* frames per cpnp_send / per RX pass */
#define BOUNCE CPNP_SEND_LARGE_MAX	/* a frame scattered over descriptors is gathered here */
#define LEARN_MAX 8u		/* source MACs tried for registration */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cpnet-vhost --vhost PATH --user U (--password P | --pwfile F)\n"
		"                   (--vswitch NAME | --lan NAME [--owner O] | --nic VDEV)\n"
		"                   [--socket CPNETD_VM_SOCKET] [--portnumber N] [--mac MAC]\n"
		APPPORT_USAGE
		"  --nic VDEV       the LAN the user's directory NICDEF VDEV names\n"
		"  --vhost PATH     the vhost-user socket to create; QEMU connects to it:\n"
		"      -chardev socket,id=c0,path=PATH -netdev vhost-user,id=n0,chardev=c0\n"
		"      -device virtio-net-ccw,netdev=n0,mac=M  (guest RAM shared: memory-backend-memfd\n"
		"      ...,share=on).  The virtio-net device becomes a port of the LAN (QUERY: Type\n"
		"      VIRTIO), authorized like a NIC of the user.  cpnet-vhost serves one connection\n"
		"      and ends when QEMU goes, when the port is ended (FORCE) or at SIGINT/SIGTERM.\n"
		"  --mac MAC        the guest's MAC (QEMU's mac=, aa:bb:cc:dd:ee:ff): registered on\n"
		"      the port at start; frames with another source are dropped (counted).  Without\n"
		"      it, the first 8 unicast source MACs the guest sends from are registered as\n"
		"      they show (later ones only reach the switch, which drops them).\n");
}

struct stats {
	unsigned long long tx_frames, tx_bytes, tx_bad, tx_dropped, tx_bounced, tx_large;
	unsigned long long tx_foreign;
	unsigned long long rx_frames, rx_bytes, rx_toobig, rx_lost, kicks, calls;
	unsigned long long rx_large, rx_open, rx_valid, rx_unagreed, rx_waited;
};

/* The queues' refusal counters (vring.h enum vq_bad), for the final stats line. */
static const char *const bad_name[VQ_BAD_MAX] = {
	[VQ_BAD_INDEX] = "index", [VQ_BAD_ADDR] = "address", [VQ_BAD_DIR] = "direction",
	[VQ_BAD_INDIRECT] = "indirect", [VQ_BAD_LOOP] = "too long", [VQ_BAD_SHORT] = "short",
	[VQ_BAD_HDR] = "header", [VQ_BAD_AVAIL] = "avail index",
};

struct vhost {
	struct cpnp_port *port;
	struct cpnp_handle *h;
	struct vudev dev;
	uint32_t max_frame;
	uint8_t assigned[6];		/* the MAC cpnetd gave the port */
	bool assigned_dropped;
	bool pinned;			/* --mac: the guest's MAC, the only one */
	uint8_t pin[6];
	uint8_t learned[LEARN_MAX][6];	/* source MACs asked for (registered or refused) */
	bool learned_ok[LEARN_MAX];
	unsigned nlearned;
	struct stats st;
	uint64_t bad[VU_MAX_QUEUES][VQ_BAD_MAX];	/* the queues' counts, kept at the end */
	int end;			/* the error that ends the port (0: none yet) */
	/* The features the port's receive offloads were last set for (cpnp_set_rx_offload
	 * follows the guest's GUEST_CSUM / GUEST_TSO4 / GUEST_TSO6). */
	uint64_t rxol_features;
	/* Frames taken from the handle and not yet in the guest's ring: [pend_at, npend). */
	struct cpnp_frame pend[BATCH];
	struct cpnp_offload pend_ol[BATCH];
	unsigned npend, pend_at;
	bool starved;			/* pend[pend_at] waits for more guest buffers */
};

static uint8_t bounce[BATCH][BOUNCE];

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void say_mac(const char *what, const uint8_t *m, const char *why)
{
	fprintf(stderr, "cpnet-vhost: %s %02X-%02X-%02X-%02X-%02X-%02X%s%s\n", what, m[0], m[1],
		m[2], m[3], m[4], m[5], why ? ": " : "", why ? why : "");
}

/* The guest's MAC is what QEMU's -device ... mac= gave it, which the backend is not
 * told: it is the source of the guest's frames.  The first time a unicast source MAC
 * shows, register it on the port (SETVMAC: MACPROTECT and duplicates apply); once the
 * guest's own MAC is in, the one cpnetd assigned goes (no station uses it).  Each MAC
 * is asked for once: a refused one's frames are then dropped by the switch (counted
 * there, source check). */
static void learn(struct vhost *v, const uint8_t *src)
{
	int rc;

	if (src[0] & 1)
		return;
	if (!memcmp(src, v->assigned, 6) && !v->assigned_dropped)
		return;
	for (unsigned i = 0; i < v->nlearned; i++)
		if (!memcmp(v->learned[i], src, 6))
			return;
	if (v->nlearned == LEARN_MAX)
		return;
	memcpy(v->learned[v->nlearned], src, 6);
	rc = cpnp_add_mac(v->port, src);
	v->learned_ok[v->nlearned++] = rc == 0;
	if (rc < 0) {
		say_mac("guest MAC", src, cpnp_last_error(v->port));
		if (rc == -ESHUTDOWN || rc == -EPIPE)
			v->end = rc;
		return;
	}
	say_mac("guest MAC", src, "registered");
	if (!v->assigned_dropped && memcmp(src, v->assigned, 6) &&
	    cpnp_del_mac(v->port, v->assigned) == 0)
		v->assigned_dropped = true;
}

/* Guest -> switch: one batch of TX chains, sent with one cpnp_send, then returned. 1 if
 * the batch was full (more may wait), 0 if the queue is empty. */
static int tx_run(struct vhost *v)
{
	struct vu_ring *r = &v->dev.ring[VU_TXQ];
	struct cpnp_frame fr[BATCH];
	struct cpnp_offload ol[BATCH];
	uint16_t heads[BATCH];
	struct vq_seg seg[VQ_MAX_SEGS];
	unsigned nf = 0, nh = 0, nseg;
	uint32_t total;
	int rc = 0;

	while (nh < BATCH) {
		const uint8_t *frame;
		struct vnet_ol vo;
		uint16_t head;
		int len;

		rc = vq_pop(&r->q, &v->dev.mem, false, &head, seg, &nseg, &total);
		if (rc == 0 || rc == -EBADF)
			break;
		heads[nh++] = head;
		if (rc < 0) {
			v->st.tx_bad++;
			continue;
		}
		len = vnet_tx_frame(&r->q, seg, nseg, total, v->dev.features, bounce[nf], BOUNCE,
				    &frame, &vo);
		/* The switch refuses a whole batch for one bad frame: check here. */
		if (len < 14 || (uint32_t)len > (vo.gso_size ? CPNP_SEND_LARGE_MAX : v->max_frame)) {
			v->st.tx_bad++;
			continue;
		}
		ol[nf].gso_size = vo.gso_size;
		ol[nf].flags = vo.csum ? CPNP_OL_CSUM : 0;
		v->st.tx_large += vo.gso_size != 0;
		if (frame == bounce[nf])
			v->st.tx_bounced++;
		{
			uint8_t src[6];

			memcpy(src, frame + 6, 6);	/* read once: the guest may change it */
			if (v->pinned && memcmp(src, v->pin, 6)) {
				v->st.tx_foreign++;	/* not the guest's MAC (--mac) */
				continue;
			}
			if (!v->pinned)
				learn(v, src);
		}
		fr[nf].data = (void *)frame;
		fr[nf].len = (uint32_t)len;
		fr[nf].vlan = 0;
		fr[nf].flags = 0;
		nf++;
	}
	if (nf) {
		int sent = cpnp_send_offload(v->port, fr, ol, nf);

		if (sent < 0) {
			v->st.tx_dropped += nf;
			if (sent == -ESHUTDOWN || sent == -EPIPE || sent == -EPROTO)
				v->end = sent;
		} else {
			for (int i = 0; i < sent; i++)
				v->st.tx_bytes += fr[i].len;
			v->st.tx_frames += (unsigned)sent;
			v->st.tx_dropped += nf - (unsigned)sent;
		}
	}
	/* Only now: the frames were read from the guest's buffers by cpnp_send. */
	for (unsigned i = 0; i < nh; i++)
		vq_push(&r->q, heads[i], 0);
	if (nh && vq_publish(&r->q)) {
		vudev_call(&v->dev, VU_TXQ);
		v->st.calls++;
	}
	if (rc == -EBADF && r->q.broken)
		return 0;
	return nh == BATCH;
}

/* The port's receive offloads as the guest's features allow (what it negotiated may
 * change whenever QEMU sets features again: a reboot, another driver).  0 or -errno. */
static int rx_offloads(struct vhost *v)
{
	uint64_t f = v->dev.features;
	unsigned ol = 0;
	int rc;

	if (f == v->rxol_features)
		return 0;
	if (f & (1ull << VIRTIO_NET_F_GUEST_CSUM)) {
		/* Large sends whole only to a guest that can be told of CWR in one
		 * (GUEST_ECN): the switch hands them on as they came, and one with CWR
		 * could not be put in a header for a guest without it (vnet_rx_hdr) --
		 * such a guest gets segments instead. */
		bool ecn = f & (1ull << VIRTIO_NET_F_GUEST_ECN);

		ol = CPNP_RXOL_CSUM;
		if (ecn && (f & (1ull << VIRTIO_NET_F_GUEST_TSO4)))
			ol |= CPNP_RXOL_TSO4;
		if (ecn && (f & (1ull << VIRTIO_NET_F_GUEST_TSO6)))
			ol |= CPNP_RXOL_TSO6;
	}
	v->rxol_features = f;
	if ((rc = cpnp_set_rx_offload(v->port, ol)) < 0)
		return rc;
	fprintf(stderr, "cpnet-vhost: the guest takes %s%s%s%s\n",
		ol ? "checksums open" : "no receive offloads (frames finished by the switch)",
		ol & CPNP_RXOL_TSO4 ? ", TCP large sends whole over IPv4" : "",
		ol & CPNP_RXOL_TSO6 ? ", over IPv6" : "",
		f & (1ull << VIRTIO_NET_F_MRG_RXBUF) ? "; mergeable buffers" : "");
	return 0;
}

/* Switch -> guest: frames cpnetd wrote into our posted buffers, each copied into the
 * guest's RX buffers -- one chain, or with mergeable buffers as many as it needs (a
 * large send kept whole: GUEST_TSO).  Takes no more frames than the guest has chains
 * for; a frame that needs more chains than are posted waits here (v->starved) until
 * the guest adds some, and the rest wait in the handle, and cpnetd holds what comes
 * after them on the port's queue (counted there when its storage runs out).  Frames
 * taken but not delivered because the guest broke the ring meanwhile are counted here
 * (rx_lost).  1 if more may be done now, 0 if not. */
static int rx_run(struct vhost *v)
{
	struct vu_ring *r = &v->dev.ring[VU_RXQ];
	bool mrg = v->dev.features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	int rc, done = 0;
	bool full = false;

	if ((rc = rx_offloads(v)) < 0) {
		v->end = rc;
		return 0;
	}
	if (v->pend_at == v->npend) {
		unsigned room = vq_avail_count(&r->q);
		int n;

		v->pend_at = v->npend = 0;
		if (!room)
			return 0;
		n = cpnp_recv_offload(v->h, v->pend, v->pend_ol, room < BATCH ? room : BATCH);
		if (n < 0) {
			v->end = n;
			return 0;
		}
		v->npend = (unsigned)n;
		full = n == (int)BATCH;
	}
	v->starved = false;
	while (v->pend_at < v->npend) {
		struct cpnp_frame *f = &v->pend[v->pend_at];
		const struct cpnp_offload *o = &v->pend_ol[v->pend_at];
		struct vnet_ol vo = { o->gso_size, (o->flags & CPNP_OL_CSUM) != 0,
				      (o->flags & CPNP_OL_CSUM_VALID) != 0 };
		uint8_t h[VNET_HDR_SIZE];

		rc = 1;
		if (f->len && vnet_rx_hdr(h, f->data, f->len, &vo, v->dev.features) < 0) {
			/* An offload the guest did not agree to: only a frame the switch
			 * prepared before the guest's features changed (a reboot). */
			v->st.rx_unagreed++;
		} else if (f->len) {
			rc = vnet_rx_put(&r->q, &v->dev.mem, h, f->data, f->len, mrg);
			if (rc == 0) {
				/* It waits for the guest's next buffers (vq_kicks_on_more). */
				v->starved = true;
				v->st.rx_waited++;
				break;
			}
			if (rc == 1) {
				v->st.rx_frames++;
				v->st.rx_bytes += f->len;
				v->st.rx_large += vo.gso_size != 0;
				v->st.rx_open += vo.csum;
				v->st.rx_valid += vo.valid;
			} else if (rc == -EMSGSIZE) {
				v->st.rx_toobig++;	/* returned empty: the guest drops them */
			} else {
				v->st.rx_lost++;	/* a bad chain, or the ring broke */
			}
		}
		if ((rc = cpnp_post(v->h, f->data, BUFSZ)) < 0 && !v->end)
			v->end = rc;
		v->pend_at++;
		done++;
	}
	if (done && vq_publish(&r->q)) {
		vudev_call(&v->dev, VU_RXQ);
		v->st.calls++;
	}
	return !v->starved && (full || v->pend_at < v->npend) && !r->q.broken;
}

/* The vhost-user server socket at path: a stale one (nobody answers) is replaced, a
 * live one refused, and anything that is not a socket is left alone (-EEXIST): the
 * path comes from the operator, a typo must not delete a file. */
static int listen_on(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	if (errno == ECONNREFUSED) {
		int e = lstat(path, &st) < 0 ? -errno : S_ISSOCK(st.st_mode) ? 0 : -EEXIST;

		if (e && e != -ENOENT) {
			close(fd);
			return e;
		}
		if (!e)
			unlink(path);
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/* Wait for QEMU (or the end): the connection, or a negative errno / 0 when stopped. */
static int wait_for_qemu(struct vhost *v, int lfd)
{
	while (!app_stop) {
		struct pollfd pf = { lfd, POLLIN, 0 };
		int n = poll(&pf, 1, 200), rc;

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			/* A message is read whole once it starts, a reply written whole: a
			 * peer that stops half-way (or stops reading) ends the connection
			 * after 5 s instead of stalling the data path for ever. */
			struct timeval tv = { 5, 0 };

			if (c >= 0 && (setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
				       setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)) {
				int e = -errno;

				close(c);
				return e;
			}
			if (c >= 0)
				return c;
		}
		/* The port can end before QEMU comes (FORCE). */
		if ((rc = cpnp_wait(v->h, 0)) < 0)
			return rc;
	}
	return 0;
}

static void drain(int fd)
{
	uint64_t x;

	(void)!read(fd, &x, sizeof(x));
}

/* Serve QEMU until it goes, the port ends, or a signal: 0 for a clean end, 1 when
 * QEMU broke the protocol (said here), or the port's error (v->end). */
static int serve(struct vhost *v)
{
	double last_check = now_s();
	bool said_broken[VU_MAX_QUEUES] = { false };

	while (!app_stop && !v->end) {
		struct pollfd pf[4];
		int np = 0, busy = 0, n, rc, ti[2] = { -1, -1 }, hi = -1;

		if (vudev_ring_live(&v->dev, VU_TXQ))
			busy |= tx_run(v);
		if (vudev_ring_live(&v->dev, VU_RXQ))
			busy |= rx_run(v);
		for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
			if (v->dev.ring[q].q.broken && !said_broken[q]) {
				const uint64_t *bad = v->dev.ring[q].q.bad;

				said_broken[q] = true;
				fprintf(stderr, "cpnet-vhost: the guest broke virtqueue %u (%s); it "
					"stops until the device is reset\n", q, bad[VQ_BAD_AVAIL] ?
					"avail index more than the ring size ahead" :
					"descriptor index out of range");
			}
		if (v->end)
			break;
		if (!busy) {
			/* Ask for kicks before sleeping, then look once more. */
			if (vudev_ring_live(&v->dev, VU_TXQ) && vq_kicks_on(&v->dev.ring[VU_TXQ].q))
				busy = 1;
			if (vudev_ring_live(&v->dev, VU_RXQ)) {
				struct vq *q = &v->dev.ring[VU_RXQ].q;

				/* Frames are taken only when the guest has buffers: without
				 * any (or not enough for the frame that waits), wait for its
				 * kick, not for cpnetd. */
				if (v->starved) {
					if (vq_kicks_on_more(q))
						busy = 1;
				} else if (vq_avail_count(q)) {
					hi = 1;
					if ((rc = cpnp_ready(v->h)) < 0) {
						v->end = rc;
						break;
					}
					busy |= rc;
				} else if (vq_kicks_on(q)) {
					busy = 1;
				}
			}
		} else {
			vq_kicks_off(&v->dev.ring[VU_TXQ].q);
		}
		pf[np++] = (struct pollfd){ v->dev.sock, POLLIN, 0 };
		for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
			if (v->dev.ring[q].kick >= 0) {
				ti[q] = np;
				pf[np++] = (struct pollfd){ v->dev.ring[q].kick, POLLIN, 0 };
			}
		if (hi > 0) {
			hi = np;
			pf[np++] = (struct pollfd){ cpnp_wait_fd(v->h), POLLIN, 0 };
		}
		n = poll(pf, (nfds_t)np, busy ? 0 : 200);
		if (n < 0 && errno != EINTR) {
			perror("cpnet-vhost: poll");
			return 1;
		}
		if (n > 0 && (pf[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			struct vu_msg m;

			rc = vu_recv(v->dev.sock, &m);
			if (rc == 0 || rc == -ECONNRESET) {
				fprintf(stderr, "cpnet-vhost: QEMU closed the connection\n");
				return 0;
			}
			if (rc < 0) {
				fprintf(stderr, "cpnet-vhost: vhost-user connection: %s; closing it\n",
					strerror(-rc));
				return 1;
			}
			rc = vudev_handle(&v->dev, &m);
			if (rc < 0) {
				fprintf(stderr, "cpnet-vhost: vhost-user message %u refused: %s; "
					"closing the connection\n", m.h.request, strerror(-rc));
				return 1;
			}
		}
		for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
			if (n > 0 && ti[q] >= 0 && (pf[ti[q]].revents & POLLIN)) {
				drain(pf[ti[q]].fd);
				v->st.kicks++;
			}
		if (n > 0 && hi > 0 && (pf[hi].revents & POLLIN))
			drain(pf[hi].fd);
		/* cpnetd's end (FORCE, gone) shows on the link, read by cpnp_wait. */
		if (now_s() - last_check > 0.2) {
			last_check = now_s();
			if ((rc = cpnp_wait(v->h, 0)) < 0)
				v->end = rc;
		}
	}
	return v->end;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		APPPORT_OPTIONS,
		{ "vhost", required_argument, 0, 'V' },
		{ "nic", required_argument, 0, 'N' },
		{ "mac", required_argument, 0, 'M' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	static struct vhost v;
	struct cpnp_reg reg = { 0 };
	const char *path = NULL, *where;
	char nicname[16];
	int c, lfd = -1, conn, rc, ret = 1;
	uint16_t vdev = 0;
	bool nic = false;

	while ((c = appport_getopt(PROG, argc, argv, "h", lo, &reg)) != -1) {
		switch (c) {
		case APPOPT_BAD:
			return 2;
		case 'V': path = optarg; break;
		case 'N':
			/* 1-4 hex digits, as CP's commands take a device number. */
			if (parse_vdev(optarg, &vdev) < 0) {
				fprintf(stderr, "cpnet-vhost: --nic %s: not a device number (1 to 4 "
					"hex digits)\n", optarg);
				return 2;
			}
			nic = true;
			break;
		case 'M':
			/* A station's address: unicast, not all zero. */
			if (pktgen_parse_mac(optarg, v.pin) < 0 || (v.pin[0] & 1) ||
			    !memcmp(v.pin, "\0\0\0\0\0\0", 6)) {
				fprintf(stderr, "cpnet-vhost: --mac %s: not a unicast MAC "
					"(aa:bb:cc:dd:ee:ff)\n", optarg);
				return 2;
			}
			v.pinned = true;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	/* One LAN: --vswitch, --lan or --nic (whose NICDEF names it). */
	if (optind != argc || !path || !reg.user || !reg.password == !reg.pwfile ||
	    (!!reg.vswitch + !!reg.lan + nic) != 1 || (reg.lan_owner && !reg.lan)) {
		usage(stderr);
		return 2;
	}
	reg.flags |= CPNP_REG_VIRTIO;
	/* The receive buffers (BUFSZ each) and a little for the library. */
	reg.region = (size_t)NBUF * BUFSZ + (1u << 20);
	if (nic) {
		reg.flags |= CPNP_REG_NIC;
		reg.nic = (uint16_t)vdev;
	}
	if (appport_register(PROG, &reg, &v.port) < 0)
		return 1;
	v.max_frame = cpnp_max_frame(v.port);
	cpnp_port_mac(v.port, v.assigned);
	/* --mac: the guest's MAC replaces the assigned one now, before any frame. */
	if (v.pinned && memcmp(v.pin, v.assigned, 6)) {
		if ((rc = cpnp_add_mac(v.port, v.pin)) < 0) {
			say_mac("--mac", v.pin, cpnp_last_error(v.port) ? cpnp_last_error(v.port)
									: strerror(-rc));
			goto out;
		}
		say_mac("guest MAC", v.pin, "registered");
		if (cpnp_del_mac(v.port, v.assigned) == 0)
			v.assigned_dropped = true;
	}
	if (appport_handle(PROG, v.port, NBUF, BUFSZ, &v.h) < 0)
		goto out;
	lfd = listen_on(path);
	if (lfd < 0) {
		fprintf(stderr, "cpnet-vhost: --vhost %s: %s\n", path, lfd == -EEXIST ?
			"exists and is not a socket; not replaced" : strerror(-lfd));
		goto out;
	}
	app_stop_on_signals();
	snprintf(nicname, sizeof(nicname), "NIC %04X", vdev);
	where = nic ? nicname : reg.vswitch ? reg.vswitch : reg.lan;
	printf("cpnet-vhost: port %08X on %s%s, port number %u, MAC %02X-%02X-%02X-%02X-%02X-%02X "
	       "(until the guest's own), vhost-user socket %s\n", cpnp_port_id(v.port),
	       nic ? "" : reg.vswitch ? "VSWITCH " : "LAN ", where, cpnp_port_number(v.port),
	       v.assigned[0], v.assigned[1], v.assigned[2], v.assigned[3], v.assigned[4],
	       v.assigned[5], path);
	fflush(stdout);
	conn = wait_for_qemu(&v, lfd);
	/* One QEMU per cpnet-vhost: nobody else may connect meanwhile. */
	close(lfd);
	unlink(path);
	lfd = -1;
	if (conn <= 0) {
		rc = conn;
	} else {
		printf("cpnet-vhost: QEMU connected\n");
		fflush(stdout);
		/* The poll set is built anew each pass: a kick fd QEMU replaces is
		 * simply the next pass's. */
		vudev_init(&v.dev, conn);
		rc = serve(&v);
		for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
			memcpy(v.bad[q], v.dev.ring[q].q.bad, sizeof(v.bad[q]));
		/* FORCE, cpnetd gone or a signal: QEMU's connection closes with the device. */
		vudev_free(&v.dev);
	}
	if (rc < 0 && rc != -ESHUTDOWN)
		appport_say(PROG, "port", v.port, rc);
	else if (rc == 0 || rc == -ESHUTDOWN)
		ret = 0;
	if (rc == -ESHUTDOWN)
		fprintf(stderr, "cpnet-vhost: the port was ended (%s)\n",
			cpnp_last_error(v.port) ? cpnp_last_error(v.port) : "FORCE");
	printf("cpnet-vhost: guest sent %llu frames (%llu bytes; %llu large sends, %llu bad, "
	       "%llu not from --mac, %llu not taken by the switch, %llu gathered), received %llu "
	       "(%llu bytes; %llu large sends, %llu checksums open, %llu vouched for; %llu "
	       "larger than its buffers, %llu lost to bad chains or a broken ring, %llu with "
	       "offloads it did not agree to; %llu times a frame waited for buffers); refused",
	       v.st.tx_frames, v.st.tx_bytes, v.st.tx_large, v.st.tx_bad, v.st.tx_foreign,
	       v.st.tx_dropped, v.st.tx_bounced, v.st.rx_frames, v.st.rx_bytes, v.st.rx_large,
	       v.st.rx_open, v.st.rx_valid, v.st.rx_toobig, v.st.rx_lost, v.st.rx_unagreed,
	       v.st.rx_waited);
	for (unsigned q = 0; q < VU_MAX_QUEUES; q++) {
		unsigned long long sum = 0;
		const char *sep = " (";

		for (unsigned k = 0; k < VQ_BAD_MAX; k++)
			sum += v.bad[q][k];

		printf("%s %s chains %llu", q ? "," : "", q == VU_TXQ ? "TX" : "RX", sum);
		for (unsigned k = 0; k < VQ_BAD_MAX; k++)
			if (v.bad[q][k]) {
				printf("%s%s %llu", sep, bad_name[k], (unsigned long long)v.bad[q][k]);
				sep = ", ";
			}
		if (sum)
			printf(")");
	}
	printf("\n");
out:
	if (lfd >= 0) {
		close(lfd);
		unlink(path);
	}
	if (v.h)
		cpnp_handle_close(v.h);
	cpnp_deregister(v.port);
	return ret;
}
