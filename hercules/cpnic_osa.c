/* hercules/cpnic_osa.c - CPNIC's port=osa back end: the device group is a dedicated OSA-Express
 * (osa/ model on a Linux TAP) for one guest; its reader thread drives the wire, ARP and the link. */
#define _GNU_SOURCE	/* pipe2 */
#include "hercules/cpnic.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "osa/osa.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int cpnic_osa_open(struct cpnic *c, char *err, size_t errlen)
{
	const struct wire_class *tap = wire_class_find("TAP");
	struct osa_cfg oc;
	int rc;

	if (!tap) {
		snprintf(err, errlen, "no TAP wire provider");
		return -ENODEV;
	}
	c->osa = calloc(1, sizeof(*c->osa));
	if (!c->osa) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memset(&oc, 0, sizeof(oc));
	oc.rdev = c->cfg.base_devno;
	oc.schno = c->cfg.base_schno;
	oc.chpid = c->cfg.chpid;
	memcpy(oc.mac, c->cfg.mac, 6);
	/* Link changes are logged by the reader after it drops the NIC lock: no
	 * callback (logmsg is not called with the NIC lock held on this path). */
	rc = osa_create(c->osa, &oc, tap, c->ifname);
	if (rc < 0) {
		snprintf(err, errlen, "OSA on TAP %s: %s", c->ifname, cpnet_strerror(rc));
		free(c->osa);
		c->osa = NULL;
		return rc;
	}
	/* The kernel may have completed a pattern name ("cpnt%d"). */
	snprintf(c->ifname, sizeof(c->ifname), "%s", c->osa->wire.name);
	c->osa_link = c->osa->link_up;
	c->np = osa_nic(c->osa);
	return 0;
}

/* The reader: poll without a lock, work under the NIC lock, log after dropping it. */
static void *osa_reader(void *arg)
{
	struct cpnic *c = arg;
	struct osa *o = c->osa;
	uint64_t next_link = mono_ms() + CPNIC_OSA_LINK_MS;
	int64_t wait = OSA_TIMER_MS * 1000;	/* us; or sooner: the NIC's owed PCI */

	for (;;) {
		/* A wire that failed (TAP deleted) may stay readable with errors for ever:
		 * stop polling it and only watch the link (it stays down: re-create the
		 * device group to re-open a re-created TAP). */
		int fd = o->wire.failed ? -1 : osa_wire_fd(o);
		struct pollfd pfd[2] = { { c->wake[0], POLLIN, 0 }, { fd, POLLIN, 0 } };
		bool changed = false, up;
		uint64_t now;
		int n;

		if (cpnic_poll_us(pfd, fd >= 0 ? 2 : 1, wait) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		now = mono_ms();
		pthread_mutex_lock(c->lock);
		/* Also with nothing to read: osa_poll runs the ARP retry/expiry timers. */
		n = osa_poll(o, CPNIC_OSA_BUDGET);
		if (n == -ENETDOWN || now >= next_link) {
			next_link = now + CPNIC_OSA_LINK_MS;
			up = osa_check_link(o) == 1;	/* a change: STOPLAN / STARTLAN */
			changed = up != c->osa_link;
			c->osa_link = up;
		}
		up = c->osa_link;
		nic_pci_poll(osa_nic(o));
		/* Frames a budget left in the rings with room in the NIC: at once. */
		wait = osa_rx_pending(o) ? 0 : cpnic_pci_wait(osa_nic(o), OSA_TIMER_MS * 1000);
		pthread_mutex_unlock(c->lock);
		if (changed)
			cpnic_msg("CPNIC %04X: OSA port TAP %s link %s%s\n", c->cfg.base_devno,
				  c->ifname, up ? "up (STARTLAN)" : "down (STOPLAN)",
				  o->wire.failed ? ", device gone" : "");
	}
	return NULL;
}

int cpnic_osa_start(struct cpnic *c, char *err, size_t errlen)
{
	char name[16];
	int rc;

	if (pipe2(c->wake, O_CLOEXEC) < 0) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return rc;
	}
	snprintf(name, sizeof(name), "cpnic-osa %04X", c->cfg.base_devno);
	rc = cpnic_thread_start(&c->reader, osa_reader, c, name);
	if (rc) {
		snprintf(err, errlen, "reader thread: %s", strerror(rc));
		close(c->wake[0]);
		close(c->wake[1]);
		return -rc;
	}
	c->reader_started = true;
	return 0;
}

void cpnic_osa_stop(struct cpnic *c)
{
	ssize_t w;

	if (!c->reader_started)
		return;
	w = write(c->wake[1], "x", 1);
	(void)w;
	pthread_join(c->reader, NULL);
	c->reader_started = false;
	close(c->wake[0]);
	close(c->wake[1]);
}

void cpnic_osa_destroy(struct cpnic *c)
{
	if (!c->osa)
		return;
	osa_destroy(c->osa);
	free(c->osa);
	c->osa = NULL;
	c->np = &c->nic;
}

void cpnic_osa_counters(const struct cpnic *c, char *buf, size_t len)
{
	const struct osa *o = c->osa;

	if (!o) {
		if (len)
			buf[0] = 0;
		return;
	}
	snprintf(buf, len, " link %s arp req-rx %llu rep-tx %llu req-tx %llu garp %llu"
		 " ip-not-registered %llu",
		 c->osa_link ? "up" : "down", (unsigned long long)o->st.arp_req_rx,
		 (unsigned long long)o->st.arp_rep_tx, (unsigned long long)o->st.arp_req_tx,
		 (unsigned long long)o->st.arp_garp_tx,
		 (unsigned long long)o->st.rx_drop[OSA_D_NOT_MINE]);
}
