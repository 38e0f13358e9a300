/* hercules/cpnic_port.c - CPNIC back ends (Linux TAP for layer 2, TUN for layer 3) and the
 * SIGA worker thread; no Hercules headers here, the glue in hdtcpnic.c owns the DEVBLKs. */
#define _GNU_SOURCE	/* pipe2 */
#include "hercules/cpnic.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/shmring.h"
#include "vnic/offload.h"
#include "vnic/vmlink.h"

#define ETH_HLEN_ 14

int cpnic_parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		char *end;
		unsigned long v;

		if (!((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f') ||
		      (s[0] >= 'A' && s[0] <= 'F')))
			return -EINVAL;
		v = strtoul(s, &end, 16);
		if (v > 0xFF || end - s > 2)
			return -EINVAL;
		mac[i] = (uint8_t)v;
		if (i < 5 && *end != ':' && *end != '-')
			return -EINVAL;
		if (i == 5 && *end != 0)
			return -EINVAL;
		s = end + 1;
	}
	return 0;
}

/* ---- TX: frames the guest sent, written to the TAP/TUN (NIC lock held) --------- */

struct tap_ctx {
	struct cpnic *c;
	struct port *from;
};

/* One finished frame to the TAP/TUN: true if written. */
static bool tap_write(void *ctx, const struct pframe *f)
{
	struct tap_ctx *t = ctx;
	struct cpnic *c = t->c;
	struct iovec iov[QDIO_SBALES + 1];
	uint32_t skip = 0;
	unsigned k = 0;

	if (c->be == CPNIC_BE_TAP && f->kind != PF_ETH) {
		/* A layer-3 guest on a layer-2 back end: no link header to send. */
		port_count_drop(t->from, PD_BADFRAME, false, 1);
		return false;
	}
	if (c->be == CPNIC_BE_TUN && f->kind == PF_ETH) {
		/* Layer 3 passthrough (IPv6, ARP-less) frames carry an Ethernet
		 * header; a TUN takes bare IP.  Layer 2 guests do not belong here. */
		if (c->nic.layer != 3 || f->len <= ETH_HLEN_) {
			port_count_drop(t->from, PD_BADFRAME, false, 1);
			return false;
		}
		skip = ETH_HLEN_;
	}
	for (unsigned s = 0; s < f->nspans && k < CPNET_ARRAY_SIZE(iov); s++) {
		const uint8_t *p = f->spans[s].ptr;
		uint32_t len = f->spans[s].len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		iov[k].iov_base = (void *)(p + skip);
		iov[k].iov_len = len - skip;
		skip = 0;
		k++;
	}
	if (k == 0 || writev(c->tapfd, iov, (int)k) < 0) {
		c->tx_errors++;
		port_count_drop(t->from, PD_NOPORT, false, 1);
		return false;
	}
	return true;
}

static void tap_tx(void *peer, struct port *from, const struct pframe *f, unsigned n)
{
	struct tap_ctx t = { peer, from };

	for (unsigned i = 0; i < n; i++) {
		struct ofl_result r;

		if (!ofl_needed(&f[i], false)) {
			tap_write(&t, &f[i]);
			continue;
		}
		/* The TAP takes finished frames only: the guest's offloads are done here. */
		ofl_finish(&f[i], false, &t.c->ofl_buf, tap_write, &t, &r);
		if (r.err)
			port_count_drop(from, PD_BADFRAME, false, 1);
	}
}

static uint16_t tap_addr(void *peer, struct port *from, const struct paddr *a)
{
	(void)peer;
	(void)from;
	(void)a;
	/* The host side is one link: every registration is accepted. */
	return 0;
}

static const struct port_ops tap_ops = { tap_tx, tap_addr };

/* ---- RX: frames from the TAP/TUN into the NIC --------------------------------- */

static void classify_eth(struct pframe *f, const uint8_t *b, uint32_t len)
{
	static const uint8_t bc[6] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };

	f->kind = PF_ETH;
	if (len >= 6 && memcmp(b, bc, 6) == 0)
		f->cast = PF_BROADCAST;
	else if (len >= 1 && (b[0] & 1))
		f->cast = PF_MULTICAST;
	else
		f->cast = PF_UNICAST;
}

/* Returns false for what is not IPv4/IPv6. */
static bool classify_ip(struct pframe *f, const uint8_t *b, uint32_t len)
{
	f->kind = PF_IP;
	f->cast = PF_UNICAST;
	if (len >= 20 && (b[0] >> 4) == 4) {
		f->ipv6 = false;
		if (b[16] == 0xFF && b[17] == 0xFF && b[18] == 0xFF && b[19] == 0xFF)
			f->cast = PF_BROADCAST;
		else if ((b[16] & 0xF0) == 0xE0)
			f->cast = PF_MULTICAST;
		return true;
	}
	if (len >= 40 && (b[0] >> 4) == 6) {
		f->ipv6 = true;
		if (b[24] == 0xFF)
			f->cast = PF_MULTICAST;
		return true;
	}
	return false;
}

int64_t cpnic_pci_wait(struct nicbk *nic, int64_t wait_us)
{
	int64_t us = nic_pci_wait_us(nic);

	if (us < 0)
		return wait_us;
	return wait_us < 0 || us < wait_us ? us : wait_us;
}

int cpnic_poll_us(struct pollfd *pfd, unsigned n, int64_t wait_us)
{
	struct timespec ts = { (time_t)(wait_us / 1000000), (long)(wait_us % 1000000) * 1000 };

	return ppoll(pfd, n, wait_us < 0 ? NULL : &ts, NULL);
}

static void *tap_reader(void *arg)
{
	struct cpnic *c = arg;
	struct pframe fr[CPNIC_RX_BATCH];
	struct qdio_span sp[CPNIC_RX_BATCH];
	int64_t wait = -1;	/* us to the NIC's owed PCI, as last seen under the lock */

	for (;;) {
		struct pollfd pfd[2] = { { c->tapfd, POLLIN, 0 }, { c->wake[0], POLLIN, 0 } };
		unsigned n = 0;

		if (cpnic_poll_us(pfd, 2, wait) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		if (pfd[0].revents & (POLLERR | POLLNVAL))
			break;
		/* Drain up to a batch, then deliver it under one NIC-lock hold. */
		while (n < CPNIC_RX_BATCH) {
			uint8_t *buf = c->rxbuf + (size_t)n * CPNIC_RX_BUF;
			ssize_t got = read(c->tapfd, buf, CPNIC_RX_BUF);

			if (got <= 0)
				break;
			memset(&fr[n], 0, sizeof(fr[n]));
			sp[n].ptr = buf;
			sp[n].len = (uint32_t)got;
			fr[n].spans = &sp[n];
			fr[n].nspans = 1;
			fr[n].len = (uint32_t)got;
			if (c->be == CPNIC_BE_TUN) {
				if (!classify_ip(&fr[n], buf, (uint32_t)got)) {
					c->rx_errors++;
					continue;
				}
			} else {
				classify_eth(&fr[n], buf, (uint32_t)got);
			}
			n++;
		}
		pthread_mutex_lock(c->lock);
		if (n)
			port_deliver(&c->nic.port, fr, n);
		nic_pci_poll(&c->nic);
		wait = cpnic_pci_wait(&c->nic, -1);
		pthread_mutex_unlock(c->lock);
	}
	return NULL;
}

void cpnic_tap_attach(struct cpnic *c, int fd)
{
	c->tapfd = fd;
	c->nic.port.ops = &tap_ops;
	c->nic.port.peer = c;
}

int cpnic_tap_open(struct cpnic *c, char *err, size_t errlen)
{
	struct ifreq ifr;
	char name[16];
	int fd, rc;

	c->rxbuf = malloc((size_t)CPNIC_RX_BATCH * CPNIC_RX_BUF);
	if (!c->rxbuf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		goto fail_buf;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)((c->be == CPNIC_BE_TUN ? IFF_TUN : IFF_TAP) | IFF_NO_PI);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", c->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		snprintf(err, errlen, "TUNSETIFF %s: %s", c->ifname, strerror(errno));
		goto fail_fd;
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    pipe2(c->wake, O_CLOEXEC) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", c->ifname, strerror(errno));
		goto fail_fd;
	}
	cpnic_tap_attach(c, fd);
	snprintf(name, sizeof(name), "cpnic-tap %04X", c->cfg.base_devno);
	rc = cpnic_thread_start(&c->reader, tap_reader, c, name);
	if (rc) {
		snprintf(err, errlen, "reader thread: %s", strerror(rc));
		c->nic.port.ops = NULL;
		c->nic.port.peer = NULL;
		close(c->wake[0]);
		close(c->wake[1]);
		rc = -rc;
		goto fail_fd;
	}
	c->reader_started = true;
	return 0;

fail_fd:
	close(fd);
	c->tapfd = -1;
fail_buf:
	free(c->rxbuf);
	c->rxbuf = NULL;
	return rc;
}

void cpnic_tap_close(struct cpnic *c)
{
	if (c->reader_started) {
		ssize_t w = write(c->wake[1], "x", 1);

		(void)w;
		pthread_join(c->reader, NULL);
		c->reader_started = false;
		close(c->wake[0]);
		close(c->wake[1]);
	}
	pthread_mutex_lock(c->lock);
	c->nic.port.ops = NULL;
	c->nic.port.peer = NULL;
	pthread_mutex_unlock(c->lock);
	if (c->tapfd >= 0)
		close(c->tapfd);
	c->tapfd = -1;
	free(c->rxbuf);
	c->rxbuf = NULL;
	free(c->ofl_buf);
	c->ofl_buf = NULL;
}

/* ---- SIGA: inline on the CPU thread, or the worker ------------------------------ */

_Static_assert(NIC_MAX_DEVS <= 64, "pci_owed has a bit per device");

/* Set on a CPU thread while it runs a SIGA inline (cpnic_siga). */
static __thread bool siga_inline_now;

bool cpnic_siga_inline_now(void)
{
	return siga_inline_now;
}

void cpnic_defer_pci(struct cpnic_dev *d)
{
	struct cpnic *c = d->c;

	pthread_mutex_lock(&c->wlock);
	c->pci_owed |= 1ull << d->index;
	pthread_cond_signal(&c->wcond);
	pthread_mutex_unlock(&c->wlock);
}

static void *siga_worker(void *arg)
{
	struct cpnic *c = arg;

	pthread_mutex_lock(&c->wlock);
	for (;;) {
		uint32_t w, r;
		uint64_t owed;
		struct nidbk *nid;

		while (!c->stop && !c->siga_w && !c->siga_r && !c->pci_owed)
			pthread_cond_wait(&c->wcond, &c->wlock);
		if (c->stop)
			break;
		w = c->siga_w;
		r = c->siga_r;
		nid = c->siga_nid;
		owed = c->pci_owed;
		c->siga_w = c->siga_r = 0;
		c->pci_owed = 0;
		/* Until they are done, a SIGA on the CPU thread goes behind them. */
		c->wbusy = w || r;
		pthread_mutex_unlock(&c->wlock);

		/* PCIs an inline SIGA raised: presented here, where no device lock is
		 * held (cp_chan_pci takes the device's, then Hercules's interrupt lock). */
		for (unsigned i = 0; owed && i < NIC_MAX_DEVS; i++) {
			struct nidbk *d = &c->np->dev[i];

			if (((owed >> i) & 1) && d->chan && d->chan->pci)
				d->chan->pci(d->chan_ctx);
		}
		/* SIGAs that arrived meanwhile are merged: one scan serves them all. */
		if (w || r) {
			pthread_mutex_lock(c->lock);
			if (nid && w)
				nic_siga(nid, NIC_SIGA_W, w);
			if (nid && r)
				nic_siga(nid, NIC_SIGA_R, r);
			pthread_mutex_unlock(c->lock);
		}

		pthread_mutex_lock(&c->wlock);
		c->wbusy = false;
	}
	pthread_mutex_unlock(&c->wlock);
	return NULL;
}

static void post_siga(struct cpnic *c, struct nidbk *nid, bool write, uint32_t mask)
{
	c->siga_nid = nid;
	if (write)
		c->siga_w |= mask;
	else
		c->siga_r |= mask;
	c->siga_handed++;
	pthread_cond_signal(&c->wcond);
}

/* Output buffers the guest primed on the queues of `mask` (NIC lock held).  Reads the
 * SLSB only. */
static unsigned primed_out(struct nicbk *nic, uint32_t mask)
{
	unsigned n = 0;

	for (unsigned qn = 0; qn < nic->nout; qn++) {
		struct qdio_queue *q = &nic->outq[qn];

		if (!(mask & (0x80000000u >> qn)))
			continue;
		for (unsigned i = 0; i < QDIO_BUFS; i++) {
			uint8_t st;

			if (qdio_get_state(q, qdio_add_buf(q->next, i), &st) < 0 ||
			    st != SLSB_CU_OUTPUT_PRIMED)
				break;
			n++;
		}
	}
	return n;
}

bool cpnic_ring_fits(struct shring *r, unsigned bufs)
{
	/* A ring of version 2 carries a frame in ceil(bytes / slot) entries, and one
	 * that would pass the ring's end comes after a wrap entry up to it. */
	uint64_t per = ((uint64_t)VML_MAX_MSG + r->slot_size - 1) / r->slot_size;
	uint64_t need = (uint64_t)bufs * QDIO_SBALES * per + (per - 1);

	if (r->tx_prod != r->tx_pub || need > r->nslots)
		return false;
	return shr_tx_room(r) >= need;
}

/* NIC lock held: can nic_siga run here without waiting for anything? */
static bool siga_cannot_wait(struct cpnic *c, bool write, uint32_t mask, bool one_cpu)
{
	struct nicbk *nic = c->np;

	switch (c->be) {
	case CPNIC_BE_NONE:
	case CPNIC_BE_TAP:
	case CPNIC_BE_TUN:
		/* Frames are dropped, or written to a non-blocking descriptor. */
		return true;
	case CPNIC_BE_CP:
		/* A SIGA-r reaches no port (no in_room); a SIGA-w waits on a full ring.
		 * Queues not running: nic_siga answers at once. */
		if (!write || !nic->qdio_active)
			return true;
		return one_cpu && c->tx_room && c->tx_room(c, primed_out(nic, mask));
	default:
		return false;
	}
}

void cpnic_siga(struct cpnic *c, struct nidbk *nid, bool write, uint32_t mask, bool one_cpu)
{
	bool queued;

	pthread_mutex_lock(&c->wlock);
	/* SIGAs on the NIC's data device are serialized by its device lock, which the
	 * caller holds, so nothing new is queued between this look and the trylock (a
	 * SIGA on one of its other devices posts too, but nic_siga answers it 3). */
	queued = c->wbusy || c->siga_w || c->siga_r || c->siga_worker;
	if (queued || pthread_mutex_trylock(c->lock) != 0) {
		post_siga(c, nid, write, mask);
		pthread_mutex_unlock(&c->wlock);
		return;
	}
	pthread_mutex_unlock(&c->wlock);
	/* NIC lock held (wlock released: it is the leaf). */
	if (!c->created || c->closing || !siga_cannot_wait(c, write, mask, one_cpu)) {
		pthread_mutex_unlock(c->lock);
		pthread_mutex_lock(&c->wlock);
		post_siga(c, nid, write, mask);
		pthread_mutex_unlock(&c->wlock);
		return;
	}
	c->siga_inline++;
	siga_inline_now = true;
	nic_siga(nid, write ? NIC_SIGA_W : NIC_SIGA_R, mask);
	siga_inline_now = false;
	pthread_mutex_unlock(c->lock);
}

/*
 * Every thread of the module starts here.  Hercules acts on SIGTERM only on its main
 * thread and returns from the handler on any other, and the kernel hands a signal sent
 * to the process to whichever thread does not block it: a module thread that took the
 * SIGTERM would swallow Hercules's shutdown.  So a new thread starts with every
 * asynchronous signal blocked (it inherits the mask from its creator for the call), and
 * carries a name (`ps -L`, `top -H`: "cpnic-w 0600", "cpnic-LINUX01"...).
 */
int cpnic_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *name)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS };
	char nm[16];
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigdelset(&all, faults[i]);	/* a fault must still end the process */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc) {
		snprintf(nm, sizeof(nm), "%s", name);	/* the kernel keeps 15 bytes */
		pthread_setname_np(*t, nm);
	}
	return rc;
}

int cpnic_worker_start(struct cpnic *c)
{
	char name[16];
	int rc;

	c->stop = false;
	snprintf(name, sizeof(name), "cpnic-w %04X", c->cfg.base_devno);
	rc = cpnic_thread_start(&c->worker, siga_worker, c, name);
	if (rc)
		return -rc;
	c->worker_started = true;
	return 0;
}

void cpnic_worker_stop(struct cpnic *c)
{
	if (!c->worker_started)
		return;
	pthread_mutex_lock(&c->wlock);
	c->stop = true;
	pthread_cond_signal(&c->wcond);
	pthread_mutex_unlock(&c->wlock);
	pthread_join(c->worker, NULL);
	c->worker_started = false;
}
